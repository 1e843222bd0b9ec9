//! Retention that runs itself, on both backends: with the periods shortened, a dry run (the
//! `coprod retention --dry-run` command) lists what the rules would remove and why and changes
//! nothing; two instances running the daily pass at once remove it once between them: the old
//! member's details (not those of a member still owed a session, nor of one still in a role), the
//! old receipt (not the new one), the old emails' texts; each removal in the audit trail with its
//! rule; the run that paid them adds up as before.

use diesel::prelude::*;
use reqwest::Method;
use secrecy::ExposeSecret;
use serde_json::{json, Value};

use crate::both_backends;
use crate::cli::{coprod, text};
use crate::erasure::{books, tables_holding};
use crate::helpers::TestBackend;
use crate::payruns::{ok, s, World};
use coprod::services::personal::retention::{self, Rules};

/// Ends a member's role in the group on `day`.
async fn end_role(w: &World, member: &str, day: &str) {
    let list = ok(
        w.app
            .get_as(
                &format!("/api/v1/groups/{}/memberships?limit=100", w.group),
                &w.coordinator.token,
            )
            .await,
        200,
    )
    .await;
    let m = list["items"]
        .as_array()
        .unwrap()
        .iter()
        .find(|m| m["member_id"] == member)
        .unwrap_or_else(|| panic!("{list}"))
        .clone();
    ok(
        w.app
            .call(
                Method::PATCH,
                &format!("/api/v1/memberships/{}", s(&m["id"])),
                Some(&w.coordinator.token),
                Some(json!({"ends_on": day})),
            )
            .await,
        200,
    )
    .await;
}

/// A receipt on a claim of the member's at `meeting`; its id.
async fn receipt(w: &World, meeting: &str, member: &str) -> String {
    let claim = ok(
        w.app
            .post_as(
                &format!("/api/v1/meetings/{meeting}/expenses"),
                Some(&w.coordinator.token),
                json!({"member_id": member, "kind": "parking", "amount": "3.00"}),
            )
            .await,
        201,
    )
    .await;
    let res: Value = crate::receipts::upload(
        w,
        &s(&claim["id"]),
        &w.coordinator.token,
        "ticket.pdf",
        b"%PDF-1.4 a ticket",
    )
    .await
    .json()
    .await
    .unwrap();
    s(&res["id"])
}

async fn the_rules_remove_only_what_is_due_once(backend: TestBackend) {
    let w = World::new_with(backend, |s| {
        s.retention.erase_after_years = 1;
        s.retention.receipt_years = 1;
        s.retention.email_body_days = 7;
    })
    .await;
    w.regional_card().await;
    let olive = w.new_member("Olive Oldfield", "member").await;
    let wendy = w.new_member("Wendy Waiting", "member").await;
    let june = w.meeting("2025-06-10", 180, "meeting").await;
    ok(
        w.register(
            &june,
            json!([{"member_id": olive, "status": "attended"}, {"member_id": w.member_id, "status": "attended"}]),
        )
        .await,
        200,
    )
    .await;
    let run = w.draft("2025-06-01", "2025-06-30", "2025-07-04").await;
    ok(w.approve_as(&run, &w.approver.token).await, 200).await;
    w.mark_paid(&run).await;
    w.app
        .delivered_mail("sam@example.org", "has been paid")
        .await;
    w.session(&wendy, "2025-07-10", 120).await;
    end_role(&w, &olive, "2025-07-31").await;
    end_role(&w, &wendy, "2025-07-31").await;
    let old_receipt = receipt(&w, &june, &w.member_id).await;
    let new_receipt = receipt(&w, &june, &w.member_id).await;
    // Every email so far marked sent (delivery is seen before the outbox row says so).
    crate::helpers::eventually(
        "the outbox to be empty",
        std::time::Duration::from_secs(20),
        || async {
            let waiting = w
                .app
                .with_db(|c| {
                    use coprod::db::schema::outbox;
                    outbox::table
                        .filter(outbox::status.ne("sent"))
                        .count()
                        .get_result::<i64>(c)
                        .unwrap()
                })
                .await;
            (waiting == 0).then_some(())
        },
    )
    .await;
    // Make the first receipt and every email sent so far old enough.
    let (r, today) = (old_receipt.clone(), w.app.settings.today());
    let old_emails = w
        .app
        .with_db(move |c| {
            use coprod::db::schema::{outbox, receipts};
            let long_ago = (today - chrono::Duration::days(800))
                .and_hms_opt(9, 0, 0)
                .unwrap();
            diesel::update(receipts::table.find(&r))
                .set(receipts::uploaded_at.eq(long_ago))
                .execute(c)
                .unwrap();
            let ten_days_ago = today.and_hms_opt(0, 0, 0).unwrap() - chrono::Duration::days(10);
            diesel::update(outbox::table.filter(outbox::status.eq("sent")))
                .set((
                    outbox::created_at.eq(ten_days_ago),
                    outbox::sent_at.eq(Some(ten_days_ago)),
                ))
                .execute(c)
                .unwrap();
            // Those whose text is still there (a message with a link lost it once sent).
            outbox::table
                .filter(outbox::body_text.ne(coprod::db::outbox::REMOVED_TEXT))
                .count()
                .get_result::<i64>(c)
                .unwrap() as usize
        })
        .await;
    assert!(old_emails > 0);
    let books_before = books(&w, &run).await;

    // The dry run, as an operator runs it: what and why, and nothing changed.
    let dir = tempfile::tempdir().unwrap();
    let url = w.app.settings.database.url.expose_secret().to_string();
    let out = coprod(
        dir.path(),
        &["retention", "--dry-run"],
        &[
            ("COPROD__DATABASE__URL", url.as_str()),
            ("COPROD__RETENTION__ERASE_AFTER_YEARS", "1"),
            ("COPROD__RETENTION__RECEIPT_YEARS", "1"),
            ("COPROD__RETENTION__EMAIL_BODY_DAYS", "7"),
        ],
    );
    let said = text(&out.stdout);
    assert!(out.status.success(), "{said}{}", text(&out.stderr));
    assert!(said.contains(&format!("would remove member {olive} (retention.erase_after_years = 1: last paid 2025-07-04, last role ended 2025-07-31")), "{said}");
    assert!(
        said.contains(&format!(
            "would remove receipt {old_receipt} (retention.receipt_years = 1"
        )),
        "{said}"
    );
    assert!(!said.contains(&new_receipt), "{said}");
    assert!(said.contains("would remove email text"), "{said}");
    assert!(
        said.contains(&format!("kept for now: member {wendy}")),
        "{said}"
    );
    assert!(
        said.contains("1 session they attended is not yet paid"),
        "{said}"
    );
    assert!(!said.contains(&w.member_id), "an open role: {said}");
    assert!(said.contains("Nothing was changed."), "{said}");
    assert!(!tables_holding(&w, "Olive Oldfield").await.is_empty());

    // Two instances at once: one pass between them. (This server's own worker ran today's pass
    // when it started, before any of this was old: the day is given back, as if it were the next.)
    let started = w
        .app
        .with_db(|c| {
            diesel::delete(coprod::db::schema::retention_runs::table)
                .execute(c)
                .unwrap()
        })
        .await;
    assert_eq!(started, 1, "the server runs the day's pass by itself");
    let rules = Rules::from(&w.app.settings.retention);
    let pass = || {
        w.app
            .with_db(move |c| retention::daily(c, rules, today).unwrap())
    };
    let (a, b) = tokio::join!(pass(), pass());
    let report = match (a, b) {
        (Some(r), None) | (None, Some(r)) => r,
        other => panic!("one pass between them: {other:?}"),
    };
    let kinds = |k: &str| report.removed.iter().filter(|d| d.kind == k).count();
    assert_eq!(kinds("member"), 1);
    assert_eq!(kinds("receipt"), 1);
    assert_eq!(kinds("email_text"), old_emails);
    assert!(pass().await.is_none(), "once a day");
    // Run by hand again: nothing more is due.
    let again = w
        .app
        .with_db(move |c| retention::apply(c, rules, today).unwrap())
        .await;
    assert!(again.removed.is_empty(), "{again:?}");

    // What the rules said went, and only that.
    assert!(tables_holding(&w, "Olive Oldfield").await.is_empty());
    assert!(!tables_holding(&w, "Wendy Waiting").await.is_empty());
    assert!(!tables_holding(&w, "sam@example.org").await.is_empty());
    let (old, new) = (old_receipt.clone(), new_receipt.clone());
    let (kept, texts, audit) = w
        .app
        .with_db(move |c| {
            use coprod::db::schema::{audit_events, outbox, receipts};
            let kept: Vec<String> = receipts::table
                .filter(receipts::id.eq_any([&old, &new]))
                .select(receipts::id)
                .load(c)
                .unwrap();
            let texts: Vec<String> = outbox::table
                .filter(outbox::status.eq("sent"))
                .select(outbox::body_text)
                .load(c)
                .unwrap();
            let audit: Vec<(String, Option<String>)> = audit_events::table
                .filter(audit_events::action.eq_any([
                    "member.erased",
                    "receipt.removed",
                    "email.text_removed",
                ]))
                .select((audit_events::action, audit_events::reason))
                .load(c)
                .unwrap();
            (kept, texts, audit)
        })
        .await;
    assert_eq!(kept, vec![new_receipt]);
    // Emptied by the rule, or (those to the erased member) erased with her details.
    let emptied = [
        coprod::db::outbox::EXPIRED_TEXT,
        coprod::db::outbox::ERASED_TEXT,
    ];
    assert_eq!(
        texts
            .iter()
            .filter(|t| emptied.contains(&t.as_str()))
            .count(),
        old_emails
    );
    assert_eq!(audit.len(), 2 + old_emails, "each removal once: {audit:?}");
    for (action, reason) in &audit {
        let reason = reason.as_deref().unwrap_or("");
        assert!(reason.starts_with("retention."), "{action}: {reason}");
    }
    assert_eq!(
        books(&w, &run).await,
        books_before,
        "the run adds up as before"
    );
}

both_backends!(the_rules_remove_only_what_is_due_once);
