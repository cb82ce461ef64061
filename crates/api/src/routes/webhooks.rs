//! Webhook endpoints: an organisation registers a URL and the topics it follows; every write on
//! those topics (and on the organisation itself) is POSTed there, signed, with retries and a
//! delivery log. Admins manage any organisation's endpoints, everyone else their own
//! organisation's; another organisation's endpoint is 404.

use std::time::Duration;

use actix_web::{HttpRequest, HttpResponse, delete, get, patch, post, web};
use broker_domain::notify::{DeliveryStatus, Topic};
use broker_store::repo::webhooks::{self, Endpoint, EndpointChange, NewEndpoint};
use broker_store::repo::{audit, reference};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::app::AppState;
use crate::auth::Identity;
use crate::dto::{Page, Paging};
use crate::error::ApiError;
use crate::extract::ValidJson;
use crate::routes::me::existing_topic;

/// A topic, as in subscriptions.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct TopicInput {
    /// `municipality`, `competence`, `focus_area`, `platform` or `organisation`.
    #[schema(value_type = crate::dto::enums::TopicKind)]
    pub kind: String,
    pub value: String,
}

/// A new endpoint.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookInput {
    /// The owning organisation; defaults to the caller's (admins must name one).
    pub organisation_id: Option<Uuid>,
    /// Absolute `http` or `https` URL that receives `POST`s.
    pub url: String,
    /// Topics to follow besides the organisation itself (at most 100).
    #[serde(default)]
    pub topics: Vec<TopicInput>,
}

/// Changes to an endpoint.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct WebhookPatch {
    pub url: Option<String>,
    /// Replaces the followed topics.
    pub topics: Option<Vec<TopicInput>>,
    /// `false` pauses deliveries (they wait in the outbox); `true` resumes.
    pub active: Option<bool>,
    /// `true` issues a new signing secret, returned once in this response.
    #[serde(default)]
    pub rotate_secret: bool,
}

/// An endpoint.
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookDto {
    pub id: Uuid,
    pub organisation_id: Uuid,
    pub url: String,
    /// Followed topics as `kind:value`; the organisation's own topic is always followed.
    pub topics: Vec<String>,
    pub active: bool,
    /// The signing secret: only in the response that created or rotated it. Receivers verify
    /// `X-Kompetens-Signature: sha256=HMAC-SHA256(secret, "<X-Kompetens-Timestamp>.<body>")`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub secret: Option<String>,
    pub created_at: DateTime<Utc>,
    pub updated_at: DateTime<Utc>,
}

/// An organisation's endpoints.
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookList {
    pub items: Vec<WebhookDto>,
}

/// One attempt to deliver.
#[derive(Debug, Serialize, ToSchema)]
pub struct AttemptDto {
    pub attempt: i32,
    pub at: DateTime<Utc>,
    /// The receiver's HTTP status, when it answered.
    pub status_code: Option<i32>,
    pub error: Option<String>,
    pub duration_ms: i64,
}

/// One event on its way to an endpoint.
#[derive(Debug, Serialize, ToSchema)]
pub struct WebhookDeliveryDto {
    pub id: Uuid,
    pub event_id: Uuid,
    /// The body sent.
    #[schema(value_type = std::collections::HashMap<String, serde_json::Value>)]
    pub payload: serde_json::Value,
    /// `pending`, `delivered` or `failed` (attempts used up).
    #[schema(value_type = crate::dto::enums::WebhookDeliveryStatus)]
    pub status: String,
    pub attempts: i32,
    /// When a pending delivery is tried next.
    pub next_attempt_at: Option<DateTime<Utc>>,
    pub last_status_code: Option<i32>,
    pub last_error: Option<String>,
    pub created_at: DateTime<Utc>,
    pub delivered_at: Option<DateTime<Utc>>,
    pub attempt_log: Vec<AttemptDto>,
}

/// Filters for the delivery log.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct DeliveryQuery {
    /// `pending`, `delivered` or `failed`.
    #[param(value_type = Option<crate::dto::enums::WebhookDeliveryStatus>)]
    pub status: Option<String>,
    /// Deliveries per page, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u64>,
    pub offset: Option<u64>,
}

fn dto(row: Endpoint, secret: Option<String>) -> WebhookDto {
    WebhookDto {
        id: row.id,
        organisation_id: row.organisation_id,
        url: row.url.clone(),
        topics: row.followed_topics().into_iter().collect(),
        active: row.active,
        secret,
        created_at: row.created_at,
        updated_at: row.updated_at,
    }
}

/// What the audit trail keeps of an endpoint: never the secret.
fn snapshot(row: &Endpoint) -> Option<serde_json::Value> {
    serde_json::to_value(dto(row.clone(), None)).ok()
}

fn new_secret() -> String {
    // Two random v4 UUIDs: 244 random bits from the OS generator.
    format!("{}{}", Uuid::new_v4().simple(), Uuid::new_v4().simple())
}

/// Checks a webhook URL: http(s), a host, and (unless private targets are allowed) a public
/// address. A literal address is judged as written; a host name that resolves now must resolve
/// only to public addresses. A name that does not resolve yet is accepted: the dispatcher
/// checks the address it connects to on every delivery.
async fn check_url(state: &AppState, field: &str, raw: &str) -> Result<String, ApiError> {
    if raw.len() > 2000 {
        return Err(ApiError::field(field, "at most 2000 characters"));
    }
    let url = reqwest::Url::parse(raw.trim())
        .map_err(|e| ApiError::field(field, format!("not an absolute URL: {e}")))?;
    if !matches!(url.scheme(), "http" | "https") {
        return Err(ApiError::field(field, "must be an http or https URL"));
    }
    if !url.username().is_empty() || url.password().is_some() {
        return Err(ApiError::field(
            field,
            "must not carry credentials; receivers verify the signature instead",
        ));
    }
    let refused = || {
        ApiError::field(
            field,
            "points at a loopback, private, link-local or otherwise non-public address; set BROKER_WEBHOOK_ALLOW_PRIVATE_TARGETS=true to allow it",
        )
    };
    let public = match url.host() {
        None => return Err(ApiError::field(field, "must name a host")),
        Some(url::Host::Ipv4(ip)) => broker_domain::net::is_public(ip.into()),
        Some(url::Host::Ipv6(ip)) => broker_domain::net::is_public(ip.into()),
        Some(url::Host::Domain(d)) => {
            let d = d.trim_end_matches('.').to_ascii_lowercase();
            if d == "localhost" || d.ends_with(".localhost") {
                false
            } else if state.settings.webhook_allow_private_targets {
                true
            } else {
                resolves_publicly_or_not_at_all(&d).await
            }
        }
    };
    if !public && !state.settings.webhook_allow_private_targets {
        return Err(refused());
    }
    Ok(url.to_string())
}

/// False when `host` resolves now and any of its addresses is not public (a name pointing at
/// 127.0.0.1 is refused even if it also has a public address: which one a connection gets is
/// not ours to choose).
async fn resolves_publicly_or_not_at_all(host: &str) -> bool {
    let lookup = tokio::net::lookup_host((host, 0));
    match tokio::time::timeout(Duration::from_secs(2), lookup).await {
        Ok(Ok(addresses)) => addresses
            .into_iter()
            .all(|a| broker_domain::net::is_public(a.ip())),
        // Not resolvable (yet) or too slow to say: the delivery-time check decides.
        Ok(Err(_)) | Err(_) => true,
    }
}

async fn check_topics(state: &AppState, topics: &[TopicInput]) -> Result<Vec<Topic>, ApiError> {
    if topics.len() > 100 {
        return Err(ApiError::field("topics", "at most 100 topics"));
    }
    let mut keys = Vec::with_capacity(topics.len());
    for (i, t) in topics.iter().enumerate() {
        let topic = existing_topic(state, &t.kind, &t.value)
            .await
            .map_err(|e| match e {
                ApiError::Validation(fields) => ApiError::Validation(
                    fields
                        .into_iter()
                        .map(|f| f.under(&format!("topics[{i}]")))
                        .collect(),
                ),
                other => other,
            })?;
        keys.push(topic);
    }
    keys.sort();
    keys.dedup();
    Ok(keys)
}

/// The organisation whose endpoints the caller manages.
fn own_organisation(who: &Identity, named: Option<Uuid>) -> Result<Uuid, ApiError> {
    if who.is_admin() {
        return named.ok_or_else(|| {
            ApiError::field("organisation_id", "admins must name the organisation")
        });
    }
    let Some(mine) = who.claims().organisation else {
        return Err(ApiError::Forbidden(
            "webhooks belong to organisations; your token names none".into(),
        ));
    };
    match named {
        Some(other) if other != mine => Err(ApiError::Forbidden(
            "you manage only your own organisation's webhooks".into(),
        )),
        _ => Ok(mine),
    }
}

/// Loads an endpoint the caller may manage; another organisation's is not found.
async fn visible(state: &AppState, who: &Identity, id: Uuid) -> Result<Endpoint, ApiError> {
    let row = webhooks::endpoint(state.store.conn(), id).await?;
    if who.is_admin() || who.claims().organisation == Some(row.organisation_id) {
        Ok(row)
    } else {
        Err(ApiError::NotFound("webhook"))
    }
}

/// Registers an endpoint. The response carries the signing secret, once.
#[utoipa::path(
    operation_id = "createWebhook",
    tag = "webhooks",
    request_body = WebhookInput,
    security(("bearer" = [])),
    responses(
        (status = 201, body = WebhookDto),
        (status = 401, description = "missing or invalid token", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "not your organisation, or your token names none", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "bad URL or topic", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/webhooks")]
pub async fn create(
    state: web::Data<AppState>,
    who: Identity,
    ValidJson(input): ValidJson<WebhookInput>,
) -> Result<HttpResponse, ApiError> {
    let organisation_id = own_organisation(&who, input.organisation_id)?;
    let url = check_url(&state, "url", &input.url).await?;
    let topics = check_topics(&state, &input.topics).await?;
    match reference::get_organisation(state.store.conn(), organisation_id).await {
        Err(broker_store::StoreError::NotFound { .. }) => {
            return Err(ApiError::field("organisation_id", "no such organisation"));
        }
        other => {
            other?;
        }
    }
    let secret = new_secret();
    let txn = state.store.begin().await?;
    let row = webhooks::create_endpoint(
        &txn,
        NewEndpoint {
            organisation_id,
            url,
            secret: secret.clone(),
            topics,
            created_by: who.subject().to_owned(),
        },
    )
    .await?;
    audit::record(
        &txn,
        audit::AuditEntry {
            actor: who.subject().to_owned(),
            actor_role: Some(who.role().as_str()),
            actor_organisation: who.claims().organisation,
            action: "webhook.create".into(),
            entity: "webhook",
            entity_id: Some(row.id),
            before: None,
            after: snapshot(&row),
        },
    )
    .await?;
    txn.commit().await.map_err(ApiError::internal)?;
    Ok(HttpResponse::Created().json(dto(row, Some(secret))))
}

/// Params naming an organisation.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct WebhookListQuery {
    /// Admins: only this organisation's endpoints (default all).
    pub organisation_id: Option<Uuid>,
}

/// My organisation's endpoints (admins: all, or one organisation's).
#[utoipa::path(
    operation_id = "listWebhooks",
    tag = "webhooks",
    params(WebhookListQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, body = WebhookList),
        (status = 401, description = "missing or invalid token", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "your token names no organisation", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[get("/api/v1/webhooks")]
pub async fn list(
    state: web::Data<AppState>,
    who: Identity,
    query: crate::extract::ValidQuery<WebhookListQuery>,
) -> Result<HttpResponse, ApiError> {
    let organisation = if who.is_admin() {
        query.organisation_id
    } else {
        Some(own_organisation(&who, query.organisation_id)?)
    };
    let rows = webhooks::endpoints(state.store.conn(), organisation).await?;
    Ok(HttpResponse::Ok().json(WebhookList {
        items: rows.into_iter().map(|r| dto(r, None)).collect(),
    }))
}

/// One endpoint.
#[utoipa::path(
    operation_id = "getWebhook",
    tag = "webhooks",
    params(("id" = Uuid, Path, description = "webhook id")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = WebhookDto),
        (status = 401, description = "missing or invalid token", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "no such webhook of yours", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[get("/api/v1/webhooks/{id}")]
pub async fn get(
    state: web::Data<AppState>,
    who: Identity,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(dto(visible(&state, &who, *id).await?, None)))
}

/// Changes the URL or topics, pauses or resumes, or rotates the secret.
#[utoipa::path(
    operation_id = "updateWebhook",
    tag = "webhooks",
    params(("id" = Uuid, Path, description = "webhook id")),
    request_body = WebhookPatch,
    security(("bearer" = [])),
    responses(
        (status = 200, body = WebhookDto),
        (status = 401, description = "missing or invalid token", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "no such webhook of yours", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "bad URL or topic", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[patch("/api/v1/webhooks/{id}")]
pub async fn update(
    state: web::Data<AppState>,
    who: Identity,
    id: web::Path<Uuid>,
    ValidJson(input): ValidJson<WebhookPatch>,
) -> Result<HttpResponse, ApiError> {
    let before = visible(&state, &who, *id).await?;
    let url = match input.url.as_deref() {
        Some(u) => Some(check_url(&state, "url", u).await?),
        None => None,
    };
    let topics = match &input.topics {
        Some(t) => Some(check_topics(&state, t).await?),
        None => None,
    };
    let secret = input.rotate_secret.then(new_secret);
    let txn = state.store.begin().await?;
    let after = webhooks::update_endpoint(
        &txn,
        *id,
        EndpointChange {
            url,
            topics,
            active: input.active,
            secret: secret.clone(),
        },
    )
    .await?;
    audit::record(
        &txn,
        audit::AuditEntry {
            actor: who.subject().to_owned(),
            actor_role: Some(who.role().as_str()),
            actor_organisation: who.claims().organisation,
            action: "webhook.update".into(),
            entity: "webhook",
            entity_id: Some(*id),
            before: snapshot(&before),
            after: snapshot(&after),
        },
    )
    .await?;
    txn.commit().await.map_err(ApiError::internal)?;
    Ok(HttpResponse::Ok().json(dto(after, secret)))
}

/// Removes an endpoint and its delivery log.
#[utoipa::path(
    operation_id = "deleteWebhook",
    tag = "webhooks",
    params(("id" = Uuid, Path, description = "webhook id")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "removed"),
        (status = 401, description = "missing or invalid token", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "no such webhook of yours", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/api/v1/webhooks/{id}")]
pub async fn remove(
    state: web::Data<AppState>,
    who: Identity,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let before = visible(&state, &who, *id).await?;
    let txn = state.store.begin().await?;
    webhooks::delete_endpoint(&txn, *id).await?;
    audit::record(
        &txn,
        audit::AuditEntry {
            actor: who.subject().to_owned(),
            actor_role: Some(who.role().as_str()),
            actor_organisation: who.claims().organisation,
            action: "webhook.delete".into(),
            entity: "webhook",
            entity_id: Some(*id),
            before: snapshot(&before),
            after: None,
        },
    )
    .await?;
    txn.commit().await.map_err(ApiError::internal)?;
    Ok(HttpResponse::NoContent().finish())
}

/// The delivery log: newest first, each delivery with every attempt.
#[utoipa::path(
    operation_id = "listWebhookDeliveries",
    tag = "webhooks",
    params(("id" = Uuid, Path, description = "webhook id"), DeliveryQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, body = Page<WebhookDeliveryDto>),
        (status = 401, description = "missing or invalid token", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "no such webhook of yours", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "bad query parameter", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[get("/api/v1/webhooks/{id}/deliveries")]
pub async fn deliveries(
    state: web::Data<AppState>,
    who: Identity,
    id: web::Path<Uuid>,
    query: crate::extract::ValidQuery<DeliveryQuery>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    visible(&state, &who, *id).await?;
    let status = query
        .status
        .as_deref()
        .map(DeliveryStatus::parse)
        .transpose()
        .map_err(|e| ApiError::from(e.under("status")))?;
    let (limit, offset) = Paging {
        limit: query.limit,
        offset: query.offset,
    }
    .resolve()?;
    let page = webhooks::deliveries(state.store.conn(), *id, status, limit, offset).await?;
    let items = page
        .items
        .into_iter()
        .map(|(d, attempts)| WebhookDeliveryDto {
            next_attempt_at: (d.status == DeliveryStatus::Pending).then_some(d.next_attempt_at),
            id: d.id,
            event_id: d.event_id,
            payload: d.payload,
            status: d.status.as_str().to_owned(),
            attempts: d.attempts,
            last_status_code: d.last_status_code,
            last_error: d.last_error,
            created_at: d.created_at,
            delivered_at: d.delivered_at,
            attempt_log: attempts
                .into_iter()
                .map(|a| AttemptDto {
                    attempt: a.attempt,
                    at: a.at,
                    status_code: a.status_code,
                    error: a.error,
                    duration_ms: a.duration_ms,
                })
                .collect(),
        })
        .collect();
    Ok(HttpResponse::Ok().json(Page::new(items, page.total, limit, offset, &req)))
}

/// Queues a delivery again now (after a receiver was fixed); its attempt log is kept.
#[utoipa::path(
    operation_id = "redeliverWebhookDelivery",
    tag = "webhooks",
    params(("id" = Uuid, Path, description = "webhook id"), ("delivery_id" = Uuid, Path, description = "delivery id")),
    security(("bearer" = [])),
    responses(
        (status = 202, description = "queued"),
        (status = 401, description = "missing or invalid token", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "no such webhook or delivery of yours", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/webhooks/{id}/deliveries/{delivery_id}/redeliver")]
pub async fn redeliver(
    state: web::Data<AppState>,
    who: Identity,
    path: web::Path<(Uuid, Uuid)>,
) -> Result<HttpResponse, ApiError> {
    let (id, delivery_id) = path.into_inner();
    visible(&state, &who, id).await?;
    webhooks::redeliver(state.store.conn(), id, delivery_id).await?;
    Ok(HttpResponse::Accepted().finish())
}
