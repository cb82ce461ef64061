use actix_web::{HttpResponse, get, patch, post, put, web};
use broker_domain::error::Validator;
use broker_domain::platform::{
    ActivePeriod, BrokerArrangement, Mandate, MatchingSettings, PlatformModel, check_arrangement,
    parse_key,
};
use broker_domain::values::Name;
use broker_store::repo::reference::{self, PlatformRecord, PlatformTerms};
use sea_orm::DatabaseTransaction;
use uuid::Uuid;

use super::{
    commit_structure, record, require_admin, require_manages, resolve_municipalities,
    with_platform_id,
};
use crate::app::AppState;
use crate::auth::{Identity, Role};
use crate::dto::reference::{
    MandateInput, PlatformDto, PlatformInput, PlatformPatch, PlatformSettingsPatch,
};
use crate::error::ApiError;
use crate::extract::ValidJson;

#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct PlatformList {
    pub items: Vec<PlatformDto>,
}

pub fn to_dto(p: PlatformRecord, terms: PlatformTerms) -> PlatformDto {
    let period = ActivePeriod {
        from: terms.active_from,
        to: terms.active_to,
    };
    PlatformDto {
        active: period.is_active_on(chrono::Utc::now().date_naive()),
        active_from: terms.active_from,
        active_to: terms.active_to,
        mandate: terms.mandate,
        goals: terms.goals,
        id: p.id,
        key: p.key,
        name: p.name,
        model: p.model.as_str().to_owned(),
        region_id: p.region_id,
        cluster_id: p.cluster_id,
        broker_arrangement: p.broker_arrangement,
        parent_id: p.parent_id,
        municipalities: p.municipalities,
        settings: serde_json::to_value(p.settings).unwrap_or_default(),
    }
}

/// Platforms: local competence platforms (per municipality, cluster or sub-region) and forums.
#[utoipa::path(operation_id = "listPlatforms", tag = "reference", responses((status = 200, body = PlatformList)))]
#[get("/api/v1/platforms")]
pub async fn list(state: web::Data<AppState>) -> Result<HttpResponse, ApiError> {
    let mut terms = reference::platform_terms(state.store.conn()).await?;
    let items = reference::list_platforms(state.store.conn())
        .await?
        .into_iter()
        .map(|p| {
            let t = terms.remove(&p.id).unwrap_or_default();
            to_dto(p, t)
        })
        .collect();
    Ok(HttpResponse::Ok().json(PlatformList { items }))
}

/// One platform.
#[utoipa::path(
    operation_id = "getPlatform",
    tag = "reference",
    params(("id" = Uuid, Path, description = "Platform id")),
    responses((status = 200, body = PlatformDto), (status = 404, body = crate::error::Problem, content_type = "application/problem+json"))
)]
#[get("/api/v1/platforms/{id}")]
pub async fn get(
    state: web::Data<AppState>,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    Ok(HttpResponse::Ok().json(dto_of(&state, id.into_inner()).await?))
}

/// The platform as stored, with its terms.
async fn dto_of(state: &AppState, id: Uuid) -> Result<PlatformDto, ApiError> {
    let conn = state.store.conn();
    let p = reference::get_platform(conn, id).await?;
    let terms = reference::platform_terms(conn)
        .await?
        .remove(&id)
        .unwrap_or_default();
    Ok(to_dto(p, terms))
}

/// Records a platform change (its set-up before and after, with `platform_id` so the platform's
/// followers hear of it) and commits it: matching uses the new set-up from then on.
async fn commit_change(
    state: &AppState,
    txn: DatabaseTransaction,
    who: &Identity,
    action: &str,
    before: Option<&PlatformDto>,
    after: &PlatformDto,
) -> Result<(), ApiError> {
    let snapshot = |dto: &PlatformDto| {
        serde_json::to_value(dto)
            .map(|s| with_platform_id(s, dto.id))
            .ok()
    };
    record(
        &txn,
        who,
        action,
        "platform",
        Some(after.id),
        before.and_then(snapshot),
        snapshot(after),
    )
    .await?;
    commit_structure(state, txn).await
}

/// Changes a platform's matching settings: weights, `min_score`, limits and `reach` (how far
/// from a need an on-site course may be). Admins, and brokers of the platform. Fields left out
/// keep their value; a bad value is a 422 naming the field. The platform's needs are rematched.
#[utoipa::path(
    operation_id = "updatePlatformSettings",
    tag = "reference",
    params(("id" = Uuid, Path, description = "Platform id")),
    request_body = PlatformSettingsPatch,
    security(("bearer" = [])),
    responses(
        (status = 200, body = PlatformDto),
        (status = 401, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json")
    )
)]
#[patch("/api/v1/platforms/{id}/settings")]
pub async fn update_settings(
    state: web::Data<AppState>,
    who: Identity,
    id: web::Path<Uuid>,
    ValidJson(body): ValidJson<PlatformSettingsPatch>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    match who.role() {
        Role::Admin => {}
        Role::Broker if who.has_platform(id) => {}
        Role::Broker => return Err(ApiError::NotFound("platform")),
        _ => {
            return Err(ApiError::Forbidden(
                "platform settings are changed by admins and the platform's brokers".into(),
            ));
        }
    }
    let current = reference::get_platform(state.store.conn(), id).await?;
    let before = current.settings;
    let settings = body.apply(before).validate()?;
    let txn = state.store.begin().await?;
    reference::update_platform_settings(&txn, id, settings).await?;
    record(
        &txn,
        &who,
        "platform.settings",
        "platform",
        Some(id),
        serde_json::to_value(before).ok(),
        serde_json::to_value(settings).ok(),
    )
    .await?;
    commit_structure(&state, txn).await?;
    Ok(HttpResponse::Ok().json(dto_of(&state, id).await?))
}

/// Checks that a platform named as parent exists and is not the platform itself or below it.
async fn check_parent(state: &AppState, id: Uuid, parent: Option<Uuid>) -> Result<(), ApiError> {
    let Some(mut cursor) = parent else {
        return Ok(());
    };
    let platforms = reference::list_platforms(state.store.conn()).await?;
    // Walk up from the parent: meeting the platform itself would make escalation loop.
    for _ in 0..=platforms.len() {
        if cursor == id {
            return Err(ApiError::field(
                "parent_id",
                "a platform cannot escalate to itself or to a platform below it",
            ));
        }
        match platforms.iter().find(|p| p.id == cursor) {
            Some(p) => match p.parent_id {
                Some(next) => cursor = next,
                None => return Ok(()),
            },
            None => return Err(ApiError::field("parent_id", "no platform with this id")),
        }
    }
    Ok(())
}

async fn check_cluster(state: &AppState, cluster: Option<Uuid>) -> Result<(), ApiError> {
    if let Some(c) = cluster {
        reference::get_cluster(state.store.conn(), c)
            .await
            .map_err(|_| ApiError::field("cluster_id", "no cluster with this id"))?;
    }
    Ok(())
}

/// Sets up a platform: a local competence platform (for a municipality, a cluster or the
/// sub-region, with its broker arrangement) or a forum; its escalation parent, active period
/// (a pilot's trial) and matching settings. Admins; a sub-regional broker for local platforms
/// within its sub-region.
#[utoipa::path(
    operation_id = "createPlatform",
    tag = "reference",
    request_body = PlatformInput,
    security(("bearer" = [])),
    responses(
        (status = 201, body = PlatformDto),
        (status = 401, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json")
    )
)]
#[post("/api/v1/platforms")]
pub async fn create(
    state: web::Data<AppState>,
    who: Identity,
    ValidJson(input): ValidJson<PlatformInput>,
) -> Result<HttpResponse, ApiError> {
    if !matches!(who.role(), Role::Admin | Role::Broker) {
        return Err(ApiError::Forbidden(
            "platforms are set up by admins and sub-regional brokers".into(),
        ));
    }
    let mut v = Validator::new();
    let key = v.check("key", parse_key(&input.key));
    let name = v.check("name", Name::parse(&input.name));
    let model = v.check("model", PlatformModel::parse(&input.model));
    let arrangement = v.check(
        "broker_arrangement",
        input
            .broker_arrangement
            .as_deref()
            .map(BrokerArrangement::parse)
            .transpose(),
    );
    let period = v.check(
        "active_to",
        ActivePeriod::parse(input.active_from, input.active_to)
            .map_err(|_| broker_domain::DomainError::invalid("", "must not be before active_from")),
    );
    if let (Some(model), Some(arrangement)) = (model, arrangement) {
        v.check("", check_arrangement(model, arrangement));
    }
    let settings = v.check(
        "settings",
        input.settings.apply(MatchingSettings::default()).validate(),
    );
    if input.municipalities.is_empty() {
        v.fail(
            "municipalities",
            "a platform serves at least one municipality",
        );
    }
    v.finish()?;
    let (Some(key), Some(name), Some(model), Some(arrangement), Some(period), Some(settings)) =
        (key, name, model, arrangement, period, settings)
    else {
        return Err(ApiError::field("", "invalid platform"));
    };
    let conn = state.store.conn();
    let regions = reference::list_regions(conn).await?;
    let region = regions
        .iter()
        .find(|r| r.key == input.region)
        .ok_or_else(|| ApiError::field("region", "unknown region key"))?;
    let codes = resolve_municipalities(conn, "municipalities", &input.municipalities).await?;
    if model == PlatformModel::Forum {
        require_admin(&who, "forums")?;
    } else {
        require_manages(&state, &who, &codes, "local platforms").await?;
    }
    let id = Uuid::now_v7();
    check_parent(&state, id, input.parent_id).await?;
    check_cluster(&state, input.cluster_id).await?;
    let record_ = PlatformRecord {
        id,
        key,
        name: name.into_inner(),
        model,
        region_id: region.region.id,
        cluster_id: input.cluster_id,
        broker_arrangement: arrangement.map(|a| a.as_str().to_owned()),
        parent_id: input.parent_id,
        settings,
        contact_person_ids: Vec::new(),
        municipalities: codes,
        active_from: period.from,
        active_to: period.to,
    };
    let terms = PlatformTerms {
        active_from: period.from,
        active_to: period.to,
        ..PlatformTerms::default()
    };
    let txn = state.store.begin().await?;
    reference::insert_platform(&txn, &record_).await?;
    reference::set_platform_terms(&txn, id, &terms).await?;
    let dto = to_dto(record_, terms);
    commit_change(&state, txn, &who, "platform.create", None, &dto).await?;
    Ok(HttpResponse::Created().json(dto))
}

/// Changes a platform's set-up: name, broker arrangement, escalation parent (`null` clears it),
/// cluster, municipalities, active period and matching settings; absent fields keep their value.
/// Admins; a sub-regional broker for local platforms within its sub-region. Matching uses the
/// new set-up at once, on every instance.
#[utoipa::path(
    operation_id = "updatePlatform",
    tag = "reference",
    params(("id" = Uuid, Path, description = "Platform id")),
    request_body = PlatformPatch,
    security(("bearer" = [])),
    responses(
        (status = 200, body = PlatformDto),
        (status = 401, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json")
    )
)]
#[patch("/api/v1/platforms/{id}")]
pub async fn update(
    state: web::Data<AppState>,
    who: Identity,
    id: web::Path<Uuid>,
    ValidJson(patch): ValidJson<PlatformPatch>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    if !matches!(who.role(), Role::Admin | Role::Broker) {
        return Err(ApiError::Forbidden(
            "platforms are changed by admins and sub-regional brokers".into(),
        ));
    }
    let conn = state.store.conn();
    let current = reference::get_platform(conn, id).await?;
    let before_dto = dto_of(&state, id).await?;
    let model = current.model;
    if model == PlatformModel::Forum {
        require_admin(&who, "forums")?;
    } else {
        require_manages(&state, &who, &current.municipalities, "local platforms").await?;
    }
    let mut v = Validator::new();
    let name = v.check("name", patch.name.as_deref().map(Name::parse).transpose());
    let arrangement = v.check(
        "broker_arrangement",
        patch
            .broker_arrangement
            .as_deref()
            .map(BrokerArrangement::parse)
            .transpose(),
    );
    let period = patch.active_period.map(|p| {
        v.check(
            "active_period.active_to",
            ActivePeriod::parse(p.active_from, p.active_to).map_err(|_| {
                broker_domain::DomainError::invalid("", "must not be before active_from")
            }),
        )
    });
    let settings = match &patch.settings {
        Some(s) => v
            .check("settings", s.apply(current.settings).validate())
            .unwrap_or(current.settings),
        None => current.settings,
    };
    if let Some(a) = arrangement.flatten() {
        v.check("", check_arrangement(model, Some(a)));
    }
    if patch.municipalities.as_ref().is_some_and(Vec::is_empty) {
        v.fail(
            "municipalities",
            "a platform serves at least one municipality",
        );
    }
    v.finish()?;
    let mut next = current.clone();
    if let Some(codes) = &patch.municipalities {
        next.municipalities = resolve_municipalities(conn, "municipalities", codes).await?;
        if model == PlatformModel::LocalPlatform {
            require_manages(&state, &who, &next.municipalities, "local platforms").await?;
        }
    }
    if let Some(name) = name.flatten() {
        next.name = name.into_inner();
    }
    if let Some(a) = arrangement.flatten() {
        next.broker_arrangement = Some(a.as_str().to_owned());
    }
    if let Some(parent) = patch.parent_id {
        check_parent(&state, id, parent).await?;
        next.parent_id = parent;
    }
    if patch.cluster_id.is_some() {
        check_cluster(&state, patch.cluster_id).await?;
        next.cluster_id = patch.cluster_id;
    }
    next.settings = settings;
    let mut terms = reference::platform_terms(conn)
        .await?
        .remove(&id)
        .unwrap_or_default();
    if let Some(Some(p)) = period {
        terms.active_from = p.from;
        terms.active_to = p.to;
    }
    let txn = state.store.begin().await?;
    reference::update_platform(&txn, &next).await?;
    // Terms before settings: the record read back (and given to routing) carries the new period.
    reference::set_platform_terms(&txn, id, &terms).await?;
    let updated = reference::update_platform_settings(&txn, id, settings).await?;
    let dto = to_dto(updated, terms);
    commit_change(
        &state,
        txn,
        &who,
        "platform.update",
        Some(&before_dto),
        &dto,
    )
    .await?;
    Ok(HttpResponse::Ok().json(dto))
}

/// Sets a forum's (or platform's) mandate and goals, e.g. Kompetanseforum Østfold's mandate and
/// its six points. Admins.
#[utoipa::path(
    operation_id = "setPlatformMandate",
    tag = "reference",
    params(("id" = Uuid, Path, description = "Platform id")),
    request_body = MandateInput,
    security(("bearer" = [])),
    responses(
        (status = 200, body = PlatformDto),
        (status = 401, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json")
    )
)]
#[put("/api/v1/platforms/{id}/mandate")]
pub async fn set_mandate(
    state: web::Data<AppState>,
    who: Identity,
    id: web::Path<Uuid>,
    ValidJson(input): ValidJson<MandateInput>,
) -> Result<HttpResponse, ApiError> {
    let id = id.into_inner();
    require_admin(&who, "mandates and goals")?;
    let before = dto_of(&state, id).await?;
    let mandate = Mandate::parse(&input.mandate, &input.goals)?;
    let conn = state.store.conn();
    let mut terms = reference::platform_terms(conn)
        .await?
        .remove(&id)
        .unwrap_or_default();
    terms.mandate = Some(mandate.mandate.into_inner());
    terms.goals = mandate.goals.into_iter().map(|g| g.into_inner()).collect();
    let txn = state.store.begin().await?;
    reference::set_platform_terms(&txn, id, &terms).await?;
    let platform = reference::get_platform(&txn, id).await?;
    let dto = to_dto(platform, terms);
    commit_change(&state, txn, &who, "platform.mandate", Some(&before), &dto).await?;
    Ok(HttpResponse::Ok().json(dto))
}
