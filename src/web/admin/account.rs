//! One account's page: where it stands, a new invitation while none has been accepted, its role
//! and groups, and disabling it (which signs it out everywhere) or enabling it again.

use actix_web::http::StatusCode;
use actix_web::{web, HttpRequest, HttpResponse};
use maud::{html, Markup};

use super::accounts::{all_groups, group_names, standing};
use super::{admin, at, checkboxes, errors_of, notice, refused, role_radios, role_words};
use super::{Done, Fields};
use crate::config::Settings;
use crate::db::Database;
use crate::services::accounts::{self, AccountUpdate, AccountView};
use crate::services::auth::Policy;
use crate::services::groups::GroupView;
use crate::services::members;
use crate::services::{Actor, Error, Role};
use crate::web::{csrf_failed, csrf_ok, error_page, redirect, Ctx, Form, FormErrors};

struct AccountPage {
    account: AccountView,
    groups: Vec<GroupView>,
    member_name: Option<String>,
}

async fn load(db: &Database, actor: &Actor, id: String) -> Result<AccountPage, Error> {
    let a = actor.clone();
    db.run(move |c| {
        let account = accounts::get(c, &a, &id)?;
        let groups = all_groups(c, &a)?;
        let member_name = match &account.member_id {
            Some(m) => Some(members::get(c, &a, m)?.full_name),
            None => None,
        };
        Ok(AccountPage {
            account,
            groups,
            member_name,
        })
    })
    .await
}

/// The role and groups as the form shows them: the account's own, or what was sent.
struct Access {
    role: String,
    group_ids: Vec<String>,
    reason: String,
}

impl Access {
    fn of(a: &AccountView) -> Access {
        Access {
            role: a.role.as_str().to_string(),
            group_ids: a.group_ids.clone(),
            reason: String::new(),
        }
    }
}

fn done_words(saved: Option<&str>, email: &str) -> Option<String> {
    Some(match saved? {
        "invited" => format!("An invitation is on its way to {email}."),
        "resent" => {
            format!(
                "A new invitation is on its way to {email}. The link sent before no longer works."
            )
        }
        "disabled" => "The account is disabled, and signed out on every device.".to_string(),
        "enabled" => "The account is enabled again.".to_string(),
        _ => "The changes are saved.".to_string(),
    })
}

fn facts(settings: &Settings, p: &AccountPage) -> Markup {
    let a = &p.account;
    let names = group_names(&p.groups);
    html! {
        dl class="choices" {
            dt { "Role" } dd { (role_words(a.role)) }
            @if a.role == Role::Coordinator {
                dt { "Groups" }
                dd { @if a.group_ids.is_empty() { "None yet" } @else {
                    @for (i, g) in a.group_ids.iter().enumerate() {
                        @if i > 0 { ", " }
                        (names.get(g).map_or("a removed group", String::as_str))
                    }
                } }
            }
            @if let Some(n) = &p.member_name { dt { "Member record" } dd { (n) } }
            dt { "State" } dd { (standing(a)) }
            dt { "Last signed in" }
            dd { @match &a.last_login_at { Some(t) => { (at(settings, t)) }, None => { "Never" } } }
            dt { "Made" } dd { (at(settings, &a.created_at)) }
        }
    }
}

fn access_form(ctx: &Ctx, p: &AccountPage, f: &Access, errors: &FormErrors) -> Markup {
    let a = &p.account;
    let groups: Vec<(String, String, String)> = p
        .groups
        .iter()
        .map(|g| {
            let note = if g.archived { "(archived)" } else { "" };
            (g.id.clone(), g.name.clone(), note.to_string())
        })
        .collect();
    html! {
        h2 { "Role and groups" }
        form method="post" action={ "/accounts/" (a.id) } novalidate {
            (ctx.csrf_field())
            (role_radios(errors, &f.role))
            @if !groups.is_empty() {
                (checkboxes(errors, "group_ids", "Groups they coordinate", Some("Only for a coordinator: untick them all for another role."), &f.group_ids, &groups))
            }
            (errors.input("access_reason", "Why (optional)", "text", &f.reason, Some("Kept in the audit trail."), "off"))
            div { button type="submit" { "Save the role and groups" } }
        }
    }
}

fn disable_form(ctx: &Ctx, a: &AccountView, errors: &FormErrors) -> Markup {
    html! {
        @if a.disabled {
            h2 { "Enable the account" }
            p { "They can sign in again with the password they had. Sessions that ended when it was disabled stay ended." }
        } @else {
            h2 { "Disable the account" }
            p { strong { "Disabling signs them out everywhere at once" } ", on every device, and stops their API tokens. "
                "They cannot sign in until the account is enabled again. Their records and payments stay as they are." }
        }
        @if let Some(m) = errors.message("disable") { p class="field-error" id="disable" { (m) } }
        form method="post" action={ "/accounts/" (a.id) "/disabled" } novalidate {
            (ctx.csrf_field())
            input type="hidden" name="disabled" value=(if a.disabled { "false" } else { "true" });
            (errors.input("disabled_reason", "Why (optional)", "text", "", Some("Kept in the audit trail."), "off"))
            div {
                @if a.disabled { button type="submit" { "Enable the account" } }
                @else { button type="submit" class="secondary" { "Disable the account and sign them out" } }
            }
        }
    }
}

fn body(
    ctx: &Ctx,
    settings: &Settings,
    p: &AccountPage,
    f: &Access,
    errors: &FormErrors,
    done: Option<String>,
) -> Markup {
    let a = &p.account;
    let person = serde_urlencoded::to_string([("person", a.email.as_str())]).unwrap_or_default();
    html! {
        p { a href="/accounts" { "Back to accounts" } }
        h1 { (a.email) }
        @if let Some(d) = done { (notice(&d)) }
        (errors.summary())
        (facts(settings, p))
        @if let Some(m) = errors.message("invitation") { p class="field-error" id="invitation" { (m) } }
        @if !a.has_password && !a.disabled {
            h2 { "Invitation" }
            p { "They have not chosen a password yet. A new invitation sends a new link; the one sent before stops working." }
            form method="post" action={ "/accounts/" (a.id) "/invitation" } {
                (ctx.csrf_field())
                button type="submit" { "Send a new invitation" }
            }
        }
        (access_form(ctx, p, f, errors))
        (disable_form(ctx, a, errors))
        h2 { "In the audit trail" }
        ul class="links" {
            li { a href={ "/audit?" (person) } { "What this account did" } }
            li { a href={ "/audit?entity_type=account&entity_id=" (a.id) } { "Changes to this account" } }
        }
    }
}

async fn show(
    req: HttpRequest,
    db: web::Data<Database>,
    settings: web::Data<Settings>,
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
    let done = done_words(q.saved.as_deref(), &p.account.email);
    let f = Access::of(&p.account);
    let title = p.account.email.clone();
    ctx.page(
        StatusCode::OK,
        &title,
        body(&ctx, &settings, &p, &f, &FormErrors::none(), done),
    )
}

/// The page again, with a form's errors.
async fn refused_page(
    req: &HttpRequest,
    db: &Database,
    settings: &Settings,
    actor: Actor,
    id: String,
    f: Option<Access>,
    errors: (StatusCode, FormErrors),
) -> HttpResponse {
    let p = match load(db, &actor, id).await {
        Ok(p) => p,
        Err(e) => return error_page(req, Some(actor), &e),
    };
    let ctx = Ctx::new(req, Some(actor));
    let f = f.unwrap_or_else(|| Access::of(&p.account));
    let title = p.account.email.clone();
    ctx.page(
        errors.0,
        &title,
        body(&ctx, settings, &p, &f, &errors.1, None),
    )
}

const SUBJECTS: &[(&str, &str)] = &[
    ("role", "The role"),
    ("member_id", "A member record"),
    ("group_ids", "The groups"),
    ("group_ids[]", "A group you ticked"),
];

async fn change_access(
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
    let actor = match admin(&req).await {
        Ok(a) => a,
        Err(res) => return res,
    };
    let id = path.into_inner();
    let f = Access {
        role: fields.one("role").to_string(),
        group_ids: fields.all("group_ids"),
        reason: fields.one("access_reason").trim().to_string(),
    };
    let result = match Role::parse(&f.role) {
        None => Err(Error::invalid("role", "Choose the role of the account")),
        Some(role) => {
            let changes = AccountUpdate {
                role: Some(role),
                disabled: None,
                group_ids: Some(f.group_ids.clone()),
                reason: Some(f.reason.clone()).filter(|r| !r.is_empty()),
            };
            let (a, account) = (actor.clone(), id.clone());
            db.run(move |c| accounts::update(c, &a, &account, changes))
                .await
        }
    };
    match result {
        Ok(a) => redirect(&format!("/accounts/{}?saved=1", a.id)),
        Err(e @ (Error::Validation(_) | Error::Conflict(_))) => {
            let errors = errors_of(&e, SUBJECTS, &[("member_id", "role")], "role");
            let shown = (refused(&e), errors);
            refused_page(&req, &db, &settings, actor, id, Some(f), shown).await
        }
        Err(e) => error_page(&req, Some(actor), &e),
    }
}

async fn set_disabled(
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
    let actor = match admin(&req).await {
        Ok(a) => a,
        Err(res) => return res,
    };
    let id = path.into_inner();
    let disabled = match fields.one("disabled") {
        "true" => true,
        "false" => false,
        _ => {
            let e = Error::invalid("disabled", "must be true or false");
            return error_page(&req, Some(actor), &e);
        }
    };
    let reason = Some(fields.one("disabled_reason").trim().to_string()).filter(|r| !r.is_empty());
    let changes = AccountUpdate {
        disabled: Some(disabled),
        reason,
        ..AccountUpdate::default()
    };
    let (a, account) = (actor.clone(), id.clone());
    match db
        .run(move |c| accounts::update(c, &a, &account, changes))
        .await
    {
        Ok(a) if a.disabled => redirect(&format!("/accounts/{}?saved=disabled", a.id)),
        Ok(a) => redirect(&format!("/accounts/{}?saved=enabled", a.id)),
        Err(e @ (Error::Validation(_) | Error::Conflict(_))) => {
            let shown = (refused(&e), errors_of(&e, &[], &[], "disable"));
            refused_page(&req, &db, &settings, actor, id, None, shown).await
        }
        Err(e) => error_page(&req, Some(actor), &e),
    }
}

async fn resend(
    req: HttpRequest,
    db: web::Data<Database>,
    settings: web::Data<Settings>,
    policy: web::Data<Policy>,
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
    let (a, account, links) = (actor.clone(), id.clone(), policy.links());
    match db
        .run(move |c| accounts::resend_invitation(c, &a, &account, &links))
        .await
    {
        Ok(a) => redirect(&format!("/accounts/{}?saved=resent", a.id)),
        Err(e @ Error::Conflict(_)) => {
            let shown = (refused(&e), errors_of(&e, &[], &[], "invitation"));
            refused_page(&req, &db, &settings, actor, id, None, shown).await
        }
        Err(e) => error_page(&req, Some(actor), &e),
    }
}

pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource("/accounts/{id}")
            .route(web::get().to(show))
            .route(web::post().to(change_access)),
    )
    .service(web::resource("/accounts/{id}/disabled").route(web::post().to(set_disabled)))
    .service(web::resource("/accounts/{id}/invitation").route(web::post().to(resend)));
}
