//! Finance at a glance over a large history: 2,000 members in 5 groups paid weekly, one payment
//! each a week, for 5 and 50 weeks (10,000 and 100,000 payments, with as many lines, attendance
//! records and taken sources). Reports how long `services::summary::summary` takes and how many
//! statements it runs, which stays the same however many payments there are.
//!
//! `cargo bench --bench summary` (SQLite in a temporary folder). With COPROD_TEST_POSTGRES_URL
//! set, PostgreSQL too. `-- 50` runs one size (in weeks) only.

// A benchmark that meets the unexpected should stop loudly.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use chrono::{Days, NaiveDate};
use coprod::db::meetings::{AttendanceRow, MeetingRow};
use coprod::db::pay::{PayLineRow, PayRunRow, PaymentRow};
use coprod::db::people::{GroupRow, MemberRow};
use coprod::db::{self, Database, DbConnection};
use coprod::domain::draft::SourceKind;
use coprod::domain::payrun::{Disposition, LineKind, Method, RunStatus};
use coprod::domain::records::AttendanceStatus;
use coprod::services::{Actor, Role};
use diesel::{Connection, RunQueryDsl};

const MEMBERS: usize = 2_000;
const GROUPS: usize = 5;

fn first_payment() -> NaiveDate {
    "2025-01-03".parse().unwrap()
}

fn seed(conn: &mut DbConnection, weeks: usize) {
    let now = db::now();
    conn.transaction::<_, diesel::result::Error, _>(|conn| {
        let groups: Vec<GroupRow> = (0..GROUPS)
            .map(|g| GroupRow {
                id: db::new_id(),
                name: format!("Group {g}"),
                description: None,
                archived_at: None,
                created_at: now,
                updated_at: now,
            })
            .collect();
        for g in &groups {
            coprod::db::people::insert_group(conn, g)?;
        }
        let members: Vec<MemberRow> = (0..MEMBERS)
            .map(|n| MemberRow {
                id: db::new_id(),
                full_name: format!("Member {n}"),
                preferred_name: None,
                email: None,
                phone: None,
                payee_reference: None,
                communication_needs: None,
                notes: None,
                archived_at: None,
                created_at: now,
                updated_at: now,
                preferred_formats: String::new(),
                postal_address: None,
            })
            .collect();
        for m in &members {
            coprod::db::people::insert_member(conn, m)?;
        }
        for w in 0..weeks {
            let paid_on = first_payment() + Days::new(7 * w as u64);
            let session_day = paid_on - Days::new(4 + (w % 9) as u64);
            let meetings: Vec<MeetingRow> = groups
                .iter()
                .map(|g| MeetingRow {
                    id: db::new_id(),
                    group_id: g.id.clone(),
                    title: format!("Week {w}"),
                    activity_kind: "meeting".into(),
                    meeting_date: session_day,
                    starts_at: None,
                    duration_minutes: 180,
                    prep_minutes_allowed: 60,
                    location: None,
                    online: false,
                    created_at: now,
                    updated_at: now,
                    reminder_days: 2,
                    calendar_sequence: 0,
                    cancelled_at: None,
                    cancel_reason: None,
                })
                .collect();
            for m in &meetings {
                coprod::db::meetings::insert_meeting(conn, m)?;
            }
            let run = PayRunRow {
                id: db::new_id(),
                group_id: None,
                period_start: session_day,
                period_end: session_day,
                payment_date: paid_on,
                status: RunStatus::Paid,
                payment_count: MEMBERS as i32,
                line_count: MEMBERS as i32,
                total_pence: 0,
                warnings: "[]".into(),
                calculated_at: now,
                created_by: None,
                created_at: now,
                approved_by: None,
                approved_at: Some(now),
                exported_at: None,
                paid_on: Some(paid_on),
                paid_reference: None,
                marked_paid_by: None,
                marked_paid_at: None,
                cancelled_by: None,
                cancelled_at: None,
                updated_at: now,
                export_count: 0,
            };
            coprod::db::pay::insert_run(conn, &run)?;
            let mut attendance = Vec::with_capacity(MEMBERS);
            let mut lines = Vec::with_capacity(MEMBERS);
            let mut pays = Vec::with_capacity(MEMBERS);
            for (n, m) in members.iter().enumerate() {
                let meeting = &meetings[n % GROUPS];
                let record = AttendanceRow {
                    id: db::new_id(),
                    meeting_id: meeting.id.clone(),
                    member_id: m.id.clone(),
                    status: AttendanceStatus::Attended,
                    attended_minutes: Some(180),
                    prep_minutes: 0,
                    role_override: None,
                    notes: None,
                    created_at: now,
                    updated_at: now,
                };
                let disposition = match n % 20 {
                    0 => Disposition::Donated,
                    1 => Disposition::CarriedForward,
                    _ => Disposition::Paid,
                };
                lines.push(PayLineRow {
                    id: db::new_id(),
                    pay_run_id: run.id.clone(),
                    position: n as i32,
                    member_id: m.id.clone(),
                    group_id: Some(meeting.group_id.clone()),
                    meeting_id: Some(meeting.id.clone()),
                    meeting_date: Some(session_day),
                    source_kind: SourceKind::Attendance,
                    source_id: record.id.clone(),
                    kind: LineKind::Fee,
                    disposition,
                    method: Some(if n % 7 == 0 {
                        Method::Voucher
                    } else {
                        Method::BankTransfer
                    }),
                    payee: None,
                    amount_pence: 7_500,
                    minutes: Some(180),
                    rate_pence: None,
                    rate_card_id: None,
                    rule: None,
                    explanation: "Half day".into(),
                });
                pays.push(PaymentRow {
                    id: db::new_id(),
                    pay_run_id: run.id.clone(),
                    position: n as i32,
                    member_id: m.id.clone(),
                    payee: m.full_name.clone(),
                    method: Method::BankTransfer,
                    fee_pence: 7_500,
                    expenses_pence: 0,
                    total_pence: 7_500,
                });
                attendance.push(record);
            }
            for chunk in attendance.chunks(500) {
                coprod::db::meetings::upsert_attendance(conn, chunk)?;
            }
            coprod::db::pay::replace_lines(conn, &run.id, &lines, &pays)?;
            coprod::db::pay::claim_sources(conn, &run.id, now)?;
        }
        Ok(())
    })
    .expect("seed");
}

fn bench(label: &str, url: &str, weeks: usize) {
    let db = Database::connect(url, 2, Duration::from_secs(10)).expect("connect");
    db.migrate().expect("migrate");
    let mut conn = db.get().expect("a connection");
    let seeded = Instant::now();
    seed(&mut conn, weeks);
    // As the database's own statistics would be after autovacuum (PostgreSQL) or `ANALYZE`.
    diesel::sql_query("ANALYZE")
        .execute(&mut conn)
        .expect("analyze");
    let seeding = seeded.elapsed();
    let actor = Actor {
        account_id: "finance".into(),
        email: "finance@example.org".into(),
        role: Role::Finance,
        member_id: None,
        group_ids: vec![],
        session_id: String::new(),
        request_id: None,
    };
    let today = first_payment() + Days::new(7 * weeks as u64);
    let from = first_payment().to_string();
    let mut times = Vec::new();
    let mut statements = 0;
    let mut summary = None;
    for _ in 0..5 {
        let q0 = db.queries();
        let started = Instant::now();
        let s =
            coprod::services::summary::summary(&mut conn, &actor, Some(&from), None, None, today)
                .expect("a summary");
        times.push(started.elapsed());
        statements = db.queries() - q0;
        summary = Some(s);
    }
    times.sort();
    let s = summary.unwrap();
    // Where the time goes, statement by statement.
    let to = today;
    let from_day = first_payment();
    let timed = |what: &str, f: &mut dyn FnMut()| {
        let started = Instant::now();
        f();
        format!("{what} {:.0} ms", started.elapsed().as_secs_f64() * 1000.0)
    };
    let mut parts = Vec::new();
    let mut runs = std::collections::HashMap::new();
    parts.push(timed("runs", &mut || {
        runs = coprod::db::reports::runs_paid_between(&mut conn, from_day, to)
            .unwrap()
            .into_iter()
            .map(|r| (r.0, r.1))
            .collect();
    }));
    let ids: Vec<String> = runs.keys().cloned().collect();
    parts.push(timed("lines", &mut || {
        coprod::db::reports::summary_lines(&mut conn, &ids, None).unwrap();
    }));
    parts.push(timed("waits", &mut || {
        coprod::db::reports::paid_after(&mut conn, &runs, from_day, to, None).unwrap();
    }));
    parts.push(timed("sessions waiting", &mut || {
        coprod::db::reports::sessions_waiting(&mut conn, to, None, 10).unwrap();
    }));
    parts.push(timed("claims waiting", &mut || {
        coprod::db::reports::claims_waiting(&mut conn, None, 10).unwrap();
    }));
    println!("         {}", parts.join(", "));
    println!(
        "{label:<8} {:>6} payments | summary median {:>6.1} ms (best {:>6.1} ms), {} statements | {} months, paid £{}, median wait {:?} days, p90 {:?} | seeded in {:.0} s",
        weeks * MEMBERS,
        times[times.len() / 2].as_secs_f64() * 1000.0,
        times[0].as_secs_f64() * 1000.0,
        statements,
        s.by_month.len(),
        s.totals.paid(),
        s.time_to_pay.median_days,
        s.time_to_pay.p90_days,
        seeding.as_secs_f64(),
    );
}

fn main() {
    let sizes: Vec<usize> = match std::env::args().skip(1).find_map(|a| a.parse().ok()) {
        Some(n) => vec![n],
        None => vec![5, 50],
    };
    for &weeks in &sizes {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let url = format!("sqlite://{}/bench.sqlite3", dir.path().display());
        bench("sqlite", &url, weeks);
    }
    if let Ok(admin) = std::env::var("COPROD_TEST_POSTGRES_URL") {
        for &weeks in &sizes {
            let name = format!("coprod_bench_{}", uuid::Uuid::now_v7().simple());
            let mut conn = diesel::PgConnection::establish(&admin).expect("reach PostgreSQL");
            diesel::sql_query(format!("CREATE DATABASE \"{name}\""))
                .execute(&mut conn)
                .expect("create a bench database");
            let mut url = url::Url::parse(&admin).expect("a URL");
            url.set_path(&format!("/{name}"));
            bench("postgres", url.as_str(), weeks);
            let _ = diesel::sql_query(format!("DROP DATABASE \"{name}\" WITH (FORCE)"))
                .execute(&mut conn);
        }
    }
}
