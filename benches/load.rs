//! Load: the real server (built in-process as `coprod serve` builds it, with the shipped settings)
//! driven over real HTTP by concurrent clients with a mixed workload, on SQLite and on PostgreSQL.
//!
//! Seeding goes through the API as people would: the `coprod demo` sample, then five groups, each
//! with a coordinator and 30 members who accept emailed invitations, six past meetings paid by an
//! approved run, and four meetings of this month waiting for their registers. Then, per backend:
//!
//! 1. the ceiling: `GET /health` alone at the same concurrency, then the cheapest authenticated
//!    read (`GET /api/v1/me`) and one typical one (a member reading their payments), each alone,
//!    and the ratios of their throughputs to health's;
//! 2. the mixed workload, each client picking its next step at random and sending it at once:
//!    60% members reading their payments and sessions, 25% coordinators saving registers (and now
//!    and then scheduling a meeting), 10% coordinators and finance reading registers and run
//!    lists, 5% finance drafting a run for a group's month, recalculating half of them, and
//!    cancelling it so drafts do not pile up.
//!
//! Every answer that is not 2xx is an error: they are counted by step and status, the first
//! bodies printed, and warnings and errors in the server's log shown. Exits non-zero on any error.
//!
//! `cargo bench --bench load -- [--backend sqlite|postgres] [--clients 64] [--seconds 30] [--short]`
//!
//! Without `--backend`: SQLite, then PostgreSQL when COPROD_TEST_POSTGRES_URL is set (a fresh
//! database is created there and dropped afterwards), each in a process of its own. `--short` is
//! for CI: 10 seconds of mixed load and 3 of each ceiling. COPROD__… variables apply to the server
//! as they do to `coprod serve` (for example COPROD__DATABASE__POOL_SIZE).

// A test or a benchmark that meets the unexpected should stop loudly.
#![allow(clippy::unwrap_used, clippy::expect_used)]

use std::collections::{BTreeMap, HashMap};
use std::process::ExitCode;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use chrono::{Days, NaiveDate};
use coprod::app::Application;
use coprod::config::{LogFormat, LogSettings, Settings, Sources};
use coprod::db::Database;
use diesel::prelude::*;
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};
use secrecy::SecretString;
use serde_json::{json, Value};

const GROUPS: usize = 5;
const MEMBERS_PER_GROUP: usize = 30;
const PAST_MEETINGS: u64 = 6;
const OPEN_MEETINGS: u64 = 4;
/// The password every account made here chooses when accepting its invitation.
const PASSWORD: &str = "Heron-Quarry-Lantern-Forty-Two";

// ---- arguments ----

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Backend {
    Sqlite,
    Postgres,
}

impl Backend {
    fn arg(self) -> &'static str {
        match self {
            Backend::Sqlite => "sqlite",
            Backend::Postgres => "postgres",
        }
    }
    fn label(self) -> &'static str {
        match self {
            Backend::Sqlite => "SQLite",
            Backend::Postgres => "PostgreSQL",
        }
    }
}

#[derive(Debug, Clone)]
struct Args {
    backend: Option<Backend>,
    clients: usize,
    seconds: u64,
    ceiling_seconds: u64,
}

fn parse_args() -> Result<Args, String> {
    let mut backend = None;
    let mut clients = 64;
    let mut seconds = None;
    let mut short = false;
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        match a.as_str() {
            "--backend" => {
                backend = Some(match it.next().as_deref() {
                    Some("sqlite") => Backend::Sqlite,
                    Some("postgres") => Backend::Postgres,
                    other => return Err(format!("--backend sqlite|postgres, not {other:?}")),
                })
            }
            "--clients" => {
                clients = it
                    .next()
                    .and_then(|v| v.parse().ok())
                    .filter(|&n| n > 0)
                    .ok_or("--clients takes a positive number")?
            }
            "--seconds" => {
                seconds = Some(
                    it.next()
                        .and_then(|v| v.parse().ok())
                        .filter(|&n| n > 0)
                        .ok_or("--seconds takes a positive number")?,
                )
            }
            "--short" => short = true,
            // `cargo bench` passes this to every bench.
            "--bench" => {}
            other => return Err(format!("unknown argument {other}")),
        }
    }
    Ok(Args {
        backend,
        clients,
        seconds: seconds.unwrap_or(if short { 10 } else { 30 }),
        ceiling_seconds: if short { 3 } else { 10 },
    })
}

fn main() -> ExitCode {
    let args = match parse_args() {
        Ok(a) => a,
        Err(e) => {
            eprintln!("{e}\nusage: cargo bench --bench load -- [--backend sqlite|postgres] [--clients 64] [--seconds 30] [--short]");
            return ExitCode::from(2);
        }
    };
    if let Some(backend) = args.backend {
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .enable_all()
            .build()
            .expect("a runtime");
        let clean = runtime.block_on(run(backend, &args));
        // The server and its pool stop with the process.
        return if clean {
            ExitCode::SUCCESS
        } else {
            ExitCode::FAILURE
        };
    }
    // Each backend in a process of its own, so each server starts clean and stops with it.
    let mut backends = vec![Backend::Sqlite];
    if std::env::var("COPROD_TEST_POSTGRES_URL").is_ok_and(|u| !u.is_empty()) {
        backends.push(Backend::Postgres);
    } else {
        println!("(PostgreSQL skipped: COPROD_TEST_POSTGRES_URL is not set)\n");
    }
    let me = std::env::current_exe().expect("this bench's path");
    let mut clean = true;
    for backend in backends {
        let status = std::process::Command::new(&me)
            .args(["--backend", backend.arg()])
            .args(["--clients", &args.clients.to_string()])
            .args(["--seconds", &args.seconds.to_string()])
            .args(if args.ceiling_seconds == 3 {
                &["--short"][..]
            } else {
                &[][..]
            })
            .status()
            .expect("run the bench for one backend");
        clean &= status.success();
    }
    if clean {
        ExitCode::SUCCESS
    } else {
        ExitCode::FAILURE
    }
}

// ---- the server's log ----

/// The server logs as `coprod serve` does (every request at info), to a file read back at the end.
static SERVER_LOG: Mutex<Option<std::fs::File>> = Mutex::new(None);

struct LogFile;

impl std::io::Write for LogFile {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        if let Some(f) = SERVER_LOG
            .lock()
            .unwrap_or_else(|p| p.into_inner())
            .as_mut()
        {
            f.write_all(buf)?;
        }
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

// ---- HTTP ----

#[derive(Clone)]
struct Api {
    client: reqwest::Client,
    base: String,
}

impl Api {
    fn request(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<&Value>,
    ) -> reqwest::RequestBuilder {
        let mut req = self.client.request(method, format!("{}{path}", self.base));
        if let Some(t) = token {
            req = req.bearer_auth(t);
        }
        if let Some(b) = body {
            req = req.json(b);
        }
        req
    }

    /// A seeding step: a 2xx answer's JSON body, or a panic naming the step and the answer.
    async fn must(
        &self,
        method: reqwest::Method,
        path: &str,
        token: Option<&str>,
        body: Option<Value>,
    ) -> Value {
        let res = self
            .request(method.clone(), path, token, body.as_ref())
            .send()
            .await
            .unwrap_or_else(|e| panic!("{method} {path}: {e}"));
        let status = res.status();
        let text = res.text().await.unwrap_or_default();
        assert!(status.is_success(), "{method} {path}: {status} {text}");
        if text.is_empty() {
            Value::Null
        } else {
            serde_json::from_str(&text).unwrap_or_else(|e| panic!("{method} {path}: {e}: {text}"))
        }
    }

    async fn post(&self, path: &str, token: Option<&str>, body: Value) -> Value {
        self.must(reqwest::Method::POST, path, token, Some(body))
            .await
    }

    async fn login(&self, email: &str, password: &str) -> String {
        let v = self
            .post(
                "/api/v1/auth/login",
                None,
                json!({ "email": email, "password": password }),
            )
            .await;
        v["token"].as_str().expect("a token").to_string()
    }
}

fn id_of(v: &Value) -> String {
    v["id"].as_str().expect("an id").to_string()
}

// ---- seeding ----

struct Member {
    id: String,
    token: String,
}

struct Group {
    id: String,
    coordinator: String,
    members: Vec<Member>,
    /// Meetings of the open month, with their length in minutes: registers are saved to these.
    meetings: Mutex<Vec<(String, i64)>>,
}

struct World {
    groups: Vec<Group>,
    finance: String,
    today: NaiveDate,
    /// The first day of the month that has no approved run yet.
    open_from: NaiveDate,
}

fn day(today: NaiveDate, back: u64) -> NaiveDate {
    today - Days::new(back)
}

/// Where the server writes the mail it sends (one run of the bench at a time).
static MAIL_DIR: std::sync::Mutex<Option<std::path::PathBuf>> = std::sync::Mutex::new(None);

/// The token of the link in the invitation delivered to `email`, read from the delivered message
/// as a mail client would (a sent invitation keeps no link in the database).
async fn invitation_token(email: &str) -> String {
    let dir = MAIL_DIR
        .lock()
        .expect("the mail folder")
        .clone()
        .expect("the mail folder");
    let email = email.to_string();
    for _ in 0..400 {
        let found = std::fs::read_dir(&dir).ok().and_then(|entries| {
            entries
                .filter_map(Result::ok)
                .filter(|e| e.path().extension().is_some_and(|x| x == "eml"))
                .filter_map(|e| std::fs::read(e.path()).ok())
                .filter_map(|raw| {
                    let mail = mailparse::parse_mail(&raw).ok()?;
                    use mailparse::MailHeaderMap;
                    let to = mail.headers.get_first_value("To")?;
                    if !to.contains(&email) {
                        return None;
                    }
                    let text = mail
                        .subparts
                        .iter()
                        .find(|p| p.ctype.mimetype == "text/plain")?
                        .get_body()
                        .ok()?;
                    let start =
                        text.find("accept-invitation?token=")? + "accept-invitation?token=".len();
                    Some(
                        text[start..]
                            .chars()
                            .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
                            .collect::<String>(),
                    )
                })
                .next()
        });
        if let Some(token) = found {
            return token;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    panic!("no invitation was delivered to {email}");
}

/// An account made by the admin and accepted from the emailed link, signed in: its token.
async fn invite(api: &Api, admin: &str, account: Value) -> String {
    let email = account["email"].as_str().expect("an email").to_string();
    api.post("/api/v1/accounts", Some(admin), account).await;
    let token = invitation_token(&email).await;
    let signed = api
        .post(
            "/api/v1/auth/invitations/accept",
            None,
            json!({ "token": token, "password": PASSWORD }),
        )
        .await;
    signed["token"].as_str().expect("a token").to_string()
}

fn register(members: &[Member], minutes: i64, rng: &mut impl Rng) -> Value {
    let records: Vec<Value> = members
        .iter()
        .map(|m| match rng.random_range(0..20) {
            0 => json!({ "member_id": m.id, "status": "apologies" }),
            1 => json!({ "member_id": m.id, "status": "absent" }),
            2 | 3 => json!({
                "member_id": m.id, "status": "partial", "attended_minutes": minutes / 2,
                "notes": "Left at the break"
            }),
            _ => json!({ "member_id": m.id, "status": "attended", "prep_minutes": 30 }),
        })
        .collect();
    json!({ "records": records })
}

fn meeting(group_id: &str, title: &str, date: NaiveDate, minutes: i64) -> Value {
    json!({
        "group_id": group_id, "title": title, "activity_kind": "meeting", "date": date,
        "starts_at": "10:00", "duration_minutes": minutes, "prep_minutes_allowed": 30,
        "location": "Civic Centre, Committee Room 2"
    })
}

/// One group: its coordinator, members with accounts, past meetings paid by an approved run, and
/// the open month's meetings.
async fn seed_group(
    api: Api,
    admin: String,
    finance: String,
    g: usize,
    today: NaiveDate,
    open_from: NaiveDate,
) -> Group {
    let mut rng = StdRng::seed_from_u64(g as u64);
    let group = api
        .post(
            "/api/v1/groups",
            Some(&admin),
            json!({ "name": format!("Load group {}", g + 1), "description": "Made by the load bench" }),
        )
        .await;
    let group_id = id_of(&group);
    let coordinator = invite(&api,
        &admin,
        json!({ "email": format!("coordinator{}@load.example.org", g + 1), "role": "coordinator", "group_ids": [group_id] }),
    )
    .await;
    let mut members = Vec::with_capacity(MEMBERS_PER_GROUP);
    for m in 0..MEMBERS_PER_GROUP {
        let member = api
            .post(
                "/api/v1/members",
                Some(&coordinator),
                json!({ "full_name": format!("Member {} of group {}", m + 1, g + 1), "payee_reference": format!("LD-{}-{:03}", g + 1, m + 1) }),
            )
            .await;
        let id = id_of(&member);
        api.post(
            &format!("/api/v1/groups/{group_id}/memberships"),
            Some(&coordinator),
            json!({ "member_id": id, "role": if m < 2 { "co_chair" } else { "member" }, "starts_on": day(today, 200) }),
        )
        .await;
        let token = invite(&api,
            &admin,
            json!({ "email": format!("member{}.{}@load.example.org", g + 1, m + 1), "role": "member", "member_id": id }),
        )
        .await;
        members.push(Member { id, token });
    }
    // Past sessions, weekly, paid by an approved run so members have payments to read.
    let paid_from = day(open_from, 7 * PAST_MEETINGS + 7);
    for k in 0..PAST_MEETINGS {
        let minutes = if k % 2 == 0 { 180 } else { 300 };
        let date = paid_from + Days::new(7 * k + 3);
        let m = api
            .post(
                "/api/v1/meetings",
                Some(&coordinator),
                meeting(&group_id, "Advisory meeting", date, minutes),
            )
            .await;
        api.must(
            reqwest::Method::PUT,
            &format!("/api/v1/meetings/{}/attendance", id_of(&m)),
            Some(&coordinator),
            Some(register(&members, minutes, &mut rng)),
        )
        .await;
    }
    let run = api
        .post(
            "/api/v1/pay-runs",
            Some(&coordinator),
            json!({ "group_id": group_id, "period_start": paid_from, "period_end": day(open_from, 1), "payment_date": open_from }),
        )
        .await;
    let run_id = id_of(&run);
    api.post(
        &format!("/api/v1/pay-runs/{run_id}/approve"),
        Some(&finance),
        json!({ "expected_total": run["total"], "expected_count": run["payment_count"] }),
    )
    .await;
    api.post(
        &format!("/api/v1/pay-runs/{run_id}/mark-paid"),
        Some(&finance),
        json!({ "paid_on": open_from, "reference": format!("BACS load {}", g + 1) }),
    )
    .await;
    // This month's sessions, whose registers the load writes.
    let mut open = Vec::new();
    for k in 0..OPEN_MEETINGS {
        let minutes = if k % 2 == 0 { 300 } else { 180 };
        let date = open_from + Days::new(7 * k + 2);
        let m = api
            .post(
                "/api/v1/meetings",
                Some(&coordinator),
                meeting(&group_id, "Advisory meeting", date.min(today), minutes),
            )
            .await;
        open.push((id_of(&m), minutes));
    }
    Group {
        id: group_id,
        coordinator,
        members,
        meetings: Mutex::new(open),
    }
}

async fn seed(api: &Api, db: &Database, settings: &Settings) -> World {
    let today = settings.today();
    {
        let (db, settings) = (db.clone(), settings.clone());
        tokio::task::spawn_blocking(move || coprod::demo::seed(&db, &settings, today))
            .await
            .expect("the demo sample")
            .expect("the demo sample");
    }
    let admin = api
        .login(coprod::demo::ADMIN.email, coprod::demo::ADMIN.password)
        .await;
    let finance = api
        .login(coprod::demo::FINANCE.email, coprod::demo::FINANCE.password)
        .await;
    let open_from = day(today, 30);
    // A default card for every group without one of its own.
    api.post(
        "/api/v1/rate-cards",
        Some(&finance),
        json!({
            "name": "Standard rates", "effective_from": day(today, 365),
            "rules": [
                { "role": "co_chair", "activity_kind": "meeting", "basis": "band", "half_day_amount": "100.00",
                  "full_day_amount": "200.00", "boundary_minutes": 240, "prep_hourly_rate": "25.00" },
                { "role": "member", "activity_kind": "meeting", "basis": "band", "half_day_amount": "75.00",
                  "full_day_amount": "150.00", "boundary_minutes": 240, "prep_hourly_rate": "20.00" }
            ]
        }),
    )
    .await;
    let tasks: Vec<_> = (0..GROUPS)
        .map(|g| {
            tokio::spawn(seed_group(
                api.clone(),
                admin.clone(),
                finance.clone(),
                g,
                today,
                open_from,
            ))
        })
        .collect();
    let mut groups = Vec::with_capacity(GROUPS);
    for t in tasks {
        groups.push(t.await.expect("a seeded group"));
    }
    // Let the mail worker send the invitations and payment notices before measuring.
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let db = db.clone();
        let due = tokio::task::spawn_blocking(move || {
            let mut pooled = db.get().expect("a connection");
            coprod::db::outbox::count_by_status(&mut pooled)
                .expect("the outbox")
                .into_iter()
                .filter(|(s, _)| s == "pending" || s == "sending")
                .map(|(_, n)| n)
                .sum::<i64>()
        })
        .await
        .expect("the outbox");
        if due == 0 || Instant::now() > deadline {
            break;
        }
        tokio::time::sleep(Duration::from_millis(200)).await;
    }
    World {
        groups,
        finance,
        today,
        open_from,
    }
}

// ---- measuring ----

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
enum Op {
    Health,
    AloneMe,
    AloneRead,
    MemberPayments,
    MemberSessions,
    SaveRegister,
    CreateMeeting,
    ReadRegister,
    FinanceRuns,
    CoordinatorRuns,
    DraftRun,
    Recalculate,
    Cancel,
}

impl Op {
    fn who(self) -> &'static str {
        match self {
            Op::Health => "anyone: process up",
            Op::AloneMe => "member: who am I, alone",
            Op::AloneRead => "member: own payments, alone",
            Op::MemberPayments => "member: own payments",
            Op::MemberSessions => "member: own sessions",
            Op::SaveRegister => "coordinator: save a register",
            Op::CreateMeeting => "coordinator: add a meeting",
            Op::ReadRegister => "coordinator: read a register",
            Op::FinanceRuns => "finance: list runs",
            Op::CoordinatorRuns => "coordinator: list runs",
            Op::DraftRun => "finance: draft a run",
            Op::Recalculate => "finance: recalculate it",
            Op::Cancel => "finance: cancel it",
        }
    }
    fn endpoint(self) -> &'static str {
        match self {
            Op::Health => "GET /health",
            Op::AloneMe => "GET /api/v1/me",
            Op::AloneRead | Op::MemberPayments => "GET /api/v1/members/{id}/payments",
            Op::MemberSessions => "GET /api/v1/members/{id}/attendance",
            Op::SaveRegister => "PUT /api/v1/meetings/{id}/attendance",
            Op::CreateMeeting => "POST /api/v1/meetings",
            Op::ReadRegister => "GET /api/v1/meetings/{id}/attendance",
            Op::FinanceRuns | Op::CoordinatorRuns => "GET /api/v1/pay-runs",
            Op::DraftRun => "POST /api/v1/pay-runs",
            Op::Recalculate => "POST /api/v1/pay-runs/{id}/recalculate",
            Op::Cancel => "POST /api/v1/pay-runs/{id}/cancel",
        }
    }
}

/// What one client saw: latencies in microseconds per step, failures by step and status (0 when
/// no answer came), and the first few failure bodies.
#[derive(Default)]
struct Stats {
    latencies: HashMap<Op, Vec<u32>>,
    failures: BTreeMap<(Op, u16), u64>,
    samples: Vec<((Op, u16), String)>,
}

impl Stats {
    fn merge(&mut self, other: Stats) {
        for (op, mut v) in other.latencies {
            self.latencies.entry(op).or_default().append(&mut v);
        }
        for (k, n) in other.failures {
            *self.failures.entry(k).or_default() += n;
        }
        for (key, s) in other.samples {
            if self.samples.len() < 5 && !self.samples.iter().any(|(k, _)| *k == key) {
                self.samples.push((key, s));
            }
        }
    }

    fn failed(&self) -> u64 {
        self.failures.values().sum()
    }

    /// Sends `req`, reads the whole answer, and records it: the body of a 2xx answer, or None.
    async fn call(&mut self, op: Op, req: reqwest::RequestBuilder) -> Option<Vec<u8>> {
        let started = Instant::now();
        let outcome = match req.send().await {
            Ok(res) => {
                let status = res.status();
                let request_id = res
                    .headers()
                    .get("x-request-id")
                    .and_then(|v| v.to_str().ok())
                    .unwrap_or("none")
                    .to_string();
                match res.bytes().await {
                    Ok(body) => Ok((status, request_id, body)),
                    Err(e) => Err(e),
                }
            }
            Err(e) => Err(e),
        };
        let micros = u32::try_from(started.elapsed().as_micros()).unwrap_or(u32::MAX);
        self.latencies.entry(op).or_default().push(micros);
        match outcome {
            Ok((status, _, body)) if status.is_success() => Some(body.to_vec()),
            Ok((status, request_id, body)) => {
                let body: String = String::from_utf8_lossy(&body).chars().take(400).collect();
                self.failed_with(
                    (op, status.as_u16()),
                    format!("{status} (request {request_id}): {body}"),
                );
                None
            }
            Err(e) => {
                // The whole chain: "error sending request" alone does not say why.
                let mut why = e.to_string();
                let mut source = std::error::Error::source(&e);
                while let Some(s) = source {
                    why.push_str(": ");
                    why.push_str(&s.to_string());
                    source = s.source();
                }
                self.failed_with((op, 0), format!("no answer: {why}"));
                None
            }
        }
    }

    /// Counts a failure, keeping the first answer of each kind (step and status), up to five.
    fn failed_with(&mut self, key: (Op, u16), what: String) {
        *self.failures.entry(key).or_default() += 1;
        if self.samples.len() < 5 && !self.samples.iter().any(|(k, _)| *k == key) {
            self.samples.push((key, what));
        }
    }
}

fn pick<'a, T>(rng: &mut impl Rng, items: &'a [T]) -> &'a T {
    &items[rng.random_range(0..items.len())]
}

/// One virtual client of the mixed workload: picks a step, sends it, waits for the whole answer,
/// and goes again until the deadline.
async fn mixed_client(world: Arc<World>, api: Api, deadline: Instant, seed: u64) -> Stats {
    use reqwest::Method;
    let mut rng = StdRng::seed_from_u64(seed);
    let mut stats = Stats::default();
    while Instant::now() < deadline {
        let group = pick(&mut rng, &world.groups);
        let roll = rng.random_range(0..100);
        match roll {
            0..40 => {
                let m = pick(&mut rng, &group.members);
                let path = format!("/api/v1/members/{}/payments", m.id);
                let req = api.request(Method::GET, &path, Some(&m.token), None);
                stats.call(Op::MemberPayments, req).await;
            }
            40..60 => {
                let m = pick(&mut rng, &group.members);
                let path = format!("/api/v1/members/{}/attendance", m.id);
                let req = api.request(Method::GET, &path, Some(&m.token), None);
                stats.call(Op::MemberSessions, req).await;
            }
            60..84 => {
                let (id, minutes) = {
                    let meetings = group.meetings.lock().unwrap_or_else(|p| p.into_inner());
                    pick(&mut rng, &meetings).clone()
                };
                let body = register(&group.members, minutes, &mut rng);
                let path = format!("/api/v1/meetings/{id}/attendance");
                let req = api.request(Method::PUT, &path, Some(&group.coordinator), Some(&body));
                stats.call(Op::SaveRegister, req).await;
            }
            84..85 => {
                let span = (world.today - world.open_from).num_days().max(1);
                let date = world.open_from
                    + Days::new(u64::try_from(rng.random_range(0..span)).unwrap_or(0));
                let minutes = if rng.random_bool(0.5) { 180 } else { 300 };
                let body = meeting(&group.id, "Extra session", date, minutes);
                let req = api.request(
                    Method::POST,
                    "/api/v1/meetings",
                    Some(&group.coordinator),
                    Some(&body),
                );
                if let Some(made) = stats.call(Op::CreateMeeting, req).await {
                    let v: Value = serde_json::from_slice(&made).unwrap_or_default();
                    if let Some(id) = v["id"].as_str() {
                        group
                            .meetings
                            .lock()
                            .unwrap_or_else(|p| p.into_inner())
                            .push((id.to_string(), minutes));
                    }
                }
            }
            85..90 => {
                let id = {
                    let meetings = group.meetings.lock().unwrap_or_else(|p| p.into_inner());
                    pick(&mut rng, &meetings).0.clone()
                };
                let path = format!("/api/v1/meetings/{id}/attendance");
                let req = api.request(Method::GET, &path, Some(&group.coordinator), None);
                stats.call(Op::ReadRegister, req).await;
            }
            90..93 => {
                let req = api.request(
                    Method::GET,
                    "/api/v1/pay-runs?limit=20",
                    Some(&world.finance),
                    None,
                );
                stats.call(Op::FinanceRuns, req).await;
            }
            93..95 => {
                let req = api.request(
                    Method::GET,
                    "/api/v1/pay-runs?limit=20",
                    Some(&group.coordinator),
                    None,
                );
                stats.call(Op::CoordinatorRuns, req).await;
            }
            _ => {
                let body = json!({
                    "group_id": group.id, "period_start": world.open_from,
                    "period_end": world.today, "payment_date": world.today + Days::new(5)
                });
                let req = api.request(
                    Method::POST,
                    "/api/v1/pay-runs",
                    Some(&world.finance),
                    Some(&body),
                );
                let Some(made) = stats.call(Op::DraftRun, req).await else {
                    continue;
                };
                let v: Value = serde_json::from_slice(&made).unwrap_or_default();
                let Some(id) = v["id"].as_str() else {
                    continue;
                };
                if rng.random_bool(0.5) {
                    let path = format!("/api/v1/pay-runs/{id}/recalculate");
                    let req = api.request(Method::POST, &path, Some(&world.finance), None);
                    stats.call(Op::Recalculate, req).await;
                }
                let path = format!("/api/v1/pay-runs/{id}/cancel");
                let req = api.request(Method::POST, &path, Some(&world.finance), None);
                stats.call(Op::Cancel, req).await;
            }
        }
    }
    stats
}

/// One virtual client sending a single kind of request until the deadline.
async fn single_client(world: Arc<World>, api: Api, deadline: Instant, seed: u64, op: Op) -> Stats {
    let mut rng = StdRng::seed_from_u64(seed);
    let mut stats = Stats::default();
    while Instant::now() < deadline {
        let req = if op == Op::Health {
            api.request(reqwest::Method::GET, "/health", None, None)
        } else {
            let group = pick(&mut rng, &world.groups);
            let m = pick(&mut rng, &group.members);
            let path = match op {
                Op::AloneMe => "/api/v1/me".to_string(),
                _ => format!("/api/v1/members/{}/payments", m.id),
            };
            api.request(reqwest::Method::GET, &path, Some(&m.token), None)
        };
        stats.call(op, req).await;
    }
    stats
}

/// Runs `clients` copies of a client for `seconds`; returns what they saw and the time it took.
async fn phase<F, Fut>(clients: usize, seconds: u64, make: F) -> (Stats, Duration)
where
    F: Fn(Instant, u64) -> Fut,
    Fut: std::future::Future<Output = Stats> + Send + 'static,
{
    let started = Instant::now();
    let deadline = started + Duration::from_secs(seconds);
    let tasks: Vec<_> = (0..clients)
        .map(|i| tokio::spawn(make(deadline, i as u64 + 1)))
        .collect();
    let mut all = Stats::default();
    for t in tasks {
        all.merge(t.await.expect("a client"));
    }
    (all, started.elapsed())
}

// ---- reporting ----

fn percentile(sorted: &[u32], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let rank = ((q * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    f64::from(sorted[rank - 1]) / 1000.0
}

const HEADER: &str = "| step | request | count | per s | p50 ms | p90 ms | p99 ms | max ms | failed |\n|---|---|---:|---:|---:|---:|---:|---:|---:|";

fn row(label: &str, endpoint: &str, lat: &mut [u32], failed: u64, elapsed: Duration) {
    lat.sort_unstable();
    let rate = lat.len() as f64 / elapsed.as_secs_f64();
    println!(
        "| {label} | {endpoint} | {} | {rate:.1} | {:.1} | {:.1} | {:.1} | {:.1} | {failed} |",
        lat.len(),
        percentile(lat, 0.50),
        percentile(lat, 0.90),
        percentile(lat, 0.99),
        percentile(lat, 1.0),
    );
}

/// The rows of a table: one per step, and with `total` one for every step together.
fn table(stats: &mut Stats, elapsed: Duration, total: bool) {
    let mut ops: Vec<Op> = stats.latencies.keys().copied().collect();
    ops.sort();
    let mut everything = Vec::new();
    for op in ops {
        let failed: u64 = stats
            .failures
            .iter()
            .filter(|((o, _), _)| *o == op)
            .map(|(_, n)| n)
            .sum();
        let lat = stats.latencies.get_mut(&op).expect("listed");
        everything.extend_from_slice(lat);
        row(op.who(), op.endpoint(), lat, failed, elapsed);
    }
    if total {
        let failed = stats.failed();
        row("**all steps**", "", &mut everything, failed, elapsed);
    }
}

/// Warnings and errors in the server's log (the request lines are at info).
fn log_problems(path: &std::path::Path) -> (usize, Vec<String>) {
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let bad: Vec<&str> = text
        .lines()
        .filter(|l| l.contains("\"level\":\"ERROR\"") || l.contains("\"level\":\"WARN\""))
        .collect();
    let errors = bad.iter().filter(|l| l.contains("\"ERROR\"")).count();
    (
        errors,
        bad.iter()
            .take(10)
            .map(|l| l.chars().take(600).collect())
            .collect(),
    )
}

// ---- one backend ----

/// A new, empty database on `backend`, and what to run to drop it afterwards.
fn fresh_database(backend: Backend, dir: &std::path::Path) -> (String, Option<(String, String)>) {
    match backend {
        Backend::Sqlite => (format!("sqlite://{}/load.sqlite3", dir.display()), None),
        Backend::Postgres => {
            let admin = std::env::var("COPROD_TEST_POSTGRES_URL")
                .expect("--backend postgres needs COPROD_TEST_POSTGRES_URL: a server where a database may be created");
            let name = format!("coprod_load_{}", uuid::Uuid::now_v7().simple());
            let mut conn = diesel::PgConnection::establish(&admin).expect("reach PostgreSQL");
            diesel::sql_query(format!("CREATE DATABASE \"{name}\""))
                .execute(&mut conn)
                .expect("create a load database");
            let mut url = url::Url::parse(&admin).expect("a URL");
            url.set_path(&format!("/{name}"));
            (url.to_string(), Some((admin, name)))
        }
    }
}

/// Seeds, measures and reports one backend; true when nothing failed.
async fn run(backend: Backend, args: &Args) -> bool {
    let dir = tempfile::tempdir().expect("a temporary folder");
    let log_path = dir.path().join("server.log");
    *SERVER_LOG.lock().unwrap_or_else(|p| p.into_inner()) =
        Some(std::fs::File::create(&log_path).expect("the server log"));
    coprod::telemetry::init_with_writer(
        &LogSettings {
            format: LogFormat::Json,
            level: "info".into(),
        },
        || LogFile,
    );
    let (url, drop_after) = fresh_database(backend, dir.path());

    let mut settings = Settings::load_from(&Sources {
        config_dir: "config".into(),
        env: std::env::vars().collect(),
        ..Sources::default()
    })
    .expect("the settings");
    settings.server.host = "127.0.0.1".into();
    settings.server.port = 0;
    settings.database.url = SecretString::from(url);
    settings.mail.dir = dir.path().join("mail");
    settings.mail.poll_interval_ms = 200;
    *MAIL_DIR.lock().expect("the mail folder") = Some(settings.mail.dir.clone());
    let app = Application::build(settings.clone())
        .await
        .expect("the server starts");
    let port = app.port();
    let db = app.database().clone();
    tokio::spawn(app.run_until_stopped());

    let client = reqwest::Client::builder()
        .pool_max_idle_per_host(args.clients * 2)
        // Drop idle connections well before the server's keep-alive (5 s) closes them, so a
        // request is never written to a connection the server is closing at that moment (which
        // looks like "no answer" though the server did nothing wrong).
        .pool_idle_timeout(Duration::from_secs(2))
        .timeout(Duration::from_secs(120))
        .redirect(reqwest::redirect::Policy::none())
        .build()
        .expect("an HTTP client");
    let api = Api {
        client,
        base: format!("http://127.0.0.1:{port}"),
    };

    let seeding = Instant::now();
    let world = Arc::new(seed(&api, &db, &settings).await);
    let seeded = seeding.elapsed();
    let meetings: usize = world
        .groups
        .iter()
        .map(|g| g.meetings.lock().map(|m| m.len()).unwrap_or(0))
        .sum();

    println!(
        "## {} — {} clients\n\nSeeded through the API in {:.1} s: the demo group and {GROUPS} groups of {MEMBERS_PER_GROUP} members \
         (each with an account), {PAST_MEETINGS} past meetings each paid by an approved run, {meetings} open meetings. \
         Pool: {} connections; HTTP workers: {}; load average before measuring: {}.\n",
        backend.label(),
        args.clients,
        seeded.as_secs_f64(),
        match settings.database.pool_size {
            0 => "the backend's default number of".to_string(),
            n => n.to_string(),
        },
        match settings.server.workers {
            0 => format!("{} (one per core)", std::thread::available_parallelism().map_or(1, |n| n.get())),
            n => n.to_string(),
        },
        std::fs::read_to_string("/proc/loadavg")
            .map(|l| l.split_whitespace().take(3).collect::<Vec<_>>().join(" "))
            .unwrap_or_else(|_| "unknown".into()),
    );

    // The ceiling: the cheapest request, then the cheapest authenticated read and one typical
    // one, each alone.
    let (mut health, health_time) = phase(args.clients, args.ceiling_seconds, |deadline, seed| {
        single_client(world.clone(), api.clone(), deadline, seed, Op::Health)
    })
    .await;
    let (mut me, me_time) = phase(args.clients, args.ceiling_seconds, |deadline, seed| {
        single_client(world.clone(), api.clone(), deadline, seed, Op::AloneMe)
    })
    .await;
    let (mut alone, alone_time) = phase(args.clients, args.ceiling_seconds, |deadline, seed| {
        single_client(world.clone(), api.clone(), deadline, seed, Op::AloneRead)
    })
    .await;
    println!(
        "### Ceiling: one kind of request at a time, {} s each\n",
        args.ceiling_seconds
    );
    println!("{HEADER}");
    table(&mut health, health_time, false);
    table(&mut me, me_time, false);
    table(&mut alone, alone_time, false);
    let rate = |stats: &Stats, op: Op, time: Duration| {
        stats.latencies.get(&op).map_or(0, Vec::len) as f64 / time.as_secs_f64()
    };
    let health_rate = rate(&health, Op::Health, health_time);
    let me_rate = rate(&me, Op::AloneMe, me_time);
    let alone_rate = rate(&alone, Op::AloneRead, alone_time);
    let ratio = |r: f64| {
        if health_rate > 0.0 {
            r / health_rate
        } else {
            0.0
        }
    };
    println!(
        "\n`GET /api/v1/me` / health throughput: **{:.2}** ({me_rate:.0} vs {health_rate:.0} requests per second; goal at least 0.35)  ",
        ratio(me_rate)
    );
    println!(
        "Member's payments / health throughput: **{:.2}** ({alone_rate:.0} vs {health_rate:.0} requests per second; goal at least 0.15)\n",
        ratio(alone_rate)
    );

    // The mixed workload.
    let (mut mixed, mixed_time) = phase(args.clients, args.seconds, |deadline, seed| {
        mixed_client(world.clone(), api.clone(), deadline, seed * 7919)
    })
    .await;
    println!(
        "### Mixed workload, {} s ({:.1} s with the last answers)\n",
        args.seconds,
        mixed_time.as_secs_f64()
    );
    println!("{HEADER}");
    table(&mut mixed, mixed_time, true);
    let mut all: Vec<u32> = mixed.latencies.values().flatten().copied().collect();
    all.sort_unstable();
    println!(
        "\nMixed throughput: **{:.0} requests per second**, p99 {:.0} ms (goal: p99 under 500 ms)",
        all.len() as f64 / mixed_time.as_secs_f64(),
        percentile(&all, 0.99),
    );

    let mut failed = health.failed() + me.failed() + alone.failed() + mixed.failed();
    let (log_errors, log_lines) = log_problems(&log_path);
    println!();
    if failed == 0 {
        println!("Failed requests: none.");
    } else {
        println!("Failed requests: {failed}");
        for all in [&health, &me, &alone, &mixed] {
            for ((op, status), n) in &all.failures {
                let status = if *status == 0 {
                    "no answer".to_string()
                } else {
                    status.to_string()
                };
                println!("- {} ({}): {status} × {n}", op.endpoint(), op.who());
            }
            for ((op, _), s) in &all.samples {
                println!("  - first {} ({}): {s}", op.endpoint(), op.who());
            }
        }
    }
    if log_lines.is_empty() {
        println!("Server log: no warnings or errors.");
    } else {
        println!("Server log: {log_errors} errors; the first warnings and errors:");
        for l in &log_lines {
            println!("    {l}");
        }
    }
    failed += u64::try_from(log_errors).unwrap_or(u64::MAX);
    println!();

    if let Some((admin, name)) = drop_after {
        if let Ok(mut conn) = diesel::PgConnection::establish(&admin) {
            let _ = diesel::sql_query(format!("DROP DATABASE \"{name}\" WITH (FORCE)"))
                .execute(&mut conn);
        }
    }
    failed == 0
}
