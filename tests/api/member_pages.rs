//! A member running their own affairs in the portal, as a person with a browser does it: sign in,
//! open the page from the navigation, fill in the form, check what it means, press the button; the
//! API then shows what the page recorded. Bad answers are shown on the page and change nothing.

use reqwest::Method;
use serde_json::Value;

use crate::both_backends;
use crate::doors::{Seen, Visitor};
use crate::helpers::{TestBackend, PASSWORD};
use crate::payruns::{ok, World};

/// Someone signed in through the sign-in page.
pub async fn signed_in(w: &World, email: &str) -> Visitor {
    let v = Visitor::new();
    let page = v.open(&w.app.url("/sign-in")).await;
    let home = v
        .submit(
            &page,
            "/sign-in",
            &[("email", email), ("password", PASSWORD)],
        )
        .await;
    assert!(home.signed_in(), "{}", home.html);
    v
}

/// The member signed in through the sign-in page.
pub async fn signed_in_member(w: &World) -> Visitor {
    signed_in(w, &w.member.email).await
}

/// The answers of a weekly ESA limit, kept for later above it, from `from`.
fn weekly_esa(from: &str) -> Vec<(&'static str, String)> {
    [
        ("fee_choice", "full"),
        ("reduced_max", ""),
        ("charity", ""),
        ("expenses", "yes"),
        ("method", "bank_transfer"),
        ("voucher_provider", ""),
        ("cap", "limit"),
        ("cap.limit_code", "esa_permitted_work"),
        ("cap.amount", ""),
        ("cap.period", "week"),
        ("cap.week_starts_on", "monday"),
        ("cap.month_anchor_day", ""),
        ("vouchers_count", "yes"),
        ("over_cap", "carry_forward"),
        ("notify_by_email", "yes"),
    ]
    .into_iter()
    .map(|(k, v)| (k, v.to_string()))
    .chain([("effective_from", from.to_string())])
    .collect()
}

fn with<'a>(
    answers: &'a [(&'static str, String)],
    changes: &[(&str, &'a str)],
) -> Vec<(&'a str, &'a str)> {
    answers
        .iter()
        .map(|(k, v)| {
            let v = changes
                .iter()
                .find(|(ck, _)| ck == k)
                .map_or(v.as_str(), |(_, cv)| cv);
            (*k, v)
        })
        .collect()
}

async fn preference(w: &World) -> Value {
    ok(
        w.app
            .call(
                Method::GET,
                &format!("/api/v1/members/{}/preference", w.member_id),
                Some(&w.member.token),
                None,
            )
            .await,
        200,
    )
    .await
}

/// Sends the answers, and saves them from the page that checks them.
async fn choose(v: &Visitor, form: &Seen, answers: &[(&str, &str)]) -> Seen {
    choose_at(v, form, "/me/choices", answers).await
}

async fn choose_at(v: &Visitor, form: &Seen, base: &str, answers: &[(&str, &str)]) -> Seen {
    let check = v.submit(form, &format!("{base}/change"), answers).await;
    assert_eq!(check.status, 200, "{}", check.html);
    assert!(
        check.html.contains("Check the new choices"),
        "{}",
        check.html
    );
    let saved = v.submit(&check, base, &[]).await;
    assert!(
        saved.url.ends_with(&format!("{base}?saved=1")),
        "{}",
        saved.url
    );
    saved
}

async fn a_member_sets_and_changes_their_choices(backend: TestBackend) {
    let w = World::new(backend).await;
    let v = signed_in_member(&w).await;
    let page = v.open(&w.app.url("/me/choices")).await;
    assert!(page.html.contains("Change my choices"), "{}", page.html);
    let form = v.open(&w.app.url("/me/choices/change")).await;
    assert_eq!(form.status, 200);
    assert!(
        form.html
            .contains("ESA permitted work: £195.50 a week today"),
        "{}",
        form.html
    );
    let today = w.app.settings.today().to_string();
    let answers = weekly_esa(&today);
    let check = v
        .submit(&form, "/me/choices/change", &with(&answers, &[]))
        .await;
    assert!(
        check
            .html
            .contains("Your fees are kept to £195.50 a week; anything above it is kept for you and paid later."),
        "{}",
        check.html
    );
    assert!(check.html.contains("welfare rights adviser"));
    // Changing the answers brings the form back as it was filled in.
    let again = v
        .submit(&check, "/me/choices/change", &[("step", "edit")])
        .await;
    assert!(
        again.html.contains("value=\"esa_permitted_work\" selected"),
        "{}",
        again.html
    );
    let saved = choose(&v, &form, &with(&answers, &[])).await;
    assert!(saved.html.contains("The new choices are saved."));
    assert!(saved.html.contains("<td>You</td>"), "{}", saved.html);
    let p = preference(&w).await;
    assert_eq!(p["cap"]["limit_code"], "esa_permitted_work");
    assert_eq!(p["cap"]["period"], "week");
    assert_eq!(p["over_cap"], "carry_forward");
    assert_eq!(p["set_on_behalf"], false);

    // Then to give the fee to a charity.
    let form = v.open(&w.app.url("/me/choices/change")).await;
    choose(
        &v,
        &form,
        &with(
            &answers,
            &[
                ("fee_choice", "donate"),
                ("charity", "Mind"),
                ("cap", "none"),
            ],
        ),
    )
    .await;
    let p = preference(&w).await;
    assert_eq!(p["fee_choice"], "donate");
    assert_eq!(p["charity"], "Mind");
    assert!(p["cap"].is_null());
}

async fn bad_answers_are_shown_on_the_page_and_change_nothing(backend: TestBackend) {
    let w = World::new(backend).await;
    w.regional_card().await;
    w.session(&w.member_id, "2025-06-10", 180).await;
    let run = w.draft("2025-06-01", "2025-06-30", "2025-07-04").await;
    ok(w.approve_as(&run, &w.approver.token).await, 200).await;
    let v = signed_in_member(&w).await;
    let before = preference(&w).await;
    let today = w.app.settings.today().to_string();
    let answers = weekly_esa(&today);
    let form = v.open(&w.app.url("/me/choices/change")).await;
    for (changes, words) in [
        (
            vec![("fee_choice", "reduced"), ("reduced_max", "12.505")],
            "no more than 2 numbers after the point",
        ),
        (
            vec![("effective_from", "2025-06-01")],
            "the date of the last approved payment",
        ),
        (
            vec![("fee_choice", "donate")],
            "The charity is needed to donate",
        ),
        (vec![("cap", "amount")], "Enter the most you can be paid"),
        (
            vec![("effective_from", "next week")],
            "Enter the date your choices start",
        ),
    ] {
        let seen = v
            .submit(&form, "/me/choices/change", &with(&answers, &changes))
            .await;
        assert_eq!(seen.status, 422, "{changes:?}: {}", seen.html);
        assert!(seen.html.contains("There is a problem"), "{}", seen.html);
        assert!(seen.html.contains(words), "{words}: {}", seen.html);
        assert!(seen.html.contains("aria-invalid=\"true\""), "{}", seen.html);
    }
    // A page that checked answers, sent again once they are no longer right, saves nothing.
    let check = v
        .submit(&form, "/me/choices/change", &with(&answers, &[]))
        .await;
    assert_eq!(check.status, 200);
    let late = v
        .submit(&check, "/me/choices", &[("effective_from", "2025-06-01")])
        .await;
    assert_eq!(late.status, 422, "{}", late.html);
    assert_eq!(preference(&w).await, before);
}

/// A coordinator records choices with a member of their group, from the group's page; the member
/// is emailed, and reads them as recorded by their coordinator. Another group's coordinator cannot
/// open the page.
async fn a_coordinator_records_choices_for_a_member(backend: TestBackend) {
    let w = World::new(backend).await;
    let v = signed_in(&w, &w.coordinator.email).await;
    let group = v.open(&w.app.url(&format!("/groups/{}", w.group))).await;
    let base = format!("/members/{}/choices", w.member_id);
    assert!(
        group.html.contains(&format!("href=\"{base}\"")),
        "{}",
        group.html
    );
    let page = v.open(&w.app.url(&base)).await;
    assert!(page.html.contains("Payment choices of"), "{}", page.html);
    let form = v.open(&w.app.url(&format!("{base}/change"))).await;
    assert!(form.html.contains("Ask the member each question"));
    let today = w.app.settings.today().to_string();
    let answers = weekly_esa(&today);
    let saved = choose_at(&v, &form, &base, &with(&answers, &[("over_cap", "forgo")])).await;
    assert!(
        saved.html.contains("<td>A coordinator</td>"),
        "{}",
        saved.html
    );
    let p = preference(&w).await;
    assert_eq!(
        (p["over_cap"].as_str(), p["set_on_behalf"].as_bool()),
        (Some("forgo"), Some(true))
    );
    let mail = w
        .app
        .delivered_mail("sam@example.org", "Your payment choices were updated")
        .await;
    let mine = signed_in_member(&w).await;
    let seen = mine.open(&mail.link("See your payment choices")).await;
    assert!(
        seen.html.contains("<td>Your coordinator</td>"),
        "{}",
        seen.html
    );

    let other = w.app.user(crate::helpers::Role::Coordinator).await;
    let stranger = signed_in(&w, &other.email).await;
    assert_eq!(stranger.open(&w.app.url(&base)).await.status, 404);
    assert_eq!(
        stranger
            .open(&w.app.url(&format!("{base}/change")))
            .await
            .status,
        404
    );
}

/// My details, my password and my devices, from the pages.
async fn a_member_keeps_their_details_and_account(backend: TestBackend) {
    let w = World::new(backend).await;
    let v = signed_in_member(&w).await;
    let page = v.open(&w.app.url("/me/details")).await;
    assert!(
        page.html.contains("href=\"/me/details\""),
        "in the navigation"
    );
    let fields = |email: &'static str| {
        vec![
            ("preferred_name", "Sammy"),
            ("email", email),
            ("phone", "07700 900123"),
            ("communication_needs", "Large print, please"),
        ]
    };
    let bad = v
        .submit(&page, "/me/details", &fields("not an address"))
        .await;
    assert_eq!(bad.status, 422, "{}", bad.html);
    assert!(bad.html.contains("There is a problem"));
    let saved = v
        .submit(&page, "/me/details", &fields("sammy@example.org"))
        .await;
    assert!(
        saved.html.contains("Your details are saved."),
        "{}",
        saved.html
    );
    let me = ok(
        w.app
            .call(
                Method::GET,
                &format!("/api/v1/members/{}", w.member_id),
                Some(&w.member.token),
                None,
            )
            .await,
        200,
    )
    .await;
    assert_eq!(
        (
            me["preferred_name"].as_str(),
            me["email"].as_str(),
            me["phone"].as_str()
        ),
        (
            Some("Sammy"),
            Some("sammy@example.org"),
            Some("07700 900123")
        )
    );
    assert_eq!(me["communication_needs"], "Large print, please");

    // A new password needs the current one; the other device is signed out; API tokens stay.
    let made = ok(
        w.app
            .post_as(
                "/api/v1/me/tokens",
                Some(&w.member.token),
                serde_json::json!({"name": "spreadsheet"}),
            )
            .await,
        201,
    )
    .await;
    let api_token = made["token"].as_str().unwrap().to_string();
    let phone = signed_in_member(&w).await;
    let form = v.open(&w.app.url("/account/password")).await;
    let wrong = v
        .submit(
            &form,
            "/account/password",
            &[
                ("current_password", "not it"),
                ("new_password", "a brand new long passphrase"),
            ],
        )
        .await;
    assert_eq!(wrong.status, 422);
    assert!(
        wrong.html.contains("is not your current password"),
        "{}",
        wrong.html
    );
    let changed = v
        .submit(
            &form,
            "/account/password",
            &[
                ("current_password", PASSWORD),
                ("new_password", "a brand new long passphrase"),
            ],
        )
        .await;
    assert!(
        changed.html.contains("Your password is changed."),
        "{}",
        changed.html
    );
    assert!(!phone.open(&w.app.url("/me")).await.signed_in());
    assert_eq!(w.app.get_as("/api/v1/me", &api_token).await.status(), 200);

    // Signing out of every device ends this session too, and says so.
    let account = v.open(&w.app.url("/account")).await;
    let out = v
        .submit(&account, "/account/sign-out-everywhere", &[])
        .await;
    assert!(
        out.url.ends_with("/sign-in?signed_out=everywhere"),
        "{}",
        out.url
    );
    assert!(out.html.contains("You are signed out of every device."));
    assert!(!v.open(&w.app.url("/me")).await.signed_in());
    assert_eq!(w.app.get_as("/api/v1/me", &api_token).await.status(), 200);
}

/// A member claims a taxi and a car journey for a session they came to; bad answers are shown on
/// the page and claim nothing; a session they did not come to is not found.
async fn a_member_claims_their_costs(backend: TestBackend) {
    let w = World::new(backend).await;
    let meeting = w.session(&w.member_id, "2025-06-10", 180).await;
    let missed = w.meeting("2025-06-17", 120, "meeting").await;
    let v = signed_in_member(&w).await;
    let page = v.open(&w.app.url("/me/claims")).await;
    let link = format!("/me/claims/new?meeting={meeting}");
    assert!(
        page.html.contains(&link.replace('&', "&amp;")),
        "{}",
        page.html
    );
    assert!(!page.html.contains(&missed));
    let form = v.open(&w.app.url(&link)).await;
    assert!(form.html.contains("Paid at 45p a mile"), "{}", form.html);
    let claim = |kind: &'static str, miles: &'static str, amount: &'static str, declared: bool| {
        let mut f = vec![
            ("kind", kind),
            ("miles", miles),
            ("passengers", ""),
            ("amount", amount),
            ("description", "From home"),
        ];
        if declared {
            f.push(("declaration", "yes"));
        }
        f
    };
    for (fields, words) in [
        (
            claim("taxi", "", "12.505", true),
            "no more than 2 numbers after the point",
        ),
        (
            claim("taxi", "", "-3.00", true),
            "Enter an amount more than £0",
        ),
        (
            claim("taxi", "", "12.50", false),
            "have not claimed it elsewhere",
        ),
        (claim("car", "", "", true), "Enter how many miles"),
        (claim("", "", "", true), "Choose what the claim is for"),
    ] {
        let seen = v.submit(&form, "/me/claims/new", &fields).await;
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
        .await
    };
    assert_eq!(claims_now().await["items"].as_array().unwrap().len(), 0);
    let sent = v
        .submit(&form, "/me/claims/new", &claim("taxi", "", "12.50", true))
        .await;
    assert!(sent.html.contains("Your claim is sent."), "{}", sent.html);
    v.submit(&form, "/me/claims/new", &claim("car", "14", "", true))
        .await;
    let items = claims_now().await["items"].as_array().unwrap().clone();
    assert_eq!(items.len(), 2, "{items:?}");
    assert!(items
        .iter()
        .any(|c| c["kind"] == "taxi" && c["amount"] == "12.50"));
    assert!(items
        .iter()
        .any(|c| c["kind"] == "car" && c["miles"] == "14"));

    let missed_form = v
        .open(&w.app.url(&format!("/me/claims/new?meeting={missed}")))
        .await;
    assert_eq!(missed_form.status, 404);
}

/// A JPEG's first bytes: enough for its type to be known.
const PHOTO: &[u8] = &[
    0xFF, 0xD8, 0xFF, 0xE0, 0x00, 0x10, b'J', b'F', b'I', b'F', 0x00,
];

/// A member claims a taxi, adds a photo of the receipt (a program renamed `.jpg` and a file over
/// the limit are refused on the page), follows the claim while it waits, and sees it paid once the
/// coordinator approves it and a run pays it.
async fn a_member_adds_receipts_and_sees_the_claim_paid(backend: TestBackend) {
    let w = World::new(backend).await;
    w.regional_card().await;
    let meeting = w.session(&w.member_id, "2025-06-10", 180).await;
    let v = signed_in_member(&w).await;
    let form = v
        .open(&w.app.url(&format!("/me/claims/new?meeting={meeting}")))
        .await;
    let sent = v
        .submit(
            &form,
            "/me/claims/new",
            &[
                ("kind", "taxi"),
                ("amount", "12.50"),
                ("declaration", "yes"),
            ],
        )
        .await;
    assert!(sent.html.contains("add a photo or PDF"), "{}", sent.html);
    let claim = sent
        .url
        .split("/me/claims/")
        .nth(1)
        .unwrap()
        .split('?')
        .next()
        .unwrap()
        .to_string();
    let action = format!("/me/claims/{claim}/receipts");
    let program = v
        .upload(
            &sent,
            &action,
            "receipt.jpg",
            b"MZ\x90\x00 not a photo".to_vec(),
        )
        .await;
    assert_eq!(program.status, 422, "{}", program.html);
    assert!(program.html.contains("is not a photo"), "{}", program.html);
    let huge = v
        .upload(
            &sent,
            &action,
            "big.jpg",
            [PHOTO, &vec![0u8; 11 * 1024 * 1024]].concat(),
        )
        .await;
    assert_eq!(huge.status, 422, "{}", huge.html);
    assert!(huge.html.contains("larger than 10 MB"), "{}", huge.html);
    let added = v.upload(&sent, &action, "taxi.jpg", PHOTO.to_vec()).await;
    assert!(
        added.html.contains("The receipt is added."),
        "{}",
        added.html
    );
    let receipt = added
        .html
        .split("href=\"/receipts/")
        .nth(1)
        .unwrap()
        .split('"')
        .next()
        .unwrap()
        .to_string();
    let file = v.open(&w.app.url(&format!("/receipts/{receipt}"))).await;
    assert_eq!(file.status, 200);
    let list = v.open(&w.app.url("/me/claims")).await;
    assert!(
        list.html.contains("Waiting for your coordinator"),
        "{}",
        list.html
    );
    assert!(list.html.contains("1 receipt."), "{}", list.html);

    ok(
        w.app
            .post_as(
                &format!("/api/v1/expenses/{claim}/approve"),
                Some(&w.coordinator.token),
                serde_json::json!({}),
            )
            .await,
        200,
    )
    .await;
    let run = w.draft("2025-06-01", "2025-06-30", "2025-07-04").await;
    ok(w.approve_as(&run, &w.approver.token).await, 200).await;
    let page = v.open(&w.app.url(&format!("/me/claims/{claim}"))).await;
    assert!(
        page.html.contains("Paid £12.50 on 4 July 2025"),
        "{}",
        page.html
    );
    assert!(
        !page.html.contains("Add this receipt"),
        "a paid claim takes no more receipts"
    );
}

both_backends!(
    a_member_adds_receipts_and_sees_the_claim_paid,
    a_member_claims_their_costs,
    a_member_keeps_their_details_and_account,
    a_coordinator_records_choices_for_a_member,
    a_member_sets_and_changes_their_choices,
    bad_answers_are_shown_on_the_page_and_change_nothing,
);
