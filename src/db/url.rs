//! The database URL decides the backend: `sqlite://path` or `postgres://…`. Anything else is refused
//! before a file is created or a socket opened, so a typo never becomes a stray SQLite file.

use std::path::PathBuf;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum DatabaseUrl {
    /// A file path, relative to the working folder or absolute.
    Sqlite(PathBuf),
    /// A libpq connection URL, kept whole.
    Postgres(String),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum UrlError {
    #[error("database.url `{0}` is not understood: it must start with sqlite:// (a file) or postgres:// (a server)")]
    UnknownScheme(String),
    #[error("database.url `{0}` names no SQLite file: write it as sqlite://data/coprod.sqlite3 or sqlite:///absolute/path.sqlite3")]
    EmptySqlitePath(String),
    #[error("database.url `{0}` is not a valid PostgreSQL URL: {1}")]
    BadPostgres(String, String),
}

impl DatabaseUrl {
    pub fn parse(raw: &str) -> Result<DatabaseUrl, UrlError> {
        let raw = raw.trim();
        if let Some(path) = raw.strip_prefix("sqlite://") {
            // `sqlite://data/x.db` is relative, `sqlite:///var/x.db` absolute; a query string is not ours.
            let path = path.split('?').next().unwrap_or_default();
            if path.is_empty() || path.ends_with('/') {
                return Err(UrlError::EmptySqlitePath(raw.to_string()));
            }
            return Ok(DatabaseUrl::Sqlite(PathBuf::from(path)));
        }
        if raw.starts_with("postgres://") || raw.starts_with("postgresql://") {
            let parsed = url::Url::parse(raw)
                .map_err(|e| UrlError::BadPostgres(redact(raw), e.to_string()))?;
            if parsed.host_str().is_none_or(str::is_empty) {
                return Err(UrlError::BadPostgres(
                    redact(raw),
                    "it names no host".to_string(),
                ));
            }
            return Ok(DatabaseUrl::Postgres(raw.to_string()));
        }
        Err(UrlError::UnknownScheme(redact(raw)))
    }

    pub fn backend_name(&self) -> &'static str {
        match self {
            DatabaseUrl::Sqlite(_) => "SQLite",
            DatabaseUrl::Postgres(_) => "PostgreSQL",
        }
    }

    /// The URL with any password replaced, fit for logs and error messages.
    pub fn redacted(&self) -> String {
        match self {
            DatabaseUrl::Sqlite(path) => format!("sqlite://{}", path.display()),
            DatabaseUrl::Postgres(url) => redact(url),
        }
    }
}

/// Hides the password of `scheme://user:password@host`, whatever the scheme.
pub fn redact(raw: &str) -> String {
    match url::Url::parse(raw) {
        Ok(mut u) if u.password().is_some() => {
            let _ = u.set_password(Some("***"));
            u.to_string()
        }
        Ok(_) => raw.to_string(),
        // Not a URL: still never echo what might follow a colon before an @.
        Err(_) => match (raw.find("://"), raw.rfind('@')) {
            (Some(s), Some(at)) if at > s => format!("{}***{}", &raw[..s + 3], &raw[at..]),
            _ => raw.to_string(),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sqlite_paths() {
        assert_eq!(
            DatabaseUrl::parse("sqlite://data/coprod.sqlite3").unwrap(),
            DatabaseUrl::Sqlite("data/coprod.sqlite3".into())
        );
        assert_eq!(
            DatabaseUrl::parse("sqlite:///var/lib/coprod/db.sqlite3").unwrap(),
            DatabaseUrl::Sqlite("/var/lib/coprod/db.sqlite3".into())
        );
        assert!(matches!(
            DatabaseUrl::parse("sqlite://"),
            Err(UrlError::EmptySqlitePath(_))
        ));
    }

    #[test]
    fn postgres_urls() {
        let url = "postgres://coprod:secret@db.internal:5432/coprod";
        let parsed = DatabaseUrl::parse(url).unwrap();
        assert_eq!(parsed, DatabaseUrl::Postgres(url.into()));
        assert!(!parsed.redacted().contains("secret"));
        assert!(DatabaseUrl::parse("postgresql://localhost/coprod").is_ok());
    }

    #[test]
    fn typos_are_refused_without_leaking_passwords() {
        for typo in [
            "postgress://u:hunter2@localhost/db",
            "postgre://localhost/db",
            "sqlite:data.db",
            "data/coprod.sqlite3",
            "mysql://localhost/db",
            "",
        ] {
            let err = DatabaseUrl::parse(typo).unwrap_err().to_string();
            assert!(err.contains("sqlite://"), "{err}");
            assert!(!err.contains("hunter2"), "{err}");
        }
    }
}
