//! Free-text search over offers (public listings): concepts from the taxonomy, words in any of
//! the three languages, relevance order.

mod common;

use std::sync::Arc;

use broker_matching::{Delivery, Engine};
use common::*;

fn engine() -> Engine {
    let mut e = Engine::new(Arc::new(taxonomy()), geography());
    let inst = || vec![on_site("2027-03-01", "1480", Some(10))];
    e.upsert_offer(offer(
        500,
        "Svetsning grundkurs",
        "MIG/MAG och TIG i verkstad",
        &[WELDING, MIG_MAG, TIG],
        Some(3),
        Delivery::OnSite,
        inst(),
    ));
    e.upsert_offer(offer(
        501,
        "Truckkort A+B",
        "Motvikts- och skjutstativtruck",
        &[FORKLIFT],
        Some(2),
        Delivery::OnSite,
        inst(),
    ));
    e.upsert_offer(offer(
        502,
        "Underhåll i verkstad",
        "Hydraulik och säkerhet i verkstad",
        &[HYDRAULICS, SAFETY],
        Some(4),
        Delivery::Blended,
        inst(),
    ));
    e
}

#[test]
fn a_competence_in_another_language_finds_the_offer_that_teaches_it() {
    let hits = engine().search_offers("welding", &[]);
    assert_eq!(hits.first().map(|h| h.offer_id), Some(id(500)), "{hits:?}");
    assert!(hits.iter().all(|h| h.offer_id != id(501)));
}

#[test]
fn words_match_title_and_description_and_more_words_rank_higher() {
    let hits = engine().search_offers("verkstad hydraulik", &[]);
    let ids: Vec<_> = hits.iter().map(|h| h.offer_id).collect();
    assert_eq!(ids.first(), Some(&id(502)), "{hits:?}");
    assert!(ids.contains(&id(500)), "shares `verkstad`: {hits:?}");
    assert!(!ids.contains(&id(501)));
    assert!(hits[0].score > hits[1].score);
}

#[test]
fn given_concepts_count_and_nothing_matches_nothing() {
    let e = engine();
    let hits = e.search_offers("", &[id(FORKLIFT)]);
    assert_eq!(hits.len(), 1);
    assert_eq!(hits[0].offer_id, id(501));
    assert!((hits[0].score - 1.0).abs() < 1e-9);
    assert!(e.search_offers("zzzqqq", &[]).is_empty());
    assert!(e.search_offers("  ", &[]).is_empty());
}

#[test]
fn removed_offers_are_not_found() {
    let mut e = engine();
    e.remove_offer(id(501));
    assert!(e.search_offers("truckkort", &[]).is_empty());
}

#[test]
fn scores_are_the_shares_of_concepts_taught_and_words_used() {
    let e = engine();
    let score_of = |hits: &[broker_matching::OfferHit], n: u128| {
        hits.iter().find(|h| h.offer_id == id(n)).map(|h| h.score)
    };
    // `hydraulik` is also a concept, so 0.6 of the score is the share of concepts taught and
    // 0.4 the share of words used (each once however many of its stems match): 502 has all,
    // 500 only `verkstad`, twice of three words.
    let hits = e.search_offers("verkstad hydraulik verkstad", &[]);
    assert_eq!(score_of(&hits, 502), Some(1.0), "{hits:?}");
    let words_only = score_of(&hits, 500).unwrap_or_default();
    assert!((words_only - 0.4 * 2.0 / 3.0).abs() < 1e-9, "{hits:?}");
    let hits = e.search_offers_unranked("hydraulik", &[id(FORKLIFT), id(HYDRAULICS)]);
    let mixed = score_of(&hits, 502).unwrap_or_default();
    assert!((mixed - (0.6 * 0.5 + 0.4)).abs() < 1e-9, "{hits:?}");
    let forklift = score_of(&hits, 501).unwrap_or_default();
    assert!((forklift - 0.6 * 0.5).abs() < 1e-9, "{hits:?}");
}
