//! Personal data in a real browser (the shared Chromium of `browser.rs`): a member with a year of
//! records reads the privacy notice from the footer and downloads everything held about them as
//! a PDF from My details; an admin erases them through the confirmation page, which first says
//! what to settle; every page checked with axe-core and the keyboard.

use crate::both_backends;
use crate::browser::Browser;
use crate::erasure::tables_holding;
use crate::helpers::{Role, TestBackend};
use crate::payruns::{s, World};
use crate::personal::{a_year_of_records, Year, NAME};

async fn a_member_downloads_their_copy_and_an_admin_erases_them(backend: TestBackend) {
    let Some(b) = Browser::start().await else {
        return;
    };
    let w = World::new(backend).await;
    w.regional_card().await;
    let admin = w.app.user(Role::Admin).await;
    let Year { run, .. } = a_year_of_records(&w).await;
    let url = w.app.url("");
    let id = w.member_id.clone();

    // The member: the privacy notice from the footer, with the figures of the settings.
    b.sign_in(&url, &w.member.email).await;
    b.click("footer a[href='/privacy']").await;
    let notice = b.text("main").await;
    assert!(
        notice.contains("6 years after the later of your last payment"),
        "{notice}"
    );
    assert!(notice.contains("30 days after we sent it"), "{notice}");
    b.assert_accessible("the privacy notice").await;
    // Their copy, from My details.
    b.goto(&format!("{url}/me/details")).await;
    b.press("a[href='/me/data-export?format=pdf']").await;
    let pdf = b.downloaded("pdf").await;
    let text = pdf_extract::extract_text_from_mem(&pdf).unwrap();
    let flat = text.split_whitespace().collect::<Vec<_>>().join(" ");
    assert!(flat.contains(NAME), "{flat}");
    assert!(flat.contains("Everything we hold about you"), "{flat}");
    b.sign_out().await;

    // The admin: the member's page links to the confirmation page, which says what to settle.
    b.sign_in(&url, &admin.email).await;
    b.goto(&format!("{url}/members/{id}")).await;
    b.press(&format!("a[href='/members/{id}/data-export?format=pdf']"))
        .await;
    let theirs = pdf_extract::extract_text_from_mem(&b.downloaded("pdf").await).unwrap();
    assert!(
        theirs.contains("Prefers phone calls"),
        "an admin's copy has the staff notes"
    );
    b.click(&format!("a[href='/members/{id}/erase']")).await;
    let page = b.text("main").await;
    assert!(page.contains("What will go"), "{page}");
    assert!(page.contains("What must stay, and why"), "{page}");
    assert!(
        page.contains(&format!("Pay run {} pays them", s(&run["id"]))),
        "{page}"
    );
    b.assert_accessible("erasure, with something to settle")
        .await;
    w.mark_paid(&run).await;
    b.goto(&format!("{url}/members/{id}/erase")).await;
    // Not without the box ticked.
    b.fill("#reason", "They asked us to, by email").await;
    b.click(&format!(
        "main form[action='/members/{id}/erase'] button[type=submit]"
    ))
    .await;
    let shown = b.text(".error-summary").await;
    assert!(shown.contains("Tick the box"), "{shown}");
    b.assert_accessible("erasure, not confirmed").await;
    b.press("#confirm").await;
    b.click(&format!(
        "main form[action='/members/{id}/erase'] button[type=submit]"
    ))
    .await;
    let main = b.text("main").await;
    assert!(
        main.contains("Their personal details are erased."),
        "{main}"
    );
    assert!(main.contains("Erased member"), "{main}");
    assert!(!main.contains(NAME), "{main}");
    b.assert_accessible("the member's page after erasure").await;
    for needle in [NAME, "sam@example.org"] {
        assert!(tables_holding(&w, needle).await.is_empty(), "{needle}");
    }
    b.quit().await;
}

both_backends!(a_member_downloads_their_copy_and_an_admin_erases_them);
