//! Idempotency keys: a retried create returns the first response instead of creating again.

use chrono::Utc;
use sea_orm::{ActiveValue::Set, ConnectionTrait, EntityTrait};

use crate::StoreError;
use crate::entity::idempotency_key;

/// The response stored for a key.
#[derive(Debug, Clone)]
pub struct StoredResponse {
    /// SHA-256 of the request body, so a key reused for a different request is refused.
    pub request_hash: String,
    pub status: u16,
    pub body: serde_json::Value,
}

pub async fn find(
    conn: &impl ConnectionTrait,
    actor: &str,
    key: &str,
) -> Result<Option<StoredResponse>, StoreError> {
    Ok(
        idempotency_key::Entity::find_by_id((actor.to_owned(), key.to_owned()))
            .one(conn)
            .await?
            .map(|r| StoredResponse {
                request_hash: r.request_hash,
                status: u16::try_from(r.status).unwrap_or(200),
                body: r.body,
            }),
    )
}

/// Stores the response; call in the transaction that performed the create so both land or none.
pub async fn save(
    conn: &impl ConnectionTrait,
    actor: &str,
    key: &str,
    response: &StoredResponse,
) -> Result<(), StoreError> {
    idempotency_key::Entity::insert(idempotency_key::ActiveModel {
        actor: Set(actor.to_owned()),
        key: Set(key.to_owned()),
        request_hash: Set(response.request_hash.clone()),
        status: Set(i32::from(response.status)),
        body: Set(response.body.clone()),
        created_at: Set(Utc::now()),
    })
    .exec(conn)
    .await
    .map_err(|e| {
        StoreError::from_insert("idempotency key", "a request with this Idempotency-Key", e)
    })?;
    Ok(())
}
