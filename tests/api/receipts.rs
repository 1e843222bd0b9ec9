//! Receipts for expense claims, as the people who claim, decide and pay use them: uploaded by the
//! member or the coordinator (or finance), refused when they are not a photo or a scan or are too
//! large, downloaded only as attachments, removed only while the claim waits; a member's claims
//! with where each is; late claims approved only with a reason; and receipts carried by db copy.

use std::time::Duration;

use reqwest::header::COOKIE;
use reqwest::Method;
use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::{assert_problem, Role, TestBackend, User};
use crate::payruns::{ok, s, World};
use crate::portal::{client, sign_in};

const JPEG: &[u8] =
    b"\xFF\xD8\xFF\xE0\x00\x10JFIF\x00\x01\x01\x00\x00\x01\x00\x01\x00\x00 a bus ticket";
const PNG: &[u8] = b"\x89PNG\r\n\x1A\n\x00\x00\x00\x0DIHDR a parking receipt";
const PDF: &[u8] = b"%PDF-1.4\n1 0 obj << /Type /Catalog >> endobj\ntrailer << >>\n%%EOF\n";
const HEIC: &[u8] = b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00mif1heic a phone photo";
/// A Windows program, named as if it were a photo.
const EXE: &[u8] = b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xFF\xFF\x00\x00This program cannot be run in DOS mode";

const BOUNDARY: &str = "coprod-test-7d1f0c";

/// A multipart/form-data body of `parts`: (part name, file name, bytes).
fn multipart(parts: &[(&str, Option<&str>, &[u8])]) -> Vec<u8> {
    let mut body = Vec::new();
    for (name, filename, bytes) in parts {
        body.extend_from_slice(format!("--{BOUNDARY}\r\n").as_bytes());
        let disposition = match filename {
            Some(f) => {
                format!("Content-Disposition: form-data; name=\"{name}\"; filename=\"{f}\"\r\n")
            }
            None => format!("Content-Disposition: form-data; name=\"{name}\"\r\n"),
        };
        body.extend_from_slice(disposition.as_bytes());
        // What a browser would claim: receipts are judged by their bytes, not by this.
        body.extend_from_slice(b"Content-Type: image/jpeg\r\n\r\n");
        body.extend_from_slice(bytes);
        body.extend_from_slice(b"\r\n");
    }
    body.extend_from_slice(format!("--{BOUNDARY}--\r\n").as_bytes());
    body
}

/// POSTs a multipart body to a claim's receipts.
async fn send(
    w: &World,
    claim: &str,
    token: &str,
    body: Vec<u8>,
    key: Option<&str>,
) -> reqwest::Response {
    let mut req = w
        .app
        .client
        .post(w.app.url(&format!("/api/v1/expenses/{claim}/receipts")))
        .bearer_auth(token)
        .header(
            "content-type",
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(body);
    if let Some(k) = key {
        req = req.header("Idempotency-Key", k);
    }
    req.send().await.expect("the upload is answered")
}

pub async fn upload(
    w: &World,
    claim: &str,
    token: &str,
    name: &str,
    bytes: &[u8],
) -> reqwest::Response {
    send(
        w,
        claim,
        token,
        multipart(&[("file", Some(name), bytes)]),
        None,
    )
    .await
}

/// A claim by the member for a session on `date` (created by the coordinator, for themselves).
pub async fn claim_on(w: &World, date: &str, amount: &str) -> String {
    let meeting = w.meeting(date, 180, "meeting").await;
    s(&ok(
        w.app
            .post_as(
                &format!("/api/v1/meetings/{meeting}/expenses"),
                Some(&w.member.token),
                json!({"member_id": w.member_id, "kind": "taxi", "amount": amount}),
            )
            .await,
        201,
    )
    .await["id"])
}

async fn receipt_rows(w: &World) -> i64 {
    use diesel::prelude::*;
    w.app
        .with_db(|c| {
            coprod::db::schema::receipts::table
                .count()
                .get_result::<i64>(c)
                .unwrap()
        })
        .await
}

fn header(res: &reqwest::Response, name: &str) -> String {
    res.headers()
        .get(name)
        .map(|v| v.to_str().unwrap().to_string())
        .unwrap_or_default()
}

async fn receipts_are_uploaded_listed_and_downloaded(backend: TestBackend) {
    let w = World::new(backend).await;
    let claim = claim_on(&w, "2025-06-10", "12.60").await;

    // The member, for their own claim; the coordinator; finance.
    let bus = ok(
        upload(&w, &claim, &w.member.token, "bus ticket.jpg", JPEG).await,
        201,
    )
    .await;
    assert_eq!(bus["content_type"], "image/jpeg");
    assert_eq!(bus["filename"], "bus ticket.jpg");
    assert_eq!(bus["size_bytes"], JPEG.len());
    assert_eq!(bus["sha256"], coprod::domain::receipts::sha256_hex(JPEG));
    assert_eq!(bus["expense_id"], claim);
    assert!(bus["uploaded_at"].as_str().unwrap().ends_with('Z'), "{bus}");
    let parking = ok(
        upload(&w, &claim, &w.coordinator.token, "parking.jpg", PNG).await,
        201,
    )
    .await;
    assert_eq!(
        parking["content_type"], "image/png",
        "the bytes decide, not the name"
    );
    ok(
        upload(&w, &claim, &w.coordinator.token, "scan", PDF).await,
        201,
    )
    .await;
    let photo = ok(
        upload(&w, &claim, &w.finance.token, "IMG_0042.HEIC", HEIC).await,
        201,
    )
    .await;
    assert_eq!(photo["content_type"], "image/heic");

    // Everyone who may see the claim sees the same list, oldest first.
    let path = format!("/api/v1/expenses/{claim}/receipts");
    for token in [&w.member.token, &w.coordinator.token, &w.finance.token] {
        let list = ok(w.app.get_as(&path, token).await, 200).await;
        let names: Vec<String> = list["items"]
            .as_array()
            .unwrap()
            .iter()
            .map(|r| s(&r["filename"]))
            .collect();
        assert_eq!(
            names,
            ["bus ticket.jpg", "parking.jpg", "scan.pdf", "IMG_0042.HEIC"]
        );
        assert!(list["next_cursor"].is_null());
    }

    // A download is the file itself, as an attachment the browser may not sniff or keep.
    let res = w
        .app
        .get_as(
            &format!("/api/v1/receipts/{}", s(&bus["id"])),
            &w.member.token,
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(header(&res, "content-type"), "image/jpeg");
    assert_eq!(
        header(&res, "content-disposition"),
        "attachment; filename=\"bus ticket.jpg\""
    );
    assert_eq!(header(&res, "x-content-type-options"), "nosniff");
    assert_eq!(header(&res, "cache-control"), "no-store");
    assert!(header(&res, "content-security-policy").contains("sandbox"));
    assert_eq!(res.bytes().await.unwrap().as_ref(), JPEG);

    // A name made to break the header, or to climb out of a folder, is made safe when stored.
    let odd = ok(
        upload(&w, &claim, &w.member.token, "../../evil/pass;wd.pdf", PDF).await,
        201,
    )
    .await;
    let res = w
        .app
        .get_as(
            &format!("/api/v1/receipts/{}", s(&odd["id"])),
            &w.coordinator.token,
        )
        .await;
    assert_eq!(
        header(&res, "content-disposition"),
        "attachment; filename=\"pass_wd.pdf\""
    );

    // Another member's claim, and another group's coordinator: nothing there.
    let other_member = w.app.user(Role::Member).await;
    let other_coordinator = w.app.user(Role::Coordinator).await;
    for who in [&other_member, &other_coordinator] {
        assert_problem(upload(&w, &claim, &who.token, "a.jpg", JPEG).await, 404).await;
        assert_problem(w.app.get_as(&path, &who.token).await, 404).await;
        let res = w
            .app
            .get_as(&format!("/api/v1/receipts/{}", s(&bus["id"])), &who.token)
            .await;
        assert_problem(res, 404).await;
    }
    assert_problem(
        upload(&w, "nope", &w.coordinator.token, "a.jpg", JPEG).await,
        404,
    )
    .await;
    assert_problem(
        w.app
            .get_as("/api/v1/receipts/nope", &w.finance.token)
            .await,
        404,
    )
    .await;

    // The same upload sent twice with one Idempotency-Key is one receipt.
    let body = multipart(&[("file", Some("again.jpg"), JPEG)]);
    let first = ok(
        send(&w, &claim, &w.member.token, body.clone(), Some("receipt-1")).await,
        201,
    )
    .await;
    let again = send(&w, &claim, &w.member.token, body, Some("receipt-1")).await;
    assert_eq!(header(&again, "idempotent-replayed"), "true");
    assert_eq!(ok(again, 201).await["id"], first["id"]);
    assert_eq!(receipt_rows(&w).await, 6);

    let actions: Vec<String> = w
        .app
        .audit_of(&s(&bus["id"]))
        .await
        .into_iter()
        .map(|e| e.action)
        .collect();
    assert_eq!(actions, ["receipt.uploaded"]);
}

async fn what_is_not_a_receipt_is_refused_and_nothing_is_kept(backend: TestBackend) {
    let w = World::new(backend).await;
    let claim = claim_on(&w, "2025-06-10", "12.60").await;
    let token = w.member.token.clone();

    // A program called receipt.jpg is still a program.
    let p = assert_problem(upload(&w, &claim, &token, "receipt.jpg", EXE).await, 415).await;
    assert_eq!(p["type"], "urn:coprod:problem:receipt-type-not-accepted");
    assert!(
        p["detail"]
            .as_str()
            .unwrap()
            .contains("JPEG, PNG, HEIC or PDF"),
        "{p}"
    );
    for other in [
        &b"GIF89a\x01\x00"[..],
        b"<svg onload=alert(1)>",
        b"PK\x03\x04",
    ] {
        assert_problem(upload(&w, &claim, &token, "r.png", other).await, 415).await;
    }

    // 11 MiB: refused at the limit, however it starts.
    let mut big = JPEG.to_vec();
    big.resize(11 * 1024 * 1024, 0);
    let p = assert_problem(upload(&w, &claim, &token, "huge.jpg", &big).await, 413).await;
    assert!(p["detail"].as_str().unwrap().contains("10 MiB"), "{p}");
    // With an Idempotency-Key too (the key's check reads the body first).
    let body = multipart(&[("file", Some("huge.jpg"), &big)]);
    assert_problem(send(&w, &claim, &token, body, Some("big-1")).await, 413).await;
    // Just under the limit is fine.
    let mut most = JPEG.to_vec();
    most.resize(10 * 1024 * 1024, 0);
    ok(upload(&w, &claim, &token, "large.jpg", &most).await, 201).await;
    assert_eq!(receipt_rows(&w).await, 1);

    // No part named file, an empty file, two files, or not multipart at all.
    let p = assert_problem(
        send(
            &w,
            &claim,
            &token,
            multipart(&[("photo", Some("a.jpg"), JPEG)]),
            None,
        )
        .await,
        422,
    )
    .await;
    assert_eq!(p["errors"][0]["field"], "file", "{p}");
    let p = assert_problem(
        send(
            &w,
            &claim,
            &token,
            multipart(&[("note", None, b"hello")]),
            None,
        )
        .await,
        422,
    )
    .await;
    assert_eq!(p["errors"][0]["field"], "file", "{p}");
    let p = assert_problem(upload(&w, &claim, &token, "empty.jpg", b"").await, 422).await;
    assert_eq!(p["errors"][0]["field"], "file", "{p}");
    let two = multipart(&[("file", Some("a.jpg"), JPEG), ("file", Some("b.jpg"), JPEG)]);
    assert_problem(send(&w, &claim, &token, two, None).await, 422).await;
    let res = w
        .app
        .post_as(
            &format!("/api/v1/expenses/{claim}/receipts"),
            Some(&token),
            json!({"file": "x"}),
        )
        .await;
    assert_problem(res, 415).await;
    let broken = w
        .app
        .client
        .post(w.app.url(&format!("/api/v1/expenses/{claim}/receipts")))
        .bearer_auth(&token)
        .header(
            "content-type",
            format!("multipart/form-data; boundary={BOUNDARY}"),
        )
        .body(format!(
            "--{BOUNDARY}\r\nContent-Disposition: form-data; name=\"file\"\r\n\r\nno end"
        ))
        .send()
        .await
        .unwrap();
    assert_problem(broken, 400).await;
    assert_eq!(receipt_rows(&w).await, 1, "nothing refused was kept");
}

async fn receipts_are_removed_only_while_the_claim_waits(backend: TestBackend) {
    let w = World::new(backend).await;
    let claim = claim_on(&w, "2025-06-10", "12.60").await;
    let mine = s(&ok(
        upload(&w, &claim, &w.member.token, "a.jpg", JPEG).await,
        201,
    )
    .await["id"]);
    let theirs = s(&ok(
        upload(&w, &claim, &w.coordinator.token, "b.pdf", PDF).await,
        201,
    )
    .await["id"]);
    let delete = |id: &str, who: &User| {
        let (path, token) = (format!("/api/v1/receipts/{id}"), who.token.clone());
        let app = &w.app;
        async move { app.call(Method::DELETE, &path, Some(&token), None).await }
    };
    // The member may not remove what the coordinator uploaded; another member learns nothing.
    assert_problem(delete(&theirs, &w.member).await, 403).await;
    let stranger = w.app.user(Role::Member).await;
    assert_problem(delete(&mine, &stranger).await, 404).await;
    assert_eq!(delete(&mine, &w.member).await.status(), 204);
    assert_problem(delete(&mine, &w.member).await, 404).await;
    let again = s(&ok(
        upload(&w, &claim, &w.member.token, "c.jpg", JPEG).await,
        201,
    )
    .await["id"]);
    let actions: Vec<String> = w
        .app
        .audit_of(&mine)
        .await
        .into_iter()
        .map(|e| e.action)
        .collect();
    assert_eq!(actions, ["receipt.uploaded", "receipt.deleted"]);

    // Once decided, the claim's receipts stay; the member may add no more; staff still may.
    ok(
        w.app
            .call(
                Method::POST,
                &format!("/api/v1/expenses/{claim}/approve"),
                Some(&w.coordinator.token),
                None,
            )
            .await,
        200,
    )
    .await;
    assert_problem(delete(&again, &w.member).await, 409).await;
    assert_problem(delete(&theirs, &w.coordinator).await, 409).await;
    assert_problem(
        upload(&w, &claim, &w.member.token, "d.jpg", JPEG).await,
        409,
    )
    .await;
    // Refused before the file is read, whatever its size.
    let mut big = JPEG.to_vec();
    big.resize(8 * 1024 * 1024, 0);
    let res = upload(&w, &claim, &w.member.token, "big.jpg", &big).await;
    assert_problem(res, 409).await;
    let res = upload(&w, &claim, &stranger.token, "big.jpg", &big).await;
    assert_problem(res, 404).await;
    ok(
        upload(&w, &claim, &w.coordinator.token, "e.jpg", JPEG).await,
        201,
    )
    .await;
    ok(
        upload(&w, &claim, &w.finance.token, "f.jpg", JPEG).await,
        201,
    )
    .await;
    let list = ok(
        w.app
            .get_as(
                &format!("/api/v1/expenses/{claim}/receipts"),
                &w.member.token,
            )
            .await,
        200,
    )
    .await;
    assert_eq!(list["items"].as_array().unwrap().len(), 4);
}

async fn a_members_claims_say_where_each_is(backend: TestBackend) {
    let w = World::new(backend).await;
    w.regional_card().await;
    let choice = json!({"effective_from": "2025-04-01", "fee_choice": "full", "method": "bank_transfer",
                        "notify_by_email": false});
    ok(
        w.set_preference(&w.member_id, &w.coordinator.token, choice)
            .await,
        200,
    )
    .await;
    let paid = claim_on(&w, "2025-06-10", "12.60").await;
    let approved = claim_on(&w, "2025-07-08", "4.20").await;
    let rejected = claim_on(&w, "2025-07-15", "30.00").await;
    let waiting = claim_on(&w, "2025-07-22", "7.40").await;
    ok(upload(&w, &paid, &w.member.token, "a.jpg", JPEG).await, 201).await;
    ok(upload(&w, &paid, &w.member.token, "b.pdf", PDF).await, 201).await;
    ok(
        upload(&w, &waiting, &w.member.token, "c.png", PNG).await,
        201,
    )
    .await;
    for claim in [&paid, &approved] {
        let path = format!("/api/v1/expenses/{claim}/approve");
        ok(
            w.app
                .post_as(&path, Some(&w.coordinator.token), json!({}))
                .await,
            200,
        )
        .await;
    }
    let reason = "Taxis need agreeing with the coordinator first.";
    ok(
        w.app
            .post_as(
                &format!("/api/v1/expenses/{rejected}/reject"),
                Some(&w.coordinator.token),
                json!({"reason": reason}),
            )
            .await,
        200,
    )
    .await;
    let run = w.draft("2025-06-01", "2025-06-30", "2025-07-04").await;
    ok(w.approve_as(&run, &w.approver.token).await, 200).await;

    let path = format!("/api/v1/members/{}/expenses", w.member_id);
    let list = ok(w.app.get_as(&path, &w.member.token).await, 200).await;
    let items = list["items"].as_array().unwrap();
    let ids: Vec<String> = items.iter().map(|c| s(&c["id"])).collect();
    assert_eq!(
        ids,
        [
            waiting.clone(),
            rejected.clone(),
            approved.clone(),
            paid.clone()
        ],
        "newest session first"
    );
    let by = |id: &str| items.iter().find(|c| c["id"] == id).unwrap().clone();
    let c = by(&waiting);
    assert_eq!(
        (c["status"].clone(), c["receipt_count"].clone()),
        (json!("waiting"), json!(1))
    );
    assert_eq!(c["meeting_date"], "2025-07-22");
    assert_eq!(c["meeting_title"], "Advisory group 2025-07-22");
    assert_eq!(c["kind"], "taxi");
    assert_eq!(c["amount"], "7.40");
    let c = by(&rejected);
    assert_eq!(
        (c["status"].clone(), c["reason"].clone()),
        (json!("rejected"), json!(reason))
    );
    let c = by(&approved);
    assert_eq!(c["status"], "approved");
    assert!(c["pay_run_id"].is_null() && c["reason"].is_null(), "{c}");
    let c = by(&paid);
    assert_eq!(c["status"], "paid");
    assert_eq!(c["pay_run_id"], run["id"]);
    assert_eq!(c["payment_date"], "2025-07-04");
    assert_eq!(c["paid_amount"], "12.60");
    assert_eq!(c["receipt_count"], 2);

    // Finance and the coordinator see the same; another member, and another group's coordinator, do not.
    for token in [&w.finance.token, &w.coordinator.token] {
        assert_eq!(ok(w.app.get_as(&path, token).await, 200).await, list);
    }
    let stranger = w.app.user(Role::Member).await;
    assert_problem(w.app.get_as(&path, &stranger.token).await, 404).await;
    let other = w.app.user(Role::Coordinator).await;
    assert_problem(w.app.get_as(&path, &other.token).await, 404).await;
}

fn days_ago(n: i64) -> String {
    (chrono::Utc::now().date_naive() - chrono::Days::new(n as u64)).to_string()
}

async fn late_claims_are_approved_only_with_a_reason(backend: TestBackend) {
    let w = World::new_with(backend, |s| s.expenses.late_after_days = 90).await;
    let late = claim_on(&w, &days_ago(120), "12.60").await;
    let recent = claim_on(&w, &days_ago(10), "4.20").await;
    let approve = |id: &str, body: Option<Value>| {
        let path = format!("/api/v1/expenses/{id}/approve");
        let w = &w;
        async move {
            w.app
                .call(Method::POST, &path, Some(&w.coordinator.token), body)
                .await
        }
    };
    for body in [None, Some(json!({})), Some(json!({"reason": "   "}))] {
        let p = assert_problem(approve(&late, body).await, 422).await;
        assert_eq!(p["errors"][0]["field"], "reason", "{p}");
        assert!(
            p["errors"][0]["message"]
                .as_str()
                .unwrap()
                .contains("90 days"),
            "{p}"
        );
    }
    assert_problem(approve(&late, Some(json!({"why": "x"}))).await, 400).await;
    let because = "The member was in hospital; the receipt is in order.";
    let done = ok(approve(&late, Some(json!({"reason": because}))).await, 200).await;
    assert_eq!(
        (done["status"].clone(), done["late_reason"].clone()),
        (json!("approved"), json!(because))
    );
    assert!(done["rejection_reason"].is_null(), "{done}");
    // A claim that is not late needs no body, and keeps no late reason.
    let done = ok(approve(&recent, None).await, 200).await;
    assert!(done["late_reason"].is_null(), "{done}");
    let events = w.app.audit_of(&late).await;
    assert_eq!(events.last().unwrap().reason.as_deref(), Some(because));
}

/// The coordinator's page shows each claim's receipts, opens them, and asks for a reason for a late one.
async fn the_claims_page_shows_receipts_and_asks_why_a_late_claim_is_approved(
    backend: TestBackend,
) {
    let w = World::new_with(backend, |s| s.expenses.late_after_days = 90).await;
    let late = claim_on(&w, &days_ago(120), "12.60").await;
    let recent = claim_on(&w, &days_ago(3), "4.20").await;
    let bus = ok(
        upload(&w, &late, &w.member.token, "bus ticket;1.jpg", JPEG).await,
        201,
    )
    .await;
    let c = client();
    let (csrf, session) = sign_in(&w.app, &c, &w.coordinator.email).await;
    let cookies = format!("coprod_csrf={csrf}; coprod_session={session}");
    let html = c
        .get(w.app.url("/claims"))
        .header(COOKIE, &cookies)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    let link = format!("href=\"/receipts/{}\"", s(&bus["id"]));
    assert!(html.contains(&link), "{html}");
    assert!(html.contains("bus ticket_1.jpg"), "{html}");
    assert!(html.contains("This claim is late"), "{html}");
    assert_eq!(
        html.matches("This claim is late").count(),
        1,
        "only the late claim: {html}"
    );
    assert!(html.contains("Approve late claim"), "{html}");
    assert!(
        html.contains("No receipt has been uploaded"),
        "the recent claim has none: {html}"
    );

    // The link downloads the file, as the API does; finance opens it too; a stranger may not.
    let open = |cookies: String| {
        c.get(w.app.url(&format!("/receipts/{}", s(&bus["id"]))))
            .header(COOKIE, cookies)
            .send()
    };
    let res = open(cookies.clone()).await.unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(header(&res, "content-type"), "image/jpeg");
    assert!(header(&res, "content-disposition").starts_with("attachment; filename="));
    assert_eq!(header(&res, "x-content-type-options"), "nosniff");
    assert_eq!(header(&res, "cache-control"), "no-store");
    assert_eq!(res.bytes().await.unwrap().as_ref(), JPEG);
    let (fc, fs) = sign_in(&w.app, &c, &w.finance.email).await;
    assert_eq!(
        open(format!("coprod_csrf={fc}; coprod_session={fs}"))
            .await
            .unwrap()
            .status(),
        200
    );
    let other = w.app.user(Role::Coordinator).await;
    let (oc, os) = sign_in(&w.app, &c, &other.email).await;
    assert_eq!(
        open(format!("coprod_csrf={oc}; coprod_session={os}"))
            .await
            .unwrap()
            .status(),
        404
    );
    assert_eq!(
        c.get(w.app.url(&format!("/receipts/{}", s(&bus["id"]))))
            .send()
            .await
            .unwrap()
            .status(),
        303
    );

    let decide = |id: &str, reason: &str| {
        c.post(w.app.url(&format!("/claims/{id}")))
            .header(COOKIE, &cookies)
            .form(&[
                ("csrf", csrf.as_str()),
                ("decision", "approve"),
                ("reason", reason),
            ])
            .send()
    };
    let res = decide(&late, "").await.unwrap();
    assert_eq!(res.status(), 422);
    let html = res.text().await.unwrap();
    assert!(html.contains("A reason is needed"), "{html}");
    assert!(html.contains(&format!("href=\"#reason-{late}\"")), "{html}");
    let res = decide(&late, "Receipt found after the meeting.")
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
    let res = decide(&recent, "").await.unwrap();
    assert_eq!(res.status(), 303);
    let claims = ok(
        w.app
            .get_as(
                &format!("/api/v1/members/{}/expenses", w.member_id),
                &w.member.token,
            )
            .await,
        200,
    )
    .await;
    let statuses: Vec<String> = claims["items"]
        .as_array()
        .unwrap()
        .iter()
        .map(|c| s(&c["status"]))
        .collect();
    assert_eq!(statuses, ["approved", "approved"]);
}

/// `coprod db copy` carries every receipt, byte for byte, to the other backend (or another SQLite).
async fn db_copy_carries_receipts(backend: TestBackend) {
    let w = World::new(backend).await;
    let claim = claim_on(&w, "2025-06-10", "12.60").await;
    let mut big = PDF.to_vec();
    big.resize(3 * 1024 * 1024, b'x');
    let mut ids = Vec::new();
    for (name, bytes) in [
        ("a.jpg", JPEG),
        ("b.png", PNG),
        ("c.pdf", &big[..]),
        ("d.heic", HEIC),
    ] {
        ids.push(s(&ok(
            upload(&w, &claim, &w.member.token, name, bytes).await,
            201,
        )
        .await["id"]));
    }
    let from = secrecy::ExposeSecret::expose_secret(&w.app.settings.database.url).to_string();
    let target_dir = tempfile::tempdir().unwrap();
    // Into SQLite: from PostgreSQL, BYTEA becomes BLOB.
    let to = TestBackend::Sqlite.fresh_database_url(target_dir.path());
    let (f, t) = (from.clone(), to.clone());
    let report = tokio::task::spawn_blocking(move || {
        coprod::db::copy::copy(
            &f,
            &t,
            coprod::db::copy::DEFAULT_BATCH_ROWS,
            Duration::from_secs(10),
        )
    })
    .await
    .unwrap()
    .expect("the copy succeeds");
    assert!(report.matches(), "{report}");
    let receipts = report
        .tables
        .iter()
        .find(|t| t.table == "receipts")
        .expect("receipts are copied");
    assert_eq!((receipts.rows_from, receipts.rows_to), (4, 4));

    let target = coprod::db::Database::connect(&to, 2, Duration::from_secs(10)).unwrap();
    let copied = tokio::task::spawn_blocking(move || {
        let mut c = target.get().unwrap();
        ids.iter()
            .map(|id| {
                coprod::db::receipts::find_file(&mut c, id)
                    .unwrap()
                    .unwrap()
                    .bytes
            })
            .collect::<Vec<_>>()
    })
    .await
    .unwrap();
    assert_eq!(
        copied,
        vec![JPEG.to_vec(), PNG.to_vec(), big, HEIC.to_vec()]
    );
}

both_backends!(
    receipts_are_uploaded_listed_and_downloaded,
    what_is_not_a_receipt_is_refused_and_nothing_is_kept,
    receipts_are_removed_only_while_the_claim_waits,
    a_members_claims_say_where_each_is,
    late_claims_are_approved_only_with_a_reason,
    the_claims_page_shows_receipts_and_asks_why_a_late_claim_is_approved,
    db_copy_carries_receipts,
);
