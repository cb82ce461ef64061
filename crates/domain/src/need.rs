//! Competence needs (behov): what an employer needs people to know, where, how many and by when.

use chrono::NaiveDate;
use serde::Serialize;
use uuid::Uuid;

use crate::error::Validator;
use crate::geo::MunicipalityCode;
use crate::lifecycle::Lifecycle;
use crate::support::{SupportToolLink, SupportToolLinkDraft};
use crate::values::{EqfLevel, Headcount, Label, LongText, Name};
use crate::{DomainError, TransitionError, string_enum};

string_enum! {
    /// Why the need exists.
    pub enum NeedPurpose {
        Upskilling = "upskilling",
        Recruitment = "recruitment",
        /// Retraining for another occupation (omställning, omskolering).
        Reskilling = "reskilling",
        /// Apprenticeship, lärlingsplats, læreplass.
        Apprenticeship = "apprenticeship",
        /// Validation of prior learning.
        Validation = "validation",
    }
}

string_enum! {
    /// How much a competence matters to the need.
    pub enum Importance {
        MustHave = "must_have",
        NiceToHave = "nice_to_have",
    }
}

string_enum! {
    /// Where a need is in its life.
    pub enum NeedStatus {
        Draft = "draft",
        Open = "open",
        InReview = "in_review",
        /// A broker accepted pooling it with similar needs: still demand awaiting a course,
        /// which a course request for the pool commissions.
        Pooled = "pooled",
        Matched = "matched",
        Fulfilled = "fulfilled",
        Withdrawn = "withdrawn",
        Expired = "expired",
    }
}

string_enum! {
    /// What can happen to a need.
    pub enum NeedAction {
        Open = "open",
        StartReview = "start_review",
        Pool = "pool",
        Match = "match",
        Reopen = "reopen",
        Fulfil = "fulfil",
        Withdraw = "withdraw",
        Expire = "expire",
    }
}

impl Lifecycle for NeedStatus {
    type Action = NeedAction;
    const ACTIONS: &'static [NeedAction] = NeedAction::ALL;

    fn transition(self, action: NeedAction) -> Result<Self, TransitionError> {
        use NeedAction as A;
        use NeedStatus as S;
        match (self, action) {
            (S::Draft, A::Open) => Ok(S::Open),
            (S::Open, A::StartReview) => Ok(S::InReview),
            (S::Open | S::InReview, A::Pool) => Ok(S::Pooled),
            (S::Open | S::InReview | S::Pooled, A::Match) => Ok(S::Matched),
            (S::InReview | S::Pooled | S::Matched, A::Reopen) => Ok(S::Open),
            (S::Matched, A::Fulfil) => Ok(S::Fulfilled),
            (S::Draft | S::Open | S::InReview | S::Pooled | S::Matched, A::Withdraw) => {
                Ok(S::Withdrawn)
            }
            (S::Open | S::InReview | S::Pooled, A::Expire) => Ok(S::Expired),
            (from, action) => Err(TransitionError {
                entity: "need",
                from: from.as_str(),
                action: action.as_str(),
            }),
        }
    }
}

impl NeedStatus {
    /// The states of demand still waiting for an answer: they take part in matching, pooling,
    /// escalation, expiry and the gap. A pooled need waits for the pool's course.
    pub const ACTIVE: &'static [NeedStatus] = &[Self::Open, Self::InReview, Self::Pooled];

    /// Needs in these states are still waiting for an answer and take part in matching and pooling.
    pub fn is_active(self) -> bool {
        Self::ACTIVE.contains(&self)
    }

    /// No further change is possible.
    pub fn is_final(self) -> bool {
        matches!(self, Self::Fulfilled | Self::Withdrawn | Self::Expired)
    }
}

/// Which ways of studying suit the people concerned.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, serde::Deserialize)]
pub struct DeliveryPreference {
    pub on_site: bool,
    pub distance: bool,
    pub part_time: bool,
}

impl Default for DeliveryPreference {
    fn default() -> Self {
        Self {
            on_site: true,
            distance: true,
            part_time: false,
        }
    }
}

impl DeliveryPreference {
    pub fn parse(on_site: bool, distance: bool, part_time: bool) -> Result<Self, DomainError> {
        if !on_site && !distance {
            return Err(DomainError::invalid(
                "",
                "at least one of on_site and distance must be accepted",
            ));
        }
        Ok(Self {
            on_site,
            distance,
            part_time,
        })
    }
}

/// One competence the need asks for: a taxonomy concept, or free text the taxonomy did not know.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct CompetenceRequirement {
    /// Taxonomy concept, when the label resolved (or the client named one).
    pub concept_id: Option<Uuid>,
    /// The label as stated.
    pub label: Label,
    pub importance: Importance,
    pub level: Option<EqfLevel>,
}

/// Raw input for a need, as a client sends it (already decoded from JSON or CSV).
#[derive(Debug, Clone, Default)]
pub struct NeedDraft {
    pub municipality: String,
    pub platform_id: Option<Uuid>,
    pub employer_id: Option<Uuid>,
    pub title: String,
    pub description: Option<String>,
    pub purpose: String,
    pub headcount: i64,
    pub needed_by: Option<NaiveDate>,
    pub expires_on: Option<NaiveDate>,
    pub wanted_level: Option<i64>,
    pub occupation_id: Option<Uuid>,
    pub delivery: Option<(bool, bool, bool)>,
    pub competences: Vec<RequirementDraft>,
    /// Support tools the need points to (REKAS, SYV Online, Validering Väst, other).
    pub support_tool_links: Vec<SupportToolLinkDraft>,
}

/// Raw input for one competence requirement.
#[derive(Debug, Clone, Default)]
pub struct RequirementDraft {
    pub concept_id: Option<Uuid>,
    pub label: Option<String>,
    pub importance: Option<String>,
    pub level: Option<i64>,
}

/// The validated content of a need (everything a client may set).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct NeedSpec {
    pub municipality: MunicipalityCode,
    pub platform_id: Option<Uuid>,
    pub employer_id: Option<Uuid>,
    pub title: Name,
    pub description: Option<LongText>,
    pub purpose: NeedPurpose,
    pub headcount: Headcount,
    pub needed_by: Option<NaiveDate>,
    pub expires_on: Option<NaiveDate>,
    pub wanted_level: Option<EqfLevel>,
    pub occupation_id: Option<Uuid>,
    pub delivery: DeliveryPreference,
    pub competences: Vec<CompetenceRequirement>,
    pub support_tools: Vec<SupportToolLink>,
}

/// At most this many competences per need: more is a job ad, not a need.
pub const MAX_COMPETENCES_PER_NEED: usize = 30;

impl NeedSpec {
    /// Validates a whole draft and reports every failing field at once. `today` decides whether
    /// dates lie in the past.
    pub fn parse(draft: NeedDraft, today: NaiveDate) -> Result<Self, DomainError> {
        let mut v = Validator::new();
        let municipality = v.check("municipality", MunicipalityCode::parse(&draft.municipality));
        let title = v.check("title", Name::parse(&draft.title));
        let description = v.check(
            "description",
            crate::values::optional_long_text(draft.description.as_deref()),
        );
        let purpose = v.check("purpose", NeedPurpose::parse(&draft.purpose));
        let headcount = v.check("headcount", Headcount::parse(draft.headcount));
        let wanted_level = v.check(
            "wanted_level",
            draft.wanted_level.map(EqfLevel::parse).transpose(),
        );
        let delivery = match draft.delivery {
            Some((on_site, distance, part_time)) => v.check(
                "delivery",
                DeliveryPreference::parse(on_site, distance, part_time),
            ),
            None => Some(DeliveryPreference::default()),
        };
        if let Some(needed_by) = draft.needed_by
            && needed_by < today
        {
            v.fail(
                "needed_by",
                format!("must not be in the past (today is {today})"),
            );
        }
        if let Some(expires_on) = draft.expires_on
            && expires_on < today
        {
            v.fail(
                "expires_on",
                format!("must not be in the past (today is {today})"),
            );
        }
        if draft.competences.is_empty() && draft.occupation_id.is_none() {
            v.fail(
                "competences",
                "name at least one competence or an occupation",
            );
        }
        if draft.competences.len() > MAX_COMPETENCES_PER_NEED {
            v.fail(
                "competences",
                format!("at most {MAX_COMPETENCES_PER_NEED} competences per need"),
            );
        }
        let mut competences = Vec::with_capacity(draft.competences.len());
        for (i, raw) in draft.competences.into_iter().enumerate() {
            let field = format!("competences[{i}]");
            if let Some(req) = v.check(&field, CompetenceRequirement::parse(raw)) {
                competences.push(req);
            }
        }
        let support_tools = v.check(
            "",
            crate::support::parse_links(&[], &draft.support_tool_links),
        );
        v.finish()?;
        match (
            municipality,
            title,
            description,
            purpose,
            headcount,
            wanted_level,
            (delivery, support_tools),
        ) {
            (
                Some(municipality),
                Some(title),
                Some(description),
                Some(purpose),
                Some(headcount),
                Some(wanted_level),
                (Some(delivery), Some(support_tools)),
            ) => Ok(Self {
                municipality,
                platform_id: draft.platform_id,
                employer_id: draft.employer_id,
                title,
                description,
                purpose,
                headcount,
                needed_by: draft.needed_by,
                expires_on: draft.expires_on,
                wanted_level,
                occupation_id: draft.occupation_id,
                delivery,
                competences,
                support_tools,
            }),
            _ => Err(DomainError::invalid("", "invalid need")),
        }
    }

    /// Must-have requirements first, in stated order.
    pub fn must_haves(&self) -> impl Iterator<Item = &CompetenceRequirement> {
        self.competences
            .iter()
            .filter(|c| c.importance == Importance::MustHave)
    }
}

impl CompetenceRequirement {
    pub fn parse(raw: RequirementDraft) -> Result<Self, DomainError> {
        let mut v = Validator::new();
        let label = match raw.label.as_deref() {
            Some(l) => v.check("label", Label::parse(l)),
            None if raw.concept_id.is_some() => None,
            None => {
                v.fail("label", "give a label or a concept_id");
                None
            }
        };
        let importance = match raw.importance.as_deref() {
            Some(i) => v.check("importance", Importance::parse(i)),
            None => Some(Importance::MustHave),
        };
        let level = v.check("level", raw.level.map(EqfLevel::parse).transpose());
        v.finish()?;
        let label = match (label, raw.concept_id) {
            (Some(label), _) => label,
            // A bare concept id: the caller fills in the preferred label after looking it up.
            (None, Some(id)) => Label::parse(&id.to_string())?,
            (None, None) => {
                return Err(DomainError::invalid(
                    "label",
                    "give a label or a concept_id",
                ));
            }
        };
        match (importance, level) {
            (Some(importance), Some(level)) => Ok(Self {
                concept_id: raw.concept_id,
                label,
                importance,
                level,
            }),
            _ => Err(DomainError::invalid("", "invalid competence")),
        }
    }
}

/// A stored need: its validated content plus identity, status and bookkeeping.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Need {
    pub id: Uuid,
    pub spec: NeedSpec,
    pub status: NeedStatus,
    pub platform_id: Uuid,
    pub entered_by: String,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
    pub expires_on: NaiveDate,
    pub version: i32,
}

impl Need {
    /// Whether the need has passed its expiry date and should leave the queues.
    pub fn is_expired_on(&self, today: NaiveDate) -> bool {
        self.status.is_active() && self.expires_on < today
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 23).unwrap_or_default()
    }

    fn draft() -> NeedDraft {
        NeedDraft {
            municipality: "1438".into(),
            title: "Svetsare till verkstad".into(),
            purpose: "recruitment".into(),
            headcount: 3,
            competences: vec![RequirementDraft {
                label: Some("MIG/MAG-svetsning".into()),
                ..Default::default()
            }],
            ..Default::default()
        }
    }

    #[test]
    fn a_valid_need_parses_with_must_have_as_default_importance() {
        let spec = NeedSpec::parse(draft(), today());
        assert!(spec.is_ok(), "{spec:?}");
        let spec = spec.unwrap_or_else(|_| unreachable!());
        assert_eq!(spec.competences[0].importance, Importance::MustHave);
        assert_eq!(spec.delivery, DeliveryPreference::default());
    }

    #[test]
    fn a_need_without_competences_or_occupation_is_rejected() {
        let mut d = draft();
        d.competences.clear();
        let err = NeedSpec::parse(d, today()).err();
        assert!(err.is_some_and(|e| e.field_errors().iter().any(|f| f.field == "competences")));
    }

    #[test]
    fn every_bad_field_is_reported_at_once() {
        let d = NeedDraft {
            municipality: "12".into(),
            title: " ".into(),
            purpose: "fun".into(),
            headcount: 0,
            needed_by: NaiveDate::from_ymd_opt(2020, 1, 1),
            competences: vec![RequirementDraft {
                importance: Some("maybe".into()),
                ..Default::default()
            }],
            ..Default::default()
        };
        let err = NeedSpec::parse(d, today())
            .err()
            .unwrap_or_else(|| DomainError::Invalid(vec![]));
        let fields: Vec<&str> = err
            .field_errors()
            .iter()
            .map(|f| f.field.as_str())
            .collect();
        for expected in [
            "municipality",
            "title",
            "purpose",
            "headcount",
            "needed_by",
            "competences[0].label",
            "competences[0].importance",
        ] {
            assert!(
                fields.contains(&expected),
                "{expected} missing from {fields:?}"
            );
        }
    }

    #[test]
    fn needs_move_only_along_their_lifecycle() {
        use NeedAction as A;
        use NeedStatus as S;
        assert_eq!(S::Draft.transition(A::Open), Ok(S::Open));
        assert_eq!(S::Open.transition(A::Match), Ok(S::Matched));
        assert_eq!(S::Matched.transition(A::Fulfil), Ok(S::Fulfilled));
        let err = S::Fulfilled.transition(A::Reopen).err();
        assert_eq!(
            err.map(|e| e.to_string()),
            Some("a need in state `fulfilled` cannot `reopen`".to_owned())
        );
        assert!(S::Draft.transition(A::Fulfil).is_err());
        assert!(S::Withdrawn.transition(A::Open).is_err());
    }

    #[test]
    fn a_pooled_need_stays_active_until_its_course_matches_it() {
        use NeedAction as A;
        use NeedStatus as S;
        assert_eq!(S::Open.transition(A::Pool), Ok(S::Pooled));
        assert_eq!(S::InReview.transition(A::Pool), Ok(S::Pooled));
        assert!(S::Pooled.is_active());
        assert_eq!(S::Pooled.transition(A::Match), Ok(S::Matched));
        assert_eq!(S::Pooled.transition(A::Reopen), Ok(S::Open));
        assert!(S::Matched.transition(A::Pool).is_err());
        assert!(S::Draft.transition(A::Pool).is_err());
    }

    proptest! {
        #[test]
        fn final_states_allow_nothing(action in proptest::sample::select(NeedAction::ALL)) {
            for state in [NeedStatus::Fulfilled, NeedStatus::Withdrawn, NeedStatus::Expired] {
                prop_assert!(state.transition(action).is_err());
            }
        }

        #[test]
        fn any_walk_through_the_lifecycle_stays_within_known_states(actions in proptest::collection::vec(proptest::sample::select(NeedAction::ALL), 0..20)) {
            let mut state = NeedStatus::Draft;
            for action in actions {
                if let Ok(next) = state.transition(action) {
                    prop_assert!(!state.is_final(), "left a final state");
                    state = next;
                }
            }
            prop_assert!(NeedStatus::ALL.contains(&state));
        }
    }
}
