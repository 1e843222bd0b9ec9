//! Where mail goes: an SMTP server (TLS, STARTTLS, or plain for a local relay), a folder of `.eml`
//! files (the default, so a first run needs no mail server), or memory (unit tests).

use std::path::PathBuf;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use lettre::transport::smtp::authentication::Credentials;
use lettre::transport::smtp::client::{Tls, TlsParameters};
use lettre::{Message, SmtpTransport, Transport as _};
use secrecy::ExposeSecret;

use crate::config::{MailSettings, MailTransportKind, SmtpTls};

#[derive(Clone)]
pub enum Transport {
    Smtp(SmtpTransport),
    File(PathBuf),
    Memory(Arc<Mutex<Vec<Message>>>),
}

impl std::fmt::Debug for Transport {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            Transport::Smtp(_) => f.write_str("Transport::Smtp"),
            Transport::File(dir) => write!(f, "Transport::File({})", dir.display()),
            Transport::Memory(_) => f.write_str("Transport::Memory"),
        }
    }
}

impl Transport {
    pub fn from_settings(mail: &MailSettings) -> Result<Transport, String> {
        match mail.transport {
            MailTransportKind::File => {
                std::fs::create_dir_all(&mail.dir).map_err(|e| {
                    format!(
                        "the mail folder {} cannot be created: {e}",
                        mail.dir.display()
                    )
                })?;
                Ok(Transport::File(mail.dir.clone()))
            }
            MailTransportKind::Smtp => {
                let smtp = &mail.smtp;
                let tls_params = || {
                    TlsParameters::new(smtp.host.clone())
                        .map_err(|e| format!("mail.smtp.tls cannot be set up: {e}"))
                };
                let tls = match smtp.tls {
                    SmtpTls::None => Tls::None,
                    SmtpTls::Starttls => Tls::Required(tls_params()?),
                    SmtpTls::Tls => Tls::Wrapper(tls_params()?),
                };
                let mut builder = SmtpTransport::builder_dangerous(smtp.host.as_str())
                    .port(smtp.port)
                    .tls(tls)
                    .timeout(Some(Duration::from_secs(smtp.timeout_secs.max(1))));
                if !smtp.username.is_empty() {
                    builder = builder.credentials(Credentials::new(
                        smtp.username.clone(),
                        smtp.password.expose_secret().to_string(),
                    ));
                }
                Ok(Transport::Smtp(builder.build()))
            }
        }
    }

    pub fn memory() -> (Transport, Arc<Mutex<Vec<Message>>>) {
        let store = Arc::new(Mutex::new(Vec::new()));
        (Transport::Memory(store.clone()), store)
    }

    /// Sends one message; the error is a sentence for the outbox's `last_error`.
    pub fn send(&self, message: &Message, file_stem: &str) -> Result<(), String> {
        match self {
            Transport::Smtp(smtp) => smtp.send(message).map(|_| ()).map_err(|e| e.to_string()),
            Transport::File(dir) => {
                // Written under a temporary name then renamed, so a reader never sees half a message.
                let tmp = dir.join(format!(".{file_stem}.eml.tmp"));
                let path = dir.join(format!("{file_stem}.eml"));
                std::fs::write(&tmp, message.formatted())
                    .and_then(|_| std::fs::rename(&tmp, &path))
                    .map_err(|e| format!("cannot write {}: {e}", path.display()))
            }
            Transport::Memory(store) => {
                store
                    .lock()
                    .unwrap_or_else(|poisoned| poisoned.into_inner())
                    .push(message.clone());
                Ok(())
            }
        }
    }
}
