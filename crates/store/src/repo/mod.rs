//! Repository functions by aggregate. Each takes `&impl ConnectionTrait` (a pool or a
//! transaction) so callers choose the transaction boundary; functions that must be atomic on
//! their own open one themselves.

pub mod activity;
pub mod audit;
pub mod course_requests;
pub mod escalation;
pub mod forum;
pub mod idempotency;
pub mod matches;
pub mod matching_jobs;
pub mod meetings;
pub mod needs;
pub mod notify;
pub mod offers;
pub mod reference;
mod support_tools;
pub mod taxonomy;
pub mod webhooks;
pub mod workshops;

use sea_orm::{ConnectionTrait, EntityTrait, PaginatorTrait, QuerySelect, Select};

use crate::{Page, StoreError};

/// Runs a filtered select as one page plus the total count.
pub(crate) async fn paginate<E, C>(
    conn: &C,
    select: Select<E>,
    limit: u64,
    offset: u64,
) -> Result<Page<E::Model>, StoreError>
where
    E: EntityTrait,
    E::Model: Sync,
    C: ConnectionTrait,
{
    let total = select.clone().count(conn).await?;
    let items = select.limit(limit).offset(offset).all(conn).await?;
    Ok(Page { items, total })
}

/// Reads a JSON list of strings, tolerating an absent or non-list value as empty.
pub(crate) fn string_list(v: &serde_json::Value) -> Vec<String> {
    v.as_array()
        .map(|a| {
            a.iter()
                .filter_map(|x| x.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default()
}

/// Reads a JSON list of UUIDs.
pub(crate) fn uuid_list(v: &serde_json::Value) -> Vec<uuid::Uuid> {
    string_list(v)
        .iter()
        .filter_map(|s| s.parse().ok())
        .collect()
}

pub(crate) fn json_list<T: serde::Serialize>(items: &[T]) -> serde_json::Value {
    serde_json::to_value(items).unwrap_or_else(|_| serde_json::Value::Array(Vec::new()))
}
