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

/// Raw input for appointing or changing a municipality's contact person.
#[derive(Debug, Clone, Default)]
pub struct ContactDraft {
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub organisation_id: Option<Uuid>,
    /// Municipality codes the contact covers, as written (validated and resolved by the caller
    /// against the stored municipalities).
    pub municipalities: Vec<String>,
    /// Taxonomy concepts the contact can help with.
    pub area_concepts: Vec<Uuid>,
    /// Free-text areas.
    pub area_labels: Vec<String>,
}

/// Most municipalities and areas one contact covers.
pub const MAX_CONTACT_MUNICIPALITIES: usize = 30;
pub const MAX_CONTACT_AREAS: usize = 50;

/// A validated contact person: who they are, the municipalities they cover and their areas.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ContactAppointment {
    pub person: Person,
    pub municipalities: Vec<MunicipalityCode>,
    pub area_concepts: Vec<Uuid>,
    pub area_labels: Vec<Label>,
}

impl ContactAppointment {
    /// Validates every field and reports all failures at once. A contact covers at least one
    /// municipality and at least one area (a concept or a free-text area): they are a match
    /// target, and a contact without areas matches nothing.
    pub fn parse(id: Uuid, draft: ContactDraft) -> Result<Self, crate::DomainError> {
        let mut v = crate::error::Validator::new();
        let name = v.check("name", Name::parse(&draft.name));
        let email = v.check(
            "email",
            draft.email.as_deref().map(Email::parse).transpose(),
        );
        let phone = v.check("phone", draft.phone.as_deref().map(parse_phone).transpose());
        if draft.municipalities.is_empty() {
            v.fail("municipalities", "name at least one municipality");
        } else if draft.municipalities.len() > MAX_CONTACT_MUNICIPALITIES {
            v.fail(
                "municipalities",
                format!("at most {MAX_CONTACT_MUNICIPALITIES} municipalities"),
            );
        }
        let mut municipalities: Vec<MunicipalityCode> = draft
            .municipalities
            .iter()
            .enumerate()
            .filter_map(|(i, c)| {
                v.check(&format!("municipalities[{i}]"), MunicipalityCode::parse(c))
            })
            .collect();
        municipalities.sort();
        municipalities.dedup();
        if draft.area_concepts.is_empty() && draft.area_labels.is_empty() {
            v.fail(
                "areas",
                "name at least one area (a competence or a free-text area)",
            );
        }
        if draft.area_concepts.len() + draft.area_labels.len() > MAX_CONTACT_AREAS {
            v.fail("areas", format!("at most {MAX_CONTACT_AREAS} areas"));
        }
        let area_labels: Vec<Label> = draft
            .area_labels
            .iter()
            .enumerate()
            .filter_map(|(i, a)| v.check(&format!("area_labels[{i}]"), Label::parse(a)))
            .collect();
        let mut area_concepts = draft.area_concepts;
        area_concepts.sort();
        area_concepts.dedup();
        v.finish()?;
        let (Some(name), Some(email), Some(phone)) = (name, email, phone) else {
            return Err(crate::DomainError::invalid("name", "invalid contact"));
        };
        Ok(Self {
            person: Person {
                id,
                name,
                email,
                phone,
                organisation_id: draft.organisation_id,
            },
            municipalities,
            area_concepts,
            area_labels,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_contact_covers_a_municipality_and_an_area() {
        let ok = ContactDraft {
            name: "Karin Ek".into(),
            email: Some("karin.ek@dalsed.se".into()),
            municipalities: vec!["SE-1438".into()],
            area_labels: vec!["livsmedelsindustri".into()],
            ..ContactDraft::default()
        };
        let parsed = ContactAppointment::parse(Uuid::nil(), ok.clone());
        assert_eq!(
            parsed.ok().map(|c| c.municipalities[0].digits().to_owned()),
            Some("1438".to_owned())
        );
        let bad = ContactDraft {
            email: Some("not-mail".into()),
            municipalities: vec![],
            area_labels: vec![],
            ..ok
        };
        let fields: Vec<String> = ContactAppointment::parse(Uuid::nil(), bad)
            .err()
            .map(|e| e.field_errors().iter().map(|f| f.field.clone()).collect())
            .unwrap_or_default();
        assert_eq!(fields, ["email", "municipalities", "areas"]);
    }
}
