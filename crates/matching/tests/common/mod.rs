//! A hand-built mini taxonomy (welding, CNC, truck, care, ...) in Swedish, Norwegian and English,
//! a small geography, and builders for documents.

#![allow(
    dead_code,
    reason = "each test binary uses a different subset of the helpers"
)]

use broker_matching::{
    ConceptInput, ConceptSource, Delivery, Geography, InstanceDoc, Label, Lang, MunicipalityGeo,
    NeedDoc, OccupationInput, OfferDoc, Requirement, Taxonomy,
};
use chrono::NaiveDate;
use uuid::Uuid;

pub const WELDING: u128 = 1;
pub const MIG_MAG: u128 = 2;
pub const TIG: u128 = 3;
pub const BLUEPRINT: u128 = 4;
pub const CNC: u128 = 5;
pub const CNC_PROG: u128 = 6;
pub const FORKLIFT: u128 = 7;
pub const HEAVY_TRUCK: u128 = 8;
pub const PERSONAL_CARE: u128 = 9;
pub const MEDICATION: u128 = 10;
pub const DEMENTIA: u128 = 11;
pub const FIRST_AID: u128 = 12;
pub const HYGIENE: u128 = 13;
pub const SAFETY: u128 = 14;
pub const HYDRAULICS: u128 = 15;
pub const ARC_WELDING_OLD: u128 = 16;
pub const CRANE: u128 = 17;
pub const QUALITY: u128 = 18;
pub const COOKING: u128 = 19;
pub const CUSTOMER_SERVICE: u128 = 20;

pub const OCC_WELDER: u128 = 1001;
pub const OCC_CNC: u128 = 1002;
pub const OCC_FORKLIFT: u128 = 1003;
pub const OCC_ASSISTANT_NURSE: u128 = 1004;
pub const OCC_TRUCK_DRIVER: u128 = 1005;

pub fn id(n: u128) -> Uuid {
    Uuid::from_u128(n)
}

fn labels(sv: &[&str], nb: &[&str], en: &[&str]) -> Vec<Label> {
    let mut out = Vec::new();
    for (lang, list) in [(Lang::Sv, sv), (Lang::Nb, nb), (Lang::En, en)] {
        for (i, text) in list.iter().enumerate() {
            out.push(Label {
                lang,
                text: (*text).to_owned(),
                preferred: i == 0,
            });
        }
    }
    out
}

fn concept(n: u128, sv: &[&str], nb: &[&str], en: &[&str]) -> ConceptInput {
    ConceptInput {
        id: id(n),
        labels: labels(sv, nb, en),
        deprecated: false,
        replaced_by: None,
        source: ConceptSource::Imported,
    }
}

pub fn concepts() -> Vec<ConceptInput> {
    let mut c = vec![
        concept(
            WELDING,
            &["svetsning", "svetsa"],
            &["sveising", "sveise"],
            &["welding", "weld metal"],
        ),
        concept(
            MIG_MAG,
            &["MIG/MAG-svetsning", "MIG-svetsning"],
            &["MIG/MAG-sveising"],
            &["MIG/MAG welding", "gas metal arc welding"],
        ),
        concept(TIG, &["TIG-svetsning"], &["TIG-sveising"], &["TIG welding"]),
        concept(
            BLUEPRINT,
            &["ritningsläsning", "läsa ritningar"],
            &["tegningslesing"],
            &["blueprint reading", "read engineering drawings"],
        ),
        concept(
            CNC,
            &["CNC-bearbetning", "köra CNC-maskin"],
            &["CNC-maskinering"],
            &["CNC machining", "operate CNC machine"],
        ),
        concept(
            CNC_PROG,
            &["CNC-programmering"],
            &["CNC-programmering"],
            &["CNC programming"],
        ),
        concept(
            FORKLIFT,
            &["truckkörning", "köra truck", "truckkort"],
            &["truckkjøring", "truckførerbevis"],
            &["forklift driving", "forklift truck operation"],
        ),
        concept(
            HEAVY_TRUCK,
            &["lastbilskörning", "C-körkort"],
            &["lastebilkjøring"],
            &["heavy truck driving", "lorry driving"],
        ),
        concept(
            PERSONAL_CARE,
            &["omvårdnad", "personlig omvårdnad"],
            &["omsorg", "personlig pleie"],
            &["personal care"],
        ),
        concept(
            MEDICATION,
            &["läkemedelshantering"],
            &["legemiddelhåndtering"],
            &["medication administration", "administer medication"],
        ),
        concept(
            DEMENTIA,
            &["demensvård"],
            &["demensomsorg"],
            &["dementia care"],
        ),
        concept(
            FIRST_AID,
            &["första hjälpen", "HLR"],
            &["førstehjelp"],
            &["first aid"],
        ),
        concept(
            HYGIENE,
            &["basala hygienrutiner"],
            &["smittevern"],
            &["infection control", "hygiene routines"],
        ),
        concept(
            SAFETY,
            &["arbetsmiljö"],
            &["HMS", "helse, miljø og sikkerhet"],
            &["occupational safety"],
        ),
        concept(HYDRAULICS, &["hydraulik"], &["hydraulikk"], &["hydraulics"]),
        concept(ARC_WELDING_OLD, &["bågsvetsning"], &[], &["arc welding"]),
        concept(
            CRANE,
            &["krankörning", "kranförare"],
            &["krankjøring"],
            &["crane operation"],
        ),
        concept(
            QUALITY,
            &["kvalitetskontroll"],
            &["kvalitetskontroll"],
            &["quality control"],
        ),
        concept(COOKING, &["matlagning"], &["matlaging"], &["cooking"]),
        concept(
            CUSTOMER_SERVICE,
            &["kundservice"],
            &["kundeservice"],
            &["customer service"],
        ),
    ];
    if let Some(old) = c.iter_mut().find(|c| c.id == id(ARC_WELDING_OLD)) {
        old.deprecated = true;
        old.replaced_by = Some(id(MIG_MAG));
    }
    c
}

pub fn occupations() -> Vec<OccupationInput> {
    let occ =
        |n: u128, sv: &[&str], nb: &[&str], en: &[&str], essential: &[u128], optional: &[u128]| {
            OccupationInput {
                id: id(n),
                labels: labels(sv, nb, en),
                essential: essential.iter().map(|&c| id(c)).collect(),
                optional: optional.iter().map(|&c| id(c)).collect(),
                source: ConceptSource::Imported,
            }
        };
    vec![
        occ(
            OCC_WELDER,
            &["svetsare"],
            &["sveiser"],
            &["welder"],
            &[WELDING, MIG_MAG, BLUEPRINT],
            &[TIG, SAFETY],
        ),
        occ(
            OCC_CNC,
            &["CNC-operatör"],
            &["CNC-operatør"],
            &["CNC operator"],
            &[CNC, BLUEPRINT],
            &[CNC_PROG, QUALITY],
        ),
        occ(
            OCC_FORKLIFT,
            &["truckförare"],
            &["truckfører"],
            &["forklift driver"],
            &[FORKLIFT],
            &[SAFETY],
        ),
        occ(
            OCC_ASSISTANT_NURSE,
            &["undersköterska"],
            &["helsefagarbeider"],
            &["assistant nurse"],
            &[PERSONAL_CARE, MEDICATION, HYGIENE],
            &[DEMENTIA, FIRST_AID],
        ),
        occ(
            OCC_TRUCK_DRIVER,
            &["lastbilschaufför"],
            &["lastebilsjåfør"],
            &["truck driver"],
            &[HEAVY_TRUCK],
            &[FIRST_AID],
        ),
    ]
}

pub fn taxonomy() -> Taxonomy {
    Taxonomy::build(concepts(), occupations())
}

pub fn geography() -> Geography {
    let m = |code: &str, region: &str, cluster: &str| MunicipalityGeo {
        code: code.to_owned(),
        region: region.to_owned(),
        clusters: vec![cluster.to_owned()],
        name: match code {
            "1480" => Some("Göteborg".to_owned()),
            "1490" => Some("Borås".to_owned()),
            "0180" => Some("Stockholm".to_owned()),
            _ => None,
        },
        sub_region: None,
    };
    Geography::new(vec![
        m("1480", "14", "gbg"),
        m("1481", "14", "gbg"),
        m("1482", "14", "gbg"),
        m("1401", "14", "gbg"),
        m("1490", "14", "sjuharad"),
        m("0180", "01", "sthlm"),
        m("0181", "01", "sthlm"),
        m("1280", "12", "malmo"),
        m("1281", "12", "malmo"),
        m("0301", "03", "oslo"),
    ])
}

pub fn date(s: &str) -> NaiveDate {
    NaiveDate::parse_from_str(s, "%Y-%m-%d").unwrap_or_default()
}

pub fn today() -> NaiveDate {
    date("2027-01-10")
}

pub fn on_site(start: &str, municipality: &str, seats: Option<u32>) -> InstanceDoc {
    InstanceDoc {
        start: date(start),
        municipality: Some(municipality.to_owned()),
        distance: false,
        seats,
    }
}

pub fn remote(start: &str, seats: Option<u32>) -> InstanceDoc {
    InstanceDoc {
        start: date(start),
        municipality: None,
        distance: true,
        seats,
    }
}

pub fn offer(
    n: u128,
    title: &str,
    description: &str,
    concepts: &[u128],
    level: Option<u8>,
    delivery: Delivery,
    instances: Vec<InstanceDoc>,
) -> OfferDoc {
    OfferDoc {
        id: id(n),
        title: title.to_owned(),
        description: description.to_owned(),
        concepts: concepts.iter().map(|&c| id(c)).collect(),
        level,
        delivery,
        instances,
    }
}

pub fn must(label: &str) -> Requirement {
    Requirement {
        concept_id: None,
        label: label.to_owned(),
        must_have: true,
        level: None,
    }
}

pub fn nice(label: &str) -> Requirement {
    Requirement {
        concept_id: None,
        label: label.to_owned(),
        must_have: false,
        level: None,
    }
}

pub fn must_id(c: u128) -> Requirement {
    Requirement {
        concept_id: Some(id(c)),
        label: String::new(),
        must_have: true,
        level: None,
    }
}

pub fn need(n: u128, title: &str, municipality: &str, requirements: Vec<Requirement>) -> NeedDoc {
    NeedDoc {
        id: id(n),
        title: title.to_owned(),
        description: String::new(),
        municipality: municipality.to_owned(),
        requirements,
        occupation: None,
        headcount: 1,
        needed_by: None,
        wanted_level: None,
        delivery: None,
    }
}

/// The starter taxonomy that ships with the product (`crates/api/demo/taxonomy.json`): its
/// competences with their sv/nb/en labels, ids 1, 2, 3, ... in file order.
pub fn starter_competences() -> Vec<ConceptInput> {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../api/demo/taxonomy.json");
    let text = std::fs::read_to_string(path).unwrap_or_default();
    let json: serde_json::Value = serde_json::from_str(&text).unwrap_or_default();
    let mut out = Vec::new();
    for (i, c) in json["competences"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
    {
        let mut labels = Vec::new();
        for (code, lang) in [("sv", Lang::Sv), ("nb", Lang::Nb), ("en", Lang::En)] {
            let set = &c["labels"][code];
            if let Some(p) = set["preferred"].as_str() {
                labels.push(Label {
                    lang,
                    text: p.to_owned(),
                    preferred: true,
                });
            }
            for a in set["alternative"].as_array().into_iter().flatten() {
                if let Some(a) = a.as_str() {
                    labels.push(Label {
                        lang,
                        text: a.to_owned(),
                        preferred: false,
                    });
                }
            }
        }
        out.push(ConceptInput {
            id: Uuid::from_u128(i as u128 + 1),
            labels,
            deprecated: false,
            replaced_by: None,
            source: ConceptSource::Starter,
        });
    }
    out
}

/// Offers per competence in [`starter_offers`].
pub const STARTER_OFFERS_PER_CONCEPT: usize = 16;

fn preferred_label(c: &ConceptInput, lang: Lang) -> Option<&str> {
    c.labels
        .iter()
        .find(|l| l.preferred && l.lang == lang)
        .map(|l| l.text.as_str())
}

/// The id of offer `k` of the competence at index `concept` in [`starter_offers`].
pub fn starter_offer_id(concept: usize, k: usize) -> Uuid {
    Uuid::from_u128(1_000_000 + (concept * STARTER_OFFERS_PER_CONCEPT + k) as u128)
}

/// About 3,000 generated course offers for the starter competences: 16 per competence, titled and
/// described in Swedish, Norwegian or English with its *preferred* labels and generic course
/// words, starting 20 to 110 days after `today`; two in three are tagged with the competence, one in
/// three is free text only. In the first `mentions` offers of each competence the provider also
/// names it by one of its other names (a different one in each).
pub fn starter_offers(
    competences: &[ConceptInput],
    mentions: usize,
    today: NaiveDate,
) -> Vec<OfferDoc> {
    let mut out = Vec::new();
    for (ci, c) in competences.iter().enumerate() {
        let sv = preferred_label(c, Lang::Sv).unwrap_or_default();
        let nb = preferred_label(c, Lang::Nb).unwrap_or(sv);
        let en = preferred_label(c, Lang::En).unwrap_or(sv);
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
        for k in 0..STARTER_OFFERS_PER_CONCEPT {
            let (title, description) = &texts[k % texts.len()];
            let description = match alternatives.get(k % alternatives.len().max(1)) {
                Some(alt) if k < mentions => format!("{description} Även kallat {}.", alt.text),
                _ => description.clone(),
            };
            out.push(OfferDoc {
                id: starter_offer_id(ci, k),
                title: title.clone(),
                description,
                concepts: if k % 3 == 2 { Vec::new() } else { vec![c.id] },
                level: None,
                delivery: Delivery::Distance,
                instances: vec![InstanceDoc {
                    start: today + chrono::Days::new(20 + (k as u64 * 7) % 90),
                    municipality: None,
                    distance: true,
                    seats: Some(20),
                }],
            });
        }
    }
    out
}
