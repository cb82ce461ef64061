//! A broker exploring: a need's suggestions computed live with weights other than the platform's,
//! without storing anything or touching the review queue.

use actix_web::{HttpResponse, get, web};
use broker_application::access::NeedAccess;
use broker_domain::error::FieldError;
use broker_matching::{SuggestionKind, Weights};
use broker_store::repo::needs;
use serde::Serialize;
use utoipa::ToSchema;
use uuid::Uuid;

use crate::app::AppState;
use crate::auth::Identity;
use crate::dto::matches::WeightParams;
use crate::error::ApiError;

/// The weights and threshold a computation used.
#[derive(Debug, Serialize, ToSchema)]
pub struct WeightsDto {
    pub competence: f64,
    pub text: f64,
    pub geography: f64,
    pub timing: f64,
    pub level: f64,
    pub capacity: f64,
    pub delivery: f64,
    pub min_score: f64,
}

/// One live suggestion (not stored, so it has no id or version).
#[derive(Debug, Serialize, ToSchema)]
pub struct ExploredSuggestion {
    /// `offer`, `contact` or `need`.
    #[schema(value_type = crate::dto::enums::MatchKind)]
    pub kind: String,
    pub target_id: Uuid,
    pub target_label: Option<String>,
    pub score: f64,
    /// Each factor's value and weight.
    #[schema(value_type = Vec<crate::dto::matches::FactorDto>)]
    pub factors: serde_json::Value,
    pub explanation: String,
    #[schema(value_type = std::collections::HashMap<String, serde_json::Value>)]
    pub evidence: serde_json::Value,
}

/// Live suggestions under the given weights.
#[derive(Debug, Serialize, ToSchema)]
pub struct Exploration {
    /// The weights used: the platform's, with the request's overrides.
    pub weights: WeightsDto,
    pub items: Vec<ExploredSuggestion>,
}

/// Applies a request's overrides to the platform's weights; every value must lie in 0..1 and at
/// least one weight must stay positive.
fn overridden(
    base: broker_matching::MatchOptions,
    p: &WeightParams,
) -> Result<broker_matching::MatchOptions, ApiError> {
    let mut opts = base;
    let w = &mut opts.weights;
    let fields: [(&str, Option<f64>, &mut f64); 7] = [
        ("w_competence", p.w_competence, &mut w.competence),
        ("w_text", p.w_text, &mut w.text),
        ("w_geography", p.w_geography, &mut w.geography),
        ("w_timing", p.w_timing, &mut w.timing),
        ("w_level", p.w_level, &mut w.level),
        ("w_capacity", p.w_capacity, &mut w.capacity),
        ("w_delivery", p.w_delivery, &mut w.delivery),
    ];
    let mut errors = Vec::new();
    for (name, value, slot) in fields {
        if let Some(v) = value {
            if v.is_finite() && (0.0..=1.0).contains(&v) {
                *slot = v;
            } else {
                errors.push(FieldError::new(name, "must be between 0 and 1"));
            }
        }
    }
    if let Some(m) = p.min_score {
        if m.is_finite() && (0.0..=1.0).contains(&m) {
            opts.min_score = m;
        } else {
            errors.push(FieldError::new("min_score", "must be between 0 and 1"));
        }
    }
    if errors.is_empty() && opts.weights.validate().is_err() {
        errors.push(FieldError::new(
            "w_competence",
            "at least one weight must be positive",
        ));
    }
    if errors.is_empty() {
        Ok(opts)
    } else {
        Err(ApiError::Validation(errors))
    }
}

fn weights_dto(w: &Weights, min_score: f64) -> WeightsDto {
    WeightsDto {
        competence: w.competence,
        text: w.text,
        geography: w.geography,
        timing: w.timing,
        level: w.level,
        capacity: w.capacity,
        delivery: w.delivery,
        min_score,
    }
}

/// A need's suggestions computed now with the platform's weights overridden for this request
/// only (each `w_*` and `min_score` in 0..1). Nothing is stored; the review queue is unchanged.
#[utoipa::path(
    operation_id = "exploreNeed",
    tag = "matches",
    params(("id" = Uuid, Path), WeightParams),
    security(("bearer" = [])),
    responses(
        (status = 200, body = Exploration),
        (status = 401, description = "missing or invalid token", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "no such need (or not yours)", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "a weight outside 0..1", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[get("/api/v1/needs/{id}/explore")]
pub async fn explore(
    state: web::Data<AppState>,
    who: Identity,
    id: web::Path<Uuid>,
    query: crate::extract::ValidQuery<WeightParams>,
    req: actix_web::HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let record = needs::get(state.store.conn(), *id).await?;
    if !NeedAccess::may_see(&who.actor(), &record.need) {
        return Err(ApiError::NotFound("need"));
    }
    let base = state.matcher.options_for_platform(record.need.platform_id);
    let mut opts = overridden(base, &query)?;
    // Explanations in the language asked for (`lang`, else `Accept-Language`), when asked.
    opts.lang = crate::routes::matches::explanation_lang(&req, query.lang.map(|l| l.code()))?;
    let suggestions = state.matcher.explore(&record.need, &opts);
    let kind = |k: SuggestionKind| match k {
        SuggestionKind::Offer => "offer",
        SuggestionKind::Contact => "contact",
        SuggestionKind::Need => "need",
    };
    let labels = crate::routes::matches::target_labels(
        &state,
        suggestions.iter().map(|s| (kind(s.kind), s.target_id)),
    )
    .await?;
    let items = suggestions
        .into_iter()
        .map(|s| ExploredSuggestion {
            kind: kind(s.kind).to_owned(),
            target_label: labels.get(&s.target_id).cloned(),
            target_id: s.target_id,
            score: (s.score * 10_000.0).round() / 10_000.0,
            factors: serde_json::to_value(&s.factors).unwrap_or_default(),
            explanation: s.explanation,
            evidence: serde_json::to_value(&s.evidence).unwrap_or_default(),
        })
        .collect();
    Ok(HttpResponse::Ok().json(Exploration {
        weights: weights_dto(&opts.weights, opts.min_score),
        items,
    }))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn base() -> broker_matching::MatchOptions {
        broker_matching::MatchOptions::new(
            chrono::NaiveDate::from_ymd_opt(2026, 11, 23).unwrap_or_default(),
        )
    }

    #[test]
    fn overrides_replace_only_the_named_weights() {
        let p = WeightParams {
            w_geography: Some(0.9),
            min_score: Some(0.1),
            ..Default::default()
        };
        let o = overridden(base(), &p).map_err(|e| e.to_string());
        let o = o
            .as_ref()
            .map(|o| (o.weights.geography, o.min_score, o.weights.competence));
        assert_eq!(o, Ok((0.9, 0.1, base().weights.competence)));
    }

    #[test]
    fn out_of_range_weights_name_their_parameter() {
        let p = WeightParams {
            w_text: Some(1.5),
            min_score: Some(-0.1),
            ..Default::default()
        };
        match overridden(base(), &p) {
            Err(ApiError::Validation(errors)) => {
                let fields: Vec<&str> = errors.iter().map(|e| e.field.as_str()).collect();
                assert_eq!(fields, vec!["w_text", "min_score"]);
            }
            other => panic!("expected a validation error, got {other:?}"),
        }
    }

    #[test]
    fn all_zero_weights_are_refused() {
        let p = WeightParams {
            w_competence: Some(0.0),
            w_text: Some(0.0),
            w_geography: Some(0.0),
            w_timing: Some(0.0),
            w_level: Some(0.0),
            w_capacity: Some(0.0),
            w_delivery: Some(0.0),
            min_score: None,
            lang: None,
        };
        assert!(matches!(
            overridden(base(), &p),
            Err(ApiError::Validation(_))
        ));
    }
}
