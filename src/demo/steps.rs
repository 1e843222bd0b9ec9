//! The steps the sample is made of, each through the services as the signed-in person would take
//! it: the admin and the invited accounts, the rate card, everyone's choices, sessions and claims.

use chrono::{Datelike, NaiveDate};
use diesel::prelude::*;
use secrecy::{ExposeSecret, SecretString};

use super::sample::*;
use super::{Login, Step, ADMIN};
use crate::db::{write_tx, Database, DbConnection};
use crate::domain::records::{AttendanceStatus, Miles};
use crate::domain::{Money, NewPassword};
use crate::services::accounts::{self, NewAccount};
use crate::services::auth::{self, Policy};
use crate::services::expenses::{self, NewExpense};
use crate::services::meetings::{self, MeetingFields, RecordInput};
use crate::services::preferences::{self, CapInput, PreferenceInput};
use crate::services::rates::{self, NewCard, RuleInput};
use crate::services::{secrets, Actor, Error, Result};

pub(super) fn password(login: &Login) -> SecretString {
    SecretString::from(login.password.to_string())
}

/// The demo admin, made as `coprod admin create` makes one, then signed in.
pub(super) fn sign_in_admin(db: &Database, policy: &Policy) -> Result<Actor> {
    let checked = NewPassword::parse(&password(&ADMIN), &[ADMIN.email])
        .map_err(|m| Error::invalid("password", m))
        .step("the admin's password")?;
    let hash = secrets::hash_password(&checked)?;
    let mut conn = db.get()?;
    accounts::create_admin(&mut conn, ADMIN.email, hash).step("the admin")?;
    drop(conn);
    let signed = auth::login(db, policy, ADMIN.email, &password(&ADMIN), "coprod demo")
        .step("signing in as the admin")?;
    let mut conn = db.get()?;
    auth::authenticate(&mut conn, policy, signed.token.expose_secret(), None)
        .step("signing in as the admin")
}

/// An account the admin invites; the person follows the emailed link and chooses the demo
/// password, as anyone invited would, and is then signed in.
pub(super) fn invite(
    db: &Database,
    policy: &Policy,
    admin: &Actor,
    login: Login,
    member_id: Option<String>,
    group_ids: Vec<String>,
) -> Result<Actor> {
    let mut conn = db.get()?;
    // The link is read in the transaction that queues it: once committed, the mail worker may send
    // the message and remove its body (a sent invitation keeps no working link).
    let token = write_tx(&mut conn, |conn| {
        accounts::create(
            conn,
            admin,
            NewAccount {
                email: login.email.into(),
                role: login.role,
                member_id: member_id.clone(),
                group_ids: group_ids.clone(),
            },
            &policy.links(),
        )
        .step(login.email)?;
        invitation_token(conn, login.email)
    })?;
    drop(conn);
    let signed =
        auth::accept_invitation(db, policy, &token, &password(&login)).step(login.email)?;
    let mut conn = db.get()?;
    auth::authenticate(&mut conn, policy, signed.token.expose_secret(), None).step(login.email)
}

/// The token of the link in the newest invitation emailed to `email`.
pub(super) fn invitation_token(conn: &mut DbConnection, email: &str) -> Result<String> {
    use crate::db::schema::outbox::dsl as o;
    let body: String = o::outbox
        .filter(o::recipient.eq(email))
        .filter(o::dedupe_key.like("invitation:%"))
        .order(o::created_at.desc())
        .select(o::body_text)
        .first(conn)?;
    let start = body
        .find("token=")
        .map(|i| i + "token=".len())
        .ok_or_else(|| Error::Internal(anyhow::anyhow!("the invitation to {email} has no link")))?;
    Ok(body[start..]
        .chars()
        .take_while(|c| c.is_ascii_alphanumeric() || *c == '_' || *c == '-')
        .collect())
}

/// Whole pounds: every rate and limit of the sample is one.
pub(super) fn pounds(whole: i64) -> Option<Money> {
    Some(Money::from_pence(whole * 100))
}

/// The group's rates: bands for meetings, hourly for workshops and associates, a fixed fee for a
/// document review.
pub(super) fn rate_card(
    conn: &mut DbConnection,
    finance: &Actor,
    group_id: &str,
    from: NaiveDate,
) -> Result<()> {
    let band = |role: &str, half: i64, full: i64, prep: i64| RuleInput {
        role: Some(role.into()),
        activity_kind: Some("meeting".into()),
        basis: "band".into(),
        half_day_amount: pounds(half),
        full_day_amount: pounds(full),
        boundary_minutes: Some(240),
        boundary_is_full_day: Some(false),
        prep_hourly_rate: pounds(prep),
        ..RuleInput::default()
    };
    let hourly = |role: Option<&str>, kind: &str, rate: i64, prep: Option<i64>| RuleInput {
        role: role.map(str::to_string),
        activity_kind: Some(kind.into()),
        basis: "hourly".into(),
        hourly_rate: pounds(rate),
        prep_hourly_rate: prep.and_then(pounds),
        ..RuleInput::default()
    };
    rates::create(
        conn,
        finance,
        NewCard {
            name: format!("North East advisory group rates {}", from.year()),
            group_id: Some(group_id.into()),
            effective_from: from,
            effective_to: None,
            supersedes: None,
            rules: vec![
                band("co_chair", 100, 200, 25),
                band("member", 75, 150, 20),
                band("carer_representative", 75, 150, 20),
                hourly(Some("lived_experience_associate"), "meeting", 25, Some(25)),
                hourly(Some("lived_experience_associate"), "workshop", 25, None),
                hourly(None, "workshop", 20, None),
                RuleInput {
                    activity_kind: Some("document_review".into()),
                    basis: "fixed".into(),
                    fixed_amount: pounds(25),
                    ..RuleInput::default()
                },
            ],
        },
    )
    .step("the rate card")?;
    Ok(())
}

pub(super) fn choice(from: NaiveDate, fee_choice: &str, method: &str) -> PreferenceInput {
    PreferenceInput {
        effective_from: from,
        fee_choice: fee_choice.into(),
        reduced_max: None,
        decline_expenses: None,
        method: method.into(),
        voucher_provider: None,
        charity: None,
        cap: None,
        over_cap: None,
        notify_by_email: None,
    }
}

/// Everyone's payment choices. Tom records his own; the coordinator records the rest on the
/// members' behalf (each is emailed). Chloe and Linda keep the default: the full fee by bank.
pub(super) fn choices(
    conn: &mut DbConnection,
    coordinator: &Actor,
    tom: &Actor,
    ids: &[String],
    from: NaiveDate,
    base_url: &str,
) -> Result<()> {
    let on_behalf = [
        (PATRICIA, choice(from, "full", "bank_transfer")),
        (IMRAN, choice(from, "full", "payroll")),
        (PEGGY, choice(from, "full", "bank_transfer")),
        (
            AISHA,
            PreferenceInput {
                cap: Some(CapInput {
                    amount: pounds(200),
                    period: "month".into(),
                    month_anchor_day: Some(15),
                    ..CapInput::default()
                }),
                over_cap: Some("forgo".into()),
                ..choice(from, "full", "bank_transfer")
            },
        ),
        (
            GARETH,
            PreferenceInput {
                reduced_max: pounds(50),
                ..choice(from, "reduced", "bank_transfer")
            },
        ),
        (EILEEN, choice(from, "decline", "bank_transfer")),
        (
            KWAME,
            PreferenceInput {
                charity: Some("Tyneside Young Carers".into()),
                ..choice(from, "donate", "bank_transfer")
            },
        ),
        (
            JOAN,
            PreferenceInput {
                voucher_provider: Some("Love2shop".into()),
                ..choice(from, "full", "voucher")
            },
        ),
    ];
    for (who, input) in on_behalf {
        preferences::set(conn, coordinator, &ids[who], input, base_url)
            .step(PEOPLE[who].full_name)?;
    }
    let esa = PreferenceInput {
        cap: Some(CapInput {
            limit_code: Some("esa_permitted_work".into()),
            period: "week".into(),
            week_starts_on: Some("monday".into()),
            ..CapInput::default()
        }),
        over_cap: Some("carry_forward".into()),
        ..choice(from, "full", "bank_transfer")
    };
    preferences::set(conn, tom, &ids[TOM], esa, base_url).step(PEOPLE[TOM].full_name)?;
    Ok(())
}

/// Preparation each person logs when the session allows some; co-chairs log more than is paid.
pub(super) fn prep_logged(role: &str, allowed: i64) -> Option<i64> {
    if allowed == 0 {
        return None;
    }
    Some(match role {
        "co_chair" => 90,
        "lived_experience_associate" => 45,
        _ => 30,
    })
}

/// A session and its register.
pub(super) fn session(
    conn: &mut DbConnection,
    coordinator: &Actor,
    group_id: &str,
    ids: &[String],
    s: &Session,
    date: NaiveDate,
) -> Result<String> {
    let meeting = meetings::create(
        conn,
        coordinator,
        MeetingFields {
            group_id: Some(group_id.into()),
            title: Some(s.title.into()),
            activity_kind: Some(s.kind.into()),
            date: Some(date),
            starts_at: Some(Some(s.starts_at.into())),
            duration_minutes: Some(s.minutes),
            prep_minutes_allowed: Some(s.prep_allowed),
            location: Some(s.location.map(str::to_string)),
            online: Some(s.online),
            reminder_days: None,
        },
    )
    .step(s.title)?;
    let mut records = Vec::new();
    for (i, mark) in s.register.chars().enumerate() {
        let (Some(person), Some(member_id)) = (PEOPLE.get(i), ids.get(i)) else {
            break;
        };
        let (status, attended_minutes, prep_minutes) = match mark {
            'A' => (
                AttendanceStatus::Attended,
                None,
                prep_logged(person.role, s.prep_allowed),
            ),
            'P' => (
                AttendanceStatus::Partial,
                Some(s.partial_minutes),
                prep_logged(person.role, s.prep_allowed),
            ),
            'x' => (AttendanceStatus::Apologies, None, None),
            _ => continue,
        };
        records.push(RecordInput {
            member_id: member_id.clone(),
            status,
            attended_minutes,
            prep_minutes,
            role: None,
            notes: (status == AttendanceStatus::Partial)
                .then(|| "Left early for a hospital appointment".to_string()),
        });
    }
    meetings::save_register(conn, coordinator, &meeting.id, records).step(s.title)?;
    Ok(meeting.id)
}

/// A claim, and the coordinator's decision on it.
pub(super) fn claim(
    conn: &mut DbConnection,
    coordinator: &Actor,
    tom: &Actor,
    meeting_id: &str,
    ids: &[String],
    c: &Claim,
    late: expenses::Lateness,
) -> Result<()> {
    let who = PEOPLE[c.person].full_name;
    let made = expenses::create(
        conn,
        if c.by_member { tom } else { coordinator },
        meeting_id,
        NewExpense {
            member_id: ids[c.person].clone(),
            kind: c.kind,
            care_type: c.care_type,
            miles: c.tenths.map(Miles::from_tenths),
            passengers: (c.passengers > 0).then_some(c.passengers),
            amount: c.pence.map(Money::from_pence),
            receipt_ref: c.receipt.map(str::to_string),
            description: Some(c.description.into()),
        },
    )
    .step(who)?;
    match c.decision {
        Decision::Approve => {
            // Kept as the claim's late reason only if its session is long past.
            let reason = Some("The receipt came in after the session; it matches the claim.");
            expenses::decide(conn, coordinator, &made.id, true, reason, late).step(who)?;
        }
        Decision::Reject(reason) => {
            expenses::decide(conn, coordinator, &made.id, false, Some(reason), late).step(who)?;
        }
        Decision::Pending => {}
    }
    Ok(())
}
