//! The payment emails in Easy Read: the money first, then one short sentence for each idea, each
//! on a line of its own, then the sessions it is for.

use std::collections::HashMap;

use super::{long_date, Event};
use crate::db::pay::{PayLineRow, PayRunRow, PaymentRow};
use crate::domain::payrun::{Disposition, LineKind, Method};
use crate::domain::Money;
use crate::mail::Template;

/// What to do if something looks wrong, in Easy Read.
pub(super) const FOOTER: &str =
    "Is something wrong? Please tell your coordinator. You can reply to this email.";

fn sum(lines: &[&PayLineRow], disposition: Disposition) -> Money {
    lines
        .iter()
        .filter(|l| l.disposition == disposition)
        .map(|l| Money::from_pence(l.amount_pence))
        .sum()
}

/// One member's message in Easy Read.
pub(super) fn message(
    run: &PayRunRow,
    event: Event,
    name: &str,
    mine: &[&PayLineRow],
    my_payments: &[&PaymentRow],
    titles: &HashMap<String, String>,
    base_url: &str,
) -> Template {
    let to_member: Vec<&&PaymentRow> = my_payments.iter().filter(|p| p.payee == "member").collect();
    let total: Money = to_member
        .iter()
        .map(|p| Money::from_pence(p.total_pence))
        .sum();
    let method = to_member.first().map(|p| p.method);
    let (subject, mut lines) = opening(run, event, total, method);
    lines.push(format!(
        "It is for sessions from {} to {}.",
        long_date(run.period_start),
        long_date(run.period_end)
    ));
    let expenses: Money = to_member
        .iter()
        .map(|p| Money::from_pence(p.expenses_pence))
        .sum();
    if expenses.is_positive() {
        lines.push(format!("£{expenses} of it is expenses."));
        lines.push("Expenses pay you back for costs. They are not earnings.".into());
    }
    lines.extend(what_else(mine, my_payments, total));
    let mut t = Template::new(subject).greeting(name);
    for l in lines {
        t = t.paragraph(l);
    }
    t.paragraph("Your sessions:")
        .list(mine.iter().map(|l| item(l, titles)))
        .link("See your payments", format!("{base_url}/me"))
        .footer(FOOTER)
}

/// The subject and the first sentences: how much, when, and how it comes.
fn opening(
    run: &PayRunRow,
    event: Event,
    total: Money,
    method: Option<Method>,
) -> (String, Vec<String>) {
    let paid_on = long_date(run.paid_on.unwrap_or(run.payment_date));
    let how = method.map(Method::words);
    match (event, total.is_positive()) {
        (Event::Approved, true) => (
            format!("We will pay you £{total}"),
            [
                Some(format!("We will pay you £{total}.")),
                Some(format!(
                    "We will pay it on {}.",
                    long_date(run.payment_date)
                )),
                how.map(|m| format!("It will come by {m}.")),
            ]
            .into_iter()
            .flatten()
            .collect(),
        ),
        (Event::Approved, false) => (
            "We have checked your sessions".into(),
            vec!["We have checked your sessions.".into()],
        ),
        (Event::Paid, true) => (
            format!("We have paid you £{total}"),
            [
                Some(format!("We have paid you £{total}.")),
                Some(format!("We paid it on {paid_on}.")),
                how.map(|m| format!("It came by {m}.")),
                (method == Some(Method::BankTransfer))
                    .then(|| "It can take 1 or 2 days to reach your bank.".to_string()),
                run.paid_reference
                    .as_deref()
                    .map(|r| format!("The reference is {r}.")),
            ]
            .into_iter()
            .flatten()
            .collect(),
        ),
        (Event::Paid, false) => (
            "We have finished paying for your sessions".into(),
            vec![format!(
                "We finished paying for your sessions on {paid_on}."
            )],
        ),
    }
}

/// Money that did not come to the member, one idea a sentence: kept for later, given to a
/// charity, not taken.
fn what_else(mine: &[&PayLineRow], my_payments: &[&PaymentRow], total: Money) -> Vec<String> {
    let mut out = Vec::new();
    let carried = sum(mine, Disposition::CarriedForward);
    if carried.is_positive() {
        out.push(format!("We are keeping £{carried} for you."));
        out.push("This keeps you under your limit.".into());
        out.push("We will pay it later.".into());
    }
    for p in my_payments {
        if let Some(charity) = p.payee.strip_prefix("charity:") {
            out.push(format!(
                "£{} goes to {charity}.",
                Money::from_pence(p.total_pence)
            ));
            out.push("You asked for this.".into());
        }
    }
    let declined = sum(mine, Disposition::Declined);
    if declined.is_positive() {
        out.push(format!("You chose not to take £{declined}."));
    }
    let forgone = sum(mine, Disposition::Forgone);
    if forgone.is_positive() {
        out.push(format!("£{forgone} was over your limit."));
        out.push("You chose not to take it.".into());
    }
    if !total.is_positive() && out.is_empty() {
        out.push("We will not pay you money this time.".into());
        out.push("This is what you chose.".into());
    }
    out
}

/// One line: the session and its date, the money, and what became of it if it was not paid.
fn item(l: &PayLineRow, titles: &HashMap<String, String>) -> String {
    let session = match (&l.meeting_id, l.meeting_date, l.kind) {
        (Some(m), Some(d), _) => format!(
            "{} on {}",
            titles.get(m).map_or("A session", String::as_str),
            long_date(d)
        ),
        (_, _, LineKind::Carried) => "Money we kept for you before".to_string(),
        _ => "A correction".to_string(),
    };
    let what = match l.kind {
        LineKind::Prep => " (getting ready)",
        LineKind::Expense => " (expenses)",
        LineKind::Fee | LineKind::Carried | LineKind::Adjustment => "",
    };
    let outcome = match l.disposition {
        Disposition::Paid => "",
        Disposition::CarriedForward => ", kept for later",
        Disposition::Donated => ", to charity",
        Disposition::Declined => ", not taken",
        Disposition::Forgone => ", over your limit",
    };
    format!(
        "{session}{what}: £{}{outcome}",
        Money::from_pence(l.amount_pence)
    )
}
