//! The sample itself: the people of the group (with their roles, choices and needs), its sessions
//! over twelve weeks, and the claims made at them. Names, places and numbers are invented; phone
//! numbers are from Ofcom's range kept for drama.

use crate::domain::records::{CareType, ExpenseKind};

use super::MEMBER;

/// One person in the group. Phone numbers are from Ofcom's range kept for drama.
pub(super) struct Person {
    pub(super) full_name: &'static str,
    pub(super) preferred_name: Option<&'static str>,
    pub(super) email: Option<&'static str>,
    pub(super) phone: Option<&'static str>,
    pub(super) communication_needs: Option<&'static str>,
    /// The formats their statements, letters and emails are made in (`domain::formats`).
    pub(super) formats: &'static [&'static str],
    pub(super) postal_address: Option<&'static str>,
    pub(super) notes: Option<&'static str>,
    pub(super) role: &'static str,
    /// Days after the first session that a late joiner joined.
    pub(super) joined_after: Option<u64>,
}

// Where the people named by choices and claims are in `PEOPLE` (Chloe, at 3, is named by none).
pub(super) const PATRICIA: usize = 0;
pub(super) const IMRAN: usize = 1;
pub(super) const PEGGY: usize = 2;
pub(super) const TOM: usize = 4;
pub(super) const AISHA: usize = 5;
pub(super) const GARETH: usize = 6;
pub(super) const EILEEN: usize = 7;
pub(super) const KWAME: usize = 8;
pub(super) const JOAN: usize = 9;
pub(super) const LINDA: usize = 10;

pub(super) const PEOPLE: [Person; 11] = [
    Person {
        full_name: "Patricia Hughes",
        preferred_name: None,
        email: Some("patricia.hughes@example.org"),
        phone: Some("07700 900101"),
        communication_needs: None,
        formats: &[],
        postal_address: None,
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
        formats: &[],
        postal_address: None,
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
        formats: &[],
        postal_address: None,
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
        formats: &[],
        postal_address: None,
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
        formats: &[],
        postal_address: None,
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
        formats: &[],
        postal_address: None,
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
        formats: &[],
        postal_address: None,
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
        formats: &["large_print"],
        postal_address: Some("14 Coquet Terrace\nMorpeth\nNE61 1AA"),
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
        formats: &[],
        postal_address: None,
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
        formats: &["easy_read"],
        postal_address: None,
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
        formats: &[],
        postal_address: None,
        notes: Some("Cares for her husband; claims a sitting service when she attends."),
        role: "carer_representative",
        joined_after: None,
    },
];

/// A meeting, workshop or review, `day` days after the first session.
pub(super) struct Session {
    pub(super) day: u64,
    pub(super) kind: &'static str,
    pub(super) title: &'static str,
    pub(super) starts_at: &'static str,
    pub(super) minutes: i64,
    pub(super) prep_allowed: i64,
    pub(super) location: Option<&'static str>,
    pub(super) online: bool,
    /// One letter per person, in the order of `PEOPLE`: `A` attended, `P` partial (for
    /// `partial_minutes`), `x` apologies, `-` no record.
    pub(super) register: &'static str,
    pub(super) partial_minutes: i64,
}

pub(super) const CIVIC_CENTRE: Option<&str> = Some("Committee Room 2, Gateshead Civic Centre");
pub(super) const CARERS_CENTRE: Option<&str> = Some("Tyneside Carers' Centre, Newcastle upon Tyne");

/// Fortnightly meetings on Tuesdays, workshops on Thursdays between them, one online review. The
/// first pay run pays the sessions up to day 40.
pub(super) const SESSIONS: [Session; 11] = [
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
pub(super) const FIRST_RUN_LAST_DAY: u64 = 40;

pub(super) enum Decision {
    Approve,
    Reject(&'static str),
    Pending,
}

/// An expense claim for the session on `day`: mileage in tenths of a mile, anything else in pence.
pub(super) struct Claim {
    pub(super) day: u64,
    pub(super) person: usize,
    pub(super) kind: ExpenseKind,
    pub(super) tenths: Option<i32>,
    pub(super) passengers: i64,
    pub(super) pence: Option<i64>,
    pub(super) care_type: Option<CareType>,
    pub(super) receipt: Option<&'static str>,
    pub(super) description: &'static str,
    pub(super) decision: Decision,
    /// Made by the member through their own sign-in rather than by the coordinator.
    pub(super) by_member: bool,
}

pub(super) const fn miles(
    day: u64,
    person: usize,
    tenths: i32,
    passengers: i64,
    what: &'static str,
) -> Claim {
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

pub(super) const fn spent(
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

pub(super) const fn care(day: u64, person: usize, pence: i64, receipt: &'static str) -> Claim {
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

pub(super) const EILEENS_DRIVE: &str = "Home to Gateshead Civic Centre and back";
pub(super) const TOMS_BUS: &str = "Bus, Blaydon to Gateshead and back";
pub(super) const TAXI_REFUSED: &str =
    "Taxis need agreeing with the coordinator before the meeting. Please \
                            claim your bus fare instead, and ask us to book a taxi next time.";

pub(super) const CLAIMS: [Claim; 19] = [
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
