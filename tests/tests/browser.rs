//! The embeddable widget in a real browser: a partner page served on localhost embeds
//! `/embed/offers.js` from the running server; headless Debian chromium (driven by
//! playwright-core, `tests/browser/widget.js`) renders it. The offers shown must be the ones
//! held in the page's municipality, and with the service unreachable the fallback link stays.
//! A screenshot goes to `target/browser/widget.png`.

use std::collections::BTreeSet;
use std::io::{Read, Write};
use std::net::TcpListener;

use broker_e2e::{Seed, TestTools, spawn_app_with, test_tools, workspace_root};
use serde_json::Value;

/// Serves `pages` (path -> HTML) on a free localhost port from a background thread.
fn serve_pages(pages: Vec<(String, String)>) -> u16 {
    let listener = TcpListener::bind("127.0.0.1:0").unwrap_or_else(|e| panic!("bind: {e}"));
    let port = listener.local_addr().map(|a| a.port()).unwrap_or_default();
    std::thread::spawn(move || {
        for stream in listener.incoming() {
            let Ok(mut stream) = stream else { continue };
            let mut buf = [0u8; 4096];
            let n = stream.read(&mut buf).unwrap_or(0);
            let request = String::from_utf8_lossy(&buf[..n]);
            let path = request.split_whitespace().nth(1).unwrap_or("/").to_owned();
            let (status, body) = pages
                .iter()
                .find(|(p, _)| *p == path)
                .map_or(("404 Not Found", String::new()), |(_, html)| {
                    ("200 OK", html.clone())
                });
            let response = format!(
                "HTTP/1.1 {status}\r\nContent-Type: text/html; charset=utf-8\r\nContent-Length: {}\r\nConnection: close\r\n\r\n{body}",
                body.len()
            );
            let _ = stream.write_all(response.as_bytes());
        }
    });
    port
}

/// Runs a playwright-core script of `tests/browser` with Debian's chromium and returns what it
/// printed (JSON). The server runs on this runtime, so the browser is awaited on a blocking
/// thread.
async fn run_browser(tools: &TestTools, script: &str, args: Vec<String>) -> Value {
    let mut command = std::process::Command::new("node");
    command
        .current_dir(&tools.node_dir)
        .env("CHROMIUM", &tools.chromium)
        .arg(script)
        .args(args);
    let node = tokio::task::spawn_blocking(move || command.output())
        .await
        .unwrap_or_else(|e| panic!("browser task: {e}"))
        .unwrap_or_else(|e| panic!("node must be installed to run the browser test: {e}"));
    let stdout = String::from_utf8_lossy(&node.stdout);
    assert!(
        node.status.success(),
        "browser run failed ({script}):\n{stdout}\n{}",
        String::from_utf8_lossy(&node.stderr)
    );
    serde_json::from_str(&stdout).unwrap_or_default()
}

fn partner_page(script: &str, extra_attributes: &str) -> String {
    format!(
        r#"<!doctype html>
<html lang="sv">
<head><meta charset="utf-8"><title>Vuxenutbildning i Uddevalla</title>
<style>body{{font-family:sans-serif;margin:2em;max-width:46em}}</style></head>
<body>
<h1>Vuxenutbildning i Uddevalla</h1>
<p id="outside" class="km-meta km-title">Partnerns egen text ska inte påverkas av widgetens stil.</p>
<div id="widget" data-kompetens-offers data-municipality="1485" data-lang="sv" data-limit="5"{extra_attributes}></div>
<script src="{script}" async></script>
</body>
</html>"#
    )
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_widget_shows_the_municipality_s_offers_in_a_real_browser() {
    let tools = test_tools();
    let app = spawn_app_with(Seed::Demo, |_| {}).await;
    let script = app.url("/embed/offers.js");
    // A port nothing listens on: the service is "down" for the second page.
    let closed = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .unwrap_or_default();
    let pages_port = serve_pages(vec![
        ("/partner.html".to_owned(), partner_page(&script, "")),
        (
            "/down.html".to_owned(),
            partner_page(
                &script,
                &format!(r#" data-api="http://127.0.0.1:{closed}""#),
            ),
        ),
        // The embed as the README shows it, with the whole service down: not even the script
        // loads, and the link written inside the element is what the visitor gets.
        (
            "/script-down.html".to_owned(),
            partner_page(&format!("http://127.0.0.1:{closed}/embed/offers.js"), "")
                .replace(
                    "data-limit=\"5\"></div>",
                    &format!(
                        "data-limit=\"5\"><a href=\"http://127.0.0.1:{closed}/offers?municipality=1485&amp;lang=sv\">Visa alla utbildningar</a></div>"
                    ),
                ),
        ),
    ]);
    let screenshot_dir = workspace_root().join("target/browser");
    std::fs::create_dir_all(&screenshot_dir).unwrap_or_else(|e| panic!("mkdir: {e}"));
    let screenshot = screenshot_dir.join("widget.png");
    let _ = std::fs::remove_file(&screenshot);

    let seen = run_browser(
        &tools,
        "widget.js",
        vec![
            format!("http://127.0.0.1:{pages_port}/partner.html"),
            format!("http://127.0.0.1:{pages_port}/down.html"),
            format!("http://127.0.0.1:{pages_port}/script-down.html"),
            screenshot.display().to_string(),
        ],
    )
    .await;

    // What the API lists for the widget's own query, soonest start first.
    let listing = app
        .get(
            "/api/v1/public/offers?municipality=1485&limit=5&lang=sv&sort=start_date",
            None,
        )
        .await;
    let expected: Vec<(String, String)> = listing.body["items"]
        .as_array()
        .map(|items| {
            items
                .iter()
                .map(|o| {
                    (
                        o["id"].as_str().unwrap_or_default().to_owned(),
                        o["title"].as_str().unwrap_or_default().to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(
        expected.len(),
        5,
        "the demo has at least five offers in Uddevalla"
    );
    let shown: Vec<(String, String)> = seen["items"]
        .as_array()
        .map(|items| {
            items
                .iter()
                .map(|i| {
                    (
                        i["id"].as_str().unwrap_or_default().to_owned(),
                        i["title"].as_str().unwrap_or_default().to_owned(),
                    )
                })
                .collect()
        })
        .unwrap_or_default();
    assert_eq!(shown, expected, "{seen}");

    // Offers held elsewhere never appear.
    let elsewhere = app
        .get("/api/v1/public/offers?region=ostfold&limit=100", None)
        .await;
    let elsewhere: BTreeSet<&str> = elsewhere.body["items"]
        .as_array()
        .map(|i| i.iter().filter_map(|o| o["id"].as_str()).collect())
        .unwrap_or_default();
    assert!(!elsewhere.is_empty());
    assert!(shown.iter().all(|(id, _)| !elsewhere.contains(id.as_str())));

    // Swedish text, the place and a machine-readable start date on every line.
    assert_eq!(seen["heading"], "Aktuella utbildningar");
    assert_eq!(seen["state"], "ready");
    for item in seen["items"].as_array().into_iter().flatten() {
        let meta = item["meta"].as_str().unwrap_or_default();
        assert!(
            meta.contains("Uddevalla") && meta.contains("Start"),
            "{meta}"
        );
        assert!(item["datetime"].as_str().is_some_and(|d| d.len() == 10));
        assert!(item["href"].as_str().is_some_and(|h| h.starts_with("http")));
    }
    assert_eq!(seen["inShadow"], true, "rendered inside the shadow root");
    assert_eq!(
        seen["hostStyle"]["opacity"], "1",
        "no CSS leaks to the page"
    );
    assert_eq!(
        seen["hostStyle"]["fontWeight"], "400",
        "no CSS leaks to the page"
    );
    assert_eq!(seen["errors"], serde_json::json!([]));

    // Service unreachable: the plain link stays, visible, pointing at the listing.
    let fallback = &seen["fallback"];
    assert_eq!(fallback["state"], "unavailable", "{seen}");
    assert_eq!(fallback["visible"], true);
    assert_eq!(fallback["text"], "Visa alla utbildningar");
    assert!(fallback["href"].as_str().is_some_and(|h| {
        // The human page of the same offers (all of them), not the JSON API.
        h.starts_with(&format!("http://127.0.0.1:{closed}/offers?")) && !h.contains("limit=")
    }));
    assert_eq!(fallback["items"], 0);
    let without_script = &seen["scriptDown"];
    assert_eq!(without_script["visible"], true, "{seen}");
    assert_eq!(without_script["text"], "Visa alla utbildningar");

    let png = std::fs::read(&screenshot).unwrap_or_default();
    assert!(
        png.len() > 1000 && png.starts_with(b"\x89PNG"),
        "screenshot at {}",
        screenshot.display()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_api_reference_lets_a_person_authorise_and_try_an_operation() {
    let tools = test_tools();
    let app = spawn_app_with(Seed::Demo, |_| {}).await;
    let token = app.token_for(
        broker_api::auth::Role::MunicipalContact,
        broker_e2e::Scope::municipality("1438"),
    );
    let seen = run_browser(&tools, "docs.js", vec![app.address.clone(), token.clone()]).await;

    // Every operation of the contract is listed.
    let spec = app.get("/openapi.json", None).await;
    let operations: usize = spec.body["paths"]
        .as_object()
        .map(|paths| {
            paths
                .values()
                .map(|item| item.as_object().map_or(0, |ops| ops.len()))
                .sum()
        })
        .unwrap_or_default();
    assert_eq!(
        seen["operations"].as_u64(),
        Some(operations as u64),
        "{seen}"
    );
    assert!(
        seen["title"]
            .as_str()
            .is_some_and(|t| t.contains("Kompetensm")),
        "{seen}"
    );
    // Tried with the token: the contact's own needs, and the request carried the token.
    assert_eq!(seen["tryItStatus"], "200", "{seen}");
    let body: Value =
        serde_json::from_str(seen["tryItBody"].as_str().unwrap_or_default()).unwrap_or_default();
    assert!(body["items"].is_array(), "{seen}");
    assert!(
        seen["curl"]
            .as_str()
            .is_some_and(|c| c.contains(&format!("Bearer {token}"))),
        "{seen}"
    );
    // Nothing was fetched from anywhere but this server, and the page threw nothing.
    assert_eq!(seen["foreignRequests"], serde_json::json!([]), "{seen}");
    assert_eq!(seen["errors"], serde_json::json!([]), "{seen}");
}
