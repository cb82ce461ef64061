//! Match suggestions as brokers see them: kinds, lifecycle, decisions and outcomes, and gap entries.

use serde::Serialize;
use uuid::Uuid;

use crate::lifecycle::Lifecycle;
use crate::need::{NeedAction, NeedStatus};
use crate::values::LongText;
use crate::{DomainError, TransitionError, string_enum};

string_enum! {
    /// What a need was paired with.
    pub enum MatchKind {
        /// A course offer that teaches what the need asks.
        Offer = "offer",
        /// A municipal contact who can organise something locally.
        Contact = "contact",
        /// A similar need elsewhere: demand pooling.
        Need = "need",
    }
}

string_enum! {
    pub enum MatchStatus {
        Suggested = "suggested",
        Deferred = "deferred",
        Accepted = "accepted",
        Rejected = "rejected",
        /// A recomputation no longer proposes it (only ever from suggested or deferred).
        Superseded = "superseded",
    }
}

string_enum! {
    /// A broker's decision on a suggestion.
    pub enum Decision {
        Accept = "accept",
        Reject = "reject",
        Defer = "defer",
    }
}

string_enum! {
    /// Every action on a suggestion: a broker's decision, or the engine superseding or reviving it.
    pub enum MatchAction {
        Accept = "accept",
        Reject = "reject",
        Defer = "defer",
        Supersede = "supersede",
        Revive = "revive",
    }
}

impl From<Decision> for MatchAction {
    fn from(d: Decision) -> Self {
        match d {
            Decision::Accept => Self::Accept,
            Decision::Reject => Self::Reject,
            Decision::Defer => Self::Defer,
        }
    }
}

impl Lifecycle for MatchStatus {
    type Action = MatchAction;
    const ACTIONS: &'static [MatchAction] = MatchAction::ALL;

    fn transition(self, action: MatchAction) -> Result<Self, TransitionError> {
        use MatchAction as A;
        use MatchStatus as S;
        match (self, action) {
            (S::Suggested | S::Deferred, A::Accept) => Ok(S::Accepted),
            (S::Suggested | S::Deferred, A::Reject) => Ok(S::Rejected),
            (S::Suggested, A::Defer) => Ok(S::Deferred),
            (S::Suggested | S::Deferred, A::Supersede) => Ok(S::Superseded),
            (S::Superseded, A::Revive) => Ok(S::Suggested),
            (from, action) => Err(TransitionError {
                entity: "match",
                from: from.as_str(),
                action: action.as_str(),
            }),
        }
    }
}

impl MatchStatus {
    /// A broker has decided; recomputation must never overwrite this.
    pub fn is_decided(self) -> bool {
        matches!(self, Self::Accepted | Self::Rejected)
    }

    /// Waiting in a review queue.
    pub fn is_pending(self) -> bool {
        matches!(self, Self::Suggested | Self::Deferred)
    }
}

/// What a broker's decision on a suggestion does to the needs it pairs: accepting an offer or a
/// contact answers the need (`matched`); accepting another need (pooling) puts both needs in
/// the pool (`pooled`), where they wait for the course a course request commissions; deferring
/// an open need puts it in review. `None` when the need stays as it is (including when the move
/// is not allowed from its state, e.g. a need already pooled by an earlier acceptance).
pub fn need_action_on_decision(
    decision: Decision,
    kind: MatchKind,
    need: NeedStatus,
) -> Option<NeedAction> {
    let action = match (decision, kind) {
        (Decision::Accept, MatchKind::Need) => NeedAction::Pool,
        (Decision::Accept, MatchKind::Offer | MatchKind::Contact) => NeedAction::Match,
        (Decision::Defer, _) if need == NeedStatus::Open => NeedAction::StartReview,
        _ => return None,
    };
    need.transition(action).is_ok().then_some(action)
}

/// A validated decision with its reason. Rejections must say why (the reason feeds relevance work).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DecisionInput {
    pub decision: Decision,
    pub reason: Option<LongText>,
    pub seen_version: i32,
}

impl DecisionInput {
    pub fn parse(
        decision: &str,
        reason: Option<&str>,
        seen_version: i64,
    ) -> Result<Self, DomainError> {
        let decision = Decision::parse(decision).map_err(|e| e.under("decision"))?;
        let reason = crate::values::optional_long_text(reason).map_err(|e| e.under("reason"))?;
        if decision == Decision::Reject && reason.is_none() {
            return Err(DomainError::invalid("reason", "a rejection needs a reason"));
        }
        let seen_version = i32::try_from(seen_version)
            .ok()
            .filter(|v| *v >= 1)
            .ok_or_else(|| {
                DomainError::invalid("version", "must be the positive version you saw")
            })?;
        Ok(Self {
            decision,
            reason,
            seen_version,
        })
    }
}

/// What came of an accepted match.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Outcome {
    pub enrolled: Option<u32>,
    pub course_commissioned: bool,
    pub note: Option<LongText>,
}

impl Outcome {
    pub fn parse(
        enrolled: Option<i64>,
        course_commissioned: bool,
        note: Option<&str>,
    ) -> Result<Self, DomainError> {
        let enrolled =
            match enrolled {
                None => None,
                Some(n) => Some(u32::try_from(n).ok().filter(|n| *n <= 100_000).ok_or_else(
                    || {
                        DomainError::invalid(
                            "enrolled",
                            format!("must be between 0 and 100000 (got {n})"),
                        )
                    },
                )?),
            };
        let note = crate::values::optional_long_text(note).map_err(|e| e.under("note"))?;
        if enrolled.is_none() && !course_commissioned && note.is_none() {
            return Err(DomainError::invalid(
                "",
                "record at least one of enrolled, course_commissioned or note",
            ));
        }
        Ok(Self {
            enrolled,
            course_commissioned,
            note,
        })
    }
}

/// A stored suggestion: an offer, a contact or another need for a need, with its score, its
/// explanation and where a broker's review of it stands.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct MatchSuggestion {
    pub id: Uuid,
    pub need_id: Uuid,
    pub kind: MatchKind,
    pub target_id: Uuid,
    pub platform_id: Uuid,
    pub score: f64,
    /// Each factor's name, score and weight, as the engine gave them.
    pub factors: serde_json::Value,
    /// What matched (concepts, words, places), from which explanations are rendered.
    pub evidence: serde_json::Value,
    /// The explanation in English, as stored.
    pub explanation: String,
    pub status: MatchStatus,
    pub reason: Option<String>,
    pub decided_by: Option<String>,
    pub decided_at: Option<chrono::DateTime<chrono::Utc>>,
    pub version: i32,
    pub created_at: chrono::DateTime<chrono::Utc>,
    pub updated_at: chrono::DateTime<chrono::Utc>,
}

/// One line of the gap report: demand no offer covers.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GapEntry {
    pub competence_id: Option<Uuid>,
    pub competence_label: String,
    pub area_code: String,
    pub area_name: String,
    pub needs: u32,
    pub headcount: u32,
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn a_rejection_needs_a_reason() {
        assert!(DecisionInput::parse("reject", None, 1).is_err());
        assert!(DecisionInput::parse("reject", Some("too far away"), 1).is_ok());
        assert!(DecisionInput::parse("accept", None, 1).is_ok());
        assert!(DecisionInput::parse("approve", None, 1).is_err());
        assert!(DecisionInput::parse("accept", None, 0).is_err());
    }

    #[test]
    fn decided_matches_cannot_be_superseded() {
        assert!(
            MatchStatus::Accepted
                .transition(MatchAction::Supersede)
                .is_err()
        );
        assert!(
            MatchStatus::Rejected
                .transition(MatchAction::Supersede)
                .is_err()
        );
        assert_eq!(
            MatchStatus::Deferred.transition(MatchAction::Accept),
            Ok(MatchStatus::Accepted)
        );
    }

    #[test]
    fn accepting_a_pooling_suggestion_pools_and_accepting_an_offer_matches() {
        use NeedStatus as S;
        let on = |d, k, s| need_action_on_decision(d, k, s);
        assert_eq!(
            on(Decision::Accept, MatchKind::Need, S::Open),
            Some(NeedAction::Pool)
        );
        assert_eq!(
            on(Decision::Accept, MatchKind::Need, S::InReview),
            Some(NeedAction::Pool)
        );
        assert_eq!(on(Decision::Accept, MatchKind::Need, S::Pooled), None);
        assert_eq!(
            on(Decision::Accept, MatchKind::Offer, S::Open),
            Some(NeedAction::Match)
        );
        assert_eq!(
            on(Decision::Accept, MatchKind::Contact, S::Pooled),
            Some(NeedAction::Match)
        );
        assert_eq!(
            on(Decision::Defer, MatchKind::Offer, S::Open),
            Some(NeedAction::StartReview)
        );
        assert_eq!(on(Decision::Defer, MatchKind::Need, S::Pooled), None);
        assert_eq!(on(Decision::Reject, MatchKind::Offer, S::Open), None);
        assert_eq!(on(Decision::Accept, MatchKind::Offer, S::Matched), None);
    }

    #[test]
    fn an_outcome_must_say_something() {
        assert!(Outcome::parse(None, false, None).is_err());
        assert!(Outcome::parse(Some(-1), false, None).is_err());
        assert!(Outcome::parse(Some(4), false, None).is_ok());
    }

    proptest! {
        #[test]
        fn nothing_moves_a_decided_match(action in proptest::sample::select(MatchAction::ALL)) {
            prop_assert!(MatchStatus::Accepted.transition(action).is_err());
            prop_assert!(MatchStatus::Rejected.transition(action).is_err());
        }
    }
}
