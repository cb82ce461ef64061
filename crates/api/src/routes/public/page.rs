//! `GET /offers`: the public listing as a plain server-rendered HTML page for people and search
//! engines: the same filters as query parameters, Swedish, Norwegian or English, schema.org
//! microdata (`ItemList` of `Course`s with `CourseInstance`s), no script. The widget's fallback
//! link points here, so a visitor whose browser cannot run the widget still reaches the offers.

use std::fmt::Write as _;

use actix_web::http::header::{CACHE_CONTROL, CONTENT_TYPE};
use actix_web::{HttpRequest, HttpResponse, get, web};

use super::{Listing, ListingQuery};
use crate::app::AppState;
use crate::dto::public::PublicOffer;
use crate::error::ApiError;

struct Words {
    heading: &'static str,
    found: &'static str,
    none: &'static str,
    search: &'static str,
    provider: &'static str,
    starts: &'static str,
    distance: &'static str,
    demand: &'static str,
    previous: &'static str,
    next: &'static str,
    read_more: &'static str,
    feed: &'static str,
}

fn words(lang: &str) -> Words {
    match lang {
        "nb" => Words {
            heading: "Utdanninger",
            found: "{n} utdanninger",
            none: "Ingen utdanninger samsvarer med søket.",
            search: "Søk",
            provider: "Tilbyder",
            starts: "Oppstart",
            distance: "Nettbasert",
            demand: "{n} behov hos arbeidsgivere ({p} personer) i regionen etterspør dette",
            previous: "Forrige side",
            next: "Neste side",
            read_more: "Les mer og søk",
            feed: "Nye utdanninger (Atom)",
        },
        "en" => Words {
            heading: "Courses",
            found: "{n} courses",
            none: "No courses match the search.",
            search: "Search",
            provider: "Provider",
            starts: "Starts",
            distance: "Distance",
            demand: "{n} employer needs ({p} people) in the region ask for this",
            previous: "Previous page",
            next: "Next page",
            read_more: "Read more and apply",
            feed: "New courses (Atom)",
        },
        _ => Words {
            heading: "Utbildningar",
            found: "{n} utbildningar",
            none: "Inga utbildningar matchar sökningen.",
            search: "Sök",
            provider: "Utbildningsanordnare",
            starts: "Start",
            distance: "Distans",
            demand: "{n} arbetsgivarbehov ({p} personer) i regionen efterfrågar detta",
            previous: "Föregående sida",
            next: "Nästa sida",
            read_more: "Läs mer och ansök",
            feed: "Nya utbildningar (Atom)",
        },
    }
}

/// Text safe inside HTML elements and quoted attributes (the escaping the Atom feed uses too).
fn escape(text: &str) -> String {
    quick_xml::escape::escape(text).into_owned()
}

/// The request's query string without `offset`, for paging links.
fn query_without_offset(req: &HttpRequest) -> String {
    req.query_string()
        .split('&')
        .filter(|p| !p.is_empty() && !p.starts_with("offset="))
        .collect::<Vec<_>>()
        .join("&")
}

fn offer_html(out: &mut String, o: &PublicOffer, w: &Words) {
    let href = o.link.clone().unwrap_or_else(|| o.url.clone());
    let _ = write!(
        out,
        r#"<li itemprop="itemListElement" itemscope itemtype="https://schema.org/Course" data-offer-id="{id}">
<h2 itemprop="name">{title}</h2>
"#,
        id = o.id,
        title = escape(&o.title),
    );
    if let Some(d) = &o.description {
        let _ = writeln!(out, r#"<p itemprop="description">{}</p>"#, escape(d));
    }
    if !o.provider.name.is_empty() {
        let _ = writeln!(
            out,
            r#"<p>{label}: <span itemprop="provider" itemscope itemtype="https://schema.org/Organization"><span itemprop="name">{name}</span></span></p>"#,
            label = w.provider,
            name = escape(&o.provider.name),
        );
    }
    if !o.instances.is_empty() {
        out.push_str("<ul class=\"instances\">\n");
        for i in &o.instances {
            let place = match (&i.municipality, i.distance) {
                (Some(m), _) => escape(&m.name),
                (None, true) => w.distance.to_owned(),
                (None, false) => String::new(),
            };
            let mode = if i.distance { "online" } else { "onsite" };
            let _ = writeln!(
                out,
                r#"<li itemprop="hasCourseInstance" itemscope itemtype="https://schema.org/CourseInstance"><meta itemprop="courseMode" content="{mode}">{starts} <time itemprop="startDate" datetime="{start}">{start}</time>{sep}<span itemprop="location">{place}</span></li>"#,
                starts = w.starts,
                start = i.start,
                sep = if place.is_empty() { "" } else { " · " },
            );
        }
        out.push_str("</ul>\n");
    }
    let counts = &o.demand.counts;
    if counts.open_needs > 0 {
        let _ = writeln!(
            out,
            r#"<p class="demand">{}</p>"#,
            w.demand
                .replace("{n}", &counts.open_needs.to_string())
                .replace("{p}", &counts.headcount.to_string())
        );
    }
    let _ = writeln!(
        out,
        r#"<p><a itemprop="url" href="{href}" hreflang="{lang}">{read_more}</a></p>
</li>"#,
        href = escape(&href),
        lang = escape(&o.language),
        read_more = w.read_more,
    );
}

/// The public offers as an HTML page. Takes the listing's query parameters.
#[utoipa::path(
    operation_id = "getPublicOffersPage",
    tag = "public",
    params(ListingQuery),
    responses(
        (status = 200, description = "The offers as an HTML page with schema.org microdata", body = String, content_type = "text/html"),
        (status = 422, description = "A parameter is invalid; `errors` names it", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 429, description = "Rate limit; see `Retry-After`", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[get("")]
pub async fn offers_page(
    state: web::Data<AppState>,
    query: crate::extract::ValidQuery<ListingQuery>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let listing = Listing::parse(&state, &query, &req).await?;
    let (items, total) = listing.public_page(&state).await?;
    let lang = listing.lang;
    let w = words(lang);
    let heading = match listing.place_names.as_slice() {
        [] => w.heading.to_owned(),
        names => format!("{} – {}", w.heading, names.join(", ")),
    };
    let kept = query_without_offset(&req);
    let mut out = String::with_capacity(4096 + items.len() * 1024);
    let _ = write!(
        out,
        r#"<!doctype html>
<html lang="{lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>{title}</title>
<link rel="alternate" type="application/atom+xml" title="{feed}" href="/api/v1/public/offers.atom?{kept_attr}">
<style>
body{{font-family:system-ui,sans-serif;line-height:1.5;margin:0 auto;max-width:48em;padding:1em;color:#1d1d1d}}
ol.offers{{list-style:none;padding:0}} ol.offers>li{{border-top:1px solid #ddd;padding:.5em 0}}
h2{{font-size:1.15em;margin:.2em 0}} .demand{{background:#fff4d0;display:inline-block;padding:0 .4em;border-radius:.3em}}
ul.instances{{padding-left:1.2em}} nav a{{margin-right:1em}}
</style>
</head>
<body>
<main>
<h1>{title}</h1>
<form method="get" action="/offers" role="search">
"#,
        title = escape(&heading),
        feed = w.feed,
        kept_attr = escape(&kept),
    );
    // The other filters ride along as hidden fields, so a search stays within the same place.
    for (name, value) in form_urlencoded::parse(kept.as_bytes()) {
        if name != "q" {
            let _ = writeln!(
                out,
                r#"<input type="hidden" name="{}" value="{}">"#,
                escape(&name),
                escape(&value)
            );
        }
    }
    let _ = write!(
        out,
        r#"<label>{search} <input type="search" name="q" value="{q}"></label> <button type="submit">{search}</button>
</form>
<p>{found}</p>
"#,
        search = w.search,
        q = escape(query.q.as_deref().unwrap_or_default()),
        found = if total == 0 {
            w.none.to_owned()
        } else {
            w.found.replace("{n}", &total.to_string())
        },
    );
    let _ = writeln!(
        out,
        r#"<ol class="offers" itemscope itemtype="https://schema.org/ItemList"><meta itemprop="numberOfItems" content="{total}">"#
    );
    for o in &items {
        offer_html(&mut out, o, &w);
    }
    out.push_str("</ol>\n<nav>");
    let join = if kept.is_empty() { "" } else { "&amp;" };
    if listing.offset > 0 {
        let previous = listing.offset.saturating_sub(listing.limit);
        let _ = write!(
            out,
            r#"<a rel="prev" href="/offers?{}{join}offset={previous}">{}</a>"#,
            escape(&kept),
            w.previous
        );
    }
    if listing.offset + (items.len() as u64) < total {
        let next = listing.offset + listing.limit;
        let _ = write!(
            out,
            r#"<a rel="next" href="/offers?{}{join}offset={next}">{}</a>"#,
            escape(&kept),
            w.next
        );
    }
    out.push_str("</nav>\n</main>\n</body>\n</html>\n");
    Ok(HttpResponse::Ok()
        .insert_header((CONTENT_TYPE, "text/html; charset=utf-8"))
        .insert_header((
            CACHE_CONTROL,
            format!("public, max-age={}", state.settings.public_cache_seconds),
        ))
        .insert_header(("Content-Language", lang))
        .body(out))
}
