use actix_web::{HttpResponse, get};
use serde::Serialize;
use utoipa::ToSchema;

/// Liveness of the process.
#[derive(Debug, Serialize, ToSchema)]
pub struct Health {
    /// Always `ok` when the process answers.
    pub status: &'static str,
    pub version: &'static str,
}

/// Process liveness: answers as long as the process is up.
#[utoipa::path(operation_id = "getLiveness", tag = "system", responses((status = 200, description = "The process is up", body = Health)))]
#[get("/healthz")]
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().json(Health {
        status: "ok",
        version: env!("CARGO_PKG_VERSION"),
    })
}
