//! The letter about a member's payments for the Jobcentre or a benefits adviser, read back with
//! pdf-extract: it names the organisation, the member's role and group, the rates, the cap and
//! the money paid in each week of the cap; only the member, their coordinator, finance and admins
//! may have it; the portal downloads the same letter; in large print no text is under 16 point.

use reqwest::header::{CONTENT_DISPOSITION, CONTENT_TYPE, COOKIE};
use reqwest::Method;
use serde_json::json;

use crate::both_backends;
use crate::helpers::{assert_problem, Role, TestBackend};
use crate::payruns::ok;
use crate::statements::{paid_world, paid_world_with};

/// A PDF's text with every run of white space made one space, so a phrase wrapped over two lines
/// is found whole.
pub fn pdf_text(pdf: &[u8]) -> String {
    let text = pdf_extract::extract_text_from_mem(pdf).expect("text from the PDF");
    text.split_whitespace().collect::<Vec<_>>().join(" ")
}

/// The size of every font set in a PDF's pages (the operand of each `Tf` in the content streams).
pub fn font_sizes(pdf: &[u8]) -> Vec<f32> {
    let doc = pdf_extract::Document::load_mem(pdf).expect("the PDF parses");
    let mut sizes = Vec::new();
    for page in doc.get_pages().values() {
        let content = doc.get_page_content(*page).expect("a page's content");
        let ops = pdf_extract::content::Content::decode(&content).expect("content decodes");
        for op in ops.operations.iter().filter(|o| o.operator == "Tf") {
            sizes.push(op.operands[1].as_float().expect("a font size"));
        }
    }
    assert!(!sizes.is_empty(), "the PDF sets some text");
    sizes
}

/// What follows `label` in `text`, up to `len` characters.
fn after<'a>(text: &'a str, label: &str, len: usize) -> &'a str {
    let i = text
        .find(label)
        .unwrap_or_else(|| panic!("{label:?} in the letter: {text}"));
    let rest = &text[i + label.len()..];
    let end = rest.char_indices().nth(len).map_or(rest.len(), |(i, _)| i);
    &rest[..end]
}

async fn letter_pdf(w: &crate::payruns::World, query: &str, token: &str) -> Vec<u8> {
    let res = w
        .app
        .get_as(
            &format!("/api/v1/members/{}/benefits-letter{query}", w.member_id),
            token,
        )
        .await;
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()[CONTENT_TYPE], "application/pdf");
    res.bytes().await.unwrap().to_vec()
}

/// Worked example 6 as a letter: Sam, a member of the regional group on ESA's weekly limit, is
/// paid £195.50 in the week of 30 June (£179.50 held back) and £195.50 in the week of 28 July
/// (£59.00 held back), with £12.60 of mileage that is not earnings.
async fn the_letter_names_who_pays_the_role_the_rate_the_cap_and_each_weeks_payments(
    backend: TestBackend,
) {
    let (w, _, _) = paid_world_with(backend, |s| {
        s.organisation.name = "Northshire Council, Co-production Team".into();
        s.organisation.address = "County Hall\nNorthshire NS1 1AA".into();
        s.organisation.contact = "coproduction@northshire.example or 01632 960123".into();
    })
    .await;
    let me = w.member.token.clone();
    // The member gives their own address for the letter.
    ok(
        w.app
            .call(
                Method::PATCH,
                &format!("/api/v1/members/{}", w.member_id),
                Some(&me),
                Some(json!({"postal_address": "7 Quay Road\nNorthshire NS2 7QR"})),
            )
            .await,
        200,
    )
    .await;
    let res = w
        .app
        .get_as(
            &format!(
                "/api/v1/members/{}/benefits-letter?tax_year=2025-26&format=pdf",
                w.member_id
            ),
            &me,
        )
        .await;
    assert_eq!(res.status(), 200);
    let cd = res.headers()[CONTENT_DISPOSITION]
        .to_str()
        .unwrap()
        .to_string();
    assert_eq!(
        cd,
        "attachment; filename=\"coprod-letter-sam-member-2025-04-06-to-2026-04-05.pdf\""
    );
    let pdf = res.bytes().await.unwrap().to_vec();
    assert!(pdf.starts_with(b"%PDF"));
    let text = pdf_text(&pdf);
    for needle in [
        // Who writes, to whom, about whom.
        "Northshire Council, Co-production Team",
        "County Hall Northshire NS1 1AA",
        "Sam Member 7 Quay Road Northshire NS2 7QR",
        "For the Jobcentre, or an adviser helping Sam Member with benefits.",
        "from 6 April 2025 to 5 April 2026",
        // The role and the group, and the rates that pay it.
        "Member of Regional advisory group, since 1 January 2025.",
        "£75.00 for up to 4 hours; £150.00 for longer; preparation £20.00 an hour",
        "document review: £25.00 each",
        "Regional 2025",
        // The time given: four sessions, the busiest week 13 hours.
        "took part in 4 sessions: 16 hours in all",
        "The most in any one week was 13 hours (the week starting 30 June 2025)",
        // The choices, and the cap.
        "Sam Member has chosen to be paid the full fee, by bank transfer.",
        "within ESA permitted work: £195.50 a week (weeks starting on Monday)",
        "held back and paid in a later period",
        // The money by week of the cap.
        "Payments by week (weeks starting on Monday)",
        "On 5 April 2026, £59.00 of fees was still held back",
        // Whom to ask.
        "please contact coproduction@northshire.example or 01632 960123, quoting reference P-0001",
    ] {
        assert!(text.contains(needle), "{needle:?} in the letter: {text}");
    }
    let first = after(&text, "30 June 2025 to 6 July 2025", 40);
    assert!(
        first.contains("£195.50") && first.contains("£12.60") && first.contains("£179.50"),
        "the week of 30 June: {first}"
    );
    let second = after(&text, "28 July 2025 to 3 August 2025", 40);
    assert!(
        second.contains("£195.50") && second.contains("£59.00"),
        "the week of 28 July: {second}"
    );
    // Only the two weeks with a payment are listed.
    let table = &text[text.find("Payments by week").unwrap()..];
    let table = &table[..table.find("Total").expect("a total row")];
    assert_eq!(table.matches(" 2025 to ").count(), 2, "{table}");
    let total = after(&text, "Total", 40);
    assert!(total.contains("£391.00"), "the total: {total}");
    // The standard letter sets body text under 16 point.
    assert!(font_sizes(&pdf).iter().any(|s| *s < 16.0));
}

/// The member, a coordinator of their group, finance and admins have the letter; another member
/// or another group's coordinator finds no such member; the portal sends the member the same
/// letter; bad input is refused.
async fn the_letter_is_for_the_member_their_coordinator_and_finance(backend: TestBackend) {
    let (w, tara, _) = paid_world(backend).await;
    let admin = w.app.user(Role::Admin).await;
    for token in [
        &w.member.token,
        &w.coordinator.token,
        &w.finance.token,
        &admin.token,
    ] {
        let text = pdf_text(&letter_pdf(&w, "?tax_year=2025-26", token).await);
        assert!(text.contains("Sam Member"), "{text}");
    }
    let other_member = w.app.user(Role::Member).await;
    let other_coordinator = w.app.user(Role::Coordinator).await;
    let url = format!("/api/v1/members/{}/benefits-letter", w.member_id);
    for token in [&other_member.token, &other_coordinator.token] {
        assert_problem(w.app.get_as(&url, token).await, 404).await;
    }
    assert_problem(
        w.app
            .get_as(
                &format!("/api/v1/members/{tara}/benefits-letter"),
                &w.member.token,
            )
            .await,
        404,
    )
    .await;
    assert_problem(
        w.app
            .get_as(
                "/api/v1/members/01a21976-0000-7000-8000-000000000000/benefits-letter",
                &w.finance.token,
            )
            .await,
        404,
    )
    .await;
    assert_problem(w.app.get(&url).await, 401).await;
    for bad in [
        "?format=csv",
        "?tax_year=2025",
        "?from=2025-07-01",
        "?from=2025-07-01&to=2025-06-01",
        "?tax_year=2025-26&from=2025-07-01&to=2025-07-31",
        "?tax_year=2199-00",
    ] {
        assert_problem(
            w.app.get_as(&format!("{url}{bad}"), &w.finance.token).await,
            422,
        )
        .await;
    }

    // The OpenAPI document describes the letter, and the formats a member record takes.
    let doc: serde_json::Value = w
        .app
        .get("/api/v1/openapi.json")
        .await
        .json()
        .await
        .unwrap();
    let letter = &doc["paths"]["/api/v1/members/{id}/benefits-letter"]["get"];
    assert!(
        letter["responses"]["200"]["content"]["application/pdf"].is_object(),
        "{letter}"
    );
    assert_eq!(
        doc["components"]["schemas"]["Format"]["enum"],
        json!(["large_print", "easy_read"])
    );
    let member = &doc["components"]["schemas"]["MemberView"]["properties"];
    assert!(
        member["preferred_formats"].is_object() && member["postal_address"].is_object(),
        "{member}"
    );

    // With no dates, the 12 months to today: here, no payment falls in them.
    let text = pdf_text(&letter_pdf(&w, "", &w.member.token).await);
    let today = w.app.settings.today().format("%-d %B %Y").to_string();
    assert!(text.contains(&format!("to {today}")), "{today}: {text}");
    assert!(
        text.contains("We paid Sam Member nothing in these dates."),
        "{text}"
    );

    // The portal: a link on the member's page, and the download itself.
    let c = crate::portal::client();
    let (csrf, session) = crate::portal::sign_in(&w.app, &c, &w.member.email).await;
    let cookies = format!("coprod_csrf={csrf}; coprod_session={session}");
    let home = c
        .get(w.app.url("/me"))
        .header(COOKIE, &cookies)
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert!(
        home.contains("<a href=\"/me/benefits-letter\">A letter about your payments for the Jobcentre or a benefits adviser (PDF)</a>"),
        "{home}"
    );
    let res = c
        .get(w.app.url("/me/benefits-letter?tax_year=2025-26"))
        .header(COOKIE, &cookies)
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 200);
    assert_eq!(res.headers()[CONTENT_TYPE], "application/pdf");
    assert!(res.headers()[CONTENT_DISPOSITION]
        .to_str()
        .unwrap()
        .starts_with("attachment;"));
    let text = pdf_text(&res.bytes().await.unwrap());
    assert!(text.contains("£195.50 a week"), "{text}");
    // Without a session, the sign-in page.
    let res = c
        .get(w.app.url("/me/benefits-letter"))
        .send()
        .await
        .unwrap();
    assert_eq!(res.status(), 303);
}

/// For a member who reads large print, every piece of text in the letter is 16 point or more,
/// and it still says what the standard letter says.
async fn a_large_print_letter_is_16_point_or_more(backend: TestBackend) {
    let (w, _, _) = paid_world(backend).await;
    ok(
        w.app
            .call(
                Method::PATCH,
                &format!("/api/v1/members/{}", w.member_id),
                Some(&w.member.token),
                Some(json!({"preferred_formats": ["large_print"]})),
            )
            .await,
        200,
    )
    .await;
    let pdf = letter_pdf(&w, "?tax_year=2025-26", &w.finance.token).await;
    let sizes = font_sizes(&pdf);
    assert!(sizes.iter().all(|s| *s >= 16.0), "{sizes:?}");
    let text = pdf_text(&pdf);
    for needle in [
        "Member of Regional advisory group",
        "ESA permitted work",
        "30 June 2025 to 6 July 2025",
        "Fees paid: £195.50",
        "Held back: £179.50",
    ] {
        assert!(text.contains(needle), "{needle:?} in the letter: {text}");
    }
}

both_backends!(
    the_letter_names_who_pays_the_role_the_rate_the_cap_and_each_weeks_payments,
    the_letter_is_for_the_member_their_coordinator_and_finance,
    a_large_print_letter_is_16_point_or_more,
);
