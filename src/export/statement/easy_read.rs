//! The Easy Read pages of a statement: the money first, then one short sentence for each idea, in
//! 14 point under plain headings, and the payments by the day they were paid. The full statement
//! follows them, for an adviser.

use std::collections::BTreeMap;

use chrono::NaiveDate;

use super::Statement;
use crate::domain::payrun::Disposition;
use crate::domain::statement::pounds;
use crate::domain::Money;
use crate::export::format::long_date;
use crate::export::pdf::{Writer, LEFT};

/// Easy Read text is never smaller than this.
const SIZE: f32 = 14.0;

/// A part of the Easy Read pages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub(super) enum Block {
    Heading(String),
    Line(String),
}

fn heading(out: &mut Vec<Block>, text: &str) {
    out.push(Block::Heading(text.to_string()));
}

fn line(out: &mut Vec<Block>, text: impl Into<String>) {
    out.push(Block::Line(text.into()));
}

/// What the Easy Read pages say, in order.
pub(super) fn blocks(s: &Statement) -> Vec<Block> {
    let t = &s.figures.totals;
    let mut out = Vec::new();
    line(
        &mut out,
        format!(
            "These are your payments from {} to {}.",
            long_date(s.from),
            long_date(s.to)
        ),
    );
    line(
        &mut out,
        format!("We paid you {} in all.", pounds(t.paid_to_member)),
    );
    heading(&mut out, "Fees");
    line(&mut out, "Fees are money for your time.");
    line(
        &mut out,
        format!("We paid you {} in fees.", pounds(t.paid_fees)),
    );
    if t.paid_in_vouchers.is_positive() {
        line(
            &mut out,
            format!("{} of it came as vouchers.", pounds(t.paid_in_vouchers)),
        );
        line(&mut out, "Vouchers count as earnings for most benefits.");
    }
    if t.expenses_paid.is_positive() {
        heading(&mut out, "Expenses");
        line(&mut out, "Expenses pay you back for costs, like travel.");
        line(
            &mut out,
            format!("We paid you {} in expenses.", pounds(t.expenses_paid)),
        );
        line(&mut out, "Expenses are not earnings.");
    }
    not_paid_to_you(&mut out, s);
    limit(&mut out, s);
    tax(&mut out, s);
    by_day(&mut out, s);
    heading(&mut out, "Need help?");
    line(&mut out, "Ask your coordinator.");
    line(
        &mut out,
        "A welfare rights adviser can help with your benefits.",
    );
    line(&mut out, "The full statement is on the next pages.");
    out
}

/// Money kept for later, given to a charity, or not taken.
fn not_paid_to_you(out: &mut Vec<Block>, s: &Statement) {
    let t = &s.figures.totals;
    if s.held_back_at_end.is_positive() {
        heading(out, "Money we are keeping for you");
        line(
            out,
            format!("We are keeping {} for you.", pounds(s.held_back_at_end)),
        );
        line(out, "This keeps you under your limit.");
        line(out, "We will pay it later.");
    }
    if t.donated.is_positive() || t.declined.is_positive() || t.forgone.is_positive() {
        heading(out, "Money you did not take");
    }
    if t.donated.is_positive() {
        let charity = s
            .lines
            .iter()
            .rev()
            .find(|l| l.disposition == Disposition::Donated)
            .and_then(|l| l.paid_to.clone())
            .unwrap_or_else(|| "a charity".to_string());
        line(out, format!("{} went to {charity}.", pounds(t.donated)));
        line(out, "You asked for this.");
    }
    if t.declined.is_positive() {
        line(
            out,
            format!("You chose not to take {}.", pounds(t.declined)),
        );
    }
    if t.forgone.is_positive() {
        line(out, format!("{} was over your limit.", pounds(t.forgone)));
        line(out, "You chose not to take it.");
    }
}

/// The member's limit, and whether every period stayed under it.
fn limit(out: &mut Vec<Block>, s: &Statement) {
    let Some(first) = s.figures.cap_periods.first() else {
        return;
    };
    heading(out, "Your limit");
    line(out, format!("Your limit is {}.", first.cap));
    let over = s
        .figures
        .cap_periods
        .iter()
        .filter(|p| !p.within_limit)
        .count();
    if over == 0 {
        line(out, "You stayed under your limit every time.");
    } else {
        line(out, format!("You went over your limit {over} times."));
        line(out, "Please ask us about this.");
    }
}

/// Fees of each tax year against the trading allowance.
fn tax(out: &mut Vec<Block>, s: &Statement) {
    heading(out, "Tax");
    for y in &s.figures.tax_years {
        line(
            out,
            format!(
                "Your fees in tax year {} were {}.",
                y.tax_year,
                pounds(y.paid_fees)
            ),
        );
        if y.passes_trading_allowance {
            line(
                out,
                format!("This is more than {}.", pounds(y.trading_allowance)),
            );
            line(out, "You may need to tell HMRC. HMRC is the tax office.");
        } else {
            line(
                out,
                format!("This is not more than {}.", pounds(y.trading_allowance)),
            );
            line(out, "On its own, it needs no tax return.");
        }
    }
}

/// What was paid to the member on each payment day.
fn by_day(out: &mut Vec<Block>, s: &Statement) {
    let mut days: BTreeMap<NaiveDate, Money> = BTreeMap::new();
    for l in &s.lines {
        if l.disposition == Disposition::Paid && l.paid_to.as_deref().is_none_or(|p| p == "you") {
            *days.entry(l.payment_date).or_default() += l.amount;
        }
    }
    heading(out, "Your payments, day by day");
    if days.is_empty() {
        line(out, "We paid you nothing on these dates.");
    }
    for (day, amount) in days {
        line(out, format!("{}: {}", long_date(day), pounds(amount)));
    }
}

/// Writes the Easy Read pages.
pub(super) fn write(w: &mut Writer, s: &Statement) {
    w.text(LEFT, "Your payments", 20.0, true);
    w.down(9.0, 0.0);
    w.text(LEFT, &s.member.full_name, SIZE, false);
    w.down(2.0, 0.0);
    for b in blocks(s) {
        match b {
            Block::Heading(h) => w.heading_sized(&h, 16.0),
            Block::Line(l) => {
                w.paragraph(&l, SIZE);
                w.down(1.5, 0.0);
            }
        }
    }
}
