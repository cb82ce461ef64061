//! Webhook delivery: drains the outbox (`webhook_deliveries`) that every write fills in its own
//! transaction, POSTs each event to its endpoint with an HMAC-SHA256 signature, and retries
//! failures with exponential backoff until the attempts run out. Every attempt is logged.
//!
//! Receivers verify `X-Kompetens-Signature: sha256=<hex>` as
//! `HMAC-SHA256(secret, "<X-Kompetens-Timestamp>.<raw body>")` and should reject timestamps
//! far from their clock (replays). `X-Kompetens-Delivery` is stable across retries, so a
//! receiver can drop duplicates: delivery is at least once.

use std::time::{Duration, Instant};

use broker_domain::notify::{AfterFailure, RetryPolicy};
use broker_store::Store;
use broker_store::repo::webhooks::{self, Attempt, DueDelivery, Next};
use chrono::Utc;
use hmac::{Hmac, Mac};
use sha2::Sha256;

/// Deliveries taken per pass; the rest wait for the next pass.
const BATCH: u64 = 50;

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
}

impl Dispatcher {
    pub fn new(store: Store, policy: RetryPolicy, timeout: Duration) -> Self {
        let client = reqwest::Client::builder()
            .timeout(timeout)
            // A receiver answers for itself; following redirects would send signed payloads
            // somewhere nobody registered.
            .redirect(reqwest::redirect::Policy::none())
            .user_agent(concat!(
                "kompetensmaklare-webhooks/",
                env!("CARGO_PKG_VERSION")
            ))
            .build()
            .unwrap_or_default();
        Self {
            store,
            client,
            policy,
            timeout,
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

    /// One pass: claims and sends every due delivery (up to a batch). Returns how many were
    /// attempted.
    pub async fn run_once(&self) -> Result<usize, broker_store::StoreError> {
        let now = Utc::now();
        let due = webhooks::due(self.store.conn(), now, BATCH).await?;
        // The lease outlasts one attempt, so a crashed attempt is retried, not lost.
        let lease =
            now + chrono::Duration::from_std(self.timeout * 2).unwrap_or(chrono::Duration::MAX);
        let mut attempted = 0;
        for d in due {
            if !webhooks::claim(self.store.conn(), &d.delivery, lease).await? {
                continue;
            }
            attempted += 1;
            self.attempt(d).await?;
        }
        Ok(attempted)
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

/// A transport error in words a partner can act on.
fn describe(e: reqwest::Error) -> String {
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
