//! The bounded ranking ([`Engine::suggest_offers`] scoring candidates best bound first and
//! stopping when no bound can enter the top k) against a straightforward one that scores every
//! candidate in full, on generated catalogues where thousands of offers share a competence.
use super::*;
use crate::geography::MunicipalityGeo;
use crate::taxonomy::{ConceptInput, ConceptSource, Label};

/// SplitMix64, so that the catalogue is the same on every run.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        ((z ^ (z >> 31)) % (n.max(1) as u64)) as usize
    }

    fn chance(&mut self, percent: usize) -> bool {
        self.below(100) < percent
    }

    fn pick<'a>(&mut self, items: &[&'a str]) -> &'a str {
        items[self.below(items.len())]
    }
}

const COMPETENCES: [&str; 15] = [
    "svetsning",
    "truckkörning",
    "projektledning",
    "kalkylprogram",
    "arbetsmiljö",
    "kundservice",
    "lagerhantering",
    "hygienrutiner",
    "ledarskap",
    "elsäkerhet",
    "bokföring",
    "programmering",
    "ritningsläsning",
    "hydraulik",
    "sjukvård",
];
const WORDS: [&str; 24] = [
    "kurs",
    "kurset",
    "grundkurs",
    "utbildning",
    "introduktion",
    "svetsning",
    "truck",
    "vård",
    "omsorg",
    "ledarskap",
    "excel",
    "svenska",
    "säkerhet",
    "bygg",
    "lager",
    "logistik",
    "hygien",
    "ekonomi",
    "praktik",
    "teori",
    "certifikat",
    "fördjupning",
    "hydraulik",
    "bokföring",
];
const MUNICIPALITIES: usize = 40;

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2027, 1, 1).unwrap_or_default()
}

fn day(rng: &mut Rng, from: i64, span: usize) -> NaiveDate {
    let offset = from + rng.below(span) as i64;
    today() + chrono::Duration::days(offset)
}

fn concept(i: usize) -> Uuid {
    Uuid::from_u128(0x100 + i as u128)
}

fn municipality(rng: &mut Rng) -> String {
    if rng.chance(2) {
        "9999".into()
    } else {
        format!("{}", 2000 + rng.below(MUNICIPALITIES))
    }
}

fn text(rng: &mut Rng, min: usize, spread: usize) -> String {
    (0..min + rng.below(spread))
        .map(|_| rng.pick(&WORDS))
        .collect::<Vec<_>>()
        .join(" ")
}

fn world() -> (Engine, Vec<NeedDoc>) {
    let concepts = COMPETENCES
        .iter()
        .enumerate()
        .map(|(i, label)| ConceptInput {
            id: concept(i),
            labels: vec![Label {
                lang: Lang::Sv,
                text: (*label).to_owned(),
                preferred: true,
            }],
            deprecated: false,
            replaced_by: None,
            source: ConceptSource::Imported,
        })
        .collect();
    let geography = Geography::new(
        (0..MUNICIPALITIES)
            .map(|i| MunicipalityGeo {
                code: format!("{}", 2000 + i),
                region: format!("R{}", i / 10),
                clusters: if i % 7 == 0 {
                    vec![format!("C{}", i / 4), format!("C{}", i / 4 + 1)]
                } else {
                    vec![format!("C{}", i / 4)]
                },
                name: None,
                sub_region: (i < 10).then(|| format!("S{}", i / 5)),
            })
            .collect(),
    );
    let mut engine = Engine::new(Arc::new(Taxonomy::build(concepts, Vec::new())), geography);
    let mut rng = Rng(41);
    for i in 0..3_000u128 {
        let mut concepts = Vec::new();
        for _ in 0..1 + rng.below(3) {
            concepts.push(concept(rng.below(COMPETENCES.len())));
        }
        let distance = rng.chance(15);
        let delivery = if distance {
            Delivery::Distance
        } else if rng.chance(60) {
            Delivery::OnSite
        } else {
            Delivery::Blended
        };
        // Mostly one run, as in the scale run; none, or more than a summary holds, now and then.
        let runs = match rng.below(20) {
            0 => 0,
            1 | 2 => 2,
            3 => 4,
            _ => 1,
        };
        let instances = (0..runs)
            .map(|_| {
                let remote = distance && !rng.chance(10);
                InstanceDoc {
                    start: day(&mut rng, -60, 500),
                    municipality: (!remote && !rng.chance(3)).then(|| municipality(&mut rng)),
                    distance: remote,
                    seats: rng.chance(85).then(|| rng.below(30) as u32),
                }
            })
            .collect();
        engine.upsert_offer(OfferDoc {
            id: Uuid::from_u128(0x10_0000 + i),
            title: text(&mut rng, 2, 3),
            description: {
                let spread = if rng.chance(10) { 40 } else { 8 };
                text(&mut rng, 3, spread)
            },
            concepts,
            level: rng.chance(80).then(|| 1 + rng.below(7) as u8),
            delivery,
            instances,
        });
    }
    for i in 0..12u128 {
        engine.upsert_contact(ContactDoc {
            id: Uuid::from_u128(0x20_0000 + i),
            municipalities: if i == 0 {
                Vec::new()
            } else {
                vec![format!("{}", 2000 + rng.below(20))]
            },
            concepts: vec![concept(rng.below(COMPETENCES.len()))],
            area_text: vec![text(&mut rng, 1, 2)],
        });
    }
    let needs = (0..240u128)
        .map(|i| {
            let requirements = (0..rng.below(4))
                .map(|k| {
                    let c = rng.below(COMPETENCES.len());
                    match rng.below(4) {
                        0 => Requirement {
                            concept_id: Some(concept(c)),
                            label: String::new(),
                            must_have: k == 0 || rng.chance(50),
                            level: None,
                        },
                        1 => Requirement {
                            concept_id: None,
                            label: "flygteknik avancerad praktik".into(),
                            must_have: rng.chance(50),
                            level: None,
                        },
                        _ => Requirement {
                            concept_id: rng.chance(50).then(|| concept(c)),
                            label: COMPETENCES[c].into(),
                            must_have: k == 0 || rng.chance(50),
                            level: rng.chance(30).then(|| 1 + rng.below(7) as u8),
                        },
                    }
                })
                .collect();
            NeedDoc {
                id: Uuid::from_u128(0x30_0000 + i),
                title: text(&mut rng, 1, 4),
                description: if rng.chance(50) {
                    text(&mut rng, 0, 10)
                } else {
                    String::new()
                },
                municipality: municipality(&mut rng),
                requirements,
                occupation: None,
                headcount: rng.below(8) as u32,
                needed_by: rng.chance(60).then(|| day(&mut rng, 0, 300)),
                wanted_level: rng.chance(50).then(|| 1 + rng.below(7) as u8),
                delivery: rng.chance(40).then(|| DeliveryPreference {
                    on_site: rng.chance(60),
                    distance: rng.chance(60),
                    part_time: false,
                }),
            }
        })
        .collect();
    (engine, needs)
}

fn options(i: usize) -> MatchOptions {
    let mut opts = MatchOptions::new(today());
    opts.reach = Reach::ALL[i % Reach::ALL.len()];
    opts.max_results = [10, 1, 3, 40, 10, 0][(i / 5) % 6];
    opts.min_score = [0.35, 0.0, 0.5, 0.2][(i / 3) % 4];
    if i % 7 == 3 {
        opts.weights.text = 0.0;
    }
    if i % 11 == 4 {
        opts.weights.competence = 0.0;
        opts.weights.timing = 0.3;
    }
    opts
}

impl Engine {
    /// The ranking without bounds: every candidate scored in full, all sorted, cut at k.
    fn exhaustive_offers(&self, need: &NeedDoc, opts: &MatchOptions) -> Vec<Suggestion> {
        let profile = self.profile(need, &mut LexRef::Lookup(&self.lexicon));
        let n = self.offers.len();
        let query = self.need_query(&profile, &self.offer_postings, n);
        let candidates = self.offer_candidates(&profile, &query);
        let mut scored = Vec::new();
        for (slot, weight) in candidates {
            let Some(offer) = self.offers.get(slot) else {
                continue;
            };
            let Some(mut p) = self.offer_parts(need, &profile, &query, offer, Some(weight), opts)
            else {
                continue;
            };
            let text = query.bm25.score(&offer.terms);
            if p.scores[0] <= 0.0 && text < MIN_TEXT_ONLY {
                continue;
            }
            p.scores[1] = text;
            let score = combine_offer(&p.scores, &p.weights);
            if score > 0.0 && score >= opts.min_score {
                scored.push((score, offer.doc.id, p));
            }
        }
        scored.sort_by(|a, b| b.0.total_cmp(&a.0).then(a.1.cmp(&b.1)));
        scored.truncate(opts.max_results);
        scored
            .into_iter()
            .map(|(score, target, p)| {
                self.explain_offer(
                    need,
                    &profile,
                    &query,
                    &p,
                    score,
                    SuggestionKind::Offer,
                    target,
                    opts.lang,
                )
            })
            .collect()
    }
}

impl Engine {
    /// [`Engine::suggest_needs_for_offer`] scoring every candidate need in full.
    fn exhaustive_needs_for_offer(&self, offer: &OfferDoc, opts: &MatchOptions) -> Vec<Suggestion> {
        let entry = self.offer_entry(offer.clone(), &mut LexRef::Lookup(&self.lexicon));
        let term_ids: Vec<u32> = entry.terms.known.iter().map(|e| e.0).collect();
        let candidates =
            self.need_postings
                .candidates(&entry.concepts, &term_ids, self.needs.len());
        let mut out = Vec::new();
        for slot in candidates {
            let Some(need) = self.needs.get(slot) else {
                continue;
            };
            let (doc, profile) = (&need.doc, &need.profile);
            let query = self.need_query(profile, &self.offer_postings, self.offers.len());
            let Some(mut p) = self.offer_parts(doc, profile, &query, &entry, None, opts) else {
                continue;
            };
            let text = query.bm25.score(&entry.terms);
            if p.scores[0] <= 0.0 && text < MIN_TEXT_ONLY {
                continue;
            }
            p.scores[1] = text;
            let score = combine_offer(&p.scores, &p.weights);
            if opts.max_results > 0 && score > 0.0 && score >= opts.min_score {
                out.push(self.explain_offer(
                    doc,
                    profile,
                    &query,
                    &p,
                    score,
                    SuggestionKind::Need,
                    doc.id,
                    opts.lang,
                ));
            }
        }
        rank(&mut out, opts.max_results);
        out
    }
}

#[test]
fn needs_for_an_offer_are_those_scored_in_full() {
    let (mut engine, needs) = world();
    for need in needs.iter().take(200) {
        engine.upsert_need(need.clone());
    }
    let offers: Vec<OfferDoc> = (0..60u128)
        .filter_map(|i| engine.offers.by_id(Uuid::from_u128(0x10_0000 + i * 13)))
        .map(|o| o.doc.clone())
        .collect();
    let mut found = 0;
    for (i, offer) in offers.iter().enumerate() {
        let mut opts = options(i);
        opts.max_results = opts.max_results.max(5);
        let slow = engine.exhaustive_needs_for_offer(offer, &opts);
        found += slow.len();
        assert_same(
            &engine.suggest_needs_for_offer(offer, &opts),
            &slow,
            &format!("offer {i} ({:?})", opts.reach),
        );
    }
    assert!(found > 50, "{found}");
}

fn assert_same(fast: &[Suggestion], slow: &[Suggestion], what: &str) {
    let ids = |s: &[Suggestion]| s.iter().map(|x| x.target_id).collect::<Vec<_>>();
    assert_eq!(ids(fast), ids(slow), "{what}: ids and order");
    for (a, b) in fast.iter().zip(slow) {
        assert!((a.score - b.score).abs() <= 1e-9, "{what}: {a:?} vs {b:?}");
        assert_eq!(a.factors.len(), b.factors.len(), "{what}");
        for (x, y) in a.factors.iter().zip(&b.factors) {
            assert_eq!(x.name, y.name, "{what}");
            assert!((x.score - y.score).abs() <= 1e-9, "{what}: {x:?} vs {y:?}");
            assert!(
                (x.weight - y.weight).abs() <= 1e-12,
                "{what}: {x:?} vs {y:?}"
            );
        }
        assert_eq!(a.explanation, b.explanation, "{what}");
        assert_eq!(a.evidence, b.evidence, "{what}");
    }
}

#[test]
fn bounded_ranking_equals_exhaustive_ranking_when_thousands_share_a_competence() {
    let (engine, needs) = world();
    let (mut full, mut fallback, mut with_offers, mut crowded) = (0, 0, 0, 0);
    for (i, need) in needs.iter().enumerate() {
        let opts = options(i);
        let what = format!("need {i} ({:?}, k {})", opts.reach, opts.max_results);
        let slow = engine.exhaustive_offers(need, &opts);
        assert_same(&engine.suggest_offers(need, &opts), &slow, &what);
        let (offers, contacts) = engine.suggest_offers_and_contacts(need, &opts);
        assert_same(&offers, &slow, &what);
        let slow_contacts = if opts.max_results == 0 {
            engine.suggest_contacts(need, &opts)
        } else {
            engine.contacts_for(need, &opts, slow.is_empty())
        };
        assert_eq!(contacts, slow_contacts, "{what}: contacts");
        if slow.is_empty()
            && contacts
                .iter()
                .any(|c| c.evidence.reasons.contains(&Reason::NoCourseFits))
        {
            fallback += 1;
        }
        if !slow.is_empty() {
            with_offers += 1;
        }
        if opts.max_results > 0 && slow.len() == opts.max_results {
            full += 1;
        }
        let profile = engine.profile(need, &mut LexRef::Lookup(&engine.lexicon));
        if profile
            .must
            .iter()
            .any(|c| engine.offer_postings.concept(c).len() > 300)
        {
            crowded += 1;
        }
    }
    // The comparison covered full top-k lists over crowded competences, and the fallback.
    assert!(
        full > 40 && with_offers > 80 && crowded > 80,
        "{full} {with_offers} {crowded}"
    );
    assert!(fallback > 0, "no need fell back to a contact");
}

#[test]
fn offer_summaries_follow_upserts_and_removals() {
    let (mut engine, needs) = world();
    // Replace some offers with runs elsewhere and remove others: slots are reused.
    let ids: Vec<Uuid> = (0..300u128)
        .map(|i| Uuid::from_u128(0x10_0000 + i * 7))
        .collect();
    let mut rng = Rng(5);
    for (k, id) in ids.iter().enumerate() {
        if k % 3 == 0 {
            engine.remove_offer(*id);
        }
    }
    for (k, id) in ids.iter().enumerate() {
        if k % 3 != 2 {
            engine.upsert_offer(OfferDoc {
                id: *id,
                title: text(&mut rng, 2, 3),
                description: text(&mut rng, 3, 8),
                concepts: vec![concept(rng.below(COMPETENCES.len()))],
                level: None,
                delivery: Delivery::OnSite,
                instances: vec![InstanceDoc {
                    start: day(&mut rng, 0, 100),
                    municipality: Some(municipality(&mut rng)),
                    distance: false,
                    seats: None,
                }],
            });
        }
    }
    for (i, need) in needs.iter().enumerate().take(80) {
        let opts = options(i);
        let slow = engine.exhaustive_offers(need, &opts);
        assert_same(
            &engine.suggest_offers(need, &opts),
            &slow,
            &format!("need {i}"),
        );
    }
}
