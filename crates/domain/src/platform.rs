//! Platforms (arenas), their groups and memberships, and their matching settings.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::geo::MunicipalityCode;
use crate::values::{Name, Period};
use crate::{DomainError, string_enum};

string_enum! {
    /// The two ways regions organise the work.
    pub enum PlatformModel {
        /// Fyrbodal: a local competence platform per municipality or cluster.
        LocalPlatform = "local_platform",
        /// Østfold: a regional forum of equal partners.
        Forum = "forum",
    }
}

string_enum! {
    /// Who brokers for a local platform.
    pub enum BrokerArrangement {
        Municipal = "municipal",
        Cluster = "cluster",
        Subregional = "subregional",
    }
}

string_enum! {
    pub enum GroupKind {
        LocalCompetenceCouncil = "local_competence_council",
        SteeringGroup = "steering_group",
        CoordinationTeam = "coordination_team",
        CompetenceGroup = "competence_group",
        ParticipantForum = "participant_forum",
        WorkingGroup = "working_group",
    }
}

string_enum! {
    /// The forum's focus areas (2020-2021 structure).
    pub enum FocusArea {
        WorkLifeRelevance = "work_life_relevance",
        LifelongLearning = "lifelong_learning",
        InclusionAndIntegration = "inclusion_and_integration",
    }
}

/// Matching weights and thresholds a platform sets for its suggestions.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
pub struct MatchingSettings {
    pub competence: f64,
    pub text: f64,
    pub geography: f64,
    pub timing: f64,
    pub level: f64,
    pub capacity: f64,
    pub delivery: f64,
    /// Suggestions below this score are not shown.
    pub min_score: f64,
    /// How many suggestions of each kind to keep per need.
    pub max_results: u32,
    /// Days a need stays open before it expires, unless the need says otherwise.
    pub need_ttl_days: u32,
    /// Days without an accepted match before a need escalates to the next level.
    pub escalate_after_days: u32,
}

impl Default for MatchingSettings {
    fn default() -> Self {
        Self {
            competence: 0.40,
            text: 0.10,
            geography: 0.15,
            timing: 0.10,
            level: 0.05,
            capacity: 0.10,
            delivery: 0.10,
            min_score: 0.35,
            max_results: 10,
            need_ttl_days: 180,
            escalate_after_days: 21,
        }
    }
}

impl MatchingSettings {
    /// Every weight and the threshold in 0..=1, weights not all zero, limits within reason.
    pub fn validate(self) -> Result<Self, DomainError> {
        let mut v = crate::error::Validator::new();
        let weights = [
            ("competence", self.competence),
            ("text", self.text),
            ("geography", self.geography),
            ("timing", self.timing),
            ("level", self.level),
            ("capacity", self.capacity),
            ("delivery", self.delivery),
            ("min_score", self.min_score),
        ];
        for (name, w) in weights {
            if !(0.0..=1.0).contains(&w) {
                v.fail(name, "must be between 0 and 1");
            }
        }
        if weights[..7].iter().map(|(_, w)| w).sum::<f64>() <= 0.0 {
            v.fail("competence", "at least one weight must be above 0");
        }
        if !(1..=100).contains(&self.max_results) {
            v.fail("max_results", "must be between 1 and 100");
        }
        if !(1..=3650).contains(&self.need_ttl_days) {
            v.fail("need_ttl_days", "must be between 1 and 3650");
        }
        if !(1..=365).contains(&self.escalate_after_days) {
            v.fail("escalate_after_days", "must be between 1 and 365");
        }
        v.finish().map(|()| self)
    }
}

/// Where needs are gathered and reviewed.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Platform {
    pub id: Uuid,
    pub name: Name,
    pub model: PlatformModel,
    pub region_id: Uuid,
    pub cluster_id: Option<Uuid>,
    pub broker_arrangement: Option<BrokerArrangement>,
    pub municipalities: Vec<MunicipalityCode>,
    pub settings: MatchingSettings,
}

impl Platform {
    /// Whether a need entered in `code` belongs here.
    pub fn covers(&self, code: &MunicipalityCode) -> bool {
        self.municipalities.contains(code)
    }
}

/// A group working within a platform.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Group {
    pub id: Uuid,
    pub platform_id: Uuid,
    pub kind: GroupKind,
    pub name: Name,
    pub focus_area: Option<FocusArea>,
    pub industry: Option<Name>,
    pub period: Period,
}

impl Group {
    /// A competence group is organised either by focus area or by industry; other groups by neither.
    pub fn check_organising_principle(
        kind: GroupKind,
        focus_area: Option<FocusArea>,
        industry: Option<&Name>,
    ) -> Result<(), DomainError> {
        match (kind, focus_area, industry) {
            (GroupKind::CompetenceGroup, Some(_), Some(_)) => Err(DomainError::invalid(
                "focus_area",
                "a competence group has a focus area or an industry, not both",
            )),
            (GroupKind::CompetenceGroup, None, None) => Err(DomainError::invalid(
                "focus_area",
                "a competence group needs a focus area or an industry",
            )),
            _ => Ok(()),
        }
    }
}

/// A person's place in a group, on behalf of their organisation.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Membership {
    pub id: Uuid,
    pub group_id: Uuid,
    pub person_id: Uuid,
    pub organisation_id: Option<Uuid>,
    pub role: Name,
    /// Whether the member's organisation has given its mandate (forum model).
    pub mandate_given: bool,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn default_settings_are_valid() {
        assert!(MatchingSettings::default().validate().is_ok());
    }

    #[test]
    fn settings_name_the_bad_weight() {
        let bad = MatchingSettings {
            geography: 1.5,
            ..MatchingSettings::default()
        };
        let err = bad
            .validate()
            .err()
            .unwrap_or_else(|| DomainError::Invalid(vec![]));
        assert_eq!(err.field_errors()[0].field, "geography");
    }

    #[test]
    fn a_competence_group_has_exactly_one_organising_principle() {
        assert!(Group::check_organising_principle(GroupKind::CompetenceGroup, None, None).is_err());
        assert!(
            Group::check_organising_principle(
                GroupKind::CompetenceGroup,
                Some(FocusArea::LifelongLearning),
                None
            )
            .is_ok()
        );
        assert!(Group::check_organising_principle(GroupKind::SteeringGroup, None, None).is_ok());
    }
}
