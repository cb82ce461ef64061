//! `GET /api/v1/public/offers.atom`: newly published offers as an Atom 1.0 feed, per
//! municipality, cluster or region (the listing's filters), newest first.

use std::io;
use std::sync::Arc;

use actix_web::{HttpRequest, HttpResponse, get, web};
use chrono::{DateTime, SecondsFormat, Utc};
use quick_xml::Writer;
use quick_xml::events::{BytesDecl, BytesText, Event};

use super::{
    Listing, ListingQuery, ListingSort, Representation, Validator, cache_key, conditional,
};
use crate::app::AppState;
use crate::dto::public::PublicOffer;
use crate::error::ApiError;

const ATOM_NS: &str = "http://www.w3.org/2005/Atom";
const CONTENT_TYPE: &str = "application/atom+xml; charset=utf-8";

fn rfc3339(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, true)
}

fn feed_title(lang: &str, places: &[String]) -> String {
    let base = match lang {
        "nb" => "Nye utdanninger",
        "en" => "New courses",
        _ => "Nya utbildningar",
    };
    if places.is_empty() {
        base.to_owned()
    } else {
        format!("{base} – {}", places.join(", "))
    }
}

fn starts_label(lang: &str) -> &'static str {
    match lang {
        "nb" => "Oppstart",
        "en" => "Starts",
        _ => "Start",
    }
}

fn distance_label(lang: &str) -> &'static str {
    match lang {
        "nb" => "Nettbasert",
        "en" => "Distance",
        _ => "Distans",
    }
}

/// One line an entry's summary shows: provider, place, next start.
fn summary(o: &PublicOffer, lang: &str) -> String {
    let mut parts = vec![o.provider.name.clone()];
    let next = o
        .instances
        .iter()
        .find(|i| Some(i.start) == o.next_start)
        .or(o.instances.first());
    if let Some(i) = next {
        parts.push(
            i.municipality
                .as_ref()
                .map_or_else(|| distance_label(lang).to_owned(), |m| m.name.clone()),
        );
        parts.push(format!("{} {}", starts_label(lang), i.start));
    }
    parts.join(" · ")
}

struct Feed<'a> {
    id: &'a str,
    title: String,
    updated: DateTime<Utc>,
    self_url: &'a str,
    alternate_url: &'a str,
    lang: &'a str,
    entries: &'a [PublicOffer],
}

fn write_feed(spec: &Feed<'_>) -> io::Result<Vec<u8>> {
    let mut w = Writer::new_with_indent(Vec::new(), b' ', 2);
    w.write_event(Event::Decl(BytesDecl::new("1.0", Some("utf-8"), None)))?;
    w.create_element("feed")
        .with_attribute(("xmlns", ATOM_NS))
        .with_attribute(("xml:lang", spec.lang))
        .write_inner_content(|w| {
            w.create_element("id")
                .write_text_content(BytesText::new(spec.id))?;
            w.create_element("title")
                .with_attribute(("type", "text"))
                .write_text_content(BytesText::new(&spec.title))?;
            w.create_element("updated")
                .write_text_content(BytesText::new(&rfc3339(spec.updated)))?;
            w.create_element("author").write_inner_content(|w| {
                w.create_element("name")
                    .write_text_content(BytesText::new("Kompetensmäklare"))?;
                Ok(())
            })?;
            w.create_element("link")
                .with_attribute(("rel", "self"))
                .with_attribute(("type", "application/atom+xml"))
                .with_attribute(("href", spec.self_url))
                .write_empty()?;
            w.create_element("link")
                .with_attribute(("rel", "alternate"))
                .with_attribute(("type", "application/json"))
                .with_attribute(("href", spec.alternate_url))
                .write_empty()?;
            w.create_element("generator")
                .write_text_content(BytesText::new("Kompetensmäklare"))?;
            for o in spec.entries {
                write_entry(w, o, spec.lang)?;
            }
            Ok(())
        })?;
    Ok(w.into_inner())
}

fn write_entry(w: &mut Writer<Vec<u8>>, o: &PublicOffer, lang: &str) -> io::Result<()> {
    w.create_element("entry").write_inner_content(|w| {
        w.create_element("id")
            .write_text_content(BytesText::new(&format!("urn:uuid:{}", o.id)))?;
        w.create_element("title")
            .with_attribute(("type", "text"))
            .write_text_content(BytesText::new(&o.title))?;
        w.create_element("updated")
            .write_text_content(BytesText::new(&rfc3339(o.updated_at)))?;
        if let Some(published) = o.published_at {
            w.create_element("published")
                .write_text_content(BytesText::new(&rfc3339(published)))?;
        }
        w.create_element("author").write_inner_content(|w| {
            w.create_element("name")
                .write_text_content(BytesText::new(&o.provider.name))?;
            if let Some(site) = &o.provider.website {
                w.create_element("uri")
                    .write_text_content(BytesText::new(site))?;
            }
            Ok(())
        })?;
        w.create_element("link")
            .with_attribute(("rel", "alternate"))
            .with_attribute(("type", "text/html"))
            .with_attribute(("href", o.link.as_deref().unwrap_or(&o.url)))
            .write_empty()?;
        w.create_element("link")
            .with_attribute(("rel", "related"))
            .with_attribute(("type", "application/json"))
            .with_attribute(("href", o.url.as_str()))
            .write_empty()?;
        for c in &o.competences {
            w.create_element("category")
                .with_attribute(("term", c.concept_id.to_string().as_str()))
                .with_attribute(("label", c.label.as_str()))
                .write_empty()?;
        }
        w.create_element("summary")
            .with_attribute(("type", "text"))
            .write_text_content(BytesText::new(&summary(o, lang)))?;
        if let Some(d) = &o.description {
            w.create_element("content")
                .with_attribute(("type", "text"))
                .write_text_content(BytesText::new(d))?;
        }
        Ok(())
    })?;
    Ok(())
}

/// Newly published offers as an Atom 1.0 feed, newest first; filter by `municipality`,
/// `cluster` or `region` (any of the listing's filters work). Cacheable like the listing.
#[utoipa::path(
    operation_id = "getPublicOffersFeed",
    tag = "public",
    params(ListingQuery),
    responses(
        (status = 200, description = "Atom 1.0 feed", body = String, content_type = "application/atom+xml"),
        (status = 304, description = "The client's copy is current"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 429, body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[get("/offers.atom")]
pub async fn feed(
    state: web::Data<AppState>,
    public: web::Data<super::PublicState>,
    query: crate::extract::ValidQuery<ListingQuery>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    // A bad `lang` is reported with the other parameters by `Listing::parse`.
    let lang = super::response_lang(&req, query.lang.as_deref()).unwrap_or("sv");
    let max_age = state.settings.public_cache_seconds;
    let validator = Validator::current(&state);
    let key = cache_key(&req, "atom", lang);
    if let Some(rep) = public.cache.get(&key, &validator) {
        return Ok(conditional(&req, &rep, max_age));
    }
    let mut listing = Listing::parse(&state, &query, &req).await?;
    if query.sort.is_none() {
        listing.sort = ListingSort::Published;
    }
    let (entries, _) = listing.public_page(&state).await?;
    let base = state.settings.public_base_url.trim_end_matches('/');
    let query_part = match req.query_string() {
        "" => String::new(),
        q => format!("?{q}"),
    };
    let self_url = format!("{base}/api/v1/public/offers.atom{query_part}");
    let alternate_url = format!("{base}/api/v1/public/offers{query_part}");
    let updated = entries
        .iter()
        .map(|e| e.updated_at)
        .chain(validator.latest_change)
        .max()
        .unwrap_or(DateTime::<Utc>::UNIX_EPOCH);
    let body = write_feed(&Feed {
        id: &self_url,
        title: feed_title(listing.lang, &listing.place_names),
        updated,
        self_url: &self_url,
        alternate_url: &alternate_url,
        lang: listing.lang,
        entries: &entries,
    })
    .map_err(ApiError::internal)?;
    let rep = Arc::new(Representation::new(
        body,
        CONTENT_TYPE,
        super::as_of_today(validator.latest_change),
        Some(listing.lang),
        "Accept-Language",
    ));
    public.cache.put(key, validator, Arc::clone(&rep));
    Ok(conditional(&req, &rep, max_age))
}
