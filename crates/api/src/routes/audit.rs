//! The audit trail: every write leaves an entry (who, what, when, before and after); admins read it.

use actix_web::{HttpRequest, HttpResponse, get, web};
use broker_store::repo::audit::{self, AuditFilter};
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::app::AppState;
use crate::auth::Identity;
use crate::dto::{Page, Paging};
use crate::error::ApiError;

/// Filters for the trail.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    /// `need`, `offer`, `match`, `organisation`, ...
    pub entity: Option<String>,
    pub entity_id: Option<Uuid>,
    /// The token subject that made the change.
    pub actor: Option<String>,
    /// Only entries at or after this instant (RFC 3339).
    pub since: Option<DateTime<Utc>>,
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u64>,
    pub offset: Option<u64>,
}

/// One write.
#[derive(Debug, Serialize, ToSchema)]
pub struct AuditEntryDto {
    pub id: Uuid,
    pub at: DateTime<Utc>,
    pub actor: String,
    pub action: String,
    pub entity: String,
    pub entity_id: Option<Uuid>,
    /// The object before the write (absent for creates).
    pub before: Option<serde_json::Value>,
    /// The object after the write (absent for deletes).
    pub after: Option<serde_json::Value>,
}

/// The audit trail, newest first. Admins only.
#[utoipa::path(
    operation_id = "listAuditEntries",
    tag = "audit",
    params(AuditQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, body = Page<AuditEntryDto>),
        (status = 401, description = "missing or invalid token", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "not an admin", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "bad query parameter", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[get("/api/v1/audit")]
pub async fn list(
    state: web::Data<AppState>,
    who: Identity,
    query: crate::extract::ValidQuery<AuditQuery>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    if !who.is_admin() {
        return Err(ApiError::Forbidden(
            "only admins read the audit trail".into(),
        ));
    }
    let (limit, offset) = Paging {
        limit: query.limit,
        offset: query.offset,
    }
    .resolve()?;
    let filter = AuditFilter {
        entity: query.entity.clone(),
        entity_id: query.entity_id,
        actor: query.actor.clone(),
        since: query.since,
    };
    let page = audit::list(state.store.conn(), &filter, limit, offset).await?;
    let items = page
        .items
        .into_iter()
        .map(|r| AuditEntryDto {
            id: r.id,
            at: r.at,
            actor: r.actor,
            action: r.action,
            entity: r.entity,
            entity_id: r.entity_id,
            before: r.before,
            after: r.after,
        })
        .collect();
    Ok(HttpResponse::Ok().json(Page::new(items, page.total, limit, offset, &req)))
}
