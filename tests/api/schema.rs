//! Every column type round-trips through every table, exactly, on both backends.

use chrono::{NaiveDate, NaiveDateTime};
use coprod::db::outbox::{self, OutboxRow};
use diesel::prelude::*;

use crate::both_backends;
use crate::helpers::{spawn_app, TestBackend};

fn at(s: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S%.f").unwrap()
}

async fn outbox_rows_round_trip(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let full = OutboxRow {
        id: coprod::db::new_id(),
        dedupe_key: "key with ünïcode and 'quotes' \"and\" emoji 🙂".into(),
        recipient: "sam@example.org".into(),
        subject: "£75.00 — approved".into(),
        body_text: "line one\nline two\r\n\ttabbed".into(),
        body_html: "<p>&amp; &lt;</p>".into(),
        status: "failed".into(),
        attempts: i32::MAX,
        next_attempt_at: at("2025-07-04 09:30:00.123456"),
        last_error: Some("connection refused".into()),
        sent_at: Some(at("1999-12-31 23:59:59.999999")),
        created_at: at("2025-04-06 00:00:00.000001"),
        updated_at: NaiveDate::from_ymd_opt(2038, 1, 19)
            .unwrap()
            .and_hms_micro_opt(3, 14, 8, 0)
            .unwrap(),
    };
    let empty = OutboxRow {
        id: coprod::db::new_id(),
        dedupe_key: "k2".into(),
        last_error: None,
        sent_at: None,
        body_text: String::new(),
        attempts: 0,
        status: "pending".into(),
        // Not due for years, so the mail worker leaves it alone while the test reads it back.
        next_attempt_at: at("2099-01-01 00:00:00"),
        ..full.clone()
    };
    let rows = vec![full, empty];
    let written = rows.clone();
    let read = app
        .with_db(move |c| {
            for r in &written {
                diesel::insert_into(coprod::db::schema::outbox::table)
                    .values(r)
                    .execute(c)
                    .unwrap();
            }
            written
                .iter()
                .map(|r| outbox::find(c, &r.id).unwrap().unwrap())
                .collect::<Vec<_>>()
        })
        .await;
    assert_eq!(read, rows);
}

async fn check_constraints_refuse_unknown_states(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let result = app
        .with_db(|c| {
            let now = coprod::db::now();
            diesel::insert_into(coprod::db::schema::outbox::table)
                .values(&OutboxRow {
                    id: coprod::db::new_id(),
                    dedupe_key: "k".into(),
                    recipient: "a@example.org".into(),
                    subject: "s".into(),
                    body_text: "t".into(),
                    body_html: "h".into(),
                    status: "lost".into(),
                    attempts: 0,
                    next_attempt_at: now,
                    last_error: None,
                    sent_at: None,
                    created_at: now,
                    updated_at: now,
                })
                .execute(c)
        })
        .await;
    assert!(result.is_err(), "status 'lost' must be refused");
}

both_backends!(
    outbox_rows_round_trip,
    check_constraints_refuse_unknown_states
);
