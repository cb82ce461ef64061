//! Typed settings: embedded defaults, overridden by `BROKER_*` environment variables. A bad value
//! is refused at start-up with an error that names the variable.

use std::net::{IpAddr, SocketAddr};
use std::path::PathBuf;

use secrecy::{ExposeSecret, SecretString};

/// Where and how to log.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum LogFormat {
    /// Human-readable lines (the default).
    Pretty,
    /// One JSON object per line, for log shippers.
    Json,
}

/// How incoming bearer tokens are verified.
#[derive(Debug, Clone)]
pub struct JwtSettings {
    /// `BROKER_JWT_SECRET`: HS256 shared secret, at least 32 bytes outside demo mode.
    pub secret: Option<SecretString>,
    /// `BROKER_JWT_PUBLIC_KEY`: path to a PEM public key (RSA for RS256, EC P-256 for ES256).
    pub public_key_file: Option<PathBuf>,
    /// `BROKER_JWKS_FILE`: path to a local JWKS document; the token's `kid` picks the key.
    pub jwks_file: Option<PathBuf>,
    /// `BROKER_JWT_ISSUER`: required `iss` claim.
    pub issuer: String,
    /// `BROKER_JWT_AUDIENCE`: required `aud` claim.
    pub audience: String,
    /// `BROKER_JWT_LEEWAY_SECONDS`: clock skew tolerated on `exp`/`nbf` (default 30).
    pub leeway_seconds: u64,
}

/// Every setting the service reads.
#[derive(Debug, Clone)]
pub struct Settings {
    /// `BROKER_DATABASE_URL`: `sqlite://kompetens.db?mode=rwc` by default; `postgres://...` in production.
    pub database_url: String,
    /// `BROKER_BIND`: address to listen on (default `127.0.0.1:8080`; port 0 picks a free port).
    pub bind: SocketAddr,
    /// `BROKER_LOG_FORMAT`: `pretty` (default) or `json`.
    pub log_format: LogFormat,
    pub jwt: JwtSettings,
    /// `BROKER_PUBLIC_RATE_LIMIT`: requests per minute per client on public routes; 0 turns it off.
    pub public_rate_limit: u32,
    /// `BROKER_PUBLIC_CACHE_SECONDS`: `max-age` of the public listings and how long the server
    /// keeps a built listing while no offer changes (default 60; 0 disables both).
    pub public_cache_seconds: u32,
    /// `BROKER_TRUSTED_PROXIES`: comma-separated addresses of reverse proxies whose
    /// `X-Forwarded-For` is believed when rate limiting; empty (the default) uses the peer address.
    pub trusted_proxies: Vec<IpAddr>,
    /// `BROKER_BODY_LIMIT_BYTES`: largest accepted request body (default 1 MiB).
    pub body_limit_bytes: usize,
    /// `BROKER_PUBLIC_BASE_URL`: absolute base URL used in links, feeds and JSON-LD.
    pub public_base_url: String,
    /// `BROKER_EXPIRY_INTERVAL_SECS`: how often needs past their expiry date are expired
    /// (default 3600; 0 turns the background job off, `POST /api/v1/admin/jobs/expiry` still runs it).
    pub expiry_interval_secs: u64,
    /// `BROKER_TAXONOMY_POLL_SECS`: how often the stored taxonomy version is checked, so that an
    /// import (by the CLI or another instance) reaches this server without a restart (default 5;
    /// 0 turns the check off).
    pub taxonomy_poll_secs: u64,
    /// `BROKER_STARTER_TAXONOMY`: `on` (default) or `off`. Off leaves the starter taxonomy that
    /// ships with the product out of resolution and matching, for a region that imports ESCO or
    /// its own taxonomy (imported concepts outrank starter ones with the same label either way).
    pub starter_taxonomy: bool,
    /// Demo mode: loads demo data into an empty database and allows the built-in demo secret.
    pub demo: bool,
    /// `BROKER_ESCALATION_INTERVAL_SECS`: how often the escalation job checks every active need
    /// (default 3600; 0 turns the periodic run off, pooling still triggers it per need).
    pub escalation_interval_secs: u64,
    /// `BROKER_WEBHOOK_INTERVAL_MS`: how often the webhook dispatcher looks for due deliveries
    /// (default 1000; 0 turns it off, deliveries then wait in the outbox).
    pub webhook_interval_ms: u64,
    /// `BROKER_WEBHOOK_RETRY_BASE_SECS` (default 30), `BROKER_WEBHOOK_RETRY_MAX_SECS` (3600) and
    /// `BROKER_WEBHOOK_MAX_ATTEMPTS` (8): the backoff of failed deliveries.
    pub webhook_retry: broker_domain::notify::RetryPolicy,
    /// `BROKER_WEBHOOK_TIMEOUT_SECS`: how long one delivery attempt may take (default 10).
    pub webhook_timeout_secs: u64,
    /// `BROKER_WEBHOOK_ALLOW_PRIVATE_TARGETS`: accept webhook URLs on loopback, private and
    /// link-local addresses (default `false`: an organisation's token must not reach the
    /// service's own network).
    pub webhook_allow_private_targets: bool,
    /// `BROKER_CHANGE_POLL_MS`: how often this instance reads offers written by other instances
    /// over the same database into its listings and matching index (default 500; 0 turns it
    /// off, for a single instance).
    pub change_poll_ms: u64,
    /// `BROKER_DATABASE_POOL_SIZE`: connections to PostgreSQL (default 16), or SQLite readers
    /// beside its one writer (default 8).
    pub database_pool_size: Option<u32>,
}

/// The built-in HS256 secret used only in demo mode when none is configured.
pub const DEMO_JWT_SECRET: &str = "kompetensmaklare-demo-secret-not-for-production-use";

/// A configuration value that could not be used.
#[derive(Debug, thiserror::Error)]
#[error("configuration error in {variable}: {reason}")]
pub struct ConfigError {
    pub variable: &'static str,
    pub reason: String,
}

impl ConfigError {
    fn new(variable: &'static str, reason: impl Into<String>) -> Self {
        Self {
            variable,
            reason: reason.into(),
        }
    }
}

impl Default for Settings {
    fn default() -> Self {
        Self {
            database_url: "sqlite://kompetens.db?mode=rwc".to_owned(),
            bind: SocketAddr::from(([127, 0, 0, 1], 8080)),
            log_format: LogFormat::Pretty,
            jwt: JwtSettings {
                secret: None,
                public_key_file: None,
                jwks_file: None,
                issuer: "kompetensmaklare".to_owned(),
                audience: "kompetensmaklare-api".to_owned(),
                leeway_seconds: 30,
            },
            public_rate_limit: 120,
            public_cache_seconds: 60,
            trusted_proxies: Vec::new(),
            body_limit_bytes: 1024 * 1024,
            public_base_url: "http://127.0.0.1:8080".to_owned(),
            expiry_interval_secs: 3600,
            taxonomy_poll_secs: 5,
            starter_taxonomy: true,
            demo: false,
            escalation_interval_secs: 3600,
            webhook_interval_ms: 1000,
            webhook_retry: broker_domain::notify::RetryPolicy::default(),
            webhook_timeout_secs: 10,
            webhook_allow_private_targets: false,
            change_poll_ms: 500,
            database_pool_size: None,
        }
    }
}

impl Settings {
    /// Defaults overridden by the process environment.
    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_lookup(|name| std::env::var(name).ok())
    }

    /// Defaults overridden by whatever `lookup` returns (tests pass a map).
    pub fn from_lookup(lookup: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let mut s = Self::default();
        let get = |name: &str| {
            lookup(name)
                .map(|v| v.trim().to_owned())
                .filter(|v| !v.is_empty())
        };
        if let Some(url) = get("BROKER_DATABASE_URL") {
            if !(url.starts_with("sqlite:")
                || url.starts_with("postgres://")
                || url.starts_with("postgresql://"))
            {
                return Err(ConfigError::new(
                    "BROKER_DATABASE_URL",
                    "must start with sqlite:, postgres:// or postgresql://",
                ));
            }
            s.database_url = url;
        }
        if let Some(bind) = get("BROKER_BIND") {
            s.bind = bind.parse().map_err(|_| {
                ConfigError::new(
                    "BROKER_BIND",
                    format!("`{bind}` is not an address like 127.0.0.1:8080"),
                )
            })?;
            s.public_base_url = format!("http://{}", s.bind);
        }
        if let Some(format) = get("BROKER_LOG_FORMAT") {
            s.log_format = match format.to_ascii_lowercase().as_str() {
                "json" => LogFormat::Json,
                "pretty" | "text" => LogFormat::Pretty,
                other => {
                    return Err(ConfigError::new(
                        "BROKER_LOG_FORMAT",
                        format!("`{other}` is neither `pretty` nor `json`"),
                    ));
                }
            };
        }
        s.jwt.secret = get("BROKER_JWT_SECRET").map(SecretString::from);
        s.jwt.public_key_file = get("BROKER_JWT_PUBLIC_KEY").map(PathBuf::from);
        s.jwt.jwks_file = get("BROKER_JWKS_FILE").map(PathBuf::from);
        if let Some(iss) = get("BROKER_JWT_ISSUER") {
            s.jwt.issuer = iss;
        }
        if let Some(aud) = get("BROKER_JWT_AUDIENCE") {
            s.jwt.audience = aud;
        }
        if let Some(leeway) = get("BROKER_JWT_LEEWAY_SECONDS") {
            s.jwt.leeway_seconds = leeway.parse().ok().filter(|l| *l <= 300).ok_or_else(|| {
                ConfigError::new(
                    "BROKER_JWT_LEEWAY_SECONDS",
                    "must be a whole number of seconds, 0 to 300",
                )
            })?;
        }
        if let Some(limit) = get("BROKER_PUBLIC_RATE_LIMIT") {
            s.public_rate_limit = limit.parse().map_err(|_| {
                ConfigError::new(
                    "BROKER_PUBLIC_RATE_LIMIT",
                    "must be a whole number of requests per minute (0 turns it off)",
                )
            })?;
        }
        if let Some(seconds) = get("BROKER_PUBLIC_CACHE_SECONDS") {
            s.public_cache_seconds =
                seconds
                    .parse()
                    .ok()
                    .filter(|s| *s <= 86_400)
                    .ok_or_else(|| {
                        ConfigError::new(
                            "BROKER_PUBLIC_CACHE_SECONDS",
                            "must be a whole number of seconds, 0 to 86400",
                        )
                    })?;
        }
        if let Some(proxies) = get("BROKER_TRUSTED_PROXIES") {
            s.trusted_proxies = proxies
                .split(',')
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(|p| {
                    p.parse().map_err(|_| {
                        ConfigError::new(
                            "BROKER_TRUSTED_PROXIES",
                            format!("`{p}` is not an IP address"),
                        )
                    })
                })
                .collect::<Result<_, _>>()?;
        }
        if let Some(limit) = get("BROKER_BODY_LIMIT_BYTES") {
            s.body_limit_bytes = limit
                .parse()
                .ok()
                .filter(|l| (1024..=64 * 1024 * 1024).contains(l))
                .ok_or_else(|| {
                    ConfigError::new(
                        "BROKER_BODY_LIMIT_BYTES",
                        "must be a number of bytes between 1024 and 67108864",
                    )
                })?;
        }
        if let Some(flag) = get("BROKER_STARTER_TAXONOMY") {
            s.starter_taxonomy = match flag.to_ascii_lowercase().as_str() {
                "on" | "true" | "1" => true,
                "off" | "false" | "0" => false,
                other => {
                    return Err(ConfigError::new(
                        "BROKER_STARTER_TAXONOMY",
                        format!("`{other}` is neither `on` nor `off`"),
                    ));
                }
            };
        }
        if let Some(every) = get("BROKER_TAXONOMY_POLL_SECS") {
            s.taxonomy_poll_secs =
                every.parse().ok().filter(|e| *e <= 86_400).ok_or_else(|| {
                    ConfigError::new(
                        "BROKER_TAXONOMY_POLL_SECS",
                        "must be a whole number of seconds, 0 (off) to 86400",
                    )
                })?;
        }
        if let Some(every) = get("BROKER_EXPIRY_INTERVAL_SECS") {
            s.expiry_interval_secs =
                every
                    .parse()
                    .ok()
                    .filter(|e| *e <= 7 * 86_400)
                    .ok_or_else(|| {
                        ConfigError::new(
                            "BROKER_EXPIRY_INTERVAL_SECS",
                            "must be a whole number of seconds, 0 (off) to 604800",
                        )
                    })?;
        }
        if let Some(interval) = get("BROKER_ESCALATION_INTERVAL_SECS") {
            s.escalation_interval_secs = interval
                .parse()
                .ok()
                .filter(|i| *i <= 7 * 24 * 3600)
                .ok_or_else(|| {
                    ConfigError::new(
                        "BROKER_ESCALATION_INTERVAL_SECS",
                        "must be a whole number of seconds, 0 (off) to 604800",
                    )
                })?;
        }
        let number = |name: &'static str, max: u64| -> Result<Option<u64>, ConfigError> {
            get(name)
                .map(|raw| {
                    raw.parse::<u64>()
                        .ok()
                        .filter(|n| *n <= max)
                        .ok_or_else(|| {
                            ConfigError::new(
                                name,
                                format!("must be a whole number from 0 to {max}"),
                            )
                        })
                })
                .transpose()
        };
        if let Some(ms) = number("BROKER_CHANGE_POLL_MS", 3_600_000)? {
            s.change_poll_ms = ms;
        }
        if let Some(n) = get("BROKER_DATABASE_POOL_SIZE") {
            s.database_pool_size = Some(
                n.parse()
                    .ok()
                    .filter(|n| (1..=1000).contains(n))
                    .ok_or_else(|| {
                        ConfigError::new(
                            "BROKER_DATABASE_POOL_SIZE",
                            "must be a whole number of connections from 1 to 1000",
                        )
                    })?,
            );
        }
        if let Some(ms) = number("BROKER_WEBHOOK_INTERVAL_MS", 3_600_000)? {
            s.webhook_interval_ms = ms;
        }
        if let Some(secs) = number("BROKER_WEBHOOK_RETRY_BASE_SECS", 86_400)? {
            s.webhook_retry.base_secs = secs;
        }
        if let Some(secs) = number("BROKER_WEBHOOK_RETRY_MAX_SECS", 7 * 86_400)? {
            s.webhook_retry.max_delay_secs = secs;
        }
        if let Some(n) = number("BROKER_WEBHOOK_MAX_ATTEMPTS", 100)? {
            s.webhook_retry.max_attempts = u32::try_from(n.max(1)).unwrap_or(1);
        }
        if let Some(secs) = number("BROKER_WEBHOOK_TIMEOUT_SECS", 300)? {
            s.webhook_timeout_secs = secs.max(1);
        }
        if let Some(allow) = get("BROKER_WEBHOOK_ALLOW_PRIVATE_TARGETS") {
            s.webhook_allow_private_targets = match allow.to_ascii_lowercase().as_str() {
                "1" | "true" | "yes" => true,
                "0" | "false" | "no" => false,
                _ => {
                    return Err(ConfigError::new(
                        "BROKER_WEBHOOK_ALLOW_PRIVATE_TARGETS",
                        "must be true or false",
                    ));
                }
            };
        }
        if let Some(base) = get("BROKER_PUBLIC_BASE_URL") {
            if !(base.starts_with("http://") || base.starts_with("https://")) {
                return Err(ConfigError::new(
                    "BROKER_PUBLIC_BASE_URL",
                    "must be an absolute http(s) URL",
                ));
            }
            s.public_base_url = base.trim_end_matches('/').to_owned();
        }
        Ok(s)
    }

    /// Checks the key material: outside demo mode a key must be configured and a shared secret
    /// must be at least 32 bytes. In demo mode a missing secret falls back to the demo secret.
    pub fn check_security(&mut self) -> Result<(), ConfigError> {
        let has_key = self.jwt.secret.is_some()
            || self.jwt.public_key_file.is_some()
            || self.jwt.jwks_file.is_some();
        if !has_key {
            if self.demo {
                self.jwt.secret = Some(SecretString::from(DEMO_JWT_SECRET));
            } else {
                return Err(ConfigError::new(
                    "BROKER_JWT_SECRET",
                    "no token key configured: set BROKER_JWT_SECRET (>= 32 bytes), BROKER_JWT_PUBLIC_KEY or BROKER_JWKS_FILE, or run with --demo",
                ));
            }
        }
        if let Some(secret) = &self.jwt.secret
            && secret.expose_secret().len() < 32
        {
            return Err(ConfigError::new(
                "BROKER_JWT_SECRET",
                "is too weak: use at least 32 bytes",
            ));
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    fn settings(vars: &[(&str, &str)]) -> Result<Settings, ConfigError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        Settings::from_lookup(|k| map.get(k).cloned())
    }

    #[test]
    fn defaults_use_an_embedded_sqlite_file_on_localhost() {
        let s = settings(&[]).unwrap_or_default();
        assert!(s.database_url.contains("kompetens.db"));
        assert_eq!(s.bind.to_string(), "127.0.0.1:8080");
    }

    #[test]
    fn a_bad_value_names_its_variable() {
        for (var, value) in [
            ("BROKER_BIND", "localhost"),
            ("BROKER_LOG_FORMAT", "xml"),
            ("BROKER_DATABASE_URL", "mysql://x"),
            ("BROKER_PUBLIC_RATE_LIMIT", "lots"),
            ("BROKER_ESCALATION_INTERVAL_SECS", "hourly"),
            ("BROKER_PUBLIC_CACHE_SECONDS", "-1"),
            ("BROKER_TRUSTED_PROXIES", "10.0.0.1,proxy"),
        ] {
            let err = settings(&[(var, value)])
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
            assert!(err.contains(var), "{var}: {err}");
        }
    }

    #[test]
    fn outside_demo_mode_a_key_is_required_and_a_short_secret_refused() {
        let mut s = settings(&[]).unwrap_or_default();
        assert!(s.check_security().is_err());
        let mut s = settings(&[("BROKER_JWT_SECRET", "short")]).unwrap_or_default();
        assert!(
            s.check_security()
                .is_err_and(|e| e.reason.contains("too weak"))
        );
        let mut s = settings(&[("BROKER_JWT_SECRET", "0123456789abcdef0123456789abcdef")])
            .unwrap_or_default();
        assert!(s.check_security().is_ok());
    }

    #[test]
    fn demo_mode_falls_back_to_the_demo_secret() {
        let mut s = Settings {
            demo: true,
            ..Settings::default()
        };
        assert!(s.check_security().is_ok());
        assert!(s.jwt.secret.is_some());
    }
}
