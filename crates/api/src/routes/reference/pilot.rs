//! The pilot as a trial: how far each municipality has come, recorded by the sub-regional
//! broker (or an admin), with its history.

use actix_web::{HttpResponse, get, post, web};
use broker_domain::platform::PilotStatus;
use broker_store::repo::reference::{self, PilotStatusRecord};
use chrono::Utc;
use uuid::Uuid;

use super::{record, require_manages, resolve_municipality};
use crate::app::AppState;
use crate::auth::Identity;
use crate::dto::reference::{PilotStatusDto, PilotStatusHistory, PilotStatusInput};
use crate::error::ApiError;
use crate::extract::ValidJson;

pub fn to_dto(r: PilotStatusRecord) -> PilotStatusDto {
    PilotStatusDto {
        id: r.id,
        municipality: r.municipality.into_inner(),
        status: r.status.stage.as_str().to_owned(),
        note: r.status.note.map(|n| n.into_inner()),
        as_of: r.status.as_of,
        recorded_at: r.created_at,
    }
}

/// The status now: the one describing the latest day (the last recorded, on a tie).
pub fn history(municipality: String, rows: Vec<PilotStatusRecord>) -> PilotStatusHistory {
    let history: Vec<PilotStatusDto> = rows.into_iter().map(to_dto).collect();
    PilotStatusHistory {
        municipality,
        current: history.last().cloned(),
        history,
    }
}

/// A municipality's pilot status and its history.
#[utoipa::path(
    operation_id = "getPilotStatus",
    tag = "reference",
    params(("code" = String, Path, description = "Municipality code (`1438` or `SE-1438`)")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = PilotStatusHistory),
        (status = 401, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json")
    )
)]
#[get("/api/v1/municipalities/{code}/pilot-status")]
pub async fn get(
    state: web::Data<AppState>,
    _who: Identity,
    code: web::Path<String>,
) -> Result<HttpResponse, ApiError> {
    let conn = state.store.conn();
    let m = resolve_municipality(conn, "code", &code).await?;
    let rows = reference::pilot_statuses(conn, Some(m.code())).await?;
    Ok(HttpResponse::Ok().json(history(m.code().to_owned(), rows)))
}

/// Records how far a municipality has come in the pilot (`not_started`, `starting`, `working`,
/// `established`) with a note. Sub-regional brokers of the municipality and admins.
#[utoipa::path(
    operation_id = "recordPilotStatus",
    tag = "reference",
    params(("code" = String, Path, description = "Municipality code (`1438` or `SE-1438`)")),
    request_body = PilotStatusInput,
    security(("bearer" = [])),
    responses(
        (status = 201, body = PilotStatusDto),
        (status = 401, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json")
    )
)]
#[post("/api/v1/municipalities/{code}/pilot-status")]
pub async fn record_status(
    state: web::Data<AppState>,
    who: Identity,
    code: web::Path<String>,
    ValidJson(input): ValidJson<PilotStatusInput>,
) -> Result<HttpResponse, ApiError> {
    let m = resolve_municipality(state.store.conn(), "code", &code).await?;
    require_manages(&state, &who, &[m.code().to_owned()], "pilot statuses").await?;
    let today = Utc::now().date_naive();
    let status = PilotStatus::parse(
        &input.status,
        input.note.as_deref(),
        input.as_of.unwrap_or(today),
        today,
    )?;
    let row = PilotStatusRecord {
        id: Uuid::now_v7(),
        municipality: m.municipality.code.clone(),
        status,
        recorded_by: who.subject().to_owned(),
        created_at: Utc::now(),
    };
    let txn = state.store.begin().await?;
    let dto = to_dto(reference::insert_pilot_status(&txn, row).await?);
    let mut snapshot = serde_json::to_value(&dto).unwrap_or_default();
    if let Some(o) = snapshot.as_object_mut() {
        o.insert(
            "title".into(),
            format!("{}: {}", m.name(), dto.status).into(),
        );
    }
    record(
        &txn,
        &who,
        "pilot_status.record",
        "pilot_status",
        Some(dto.id),
        None,
        Some(snapshot),
    )
    .await?;
    txn.commit().await.map_err(ApiError::internal)?;
    Ok(HttpResponse::Created().json(dto))
}
