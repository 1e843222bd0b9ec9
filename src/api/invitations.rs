//! Before a session: invitations, replies, the member's upcoming sessions, calendar files and the
//! member's calendar feed, and cancelling a session (`services::invitations`).

use actix_web::{web, HttpResponse};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

use super::auth::with_conn;
use super::error::Problem;
use super::extract::{Json, OptionalJson};
use crate::config::Settings;
use crate::db::Database;
use crate::services::invitations::{self, Invited, MyMeeting, ReplyInput, ReplyView};
use crate::services::meetings::MeetingView;
use crate::services::Actor;

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct InviteBody {
    /// Only these members of the group; everyone in the group on the session's day when left out.
    pub member_ids: Option<Vec<String>>,
    /// A few words from the coordinator, put in the email.
    pub message: Option<String>,
}

/// Email the session, with a calendar invitation and links to reply, to everyone in its group on
/// its day (or those listed). At most once a day per person for each version of the session.
#[utoipa::path(post, path = "/api/v1/meetings/{id}/invitations", operation_id = "invite_to_meeting", tag = "meetings", security(("bearer" = [])), params(("id" = String, Path)),
    request_body(content = InviteBody, description = "Optional"),
    responses((status = 202, body = Invited),
        (status = 409, description = "The session is cancelled or has passed", body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn invite(
    actor: Actor,
    db: web::Data<Database>,
    settings: web::Data<Settings>,
    path: web::Path<String>,
    body: OptionalJson<InviteBody>,
) -> Result<HttpResponse, Problem> {
    let id = path.into_inner();
    let (member_ids, message) = body
        .0
        .map(|b| (b.member_ids, b.message))
        .unwrap_or_default();
    let (base, today) = (settings.public_base(), settings.today());
    let out = with_conn(&db, move |c| {
        invitations::invite(c, &actor, &id, member_ids, message, &base, today)
    })
    .await?;
    Ok(HttpResponse::Accepted().json(out))
}

#[derive(Serialize, ToSchema)]
pub struct ReplyList {
    pub items: Vec<ReplyView>,
    /// Always null: every reply is on the one page.
    pub next_cursor: Option<String>,
}

/// Who has replied and how, with their access needs: everyone in the group on the session's day
/// and anyone else invited.
#[utoipa::path(get, path = "/api/v1/meetings/{id}/replies", operation_id = "meeting_replies", tag = "meetings", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, body = ReplyList)))]
pub async fn replies(
    actor: Actor,
    db: web::Data<Database>,
    path: web::Path<String>,
) -> Result<HttpResponse, Problem> {
    let id = path.into_inner();
    let items = with_conn(&db, move |c| invitations::replies(c, &actor, &id)).await?;
    Ok(HttpResponse::Ok().json(ReplyList {
        items,
        next_cursor: None,
    }))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ReplyBody {
    /// `attending`, `not_attending` or `maybe`.
    pub reply: String,
    /// Any of `interpreter`, `large_print_papers`, `step_free`, `quiet_space`, `companion`.
    pub access_needs: Option<Vec<String>>,
    /// Anything else they need, in their own words.
    pub access_note: Option<String>,
}

/// A reply: by the member themself, or by a coordinator on their behalf.
#[utoipa::path(put, path = "/api/v1/meetings/{id}/replies/{member_id}", operation_id = "reply_to_meeting", tag = "meetings", security(("bearer" = [])),
    params(("id" = String, Path), ("member_id" = String, Path)),
    request_body = ReplyBody,
    responses((status = 200, body = ReplyView),
        (status = 409, description = "The session is cancelled or has passed", body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn reply(
    actor: Actor,
    db: web::Data<Database>,
    settings: web::Data<Settings>,
    path: web::Path<(String, String)>,
    body: Json<ReplyBody>,
) -> Result<HttpResponse, Problem> {
    let (id, member_id) = path.into_inner();
    let b = body.into_inner();
    let input = ReplyInput {
        reply: b.reply,
        access_needs: b.access_needs.unwrap_or_default(),
        access_note: b.access_note,
    };
    let today = settings.today();
    let out = with_conn(&db, move |c| {
        invitations::reply(c, &actor, &id, &member_id, &input, today)
    })
    .await?;
    Ok(HttpResponse::Ok().json(out))
}

#[derive(Serialize, ToSchema)]
pub struct MyMeetings {
    pub items: Vec<MyMeeting>,
    /// Always null: a year of sessions is on the one page.
    pub next_cursor: Option<String>,
}

/// My sessions from today, in the groups I am in on their days, with my reply.
#[utoipa::path(get, path = "/api/v1/me/meetings", operation_id = "my_meetings", tag = "meetings", security(("bearer" = [])),
    responses((status = 200, body = MyMeetings),
        (status = 403, description = "Only members have sessions of their own", body = Problem, content_type = "application/problem+json")))]
pub async fn mine(
    actor: Actor,
    db: web::Data<Database>,
    settings: web::Data<Settings>,
) -> Result<HttpResponse, Problem> {
    let today = settings.today();
    let items = with_conn(&db, move |c| invitations::my_meetings(c, &actor, today)).await?;
    Ok(HttpResponse::Ok().json(MyMeetings {
        items,
        next_cursor: None,
    }))
}

/// The session as an iCalendar file (RFC 5545).
#[utoipa::path(get, path = "/api/v1/meetings/{id}/calendar.ics", operation_id = "meeting_calendar", tag = "meetings", security(("bearer" = [])), params(("id" = String, Path)),
    responses((status = 200, description = "The session as an iCalendar file", content_type = "text/calendar", body = String)))]
pub async fn calendar_file(
    actor: Actor,
    db: web::Data<Database>,
    path: web::Path<String>,
) -> Result<HttpResponse, Problem> {
    let id = path.into_inner();
    let ics = with_conn(&db, move |c| invitations::calendar_file(c, &actor, &id)).await?;
    Ok(crate::http::download::calendar(ics))
}

#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct CancelBody {
    /// Why, in a few words: it is sent to everyone invited.
    pub reason: String,
}

/// Cancel a session: everyone invited is sent the cancellation for their calendar. It then takes
/// no register and is never paid.
#[utoipa::path(post, path = "/api/v1/meetings/{id}/cancel", operation_id = "cancel_meeting", tag = "meetings", security(("bearer" = [])), params(("id" = String, Path)),
    request_body = CancelBody,
    responses((status = 200, body = MeetingView),
        (status = 409, description = "Already cancelled, or people are recorded as attending it", body = Problem, content_type = "application/problem+json"),
        (status = 422, body = Problem, content_type = "application/problem+json")))]
pub async fn cancel(
    actor: Actor,
    db: web::Data<Database>,
    path: web::Path<String>,
    body: Json<CancelBody>,
) -> Result<HttpResponse, Problem> {
    let id = path.into_inner();
    let reason = body.into_inner().reason;
    let out = with_conn(&db, move |c| invitations::cancel(c, &actor, &id, &reason)).await?;
    Ok(HttpResponse::Ok().json(out))
}

#[derive(Serialize, ToSchema)]
pub struct Feed {
    /// The private address a calendar app subscribes to. Shown once: keep it secret.
    pub url: String,
}

/// A new private address for my calendar feed; the old one stops working.
#[utoipa::path(post, path = "/api/v1/me/calendar-feed", operation_id = "reset_calendar_feed", tag = "meetings", security(("bearer" = [])),
    responses((status = 201, body = Feed),
        (status = 403, description = "Only members have a calendar feed", body = Problem, content_type = "application/problem+json")))]
pub async fn reset_feed(
    actor: Actor,
    db: web::Data<Database>,
    settings: web::Data<Settings>,
) -> Result<HttpResponse, Problem> {
    let base = settings.public_base();
    let url = with_conn(&db, move |c| invitations::reset_feed(c, &actor, &base)).await?;
    Ok(HttpResponse::Created().json(Feed { url }))
}
