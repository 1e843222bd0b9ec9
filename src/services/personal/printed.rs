//! The member's copy as a person reads it: each table's rows about them as a part of
//! `export::personal::Copy`, with sessions and groups named, money in pounds and codes in words.

use std::collections::BTreeMap;

use chrono::{NaiveDate, NaiveDateTime};

use super::DataExport;
use crate::domain::formats::Formats;
use crate::domain::Money;
use crate::export::format::{long_date, pounds};
use crate::export::personal::{Copy, Entry, Part, EMAILS, PAYMENTS, SESSIONS};

/// Names of the sessions and groups the copy points to, by id.
#[derive(Debug, Default)]
pub struct Names {
    pub meetings: BTreeMap<String, (String, NaiveDate)>,
    pub groups: BTreeMap<String, String>,
}

impl Names {
    fn meeting(&self, id: &str) -> String {
        self.meetings.get(id).map_or_else(
            || format!("Session {id}"),
            |(t, d)| format!("{t}, {}", long_date(*d)),
        )
    }

    fn group(&self, id: &str) -> String {
        self.groups
            .get(id)
            .cloned()
            .unwrap_or_else(|| format!("Group {id}"))
    }
}

fn when(t: NaiveDateTime) -> String {
    format!("{} at {}", long_date(t.date()), t.format("%H:%M"))
}

fn date(d: NaiveDate) -> Option<String> {
    Some(long_date(d))
}

fn money(pence: i64) -> Option<String> {
    Some(pounds(Money::from_pence(pence)))
}

/// A code as words ("carry_forward" → "carry forward").
fn words(code: impl std::fmt::Display) -> Option<String> {
    Some(code.to_string().replace('_', " "))
}

fn yes_no(b: bool) -> Option<String> {
    Some(if b { "yes" } else { "no" }.to_string())
}

/// A snapshot kept in the audit trail, as "field: value" pairs.
fn snapshot(json: &Option<String>) -> Option<String> {
    let json = json.as_ref()?;
    let Ok(serde_json::Value::Object(o)) = serde_json::from_str::<serde_json::Value>(json) else {
        return Some(json.clone());
    };
    Some(
        o.iter()
            .map(|(k, v)| match v {
                serde_json::Value::String(s) => format!("{k}: {s}"),
                v => format!("{k}: {v}"),
            })
            .collect::<Vec<_>>()
            .join("; "),
    )
}

fn part(heading: &str, about: &str, records: Vec<Entry>) -> Part {
    Part {
        heading: heading.into(),
        about: about.into(),
        records,
    }
}

/// The copy to print, from the same rows as the JSON copy.
pub fn copy(e: &DataExport, names: &Names, organisation: &str, contact: &str) -> Copy {
    let h = &e.held;
    let m = &e.member;
    let record = Entry::new(
        m.full_name.clone(),
        vec![
            ("Preferred name", m.preferred_name.clone()),
            ("Email", m.email.clone()),
            ("Phone", m.phone.clone()),
            ("Postal address", m.postal_address.clone()),
            ("Payee reference", m.payee_reference.clone()),
            ("Communication needs", m.communication_needs.clone()),
            ("Formats", words(&m.preferred_formats)),
            ("Staff notes", m.notes.clone()),
            ("Private calendar address", yes_no(m.has_calendar_feed)),
            ("No longer active since", m.archived_at.map(when)),
            ("Record made", Some(when(m.created_at))),
            ("Last changed", Some(when(m.updated_at))),
        ],
    );
    let mut parts = vec![
        part(
            "Your record",
            "Your name and how to reach you, so we can pay you and send you papers the way you \
             need them.",
            vec![record],
        ),
        part(
            "Your sign-in accounts",
            "How you sign in to the portal. Your password is kept only in a form nobody can read back.",
            h.accounts
                .iter()
                .map(|a| {
                    Entry::new(
                        a.email.clone(),
                        vec![
                            ("Role", words(&a.role)),
                            ("Switched off", yes_no(a.disabled)),
                            ("Last signed in", a.last_login_at.map(when)),
                            ("Password last changed", a.password_changed_at.map(when)),
                            ("Made", Some(when(a.created_at))),
                        ],
                    )
                })
                .collect(),
        ),
        part(
            "Your roles in groups",
            "The groups you are part of and your role in each over time: your role sets your rate.",
            h.memberships
                .iter()
                .map(|r| {
                    Entry::new(
                        format!("{} in {}", r.role.replace('_', " "), names.group(&r.group_id)),
                        vec![("From", date(r.starts_on)), ("Until", r.ends_on.map(long_date))],
                    )
                })
                .collect(),
        ),
    ];
    parts.extend(sessions(e, names));
    parts.extend(money_parts(e));
    parts.push(part(
        EMAILS,
        "What we emailed you and when (the text of an email is kept only for a short time).",
        h.emails
            .iter()
            .map(|m| {
                Entry::new(
                    m.subject.clone(),
                    vec![
                        ("To", Some(m.recipient.clone())),
                        ("Status", words(&m.status)),
                        ("Written", Some(when(m.created_at))),
                        ("Sent", m.sent_at.map(when)),
                    ],
                )
            })
            .collect(),
    ));
    parts.push(part(
        "Changes we recorded",
        "Each change made to your records, when and why: the audit trail that shows nobody \
         changed your pay without a record.",
        h.audit_events
            .iter()
            .map(|a| {
                Entry::new(
                    format!(
                        "{} ({})",
                        a.action.replace(['.', '_'], " "),
                        when(a.occurred_at)
                    ),
                    vec![
                        ("By account", a.actor_id.clone()),
                        ("Reason", a.reason.clone()),
                        ("Before", snapshot(&a.before_json)),
                        ("After", snapshot(&a.after_json)),
                    ],
                )
            })
            .collect(),
    ));
    Copy {
        organisation: organisation.to_string(),
        full_name: m.full_name.clone(),
        generated_on: e.generated_at.date(),
        formats: Formats::from_stored(&m.preferred_formats).list(),
        contact: contact.to_string(),
        parts,
    }
}

/// The sessions they were at, their replies to invitations, their claims and receipts.
fn sessions(e: &DataExport, names: &Names) -> Vec<Part> {
    let h = &e.held;
    vec![
        part(
            SESSIONS,
            "The sessions you were part of, as the coordinator recorded them: this is what you \
             are paid for.",
            h.attendance
                .iter()
                .map(|a| {
                    Entry::new(
                        names.meeting(&a.meeting_id),
                        vec![
                            ("Recorded as", words(a.status)),
                            ("Minutes there", a.attended_minutes.map(|m| m.to_string())),
                            ("Minutes preparing", Some(a.prep_minutes.to_string())),
                            ("Role for this session", a.role_override.clone()),
                            ("Notes", a.notes.clone()),
                        ],
                    )
                })
                .collect(),
        ),
        part(
            "Your replies to invitations",
            "Whether you said you could come, and what you asked us to arrange.",
            h.meeting_replies
                .iter()
                .map(|r| {
                    Entry::new(
                        names.meeting(&r.meeting_id),
                        vec![
                            ("Reply", words(&r.reply)),
                            ("Access needs", words(&r.access_needs)),
                            ("Note", r.access_note.clone()),
                            ("Invited", r.invited_at.map(when)),
                            ("Replied", r.replied_at.map(when)),
                        ],
                    )
                })
                .collect(),
        ),
        part(
            "Your expense claims",
            "Costs you asked us to repay, and what we decided.",
            h.expense_claims
                .iter()
                .map(|c| {
                    Entry::new(
                        format!(
                            "{} for {}",
                            c.kind.to_string().replace('_', " "),
                            names.meeting(&c.meeting_id)
                        ),
                        vec![
                            ("Amount", c.amount_pence.and_then(money)),
                            (
                                "Miles",
                                c.miles_tenths.map(|t| format!("{}.{}", t / 10, t % 10)),
                            ),
                            (
                                "Passengers",
                                Some(c.passengers).filter(|p| *p > 0).map(|p| p.to_string()),
                            ),
                            ("Care", c.care_type.and_then(words)),
                            ("Description", c.description.clone()),
                            ("Receipt reference", c.receipt_ref.clone()),
                            ("Decision", words(c.status)),
                            ("Decided", c.decided_at.map(when)),
                            ("Why not approved", c.rejection_reason.clone()),
                            ("Why late", c.late_reason.clone()),
                            ("Claimed", Some(when(c.created_at))),
                        ],
                    )
                })
                .collect(),
        ),
        part(
            "Your receipts",
            "The receipts you sent with your claims (the files are kept with the claim).",
            h.receipts
                .iter()
                .map(|r| {
                    Entry::new(
                        r.filename.clone(),
                        vec![
                            ("Kind of file", words(r.content_type)),
                            ("Size", Some(format!("{} KB", (r.size_bytes + 1023) / 1024))),
                            ("Sent", Some(when(r.uploaded_at))),
                        ],
                    )
                })
                .collect(),
        ),
    ]
}

/// Their payment choices over time, adjustments, payment lines and payments.
fn money_parts(e: &DataExport) -> Vec<Part> {
    let h = &e.held;
    vec![
        part(
            "Your payment choices",
            "How you asked to be paid, from each date: we follow these so a payment does not \
             harm your benefits.",
            h.preferences
                .iter()
                .map(|p| {
                    Entry::new(
                        format!("From {}", long_date(p.effective_from)),
                        vec![
                            ("Fees", words(p.fee_choice)),
                            ("Most per session", p.reduced_max_pence.and_then(money)),
                            ("Expenses declined", yes_no(p.decline_expenses)),
                            ("Paid by", words(p.method)),
                            ("Voucher provider", p.voucher_provider.clone()),
                            ("Charity", p.charity.clone()),
                            ("Limit", p.cap_amount_pence.and_then(money)),
                            ("Limit for", p.cap_limit_code.clone().and_then(words)),
                            ("Limit each", p.cap_period.and_then(words)),
                            ("Over the limit", words(p.over_cap)),
                            ("Email me about payments", yes_no(p.notify_by_email)),
                            ("Recorded by account", p.set_by.clone()),
                            ("Recorded", Some(when(p.created_at))),
                        ],
                    )
                })
                .collect(),
        ),
        part(
            "Adjustments",
            "Corrections to what you were paid, and why.",
            h.adjustments
                .iter()
                .map(|a| {
                    Entry::new(
                        format!(
                            "{} of {}",
                            a.kind.to_string().replace('_', " "),
                            pounds(Money::from_pence(a.amount_pence))
                        ),
                        vec![
                            ("Reason", Some(a.reason.clone())),
                            ("Recorded", Some(when(a.created_at))),
                        ],
                    )
                })
                .collect(),
        ),
        part(
            "Payment lines",
            "Each amount worked out for you, line by line, with how it was worked out.",
            h.pay_lines
                .iter()
                .map(|l| {
                    Entry::new(
                        l.explanation.clone(),
                        vec![
                            ("Amount", money(l.amount_pence)),
                            ("Kind", words(l.kind)),
                            ("What happened to it", words(l.disposition)),
                            ("Paid by", l.method.and_then(words)),
                            ("Paid to", l.payee.clone()),
                            ("Session date", l.meeting_date.map(long_date)),
                            ("Pay run", Some(l.pay_run_id.clone())),
                        ],
                    )
                })
                .collect(),
        ),
        part(
            PAYMENTS,
            "Money paid to you (or to the charity you chose), run by run. We keep these for six \
             years because HMRC requires it.",
            h.payments
                .iter()
                .map(|p| {
                    Entry::new(
                        format!("Payment of {}", pounds(Money::from_pence(p.total_pence))),
                        vec![
                            ("Paid to", Some(p.payee.clone())),
                            ("Paid by", words(p.method)),
                            ("Fees", money(p.fee_pence)),
                            ("Expenses", money(p.expenses_pence)),
                            ("Pay run", Some(p.pay_run_id.clone())),
                        ],
                    )
                })
                .collect(),
        ),
    ]
}
