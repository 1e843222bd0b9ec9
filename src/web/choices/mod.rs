//! The payment choices form, shared by a member's own pages and a coordinator's pages for a member:
//! every question the API's `PUT /members/{id}/preference` takes, each explained in plain words;
//! then a page that says what the answers mean before anything is saved. The rules are the
//! service's (`preferences::preview` checks exactly what `preferences::set` will).

use chrono::NaiveDate;
use maud::{html, Markup};
use serde::Deserialize;

use super::{day, in_page_words, pounds, FormErrors};
use crate::domain::limits::{self, BenefitLimit};
use crate::domain::payrun::{CapPeriod, FeeOption, Method};
use crate::domain::Money;
use crate::services::preferences::{CapInput, PreferenceInput, PreferenceView};
use crate::services::{FieldError, Role};

pub mod pages;

/// The answers as the form sends them: every field a string, as typed.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(default)]
pub struct ChoicesForm {
    pub csrf: String,
    /// `check` from the form, `edit` from the page that checks the answers.
    pub step: String,
    pub effective_from: String,
    pub fee_choice: String,
    pub reduced_max: String,
    pub charity: String,
    pub expenses: String,
    pub method: String,
    pub voucher_provider: String,
    pub cap: String,
    #[serde(rename = "cap.limit_code")]
    pub limit_code: String,
    #[serde(rename = "cap.amount")]
    pub cap_amount: String,
    #[serde(rename = "cap.period")]
    pub period: String,
    #[serde(rename = "cap.week_starts_on")]
    pub week_starts_on: String,
    #[serde(rename = "cap.month_anchor_day")]
    pub month_anchor_day: String,
    pub vouchers_count: String,
    pub over_cap: String,
    pub notify_by_email: String,
}

impl ChoicesForm {
    /// The form filled in with the choices in force, to change from `from`.
    pub fn from_view(v: &PreferenceView, from: NaiveDate) -> ChoicesForm {
        let cap = v.cap.as_ref();
        ChoicesForm {
            csrf: String::new(),
            step: String::new(),
            effective_from: from.to_string(),
            fee_choice: v.fee_choice.as_str().into(),
            reduced_max: v.reduced_max.map(|m| m.to_string()).unwrap_or_default(),
            charity: v.charity.clone().unwrap_or_default(),
            expenses: if v.decline_expenses { "no" } else { "yes" }.into(),
            method: v.method.as_str().into(),
            voucher_provider: v.voucher_provider.clone().unwrap_or_default(),
            cap: match cap {
                None => "none",
                Some(c) if c.limit_code.is_some() => "limit",
                Some(_) => "amount",
            }
            .into(),
            limit_code: cap.and_then(|c| c.limit_code.clone()).unwrap_or_default(),
            cap_amount: cap
                .and_then(|c| c.amount)
                .map(|m| m.to_string())
                .unwrap_or_default(),
            period: cap
                .map(|c| c.period.as_str().to_string())
                .unwrap_or_default(),
            week_starts_on: cap
                .and_then(|c| c.week_starts_on.clone())
                .unwrap_or_default(),
            month_anchor_day: cap
                .and_then(|c| c.month_anchor_day)
                .map(|d| d.to_string())
                .unwrap_or_default(),
            vouchers_count: match cap {
                Some(c) if !c.counts_methods.contains(&Method::Voucher) => "no",
                _ => "yes",
            }
            .into(),
            over_cap: v.over_cap.as_str().into(),
            notify_by_email: if v.notify_by_email { "yes" } else { "no" }.into(),
        }
    }

    /// The answers as the service's input, and the problems found in reading them (a date or an
    /// amount that is not one). `limits` gives a limit's own period when none was chosen.
    pub fn input(&self, limits_table: &[BenefitLimit]) -> (PreferenceInput, Vec<FieldError>) {
        let mut errors = Vec::new();
        let effective_from = match self.effective_from.trim().parse::<NaiveDate>() {
            Ok(d) => d,
            Err(_) => {
                errors.push(FieldError::new(
                    "effective_from",
                    "Enter the date your choices start, such as 2026-05-01",
                ));
                NaiveDate::MIN
            }
        };
        let fee_choice = self.fee_choice.trim().to_string();
        let reduced = fee_choice == FeeOption::Reduced.as_str();
        let reduced_max = if reduced {
            money("reduced_max", &self.reduced_max, &mut errors)
        } else {
            None
        };
        let cap = self.cap_input(limits_table, &mut errors);
        let input = PreferenceInput {
            effective_from,
            fee_choice,
            reduced_max,
            decline_expenses: Some(self.expenses == "no"),
            method: self.method.trim().to_string(),
            voucher_provider: (self.method == Method::Voucher.as_str())
                .then(|| text(&self.voucher_provider))
                .flatten(),
            charity: text(&self.charity),
            over_cap: cap.as_ref().map(|_| self.over_cap.trim().to_string()),
            cap,
            notify_by_email: Some(self.notify_by_email != "no"),
        };
        (input, errors)
    }

    fn cap_input(
        &self,
        limits_table: &[BenefitLimit],
        errors: &mut Vec<FieldError>,
    ) -> Option<CapInput> {
        let (amount, limit_code) = match self.cap.as_str() {
            "limit" => (None, text(&self.limit_code)),
            "amount" => (money("cap.amount", &self.cap_amount, errors), None),
            "none" => return None,
            _ => {
                errors.push(FieldError::new(
                    "cap",
                    "Choose whether to set a limit on your fees",
                ));
                return None;
            }
        };
        if self.cap == "limit" && limit_code.is_none() {
            errors.push(FieldError::new(
                "cap.limit_code",
                "Choose the benefit limit",
            ));
        }
        if self.cap == "amount" && amount.is_none() && self.cap_amount.trim().is_empty() {
            errors.push(FieldError::new(
                "cap.amount",
                "Enter the most you can be paid in one period, such as 195.50",
            ));
        }
        // A benefit limit is counted over its own period: when none was chosen, that one.
        let period = match (text(&self.period), &limit_code) {
            (Some(p), _) => p,
            (None, Some(code)) => limits_table
                .iter()
                .find(|l| &l.code == code)
                .map(|l| l.period.as_str().to_string())
                .unwrap_or_default(),
            (None, None) => String::new(),
        };
        let week = period == CapPeriod::Week.as_str();
        let month = period == CapPeriod::Month.as_str();
        let month_anchor_day = match (month, self.month_anchor_day.trim()) {
            (true, "") | (false, _) => None,
            (true, d) => match d.parse::<i64>() {
                Ok(n) => Some(n),
                Err(_) => {
                    errors.push(FieldError::new(
                        "cap.month_anchor_day",
                        "Enter the day of the month, a number from 1 to 28",
                    ));
                    None
                }
            },
        };
        Some(CapInput {
            amount,
            limit_code,
            week_starts_on: week.then(|| text(&self.week_starts_on)).flatten(),
            month_anchor_day,
            period,
            counts_methods: (self.vouchers_count == "no").then(|| {
                vec![
                    Method::BankTransfer.as_str().to_string(),
                    Method::Payroll.as_str().to_string(),
                ]
            }),
        })
    }

    /// Every answer as a hidden field, for the page that checks them before saving.
    pub fn hidden(&self) -> Markup {
        html! {
            @for (name, value) in self.pairs() {
                input type="hidden" name=(name) value=(value);
            }
        }
    }

    fn pairs(&self) -> [(&'static str, &str); 17] {
        [
            ("effective_from", &self.effective_from),
            ("fee_choice", &self.fee_choice),
            ("reduced_max", &self.reduced_max),
            ("charity", &self.charity),
            ("expenses", &self.expenses),
            ("method", &self.method),
            ("voucher_provider", &self.voucher_provider),
            ("cap", &self.cap),
            ("cap.limit_code", &self.limit_code),
            ("cap.amount", &self.cap_amount),
            ("cap.period", &self.period),
            ("cap.week_starts_on", &self.week_starts_on),
            ("cap.month_anchor_day", &self.month_anchor_day),
            ("vouchers_count", &self.vouchers_count),
            ("over_cap", &self.over_cap),
            ("notify_by_email", &self.notify_by_email),
            ("step", "edit"),
        ]
    }
}

fn text(s: &str) -> Option<String> {
    let t = s.trim();
    (!t.is_empty()).then(|| t.to_string())
}

fn money(field: &str, typed: &str, errors: &mut Vec<FieldError>) -> Option<Money> {
    FormErrors::typed_pounds(field, typed, errors)
}

/// The questions of the form, by the service's field names.
const SUBJECTS: &[(&str, &str)] = &[
    ("effective_from", "The date your choices start"),
    ("fee_choice", "Your fee choice"),
    ("reduced_max", "The most you take for one session"),
    ("charity", "The charity"),
    ("method", "How you are paid"),
    ("voucher_provider", "The voucher shop or scheme"),
    ("cap", "Your limit"),
    ("cap.period", "Your limit"),
    ("cap.amount", "Your limit amount"),
    ("cap.limit_code", "The benefit limit"),
    ("cap.week_starts_on", "The first day of your week"),
    ("cap.month_anchor_day", "The day your month starts"),
    ("over_cap", "What happens above your limit"),
];

/// The problems to show: those found reading the form, then the service's for other fields.
pub fn merged(read: Vec<FieldError>, service: &[FieldError]) -> FormErrors {
    let mut all = read;
    for e in in_page_words(service, SUBJECTS) {
        if !all.iter().any(|r| r.field == e.field) {
            all.push(e);
        }
    }
    FormErrors(all)
}

/// A set of radio buttons under one question.
fn radios(
    errors: &FormErrors,
    name: &str,
    legend: &str,
    hint: Option<&str>,
    chosen: &str,
    options: &[(&str, &str, &str)],
) -> Markup {
    let described = errors.described_by(name, hint.is_some());
    html! {
        fieldset class="question" aria-describedby=[described.as_deref()] {
            legend { (legend) }
            @if let Some(h) = hint { span class="hint" id={ (name) "-hint" } { (h) } }
            @if let Some(e) = errors.message(name) {
                span class="field-error" id={ (name) "-error" } { span class="visually-hidden" { "Error: " } (e) }
            }
            div class="radios" {
                @for (n, (value, words, explained)) in options.iter().enumerate() {
                    @let id = if n == 0 { name.to_string() } else { format!("{name}-{value}") };
                    div class="radio" {
                        input type="radio" id=(id) name=(name) value=(value) checked[chosen == *value]
                            aria-describedby=[(!explained.is_empty()).then(|| format!("{id}-about"))];
                        label for=(id) { (words) }
                        @if !explained.is_empty() { span class="hint" id={ (id) "-about" } { (explained) } }
                    }
                }
            }
        }
    }
}

fn field(errors: &FormErrors, name: &str, label: &str, hint: Option<&str>, value: &str) -> Markup {
    html! {
        (errors.label(name, label, hint))
        input type="text" id=(name) name=(name) value=(value)
            aria-invalid=[errors.invalid(name)]
            aria-describedby=[errors.described_by(name, hint.is_some())];
    }
}

/// The figure of each benefit limit in force on `on`, for the list to choose from.
fn limit_options(limits_table: &[BenefitLimit], on: NaiveDate) -> Vec<(String, String)> {
    let mut codes: Vec<&str> = limits_table.iter().map(|l| l.code.as_str()).collect();
    codes.sort_unstable();
    codes.dedup();
    codes
        .into_iter()
        .filter_map(|code| {
            let l = limits::in_force(limits_table, code, on)?;
            let name = limits::words(code).map_or_else(|| code.replace('_', " "), str::to_string);
            let per = match l.period {
                limits::LimitPeriod::Week => "a week",
                limits::LimitPeriod::Month => "a month",
            };
            Some((
                code.to_string(),
                format!("{name}: {} {per} today", pounds(l.amount)),
            ))
        })
        .collect()
}

const WEEKDAYS: [(&str, &str); 7] = [
    ("monday", "Monday"),
    ("tuesday", "Tuesday"),
    ("wednesday", "Wednesday"),
    ("thursday", "Thursday"),
    ("friday", "Friday"),
    ("saturday", "Saturday"),
    ("sunday", "Sunday"),
];

/// The whole form. `about` is "your" for the member, or the member's name for a coordinator.
pub struct FormPage<'a> {
    pub action: &'a str,
    pub csrf: Markup,
    pub answers: &'a ChoicesForm,
    pub errors: &'a FormErrors,
    pub limits: &'a [BenefitLimit],
    pub today: NaiveDate,
}

pub fn form(p: &FormPage) -> Markup {
    let f = p.answers;
    let e = p.errors;
    html! {
        (e.summary())
        @if let Some(msg) = e.message("form") { p class="field-error" id="form" { (msg) } }
        form method="post" action=(p.action) novalidate {
            (p.csrf)
            input type="hidden" name="step" value="check";
            h2 { "Your fee" }
            (radios(e, "fee_choice", "How do you want your fee for each session?", None, &f.fee_choice, &[
                ("full", "The full fee", "You are paid the full amount for every session."),
                ("reduced", "Less than the full fee", "You take up to an amount you choose for each session. The rest is not paid. Some people do this to keep within a benefit rule."),
                ("decline", "No fee", "You take part without a fee."),
                ("donate", "Give my fee to a charity", "We pay your fee to a charity you name. It is not paid to you."),
            ]))
            (field(e, "reduced_max", "If less than the full fee: the most for one session, in pounds", Some("For example, 20.00"), &f.reduced_max))
            (field(e, "charity", "The charity, if you give your fee or anything above your limit", None, &f.charity))
            (radios(e, "expenses", "Do you want your costs paid back?", Some("Such as bus fares or mileage. Costs paid back are not earnings."), &f.expenses, &[
                ("yes", "Yes, pay my costs back", ""),
                ("no", "No, I will not claim costs", ""),
            ]))
            h2 { "How you are paid" }
            (radios(e, "method", "How do you want to be paid?", None, &f.method, &[
                ("bank_transfer", "Into my bank account", "We pay straight into your account."),
                ("payroll", "Through payroll", "You are paid with a payslip. Tax may be taken off."),
                ("voucher", "In vouchers", "Vouchers count as earnings for most benefits. Costs are still paid into your bank."),
            ]))
            (field(e, "voucher_provider", "If vouchers: which shop or scheme", None, &f.voucher_provider))
            h2 { "A limit on your fees" }
            p { "If you get benefits, a limit keeps your fees under a benefit rule. We never pay fees above it in one period." }
            (radios(e, "cap", "Do you want a limit?", None, &f.cap, &[
                ("none", "No limit", ""),
                ("limit", "Yes, a benefit limit", "We use the figure in force on each payment date, so it changes when the rules change."),
                ("amount", "Yes, an amount I choose", ""),
            ]))
            (e.label("cap.limit_code", "If a benefit limit: which one", None))
            select id="cap.limit_code" name="cap.limit_code" aria-invalid=[e.invalid("cap.limit_code")]
                aria-describedby=[e.described_by("cap.limit_code", false)] {
                option value="" selected[f.limit_code.is_empty()] { "Choose a limit" }
                @for (code, words) in limit_options(p.limits, p.today) {
                    option value=(code) selected[f.limit_code == code] { (words) }
                }
            }
            (field(e, "cap.amount", "If an amount: the most in one period, in pounds", Some("For example, 195.50"), &f.cap_amount))
            (radios(e, "cap.period", "What period is the limit for?", Some("A benefit limit has its own period; you need not choose."), &f.period, &[
                ("week", "A week", ""),
                ("month", "A month", "For Universal Credit, your month is your assessment period."),
                ("tax_year", "A tax year", "6 April to 5 April."),
            ]))
            (e.label("cap.week_starts_on", "If a week: the first day of your week", None))
            select id="cap.week_starts_on" name="cap.week_starts_on" aria-invalid=[e.invalid("cap.week_starts_on")]
                aria-describedby=[e.described_by("cap.week_starts_on", false)] {
                @for (code, words) in WEEKDAYS {
                    option value=(code) selected[f.week_starts_on == code || (f.week_starts_on.is_empty() && code == "monday")] { (words) }
                }
            }
            (e.label("cap.month_anchor_day", "If a month: the day of the month it starts", Some("For Universal Credit, the day your assessment period starts, from 1 to 28")))
            input type="number" inputmode="numeric" min="1" max="28" id="cap.month_anchor_day" name="cap.month_anchor_day"
                value=(f.month_anchor_day) aria-invalid=[e.invalid("cap.month_anchor_day")]
                aria-describedby=[e.described_by("cap.month_anchor_day", true)];
            (radios(e, "vouchers_count", "Do vouchers count towards the limit?", None, &f.vouchers_count, &[
                ("yes", "Yes", "Most benefits count vouchers as earnings."),
                ("no", "No, only money paid to me", ""),
            ]))
            (radios(e, "over_cap", "What happens to fees above the limit?", None, &f.over_cap, &[
                ("carry_forward", "Keep them for me and pay them later", "They are paid in a later period, when there is room under the limit."),
                ("forgo", "I do not take them", "They are not paid."),
                ("donate", "Give them to my charity", "Name the charity above."),
            ]))
            h2 { "Emails and dates" }
            (radios(e, "notify_by_email", "Do you want an email when a payment is approved and when it is paid?", None, &f.notify_by_email, &[
                ("yes", "Yes, email me", ""),
                ("no", "No emails", ""),
            ]))
            (e.label("effective_from", "From which date?", Some("Usually today. It cannot be before your last approved payment.")))
            input type="date" id="effective_from" name="effective_from" value=(f.effective_from)
                aria-invalid=[e.invalid("effective_from")]
                aria-describedby=[e.described_by("effective_from", true)];
            div { button type="submit" { "Continue" } }
        }
    }
}

/// What the choices mean, in sentences, before they are saved.
pub fn meaning(v: &PreferenceView) -> Markup {
    let mut lines = crate::services::preferences::summary(v);
    if let Some(from) = v.effective_from {
        if let Some(first) = lines.first_mut() {
            *first = format!("From {}, {}", day(from), lower_first(first));
        }
    }
    if !v.notify_by_email {
        lines.push("You will not get emails about payments.".into());
    }
    html! {
        ul class="meaning" { @for l in &lines { li { (l) } } }
    }
}

fn lower_first(s: &str) -> String {
    let mut c = s.chars();
    match c.next() {
        Some(f) => f.to_lowercase().chain(c).collect(),
        None => String::new(),
    }
}

/// The advice every choices page gives.
pub fn adviser() -> Markup {
    html! {
        p { "Benefit rules can be hard. Before you choose, you may want to speak to a welfare rights adviser, "
            "for example at Citizens Advice or your local council." }
    }
}

/// Who recorded a choice, as the member reads it.
fn recorded_by(v: &PreferenceView, own: bool) -> &'static str {
    match (v.set_on_behalf, v.set_by_role) {
        (false, _) if own => "You",
        (false, _) => "The member",
        (true, Some(Role::Coordinator)) if own => "Your coordinator",
        (true, Some(Role::Coordinator)) => "A coordinator",
        (true, Some(Role::Admin)) => "An administrator",
        (true, _) => "Someone for you",
    }
}

/// Every recorded choice, newest first, with who recorded it (`own`: as the member reads it).
pub fn history(items: &[PreferenceView], own: bool) -> Markup {
    html! {
        @if items.is_empty() {
            p { "No choices have been recorded yet, so the full fee by bank transfer applies." }
        } @else {
            div class="table-wrap" tabindex="0" role="region" aria-label="Choices recorded, newest first" {
                table {
                    caption { "Choices recorded, newest first" }
                    thead { tr {
                        th scope="col" { "From" }
                        th scope="col" { "Choices" }
                        th scope="col" { "Recorded by" }
                    } }
                    tbody {
                        @for v in items {
                            tr {
                                td { @if let Some(d) = v.effective_from { (day(d)) } }
                                td { @for l in crate::services::preferences::summary(v) { (l) " " } }
                                td { (recorded_by(v, own)) }
                            }
                        }
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn form() -> ChoicesForm {
        ChoicesForm {
            effective_from: "2026-05-01".into(),
            fee_choice: "full".into(),
            expenses: "yes".into(),
            method: "bank_transfer".into(),
            cap: "limit".into(),
            limit_code: "esa_permitted_work".into(),
            vouchers_count: "yes".into(),
            over_cap: "carry_forward".into(),
            notify_by_email: "yes".into(),
            ..ChoicesForm::default()
        }
    }

    #[test]
    fn a_benefit_limit_takes_its_own_period() {
        let (input, errors) = form().input(&limits::shipped());
        assert!(errors.is_empty(), "{errors:?}");
        let cap = input.cap.expect("a cap");
        assert_eq!(cap.period, "week");
        assert_eq!(cap.limit_code.as_deref(), Some("esa_permitted_work"));
        assert_eq!(input.over_cap.as_deref(), Some("carry_forward"));
    }

    #[test]
    fn amounts_are_pounds_and_pence() {
        let mut f = form();
        f.cap = "amount".into();
        f.cap_amount = "£1,020.5".into();
        let (input, errors) = f.input(&[]);
        assert!(errors.is_empty(), "{errors:?}");
        assert_eq!(
            input.cap.and_then(|c| c.amount),
            Some(Money::from_pence(102_050))
        );
        f.cap_amount = "12.505".into();
        let (_, errors) = f.input(&[]);
        assert_eq!(errors[0].field, "cap.amount");
        assert!(errors[0].message.contains("no more than 2"), "{errors:?}");
    }

    #[test]
    fn no_cap_sends_no_over_cap() {
        let mut f = form();
        f.cap = "none".into();
        let (input, errors) = f.input(&[]);
        assert!(errors.is_empty());
        assert!(input.cap.is_none() && input.over_cap.is_none());
    }

    #[test]
    fn service_words_become_page_words() {
        let e = merged(
            vec![],
            &[FieldError::new(
                "charity",
                "is needed to donate: name the charity",
            )],
        );
        assert_eq!(
            e.message("charity"),
            Some("The charity is needed to donate: name the charity")
        );
    }
}
