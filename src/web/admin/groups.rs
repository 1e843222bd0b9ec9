//! Groups as admins keep them: every group with its coordinators, a new group, a group's name,
//! description and whether it is archived, and who coordinates it (accounts with the coordinator
//! role). A group's meetings and members are on the coordinators' page of the group, `/groups/{id}`.

use std::collections::HashMap;

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use maud::{html, Markup};
use serde::Deserialize;

use super::{admin, checkboxes, errors_of, notice, pager, refused, Done, Fields};
use crate::db::Database;
use crate::services::accounts::{self, AccountView};
use crate::services::groups::{self, GroupUpdate, GroupView};
use crate::services::page::{Page, PageRequest};
use crate::services::{Actor, Error};
use crate::web::{csrf_failed, csrf_ok, error_page, redirect, Ctx, Form, FormErrors};

const PAGE_SIZE: i64 = 50;

const SUBJECTS: &[(&str, &str)] = &[
    ("name", "The name"),
    ("description", "The description"),
    ("account_ids", "The coordinators"),
    ("account_ids[]", "An account you ticked"),
];

/// The name and description as typed.
#[derive(Debug, Default)]
struct Details {
    name: String,
    description: String,
    archived: bool,
}

impl Details {
    fn of(g: &GroupView) -> Details {
        Details {
            name: g.name.clone(),
            description: g.description.clone().unwrap_or_default(),
            archived: g.archived,
        }
    }

    fn sent(f: &Fields) -> Details {
        Details {
            name: f.one("name").to_string(),
            description: f.one("description").to_string(),
            archived: f.one("archived") == "yes",
        }
    }
}

fn details_fields(errors: &FormErrors, d: &Details) -> Markup {
    html! {
        (errors.input("name", "Name", "text", &d.name, Some("For example: Regional advisory group"), "off"))
        (errors.label("description", "Description (optional)", Some("What the group is for, in a sentence.")))
        textarea id="description" name="description" rows="3" aria-invalid=[errors.invalid("description")]
            aria-describedby=[errors.described_by("description", true)] { (d.description) }
    }
}

/// Coordinators' emails by group id.
fn coordinators_by_group(coordinators: &[AccountView]) -> HashMap<&str, Vec<&str>> {
    let mut by: HashMap<&str, Vec<&str>> = HashMap::new();
    for a in coordinators {
        for g in &a.group_ids {
            by.entry(g.as_str()).or_default().push(a.email.as_str());
        }
    }
    by
}

#[derive(Debug, Deserialize)]
pub struct ListQuery {
    cursor: Option<String>,
}

struct ListPage {
    page: Page<GroupView>,
    coordinators: Vec<AccountView>,
}

async fn load_list(
    db: &Database,
    actor: &Actor,
    cursor: Option<String>,
) -> Result<ListPage, Error> {
    let a = actor.clone();
    db.run(move |c| {
        let page = groups::list_groups(c, &a, &PageRequest::at(PAGE_SIZE, cursor))?;
        let coordinators = accounts::coordinators(c, &a)?;
        Ok(ListPage { page, coordinators })
    })
    .await
}

fn list_body(ctx: &Ctx, l: &ListPage, d: &Details, errors: &FormErrors, paged: bool) -> Markup {
    let by = coordinators_by_group(&l.coordinators);
    html! {
        h1 { "Groups" }
        @if l.page.items.is_empty() && !paged {
            p { "There are no groups yet. Make the first one below." }
        } @else {
            div class="table-wrap" tabindex="0" role="region" aria-label="Groups by name" {
                table {
                    caption { "Groups by name" }
                    thead { tr {
                        th scope="col" { "Group" }
                        th scope="col" { "Coordinators" }
                        th scope="col" { "Meetings and members" }
                    } }
                    tbody {
                        @for g in &l.page.items {
                            tr {
                                td { a href={ "/admin/groups/" (g.id) } { (g.name) }
                                     @if g.archived { " " span class="muted" { "(archived)" } } }
                                td { @match by.get(g.id.as_str()) {
                                    Some(list) => { (list.join(", ")) },
                                    None => { span class="muted" { "None yet" } },
                                } }
                                td { a href={ "/groups/" (g.id) } aria-label={ "Open " (g.name) } { "Open" } }
                            }
                        }
                    }
                }
            }
        }
        (pager("/admin/groups", &[], l.page.next_cursor.as_deref(), paged))
        h2 id="new-group" { "Make a group" }
        (errors.summary())
        form method="post" action="/admin/groups" novalidate {
            (ctx.csrf_field())
            (details_fields(errors, d))
            div { button type="submit" { "Make the group" } }
        }
    }
}

async fn list(req: HttpRequest, db: web::Data<Database>, q: web::Query<ListQuery>) -> HttpResponse {
    let actor = match admin(&req).await {
        Ok(a) => a,
        Err(res) => return res,
    };
    let paged = q.cursor.is_some();
    let l = match load_list(&db, &actor, q.into_inner().cursor).await {
        Ok(l) => l,
        Err(e) => return error_page(&req, Some(actor), &e),
    };
    let ctx = Ctx::new(&req, Some(actor));
    let body = list_body(&ctx, &l, &Details::default(), &FormErrors::none(), paged);
    ctx.page(StatusCode::OK, "Groups", body)
}

async fn create(
    req: HttpRequest,
    db: web::Data<Database>,
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
    let d = Details::sent(&fields);
    let (a, name, description) = (actor.clone(), d.name.clone(), d.description.clone());
    let made = db
        .run(move |c| groups::create_group(c, &a, &name, Some(description.as_str())))
        .await;
    match made {
        Ok(g) => redirect(&format!("/admin/groups/{}?saved=created", g.id)),
        Err(e @ (Error::Validation(_) | Error::Conflict(_))) => {
            let l = match load_list(&db, &actor, None).await {
                Ok(l) => l,
                Err(e) => return error_page(&req, Some(actor), &e),
            };
            let ctx = Ctx::new(&req, Some(actor));
            let errors = errors_of(&e, SUBJECTS, &[], "name");
            let body = list_body(&ctx, &l, &d, &errors, false);
            ctx.page(refused(&e), "Make a group", body)
        }
        Err(e) => error_page(&req, Some(actor), &e),
    }
}

struct GroupPage {
    group: GroupView,
    coordinators: Vec<AccountView>,
}

async fn load(db: &Database, actor: &Actor, id: String) -> Result<GroupPage, Error> {
    let a = actor.clone();
    db.run(move |c| {
        let group = groups::get_group(c, &a, &id)?;
        let coordinators = accounts::coordinators(c, &a)?;
        Ok(GroupPage {
            group,
            coordinators,
        })
    })
    .await
}

fn done_words(saved: Option<&str>) -> Option<&'static str> {
    Some(match saved? {
        "created" => "The group is made. Choose its coordinators below.",
        "coordinators" => "Its coordinators are saved.",
        _ => "The group is saved.",
    })
}

fn group_body(
    ctx: &Ctx,
    p: &GroupPage,
    d: &Details,
    ticked: &[String],
    errors: &FormErrors,
    done: Option<&str>,
) -> Markup {
    let g = &p.group;
    let options: Vec<(String, String, String)> = p
        .coordinators
        .iter()
        .map(|a| {
            let note = if a.disabled { "(disabled)" } else { "" };
            (a.id.clone(), a.email.clone(), note.to_string())
        })
        .collect();
    html! {
        p { a href="/admin/groups" { "Back to groups" } }
        h1 { (g.name) }
        @if let Some(d) = done { (notice(d)) }
        (errors.summary())
        p { a href={ "/groups/" (g.id) } { "Its meetings and members" } }
        h2 { "Name and description" }
        form method="post" action={ "/admin/groups/" (g.id) } novalidate {
            (ctx.csrf_field())
            (details_fields(errors, d))
            div class="radio" {
                input type="checkbox" id="archived" name="archived" value="yes" checked[d.archived]
                    aria-describedby="archived-about";
                label for="archived" { "Archived" }
                span class="hint" id="archived-about" { "An archived group keeps its records and takes no new meetings." }
            }
            div { button type="submit" { "Save the group" } }
        }
        h2 { "Coordinators" }
        @if options.is_empty() {
            p { "No account has the coordinator role yet. "
                a href="/accounts/new" { "Invite a coordinator" } ", or give an account that role." }
        } @else {
            form method="post" action={ "/admin/groups/" (g.id) "/coordinators" } novalidate {
                (ctx.csrf_field())
                (checkboxes(errors, "account_ids", "Who coordinates this group", Some("Accounts with the coordinator role. Each sees and runs only the groups they coordinate."), ticked, &options))
                div { button type="submit" { "Save the coordinators" } }
            }
        }
    }
}

fn ticked_of(p: &GroupPage) -> Vec<String> {
    p.coordinators
        .iter()
        .filter(|a| a.group_ids.contains(&p.group.id))
        .map(|a| a.id.clone())
        .collect()
}

async fn show(
    req: HttpRequest,
    db: web::Data<Database>,
    path: web::Path<String>,
    q: web::Query<Done>,
) -> HttpResponse {
    let actor = match admin(&req).await {
        Ok(a) => a,
        Err(res) => return res,
    };
    let p = match load(&db, &actor, path.into_inner()).await {
        Ok(p) => p,
        Err(e) => return error_page(&req, Some(actor), &e),
    };
    let ctx = Ctx::new(&req, Some(actor));
    let (d, ticked) = (Details::of(&p.group), ticked_of(&p));
    let done = done_words(q.saved.as_deref());
    let title = p.group.name.clone();
    let body = group_body(&ctx, &p, &d, &ticked, &FormErrors::none(), done);
    ctx.page(StatusCode::OK, &title, body)
}

/// The group's page again with a form's errors, keeping what was typed in that form.
async fn again(
    req: &HttpRequest,
    db: &Database,
    actor: Actor,
    id: String,
    sent: (Option<Details>, Option<Vec<String>>),
    e: &Error,
) -> HttpResponse {
    let p = match load(db, &actor, id).await {
        Ok(p) => p,
        Err(e) => return error_page(req, Some(actor), &e),
    };
    let ctx = Ctx::new(req, Some(actor));
    let fallback = if sent.1.is_some() {
        "account_ids"
    } else {
        "name"
    };
    let d = sent.0.unwrap_or_else(|| Details::of(&p.group));
    let ticked = sent.1.unwrap_or_else(|| ticked_of(&p));
    let errors = errors_of(e, SUBJECTS, &[], fallback);
    let title = p.group.name.clone();
    let body = group_body(&ctx, &p, &d, &ticked, &errors, None);
    ctx.page(refused(e), &title, body)
}

async fn save(
    req: HttpRequest,
    db: web::Data<Database>,
    path: web::Path<String>,
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
    let id = path.into_inner();
    let d = Details::sent(&fields);
    let changes = GroupUpdate {
        name: Some(d.name.clone()),
        description: Some(Some(d.description.clone())),
        archived: Some(d.archived),
    };
    let (a, group) = (actor.clone(), id.clone());
    match db
        .run(move |c| groups::update_group(c, &a, &group, changes))
        .await
    {
        Ok(g) => redirect(&format!("/admin/groups/{}?saved=1", g.id)),
        Err(e @ (Error::Validation(_) | Error::Conflict(_))) => {
            again(&req, &db, actor, id, (Some(d), None), &e).await
        }
        Err(e) => error_page(&req, Some(actor), &e),
    }
}

async fn save_coordinators(
    req: HttpRequest,
    db: web::Data<Database>,
    path: web::Path<String>,
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
    let id = path.into_inner();
    let ticked = fields.all("account_ids");
    let (a, group, chosen) = (actor.clone(), id.clone(), ticked.clone());
    match db
        .run(move |c| accounts::set_coordinators(c, &a, &group, &chosen, None))
        .await
    {
        Ok(_) => redirect(&format!("/admin/groups/{id}?saved=coordinators")),
        Err(e @ (Error::Validation(_) | Error::Conflict(_))) => {
            again(&req, &db, actor, id, (None, Some(ticked)), &e).await
        }
        Err(e) => error_page(&req, Some(actor), &e),
    }
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/admin/groups")
            .route(web::get().to(list))
            .route(web::post().to(create)),
    )
    .service(
        web::resource("/admin/groups/{id}")
            .route(web::get().to(show))
            .route(web::post().to(save)),
    )
    .service(
        web::resource("/admin/groups/{id}/coordinators").route(web::post().to(save_coordinators)),
    );
}
