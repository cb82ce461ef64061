//! Deterministic synthetic data for benchmarks: a ~15k-concept taxonomy, 100k offers, 10k needs.
//! Uses an inline SplitMix64 generator (no `rand`), so every run sees the same data.

#![allow(
    dead_code,
    reason = "shared by the bench and the memory example, which use different parts"
)]

use broker_matching::{
    ConceptInput, ConceptSource, ContactDoc, Delivery, DeliveryPreference, Geography, InstanceDoc,
    Label, Lang, MunicipalityGeo, NeedDoc, OccupationInput, OfferDoc, Requirement, Taxonomy,
};
use chrono::NaiveDate;
use uuid::Uuid;

pub const CONCEPTS: usize = 15_000;
pub const OCCUPATIONS: usize = 600;
pub const MUNICIPALITIES: usize = 290;
pub const WORDS: usize = 20_000;

/// SplitMix64.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in 0..n.
    pub fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % (n.max(1) as u64)) as usize
    }

    /// Skewed towards 0 (roughly Zipf-like): squares a uniform fraction.
    pub fn skewed(&mut self, n: usize) -> usize {
        let f = (self.next_u64() >> 11) as f64 / (1u64 << 53) as f64;
        ((f * f * f) * n as f64) as usize % n.max(1)
    }

    pub fn chance(&mut self, percent: u64) -> bool {
        self.next_u64() % 100 < percent
    }
}

const SYLLABLES: &[&str] = &[
    "sve", "ts", "ning", "kra", "ft", "mon", "ta", "ge", "bear", "bet", "vår", "dnad", "lä", "ke",
    "med", "el", "tek", "nik", "hyd", "ra", "ul", "lik", "pro", "gram", "me", "ring", "fo", "gis",
    "tik", "lag", "er", "kör", "ma", "skin", "sä", "ker", "het", "kva", "li", "tet", "sty", "rn",
    "ing", "ope", "rat", "ör", "dri", "ft",
];

/// The synthetic word list (index 0 is the most frequent in texts).
pub fn words() -> Vec<String> {
    let mut rng = Rng::new(7);
    let mut out = Vec::with_capacity(WORDS);
    let mut seen = std::collections::HashSet::new();
    while out.len() < WORDS {
        let n = 2 + rng.below(3);
        let w: String = (0..n)
            .map(|_| SYLLABLES[rng.below(SYLLABLES.len())])
            .collect();
        if seen.insert(w.clone()) {
            out.push(w);
        }
    }
    out
}

pub fn concept_id(i: usize) -> Uuid {
    Uuid::from_u128(0x1000_0000 + i as u128)
}

pub fn occupation_id(i: usize) -> Uuid {
    Uuid::from_u128(0x2000_0000 + i as u128)
}

fn phrase(rng: &mut Rng, words: &[String], max_words: usize) -> String {
    let n = 1 + rng.below(max_words);
    (0..n)
        .map(|_| words[rng.below(words.len())].as_str())
        .collect::<Vec<_>>()
        .join(" ")
}

pub fn taxonomy(words: &[String]) -> Taxonomy {
    let mut rng = Rng::new(11);
    let concepts: Vec<ConceptInput> = (0..CONCEPTS)
        .map(|i| {
            let mut labels = Vec::new();
            for lang in [Lang::Sv, Lang::En, Lang::Nb] {
                labels.push(Label {
                    lang,
                    text: phrase(&mut rng, words, 3),
                    preferred: true,
                });
                for _ in 0..rng.below(3) {
                    labels.push(Label {
                        lang,
                        text: phrase(&mut rng, words, 3),
                        preferred: false,
                    });
                }
            }
            ConceptInput {
                id: concept_id(i),
                labels,
                deprecated: i % 200 == 199,
                replaced_by: (i % 400 == 399).then(|| concept_id(i - 1)),
                source: ConceptSource::Imported,
            }
        })
        .collect();
    let occupations: Vec<OccupationInput> = (0..OCCUPATIONS)
        .map(|i| OccupationInput {
            id: occupation_id(i),
            labels: vec![
                Label {
                    lang: Lang::Sv,
                    text: phrase(&mut rng, words, 2),
                    preferred: true,
                },
                Label {
                    lang: Lang::En,
                    text: phrase(&mut rng, words, 2),
                    preferred: true,
                },
            ],
            essential: (0..6)
                .map(|_| concept_id(concept_index(&mut rng)))
                .collect(),
            optional: (0..6)
                .map(|_| concept_id(concept_index(&mut rng)))
                .collect(),
            source: ConceptSource::Imported,
        })
        .collect();
    Taxonomy::build(concepts, occupations)
}

/// 30 % of picks come from the 1,000 most popular concepts.
fn concept_index(rng: &mut Rng) -> usize {
    if rng.chance(30) {
        rng.below(1_000)
    } else {
        rng.below(CONCEPTS)
    }
}

pub fn municipality(i: usize) -> String {
    format!("{:04}", 100 + i)
}

pub fn geography() -> Geography {
    Geography::new(
        (0..MUNICIPALITIES)
            .map(|i| MunicipalityGeo {
                code: municipality(i),
                region: format!("R{}", i / 14),
                clusters: vec![format!("C{}", i / 5)],
                name: None,
                sub_region: None,
            })
            .collect(),
    )
}

fn text(rng: &mut Rng, words: &[String], min: usize, spread: usize) -> String {
    let n = min + rng.below(spread);
    (0..n)
        .map(|_| words[rng.skewed(words.len())].as_str())
        .collect::<Vec<_>>()
        .join(" ")
}

fn day(offset: usize) -> NaiveDate {
    NaiveDate::from_ymd_opt(2027, 1, 1).unwrap_or_default() + chrono::Days::new(offset as u64)
}

pub fn today() -> NaiveDate {
    day(0)
}

pub fn offers(words: &[String], n: usize) -> Vec<OfferDoc> {
    let mut rng = Rng::new(13);
    (0..n)
        .map(|i| {
            let delivery = match rng.below(10) {
                0..=5 => Delivery::OnSite,
                6..=7 => Delivery::Distance,
                _ => Delivery::Blended,
            };
            let instances = (0..1 + rng.below(3))
                .map(|_| {
                    let distance = delivery == Delivery::Distance;
                    InstanceDoc {
                        start: day(rng.below(400))
                            .checked_sub_days(chrono::Days::new(60))
                            .unwrap_or_default(),
                        municipality: (!distance).then(|| municipality(rng.below(MUNICIPALITIES))),
                        distance,
                        seats: rng.chance(80).then(|| 5 + rng.below(30) as u32),
                    }
                })
                .collect();
            OfferDoc {
                id: Uuid::from_u128(0x3000_0000 + i as u128),
                title: text(&mut rng, words, 3, 4),
                description: text(&mut rng, words, 20, 30),
                concepts: (0..3 + rng.below(6))
                    .map(|_| concept_id(concept_index(&mut rng)))
                    .collect(),
                level: rng.chance(70).then(|| 1 + rng.below(7) as u8),
                delivery,
                instances,
            }
        })
        .collect()
}

pub fn needs(words: &[String], n: usize) -> Vec<NeedDoc> {
    let mut rng = Rng::new(17);
    (0..n)
        .map(|i| {
            let requirements = (0..2 + rng.below(5))
                .map(|k| Requirement {
                    concept_id: Some(concept_id(concept_index(&mut rng))),
                    label: String::new(),
                    must_have: k < 3,
                    level: None,
                })
                .collect();
            NeedDoc {
                id: Uuid::from_u128(0x4000_0000 + i as u128),
                title: text(&mut rng, words, 2, 4),
                description: text(&mut rng, words, 10, 20),
                municipality: municipality(rng.below(MUNICIPALITIES)),
                requirements,
                occupation: rng
                    .chance(30)
                    .then(|| occupation_id(rng.below(OCCUPATIONS))),
                headcount: 1 + rng.below(12) as u32,
                needed_by: rng.chance(70).then(|| day(30 + rng.below(200))),
                wanted_level: rng.chance(50).then(|| 1 + rng.below(7) as u8),
                delivery: rng.chance(40).then(|| DeliveryPreference {
                    on_site: rng.chance(70),
                    distance: rng.chance(60),
                    part_time: false,
                }),
            }
        })
        .collect()
}

/// Competences of the skewed catalogue ([`skewed_offers`]): few, so that each is taught by
/// about a seventh of the offers, as in the service's scale run (`bench/scale.py`).
pub const SKEWED_COMPETENCES: usize = 15;
/// Words of the skewed catalogue's titles and descriptions: a short list shared by all offers.
const SKEWED_WORDS: usize = 24;

/// The municipalities of one region of [`geography`] (14 of them, 3 clusters).
pub fn region_municipalities(region: usize) -> Vec<usize> {
    (region * 14..(region * 14 + 14).min(MUNICIPALITIES)).collect()
}

fn skewed_text(rng: &mut Rng, words: &[String], n: usize) -> String {
    (0..n)
        .map(|_| words[rng.below(SKEWED_WORDS.min(words.len()))].as_str())
        .collect::<Vec<_>>()
        .join(" ")
}

/// Offers shaped like the scale run's: each teaches 1–3 of [`SKEWED_COMPETENCES`], has one
/// run, 85 % on site in one of `places` (municipality indexes), 15 % at a distance; titles and
/// descriptions from a couple of dozen shared words.
pub fn skewed_offers(words: &[String], n: usize, places: &[usize]) -> Vec<OfferDoc> {
    let mut rng = Rng::new(19);
    (0..n)
        .map(|i| {
            let distance = rng.chance(15);
            let delivery = if distance {
                Delivery::Distance
            } else if rng.chance(50) {
                Delivery::OnSite
            } else {
                Delivery::Blended
            };
            let mut concepts: Vec<Uuid> = Vec::new();
            for _ in 0..1 + rng.below(3) {
                let c = concept_id(rng.below(SKEWED_COMPETENCES));
                if !concepts.contains(&c) {
                    concepts.push(c);
                }
            }
            let instance = InstanceDoc {
                start: day(rng.below(900))
                    .checked_sub_days(chrono::Days::new(20))
                    .unwrap_or_default(),
                municipality: (!distance).then(|| municipality(places[rng.below(places.len())])),
                distance,
                seats: Some(if distance {
                    20
                } else {
                    8 + rng.below(23) as u32
                }),
            };
            OfferDoc {
                id: Uuid::from_u128(0x5000_0000 + i as u128),
                title: skewed_text(&mut rng, words, 3),
                description: skewed_text(&mut rng, words, 7),
                concepts,
                level: Some(2 + rng.below(5) as u8),
                delivery,
                instances: vec![instance],
            }
        })
        .collect()
}

/// Needs for the skewed catalogue: one must-have competence of [`SKEWED_COMPETENCES`] (with a
/// label from the shared words, as a requester would write it), in one of `places`.
pub fn skewed_needs(words: &[String], n: usize, places: &[usize]) -> Vec<NeedDoc> {
    let mut rng = Rng::new(23);
    (0..n)
        .map(|i| NeedDoc {
            id: Uuid::from_u128(0x6000_0000 + i as u128),
            title: skewed_text(&mut rng, words, 3),
            description: String::new(),
            municipality: municipality(places[rng.below(places.len())]),
            requirements: vec![Requirement {
                concept_id: Some(concept_id(rng.below(SKEWED_COMPETENCES))),
                label: words[rng.below(SKEWED_WORDS.min(words.len()))].clone(),
                must_have: true,
                level: None,
            }],
            occupation: None,
            headcount: 1 + rng.below(5) as u32,
            needed_by: rng.chance(50).then(|| day(30 + rng.below(300))),
            wanted_level: rng.chance(50).then(|| 2 + rng.below(5) as u8),
            delivery: None,
        })
        .collect()
}

/// One contact per municipality, covering 1–3 of [`SKEWED_COMPETENCES`].
pub fn skewed_contacts(words: &[String]) -> Vec<ContactDoc> {
    let mut rng = Rng::new(29);
    (0..MUNICIPALITIES)
        .map(|i| ContactDoc {
            id: Uuid::from_u128(0x7000_0000 + i as u128),
            municipalities: vec![municipality(i)],
            concepts: (0..1 + rng.below(3))
                .map(|_| concept_id(rng.below(SKEWED_COMPETENCES)))
                .collect(),
            area_text: vec![skewed_text(&mut rng, words, 2)],
        })
        .collect()
}
