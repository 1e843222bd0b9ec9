//! Settings: the embedded `config/default.toml`, then `config/$COPROD_ENV.toml`, then a file given with
//! `--config`, then `COPROD__SECTION__KEY` environment variables. Later sources win.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use secrecy::SecretString;
use serde::Deserialize;

/// The defaults, compiled in so the binary runs from any folder.
pub const DEFAULT_TOML: &str = include_str!("../config/default.toml");

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Settings {
    pub server: ServerSettings,
    pub database: DatabaseSettings,
    pub mail: MailSettings,
    pub auth: AuthSettings,
    pub organisation: OrganisationSettings,
    pub payruns: PayRunSettings,
    pub expenses: ExpenseSettings,
    pub receipts: ReceiptSettings,
    pub exports: ExportFormatSettings,
    pub retention: RetentionSettings,
    pub log: LogSettings,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OrganisationSettings {
    /// An IANA time zone: what "today" is, for defaults such as the date a preference is shown for.
    pub time_zone: String,
    /// Who pays members, as letters name it ("Northshire County Council, Co-production Team").
    pub name: String,
    /// Its postal address for letters, lines separated by line breaks; empty leaves it off.
    pub address: String,
    /// How to reach it about a payment (an email address, a phone number, or both), for letters.
    pub contact: String,
    /// Whom to ask about personal data (its data protection officer); empty: `contact`.
    pub data_protection_contact: String,
}

impl OrganisationSettings {
    /// Whom a member asks about their personal data: the data protection contact, else the
    /// contact for payments, else the organisation itself.
    pub fn privacy_contact(&self) -> String {
        [&self.data_protection_contact, &self.contact, &self.name]
            .into_iter()
            .map(|s| s.trim())
            .find(|s| !s.is_empty())
            .unwrap_or("the co-production team")
            .to_string()
    }

    /// The address as lines, blank ones dropped.
    pub fn address_lines(&self) -> Vec<String> {
        self.address
            .lines()
            .map(str::trim)
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .collect()
    }
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExportFormatSettings {
    pub xero_fee_account_code: String,
    pub xero_expense_account_code: String,
    pub xero_tax_type: String,
    pub payroll_fee_element: String,
    pub payroll_expense_element: String,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PayRunSettings {
    /// Refuse approval by the account that created the run.
    pub approver_must_differ: bool,
    /// Paid fees in a tax year above this pass the trading allowance (statements and reports flag it).
    pub trading_allowance: crate::domain::Money,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExpenseSettings {
    /// A claim whose session was more than this many days before today is late: approving it
    /// needs a reason.
    pub late_after_days: u32,
}

/// How long personal data is kept (UK GDPR: no longer than needed). `coprod serve` applies these
/// once a day; `coprod retention --dry-run` lists what they would remove.
#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RetentionSettings {
    /// A member's personal details are erased this many years after the later of their last
    /// payment and the end of their last role (their amounts and dates stay for the books).
    pub erase_after_years: u32,
    /// The text of a sent email is emptied this many days after it was sent (its subject, date
    /// and status stay).
    pub email_body_days: u32,
    /// A receipt's file is removed this many years after it was sent (the claim stays).
    pub receipt_years: u32,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ReceiptSettings {
    /// The largest receipt file accepted, in bytes (larger answers 413).
    pub max_bytes: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuthSettings {
    pub session_lifetime_minutes: u64,
    pub session_idle_minutes: u64,
    pub invitation_days: u64,
    pub reset_minutes: u64,
    pub api_token_max_days: u64,
    pub throttle_window_minutes: u64,
    pub max_failures_per_address: u64,
    pub max_failures_per_account_address: u64,
    pub max_failures_per_account: u64,
    /// How long an instance may answer from its memory of who a token belongs to; 0 turns the
    /// memory off. Another instance's logout or account change is seen within this long.
    pub actor_cache_seconds: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ServerSettings {
    pub host: String,
    pub port: u16,
    pub public_url: String,
    pub body_limit_bytes: usize,
    pub workers: usize,
    pub shutdown_timeout_secs: u64,
    /// Behind a reverse proxy: take the client address from the last X-Forwarded-For entry.
    pub trust_forwarded_for: bool,
    /// How long a running request holds its Idempotency-Key before a retry may take it over.
    pub idempotency_lease_secs: u64,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DatabaseSettings {
    /// May hold a password: never logged as is (see `db::url::DatabaseUrl::redacted`).
    pub url: SecretString,
    pub pool_size: u32,
    pub connect_timeout_secs: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum MailTransportKind {
    File,
    Smtp,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum SmtpTls {
    None,
    Starttls,
    Tls,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct MailSettings {
    pub transport: MailTransportKind,
    pub dir: PathBuf,
    pub from: String,
    pub max_attempts: u32,
    pub retry_base_secs: u64,
    pub retry_max_secs: u64,
    pub poll_interval_ms: u64,
    pub lease_secs: u64,
    pub smtp: SmtpSettings,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct SmtpSettings {
    pub host: String,
    pub port: u16,
    pub tls: SmtpTls,
    /// Empty means no authentication.
    pub username: String,
    pub password: SecretString,
    pub timeout_secs: u64,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum LogFormat {
    Pretty,
    Json,
}

#[derive(Debug, Clone, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LogSettings {
    pub format: LogFormat,
    pub level: String,
}

/// Where settings come from; `Settings::load` fills it from the process, tests fill it by hand.
#[derive(Debug, Clone, Default)]
pub struct Sources {
    /// The folder holding `$COPROD_ENV.toml` (normally `config`).
    pub config_dir: PathBuf,
    /// The value of `COPROD_ENV`, if set.
    pub environment: Option<String>,
    /// A file named with `--config`.
    pub file: Option<PathBuf>,
    /// Environment variables (only those starting `COPROD__` are read).
    pub env: HashMap<String, String>,
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("the settings file {0} does not exist")]
    MissingFile(String),
    #[error("the settings could not be read: {0}")]
    Invalid(String),
}

impl Settings {
    /// Settings of this process: `config/`, `COPROD_ENV`, the `--config` file and the environment.
    pub fn load(file: Option<&Path>) -> Result<Settings, ConfigError> {
        Settings::load_from(&Sources {
            config_dir: PathBuf::from("config"),
            environment: std::env::var("COPROD_ENV").ok().filter(|e| !e.is_empty()),
            file: file.map(Path::to_path_buf),
            env: std::env::vars().collect(),
        })
    }

    pub fn load_from(sources: &Sources) -> Result<Settings, ConfigError> {
        use config::{Config, Environment, File, FileFormat};

        let mut builder =
            Config::builder().add_source(File::from_str(DEFAULT_TOML, FileFormat::Toml));
        if let Some(env_name) = &sources.environment {
            let path = sources.config_dir.join(format!("{env_name}.toml"));
            if !path.is_file() {
                return Err(ConfigError::MissingFile(format!(
                    "{} (named by COPROD_ENV={env_name})",
                    path.display()
                )));
            }
            builder = builder.add_source(File::from(path).format(FileFormat::Toml));
        }
        if let Some(path) = &sources.file {
            if !path.is_file() {
                return Err(ConfigError::MissingFile(path.display().to_string()));
            }
            builder = builder.add_source(File::from(path.as_path()).format(FileFormat::Toml));
        }
        let env: HashMap<String, String> = sources
            .env
            .iter()
            .filter(|(k, _)| k.starts_with("COPROD__"))
            .map(|(k, v)| (k.clone(), v.clone()))
            .collect();
        builder = builder.add_source(
            Environment::with_prefix("COPROD")
                .prefix_separator("__")
                .separator("__")
                .try_parsing(false)
                .source(Some(env)),
        );
        let settings: Settings = builder
            .build()
            .and_then(|c| c.try_deserialize())
            .map_err(|e| ConfigError::Invalid(e.to_string()))?;
        settings.check()?;
        Ok(settings)
    }

    fn check(&self) -> Result<(), ConfigError> {
        let bad = |m: &str| Err(ConfigError::Invalid(m.to_string()));
        if self.server.body_limit_bytes < 1024 {
            return bad("server.body_limit_bytes must be at least 1024");
        }
        if !(1024..=1 << 30).contains(&self.receipts.max_bytes) {
            return bad("receipts.max_bytes must be between 1024 and 1073741824 (1 GiB)");
        }
        if !self.server.public_url.is_empty() && url::Url::parse(&self.server.public_url).is_err() {
            return bad(
                "server.public_url must be an absolute URL such as https://coprod.example.org",
            );
        }
        if self
            .organisation
            .time_zone
            .parse::<chrono_tz::Tz>()
            .is_err()
        {
            return bad("organisation.time_zone must be an IANA time zone such as Europe/London");
        }
        if self.organisation.name.trim().is_empty() {
            return bad(
                "organisation.name must name who pays members (letters are signed with it)",
            );
        }
        let r = &self.retention;
        if !(1..=100).contains(&r.erase_after_years) || !(1..=100).contains(&r.receipt_years) {
            return bad(
                "retention.erase_after_years and retention.receipt_years must be between 1 and 100",
            );
        }
        if !(1..=36500).contains(&r.email_body_days) {
            return bad("retention.email_body_days must be between 1 and 36500");
        }
        if self.auth.actor_cache_seconds > 30 {
            return bad("auth.actor_cache_seconds must be between 0 and 30");
        }
        if self.mail.max_attempts == 0 {
            return bad("mail.max_attempts must be at least 1");
        }
        if self.mail.poll_interval_ms == 0 {
            return bad("mail.poll_interval_ms must be at least 1");
        }
        if self.mail.lease_secs == 0 {
            return bad("mail.lease_secs must be at least 1");
        }
        if self.mail.from.parse::<lettre::message::Mailbox>().is_err() {
            return bad("mail.from must be an address such as \"coprod <no-reply@example.org>\"");
        }
        Ok(())
    }

    /// Today's date in the organisation's time zone.
    pub fn today(&self) -> chrono::NaiveDate {
        let tz = self
            .organisation
            .time_zone
            .parse::<chrono_tz::Tz>()
            .unwrap_or(chrono_tz::Europe::London);
        chrono::Utc::now().with_timezone(&tz).date_naive()
    }

    /// `public_url` without a trailing slash, for building links; when it is not set, the address
    /// coprod listens on (once serving, `server.port` is the port actually bound).
    pub fn public_base(&self) -> String {
        if self.server.public_url.is_empty() {
            let host = match self.server.host.as_str() {
                "0.0.0.0" | "::" | "[::]" => "127.0.0.1",
                h => h,
            };
            let host = if host.contains(':') && !host.starts_with('[') {
                format!("[{host}]")
            } else {
                host.to_string()
            };
            format!("http://{host}:{}", self.server.port)
        } else {
            self.server.public_url.trim_end_matches('/').to_string()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::ExposeSecret;

    fn sources() -> Sources {
        Sources {
            config_dir: PathBuf::from("config"),
            ..Sources::default()
        }
    }

    #[test]
    fn defaults_need_nothing_installed() {
        let s = Settings::load_from(&sources()).unwrap();
        assert_eq!(s.server.host, "127.0.0.1");
        assert_eq!(s.server.port, 8080);
        assert_eq!(
            s.database.url.expose_secret(),
            "sqlite://data/coprod.sqlite3"
        );
        assert_eq!(s.mail.transport, MailTransportKind::File);
        assert_eq!(s.mail.dir, PathBuf::from("data/outbox"));
        assert_eq!(s.log.format, LogFormat::Pretty);
        assert_eq!(s.mail.smtp.tls, SmtpTls::None);
        assert_eq!(
            s.receipts.max_bytes,
            crate::domain::receipts::DEFAULT_MAX_BYTES
        );
        assert_eq!(s.expenses.late_after_days, 90);
    }

    #[test]
    fn receipt_limits_are_checked() {
        let mut s = sources();
        s.env
            .insert("COPROD__RECEIPTS__MAX_BYTES".into(), "10".into());
        let err = Settings::load_from(&s).unwrap_err().to_string();
        assert!(err.contains("receipts.max_bytes"), "{err}");
        let mut s = sources();
        s.env
            .insert("COPROD__EXPENSES__LATE_AFTER_DAYS".into(), "30".into());
        assert_eq!(
            Settings::load_from(&s).unwrap().expenses.late_after_days,
            30
        );
    }

    #[test]
    fn environment_variables_override_files() {
        let dir = tempfile::tempdir().unwrap();
        let file = dir.path().join("local.toml");
        std::fs::write(&file, "[server]\nport = 9000\n[log]\nformat = \"json\"\n").unwrap();
        let mut s = sources();
        s.file = Some(file);
        s.env.insert("COPROD__SERVER__PORT".into(), "9100".into());
        s.env
            .insert("COPROD__MAIL__SMTP__TLS".into(), "starttls".into());
        s.env
            .insert("COPROD__MAIL__SMTP__PASSWORD".into(), "12345".into());
        s.env.insert("UNRELATED".into(), "x".into());
        let settings = Settings::load_from(&s).unwrap();
        assert_eq!(settings.server.port, 9100, "environment beats the file");
        assert_eq!(
            settings.log.format,
            LogFormat::Json,
            "the file beats defaults"
        );
        assert_eq!(settings.mail.smtp.tls, SmtpTls::Starttls);
        assert_eq!(settings.mail.smtp.password.expose_secret(), "12345");
    }

    #[test]
    fn the_named_environment_file_is_layered() {
        let dir = tempfile::tempdir().unwrap();
        std::fs::write(
            dir.path().join("staging.toml"),
            "[database]\npool_size = 3\n",
        )
        .unwrap();
        let s = Sources {
            config_dir: dir.path().to_path_buf(),
            environment: Some("staging".into()),
            ..Sources::default()
        };
        assert_eq!(Settings::load_from(&s).unwrap().database.pool_size, 3);
    }

    #[test]
    fn a_missing_environment_file_is_an_error() {
        let s = Sources {
            config_dir: PathBuf::from("config"),
            environment: Some("nowhere".into()),
            ..Sources::default()
        };
        let err = Settings::load_from(&s).unwrap_err().to_string();
        assert!(err.contains("nowhere.toml"), "{err}");
    }

    #[test]
    fn the_time_zone_is_checked_and_gives_today() {
        let s = Settings::load_from(&sources()).unwrap();
        assert_eq!(s.organisation.time_zone, "Europe/London");
        let today = s.today();
        let utc = chrono::Utc::now().date_naive();
        assert!((today - utc).num_days().abs() <= 1);
        let mut bad = sources();
        bad.env.insert(
            "COPROD__ORGANISATION__TIME_ZONE".into(),
            "Mars/Olympus".into(),
        );
        let err = Settings::load_from(&bad).unwrap_err().to_string();
        assert!(err.contains("organisation.time_zone"), "{err}");
    }

    #[test]
    fn the_organisation_signs_letters() {
        let s = Settings::load_from(&sources()).unwrap();
        assert!(!s.organisation.name.is_empty());
        let mut set = sources();
        set.env.insert(
            "COPROD__ORGANISATION__ADDRESS".into(),
            "County Hall\n\n  Northshire NS1 1AA ".into(),
        );
        let s = Settings::load_from(&set).unwrap();
        assert_eq!(
            s.organisation.address_lines(),
            ["County Hall", "Northshire NS1 1AA"]
        );
        let mut blank = sources();
        blank
            .env
            .insert("COPROD__ORGANISATION__NAME".into(), "  ".into());
        let err = Settings::load_from(&blank).unwrap_err().to_string();
        assert!(err.contains("organisation.name"), "{err}");
    }

    #[test]
    fn bad_values_are_explained() {
        let mut s = sources();
        s.env.insert("COPROD__SERVER__PORT".into(), "eighty".into());
        assert!(Settings::load_from(&s).is_err());
        let mut s = sources();
        s.env
            .insert("COPROD__MAIL__TRANSPORT".into(), "pigeon".into());
        let err = Settings::load_from(&s).unwrap_err().to_string();
        assert!(err.contains("pigeon") || err.contains("transport"), "{err}");
    }

    #[test]
    fn the_production_example_parses() {
        let s = Sources {
            config_dir: PathBuf::from("config"),
            environment: Some("production".into()),
            ..Sources::default()
        };
        let settings = Settings::load_from(&s).unwrap();
        assert_eq!(settings.mail.transport, MailTransportKind::Smtp);
    }
}
