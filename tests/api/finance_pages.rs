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

both_backends!(
    finance_finds_a_member_and_corrects_an_overpayment,
    finance_reads_the_reports_and_downloads_them,
);
