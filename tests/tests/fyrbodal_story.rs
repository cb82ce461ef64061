//! The local platform model (Fyrbodal), end to end: a need entered in Dals-Ed finds nothing
//! locally, pools with a Bengtsfors need, escalates to the Dalsland cluster broker, becomes a
//! course request, a provider answers and the broker commissions the course. Then the rules
//! around it: escalation after days and by hand, every refused course-request transition, who
//! sees what, meetings, and support-tool links.

use broker_api::auth::Role;
use broker_e2e::{Reply, Scope, TestApp, spawn_app};
use chrono::{Days, Utc};
use serde_json::{Value, json};
use uuid::Uuid;

fn cnc_need(municipality: &str, headcount: u32) -> Value {
    json!({
        "municipality": municipality,
        "title": "CNC-operatörer till verkstaden",
        "purpose": "recruitment",
        "headcount": headcount,
        "needed_by": "2027-08-01",
        "competences": [{"label": "CNC-fräsning"}, {"label": "mätteknik"}]
    })
}

fn id_of(reply: &Reply) -> String {
    reply.body["id"].as_str().unwrap_or_default().to_owned()
}

fn today_plus(days: u64) -> String {
    Utc::now()
        .date_naive()
        .checked_add_days(Days::new(days))
        .unwrap_or_default()
        .to_string()
}

/// Registers an education provider and returns its id and a token for it.
async fn provider(app: &TestApp, name: &str) -> (String, String) {
    let id = organisation(app, name, "education_provider", "1460").await;
    let token = app.token_for(
        Role::Provider,
        Scope::organisation(id.parse().unwrap_or_default()),
    );
    (id, token)
}

/// The escalation event of a need, once it has one.
async fn escalation_event(app: &TestApp, need: &str, token: &str) -> Value {
    let events = app
        .eventually(&format!("/api/v1/needs/{need}/events"), Some(token), |b| {
            b.as_array()
                .is_some_and(|e| e.iter().any(|e| e["kind"] == "escalated"))
        })
        .await;
    events
        .body
        .as_array()
        .and_then(|e| e.iter().find(|e| e["kind"] == "escalated").cloned())
        .unwrap_or(Value::Null)
}

#[tokio::test]
async fn a_dals_ed_need_pools_with_bengtsfors_escalates_to_dalsland_and_becomes_a_commissioned_course()
 {
    let app = spawn_app().await;
    let (vux, vux_token) = provider(&app, "Vuxenutbildningen i Dalsland").await;
    let (_, other_token) = provider(&app, "Lernia Väst").await;
    let dals_ed = app.token_for(Role::MunicipalContact, Scope::municipality("1438"));
    let bengtsfors = app.token_for(Role::MunicipalContact, Scope::municipality("1460"));
    let cluster_broker = app.broker_for(&["dalsland"]);
    let local_broker = app.broker_for(&["dals-ed"]);

    // Bengtsfors already has the demand on its own platform.
    let theirs = app
        .post("/api/v1/needs", Some(&bengtsfors), &cnc_need("1460", 4))
        .await;
    assert_eq!(theirs.status, 201, "{}", theirs.text);
    let theirs = id_of(&theirs);

    // A Dals-Ed contact enters the same need; it lands on Dals-Ed's own platform.
    let mine = app
        .post("/api/v1/needs", Some(&dals_ed), &cnc_need("1438", 3))
        .await;
    assert_eq!(mine.status, 201, "{}", mine.text);
    assert_eq!(
        mine.body["platform_id"],
        app.platform_id("dals-ed").to_string()
    );
    assert_eq!(mine.body["escalation_level"], "local");
    let mine = id_of(&mine);

    // Nothing local fits: no course offer anywhere near.
    let offers = app
        .get(
            &format!("/api/v1/needs/{mine}/matches?kind=offer"),
            Some(&dals_ed),
        )
        .await;
    assert_eq!(offers.status, 200, "{}", offers.text);
    assert_eq!(offers.body["items"].as_array().map(Vec::len), Some(0));

    // It pools with the Bengtsfors need, so it escalates to the Dalsland cluster: visibly.
    let event = escalation_event(&app, &mine, &dals_ed).await;
    assert_eq!(
        event["detail"]["to_platform_id"],
        app.platform_id("dalsland").to_string(),
        "{event}"
    );
    assert_eq!(event["detail"]["level"], "cluster");
    assert_eq!(event["detail"]["reason"]["kind"], "pooled");
    assert_eq!(
        event["detail"]["reason"]["partner_need_id"],
        theirs.as_str()
    );
    let text = event["detail"]["text"].as_str().unwrap_or_default();
    assert!(
        text.starts_with("escalated to Dalslands kompetensplattform: pooled with Bengtsfors need"),
        "{text}"
    );
    assert_eq!(event["actor"], "system");
    // The Swedish broker reads the history in Swedish (by `lang` or `Accept-Language`), the
    // partner need named in Swedish too.
    let in_swedish = app
        .get(
            &format!("/api/v1/needs/{mine}/events?lang=sv"),
            Some(&dals_ed),
        )
        .await;
    assert_eq!(in_swedish.status, 200, "{}", in_swedish.text);
    let escalation_text = |reply: &Reply| {
        reply.body.as_array().and_then(|e| {
            e.iter()
                .find(|e| e["kind"] == "escalated")
                .and_then(|e| e["detail"]["text"].as_str())
                .map(str::to_owned)
        })
    };
    assert_eq!(
        escalation_text(&in_swedish).as_deref(),
        Some(
            "eskalerat till Dalslands kompetensplattform: samlas med Bengtsfors behov \"CNC-operatörer till verkstaden\""
        ),
        "{}",
        in_swedish.text
    );
    let by_header = app
        .send(
            app.client
                .get(app.url(&format!("/api/v1/needs/{mine}/events")))
                .header("Accept-Language", "nb-NO, en;q=0.5"),
            Some(&dals_ed),
        )
        .await;
    assert_eq!(
        escalation_text(&by_header).as_deref(),
        Some(
            "eskalert til Dalslands kompetensplattform: samles med Bengtsfors behov \"CNC-operatörer till verkstaden\""
        ),
        "{}",
        by_header.text
    );
    let now = app
        .get(&format!("/api/v1/needs/{mine}"), Some(&dals_ed))
        .await;
    assert_eq!(now.body["escalation_level"], "cluster");
    assert_eq!(
        now.body["platform_id"],
        app.platform_id("dalsland").to_string()
    );

    // The Bengtsfors need sees the same demand in Dals-Ed and follows it up.
    let theirs_event = escalation_event(&app, &theirs, &bengtsfors).await;
    assert_eq!(
        theirs_event["detail"]["reason"]["partner_need_id"],
        mine.as_str()
    );

    // The cluster broker's queue now holds the pooling suggestion; the Dals-Ed-only broker has
    // handed it over and no longer sees the need.
    let queue = app
        .eventually("/api/v1/matches?kind=need", Some(&cluster_broker), |b| {
            b["items"]
                .as_array()
                .is_some_and(|i| i.iter().any(|m| m["need_id"] == mine.as_str()))
        })
        .await;
    let pooled = queue.body["items"]
        .as_array()
        .and_then(|i| i.iter().find(|m| m["need_id"] == mine.as_str()).cloned())
        .unwrap_or_default();
    assert_eq!(pooled["target_id"], theirs.as_str(), "{}", queue.text);
    assert_eq!(
        pooled["platform_id"],
        app.platform_id("dalsland").to_string()
    );
    let local_queue = app
        .get("/api/v1/matches?kind=need", Some(&local_broker))
        .await;
    assert!(
        local_queue.body["items"]
            .as_array()
            .is_some_and(|i| i.iter().all(|m| m["need_id"] != mine.as_str())),
        "{}",
        local_queue.text
    );
    assert_eq!(
        app.get(&format!("/api/v1/needs/{mine}"), Some(&local_broker))
            .await
            .status,
        404
    );

    // The broker reads why they pool in Swedish or Norwegian, not only in English.
    let in_swedish = app
        .get("/api/v1/matches?kind=need&lang=sv", Some(&cluster_broker))
        .await;
    let explanation_of = |reply: &Reply| {
        reply.body["items"]
            .as_array()
            .and_then(|i| i.iter().find(|m| m["need_id"] == mine.as_str()))
            .and_then(|m| m["explanation"].as_str())
            .unwrap_or_default()
            .to_owned()
    };
    let sv = explanation_of(&in_swedish);
    assert!(
        sv.contains("delar") && !sv.contains("shares"),
        "a Swedish explanation: {sv}"
    );
    let in_norwegian = app
        .send(
            app.client
                .get(app.url("/api/v1/matches?kind=need"))
                .header("Accept-Language", "nb-NO, en;q=0.5"),
            Some(&cluster_broker),
        )
        .await;
    let nb = explanation_of(&in_norwegian);
    assert!(
        nb.contains("deler") && !nb.contains("shares"),
        "a Norwegian explanation: {nb}"
    );

    // The cluster broker agrees to pool them: both needs wait in the pool for one course,
    // neither is matched before a course exists.
    let accepted = app
        .post(
            &format!(
                "/api/v1/matches/{}/decision",
                pooled["id"].as_str().unwrap_or_default()
            ),
            Some(&cluster_broker),
            &json!({"decision": "accept", "version": pooled["version"]}),
        )
        .await;
    assert_eq!(accepted.status, 200, "{}", accepted.text);
    for (need, token) in [(&mine, &dals_ed), (&theirs, &bengtsfors)] {
        assert_eq!(
            app.get(&format!("/api/v1/needs/{need}"), Some(token))
                .await
                .body["status"],
            "pooled",
            "{need}"
        );
    }
    let pooled_list = app
        .get("/api/v1/needs?status=pooled", Some(&cluster_broker))
        .await;
    assert_eq!(pooled_list.body["total"], 2, "{}", pooled_list.text);

    // The cluster broker turns the pooled needs into one course request to every provider.
    let created = app
        .post(
            "/api/v1/course-requests",
            Some(&cluster_broker),
            &json!({"title": "CNC-operatörer i Dalsland", "need_ids": [mine, theirs],
                    "respond_by": today_plus(30), "wanted_start": today_plus(60)}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    let request = id_of(&created);
    assert_eq!(created.body["status"], "draft");
    assert_eq!(created.body["total_headcount"], 7);
    assert_eq!(
        created.body["platform_id"],
        app.platform_id("dalsland").to_string()
    );
    assert_eq!(
        created.body["municipalities"],
        json!([{"code": "1438", "name": "Dals-Ed"}, {"code": "1460", "name": "Bengtsfors"}])
    );
    assert_eq!(
        created.body["competences"].as_array().map(Vec::len),
        Some(2),
        "{}",
        created.text
    );
    assert_eq!(created.body["open_to_all"], true);

    // Providers see nothing until it is sent.
    assert_eq!(
        app.get("/api/v1/course-requests", Some(&vux_token))
            .await
            .body["total"],
        0
    );
    assert_eq!(
        app.get(
            &format!("/api/v1/course-requests/{request}"),
            Some(&vux_token)
        )
        .await
        .status,
        404
    );
    let sent = app
        .post(
            &format!("/api/v1/course-requests/{request}/send"),
            Some(&cluster_broker),
            &json!({"version": created.body["version"]}),
        )
        .await;
    assert_eq!(sent.status, 200, "{}", sent.text);
    assert_eq!(sent.body["status"], "sent");

    // A provider sees the total head count and the municipalities, nothing about the needs.
    let seen = app.get("/api/v1/course-requests", Some(&vux_token)).await;
    assert_eq!(seen.body["total"], 1, "{}", seen.text);
    let item = &seen.body["items"][0];
    assert_eq!(item["total_headcount"], 7);
    assert_eq!(item["municipalities"][1]["name"], "Bengtsfors");
    for hidden in ["need_ids", "addressed_to", "created_by"] {
        assert!(
            item.get(hidden).is_none(),
            "{hidden} shown to a provider: {item}"
        );
    }
    assert!(!seen.text.contains(&mine) && !seen.text.contains(&theirs));
    assert_eq!(item["allowed_actions"], json!(["answer"]));

    // It answers with a proposal; another provider declines.
    let answer = app
        .post(
            &format!("/api/v1/course-requests/{request}/answers"),
            Some(&vux_token),
            &json!({"response": "offer", "proposal": "CNC-operatör, 16 veckor på Campus Bengtsfors med distansteori",
                    "price_minor": 38_500_000, "currency": "SEK", "seats": 8, "start": today_plus(75)}),
        )
        .await;
    assert_eq!(answer.status, 201, "{}", answer.text);
    assert_eq!(answer.body["status"], "submitted");
    let answer_id = id_of(&answer);
    let twice = app
        .post(
            &format!("/api/v1/course-requests/{request}/answers"),
            Some(&vux_token),
            &json!({"response": "decline"}),
        )
        .await;
    assert_eq!(twice.status, 409, "one answer per provider: {}", twice.text);
    let declined = app
        .post(
            &format!("/api/v1/course-requests/{request}/answers"),
            Some(&other_token),
            &json!({"response": "decline", "note": "Ingen CNC-lärare ledig i höst"}),
        )
        .await;
    assert_eq!(declined.status, 201, "{}", declined.text);
    let own = app
        .get(
            &format!("/api/v1/course-requests/{request}/answers"),
            Some(&other_token),
        )
        .await;
    assert_eq!(
        own.body["items"].as_array().map(Vec::len),
        Some(1),
        "providers see their own answer"
    );

    // The broker tracks the answers and commissions the offer.
    let answers = app
        .get(
            &format!("/api/v1/course-requests/{request}/answers"),
            Some(&cluster_broker),
        )
        .await;
    assert_eq!(
        answers.body["items"].as_array().map(Vec::len),
        Some(2),
        "{}",
        answers.text
    );
    let current = app
        .get(
            &format!("/api/v1/course-requests/{request}"),
            Some(&cluster_broker),
        )
        .await;
    assert_eq!(current.body["status"], "answered");
    assert_eq!(current.body["answers"], 2);
    let commissioned = app
        .post(
            &format!("/api/v1/course-requests/{request}/decide"),
            Some(&cluster_broker),
            &json!({"decision": "commission", "answer_id": answer_id, "version": current.body["version"]}),
        )
        .await;
    assert_eq!(commissioned.status, 200, "{}", commissioned.text);
    assert_eq!(commissioned.body["status"], "commissioned");
    assert_eq!(
        commissioned.body["commissioned_answer_id"],
        answer_id.as_str()
    );

    // Each pooled need carries the link to the course and is matched.
    for (need, token) in [(&mine, &dals_ed), (&theirs, &bengtsfors)] {
        let events = app
            .get(&format!("/api/v1/needs/{need}/events"), Some(token))
            .await;
        let kinds: Vec<&str> = events
            .body
            .as_array()
            .map(|e| e.iter().filter_map(|e| e["kind"].as_str()).collect())
            .unwrap_or_default();
        assert_eq!(
            kinds,
            vec!["routed", "escalated", "pool", "pooled", "commissioned"],
            "{}",
            events.text
        );
        let last = &events.body[4]["detail"];
        assert_eq!(last["course_request_id"], request.as_str());
        assert_eq!(last["provider_id"], vux.as_str());
        assert_eq!(
            app.get(&format!("/api/v1/needs/{need}"), Some(token))
                .await
                .body["status"],
            "matched"
        );
    }
    let outcome = app
        .get(
            &format!("/api/v1/course-requests/{request}/answers"),
            Some(&vux_token),
        )
        .await;
    assert_eq!(outcome.body["items"][0]["status"], "chosen");
    let history = app
        .get(
            &format!("/api/v1/course-requests/{request}/events"),
            Some(&cluster_broker),
        )
        .await;
    let actions: Vec<&str> = history
        .body
        .as_array()
        .map(|e| e.iter().filter_map(|e| e["action"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(
        actions,
        vec!["send", "receive_answer", "receive_answer", "commission"]
    );
}

#[tokio::test]
async fn an_unmatched_need_escalates_after_the_platforms_days_one_level_at_a_time_and_stops_at_the_top()
 {
    let app = spawn_app().await;
    let admin = app.admin();
    let dals_ed = app.token_for(Role::MunicipalContact, Scope::municipality("1438"));
    let need = app
        .post(
            "/api/v1/needs",
            Some(&dals_ed),
            &json!({"municipality": "1438", "title": "Hovslagare", "purpose": "recruitment", "headcount": 1,
                    "competences": [{"label": "hovslagning"}]}),
        )
        .await;
    assert_eq!(need.status, 201, "{}", need.text);
    let id = id_of(&need);
    let run = |days: u64| {
        let admin = admin.clone();
        let app = &app;
        async move {
            app.post(
                "/api/v1/admin/jobs/escalation/run",
                Some(&admin),
                &json!({"as_of": today_plus(days)}),
            )
            .await
        }
    };
    let escalated_ids = |r: &Reply| -> Vec<String> {
        r.body["escalated"]
            .as_array()
            .map(|e| {
                e.iter()
                    .filter_map(|e| e["need_id"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    };
    let day20 = run(20).await;
    assert_eq!(day20.status, 200, "{}", day20.text);
    assert!(
        escalated_ids(&day20).is_empty(),
        "20 days is not yet the platform's 21"
    );
    let day21 = run(21).await;
    assert_eq!(escalated_ids(&day21), vec![id.clone()], "{}", day21.text);
    assert_eq!(
        day21.body["escalated"][0]["text"],
        "escalated to Dalslands kompetensplattform: unmatched for 21 days"
    );
    assert_eq!(day21.body["escalated"][0]["level"], "cluster");
    assert!(
        escalated_ids(&run(21).await).is_empty(),
        "never twice for the same reason"
    );
    // Dalsland's own 21 days count from the day it arrived there.
    assert!(escalated_ids(&run(41).await).is_empty());
    let day42 = run(42).await;
    assert_eq!(escalated_ids(&day42), vec![id.clone()], "{}", day42.text);
    assert_eq!(day42.body["escalated"][0]["level"], "subregional");
    assert!(
        escalated_ids(&run(400).await).is_empty(),
        "Fyrbodal is the top"
    );
    let after = app
        .get(&format!("/api/v1/needs/{id}"), Some(&dals_ed))
        .await;
    assert_eq!(after.body["escalation_level"], "subregional");
    assert_eq!(
        after.body["platform_id"],
        app.platform_id("fyrbodal").to_string()
    );
    let fyrbodal = app.broker_for(&["fyrbodal"]);
    assert_eq!(
        app.get(&format!("/api/v1/needs/{id}"), Some(&fyrbodal))
            .await
            .status,
        200
    );
    // Only admins run jobs.
    let broker_run = app
        .post(
            "/api/v1/admin/jobs/escalation/run",
            Some(&fyrbodal),
            &json!({}),
        )
        .await;
    assert_eq!(broker_run.status, 403);
    let bad_date = app
        .post(
            "/api/v1/admin/jobs/escalation/run",
            Some(&admin),
            &json!({"as_of": "soon"}),
        )
        .await;
    assert_eq!(bad_date.status, 422);
}

#[tokio::test]
async fn both_needs_of_an_accepted_pool_wait_for_their_course_instead_of_escalating() {
    let app = spawn_app().await;
    let dals_ed = app.token_for(Role::MunicipalContact, Scope::municipality("1438"));
    let bengtsfors = app.token_for(Role::MunicipalContact, Scope::municipality("1460"));
    let cluster_broker = app.broker_for(&["dalsland"]);
    let theirs = app
        .post("/api/v1/needs", Some(&bengtsfors), &cnc_need("1460", 4))
        .await;
    assert_eq!(theirs.status, 201, "{}", theirs.text);
    let theirs = id_of(&theirs);
    let mine = app
        .post("/api/v1/needs", Some(&dals_ed), &cnc_need("1438", 3))
        .await;
    assert_eq!(mine.status, 201, "{}", mine.text);
    let mine = id_of(&mine);
    // Pooling takes both to the Dalsland cluster at once.
    escalation_event(&app, &mine, &dals_ed).await;
    escalation_event(&app, &theirs, &bengtsfors).await;
    let queue = app
        .eventually("/api/v1/matches?kind=need", Some(&cluster_broker), |b| {
            b["items"].as_array().is_some_and(|i| !i.is_empty())
        })
        .await;
    let pool = queue.body["items"][0].clone();
    let (owner, partner) = (
        pool["need_id"].as_str().unwrap_or_default().to_owned(),
        pool["target_id"].as_str().unwrap_or_default().to_owned(),
    );
    let mut pair = [owner.clone(), partner.clone()];
    pair.sort();
    let mut expected = [mine.clone(), theirs.clone()];
    expected.sort();
    assert_eq!(pair, expected, "{}", queue.text);
    let accepted = app
        .post(
            &format!(
                "/api/v1/matches/{}/decision",
                pool["id"].as_str().unwrap_or_default()
            ),
            Some(&cluster_broker),
            &json!({"decision": "accept", "version": pool["version"]}),
        )
        .await;
    assert_eq!(accepted.status, 200, "{}", accepted.text);

    // Long past Dalsland's days, neither the need that owns the suggestion nor its partner
    // moves on to Fyrbodal: the pool has its answer coming.
    let run = app
        .post(
            "/api/v1/admin/jobs/escalation/run",
            Some(&app.admin()),
            &json!({"as_of": today_plus(60)}),
        )
        .await;
    assert_eq!(run.status, 200, "{}", run.text);
    assert_eq!(run.body["escalated"], json!([]), "{}", run.text);
    for (need, token) in [(&mine, &dals_ed), (&theirs, &bengtsfors)] {
        let now = app.get(&format!("/api/v1/needs/{need}"), Some(token)).await;
        assert_eq!(now.body["status"], "pooled", "{}", now.text);
        assert_eq!(now.body["escalation_level"], "cluster", "{}", now.text);
    }
}

#[tokio::test]
async fn a_broker_escalates_by_hand_with_a_reason_and_the_refusals_are_specific() {
    let app = spawn_app().await;
    let uddevalla = app.token_for(Role::MunicipalContact, Scope::municipality("1485"));
    let need = app
        .post(
            "/api/v1/needs",
            Some(&uddevalla),
            &json!({"municipality": "1485", "title": "Lokalvårdare", "purpose": "upskilling", "headcount": 5,
                    "competences": [{"label": "lokalvård"}]}),
        )
        .await;
    let id = id_of(&need);
    let path = format!("/api/v1/needs/{id}/escalate");
    let local = app.broker_for(&["uddevalla"]);
    let elsewhere = app.broker_for(&["tanum"]);
    assert_eq!(
        app.post(
            &path,
            Some(&elsewhere),
            &json!({"version": 1, "reason": "x"})
        )
        .await
        .status,
        404,
        "another platform's need"
    );
    assert_eq!(
        app.post(
            &path,
            Some(&uddevalla),
            &json!({"version": 1, "reason": "x"})
        )
        .await
        .status,
        403,
        "contacts do not escalate"
    );
    let no_reason = app
        .post(&path, Some(&local), &json!({"version": 1, "reason": " "}))
        .await;
    assert_eq!(no_reason.status, 422);
    assert_eq!(no_reason.problem_fields(), vec!["reason"]);
    let stale = app
        .post(&path, Some(&local), &json!({"version": 7, "reason": "x"}))
        .await;
    assert_eq!(stale.status, 409);
    let up = app
        .post(
            &path,
            Some(&local),
            &json!({"version": 1, "reason": "Behovet finns i hela Fyrbodal"}),
        )
        .await;
    assert_eq!(up.status, 200, "{}", up.text);
    assert_eq!(up.body["escalation_level"], "subregional");
    assert_eq!(
        up.body["platform_id"],
        app.platform_id("fyrbodal").to_string()
    );
    let events = app
        .get(&format!("/api/v1/needs/{id}/events"), Some(&uddevalla))
        .await;
    let event = events
        .body
        .as_array()
        .and_then(|e| e.iter().find(|e| e["kind"] == "escalated").cloned())
        .unwrap_or_default();
    assert_eq!(event["detail"]["reason"]["kind"], "manual");
    assert!(
        event["actor"]
            .as_str()
            .is_some_and(|a| a.starts_with("broker-")),
        "{event}"
    );
    assert!(
        event["detail"]["text"]
            .as_str()
            .is_some_and(|t| t.ends_with("by a broker: Behovet finns i hela Fyrbodal")),
        "{event}"
    );
    // Handed over: the Uddevalla broker no longer sees it; the sub-regional broker cannot go higher.
    assert_eq!(
        app.post(&path, Some(&local), &json!({"version": 2, "reason": "x"}))
            .await
            .status,
        404
    );
    let top = app.broker_for(&["fyrbodal"]);
    let refused = app
        .post(
            &path,
            Some(&top),
            &json!({"version": up.body["version"], "reason": "högre"}),
        )
        .await;
    assert_eq!(refused.status, 409, "{}", refused.text);
    assert_eq!(refused.body["code"], "conflict");
    // A withdrawn need does not escalate.
    let withdrawn = app
        .post(
            &format!("/api/v1/needs/{id}/withdraw"),
            Some(&uddevalla),
            &json!({"version": up.body["version"]}),
        )
        .await;
    assert_eq!(withdrawn.status, 200, "{}", withdrawn.text);
    let closed = app
        .post(
            &path,
            Some(&top),
            &json!({"version": withdrawn.body["version"], "reason": "x"}),
        )
        .await;
    assert_eq!(closed.status, 409);
    assert_eq!(closed.body["code"], "invalid_transition");
    assert_eq!(
        closed.body["detail"],
        "a need in state `withdrawn` cannot `escalate`"
    );
}

/// A sent course request over two Dalsland needs, with its id and the cluster broker's token.
async fn sent_request(app: &TestApp, body_extra: Value) -> (String, String, Value) {
    let broker = app.broker_for(&["dalsland", "dals-ed", "bengtsfors"]);
    let mut ids = Vec::new();
    for (code, title) in [("1438", "Truckförare"), ("1461", "Truckförare till lagret")] {
        let contact = app.token_for(Role::MunicipalContact, Scope::municipality(code));
        let need = app
            .post(
                "/api/v1/needs",
                Some(&contact),
                &json!({"municipality": code, "title": title, "purpose": "upskilling", "headcount": 2,
                        "competences": [{"label": "truckkort"}]}),
            )
            .await;
        assert_eq!(need.status, 201, "{}", need.text);
        ids.push(id_of(&need));
    }
    let mut body = json!({"title": "Truckutbildning", "need_ids": ids, "platform_id": app.platform_id("dalsland")});
    if let (Some(b), Some(extra)) = (body.as_object_mut(), body_extra.as_object()) {
        for (k, v) in extra {
            b.insert(k.clone(), v.clone());
        }
    }
    let created = app
        .post("/api/v1/course-requests", Some(&broker), &body)
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    let id = id_of(&created);
    let sent = app
        .post(
            &format!("/api/v1/course-requests/{id}/send"),
            Some(&broker),
            &json!({"version": created.body["version"]}),
        )
        .await;
    assert_eq!(sent.status, 200, "{}", sent.text);
    (id, broker, sent.body)
}

#[tokio::test]
async fn every_refused_course_request_transition_is_a_409_naming_the_edge() {
    let app = spawn_app().await;
    let (_, vux) = provider(&app, "Vuxenutbildningen i Dalsland").await;
    let refuse = |reply: &Reply, from: &str, action: &str| {
        assert_eq!(reply.status, 409, "{from} --{action}: {}", reply.text);
        assert_eq!(reply.body["code"], "invalid_transition", "{}", reply.text);
        assert_eq!(
            reply.body["detail"],
            format!("a course_request in state `{from}` cannot `{action}`")
        );
    };
    let decide = |id: &str, decision: &str, version: &Value, extra: Value| {
        let mut body = json!({"decision": decision, "version": version});
        if let (Some(b), Some(e)) = (body.as_object_mut(), extra.as_object()) {
            b.extend(e.clone());
        }
        (format!("/api/v1/course-requests/{id}/decide"), body)
    };

    // Draft: cannot be commissioned or declined.
    let broker = app.broker_for(&["dalsland", "dals-ed"]);
    let contact = app.token_for(Role::MunicipalContact, Scope::municipality("1438"));
    let need = app
        .post(
            "/api/v1/needs",
            Some(&contact),
            &json!({"municipality": "1438", "title": "Svetsare", "purpose": "recruitment", "headcount": 2,
                    "competences": [{"label": "MIG/MAG-svetsning"}]}),
        )
        .await;
    let draft = app
        .post(
            "/api/v1/course-requests",
            Some(&broker),
            &json!({"title": "Svetskurs", "need_ids": [id_of(&need)]}),
        )
        .await;
    assert_eq!(draft.status, 201, "{}", draft.text);
    let draft_id = id_of(&draft);
    let v = draft.body["version"].clone();
    for (decision, extra, action) in [
        (
            "commission",
            json!({"answer_id": Uuid::new_v4()}),
            "commission",
        ),
        ("decline", json!({"reason": "inget passar"}), "decline"),
    ] {
        let (path, body) = decide(&draft_id, decision, &v, extra);
        refuse(
            &app.post(&path, Some(&broker), &body).await,
            "draft",
            action,
        );
    }
    // ... and a provider cannot answer what was never sent (it does not exist for them).
    let unsent = app
        .post(
            &format!("/api/v1/course-requests/{draft_id}/answers"),
            Some(&vux),
            &json!({"response": "decline"}),
        )
        .await;
    assert_eq!(unsent.status, 404);
    // A need in a live request cannot be pooled into another.
    let again = app
        .post(
            "/api/v1/course-requests",
            Some(&broker),
            &json!({"title": "Igen", "need_ids": [id_of(&need)]}),
        )
        .await;
    assert_eq!(again.status, 409, "{}", again.text);
    // Cancelled: nothing more.
    let (path, body) = decide(&draft_id, "cancel", &v, json!({}));
    let cancelled = app.post(&path, Some(&broker), &body).await;
    assert_eq!(cancelled.status, 200, "{}", cancelled.text);
    assert_eq!(cancelled.body["allowed_actions"], json!([]));
    let cv = cancelled.body["version"].clone();
    refuse(
        &app.post(
            &format!("/api/v1/course-requests/{draft_id}/send"),
            Some(&broker),
            &json!({"version": cv}),
        )
        .await,
        "cancelled",
        "send",
    );
    let (path, body) = decide(&draft_id, "cancel", &cv, json!({}));
    refuse(
        &app.post(&path, Some(&broker), &body).await,
        "cancelled",
        "cancel",
    );
    // Its need is free again.
    let reused = app
        .post(
            "/api/v1/course-requests",
            Some(&broker),
            &json!({"title": "Igen", "need_ids": [id_of(&need)]}),
        )
        .await;
    assert_eq!(reused.status, 201, "{}", reused.text);

    // Sent: not again, and no decision before an answer.
    let (sent_id, broker, sent) = sent_request(&app, json!({})).await;
    let sv = sent["version"].clone();
    refuse(
        &app.post(
            &format!("/api/v1/course-requests/{sent_id}/send"),
            Some(&broker),
            &json!({"version": sv}),
        )
        .await,
        "sent",
        "send",
    );
    let (path, body) = decide(&sent_id, "decline", &sv, json!({"reason": "för dyrt"}));
    refuse(
        &app.post(&path, Some(&broker), &body).await,
        "sent",
        "decline",
    );
    let (path, body) = decide(
        &sent_id,
        "commission",
        &sv,
        json!({"answer_id": Uuid::new_v4()}),
    );
    refuse(
        &app.post(&path, Some(&broker), &body).await,
        "sent",
        "commission",
    );

    // Answered: not sent again; a commission must name an answer that offers the course.
    let declined = app
        .post(
            &format!("/api/v1/course-requests/{sent_id}/answers"),
            Some(&vux),
            &json!({"response": "decline", "note": "fullt"}),
        )
        .await;
    assert_eq!(declined.status, 201, "{}", declined.text);
    let answered = app
        .get(&format!("/api/v1/course-requests/{sent_id}"), Some(&broker))
        .await;
    assert_eq!(answered.body["status"], "answered");
    let av = answered.body["version"].clone();
    refuse(
        &app.post(
            &format!("/api/v1/course-requests/{sent_id}/send"),
            Some(&broker),
            &json!({"version": av}),
        )
        .await,
        "answered",
        "send",
    );
    let (path, body) = decide(
        &sent_id,
        "commission",
        &av,
        json!({"answer_id": id_of(&declined)}),
    );
    let not_an_offer = app.post(&path, Some(&broker), &body).await;
    assert_eq!(not_an_offer.status, 422, "{}", not_an_offer.text);
    assert_eq!(not_an_offer.problem_fields(), vec!["answer_id"]);
    let (path, body) = decide(&sent_id, "decline", &av, json!({}));
    let no_reason = app.post(&path, Some(&broker), &body).await;
    assert_eq!(no_reason.problem_fields(), vec!["reason"]);
    let (path, body) = decide(&sent_id, "approve", &av, json!({}));
    assert_eq!(
        app.post(&path, Some(&broker), &body).await.problem_fields(),
        vec!["decision"]
    );
    let (path, body) = decide(
        &sent_id,
        "decline",
        &json!(1),
        json!({"reason": "inget passar"}),
    );
    let stale = app.post(&path, Some(&broker), &body).await;
    assert_eq!(stale.status, 409);
    assert_eq!(
        stale.body["code"], "conflict",
        "a stale version: {}",
        stale.text
    );

    // Declined: final, and no more answers.
    let (path, body) = decide(
        &sent_id,
        "decline",
        &av,
        json!({"reason": "ingen kan ge kursen i år"}),
    );
    let done = app.post(&path, Some(&broker), &body).await;
    assert_eq!(done.status, 200, "{}", done.text);
    assert_eq!(done.body["status"], "declined");
    let dv = done.body["version"].clone();
    for (decision, extra, action) in [
        (
            "commission",
            json!({"answer_id": id_of(&declined)}),
            "commission",
        ),
        ("decline", json!({"reason": "igen"}), "decline"),
        ("cancel", json!({}), "cancel"),
    ] {
        let (path, body) = decide(&sent_id, decision, &dv, extra);
        refuse(
            &app.post(&path, Some(&broker), &body).await,
            "declined",
            action,
        );
    }
    let (_, late) = provider(&app, "Sent påkommen AB").await;
    refuse(
        &app.post(
            &format!("/api/v1/course-requests/{sent_id}/answers"),
            Some(&late),
            &json!({"response": "decline"}),
        )
        .await,
        "declined",
        "receive_answer",
    );

    // Commissioned: final too.
    let (third, broker, sent) = sent_request(&app, json!({})).await;
    let _ = sent;
    let offered = app
        .post(
            &format!("/api/v1/course-requests/{third}/answers"),
            Some(&vux),
            &json!({"response": "offer", "proposal": "Truckkort A+B, två dagar", "seats": 4}),
        )
        .await;
    assert_eq!(offered.status, 201, "{}", offered.text);
    let current = app
        .get(&format!("/api/v1/course-requests/{third}"), Some(&broker))
        .await;
    let (path, body) = decide(
        &third,
        "commission",
        &current.body["version"],
        json!({"answer_id": id_of(&offered)}),
    );
    let commissioned = app.post(&path, Some(&broker), &body).await;
    assert_eq!(commissioned.status, 200, "{}", commissioned.text);
    let kv = commissioned.body["version"].clone();
    for (decision, extra, action) in [
        (
            "commission",
            json!({"answer_id": id_of(&offered)}),
            "commission",
        ),
        ("decline", json!({"reason": "ångrat"}), "decline"),
        ("cancel", json!({}), "cancel"),
    ] {
        let (path, body) = decide(&third, decision, &kv, extra);
        refuse(
            &app.post(&path, Some(&broker), &body).await,
            "commissioned",
            action,
        );
    }
    refuse(
        &app.post(
            &format!("/api/v1/course-requests/{third}/send"),
            Some(&broker),
            &json!({"version": kv}),
        )
        .await,
        "commissioned",
        "send",
    );
    refuse(
        &app.post(
            &format!("/api/v1/course-requests/{third}/answers"),
            Some(&late),
            &json!({"response": "decline"}),
        )
        .await,
        "commissioned",
        "receive_answer",
    );
}

#[tokio::test]
async fn course_requests_are_seen_only_by_their_broker_and_the_providers_they_address() {
    let app = spawn_app().await;
    let (vux_id, vux) = provider(&app, "Vuxenutbildningen i Dalsland").await;
    let (_, lernia) = provider(&app, "Lernia Väst").await;
    let (id, broker, _) = sent_request(&app, json!({"provider_ids": [vux_id]})).await;
    let path = format!("/api/v1/course-requests/{id}");

    // The addressed provider sees it; another provider neither finds nor reaches it.
    assert_eq!(app.get(&path, Some(&vux)).await.status, 200);
    assert_eq!(app.get(&path, Some(&lernia)).await.status, 404);
    assert_eq!(
        app.get("/api/v1/course-requests", Some(&lernia)).await.body["total"],
        0
    );
    assert_eq!(
        app.post(
            &format!("{path}/answers"),
            Some(&lernia),
            &json!({"response": "decline"})
        )
        .await
        .status,
        404
    );
    let listed = app.get("/api/v1/course-requests", Some(&vux)).await;
    assert_eq!(listed.body["total"], 1);
    assert!(
        listed.body["items"][0].get("addressed_to").is_none(),
        "other addressees stay hidden"
    );
    assert_eq!(
        app.get(&format!("{path}/events"), Some(&vux)).await.status,
        403
    );
    assert_eq!(
        app.post(
            &format!("{path}/decide"),
            Some(&vux),
            &json!({"decision": "cancel", "version": 2})
        )
        .await
        .status,
        403
    );

    // A broker of another platform gets 404 for everything; the list is empty for them.
    let uddevalla = app.broker_for(&["uddevalla"]);
    assert_eq!(app.get(&path, Some(&uddevalla)).await.status, 404);
    assert_eq!(
        app.get(&format!("{path}/answers"), Some(&uddevalla))
            .await
            .status,
        404
    );
    assert_eq!(
        app.post(
            &format!("{path}/decide"),
            Some(&uddevalla),
            &json!({"decision": "cancel", "version": 2})
        )
        .await
        .status,
        404
    );
    assert_eq!(
        app.get("/api/v1/course-requests", Some(&uddevalla))
            .await
            .body["total"],
        0
    );
    assert_eq!(
        app.get("/api/v1/course-requests", Some(&broker)).await.body["total"],
        1
    );

    // Contacts have no view of course requests; providers do not create them.
    let contact = app.token_for(Role::MunicipalContact, Scope::municipality("1438"));
    assert_eq!(
        app.get("/api/v1/course-requests", Some(&contact))
            .await
            .status,
        403
    );
    assert_eq!(app.get(&path, Some(&contact)).await.status, 403);
    assert_eq!(
        app.post(
            "/api/v1/course-requests",
            Some(&vux),
            &json!({"title": "x", "need_ids": []})
        )
        .await
        .status,
        403
    );
    assert_eq!(app.get("/api/v1/course-requests", None).await.status, 401);

    // A broker pools only needs on platforms it brokers, and names real providers.
    let tanum = app.token_for(Role::MunicipalContact, Scope::municipality("1435"));
    let far = app
        .post(
            "/api/v1/needs",
            Some(&tanum),
            &json!({"municipality": "1435", "title": "Kockar", "purpose": "recruitment", "headcount": 2,
                    "competences": [{"label": "matlagning"}]}),
        )
        .await;
    let refused = app
        .post(
            "/api/v1/course-requests",
            Some(&broker),
            &json!({"title": "Kockar", "need_ids": [id_of(&far)], "provider_ids": [Uuid::new_v4()],
                    "unknown": true}),
        )
        .await;
    assert_eq!(
        refused.status, 422,
        "unknown fields are refused: {}",
        refused.text
    );
    let refused = app
        .post(
            "/api/v1/course-requests",
            Some(&broker),
            &json!({"title": "Kockar", "need_ids": [id_of(&far)], "provider_ids": [Uuid::new_v4()]}),
        )
        .await;
    assert_eq!(refused.status, 422, "{}", refused.text);
    let mut fields = refused.problem_fields();
    fields.sort();
    assert_eq!(fields, vec!["need_ids[0]", "provider_ids[0]"]);
}

#[tokio::test]
async fn a_broker_meeting_records_participants_an_agenda_linked_to_needs_and_requests_and_minutes()
{
    let app = spawn_app().await;
    let (vux_id, _) = provider(&app, "Vuxenutbildningen i Dalsland").await;
    let (request, broker, sent) = sent_request(&app, json!({})).await;
    let needs = app
        .get(&format!("/api/v1/course-requests/{request}"), Some(&broker))
        .await
        .body["need_ids"]
        .clone();
    let need = needs[0].as_str().unwrap_or_default().to_owned();
    assert_eq!(sent["status"], "sent");
    let created = app
        .post(
            "/api/v1/meetings",
            Some(&broker),
            &json!({
                "platform_id": app.platform_id("dalsland"),
                "kind": "broker_meeting",
                "title": "Mäklarträff Dalsland",
                "held_on": today_plus(7),
                "participants": [
                    {"organisation_id": vux_id, "role": "anordnare"},
                    {"name": "Kontaktperson Dals-Ed", "role": "kontaktperson"}
                ],
                "agenda": [
                    {"title": "Truckbehov i Dals-Ed och Mellerud", "need_ids": needs, "course_request_ids": [request],
                     "outcome": "Kursförfrågan skickad till alla anordnare"},
                    {"title": "Validering Väst för vårdbiträden"}
                ]
            }),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    let id = id_of(&created);
    assert_eq!(
        created.body["participants"][0]["name"], "Vuxenutbildningen i Dalsland",
        "filled in from the register"
    );
    assert_eq!(
        created.body["agenda"][0]["need_ids"]
            .as_array()
            .map(Vec::len),
        Some(2)
    );
    assert_eq!(
        created.body["agenda"][0]["course_request_ids"],
        json!([request])
    );
    assert_eq!(created.body["version"], 1);

    // Found by what it discussed.
    let by_need = app
        .get(&format!("/api/v1/meetings?need={need}"), Some(&broker))
        .await;
    assert_eq!(by_need.body["total"], 1, "{}", by_need.text);
    let by_request = app
        .get(
            &format!("/api/v1/meetings?course_request={request}&kind=broker_meeting"),
            Some(&broker),
        )
        .await;
    assert_eq!(by_request.body["total"], 1);
    assert_eq!(
        app.get("/api/v1/meetings?kind=network_meeting", Some(&broker))
            .await
            .body["total"],
        0
    );

    // Minutes after the meeting, with the version seen; a stale version changes nothing.
    let minuted = app
        .patch(
            &format!("/api/v1/meetings/{id}"),
            Some(&broker),
            &json!({"version": 1, "minutes": "Beslut: vänta in svar till den 1 mars."}),
        )
        .await;
    assert_eq!(minuted.status, 200, "{}", minuted.text);
    assert_eq!(minuted.body["version"], 2);
    assert_eq!(
        minuted.body["agenda"].as_array().map(Vec::len),
        Some(2),
        "the agenda is kept"
    );
    let stale = app
        .patch(
            &format!("/api/v1/meetings/{id}"),
            Some(&broker),
            &json!({"version": 1, "title": "x"}),
        )
        .await;
    assert_eq!(stale.status, 409);
    assert_eq!(
        app.get(&format!("/api/v1/meetings/{id}"), Some(&broker))
            .await
            .body["minutes"],
        "Beslut: vänta in svar till den 1 mars."
    );

    // Scope: another platform's broker gets 404, a contact 403; links must be visible to the
    // caller; bad input names its fields.
    let uddevalla = app.broker_for(&["uddevalla"]);
    assert_eq!(
        app.get(&format!("/api/v1/meetings/{id}"), Some(&uddevalla))
            .await
            .status,
        404
    );
    assert_eq!(
        app.get("/api/v1/meetings", Some(&uddevalla)).await.body["total"],
        0
    );
    let contact = app.token_for(Role::MunicipalContact, Scope::municipality("1438"));
    assert_eq!(
        app.get("/api/v1/meetings", Some(&contact)).await.status,
        403
    );
    let foreign = app
        .post(
            "/api/v1/meetings",
            Some(&uddevalla),
            &json!({"platform_id": app.platform_id("uddevalla"), "kind": "network_meeting", "title": "Nätverksträff",
                    "held_on": today_plus(3), "agenda": [{"title": "Dalslands behov", "need_ids": [need]}]}),
        )
        .await;
    assert_eq!(foreign.status, 422, "{}", foreign.text);
    assert_eq!(foreign.problem_fields(), vec!["agenda[0].need_ids"]);
    let bad = app
        .post(
            "/api/v1/meetings",
            Some(&broker),
            &json!({"platform_id": app.platform_id("dalsland"), "kind": "party", "title": "",
                    "participants": [{}]}),
        )
        .await;
    assert_eq!(bad.status, 422);
    let mut fields = bad.problem_fields();
    fields.sort();
    assert_eq!(fields, vec!["held_on", "kind", "participants[0]", "title"]);
    let elsewhere = app
        .post(
            "/api/v1/meetings",
            Some(&broker),
            &json!({"platform_id": app.platform_id("uddevalla"), "kind": "network_meeting", "title": "x", "held_on": today_plus(1)}),
        )
        .await;
    assert_eq!(elsewhere.status, 404, "not a platform this broker keeps");
}

#[tokio::test]
async fn support_tool_links_live_on_needs_and_offers_and_older_clients_keep_working() {
    let app = spawn_app().await;
    let (vux_id, vux) = provider(&app, "Vuxenutbildningen i Dalsland").await;
    let contact = app.token_for(Role::MunicipalContact, Scope::municipality("1438"));
    let need = app
        .post(
            "/api/v1/needs",
            Some(&contact),
            &json!({"municipality": "1438", "title": "Undersköterskor", "purpose": "validation", "headcount": 4,
                    "competences": [{"label": "omvårdnad"}],
                    "support_tool_links": [
                        {"tool": "validering_vast", "note": "Fyra vårdbiträden vill valideras"},
                        {"tool": "rekas", "url": "https://example.se/rekas/vard"}
                    ]}),
        )
        .await;
    assert_eq!(need.status, 201, "{}", need.text);
    assert_eq!(
        need.body["support_tool_links"][0]["tool"],
        "validering_vast"
    );
    assert_eq!(
        need.body["support_tool_links"][1]["url"],
        "https://example.se/rekas/vard"
    );
    let id = id_of(&need);
    let changed = app
        .patch(
            &format!("/api/v1/needs/{id}"),
            Some(&contact),
            &json!({"version": 1, "title": "Undersköterskor till hemtjänsten"}),
        )
        .await;
    assert_eq!(changed.status, 200, "{}", changed.text);
    assert_eq!(
        changed.body["support_tool_links"].as_array().map(Vec::len),
        Some(2),
        "kept when absent"
    );
    let bad = app
        .patch(
            &format!("/api/v1/needs/{id}"),
            Some(&contact),
            &json!({"version": 2, "support_tool_links": [{"tool": "other"}, {"tool": "rekas", "url": "rekas.se"}]}),
        )
        .await;
    assert_eq!(bad.status, 422);
    let mut fields = bad.problem_fields();
    fields.sort();
    assert_eq!(
        fields,
        vec!["support_tool_links[0].note", "support_tool_links[1].url"]
    );

    // An offer that includes validation of prior learning, written by an older client.
    let offer = app
        .post(
            "/api/v1/offers",
            Some(&vux),
            &json!({"provider_id": vux_id, "title": "Undersköterska med validering", "delivery": "blended",
                    "competence_labels": ["omvårdnad"], "validation_offered": true,
                    "support_tools": ["validering_vast"],
                    "instances": [{"start": today_plus(90), "municipality": "1460", "seats": 20}]}),
        )
        .await;
    assert_eq!(offer.status, 201, "{}", offer.text);
    assert_eq!(offer.body["support_tools"], json!(["validering_vast"]));
    assert_eq!(
        offer.body["support_tool_links"],
        json!([{"tool": "validering_vast", "url": null, "note": null}])
    );
    let offer_id = id_of(&offer);
    let linked = app
        .patch(
            &format!("/api/v1/offers/{offer_id}"),
            Some(&vux),
            &json!({"version": 1, "support_tool_links": [
                {"tool": "validering_vast", "url": "https://example.se/validering/usk", "note": "Validering mot undersköterskeprogrammet ingår"}
            ]}),
        )
        .await;
    assert_eq!(linked.status, 200, "{}", linked.text);
    // An older client that only knows tool names adds SYV Online; the link's URL and note stay.
    let older = app
        .patch(
            &format!("/api/v1/offers/{offer_id}"),
            Some(&vux),
            &json!({"version": 2, "support_tools": ["validering_vast", "syv_online"]}),
        )
        .await;
    assert_eq!(older.status, 200, "{}", older.text);
    assert_eq!(
        older.body["support_tools"],
        json!(["validering_vast", "syv_online"])
    );
    assert_eq!(
        older.body["support_tool_links"][0]["note"],
        "Validering mot undersköterskeprogrammet ingår"
    );
    let unknown = app
        .patch(
            &format!("/api/v1/offers/{offer_id}"),
            Some(&vux),
            &json!({"version": 3, "support_tools": ["astrologi"]}),
        )
        .await;
    assert_eq!(unknown.problem_fields(), vec!["support_tools[0]"]);
}

/// Registers an organisation of `kind` in `municipality` and returns its id.
async fn organisation(app: &TestApp, name: &str, kind: &str, municipality: &str) -> String {
    let created = app
        .post(
            "/api/v1/organisations",
            Some(&app.admin()),
            &json!({"name": name, "kind": kind, "country": "SE", "municipality": municipality}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    id_of(&created)
}

/// The feed entries of `token`'s feed, as (action, entity_id, title).
async fn feed_of(app: &TestApp, token: &str) -> Vec<(String, String, Value)> {
    let feed = app.get("/api/v1/me/feed?limit=100", Some(token)).await;
    assert_eq!(feed.status, 200, "{}", feed.text);
    feed.body["items"]
        .as_array()
        .map(|items| {
            items
                .iter()
                .map(|i| {
                    (
                        i["action"].as_str().unwrap_or_default().to_owned(),
                        i["entity_id"].as_str().unwrap_or_default().to_owned(),
                        i["title"].clone(),
                    )
                })
                .collect()
        })
        .unwrap_or_default()
}

#[tokio::test]
async fn the_contact_person_forms_the_local_council_and_the_cluster_broker_changes_it() {
    let app = spawn_app().await;
    let council = broker_api::demo::stable_id("group", "council-dals-ed").to_string();
    let dalsland_council = broker_api::demo::stable_id("group", "council-dalsland").to_string();
    let dals_ed = app.token_for(Role::MunicipalContact, Scope::municipality("1438"));
    let bengtsfors = app.token_for(Role::MunicipalContact, Scope::municipality("1460"));
    let cluster_broker = app.broker_for(&["dalsland"]);
    let uddevalla_broker = app.broker_for(&["uddevalla"]);
    let workshop = organisation(&app, "Dals-Eds Mekaniska", "employer", "1438").await;
    let school = organisation(&app, "Dals-Eds gymnasieskola", "education_provider", "1438").await;
    let dals_ed_platform = app.platform_id("dals-ed");

    // The cluster broker follows Dals-Ed's platform, to hear how its council takes shape.
    app.follow(&cluster_broker, "platform", &dals_ed_platform.to_string())
        .await;

    // The contact person finds the council among the platform's groups: only the council.
    let groups = app
        .get(
            &format!("/api/v1/groups?platform={dals_ed_platform}"),
            Some(&dals_ed),
        )
        .await;
    assert_eq!(groups.status, 200, "{}", groups.text);
    let kinds: Vec<&str> = groups.body["items"]
        .as_array()
        .map(|i| i.iter().filter_map(|g| g["kind"].as_str()).collect())
        .unwrap_or_default();
    assert!(!kinds.is_empty(), "{}", groups.text);
    assert!(kinds.iter().all(|k| *k == "local_competence_council"));
    assert!(groups.text.contains(&council));

    // ... and forms it: a local employer joins with its mandate.
    let joined = app
        .post(
            &format!("/api/v1/groups/{council}/memberships"),
            Some(&dals_ed),
            &json!({"organisation_id": workshop, "role": "ledamot", "mandate_given": true}),
        )
        .await;
    assert_eq!(joined.status, 201, "{}", joined.text);
    assert_eq!(joined.body["organisation_name"], "Dals-Eds Mekaniska");
    let employer_seat = id_of(&joined);

    // The broker of Dals-Ed's arrangement (the Dalsland cluster) changes the council too.
    let school_joins = app
        .post(
            &format!("/api/v1/groups/{council}/memberships"),
            Some(&cluster_broker),
            &json!({"organisation_id": school, "role": "ledamot"}),
        )
        .await;
    assert_eq!(school_joins.status, 201, "{}", school_joins.text);
    let school_seat = id_of(&school_joins);
    let ended = app
        .post(
            &format!("/api/v1/groups/{council}/memberships/{employer_seat}/end"),
            Some(&cluster_broker),
            &json!({}),
        )
        .await;
    assert_eq!(ended.status, 200, "{}", ended.text);
    let ended_by_contact = app
        .post(
            &format!("/api/v1/groups/{council}/memberships/{school_seat}/end"),
            Some(&dals_ed),
            &json!({}),
        )
        .await;
    assert_eq!(ended_by_contact.status, 200, "{}", ended_by_contact.text);

    // A contact person forms a council of their own municipality's platform, nothing else.
    let period = json!({"platform_id": dals_ed_platform, "kind": "local_competence_council",
        "name": "Lokalt kompetensråd Dals-Ed 2027", "period_start": "2027-01-01"});
    let formed = app.post("/api/v1/groups", Some(&dals_ed), &period).await;
    assert_eq!(formed.status, 201, "{}", formed.text);
    let working_group = json!({"platform_id": dals_ed_platform, "kind": "working_group",
        "name": "Arbetsgrupp CNC", "period_start": "2027-01-01"});
    assert_eq!(
        app.post("/api/v1/groups", Some(&dals_ed), &working_group)
            .await
            .status,
        403
    );

    // Others stay out: another municipality's contact, a broker of another platform, and the
    // Dals-Ed contact on the whole cluster's council.
    let body = json!({"organisation_id": workshop});
    for (token, group) in [
        (&bengtsfors, &council),
        (&uddevalla_broker, &council),
        (&dals_ed, &dalsland_council),
    ] {
        let refused = app
            .post(
                &format!("/api/v1/groups/{group}/memberships"),
                Some(token),
                &body,
            )
            .await;
        assert_eq!(refused.status, 404, "{}", refused.text);
    }
    let other_platform = app
        .get(
            &format!("/api/v1/groups?platform={dals_ed_platform}"),
            Some(&bengtsfors),
        )
        .await;
    assert_eq!(other_platform.status, 403, "{}", other_platform.text);
    let members = app
        .get(
            &format!("/api/v1/groups/{council}/memberships"),
            Some(&dals_ed),
        )
        .await;
    assert_eq!(
        members.body["items"].as_array().map(Vec::len),
        Some(2),
        "{}",
        members.text
    );

    // Every change reached the follower, titled with who joined which group.
    let feed = feed_of(&app, &cluster_broker).await;
    let joined_entry = feed
        .iter()
        .find(|(action, id, _)| action == "membership.add" && *id == employer_seat)
        .cloned();
    assert_eq!(
        joined_entry.map(|(_, _, title)| title),
        Some(json!("Dals-Eds Mekaniska in Lokalt kompetensråd dals-ed")),
        "{feed:?}"
    );
    assert!(
        feed.iter()
            .filter(|(action, _, _)| action.starts_with("membership."))
            .all(|(_, _, title)| title.is_string()),
        "{feed:?}"
    );
}

#[tokio::test]
async fn the_employer_hears_of_its_need_and_the_decision_and_the_provider_of_its_offer() {
    let app = spawn_app().await;
    let employer = organisation(&app, "Uddevalla Svets AB", "employer", "1485").await;
    let employer_token = app.token_for(
        Role::Employer,
        Scope::organisation(employer.parse().unwrap_or_default()),
    );
    let (provider_id, provider_token) = provider(&app, "Svetsskolan Väst").await;
    let contact = app.token_for(Role::MunicipalContact, Scope::municipality("1485"));
    let broker = app.broker_for(&["uddevalla"]);

    // Both follow their own organisation; the employer also registers a webhook (which
    // follows its organisation by default).
    for (token, org) in [
        (&employer_token, &employer),
        (&provider_token, &provider_id),
    ] {
        app.follow(token, "organisation", org).await;
    }
    let hook = app
        .post(
            "/api/v1/webhooks",
            Some(&employer_token),
            &json!({"url": "https://hooks.example.org/uddevalla-svets"}),
        )
        .await;
    assert_eq!(hook.status, 201, "{}", hook.text);
    let hook = id_of(&hook);

    // A published welding course in Uddevalla.
    let offer = app
        .post(
            "/api/v1/offers",
            Some(&provider_token),
            &json!({"title": "Svetsning grundkurs", "delivery": "on_site", "language": "sv",
                    "competence_labels": ["svetsning"],
                    "instances": [{"start": today_plus(40), "municipality": "1485", "seats": 10}]}),
        )
        .await;
    assert_eq!(offer.status, 201, "{}", offer.text);
    let offer_id = id_of(&offer);
    let published = app
        .post(
            &format!("/api/v1/offers/{offer_id}/publish"),
            Some(&provider_token),
            &json!({"version": offer.body["version"]}),
        )
        .await;
    assert_eq!(published.status, 200, "{}", published.text);

    // The contact enters the employer's need.
    let mut body = broker_e2e::need_body("1485", "Svetsare till Uddevalla Svets");
    body["employer_id"] = json!(employer);
    let need = app.post("/api/v1/needs", Some(&contact), &body).await;
    assert_eq!(need.status, 201, "{}", need.text);
    let need_id = id_of(&need);

    // The broker accepts the course the engine suggests.
    let suggestions = app
        .eventually(
            &format!("/api/v1/needs/{need_id}/matches?kind=offer"),
            Some(&broker),
            |b| {
                b["items"]
                    .as_array()
                    .is_some_and(|i| i.iter().any(|m| m["target_id"] == offer_id.as_str()))
            },
        )
        .await;
    let suggestion = suggestions.body["items"]
        .as_array()
        .and_then(|i| {
            i.iter()
                .find(|m| m["target_id"] == offer_id.as_str())
                .cloned()
        })
        .unwrap_or_default();
    let match_id = suggestion["id"].as_str().unwrap_or_default().to_owned();
    assert!(!match_id.is_empty(), "{}", suggestions.text);
    let accepted = app
        .post(
            &format!("/api/v1/matches/{match_id}/decision"),
            Some(&broker),
            &json!({"decision": "accept", "version": suggestion["version"]}),
        )
        .await;
    assert_eq!(accepted.status, 200, "{}", accepted.text);
    // Accepting a course still answers the need.
    assert_eq!(
        app.get(&format!("/api/v1/needs/{need_id}"), Some(&contact))
            .await
            .body["status"],
        "matched"
    );

    // The employer's feed holds its need and the decision on it, both titled.
    let title = json!("Svetsare till Uddevalla Svets");
    let heard = feed_of(&app, &employer_token).await;
    assert!(
        heard.contains(&("need.create".into(), need_id.clone(), title.clone())),
        "{heard:?}"
    );
    assert!(
        heard.contains(&("match.accept".into(), match_id.clone(), title.clone())),
        "{heard:?}"
    );
    // The provider's feed holds the suggestion of its course and its acceptance.
    let heard = feed_of(&app, &provider_token).await;
    for action in ["match.suggest", "match.accept"] {
        assert!(
            heard.contains(&(action.into(), match_id.clone(), title.clone())),
            "{action}: {heard:?}"
        );
    }
    // The employer's webhook has both events queued or delivered.
    let log = app
        .get(
            &format!("/api/v1/webhooks/{hook}/deliveries?limit=100"),
            Some(&employer_token),
        )
        .await;
    assert_eq!(log.status, 200, "{}", log.text);
    let actions: Vec<&str> = log.body["items"]
        .as_array()
        .map(|i| {
            i.iter()
                .filter_map(|d| d["payload"]["action"].as_str())
                .collect()
        })
        .unwrap_or_default();
    for action in ["need.create", "match.accept"] {
        assert!(actions.contains(&action), "{action}: {}", log.text);
    }
}

/// The pilot row of `code` in an activity report.
fn pilot_row(report: &Reply, code: &str) -> Value {
    report.body["pilot"]
        .as_array()
        .and_then(|rows| rows.iter().find(|r| r["municipality"] == code).cloned())
        .unwrap_or(Value::Null)
}

#[tokio::test]
async fn the_subregion_follows_the_pilot_appoints_contact_persons_and_holds_its_start_up_meeting() {
    let app = spawn_app().await;
    let fyrbodal = app.platform_id("fyrbodal");
    let subregional = app.broker_for(&["fyrbodal"]);
    let cluster_broker = app.broker_for(&["dalsland"]);
    let dals_ed = app.token_for(Role::MunicipalContact, Scope::municipality("1438"));
    app.follow(&dals_ed, "municipality", "1438").await;
    let today = Utc::now().date_naive();
    let days_ago = |n: u64| today.checked_sub_days(Days::new(n)).unwrap_or(today);

    // "Processens framskridande har varierat i kommunerna": the sub-regional broker records how
    // far each has come. Uddevalla has come far; Dals-Ed first had not found working forms,
    // then its council started meeting. Only the sub-region records it.
    let record = |code: &str, status: &str, note: &str, as_of: chrono::NaiveDate| {
        let path = format!("/api/v1/municipalities/{code}/pilot-status");
        let body = json!({"status": status, "note": note, "as_of": as_of});
        (path, body)
    };
    let (path, body) = record(
        "1438",
        "not_started",
        "Har ännu inte hittat fungerande arbetsformer",
        days_ago(40),
    );
    let refused = app.post(&path, Some(&cluster_broker), &body).await;
    assert_eq!(refused.status, 403, "{}", refused.text);
    let first = app.post(&path, Some(&subregional), &body).await;
    assert_eq!(first.status, 201, "{}", first.text);
    let (path, body) = record(
        "1438",
        "working",
        "Det lokala kompetensrådet har kommit igång",
        days_ago(5),
    );
    let second = app.post(&path, Some(&subregional), &body).await;
    assert_eq!(second.status, 201, "{}", second.text);
    let (path, body) = record(
        "SE-1485",
        "established",
        "Har kommit långt i sitt arbete",
        days_ago(10),
    );
    let uddevalla = app.post(&path, Some(&subregional), &body).await;
    assert_eq!(uddevalla.status, 201, "{}", uddevalla.text);

    // The activity report of the sub-region shows each municipality where it stands today, and
    // where Dals-Ed stood before its council started.
    let report_until = |to: chrono::NaiveDate| {
        format!(
            "/api/v1/reports/activity?platform={fyrbodal}&from={}&to={to}",
            days_ago(60)
        )
    };
    let report = app.get(&report_until(today), Some(&subregional)).await;
    assert_eq!(report.status, 200, "{}", report.text);
    assert_eq!(
        pilot_row(&report, "1438"),
        json!({
            "municipality": "1438", "municipality_name": "Dals-Ed", "status": "working",
            "note": "Det lokala kompetensrådet har kommit igång",
            "as_of": days_ago(5), "changes_in_period": 2
        })
    );
    assert_eq!(pilot_row(&report, "1485")["status"], "established");
    assert_eq!(
        pilot_row(&report, "1485")["note"],
        "Har kommit långt i sitt arbete"
    );
    assert_eq!(
        pilot_row(&report, "1460")["status"],
        Value::Null,
        "nothing recorded for Bengtsfors"
    );
    assert_eq!(
        report.body["pilot"].as_array().map(Vec::len),
        Some(14),
        "every municipality of the sub-region has a row"
    );
    let earlier = app
        .get(&report_until(days_ago(20)), Some(&subregional))
        .await;
    assert_eq!(pilot_row(&earlier, "1438")["status"], "not_started");
    assert_eq!(
        pilot_row(&earlier, "1438")["note"],
        "Har ännu inte hittat fungerande arbetsformer"
    );
    let heard: Vec<_> = feed_of(&app, &dals_ed)
        .await
        .into_iter()
        .filter(|(action, _, _)| action == "pilot_status.record")
        .map(|(_, _, title)| title)
        .collect();
    assert_eq!(
        heard,
        [json!("Dals-Ed: working"), json!("Dals-Ed: not_started")],
        "the follower of Dals-Ed hears of its own statuses only"
    );

    // "I varje kommun har en kontaktperson utsetts": an admin appoints Dals-Ed's contact person
    // for welding; a welding need there gets her as a contact suggestion.
    let welding = app
        .get("/api/v1/competences?q=svetsning&limit=1", Some(&dals_ed))
        .await;
    let concept = welding.body["items"][0]["concept"]["id"].clone();
    assert!(concept.is_string(), "{}", welding.text);
    let appointed = app
        .post(
            "/api/v1/contacts",
            Some(&app.admin()),
            &json!({
                "name": "Karin Ek",
                "email": "karin.ek@dalsed.se",
                "municipalities": ["1438"],
                "areas": [concept],
                "area_text": ["svetsning"]
            }),
        )
        .await;
    assert_eq!(appointed.status, 201, "{}", appointed.text);
    let contact = id_of(&appointed);
    let need = app
        .post(
            "/api/v1/needs",
            Some(&dals_ed),
            &json!({
                "municipality": "1438",
                "title": "Svetsare till verkstaden",
                "purpose": "recruitment",
                "headcount": 2,
                "competences": [{"label": "svetsning"}]
            }),
        )
        .await;
    assert_eq!(need.status, 201, "{}", need.text);
    let matches = app
        .eventually(
            &format!("/api/v1/needs/{}/matches", id_of(&need)),
            Some(&dals_ed),
            |b| {
                b["items"]
                    .as_array()
                    .is_some_and(|i| i.iter().any(|m| m["target_id"] == contact.as_str()))
            },
        )
        .await;
    assert!(
        matches.body["items"].as_array().is_some_and(|i| i
            .iter()
            .any(|m| m["target_id"] == contact.as_str() && m["kind"] == "contact")),
        "the appointed contact person is suggested: {}",
        matches.text
    );
    assert_eq!(
        feed_of(&app, &dals_ed)
            .await
            .iter()
            .filter(|(action, id, _)| action == "contact.appoint" && id == &contact)
            .count(),
        1,
        "Dals-Ed's follower hears of its contact person"
    );

    // The start-up meeting at Utvecklingscentrum in Bengtsfors, with its material.
    let material = json!([{
        "title": "Uppstartsmöte 9 december (pdf)",
        "url": "https://www.fyrbodal.se/kompetensmaklare/uppstartsmote.pdf"
    }]);
    let meeting = json!({
        "platform_id": fyrbodal,
        "kind": "start_up",
        "title": "Uppstartsmöte kompetensmäklarfunktioner",
        "held_on": days_ago(1),
        "place": "Utvecklingscentrum, Bengtsfors",
        "documents": material
    });
    let refused = app.post("/api/v1/meetings", Some(&dals_ed), &meeting).await;
    assert_eq!(refused.status, 403, "{}", refused.text);
    let held = app
        .post("/api/v1/meetings", Some(&subregional), &meeting)
        .await;
    assert_eq!(held.status, 201, "{}", held.text);
    let listed = app
        .get(
            &format!("/api/v1/meetings?platform={fyrbodal}&kind=start_up"),
            Some(&subregional),
        )
        .await;
    assert_eq!(listed.status, 200, "{}", listed.text);
    assert_eq!(listed.body["items"].as_array().map(Vec::len), Some(1));
    assert_eq!(
        listed.body["items"][0]["place"],
        "Utvecklingscentrum, Bengtsfors"
    );
    assert_eq!(listed.body["items"][0]["documents"], material);
}
