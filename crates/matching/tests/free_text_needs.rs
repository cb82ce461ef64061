//! Needs written in people's own words against about 3,000 course offers, with only the starter
//! taxonomy that ships with the product (no regional or ESCO import). Figures are printed
//! (`cargo test --release -p broker-matching --test free_text_needs -- --nocapture`) and recorded
//! in `bench/README.md`; the floors guard against regressions.
//!
//! Offers: 16 per starter competence (186 × 16 = 2,976), titled and described in Swedish,
//! Norwegian or English with the competence's *preferred* labels and generic course words; two in
//! three are tagged with the competence, one in three is free text only.
//!
//! Needs: one must-have requirement written as free text (no concept picked):
//! - every alternative label of the starter taxonomy (sv, nb, en);
//! - every preferred label with a typo in its longest word;
//! - "synonyms far from the preferred label": the alternative labels that share no word stem with
//!   any preferred label of their competence, asked against a taxonomy that has *only* preferred
//!   labels: once with offers that never use them (nothing lexical can connect them), once with
//!   four offers per competence whose providers also name it by one of its other names.
//!
//! A need succeeds when one of its first five course suggestions is an offer about its competence.

mod common;

use std::collections::HashSet;
use std::sync::Arc;

use broker_matching::normalise::index_terms;
use broker_matching::{
    ConceptInput, ConceptSource, Delivery, Engine, Geography, InstanceDoc, Label, Lang,
    MatchOptions, NeedDoc, OfferDoc, Requirement, Taxonomy,
};
use chrono::NaiveDate;
use uuid::Uuid;

const OFFERS_PER_CONCEPT: usize = 16;

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 3, 1).unwrap_or_default()
}

type Competence = ConceptInput;

fn preferred(c: &Competence, lang: Lang) -> Option<&str> {
    c.labels
        .iter()
        .find(|l| l.preferred && l.lang == lang)
        .map(|l| l.text.as_str())
}

fn taxonomy(competences: &[Competence], preferred_only: bool) -> Taxonomy {
    Taxonomy::build(
        competences
            .iter()
            .map(|c| ConceptInput {
                id: c.id,
                labels: c
                    .labels
                    .iter()
                    .filter(|l| l.preferred || !preferred_only)
                    .cloned()
                    .collect(),
                deprecated: false,
                replaced_by: None,
                source: ConceptSource::Starter,
            })
            .collect(),
        Vec::new(),
    )
}

fn offer_id(concept: usize, k: usize) -> Uuid {
    Uuid::from_u128(1_000_000 + (concept * OFFERS_PER_CONCEPT + k) as u128)
}

/// The offers; in the first `mentions` offers of each competence the provider also names it by
/// one of its other names (a different one in each).
fn offers(competences: &[Competence], mentions: usize) -> Vec<OfferDoc> {
    let mut out = Vec::new();
    for (ci, c) in competences.iter().enumerate() {
        let sv = preferred(c, Lang::Sv).unwrap_or_default();
        let nb = preferred(c, Lang::Nb).unwrap_or(sv);
        let en = preferred(c, Lang::En).unwrap_or(sv);
        let texts = [
            (
                format!("Kurs i {sv}"),
                format!(
                    "Utbildningen ger grundläggande kunskaper i {sv}. Passar dig som vill utvecklas i arbetet."
                ),
            ),
            (
                format!("{sv} – grundkurs"),
                format!("En kurs för nybörjare. Vi går igenom {sv} med praktiska övningar."),
            ),
            (
                format!("{sv} för yrkesverksamma"),
                "Fördjupning för dig som redan arbetar inom området. Kursen ges på distans."
                    .to_owned(),
            ),
            (
                format!("Fördjupning: {sv}"),
                format!("Avancerad nivå. Förkunskaper: erfarenhet av {sv}."),
            ),
            (
                format!("Kurs i {nb}"),
                format!(
                    "Kurset gir grunnleggende kunnskap om {nb}. Passer for deg som vil utvikle deg."
                ),
            ),
            (
                format!("{nb} – grunnkurs"),
                format!("Et kurs for nybegynnere med praktiske øvelser i {nb}."),
            ),
            (
                format!("Introduction to {en}"),
                format!("A practical course in {en} for beginners."),
            ),
            (
                format!("{en} for professionals"),
                format!("Advanced training in {en} for people already working in the field."),
            ),
        ];
        let alternatives: Vec<&Label> = c.labels.iter().filter(|l| !l.preferred).collect();
        for k in 0..OFFERS_PER_CONCEPT {
            let (title, description) = &texts[k % texts.len()];
            let description = match alternatives.get(k % alternatives.len().max(1)) {
                Some(alt) if k < mentions => format!("{description} Även kallat {}.", alt.text),
                _ => description.clone(),
            };
            out.push(OfferDoc {
                id: offer_id(ci, k),
                title: title.clone(),
                description,
                concepts: if k % 3 == 2 { Vec::new() } else { vec![c.id] },
                level: None,
                delivery: Delivery::Distance,
                instances: vec![InstanceDoc {
                    start: today() + chrono::Days::new(20 + (k as u64 * 7) % 90),
                    municipality: None,
                    distance: true,
                    seats: Some(20),
                }],
            });
        }
    }
    out
}

fn engine(taxonomy: Taxonomy, offers: &[OfferDoc]) -> Engine {
    let mut engine = Engine::new(Arc::new(taxonomy), Geography::new(Vec::new()));
    for o in offers {
        engine.upsert_offer(o.clone());
    }
    engine
}

fn need(n: usize, label: &str) -> NeedDoc {
    NeedDoc {
        id: Uuid::from_u128(5_000_000 + n as u128),
        title: label.to_owned(),
        description: String::new(),
        municipality: "1438".to_owned(),
        requirements: vec![Requirement {
            concept_id: None,
            label: label.to_owned(),
            must_have: true,
            level: None,
        }],
        occupation: None,
        headcount: 4,
        needed_by: None,
        wanted_level: None,
        delivery: None,
    }
}

/// Share of `(competence index, label)` needs with an offer about the competence in the top 5.
fn top5(engine: &Engine, queries: &[(usize, String)]) -> f64 {
    let opts = MatchOptions::new(today());
    let hits = queries
        .iter()
        .enumerate()
        .filter(|(n, (ci, label))| {
            let wanted: HashSet<Uuid> = (0..OFFERS_PER_CONCEPT).map(|k| offer_id(*ci, k)).collect();
            engine
                .suggest_offers(&need(*n, label), &opts)
                .iter()
                .take(5)
                .any(|s| wanted.contains(&s.target_id))
        })
        .count();
    hits as f64 / queries.len().max(1) as f64
}

fn typo(text: &str) -> Option<String> {
    let word = text
        .split(|c: char| !c.is_alphanumeric())
        .max_by_key(|w| w.chars().count())?;
    let chars: Vec<char> = word.chars().collect();
    if chars.len() < 6 {
        return None;
    }
    let mut changed = chars.clone();
    changed.swap(chars.len() / 2 - 1, chars.len() / 2);
    (changed != chars).then(|| text.replacen(word, &changed.into_iter().collect::<String>(), 1))
}

fn stems(text: &str, lang: Lang) -> HashSet<String> {
    index_terms(text, lang).into_iter().collect()
}

#[test]
fn needs_in_free_text_find_their_courses() {
    let competences = common::starter_competences();
    assert!(competences.len() > 100, "starter taxonomy read");
    let offers = offers(&competences, 0);
    assert!(offers.len() > 2_900);
    let full = engine(taxonomy(&competences, false), &offers);

    let mut synonyms = Vec::new();
    let mut far = Vec::new();
    let mut typos = Vec::new();
    for (ci, c) in competences.iter().enumerate() {
        let preferred_stems: HashSet<String> = c
            .labels
            .iter()
            .filter(|l| l.preferred)
            .flat_map(|l| stems(&l.text, l.lang))
            .collect();
        for l in &c.labels {
            if l.preferred {
                typos.extend(typo(&l.text).map(|t| (ci, t)));
            } else {
                synonyms.push((ci, l.text.clone()));
                if stems(&l.text, l.lang).is_disjoint(&preferred_stems) {
                    far.push((ci, l.text.clone()));
                }
            }
        }
    }
    let synonym_share = top5(&full, &synonyms);
    let typo_share = top5(&full, &typos);
    let preferred_only = engine(taxonomy(&competences, true), &offers);
    let far_share = top5(&preferred_only, &far);
    let mentioned = engine(taxonomy(&competences, true), &self::offers(&competences, 4));
    let far_mentioned_share = top5(&mentioned, &far);
    println!(
        "free-text needs vs {} offers: alternative labels n={} top5 {:.3}; preferred labels with a typo n={} top5 {:.3}; far synonyms unknown to taxonomy and offers n={} top5 {:.3}, named in 4 of 16 offers top5 {:.3}",
        offers.len(),
        synonyms.len(),
        synonym_share,
        typos.len(),
        typo_share,
        far.len(),
        far_share,
        far_mentioned_share
    );
    assert!(synonyms.len() > 400 && typos.len() > 400 && far.len() > 100);
    assert!(
        synonym_share >= 0.85,
        "alternative labels: {synonym_share:.3}"
    );
    assert!(typo_share >= 0.85, "typos: {typo_share:.3}");
    // Out of lexical reach: only a synonym resource or a semantic model could connect these.
    assert!(far_share >= 0.02, "far synonyms: {far_share:.3}");
    assert!(
        far_mentioned_share >= 0.5,
        "far synonyms named by providers: {far_mentioned_share:.3}"
    );
}
