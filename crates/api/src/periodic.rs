//! Background jobs that run on an interval and log (rather than stop on) a failed run.

use std::fmt::Display;
use std::future::Future;
use std::sync::Arc;
use std::time::Duration;

use tokio::sync::Notify;

/// Runs `job` every `every` (not at all for a zero interval); a failed run is logged with `what`
/// and retried at the next tick. A run that overruns delays the next one instead of piling up.
pub fn spawn_every<F, Fut, E>(every: Duration, what: &'static str, job: F)
where
    F: FnMut() -> Fut + Send + 'static,
    Fut: Future<Output = Result<(), E>> + Send,
    E: Display,
{
    spawn_every_or_woken(every, None, what, job);
}

/// [`spawn_every`], also run as soon as `woken` is notified; under a stream of wake-ups it runs
/// at most ten times a second (or every `every`, if shorter).
pub fn spawn_every_or_woken<F, Fut, E>(
    every: Duration,
    woken: Option<Arc<Notify>>,
    what: &'static str,
    mut job: F,
) where
    F: FnMut() -> Fut + Send + 'static,
    Fut: Future<Output = Result<(), E>> + Send,
    E: Display,
{
    if every.is_zero() {
        return;
    }
    let woken = woken.unwrap_or_default();
    tokio::spawn(async move {
        let mut ticks = tokio::time::interval(every);
        ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
        loop {
            tokio::select! {
                _ = ticks.tick() => {}
                () = woken.notified() => {
                    tokio::time::sleep(every.min(MIN_WAKE_SPACING)).await;
                }
            }
            if let Err(e) = job().await {
                tracing::warn!(error = %e, job = what, "background job failed; retrying at the next interval");
            }
        }
    });
}

/// The shortest spacing of runs that wake-ups cause.
const MIN_WAKE_SPACING: Duration = Duration::from_millis(100);

/// Advisory lock keys of the passes that run on one instance at a time.
pub const EXPIRY_LOCK: i64 = 0x6b6d_0000_0000_0001;
pub const ESCALATION_LOCK: i64 = 0x6b6d_0000_0000_0002;

/// Runs `pass` unless another instance over the same database is running the pass under `key`
/// right now (then returns `None`: that instance does the work, this one tries at its next tick).
/// On PostgreSQL a transaction-scoped advisory lock held while the pass runs; on SQLite every
/// write goes through one write lock, so passes there are serialised write by write and only
/// need to tolerate a lost race (which they do: a need changed meanwhile is skipped).
pub async fn as_singleton<T, Fut>(
    store: &broker_store::Store,
    key: i64,
    pass: Fut,
) -> Result<Option<T>, broker_store::StoreError>
where
    Fut: Future<Output = Result<T, broker_store::StoreError>>,
{
    use sea_orm::{ConnectionTrait, DatabaseBackend, Statement};
    if store.backend() != "postgres" {
        return pass.await.map(Some);
    }
    let lock = store.begin().await?;
    let held = lock
        .query_one_raw(Statement::from_sql_and_values(
            DatabaseBackend::Postgres,
            "SELECT pg_try_advisory_xact_lock($1) AS held",
            [key.into()],
        ))
        .await?
        .map(|row| row.try_get::<bool>("", "held"))
        .transpose()?
        .unwrap_or(false);
    if !held {
        return Ok(None);
    }
    let result = pass.await;
    // Ending the transaction releases the lock.
    lock.rollback().await?;
    result.map(Some)
}
