//! Faults: the real server killed with SIGKILL at random moments while pay runs are drafted,
//! approved and paid and their emails sent; the mail server away for a while; two servers
//! against one PostgreSQL database. Mail goes to a real SMTP server on loopback that counts what
//! arrives. Afterwards: every run paid once, the ledger balances for every member, no session or
//! claim in two approved runs, and every notification delivered (a copy left by a kill between
//! sending and recording carries the same Message-ID, and there is at most one per kill).

use std::collections::{BTreeMap, HashMap, HashSet};
use std::process::{Child, Command, Stdio};
use std::sync::atomic::{AtomicU16, AtomicUsize, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use diesel::prelude::*;
use rust_decimal::Decimal;
use serde_json::{json, Value};

use coprod::config::Settings;
use coprod::db::schema::{outbox, pay_lines, pay_runs, payments};
use coprod::mail::outbox::message_id;

use crate::both_backends;
use crate::helpers::{eventually, TestBackend};
use crate::mail::{free_port, start_smtp_with};
use crate::payruns::{ok, s, World};

/// Members in the group, months of sessions (one run each).
const MEMBERS: usize = 8;
const MONTHS: [(&str, &str, &str); 6] = [
    ("2025-06-01", "2025-06-30", "2025-07-04"),
    ("2025-07-01", "2025-07-31", "2025-08-04"),
    ("2025-08-01", "2025-08-31", "2025-09-04"),
    ("2025-09-01", "2025-09-30", "2025-10-03"),
    ("2025-10-01", "2025-10-31", "2025-11-04"),
    ("2025-11-01", "2025-11-30", "2025-12-04"),
];

/// Settings for the in-process server that builds the world: it never sends mail itself.
fn quiet(s: &mut Settings) {
    s.mail.poll_interval_ms = 3_600_000;
}

/// A `coprod serve` process on the world's database, sending mail to `smtp`.
struct Instance {
    child: Child,
    port: u16,
}

impl Instance {
    async fn start(database_url: &str, smtp: u16, dir: &std::path::Path) -> Instance {
        let port = free_port();
        let child = Command::new(env!("CARGO_BIN_EXE_coprod"))
            .current_dir(dir)
            .env_remove("COPROD_ENV")
            .env("RUST_LOG", "info")
            .env("COPROD__DATABASE__URL", database_url)
            .env("COPROD__SERVER__PORT", port.to_string())
            .env("COPROD__SERVER__WORKERS", "2")
            .env("COPROD__SERVER__SHUTDOWN_TIMEOUT_SECS", "1")
            .env("COPROD__MAIL__TRANSPORT", "smtp")
            .env("COPROD__MAIL__SMTP__HOST", "127.0.0.1")
            .env("COPROD__MAIL__SMTP__PORT", smtp.to_string())
            .env("COPROD__MAIL__SMTP__TLS", "none")
            .env("COPROD__MAIL__SMTP__TIMEOUT_SECS", "2")
            .env("COPROD__MAIL__POLL_INTERVAL_MS", "50")
            .env("COPROD__MAIL__RETRY_BASE_SECS", "1")
            .env("COPROD__MAIL__RETRY_MAX_SECS", "1")
            .env("COPROD__MAIL__MAX_ATTEMPTS", "1000")
            .env("COPROD__MAIL__LEASE_SECS", "2")
            .env("COPROD__SERVER__IDEMPOTENCY_LEASE_SECS", "1")
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .expect("the server starts");
        let client = reqwest::Client::new();
        let url = format!("http://127.0.0.1:{port}/health");
        eventually("the server to answer", Duration::from_secs(30), || {
            let req = client.get(&url).send();
            async move { req.await.ok().filter(|r| r.status() == 200).map(|_| ()) }
        })
        .await;
        Instance { child, port }
    }

    fn kill(mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    /// Stops with SIGKILL and returns what it logged.
    fn kill_and_log(mut self) -> String {
        let _ = self.child.kill();
        let mut log = String::new();
        if let Some(mut err) = self.child.stderr.take() {
            use std::io::Read;
            let _ = err.read_to_string(&mut log);
        }
        let _ = self.child.wait();
        log
    }
}

/// A small, seeded generator, so a failing run can be repeated (the seed is printed).
struct Lcg(u64);

impl Lcg {
    fn next(&mut self, below: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % below
    }
}

/// The world: a card, `MEMBERS` members, and one session for each of them in each month.
async fn world(backend: TestBackend) -> (World, Vec<String>) {
    let w = World::new_with(backend, quiet).await;
    w.regional_card().await;
    let mut members = vec![w.member_id.clone()];
    for i in 1..MEMBERS {
        members.push(w.new_member(&format!("Member {i}"), "member").await);
    }
    for (start, _, _) in MONTHS {
        let date = format!("{}10", &start[..8]);
        let m = w.meeting(&date, 300, "meeting").await;
        let records: Vec<Value> = members
            .iter()
            .map(|id| json!({"member_id": id, "status": "attended"}))
            .collect();
        ok(w.register(&m, json!(records)).await, 200).await;
    }
    (w, members)
}

/// Sends a request to whichever instance is up, again and again until one answers (a request cut
/// by a kill is sent again with the same Idempotency-Key). Never a server error.
async fn call(
    port: &AtomicU16,
    method: reqwest::Method,
    path: &str,
    token: &str,
    body: Value,
    key: &str,
) -> (u16, Value) {
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(20))
        .build()
        .unwrap();
    let deadline = Instant::now() + Duration::from_secs(120);
    loop {
        let url = format!("http://127.0.0.1:{}{path}", port.load(Ordering::SeqCst));
        let res = client
            .request(method.clone(), url)
            .bearer_auth(token)
            .header("Idempotency-Key", key)
            .json(&body)
            .send()
            .await;
        if let Ok(res) = res {
            let status = res.status().as_u16();
            if let Ok(v) = res.json::<Value>().await {
                assert!(status < 500, "{path}: a server error: {status} {v}");
                // The same key's first request was cut off by a kill: try again in a moment.
                let held = status == 409 && v.to_string().contains("still being handled");
                if !held {
                    return (status, v);
                }
            }
        }
        assert!(
            Instant::now() < deadline,
            "{path}: no answer for two minutes"
        );
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

/// Drafts, approves and pays each month's run through `port`, pausing `pause` between steps as a
/// person would.
async fn pay_every_month(w: &World, port: &AtomicU16, tag: &str, pause: Duration) {
    for (i, (start, end, pay)) in MONTHS.iter().enumerate() {
        tokio::time::sleep(pause).await;
        let (status, run) = call(
            port,
            reqwest::Method::POST,
            "/api/v1/pay-runs",
            &w.finance.token,
            json!({"group_id": w.group, "period_start": start, "period_end": end, "payment_date": pay}),
            &format!("{tag}-draft-{i}"),
        )
        .await;
        assert_eq!(status, 201, "{run}");
        let id = s(&run["id"]);
        let (status, body) = call(
            port,
            reqwest::Method::POST,
            &format!("/api/v1/pay-runs/{id}/approve"),
            &w.approver.token,
            json!({"expected_total": run["total"], "expected_count": run["payment_count"]}),
            &format!("{tag}-approve-{i}"),
        )
        .await;
        // A repeat after a kill that landed after the approval was recorded finds it approved.
        assert!(
            status == 200
                || (status == 409
                    && ["approved", "exported", "paid"]
                        .iter()
                        .any(|st| body.to_string().contains(&format!("This run is {st};")))),
            "{status} {body}"
        );
        let (status, body) = call(
            port,
            reqwest::Method::POST,
            &format!("/api/v1/pay-runs/{id}/mark-paid"),
            &w.finance.token,
            json!({"paid_on": pay, "reference": format!("BACS-{i}")}),
            &format!("{tag}-paid-{i}"),
        )
        .await;
        assert!(
            status == 200 || (status == 409 && body.to_string().contains("This run is paid;")),
            "{status} {body}"
        );
    }
}

/// What the books say afterwards: every run paid once and adding up, no source in two approved
/// runs, and each member's ledger balancing.
async fn assert_books_balance(w: &World, members: &[String]) {
    let (runs, lines, pays) = w
        .app
        .with_db(|c| {
            let runs: Vec<(String, String, i64)> = pay_runs::table
                .select((pay_runs::id, pay_runs::status, pay_runs::total_pence))
                .load(c)
                .unwrap();
            let lines: Vec<(String, String, String, String)> = pay_lines::table
                .select((
                    pay_lines::pay_run_id,
                    pay_lines::source_kind,
                    pay_lines::source_id,
                    pay_lines::kind,
                ))
                .load(c)
                .unwrap();
            let pays: Vec<(String, i64)> = payments::table
                .select((payments::pay_run_id, payments::total_pence))
                .load(c)
                .unwrap();
            (runs, lines, pays)
        })
        .await;
    let live: HashSet<&str> = runs
        .iter()
        .filter(|(_, status, _)| status != "draft" && status != "cancelled")
        .map(|(id, _, _)| id.as_str())
        .collect();
    assert_eq!(
        runs.iter().filter(|(_, st, _)| st == "paid").count(),
        MONTHS.len(),
        "{runs:?}"
    );
    assert_eq!(live.len(), MONTHS.len(), "no run approved twice: {runs:?}");
    let mut seen: HashMap<(&str, &str, &str), &str> = HashMap::new();
    for (run, kind, source, line_kind) in &lines {
        if !live.contains(run.as_str()) || line_kind == "carried" || line_kind == "adjustment" {
            continue;
        }
        if let Some(other) = seen.insert((kind, source, line_kind), run) {
            panic!("{kind} {source} ({line_kind}) is in runs {other} and {run}");
        }
    }
    let mut paid: BTreeMap<&str, i64> = BTreeMap::new();
    for (run, total) in &pays {
        *paid.entry(run).or_default() += total;
    }
    for (id, _, total) in runs.iter().filter(|r| live.contains(r.0.as_str())) {
        assert_eq!(
            paid.get(id.as_str()).copied().unwrap_or(0),
            *total,
            "run {id}"
        );
    }
    for m in members {
        let st = ok(
            w.app
                .get_as(
                    &format!("/api/v1/members/{m}/statement?from=2025-06-01&to=2025-12-31"),
                    &w.finance.token,
                )
                .await,
            200,
        )
        .await;
        let t = &st["totals"];
        let f = |k: &str| s(&t[k]).parse::<Decimal>().unwrap();
        assert_eq!(
            f("earned") + f("brought_forward"),
            f("paid_fees") + f("donated") + f("declined") + f("forgone") + f("carried_forward"),
            "{t}"
        );
        assert_eq!(
            f("earned"),
            Decimal::from(150 * MONTHS.len()),
            "a session at £150 a month: {t}"
        );
    }
}

/// The Message-ID header of a received message.
fn message_id_of(raw: &str) -> String {
    raw.lines()
        .find_map(|l| {
            let (name, value) = l.split_once(':')?;
            name.eq_ignore_ascii_case("message-id")
                .then(|| value.trim().to_string())
        })
        .unwrap_or_default()
}

/// Waits until every queued message is sent, then compares what arrived with the outbox: each
/// message arrived, nothing else did, and returns how many arrived twice.
async fn assert_mail_delivered(w: &World, received: &Arc<Mutex<Vec<String>>>) -> usize {
    let from = w.app.settings.mail.from.parse().unwrap();
    let keys: Vec<String> = eventually(
        "every message to be sent",
        Duration::from_secs(90),
        || async {
            let rows: Vec<(String, String)> = w
                .app
                .with_db(|c| {
                    outbox::table
                        .select((outbox::dedupe_key, outbox::status))
                        .load(c)
                        .unwrap_or_default()
                })
                .await;
            rows.iter()
                .all(|(_, st)| st == "sent")
                .then(|| rows.into_iter().map(|(k, _)| k).collect())
        },
    )
    .await;
    let expected: HashSet<String> = keys.iter().map(|k| message_id(k, &from)).collect();
    let got: Vec<String> = received
        .lock()
        .unwrap()
        .iter()
        .map(|m| message_id_of(m))
        .collect();
    let distinct: HashSet<String> = got.iter().cloned().collect();
    assert_eq!(
        distinct, expected,
        "every message arrived, and nothing else"
    );
    got.len() - distinct.len()
}

/// The server is killed at random moments while four runs are drafted, approved and paid and
/// their emails go out; each time it is started again.
async fn a_killed_server_loses_nothing_and_pays_nothing_twice(backend: TestBackend) {
    let (w, members) = world(backend).await;
    let smtp = free_port();
    let received = start_smtp_with(
        std::net::TcpListener::bind(("127.0.0.1", smtp)).unwrap(),
        Duration::from_millis(5),
    );
    let url = w.app.settings.database.url.clone();
    let url = secrecy::ExposeSecret::expose_secret(&url).to_string();
    let dir = w.app.dir.path().to_path_buf();
    let first = Instance::start(&url, smtp, &dir).await;
    let port = Arc::new(AtomicU16::new(first.port));
    let current = Arc::new(Mutex::new(Some(first)));
    let kills = Arc::new(AtomicUsize::new(0));
    let done = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let seed = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .unwrap()
        .as_nanos() as u64;
    eprintln!("kill schedule seed: {seed}");
    let killer = {
        let (port, current, kills, done, url, dir) = (
            port.clone(),
            current.clone(),
            kills.clone(),
            done.clone(),
            url.clone(),
            dir.clone(),
        );
        tokio::spawn(async move {
            let mut rng = Lcg(seed);
            while !done.load(Ordering::SeqCst) {
                tokio::time::sleep(Duration::from_millis(50 + rng.next(450))).await;
                if done.load(Ordering::SeqCst) {
                    break;
                }
                let old = current.lock().unwrap().take();
                if let Some(old) = old {
                    old.kill();
                    kills.fetch_add(1, Ordering::SeqCst);
                }
                let new = Instance::start(&url, smtp, &dir).await;
                port.store(new.port, Ordering::SeqCst);
                *current.lock().unwrap() = Some(new);
            }
        })
    };
    pay_every_month(&w, &port, "crash", Duration::from_millis(300)).await;
    done.store(true, Ordering::SeqCst);
    killer.await.unwrap();
    let kills = kills.load(Ordering::SeqCst);
    // The last instance sends what is left (messages a killed one held wait for their lease).
    let twice = assert_mail_delivered(&w, &received).await;
    if let Some(last) = current.lock().unwrap().take() {
        last.kill();
    }
    eprintln!(
        "{kills} kills; {} messages, {twice} delivered twice",
        received.lock().unwrap().len()
    );
    assert!(kills >= 1, "the server was killed at least once");
    assert!(
        twice <= kills,
        "at most one copy per kill: {twice} copies, {kills} kills"
    );
    assert_books_balance(&w, &members).await;
}

/// The mail server is down while runs are approved and paid: every message arrives once it is
/// back, none twice.
async fn every_message_arrives_after_a_mail_outage(backend: TestBackend) {
    let smtp = free_port();
    let w = World::new_with(backend, |s| {
        s.mail.transport = coprod::config::MailTransportKind::Smtp;
        s.mail.smtp.host = "127.0.0.1".into();
        s.mail.smtp.port = smtp;
        s.mail.smtp.tls = coprod::config::SmtpTls::None;
        s.mail.smtp.timeout_secs = 2;
        s.mail.max_attempts = 1000;
        s.mail.retry_base_secs = 1;
        s.mail.retry_max_secs = 1;
    })
    .await;
    w.regional_card().await;
    let mut members = vec![w.member_id.clone()];
    for i in 1..MEMBERS {
        members.push(w.new_member(&format!("Member {i}"), "member").await);
    }
    let m = w.meeting("2025-06-10", 300, "meeting").await;
    let records: Vec<Value> = members
        .iter()
        .map(|id| json!({"member_id": id, "status": "attended"}))
        .collect();
    ok(w.register(&m, json!(records)).await, 200).await;
    let run = w.draft("2025-06-01", "2025-06-30", "2025-07-04").await;
    ok(w.approve_as(&run, &w.approver.token).await, 200).await;
    ok(
        w.app
            .post_as(
                &format!("/api/v1/pay-runs/{}/mark-paid", s(&run["id"])),
                Some(&w.finance.token),
                json!({"paid_on": "2025-07-04"}),
            )
            .await,
        200,
    )
    .await;
    // Down: attempts fail and are retried, nothing is lost or given up on.
    let attempts = eventually(
        "failed attempts while the server is down",
        Duration::from_secs(30),
        || async {
            {
                let rows: Vec<(String, i32)> = w
                    .app
                    .with_db(|c| {
                        outbox::table
                            .select((outbox::status, outbox::attempts))
                            .load(c)
                            .unwrap_or_default()
                    })
                    .await;
                (rows.len() >= 2 * MEMBERS && rows.iter().all(|(_, a)| *a >= 2)).then_some(rows)
            }
        },
    )
    .await;
    assert!(
        attempts
            .iter()
            .all(|(st, _)| st != "sent" && st != "failed"),
        "{attempts:?}"
    );
    // Back: everything arrives, once.
    let received = start_smtp_with(
        std::net::TcpListener::bind(("127.0.0.1", smtp)).unwrap(),
        Duration::ZERO,
    );
    let twice = assert_mail_delivered(&w, &received).await;
    assert_eq!(twice, 0, "no message twice");
    tokio::time::sleep(Duration::from_millis(500)).await;
    assert_eq!(
        received.lock().unwrap().len(),
        attempts.len(),
        "nothing more arrives"
    );
}

/// Two servers against one PostgreSQL database: both send mail (rows taken with SKIP LOCKED), no
/// message is sent twice, and a run approved through both at once is approved once.
/// PostgreSQL only: a SQLite database has one instance.
async fn two_instances_share_the_work(backend: TestBackend) {
    let (w, members) = world(backend).await;
    let smtp = free_port();
    let received = start_smtp_with(
        std::net::TcpListener::bind(("127.0.0.1", smtp)).unwrap(),
        Duration::from_millis(20),
    );
    let url = w.app.settings.database.url.clone();
    let url = secrecy::ExposeSecret::expose_secret(&url).to_string();
    let dir = w.app.dir.path().to_path_buf();
    let a = Instance::start(&url, smtp, &dir).await;
    let b = Instance::start(&url, smtp, &dir).await;
    let (pa, pb) = (AtomicU16::new(a.port), AtomicU16::new(b.port));
    for (i, (start, end, pay)) in MONTHS.iter().enumerate() {
        let (status, run) = call(
            &pa,
            reqwest::Method::POST,
            "/api/v1/pay-runs",
            &w.finance.token,
            json!({"group_id": w.group, "period_start": start, "period_end": end, "payment_date": pay}),
            &format!("two-draft-{i}"),
        )
        .await;
        assert_eq!(status, 201, "{run}");
        let id = s(&run["id"]);
        let path = format!("/api/v1/pay-runs/{id}/approve");
        let body = json!({"expected_total": run["total"], "expected_count": run["payment_count"]});
        let (key_a, key_b) = (format!("two-a-{i}"), format!("two-b-{i}"));
        let (ra, rb) = tokio::join!(
            call(
                &pa,
                reqwest::Method::POST,
                &path,
                &w.approver.token,
                body.clone(),
                &key_a
            ),
            call(
                &pb,
                reqwest::Method::POST,
                &path,
                &w.approver.token,
                body.clone(),
                &key_b
            ),
        );
        let mut statuses = [ra.0, rb.0];
        statuses.sort_unstable();
        assert_eq!(statuses, [200, 409], "approved once: {ra:?} {rb:?}");
        let (status, _) = call(
            &pb,
            reqwest::Method::POST,
            &format!("/api/v1/pay-runs/{id}/mark-paid"),
            &w.finance.token,
            json!({"paid_on": pay}),
            &format!("two-paid-{i}"),
        )
        .await;
        assert_eq!(status, 200);
    }
    let twice = assert_mail_delivered(&w, &received).await;
    assert_eq!(twice, 0, "no message sent twice");
    let (log_a, log_b) = (a.kill_and_log(), b.kill_and_log());
    let sent = |log: &str| log.lines().filter(|l| l.contains("mail sent")).count();
    let (sa, sb) = (sent(&log_a), sent(&log_b));
    eprintln!("instance A sent {sa}, instance B sent {sb}");
    assert_eq!(sa + sb, received.lock().unwrap().len());
    assert!(sa > 0 && sb > 0, "both instances sent mail: {sa} and {sb}");
    assert_books_balance(&w, &members).await;
}

both_backends!(
    a_killed_server_loses_nothing_and_pays_nothing_twice,
    every_message_arrives_after_a_mail_outage;
    postgres only: two_instances_share_the_work
);
