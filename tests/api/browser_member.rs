//! A member running their own affairs in a real browser (the shared Chromium of `browser.rs`):
//! choices through the form, bad answers shown on the page, every new page checked with axe-core
//! at desktop width and at 320 CSS pixels.

use reqwest::Method;
use serde_json::Value;

use crate::both_backends;
use crate::browser::Browser;
use crate::helpers::TestBackend;
use crate::payruns::{ok, World};

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

/// Opens the form from the choices page.
async fn change_choices(b: &Browser) {
    b.click("a[href='/me/choices']").await;
    b.click("a[href='/me/choices/change']").await;
}

/// Continues from the form, and saves from the page that says what the answers mean.
async fn continue_and_save(b: &Browser, what: &str) {
    b.click("main form[action='/me/choices/change'] button[type=submit]")
        .await;
    assert!(
        b.text("h1").await.contains("Check the new choices"),
        "{what}: {}",
        b.text("main").await
    );
    b.click("main form[action='/me/choices'] button[type=submit]")
        .await;
    assert!(b.text("main").await.contains("The new choices are saved."));
}

/// A member sets a weekly ESA limit with what is above it kept for later, through the form; the
/// API then shows it. Then they give their fee to a charity. Bad answers show on the page and
/// change nothing.
async fn a_member_makes_their_choices_in_the_browser(backend: TestBackend) {
    let Some(b) = Browser::start().await else {
        return;
    };
    let w = World::new(backend).await;
    w.regional_card().await;
    w.session(&w.member_id, "2025-06-10", 180).await;
    let run = w.draft("2025-06-01", "2025-06-30", "2025-07-04").await;
    ok(w.approve_as(&run, &w.approver.token).await, 200).await;
    let url = w.app.url("");
    b.sign_in(&url, &w.member.email).await;

    change_choices(&b).await;
    b.assert_accessible("the choices form").await;
    b.press("#cap-limit").await;
    b.press("select[name='cap.limit_code'] option[value='esa_permitted_work']")
        .await;
    b.press("#over_cap").await;
    b.click("main form[action='/me/choices/change'] button[type=submit]")
        .await;
    let meaning = b.text("main").await;
    assert!(
        meaning.contains("Your fees are kept to £195.50 a week; anything above it is kept for you and paid later."),
        "{meaning}"
    );
    b.assert_accessible("what the choices mean").await;
    b.click("main form[action='/me/choices'] button[type=submit]")
        .await;
    b.assert_accessible("the saved choices and their history")
        .await;
    let p = preference(&w).await;
    assert_eq!(p["cap"]["limit_code"], "esa_permitted_work");
    assert_eq!(p["cap"]["period"], "week");
    assert_eq!(p["over_cap"], "carry_forward");

    // Bad answers: a reduced fee with three decimals, a date before the last approved payment.
    let before = preference(&w).await;
    change_choices(&b).await;
    b.press("#fee_choice-reduced").await;
    b.fill("#reduced_max", "12.505").await;
    b.click("main form[action='/me/choices/change'] button[type=submit]")
        .await;
    let shown = b.text("main").await;
    assert!(shown.contains("There is a problem"), "{shown}");
    assert!(
        shown.contains("no more than 2 numbers after the point"),
        "{shown}"
    );
    b.assert_accessible("the choices form with errors").await;
    b.fill("#reduced_max", "12.50").await;
    // A date field is typed in the browser's own format; set it as the browser would send it.
    b.script("document.getElementById('effective_from').value = '2025-06-01'; return true;")
        .await;
    b.click("main form[action='/me/choices/change'] button[type=submit]")
        .await;
    let shown = b.text("main").await;
    assert!(
        shown.contains("the date of the last approved payment"),
        "{shown}"
    );
    assert_eq!(preference(&w).await, before);

    // Then the fee to a charity, without a limit.
    change_choices(&b).await;
    b.press("#fee_choice-donate").await;
    b.fill("#charity", "Mind").await;
    b.press("#cap").await;
    continue_and_save(&b, "donate").await;
    let p = preference(&w).await;
    assert_eq!(
        (p["fee_choice"].as_str(), p["charity"].as_str()),
        (Some("donate"), Some("Mind"))
    );
    assert!(p["cap"].is_null());

    // My details and my account pass too.
    b.click("a[href='/me/details']").await;
    b.assert_accessible("my details").await;
    b.click("a[href='/account']").await;
    b.assert_accessible("my account").await;
    b.click("a[href='/account/password']").await;
    b.assert_accessible("change my password").await;
    b.screenshot("account-password", 390).await;
    b.assert_console_clean().await;
    b.quit().await;
}

/// A member claims a taxi with a photo of the receipt and a car journey; a program renamed `.jpg`
/// is refused on the page; the coordinator opens the receipt and approves both; the next run pays
/// them and the member sees them paid.
async fn a_member_claims_with_a_receipt_in_the_browser(backend: TestBackend) {
    let Some(b) = Browser::start().await else {
        return;
    };
    let w = World::new(backend).await;
    w.regional_card().await;
    w.session(&w.member_id, "2025-06-10", 180).await;
    let url = w.app.url("");
    let files = tempfile::tempdir().unwrap();
    let photo = files.path().join("taxi.jpg");
    std::fs::write(&photo, b"\xFF\xD8\xFF\xE0\x00\x10JFIF\x00 a taxi receipt").unwrap();
    let program = files.path().join("receipt.jpg");
    std::fs::write(&program, b"MZ\x90\x00 a program, not a photo").unwrap();
    b.sign_in(&url, &w.member.email).await;

    b.click("a[href='/me/claims']").await;
    b.assert_accessible("my expenses").await;
    b.click("a[href^='/me/claims/new']").await;
    b.assert_accessible("the claim form").await;
    b.press("#kind-taxi").await;
    b.fill("#amount", "12.50").await;
    b.press("#declaration").await;
    b.click("main form[action='/me/claims/new'] button[type=submit]")
        .await;
    b.assert_accessible("a claim just sent").await;
    b.choose_file("#file", &program).await;
    b.click("main form[enctype='multipart/form-data'] button[type=submit]")
        .await;
    let shown = b.text("main").await;
    assert!(shown.contains("is not a photo"), "{shown}");
    b.assert_accessible("a receipt refused").await;
    b.choose_file("#file", &photo).await;
    b.click("main form[enctype='multipart/form-data'] button[type=submit]")
        .await;
    assert!(b.text("main").await.contains("The receipt is added."));
    b.screenshot("claim-receipt", 390).await;

    b.click("a[href='/me/claims']").await;
    b.click("a[href^='/me/claims/new']").await;
    b.press("#kind").await;
    b.fill("#miles", "14").await;
    b.press("#declaration").await;
    b.click("main form[action='/me/claims/new'] button[type=submit]")
        .await;
    b.click("a[href='/me/claims']").await;
    let mine = b.text("main").await;
    assert_eq!(
        mine.matches("Waiting for your coordinator").count(),
        2,
        "{mine}"
    );
    b.sign_out().await;

    b.sign_in(&url, &w.coordinator.email).await;
    b.goto(&format!("{url}/claims")).await;
    b.assert_accessible("claims with a receipt").await;
    b.press("a[href^='/receipts/']").await;
    b.click("main button[value=approve]").await;
    b.click("main button[value=approve]").await;
    b.sign_out().await;
    let run = w.draft("2025-06-01", "2025-06-30", "2025-07-04").await;
    ok(w.approve_as(&run, &w.approver.token).await, 200).await;

    b.sign_in(&url, &w.member.email).await;
    b.click("a[href='/me/claims']").await;
    let mine = b.text("main").await;
    assert!(mine.contains("Paid £12.50 on 4 July 2025"), "{mine}");
    assert!(
        mine.contains("Paid £6.30 on 4 July 2025"),
        "14 miles at 45p: {mine}"
    );
    b.assert_console_clean().await;
    b.quit().await;
}

both_backends!(
    a_member_makes_their_choices_in_the_browser,
    a_member_claims_with_a_receipt_in_the_browser,
);
