//! Exporting large pay runs and reports: one approved run of N payments (and N lines), written as
//! the pay-run CSV and XLSX exports and as the payments report in CSV and XLSX. Reports the time
//! and the peak heap each takes, for 10,000, 50,000 and 100,000 payments, so it can be seen that
//! CSV memory does not grow with the row count (rows are read 1,000 at a time and written out).
//! The tax-year report holds one row of totals per member (here, one per payment).
//!
//! `cargo bench --bench export` (SQLite in a temporary folder). With COPROD_TEST_POSTGRES_URL set,
//! PostgreSQL too. `-- 100000` runs one size only.

// A test or a benchmark that meets the unexpected should stop loudly.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use coprod::db::pay::{PayLineRow, PayRunRow, PaymentRow};
use coprod::db::people::MemberRow;
use coprod::db::reports::PaymentFilter;
use coprod::db::{self, Database, DbConnection};
use coprod::services::exports::{self, Export, ExportSettings, Format};
use coprod::services::reports;
use diesel::{Connection, RunQueryDsl};

fn date(s: &str) -> NaiveDate {
    s.parse().expect("a date")
}

/// Counts heap bytes in use and their peak, so each measurement sees only its own allocations
/// (resident memory would hide them behind what the seeding left to the allocator).
struct Counting;

static IN_USE: AtomicUsize = AtomicUsize::new(0);
static PEAK: AtomicUsize = AtomicUsize::new(0);

unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded unchanged to the system allocator.
        let p = unsafe { System.alloc(layout) };
        if !p.is_null() {
            let now = IN_USE.fetch_add(layout.size(), Ordering::Relaxed) + layout.size();
            PEAK.fetch_max(now, Ordering::Relaxed);
        }
        p
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded unchanged to the system allocator.
        unsafe { System.dealloc(ptr, layout) };
        IN_USE.fetch_sub(layout.size(), Ordering::Relaxed);
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// N members, one approved run paying each of them once (a fee line each).
fn seed(conn: &mut DbConnection, n: usize) -> PayRunRow {
    let now = db::now();
    let run = PayRunRow {
        id: db::new_id(),
        group_id: None,
        period_start: date("2025-06-01"),
        period_end: date("2025-06-30"),
        payment_date: date("2025-07-04"),
        status: coprod::domain::payrun::RunStatus::Approved,
        payment_count: i32::try_from(n).unwrap_or(i32::MAX),
        line_count: i32::try_from(n).unwrap_or(i32::MAX),
        total_pence: 15_000 * i64::try_from(n).unwrap_or(0),
        warnings: "[]".into(),
        calculated_at: now,
        created_by: None,
        created_at: now,
        approved_by: None,
        approved_at: Some(now),
        exported_at: None,
        paid_on: None,
        paid_reference: None,
        marked_paid_by: None,
        marked_paid_at: None,
        cancelled_by: None,
        cancelled_at: None,
        updated_at: now,
        export_count: 0,
    };
    conn.transaction::<_, diesel::result::Error, _>(|conn| {
        let mut lines = Vec::with_capacity(n);
        let mut pays = Vec::with_capacity(n);
        for i in 0..n {
            let member = MemberRow {
                id: db::new_id(),
                full_name: format!("Member {i}"),
                preferred_name: None,
                email: Some(format!("member{i}@example.org")),
                phone: None,
                payee_reference: Some(format!("P{i:06}")),
                communication_needs: None,
                notes: None,
                archived_at: None,
                created_at: now,
                updated_at: now,
                preferred_formats: String::new(),
                postal_address: None,
            };
            coprod::db::people::insert_member(conn, &member)?;
            let position = i32::try_from(i).unwrap_or(i32::MAX);
            let method = if i % 10 == 0 {
                coprod::domain::payrun::Method::Payroll
            } else {
                coprod::domain::payrun::Method::BankTransfer
            };
            lines.push(PayLineRow {
                id: db::new_id(),
                pay_run_id: run.id.clone(),
                position,
                member_id: member.id.clone(),
                group_id: None,
                meeting_id: None,
                meeting_date: Some(date("2025-06-10")),
                source_kind: coprod::domain::draft::SourceKind::Attendance,
                source_id: db::new_id(),
                kind: coprod::domain::payrun::LineKind::Fee,
                disposition: coprod::domain::payrun::Disposition::Paid,
                method: Some(method),
                payee: Some("member".into()),
                amount_pence: 15_000,
                minutes: Some(300),
                rate_pence: Some(15_000),
                rate_card_id: None,
                rule: Some("Regional 2025: member, meeting".into()),
                explanation: "Full day (300 minutes, more than 240): £150.00".into(),
            });
            pays.push(PaymentRow {
                id: db::new_id(),
                pay_run_id: run.id.clone(),
                position,
                member_id: member.id,
                payee: "member".into(),
                method,
                fee_pence: 15_000,
                expenses_pence: 0,
                total_pence: 15_000,
            });
        }
        coprod::db::pay::insert_run(conn, &run)?;
        coprod::db::pay::replace_lines(conn, &run.id, &lines, &pays)?;
        Ok(())
    })
    .expect("seed");
    run
}

/// Runs `f`, reporting its time, its peak heap above what was in use before, and its size.
fn measure(label: &str, what: &str, n: usize, f: impl FnOnce() -> usize) {
    let before = IN_USE.load(Ordering::Relaxed);
    PEAK.store(before, Ordering::Relaxed);
    let started = Instant::now();
    let bytes = f();
    let elapsed = started.elapsed();
    let peak = PEAK.load(Ordering::Relaxed).saturating_sub(before);
    println!(
        "{label:<8} {n:>7} payments | {what:<22} {:>7.0} ms | peak heap +{:>6.1} MiB | {:>6.1} MiB written",
        elapsed.as_secs_f64() * 1000.0,
        peak as f64 / 1024.0 / 1024.0,
        bytes as f64 / 1024.0 / 1024.0,
    );
}

/// Counts what is written without keeping it, like a network stream.
struct Counter(usize);

impl std::io::Write for Counter {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0 += buf.len();
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

fn bench(label: &str, url: &str, n: usize) {
    let db = Database::connect(url, 2, Duration::from_secs(10)).expect("connect");
    db.migrate().expect("migrate");
    let mut conn = db.get().expect("a connection");
    let run = seed(&mut conn, n);
    let export = |format| Export {
        run: run.clone(),
        format,
        group_name: None,
        filename: String::new(),
        number: 1,
    };
    let settings = ExportSettings {
        xero_fee_account_code: "6100".into(),
        xero_expense_account_code: "6110".into(),
        xero_tax_type: "No VAT".into(),
        payroll_fee_element: "Co-production fee".into(),
        payroll_expense_element: "Expenses".into(),
    };
    measure(label, "pay-run CSV", n, || {
        exports::write_csv(&mut conn, &export(Format::Csv), &settings, 1000, Counter(0))
            .expect("csv")
            .0
    });
    measure(label, "pay-run XLSX", n, || {
        exports::write_xlsx(&mut conn, &export(Format::Xlsx))
            .expect("xlsx")
            .len()
    });
    let filter = PaymentFilter {
        from: date("2025-04-06"),
        to: date("2026-04-05"),
        group_id: None,
        method: None,
    };
    measure(label, "payments report CSV", n, || {
        reports::write_payments_csv(&mut conn, &filter, Counter(0))
            .expect("csv")
            .0
    });
    measure(label, "tax-year report CSV", n, || {
        let span =
            coprod::services::statements::span(Some("2025-26"), None, None, date("2025-07-04"))
                .expect("a tax year");
        let actor = coprod::services::Actor {
            account_id: String::new(),
            email: String::new(),
            role: coprod::services::Role::Finance,
            member_id: None,
            group_ids: vec![],
            session_id: String::new(),
            request_id: None,
        };
        let report = reports::tax_year(&mut conn, &actor, &span, "1000.00".parse().expect("money"))
            .expect("report");
        coprod::export::reports::write_tax_year_csv(&report, Counter(0))
            .expect("csv")
            .0
    });
    measure(label, "payments report XLSX", n, || {
        reports::write_payments_xlsx(&mut conn, &filter)
            .expect("xlsx")
            .len()
    });
}

fn main() {
    let sizes: Vec<usize> = match std::env::args().skip(1).find_map(|a| a.parse().ok()) {
        Some(n) => vec![n],
        None => vec![10_000, 50_000, 100_000],
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
