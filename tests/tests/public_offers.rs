//! Public offer listings for partner websites: filters, paging, facets, only public fields,
//! HTTP caching, CORS on public routes only, the rate limit, JSON-LD (checked by pyld) and the
//! Atom feed (checked by feedparser). Expectations come from the demo data file, not constants.

use std::collections::{BTreeMap, BTreeSet};

use broker_api::auth::Role;
use broker_api::demo::stable_id;
use broker_e2e::{Reply, Scope, Seed, TestApp, run_tool, spawn_app_with};
use serde_json::{Value, json};

/// The demo offers as written in `crates/api/demo/offers.json`.
fn demo_offers() -> Vec<Value> {
    let path = broker_e2e::workspace_root().join("crates/api/demo/offers.json");
    let text = std::fs::read_to_string(path).unwrap_or_default();
    serde_json::from_str::<Vec<Value>>(&text).unwrap_or_default()
}

fn id_of(offer: &Value) -> String {
    stable_id("offer", offer["key"].as_str().unwrap_or_default()).to_string()
}

fn published() -> Vec<Value> {
    demo_offers()
        .into_iter()
        .filter(|o| o["status"] == "published")
        .collect()
}

fn held_in(offer: &Value, codes: &[&str]) -> bool {
    offer["instances"].as_array().is_some_and(|list| {
        list.iter()
            .any(|i| codes.contains(&i["municipality"].as_str().unwrap_or_default()))
    })
}

fn ids(reply: &Reply) -> BTreeSet<String> {
    reply.body["items"]
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|i| i["id"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

async fn demo_app() -> TestApp {
    spawn_app_with(Seed::Demo, |_| {}).await
}

/// Every key anywhere in a JSON document.
fn keys(v: &Value, out: &mut BTreeSet<String>) {
    match v {
        Value::Object(map) => {
            for (k, child) in map {
                out.insert(k.clone());
                keys(child, out);
            }
        }
        Value::Array(list) => list.iter().for_each(|c| keys(c, out)),
        _ => {}
    }
}

#[tokio::test]
async fn listings_filter_by_place_and_count_facets_over_all_pages() {
    let app = demo_app().await;
    let expected: BTreeSet<String> = published()
        .iter()
        .filter(|o| held_in(o, &["1485"]))
        .map(id_of)
        .collect();
    assert!(
        expected.len() > 3,
        "the demo has several offers in Uddevalla"
    );
    let all = app
        .get("/api/v1/public/offers?municipality=1485&limit=100", None)
        .await;
    assert_eq!(all.status, 200, "{}", all.text);
    assert_eq!(ids(&all), expected);
    assert_eq!(all.body["total"], expected.len());
    assert_eq!(all.body["sort"], "start_date");
    let facets = &all.body["facets"];
    let uddevalla = facets["municipality"]
        .as_array()
        .and_then(|f| f.iter().find(|v| v["value"] == "1485"))
        .cloned()
        .unwrap_or_default();
    assert_eq!(uddevalla["count"], expected.len());
    assert_eq!(uddevalla["label"], "Uddevalla");
    for dimension in ["delivery", "level"] {
        let sum: u64 = facets[dimension]
            .as_array()
            .map(|f| f.iter().filter_map(|v| v["count"].as_u64()).sum())
            .unwrap_or_default();
        let with_value = published()
            .iter()
            .filter(|o| held_in(o, &["1485"]) && !o[dimension].is_null())
            .count() as u64;
        assert_eq!(sum, with_value, "{dimension} facet: {}", facets[dimension]);
    }
    let first_competence = &facets["competence"][0];
    assert!(
        first_competence["label"]
            .as_str()
            .is_some_and(|l| !l.is_empty())
    );

    // Start-date order: each item's next start is not before the previous one's.
    let starts: Vec<&str> = all.body["items"]
        .as_array()
        .map(|items| {
            items
                .iter()
                .filter_map(|i| i["next_start"].as_str())
                .collect()
        })
        .unwrap_or_default();
    assert!(starts.windows(2).all(|w| w[0] <= w[1]), "{starts:?}");

    // Paging: follow `next` until the end; the pages partition the result.
    let mut seen = Vec::new();
    let mut path = Some("/api/v1/public/offers?municipality=1485&limit=3".to_owned());
    while let Some(p) = path {
        let page = app.get(&p, None).await;
        assert_eq!(page.status, 200, "{}", page.text);
        assert!(page.body["items"].as_array().is_some_and(|i| i.len() <= 3));
        assert_eq!(
            page.body["total"],
            expected.len(),
            "facets and totals cover all pages"
        );
        seen.extend(ids(&page));
        path = page.body["next"].as_str().map(str::to_owned);
    }
    assert_eq!(seen.len(), expected.len(), "no offer twice");
    assert_eq!(seen.into_iter().collect::<BTreeSet<_>>(), expected);

    // Region and cluster resolve to their municipalities; both together intersect.
    let ostfold = app
        .get("/api/v1/public/offers?region=ostfold&limit=100", None)
        .await;
    let ostfold_codes = ["3101", "3103", "3105", "3107", "3118"];
    let expected_ostfold: BTreeSet<String> = published()
        .iter()
        .filter(|o| held_in(o, &ostfold_codes))
        .map(id_of)
        .collect();
    assert_eq!(ids(&ostfold), expected_ostfold);
    let cluster = app
        .get(
            "/api/v1/public/offers?cluster=dalsland&region=fyrbodal&limit=100",
            None,
        )
        .await;
    let dalsland: Vec<String> = app.get("/api/v1/clusters", None).await.body["items"]
        .as_array()
        .and_then(|c| c.iter().find(|c| c["key"] == "dalsland"))
        .and_then(|c| c["municipalities"].as_array())
        .map(|m| {
            m.iter()
                .filter_map(|c| c.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    let dalsland_refs: Vec<&str> = dalsland.iter().map(String::as_str).collect();
    let expected_dalsland: BTreeSet<String> = published()
        .iter()
        .filter(|o| held_in(o, &dalsland_refs))
        .map(id_of)
        .collect();
    assert!(!expected_dalsland.is_empty());
    assert_eq!(ids(&cluster), expected_dalsland);

    // Distance instances join a place filter only when asked.
    let with_distance = app
        .get(
            "/api/v1/public/offers?municipality=1485&include_distance=true&limit=100",
            None,
        )
        .await;
    let remote: BTreeSet<String> = published()
        .iter()
        .filter(|o| {
            o["instances"]
                .as_array()
                .is_some_and(|l| l.iter().any(|i| i["distance"] == true))
        })
        .map(id_of)
        .collect();
    assert_eq!(
        ids(&with_distance),
        expected.union(&remote).cloned().collect::<BTreeSet<_>>()
    );
}

#[tokio::test]
async fn listings_filter_by_delivery_level_language_dates_and_competence() {
    let app = demo_app().await;
    let check = |reply: &Reply, expected: BTreeSet<String>, what: &str| {
        assert_eq!(reply.status, 200, "{what}: {}", reply.text);
        assert_eq!(ids(reply), expected, "{what}");
    };
    let by = |pred: &dyn Fn(&Value) -> bool| -> BTreeSet<String> {
        published().iter().filter(|o| pred(o)).map(id_of).collect()
    };
    check(
        &app.get(
            "/api/v1/public/offers?delivery=distance,blended&limit=100",
            None,
        )
        .await,
        by(&|o| o["delivery"] == "distance" || o["delivery"] == "blended"),
        "delivery",
    );
    check(
        &app.get("/api/v1/public/offers?level=4&limit=100", None)
            .await,
        by(&|o| o["level"] == 4),
        "level",
    );
    check(
        &app.get("/api/v1/public/offers?language=nb&limit=100", None)
            .await,
        by(&|o| o["language"] == "nb"),
        "language",
    );
    let (from, to) = ("2027-03-01", "2027-08-31");
    check(
        &app.get(
            &format!("/api/v1/public/offers?start_from={from}&start_to={to}&limit=100"),
            None,
        )
        .await,
        by(&|o| {
            o["instances"].as_array().is_some_and(|l| {
                l.iter().any(|i| {
                    let s = i["start"].as_str().unwrap_or_default();
                    s >= from && s <= to
                })
            })
        }),
        "start range",
    );
    let future = app
        .get(
            "/api/v1/public/offers?updated_since=2999-01-01T00:00:00Z",
            None,
        )
        .await;
    assert_eq!(future.body["total"], 0);
    let past = app
        .get(
            "/api/v1/public/offers?updated_since=2000-01-01&limit=100",
            None,
        )
        .await;
    assert_eq!(past.body["total"], published().len());

    // Free-text competence, resolved through the taxonomy like need requirements.
    let welding = app
        .get(
            "/api/v1/public/offers?competence=MIG%2FMAG-svetsning&limit=100",
            None,
        )
        .await;
    assert_eq!(welding.status, 200, "{}", welding.text);
    assert_eq!(welding.body["sort"], "relevance");
    let concept = welding.body["resolved_competences"][0]["concept_id"]
        .as_str()
        .unwrap_or_default()
        .to_owned();
    assert_eq!(
        concept,
        stable_id("concept", "mig_mag_svetsning").to_string()
    );
    let teaching = by(&|o| {
        o["competences"]
            .as_array()
            .is_some_and(|c| c.iter().any(|k| k == "mig_mag_svetsning"))
    });
    assert!(!teaching.is_empty());
    assert_eq!(ids(&welding), teaching);
    let by_id = app
        .get(
            &format!("/api/v1/public/offers?competence={concept}&limit=100"),
            None,
        )
        .await;
    assert_eq!(ids(&by_id), teaching);

    // Free-text search ranks the offer that names the words first.
    let truck = app.get("/api/v1/public/offers?q=truckkort", None).await;
    assert_eq!(truck.status, 200, "{}", truck.text);
    let first_title = truck.body["items"][0]["title"].as_str().unwrap_or_default();
    assert!(
        first_title.to_lowercase().contains("truck"),
        "{}",
        truck.text
    );
    let nothing = app.get("/api/v1/public/offers?q=zzqxj", None).await;
    assert_eq!(nothing.body["total"], 0);
}

#[tokio::test]
async fn bad_parameters_are_problems_naming_each_parameter() {
    let app = demo_app().await;
    let reply = app
        .get(
            "/api/v1/public/offers?municipality=9999&level=9&start_from=soon&sort=best&delivery=boat&limit=0&lang=de&competence=qqqzzx",
            None,
        )
        .await;
    assert_eq!(reply.status, 422, "{}", reply.text);
    assert_eq!(
        reply.header("content-type"),
        Some("application/problem+json")
    );
    let fields: BTreeSet<String> = reply.problem_fields().into_iter().collect();
    for f in [
        "municipality",
        "level",
        "start_from",
        "sort",
        "delivery",
        "limit",
        "lang",
        "competence",
    ] {
        assert!(fields.contains(f), "{f} missing in {fields:?}");
    }
    let unknown = app.get("/api/v1/public/offers?colour=red", None).await;
    assert_eq!(unknown.status, 422);
    assert_eq!(unknown.problem_fields(), vec!["colour"]);
    let feed = app
        .get("/api/v1/public/offers.atom?region=narnia", None)
        .await;
    assert_eq!(feed.status, 422);
    assert_eq!(feed.problem_fields(), vec!["region"]);
}

#[tokio::test]
async fn only_public_fields_and_only_published_offers_are_shown() {
    let app = demo_app().await;
    let reply = app.get("/api/v1/public/offers?limit=100", None).await;
    assert_eq!(reply.status, 200);
    let listed = ids(&reply);
    assert_eq!(listed, published().iter().map(id_of).collect());
    let hidden: Vec<String> = demo_offers()
        .iter()
        .filter(|o| o["status"] != "published")
        .map(id_of)
        .collect();
    assert!(hidden.len() >= 2, "the demo has drafts and archived offers");
    for id in &hidden {
        assert!(!listed.contains(id));
        let one = app.get(&format!("/api/v1/public/offers/{id}"), None).await;
        assert_eq!(one.status, 404, "{}", one.text);
    }

    let mut seen = BTreeSet::new();
    keys(&reply.body, &mut seen);
    let detail = app
        .get(
            &format!(
                "/api/v1/public/offers/{}",
                reply.body["items"][0]["id"].as_str().unwrap_or_default()
            ),
            None,
        )
        .await;
    assert_eq!(detail.status, 200, "{}", detail.text);
    keys(&detail.body, &mut seen);
    let filters = app.get("/api/v1/public/filters", None).await;
    keys(&filters.body, &mut seen);
    for private in [
        "email",
        "phone",
        "status",
        "version",
        "allowed_actions",
        "need_id",
        "needs",
        "org_number",
        "contact_person_ids",
    ] {
        assert!(!seen.contains(private), "`{private}` must not be public");
    }
    // The demand signal is counts only.
    let demand_keys: BTreeSet<String> = reply.body["items"][0]["demand"]
        .as_object()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default();
    assert_eq!(
        demand_keys,
        ["headcount", "open_needs", "region"]
            .map(str::to_owned)
            .into_iter()
            .collect()
    );
    // No contact detail of any demo person, and no need title, appears anywhere.
    let people =
        std::fs::read_to_string(broker_e2e::workspace_root().join("crates/api/demo/people.json"))
            .unwrap_or_default();
    let needs =
        std::fs::read_to_string(broker_e2e::workspace_root().join("crates/api/demo/needs.json"))
            .unwrap_or_default();
    let people: Vec<Value> = serde_json::from_str(&people).unwrap_or_default();
    let needs: Vec<Value> = serde_json::from_str(&needs).unwrap_or_default();
    assert!(!people.is_empty() && !needs.is_empty());
    for text in [&reply.text, &detail.text, &filters.text] {
        for p in &people {
            for field in ["email", "phone"] {
                if let Some(v) = p[field].as_str() {
                    assert!(!text.contains(v), "{v} leaked");
                }
            }
        }
        for n in &needs {
            if let Some(title) = n["title"].as_str() {
                assert!(
                    !text.contains(&format!("\"{title}\"")),
                    "need `{title}` leaked"
                );
            }
        }
    }
    // Demand is counted from open needs: some published offer is in demand somewhere.
    let in_demand = reply.body["items"].as_array().is_some_and(|items| {
        items
            .iter()
            .any(|i| i["demand"]["open_needs"].as_u64() > Some(0))
    });
    assert!(in_demand, "the demo needs ask for what some offers teach");

    // The filter values carry labels in all three languages.
    let delivery = &filters.body["deliveries"][0]["labels"];
    for lang in ["sv", "nb", "en"] {
        assert!(delivery[lang].as_str().is_some_and(|l| !l.is_empty()));
    }
    assert!(filters.body["municipalities"].as_array().is_some_and(|m| {
        m.iter()
            .any(|m| m["value"] == "1485" && m["offers"].as_u64() > Some(0))
    }));
    // Labels follow the asked language.
    let en = app
        .get(
            "/api/v1/public/offers?competence=MIG%2FMAG-svetsning&lang=en",
            None,
        )
        .await;
    let nb = app
        .send(
            app.client
                .get(app.url("/api/v1/public/offers?competence=MIG%2FMAG-svetsning"))
                .header("Accept-Language", "nb-NO, en;q=0.5"),
            None,
        )
        .await;
    assert_eq!(en.header("content-language"), Some("en"));
    assert_eq!(nb.header("content-language"), Some("nb"));
    assert_ne!(
        en.body["resolved_competences"][0]["label"],
        nb.body["resolved_competences"][0]["label"]
    );
}

async fn provider_token_for(app: &TestApp, offer_key: &str) -> (String, String, i64) {
    let id = stable_id("offer", offer_key).to_string();
    let admin = app.admin();
    let current = app.get(&format!("/api/v1/offers/{id}"), Some(&admin)).await;
    assert_eq!(current.status, 200, "{}", current.text);
    let provider: uuid::Uuid = current.body["provider_id"]
        .as_str()
        .and_then(|p| p.parse().ok())
        .unwrap_or_default();
    let token = app.token_for(Role::Provider, Scope::organisation(provider));
    (
        id,
        token,
        current.body["version"].as_i64().unwrap_or_default(),
    )
}

#[tokio::test]
async fn listings_revalidate_with_etags_and_dates_and_change_when_offers_change() {
    let app = demo_app().await;
    let path = "/api/v1/public/offers?municipality=1485";
    let first = app.get(path, None).await;
    assert_eq!(first.status, 200);
    let etag = first.header("etag").unwrap_or_default().to_owned();
    let modified = first.header("last-modified").unwrap_or_default().to_owned();
    assert!(
        etag.starts_with('"') && etag.len() > 10,
        "strong ETag: {etag}"
    );
    assert!(!modified.is_empty());
    assert_eq!(first.header("cache-control"), Some("public, max-age=60"));
    let vary = first.header("vary").unwrap_or_default();
    assert!(
        vary.contains("Accept") && vary.contains("Accept-Language"),
        "{vary}"
    );

    let again = app.get(path, None).await;
    assert_eq!(
        again.header("etag"),
        Some(etag.as_str()),
        "same content, same tag"
    );
    let revalidated = app
        .send(
            app.client.get(app.url(path)).header("If-None-Match", &etag),
            None,
        )
        .await;
    assert_eq!(revalidated.status, 304);
    assert!(revalidated.text.is_empty());
    assert_eq!(revalidated.header("etag"), Some(etag.as_str()));
    assert_eq!(
        revalidated.header("cache-control"),
        Some("public, max-age=60")
    );
    let by_date = app
        .send(
            app.client
                .get(app.url(path))
                .header("If-Modified-Since", &modified),
            None,
        )
        .await;
    assert_eq!(by_date.status, 304);
    let stale_date = app
        .send(
            app.client
                .get(app.url(path))
                .header("If-Modified-Since", "Thu, 01 Jan 2015 00:00:00 GMT"),
            None,
        )
        .await;
    assert_eq!(stale_date.status, 200);

    // A provider changes a listed offer: the tag no longer matches and the new title shows.
    let (id, provider, version) = provider_token_for(&app, "of_truck").await;
    let changed = app
        .patch(
            &format!("/api/v1/offers/{id}"),
            Some(&provider),
            &json!({"version": version, "title": "Truckkort A+B – kvällskurs"}),
        )
        .await;
    assert_eq!(changed.status, 200, "{}", changed.text);
    let after_change = app
        .send(
            app.client.get(app.url(path)).header("If-None-Match", &etag),
            None,
        )
        .await;
    assert_eq!(after_change.status, 200);
    let etag2 = after_change.header("etag").unwrap_or_default().to_owned();
    assert_ne!(etag2, etag);
    assert!(after_change.text.contains("kvällskurs"));
    let total_before = after_change.body["total"].as_u64().unwrap_or_default();

    // Publishing a draft held in Uddevalla adds it to the listing under a new tag.
    let (draft, provider, version) = provider_token_for(&app, "of_underhall_yh").await;
    assert!(!ids(&after_change).contains(&draft));
    let published = app
        .post(
            &format!("/api/v1/offers/{draft}/publish"),
            Some(&provider),
            &json!({"version": version}),
        )
        .await;
    assert_eq!(published.status, 200, "{}", published.text);
    let after_publish = app
        .send(
            app.client
                .get(app.url(&format!("{path}&limit=100")))
                .header("If-None-Match", &etag2),
            None,
        )
        .await;
    assert_eq!(after_publish.status, 200);
    assert!(ids(&after_publish).contains(&draft));
    assert_eq!(after_publish.body["total"].as_u64(), Some(total_before + 1));
    // The detail carries live demand, which the background matcher may still be updating after
    // the publish (slowly on a loaded machine): revalidate once it has settled, and a changed
    // body must come with a changed tag.
    let mut detail_again_status = 0;
    for _ in 0..100 {
        let detail = app
            .get(&format!("/api/v1/public/offers/{draft}"), None)
            .await;
        assert_eq!(detail.status, 200);
        let detail_tag = detail.header("etag").unwrap_or_default().to_owned();
        let detail_again = app
            .send(
                app.client
                    .get(app.url(&format!("/api/v1/public/offers/{draft}")))
                    .header("If-None-Match", &detail_tag),
                None,
            )
            .await;
        detail_again_status = detail_again.status;
        if detail_again.status == 304 {
            break;
        }
        assert_eq!(detail_again.status, 200, "{}", detail_again.text);
        assert_ne!(
            detail_again.header("etag").unwrap_or_default(),
            detail_tag,
            "a 200 to a matching If-None-Match must carry a new tag"
        );
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(detail_again_status, 304);

    // The widget script is cacheable too.
    let script = app.get("/embed/offers.js", None).await;
    assert_eq!(script.status, 200);
    assert!(
        script
            .header("content-type")
            .is_some_and(|c| c.starts_with("text/javascript"))
    );
    assert!(
        script
            .header("cache-control")
            .is_some_and(|c| c.starts_with("public, max-age="))
    );
    assert!(script.text.contains("data-kompetens-offers"));
    let script_again = app
        .send(
            app.client
                .get(app.url("/embed/offers.js"))
                .header("If-None-Match", script.header("etag").unwrap_or_default()),
            None,
        )
        .await;
    assert_eq!(script_again.status, 304);
}

#[tokio::test]
async fn cors_is_open_on_public_reads_and_closed_on_everything_else() {
    let app = demo_app().await;
    let origin = "https://www.uddevalla.example";
    for path in [
        "/api/v1/public/offers",
        "/api/v1/public/filters",
        "/api/v1/public/offers.atom",
        "/embed/offers.js",
    ] {
        let reply = app
            .send(app.client.get(app.url(path)).header("Origin", origin), None)
            .await;
        assert_eq!(reply.status, 200, "{path}: {}", reply.text);
        assert_eq!(
            reply.header("access-control-allow-origin"),
            Some("*"),
            "{path}"
        );
    }
    let preflight = app
        .send(
            app.client
                .request(reqwest::Method::OPTIONS, app.url("/api/v1/public/offers"))
                .header("Origin", origin)
                .header("Access-Control-Request-Method", "GET")
                .header("Access-Control-Request-Headers", "if-none-match"),
            None,
        )
        .await;
    assert!(preflight.status == 204 || preflight.status == 200);
    assert_eq!(preflight.header("access-control-allow-origin"), Some("*"));
    assert!(
        preflight
            .header("access-control-allow-methods")
            .is_some_and(|m| m.contains("GET"))
    );
    // Even a 404 of the public scope stays readable by the partner's script.
    let missing = app
        .send(
            app.client
                .get(app.url(&format!("/api/v1/public/offers/{}", uuid::Uuid::nil())))
                .header("Origin", origin),
            None,
        )
        .await;
    assert_eq!(missing.status, 404);
    assert_eq!(missing.header("access-control-allow-origin"), Some("*"));

    // Authenticated and write routes never open CORS.
    let contact = app.token_for(Role::MunicipalContact, Scope::municipality("1438"));
    let write = app
        .send(
            app.client
                .post(app.url("/api/v1/needs"))
                .header("Origin", origin)
                .json(&json!({
                    "municipality": "1438",
                    "title": "Svetsare",
                    "purpose": "recruitment",
                    "headcount": 1,
                    "competences": [{"label": "svetsning"}]
                })),
            Some(&contact),
        )
        .await;
    assert_eq!(write.status, 201, "{}", write.text);
    assert_eq!(write.header("access-control-allow-origin"), None);
    let private_read = app
        .send(
            app.client
                .get(app.url("/api/v1/offers"))
                .header("Origin", origin),
            Some(&contact),
        )
        .await;
    assert_eq!(private_read.status, 200);
    assert_eq!(private_read.header("access-control-allow-origin"), None);
    let write_preflight = app
        .send(
            app.client
                .request(reqwest::Method::OPTIONS, app.url("/api/v1/needs"))
                .header("Origin", origin)
                .header("Access-Control-Request-Method", "POST"),
            None,
        )
        .await;
    assert_eq!(write_preflight.header("access-control-allow-origin"), None);
}

#[tokio::test]
async fn public_routes_are_rate_limited_per_client_with_retry_after() {
    let app = spawn_app_with(Seed::Reference, |s| s.public_rate_limit = 3).await;
    for _ in 0..3 {
        assert_eq!(app.get("/api/v1/public/offers", None).await.status, 200);
    }
    let refused = app.get("/api/v1/public/filters", None).await;
    assert_eq!(refused.status, 429, "{}", refused.text);
    assert_eq!(refused.body["code"], "rate_limited");
    assert_eq!(
        refused.header("content-type"),
        Some("application/problem+json")
    );
    let retry: u64 = refused
        .header("retry-after")
        .and_then(|r| r.parse().ok())
        .unwrap_or_default();
    assert!((1..=60).contains(&retry), "Retry-After {retry}");
    assert_eq!(refused.header("access-control-allow-origin"), Some("*"));
    // Authenticated routes do not spend the public budget.
    let admin = app.admin();
    for _ in 0..5 {
        assert_eq!(app.get("/api/v1/offers", Some(&admin)).await.status, 200);
    }
}

fn write_temp(body: &str, suffix: &str) -> tempfile::TempPath {
    let file = tempfile::Builder::new()
        .suffix(suffix)
        .tempfile()
        .unwrap_or_else(|e| panic!("temp file: {e}"));
    std::fs::write(file.path(), body).unwrap_or_else(|e| panic!("write: {e}"));
    file.into_temp_path()
}

#[tokio::test]
async fn json_ld_expands_to_schema_org_courses_with_instances() {
    let app = demo_app().await;
    let path = "/api/v1/public/offers?municipality=1485&limit=100";
    let json = app.get(path, None).await;
    let reply = app
        .send(
            app.client
                .get(app.url(path))
                .header("Accept", "application/ld+json"),
            None,
        )
        .await;
    assert_eq!(reply.status, 200, "{}", reply.text);
    assert_eq!(reply.header("content-type"), Some("application/ld+json"));
    assert_ne!(
        reply.header("etag"),
        json.header("etag"),
        "each form has its own tag"
    );
    let file = write_temp(&reply.text, ".jsonld");
    let summary = run_tool("check_jsonld.py", &[&file.to_string_lossy()]);
    let titles: BTreeSet<String> = json.body["items"]
        .as_array()
        .map(|i| {
            i.iter()
                .filter_map(|o| o["title"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(summary["courses"], titles.len(), "{summary}");
    let names: BTreeSet<String> = summary["course_names"]
        .as_array()
        .map(|n| {
            n.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(names, titles);
    assert_eq!(summary["number_of_items"], json.body["total"]);
    assert_eq!(summary["list_items"], titles.len());
    let level_missing: Vec<&Value> = summary["missing"]
        .as_array()
        .map(|m| {
            m.iter()
                .filter(|v| v.as_str().is_some_and(|s| !s.ends_with("educationalLevel")))
                .collect()
        })
        .unwrap_or_default();
    assert!(level_missing.is_empty(), "{summary}");
    let instances: u64 = json.body["items"]
        .as_array()
        .map(|i| {
            i.iter()
                .filter_map(|o| o["instances"].as_array().map(|a| a.len() as u64))
                .sum()
        })
        .unwrap_or_default();
    assert_eq!(summary["instances"], instances);
    assert_eq!(
        summary["start_date_types"],
        json!(["http://www.w3.org/2001/XMLSchema#date"])
    );
    assert!(summary["end_dates"].as_u64() > Some(0));
    assert!(
        summary["locations"]
            .as_array()
            .is_some_and(|l| l.contains(&json!("Place")))
    );
    assert!(
        summary["course_modes"]
            .as_array()
            .is_some_and(|m| !m.is_empty())
    );

    // One offer as a Course document.
    let id = json.body["items"][0]["id"].as_str().unwrap_or_default();
    let one = app
        .send(
            app.client
                .get(app.url(&format!("/api/v1/public/offers/{id}")))
                .header("Accept", "application/ld+json"),
            None,
        )
        .await;
    assert_eq!(one.header("content-type"), Some("application/ld+json"));
    let file = write_temp(&one.text, ".jsonld");
    let summary = run_tool("check_jsonld.py", &[&file.to_string_lossy()]);
    assert_eq!(summary["courses"], 1, "{summary}");
    let not_acceptable = app
        .send(
            app.client
                .get(app.url("/api/v1/public/offers"))
                .header("Accept", "text/csv"),
            None,
        )
        .await;
    assert_eq!(not_acceptable.status, 406);
}

#[tokio::test]
async fn the_atom_feed_lists_newly_published_offers_per_place() {
    let app = demo_app().await;
    let feed = app
        .get("/api/v1/public/offers.atom?municipality=1485", None)
        .await;
    assert_eq!(feed.status, 200, "{}", feed.text);
    assert_eq!(
        feed.header("content-type"),
        Some("application/atom+xml; charset=utf-8")
    );
    assert!(feed.header("etag").is_some());
    let file = write_temp(&feed.text, ".atom");
    let summary = run_tool("check_atom.py", &[&file.to_string_lossy()]);
    assert_eq!(summary["bozo"], 0, "{summary}");
    assert_eq!(summary["version"], "atom10");
    assert!(
        summary["title"]
            .as_str()
            .is_some_and(|t| t.contains("Uddevalla")),
        "{summary}"
    );
    let rels: BTreeMap<String, String> = summary["links"]
        .as_array()
        .map(|l| {
            l.iter()
                .filter_map(|l| {
                    Some((
                        l["rel"].as_str()?.to_owned(),
                        l["href"].as_str()?.to_owned(),
                    ))
                })
                .collect()
        })
        .unwrap_or_default();
    assert!(
        rels.get("self")
            .is_some_and(|h| h.ends_with("/api/v1/public/offers.atom?municipality=1485"))
    );
    assert!(rels.contains_key("alternate"));
    let listing = app
        .get("/api/v1/public/offers?municipality=1485&limit=100", None)
        .await;
    let expected: BTreeSet<String> = listing.body["items"]
        .as_array()
        .map(|i| {
            i.iter()
                .filter_map(|o| o["title"].as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    let entries = summary["entries"].as_array().cloned().unwrap_or_default();
    assert_eq!(entries.len(), expected.len());
    let titles: BTreeSet<String> = entries
        .iter()
        .filter_map(|e| e["title"].as_str().map(str::to_owned))
        .collect();
    assert_eq!(titles, expected);
    assert!(
        entries
            .iter()
            .all(|e| e["id"].as_str().is_some_and(|i| i.starts_with("urn:uuid:")))
    );
    assert!(
        entries
            .iter()
            .all(|e| e["author"].as_str().is_some_and(|a| !a.is_empty()))
    );
    // Newest first: published times never increase down the feed.
    let published: Vec<&str> = entries
        .iter()
        .filter_map(|e| e["published"].as_str())
        .collect();
    assert_eq!(published.len(), entries.len());

    // A newly published offer in the region heads the region's feed.
    let draft = stable_id("offer", "of_underhall_yh").to_string();
    let admin = app.admin();
    let version = app
        .get(&format!("/api/v1/offers/{draft}"), Some(&admin))
        .await
        .body["version"]
        .as_i64()
        .unwrap_or_default();
    let publish = app
        .post(
            &format!("/api/v1/offers/{draft}/publish"),
            Some(&admin),
            &json!({"version": version}),
        )
        .await;
    assert_eq!(publish.status, 200, "{}", publish.text);
    let region_feed = app
        .get("/api/v1/public/offers.atom?region=fyrbodal&lang=en", None)
        .await;
    let file = write_temp(&region_feed.text, ".atom");
    let summary = run_tool("check_atom.py", &[&file.to_string_lossy()]);
    assert_eq!(summary["bozo"], 0, "{summary}");
    assert_eq!(
        summary["entries"][0]["id"],
        format!("urn:uuid:{draft}"),
        "{summary}"
    );
    assert!(
        summary["title"]
            .as_str()
            .is_some_and(|t| t.starts_with("New courses"))
    );
}

#[tokio::test]
async fn place_and_start_date_must_hold_for_the_same_instance() {
    let app = demo_app().await;
    let provider = app.token_for(
        Role::Provider,
        Scope::organisation(stable_id("organisation", "se_vux_uddevalla")),
    );
    let created = app
        .post(
            "/api/v1/offers",
            Some(&provider),
            &json!({
                "title": "Lagerlogistik för vuxna",
                "delivery": "on_site",
                "competence_labels": ["lagerhantering"],
                "instances": [
                    {"start": "2026-01-12", "municipality": "1485"},
                    {"start": "2027-05-03", "municipality": "3107"}
                ]
            }),
        )
        .await;
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
    // The Uddevalla run has started already: not listed for Uddevalla from today on ...
    let upcoming = app
        .get("/api/v1/public/offers?municipality=1485&limit=100", None)
        .await;
    assert!(!ids(&upcoming).contains(&id));
    // ... but listed when asking from a date before it, and for Fredrikstad's future run.
    let since_2026 = app
        .get(
            "/api/v1/public/offers?municipality=1485&start_from=2026-01-01&limit=100",
            None,
        )
        .await;
    assert!(ids(&since_2026).contains(&id), "{}", since_2026.text);
    let fredrikstad = app
        .get("/api/v1/public/offers?municipality=3107&limit=100", None)
        .await;
    assert!(ids(&fredrikstad).contains(&id));
}

/// Text as the HTML page writes it.
fn html_escaped(text: &str) -> String {
    text.replace('&', "&amp;")
        .replace('<', "&lt;")
        .replace('>', "&gt;")
        .replace('"', "&quot;")
        .replace('\'', "&apos;")
}

#[tokio::test]
async fn the_offers_page_shows_people_the_same_offers_as_the_api_with_microdata() {
    let app = demo_app().await;
    for (lang, heading, found) in [
        ("sv", "Utbildningar – Uddevalla", "utbildningar"),
        ("nb", "Utdanninger – Uddevalla", "utdanninger"),
        ("en", "Courses – Uddevalla", "courses"),
    ] {
        let query = format!("municipality=1485&lang={lang}&sort=start_date&limit=5");
        let page = app.get(&format!("/offers?{query}"), None).await;
        assert_eq!(page.status, 200, "{}", page.text);
        assert!(
            page.header("content-type")
                .is_some_and(|c| c.starts_with("text/html")),
            "{:?}",
            page.header("content-type")
        );
        assert_eq!(page.header("access-control-allow-origin"), Some("*"));
        let html = &page.text;
        assert!(html.contains(&format!("<html lang=\"{lang}\">")), "{html}");
        assert!(html.contains(&format!("<h1>{heading}</h1>")), "{html}");
        let api = app
            .get(&format!("/api/v1/public/offers?{query}"), None)
            .await;
        let total = api.body["total"].as_u64().unwrap_or_default();
        assert!(total > 5, "{}", api.text);
        assert!(html.contains(&format!("{total} {found}")), "{html}");
        let items = api.body["items"].as_array().cloned().unwrap_or_default();
        assert_eq!(items.len(), 5);
        // The same offers in the same order, each a schema.org Course with its runs.
        let mut at = 0;
        for offer in &items {
            let id = offer["id"].as_str().unwrap_or_default();
            let marker =
                format!("itemscope itemtype=\"https://schema.org/Course\" data-offer-id=\"{id}\"");
            let found_at = html[at..]
                .find(&marker)
                .map(|i| i + at)
                .unwrap_or_else(|| panic!("offer {id} missing or out of order: {html}"));
            at = found_at + marker.len();
            let title = html_escaped(offer["title"].as_str().unwrap_or_default());
            assert!(
                html[at..].starts_with(&format!(">\n<h2 itemprop=\"name\">{title}</h2>")),
                "{title}: {}",
                &html[at..at + 200.min(html.len() - at)]
            );
        }
        assert!(html.contains("itemtype=\"https://schema.org/CourseInstance\""));
        assert!(html.contains("itemprop=\"startDate\""));
        // More pages: a next link keeping the filters.
        assert!(
            html.contains(&format!(
                "<a rel=\"next\" href=\"/offers?{}&amp;offset=5\">",
                query.replace('&', "&amp;")
            )),
            "{html}"
        );
    }
    // Free text and its search form; text from the query is escaped, never markup.
    let page = app
        .get(
            "/offers?q=%3Cscript%3Ealert(1)%3C%2Fscript%3E&lang=sv",
            None,
        )
        .await;
    assert_eq!(page.status, 200, "{}", page.text);
    assert!(!page.text.contains("<script>alert(1)"), "{}", page.text);
    assert!(
        page.text.contains("&lt;script&gt;alert(1)"),
        "{}",
        page.text
    );
    // A bad parameter is named, as on the API.
    let bad = app.get("/offers?level=nine", None).await;
    assert_eq!(bad.status, 422, "{}", bad.text);
    assert_eq!(bad.problem_fields(), vec!["level".to_owned()]);
}
