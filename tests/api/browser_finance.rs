//! Finance's whole job in a real browser (the shared Chromium of `browser.rs`), on both backends:
//! a group's rate card made from the form, a run drafted from the form, worked out again after a
//! late change to the register, cancelled and drafted again, approved by a second finance
//! officer, downloaded and marked paid; an overpayment taken back by the next run; both reports
//! on screen and downloaded; and finance's home page, whose figures are the runs' own and whose
//! time to pay is what the days say when counted by hand. Every page is checked with axe-core.

use chrono::Duration;
use rust_decimal::Decimal;
use serde_json::{json, Value};

use crate::both_backends;
use crate::browser::Browser;
use crate::helpers::TestBackend;
use crate::payruns::{ok, World};

fn pounds(v: &Value) -> Decimal {
    v.as_str()
        .unwrap_or_else(|| panic!("an amount: {v}"))
        .parse()
        .unwrap()
}

/// The run the page shows, by the id at the end of its address.
fn run_of(url: &str) -> String {
    url.rsplit("/runs/")
        .next()
        .and_then(|rest| rest.split(['?', '#']).next())
        .unwrap()
        .to_string()
}

async fn run(w: &World, id: &str) -> Value {
    ok(
        w.app
            .get_as(&format!("/api/v1/pay-runs/{id}"), &w.finance.token)
            .await,
        200,
    )
    .await
}

/// Drafts a run for the group from the form on the runs page, and returns its id.
async fn draft(b: &Browser, group: &str, from: &str, to: &str, pay: &str) -> String {
    b.click("a[href='/runs']").await;
    b.press(&format!("select#group_id option[value='{group}']"))
        .await;
    b.set_date("period_start", from).await;
    b.set_date("period_end", to).await;
    b.set_date("payment_date", pay).await;
    b.click("main form[action='/runs'] button[type=submit]")
        .await;
    run_of(&b.url().await)
}

/// Sam attends a meeting 40 days ago (with half an hour of preparation) and Kim is added late to
/// the register of one 33 days ago; the run paid 26 days ago pays both (waits of 14 and 7 days).
/// Sam's meeting 10 days ago is paid by a run 2 days ago (8 days), less an overpayment of £15.
/// Counted by hand, the waits are 7, 8 and 14 days: the median (nearest rank, the 2nd of 3) is 8
/// and the 90th percentile (the 3rd of 3) is 14. Kim's meeting 3 days ago waits.
async fn finance_does_their_whole_job_in_the_browser(backend: TestBackend) {
    let Some(b) = Browser::start().await else {
        return;
    };
    let w = World::new(backend).await;
    let today = w.app.settings.today();
    let day = |n: i64| (today + Duration::days(n)).to_string();
    let kim = w.new_member("Kim Lee", "member").await;
    let url = w.app.url("");
    let g = w.group.clone();

    // A card for the group: half or full day for a meeting, with preparation by the hour.
    b.sign_in(&url, &w.finance.email).await;
    assert!(b.url().await.ends_with("/finance"), "{}", b.url().await);
    b.click("a[href='/rate-cards']").await;
    b.assert_accessible("rate cards, none yet").await;
    b.click("a[href='/rate-cards/new']").await;
    b.assert_accessible("the rate card form").await;
    b.fill("#name", "River meetings").await;
    b.press(&format!("select#group_id option[value='{g}']"))
        .await;
    b.set_date("effective_from", &day(-400)).await;
    let rule = |x: &str| format!("[id='rules[0].{x}']");
    b.press("select[name='rules[0].activity_kind'] option[value='meeting']")
        .await;
    b.press("select[name='rules[0].basis'] option[value='band']")
        .await;
    b.fill(&rule("half_day_amount"), "75.005").await;
    b.fill(&rule("full_day_amount"), "150.00").await;
    b.fill(&rule("boundary_minutes"), "240").await;
    b.fill(&rule("prep_hourly_rate"), "20.00").await;
    b.click("main form[action='/rate-cards/new'] button[type=submit]")
        .await;
    let shown = b.text(".error-summary").await;
    assert!(shown.contains("no more than 2 numbers"), "{shown}");
    b.assert_accessible("the rate card form with an error")
        .await;
    b.fill(&rule("half_day_amount"), "75.00").await;
    b.click("main form[action='/rate-cards/new'] button[type=submit]")
        .await;
    let main = b.text("main").await;
    assert!(
        main.contains("£75.00 a half day; £150.00 (a full day over 4 hours)"),
        "{main}"
    );
    assert!(main.contains("£20.00 an hour"), "{main}");
    b.assert_accessible("a rate card").await;

    // The sessions, as the coordinator records them.
    let first = w.meeting(&day(-40), 180, "meeting").await;
    ok(
        w.register(
            &first,
            json!([{"member_id": w.member_id, "status": "attended", "prep_minutes": 30}]),
        )
        .await,
        200,
    )
    .await;
    let second = w.meeting(&day(-33), 180, "meeting").await;

    // Drafted from the form: Sam's £75 and £10 of preparation.
    let id = draft(&b, &g, &day(-45), &day(-30), &day(-26)).await;
    b.assert_accessible("a draft run").await;
    assert_eq!(run(&w, &id).await["total"], "85.00");
    assert!(b.text("main").await.contains("£85.00"));

    // Kim is added to a register late; the draft is worked out again.
    ok(
        w.register(&second, json!([{"member_id": kim, "status": "attended"}]))
            .await,
        200,
    )
    .await;
    b.click(&format!(
        "main form[action='/runs/{id}/recalculate'] button"
    ))
    .await;
    assert_eq!(run(&w, &id).await["total"], "160.00");
    assert!(b.text("main").await.contains("£160.00"));
    b.click(&format!("main form[action='/runs/{id}/cancel'] button"))
        .await;
    assert!(b.text("main").await.contains("ancelled"));
    assert_eq!(run(&w, &id).await["status"], "cancelled");
    let id = draft(&b, &g, &day(-45), &day(-30), &day(-26)).await;
    let drafted = run(&w, &id).await;
    assert_eq!(
        (drafted["total"].as_str(), drafted["payment_count"].as_i64()),
        (Some("160.00"), Some(2)),
        "{drafted}"
    );
    b.sign_out().await;

    // A second finance officer approves it, downloads it and marks it paid.
    b.sign_in(&url, &w.approver.email).await;
    b.click("a[href='/runs']").await;
    b.click(&format!("a[href='/runs/{id}']")).await;
    // By keyboard alone: the figures typed, and Enter sends the form.
    b.fill("#expected_total", "160.00").await;
    b.fill("#expected_count", "2").await;
    b.enter("#expected_count").await;
    assert!(b.text("main").await.contains("Approved"));
    b.press("form[action$='/export']:has(input[value=csv]) button")
        .await;
    let csv = String::from_utf8(b.downloaded("csv").await).unwrap();
    let rows: Vec<&str> = csv.lines().collect();
    assert_eq!(rows.len(), 4, "a header, two payments and the total: {csv}");
    assert!(rows.iter().any(|r| r.contains("85.00")), "{csv}");
    assert!(rows.iter().any(|r| r.contains("75.00")), "{csv}");
    assert!(
        rows[3].starts_with("TOTAL,") && rows[3].contains("160.00"),
        "{csv}"
    );
    b.fill("#reference", "BACS 0426").await;
    b.click(&format!("main form[action='/runs/{id}/mark-paid'] button"))
        .await;
    assert_eq!(run(&w, &id).await["status"], "paid");
    b.assert_accessible("a paid run").await;

    // Sam was overpaid £15: taken back by the next run.
    b.click("a[href='/finance/members']").await;
    b.fill("#q", "Sam").await;
    b.click("main form[action='/finance/members'] button").await;
    b.click(&format!("a[href='/finance/members/{}']", w.member_id))
        .await;
    b.assert_accessible("a member's money").await;
    b.fill("#amount", "-15.00").await;
    b.fill("#reason", "Overpaid for the review").await;
    b.click(&format!(
        "main form[action='/finance/members/{}/adjustments'] button[type=submit]",
        w.member_id
    ))
    .await;
    // Whether it corrects a fee or an expense is asked, not assumed.
    let shown = b.text(".error-summary").await;
    assert!(shown.contains("fee or an expense"), "{shown}");
    b.assert_accessible("an adjustment refused").await;
    b.type_keys("#kind", " ").await;
    b.press(&format!("select#group_id option[value='{g}']"))
        .await;
    b.click(&format!(
        "main form[action='/finance/members/{}/adjustments'] button[type=submit]",
        w.member_id
    ))
    .await;
    let main = b.text("main").await;
    assert!(main.contains("The adjustment is made."), "{main}");
    assert!(main.contains("Waiting for the next run."), "{main}");
    w.session(&w.member_id, &day(-10), 180).await;
    let next = draft(&b, &g, &day(-15), &day(-5), &day(-2)).await;
    assert_eq!(run(&w, &next).await["total"], "60.00");
    b.sign_out().await;
    b.sign_in(&url, &w.finance.email).await;
    b.goto(&w.app.url(&format!("/runs/{next}"))).await;
    b.fill("#expected_total", "60.00").await;
    b.fill("#expected_count", "1").await;
    b.click("form[action$='/approve'] button").await;
    assert!(b.text("main").await.contains("Approved"));
    b.goto(&w.app.url(&format!("/finance/members/{}", w.member_id)))
        .await;
    assert!(
        !b.find(&format!("main a[href='/runs/{next}']"))
            .await
            .is_empty(),
        "the adjustment names the run that paid it"
    );
    assert!(b.text("main").await.contains("Paid by"));
    b.click("nav a[href='/finance/members']").await;
    b.click("a[href='/finance/adjustments']").await;
    b.assert_accessible("adjustments").await;

    // The payments report for the last two months, on screen and downloaded.
    b.click("a[href='/finance/reports']").await;
    b.set_date("from", &day(-60)).await;
    b.set_date("to", &day(0)).await;
    b.click("main form[action='/finance/reports'] button").await;
    let main = b.text("main").await;
    assert!(main.contains("3 payments, £220.00"), "{main}");
    b.assert_accessible("the payments report").await;
    b.press("main a[href*='format=csv']").await;
    let csv = String::from_utf8(b.downloaded("csv").await).unwrap();
    let last = csv.lines().last().unwrap_or_default();
    assert!(
        last.starts_with("TOTAL") && last.contains("220.00"),
        "{csv}"
    );
    b.press("main a[href*='format=xlsx']").await;
    assert!(b.downloaded("xlsx").await.starts_with(b"PK"));

    // The tax-year report of the year the first run paid in.
    let year = coprod::domain::periods::TaxYear::containing(today - Duration::days(26));
    b.click("a[href='/finance/reports/tax-year']").await;
    b.fill("#tax_year", &year.to_string()).await;
    b.click("main form[action='/finance/reports/tax-year'] button")
        .await;
    let main = b.text("main").await;
    assert!(
        main.contains("Sam Member") && main.contains("Kim Lee"),
        "{main}"
    );
    b.assert_accessible("the tax-year report").await;
    b.press("main a[href*='format=csv']").await;
    let csv = String::from_utf8(b.downloaded("csv").await).unwrap();
    assert!(csv.contains("Kim Lee") && csv.contains("TOTAL"), "{csv}");
    b.press("main a[href*='format=xlsx']").await;
    assert!(b.downloaded("xlsx").await.starts_with(b"PK"));

    // Kim's latest meeting is not yet paid.
    w.session(&kim, &day(-3), 180).await;

    // At a glance: the runs' own figures, and the waits as counted by hand.
    let sum = ok(
        w.app
            .get_as("/api/v1/reports/summary", &w.finance.token)
            .await,
        200,
    )
    .await;
    let runs: Decimal =
        pounds(&run(&w, &id).await["total"]) + pounds(&run(&w, &next).await["total"]);
    let totals = &sum["totals"];
    assert_eq!(
        pounds(&totals["fees_paid"]) + pounds(&totals["expenses_paid"]),
        runs,
        "{sum}"
    );
    assert_eq!(runs, "220.00".parse().unwrap());
    let months: Decimal = sum["by_month"]
        .as_array()
        .unwrap()
        .iter()
        .map(|m| pounds(&m["fees_paid"]) + pounds(&m["expenses_paid"]))
        .sum();
    assert_eq!(months, runs);
    let t = &sum["time_to_pay"];
    assert_eq!(
        (
            t["paid"].as_i64(),
            t["median_days"].as_i64(),
            t["p90_days"].as_i64()
        ),
        (Some(3), Some(8), Some(14)),
        "{t}"
    );
    assert_eq!(t["waiting"][0]["member_id"], kim.as_str(), "{t}");
    assert_eq!(t["waiting"][0]["days"], 3, "{t}");
    b.click("a[href='/finance']").await;
    let main = b.text("main").await;
    assert!(main.contains("8 days"), "the median: {main}");
    assert!(main.contains("14 days"), "the 90th percentile: {main}");
    assert!(main.contains("£220.00"), "{main}");
    assert!(main.contains("Kim Lee"), "waiting longest: {main}");
    b.assert_accessible("finance at a glance").await;
    b.assert_console_clean().await;
    b.quit().await;
}

both_backends!(finance_does_their_whole_job_in_the_browser);
