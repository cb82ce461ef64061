//! The listing query shared by the JSON, JSON-LD and Atom forms: every parameter parsed with a
//! problem that names it, places and competences resolved, offers mapped to public DTOs.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;

use actix_web::HttpRequest;
use broker_domain::error::FieldError;
use broker_domain::offer::{Delivery, Offer};
use broker_matching::{CatalogueFacets, CatalogueFilter, CatalogueOrder, CataloguePage};
use broker_store::StoreError;
use broker_store::repo::offers;
use broker_store::repo::reference::{self, ClusterRecord, MunicipalityRecord, RegionRecord};
use chrono::{DateTime, NaiveDate, Utc};
use sea_orm::ConnectionTrait;
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use crate::app::AppState;
use crate::dto::public::{
    DemandSignal, FacetValue, Labels, PublicCompetence, PublicCost, PublicDemand, PublicFacets,
    PublicInstance, PublicOffer, PublicPlace, PublicProvider,
};
use crate::error::ApiError;

/// Free text resolved to a competence needs at least this confidence (as requirement labels).
const MIN_COMPETENCE_CONFIDENCE: f64 = 0.6;
/// Competence facet values a listing carries at most.
const MAX_COMPETENCE_FACETS: usize = 100;
/// Longest accepted `q`.
const MAX_QUERY_CHARS: usize = 200;

/// Filters, order and paging of the public listing (JSON, JSON-LD and Atom alike).
#[derive(Debug, Default, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ListingQuery {
    /// Municipality codes, comma-separated: offers with an instance there.
    #[param(example = "1485")]
    pub municipality: Option<String>,
    /// Cluster keys, comma-separated (`dalsland`, `norra-bohuslan`, `nedre-glomma`).
    pub cluster: Option<String>,
    /// Region keys, comma-separated (`fyrbodal`, `ostfold`).
    pub region: Option<String>,
    /// `true` also lists distance instances when filtering by place (default `false`).
    #[param(value_type = Option<bool>)]
    pub include_distance: Option<String>,
    /// Competences taught: concept ids or free text (resolved against the taxonomy like need
    /// requirements), comma-separated; any of them.
    pub competence: Option<String>,
    /// Free-text search in titles, descriptions and the competences named in it.
    pub q: Option<String>,
    /// `on_site`, `distance`, `blended`, comma-separated.
    pub delivery: Option<String>,
    /// EQF levels 1-8, comma-separated.
    pub level: Option<String>,
    /// Earliest start date of an instance (default today: only courses one can still start).
    #[param(value_type = Option<NaiveDate>)]
    pub start_from: Option<String>,
    /// Latest start date of an instance.
    #[param(value_type = Option<NaiveDate>)]
    pub start_to: Option<String>,
    /// Teaching language: `sv`, `nb` or `en`.
    #[param(value_type = Option<crate::dto::enums::Language>)]
    pub language: Option<String>,
    /// Only offers changed after this instant (RFC 3339, or a date), for partners that sync.
    #[param(value_type = Option<DateTime<Utc>>)]
    pub updated_since: Option<String>,
    /// `start_date`, `relevance` (the default with `q` or `competence`), `updated` or `published`.
    #[param(value_type = Option<crate::dto::enums::PublicSort>)]
    pub sort: Option<String>,
    /// Language of labels: `sv`, `nb` or `en` (default: from `Accept-Language`, else `sv`).
    #[param(value_type = Option<crate::dto::enums::Language>)]
    pub lang: Option<String>,
    /// Items per page, 1 to 100 (default 20).
    #[param(value_type = Option<u64>, minimum = 1, maximum = 100)]
    pub limit: Option<String>,
    /// Items to skip (default 0).
    #[param(value_type = Option<u64>)]
    pub offset: Option<String>,
}

/// The order of a listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ListingSort {
    StartDate,
    Relevance,
    Updated,
    Published,
}

impl ListingSort {
    pub const ALL: [Self; 4] = [
        Self::StartDate,
        Self::Relevance,
        Self::Updated,
        Self::Published,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::StartDate => "start_date",
            Self::Relevance => "relevance",
            Self::Updated => "updated",
            Self::Published => "published",
        }
    }

    pub fn labels(self) -> Labels {
        let (sv, nb, en) = match self {
            Self::StartDate => ("Startdatum", "Oppstartsdato", "Start date"),
            Self::Relevance => ("Relevans", "Relevans", "Relevance"),
            Self::Updated => ("Senast ändrad", "Sist endret", "Last changed"),
            Self::Published => ("Senast publicerad", "Sist publisert", "Newest"),
        };
        Labels {
            sv: sv.into(),
            nb: nb.into(),
            en: en.into(),
        }
    }
}

/// Labels of a delivery value.
pub fn delivery_labels(d: Delivery) -> Labels {
    let (sv, nb, en) = match d {
        Delivery::OnSite => ("På plats", "Stedlig", "On site"),
        Delivery::Distance => ("Distans", "Nettbasert", "Distance"),
        Delivery::Blended => ("Kombinerad", "Kombinert", "Blended"),
    };
    Labels {
        sv: sv.into(),
        nb: nb.into(),
        en: en.into(),
    }
}

/// Labels of an EQF level.
pub fn level_labels(level: i64) -> Labels {
    Labels {
        sv: format!("EQF-nivå {level}"),
        nb: format!("EQF-nivå {level}"),
        en: format!("EQF level {level}"),
    }
}

/// Labels of a teaching language.
pub fn language_labels(code: &str) -> Labels {
    let (sv, nb, en) = match code {
        "nb" => ("norska", "norsk", "Norwegian"),
        "en" => ("engelska", "engelsk", "English"),
        _ => ("svenska", "svensk", "Swedish"),
    };
    Labels {
        sv: sv.into(),
        nb: nb.into(),
        en: en.into(),
    }
}

/// Regions, municipalities and clusters, for resolving filters and naming places. Held in
/// memory by the matcher ([`crate::matcher::Matcher::places`]) and reloaded when the structure
/// changes, so a public request reads no reference table.
#[derive(Debug, Clone, Default)]
pub struct Places {
    pub regions: Vec<RegionRecord>,
    pub municipalities: Vec<MunicipalityRecord>,
    pub clusters: Vec<ClusterRecord>,
    /// The reference listings rendered from these places.
    pub rendered: RenderedBodies,
}

/// JSON bodies rendered from one snapshot of the places, by what was asked: reference lists
/// are read far more often than they change, and a reload brings a new snapshot with an empty
/// cache, so nothing here is ever stale. Keys come from validated filters, so it stays small.
#[derive(Debug, Default)]
pub struct RenderedBodies(std::sync::Mutex<HashMap<String, actix_web::web::Bytes>>);

impl Clone for RenderedBodies {
    /// A copy of the places may be changed: it starts with nothing rendered.
    fn clone(&self) -> Self {
        Self::default()
    }
}

impl RenderedBodies {
    /// The body rendered for `key`, rendering it the first time.
    pub fn get_or_render<T: serde::Serialize>(
        &self,
        key: &str,
        render: impl FnOnce() -> T,
    ) -> Result<actix_web::web::Bytes, ApiError> {
        let cached = |map: &HashMap<String, actix_web::web::Bytes>| map.get(key).cloned();
        if let Some(body) = self.0.lock().ok().and_then(|map| cached(&map)) {
            return Ok(body);
        }
        let body =
            actix_web::web::Bytes::from(serde_json::to_vec(&render()).map_err(ApiError::internal)?);
        if let Ok(mut map) = self.0.lock() {
            map.insert(key.to_owned(), body.clone());
        }
        Ok(body)
    }
}

impl Places {
    /// Reads them from the store (municipalities by code, clusters by key).
    pub async fn load(conn: &impl ConnectionTrait) -> Result<Self, StoreError> {
        Ok(Self {
            regions: reference::list_regions(conn).await?,
            municipalities: reference::list_municipalities(conn, None, None).await?,
            clusters: reference::list_clusters(conn).await?,
            rendered: RenderedBodies::default(),
        })
    }

    /// A reference listing's response, rendered once per snapshot of the places.
    pub fn json_response<T: serde::Serialize>(
        &self,
        key: &str,
        render: impl FnOnce() -> T,
    ) -> Result<actix_web::HttpResponse, ApiError> {
        Ok(actix_web::HttpResponse::Ok()
            .content_type(actix_web::http::header::ContentType::json())
            .body(self.rendered.get_or_render(key, render)?))
    }

    pub fn municipality(&self, code: &str) -> Option<&MunicipalityRecord> {
        self.municipalities.iter().find(|m| m.code() == code)
    }

    pub fn region_key_of(&self, code: &str) -> Option<&str> {
        let m = self.municipality(code)?;
        self.regions
            .iter()
            .find(|r| r.region.id == m.municipality.region_id)
            .map(|r| r.key.as_str())
    }

    pub fn region(&self, key: &str) -> Option<&RegionRecord> {
        self.regions.iter().find(|r| r.key == key)
    }

    pub fn region_members(&self, key: &str) -> Option<BTreeSet<String>> {
        let region = self.region(key)?;
        Some(
            self.municipalities
                .iter()
                .filter(|m| m.municipality.region_id == region.region.id)
                .map(|m| m.code().to_owned())
                .collect(),
        )
    }

    pub fn cluster(&self, key: &str) -> Option<&ClusterRecord> {
        self.clusters.iter().find(|c| c.key == key)
    }
}

/// A parsed, resolved listing request.
#[derive(Debug, Clone)]
pub struct Listing {
    pub filter: CatalogueFilter,
    pub sort: ListingSort,
    /// Relevance of each offer the query or competences ranked.
    pub scores: Vec<(Uuid, f64)>,
    pub limit: u64,
    pub offset: u64,
    pub lang: &'static str,
    /// Concepts `competence` and `q` were understood as.
    pub resolved: Vec<Uuid>,
    /// Region the demand counts cover when the request is about one region.
    pub demand_region: Option<String>,
    /// The places the request named, for titles ("Uddevalla", "Fyrbodal").
    pub place_names: Vec<String>,
    pub places: Arc<Places>,
}

fn list_param(raw: Option<&str>) -> Vec<String> {
    crate::dto::csv_param(raw)
}

fn date_param(errors: &mut Vec<FieldError>, field: &str, raw: Option<&str>) -> Option<NaiveDate> {
    let raw = raw.map(str::trim).filter(|r| !r.is_empty())?;
    match raw.parse::<NaiveDate>() {
        Ok(d) => Some(d),
        Err(_) => {
            errors.push(FieldError::new(field, "must be a date like 2027-01-31"));
            None
        }
    }
}

fn number_param(
    errors: &mut Vec<FieldError>,
    field: &str,
    raw: Option<&str>,
    range: std::ops::RangeInclusive<u64>,
    default: u64,
) -> u64 {
    let Some(raw) = raw.map(str::trim).filter(|r| !r.is_empty()) else {
        return default;
    };
    match raw.parse::<u64>() {
        Ok(n) if range.contains(&n) => n,
        _ => {
            errors.push(FieldError::new(
                field,
                format!(
                    "must be a whole number from {} to {}",
                    range.start(),
                    range.end()
                ),
            ));
            default
        }
    }
}

impl Listing {
    /// Parses and resolves every parameter, reporting all invalid ones at once.
    pub async fn parse(
        state: &AppState,
        query: &ListingQuery,
        req: &HttpRequest,
    ) -> Result<Self, ApiError> {
        let mut errors: Vec<FieldError> = Vec::new();
        let lang = match super::response_lang(req, query.lang.as_deref()) {
            Ok(l) => l,
            Err(_) => {
                errors.push(FieldError::new("lang", "must be sv, nb or en"));
                "sv"
            }
        };
        let places = state.matcher.places();
        let mut filter = CatalogueFilter::default();

        // Places: each given parameter is a set of municipalities; the listing covers their
        // intersection (e.g. a region and one of its clusters).
        let mut area: Option<BTreeSet<String>> = None;
        let mut place_names = Vec::new();
        let mut narrow = |set: BTreeSet<String>| {
            area = Some(match area.take() {
                Some(a) => a.intersection(&set).cloned().collect(),
                None => set,
            });
        };
        let codes = list_param(query.municipality.as_deref());
        if !codes.is_empty() {
            let mut set = BTreeSet::new();
            for code in codes {
                match places.municipality(&code) {
                    Some(m) => {
                        place_names.push(m.name().to_owned());
                        set.insert(code);
                    }
                    None => errors.push(FieldError::new(
                        "municipality",
                        format!("unknown municipality code `{code}` (see /api/v1/public/filters)"),
                    )),
                }
            }
            narrow(set);
        }
        let cluster_keys = list_param(query.cluster.as_deref());
        if !cluster_keys.is_empty() {
            let mut set = BTreeSet::new();
            for key in cluster_keys {
                match places.cluster(&key) {
                    Some(c) => {
                        place_names.push(c.name.clone());
                        set.extend(c.municipalities.iter().cloned());
                    }
                    None => errors.push(FieldError::new(
                        "cluster",
                        format!("unknown cluster `{key}` (see /api/v1/public/filters)"),
                    )),
                }
            }
            narrow(set);
        }
        let region_keys = list_param(query.region.as_deref());
        if !region_keys.is_empty() {
            let mut set = BTreeSet::new();
            for key in &region_keys {
                match (places.region(key), places.region_members(key)) {
                    (Some(r), Some(members)) => {
                        place_names.push(r.region.name.as_str().to_owned());
                        set.extend(members);
                    }
                    _ => errors.push(FieldError::new(
                        "region",
                        format!("unknown region `{key}` (see /api/v1/public/filters)"),
                    )),
                }
            }
            narrow(set);
        }
        filter.include_distance = match query.include_distance.as_deref().map(str::trim) {
            None | Some("" | "false" | "0") => false,
            Some("true" | "1") => true,
            Some(_) => {
                errors.push(FieldError::new("include_distance", "must be true or false"));
                false
            }
        };
        let mut demand_region = None;
        if let Some(area) = area {
            let regions: BTreeSet<&str> = area
                .iter()
                .filter_map(|c| places.region_key_of(c))
                .collect();
            if regions.len() == 1 {
                demand_region = regions.into_iter().next().map(str::to_owned);
            }
            if area.is_empty() {
                // Places that do not overlap: nothing can match.
                filter.only = Some(Vec::new());
            }
            filter.municipalities = area.into_iter().collect();
        }

        // Competences: concept ids as given, free text through the taxonomy.
        let mut resolved = Vec::new();
        let wanted = list_param(query.competence.as_deref());
        let q = query
            .q
            .as_deref()
            .map(str::trim)
            .filter(|q| !q.is_empty())
            .map(str::to_owned);
        if q.as_ref()
            .is_some_and(|q| q.chars().count() > MAX_QUERY_CHARS)
        {
            errors.push(FieldError::new(
                "q",
                format!("at most {MAX_QUERY_CHARS} characters"),
            ));
        }
        let (query_hits, scores) = state.matcher.with_engine(|e| {
            let tax = e.taxonomy();
            for item in &wanted {
                match item.parse::<Uuid>() {
                    Ok(id) if tax.contains_concept(id) => resolved.push(id),
                    Ok(_) => errors.push(FieldError::new(
                        "competence",
                        format!("no competence concept with id {item}"),
                    )),
                    Err(_) => match tax
                        .resolve_best(item)
                        .filter(|r| r.confidence >= MIN_COMPETENCE_CONFIDENCE)
                    {
                        Some(r) => resolved.push(r.concept_id),
                        None => errors.push(FieldError::new(
                            "competence",
                            format!("no competence matches `{item}`"),
                        )),
                    },
                }
            }
            let query_hits = q.as_deref().map(|q| e.search_offers_unranked(q, &[]));
            let scores: Vec<(Uuid, f64)> = match (&query_hits, resolved.is_empty()) {
                // Text alone: its hits are the scores (one search over the catalogue, not two).
                (Some(hits), true) => hits.iter().map(|h| (h.offer_id, h.score)).collect(),
                (None, true) => Vec::new(),
                (_, false) => e
                    .search_offers_unranked(q.as_deref().unwrap_or_default(), &resolved)
                    .into_iter()
                    .map(|h| (h.offer_id, h.score))
                    .collect(),
            };
            (query_hits, scores)
        });
        resolved.sort();
        resolved.dedup();
        filter.concepts.clone_from(&resolved);
        // Places that do not overlap already match nothing; otherwise only the text's hits.
        if let Some(hits) = query_hits
            && filter.only.is_none()
        {
            filter.only = Some(hits.iter().map(|h| h.offer_id).collect());
        }

        for d in list_param(query.delivery.as_deref()) {
            match Delivery::parse(&d) {
                Ok(d) => filter
                    .deliveries
                    .push(crate::matcher::offer_doc_delivery(d)),
                Err(_) => errors.push(FieldError::new(
                    "delivery",
                    format!("`{d}` is not one of on_site, distance, blended"),
                )),
            }
        }
        for l in list_param(query.level.as_deref()) {
            match l.parse::<u8>() {
                Ok(n @ 1..=8) => filter.levels.push(n),
                _ => errors.push(FieldError::new(
                    "level",
                    format!("`{l}` is not an EQF level 1-8"),
                )),
            }
        }
        if let Some(language) = query
            .language
            .as_deref()
            .map(str::trim)
            .filter(|l| !l.is_empty())
        {
            match language {
                "sv" | "nb" | "en" => filter.language = Some(language.to_owned()),
                _ => errors.push(FieldError::new("language", "must be sv, nb or en")),
            }
        }
        let today = Utc::now().date_naive();
        filter.starts_from = Some(
            date_param(&mut errors, "start_from", query.start_from.as_deref()).unwrap_or(today),
        );
        filter.starts_to = date_param(&mut errors, "start_to", query.start_to.as_deref());
        if let (Some(from), Some(to)) = (filter.starts_from, filter.starts_to)
            && to < from
        {
            errors.push(FieldError::new(
                "start_to",
                "must not be before start_from (which defaults to today)",
            ));
        }
        if let Some(raw) = query
            .updated_since
            .as_deref()
            .map(str::trim)
            .filter(|r| !r.is_empty())
        {
            let parsed = DateTime::parse_from_rfc3339(raw)
                .map(|d| d.with_timezone(&Utc))
                .ok()
                .or_else(|| {
                    raw.parse::<NaiveDate>()
                        .ok()
                        .and_then(|d| d.and_hms_opt(0, 0, 0))
                        .map(|d| d.and_utc())
                });
            match parsed {
                Some(t) => filter.updated_since = Some(t),
                None => errors.push(FieldError::new(
                    "updated_since",
                    "must be an RFC 3339 time like 2026-11-01T08:00:00Z or a date",
                )),
            }
        }
        let ranked = q.is_some() || !resolved.is_empty();
        let sort = match query
            .sort
            .as_deref()
            .map(str::trim)
            .filter(|s| !s.is_empty())
        {
            None if ranked => ListingSort::Relevance,
            None => ListingSort::StartDate,
            Some(s) => match ListingSort::ALL.into_iter().find(|k| k.as_str() == s) {
                Some(k) => k,
                None => {
                    errors.push(FieldError::new(
                        "sort",
                        "must be start_date, relevance, updated or published",
                    ));
                    ListingSort::StartDate
                }
            },
        };
        let limit = number_param(&mut errors, "limit", query.limit.as_deref(), 1..=100, 20);
        let offset = number_param(
            &mut errors,
            "offset",
            query.offset.as_deref(),
            0..=1_000_000,
            0,
        );
        if !errors.is_empty() {
            return Err(ApiError::Validation(errors));
        }
        Ok(Self {
            filter,
            sort,
            scores,
            limit,
            offset,
            lang,
            resolved,
            demand_region,
            place_names,
            places,
        })
    }

    /// The requested page and, with `with_facets`, the facet counts over all pages, from one
    /// pass over the in-memory catalogue.
    fn select(
        &self,
        state: &AppState,
        with_facets: bool,
    ) -> (CataloguePage, Option<CatalogueFacets>) {
        let order = match self.sort {
            ListingSort::StartDate | ListingSort::Relevance => CatalogueOrder::StartDate,
            ListingSort::Updated => CatalogueOrder::Updated,
            ListingSort::Published => CatalogueOrder::Published,
        };
        // Relevance: by score, equally relevant offers soonest first.
        let scores = (self.sort == ListingSort::Relevance).then_some(self.scores.as_slice());
        let limit = usize::try_from(self.limit).unwrap_or(usize::MAX);
        let offset = usize::try_from(self.offset).unwrap_or(usize::MAX);
        state.matcher.with_catalogue(|c| {
            if with_facets {
                let (page, facets) = c.page_and_facets(&self.filter, order, scores, limit, offset);
                (page, Some(facets))
            } else {
                (c.page(&self.filter, order, scores, limit, offset), None)
            }
        })
    }

    /// The page's offers in their public form, in order. Only they are read from the store.
    async fn public_offers(
        &self,
        state: &AppState,
        page: &CataloguePage,
    ) -> Result<Vec<PublicOffer>, ApiError> {
        let mut found = offers::get_many(state.store.conn(), &page.ids).await?;
        found.sort_by_key(|o| page.ids.iter().position(|id| *id == o.id));
        public_offers(
            state,
            &found,
            &self.places,
            self.lang,
            self.demand_region.as_deref(),
        )
        .await
    }

    /// This page of offers in their public form, and the total over all pages.
    pub async fn public_page(&self, state: &AppState) -> Result<(Vec<PublicOffer>, u64), ApiError> {
        let (page, _) = self.select(state, false);
        Ok((self.public_offers(state, &page).await?, page.total))
    }

    /// [`Listing::public_page`] and the facet counts over all pages.
    pub async fn public_page_and_facets(
        &self,
        state: &AppState,
    ) -> Result<(Vec<PublicOffer>, u64, PublicFacets), ApiError> {
        let (page, facets) = self.select(state, true);
        let facets = facets_dto(state, &facets.unwrap_or_default(), &self.places, self.lang);
        Ok((self.public_offers(state, &page).await?, page.total, facets))
    }

    pub fn resolved_competences(&self, state: &AppState) -> Vec<PublicCompetence> {
        self.resolved
            .iter()
            .map(|id| competence(state, *id, self.lang))
            .collect()
    }
}

/// A concept labelled in `lang`.
pub fn competence(state: &AppState, id: Uuid, lang: &str) -> PublicCompetence {
    let concept = state.matcher.concept(id);
    PublicCompetence {
        concept_id: id,
        label: concept
            .as_ref()
            .map(|c| c.preferred_label(lang))
            .unwrap_or_default(),
        esco_uri: concept.and_then(|c| c.esco_uri),
    }
}

fn facets_dto(
    state: &AppState,
    counts: &CatalogueFacets,
    places: &Places,
    lang: &str,
) -> PublicFacets {
    // The most taught first, at most MAX_COMPETENCE_FACETS: a filter control, not a catalogue
    // (`/public/filters` lists every competence).
    let mut by_count: Vec<&(Uuid, u64)> = counts.concepts.iter().collect();
    by_count.sort_by(|a, b| b.1.cmp(&a.1).then(a.0.cmp(&b.0)));
    by_count.truncate(MAX_COMPETENCE_FACETS);
    let mut competence: Vec<FacetValue> = by_count
        .into_iter()
        .map(|(id, n)| FacetValue {
            value: id.to_string(),
            label: competence(state, *id, lang).label,
            count: *n,
        })
        .collect();
    competence.sort_by(|a, b| b.count.cmp(&a.count).then_with(|| a.label.cmp(&b.label)));
    PublicFacets {
        municipality: counts
            .municipalities
            .iter()
            .map(|(code, n)| FacetValue {
                value: code.clone(),
                label: places
                    .municipality(code)
                    .map(|m| m.name().to_owned())
                    .unwrap_or_default(),
                count: *n,
            })
            .collect(),
        delivery: counts
            .deliveries
            .iter()
            .map(|(d, n)| {
                let d = crate::matcher::domain_delivery(*d);
                FacetValue {
                    value: d.as_str().to_owned(),
                    label: delivery_labels(d).get(lang).to_owned(),
                    count: *n,
                }
            })
            .collect(),
        level: counts
            .levels
            .iter()
            .map(|(l, n)| FacetValue {
                value: l.to_string(),
                label: level_labels(i64::from(*l)).get(lang).to_owned(),
                count: *n,
            })
            .collect(),
        competence,
    }
}

/// Maps offers to their public form: provider names, place names, labels in `lang` and the
/// demand signal (in `demand_region`, else where each offer is held).
pub async fn public_offers(
    state: &AppState,
    list: &[Offer],
    places: &Places,
    lang: &str,
    demand_region: Option<&str>,
) -> Result<Vec<PublicOffer>, ApiError> {
    let provider_ids: Vec<Uuid> = list.iter().map(|o| o.spec.provider_id).collect();
    let providers: HashMap<Uuid, reference::OrganisationRecord> =
        reference::organisations_by_ids(state.store.conn(), &provider_ids)
            .await?
            .into_iter()
            .map(|o| (o.id, o))
            .collect();
    let base = state.settings.public_base_url.trim_end_matches('/');
    let today = Utc::now().date_naive();
    let regions: Vec<Option<String>> = list
        .iter()
        .map(|o| {
            demand_region.map(str::to_owned).or_else(|| {
                o.spec
                    .instances
                    .iter()
                    .find_map(|i| i.municipality.as_ref())
                    .and_then(|m| places.region_key_of(m.as_str()))
                    .map(str::to_owned)
            })
        })
        .collect();
    let demands: Vec<DemandSignal> = state.matcher.with_engine(|e| {
        list.iter()
            .zip(&regions)
            .map(|(o, region)| {
                let d = e.demand_for_offer(o.id, region.as_deref());
                DemandSignal {
                    open_needs: d.open_needs,
                    headcount: d.headcount,
                }
            })
            .collect()
    });
    Ok(list
        .iter()
        .zip(regions)
        .zip(demands)
        .map(|((o, region), counts)| {
            let s = &o.spec;
            let provider = providers.get(&s.provider_id);
            PublicOffer {
                id: o.id,
                url: format!("{base}/api/v1/public/offers/{}", o.id),
                title: s.title.to_string(),
                description: s.description.as_ref().map(ToString::to_string),
                language: s.language.code().to_owned(),
                provider: PublicProvider {
                    id: s.provider_id,
                    name: provider.map(|p| p.name.clone()).unwrap_or_default(),
                    website: provider.and_then(|p| p.website.clone()),
                },
                competences: s
                    .competence_ids
                    .iter()
                    .map(|id| competence(state, *id, lang))
                    .collect(),
                other_competences: s
                    .competence_labels
                    .iter()
                    .map(ToString::to_string)
                    .collect(),
                level: s.level.map(|l| l.get()),
                delivery: s.delivery.as_str().to_owned(),
                cost: s.cost.map(|c| PublicCost {
                    amount_minor: c.minor,
                    currency: c.currency.code().to_owned(),
                }),
                validation_offered: s.validation_offered,
                link: s.link.as_ref().map(|l| l.as_str().to_owned()),
                support_tools: s
                    .support_tools
                    .iter()
                    .map(|t| t.tool.as_str().to_owned())
                    .collect(),
                instances: s
                    .instances
                    .iter()
                    .map(|i| PublicInstance {
                        id: i.id,
                        start: i.start,
                        end: i.end,
                        municipality: i.municipality.as_ref().map(|m| PublicPlace {
                            code: m.as_str().to_owned(),
                            name: places
                                .municipality(m.as_str())
                                .map(|row| row.name().to_owned())
                                .unwrap_or_default(),
                        }),
                        place: i.place.as_ref().map(ToString::to_string),
                        distance: i.distance,
                        pace_percent: i.pace.percent(),
                        seats: i.seats,
                        application_deadline: i.application_deadline,
                    })
                    .collect(),
                next_start: s.next_start(today),
                demand: PublicDemand { counts, region },
                published_at: o.published_at,
                updated_at: o.updated_at,
            }
        })
        .collect())
}
