//! Finance's pages for one person's money, used as a person does: find the member, read their
//! statement on screen, download it and their letter, make a negative adjustment with a reason
//! and see the next run pay it. Bad answers show on the page and change nothing.

use reqwest::Method;
use serde_json::Value;

use crate::both_backends;
use crate::helpers::TestBackend;
use crate::member_pages::signed_in;
use crate::payruns::{ok, s, World};

async fn adjustments(w: &World) -> Vec<Value> {
    let body = ok(
        w.app
            .call(
                Method::GET,
                &format!("/api/v1/members/{}/adjustments", w.member_id),
                Some(&w.finance.token),
                None,
            )
            .await,
        200,
    )
    .await;
    body["items"]
        .as_array()
        .cloned()
        .unwrap_or_else(|| body.as_array().cloned().unwrap_or_default())
}

async fn finance_finds_a_member_and_corrects_an_overpayment(backend: TestBackend) {
    let w = World::new(backend).await;
    w.regional_card().await;
    let today = w.app.settings.today();
    let day = |n: i64| (today + chrono::Duration::days(n)).to_string();
    w.session(&w.member_id, &day(-30), 180).await;
    let first = w.draft(&day(-35), &day(-25), &day(-20)).await;
    ok(w.approve_as(&first, &w.approver.token).await, 200).await;

    let v = signed_in(&w, &w.finance.email).await;
    let found = v.open(&w.app.url("/finance/members?q=sam")).await;
    let page_link = format!("/finance/members/{}", w.member_id);
    assert!(found.html.contains(&page_link), "{}", found.html);
    let page = v.open(&w.app.url(&page_link)).await;
    assert_eq!(page.status, 200, "{}", page.html);
    assert!(page.html.contains("£75.00"), "{}", page.html);
    for (link, words) in [
        ("/statement?tax_year=", "%PDF"),
        ("/benefits-letter", "%PDF"),
    ] {
        let at = page.html.find(&format!("{page_link}{link}")).unwrap();
        let href = page.html[at..]
            .split('"')
            .next()
            .unwrap()
            .replace("&amp;", "&");
        let file = v.open(&w.app.url(&href)).await;
        assert_eq!(file.status, 200, "{href}");
        assert!(file.html.starts_with(words), "{href}");
    }
    let year = coprod::domain::periods::TaxYear::containing(today);
    let csv = v
        .open(
            &w.app
                .url(&format!("{page_link}/statement?tax_year={year}&format=csv")),
        )
        .await;
    assert!(csv.html.contains("75.00"), "{}", csv.html);

    let action = format!("{page_link}/adjustments");
    for (fields, words) in [
        (
            vec![("amount", "-15.00"), ("reason", "Overpaid")],
            "fee or an expense",
        ),
        (
            vec![
                ("kind", "fee"),
                ("amount", "-15.005"),
                ("reason", "Overpaid"),
            ],
            "no more than 2 numbers",
        ),
        (
            vec![("kind", "fee"), ("amount", ""), ("reason", "Overpaid")],
            "Enter the amount",
        ),
        (
            vec![("kind", "fee"), ("amount", "0"), ("reason", "Overpaid")],
            "must not be 0.00",
        ),
        (
            vec![("kind", "fee"), ("amount", "-15.00"), ("reason", "")],
            "The reason",
        ),
    ] {
        let seen = v.submit(&page, &action, &fields).await;
        assert_eq!(seen.status, 422, "{fields:?}: {}", seen.html);
        assert!(seen.html.contains(words), "{words}: {}", seen.html);
    }
    assert!(adjustments(&w).await.is_empty());
    let made = v
        .submit(
            &page,
            &action,
            &[
                ("kind", "fee"),
                ("amount", "-15.00"),
                ("group_id", &w.group),
                ("reason", "Overpaid for the June meeting"),
            ],
        )
        .await;
    assert!(
        made.html.contains("The adjustment is made."),
        "{}",
        made.html
    );
    assert!(
        made.html.contains("Waiting for the next run."),
        "{}",
        made.html
    );
    let list = adjustments(&w).await;
    assert_eq!(list.len(), 1, "{list:?}");
    let all = v.open(&w.app.url("/finance/adjustments")).await;
    assert!(
        all.html.contains("Waiting for a run, oldest first"),
        "{}",
        all.html
    );
    assert!(
        all.html.contains("Overpaid for the June meeting"),
        "{}",
        all.html
    );
    assert_eq!(list[0]["amount"], "-15.00");

    // The next run pays it: £75 for the session, less £15.
    w.session(&w.member_id, &day(-10), 180).await;
    let second = w.draft(&day(-15), &day(-5), &day(-2)).await;
    assert_eq!(second["total"], "60.00", "{second}");
    ok(w.approve_as(&second, &w.approver.token).await, 200).await;
    let after = v.open(&w.app.url(&page_link)).await;
    assert!(
        after
            .html
            .contains(&format!("Paid by <a href=\"/runs/{}\">", s(&second["id"]))),
        "{}",
        after.html
    );

    let all = v.open(&w.app.url("/finance/adjustments")).await;
    assert!(all.html.contains("None are waiting."), "{}", all.html);
    assert!(
        all.html.contains("Paid by a run, newest first"),
        "{}",
        all.html
    );
    let coordinator = signed_in(&w, &w.coordinator.email).await;
    assert_eq!(coordinator.open(&w.app.url(&page_link)).await.status, 403);
    assert_eq!(
        v.open(&w.app.url("/finance/members/no-such-member"))
            .await
            .status,
        404
    );
}

/// The payments report and the tax-year report on screen, each downloaded from its page's links
/// (CSV read back, XLSX a workbook); a date or a tax year that is not one is shown on the page.
async fn finance_reads_the_reports_and_downloads_them(backend: TestBackend) {
    let w = World::new(backend).await;
    w.regional_card().await;
    let today = w.app.settings.today();
    let day = |n: i64| (today + chrono::Duration::days(n)).to_string();
    w.session(&w.member_id, &day(-30), 180).await;
    let run = w.draft(&day(-35), &day(-25), &day(-20)).await;
    ok(w.approve_as(&run, &w.approver.token).await, 200).await;
    let v = signed_in(&w, &w.finance.email).await;

    let page = v
        .open(
            &w.app
                .url(&format!("/finance/reports?from={}&to={}", day(-60), day(0))),
        )
        .await;
    assert_eq!(page.status, 200, "{}", page.html);
    assert!(page.html.contains("1 payment, £75.00"), "{}", page.html);
    assert!(page.html.contains("<td>Sam Member</td>"), "{}", page.html);
    let link = |html: &str, format: &str| {
        let marker = format!("&amp;format={format}");
        let end = html.find(&marker).unwrap() + marker.len();
        let start = html[..end].rfind("href=\"").unwrap() + 6;
        html[start..end].replace("&amp;", "&")
    };
    let csv = v.open(&w.app.url(&link(&page.html, "csv"))).await;
    assert!(csv.html.contains("TOTAL"), "{}", csv.html);
    assert!(csv.html.contains("75.00"), "{}", csv.html);
    let xlsx = v.open(&w.app.url(&link(&page.html, "xlsx"))).await;
    assert_eq!(xlsx.status, 200);
    let other = w.app.insert_group("Elsewhere").await;
    let none = v
        .open(&w.app.url(&format!(
            "/finance/reports?from={}&to={}&group_id={other}",
            day(-60),
            day(0)
        )))
        .await;
    assert!(none.html.contains("No payments match."), "{}", none.html);
    // One date alone runs to the end of this tax year.
    let from_only = v
        .open(&w.app.url(&format!("/finance/reports?from={}", day(-60))))
        .await;
    assert_eq!(from_only.status, 200, "{}", from_only.html);
    assert!(
        from_only.html.contains("1 payment, £75.00"),
        "{}",
        from_only.html
    );
    let bad = v
        .open(&w.app.url("/finance/reports?from=2025-13-01&to=2025-12-31"))
        .await;
    assert_eq!(bad.status, 422, "{}", bad.html);
    assert!(bad.html.contains("id=\"from-error\""), "{}", bad.html);

    let year = coprod::domain::periods::TaxYear::containing(
        w.app.settings.today() - chrono::Duration::days(20),
    );
    let report = v
        .open(
            &w.app
                .url(&format!("/finance/reports/tax-year?tax_year={year}")),
        )
        .await;
    assert_eq!(report.status, 200, "{}", report.html);
    assert!(report.html.contains("Sam Member"), "{}", report.html);
    let csv = v.open(&w.app.url(&link(&report.html, "csv"))).await;
    assert!(csv.html.contains("TOTAL"), "{}", csv.html);
    let bad = v
        .open(&w.app.url("/finance/reports/tax-year?tax_year=2025"))
        .await;
    assert_eq!(bad.status, 422, "{}", bad.html);
    let coordinator = signed_in(&w, &w.coordinator.email).await;
    assert_eq!(
        coordinator
            .open(&w.app.url("/finance/reports"))
            .await
            .status,
        403
    );
}

/// Finance creates a group's card with a band rule and preparation from the form (bad answers
/// shown next to the rule's field, nothing made), reads it back, sees it locked once a run has
/// paid with it, and supersedes it from a later date starting from its rules.
async fn finance_creates_and_supersedes_a_rate_card(backend: TestBackend) {
    let w = World::new(backend).await;
    let v = signed_in(&w, &w.finance.email).await;
    let list = v.open(&w.app.url("/rate-cards")).await;
    assert!(
        list.html.contains("There are no rate cards yet."),
        "{}",
        list.html
    );
    let form = v.open(&w.app.url("/rate-cards/new")).await;
    assert_eq!(form.status, 200, "{}", form.html);
    let g = w.group.as_str();
    let band = |half: &'static str| {
        vec![
            ("name", "River 2025"),
            ("group_id", g),
            ("effective_from", "2025-04-01"),
            ("rules[0].basis", ""),
            ("rules[2].role", "member"),
            ("rules[2].activity_kind", "meeting"),
            ("rules[2].basis", "band"),
            ("rules[2].half_day_amount", half),
            ("rules[2].full_day_amount", "150.00"),
            ("rules[2].boundary_minutes", "240"),
            ("rules[2].prep_hourly_rate", "20.00"),
        ]
    };
    let bad = v.submit(&form, "/rate-cards/new", &band("75.005")).await;
    assert_eq!(bad.status, 422, "{}", bad.html);
    assert!(
        bad.html.contains("id=\"rules[2].half_day_amount-error\""),
        "{}",
        bad.html
    );
    let mut hourly = band("75.00");
    hourly[6] = ("rules[2].basis", "hourly");
    let bad = v.submit(&form, "/rate-cards/new", &hourly).await;
    assert_eq!(bad.status, 422, "{}", bad.html);
    assert!(
        bad.html.contains("id=\"rules[2].hourly_rate-error\""),
        "the service's rules[0] is the form's row 2: {}",
        bad.html
    );
    let none = v
        .submit(
            &form,
            "/rate-cards/new",
            &[("name", "Empty"), ("effective_from", "2025-04-01")],
        )
        .await;
    assert_eq!(none.status, 422, "{}", none.html);
    assert!(none.html.contains("at least one rule"), "{}", none.html);
    let cards = || async {
        ok(
            w.app.get_as("/api/v1/rate-cards", &w.finance.token).await,
            200,
        )
        .await
    };
    assert_eq!(cards().await["items"].as_array().map(Vec::len), Some(0));

    let made = v.submit(&form, "/rate-cards/new", &band("75.00")).await;
    assert_eq!(made.status, 200, "{}", made.html);
    assert!(
        made.html
            .contains("£75.00 a half day; £150.00 (a full day over 4 hours)"),
        "{}",
        made.html
    );
    assert!(made.html.contains("£20.00 an hour"), "{}", made.html);
    let id = made.url.rsplit("/rate-cards/").next().unwrap().to_string();
    let card = ok(
        w.app
            .get_as(&format!("/api/v1/rate-cards/{id}"), &w.finance.token)
            .await,
        200,
    )
    .await;
    assert_eq!(card["group_id"], g);
    assert_eq!(card["rules"][0]["half_day_amount"], "75.00");
    assert_eq!(card["rules"][0]["boundary_is_full_day"], false);

    w.session(&w.member_id, "2025-06-10", 180).await;
    let run = w.draft("2025-06-01", "2025-06-30", "2025-07-04").await;
    assert_eq!(run["total"], "75.00", "{run}");
    ok(w.approve_as(&run, &w.approver.token).await, 200).await;
    let locked = v.open(&w.app.url(&format!("/rate-cards/{id}"))).await;
    assert!(locked.html.contains("Locked."), "{}", locked.html);
    let run_id = s(&run["id"]);
    assert!(
        locked.html.contains(&format!("href=\"/runs/{run_id}\"")),
        "the runs that paid with it: {}",
        locked.html
    );
    // Which rule paid Sam's session, and why, from the run's lines.
    let lines = v.open(&w.app.url(&format!("/runs/{run_id}/lines"))).await;
    let at = lines
        .html
        .find("/rate-cards/which?")
        .expect("a link to the rule");
    let href = lines.html[at..]
        .split('"')
        .next()
        .unwrap()
        .replace("&amp;", "&");
    let why = v.open(&w.app.url(&href)).await;
    assert_eq!(why.status, 200, "{}", why.html);
    assert!(why.html.contains("Applies:"), "{}", why.html);
    assert!(why.html.contains("River 2025"), "{}", why.html);
    assert!(why.html.contains("is paid £75.00"), "{}", why.html);
    let again = v
        .open(&w.app.url(&format!("/rate-cards/new?supersedes={id}")))
        .await;
    assert!(
        again.html.contains("value=\"75.00\""),
        "the old rules to start from: {}",
        again.html
    );
    let mut next = band("80.00");
    next[0] = ("name", "River 2026");
    next[2] = ("effective_from", "2026-04-06");
    let newer = v.submit(&again, "/rate-cards/new", &next).await;
    assert_eq!(newer.status, 200, "{}", newer.html);
    let all = cards().await;
    assert_eq!(all["items"].as_array().map(Vec::len), Some(2), "{all}");
    assert!(
        all["items"]
            .as_array()
            .unwrap()
            .iter()
            .any(|c| c["supersedes"] == id.as_str()),
        "{all}"
    );

    let coordinator = signed_in(&w, &w.coordinator.email).await;
    assert_eq!(
        coordinator.open(&w.app.url("/rate-cards/new")).await.status,
        403
    );
}

both_backends!(
    finance_creates_and_supersedes_a_rate_card,
    finance_finds_a_member_and_corrects_an_overpayment,
    finance_reads_the_reports_and_downloads_them,
);
