//! Tokens from a municipality's identity provider: RS256 and ES256 public keys, a local JWKS
//! file, and the start-up checks that refuse a service with no key or a weak secret.

use std::path::PathBuf;

use broker_api::Settings;
use broker_api::app::StartError;
use broker_api::auth::{Claims, Role};
use broker_e2e::{Seed, TEST_SECRET, TestApp, spawn_app_with};
use jsonwebtoken::{Algorithm, EncodingKey, Header};

fn fixture(name: &str) -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("fixtures/jwt")
        .join(name)
}

fn claims(app: &TestApp, issuer: Option<&str>, expires_in: i64) -> Claims {
    let now = jsonwebtoken::get_current_timestamp();
    Claims {
        sub: "idp|kerstin".to_owned(),
        role: Role::MunicipalContact,
        municipalities: vec!["1438".to_owned()],
        platforms: Vec::new(),
        organisation: None,
        exp: now.saturating_add_signed(expires_in),
        iat: Some(now),
        iss: issuer.map_or_else(|| app.settings.jwt.issuer.clone(), str::to_owned),
        aud: app.settings.jwt.audience.clone(),
    }
}

#[expect(clippy::expect_used, reason = "fixture keys are valid")]
fn sign(alg: Algorithm, kid: Option<&str>, private_pem: &str, claims: &Claims) -> String {
    let pem = std::fs::read(fixture(private_pem)).expect("fixture key");
    let key = match alg {
        Algorithm::RS256 => EncodingKey::from_rsa_pem(&pem),
        _ => EncodingKey::from_ec_pem(&pem),
    }
    .expect("parse fixture key");
    let mut header = Header::new(alg);
    header.kid = kid.map(str::to_owned);
    jsonwebtoken::encode(&header, claims, &key).expect("sign")
}

async fn status_with(app: &TestApp, token: &str) -> (u16, String) {
    let reply = app.get("/api/v1/needs", Some(token)).await;
    (
        reply.status,
        reply.body["detail"].as_str().unwrap_or_default().to_owned(),
    )
}

async fn app_with_key(configure: impl FnOnce(&mut Settings)) -> TestApp {
    spawn_app_with(Seed::Reference, |s| {
        s.jwt.secret = None;
        configure(s);
    })
    .await
}

#[tokio::test]
async fn an_rs256_public_key_accepts_its_tokens_and_nothing_else() {
    let app = app_with_key(|s| s.jwt.public_key_file = Some(fixture("rsa-public.pem"))).await;
    let good = sign(
        Algorithm::RS256,
        None,
        "rsa-private.pem",
        &claims(&app, None, 600),
    );
    assert_eq!(status_with(&app, &good).await.0, 200);

    let hs =
        broker_api::auth::mint_hs256(TEST_SECRET, &claims(&app, None, 600)).unwrap_or_default();
    let (status, detail) = status_with(&app, &hs).await;
    assert_eq!(status, 401);
    assert!(detail.contains("RS256"), "{detail}");

    let wrong_issuer = sign(
        Algorithm::RS256,
        None,
        "rsa-private.pem",
        &claims(&app, Some("evil"), 600),
    );
    let (status, detail) = status_with(&app, &wrong_issuer).await;
    assert_eq!(
        (status, detail.as_str()),
        (401, "the token's issuer is not accepted")
    );

    // Expired beyond the 30 s leeway.
    let expired = sign(
        Algorithm::RS256,
        None,
        "rsa-private.pem",
        &claims(&app, None, -120),
    );
    let (status, detail) = status_with(&app, &expired).await;
    assert_eq!((status, detail.as_str()), (401, "the token has expired"));

    // Signed by another key (the EC one) but claiming RS256 is impossible; an ES256 token is refused.
    let es = sign(
        Algorithm::ES256,
        None,
        "ec-private.pem",
        &claims(&app, None, 600),
    );
    assert_eq!(status_with(&app, &es).await.0, 401);
}

#[tokio::test]
async fn an_es256_public_key_accepts_its_tokens() {
    let app = app_with_key(|s| s.jwt.public_key_file = Some(fixture("ec-public.pem"))).await;
    let good = sign(
        Algorithm::ES256,
        None,
        "ec-private.pem",
        &claims(&app, None, 600),
    );
    assert_eq!(status_with(&app, &good).await.0, 200);
    let rs = sign(
        Algorithm::RS256,
        None,
        "rsa-private.pem",
        &claims(&app, None, 600),
    );
    assert_eq!(status_with(&app, &rs).await.0, 401);
}

#[tokio::test]
async fn a_jwks_file_selects_the_key_by_kid() {
    let app = app_with_key(|s| s.jwt.jwks_file = Some(fixture("jwks.json"))).await;
    let rsa = sign(
        Algorithm::RS256,
        Some("idp-rsa-1"),
        "rsa-private.pem",
        &claims(&app, None, 600),
    );
    assert_eq!(status_with(&app, &rsa).await.0, 200);
    let ec = sign(
        Algorithm::ES256,
        Some("idp-ec-1"),
        "ec-private.pem",
        &claims(&app, None, 600),
    );
    assert_eq!(status_with(&app, &ec).await.0, 200);
    // The right key id with the wrong key's signature, and an unknown key id, are refused.
    let swapped = sign(
        Algorithm::ES256,
        Some("idp-rsa-1"),
        "ec-private.pem",
        &claims(&app, None, 600),
    );
    assert_eq!(status_with(&app, &swapped).await.0, 401);
    let unknown = sign(
        Algorithm::RS256,
        Some("rotated-away"),
        "rsa-private.pem",
        &claims(&app, None, 600),
    );
    let (status, detail) = status_with(&app, &unknown).await;
    assert_eq!(status, 401);
    assert!(detail.contains("kid"), "{detail}");
}

async fn start(configure: impl FnOnce(&mut Settings)) -> Result<(), StartError> {
    let mut settings = Settings {
        database_url: "sqlite::memory:".to_owned(),
        bind: std::net::SocketAddr::from(([127, 0, 0, 1], 0)),
        ..Settings::default()
    };
    configure(&mut settings);
    broker_api::Application::build(settings).await.map(|_| ())
}

#[tokio::test]
async fn the_service_refuses_to_start_without_a_key_or_with_a_weak_secret() {
    let no_key = start(|_| {}).await;
    assert!(
        matches!(&no_key, Err(StartError::Config(e)) if e.variable == "BROKER_JWT_SECRET"),
        "{no_key:?}"
    );
    let weak = start(|s| s.jwt.secret = Some("short-secret".to_owned().into())).await;
    assert!(
        matches!(&weak, Err(StartError::Config(e)) if e.variable == "BROKER_JWT_SECRET" && e.reason.contains("32 bytes")),
        "{weak:?}"
    );
    let not_a_key = start(|s| s.jwt.public_key_file = Some(fixture("README.md"))).await;
    assert!(
        matches!(&not_a_key, Err(StartError::Key(e)) if e.variable == "BROKER_JWT_PUBLIC_KEY"),
        "{not_a_key:?}"
    );
    let missing = start(|s| s.jwt.jwks_file = Some(fixture("no-such.json"))).await;
    assert!(
        matches!(&missing, Err(StartError::Key(e)) if e.variable == "BROKER_JWKS_FILE"),
        "{missing:?}"
    );
    // Demo mode falls back to the built-in demo secret.
    let demo = start(|s| s.demo = true).await;
    assert!(demo.is_ok(), "{demo:?}");
}
