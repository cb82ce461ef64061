//! The starter taxonomy that ships with the product (`crates/api/demo/taxonomy.json`): seeded into
//! an empty database, and brought up to date in existing ones when a release ships more labels.
//!
//! Ownership: a starter concept (one that still has its `key`) is written only from the shipped
//! file, so an upgrade may replace its content. A starter concept that an ESCO import has
//! adopted (the import found it by its `esco_uri` and cleared the key) belongs to the import; an
//! upgrade then only adds shipped labels it lacks, and the import keeps them too (see
//! [`shipped_labels`]), so neither undoes the other.

use broker_domain::taxonomy::ConceptKind;
use std::collections::{HashMap, HashSet};

use broker_store::Store;
use broker_store::repo::taxonomy::{self, ConceptRecord, LabelRecord};
use sea_orm::ConnectionTrait;
use uuid::Uuid;

use crate::demo::{SeedError, stable_id};
use crate::demo_data::{self as data, TaxonomyLabels};

/// The source named on the taxonomy versions this module writes.
const SOURCE: &str = "starter taxonomy (crates/api/demo/taxonomy.json)";

fn labels(l: &TaxonomyLabels) -> Vec<LabelRecord> {
    let mut out = Vec::new();
    for (lang, set) in [("sv", &l.sv), ("nb", &l.nb), ("en", &l.en)] {
        if let Some(set) = set {
            out.push(LabelRecord {
                lang: lang.to_owned(),
                text: set.preferred.clone(),
                preferred: true,
            });
            out.extend(set.alternative.iter().map(|a| LabelRecord {
                lang: lang.to_owned(),
                text: a.clone(),
                preferred: false,
            }));
        }
    }
    out
}

/// The shipped concepts as records of taxonomy version `version`.
pub fn records(version: i32) -> Result<Vec<ConceptRecord>, SeedError> {
    let tax = data::taxonomy()?;
    let concept = |kind: ConceptKind,
                   key: &str,
                   esco_uri: &Option<String>,
                   field: &Option<String>| ConceptRecord {
        id: stable_id("concept", key),
        kind,
        esco_uri: esco_uri.clone(),
        key: Some(key.to_owned()),
        field: field.clone(),
        labels: Vec::new(),
        essential: Vec::new(),
        optional: Vec::new(),
        description: None,
        deprecated: false,
        replaced_by: None,
        created_in_version: version,
        changed_in_version: version,
    };
    let mut out = Vec::new();
    for c in &tax.competences {
        out.push(ConceptRecord {
            labels: labels(&c.labels),
            ..concept(ConceptKind::Competence, &c.key, &c.esco_uri, &c.field)
        });
    }
    for o in &tax.occupations {
        let ids = |keys: &[String]| keys.iter().map(|k| stable_id("concept", k)).collect();
        out.push(ConceptRecord {
            labels: labels(&o.labels),
            essential: ids(&o.essential),
            optional: ids(&o.optional),
            ..concept(ConceptKind::Occupation, &o.key, &o.esco_uri, &o.field)
        });
    }
    Ok(out)
}

/// Seeds the starter taxonomy into a database that has none, as one taxonomy version.
pub async fn seed(txn: &impl ConnectionTrait) -> Result<(), SeedError> {
    let version = taxonomy::begin_version(txn, SOURCE).await?;
    let records = records(version)?;
    let competences = records
        .iter()
        .filter(|r| r.kind == ConceptKind::Competence)
        .count();
    taxonomy::insert_many(txn, &records).await?;
    taxonomy::finish_version(
        txn,
        version,
        serde_json::json!({"created": records.len(), "competences": competences, "occupations": records.len() - competences}),
    )
    .await?;
    Ok(())
}

/// The shipped labels of each starter concept, by concept id: an import that adopts a starter
/// concept keeps them beside its own.
pub fn shipped_labels() -> HashMap<Uuid, Vec<LabelRecord>> {
    records(0)
        .map(|rs| rs.into_iter().map(|r| (r.id, r.labels)).collect())
        .unwrap_or_default()
}

/// `labels` with every shipped label it lacks added (as an alternative where the concept already
/// has a preferred label in that language).
pub fn with_shipped(labels: &[LabelRecord], shipped: &[LabelRecord]) -> Vec<LabelRecord> {
    let key = |l: &LabelRecord| (l.lang.clone(), l.text.trim().to_lowercase());
    let mut seen: HashSet<(String, String)> = labels.iter().map(key).collect();
    let mut out = labels.to_vec();
    for s in shipped {
        if seen.insert(key(s)) {
            let has_preferred = out.iter().any(|l| l.preferred && l.lang == s.lang);
            out.push(LabelRecord {
                preferred: s.preferred && !has_preferred,
                ..s.clone()
            });
        }
    }
    out
}

/// What an upgrade changed.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct Upgrade {
    /// The taxonomy version it wrote (none when the database was already current).
    pub version: Option<i32>,
    pub created: usize,
    pub updated: usize,
}

/// Brings the stored starter taxonomy up to the shipped file: new concepts are added, starter
/// concepts get the shipped content, adopted ones the shipped labels they lack. An ESCO URI is
/// set only where no other concept holds it (an imported concept with that URI stays separate).
/// Nothing is written, and no version opened, when nothing differs; run at start-up after the
/// reference data, under the setup lock.
pub async fn upgrade(store: &Store) -> Result<Upgrade, SeedError> {
    let stored = taxonomy::all(store.conn()).await?;
    if stored.is_empty() {
        // A database without any taxonomy is seeded by `seed`, not upgraded.
        return Ok(Upgrade::default());
    }
    let by_id: HashMap<Uuid, &ConceptRecord> = stored.iter().map(|c| (c.id, c)).collect();
    let uri_owner: HashMap<&str, Uuid> = stored
        .iter()
        .filter_map(|c| c.esco_uri.as_deref().map(|u| (u, c.id)))
        .collect();
    let uri_free_for = |uri: &Option<String>, id: Uuid| -> Option<String> {
        uri.clone()
            .filter(|u| uri_owner.get(u.as_str()).is_none_or(|owner| *owner == id))
    };
    let mut created = Vec::new();
    let mut updated = Vec::new();
    for shipped in records(0)? {
        match by_id.get(&shipped.id) {
            None => created.push(ConceptRecord {
                esco_uri: uri_free_for(&shipped.esco_uri, shipped.id),
                ..shipped
            }),
            Some(old) => {
                let mut new = (*old).clone();
                if old.key.is_some() {
                    new.labels = shipped.labels;
                    new.field = shipped.field;
                    new.essential = shipped.essential;
                    new.optional = shipped.optional;
                } else {
                    new.labels = with_shipped(&old.labels, &shipped.labels);
                }
                if new.esco_uri.is_none() {
                    new.esco_uri = uri_free_for(&shipped.esco_uri, shipped.id);
                }
                if !new.same_content(old) {
                    updated.push(new);
                }
            }
        }
    }
    if created.is_empty() && updated.is_empty() {
        return Ok(Upgrade::default());
    }
    let txn = store.begin().await?;
    let version = taxonomy::begin_version(&txn, &format!("{SOURCE}, upgrade")).await?;
    for c in &mut created {
        c.created_in_version = version;
        c.changed_in_version = version;
    }
    taxonomy::insert_many(&txn, &created).await?;
    for c in &mut updated {
        c.changed_in_version = version;
        taxonomy::update(&txn, c).await?;
    }
    taxonomy::finish_version(
        &txn,
        version,
        serde_json::json!({"created": created.len(), "updated": updated.len()}),
    )
    .await?;
    txn.commit().await?;
    Ok(Upgrade {
        version: Some(version),
        created: created.len(),
        updated: updated.len(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn label(lang: &str, text: &str, preferred: bool) -> LabelRecord {
        LabelRecord {
            lang: lang.to_owned(),
            text: text.to_owned(),
            preferred,
        }
    }

    #[test]
    fn shipped_labels_are_added_once_and_never_take_the_preferred_place() {
        let imported = vec![label("sv", "svetsning", true), label("sv", "svetsa", false)];
        let shipped = vec![
            label("sv", "Svetsning", true),
            label("sv", "MIG/MAG-svetsning", false),
            label("nb", "Sveising", true),
        ];
        let merged = with_shipped(&imported, &shipped);
        assert_eq!(
            merged,
            vec![
                label("sv", "svetsning", true),
                label("sv", "svetsa", false),
                label("sv", "MIG/MAG-svetsning", false),
                label("nb", "Sveising", true),
            ]
        );
        assert_eq!(with_shipped(&merged, &shipped), merged);
    }

    #[test]
    fn every_shipped_concept_has_a_stable_id_and_labels_in_three_languages() {
        let records = records(1).unwrap_or_default();
        assert!(records.len() > 200, "{} concepts", records.len());
        let ids: HashSet<Uuid> = records.iter().map(|r| r.id).collect();
        assert_eq!(ids.len(), records.len());
        for r in &records {
            for lang in ["sv", "nb", "en"] {
                assert_eq!(
                    r.labels
                        .iter()
                        .filter(|l| l.preferred && l.lang == lang)
                        .count(),
                    1,
                    "{:?} in {lang}",
                    r.key
                );
            }
        }
    }
}
