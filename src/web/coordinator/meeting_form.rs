//! The fields of a meeting, for adding one from the group's page and for changing one: read as
//! typed, checked for what a form can get wrong (a date, a number), the rest by the service.

use chrono::NaiveDate;
use maud::{html, Markup};
use serde::Deserialize;

use crate::services::groups::CodeLabel;
use crate::services::meetings::{MeetingFields, MeetingView};
use crate::services::FieldError;
use crate::web::FormErrors;

/// What a meeting form holds (kept when it comes back with errors).
#[derive(Debug, Default, Deserialize)]
#[serde(default)]
pub struct MeetingForm {
    pub csrf: String,
    pub title: String,
    pub activity_kind: String,
    pub date: String,
    pub starts_at: String,
    pub duration_minutes: String,
    pub prep_minutes_allowed: String,
    pub location: String,
}

impl MeetingForm {
    /// A new meeting on `today`: two hours, no preparation.
    pub fn fresh(today: NaiveDate) -> MeetingForm {
        MeetingForm {
            date: today.to_string(),
            duration_minutes: "120".into(),
            prep_minutes_allowed: "0".into(),
            ..MeetingForm::default()
        }
    }

    /// A meeting as it is, to change.
    pub fn of(m: &MeetingView) -> MeetingForm {
        MeetingForm {
            csrf: String::new(),
            title: m.title.clone(),
            activity_kind: m.activity_kind.clone(),
            date: m.date.to_string(),
            starts_at: m.starts_at.clone().unwrap_or_default(),
            duration_minutes: m.duration_minutes.to_string(),
            prep_minutes_allowed: m.prep_minutes_allowed.to_string(),
            location: m.location.clone().unwrap_or_default(),
        }
    }

    /// The fields as the service takes them, or what a form got wrong.
    pub fn read(&self, group_id: Option<String>) -> Result<MeetingFields, Vec<FieldError>> {
        let mut errors = Vec::new();
        let date = match NaiveDate::parse_from_str(self.date.trim(), "%Y-%m-%d") {
            Ok(d) => Some(d),
            Err(_) => {
                errors.push(FieldError::new(
                    "date",
                    "Enter the date as year-month-day, such as 2026-11-20",
                ));
                None
            }
        };
        let duration = whole(
            "duration_minutes",
            "length",
            &self.duration_minutes,
            &mut errors,
        );
        let prep = if self.prep_minutes_allowed.trim().is_empty() {
            Some(0)
        } else {
            whole(
                "prep_minutes_allowed",
                "preparation allowed",
                &self.prep_minutes_allowed,
                &mut errors,
            )
        };
        if !errors.is_empty() {
            return Err(errors);
        }
        let optional = |s: &str| Some(Some(s.trim().to_string()).filter(|t| !t.is_empty()));
        Ok(MeetingFields {
            group_id,
            title: Some(self.title.clone()),
            activity_kind: Some(self.activity_kind.clone()),
            date,
            starts_at: optional(&self.starts_at),
            duration_minutes: duration,
            prep_minutes_allowed: prep,
            location: optional(&self.location),
            online: None,
            reminder_days: None,
        })
    }
}

/// A whole number in a form field, or an error for it.
fn whole(field: &str, label: &str, v: &str, errors: &mut Vec<FieldError>) -> Option<i64> {
    match v.trim().parse::<i64>() {
        Ok(n) => Some(n),
        Err(_) if v.trim().is_empty() => {
            errors.push(FieldError::new(field, format!("Enter the {label}")));
            None
        }
        Err(_) => {
            errors.push(FieldError::new(
                field,
                format!("The {label} must be a whole number, such as 90"),
            ));
            None
        }
    }
}

/// The kind to show chosen: the form's, or a meeting when there is one, or the first.
fn chosen_kind(form: &MeetingForm, kinds: &[CodeLabel]) -> String {
    if !form.activity_kind.is_empty() {
        return form.activity_kind.clone();
    }
    kinds
        .iter()
        .find(|k| k.code == "meeting")
        .or_else(|| kinds.first())
        .map(|k| k.code.clone())
        .unwrap_or_default()
}

/// The fields of the form.
pub fn fields(form: &MeetingForm, errors: &FormErrors, kinds: &[CodeLabel]) -> Markup {
    let kind = chosen_kind(form, kinds);
    html! {
        (errors.input("title", "Title", "text", &form.title, Some("For example: Advisory group meeting"), "off"))
        (errors.label("activity_kind", "Kind of session", None))
        select id="activity_kind" name="activity_kind" aria-invalid=[errors.invalid("activity_kind")]
            aria-describedby=[errors.described_by("activity_kind", false)] {
            @for k in kinds {
                option value=(k.code) selected[k.code == kind] { (k.label) }
            }
        }
        (errors.input("date", "Date", "date", &form.date, Some("For example: 2026-11-20"), "off"))
        (errors.input("starts_at", "Start time (optional)", "text", &form.starts_at, Some("Hours and minutes, such as 10:30"), "off"))
        (errors.input("duration_minutes", "Length in minutes", "number", &form.duration_minutes, Some("For example: 120 for two hours"), "off"))
        (errors.input("prep_minutes_allowed", "Preparation allowed, in minutes", "number",
            &form.prep_minutes_allowed, Some("Time members may claim for reading papers beforehand; 0 if none"), "off"))
        (errors.input("location", "Place (optional)", "text", &form.location, Some("An address, a room, or online"), "off"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_meeting_is_a_meeting_not_the_first_kind_in_the_alphabet() {
        let kinds = [
            CodeLabel {
                code: "document_review".into(),
                label: "Document review".into(),
            },
            CodeLabel {
                code: "meeting".into(),
                label: "Meeting".into(),
            },
        ];
        assert_eq!(chosen_kind(&MeetingForm::default(), &kinds), "meeting");
    }

    #[test]
    fn numbers_and_dates_are_read_with_page_words() {
        let f = MeetingForm {
            date: "20/11/2026".into(),
            duration_minutes: "two hours".into(),
            ..MeetingForm::default()
        };
        let errors = f.read(None).unwrap_err();
        let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
        assert_eq!(fields, ["date", "duration_minutes"]);
    }
}
