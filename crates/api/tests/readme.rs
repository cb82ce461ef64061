//! The README's tour runs as written: its shell blocks are executed with bash against a demo
//! server (demo data, demo secret) on a fresh database, with the built `broker` binary standing
//! in for `cargo run --release --` and the server's address for `http://127.0.0.1:8080`.
//! Every `api` call fails on an HTTP error and every `jq -e` on a null, so a tour line that
//! stopped working fails this test.

#![expect(
    clippy::expect_used,
    reason = "test set-up failures should stop the test loudly"
)]

use std::path::Path;
use std::process::Command;

use broker_api::{Application, Settings};

/// The `sh` blocks between the `## A short tour` heading and the next `## ` heading.
fn tour_blocks(readme: &str) -> Vec<String> {
    let start = readme
        .find("\n## A short tour\n")
        .expect("the README has a tour");
    let rest = &readme[start + 1..];
    let end = rest[3..].find("\n## ").map_or(rest.len(), |i| i + 3);
    let section = &rest[..end];
    let mut blocks = Vec::new();
    let mut lines = section.lines();
    while let Some(line) = lines.next() {
        if line.trim() == "```sh" {
            let block: Vec<&str> = lines.by_ref().take_while(|l| l.trim() != "```").collect();
            blocks.push(block.join("\n"));
        }
    }
    blocks
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_readme_tour_runs_as_written() {
    let readme =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../README.md"))
            .expect("README.md");
    let blocks = tour_blocks(&readme);
    assert_eq!(blocks.len(), 2, "the tour and 'more of the API'");
    let cli_line = r#"broker() { cargo run -q --release -- "$@"; }"#;
    assert!(
        blocks[0].contains(cli_line),
        "the tour defines the CLI as this test expects"
    );

    let database = broker_store::testing::fresh_database()
        .await
        .expect("database");
    let settings = Settings {
        database_url: database.url.clone(),
        bind: "127.0.0.1:0".parse().expect("address"),
        public_rate_limit: 0,
        demo: true,
        ..Settings::default()
    };
    broker_api::demo::seed_if_empty(&settings)
        .await
        .expect("demo data");
    let app = Application::build(settings).await.expect("server");
    let base = format!("http://127.0.0.1:{}", app.port());
    tokio::spawn(app.run_until_stopped());

    let binary = env!("CARGO_BIN_EXE_broker");
    let script = format!(
        "set -euo pipefail\n{}",
        blocks
            .join("\n")
            .replace(cli_line, &format!(r#"broker() {{ "{binary}" "$@"; }}"#))
    );
    let output = tokio::task::spawn_blocking(move || {
        Command::new("bash")
            .arg("-c")
            .arg(&script)
            .env("BROKER_BASE", &base)
            // The CLI signs with the demo secret only when no secret is configured.
            .env_remove("BROKER_JWT_SECRET")
            .output()
    })
    .await
    .expect("bash task")
    .expect("bash, curl and jq must be installed to run the README tour");
    let stdout = String::from_utf8_lossy(&output.stdout);
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(
        output.status.success(),
        "the tour failed:\n--- stdout\n{stdout}\n--- stderr\n{stderr}"
    );
    println!("{stdout}");
    // The lines whose answers the README states.
    let mut outputs = stdout.lines();
    assert_eq!(outputs.next(), Some("26"), "{stdout}");
    assert!(stdout.contains(r#""key":"dalsland""#), "{stdout}");
    assert!(
        stdout.contains("competence_id,competence,area_kind"),
        "{stdout}"
    );
}
