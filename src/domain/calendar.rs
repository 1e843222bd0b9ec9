//! Meeting invitations as iCalendar (RFC 5545) text: a whole calendar for an email attachment or a
//! feed, with the escaping and line folding the standard asks for. Pure: no I/O and no database.
//!
//! Timed meetings are written in Europe/London wall time with a matching VTIMEZONE, so a
//! calendar shows them at the right hour on both sides of a clock change.

use chrono::{DateTime, LocalResult, NaiveDate, NaiveDateTime, Offset, TimeDelta, TimeZone, Utc};
use chrono_tz::Europe::London;

/// What a calendar asks of the people who receive it (RFC 5546).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Method {
    /// An invitation, or an update to one.
    Request,
    /// The meeting has been called off.
    Cancel,
    /// Information only, as in a subscribed feed.
    Publish,
}

impl Method {
    fn name(self) -> &'static str {
        match self {
            Method::Request => "REQUEST",
            Method::Cancel => "CANCEL",
            Method::Publish => "PUBLISH",
        }
    }
}

/// When a meeting happens.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum When {
    /// Starts at a Europe/London wall-clock time and lasts `minutes`. With no positive length
    /// the event has no DTEND, which RFC 5545 reads as ending the moment it starts.
    At { start: NaiveDateTime, minutes: i64 },
    /// Takes up the whole of `date`. The calendar entry always covers that one day; `minutes` is
    /// not written to it.
    AllDay { date: NaiveDate, minutes: i64 },
}

/// Someone named in an invitation: the organiser or an attendee.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Person {
    pub name: String,
    pub email: String,
}

/// One meeting, as a VEVENT.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Event {
    /// Stable for the life of the meeting, such as "meeting-42@coprod".
    pub uid: String,
    /// Goes up by one each time the meeting changes; negative values are written as 0.
    pub sequence: i32,
    /// DTSTAMP, in UTC.
    pub stamp: NaiveDateTime,
    pub when: When,
    pub summary: String,
    /// Left out of the output when empty.
    pub description: String,
    pub location: Option<String>,
    pub organizer: Person,
    pub attendees: Vec<Person>,
    /// STATUS:CANCELLED rather than CONFIRMED. A calendar sent with [`Method::Cancel`] marks
    /// every event cancelled whatever this says, as RFC 5546 requires.
    pub cancelled: bool,
    pub url: Option<String>,
}

/// The time zone every timed event is written in.
const TZID: &str = "Europe/London";

/// Europe/London as RFC 5545 describes it: GMT in winter, BST from the last Sunday in March to
/// the last Sunday in October.
const VTIMEZONE: &[&str] = &[
    "BEGIN:VTIMEZONE",
    "TZID:Europe/London",
    "BEGIN:STANDARD",
    "TZNAME:GMT",
    "TZOFFSETFROM:+0100",
    "TZOFFSETTO:+0000",
    "DTSTART:19701025T020000",
    "RRULE:FREQ=YEARLY;BYMONTH=10;BYDAY=-1SU",
    "END:STANDARD",
    "BEGIN:DAYLIGHT",
    "TZNAME:BST",
    "TZOFFSETFROM:+0000",
    "TZOFFSETTO:+0100",
    "DTSTART:19700329T010000",
    "RRULE:FREQ=YEARLY;BYMONTH=3;BYDAY=-1SU",
    "END:DAYLIGHT",
    "END:VTIMEZONE",
];

/// A whole VCALENDAR holding `events`, with CRLF line ends and long lines folded. `name` becomes
/// X-WR-CALNAME, the title a calendar app gives a subscribed feed. A Europe/London VTIMEZONE is
/// included when any event has a start time.
pub fn render(method: Method, events: &[Event], name: Option<&str>) -> String {
    let mut out = Lines::default();
    out.push("BEGIN:VCALENDAR");
    out.push("PRODID:-//coprod//coprod//EN");
    out.push("VERSION:2.0");
    out.push("CALSCALE:GREGORIAN");
    out.push(&format!("METHOD:{}", method.name()));
    if let Some(name) = name {
        out.push(&format!("X-WR-CALNAME:{}", escape_text(name)));
    }
    if events.iter().any(|e| matches!(e.when, When::At { .. })) {
        for line in VTIMEZONE {
            out.push(line);
        }
    }
    for event in events {
        write_event(&mut out, method, event);
    }
    out.push("END:VCALENDAR");
    out.0
}

/// The Content-Type to send a calendar from [`render`] with, such as
/// "text/calendar; charset=utf-8; method=REQUEST".
pub fn content_type(method: Method) -> String {
    format!("text/calendar; charset=utf-8; method={}", method.name())
}

/// Escapes a TEXT value (RFC 5545 3.3.11): backslash, semicolon and comma get a backslash, a
/// line break becomes `\n`, and carriage returns and other control characters except tab are
/// dropped, as TEXT cannot hold them.
pub fn escape_text(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '\\' => out.push_str("\\\\"),
            ';' => out.push_str("\\;"),
            ',' => out.push_str("\\,"),
            '\n' => out.push_str("\\n"),
            '\t' => out.push('\t'),
            c if c.is_control() && c.is_ascii() => {}
            c => out.push(c),
        }
    }
    out
}

/// Folds one content line (RFC 5545 3.1) into physical lines of at most 75 octets joined by CRLF,
/// each after the first starting with a single space. A UTF-8 character is never split. There is
/// no CRLF after the last physical line, and `line` itself should hold no line breaks.
pub fn fold(line: &str) -> String {
    const LIMIT: usize = 75;
    let mut out = String::with_capacity(line.len() + line.len() / 24 + 3);
    let mut used = 0;
    for c in line.chars() {
        let n = c.len_utf8();
        if used + n > LIMIT {
            out.push_str("\r\n ");
            used = 1;
        }
        out.push(c);
        used += n;
    }
    out
}

/// Content lines, each folded and ended with CRLF.
#[derive(Default)]
struct Lines(String);

impl Lines {
    fn push(&mut self, line: &str) {
        self.0.push_str(&fold(line));
        self.0.push_str("\r\n");
    }
}

fn write_event(out: &mut Lines, method: Method, event: &Event) {
    out.push("BEGIN:VEVENT");
    out.push(&format!("UID:{}", escape_text(&event.uid)));
    out.push(&format!("SEQUENCE:{}", event.sequence.max(0)));
    out.push(&format!("DTSTAMP:{}", utc_text(event.stamp)));
    match event.when {
        When::At { start, minutes } => {
            let (start, end) = london_span(start, minutes);
            out.push(&format!("DTSTART;TZID={TZID}:{}", local_text(start)));
            match end {
                Some(End::Local(end)) => {
                    out.push(&format!("DTEND;TZID={TZID}:{}", local_text(end)))
                }
                Some(End::Utc(end)) => out.push(&format!("DTEND:{}", utc_text(end))),
                None => {}
            }
        }
        When::AllDay { date, .. } => {
            out.push(&format!("DTSTART;VALUE=DATE:{}", date_text(date)));
            if let Some(next) = date.succ_opt() {
                out.push(&format!("DTEND;VALUE=DATE:{}", date_text(next)));
            }
        }
    }
    out.push(&format!("SUMMARY:{}", escape_text(&event.summary)));
    if !event.description.is_empty() {
        out.push(&format!("DESCRIPTION:{}", escape_text(&event.description)));
    }
    if let Some(location) = &event.location {
        out.push(&format!("LOCATION:{}", escape_text(location)));
    }
    out.push(&format!(
        "ORGANIZER;CN=\"{}\":mailto:{}",
        param_text(&event.organizer.name),
        uri_text(&event.organizer.email)
    ));
    for person in &event.attendees {
        out.push(&format!(
            "ATTENDEE;CN=\"{}\";ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=FALSE:mailto:{}",
            param_text(&person.name),
            uri_text(&person.email)
        ));
    }
    let cancelled = event.cancelled || method == Method::Cancel;
    out.push(if cancelled {
        "STATUS:CANCELLED"
    } else {
        "STATUS:CONFIRMED"
    });
    out.push("TRANSP:OPAQUE");
    if let Some(url) = &event.url {
        out.push(&format!("URL:{}", uri_text(url)));
    }
    out.push("END:VEVENT");
}

/// How a timed event's end is written.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum End {
    /// As Europe/London wall time.
    Local(NaiveDateTime),
    /// In UTC, for an end in the repeated hour after the clocks go back: a receiver would read
    /// that wall time as its first occurrence, an hour too early.
    Utc(NaiveDateTime),
}

/// The start as written (the wall time itself unless it falls in the spring gap) and the end,
/// `minutes` later in real time. No end when `minutes` is not positive or the sum is out of range.
fn london_span(start: NaiveDateTime, minutes: i64) -> (NaiveDateTime, Option<End>) {
    let Some(utc) = london_to_utc(start) else {
        return (start, None);
    };
    let shown = utc.with_timezone(&London).naive_local();
    if minutes <= 0 {
        return (shown, None);
    }
    let end = TimeDelta::try_minutes(minutes)
        .and_then(|d| utc.checked_add_signed(d))
        .map(|end| {
            let local = end.with_timezone(&London).naive_local();
            match london_to_utc(local) {
                Some(first) if first == end => End::Local(local),
                _ => End::Utc(end.naive_utc()),
            }
        });
    (shown, end)
}

/// The instant a Europe/London wall time means, as RFC 5545 3.3.5 reads it: a repeated time is
/// the earlier of the two; a time the clocks skip is the later of the two readings, that is with
/// the offset from before the gap, so 01:30 on the spring change is 02:30 BST.
fn london_to_utc(local: NaiveDateTime) -> Option<DateTime<Utc>> {
    match London.from_local_datetime(&local) {
        LocalResult::Single(t) => Some(t.with_timezone(&Utc)),
        LocalResult::Ambiguous(earlier, _) => Some(earlier.with_timezone(&Utc)),
        LocalResult::None => {
            // Clock changes are months apart, so a day either side is clear of this one.
            let day = TimeDelta::days(1);
            let read_with = |nearby: NaiveDateTime| {
                let offset = London.offset_from_local_datetime(&nearby).earliest()?;
                let seconds = offset.fix().local_minus_utc();
                local.checked_sub_signed(TimeDelta::seconds(i64::from(seconds)))
            };
            let before = local.checked_sub_signed(day).and_then(read_with);
            let after = local.checked_add_signed(day).and_then(read_with);
            before.max(after).map(|naive| naive.and_utc())
        }
    }
}

fn local_text(t: NaiveDateTime) -> String {
    t.format("%Y%m%dT%H%M%S").to_string()
}

fn utc_text(t: NaiveDateTime) -> String {
    t.format("%Y%m%dT%H%M%SZ").to_string()
}

fn date_text(d: NaiveDate) -> String {
    d.format("%Y%m%d").to_string()
}

/// A quoted parameter value cannot hold a double quote or a control character (RFC 5545 3.1).
fn param_text(s: &str) -> String {
    s.chars().filter(|c| *c != '"' && !c.is_control()).collect()
}

/// A URI has no escaping in iCalendar; spaces and control characters are left out so it cannot
/// break the line.
fn uri_text(s: &str) -> String {
    s.chars()
        .filter(|c| !c.is_control() && !c.is_whitespace())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn unfold(s: &str) -> String {
        s.replace("\r\n ", "")
    }

    fn at(y: i32, m: u32, d: u32, h: u32, min: u32) -> NaiveDateTime {
        NaiveDate::from_ymd_opt(y, m, d)
            .unwrap()
            .and_hms_opt(h, min, 0)
            .unwrap()
    }

    fn person(name: &str, email: &str) -> Person {
        Person {
            name: name.to_string(),
            email: email.to_string(),
        }
    }

    fn event(when: When) -> Event {
        Event {
            uid: "meeting-42@coprod".to_string(),
            sequence: 3,
            stamp: at(2026, 10, 1, 9, 15),
            when,
            summary: "Steering group".to_string(),
            description: "Agenda: budget, minutes; actions\nBring the draft".to_string(),
            location: Some("Room 2, Town Hall".to_string()),
            organizer: person("Sam \"Chair\" Patel", "sam@example.org"),
            attendees: vec![
                person("Alex Smith", "alex@example.org"),
                person("Jo Brown", "jo@example.org"),
            ],
            cancelled: false,
            url: Some("https://coprod.example.org/meetings/42".to_string()),
        }
    }

    fn timed(start: NaiveDateTime, minutes: i64) -> String {
        render(Method::Request, &[event(When::At { start, minutes })], None)
    }

    /// The unfolded content lines of a rendered calendar.
    fn lines(ics: &str) -> Vec<String> {
        unfold(ics)
            .split("\r\n")
            .filter(|l| !l.is_empty())
            .map(str::to_string)
            .collect()
    }

    fn has(ics: &str, line: &str) -> bool {
        lines(ics).iter().any(|l| l == line)
    }

    fn assert_physical_lines_fit(folded: &str) {
        for (i, line) in folded.split("\r\n").enumerate() {
            assert!(
                line.len() <= 75,
                "line {i} has {} octets: {line:?}",
                line.len()
            );
            if i > 0 {
                assert!(
                    line.starts_with(' '),
                    "continuation {i} has no leading space"
                );
            }
        }
    }

    #[test]
    fn escapes_text_values() {
        assert_eq!(escape_text("plain text"), "plain text");
        assert_eq!(escape_text("a,b;c"), "a\\,b\\;c");
        assert_eq!(escape_text(r"C:\temp"), r"C:\\temp");
        assert_eq!(escape_text("line one\nline two"), "line one\\nline two");
        assert_eq!(escape_text("windows\r\nbreak"), "windows\\nbreak");
        assert_eq!(escape_text("lone\rreturn"), "lonereturn");
        assert_eq!(
            escape_text("tab\tkept, bell\u{7} gone"),
            "tab\tkept\\, bell gone"
        );
        assert_eq!(
            escape_text("colon: and \"quotes\" stay"),
            "colon: and \"quotes\" stay"
        );
        assert_eq!(escape_text("café 😀"), "café 😀");
        assert_eq!(escape_text(r"\n is not a newline"), r"\\n is not a newline");
        assert_eq!(escape_text(""), "");
    }

    #[test]
    fn folds_a_long_ascii_line() {
        let line: String = (0..200)
            .map(|i| char::from(b'a' + (i % 26) as u8))
            .collect();
        let folded = fold(&line);
        let physical: Vec<&str> = folded.split("\r\n").collect();
        assert_eq!(
            physical.iter().map(|l| l.len()).collect::<Vec<_>>(),
            vec![75, 75, 52]
        );
        assert_physical_lines_fit(&folded);
        assert_eq!(unfold(&folded), line);
    }

    #[test]
    fn leaves_a_short_line_alone() {
        let line = "x".repeat(75);
        assert_eq!(fold(&line), line);
        assert_eq!(fold(""), "");
        assert_eq!(fold(&"x".repeat(76)), format!("{}\r\n x", "x".repeat(75)));
    }

    #[test]
    fn never_splits_a_multibyte_character() {
        // Two-octet characters: 37 fit in 75 octets, then 37 after each leading space.
        let accents = "é".repeat(100);
        let folded = fold(&accents);
        let physical: Vec<&str> = folded.split("\r\n").collect();
        assert_eq!(
            physical.iter().map(|l| l.len()).collect::<Vec<_>>(),
            vec![74, 75, 53]
        );
        assert!(physical[1..].iter().all(|l| l.starts_with(' ')));
        assert_physical_lines_fit(&folded);
        assert_eq!(unfold(&folded), accents);

        // Four-octet characters: 18 to a line both times (72 and 1 + 72 octets).
        let emoji = "😀".repeat(40);
        let folded = fold(&emoji);
        let physical: Vec<&str> = folded.split("\r\n").collect();
        assert_eq!(
            physical.iter().map(|l| l.len()).collect::<Vec<_>>(),
            vec![72, 73, 17]
        );
        assert_physical_lines_fit(&folded);
        assert_eq!(unfold(&folded), emoji);

        // Mixed widths, so splits land at every offset within a character.
        let mixed = "aé€😀".repeat(30);
        let folded = fold(&mixed);
        assert_physical_lines_fit(&folded);
        assert_eq!(unfold(&folded), mixed);
        // Every physical line is whole characters with nothing lost or inserted but the space.
        for line in folded.split("\r\n").skip(1) {
            assert!(line[1..].chars().all(|c| "aé€😀".contains(c)));
        }
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(64))]

        #[test]
        fn fold_round_trips_any_line(line in "[^\r\n]{0,400}") {
            let folded = fold(&line);
            prop_assert_eq!(unfold(&folded), line);
            for physical in folded.split("\r\n") {
                prop_assert!(physical.len() <= 75);
            }
        }

        #[test]
        fn fold_round_trips_any_escaped_text(text in any::<String>()) {
            let line = format!("DESCRIPTION:{}", escape_text(&text));
            let folded = fold(&line);
            prop_assert_eq!(unfold(&folded), line);
            for physical in folded.split("\r\n") {
                prop_assert!(physical.len() <= 75);
            }
        }
    }

    #[test]
    fn timed_event_after_the_clocks_go_back() {
        // Sunday 25 October 2026: BST ends at 02:00, so 10:00 is GMT.
        let ics = timed(at(2026, 10, 25, 10, 0), 120);
        assert!(has(&ics, "DTSTART;TZID=Europe/London:20261025T100000"));
        assert!(has(&ics, "DTEND;TZID=Europe/London:20261025T120000"));
        assert_eq!(
            london_to_utc(at(2026, 10, 25, 10, 0)).map(|t| t.naive_utc()),
            Some(at(2026, 10, 25, 10, 0))
        );
    }

    #[test]
    fn timed_event_in_summer_time() {
        // Saturday 24 October 2026 is still BST, an hour ahead of UTC.
        let ics = timed(at(2026, 10, 24, 10, 0), 120);
        assert!(has(&ics, "DTSTART;TZID=Europe/London:20261024T100000"));
        assert!(has(&ics, "DTEND;TZID=Europe/London:20261024T120000"));
        assert_eq!(
            london_to_utc(at(2026, 10, 24, 10, 0)).map(|t| t.naive_utc()),
            Some(at(2026, 10, 24, 9, 0))
        );
    }

    #[test]
    fn end_across_the_autumn_change_counts_the_repeated_hour() {
        // 00:30 BST is 23:30 UTC; three hours on is 02:30 UTC, which is 02:30 GMT.
        let ics = timed(at(2026, 10, 25, 0, 30), 180);
        assert!(has(&ics, "DTSTART;TZID=Europe/London:20261025T003000"));
        assert!(has(&ics, "DTEND;TZID=Europe/London:20261025T023000"));
    }

    #[test]
    fn end_in_the_second_pass_of_the_repeated_hour_is_written_in_utc() {
        // 00:30 BST plus 90 minutes is 01:00 GMT, the second 01:00 that night; as wall time a
        // calendar would read it as the first one (01:00 BST), so it goes out as UTC instead.
        let ics = timed(at(2026, 10, 25, 0, 30), 90);
        assert!(has(&ics, "DTSTART;TZID=Europe/London:20261025T003000"));
        assert!(has(&ics, "DTEND:20261025T010000Z"));
        // An end in the first pass stays as wall time.
        let ics = timed(at(2026, 10, 25, 0, 30), 45);
        assert!(has(&ics, "DTEND;TZID=Europe/London:20261025T011500"));
    }

    #[test]
    fn ambiguous_start_takes_the_earlier_instant() {
        // 01:30 on 25 October 2026 happens twice; the first is BST, 00:30 UTC.
        assert_eq!(
            london_to_utc(at(2026, 10, 25, 1, 30)).map(|t| t.naive_utc()),
            Some(at(2026, 10, 25, 0, 30))
        );
        let ics = timed(at(2026, 10, 25, 1, 30), 120);
        assert!(has(&ics, "DTSTART;TZID=Europe/London:20261025T013000"));
        assert!(has(&ics, "DTEND;TZID=Europe/London:20261025T023000"));
    }

    #[test]
    fn start_in_the_spring_gap_takes_the_later_instant() {
        // 01:30 on 29 March 2026 never happens; read with GMT it is 01:30 UTC, 02:30 BST.
        assert_eq!(
            london_to_utc(at(2026, 3, 29, 1, 30)).map(|t| t.naive_utc()),
            Some(at(2026, 3, 29, 1, 30))
        );
        let ics = timed(at(2026, 3, 29, 1, 30), 60);
        assert!(has(&ics, "DTSTART;TZID=Europe/London:20260329T023000"));
        assert!(has(&ics, "DTEND;TZID=Europe/London:20260329T033000"));
        // Across the gap, an hour of wall time is lost: 00:30 GMT plus 90 minutes is 03:00 BST.
        let ics = timed(at(2026, 3, 29, 0, 30), 90);
        assert!(has(&ics, "DTEND;TZID=Europe/London:20260329T030000"));
    }

    #[test]
    fn no_end_without_a_positive_length() {
        let ics = timed(at(2026, 10, 24, 10, 0), 0);
        assert!(has(&ics, "DTSTART;TZID=Europe/London:20261024T100000"));
        assert!(!ics.contains("DTEND"));
        assert!(!timed(at(2026, 10, 24, 10, 0), -30).contains("DTEND"));
        // Far too long to add: still a calendar, just without an end.
        assert!(!timed(at(2026, 10, 24, 10, 0), i64::MAX).contains("DTEND"));
    }

    #[test]
    fn all_day_event_covers_one_date() {
        let date = NaiveDate::from_ymd_opt(2026, 12, 31).unwrap();
        let ics = render(
            Method::Publish,
            &[event(When::AllDay { date, minutes: 360 })],
            Some("Coprod meetings"),
        );
        assert!(has(&ics, "DTSTART;VALUE=DATE:20261231"));
        assert!(has(&ics, "DTEND;VALUE=DATE:20270101"));
        assert!(has(&ics, "METHOD:PUBLISH"));
        assert!(has(&ics, "X-WR-CALNAME:Coprod meetings"));
        assert!(
            !ics.contains("VTIMEZONE"),
            "no time zone needed for dates alone"
        );
    }

    #[test]
    fn time_zone_is_included_once_for_timed_events() {
        let date = NaiveDate::from_ymd_opt(2026, 11, 2).unwrap();
        let events = [
            event(When::AllDay { date, minutes: 0 }),
            event(When::At {
                start: at(2026, 11, 3, 14, 0),
                minutes: 60,
            }),
            event(When::At {
                start: at(2026, 11, 4, 14, 0),
                minutes: 60,
            }),
        ];
        let ics = render(Method::Publish, &events, None);
        assert_eq!(ics.matches("BEGIN:VTIMEZONE").count(), 1);
        assert_eq!(ics.matches("BEGIN:VEVENT").count(), 3);
        let all = lines(&ics);
        let tz = all.iter().position(|l| l == "BEGIN:VTIMEZONE").unwrap();
        let first_event = all.iter().position(|l| l == "BEGIN:VEVENT").unwrap();
        assert!(tz < first_event);
        for line in VTIMEZONE {
            assert!(has(&ics, line), "missing {line}");
        }
    }

    #[test]
    fn writes_the_calendar_and_event_properties() {
        let ics = timed(at(2026, 10, 24, 10, 0), 120);
        let all = lines(&ics);
        assert_eq!(
            all[..5],
            [
                "BEGIN:VCALENDAR",
                "PRODID:-//coprod//coprod//EN",
                "VERSION:2.0",
                "CALSCALE:GREGORIAN",
                "METHOD:REQUEST",
            ]
        );
        assert_eq!(all.last().map(String::as_str), Some("END:VCALENDAR"));
        for line in [
            "UID:meeting-42@coprod",
            "SEQUENCE:3",
            "DTSTAMP:20261001T091500Z",
            "SUMMARY:Steering group",
            "DESCRIPTION:Agenda: budget\\, minutes\\; actions\\nBring the draft",
            "LOCATION:Room 2\\, Town Hall",
            "ORGANIZER;CN=\"Sam Chair Patel\":mailto:sam@example.org",
            "ATTENDEE;CN=\"Alex Smith\";ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=FALSE:mailto:alex@example.org",
            "ATTENDEE;CN=\"Jo Brown\";ROLE=REQ-PARTICIPANT;PARTSTAT=NEEDS-ACTION;RSVP=FALSE:mailto:jo@example.org",
            "STATUS:CONFIRMED",
            "TRANSP:OPAQUE",
            "URL:https://coprod.example.org/meetings/42",
        ] {
            assert!(has(&ics, line), "missing {line}\n{ics}");
        }
        assert_eq!(
            content_type(Method::Request),
            "text/calendar; charset=utf-8; method=REQUEST"
        );
    }

    #[test]
    fn optional_properties_are_left_out() {
        let mut e = event(When::At {
            start: at(2026, 10, 24, 10, 0),
            minutes: 60,
        });
        e.description.clear();
        e.location = None;
        e.url = None;
        e.attendees.clear();
        e.sequence = -1;
        let ics = render(Method::Publish, &[e], None);
        for name in ["DESCRIPTION", "LOCATION", "URL", "ATTENDEE", "X-WR-CALNAME"] {
            assert!(!ics.contains(name), "{name} should be absent");
        }
        assert!(has(&ics, "SEQUENCE:0"));
    }

    #[test]
    fn names_and_addresses_cannot_break_a_line() {
        let mut e = event(When::At {
            start: at(2026, 10, 24, 10, 0),
            minutes: 60,
        });
        e.organizer = person(
            "Eve\r\nATTENDEE:mailto:x@example.org",
            "eve@example.org\r\nX: y",
        );
        let ics = render(Method::Request, &[e], None);
        assert!(has(
            &ics,
            "ORGANIZER;CN=\"EveATTENDEE:mailto:x@example.org\":mailto:eve@example.orgX:y"
        ));
        assert_eq!(ics.matches("ATTENDEE;").count(), 2);
    }

    #[test]
    fn cancelled_event() {
        let mut e = event(When::At {
            start: at(2026, 10, 24, 10, 0),
            minutes: 60,
        });
        e.cancelled = true;
        e.sequence = 4;
        let ics = render(Method::Cancel, &[e.clone()], None);
        assert!(has(&ics, "METHOD:CANCEL"));
        assert!(has(&ics, "STATUS:CANCELLED"));
        assert!(!ics.contains("STATUS:CONFIRMED"));
        assert_eq!(
            content_type(Method::Cancel),
            "text/calendar; charset=utf-8; method=CANCEL"
        );

        // A cancellation notice cancels even if the flag was not set; a feed keeps the flag.
        e.cancelled = false;
        assert!(has(
            &render(Method::Cancel, &[e.clone()], None),
            "STATUS:CANCELLED"
        ));
        assert!(has(
            &render(Method::Publish, &[e], None),
            "STATUS:CONFIRMED"
        ));
        assert_eq!(
            content_type(Method::Publish),
            "text/calendar; charset=utf-8; method=PUBLISH"
        );
    }

    #[test]
    fn every_line_ends_in_crlf_and_fits() {
        let mut e = event(When::At {
            start: at(2026, 10, 25, 0, 30),
            minutes: 180,
        });
        e.description = "Café notes, é and 😀 many times over; ".repeat(12) + "\nend";
        let ics = render(Method::Request, &[e], Some("Meetings"));
        assert!(ics.ends_with("END:VCALENDAR\r\n"));
        let bytes = ics.as_bytes();
        for (i, b) in bytes.iter().enumerate() {
            if *b == b'\n' {
                assert!(i > 0 && bytes[i - 1] == b'\r', "bare LF at {i}");
            }
            if *b == b'\r' {
                assert_eq!(bytes.get(i + 1), Some(&b'\n'), "bare CR at {i}");
            }
        }
        let body = ics.strip_suffix("\r\n").unwrap();
        assert!(
            body.contains("\r\n "),
            "the long description should be folded"
        );
        for line in body.split("\r\n") {
            assert!(line.len() <= 75, "{} octets: {line:?}", line.len());
            assert!(!line.is_empty());
        }
    }

    #[test]
    fn a_real_parser_reads_it_back() {
        use icalendar::{CalendarDateTime, Component, DatePerhapsTime, EventLike};

        let mut e = event(When::At {
            start: at(2026, 10, 25, 10, 0),
            minutes: 120,
        });
        e.description = "Long notes, with commas; semicolons and é ".repeat(5) + "\nSecond line";
        let ics = render(Method::Request, &[e.clone()], Some("Meetings"));

        let calendar: icalendar::Calendar = ics.parse().unwrap();
        assert_eq!(calendar.property_value("METHOD"), Some("REQUEST"));
        let events: Vec<_> = calendar.events().collect();
        assert_eq!(events.len(), 1);
        let parsed = events[0];
        assert_eq!(parsed.get_uid(), Some("meeting-42@coprod"));
        assert_eq!(parsed.get_sequence(), Some(3));
        assert_eq!(
            parsed.get_start(),
            Some(DatePerhapsTime::DateTime(CalendarDateTime::WithTimezone {
                date_time: at(2026, 10, 25, 10, 0),
                tzid: "Europe/London".to_string(),
            }))
        );
        assert_eq!(
            parsed.get_end(),
            Some(DatePerhapsTime::DateTime(CalendarDateTime::WithTimezone {
                date_time: at(2026, 10, 25, 12, 0),
                tzid: "Europe/London".to_string(),
            }))
        );
        assert_eq!(parsed.get_summary(), Some("Steering group"));
        assert_eq!(parsed.get_description(), Some(e.description.as_str()));
        assert_eq!(parsed.get_location(), Some("Room 2, Town Hall"));
        let tzid = parsed
            .properties()
            .get("DTSTART")
            .and_then(|p| p.params().get("TZID"))
            .map(|p| p.value().to_string());
        assert_eq!(tzid.as_deref(), Some("Europe/London"));
    }

    #[test]
    fn a_real_parser_reads_an_all_day_event() {
        use icalendar::{Component, DatePerhapsTime};

        let date = NaiveDate::from_ymd_opt(2026, 12, 24).unwrap();
        let ics = render(
            Method::Publish,
            &[event(When::AllDay { date, minutes: 0 })],
            None,
        );
        let calendar: icalendar::Calendar = ics.parse().unwrap();
        let parsed = calendar.events().next().unwrap();
        assert_eq!(parsed.get_start(), Some(DatePerhapsTime::Date(date)));
        assert_eq!(
            parsed.get_end(),
            Some(DatePerhapsTime::Date(date.succ_opt().unwrap()))
        );
        assert_eq!(parsed.get_uid(), Some("meeting-42@coprod"));
    }
}
