//! Member statements and finance reports, read back with independent readers (csv, calamine,
//! pdf-extract) and checked to the penny against the pay runs behind them, on both backends.

use calamine::{Data, Reader};
use reqwest::Method;
use rust_decimal::Decimal;
use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::{assert_problem, Role, TestBackend};
use crate::payruns::{ok, s, World};

fn dec(s: &str) -> Decimal {
    s.parse().unwrap_or_else(|_| panic!("a number: {s}"))
}

fn money(d: &Data) -> i64 {
    match d {
        Data::Float(f) => (f * 100.0).round() as i64,
        Data::Int(i) => i * 100,
        other => panic!("money as a number, not {other:?}"),
    }
}

/// Worked example 6 (two runs under a weekly ESA cap) plus a car journey for Sam, example 10
/// (fees reaching £1,020.00) for Tara, and a member named like a formula.
pub(crate) async fn paid_world(backend: TestBackend) -> (World, String, String) {
    paid_world_with(backend, |_| {}).await
}

/// `paid_world` on a server with `adjust`ed settings.
pub(crate) async fn paid_world_with(
    backend: TestBackend,
    adjust: impl FnOnce(&mut coprod::config::Settings),
) -> (World, String, String) {
    let w = World::new_with(backend, adjust).await;
    w.regional_card().await;
    let coord = w.coordinator.token.clone();
    ok(
        w.app
            .call(
                Method::PATCH,
                &format!("/api/v1/members/{}", w.member_id),
                Some(&coord),
                Some(json!({"payee_reference": "P-0001"})),
            )
            .await,
        200,
    )
    .await;
    let esa = json!({
        "effective_from": "2025-06-01", "fee_choice": "full", "method": "bank_transfer",
        "cap": {"limit_code": "esa_permitted_work", "period": "week", "week_starts_on": "monday"},
        "over_cap": "carry_forward", "notify_by_email": true
    });
    ok(w.set_preference(&w.member_id, &coord, esa).await, 200).await;
    let tara = w.new_member("Tara Trader", "member").await;
    let evil = w
        .new_member("=HYPERLINK(\"http://x\",\"y\")", "member")
        .await;
    // Sam: £150 + £150 + £75 in the week of 30 June; Tara: six full days; the formula: one.
    let m1 = w.meeting("2025-06-30", 300, "meeting").await;
    let everyone = |ids: &[&String]| -> Value {
        Value::Array(
            ids.iter()
                .map(|id| json!({"member_id": id, "status": "attended"}))
                .collect(),
        )
    };
    ok(
        w.register(&m1, everyone(&[&w.member_id, &tara, &evil]))
            .await,
        200,
    )
    .await;
    let m2 = w.meeting("2025-07-01", 300, "meeting").await;
    ok(w.register(&m2, everyone(&[&w.member_id, &tara])).await, 200).await;
    w.session(&w.member_id, "2025-07-02", 180).await;
    for day in ["2025-06-10", "2025-06-11", "2025-06-12", "2025-06-13"] {
        w.session(&tara, day, 300).await;
    }
    ok(
        w.app
            .post_as(
                &format!("/api/v1/meetings/{m1}/expenses"),
                Some(&coord),
                json!({"member_id": w.member_id, "kind": "car", "miles": "28"}),
            )
            .await,
        201,
    )
    .await;
    let claims = ok(
        w.app
            .get_as(&format!("/api/v1/meetings/{m1}/expenses"), &coord)
            .await,
        200,
    )
    .await;
    let claim = s(&claims["items"][0]["id"]);
    ok(
        w.app
            .post_as(
                &format!("/api/v1/expenses/{claim}/approve"),
                Some(&coord),
                json!({}),
            )
            .await,
        200,
    )
    .await;
    let first = w.draft("2025-06-01", "2025-07-03", "2025-07-04").await;
    ok(w.approve_as(&first, &w.approver.token).await, 200).await;
    ok(
        w.app
            .post_as(
                &format!("/api/v1/pay-runs/{}/mark-paid", s(&first["id"])),
                Some(&w.approver.token),
                json!({"paid_on": "2025-07-04"}),
            )
            .await,
        200,
    )
    .await;
    // August: Sam's £75 on top of the £179.50 held back; Tara's £120 correction.
    w.session(&w.member_id, "2025-07-20", 180).await;
    ok(
        w.app
            .post_as(
                "/api/v1/adjustments",
                Some(&w.finance.token),
                json!({"member_id": tara, "amount": "120.00", "reason": "Two document reviews", "kind": "fee", "group_id": w.group}),
            )
            .await,
        201,
    )
    .await;
    let second = w.draft("2025-07-04", "2025-07-31", "2025-08-01").await;
    ok(w.approve_as(&second, &w.approver.token).await, 200).await;
    (w, tara, evil)
}

/// A member's statement as JSON, CSV and PDF: worked examples 6 and 10, miles, and who may see it.
async fn statements_add_up_in_every_format(backend: TestBackend) {
    let (w, tara, _) = paid_world(backend).await;
    let me = w.member.token.clone();
    let url = |q: &str| format!("/api/v1/members/{}/statement?{q}", w.member_id);

    let st = ok(w.app.get_as(&url("tax_year=2025-26"), &me).await, 200).await;
    assert_eq!(st["title"], "Tax year 2025-26");
    assert_eq!(
        (st["from"].clone(), st["to"].clone()),
        (json!("2025-04-06"), json!("2026-04-05"))
    );
    let t = &st["totals"];
    assert_eq!(t["earned"], "450.00", "{st}");
    assert_eq!(t["paid_fees"], "391.00");
    assert_eq!(t["expenses_paid"], "12.60");
    assert_eq!(t["paid_to_member"], "403.60");
    assert_eq!(t["business_miles"], "28.0");
    assert_eq!(st["held_back_at_end"], "59.00");
    // Every row adds up by hand: earned + brought forward = paid + donated + declined + forgone + carried.
    let rows: Vec<&Value> = std::iter::once(t)
        .chain(st["months"].as_array().unwrap().iter())
        .chain(st["cap_periods"].as_array().unwrap().iter())
        .collect();
    for r in &rows {
        let f = |k: &str| dec(&s(&r[k]));
        assert_eq!(
            f("earned") + f("brought_forward"),
            f("paid_fees") + f("donated") + f("declined") + f("forgone") + f("carried_forward"),
            "{r}"
        );
    }
    let months = st["months"].as_array().unwrap();
    assert_eq!(months.len(), 2);
    assert_eq!(
        (months[0]["label"].clone(), months[0]["paid_fees"].clone()),
        (json!("July 2025"), json!("195.50"))
    );
    assert_eq!(months[1]["carried_forward"], "59.00");
    let caps = st["cap_periods"].as_array().unwrap();
    assert_eq!(caps.len(), 2);
    assert_eq!(
        (caps[0]["start"].clone(), caps[0]["end"].clone()),
        (json!("2025-06-30"), json!("2025-07-06"))
    );
    assert!(
        caps.iter()
            .all(|c| c["counted"] == "195.50" && c["within_limit"] == true),
        "{caps:?}"
    );
    assert!(s(&caps[0]["cap"]).contains("ESA permitted work"));
    assert_eq!(st["tax_years"][0]["passes_trading_allowance"], false);
    let paid_lines: Decimal = st["lines"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|l| l["disposition"] == "paid" && l["kind"] != "expense")
        .map(|l| dec(&s(&l["amount"])))
        .sum();
    assert_eq!(paid_lines, dec("391.00"));
    let notes = st["notes"].to_string();
    assert!(notes.contains("£59.00 is being held back"), "{notes}");
    assert!(
        notes.contains("within the £1,000.00 trading allowance"),
        "{notes}"
    );
    assert!(notes.contains("welfare rights adviser"), "{notes}");

    // Example 10: Tara's fees reach £1,020.00 and the statement says the allowance is passed.
    let tara_st = ok(
        w.app
            .get_as(
                &format!("/api/v1/members/{tara}/statement?tax_year=2025-26"),
                &w.finance.token,
            )
            .await,
        200,
    )
    .await;
    assert_eq!(tara_st["tax_years"][0]["paid_fees"], "1020.00", "{tara_st}");
    assert_eq!(tara_st["tax_years"][0]["passes_trading_allowance"], true);
    assert!(tara_st["notes"]
        .to_string()
        .contains("more than the £1,000.00 trading allowance"));

    // A date range: July only; the tax year is still totalled in full.
    let july = ok(
        w.app
            .get_as(&url("from=2025-07-01&to=2025-07-31"), &me)
            .await,
        200,
    )
    .await;
    assert_eq!(july["totals"]["paid_fees"], "195.50");
    assert_eq!(july["held_back_at_end"], "179.50");
    assert_eq!(july["tax_years"][0]["paid_fees"], "391.00");

    // CSV: the lines, then tables of totals, read back with the csv crate.
    let res = w.app.get_as(&url("tax_year=2025-26&format=csv"), &me).await;
    assert_eq!(res.status(), 200);
    let cd = res.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        cd.contains("coprod-statement-") && cd.ends_with("2025-04-06-to-2026-04-05.csv\""),
        "{cd}"
    );
    let text = res.text().await.unwrap();
    let records: Vec<csv::StringRecord> = csv::ReaderBuilder::new()
        .flexible(true)
        .has_headers(false)
        .from_reader(text.as_bytes())
        .records()
        .map(Result::unwrap)
        .collect();
    let header = records
        .iter()
        .position(|r| r.iter().collect::<Vec<_>>() == coprod::export::statement::LINE_COLUMNS)
        .expect("the lines' header");
    let mut paid = Decimal::ZERO;
    let mut miles = Decimal::ZERO;
    for r in records[header + 1..].iter().take_while(|r| r.len() > 1) {
        if &r[6] == "paid" && &r[5] != "expense" {
            paid += dec(&r[11]);
        }
        if !r[10].is_empty() {
            miles += dec(&r[10]);
        }
    }
    assert_eq!((paid, miles), (dec("391.00"), dec("28.0")));
    let total_header = records.iter().position(|r| &r[0] == "total").unwrap();
    let col = |name: &str| {
        records[total_header]
            .iter()
            .position(|h| h == name)
            .unwrap()
    };
    let total = &records[total_header + 1];
    assert_eq!(
        (
            &total[0],
            &total[col("paid_fees")],
            &total[col("carried_forward")]
        ),
        ("TOTAL", "391.00", "238.50")
    );
    assert!(records
        .iter()
        .any(|r| &r[0] == "held_back_at_end" && &r[1] == "59.00"));
    assert!(records.iter().any(|r| &r[0] == "2025-26" && &r[4] == "no"));

    // PDF: the same figures, found by extracting its text.
    let res = w.app.get_as(&url("tax_year=2025-26&format=pdf"), &me).await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()["content-type"], "application/pdf");
    let bytes = res.bytes().await.unwrap().to_vec();
    assert!(bytes.starts_with(b"%PDF"));
    let text = pdf_extract::extract_text_from_mem(&bytes).expect("text from the PDF");
    for needle in [
        "Payment statement",
        "Tax year 2025-26",
        "£391.00",
        "£59.00",
        "£12.60",
        "28.0",
        "ESA permitted work",
        "welfare rights adviser",
    ] {
        assert!(text.contains(needle), "{needle} in the PDF: {text}");
    }
    let tara_pdf = w
        .app
        .get_as(
            &format!("/api/v1/members/{tara}/statement?tax_year=2025-26&format=pdf"),
            &w.finance.token,
        )
        .await
        .bytes()
        .await
        .unwrap();
    let text = pdf_extract::extract_text_from_mem(&tara_pdf).unwrap();
    assert!(
        text.contains("Tara Trader") && text.contains("£1,020.00"),
        "{text}"
    );
    assert!(
        text.contains("more than the £1,000.00 trading allowance"),
        "{text}"
    );

    // Who may see it, and bad input.
    let admin = w.app.user(Role::Admin).await;
    ok(w.app.get_as(&url(""), &admin.token).await, 200).await;
    assert_problem(w.app.get_as(&url(""), &w.coordinator.token).await, 403).await;
    let other = w.app.user(Role::Member).await;
    assert_problem(w.app.get_as(&url(""), &other.token).await, 404).await;
    assert_problem(
        w.app
            .get_as("/api/v1/members/nope/statement", &w.finance.token)
            .await,
        404,
    )
    .await;
    assert_problem(w.app.get("/api/v1/members/x/statement").await, 401).await;
    for bad in [
        "tax_year=2025-27",
        "tax_year=2025",
        "tax_year=2025-26&from=2025-01-01&to=2025-02-01",
        "from=2025-01-01",
        "to=2025-01-01",
        "from=2025-02-01&to=2025-01-01",
        "from=2025-13-01&to=2025-12-31",
        "from=2000-01-01&to=2025-12-31",
        "format=xml",
    ] {
        let p = assert_problem(w.app.get_as(&url(bad), &me).await, 422).await;
        assert!(p["errors"][0]["field"].is_string(), "{bad}: {p}");
    }
}

/// The payments report and the tax-year report in JSON, CSV and XLSX, to the penny, formula-safe.
async fn finance_reports_read_back(backend: TestBackend) {
    let (w, tara, evil) = paid_world(backend).await;
    let fin = w.finance.token.clone();
    let runs = ok(w.app.get_as("/api/v1/pay-runs", &fin).await, 200).await;
    let run_total: Decimal = runs["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|r| dec(&s(&r["total"])))
        .sum();

    // Payments: JSON with totals over every page, and keyset pages.
    let url = |q: &str| format!("/api/v1/reports/payments?from=2025-07-01&to=2025-08-31{q}");
    let all = ok(w.app.get_as(&url(""), &fin).await, 200).await;
    assert_eq!(dec(&s(&all["total"])), run_total);
    let count = all["payment_count"].as_i64().unwrap();
    assert_eq!(count as usize, all["items"].as_array().unwrap().len());
    let mut seen = 0;
    let mut cursor: Option<String> = None;
    loop {
        let q = match &cursor {
            Some(c) => format!("&limit=2&cursor={c}"),
            None => "&limit=2".to_string(),
        };
        let page = ok(w.app.get_as(&url(&q), &fin).await, 200).await;
        seen += page["items"].as_array().unwrap().len();
        match page["next_cursor"].as_str() {
            Some(c) => cursor = Some(c.to_string()),
            None => break,
        }
    }
    assert_eq!(seen as i64, count);
    let none = ok(w.app.get_as(&url("&method=payroll"), &fin).await, 200).await;
    assert_eq!(
        (none["payment_count"].clone(), none["total"].clone()),
        (json!(0), json!("0.00"))
    );
    let grouped = ok(
        w.app
            .get_as(&url(&format!("&group_id={}", w.group)), &fin)
            .await,
        200,
    )
    .await;
    assert_eq!(grouped["total"], all["total"]);
    let august = ok(
        w.app
            .get_as(
                "/api/v1/reports/payments?from=2025-08-01&to=2025-08-01",
                &fin,
            )
            .await,
        200,
    )
    .await;
    assert_eq!(august["totals_by_method"]["bank_transfer"], august["total"]);

    // CSV, streamed: one row a payment, a trailer with the count and sum, formula-safe.
    let res = w.app.get_as(&url("&format=csv"), &fin).await;
    assert_eq!(res.status(), 200);
    let text = res.text().await.unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    assert_eq!(
        reader.headers().unwrap().iter().collect::<Vec<_>>(),
        coprod::export::reports::PAYMENT_COLUMNS
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let (pays, trailer) = rows.split_at(rows.len() - 1);
    let sum: Decimal = pays.iter().map(|r| dec(&r[12])).sum();
    assert_eq!(sum, run_total);
    assert_eq!(
        (&trailer[0][0], &trailer[0][1]),
        ("TOTAL", format!("{count} payments").as_str())
    );
    assert_eq!(dec(&trailer[0][12]), run_total);
    let evil_row = pays.iter().find(|r| &r[7] == evil.as_str()).unwrap();
    assert_eq!(&evil_row[4], "'=HYPERLINK(\"http://x\",\"y\")");

    // XLSX: a summary and the payments, money as numbers, no formulas.
    let res = w.app.get_as(&url("&format=xlsx"), &fin).await;
    assert_eq!(res.status(), 200);
    let bytes = res.bytes().await.unwrap().to_vec();
    let mut book: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).unwrap();
    assert_eq!(book.sheet_names(), ["Summary", "Payments"]);
    let sheet = book.worksheet_range("Payments").unwrap();
    let pence: i64 = sheet.rows().skip(1).map(|r| money(&r[12])).sum();
    assert_eq!(Decimal::new(pence, 2), run_total);
    assert!(sheet
        .rows()
        .any(|r| r[4] == "'=HYPERLINK(\"http://x\",\"y\")"));
    let summary = book.worksheet_range("Summary").unwrap();
    let all_row = summary.rows().find(|r| r[0] == "All methods").unwrap();
    assert_eq!(Decimal::new(money(&all_row[2]), 2), run_total);
    for name in ["Summary", "Payments"] {
        assert!(book
            .worksheet_formula(name)
            .unwrap()
            .used_cells()
            .all(|(_, _, f)| f.is_empty()));
    }

    // The tax-year report: per member, Tara flagged, totals that match the runs.
    let year = ok(
        w.app
            .get_as("/api/v1/reports/tax-year?tax_year=2025-26", &fin)
            .await,
        200,
    )
    .await;
    let members = year["members"].as_array().unwrap();
    let find = |id: &str| {
        members
            .iter()
            .find(|m| m["member_id"] == id)
            .unwrap()
            .clone()
    };
    let sam = find(&w.member_id);
    assert_eq!(
        (
            sam["paid_fees"].clone(),
            sam["business_miles"].clone(),
            sam["passes_trading_allowance"].clone()
        ),
        (json!("391.00"), json!("28.0"), json!(false))
    );
    assert_eq!(sam["payee_reference"], "P-0001");
    let t = find(&tara);
    assert_eq!(
        (
            t["paid_fees"].clone(),
            t["passes_trading_allowance"].clone()
        ),
        (json!("1020.00"), json!(true))
    );
    assert_eq!(year["members_passing_allowance"], 1);
    assert_eq!(dec(&s(&year["totals"]["paid_to_member"])), run_total);

    let text = w
        .app
        .get_as("/api/v1/reports/tax-year?tax_year=2025-26&format=csv", &fin)
        .await
        .text()
        .await
        .unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    assert_eq!(
        reader.headers().unwrap().iter().collect::<Vec<_>>(),
        coprod::export::reports::TAX_YEAR_COLUMNS
    );
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let (people, trailer) = rows.split_at(rows.len() - 1);
    assert_eq!(people.len(), members.len());
    let fees: Decimal = people.iter().map(|r| dec(&r[5])).sum();
    assert_eq!(fees, dec(&trailer[0][5]));
    assert!(people
        .iter()
        .any(|r| &r[0] == tara.as_str() && &r[5] == "1020.00" && &r[14] == "yes"));
    assert!(people.iter().any(|r| r[1].starts_with("'=")));

    let bytes = w
        .app
        .get_as(
            "/api/v1/reports/tax-year?tax_year=2025-26&format=xlsx",
            &fin,
        )
        .await
        .bytes()
        .await
        .unwrap()
        .to_vec();
    let mut book: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).unwrap();
    let sheet = book.worksheet_range("Tax year 2025-26").unwrap();
    let tara_row = sheet.rows().find(|r| r[0].to_string() == tara).unwrap();
    assert_eq!(
        (money(&tara_row[5]), tara_row[14].to_string()),
        (102_000, "yes".to_string())
    );
    let last = sheet.rows().next_back().unwrap();
    assert_eq!(last[0].to_string(), "TOTAL");
    assert_eq!(Decimal::new(money(&last[5]), 2), fees);

    // Finance only; bad filters are named.
    for path in ["/api/v1/reports/payments", "/api/v1/reports/tax-year"] {
        assert_problem(w.app.get_as(path, &w.coordinator.token).await, 403).await;
        assert_problem(w.app.get_as(path, &w.member.token).await, 403).await;
        assert_problem(w.app.get(path).await, 401).await;
    }
    for bad in [
        "/api/v1/reports/payments?method=cash",
        "/api/v1/reports/payments?group_id=nope",
        "/api/v1/reports/payments?format=pdf",
        "/api/v1/reports/payments?from=2025-01-01",
        "/api/v1/reports/payments?limit=0",
        "/api/v1/reports/payments?cursor=zzz",
        "/api/v1/reports/tax-year?tax_year=1066-67",
        "/api/v1/reports/tax-year?format=pdf",
    ] {
        assert_problem(w.app.get_as(bad, &fin).await, 422).await;
    }
}

both_backends!(statements_add_up_in_every_format, finance_reports_read_back);
