//! Finance at a glance (`GET /api/v1/reports/summary`): its figures are the sums of the runs it
//! covers, its time to pay is what the days say when counted by hand, what waits longest is listed,
//! and the number of statements it costs does not grow with the payments.

use chrono::Duration;
use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::{assert_problem, TestBackend};
use crate::member_pages::signed_in;
use crate::payruns::{ok, s, World};

async fn summary(w: &World, query: &str) -> Value {
    ok(
        w.app
            .get_as(&format!("/api/v1/reports/summary{query}"), &w.finance.token)
            .await,
        200,
    )
    .await
}

/// The statements a summary costs: the fewest of five tries, a moment apart, since the mail
/// outbox (and the first request's session touch) run beside it and count too.
async fn cost(w: &World, query: &str) -> u64 {
    let mut fewest = u64::MAX;
    for _ in 0..5 {
        let before = w.app.db.queries();
        summary(w, query).await;
        fewest = fewest.min(w.app.db.queries() - before);
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    fewest
}

fn pounds(v: &Value) -> rust_decimal::Decimal {
    v.as_str()
        .unwrap_or_else(|| panic!("an amount: {v}"))
        .parse()
        .unwrap()
}

async fn approve_claim(w: &World, meeting: &str, member: &str, amount: &str) -> String {
    let claim = ok(
        w.app
            .post_as(
                &format!("/api/v1/meetings/{meeting}/expenses"),
                Some(&w.coordinator.token),
                json!({"member_id": member, "kind": "taxi", "amount": amount}),
            )
            .await,
        201,
    )
    .await;
    let id = s(&claim["id"]);
    ok(
        w.app
            .post_as(
                &format!("/api/v1/expenses/{id}/approve"),
                Some(&w.coordinator.token),
                json!({}),
            )
            .await,
        200,
    )
    .await;
    id
}

/// Two runs: the first pays Sam's and Kim's sessions 14 and 7 days after them; the second pays
/// Sam's later session after 13 days and a taxi claim 3 days after its approval. Counted by hand,
/// the waits are 3, 7, 13 and 14 days: the median (nearest rank, the 2nd of 4) is 7 and the 90th
/// percentile (the 4th of 4) is 14. Kim's newest session and a claim approved today wait.
async fn the_summary_adds_up_the_runs_and_times_the_waits(backend: TestBackend) {
    // The outbox looks for mail rarely, so that it does not count beside the summary.
    let w = World::new_with(backend, |s| s.mail.poll_interval_ms = 60_000).await;
    w.regional_card().await;
    let today = w.app.settings.today();
    let day = |n: i64| (today + Duration::days(n)).to_string();
    let kim = w.new_member("Kim Lee", "member").await;
    let first = w.session(&w.member_id, &day(-40), 180).await;
    w.session(&kim, &day(-33), 180).await;
    let run1 = w.draft(&day(-45), &day(-30), &day(-26)).await;
    ok(w.approve_as(&run1, &w.approver.token).await, 200).await;

    let small_cost = cost(&w, &format!("?to={}", day(30))).await;

    approve_claim(&w, &first, &w.member_id, "12.50").await;
    w.session(&w.member_id, &day(-10), 180).await;
    let run2 = w.draft(&day(-15), &day(0), &day(3)).await;
    ok(w.approve_as(&run2, &w.approver.token).await, 200).await;
    let waiting_session = w.session(&kim, &day(-5), 180).await;
    approve_claim(&w, &waiting_session, &kim, "8.00").await;

    let sum = summary(&w, &format!("?to={}", day(30))).await;
    assert_eq!(
        cost(&w, &format!("?to={}", day(30))).await,
        small_cost,
        "the summary costs the same number of statements however many payments"
    );

    // The figures are the runs' own.
    let mut paid = rust_decimal::Decimal::ZERO;
    for run in [&run1, &run2] {
        for p in w.payments(run).await {
            paid += pounds(&p["total"]);
        }
    }
    let totals = &sum["totals"];
    assert_eq!(pounds(&totals["fees_paid"]), "225.00".parse().unwrap());
    assert_eq!(pounds(&totals["expenses_paid"]), "12.50".parse().unwrap());
    assert_eq!(
        pounds(&totals["fees_paid"]) + pounds(&totals["expenses_paid"]),
        paid
    );
    let months = sum["by_month"].as_array().unwrap();
    assert_eq!(months.first().unwrap()["month"].as_str().unwrap().len(), 7);
    let by_month: rust_decimal::Decimal = months
        .iter()
        .map(|m| pounds(&m["fees_paid"]) + pounds(&m["expenses_paid"]))
        .sum();
    assert_eq!(by_month, paid);
    let groups = sum["by_group"].as_array().unwrap();
    assert_eq!(groups.len(), 1, "{groups:?}");
    assert_eq!(groups[0]["group_id"], w.group.as_str());
    assert_eq!(pounds(&groups[0]["fees_paid"]), "225.00".parse().unwrap());
    let methods = sum["by_method"].as_array().unwrap();
    let by_method: rust_decimal::Decimal = methods.iter().map(|m| pounds(&m["paid"])).sum();
    assert_eq!(by_method, paid, "{methods:?}");

    // Time to pay, as counted by hand.
    let t = &sum["time_to_pay"];
    assert_eq!(t["paid"], 4, "{t}");
    assert_eq!(t["median_days"], 7, "{t}");
    assert_eq!(t["p90_days"], 14, "{t}");
    let waiting = t["waiting"].as_array().unwrap();
    assert_eq!(waiting.len(), 2, "{waiting:?}");
    assert_eq!(
        (
            waiting[0]["kind"].as_str(),
            waiting[0]["meeting_id"].as_str(),
            waiting[0]["days"].as_i64()
        ),
        (Some("session"), Some(waiting_session.as_str()), Some(5))
    );
    assert_eq!(
        (waiting[1]["kind"].as_str(), waiting[1]["days"].as_i64()),
        (Some("claim"), Some(0))
    );
    assert_eq!(waiting[1]["member_id"], kim.as_str());

    // By default: the twelve months up to today, so the second run (paid in three days) is left
    // out.
    let default = summary(&w, "").await;
    assert_eq!(default["by_month"].as_array().unwrap().len(), 12);
    assert_eq!(default["to"], today.to_string());
    assert_eq!(
        pounds(&default["totals"]["fees_paid"]),
        "150.00".parse().unwrap()
    );
    assert_eq!(default["time_to_pay"]["paid"], 2);
}

/// Another group's summary is of its lines only; bad dates and unknown groups are refused with
/// the field named; coordinators and members may not see it.
async fn the_summary_is_finance_s_and_checks_what_it_is_asked(backend: TestBackend) {
    let w = World::new(backend).await;
    w.regional_card().await;
    let today = w.app.settings.today();
    let day = |n: i64| (today + Duration::days(n)).to_string();
    w.session(&w.member_id, &day(-20), 180).await;
    // A member who declines their fees: the session is settled, but nothing was paid to wait for.
    let decliner = w.new_member("Dee Decliner", "member").await;
    ok(
        w.set_preference(&decliner, &w.coordinator.token, json!({
            "effective_from": "2025-04-01", "fee_choice": "decline", "method": "bank_transfer", "notify_by_email": true
        }))
        .await,
        200,
    )
    .await;
    w.session(&decliner, &day(-18), 180).await;
    let run = w.draft(&day(-25), &day(-15), &day(-10)).await;
    ok(w.approve_as(&run, &w.approver.token).await, 200).await;
    let all = summary(&w, "").await;
    assert_eq!(all["totals"]["declined"], "75.00", "{all}");
    assert_eq!(
        all["time_to_pay"]["paid"], 1,
        "declined fees are not timed: {all}"
    );
    let other = w.app.insert_group("Elsewhere").await;
    let theirs = summary(&w, &format!("?group_id={other}")).await;
    assert_eq!(theirs["totals"]["fees_paid"], "0.00");
    assert_eq!(theirs["by_group"], json!([]));
    assert_eq!(theirs["time_to_pay"]["median_days"], Value::Null);
    let ours = summary(&w, &format!("?group_id={}", w.group)).await;
    assert_eq!(ours["totals"]["fees_paid"], "75.00");
    assert_eq!(ours["time_to_pay"]["median_days"], 10);

    for (query, field) in [
        ("?from=yesterday", "from"),
        ("?to=2025-02-30", "to"),
        ("?from=2025-06-01&to=2025-05-01", "from"),
        ("?from=2000-01-01&to=2025-05-01", "from"),
        ("?group_id=no-such-group", "group_id"),
    ] {
        let res = w
            .app
            .get_as(&format!("/api/v1/reports/summary{query}"), &w.finance.token)
            .await;
        let body = assert_problem(res, 422).await;
        assert_eq!(body["errors"][0]["field"], field, "{query}: {body}");
    }
    for token in [&w.coordinator.token, &w.member.token] {
        let res = w.app.get_as("/api/v1/reports/summary", token).await;
        assert_eq!(res.status(), 403);
    }
}

/// Finance's home page shows the same figures, drawn and in tables; a bad date is shown next to
/// its field; others may not open it.
async fn finance_sees_the_money_at_a_glance(backend: TestBackend) {
    let w = World::new(backend).await;
    w.regional_card().await;
    let today = w.app.settings.today();
    let day = |n: i64| (today + Duration::days(n)).to_string();
    let session = w.session(&w.member_id, &day(-20), 180).await;
    approve_claim(&w, &session, &w.member_id, "12.50").await;
    let run = w.draft(&day(-25), &day(-15), &day(-10)).await;
    ok(w.approve_as(&run, &w.approver.token).await, 200).await;
    w.session(&w.member_id, &day(-3), 180).await;

    let v = signed_in(&w, &w.finance.email).await;
    let home = v.open(&w.app.url("/")).await;
    assert!(home.url.ends_with("/finance"), "{}", home.url);
    for words in [
        "£87.50</span>paid to members",
        "<svg class=\"chart\" role=\"img\"",
        "Paid to members by month: ",
        "<th scope=\"row\">Total</th><td class=\"money\">£75.00</td><td class=\"money\">£12.50</td>",
        "Waiting longest to be paid",
        "Sam Member",
        "<td class=\"money\">3</td>",
    ] {
        assert!(home.html.contains(words), "{words}: {}", home.html);
    }
    let bad = v.open(&w.app.url("/finance?from=soon")).await;
    assert_eq!(bad.status, 422, "{}", bad.html);
    assert!(bad.html.contains("id=\"from-error\""), "{}", bad.html);
    let other = w.app.insert_group("Elsewhere").await;
    let theirs = v
        .open(&w.app.url(&format!("/finance?group_id={other}")))
        .await;
    assert!(theirs.html.contains("Nothing was paid in this period."));
    let coordinator = signed_in(&w, &w.coordinator.email).await;
    assert_eq!(coordinator.open(&w.app.url("/finance")).await.status, 403);
}

both_backends!(
    finance_sees_the_money_at_a_glance,
    the_summary_adds_up_the_runs_and_times_the_waits,
    the_summary_is_finance_s_and_checks_what_it_is_asked,
);
