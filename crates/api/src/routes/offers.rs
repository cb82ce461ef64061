//! Course offers: providers create, change, publish and archive their own; everyone with a token
//! reads published ones; providers see the open demand an offer could serve.

use actix_web::{HttpRequest, HttpResponse, get, patch, post, web};
use broker_application::access::OfferAccess;
use broker_domain::error::FieldError;
use broker_domain::offer::{InstanceDraft, Offer, OfferAction, OfferDraft, OfferSpec, OfferStatus};
use broker_domain::organisation::OrganisationKind;
use broker_store::repo::offers::{self, OfferFilter, OfferSort};
use broker_store::repo::{audit, needs, reference};
use chrono::Utc;
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use crate::app::AppState;
use crate::auth::Identity;
use crate::dto::offers::{
    InstanceInput, OfferBatchResult, OfferDto, OfferInput, OfferPatch, VersionInput,
};
use crate::dto::{Page, Paging, csv_param};
use crate::error::ApiError;
use crate::extract::ValidJson;
use crate::routes::batch_body::{self, BatchFormat, BatchRows, CsvRow};

pub fn dto(state: &AppState, o: &Offer) -> OfferDto {
    OfferDto::from_offer(o, |id| {
        state
            .matcher
            .concept(id)
            .map(|c| c.preferred_label(o.spec.language.code()))
            .unwrap_or_default()
    })
}

/// Labels the taxonomy knows become concepts; the rest stay as free-text labels.
fn resolve(state: &AppState, draft: &mut OfferDraft) -> Result<(), ApiError> {
    let mut errors = Vec::new();
    state.matcher.with_engine(|e| {
        let tax = e.taxonomy();
        for (i, id) in draft.competence_ids.iter().enumerate() {
            if !tax.contains_concept(*id) {
                errors.push(FieldError::new(
                    format!("competence_ids[{i}]"),
                    "no competence concept with this id",
                ));
            }
        }
        let mut kept = Vec::new();
        for label in std::mem::take(&mut draft.competence_labels) {
            match tax.resolve_best(&label).filter(|r| r.confidence >= 0.8) {
                Some(r) => draft.competence_ids.push(r.concept_id),
                None => kept.push(label),
            }
        }
        draft.competence_labels = kept;
        draft.competence_ids.sort();
        draft.competence_ids.dedup();
    });
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::Validation(errors))
    }
}

/// Organisations and municipalities already looked up in this request: a batch checks each
/// once, not once per offer.
#[derive(Debug, Default)]
struct CheckedReferences {
    /// Organisation -> whether it is an education provider (absent: not looked up yet).
    providers: std::collections::HashMap<Uuid, Option<bool>>,
    municipalities: std::collections::HashMap<String, bool>,
}

async fn check_references(
    state: &AppState,
    spec: &OfferSpec,
    checked: &mut CheckedReferences,
) -> Result<(), ApiError> {
    let provider = match checked.providers.get(&spec.provider_id) {
        Some(known) => *known,
        None => {
            let kind = reference::get_organisation(state.store.conn(), spec.provider_id)
                .await
                .ok()
                .map(|org| org.kind == OrganisationKind::EducationProvider);
            checked.providers.insert(spec.provider_id, kind);
            kind
        }
    };
    match provider {
        None => return Err(ApiError::field("provider_id", "no such organisation")),
        Some(false) => {
            return Err(ApiError::field(
                "provider_id",
                "the organisation is not an education provider",
            ));
        }
        Some(true) => {}
    }
    let mut errors = Vec::new();
    for (i, inst) in spec.instances.iter().enumerate() {
        let Some(m) = &inst.municipality else {
            continue;
        };
        let known = match checked.municipalities.get(m.as_str()) {
            Some(known) => *known,
            None => {
                let known = reference::get_municipality(state.store.conn(), m.as_str())
                    .await
                    .is_ok();
                checked.municipalities.insert(m.as_str().to_owned(), known);
                known
            }
        };
        if !known {
            errors.push(FieldError::new(
                format!("instances[{i}].municipality"),
                "unknown municipality code",
            ));
        }
    }
    if errors.is_empty() {
        Ok(())
    } else {
        Err(ApiError::Validation(errors))
    }
}

/// Checks an input as a new offer: provider, labels resolved, values valid, references known.
async fn prepare(
    state: &AppState,
    who: &Identity,
    input: &OfferInput,
    checked: &mut CheckedReferences,
) -> Result<OfferSpec, ApiError> {
    let mut draft = input.to_draft(OfferAccess::provider_of_new(
        &who.actor(),
        input.provider_id,
    )?);
    resolve(state, &mut draft)?;
    let spec = OfferSpec::parse(draft)?;
    check_references(state, &spec, checked).await?;
    Ok(spec)
}

/// Stores a new offer with its audit entry, inside `txn`.
async fn insert(
    txn: &sea_orm::DatabaseTransaction,
    state: &AppState,
    who: &Identity,
    spec: &OfferSpec,
    status: OfferStatus,
) -> Result<(Offer, OfferDto), ApiError> {
    let offer = offers::insert(txn, Uuid::now_v7(), spec, status, Utc::now().date_naive()).await?;
    let body = dto(state, &offer);
    audit::record(
        txn,
        audit::AuditEntry {
            actor: who.subject().to_owned(),
            actor_role: Some(who.role().as_str()),
            actor_organisation: who.claims().organisation,
            action: "offer.create".into(),
            entity: "offer",
            entity_id: Some(offer.id),
            before: None,
            after: serde_json::to_value(&body).ok(),
        },
    )
    .await?;
    Ok((offer, body))
}

/// Creates an offer as a draft (providers for their own organisation; admins name `provider_id`).
#[utoipa::path(
    operation_id = "createOffer",
    tag = "offers",
    request_body = OfferInput,
    security(("bearer" = [])),
    responses((status = 201, body = OfferDto), (status = 403, body = crate::error::Problem, content_type = "application/problem+json"), (status = 422, body = crate::error::Problem, content_type = "application/problem+json"))
)]
#[post("/api/v1/offers")]
pub async fn create(
    state: web::Data<AppState>,
    who: Identity,
    ValidJson(input): ValidJson<OfferInput>,
) -> Result<HttpResponse, ApiError> {
    let spec = prepare(&state, &who, &input, &mut CheckedReferences::default()).await?;
    let txn = state.store.begin().await?;
    let (offer, body) = insert(&txn, &state, &who, &spec, OfferStatus::Draft).await?;
    txn.commit().await.map_err(ApiError::internal)?;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/api/v1/offers/{}", offer.id)))
        .json(body))
}

/// Columns of an offers CSV batch. Offer columns are read from the first row of each offer;
/// rows with the same `ref` add instances to one offer (without `ref`, each row is an offer).
const OFFER_CSV_COLUMNS: [&str; 20] = [
    "ref",
    "provider_id",
    "title",
    "description",
    "language",
    "level",
    "delivery",
    "competences",
    "cost_minor",
    "currency",
    "link",
    "validation_offered",
    "start",
    "end",
    "municipality",
    "place",
    "distance",
    "pace_percent",
    "seats",
    "application_deadline",
];

/// At most 1000 offers per batch: a catalogue of 100,000 loads in 100 requests.
const BATCH_FORMAT: BatchFormat = BatchFormat {
    items: "offers",
    max_rows: 1000,
    csv_columns: &OFFER_CSV_COLUMNS,
};

/// Reads one offers CSV row: a new offer, or another instance of the offer before it when both
/// carry the same `ref` (`last_ref` is that offer's).
fn read_csv_row(
    row: &mut CsvRow<'_>,
    offers: &mut Vec<(usize, OfferInput)>,
    last_ref: &mut Option<String>,
) {
    let instance = InstanceInput {
        start: row.parsed("start", "a date (YYYY-MM-DD)"),
        end: row.parsed("end", "a date (YYYY-MM-DD)"),
        municipality: row.text("municipality"),
        place: row.text("place"),
        distance: row.flag("distance"),
        pace_percent: row.parsed("pace_percent", "a whole number"),
        seats: row.parsed("seats", "a whole number"),
        application_deadline: row.parsed("application_deadline", "a date (YYYY-MM-DD)"),
    };
    let has_instance =
        instance.start.is_some() || instance.municipality.is_some() || instance.end.is_some();
    let reference = row.text("ref");
    let continues = reference.is_some() && !offers.is_empty() && *last_ref == reference;
    if continues {
        if let (Some((_, offer)), true) = (offers.last_mut(), has_instance) {
            offer.instances.push(instance);
        }
        return;
    }
    let offer = OfferInput {
        provider_id: row.parsed("provider_id", "a UUID"),
        title: row.text("title").unwrap_or_default(),
        description: row.text("description"),
        language: row.text("language"),
        competence_ids: Vec::new(),
        competence_labels: row.list("competences"),
        level: row.parsed("level", "a whole number"),
        delivery: row.text("delivery").unwrap_or_default(),
        cost_minor: row.parsed("cost_minor", "a whole number"),
        currency: row.text("currency"),
        validation_offered: row.flag("validation_offered"),
        link: row.text("link"),
        support_tools: Vec::new(),
        support_tool_links: Vec::new(),
        instances: if has_instance {
            vec![instance]
        } else {
            Vec::new()
        },
    };
    offers.push((row.number(), offer));
    *last_ref = reference;
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct BatchQuery {
    /// `true` publishes every offer of the batch (each needs a scheduled instance); default
    /// `false` stores drafts.
    #[param(value_type = Option<bool>)]
    pub publish: Option<String>,
}

/// Loads many offers at once, e.g. a provider's whole catalogue: a JSON array of offers, or CSV
/// (`Content-Type: text/csv`, one instance per row; see the README). At most 1000 per request.
/// All or nothing: when any row fails, nothing is stored and every failing row is reported
/// (`rows[n].field`, 1-based). Published offers are listed at once and matched in the
/// background.
#[utoipa::path(
    operation_id = "createOffersBatch",
    tag = "offers",
    params(BatchQuery),
    request_body(content((Vec<OfferInput> = "application/json"), (String = "text/csv"))),
    security(("bearer" = [])),
    responses(
        (status = 201, body = OfferBatchResult),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 413, description = "The body is larger than the configured limit", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 415, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "Rows that failed, each named `rows[n].field`", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/offers/batch")]
pub async fn batch(
    state: web::Data<AppState>,
    who: Identity,
    req: HttpRequest,
    query: crate::extract::ValidQuery<BatchQuery>,
    crate::extract::RawBody(body): crate::extract::RawBody,
) -> Result<HttpResponse, ApiError> {
    let status = match query.publish.as_deref().map(str::trim) {
        None | Some("" | "false" | "0") => OfferStatus::Draft,
        Some("true" | "1") => OfferStatus::Published,
        Some(_) => return Err(ApiError::field("publish", "must be true or false")),
    };
    // Refused before reading the rows, so a consumer learns its role is wrong, not its CSV.
    OfferAccess::provider_of_new(&who.actor(), None)?;
    let mut last_ref = None;
    let BatchRows {
        rows: inputs,
        mut errors,
    } = batch_body::decode(&req, &body, &BATCH_FORMAT, |row, offers| {
        read_csv_row(row, offers, &mut last_ref)
    })?;
    let mut prepared = Vec::with_capacity(inputs.len());
    let mut references = CheckedReferences::default();
    for (row, input) in &inputs {
        let checked = match prepare(&state, &who, input, &mut references).await {
            Ok(spec) if status == OfferStatus::Published => spec
                .check_publishable()
                .map(|()| spec)
                .map_err(ApiError::from),
            other => other,
        };
        match checked {
            Ok(spec) => prepared.push(spec),
            Err(e) => errors.extend(super::in_row(*row, e)),
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    // Multi-row inserts: a catalogue of 1,000 offers is a few dozen statements.
    let rows: Vec<(Uuid, &OfferSpec)> = prepared.iter().map(|s| (Uuid::now_v7(), s)).collect();
    let txn = state.store.begin().await?;
    let stored = offers::insert_many(&txn, &rows, status, Utc::now().date_naive()).await?;
    let items: Vec<OfferDto> = stored.iter().map(|o| dto(&state, o)).collect();
    audit::record_many(
        &txn,
        stored
            .iter()
            .zip(&items)
            .map(|(offer, body)| audit::AuditEntry {
                actor: who.subject().to_owned(),
                actor_role: Some(who.role().as_str()),
                actor_organisation: who.claims().organisation,
                action: "offer.create".into(),
                entity: "offer",
                entity_id: Some(offer.id),
                before: None,
                after: serde_json::to_value(body).ok(),
            })
            .collect(),
    )
    .await?;
    let ids: Vec<_> = stored.iter().map(|offer| offer.id).collect();
    crate::matcher::enqueue_offers(&txn, &ids).await?;
    txn.commit().await.map_err(ApiError::internal)?;
    for offer in &stored {
        state.matcher.offer_changed(offer);
    }
    Ok(HttpResponse::Created().json(OfferBatchResult {
        created: items.len(),
        items,
    }))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct OfferQuery {
    /// Statuses (default: published; providers also see their own drafts and archived offers).
    pub status: Option<String>,
    pub provider: Option<Uuid>,
    /// Offers with an instance in these municipalities (comma-separated codes).
    pub municipality: Option<String>,
    /// Offers teaching this concept.
    pub competence: Option<Uuid>,
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u64>,
    pub offset: Option<u64>,
}

/// Offers, soonest start first.
#[utoipa::path(operation_id = "listOffers", tag = "offers", params(OfferQuery), security(("bearer" = [])), responses((status = 200, body = Page<OfferDto>)))]
#[get("/api/v1/offers")]
pub async fn list(
    state: web::Data<AppState>,
    who: Identity,
    query: crate::extract::ValidQuery<OfferQuery>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let (limit, offset) = Paging {
        limit: query.limit,
        offset: query.offset,
    }
    .resolve()?;
    let statuses = csv_param(query.status.as_deref());
    for s in &statuses {
        OfferStatus::parse(s).map_err(|e| ApiError::from(e.under("status")))?;
    }
    let mut filter = OfferFilter {
        provider: query.provider,
        municipalities: csv_param(query.municipality.as_deref()),
        competences: query.competence.into_iter().collect(),
        statuses: statuses.clone(),
        ..OfferFilter::default()
    };
    OfferAccess::list_scope(&who.actor(), query.provider, &statuses)?.restrict(&mut filter);
    let page = offers::list(
        state.store.conn(),
        &filter,
        OfferSort::StartDate,
        limit,
        offset,
    )
    .await?;
    let items = page.items.iter().map(|o| dto(&state, o)).collect();
    Ok(HttpResponse::Ok().json(Page::new(items, page.total, limit, offset, &req)))
}

/// One offer.
#[utoipa::path(operation_id = "getOffer", tag = "offers", params(("id" = Uuid, Path)), security(("bearer" = [])), responses((status = 200, body = OfferDto), (status = 404, body = crate::error::Problem, content_type = "application/problem+json")))]
#[get("/api/v1/offers/{id}")]
pub async fn get(
    state: web::Data<AppState>,
    who: Identity,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let offer = offers::get(state.store.conn(), *id).await?;
    OfferAccess::must_see(&who.actor(), &offer)?;
    Ok(HttpResponse::Ok().json(dto(&state, &offer)))
}

/// Changes an offer (absent fields keep their value); send the `version` you saw.
#[utoipa::path(
    operation_id = "updateOffer",
    tag = "offers",
    params(("id" = Uuid, Path)),
    request_body = OfferPatch,
    security(("bearer" = [])),
    responses((status = 200, body = OfferDto), (status = 409, body = crate::error::Problem, content_type = "application/problem+json"), (status = 422, body = crate::error::Problem, content_type = "application/problem+json"))
)]
#[patch("/api/v1/offers/{id}")]
pub async fn update(
    state: web::Data<AppState>,
    who: Identity,
    id: web::Path<Uuid>,
    ValidJson(p): ValidJson<OfferPatch>,
) -> Result<HttpResponse, ApiError> {
    let current = offers::get(state.store.conn(), *id).await?;
    OfferAccess::must_own(&who.actor(), &current)?;
    let s = &current.spec;
    let (support_tools, support_tool_links) = crate::dto::support::patched(
        &s.support_tools,
        p.support_tools.as_deref(),
        p.support_tool_links.as_deref(),
    );
    let mut draft = OfferDraft {
        provider_id: Some(s.provider_id),
        title: p
            .title
            .clone()
            .unwrap_or_else(|| s.title.as_str().to_owned()),
        description: p
            .description
            .clone()
            .or_else(|| s.description.as_ref().map(|d| d.as_str().to_owned())),
        language: p
            .language
            .clone()
            .or_else(|| Some(s.language.code().to_owned())),
        competence_ids: p
            .competence_ids
            .clone()
            .unwrap_or_else(|| s.competence_ids.clone()),
        competence_labels: p.competence_labels.clone().unwrap_or_else(|| {
            s.competence_labels
                .iter()
                .map(|l| l.as_str().to_owned())
                .collect()
        }),
        level: p.level.or(s.level.map(|l| i64::from(l.get()))),
        delivery: p
            .delivery
            .clone()
            .unwrap_or_else(|| s.delivery.as_str().to_owned()),
        cost_minor: p.cost_minor.or(s.cost.map(|c| c.minor)),
        currency: p
            .currency
            .clone()
            .or(s.cost.map(|c| c.currency.code().to_owned())),
        validation_offered: p.validation_offered.unwrap_or(s.validation_offered),
        link: p
            .link
            .clone()
            .or_else(|| s.link.as_ref().map(|l| l.as_str().to_owned())),
        support_tools,
        support_tool_links,
        instances: match &p.instances {
            Some(given) => given.iter().map(InstanceDraft::from).collect(),
            None => s
                .instances
                .iter()
                .map(|i| InstanceDraft {
                    id: Some(i.id),
                    start: Some(i.start),
                    end: i.end,
                    municipality: i.municipality.as_ref().map(|m| m.as_str().to_owned()),
                    place: i.place.as_ref().map(|pl| pl.as_str().to_owned()),
                    distance: i.distance,
                    pace_percent: Some(i64::from(i.pace.percent())),
                    seats: i.seats.map(i64::from),
                    application_deadline: i.application_deadline,
                })
                .collect(),
        },
    };
    resolve(&state, &mut draft)?;
    let spec = OfferSpec::parse(draft)?;
    check_references(&state, &spec, &mut CheckedReferences::default()).await?;
    let version =
        i32::try_from(p.version).map_err(|_| ApiError::field("version", "out of range"))?;
    let txn = state.store.begin().await?;
    let after = offers::replace(&txn, *id, version, &spec, Utc::now().date_naive()).await?;
    audit::record(
        &txn,
        audit::AuditEntry {
            actor: who.subject().to_owned(),
            actor_role: Some(who.role().as_str()),
            actor_organisation: who.claims().organisation,
            action: "offer.update".into(),
            entity: "offer",
            entity_id: Some(*id),
            before: serde_json::to_value(dto(&state, &current)).ok(),
            after: serde_json::to_value(dto(&state, &after)).ok(),
        },
    )
    .await?;
    crate::matcher::enqueue_offer(&txn, *id).await?;
    txn.commit().await.map_err(ApiError::internal)?;
    state.matcher.offer_changed(&after);
    Ok(HttpResponse::Ok().json(dto(&state, &after)))
}

async fn act(
    state: &AppState,
    who: &Identity,
    id: Uuid,
    action: OfferAction,
    version: i64,
) -> Result<HttpResponse, ApiError> {
    let current = offers::get(state.store.conn(), id).await?;
    OfferAccess::must_own(&who.actor(), &current)?;
    let version = i32::try_from(version).map_err(|_| ApiError::field("version", "out of range"))?;
    let txn = state.store.begin().await?;
    let (before, after) = offers::transition(&txn, id, Some(version), action).await?;
    audit::record(
        &txn,
        audit::AuditEntry {
            actor: who.subject().to_owned(),
            actor_role: Some(who.role().as_str()),
            actor_organisation: who.claims().organisation,
            action: format!("offer.{}", action.as_str()),
            entity: "offer",
            entity_id: Some(id),
            before: Some(serde_json::json!({"status": before.as_str(), "version": version})),
            after: Some(
                serde_json::json!({"status": after.status.as_str(), "version": after.version}),
            ),
        },
    )
    .await?;
    crate::matcher::enqueue_offer(&txn, id).await?;
    txn.commit().await.map_err(ApiError::internal)?;
    state.matcher.offer_changed(&after);
    Ok(HttpResponse::Ok().json(dto(state, &after)))
}

/// Publishes a draft (it needs at least one scheduled instance).
#[utoipa::path(operation_id = "publishOffer", tag = "offers", params(("id" = Uuid, Path)), request_body = VersionInput, security(("bearer" = [])), responses((status = 200, body = OfferDto), (status = 409, body = crate::error::Problem, content_type = "application/problem+json")))]
#[post("/api/v1/offers/{id}/publish")]
pub async fn publish(
    state: web::Data<AppState>,
    who: Identity,
    id: web::Path<Uuid>,
    ValidJson(v): ValidJson<VersionInput>,
) -> Result<HttpResponse, ApiError> {
    act(&state, &who, *id, OfferAction::Publish, v.version).await
}

/// Archives an offer: it leaves listings and suggestions.
#[utoipa::path(operation_id = "archiveOffer", tag = "offers", params(("id" = Uuid, Path)), request_body = VersionInput, security(("bearer" = [])), responses((status = 200, body = OfferDto), (status = 409, body = crate::error::Problem, content_type = "application/problem+json")))]
#[post("/api/v1/offers/{id}/archive")]
pub async fn archive(
    state: web::Data<AppState>,
    who: Identity,
    id: web::Path<Uuid>,
    ValidJson(v): ValidJson<VersionInput>,
) -> Result<HttpResponse, ApiError> {
    act(&state, &who, *id, OfferAction::Archive, v.version).await
}

/// An open need an offer could serve (no names or contact details: demand only).
#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct DemandDto {
    pub need_id: Uuid,
    pub title: String,
    pub municipality: String,
    pub headcount: u32,
    pub needed_by: Option<chrono::NaiveDate>,
    pub score: f64,
    pub explanation: String,
}

#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct OfferDemand {
    pub items: Vec<DemandDto>,
    pub open_needs: u32,
    pub headcount: u32,
}

/// The open needs this offer could serve, best fit first: what providers can answer.
#[utoipa::path(operation_id = "listOfferDemand", tag = "offers", params(("id" = Uuid, Path)), security(("bearer" = [])), responses((status = 200, body = OfferDemand)))]
#[get("/api/v1/offers/{id}/matches")]
pub async fn demand(
    state: web::Data<AppState>,
    who: Identity,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let offer = offers::get(state.store.conn(), *id).await?;
    OfferAccess::must_see(&who.actor(), &offer)?;
    let doc = crate::matcher::offer_doc(&offer);
    let opts = broker_matching::MatchOptions {
        max_results: 50,
        ..broker_matching::MatchOptions::new(Utc::now().date_naive())
    };
    let suggestions = state
        .matcher
        .with_engine(|e| e.suggest_needs_for_offer(&doc, &opts));
    let ids: Vec<Uuid> = suggestions.iter().map(|s| s.target_id).collect();
    let records = needs::get_many(state.store.conn(), &ids).await?;
    let items: Vec<DemandDto> = suggestions
        .iter()
        .filter_map(|s| {
            let r = records
                .iter()
                .find(|r| r.need.id == s.target_id && r.need.status.is_active())?;
            Some(DemandDto {
                need_id: r.need.id,
                title: r.need.spec.title.as_str().to_owned(),
                municipality: r.need.spec.municipality.as_str().to_owned(),
                headcount: r.need.spec.headcount.get(),
                needed_by: r.need.spec.needed_by,
                score: (s.score * 10_000.0).round() / 10_000.0,
                explanation: s.explanation.clone(),
            })
        })
        .collect();
    let headcount = items.iter().map(|d| d.headcount).sum();
    Ok(HttpResponse::Ok().json(OfferDemand {
        open_needs: u32::try_from(items.len()).unwrap_or(u32::MAX),
        headcount,
        items,
    }))
}
