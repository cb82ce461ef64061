//! A per-client request budget for the public routes: a sliding one-minute window per client
//! address, kept in memory. `0` requests per minute turns it off (behind a CDN, for load tests).

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use crate::error::ApiError;

const WINDOW: Duration = Duration::from_secs(60);
/// Forget idle clients after this many tracked entries, so memory stays bounded.
const MAX_TRACKED_CLIENTS: usize = 50_000;

#[derive(Debug)]
struct Window {
    started: Instant,
    previous: u32,
    current: u32,
}

/// Counts requests per client address.
#[derive(Debug)]
pub struct RateLimiter {
    per_minute: u32,
    clients: Mutex<HashMap<IpAddr, Window>>,
}

impl RateLimiter {
    pub fn new(per_minute: u32) -> Self {
        Self {
            per_minute,
            clients: Mutex::new(HashMap::new()),
        }
    }

    /// Counts one request from `client`; refuses it with 429 and a `Retry-After` past the budget.
    /// The estimate weighs the previous window by how much of it still overlaps the last minute.
    pub fn check(&self, client: Option<IpAddr>, now: Instant) -> Result<(), ApiError> {
        if self.per_minute == 0 {
            return Ok(());
        }
        let Some(client) = client else { return Ok(()) };
        let mut clients = self
            .clients
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if clients.len() > MAX_TRACKED_CLIENTS {
            clients.retain(|_, w| now.duration_since(w.started) < WINDOW * 2);
        }
        let window = clients.entry(client).or_insert(Window {
            started: now,
            previous: 0,
            current: 0,
        });
        let elapsed = now.duration_since(window.started);
        if elapsed >= WINDOW * 2 {
            *window = Window {
                started: now,
                previous: 0,
                current: 0,
            };
        } else if elapsed >= WINDOW {
            *window = Window {
                started: window.started + WINDOW,
                previous: window.current,
                current: 0,
            };
        }
        let into_window = now.duration_since(window.started).as_secs_f64() / WINDOW.as_secs_f64();
        let estimate = f64::from(window.previous) * (1.0 - into_window) + f64::from(window.current);
        if estimate >= f64::from(self.per_minute) {
            let retry = (WINDOW.as_secs_f64() * (1.0 - into_window)).ceil().max(1.0);
            #[expect(
                clippy::cast_possible_truncation,
                clippy::cast_sign_loss,
                reason = "between 1 and 60 seconds"
            )]
            return Err(ApiError::RateLimited {
                retry_after_seconds: retry as u64,
            });
        }
        window.current += 1;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_budget_is_per_client_and_refills() {
        let limiter = RateLimiter::new(3);
        let a: IpAddr = [10, 0, 0, 1].into();
        let b: IpAddr = [10, 0, 0, 2].into();
        let t0 = Instant::now();
        for _ in 0..3 {
            assert!(limiter.check(Some(a), t0).is_ok());
        }
        assert!(
            matches!(limiter.check(Some(a), t0), Err(ApiError::RateLimited { retry_after_seconds }) if retry_after_seconds >= 1)
        );
        assert!(
            limiter.check(Some(b), t0).is_ok(),
            "another client has its own budget"
        );
        assert!(
            limiter.check(Some(a), t0 + WINDOW * 2).is_ok(),
            "the budget refills"
        );
    }

    #[test]
    fn zero_turns_it_off() {
        let limiter = RateLimiter::new(0);
        for _ in 0..1000 {
            assert!(
                limiter
                    .check(Some([127, 0, 0, 1].into()), Instant::now())
                    .is_ok()
            );
        }
    }
}
