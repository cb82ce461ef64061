//! The end-to-end harness: `spawn_app()` starts the real server on a random port with a fresh
//! database (a temp SQLite file, or a new database on the PostgreSQL server named by
//! `BROKER_TEST_DATABASE_URL`), and `TestApp` offers typed request helpers and `token_for`.
//! Every response the helpers receive is checked against the OpenAPI contract ([`contract`]).

use std::time::Duration;

pub mod contract;

use broker_api::Settings;
use broker_api::auth::{Claims, Role};
use broker_store::testing::TestDatabase;
use serde_json::Value;
use uuid::Uuid;

/// The HS256 secret every test server uses.
pub const TEST_SECRET: &str = "e2e-test-secret-e2e-test-secret-0123456789";

/// What the seed loads before the server starts.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Seed {
    /// Regions, municipalities, clusters, platforms, groups, organisations, people, taxonomy.
    Reference,
    /// Reference data plus the demo offers and needs.
    Demo,
}

/// A running server and a client for it.
pub struct TestApp {
    pub address: String,
    pub port: u16,
    pub client: reqwest::Client,
    pub settings: Settings,
    /// Shared by instances over one database; dropped (and the database removed) with the last.
    _database: std::sync::Arc<TestDatabase>,
}

/// Percent-encodes a query parameter value (unreserved characters stay as they are).
pub fn urlencode(s: &str) -> String {
    s.bytes()
        .map(|b| match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                (b as char).to_string()
            }
            _ => format!("%{b:02X}"),
        })
        .collect()
}

/// A minimal valid need body: two people to recruit, one competence (`svetsning`).
pub fn need_body(municipality: &str, title: &str) -> Value {
    serde_json::json!({
        "municipality": municipality,
        "title": title,
        "purpose": "recruitment",
        "headcount": 2,
        "competences": [{"label": "svetsning"}]
    })
}

/// Starts a server with reference data only.
pub async fn spawn_app() -> TestApp {
    spawn_app_with(Seed::Reference, |_| {}).await
}

/// Starts a server with a seed and adjusted settings.
pub async fn spawn_app_with(seed: Seed, adjust: impl FnOnce(&mut Settings)) -> TestApp {
    spawn_instances(1, seed, adjust).await.remove(0)
}

/// Starts `count` servers over one fresh database, all at once (as a deployment's instances
/// start): each migrates and seeds as it would alone.
#[expect(
    clippy::expect_used,
    reason = "a test that cannot start its servers should stop loudly"
)]
pub async fn spawn_instances(
    count: usize,
    seed: Seed,
    adjust: impl FnOnce(&mut Settings),
) -> Vec<TestApp> {
    let database = std::sync::Arc::new(
        broker_store::testing::fresh_database()
            .await
            .expect("fresh test database"),
    );
    let mut settings = Settings {
        database_url: database.url.clone(),
        bind: "127.0.0.1:0".parse().expect("address"),
        public_rate_limit: 0,
        ..Settings::default()
    };
    settings.jwt.secret = Some(TEST_SECRET.to_owned().into());
    adjust(&mut settings);
    // Reference data is loaded by the server at start-up; the demo set goes in first when asked.
    if seed == Seed::Demo {
        broker_api::demo::seed_if_empty(&settings)
            .await
            .expect("demo seed");
    }
    let builds = (0..count).map(|_| broker_api::Application::build(settings.clone()));
    let apps = futures_util::future::join_all(builds).await;
    let client = reqwest::Client::builder()
        .timeout(Duration::from_secs(30))
        // Shorter than the server's keep-alive (5 s): a pooled connection the server is closing
        // is never reused, which failed requests as "incomplete message" after slow steps.
        .pool_idle_timeout(Duration::from_secs(3))
        .build()
        .expect("client");
    apps.into_iter()
        .map(|app| {
            let app = app.expect("server builds");
            let port = app.port();
            tokio::spawn(app.run_until_stopped());
            TestApp {
                address: format!("http://127.0.0.1:{port}"),
                port,
                client: client.clone(),
                settings: settings.clone(),
                _database: std::sync::Arc::clone(&database),
            }
        })
        .collect()
}

/// Who a token is for.
#[derive(Debug, Clone, Default)]
pub struct Scope {
    pub municipalities: Vec<String>,
    pub platforms: Vec<Uuid>,
    pub organisation: Option<Uuid>,
}

impl Scope {
    pub fn municipality(code: &str) -> Self {
        Self {
            municipalities: vec![code.to_owned()],
            ..Self::default()
        }
    }

    pub fn platforms(ids: &[Uuid]) -> Self {
        Self {
            platforms: ids.to_vec(),
            ..Self::default()
        }
    }

    pub fn organisation(id: Uuid) -> Self {
        Self {
            organisation: Some(id),
            ..Self::default()
        }
    }
}

/// A response with its status, headers and parsed body (JSON when it parses, else a string).
#[derive(Debug)]
pub struct Reply {
    pub status: u16,
    pub headers: reqwest::header::HeaderMap,
    pub body: Value,
    pub text: String,
}

impl Reply {
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }

    /// The field names of a validation problem.
    pub fn problem_fields(&self) -> Vec<String> {
        self.body["errors"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|e| e["field"].as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default()
    }
}

impl TestApp {
    pub fn url(&self, path: &str) -> String {
        format!("{}{path}", self.address)
    }

    /// Enters a [`need_body`] need as a municipal contact of `municipality`; returns its id.
    pub async fn enter_welding_need(&self, municipality: &str, title: &str) -> String {
        let contact = self.token_for(Role::MunicipalContact, Scope::municipality(municipality));
        let need = self
            .post(
                "/api/v1/needs",
                Some(&contact),
                &need_body(municipality, title),
            )
            .await;
        assert_eq!(need.status, 201, "{}", need.text);
        need.body["id"].as_str().unwrap_or_default().to_owned()
    }

    /// A signed token for `role` with `scope`, valid for an hour.
    #[expect(clippy::expect_used, reason = "minting with a fixed key cannot fail")]
    pub fn token_for(&self, role: Role, scope: Scope) -> String {
        let now = jsonwebtoken::get_current_timestamp();
        let claims = Claims {
            sub: format!("{}-{}", role.as_str(), Uuid::new_v4().simple()),
            role,
            municipalities: scope.municipalities,
            platforms: scope.platforms,
            organisation: scope.organisation,
            exp: now + 3600,
            iat: Some(now),
            iss: self.settings.jwt.issuer.clone(),
            aud: self.settings.jwt.audience.clone(),
        };
        broker_api::auth::mint_hs256(TEST_SECRET, &claims).expect("token")
    }

    pub fn admin(&self) -> String {
        self.token_for(Role::Admin, Scope::default())
    }

    /// A broker token for the platforms with these keys (`dals-ed`, `dalsland`, `fyrbodal`).
    pub fn broker_for(&self, platform_keys: &[&str]) -> String {
        let ids: Vec<Uuid> = platform_keys.iter().map(|k| self.platform_id(k)).collect();
        self.token_for(Role::Broker, Scope::platforms(&ids))
    }

    /// Follows a topic (`municipality`, `platform`, `organisation`, ...) as `token`.
    pub async fn follow(&self, token: &str, kind: &str, value: &str) {
        let followed = self
            .post(
                "/api/v1/me/subscriptions",
                Some(token),
                &serde_json::json!({"kind": kind, "value": value}),
            )
            .await;
        assert_eq!(followed.status, 201, "{}", followed.text);
    }

    pub async fn get(&self, path: &str, token: Option<&str>) -> Reply {
        self.send(self.client.get(self.url(path)), token).await
    }

    pub async fn post(&self, path: &str, token: Option<&str>, body: &Value) -> Reply {
        self.send(self.client.post(self.url(path)).json(body), token)
            .await
    }

    pub async fn patch(&self, path: &str, token: Option<&str>, body: &Value) -> Reply {
        self.send(self.client.patch(self.url(path)).json(body), token)
            .await
    }

    pub async fn delete(&self, path: &str, token: Option<&str>) -> Reply {
        self.send(self.client.delete(self.url(path)), token).await
    }

    /// Sends any prepared request with an optional bearer token.
    #[expect(clippy::expect_used, reason = "a transport failure is a test failure")]
    pub async fn send(&self, request: reqwest::RequestBuilder, token: Option<&str>) -> Reply {
        let request = match token {
            Some(t) => request.bearer_auth(t),
            None => request,
        };
        let (client, request) = request.build_split();
        let request = request.expect("request builds");
        let method = request.method().as_str().to_owned();
        let path = request.url().path().to_owned();
        let response = client.execute(request).await.expect("request sent");
        let status = response.status().as_u16();
        let headers = response.headers().clone();
        let text = response.text().await.expect("body");
        let body = serde_json::from_str(&text).unwrap_or_else(|_| Value::String(text.clone()));
        let content_type = headers
            .get(reqwest::header::CONTENT_TYPE)
            .and_then(|v| v.to_str().ok())
            .unwrap_or_default();
        if let Some(drift) = contract::check(&method, &path, status, content_type, &body) {
            panic!("the response breaks the OpenAPI contract: {drift}\nbody: {text}");
        }
        Reply {
            status,
            headers,
            body,
            text,
        }
    }

    /// Polls `path` until `ready` holds for its body (matching runs in the background).
    pub async fn eventually(
        &self,
        path: &str,
        token: Option<&str>,
        ready: impl Fn(&Value) -> bool,
    ) -> Reply {
        let mut last = self.get(path, token).await;
        // Up to 15 s: the whole suite runs in parallel on two cores, and matching is background
        // work; a passing poll returns at once.
        for _ in 0..300 {
            if last.status == 200 && ready(&last.body) {
                return last;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
            last = self.get(path, token).await;
        }
        last
    }

    /// Registers a new education provider (as an admin); returns its id and a provider token.
    pub async fn new_provider(&self, name: &str) -> (Uuid, String) {
        let created = self
            .post(
                "/api/v1/organisations",
                Some(&self.admin()),
                &serde_json::json!({"name": name, "kind": "education_provider", "country": "SE"}),
            )
            .await;
        assert_eq!(created.status, 201, "{}", created.text);
        let id: Uuid = created.body["id"]
            .as_str()
            .and_then(|id| id.parse().ok())
            .unwrap_or_default();
        (id, self.token_for(Role::Provider, Scope::organisation(id)))
    }

    /// The id of a platform by key (`uddevalla`, `dals-ed`, `dalsland`, `fyrbodal`, `ostfold-forum`).
    pub fn platform_id(&self, key: &str) -> Uuid {
        broker_api::demo::platform_id(key)
    }

    /// The id of an organisation by name (reference data).
    pub async fn organisation_id(&self, name: &str) -> Uuid {
        let reply = self
            .get("/api/v1/organisations?limit=200", Some(&self.admin()))
            .await;
        reply.body["items"]
            .as_array()
            .and_then(|items| items.iter().find(|p| p["name"] == name))
            .and_then(|p| p["id"].as_str())
            .and_then(|id| id.parse().ok())
            .unwrap_or_default()
    }
}

/// The workspace root (where `.ci/` and `target/` live).
pub fn workspace_root() -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .parent()
        .map(std::path::Path::to_path_buf)
        .unwrap_or_default()
}

/// The Python with pyld and feedparser, the playwright-core checkout and Debian's chromium that
/// the validator and browser tests use.
#[derive(Debug, Clone)]
pub struct TestTools {
    pub python: std::path::PathBuf,
    pub node_dir: std::path::PathBuf,
    pub chromium: std::path::PathBuf,
}

fn tools_ready(tools: &TestTools) -> bool {
    let python_ok = std::process::Command::new(&tools.python)
        .args(["-c", "import pyld, feedparser"])
        .output()
        .is_ok_and(|o| o.status.success());
    python_ok
        && tools
            .node_dir
            .join("node_modules/playwright-core/package.json")
            .is_file()
        && tools.chromium.is_file()
}

/// Finds the test tools, running `.ci/browser-deps` (idempotent) once when one is missing.
/// Panics with what is missing when they still cannot be found: these tests never skip.
pub fn test_tools() -> TestTools {
    static TOOLS: std::sync::OnceLock<Result<TestTools, String>> = std::sync::OnceLock::new();
    let found = TOOLS.get_or_init(|| {
        let root = workspace_root();
        let tools = TestTools {
            python: root.join("target/test-venv/bin/python"),
            node_dir: root.join("tests/browser"),
            chromium: std::path::PathBuf::from("/usr/bin/chromium"),
        };
        if tools_ready(&tools) {
            return Ok(tools);
        }
        let setup = root.join(".ci/browser-deps");
        let output = std::process::Command::new(&setup)
            .current_dir(&root)
            .output()
            .map_err(|e| format!("cannot run {}: {e}", setup.display()))?;
        if !output.status.success() || !tools_ready(&tools) {
            return Err(format!(
                "test tools missing after running {} (python with pyld+feedparser at {}, \
                     playwright-core in {}, chromium at {}).\nstdout:\n{}\nstderr:\n{}",
                setup.display(),
                tools.python.display(),
                tools.node_dir.display(),
                tools.chromium.display(),
                String::from_utf8_lossy(&output.stdout),
                String::from_utf8_lossy(&output.stderr),
            ));
        }
        Ok(tools)
    });
    match found {
        Ok(tools) => tools.clone(),
        Err(missing) => panic!("{missing}"),
    }
}

/// Runs a script under `tests/tools/` with the tools' Python; returns its stdout parsed as JSON.
/// Panics with the script's output when it fails.
#[expect(clippy::expect_used, reason = "a failing validator is a test failure")]
pub fn run_tool(script: &str, args: &[&str]) -> Value {
    let tools = test_tools();
    let path = workspace_root().join("tests/tools").join(script);
    let output = std::process::Command::new(&tools.python)
        .arg(&path)
        .args(args)
        .output()
        .expect("python runs");
    let stdout = String::from_utf8_lossy(&output.stdout);
    assert!(
        output.status.success(),
        "{script} failed:\n{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    serde_json::from_str(&stdout).expect("the tool prints JSON")
}
