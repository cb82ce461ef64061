//! A synthetic ESCO skills file (`skills_<lang>.csv`) in the exact column layout of ESCO's
//! export, for the import benchmark and tests: the same concept URIs in every language, several
//! alternative labels per concept (one per line inside a quoted field), occasional hidden labels,
//! scope notes and definitions, and descriptions with commas and quotes.
//!
//! Deterministic (inline SplitMix64, fixed seeds), so every run imports the same data.

use std::fmt::Write as _;

/// ESCO's skills columns, in ESCO's order.
pub const HEADER: [&str; 13] = [
    "conceptType",
    "conceptUri",
    "skillType",
    "reuseLevel",
    "preferredLabel",
    "altLabels",
    "hiddenLabels",
    "status",
    "modifiedDate",
    "scopeNote",
    "definition",
    "inScheme",
    "description",
];

/// SplitMix64.
struct Rng(u64);

impl Rng {
    fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next_u64() % (n.max(1) as u64)) as usize
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next_u64() % 100 < percent
    }
}

/// Syllables per language, so Swedish and English labels look different and stem differently.
fn syllables(lang: &str) -> &'static [&'static str] {
    match lang {
        "sv" => &[
            "svet", "sning", "mon", "ta", "ge", "be", "ar", "bet", "vår", "dnad", "lä", "ke",
            "med", "el", "tek", "nik", "hyd", "rau", "lik", "pro", "gram", "ring", "lo", "gis",
            "lag", "er", "kör", "ma", "skin", "sä", "ker", "het", "sty", "ope", "rat", "ör",
        ],
        "nb" => &[
            "svei", "sing", "mon", "te", "ring", "ar", "beid", "pleie", "le", "ge", "mid", "del",
            "tek", "nikk", "hyd", "rau", "likk", "pro", "gram", "me", "lo", "gis", "tikk", "la",
            "ger", "kjø", "ring", "ma", "skin", "sik", "ker", "het", "sty", "ope", "ra", "tør",
        ],
        _ => &[
            "wel", "ding", "as", "sem", "bly", "ca", "re", "me", "di", "cine", "elec", "tric",
            "hy", "drau", "lic", "pro", "gram", "ming", "lo", "gis", "tics", "ware", "house",
            "dri", "ving", "ma", "chine", "safe", "ty", "con", "trol", "op", "er", "ate", "tion",
            "ser",
        ],
    }
}

fn verbs(lang: &str) -> &'static [&'static str] {
    match lang {
        "sv" => &[
            "använda",
            "hantera",
            "utföra",
            "planera",
            "kontrollera",
            "underhålla",
        ],
        "nb" => &[
            "bruke",
            "håndtere",
            "utføre",
            "planlegge",
            "kontrollere",
            "vedlikeholde",
        ],
        _ => &["use", "manage", "perform", "plan", "inspect", "maintain"],
    }
}

fn word(rng: &mut Rng, lang: &str) -> String {
    let s = syllables(lang);
    let n = 2 + rng.below(3);
    (0..n).map(|_| s[rng.below(s.len())]).collect()
}

/// A phrase of `min` to `min + spread - 1` words.
fn phrase(rng: &mut Rng, lang: &str, min: usize, spread: usize) -> String {
    let words = min + rng.below(spread);
    (0..words)
        .map(|_| word(rng, lang))
        .collect::<Vec<_>>()
        .join(" ")
}

/// A sentence of `min` to `min + spread - 1` words, with the odd comma and quoted word.
fn sentence(rng: &mut Rng, lang: &str, min: usize, spread: usize) -> String {
    let words = min + rng.below(spread);
    let mut s = String::new();
    for i in 0..words {
        if i > 0 {
            s.push_str(if rng.chance(8) { ", " } else { " " });
        }
        if rng.chance(2) {
            let _ = write!(s, "\"{}\"", word(rng, lang));
        } else {
            s.push_str(&word(rng, lang));
        }
    }
    s.push('.');
    s
}

/// The URI of synthetic concept `i` (shaped like ESCO's: a UUID under `/esco/skill/`).
pub fn concept_uri(i: usize) -> String {
    let mut rng = Rng(0xE5C0 ^ (i as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15));
    let v = (u128::from(rng.next_u64()) << 64) | u128::from(rng.next_u64());
    format!(
        "http://data.europa.eu/esco/skill/{}",
        uuid::Uuid::from_u128(v).hyphenated()
    )
}

/// `skills_<lang>.csv` with `concepts` concepts. The same `i` gives the same URI in every
/// language; labels, descriptions and notes depend on the language.
pub fn skills_csv(concepts: usize, lang: &str) -> String {
    let mut out = csv::WriterBuilder::new().from_writer(Vec::with_capacity(concepts * 700));
    let _ = out.write_record(HEADER);
    for i in 0..concepts {
        let lang_seed: u64 = match lang {
            "sv" => 1,
            "nb" => 2,
            _ => 3,
        };
        let mut rng = Rng(((i as u64) << 8) | lang_seed);
        let verb = verbs(lang)[rng.below(verbs(lang).len())];
        // Preferred labels are unique per language: the index keeps two concepts from sharing one.
        let preferred = format!("{verb} {} {i}", phrase(&mut rng, lang, 1, 3));
        let alt_count = rng.below(9);
        let alts: Vec<String> = (0..alt_count)
            .map(|_| phrase(&mut rng, lang, 1, 4))
            .collect();
        let hidden = if rng.chance(10) {
            phrase(&mut rng, lang, 1, 1)
        } else {
            String::new()
        };
        let scope_note = if rng.chance(5) {
            sentence(&mut rng, lang, 8, 12)
        } else {
            String::new()
        };
        let definition = if rng.chance(2) {
            sentence(&mut rng, lang, 10, 10)
        } else {
            String::new()
        };
        let description = sentence(&mut rng, lang, 15, 45);
        let knowledge = rng.chance(30);
        let reuse = [
            "sector-specific",
            "cross-sector",
            "occupation-specific",
            "transversal",
        ][rng.below(4)];
        let in_scheme = if rng.chance(20) {
            "http://data.europa.eu/esco/concept-scheme/skills, http://data.europa.eu/esco/concept-scheme/member-skills"
        } else {
            "http://data.europa.eu/esco/concept-scheme/skills"
        };
        let modified = format!(
            "2023-{:02}-{:02}T{:02}:{:02}:{:02}.{:03}Z",
            1 + rng.below(12),
            1 + rng.below(28),
            rng.below(24),
            rng.below(60),
            rng.below(60),
            rng.below(1000)
        );
        let uri = concept_uri(i);
        let row: [&str; 13] = [
            "KnowledgeSkillCompetence",
            &uri,
            if knowledge {
                "knowledge"
            } else {
                "skill/competence"
            },
            reuse,
            &preferred,
            &alts.join("\n"),
            &hidden,
            "released",
            &modified,
            &scope_note,
            &definition,
            in_scheme,
            &description,
        ];
        let _ = out.write_record(row);
    }
    let bytes = out.into_inner().unwrap_or_default();
    String::from_utf8(bytes).unwrap_or_default()
}
