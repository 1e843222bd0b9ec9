//! What a page or report costs the database does not grow with the data: each is read once with
//! a little data and again with several times as much (more members in the group, more meetings
//! with registers, more paid runs), and must run the same number of statements both times.
//! Statements are counted by the pool (`Database::queries()`) with the mail worker asleep, taking
//! the fewest of a few tries a moment apart (a session's last use is written once a minute).

use chrono::Duration;
use serde_json::json;

use crate::both_backends;
use crate::doors::Visitor;
use crate::helpers::TestBackend;
use crate::member_pages::signed_in;
use crate::payruns::{ok, s, World};

/// Who reads what.
enum Reader<'a> {
    Page(&'a Visitor),
    Api(&'a str),
}

/// The fewest statements `path` cost over five tries.
async fn cost(w: &World, reader: &Reader<'_>, path: &str) -> u64 {
    let mut fewest = u64::MAX;
    for _ in 0..5 {
        let before = w.app.db.queries();
        let status = match reader {
            Reader::Page(v) => v.open(&w.app.url(path)).await.status,
            Reader::Api(token) => w.app.get_as(path, token).await.status().as_u16(),
        };
        assert_eq!(status, 200, "{path}");
        fewest = fewest.min(w.app.db.queries() - before);
        tokio::time::sleep(std::time::Duration::from_millis(40)).await;
    }
    fewest
}

/// Adds `members` members to the group, `meetings` meetings they all attended, and a run paying
/// them, approved and marked paid; returns the run's and the last meeting's ids.
async fn grow(w: &World, round: i64, members: usize, meetings: i64) -> (String, String) {
    let today = w.app.settings.today();
    let day = |n: i64| (today + Duration::days(n)).to_string();
    let mut ids = vec![w.member_id.clone()];
    for i in 0..members {
        ids.push(w.new_member(&format!("Grown {round} {i}"), "member").await);
    }
    // Each round's meetings and run lie in a window of their own, further back each round.
    let base = -40 * round;
    let mut last = String::new();
    for k in 0..meetings {
        last = w.meeting(&day(base - 30 + k), 120, "meeting").await;
        let records: Vec<_> = ids
            .iter()
            .map(|id| json!({"member_id": id, "status": "attended"}))
            .collect();
        ok(w.register(&last, json!(records)).await, 200).await;
    }
    let run = w.draft(&day(base - 31), &day(base - 1), &day(base)).await;
    ok(w.approve_as(&run, &w.approver.token).await, 200).await;
    w.mark_paid(&run).await;
    (s(&run["id"]), last)
}

async fn every_page_and_report_costs_the_same_whatever_the_data(backend: TestBackend) {
    // The mail worker stays asleep, so it does not count; and every request reads its actor (one
    // statement), rather than sometimes from memory, so the counts do not depend on what other
    // tests in this process change at the same time.
    let w = World::new_with(backend, |s| {
        s.mail.poll_interval_ms = 3_600_000;
        s.auth.actor_cache_seconds = 0;
    })
    .await;
    w.regional_card().await;
    let member = signed_in(&w, &w.member.email).await;
    let coordinator = signed_in(&w, &w.coordinator.email).await;
    let finance = signed_in(&w, &w.finance.email).await;

    let mut seen: Vec<Vec<(String, u64)>> = Vec::new();
    for (round, members, meetings) in [(3, 1, 1), (2, 6, 3)] {
        let (run, meeting) = grow(&w, round, members, meetings).await;
        let (g, m) = (w.group.clone(), w.member_id.clone());
        let pages: Vec<(Reader, String)> = vec![
            (Reader::Page(&member), "/me".into()),
            (Reader::Page(&member), "/me/statement".into()),
            (Reader::Page(&member), "/me/claims".into()),
            (Reader::Page(&coordinator), format!("/groups/{g}")),
            (Reader::Page(&coordinator), format!("/meetings/{meeting}")),
            (Reader::Page(&coordinator), "/members".into()),
            (Reader::Page(&coordinator), format!("/members/{m}")),
            (Reader::Page(&finance), "/finance".into()),
            (Reader::Page(&finance), "/finance/members".into()),
            (Reader::Page(&finance), format!("/finance/members/{m}")),
            (Reader::Page(&finance), "/finance/reports".into()),
            (Reader::Page(&finance), "/runs".into()),
            (Reader::Page(&finance), format!("/runs/{run}")),
            (Reader::Page(&finance), format!("/runs/{run}/lines")),
            (Reader::Api(&w.member.token), "/api/v1/me".into()),
            (
                Reader::Api(&w.member.token),
                format!("/api/v1/members/{m}/payments"),
            ),
            (
                Reader::Api(&w.member.token),
                format!("/api/v1/members/{m}/statement"),
            ),
            (
                Reader::Api(&w.finance.token),
                "/api/v1/reports/payments".into(),
            ),
            (
                Reader::Api(&w.finance.token),
                "/api/v1/reports/summary".into(),
            ),
            (Reader::Api(&w.finance.token), "/api/v1/pay-runs".into()),
        ];
        let mut costs = Vec::new();
        for (reader, path) in &pages {
            let shape = path.replace(&run, "{run}").replace(&meeting, "{meeting}");
            costs.push((shape, cost(&w, reader, path).await));
        }
        seen.push(costs);
    }
    let grown: Vec<String> = seen[0]
        .iter()
        .zip(&seen[1])
        .filter(|(a, b)| a.1 != b.1)
        .map(|(a, b)| format!("{}: {} then {} statements", a.0, a.1, b.1))
        .collect();
    assert!(
        grown.is_empty(),
        "these cost more with more data: {grown:#?}\nall: {:#?}",
        seen[1]
    );
}

both_backends!(every_page_and_report_costs_the_same_whatever_the_data);
