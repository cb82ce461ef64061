//! The broker's review queue: suggestions, decisions (with optimistic concurrency), outcomes.

use std::collections::HashMap;

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, post, web};
use broker_application::AppError;
use broker_application::access::MatchAccess;
use broker_application::matches as match_cases;
use broker_domain::matching::{MatchKind, MatchStatus, MatchSuggestion, Outcome};
use broker_matching::{Lang, Reason};
use broker_store::repo::matches;
use broker_store::repo::{audit, needs, offers, reference};
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use crate::app::AppState;
use crate::auth::Identity;
use crate::dto::matches::{DecisionRequest, MatchDto, OutcomeDto, OutcomeRequest};
use crate::dto::{Page, Paging, csv_param};
use crate::error::ApiError;
use crate::extract::ValidJson;

/// Match rows to DTOs with a readable label for each target. With a language, explanations are
/// rendered in it from the stored reasons (sentences, concept labels and place names); without
/// one, or for rows stored before reasons were kept, the stored explanation is returned.
pub async fn to_dtos(
    state: &AppState,
    rows: Vec<MatchSuggestion>,
    lang: Option<Lang>,
) -> Result<Vec<MatchDto>, ApiError> {
    let labels = target_labels(state, rows.iter().map(|r| (r.kind.as_str(), r.target_id))).await?;
    let mut out: Vec<MatchDto> = rows.into_iter().map(|r| dto(r, &labels)).collect();
    if let Some(lang) = lang {
        state.matcher.with_engine(|e| {
            for m in &mut out {
                if let Some(reasons) = stored_reasons(&m.evidence) {
                    m.explanation = e.explain(&reasons, lang);
                }
            }
        });
    }
    Ok(out)
}

/// The reasons kept in a stored suggestion's evidence, when there are any.
fn stored_reasons(evidence: &serde_json::Value) -> Option<Vec<Reason>> {
    let reasons = evidence.get("reasons")?;
    serde_json::from_value::<Vec<Reason>>(reasons.clone())
        .ok()
        .filter(|r| !r.is_empty())
}

/// The language explanations are asked in: `lang` (`sv`, `nb` or `en`; anything else is a 422
/// on `lang`), else the best of `Accept-Language` when the header is sent, else none (the
/// stored explanation: English sentences naming concepts in the need's language).
pub fn explanation_lang(
    req: &HttpRequest,
    explicit: Option<&str>,
) -> Result<Option<Lang>, ApiError> {
    if explicit.is_none() && !req.headers().contains_key(header::ACCEPT_LANGUAGE) {
        return Ok(None);
    }
    let code = crate::routes::public::response_lang(req, explicit)?;
    Ok(Some(match code {
        "nb" => Lang::Nb,
        "en" => Lang::En,
        _ => Lang::Sv,
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct LangQuery {
    /// Language of explanations: `sv`, `nb` or `en` (default: from `Accept-Language`, else the
    /// stored English explanation).
    #[param(value_type = Option<crate::dto::enums::Language>)]
    pub lang: Option<String>,
}

/// Display labels of suggestion targets (offer titles, need summaries, contact names), by id.
pub async fn target_labels<'a>(
    state: &AppState,
    targets: impl Iterator<Item = (&'a str, Uuid)>,
) -> Result<HashMap<Uuid, String>, ApiError> {
    let conn = state.store.conn();
    let mut by_kind: HashMap<&str, Vec<Uuid>> = HashMap::new();
    for (kind, id) in targets {
        by_kind.entry(kind).or_default().push(id);
    }
    let ids = |kind: &str| by_kind.get(kind).cloned().unwrap_or_default();
    let mut labels: HashMap<Uuid, String> = HashMap::new();
    for o in offers::get_many(conn, &ids("offer")).await? {
        labels.insert(o.id, o.spec.title.as_str().to_owned());
    }
    for n in needs::get_many(conn, &ids("need")).await? {
        labels.insert(
            n.need.id,
            format!(
                "{} ({}, {} people)",
                n.need.spec.title.as_str(),
                n.need.spec.municipality.as_str(),
                n.need.spec.headcount.get()
            ),
        );
    }
    let contacts = ids("contact");
    if !contacts.is_empty() {
        for p in reference::list_persons(conn)
            .await?
            .into_iter()
            .filter(|p| contacts.contains(&p.id))
        {
            labels.insert(p.id, p.name);
        }
    }
    Ok(labels)
}

fn dto(r: MatchSuggestion, labels: &HashMap<Uuid, String>) -> MatchDto {
    MatchDto {
        target_label: labels.get(&r.target_id).cloned(),
        id: r.id,
        need_id: r.need_id,
        kind: r.kind.as_str().to_owned(),
        target_id: r.target_id,
        platform_id: r.platform_id,
        score: r.score,
        factors: r.factors,
        explanation: r.explanation,
        evidence: r.evidence,
        status: r.status.as_str().to_owned(),
        version: r.version,
        decided_by: r.decided_by,
        decided_at: r.decided_at,
        reason: r.reason,
        created_at: r.created_at,
        updated_at: r.updated_at,
    }
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct QueueQuery {
    pub platform: Option<Uuid>,
    /// Statuses, comma-separated (default `suggested,deferred`).
    pub status: Option<String>,
    /// offer, contact, need (comma-separated).
    pub kind: Option<String>,
    /// Only suggestions scoring at least this (0..1).
    pub min_score: Option<f64>,
    /// `score` (default), `newest` or `oldest`.
    #[param(value_type = Option<crate::dto::enums::MatchSort>)]
    pub sort: Option<String>,
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u64>,
    pub offset: Option<u64>,
    /// Language of explanations: `sv`, `nb` or `en` (default: from `Accept-Language`, else the
    /// stored English explanation).
    #[param(value_type = Option<crate::dto::enums::Language>)]
    pub lang: Option<String>,
}

/// The review queue of the caller's platforms.
#[utoipa::path(operation_id = "listReviewQueue", tag = "matches", params(QueueQuery), security(("bearer" = [])), responses((status = 200, body = Page<MatchDto>), (status = 403, body = crate::error::Problem, content_type = "application/problem+json")))]
#[get("/api/v1/matches")]
pub async fn queue(
    state: web::Data<AppState>,
    who: Identity,
    query: crate::extract::ValidQuery<QueueQuery>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let scope = MatchAccess::list_scope(&who.actor())?;
    let lang = explanation_lang(&req, query.lang.as_deref())?;
    let (limit, offset) = Paging {
        limit: query.limit,
        offset: query.offset,
    }
    .resolve()?;
    let mut statuses = csv_param(query.status.as_deref());
    for s in &statuses {
        MatchStatus::parse(s).map_err(|e| ApiError::from(e.under("status")))?;
    }
    if statuses.is_empty() {
        statuses = vec!["suggested".into(), "deferred".into()];
    }
    let kinds = csv_param(query.kind.as_deref());
    for k in &kinds {
        MatchKind::parse(k).map_err(|e| ApiError::from(e.under("kind")))?;
    }
    if let Some(s) = query.min_score
        && !(0.0..=1.0).contains(&s)
    {
        return Err(ApiError::field("min_score", "must be between 0 and 1"));
    }
    let sort = match query.sort.as_deref() {
        None | Some("score") => matches::MatchSort::ScoreDesc,
        Some("newest") => matches::MatchSort::Newest,
        Some("oldest") => matches::MatchSort::Oldest,
        Some(_) => return Err(ApiError::field("sort", "must be score, newest or oldest")),
    };
    let mut filter = matches::MatchFilter {
        platform: query.platform,
        statuses,
        kinds,
        min_score: query.min_score,
        ..Default::default()
    };
    scope.restrict(&mut filter);
    let page = matches::list(state.store.conn(), &filter, sort, limit, offset).await?;
    let items = to_dtos(&state, page.items, lang).await?;
    Ok(HttpResponse::Ok().json(Page::new(items, page.total, limit, offset, &req)))
}

/// One suggestion.
#[utoipa::path(operation_id = "getMatch", tag = "matches", params(("id" = Uuid, Path), LangQuery), security(("bearer" = [])), responses((status = 200, body = MatchDto), (status = 404, body = crate::error::Problem, content_type = "application/problem+json"), (status = 422, body = crate::error::Problem, content_type = "application/problem+json")))]
#[get("/api/v1/matches/{id}")]
pub async fn get(
    state: web::Data<AppState>,
    who: Identity,
    id: web::Path<Uuid>,
    query: crate::extract::ValidQuery<LangQuery>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let lang = explanation_lang(&req, query.lang.as_deref())?;
    let row = matches::get(state.store.conn(), *id).await?;
    MatchAccess::must_review(&who.actor(), &row)?;
    Ok(HttpResponse::Ok().json(to_dtos(&state, vec![row], lang).await?.pop()))
}

/// Accepts, rejects (a reason is required) or defers a suggestion. Send the `version` you saw:
/// if someone decided or the suggestion changed since, the answer is 409 and nothing changes.
/// Accepting an offer or contact moves the need to `matched`; accepting a pooling suggestion
/// (kind `need`) moves both needs to `pooled`, ready for one course request, whose commission
/// then matches them; deferring an open need puts it `in_review`.
#[utoipa::path(
    operation_id = "decideMatch",
    tag = "matches",
    params(("id" = Uuid, Path)),
    request_body = DecisionRequest,
    security(("bearer" = [])),
    responses((status = 200, body = MatchDto), (status = 409, body = crate::error::Problem, content_type = "application/problem+json"), (status = 422, body = crate::error::Problem, content_type = "application/problem+json"))
)]
#[post("/api/v1/matches/{id}/decision")]
pub async fn decide(
    state: web::Data<AppState>,
    who: Identity,
    id: web::Path<Uuid>,
    ValidJson(body): ValidJson<DecisionRequest>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let decided = match_cases::decide(
        &state.store,
        &DecisionAudit(&who),
        &who.actor(),
        *id,
        &body.decision,
        body.reason.as_deref(),
        body.version,
    )
    .await?;
    for need_id in decided.needs_to_rematch {
        state
            .matcher
            .need_changed(need_id, std::time::Duration::ZERO)
            .await;
    }
    let lang = explanation_lang(&req, None)?;
    Ok(HttpResponse::Ok().json(to_dtos(&state, vec![decided.after], lang).await?.pop()))
}

/// A decision's audit entry and the rematch of the needs it touched, written inside the
/// decision's transaction.
struct DecisionAudit<'a>(&'a Identity);

impl match_cases::DecisionLog for DecisionAudit<'_> {
    async fn record(
        &self,
        txn: &sea_orm::DatabaseTransaction,
        decided: &match_cases::DecidedMatch,
    ) -> Result<(), AppError> {
        let who = self.0;
        let (before, after) = (&decided.before, &decided.after);
        audit::record(
            txn,
            audit::AuditEntry {
                actor: who.subject().to_owned(),
                actor_role: Some(who.role().as_str()),
                actor_organisation: who.claims().organisation,
                action: format!("match.{}", decided.decision.as_str()),
                entity: "match",
                entity_id: Some(after.id),
                before: Some(serde_json::json!({"status": before.status.as_str(), "version": before.version})),
                // The need, its target and the platform tag the feed event, so followers of the
                // need's municipality, competences, platform and employer, and the offer's provider
                // (or the pooled need's side), hear about the decision.
                after: Some(serde_json::json!({"status": after.status.as_str(), "version": after.version, "reason": after.reason, "need_id": after.need_id, "platform_id": after.platform_id, "kind": after.kind.as_str(), "target_id": after.target_id})),
            },
        )
        .await?;
        for need_id in &decided.needs_to_rematch {
            broker_store::repo::matching_jobs::enqueue_need(txn, *need_id).await?;
        }
        Ok(())
    }
}

/// Records what came of an accepted suggestion: people enrolled, a course commissioned.
#[utoipa::path(
    operation_id = "addMatchOutcome",
    tag = "matches",
    params(("id" = Uuid, Path)),
    request_body = OutcomeRequest,
    security(("bearer" = [])),
    responses((status = 201, body = OutcomeDto), (status = 409, body = crate::error::Problem, content_type = "application/problem+json"))
)]
#[post("/api/v1/matches/{id}/outcomes")]
pub async fn add_outcome(
    state: web::Data<AppState>,
    who: Identity,
    id: web::Path<Uuid>,
    ValidJson(body): ValidJson<OutcomeRequest>,
) -> Result<HttpResponse, ApiError> {
    let row = matches::get(state.store.conn(), *id).await?;
    MatchAccess::must_review(&who.actor(), &row)?;
    if row.status != MatchStatus::Accepted {
        return Err(ApiError::Conflict(format!(
            "outcomes are recorded on accepted suggestions; this one is {}",
            row.status
        )));
    }
    let outcome = Outcome::parse(
        body.enrolled,
        body.course_commissioned,
        body.note.as_deref(),
    )?;
    let txn = state.store.begin().await?;
    let saved = matches::add_outcome(&txn, *id, &outcome, who.subject()).await?;
    let dto = OutcomeDto {
        id: saved.id,
        match_id: saved.match_id,
        enrolled: saved.outcome.enrolled,
        course_commissioned: saved.outcome.course_commissioned,
        note: saved.outcome.note.map(|n| n.into_inner()),
        recorded_by: saved.recorded_by,
        created_at: saved.recorded_at,
    };
    audit::record(
        &txn,
        audit::AuditEntry {
            actor: who.subject().to_owned(),
            actor_role: Some(who.role().as_str()),
            actor_organisation: who.claims().organisation,
            action: "match.outcome".into(),
            entity: "match",
            entity_id: Some(*id),
            before: None,
            after: serde_json::to_value(&dto).ok(),
        },
    )
    .await?;
    txn.commit().await.map_err(ApiError::internal)?;
    Ok(HttpResponse::Created().json(dto))
}
