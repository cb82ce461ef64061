//! The authorisation matrix, generated from the contract: every operation `openapi.json` lists is
//! called without a token, with a forged one, and as each of the five roles. A route added to the
//! API is in the contract (the drift test sees to that), so it is in this matrix the moment it
//! exists; nobody has to remember to add it here.

use broker_api::auth::Role;
use broker_e2e::{Reply, Scope, Seed, TestApp, spawn_app_with, workspace_root};
use serde_json::{Value, json};
use uuid::Uuid;

const METHODS: [&str; 5] = ["get", "post", "put", "patch", "delete"];

/// Every operation and the roles it refuses with `403` when called with ids nothing has and an
/// empty body (as the test does). Where a handler checks the input or looks the object up first,
/// the refusal shows as `422` or `404` instead and the row is empty; scope rules on real objects
/// are covered by the story and feature tests. A new operation fails the test until it has a row.
const REFUSED: &[(&str, &[&str])] = &[
    ("DELETE /api/v1/contacts/{id}", &[]),
    ("DELETE /api/v1/me/subscriptions/{id}", &[]),
    ("DELETE /api/v1/webhooks/{id}", &[]),
    (
        "GET /api/v1/audit",
        &["broker", "municipal_contact", "provider", "employer"],
    ),
    ("GET /api/v1/clusters", &[]),
    ("GET /api/v1/competences", &[]),
    ("GET /api/v1/competences/{id}", &[]),
    ("GET /api/v1/contacts", &[]),
    (
        "GET /api/v1/course-requests",
        &["municipal_contact", "employer"],
    ),
    ("GET /api/v1/course-requests/{id}", &[]),
    ("GET /api/v1/course-requests/{id}/answers", &[]),
    ("GET /api/v1/course-requests/{id}/events", &[]),
    ("GET /api/v1/groups", &[]),
    ("GET /api/v1/groups/{id}", &[]),
    ("GET /api/v1/groups/{id}/gaps", &[]),
    ("GET /api/v1/groups/{id}/memberships", &[]),
    ("GET /api/v1/groups/{id}/needs", &[]),
    (
        "GET /api/v1/matches",
        &["municipal_contact", "provider", "employer"],
    ),
    ("GET /api/v1/matches/{id}", &[]),
    ("GET /api/v1/me/feed", &[]),
    ("GET /api/v1/me/subscriptions", &[]),
    (
        "GET /api/v1/meetings",
        &["municipal_contact", "provider", "employer"],
    ),
    ("GET /api/v1/meetings/{id}", &[]),
    ("GET /api/v1/municipalities", &[]),
    ("GET /api/v1/municipalities/{code}/pilot-status", &[]),
    ("GET /api/v1/needs", &["provider"]),
    ("GET /api/v1/needs/{id}", &[]),
    ("GET /api/v1/needs/{id}/events", &[]),
    ("GET /api/v1/needs/{id}/explore", &[]),
    ("GET /api/v1/needs/{id}/matches", &[]),
    ("GET /api/v1/occupations", &[]),
    ("GET /api/v1/offers", &[]),
    ("GET /api/v1/offers/{id}", &[]),
    ("GET /api/v1/offers/{id}/matches", &[]),
    ("GET /api/v1/organisations", &[]),
    ("GET /api/v1/organisations/{id}", &[]),
    ("GET /api/v1/platforms", &[]),
    ("GET /api/v1/platforms/{id}", &[]),
    ("GET /api/v1/proposals", &[]),
    ("GET /api/v1/proposals/{id}", &[]),
    ("GET /api/v1/proposals/{id}/events", &[]),
    ("GET /api/v1/public/filters", &[]),
    ("GET /api/v1/public/offers", &[]),
    ("GET /api/v1/public/offers.atom", &[]),
    ("GET /api/v1/public/offers/{id}", &[]),
    ("GET /api/v1/recommendations", &[]),
    ("GET /api/v1/recommendations/{id}", &[]),
    ("GET /api/v1/regions", &[]),
    ("GET /api/v1/reports/activity", &["employer"]),
    ("GET /api/v1/reports/gap", &["employer"]),
    ("GET /api/v1/taxonomy/changes", &[]),
    ("GET /api/v1/webhooks", &["broker", "municipal_contact"]),
    ("GET /api/v1/webhooks/{id}", &[]),
    ("GET /api/v1/webhooks/{id}/deliveries", &[]),
    ("GET /api/v1/workshops", &[]),
    ("GET /api/v1/workshops/{id}", &[]),
    ("GET /embed/offers.js", &[]),
    ("GET /healthz", &[]),
    ("GET /offers", &[]),
    ("GET /readyz", &[]),
    ("PATCH /api/v1/clusters/{id}", &[]),
    ("PATCH /api/v1/meetings/{id}", &[]),
    (
        "PATCH /api/v1/municipalities/{code}",
        &["broker", "municipal_contact", "provider", "employer"],
    ),
    ("PATCH /api/v1/needs/{id}", &[]),
    ("PATCH /api/v1/offers/{id}", &[]),
    (
        "PATCH /api/v1/platforms/{id}",
        &["municipal_contact", "provider", "employer"],
    ),
    (
        "PATCH /api/v1/platforms/{id}/settings",
        &["municipal_contact", "provider", "employer"],
    ),
    ("PATCH /api/v1/regions/{id}", &[]),
    ("PATCH /api/v1/webhooks/{id}", &[]),
    (
        "POST /api/v1/admin/jobs/escalation/run",
        &["broker", "municipal_contact", "provider", "employer"],
    ),
    (
        "POST /api/v1/admin/jobs/expiry",
        &["broker", "municipal_contact", "provider", "employer"],
    ),
    ("POST /api/v1/clusters", &[]),
    ("POST /api/v1/competences/parse", &[]),
    ("POST /api/v1/contacts", &[]),
    ("POST /api/v1/course-requests", &[]),
    ("POST /api/v1/course-requests/{id}/answers", &[]),
    ("POST /api/v1/course-requests/{id}/decide", &[]),
    ("POST /api/v1/course-requests/{id}/send", &[]),
    ("POST /api/v1/groups", &[]),
    ("POST /api/v1/groups/{id}/memberships", &[]),
    (
        "POST /api/v1/groups/{id}/memberships/{membership_id}/end",
        &[],
    ),
    ("POST /api/v1/matches/{id}/decision", &[]),
    ("POST /api/v1/matches/{id}/outcomes", &[]),
    ("POST /api/v1/me/subscriptions", &[]),
    ("POST /api/v1/meetings", &[]),
    ("POST /api/v1/municipalities", &[]),
    ("POST /api/v1/municipalities/{code}/pilot-status", &[]),
    ("POST /api/v1/needs", &[]),
    ("POST /api/v1/needs/batch", &[]),
    ("POST /api/v1/needs/{id}/escalate", &[]),
    ("POST /api/v1/needs/{id}/fulfil", &[]),
    ("POST /api/v1/needs/{id}/withdraw", &[]),
    ("POST /api/v1/offers", &[]),
    (
        "POST /api/v1/offers/batch",
        &["broker", "municipal_contact", "employer"],
    ),
    ("POST /api/v1/offers/{id}/archive", &[]),
    ("POST /api/v1/offers/{id}/publish", &[]),
    ("POST /api/v1/organisations", &[]),
    ("POST /api/v1/platforms", &[]),
    ("POST /api/v1/proposals", &[]),
    ("POST /api/v1/proposals/{id}/actions", &[]),
    ("POST /api/v1/recommendations", &[]),
    ("POST /api/v1/recommendations/{id}/follow-up", &[]),
    ("POST /api/v1/regions", &[]),
    ("POST /api/v1/webhooks", &[]),
    (
        "POST /api/v1/webhooks/{id}/deliveries/{delivery_id}/redeliver",
        &[],
    ),
    ("POST /api/v1/workshops", &[]),
    ("POST /api/v1/workshops/{id}/discussions", &[]),
    ("PUT /api/v1/contacts/{id}", &[]),
    ("PUT /api/v1/platforms/{id}/mandate", &[]),
];

struct Operation {
    method: String,
    template: String,
    secured: bool,
    has_body: bool,
    body_is_list: bool,
}

fn operations(spec: &Value) -> Vec<Operation> {
    let mut out = Vec::new();
    for (template, item) in spec["paths"].as_object().into_iter().flatten() {
        for method in METHODS {
            let Some(op) = item.get(method) else { continue };
            let secured = op["security"]
                .as_array()
                .or_else(|| spec["security"].as_array())
                .is_some_and(|s| {
                    s.iter()
                        .any(|r| r.as_object().is_some_and(|o| !o.is_empty()))
                });
            let json_body = &op["requestBody"]["content"]["application/json"]["schema"];
            out.push(Operation {
                method: method.to_owned(),
                template: template.clone(),
                secured,
                has_body: !op["requestBody"].is_null(),
                body_is_list: json_body["type"] == "array",
            });
        }
    }
    out
}

/// The template with every path parameter filled: ids get a fresh UUID (nothing has it), other
/// parameters a plausible code.
fn concrete(template: &str) -> String {
    let mut path = String::new();
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        path.push_str(&rest[..open]);
        let close = rest[open..].find('}').map_or(rest.len(), |c| open + c);
        let name = &rest[open + 1..close];
        if name.contains("id") {
            path.push_str(&Uuid::new_v4().to_string());
        } else {
            path.push_str("1438");
        }
        rest = rest.get(close + 1..).unwrap_or_default();
    }
    path.push_str(rest);
    path
}

async fn call(app: &TestApp, op: &Operation, token: Option<&str>) -> Reply {
    let url = app.url(&concrete(&op.template));
    let request = match op.method.as_str() {
        "get" => app.client.get(url),
        "post" => app.client.post(url),
        "put" => app.client.put(url),
        "patch" => app.client.patch(url),
        _ => app.client.delete(url),
    };
    let request = if op.has_body {
        request.json(&if op.body_is_list {
            json!([])
        } else {
            json!({})
        })
    } else {
        request
    };
    app.send(request, token).await
}

fn is_problem(reply: &Reply) -> bool {
    reply
        .header("content-type")
        .is_some_and(|c| c.starts_with("application/problem+json"))
}

#[tokio::test]
async fn every_operation_answers_every_role_as_the_matrix_says()
-> Result<(), Box<dyn std::error::Error>> {
    let app = spawn_app_with(Seed::Demo, |_| {}).await;
    let spec: Value = serde_json::from_str(&std::fs::read_to_string(
        workspace_root().join("openapi/openapi.json"),
    )?)?;
    let operations = operations(&spec);
    assert!(operations.len() > 80, "{} operations", operations.len());
    let organisation = app.organisation_id("Dals-Eds Mekaniska").await;
    let roles = [
        ("admin", app.admin()),
        (
            "broker",
            app.token_for(
                Role::Broker,
                Scope::platforms(&[app.platform_id("dalsland")]),
            ),
        ),
        (
            "municipal_contact",
            app.token_for(Role::MunicipalContact, Scope::municipality("1438")),
        ),
        (
            "provider",
            app.token_for(Role::Provider, Scope::organisation(organisation)),
        ),
        (
            "employer",
            app.token_for(Role::Employer, Scope::organisation(organisation)),
        ),
    ];
    let forged = format!("{}x", app.admin());
    let mut cells = 0;
    let mut refused: std::collections::BTreeMap<String, Vec<&str>> = Default::default();
    for op in &operations {
        let name = format!("{} {}", op.method.to_uppercase(), op.template);
        let anonymous = call(&app, op, None).await;
        let with_forged = call(&app, op, Some(&forged)).await;
        if op.secured {
            for (who, reply) in [("no token", &anonymous), ("a forged token", &with_forged)] {
                assert_eq!(reply.status, 401, "{name} with {who}: {}", reply.text);
                assert!(is_problem(reply), "{name} with {who}: {}", reply.text);
            }
        } else {
            assert_ne!(
                anonymous.status, 401,
                "{name} is public: {}",
                anonymous.text
            );
        }
        for (role, token) in &roles {
            let reply = call(&app, op, Some(token)).await;
            cells += 1;
            let entry = refused.entry(name.clone()).or_default();
            if reply.status == 403 {
                entry.push(role);
            }
            assert!(
                reply.status < 500,
                "{name} as {role}: {} {}",
                reply.status,
                reply.text
            );
            assert_ne!(reply.status, 401, "{name} as {role}: a valid token");
            if reply.status >= 400 {
                assert!(is_problem(&reply), "{name} as {role}: {}", reply.text);
            }
            // Administration and the audit trail are for admins alone.
            let admin_only = op.template.starts_with("/api/v1/admin/")
                || op.template.starts_with("/api/v1/audit");
            if admin_only && *role != "admin" {
                assert_eq!(reply.status, 403, "{name} as {role}: {}", reply.text);
            }
        }
    }
    assert_eq!(cells, operations.len() * roles.len());
    let expected: std::collections::BTreeMap<String, Vec<&str>> = REFUSED
        .iter()
        .map(|(op, roles)| ((*op).to_owned(), roles.to_vec()))
        .collect();
    let missing: Vec<&String> = refused
        .keys()
        .filter(|k| !expected.contains_key(*k))
        .collect();
    assert!(
        missing.is_empty(),
        "operations without a row in REFUSED (add one saying which roles get 403): {missing:?}"
    );
    let stale: Vec<&String> = expected
        .keys()
        .filter(|k| !refused.contains_key(*k))
        .collect();
    assert!(
        stale.is_empty(),
        "rows for operations that no longer exist: {stale:?}"
    );
    for (op, roles) in &refused {
        assert_eq!(
            Some(roles),
            expected.get(op),
            "{op}: the roles refused with 403"
        );
    }
    // What the contract tells people (`x-roles`, shown on /docs) agrees: no role it names as
    // allowed is refused outright.
    for op in &operations {
        let name = format!("{} {}", op.method.to_uppercase(), op.template);
        let documented: Vec<&str> = spec["paths"][&op.template][&op.method]["x-roles"]
            .as_array()
            .map(|r| r.iter().filter_map(Value::as_str).collect())
            .unwrap_or_default();
        assert!(!documented.is_empty(), "{name}: no x-roles in the contract");
        for role in refused.get(&name).into_iter().flatten() {
            assert!(
                !documented.contains(role),
                "{name}: the contract says {role} may call it, but it was refused with 403"
            );
        }
    }
    Ok(())
}
