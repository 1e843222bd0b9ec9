//! The `coprod` command as an operator meets it: help, clear start-up failures that create nothing,
//! migrations applied once, graceful shutdown, and draining the mail queue by hand.

use std::path::Path;
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

use crate::both_backends;
use crate::helpers::TestBackend;

pub fn coprod(dir: &Path, args: &[&str], env: &[(&str, &str)]) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_coprod"));
    cmd.args(args)
        .current_dir(dir)
        .env_remove("COPROD_ENV")
        .env("COPROD__LOG__LEVEL", "info")
        .stdin(Stdio::null());
    for (k, v) in env {
        cmd.env(k, v);
    }
    cmd.output().expect("coprod runs")
}

pub fn text(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

#[test]
fn every_command_has_help() {
    let dir = tempfile::tempdir().unwrap();
    for args in [
        vec!["--help"],
        vec!["serve", "--help"],
        vec!["migrate", "--help"],
        vec!["mail", "--help"],
        vec!["mail", "send-pending", "--help"],
        vec!["demo", "--help"],
        vec!["retention", "--help"],
        vec!["admin", "create", "--help"],
        vec!["db", "--help"],
        vec!["db", "backup", "--help"],
        vec!["db", "copy", "--help"],
    ] {
        let out = coprod(dir.path(), &args, &[]);
        assert!(out.status.success(), "{args:?}");
        assert!(text(&out.stdout).contains("Usage"), "{args:?}");
    }
    assert_eq!(std::fs::read_dir(dir.path()).unwrap().count(), 0);
}

#[test]
fn a_mistyped_database_url_stops_with_one_clear_sentence_and_creates_nothing() {
    let dir = tempfile::tempdir().unwrap();
    for args in [vec![], vec!["migrate"], vec!["serve"]] {
        let out = coprod(
            dir.path(),
            &args,
            &[(
                "COPROD__DATABASE__URL",
                "postgress://coprod:hunter2@localhost/coprod",
            )],
        );
        assert!(!out.status.success());
        let err = text(&out.stderr);
        assert!(
            err.contains("must start with sqlite:// (a file) or postgres://"),
            "{err}"
        );
        assert!(
            !err.contains("hunter2"),
            "the password is not echoed: {err}"
        );
        assert_eq!(err.trim().lines().count(), 1, "one sentence: {err}");
    }
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        0,
        "nothing created"
    );
}

#[test]
fn an_unusable_sqlite_folder_or_unreachable_server_is_explained() {
    let dir = tempfile::tempdir().unwrap();
    std::fs::write(dir.path().join("a-file"), "not a folder").unwrap();
    let url = format!("sqlite://{}/a-file/db.sqlite3", dir.path().display());
    let out = coprod(dir.path(), &["migrate"], &[("COPROD__DATABASE__URL", &url)]);
    assert!(!out.status.success());
    assert!(
        text(&out.stderr).contains("cannot be created"),
        "{}",
        text(&out.stderr)
    );

    let port = std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port();
    let url = format!("postgres://coprod@127.0.0.1:{port}/coprod");
    let started = Instant::now();
    let out = coprod(dir.path(), &["migrate"], &[("COPROD__DATABASE__URL", &url)]);
    assert!(!out.status.success());
    let err = text(&out.stderr);
    assert!(err.contains("cannot open the PostgreSQL database"), "{err}");
    assert!(started.elapsed() < Duration::from_secs(30));
    assert_eq!(
        std::fs::read_dir(dir.path()).unwrap().count(),
        1,
        "only our own file"
    );
}

async fn migrations_apply_once(backend: TestBackend) {
    let dir = tempfile::tempdir().unwrap();
    let url = backend.fresh_database_url(dir.path());
    let env = [("COPROD__DATABASE__URL", url.as_str())];
    let first = coprod(dir.path(), &["migrate"], &env);
    assert!(first.status.success(), "{}", text(&first.stderr));
    assert!(
        text(&first.stdout).contains("applied"),
        "{}",
        text(&first.stdout)
    );
    let second = coprod(dir.path(), &["migrate"], &env);
    assert!(second.status.success());
    assert!(
        text(&second.stdout).contains("no migration to apply"),
        "{}",
        text(&second.stdout)
    );
}

async fn send_pending_drains_the_queue_once(backend: TestBackend) {
    let dir = tempfile::tempdir().unwrap();
    let url = backend.fresh_database_url(dir.path());
    let env = [("COPROD__DATABASE__URL", url.as_str())];
    assert!(coprod(dir.path(), &["migrate"], &env).status.success());
    let db = coprod::db::Database::connect(&url, 1, Duration::from_secs(5)).unwrap();
    let mut conn = db.get().unwrap();
    let email = coprod::mail::Template::new("Hello")
        .paragraph("Hi")
        .render("sam@example.org");
    coprod::db::write_tx(&mut conn, |c| coprod::mail::queue(c, "k1", &email)).unwrap();
    drop(conn);

    let out = coprod(dir.path(), &["mail", "send-pending"], &env);
    assert!(out.status.success(), "{}", text(&out.stderr));
    assert!(
        text(&out.stdout).contains("sent 1"),
        "{}",
        text(&out.stdout)
    );
    let files: Vec<_> = std::fs::read_dir(dir.path().join("data/outbox"))
        .unwrap()
        .collect();
    assert_eq!(files.len(), 1);
    let again = coprod(dir.path(), &["mail", "send-pending"], &env);
    assert!(
        text(&again.stdout).contains("sent 0"),
        "nothing is sent twice"
    );
}

/// `coprod` alone serves on its defaults, answers /health, stops cleanly on SIGTERM, and a second
/// start applies no migration.
#[test]
fn serve_starts_on_defaults_and_stops_gracefully() {
    let dir = tempfile::tempdir().unwrap();
    for round in 0..2 {
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .unwrap()
            .local_addr()
            .unwrap()
            .port();
        let child = Command::new(env!("CARGO_BIN_EXE_coprod"))
            .current_dir(dir.path())
            .env_remove("COPROD_ENV")
            .env_remove("RUST_LOG")
            .env("COPROD__SERVER__PORT", port.to_string())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap();
        let started = Instant::now();
        let mut up = false;
        while started.elapsed() < Duration::from_secs(20) {
            if let Ok(mut s) = std::net::TcpStream::connect(("127.0.0.1", port)) {
                use std::io::{Read, Write};
                s.write_all(b"GET /health HTTP/1.0\r\n\r\n").unwrap();
                let mut answer = String::new();
                let _ = s.read_to_string(&mut answer);
                up = answer.starts_with("HTTP/1.0 200") || answer.starts_with("HTTP/1.1 200");
                if up {
                    break;
                }
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        assert!(up, "serves /health within seconds");
        let killed = Command::new("kill")
            .args(["-TERM", &child.id().to_string()])
            .status()
            .unwrap();
        assert!(killed.success());
        let output = child.wait_with_output().unwrap();
        assert!(output.status.success(), "exits cleanly on SIGTERM");
        let log = text(&output.stderr);
        assert!(log.contains("stopped"), "{log}");
        if round == 0 {
            assert!(log.contains("applied migration"), "{log}");
        } else {
            assert!(
                !log.contains("applied migration"),
                "nothing applied twice: {log}"
            );
        }
    }
    assert!(dir.path().join("data/coprod.sqlite3").exists());
    assert!(dir.path().join("data/outbox").is_dir());
}

both_backends!(migrations_apply_once, send_pending_drains_the_queue_once);
