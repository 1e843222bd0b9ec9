//! Reference data: the roles a member may have in a group and the kinds of session, each a code
//! with a label, listed and added to. Rate cards name them, so a code, once added, stays.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use maud::{html, Markup};

use super::{admin, errors_of, notice, refused, Done, Fields};
use crate::db::Database;
use crate::services::groups::{self, CodeLabel, Reference};
use crate::services::{Actor, Error};
use crate::web::{csrf_failed, csrf_ok, error_page, redirect, Ctx, Form, FormErrors};

/// What the page says about each list, and where its form goes.
struct List {
    kind: Reference,
    prefix: &'static str,
    action: &'static str,
    heading: &'static str,
    caption: &'static str,
    button: &'static str,
    example: (&'static str, &'static str),
}

static LISTS: [List; 2] = [
    List {
        kind: Reference::Roles,
        prefix: "role",
        action: "/reference-data/roles",
        heading: "Roles in a group",
        caption: "Roles a member may have in a group",
        button: "Add the role",
        example: ("co_chair", "Co-chair"),
    },
    List {
        kind: Reference::ActivityKinds,
        prefix: "kind",
        action: "/reference-data/activity-kinds",
        heading: "Kinds of session",
        caption: "Kinds of session a meeting may be",
        button: "Add the kind of session",
        example: ("site_visit", "Site visit"),
    },
];

/// What was typed into one of the forms.
struct Typed {
    prefix: &'static str,
    code: String,
    label: String,
}

fn section(
    ctx: &Ctx,
    l: &List,
    items: &[CodeLabel],
    typed: Option<&Typed>,
    errors: &FormErrors,
) -> Markup {
    let typed = typed.filter(|t| t.prefix == l.prefix);
    let (code, label) = (format!("{}_code", l.prefix), format!("{}_label", l.prefix));
    let code_hint = format!(
        "Lower-case letters, digits and _, starting with a letter: for example {}. It cannot be changed later.",
        l.example.0
    );
    let label_hint = format!("What people read: for example {}.", l.example.1);
    html! {
        h2 { (l.heading) }
        div class="table-wrap" tabindex="0" role="region" aria-label=(l.caption) {
            table {
                caption { (l.caption) }
                thead { tr { th scope="col" { "Label" } th scope="col" { "Code" } } }
                tbody {
                    @for i in items { tr { td { (i.label) } td { code { (i.code) } } } }
                }
            }
        }
        h3 { "Add one" }
        form method="post" action=(l.action) novalidate {
            (ctx.csrf_field())
            (errors.input(&label, "Label", "text", typed.map_or("", |t| t.label.as_str()), Some(&label_hint), "off"))
            (errors.input(&code, "Code", "text", typed.map_or("", |t| t.code.as_str()), Some(&code_hint), "off"))
            div { button type="submit" { (l.button) } }
        }
    }
}

async fn page(
    req: &HttpRequest,
    db: &Database,
    actor: Actor,
    status: StatusCode,
    typed: Option<&Typed>,
    errors: &FormErrors,
    done: Option<&str>,
) -> HttpResponse {
    let loaded = db
        .run(|c| {
            let roles = groups::list_reference(c, Reference::Roles)?;
            let kinds = groups::list_reference(c, Reference::ActivityKinds)?;
            Ok::<_, Error>([roles, kinds])
        })
        .await;
    let lists = match loaded {
        Ok(l) => l,
        Err(e) => return error_page(req, Some(actor), &e),
    };
    let ctx = Ctx::new(req, Some(actor));
    let body = html! {
        h1 { "Roles and kinds of session" }
        @if let Some(d) = done { (notice(d)) }
        (errors.summary())
        p { "Rate cards pay by role and kind of session, and registers and meetings choose from these lists." }
        @for (l, items) in LISTS.iter().zip(&lists) {
            (section(&ctx, l, items, typed, errors))
        }
    };
    ctx.page(status, "Roles and kinds of session", body)
}

async fn show(req: HttpRequest, db: web::Data<Database>, q: web::Query<Done>) -> HttpResponse {
    let actor = match admin(&req).await {
        Ok(a) => a,
        Err(res) => return res,
    };
    let done = match q.saved.as_deref() {
        Some("role") => Some("The role is added."),
        Some("kind") => Some("The kind of session is added."),
        _ => None,
    };
    page(
        &req,
        &db,
        actor,
        StatusCode::OK,
        None,
        &FormErrors::none(),
        done,
    )
    .await
}

async fn add(req: &HttpRequest, db: &Database, l: &'static List, fields: Fields) -> HttpResponse {
    if !csrf_ok(req, fields.one("csrf")) {
        return csrf_failed(req);
    }
    let actor = match admin(req).await {
        Ok(a) => a,
        Err(res) => return res,
    };
    let typed = Typed {
        prefix: l.prefix,
        code: fields.one(&format!("{}_code", l.prefix)).to_string(),
        label: fields.one(&format!("{}_label", l.prefix)).to_string(),
    };
    let (a, kind, code, label) = (
        actor.clone(),
        l.kind,
        typed.code.clone(),
        typed.label.clone(),
    );
    match db
        .run(move |c| groups::add_reference(c, &a, kind, &code, &label))
        .await
    {
        Ok(_) => redirect(&format!("/reference-data?saved={}", l.prefix)),
        Err(e @ (Error::Validation(_) | Error::Conflict(_))) => {
            let (code, label) = (format!("{}_code", l.prefix), format!("{}_label", l.prefix));
            let subjects = [("code", "The code"), ("label", "The label")];
            let moved = [("code", code.as_str()), ("label", label.as_str())];
            let errors = errors_of(&e, &subjects, &moved, &code);
            page(req, db, actor, refused(&e), Some(&typed), &errors, None).await
        }
        Err(e) => error_page(req, Some(actor), &e),
    }
}

async fn add_role(
    req: HttpRequest,
    db: web::Data<Database>,
    form: Form<Vec<(String, String)>>,
) -> HttpResponse {
    add(&req, &db, &LISTS[0], Fields(form.into_inner())).await
}

async fn add_kind(
    req: HttpRequest,
    db: web::Data<Database>,
    form: Form<Vec<(String, String)>>,
) -> HttpResponse {
    add(&req, &db, &LISTS[1], Fields(form.into_inner())).await
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(web::resource("/reference-data").route(web::get().to(show)))
        .service(web::resource("/reference-data/roles").route(web::post().to(add_role)))
        .service(web::resource("/reference-data/activity-kinds").route(web::post().to(add_kind)));
}
