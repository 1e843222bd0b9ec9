//! Retention that runs itself: the settings' rules (`[retention]`) applied to what is held. Sent
//! emails' texts are emptied after `email_body_days`, receipts' files removed after
//! `receipt_years`, and a member's personal details erased `erase_after_years` after the later
//! of their last payment and the end of their last role (not while anything is owed to them).
//! `due` lists what the rules would remove and why, changing nothing; `apply` removes it, each
//! removal in the audit trail with its rule; `daily` is `apply` at most once a day across every
//! instance sharing the database.

use chrono::{Duration, NaiveDate, NaiveDateTime};
use serde::Serialize;

use super::super::audit::{self, Change};
use super::super::Result;
use crate::config::RetentionSettings;
use crate::db::retention as rows;
use crate::db::{erasure, write_tx, DbConnection};
use crate::domain::personal::{cutoff_years, erasure_due};

/// The three rules, as the settings give them.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Rules {
    pub erase_after_years: u32,
    pub email_body_days: u32,
    pub receipt_years: u32,
}

impl From<&RetentionSettings> for Rules {
    fn from(s: &RetentionSettings) -> Rules {
        Rules {
            erase_after_years: s.erase_after_years,
            email_body_days: s.email_body_days,
            receipt_years: s.receipt_years,
        }
    }
}

/// Something the rules remove: what, which, the rule (its setting and value) and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Due {
    /// `email_text`, `receipt` or `member`.
    pub kind: &'static str,
    pub id: String,
    pub rule: String,
    pub why: String,
}

/// What a pass found and did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct Report {
    pub removed: Vec<Due>,
    /// Members due whose details stay for now, and why (money owed, a run not yet paid).
    pub held: Vec<Due>,
}

fn midnight(d: NaiveDate) -> NaiveDateTime {
    d.and_hms_opt(0, 0, 0).unwrap_or_default()
}

/// What the rules would remove today, and the members due who must wait; changes nothing.
pub fn due(conn: &mut DbConnection, rules: Rules, today: NaiveDate) -> Result<Report> {
    let mut report = Report::default();
    let email_rule = format!("retention.email_body_days = {}", rules.email_body_days);
    let before = midnight(today) - Duration::days(i64::from(rules.email_body_days));
    for (id, at) in rows::emails_due(conn, before)? {
        report.removed.push(Due {
            kind: "email_text",
            id,
            rule: email_rule.clone(),
            why: format!("written on {}", at.date()),
        });
    }
    let receipt_rule = format!("retention.receipt_years = {}", rules.receipt_years);
    let before = midnight(cutoff_years(today, rules.receipt_years));
    for (id, claim, _, at) in rows::receipts_due(conn, before)? {
        report.removed.push(Due {
            kind: "receipt",
            id,
            rule: receipt_rule.clone(),
            why: format!("sent on {} with claim {claim}", at.date()),
        });
    }
    let member_rule = format!("retention.erase_after_years = {}", rules.erase_after_years);
    for k in rows::members_kept(conn)? {
        let Some(on) = erasure_due(
            k.last_payment,
            k.roles_end,
            k.created_at,
            rules.erase_after_years,
        ) else {
            continue;
        };
        if on > today {
            continue;
        }
        let why = format!(
            "last paid {}, last role ended {}: due on {on}",
            k.last_payment.map_or("never".into(), |d| d.to_string()),
            match k.roles_end {
                Some(Some(d)) => d.to_string(),
                _ => "never held".into(),
            },
        );
        let settle = super::erase::to_settle(&erasure::owed(conn, &k.member_id)?);
        let d = Due {
            kind: "member",
            id: k.member_id,
            rule: member_rule.clone(),
            why: if settle.is_empty() {
                why
            } else {
                format!("{why}; waits: {}", settle.join(" "))
            },
        };
        if settle.is_empty() {
            report.removed.push(d);
        } else {
            report.held.push(d);
        }
    }
    Ok(report)
}

/// Removes what the rules say, each removal in the audit trail with its rule.
pub fn apply(conn: &mut DbConnection, rules: Rules, today: NaiveDate) -> Result<Report> {
    write_tx(conn, |conn| {
        let mut report = due(conn, rules, today)?;
        let mut done = Vec::with_capacity(report.removed.len());
        for d in std::mem::take(&mut report.removed) {
            // Each removal in its own savepoint: one that fails (a member erased by hand a
            // moment ago) is reported and the rest still go.
            match write_tx(conn, |conn| remove(conn, &d)) {
                Ok(true) => done.push(d),
                Ok(false) => {}
                Err(e) => {
                    tracing::warn!(kind = d.kind, id = %d.id, error = %e, "a retention removal failed; the rest go ahead");
                    report.held.push(Due {
                        why: format!("{}; not removed: {e}", d.why),
                        ..d
                    });
                }
            }
        }
        report.removed = done;
        Ok(report)
    })
}

/// Removes one thing the rules say must go, with its audit event; false when it had gone already.
fn remove(conn: &mut DbConnection, d: &Due) -> Result<bool> {
    let why = format!("{}: {}", d.rule, d.why);
    let (action, entity) = match d.kind {
        "email_text" => ("email.text_removed", "email"),
        "receipt" => ("receipt.removed", "receipt"),
        _ => {
            super::erase(conn, None, &d.id, &why, Some("retention.erase_after_years"))?;
            return Ok(true);
        }
    };
    let removed = if d.kind == "receipt" {
        rows::delete_receipt(conn, &d.id)?
    } else {
        rows::empty_email(conn, &d.id)?
    } > 0;
    if removed {
        audit::record(
            conn,
            None,
            Change::new(action, entity, &d.id).reason(Some(&why)),
        )?;
    }
    Ok(removed)
}

/// `apply` once for `today` across every instance: the pass claims the day in the same
/// transaction, so a second instance (or a second tick) finds it taken and does nothing, and a
/// pass that fails gives the day back. `None` when the day was taken already.
pub fn daily(conn: &mut DbConnection, rules: Rules, today: NaiveDate) -> Result<Option<Report>> {
    write_tx(conn, |conn| {
        if !rows::claim_day(conn, today, crate::db::now())? {
            return Ok(None);
        }
        let report = apply(conn, rules, today)?;
        rows::finish_day(conn, today, report.removed.len() as i64)?;
        Ok(Some(report))
    })
}

/// How often the mail worker asks whether today's pass has run.
pub const DAILY_CHECK: std::time::Duration = std::time::Duration::from_secs(15 * 60);

/// The daily pass as a job of the mail worker.
pub fn job(settings: std::sync::Arc<crate::config::Settings>) -> crate::mail::worker::Job {
    crate::mail::worker::Job {
        name: "retention",
        every: DAILY_CHECK,
        run: std::sync::Arc::new(move |db: &crate::db::Database| {
            let mut conn = db.get().map_err(|e| e.to_string())?;
            let rules = Rules::from(&settings.retention);
            match daily(&mut conn, rules, settings.today()).map_err(|e| e.to_string())? {
                Some(r) if !r.removed.is_empty() || !r.held.is_empty() => {
                    tracing::info!(
                        removed = r.removed.len(),
                        held = r.held.len(),
                        "retention pass done"
                    );
                }
                _ => {}
            }
            Ok(0)
        }),
    }
}
