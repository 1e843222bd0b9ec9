//! Replies before a session: the page an emailed link opens (no sign-in: the link names the person
//! and the session, and opening it records nothing until the person confirms), the member's own
//! sessions coming up with a reply form for each, the session's calendar file, and the member's
//! private calendar feed.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use maud::{html, Markup};
use serde::Deserialize;

use super::member::{coming_table, member};
use super::{
    csrf_failed, csrf_ok, day, error_page, form_errors, redirect, Ctx, Fields, Form, FormErrors,
};
use crate::config::Settings;
use crate::db::Database;
use crate::domain::invitations::{duration_words, AccessNeed, Reply};
use crate::services::invitations::{self, LinkProblem, MyMeeting, ReplyInput};
use crate::services::meetings::MeetingView;
use crate::services::Error;

/// When, where, how long and the preparation, in a short list.
fn facts(m: &MeetingView, group: &str) -> Markup {
    html! {
        ul {
            li { "Group: " (group) }
            li { "When: " (day(m.date)) @if let Some(t) = &m.starts_at { " at " (t) } ", for " (duration_words(m.duration_minutes)) }
            li { "Where: " @match (&m.location, m.online) {
                (Some(l), true) => { (l) ", or online" }
                (Some(l), false) => { (l) }
                (None, true) => { "Online" }
                (None, false) => { "To be confirmed" }
            } }
            @if m.prep_minutes_allowed > 0 {
                li { "Preparation allowed: up to " (duration_words(m.prep_minutes_allowed)) }
            }
        }
    }
}

/// What a person chose on the form so far.
struct Chosen {
    reply: Reply,
    needs: Vec<AccessNeed>,
    note: String,
}

/// The reply form: the three answers, the access needs, anything else, and one button.
fn reply_form(
    ctx: &Ctx,
    action: &str,
    token: Option<&str>,
    c: &Chosen,
    errors: &FormErrors,
) -> Markup {
    html! {
        (errors.summary())
        @if let Some(m) = errors.message("form") { p class="field-error" id="form" { (m) } }
        form method="post" action=(action) novalidate {
            (ctx.csrf_field())
            @if let Some(t) = token { input type="hidden" name="token" value=(t); }
            fieldset class="question" aria-describedby=[errors.described_by("reply", false)] {
                legend { "Can you come?" }
                @if let Some(e) = errors.message("reply") {
                    span class="field-error" id="reply-error" { span class="visually-hidden" { "Error: " } (e) }
                }
                div class="radios" {
                    @for (i, r) in Reply::ANSWERS.iter().enumerate() {
                        @let id = if i == 0 { "reply".to_string() } else { format!("reply-{}", r.as_str()) };
                        div class="radio" {
                            input type="radio" id=(id) name="reply" value=(r.as_str()) checked[c.reply == *r];
                            label for=(id) { (r.words()) }
                        }
                    }
                }
            }
            fieldset class="question" {
                legend { "Do you need any of these to take part? (optional)" }
                @for n in AccessNeed::ALL {
                    @let id = format!("need-{}", n.code());
                    div class="radio" {
                        input type="checkbox" id=(id) name="access_needs" value=(n.code()) checked[c.needs.contains(&n)];
                        label for=(id) { (n.words()) }
                    }
                }
            }
            label for="access_note" { "Anything else you need (optional)" }
            textarea id="access_note" name="access_note" rows="3"
                aria-invalid=[errors.invalid("access_note")] { (c.note) }
            div { button type="submit" { "Send my reply" } }
        }
    }
}

fn read(fields: &Fields) -> ReplyInput {
    ReplyInput {
        reply: fields.one("reply").to_string(),
        access_needs: fields.all("access_needs"),
        access_note: Some(fields.one("access_note").to_string()),
    }
}

fn chosen_of(input: &ReplyInput) -> Chosen {
    Chosen {
        reply: Reply::parse(&input.reply).unwrap_or(Reply::None),
        needs: input
            .access_needs
            .iter()
            .filter_map(|c| AccessNeed::parse(c))
            .collect(),
        note: input.access_note.clone().unwrap_or_default(),
    }
}

/// Why a link does nothing, in plain words, and what to do instead.
fn link_problem(req: &HttpRequest, problem: LinkProblem) -> HttpResponse {
    let (status, title, words) = match problem {
        LinkProblem::Unknown => (
            StatusCode::NOT_FOUND,
            "This link does not work",
            "It is not a link we sent, or it is for another session. Nothing was recorded. Use the link in the email about the session, or ask your coordinator.",
        ),
        LinkProblem::Expired => (
            StatusCode::GONE,
            "This session has passed",
            "Replies close at the end of the session's day, so nothing was recorded. Your coordinator's register says who came.",
        ),
        LinkProblem::Cancelled => (
            StatusCode::CONFLICT,
            "This session is cancelled",
            "Nothing was recorded, as there is nothing to reply to. You should have an email saying why.",
        ),
    };
    Ctx::new(req, None).page(
        status,
        title,
        html! {
            h1 { (title) }
            p { (words) }
            p { "If you have an account, " a href="/sign-in" { "sign in" } " to see your sessions coming up." }
        },
    )
}

#[derive(Deserialize)]
pub struct LinkQuery {
    #[serde(default)]
    token: String,
    #[serde(default)]
    answer: String,
}

/// The page an emailed link opens: the session and the reply form, the link's answer chosen.
/// Opening it records nothing (mail scanners open links).
pub async fn link_page(
    req: HttpRequest,
    db: web::Data<Database>,
    path: web::Path<String>,
    q: web::Query<LinkQuery>,
) -> HttpResponse {
    let (id, q) = (path.into_inner(), q.into_inner());
    let token = q.token.clone();
    let target = match db
        .run(move |c| invitations::link(c, &id, &token, crate::db::now()))
        .await
    {
        Ok(Ok(t)) => t,
        Ok(Err(p)) => return link_problem(&req, p),
        Err(e) => return error_page(&req, None, &e),
    };
    if target.cancelled.is_some() {
        return link_problem(&req, LinkProblem::Cancelled);
    }
    let chosen = Chosen {
        reply: Reply::parse(&q.answer)
            .filter(|r| *r != Reply::None)
            .unwrap_or(target.reply),
        needs: target.access_needs.clone(),
        note: target.access_note.clone().unwrap_or_default(),
    };
    link_form(&req, &target, &q.token, &chosen, &FormErrors::none())
}

fn link_form(
    req: &HttpRequest,
    t: &invitations::LinkTarget,
    token: &str,
    chosen: &Chosen,
    errors: &FormErrors,
) -> HttpResponse {
    let ctx = Ctx::new(req, None);
    let m = &t.meeting;
    let body = html! {
        h1 { (m.title) }
        p { "Hello " (t.name) ". Please check your answer and press the button to send it." }
        (facts(m, &t.group_name))
        (reply_form(&ctx, &format!("/meetings/{}/reply", m.id), Some(token), chosen, errors))
    };
    ctx.page(errors.status(), &m.title, body)
}

/// A reply confirmed from the emailed link's page.
pub async fn link_reply(
    req: HttpRequest,
    db: web::Data<Database>,
    path: web::Path<String>,
    form: Form<Vec<(String, String)>>,
) -> HttpResponse {
    let fields = Fields(form.into_inner());
    if !csrf_ok(&req, fields.one("csrf")) {
        return csrf_failed(&req);
    }
    let id = path.into_inner();
    let token = fields.one("token").to_string();
    let input = read(&fields);
    let (i, t, inp) = (id.clone(), token.clone(), input.clone());
    match db
        .run(move |c| invitations::reply_by_link(c, &i, &t, &inp, crate::db::now()))
        .await
    {
        Ok(Ok(v)) => {
            let ctx = Ctx::new(&req, None);
            let body = html! {
                h1 { "Thank you" }
                div class="notice" role="status" {
                    p { "Your reply is saved: " strong { (v.reply.words()) } "." }
                }
                @if !v.access_needs.is_empty() || v.access_note.is_some() {
                    p { "Your coordinator can see what you need:" }
                    ul {
                        @for n in &v.access_needs { li { (n.words()) } }
                        @if let Some(note) = &v.access_note { li { (note) } }
                    }
                }
                p { "You can change your reply with the same link until the day of the session." }
            };
            ctx.page(StatusCode::OK, "Thank you", body)
        }
        Ok(Err(p)) => link_problem(&req, p),
        Err(e @ Error::Validation(_)) => {
            let (i, t) = (id.clone(), token.clone());
            match db
                .run(move |c| invitations::link(c, &i, &t, crate::db::now()))
                .await
            {
                Ok(Ok(target)) => {
                    link_form(&req, &target, &token, &chosen_of(&input), &form_errors(&e))
                }
                Ok(Err(p)) => link_problem(&req, p),
                Err(e) => error_page(&req, None, &e),
            }
        }
        Err(e) => error_page(&req, None, &e),
    }
}

#[derive(Deserialize)]
pub struct Replied {
    replied: Option<String>,
}

/// The member's sessions coming up, with their replies, and their calendar feed.
pub async fn my_sessions(
    req: HttpRequest,
    db: web::Data<Database>,
    settings: web::Data<Settings>,
    q: web::Query<Replied>,
) -> HttpResponse {
    let (actor, _) = match member(&req).await {
        Ok(m) => m,
        Err(res) => return res,
    };
    let (a, today) = (actor.clone(), settings.today());
    let loaded = db
        .run(move |c| {
            let list = invitations::my_meetings(c, &a, today)?;
            let feed = invitations::has_feed(c, &a)?;
            Ok::<_, Error>((list, feed))
        })
        .await;
    let (list, feed) = match loaded {
        Ok(v) => v,
        Err(e) => return error_page(&req, Some(actor), &e),
    };
    let ctx = Ctx::new(&req, Some(actor));
    let body = html! {
        h1 { "Sessions coming up" }
        @if q.replied.is_some() {
            div class="notice" role="status" { p { "Your reply is saved." } }
        }
        @if list.is_empty() {
            p { "No sessions of your groups are planned yet." }
        } @else {
            (coming_table(&list))
        }
        h2 { "In your own calendar" }
        p { "A calendar app (on your phone or computer) can show all your sessions and keep them up to date. "
            "It needs a private address: anyone with it can see when your sessions are, so keep it to yourself." }
        @if feed { p { "You have an address already. Making a new one stops the old one working." } }
        form method="post" action="/me/calendar-feed" {
            (ctx.csrf_field())
            button type="submit" class="secondary" { @if feed { "Make a new calendar address" } @else { "Make my calendar address" } }
        }
    };
    ctx.page(StatusCode::OK, "Sessions coming up", body)
}

async fn one_of_mine(
    db: &Database,
    actor: &crate::services::Actor,
    settings: &Settings,
    id: &str,
) -> Result<MyMeeting, Error> {
    let (a, today, id) = (actor.clone(), settings.today(), id.to_string());
    db.run(move |c| {
        invitations::my_meetings(c, &a, today)?
            .into_iter()
            .find(|m| m.meeting.id == id)
            .ok_or(Error::NotFound)
    })
    .await
}

fn my_reply_page(
    req: &HttpRequest,
    actor: crate::services::Actor,
    s: &MyMeeting,
    chosen: &Chosen,
    errors: &FormErrors,
) -> HttpResponse {
    let ctx = Ctx::new(req, Some(actor));
    let m = &s.meeting;
    let body = html! {
        p { a href="/me/sessions" { "Back to sessions coming up" } }
        h1 { (m.title) }
        (facts(m, &s.group_name))
        @if let Some(r) = &s.cancelled {
            div class="notice" role="status" { p { "This session is cancelled: " (r) } }
        } @else {
            (reply_form(&ctx, &format!("/me/sessions/{}", m.id), None, chosen, errors))
        }
    };
    ctx.page(errors.status(), &m.title, body)
}

/// One session coming up, with the member's reply form.
pub async fn my_session(
    req: HttpRequest,
    db: web::Data<Database>,
    settings: web::Data<Settings>,
    path: web::Path<String>,
) -> HttpResponse {
    let (actor, _) = match member(&req).await {
        Ok(m) => m,
        Err(res) => return res,
    };
    match one_of_mine(&db, &actor, &settings, &path.into_inner()).await {
        Ok(s) => {
            let chosen = Chosen {
                reply: s.reply,
                needs: s.access_needs.clone(),
                note: s.access_note.clone().unwrap_or_default(),
            };
            my_reply_page(&req, actor, &s, &chosen, &FormErrors::none())
        }
        Err(e) => error_page(&req, Some(actor), &e),
    }
}

/// The member's reply from their own page.
pub async fn my_reply(
    req: HttpRequest,
    db: web::Data<Database>,
    settings: web::Data<Settings>,
    path: web::Path<String>,
    form: Form<Vec<(String, String)>>,
) -> HttpResponse {
    let fields = Fields(form.into_inner());
    if !csrf_ok(&req, fields.one("csrf")) {
        return csrf_failed(&req);
    }
    let (actor, member_id) = match member(&req).await {
        Ok(m) => m,
        Err(res) => return res,
    };
    let id = path.into_inner();
    let input = read(&fields);
    let (a, i, inp, today) = (actor.clone(), id.clone(), input.clone(), settings.today());
    match db
        .run(move |c| invitations::reply(c, &a, &i, &member_id, &inp, today))
        .await
    {
        Ok(_) => redirect("/me/sessions?replied=1"),
        Err(e @ (Error::Validation(_) | Error::Conflict(_))) => {
            match one_of_mine(&db, &actor, &settings, &id).await {
                Ok(s) => my_reply_page(&req, actor, &s, &chosen_of(&input), &form_errors(&e)),
                Err(e) => error_page(&req, Some(actor), &e),
            }
        }
        Err(e) => error_page(&req, Some(actor), &e),
    }
}

/// A session's calendar file, for the member.
pub async fn my_calendar_file(
    req: HttpRequest,
    db: web::Data<Database>,
    path: web::Path<String>,
) -> HttpResponse {
    let (actor, _) = match member(&req).await {
        Ok(m) => m,
        Err(res) => return res,
    };
    let (a, id) = (actor.clone(), path.into_inner());
    match db
        .run(move |c| invitations::calendar_file(c, &a, &id))
        .await
    {
        Ok(ics) => crate::http::download::calendar(ics),
        Err(e) => error_page(&req, Some(actor), &e),
    }
}

#[derive(Deserialize)]
pub struct CsrfOnly {
    #[serde(default)]
    csrf: String,
}

/// A new private calendar address, shown once.
pub async fn reset_feed(
    req: HttpRequest,
    db: web::Data<Database>,
    settings: web::Data<Settings>,
    form: web::Form<CsrfOnly>,
) -> HttpResponse {
    if !csrf_ok(&req, &form.csrf) {
        return csrf_failed(&req);
    }
    let (actor, _) = match member(&req).await {
        Ok(m) => m,
        Err(res) => return res,
    };
    let (a, base) = (actor.clone(), settings.public_base());
    match db.run(move |c| invitations::reset_feed(c, &a, &base)).await {
        Ok(url) => {
            let ctx = Ctx::new(&req, Some(actor));
            let body = html! {
                p { a href="/me/sessions" { "Back to sessions coming up" } }
                h1 { "Your calendar address" }
                p { "Copy this address into your calendar app, where it asks to subscribe to or add a calendar from the internet. "
                    "It is shown only now: if you lose it, make a new one." }
                label for="feed" { "Your private calendar address" }
                input type="text" id="feed" readonly value=(url);
                p { "Any address you made before no longer works." }
            };
            ctx.page(StatusCode::OK, "Your calendar address", body)
        }
        Err(e) => error_page(&req, Some(actor), &e),
    }
}

/// The member's calendar feed, by the secret in its address (no sign-in: calendar apps cannot).
#[derive(Deserialize)]
pub struct FeedKey {
    #[serde(default)]
    key: String,
}

pub async fn feed(
    db: web::Data<Database>,
    settings: web::Data<Settings>,
    q: web::Query<FeedKey>,
) -> HttpResponse {
    let token = q.into_inner().key;
    let today = settings.today();
    match db.run(move |c| invitations::feed(c, &token, today)).await {
        Ok(ics) => HttpResponse::Ok()
            .content_type(crate::domain::calendar::content_type(
                crate::domain::calendar::Method::Publish,
            ))
            .insert_header(("Cache-Control", "private, max-age=900"))
            .body(ics),
        Err(Error::NotFound) => HttpResponse::NotFound().finish(),
        Err(e) => {
            tracing::warn!(error = %e, "calendar feed failed");
            HttpResponse::ServiceUnavailable().finish()
        }
    }
}

/// The routes of these pages.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/meetings/{id}/reply")
            .route(web::get().to(link_page))
            .route(web::post().to(link_reply)),
    )
    .service(web::resource("/me/sessions").route(web::get().to(my_sessions)))
    .service(web::resource("/me/sessions/{id}/calendar.ics").route(web::get().to(my_calendar_file)))
    .service(
        web::resource("/me/sessions/{id}")
            .route(web::get().to(my_session))
            .route(web::post().to(my_reply)),
    )
    .service(web::resource("/me/calendar-feed").route(web::post().to(reset_feed)))
    .service(web::resource("/calendar/feed.ics").route(web::get().to(feed)));
}
