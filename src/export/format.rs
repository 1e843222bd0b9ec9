//! The formatting every file shares, once: money for people (`pounds`) and for spreadsheets
//! (`money_number`), dates for people (`long_date`), text a spreadsheet will never run as a formula
//! (`safe_text`), file-name slugs, and the errors of the CSV and XLSX writers.

use std::io::Write;

use chrono::NaiveDate;

use super::{Error, Result};
use crate::domain::Money;

/// `£1,020.00`. It lives in the domain, whose plain-English notes use it too.
pub use crate::domain::statement::pounds;

/// `4 July 2025`.
pub fn long_date(d: NaiveDate) -> String {
    d.format("%-d %B %Y").to_string()
}

/// Money as a spreadsheet number.
pub fn money_number(m: Money) -> f64 {
    // Exact for any amount of pence a run can hold (well below 2^53).
    m.pence() as f64 / 100.0
}

/// Text as a spreadsheet will never run it: a leading apostrophe before = + - @, tab or CR.
pub fn safe_text(s: &str) -> String {
    match s.chars().next() {
        Some('=' | '+' | '-' | '@' | '\t' | '\r') => format!("'{s}"),
        _ => s.to_string(),
    }
}

/// Lower-case ASCII letters and digits joined by single hyphens (for file names), at most 40.
pub fn slug(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if c.is_ascii_alphanumeric() {
            out.push(c.to_ascii_lowercase());
        } else if !out.ends_with('-') {
            out.push('-');
        }
    }
    out.trim_matches('-').chars().take(40).collect()
}

/// A CSV write that failed (the client went away, say).
pub fn csv_error(e: impl Into<csv::Error>) -> Error {
    Error::from(anyhow::Error::new(e.into()).context("writing the file failed"))
}

/// Flushes a CSV writer and hands back what it wrote to.
pub fn finish_csv<W: Write>(w: csv::Writer<W>) -> Result<W> {
    w.into_inner()
        .map_err(|e| Error::from(anyhow::anyhow!("writing the file failed: {e}")))
}

/// An XLSX write that failed.
pub fn xlsx_error(e: rust_xlsxwriter::XlsxError) -> Error {
    Error::from(anyhow::Error::new(e).context("writing the workbook failed"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formulas_are_written_as_text() {
        for s in ["=SUM(A1)", "+1", "-1", "@cmd", "\tx", "\rx"] {
            assert_eq!(safe_text(s), format!("'{s}"));
        }
        assert_eq!(safe_text("Ann = Bob"), "Ann = Bob");
        assert_eq!(safe_text(""), "");
    }

    #[test]
    fn slugs_and_dates_read_well() {
        assert_eq!(
            slug("  North East: Co-production!  "),
            "north-east-co-production"
        );
        assert_eq!(slug(&"a".repeat(50)).len(), 40);
        let d = NaiveDate::from_ymd_opt(2025, 7, 4).unwrap();
        assert_eq!(long_date(d), "4 July 2025");
        assert_eq!(money_number(Money::from_pence(-123_456)), -1234.56);
    }
}
