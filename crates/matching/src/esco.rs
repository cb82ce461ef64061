//! Parsing of ESCO CSV exports (skills, occupations, occupation–skill relations).
//!
//! The crate does no file I/O: callers pass any [`std::io::Read`]. Columns are found by header
//! name, in any order; unknown columns are ignored. Multi-valued label fields (`altLabels`,
//! `hiddenLabels`) hold one label per line inside a quoted field.

use std::collections::{BTreeMap, HashMap};
use std::io::Read;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::{ConceptInput, ConceptSource, Label, Lang, OccupationInput};

/// Errors while reading an ESCO CSV file.
#[derive(Debug, thiserror::Error)]
pub enum EscoError {
    /// A required column is missing from the header.
    #[error("missing required column `{column}` in the header")]
    MissingColumn {
        /// Column name.
        column: &'static str,
    },
    /// A required value is empty.
    #[error("row {row}: required column `{column}` is empty")]
    EmptyValue {
        /// One-based data row number (the header is row 0).
        row: u64,
        /// Column name.
        column: &'static str,
    },
    /// A value is not acceptable.
    #[error("row {row}: column `{column}`: {reason}")]
    InvalidValue {
        /// One-based data row number.
        row: u64,
        /// Column name.
        column: &'static str,
        /// What is wrong.
        reason: String,
    },
    /// The CSV itself is malformed (unbalanced quotes, wrong field count, bad UTF-8).
    #[error("row {row}: malformed CSV: {source}")]
    Csv {
        /// One-based data row number (0 when unknown or in the header).
        row: u64,
        /// The underlying error.
        #[source]
        source: csv::Error,
    },
}

/// One row of `skills_<lang>.csv`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EscoSkill {
    /// `conceptUri`.
    pub uri: String,
    /// `conceptType` (normally `KnowledgeSkillCompetence`).
    pub concept_type: String,
    /// `skillType` (`skill/competence` or `knowledge`).
    pub skill_type: Option<String>,
    /// `preferredLabel`.
    pub preferred_label: String,
    /// `altLabels`, one per line.
    pub alt_labels: Vec<String>,
    /// `hiddenLabels`, one per line.
    pub hidden_labels: Vec<String>,
    /// `status` (`released`, ...).
    pub status: String,
    /// `modifiedDate`.
    pub modified: Option<String>,
    /// `description`.
    pub description: Option<String>,
}

/// One row of `occupations_<lang>.csv`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EscoOccupation {
    /// `conceptUri`.
    pub uri: String,
    /// `preferredLabel`.
    pub preferred_label: String,
    /// `altLabels`, one per line.
    pub alt_labels: Vec<String>,
    /// `description`.
    pub description: Option<String>,
}

/// One row of `occupationSkillRelations_<lang>.csv`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct EscoRelation {
    /// `occupationUri`.
    pub occupation_uri: String,
    /// `relationType`: `essential` or `optional`.
    pub relation_type: String,
    /// `skillUri`.
    pub skill_uri: String,
}

struct Table<R: Read> {
    reader: csv::Reader<R>,
    columns: HashMap<String, usize>,
}

struct Row<'a> {
    record: &'a csv::StringRecord,
    columns: &'a HashMap<String, usize>,
    number: u64,
}

impl Row<'_> {
    fn optional(&self, column: &str) -> Option<String> {
        let &i = self.columns.get(column)?;
        let v = self.record.get(i)?.trim();
        (!v.is_empty()).then(|| v.to_owned())
    }

    fn required(&self, column: &'static str) -> Result<String, EscoError> {
        self.optional(column).ok_or(EscoError::EmptyValue {
            row: self.number,
            column,
        })
    }

    fn lines(&self, column: &str) -> Vec<String> {
        self.optional(column)
            .map(|v| {
                v.lines()
                    .map(str::trim)
                    .filter(|l| !l.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default()
    }
}

impl<R: Read> Table<R> {
    fn open(r: R, required: &[&'static str]) -> Result<Self, EscoError> {
        let mut reader = csv::ReaderBuilder::new()
            .has_headers(true)
            .flexible(false)
            .from_reader(r);
        let headers = reader
            .headers()
            .map_err(|source| EscoError::Csv { row: 0, source })?;
        let columns: HashMap<String, usize> = headers
            .iter()
            .enumerate()
            .map(|(i, h)| (h.trim_start_matches('\u{feff}').trim().to_owned(), i))
            .collect();
        for &column in required {
            if !columns.contains_key(column) {
                return Err(EscoError::MissingColumn { column });
            }
        }
        Ok(Self { reader, columns })
    }

    fn for_each(
        mut self,
        mut f: impl FnMut(&Row<'_>) -> Result<(), EscoError>,
    ) -> Result<(), EscoError> {
        let mut record = csv::StringRecord::new();
        let mut number = 0u64;
        loop {
            number += 1;
            match self.reader.read_record(&mut record) {
                Ok(true) => {}
                Ok(false) => return Ok(()),
                Err(source) => {
                    return Err(EscoError::Csv {
                        row: number,
                        source,
                    });
                }
            }
            if record.iter().all(|f| f.trim().is_empty()) {
                continue;
            }
            f(&Row {
                record: &record,
                columns: &self.columns,
                number,
            })?;
        }
    }
}

/// Reads an ESCO skills file (`skills_<lang>.csv`).
///
/// # Errors
/// A missing `conceptUri`/`preferredLabel` column, an empty required value, or malformed CSV;
/// the error names the one-based data row and the column.
pub fn read_skills<R: Read>(r: R) -> Result<Vec<EscoSkill>, EscoError> {
    let table = Table::open(r, &["conceptUri", "preferredLabel"])?;
    let mut out = Vec::new();
    table.for_each(|row| {
        out.push(EscoSkill {
            uri: row.required("conceptUri")?,
            concept_type: row
                .optional("conceptType")
                .unwrap_or_else(|| "KnowledgeSkillCompetence".to_owned()),
            skill_type: row.optional("skillType"),
            preferred_label: row.required("preferredLabel")?,
            alt_labels: row.lines("altLabels"),
            hidden_labels: row.lines("hiddenLabels"),
            status: row
                .optional("status")
                .unwrap_or_else(|| "released".to_owned()),
            modified: row.optional("modifiedDate"),
            description: row
                .optional("description")
                .or_else(|| row.optional("definition")),
        });
        Ok(())
    })?;
    Ok(out)
}

/// Reads an ESCO occupations file (`occupations_<lang>.csv`).
///
/// # Errors
/// As [`read_skills`].
pub fn read_occupations<R: Read>(r: R) -> Result<Vec<EscoOccupation>, EscoError> {
    let table = Table::open(r, &["conceptUri", "preferredLabel"])?;
    let mut out = Vec::new();
    table.for_each(|row| {
        out.push(EscoOccupation {
            uri: row.required("conceptUri")?,
            preferred_label: row.required("preferredLabel")?,
            alt_labels: row.lines("altLabels"),
            description: row
                .optional("description")
                .or_else(|| row.optional("definition")),
        });
        Ok(())
    })?;
    Ok(out)
}

/// Reads an ESCO occupation–skill relations file (`occupationSkillRelations_<lang>.csv`).
///
/// # Errors
/// As [`read_skills`]; also a `relationType` other than `essential`/`optional`.
pub fn read_relations<R: Read>(r: R) -> Result<Vec<EscoRelation>, EscoError> {
    let table = Table::open(r, &["occupationUri", "relationType", "skillUri"])?;
    let mut out = Vec::new();
    table.for_each(|row| {
        let relation_type = row.required("relationType")?.to_ascii_lowercase();
        if relation_type != "essential" && relation_type != "optional" {
            return Err(EscoError::InvalidValue {
                row: row.number,
                column: "relationType",
                reason: format!("expected `essential` or `optional`, got `{relation_type}`"),
            });
        }
        out.push(EscoRelation {
            occupation_uri: row.required("occupationUri")?,
            relation_type,
            skill_uri: row.required("skillUri")?,
        });
        Ok(())
    })?;
    Ok(out)
}

/// A deterministic id for an ESCO URI (two FNV-1a-64 hashes folded into a UUID with version 8
/// "custom" bits), so that re-imports keep concept ids stable.
#[must_use]
pub fn uri_to_uuid(uri: &str) -> Uuid {
    fn fnv(seed: u64, bytes: &[u8]) -> u64 {
        let mut h = seed;
        for &b in bytes {
            h ^= u64::from(b);
            h = h.wrapping_mul(0x0100_0000_01b3);
        }
        h
    }
    let hi = fnv(0xcbf2_9ce4_8422_2325, uri.as_bytes());
    let lo = fnv(0x84222325_cbf29ce4, uri.as_bytes());
    let mut v = (u128::from(hi) << 64) | u128::from(lo);
    // Version 8 (custom), RFC 4122 variant.
    v = (v & !(0xF_u128 << 76)) | (0x8_u128 << 76);
    v = (v & !(0x3_u128 << 62)) | (0x2_u128 << 62);
    Uuid::from_u128(v)
}

/// Merges per-language skill files (same URIs, different labels) into [`ConceptInput`]s with ids
/// from [`uri_to_uuid`]. Hidden labels become alternative labels; a status other than
/// `released` marks the concept deprecated. Output is sorted by URI.
#[must_use]
pub fn concepts_from_skills(files: &[(Lang, Vec<EscoSkill>)]) -> Vec<ConceptInput> {
    let mut by_uri: BTreeMap<&str, ConceptInput> = BTreeMap::new();
    for (lang, skills) in files {
        for s in skills {
            let c = by_uri
                .entry(s.uri.as_str())
                .or_insert_with(|| ConceptInput {
                    id: uri_to_uuid(&s.uri),
                    labels: Vec::new(),
                    deprecated: false,
                    replaced_by: None,
                    source: ConceptSource::Imported,
                });
            c.deprecated |= s.status != "released";
            c.labels.push(Label {
                lang: *lang,
                text: s.preferred_label.clone(),
                preferred: true,
            });
            for alt in s.alt_labels.iter().chain(&s.hidden_labels) {
                c.labels.push(Label {
                    lang: *lang,
                    text: alt.clone(),
                    preferred: false,
                });
            }
        }
    }
    by_uri.into_values().collect()
}

/// Builds [`OccupationInput`]s from per-language occupation files and the relations file. Output
/// is sorted by URI; relations to unknown occupations are ignored.
#[must_use]
pub fn occupations_from(
    files: &[(Lang, Vec<EscoOccupation>)],
    relations: &[EscoRelation],
) -> Vec<OccupationInput> {
    let mut by_uri: BTreeMap<&str, OccupationInput> = BTreeMap::new();
    for (lang, occupations) in files {
        for o in occupations {
            let entry = by_uri
                .entry(o.uri.as_str())
                .or_insert_with(|| OccupationInput {
                    id: uri_to_uuid(&o.uri),
                    labels: Vec::new(),
                    essential: Vec::new(),
                    optional: Vec::new(),
                    source: ConceptSource::Imported,
                });
            entry.labels.push(Label {
                lang: *lang,
                text: o.preferred_label.clone(),
                preferred: true,
            });
            for alt in &o.alt_labels {
                entry.labels.push(Label {
                    lang: *lang,
                    text: alt.clone(),
                    preferred: false,
                });
            }
        }
    }
    for rel in relations {
        if let Some(o) = by_uri.get_mut(rel.occupation_uri.as_str()) {
            let id = uri_to_uuid(&rel.skill_uri);
            let list = if rel.relation_type == "essential" {
                &mut o.essential
            } else {
                &mut o.optional
            };
            if !list.contains(&id) {
                list.push(id);
            }
        }
    }
    by_uri.into_values().collect()
}
