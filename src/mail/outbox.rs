//! The transactional outbox: `queue` writes a message in the caller's transaction (once per dedupe
//! key); `deliver_due` sends what is due, retrying with exponential backoff and giving up, loudly,
//! after the configured number of attempts.

use chrono::{NaiveDateTime, TimeDelta};
use lettre::message::{header, Mailbox, MultiPart, SinglePart};
use lettre::Message;
use sha2::{Digest, Sha256};

use super::template::Email;
use super::transport::Transport;
use crate::db::outbox::{self as rows, OutboxRow};
use crate::db::{self, Database, DbConnection, DbError};

/// How many messages a worker takes at once: small, so that several instances share the work and
/// a crash leaves few messages waiting for their lease to run out.
const BATCH: i64 = 10;

/// Queues `email` under `dedupe_key` inside the caller's transaction. A second call with the same
/// key does nothing and returns false, so a retried request never sends the same notice twice.
pub fn queue(conn: &mut DbConnection, dedupe_key: &str, email: &Email) -> Result<bool, DbError> {
    let now = db::now();
    let row = OutboxRow {
        id: db::new_id(),
        dedupe_key: dedupe_key.to_string(),
        recipient: email.to.clone(),
        subject: email.subject.clone(),
        body_text: email.text.clone(),
        body_html: email.html.clone(),
        status: rows::PENDING.to_string(),
        attempts: 0,
        next_attempt_at: now,
        last_error: None,
        sent_at: None,
        created_at: now,
        updated_at: now,
        holds_secret: email.holds_secret,
        calendar: email.calendar.clone(),
    };
    Ok(rows::insert_unless_exists(conn, &row)?)
}

/// When to try again after a failure.
#[derive(Debug, Clone, Copy)]
pub struct RetryPolicy {
    pub max_attempts: u32,
    pub base: TimeDelta,
    pub max_delay: TimeDelta,
}

impl RetryPolicy {
    /// The delay after `attempts` failed attempts, or None when it is time to give up.
    pub fn delay_after(&self, attempts: u32) -> Option<TimeDelta> {
        if attempts >= self.max_attempts {
            return None;
        }
        let factor = 2i32.saturating_pow(attempts.saturating_sub(1).min(30));
        let delay = self
            .base
            .checked_mul(factor)
            .unwrap_or(self.max_delay)
            .min(self.max_delay);
        Some(delay)
    }
}

/// What one delivery pass did.
#[derive(Debug, Default, Clone, Copy, PartialEq, Eq)]
pub struct DeliveryReport {
    pub sent: usize,
    pub retrying: usize,
    pub failed: usize,
}

/// Everything a delivery pass needs.
#[derive(Debug, Clone)]
pub struct Sender {
    pub transport: Transport,
    pub from: Mailbox,
    pub policy: RetryPolicy,
    /// How long taken messages are held before another worker may take them over.
    pub lease: TimeDelta,
}

impl Sender {
    /// Sends every message due now, batch by batch, until none is left. Blocking: run it on the
    /// blocking pool. Each state change is its own short transaction, so a crash leaves at worst a
    /// message `sending` whose lease runs out and which is then tried again.
    pub fn deliver_due(&self, db: &Database) -> Result<DeliveryReport, DbError> {
        let mut report = DeliveryReport::default();
        loop {
            let mut conn = db.get()?;
            let now = db::now();
            // Taken in one transaction; on PostgreSQL rows another instance holds are skipped.
            let batch = rows::claim_due(&mut conn, now, now + self.lease, BATCH)?;
            if batch.is_empty() {
                return Ok(report);
            }
            for seen in batch {
                let attempts = u32::try_from(seen.attempts).unwrap_or(u32::MAX);
                let result = build_message(&seen, &self.from)
                    .and_then(|m| self.transport.send(&m, &seen.id));
                let now = db::now();
                match result {
                    Ok(()) => {
                        rows::mark_sent(&mut conn, &seen, now)?;
                        tracing::info!(outbox_id = %seen.id, attempts, "mail sent");
                        report.sent += 1;
                    }
                    Err(error) => {
                        let retry_at = self.policy.delay_after(attempts).map(|d| now + d);
                        rows::mark_attempt_failed(&mut conn, &seen, &error, retry_at, now)?;
                        match retry_at {
                            Some(at) => {
                                tracing::warn!(outbox_id = %seen.id, attempts, %error, retry_at = %at, "mail not sent; will retry");
                                report.retrying += 1;
                            }
                            None => {
                                tracing::error!(outbox_id = %seen.id, attempts, %error, "mail failed for good after the last attempt; see GET /outbox");
                                report.failed += 1;
                            }
                        }
                    }
                }
            }
        }
    }
}

/// The Message-ID for a dedupe key: the same key always gives the same id, so a receiving server
/// can drop the rare duplicate left by a crash between sending and recording it.
pub fn message_id(dedupe_key: &str, from: &Mailbox) -> String {
    let digest = Sha256::digest(dedupe_key.as_bytes());
    let hex: String = digest[..16].iter().map(|b| format!("{b:02x}")).collect();
    format!("<{hex}@{}>", from.email.domain())
}

fn build_message(row: &OutboxRow, from: &Mailbox) -> Result<Message, String> {
    let to: Mailbox = row
        .recipient
        .parse()
        .map_err(|e| format!("the recipient address is not valid: {e}"))?;
    let body = MultiPart::alternative()
        .singlepart(
            SinglePart::builder()
                .header(header::ContentType::TEXT_PLAIN)
                .body(row.body_text.clone()),
        )
        .singlepart(
            SinglePart::builder()
                .header(header::ContentType::TEXT_HTML)
                .body(row.body_html.clone()),
        );
    let builder = Message::builder()
        .from(from.clone())
        .to(to)
        .subject(row.subject.clone())
        .message_id(Some(message_id(&row.dedupe_key, from)))
        .date(chrono_to_system(row.created_at));
    let built = match &row.calendar {
        None => builder.multipart(body),
        // A calendar invitation: the text and HTML as usual, with the calendar beside them (as
        // calendar programs look for it) and again as a file to open.
        Some(ics) => {
            let method = calendar_method(ics);
            let kind = header::ContentType::parse(&format!(
                "text/calendar; charset=utf-8; method={method}"
            ))
            .map_err(|e| format!("the calendar part cannot be built: {e}"))?;
            let name = if method == "CANCEL" {
                "cancelled.ics"
            } else {
                "invite.ics"
            };
            builder.multipart(
                MultiPart::mixed()
                    .multipart(
                        body.singlepart(
                            SinglePart::builder().header(kind.clone()).body(ics.clone()),
                        ),
                    )
                    .singlepart(
                        lettre::message::Attachment::new(name.to_string()).body(ics.clone(), kind),
                    ),
            )
        }
    };
    built.map_err(|e| format!("the message cannot be built: {e}"))
}

/// The METHOD line of a calendar (REQUEST, CANCEL or PUBLISH).
fn calendar_method(ics: &str) -> &str {
    ics.lines()
        .find_map(|l| l.strip_prefix("METHOD:"))
        .map(str::trim)
        .filter(|m| matches!(*m, "REQUEST" | "CANCEL" | "PUBLISH"))
        .unwrap_or("PUBLISH")
}

fn chrono_to_system(at: NaiveDateTime) -> std::time::SystemTime {
    at.and_utc().into()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_then_gives_up() {
        let p = RetryPolicy {
            max_attempts: 5,
            base: TimeDelta::seconds(30),
            max_delay: TimeDelta::seconds(100),
        };
        assert_eq!(p.delay_after(1), Some(TimeDelta::seconds(30)));
        assert_eq!(p.delay_after(2), Some(TimeDelta::seconds(60)));
        assert_eq!(p.delay_after(3), Some(TimeDelta::seconds(100)), "capped");
        assert_eq!(p.delay_after(4), Some(TimeDelta::seconds(100)));
        assert_eq!(p.delay_after(5), None);
        let huge = RetryPolicy {
            max_attempts: u32::MAX,
            base: TimeDelta::seconds(30),
            max_delay: TimeDelta::hours(6),
        };
        assert_eq!(huge.delay_after(200), Some(TimeDelta::hours(6)));
    }

    #[test]
    fn message_ids_are_stable_per_key() {
        let from: Mailbox = "coprod <no-reply@example.org>".parse().unwrap();
        let a = message_id("payment-approved:1", &from);
        assert_eq!(a, message_id("payment-approved:1", &from));
        assert_ne!(a, message_id("payment-approved:2", &from));
        assert!(a.starts_with('<') && a.ends_with("@example.org>"), "{a}");
    }
}
