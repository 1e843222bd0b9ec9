//! Every account (its role, groups, last sign-in, and whether its invitation is still waiting),
//! paged like the API's list; and inviting a person, which emails them a link to choose a password.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use maud::{html, Markup};
use serde::Deserialize;

use super::{admin, at, checkboxes, errors_of, every, pager, refused, role_radios, role_words};
use super::{Fields, ROLES};
use crate::config::Settings;
use crate::db::Database;
use crate::services::accounts::{self, AccountView, NewAccount};
use crate::services::auth::Policy;
use crate::services::groups::{self, GroupView};
use crate::services::members::{self, MemberView};
use crate::services::page::{Page, PageRequest};
use crate::services::{Actor, Error, Role};
use crate::web::{csrf_failed, csrf_ok, error_page, redirect, Ctx, Form, FormErrors};

const PAGE_SIZE: i64 = 50;

#[derive(Debug, Default, Deserialize)]
pub struct ListQuery {
    #[serde(default)]
    role: String,
    cursor: Option<String>,
}

/// The words for where an account stands.
pub(super) fn standing(a: &AccountView) -> &'static str {
    match (a.disabled, a.has_password) {
        (true, _) => "Disabled",
        (false, false) => "Invitation waiting",
        (false, true) => "Active",
    }
}

/// Group names by id: every group (a short list), for the names of an account's groups.
pub(super) fn group_names(groups: &[GroupView]) -> HashMap<String, String> {
    groups
        .iter()
        .map(|g| (g.id.clone(), g.name.clone()))
        .collect()
}

pub(super) fn all_groups(
    c: &mut crate::db::DbConnection,
    a: &Actor,
) -> crate::services::Result<Vec<GroupView>> {
    every(10, |p| groups::list_groups(c, a, p))
}

fn role_filter(chosen: &str) -> Markup {
    let mut options: Vec<(&str, &str)> = vec![("", "Every role")];
    options.extend(
        ROLES
            .iter()
            .rev()
            .map(|(r, _)| (r.as_str(), role_words(*r))),
    );
    html! {
        nav aria-label="Accounts by role" {
            ul class="links" {
                @for (code, words) in options {
                    @let href = if code.is_empty() { "/accounts".to_string() } else { format!("/accounts?role={code}") };
                    li {
                        @if code == chosen { a href=(href) aria-current="page" { strong { (words) } } }
                        @else { a href=(href) { (words) } }
                    }
                }
            }
        }
    }
}

fn list_body(
    settings: &Settings,
    page: &Page<AccountView>,
    names: &HashMap<String, String>,
    q: &ListQuery,
) -> Markup {
    html! {
        h1 { "Accounts" }
        p { a class="button" href="/accounts/new" { "Invite a person" } }
        (role_filter(&q.role))
        @if page.items.is_empty() {
            p { "No accounts here." }
        } @else {
            div class="table-wrap" tabindex="0" role="region" aria-label="Accounts, oldest first" {
                table {
                    caption { "Accounts, oldest first" }
                    thead { tr {
                        th scope="col" { "Account" }
                        th scope="col" { "Role" }
                        th scope="col" { "Groups" }
                        th scope="col" { "Last signed in" }
                        th scope="col" { "State" }
                    } }
                    tbody {
                        @for a in &page.items {
                            tr {
                                td { a href={ "/accounts/" (a.id) } { (a.email) } }
                                td { (role_words(a.role)) }
                                td {
                                    @for (i, g) in a.group_ids.iter().enumerate() {
                                        @if i > 0 { ", " }
                                        (names.get(g).map_or("a removed group", String::as_str))
                                    }
                                }
                                td { @match &a.last_login_at { Some(t) => { (at(settings, t)) }, None => { "Never" } } }
                                td class="status" { (standing(a)) }
                            }
                        }
                    }
                }
            }
        }
        (pager("/accounts", &[("role", q.role.as_str())], page.next_cursor.as_deref(), q.cursor.is_some()))
    }
}

async fn list(
    req: HttpRequest,
    db: web::Data<Database>,
    settings: web::Data<Settings>,
    q: web::Query<ListQuery>,
) -> HttpResponse {
    let actor = match admin(&req).await {
        Ok(a) => a,
        Err(res) => return res,
    };
    let q = q.into_inner();
    let role = match q.role.as_str() {
        "" => None,
        code => match Role::parse(code) {
            Some(r) => Some(r),
            None => {
                let e = Error::invalid("role", "must be admin, coordinator, finance or member");
                return error_page(&req, Some(actor), &e);
            }
        },
    };
    let (a, request) = (actor.clone(), PageRequest::at(PAGE_SIZE, q.cursor.clone()));
    let loaded = db
        .run(move |c| {
            let page = accounts::list(c, &a, role, &request)?;
            let groups = all_groups(c, &a)?;
            Ok::<_, Error>((page, groups))
        })
        .await;
    let (page, groups) = match loaded {
        Ok(v) => v,
        Err(e) => return error_page(&req, Some(actor), &e),
    };
    let ctx = Ctx::new(&req, Some(actor));
    let body = list_body(&settings, &page, &group_names(&groups), &q);
    ctx.page(StatusCode::OK, "Accounts", body)
}

/// The invitation form as typed.
#[derive(Debug, Default)]
struct Invite {
    email: String,
    role: String,
    member_id: String,
    group_ids: Vec<String>,
}

impl Invite {
    fn of(f: &Fields) -> Invite {
        Invite {
            email: f.one("email").trim().to_string(),
            role: f.one("role").to_string(),
            member_id: f.one("member_id").trim().to_string(),
            group_ids: f.all("group_ids"),
        }
    }
}

/// What the form offers to choose from.
struct Choices {
    members: Vec<MemberView>,
    groups: Vec<GroupView>,
}

async fn load_choices(db: &Database, actor: &Actor) -> Result<Choices, Error> {
    let a = actor.clone();
    db.run(move |c| {
        let members = every(20, |p| members::list(c, &a, None, false, p))?;
        let groups = all_groups(c, &a)?;
        Ok(Choices { members, groups })
    })
    .await
}

const SUBJECTS: &[(&str, &str)] = &[
    ("email", "The email address"),
    ("role", "The role"),
    ("member_id", "The member record"),
    ("group_ids", "The groups"),
    ("group_ids[]", "A group you ticked"),
];

fn invite_body(ctx: &Ctx, ch: &Choices, f: &Invite, errors: &FormErrors) -> Markup {
    let groups: Vec<(String, String, String)> = ch
        .groups
        .iter()
        .map(|g| {
            let note = if g.archived { "(archived)" } else { "" };
            (g.id.clone(), g.name.clone(), note.to_string())
        })
        .collect();
    html! {
        p { a href="/accounts" { "Back to accounts" } }
        h1 { "Invite a person" }
        p { "They are emailed a link to choose a password. The link works once, for a few days; "
            "you can send a new one from their account's page." }
        (errors.summary())
        @if let Some(m) = errors.message("form") { p class="field-error" id="form" { (m) } }
        form method="post" action="/accounts" novalidate {
            (ctx.csrf_field())
            (errors.input("email", "Email address", "email", &f.email, Some("They sign in with this address."), "off"))
            (role_radios(errors, &f.role))
            (errors.label("member_id", "Their member record", Some("Only for a member account: the record their payments and sessions are kept under.")))
            select id="member_id" name="member_id" aria-invalid=[errors.invalid("member_id")]
                aria-describedby=[errors.described_by("member_id", true)] {
                option value="" selected[f.member_id.is_empty()] { "None (not a member account)" }
                @for m in &ch.members {
                    option value=(m.id) selected[m.id == f.member_id] {
                        (m.full_name) @if let Some(e) = &m.email { " (" (e) ")" }
                    }
                }
            }
            @if groups.is_empty() {
                p { "There are no groups yet, so a coordinator can be given none. "
                    a href="/admin/groups" { "Make a group" } " first, or give them groups later." }
            } @else {
                (checkboxes(errors, "group_ids", "Groups they coordinate", Some("Only for a coordinator."), &f.group_ids, &groups))
            }
            div { button type="submit" { "Send the invitation" } }
        }
    }
}

async fn new_page(req: HttpRequest, db: web::Data<Database>) -> HttpResponse {
    let actor = match admin(&req).await {
        Ok(a) => a,
        Err(res) => return res,
    };
    let choices = match load_choices(&db, &actor).await {
        Ok(c) => c,
        Err(e) => return error_page(&req, Some(actor), &e),
    };
    let ctx = Ctx::new(&req, Some(actor));
    let body = invite_body(&ctx, &choices, &Invite::default(), &FormErrors::none());
    ctx.page(StatusCode::OK, "Invite a person", body)
}

async fn invite(
    req: HttpRequest,
    db: web::Data<Database>,
    policy: web::Data<Policy>,
    form: Form<Vec<(String, String)>>,
) -> HttpResponse {
    let fields = Fields(form.into_inner());
    if !csrf_ok(&req, fields.one("csrf")) {
        return csrf_failed(&req);
    }
    let actor = match admin(&req).await {
        Ok(a) => a,
        Err(res) => return res,
    };
    let f = Invite::of(&fields);
    let result = match Role::parse(&f.role) {
        None => Err(Error::invalid("role", "Choose the role of the account")),
        Some(role) => {
            let input = NewAccount {
                email: f.email.clone(),
                role,
                member_id: Some(f.member_id.clone()).filter(|m| !m.is_empty()),
                group_ids: f.group_ids.clone(),
            };
            let (a, links) = (actor.clone(), policy.links());
            db.run(move |c| accounts::create(c, &a, input, &links))
                .await
        }
    };
    match result {
        Ok(v) => redirect(&format!("/accounts/{}?saved=invited", v.id)),
        Err(e @ (Error::Validation(_) | Error::Conflict(_))) => {
            let choices = match load_choices(&db, &actor).await {
                Ok(c) => c,
                Err(e) => return error_page(&req, Some(actor), &e),
            };
            let errors = errors_of(&e, SUBJECTS, &[], "form");
            let ctx = Ctx::new(&req, Some(actor));
            let body = invite_body(&ctx, &choices, &f, &errors);
            ctx.page(refused(&e), "Invite a person", body)
        }
        Err(e) => error_page(&req, Some(actor), &e),
    }
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/accounts")
            .route(web::get().to(list))
            .route(web::post().to(invite)),
    )
    .service(web::resource("/accounts/new").route(web::get().to(new_page)));
}
