//! The Østfold forum model, end to end: an Østfold competence group turns a gap into a proposal
//! (tiltak) that goes through a workshop, a decision and an organisation accepting
//! responsibility; every refused step of the proposal lifecycle; and who may see and do what.

use broker_api::auth::{Claims, Role};
use broker_api::demo::stable_id;
use broker_e2e::{Reply, Scope, Seed, TEST_SECRET, TestApp, spawn_app_with};
use serde_json::{Value, json};
use uuid::Uuid;

const FORUM: &str = "ostfold-forum";

/// The forum's periods as ISO dates: the seeded one holds today (the demo seeds the current
/// two-year period), so the tests run the same in any year.
struct Periods {
    today: String,
    this_start: String,
    before_this: String,
    next_start: String,
    next_end: String,
}

fn periods() -> Periods {
    let today = chrono::Utc::now().date_naive();
    let (start, end) = broker_api::demo::forum_period(today);
    let next_start = end + chrono::Days::new(1);
    let (_, next_end) = broker_api::demo::forum_period(next_start);
    Periods {
        today: today.to_string(),
        this_start: start.to_string(),
        before_this: (start - chrono::Days::new(365)).to_string(),
        next_start: next_start.to_string(),
        next_end: next_end.to_string(),
    }
}

fn group(key: &str) -> Uuid {
    stable_id("group", key)
}

fn organisation(key: &str) -> Uuid {
    stable_id("organisation", key)
}

fn person(key: &str) -> Uuid {
    stable_id("person", key)
}

fn concept(key: &str) -> Uuid {
    stable_id("concept", key)
}

/// The forum's coordination team: brokers of the forum platform.
fn coordination_team(app: &TestApp) -> String {
    app.token_for(Role::Broker, Scope::platforms(&[app.platform_id(FORUM)]))
}

/// Someone speaking for an organisation (a member when the organisation holds a membership).
fn speaking_for(app: &TestApp, role: Role, org_key: &str) -> String {
    app.token_for(role, Scope::organisation(organisation(org_key)))
}

/// A token whose subject is a person id, the way a member without an organisation signs in.
#[expect(clippy::expect_used, reason = "minting with a fixed key cannot fail")]
fn person_token(app: &TestApp, role: Role, person_id: Uuid) -> String {
    let now = jsonwebtoken::get_current_timestamp();
    let claims = Claims {
        sub: person_id.to_string(),
        role,
        municipalities: vec![],
        platforms: vec![],
        organisation: None,
        exp: now + 3600,
        iat: Some(now),
        iss: app.settings.jwt.issuer.clone(),
        aud: app.settings.jwt.audience.clone(),
    };
    broker_api::auth::mint_hs256(TEST_SECRET, &claims).expect("token")
}

fn id_of(reply: &Reply) -> String {
    reply.body["id"].as_str().unwrap_or_default().to_owned()
}

fn version_of(reply: &Reply) -> i64 {
    reply.body["version"].as_i64().unwrap_or_default()
}

/// Takes one proposal step and insists it worked.
async fn step(app: &TestApp, token: &str, proposal: &str, body: Value) -> Reply {
    let reply = app
        .post(
            &format!("/api/v1/proposals/{proposal}/actions"),
            Some(token),
            &body,
        )
        .await;
    assert_eq!(reply.status, 200, "{body} -> {}", reply.text);
    reply
}

async fn add_member(app: &TestApp, token: &str, group_key: &str, person_key: &str) -> Reply {
    let reply = app
        .post(
            &format!("/api/v1/groups/{}/memberships", group(group_key)),
            Some(token),
            &json!({"person_id": person(person_key), "role": "member", "mandate_given": true}),
        )
        .await;
    assert_eq!(reply.status, 201, "{}", reply.text);
    reply
}

#[tokio::test]
async fn an_ostfold_competence_group_turns_a_gap_into_a_measure_that_is_carried_out_and_evaluated()
{
    let app = spawn_app_with(Seed::Demo, |_| {}).await;
    let forum = app.platform_id(FORUM);
    let coordination = coordination_team(&app);

    // The coordination team looks at the forum's structure for this period.
    let groups = app
        .get(
            &format!(
                "/api/v1/groups?platform={forum}&active_on={}",
                periods().today
            ),
            Some(&coordination),
        )
        .await;
    assert_eq!(groups.status, 200, "{}", groups.text);
    let kinds: Vec<&str> = groups.body["items"]
        .as_array()
        .map(|a| a.iter().filter_map(|g| g["kind"].as_str()).collect())
        .unwrap_or_default();
    for kind in [
        "steering_group",
        "coordination_team",
        "competence_group",
        "participant_forum",
    ] {
        assert!(kinds.contains(&kind), "{kind} missing from {kinds:?}");
    }
    assert_eq!(
        kinds.iter().filter(|k| **k == "competence_group").count(),
        3
    );

    // Tunevannet videregående skole joins the lifelong-learning group with its school's mandate.
    let member = add_member(&app, &coordination, "livslang-laering", "p_no_tunevannet").await;
    assert_eq!(
        member.body["organisation_id"],
        organisation("no_tunevannet_vgs").to_string(),
        "the organisation defaults to the person's"
    );
    assert_eq!(member.body["mandate_given"], true);
    let tunevannet = speaking_for(&app, Role::Provider, "no_tunevannet_vgs");

    // Sarpsborg's process-industry need (validation of prior learning for operators) lands in
    // the lifelong-learning group; the coordination team sees it among all the forum's needs.
    let sarpsborg_need = stable_id("need", "nd_no_sarpsborg_prosess").to_string();
    let routed = app
        .get(
            &format!(
                "/api/v1/groups/{}/needs?limit=200",
                group("livslang-laering")
            ),
            Some(&tunevannet),
        )
        .await;
    assert_eq!(routed.status, 200, "{}", routed.text);
    let mine = routed.body["items"]
        .as_array()
        .and_then(|a| {
            a.iter()
                .find(|i| i["need"]["id"] == sarpsborg_need.as_str())
        })
        .cloned()
        .unwrap_or_default();
    assert_eq!(mine["route"]["focus_area"], "lifelong_learning", "{mine}");
    assert_eq!(
        mine["route"]["group_id"],
        group("livslang-laering").to_string()
    );
    assert_eq!(
        mine["route"]["explanation"],
        "the need falls under focus area `lifelong_learning`"
    );
    // The routing reason reads in the language asked for: `lang`, or Accept-Language.
    let reason_in = |reply: &Reply| {
        reply.body["items"]
            .as_array()
            .and_then(|a| {
                a.iter()
                    .find(|i| i["need"]["id"] == sarpsborg_need.as_str())
            })
            .and_then(|i| i["route"]["explanation"].as_str())
            .unwrap_or_default()
            .to_owned()
    };
    let path = format!(
        "/api/v1/groups/{}/needs?limit=200",
        group("livslang-laering")
    );
    let sv = app.get(&format!("{path}&lang=sv"), Some(&tunevannet)).await;
    assert_eq!(
        reason_in(&sv),
        "behovet hör till fokusområdet livslångt lärande"
    );
    let nb = app
        .send(
            app.client
                .get(app.url(&path))
                .header("Accept-Language", "nb-NO, en;q=0.5"),
            Some(&tunevannet),
        )
        .await;
    assert_eq!(
        reason_in(&nb),
        "behovet hører til innsatsområdet livslang læring"
    );
    let unknown = app.get(&format!("{path}&lang=de"), Some(&tunevannet)).await;
    assert_eq!(unknown.status, 422, "{}", unknown.text);
    assert_eq!(unknown.problem_fields(), vec!["lang".to_owned()]);
    let everything = app
        .get(
            &format!(
                "/api/v1/groups/{}/needs?limit=200",
                group("koordineringsteam")
            ),
            Some(&coordination),
        )
        .await;
    assert!(
        everything.body["total"].as_u64() > routed.body["total"].as_u64(),
        "the coordination team sees more than one group: {}",
        everything.text
    );

    // No published course teaches the process trade in Sarpsborg: it is in the group's gap,
    // once matching has run (a course teaching another competence of the need's occupation is
    // suggested, and leaves the process trade uncovered).
    let computed = app
        .eventually(
            &format!("/api/v1/needs/{sarpsborg_need}/matches?kind=offer"),
            Some(&app.admin()),
            |b| b["items"].as_array().is_some_and(|i| !i.is_empty()),
        )
        .await;
    assert_eq!(computed.status, 200, "{}", computed.text);
    let gap_cell = |body: &Value| {
        body["items"].as_array().and_then(|a| {
            a.iter()
                .find(|c| {
                    c["competence_id"] == concept("processteknik").to_string()
                        && c["area"] == "3105"
                })
                .cloned()
        })
    };
    let gaps = app
        .eventually(
            &format!("/api/v1/groups/{}/gaps", group("livslang-laering")),
            Some(&tunevannet),
            |b| gap_cell(b).is_some(),
        )
        .await;
    let cell = gap_cell(&gaps.body).unwrap_or_default();
    assert_eq!(cell["headcount"], 10, "{}", gaps.text);
    assert!(
        cell["need_ids"]
            .as_array()
            .is_some_and(|ids| ids.iter().any(|i| i == sarpsborg_need.as_str()))
    );

    // The group drafts a measure from the gap and the need behind it, and submits it.
    let draft = app
        .post(
            "/api/v1/proposals",
            Some(&tunevannet),
            &json!({
                "group_id": group("livslang-laering"),
                "title": "Praksiskandidatløp i prosessfaget",
                "description": "Operatører uten fagbrev tar fagbrev som praksiskandidater.",
                "need_ids": [sarpsborg_need],
                "gap_entries": [{"competence_id": concept("processteknik"), "area": "3105"}],
            }),
        )
        .await;
    assert_eq!(draft.status, 201, "{}", draft.text);
    assert_eq!(draft.body["status"], "draft");
    assert_eq!(draft.body["gap_entries"][0]["area"], "3105");
    let proposal = id_of(&draft);
    let submitted = step(
        &app,
        &tunevannet,
        &proposal,
        json!({"action": "submit", "version": version_of(&draft)}),
    )
    .await;
    assert_eq!(submitted.body["status"], "submitted");

    // The participant forum holds a workshop; it discusses the proposal and gives input.
    let workshop = app
        .post(
            "/api/v1/workshops",
            Some(&coordination),
            &json!({
                "platform_id": forum,
                "group_id": group("deltakerforum"),
                "title": "Felles workshop: forslag til tiltak",
                "held_on": "2026-10-15",
                "participants": [
                    {"person_id": person("p_no_fylke_koord"), "role": "ordstyrer"},
                    {"person_id": person("p_no_tunevannet"), "role": "utdanningstilbyder"},
                    {"person_id": person("p_no_naeringsforum")},
                    {"name": "Representant fra Sandesund Prosessindustri", "organisation_id": organisation("no_sandesund_prosess"), "role": "arbeidsgiver"}
                ]
            }),
        )
        .await;
    assert_eq!(workshop.status, 201, "{}", workshop.text);
    assert_eq!(workshop.body["participants"][0]["name"], "Ola Berntsen");
    // Participants take part in different roles (seed 003: "med ulike roller").
    let roles: Vec<Value> = workshop.body["participants"]
        .as_array()
        .map(|p| p.iter().map(|p| p["role"].clone()).collect())
        .unwrap_or_default();
    assert_eq!(
        roles,
        vec![
            json!("ordstyrer"),
            json!("utdanningstilbyder"),
            Value::Null,
            json!("arbeidsgiver")
        ]
    );
    let workshop_id = id_of(&workshop);
    let discussed = app
        .post(
            &format!("/api/v1/workshops/{workshop_id}/discussions"),
            Some(&coordination),
            &json!({
                "proposal_id": proposal,
                "version": version_of(&submitted),
                "input": "Ta med NAV for arbeidssøkere, og avklar finansiering av fagprøven."
            }),
        )
        .await;
    assert_eq!(discussed.status, 200, "{}", discussed.text);
    assert_eq!(discussed.body["status"], "discussed");
    let seen = app
        .get(
            &format!("/api/v1/workshops/{workshop_id}"),
            Some(&tunevannet),
        )
        .await;
    assert_eq!(
        seen.body["discussions"][0]["proposal_id"],
        proposal.as_str()
    );
    assert_eq!(seen.body["participants"][3]["role"], "arbeidsgiver");
    let overlong = app
        .post(
            "/api/v1/workshops",
            Some(&coordination),
            &json!({"platform_id": forum, "title": "Workshop", "held_on": "2026-10-16",
                    "participants": [{"person_id": person("p_no_tunevannet"), "role": "r".repeat(121)}]}),
        )
        .await;
    assert_eq!(overlong.status, 422, "{}", overlong.text);
    assert_eq!(
        overlong.problem_fields(),
        vec!["participants[0].role".to_owned()]
    );
    assert!(
        seen.body["discussions"][0]["input"]
            .as_str()
            .is_some_and(|i| i.contains("NAV"))
    );

    // The group refines it with the input.
    let refined = step(
        &app,
        &tunevannet,
        &proposal,
        json!({
            "action": "refine",
            "version": version_of(&discussed),
            "changes": "NAV med i målgruppen; fylket finansierer fagprøven.",
            "title": "Fagbrev i prosessfaget for voksne"
        }),
    )
    .await;
    assert_eq!(refined.body["status"], "refined");
    assert_eq!(refined.body["title"], "Fagbrev i prosessfaget for voksne");

    // The steering group decides to go ahead.
    let steering = speaking_for(&app, Role::Employer, "no_naeringsforum");
    let decided = step(
        &app,
        &steering,
        &proposal,
        json!({
            "action": "decide_go",
            "version": version_of(&refined),
            "decided_by_group_id": group("styringsgruppe"),
            "decided_on": "2026-11-02",
            "rationale": "Treffer et tydelig gap i Nedre Glomma."
        }),
    )
    .await;
    assert_eq!(decided.body["status"], "decided_go");
    assert_eq!(decided.body["decision"]["go"], true);
    assert_eq!(decided.body["decision"]["decided_by"], "Styringsgruppe");

    // NAV declines to carry it (the coordination team records its answer); the school accepts.
    let declined = step(
        &app,
        &coordination,
        &proposal,
        json!({
            "action": "decline_responsibility",
            "version": version_of(&decided),
            "organisation_id": organisation("no_nav_ostfold"),
            "reason": "Ikke i vårt budsjett i år."
        }),
    )
    .await;
    assert_eq!(declined.body["status"], "responsibility_declined");
    let accepted = step(
        &app,
        &tunevannet,
        &proposal,
        json!({
            "action": "accept_responsibility",
            "version": version_of(&declined),
            "organisation_id": organisation("no_tunevannet_vgs")
        }),
    )
    .await;
    assert_eq!(accepted.body["status"], "responsibility_accepted");
    assert_eq!(
        accepted.body["responsible_organisation_id"],
        organisation("no_tunevannet_vgs").to_string()
    );
    assert_eq!(
        accepted.body["declined_by"][0],
        organisation("no_nav_ostfold").to_string()
    );

    // It runs, completes, and the effects are evaluated.
    let started = step(
        &app,
        &tunevannet,
        &proposal,
        json!({"action": "start", "version": version_of(&accepted), "note": "Oppstart januar"}),
    )
    .await;
    let completed = step(
        &app,
        &tunevannet,
        &proposal,
        json!({"action": "complete", "version": version_of(&started)}),
    )
    .await;
    let evaluated = step(
        &app,
        &coordination,
        &proposal,
        json!({
            "action": "evaluate",
            "version": version_of(&completed),
            "effects": "9 av 10 operatører besto fagprøven; Sandesund ansetter to nye lærlinger."
        }),
    )
    .await;
    assert_eq!(evaluated.body["status"], "evaluated");
    assert!(
        evaluated.body["effects"]
            .as_str()
            .is_some_and(|e| e.contains("fagprøven"))
    );
    assert_eq!(evaluated.body["allowed_actions"], json!([]));

    // The events show every step, in order, with what each recorded.
    let events = app
        .get(
            &format!("/api/v1/proposals/{proposal}/events"),
            Some(&tunevannet),
        )
        .await;
    let items = events.body["items"].as_array().cloned().unwrap_or_default();
    let road: Vec<(&str, &str, &str)> = items
        .iter()
        .map(|e| {
            (
                e["action"].as_str().unwrap_or_default(),
                e["from"].as_str().unwrap_or_default(),
                e["to"].as_str().unwrap_or_default(),
            )
        })
        .collect();
    assert_eq!(
        road,
        vec![
            ("submit", "draft", "submitted"),
            ("discuss", "submitted", "discussed"),
            ("refine", "discussed", "refined"),
            ("decide_go", "refined", "decided_go"),
            (
                "decline_responsibility",
                "decided_go",
                "responsibility_declined"
            ),
            (
                "accept_responsibility",
                "responsibility_declined",
                "responsibility_accepted"
            ),
            ("start", "responsibility_accepted", "in_progress"),
            ("complete", "in_progress", "completed"),
            ("evaluate", "completed", "evaluated"),
        ]
    );
    assert_eq!(items[1]["detail"]["workshop_id"], workshop_id.as_str());
    assert!(items[1]["detail"]["input"].is_string());
    assert_eq!(items[3]["detail"]["decided_by"], "Styringsgruppe");
    assert_eq!(items[4]["detail"]["organisation"], "NAV Østfold");
    assert!(items[8]["detail"]["effects"].is_string());

    // The group lists its evaluated measures.
    let done = app
        .get(
            &format!(
                "/api/v1/proposals?group={}&status=evaluated",
                group("livslang-laering")
            ),
            Some(&tunevannet),
        )
        .await;
    assert_eq!(done.status, 200, "{}", done.text);
    assert_eq!(done.body["total"], 1);
    assert_eq!(done.body["items"][0]["id"], proposal.as_str());

    // The forum's activity report makes the result visible: the measure counts as evaluated.
    let report = app
        .get(
            &format!("/api/v1/reports/activity?platform={forum}"),
            Some(&coordination),
        )
        .await;
    assert_eq!(report.status, 200, "{}", report.text);
    let row = &report.body["items"][0];
    assert_eq!(row["platform_id"], forum.to_string());
    assert!(
        row["proposals_by_status"]["evaluated"].as_u64() >= Some(1),
        "{row}"
    );

    // It recommends the county to make this a standing offer; the county follows it up.
    let recommended = app
        .post(
            "/api/v1/recommendations",
            Some(&tunevannet),
            &json!({
                "group_id": group("livslang-laering"),
                "proposal_id": proposal,
                "addressee_organisation_id": organisation("no_ostfold_fylke"),
                "text": "Gjør praksiskandidatløp i prosessfaget til et fast tilbud."
            }),
        )
        .await;
    assert_eq!(recommended.status, 201, "{}", recommended.text);
    assert_eq!(recommended.body["addressee"], "Østfold fylkeskommune");
    assert_eq!(recommended.body["status"], "given");
    let county = speaking_for(&app, Role::Employer, "no_ostfold_fylke");
    let to_us = app
        .get(
            &format!(
                "/api/v1/recommendations?addressee_organisation={}",
                organisation("no_ostfold_fylke")
            ),
            Some(&county),
        )
        .await;
    assert_eq!(to_us.body["total"], 1, "{}", to_us.text);
    let recommendation = id_of(&recommended);
    let acknowledged = app
        .post(
            &format!("/api/v1/recommendations/{recommendation}/follow-up"),
            Some(&county),
            &json!({"action": "acknowledge", "version": 1, "note": "Tas inn i budsjettet for 2027."}),
        )
        .await;
    assert_eq!(acknowledged.status, 200, "{}", acknowledged.text);
    assert_eq!(acknowledged.body["status"], "acknowledged");
    let implemented = app
        .post(
            &format!("/api/v1/recommendations/{recommendation}/follow-up"),
            Some(&coordination),
            &json!({"action": "implement", "version": 2}),
        )
        .await;
    assert_eq!(implemented.body["status"], "implemented");
    assert_eq!(
        implemented.body["follow_up"][0]["note"],
        "Tas inn i budsjettet for 2027."
    );
    let again = app
        .post(
            &format!("/api/v1/recommendations/{recommendation}/follow-up"),
            Some(&county),
            &json!({"action": "decline", "version": 3}),
        )
        .await;
    assert_eq!(again.status, 409, "{}", again.text);
    assert_eq!(again.body["code"], "invalid_transition");
}

#[tokio::test]
async fn a_need_entered_in_ostfold_shows_the_competence_group_it_was_routed_to() {
    let app = spawn_app_with(Seed::Demo, |_| {}).await;
    let contact = app.token_for(Role::MunicipalContact, Scope::municipality("3107"));
    // The inclusion group's members follow their focus area.
    let member = coordination_team(&app);
    let follows = app
        .post(
            "/api/v1/me/subscriptions",
            Some(&member),
            &json!({"kind": "focus_area", "value": "inclusion_and_integration"}),
        )
        .await;
    assert_eq!(follows.status, 201, "{}", follows.text);
    let need = app
        .post(
            "/api/v1/needs",
            Some(&contact),
            &json!({
                "municipality": "3107",
                "title": "Yrkesnorsk for nyansatte i hjemmetjenesten",
                "purpose": "upskilling",
                "headcount": 8,
                "competences": [{"concept_id": concept("yrkesnorska")}]
            }),
        )
        .await;
    assert_eq!(need.status, 201, "{}", need.text);
    let events = app
        .get(
            &format!("/api/v1/needs/{}/events", id_of(&need)),
            Some(&contact),
        )
        .await;
    let routed = events
        .body
        .as_array()
        .and_then(|a| a.iter().find(|e| e["kind"] == "routed_to_group"))
        .cloned()
        .unwrap_or_default();
    assert_eq!(
        routed["detail"]["group_id"],
        group("inkludering").to_string(),
        "{}",
        events.text
    );
    assert_eq!(routed["detail"]["focus_area"], "inclusion_and_integration");
    let in_norwegian = app
        .get(
            &format!("/api/v1/needs/{}/events?lang=nb", id_of(&need)),
            Some(&contact),
        )
        .await;
    assert_eq!(in_norwegian.status, 200, "{}", in_norwegian.text);
    assert!(
        in_norwegian
            .text
            .contains("behovet hører til innsatsområdet inkludering og integrering"),
        "{}",
        in_norwegian.text
    );
    // ...and hear of the need through their feed.
    let feed = app.get("/api/v1/me/feed", Some(&member)).await;
    assert_eq!(
        feed.body["items"][0]["entity_id"], need.body["id"],
        "{}",
        feed.text
    );
    assert_eq!(
        feed.body["items"][0]["matched_topics"],
        json!(["focus_area:inclusion_and_integration"])
    );

    // The same purpose without the language competence is lifelong learning; changing the need
    // re-routes it, visibly.
    let changed = app
        .patch(
            &format!("/api/v1/needs/{}", id_of(&need)),
            Some(&contact),
            &json!({"version": version_of(&need), "competences": [{"concept_id": concept("omvardnad")}]}),
        )
        .await;
    assert_eq!(changed.status, 200, "{}", changed.text);
    let events = app
        .get(
            &format!("/api/v1/needs/{}/events", id_of(&need)),
            Some(&contact),
        )
        .await;
    let routes: Vec<String> = events
        .body
        .as_array()
        .map(|a| {
            a.iter()
                .filter(|e| e["kind"] == "routed_to_group")
                .map(|e| {
                    e["detail"]["group_id"]
                        .as_str()
                        .unwrap_or_default()
                        .to_owned()
                })
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(
        routes,
        vec![
            group("inkludering").to_string(),
            group("livslang-laering").to_string()
        ]
    );

    // A Fyrbodal need goes through a local platform: no forum group is involved.
    let swedish = app.token_for(Role::MunicipalContact, Scope::municipality("1438"));
    let local = app
        .post(
            "/api/v1/needs",
            Some(&swedish),
            &json!({"municipality": "1438", "title": "Svetsare", "purpose": "upskilling", "headcount": 2, "competences": [{"label": "MIG/MAG-svetsning"}]}),
        )
        .await;
    let local_events = app
        .get(
            &format!("/api/v1/needs/{}/events", id_of(&local)),
            Some(&swedish),
        )
        .await;
    assert!(
        local_events
            .body
            .as_array()
            .is_some_and(|a| !a.iter().any(|e| e["kind"] == "routed_to_group")),
        "{}",
        local_events.text
    );
}

#[tokio::test]
async fn an_industry_group_of_a_new_period_takes_the_needs_of_its_industry() {
    let app = spawn_app_with(Seed::Demo, |_| {}).await;
    let forum = app.platform_id(FORUM);
    let coordination = coordination_team(&app);
    let today = chrono::Utc::now().date_naive();
    let created = app
        .post(
            "/api/v1/groups",
            Some(&coordination),
            &json!({
                "platform_id": forum,
                "kind": "competence_group",
                "name": "Kompetansegruppe helse og omsorg",
                "industry": "health_care",
                "period_start": today.to_string(),
                "period_end": (today + chrono::Days::new(730)).to_string(),
            }),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    assert_eq!(created.body["active"], true);
    let health = id_of(&created);
    let routed = app
        .get(
            &format!("/api/v1/groups/{health}/needs?limit=200"),
            Some(&coordination),
        )
        .await;
    assert_eq!(routed.status, 200, "{}", routed.text);
    let items = routed.body["items"].as_array().cloned().unwrap_or_default();
    assert!(!items.is_empty(), "the health-care needs come here");
    for item in &items {
        assert_eq!(item["route"]["by"], "industry");
        assert_eq!(item["route"]["industry"], "health_care");
    }
    assert!(
        items
            .iter()
            .any(|i| i["need"]["id"] == stable_id("need", "nd_no_sarpsborg_helsefag").to_string())
    );

    // Next period's structure is a set of new groups; `active_on` shows each period's.
    let next = app
        .post(
            "/api/v1/groups",
            Some(&coordination),
            &json!({
                "platform_id": forum,
                "kind": "steering_group",
                "name": "Styringsgruppe neste periode",
                "period_start": periods().next_start,
                "period_end": periods().next_end,
            }),
        )
        .await;
    assert_eq!(next.status, 201, "{}", next.text);
    let in_2027 = app
        .get(
            &format!(
                "/api/v1/groups?platform={forum}&active_on={}&kind=steering_group",
                periods().next_start
            ),
            Some(&coordination),
        )
        .await;
    let names: Vec<&str> = in_2027.body["items"]
        .as_array()
        .map(|a| a.iter().filter_map(|g| g["name"].as_str()).collect())
        .unwrap_or_default();
    assert_eq!(names, vec!["Styringsgruppe neste periode"]);

    // Rules for groups are the domain's, reported per field.
    for (body, field) in [
        (
            json!({"platform_id": forum, "kind": "competence_group", "name": "Uten retning", "period_start": periods().next_start}),
            "focus_area",
        ),
        (
            json!({"platform_id": forum, "kind": "local_competence_council", "name": "Lokalt råd", "period_start": periods().next_start}),
            "kind",
        ),
        (
            json!({"platform_id": forum, "kind": "working_group", "name": "Baklengs", "period_start": periods().next_start, "period_end": periods().this_start}),
            "period_end",
        ),
    ] {
        let refused = app.post("/api/v1/groups", Some(&coordination), &body).await;
        assert_eq!(refused.status, 422, "{}", refused.text);
        assert_eq!(refused.problem_fields(), vec![field], "{}", refused.text);
    }
}

#[tokio::test]
async fn memberships_record_the_mandate_and_end_once() {
    let app = spawn_app_with(Seed::Demo, |_| {}).await;
    let coordination = coordination_team(&app);
    let joined = add_member(&app, &coordination, "inkludering", "p_no_nav_koord").await;
    assert_eq!(joined.body["organisation_name"], "NAV Østfold");
    assert_eq!(joined.body["active"], true);
    let twice = app
        .post(
            &format!("/api/v1/groups/{}/memberships", group("inkludering")),
            Some(&coordination),
            &json!({"person_id": person("p_no_nav_koord")}),
        )
        .await;
    assert_eq!(twice.status, 409, "{}", twice.text);
    let outside = app
        .post(
            &format!("/api/v1/groups/{}/memberships", group("inkludering")),
            Some(&coordination),
            &json!({"person_id": person("p_no_fagskole"), "member_from": periods().before_this}),
        )
        .await;
    assert_eq!(outside.status, 422, "{}", outside.text);
    assert_eq!(outside.problem_fields(), vec!["member_from"]);
    let end_path = format!(
        "/api/v1/groups/{}/memberships/{}/end",
        group("inkludering"),
        id_of(&joined)
    );
    let ended = app.post(&end_path, Some(&coordination), &json!({})).await;
    assert_eq!(ended.status, 200, "{}", ended.text);
    assert!(ended.body["member_until"].is_string());
    let again = app.post(&end_path, Some(&coordination), &json!({})).await;
    assert_eq!(again.status, 409, "{}", again.text);
    let listed = app
        .get(
            &format!(
                "/api/v1/groups/{}/memberships?active_on=2030-01-01",
                group("inkludering")
            ),
            Some(&coordination),
        )
        .await;
    assert_eq!(listed.body["items"], json!([]));
}

/// The proposal lifecycle as the issue describes it: every other status × action pair is refused.
const LEGAL: &[(&str, &str)] = &[
    ("draft", "submit"),
    ("submitted", "discuss"),
    ("refined", "discuss"),
    ("discussed", "refine"),
    ("refined", "decide_go"),
    ("refined", "decide_no_go"),
    ("decided_go", "accept_responsibility"),
    ("decided_go", "decline_responsibility"),
    ("responsibility_declined", "accept_responsibility"),
    ("responsibility_declined", "decline_responsibility"),
    ("responsibility_accepted", "start"),
    ("in_progress", "complete"),
    ("completed", "evaluate"),
];

const STATUSES: &[&str] = &[
    "draft",
    "submitted",
    "discussed",
    "refined",
    "decided_go",
    "decided_no_go",
    "responsibility_accepted",
    "responsibility_declined",
    "in_progress",
    "completed",
    "evaluated",
];

const ACTIONS: &[&str] = &[
    "submit",
    "discuss",
    "refine",
    "decide_go",
    "decide_no_go",
    "accept_responsibility",
    "decline_responsibility",
    "start",
    "complete",
    "evaluate",
];

/// The actions that lead from a draft to `status`.
fn road_to(status: &str) -> Vec<&'static str> {
    let head = ["submit", "discuss", "refine"];
    let mut road: Vec<&'static str> = match status {
        "draft" => vec![],
        "submitted" => vec!["submit"],
        "discussed" => vec!["submit", "discuss"],
        _ => head.to_vec(),
    };
    let tail: &[&'static str] = match status {
        "decided_go" => &["decide_go"],
        "decided_no_go" => &["decide_no_go"],
        "responsibility_accepted" => &["decide_go", "accept_responsibility"],
        "responsibility_declined" => &["decide_go", "decline_responsibility"],
        "in_progress" => &["decide_go", "accept_responsibility", "start"],
        "completed" => &["decide_go", "accept_responsibility", "start", "complete"],
        "evaluated" => &[
            "decide_go",
            "accept_responsibility",
            "start",
            "complete",
            "evaluate",
        ],
        _ => &[],
    };
    road.extend_from_slice(tail);
    road
}

/// A body that is valid for `action`, so only the lifecycle can refuse it.
fn body_for(action: &str, version: i64, workshop: &str, org: Uuid) -> Value {
    let mut body = match action {
        "discuss" => json!({"workshop_id": workshop, "input": "Innspill"}),
        "refine" => json!({"changes": "Justert"}),
        "decide_go" | "decide_no_go" => json!({"decided_by": "Styringsgruppen"}),
        "accept_responsibility" | "decline_responsibility" => json!({"organisation_id": org}),
        "evaluate" => json!({"effects": "Effekter"}),
        _ => json!({}),
    };
    body["action"] = json!(action);
    body["version"] = json!(version);
    body
}

#[tokio::test]
async fn every_refused_proposal_step_is_a_409_naming_the_state_and_the_action() {
    let app = spawn_app_with(Seed::Demo, |_| {}).await;
    let forum = app.platform_id(FORUM);
    let coordination = coordination_team(&app);
    let org = organisation("no_tunevannet_vgs");
    let workshop = app
        .post(
            "/api/v1/workshops",
            Some(&coordination),
            &json!({"platform_id": forum, "title": "Workshop", "held_on": "2026-10-01", "participants": [{"name": "Koordineringsteamet"}]}),
        )
        .await;
    assert_eq!(workshop.status, 201, "{}", workshop.text);
    let workshop = id_of(&workshop);
    let mut refused = 0;
    for status in STATUSES {
        // A proposal in `status`, walked there through the API.
        let created = app
            .post(
                "/api/v1/proposals",
                Some(&coordination),
                &json!({
                    "group_id": group("arbeidslivsrelevans"),
                    "title": format!("Tiltak i status {status}"),
                    "gap_entries": [{"competence_id": concept("mig_mag_svetsning"), "area": "3107"}],
                }),
            )
            .await;
        assert_eq!(created.status, 201, "{}", created.text);
        let proposal = id_of(&created);
        let mut current = created;
        for action in road_to(status) {
            current = step(
                &app,
                &coordination,
                &proposal,
                body_for(action, version_of(&current), &workshop, org),
            )
            .await;
        }
        assert_eq!(current.body["status"], *status);
        let version = version_of(&current);
        for action in ACTIONS {
            if LEGAL.contains(&(*status, *action)) {
                assert!(
                    current.body["allowed_actions"]
                        .as_array()
                        .is_some_and(|a| a.iter().any(|x| x == *action)),
                    "{status} should allow {action}: {}",
                    current.text
                );
                continue;
            }
            let reply = app
                .post(
                    &format!("/api/v1/proposals/{proposal}/actions"),
                    Some(&coordination),
                    &body_for(action, version, &workshop, org),
                )
                .await;
            assert_eq!(reply.status, 409, "{status} + {action}: {}", reply.text);
            assert_eq!(reply.body["code"], "invalid_transition");
            assert_eq!(reply.body["transition"]["entity"], "proposal");
            assert_eq!(reply.body["transition"]["from"], *status);
            assert_eq!(reply.body["transition"]["action"], *action);
            assert_eq!(
                reply.header("content-type"),
                Some("application/problem+json")
            );
            refused += 1;
        }
        let after = app
            .get(
                &format!("/api/v1/proposals/{proposal}"),
                Some(&coordination),
            )
            .await;
        assert_eq!(
            after.body["status"], *status,
            "refused steps change nothing"
        );
        assert_eq!(version_of(&after), version);
    }
    assert_eq!(refused, STATUSES.len() * ACTIONS.len() - LEGAL.len());
}

#[tokio::test]
async fn stale_versions_missing_data_and_unknown_fields_change_nothing() {
    let app = spawn_app_with(Seed::Demo, |_| {}).await;
    let coordination = coordination_team(&app);
    let created = app
        .post(
            "/api/v1/proposals",
            Some(&coordination),
            &json!({
                "group_id": group("livslang-laering"),
                "title": "Fagbrev på jobb",
                "need_ids": [stable_id("need", "nd_no_sarpsborg_kommune")],
            }),
        )
        .await;
    assert_eq!(created.status, 201, "{}", created.text);
    let proposal = id_of(&created);
    let path = format!("/api/v1/proposals/{proposal}/actions");
    step(
        &app,
        &coordination,
        &proposal,
        json!({"action": "submit", "version": 1}),
    )
    .await;
    let stale = app
        .post(
            &path,
            Some(&coordination),
            &json!({"action": "submit", "version": 1}),
        )
        .await;
    assert_eq!(stale.status, 409, "{}", stale.text);
    assert_eq!(stale.body["code"], "conflict");
    let no_input = app
        .post(
            &path,
            Some(&coordination),
            &json!({"action": "discuss", "version": 2, "workshop_id": Uuid::nil(), "input": "x"}),
        )
        .await;
    assert_eq!(no_input.status, 422, "{}", no_input.text);
    assert_eq!(no_input.problem_fields(), vec!["workshop_id"]);
    let missing = app
        .post(
            &path,
            Some(&coordination),
            &json!({"action": "discuss", "version": 2}),
        )
        .await;
    assert_eq!(missing.status, 422, "{}", missing.text);
    let unknown = app
        .post(
            &path,
            Some(&coordination),
            &json!({"action": "submit", "version": 2, "colour": "blue"}),
        )
        .await;
    assert_eq!(unknown.status, 422, "{}", unknown.text);
    let no_such_action = app
        .post(
            &path,
            Some(&coordination),
            &json!({"action": "celebrate", "version": 2}),
        )
        .await;
    assert_eq!(no_such_action.status, 422, "{}", no_such_action.text);
    let unchanged = app
        .get(
            &format!("/api/v1/proposals/{proposal}"),
            Some(&coordination),
        )
        .await;
    assert_eq!(unchanged.body["status"], "submitted");
    assert_eq!(unchanged.body["version"], 2);

    // A proposal names what motivated it, from the forum's own needs and areas.
    for (body, field) in [
        (
            json!({"group_id": group("livslang-laering"), "title": "Uten grunn"}),
            "need_ids",
        ),
        (
            json!({"group_id": group("livslang-laering"), "title": "Svensk behov", "need_ids": [stable_id("need", "nd_dalsed_usk")]}),
            "need_ids[0]",
        ),
        (
            json!({"group_id": group("livslang-laering"), "title": "Feil område", "gap_entries": [{"competence_id": concept("omvardnad"), "area": "1485"}]}),
            "gap_entries[0].area",
        ),
        (
            json!({"group_id": group("livslang-laering"), "title": "Ukjent kompetanse", "gap_entries": [{"competence_id": Uuid::nil(), "area": "ostfold"}]}),
            "gap_entries[0].competence_id",
        ),
    ] {
        let refused = app
            .post("/api/v1/proposals", Some(&coordination), &body)
            .await;
        assert_eq!(refused.status, 422, "{}", refused.text);
        assert_eq!(refused.problem_fields(), vec![field], "{}", refused.text);
    }
}

#[tokio::test]
async fn only_the_forums_brokers_and_members_see_its_work_and_each_does_their_part() {
    let app = spawn_app_with(Seed::Demo, |_| {}).await;
    let forum = app.platform_id(FORUM);
    let coordination = coordination_team(&app);
    let groups_path = format!("/api/v1/groups?platform={forum}");
    let lifelong = group("livslang-laering");

    // No token: 401. Not a member nor a broker of the forum: 403 on lists, 404 on objects.
    assert_eq!(app.get(&groups_path, None).await.status, 401);
    let stranger = app.token_for(Role::MunicipalContact, Scope::municipality("3107"));
    assert_eq!(app.get(&groups_path, Some(&stranger)).await.status, 403);
    assert_eq!(
        app.get(&format!("/api/v1/groups/{lifelong}"), Some(&stranger))
            .await
            .status,
        404
    );
    let other_broker = app.token_for(
        Role::Broker,
        Scope::platforms(&[app.platform_id("uddevalla")]),
    );
    assert_eq!(
        app.get(
            &format!("/api/v1/groups/{lifelong}/needs"),
            Some(&other_broker)
        )
        .await
        .status,
        404
    );
    let proposal = app
        .post(
            "/api/v1/proposals",
            Some(&coordination),
            &json!({"group_id": lifelong, "title": "Tiltak", "gap_entries": [{"competence_id": concept("omvardnad"), "area": "ostfold"}]}),
        )
        .await;
    assert_eq!(proposal.status, 201, "{}", proposal.text);
    let proposal = id_of(&proposal);
    for token in [&stranger, &other_broker] {
        let seen = app
            .get(&format!("/api/v1/proposals/{proposal}"), Some(token))
            .await;
        assert_eq!(seen.status, 404, "{}", seen.text);
        let moved = app
            .post(
                &format!("/api/v1/proposals/{proposal}/actions"),
                Some(token),
                &json!({"action": "submit", "version": 1}),
            )
            .await;
        assert_eq!(moved.status, 404, "{}", moved.text);
    }
    assert_eq!(
        app.post(
            "/api/v1/groups",
            Some(&other_broker),
            &json!({"platform_id": forum, "kind": "working_group", "name": "Kapring", "period_start": periods().this_start})
        )
        .await
        .status,
        403
    );

    // A member of a competence group (by organisation) reads the forum's work but does not
    // manage its structure, and works only in their own group.
    let fagskole = speaking_for(&app, Role::Provider, "no_glomma_fagskole");
    assert_eq!(app.get(&groups_path, Some(&fagskole)).await.status, 200);
    assert_eq!(
        app.get(&format!("/api/v1/proposals/{proposal}"), Some(&fagskole))
            .await
            .status,
        200
    );
    let made_group = app
        .post(
            "/api/v1/groups",
            Some(&fagskole),
            &json!({"platform_id": forum, "kind": "working_group", "name": "Egen gruppe", "period_start": periods().this_start}),
        )
        .await;
    assert_eq!(made_group.status, 403, "{}", made_group.text);
    let made_member = app
        .post(
            &format!(
                "/api/v1/groups/{}/memberships",
                group("arbeidslivsrelevans")
            ),
            Some(&fagskole),
            &json!({"person_id": person("p_no_kurssenter")}),
        )
        .await;
    assert_eq!(made_member.status, 403, "{}", made_member.text);
    let elsewhere = app
        .post(
            &format!("/api/v1/proposals/{proposal}/actions"),
            Some(&fagskole),
            &json!({"action": "submit", "version": 1}),
        )
        .await;
    assert_eq!(elsewhere.status, 403, "not their group: {}", elsewhere.text);
    let own_group = app
        .post(
            "/api/v1/proposals",
            Some(&fagskole),
            &json!({"group_id": group("arbeidslivsrelevans"), "title": "Sveiseløft", "gap_entries": [{"competence_id": concept("mig_mag_svetsning"), "area": "3107"}]}),
        )
        .await;
    assert_eq!(own_group.status, 201, "{}", own_group.text);

    // A member whose token names them as a person (no organisation) is recognised too.
    let contact_member = person_token(
        &app,
        Role::MunicipalContact,
        person("p_no_fredrikstad_contact"),
    );
    assert_eq!(
        app.get(&groups_path, Some(&contact_member)).await.status,
        200
    );

    // Only the steering group (or a broker) decides; an organisation answers only for itself.
    let own = id_of(&own_group);
    let mut version = 1;
    for body in [
        json!({"action": "submit"}),
        json!({"action": "discuss", "workshop_id": null, "input": "x"}),
    ] {
        if body["action"] == "discuss" {
            let w = app
                .post(
                    "/api/v1/workshops",
                    Some(&fagskole),
                    &json!({"platform_id": forum, "title": "Workshop", "held_on": "2026-11-01", "participants": [{"organisation_id": organisation("no_glomma_fagskole")}]}),
                )
                .await;
            assert_eq!(w.status, 201, "members hold workshops: {}", w.text);
            let mut b = body.clone();
            b["workshop_id"] = json!(id_of(&w));
            b["version"] = json!(version);
            version = version_of(&step(&app, &fagskole, &own, b).await);
        } else {
            let mut b = body.clone();
            b["version"] = json!(version);
            version = version_of(&step(&app, &fagskole, &own, b).await);
        }
    }
    version = version_of(
        &step(
            &app,
            &fagskole,
            &own,
            json!({"action": "refine", "version": version, "changes": "Mer praksis"}),
        )
        .await,
    );
    let self_decided = app
        .post(
            &format!("/api/v1/proposals/{own}/actions"),
            Some(&fagskole),
            &json!({"action": "decide_go", "version": version, "decided_by": "Oss selv"}),
        )
        .await;
    assert_eq!(self_decided.status, 403, "{}", self_decided.text);
    let steering = speaking_for(&app, Role::Employer, "no_arbeidstakerne");
    version = version_of(
        &step(
            &app,
            &steering,
            &own,
            json!({"action": "decide_go", "version": version, "decided_by_group_id": group("styringsgruppe")}),
        )
        .await,
    );
    let for_someone_else = app
        .post(
            &format!("/api/v1/proposals/{own}/actions"),
            Some(&fagskole),
            &json!({"action": "accept_responsibility", "version": version, "organisation_id": organisation("no_ora_stal")}),
        )
        .await;
    assert_eq!(for_someone_else.status, 403, "{}", for_someone_else.text);
    let for_itself = step(
        &app,
        &fagskole,
        &own,
        json!({"action": "accept_responsibility", "version": version, "organisation_id": organisation("no_glomma_fagskole")}),
    )
    .await;
    assert_eq!(for_itself.body["status"], "responsibility_accepted");

    // A recommendation is visible to the organisation it addresses, and to nobody outside.
    let given = app
        .post(
            "/api/v1/recommendations",
            Some(&fagskole),
            &json!({"group_id": group("arbeidslivsrelevans"), "addressee_organisation_id": organisation("no_ora_stal"), "text": "Ta inn to lærlinger i sveis."}),
        )
        .await;
    assert_eq!(given.status, 201, "{}", given.text);
    let path = format!("/api/v1/recommendations/{}", id_of(&given));
    let ora = speaking_for(&app, Role::Employer, "no_ora_stal");
    assert_eq!(app.get(&path, Some(&ora)).await.status, 200);
    assert_eq!(app.get(&path, Some(&stranger)).await.status, 404);
    let tune = speaking_for(&app, Role::Employer, "no_tune_helse");
    let not_theirs = app
        .post(
            &format!("{path}/follow-up"),
            Some(&tune),
            &json!({"action": "acknowledge", "version": 1}),
        )
        .await;
    assert_eq!(not_theirs.status, 404, "{}", not_theirs.text);
    let theirs = app
        .post(
            &format!("{path}/follow-up"),
            Some(&ora),
            &json!({"action": "start", "version": 1, "note": "Vi starter i januar"}),
        )
        .await;
    assert_eq!(theirs.status, 200, "{}", theirs.text);
    assert_eq!(theirs.body["status"], "in_progress");
}

async fn put_json(app: &TestApp, path: &str, token: &str, body: &Value) -> Reply {
    app.send(app.client.put(app.url(path)).json(body), Some(token))
        .await
}

#[tokio::test]
async fn the_forum_sets_its_mandate_and_kompetanseforum_2_0_takes_over_a_merged_county() {
    let app = spawn_app_with(Seed::Demo, |_| {}).await;
    let admin = app.admin();
    let forum = app.platform_id(FORUM);
    let team = coordination_team(&app);
    let followed = app
        .post(
            "/api/v1/me/subscriptions",
            Some(&team),
            &json!({"kind": "platform", "value": forum}),
        )
        .await;
    assert_eq!(followed.status, 201, "{}", followed.text);

    // Seed 000: the forum's mandate and its six points, set by an admin and read back by anyone.
    let mandate = json!({
        "mandate": "Kompetanseforum Østfold er en regional samarbeidsarena for regional kompetansepolitikk, som sikrer systematisk dialog mellom fylkeskommunale, kommunale og statlige sektorer, høyskoler, fagskoler, partene i arbeidslivet, næringsliv, frivillighet og ideelle organisasjoner.",
        "goals": [
            "Skal bidra til bedre informasjonsflyt og kontinuerlig kunnskapsdeling mellom regionale utdannings- og arbeidslivsaktører",
            "Skal innhente og forsøke å vurdere regional arbeidsmarkedskunnskap og kompetansebehov",
            "Skal samordne regionale nettverk mellom utdanning og næring",
            "Skal stimulere til bedre samordning på tvers av avdelinger i Østfold fylkeskommune",
            "Skal identifisere og bryte ned barrierer, som er hindringer til helhetlig tilnærming",
            "Skal bidra i arbeidet rettet mot spesielle utfordringer: relevans i utdanningene, flere læreplasser, målrettet etter- og videreutdanning og integrering"
        ]
    });
    let path = format!("/api/v1/platforms/{forum}/mandate");
    let refused = put_json(&app, &path, &team, &mandate).await;
    assert_eq!(
        refused.status, 403,
        "the coordination team does not set its own mandate: {}",
        refused.text
    );
    let set = put_json(&app, &path, &admin, &mandate).await;
    assert_eq!(set.status, 200, "{}", set.text);
    let read = app.get(&format!("/api/v1/platforms/{forum}"), None).await;
    assert_eq!(read.status, 200, "{}", read.text);
    assert_eq!(read.body["mandate"], mandate["mandate"]);
    assert_eq!(read.body["goals"], mandate["goals"]);
    let feed = app.get("/api/v1/me/feed?limit=100", Some(&team)).await;
    assert!(
        feed.body["items"].as_array().is_some_and(|items| items
            .iter()
            .any(|e| e["action"] == "platform.mandate" && e["title"] == "Kompetanseforum Østfold")),
        "the coordination team hears of its mandate: {}",
        feed.text
    );

    // Seed 001: "Nå starter byggingen av Kompetanseforum 2.0. Det skjer i Viken." The merged
    // county is a new region; Halden gets its Viken number and a need under the old number is
    // refused, naming the successor.
    let viken = app
        .post(
            "/api/v1/regions",
            Some(&admin),
            &json!({"key": "viken", "name": "Viken", "country": "NO"}),
        )
        .await;
    assert_eq!(viken.status, 201, "{}", viken.text);
    let halden = app
        .post(
            "/api/v1/municipalities",
            Some(&admin),
            &json!({"code": "NO-3001", "name": "Halden", "region": "viken"}),
        )
        .await;
    assert_eq!(halden.status, 201, "{}", halden.text);
    let forum_2 = json!({
        "key": "viken-forum",
        "name": "Kompetanseforum 2.0 Viken",
        "model": "forum",
        "region": "viken",
        "municipalities": ["NO-3001"]
    });
    let refused = app.post("/api/v1/platforms", Some(&team), &forum_2).await;
    assert_eq!(
        refused.status, 403,
        "forums are set up by admins: {}",
        refused.text
    );
    let created = app.post("/api/v1/platforms", Some(&admin), &forum_2).await;
    assert_eq!(created.status, 201, "{}", created.text);
    assert_eq!(created.body["model"], "forum");
    assert_eq!(created.body["broker_arrangement"], Value::Null);
    assert_eq!(created.body["municipalities"], json!(["3001"]));
    let viken_forum = id_of(&created);
    let renumbered = app
        .patch(
            "/api/v1/municipalities/NO-3101",
            Some(&admin),
            &json!({"replaced_by": "NO-3001"}),
        )
        .await;
    assert_eq!(renumbered.status, 200, "{}", renumbered.text);
    assert_eq!(renumbered.body["replaced_by"], "3001");

    let need = |code: &str| {
        json!({
            "municipality": code,
            "title": "Helsefagarbeidere til hjemmetjenesten",
            "purpose": "recruitment",
            "headcount": 4,
            "competences": [{"label": "helsefag"}]
        })
    };
    let old_contact = app.token_for(Role::MunicipalContact, Scope::municipality("3101"));
    let old_code = app
        .post("/api/v1/needs", Some(&old_contact), &need("3101"))
        .await;
    assert_eq!(old_code.status, 422, "{}", old_code.text);
    assert_eq!(old_code.problem_fields(), ["municipality"]);
    assert!(
        old_code.text.contains("replaced by 3001"),
        "the refusal names the successor: {}",
        old_code.text
    );
    let new_contact = app.token_for(Role::MunicipalContact, Scope::municipality("3001"));
    let routed = app
        .post("/api/v1/needs", Some(&new_contact), &need("NO-3001"))
        .await;
    assert_eq!(routed.status, 201, "{}", routed.text);
    assert_eq!(routed.body["municipality"], "3001");
    assert_eq!(
        routed.body["platform_id"],
        viken_forum.as_str(),
        "the new forum takes Halden's needs"
    );
}
