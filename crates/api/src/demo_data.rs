//! The demo data set: real reference data (regions, municipalities with official codes, the pilot
//! platforms, the Østfold forum's groups) in code, and invented but plausible organisations,
//! people, offers, needs and a starter taxonomy in `crates/api/demo/*.json`.

use serde::Deserialize;

/// Municipalities of Fyrbodal (kommunkod) and Østfold (kommunenummer).
pub const FYRBODAL: &[(&str, &str)] = &[
    ("1460", "Bengtsfors"),
    ("1438", "Dals-Ed"),
    ("1439", "Färgelanda"),
    ("1484", "Lysekil"),
    ("1461", "Mellerud"),
    ("1430", "Munkedal"),
    ("1421", "Orust"),
    ("1427", "Sotenäs"),
    ("1486", "Strömstad"),
    ("1435", "Tanum"),
    ("1488", "Trollhättan"),
    ("1485", "Uddevalla"),
    ("1487", "Vänersborg"),
    ("1492", "Åmål"),
];

pub const OSTFOLD: &[(&str, &str)] = &[
    ("3101", "Halden"),
    ("3103", "Moss"),
    ("3105", "Sarpsborg"),
    ("3107", "Fredrikstad"),
    ("3110", "Hvaler"),
    ("3112", "Råde"),
    ("3114", "Våler"),
    ("3116", "Skiptvet"),
    ("3118", "Indre Østfold"),
    ("3120", "Rakkestad"),
    ("3122", "Marker"),
    ("3124", "Aremark"),
];

/// Dalsland: small municipalities sharing a labour-market area (seed 004's "kommunkluster").
pub const DALSLAND_CLUSTER: &[&str] = &["1460", "1438", "1439", "1461", "1492"];
/// Norra Bohuslän.
pub const NORRA_BOHUSLAN_CLUSTER: &[&str] = &["1486", "1435", "1427", "1430", "1484"];
/// Nedre Glomma (Fredrikstad, Sarpsborg, Hvaler, Råde): used for pooling in Østfold.
pub const NEDRE_GLOMMA_CLUSTER: &[&str] = &["3107", "3105", "3110", "3112"];

#[derive(Debug, Deserialize)]
pub struct LangLabels {
    pub preferred: String,
    #[serde(default)]
    pub alternative: Vec<String>,
}

#[derive(Debug, Deserialize)]
pub struct TaxonomyLabels {
    pub sv: Option<LangLabels>,
    pub nb: Option<LangLabels>,
    pub en: Option<LangLabels>,
}

#[derive(Debug, Deserialize)]
pub struct DemoCompetence {
    pub key: String,
    pub esco_uri: Option<String>,
    pub field: Option<String>,
    pub labels: TaxonomyLabels,
}

#[derive(Debug, Deserialize)]
pub struct DemoOccupation {
    pub key: String,
    pub esco_uri: Option<String>,
    pub field: Option<String>,
    pub labels: TaxonomyLabels,
    #[serde(default)]
    pub essential: Vec<String>,
    #[serde(default)]
    pub optional: Vec<String>,
}

#[derive(Debug, Deserialize)]
pub struct DemoTaxonomy {
    pub competences: Vec<DemoCompetence>,
    pub occupations: Vec<DemoOccupation>,
}

#[derive(Debug, Deserialize)]
pub struct DemoOrganisation {
    pub key: String,
    pub name: String,
    pub kind: String,
    pub country: String,
    pub org_number: Option<String>,
    pub municipality: Option<String>,
    pub website: Option<String>,
}

#[derive(Debug, Deserialize)]
pub struct DemoPerson {
    pub key: String,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub organisation: Option<String>,
    #[serde(default)]
    pub roles: Vec<String>,
    #[serde(default)]
    pub municipalities: Vec<String>,
    #[serde(default)]
    pub areas: Vec<String>,
    #[serde(default)]
    pub area_text: Vec<String>,
}

#[derive(Debug, Deserialize)]
pub struct DemoInstance {
    pub start: chrono::NaiveDate,
    pub end: Option<chrono::NaiveDate>,
    pub municipality: Option<String>,
    #[serde(default)]
    pub distance: bool,
    pub pace_percent: Option<i64>,
    pub seats: Option<i64>,
    pub application_deadline: Option<chrono::NaiveDate>,
}

#[derive(Debug, Deserialize)]
pub struct DemoOffer {
    pub key: String,
    pub provider: String,
    pub language: Option<String>,
    pub title: String,
    pub description: Option<String>,
    #[serde(default)]
    pub competences: Vec<String>,
    pub level: Option<i64>,
    pub delivery: String,
    pub cost_minor: Option<i64>,
    pub currency: Option<String>,
    #[serde(default)]
    pub validation_offered: bool,
    pub link: Option<String>,
    #[serde(default)]
    pub support_tools: Vec<String>,
    pub status: String,
    #[serde(default)]
    pub instances: Vec<DemoInstance>,
}

#[derive(Debug, Deserialize)]
pub struct DemoDelivery {
    pub on_site: bool,
    pub distance: bool,
    pub part_time: bool,
}

#[derive(Debug, Deserialize)]
pub struct DemoRequirement {
    pub key: Option<String>,
    pub label: String,
    #[serde(default = "must")]
    pub must_have: bool,
    pub level: Option<i64>,
}

fn must() -> bool {
    true
}

#[derive(Debug, Deserialize)]
pub struct DemoNeed {
    pub key: String,
    pub municipality: String,
    pub employer: Option<String>,
    pub entered_by: Option<String>,
    pub title: String,
    pub description: Option<String>,
    pub purpose: String,
    pub headcount: i64,
    pub needed_by: Option<chrono::NaiveDate>,
    pub wanted_level: Option<i64>,
    pub occupation: Option<String>,
    pub delivery: Option<DemoDelivery>,
    #[serde(default)]
    pub competences: Vec<DemoRequirement>,
    pub status: String,
}

/// Parses the embedded files; a broken file is a build-time bug, reported as an error.
pub fn taxonomy() -> Result<DemoTaxonomy, serde_json::Error> {
    serde_json::from_str(include_str!("../demo/taxonomy.json"))
}

pub fn organisations() -> Result<Vec<DemoOrganisation>, serde_json::Error> {
    serde_json::from_str(include_str!("../demo/organisations.json"))
}

pub fn people() -> Result<Vec<DemoPerson>, serde_json::Error> {
    serde_json::from_str(include_str!("../demo/people.json"))
}

pub fn offers() -> Result<Vec<DemoOffer>, serde_json::Error> {
    serde_json::from_str(include_str!("../demo/offers.json"))
}

pub fn needs() -> Result<Vec<DemoNeed>, serde_json::Error> {
    serde_json::from_str(include_str!("../demo/needs.json"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_demo_file_parses_and_references_resolve() {
        let tax = taxonomy();
        assert!(tax.is_ok(), "{tax:?}");
        let Ok(tax) = tax else { return };
        assert!(
            tax.competences.len() >= 150,
            "{} competences",
            tax.competences.len()
        );
        assert!(
            tax.occupations.len() >= 30,
            "{} occupations",
            tax.occupations.len()
        );
        let keys: std::collections::HashSet<&str> =
            tax.competences.iter().map(|c| c.key.as_str()).collect();
        for o in &tax.occupations {
            for k in o.essential.iter().chain(&o.optional) {
                assert!(
                    keys.contains(k.as_str()),
                    "occupation {} names unknown competence {k}",
                    o.key
                );
            }
        }
        let orgs = organisations().unwrap_or_default();
        let org_keys: std::collections::HashSet<&str> =
            orgs.iter().map(|o| o.key.as_str()).collect();
        let offers = offers().unwrap_or_default();
        assert!(offers.len() >= 35);
        for o in &offers {
            assert!(
                org_keys.contains(o.provider.as_str()),
                "offer {} names unknown provider",
                o.key
            );
            for k in &o.competences {
                assert!(
                    keys.contains(k.as_str()),
                    "offer {} names unknown competence {k}",
                    o.key
                );
            }
        }
        let needs = needs().unwrap_or_default();
        assert!(needs.len() >= 25);
        assert!(people().is_ok_and(|p| !p.is_empty()));
    }

    #[test]
    fn all_26_municipalities_are_listed_once() {
        let mut codes: Vec<&str> = FYRBODAL.iter().chain(OSTFOLD).map(|(c, _)| *c).collect();
        codes.sort_unstable();
        codes.dedup();
        assert_eq!(codes.len(), 26);
    }
}
