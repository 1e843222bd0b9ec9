//! `coprod demo`: fills an empty database with a believable sample (a regional advisory group,
//! three months of sessions and claims, one paid pay run and one draft) and demo sign-ins for each
//! role. Every step goes through the services as the signed-in person would take it, so the sample
//! obeys every rule the API enforces.

mod sample;
mod steps;

use chrono::{Datelike, Days, Months, NaiveDate, Weekday};
use diesel::prelude::*;

use crate::config::Settings;
use crate::db::{Database, DbConnection};
use crate::services::auth::{self, Policy};
use crate::services::groups::{self, NewMembership};
use crate::services::members::{self, MemberFields};
use crate::services::payruns::{self, NewRun, PayRunView, RunPolicy};
use crate::services::{exports, Actor, Error, Result, Role};
use sample::*;
use steps::*;

pub const GROUP_NAME: &str = "North East Co-production Advisory Group";

/// A demo sign-in: known to anyone who reads this file, so for sample data only.
#[derive(Debug, Clone, Copy)]
pub struct Login {
    pub role: Role,
    pub email: &'static str,
    pub password: &'static str,
    /// The portal page to open first.
    pub start_at: &'static str,
}

pub const ADMIN: Login = Login {
    role: Role::Admin,
    email: "admin@example.org",
    password: "demo-admin-Tyne-Bridge",
    start_at: "/",
};
pub const COORDINATOR: Login = Login {
    role: Role::Coordinator,
    email: "coordinator@example.org",
    password: "demo-coordinator-Angel-North",
    start_at: "/",
};
pub const FINANCE: Login = Login {
    role: Role::Finance,
    email: "finance@example.org",
    password: "demo-finance-Quayside-Lantern",
    start_at: "/runs",
};
/// Tom Fairbairn, who receives ESA: his pages show a cap holding money back for later.
pub const MEMBER: Login = Login {
    role: Role::Member,
    email: "tom.fairbairn@example.org",
    password: "demo-member-Lindisfarne-Tide",
    start_at: "/me",
};

/// What the sample holds, for the summary printed after seeding.
#[derive(Debug, Clone)]
pub struct Demo {
    pub group_id: String,
    pub people: usize,
    pub sessions: usize,
    pub first_session: NaiveDate,
    pub last_session: NaiveDate,
    pub paid_run: PayRunView,
    pub draft_run: PayRunView,
    /// Who the member sign-in is.
    pub member_name: &'static str,
}

/// True when the database holds no account, member or group: the only kind `seed` fills.
pub fn is_empty(conn: &mut DbConnection) -> Result<bool> {
    use crate::db::schema::{accounts, groups, members};
    let accounts: i64 = accounts::table.count().get_result(conn)?;
    let members: i64 = members::table.count().get_result(conn)?;
    let groups: i64 = groups::table.count().get_result(conn)?;
    Ok(accounts + members + groups == 0)
}

/// What a failed step was, with the fields a validation error names: a failure here is a bug in
/// the sample, and the message should say where.
trait Step<T> {
    fn step(self, what: &str) -> Result<T>;
}

impl<T> Step<T> for Result<T> {
    fn step(self, what: &str) -> Result<T> {
        self.map_err(|e| {
            let detail = match &e {
                Error::Validation(fields) => fields
                    .iter()
                    .map(|f| format!("{} {}", f.field, f.message))
                    .collect::<Vec<_>>()
                    .join("; "),
                other => other.to_string(),
            };
            Error::Internal(anyhow::anyhow!(
                "the sample data could not be made ({what}: {detail}); start again with an empty database"
            ))
        })
    }
}

/// The latest Tuesday at least two days before `today`: the last meeting of the sample.
fn last_meeting_day(today: NaiveDate) -> NaiveDate {
    let since_tuesday = (today.weekday().num_days_from_monday() + 6) % 7;
    let tuesday = today - Days::new(u64::from(since_tuesday));
    if (today - tuesday).num_days() < 2 {
        tuesday - Days::new(7)
    } else {
        tuesday
    }
}

/// The first Friday after `today`.
fn next_friday(today: NaiveDate) -> NaiveDate {
    let ahead =
        (Weekday::Fri.num_days_from_monday() + 7 - today.weekday().num_days_from_monday()) % 7;
    today + Days::new(u64::from(if ahead == 0 { 7 } else { ahead }))
}

/// Fills an empty database with the sample, as of `today`, or refuses (a conflict) if anything is
/// already there. Blocking: call it off the async executor. Migrations must have been applied.
pub fn seed(db: &Database, settings: &Settings, today: NaiveDate) -> Result<Demo> {
    {
        let mut conn = db.get()?;
        if !is_empty(&mut conn)? {
            return Err(Error::Conflict(
                "The database already has accounts, members or groups, and `coprod demo` only fills an empty one: point database.url at a new database (for example COPROD__DATABASE__URL=sqlite://data/demo.sqlite3), or serve this one with `coprod serve`.".into(),
            ));
        }
    }
    let policy = Policy::new(&settings.auth, &settings.public_base());
    let run_policy = RunPolicy {
        approver_must_differ: settings.payruns.approver_must_differ,
        base_url: settings.public_base(),
    };
    let dates = Dates::around(today);
    let people = people(db, &policy, &dates)?;
    let mut conn = db.get()?;
    rate_card(&mut conn, &people.finance, &people.group_id, dates.began)?;
    choices(
        &mut conn,
        &people.coordinator,
        &people.tom,
        &people.member_ids,
        dates.began,
        &run_policy.base_url,
    )?;
    let late = crate::services::expenses::Lateness::from_settings(settings);
    let late = crate::services::expenses::Lateness { today, ..late };
    sessions_and_claims(&mut conn, &people, &dates, late)?;
    let (paid_run, draft_run) = runs(&mut conn, settings, &run_policy, &people, &dates, today)?;
    // The sessions the sample signed in with end here; the demo passwords still work.
    for actor in [
        &people.tom,
        &people.finance,
        &people.coordinator,
        &people.admin,
    ] {
        auth::logout(&mut conn, actor).step("signing out")?;
    }
    Ok(Demo {
        group_id: people.group_id,
        people: PEOPLE.len(),
        sessions: SESSIONS.len(),
        first_session: dates.first,
        last_session: dates.last,
        paid_run,
        draft_run,
        member_name: PEOPLE[TOM].full_name,
    })
}

/// The sample's dates, worked out from today: twelve weeks of sessions ending on the last
/// Tuesday, with the rate card, roles and choices beginning on the first of a month before.
struct Dates {
    first: NaiveDate,
    last: NaiveDate,
    began: NaiveDate,
}

impl Dates {
    fn around(today: NaiveDate) -> Dates {
        let last = last_meeting_day(today);
        let first = last - Days::new(84);
        let began = first
            .with_day(1)
            .and_then(|d| d.checked_sub_months(Months::new(2)))
            .unwrap_or(first);
        Dates { first, last, began }
    }

    /// The date `day` days after the first session.
    fn at(&self, day: u64) -> NaiveDate {
        self.first + Days::new(day)
    }
}

/// Who acts in the sample: the signed-in admin, coordinator, finance officer and member, the
/// group and everyone's member records.
struct People {
    admin: Actor,
    coordinator: Actor,
    finance: Actor,
    tom: Actor,
    group_id: String,
    member_ids: Vec<String>,
}

/// The admin, the group, the invited staff, every member with their role from a date, and the
/// member sign-in.
fn people(db: &Database, policy: &Policy, dates: &Dates) -> Result<People> {
    let admin = sign_in_admin(db, policy)?;
    let mut conn = db.get()?;
    let group = groups::create_group(
        &mut conn,
        &admin,
        GROUP_NAME,
        Some("People with lived experience of care and support, and unpaid carers, advising the region's councils and NHS on adult social care."),
    )
    .step("the group")?;
    drop(conn);
    let coordinator = invite(
        db,
        policy,
        &admin,
        COORDINATOR,
        None,
        vec![group.id.clone()],
    )?;
    let finance = invite(db, policy, &admin, FINANCE, None, Vec::new())?;
    let mut conn = db.get()?;
    let mut ids = Vec::with_capacity(PEOPLE.len());
    for (i, p) in PEOPLE.iter().enumerate() {
        let m = members::create(
            &mut conn,
            &coordinator,
            MemberFields {
                full_name: Some(p.full_name.into()),
                preferred_name: Some(p.preferred_name.map(str::to_string)),
                email: Some(p.email.map(str::to_string)),
                phone: Some(p.phone.map(str::to_string)),
                payee_reference: Some(Some(format!("NE-CPAG-{:03}", i + 1))),
                communication_needs: Some(p.communication_needs.map(str::to_string)),
                preferred_formats: Some(p.formats.iter().map(|f| f.to_string()).collect()),
                postal_address: Some(p.postal_address.map(str::to_string)),
                notes: Some(p.notes.map(str::to_string)),
                reason: None,
            },
        )
        .step(p.full_name)?;
        groups::add_membership(
            &mut conn,
            &coordinator,
            &group.id,
            NewMembership {
                member_id: m.id.clone(),
                role: p.role.into(),
                starts_on: p.joined_after.map_or(dates.began, |d| dates.at(d)),
                ends_on: None,
            },
        )
        .step(p.full_name)?;
        ids.push(m.id);
    }
    drop(conn);
    let tom = invite(
        db,
        policy,
        &admin,
        MEMBER,
        Some(ids[TOM].clone()),
        Vec::new(),
    )?;
    Ok(People {
        admin,
        coordinator,
        finance,
        tom,
        group_id: group.id,
        member_ids: ids,
    })
}

/// Every session with its register, and every claim at the session of its day.
fn sessions_and_claims(
    conn: &mut DbConnection,
    people: &People,
    dates: &Dates,
    late: crate::services::expenses::Lateness,
) -> Result<()> {
    let mut meeting_ids = Vec::with_capacity(SESSIONS.len());
    for s in &SESSIONS {
        let id = session(
            conn,
            &people.coordinator,
            &people.group_id,
            &people.member_ids,
            s,
            dates.at(s.day),
        )?;
        meeting_ids.push((s.day, id));
    }
    for c in &CLAIMS {
        let meeting = meeting_ids
            .iter()
            .find(|(day, _)| *day == c.day)
            .map(|(_, id)| id.clone())
            .ok_or_else(|| Error::Internal(anyhow::anyhow!("no session on day {}", c.day)))?;
        claim(
            conn,
            &people.coordinator,
            &people.tom,
            &meeting,
            &people.member_ids,
            c,
            late,
        )?;
    }
    Ok(())
}

/// The first run, drafted by the coordinator, approved and exported by finance, then paid; and
/// the second, waiting in draft for finance to review.
fn runs(
    conn: &mut DbConnection,
    settings: &Settings,
    run_policy: &RunPolicy,
    people: &People,
    dates: &Dates,
    today: NaiveDate,
) -> Result<(PayRunView, PayRunView)> {
    let paid_on = dates.at(FIRST_RUN_LAST_DAY + 5);
    let draft = payruns::create(
        conn,
        &people.coordinator,
        NewRun {
            group_id: Some(people.group_id.clone()),
            period_start: dates.first,
            period_end: dates.at(FIRST_RUN_LAST_DAY),
            payment_date: paid_on,
        },
    )
    .step("the first pay run")?;
    payruns::approve(
        conn,
        &people.finance,
        run_policy,
        &draft.id,
        draft.total,
        i64::from(draft.payment_count),
    )
    .step("approving the first pay run")?;
    let export = exports::begin(conn, &people.finance, &draft.id, "payroll")
        .step("exporting the first pay run")?;
    exports::write_csv(conn, &export, &settings.exports, 1000, std::io::sink())
        .step("exporting the first pay run")?;
    let paid_run = payruns::mark_paid(
        conn,
        &people.finance,
        run_policy,
        &draft.id,
        paid_on,
        Some(format!("BACS {}", paid_on.format("%Y%m%d"))),
    )
    .step("paying the first pay run")?;
    let draft_run = payruns::create(
        conn,
        &people.coordinator,
        NewRun {
            group_id: Some(people.group_id.clone()),
            period_start: dates.at(FIRST_RUN_LAST_DAY + 1),
            period_end: today - Days::new(1),
            payment_date: next_friday(today),
        },
    )
    .step("the second pay run")?;
    Ok((paid_run, draft_run))
}

impl Demo {
    /// The block printed after seeding: what was made, and how to sign in as each role.
    pub fn summary(&self, base_url: &str) -> String {
        let date = |d: NaiveDate| d.format("%-d %B %Y").to_string();
        let mut out = String::new();
        out.push_str(&format!(
            "Sample data is ready: the {GROUP_NAME}, {} people, {} sessions from {} to {},\n",
            self.people,
            self.sessions,
            date(self.first_session),
            date(self.last_session),
        ));
        out.push_str(&format!(
            "a paid pay run (£{} in {} payments, paid {}) and a draft run waiting for finance (£{} in {} payments).\n\n",
            self.paid_run.total,
            self.paid_run.payment_count,
            self.paid_run.paid_on.map_or_else(String::new, date),
            self.draft_run.total,
            self.draft_run.payment_count,
        ));
        out.push_str(&format!(
            "Open {base_url}/ and sign in with one of these DEMO accounts (sample data only, never for real work):\n\n"
        ));
        for login in [ADMIN, COORDINATOR, FINANCE, MEMBER] {
            let who = match login.role {
                Role::Member => format!(" ({}, who receives ESA)", self.member_name),
                Role::Coordinator => " (of the advisory group)".to_string(),
                _ => String::new(),
            };
            out.push_str(&format!(
                "  {:<12} {:<27} password {:<30} start at {}{who}\n",
                login.role.as_str(),
                login.email,
                login.password,
                login.start_at,
            ));
        }
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::NewPassword;

    #[test]
    fn every_demo_password_passes_the_policy() {
        for login in [ADMIN, COORDINATOR, FINANCE, MEMBER] {
            let checked = NewPassword::parse(&password(&login), &[login.email]);
            assert!(checked.is_ok(), "{}: {:?}", login.email, checked.err());
        }
    }

    #[test]
    fn the_last_meeting_is_a_tuesday_two_to_eight_days_ago_and_payday_a_friday_ahead() {
        let mut today = NaiveDate::from_ymd_opt(2026, 11, 1).unwrap();
        for _ in 0..14 {
            let last = last_meeting_day(today);
            assert_eq!(last.weekday(), Weekday::Tue);
            assert!((2..=8).contains(&(today - last).num_days()), "{today}");
            let pay = next_friday(today);
            assert_eq!(pay.weekday(), Weekday::Fri);
            assert!((1..=7).contains(&(pay - today).num_days()), "{today}");
            today = today + Days::new(1);
        }
    }

    #[test]
    fn every_register_has_a_letter_per_person_and_every_claim_a_session() {
        for s in &SESSIONS {
            assert_eq!(s.register.chars().count(), PEOPLE.len(), "{}", s.title);
            assert!(
                s.register.contains('P') == (s.partial_minutes > 0),
                "{}",
                s.title
            );
        }
        for c in &CLAIMS {
            assert!(SESSIONS.iter().any(|s| s.day == c.day), "day {}", c.day);
            assert!(!c.by_member || c.person == TOM);
        }
        assert!(SESSIONS.iter().any(|s| s.day <= FIRST_RUN_LAST_DAY));
        assert!(SESSIONS.iter().any(|s| s.day > FIRST_RUN_LAST_DAY));
    }
}
