//! Escalation over HTTP: a broker moves a need up by hand; an admin runs the job for a date.

use actix_web::{HttpResponse, post, web};
use broker_application::access::NeedAccess;
use broker_domain::escalation::{self as rule, EscalationRefused};
use broker_domain::values::LongText;
use broker_store::repo::needs;
use chrono::Utc;
use uuid::Uuid;

use crate::app::AppState;
use crate::auth::{Identity, Role};
use crate::dto::escalation::{EscalateInput, EscalationReport, EscalationRunInput};
use crate::dto::needs::NeedDto;
use crate::error::ApiError;
use crate::extract::ValidJson;

/// Escalates a need one step up its platform chain (local -> cluster -> sub-region) with a
/// reason. The need and its pending suggestions move to the higher platform's review queue and
/// the need's history records who escalated it and why. Send the `version` you saw.
#[utoipa::path(
    operation_id = "escalateNeed",
    tag = "needs",
    params(("id" = Uuid, Path)),
    request_body = EscalateInput,
    security(("bearer" = [])),
    responses(
        (status = 200, body = NeedDto),
        (status = 401, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, body = crate::error::Problem, content_type = "application/problem+json", description = "Not open or in review, already at the top, or changed since `version`"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json")
    )
)]
#[post("/api/v1/needs/{id}/escalate")]
pub async fn escalate(
    state: web::Data<AppState>,
    who: Identity,
    id: web::Path<Uuid>,
    ValidJson(input): ValidJson<EscalateInput>,
) -> Result<HttpResponse, ApiError> {
    let need = needs::get(state.store.conn(), *id).await?;
    if !NeedAccess::may_see(&who.actor(), &need.need) {
        return Err(ApiError::NotFound("need"));
    }
    who.require(&[Role::Broker])?;
    let note = LongText::parse(&input.reason).map_err(|e| ApiError::from(e.under("reason")))?;
    let version =
        i32::try_from(input.version).map_err(|_| ApiError::field("version", "out of range"))?;
    if version != need.need.version {
        return Err(ApiError::Conflict(format!(
            "need: it was changed by someone else (current version {}); reload and try again",
            need.need.version
        )));
    }
    let (current, parent) = state
        .escalator
        .chain_of(need.need.platform_id)
        .ok_or(ApiError::NotFound("platform"))?;
    let decision =
        rule::manual(need.need.status, &current, parent.as_ref(), note).map_err(|e| match e {
            EscalationRefused::NotActive(t) => ApiError::Transition(t),
            at_top @ EscalationRefused::AtTop(_) => ApiError::Conflict(at_top.to_string()),
        })?;
    let (after, _) = state
        .escalator
        .apply(
            &need,
            &decision,
            Utc::now().date_naive(),
            who.subject(),
            Some(who.role().as_str()),
            who.claims().organisation,
        )
        .await?;
    Ok(HttpResponse::Ok().json(crate::routes::needs::dto(&after)))
}

/// Runs the escalation job now for every active need, as if today were `as_of` (admins only).
/// The job also runs on its own every `BROKER_ESCALATION_INTERVAL_SECS` and whenever pooling
/// suggestions appear; this is for operators and for seeing the effect of days passing.
#[utoipa::path(
    operation_id = "runEscalationJob",
    tag = "admin",
    request_body = EscalationRunInput,
    security(("bearer" = [])),
    responses(
        (status = 200, body = EscalationReport),
        (status = 401, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json")
    )
)]
#[post("/api/v1/admin/jobs/escalation/run")]
pub async fn run(
    state: web::Data<AppState>,
    who: Identity,
    ValidJson(input): ValidJson<EscalationRunInput>,
) -> Result<HttpResponse, ApiError> {
    if !who.is_admin() {
        return Err(ApiError::Forbidden("requires role admin".into()));
    }
    let as_of = input.as_of.unwrap_or_else(|| Utc::now().date_naive());
    let report = state.escalator.run(as_of).await?;
    Ok(HttpResponse::Ok().json(report))
}
