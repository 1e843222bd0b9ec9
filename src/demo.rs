//! `coprod demo`: fills an empty database with a believable sample (a regional advisory group,
//! three months of sessions and claims, one paid pay run and one draft) and demo sign-ins for each
//! role. Every step goes through the services as the signed-in person would take it, so the sample
//! obeys every rule the API enforces.

use chrono::{Datelike, Days, Months, NaiveDate, Weekday};
use diesel::prelude::*;
use secrecy::{ExposeSecret, SecretString};

use crate::config::Settings;
use crate::db::{write_tx, Database, DbConnection};
use crate::domain::records::{AttendanceStatus, CareType, ExpenseKind, Miles};
use crate::domain::{Money, NewPassword};
use crate::services::accounts::{self, NewAccount};
use crate::services::auth::{self, Policy};
use crate::services::expenses::{self, NewExpense};
use crate::services::groups::{self, NewMembership};
use crate::services::meetings::{self, MeetingFields, RecordInput};
use crate::services::members::{self, MemberFields};
use crate::services::payruns::{self, NewRun, PayRunView, RunPolicy};
use crate::services::preferences::{self, CapInput, PreferenceInput};
use crate::services::rates::{self, NewCard, RuleInput};
use crate::services::{exports, secrets, Actor, Error, Result, Role};

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

/// One person in the group. Phone numbers are from Ofcom's range kept for drama.
struct Person {
    full_name: &'static str,
    preferred_name: Option<&'static str>,
    email: Option<&'static str>,
    phone: Option<&'static str>,
    communication_needs: Option<&'static str>,
    notes: Option<&'static str>,
    role: &'static str,
    /// Days after the first session that a late joiner joined.
    joined_after: Option<u64>,
}

// Where the people named by choices and claims are in `PEOPLE` (Chloe, at 3, is named by none).
const PATRICIA: usize = 0;
const IMRAN: usize = 1;
const PEGGY: usize = 2;
const TOM: usize = 4;
const AISHA: usize = 5;
const GARETH: usize = 6;
const EILEEN: usize = 7;
const KWAME: usize = 8;
const JOAN: usize = 9;
const LINDA: usize = 10;

const PEOPLE: [Person; 11] = [
    Person {
        full_name: "Patricia Hughes",
        preferred_name: None,
        email: Some("patricia.hughes@example.org"),
        phone: Some("07700 900101"),
        communication_needs: None,
        notes: Some("Co-chair since the group began."),
        role: "co_chair",
        joined_after: None,
    },
    Person {
        full_name: "Imran Chaudhry",
        preferred_name: None,
        email: Some("imran.chaudhry@example.org"),
        phone: Some("07700 900102"),
        communication_needs: None,
        notes: Some("Co-chair; paid through payroll as he asked."),
        role: "co_chair",
        joined_after: None,
    },
    Person {
        full_name: "Margaret Ellison",
        preferred_name: Some("Peggy"),
        email: Some("peggy.ellison@example.org"),
        phone: Some("07700 900103"),
        communication_needs: Some("Papers a week ahead, please."),
        notes: None,
        role: "lived_experience_associate",
        joined_after: None,
    },
    Person {
        full_name: "Chloe Bennett",
        preferred_name: None,
        email: Some("chloe.bennett@example.org"),
        phone: None,
        communication_needs: None,
        notes: Some("Joined after the first meeting."),
        role: "lived_experience_associate",
        joined_after: Some(7),
    },
    Person {
        full_name: "Tom Fairbairn",
        preferred_name: None,
        email: Some(MEMBER.email),
        phone: Some("07700 900105"),
        communication_needs: None,
        notes: Some("Receives ESA; keeps within the permitted work limit."),
        role: "member",
        joined_after: None,
    },
    Person {
        full_name: "Aisha Rahman",
        preferred_name: None,
        email: Some("aisha.rahman@example.org"),
        phone: Some("07700 900106"),
        communication_needs: None,
        notes: Some("Universal Credit; her assessment period starts on the 15th."),
        role: "member",
        joined_after: None,
    },
    Person {
        full_name: "Gareth Pritchard",
        preferred_name: None,
        email: Some("gareth.pritchard@example.org"),
        phone: None,
        communication_needs: None,
        notes: None,
        role: "member",
        joined_after: None,
    },
    Person {
        full_name: "Eileen Doherty",
        preferred_name: None,
        email: None,
        phone: Some("07700 900108"),
        communication_needs: Some("Large print; letters by post."),
        notes: Some("Takes no fee; expenses only."),
        role: "member",
        joined_after: None,
    },
    Person {
        full_name: "Kwame Mensah",
        preferred_name: None,
        email: Some("kwame.mensah@example.org"),
        phone: None,
        communication_needs: None,
        notes: None,
        role: "member",
        joined_after: None,
    },
    Person {
        full_name: "Joan Whitfield",
        preferred_name: None,
        email: None,
        phone: Some("07700 900110"),
        communication_needs: Some("Easy read, and a phone call before each meeting."),
        notes: None,
        role: "member",
        joined_after: None,
    },
    Person {
        full_name: "Linda Armstrong",
        preferred_name: None,
        email: None,
        phone: Some("07700 900111"),
        communication_needs: None,
        notes: Some("Cares for her husband; claims a sitting service when she attends."),
        role: "carer_representative",
        joined_after: None,
    },
];

/// A meeting, workshop or review, `day` days after the first session.
struct Session {
    day: u64,
    kind: &'static str,
    title: &'static str,
    starts_at: &'static str,
    minutes: i64,
    prep_allowed: i64,
    location: Option<&'static str>,
    online: bool,
    /// One letter per person, in the order of `PEOPLE`: `A` attended, `P` partial (for
    /// `partial_minutes`), `x` apologies, `-` no record.
    register: &'static str,
    partial_minutes: i64,
}

const CIVIC_CENTRE: Option<&str> = Some("Committee Room 2, Gateshead Civic Centre");
const CARERS_CENTRE: Option<&str> = Some("Tyneside Carers' Centre, Newcastle upon Tyne");

/// Fortnightly meetings on Tuesdays, workshops on Thursdays between them, one online review. The
/// first pay run pays the sessions up to day 40.
const SESSIONS: [Session; 11] = [
    Session {
        day: 0,
        kind: "meeting",
        title: "Advisory group: welcome and terms of reference",
        starts_at: "10:30",
        minutes: 150,
        prep_allowed: 60,
        location: CIVIC_CENTRE,
        online: false,
        register: "AAA-AAAAxAA",
        partial_minutes: 0,
    },
    Session {
        day: 9,
        kind: "workshop",
        title: "Workshop: easy-read leaflets about care charges",
        starts_at: "13:30",
        minutes: 120,
        prep_allowed: 30,
        location: CARERS_CENTRE,
        online: false,
        register: "--AAA-AA-A-",
        partial_minutes: 0,
    },
    Session {
        day: 14,
        kind: "meeting",
        title: "Advisory group: the adult social care strategy",
        starts_at: "10:30",
        minutes: 150,
        prep_allowed: 60,
        location: CIVIC_CENTRE,
        online: false,
        register: "APAAAAxAAAx",
        partial_minutes: 90,
    },
    Session {
        day: 28,
        kind: "meeting",
        title: "Advisory group: away day",
        starts_at: "09:30",
        minutes: 330,
        prep_allowed: 60,
        location: Some("The Lit & Phil, Westgate Road, Newcastle upon Tyne"),
        online: false,
        register: "AAAAAAAAAxA",
        partial_minutes: 0,
    },
    Session {
        day: 37,
        kind: "workshop",
        title: "Workshop: co-designing the carers' survey",
        starts_at: "13:30",
        minutes: 120,
        prep_allowed: 30,
        location: CARERS_CENTRE,
        online: false,
        register: "A-AA-A-A-AA",
        partial_minutes: 0,
    },
    Session {
        day: 42,
        kind: "meeting",
        title: "Advisory group: hospital discharge, in our words",
        starts_at: "10:30",
        minutes: 150,
        prep_allowed: 60,
        location: CIVIC_CENTRE,
        online: false,
        register: "AAxAAAPAAAA",
        partial_minutes: 100,
    },
    Session {
        day: 50,
        kind: "document_review",
        title: "Document review: draft Market Position Statement",
        starts_at: "14:00",
        minutes: 60,
        prep_allowed: 0,
        location: None,
        online: true,
        register: "A-AA-------",
        partial_minutes: 0,
    },
    Session {
        day: 56,
        kind: "meeting",
        title: "Advisory group: carers' assessments",
        starts_at: "10:30",
        minutes: 150,
        prep_allowed: 60,
        location: CIVIC_CENTRE,
        online: false,
        register: "AAAAAxAAAAA",
        partial_minutes: 0,
    },
    Session {
        day: 65,
        kind: "workshop",
        title: "Workshop: interview panel training",
        starts_at: "13:30",
        minutes: 120,
        prep_allowed: 30,
        location: CARERS_CENTRE,
        online: false,
        register: "-APAA-A--A-",
        partial_minutes: 90,
    },
    Session {
        day: 70,
        kind: "meeting",
        title: "Advisory group: the annual report",
        starts_at: "10:30",
        minutes: 150,
        prep_allowed: 60,
        location: CIVIC_CENTRE,
        online: false,
        register: "AAAAAAAxAAA",
        partial_minutes: 0,
    },
    Session {
        day: 84,
        kind: "meeting",
        title: "Advisory group: planning next year",
        starts_at: "10:30",
        minutes: 150,
        prep_allowed: 60,
        location: CIVIC_CENTRE,
        online: false,
        register: "PAAAAAAAAAx",
        partial_minutes: 120,
    },
];

/// The last day the first (paid) run covers.
const FIRST_RUN_LAST_DAY: u64 = 40;

enum Decision {
    Approve,
    Reject(&'static str),
    Pending,
}

/// An expense claim for the session on `day`: mileage in tenths of a mile, anything else in pence.
struct Claim {
    day: u64,
    person: usize,
    kind: ExpenseKind,
    tenths: Option<i32>,
    passengers: i64,
    pence: Option<i64>,
    care_type: Option<CareType>,
    receipt: Option<&'static str>,
    description: &'static str,
    decision: Decision,
    /// Made by the member through their own sign-in rather than by the coordinator.
    by_member: bool,
}

const fn miles(day: u64, person: usize, tenths: i32, passengers: i64, what: &'static str) -> Claim {
    Claim {
        day,
        person,
        kind: ExpenseKind::Car,
        tenths: Some(tenths),
        passengers,
        pence: None,
        care_type: None,
        receipt: None,
        description: what,
        decision: Decision::Approve,
        by_member: false,
    }
}

const fn spent(
    day: u64,
    person: usize,
    kind: ExpenseKind,
    pence: i64,
    what: &'static str,
) -> Claim {
    Claim {
        day,
        person,
        kind,
        tenths: None,
        passengers: 0,
        pence: Some(pence),
        care_type: None,
        receipt: None,
        description: what,
        decision: Decision::Approve,
        by_member: false,
    }
}

const fn care(day: u64, person: usize, pence: i64, receipt: &'static str) -> Claim {
    Claim {
        care_type: Some(CareType::ReplacementCare),
        receipt: Some(receipt),
        ..spent(
            day,
            person,
            ExpenseKind::Care,
            pence,
            "Sitting service for my husband while I was at the group",
        )
    }
}

const EILEENS_DRIVE: &str = "Home to Gateshead Civic Centre and back";
const TOMS_BUS: &str = "Bus, Blaydon to Gateshead and back";
const TAXI_REFUSED: &str = "Taxis need agreeing with the coordinator before the meeting. Please \
                            claim your bus fare instead, and ask us to book a taxi next time.";

const CLAIMS: [Claim; 19] = [
    miles(0, EILEEN, 245, 0, EILEENS_DRIVE),
    spent(0, TOM, ExpenseKind::PublicTransport, 480, TOMS_BUS),
    miles(0, PATRICIA, 120, 1, "Whitley Bay and back, with Linda"),
    miles(14, EILEEN, 245, 0, EILEENS_DRIVE),
    Claim {
        decision: Decision::Reject(TAXI_REFUSED),
        ..spent(14, JOAN, ExpenseKind::Taxi, 1840, "Taxi home")
    },
    spent(
        14,
        JOAN,
        ExpenseKind::PublicTransport,
        360,
        "Bus fare, Felling to Gateshead and back",
    ),
    care(28, LINDA, 5400, "Crossroads invoice 2231"),
    Claim {
        receipt: Some("Car park ticket"),
        ..spent(28, GARETH, ExpenseKind::Parking, 650, "Car park, Newcastle")
    },
    miles(28, EILEEN, 318, 0, "Home to Newcastle and back"),
    spent(
        28,
        KWAME,
        ExpenseKind::PublicTransport,
        440,
        "Metro day ticket",
    ),
    miles(42, EILEEN, 245, 0, EILEENS_DRIVE),
    spent(42, TOM, ExpenseKind::PublicTransport, 480, TOMS_BUS),
    spent(
        50,
        PEGGY,
        ExpenseKind::HomeAllowance,
        1000,
        "Home participation allowance for the online review",
    ),
    care(56, LINDA, 5400, "Crossroads invoice 2284"),
    miles(56, EILEEN, 245, 0, EILEENS_DRIVE),
    spent(
        70,
        AISHA,
        ExpenseKind::PublicTransport,
        520,
        "Bus, Jarrow to Gateshead and back",
    ),
    Claim {
        decision: Decision::Pending,
        receipt: Some("Car park ticket"),
        ..spent(70, GARETH, ExpenseKind::Parking, 650, "Car park, Gateshead")
    },
    Claim {
        decision: Decision::Pending,
        ..miles(84, EILEEN, 245, 0, EILEENS_DRIVE)
    },
    Claim {
        decision: Decision::Pending,
        by_member: true,
        ..spent(84, TOM, ExpenseKind::PublicTransport, 480, TOMS_BUS)
    },
];

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

    let last = last_meeting_day(today);
    let first = last - Days::new(84);
    let at = |day: u64| first + Days::new(day);
    // The group's rate card, roles and choices begin on the first of a month before the sample.
    let began = first
        .with_day(1)
        .and_then(|d| d.checked_sub_months(Months::new(2)))
        .unwrap_or(first);

    let admin = sign_in_admin(db, &policy)?;
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
        &policy,
        &admin,
        COORDINATOR,
        None,
        vec![group.id.clone()],
    )?;
    let finance = invite(db, &policy, &admin, FINANCE, None, Vec::new())?;

    let mut conn = db.get()?;
    rate_card(&mut conn, &finance, &group.id, began)?;

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
                starts_on: p.joined_after.map_or(began, at),
                ends_on: None,
            },
        )
        .step(p.full_name)?;
        ids.push(m.id);
    }
    drop(conn);

    let tom = invite(
        db,
        &policy,
        &admin,
        MEMBER,
        Some(ids[TOM].clone()),
        Vec::new(),
    )?;

    let mut conn = db.get()?;
    choices(
        &mut conn,
        &coordinator,
        &tom,
        &ids,
        began,
        &run_policy.base_url,
    )?;

    let mut meeting_ids = Vec::with_capacity(SESSIONS.len());
    for s in &SESSIONS {
        let id = session(&mut conn, &coordinator, &group.id, &ids, s, at(s.day))?;
        meeting_ids.push((s.day, id));
    }
    for c in &CLAIMS {
        let meeting = meeting_ids
            .iter()
            .find(|(day, _)| *day == c.day)
            .map(|(_, id)| id.clone())
            .ok_or_else(|| Error::Internal(anyhow::anyhow!("no session on day {}", c.day)))?;
        claim(&mut conn, &coordinator, &tom, &meeting, &ids, c)?;
    }

    // The first run: drafted by the coordinator, approved and exported by finance, then paid.
    let paid_on = at(FIRST_RUN_LAST_DAY + 5);
    let draft = payruns::create(
        &mut conn,
        &coordinator,
        NewRun {
            group_id: Some(group.id.clone()),
            period_start: first,
            period_end: at(FIRST_RUN_LAST_DAY),
            payment_date: paid_on,
        },
    )
    .step("the first pay run")?;
    payruns::approve(
        &mut conn,
        &finance,
        &run_policy,
        &draft.id,
        draft.total,
        i64::from(draft.payment_count),
    )
    .step("approving the first pay run")?;
    let export = exports::begin(&mut conn, &finance, &draft.id, "payroll")
        .step("exporting the first pay run")?;
    exports::write_csv(&mut conn, &export, &settings.exports, 1000, std::io::sink())
        .step("exporting the first pay run")?;
    let paid_run = payruns::mark_paid(
        &mut conn,
        &finance,
        &run_policy,
        &draft.id,
        paid_on,
        Some(format!("BACS {}", paid_on.format("%Y%m%d"))),
    )
    .step("paying the first pay run")?;

    // The second run waits in draft for finance to review and approve.
    let draft_run = payruns::create(
        &mut conn,
        &coordinator,
        NewRun {
            group_id: Some(group.id.clone()),
            period_start: at(FIRST_RUN_LAST_DAY + 1),
            period_end: today - Days::new(1),
            payment_date: next_friday(today),
        },
    )
    .step("the second pay run")?;

    // The sessions the sample signed in with end here; the demo passwords still work.
    for actor in [&tom, &finance, &coordinator, &admin] {
        auth::logout(&mut conn, actor).step("signing out")?;
    }

    Ok(Demo {
        group_id: group.id,
        people: PEOPLE.len(),
        sessions: SESSIONS.len(),
        first_session: first,
        last_session: last,
        paid_run,
        draft_run,
        member_name: PEOPLE[TOM].full_name,
    })
}

fn password(login: &Login) -> SecretString {
    SecretString::from(login.password.to_string())
}

/// The demo admin, made as `coprod admin create` makes one, then signed in.
fn sign_in_admin(db: &Database, policy: &Policy) -> Result<Actor> {
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
fn invite(
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
fn invitation_token(conn: &mut DbConnection, email: &str) -> Result<String> {
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
fn pounds(whole: i64) -> Option<Money> {
    Some(Money::from_pence(whole * 100))
}

/// The group's rates: bands for meetings, hourly for workshops and associates, a fixed fee for a
/// document review.
fn rate_card(
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

fn choice(from: NaiveDate, fee_choice: &str, method: &str) -> PreferenceInput {
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
fn choices(
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
fn prep_logged(role: &str, allowed: i64) -> Option<i64> {
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
fn session(
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
fn claim(
    conn: &mut DbConnection,
    coordinator: &Actor,
    tom: &Actor,
    meeting_id: &str,
    ids: &[String],
    c: &Claim,
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
            expenses::decide(conn, coordinator, &made.id, true, None).step(who)?;
        }
        Decision::Reject(reason) => {
            expenses::decide(conn, coordinator, &made.id, false, Some(reason)).step(who)?;
        }
        Decision::Pending => {}
    }
    Ok(())
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
