//! schema.org JSON-LD for public offers: each offer a `Course` with `hasCourseInstance`
//! (`CourseInstance`: `courseMode`, `location`, `startDate`, `endDate`), `provider`, `teaches`,
//! `offers` and `educationalLevel`; a listing an `ItemList` of them.
//!
//! The context is inline (`@vocab` schema.org, dates typed `xsd:date`, `url` and `sameAs` as
//! IRIs), so a JSON-LD processor needs nothing from the network to expand it.

use serde_json::{Value, json};

use super::Listing;
use super::listing::Places;
use crate::dto::public::{PublicInstance, PublicOffer};

/// The EQF level descriptions, as the set `educationalLevel` terms belong to.
const EQF_TERM_SET: &str = "https://europa.eu/europass/en/description-eight-eqf-levels";

fn context() -> Value {
    json!({
        "@vocab": "https://schema.org/",
        "xsd": "http://www.w3.org/2001/XMLSchema#",
        "startDate": {"@type": "xsd:date"},
        "endDate": {"@type": "xsd:date"},
        "url": {"@type": "@id"},
        "sameAs": {"@type": "@id"}
    })
}

fn course_mode(offer: &PublicOffer, instance: &PublicInstance) -> &'static str {
    match offer.delivery.as_str() {
        "blended" => "Blended",
        "distance" => "Online",
        _ if instance.distance && instance.municipality.is_none() => "Online",
        _ => "Onsite",
    }
}

fn location(offer: &PublicOffer, instance: &PublicInstance, places: &Places) -> Value {
    match &instance.municipality {
        Some(m) => {
            let country = places
                .municipality(&m.code)
                .map(|row| row.municipality.country.code().to_owned())
                .unwrap_or_default();
            json!({
                "@type": "Place",
                "name": instance.place.clone().unwrap_or_else(|| m.name.clone()),
                "address": {
                    "@type": "PostalAddress",
                    "addressLocality": m.name,
                    "addressCountry": country
                }
            })
        }
        None => json!({
            "@type": "VirtualLocation",
            "url": offer.link.clone().unwrap_or_else(|| offer.url.clone())
        }),
    }
}

fn price(offer: &PublicOffer) -> Value {
    match &offer.cost {
        Some(c) => json!({
            "@type": "Offer",
            "category": if c.amount_minor == 0 { "Free" } else { "Paid" },
            "price": format!("{}.{:02}", c.amount_minor / 100, c.amount_minor % 100),
            "priceCurrency": c.currency
        }),
        // Courses without a stated cost are publicly funded here (komvux, YH, fagskole).
        None => json!({"@type": "Offer", "category": "Free", "price": "0"}),
    }
}

/// One offer as a schema.org `Course` (no `@context`).
pub fn course(offer: &PublicOffer, places: &Places) -> Value {
    let mut teaches: Vec<Value> = offer
        .competences
        .iter()
        .map(|c| {
            let mut term = json!({
                "@type": "DefinedTerm",
                "name": c.label,
                "termCode": c.concept_id.to_string()
            });
            if let Some(uri) = &c.esco_uri {
                term["sameAs"] = json!(uri);
            }
            term
        })
        .collect();
    teaches.extend(
        offer
            .other_competences
            .iter()
            .map(|label| json!({"@type": "DefinedTerm", "name": label})),
    );
    let mut provider = json!({"@type": "EducationalOrganization", "name": offer.provider.name});
    if let Some(site) = &offer.provider.website {
        provider["url"] = json!(site);
    }
    let instances: Vec<Value> = offer
        .instances
        .iter()
        .map(|i| {
            let mut inst = json!({
                "@type": "CourseInstance",
                "courseMode": course_mode(offer, i),
                "location": location(offer, i, places),
                "startDate": i.start.to_string()
            });
            if let Some(end) = i.end {
                inst["endDate"] = json!(end.to_string());
            }
            if let Some(seats) = i.seats {
                inst["maximumAttendeeCapacity"] = json!(seats);
            }
            inst
        })
        .collect();
    let mut course = json!({
        "@type": "Course",
        "@id": offer.url,
        "url": offer.link.clone().unwrap_or_else(|| offer.url.clone()),
        "name": offer.title,
        "inLanguage": offer.language,
        "provider": provider,
        "teaches": teaches,
        "offers": price(offer),
        "hasCourseInstance": instances
    });
    if let Some(d) = &offer.description {
        course["description"] = json!(d);
    }
    if let Some(level) = offer.level {
        course["educationalLevel"] = json!({
            "@type": "DefinedTerm",
            "name": format!("EQF {level}"),
            "termCode": level.to_string(),
            "inDefinedTermSet": EQF_TERM_SET
        });
    }
    course
}

/// One offer as a JSON-LD document.
pub fn course_document(offer: &PublicOffer, places: &Places) -> Value {
    let mut doc = course(offer, places);
    doc["@context"] = context();
    doc
}

/// A listing page as a JSON-LD `ItemList` of `Course`s.
pub fn item_list(items: &[PublicOffer], listing: &Listing, total: u64, self_url: &str) -> Value {
    let elements: Vec<Value> = items
        .iter()
        .enumerate()
        .map(|(i, offer)| {
            json!({
                "@type": "ListItem",
                "position": listing.offset + i as u64 + 1,
                "item": course(offer, &listing.places)
            })
        })
        .collect();
    json!({
        "@context": context(),
        "@type": "ItemList",
        "@id": self_url,
        "numberOfItems": total,
        "itemListElement": elements
    })
}
