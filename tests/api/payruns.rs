//! Rate cards, preferences and pay runs end to end: the worked examples of the domain through the
//! API on both backends, approval's guards, locks, racing approvals, emails and every role.

use reqwest::Method;
use serde_json::{json, Value};

use crate::both_backends;
use crate::helpers::{assert_problem, Role, TestApp, TestBackend, User};

pub async fn ok(res: reqwest::Response, status: u16) -> Value {
    let got = res.status().as_u16();
    let body: Value = res.json().await.unwrap_or(Value::Null);
    assert_eq!(got, status, "{body}");
    body
}

pub fn s(v: &Value) -> String {
    v.as_str()
        .unwrap_or_else(|| panic!("a string: {v}"))
        .to_string()
}

/// A coordinator with a group, two finance officers (one drafts, one approves) and a member who
/// signs in, with an email address, in the group as `member` from 2025-01-01.
pub struct World {
    pub app: TestApp,
    pub coordinator: User,
    pub finance: User,
    pub approver: User,
    pub member: User,
    pub member_id: String,
    pub group: String,
}

impl World {
    pub async fn new(backend: TestBackend) -> World {
        World::new_with(backend, |_| {}).await
    }

    /// A world whose server has `adjust`ed settings.
    pub async fn new_with(
        backend: TestBackend,
        adjust: impl FnOnce(&mut coprod::config::Settings),
    ) -> World {
        let app = crate::helpers::spawn_app_with(backend, adjust).await;
        let coordinator = app.user(Role::Coordinator).await;
        let finance = app.user(Role::Finance).await;
        let approver = app.user(Role::Finance).await;
        let member = app.user(Role::Member).await;
        let member_id = member.member_id.clone().unwrap();
        let group = coordinator.group_ids[0].clone();
        let w = World {
            app,
            coordinator,
            finance,
            approver,
            member,
            member_id,
            group,
        };
        ok(
            w.app
                .call(
                    Method::PATCH,
                    &format!("/api/v1/members/{}", w.member_id),
                    Some(&w.coordinator.token),
                    Some(json!({"email": "sam@example.org", "preferred_name": "Sam"})),
                )
                .await,
            200,
        )
        .await;
        let id = w.member_id.clone();
        w.join(&id, "member").await;
        w
    }

    pub async fn join(&self, member_id: &str, role: &str) {
        ok(
            self.app
                .post_as(
                    &format!("/api/v1/groups/{}/memberships", self.group),
                    Some(&self.coordinator.token),
                    json!({"member_id": member_id, "role": role, "starts_on": "2025-01-01"}),
                )
                .await,
            201,
        )
        .await;
    }

    pub async fn new_member(&self, name: &str, role: &str) -> String {
        let m = ok(
            self.app
                .post_as(
                    "/api/v1/members",
                    Some(&self.coordinator.token),
                    json!({"full_name": name, "email": format!("{}@example.org", name.to_lowercase().replace(' ', ".").replace(|c: char| !c.is_ascii_alphanumeric() && c != '.', ""))}),
                )
                .await,
            201,
        )
        .await;
        let id = s(&m["id"]);
        self.join(&id, role).await;
        id
    }

    /// The rate card of the worked examples, "Regional 2025", as the default card.
    pub async fn regional_card(&self) -> Value {
        ok(
            self.app
                .post_as(
                    "/api/v1/rate-cards",
                    Some(&self.finance.token),
                    json!({
                        "name": "Regional 2025", "effective_from": "2025-04-01",
                        "rules": [
                            {"role": "co_chair", "activity_kind": "meeting", "basis": "band",
                             "half_day_amount": "100.00", "full_day_amount": "200.00", "prep_hourly_rate": "25.00"},
                            {"role": "member", "activity_kind": "meeting", "basis": "band",
                             "half_day_amount": "75.00", "full_day_amount": "150.00", "prep_hourly_rate": "20.00",
                             "boundary_minutes": 240, "boundary_is_full_day": false},
                            {"role": "lived_experience_associate", "activity_kind": "workshop", "basis": "hourly",
                             "hourly_rate": "25.00"},
                            {"activity_kind": "document_review", "basis": "fixed", "fixed_amount": "25.00"}
                        ]
                    }),
                )
                .await,
            201,
        )
        .await
    }

    pub async fn meeting(&self, date: &str, minutes: i64, kind: &str) -> String {
        let body = json!({
            "group_id": self.group, "title": format!("Advisory group {date}"), "activity_kind": kind,
            "date": date, "duration_minutes": minutes, "prep_minutes_allowed": 60
        });
        s(&ok(
            self.app
                .post_as("/api/v1/meetings", Some(&self.coordinator.token), body)
                .await,
            201,
        )
        .await["id"])
    }

    pub async fn register(&self, meeting: &str, records: Value) -> reqwest::Response {
        self.app
            .call(
                Method::PUT,
                &format!("/api/v1/meetings/{meeting}/attendance"),
                Some(&self.coordinator.token),
                Some(json!({ "records": records })),
            )
            .await
    }

    /// A meeting the member attended in full.
    pub async fn session(&self, member_id: &str, date: &str, minutes: i64) -> String {
        let m = self.meeting(date, minutes, "meeting").await;
        ok(
            self.register(&m, json!([{"member_id": member_id, "status": "attended"}]))
                .await,
            200,
        )
        .await;
        m
    }

    pub async fn set_preference(
        &self,
        member_id: &str,
        token: &str,
        body: Value,
    ) -> reqwest::Response {
        self.app
            .call(
                Method::PUT,
                &format!("/api/v1/members/{member_id}/preference"),
                Some(token),
                Some(body),
            )
            .await
    }

    pub async fn draft(&self, start: &str, end: &str, pay: &str) -> Value {
        ok(
            self.app
                .post_as(
                    "/api/v1/pay-runs",
                    Some(&self.finance.token),
                    json!({"group_id": self.group, "period_start": start, "period_end": end, "payment_date": pay}),
                )
                .await,
            201,
        )
        .await
    }

    pub async fn approve_as(&self, run: &Value, token: &str) -> reqwest::Response {
        self.app
            .post_as(
                &format!("/api/v1/pay-runs/{}/approve", s(&run["id"])),
                Some(token),
                json!({"expected_total": run["total"], "expected_count": run["payment_count"]}),
            )
            .await
    }

    /// Finance marks the approved run paid on its payment date.
    pub async fn mark_paid(&self, run: &Value) {
        ok(
            self.app
                .post_as(
                    &format!("/api/v1/pay-runs/{}/mark-paid", s(&run["id"])),
                    Some(&self.approver.token),
                    json!({"paid_on": run["payment_date"], "reference": "BACS-1"}),
                )
                .await,
            200,
        )
        .await;
    }

    pub async fn lines(&self, run: &Value) -> Vec<Value> {
        let body = ok(
            self.app
                .get_as(
                    &format!("/api/v1/pay-runs/{}/lines?limit=200", s(&run["id"])),
                    &self.finance.token,
                )
                .await,
            200,
        )
        .await;
        body["items"].as_array().unwrap().clone()
    }

    pub async fn payments(&self, run: &Value) -> Vec<Value> {
        let body = ok(
            self.app
                .get_as(
                    &format!("/api/v1/pay-runs/{}/payments", s(&run["id"])),
                    &self.finance.token,
                )
                .await,
            200,
        )
        .await;
        body["items"].as_array().unwrap().clone()
    }
}

fn sum(lines: &[Value], disposition: &str) -> String {
    let total: rust_decimal::Decimal = lines
        .iter()
        .filter(|l| l["disposition"] == disposition && l["kind"] != "expense")
        .map(|l| s(&l["amount"]).parse::<rust_decimal::Decimal>().unwrap())
        .sum();
    format!("{total:.2}")
}

/// Worked example 6, end to end: a weekly ESA cap with the excess carried forward over two runs.
async fn worked_example_6_esa_cap_and_carry_forward(backend: TestBackend) {
    let w = World::new(backend).await;
    w.regional_card().await;
    let esa = json!({
        "effective_from": "2025-06-01", "fee_choice": "full", "method": "bank_transfer",
        "cap": {"limit_code": "esa_permitted_work", "period": "week", "week_starts_on": "monday"},
        "over_cap": "carry_forward", "notify_by_email": true
    });
    let me = w.member.token.clone();
    let pref = ok(w.set_preference(&w.member_id, &me, esa).await, 200).await;
    assert_eq!(pref["cap"]["amount_in_force"], "195.50", "{pref}");

    // £150.00 + £150.00 + £75.00 in the week of Monday 30 June 2025.
    w.session(&w.member_id, "2025-06-30", 300).await;
    w.session(&w.member_id, "2025-07-01", 300).await;
    w.session(&w.member_id, "2025-07-02", 180).await;
    let run = w.draft("2025-06-01", "2025-07-03", "2025-07-04").await;
    assert_eq!(run["status"], "draft");
    assert_eq!(run["total"], "195.50", "{run}");
    assert_eq!(run["payment_count"], 1);
    assert_eq!(run["totals_by_disposition"]["carried_forward"], "179.50");
    assert_eq!(run["totals_by_method"]["bank_transfer"], "195.50");
    let lines = w.lines(&run).await;
    assert_eq!(sum(&lines, "paid"), "195.50");
    assert_eq!(sum(&lines, "carried_forward"), "179.50");
    assert!(lines
        .iter()
        .all(|l| l["explanation"].as_str().is_some_and(|e| !e.is_empty())));
    let fee = lines.iter().find(|l| l["kind"] == "fee").unwrap();
    assert!(s(&fee["rule"]).contains("Regional 2025"), "{fee}");

    // The one who drafted it may not approve it; someone else in finance may.
    let res = w.approve_as(&run, &w.finance.token).await;
    assert_problem(res, 409).await;
    let approved = ok(w.approve_as(&run, &w.approver.token).await, 200).await;
    assert_eq!(approved["status"], "approved");
    assert_eq!(approved["approved_by"], w.approver.id);

    // The member is told, in plain words, what was paid and what is held.
    let mail = w.app.emails_to("sam@example.org").await;
    let approval = mail
        .iter()
        .find(|m| m.subject.contains("approved"))
        .expect("an approval email");
    assert!(approval.subject.contains("195.50"), "{}", approval.subject);
    assert!(
        approval.body_text.contains("179.50"),
        "{}",
        approval.body_text
    );
    assert!(
        approval.body_text.contains("carried forward"),
        "{}",
        approval.body_text
    );
    assert!(
        approval.body_text.contains("4 July 2025"),
        "{}",
        approval.body_text
    );
    assert!(
        approval.body_text.contains("bank transfer"),
        "{}",
        approval.body_text
    );

    // The next run, paid 2025-08-01, adds £75.00: due £254.50, paid £195.50, carried £59.00.
    w.session(&w.member_id, "2025-07-20", 180).await;
    let second = w.draft("2025-07-04", "2025-07-31", "2025-08-01").await;
    assert_eq!(second["total"], "195.50", "{second}");
    let lines2 = w.lines(&second).await;
    assert_eq!(sum(&lines2, "carried_forward"), "59.00");
    let carried_in: Vec<&Value> = lines2.iter().filter(|l| l["kind"] == "carried").collect();
    assert!(
        !carried_in.is_empty(),
        "balances are paid first: {lines2:?}"
    );
    ok(w.approve_as(&second, &w.approver.token).await, 200).await;

    // Earned £450.00 = paid £391.00 + carried forward £59.00, as the member sees it.
    let mine = ok(
        w.app
            .get_as(&format!("/api/v1/members/{}/payments", w.member_id), &me)
            .await,
        200,
    )
    .await;
    let items = mine["items"].as_array().unwrap();
    assert_eq!(items.len(), 2);
    assert_eq!(items[0]["payment_date"], "2025-08-01", "newest first");
    assert_eq!(items[0]["total_to_member"], "195.50");
    assert_eq!(items[0]["carried_forward"], "59.00");
    assert_eq!(items[1]["total_to_member"], "195.50");

    // Marking paid emails again, once.
    let paid = ok(
        w.app
            .post_as(
                &format!("/api/v1/pay-runs/{}/mark-paid", s(&run["id"])),
                Some(&w.approver.token),
                json!({"paid_on": "2025-07-04", "reference": "BACS-0704"}),
            )
            .await,
        200,
    )
    .await;
    assert_eq!(paid["status"], "paid");
    assert_eq!(paid["paid_reference"], "BACS-0704");
    let again = w
        .app
        .post_as(
            &format!("/api/v1/pay-runs/{}/mark-paid", s(&run["id"])),
            Some(&w.approver.token),
            json!({"paid_on": "2025-07-04"}),
        )
        .await;
    assert_problem(again, 409).await;
    let mail = w.app.emails_to("sam@example.org").await;
    let paid_mail: Vec<_> = mail
        .iter()
        .filter(|m| m.subject.contains("has been paid"))
        .collect();
    assert_eq!(paid_mail.len(), 1);
    assert!(paid_mail[0].body_text.contains("BACS-0704"));
}

/// Worked examples 1, 3, 7 and 8 through the API: preparation, hourly rounding, declining with
/// mileage, and donating.
async fn worked_examples_of_fees_and_choices(backend: TestBackend) {
    let w = World::new(backend).await;
    w.regional_card().await;
    // Example 1: 180 minutes with 90 minutes of preparation logged, 60 allowed: £75.00 + £20.00.
    let m1 = w.meeting("2025-06-10", 180, "meeting").await;
    ok(
        w.register(
            &m1,
            json!([{"member_id": w.member_id, "status": "attended", "prep_minutes": 90}]),
        )
        .await,
        200,
    )
    .await;
    let why = ok(
        w.app
            .get_as(
                &format!(
                    "/api/v1/rate-cards/resolve?member_id={}&meeting_id={m1}",
                    w.member_id
                ),
                &w.coordinator.token,
            )
            .await,
        200,
    )
    .await;
    assert_eq!(why["fee"], "75.00", "{why}");
    assert_eq!(why["prep"], "20.00", "{why}");
    assert_eq!(why["rule"]["basis"], "band");
    assert!(
        s(&why["reason"]).contains("role member at a meeting"),
        "{why}"
    );

    // Example 3: an associate's two 100-minute workshops at £25.00 an hour: £41.67 each, £83.34.
    let associate = w
        .new_member("Ash Associate", "lived_experience_associate")
        .await;
    for date in ["2025-06-11", "2025-06-12"] {
        let m = w.meeting(date, 100, "workshop").await;
        ok(
            w.register(&m, json!([{"member_id": associate, "status": "attended"}]))
                .await,
            200,
        )
        .await;
    }
    // Example 7: declines fees and drives 28 miles: expenses £12.60, the £75.00 declined.
    let decliner = w.new_member("Dee Decliner", "member").await;
    let m7 = w.session(&decliner, "2025-06-13", 180).await;
    ok(
        w.app
            .post_as(
                &format!("/api/v1/meetings/{m7}/expenses"),
                Some(&w.coordinator.token),
                json!({"member_id": decliner, "kind": "car", "miles": "28"}),
            )
            .await,
        201,
    )
    .await;
    let claims = ok(
        w.app
            .get_as(
                &format!("/api/v1/meetings/{m7}/expenses"),
                &w.coordinator.token,
            )
            .await,
        200,
    )
    .await;
    let claim = s(&claims["items"][0]["id"]);
    ok(
        w.app
            .post_as(
                &format!("/api/v1/expenses/{claim}/approve"),
                Some(&w.coordinator.token),
                json!({}),
            )
            .await,
        200,
    )
    .await;
    let coord = w.coordinator.token.clone();
    ok(
        w.set_preference(&decliner, &coord, json!({
            "effective_from": "2025-04-01", "fee_choice": "decline", "method": "bank_transfer", "notify_by_email": true
        }))
        .await,
        200,
    )
    .await;
    // Example 8: donates a full day's £150.00 to a charity.
    let donor = w.new_member("Don Donor", "member").await;
    w.session(&donor, "2025-06-14", 300).await;
    ok(
        w.set_preference(
            &donor,
            &coord,
            json!({
                "effective_from": "2025-04-01", "fee_choice": "donate", "charity": "Carers Trust",
                "method": "bank_transfer", "notify_by_email": false
            }),
        )
        .await,
        200,
    )
    .await;
    // A coordinator recording choices on a member's behalf tells the member.
    let dee_history = ok(
        w.app
            .get_as(
                &format!("/api/v1/members/{decliner}/preferences"),
                &w.finance.token,
            )
            .await,
        200,
    )
    .await;
    assert_eq!(
        dee_history["items"][0]["set_on_behalf"], true,
        "{dee_history}"
    );
    let told = w.app.emails_to("dee.decliner@example.org").await;
    assert!(
        told.iter().any(|m| m.subject.contains("payment choices")),
        "{told:?}"
    );

    let run = w.draft("2025-06-01", "2025-06-30", "2025-07-04").await;
    let lines = w.lines(&run).await;
    let of = |member: &str| -> Vec<Value> {
        lines
            .iter()
            .filter(|l| l["member_id"] == member)
            .cloned()
            .collect()
    };
    let sam = of(&w.member_id);
    let amounts: Vec<(String, String, Value)> = sam
        .iter()
        .map(|l| (s(&l["kind"]), s(&l["amount"]), l["minutes"].clone()))
        .collect();
    assert_eq!(
        amounts,
        vec![
            ("fee".to_string(), "75.00".to_string(), json!(180)),
            ("prep".to_string(), "20.00".to_string(), json!(60))
        ]
    );
    let ash = of(&associate);
    assert_eq!(
        ash.iter().map(|l| s(&l["amount"])).collect::<Vec<_>>(),
        ["41.67", "41.67"]
    );
    assert_eq!(ash[0]["rate"], "25.00");
    let dee = of(&decliner);
    let declined = dee.iter().find(|l| l["disposition"] == "declined").unwrap();
    assert_eq!(declined["amount"], "75.00");
    let mileage = dee.iter().find(|l| l["kind"] == "expense").unwrap();
    assert_eq!(
        (mileage["amount"].clone(), mileage["disposition"].clone()),
        (json!("12.60"), json!("paid"))
    );
    let don = of(&donor);
    assert_eq!(don.len(), 1);
    assert_eq!(don[0]["disposition"], "donated");
    assert_eq!(
        don[0]["payee"],
        json!({"type": "charity", "name": "Carers Trust"})
    );

    let payments = w.payments(&run).await;
    let pay_of = |member: &str| {
        payments
            .iter()
            .find(|p| p["member_id"] == member)
            .cloned()
            .unwrap()
    };
    assert_eq!(pay_of(&w.member_id)["total"], "95.00");
    let ash_pay = pay_of(&associate);
    assert_eq!(ash_pay["total"], "83.34", "the sum of rounded lines");
    let dee_pay = pay_of(&decliner);
    assert_eq!(
        (
            dee_pay["fee_amount"].clone(),
            dee_pay["expenses_amount"].clone()
        ),
        (json!("0.00"), json!("12.60"))
    );
    let don_pay = pay_of(&donor);
    assert_eq!(don_pay["payee"]["name"], "Carers Trust");
    assert_eq!(don_pay["total"], "150.00");
    assert_eq!(run["total"], "340.94", "{run}");
    assert_eq!(run["payment_count"], 4);

    // Approval emails those who want email, and not the donor, who said no.
    ok(w.approve_as(&run, &w.approver.token).await, 200).await;
    assert!(w
        .app
        .emails_to("don.donor@example.org")
        .await
        .iter()
        .all(|m| !m.subject.contains("approved")));
    let dee_mail = w.app.emails_to("dee.decliner@example.org").await;
    let dee_approved = dee_mail
        .iter()
        .find(|m| m.subject.contains("approved"))
        .unwrap();
    assert!(
        dee_approved.body_text.contains("12.60"),
        "{}",
        dee_approved.body_text
    );
    assert!(
        dee_approved.body_text.contains("as you chose"),
        "{}",
        dee_approved.body_text
    );
}

/// Approval recomputes and refuses what changed; approved records lock; nothing is paid twice.
async fn approval_guards_locks_and_adjustments(backend: TestBackend) {
    let w = World::new(backend).await;
    w.regional_card().await;
    let m = w.session(&w.member_id, "2025-06-10", 180).await;
    let run = w.draft("2025-06-01", "2025-06-30", "2025-07-04").await;
    assert_eq!(run["total"], "75.00");

    // The figures reviewed must be the run's.
    let wrong = w
        .app
        .post_as(
            &format!("/api/v1/pay-runs/{}/approve", s(&run["id"])),
            Some(&w.approver.token),
            json!({"expected_total": "75.01", "expected_count": 1}),
        )
        .await;
    let p = assert_problem(wrong, 409).await;
    assert!(s(&p["detail"]).contains("75.01"), "{p}");

    // Something changed since the draft: a new session. Approval says so; recalculating fixes it.
    w.session(&w.member_id, "2025-06-20", 300).await;
    assert_problem(w.approve_as(&run, &w.approver.token).await, 409).await;
    let recalculated = ok(
        w.app
            .post_as(
                &format!("/api/v1/pay-runs/{}/recalculate", s(&run["id"])),
                Some(&w.finance.token),
                json!({}),
            )
            .await,
        200,
    )
    .await;
    assert_eq!(recalculated["total"], "225.00");
    // Recalculating again changes nothing.
    let again = ok(
        w.app
            .post_as(
                &format!("/api/v1/pay-runs/{}/recalculate", s(&run["id"])),
                Some(&w.finance.token),
                json!({}),
            )
            .await,
        200,
    )
    .await;
    assert_eq!(
        (again["total"].clone(), again["line_count"].clone()),
        (json!("225.00"), json!(2))
    );
    let approved = ok(w.approve_as(&again, &w.approver.token).await, 200).await;
    assert_eq!(approved["status"], "approved");

    // Approved runs cannot be recalculated, cancelled or approved again.
    for action in ["recalculate", "cancel"] {
        let res = w
            .app
            .post_as(
                &format!("/api/v1/pay-runs/{}/{action}", s(&run["id"])),
                Some(&w.finance.token),
                json!({}),
            )
            .await;
        assert_problem(res, 409).await;
    }
    assert_problem(w.approve_as(&again, &w.approver.token).await, 409).await;

    // The attendance behind approved lines is locked; sending it unchanged is fine.
    let res = w
        .register(
            &m,
            json!([{"member_id": w.member_id, "status": "partial", "attended_minutes": 60}]),
        )
        .await;
    let p = assert_problem(res, 409).await;
    assert!(s(&p["detail"]).contains("adjustment"), "{p}");
    ok(
        w.register(
            &m,
            json!([{"member_id": w.member_id, "status": "attended"}]),
        )
        .await,
        200,
    )
    .await;
    let res = w
        .app
        .call(
            Method::PATCH,
            &format!("/api/v1/meetings/{m}"),
            Some(&w.coordinator.token),
            Some(json!({"duration_minutes": 120})),
        )
        .await;
    assert_problem(res, 409).await;

    // A second run over the same period finds nothing new: nothing is paid twice.
    let empty = w.draft("2025-06-01", "2025-06-30", "2025-07-11").await;
    assert_eq!(
        (empty["total"].clone(), empty["line_count"].clone()),
        (json!("0.00"), json!(0))
    );

    // A correction is an adjustment, which the next run pays; finance only.
    let adj = json!({"member_id": w.member_id, "amount": "-15.00", "reason": "Left early on 10 June", "kind": "fee", "group_id": w.group});
    assert_problem(
        w.app
            .post_as(
                "/api/v1/adjustments",
                Some(&w.coordinator.token),
                adj.clone(),
            )
            .await,
        403,
    )
    .await;
    ok(
        w.app
            .post_as("/api/v1/adjustments", Some(&w.finance.token), adj)
            .await,
        201,
    )
    .await;
    ok(
        w.app
            .post_as(
                &format!("/api/v1/pay-runs/{}/cancel", s(&empty["id"])),
                Some(&w.finance.token),
                json!({}),
            )
            .await,
        200,
    )
    .await;
    w.session(&w.member_id, "2025-07-10", 180).await;
    let next = w.draft("2025-07-01", "2025-07-31", "2025-08-01").await;
    assert_eq!(
        next["total"], "60.00",
        "75.00 less the 15.00 adjustment: {next}"
    );
    let lines = w.lines(&next).await;
    let adjustment = lines.iter().find(|l| l["kind"] == "adjustment").unwrap();
    assert_eq!(adjustment["amount"], "-15.00");

    // Preferences cannot be backdated before the last approved payment (2025-07-04).
    let me = w.member.token.clone();
    let res = w
        .set_preference(&w.member_id, &me, json!({
            "effective_from": "2025-07-01", "fee_choice": "full", "method": "payroll", "notify_by_email": true
        }))
        .await;
    let p = assert_problem(res, 422).await;
    assert_eq!(p["errors"][0]["field"], "effective_from");
    ok(
        w.set_preference(&w.member_id, &me, json!({
            "effective_from": "2025-07-04", "fee_choice": "full", "method": "payroll", "notify_by_email": true
        }))
        .await,
        200,
    )
    .await;
    let history = ok(
        w.app
            .get_as(
                &format!("/api/v1/members/{}/preferences", w.member_id),
                &w.finance.token,
            )
            .await,
        200,
    )
    .await;
    assert_eq!(history["items"].as_array().unwrap().len(), 1);
    assert_eq!(
        history["items"][0]["set_on_behalf"], false,
        "the member set it: {history}"
    );

    // The rate card has paid an approved run: it cannot change, but a new card can supersede it.
    let cards = ok(
        w.app
            .get_as("/api/v1/rate-cards", &w.coordinator.token)
            .await,
        200,
    )
    .await;
    let card = cards["items"][0].clone();
    assert_eq!(card["locked"], true);
    let res = w
        .app
        .call(
            Method::PATCH,
            &format!("/api/v1/rate-cards/{}", s(&card["id"])),
            Some(&w.finance.token),
            Some(json!({"name": "Renamed"})),
        )
        .await;
    assert_problem(res, 409).await;
    let too_early = w
        .app
        .post_as(
            "/api/v1/rate-cards",
            Some(&w.finance.token),
            json!({
                "name": "Regional 2025b", "effective_from": "2025-06-15", "supersedes": card["id"],
                "rules": [{"role": "member", "basis": "hourly", "hourly_rate": "30.00"}]
            }),
        )
        .await;
    assert_problem(too_early, 409).await;
    let newer = ok(
        w.app
            .post_as("/api/v1/rate-cards", Some(&w.finance.token), json!({
                "name": "Regional 2026", "effective_from": "2026-04-01", "supersedes": card["id"],
                "rules": [{"role": "member", "basis": "hourly", "hourly_rate": "30.00"}]
            }))
            .await,
        201,
    )
    .await;
    assert_eq!(newer["supersedes"], card["id"]);
    let old = ok(
        w.app
            .get_as(
                &format!("/api/v1/rate-cards/{}", s(&card["id"])),
                &w.finance.token,
            )
            .await,
        200,
    )
    .await;
    assert_eq!(old["effective_to"], "2026-03-31");
}

/// Two drafts over the same sessions, approved at the same moment: one wins, the other gets 409,
/// and no source is in two approved runs.
async fn racing_approvals_never_pay_a_line_twice(backend: TestBackend) {
    let w = World::new(backend).await;
    w.regional_card().await;
    for day in 10..16 {
        w.session(&w.member_id, &format!("2025-06-{day}"), 180)
            .await;
    }
    let a = w.draft("2025-06-01", "2025-06-30", "2025-07-04").await;
    let b = w.draft("2025-06-01", "2025-06-30", "2025-07-04").await;
    let other = w.app.user(Role::Finance).await;
    let (ra, rb) = tokio::join!(
        w.approve_as(&a, &w.approver.token),
        w.approve_as(&b, &other.token)
    );
    let mut statuses = vec![ra.status().as_u16(), rb.status().as_u16()];
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 409]);
    let claimed: Vec<(String, String)> = w
        .app
        .with_db(|c| {
            use coprod::db::schema::pay_claims::dsl as pc;
            use diesel::prelude::*;
            pc::pay_claims
                .select((pc::source_kind, pc::pay_run_id))
                .load(c)
                .unwrap()
        })
        .await;
    assert_eq!(claimed.len(), 6);
    let runs: std::collections::HashSet<&String> = claimed.iter().map(|(_, r)| r).collect();
    assert_eq!(runs.len(), 1, "every line in one run");
}

/// A capped member in two groups, paid by two group runs in one week approved at the same
/// moment: the second approval sees the first and refuses, and after recalculating it pays only
/// what the cap leaves.
async fn two_group_runs_never_pay_a_capped_member_over_the_cap(backend: TestBackend) {
    let w = World::new(backend).await;
    w.regional_card().await;
    let me = w.member.token.clone();
    ok(
        w.set_preference(&w.member_id, &me, json!({
            "effective_from": "2025-04-01", "fee_choice": "full", "method": "bank_transfer",
            "cap": {"limit_code": "esa_permitted_work", "period": "week"}, "notify_by_email": true
        }))
        .await,
        200,
    )
    .await;
    let second = s(&ok(
        w.app
            .post_as(
                "/api/v1/groups",
                Some(&w.coordinator.token),
                json!({"name": "Carers forum"}),
            )
            .await,
        201,
    )
    .await["id"]);
    ok(
        w.app
            .post_as(
                &format!("/api/v1/groups/{second}/memberships"),
                Some(&w.coordinator.token),
                json!({"member_id": w.member_id, "role": "member", "starts_on": "2025-01-01"}),
            )
            .await,
        201,
    )
    .await;
    w.session(&w.member_id, "2025-06-30", 300).await;
    let m2 = s(&ok(
        w.app
            .post_as(
                "/api/v1/meetings",
                Some(&w.coordinator.token),
                json!({
                    "group_id": second, "title": "Carers forum", "activity_kind": "meeting",
                    "date": "2025-07-01", "duration_minutes": 300
                }),
            )
            .await,
        201,
    )
    .await["id"]);
    ok(
        w.register(
            &m2,
            json!([{"member_id": w.member_id, "status": "attended"}]),
        )
        .await,
        200,
    )
    .await;
    let a = w.draft("2025-06-01", "2025-07-03", "2025-07-04").await;
    let b = ok(
        w.app
            .post_as("/api/v1/pay-runs", Some(&w.finance.token), json!({
                "group_id": second, "period_start": "2025-06-01", "period_end": "2025-07-03", "payment_date": "2025-07-04"
            }))
            .await,
        201,
    )
    .await;
    assert_eq!(
        (a["total"].clone(), b["total"].clone()),
        (json!("150.00"), json!("150.00"))
    );
    let other = w.app.user(Role::Finance).await;
    let (ra, rb) = tokio::join!(
        w.approve_as(&a, &w.approver.token),
        w.approve_as(&b, &other.token)
    );
    let (sa, sb) = (ra.status().as_u16(), rb.status().as_u16());
    let mut statuses = vec![sa, sb];
    statuses.sort_unstable();
    assert_eq!(statuses, [200, 409]);
    let (loser, token) = if sa == 409 {
        (&a, &w.approver.token)
    } else {
        (&b, &other.token)
    };
    let again = ok(
        w.app
            .post_as(
                &format!("/api/v1/pay-runs/{}/recalculate", s(&loser["id"])),
                Some(&w.finance.token),
                json!({}),
            )
            .await,
        200,
    )
    .await;
    assert_eq!(
        again["total"], "45.50",
        "what the £195.50 cap leaves: {again}"
    );
    assert_eq!(again["totals_by_disposition"]["carried_forward"], "104.50");
    ok(w.approve_as(&again, token).await, 200).await;
}

/// Every export format read back with an independent reader, to the penny, with the totals
/// trailer, the summary sheet, and names that must never become formulas.
async fn exports_read_back_to_the_penny(backend: TestBackend) {
    let w = World::new(backend).await;
    w.regional_card().await;
    let coord = w.coordinator.token.clone();
    ok(
        w.app
            .call(
                Method::PATCH,
                &format!("/api/v1/members/{}", w.member_id),
                Some(&coord),
                Some(json!({"payee_reference": "P-0001"})),
            )
            .await,
        200,
    )
    .await;
    let evil = w
        .new_member("=HYPERLINK(\"http://x\",\"y\")", "member")
        .await;
    let payroll = w.new_member("Pat Payroll", "member").await;
    ok(
        w.set_preference(
            &payroll,
            &coord,
            json!({"effective_from": "2025-04-01", "fee_choice": "full", "method": "payroll"}),
        )
        .await,
        200,
    )
    .await;
    let donor = w.new_member("Don Donor", "member").await;
    ok(
        w.set_preference(&donor, &coord, json!({"effective_from": "2025-04-01", "fee_choice": "donate", "charity": "@Mind", "method": "bank_transfer"}))
            .await,
        200,
    )
    .await;
    let m = w.meeting("2025-06-10", 300, "meeting").await;
    let records: Vec<Value> = [&w.member_id, &evil, &payroll, &donor]
        .iter()
        .map(|id| json!({"member_id": id, "status": "attended"}))
        .collect();
    ok(w.register(&m, Value::Array(records)).await, 200).await;
    let run = w.draft("2025-06-01", "2025-06-30", "2025-07-04").await;
    let run_id = s(&run["id"]);
    let export = |format: &str| format!("/api/v1/pay-runs/{run_id}/export?format={format}");

    // Only approved runs, only finance, only known formats.
    assert_problem(w.app.get_as(&export("csv"), &w.finance.token).await, 409).await;
    ok(w.approve_as(&run, &w.approver.token).await, 200).await;
    assert_problem(
        w.app.get_as(&export("csv"), &w.coordinator.token).await,
        403,
    )
    .await;
    let p = assert_problem(w.app.get_as(&export("bacs"), &w.finance.token).await, 422).await;
    assert!(
        s(&p["errors"][0]["message"]).contains("bank details"),
        "{p}"
    );
    assert_problem(w.app.get_as(&export("pdf"), &w.finance.token).await, 422).await;

    // CSV: one row per payment, control totals, formula-safe names.
    let res = w.app.get_as(&export("csv"), &w.finance.token).await;
    assert_eq!(res.status(), 200);
    let disposition = res.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .to_string();
    assert!(
        disposition.starts_with(
            "attachment; filename=\"coprod-regional-advisory-group-2025-06-01-to-2025-06-30-run-"
        ),
        "{disposition}"
    );
    assert!(!disposition.contains("repeat"));
    let text = res.text().await.unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let header: Vec<String> = reader
        .headers()
        .unwrap()
        .iter()
        .map(str::to_string)
        .collect();
    assert_eq!(header, coprod::export::payrun::CSV_COLUMNS);
    let rows: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    let (payments, trailer) = rows.split_at(rows.len() - 1);
    assert_eq!(payments.len(), 4);
    let total: rust_decimal::Decimal = payments
        .iter()
        .map(|r| r[9].parse::<rust_decimal::Decimal>().unwrap())
        .sum();
    assert_eq!(format!("{total:.2}"), s(&run["total"]));
    assert_eq!(
        (&trailer[0][0], &trailer[0][1], &trailer[0][9]),
        ("TOTAL", "4 payments", s(&run["total"]).as_str())
    );
    let evil_row = payments.iter().find(|r| &r[4] == evil.as_str()).unwrap();
    assert_eq!(&evil_row[1], "'=HYPERLINK(\"http://x\",\"y\")");
    let donor_row = payments.iter().find(|r| &r[4] == donor.as_str()).unwrap();
    assert_eq!((&donor_row[1], &donor_row[2]), ("'@Mind", "charity"));
    let sam_row = payments
        .iter()
        .find(|r| &r[4] == w.member_id.as_str())
        .unwrap();
    assert_eq!(
        (&sam_row[3], &sam_row[7], &sam_row[8], &sam_row[9]),
        ("P-0001", "150.00", "0.00", "150.00")
    );
    let after = ok(
        w.app
            .get_as(&format!("/api/v1/pay-runs/{run_id}"), &w.finance.token)
            .await,
        200,
    )
    .await;
    assert_eq!(
        (after["status"].clone(), after["export_count"].clone()),
        (json!("exported"), json!(1))
    );

    // A repeat export is allowed, audited, and says so.
    let res = w.app.get_as(&export("csv"), &w.finance.token).await;
    assert!(res.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .contains("repeat-2"));
    let text = res.text().await.unwrap();
    assert!(
        text.lines()
            .last()
            .unwrap()
            .starts_with("TOTAL (repeat export 2 of this run)"),
        "{text}"
    );
    let audit = w.app.audit_of(&run_id).await;
    assert_eq!(
        audit
            .iter()
            .filter(|a| a.action == "pay_run.exported")
            .count(),
        2
    );

    // XLSX: a summary, the payments and the lines; money as numbers; no formulas anywhere.
    use calamine::{Data, Reader};
    let res = w.app.get_as(&export("xlsx"), &w.finance.token).await;
    assert_eq!(res.status(), 200);
    assert!(res.headers()["content-disposition"]
        .to_str()
        .unwrap()
        .ends_with(".xlsx\""));
    let bytes = res.bytes().await.unwrap().to_vec();
    let mut book: calamine::Xlsx<_> =
        calamine::open_workbook_from_rs(std::io::Cursor::new(bytes)).unwrap();
    assert_eq!(book.sheet_names(), ["Summary", "Payments", "Lines"]);
    let pays = book.worksheet_range("Payments").unwrap();
    let money = |d: &Data| -> i64 {
        match d {
            Data::Float(f) => (f * 100.0).round() as i64,
            Data::Int(i) => i * 100,
            other => panic!("money as a number, not {other:?}"),
        }
    };
    let pence: i64 = pays.rows().skip(1).map(|r| money(&r[9])).sum();
    assert_eq!(pence, 60_000, "4 × £150.00, the charity included");
    let names: Vec<String> = pays.rows().skip(1).map(|r| r[1].to_string()).collect();
    assert!(
        names.contains(&"'=HYPERLINK(\"http://x\",\"y\")".to_string()),
        "{names:?}"
    );
    for sheet in ["Summary", "Payments", "Lines"] {
        let formulas = book.worksheet_formula(sheet).unwrap();
        assert!(
            formulas.used_cells().all(|(_, _, f)| f.is_empty()),
            "no formulas in {sheet}"
        );
    }
    let summary = book.worksheet_range("Summary").unwrap();
    let all = summary.rows().find(|r| r[0] == "All methods").unwrap();
    assert_eq!(
        (money(&all[2]), all[1].to_string()),
        (60_000, "4".to_string())
    );
    let donated = summary.rows().find(|r| r[0] == "donated").unwrap();
    assert_eq!(money(&donated[2]), 15_000);
    let lines = book.worksheet_range("Lines").unwrap();
    assert_eq!(lines.rows().count(), 5);

    // Xero: bank transfers only, one bill per payee; payroll: payroll only, fees taxable.
    let text = w
        .app
        .get_as(&export("xero"), &w.finance.token)
        .await
        .text()
        .await
        .unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    assert_eq!(&reader.headers().unwrap()[0], "*ContactName");
    let bills: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(
        bills.len(),
        3,
        "Sam, the formula-named member and the charity: {text}"
    );
    assert!(bills
        .iter()
        .any(|b| &b[0] == "P-0001" && &b[8] == "150.00" && &b[9] == "6100"));
    assert!(bills
        .iter()
        .all(|b| !b[0].starts_with('=') && !b[0].starts_with('@')));
    let text = w
        .app
        .get_as(&export("payroll"), &w.finance.token)
        .await
        .text()
        .await
        .unwrap();
    let mut reader = csv::Reader::from_reader(text.as_bytes());
    let lines: Vec<csv::StringRecord> = reader.records().map(Result::unwrap).collect();
    assert_eq!(lines.len(), 1);
    assert_eq!(
        (&lines[0][1], &lines[0][2], &lines[0][3], &lines[0][4]),
        ("Pat Payroll", "Co-production fee", "150.00", "yes")
    );
}

/// Who may do what with pay runs, rate cards, preferences and payments.
async fn roles_and_bad_input(backend: TestBackend) {
    let w = World::new(backend).await;
    let admin = w.app.user(Role::Admin).await;
    let stranger = w.app.user(Role::Coordinator).await;
    let other_member = w.app.user(Role::Member).await;
    w.regional_card().await;
    w.session(&w.member_id, "2025-06-10", 180).await;
    let run = w.draft("2025-06-01", "2025-06-30", "2025-07-04").await;
    let run_path = format!("/api/v1/pay-runs/{}", s(&run["id"]));

    // Members and coordinators of other groups see no runs.
    assert_problem(w.app.get_as("/api/v1/pay-runs", &w.member.token).await, 403).await;
    assert_problem(w.app.get_as(&run_path, &stranger.token).await, 404).await;
    let listed = ok(w.app.get_as("/api/v1/pay-runs", &stranger.token).await, 200).await;
    assert_eq!(listed["items"].as_array().unwrap().len(), 0);
    ok(w.app.get_as(&run_path, &w.coordinator.token).await, 200).await;
    ok(
        w.app
            .get_as(&format!("{run_path}/lines"), &w.coordinator.token)
            .await,
        200,
    )
    .await;
    assert_problem(
        w.app
            .get_as(&format!("{run_path}/payments"), &w.coordinator.token)
            .await,
        403,
    )
    .await;
    assert_problem(
        w.app
            .get_as(&format!("{run_path}/lines"), &w.member.token)
            .await,
        403,
    )
    .await;
    ok(w.app.get_as(&run_path, &admin.token).await, 200).await;
    assert_problem(
        w.app
            .get_as(
                "/api/v1/pay-runs/00000000-0000-7000-8000-000000000000",
                &w.finance.token,
            )
            .await,
        404,
    )
    .await;
    for (path, status) in [
        ("/api/v1/pay-runs?status=sent", 422),
        ("/api/v1/pay-runs?limit=0", 422),
        ("/api/v1/pay-runs?cursor=not-a-cursor", 422),
        (
            "/api/v1/rate-cards/resolve?member_id=nobody&meeting_id=nothing",
            404,
        ),
        ("/api/v1/members/nobody/preference", 404),
        ("/api/v1/members/nobody/preferences", 404),
        ("/api/v1/rate-cards/nothing", 404),
    ] {
        assert_problem(w.app.get_as(path, &w.finance.token).await, status).await;
    }

    // Only finance approves; coordinators draft for their own group only.
    assert_problem(w.approve_as(&run, &w.coordinator.token).await, 403).await;
    assert_problem(w.approve_as(&run, &admin.token).await, 403).await;
    let res = w
        .app
        .post_as("/api/v1/pay-runs", Some(&w.coordinator.token), json!({"period_start": "2025-06-01", "period_end": "2025-06-30", "payment_date": "2025-07-04"}))
        .await;
    assert_problem(res, 422).await;
    let res = w
        .app
        .post_as("/api/v1/pay-runs", Some(&stranger.token), json!({"group_id": w.group, "period_start": "2025-06-01", "period_end": "2025-06-30", "payment_date": "2025-07-04"}))
        .await;
    assert_problem(res, 404).await;
    let res = w
        .app
        .post_as("/api/v1/pay-runs", Some(&w.member.token), json!({"group_id": w.group, "period_start": "2025-06-01", "period_end": "2025-06-30", "payment_date": "2025-07-04"}))
        .await;
    assert_problem(res, 403).await;

    // Bad runs.
    for (body, field) in [
        (
            json!({"period_start": "2025-06-30", "period_end": "2025-06-01", "payment_date": "2025-07-04"}),
            "period_end",
        ),
        (
            json!({"period_start": "2025-06-01", "period_end": "2025-06-30", "payment_date": "2025-05-01"}),
            "payment_date",
        ),
        (
            json!({"period_start": "2024-01-01", "period_end": "2025-06-30", "payment_date": "2025-07-04"}),
            "period_end",
        ),
    ] {
        let p = assert_problem(
            w.app
                .post_as("/api/v1/pay-runs", Some(&w.finance.token), body)
                .await,
            422,
        )
        .await;
        assert_eq!(p["errors"][0]["field"], field, "{p}");
    }
    let p = assert_problem(
        w.app
            .post_as("/api/v1/pay-runs", Some(&w.finance.token), json!({"period_start": "June", "period_end": "2025-06-30", "payment_date": "2025-07-04"}))
            .await,
        400,
    )
    .await;
    assert!(
        p["errors"][0]["field"]
            .as_str()
            .unwrap()
            .contains("period_start"),
        "{p}"
    );
    let p = assert_problem(
        w.approve_as(
            &json!({"id": run["id"], "total": 75.0, "payment_count": 1}),
            &w.approver.token,
        )
        .await,
        400,
    )
    .await;
    assert_eq!(
        p["errors"][0]["field"], "expected_total",
        "money is never a JSON number: {p}"
    );

    // Rate cards: finance and admins write, coordinators read, members neither.
    let card = json!({"name": "Extra", "effective_from": "2025-04-01", "rules": [{"role": "chair", "basis": "fixed", "fixed_amount": "10.00"}]});
    assert_problem(
        w.app
            .post_as(
                "/api/v1/rate-cards",
                Some(&w.coordinator.token),
                card.clone(),
            )
            .await,
        403,
    )
    .await;
    assert_problem(
        w.app.get_as("/api/v1/rate-cards", &w.member.token).await,
        403,
    )
    .await;
    ok(
        w.app
            .post_as("/api/v1/rate-cards", Some(&admin.token), card)
            .await,
        201,
    )
    .await;
    for (rule, field) in [
        (
            json!({"role": "member", "basis": "hourly", "hourly_rate": "-1.00"}),
            "rules[0].hourly_rate",
        ),
        (
            json!({"role": "member", "basis": "hourly", "hourly_rate": "1.005"}),
            "rules[0].hourly_rate",
        ),
        (
            json!({"role": "member", "basis": "hourly"}),
            "rules[0].hourly_rate",
        ),
        (
            json!({"role": "member", "basis": "band", "half_day_amount": "75.00"}),
            "rules[0].full_day_amount",
        ),
        (
            json!({"role": "member", "basis": "fixed", "fixed_amount": "5.00", "hourly_rate": "1.00"}),
            "rules[0].hourly_rate",
        ),
        (
            json!({"role": "nobody", "basis": "fixed", "fixed_amount": "5.00"}),
            "rules[0].role",
        ),
        (
            json!({"role": "member", "basis": "daily"}),
            "rules[0].basis",
        ),
    ] {
        let res = w
            .app
            .post_as(
                "/api/v1/rate-cards",
                Some(&w.finance.token),
                json!({"name": "Bad", "effective_from": "2025-04-01", "rules": [rule]}),
            )
            .await;
        let status = res.status().as_u16();
        let p: Value = res.json().await.unwrap();
        assert!(status == 400 || status == 422, "{p}");
        assert!(
            p["errors"]
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e["field"].as_str().unwrap().contains(field)),
            "{field}: {p}"
        );
    }

    // Preferences: the member and coordinators set them; finance and other members may not.
    let body = json!({"effective_from": "2025-04-01", "fee_choice": "full", "method": "voucher", "voucher_provider": "Love2shop", "notify_by_email": true});
    let path = format!("/api/v1/members/{}/preference", w.member_id);
    let fin = w.finance.token.clone();
    assert_problem(
        w.set_preference(&w.member_id, &fin, body.clone()).await,
        403,
    )
    .await;
    let other = other_member.token.clone();
    assert_problem(
        w.set_preference(&w.member_id, &other, body.clone()).await,
        404,
    )
    .await;
    assert_problem(w.app.get_as(&path, &other_member.token).await, 404).await;
    let st = stranger.token.clone();
    assert_problem(w.set_preference(&w.member_id, &st, body.clone()).await, 404).await;
    let current = ok(w.app.get_as(&path, &w.member.token).await, 200).await;
    assert_eq!(current["is_default"], true);
    let me = w.member.token.clone();
    ok(w.set_preference(&w.member_id, &me, body).await, 200).await;
    let current = ok(
        w.app
            .get_as(&format!("{path}?on=2025-06-01"), &w.finance.token)
            .await,
        200,
    )
    .await;
    assert_eq!(
        (current["method"].clone(), current["is_default"].clone()),
        (json!("voucher"), json!(false))
    );
    for (body, field) in [
        (
            json!({"effective_from": "2025-04-01", "fee_choice": "reduced", "method": "bank_transfer"}),
            "reduced_max",
        ),
        (
            json!({"effective_from": "2025-04-01", "fee_choice": "donate", "method": "bank_transfer"}),
            "charity",
        ),
        (
            json!({"effective_from": "2025-04-01", "fee_choice": "full", "method": "voucher"}),
            "voucher_provider",
        ),
        (
            json!({"effective_from": "2025-04-01", "fee_choice": "sometimes", "method": "bank_transfer"}),
            "fee_choice",
        ),
        (
            json!({"effective_from": "2025-04-01", "fee_choice": "full", "method": "bank_transfer",
                "cap": {"limit_code": "no_such_limit", "period": "week"}}),
            "cap.limit_code",
        ),
        (
            json!({"effective_from": "2025-04-01", "fee_choice": "full", "method": "bank_transfer",
                "cap": {"amount": "100.00", "period": "month", "month_anchor_day": 31}}),
            "cap.month_anchor_day",
        ),
        (
            json!({"effective_from": "2025-04-01", "fee_choice": "full", "method": "bank_transfer",
                "cap": {"amount": "100.00", "limit_code": "carers_allowance", "period": "week"}}),
            "cap",
        ),
        (
            json!({"effective_from": "2025-04-01", "fee_choice": "full", "method": "bank_transfer",
                "cap": {"limit_code": "uc_work_allowance_housing", "period": "week"}}),
            "cap.period",
        ),
    ] {
        let p = assert_problem(w.set_preference(&w.member_id, &me, body).await, 422).await;
        assert!(
            p["errors"]
                .as_array()
                .unwrap()
                .iter()
                .any(|e| e["field"] == field),
            "{field}: {p}"
        );
    }

    // Payments: the member sees their own, not another's; finance and the coordinator see them.
    let mine = format!("/api/v1/members/{}/payments", w.member_id);
    ok(w.app.get_as(&mine, &w.member.token).await, 200).await;
    ok(w.app.get_as(&mine, &w.finance.token).await, 200).await;
    ok(w.app.get_as(&mine, &w.coordinator.token).await, 200).await;
    assert_problem(w.app.get_as(&mine, &other_member.token).await, 404).await;
    assert_problem(
        w.app
            .get_as("/api/v1/members/nope/payments", &w.finance.token)
            .await,
        404,
    )
    .await;

    // Adjustments: bad amounts and unknown members.
    for body in [
        json!({"member_id": w.member_id, "amount": "0.00", "reason": "x", "kind": "fee"}),
        json!({"member_id": w.member_id, "amount": "10.00", "reason": " ", "kind": "fee"}),
        json!({"member_id": w.member_id, "amount": "10.00", "reason": "x", "kind": "bonus"}),
        json!({"member_id": "nobody", "amount": "10.00", "reason": "x", "kind": "fee"}),
    ] {
        assert_problem(
            w.app
                .post_as("/api/v1/adjustments", Some(&w.finance.token), body)
                .await,
            422,
        )
        .await;
    }

    // Resolve: for staff who can see the meeting.
    let m = w.meeting("2025-06-11", 60, "document_review").await;
    let why = ok(
        w.app
            .get_as(
                &format!(
                    "/api/v1/rate-cards/resolve?member_id={}&meeting_id={m}",
                    w.member_id
                ),
                &w.finance.token,
            )
            .await,
        200,
    )
    .await;
    assert_eq!(why["rule"]["fixed_amount"], "25.00", "{why}");
    assert!(
        s(&why["reason"]).contains("any role at a document_review"),
        "{why}"
    );
    assert_problem(
        w.app
            .get_as(
                &format!(
                    "/api/v1/rate-cards/resolve?member_id={}&meeting_id={m}",
                    w.member_id
                ),
                &w.member.token,
            )
            .await,
        403,
    )
    .await;
}

/// A claim approved, or a register taken, after its period's run was approved is not lost: the
/// next run pays it, priced at its own date, and says so in a warning.
async fn late_claims_and_records_are_paid_by_the_next_run(backend: TestBackend) {
    let w = World::new(backend).await;
    w.regional_card().await;
    let late = w.new_member("Lou Late", "member").await;
    let june = w.session(&w.member_id, "2025-06-10", 300).await;
    let claim = ok(
        w.app
            .post_as(
                &format!("/api/v1/meetings/{june}/expenses"),
                Some(&w.coordinator.token),
                json!({"member_id": w.member_id, "kind": "public_transport", "amount": "7.40"}),
            )
            .await,
        201,
    )
    .await;
    let run = w.draft("2025-06-01", "2025-06-30", "2025-07-04").await;
    assert_eq!(s(&run["total"]), "150.00");
    ok(w.approve_as(&run, &w.approver.token).await, 200).await;
    // After June's run: the claim is approved and Lou's attendance is recorded.
    ok(
        w.app
            .post_as(
                &format!("/api/v1/expenses/{}/approve", s(&claim["id"])),
                Some(&w.coordinator.token),
                json!({}),
            )
            .await,
        200,
    )
    .await;
    ok(
        w.register(
            &june,
            json!([{"member_id": w.member_id, "status": "attended"},
                   {"member_id": late, "status": "attended"}]),
        )
        .await,
        200,
    )
    .await;
    let july = w.draft("2025-07-01", "2025-07-31", "2025-08-04").await;
    assert_eq!(s(&july["total"]), "157.40", "{july}");
    let warnings = july["warnings"].to_string();
    assert!(
        warnings.contains("1 session and 1 expense claim from before 2025-07-01 are included"),
        "{warnings}"
    );
    ok(w.approve_as(&july, &w.approver.token).await, 200).await;
    // Paid once: a later run finds nothing left.
    let august = w.draft("2025-08-01", "2025-08-31", "2025-09-04").await;
    assert_eq!(s(&august["total"]), "0.00", "{august}");
}

both_backends!(
    late_claims_and_records_are_paid_by_the_next_run,
    worked_example_6_esa_cap_and_carry_forward,
    worked_examples_of_fees_and_choices,
    approval_guards_locks_and_adjustments,
    racing_approvals_never_pay_a_line_twice,
    two_group_runs_never_pay_a_capped_member_over_the_cap,
    roles_and_bad_input,
    exports_read_back_to_the_penny,
);
