//! Competence needs written in an employer's or municipal contact's own words
//! (`fixtures/needs-own-words/needs.tsv`, written without sight of the taxonomy's alternative
//! labels; see its README) against about 3,000 course offers, with only the starter taxonomy that
//! ships with the product. Figures are printed
//! (`cargo test --release -p broker-matching --test own_words -- --nocapture`); the floors guard
//! against regressions.
//!
//! Offers: [`common::starter_offers`], the same generated offers as `free_text_needs.rs`.
//! Needs: one per line of the set, its text as the single must-have requirement (no concept
//! picked). A need succeeds when one of its first five course suggestions is an offer about the
//! line's competence. A line is "far" when it shares no word stem with any preferred label of its
//! competence: only the taxonomy's other names, or something beyond words, can connect it.
//!
//! Engine changes are tuned on the even data lines and checked on the odd ones: both halves are
//! printed, and a gain that shows only on the tuning half is not kept. "Wrong first" counts
//! needs whose first suggestion is about another competence.

mod common;

use std::collections::{HashMap, HashSet};
use std::sync::Arc;

use broker_matching::normalise::index_terms;
use broker_matching::{ConceptInput, Engine, Geography, Lang, MatchOptions, OfferDoc, Taxonomy};
use chrono::NaiveDate;
use uuid::Uuid;

const MISSES_SHOWN: usize = 30;

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 3, 1).unwrap_or_default()
}

/// The keys of the starter competences, in the order of [`common::starter_competences`].
fn starter_keys() -> Vec<String> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../api/demo/taxonomy.json");
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let json: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
    json["competences"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|c| c["key"].as_str().unwrap_or_default().to_owned())
        .collect()
}

/// One line of the set.
struct OwnWordsNeed {
    /// 1-based position among the data lines: even lines are the tuning half, odd the check half.
    line: usize,
    competence: usize,
    lang: Lang,
    text: String,
    far: bool,
}

/// What happened to one need.
struct Outcome {
    found: bool,
    suggested_nothing: bool,
    first_competence: Option<usize>,
}

fn stems(text: &str, lang: Lang) -> HashSet<String> {
    index_terms(text, lang).into_iter().collect()
}

/// Parses the set; lines with an unknown key or language are returned as errors.
fn own_words_needs(
    competences: &[ConceptInput],
    keys: &[String],
) -> (Vec<OwnWordsNeed>, Vec<String>) {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/fixtures/needs-own-words/needs.tsv"
    );
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let index: HashMap<&str, usize> = keys
        .iter()
        .enumerate()
        .map(|(i, k)| (k.as_str(), i))
        .collect();
    let mut needs = Vec::new();
    let mut errors = Vec::new();
    let data_lines = text.lines().skip(1).filter(|l| !l.trim().is_empty());
    for (position, line) in (1..).zip(data_lines) {
        let fields: Vec<&str> = line.split('\t').collect();
        let (Some(&key), Some(&code), Some(&need_text)) =
            (fields.first(), fields.get(1), fields.get(2))
        else {
            errors.push(line.to_owned());
            continue;
        };
        let lang = match code {
            "sv" => Lang::Sv,
            "nb" => Lang::Nb,
            "en" => Lang::En,
            _ => {
                errors.push(line.to_owned());
                continue;
            }
        };
        let Some((ci, c)) = index.get(key).and_then(|&i| Some((i, competences.get(i)?))) else {
            errors.push(line.to_owned());
            continue;
        };
        let preferred_stems: HashSet<String> = c
            .labels
            .iter()
            .filter(|l| l.preferred)
            .flat_map(|l| stems(&l.text, l.lang))
            .collect();
        needs.push(OwnWordsNeed {
            line: position,
            competence: ci,
            lang,
            text: need_text.trim().to_owned(),
            far: stems(need_text, lang).is_disjoint(&preferred_stems),
        });
    }
    (needs, errors)
}

/// The competence index of each generated offer.
fn offer_owners(competences: usize) -> HashMap<Uuid, usize> {
    (0..competences)
        .flat_map(|ci| {
            (0..common::STARTER_OFFERS_PER_CONCEPT)
                .map(move |k| (common::starter_offer_id(ci, k), ci))
        })
        .collect()
}

fn outcome(
    engine: &Engine,
    owners: &HashMap<Uuid, usize>,
    n: usize,
    need: &OwnWordsNeed,
    opts: &MatchOptions,
) -> Outcome {
    let owner = |id: Uuid| owners.get(&id).copied();
    let doc = common::need(
        5_000_000 + n as u128,
        &need.text,
        "1438",
        vec![common::must(&need.text)],
    );
    let suggestions = engine.suggest_offers(&doc, opts);
    Outcome {
        found: suggestions
            .iter()
            .take(5)
            .any(|s| owner(s.target_id) == Some(need.competence)),
        suggested_nothing: suggestions.is_empty(),
        first_competence: suggestions.first().and_then(|s| owner(s.target_id)),
    }
}

fn engine(competences: Vec<ConceptInput>, offers: &[OfferDoc]) -> Engine {
    let mut engine = Engine::new(
        Arc::new(Taxonomy::build(competences, Vec::new())),
        Geography::new(Vec::new()),
    );
    for o in offers {
        engine.upsert_offer(o.clone());
    }
    engine
}

fn run<'a>(
    needs: &'a [OwnWordsNeed],
    engine: &Engine,
    owners: &HashMap<Uuid, usize>,
) -> Vec<(&'a OwnWordsNeed, Outcome)> {
    let opts = MatchOptions::new(today());
    needs
        .iter()
        .enumerate()
        .map(|(n, need)| (need, outcome(engine, owners, n, need, &opts)))
        .collect()
}

/// Share of the `results` whose need passes `include` that satisfy `hit`, and how many passed.
fn share(
    results: &[(&OwnWordsNeed, Outcome)],
    include: impl Fn(&OwnWordsNeed) -> bool,
    hit: impl Fn(&Outcome) -> bool,
) -> (f64, usize) {
    let selected: Vec<&Outcome> = results
        .iter()
        .filter(|(need, _)| include(need))
        .map(|(_, o)| o)
        .collect();
    let hits = selected.iter().filter(|o| hit(o)).count();
    (hits as f64 / selected.len().max(1) as f64, selected.len())
}

#[test]
fn needs_in_own_words_find_their_courses() {
    let competences = common::starter_competences();
    let keys = starter_keys();
    assert!(competences.len() > 100, "starter taxonomy read");
    assert_eq!(keys.len(), competences.len(), "one key per competence");
    let (needs, errors) = own_words_needs(&competences, &keys);
    assert!(errors.is_empty(), "lines not understood: {errors:#?}");
    let covered: HashSet<usize> = needs.iter().map(|n| n.competence).collect();
    assert_eq!(covered.len(), competences.len(), "every competence asked");
    assert!(needs.len() >= 5 * competences.len());

    let offers = common::starter_offers(&competences, 0, today());
    let owners = offer_owners(competences.len());
    let results = run(&needs, &engine(competences.clone(), &offers), &owners);

    let found = |o: &Outcome| o.found;
    let (overall, total) = share(&results, |_| true, found);
    let (sv, sv_n) = share(&results, |n| n.lang == Lang::Sv, found);
    let (nb, nb_n) = share(&results, |n| n.lang == Lang::Nb, found);
    let (en, en_n) = share(&results, |n| n.lang == Lang::En, found);
    let (far, far_n) = share(&results, |n| n.far, found);
    let (near, near_n) = share(&results, |n| !n.far, found);
    let (nothing, _) = share(&results, |_| true, |o| o.suggested_nothing);
    // Engine changes are tuned on the even lines; the odd ones show whether a gain generalises.
    let (tuning, tuning_n) = share(&results, |n| n.line % 2 == 0, found);
    let (check, check_n) = share(&results, |n| n.line % 2 == 1, found);
    let wrong_first = |missed_only: bool| {
        results
            .iter()
            .filter(|(need, o)| {
                (!missed_only || !o.found)
                    && o.first_competence.is_some_and(|ci| ci != need.competence)
            })
            .count()
    };
    let (wrong_first_missed, wrong_first_any) = (wrong_first(true), wrong_first(false));
    println!(
        "own-words needs vs {} offers: n={total} top5 {overall:.3}; sv n={sv_n} {sv:.3}, nb n={nb_n} {nb:.3}, en n={en_n} {en:.3}; far n={far_n} {far:.3}, near n={near_n} {near:.3}; no suggestion {nothing:.3}",
        offers.len()
    );
    println!(
        "  tuning half (even lines) n={tuning_n} {tuning:.3}; check half (odd lines) n={check_n} {check:.3}; wrong first: {wrong_first_any} ({wrong_first_missed} of them misses)"
    );
    // What the taxonomy's other names contribute: the same needs with only preferred labels.
    let preferred_only: Vec<ConceptInput> = competences
        .iter()
        .map(|c| ConceptInput {
            labels: c.labels.iter().filter(|l| l.preferred).cloned().collect(),
            ..c.clone()
        })
        .collect();
    let bare = run(&needs, &engine(preferred_only, &offers), &owners);
    let (bare_overall, _) = share(&bare, |_| true, found);
    let (bare_far, _) = share(&bare, |n| n.far, found);
    println!("  with preferred labels only: top5 {bare_overall:.3}, far {bare_far:.3}");
    let key = |ci: Option<usize>| {
        ci.and_then(|ci| keys.get(ci))
            .map_or("(nothing)", String::as_str)
    };
    let misses: Vec<&(&OwnWordsNeed, Outcome)> = results.iter().filter(|(_, o)| !o.found).collect();
    // Every k-th miss, so the sample spans all fields rather than the first few competences.
    // OWN_WORDS_ALL_MISSES=1 lists every miss, for classifying them.
    let step = if std::env::var_os("OWN_WORDS_ALL_MISSES").is_some() {
        1
    } else {
        misses.len().div_ceil(MISSES_SHOWN).max(1)
    };
    for (need, o) in misses.iter().step_by(step) {
        println!(
            "  miss [{}{}{}{}] {:?}: expected {}, first {}",
            need.line,
            if need.line % 2 == 0 {
                " tune "
            } else {
                " check "
            },
            need.lang.code(),
            if need.far { ", far" } else { "" },
            need.text,
            key(Some(need.competence)),
            key(o.first_competence)
        );
    }

    // Floors just below the figures measured on 2026-11-29 after derivational roots ("murare" /
    // "murning"), compounds read by their topic ("omvårdnadskompetens", "truckförare"), the
    // dominant one of several mentioned concepts and the clearly leading concept of a label no
    // label matches well, when it explains enough of the label's words: overall 0.849, sv 0.804,
    // nb 0.855, en 0.935, far 0.822, no suggestion 0.091; tuning half 0.859, check half 0.840
    // (without the "enough of its words" rule 0.853 and 0.842, but gaps.rs fell to 0.917; before
    // them all: overall 0.717, far 0.663, no suggestion 0.243, tuning 0.724, check 0.709; the
    // starter taxonomy as it was before that: overall 0.182, far 0.081). Issue 11 asks for 0.85
    // overall and 0.60 far.
    assert!(far_n > 100, "far lines: {far_n}");
    assert!(overall >= 0.84, "overall: {overall:.3}");
    assert!(sv >= 0.79, "sv: {sv:.3}");
    assert!(nb >= 0.84, "nb: {nb:.3}");
    assert!(en >= 0.92, "en: {en:.3}");
    assert!(far >= 0.81, "far: {far:.3}");
    assert!(nothing <= 0.10, "no suggestion: {nothing:.3}");
    assert!(tuning >= 0.85, "tuning half: {tuning:.3}");
    assert!(check >= 0.83, "check half: {check:.3}");
}
