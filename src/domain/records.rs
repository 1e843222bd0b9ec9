//! The rules of what coordinators log after a session: attendance records and expense claims.
//! Pure checks; the services apply them before anything is written.

use std::fmt;
use std::str::FromStr;

use rust_decimal::Decimal;
use serde::{de, Deserialize, Deserializer, Serialize, Serializer};

/// The longest anything can last: a day, in minutes.
pub const MAX_MINUTES: i32 = 1440;

crate::codes! {
    /// Whether and how a member came to a session.
    pub enum AttendanceStatus ("attendance status") {
        Attended = "attended",
        Partial = "partial",
        Apologies = "apologies",
        Absent = "absent",
    }

    /// What an expense claim is for.
    pub enum ExpenseKind ("kind of expense") {
        Car = "car",
        Motorcycle = "motorcycle",
        Bicycle = "bicycle",
        PublicTransport = "public_transport",
        Taxi = "taxi",
        Parking = "parking",
        Care = "care",
        Subsistence = "subsistence",
        HomeAllowance = "home_allowance",
        Other = "other",
    }

    /// Who cared for someone while the member took part.
    pub enum CareType ("kind of care") {
        ReplacementCare = "replacement_care",
        Childcare = "childcare",
        PersonalAssistant = "personal_assistant",
    }

    /// Where an expense claim is: waiting for a coordinator, approved or rejected.
    pub enum ClaimStatus ("claim status") {
        Pending = "pending",
        Approved = "approved",
        Rejected = "rejected",
    }

    /// Where a claim is, as its member follows it: waiting for a coordinator, approved (for the
    /// next pay run), rejected, or paid (taken by an approved pay run).
    pub enum ClaimProgress ("claim progress") {
        Waiting = "waiting",
        Approved = "approved",
        Rejected = "rejected",
        Paid = "paid",
    }
}

impl ClaimProgress {
    /// A claim's progress from its decision and whether an approved pay run has taken it.
    pub fn of(status: ClaimStatus, taken_by_a_run: bool) -> ClaimProgress {
        match (status, taken_by_a_run) {
            (ClaimStatus::Approved, true) => ClaimProgress::Paid,
            (ClaimStatus::Approved, false) => ClaimProgress::Approved,
            (ClaimStatus::Pending, _) => ClaimProgress::Waiting,
            (ClaimStatus::Rejected, _) => ClaimProgress::Rejected,
        }
    }
}

/// Whether a claim for a session on `session` is late on `today`: the session was more than
/// `late_after_days` days before. Approving a late claim needs a reason on the record.
pub fn is_late(session: chrono::NaiveDate, today: chrono::NaiveDate, late_after_days: u32) -> bool {
    (today - session).num_days() > i64::from(late_after_days)
}

impl AttendanceStatus {
    /// Only time actually spent is paid.
    pub fn is_paid(self) -> bool {
        matches!(self, AttendanceStatus::Attended | AttendanceStatus::Partial)
    }
}

/// A checked attendance record: minutes attended and of preparation.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct CheckedAttendance {
    pub status: AttendanceStatus,
    pub attended_minutes: i32,
    pub prep_minutes: i32,
}

/// Checks one record against a meeting of `duration` minutes. Errors are (field, message), the
/// field relative to the record.
pub fn check_attendance(
    duration: i32,
    status: AttendanceStatus,
    attended_minutes: Option<i64>,
    prep_minutes: Option<i64>,
) -> Result<CheckedAttendance, Vec<(&'static str, String)>> {
    let mut errors = Vec::new();
    let prep = prep_minutes.unwrap_or(0);
    if !(0..=i64::from(MAX_MINUTES)).contains(&prep) {
        errors.push((
            "prep_minutes",
            format!("must be between 0 and {MAX_MINUTES}"),
        ));
    }
    let attended = match (status, attended_minutes) {
        (AttendanceStatus::Attended, None) => i64::from(duration),
        (AttendanceStatus::Attended, Some(m)) if m == i64::from(duration) => m,
        (AttendanceStatus::Attended, Some(_)) => {
            errors.push((
                "attended_minutes",
                format!("for the whole meeting must be its duration ({duration}); record part of it as `partial`"),
            ));
            0
        }
        (AttendanceStatus::Partial, None) => {
            errors.push((
                "attended_minutes",
                "is needed for partial attendance".to_string(),
            ));
            0
        }
        (AttendanceStatus::Partial, Some(m)) if m > 0 && m < i64::from(duration) => m,
        (AttendanceStatus::Partial, Some(_)) => {
            errors.push((
                "attended_minutes",
                format!("for partial attendance must be more than 0 and less than the meeting's {duration} minutes"),
            ));
            0
        }
        (_, None | Some(0)) => 0,
        (_, Some(_)) => {
            errors.push((
                "attended_minutes",
                "must be empty or 0 for apologies or absence".to_string(),
            ));
            0
        }
    };
    if !status.is_paid() && prep > 0 {
        errors.push((
            "prep_minutes",
            "must be 0 for apologies or absence".to_string(),
        ));
    }
    if errors.is_empty() {
        Ok(CheckedAttendance {
            status,
            attended_minutes: i32::try_from(attended).unwrap_or(0),
            prep_minutes: i32::try_from(prep).unwrap_or(0),
        })
    } else {
        Err(errors)
    }
}

impl ExpenseKind {
    /// Mileage: the amount comes from the approved rate for the tax year, not from the claim.
    pub fn is_mileage(self) -> bool {
        matches!(
            self,
            ExpenseKind::Car | ExpenseKind::Motorcycle | ExpenseKind::Bicycle
        )
    }
}

/// A distance in miles to a tenth of a mile, as a JSON number or string ("12.5"), more than 0 and
/// at most 2,000.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct Miles(i32);

impl Miles {
    pub const MAX_TENTHS: i32 = 20_000;

    pub fn from_tenths(tenths: i32) -> Miles {
        Miles(tenths)
    }

    pub fn tenths(self) -> i32 {
        self.0
    }

    pub fn as_decimal(self) -> Decimal {
        Decimal::new(i64::from(self.0), 1)
    }
}

impl FromStr for Miles {
    type Err = String;
    fn from_str(s: &str) -> Result<Miles, String> {
        let s = s.trim();
        if s.is_empty()
            || !s
                .chars()
                .all(|c| c.is_ascii_digit() || c == '.' || c == '-')
        {
            return Err("must be a number of miles such as 12.5".into());
        }
        let d = Decimal::from_str(s)
            .map_err(|_| "must be a number of miles such as 12.5".to_string())?;
        let d = d.normalize();
        if d.scale() > 1 {
            return Err("must have at most one decimal place".into());
        }
        let tenths =
            rust_decimal::prelude::ToPrimitive::to_i32(&(d * Decimal::TEN)).unwrap_or(i32::MAX);
        if tenths <= 0 || tenths > Miles::MAX_TENTHS {
            return Err("must be more than 0 and at most 2000 miles".into());
        }
        Ok(Miles(tenths))
    }
}

impl fmt::Display for Miles {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.as_decimal().normalize())
    }
}

impl Serialize for Miles {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for Miles {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Miles, D::Error> {
        match serde_json::Value::deserialize(d)? {
            serde_json::Value::String(s) => s.parse().map_err(de::Error::custom),
            serde_json::Value::Number(n) => n.to_string().parse().map_err(de::Error::custom),
            _ => Err(de::Error::custom("must be a number of miles such as 12.5")),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_claim_is_late_the_day_after_the_limit() {
        let d = |s: &str| chrono::NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap();
        assert!(!is_late(d("2025-06-10"), d("2025-09-08"), 90), "90 days on");
        assert!(is_late(d("2025-06-10"), d("2025-09-09"), 90), "91 days on");
        assert!(!is_late(d("2025-06-10"), d("2025-06-10"), 0));
        assert!(is_late(d("2025-06-10"), d("2025-06-11"), 0));
        assert!(
            !is_late(d("2025-06-10"), d("2025-05-01"), 90),
            "a session ahead"
        );
    }

    #[test]
    fn progress_follows_the_decision_then_the_run() {
        use ClaimProgress as P;
        assert_eq!(P::of(ClaimStatus::Pending, false), P::Waiting);
        assert_eq!(P::of(ClaimStatus::Approved, false), P::Approved);
        assert_eq!(P::of(ClaimStatus::Approved, true), P::Paid);
        assert_eq!(P::of(ClaimStatus::Rejected, false), P::Rejected);
    }
    use AttendanceStatus::*;

    #[test]
    fn attendance_rules() {
        assert_eq!(
            check_attendance(180, Attended, None, Some(90))
                .unwrap()
                .attended_minutes,
            180
        );
        assert!(check_attendance(180, Attended, Some(120), None).is_err());
        assert_eq!(
            check_attendance(360, Partial, Some(200), None)
                .unwrap()
                .attended_minutes,
            200
        );
        for bad in [None, Some(0), Some(360), Some(400), Some(-5)] {
            assert!(
                check_attendance(360, Partial, bad, None).is_err(),
                "{bad:?}"
            );
        }
        assert_eq!(
            check_attendance(60, Apologies, None, None)
                .unwrap()
                .attended_minutes,
            0
        );
        assert!(check_attendance(60, Absent, Some(30), None).is_err());
        assert!(check_attendance(60, Absent, None, Some(30)).is_err());
        assert!(check_attendance(60, Attended, None, Some(-1)).is_err());
        assert!(check_attendance(60, Attended, None, Some(1441)).is_err());
    }

    #[test]
    fn miles_parse_to_tenths() {
        assert_eq!("28".parse::<Miles>().unwrap().tenths(), 280);
        assert_eq!("12.5".parse::<Miles>().unwrap().tenths(), 125);
        assert_eq!(serde_json::from_str::<Miles>("12.5").unwrap().tenths(), 125);
        assert_eq!(
            serde_json::from_str::<Miles>("\"30\"").unwrap().tenths(),
            300
        );
        assert_eq!(
            serde_json::to_string(&Miles::from_tenths(125)).unwrap(),
            "\"12.5\""
        );
        assert_eq!(Miles::from_tenths(300).to_string(), "30");
        for bad in ["0", "-3", "12.55", "2000.1", "lots", "1e3"] {
            assert!(bad.parse::<Miles>().is_err(), "{bad}");
        }
        assert!(serde_json::from_str::<Miles>("true").is_err());
    }

    #[test]
    fn kinds_round_trip() {
        for &k in ExpenseKind::ALL {
            assert_eq!(ExpenseKind::parse(k.as_str()), Some(k));
        }
        assert!(ExpenseKind::Car.is_mileage() && !ExpenseKind::Taxi.is_mileage());
    }
}
