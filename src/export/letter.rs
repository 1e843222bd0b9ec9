//! A letter about a member's payments, for the Jobcentre or a benefits adviser: who pays them and
//! for what role in which group, how the time is paid (the rates in force, the time they give),
//! the choices they have made (a limit, declined and donated fees), and the money paid to them by
//! week or assessment period of their limit (by month when they have none), by the date it was
//! paid, with whom to ask. `services::letters` fills it in; it is printed in large print for a
//! member who reads it.

use chrono::{NaiveDate, Weekday};

use super::format::{long_date, pounds, slug};
use super::pdf::{Writer, LEFT, RIGHT};
use super::statement::File;
use super::Result;
use crate::config::OrganisationSettings;
use crate::domain::draft::Choices;
use crate::domain::letter::{Grouping, Involvement, PeriodTotals};
use crate::domain::payrun::{FeeChoice, OverCap};
use crate::domain::periods::PeriodRule;
use crate::domain::rates::Basis;
use crate::domain::statement::Totals;
use crate::domain::Money;

/// Who writes the letter (settings `organisation.*`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Organisation {
    pub name: String,
    pub address: Vec<String>,
    pub contact: String,
}

impl From<&OrganisationSettings> for Organisation {
    fn from(s: &OrganisationSettings) -> Organisation {
        Organisation {
            name: s.name.trim().to_string(),
            address: s.address_lines(),
            contact: s.contact.trim().to_string(),
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LetterMember {
    pub full_name: String,
    pub postal_address: Vec<String>,
    pub payee_reference: Option<String>,
    pub large_print: bool,
}

/// A role the member held in a group in the letter's dates.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LetterRole {
    /// The role's label ("Co-chair").
    pub role: String,
    pub group: String,
    pub starts_on: NaiveDate,
    pub ends_on: Option<NaiveDate>,
}

/// How one role is paid for some kinds of activity, from the rate card in force.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LetterRate {
    pub role: String,
    pub group: String,
    /// The activities' labels ("Meeting", "Workshop").
    pub activities: Vec<String>,
    pub card: String,
    pub basis: Basis,
    pub prep_hourly_rate: Option<Money>,
}

/// The member's cap as it stands on the letter's date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LetterCap {
    /// "ESA permitted work", or "a limit of their own".
    pub name: String,
    pub amount: Money,
    pub period: PeriodRule,
}

/// The letter.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Letter {
    pub organisation: Organisation,
    pub member: LetterMember,
    pub generated_on: NaiveDate,
    pub from: NaiveDate,
    pub to: NaiveDate,
    /// The day the rates, roles and choices are given for: the last day covered.
    pub as_of: NaiveDate,
    pub roles: Vec<LetterRole>,
    pub rates: Vec<LetterRate>,
    pub involvement: Involvement,
    /// The choices in force on `as_of`; None when the member has never recorded any.
    pub choices: Option<Choices>,
    pub cap: Option<LetterCap>,
    pub grouping: Grouping,
    pub periods: Vec<PeriodTotals>,
    pub totals: Totals,
    pub held_back_at_end: Money,
}

/// The letter as a PDF file.
pub fn file(l: &Letter) -> Result<File> {
    let name = slug(&l.member.full_name);
    let filename = format!(
        "coprod-letter-{}-{}-to-{}.pdf",
        if name.is_empty() { "member" } else { &name },
        l.from,
        l.to
    );
    Ok((write_pdf(l)?, "application/pdf", filename))
}

/// `4 hours`, `1 hour 30 minutes`, `45 minutes`.
pub fn hours(minutes: i64) -> String {
    let (h, m) = (minutes / 60, minutes % 60);
    let hours = match h {
        0 => String::new(),
        1 => "1 hour".to_string(),
        h => format!("{h} hours"),
    };
    match (h, m) {
        (0, 0) => "no time".to_string(),
        (_, 0) => hours,
        (0, m) => format!("{m} minutes"),
        (_, m) => format!("{hours} {m} minutes"),
    }
}

/// A rate in words: `£25.00 an hour`, `£75.00 for up to 4 hours; £150.00 for longer`.
pub fn rate_words(basis: &Basis, prep: Option<Money>) -> String {
    let pay = match basis {
        Basis::Hourly { hourly_rate } => format!("{} an hour", pounds(*hourly_rate)),
        Basis::Band {
            half_day_amount,
            full_day_amount,
            boundary_minutes,
            boundary_is_full_day,
        } => {
            let b = hours(i64::from(*boundary_minutes));
            if *boundary_is_full_day {
                format!(
                    "{} for less than {b}; {} for {b} or more",
                    pounds(*half_day_amount),
                    pounds(*full_day_amount)
                )
            } else {
                format!(
                    "{} for up to {b}; {} for longer",
                    pounds(*half_day_amount),
                    pounds(*full_day_amount)
                )
            }
        }
        Basis::Fixed { fixed_amount } => format!("{} each", pounds(*fixed_amount)),
    };
    match prep {
        Some(p) => format!(
            "{pay}; preparation {} an hour, up to the time the session allows",
            pounds(p)
        ),
        None => pay,
    }
}

/// The cap's period in words: `a week (weeks starting on Monday)`.
fn per(rule: PeriodRule) -> String {
    match rule {
        PeriodRule::Week { starts_on } => {
            format!("a week (weeks starting on {})", weekday(starts_on))
        }
        PeriodRule::Month { anchor_day } => format!(
            "an assessment period (from the {} of each month)",
            ordinal(anchor_day)
        ),
        PeriodRule::TaxYear => "a tax year".to_string(),
    }
}

fn weekday(d: Weekday) -> &'static str {
    match d {
        Weekday::Mon => "Monday",
        Weekday::Tue => "Tuesday",
        Weekday::Wed => "Wednesday",
        Weekday::Thu => "Thursday",
        Weekday::Fri => "Friday",
        Weekday::Sat => "Saturday",
        Weekday::Sun => "Sunday",
    }
}

/// `1st`, `2nd`, `12th`, `23rd`.
fn ordinal(n: u32) -> String {
    let suffix = match (n % 10, n % 100) {
        (_, 11..=13) => "th",
        (1, _) => "st",
        (2, _) => "nd",
        (3, _) => "rd",
        _ => "th",
    };
    format!("{n}{suffix}")
}

/// The member's choices about payment, in sentences about them.
pub fn choice_sentences(l: &Letter) -> Vec<String> {
    let name = &l.member.full_name;
    let mut out = Vec::new();
    let Some(c) = &l.choices else {
        out.push(format!(
            "{name} has not recorded any choice, so they are paid the full fee by bank transfer."
        ));
        return out;
    };
    let method = c.method.words();
    out.push(match &c.fee_choice {
        FeeChoice::Full => format!("{name} has chosen to be paid the full fee, by {method}."),
        FeeChoice::Reduced { reduced_max } => format!(
            "{name} has chosen to take at most {} for each session, by {method}; the rest is not paid.",
            pounds(*reduced_max)
        ),
        FeeChoice::Decline => format!("{name} has chosen not to be paid fees."),
        FeeChoice::Donate => format!(
            "{name} has asked for their fees to go to {}; they are not paid to {name}.",
            c.charity.as_deref().unwrap_or("a charity")
        ),
    });
    if let Some(cap) = &l.cap {
        let over = match c.over_cap {
            OverCap::CarryForward => {
                "Fees above it are held back and paid in a later period, when they fit within it."
                    .to_string()
            }
            OverCap::Forgo => "Fees above it are not paid.".to_string(),
            OverCap::Donate => format!(
                "Fees above it go to {}.",
                c.charity.as_deref().unwrap_or("a charity")
            ),
        };
        out.push(format!(
            "{name} has asked us to keep the fees paid to them within {}: {} {}. {over}",
            cap.name,
            pounds(cap.amount),
            per(cap.period)
        ));
    }
    out.push(if c.decline_expenses {
        format!("{name} has chosen not to claim expenses.")
    } else {
        "Expenses are repaid in full, by bank transfer or payroll, whatever the choice about fees."
            .to_string()
    });
    let t = &l.totals;
    let given: Vec<String> = [
        (t.declined, "declined"),
        (t.donated, "given to charity at their request"),
        (t.forgone, "over their limit and not taken"),
    ]
    .iter()
    .filter(|(m, _)| m.is_positive())
    .map(|(m, w)| format!("{} {w}", pounds(*m)))
    .collect();
    out.push(if given.is_empty() {
        "In these dates they did not decline or give away any fees.".to_string()
    } else {
        format!(
            "In these dates, fees not paid to them: {}. None of this was paid to them.",
            given.join("; ")
        )
    });
    out
}

/// The heading of the payments table and what one period is called.
fn grouping_words(g: Grouping) -> (String, &'static str) {
    match g {
        Grouping::Week { starts_on } => (
            format!(
                "Payments by week (weeks starting on {})",
                weekday(starts_on)
            ),
            "week",
        ),
        Grouping::AssessmentPeriod { anchor_day } => (
            format!(
                "Payments by assessment period (from the {} of each month)",
                ordinal(anchor_day)
            ),
            "assessment period",
        ),
        Grouping::Month => ("Payments by month".to_string(), "month"),
    }
}

/// The letter as a PDF.
pub fn write_pdf(l: &Letter) -> Result<Vec<u8>> {
    let title = format!("A letter about payments to {}", l.member.full_name);
    let mut w = Writer::new(
        &title,
        format!(
            "{} · payments to {} · {}",
            l.organisation.name,
            l.member.full_name,
            long_date(l.generated_on)
        ),
        l.member.large_print,
    )?;
    addresses(&mut w, l);
    part_and_pay(&mut w, l);
    w.heading("Their choices about payment");
    for s in choice_sentences(l) {
        w.paragraph(&s, 10.0);
        w.down(1.5, 0.0);
    }
    payments(&mut w, l);
    w.heading("Questions");
    let reference = l
        .member
        .payee_reference
        .as_deref()
        .map(|r| format!(", quoting reference {r}"))
        .unwrap_or_default();
    w.paragraph(
        &format!(
            "If you have any questions about this letter, please contact {}{reference}.",
            if l.organisation.contact.is_empty() {
                &l.organisation.name
            } else {
                &l.organisation.contact
            }
        ),
        10.0,
    );
    w.down(6.0, 12.0);
    w.paragraph("Yours faithfully,", 10.0);
    w.down(2.0, 0.0);
    w.paragraph(&l.organisation.name, 10.0);
    w.save()
}

/// Who it is from, the date, who it is about, and what it is.
fn addresses(w: &mut Writer, l: &Letter) {
    let o = &l.organisation;
    w.text(LEFT, &o.name, 14.0, true);
    w.right(RIGHT, &long_date(l.generated_on), 10.0, false);
    w.lines(&o.address, 10.0);
    if !o.contact.is_empty() {
        w.paragraph(&o.contact, 10.0);
    }
    w.down(8.0, 0.0);
    w.paragraph(&l.member.full_name, 10.0);
    w.lines(&l.member.postal_address, 10.0);
    w.down(10.0, 0.0);
    w.paragraph(
        &format!(
            "Payments to {} for taking part in co-production",
            l.member.full_name
        ),
        14.0,
    );
    w.down(2.0, 0.0);
    w.paragraph(
        &format!(
            "For the Jobcentre, or an adviser helping {} with benefits.",
            l.member.full_name
        ),
        10.0,
    );
    w.down(3.0, 0.0);
    w.paragraph(
        &format!(
            "{} pays people with lived experience for the time they give to help shape its \
             services (co-production). {} takes part in this work. This letter sets out their \
             part, how it is paid, the choices they have made about payment, and what we paid \
             them from {} to {}.",
            o.name,
            l.member.full_name,
            long_date(l.from),
            long_date(l.to)
        ),
        10.0,
    );
}

/// Their roles, the rates that pay them, and the time they gave.
fn part_and_pay(w: &mut Writer, l: &Letter) {
    w.heading("Their part");
    if l.roles.is_empty() {
        w.paragraph(
            "No role in a group is recorded for them in these dates.",
            10.0,
        );
    }
    for r in &l.roles {
        let when = match r.ends_on {
            Some(end) => format!("from {} to {}", long_date(r.starts_on), long_date(end)),
            None => format!("since {}", long_date(r.starts_on)),
        };
        w.paragraph(&format!("{} of {}, {when}.", r.role, r.group), 10.0);
    }
    w.heading("How the time is paid");
    if l.rates.is_empty() {
        w.paragraph(
            &format!("No rate is set for their role on {}.", long_date(l.as_of)),
            10.0,
        );
    } else {
        w.paragraph(
            &format!(
                "We pay for each session they attend, from the rate card in force on {}:",
                long_date(l.as_of)
            ),
            10.0,
        );
    }
    for r in &l.rates {
        w.down(1.0, 0.0);
        w.paragraph(
            &format!(
                "{} of {}, {}: {} (rate card \"{}\").",
                r.role,
                r.group,
                r.activities.join(", ").to_lowercase(),
                rate_words(&r.basis, r.prep_hourly_rate),
                r.card
            ),
            10.0,
        );
    }
    w.down(1.5, 0.0);
    w.paragraph(
        "Expenses (such as travel, parking or care) are repaid at cost, or at HMRC's approved \
         mileage rates. They are not earnings. Sessions are arranged from time to time; there \
         are no set hours.",
        10.0,
    );
    w.down(1.5, 0.0);
    w.paragraph(&time_given(l), 10.0);
}

/// The time the member gave in the letter's dates.
pub fn time_given(l: &Letter) -> String {
    let i = &l.involvement;
    let name = &l.member.full_name;
    let dates = format!("From {} to {}", long_date(l.from), long_date(l.to));
    if i.sessions == 0 {
        return format!("{dates}, no session is recorded for {name}.");
    }
    let sessions = if i.sessions == 1 {
        "1 session".to_string()
    } else {
        format!("{} sessions", i.sessions)
    };
    let mut s = format!(
        "{dates}, {name} took part in {sessions}: {} in all, including time spent preparing. \
         That is about {} a month on average.",
        hours(i.minutes),
        hours(i.minutes_a_month())
    );
    if let Some((week, minutes)) = i.busiest_week {
        s.push_str(&format!(
            " The most in any one week was {} (the week starting {}).",
            hours(minutes),
            long_date(week.start)
        ));
    }
    s
}

/// The money paid to the member, period by period.
fn payments(w: &mut Writer, l: &Letter) {
    let (heading, one) = grouping_words(l.grouping);
    w.heading(&heading);
    w.paragraph(
        &format!(
            "We count a payment on the day it is paid, as benefits do. Only a {one} with a \
             payment is listed: in any other {one} in these dates we paid {} nothing. Fees are \
             earnings; expenses repay costs and are not earnings. Money held back is paid in a \
             later {one}, and counts then.",
            l.member.full_name
        ),
        10.0,
    );
    if l.periods.is_empty() {
        w.down(1.5, 0.0);
        w.paragraph(
            &format!("We paid {} nothing in these dates.", l.member.full_name),
            10.0,
        );
        return;
    }
    // Held back in a period is paid in a later one, so held-back amounts do not add up: the
    // total row leaves them out, and what is held back at the end is said below.
    let row = |label: String, t: &Totals, held: Option<Money>| {
        vec![
            label,
            pounds(t.paid_fees),
            pounds(t.expenses_paid),
            held.map_or_else(|| "–".to_string(), pounds),
            pounds(t.donated),
        ]
    };
    let mut rows: Vec<Vec<String>> = l
        .periods
        .iter()
        .map(|p| {
            row(
                format!(
                    "{} to {}",
                    long_date(p.period.start),
                    long_date(p.period.end)
                ),
                &p.totals,
                Some(p.totals.carried_forward),
            )
        })
        .collect();
    rows.push(row("Total".to_string(), &l.totals, None));
    w.table(
        &[
            ("Period", LEFT),
            ("Fees paid", 110.0),
            ("Expenses", 135.0),
            ("Held back", 160.0),
            ("To charity", RIGHT),
        ],
        &rows,
        9.0,
    );
    if l.held_back_at_end.is_positive() {
        w.down(2.0, 0.0);
        w.paragraph(
            &format!(
                "On {}, {} of fees was still held back, to be paid later.",
                long_date(l.to),
                pounds(l.held_back_at_end)
            ),
            10.0,
        );
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rates_and_times_read_as_words() {
        assert_eq!(hours(240), "4 hours");
        assert_eq!(hours(90), "1 hour 30 minutes");
        assert_eq!(hours(45), "45 minutes");
        assert_eq!(hours(0), "no time");
        let band = Basis::Band {
            half_day_amount: Money::from_pence(7_500),
            full_day_amount: Money::from_pence(15_000),
            boundary_minutes: 240,
            boundary_is_full_day: false,
        };
        assert_eq!(
            rate_words(&band, Some(Money::from_pence(2_000))),
            "£75.00 for up to 4 hours; £150.00 for longer; preparation £20.00 an hour, up to the \
             time the session allows"
        );
        assert_eq!(
            rate_words(
                &Basis::Hourly {
                    hourly_rate: Money::from_pence(2_500)
                },
                None
            ),
            "£25.00 an hour"
        );
        assert_eq!(ordinal(1), "1st");
        assert_eq!(ordinal(12), "12th");
        assert_eq!(ordinal(22), "22nd");
        assert_eq!(ordinal(23), "23rd");
    }
}
