//! Webhook delivery: drains the outbox (`webhook_deliveries`) that every write fills in its own
//! transaction, POSTs each event to its endpoint with an HMAC-SHA256 signature, and retries
//! failures with exponential backoff until the attempts run out. Every attempt is logged.
//!
//! Receivers verify `X-Kompetens-Signature: sha256=<hex>` as
//! `HMAC-SHA256(secret, "<X-Kompetens-Timestamp>.<raw body>")` and should reject timestamps
//! far from their clock (replays). `X-Kompetens-Delivery` is stable across retries, so a
//! receiver can drop duplicates: delivery is at least once.
//!
//! Two protections live here rather than at registration only:
//! - The address actually connected to must be public. Host names go through a resolver that
//!   drops every non-public address, and the connection uses what it returned, so DNS cannot
//!   change between the check and the connect; literal addresses are checked before sending.
//! - Endpoints are served concurrently, one delivery at a time each, so a slow or hanging
//!   receiver delays only its own events.

use std::collections::{BTreeMap, HashSet};
use std::net::{IpAddr, SocketAddr};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use broker_domain::notify::{AfterFailure, RetryPolicy};
use broker_store::Store;
use broker_store::repo::webhooks::{self, Attempt, DueDelivery, Next};
use chrono::Utc;
use hmac::{Hmac, Mac};
use sha2::Sha256;
use uuid::Uuid;

/// Deliveries taken per pass; the rest wait for the next pass.
const BATCH: u64 = 50;

/// Endpoints served at once; each has at most one delivery in flight.
const CONCURRENT_ENDPOINTS: usize = 64;

/// What the delivery log says of a target that is not a public address. It names no address
/// and no port, so the log cannot be used to map a private network.
pub const REFUSED_TARGET: &str = "refused: the target is not a public address";

/// The signature header value for a body sent at `timestamp` (Unix seconds).
pub fn signature(secret: &str, timestamp: i64, body: &[u8]) -> String {
    let mut mac = match Hmac::<Sha256>::new_from_slice(secret.as_bytes()) {
        Ok(mac) => mac,
        // HMAC takes keys of any length; this arm cannot be reached.
        Err(_) => return String::new(),
    };
    mac.update(timestamp.to_string().as_bytes());
    mac.update(b".");
    mac.update(body);
    format!("sha256={}", hex::encode(mac.finalize().into_bytes()))
}

/// Sends due deliveries.
#[derive(Debug, Clone)]
pub struct Dispatcher {
    store: Store,
    client: reqwest::Client,
    policy: RetryPolicy,
    timeout: Duration,
    allow_private_targets: bool,
    /// Endpoints with a delivery in flight; the next pass leaves their deliveries alone.
    busy: Arc<Mutex<HashSet<Uuid>>>,
    slots: Arc<tokio::sync::Semaphore>,
}

impl Dispatcher {
    /// `allow_private_targets` lets deliveries reach loopback and private addresses (tests and
    /// closed networks only; `BROKER_WEBHOOK_ALLOW_PRIVATE_TARGETS`).
    pub fn new(
        store: Store,
        policy: RetryPolicy,
        timeout: Duration,
        allow_private_targets: bool,
    ) -> Self {
        let mut builder = reqwest::Client::builder()
            .timeout(timeout)
            // A receiver answers for itself; following redirects would send signed payloads
            // somewhere nobody registered (and past the address check).
            .redirect(reqwest::redirect::Policy::none())
            // A proxy would resolve and connect on our behalf, past the address check.
            .no_proxy()
            .user_agent(concat!(
                "kompetensmaklare-webhooks/",
                env!("CARGO_PKG_VERSION")
            ));
        if !allow_private_targets {
            builder = builder.dns_resolver(Arc::new(PublicOnlyResolver));
        }
        let client = builder.build().unwrap_or_default();
        Self {
            store,
            client,
            policy,
            timeout,
            allow_private_targets,
            busy: Arc::default(),
            slots: Arc::new(tokio::sync::Semaphore::new(CONCURRENT_ENDPOINTS)),
        }
    }

    /// Runs passes every `every` for as long as the process lives. Pending deliveries left by a
    /// stopped process are picked up on the first pass.
    pub fn spawn(self, every: Duration) {
        tokio::spawn(async move {
            let mut tick = tokio::time::interval(every);
            tick.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tick.tick().await;
                if let Err(e) = self.run_once().await {
                    tracing::warn!(error = %e, "webhook pass failed; retrying next tick");
                }
            }
        });
    }

    /// One pass: hands every due delivery (up to a batch) of endpoints not already busy to a
    /// worker per endpoint, which sends them in order. Returns how many were handed out; the
    /// workers finish on their own time, so a hanging receiver never holds up the next pass.
    pub async fn run_once(&self) -> Result<usize, broker_store::StoreError> {
        let skip: Vec<Uuid> = self.lock_busy().iter().copied().collect();
        let due = webhooks::due(self.store.conn(), Utc::now(), BATCH, &skip).await?;
        let mut by_endpoint: BTreeMap<Uuid, Vec<DueDelivery>> = BTreeMap::new();
        for d in due {
            by_endpoint
                .entry(d.delivery.endpoint_id)
                .or_default()
                .push(d);
        }
        let mut handed_out = 0;
        for (endpoint, deliveries) in by_endpoint {
            if !self.lock_busy().insert(endpoint) {
                continue;
            }
            handed_out += deliveries.len();
            let worker = self.clone();
            tokio::spawn(async move {
                let _done = BusyGuard {
                    busy: Arc::clone(&worker.busy),
                    endpoint,
                };
                let Ok(_slot) = worker.slots.acquire().await else {
                    return;
                };
                if let Err(e) = worker.send_in_order(deliveries).await {
                    tracing::warn!(%endpoint, error = %e, "webhook worker stopped; the rest waits for the next pass");
                }
            });
        }
        Ok(handed_out)
    }

    async fn send_in_order(
        &self,
        deliveries: Vec<DueDelivery>,
    ) -> Result<(), broker_store::StoreError> {
        for d in deliveries {
            // The lease outlasts one attempt, so a crashed attempt is retried, not lost.
            let lease = Utc::now()
                + chrono::Duration::from_std(self.timeout * 2).unwrap_or(chrono::Duration::MAX);
            if webhooks::claim(self.store.conn(), &d.delivery, lease).await? {
                self.attempt(d).await?;
            }
        }
        Ok(())
    }

    fn lock_busy(&self) -> std::sync::MutexGuard<'_, HashSet<Uuid>> {
        // The set is only inserted into and removed from; a panic elsewhere cannot leave it
        // inconsistent, so a poisoned lock is still usable.
        self.busy
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    #[tracing::instrument(skip_all, fields(delivery = %d.delivery.id, attempt = d.delivery.attempts + 1))]
    async fn attempt(&self, d: DueDelivery) -> Result<(), broker_store::StoreError> {
        let body = serde_json::to_vec(&d.delivery.payload).unwrap_or_default();
        let at = Utc::now();
        let timestamp = at.timestamp();
        let action = d
            .delivery
            .payload
            .get("action")
            .and_then(|a| a.as_str())
            .unwrap_or("event")
            .to_owned();
        let started = Instant::now();
        if !self.allow_private_targets && literal_target_is_private(&d.url) {
            return self
                .finish(&d, at, None, Some(REFUSED_TARGET.to_owned()), 0)
                .await;
        }
        let sent = self
            .client
            .post(&d.url)
            .header(reqwest::header::CONTENT_TYPE, "application/json")
            .header("X-Kompetens-Event", action)
            .header("X-Kompetens-Delivery", d.delivery.id.to_string())
            .header("X-Kompetens-Timestamp", timestamp.to_string())
            .header(
                "X-Kompetens-Signature",
                signature(&d.secret, timestamp, &body),
            )
            .body(body)
            .send()
            .await;
        let duration_ms = i64::try_from(started.elapsed().as_millis()).unwrap_or(i64::MAX);
        let (status_code, error) = match sent {
            Ok(resp) if resp.status().is_success() => (Some(resp.status().as_u16()), None),
            Ok(resp) => (
                Some(resp.status().as_u16()),
                Some(format!("receiver answered {}", resp.status())),
            ),
            Err(e) => (None, Some(describe(e))),
        };
        self.finish(&d, at, status_code, error, duration_ms).await
    }

    /// Logs one attempt and decides what comes next.
    async fn finish(
        &self,
        d: &DueDelivery,
        at: chrono::DateTime<Utc>,
        status_code: Option<u16>,
        error: Option<String>,
        duration_ms: i64,
    ) -> Result<(), broker_store::StoreError> {
        let attempts = u32::try_from(d.delivery.attempts.saturating_add(1)).unwrap_or(u32::MAX);
        let next = if error.is_none() {
            Next::Delivered
        } else {
            match self.policy.after_failure(attempts) {
                AfterFailure::RetryIn(secs) => Next::RetryAt(
                    at + chrono::Duration::seconds(i64::try_from(secs).unwrap_or(i64::MAX)),
                ),
                AfterFailure::GiveUp => Next::GiveUp,
            }
        };
        match (&next, &error) {
            (Next::Delivered, _) => tracing::info!(duration_ms, "webhook delivered"),
            (_, Some(e)) => {
                tracing::warn!(duration_ms, error = %e, ?next, "webhook attempt failed")
            }
            _ => {}
        }
        webhooks::finish_attempt(
            self.store.conn(),
            &d.delivery,
            Attempt {
                at,
                status_code,
                error,
                duration_ms,
            },
            next,
        )
        .await
    }
}

/// Frees an endpoint for the next pass when its worker ends, however it ends.
struct BusyGuard {
    busy: Arc<Mutex<HashSet<Uuid>>>,
    endpoint: Uuid,
}

impl Drop for BusyGuard {
    fn drop(&mut self) {
        self.busy
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(&self.endpoint);
    }
}

/// Whether the URL names a literal address that is not public (the resolver never sees those).
fn literal_target_is_private(url: &str) -> bool {
    match reqwest::Url::parse(url)
        .ok()
        .and_then(|u| u.host().map(|h| h.to_owned()))
    {
        Some(url::Host::Ipv4(ip)) => !broker_domain::net::is_public(IpAddr::V4(ip)),
        Some(url::Host::Ipv6(ip)) => !broker_domain::net::is_public(IpAddr::V6(ip)),
        Some(url::Host::Domain(_)) => false,
        // Unparseable URLs fail in the client with their own error.
        None => false,
    }
}

/// Resolves host names for deliveries and keeps only public addresses; the client connects to
/// exactly what this returns.
#[derive(Debug)]
struct PublicOnlyResolver;

/// The resolver's refusal, recognised in the error chain to log [`REFUSED_TARGET`].
#[derive(Debug)]
struct NonPublicTarget;

impl std::fmt::Display for NonPublicTarget {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(REFUSED_TARGET)
    }
}

impl std::error::Error for NonPublicTarget {}

impl reqwest::dns::Resolve for PublicOnlyResolver {
    fn resolve(&self, name: reqwest::dns::Name) -> reqwest::dns::Resolving {
        let host = name.as_str().to_owned();
        Box::pin(async move {
            let public: Vec<SocketAddr> = public_addresses(&host).await?;
            let addrs: reqwest::dns::Addrs = Box::new(public.into_iter());
            Ok(addrs)
        })
    }
}

/// The public addresses `host` resolves to; an error when it resolves to none.
pub async fn public_addresses(
    host: &str,
) -> Result<Vec<SocketAddr>, Box<dyn std::error::Error + Send + Sync>> {
    let resolved: Vec<SocketAddr> = tokio::net::lookup_host((host, 0)).await?.collect();
    let public: Vec<SocketAddr> = resolved
        .into_iter()
        .filter(|a| broker_domain::net::is_public(a.ip()))
        .collect();
    if public.is_empty() {
        return Err(Box::new(NonPublicTarget));
    }
    Ok(public)
}

/// A transport error in words a partner can act on.
fn describe(e: reqwest::Error) -> String {
    let mut source: Option<&(dyn std::error::Error + 'static)> = Some(&e);
    while let Some(err) = source {
        if err.is::<NonPublicTarget>() {
            return REFUSED_TARGET.to_owned();
        }
        source = err.source();
    }
    if e.is_timeout() {
        "timed out".to_owned()
    } else if e.is_connect() {
        "could not connect".to_owned()
    } else {
        // The chain without the URL (it may carry credentials in its query).
        e.without_url().to_string()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signature_matches_a_reference_hmac() {
        // printf '1700000000.{"a":1}' | openssl dgst -sha256 -hmac secret
        assert_eq!(
            signature("secret", 1_700_000_000, br#"{"a":1}"#),
            "sha256=49f24e537407743fa4a0242bb63b94b9a47ee99cbbe071ccd8a22550ae411686"
        );
        // The timestamp is signed too, so a replayed body with a new timestamp does not verify.
        assert_ne!(
            signature("secret", 1_700_000_001, br#"{"a":1}"#),
            signature("secret", 1_700_000_000, br#"{"a":1}"#)
        );
    }
}
