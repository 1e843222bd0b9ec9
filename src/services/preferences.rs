//! A member's remuneration choices, kept as a history: every change is a new row effective from a
//! date, never before the member's last approved payment (what has been paid stays as it was
//! paid). The member sets their own; a coordinator may on their behalf (audited, and the member is
//! told by email); finance reads.

use chrono::{NaiveDate, Weekday};
use serde::Serialize;

use super::actor::{Actor, Role};
use super::audit::{self, instant, Change};
use super::scope::{self, Access};
use super::{input, Error, FieldError, Result};
use crate::db::pay::{self as rows, PreferenceRow};
use crate::db::people;
use crate::db::{self, write_tx, DbConnection};
use crate::domain::draft::{CapAmount, CapChoice, Choices};
use crate::domain::formats::Formats;
use crate::domain::limits;
use crate::domain::payrun::{CapPeriod, FeeChoice, FeeOption, Method, OverCap};
use crate::domain::periods::PeriodRule;
use crate::domain::Money;
use crate::export::format::long_date;
use crate::mail::{self, Template};

#[derive(Debug, Clone, Default)]
pub struct CapInput {
    pub amount: Option<Money>,
    pub limit_code: Option<String>,
    pub period: String,
    pub week_starts_on: Option<String>,
    pub month_anchor_day: Option<i64>,
    pub counts_methods: Option<Vec<String>>,
}

#[derive(Debug, Clone)]
pub struct PreferenceInput {
    pub effective_from: NaiveDate,
    pub fee_choice: String,
    pub reduced_max: Option<Money>,
    pub decline_expenses: Option<bool>,
    pub method: String,
    pub voucher_provider: Option<String>,
    pub charity: Option<String>,
    pub cap: Option<CapInput>,
    pub over_cap: Option<String>,
    pub notify_by_email: Option<bool>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct CapView {
    /// A fixed cap, or null when the cap follows a benefit limit.
    #[schema(value_type = Option<String>, example = "195.50")]
    pub amount: Option<Money>,
    pub limit_code: Option<String>,
    pub period: CapPeriod,
    pub week_starts_on: Option<String>,
    pub month_anchor_day: Option<i32>,
    pub counts_methods: Vec<Method>,
    /// The cap's amount on the date this view is for (the limit's figure then, or the fixed amount).
    #[schema(value_type = Option<String>, example = "195.50")]
    pub amount_in_force: Option<Money>,
}

#[derive(Debug, Clone, Serialize, utoipa::ToSchema)]
pub struct PreferenceView {
    /// Null when the member has never recorded a choice (the default applies).
    pub id: Option<String>,
    pub member_id: String,
    pub effective_from: Option<NaiveDate>,
    pub fee_choice: FeeOption,
    #[schema(value_type = Option<String>, example = "50.00")]
    pub reduced_max: Option<Money>,
    pub decline_expenses: bool,
    pub method: Method,
    pub voucher_provider: Option<String>,
    pub charity: Option<String>,
    pub cap: Option<CapView>,
    pub over_cap: OverCap,
    pub notify_by_email: bool,
    pub set_by: Option<String>,
    /// True when someone other than the member recorded it.
    pub set_on_behalf: bool,
    /// The role of whoever recorded it (null for the default, or an account since removed).
    pub set_by_role: Option<Role>,
    pub created_at: Option<String>,
    pub is_default: bool,
}

fn default_row(member_id: &str) -> PreferenceRow {
    PreferenceRow {
        id: String::new(),
        member_id: member_id.to_string(),
        effective_from: NaiveDate::MIN,
        fee_choice: FeeOption::Full,
        reduced_max_pence: None,
        decline_expenses: false,
        method: Method::BankTransfer,
        voucher_provider: None,
        charity: None,
        cap_amount_pence: None,
        cap_limit_code: None,
        cap_period: None,
        cap_week_starts_on: None,
        cap_month_anchor_day: None,
        cap_counts_methods: None,
        over_cap: OverCap::CarryForward,
        notify_by_email: true,
        set_by: None,
        created_at: chrono::NaiveDateTime::MIN,
    }
}

fn methods_of(s: Option<&str>) -> Vec<Method> {
    match s {
        None => Method::ALL.to_vec(),
        Some(s) => s.split(',').filter_map(Method::parse).collect(),
    }
}

/// A stored row as the domain's choices.
pub fn choices_of(r: &PreferenceRow) -> Choices {
    let fee_choice = match r.fee_choice {
        FeeOption::Reduced => FeeChoice::Reduced {
            reduced_max: Money::from_pence(r.reduced_max_pence.unwrap_or(0)),
        },
        FeeOption::Decline => FeeChoice::Decline,
        FeeOption::Donate => FeeChoice::Donate,
        FeeOption::Full => FeeChoice::Full,
    };
    let cap = r.cap_period.map(|p| {
        let period = match p {
            CapPeriod::Week => PeriodRule::Week {
                starts_on: r
                    .cap_week_starts_on
                    .as_deref()
                    .and_then(|d| d.parse::<Weekday>().ok())
                    .unwrap_or(Weekday::Mon),
            },
            CapPeriod::Month => PeriodRule::Month {
                anchor_day: r
                    .cap_month_anchor_day
                    .and_then(|d| u32::try_from(d).ok())
                    .unwrap_or(1),
            },
            CapPeriod::TaxYear => PeriodRule::TaxYear,
        };
        let amount = match (&r.cap_limit_code, r.cap_amount_pence) {
            (Some(code), _) => CapAmount::Limit(code.clone()),
            (None, p) => CapAmount::Fixed(Money::from_pence(p.unwrap_or(0))),
        };
        CapChoice {
            amount,
            period,
            counts_methods: methods_of(r.cap_counts_methods.as_deref()),
        }
    });
    Choices {
        member_id: r.member_id.clone(),
        effective_from: r.effective_from,
        fee_choice,
        decline_expenses: r.decline_expenses,
        method: r.method,
        charity: r.charity.clone(),
        cap,
        over_cap: r.over_cap,
        notify_by_email: r.notify_by_email,
    }
}

fn view(
    r: &PreferenceRow,
    member_id: &str,
    on: NaiveDate,
    limits_table: &[limits::BenefitLimit],
) -> PreferenceView {
    let is_default = r.id.is_empty();
    let cap = r.cap_period.map(|period| CapView {
        amount: r.cap_amount_pence.map(Money::from_pence),
        limit_code: r.cap_limit_code.clone(),
        period,
        week_starts_on: r.cap_week_starts_on.clone(),
        month_anchor_day: r.cap_month_anchor_day,
        counts_methods: methods_of(r.cap_counts_methods.as_deref()),
        amount_in_force: match &r.cap_limit_code {
            Some(code) => limits::in_force(limits_table, code, on).map(|l| l.amount),
            None => r.cap_amount_pence.map(Money::from_pence),
        },
    });
    PreferenceView {
        id: (!is_default).then(|| r.id.clone()),
        member_id: member_id.to_string(),
        effective_from: (!is_default).then_some(r.effective_from),
        fee_choice: r.fee_choice,
        reduced_max: r.reduced_max_pence.map(Money::from_pence),
        decline_expenses: r.decline_expenses,
        method: r.method,
        voucher_provider: r.voucher_provider.clone(),
        charity: r.charity.clone(),
        cap,
        over_cap: r.over_cap,
        notify_by_email: r.notify_by_email,
        set_by: r.set_by.clone(),
        set_on_behalf: false,
        set_by_role: None,
        created_at: (!is_default).then(|| instant(r.created_at)),
        is_default,
    }
}

/// Who may read a member's choices: the member, coordinators of their groups, finance, admins.
fn readable(conn: &mut DbConnection, actor: &Actor, member_id: &str) -> Result<()> {
    if people::find_member(conn, member_id)?.is_none() {
        return Err(Error::NotFound);
    }
    scope::member(conn, actor, member_id, Access::Read)
}

/// The choices in force on `on` (today by default).
pub fn current(
    conn: &mut DbConnection,
    actor: &Actor,
    member_id: &str,
    on: NaiveDate,
) -> Result<PreferenceView> {
    readable(conn, actor, member_id)?;
    let history = rows::preferences_of(conn, member_id)?;
    let limits_table = super::limits::load(conn)?;
    let row = pick(&history, on)
        .cloned()
        .unwrap_or_else(|| default_row(member_id));
    let mut v = view(&row, member_id, on, &limits_table);
    v.set_on_behalf = on_behalf(&row, own_account(conn, member_id)?.as_ref());
    v.set_by_role = role_of(conn, row.set_by.as_deref())?;
    Ok(v)
}

fn pick(history: &[PreferenceRow], on: NaiveDate) -> Option<&PreferenceRow> {
    crate::domain::draft::latest_in_force(history, on, |r| r.effective_from)
}

/// The member's own account id, to tell their choices from those recorded on their behalf.
fn own_account(conn: &mut DbConnection, member_id: &str) -> Result<Option<String>> {
    Ok(crate::db::accounts::find_by_member(conn, member_id)?.map(|a| a.id))
}

fn on_behalf(r: &PreferenceRow, own: Option<&String>) -> bool {
    r.set_by.is_some() && r.set_by.as_ref() != own
}

/// Every recorded choice, newest first.
pub fn history(
    conn: &mut DbConnection,
    actor: &Actor,
    member_id: &str,
) -> Result<Vec<PreferenceView>> {
    readable(conn, actor, member_id)?;
    let limits_table = super::limits::load(conn)?;
    let own = own_account(conn, member_id)?;
    let mut roles = std::collections::HashMap::new();
    let mut out = Vec::new();
    for r in rows::preferences_of(conn, member_id)?.iter().rev() {
        let mut v = view(r, member_id, r.effective_from, &limits_table);
        v.set_on_behalf = on_behalf(r, own.as_ref());
        if let Some(by) = &r.set_by {
            if !roles.contains_key(by) {
                roles.insert(by.clone(), role_of(conn, Some(by))?);
            }
            v.set_by_role = roles.get(by).copied().flatten();
        }
        out.push(v);
    }
    Ok(out)
}

/// The role of an account, when it still exists.
fn role_of(conn: &mut DbConnection, account_id: Option<&str>) -> Result<Option<Role>> {
    Ok(match account_id {
        Some(id) => crate::db::accounts::find(conn, id)?.map(|a| a.role),
        None => None,
    })
}

/// Checks choices as given and makes the row to store, in phases: the fee, how it is paid, what
/// is given to charity, then the cap. Every problem is reported at once.
fn check(
    conn: &mut DbConnection,
    member_id: &str,
    i: &PreferenceInput,
    set_by: &str,
) -> Result<PreferenceRow> {
    let mut errors = Vec::new();
    let fee_choice = check_fee(i, &mut errors);
    let (method, voucher_provider) = check_method(i, &mut errors);
    let charity = input::optional("charity", i.charity.as_deref(), 200, &mut errors);
    let over_cap = check_over_cap(i, fee_choice, charity.is_some(), &mut errors);
    let mut row = PreferenceRow {
        id: db::new_id(),
        member_id: member_id.to_string(),
        effective_from: i.effective_from,
        fee_choice: fee_choice.unwrap_or(FeeOption::Full),
        reduced_max_pence: i.reduced_max.map(Money::pence),
        decline_expenses: i.decline_expenses.unwrap_or(false),
        method: method.unwrap_or(Method::BankTransfer),
        voucher_provider,
        charity,
        cap_amount_pence: None,
        cap_limit_code: None,
        cap_period: None,
        cap_week_starts_on: None,
        cap_month_anchor_day: None,
        cap_counts_methods: None,
        over_cap: over_cap.unwrap_or(OverCap::CarryForward),
        notify_by_email: i.notify_by_email.unwrap_or(true),
        set_by: Some(set_by.to_string()),
        created_at: db::now(),
    };
    if let Some(cap) = &i.cap {
        check_cap(conn, cap, &mut row, &mut errors)?;
    }
    input::finish(errors)?;
    Ok(row)
}

/// The fee choice, and the most per activity for a reduced fee.
fn check_fee(i: &PreferenceInput, errors: &mut Vec<FieldError>) -> Option<FeeOption> {
    let fee_choice = FeeOption::parse(&i.fee_choice);
    if fee_choice.is_none() {
        errors.push(FieldError::new(
            "fee_choice",
            "must be `full`, `reduced`, `decline` or `donate`",
        ));
    }
    let reduced = fee_choice == Some(FeeOption::Reduced);
    match (reduced, i.reduced_max) {
        (true, None) => errors.push(FieldError::new(
            "reduced_max",
            "is needed for a reduced fee: the most to be paid for one activity",
        )),
        (true, Some(m)) if !m.is_positive() => errors.push(FieldError::new(
            "reduced_max",
            "must be more than 0.00 (to take no fee, choose `decline`)",
        )),
        (true, Some(m)) if m.pence() > 1_000_000 => {
            errors.push(FieldError::new("reduced_max", "must be at most 10000.00"))
        }
        (true, Some(_)) => {}
        (false, Some(_)) => errors.push(FieldError::new(
            "reduced_max",
            "is only for a reduced fee; leave it out",
        )),
        (false, None) => {}
    }
    fee_choice
}

/// How the member is paid, and the voucher scheme for vouchers.
fn check_method(
    i: &PreferenceInput,
    errors: &mut Vec<FieldError>,
) -> (Option<Method>, Option<String>) {
    let method = Method::parse(&i.method);
    if method.is_none() {
        errors.push(FieldError::new(
            "method",
            "must be `bank_transfer`, `payroll` or `voucher`",
        ));
    }
    let voucher_provider = input::optional(
        "voucher_provider",
        i.voucher_provider.as_deref(),
        200,
        errors,
    );
    if method == Some(Method::Voucher) && voucher_provider.is_none() {
        errors.push(FieldError::new(
            "voucher_provider",
            "is needed for vouchers: say which shop or scheme",
        ));
    }
    (method, voucher_provider)
}

/// What happens above the cap, and that a charity is named for any donation.
fn check_over_cap(
    i: &PreferenceInput,
    fee_choice: Option<FeeOption>,
    has_charity: bool,
    errors: &mut Vec<FieldError>,
) -> Option<OverCap> {
    let over_cap = match i.over_cap.as_deref() {
        None => Some(OverCap::CarryForward),
        Some(code) => OverCap::parse(code),
    };
    if over_cap.is_none() {
        errors.push(FieldError::new(
            "over_cap",
            "must be `carry_forward`, `forgo` or `donate`",
        ));
    }
    let donates = fee_choice == Some(FeeOption::Donate)
        || (i.cap.is_some() && over_cap == Some(OverCap::Donate));
    if !has_charity && donates {
        errors.push(FieldError::new(
            "charity",
            "is needed to donate: name the charity",
        ));
    }
    if i.over_cap.is_some() && i.cap.is_none() {
        errors.push(FieldError::new(
            "over_cap",
            "only matters with a cap; leave it out or add a cap",
        ));
    }
    over_cap
}

/// The cap: a fixed amount or a benefit limit, its period (with its start day) and which methods
/// count towards it; written into `row`.
fn check_cap(
    conn: &mut DbConnection,
    cap: &CapInput,
    row: &mut PreferenceRow,
    errors: &mut Vec<FieldError>,
) -> Result<()> {
    let limit_rows = match &cap.limit_code {
        Some(code) => crate::db::limits::all(conn, Some(code))?,
        None => Vec::new(),
    };
    match (&cap.amount, &cap.limit_code) {
        (Some(_), Some(_)) | (None, None) => errors.push(FieldError::new(
            "cap",
            "give either `amount` or `limit_code`, not both",
        )),
        (Some(a), None) if !a.is_positive() => {
            errors.push(FieldError::new("cap.amount", "must be more than 0.00"))
        }
        (Some(a), None) => row.cap_amount_pence = Some(a.pence()),
        (None, Some(code)) => {
            if limit_rows.is_empty() {
                errors.push(FieldError::new(
                    "cap.limit_code",
                    "is not a known benefit limit (see GET /api/v1/benefit-limits)",
                ));
            }
            row.cap_limit_code = Some(code.clone());
        }
    }
    let period = CapPeriod::parse(&cap.period);
    match period {
        Some(CapPeriod::Week) => {
            let day = cap.week_starts_on.as_deref().unwrap_or("monday");
            match day.parse::<Weekday>() {
                Ok(d) => row.cap_week_starts_on = Some(weekday_code(d).into()),
                Err(_) => errors.push(FieldError::new(
                    "cap.week_starts_on",
                    "must be a day such as `monday`",
                )),
            }
            if cap.month_anchor_day.is_some() {
                errors.push(FieldError::new(
                    "cap.month_anchor_day",
                    "is only for a monthly cap",
                ));
            }
        }
        Some(CapPeriod::Month) => {
            match cap.month_anchor_day.unwrap_or(1) {
                d @ 1..=28 => row.cap_month_anchor_day = i32::try_from(d).ok(),
                _ => errors.push(FieldError::new(
                    "cap.month_anchor_day",
                    "must be between 1 and 28 (the day your assessment period starts)",
                )),
            }
            if cap.week_starts_on.is_some() {
                errors.push(FieldError::new(
                    "cap.week_starts_on",
                    "is only for a weekly cap",
                ));
            }
        }
        Some(CapPeriod::TaxYear) => {
            if cap.week_starts_on.is_some() || cap.month_anchor_day.is_some() {
                errors.push(FieldError::new(
                    "cap.period",
                    "a tax-year cap has no start day to set",
                ));
            }
        }
        None => errors.push(FieldError::new(
            "cap.period",
            "must be `week`, `month` or `tax_year`",
        )),
    }
    if let Some(code) = &row.cap_limit_code {
        let limit_period = limit_rows.first().map(|l| l.period);
        if let Some(p) = limit_period.filter(|p| Some(p.as_str()) != period.map(CapPeriod::as_str))
        {
            errors.push(FieldError::new(
                "cap.period",
                format!("the limit `{code}` is counted per {p}, so the cap's period must match"),
            ));
        }
    }
    if let Some(ms) = &cap.counts_methods {
        if ms.is_empty() {
            errors.push(FieldError::new(
                "cap.counts_methods",
                "name at least one method, or leave it out (all methods count)",
            ));
        } else {
            let mut parsed = Vec::new();
            for (n, m) in ms.iter().enumerate() {
                match Method::parse(m) {
                    Some(p) if !parsed.contains(&p) => parsed.push(p),
                    Some(_) => {}
                    None => errors.push(FieldError::new(
                        format!("cap.counts_methods[{n}]"),
                        "must be `bank_transfer`, `payroll` or `voucher`",
                    )),
                }
            }
            row.cap_counts_methods = Some(
                parsed
                    .iter()
                    .map(|m| m.as_str())
                    .collect::<Vec<_>>()
                    .join(","),
            );
        }
    }
    row.cap_period = period;
    Ok(())
}

/// A weekday as its stored code.
fn weekday_code(d: Weekday) -> &'static str {
    match d {
        Weekday::Mon => "monday",
        Weekday::Tue => "tuesday",
        Weekday::Wed => "wednesday",
        Weekday::Thu => "thursday",
        Weekday::Fri => "friday",
        Weekday::Sat => "saturday",
        Weekday::Sun => "sunday",
    }
}

/// Who may record a member's choices: the member, a coordinator of one of their groups, an admin.
/// Finance reads only.
fn may_set(actor: &Actor, member_id: &str) -> Result<()> {
    match actor.role {
        Role::Member if actor.is_member(member_id) => Ok(()),
        Role::Member => Err(Error::NotFound),
        Role::Coordinator | Role::Admin => Ok(()),
        Role::Finance => Err(Error::Forbidden(
            "Finance reads payment choices; the member or their coordinator sets them.".into(),
        )),
    }
}

/// The member, and the checked row that `input` would store: every rule `set` applies, with
/// nothing written.
fn prepared(
    conn: &mut DbConnection,
    actor: &Actor,
    member_id: &str,
    input: &PreferenceInput,
) -> Result<(people::MemberRow, PreferenceRow)> {
    let member = people::find_member(conn, member_id)?.ok_or(Error::NotFound)?;
    scope::member(conn, actor, member_id, Access::Write)?;
    // Coordinators act for members of their own groups only (not for members in no group).
    if actor.role == Role::Coordinator
        && !people::member_groups(conn, member_id)?
            .iter()
            .any(|g| actor.coordinates(g))
    {
        return Err(Error::NotFound);
    }
    let row = check(conn, member_id, input, &actor.account_id)?;
    if let Some(last) = rows::last_approved_payment_date(conn, member_id)? {
        if row.effective_from < last {
            return Err(Error::invalid(
                "effective_from",
                format!("must be on or after {last}, the date of the last approved payment: what has been paid stays as it was paid"),
            ));
        }
    }
    Ok((member, row))
}

/// What `set` would record, checked by the same rules, without recording it: for a page that
/// shows "what this means" before the member confirms.
pub fn preview(
    conn: &mut DbConnection,
    actor: &Actor,
    member_id: &str,
    input: &PreferenceInput,
) -> Result<PreferenceView> {
    may_set(actor, member_id)?;
    let (_, row) = prepared(conn, actor, member_id, input)?;
    let limits_table = super::limits::load(conn)?;
    let mut v = view(&row, member_id, row.effective_from, &limits_table);
    v.set_on_behalf = !actor.is_member(member_id);
    v.set_by_role = Some(actor.role);
    Ok(v)
}

/// Records new choices from `effective_from`.
/// `base_url` is `server.public_url` without a trailing slash, for the link in the email a member
/// gets when someone records choices on their behalf.
pub fn set(
    conn: &mut DbConnection,
    actor: &Actor,
    member_id: &str,
    input: PreferenceInput,
    base_url: &str,
) -> Result<PreferenceView> {
    may_set(actor, member_id)?;
    write_tx(conn, |conn| {
        db::pay_lock(conn, false)?;
        let (member, row) = prepared(conn, actor, member_id, &input)?;
        rows::insert_preference(conn, &row)?;
        let limits_table = super::limits::load(conn)?;
        let mut v = view(&row, member_id, row.effective_from, &limits_table);
        let behalf = !actor.is_member(member_id);
        v.set_on_behalf = behalf;
        v.set_by_role = Some(actor.role);
        audit::record(
            conn,
            Some(actor),
            Change::new("preference.set", "member", member_id).after(&v),
        )?;
        if behalf {
            if let Some(email) = member.email.as_deref() {
                let name = member
                    .preferred_name
                    .clone()
                    .unwrap_or(member.full_name.clone());
                let msg = Template::new("Your payment choices were updated")
                    .greeting(name)
                    .paragraph(format!(
                        "Your coordinator has recorded new payment choices for you, from {}.",
                        long_date(row.effective_from)
                    ))
                    .list(summary(&v))
                    .paragraph("You can see and change your choices when you sign in. If you receive benefits, a welfare rights adviser can help you choose.")
                    .link("See your payment choices", format!("{base_url}/me/choices"))
                    .large_print(Formats::from_stored(&member.preferred_formats).large_print())
                    .render(email);
                mail::queue(conn, &format!("preference:{}", row.id), &msg)?;
            }
        }
        Ok(v)
    })
}

/// The choices in a few plain sentences (for emails and pages).
pub fn summary(v: &PreferenceView) -> Vec<String> {
    let method = v.method.words();
    let mut out = vec![match v.fee_choice {
        FeeOption::Reduced => format!(
            "You take at most £{} for each activity, by {method}.",
            v.reduced_max.unwrap_or(Money::ZERO)
        ),
        FeeOption::Decline => "You have chosen not to be paid fees.".to_string(),
        FeeOption::Donate => format!(
            "Your fees go to {}.",
            v.charity.as_deref().unwrap_or("your chosen charity")
        ),
        FeeOption::Full => format!("You are paid the full fee by {method}."),
    }];
    if let Some(cap) = &v.cap {
        let per = match cap.period {
            CapPeriod::Week => "a week",
            CapPeriod::Month => "a month",
            CapPeriod::TaxYear => "a tax year",
        };
        let amount = cap
            .amount_in_force
            .map_or_else(|| "your benefit limit".to_string(), |a| format!("£{a}"));
        let over = match v.over_cap {
            OverCap::Forgo => "you do not take anything above it".to_string(),
            OverCap::Donate => format!(
                "anything above it goes to {}",
                v.charity.as_deref().unwrap_or("your chosen charity")
            ),
            OverCap::CarryForward => "anything above it is kept for you and paid later".to_string(),
        };
        out.push(format!("Your fees are kept to {amount} {per}; {over}."));
    }
    if v.decline_expenses {
        out.push("You have chosen not to claim expenses.".into());
    } else {
        out.push("Your expenses are always paid in full, by bank transfer or payroll.".into());
    }
    out
}
