//! Words a member can read: every email the service sends reads at grade 7 or below
//! (Flesch-Kincaid, `domain::reading`), its Easy Read version at grade 5 or below, and so does the
//! text of every page a member reaches from the portal's navigation. Links and figures are left
//! out before measuring (`reading::prose`); a page's headings and list items each count as a
//! sentence of their own, and its tables (figures under column names) are not prose and are left
//! out.

use std::collections::{BTreeMap, BTreeSet};

use coprod::domain::reading;
use reqwest::header::{CONTENT_TYPE, COOKIE};
use serde_json::json;

use crate::both_backends;
use crate::helpers::{Delivered, Role, TestBackend, PASSWORD};
use crate::payruns::{ok, s, World};

/// The most a standard text and an Easy Read text may need.
const STANDARD_GRADE: f64 = 7.0;
const EASY_READ_GRADE: f64 = 5.0;

/// Where every email is made, and how many templates each place has. A new template fails
/// `every_email_template_is_measured` until it is added here and to the scenario below.
const TEMPLATES: &[(&str, usize)] = &[
    ("src/services/accounts.rs", 1),
    ("src/services/auth/passwords.rs", 2),
    ("src/services/preferences.rs", 1),
    ("src/services/payruns/notices/mod.rs", 1),
    ("src/services/payruns/notices/easy_read.rs", 1),
    ("src/services/invitations/notices.rs", 1),
    ("src/services/invitations/changes.rs", 1),
];

fn grade_of(text: &str) -> f64 {
    reading::grade(&reading::prose(text)).unwrap_or_else(|| panic!("words to measure: {text}"))
}

/// A message as it is read: its subject, then its plain-text body.
fn read(mail: &Delivered) -> String {
    format!("{}\n{}", mail.subject, mail.text)
}

#[test]
fn every_email_template_is_measured() {
    fn walk(dir: &std::path::Path, out: &mut Vec<std::path::PathBuf>) {
        for entry in std::fs::read_dir(dir).expect("a source folder") {
            let path = entry.expect("an entry").path();
            if path.is_dir() {
                walk(&path, out);
            } else if path.extension().is_some_and(|e| e == "rs") {
                out.push(path);
            }
        }
    }
    let root = std::path::PathBuf::from(env!("CARGO_MANIFEST_DIR"));
    let mut files = Vec::new();
    walk(&root.join("src"), &mut files);
    let mut found = BTreeMap::new();
    for f in files {
        let text = std::fs::read_to_string(&f).expect("a source file");
        let code: String = text
            .lines()
            .take_while(|l| !l.trim_start().starts_with("#[cfg(test)]"))
            .collect::<Vec<_>>()
            .join("\n");
        let n = code.matches("Template::new(").count();
        let name = f.strip_prefix(&root).unwrap().display().to_string();
        if n > 0 && name != "src/mail/template.rs" {
            found.insert(name, n);
        }
    }
    let listed: BTreeMap<String, usize> =
        TEMPLATES.iter().map(|(f, n)| (f.to_string(), *n)).collect();
    assert_eq!(
        found, listed,
        "every email template is rendered and measured by this test"
    );
}

/// Sends every email there is: an invitation, a reset and both password-changed notices, choices
/// recorded on a member's behalf, and payment approved and paid for members on each choice (a
/// weekly cap with mileage, a donation), in the standard words and in Easy Read.
async fn every_email(w: &World) -> Vec<(String, Delivered, bool)> {
    let app = &w.app;
    let admin = app.user(Role::Admin).await;
    let mut out = Vec::new();
    ok(
        app.post_as(
            "/api/v1/accounts",
            Some(&admin.token),
            json!({"email": "ria@example.org", "role": "finance"}),
        )
        .await,
        201,
    )
    .await;
    out.push((
        "invitation".to_string(),
        app.delivered_mail("ria@example.org", "invited").await,
        false,
    ));
    app.post_as(
        "/api/v1/auth/password/forgot",
        None,
        json!({"email": admin.email}),
    )
    .await;
    let reset = app.delivered_mail(&admin.email, "Reset your").await;
    let token = crate::helpers::link_token(&reset.link("Choose a new password"));
    out.push(("password reset".to_string(), reset, false));
    let new_password = "Quartz-Meadow-Lantern-42";
    let res = app
        .post_as(
            "/api/v1/auth/password/reset",
            None,
            json!({"token": token, "password": new_password}),
        )
        .await;
    assert_eq!(res.status(), 204);
    out.push((
        "password changed by a reset".to_string(),
        app.delivered_mail(&admin.email, "password was changed")
            .await,
        false,
    ));
    let res = app
        .call(
            reqwest::Method::PUT,
            "/api/v1/me/password",
            Some(&w.coordinator.token),
            Some(json!({"current_password": PASSWORD, "new_password": new_password})),
        )
        .await;
    assert_eq!(res.status(), 204);
    out.push((
        "password changed when signed in".to_string(),
        app.delivered_mail(&w.coordinator.email, "password was changed")
            .await,
        false,
    ));
    w.regional_card().await;
    let cap = json!({"limit_code": "esa_permitted_work", "period": "week"});
    let members = [
        ("sam@example.org", w.member_id.clone(), false, "full"),
        (
            "eve.easy@example.org",
            w.new_member("Eve Easy", "member").await,
            true,
            "full",
        ),
        (
            "dee.donor@example.org",
            w.new_member("Dee Donor", "member").await,
            true,
            "donate",
        ),
        (
            "don.donor@example.org",
            w.new_member("Don Donor", "member").await,
            false,
            "donate",
        ),
    ];
    for (_, id, easy, choice) in &members {
        if *easy {
            ok(
                app.call(
                    reqwest::Method::PATCH,
                    &format!("/api/v1/members/{id}"),
                    Some(&w.coordinator.token),
                    Some(json!({"preferred_formats": ["easy_read"]})),
                )
                .await,
                200,
            )
            .await;
        }
        let mut pref = json!({"effective_from": "2025-06-01", "fee_choice": choice,
                              "method": "bank_transfer", "notify_by_email": true});
        if *choice == "donate" {
            pref["charity"] = json!("Northshire Carers");
        } else {
            pref["cap"] = cap.clone();
            pref["over_cap"] = json!("carry_forward");
        }
        ok(w.set_preference(id, &w.coordinator.token, pref).await, 200).await;
    }
    out.push((
        "payment choices recorded on behalf".to_string(),
        app.delivered_mail("sam@example.org", "payment choices were updated")
            .await,
        false,
    ));
    // Every member at three sessions in the week of 30 June, with a car journey.
    let meetings = [
        w.meeting("2025-06-30", 300, "meeting").await,
        w.meeting("2025-07-01", 300, "meeting").await,
        w.meeting("2025-07-02", 180, "meeting").await,
    ];
    let everyone: Vec<serde_json::Value> = members
        .iter()
        .map(|(_, id, _, _)| json!({"member_id": id, "status": "attended"}))
        .collect();
    for m in &meetings {
        ok(w.register(m, json!(everyone)).await, 200).await;
    }
    for (_, id, _, _) in &members {
        let claim = ok(
            app.post_as(
                &format!("/api/v1/meetings/{}/expenses", meetings[0]),
                Some(&w.coordinator.token),
                json!({"member_id": id, "kind": "car", "miles": "28"}),
            )
            .await,
            201,
        )
        .await;
        ok(
            app.post_as(
                &format!("/api/v1/expenses/{}/approve", s(&claim["id"])),
                Some(&w.coordinator.token),
                json!({}),
            )
            .await,
            200,
        )
        .await;
    }
    let run = w.draft("2025-06-01", "2025-07-03", "2025-07-04").await;
    ok(w.approve_as(&run, &w.approver.token).await, 200).await;
    ok(
        app.post_as(
            &format!("/api/v1/pay-runs/{}/mark-paid", s(&run["id"])),
            Some(&w.approver.token),
            json!({"paid_on": "2025-07-04", "reference": "BACS-1"}),
        )
        .await,
        200,
    )
    .await;
    for (email, _, easy, choice) in &members {
        for (event, subject) in [("approved", "approved"), ("paid", "paid")] {
            let subject = if *easy {
                if event == "approved" {
                    "We will pay you"
                } else {
                    "We have paid you"
                }
            } else {
                subject
            };
            let mail = app.delivered_mail(email, subject).await;
            let name = format!(
                "payment {event} ({}, {choice})",
                if *easy { "Easy Read" } else { "standard" }
            );
            out.push((name, mail, *easy));
        }
    }
    // A session in ten days: the invitation (reminders and updates are the same message), then
    // its cancellation.
    let later = (app.settings.today() + chrono::Duration::days(10)).to_string();
    let session = w.meeting(&later, 120, "meeting").await;
    ok(
        app.post_as(
            &format!("/api/v1/meetings/{session}/invitations"),
            Some(&w.coordinator.token),
            json!({}),
        )
        .await,
        202,
    )
    .await;
    out.push((
        "session invitation".to_string(),
        app.delivered_mail("sam@example.org", "Invitation:").await,
        false,
    ));
    ok(
        app.post_as(
            &format!("/api/v1/meetings/{session}/cancel"),
            Some(&w.coordinator.token),
            json!({"reason": "The room is not free that day"}),
        )
        .await,
        200,
    )
    .await;
    out.push((
        "session cancelled".to_string(),
        app.delivered_mail("sam@example.org", "Cancelled:").await,
        false,
    ));
    out
}

async fn every_email_reads_at_grade_7_and_easy_read_at_grade_5(backend: TestBackend) {
    let w = World::new(backend).await;
    let mails = every_email(&w).await;
    let subjects: BTreeSet<&str> = mails.iter().map(|(_, m, _)| m.subject.as_str()).collect();
    assert!(subjects.len() >= 10, "{subjects:?}");
    let mut problems = Vec::new();
    for (name, mail, easy) in &mails {
        let limit = if *easy {
            EASY_READ_GRADE
        } else {
            STANDARD_GRADE
        };
        let g = grade_of(&read(mail));
        eprintln!("{name}: grade {g:.1} (at most {limit})");
        if g > limit {
            problems.push(format!(
                "{name}: grade {g:.1}, over {limit}:\n{}",
                read(mail)
            ));
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}

/// The prose of a page as a reader meets it: tables left out, tags removed, each block (heading,
/// paragraph, list item, label, button) a line of its own, entities decoded.
fn page_text(html: &str) -> String {
    let body = html.split("<body").nth(1).unwrap_or(html);
    // A table is figures under column names, read cell by cell, not prose: it is left out.
    let mut prose = String::new();
    let mut rest = body;
    while let Some(start) = rest.find("<table") {
        prose.push_str(&rest[..start]);
        rest = rest[start..]
            .find("</table>")
            .map_or("", |end| &rest[start + end + "</table>".len()..]);
    }
    prose.push_str(rest);
    let mut out = String::new();
    let mut rest = prose.as_str();
    while let Some(open) = rest.find('<') {
        out.push_str(&rest[..open]);
        let Some(close) = rest[open..].find('>') else {
            break;
        };
        let tag = &rest[open + 1..open + close];
        let name: String = tag
            .trim_start_matches('/')
            .chars()
            .take_while(|c| c.is_ascii_alphanumeric())
            .collect();
        if [
            "p", "li", "h1", "h2", "h3", "dt", "dd", "br", "label", "button", "div", "nav",
            "header", "footer", "main", "legend",
        ]
        .contains(&name.as_str())
        {
            out.push('\n');
        }
        rest = &rest[open + close + 1..];
    }
    out.push_str(rest);
    out.replace("&amp;", "&")
        .replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&#39;", "'")
        .replace("&nbsp;", " ")
}

/// Every `href` in `html` that stays on the site.
fn links(html: &str) -> Vec<String> {
    html.split("href=\"")
        .skip(1)
        .filter_map(|rest| rest.split('"').next())
        .filter(|h| h.starts_with('/') && !h.starts_with("//"))
        .map(|h| h.replace("&amp;", "&"))
        .collect()
}

/// The links of the main navigation.
fn nav_links(html: &str) -> Vec<String> {
    let nav = html
        .split("<nav aria-label=\"Main\">")
        .nth(1)
        .and_then(|n| n.split("</nav>").next())
        .expect("the main navigation");
    links(nav)
}

/// The member's pages, reached as a member does: every link of the main navigation and every
/// page those pages link to, signed in with a payment history, a cap and sessions behind them.
async fn every_member_page_reads_at_grade_7(backend: TestBackend) {
    let (w, _, _) = crate::statements::paid_world(backend).await;
    let c = crate::portal::client();
    let (csrf, session) = crate::portal::sign_in(&w.app, &c, &w.member.email).await;
    let cookies = format!("coprod_csrf={csrf}; coprod_session={session}");
    let get = |path: String| {
        let req = c.get(w.app.url(&path)).header(COOKIE, cookies.clone());
        async move {
            let res = req.send().await.unwrap();
            assert_eq!(res.status(), 200, "{path}");
            let html = res
                .headers()
                .get(CONTENT_TYPE)
                .is_some_and(|t| t.to_str().unwrap_or_default().starts_with("text/html"));
            (html, res.text().await.unwrap_or_default())
        }
    };
    let (_, home) = get("/me".to_string()).await;
    let nav = nav_links(&home);
    assert!(nav.contains(&"/me".to_string()), "{nav:?}");
    let mut pages: BTreeMap<String, String> = BTreeMap::new();
    for link in &nav {
        let (html, body) = get(link.clone()).await;
        assert!(html, "{link} is a page");
        for next in links(&body) {
            pages.entry(next).or_default();
        }
        pages.insert(link.clone(), body);
    }
    let mut problems = Vec::new();
    let mut measured = 0;
    for (path, body) in &mut pages {
        if path == "/" || path.starts_with("/site.css") || path.starts_with("/favicon") {
            continue;
        }
        if body.is_empty() {
            let (html, fetched) = get(path.clone()).await;
            if !html {
                continue; // a download: a statement, a letter
            }
            *body = fetched;
        }
        let text = page_text(body);
        let g = grade_of(&text);
        measured += 1;
        eprintln!("{path}: grade {g:.1}");
        if g > STANDARD_GRADE {
            problems.push(format!(
                "{path}: grade {g:.1}, over {STANDARD_GRADE}:\n{text}"
            ));
        }
    }
    assert!(measured >= 2, "{pages:?}");
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}

both_backends!(
    every_email_reads_at_grade_7_and_easy_read_at_grade_5,
    every_member_page_reads_at_grade_7,
);
