//! Forum-model objects: proposals for measures (tiltak), recommendations, meetings and workshops.

use serde::Serialize;
use uuid::Uuid;

use crate::lifecycle::Lifecycle;
use crate::values::{LongText, Name};
use crate::{DomainError, TransitionError, string_enum};

string_enum! {
    /// A proposal's road from idea to evaluated effect (seed 003, "fase 2").
    pub enum ProposalStatus {
        Draft = "draft",
        Submitted = "submitted",
        /// Discussed at a workshop, input attached.
        Discussed = "discussed",
        Refined = "refined",
        DecidedGo = "decided_go",
        DecidedNoGo = "decided_no_go",
        /// An organisation accepted responsibility for carrying it out.
        ResponsibilityAccepted = "responsibility_accepted",
        /// The organisation it was introduced to declined; it may be offered to another.
        ResponsibilityDeclined = "responsibility_declined",
        InProgress = "in_progress",
        Completed = "completed",
        Evaluated = "evaluated",
    }
}

string_enum! {
    pub enum ProposalAction {
        Submit = "submit",
        Discuss = "discuss",
        Refine = "refine",
        DecideGo = "decide_go",
        DecideNoGo = "decide_no_go",
        AcceptResponsibility = "accept_responsibility",
        DeclineResponsibility = "decline_responsibility",
        Start = "start",
        Complete = "complete",
        Evaluate = "evaluate",
    }
}

impl Lifecycle for ProposalStatus {
    type Action = ProposalAction;
    const ACTIONS: &'static [ProposalAction] = ProposalAction::ALL;

    fn transition(self, action: ProposalAction) -> Result<Self, TransitionError> {
        use ProposalAction as A;
        use ProposalStatus as S;
        match (self, action) {
            (S::Draft, A::Submit) => Ok(S::Submitted),
            // A refined proposal may go back to a workshop for another round.
            (S::Submitted | S::Refined, A::Discuss) => Ok(S::Discussed),
            (S::Discussed, A::Refine) => Ok(S::Refined),
            (S::Refined, A::DecideGo) => Ok(S::DecidedGo),
            (S::Refined, A::DecideNoGo) => Ok(S::DecidedNoGo),
            (S::DecidedGo | S::ResponsibilityDeclined, A::AcceptResponsibility) => {
                Ok(S::ResponsibilityAccepted)
            }
            (S::DecidedGo, A::DeclineResponsibility) => Ok(S::ResponsibilityDeclined),
            (S::ResponsibilityAccepted, A::Start) => Ok(S::InProgress),
            (S::InProgress, A::Complete) => Ok(S::Completed),
            (S::Completed, A::Evaluate) => Ok(S::Evaluated),
            (from, action) => Err(TransitionError {
                entity: "proposal",
                from: from.as_str(),
                action: action.as_str(),
            }),
        }
    }
}

string_enum! {
    /// Follow-up of a recommendation given to a named actor.
    pub enum RecommendationStatus {
        Given = "given",
        Acknowledged = "acknowledged",
        InProgress = "in_progress",
        Implemented = "implemented",
        NotFollowed = "not_followed",
    }
}

string_enum! {
    pub enum RecommendationAction {
        Acknowledge = "acknowledge",
        Start = "start",
        Implement = "implement",
        Decline = "decline",
    }
}

impl Lifecycle for RecommendationStatus {
    type Action = RecommendationAction;
    const ACTIONS: &'static [RecommendationAction] = RecommendationAction::ALL;

    fn transition(self, action: RecommendationAction) -> Result<Self, TransitionError> {
        use RecommendationAction as A;
        use RecommendationStatus as S;
        match (self, action) {
            (S::Given, A::Acknowledge) => Ok(S::Acknowledged),
            (S::Given | S::Acknowledged, A::Start) => Ok(S::InProgress),
            (S::Acknowledged | S::InProgress, A::Implement) => Ok(S::Implemented),
            (S::Given | S::Acknowledged | S::InProgress, A::Decline) => Ok(S::NotFollowed),
            (from, action) => Err(TransitionError {
                entity: "recommendation",
                from: from.as_str(),
                action: action.as_str(),
            }),
        }
    }
}

string_enum! {
    pub enum MeetingKind {
        StartUp = "start_up",
        BrokerMeeting = "broker_meeting",
        NetworkMeeting = "network_meeting",
        Workshop = "workshop",
        SteeringGroupMeeting = "steering_group_meeting",
    }
}

/// Who decided a go / no-go, and when.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ProposalDecision {
    pub go: bool,
    pub decided_by: Name,
    pub decided_on: chrono::NaiveDate,
}

/// A proposal for a measure (tiltak).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Proposal {
    pub id: Uuid,
    pub platform_id: Uuid,
    pub group_id: Option<Uuid>,
    pub title: Name,
    pub description: Option<LongText>,
    pub status: ProposalStatus,
    pub need_ids: Vec<Uuid>,
    pub responsible_organisation_id: Option<Uuid>,
    pub decision: Option<ProposalDecision>,
    pub effects: Option<LongText>,
    pub version: i32,
}

impl Proposal {
    /// Applies an action with the data it requires; the lifecycle decides whether it is allowed.
    pub fn apply(
        &mut self,
        action: ProposalAction,
        detail: ProposalActionDetail,
    ) -> Result<(), DomainError> {
        let next = self.status.transition(action)?;
        match (action, detail) {
            (
                ProposalAction::DecideGo | ProposalAction::DecideNoGo,
                ProposalActionDetail::Decision {
                    decided_by,
                    decided_on,
                },
            ) => {
                self.decision = Some(ProposalDecision {
                    go: action == ProposalAction::DecideGo,
                    decided_by,
                    decided_on,
                });
            }
            (ProposalAction::DecideGo | ProposalAction::DecideNoGo, _) => {
                return Err(DomainError::invalid(
                    "decided_by",
                    "a decision records who decided and when",
                ));
            }
            (ProposalAction::AcceptResponsibility, ProposalActionDetail::Organisation(org)) => {
                self.responsible_organisation_id = Some(org);
            }
            (ProposalAction::DeclineResponsibility, ProposalActionDetail::Organisation(_)) => {}
            (ProposalAction::AcceptResponsibility | ProposalAction::DeclineResponsibility, _) => {
                return Err(DomainError::invalid(
                    "organisation_id",
                    "name the organisation that accepts or declines",
                ));
            }
            (ProposalAction::Evaluate, ProposalActionDetail::Effects(effects)) => {
                self.effects = Some(effects)
            }
            (ProposalAction::Evaluate, _) => {
                return Err(DomainError::invalid(
                    "effects",
                    "an evaluation records the effects",
                ));
            }
            _ => {}
        }
        self.status = next;
        Ok(())
    }
}

/// Data some proposal actions require.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ProposalActionDetail {
    None,
    Decision {
        decided_by: Name,
        decided_on: chrono::NaiveDate,
    },
    Organisation(Uuid),
    Effects(LongText),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_full_road_of_a_proposal_is_legal() {
        use ProposalAction as A;
        let road = [
            A::Submit,
            A::Discuss,
            A::Refine,
            A::DecideGo,
            A::AcceptResponsibility,
            A::Start,
            A::Complete,
            A::Evaluate,
        ];
        let mut state = ProposalStatus::Draft;
        for action in road {
            state = state.transition(action).unwrap_or(state);
        }
        assert_eq!(state, ProposalStatus::Evaluated);
    }

    #[test]
    fn a_proposal_cannot_be_decided_before_a_workshop_discussed_it() {
        let err = ProposalStatus::Submitted
            .transition(ProposalAction::DecideGo)
            .err();
        assert_eq!(
            err.map(|e| e.to_string()),
            Some("a proposal in state `submitted` cannot `decide_go`".to_owned())
        );
    }

    #[test]
    fn a_no_go_is_final() {
        for action in ProposalAction::ALL {
            assert!(ProposalStatus::DecidedNoGo.transition(*action).is_err());
        }
    }

    #[test]
    fn a_decision_must_say_who_decided() {
        let mut p = Proposal {
            id: Uuid::nil(),
            platform_id: Uuid::nil(),
            group_id: None,
            title: Name::parse("Lærlingløft").unwrap_or_else(|_| unreachable!()),
            description: None,
            status: ProposalStatus::Refined,
            need_ids: vec![],
            responsible_organisation_id: None,
            decision: None,
            effects: None,
            version: 1,
        };
        assert!(
            p.apply(ProposalAction::DecideGo, ProposalActionDetail::None)
                .is_err()
        );
        assert_eq!(
            p.status,
            ProposalStatus::Refined,
            "a refused action changes nothing"
        );
    }

    #[test]
    fn recommendations_follow_up_in_order() {
        assert!(
            RecommendationStatus::Implemented
                .transition(RecommendationAction::Start)
                .is_err()
        );
        assert_eq!(
            RecommendationStatus::Given.transition(RecommendationAction::Acknowledge),
            Ok(RecommendationStatus::Acknowledged)
        );
    }
}
