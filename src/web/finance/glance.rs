//! Finance's home page: the money at a glance for a period (the twelve months to today unless
//! asked otherwise), built on the summary of `GET /api/v1/reports/summary`. Paid, donated,
//! declined, forgone and carried forward by month, by group and by method, each drawn as bars
//! (SVG made here, no script) with a table of the same figures below; and the time people wait
//! to be paid, with who has waited longest.

use actix_web::{web, HttpRequest, HttpResponse};
use chrono::NaiveDate;
use maud::{html, Markup};
use serde::Deserialize;

use super::{drafts, finance};
use crate::config::Settings;
use crate::db::Database;
use crate::domain::Money;
use crate::services::summary::{self, Figures, Summary};
use crate::services::Error;
use crate::web::{day, error_page, in_page_words, pounds, Ctx, FormErrors};

#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct Asked {
    from: String,
    to: String,
    group_id: String,
}

impl Asked {
    fn get(s: &str) -> Option<&str> {
        Some(s.trim()).filter(|s| !s.is_empty())
    }
}

const SUBJECTS: &[(&str, &str)] = &[
    ("from", "The first payment date"),
    ("to", "The last payment date"),
    ("group_id", "The group"),
];

/// "June 2025" for `2025-06`.
fn month_words(month: &str) -> String {
    NaiveDate::parse_from_str(&format!("{month}-01"), "%Y-%m-%d")
        .map_or_else(|_| month.to_string(), |d| d.format("%B %Y").to_string())
}

/// Horizontal bars, one a row, longest for the largest amount, each labelled with its amount:
/// drawn with presentation attributes only (the page's Content-Security-Policy allows no inline
/// style). The figures are in the table that follows it, so the drawing is described, not read.
pub fn bars(id: &str, title: &str, rows: &[(String, Money)]) -> Markup {
    const LABEL: i64 = 150;
    const BAR: i64 = 330;
    const ROW: i64 = 30;
    let largest = rows
        .iter()
        .map(|(_, m)| m.pence())
        .max()
        .unwrap_or(0)
        .max(1);
    let height = ROW * rows.len() as i64 + 10;
    let described = format!(
        "{title}: {}.",
        rows.iter()
            .map(|(l, m)| format!("{l} {}", pounds(*m)))
            .collect::<Vec<_>>()
            .join(", ")
    );
    html! {
        svg class="chart" role="img" viewBox={ "0 0 600 " (height) } aria-labelledby={ (id) "-title " (id) "-desc" }
            xmlns="http://www.w3.org/2000/svg" {
            title id={ (id) "-title" } { (title) }
            desc id={ (id) "-desc" } { (described) }
            @for (i, (label, amount)) in rows.iter().enumerate() {
                @let y = ROW * i as i64 + 5;
                @let width = (amount.pence().max(0) * BAR / largest).max(i64::from(amount.pence() > 0));
                text x=(LABEL - 8) y=(y + 19) text-anchor="end" font-size="14" fill="#1b1b1b" { (label) }
                rect x=(LABEL) y=(y + 4) width=(width) height=(ROW - 10) fill="#0b5394" {}
                text x=(LABEL + width + 6) y=(y + 19) font-size="14" fill="#1b1b1b" { (pounds(*amount)) }
            }
        }
    }
}

fn figures_cells(f: &Figures) -> Markup {
    html! {
        td class="money" { (pounds(f.fees_paid)) }
        td class="money" { (pounds(f.expenses_paid)) }
        td class="money" { (pounds(f.donated)) }
        td class="money" { (pounds(f.declined)) }
        td class="money" { (pounds(f.forgone)) }
        td class="money" { (pounds(f.carried_forward)) }
    }
}

fn figures_heads(first: &str) -> Markup {
    html! {
        thead { tr {
            th scope="col" { (first) }
            th scope="col" class="money" { "Fees paid" }
            th scope="col" class="money" { "Expenses paid" }
            th scope="col" class="money" { "Donated" }
            th scope="col" class="money" { "Declined" }
            th scope="col" class="money" { "Forgone" }
            th scope="col" class="money" { "Carried forward" }
        } }
    }
}

fn table(caption: &str, first: &str, rows: &[(String, Figures)], totals: &Figures) -> Markup {
    html! {
        div class="table-wrap" tabindex="0" role="region" aria-label=(caption) {
            table {
                caption { (caption) }
                (figures_heads(first))
                tbody {
                    @for (label, f) in rows {
                        tr { th scope="row" { (label) } (figures_cells(f)) }
                    }
                }
                tfoot { tr { th scope="row" { "Total" } (figures_cells(totals)) } }
            }
        }
    }
}

fn days_words(days: Option<i64>) -> String {
    match days {
        None => "No payments yet".into(),
        Some(1) => "1 day".into(),
        Some(d) => format!("{d} days"),
    }
}

fn glance(s: &Summary) -> Markup {
    let months: Vec<(String, Figures)> = s
        .by_month
        .iter()
        .map(|m| (month_words(&m.month), m.figures))
        .collect();
    let groups: Vec<(String, Figures)> = s
        .by_group
        .iter()
        .map(|g| (g.group_name.clone(), g.figures))
        .collect();
    let t = &s.time_to_pay;
    html! {
        div class="cards" {
            div class="card" { span class="figure" { (pounds(s.totals.paid())) } "paid to members" }
            div class="card" { span class="figure" { (pounds(s.totals.donated)) } "given to charities" }
            div class="card" { span class="figure" { (pounds(s.totals.carried_forward)) } "held back under a limit, to pay later" }
            div class="card" { span class="figure" { (days_words(t.median_days)) } "half of sessions and claims were paid within" }
            div class="card" { span class="figure" { (days_words(t.p90_days)) } "nine in ten were paid within" }
        }
        h2 id="by-month" { "By month" }
        p { "What runs with a payment date in each month paid to members (fees and expenses)." }
        (bars("chart-month", "Paid to members by month",
            &months.iter().map(|(l, f)| (l.clone(), f.paid())).collect::<Vec<_>>()))
        (table("Each month's money", "Month", &months, &s.totals))
        h2 id="by-group" { "By group" }
        @if groups.is_empty() {
            p { "Nothing was paid in this period." }
        } @else {
            (bars("chart-group", "Paid to members by group",
                &groups.iter().map(|(l, f)| (l.clone(), f.paid())).collect::<Vec<_>>()))
            (table("Each group's money", "Group", &groups, &s.totals))
        }
        h2 id="by-method" { "By method" }
        @if s.by_method.is_empty() {
            p { "Nothing was paid in this period." }
        } @else {
            @let methods: Vec<(String, Money)> = s.by_method.iter().map(|m| {
                let w = m.method.words();
                (format!("{}{}", w[..1].to_uppercase(), &w[1..]), m.paid)
            }).collect();
            (bars("chart-method", "Paid to members by method", &methods))
            div class="table-wrap" tabindex="0" role="region" aria-label="Paid by each method" {
                table {
                    caption { "Paid by each method" }
                    thead { tr { th scope="col" { "Method" } th scope="col" class="money" { "Paid" } } }
                    tbody { @for (l, m) in &methods { tr { th scope="row" { (l) } td class="money" { (pounds(*m)) } } } }
                }
            }
        }
        h2 id="time-to-pay" { "Time to pay" }
        p { (t.paid) " sessions and claims were paid in this period. Days are counted from the session, "
            "or from the day a claim was approved, to the payment date of the run that paid it." }
        h3 { "Waiting longest" }
        @if t.waiting.is_empty() {
            p { "Nothing attended or approved is waiting to be paid." }
        } @else {
            div class="table-wrap" tabindex="0" role="region" aria-label="Waiting longest to be paid" {
                table {
                    caption { "Waiting longest to be paid, longest first" }
                    thead { tr {
                        th scope="col" { "Who" }
                        th scope="col" { "For" }
                        th scope="col" { "Since" }
                        th scope="col" class="money" { "Days waiting" }
                    } }
                    tbody {
                        @for w in &t.waiting {
                            tr {
                                td { (w.member_name) }
                                td { @if w.kind == "claim" { "Expense claim, " } @else { "Session, " } (w.meeting_title) }
                                td { (day(w.date)) }
                                td class="money" { (w.days) }
                            }
                        }
                    }
                }
            }
        }
    }
}

pub async fn home(
    req: HttpRequest,
    db: web::Data<Database>,
    settings: web::Data<Settings>,
    q: web::Query<Asked>,
) -> HttpResponse {
    let actor = match finance(&req).await {
        Ok(a) => a,
        Err(res) => return res,
    };
    let asked = q.into_inner();
    let groups = match drafts::groups_for(&db, &actor).await {
        Ok(g) => g,
        Err(e) => return error_page(&req, Some(actor), &e),
    };
    let today = settings.today();
    let (a, f, t, g) = (
        actor.clone(),
        Asked::get(&asked.from).map(str::to_string),
        Asked::get(&asked.to).map(str::to_string),
        Asked::get(&asked.group_id).map(str::to_string),
    );
    let found = db
        .run(move |c| summary::summary(c, &a, f.as_deref(), t.as_deref(), g, today))
        .await;
    let (found, errors) = match found {
        Ok(s) => (Some(s), FormErrors::none()),
        Err(Error::Validation(errors)) => (None, FormErrors(in_page_words(&errors, SUBJECTS))),
        Err(e) => return error_page(&req, Some(actor), &e),
    };
    let ctx = Ctx::new(&req, Some(actor));
    let status = errors.status();
    let (from, to) = match &found {
        Some(s) => (s.from.to_string(), s.to.to_string()),
        None => (asked.from.clone(), asked.to.clone()),
    };
    let body = html! {
        h1 { "At a glance" }
        @if let Some(s) = &found {
            p { "Approved runs with a payment date from " (day(s.from)) " to " (day(s.to)) "." }
        }
        (errors.summary())
        form method="get" action="/finance" novalidate {
            div class="register-fields" {
                div { (errors.input("from", "From", "date", &from, Some("The first payment date counted"), "off")) }
                div { (errors.input("to", "To", "date", &to, Some("The last payment date counted"), "off")) }
                div {
                    (errors.label("group_id", "Group", None))
                    select id="group_id" name="group_id" aria-invalid=[errors.invalid("group_id")]
                        aria-describedby=[errors.described_by("group_id", false)] {
                        option value="" selected[asked.group_id.is_empty()] { "Every group" }
                        @for g in &groups { option value=(g.id) selected[asked.group_id == g.id] { (g.name) } }
                    }
                }
            }
            div { button type="submit" class="secondary" { "Show" } }
        }
        @if let Some(s) = &found { (glance(s)) }
    };
    ctx.page(status, "At a glance", body)
}
