//! Drafting a pay run at scale: N members in 10 groups, each attending the group's 26 meetings
//! (2,000 members is 52,000 attendance records), a quarter of them capped at a benefit limit and
//! a tenth donating. Reports the time to draft, the statements run and the peak memory, for 500,
//! 1,000 and 2,000 members so the growth can be seen to be linear and the query count fixed.
//!
//! "store / calculate" is the whole draft (calculating, then writing every line and payment)
//! over the calculation alone: what storing costs on top, per backend.
//!
//! `cargo bench --bench payrun` (SQLite in a temporary folder). With COPROD_TEST_POSTGRES_URL set,
//! PostgreSQL too. `-- 2000` runs one size only.

// A test or a benchmark that meets the unexpected should stop loudly.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::time::{Duration, Instant};

use chrono::NaiveDate;
use coprod::db::meetings::{AttendanceRow, MeetingRow};
use coprod::db::pay::{PreferenceRow, RateCardRow, RateRuleRow};
use coprod::db::people::{GroupRow, MemberRow, MembershipRow};
use coprod::db::{self, Database, DbConnection};
use coprod::services::payruns::{self, NewRun};
use coprod::services::{Actor, Role};
use diesel::{Connection, RunQueryDsl};

const GROUPS: usize = 10;
const MEETINGS: usize = 26;

fn date(s: &str) -> NaiveDate {
    s.parse().expect("a date")
}

/// Peak resident memory of this process so far, in KiB (Linux), and a way to reset it.
fn peak_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn current_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

fn reset_peak() {
    let _ = std::fs::write("/proc/self/clear_refs", "5");
}

fn seed(conn: &mut DbConnection, members: usize) -> String {
    let now = db::now();
    let account = coprod::db::accounts::AccountRow {
        id: db::new_id(),
        email: "finance@example.org".into(),
        password_hash: None,
        role: coprod::domain::Role::Finance,
        member_id: None,
        disabled: false,
        password_changed_at: None,
        last_login_at: None,
        created_at: now,
        updated_at: now,
    };
    conn.transaction::<_, diesel::result::Error, _>(|conn| {
        coprod::db::accounts::insert(conn, &account)?;
        let card = RateCardRow {
            id: db::new_id(),
            name: "Regional 2025".into(),
            group_id: None,
            effective_from: date("2025-04-01"),
            effective_to: None,
            supersedes: None,
            created_by: None,
            created_at: now,
            updated_at: now,
        };
        let rule = |role: &str, half: i64, full: i64, prep: i64, position: i32| RateRuleRow {
            id: db::new_id(),
            rate_card_id: card.id.clone(),
            position,
            role: Some(role.into()),
            activity_kind: Some("meeting".into()),
            member_id: None,
            basis: coprod::domain::rates::BasisKind::Band,
            hourly_rate_pence: None,
            half_day_pence: Some(half),
            full_day_pence: Some(full),
            boundary_minutes: Some(240),
            boundary_is_full_day: false,
            fixed_pence: None,
            prep_hourly_rate_pence: Some(prep),
        };
        coprod::db::pay::insert_card(
            conn,
            &card,
            &[
                rule("co_chair", 10_000, 20_000, 2_500, 0),
                rule("member", 7_500, 15_000, 2_000, 1),
            ],
        )?;
        let mut attendance = Vec::with_capacity(members * MEETINGS);
        for g in 0..GROUPS {
            let group = GroupRow {
                id: db::new_id(),
                name: format!("Group {g}"),
                description: None,
                archived_at: None,
                created_at: now,
                updated_at: now,
            };
            coprod::db::people::insert_group(conn, &group)?;
            let meetings: Vec<MeetingRow> = (0..MEETINGS)
                .map(|i| MeetingRow {
                    id: db::new_id(),
                    group_id: group.id.clone(),
                    title: format!("Meeting {i}"),
                    activity_kind: "meeting".into(),
                    meeting_date: date("2025-04-07") + chrono::Days::new(7 * i as u64),
                    starts_at: None,
                    duration_minutes: if i % 3 == 0 { 300 } else { 180 },
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
            for k in 0..members / GROUPS {
                let n = g * (members / GROUPS) + k;
                let member = MemberRow {
                    id: db::new_id(),
                    full_name: format!("Member {n}"),
                    preferred_name: None,
                    email: Some(format!("member{n}@example.org")),
                    phone: None,
                    payee_reference: Some(format!("P{n:05}")),
                    communication_needs: None,
                    notes: None,
                    archived_at: None,
                    created_at: now,
                    updated_at: now,
                    preferred_formats: String::new(),
                    postal_address: None,
                };
                coprod::db::people::insert_member(conn, &member)?;
                coprod::db::people::insert_membership(
                    conn,
                    &MembershipRow {
                        id: db::new_id(),
                        group_id: group.id.clone(),
                        member_id: member.id.clone(),
                        role: if k < 2 { "co_chair" } else { "member" }.into(),
                        starts_on: date("2025-01-01"),
                        ends_on: None,
                        created_at: now,
                        updated_at: now,
                    },
                )?;
                let capped = n % 4 == 0;
                let donates = n % 10 == 1;
                if capped || donates {
                    coprod::db::pay::insert_preference(
                        conn,
                        &PreferenceRow {
                            id: db::new_id(),
                            member_id: member.id.clone(),
                            effective_from: date("2025-04-01"),
                            fee_choice: if donates {
                                coprod::domain::payrun::FeeOption::Donate
                            } else {
                                coprod::domain::payrun::FeeOption::Full
                            },
                            reduced_max_pence: None,
                            decline_expenses: false,
                            method: coprod::domain::payrun::Method::BankTransfer,
                            voucher_provider: None,
                            charity: donates.then(|| "Mind".into()),
                            cap_amount_pence: None,
                            cap_limit_code: capped.then(|| "uc_work_allowance_housing".into()),
                            cap_period: capped.then_some(coprod::domain::payrun::CapPeriod::Month),
                            cap_week_starts_on: None,
                            cap_month_anchor_day: capped.then_some(17),
                            cap_counts_methods: None,
                            over_cap: coprod::domain::payrun::OverCap::CarryForward,
                            notify_by_email: true,
                            set_by: None,
                            created_at: now,
                        },
                    )?;
                }
                for (i, m) in meetings.iter().enumerate() {
                    attendance.push(AttendanceRow {
                        id: db::new_id(),
                        meeting_id: m.id.clone(),
                        member_id: member.id.clone(),
                        status: if i % 5 == 4 {
                            coprod::domain::records::AttendanceStatus::Partial
                        } else {
                            coprod::domain::records::AttendanceStatus::Attended
                        },
                        attended_minutes: Some(if i % 5 == 4 { 120 } else { m.duration_minutes }),
                        prep_minutes: if i % 2 == 0 { 90 } else { 0 },
                        role_override: None,
                        notes: None,
                        created_at: now,
                        updated_at: now,
                    });
                }
            }
        }
        for chunk in attendance.chunks(500) {
            coprod::db::meetings::upsert_attendance(conn, chunk)?;
        }
        Ok(())
    })
    .expect("seed");
    account.id
}

fn bench(label: &str, url: &str, members: usize) {
    let db = Database::connect(url, 2, Duration::from_secs(10)).expect("connect");
    db.migrate().expect("migrate");
    let mut conn = db.get().expect("a connection");
    let account = seed(&mut conn, members);
    let actor = Actor {
        account_id: account,
        email: "finance@example.org".into(),
        role: Role::Finance,
        member_id: None,
        group_ids: vec![],
        session_id: String::new(),
        request_id: None,
    };
    let new = NewRun {
        group_id: None,
        period_start: date("2025-04-01"),
        period_end: date("2025-10-31"),
        payment_date: date("2025-11-07"),
    };
    // The calculation alone: loading its inputs is a fixed number of statements.
    let q0 = db.queries();
    let calc_started = Instant::now();
    let inputs = payruns::gather(
        &mut conn,
        None,
        new.period_start,
        new.period_end,
        new.payment_date,
    )
    .expect("inputs");
    let draft = coprod::domain::draft::build(&inputs);
    let calc = calc_started.elapsed();
    let calc_queries = db.queries() - q0;
    drop((inputs, draft));
    reset_peak();
    let rss_before = current_kib().unwrap_or(0);
    let queries_before = db.queries();
    let started = Instant::now();
    let run = payruns::create(&mut conn, &actor, new).expect("a draft");
    let elapsed = started.elapsed();
    let queries = db.queries() - queries_before;
    let peak = peak_kib().unwrap_or(0);
    let recalculated = Instant::now();
    let again = payruns::recalculate(&mut conn, &actor, &run.id).expect("recalculated");
    let recalc = recalculated.elapsed();
    assert_eq!(again.total, run.total, "recalculating changes nothing");
    println!(
        "{label:<8} {members:>5} members {:>6} attendance | calculate {:>5.0} ms, {} statements | draft and store {:>5.0} ms, {:>3} statements | store / calculate {:.1}× | recalculate {:>5.0} ms | {:>6} lines {:>5} payments, total £{} | peak RSS +{} MiB",
        members * MEETINGS,
        calc.as_secs_f64() * 1000.0,
        calc_queries,
        elapsed.as_secs_f64() * 1000.0,
        queries,
        elapsed.as_secs_f64() / calc.as_secs_f64().max(1e-9),
        recalc.as_secs_f64() * 1000.0,
        run.line_count,
        run.payment_count,
        run.total,
        peak.saturating_sub(rss_before) / 1024,
    );
    drop(conn);
}

fn main() {
    let sizes: Vec<usize> = match std::env::args().skip(1).find_map(|a| a.parse().ok()) {
        Some(n) => vec![n],
        None => vec![500, 1_000, 2_000],
    };
    for &n in &sizes {
        let dir = tempfile::tempdir().expect("a temporary folder");
        let url = format!("sqlite://{}/bench.sqlite3", dir.path().display());
        bench("sqlite", &url, n);
    }
    if let Ok(admin) = std::env::var("COPROD_TEST_POSTGRES_URL") {
        for &n in &sizes {
            let name = format!("coprod_bench_{}", uuid::Uuid::now_v7().simple());
            let mut conn = diesel::PgConnection::establish(&admin).expect("reach PostgreSQL");
            diesel::sql_query(format!("CREATE DATABASE \"{name}\""))
                .execute(&mut conn)
                .expect("create a bench database");
            let mut url = url::Url::parse(&admin).expect("a URL");
            url.set_path(&format!("/{name}"));
            bench("postgres", url.as_str(), n);
            let _ = diesel::sql_query(format!("DROP DATABASE \"{name}\" WITH (FORCE)"))
                .execute(&mut conn);
        }
    }
}
