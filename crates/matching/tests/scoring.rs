//! Scoring properties: monotonicity, determinism, weights validation, factor ranges.

mod common;

use std::sync::Arc;

use broker_matching::{
    Delivery, Engine, MatchOptions, OfferDoc, Reach, Weights, WeightsError, offer_relevance,
    offer_score,
};
use common::*;
use proptest::prelude::*;

fn engine_with(offers: Vec<OfferDoc>) -> Engine {
    let mut e = Engine::new(Arc::new(taxonomy()), geography());
    for o in offers {
        e.upsert_offer(o);
    }
    e
}

fn all_options() -> MatchOptions {
    let mut o = MatchOptions::new(today());
    o.min_score = 0.0;
    o.max_results = 100;
    o
}

const POOL: [u128; 8] = [
    WELDING, MIG_MAG, TIG, BLUEPRINT, CNC, FORKLIFT, HYDRAULICS, SAFETY,
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    /// Teaching one more of the need's must-have competences never lowers an offer's score.
    #[test]
    fn adding_a_covered_must_have_never_lowers_the_score(
        must_mask in 1u8..=255,
        offer_mask in 0u8..=255,
        extra in 0usize..8,
        municipality in prop::sample::select(vec!["1480", "1481", "1490", "0180"]),
        seats in prop::option::of(1u32..20),
        headcount in 1u32..10,
        level in prop::option::of(1u8..6),
        distance in any::<bool>(),
    ) {
        let must: Vec<u128> = POOL.iter().enumerate().filter(|(i, _)| must_mask & (1 << i) != 0).map(|(_, &c)| c).collect();
        let offered: Vec<u128> = POOL.iter().enumerate().filter(|(i, _)| offer_mask & (1 << i) != 0).map(|(_, &c)| c).collect();
        let missing: Vec<u128> = must.iter().copied().filter(|c| !offered.contains(c)).collect();
        prop_assume!(!missing.is_empty());
        let add = missing[extra % missing.len()];
        let instance = if distance { remote("2027-03-01", seats) } else { on_site("2027-03-01", municipality, seats) };
        let make = |concepts: &[u128]| offer(500, "Kurs", "Praktisk utbildning i verkstad", concepts, level, Delivery::Blended, vec![instance.clone()]);
        let mut with_more = offered.clone();
        with_more.push(add);
        let mut n = need(1, "Behov", "1480", must.iter().map(|&c| must_id(c)).collect());
        n.headcount = headcount;
        n.wanted_level = Some(3);
        let score = |concepts: &[u128]| {
            engine_with(vec![make(concepts)]).suggest_offers(&n, &all_options()).first().map_or(0.0, |s| s.score)
        };
        let before = score(&offered);
        let after = score(&with_more);
        prop_assert!(after + 1e-12 >= before, "before {before} after {after}");
    }

    /// Every factor and the score lie in 0..=1, and the score is relevance (competence and text)
    /// modulated by logistics (the other factors), as `offer_score` recomputes it.
    #[test]
    fn factors_are_in_range_and_combine(must_mask in 1u8..=255, offer_mask in 1u8..=255) {
        let must: Vec<u128> = POOL.iter().enumerate().filter(|(i, _)| must_mask & (1 << i) != 0).map(|(_, &c)| c).collect();
        let offered: Vec<u128> = POOL.iter().enumerate().filter(|(i, _)| offer_mask & (1 << i) != 0).map(|(_, &c)| c).collect();
        let e = engine_with(vec![offer(500, "Kurs", "", &offered, Some(3), Delivery::OnSite, vec![on_site("2027-03-01", "1481", Some(5))])]);
        let n = need(1, "Behov", "1480", must.iter().map(|&c| must_id(c)).collect());
        for s in e.suggest_offers(&n, &all_options()) {
            prop_assert!((0.0..=1.0).contains(&s.score));
            prop_assert!((offer_score(&s.factors) - s.score).abs() < 1e-9);
            let relevance = offer_relevance(&s.factors);
            prop_assert!(s.score <= relevance + 1e-9, "logistics never lift a score above its relevance");
            prop_assert!(s.score + 1e-9 >= relevance / 2.0, "default weights: logistics at most halve it");
            for f in &s.factors {
                prop_assert!((0.0..=1.0).contains(&f.score), "{f:?}");
            }
        }
    }
}

#[test]
fn same_input_same_ranking_and_ties_by_id() {
    let twins: Vec<OfferDoc> = [903u128, 901, 902]
        .iter()
        .map(|&n| {
            offer(
                n,
                "MIG/MAG-svetsning",
                "Svetsning",
                &[MIG_MAG],
                Some(3),
                Delivery::OnSite,
                vec![on_site("2027-02-01", "1480", Some(10))],
            )
        })
        .collect();
    let e = engine_with(twins.clone());
    let n = need(1, "Svetsare", "1480", vec![must("MIG/MAG-svetsning")]);
    let first = e.suggest_offers(&n, &all_options());
    let ids: Vec<u128> = first.iter().map(|s| s.target_id.as_u128()).collect();
    assert_eq!(ids, vec![901, 902, 903]);
    assert!((first[0].score - first[2].score).abs() < 1e-12);
    for _ in 0..5 {
        assert_eq!(e.suggest_offers(&n, &all_options()), first);
    }
    // Insertion order does not matter.
    let mut reversed = twins;
    reversed.reverse();
    assert_eq!(
        engine_with(reversed).suggest_offers(&n, &all_options()),
        first
    );
}

#[test]
fn max_results_and_min_score_apply() {
    let offers: Vec<OfferDoc> = (0..20u128)
        .map(|i| {
            offer(
                700 + i,
                "Svetsning",
                "",
                &[WELDING],
                Some(3),
                Delivery::OnSite,
                vec![on_site("2027-02-01", "1480", Some(10))],
            )
        })
        .collect();
    let e = engine_with(offers);
    let n = need(1, "Svetsare", "1480", vec![must("svetsning")]);
    let mut o = MatchOptions::new(today());
    assert_eq!(e.suggest_offers(&n, &o).len(), 10);
    o.max_results = 3;
    assert_eq!(e.suggest_offers(&n, &o).len(), 3);
    o.min_score = 0.999_999;
    assert!(e.suggest_offers(&n, &o).is_empty());
}

#[test]
fn weights_validation_names_the_field() {
    assert_eq!(Weights::default().validate(), Ok(()));
    let sum: f64 = {
        let w = Weights::default();
        w.competence + w.text + w.geography + w.timing + w.level + w.capacity + w.delivery
    };
    assert!((sum - 1.0).abs() < 1e-9);
    let w = Weights {
        geography: 1.5,
        ..Weights::default()
    };
    assert_eq!(
        w.validate(),
        Err(WeightsError::OutOfRange {
            field: "geography",
            value: 1.5
        })
    );
    let w = Weights {
        timing: -0.1,
        ..Weights::default()
    };
    assert!(matches!(
        w.validate(),
        Err(WeightsError::OutOfRange {
            field: "timing",
            ..
        })
    ));
    let w = Weights {
        level: f64::NAN,
        ..Weights::default()
    };
    assert!(matches!(
        w.validate(),
        Err(WeightsError::OutOfRange { field: "level", .. })
    ));
    let zero = Weights {
        competence: 0.0,
        text: 0.0,
        geography: 0.0,
        timing: 0.0,
        level: 0.0,
        capacity: 0.0,
        delivery: 0.0,
    };
    assert_eq!(zero.validate(), Err(WeightsError::AllZero));
    assert!(
        WeightsError::OutOfRange {
            field: "text",
            value: 2.0
        }
        .to_string()
        .contains("`text`")
    );
}

#[test]
fn custom_weights_change_the_ranking() {
    // A local offer teaching half vs a far offer teaching everything.
    let e = engine_with(vec![
        offer(
            801,
            "Svetsning",
            "",
            &[WELDING],
            Some(3),
            Delivery::OnSite,
            vec![on_site("2027-02-01", "1480", Some(10))],
        ),
        offer(
            802,
            "Svetsning",
            "",
            &[WELDING, TIG],
            Some(3),
            Delivery::OnSite,
            vec![on_site("2027-02-01", "0180", Some(10))],
        ),
    ]);
    let n = need(1, "Svetsare", "1480", vec![must_id(WELDING), must_id(TIG)]);
    let mut o = all_options();
    // Stockholm is outside the need's region: only a platform reaching anywhere sees it.
    assert!(
        e.suggest_offers(&n, &o)
            .iter()
            .all(|s| s.target_id.as_u128() != 802)
    );
    o.reach = Reach::Anywhere;
    assert_eq!(
        e.suggest_offers(&n, &o)
            .first()
            .map(|s| s.target_id.as_u128()),
        Some(802)
    );
    o.weights = Weights {
        competence: 0.1,
        geography: 1.0,
        ..Weights::default()
    };
    assert_eq!(
        e.suggest_offers(&n, &o)
            .first()
            .map(|s| s.target_id.as_u128()),
        Some(801)
    );
}

#[test]
fn timing_decays_when_late_and_past_instances_are_ignored() {
    let e = engine_with(vec![
        offer(
            811,
            "Svetsning",
            "",
            &[WELDING],
            Some(3),
            Delivery::OnSite,
            vec![on_site("2027-02-01", "1480", Some(10))],
        ),
        offer(
            812,
            "Svetsning",
            "",
            &[WELDING],
            Some(3),
            Delivery::OnSite,
            vec![on_site("2027-04-01", "1480", Some(10))],
        ),
        offer(
            813,
            "Svetsning",
            "",
            &[WELDING],
            Some(3),
            Delivery::OnSite,
            vec![
                on_site("2026-12-01", "1480", Some(10)),
                on_site("2027-02-01", "1480", Some(10)),
            ],
        ),
        offer(
            814,
            "Svetsning",
            "",
            &[WELDING],
            Some(3),
            Delivery::OnSite,
            vec![on_site("2026-12-01", "1480", Some(10))],
        ),
    ]);
    let mut n = need(1, "Svetsare", "1480", vec![must_id(WELDING)]);
    n.needed_by = Some(date("2027-03-01"));
    let s = e.suggest_offers(&n, &all_options());
    let timing = |id: u128| {
        s.iter()
            .find(|x| x.target_id.as_u128() == id)
            .and_then(|x| x.factors.iter().find(|f| f.name == "timing"))
            .map(|f| f.score)
    };
    assert_eq!(timing(811), Some(1.0));
    assert!(timing(812).is_some_and(|t| t < 0.5 && t > 0.0));
    assert_eq!(timing(813), Some(1.0), "the future instance is chosen");
    assert_eq!(timing(814), None, "all instances past: not suggested");
    let late = s
        .iter()
        .find(|x| x.target_id.as_u128() == 812)
        .map(|x| x.explanation.clone())
        .unwrap_or_default();
    assert!(
        late.contains("31 days after the needed-by date 2027-03-01"),
        "{late}"
    );
}

#[test]
fn serialises_as_the_api_expects() -> Result<(), serde_json::Error> {
    let e = engine_with(vec![offer(
        821,
        "Svetsning",
        "",
        &[WELDING],
        Some(3),
        Delivery::Distance,
        vec![remote("2027-02-01", None)],
    )]);
    let n = need(1, "Svetsare", "1480", vec![must_id(WELDING)]);
    let s = e.suggest_offers(&n, &all_options());
    let json = serde_json::to_value(&s)?;
    assert_eq!(json[0]["kind"], "offer");
    assert_eq!(json[0]["factors"][0]["name"], "competence");
    assert_eq!(serde_json::to_value(Delivery::OnSite)?, "on_site");
    assert_eq!(serde_json::to_value(broker_matching::Lang::Nb)?, "nb");
    assert_eq!(
        serde_json::to_value(broker_matching::ResolutionMethod::Alternative)?,
        "alternative"
    );
    assert!(
        json[0]["explanation"]
            .as_str()
            .is_some_and(|x| x.contains("distance course") && x.contains("seats unknown"))
    );
    Ok(())
}

#[test]
fn explanation_lists_covered_and_missing_competences() {
    let e = engine_with(vec![offer(
        831,
        "MIG/MAG welding",
        "Welding course with blueprint reading",
        &[MIG_MAG, BLUEPRINT, SAFETY],
        Some(3),
        Delivery::Distance,
        vec![remote("2027-02-01", Some(20))],
    )]);
    let mut n = need(
        1,
        "We need welders for the workshop",
        "1480",
        vec![
            must_id(MIG_MAG),
            must_id(BLUEPRINT),
            must_id(TIG),
            nice("occupational safety"),
        ],
    );
    n.headcount = 4;
    n.needed_by = Some(date("2027-03-01"));
    let s = e.suggest_offers(&n, &all_options());
    let x = &s[0].explanation;
    assert!(
        x.starts_with("teaches 2 of 3 must-have competences: MIG/MAG welding, blueprint reading"),
        "{x}"
    );
    assert!(x.contains("missing: TIG welding"), "{x}");
    assert!(
        x.contains("also covers 1 of 1 nice-to-have: occupational safety"),
        "{x}"
    );
    assert!(x.contains("distance course"), "{x}");
    assert!(
        x.contains("starts 2027-02-01, before the needed-by date 2027-03-01"),
        "{x}"
    );
    assert!(x.contains("20 seats for 4 people"), "{x}");
    assert_eq!(s[0].evidence.missing_must, vec![id(TIG)]);
    assert_eq!(s[0].evidence.covered_must, vec![id(MIG_MAG), id(BLUEPRINT)]);
    assert_eq!(s[0].evidence.starts_on, Some(date("2027-02-01")));
}

const PLACES: [&str; 10] = [
    "1480", "1481", "1482", "1401", "1490", "0180", "0181", "1280", "1281", "0301",
];

proptest! {
    #![proptest_config(ProptestConfig::with_cases(64))]

    /// A wider reach never drops a suggestion, distance runs are suggested at every reach, and
    /// an on-site run is suggested exactly when its place is within reach.
    #[test]
    fn reach_only_ever_widens_and_never_limits_distance_courses(
        need_at in 0usize..10,
        places in prop::collection::vec(0usize..10, 1..8),
        distance_too in any::<bool>(),
    ) {
        let mut offers: Vec<OfferDoc> = places
            .iter()
            .enumerate()
            .map(|(i, &p)| offer(600 + i as u128, "MIG/MAG-svetsning", "Svetsning", &[MIG_MAG], Some(3), Delivery::OnSite, vec![on_site("2027-03-01", PLACES[p], Some(10))]))
            .collect();
        if distance_too {
            offers.push(offer(699, "MIG/MAG-svetsning på distans", "Svetsning", &[MIG_MAG], Some(3), Delivery::Distance, vec![remote("2027-03-01", Some(10))]));
        }
        let e = engine_with(offers);
        let n = need(1, "Svetsare", PLACES[need_at], vec![must_id(MIG_MAG)]);
        let geo = geography();
        let mut previous: Vec<u128> = Vec::new();
        for reach in Reach::ALL {
            let mut o = all_options();
            o.reach = reach;
            let ids: Vec<u128> = e.suggest_offers(&n, &o).iter().map(|s| s.target_id.as_u128()).collect();
            prop_assert!(previous.iter().all(|p| ids.contains(p)), "{reach:?} dropped some of {previous:?}: {ids:?}");
            prop_assert_eq!(ids.contains(&699), distance_too);
            for (i, &p) in places.iter().enumerate() {
                let within = geo.within_reach(PLACES[need_at], PLACES[p], reach);
                prop_assert_eq!(ids.contains(&(600 + i as u128)), within, "{:?} {}", reach, PLACES[p]);
            }
            previous = ids;
        }
    }
}
