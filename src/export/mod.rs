//! Files: the pay-run exports for finance's systems (a control CSV, an XLSX workbook, Xero bills,
//! payroll lines), the finance reports (CSV, XLSX), members' statements (CSV, PDF) and letters
//! about a member's payments for the Jobcentre or a benefits adviser (PDF). A writer
//! takes the data it writes (domain types, and the documents defined here) and never reads the
//! database: a service checks who may ask, loads the rows a page at a time and hands them over, so
//! memory stays flat. `format` holds the one copy of each formatting helper.

pub mod format;
pub mod letter;
pub mod payrun;
pub mod pdf;
pub mod personal;
pub mod reports;
pub mod statement;

/// Writing a file failed (the client went away, a library refused). A service makes it an
/// internal error, keeping its cause chain for the log.
#[derive(Debug, thiserror::Error)]
#[error(transparent)]
pub struct Error(#[from] anyhow::Error);

impl Error {
    /// What went wrong, with its chain.
    pub fn into_cause(self) -> anyhow::Error {
        self.0
    }
}

pub type Result<T, E = Error> = std::result::Result<T, E>;
