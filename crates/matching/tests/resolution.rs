//! Taxonomy resolution, search and phrase spotting against the mini taxonomy.

mod common;

use broker_matching::{Lang, ResolutionMethod};
use common::*;

#[test]
fn preferred_labels_in_three_languages_resolve_to_one_concept() {
    let t = taxonomy();
    for text in [
        "svetsning",
        "sveising",
        "welding",
        "Svetsning",
        "SVEISING",
        "  welding. ",
    ] {
        let r = t.resolve_best(text);
        assert_eq!(
            r.as_ref().map(|r| r.concept_id),
            Some(id(WELDING)),
            "{text}: {r:?}"
        );
        assert_eq!(
            r.map(|r| r.method),
            Some(ResolutionMethod::Preferred),
            "{text}"
        );
    }
}

#[test]
fn alternative_label_and_its_language() {
    let t = taxonomy();
    let r = t.resolve_best("läsa ritningar");
    assert_eq!(r.as_ref().map(|r| r.concept_id), Some(id(BLUEPRINT)));
    assert_eq!(
        r.as_ref().map(|r| r.method),
        Some(ResolutionMethod::Alternative)
    );
    assert_eq!(r.as_ref().map(|r| r.lang), Some(Lang::Sv));
    let r = t.resolve_best("read engineering drawings");
    assert_eq!(
        r.map(|r| (r.concept_id, r.lang)),
        Some((id(BLUEPRINT), Lang::En))
    );
}

#[test]
fn exact_beats_stemmed_beats_fuzzy() {
    let t = taxonomy();
    let exact = t
        .resolve_best("welding")
        .map(|r| r.confidence)
        .unwrap_or(0.0);
    let stemmed = t
        .resolve_best("weldings")
        .map(|r| r.confidence)
        .unwrap_or(0.0);
    let fuzzy = t
        .resolve_best("weldnig")
        .map(|r| r.confidence)
        .unwrap_or(0.0);
    assert!(
        exact > stemmed && stemmed > fuzzy && fuzzy > 0.0,
        "{exact} {stemmed} {fuzzy}"
    );
}

#[test]
fn inflected_forms_resolve_by_stem() {
    let t = taxonomy();
    assert_eq!(
        t.resolve_best("svetsningen").map(|r| r.concept_id),
        Some(id(WELDING))
    );
    assert_eq!(
        t.resolve_best("Läsa ritningarna").map(|r| r.concept_id),
        Some(id(BLUEPRINT))
    );
}

#[test]
fn one_typo_resolves() {
    let t = taxonomy();
    for text in ["svetsnig", "sveisnig", "weldign", "hydralik", "truckkörnig"] {
        let r = t.resolve_best(text);
        assert!(
            r.as_ref()
                .is_some_and(|r| r.method == ResolutionMethod::Fuzzy),
            "{text}: {r:?}"
        );
    }
    assert_eq!(
        t.resolve_best("svetsnig").map(|r| r.concept_id),
        Some(id(WELDING))
    );
    assert_eq!(
        t.resolve_best("hydralik").map(|r| r.concept_id),
        Some(id(HYDRAULICS))
    );
}

#[test]
fn two_typos_resolve_in_longer_words() {
    let t = taxonomy();
    assert_eq!(
        t.resolve_best("svtesnig").map(|r| r.concept_id),
        Some(id(WELDING))
    );
    assert_eq!(
        t.resolve_best("läkemedelshantrenig").map(|r| r.concept_id),
        Some(id(MEDICATION))
    );
    assert_eq!(
        t.resolve_best("ritningslasnig").map(|r| r.concept_id),
        Some(id(BLUEPRINT))
    );
}

#[test]
fn implausible_text_resolves_to_nothing() {
    let t = taxonomy();
    assert!(t.resolve("astrofysik").is_empty());
    assert!(t.resolve("").is_empty());
    assert!(t.resolve("   ").is_empty());
    assert!(t.resolve("xq").is_empty());
}

#[test]
fn deprecated_concept_resolves_to_replacement() {
    let t = taxonomy();
    assert_eq!(
        t.resolve_best("bågsvetsning").map(|r| r.concept_id),
        Some(id(MIG_MAG))
    );
    assert_eq!(t.canonical(id(ARC_WELDING_OLD)), id(MIG_MAG));
    assert!(t.is_deprecated(id(ARC_WELDING_OLD)));
}

#[test]
fn search_is_prefix_first() {
    let t = taxonomy();
    let hits = t.search("svets", 10);
    assert!(!hits.is_empty());
    assert_eq!(hits[0].concept_id, id(WELDING), "{hits:?}");
    // Word prefix inside a label: "MIG/MAG-svetsning" contains the word "svetsning".
    assert!(hits.iter().any(|h| h.concept_id == id(MIG_MAG)));
    assert!(hits.iter().any(|h| h.concept_id == id(TIG)));
    let hits = t.search("fork", 5);
    assert_eq!(hits.first().map(|h| h.concept_id), Some(id(FORKLIFT)));
    assert!(t.search("svets", 2).len() <= 2);
    assert!(t.search("", 5).is_empty());
}

#[test]
fn search_falls_back_to_fuzzy() {
    let t = taxonomy();
    let hits = t.search("hydralik", 5);
    assert_eq!(hits.first().map(|h| h.concept_id), Some(id(HYDRAULICS)));
    assert_eq!(
        hits.first().map(|h| h.method),
        Some(ResolutionMethod::Fuzzy)
    );
}

#[test]
fn occupations_resolve_and_search() {
    let t = taxonomy();
    assert_eq!(
        t.resolve_occupation("svetsare").map(|r| r.concept_id),
        Some(id(OCC_WELDER))
    );
    assert_eq!(
        t.resolve_occupation("sveiser").map(|r| r.concept_id),
        Some(id(OCC_WELDER))
    );
    assert_eq!(
        t.resolve_occupation("Assistant nurse")
            .map(|r| r.concept_id),
        Some(id(OCC_ASSISTANT_NURSE))
    );
    assert_eq!(
        t.search_occupations("under", 5)
            .first()
            .map(|r| r.concept_id),
        Some(id(OCC_ASSISTANT_NURSE))
    );
    assert_eq!(
        t.occupation(id(OCC_WELDER)).map(|o| o.essential.len()),
        Some(3)
    );
    assert!(t.occupation(id(999)).is_none());
    assert_eq!(t.concept_count(), 20);
}

#[test]
fn parse_text_finds_labels_in_a_job_ad() {
    let t = taxonomy();
    let ad = "Vi söker svetsare med erfarenhet av MIG/MAG-svetsning och TIG-svetsning. \
              Du ska kunna läsa ritningar och har truckkort. Meriterande: första hjälpen.";
    let found = t.parse_text(ad);
    let ids: Vec<_> = found.iter().map(|f| f.concept_id).collect();
    for c in [MIG_MAG, TIG, BLUEPRINT, FORKLIFT, FIRST_AID] {
        assert!(ids.contains(&id(c)), "missing {c}: {found:?}");
    }
    for f in &found {
        assert_eq!(&ad[f.start..f.end], f.matched_text);
        assert!(f.confidence > 0.0 && f.confidence <= 1.0);
    }
    // Non-overlapping and in order.
    for pair in found.windows(2) {
        assert!(pair[0].end <= pair[1].start);
    }
    // Longest match wins: "MIG/MAG-svetsning" is one match, not "svetsning" alone.
    assert!(found.iter().any(|f| f.matched_text == "MIG/MAG-svetsning"));
}

#[test]
fn parse_text_uses_stems_and_other_languages() {
    let t = taxonomy();
    let found =
        t.parse_text("We need people for welding and forklift driving; sveising er en fordel.");
    let ids: Vec<_> = found.iter().map(|f| f.concept_id).collect();
    assert_eq!(
        ids,
        vec![id(WELDING), id(FORKLIFT), id(WELDING)],
        "{found:?}"
    );
    let found = t.parse_text("Erfarenhet av ritningsläsningen krävs");
    assert_eq!(
        found.first().map(|f| f.concept_id),
        Some(id(BLUEPRINT)),
        "{found:?}"
    );
}

#[test]
fn a_remembered_resolution_is_the_one_computed() {
    let t = taxonomy();
    for text in [
        "svetsning",
        "weldnig",
        "läsa ritningar",
        "nothing like any label",
        "svetsning",
    ] {
        let computed = t.resolve(text).into_iter().next();
        assert_eq!(t.resolve_best(text), computed, "{text}");
        assert_eq!(t.resolve_best(text), computed, "{text}, asked again");
    }
}

#[test]
fn a_longer_label_that_mentions_one_concept_names_it() {
    let t = taxonomy();
    let mentioned = |label: &str| t.mentioned_concept(label).map(|r| r.concept_id);
    assert_eq!(
        mentioned("truckkort till lagret i Uddevalla"),
        Some(id(FORKLIFT))
    );
    assert_eq!(
        mentioned("erfarenhet av TIG-svetsning i rostfritt"),
        Some(id(TIG))
    );
    // Two different concepts: the label names neither.
    assert_eq!(mentioned("truckkort och TIG-svetsning"), None);
    assert_eq!(mentioned("tillämpa kromatografiprogramvara"), None);
}

#[test]
fn words_that_only_phrase_a_requirement_do_not_count() {
    let t = taxonomy();
    for text in [
        "kunna svetsa",
        "goda kunskaper i svetsning",
        "erfaring med sveising",
        "experience in welding",
    ] {
        let best = t.resolve_best(text);
        assert_eq!(
            best.as_ref().map(|r| r.concept_id),
            Some(id(WELDING)),
            "{text}"
        );
        // As sure as the bare word: the label is the competence, word for word.
        assert!(best.is_some_and(|r| r.confidence >= 0.85), "{text}");
    }
}
