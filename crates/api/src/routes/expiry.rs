//! Running the need-expiry pass by hand (operators after downtime; tests that move the date).

use actix_web::{HttpResponse, post, web};
use chrono::{NaiveDate, Utc};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::app::AppState;
use crate::auth::Identity;
use crate::error::ApiError;
use crate::extract::ValidJson;

/// When to expire as of.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct ExpiryRun {
    /// Expire needs whose expiry date lies before this date (default today).
    pub as_of: Option<NaiveDate>,
}

/// What the pass did.
#[derive(Debug, Serialize, ToSchema)]
pub struct ExpiryReport {
    pub as_of: NaiveDate,
    /// The needs that expired now.
    pub expired: Vec<Uuid>,
}

/// Expires open and in-review needs past their expiry date now, as the background job does on
/// its interval. Admins only.
#[utoipa::path(
    operation_id = "runExpiryJob",
    tag = "admin",
    request_body = ExpiryRun,
    security(("bearer" = [])),
    responses(
        (status = 200, body = ExpiryReport),
        (status = 401, description = "missing or invalid token", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, description = "not an admin", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "invalid body", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/admin/jobs/expiry")]
pub async fn run(
    state: web::Data<AppState>,
    who: Identity,
    body: ValidJson<ExpiryRun>,
) -> Result<HttpResponse, ApiError> {
    if !who.is_admin() {
        return Err(ApiError::Forbidden("only admins run jobs".into()));
    }
    let as_of = body.0.as_of.unwrap_or_else(|| Utc::now().date_naive());
    let expired = crate::expiry::expire_due(&state.store, &state.matcher, as_of).await?;
    Ok(HttpResponse::Ok().json(ExpiryReport { as_of, expired }))
}
