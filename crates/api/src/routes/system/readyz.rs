use actix_web::{HttpResponse, get, web};
use serde::Serialize;
use utoipa::ToSchema;

use crate::app::AppState;
use crate::error::{ApiError, Problem};

/// Readiness: whether the database answers.
#[derive(Debug, Serialize, ToSchema)]
pub struct Readiness {
    pub status: &'static str,
    /// `sqlite` or `postgres`.
    #[schema(value_type = crate::dto::enums::DatabaseBackend)]
    pub database: &'static str,
}

/// Readiness: the database is reachable.
#[utoipa::path(
    operation_id = "getReadiness",
    tag = "system",
    responses(
        (status = 200, description = "Ready to serve", body = Readiness),
        (status = 503, description = "The database is unreachable", body = Problem, content_type = "application/problem+json")
    )
)]
#[get("/readyz")]
pub async fn readyz(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    state
        .store
        .ping()
        .await
        .map_err(|e| ApiError::Unavailable(format!("database unreachable: {e}")))?;
    Ok(HttpResponse::Ok().json(Readiness {
        status: "ready",
        database: state.store.backend(),
    }))
}
