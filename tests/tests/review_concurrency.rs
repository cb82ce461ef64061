//! Two brokers deciding the same suggestion at the same moment: exactly one wins, the other gets
//! 409 and changes nothing.

use broker_api::auth::Role;
use broker_e2e::{Scope, Seed, spawn_app_with};
use serde_json::json;

#[tokio::test]
async fn concurrent_decisions_on_one_version_let_exactly_one_through() {
    let app = spawn_app_with(Seed::Demo, |_| {}).await;
    let contact = app.token_for(Role::MunicipalContact, Scope::municipality("1488"));
    let need = app
        .post(
            "/api/v1/needs",
            Some(&contact),
            &json!({"municipality": "1488", "title": "MIG/MAG-svetsare", "purpose": "recruitment", "headcount": 2,
                    "needed_by": "2027-12-01", "competences": [{"label": "MIG/MAG-svetsning"}]}),
        )
        .await;
    let id = need.body["id"].as_str().unwrap_or_default().to_owned();
    let suggestions = app
        .eventually(
            &format!("/api/v1/needs/{id}/matches?kind=offer"),
            Some(&contact),
            |b| b["items"].as_array().is_some_and(|i| !i.is_empty()),
        )
        .await;
    let top = suggestions.body["items"][0].clone();
    let match_id = top["id"].as_str().unwrap_or_default().to_owned();
    let version = top["version"].clone();
    let platform = app.platform_id("fyrbodal");
    let alice = app.token_for(Role::Broker, Scope::platforms(&[platform]));
    let bob = app.token_for(Role::Broker, Scope::platforms(&[platform]));
    let path = format!("/api/v1/matches/{match_id}/decision");
    for round in 0..2 {
        // Each round races two different decisions on the version both brokers saw.
        let current = app
            .get(&format!("/api/v1/matches/{match_id}"), Some(&alice))
            .await;
        let seen = if round == 0 {
            version.clone()
        } else {
            current.body["version"].clone()
        };
        let before_status = current.body["status"].clone();
        let first = if round == 0 { "defer" } else { "accept" };
        let defer = json!({"decision": first, "reason": "ask the employer", "version": seen});
        let reject = json!({"decision": "reject", "reason": "too far away", "version": seen});
        let (a, b) = tokio::join!(
            app.post(&path, Some(&alice), &defer),
            app.post(&path, Some(&bob), &reject),
        );
        let mut statuses = [a.status, b.status];
        statuses.sort_unstable();
        if before_status == "rejected" {
            // A rejection is final: both are refused and nothing changes.
            assert!(
                statuses.iter().all(|s| *s == 409),
                "{statuses:?}: {} / {}",
                a.text,
                b.text
            );
            break;
        }
        assert_eq!(
            statuses,
            [200, 409],
            "round {round}: {} / {}",
            a.text,
            b.text
        );
        let loser = if a.status == 409 { &a } else { &b };
        assert_eq!(loser.body["code"], "conflict", "{}", loser.text);
        let after = app
            .get(&format!("/api/v1/matches/{match_id}"), Some(&alice))
            .await;
        let winner = if a.status == 200 { &a } else { &b };
        assert_eq!(after.body["status"], winner.body["status"]);
        assert_eq!(after.body["version"], winner.body["version"]);
        assert_eq!(
            after.body["version"].as_i64(),
            seen.as_i64().map(|v| v + 1),
            "one decision, one version step"
        );
    }
}
