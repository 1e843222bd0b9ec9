//! Before a session: a member's reply to an invitation, the access needs they tell with it, when a
//! reply link stops working and when the reminder is due. Pure: no database, no clock.

use chrono::{NaiveDate, NaiveDateTime, NaiveTime, TimeDelta};
use serde::{Deserialize, Serialize};

/// What a member said about coming to a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Reply {
    /// Not replied yet.
    None,
    Attending,
    NotAttending,
    Maybe,
}

impl Reply {
    pub const ANSWERS: [Reply; 3] = [Reply::Attending, Reply::NotAttending, Reply::Maybe];

    pub fn as_str(self) -> &'static str {
        match self {
            Reply::None => "none",
            Reply::Attending => "attending",
            Reply::NotAttending => "not_attending",
            Reply::Maybe => "maybe",
        }
    }

    pub fn parse(s: &str) -> Option<Reply> {
        [
            Reply::None,
            Reply::Attending,
            Reply::NotAttending,
            Reply::Maybe,
        ]
        .into_iter()
        .find(|r| r.as_str() == s)
    }

    /// In the member's words, as on the links of the invitation.
    pub fn words(self) -> &'static str {
        match self {
            Reply::None => "Not replied yet",
            Reply::Attending => "I will come",
            Reply::NotAttending => "I cannot come",
            Reply::Maybe => "I might come",
        }
    }

    /// As the coordinator reads it.
    pub fn status_words(self) -> &'static str {
        match self {
            Reply::None => "Not replied",
            Reply::Attending => "Coming",
            Reply::NotAttending => "Cannot come",
            Reply::Maybe => "Might come",
        }
    }
}

/// Something a member needs to take part in a session.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum AccessNeed {
    Interpreter,
    LargePrintPapers,
    StepFree,
    QuietSpace,
    Companion,
}

impl AccessNeed {
    /// In the order they are stored and shown.
    pub const ALL: [AccessNeed; 5] = [
        AccessNeed::Interpreter,
        AccessNeed::LargePrintPapers,
        AccessNeed::StepFree,
        AccessNeed::QuietSpace,
        AccessNeed::Companion,
    ];

    pub fn code(self) -> &'static str {
        match self {
            AccessNeed::Interpreter => "interpreter",
            AccessNeed::LargePrintPapers => "large_print_papers",
            AccessNeed::StepFree => "step_free",
            AccessNeed::QuietSpace => "quiet_space",
            AccessNeed::Companion => "companion",
        }
    }

    pub fn parse(code: &str) -> Option<AccessNeed> {
        AccessNeed::ALL.into_iter().find(|n| n.code() == code)
    }

    pub fn words(self) -> &'static str {
        match self {
            AccessNeed::Interpreter => "An interpreter (such as British Sign Language)",
            AccessNeed::LargePrintPapers => "Papers in large print",
            AccessNeed::StepFree => "A step-free room",
            AccessNeed::QuietSpace => "A quiet space",
            AccessNeed::Companion => "Someone with me (a carer, supporter or friend)",
        }
    }

    /// Words in a member's communication needs that suggest this need.
    fn hints(self) -> &'static [&'static str] {
        match self {
            AccessNeed::Interpreter => &["interpreter", "bsl", "sign language"],
            AccessNeed::LargePrintPapers => &["large print", "large-print", "larger print"],
            AccessNeed::StepFree => &["step-free", "step free", "wheelchair", "lift", "ramp"],
            AccessNeed::QuietSpace => &["quiet"],
            AccessNeed::Companion => &[
                "carer",
                "companion",
                "supporter",
                "support worker",
                "personal assistant",
            ],
        }
    }
}

/// The needs of one reply, in the fixed order of `AccessNeed::ALL`.
pub fn stored_needs(needs: &[AccessNeed]) -> String {
    AccessNeed::ALL
        .into_iter()
        .filter(|n| needs.contains(n))
        .map(AccessNeed::code)
        .collect::<Vec<_>>()
        .join(",")
}

/// Reads stored needs; unknown codes (from a later version) are left out.
pub fn needs_from_stored(s: &str) -> Vec<AccessNeed> {
    s.split(',').filter_map(AccessNeed::parse).collect()
}

/// The needs a member's communication needs suggest, to tick in advance on their reply (they
/// can untick any).
pub fn suggested_needs(communication_needs: Option<&str>) -> Vec<AccessNeed> {
    let Some(text) = communication_needs else {
        return Vec::new();
    };
    let text = text.to_lowercase();
    AccessNeed::ALL
        .into_iter()
        .filter(|n| n.hints().iter().any(|h| text.contains(h)))
        .collect()
}

/// A reply link works until the end of the session's day.
pub fn link_expires(meeting_date: NaiveDate) -> NaiveDateTime {
    (meeting_date + TimeDelta::days(1)).and_time(NaiveTime::MIN)
}

/// Whether the reminder of a session on `meeting_date` is due on `today`: from `reminder_days`
/// before it up to the day itself.
pub fn reminder_due(meeting_date: NaiveDate, reminder_days: i32, today: NaiveDate) -> bool {
    today <= meeting_date && meeting_date - TimeDelta::days(i64::from(reminder_days)) <= today
}

/// What changed about a session that people were invited to, in words, or nothing when nothing
/// they were told about changed.
pub struct Changed<'a> {
    pub date: (NaiveDate, NaiveDate),
    pub starts_at: (Option<&'a str>, Option<&'a str>),
    pub minutes: (i32, i32),
    pub place: (Option<&'a str>, Option<&'a str>),
}

impl Changed<'_> {
    pub fn words(&self) -> Vec<String> {
        let mut out = Vec::new();
        if self.date.0 != self.date.1 {
            out.push(format!(
                "The date is now {} (it was {}).",
                self.date.1.format("%A %-d %B %Y"),
                self.date.0.format("%A %-d %B %Y")
            ));
        }
        if self.starts_at.0 != self.starts_at.1 {
            out.push(match self.starts_at.1 {
                Some(t) => format!("It now starts at {t}."),
                None => "It no longer has a set start time.".to_string(),
            });
        }
        if self.minutes.0 != self.minutes.1 {
            out.push(format!(
                "It now lasts {} (it was {}).",
                duration_words(self.minutes.1),
                duration_words(self.minutes.0)
            ));
        }
        if self.place.0 != self.place.1 {
            out.push(match self.place.1 {
                Some(p) => format!("It is now at {p}."),
                None => "Its place is to be confirmed.".to_string(),
            });
        }
        out
    }
}

/// "2 hours", "1 hour 30 minutes", "45 minutes".
pub fn duration_words(minutes: i32) -> String {
    let (h, m) = (minutes / 60, minutes % 60);
    let hours = match h {
        0 => String::new(),
        1 => "1 hour".to_string(),
        h => format!("{h} hours"),
    };
    let mins = match m {
        0 => String::new(),
        1 => "1 minute".to_string(),
        m => format!("{m} minutes"),
    };
    match (hours.is_empty(), mins.is_empty()) {
        (true, true) => "0 minutes".to_string(),
        (false, true) => hours,
        (true, false) => mins,
        (false, false) => format!("{hours} {mins}"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn replies_round_trip_through_their_codes() {
        for r in [
            Reply::None,
            Reply::Attending,
            Reply::NotAttending,
            Reply::Maybe,
        ] {
            assert_eq!(Reply::parse(r.as_str()), Some(r));
        }
        assert_eq!(Reply::parse("yes"), None);
    }

    #[test]
    fn needs_are_stored_in_a_fixed_order_and_read_back() {
        let s = stored_needs(&[AccessNeed::QuietSpace, AccessNeed::Interpreter]);
        assert_eq!(s, "interpreter,quiet_space");
        assert_eq!(
            needs_from_stored(&s),
            vec![AccessNeed::Interpreter, AccessNeed::QuietSpace]
        );
        assert_eq!(needs_from_stored(""), vec![]);
        assert_eq!(
            needs_from_stored("interpreter,telepathy"),
            vec![AccessNeed::Interpreter]
        );
    }

    #[test]
    fn communication_needs_suggest_access_needs() {
        assert_eq!(
            suggested_needs(Some(
                "Large print please; I use a wheelchair and come with my carer"
            )),
            vec![
                AccessNeed::LargePrintPapers,
                AccessNeed::StepFree,
                AccessNeed::Companion
            ]
        );
        assert_eq!(
            suggested_needs(Some("BSL interpreter")),
            vec![AccessNeed::Interpreter]
        );
        assert_eq!(suggested_needs(None), vec![]);
        assert_eq!(suggested_needs(Some("Easy Read")), vec![]);
    }

    #[test]
    fn a_link_works_to_the_end_of_the_session_s_day() {
        assert_eq!(
            link_expires(d("2026-10-25")),
            d("2026-10-26").and_time(NaiveTime::MIN)
        );
    }

    #[test]
    fn the_reminder_is_due_from_its_day_to_the_session() {
        let session = d("2026-03-12");
        assert!(!reminder_due(session, 2, d("2026-03-09")));
        assert!(reminder_due(session, 2, d("2026-03-10")));
        assert!(reminder_due(session, 2, d("2026-03-12")));
        assert!(!reminder_due(session, 2, d("2026-03-13")));
        assert!(reminder_due(session, 0, d("2026-03-12")));
        assert!(!reminder_due(session, 0, d("2026-03-11")));
    }

    #[test]
    fn changes_are_said_in_words() {
        let c = Changed {
            date: (d("2026-03-12"), d("2026-03-19")),
            starts_at: (Some("10:00"), Some("10:00")),
            minutes: (120, 90),
            place: (Some("Town Hall"), Some("Library, Room 2")),
        };
        assert_eq!(
            c.words(),
            vec![
                "The date is now Thursday 19 March 2026 (it was Thursday 12 March 2026).",
                "It now lasts 1 hour 30 minutes (it was 2 hours).",
                "It is now at Library, Room 2.",
            ]
        );
        let same = Changed {
            date: (d("2026-03-12"), d("2026-03-12")),
            starts_at: (None, None),
            minutes: (60, 60),
            place: (None, None),
        };
        assert!(same.words().is_empty());
    }

    #[test]
    fn durations_in_words() {
        assert_eq!(duration_words(120), "2 hours");
        assert_eq!(duration_words(90), "1 hour 30 minutes");
        assert_eq!(duration_words(45), "45 minutes");
        assert_eq!(duration_words(61), "1 hour 1 minute");
    }
}
