//! Before a session, as people meet it: the invitation arrives over real SMTP with a calendar
//! file a real iCalendar parser reads (the right start in Europe/London on the day the clocks go
//! back), a reply link opened changes nothing until the reply is confirmed, a change sends the
//! next version of the calendar entry and a cancellation cancels it; reminders go once however
//! often they run; and what is not yours, expired or cancelled is refused and changes nothing.

use std::time::Duration;

use chrono::{Datelike, NaiveDate, TimeZone, Weekday};
use icalendar::{CalendarDateTime, Component, DatePerhapsTime};
use reqwest::Method;
use serde_json::{json, Value};

use crate::both_backends;
use crate::doors::Visitor;
use crate::helpers::{eventually, Delivered, TestBackend};
use crate::mail::{free_port, start_smtp};
use crate::payruns::{ok, s, World};

/// The Sunday the clocks go back (the last Sunday of October) in the first year where it is still
/// to come.
fn clocks_go_back_after(today: NaiveDate) -> NaiveDate {
    let last_sunday = |year: i32| {
        let mut d = NaiveDate::from_ymd_opt(year, 10, 31).unwrap();
        while d.weekday() != Weekday::Sun {
            d = d.pred_opt().unwrap();
        }
        d
    };
    let this = last_sunday(today.year());
    if this > today {
        this
    } else {
        last_sunday(today.year() + 1)
    }
}

async fn replies(w: &World, meeting: &str) -> Vec<Value> {
    ok(
        w.app
            .get_as(
                &format!("/api/v1/meetings/{meeting}/replies"),
                &w.coordinator.token,
            )
            .await,
        200,
    )
    .await["items"]
        .as_array()
        .unwrap()
        .clone()
}

fn reply_of<'a>(list: &'a [Value], member: &str) -> &'a Value {
    list.iter()
        .find(|r| r["member_id"] == member)
        .unwrap_or_else(|| panic!("{member} in {list:?}"))
}

async fn invite(w: &World, meeting: &str) -> reqwest::Response {
    w.app
        .post_as(
            &format!("/api/v1/meetings/{meeting}/invitations"),
            Some(&w.coordinator.token),
            json!({"message": "Tea and biscuits from 9:45."}),
        )
        .await
}

/// The calendar part of a message: its content type and the calendar it holds.
fn calendar_of(mail: &Delivered) -> (String, icalendar::Calendar) {
    let (kind, body) = mail
        .attachments
        .iter()
        .find(|(k, _)| k == "text/calendar")
        .unwrap_or_else(|| panic!("a calendar part in {:?}", mail.subject));
    let text = String::from_utf8(body.clone()).unwrap();
    (kind.clone(), text.parse().expect("the calendar parses"))
}

/// The raw messages the SMTP server received for `to` about `subject`, newest last.
async fn received(
    inbox: &std::sync::Arc<std::sync::Mutex<Vec<String>>>,
    to: &str,
    subject: &str,
) -> Delivered {
    eventually(
        &format!("{subject:?} to {to} over SMTP"),
        Duration::from_secs(20),
        || async {
            inbox
                .lock()
                .unwrap()
                .iter()
                .map(|raw| Delivered::parse(raw.as_bytes()))
                .rev()
                .find(|m| m.to.contains(to) && m.subject.contains(subject))
        },
    )
    .await
}

async fn invitations_arrive_with_a_calendar_and_replies_need_confirming(backend: TestBackend) {
    let port = free_port();
    let inbox = start_smtp(std::net::TcpListener::bind(("127.0.0.1", port)).unwrap());
    let w = World::new_with(backend, |s| {
        s.mail.transport = coprod::config::MailTransportKind::Smtp;
        s.mail.smtp.host = "127.0.0.1".into();
        s.mail.smtp.port = port;
        s.mail.poll_interval_ms = 100;
    })
    .await;
    w.regional_card().await;
    let nobody = ok(
        w.app
            .post_as(
                "/api/v1/members",
                Some(&w.coordinator.token),
                json!({"full_name": "Pat Nomail"}),
            )
            .await,
        201,
    )
    .await;
    w.join(&s(&nobody["id"]), "member").await;
    let sunday = clocks_go_back_after(w.app.settings.today());
    let meeting = s(&ok(
        w.app
            .post_as(
                "/api/v1/meetings",
                Some(&w.coordinator.token),
                json!({"group_id": w.group, "title": "Autumn planning", "activity_kind": "meeting",
                       "date": sunday, "starts_at": "10:00", "duration_minutes": 180,
                       "prep_minutes_allowed": 30, "location": "Town Hall, Room 2; side door"}),
            )
            .await,
        201,
    )
    .await["id"]);

    let sent = ok(invite(&w, &meeting).await, 202).await;
    assert_eq!(sent["invited"], 1, "{sent}");
    assert_eq!(sent["without_email"], json!(["Pat Nomail"]));
    let mail = received(&inbox, "sam@example.org", "Invitation: Autumn planning").await;
    for words in [
        "You are invited to Autumn planning",
        "at 10:00, for 3 hours",
        "Where: Town Hall, Room 2; side door",
        "Preparation: up to 30 minutes, paid at £20.00 an hour",
        "Pay for the whole session: £75.00",
        "Tea and biscuits from 9:45.",
        &format!("Questions? Ask your coordinator at {}", w.coordinator.email),
    ] {
        assert!(mail.text.contains(words), "{words:?} in:\n{}", mail.text);
    }
    let (kind, cal) = calendar_of(&mail);
    assert_eq!(kind, "text/calendar");
    assert_eq!(cal.property_value("METHOD"), Some("REQUEST"));
    let event = cal.events().next().expect("an event");
    assert_eq!(
        event.get_uid(),
        Some(format!("meeting-{meeting}@coprod").as_str())
    );
    assert_eq!(event.get_sequence(), Some(0));
    assert_eq!(
        icalendar::EventLike::get_location(event),
        Some("Town Hall, Room 2; side door")
    );
    let start = sunday.and_hms_opt(10, 0, 0).unwrap();
    assert_eq!(
        event.get_start(),
        Some(DatePerhapsTime::DateTime(CalendarDateTime::WithTimezone {
            date_time: start,
            tzid: "Europe/London".into()
        }))
    );
    // After the clocks go back, 10:00 in London is 10:00 UTC (it was 09:00 UTC the day before).
    let utc = chrono_tz::Europe::London
        .from_local_datetime(&start)
        .single()
        .unwrap()
        .naive_utc();
    assert_eq!(utc, start, "GMT on the day the clocks go back");

    // The link as written: opening it records nothing (mail scanners open links).
    let link = mail.link("I will come");
    let visitor = Visitor::new();
    let page = visitor.open(&link).await;
    assert_eq!(page.status, 200, "{}", page.html);
    assert!(page.html.contains("Send my reply"), "{}", page.html);
    assert!(
        page.html.contains("value=\"attending\" checked"),
        "{}",
        page.html
    );
    let again = visitor.open(&link).await;
    assert_eq!(again.status, 200);
    assert_eq!(
        reply_of(&replies(&w, &meeting).await, &w.member_id)["reply"],
        "none"
    );
    let action = format!("/meetings/{meeting}/reply");
    let bad = visitor
        .submit(&page, &action, &[("reply", "perhaps")])
        .await;
    assert_eq!(bad.status, 422, "{}", bad.html);
    assert_eq!(
        reply_of(&replies(&w, &meeting).await, &w.member_id)["reply"],
        "none"
    );
    let done = visitor
        .submit(
            &page,
            &action,
            &[
                ("reply", "attending"),
                ("access_needs", "step_free"),
                ("access_note", "I will bring my guide dog"),
            ],
        )
        .await;
    assert_eq!(done.status, 200, "{}", done.html);
    assert!(done.html.contains("Your reply is saved"), "{}", done.html);
    let mine = reply_of(&replies(&w, &meeting).await, &w.member_id).clone();
    assert_eq!(mine["reply"], "attending");
    assert_eq!(mine["access_needs"], json!(["step_free"]));
    assert_eq!(mine["access_note"], "I will bring my guide dog");
    // The register shows it.
    let register = ok(
        w.app
            .get_as(
                &format!("/api/v1/meetings/{meeting}/attendance"),
                &w.coordinator.token,
            )
            .await,
        200,
    )
    .await;
    let line = register["records"]
        .as_array()
        .unwrap()
        .iter()
        .find(|r| r["member_id"] == w.member_id.as_str())
        .unwrap()
        .clone();
    assert_eq!(line["reply"], "attending", "{line}");
    assert_eq!(line["access_needs"], json!(["step_free"]));

    // A change of time: an update, the calendar entry's next version.
    ok(
        w.app
            .call(
                Method::PATCH,
                &format!("/api/v1/meetings/{meeting}"),
                Some(&w.coordinator.token),
                Some(json!({"starts_at": "11:00"})),
            )
            .await,
        200,
    )
    .await;
    let update = received(&inbox, "sam@example.org", "Changed: Autumn planning").await;
    assert!(
        update.text.contains("It now starts at 11:00."),
        "{}",
        update.text
    );
    let (_, cal) = calendar_of(&update);
    let event = cal.events().next().unwrap();
    assert_eq!(event.get_sequence(), Some(1));
    assert_eq!(
        event.get_uid(),
        Some(format!("meeting-{meeting}@coprod").as_str())
    );
    // A title changed is not news to send.
    ok(
        w.app
            .call(
                Method::PATCH,
                &format!("/api/v1/meetings/{meeting}"),
                Some(&w.coordinator.token),
                Some(json!({"title": "Autumn planning day"})),
            )
            .await,
        200,
    )
    .await;

    // Cancelled: METHOD:CANCEL; it then takes no register and no more invitations.
    let cancelled = ok(
        w.app
            .post_as(
                &format!("/api/v1/meetings/{meeting}/cancel"),
                Some(&w.coordinator.token),
                json!({"reason": "The hall is flooded"}),
            )
            .await,
        200,
    )
    .await;
    assert_eq!(cancelled["cancel_reason"], "The hall is flooded");
    let notice = received(&inbox, "sam@example.org", "Cancelled: Autumn planning day").await;
    assert!(
        notice.text.contains("The hall is flooded"),
        "{}",
        notice.text
    );
    let (_, cal) = calendar_of(&notice);
    assert_eq!(cal.property_value("METHOD"), Some("CANCEL"));
    let event = cal.events().next().unwrap();
    assert_eq!(event.get_sequence(), Some(2));
    assert_eq!(event.get_status(), Some(icalendar::EventStatus::Cancelled));
    let register = w
        .register(
            &meeting,
            json!([{"member_id": w.member_id, "status": "attended"}]),
        )
        .await;
    assert_eq!(register.status(), 409);
    assert_eq!(invite(&w, &meeting).await.status(), 409);
    let late = visitor.open(&link).await;
    assert_eq!(late.status, 409, "{}", late.html);
    assert!(
        late.html.contains("This session is cancelled"),
        "{}",
        late.html
    );
    let refused = w
        .app
        .post_as(
            &format!("/api/v1/meetings/{meeting}/cancel"),
            Some(&w.coordinator.token),
            json!({"reason": "Again"}),
        )
        .await;
    assert_eq!(refused.status(), 409);
}

/// `reminder_days` before the session, one reminder to those invited who are coming, maybe or
/// not replied (not to those who cannot come, nor to anyone archived since), with the calendar
/// file again; running the reminders again sends nothing more. The same invitation sent twice in
/// a day goes once; the coordinator's reminder goes to those who have not replied.
async fn reminders_go_once(backend: TestBackend) {
    let w = World::new(backend).await;
    let kim = w.new_member("Kim Lee", "member").await;
    let lou = w.new_member("Lou Cant", "member").await;
    let ned = w.new_member("Ned Gone", "member").await;
    let today = w.app.settings.today();
    let later = (today + chrono::Duration::days(10)).to_string();
    let meeting = w.meeting(&later, 120, "meeting").await;
    ok(invite(&w, &meeting).await, 202).await;
    let again = ok(invite(&w, &meeting).await, 202).await;
    assert_eq!(again["invited"], 0, "the same day, nothing twice: {again}");
    ok(
        w.app
            .call(
                Method::PUT,
                &format!("/api/v1/meetings/{meeting}/replies/{lou}"),
                Some(&w.coordinator.token),
                Some(json!({"reply": "not_attending"})),
            )
            .await,
        200,
    )
    .await;
    ok(
        w.app
            .call(
                Method::PUT,
                &format!("/api/v1/meetings/{meeting}/replies/{}", w.member_id),
                Some(&w.member.token),
                Some(json!({"reply": "maybe", "access_needs": ["large_print_papers"]})),
            )
            .await,
        200,
    )
    .await;
    ok(
        w.app
            .post_as(
                &format!("/api/v1/members/{ned}/archive"),
                Some(&w.coordinator.token),
                json!({}),
            )
            .await,
        200,
    )
    .await;

    // The coordinator's reminder, from the session's page: Kim has not replied.
    let v = crate::member_pages::signed_in(&w, &w.coordinator.email).await;
    let page = v.open(&w.app.url(&format!("/meetings/{meeting}"))).await;
    assert!(
        page.html.contains("Remind the 1 who have not replied"),
        "{}",
        page.html
    );
    let done = v
        .submit(&page, &format!("/meetings/{meeting}/remind"), &[])
        .await;
    assert!(
        done.html.contains("A reminder is on its way to 1."),
        "{}",
        done.html
    );
    w.app
        .delivered_mail("kim.lee@example.org", "Reminder:")
        .await;

    let base = w.app.url("");
    let run = |day: NaiveDate| {
        let base = base.clone();
        w.app
            .with_db(move |c| coprod::services::invitations::send_reminders(c, day, &base).unwrap())
    };
    assert_eq!(run(today).await, 0, "not yet: ten days to go");
    let due = today + chrono::Duration::days(8);
    assert_eq!(run(due).await, 2, "Sam (maybe) and Kim (not replied)");
    assert_eq!(run(due).await, 0, "never twice");
    assert_eq!(
        run(due + chrono::Duration::days(1)).await,
        0,
        "nor the next day"
    );
    let keys = w
        .app
        .with_db(move |c| {
            use coprod::db::schema::outbox;
            use diesel::prelude::*;
            outbox::table
                .filter(outbox::dedupe_key.like(format!("meeting-reminder:{meeting}:%")))
                .select(outbox::recipient)
                .load::<String>(c)
                .unwrap()
        })
        .await;
    assert_eq!(keys.len(), 2, "{keys:?}");
    assert!(
        keys.iter()
            .all(|k| !k.contains("lou.cant") && !k.contains("ned.gone")),
        "{keys:?}"
    );
    let sam = eventually("Sam's reminder", Duration::from_secs(20), || async {
        w.app
            .delivered()
            .into_iter()
            .rev()
            .find(|m| m.to.contains("sam@example.org") && m.subject.starts_with("Reminder:"))
    })
    .await;
    assert!(sam.attachments.iter().any(|(k, _)| k == "text/calendar"));
    // The reminder's link works as the invitation's does.
    let page = Visitor::new().open(&sam.link("I might come")).await;
    assert_eq!(page.status, 200, "{}", page.html);
    let _ = kim;
}

/// A session people are recorded at, or have claimed for, cannot be cancelled; a cancelled one
/// takes no claims.
async fn cancelling_checks_the_register_and_claims(backend: TestBackend) {
    let w = World::new(backend).await;
    let today = w.app.settings.today();
    let day = |n: i64| (today + chrono::Duration::days(n)).to_string();
    let held = w.session(&w.member_id, &day(-1), 120).await;
    let cancel = |m: String| {
        let app = &w.app;
        let token = w.coordinator.token.clone();
        async move {
            app.post_as(
                &format!("/api/v1/meetings/{m}/cancel"),
                Some(&token),
                json!({"reason": "No room"}),
            )
            .await
        }
    };
    assert_eq!(cancel(held.clone()).await.status(), 409);
    let empty = w.meeting(&day(3), 120, "meeting").await;
    let bad = w
        .app
        .post_as(
            &format!("/api/v1/meetings/{empty}/cancel"),
            Some(&w.coordinator.token),
            json!({"reason": "  "}),
        )
        .await;
    assert_eq!(bad.status(), 422);
    ok(cancel(empty.clone()).await, 200).await;
    let claim = w
        .app
        .post_as(
            &format!("/api/v1/meetings/{empty}/expenses"),
            Some(&w.coordinator.token),
            json!({"member_id": w.member_id, "kind": "taxi", "amount": "9.00"}),
        )
        .await;
    assert_eq!(claim.status(), 409);
    let change = w
        .app
        .call(
            Method::PATCH,
            &format!("/api/v1/meetings/{empty}"),
            Some(&w.coordinator.token),
            Some(json!({"title": "Renamed"})),
        )
        .await;
    assert_eq!(change.status(), 409);
}

/// Two instances sending the reminders at the same moment send each one once.
async fn two_instances_send_each_reminder_once(backend: TestBackend) {
    let w = World::new(backend).await;
    for n in 0..6 {
        w.new_member(&format!("Member {n}"), "member").await;
    }
    let today = w.app.settings.today();
    let later = (today + chrono::Duration::days(10)).to_string();
    let meeting = w.meeting(&later, 120, "meeting").await;
    ok(invite(&w, &meeting).await, 202).await;
    let base = w.app.url("");
    let due = today + chrono::Duration::days(8);
    let threads: Vec<_> = (0..2)
        .map(|_| {
            let (db, base) = (w.app.db.clone(), base.clone());
            std::thread::spawn(move || {
                let mut conn = db.get().unwrap();
                coprod::services::invitations::send_reminders(&mut conn, due, &base).unwrap()
            })
        })
        .collect();
    let total: usize = threads.into_iter().map(|t| t.join().unwrap()).sum();
    assert_eq!(total, 7, "Sam and the six, once each");
}

/// What is not yours is not found; a link for another session, or one whose session has passed,
/// shows a clear page and records nothing; bad replies are refused with the field named.
async fn replies_check_who_asks_and_what_they_say(backend: TestBackend) {
    let w = World::new(backend).await;
    let today = w.app.settings.today();
    let day = |n: i64| (today + chrono::Duration::days(n)).to_string();
    let one = w.meeting(&day(5), 120, "meeting").await;
    let two = w.meeting(&day(6), 120, "meeting").await;
    ok(invite(&w, &one).await, 202).await;
    let mail = w.app.delivered_mail("sam@example.org", "Invitation:").await;
    let link = mail.link("I cannot come");
    let v = Visitor::new();

    // The link for meeting one, used for meeting two.
    let other = link.replace(&format!("/meetings/{one}/"), &format!("/meetings/{two}/"));
    let page = v.open(&other).await;
    assert_eq!(page.status, 404, "{}", page.html);
    assert!(
        page.html.contains("This link does not work"),
        "{}",
        page.html
    );
    let forged = v
        .open(&format!(
            "{}/meetings/{one}/reply?token=cpl_nothing",
            w.app.url("")
        ))
        .await;
    assert_eq!(forged.status, 404);

    // Members reply for themselves only, to sessions of their groups.
    let elsewhere = w.app.insert_group("Elsewhere").await;
    let admin = w.app.user(crate::helpers::Role::Admin).await;
    let far = s(&ok(
        w.app
            .post_as(
                "/api/v1/meetings",
                Some(&admin.token),
                json!({"group_id": elsewhere, "title": "Elsewhere meeting", "activity_kind": "meeting",
                       "date": day(5), "duration_minutes": 60}),
            )
            .await,
        201,
    )
    .await["id"]);
    let put = |meeting: String, member: String, token: String, body: Value| {
        let app = &w.app;
        async move {
            app.call(
                Method::PUT,
                &format!("/api/v1/meetings/{meeting}/replies/{member}"),
                Some(&token),
                Some(body),
            )
            .await
        }
    };
    let yes = json!({"reply": "attending"});
    assert_eq!(
        put(
            far.clone(),
            w.member_id.clone(),
            w.member.token.clone(),
            yes.clone()
        )
        .await
        .status(),
        404
    );
    let kim = w.new_member("Kim Lee", "member").await;
    assert_eq!(
        put(
            one.clone(),
            kim.clone(),
            w.member.token.clone(),
            yes.clone()
        )
        .await
        .status(),
        404
    );
    assert_eq!(
        put(
            far.clone(),
            w.member_id.clone(),
            w.coordinator.token.clone(),
            yes.clone()
        )
        .await
        .status(),
        404
    );
    assert_eq!(
        put(
            one.clone(),
            w.member_id.clone(),
            w.finance.token.clone(),
            yes.clone()
        )
        .await
        .status(),
        403
    );
    for (body, field) in [
        (json!({"reply": "yes"}), "reply"),
        (json!({"reply": "none"}), "reply"),
        (
            json!({"reply": "attending", "access_needs": ["telepathy"]}),
            "access_needs[0]",
        ),
        (
            json!({"reply": "attending", "access_note": "x".repeat(1001)}),
            "access_note",
        ),
    ] {
        let res = put(
            one.clone(),
            w.member_id.clone(),
            w.member.token.clone(),
            body,
        )
        .await;
        assert_eq!(res.status(), 422);
        let problem: Value = res.json().await.unwrap();
        assert_eq!(problem["errors"][0]["field"], field, "{problem}");
    }
    let bad_type = put(
        one.clone(),
        w.member_id.clone(),
        w.member.token.clone(),
        json!({"reply": 3}),
    )
    .await;
    assert_eq!(bad_type.status(), 400);
    ok(
        put(
            one.clone(),
            w.member_id.clone(),
            w.member.token.clone(),
            yes.clone(),
        )
        .await,
        200,
    )
    .await;

    // My sessions coming up, with my reply; the calendar file is mine to download, not another's.
    let mine = ok(
        w.app.get_as("/api/v1/me/meetings", &w.member.token).await,
        200,
    )
    .await;
    let items = mine["items"].as_array().unwrap();
    assert_eq!(items.len(), 2, "{mine}");
    assert_eq!(items[0]["meeting"]["id"], one.as_str());
    assert_eq!(items[0]["reply"], "attending");
    assert_eq!(items[1]["reply"], "none");
    let ics = w
        .app
        .get_as(
            &format!("/api/v1/meetings/{one}/calendar.ics"),
            &w.member.token,
        )
        .await;
    assert_eq!(ics.status(), 200);
    assert!(ics
        .headers()
        .get("content-type")
        .unwrap()
        .to_str()
        .unwrap()
        .starts_with("text/calendar"));
    assert!(ics.text().await.unwrap().contains("BEGIN:VEVENT"));
    let theirs = w
        .app
        .get_as(
            &format!("/api/v1/meetings/{far}/calendar.ics"),
            &w.member.token,
        )
        .await;
    assert_eq!(theirs.status(), 404);

    // Invitations: coordinators and admins of the group only; a member named must be in it.
    let as_finance = w
        .app
        .post_as(
            &format!("/api/v1/meetings/{one}/invitations"),
            Some(&w.finance.token),
            json!({}),
        )
        .await;
    assert_eq!(as_finance.status(), 403);
    let outsider = w
        .app
        .post_as(
            &format!("/api/v1/meetings/{far}/invitations"),
            Some(&w.coordinator.token),
            json!({}),
        )
        .await;
    assert_eq!(outsider.status(), 404);
    let stranger = w.app.insert_member("Not In Group").await;
    let named = w
        .app
        .post_as(
            &format!("/api/v1/meetings/{one}/invitations"),
            Some(&w.coordinator.token),
            json!({"member_ids": [kim, stranger]}),
        )
        .await;
    assert_eq!(named.status(), 422);
    let problem: Value = named.json().await.unwrap();
    assert_eq!(problem["errors"][0]["field"], "member_ids[1]", "{problem}");

    // The session moved to yesterday: its links have expired and record nothing.
    ok(
        w.app
            .call(
                Method::PATCH,
                &format!("/api/v1/meetings/{one}"),
                Some(&w.coordinator.token),
                Some(json!({"date": day(-1)})),
            )
            .await,
        200,
    )
    .await;
    let expired = v.open(&link).await;
    assert_eq!(expired.status, 410, "{}", expired.html);
    assert!(
        expired.html.contains("This session has passed"),
        "{}",
        expired.html
    );
    assert_eq!(
        reply_of(&replies(&w, &one).await, &w.member_id)["reply"],
        "attending"
    );
    assert_eq!(
        invite(&w, &one).await.status(),
        409,
        "a session that has passed"
    );
}

/// The member's private calendar feed: a secret address a calendar app reads without signing in;
/// a new address ends the old one.
async fn the_calendar_feed_is_private_and_can_be_reset(backend: TestBackend) {
    let w = World::new(backend).await;
    let today = w.app.settings.today();
    w.meeting(
        &(today + chrono::Duration::days(3)).to_string(),
        90,
        "meeting",
    )
    .await;
    let first = ok(
        w.app
            .post_as("/api/v1/me/calendar-feed", Some(&w.member.token), json!({}))
            .await,
        201,
    )
    .await;
    let url = s(&first["url"]);
    let feed = reqwest::get(&url).await.unwrap();
    assert_eq!(feed.status(), 200);
    let text = feed.text().await.unwrap();
    let cal: icalendar::Calendar = text.parse().unwrap();
    assert_eq!(cal.events().count(), 1, "{text}");
    assert_eq!(cal.property_value("METHOD"), Some("PUBLISH"));
    let second = ok(
        w.app
            .post_as("/api/v1/me/calendar-feed", Some(&w.member.token), json!({}))
            .await,
        201,
    )
    .await;
    assert_eq!(reqwest::get(&url).await.unwrap().status(), 404);
    assert_eq!(
        reqwest::get(&s(&second["url"])).await.unwrap().status(),
        200
    );
    let as_coordinator = w
        .app
        .post_as(
            "/api/v1/me/calendar-feed",
            Some(&w.coordinator.token),
            json!({}),
        )
        .await;
    assert_eq!(as_coordinator.status(), 403);
}

both_backends!(
    invitations_arrive_with_a_calendar_and_replies_need_confirming,
    reminders_go_once,
    cancelling_checks_the_register_and_claims,
    replies_check_who_asks_and_what_they_say,
    the_calendar_feed_is_private_and_can_be_reset;
    postgres only: two_instances_send_each_reminder_once
);
