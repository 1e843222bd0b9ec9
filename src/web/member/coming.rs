//! The member's sessions coming up, as a table (on their home page and their sessions page).

use maud::{html, Markup};

use crate::domain::invitations::Reply;
use crate::services::invitations::MyMeeting;
use crate::web::day;

/// Sessions as a table: when, what, the reply, and links to reply and to the calendar file.
pub fn coming_table(list: &[MyMeeting]) -> Markup {
    html! {
        div class="table-wrap" tabindex="0" role="region" aria-label="Sessions coming up, soonest first" {
            table {
                caption { "Sessions coming up, soonest first" }
                thead { tr {
                    th scope="col" { "Date" }
                    th scope="col" { "Session" }
                    th scope="col" { "Your reply" }
                    th scope="col" { "Calendar" }
                } }
                tbody {
                    @for s in list {
                        tr {
                            td { (day(s.meeting.date)) @if let Some(t) = &s.meeting.starts_at { br; (t) } }
                            td { (s.meeting.title) br; span class="muted" { (s.group_name) } }
                            td {
                                @if let Some(r) = &s.cancelled { "Cancelled: " (r) }
                                @else {
                                    (s.reply.words()) br;
                                    a href={ "/me/sessions/" (s.meeting.id) } {
                                        @if s.reply == Reply::None { "Reply" } @else { "Change my reply" }
                                        span class="visually-hidden" { " for " (s.meeting.title) }
                                    }
                                }
                            }
                            td { a href={ "/me/sessions/" (s.meeting.id) "/calendar.ics" } {
                                "Add to calendar" span class="visually-hidden" { ": " (s.meeting.title) } } }
                        }
                    }
                }
            }
        }
    }
}
