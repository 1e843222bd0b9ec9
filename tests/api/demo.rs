//! `coprod demo`: the real binary seeds a fresh database, prints a sign-in for every role and
//! refuses a database that is not empty; in process, the sample holds a paid run and a draft run
//! that the demo finance sign-in can approve, and the demo member sees their own record.

use reqwest::Method;
use serde_json::{json, Value};

use crate::both_backends;
use crate::cli::{coprod, text};
use crate::helpers::{spawn_app, TestBackend};
use coprod::demo::{ADMIN, COORDINATOR, FINANCE, MEMBER};

async fn demo_seeds_prints_sign_ins_and_refuses_a_second_time(backend: TestBackend) {
    let dir = tempfile::tempdir().unwrap();
    let url = backend.fresh_database_url(dir.path());
    let env = [("COPROD__DATABASE__URL", url.as_str())];

    let first = coprod(dir.path(), &["demo", "--no-serve"], &env);
    let out = text(&first.stdout);
    assert!(first.status.success(), "{}", text(&first.stderr));
    assert!(out.contains("DEMO accounts"), "{out}");
    assert!(out.contains("http://127.0.0.1:8080/"), "{out}");
    for login in [ADMIN, COORDINATOR, FINANCE, MEMBER] {
        assert!(out.contains(login.email), "{out}");
        assert!(out.contains(login.password), "{out}");
    }
    assert!(
        out.contains("start at /me") && out.contains("start at /runs"),
        "{out}"
    );
    assert!(
        out.contains("North East Co-production Advisory Group"),
        "{out}"
    );

    let second = coprod(dir.path(), &["demo", "--no-serve"], &env);
    assert_eq!(second.status.code(), Some(1));
    let err = text(&second.stderr);
    assert!(err.contains("only fills an empty one"), "{err}");
    assert_eq!(err.trim().lines().count(), 1, "one sentence: {err}");
    assert!(
        !text(&second.stdout).contains("DEMO"),
        "no sign-ins the second time"
    );
}

async fn the_sample_has_a_paid_and_a_draft_run_and_its_sign_ins_work(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let (db, settings) = (app.db.clone(), app.settings.clone());
    let today = settings.today();
    let demo = tokio::task::spawn_blocking(move || coprod::demo::seed(&db, &settings, today))
        .await
        .unwrap()
        .expect("the sample is made");

    let paid = &demo.paid_run;
    assert_eq!(paid.status.as_str(), "paid");
    assert!(
        paid.total.is_positive() && paid.payment_count > 0,
        "{paid:?}"
    );
    assert!(paid.warnings.is_empty(), "{:?}", paid.warnings);
    assert!(paid.paid_on.is_some_and(|d| d < today));
    for outcome in ["paid", "carried_forward", "forgone", "donated", "declined"] {
        assert!(
            paid.totals_by_disposition.contains_key(outcome),
            "{outcome}: {:?}",
            paid.totals_by_disposition
        );
    }
    for method in ["bank_transfer", "payroll", "voucher"] {
        assert!(paid.totals_by_method.contains_key(method), "{method}");
    }
    let draft = &demo.draft_run;
    assert_eq!(draft.status.as_str(), "draft");
    assert!(
        draft.total.is_positive() && draft.payment_count > 0,
        "{draft:?}"
    );
    assert!(draft.warnings.is_empty(), "{:?}", draft.warnings);
    assert!(draft.period_start > paid.period_end);
    assert!(draft.payment_date > today);

    // Finance signs in with the printed password and approves the draft it has reviewed.
    let finance = app.token(FINANCE.email, FINANCE.password).await;
    let runs: Value = app
        .get_as("/api/v1/pay-runs", &finance)
        .await
        .json()
        .await
        .unwrap();
    let statuses: Vec<&str> = runs["items"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|r| r["status"].as_str())
        .collect();
    assert_eq!(statuses.len(), 2, "{runs}");
    assert!(
        statuses.contains(&"paid") && statuses.contains(&"draft"),
        "{runs}"
    );
    let approved = app
        .post_as(
            &format!("/api/v1/pay-runs/{}/approve", draft.id),
            Some(&finance),
            json!({"expected_total": draft.total.to_string(), "expected_count": draft.payment_count}),
        )
        .await;
    assert_eq!(approved.status(), 200, "{}", approved.text().await.unwrap());

    // The member sees their own record and the payments of the paid run.
    let member = app.token(MEMBER.email, MEMBER.password).await;
    let me: Value = app
        .get_as("/api/v1/me", &member)
        .await
        .json()
        .await
        .unwrap();
    assert_eq!(me["member"]["full_name"], "Tom Fairbairn", "{me}");
    let id = me["member"]["id"].as_str().unwrap().to_string();
    let payments = app
        .call(
            Method::GET,
            &format!("/api/v1/members/{id}/payments"),
            Some(&member),
            None,
        )
        .await;
    assert_eq!(payments.status(), 200);
    let body = payments.text().await.unwrap();
    assert!(body.contains(&paid.id), "{body}");

    // The coordinator and admin sign-ins work too.
    app.token(COORDINATOR.email, COORDINATOR.password).await;
    app.token(ADMIN.email, ADMIN.password).await;

    let (db, settings) = (app.db.clone(), app.settings.clone());
    let again = tokio::task::spawn_blocking(move || coprod::demo::seed(&db, &settings, today))
        .await
        .unwrap();
    assert!(
        matches!(again, Err(coprod::services::Error::Conflict(_))),
        "{again:?}"
    );
}

both_backends!(
    demo_seeds_prints_sign_ins_and_refuses_a_second_time,
    the_sample_has_a_paid_and_a_draft_run_and_its_sign_ins_work
);
