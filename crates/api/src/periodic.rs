//! Background jobs that run on an interval and log (rather than stop on) a failed run.

use std::fmt::Display;
use std::future::Future;
use std::time::Duration;

/// Runs `job` every `every` (not at all for a zero interval); a failed run is logged with `what`
/// and retried at the next tick. A run that overruns delays the next one instead of piling up.
pub fn spawn_every<F, Fut, E>(every: Duration, what: &'static str, mut job: F)
where
    F: FnMut() -> Fut + Send + 'static,
    Fut: Future<Output = Result<(), E>> + Send,
    E: Display,
{
    if every.is_zero() {
        return;
    }
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(every);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            ticks.tick().await;
            if let Err(e) = job().await {
                tracing::warn!(error = %e, job = what, "background job failed; retrying at the next interval");
            }
        }
    });
}
