//! `broker taxonomy import-esco` and `import-esco-occupations`: ESCO's published CSV files into
//! the taxonomy, merged by concept URI so languages can be imported one after another.
//!
//! Concepts are never deleted: a skills import marks concepts that vanished from the file as
//! deprecated (still resolvable), linking a replacement when a new concept took over the old
//! preferred label. Each import is a new taxonomy version; clients ask what changed since one.

use broker_domain::taxonomy::ConceptKind;
use std::collections::{HashMap, HashSet};
use std::fmt;
use std::path::Path;

use broker_matching::esco;
use broker_store::repo::taxonomy::{self, ConceptRecord, LabelRecord};
use broker_store::{Store, StoreError};
use uuid::Uuid;

use crate::starter_taxonomy;

/// Why an import failed; nothing is written when it does.
#[derive(Debug, thiserror::Error)]
pub enum ImportError {
    #[error("--lang must be sv, nb (or no) or en, not `{0}`")]
    Lang(String),
    #[error("cannot read {path}: {source}")]
    Read {
        path: String,
        source: std::io::Error,
    },
    #[error("{path}: {source}")]
    Format {
        path: String,
        source: esco::EscoError,
    },
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error("database: {0}")]
    Db(#[from] sea_orm::DbErr),
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ImportReport {
    pub what: String,
    pub read: usize,
    pub created: usize,
    pub updated: usize,
    pub unchanged: usize,
    pub deprecated: usize,
    pub skipped_relations: usize,
    pub version: i32,
}

impl fmt::Display for ImportReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{}: {} read, {} created, {} updated, {} unchanged, {} deprecated",
            self.what, self.read, self.created, self.updated, self.unchanged, self.deprecated
        )?;
        if self.skipped_relations > 0 {
            write!(
                f,
                ", {} relations to unknown skills skipped",
                self.skipped_relations
            )?;
        }
        write!(f, "; taxonomy version {}", self.version)
    }
}

/// `sv`, `nb`/`no` (stored as `nb`) or `en`.
pub fn parse_lang(raw: &str) -> Result<&'static str, ImportError> {
    match raw.trim().to_ascii_lowercase().as_str() {
        "sv" => Ok("sv"),
        "nb" | "no" => Ok("nb"),
        "en" => Ok("en"),
        other => Err(ImportError::Lang(other.to_owned())),
    }
}

fn open(path: &Path) -> Result<std::fs::File, ImportError> {
    std::fs::File::open(path).map_err(|source| ImportError::Read {
        path: path.display().to_string(),
        source,
    })
}

/// Replaces the labels of one language, keeping the others.
fn merge_labels(
    existing: &[LabelRecord],
    lang: &str,
    preferred: &str,
    alternatives: impl Iterator<Item = String>,
) -> Vec<LabelRecord> {
    let mut out: Vec<LabelRecord> = existing
        .iter()
        .filter(|l| l.lang != lang)
        .cloned()
        .collect();
    out.push(LabelRecord {
        lang: lang.to_owned(),
        text: preferred.trim().to_owned(),
        preferred: true,
    });
    let mut seen = HashSet::from([preferred.trim().to_lowercase()]);
    for alt in alternatives {
        let alt = alt.trim().to_owned();
        if !alt.is_empty() && seen.insert(alt.to_lowercase()) {
            out.push(LabelRecord {
                lang: lang.to_owned(),
                text: alt,
                preferred: false,
            });
        }
    }
    out
}

/// A starter concept that an import finds by its ESCO URI becomes the import's (its key goes, so
/// it stays when the starter taxonomy is switched off); its shipped labels stay beside the
/// imported ones, in every import after that too.
fn adopt_starter(concept: &mut ConceptRecord, shipped: &HashMap<Uuid, Vec<LabelRecord>>) {
    if let Some(labels) = shipped.get(&concept.id) {
        concept.labels = starter_taxonomy::with_shipped(&concept.labels, labels);
        concept.key = None;
    }
}

/// Imports a `skills_<lang>.csv` file.
pub async fn import_skills_file(
    store: &Store,
    path: &Path,
    lang: &str,
    deprecate_missing: bool,
) -> Result<ImportReport, ImportError> {
    let lang = parse_lang(lang)?;
    let skills = esco::read_skills(open(path)?).map_err(|source| ImportError::Format {
        path: path.display().to_string(),
        source,
    })?;
    import_skills(
        store,
        &skills,
        lang,
        deprecate_missing,
        &format!("ESCO skills ({lang}) from {}", path.display()),
    )
    .await
}

/// Imports parsed skills (the file-free core, used by tests too).
pub async fn import_skills(
    store: &Store,
    skills: &[esco::EscoSkill],
    lang: &str,
    deprecate_missing: bool,
    source: &str,
) -> Result<ImportReport, ImportError> {
    let existing = taxonomy::all(store.conn()).await?;
    let shipped = starter_taxonomy::shipped_labels();
    let mut by_uri: HashMap<String, ConceptRecord> = existing
        .into_iter()
        .filter_map(|c| c.esco_uri.clone().map(|u| (u, c)))
        .collect();
    let txn = store.begin().await?;
    let version = taxonomy::begin_version(&txn, source).await?;
    let mut report = ImportReport {
        what: format!("ESCO skills ({lang})"),
        read: skills.len(),
        version,
        ..Default::default()
    };
    let mut created = Vec::new();
    let mut seen = HashSet::new();
    for s in skills {
        if !seen.insert(s.uri.clone()) {
            continue;
        }
        let alternatives = s.alt_labels.iter().chain(&s.hidden_labels).cloned();
        let released = s.status.is_empty() || s.status.eq_ignore_ascii_case("released");
        match by_uri.get(&s.uri) {
            Some(old) => {
                let mut new = old.clone();
                new.labels = merge_labels(&old.labels, lang, &s.preferred_label, alternatives);
                adopt_starter(&mut new, &shipped);
                if lang == "en" || new.description.is_none() {
                    new.description = s
                        .description
                        .clone()
                        .filter(|d| !d.trim().is_empty())
                        .or(new.description);
                }
                new.deprecated = !released;
                if released {
                    new.replaced_by = None;
                }
                if new.same_content(old) {
                    report.unchanged += 1;
                } else {
                    new.changed_in_version = version;
                    taxonomy::update(&txn, &new).await?;
                    report.updated += 1;
                }
            }
            None => {
                created.push(ConceptRecord {
                    id: esco::uri_to_uuid(&s.uri),
                    kind: ConceptKind::Competence,
                    esco_uri: Some(s.uri.clone()),
                    key: None,
                    field: None,
                    labels: merge_labels(&[], lang, &s.preferred_label, alternatives),
                    essential: Vec::new(),
                    optional: Vec::new(),
                    description: s.description.clone().filter(|d| !d.trim().is_empty()),
                    deprecated: !released,
                    replaced_by: None,
                    created_in_version: version,
                    changed_in_version: version,
                });
            }
        }
    }
    report.created = created.len();
    taxonomy::insert_many(&txn, &created).await?;
    if deprecate_missing {
        // A new concept that now carries a vanished concept's preferred label replaced it.
        let label_owner: HashMap<String, Uuid> = skills
            .iter()
            .map(|s| {
                (
                    s.preferred_label.trim().to_lowercase(),
                    esco::uri_to_uuid(&s.uri),
                )
            })
            .collect();
        let vanished: Vec<ConceptRecord> = by_uri
            .drain()
            // A starter concept the file does not name is not the import's to retire.
            .filter(|(uri, c)| {
                c.kind == ConceptKind::Competence
                    && c.key.is_none()
                    && !c.deprecated
                    && !seen.contains(uri)
            })
            .map(|(_, c)| c)
            .collect();
        for mut c in vanished {
            let old_label = c
                .labels
                .iter()
                .find(|l| l.preferred && l.lang == lang)
                .map(|l| l.text.trim().to_lowercase());
            c.replaced_by = old_label
                .and_then(|l| label_owner.get(&l).copied())
                .filter(|id| *id != c.id);
            c.deprecated = true;
            c.changed_in_version = version;
            taxonomy::update(&txn, &c).await?;
            report.deprecated += 1;
        }
    }
    taxonomy::finish_version(&txn, version, counts(&report)).await?;
    txn.commit().await?;
    Ok(report)
}

fn counts(r: &ImportReport) -> serde_json::Value {
    serde_json::json!({
        "read": r.read, "created": r.created, "updated": r.updated, "unchanged": r.unchanged,
        "deprecated": r.deprecated, "skipped_relations": r.skipped_relations,
    })
}

/// Imports `occupations_<lang>.csv` with `occupationSkillRelations_<lang>.csv`.
pub async fn import_occupations_files(
    store: &Store,
    occupations: &Path,
    relations: &Path,
    lang: &str,
) -> Result<ImportReport, ImportError> {
    let lang = parse_lang(lang)?;
    let occs =
        esco::read_occupations(open(occupations)?).map_err(|source| ImportError::Format {
            path: occupations.display().to_string(),
            source,
        })?;
    let rels = esco::read_relations(open(relations)?).map_err(|source| ImportError::Format {
        path: relations.display().to_string(),
        source,
    })?;
    import_occupations(
        store,
        &occs,
        &rels,
        lang,
        &format!("ESCO occupations ({lang}) from {}", occupations.display()),
    )
    .await
}

/// Imports parsed occupations and relations.
pub async fn import_occupations(
    store: &Store,
    occs: &[esco::EscoOccupation],
    rels: &[esco::EscoRelation],
    lang: &str,
    source: &str,
) -> Result<ImportReport, ImportError> {
    let existing = taxonomy::all(store.conn()).await?;
    let shipped = starter_taxonomy::shipped_labels();
    let skill_ids: HashMap<String, Uuid> = existing
        .iter()
        .filter(|c| c.kind == ConceptKind::Competence)
        .filter_map(|c| c.esco_uri.clone().map(|u| (u, c.id)))
        .collect();
    let by_uri: HashMap<String, ConceptRecord> = existing
        .into_iter()
        .filter(|c| c.kind == ConceptKind::Occupation)
        .filter_map(|c| c.esco_uri.clone().map(|u| (u, c)))
        .collect();
    let mut essential: HashMap<&str, Vec<Uuid>> = HashMap::new();
    let mut optional: HashMap<&str, Vec<Uuid>> = HashMap::new();
    let mut skipped = 0;
    for r in rels {
        let Some(skill) = skill_ids.get(&r.skill_uri) else {
            skipped += 1;
            continue;
        };
        let target = if r.relation_type.eq_ignore_ascii_case("essential") {
            &mut essential
        } else {
            &mut optional
        };
        target
            .entry(r.occupation_uri.as_str())
            .or_default()
            .push(*skill);
    }
    let txn = store.begin().await?;
    let version = taxonomy::begin_version(&txn, source).await?;
    let mut report = ImportReport {
        what: format!("ESCO occupations ({lang})"),
        read: occs.len(),
        version,
        skipped_relations: skipped,
        ..Default::default()
    };
    let mut created = Vec::new();
    for o in occs {
        let mut ess = essential.remove(o.uri.as_str()).unwrap_or_default();
        let mut opt = optional.remove(o.uri.as_str()).unwrap_or_default();
        ess.sort();
        ess.dedup();
        opt.sort();
        opt.dedup();
        match by_uri.get(&o.uri) {
            Some(old) => {
                let mut new = old.clone();
                new.labels = merge_labels(
                    &old.labels,
                    lang,
                    &o.preferred_label,
                    o.alt_labels.iter().cloned(),
                );
                adopt_starter(&mut new, &shipped);
                if !ess.is_empty() || !opt.is_empty() {
                    new.essential = ess;
                    new.optional = opt;
                }
                if new.same_content(old) {
                    report.unchanged += 1;
                } else {
                    new.changed_in_version = version;
                    taxonomy::update(&txn, &new).await?;
                    report.updated += 1;
                }
            }
            None => created.push(ConceptRecord {
                id: esco::uri_to_uuid(&o.uri),
                kind: ConceptKind::Occupation,
                esco_uri: Some(o.uri.clone()),
                key: None,
                field: None,
                labels: merge_labels(&[], lang, &o.preferred_label, o.alt_labels.iter().cloned()),
                essential: ess,
                optional: opt,
                description: o.description.clone().filter(|d| !d.trim().is_empty()),
                deprecated: false,
                replaced_by: None,
                created_in_version: version,
                changed_in_version: version,
            }),
        }
    }
    report.created = created.len();
    taxonomy::insert_many(&txn, &created).await?;
    taxonomy::finish_version(&txn, version, counts(&report)).await?;
    txn.commit().await?;
    Ok(report)
}
