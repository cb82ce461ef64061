//! Deciding a suggested match: who may decide, what a decision does to the needs it pairs, and
//! the one place where an accepted answer moves a need to `matched`.

use std::future::Future;

use broker_domain::matching::{
    Decision, DecisionInput, MatchKind, MatchSuggestion, need_action_on_decision,
};
use broker_domain::need::NeedAction;
use broker_store::Store;
use broker_store::repo::matches;
use broker_store::repo::needs::{self, NeedRecord};
use sea_orm::{ConnectionTrait, DatabaseTransaction};
use uuid::Uuid;

use crate::access::MatchAccess;
use crate::{Actor, AppError};

/// What deciding asks of the adapter inside the decision's transaction, so it commits with the
/// decision or not at all: its audit entry and the rematch of the needs the decision touched.
pub trait DecisionLog {
    fn record(
        &self,
        txn: &DatabaseTransaction,
        decided: &DecidedMatch,
    ) -> impl Future<Output = Result<(), AppError>>;
}

/// A suggestion before and after a broker's decision, and the needs to rematch because of it.
#[derive(Debug, Clone)]
pub struct DecidedMatch {
    pub decision: Decision,
    pub before: MatchSuggestion,
    pub after: MatchSuggestion,
    /// The needs the decision moved, then the suggestion's own need if it did not move.
    pub needs_to_rematch: Vec<Uuid>,
}

/// Accepts, rejects or defers suggestion `id` in one transaction. The actor must review the
/// suggestion (checked before the decision is read, so a stranger learns nothing of its rules);
/// `version` is the one the actor saw. Accepting an offer or a contact moves the need to
/// `matched`, accepting a pooling suggestion moves both needs to `pooled`, deferring an open
/// need puts it `in_review`; each move is written to the need's history.
pub async fn decide(
    store: &Store,
    log: &impl DecisionLog,
    actor: &Actor,
    id: Uuid,
    decision: &str,
    reason: Option<&str>,
    version: i64,
) -> Result<DecidedMatch, AppError> {
    let row = matches::get(store.conn(), id).await?;
    MatchAccess::must_review(actor, &row)?;
    let input = DecisionInput::parse(decision, reason, version)?;
    let txn = store.begin().await?;
    let (before, after) = matches::decide(&txn, id, &input, &actor.subject).await?;
    let kind = after.kind;
    // A pooling suggestion pairs two needs: both go into the pool.
    let mut paired = vec![after.need_id];
    if kind == MatchKind::Need {
        paired.push(after.target_id);
    }
    let mut needs_to_rematch = Vec::new();
    for need_id in paired {
        let need = needs::get(&txn, need_id).await?;
        if let Some(action) = move_need(&txn, &need, input.decision, kind).await? {
            let detail = serde_json::json!({
                "match_id": after.id,
                "kind": after.kind.as_str(),
                "target_id": after.target_id,
            });
            needs::add_event(&txn, need_id, action.as_str(), detail, &actor.subject).await?;
            needs_to_rematch.push(need_id);
        }
    }
    if !needs_to_rematch.contains(&after.need_id) {
        needs_to_rematch.push(after.need_id);
    }
    let decided = DecidedMatch {
        decision: input.decision,
        before,
        after,
        needs_to_rematch,
    };
    log.record(&txn, &decided).await?;
    txn.commit().await.map_err(broker_store::StoreError::from)?;
    Ok(decided)
}

/// "Accept means matched" for an answer accepted other than through a suggestion, e.g. the
/// course a course request commissions: moves `need` (as read inside `txn`) to `matched` under
/// the same rule as accepting an offer suggestion, when its status allows (one already matched,
/// fulfilled or withdrawn keeps its status). Answers whether the need moved; the caller writes
/// the history entry.
pub async fn match_answered_need(
    txn: &impl ConnectionTrait,
    need: &NeedRecord,
) -> Result<bool, AppError> {
    let moved = move_need(txn, need, Decision::Accept, MatchKind::Offer).await?;
    Ok(moved.is_some())
}

/// Moves `need` as `decision` on a suggestion of `kind` calls for, when its status allows;
/// answers the action it moved by.
async fn move_need(
    txn: &impl ConnectionTrait,
    need: &NeedRecord,
    decision: Decision,
    kind: MatchKind,
) -> Result<Option<NeedAction>, AppError> {
    let action = need_action_on_decision(decision, kind, need.need.status);
    if let Some(action) = action {
        needs::transition(txn, need.need.id, None, action).await?;
    }
    Ok(action)
}
