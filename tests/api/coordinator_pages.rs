//! A coordinator's people in the portal, done as a person does: add a member with a role, find
//! them, give and change roles over time, edit, archive; the API then shows what the pages did.
//! Bad answers show on the page and change nothing; another group's coordinator finds nothing.

use reqwest::Method;
use serde_json::Value;

use crate::both_backends;
use crate::helpers::{Role, TestBackend};
use crate::member_pages::signed_in;
use crate::payruns::{ok, World};

async fn memberships(w: &World, member: &str) -> Vec<Value> {
    let body = ok(
        w.app
            .call(
                Method::GET,
                &format!("/api/v1/groups/{}/memberships?member_id={member}", w.group),
                Some(&w.coordinator.token),
                None,
            )
            .await,
        200,
    )
    .await;
    body["items"].as_array().unwrap().clone()
}

async fn a_coordinator_adds_a_member_and_their_roles_over_time(backend: TestBackend) {
    let w = World::new(backend).await;
    let v = signed_in(&w, &w.coordinator.email).await;
    let form = v.open(&w.app.url("/members/new")).await;
    assert_eq!(form.status, 200, "{}", form.html);
    let g = w.group.as_str();
    let fields = |email: &'static str, from: &'static str| {
        vec![
            ("full_name", "Grace Hopper"),
            ("preferred_name", "Grace"),
            ("email", email),
            ("phone", ""),
            ("communication_needs", "Easy Read"),
            ("payee_reference", "GH-1"),
            ("notes", ""),
            ("role", "co_chair"),
            ("starts_on", from),
            ("group_id", g),
        ]
    };
    for (f, words) in [
        (fields("not an address", "2025-04-01"), "The email address"),
        (fields("grace@example.org", "April"), "Enter a date"),
    ] {
        let seen = v.submit(&form, "/members/new", &f).await;
        assert_eq!(seen.status, 422, "{}", seen.html);
        assert!(seen.html.contains(words), "{words}: {}", seen.html);
    }
    let added = v
        .submit(
            &form,
            "/members/new",
            &fields("grace@example.org", "2025-04-01"),
        )
        .await;
    assert!(
        added.html.contains("The member is added."),
        "{}",
        added.html
    );
    let member = added
        .url
        .split("/members/")
        .nth(1)
        .unwrap()
        .split('?')
        .next()
        .unwrap()
        .to_string();
    let found = v.open(&w.app.url("/members?q=hopp")).await;
    assert!(
        found.html.contains(&format!("/members/{member}")),
        "{}",
        found.html
    );
    assert_eq!(memberships(&w, &member).await[0]["role"], "co_chair");

    // Co-chair until the end of August, then member.
    let first = memberships(&w, &member).await[0]["id"]
        .as_str()
        .unwrap()
        .to_string();
    let page = v.open(&w.app.url(&format!("/members/{member}"))).await;
    let too_early = v
        .submit(
            &page,
            &format!("/memberships/{first}/change-role"),
            &[("role", "member"), ("starts_on", "2025-03-01")],
        )
        .await;
    assert_eq!(too_early.status, 422, "{}", too_early.html);
    assert!(
        too_early.html.contains("when the current role started"),
        "{}",
        too_early.html
    );
    let changed = v
        .submit(
            &page,
            &format!("/memberships/{first}/change-role"),
            &[("role", "member"), ("starts_on", "2025-09-01")],
        )
        .await;
    assert!(
        changed.html.contains("Their roles are saved."),
        "{}",
        changed.html
    );
    let now = memberships(&w, &member).await;
    assert_eq!(now.len(), 2, "{now:?}");
    assert_eq!(
        (now[0]["role"].as_str(), now[0]["ends_on"].as_str()),
        (Some("co_chair"), Some("2025-08-31"))
    );
    assert_eq!(
        (now[1]["role"].as_str(), now[1]["starts_on"].as_str()),
        (Some("member"), Some("2025-09-01"))
    );
    // A role that overlaps one they have is refused with the reason.
    let page = v.open(&w.app.url(&format!("/members/{member}"))).await;
    let clash = v
        .submit(
            &page,
            &format!("/members/{member}/roles"),
            &[
                ("group_id", g),
                ("role", "member"),
                ("starts_on", "2025-10-01"),
            ],
        )
        .await;
    assert_eq!(clash.status, 422, "{}", clash.html);
    assert!(
        clash.html.contains("already has a membership"),
        "{}",
        clash.html
    );
    assert_eq!(memberships(&w, &member).await.len(), 2);

    // Details, then archive.
    let edit = v.open(&w.app.url(&format!("/members/{member}/edit"))).await;
    let bad = v
        .submit(
            &edit,
            &format!("/members/{member}/edit"),
            &[("full_name", "")],
        )
        .await;
    assert_eq!(bad.status, 422, "{}", bad.html);
    let saved = v
        .submit(
            &edit,
            &format!("/members/{member}/edit"),
            &[("full_name", "Grace B. Hopper")],
        )
        .await;
    assert!(
        saved.html.contains("Their details are saved."),
        "{}",
        saved.html
    );
    let archive = v
        .open(&w.app.url(&format!("/members/{member}/archive")))
        .await;
    assert!(archive.html.contains("takes them off registers"));
    v.submit(
        &archive,
        &format!("/members/{member}/archive"),
        &[("reason", "Moved away")],
    )
    .await;
    let record = ok(
        w.app
            .get_as(&format!("/api/v1/members/{member}"), &w.coordinator.token)
            .await,
        200,
    )
    .await;
    assert_eq!(
        (record["full_name"].as_str(), record["archived"].as_bool()),
        (Some("Grace B. Hopper"), Some(true))
    );

    // Another group's coordinator finds nothing.
    let other = w.app.user(Role::Coordinator).await;
    let stranger = signed_in(&w, &other.email).await;
    for path in [
        format!("/members/{member}"),
        format!("/members/{member}/edit"),
        format!("/members/{member}/archive"),
    ] {
        assert_eq!(stranger.open(&w.app.url(&path)).await.status, 404, "{path}");
    }
    assert!(!stranger
        .open(&w.app.url("/members?q=hopp"))
        .await
        .html
        .contains(&member));
}

/// A coordinator changes a meeting from its page; once a run has paid it, what changes its pay is
/// refused with the reason, and the register says which records are paid.
async fn a_coordinator_changes_a_meeting(backend: TestBackend) {
    let w = World::new(backend).await;
    w.regional_card().await;
    let meeting = w.session(&w.member_id, "2025-06-10", 180).await;
    let v = signed_in(&w, &w.coordinator.email).await;
    let group = v.open(&w.app.url(&format!("/groups/{}", w.group))).await;
    assert!(
        group.html.contains("value=\"meeting\" selected"),
        "a meeting by default"
    );
    let page = v.open(&w.app.url(&format!("/meetings/{meeting}"))).await;
    assert!(page.html.contains(&format!("/meetings/{meeting}/edit")));
    assert!(!page.html.contains("cannot change"));
    let edit = v
        .open(&w.app.url(&format!("/meetings/{meeting}/edit")))
        .await;
    let path = format!("/meetings/{meeting}/edit");
    let all = |changes: &[(&'static str, &'static str)]| {
        let mut f = vec![
            ("title", "Advisory group 2025-06-10"),
            ("activity_kind", "meeting"),
            ("date", "2025-06-10"),
            ("starts_at", ""),
            ("duration_minutes", "180"),
            ("prep_minutes_allowed", "60"),
            ("location", ""),
        ];
        for (k, v) in changes {
            f.retain(|(name, _)| name != k);
            f.push((k, v));
        }
        f
    };
    let bad = v
        .submit(&edit, &path, &all(&[("duration_minutes", "three hours")]))
        .await;
    assert_eq!(bad.status, 422, "{}", bad.html);
    assert!(bad.html.contains("must be a whole number"), "{}", bad.html);
    let saved = v
        .submit(
            &edit,
            &path,
            &all(&[
                ("title", "Advisory group, June"),
                ("starts_at", "10:30"),
                ("location", "Town hall"),
            ]),
        )
        .await;
    assert!(
        saved.url.ends_with(&format!("/meetings/{meeting}")),
        "{}",
        saved.url
    );
    assert!(
        saved.html.contains("Advisory group, June"),
        "{}",
        saved.html
    );

    let run = w.draft("2025-06-01", "2025-06-30", "2025-07-04").await;
    ok(w.approve_as(&run, &w.approver.token).await, 200).await;
    let edit = v.open(&w.app.url(&path)).await;
    let locked = v
        .submit(&edit, &path, &all(&[("duration_minutes", "240")]))
        .await;
    assert_eq!(locked.status, 422, "{}", locked.html);
    assert!(locked.html.contains("approved pay run"), "{}", locked.html);
    let m = ok(
        w.app
            .get_as(&format!("/api/v1/meetings/{meeting}"), &w.coordinator.token)
            .await,
        200,
    )
    .await;
    assert_eq!(m["duration_minutes"], 180);
    let page = v.open(&w.app.url(&format!("/meetings/{meeting}"))).await;
    assert!(
        page.html.contains("so this record cannot change"),
        "{}",
        page.html
    );
}

/// A coordinator drafts a run for their group from the pay runs page, reviews it (approval is
/// finance's), works it out again and cancels it; bad dates are shown on the page.
async fn a_coordinator_drafts_and_cancels_a_run(backend: TestBackend) {
    let w = World::new(backend).await;
    w.regional_card().await;
    w.session(&w.member_id, "2025-06-10", 180).await;
    let v = signed_in(&w, &w.coordinator.email).await;
    let runs = v.open(&w.app.url("/runs")).await;
    assert_eq!(runs.status, 200, "{}", runs.html);
    let g = w.group.as_str();
    let bad = v
        .submit(
            &runs,
            "/runs",
            &[
                ("group_id", g),
                ("period_start", "2025-06-30"),
                ("period_end", "2025-06-01"),
                ("payment_date", "2025-07-04"),
            ],
        )
        .await;
    assert_eq!(bad.status, 422, "{}", bad.html);
    assert!(bad.html.contains("There is a problem"), "{}", bad.html);
    let review = v
        .submit(
            &runs,
            "/runs",
            &[
                ("group_id", g),
                ("period_start", "2025-06-01"),
                ("period_end", "2025-06-30"),
                ("payment_date", "2025-07-04"),
            ],
        )
        .await;
    assert_eq!(review.status, 200, "{}", review.html);
    assert!(review.html.contains("£75.00"), "{}", review.html);
    assert!(review
        .html
        .contains("Finance reviews and approves the run."));
    assert!(
        !review.html.contains("/approve\""),
        "no approve form for a coordinator"
    );
    let id = review.url.split("/runs/").nth(1).unwrap().to_string();
    let again = v
        .submit(&review, &format!("/runs/{id}/recalculate"), &[])
        .await;
    assert_eq!(again.status, 200);
    let lines = v.open(&w.app.url(&format!("/runs/{id}/lines"))).await;
    assert!(lines.html.contains("Sam Member"), "{}", lines.html);
    let cancelled = v.submit(&again, &format!("/runs/{id}/cancel"), &[]).await;
    assert!(cancelled.html.contains("ancelled"), "{}", cancelled.html);
    let run = ok(
        w.app
            .get_as(&format!("/api/v1/pay-runs/{id}"), &w.finance.token)
            .await,
        200,
    )
    .await;
    assert_eq!(run["status"], "cancelled");

    let other = w.app.user(Role::Coordinator).await;
    let stranger = signed_in(&w, &other.email).await;
    assert_eq!(
        stranger
            .open(&w.app.url(&format!("/runs/{id}")))
            .await
            .status,
        404
    );
}

/// A JPEG's first bytes: enough for its type to be known.
const PHOTO: &[u8] = &[
    0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, b'J', b'F', b'I', b'F', 0x00,
];

/// A coordinator records a claim for a member who asked them to, from the member's page, with a
/// photo of the receipt; bad answers show on the page and claim nothing; the member sees the claim
/// as theirs; another group's coordinator finds neither the pages nor the receipt.
async fn a_coordinator_claims_for_a_member_with_a_receipt(backend: TestBackend) {
    let w = World::new(backend).await;
    let meeting = w.session(&w.member_id, "2025-06-10", 180).await;
    let v = signed_in(&w, &w.coordinator.email).await;
    let page = v
        .open(&w.app.url(&format!("/members/{}", w.member_id)))
        .await;
    let list_link = format!("/members/{}/claims", w.member_id);
    assert!(page.html.contains(&list_link), "{}", page.html);
    let list = v.open(&w.app.url(&list_link)).await;
    assert_eq!(list.status, 200, "{}", list.html);
    let new_link = format!("{list_link}/new?meeting={meeting}");
    assert!(
        list.html.contains(&new_link.replace('&', "&amp;")),
        "{}",
        list.html
    );
    let form = v.open(&w.app.url(&new_link)).await;
    assert!(form.html.contains("on their behalf"), "{}", form.html);
    let action = format!("{list_link}/new");
    for (fields, words) in [
        (
            vec![("kind", "parking"), ("amount", "4.50")],
            "told you this is what it cost",
        ),
        (
            vec![
                ("kind", "parking"),
                ("amount", "lots"),
                ("declaration", "yes"),
            ],
            "Enter an amount",
        ),
    ] {
        let seen = v.submit(&form, &action, &fields).await;
        assert_eq!(seen.status, 422, "{fields:?}: {}", seen.html);
        assert!(seen.html.contains(words), "{words}: {}", seen.html);
    }
    let claims_now = || async {
        ok(
            w.app
                .get_as(
                    &format!("/api/v1/meetings/{meeting}/expenses"),
                    &w.coordinator.token,
                )
                .await,
            200,
        )
        .await["items"]
            .as_array()
            .unwrap()
            .clone()
    };
    assert!(claims_now().await.is_empty());
    let sent = v
        .submit(
            &form,
            &action,
            &[
                ("kind", "parking"),
                ("amount", "4.50"),
                ("description", "Car park by the hall"),
                ("declaration", "yes"),
            ],
        )
        .await;
    assert!(
        sent.html.contains("The claim is recorded."),
        "{}",
        sent.html
    );
    let claim = sent
        .url
        .split(&format!("{list_link}/"))
        .nth(1)
        .unwrap()
        .split('?')
        .next()
        .unwrap()
        .to_string();
    let added = v
        .upload(
            &sent,
            &format!("{list_link}/{claim}/receipts"),
            "parking.jpg",
            PHOTO.to_vec(),
        )
        .await;
    assert!(
        added.html.contains("The receipt is added."),
        "{}",
        added.html
    );
    let items = claims_now().await;
    assert_eq!(items.len(), 1, "{items:?}");
    assert_eq!(
        (items[0]["kind"].as_str(), items[0]["amount"].as_str()),
        (Some("parking"), Some("4.50"))
    );
    assert_eq!(items[0]["member_id"], w.member_id.as_str());
    let receipt = added
        .html
        .split("href=\"/receipts/")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();

    // The member follows it as their own claim, with its receipt.
    let member = signed_in(&w, &w.member.email).await;
    let theirs = member.open(&w.app.url("/me/claims")).await;
    assert!(theirs.html.contains("Parking, £4.50"), "{}", theirs.html);
    assert!(theirs.html.contains("1 receipt."), "{}", theirs.html);

    // Another group's coordinator finds nothing.
    let other = w.app.user(Role::Coordinator).await;
    let stranger = signed_in(&w, &other.email).await;
    for path in [
        list_link.clone(),
        new_link.clone(),
        format!("{list_link}/{claim}"),
        format!("/receipts/{receipt}"),
    ] {
        assert_eq!(stranger.open(&w.app.url(&path)).await.status, 404, "{path}");
    }
    assert_eq!(claims_now().await.len(), 1);
}

both_backends!(
    a_coordinator_claims_for_a_member_with_a_receipt,
    a_coordinator_drafts_and_cancels_a_run,
    a_coordinator_adds_a_member_and_their_roles_over_time,
    a_coordinator_changes_a_meeting,
);
