//! A per-client request budget for the public routes: `governor`'s GCRA per client address, in a
//! sharded map, so a check costs the same however many clients there are. `0` requests per
//! minute turns it off (behind a CDN, for load tests).
//!
//! The budget is per instance: behind a proxy that spreads clients over N instances, set the
//! limit to the per-client budget divided by N (or rate-limit at the proxy).

use std::net::IpAddr;
use std::num::NonZeroU32;
use std::sync::atomic::{AtomicU64, Ordering};

use governor::clock::{Clock, DefaultClock};
use governor::middleware::NoOpMiddleware;
use governor::state::keyed::DashMapStateStore;
use governor::{Quota, RateLimiter as Gcra};

use crate::error::ApiError;

type Keyed<C> = Gcra<IpAddr, DashMapStateStore<IpAddr>, C, NoOpMiddleware<<C as Clock>::Instant>>;

/// Checks between two sweeps of clients whose budget is full again (bounded memory, amortised
/// cost per request).
const SWEEP_EVERY: u64 = 65_536;

/// Counts requests per client address.
pub struct RateLimiter<C: Clock = DefaultClock> {
    keyed: Option<Keyed<C>>,
    clock: C,
    checks: AtomicU64,
}

impl<C: Clock> std::fmt::Debug for RateLimiter<C> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RateLimiter")
            .field("on", &self.keyed.is_some())
            .finish_non_exhaustive()
    }
}

impl RateLimiter {
    pub fn new(per_minute: u32) -> Self {
        Self::with_clock(per_minute, DefaultClock::default())
    }
}

impl<C: Clock + Clone> RateLimiter<C> {
    /// `per_minute` requests per client, all of them available at once after a quiet minute.
    pub fn with_clock(per_minute: u32, clock: C) -> Self {
        Self {
            keyed: NonZeroU32::new(per_minute)
                .map(|n| Gcra::dashmap_with_clock(Quota::per_minute(n), clock.clone())),
            clock,
            checks: AtomicU64::new(0),
        }
    }

    /// Counts one request from `client`; refuses it with 429 and a `Retry-After` (whole seconds,
    /// rounded up) past the budget.
    pub fn check(&self, client: Option<IpAddr>) -> Result<(), ApiError> {
        let (Some(keyed), Some(client)) = (&self.keyed, client) else {
            return Ok(());
        };
        if self.checks.fetch_add(1, Ordering::Relaxed) % SWEEP_EVERY == SWEEP_EVERY - 1 {
            keyed.retain_recent();
        }
        keyed.check_key(&client).map_err(|not_until| {
            let wait = not_until.wait_time_from(self.clock.now());
            ApiError::RateLimited {
                retry_after_seconds: wait.as_secs() + u64::from(wait.subsec_nanos() > 0),
            }
        })
    }
}

#[cfg(test)]
mod tests {
    use std::time::Duration;

    use governor::clock::FakeRelativeClock;

    use super::*;

    #[test]
    fn the_budget_is_per_client_and_refills() {
        let clock = FakeRelativeClock::default();
        let limiter = RateLimiter::with_clock(3, clock.clone());
        let a: IpAddr = [10, 0, 0, 1].into();
        let b: IpAddr = [10, 0, 0, 2].into();
        for _ in 0..3 {
            assert!(limiter.check(Some(a)).is_ok());
        }
        // One request refills every 20 s (3 per minute).
        assert!(
            matches!(limiter.check(Some(a)), Err(ApiError::RateLimited { retry_after_seconds }) if retry_after_seconds == 20)
        );
        assert!(
            limiter.check(Some(b)).is_ok(),
            "another client has its own budget"
        );
        clock.advance(Duration::from_secs(20));
        assert!(limiter.check(Some(a)).is_ok(), "the budget refills");
        assert!(limiter.check(Some(a)).is_err());
    }

    #[test]
    fn zero_turns_it_off() {
        let limiter = RateLimiter::new(0);
        for _ in 0..1000 {
            assert!(limiter.check(Some([127, 0, 0, 1].into())).is_ok());
        }
    }
}
