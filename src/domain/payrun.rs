//! The pay-run calculation for one member: fee lines through the member's fee choice, then the cap
//! (balances carried forward first, oldest first), expenses uncapped and in money, then payments,
//! one per payee and method. Pure: the same inputs always give the same lines.
//!
//! Ledger: new fees + balances carried in = paid + donated + declined + forgone + carried out.

use serde::{Deserialize, Serialize};

use super::money::Money;
use super::periods::{DateRange, PeriodRule, TaxYear};

crate::codes! {
    /// How a member is paid.
    pub enum Method ("payment method") {
        BankTransfer = "bank_transfer",
        Payroll = "payroll",
        Voucher = "voucher",
    }

    /// What the member chose to do with their fees: the code of `FeeChoice`.
    pub enum FeeOption ("fee choice") {
        Full = "full",
        Reduced = "reduced",
        Decline = "decline",
        Donate = "donate",
    }

    /// What happens to fees above a member's cap.
    pub enum OverCap ("choice for fees above the cap") {
        CarryForward = "carry_forward",
        Forgo = "forgo",
        Donate = "donate",
    }

    /// What a line of a pay run is for.
    pub enum LineKind ("line kind") {
        Fee = "fee",
        Prep = "prep",
        Expense = "expense",
        Carried = "carried",
        Adjustment = "adjustment",
    }

    /// What became of a line's money.
    pub enum Disposition ("disposition") {
        Paid = "paid",
        CarriedForward = "carried_forward",
        Forgone = "forgone",
        Donated = "donated",
        Declined = "declined",
    }

    /// Where a pay run is in its life: draft → approved → exported → paid, or cancelled.
    pub enum RunStatus ("pay run status") {
        Draft = "draft",
        Approved = "approved",
        Exported = "exported",
        Paid = "paid",
        Cancelled = "cancelled",
    }

    /// The period a member's cap is counted over.
    pub enum CapPeriod ("cap period") {
        Week = "week",
        Month = "month",
        TaxYear = "tax_year",
    }

    /// An adjustment corrects fees (capped, and subject to the fee choice) or expenses.
    pub enum AdjustmentKind ("adjustment kind") {
        Fee = "fee",
        Expense = "expense",
    }
}

impl Method {
    /// In words, for people.
    pub fn words(self) -> &'static str {
        match self {
            Method::BankTransfer => "bank transfer",
            Method::Payroll => "payroll",
            Method::Voucher => "voucher",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "fee_choice", rename_all = "snake_case")]
pub enum FeeChoice {
    Full,
    /// At most `reduced_max` for each activity; the rest is declined.
    Reduced {
        reduced_max: Money,
    },
    /// No fee: expenses only.
    Decline,
    /// The fee goes to the member's named charity and is not their earnings.
    Donate,
}

/// A cap whose amount has been looked up for the period in question.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cap {
    pub amount: Money,
    pub period: PeriodRule,
    /// Methods whose payments count towards the cap (vouchers count unless the member says not).
    pub counts_methods: Vec<Method>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preference {
    pub fee_choice: FeeChoice,
    pub method: Method,
    pub charity: Option<String>,
    pub cap: Option<Cap>,
    pub over_cap: OverCap,
}

impl Default for Preference {
    fn default() -> Preference {
        Preference {
            fee_choice: FeeChoice::Full,
            method: Method::BankTransfer,
            charity: None,
            cap: None,
            over_cap: OverCap::CarryForward,
        }
    }
}

impl Disposition {
    /// In words, for people.
    pub fn words(self) -> &'static str {
        match self {
            Disposition::Paid => "paid",
            Disposition::CarriedForward => "carried forward",
            Disposition::Forgone => "forgone",
            Disposition::Donated => "donated",
            Disposition::Declined => "declined",
        }
    }
}

impl LineKind {
    /// In words, for people.
    pub fn words(self) -> &'static str {
        match self {
            LineKind::Fee => "fee",
            LineKind::Prep => "preparation",
            LineKind::Expense => "expense",
            LineKind::Carried => "carried balance",
            LineKind::Adjustment => "adjustment",
        }
    }
}

impl RunStatus {
    /// In words, for people.
    pub fn words(self) -> &'static str {
        match self {
            RunStatus::Draft => "Draft",
            RunStatus::Approved => "Approved",
            RunStatus::Exported => "Exported",
            RunStatus::Paid => "Paid",
            RunStatus::Cancelled => "Cancelled",
        }
    }

    /// Approved, exported or paid: its lines are taken and locked.
    pub fn is_approved(self) -> bool {
        matches!(
            self,
            RunStatus::Approved | RunStatus::Exported | RunStatus::Paid
        )
    }
}

impl FeeChoice {
    /// The code of this choice.
    pub fn option(&self) -> FeeOption {
        match self {
            FeeChoice::Full => FeeOption::Full,
            FeeChoice::Reduced { .. } => FeeOption::Reduced,
            FeeChoice::Decline => FeeOption::Decline,
            FeeChoice::Donate => FeeOption::Donate,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(tag = "type", content = "name", rename_all = "snake_case")]
pub enum Payee {
    Member,
    Charity(String),
}

/// Something owed: a fee or preparation line already priced and rounded, an adjustment, or an
/// expense. `activity` groups the lines of one meeting (for a reduced fee's per-activity limit).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Item {
    pub source_id: String,
    pub kind: LineKind,
    pub activity: Option<String>,
    pub amount: Money,
    pub explanation: String,
}

/// A balance carried forward by an earlier run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Carried {
    pub source_id: String,
    pub amount: Money,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MemberRun {
    pub preference: Preference,
    /// Fee, preparation and fee-adjustment items, in the order they were earned.
    pub fees: Vec<Item>,
    /// Expense items (expense adjustments included).
    pub expenses: Vec<Item>,
    /// Balances carried in from earlier runs, oldest first.
    pub carried: Vec<Carried>,
    /// Fees already paid by counting methods in the cap period that holds this run's payment date.
    pub paid_in_cap_period: Money,
    /// Whether the member declines expenses too.
    pub decline_expenses: bool,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Line {
    pub source_id: String,
    pub kind: LineKind,
    pub amount: Money,
    pub disposition: Disposition,
    pub method: Option<Method>,
    pub payee: Option<Payee>,
    pub explanation: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Payment {
    pub payee: Payee,
    pub method: Method,
    pub fee_amount: Money,
    pub expenses_amount: Money,
    pub total: Money,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MemberResult {
    pub lines: Vec<Line>,
    pub payments: Vec<Payment>,
}

impl MemberResult {
    /// The sum of lines of a disposition, among fee-type lines (expenses excluded).
    pub fn fees(&self, d: Disposition) -> Money {
        self.lines
            .iter()
            .filter(|l| l.kind != LineKind::Expense && l.disposition == d)
            .map(|l| l.amount)
            .sum()
    }

    pub fn expenses_paid(&self) -> Money {
        self.lines
            .iter()
            .filter(|l| l.kind == LineKind::Expense && l.disposition == Disposition::Paid)
            .map(|l| l.amount)
            .sum()
    }
}

struct Due {
    source_id: String,
    kind: LineKind,
    amount: Money,
    explanation: String,
}

/// Computes one member's lines and payments for a run, phase by phase. Each phase accounts for
/// every penny it is given, which keeps the ledger whole: the fee choice turns each fee into an
/// amount due and declined or donated lines that add up to it; the cap turns each amount due
/// (carried balances among them) into a paid line and a carried-forward, forgone or donated line
/// that add up to it; expenses stay outside the ledger; payments only add up lines already made.
pub fn compute(input: &MemberRun) -> MemberResult {
    let pref = &input.preference;
    let charity = pref
        .charity
        .clone()
        .unwrap_or_else(|| "the member's chosen charity".into());
    let (due, mut lines) = apply_fee_choice(input, &charity);
    lines.extend(apply_cap(due, pref, input.paid_in_cap_period, &charity));
    lines.extend(expense_lines(input));
    let payments = payments_of(&lines);
    MemberResult { lines, payments }
}

/// Phase 1, the fee choice: what is declined or donated never becomes the member's earnings.
/// Gives what is due to the member before the cap (balances carried in first, oldest first, then
/// fees in the order they were earned) and the lines of what was declined or donated.
fn apply_fee_choice(input: &MemberRun, charity: &str) -> (Vec<Due>, Vec<Line>) {
    let pref = &input.preference;
    let mut lines = Vec::new();
    let mut due: Vec<Due> = input
        .carried
        .iter()
        .map(|c| Due {
            source_id: c.source_id.clone(),
            kind: LineKind::Carried,
            amount: c.amount,
            explanation: "carried forward from an earlier run".into(),
        })
        .collect();
    let mut used_per_activity: Vec<(String, Money)> = Vec::new();
    for item in &input.fees {
        // A recovery (a negative adjustment) is taken from what the member is paid, whatever
        // their fee choice: declining or donating never cancels an overpayment.
        if item.amount.is_negative() {
            due.push(Due {
                source_id: item.source_id.clone(),
                kind: item.kind,
                amount: item.amount,
                explanation: item.explanation.clone(),
            });
            continue;
        }
        match &pref.fee_choice {
            FeeChoice::Decline => lines.push(Line {
                source_id: item.source_id.clone(),
                kind: item.kind,
                amount: item.amount,
                disposition: Disposition::Declined,
                method: None,
                payee: None,
                explanation: format!("{}; declined by the member's choice", item.explanation),
            }),
            FeeChoice::Donate => lines.push(Line {
                source_id: item.source_id.clone(),
                kind: item.kind,
                amount: item.amount,
                disposition: Disposition::Donated,
                method: Some(Method::BankTransfer),
                payee: Some(Payee::Charity(charity.to_string())),
                explanation: format!(
                    "{}; donated to {charity} by the member's choice",
                    item.explanation
                ),
            }),
            FeeChoice::Reduced { reduced_max } => reduce(
                item,
                *reduced_max,
                &mut used_per_activity,
                &mut due,
                &mut lines,
            ),
            FeeChoice::Full => due.push(Due {
                source_id: item.source_id.clone(),
                kind: item.kind,
                amount: item.amount,
                explanation: item.explanation.clone(),
            }),
        }
    }
    (due, lines)
}

/// A reduced fee: at most `reduced_max` of each activity's fees is due (the fee and preparation of
/// one meeting share it, tracked in `used_per_activity`); the rest is declined.
fn reduce(
    item: &Item,
    reduced_max: Money,
    used_per_activity: &mut Vec<(String, Money)>,
    due: &mut Vec<Due>,
    lines: &mut Vec<Line>,
) {
    let key = item
        .activity
        .clone()
        .unwrap_or_else(|| item.source_id.clone());
    let used = used_per_activity
        .iter()
        .find(|(k, _)| *k == key)
        .map_or(Money::ZERO, |(_, u)| *u);
    let room = (reduced_max - used).max(Money::ZERO);
    let keep = if item.amount.is_negative() {
        item.amount
    } else {
        item.amount.min(room)
    };
    let decline = item.amount - keep;
    match used_per_activity.iter_mut().find(|(k, _)| *k == key) {
        Some((_, u)) => *u += keep,
        None => used_per_activity.push((key, keep)),
    }
    if !keep.is_zero() {
        due.push(Due {
            source_id: item.source_id.clone(),
            kind: item.kind,
            amount: keep,
            explanation: format!(
                "{}; reduced to at most £{reduced_max} an activity",
                item.explanation
            ),
        });
    }
    if !decline.is_zero() {
        lines.push(Line {
            source_id: item.source_id.clone(),
            kind: item.kind,
            amount: decline,
            disposition: Disposition::Declined,
            method: None,
            payee: None,
            explanation: format!(
                "{}; above the reduced amount the member chose",
                item.explanation
            ),
        });
    }
}

/// Phase 2, the cap, on money paid in the cap period: what is due is paid in order (so carried
/// balances first) while the headroom lasts, and the rest goes as the member chose above the cap.
/// A cap that does not count the member's method does not apply.
fn apply_cap(
    due: Vec<Due>,
    pref: &Preference,
    paid_in_cap_period: Money,
    charity: &str,
) -> Vec<Line> {
    let mut lines = Vec::new();
    let capped = pref
        .cap
        .as_ref()
        .filter(|c| c.counts_methods.contains(&pref.method));
    let mut headroom = capped.map(|c| (c.amount - paid_in_cap_period).max(Money::ZERO));
    // Negative adjustments reduce what is due before the cap is applied.
    let credit: Money = due
        .iter()
        .filter(|d| d.amount.is_negative())
        .map(|d| d.amount)
        .sum();
    if let Some(h) = headroom.as_mut() {
        *h -= credit;
    }
    for d in due {
        if d.amount.is_negative() {
            lines.push(paid(d, pref.method));
            continue;
        }
        let pay = match headroom {
            Some(h) => d.amount.min(h.max(Money::ZERO)),
            None => d.amount,
        };
        let over = d.amount - pay;
        if let Some(h) = headroom.as_mut() {
            *h -= pay;
        }
        // A zero line is still recorded, so its source is settled and never offered again.
        if !pay.is_zero() || over.is_zero() {
            lines.push(paid(
                Due {
                    amount: pay,
                    ..clone_due(&d)
                },
                pref.method,
            ));
        }
        if !over.is_zero() {
            let cap_amount = capped.map_or(Money::ZERO, |c| c.amount);
            lines.push(over_cap(&d, over, cap_amount, pref.over_cap, charity));
        }
    }
    lines
}

/// The part of an amount due that is above the cap: carried forward, forgone or donated, as the
/// member chose.
fn over_cap(d: &Due, over: Money, cap_amount: Money, choice: OverCap, charity: &str) -> Line {
    let (disposition, payee, method, what) = match choice {
        OverCap::CarryForward => (
            Disposition::CarriedForward,
            None,
            None,
            "carried forward to a later run".to_string(),
        ),
        OverCap::Forgo => (
            Disposition::Forgone,
            None,
            None,
            "forgone by the member's choice".to_string(),
        ),
        OverCap::Donate => (
            Disposition::Donated,
            Some(Payee::Charity(charity.to_string())),
            Some(Method::BankTransfer),
            format!("donated to {charity}"),
        ),
    };
    Line {
        source_id: d.source_id.clone(),
        kind: d.kind,
        amount: over,
        disposition,
        method,
        payee,
        explanation: format!("{}; above the cap of £{cap_amount}: {what}", d.explanation),
    }
}

/// Phase 3, expenses: in money (never vouchers), uncapped, unless declined too.
fn expense_lines(input: &MemberRun) -> Vec<Line> {
    let expense_method = match input.preference.method {
        Method::Voucher => Method::BankTransfer,
        m => m,
    };
    let mut lines = Vec::new();
    for e in &input.expenses {
        let (disposition, method, payee, note) =
            if input.decline_expenses && !e.amount.is_negative() {
                (
                    Disposition::Declined,
                    None,
                    None,
                    "; declined by the member's choice",
                )
            } else {
                (
                    Disposition::Paid,
                    Some(expense_method),
                    Some(Payee::Member),
                    "",
                )
            };
        lines.push(Line {
            source_id: e.source_id.clone(),
            kind: e.kind,
            amount: e.amount,
            disposition,
            method,
            payee,
            explanation: format!("{}{note}", e.explanation),
        });
    }
    lines
}

/// Phase 4, payments: one per payee and method, adding up the paid and donated lines.
fn payments_of(lines: &[Line]) -> Vec<Payment> {
    let mut payments: Vec<Payment> = Vec::new();
    for l in lines {
        let (Some(payee), Some(method)) = (&l.payee, l.method) else {
            continue;
        };
        if !matches!(l.disposition, Disposition::Paid | Disposition::Donated) {
            continue;
        }
        let i = match payments
            .iter()
            .position(|p| p.payee == *payee && p.method == method)
        {
            Some(i) => i,
            None => {
                payments.push(Payment {
                    payee: payee.clone(),
                    method,
                    fee_amount: Money::ZERO,
                    expenses_amount: Money::ZERO,
                    total: Money::ZERO,
                });
                payments.len() - 1
            }
        };
        let p = &mut payments[i];
        if l.kind == LineKind::Expense {
            p.expenses_amount += l.amount;
        } else {
            p.fee_amount += l.amount;
        }
        p.total += l.amount;
    }
    payments.retain(|p| !p.total.is_zero() || !p.fee_amount.is_zero());
    payments
}

fn clone_due(d: &Due) -> Due {
    Due {
        source_id: d.source_id.clone(),
        kind: d.kind,
        amount: d.amount,
        explanation: d.explanation.clone(),
    }
}

fn paid(d: Due, method: Method) -> Line {
    Line {
        source_id: d.source_id,
        kind: d.kind,
        amount: d.amount,
        disposition: Disposition::Paid,
        method: Some(method),
        payee: Some(Payee::Member),
        explanation: d.explanation,
    }
}

/// The cap period that holds a payment date (money counts when it is received).
pub fn cap_period(cap: &Cap, payment_date: chrono::NaiveDate) -> DateRange {
    cap.period.containing(payment_date)
}

/// The trading allowance: casual income up to £1,000 a tax year needs no declaring.
pub const TRADING_ALLOWANCE_PENCE: i64 = 100_000;

/// Whether fees paid in a tax year pass the trading allowance (strictly more than it).
pub fn passes_trading_allowance(paid_fees: Money, allowance: Money) -> bool {
    paid_fees > allowance
}

/// A tax year's label for statements.
pub fn tax_year_of(d: chrono::NaiveDate) -> TaxYear {
    TaxYear::containing(d)
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::Weekday;
    use proptest::prelude::*;

    fn m(s: &str) -> Money {
        s.parse().unwrap()
    }

    fn fee(id: &str, amount: &str) -> Item {
        Item {
            source_id: id.into(),
            kind: LineKind::Fee,
            activity: Some(id.into()),
            amount: m(amount),
            explanation: format!("fee {id}"),
        }
    }

    fn esa_weekly() -> Preference {
        Preference {
            cap: Some(Cap {
                amount: m("195.50"),
                period: PeriodRule::Week {
                    starts_on: Weekday::Mon,
                },
                counts_methods: vec![Method::BankTransfer, Method::Payroll, Method::Voucher],
            }),
            over_cap: OverCap::CarryForward,
            ..Preference::default()
        }
    }

    fn run(
        pref: Preference,
        fees: Vec<Item>,
        carried: Vec<Carried>,
        paid_before: &str,
    ) -> MemberResult {
        compute(&MemberRun {
            preference: pref,
            fees,
            expenses: vec![],
            carried,
            paid_in_cap_period: m(paid_before),
            decline_expenses: false,
        })
    }

    #[test]
    fn example_6_a_weekly_esa_cap_carries_the_excess_forward() {
        // Run paid Friday 2025-07-04 (week Monday 30 June to Sunday 6 July).
        let cap = esa_weekly().cap.unwrap();
        let week = cap_period(&cap, "2025-07-04".parse().unwrap());
        assert_eq!(
            (week.start.to_string(), week.end.to_string()),
            ("2025-06-30".into(), "2025-07-06".into())
        );
        let first = run(
            esa_weekly(),
            vec![fee("a", "150.00"), fee("b", "150.00"), fee("c", "75.00")],
            vec![],
            "0.00",
        );
        assert_eq!(first.fees(Disposition::Paid), m("195.50"));
        assert_eq!(first.fees(Disposition::CarriedForward), m("179.50"));
        assert_eq!(first.payments.len(), 1);
        assert_eq!(first.payments[0].total, m("195.50"));

        // Next run, paid 2025-08-01 (another week), adds £75.00: due £254.50, paid £195.50,
        // carried £59.00, balances first.
        let carried: Vec<Carried> = first
            .lines
            .iter()
            .filter(|l| l.disposition == Disposition::CarriedForward)
            .map(|l| Carried {
                source_id: l.source_id.clone(),
                amount: l.amount,
            })
            .collect();
        let second = run(esa_weekly(), vec![fee("d", "75.00")], carried, "0.00");
        assert_eq!(second.fees(Disposition::Paid), m("195.50"));
        assert_eq!(second.fees(Disposition::CarriedForward), m("59.00"));
        let paid_carried: Money = second
            .lines
            .iter()
            .filter(|l| l.kind == LineKind::Carried && l.disposition == Disposition::Paid)
            .map(|l| l.amount)
            .sum();
        assert_eq!(paid_carried, m("179.50"), "carried balances are paid first");
        // Earned £450.00 = paid £391.00 + carried £59.00.
        assert_eq!(
            first.fees(Disposition::Paid) + second.fees(Disposition::Paid),
            m("391.00")
        );
    }

    #[test]
    fn a_cap_counts_what_was_already_paid_in_the_period_and_can_forgo_or_donate() {
        let r = run(esa_weekly(), vec![fee("a", "150.00")], vec![], "100.00");
        assert_eq!(r.fees(Disposition::Paid), m("95.50"));
        let forgo = Preference {
            over_cap: OverCap::Forgo,
            ..esa_weekly()
        };
        let r = run(forgo, vec![fee("a", "250.00")], vec![], "0.00");
        assert_eq!(r.fees(Disposition::Forgone), m("54.50"));
        let donate = Preference {
            over_cap: OverCap::Donate,
            charity: Some("Carers Trust".into()),
            ..esa_weekly()
        };
        let r = run(donate, vec![fee("a", "250.00")], vec![], "0.00");
        assert_eq!(r.fees(Disposition::Donated), m("54.50"));
        assert!(r
            .payments
            .iter()
            .any(|p| p.payee == Payee::Charity("Carers Trust".into()) && p.total == m("54.50")));
        // Vouchers that do not count leave the cap aside.
        let vouchers = Preference {
            method: Method::Voucher,
            cap: Some(Cap {
                counts_methods: vec![Method::BankTransfer],
                ..esa_weekly().cap.unwrap()
            }),
            ..esa_weekly()
        };
        assert_eq!(
            run(vouchers, vec![fee("a", "300.00")], vec![], "0.00").fees(Disposition::Paid),
            m("300.00")
        );
    }

    #[test]
    fn example_7_a_member_who_declines_is_paid_expenses_only() {
        let r = compute(&MemberRun {
            preference: Preference {
                fee_choice: FeeChoice::Decline,
                ..Preference::default()
            },
            fees: vec![fee("meeting", "75.00")],
            expenses: vec![Item {
                source_id: "car".into(),
                kind: LineKind::Expense,
                activity: None,
                amount: m("12.60"),
                explanation: "28 miles × 45p".into(),
            }],
            carried: vec![],
            paid_in_cap_period: Money::ZERO,
            decline_expenses: false,
        });
        assert_eq!(r.expenses_paid(), m("12.60"));
        assert_eq!(r.fees(Disposition::Paid), m("0.00"));
        assert_eq!(r.fees(Disposition::Declined), m("75.00"));
        assert_eq!(r.payments.len(), 1);
        assert_eq!(
            (r.payments[0].fee_amount, r.payments[0].expenses_amount),
            (m("0.00"), m("12.60"))
        );
    }

    #[test]
    fn example_8_a_donated_fee_is_paid_to_the_charity() {
        let pref = Preference {
            fee_choice: FeeChoice::Donate,
            charity: Some("Mind".into()),
            ..Preference::default()
        };
        let r = run(pref, vec![fee("a", "150.00")], vec![], "0.00");
        assert_eq!(
            r.fees(Disposition::Paid),
            m("0.00"),
            "no earnings for the member"
        );
        assert_eq!(
            r.payments,
            vec![Payment {
                payee: Payee::Charity("Mind".into()),
                method: Method::BankTransfer,
                fee_amount: m("150.00"),
                expenses_amount: m("0.00"),
                total: m("150.00")
            }]
        );
    }

    #[test]
    fn example_10_the_trading_allowance_is_passed_above_1000() {
        let allowance = Money::from_pence(TRADING_ALLOWANCE_PENCE);
        assert!(passes_trading_allowance(m("1020.00"), allowance));
        assert!(!passes_trading_allowance(m("1000.00"), allowance));
        assert_eq!(
            tax_year_of("2026-01-15".parse().unwrap()).to_string(),
            "2025-26"
        );
    }

    #[test]
    fn a_reduced_fee_is_limited_per_activity_and_vouchers_never_pay_expenses() {
        let pref = Preference {
            fee_choice: FeeChoice::Reduced {
                reduced_max: m("50.00"),
            },
            method: Method::Voucher,
            ..Preference::default()
        };
        let mut prep = fee("a-prep", "20.00");
        prep.activity = Some("a".into());
        let r = compute(&MemberRun {
            preference: pref,
            fees: vec![fee("a", "75.00"), prep, fee("b", "30.00")],
            expenses: vec![Item {
                source_id: "taxi".into(),
                kind: LineKind::Expense,
                activity: None,
                amount: m("8.00"),
                explanation: "taxi".into(),
            }],
            carried: vec![],
            paid_in_cap_period: Money::ZERO,
            decline_expenses: false,
        });
        assert_eq!(
            r.fees(Disposition::Paid),
            m("80.00"),
            "£50 for a, £30 for b"
        );
        assert_eq!(r.fees(Disposition::Declined), m("45.00"));
        let methods: Vec<Method> = r.payments.iter().map(|p| p.method).collect();
        assert_eq!(methods, [Method::Voucher, Method::BankTransfer]);
    }

    fn any_pref() -> impl Strategy<Value = Preference> {
        let choice = prop_oneof![
            Just(FeeChoice::Full),
            (0i64..20_000).prop_map(|p| FeeChoice::Reduced {
                reduced_max: Money::from_pence(p)
            }),
            Just(FeeChoice::Decline),
            Just(FeeChoice::Donate),
        ];
        let method = prop_oneof![
            Just(Method::BankTransfer),
            Just(Method::Payroll),
            Just(Method::Voucher)
        ];
        let over = prop_oneof![
            Just(OverCap::CarryForward),
            Just(OverCap::Forgo),
            Just(OverCap::Donate)
        ];
        let cap = proptest::option::of((0i64..60_000, proptest::bool::ANY).prop_map(
            |(p, vouchers)| Cap {
                amount: Money::from_pence(p),
                period: PeriodRule::Week {
                    starts_on: Weekday::Mon,
                },
                counts_methods: if vouchers {
                    vec![Method::BankTransfer, Method::Payroll, Method::Voucher]
                } else {
                    vec![Method::BankTransfer, Method::Payroll]
                },
            },
        ));
        (choice, method, cap, over).prop_map(|(fee_choice, method, cap, over_cap)| Preference {
            fee_choice,
            method,
            charity: Some("A charity".into()),
            cap,
            over_cap,
        })
    }

    fn any_run() -> impl Strategy<Value = MemberRun> {
        let items = proptest::collection::vec((0i64..40_000, 0usize..4), 0..12);
        let carried = proptest::collection::vec(1i64..30_000, 0..4);
        let expenses = proptest::collection::vec(1i64..10_000, 0..4);
        (
            any_pref(),
            items,
            carried,
            expenses,
            0i64..60_000,
            proptest::bool::weighted(0.1),
        )
            .prop_map(
                |(preference, items, carried, expenses, before, decline_expenses)| MemberRun {
                    preference,
                    fees: items
                        .into_iter()
                        .enumerate()
                        .map(|(i, (p, act))| Item {
                            source_id: format!("f{i}"),
                            kind: LineKind::Fee,
                            activity: Some(format!("m{act}")),
                            amount: Money::from_pence(p),
                            explanation: String::new(),
                        })
                        .collect(),
                    expenses: expenses
                        .into_iter()
                        .enumerate()
                        .map(|(i, p)| Item {
                            source_id: format!("e{i}"),
                            kind: LineKind::Expense,
                            activity: None,
                            amount: Money::from_pence(p),
                            explanation: String::new(),
                        })
                        .collect(),
                    carried: carried
                        .into_iter()
                        .enumerate()
                        .map(|(i, p)| Carried {
                            source_id: format!("c{i}"),
                            amount: Money::from_pence(p),
                        })
                        .collect(),
                    paid_in_cap_period: Money::from_pence(before),
                    decline_expenses,
                },
            )
    }

    proptest! {
        /// Earned + carried in = paid + donated + declined + forgone + carried out, to the penny.
        #[test]
        fn the_ledger_balances(input in any_run()) {
            let r = compute(&input);
            let earned: Money = input.fees.iter().map(|i| i.amount).sum::<Money>() + input.carried.iter().map(|c| c.amount).sum::<Money>();
            let accounted = r.fees(Disposition::Paid) + r.fees(Disposition::Donated) + r.fees(Disposition::Declined)
                + r.fees(Disposition::Forgone) + r.fees(Disposition::CarriedForward);
            prop_assert_eq!(earned, accounted);
            let expenses: Money = input.expenses.iter().map(|e| e.amount).sum();
            let expense_lines: Money = r.lines.iter().filter(|l| l.kind == LineKind::Expense).map(|l| l.amount).sum();
            prop_assert_eq!(expenses, expense_lines);
        }

        /// No cap period is ever paid over its cap.
        #[test]
        fn a_cap_is_never_exceeded(input in any_run()) {
            let r = compute(&input);
            if let Some(cap) = input.preference.cap.as_ref().filter(|c| c.counts_methods.contains(&input.preference.method)) {
                if input.paid_in_cap_period <= cap.amount {
                    let paid_to_member = r.lines.iter().filter(|l| l.kind != LineKind::Expense && l.disposition == Disposition::Paid).map(|l| l.amount).sum::<Money>();
                    prop_assert!(input.paid_in_cap_period + paid_to_member <= cap.amount);
                }
            }
        }

        /// Payments add up to their lines, and a total to its parts.
        #[test]
        fn totals_equal_the_sum_of_their_lines(input in any_run()) {
            let r = compute(&input);
            let in_payments: Money = r.payments.iter().map(|p| p.total).sum();
            let paying: Money = r.lines.iter().filter(|l| matches!(l.disposition, Disposition::Paid | Disposition::Donated)).map(|l| l.amount).sum();
            prop_assert_eq!(in_payments, paying);
            for p in &r.payments {
                prop_assert_eq!(p.total, p.fee_amount + p.expenses_amount);
            }
            prop_assert!(r.payments.iter().all(|p| p.method != Method::Voucher || p.expenses_amount.is_zero()), "no expenses in vouchers");
        }

        /// The same inputs give the same result: recalculating a draft changes nothing.
        #[test]
        fn recalculating_changes_nothing(input in any_run()) {
            prop_assert_eq!(compute(&input), compute(&input));
        }
    }
}
