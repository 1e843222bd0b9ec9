//! Erasure that keeps the books: an admin erases a member with a year of records, and their name,
//! address, phone, reference and email are found in no column of any table, no copy of their
//! data and no email text; the runs that paid them add up as before; the audit trail says who
//! and why. Refused while a run not yet paid holds them; only admins; on both backends.

use diesel::prelude::*;
use diesel::sql_types::{BigInt, Text};
use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::{Role, TestBackend};
use crate::payruns::{ok, s, World};
use crate::personal::{a_year_of_records, Year, NAME};

#[derive(QueryableByName)]
struct Count {
    #[diesel(sql_type = BigInt)]
    n: i64,
}

/// The tables (and their columns) that hold `needle`, in any case, anywhere: every column of
/// every table coprod has, read as text.
pub async fn tables_holding(w: &World, needle: &str) -> Vec<String> {
    let needle = format!("%{}%", needle.to_lowercase());
    w.app
        .with_db(move |c| {
            let pg = matches!(c, coprod::db::DbConnection::Pg(_));
            let mut found = Vec::new();
            for table in coprod::db::copy::TABLES {
                for column in table.columns() {
                    let param = if pg { "$1" } else { "?1" };
                    let sql = format!(
                        "SELECT COUNT(*) AS n FROM {} WHERE lower(CAST({column} AS TEXT)) LIKE {param}",
                        table.name()
                    );
                    let n = diesel::sql_query(sql)
                        .bind::<Text, _>(needle.clone())
                        .get_result::<Count>(c)
                        .unwrap()
                        .n;
                    if n > 0 {
                        found.push(format!("{}.{column}", table.name()));
                    }
                }
            }
            found
        })
        .await
}

/// What the books say about a run: its total, its count, and the sums of its payments and lines.
pub async fn books(w: &World, run: &Value) -> (Value, Value, i64, i64) {
    let r = ok(
        w.app
            .get_as(
                &format!("/api/v1/pay-runs/{}", s(&run["id"])),
                &w.finance.token,
            )
            .await,
        200,
    )
    .await;
    let pence = |v: &Value| -> i64 {
        let t = v.as_str().unwrap();
        let (pounds, p) = t.split_once('.').unwrap();
        pounds.parse::<i64>().unwrap() * 100 + p.parse::<i64>().unwrap()
    };
    let paid: i64 = w
        .payments(run)
        .await
        .iter()
        .map(|p| pence(&p["total"]))
        .sum();
    let lines: i64 = w
        .lines(run)
        .await
        .iter()
        .filter(|l| l["disposition"] == "paid")
        .map(|l| pence(&l["amount"]))
        .sum();
    (r["total"].clone(), r["payment_count"].clone(), paid, lines)
}

async fn an_erased_member_is_found_nowhere_and_the_books_still_add_up(backend: TestBackend) {
    let w = World::new(backend).await;
    w.regional_card().await;
    let admin = w.app.user(Role::Admin).await;
    let Year { run, .. } = a_year_of_records(&w).await;
    let id = w.member_id.clone();
    let erase = format!("/api/v1/members/{id}/erase");
    let before = books(&w, &run).await;
    assert_eq!(before.2, before.3, "payments and paid lines agree");
    for needle in [NAME, "sam@example.org"] {
        assert!(
            !tables_holding(&w, needle).await.is_empty(),
            "{needle} is held before"
        );
    }

    // Not while a run that pays them is not yet paid: it says what to settle.
    let res = w
        .app
        .post_as(
            &erase,
            Some(&admin.token),
            json!({"reason": "They asked us to"}),
        )
        .await;
    assert_eq!(res.status(), 409);
    let problem: Value = res.json().await.unwrap();
    let detail = problem["detail"].as_str().unwrap();
    assert!(detail.contains(&s(&run["id"])), "{detail}");
    assert!(detail.contains("mark it paid"), "{detail}");
    w.mark_paid(&run).await;

    // Bad input and other roles.
    for body in [
        json!({}),
        json!({"reason": "  "}),
        json!({"reason": "x".repeat(501)}),
        json!({"reason": 5}),
    ] {
        let status = w
            .app
            .post_as(&erase, Some(&admin.token), body.clone())
            .await
            .status();
        assert!(status == 400 || status == 422, "{body}: {status}");
    }
    for token in [&w.coordinator.token, &w.finance.token, &w.member.token] {
        let status = w
            .app
            .post_as(&erase, Some(token), json!({"reason": "x"}))
            .await
            .status();
        assert_eq!(status, 403);
    }
    // The pages are for admins too.
    let coordinator = crate::member_pages::signed_in(&w, &w.coordinator.email).await;
    for page in [
        format!("/members/{id}/erase"),
        format!("/members/{id}/data-export?format=pdf"),
    ] {
        assert_eq!(
            coordinator.open(&w.app.url(&page)).await.status,
            403,
            "{page}"
        );
    }
    let status = w
        .app
        .post_as(
            "/api/v1/members/nobody/erase",
            Some(&admin.token),
            json!({"reason": "x"}),
        )
        .await
        .status();
    assert_eq!(status, 404);

    // The erasure.
    let done = ok(
        w.app
            .post_as(
                &erase,
                Some(&admin.token),
                json!({"reason": format!("{NAME} asked us to, by letter")}),
            )
            .await,
        200,
    )
    .await;
    let pseudonym = s(&done["pseudonym"]);
    assert!(pseudonym.starts_with("Erased member "), "{done}");
    let when = s(&done["erased_at"]);
    assert!(
        chrono::DateTime::parse_from_rfc3339(&when).is_ok(),
        "an RFC 3339 instant: {when}"
    );
    assert!(done["removed"]["receipts"].as_u64().unwrap() >= 1, "{done}");
    assert!(done["removed"]["emails"].as_u64().unwrap() >= 1, "{done}");
    // Once.
    let again = w
        .app
        .post_as(&erase, Some(&admin.token), json!({"reason": "again"}))
        .await;
    assert_eq!(again.status(), 409);

    // Found nowhere: no column of any table holds any of it.
    for needle in [
        NAME,
        "Tamsin",
        "Quarrington",
        "sam@example.org",
        &w.member.email,
        "07700 900123",
        "TQ-REF-77",
        "1 High Street",
        "Northtown",
        "Large print, please",
        "Prefers phone calls",
        "a parking ticket",
    ] {
        let found = tables_holding(&w, needle).await;
        assert!(found.is_empty(), "{needle} is still in {found:?}");
    }

    // The books: every run adds up as it did.
    assert_eq!(books(&w, &run).await, before);
    let member = ok(
        w.app
            .get_as(&format!("/api/v1/members/{id}"), &admin.token)
            .await,
        200,
    )
    .await;
    assert_eq!(member["full_name"], pseudonym);
    assert_eq!(member["archived"], true);

    // Their copy says nothing of them either; the audit says who and why.
    let copy = ok(
        w.app
            .get_as(&format!("/api/v1/members/{id}/data-export"), &admin.token)
            .await,
        200,
    )
    .await
    .to_string()
    .to_lowercase();
    for needle in ["tamsin", "quarrington", "sam@example.org", "northtown"] {
        assert!(!copy.contains(needle), "{needle} in the copy");
    }
    let audit = ok(
        w.app
            .get_as(
                &format!("/api/v1/audit?entity_id={id}&action=member.erased"),
                &admin.token,
            )
            .await,
        200,
    )
    .await;
    let event = audit["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|e| e["action"] == "member.erased")
        .unwrap_or_else(|| panic!("{audit}"))
        .clone();
    assert_eq!(event["actor_id"], admin.id.as_str());
    assert_eq!(event["reason"], "[erased] asked us to, by letter");

    // Nothing new is recorded for them.
    let patch = w
        .app
        .call(
            reqwest::Method::PATCH,
            &format!("/api/v1/members/{id}"),
            Some(&admin.token),
            Some(json!({"full_name": NAME})),
        )
        .await;
    assert_eq!(patch.status(), 409);
    let adjust = w
        .app
        .post_as(
            "/api/v1/adjustments",
            Some(&w.finance.token),
            json!({"member_id": id, "amount": "5.00", "kind": "fee", "reason": "more"}),
        )
        .await;
    assert_eq!(adjust.status(), 409);

    // Their account is gone: the token no longer works, the address signs nobody in.
    assert_eq!(
        w.app.get_as("/api/v1/me", &w.member.token).await.status(),
        401
    );
    let res = w.app.login(&w.member.email, crate::helpers::PASSWORD).await;
    assert_eq!(res.status(), 401);
}

both_backends!(an_erased_member_is_found_nowhere_and_the_books_still_add_up);
