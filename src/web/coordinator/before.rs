//! Before a session, as its page shows it: who was invited, who replied and how, what they need,
//! and the forms to invite, remind and cancel (`invitations` takes them).

use maud::{html, Markup};

use crate::domain::invitations::Reply;
use crate::services::invitations::ReplyView;
use crate::services::meetings::MeetingView;
use crate::web::{Ctx, FormErrors};

/// Needs in words, joined.
pub fn needs_words(r: &ReplyView) -> String {
    let mut words: Vec<String> = r
        .access_needs
        .iter()
        .map(|n| n.words().to_string())
        .collect();
    if let Some(note) = &r.access_note {
        words.push(note.clone());
    }
    words.join("; ")
}

/// The section of the meeting's page before the session.
pub fn section(ctx: &Ctx, m: &MeetingView, replies: &[ReplyView], errors: &FormErrors) -> Markup {
    let count = |r: Reply| replies.iter().filter(|x| x.reply == r).count();
    let invited = replies.iter().filter(|r| r.invited_at.is_some()).count();
    let waiting = replies
        .iter()
        .filter(|r| r.in_group && r.invited_at.is_some() && r.reply == Reply::None)
        .count();
    html! {
        h2 id="before" { "Before the session" }
        @if let Some(reason) = &m.cancel_reason {
            div class="notice" role="status" { p { "This session is cancelled: " (reason)
                ". Everyone invited was told, and it takes no register." } }
        } @else {
            p { (invited) " invited. " (count(Reply::Attending)) " coming, " (count(Reply::Maybe))
                " might come, " (count(Reply::NotAttending)) " cannot come, " (waiting) " not replied yet." }
            p { a href={ "/meetings/" (m.id) "/calendar.ics" } { "Download the calendar file" } }
        }
        @if !replies.is_empty() {
            div class="table-wrap" tabindex="0" role="region" aria-label="Replies" {
                table {
                    caption { "Replies" }
                    thead { tr {
                        th scope="col" { "Member" }
                        th scope="col" { "Reply" }
                        th scope="col" { "What they need" }
                    } }
                    tbody {
                        @for r in replies {
                            tr {
                                td { (r.name) }
                                td class="status" {
                                    @if !r.in_group { "No longer in the group" }
                                    @else if r.invited_at.is_none() && r.reply == Reply::None { "Not invited" }
                                    @else { (r.reply.status_words()) }
                                }
                                td { (needs_words(r)) }
                            }
                        }
                    }
                }
            }
        }
        @if m.cancelled_at.is_none() {
            (errors.summary())
            h3 { "Invite the group" }
            p { "Everyone in the group on the day with an email address is sent the session with a "
                "calendar invitation and links to reply. Sending again the same day sends nothing twice." }
            form method="post" action={ "/meetings/" (m.id) "/invitations" } novalidate {
                (ctx.csrf_field())
                label for="message" { "A message to add (optional)" }
                textarea id="message" name="message" rows="3" aria-invalid=[errors.invalid("message")] {}
                button type="submit" { "Send the invitation" }
            }
            @if waiting > 0 {
                form method="post" action={ "/meetings/" (m.id) "/remind" } {
                    (ctx.csrf_field())
                    button type="submit" class="secondary" { "Remind the " (waiting) " who have not replied" }
                }
            }
            h3 { "Cancel the session" }
            form method="post" action={ "/meetings/" (m.id) "/cancel" } novalidate {
                (ctx.csrf_field())
                (errors.input("reason", "Why it is cancelled", "text", "", Some("Sent to everyone invited"), "off"))
                button type="submit" class="secondary" { "Cancel the session" }
            }
        }
    }
}
