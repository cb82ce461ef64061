//! Network and broker meetings (Fyrbodal, seed 004): who took part, what was on the agenda (needs,
//! course requests, match decisions) and what came of it (an outcome per item, the minutes).

use std::collections::BTreeSet;

use chrono::NaiveDate;
use serde::Serialize;
use uuid::Uuid;

use crate::error::Validator;
use crate::forum::MeetingKind;
use crate::values::{Label, LongText, Name};
use crate::{DomainError, string_enum};

string_enum! {
    /// What an agenda item points to.
    pub enum AgendaLinkKind {
        Need = "need",
        CourseRequest = "course_request",
        /// A broker's decision on a match suggestion (the match id).
        Decision = "decision",
    }
}

/// One object an agenda item discusses.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize)]
pub struct AgendaLink {
    pub kind: AgendaLinkKind,
    pub target_id: Uuid,
}

/// Someone at the meeting: a registered person, an organisation, or a name as written down.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Participant {
    pub person_id: Option<Uuid>,
    pub organisation_id: Option<Uuid>,
    pub name: Option<Name>,
    /// e.g. `kontaktperson`, `mäklare`, `SYV`.
    pub role: Option<Label>,
}

/// Raw input for a participant.
#[derive(Debug, Clone, Default)]
pub struct ParticipantDraft {
    pub person_id: Option<Uuid>,
    pub organisation_id: Option<Uuid>,
    pub name: Option<String>,
    pub role: Option<String>,
}

/// One point on the agenda.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AgendaItem {
    pub title: Name,
    pub links: Vec<AgendaLink>,
    /// What was concluded.
    pub outcome: Option<LongText>,
}

/// Raw input for an agenda item.
#[derive(Debug, Clone, Default)]
pub struct AgendaItemDraft {
    pub title: String,
    pub need_ids: Vec<Uuid>,
    pub course_request_ids: Vec<Uuid>,
    pub decision_ids: Vec<Uuid>,
    pub outcome: Option<String>,
}

/// Raw input for a meeting.
#[derive(Debug, Clone, Default)]
pub struct MeetingDraft {
    pub kind: String,
    pub title: String,
    pub held_on: Option<NaiveDate>,
    pub group_id: Option<Uuid>,
    pub participants: Vec<ParticipantDraft>,
    pub agenda: Vec<AgendaItemDraft>,
    pub minutes: Option<String>,
}

/// The validated content of a meeting.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MeetingSpec {
    pub kind: MeetingKind,
    pub title: Name,
    pub held_on: NaiveDate,
    pub group_id: Option<Uuid>,
    pub participants: Vec<Participant>,
    pub agenda: Vec<AgendaItem>,
    pub minutes: Option<LongText>,
}

pub const MAX_PARTICIPANTS: usize = 300;
pub const MAX_AGENDA_ITEMS: usize = 50;
pub const MAX_LINKS_PER_ITEM: usize = 50;

impl MeetingSpec {
    /// Validates a whole meeting and reports every failing field at once.
    pub fn parse(draft: MeetingDraft) -> Result<Self, DomainError> {
        let mut v = Validator::new();
        let kind = v.check("kind", MeetingKind::parse(&draft.kind));
        let title = v.check("title", Name::parse(&draft.title));
        if draft.held_on.is_none() {
            v.fail("held_on", "the meeting's date is required");
        }
        let minutes = v.check(
            "minutes",
            crate::values::optional_long_text(draft.minutes.as_deref()),
        );
        if draft.participants.len() > MAX_PARTICIPANTS {
            v.fail(
                "participants",
                format!("at most {MAX_PARTICIPANTS} participants"),
            );
        }
        let mut participants = Vec::new();
        let mut people = BTreeSet::new();
        for (i, raw) in draft.participants.into_iter().enumerate() {
            let field = format!("participants[{i}]");
            if let Some(person) = raw.person_id
                && !people.insert(person)
            {
                v.fail(format!("{field}.person_id"), "listed twice");
            }
            if let Some(p) = v.check(&field, Participant::parse(raw)) {
                participants.push(p);
            }
        }
        if draft.agenda.len() > MAX_AGENDA_ITEMS {
            v.fail("agenda", format!("at most {MAX_AGENDA_ITEMS} agenda items"));
        }
        let mut agenda = Vec::new();
        for (i, raw) in draft.agenda.into_iter().enumerate() {
            if let Some(item) = v.check(&format!("agenda[{i}]"), AgendaItem::parse(raw)) {
                agenda.push(item);
            }
        }
        v.finish()?;
        match (kind, title, draft.held_on, minutes) {
            (Some(kind), Some(title), Some(held_on), Some(minutes)) => Ok(Self {
                kind,
                title,
                held_on,
                group_id: draft.group_id,
                participants,
                agenda,
                minutes,
            }),
            _ => Err(DomainError::invalid("", "invalid meeting")),
        }
    }

    /// Every object the agenda points to, each once.
    pub fn links(&self) -> BTreeSet<AgendaLink> {
        self.agenda
            .iter()
            .flat_map(|i| i.links.iter().copied())
            .collect()
    }
}

impl Participant {
    pub fn parse(raw: ParticipantDraft) -> Result<Self, DomainError> {
        let mut v = Validator::new();
        let name = v.check(
            "name",
            raw.name
                .as_deref()
                .filter(|n| !n.trim().is_empty())
                .map(Name::parse)
                .transpose(),
        );
        let role = v.check(
            "role",
            raw.role
                .as_deref()
                .filter(|r| !r.trim().is_empty())
                .map(Label::parse)
                .transpose(),
        );
        if raw.person_id.is_none()
            && raw.organisation_id.is_none()
            && name.as_ref().is_some_and(Option::is_none)
        {
            v.fail("", "name a person_id, an organisation_id or a name");
        }
        v.finish()?;
        match (name, role) {
            (Some(name), Some(role)) => Ok(Self {
                person_id: raw.person_id,
                organisation_id: raw.organisation_id,
                name,
                role,
            }),
            _ => Err(DomainError::invalid("", "invalid participant")),
        }
    }
}

impl AgendaItem {
    pub fn parse(raw: AgendaItemDraft) -> Result<Self, DomainError> {
        let mut v = Validator::new();
        let title = v.check("title", Name::parse(&raw.title));
        let outcome = v.check(
            "outcome",
            crate::values::optional_long_text(raw.outcome.as_deref()),
        );
        let mut links = Vec::new();
        for (kind, ids) in [
            (AgendaLinkKind::Need, &raw.need_ids),
            (AgendaLinkKind::CourseRequest, &raw.course_request_ids),
            (AgendaLinkKind::Decision, &raw.decision_ids),
        ] {
            for target_id in ids {
                let link = AgendaLink {
                    kind,
                    target_id: *target_id,
                };
                if !links.contains(&link) {
                    links.push(link);
                }
            }
        }
        if links.len() > MAX_LINKS_PER_ITEM {
            v.fail(
                "need_ids",
                format!("at most {MAX_LINKS_PER_ITEM} linked objects per item"),
            );
        }
        v.finish()?;
        match (title, outcome) {
            (Some(title), Some(outcome)) => Ok(Self {
                title,
                links,
                outcome,
            }),
            _ => Err(DomainError::invalid("", "invalid agenda item")),
        }
    }
}

/// A document a meeting refers to (its material, presentations, notes): a title and an https
/// link to where it is kept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MeetingDocument {
    pub title: Name,
    pub url: crate::values::WebUrl,
}

/// Where a meeting is held and its documents (e.g. the start-up meeting at Utvecklingscentrum
/// in Bengtsfors, with its material).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct MeetingMaterial {
    pub place: Option<Name>,
    pub documents: Vec<MeetingDocument>,
}

pub const MAX_DOCUMENTS: usize = 50;

impl MeetingMaterial {
    /// Validates the place and each document (`documents[i].title`, `documents[i].url`; links
    /// must be https).
    pub fn parse(place: Option<&str>, documents: &[(String, String)]) -> Result<Self, DomainError> {
        let mut v = Validator::new();
        let place = v.check(
            "place",
            place
                .filter(|p| !p.trim().is_empty())
                .map(Name::parse)
                .transpose(),
        );
        if documents.len() > MAX_DOCUMENTS {
            v.fail("documents", format!("at most {MAX_DOCUMENTS} documents"));
        }
        let mut parsed = Vec::new();
        for (i, (title, url)) in documents.iter().enumerate() {
            let title = v.check(&format!("documents[{i}].title"), Name::parse(title));
            let url = v.check(
                &format!("documents[{i}].url"),
                crate::values::WebUrl::parse(url).and_then(|u| {
                    if u.as_str().starts_with("https://") {
                        Ok(u)
                    } else {
                        Err(DomainError::invalid("", "must be an https link"))
                    }
                }),
            );
            if let (Some(title), Some(url)) = (title, url) {
                parsed.push(MeetingDocument { title, url });
            }
        }
        v.finish()?;
        Ok(Self {
            place: place.flatten(),
            documents: parsed,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn meeting_documents_are_https_links_with_titles() {
        let ok = MeetingMaterial::parse(
            Some("Utvecklingscentrum, Bengtsfors"),
            &[(
                "Startmöte".into(),
                "https://fyrbodal.se/startmote.pdf".into(),
            )],
        );
        assert_eq!(ok.map(|m| m.documents.len()).ok(), Some(1));
        let fields: Vec<String> = MeetingMaterial::parse(
            Some("  "),
            &[("".into(), "http://fyrbodal.se/a.pdf".into())],
        )
        .err()
        .map(|e| e.field_errors().iter().map(|f| f.field.clone()).collect())
        .unwrap_or_default();
        assert_eq!(fields, ["documents[0].title", "documents[0].url"]);
    }

    fn draft() -> MeetingDraft {
        MeetingDraft {
            kind: "broker_meeting".into(),
            title: "Mäklarträff Dalsland".into(),
            held_on: "2027-01-20".parse().ok(),
            participants: vec![
                ParticipantDraft {
                    person_id: Some(Uuid::from_u128(1)),
                    role: Some("klustermäklare".into()),
                    ..Default::default()
                },
                ParticipantDraft {
                    name: Some("Vuxenutbildningen".into()),
                    ..Default::default()
                },
            ],
            agenda: vec![AgendaItemDraft {
                title: "CNC-behov i Dals-Ed och Bengtsfors".into(),
                need_ids: vec![Uuid::from_u128(7), Uuid::from_u128(7), Uuid::from_u128(8)],
                course_request_ids: vec![Uuid::from_u128(9)],
                outcome: Some("Kursförfrågan skickas till vuxenutbildningen".into()),
                ..Default::default()
            }],
            minutes: None,
            group_id: None,
        }
    }

    #[test]
    fn a_broker_meeting_with_linked_agenda_parses() {
        let spec = MeetingSpec::parse(draft()).unwrap_or_else(|e| panic!("{e}"));
        assert_eq!(spec.kind, MeetingKind::BrokerMeeting);
        assert_eq!(
            spec.agenda[0].links.len(),
            3,
            "the repeated need counts once"
        );
        assert_eq!(spec.links().len(), 3);
    }

    #[test]
    fn a_meeting_reports_every_bad_field() {
        let mut d = draft();
        d.kind = "party".into();
        d.held_on = None;
        d.participants.push(ParticipantDraft::default());
        d.participants.push(ParticipantDraft {
            person_id: Some(Uuid::from_u128(1)),
            ..Default::default()
        });
        d.agenda[0].title = String::new();
        let err = MeetingSpec::parse(d)
            .err()
            .unwrap_or_else(|| DomainError::Invalid(vec![]));
        let fields: Vec<&str> = err
            .field_errors()
            .iter()
            .map(|f| f.field.as_str())
            .collect();
        for expected in [
            "kind",
            "held_on",
            "participants[2]",
            "participants[3].person_id",
            "agenda[0].title",
        ] {
            assert!(fields.contains(&expected), "{expected} in {fields:?}");
        }
    }
}
