//! Needs leave the queues after their expiry date: a background task expires them on an interval,
//! and admins can run the same pass by hand (with an `as_of` date, which is how tests move time).

use std::sync::Arc;
use std::time::Duration;

use broker_domain::need::NeedAction;
use broker_store::repo::{audit, matches, needs};
use broker_store::{Store, StoreError};
use chrono::{NaiveDate, Utc};
use uuid::Uuid;

use crate::matcher::Matcher;

/// Who the trail names for expiries.
const ACTOR: &str = "system:expiry";

/// Expires every open or in-review need whose expiry date lies before `today`. Each need expires in
/// its own transaction (status, event, superseded suggestions, audit entry), so one failure leaves
/// the others done and nothing half-written. Returns the expired needs.
#[tracing::instrument(skip(store, matcher))]
pub async fn expire_due(
    store: &Store,
    matcher: &Matcher,
    today: NaiveDate,
) -> Result<Vec<Uuid>, StoreError> {
    let mut expired = Vec::new();
    for id in needs::due_for_expiry(store.conn(), today).await? {
        let txn = store.begin().await?;
        let before = needs::get(&txn, id).await?;
        let (from, after) = match needs::transition(&txn, id, None, NeedAction::Expire).await {
            Ok(done) => done,
            // Withdrawn, matched or changed by another writer in the meantime: not this pass's
            // to expire (a changed need is looked at again next pass).
            Err(StoreError::Transition(_) | StoreError::Conflict { .. }) => continue,
            Err(e) => return Err(e),
        };
        needs::add_event(
            &txn,
            id,
            NeedAction::Expire.as_str(),
            serde_json::json!({
                "from": from.as_str(),
                "to": after.need.status.as_str(),
                "expires_on": before.need.spec.expires_on,
                "as_of": today,
            }),
            ACTOR,
        )
        .await?;
        matches::supersede_pending(&txn, Some(id), Some(id)).await?;
        audit::record(
            &txn,
            audit::AuditEntry {
                actor: ACTOR.to_owned(),
                actor_role: None,
                actor_organisation: None,
                action: "need.expire".to_owned(),
                entity: "need",
                entity_id: Some(id),
                before: serde_json::to_value(crate::routes::needs::dto(&before)).ok(),
                after: serde_json::to_value(crate::routes::needs::dto(&after)).ok(),
            },
        )
        .await?;
        broker_store::repo::matching_jobs::enqueue_need(&txn, id).await?;
        txn.commit().await?;
        matcher.need_changed(id, Duration::ZERO).await;
        expired.push(id);
    }
    if !expired.is_empty() {
        tracing::info!(count = expired.len(), "expired needs");
    }
    Ok(expired)
}

/// Runs [`expire_due`] every `every`, for as long as the process lives, on one instance at a time.
pub fn spawn(store: Store, matcher: Arc<Matcher>, every: Duration) {
    crate::periodic::spawn_every(every, "need expiry", move || {
        let store = store.clone();
        let matcher = Arc::clone(&matcher);
        async move {
            let pass = expire_due(&store, &matcher, Utc::now().date_naive());
            crate::periodic::as_singleton(&store, crate::periodic::EXPIRY_LOCK, pass)
                .await
                .map(|_| ())
        }
    });
}
