//! Webhook endpoints, the delivery outbox and its attempt log.
//!
//! A delivery row is written in the transaction of the write that caused it, so an event is
//! never lost: if the process stops, the row waits as `pending` for the next dispatcher. The
//! dispatcher claims a row by moving its `next_attempt_at` forward with a conditional update,
//! so two instances never send the same attempt.

use std::collections::BTreeSet;

use broker_domain::notify::{DeliveryStatus, Topic};
use chrono::{DateTime, Utc};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect, TransactionSession, TransactionTrait, sea_query::Expr,
};
use uuid::Uuid;

use crate::entity::{feed_event, webhook_attempt, webhook_delivery, webhook_endpoint};
use crate::{Page, StoreError};

/// An organisation's webhook endpoint: where its events are sent, and the topics it follows
/// besides the organisation itself.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Endpoint {
    pub id: Uuid,
    pub organisation_id: Uuid,
    pub url: String,
    pub secret: String,
    pub topics: Vec<Topic>,
    pub active: bool,
    pub created_by: String,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

impl Endpoint {
    /// The topic keys the endpoint follows: its own list plus its organisation.
    pub fn followed_topics(&self) -> BTreeSet<String> {
        let mut out: BTreeSet<String> = self.topics.iter().map(Topic::key).collect();
        out.insert(Topic::Organisation(self.organisation_id).key());
        out
    }
}

fn endpoint_record(e: webhook_endpoint::Model) -> Result<Endpoint, StoreError> {
    let topics = super::string_list(&e.topics)
        .iter()
        .map(|key| {
            Topic::from_key(key).ok_or_else(|| {
                StoreError::corrupt("webhook topic", format!("unknown topic {key:?}"))
            })
        })
        .collect::<Result<_, _>>()?;
    Ok(Endpoint {
        id: e.id,
        organisation_id: e.organisation_id,
        url: e.url,
        secret: e.secret,
        topics,
        active: e.active,
        created_by: e.created_by,
        created_at: e.created_at,
        updated_at: e.updated_at,
    })
}

fn topic_keys(topics: &[Topic]) -> serde_json::Value {
    super::json_list(&topics.iter().map(Topic::key).collect::<Vec<_>>())
}

/// One event queued for one endpoint, and how its attempts went so far.
#[derive(Debug, Clone, PartialEq)]
pub struct Delivery {
    pub id: Uuid,
    pub endpoint_id: Uuid,
    pub event_id: Uuid,
    pub payload: serde_json::Value,
    pub status: DeliveryStatus,
    pub attempts: i32,
    pub next_attempt_at: DateTime<Utc>,
    pub last_status_code: Option<i32>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub delivered_at: Option<DateTime<Utc>>,
}

fn delivery_record(d: webhook_delivery::Model) -> Result<Delivery, StoreError> {
    Ok(Delivery {
        status: DeliveryStatus::parse(&d.status)
            .map_err(|e| StoreError::corrupt("webhook delivery status", e))?,
        id: d.id,
        endpoint_id: d.endpoint_id,
        event_id: d.event_id,
        payload: d.payload,
        attempts: d.attempts,
        next_attempt_at: d.next_attempt_at,
        last_status_code: d.last_status_code,
        last_error: d.last_error,
        created_at: d.created_at,
        delivered_at: d.delivered_at,
    })
}

/// One logged attempt of a delivery.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct LoggedAttempt {
    pub delivery_id: Uuid,
    /// 1 for the first attempt.
    pub attempt: i32,
    pub at: DateTime<Utc>,
    pub status_code: Option<i32>,
    pub error: Option<String>,
    pub duration_ms: i64,
}

/// A new endpoint.
#[derive(Debug, Clone)]
pub struct NewEndpoint {
    pub organisation_id: Uuid,
    pub url: String,
    pub secret: String,
    pub topics: Vec<Topic>,
    pub created_by: String,
}

pub async fn create_endpoint(
    conn: &impl ConnectionTrait,
    e: NewEndpoint,
) -> Result<Endpoint, StoreError> {
    let now = Utc::now();
    let created = Endpoint {
        id: Uuid::now_v7(),
        organisation_id: e.organisation_id,
        url: e.url,
        secret: e.secret,
        topics: e.topics,
        active: true,
        created_by: e.created_by,
        created_at: now,
        updated_at: now,
    };
    webhook_endpoint::Entity::insert(webhook_endpoint::ActiveModel {
        id: Set(created.id),
        organisation_id: Set(created.organisation_id),
        url: Set(created.url.clone()),
        secret: Set(created.secret.clone()),
        topics: Set(topic_keys(&created.topics)),
        active: Set(created.active),
        created_by: Set(created.created_by.clone()),
        created_at: Set(created.created_at),
        updated_at: Set(created.updated_at),
    })
    .exec(conn)
    .await?;
    Ok(created)
}

/// Endpoints, oldest first; one organisation's when given.
pub async fn endpoints(
    conn: &impl ConnectionTrait,
    organisation: Option<Uuid>,
) -> Result<Vec<Endpoint>, StoreError> {
    let mut q = webhook_endpoint::Entity::find();
    if let Some(org) = organisation {
        q = q.filter(webhook_endpoint::Column::OrganisationId.eq(org));
    }
    q.order_by_asc(webhook_endpoint::Column::CreatedAt)
        .order_by_asc(webhook_endpoint::Column::Id)
        .all(conn)
        .await?
        .into_iter()
        .map(endpoint_record)
        .collect()
}

pub async fn endpoint(conn: &impl ConnectionTrait, id: Uuid) -> Result<Endpoint, StoreError> {
    endpoint_record(
        webhook_endpoint::Entity::find_by_id(id)
            .one(conn)
            .await?
            .ok_or(StoreError::NotFound { entity: "webhook" })?,
    )
}

/// Changes to an endpoint; `None` keeps the value.
#[derive(Debug, Clone, Default)]
pub struct EndpointChange {
    pub url: Option<String>,
    pub topics: Option<Vec<Topic>>,
    pub active: Option<bool>,
    pub secret: Option<String>,
}

pub async fn update_endpoint(
    conn: &impl ConnectionTrait,
    id: Uuid,
    change: EndpointChange,
) -> Result<Endpoint, StoreError> {
    let mut row = endpoint(conn, id).await?;
    if let Some(url) = change.url {
        row.url = url;
    }
    if let Some(topics) = change.topics {
        row.topics = topics;
    }
    if let Some(active) = change.active {
        row.active = active;
    }
    if let Some(secret) = change.secret {
        row.secret = secret;
    }
    row.updated_at = Utc::now();
    webhook_endpoint::Entity::update(webhook_endpoint::ActiveModel {
        id: sea_orm::ActiveValue::Unchanged(id),
        url: Set(row.url.clone()),
        topics: Set(topic_keys(&row.topics)),
        active: Set(row.active),
        secret: Set(row.secret.clone()),
        updated_at: Set(row.updated_at),
        ..Default::default()
    })
    .exec(conn)
    .await?;
    Ok(row)
}

/// Removes an endpoint with its deliveries and attempts.
pub async fn delete_endpoint(conn: &impl ConnectionTrait, id: Uuid) -> Result<(), StoreError> {
    // Explicit child deletes: SQLite enforces cascades only with foreign keys switched on.
    let deliveries: Vec<Uuid> = webhook_delivery::Entity::find()
        .filter(webhook_delivery::Column::EndpointId.eq(id))
        .select_only()
        .column(webhook_delivery::Column::Id)
        .into_tuple()
        .all(conn)
        .await?;
    webhook_attempt::Entity::delete_many()
        .filter(webhook_attempt::Column::DeliveryId.is_in(deliveries))
        .exec(conn)
        .await?;
    webhook_delivery::Entity::delete_many()
        .filter(webhook_delivery::Column::EndpointId.eq(id))
        .exec(conn)
        .await?;
    let done = webhook_endpoint::Entity::delete_by_id(id)
        .exec(conn)
        .await?;
    if done.rows_affected == 0 {
        return Err(StoreError::NotFound { entity: "webhook" });
    }
    Ok(())
}

/// Queues each event for every active endpoint following one of its topics; the endpoints are
/// read once, and the deliveries written in multi-row inserts.
pub(crate) async fn enqueue_many(
    conn: &impl ConnectionTrait,
    events: &[(feed_event::Model, Vec<String>)],
) -> Result<(), StoreError> {
    if events.is_empty() {
        return Ok(());
    }
    let active = webhook_endpoint::Entity::find()
        .filter(webhook_endpoint::Column::Active.eq(true))
        .all(conn)
        .await?;
    if active.is_empty() {
        return Ok(());
    }
    // Matched on the stored keys as they are: every write passes here, so nothing is parsed,
    // and one endpoint with an unreadable topic cannot fail writes it has nothing to do with.
    let followed: Vec<(Uuid, BTreeSet<String>)> = active
        .iter()
        .map(|e| {
            let mut keys: BTreeSet<String> = super::string_list(&e.topics).into_iter().collect();
            keys.insert(Topic::Organisation(e.organisation_id).key());
            (e.id, keys)
        })
        .collect();
    let mut rows: Vec<webhook_delivery::ActiveModel> = Vec::new();
    for (event, topics) in events {
        let payload = serde_json::json!({
            "id": event.id,
            "at": event.at,
            "action": event.action,
            "entity": event.entity,
            "entity_id": event.entity_id,
            "title": event.title,
            "actor": {"role": event.actor_role.as_deref().unwrap_or("system"), "organisation_id": event.actor_organisation_id},
            "topics": topics,
        });
        rows.extend(
            followed
                .iter()
                .filter(|(_, f)| topics.iter().any(|t| f.contains(t)))
                .map(|(endpoint, _)| webhook_delivery::ActiveModel {
                    id: Set(Uuid::now_v7()),
                    endpoint_id: Set(*endpoint),
                    event_id: Set(event.id),
                    payload: Set(payload.clone()),
                    status: Set(DeliveryStatus::Pending.as_str().to_owned()),
                    attempts: Set(0),
                    next_attempt_at: Set(event.at),
                    last_status_code: Set(None),
                    last_error: Set(None),
                    created_at: Set(event.at),
                    delivered_at: Set(None),
                }),
        );
    }
    for chunk in rows.chunks(500) {
        webhook_delivery::Entity::insert_many(chunk.to_vec())
            .exec(conn)
            .await?;
    }
    Ok(())
}

/// A delivery that is due, with where and how to send it.
#[derive(Debug, Clone)]
pub struct DueDelivery {
    pub delivery: Delivery,
    pub url: String,
    pub secret: String,
}

/// Pending deliveries whose time has come, oldest first, on active endpoints other than
/// `skip` (endpoints the caller is still busy with, so they cannot crowd out the rest).
pub async fn due(
    conn: &impl ConnectionTrait,
    now: DateTime<Utc>,
    limit: u64,
    skip: &[Uuid],
) -> Result<Vec<DueDelivery>, StoreError> {
    let deliveries = webhook_delivery::Entity::find()
        .filter(webhook_delivery::Column::Status.eq(DeliveryStatus::Pending.as_str()))
        .filter(webhook_delivery::Column::EndpointId.is_not_in(skip.iter().copied()))
        .filter(webhook_delivery::Column::NextAttemptAt.lte(now))
        .order_by_asc(webhook_delivery::Column::NextAttemptAt)
        .order_by_asc(webhook_delivery::Column::Id)
        .limit(limit)
        .all(conn)
        .await?;
    let ids: BTreeSet<Uuid> = deliveries.iter().map(|d| d.endpoint_id).collect();
    let endpoints = webhook_endpoint::Entity::find()
        .filter(webhook_endpoint::Column::Id.is_in(ids))
        .filter(webhook_endpoint::Column::Active.eq(true))
        .all(conn)
        .await?;
    let mut due = Vec::with_capacity(deliveries.len());
    for delivery in deliveries {
        if let Some(e) = endpoints.iter().find(|e| e.id == delivery.endpoint_id) {
            due.push(DueDelivery {
                delivery: delivery_record(delivery)?,
                url: e.url.clone(),
                secret: e.secret.clone(),
            });
        }
    }
    Ok(due)
}

/// Claims a due delivery for one attempt by pushing its next attempt to `lease_until`; false
/// when another dispatcher got there first.
pub async fn claim(
    conn: &impl ConnectionTrait,
    d: &Delivery,
    lease_until: DateTime<Utc>,
) -> Result<bool, StoreError> {
    let done = webhook_delivery::Entity::update_many()
        .col_expr(
            webhook_delivery::Column::NextAttemptAt,
            Expr::value(lease_until),
        )
        .filter(webhook_delivery::Column::Id.eq(d.id))
        .filter(webhook_delivery::Column::Status.eq(DeliveryStatus::Pending.as_str()))
        .filter(webhook_delivery::Column::Attempts.eq(d.attempts))
        .filter(webhook_delivery::Column::NextAttemptAt.eq(d.next_attempt_at))
        .exec(conn)
        .await?;
    Ok(done.rows_affected == 1)
}

/// What one attempt got back.
#[derive(Debug, Clone)]
pub struct Attempt {
    pub at: DateTime<Utc>,
    pub status_code: Option<u16>,
    pub error: Option<String>,
    pub duration_ms: i64,
}

/// What happens to the delivery after the attempt.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Next {
    Delivered,
    RetryAt(DateTime<Utc>),
    GiveUp,
}

/// Logs an attempt and moves the delivery on, atomically.
pub async fn finish_attempt<C>(
    conn: &C,
    d: &Delivery,
    attempt: Attempt,
    next: Next,
) -> Result<(), StoreError>
where
    C: ConnectionTrait + TransactionTrait,
{
    let txn = conn.begin().await?;
    let number = d.attempts.saturating_add(1);
    webhook_attempt::Entity::insert(webhook_attempt::ActiveModel {
        id: Set(Uuid::now_v7()),
        delivery_id: Set(d.id),
        attempt: Set(number),
        at: Set(attempt.at),
        status_code: Set(attempt.status_code.map(i32::from)),
        error: Set(attempt.error.clone()),
        duration_ms: Set(attempt.duration_ms),
    })
    .exec(&txn)
    .await?;
    let mut update = webhook_delivery::Entity::update_many()
        .col_expr(webhook_delivery::Column::Attempts, Expr::value(number))
        .col_expr(
            webhook_delivery::Column::LastStatusCode,
            Expr::value(attempt.status_code.map(i32::from)),
        )
        .col_expr(
            webhook_delivery::Column::LastError,
            Expr::value(attempt.error),
        );
    update = match next {
        Next::Delivered => update
            .col_expr(
                webhook_delivery::Column::Status,
                Expr::value(DeliveryStatus::Delivered.as_str()),
            )
            .col_expr(
                webhook_delivery::Column::DeliveredAt,
                Expr::value(Some(attempt.at)),
            ),
        Next::RetryAt(at) => {
            update.col_expr(webhook_delivery::Column::NextAttemptAt, Expr::value(at))
        }
        Next::GiveUp => update.col_expr(
            webhook_delivery::Column::Status,
            Expr::value(DeliveryStatus::Failed.as_str()),
        ),
    };
    update
        .filter(webhook_delivery::Column::Id.eq(d.id))
        .exec(&txn)
        .await?;
    txn.commit().await?;
    Ok(())
}

/// Sends a failed delivery again from the start (after the partner fixed their endpoint).
pub async fn redeliver(
    conn: &impl ConnectionTrait,
    endpoint_id: Uuid,
    delivery_id: Uuid,
) -> Result<Delivery, StoreError> {
    let mut d = delivery(conn, endpoint_id, delivery_id).await?;
    d.status = DeliveryStatus::Pending;
    d.next_attempt_at = Utc::now();
    webhook_delivery::Entity::update_many()
        .col_expr(
            webhook_delivery::Column::Status,
            Expr::value(DeliveryStatus::Pending.as_str()),
        )
        .col_expr(
            webhook_delivery::Column::NextAttemptAt,
            Expr::value(d.next_attempt_at),
        )
        .filter(webhook_delivery::Column::Id.eq(d.id))
        .exec(conn)
        .await?;
    Ok(d)
}

async fn delivery(
    conn: &impl ConnectionTrait,
    endpoint_id: Uuid,
    delivery_id: Uuid,
) -> Result<Delivery, StoreError> {
    delivery_record(
        webhook_delivery::Entity::find_by_id(delivery_id)
            .filter(webhook_delivery::Column::EndpointId.eq(endpoint_id))
            .one(conn)
            .await?
            .ok_or(StoreError::NotFound { entity: "delivery" })?,
    )
}

/// The delivery log of an endpoint, newest first, each delivery with its attempts in order.
pub async fn deliveries(
    conn: &impl ConnectionTrait,
    endpoint_id: Uuid,
    status: Option<DeliveryStatus>,
    limit: u64,
    offset: u64,
) -> Result<Page<(Delivery, Vec<LoggedAttempt>)>, StoreError> {
    let mut select = webhook_delivery::Entity::find()
        .filter(webhook_delivery::Column::EndpointId.eq(endpoint_id));
    if let Some(s) = status {
        select = select.filter(webhook_delivery::Column::Status.eq(s.as_str()));
    }
    let page = super::paginate(
        conn,
        select
            .order_by_desc(webhook_delivery::Column::CreatedAt)
            .order_by_desc(webhook_delivery::Column::Id),
        limit,
        offset,
    )
    .await?;
    let ids: Vec<Uuid> = page.items.iter().map(|d| d.id).collect();
    let attempts: Vec<LoggedAttempt> = webhook_attempt::Entity::find()
        .filter(webhook_attempt::Column::DeliveryId.is_in(ids))
        .order_by_asc(webhook_attempt::Column::Attempt)
        .all(conn)
        .await?
        .into_iter()
        .map(|a| LoggedAttempt {
            delivery_id: a.delivery_id,
            attempt: a.attempt,
            at: a.at,
            status_code: a.status_code,
            error: a.error,
            duration_ms: a.duration_ms,
        })
        .collect();
    let mut items = Vec::with_capacity(page.items.len());
    for d in page.items {
        let mine = attempts
            .iter()
            .filter(|a| a.delivery_id == d.id)
            .cloned()
            .collect();
        items.push((delivery_record(d)?, mine));
    }
    Ok(Page {
        total: page.total,
        items,
    })
}
