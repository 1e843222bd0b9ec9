//! The outbox: queued once per key, delivered by the worker to files or a real SMTP server on
//! loopback, retried after a refused connection, and given up on after the last attempt.

use std::net::TcpListener;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use coprod::config::MailTransportKind;
use coprod::db::{outbox, write_tx};
use coprod::mail::{queue, Template};

use crate::both_backends;
use crate::helpers::{eventually, spawn_app, spawn_app_with, TestApp, TestBackend};

/// A real SMTP server on loopback that keeps every message it receives.
#[derive(Clone, Default)]
struct Catcher {
    current: Vec<u8>,
    received: Arc<Mutex<Vec<String>>>,
    /// How long each message takes to accept (a slow server).
    delay: Duration,
}

impl mailin_embedded::Handler for Catcher {
    fn data_start(&mut self, _: &str, _: &str, _: bool, _: &[String]) -> mailin_embedded::Response {
        self.current.clear();
        mailin_embedded::response::OK
    }
    fn data(&mut self, buf: &[u8]) -> std::io::Result<()> {
        self.current.extend_from_slice(buf);
        Ok(())
    }
    fn data_end(&mut self) -> mailin_embedded::Response {
        std::thread::sleep(self.delay);
        let message = String::from_utf8_lossy(&self.current).into_owned();
        self.received.lock().unwrap().push(message);
        mailin_embedded::response::OK
    }
}

/// Starts an SMTP server on `listener` in a background thread; returns what it receives.
pub fn start_smtp(listener: TcpListener) -> Arc<Mutex<Vec<String>>> {
    start_smtp_with(listener, Duration::ZERO)
}

/// An SMTP server that takes `delay` to accept each message.
pub fn start_smtp_with(listener: TcpListener, delay: Duration) -> Arc<Mutex<Vec<String>>> {
    let catcher = Catcher {
        delay,
        ..Catcher::default()
    };
    let received = catcher.received.clone();
    let mut server = mailin_embedded::Server::new(catcher);
    server.with_name("smtp.test").with_tcp_listener(listener);
    std::thread::spawn(move || {
        let _ = server.serve();
    });
    received
}

pub fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn queue_one(app: &TestApp, key: &str, to: &str) -> bool {
    let (key, to) = (key.to_string(), to.to_string());
    app.with_db(move |conn| {
        write_tx(conn, |c| {
            let email = Template::new("Your payment has been approved")
                .greeting("Sam")
                .paragraph("We will pay you £75.00 by bank transfer on 4 July 2025.")
                .render(to);
            queue(c, &key, &email)
        })
        .unwrap()
    })
    .await
}

async fn row(app: &TestApp, key: &str) -> outbox::OutboxRow {
    let key = key.to_string();
    app.with_db(move |c| outbox::find_by_key(c, &key).unwrap().expect("queued row"))
        .await
}

async fn the_same_key_is_never_queued_twice(backend: TestBackend) {
    let app = spawn_app(backend).await;
    assert!(queue_one(&app, "approved:run-1:member-1", "sam@example.org").await);
    assert!(!queue_one(&app, "approved:run-1:member-1", "sam@example.org").await);
    assert!(queue_one(&app, "approved:run-1:member-2", "alex@example.org").await);
    let count = app
        .with_db(|c| {
            outbox::count_by_status(c)
                .unwrap()
                .into_iter()
                .map(|(_, n)| n)
                .sum::<i64>()
        })
        .await;
    assert_eq!(count, 2);
}

async fn queued_mail_is_written_as_eml_files_by_default(backend: TestBackend) {
    let app = spawn_app(backend).await;
    assert_eq!(app.settings.mail.transport, MailTransportKind::File);
    queue_one(&app, "approved:run-1:member-1", "sam@example.org").await;
    let sent = eventually(
        "the message to be sent",
        Duration::from_secs(20),
        || async {
            let r = row(&app, "approved:run-1:member-1").await;
            (r.status == "sent").then_some(r)
        },
    )
    .await;
    assert_eq!(sent.attempts, 1);
    assert!(sent.sent_at.is_some());
    let file = app.mail_dir().join(format!("{}.eml", sent.id));
    let eml = std::fs::read_to_string(&file).expect("an .eml file named after the message");
    assert!(
        eml.contains("Subject: Your payment has been approved"),
        "{eml}"
    );
    assert!(eml.contains("To: sam@example.org"), "{eml}");
    assert!(eml.contains("multipart/alternative"), "{eml}");
    assert!(
        eml.contains("text/plain") && eml.contains("text/html"),
        "{eml}"
    );
    let from: lettre::message::Mailbox = app.settings.mail.from.parse().unwrap();
    let id = coprod::mail::outbox::message_id("approved:run-1:member-1", &from);
    assert!(eml.contains(&format!("Message-ID: {id}")), "{eml}");
}

async fn mail_is_delivered_to_a_real_smtp_server(backend: TestBackend) {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap();
    let port = listener.local_addr().unwrap().port();
    let received = start_smtp(listener);
    let app = spawn_app_with(backend, |s| {
        s.mail.transport = MailTransportKind::Smtp;
        s.mail.smtp.host = "127.0.0.1".into();
        s.mail.smtp.port = port;
    })
    .await;
    queue_one(&app, "approved:run-9:member-1", "sam@example.org").await;
    let message = eventually(
        "the SMTP server to receive it",
        Duration::from_secs(20),
        || async { received.lock().unwrap().first().cloned() },
    )
    .await;
    assert!(
        message.contains("Subject: Your payment has been approved"),
        "{message}"
    );
    assert!(message.contains("sam@example.org"));
    assert!(message.contains("bank transfer"), "{message}");
    eventually(
        "the row to be marked sent",
        Duration::from_secs(10),
        || async { (row(&app, "approved:run-9:member-1").await.status == "sent").then_some(()) },
    )
    .await;
    assert_eq!(received.lock().unwrap().len(), 1);
}

async fn a_refused_connection_is_retried_not_lost(backend: TestBackend) {
    let port = free_port();
    let app = spawn_app_with(backend, |s| {
        s.mail.transport = MailTransportKind::Smtp;
        s.mail.smtp.host = "127.0.0.1".into();
        s.mail.smtp.port = port;
        s.mail.max_attempts = 20;
    })
    .await;
    queue_one(&app, "reset:account-1", "sam@example.org").await;
    let failed_once = eventually(
        "a failed first attempt",
        Duration::from_secs(20),
        || async {
            let r = row(&app, "reset:account-1").await;
            (r.attempts >= 1 && r.status == "pending").then_some(r)
        },
    )
    .await;
    assert!(failed_once.last_error.is_some(), "{failed_once:?}");
    assert!(failed_once.next_attempt_at > failed_once.updated_at - chrono::TimeDelta::seconds(1));

    // The mail server comes back on the same port.
    let received = start_smtp(TcpListener::bind(("127.0.0.1", port)).unwrap());
    let sent = eventually(
        "delivery after the server returns",
        Duration::from_secs(30),
        || async {
            let r = row(&app, "reset:account-1").await;
            (r.status == "sent").then_some(r)
        },
    )
    .await;
    assert!(sent.attempts >= 2, "{sent:?}");
    assert_eq!(received.lock().unwrap().len(), 1, "delivered once");
}

async fn mail_is_marked_failed_after_the_last_attempt(backend: TestBackend) {
    let port = free_port();
    let app = spawn_app_with(backend, |s| {
        s.mail.transport = MailTransportKind::Smtp;
        s.mail.smtp.host = "127.0.0.1".into();
        s.mail.smtp.port = port;
        s.mail.max_attempts = 2;
    })
    .await;
    queue_one(&app, "invite:account-2", "alex@example.org").await;
    let failed = eventually(
        "the message to fail for good",
        Duration::from_secs(30),
        || async {
            let r = row(&app, "invite:account-2").await;
            (r.status == "failed").then_some(r)
        },
    )
    .await;
    assert_eq!(failed.attempts, 2);
    assert!(failed.last_error.is_some());
    let metrics = app.get("/metrics").await.text().await.unwrap();
    assert!(
        metrics.contains(r#"coprod_outbox_messages{status="failed"} 1"#),
        "{metrics}"
    );
}

both_backends!(
    the_same_key_is_never_queued_twice,
    queued_mail_is_written_as_eml_files_by_default,
    mail_is_delivered_to_a_real_smtp_server,
    a_refused_connection_is_retried_not_lost,
    mail_is_marked_failed_after_the_last_attempt,
);
