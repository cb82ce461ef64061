//! Public routes for partner websites: offer listings (JSON and JSON-LD), one offer, the filter
//! values, an Atom feed, the embeddable widget and a plain HTML page of offers (`/offers`). No
//! token; published offers only.
//!
//! Every route here sits in a scope wrapped by [`guard`]: it answers CORS preflights, adds
//! `Access-Control-Allow-Origin: *` to every response (also 304, 404 and 429) and spends the
//! client's per-minute budget. Authenticated routes live outside these scopes, so they never
//! send CORS headers. Responses carry strong ETags (a hash of the body), `Last-Modified`,
//! `Cache-Control: public, max-age=...` and `Vary`; see [`conditional`].

pub mod embed;
pub mod feed;
pub mod filters;
pub mod get;
pub mod jsonld;
pub mod list;
pub(crate) mod listing;
pub mod page;

use std::collections::HashMap;
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant, SystemTime};

use actix_web::body::BoxBody;
use actix_web::dev::{ServiceRequest, ServiceResponse};
use actix_web::http::header::{self, HeaderValue};
use actix_web::http::{Method, StatusCode};
use actix_web::middleware::{Next, from_fn};
use actix_web::{HttpRequest, HttpResponse, ResponseError, web};
use chrono::{DateTime, NaiveDate, Utc};
use sha2::{Digest, Sha256};
use utoipa_actix_web::scope;
use utoipa_actix_web::service_config::ServiceConfig;

use crate::app::AppState;
use crate::config::Settings;
use crate::error::ApiError;
use crate::rate_limit::RateLimiter;

pub use listing::{Listing, ListingQuery, ListingSort};

/// Registers the public scopes: `/api/v1/public/...` and `/embed/...`.
pub fn register(cfg: &mut ServiceConfig) {
    cfg.service(
        scope("/api/v1/public")
            .wrap(from_fn(guard))
            .service(list::list)
            .service(feed::feed)
            .service(get::get)
            .service(filters::filters),
    )
    .service(scope("/embed").wrap(from_fn(guard)).service(embed::script))
    .service(
        scope("/offers")
            .wrap(from_fn(guard))
            .service(page::offers_page),
    );
}

/// State shared by the public routes of all workers: the rate limiter and the listing cache.
#[derive(Debug)]
pub struct PublicState {
    limiter: RateLimiter,
    trusted_proxies: Vec<IpAddr>,
    pub cache: ListingCache,
}

impl PublicState {
    pub fn new(settings: &Settings) -> Self {
        Self {
            limiter: RateLimiter::new(settings.public_rate_limit),
            trusted_proxies: settings.trusted_proxies.clone(),
            cache: ListingCache::new(Duration::from_secs(u64::from(
                settings.public_cache_seconds,
            ))),
        }
    }

    /// The client a request is counted against: the peer, or, when the peer is a trusted proxy,
    /// the nearest address in `X-Forwarded-For` that is not one of ours.
    fn client(&self, req: &ServiceRequest) -> Option<IpAddr> {
        let peer = req.peer_addr().map(|a| a.ip());
        if !peer.is_some_and(|p| self.trusted_proxies.contains(&p)) {
            return peer;
        }
        let forwarded: Vec<IpAddr> = req
            .headers()
            .get_all("x-forwarded-for")
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .filter_map(|a| a.trim().parse().ok())
            .collect();
        forwarded
            .into_iter()
            .rev()
            .find(|a| !self.trusted_proxies.contains(a))
            .or(peer)
    }
}

const ALLOW_HEADERS: &str = "Accept, Accept-Language, If-None-Match, If-Modified-Since";
const EXPOSE_HEADERS: &str =
    "ETag, Last-Modified, Retry-After, Content-Language, Link, X-Request-Id";

fn add_cors(headers: &mut actix_web::http::header::HeaderMap) {
    headers.insert(
        header::ACCESS_CONTROL_ALLOW_ORIGIN,
        HeaderValue::from_static("*"),
    );
    headers.insert(
        header::ACCESS_CONTROL_EXPOSE_HEADERS,
        HeaderValue::from_static(EXPOSE_HEADERS),
    );
}

/// CORS and the rate limit for the public scopes. Preflights are answered here (they do not
/// spend the budget); every other response gets `Access-Control-Allow-Origin: *`, always, so a
/// shared cache can serve it to any site without `Vary: Origin`.
pub async fn guard(
    req: ServiceRequest,
    next: Next<BoxBody>,
) -> Result<ServiceResponse<BoxBody>, actix_web::Error> {
    if req.method() == Method::OPTIONS {
        let mut res = HttpResponse::NoContent()
            .insert_header((header::ACCESS_CONTROL_ALLOW_METHODS, "GET, OPTIONS"))
            .insert_header((header::ACCESS_CONTROL_ALLOW_HEADERS, ALLOW_HEADERS))
            .insert_header((header::ACCESS_CONTROL_MAX_AGE, "86400"))
            .finish();
        add_cors(res.headers_mut());
        return Ok(req.into_response(res));
    }
    let refused = req
        .app_data::<web::Data<PublicState>>()
        .and_then(|public| public.limiter.check(public.client(&req)).err());
    let mut res = match refused {
        Some(err) => req.into_response(err.error_response()),
        None => next.call(req).await?,
    };
    add_cors(res.headers_mut());
    Ok(res)
}

/// The language labels are given in: `lang` when given, else the best of `Accept-Language`,
/// else Swedish.
pub fn response_lang(req: &HttpRequest, explicit: Option<&str>) -> Result<&'static str, ApiError> {
    if let Some(raw) = explicit {
        return lang_code(raw).ok_or_else(|| ApiError::field("lang", "must be sv, nb or en"));
    }
    let Some(accept) = req
        .headers()
        .get(header::ACCEPT_LANGUAGE)
        .and_then(|v| v.to_str().ok())
    else {
        return Ok("sv");
    };
    let mut best: Option<(f32, &'static str)> = None;
    for (i, part) in accept.split(',').enumerate() {
        let mut pieces = part.split(';');
        let tag = pieces.next().unwrap_or_default().trim();
        let q = quality(pieces);
        let Some(code) = lang_code(tag) else { continue };
        // Earlier entries win ties: subtract a tiny amount per position.
        #[expect(clippy::cast_precision_loss, reason = "header positions are small")]
        let rank = q - (i as f32) * 1e-4;
        if q > 0.0 && best.is_none_or(|(r, _)| rank > r) {
            best = Some((rank, code));
        }
    }
    Ok(best.map_or("sv", |(_, code)| code))
}

fn quality<'a>(params: impl Iterator<Item = &'a str>) -> f32 {
    params
        .filter_map(|p| p.trim().strip_prefix("q="))
        .find_map(|q| q.trim().parse::<f32>().ok())
        .unwrap_or(1.0)
}

/// `sv`, `nb` or `en` for a language tag (`sv-SE`, `no`, `nn-NO`, `en-GB`, ...).
fn lang_code(tag: &str) -> Option<&'static str> {
    let primary = tag
        .trim()
        .split(['-', '_'])
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase();
    match primary.as_str() {
        "sv" => Some("sv"),
        "nb" | "no" | "nn" => Some("nb"),
        "en" => Some("en"),
        _ => None,
    }
}

/// Which form of the listing the client asked for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Media {
    Json,
    JsonLd,
}

impl Media {
    pub fn content_type(self) -> &'static str {
        match self {
            Self::Json => "application/json",
            Self::JsonLd => "application/ld+json",
        }
    }

    /// From `Accept`: JSON-LD when `application/ld+json` is acceptable at least as much as plain
    /// JSON; JSON otherwise. 406 when neither is acceptable at all.
    pub fn negotiate(req: &HttpRequest) -> Result<Self, ApiError> {
        let Some(accept) = req
            .headers()
            .get(header::ACCEPT)
            .and_then(|v| v.to_str().ok())
            .filter(|a| !a.trim().is_empty())
        else {
            return Ok(Self::Json);
        };
        let (mut ld, mut json) = (None::<f32>, None::<f32>);
        for part in accept.split(',') {
            let mut pieces = part.split(';');
            let media = pieces
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase();
            let q = quality(pieces);
            let max = |slot: &mut Option<f32>| *slot = Some(slot.map_or(q, |s| s.max(q)));
            match media.as_str() {
                "application/ld+json" => max(&mut ld),
                "application/json" | "application/*" | "*/*" => max(&mut json),
                _ => {}
            }
        }
        match (ld, json) {
            (Some(l), j) if l > 0.0 && l >= j.unwrap_or(0.0) => Ok(Self::JsonLd),
            (_, Some(j)) if j > 0.0 => Ok(Self::Json),
            _ => Err(ApiError::NotAcceptable(
                "this resource is available as application/json or application/ld+json".into(),
            )),
        }
    }
}

/// A built response body with its validators.
#[derive(Debug, Clone)]
pub struct Representation {
    pub body: web::Bytes,
    pub content_type: &'static str,
    /// Strong, quoted ETag: a hash of the body.
    pub etag: String,
    pub last_modified: Option<DateTime<Utc>>,
    pub language: Option<&'static str>,
    /// The request headers the body depends on (empty: none).
    pub vary: &'static str,
}

impl Representation {
    pub fn new(
        body: Vec<u8>,
        content_type: &'static str,
        last_modified: Option<DateTime<Utc>>,
        language: Option<&'static str>,
        vary: &'static str,
    ) -> Self {
        let digest = Sha256::digest(&body);
        let etag = format!("\"{}\"", hex::encode(&digest[..16]));
        Self {
            body: web::Bytes::from(body),
            content_type,
            etag,
            last_modified,
            language,
            vary,
        }
    }

    /// JSON (or JSON-LD) of `value`.
    pub fn json(
        value: &impl serde::Serialize,
        media: Media,
        last_modified: Option<DateTime<Utc>>,
        language: &'static str,
    ) -> Result<Self, ApiError> {
        let body = serde_json::to_vec(value).map_err(ApiError::internal)?;
        Ok(Self::new(
            body,
            media.content_type(),
            last_modified,
            Some(language),
            "Accept, Accept-Language",
        ))
    }
}

/// `Last-Modified` of a representation that depends on today's date (listings start from today,
/// `next_start` moves): the later of `changed` and the start of today (UTC).
pub fn as_of_today(changed: Option<DateTime<Utc>>) -> Option<DateTime<Utc>> {
    let midnight = Utc::now()
        .date_naive()
        .and_hms_opt(0, 0, 0)
        .map(|d| d.and_utc());
    changed.max(midnight)
}

fn http_date(t: DateTime<Utc>) -> String {
    header::HttpDate::from(SystemTime::from(t)).to_string()
}

/// Whether the client's copy is current: `If-None-Match` when present (any listed tag, weak or
/// strong, or `*`), else `If-Modified-Since` against `Last-Modified` (whole seconds).
fn not_modified(req: &HttpRequest, rep: &Representation) -> bool {
    let headers = req.headers();
    if headers.contains_key(header::IF_NONE_MATCH) {
        return headers
            .get_all(header::IF_NONE_MATCH)
            .filter_map(|v| v.to_str().ok())
            .flat_map(|v| v.split(','))
            .map(str::trim)
            .any(|tag| tag == "*" || tag.trim_start_matches("W/") == rep.etag);
    }
    let since = headers
        .get(header::IF_MODIFIED_SINCE)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<header::HttpDate>().ok())
        .map(|d| DateTime::<Utc>::from(SystemTime::from(d)));
    match (since, rep.last_modified) {
        (Some(since), Some(modified)) => modified.timestamp() <= since.timestamp(),
        _ => false,
    }
}

/// The response for `rep`: 304 without a body when the client's copy is current, else 200.
/// Both carry the validators, `Cache-Control` and `Vary`.
pub fn conditional(req: &HttpRequest, rep: &Representation, max_age: u32) -> HttpResponse {
    let status = if not_modified(req, rep) {
        StatusCode::NOT_MODIFIED
    } else {
        StatusCode::OK
    };
    let mut res = HttpResponse::build(status);
    res.insert_header((header::ETAG, rep.etag.clone()))
        .insert_header((
            header::CACHE_CONTROL,
            if max_age == 0 {
                "public, no-cache".to_owned()
            } else {
                format!("public, max-age={max_age}")
            },
        ));
    if !rep.vary.is_empty() {
        res.insert_header((header::VARY, rep.vary));
    }
    if let Some(modified) = rep.last_modified {
        res.insert_header((header::LAST_MODIFIED, http_date(modified)));
    }
    if let Some(lang) = rep.language {
        res.insert_header((header::CONTENT_LANGUAGE, lang));
    }
    if status == StatusCode::NOT_MODIFIED {
        return res.finish();
    }
    res.insert_header((header::CONTENT_TYPE, rep.content_type))
        .body(rep.body.clone())
}

/// What a cached listing was built from: any change to the catalogue of published offers or to
/// the structure (a renamed municipality, a new cluster), or a new day (listings start from
/// today), makes it stale. Read from memory: validating a cached listing costs no database
/// round trip.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Validator {
    /// The catalogue's generation, bumped by every listing change.
    pub generation: u64,
    /// The latest change to any offer (published or not: unpublishing changes listings too).
    pub latest_change: Option<DateTime<Utc>>,
    /// The structure version the places were loaded at.
    pub structure: i64,
    pub today: NaiveDate,
}

impl Validator {
    pub fn current(state: &AppState) -> Self {
        let (generation, latest_change) = state
            .matcher
            .with_catalogue(|c| (c.generation(), c.latest_change()));
        Self {
            generation,
            latest_change,
            structure: state.matcher.structure_version(),
            today: Utc::now().date_naive(),
        }
    }
}

#[derive(Debug)]
struct CachedListing {
    built: Instant,
    validator: Validator,
    representation: Arc<Representation>,
}

/// Built listings by request, so a repeated request costs two aggregate queries instead of a
/// search, several queries and serialisation. An entry is used while no offer changed and for at
/// most the configured seconds (demand counts move without offers changing).
#[derive(Debug)]
pub struct ListingCache {
    ttl: Duration,
    entries: Mutex<HashMap<String, CachedListing>>,
}

/// Entries kept at most; past that, expired ones go and then everything.
const MAX_CACHED_LISTINGS: usize = 1024;

impl ListingCache {
    pub fn new(ttl: Duration) -> Self {
        Self {
            ttl,
            entries: Mutex::new(HashMap::new()),
        }
    }

    pub fn get(&self, key: &str, validator: &Validator) -> Option<Arc<Representation>> {
        if self.ttl.is_zero() {
            return None;
        }
        let entries = self
            .entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        entries
            .get(key)
            .filter(|e| e.validator == *validator && e.built.elapsed() < self.ttl)
            .map(|e| Arc::clone(&e.representation))
    }

    pub fn put(&self, key: String, validator: Validator, representation: Arc<Representation>) {
        if self.ttl.is_zero() {
            return;
        }
        let mut entries = self
            .entries
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        if entries.len() >= MAX_CACHED_LISTINGS {
            let ttl = self.ttl;
            entries.retain(|_, e| e.built.elapsed() < ttl && e.validator == validator);
            if entries.len() >= MAX_CACHED_LISTINGS {
                entries.clear();
            }
        }
        entries.insert(
            key,
            CachedListing {
                built: Instant::now(),
                validator,
                representation,
            },
        );
    }
}

/// The cache key of a request: path, query and the negotiated form and language.
pub fn cache_key(req: &HttpRequest, media: &str, lang: &str) -> String {
    format!("{}?{}|{media}|{lang}", req.path(), req.query_string())
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::test::TestRequest;

    #[test]
    fn accept_language_picks_the_best_supported_language() {
        let req = |v: &str| {
            TestRequest::default()
                .insert_header((header::ACCEPT_LANGUAGE, v))
                .to_http_request()
        };
        assert_eq!(
            response_lang(&req("nb-NO,nb;q=0.9,en;q=0.8"), None).ok(),
            Some("nb")
        );
        assert_eq!(
            response_lang(&req("de, en;q=0.5, sv;q=0.7"), None).ok(),
            Some("sv")
        );
        assert_eq!(response_lang(&req("fr"), None).ok(), Some("sv"));
        assert_eq!(response_lang(&req("sv"), Some("en")).ok(), Some("en"));
        assert!(response_lang(&req("sv"), Some("de")).is_err());
    }

    #[test]
    fn json_ld_is_chosen_only_when_asked_for() {
        let req = |v: &str| {
            TestRequest::default()
                .insert_header((header::ACCEPT, v))
                .to_http_request()
        };
        let media = |v: &str| Media::negotiate(&req(v)).ok();
        assert_eq!(media("application/ld+json"), Some(Media::JsonLd));
        assert_eq!(
            media("application/json, application/ld+json;q=0.5"),
            Some(Media::Json)
        );
        assert_eq!(media("text/html,*/*;q=0.8"), Some(Media::Json));
        assert_eq!(media("text/html"), None);
    }

    #[test]
    fn a_matching_tag_or_an_unchanged_date_means_not_modified() {
        let modified = DateTime::parse_from_rfc3339("2026-11-01T10:00:00.500Z")
            .map(|d| d.with_timezone(&Utc))
            .ok();
        let rep = Representation::new(b"{}".to_vec(), "application/json", modified, None, "Accept");
        let with = |name: header::HeaderName, value: &str| {
            TestRequest::default()
                .insert_header((name, value))
                .to_http_request()
        };
        assert!(not_modified(&with(header::IF_NONE_MATCH, &rep.etag), &rep));
        assert!(not_modified(
            &with(header::IF_NONE_MATCH, &format!("\"x\", W/{}", rep.etag)),
            &rep
        ));
        assert!(!not_modified(
            &with(header::IF_NONE_MATCH, "\"other\""),
            &rep
        ));
        let date = modified.map(http_date).unwrap_or_default();
        assert!(not_modified(&with(header::IF_MODIFIED_SINCE, &date), &rep));
        assert!(!not_modified(
            &with(header::IF_MODIFIED_SINCE, "Sun, 01 Nov 2026 09:59:59 GMT"),
            &rep
        ));
    }
}
