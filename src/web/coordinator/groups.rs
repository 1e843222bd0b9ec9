//! My groups (admins: every group), a group's page with its meetings and members today, and
//! adding a meeting.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use chrono::NaiveDate;
use maud::{html, Markup};

use super::meeting_form::{self, MeetingForm};
use super::{hours, label_of, name_of, staff};
use crate::config::Settings;
use crate::db::Database;
use crate::services::expenses::{self};
use crate::services::groups::{self, CodeLabel, GroupView, Reference, RosterLine};
use crate::services::meetings::{self, MeetingView};
use crate::services::page::PageRequest;
use crate::services::{Actor, Error, Role};
use crate::web::{
    csrf_failed, csrf_ok, day, error_page, form_errors, redirect, Ctx, Form, FormErrors,
};

/// My groups, and how many claims wait for a decision.
pub async fn groups(
    req: HttpRequest,
    db: web::Data<Database>,
    settings: web::Data<Settings>,
) -> HttpResponse {
    let actor = match staff(&req).await {
        Ok(a) => a,
        Err(res) => return res,
    };
    let a = actor.clone();
    let late = expenses::Lateness::from_settings(&settings);
    let loaded = db
        .run(move |c| {
            let groups = groups::list_groups(c, &a, &PageRequest::first(100))?;
            let waiting = expenses::waiting(c, &a, late)?.len();
            Ok::<_, Error>((groups, waiting))
        })
        .await;
    let (page, waiting) = match loaded {
        Ok(v) => v,
        Err(e) => return error_page(&req, Some(actor), &e),
    };
    let ctx = Ctx::new(&req, Some(actor.clone()));
    let body = html! {
        h1 { @if actor.role == Role::Admin { "Groups" } @else { "My groups" } }
        @if waiting > 0 {
            p class="notice" { a href="/claims" { (claims_words(waiting)) " waiting for a decision" } }
        }
        @if page.items.is_empty() {
            p { "You do not run any groups yet. An admin gives you your groups." }
        } @else {
            ul class="links" {
                @for g in &page.items {
                    li {
                        a href={ "/groups/" (g.id) } { (g.name) }
                        @if g.archived { " " span class="muted" { "(archived)" } }
                        @if let Some(d) = &g.description { br; span class="muted" { (d) } }
                    }
                }
            }
        }
        @if actor.role == Role::Admin {
            p { "Accounts, groups and their coordinators, reference data, benefit limits, the mail queue "
                "and the audit trail have their own pages, starting at " a href="/accounts" { "Accounts" } ". "
                "Rate cards are managed through the " a href="/api/docs/" { "API" } "." }
        }
    };
    ctx.page(StatusCode::OK, "Groups", body)
}

fn claims_words(n: usize) -> String {
    if n == 1 {
        "1 expense claim".to_string()
    } else {
        format!("{n} expense claims")
    }
}

struct GroupPage {
    group: GroupView,
    roster: Vec<RosterLine>,
    meetings: Vec<MeetingView>,
    kinds: Vec<CodeLabel>,
    roles: Vec<CodeLabel>,
}

async fn load_group(
    db: &Database,
    actor: &Actor,
    group_id: String,
    today: NaiveDate,
) -> Result<GroupPage, Error> {
    let a = actor.clone();
    db.run(move |c| {
        let (group, roster) = groups::roster(c, &a, &group_id, today)?;
        let meetings =
            meetings::list(c, &a, Some(group_id), None, None, &PageRequest::first(50))?.items;
        let kinds = groups::list_reference(c, Reference::ActivityKinds)?;
        let roles = groups::list_reference(c, Reference::Roles)?;
        Ok(GroupPage {
            group,
            roster,
            meetings,
            kinds,
            roles,
        })
    })
    .await
}

fn group_body(ctx: &Ctx, g: &GroupPage, form: &MeetingForm, errors: &FormErrors) -> Markup {
    html! {
        h1 { (g.group.name) }
        @if let Some(d) = &g.group.description { p { (d) } }
        h2 { "Meetings" }
        @if g.meetings.is_empty() {
            p { "No meetings yet. Add one below, then take its register." }
        } @else {
            div class="table-wrap" tabindex="0" role="region" aria-label={ "Meetings, newest first" } {
                table {
                    caption { "Meetings, newest first" }
                    thead { tr {
                        th scope="col" { "Date" }
                        th scope="col" { "Meeting" }
                        th scope="col" { "Length" }
                    } }
                    tbody {
                        @for m in &g.meetings {
                            tr {
                                td { (day(m.date)) }
                                td { a href={ "/meetings/" (m.id) } { (m.title) } br;
                                     span class="muted" { (label_of(&g.kinds, &m.activity_kind)) } }
                                td { (hours(m.duration_minutes)) }
                            }
                        }
                    }
                }
            }
        }
        h2 { "Members today" }
        @if g.roster.is_empty() {
            p { "Nobody is in this group today." }
        } @else {
            div class="table-wrap" tabindex="0" role="region" aria-label={ "Members of " (g.group.name) } {
                table {
                    caption { "Members of " (g.group.name) }
                    thead { tr {
                        th scope="col" { "Name" }
                        th scope="col" { "Role" }
                        th scope="col" { "Since" }
                        th scope="col" { "Payment choices" }
                    } }
                    tbody {
                        @for r in &g.roster {
                            tr {
                                td { a href={ "/members/" (r.member_id) } { (name_of(&r.full_name, r.preferred_name.as_deref())) } }
                                td { (label_of(&g.roles, &r.role)) }
                                td { (day(r.since)) }
                                td { a href={ "/members/" (r.member_id) "/choices" } {
                                    "Choices" span class="visually-hidden" { " of " (r.full_name) } } }
                            }
                        }
                    }
                }
            }
        }
        h2 id="add-meeting" { "Add a meeting" }
        (errors.summary())
        @if let Some(m) = errors.message("form") { p class="field-error" id="form" { (m) } }
        form method="post" action={ "/groups/" (g.group.id) "/meetings" } novalidate {
            (ctx.csrf_field())
            (meeting_form::fields(form, errors, &g.kinds))
            button type="submit" { "Add the meeting" }
        }
    }
}

pub async fn group(
    req: HttpRequest,
    db: web::Data<Database>,
    settings: web::Data<Settings>,
    path: web::Path<String>,
) -> HttpResponse {
    let actor = match staff(&req).await {
        Ok(a) => a,
        Err(res) => return res,
    };
    let g = match load_group(&db, &actor, path.into_inner(), settings.today()).await {
        Ok(g) => g,
        Err(e) => return error_page(&req, Some(actor), &e),
    };
    let ctx = Ctx::new(&req, Some(actor));
    let form = MeetingForm::fresh(settings.today());
    let title = g.group.name.clone();
    ctx.page(
        StatusCode::OK,
        &title,
        group_body(&ctx, &g, &form, &FormErrors::none()),
    )
}

pub async fn add_meeting(
    req: HttpRequest,
    db: web::Data<Database>,
    settings: web::Data<Settings>,
    path: web::Path<String>,
    form: Form<MeetingForm>,
) -> HttpResponse {
    let form = form.into_inner();
    if !csrf_ok(&req, &form.csrf) {
        return csrf_failed(&req);
    }
    let actor = match staff(&req).await {
        Ok(a) => a,
        Err(res) => return res,
    };
    let group_id = path.into_inner();
    let result = match form.read(Some(group_id.clone())) {
        Ok(fields) => {
            let a = actor.clone();
            db.run(move |c| meetings::create(c, &a, fields)).await
        }
        Err(errors) => Err(Error::Validation(errors)),
    };
    match result {
        Ok(m) => redirect(&format!("/meetings/{}", m.id)),
        Err(e @ (Error::Validation(_) | Error::Conflict(_))) => {
            let g = match load_group(&db, &actor, group_id, settings.today()).await {
                Ok(g) => g,
                Err(e) => return error_page(&req, Some(actor), &e),
            };
            let ctx = Ctx::new(&req, Some(actor));
            let title = format!("Add a meeting: {}", g.group.name);
            ctx.page(
                StatusCode::UNPROCESSABLE_ENTITY,
                &title,
                group_body(&ctx, &g, &form, &form_errors(&e)),
            )
        }
        Err(e) => error_page(&req, Some(actor), &e),
    }
}
