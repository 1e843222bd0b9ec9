//! Finance at a glance (`GET /api/v1/reports/summary`): what approved runs paid, donated,
//! declined, forwent and carried forward, by month, by group and by method; and how long people
//! waited to be paid, with what is waiting longest. Every figure is summed or counted by the
//! database, in a fixed number of statements however many payments there are.

use std::collections::{BTreeMap, HashMap};

use chrono::NaiveDate;
use serde::Serialize;

use super::actor::{Actor, Role};
use super::{Error, Result};
use crate::db::people;
use crate::db::reports as q;
use crate::db::DbConnection;
use crate::domain::payrun::{Disposition, LineKind, Method};
use crate::domain::summary::{months, months_before, percentile};
use crate::domain::Money;

/// How many of the longest waits the summary lists.
pub const WAITING: i64 = 10;
/// The longest span a summary covers, in months.
pub const MAX_MONTHS: usize = 120;

/// What became of the money of approved runs.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Figures {
    /// Fees paid to members: session and preparation fees, balances carried from earlier runs
    /// and fee adjustments.
    #[schema(value_type = String, example = "150.00")]
    pub fees_paid: Money,
    /// Expenses paid back, and expense adjustments.
    #[schema(value_type = String, example = "12.60")]
    pub expenses_paid: Money,
    #[schema(value_type = String, example = "0.00")]
    pub donated: Money,
    #[schema(value_type = String, example = "0.00")]
    pub declined: Money,
    #[schema(value_type = String, example = "0.00")]
    pub forgone: Money,
    #[schema(value_type = String, example = "0.00")]
    pub carried_forward: Money,
}

impl Figures {
    fn add(&mut self, kind: LineKind, disposition: Disposition, pence: i64) {
        let amount = Money::from_pence(pence);
        let into = match (disposition, kind) {
            (Disposition::Paid, LineKind::Expense) => &mut self.expenses_paid,
            (Disposition::Paid, _) => &mut self.fees_paid,
            (Disposition::Donated, _) => &mut self.donated,
            (Disposition::Declined, _) => &mut self.declined,
            (Disposition::Forgone, _) => &mut self.forgone,
            (Disposition::CarriedForward, _) => &mut self.carried_forward,
        };
        *into += amount;
    }

    /// Paid to members: fees and expenses.
    pub fn paid(&self) -> Money {
        self.fees_paid + self.expenses_paid
    }
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MonthFigures {
    /// `YYYY-MM`: the month of the runs' payment date.
    #[schema(example = "2025-06")]
    pub month: String,
    #[serde(flatten)]
    pub figures: Figures,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct GroupFigures {
    /// Null for lines of no group (an adjustment made outside any group).
    pub group_id: Option<String>,
    pub group_name: String,
    #[serde(flatten)]
    pub figures: Figures,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct MethodFigures {
    pub method: Method,
    /// Paid to members by this method.
    #[schema(value_type = String, example = "150.00")]
    pub paid: Money,
}

/// A session or approved claim that no approved run has paid yet.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, utoipa::ToSchema)]
pub struct Waiting {
    /// `session` or `claim`.
    pub kind: String,
    pub member_id: String,
    pub member_name: String,
    pub meeting_id: String,
    pub meeting_title: String,
    /// The session's date, or the day the claim was approved.
    pub date: NaiveDate,
    /// Days from `date` to today.
    pub days: i64,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct TimeToPay {
    /// Sessions and approved claims paid by runs with a payment date in the period.
    pub paid: i64,
    /// Half of them were paid within this many days of the session (or of the claim's
    /// approval), by nearest rank; null when none were paid.
    pub median_days: Option<i64>,
    /// Nine in ten were paid within this many days.
    pub p90_days: Option<i64>,
    /// What is waiting longest today, longest first.
    pub waiting: Vec<Waiting>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct Summary {
    pub from: NaiveDate,
    pub to: NaiveDate,
    pub group_id: Option<String>,
    /// Every month of the period, oldest first, with nothing paid as zeros.
    pub by_month: Vec<MonthFigures>,
    /// Groups with lines in the period, by name.
    pub by_group: Vec<GroupFigures>,
    /// Methods that paid something in the period.
    pub by_method: Vec<MethodFigures>,
    pub totals: Figures,
    pub time_to_pay: TimeToPay,
}

fn day(field: &str, s: Option<&str>) -> Result<Option<NaiveDate>> {
    match s.map(str::trim).filter(|s| !s.is_empty()) {
        None => Ok(None),
        Some(s) => s
            .parse()
            .map(Some)
            .map_err(|_| Error::invalid(field, "must be a date such as 2025-06-30")),
    }
}

/// The summary of runs with a payment date from `from` to `to` (by default, the twelve months
/// up to `today`), of one group or all. Finance and admins.
pub fn summary(
    conn: &mut DbConnection,
    actor: &Actor,
    from: Option<&str>,
    to: Option<&str>,
    group_id: Option<String>,
    today: NaiveDate,
) -> Result<Summary> {
    actor.require(&[Role::Finance, Role::Admin])?;
    let to = day("to", to)?.unwrap_or(today);
    let from = day("from", from)?.unwrap_or_else(|| months_before(to, 11));
    if from > to {
        return Err(Error::invalid("from", "must not be after `to`"));
    }
    let span = months(from, to);
    if span.len() > MAX_MONTHS {
        return Err(Error::invalid(
            "from",
            format!("a summary covers at most {MAX_MONTHS} months"),
        ));
    }
    if let Some(g) = &group_id {
        if people::find_group(conn, g)?.is_none() {
            return Err(Error::invalid("group_id", "no group has this id"));
        }
    }
    let group = group_id.as_deref();

    let runs = q::runs_paid_between(conn, from, to)?;
    let paid_on: HashMap<String, NaiveDate> = runs.into_iter().map(|r| (r.0, r.1)).collect();
    let money = money(conn, &paid_on, &span, group)?;
    let time_to_pay = time_to_pay(conn, &paid_on, (from, to), group, today)?;
    Ok(Summary {
        from,
        to,
        group_id,
        by_month: money.by_month,
        by_group: money.by_group,
        by_method: money.by_method,
        totals: money.totals,
        time_to_pay,
    })
}

/// The money of a summary, by month, group and method.
struct MoneyFigures {
    by_month: Vec<MonthFigures>,
    by_group: Vec<GroupFigures>,
    by_method: Vec<MethodFigures>,
    totals: Figures,
}

/// What the runs of `paid_on` (run, payment date) did with the money, over the months of `span`.
fn money(
    conn: &mut DbConnection,
    paid_on: &HashMap<String, NaiveDate>,
    span: &[(i32, u32)],
    group: Option<&str>,
) -> Result<MoneyFigures> {
    let ids: Vec<String> = paid_on.keys().cloned().collect();
    let mut by_month: BTreeMap<(i32, u32), Figures> =
        span.iter().map(|m| (*m, Figures::default())).collect();
    let mut by_group = BTreeMap::<Option<String>, Figures>::new();
    let mut by_method = BTreeMap::<Method, Money>::new();
    let mut totals = Figures::default();
    for (run, g, method, kind, disposition, pence) in q::summary_lines(conn, &ids, group)? {
        use chrono::Datelike;
        let Some(date) = paid_on.get(&run) else {
            continue;
        };
        if let Some(f) = by_month.get_mut(&(date.year(), date.month())) {
            f.add(kind, disposition, pence);
        }
        by_group.entry(g).or_default().add(kind, disposition, pence);
        if let (Disposition::Paid, Some(m)) = (disposition, method) {
            *by_method.entry(m).or_insert(Money::ZERO) += Money::from_pence(pence);
        }
        totals.add(kind, disposition, pence);
    }
    let names: HashMap<String, String> = people::group_names(
        conn,
        &by_group.keys().flatten().cloned().collect::<Vec<_>>(),
    )?
    .into_iter()
    .collect();
    let mut by_group: Vec<GroupFigures> = by_group
        .into_iter()
        .map(|(id, figures)| GroupFigures {
            group_name: id
                .as_ref()
                .and_then(|i| names.get(i).cloned())
                .unwrap_or_else(|| "No group".into()),
            group_id: id,
            figures,
        })
        .collect();
    by_group.sort_by(|a, b| a.group_name.cmp(&b.group_name));

    Ok(MoneyFigures {
        by_month: by_month
            .into_iter()
            .map(|((y, m), figures)| MonthFigures {
                month: format!("{y:04}-{m:02}"),
                figures,
            })
            .collect(),
        by_group,
        by_method: by_method
            .into_iter()
            .map(|(method, paid)| MethodFigures { method, paid })
            .collect(),
        totals,
    })
}

/// How long what the runs of `paid_on` paid had waited, and what waits longest today.
fn time_to_pay(
    conn: &mut DbConnection,
    paid_on: &HashMap<String, NaiveDate>,
    (from, to): (NaiveDate, NaiveDate),
    group: Option<&str>,
    today: NaiveDate,
) -> Result<TimeToPay> {
    let waits: Vec<(i64, i64)> = q::paid_after(conn, paid_on, from, to, group)?
        .into_iter()
        .map(|(began, paid, n)| ((paid - began).num_days().max(0), n))
        .collect();
    let mut waiting: Vec<Waiting> = q::sessions_waiting(conn, today, group, WAITING)?
        .into_iter()
        .map(
            |(member_id, member_name, meeting_id, meeting_title, date)| Waiting {
                kind: "session".into(),
                member_id,
                member_name,
                meeting_id,
                meeting_title,
                days: (today - date).num_days(),
                date,
            },
        )
        .collect();
    waiting.extend(
        q::claims_waiting(conn, group, WAITING)?
            .into_iter()
            .filter_map(|(member_id, member_name, meeting_id, meeting_title, at)| {
                let date = at?.date();
                Some(Waiting {
                    kind: "claim".into(),
                    member_id,
                    member_name,
                    meeting_id,
                    meeting_title,
                    days: (today - date).num_days(),
                    date,
                })
            }),
    );
    waiting.sort_by(|a, b| b.days.cmp(&a.days).then(a.kind.cmp(&b.kind)));
    waiting.truncate(WAITING as usize);

    Ok(TimeToPay {
        paid: waits.iter().map(|(_, n)| n).sum(),
        median_days: percentile(&waits, 50),
        p90_days: percentile(&waits, 90),
        waiting,
    })
}
