//! A member's copy of everything held about them, as a document a person can read: who it is
//! for and when it was made, what each part is and why it is kept, then each part's records, one
//! block of "label: value" facts per record. In large print, and with an Easy Read page first,
//! as the member prefers. `services::personal` fills it in from the same rows as the JSON copy.

use chrono::NaiveDate;

use super::format::long_date;
use super::pdf::{Writer, LEFT};
use super::Result;
use crate::domain::formats::{Format, Formats};

/// One part of the copy: a table's rows about them.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Part {
    pub heading: String,
    /// What this part is and why it is kept, in a sentence or two.
    pub about: String,
    pub records: Vec<Entry>,
}

/// One record of a part: a title and its facts.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub title: String,
    pub facts: Vec<(String, String)>,
}

impl Entry {
    /// A record with the facts that have a value (an empty one says nothing).
    pub fn new(title: impl Into<String>, facts: Vec<(&str, Option<String>)>) -> Entry {
        Entry {
            title: title.into(),
            facts: facts
                .into_iter()
                .filter_map(|(k, v)| v.filter(|v| !v.trim().is_empty()).map(|v| (k.into(), v)))
                .collect(),
        }
    }
}

/// The whole copy.
#[derive(Debug, Clone)]
pub struct Copy {
    pub organisation: String,
    pub full_name: String,
    pub generated_on: NaiveDate,
    pub formats: Vec<Format>,
    /// Whom to ask about it, or to correct it.
    pub contact: String,
    pub parts: Vec<Part>,
}

impl Copy {
    pub fn filename(&self) -> String {
        format!(
            "everything-we-hold-{}.pdf",
            self.generated_on.format("%Y-%m-%d")
        )
    }
}

/// The copy as a PDF.
pub fn write_pdf(c: &Copy) -> Result<Vec<u8>> {
    let formats = Formats::of(&c.formats);
    let mut w = Writer::new(
        &format!("Everything we hold about {}", c.full_name),
        format!(
            "{} · everything we hold · made on {}",
            c.full_name,
            long_date(c.generated_on)
        ),
        formats.large_print(),
    )?;
    if formats.easy_read() {
        easy_read(&mut w, c);
        w.new_page();
    }
    w.text(LEFT, "Everything we hold about you", 18.0, true);
    w.down(9.0, 0.0);
    w.text(LEFT, &c.full_name, 12.0, false);
    w.down(1.5, 0.0);
    w.paragraph(
        &format!(
            "{} made this copy on {} of every record it holds about you, as UK data protection \
             law gives you the right to ask. If anything is wrong, or you want to know more, \
             contact {}.",
            c.organisation,
            long_date(c.generated_on),
            c.contact
        ),
        10.0,
    );
    for part in &c.parts {
        w.heading(&part.heading);
        w.paragraph(&part.about, 10.0);
        if part.records.is_empty() {
            w.paragraph("None.", 10.0);
        }
        for r in &part.records {
            w.record(&r.title, &r.facts, 10.0);
        }
    }
    w.save()
}

/// The Easy Read page: short sentences, one idea each, in 14 point.
fn easy_read(w: &mut Writer, c: &Copy) {
    w.text(LEFT, "What we know about you", 20.0, true);
    w.down(6.0, 0.0);
    let count = |h: &str| {
        c.parts
            .iter()
            .find(|p| p.heading == h)
            .map_or(0, |p| p.records.len())
    };
    let lines = [
        format!("This is everything {} keeps about you.", c.organisation),
        "The law says you can ask for it.".to_string(),
        format!(
            "We wrote down {} you were part of.",
            many(count(SESSIONS), "session")
        ),
        format!("We made {} to you.", many(count(PAYMENTS), "payment")),
        format!("We sent you {}.", many(count(EMAILS), "email")),
        "We keep payment records for 6 years. The tax office asks us to.".to_string(),
        "If something is wrong, tell us. We will put it right.".to_string(),
        format!("Who to ask: {}.", c.contact),
        "The pages after this one have all the details.".to_string(),
    ];
    for l in lines {
        w.down(2.0, 0.0);
        w.paragraph(&l, 14.0);
    }
}

/// "1 payment", "2 payments".
fn many(n: usize, thing: &str) -> String {
    if n == 1 {
        format!("1 {thing}")
    } else {
        format!("{n} {thing}s")
    }
}

/// The headings the Easy Read page counts from.
pub const SESSIONS: &str = "Sessions";
pub const PAYMENTS: &str = "Payments";
pub const EMAILS: &str = "Emails we sent you";

#[cfg(test)]
mod tests {
    use super::*;

    fn copy(formats: Vec<Format>) -> Copy {
        Copy {
            organisation: "Northshire Council".into(),
            full_name: "Ann Example".into(),
            generated_on: NaiveDate::from_ymd_opt(2026, 3, 4).unwrap(),
            formats,
            contact: "dpo@example.org".into(),
            parts: vec![Part {
                heading: PAYMENTS.into(),
                about: "Money paid to you.".into(),
                records: vec![Entry::new(
                    "Payment of £75.00",
                    vec![
                        ("Paid on", Some("4 March 2026".into())),
                        ("Empty", Some(" ".into())),
                        ("None", None),
                        ("Reference", Some("x".repeat(300))),
                    ],
                )],
            }],
        }
    }

    #[test]
    fn empty_facts_are_left_out() {
        let c = copy(vec![]);
        let names: Vec<&str> = c.parts[0].records[0]
            .facts
            .iter()
            .map(|(k, _)| k.as_str())
            .collect();
        assert_eq!(names, ["Paid on", "Reference"]);
        assert_eq!(c.filename(), "everything-we-hold-2026-03-04.pdf");
    }

    #[test]
    fn the_copy_reads_back_in_each_format() {
        for formats in [vec![], vec![Format::LargePrint, Format::EasyRead]] {
            let easy = !formats.is_empty();
            let bytes = write_pdf(&copy(formats)).unwrap();
            let text = pdf_extract::extract_text_from_mem(&bytes).unwrap();
            assert!(text.contains("Everything we hold about you"), "{text}");
            assert!(text.contains("Payment of £75.00"));
            assert!(text.contains("dpo@example.org"));
            assert_eq!(text.contains("We made 1 payment to you."), easy, "{text}");
        }
    }
}
