//! Ranking quality on a hand-built mini world: ~15 offers, ~10 needs, expected top suggestions.

mod common;

use std::sync::Arc;

use broker_matching::{
    ContactDoc, Delivery, DeliveryPreference, Engine, MatchOptions, NeedDoc, Suggestion,
};
use common::*;

fn engine() -> Engine {
    let mut e = Engine::new(Arc::new(taxonomy()), geography());
    use Delivery::*;
    let offers = vec![
        offer(
            101,
            "MIG/MAG-svetsning grundkurs",
            "Grundläggande svetsning med MIG/MAG och ritningsläsning för industrin.",
            &[MIG_MAG, WELDING, BLUEPRINT],
            Some(3),
            OnSite,
            vec![on_site("2027-02-01", "1480", Some(12))],
        ),
        offer(
            102,
            "TIG-svetsning fördjupning",
            "Fördjupning i TIG-svetsning av rostfritt och aluminium.",
            &[TIG, WELDING],
            Some(4),
            OnSite,
            vec![on_site("2027-03-15", "1481", Some(8))],
        ),
        offer(
            103,
            "Svetsning på distans",
            "Teori och praktik i svetsning, praktik hos lokal partner.",
            &[WELDING, MIG_MAG],
            Some(3),
            Distance,
            vec![remote("2027-02-15", Some(30))],
        ),
        offer(
            104,
            "Welding course Stockholm",
            "MIG/MAG and TIG welding for beginners.",
            &[WELDING, MIG_MAG, TIG],
            Some(3),
            OnSite,
            vec![on_site("2027-02-01", "0180", Some(10))],
        ),
        offer(
            105,
            "Svetsning hösten 2026",
            "Gammal kursomgång.",
            &[WELDING, MIG_MAG, BLUEPRINT],
            Some(3),
            OnSite,
            vec![on_site("2026-11-01", "1480", Some(12))],
        ),
        offer(
            106,
            "CNC-operatör grundutbildning",
            "CNC-bearbetning, ritningsläsning och kvalitetskontroll.",
            &[CNC, BLUEPRINT, QUALITY],
            Some(3),
            OnSite,
            vec![on_site("2027-02-20", "1490", Some(16))],
        ),
        offer(
            107,
            "CNC-programmering",
            "Programmering av fleroperationsmaskiner.",
            &[CNC_PROG, CNC],
            Some(4),
            Blended,
            vec![on_site("2027-04-01", "1480", Some(10))],
        ),
        offer(
            108,
            "Truckkort A+B",
            "Truckkörning med motvikts- och skjutstativtruck, arbetsmiljö.",
            &[FORKLIFT, SAFETY],
            Some(2),
            OnSite,
            vec![on_site("2027-01-20", "1482", Some(10))],
        ),
        offer(
            109,
            "Lastbil C-körkort",
            "Utbildning till lastbilschaufför med första hjälpen.",
            &[HEAVY_TRUCK, FIRST_AID],
            Some(3),
            OnSite,
            vec![on_site("2027-03-01", "1480", Some(6))],
        ),
        offer(
            110,
            "Undersköterskeutbildning",
            "Omvårdnad, läkemedelshantering, basala hygienrutiner och demensvård.",
            &[PERSONAL_CARE, MEDICATION, HYGIENE, DEMENTIA],
            Some(4),
            Blended,
            vec![on_site("2027-08-20", "1480", Some(30))],
        ),
        offer(
            111,
            "Demensvård webbkurs",
            "Kurs i demensvård på distans.",
            &[DEMENTIA],
            None,
            Distance,
            vec![remote("2027-02-01", None)],
        ),
        offer(
            112,
            "Läkemedelshantering för vårdpersonal",
            "Delegering och läkemedelshantering.",
            &[MEDICATION, HYGIENE],
            Some(4),
            OnSite,
            vec![on_site("2027-02-10", "0180", Some(20))],
        ),
        offer(
            113,
            "Hydraulik för mekaniker",
            "Hydraulik och arbetsmiljö i verkstaden.",
            &[HYDRAULICS, SAFETY],
            Some(4),
            OnSite,
            vec![on_site("2027-03-01", "1490", Some(12))],
        ),
        offer(
            114,
            "Kranförarutbildning",
            "Utbildning för kran och travers enligt AFS.",
            &[CRANE, SAFETY],
            Some(3),
            OnSite,
            vec![on_site("2027-02-01", "1481", Some(8))],
        ),
        offer(
            115,
            "Sveising for nybegynnere",
            "Grunnleggende sveising og MIG/MAG-sveising i Oslo.",
            &[WELDING, MIG_MAG],
            Some(3),
            OnSite,
            vec![on_site("2027-02-01", "0301", Some(10))],
        ),
        offer(
            116,
            "Kundservice i butik",
            "Bemötande och kundservice.",
            &[CUSTOMER_SERVICE],
            Some(2),
            Distance,
            vec![remote("2027-02-01", Some(50))],
        ),
    ];
    for o in offers {
        e.upsert_offer(o);
    }
    e
}

fn opts() -> MatchOptions {
    MatchOptions::new(today())
}

fn top(s: &[Suggestion]) -> Option<u128> {
    s.first().map(|s| s.target_id.as_u128())
}

fn ids(s: &[Suggestion]) -> Vec<u128> {
    s.iter().map(|s| s.target_id.as_u128()).collect()
}

#[test]
fn welder_mig_mag_in_goteborg() {
    let e = engine();
    let mut n = need(
        1,
        "Svetsare till verkstad",
        "1480",
        vec![must("MIG/MAG-svetsning"), must("ritningsläsning")],
    );
    n.headcount = 4;
    n.needed_by = Some(date("2027-03-01"));
    n.wanted_level = Some(3);
    let s = e.suggest_offers(&n, &opts());
    assert_eq!(top(&s), Some(101), "{s:#?}");
    assert!(!ids(&s).contains(&105), "past offers are never suggested");
    let first = &s[0];
    assert!(
        first
            .explanation
            .contains("teaches 2 of 2 must-have competences"),
        "{}",
        first.explanation
    );
    assert!(
        first.explanation.contains("MIG/MAG-svetsning"),
        "{}",
        first.explanation
    );
    assert!(
        first
            .explanation
            .contains("starts 2027-02-01, before the needed-by date 2027-03-01"),
        "{}",
        first.explanation
    );
    assert!(
        first.explanation.contains("12 seats for 4 people"),
        "{}",
        first.explanation
    );
    assert_eq!(first.factors.len(), 7);
}

#[test]
fn tig_in_goteborg_prefers_the_cluster_over_stockholm() {
    let e = engine();
    let mut n = need(2, "TIG-svetsare", "1480", vec![must_id(TIG)]);
    n.needed_by = Some(date("2027-04-01"));
    let s = e.suggest_offers(&n, &opts());
    assert_eq!(top(&s), Some(102), "{s:#?}");
    let pos = |id: u128| ids(&s).iter().position(|&x| x == id);
    assert!(pos(104).is_none_or(|p| p > 0));
}

#[test]
fn occupation_need_wanting_distance() {
    let e = engine();
    let mut n = need(3, "Svetsare", "1480", vec![]);
    n.occupation = Some(id(OCC_WELDER));
    n.delivery = Some(DeliveryPreference {
        on_site: false,
        distance: true,
        part_time: false,
    });
    let s = e.suggest_offers(&n, &opts());
    let top2 = &ids(&s)[..2.min(s.len())];
    assert!(top2.contains(&101) && top2.contains(&103), "{s:#?}");
    assert!(
        s[0].explanation
            .contains("matched on the occupation's essential competences"),
        "{}",
        s[0].explanation
    );
    assert_eq!(s[0].evidence.via_occupation, Some(id(OCC_WELDER)));
}

#[test]
fn occupation_is_guessed_from_the_title_when_no_requirements() {
    let e = engine();
    let n = need(33, "Undersköterska", "1480", vec![]);
    let s = e.suggest_offers(&n, &opts());
    assert_eq!(top(&s), Some(110), "{s:#?}");
    assert_eq!(s[0].evidence.via_occupation, Some(id(OCC_ASSISTANT_NURSE)));
}

#[test]
fn cnc_in_boras() {
    let e = engine();
    let n = need(
        4,
        "CNC-operatörer",
        "1490",
        vec![
            must("CNC-bearbetning"),
            must("läsa ritningar"),
            nice("kvalitetskontroll"),
        ],
    );
    let s = e.suggest_offers(&n, &opts());
    assert_eq!(top(&s), Some(106), "{s:#?}");
    assert_eq!(s[0].evidence.covered_nice, vec![id(QUALITY)]);
}

#[test]
fn forklift_in_english() {
    let e = engine();
    let mut n = need(
        5,
        "Forklift drivers for the warehouse",
        "1482",
        vec![must("forklift driving")],
    );
    n.headcount = 3;
    n.needed_by = Some(date("2027-02-01"));
    let s = e.suggest_offers(&n, &opts());
    assert_eq!(top(&s), Some(108), "{s:#?}");
    assert!(
        s[0].explanation.contains("forklift driving"),
        "English need, English labels: {}",
        s[0].explanation
    );
}

#[test]
fn assistant_nurses_by_occupation() {
    let e = engine();
    let mut n = need(6, "Undersköterskor till hemtjänsten", "1480", vec![]);
    n.occupation = Some(id(OCC_ASSISTANT_NURSE));
    n.headcount = 10;
    n.needed_by = Some(date("2027-09-01"));
    let s = e.suggest_offers(&n, &opts());
    assert_eq!(top(&s), Some(110), "{s:#?}");
    assert!(s[0].evidence.missing_must.is_empty());
}

#[test]
fn medication_in_stockholm() {
    let e = engine();
    let n = need(
        7,
        "Läkemedelsdelegering",
        "0180",
        vec![must("läkemedelshantering")],
    );
    let s = e.suggest_offers(&n, &opts());
    assert_eq!(top(&s), Some(112), "{s:#?}");
}

#[test]
fn norwegian_welding_need_in_oslo() {
    let e = engine();
    let n = need(8, "Vi trenger sveisere", "0301", vec![must("sveising")]);
    let s = e.suggest_offers(&n, &opts());
    assert_eq!(top(&s), Some(115), "{s:#?}");
    assert_eq!(
        ids(&s).get(1),
        Some(&103),
        "the distance course comes next: {s:#?}"
    );
}

#[test]
fn typo_in_requirement_still_matches() {
    let e = engine();
    let n = need(
        9,
        "Svetsare",
        "1480",
        vec![must("svetsnig"), must("MIG/MAG-svetsning")],
    );
    let s = e.suggest_offers(&n, &opts());
    assert!(matches!(top(&s), Some(101 | 103)), "{s:#?}");
    assert!(s[0].evidence.unresolved_labels.is_empty());
}

#[test]
fn truck_driver_in_molndal() {
    let e = engine();
    let n = need(
        10,
        "Lastbilschaufförer",
        "1481",
        vec![must("lastbilskörning"), nice("första hjälpen")],
    );
    let s = e.suggest_offers(&n, &opts());
    assert_eq!(top(&s), Some(109), "{s:#?}");
    assert!(
        s[0].explanation.contains("in the same cluster"),
        "{}",
        s[0].explanation
    );
}

#[test]
fn unresolved_label_matches_offer_text() {
    let e = engine();
    let n = need(11, "Traversförare", "1481", vec![must("travers")]);
    let s = e.suggest_offers(&n, &opts());
    assert_eq!(top(&s), Some(114), "{s:#?}");
    assert_eq!(s[0].evidence.unresolved_labels, vec!["travers".to_owned()]);
    assert!(
        s[0].explanation
            .contains("words of “travers” found in the course: “travers”"),
        "{}",
        s[0].explanation
    );
}

#[test]
fn irrelevant_offers_are_not_suggested() {
    let e = engine();
    let n = need(12, "Kock", "1480", vec![must("matlagning")]);
    assert!(e.suggest_offers(&n, &opts()).is_empty());
}

fn pooled_need(n: u128, municipality: &str) -> NeedDoc {
    let mut d = need(
        n,
        "MIG/MAG-svetsare",
        municipality,
        vec![must_id(MIG_MAG), must_id(WELDING)],
    );
    d.needed_by = Some(date("2027-03-01"));
    d
}

#[test]
fn pooling_ranks_cluster_before_region_and_excludes_self_and_far() {
    let mut e = engine();
    let me = pooled_need(201, "1480");
    for n in [
        me.clone(),
        pooled_need(202, "1481"),
        pooled_need(203, "1490"),
        pooled_need(204, "0180"),
        pooled_need(205, "1480"),
        need(206, "Kockar", "1481", vec![must_id(COOKING)]),
    ] {
        e.upsert_need(n);
    }
    assert_eq!(e.need_count(), 6);
    let s = e.suggest_pooling(&me, &opts());
    assert_eq!(ids(&s), vec![202, 203], "{s:#?}");
    assert!(
        s[0].explanation.contains("same cluster"),
        "{}",
        s[0].explanation
    );

    // Offer -> needs and demand.
    let o = offer(
        101,
        "MIG/MAG-svetsning grundkurs",
        "",
        &[MIG_MAG, WELDING, BLUEPRINT],
        Some(3),
        Delivery::OnSite,
        vec![on_site("2027-02-01", "1480", Some(12))],
    );
    let needs = e.suggest_needs_for_offer(&o, &opts());
    assert_eq!(
        needs
            .first()
            .map(|s| s.target_id.as_u128())
            .filter(|t| *t == 201 || *t == 205),
        needs.first().map(|s| s.target_id.as_u128())
    );
    assert!(!ids(&needs).contains(&206));
    let d = e.demand_for_offer(id(101), None);
    assert_eq!((d.open_needs, d.headcount), (5, 5));
    let d = e.demand_for_offer(id(101), Some("14"));
    assert_eq!(d.open_needs, 4);
    assert_eq!(
        e.demand_for_offer(id(101), Some("no-such-region")),
        broker_matching::Demand::default()
    );
    // A need in a municipality the geography does not know lies in no region, known or not.
    e.upsert_need(pooled_need(207, "9999"));
    assert_eq!(e.demand_for_offer(id(101), None).open_needs, 6);
    assert_eq!(e.demand_for_offer(id(101), Some("14")).open_needs, 4);
    assert_eq!(
        e.demand_for_offer(id(101), Some("no-such-region")),
        broker_matching::Demand::default()
    );
    e.remove_need(id(207));
    e.remove_need(id(205));
    assert_eq!(e.demand_for_offer(id(101), None).open_needs, 4);
}

/// Pooling reads the needs of nearby municipalities when they are fewer than the needs sharing
/// a competence, and the shared postings otherwise; both must find the same partners, and a
/// need that moves or goes leaves the municipality it was in.
#[test]
fn pooling_finds_the_same_partners_whichever_list_it_reads() {
    let mut e = engine();
    let me = pooled_need(301, "1480");
    e.upsert_need(me.clone());
    // Many welders in my own municipality: more needs share the competence than live nearby.
    for n in 0..40 {
        e.upsert_need(pooled_need(400 + n, "1480"));
    }
    e.upsert_need(pooled_need(302, "1481"));
    e.upsert_need(pooled_need(303, "1490"));
    e.upsert_need(pooled_need(304, "0180"));
    assert_eq!(ids(&e.suggest_pooling(&me, &opts())), vec![302, 303]);
    // Many cooks nearby: now more needs live nearby than share the competence.
    for n in 0..1000 {
        e.upsert_need(need(1000 + n, "Kockar", "1481", vec![must_id(COOKING)]));
    }
    assert_eq!(ids(&e.suggest_pooling(&me, &opts())), vec![302, 303]);
    // A partner that moves far away, and one that goes, are no longer found.
    e.upsert_need(pooled_need(302, "0180"));
    e.remove_need(id(303));
    assert!(e.suggest_pooling(&me, &opts()).is_empty());
    e.upsert_need(pooled_need(303, "1490"));
    assert_eq!(ids(&e.suggest_pooling(&me, &opts())), vec![303]);
}

#[test]
fn contacts_cover_competence_and_place() {
    let mut e = engine();
    e.upsert_contact(ContactDoc {
        id: id(301),
        municipalities: vec!["1480".into(), "1481".into()],
        concepts: vec![id(WELDING), id(MIG_MAG), id(TIG)],
        area_text: vec!["svetsning".into()],
    });
    e.upsert_contact(ContactDoc {
        id: id(302),
        municipalities: vec!["0180".into()],
        concepts: vec![id(WELDING)],
        area_text: vec![],
    });
    e.upsert_contact(ContactDoc {
        id: id(303),
        municipalities: vec!["1490".into()],
        concepts: vec![id(CNC)],
        area_text: vec!["CNC".into()],
    });
    e.upsert_contact(ContactDoc {
        id: id(304),
        municipalities: vec!["1482".into()],
        concepts: vec![],
        area_text: vec!["svetsning och plåt".into()],
    });
    let n = need(1, "Svetsare", "1480", vec![must("MIG/MAG-svetsning")]);
    let s = e.suggest_contacts(&n, &opts());
    assert_eq!(top(&s), Some(301), "{s:#?}");
    assert!(!ids(&s).contains(&303));
    assert!(
        s[0].explanation.contains("covers the need's municipality"),
        "{}",
        s[0].explanation
    );
    e.remove_contact(id(301));
    assert_ne!(top(&e.suggest_contacts(&n, &opts())), Some(301));
}

#[test]
fn offers_and_contacts_ranked_together_are_those_ranked_apart() {
    let mut e = engine();
    e.upsert_contact(ContactDoc {
        id: id(301),
        municipalities: vec!["1480".into()],
        concepts: vec![id(WELDING)],
        area_text: vec!["svetsning".into()],
    });
    e.upsert_contact(ContactDoc {
        id: id(302),
        municipalities: vec!["1480".into()],
        concepts: vec![],
        area_text: vec!["vård och omsorg".into()],
    });
    // One need offers fit, one no offer fits (its place's contact is the fallback).
    let needs = [
        need(1, "Svetsare", "1480", vec![must("MIG/MAG-svetsning")]),
        need(
            2,
            "Hovslagare",
            "1480",
            vec![must("hovslagning av islandshästar")],
        ),
    ];
    let mut fallback_seen = false;
    for n in &needs {
        let (offers, contacts) = e.suggest_offers_and_contacts(n, &opts());
        assert_eq!(offers, e.suggest_offers(n, &opts()), "{:?}", n.title);
        assert_eq!(contacts, e.suggest_contacts(n, &opts()), "{:?}", n.title);
        fallback_seen |= offers.is_empty() && !contacts.is_empty();
    }
    assert!(
        fallback_seen,
        "the second need exercises the no-offer fallback"
    );
}

#[test]
fn remove_and_upsert_offers_update_the_index() {
    let mut e = engine();
    assert_eq!(e.offer_count(), 16);
    let n = need(
        1,
        "Svetsare",
        "1480",
        vec![must("MIG/MAG-svetsning"), must("ritningsläsning")],
    );
    e.remove_offer(id(101));
    assert_eq!(e.offer_count(), 15);
    assert!(!ids(&e.suggest_offers(&n, &opts())).contains(&101));
    e.upsert_offer(offer(
        101,
        "Ny kurs",
        "Ritningsläsning",
        &[BLUEPRINT],
        Some(3),
        Delivery::OnSite,
        vec![on_site("2027-02-01", "1480", Some(12))],
    ));
    e.upsert_offer(offer(
        101,
        "Ny kurs",
        "Ritningsläsning",
        &[BLUEPRINT, MIG_MAG],
        Some(3),
        Delivery::OnSite,
        vec![on_site("2027-02-01", "1480", Some(12))],
    ));
    assert_eq!(e.offer_count(), 16);
    assert_eq!(top(&e.suggest_offers(&n, &opts())), Some(101));
}

#[test]
fn an_offer_teaching_only_a_nice_to_have_is_no_suggestion() {
    // The truck course in the same cluster, starting in time with seats, covers the need's
    // nice-to-have (safety) but none of its must-haves: place and time alone do not make it fit.
    let e = engine();
    let mut n = need(
        20,
        "Hydraulikmontörer",
        "1482",
        vec![must_id(HYDRAULICS), nice_id(SAFETY)],
    );
    n.needed_by = Some(date("2027-06-01"));
    let s = e.suggest_offers(&n, &opts());
    assert_eq!(top(&s), Some(113), "{s:#?}");
    for other in [108, 114] {
        assert!(
            !ids(&s).contains(&other),
            "{other} teaches only safety: {s:#?}"
        );
    }
}

#[test]
fn an_offer_teaching_a_small_share_of_what_is_asked_is_no_suggestion() {
    // One of six must-haves (a sixth of the credit) is below the relevance floor.
    let e = engine();
    let n = need(
        21,
        "Allround industriarbetare",
        "1480",
        vec![
            must_id(CNC),
            must_id(BLUEPRINT),
            must_id(QUALITY),
            must_id(CRANE),
            must_id(HYDRAULICS),
            must_id(FORKLIFT),
        ],
    );
    let s = e.suggest_offers(&n, &opts());
    assert!(ids(&s).contains(&106), "three of six: {s:#?}");
    assert!(!ids(&s).contains(&108), "one of six: {s:#?}");
    // Every suggestion earns at least the floor of its competence credit.
    for x in &s {
        let competence = x.factors.iter().find(|f| f.name == "competence");
        assert!(competence.is_some_and(|f| f.score >= 0.2 - 1e-9), "{x:#?}");
    }
}

#[test]
fn when_no_course_fits_the_local_contact_is_suggested() {
    let mut e = engine();
    for (n, municipalities, concepts, area) in [
        (401u128, vec!["1490"], vec![], "Lantbruk och hästnäring"),
        (402, vec!["0180"], vec![], "Hästnäring"),
        (403, vec!["1481"], vec![COOKING], "Restaurang"),
        (404, vec!["0301"], vec![HYDRAULICS], "Verkstad"),
    ] {
        e.upsert_contact(ContactDoc {
            id: id(n),
            municipalities: municipalities.into_iter().map(str::to_owned).collect(),
            concepts: concepts.into_iter().map(id).collect(),
            area_text: vec![area.to_owned()],
        });
    }
    let farrier = need(30, "Hovslagare", "1490", vec![must("hovslagning")]);
    assert!(e.suggest_offers(&farrier, &opts()).is_empty());
    let s = e.suggest_contacts(&farrier, &opts());
    assert_eq!(
        ids(&s),
        vec![401],
        "the municipality's own contact only: {s:#?}"
    );
    assert!(
        s[0].explanation.starts_with("no course fits this need"),
        "{}",
        s[0].explanation
    );
    assert!(s[0].score >= opts().min_score);

    // A need that a course fits gets no fallback contact.
    let welder = need(31, "Svetsare", "1490", vec![must("MIG/MAG-svetsning")]);
    assert!(!e.suggest_offers(&welder, &opts()).is_empty());
    assert!(!ids(&e.suggest_contacts(&welder, &opts())).contains(&401));

    // A contact in another region is never suggested, however well its areas fit.
    let hydraulics = need(32, "Hydraulik", "1401", vec![must_id(HYDRAULICS)]);
    assert!(!ids(&e.suggest_contacts(&hydraulics, &opts())).contains(&404));
}

fn nice_id(c: u128) -> broker_matching::Requirement {
    broker_matching::Requirement {
        must_have: false,
        ..must_id(c)
    }
}
