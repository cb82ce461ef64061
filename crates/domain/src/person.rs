//! People: municipal contacts, brokers, members of groups.

use serde::Serialize;
use uuid::Uuid;

use crate::geo::MunicipalityCode;
use crate::values::{Email, Label, Name};

/// A person taking part in the work. Contact details are never public.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Person {
    pub id: Uuid,
    pub name: Name,
    pub email: Option<Email>,
    pub phone: Option<String>,
    pub organisation_id: Option<Uuid>,
}

/// A municipal contact (kontaktperson): who can organise something locally when no course fits.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MunicipalContact {
    pub person_id: Uuid,
    pub municipalities: Vec<MunicipalityCode>,
    pub cluster_ids: Vec<Uuid>,
    /// Taxonomy concepts the contact can help with.
    pub area_concepts: Vec<Uuid>,
    /// Free-text areas (e.g. "livsmedelsindustri").
    pub area_labels: Vec<Label>,
}

/// A telephone number, kept loose: digits, spaces, `+`, `-` and parentheses, 5 to 25 characters.
pub fn parse_phone(raw: &str) -> Result<String, crate::DomainError> {
    let s = raw.trim();
    let ok = (5..=25).contains(&s.len())
        && s.chars()
            .all(|c| c.is_ascii_digit() || matches!(c, ' ' | '+' | '-' | '(' | ')'))
        && s.chars().filter(char::is_ascii_digit).count() >= 5;
    if ok {
        Ok(s.to_owned())
    } else {
        Err(crate::DomainError::invalid("", "not a telephone number"))
    }
}
