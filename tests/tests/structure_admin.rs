//! Setting up and changing the structure through the API (issue 13): contact persons, platforms,
//! municipalities with country-qualified codes, pilot status, clusters, regions and a forum's
//! mandate. Each change succeeds for who may make it, is audited, reaches a follower's feed,
//! is refused (403) for a wrong role and names the field of bad input (422).

use broker_api::auth::Role;
use broker_e2e::{Reply, Scope, Seed, TestApp, need_body, spawn_app_with};
use serde_json::{Value, json};

fn id_of(reply: &Reply) -> String {
    reply.body["id"].as_str().unwrap_or_default().to_owned()
}

/// Follows a topic as `token`.
async fn follow(app: &TestApp, token: &str, kind: &str, value: &str) {
    let followed = app
        .post(
            "/api/v1/me/subscriptions",
            Some(token),
            &json!({"kind": kind, "value": value}),
        )
        .await;
    assert_eq!(followed.status, 201, "{}", followed.text);
}

/// The actions of the audit entries about one object, newest first.
async fn audited(app: &TestApp, entity: &str, id: &str) -> Vec<String> {
    let trail = app
        .get(
            &format!("/api/v1/audit?entity={entity}&entity_id={id}"),
            Some(&app.admin()),
        )
        .await;
    assert_eq!(trail.status, 200, "{}", trail.text);
    trail.body["items"]
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|e| e["action"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// The feed entries of `token` with this action.
async fn feed_entries(app: &TestApp, token: &str, action: &str) -> Vec<Value> {
    let feed = app.get("/api/v1/me/feed?limit=100", Some(token)).await;
    assert_eq!(feed.status, 200, "{}", feed.text);
    feed.body["items"]
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter(|e| e["action"] == action)
                .cloned()
                .collect()
        })
        .unwrap_or_default()
}

async fn put(app: &TestApp, path: &str, token: &str, body: &Value) -> Reply {
    app.send(app.client.put(app.url(path)).json(body), Some(token))
        .await
}

#[tokio::test]
async fn contact_persons_are_appointed_changed_and_removed_and_are_match_targets() {
    let app = spawn_app_with(Seed::Reference, |_| {}).await;
    let subregional = app.broker_for(&["fyrbodal"]);
    let cluster_broker = app.broker_for(&["dals-ed"]);
    let dals_ed = app.token_for(Role::MunicipalContact, Scope::municipality("1438"));
    follow(&app, &dals_ed, "municipality", "1438").await;
    let welding = app
        .get("/api/v1/competences?q=svetsning&limit=1", Some(&dals_ed))
        .await;
    let concept = welding.body["items"][0]["concept"]["id"].clone();
    assert!(concept.is_string(), "{}", welding.text);
    let contact = json!({
        "name": "Karin Ek",
        "email": "karin.ek@dalsed.se",
        "municipalities": ["SE-1438"],
        "areas": [concept],
        "area_text": ["svetsning"]
    });

    for (token, who) in [
        (
            app.token_for(Role::Provider, Scope::default()),
            "a provider",
        ),
        (cluster_broker.clone(), "a cluster broker"),
        (dals_ed.clone(), "a municipal contact"),
    ] {
        let refused = app.post("/api/v1/contacts", Some(&token), &contact).await;
        assert_eq!(refused.status, 403, "{who}: {}", refused.text);
    }
    let bad = app
        .post(
            "/api/v1/contacts",
            Some(&subregional),
            &json!({"name": "Karin Ek", "email": "not-mail", "municipalities": [], "area_text": []}),
        )
        .await;
    assert_eq!(bad.status, 422, "{}", bad.text);
    assert_eq!(bad.problem_fields(), ["email", "municipalities", "areas"]);
    let unknown = app
        .post(
            "/api/v1/contacts",
            Some(&subregional),
            &json!({"name": "Karin Ek", "municipalities": ["9999"], "area_text": ["svetsning"]}),
        )
        .await;
    assert_eq!(unknown.status, 422, "{}", unknown.text);
    assert_eq!(unknown.problem_fields(), ["municipalities[0]"]);

    // The sub-regional broker appoints Dals-Ed's contact with the qualified code.
    let appointed = app
        .post("/api/v1/contacts", Some(&subregional), &contact)
        .await;
    assert_eq!(appointed.status, 201, "{}", appointed.text);
    assert_eq!(appointed.body["municipalities"], json!(["1438"]));
    assert_eq!(appointed.body["appointed"], true);
    let id = id_of(&appointed);
    assert_eq!(audited(&app, "person", &id).await, ["contact.appoint"]);
    let heard = feed_entries(&app, &dals_ed, "contact.appoint").await;
    assert_eq!(
        heard.len(),
        1,
        "the follower of 1438 hears of the appointment"
    );
    assert_eq!(heard[0]["title"], "Karin Ek");
    let listed = app
        .get("/api/v1/contacts?municipality=SE-1438", Some(&dals_ed))
        .await;
    assert!(
        listed.body["items"]
            .as_array()
            .is_some_and(|i| i.iter().any(|c| c["id"] == id.as_str())),
        "{}",
        listed.text
    );

    // A welding need in Dals-Ed gets the new contact as a suggestion.
    let need = app
        .post(
            "/api/v1/needs",
            Some(&dals_ed),
            &need_body("1438", "Svetsare till verkstaden"),
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
                    .is_some_and(|i| i.iter().any(|m| m["target_id"] == id.as_str()))
            },
        )
        .await;
    assert!(
        matches.body["items"].as_array().is_some_and(|i| i
            .iter()
            .any(|m| m["target_id"] == id.as_str() && m["kind"] == "contact")),
        "the appointed contact is a match target: {}",
        matches.text
    );

    // Changing: a cluster broker may not; the sub-regional broker may.
    let mut changed = contact.clone();
    changed["area_text"] = json!(["svetsning", "CNC"]);
    changed["phone"] = json!("0534-190 00");
    let refused = put(
        &app,
        &format!("/api/v1/contacts/{id}"),
        &cluster_broker,
        &changed,
    )
    .await;
    assert_eq!(refused.status, 403, "{}", refused.text);
    let mut bad_phone = changed.clone();
    bad_phone["phone"] = json!("call me");
    let bad = put(
        &app,
        &format!("/api/v1/contacts/{id}"),
        &subregional,
        &bad_phone,
    )
    .await;
    assert_eq!(bad.status, 422, "{}", bad.text);
    assert_eq!(bad.problem_fields(), ["phone"]);
    let updated = put(
        &app,
        &format!("/api/v1/contacts/{id}"),
        &subregional,
        &changed,
    )
    .await;
    assert_eq!(updated.status, 200, "{}", updated.text);
    assert_eq!(updated.body["area_text"], json!(["svetsning", "CNC"]));
    assert_eq!(
        audited(&app, "person", &id).await,
        ["contact.update", "contact.appoint"]
    );
    assert_eq!(
        feed_entries(&app, &dals_ed, "contact.update").await.len(),
        1
    );

    // Removing ends the appointment: no longer listed, no longer a match target.
    let provider = app.token_for(Role::Provider, Scope::default());
    let refused = app
        .delete(&format!("/api/v1/contacts/{id}"), Some(&provider))
        .await;
    assert_eq!(refused.status, 403, "{}", refused.text);
    let removed = app
        .delete(&format!("/api/v1/contacts/{id}"), Some(&subregional))
        .await;
    assert_eq!(removed.status, 200, "{}", removed.text);
    assert_eq!(removed.body["appointed"], false);
    assert_eq!(
        audited(&app, "person", &id).await,
        ["contact.remove", "contact.update", "contact.appoint"]
    );
    assert_eq!(
        feed_entries(&app, &dals_ed, "contact.remove").await.len(),
        1
    );
    let listed = app
        .get("/api/v1/contacts?municipality=1438", Some(&dals_ed))
        .await;
    assert!(
        !listed.text.contains(&id),
        "a removed contact is not listed: {}",
        listed.text
    );
    let again = app
        .delete(&format!("/api/v1/contacts/{id}"), Some(&subregional))
        .await;
    assert_eq!(again.status, 404, "{}", again.text);
}

#[tokio::test]
async fn platforms_are_set_up_and_matching_uses_their_settings() {
    let app = spawn_app_with(Seed::Reference, |_| {}).await;
    let admin = app.admin();
    let fyrbodal = app.platform_id("fyrbodal");
    let subregional = app.token_for(Role::Broker, Scope::platforms(&[fyrbodal]));
    let cluster_broker = app.broker_for(&["dals-ed"]);
    let munkedal = app.token_for(Role::MunicipalContact, Scope::municipality("1430"));
    follow(&app, &munkedal, "municipality", "1430").await;
    let platform = json!({
        "key": "munkedal",
        "name": "Lokal kompetensplattform Munkedal",
        "model": "local_platform",
        "region": "fyrbodal",
        "broker_arrangement": "municipal",
        "parent_id": fyrbodal,
        "municipalities": ["1430"],
        "active_from": "2025-01-01",
        "active_to": "2030-12-31",
        "settings": {"min_score": 0.5, "reach": "cluster"}
    });

    for token in [
        cluster_broker.clone(),
        app.token_for(Role::Provider, Scope::default()),
    ] {
        let refused = app.post("/api/v1/platforms", Some(&token), &platform).await;
        assert_eq!(refused.status, 403, "{}", refused.text);
    }
    for (change, field) in [
        (
            json!({"settings": {"min_score": 1.5}}),
            "settings.min_score",
        ),
        (json!({"active_to": "2024-01-01"}), "active_to"),
        (
            json!({"broker_arrangement": "county"}),
            "broker_arrangement",
        ),
        (json!({"model": "forum"}), "broker_arrangement"),
        (json!({"key": "Munkedal Lokal"}), "key"),
        (
            json!({"parent_id": app.platform_id("nowhere")}),
            "parent_id",
        ),
    ] {
        let mut body = platform.clone();
        if let (Some(b), Some(c)) = (body.as_object_mut(), change.as_object()) {
            b.extend(c.clone());
        }
        let bad = app.post("/api/v1/platforms", Some(&admin), &body).await;
        assert_eq!(bad.status, 422, "{change}: {}", bad.text);
        assert_eq!(bad.problem_fields(), [field], "{change}");
    }

    // The sub-regional broker gives Munkedal its own local platform.
    let created = app
        .post("/api/v1/platforms", Some(&subregional), &platform)
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    let id = id_of(&created);
    assert_eq!(created.body["broker_arrangement"], "municipal");
    assert_eq!(created.body["parent_id"], fyrbodal.to_string());
    assert_eq!(created.body["active"], true);
    assert_eq!(created.body["settings"]["min_score"], 0.5);
    assert_eq!(created.body["settings"]["reach"], "cluster");
    assert_eq!(audited(&app, "platform", &id).await, ["platform.create"]);
    let heard = feed_entries(&app, &munkedal, "platform.create").await;
    assert_eq!(
        heard.len(),
        1,
        "the follower of 1430 hears of its new platform"
    );
    assert_eq!(heard[0]["title"], "Lokal kompetensplattform Munkedal");

    // A Munkedal need is now routed to the new platform (the matcher knows it at once).
    let need = app
        .post(
            "/api/v1/needs",
            Some(&munkedal),
            &need_body("1430", "Svetsare till Munkedal"),
        )
        .await;
    assert_eq!(need.status, 201, "{}", need.text);
    assert_eq!(need.body["platform_id"], id.as_str(), "{}", need.text);

    // Changing the set-up: the arrangement, the period and the settings.
    let follower = app.token_for(Role::MunicipalContact, Scope::municipality("1430"));
    follow(&app, &follower, "platform", &id).await;
    let refused = app
        .patch(
            &format!("/api/v1/platforms/{id}"),
            Some(&cluster_broker),
            &json!({"name": "X"}),
        )
        .await;
    assert_eq!(refused.status, 403, "{}", refused.text);
    let bad = app
        .patch(
            &format!("/api/v1/platforms/{id}"),
            Some(&subregional),
            &json!({"active_period": {"active_from": "2027-01-01", "active_to": "2026-01-01"}, "settings": {"escalate_after_days": 0}}),
        )
        .await;
    assert_eq!(bad.status, 422, "{}", bad.text);
    assert_eq!(
        bad.problem_fields(),
        ["active_period.active_to", "settings.escalate_after_days"]
    );
    let changed = app
        .patch(
            &format!("/api/v1/platforms/{id}"),
            Some(&subregional),
            &json!({
                "broker_arrangement": "subregional",
                "active_period": {"active_from": "2025-01-01", "active_to": "2025-12-31"},
                "settings": {"min_score": 0.99, "escalate_after_days": 14}
            }),
        )
        .await;
    assert_eq!(changed.status, 200, "{}", changed.text);
    assert_eq!(changed.body["broker_arrangement"], "subregional");
    assert_eq!(changed.body["active"], false, "the trial has ended");
    assert_eq!(changed.body["settings"]["min_score"], 0.99);
    assert_eq!(changed.body["settings"]["escalate_after_days"], 14);
    assert_eq!(changed.body["settings"]["reach"], "cluster", "kept");
    assert_eq!(
        audited(&app, "platform", &id).await,
        ["platform.update", "platform.create"]
    );
    assert_eq!(
        feed_entries(&app, &follower, "platform.update").await.len(),
        1
    );
    let read = app.get(&format!("/api/v1/platforms/{id}"), None).await;
    assert_eq!(read.body["settings"]["min_score"], 0.99);
    // Suggestions for the need are recomputed with the new threshold: none falls below it.
    let matches = app
        .get(
            &format!("/api/v1/needs/{}/matches", id_of(&need)),
            Some(&munkedal),
        )
        .await;
    assert!(
        matches.body["items"].as_array().is_some_and(|i| i
            .iter()
            .filter(|m| m["status"] == "suggested")
            .all(|m| m["score"].as_f64().is_some_and(|s| s >= 0.99))),
        "{}",
        matches.text
    );
}

/// The active flag the platform list shows for `key`.
async fn listed_active(app: &TestApp, key: &str) -> Value {
    let listed = app.get("/api/v1/platforms", None).await;
    assert_eq!(listed.status, 200, "{}", listed.text);
    listed.body["items"]
        .as_array()
        .and_then(|items| items.iter().find(|p| p["key"] == key))
        .map(|p| p["active"].clone())
        .unwrap_or(Value::Null)
}

#[tokio::test]
async fn a_platform_outside_its_active_period_receives_no_new_needs() {
    let app = spawn_app_with(Seed::Reference, |_| {}).await;
    let admin = app.admin();
    let today = chrono::Utc::now().date_naive();
    let yesterday = today - chrono::Days::new(1);
    let tomorrow = today + chrono::Days::new(1);
    let set_period = |key: &str, from: Option<chrono::NaiveDate>, to: Option<chrono::NaiveDate>| {
        let path = format!("/api/v1/platforms/{}", app.platform_id(key));
        let body = json!({"active_period": {"active_from": from, "active_to": to}});
        let app = &app;
        let admin = admin.clone();
        async move {
            let changed = app.patch(&path, Some(&admin), &body).await;
            assert_eq!(changed.status, 200, "{}", changed.text);
            changed
        }
    };
    let route = |code: &'static str| {
        let app = &app;
        async move {
            let contact = app.token_for(Role::MunicipalContact, Scope::municipality(code));
            let need = app
                .post(
                    "/api/v1/needs",
                    Some(&contact),
                    &need_body(code, "Svetsare till verkstaden"),
                )
                .await;
            assert_eq!(need.status, 201, "{}", need.text);
            need.body["platform_id"]
                .as_str()
                .unwrap_or_default()
                .to_owned()
        }
    };
    let dals_ed = app.platform_id("dals-ed").to_string();
    let dalsland = app.platform_id("dalsland").to_string();
    assert_eq!(
        route("1438").await,
        dals_ed,
        "its own platform while it works"
    );
    assert_eq!(listed_active(&app, "dals-ed").await, true);

    // Dals-Ed's trial ended yesterday: its needs go to the Dalsland cluster platform above it.
    let ended = set_period(
        "dals-ed",
        Some(today - chrono::Days::new(365)),
        Some(yesterday),
    )
    .await;
    assert_eq!(ended.body["active"], false, "{}", ended.text);
    assert_eq!(listed_active(&app, "dals-ed").await, false);
    assert_eq!(
        route("1438").await,
        dalsland,
        "the ended trial is passed over"
    );

    // Bengtsfors' trial begins tomorrow: not yet its own platform either.
    set_period("bengtsfors", Some(tomorrow), None).await;
    assert_eq!(listed_active(&app, "bengtsfors").await, false);
    assert_eq!(route("1460").await, dalsland, "the trial has not begun");

    // With the cluster platform ended as well, the sub-region takes Dals-Ed's needs.
    set_period("dalsland", None, Some(yesterday)).await;
    assert_eq!(route("1438").await, app.platform_id("fyrbodal").to_string());

    // Reopening the trial routes to the local platform again: the period alone decided it.
    set_period("dals-ed", None, None).await;
    assert_eq!(listed_active(&app, "dals-ed").await, true);
    assert_eq!(route("1438").await, dals_ed);
}

#[tokio::test]
async fn municipalities_take_country_qualified_codes_and_record_their_pilot_status() {
    let app = spawn_app_with(Seed::Reference, |_| {}).await;
    let admin = app.admin();
    let subregional = app.broker_for(&["fyrbodal"]);
    let cluster_broker = app.broker_for(&["dals-ed"]);

    // A Norwegian municipality with the digits Dals-Ed (SE 1438) already has.
    let twin = json!({"code": "1438", "name": "Tvillingkommune", "region": "ostfold"});
    let refused = app
        .post("/api/v1/municipalities", Some(&subregional), &twin)
        .await;
    assert_eq!(refused.status, 403, "{}", refused.text);
    for (body, field) in [
        (
            json!({"code": "14X8", "name": "X", "region": "ostfold"}),
            "code",
        ),
        (
            json!({"code": "DK-1438", "name": "X", "region": "ostfold"}),
            "code",
        ),
        (
            json!({"code": "1438", "name": " ", "region": "ostfold"}),
            "name",
        ),
        (
            json!({"code": "1438", "name": "X", "region": "nowhere"}),
            "region",
        ),
        (
            json!({"code": "SE-3199", "name": "X", "region": "ostfold"}),
            "code",
        ),
    ] {
        let bad = app
            .post("/api/v1/municipalities", Some(&admin), &body)
            .await;
        assert_eq!(bad.status, 422, "{body}: {}", bad.text);
        assert_eq!(bad.problem_fields(), [field], "{body}");
    }
    let created = app
        .post("/api/v1/municipalities", Some(&admin), &twin)
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    assert_eq!(created.body["code"], "NO-1438");
    assert_eq!(created.body["qualified_code"], "NO-1438");
    assert_eq!(created.body["country"], "NO");
    let trail = app
        .get("/api/v1/audit?entity=municipality", Some(&admin))
        .await;
    assert_eq!(trail.body["items"][0]["action"], "municipality.create");

    // The bare code is now ambiguous; the qualified forms are not; other codes are unchanged.
    let dals_ed = app.token_for(Role::MunicipalContact, Scope::municipality("1438"));
    let ambiguous = app
        .post(
            "/api/v1/needs",
            Some(&dals_ed),
            &need_body("1438", "Svetsare"),
        )
        .await;
    assert_eq!(ambiguous.status, 422, "{}", ambiguous.text);
    assert_eq!(ambiguous.problem_fields(), ["municipality"]);
    assert!(
        ambiguous.text.contains("SE-1438 or NO-1438"),
        "{}",
        ambiguous.text
    );
    let qualified = app
        .post(
            "/api/v1/needs",
            Some(&dals_ed),
            &need_body("SE-1438", "Svetsare"),
        )
        .await;
    assert_eq!(qualified.status, 201, "{}", qualified.text);
    assert_eq!(qualified.body["municipality"], "1438");
    let uddevalla = app.token_for(Role::MunicipalContact, Scope::municipality("1485"));
    let bare = app
        .post(
            "/api/v1/needs",
            Some(&uddevalla),
            &need_body("1485", "Svetsare"),
        )
        .await;
    assert_eq!(bare.status, 201, "{}", bare.text);
    let listed = app
        .get("/api/v1/contacts?municipality=1438", Some(&dals_ed))
        .await;
    assert_eq!(listed.status, 422, "{}", listed.text);

    // A merger: a new municipality replaces an old one.
    let halden = app.token_for(Role::MunicipalContact, Scope::municipality("3101"));
    follow(&app, &halden, "municipality", "3101").await;
    let refused = app
        .patch(
            "/api/v1/municipalities/3101",
            Some(&cluster_broker),
            &json!({"replaced_by": "3199"}),
        )
        .await;
    assert_eq!(refused.status, 403, "{}", refused.text);
    let merged = app
        .post(
            "/api/v1/municipalities",
            Some(&admin),
            &json!({"code": "NO-3199", "name": "Nye Halden", "region": "ostfold"}),
        )
        .await;
    assert_eq!(merged.status, 201, "{}", merged.text);
    assert_eq!(merged.body["code"], "3199", "no collision: the bare key");
    let bad = app
        .patch(
            "/api/v1/municipalities/3101",
            Some(&admin),
            &json!({"replaced_by": "3101"}),
        )
        .await;
    assert_eq!(bad.status, 422, "{}", bad.text);
    assert_eq!(bad.problem_fields(), ["replaced_by"]);
    let replaced = app
        .patch(
            "/api/v1/municipalities/NO-3101",
            Some(&admin),
            &json!({"replaced_by": "NO-3199"}),
        )
        .await;
    assert_eq!(replaced.status, 200, "{}", replaced.text);
    assert_eq!(replaced.body["replaced_by"], "3199");
    let heard = feed_entries(&app, &halden, "municipality.update").await;
    assert_eq!(heard.len(), 1, "the follower of 3101 hears of the merger");
    assert_eq!(heard[0]["title"], "Halden");
    let old_code = app
        .post(
            "/api/v1/needs",
            Some(&halden),
            &need_body("3101", "Sveisere"),
        )
        .await;
    assert_eq!(old_code.status, 422, "{}", old_code.text);
    assert_eq!(old_code.problem_fields(), ["municipality"]);
    assert!(
        old_code.text.contains("replaced by 3199"),
        "{}",
        old_code.text
    );

    // Pilot status: the sub-regional broker records it, with its history.
    follow(&app, &dals_ed, "municipality", "1438").await;
    let status =
        json!({"status": "starting", "note": "Kontaktperson utsedd", "as_of": "2026-02-01"});
    let path = "/api/v1/municipalities/SE-1438/pilot-status";
    for token in [cluster_broker.clone(), dals_ed.clone()] {
        let refused = app.post(path, Some(&token), &status).await;
        assert_eq!(refused.status, 403, "{}", refused.text);
    }
    for (body, field) in [
        (json!({"status": "done"}), "status"),
        (json!({"status": "working", "as_of": "2100-01-01"}), "as_of"),
    ] {
        let bad = app.post(path, Some(&subregional), &body).await;
        assert_eq!(bad.status, 422, "{body}: {}", bad.text);
        assert_eq!(bad.problem_fields(), [field], "{body}");
    }
    let first = app.post(path, Some(&subregional), &status).await;
    assert_eq!(first.status, 201, "{}", first.text);
    let second = app
        .post(
            path,
            Some(&subregional),
            &json!({"status": "working", "note": "Rådet har mötts två gånger", "as_of": "2026-06-01"}),
        )
        .await;
    assert_eq!(second.status, 201, "{}", second.text);
    assert_eq!(
        audited(&app, "pilot_status", &id_of(&second)).await,
        ["pilot_status.record"]
    );
    let heard = feed_entries(&app, &dals_ed, "pilot_status.record").await;
    assert_eq!(heard.len(), 2, "the follower of 1438 hears of both");
    assert_eq!(heard[0]["title"], "Dals-Ed: working");
    let history = app.get(path, Some(&dals_ed)).await;
    assert_eq!(history.status, 200, "{}", history.text);
    assert_eq!(history.body["current"]["status"], "working");
    assert_eq!(history.body["history"].as_array().map(Vec::len), Some(2));
    let report = app
        .get(
            &format!(
                "/api/v1/reports/activity?platform={}&from=2026-01-01&to=2026-12-31",
                app.platform_id("dals-ed")
            ),
            Some(&subregional),
        )
        .await;
    assert_eq!(report.status, 200, "{}", report.text);
    assert_eq!(
        report.body["pilot"],
        json!([{
            "municipality": "1438", "municipality_name": "Dals-Ed", "status": "working",
            "note": "Rådet har mötts två gånger", "as_of": "2026-06-01", "changes_in_period": 2
        }])
    );
    let earlier = app
        .get(
            &format!(
                "/api/v1/reports/activity?platform={}&from=2026-01-01&to=2026-03-31",
                app.platform_id("dals-ed")
            ),
            Some(&subregional),
        )
        .await;
    assert_eq!(earlier.body["pilot"][0]["status"], "starting");

    // The CSV form carries the pilot per row: the stage at each quarter's end.
    let csv = app
        .send(
            app.client
                .get(app.url(&format!(
                    "/api/v1/reports/activity?platform={}&from=2026-01-01&to=2026-09-30&interval=quarter",
                    app.platform_id("dals-ed")
                )))
                .header("Accept", "text/csv"),
            Some(&subregional),
        )
        .await;
    assert_eq!(csv.status, 200, "{}", csv.text);
    let lines: Vec<&str> = csv.text.lines().collect();
    assert!(
        lines[0].ends_with(
            ",pilot_not_started,pilot_starting,pilot_working,pilot_established,pilot_unrecorded,pilot_changes"
        ),
        "{}",
        csv.text
    );
    // The last six cells: not_started, starting, working, established, unrecorded, changes.
    let pilot_columns: Vec<String> = lines[1..]
        .iter()
        .map(|l| {
            let mut cells: Vec<&str> = l.rsplit(',').take(6).collect();
            cells.reverse();
            cells.join(",")
        })
        .collect();
    assert_eq!(
        pilot_columns,
        ["0,1,0,0,0,1", "0,0,1,0,0,1", "0,0,1,0,0,0"],
        "Q1 starting, Q2 working (each recorded in its quarter), Q3 still working: {}",
        csv.text
    );
}

#[tokio::test]
async fn clusters_regions_and_a_forums_mandate_are_set_up() {
    let app = spawn_app_with(Seed::Reference, |_| {}).await;
    let admin = app.admin();
    let subregional = app.broker_for(&["fyrbodal"]);
    let cluster_broker = app.broker_for(&["dals-ed"]);

    // Clusters: the sub-regional broker forms one in its sub-region and changes it.
    let lysekil = app.token_for(Role::MunicipalContact, Scope::municipality("1484"));
    follow(&app, &lysekil, "municipality", "1484").await;
    let cluster = json!({"key": "mellersta-bohuslan", "name": "Mellersta Bohuslän", "municipalities": ["1484", "1427"]});
    let refused = app
        .post("/api/v1/clusters", Some(&cluster_broker), &cluster)
        .await;
    assert_eq!(refused.status, 403, "{}", refused.text);
    for (body, field) in [
        (
            json!({"key": "x y", "name": "X", "municipalities": ["1484", "1427"]}),
            "key",
        ),
        (
            json!({"key": "solo", "name": "X", "municipalities": ["1484"]}),
            "municipalities",
        ),
        (
            json!({"key": "mixed", "name": "X", "municipalities": ["1484", "3101"]}),
            "municipalities",
        ),
    ] {
        let bad = app.post("/api/v1/clusters", Some(&admin), &body).await;
        assert_eq!(bad.status, 422, "{body}: {}", bad.text);
        assert_eq!(bad.problem_fields(), [field], "{body}");
    }
    let created = app
        .post("/api/v1/clusters", Some(&subregional), &cluster)
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    let id = id_of(&created);
    assert_eq!(created.body["municipalities"], json!(["1427", "1484"]));
    let changed = app
        .patch(
            &format!("/api/v1/clusters/{id}"),
            Some(&subregional),
            &json!({"name": "Mellersta Bohuslän 2.0", "municipalities": ["1484", "1427", "1421"]}),
        )
        .await;
    assert_eq!(changed.status, 200, "{}", changed.text);
    assert_eq!(
        changed.body["municipalities"],
        json!(["1421", "1427", "1484"])
    );
    assert_eq!(
        audited(&app, "cluster", &id).await,
        ["cluster.update", "cluster.create"]
    );
    assert_eq!(
        feed_entries(&app, &lysekil, "cluster.update").await.len(),
        1
    );
    let clusters = app.get("/api/v1/clusters", None).await;
    assert!(clusters.text.contains("Mellersta Bohuslän 2.0"));

    // Regions: admins only.
    let region = json!({"key": "viken", "name": "Viken", "country": "NO"});
    let refused = app
        .post("/api/v1/regions", Some(&subregional), &region)
        .await;
    assert_eq!(refused.status, 403, "{}", refused.text);
    let bad = app
        .post(
            "/api/v1/regions",
            Some(&admin),
            &json!({"key": "viken", "name": "Viken", "country": "DK"}),
        )
        .await;
    assert_eq!(bad.status, 422, "{}", bad.text);
    assert_eq!(bad.problem_fields(), ["country"]);
    let created = app.post("/api/v1/regions", Some(&admin), &region).await;
    assert_eq!(created.status, 201, "{}", created.text);
    let region_id = id_of(&created);
    let renamed = app
        .patch(
            &format!("/api/v1/regions/{region_id}"),
            Some(&admin),
            &json!({"name": "Viken fylke"}),
        )
        .await;
    assert_eq!(renamed.status, 200, "{}", renamed.text);
    assert_eq!(renamed.body["name"], "Viken fylke");
    assert_eq!(
        audited(&app, "region", &region_id).await,
        ["region.update", "region.create"]
    );
    // Renaming a region reaches the followers of its municipalities.
    let halden = app.token_for(Role::MunicipalContact, Scope::municipality("3101"));
    follow(&app, &halden, "municipality", "3101").await;
    let ostfold = app.get("/api/v1/regions", None).await.body["items"]
        .as_array()
        .and_then(|r| r.iter().find(|r| r["key"] == "ostfold").cloned())
        .unwrap_or_default();
    let renamed = app
        .patch(
            &format!(
                "/api/v1/regions/{}",
                ostfold["id"].as_str().unwrap_or_default()
            ),
            Some(&admin),
            &json!({"name": "Østfold i Viken"}),
        )
        .await;
    assert_eq!(renamed.status, 200, "{}", renamed.text);
    let heard = feed_entries(&app, &halden, "region.update").await;
    assert_eq!(heard.len(), 1, "the follower of 3101 hears of its region");
    assert_eq!(heard[0]["title"], "Østfold i Viken");

    // The forum's mandate and its six goals (seed 000).
    let forum = app.platform_id("ostfold-forum");
    let member = app.token_for(Role::Broker, Scope::platforms(&[forum]));
    follow(&app, &member, "platform", &forum.to_string()).await;
    let mandate = json!({
        "mandate": "Kompetanseforum Østfold skal bidra til bedre informasjonsflyt mellom utdanning og arbeidsliv.",
        "goals": [
            "Samle kunnskap om regionens arbeidsmarked",
            "Kartlegge kompetansebehov",
            "Koordinere nettverk",
            "Fjerne barrierer",
            "Flere læreplasser",
            "Relevant etter- og videreutdanning og integrering"
        ]
    });
    let path = format!("/api/v1/platforms/{forum}/mandate");
    let refused = put(&app, &path, &member, &mandate).await;
    assert_eq!(refused.status, 403, "{}", refused.text);
    let bad = put(
        &app,
        &path,
        &admin,
        &json!({"mandate": " ", "goals": ["ok", ""]}),
    )
    .await;
    assert_eq!(bad.status, 422, "{}", bad.text);
    assert_eq!(bad.problem_fields(), ["mandate", "goals[1]"]);
    let set = put(&app, &path, &admin, &mandate).await;
    assert_eq!(set.status, 200, "{}", set.text);
    assert_eq!(set.body["goals"].as_array().map(Vec::len), Some(6));
    let read = app.get(&format!("/api/v1/platforms/{forum}"), None).await;
    assert_eq!(read.body["mandate"], mandate["mandate"]);
    assert_eq!(
        audited(&app, "platform", &forum.to_string()).await,
        ["platform.mandate"]
    );
    let heard = feed_entries(&app, &member, "platform.mandate").await;
    assert_eq!(heard.len(), 1, "the forum's follower hears of its mandate");
    assert_eq!(heard[0]["title"], "Kompetanseforum Østfold");
}

#[tokio::test]
async fn a_meeting_has_a_place_and_documents() {
    let app = spawn_app_with(Seed::Reference, |_| {}).await;
    let fyrbodal = app.platform_id("fyrbodal");
    let broker = app.token_for(Role::Broker, Scope::platforms(&[fyrbodal]));
    let follower = app.token_for(Role::Broker, Scope::platforms(&[fyrbodal]));
    follow(&app, &follower, "platform", &fyrbodal.to_string()).await;
    let meeting = json!({
        "platform_id": fyrbodal,
        "kind": "start_up",
        "title": "Startmöte kompetensmäklarfunktioner",
        "held_on": "2026-09-15",
        "place": "Utvecklingscentrum, Bengtsfors",
        "documents": [{"title": "Presentation", "url": "https://www.fyrbodal.se/startmote.pdf"}]
    });
    let contact = app.token_for(Role::MunicipalContact, Scope::municipality("1460"));
    let refused = app.post("/api/v1/meetings", Some(&contact), &meeting).await;
    assert_eq!(refused.status, 403, "{}", refused.text);
    let mut bad = meeting.clone();
    bad["documents"] = json!([{"title": "Presentation", "url": "http://www.fyrbodal.se/a.pdf"}]);
    let refused = app.post("/api/v1/meetings", Some(&broker), &bad).await;
    assert_eq!(refused.status, 422, "{}", refused.text);
    assert_eq!(refused.problem_fields(), ["documents[0].url"]);

    let created = app.post("/api/v1/meetings", Some(&broker), &meeting).await;
    assert_eq!(created.status, 201, "{}", created.text);
    let id = id_of(&created);
    assert_eq!(created.body["place"], "Utvecklingscentrum, Bengtsfors");
    assert_eq!(created.body["documents"], meeting["documents"]);
    let changed = app
        .patch(
            &format!("/api/v1/meetings/{id}"),
            Some(&broker),
            &json!({
                "version": created.body["version"],
                "documents": [
                    {"title": "Presentation", "url": "https://www.fyrbodal.se/startmote.pdf"},
                    {"title": "Minnesanteckningar", "url": "https://www.fyrbodal.se/minnen.pdf"}
                ]
            }),
        )
        .await;
    assert_eq!(changed.status, 200, "{}", changed.text);
    assert_eq!(
        changed.body["place"], "Utvecklingscentrum, Bengtsfors",
        "kept"
    );
    assert_eq!(changed.body["documents"].as_array().map(Vec::len), Some(2));
    let read = app
        .get(&format!("/api/v1/meetings/{id}"), Some(&broker))
        .await;
    assert_eq!(read.body["documents"][1]["title"], "Minnesanteckningar");
    assert_eq!(
        audited(&app, "meeting", &id).await,
        ["meeting.update", "meeting.create"]
    );
    let heard = feed_entries(&app, &follower, "meeting.update").await;
    assert_eq!(heard.len(), 1, "the platform's follower hears of it");
}

#[tokio::test]
async fn a_platforms_escalation_parent_is_cleared_by_an_explicit_null() {
    let app = spawn_app_with(Seed::Reference, |_| {}).await;
    let admin = app.admin();
    let dals_ed = app.platform_id("dals-ed");
    let dalsland = app.platform_id("dalsland").to_string();
    let path = format!("/api/v1/platforms/{dals_ed}");
    let parent_of = |reply: &Reply| reply.body["parent_id"].clone();
    assert_eq!(parent_of(&app.get(&path, None).await), dalsland.as_str());

    // Absent: the parent is kept.
    let renamed = app
        .patch(
            &path,
            Some(&admin),
            &json!({"name": "Kompetensplattform Dals-Ed"}),
        )
        .await;
    assert_eq!(renamed.status, 200, "{}", renamed.text);
    assert_eq!(parent_of(&renamed), dalsland.as_str(), "kept");

    // null: cleared, as stored and as audited.
    let cleared = app
        .patch(&path, Some(&admin), &json!({"parent_id": null}))
        .await;
    assert_eq!(cleared.status, 200, "{}", cleared.text);
    assert_eq!(parent_of(&cleared), Value::Null, "{}", cleared.text);
    assert_eq!(parent_of(&app.get(&path, None).await), Value::Null);
    assert_eq!(
        audited(&app, "platform", &dals_ed.to_string()).await,
        ["platform.update", "platform.update"]
    );

    // A parent again, and loops still refused by name.
    let set = app
        .patch(&path, Some(&admin), &json!({"parent_id": dalsland}))
        .await;
    assert_eq!(parent_of(&set), dalsland.as_str(), "{}", set.text);
    let itself = app
        .patch(&path, Some(&admin), &json!({"parent_id": dals_ed}))
        .await;
    assert_eq!(itself.status, 422, "{}", itself.text);
    assert_eq!(itself.problem_fields(), ["parent_id"]);
    let below = app
        .patch(
            &format!("/api/v1/platforms/{dalsland}"),
            Some(&admin),
            &json!({"parent_id": dals_ed}),
        )
        .await;
    assert_eq!(below.status, 422, "{}", below.text);
    assert_eq!(below.problem_fields(), ["parent_id"]);
    assert_eq!(parent_of(&app.get(&path, None).await), dalsland.as_str());
}
