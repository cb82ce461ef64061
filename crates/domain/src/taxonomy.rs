//! The multilingual competence and occupation taxonomy.

use serde::Serialize;
use uuid::Uuid;

use crate::values::{Label, Lang};
use crate::{DomainError, string_enum};

/// An ESCO concept URI, e.g. `http://data.europa.eu/esco/skill/<uuid>`.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
#[serde(transparent)]
pub struct EscoUri(String);

impl EscoUri {
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let s = raw.trim();
        if s.starts_with("http://data.europa.eu/esco/")
            && s.len() > 30
            && s.len() <= 200
            && !s.contains(char::is_whitespace)
        {
            Ok(Self(s.to_owned()))
        } else {
            Err(DomainError::invalid(
                "",
                "an ESCO URI starts with http://data.europa.eu/esco/",
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

string_enum! {
    pub enum ConceptKind {
        Competence = "competence",
        Occupation = "occupation",
    }
}

/// One label in one language.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ConceptLabel {
    pub lang: Lang,
    pub text: Label,
    pub preferred: bool,
}

/// Labels of a concept: exactly one preferred label per language present, any number of alternatives.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
pub struct Labels(Vec<ConceptLabel>);

impl Labels {
    pub fn parse(labels: Vec<ConceptLabel>) -> Result<Self, DomainError> {
        if labels.is_empty() {
            return Err(DomainError::invalid(
                "labels",
                "a concept needs at least one label",
            ));
        }
        for lang in Lang::ALL {
            let preferred = labels
                .iter()
                .filter(|l| l.lang == lang && l.preferred)
                .count();
            let any = labels.iter().any(|l| l.lang == lang);
            if any && preferred != 1 {
                return Err(DomainError::invalid(
                    "labels",
                    format!("language {} needs exactly one preferred label", lang.code()),
                ));
            }
        }
        let mut labels = labels;
        labels.sort_by(|a, b| {
            (a.lang, !a.preferred, a.text.as_str()).cmp(&(b.lang, !b.preferred, b.text.as_str()))
        });
        labels.dedup_by(|a, b| a.lang == b.lang && a.text == b.text);
        Ok(Self(labels))
    }

    pub fn all(&self) -> &[ConceptLabel] {
        &self.0
    }

    /// The preferred label in `lang`, else English, else Swedish, else Norwegian.
    pub fn preferred(&self, lang: Lang) -> Option<&str> {
        [lang, Lang::En, Lang::Sv, Lang::Nb]
            .iter()
            .find_map(|l| self.0.iter().find(|x| x.lang == *l && x.preferred))
            .map(|l| l.text.as_str())
    }
}

/// A competence concept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CompetenceConcept {
    pub id: Uuid,
    pub esco_uri: Option<EscoUri>,
    pub labels: Labels,
    pub field: Option<String>,
    pub deprecated: bool,
    pub replaced_by: Option<Uuid>,
}

/// An occupation concept with the competences it requires.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct OccupationConcept {
    pub id: Uuid,
    pub esco_uri: Option<EscoUri>,
    pub labels: Labels,
    pub essential: Vec<Uuid>,
    pub optional: Vec<Uuid>,
}

#[cfg(test)]
mod tests {
    use super::*;

    fn label(lang: Lang, text: &str, preferred: bool) -> ConceptLabel {
        ConceptLabel {
            lang,
            text: Label::parse(text).unwrap_or_else(|_| unreachable!()),
            preferred,
        }
    }

    #[test]
    fn each_language_has_one_preferred_label() {
        assert!(
            Labels::parse(vec![
                label(Lang::Sv, "svetsning", true),
                label(Lang::Sv, "svets", true)
            ])
            .is_err()
        );
        assert!(Labels::parse(vec![label(Lang::Sv, "svets", false)]).is_err());
        let ok = Labels::parse(vec![
            label(Lang::Sv, "svetsning", true),
            label(Lang::En, "welding", true),
        ]);
        assert_eq!(
            ok.ok()
                .and_then(|l| l.preferred(Lang::Nb).map(str::to_owned)),
            Some("welding".to_owned())
        );
    }

    #[test]
    fn esco_uris_are_recognised() {
        assert!(
            EscoUri::parse("http://data.europa.eu/esco/skill/6a2f9b9a-0000-4000-8000-000000000001")
                .is_ok()
        );
        assert!(EscoUri::parse("https://example.com/skill").is_err());
    }
}
