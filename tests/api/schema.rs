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
        holds_secret: true,
        calendar: Some("BEGIN:VCALENDAR".into()),
    };
    let empty = OutboxRow {
        id: coprod::db::new_id(),
        dedupe_key: "k2".into(),
        last_error: None,
        sent_at: None,
        body_text: String::new(),
        attempts: 0,
        status: "pending".into(),
        holds_secret: false,
        calendar: None,
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
                    holds_secret: false,
                    calendar: None,
                })
                .execute(c)
        })
        .await;
    assert!(result.is_err(), "status 'lost' must be refused");
}

/// A receipt's type is one of the four accepted, and its size is its bytes' length.
async fn receipts_refuse_other_types_and_wrong_sizes(backend: TestBackend) {
    let app = spawn_app(backend).await;
    let results = app
        .with_db(|c| {
            let insert = |c: &mut coprod::db::DbConnection, content_type: &str, size: i64| {
                diesel::sql_query(
                    "INSERT INTO receipts (id, expense_id, filename, content_type, size_bytes, sha256, \
                     bytes, uploaded_by, uploaded_at) VALUES ($1, 'no-claim', 'a', $2, $3, $4, $5, 'no-one', $6)",
                )
                .bind::<diesel::sql_types::Text, _>(coprod::db::new_id())
                .bind::<diesel::sql_types::Text, _>(content_type.to_string())
                .bind::<diesel::sql_types::BigInt, _>(size)
                .bind::<diesel::sql_types::Text, _>("0".repeat(64))
                .bind::<diesel::sql_types::Binary, _>(vec![1u8, 2, 3])
                .bind::<diesel::sql_types::Timestamp, _>(coprod::db::now())
                .execute(c)
                .map_err(|e| e.to_string())
            };
            [insert(c, "text/html", 3), insert(c, "application/pdf", 4)]
        })
        .await;
    for r in &results {
        let e = r.as_ref().expect_err("refused");
        assert!(e.to_lowercase().contains("check"), "{e}");
    }
}

/// One row through every table, with the edge values of each column type (BigInt near its limit,
/// Bool both ways, Date far apart, Timestamp to the microsecond, Nullable set and unset), read back
/// exactly.
async fn every_table_round_trips_every_column_type(backend: TestBackend) {
    use coprod::db::{accounts, audit, idempotency, meetings, people, receipts, sessions};
    let app = spawn_app(backend).await;
    let same = app
        .with_db(|c| {
            let t = at("2025-04-06 00:00:00.000001");
            let id = coprod::db::new_id;
            let group = people::GroupRow {
                id: id(),
                name: "Ünïcode group — ‘quotes’".into(),
                description: None,
                archived_at: Some(t),
                created_at: t,
                updated_at: t,
            };
            people::insert_group(c, &group).unwrap();
            let member = people::MemberRow {
                id: id(),
                full_name: "Zoë O'Brien".into(),
                preferred_name: Some("Zo".into()),
                email: None,
                phone: Some("+44 1234".into()),
                payee_reference: Some("SUP-1".into()),
                communication_needs: None,
                notes: Some("line\nbreak".into()),
                archived_at: None,
                created_at: t,
                updated_at: at("2099-12-31 23:59:59.999999"),
                preferred_formats: "large_print,easy_read".into(),
                postal_address: Some("1 High Street\nTown\nAB1 2CD".into()),
            };
            people::insert_member(c, &member).unwrap();
            let account = accounts::AccountRow {
                id: id(),
                email: "zoe@example.org".into(),
                password_hash: None,
                role: coprod::domain::Role::Member,
                member_id: Some(member.id.clone()),
                disabled: true,
                password_changed_at: None,
                last_login_at: Some(t),
                created_at: t,
                updated_at: t,
            };
            accounts::insert(c, &account).unwrap();
            let mut enabled = account.clone();
            enabled.id = id();
            enabled.email = "admin@example.org".into();
            enabled.role = coprod::domain::Role::Coordinator;
            enabled.member_id = None;
            enabled.disabled = false;
            accounts::insert(c, &enabled).unwrap();
            accounts::set_groups(c, &enabled.id, std::slice::from_ref(&group.id)).unwrap();
            let session = sessions::SessionRow {
                id: id(),
                account_id: account.id.clone(),
                kind: "api_token".into(),
                name: Some("n".into()),
                token_hash: "h".repeat(64),
                created_at: t,
                expires_at: at("2038-01-19 03:14:08"),
                last_used_at: t,
                revoked_at: None,
            };
            sessions::insert(c, &session).unwrap();
            let link = sessions::OneTimeTokenRow {
                id: id(),
                account_id: account.id.clone(),
                purpose: "invitation".into(),
                token_hash: "x".into(),
                created_at: t,
                expires_at: t,
                used_at: Some(t),
            };
            sessions::insert_one_time(c, &link).unwrap();
            let event = audit::AuditRow {
                id: id(),
                occurred_at: t,
                actor_id: None,
                action: "a".into(),
                entity_type: "e".into(),
                entity_id: "1".into(),
                before_json: Some("{\"x\":1}".into()),
                after_json: None,
                reason: Some("r".into()),
                request_id: None,
            };
            audit::insert(c, &event).unwrap();
            let membership = people::MembershipRow {
                id: id(),
                group_id: group.id.clone(),
                member_id: member.id.clone(),
                role: "co_chair".into(),
                starts_on: chrono::NaiveDate::from_ymd_opt(1900, 1, 1).unwrap(),
                ends_on: Some(chrono::NaiveDate::from_ymd_opt(2999, 12, 31).unwrap()),
                created_at: t,
                updated_at: t,
            };
            people::insert_membership(c, &membership).unwrap();
            let meeting = meetings::MeetingRow {
                id: id(),
                group_id: group.id.clone(),
                title: "T".into(),
                activity_kind: "workshop".into(),
                meeting_date: chrono::NaiveDate::from_ymd_opt(2025, 2, 28).unwrap(),
                starts_at: Some("09:05".into()),
                duration_minutes: 1440,
                prep_minutes_allowed: 0,
                location: None,
                online: true,
                created_at: t,
                updated_at: t,
                reminder_days: 2,
                calendar_sequence: 0,
                cancelled_at: None,
                cancel_reason: None,
            };
            meetings::insert_meeting(c, &meeting).unwrap();
            let record = meetings::AttendanceRow {
                id: id(),
                meeting_id: meeting.id.clone(),
                member_id: member.id.clone(),
                status: coprod::domain::records::AttendanceStatus::Partial,
                attended_minutes: Some(1),
                prep_minutes: 0,
                role_override: None,
                notes: Some("n".into()),
                created_at: t,
                updated_at: t,
            };
            meetings::upsert_attendance(c, std::slice::from_ref(&record)).unwrap();
            let claim = meetings::ExpenseRow {
                id: id(),
                meeting_id: meeting.id.clone(),
                member_id: member.id.clone(),
                kind: coprod::domain::records::ExpenseKind::Care,
                care_type: Some(coprod::domain::records::CareType::Childcare),
                miles_tenths: None,
                passengers: 0,
                amount_pence: Some(i64::MAX / 2),
                receipt_ref: None,
                description: Some("d".into()),
                status: coprod::domain::records::ClaimStatus::Approved,
                decided_by: Some(enabled.id.clone()),
                decided_at: Some(t),
                rejection_reason: None,
                created_by: None,
                created_at: t,
                updated_at: t,
                late_reason: Some("Receipt found in a coat — ‘late’".into()),
            };
            meetings::insert_expense(c, &claim).unwrap();
            // Every byte value, NUL and 0xFF included, comes back as it went in.
            let bytes: Vec<u8> = (0..=255u8).chain([0, 0, 255]).collect();
            let receipt = receipts::ReceiptRow {
                id: id(),
                expense_id: claim.id.clone(),
                filename: "reçu 1.pdf".into(),
                content_type: coprod::domain::receipts::ReceiptType::Pdf,
                size_bytes: bytes.len() as i64,
                sha256: coprod::domain::receipts::sha256_hex(&bytes),
                bytes,
                uploaded_by: account.id.clone(),
                uploaded_at: t,
            };
            receipts::insert(c, &receipt).unwrap();
            let key = idempotency::IdempotencyRow {
                account_id: enabled.id.clone(),
                idem_key: "k".into(),
                request_hash: "h".into(),
                status_code: Some(201),
                response_body: Some("{}".into()),
                location: None,
                created_at: t,
            };
            idempotency::claim(c, &key).unwrap();

            let checks = [
                people::find_group(c, &group.id).unwrap() == Some(group.clone()),
                people::find_member(c, &member.id).unwrap() == Some(member.clone()),
                accounts::find(c, &account.id).unwrap() == Some(account.clone()),
                accounts::find(c, &enabled.id).unwrap() == Some(enabled.clone()),
                accounts::group_ids_of(c, std::slice::from_ref(&enabled.id)).unwrap()
                    == vec![(enabled.id.clone(), group.id.clone())],
                coprod::db::actors::by_token_hash(c, &session.token_hash)
                    .unwrap()
                    .map(|a| a.session)
                    == Some(session.clone()),
                sessions::find_one_time(c, "invitation", "x").unwrap() == Some(link.clone()),
                audit::list(c, &audit::AuditFilter::default(), None, 10)
                    .unwrap()
                    .contains(&event),
                people::find_membership(c, &membership.id).unwrap() == Some(membership.clone()),
                meetings::find_meeting(c, &meeting.id).unwrap() == Some(meeting.clone()),
                meetings::attendance_of_meeting(c, &meeting.id).unwrap() == vec![record.clone()],
                meetings::find_expense(c, &claim.id).unwrap() == Some(claim.clone()),
                receipts::find_file(c, &receipt.id).unwrap() == Some(receipt.clone()),
                idempotency::find(c, &enabled.id, "k").unwrap() == Some(key.clone()),
            ];
            checks.to_vec()
        })
        .await;
    for (i, ok) in same.iter().enumerate() {
        assert!(ok, "table check {i} read back something else");
    }
}

both_backends!(
    outbox_rows_round_trip,
    check_constraints_refuse_unknown_states,
    receipts_refuse_other_types_and_wrong_sizes,
    every_table_round_trips_every_column_type,
);
