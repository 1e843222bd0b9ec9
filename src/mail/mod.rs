//! Email: the outbox (queue in the caller's transaction, deliver with retries), message templates
//! (plain text plus HTML), transports (SMTP, files, memory) and the background delivery worker.

pub mod outbox;
pub mod template;
pub mod transport;
pub mod worker;

use chrono::TimeDelta;

pub use outbox::{queue, DeliveryReport, RetryPolicy, Sender};
pub use template::{Email, Template};
pub use transport::Transport;

use crate::config::MailSettings;

impl Sender {
    pub fn from_settings(mail: &MailSettings) -> Result<Sender, String> {
        Ok(Sender {
            transport: Transport::from_settings(mail)?,
            from: mail
                .from
                .parse()
                .map_err(|e| format!("mail.from is not an address: {e}"))?,
            lease: TimeDelta::seconds(i64::try_from(mail.lease_secs).unwrap_or(300)),
            policy: RetryPolicy {
                max_attempts: mail.max_attempts,
                base: TimeDelta::seconds(
                    i64::try_from(mail.retry_base_secs).unwrap_or(i64::MAX / 2_000_000),
                ),
                max_delay: TimeDelta::seconds(
                    i64::try_from(mail.retry_max_secs).unwrap_or(i64::MAX / 2_000_000),
                ),
            },
        })
    }
}
