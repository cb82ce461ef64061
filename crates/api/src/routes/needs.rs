//! Competence needs: create (single, JSON batch, CSV batch; idempotent), list, read, change,
//! withdraw, and their match suggestions.

use std::time::Duration;

use actix_web::{HttpRequest, HttpResponse, get, patch, post, web};
use broker_application::AppError;
use broker_application::access::NeedAccess;
use broker_application::needs::{self as need_cases, NeedPlacement, PlacedNeed};
use broker_domain::error::FieldError;
use broker_domain::need::{NeedAction, NeedDraft, NeedStatus};
use broker_store::repo::needs::{self, NeedFilter, NeedRecord};
use broker_store::repo::{audit, idempotency, matches, reference};
use chrono::Utc;
use sea_orm::ConnectionTrait;
use serde::Deserialize;
use sha2::{Digest, Sha256};
use utoipa::IntoParams;
use uuid::Uuid;

use crate::app::AppState;
use crate::auth::Identity;
use crate::dto::matches::MatchDto;
use crate::dto::needs::{
    BatchResult, DeliveryPreferenceDto, NeedActionInput, NeedDto, NeedInput, NeedPatch,
    RequirementInput,
};
use crate::dto::{Page, Paging, csv_param};
use crate::error::ApiError;
use crate::extract::ValidJson;
use crate::routes::batch_body::{self, BatchFormat, BatchRows, CsvRow};

/// How long a create waits for its own suggestions before answering anyway.
const MATCH_WAIT: Duration = Duration::from_secs(2);
/// A label resolves to a concept automatically only above this confidence.
const AUTO_RESOLVE_CONFIDENCE: f64 = 0.8;

pub fn dto(r: &NeedRecord) -> NeedDto {
    NeedDto::from_need(&r.need, &r.escalation_level)
}

/// Fills in concept ids for labels the taxonomy knows, and checks named concepts exist.
fn resolve_requirements(state: &AppState, draft: &mut NeedDraft) -> Result<(), AppError> {
    let mut errors = Vec::new();
    state.matcher.with_engine(|e| {
        let tax = e.taxonomy();
        for (i, c) in draft.competences.iter_mut().enumerate() {
            match (c.concept_id, c.label.as_deref()) {
                (Some(id), label) => {
                    if !tax.contains_concept(id) {
                        errors.push(FieldError::new(
                            format!("competences[{i}].concept_id"),
                            "no competence concept with this id",
                        ));
                    } else if label.is_none() {
                        c.label = tax
                            .concept_label(id, broker_matching::Lang::Sv)
                            .map(str::to_owned);
                    }
                }
                (None, Some(label)) => {
                    c.concept_id = tax
                        .resolve_best(label)
                        .filter(|r| r.confidence >= AUTO_RESOLVE_CONFIDENCE)
                        .map(|r| r.concept_id);
                }
                (None, None) => {}
            }
        }
        if let Some(o) = draft.occupation_id
            && tax.occupation(o).is_none()
        {
            errors.push(FieldError::new(
                "occupation_id",
                "no occupation concept with this id",
            ));
        }
    });
    if errors.is_empty() {
        Ok(())
    } else {
        Err(AppError::Validation(errors))
    }
}

/// What placing a need asks of the service: the matcher's taxonomy and platform cache, and the
/// reference routes' municipality-code lookup.
struct Placement<'a>(&'a AppState);

impl NeedPlacement for Placement<'_> {
    fn resolve_requirements(&self, draft: &mut NeedDraft) -> Result<(), AppError> {
        resolve_requirements(self.0, draft)
    }

    async fn canonical_municipality(&self, raw: &str) -> Result<Option<String>, AppError> {
        // `SE-1438` and unambiguous bare codes name the stored key (issue 13).
        super::reference::canonical_code(self.0.store.conn(), "municipality", raw)
            .await
            .map_err(|e| AppError::Outside(Box::new(e)))
    }

    fn home_platform(&self, code: &str) -> Option<reference::PlatformRecord> {
        self.0.matcher.home_platform(code)
    }

    async fn platform(&self, id: Uuid) -> Result<reference::PlatformRecord, AppError> {
        Ok(reference::get_platform(self.0.store.conn(), id).await?)
    }
}

/// Records a change to a need in the audit trail, as the API shows the need before and after.
async fn audit_need(
    conn: &impl ConnectionTrait,
    who: &Identity,
    action: String,
    before: Option<&NeedRecord>,
    after: &NeedRecord,
) -> Result<(), ApiError> {
    audit::record(
        conn,
        audit::AuditEntry {
            actor: who.subject().to_owned(),
            actor_role: Some(who.role().as_str()),
            actor_organisation: who.claims().organisation,
            action,
            entity: "need",
            entity_id: Some(after.need.id),
            before: before.and_then(|b| serde_json::to_value(dto(b)).ok()),
            after: serde_json::to_value(dto(after)).ok(),
        },
    )
    .await?;
    Ok(())
}

/// A new need as the create handler prepared it, for [`crate::need_writer::NeedWriter`].
#[derive(Debug, Clone)]
pub struct NeedToStore {
    pub who: Identity,
    pub placed: PlacedNeed,
    pub today: chrono::NaiveDate,
    /// Where the response is kept for retries, when the request carried an Idempotency-Key.
    pub idempotency: Option<KeptResponse>,
}

/// Where a response is kept so a retry with the same Idempotency-Key gets it again.
#[derive(Debug, Clone)]
pub struct KeptResponse {
    /// Whose key it is ([`idempotency_scope`]).
    pub scope: String,
    pub key: String,
    /// The request's hash: the same key with another request is refused.
    pub request_hash: String,
}

/// A stored need and the body its 201 carries.
#[derive(Debug)]
pub struct StoredNeed {
    pub record: NeedRecord,
    pub body: serde_json::Value,
}

/// Stores a new need, its audit entry and its idempotency record inside the caller's
/// transaction.
pub async fn store_new(
    conn: &impl ConnectionTrait,
    need: &NeedToStore,
) -> Result<StoredNeed, ApiError> {
    let record = insert(conn, &need.who, need.placed.clone(), need.today).await?;
    let body = serde_json::to_value(dto(&record)).map_err(ApiError::internal)?;
    if let Some(kept) = &need.idempotency {
        idempotency::save(
            conn,
            &kept.scope,
            &kept.key,
            &idempotency::StoredResponse {
                request_hash: kept.request_hash.clone(),
                status: 201,
                body: body.clone(),
            },
        )
        .await?;
    }
    Ok(StoredNeed { record, body })
}

/// Stores a placed need with its audit entry, inside the caller's transaction.
async fn insert(
    conn: &impl ConnectionTrait,
    who: &Identity,
    placed: PlacedNeed,
    today: chrono::NaiveDate,
) -> Result<NeedRecord, ApiError> {
    let record = need_cases::create(conn, &who.actor(), placed, today).await?;
    audit_need(conn, who, "need.create".into(), None, &record).await?;
    Ok(record)
}

fn request_hash(body: &[u8]) -> String {
    hex::encode(Sha256::digest(body))
}

fn idempotency_key(req: &HttpRequest) -> Result<Option<String>, ApiError> {
    match req.headers().get("idempotency-key") {
        None => Ok(None),
        Some(v) => {
            let key = v
                .to_str()
                .map_err(|_| ApiError::field("Idempotency-Key", "must be visible ASCII"))?
                .trim()
                .to_owned();
            if key.is_empty() || key.len() > 200 {
                return Err(ApiError::field(
                    "Idempotency-Key",
                    "must be 1 to 200 characters",
                ));
            }
            Ok(Some(key))
        }
    }
}

const CREATE_ROUTE: &str = "POST /api/v1/needs";
const BATCH_ROUTE: &str = "POST /api/v1/needs/batch";

/// Whose key an Idempotency-Key is: the same subject acting in another role, or on another
/// route, starts afresh rather than replaying a response it was not given.
fn idempotency_scope(who: &Identity, route: &str) -> String {
    format!("{}|{}|{route}", who.subject(), who.role().as_str())
}

/// Replays the stored response of an earlier request with the same key, if any.
async fn replay(
    state: &AppState,
    who: &Identity,
    route: &str,
    key: Option<&str>,
    hash: &str,
) -> Result<Option<HttpResponse>, ApiError> {
    let Some(key) = key else { return Ok(None) };
    match idempotency::find(state.store.conn(), &idempotency_scope(who, route), key).await? {
        Some(stored) if stored.request_hash == hash => {
            let status = actix_web::http::StatusCode::from_u16(stored.status)
                .unwrap_or(actix_web::http::StatusCode::OK);
            Ok(Some(
                HttpResponse::build(status)
                    .insert_header(("Idempotent-Replayed", "true"))
                    .json(stored.body),
            ))
        }
        Some(_) => Err(ApiError::Conflict(
            "this Idempotency-Key was already used for a different request".into(),
        )),
        None => Ok(None),
    }
}

/// Enters one need. Labels are resolved to taxonomy concepts where the service is confident;
/// suggestions are computed right away (the response waits up to 2 s for them).
#[utoipa::path(
    operation_id = "createNeed",
    tag = "needs",
    request_body = NeedInput,
    params(("Idempotency-Key" = Option<String>, Header, description = "Retrying with the same key returns the first result and creates nothing new")),
    security(("bearer" = [])),
    responses(
        (status = 201, body = NeedDto),
        (status = 401, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json")
    )
)]
#[post("/api/v1/needs")]
pub async fn create(
    state: web::Data<AppState>,
    who: Identity,
    req: HttpRequest,
    crate::extract::RawBody(body): crate::extract::RawBody,
) -> Result<HttpResponse, ApiError> {
    let key = idempotency_key(&req)?;
    let hash = request_hash(&body);
    if let Some(replayed) = replay(&state, &who, CREATE_ROUTE, key.as_deref(), &hash).await? {
        return Ok(replayed);
    }
    crate::extract::require_json(&req)?;
    let input: NeedInput = crate::extract::decode(&body)?;
    let today = Utc::now().date_naive();
    let placed = need_cases::place_new(
        &Placement(&state),
        &who.actor(),
        input.to_draft(),
        input.status.as_deref(),
        today,
    )
    .await?;
    let StoredNeed { record, body } = state
        .need_writer
        .store(NeedToStore {
            idempotency: key.map(|key| KeptResponse {
                scope: idempotency_scope(&who, CREATE_ROUTE),
                key,
                request_hash: hash,
            }),
            who,
            placed,
            today,
        })
        .await?;
    state.matcher.need_changed(record.need.id, MATCH_WAIT).await;
    Ok(HttpResponse::Created()
        .insert_header(("Location", format!("/api/v1/needs/{}", record.need.id)))
        .json(body))
}

/// Columns of a needs CSV batch, one need per row; `must_have` and `nice_to_have` hold
/// competence labels separated by `;`.
const NEED_CSV_COLUMNS: [&str; 11] = [
    "municipality",
    "title",
    "description",
    "purpose",
    "headcount",
    "needed_by",
    "wanted_level",
    "occupation_id",
    "must_have",
    "nice_to_have",
    "status",
];

const BATCH_FORMAT: BatchFormat = BatchFormat {
    items: "needs",
    max_rows: 1000,
    csv_columns: &NEED_CSV_COLUMNS,
};

/// Reads one needs CSV row; a row with a cell that cannot be read adds no need.
fn read_csv_row(row: &mut CsvRow<'_>, needs: &mut Vec<(usize, NeedInput)>) {
    let headcount = row.parsed("headcount", "a whole number").unwrap_or(0);
    let wanted_level = row.parsed("wanted_level", "a whole number");
    let needed_by = row.parsed("needed_by", "a date (YYYY-MM-DD)");
    let occupation_id = row.parsed_or_report("occupation_id", "not a UUID");
    let labels = |column: &str| -> Vec<RequirementInput> {
        row.list(column)
            .into_iter()
            .map(|label| RequirementInput {
                concept_id: None,
                label: Some(label),
                importance: Some(column.to_owned()),
                level: None,
            })
            .collect()
    };
    let mut competences = labels("must_have");
    competences.extend(labels("nice_to_have"));
    if row.has_errors() {
        return;
    }
    needs.push((
        row.number(),
        NeedInput {
            municipality: row.text("municipality").unwrap_or_default(),
            platform_id: None,
            employer_id: None,
            title: row.text("title").unwrap_or_default(),
            description: row.text("description"),
            purpose: row.text("purpose").unwrap_or_default(),
            headcount,
            needed_by,
            expires_on: None,
            wanted_level,
            occupation_id,
            delivery: None::<DeliveryPreferenceDto>,
            competences,
            support_tool_links: Vec::new(),
            status: row.text("status"),
        },
    ));
}

/// Enters many needs at once: a JSON array of needs, or CSV (`Content-Type: text/csv`) with a
/// header row. All or nothing: when any row fails, nothing is stored and every failing row is
/// reported (`rows[n].field`, 1-based).
#[utoipa::path(
    operation_id = "createNeedsBatch",
    tag = "needs",
    request_body(content((Vec<NeedInput> = "application/json"), (String = "text/csv"))),
    params(("Idempotency-Key" = Option<String>, Header, description = "Retrying with the same key returns the first result")),
    security(("bearer" = [])),
    responses((status = 201, body = BatchResult), (status = 422, body = crate::error::Problem, content_type = "application/problem+json"))
)]
#[post("/api/v1/needs/batch")]
pub async fn batch(
    state: web::Data<AppState>,
    who: Identity,
    req: HttpRequest,
    crate::extract::RawBody(body): crate::extract::RawBody,
) -> Result<HttpResponse, ApiError> {
    let key = idempotency_key(&req)?;
    let hash = request_hash(&body);
    if let Some(replayed) = replay(&state, &who, BATCH_ROUTE, key.as_deref(), &hash).await? {
        return Ok(replayed);
    }
    let BatchRows {
        rows: inputs,
        mut errors,
    } = batch_body::decode(&req, &body, &BATCH_FORMAT, read_csv_row)?;
    let placement = Placement(&state);
    let actor = who.actor();
    let today = Utc::now().date_naive();
    let mut prepared = Vec::new();
    for (row, input) in &inputs {
        let placed = need_cases::place_new(
            &placement,
            &actor,
            input.to_draft(),
            input.status.as_deref(),
            today,
        )
        .await;
        match placed {
            Ok(p) => prepared.push(p),
            Err(e) => errors.extend(super::in_row(*row, e.into())),
        }
    }
    if !errors.is_empty() {
        return Err(ApiError::Validation(errors));
    }
    let txn = state.store.begin().await?;
    let mut items = Vec::new();
    for placed in prepared {
        items.push(dto(&insert(&txn, &who, placed, today).await?));
    }
    let result = BatchResult {
        created: items.len(),
        items,
    };
    let body = serde_json::to_value(&result).map_err(ApiError::internal)?;
    if let Some(key) = &key {
        idempotency::save(
            &txn,
            &idempotency_scope(&who, BATCH_ROUTE),
            key,
            &idempotency::StoredResponse {
                request_hash: hash,
                status: 201,
                body: body.clone(),
            },
        )
        .await?;
    }
    txn.commit().await.map_err(ApiError::internal)?;
    for n in &result.items {
        state.matcher.need_changed(n.id, Duration::ZERO).await;
    }
    Ok(HttpResponse::Created().json(body))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct NeedQuery {
    /// Municipality codes, comma-separated.
    pub municipality: Option<String>,
    pub platform: Option<Uuid>,
    /// Statuses, comma-separated (draft, open, in_review, matched, fulfilled, withdrawn, expired).
    pub status: Option<String>,
    /// Needs asking for this competence concept (or naming this occupation).
    pub competence: Option<Uuid>,
    /// The need's purpose: upskilling, recruitment, reskilling, apprenticeship, validation.
    pub kind: Option<String>,
    pub employer: Option<Uuid>,
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u64>,
    pub offset: Option<u64>,
}

/// Needs visible to the caller, newest first.
#[utoipa::path(operation_id = "listNeeds", tag = "needs", params(NeedQuery), security(("bearer" = [])), responses((status = 200, body = Page<NeedDto>)))]
#[get("/api/v1/needs")]
pub async fn list(
    state: web::Data<AppState>,
    who: Identity,
    query: crate::extract::ValidQuery<NeedQuery>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let (limit, offset) = Paging {
        limit: query.limit,
        offset: query.offset,
    }
    .resolve()?;
    let mut filter = NeedFilter {
        municipalities: csv_param(query.municipality.as_deref()),
        platform: query.platform,
        statuses: csv_param(query.status.as_deref()),
        competence: query.competence,
        purpose: query.kind.clone(),
        employer: query.employer,
        ..NeedFilter::default()
    };
    for s in &filter.statuses {
        NeedStatus::parse(s).map_err(|e| ApiError::from(e.under("status")))?;
    }
    if let Some(k) = &filter.purpose {
        broker_domain::need::NeedPurpose::parse(k).map_err(|e| ApiError::from(e.under("kind")))?;
    }
    let scope = NeedAccess::list_scope(&who.actor())?;
    // The same scope and query give the same body until some need changes.
    let key = format!("{scope:?}\n{}", req.query_string());
    let generation = state.matcher.needs_generation();
    if let Some(body) = state.need_lists.get(&key, generation) {
        return Ok(json_body(body));
    }
    scope.restrict(&mut filter);
    let page = needs::list(state.store.conn(), &filter, limit, offset).await?;
    let body = serde_json::to_vec(&Page::new(
        page.items.iter().map(dto).collect::<Vec<NeedDto>>(),
        page.total,
        limit,
        offset,
        &req,
    ))
    .map_err(ApiError::internal)?;
    let body = web::Bytes::from(body);
    state.need_lists.put(key, generation, body.clone());
    Ok(json_body(body))
}

fn json_body(body: web::Bytes) -> HttpResponse {
    HttpResponse::Ok()
        .content_type(actix_web::http::header::ContentType::json())
        .body(body)
}

/// `GET /api/v1/needs` bodies by the caller's scope and query, read under one needs generation
/// ([`crate::matcher::Matcher::needs_generation`]): a listing repeated while no need changes is
/// served without the database.
#[derive(Debug, Default)]
pub struct NeedListCache(std::sync::Mutex<CachedNeedLists>);

#[derive(Debug, Default)]
struct CachedNeedLists {
    generation: u64,
    bodies: std::collections::HashMap<String, web::Bytes>,
}

impl NeedListCache {
    /// Bodies kept for one generation; more (many distinct queries) start the cache afresh.
    const MAX_BODIES: usize = 4096;

    fn get(&self, key: &str, generation: u64) -> Option<web::Bytes> {
        let cached = self.0.lock().ok()?;
        if cached.generation != generation {
            return None;
        }
        cached.bodies.get(key).cloned()
    }

    /// Keeps `body`, read from the database under `generation` (taken before the read, so a
    /// write committing meanwhile has moved the generation past it).
    fn put(&self, key: String, generation: u64, body: web::Bytes) {
        let Ok(mut cached) = self.0.lock() else {
            return;
        };
        if generation < cached.generation {
            return;
        }
        if generation > cached.generation || cached.bodies.len() >= Self::MAX_BODIES {
            cached.generation = generation;
            cached.bodies.clear();
        }
        cached.bodies.insert(key, body);
    }
}

/// One need.
#[utoipa::path(operation_id = "getNeed", tag = "needs", params(("id" = Uuid, Path)), security(("bearer" = [])), responses((status = 200, body = NeedDto), (status = 404, body = crate::error::Problem, content_type = "application/problem+json")))]
#[get("/api/v1/needs/{id}")]
pub async fn get(
    state: web::Data<AppState>,
    who: Identity,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let record = needs::get(state.store.conn(), *id).await?;
    NeedAccess::must_see(&who.actor(), &record.need)?;
    Ok(HttpResponse::Ok().json(dto(&record)))
}

/// Changes a need (absent fields keep their value). Send the `version` you saw: a stale one gets
/// 409 and changes nothing.
#[utoipa::path(
    operation_id = "updateNeed",
    tag = "needs",
    params(("id" = Uuid, Path)),
    request_body = NeedPatch,
    security(("bearer" = [])),
    responses((status = 200, body = NeedDto), (status = 409, body = crate::error::Problem, content_type = "application/problem+json"), (status = 422, body = crate::error::Problem, content_type = "application/problem+json"))
)]
#[patch("/api/v1/needs/{id}")]
pub async fn update(
    state: web::Data<AppState>,
    who: Identity,
    id: web::Path<Uuid>,
    ValidJson(p): ValidJson<NeedPatch>,
) -> Result<HttpResponse, ApiError> {
    let current = needs::get(state.store.conn(), *id).await?;
    let n = &current.need;
    let s = &n.spec;
    let input = NeedInput {
        municipality: s.municipality.as_str().to_owned(),
        platform_id: Some(n.platform_id),
        employer_id: s.employer_id,
        title: p
            .title
            .clone()
            .unwrap_or_else(|| s.title.as_str().to_owned()),
        description: p
            .description
            .clone()
            .or_else(|| s.description.as_ref().map(|d| d.as_str().to_owned())),
        purpose: p
            .purpose
            .clone()
            .unwrap_or_else(|| s.purpose.as_str().to_owned()),
        headcount: p.headcount.unwrap_or(i64::from(s.headcount.get())),
        needed_by: p.needed_by.or(s.needed_by),
        expires_on: p.expires_on.or(Some(n.expires_on)),
        wanted_level: p
            .wanted_level
            .or(s.wanted_level.map(|l| i64::from(l.get()))),
        occupation_id: p.occupation_id.or(s.occupation_id),
        delivery: p.delivery.or(Some(DeliveryPreferenceDto {
            on_site: s.delivery.on_site,
            distance: s.delivery.distance,
            part_time: s.delivery.part_time,
        })),
        competences: p.competences.clone().unwrap_or_else(|| {
            s.competences
                .iter()
                .map(|c| RequirementInput {
                    concept_id: c.concept_id,
                    label: Some(c.label.as_str().to_owned()),
                    importance: Some(c.importance.as_str().to_owned()),
                    level: c.level.map(|l| i64::from(l.get())),
                })
                .collect()
        }),
        support_tool_links: p
            .support_tool_links
            .clone()
            .unwrap_or_else(|| crate::dto::support::dtos(&s.support_tools)),
        status: None,
    };
    // Who may change the need, and how, is the use case's to check: the input above only
    // merges the patch into the need as it stands.
    let today = Utc::now().date_naive();
    let placed = need_cases::place_change(
        &Placement(&state),
        &who.actor(),
        n,
        input.to_draft(),
        p.status.as_deref(),
        today,
    )
    .await?;
    let txn = state.store.begin().await?;
    let after = need_cases::change(&txn, &who.actor(), *id, p.version, placed, today).await?;
    audit_need(&txn, &who, "need.update".into(), Some(&current), &after).await?;
    txn.commit().await.map_err(ApiError::internal)?;
    state.matcher.need_changed(*id, MATCH_WAIT).await;
    Ok(HttpResponse::Ok().json(dto(&after)))
}

/// Withdraws a need: it leaves every queue and its pending suggestions are superseded.
#[utoipa::path(
    operation_id = "withdrawNeed",
    tag = "needs",
    params(("id" = Uuid, Path)),
    request_body = NeedActionInput,
    security(("bearer" = [])),
    responses((status = 200, body = NeedDto), (status = 409, body = crate::error::Problem, content_type = "application/problem+json"))
)]
#[post("/api/v1/needs/{id}/withdraw")]
pub async fn withdraw(
    state: web::Data<AppState>,
    who: Identity,
    id: web::Path<Uuid>,
    ValidJson(input): ValidJson<NeedActionInput>,
) -> Result<HttpResponse, ApiError> {
    act(&state, &who, *id, NeedAction::Withdraw, input).await
}

/// Marks a matched need fulfilled (the people got the competence).
#[utoipa::path(
    operation_id = "fulfilNeed",
    tag = "needs",
    params(("id" = Uuid, Path)),
    request_body = NeedActionInput,
    security(("bearer" = [])),
    responses((status = 200, body = NeedDto), (status = 409, body = crate::error::Problem, content_type = "application/problem+json"))
)]
#[post("/api/v1/needs/{id}/fulfil")]
pub async fn fulfil(
    state: web::Data<AppState>,
    who: Identity,
    id: web::Path<Uuid>,
    ValidJson(input): ValidJson<NeedActionInput>,
) -> Result<HttpResponse, ApiError> {
    act(&state, &who, *id, NeedAction::Fulfil, input).await
}

async fn act(
    state: &AppState,
    who: &Identity,
    id: Uuid,
    action: NeedAction,
    input: NeedActionInput,
) -> Result<HttpResponse, ApiError> {
    let txn = state.store.begin().await?;
    let need_cases::ActedNeed {
        before: current,
        after,
    } = need_cases::act(
        &txn,
        &who.actor(),
        id,
        action,
        input.version,
        input.reason.as_deref(),
    )
    .await?;
    audit_need(
        &txn,
        who,
        format!("need.{}", action.as_str()),
        Some(&current),
        &after,
    )
    .await?;
    txn.commit().await.map_err(ApiError::internal)?;
    state.matcher.need_changed(id, Duration::ZERO).await;
    Ok(HttpResponse::Ok().json(dto(&after)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct NeedMatchQuery {
    /// offer, contact, need (comma-separated; default all).
    pub kind: Option<String>,
    /// Statuses (default suggested, deferred, accepted).
    pub status: Option<String>,
    /// Language of explanations: `sv`, `nb` or `en` (default: from `Accept-Language`, else the
    /// stored English explanation).
    #[param(value_type = Option<crate::dto::enums::Language>)]
    pub lang: Option<String>,
}

#[derive(Debug, serde::Serialize, utoipa::ToSchema)]
pub struct NeedMatches {
    pub items: Vec<MatchDto>,
}

/// The need's current suggestions with factor breakdown and explanation, best first.
#[utoipa::path(operation_id = "listNeedMatches", tag = "needs", params(("id" = Uuid, Path), NeedMatchQuery), security(("bearer" = [])), responses((status = 200, body = NeedMatches)))]
#[get("/api/v1/needs/{id}/matches")]
pub async fn need_matches(
    state: web::Data<AppState>,
    who: Identity,
    id: web::Path<Uuid>,
    query: crate::extract::ValidQuery<NeedMatchQuery>,
    req: actix_web::HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let lang = crate::routes::matches::explanation_lang(&req, query.lang.as_deref())?;
    let record = needs::get(state.store.conn(), *id).await?;
    NeedAccess::must_see(&who.actor(), &record.need)?;
    let mut statuses = csv_param(query.status.as_deref());
    if statuses.is_empty() {
        statuses = vec!["suggested".into(), "deferred".into(), "accepted".into()];
    }
    let kinds = csv_param(query.kind.as_deref());
    for k in &kinds {
        broker_domain::matching::MatchKind::parse(k)
            .map_err(|e| ApiError::from(e.under("kind")))?;
    }
    let filter = matches::MatchFilter {
        need_id: Some(*id),
        statuses,
        kinds,
        ..Default::default()
    };
    let page = matches::list(
        state.store.conn(),
        &filter,
        matches::MatchSort::ScoreDesc,
        200,
        0,
    )
    .await?;
    let items = crate::routes::matches::to_dtos(&state, page.items, lang).await?;
    Ok(HttpResponse::Ok().json(NeedMatches { items }))
}

/// The need's history: routing, escalations, decisions. A `routed_to_group` event's
/// `explanation` and an `escalated` event's `text` read in `lang` (or `Accept-Language`);
/// without either they read as stored (English).
#[utoipa::path(
    operation_id = "listNeedEvents",
    tag = "needs",
    params(("id" = Uuid, Path), crate::routes::matches::LangQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, body = Vec<crate::dto::needs::NeedEventDto>),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json")
    )
)]
#[get("/api/v1/needs/{id}/events")]
pub async fn events(
    state: web::Data<AppState>,
    who: Identity,
    id: web::Path<Uuid>,
    query: crate::extract::ValidQuery<crate::routes::matches::LangQuery>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    // The matcher's language type, as the domain's: both speak sv, nb and en.
    let lang = crate::routes::matches::explanation_lang(&req, query.lang.as_deref())?
        .and_then(|l| broker_domain::values::Lang::parse(l.code()).ok());
    let record = needs::get(state.store.conn(), *id).await?;
    NeedAccess::must_see(&who.actor(), &record.need)?;
    let events: Vec<_> = needs::events(state.store.conn(), *id)
        .await?
        .into_iter()
        .map(|e| {
            let mut detail = e.detail;
            if let Some(lang) = lang {
                read_in(&e.kind, &mut detail, lang);
            }
            crate::dto::needs::NeedEventDto {
                kind: e.kind,
                detail,
                actor: e.actor,
                at: e.at,
            }
        })
        .collect();
    Ok(HttpResponse::Ok().json(events))
}

/// Puts an event's sentence in `lang`; the history keeps it in English.
fn read_in(kind: &str, detail: &mut serde_json::Value, lang: broker_domain::values::Lang) {
    let (field, text) = match kind {
        broker_application::forum_routing::ROUTED_TO_GROUP => (
            "explanation",
            broker_domain::forum::routed_explanation(detail, lang),
        ),
        broker_store::repo::escalation::EVENT_KIND => (
            "text",
            broker_domain::escalation::escalation_text(detail, lang),
        ),
        _ => return,
    };
    if let (Some(text), Some(fields)) = (text, detail.as_object_mut()) {
        fields.insert(field.to_owned(), text.into());
    }
}
