//! The audit trail: who changed what, when, with the state before and after.

use broker_domain::audit::AuditEvent;
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
};
use uuid::Uuid;

use crate::entity::audit_event;
use crate::{Page, StoreError};

/// One write to record. Written in the same transaction as the change it describes.
#[derive(Debug, Clone)]
pub struct AuditEntry {
    /// The token subject, or `system:*` for background jobs. Kept in the audit trail; the feed
    /// and webhooks show only the role and organisation below.
    pub actor: String,
    /// The writer's role (`broker`, ...); none for background jobs.
    pub actor_role: Option<&'static str>,
    pub actor_organisation: Option<Uuid>,
    pub action: String,
    pub entity: &'static str,
    pub entity_id: Option<Uuid>,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}

/// Also appends the write to the event log (feed and webhook outbox) in the same transaction.
pub async fn record(conn: &impl ConnectionTrait, e: AuditEntry) -> Result<(), StoreError> {
    record_many(conn, vec![e]).await
}

/// Records many writes (a batch) in multi-row inserts, with their events.
pub async fn record_many(
    conn: &impl ConnectionTrait,
    entries: Vec<AuditEntry>,
) -> Result<(), StoreError> {
    let at = Utc::now();
    super::notify::append_many(conn, &entries, at).await?;
    let mut rows = entries.into_iter().map(|e| audit_event::ActiveModel {
        id: Set(Uuid::now_v7()),
        at: Set(at),
        actor: Set(e.actor),
        action: Set(e.action),
        entity: Set(e.entity.to_owned()),
        entity_id: Set(e.entity_id),
        before: Set(e.before),
        after: Set(e.after),
    });
    loop {
        let chunk: Vec<audit_event::ActiveModel> = rows.by_ref().take(500).collect();
        if chunk.is_empty() {
            return Ok(());
        }
        audit_event::Entity::insert_many(chunk).exec(conn).await?;
    }
}

/// Filters for reading the trail.
#[derive(Debug, Clone, Default)]
pub struct AuditFilter {
    pub entity: Option<String>,
    pub entity_id: Option<Uuid>,
    pub actor: Option<String>,
    pub since: Option<DateTime<Utc>>,
}

/// Newest first.
pub async fn list(
    conn: &impl ConnectionTrait,
    f: &AuditFilter,
    limit: u64,
    offset: u64,
) -> Result<Page<AuditEvent>, StoreError> {
    let mut cond = Condition::all();
    if let Some(e) = &f.entity {
        cond = cond.add(audit_event::Column::Entity.eq(e.clone()));
    }
    if let Some(id) = f.entity_id {
        cond = cond.add(audit_event::Column::EntityId.eq(id));
    }
    if let Some(a) = &f.actor {
        cond = cond.add(audit_event::Column::Actor.eq(a.clone()));
    }
    if let Some(s) = f.since {
        cond = cond.add(audit_event::Column::At.gte(s));
    }
    let select = audit_event::Entity::find()
        .filter(cond)
        .order_by_desc(audit_event::Column::At)
        .order_by_desc(audit_event::Column::Id);
    let page = super::paginate(conn, select, limit, offset).await?;
    Ok(Page {
        total: page.total,
        items: page
            .items
            .into_iter()
            .map(|r| AuditEvent {
                id: r.id,
                at: r.at,
                actor: r.actor,
                action: r.action,
                entity: r.entity,
                entity_id: r.entity_id,
                before: r.before,
                after: r.after,
            })
            .collect(),
    })
}
