//! A municipal contact enters needs, a provider publishes an offer, suggestions appear with
//! explanations, a broker decides; scope rules hold.

use broker_api::auth::Role;
use broker_e2e::{Scope, Seed, spawn_app, spawn_app_with};
use serde_json::json;

fn welding_need() -> serde_json::Value {
    json!({
        "municipality": "1438",
        "title": "Svetsare till verkstad",
        "purpose": "recruitment",
        "headcount": 3,
        "needed_by": "2027-06-30",
        "competences": [{"label": "MIG/MAG-svetsning"}, {"label": "ritningsläsning", "importance": "nice_to_have"}]
    })
}

#[tokio::test]
async fn a_contact_enters_a_need_and_a_retry_creates_nothing_new() {
    let app = spawn_app().await;
    let contact = app.token_for(Role::MunicipalContact, Scope::municipality("1438"));
    let first = app
        .send(
            app.client
                .post(app.url("/api/v1/needs"))
                .header("Idempotency-Key", "need-42")
                .json(&welding_need()),
            Some(&contact),
        )
        .await;
    assert_eq!(first.status, 201, "{}", first.text);
    assert_eq!(first.body["status"], "open");
    assert_eq!(
        first.body["platform_id"],
        app.platform_id("dals-ed").to_string()
    );
    let retry = app
        .send(
            app.client
                .post(app.url("/api/v1/needs"))
                .header("Idempotency-Key", "need-42")
                .json(&welding_need()),
            Some(&contact),
        )
        .await;
    assert_eq!(retry.status, 201);
    assert_eq!(retry.body["id"], first.body["id"]);
    assert_eq!(retry.header("idempotent-replayed"), Some("true"));
    let listed = app.get("/api/v1/needs", Some(&contact)).await;
    assert_eq!(listed.body["total"], 1);
    let different = app
        .send(
            app.client
                .post(app.url("/api/v1/needs"))
                .header("Idempotency-Key", "need-42")
                .json(&json!({"municipality": "1438"})),
            Some(&contact),
        )
        .await;
    assert_eq!(different.status, 409);
}

/// Creates sent at once (which the server may store in one group commit; the grouping itself
/// is checked by `need_writer`'s unit tests) each come out as if sent alone: its own need with
/// its own suggestions, and one need for two requests that share an Idempotency-Key.
#[tokio::test]
async fn needs_entered_at_the_same_moment_are_each_stored_once_with_their_suggestions() {
    let app = spawn_app_with(Seed::Demo, |_| {}).await;
    let contact = app.token_for(Role::MunicipalContact, Scope::municipality("1488"));
    let before = app.get("/api/v1/needs", Some(&contact)).await;
    let stored_before = before.body["total"].as_u64().unwrap_or(u64::MAX);
    let request = |i: usize| {
        let mut need = json!({"municipality": "1488", "title": format!("MIG/MAG-svetsare {i}"),
            "purpose": "recruitment", "headcount": 2, "competences": [{"label": "svetsning MIG/MAG"}]});
        let mut req = app.client.post(app.url("/api/v1/needs"));
        if i >= 20 {
            // The last two are one request sent twice under one key.
            need["title"] = json!("MIG/MAG-svetsare med nyckel");
            req = req.header("Idempotency-Key", "together-1");
        }
        req.json(&need)
    };
    let replies =
        futures_util::future::join_all((0..22).map(|i| app.send(request(i), Some(&contact)))).await;
    for (i, reply) in replies.iter().enumerate().take(20) {
        assert_eq!(reply.status, 201, "need {i}: {}", reply.text);
        assert_eq!(reply.body["title"], format!("MIG/MAG-svetsare {i}"));
    }
    let keyed: Vec<u16> = replies[20..].iter().map(|r| r.status).collect();
    assert!(keyed.contains(&201), "{keyed:?}");
    assert!(keyed.iter().all(|s| *s == 201 || *s == 409), "{keyed:?}");
    let mut ids: Vec<String> = replies
        .iter()
        .filter(|r| r.status == 201)
        .map(|r| r.body["id"].as_str().unwrap_or_default().to_owned())
        .collect();
    ids.sort();
    ids.dedup();
    assert_eq!(ids.len(), 21, "twenty needs and one for the shared key");
    let after = app.get("/api/v1/needs", Some(&contact)).await;
    assert_eq!(after.body["total"], stored_before + 21, "{}", after.text);
    for id in &ids {
        let matches = app
            .eventually(
                &format!("/api/v1/needs/{id}/matches?kind=offer"),
                Some(&contact),
                |b| b["items"].as_array().is_some_and(|i| !i.is_empty()),
            )
            .await;
        assert!(
            matches.body["items"][0]["target_label"]
                .as_str()
                .unwrap_or_default()
                .to_lowercase()
                .contains("svets"),
            "need {id}: {}",
            matches.text
        );
    }
}

#[tokio::test]
async fn bad_needs_get_specific_field_errors() {
    let app = spawn_app().await;
    let contact = app.token_for(Role::MunicipalContact, Scope::municipality("1438"));
    let mut bad = welding_need();
    bad["headcount"] = json!(0);
    bad["purpose"] = json!("fun");
    let reply = app.post("/api/v1/needs", Some(&contact), &bad).await;
    assert_eq!(reply.status, 422, "{}", reply.text);
    let mut fields = reply.problem_fields();
    fields.sort();
    assert_eq!(fields, vec!["headcount", "purpose"]);
    let wrong_type = app
        .post(
            "/api/v1/needs",
            Some(&contact),
            &json!({"municipality": 1438}),
        )
        .await;
    assert_eq!(wrong_type.status, 422);
    assert_eq!(wrong_type.problem_fields(), vec!["municipality"]);
}

#[tokio::test]
async fn batches_are_all_or_nothing_with_a_row_report() {
    let app = spawn_app().await;
    let contact = app.token_for(Role::MunicipalContact, Scope::municipality("1438"));
    let csv = "municipality,title,purpose,headcount,needed_by,must_have,nice_to_have\n\
               1438,Undersköterskor,recruitment,4,2027-05-01,omvårdnad;demensvård,\n\
               1438,Truckförare,recruitment,x,2027-05-01,truckkort,\n\
               1460,Kockar,recruitment,2,,matlagning,\n";
    let refused = app
        .send(
            app.client
                .post(app.url("/api/v1/needs/batch"))
                .header("Content-Type", "text/csv")
                .body(csv),
            Some(&contact),
        )
        .await;
    assert_eq!(refused.status, 422, "{}", refused.text);
    let fields = refused.problem_fields();
    assert!(
        fields.contains(&"rows[2].headcount".to_owned()),
        "{fields:?}"
    );
    assert!(
        fields.iter().any(|f| f.starts_with("rows[3]")),
        "row 3 is outside the contact's municipality: {fields:?}"
    );
    assert_eq!(
        app.get("/api/v1/needs", Some(&contact)).await.body["total"],
        0,
        "nothing was stored"
    );
    let good = "municipality,title,purpose,headcount,must_have\n1438,Undersköterskor,recruitment,4,omvårdnad\n1438,Truckförare,recruitment,2,truckkort\n";
    let stored = app
        .send(
            app.client
                .post(app.url("/api/v1/needs/batch"))
                .header("Content-Type", "text/csv")
                .body(good),
            Some(&contact),
        )
        .await;
    assert_eq!(stored.status, 201, "{}", stored.text);
    assert_eq!(stored.body["created"], 2);
    let json_batch = app
        .post(
            "/api/v1/needs/batch",
            Some(&contact),
            &json!([welding_need(), welding_need()]),
        )
        .await;
    assert_eq!(json_batch.status, 201, "{}", json_batch.text);
    assert_eq!(
        app.get("/api/v1/needs", Some(&contact)).await.body["total"],
        4
    );
}

#[tokio::test]
async fn suggestions_appear_and_a_broker_decides_once() {
    let app = spawn_app_with(Seed::Demo, |_| {}).await;
    let contact = app.token_for(Role::MunicipalContact, Scope::municipality("1488"));
    let need = app
        .post(
            "/api/v1/needs",
            Some(&contact),
            &json!({"municipality": "1488", "title": "MIG/MAG-svetsare", "purpose": "recruitment", "headcount": 4,
                    "needed_by": "2027-12-01", "competences": [{"label": "svetsning MIG/MAG"}]}),
        )
        .await;
    assert_eq!(need.status, 201, "{}", need.text);
    let id = need.body["id"].as_str().unwrap_or_default().to_owned();
    let matches = app
        .eventually(
            &format!("/api/v1/needs/{id}/matches?kind=offer"),
            Some(&contact),
            |b| b["items"].as_array().is_some_and(|i| !i.is_empty()),
        )
        .await;
    let items = matches.body["items"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    assert!(!items.is_empty(), "{}", matches.text);
    let top = &items[0];
    assert!(
        top["target_label"]
            .as_str()
            .unwrap_or_default()
            .to_lowercase()
            .contains("svets"),
        "{top}"
    );
    assert!(!top["explanation"].as_str().unwrap_or_default().is_empty());
    assert!(
        top["factors"].as_array().is_some_and(|f| f.len() == 7),
        "{top}"
    );
    // The sub-regional broker serves Trollhättan's needs; the Uddevalla broker does not.
    let broker = app.token_for(
        Role::Broker,
        Scope::platforms(&[app.platform_id("fyrbodal")]),
    );
    let other_broker = app.token_for(
        Role::Broker,
        Scope::platforms(&[app.platform_id("uddevalla")]),
    );
    let match_id = top["id"].as_str().unwrap_or_default();
    assert_eq!(
        app.get(&format!("/api/v1/matches/{match_id}"), Some(&other_broker))
            .await
            .status,
        404
    );
    let queue = app
        .get("/api/v1/matches?kind=offer&min_score=0.1", Some(&broker))
        .await;
    assert!(
        queue.body["total"].as_u64().unwrap_or(0) >= 1,
        "{}",
        queue.text
    );
    if let Some(second) = items.get(1) {
        let sid = second["id"].as_str().unwrap_or_default();
        let no_reason = app
            .post(
                &format!("/api/v1/matches/{sid}/decision"),
                Some(&broker),
                &json!({"decision": "reject", "version": second["version"]}),
            )
            .await;
        assert_eq!(
            no_reason.status, 422,
            "a rejection needs a reason: {}",
            no_reason.text
        );
        let reject = app
            .post(&format!("/api/v1/matches/{sid}/decision"), Some(&broker), &json!({"decision": "reject", "reason": "too far away", "version": second["version"]}))
            .await;
        assert_eq!(reject.status, 200, "{}", reject.text);
    }
    let version = top["version"].as_i64().unwrap_or(0);
    let accept = app
        .post(
            &format!("/api/v1/matches/{match_id}/decision"),
            Some(&broker),
            &json!({"decision": "accept", "version": version}),
        )
        .await;
    assert_eq!(accept.status, 200, "{}", accept.text);
    assert_eq!(accept.body["status"], "accepted");
    let stale = app
        .post(
            &format!("/api/v1/matches/{match_id}/decision"),
            Some(&broker),
            &json!({"decision": "reject", "reason": "late", "version": version}),
        )
        .await;
    assert_eq!(stale.status, 409, "{}", stale.text);
    let after = app
        .get(&format!("/api/v1/needs/{id}"), Some(&contact))
        .await;
    assert_eq!(after.body["status"], "matched");
    let outcome = app
        .post(
            &format!("/api/v1/matches/{match_id}/outcomes"),
            Some(&broker),
            &json!({"enrolled": 4}),
        )
        .await;
    assert_eq!(outcome.status, 201, "{}", outcome.text);
}

#[tokio::test]
async fn scope_rules_cannot_be_broken() {
    let app = spawn_app_with(Seed::Demo, |_| {}).await;
    let dals_ed = app.token_for(Role::MunicipalContact, Scope::municipality("1438"));
    let uddevalla = app.token_for(Role::MunicipalContact, Scope::municipality("1485"));
    let outside = app
        .post("/api/v1/needs", Some(&uddevalla), &welding_need())
        .await;
    assert_eq!(outside.status, 403, "{}", outside.text);
    let mine = app
        .post("/api/v1/needs", Some(&dals_ed), &welding_need())
        .await;
    let id = mine.body["id"].as_str().unwrap_or_default();
    assert_eq!(
        app.get(&format!("/api/v1/needs/{id}"), Some(&uddevalla))
            .await
            .status,
        404
    );
    assert_eq!(
        app.patch(
            &format!("/api/v1/needs/{id}"),
            Some(&uddevalla),
            &json!({"version": 1, "title": "x"})
        )
        .await
        .status,
        404
    );
    let provider = app.token_for(
        Role::Provider,
        Scope::organisation(broker_api::demo::stable_id(
            "organisation",
            "se_vux_dalsland",
        )),
    );
    assert_eq!(app.get("/api/v1/needs", Some(&provider)).await.status, 403);
    assert_eq!(app.get("/api/v1/matches", Some(&dals_ed)).await.status, 403);
    assert_eq!(app.get("/api/v1/needs", None).await.status, 401);
    // A provider cannot change another provider's offer.
    let other_offer = broker_api::demo::stable_id("offer", "se_offer_svets_migmag");
    let theirs = app
        .get(&format!("/api/v1/offers/{other_offer}"), Some(&provider))
        .await;
    if theirs.status == 200
        && theirs.body["provider_id"]
            != json!(broker_api::demo::stable_id("organisation", "se_vux_dalsland").to_string())
    {
        let patch = app
            .patch(
                &format!("/api/v1/offers/{other_offer}"),
                Some(&provider),
                &json!({"version": theirs.body["version"], "title": "mine now"}),
            )
            .await;
        assert_eq!(patch.status, 403, "{}", patch.text);
    }
    let employer = app.token_for(
        Role::Employer,
        Scope::organisation(broker_api::demo::stable_id(
            "organisation",
            "se_stallbacka_svets",
        )),
    );
    let employers_need = app
        .post("/api/v1/needs", Some(&employer), &welding_need())
        .await;
    assert_eq!(employers_need.status, 201, "{}", employers_need.text);
    assert_eq!(
        app.get(&format!("/api/v1/needs/{id}"), Some(&employer))
            .await
            .status,
        404,
        "not the employer's need"
    );
    let withdrawn = app
        .post(
            &format!("/api/v1/needs/{id}/withdraw"),
            Some(&dals_ed),
            &json!({"version": 1}),
        )
        .await;
    assert_eq!(withdrawn.status, 200, "{}", withdrawn.text);
    let again = app
        .post(
            &format!("/api/v1/needs/{id}/withdraw"),
            Some(&dals_ed),
            &json!({"version": withdrawn.body["version"]}),
        )
        .await;
    assert_eq!(again.status, 409, "{}", again.text);
}

#[tokio::test]
async fn a_provider_publishes_an_offer_and_sees_demand() {
    let app = spawn_app_with(Seed::Demo, |_| {}).await;
    let org = broker_api::demo::stable_id("organisation", "se_vux_dalsland");
    let provider = app.token_for(Role::Provider, Scope::organisation(org));
    let created = app
        .post(
            "/api/v1/offers",
            Some(&provider),
            &json!({"title": "Undersköterska – kvällsutbildning", "delivery": "blended", "language": "sv",
                    "competence_labels": ["omvårdnad", "demensvård"],
                    "instances": [{"start": "2027-02-01", "municipality": "1438", "seats": 12}]}),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    assert_eq!(created.body["status"], "draft");
    assert!(
        created.body["competences"]
            .as_array()
            .is_some_and(|c| !c.is_empty()),
        "labels resolved: {}",
        created.text
    );
    let id = created.body["id"].as_str().unwrap_or_default();
    let published = app
        .post(
            &format!("/api/v1/offers/{id}/publish"),
            Some(&provider),
            &json!({"version": created.body["version"]}),
        )
        .await;
    assert_eq!(published.status, 200, "{}", published.text);
    let demand = app
        .get(&format!("/api/v1/offers/{id}/matches"), Some(&provider))
        .await;
    assert_eq!(demand.status, 200, "{}", demand.text);
    assert!(
        demand.body["open_needs"].as_u64().unwrap_or(0) >= 1,
        "{}",
        demand.text
    );
}

#[tokio::test]
async fn a_need_cannot_name_a_platform_outside_its_active_period() {
    let app = spawn_app().await;
    let admin = app.admin();
    let contact = app.token_for(Role::MunicipalContact, Scope::municipality("1438"));
    let today = chrono::Utc::now().date_naive();
    let dals_ed = app.platform_id("dals-ed");
    let on_dals_ed = |title: &str| {
        let mut need = welding_need();
        need["title"] = json!(title);
        need["platform_id"] = json!(dals_ed);
        need
    };
    let before = app
        .post("/api/v1/needs", Some(&contact), &on_dals_ed("Svetsare"))
        .await;
    assert_eq!(before.status, 201, "{}", before.text);
    let set_period = |from: Option<chrono::NaiveDate>, to: Option<chrono::NaiveDate>| {
        let (app, admin) = (&app, admin.clone());
        async move {
            let changed = app
                .patch(
                    &format!("/api/v1/platforms/{dals_ed}"),
                    Some(&admin),
                    &json!({"active_period": {"active_from": from, "active_to": to}}),
                )
                .await;
            assert_eq!(changed.status, 200, "{}", changed.text);
            assert_eq!(changed.body["active"], false, "{}", changed.text);
        }
    };

    // Dals-Ed's trial ended yesterday: naming it is refused, as routing would pass it over.
    set_period(None, Some(today - chrono::Days::new(1))).await;
    let ended = app
        .post("/api/v1/needs", Some(&contact), &on_dals_ed("Svetsare 2"))
        .await;
    assert_eq!(ended.status, 422, "{}", ended.text);
    assert_eq!(ended.problem_fields(), ["platform_id"]);
    assert!(ended.text.contains("ended"), "{}", ended.text);
    let in_batch = app
        .post(
            "/api/v1/needs/batch",
            Some(&contact),
            &json!([welding_need(), on_dals_ed("Svetsare 3")]),
        )
        .await;
    assert_eq!(in_batch.status, 422, "{}", in_batch.text);
    assert_eq!(in_batch.problem_fields(), ["rows[2].platform_id"]);
    // Without a named platform the need goes to the cluster above, as before.
    let routed = app
        .post("/api/v1/needs", Some(&contact), &welding_need())
        .await;
    assert_eq!(routed.status, 201, "{}", routed.text);
    assert_eq!(
        routed.body["platform_id"],
        app.platform_id("dalsland").to_string()
    );
    // A need already on the platform stays there and can still be changed.
    let changed = app
        .patch(
            &format!(
                "/api/v1/needs/{}",
                before.body["id"].as_str().unwrap_or_default()
            ),
            Some(&contact),
            &json!({"version": before.body["version"], "headcount": 4}),
        )
        .await;
    assert_eq!(changed.status, 200, "{}", changed.text);
    assert_eq!(changed.body["platform_id"], dals_ed.to_string());

    // A trial that has not begun is no better.
    set_period(Some(today + chrono::Days::new(1)), None).await;
    let not_begun = app
        .post("/api/v1/needs", Some(&contact), &on_dals_ed("Svetsare 4"))
        .await;
    assert_eq!(not_begun.status, 422, "{}", not_begun.text);
    assert_eq!(not_begun.problem_fields(), ["platform_id"]);
}

/// Needs entered at the same moment are recomputed together: each one's pooling suggestions
/// name every other, whichever batch each landed in, and each create answers with its own.
#[tokio::test]
async fn needs_entered_together_pool_with_each_other() {
    let app = spawn_app().await;
    let dalsland = ["1460", "1438", "1439", "1461", "1492"];
    let app = &app;
    let creates = dalsland.iter().map(|code| {
        let contact = app.token_for(Role::MunicipalContact, Scope::municipality(code));
        let mut need = welding_need();
        need["municipality"] = json!(code);
        need["title"] = json!(format!("Svetsare i {code}"));
        async move { app.post("/api/v1/needs", Some(&contact), &need).await }
    });
    let created = futures_util::future::join_all(creates).await;
    let mut ids = Vec::new();
    for reply in &created {
        assert_eq!(reply.status, 201, "{}", reply.text);
        ids.push(reply.body["id"].as_str().unwrap_or_default().to_owned());
    }
    let admin = app.admin();
    for id in &ids {
        let others: std::collections::BTreeSet<&str> = ids
            .iter()
            .map(String::as_str)
            .filter(|other| *other != id.as_str())
            .collect();
        let reply = app
            .eventually(
                &format!("/api/v1/needs/{id}/matches?kind=need"),
                Some(&admin),
                |b| {
                    let pooled: std::collections::BTreeSet<&str> = b["items"]
                        .as_array()
                        .into_iter()
                        .flatten()
                        .filter(|m| m["kind"] == "need" && m["status"] == "suggested")
                        .filter_map(|m| m["target_id"].as_str())
                        .collect();
                    pooled == others
                },
            )
            .await;
        let pooled: std::collections::BTreeSet<&str> = reply.body["items"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|m| m["kind"] == "need" && m["status"] == "suggested")
            .filter_map(|m| m["target_id"].as_str())
            .collect();
        assert_eq!(pooled, others, "need {id}: {}", reply.text);
    }
}

/// `GET /api/v1/needs` answers from memory while no need changes: each write shows in the
/// very next listing on the instance that made it, and one scope's listing is never served to
/// another's.
#[tokio::test]
async fn a_needs_listing_shows_each_write_at_once_and_never_crosses_scopes() {
    let app = spawn_app().await;
    let dals_ed = app.token_for(Role::MunicipalContact, Scope::municipality("1438"));
    let bengtsfors = app.token_for(Role::MunicipalContact, Scope::municipality("1460"));
    let listed = |reply: &broker_e2e::Reply| -> Vec<(String, String)> {
        reply.body["items"]
            .as_array()
            .map(|items| {
                items
                    .iter()
                    .map(|n| {
                        let field = |k: &str| n[k].as_str().unwrap_or_default().to_owned();
                        (field("title"), field("status"))
                    })
                    .collect()
            })
            .unwrap_or_default()
    };
    // Listed (and so kept) before the need exists.
    let before = app.get("/api/v1/needs?limit=5", Some(&dals_ed)).await;
    assert_eq!(before.status, 200, "{}", before.text);
    assert!(listed(&before).is_empty(), "{}", before.text);

    let created = app
        .post("/api/v1/needs", Some(&dals_ed), &welding_need())
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    let id = created.body["id"].as_str().unwrap_or_default().to_owned();
    let after = app.get("/api/v1/needs?limit=5", Some(&dals_ed)).await;
    assert_eq!(
        listed(&after),
        [("Svetsare till verkstad".to_owned(), "open".to_owned())]
    );
    // The same query in another municipality's scope: not the body just kept.
    let elsewhere = app.get("/api/v1/needs?limit=5", Some(&bengtsfors)).await;
    assert_eq!(elsewhere.status, 200, "{}", elsewhere.text);
    assert!(listed(&elsewhere).is_empty(), "{}", elsewhere.text);

    let patched = app
        .patch(
            &format!("/api/v1/needs/{id}"),
            Some(&dals_ed),
            &json!({"version": created.body["version"], "title": "Svetsare, skiftgång"}),
        )
        .await;
    assert_eq!(patched.status, 200, "{}", patched.text);
    let renamed = app.get("/api/v1/needs?limit=5", Some(&dals_ed)).await;
    assert_eq!(
        listed(&renamed),
        [("Svetsare, skiftgång".to_owned(), "open".to_owned())]
    );

    let withdrawn = app
        .post(
            &format!("/api/v1/needs/{id}/withdraw"),
            Some(&dals_ed),
            &json!({"version": patched.body["version"]}),
        )
        .await;
    assert_eq!(withdrawn.status, 200, "{}", withdrawn.text);
    let closed = app.get("/api/v1/needs?limit=5", Some(&dals_ed)).await;
    assert_eq!(
        listed(&closed),
        [("Svetsare, skiftgång".to_owned(), "withdrawn".to_owned())]
    );
    // Filters are part of what is kept: the open needs are none now.
    let open = app
        .get("/api/v1/needs?limit=5&status=open", Some(&dals_ed))
        .await;
    assert!(listed(&open).is_empty(), "{}", open.text);
}
