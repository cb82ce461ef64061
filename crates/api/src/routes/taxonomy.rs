//! The competence taxonomy: type-ahead search, finding competences in free text, occupations with
//! their essential and optional competences, and what changed since a version (for clients that
//! keep a copy). Lookups run against the matcher's in-memory taxonomy, so they are fast enough for
//! type-ahead; labels come from the concept cache.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use broker_matching::SearchMode;
use broker_store::repo::taxonomy;
use uuid::Uuid;

use crate::app::AppState;
use crate::auth::Identity;
use crate::dto::Page;
use crate::dto::taxonomy::{
    ChangesQuery, CompetenceHit, CompetenceHits, ConceptDto, ConceptRef, FoundConceptDto,
    OccupationDto, OccupationHit, OccupationHits, ParseInput, ParseResult, SearchQuery,
    TaxonomyChanges,
};
use crate::error::ApiError;
use crate::extract::ValidJson;

/// Longest text `parse` accepts, in characters.
const MAX_PARSE_CHARS: usize = 20_000;
/// Longest search query, in characters.
const MAX_QUERY_CHARS: usize = 200;

pub fn language(raw: Option<&str>) -> Result<&'static str, ApiError> {
    match raw.map(str::trim) {
        None | Some("") | Some("sv") => Ok("sv"),
        Some("nb" | "no") => Ok("nb"),
        Some("en") => Ok("en"),
        Some(_) => Err(ApiError::field("lang", "must be one of sv, nb, en")),
    }
}

/// The language to search first (only when the client named one) and the search mode.
fn search_options(query: &SearchQuery) -> (Option<broker_matching::Lang>, SearchMode) {
    let wanted = query
        .lang
        .as_deref()
        .and_then(|l| crate::matcher::lang_of(if l.trim() == "no" { "nb" } else { l.trim() }));
    (wanted, query.mode.map(Into::into).unwrap_or_default())
}

fn search_limit(raw: Option<usize>) -> Result<usize, ApiError> {
    let limit = raw.unwrap_or(10);
    if (1..=50).contains(&limit) {
        Ok(limit)
    } else {
        Err(ApiError::field("limit", "must be between 1 and 50"))
    }
}

fn query_text(q: &str) -> Result<&str, ApiError> {
    let q = q.trim();
    if q.is_empty() {
        return Err(ApiError::field("q", "must not be empty"));
    }
    if q.chars().count() > MAX_QUERY_CHARS {
        return Err(ApiError::field(
            "q",
            format!("must be at most {MAX_QUERY_CHARS} characters"),
        ));
    }
    Ok(q)
}

fn concept_dto(state: &AppState, id: Uuid, lang: &str) -> Option<ConceptDto> {
    state
        .matcher
        .concept(id)
        .map(|c| ConceptDto::from_record(&c, lang))
}

fn concept_ref(state: &AppState, id: Uuid, lang: &str) -> ConceptRef {
    ConceptRef {
        id,
        label: state
            .matcher
            .concept(id)
            .map(|c| c.preferred_label(lang))
            .unwrap_or_default(),
    }
}

/// Searches competences by any label in Swedish, Norwegian or English, tolerating typos.
///
/// Each hit says which label matched and with what confidence (1 for an exact preferred label,
/// lower for alternative labels and fuzzy matches), so a client can show "did you mean".
#[utoipa::path(
    operation_id = "searchCompetences",
    tag = "taxonomy",
    params(SearchQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, body = CompetenceHits),
        (status = 401, description = "missing or invalid token", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "bad query parameter", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[get("/api/v1/competences")]
pub async fn search(
    state: web::Data<AppState>,
    _who: Identity,
    query: crate::extract::ValidQuery<SearchQuery>,
) -> Result<HttpResponse, ApiError> {
    let lang = language(query.lang.as_deref())?;
    let limit = search_limit(query.limit)?;
    let q = query_text(&query.q)?;
    let (wanted, mode) = search_options(&query);
    let hits = state
        .matcher
        .with_engine(|e| e.taxonomy().search_in(q, wanted, mode, limit));
    let items = hits
        .into_iter()
        .filter_map(|r| {
            Some(CompetenceHit {
                concept: concept_dto(&state, r.concept_id, lang)?,
                matched_label: r.label,
                matched_lang: r.lang.code().to_owned(),
                confidence: round(r.confidence),
                method: method_name(r.method).to_owned(),
            })
        })
        .collect();
    Ok(HttpResponse::Ok().json(CompetenceHits { items }))
}

/// One competence concept with all its labels.
#[utoipa::path(
    operation_id = "getCompetence",
    tag = "taxonomy",
    params(("id" = Uuid, Path), ("lang" = Option<String>, Query, description = "sv, nb or en")),
    security(("bearer" = [])),
    responses(
        (status = 200, body = ConceptDto),
        (status = 401, description = "missing or invalid token", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "no such concept", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[get("/api/v1/competences/{id}")]
pub async fn get(
    state: web::Data<AppState>,
    _who: Identity,
    id: web::Path<Uuid>,
    query: crate::extract::ValidQuery<LangQuery>,
) -> Result<HttpResponse, ApiError> {
    let lang = language(query.lang.as_deref())?;
    let concept = concept_dto(&state, *id, lang).ok_or(ApiError::NotFound("competence"))?;
    Ok(HttpResponse::Ok().json(concept))
}

/// Only a language.
#[derive(Debug, serde::Deserialize)]
#[serde(deny_unknown_fields)]
pub struct LangQuery {
    pub lang: Option<String>,
}

/// Finds the competences a free text mentions (a job ad, a need or course description).
///
/// Returns each mention with its character offsets and confidence, in text order.
#[utoipa::path(
    operation_id = "parseCompetences",
    tag = "taxonomy",
    request_body = ParseInput,
    security(("bearer" = [])),
    responses(
        (status = 200, body = ParseResult),
        (status = 401, description = "missing or invalid token", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "invalid body", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/competences/parse")]
pub async fn parse(
    state: web::Data<AppState>,
    _who: Identity,
    body: ValidJson<ParseInput>,
) -> Result<HttpResponse, ApiError> {
    let input = body.0;
    let lang = language(input.lang.as_deref())?;
    if input.text.chars().count() > MAX_PARSE_CHARS {
        return Err(ApiError::field(
            "text",
            format!("must be at most {MAX_PARSE_CHARS} characters"),
        ));
    }
    let found = state
        .matcher
        .with_engine(|e| e.taxonomy().parse_text(&input.text));
    let items = found
        .into_iter()
        .map(|f| FoundConceptDto {
            label: concept_ref(&state, f.concept_id, lang).label,
            concept_id: f.concept_id,
            start: char_offset(&input.text, f.start),
            end: char_offset(&input.text, f.end),
            matched_text: f.matched_text,
            confidence: round(f.confidence),
        })
        .collect();
    Ok(HttpResponse::Ok().json(ParseResult { items }))
}

/// Searches occupations ("undersköterska", "helsefagarbeider", "CNC operator") and lists each one's
/// essential and optional competences, which is what a need stated as an occupation is matched on.
#[utoipa::path(
    operation_id = "searchOccupations",
    tag = "taxonomy",
    params(SearchQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, body = OccupationHits),
        (status = 401, description = "missing or invalid token", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "bad query parameter", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[get("/api/v1/occupations")]
pub async fn occupations(
    state: web::Data<AppState>,
    _who: Identity,
    query: crate::extract::ValidQuery<SearchQuery>,
) -> Result<HttpResponse, ApiError> {
    let lang = language(query.lang.as_deref())?;
    let limit = search_limit(query.limit)?;
    let q = query_text(&query.q)?;
    let (wanted, mode) = search_options(&query);
    let hits = state.matcher.with_engine(|e| {
        let tax = e.taxonomy();
        tax.search_occupations_in(q, wanted, mode, limit)
            .into_iter()
            .filter_map(|r| {
                let occ = tax.occupation(r.concept_id)?;
                Some((r, occ.essential.clone(), occ.optional.clone()))
            })
            .collect::<Vec<_>>()
    });
    let items = hits
        .into_iter()
        .filter_map(|(r, essential, optional)| {
            Some(OccupationHit {
                occupation: OccupationDto {
                    occupation: concept_dto(&state, r.concept_id, lang)?,
                    essential: essential
                        .iter()
                        .map(|id| concept_ref(&state, *id, lang))
                        .collect(),
                    optional: optional
                        .iter()
                        .map(|id| concept_ref(&state, *id, lang))
                        .collect(),
                },
                matched_label: r.label,
                matched_lang: r.lang.code().to_owned(),
                confidence: round(r.confidence),
                method: method_name(r.method).to_owned(),
            })
        })
        .collect();
    Ok(HttpResponse::Ok().json(OccupationHits { items }))
}

/// Concepts created, relabelled or deprecated after a taxonomy version, for clients that keep a
/// local copy. Deprecated concepts stay resolvable and name their replacement.
#[utoipa::path(
    operation_id = "listTaxonomyChanges",
    tag = "taxonomy",
    params(ChangesQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, body = TaxonomyChanges),
        (status = 401, description = "missing or invalid token", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "bad query parameter", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[get("/api/v1/taxonomy/changes")]
pub async fn changes(
    state: web::Data<AppState>,
    _who: Identity,
    query: crate::extract::ValidQuery<ChangesQuery>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let lang = language(query.lang.as_deref())?;
    if query.since < 0 {
        return Err(ApiError::field("since", "must be 0 or more"));
    }
    let (limit, offset) = crate::dto::Paging {
        limit: query.limit,
        offset: query.offset,
    }
    .resolve()?;
    let conn = state.store.conn();
    let version = taxonomy::current_version(conn).await?;
    let page = taxonomy::changed_since(conn, query.since, limit, offset).await?;
    let items = page
        .items
        .iter()
        .map(|c| ConceptDto::from_record(c, lang))
        .collect();
    let page = Page::new(items, page.total, limit, offset, &req);
    Ok(HttpResponse::Ok().json(TaxonomyChanges {
        version,
        items: page.items,
        total: page.total,
        limit: page.limit,
        offset: page.offset,
        next: page.next,
    }))
}

fn method_name(m: broker_matching::ResolutionMethod) -> &'static str {
    match m {
        broker_matching::ResolutionMethod::Preferred => "preferred",
        broker_matching::ResolutionMethod::Alternative => "alternative",
        broker_matching::ResolutionMethod::Words => "words",
        broker_matching::ResolutionMethod::Compound => "compound",
        broker_matching::ResolutionMethod::Fuzzy => "fuzzy",
        broker_matching::ResolutionMethod::Prefix => "prefix",
    }
}

fn round(x: f64) -> f64 {
    (x * 1000.0).round() / 1000.0
}

/// The character index of a byte offset (clients count characters, not UTF-8 bytes).
fn char_offset(text: &str, byte: usize) -> usize {
    text.get(..byte)
        .map_or(byte, |prefix| prefix.chars().count())
}
