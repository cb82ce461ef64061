//! "Nothing fits" is said, and geography is a rule: a need no course teaches gets no course
//! suggestion (only a local contact) and shows up in the gap report; an on-site course outside
//! the need's region is not suggested until the platform's `reach` setting allows it.

use broker_api::auth::Role;
use broker_e2e::{Scope, Seed, TestApp, spawn_app_with};
use serde_json::{Value, json};

/// Publishes an offer of the Dalsland adult-education provider; returns its id.
async fn publish(app: &TestApp, offer: &Value) -> String {
    let org = broker_api::demo::stable_id("organisation", "se_vux_dalsland");
    let provider = app.token_for(Role::Provider, Scope::organisation(org));
    let created = app.post("/api/v1/offers", Some(&provider), offer).await;
    assert_eq!(created.status, 201, "{}", created.text);
    let id = created.body["id"].as_str().unwrap_or_default().to_owned();
    let published = app
        .post(
            &format!("/api/v1/offers/{id}/publish"),
            Some(&provider),
            &json!({"version": created.body["version"]}),
        )
        .await;
    assert_eq!(published.status, 200, "{}", published.text);
    id
}

async fn enter_need(app: &TestApp, token: &str, need: &Value) -> String {
    let created = app.post("/api/v1/needs", Some(token), need).await;
    assert_eq!(created.status, 201, "{}", created.text);
    created.body["id"].as_str().unwrap_or_default().to_owned()
}

fn of_kind<'a>(matches: &'a Value, kind: &str) -> Vec<&'a Value> {
    matches["items"]
        .as_array()
        .map(|a| a.iter().filter(|m| m["kind"] == kind).collect())
        .unwrap_or_default()
}

#[tokio::test]
async fn a_need_no_course_teaches_gets_no_course_and_shows_in_the_gap_report() {
    let app = spawn_app_with(Seed::Demo, |_| {}).await;
    // A course sharing a generic word ("software") with the need below.
    let workshop = publish(
        &app,
        &json!({"title": "Workshop: use translation memory software", "delivery": "distance", "language": "en",
                "description": "Hands-on workshop on translation memory software and terminology management.",
                "competence_labels": ["translation memory", "terminology management"],
                "instances": [{"start": "2027-03-01", "distance": true, "seats": 20}]}),
    )
    .await;
    let contact = app.token_for(Role::MunicipalContact, Scope::municipality("1438"));
    let gap = enter_need(
        &app,
        &contact,
        &json!({"municipality": "1438", "title": "Laboratorieingenjörer", "purpose": "upskilling", "headcount": 4,
                "needed_by": "2027-09-01", "competences": [{"label": "applying chromatography software"}]}),
    )
    .await;
    // A need the workshop does teach gets it: the engine is not simply silent.
    let taught = enter_need(
        &app,
        &contact,
        &json!({"municipality": "1438", "title": "Översättare", "purpose": "upskilling", "headcount": 2,
                "competences": [{"label": "translation memory software"}]}),
    )
    .await;
    let taught_matches = app
        .eventually(
            &format!("/api/v1/needs/{taught}/matches?kind=offer"),
            Some(&contact),
            |b| b["items"].as_array().is_some_and(|i| !i.is_empty()),
        )
        .await;
    let first = &taught_matches.body["items"][0];
    assert_eq!(
        first["target_id"],
        workshop.as_str(),
        "{}",
        taught_matches.text
    );
    let explanation = first["explanation"].as_str().unwrap_or_default();
    assert!(
        explanation.contains("“translation”, “memory”, “software”"),
        "names the words that matched: {explanation}"
    );

    // The gap need: no course at all, whatever the threshold; the local contact instead.
    let matches = app
        .eventually(
            &format!("/api/v1/needs/{gap}/matches"),
            Some(&contact),
            |b| b["items"].as_array().is_some_and(|i| !i.is_empty()),
        )
        .await;
    assert!(
        of_kind(&matches.body, "offer").is_empty(),
        "{}",
        matches.text
    );
    let contacts = of_kind(&matches.body, "contact");
    assert!(
        contacts.iter().any(|c| c["explanation"]
            .as_str()
            .is_some_and(|e| e.starts_with("no course fits this need"))),
        "the contact fallback applies: {}",
        matches.text
    );
    let broker = app.token_for(
        Role::Broker,
        Scope::platforms(&[app.platform_id("dals-ed")]),
    );
    let report = app.get("/api/v1/reports/gap", Some(&broker)).await;
    assert_eq!(report.status, 200, "{}", report.text);
    let rows = report.body["items"].as_array().cloned().unwrap_or_default();
    let row = rows
        .iter()
        .find(|r| r["competence"] == "applying chromatography software")
        .unwrap_or_else(|| panic!("the gap need is in the gap report: {}", report.text));
    assert_eq!(row["area"], "1438");
    assert_eq!(row["unmatched_headcount"], 4, "{row}");
    assert!(
        !rows
            .iter()
            .any(|r| r["competence"] == "translation memory software"
                && r["unmatched_headcount"].as_u64().unwrap_or(0) > 0),
        "a need with a suggested course is no gap: {}",
        report.text
    );
}

#[tokio::test]
async fn an_on_site_course_outside_the_region_waits_for_the_platforms_reach() {
    let app = spawn_app_with(Seed::Demo, |_| {}).await;
    let halden = publish(
        &app,
        &json!({"title": "MIG/MAG-sveising i Halden", "delivery": "on_site", "language": "nb",
                "competence_labels": ["MIG/MAG-svetsning"],
                "instances": [{"start": "2027-03-01", "municipality": "3101", "seats": 10}]}),
    )
    .await;
    let contact = app.token_for(Role::MunicipalContact, Scope::municipality("1438"));
    let need = enter_need(
        &app,
        &contact,
        &json!({"municipality": "1438", "title": "Svetsare", "purpose": "recruitment", "headcount": 2,
                "needed_by": "2027-06-30", "competences": [{"label": "MIG/MAG-svetsning"}]}),
    )
    .await;
    let path = format!("/api/v1/needs/{need}/matches?kind=offer");
    let before = app
        .eventually(&path, Some(&contact), |b| {
            b["items"].as_array().is_some_and(|i| !i.is_empty())
        })
        .await;
    assert!(
        !of_kind(&before.body, "offer")
            .iter()
            .any(|m| m["target_id"] == halden.as_str()),
        "Halden (Norway) is outside Dals-Ed's region: {}",
        before.text
    );

    let platform = app.platform_id("dals-ed");
    let settings = format!("/api/v1/platforms/{platform}/settings");
    let shown = app
        .get(&format!("/api/v1/platforms/{platform}"), None)
        .await;
    assert_eq!(shown.body["settings"]["reach"], "region", "{}", shown.text);
    // Bad values are refused by name; the caller must be an admin or the platform's broker.
    let bad = app
        .patch(&settings, Some(&app.admin()), &json!({"reach": "county"}))
        .await;
    assert_eq!(bad.status, 422, "{}", bad.text);
    assert_eq!(bad.problem_fields(), vec!["reach"]);
    let bad = app
        .patch(&settings, Some(&app.admin()), &json!({"min_score": 1.5}))
        .await;
    assert_eq!(bad.problem_fields(), vec!["min_score"]);
    let other = app.token_for(Role::Broker, Scope::platforms(&[app.platform_id("tanum")]));
    assert_eq!(
        app.patch(&settings, Some(&other), &json!({"reach": "anywhere"}))
            .await
            .status,
        404
    );
    assert_eq!(
        app.patch(&settings, Some(&contact), &json!({"reach": "anywhere"}))
            .await
            .status,
        403
    );

    let broker = app.token_for(Role::Broker, Scope::platforms(&[platform]));
    let changed = app
        .patch(&settings, Some(&broker), &json!({"reach": "anywhere"}))
        .await;
    assert_eq!(changed.status, 200, "{}", changed.text);
    assert_eq!(changed.body["settings"]["reach"], "anywhere");
    assert_eq!(
        changed.body["settings"]["min_score"], 0.35,
        "other fields kept"
    );
    let after = app
        .eventually(&path, Some(&contact), |b| {
            b["items"]
                .as_array()
                .is_some_and(|i| i.iter().any(|m| m["target_id"] == halden.as_str()))
        })
        .await;
    let suggested = of_kind(&after.body, "offer")
        .into_iter()
        .find(|m| m["target_id"] == halden.as_str())
        .cloned()
        .unwrap_or_default();
    let explanation = suggested["explanation"].as_str().unwrap_or_default();
    assert!(
        explanation.contains("on site in Halden, outside the region"),
        "places are named, not coded: {explanation}"
    );
    // The same suggestion explained in Swedish and Norwegian, on request.
    let sv = app.get(&format!("{path}&lang=sv"), Some(&contact)).await;
    let sv_text = sv.body["items"]
        .as_array()
        .and_then(|i| i.iter().find(|m| m["target_id"] == halden.as_str()))
        .and_then(|m| m["explanation"].as_str())
        .unwrap_or_default()
        .to_owned();
    assert!(
        sv_text.contains("på plats i Halden, utanför regionen"),
        "{sv_text}"
    );
    let nb = app
        .send(
            app.client
                .get(app.url(&path))
                .header("Accept-Language", "nb-NO, en;q=0.5"),
            Some(&contact),
        )
        .await;
    assert!(
        nb.text.contains("på stedet i Halden, utenfor regionen"),
        "{}",
        nb.text
    );
    let bad_lang = app.get(&format!("{path}&lang=de"), Some(&contact)).await;
    assert_eq!(bad_lang.problem_fields(), vec!["lang"]);
}
