//! The emails each member gets when a run is approved and when it is paid: in the standard words,
//! or in Easy Read (`easy_read`) for a member who asks for it, and in large print for a member who
//! reads it.

mod easy_read;

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;

use crate::db::pay::{self as rows, PayLineRow, PayRunRow, PaymentRow};
use crate::db::people;
use crate::db::DbConnection;
use crate::domain::formats::Formats;
use crate::domain::payrun::{Disposition, LineKind, Method};
use crate::domain::Money;
use crate::mail::{self, Template};
use crate::services::Result;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(super) enum Event {
    Approved,
    Paid,
}

pub(super) fn long_date(d: NaiveDate) -> String {
    d.format("%-d %B %Y").to_string()
}

fn disposition_words(l: &PayLineRow, event: Event) -> String {
    let method = l.method.map_or("", Method::words);
    match l.disposition {
        Disposition::Paid if event == Event::Paid => format!("paid by {method}"),
        Disposition::Paid => format!("to be paid by {method}"),
        Disposition::CarriedForward => "kept for you and carried forward to a later payment".into(),
        Disposition::Forgone => "above your limit, not taken, as you chose".into(),
        Disposition::Donated => format!(
            "donated to {}, as you chose",
            l.payee
                .as_deref()
                .and_then(|p| p.strip_prefix("charity:"))
                .unwrap_or("your chosen charity")
        ),
        Disposition::Declined => "not paid, as you chose".into(),
    }
}

/// One email per member with lines in the run who wants email: which sessions, how much, by what
/// method and when, what was carried forward or donated, and whom to contact.
pub(super) fn queue_emails(
    conn: &mut DbConnection,
    run: &PayRunRow,
    event: Event,
    notify: &HashMap<String, bool>,
    base_url: &str,
) -> Result<()> {
    let lines = rows::all_lines_of(conn, &run.id)?;
    let payments = rows::payments_of(conn, &run.id, None, i64::MAX)?;
    let meeting_ids: Vec<String> = lines
        .iter()
        .filter_map(|l| l.meeting_id.clone())
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let titles: HashMap<String, String> = rows::meeting_titles(conn, &meeting_ids)?
        .into_iter()
        .collect();
    let member_ids: Vec<String> = lines
        .iter()
        .map(|l| l.member_id.clone())
        .collect::<HashSet<_>>()
        .into_iter()
        .collect();
    let members = people::members_by_ids(conn, &member_ids)?;
    for member in members {
        if !notify.get(&member.id).copied().unwrap_or(true) {
            continue;
        }
        let Some(email) = member.email.as_deref() else {
            continue;
        };
        let mine: Vec<&PayLineRow> = lines.iter().filter(|l| l.member_id == member.id).collect();
        let my_payments: Vec<&PaymentRow> = payments
            .iter()
            .filter(|p| p.member_id == member.id)
            .collect();
        let name = member
            .preferred_name
            .clone()
            .unwrap_or_else(|| member.full_name.clone());
        let formats = Formats::from_stored(&member.preferred_formats);
        let build = if formats.easy_read() {
            easy_read::message
        } else {
            message
        };
        let msg = build(run, event, &name, &mine, &my_payments, &titles, base_url)
            .large_print(formats.large_print())
            .render(email);
        let key = format!(
            "pay_run:{}:{}:{}",
            run.id,
            match event {
                Event::Approved => "approved",
                Event::Paid => "paid",
            },
            member.id
        );
        mail::queue(conn, &key, &msg)?;
    }
    Ok(())
}

/// One member's message: the opening for the event, then what each line is for, then the totals.
fn message(
    run: &PayRunRow,
    event: Event,
    name: &str,
    mine: &[&PayLineRow],
    my_payments: &[&PaymentRow],
    titles: &HashMap<String, String>,
    base_url: &str,
) -> Template {
    let to_member: Money = my_payments
        .iter()
        .filter(|p| p.payee == "member")
        .map(|p| Money::from_pence(p.total_pence))
        .sum();
    let (subject, opening) = opening(run, event, to_member);
    Template::new(subject)
        .greeting(name)
        .paragraph(opening)
        .paragraph("What it is for:")
        .list(mine.iter().map(|l| item(l, event, titles)))
        .paragraph("In total:")
        .list(totals(mine, my_payments))
        .link("See your payments", format!("{base_url}/me"))
}

/// The subject and first paragraph: approved (and when it will be paid), or paid (and when).
fn opening(run: &PayRunRow, event: Event, to_member: Money) -> (String, String) {
    let period = format!(
        "between {} and {}",
        long_date(run.period_start),
        long_date(run.period_end)
    );
    match event {
        Event::Approved => (
            if to_member.is_positive() {
                format!("Your payment of £{to_member} is approved")
            } else {
                "Your co-production record is approved".to_string()
            },
            format!(
                "Finance has approved payment for your part in co-production {period}. It will be paid on {}.",
                long_date(run.payment_date)
            ),
        ),
        Event::Paid => (
            if to_member.is_positive() {
                format!("Your payment of £{to_member} has been paid")
            } else {
                "Your co-production payment run is complete".to_string()
            },
            format!(
                "We paid for your part in co-production {period} on {}{}. A bank transfer can take a day or two to arrive.",
                long_date(run.paid_on.unwrap_or(run.payment_date)),
                run.paid_reference
                    .as_deref()
                    .map(|r| format!(" (reference {r})"))
                    .unwrap_or_default()
            ),
        ),
    }
}

/// One line in words: the session, what it is for, the amount and what became of it.
fn item(l: &PayLineRow, event: Event, titles: &HashMap<String, String>) -> String {
    let what = match l.kind {
        LineKind::Fee => "fee",
        LineKind::Prep => "preparation",
        LineKind::Expense => "expenses",
        LineKind::Carried => "held from an earlier payment",
        LineKind::Adjustment => "adjustment",
    };
    let session = match (&l.meeting_id, l.meeting_date) {
        (Some(m), Some(d)) => format!(
            "{}, {}: ",
            titles.get(m).map_or("A session", String::as_str),
            long_date(d)
        ),
        _ => String::new(),
    };
    format!(
        "{session}{what} £{}, {}",
        Money::from_pence(l.amount_pence),
        disposition_words(l, event)
    )
}

/// The payments to the member and to charities, what is carried forward, or that nothing is paid.
fn totals(mine: &[&PayLineRow], my_payments: &[&PaymentRow]) -> Vec<String> {
    let mut totals: Vec<String> = my_payments
        .iter()
        .map(|p| {
            let method = p.method.words();
            match p.payee.strip_prefix("charity:") {
                Some(charity) => format!(
                    "£{} to {charity} by {method}, as you asked",
                    Money::from_pence(p.total_pence)
                ),
                None => format!(
                    "£{} to you by {method} (fees £{}, expenses £{})",
                    Money::from_pence(p.total_pence),
                    Money::from_pence(p.fee_pence),
                    Money::from_pence(p.expenses_pence)
                ),
            }
        })
        .collect();
    let carried: Money = mine
        .iter()
        .filter(|l| l.disposition == Disposition::CarriedForward)
        .map(|l| Money::from_pence(l.amount_pence))
        .sum();
    if !carried.is_zero() {
        totals.push(format!(
            "£{carried} is carried forward, to be paid in a later payment when it fits within your limit"
        ));
    }
    if totals.is_empty() {
        totals.push("Nothing is paid to you this time, as you chose.".into());
    }
    totals
}
