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
        let times = if over == 1 {
            "once".to_string()
        } else {
            format!("{over} times")
        };
        line(out, format!("You went over your limit {times}."));
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

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::domain::payrun::{LineKind, Method, RunStatus};
    use crate::domain::periods::{DateRange, PeriodRule};
    use crate::domain::reading;
    use crate::domain::statement::{figures, CapInForce, Entry};
    use crate::export::statement::{StatementLine, StatementMember};

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    /// A statement with something of everything: fees in money and vouchers, mileage, a
    /// donation, a declined fee, a fee over the limit, money held back, a week over the limit,
    /// and fees past the trading allowance.
    fn statement() -> Statement {
        let line = |date: &str, kind, disposition, method, pence, to: &str| StatementLine {
            payment_date: d(date),
            pay_run_id: "run".into(),
            status: RunStatus::Paid,
            paid_on: Some(d(date)),
            meeting_id: None,
            meeting_title: Some("Advisory group".into()),
            meeting_date: Some(d(date)),
            kind,
            disposition,
            method,
            paid_to: Some(to.to_string()),
            minutes: Some(300),
            miles: None,
            amount: Money::from_pence(pence),
            explanation: String::new(),
        };
        let bank = Some(Method::BankTransfer);
        let lines = vec![
            line(
                "2025-07-04",
                LineKind::Fee,
                Disposition::Paid,
                bank,
                90_000,
                "you",
            ),
            line(
                "2025-07-04",
                LineKind::Fee,
                Disposition::Paid,
                Some(Method::Voucher),
                20_000,
                "you",
            ),
            line(
                "2025-07-04",
                LineKind::Expense,
                Disposition::Paid,
                bank,
                1_260,
                "you",
            ),
            line(
                "2025-07-04",
                LineKind::Fee,
                Disposition::CarriedForward,
                bank,
                5_900,
                "you",
            ),
            line(
                "2025-08-01",
                LineKind::Fee,
                Disposition::Donated,
                bank,
                15_000,
                "Northshire Carers",
            ),
            line(
                "2025-08-01",
                LineKind::Fee,
                Disposition::Declined,
                None,
                7_500,
                "you",
            ),
            line(
                "2025-08-01",
                LineKind::Fee,
                Disposition::Forgone,
                None,
                2_000,
                "you",
            ),
        ];
        let entries: Vec<Entry> = lines.iter().map(StatementLine::entry).collect();
        let week = PeriodRule::Week {
            starts_on: chrono::Weekday::Mon,
        };
        let caps: HashMap<NaiveDate, CapInForce> = [d("2025-07-04"), d("2025-08-01")]
            .into_iter()
            .map(|day| {
                let cap = CapInForce {
                    period: week.containing(day),
                    amount: Money::from_pence(19_550),
                    describe: "ESA permitted work (£195.50 a week)".into(),
                    counts_methods: Method::ALL.to_vec(),
                };
                (day, cap)
            })
            .collect();
        let range = DateRange::new(d("2025-04-06"), d("2026-04-05")).unwrap();
        Statement {
            member: StatementMember {
                id: "m".into(),
                full_name: "Joan Whitfield".into(),
                payee_reference: None,
                preferred_formats: vec![crate::domain::formats::Format::EasyRead],
            },
            from: range.start,
            to: range.end,
            title: "Tax year 2025-26".into(),
            generated_on: d("2026-04-06"),
            lines,
            figures: figures(range, &entries, &caps, Money::from_pence(100_000)),
            held_back_at_end: Money::from_pence(5_900),
            notes: Vec::new(),
        }
    }

    /// The Easy Read pages say the money first, cover every part, and read at grade 5 or below.
    #[test]
    fn easy_read_pages_lead_with_the_money_and_read_at_grade_5() {
        let s = statement();
        let blocks = blocks(&s);
        assert_eq!(
            blocks[1],
            Block::Line("We paid you £1,112.60 in all.".into())
        );
        let text: Vec<String> = blocks
            .iter()
            .map(|b| match b {
                Block::Heading(t) | Block::Line(t) => t.clone(),
            })
            .collect();
        let text = text.join("\n");
        for said in [
            "£200.00 of it came as vouchers.",
            "We paid you £12.60 in expenses.",
            "We are keeping £59.00 for you.",
            "£150.00 went to Northshire Carers.",
            "You chose not to take £75.00.",
            "£20.00 was over your limit.",
            "You went over your limit once.",
            "This is more than £1,000.00.",
            "4 July 2025: £1,112.60",
        ] {
            assert!(text.contains(said), "{said:?} in:\n{text}");
        }
        let grade = reading::grade(&reading::prose(&text)).unwrap();
        assert!(grade <= 5.0, "grade {grade:.1}:\n{text}");
    }
}
