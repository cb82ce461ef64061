//! Match suggestions (need -> offer, contact or need) and their outcomes.
//!
//! Suggestions are recomputed by the matching engine as needs and offers change; a broker's
//! decision is never overwritten by a recomputation.

use std::collections::HashMap;

use broker_domain::lifecycle::Lifecycle;
use broker_domain::matching::{
    DecisionInput, MatchAction, MatchKind, MatchStatus, MatchSuggestion, Outcome,
};
use broker_domain::values::LongText;
use chrono::Utc;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
};
use uuid::Uuid;

use crate::entity::{match_outcome, match_suggestion};
use crate::{Page, StoreError};

/// A recorded outcome of an accepted suggestion.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OutcomeRecord {
    pub id: Uuid,
    pub match_id: Uuid,
    pub outcome: Outcome,
    pub recorded_by: String,
    pub recorded_at: chrono::DateTime<Utc>,
}

/// How an outcome is stored: `kind` names its main fact (a commissioned course outranks
/// enrolments, which outrank a note alone), `count` the people enrolled.
const COURSE_COMMISSIONED: &str = "course_commissioned";
const ENROLLED: &str = "enrolled";
const NOTE: &str = "note";

fn outcome_record(r: match_outcome::Model) -> Result<OutcomeRecord, StoreError> {
    let corrupt = |e| StoreError::corrupt("match outcome", e);
    if ![COURSE_COMMISSIONED, ENROLLED, NOTE].contains(&r.kind.as_str()) {
        return Err(StoreError::corrupt(
            "match outcome",
            format!("unknown kind {:?}", r.kind),
        ));
    }
    Ok(OutcomeRecord {
        id: r.id,
        match_id: r.match_id,
        outcome: Outcome {
            enrolled: r
                .count
                .map(u32::try_from)
                .transpose()
                .map_err(|e| corrupt(e.to_string()))?,
            course_commissioned: r.kind == COURSE_COMMISSIONED,
            note: r
                .note
                .as_deref()
                .map(LongText::parse)
                .transpose()
                .map_err(|e| corrupt(e.to_string()))?,
        },
        recorded_by: r.recorded_by,
        recorded_at: r.recorded_at,
    })
}

fn match_record(m: match_suggestion::Model) -> Result<MatchSuggestion, StoreError> {
    Ok(MatchSuggestion {
        kind: MatchKind::parse(&m.kind).map_err(|e| StoreError::corrupt("match kind", e))?,
        status: MatchStatus::parse(&m.status)
            .map_err(|e| StoreError::corrupt("match status", e))?,
        id: m.id,
        need_id: m.need_id,
        target_id: m.target_id,
        platform_id: m.platform_id,
        score: m.score,
        factors: m.factors,
        evidence: m.evidence,
        explanation: m.explanation,
        reason: m.reason,
        decided_by: m.decided_by,
        decided_at: m.decided_at,
        version: m.version,
        created_at: m.created_at,
        updated_at: m.updated_at,
    })
}

/// One suggestion as computed by the engine.
#[derive(Debug, Clone)]
pub struct ComputedSuggestion {
    pub kind: MatchKind,
    pub target_id: Uuid,
    pub score: f64,
    pub factors: serde_json::Value,
    pub evidence: serde_json::Value,
    pub explanation: String,
}

/// What a recomputation changed.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct SyncReport {
    pub created: usize,
    pub updated: usize,
    pub superseded: usize,
}

/// Makes the stored suggestions of `kind` for a need equal to `computed`: new ones are inserted,
/// pending ones updated (their version moves only when the content changed), pending ones no
/// longer computed are superseded, superseded ones computed again are revived. Accepted and
/// rejected suggestions are left exactly as the broker left them. A new offer suggestion tells
/// the offer's provider (`match.suggest` in its feed and webhooks). Call inside a transaction.
pub async fn sync_for_need(
    conn: &impl ConnectionTrait,
    need_id: Uuid,
    platform_id: Uuid,
    kind: MatchKind,
    computed: &[ComputedSuggestion],
) -> Result<SyncReport, StoreError> {
    sync_many(
        conn,
        &[SuggestionSet {
            need_id,
            platform_id,
            kind,
            computed,
        }],
    )
    .await
}

/// The suggestions of one kind the engine computed for one need.
#[derive(Debug, Clone, Copy)]
pub struct SuggestionSet<'a> {
    pub need_id: Uuid,
    pub platform_id: Uuid,
    pub kind: MatchKind,
    pub computed: &'a [ComputedSuggestion],
}

/// [`sync_for_need`] for many needs and kinds at once, in a constant number of statements
/// (one read, multi-row inserts, one supersede, the provider events together) plus one update
/// per suggestion whose content changed: a new need and the needs it pools with are written in
/// one go, where a statement per row made recomputation the bottleneck of need creation.
pub async fn sync_many(
    conn: &impl ConnectionTrait,
    sets: &[SuggestionSet<'_>],
) -> Result<SyncReport, StoreError> {
    let now = Utc::now();
    let mut need_ids: Vec<Uuid> = sets.iter().map(|s| s.need_id).collect();
    need_ids.sort_unstable();
    need_ids.dedup();
    let mut existing: HashMap<(Uuid, MatchKind, Uuid), match_suggestion::Model> = HashMap::new();
    for chunk in need_ids.chunks(500) {
        for row in match_suggestion::Entity::find()
            .filter(match_suggestion::Column::NeedId.is_in(chunk.iter().copied()))
            .all(conn)
            .await?
        {
            let Ok(kind) = MatchKind::parse(&row.kind) else {
                continue;
            };
            existing.insert((row.need_id, kind, row.target_id), row);
        }
    }
    let synced: std::collections::HashSet<(Uuid, MatchKind)> =
        sets.iter().map(|s| (s.need_id, s.kind)).collect();
    let mut report = SyncReport::default();
    let mut seen = std::collections::HashSet::new();
    let mut inserts = Vec::new();
    let mut suggested_offers = Vec::new();
    for set in sets {
        for s in set.computed.iter().filter(|s| s.kind == set.kind) {
            let key = (set.need_id, set.kind, s.target_id);
            if !seen.insert(key) {
                continue;
            }
            let Some(row) = existing.get(&key) else {
                let id = Uuid::now_v7();
                inserts.push(match_suggestion::ActiveModel {
                    id: Set(id),
                    need_id: Set(set.need_id),
                    kind: Set(set.kind.as_str().to_owned()),
                    target_id: Set(s.target_id),
                    platform_id: Set(set.platform_id),
                    score: Set(s.score),
                    factors: Set(s.factors.clone()),
                    evidence: Set(s.evidence.clone()),
                    explanation: Set(s.explanation.clone()),
                    status: Set(MatchStatus::Suggested.as_str().to_owned()),
                    reason: Set(None),
                    decided_by: Set(None),
                    decided_at: Set(None),
                    version: Set(1),
                    created_at: Set(now),
                    updated_at: Set(now),
                });
                if set.kind == MatchKind::Offer {
                    suggested_offers.push(super::notify::SuggestedOffer {
                        match_id: id,
                        need_id: set.need_id,
                        offer_id: s.target_id,
                    });
                }
                report.created += 1;
                continue;
            };
            let status =
                MatchStatus::parse(&row.status).map_err(|e| StoreError::corrupt("match", e))?;
            if status.is_decided() {
                continue;
            }
            let revived = status == MatchStatus::Superseded;
            let changed = (row.score - s.score).abs() > 1e-9
                || row.explanation != s.explanation
                || row.platform_id != set.platform_id;
            if !changed && !revived {
                continue;
            }
            let new_status = if revived {
                status.transition(MatchAction::Revive)?
            } else {
                status
            };
            match_suggestion::Entity::update_many()
                .col_expr(match_suggestion::Column::Score, Expr::value(s.score))
                .col_expr(
                    match_suggestion::Column::Factors,
                    Expr::value(s.factors.clone()),
                )
                .col_expr(
                    match_suggestion::Column::Evidence,
                    Expr::value(s.evidence.clone()),
                )
                .col_expr(
                    match_suggestion::Column::Explanation,
                    Expr::value(s.explanation.clone()),
                )
                .col_expr(
                    match_suggestion::Column::PlatformId,
                    Expr::value(set.platform_id),
                )
                .col_expr(
                    match_suggestion::Column::Status,
                    Expr::value(new_status.as_str()),
                )
                .col_expr(
                    match_suggestion::Column::Version,
                    Expr::value(row.version + 1),
                )
                .col_expr(match_suggestion::Column::UpdatedAt, Expr::value(now))
                .filter(match_suggestion::Column::Id.eq(row.id))
                .filter(match_suggestion::Column::Version.eq(row.version))
                .exec(conn)
                .await?;
            report.updated += 1;
        }
    }
    // Pending suggestions of the synced needs and kinds that were not computed again.
    let mut stale = Vec::new();
    for (key, row) in &existing {
        if !synced.contains(&(key.0, key.1)) || seen.contains(key) {
            continue;
        }
        let status =
            MatchStatus::parse(&row.status).map_err(|e| StoreError::corrupt("match", e))?;
        if status.is_pending() {
            // Checked here so a stored status the lifecycle forbids is an error, as one by one.
            status.transition(MatchAction::Supersede)?;
            stale.push(row.id);
        }
    }
    for chunk in stale.chunks(500) {
        // Guarded by status, not version: a broker deciding meanwhile keeps the decision.
        let res = match_suggestion::Entity::update_many()
            .col_expr(
                match_suggestion::Column::Status,
                Expr::value(MatchStatus::Superseded.as_str()),
            )
            .col_expr(
                match_suggestion::Column::Version,
                Expr::col(match_suggestion::Column::Version).add(1i32),
            )
            .col_expr(match_suggestion::Column::UpdatedAt, Expr::value(now))
            .filter(match_suggestion::Column::Id.is_in(chunk.iter().copied()))
            .filter(match_suggestion::Column::Status.is_in([
                MatchStatus::Suggested.as_str(),
                MatchStatus::Deferred.as_str(),
            ]))
            .exec(conn)
            .await?;
        report.superseded += usize::try_from(res.rows_affected).unwrap_or(usize::MAX);
    }
    // 16 columns a row: 100 rows stay far below every engine's bound on bind parameters.
    for chunk in inserts.chunks(100) {
        match_suggestion::Entity::insert_many(chunk.to_vec())
            .exec(conn)
            .await?;
    }
    super::notify::offers_suggested(conn, &suggested_offers).await?;
    Ok(report)
}

/// Supersedes every pending suggestion pointing at `target_id` (an archived offer, a withdrawn
/// need) and every pending suggestion of need `need_id` when given.
pub async fn supersede_pending(
    conn: &impl ConnectionTrait,
    target_id: Option<Uuid>,
    need_id: Option<Uuid>,
) -> Result<u64, StoreError> {
    let mut cond = Condition::any();
    if let Some(t) = target_id {
        cond = cond.add(match_suggestion::Column::TargetId.eq(t));
    }
    if let Some(n) = need_id {
        cond = cond.add(match_suggestion::Column::NeedId.eq(n));
    }
    if target_id.is_none() && need_id.is_none() {
        return Ok(0);
    }
    let res = match_suggestion::Entity::update_many()
        .col_expr(
            match_suggestion::Column::Status,
            Expr::value(MatchStatus::Superseded.as_str()),
        )
        .col_expr(
            match_suggestion::Column::Version,
            Expr::col(match_suggestion::Column::Version).add(1i32),
        )
        .col_expr(match_suggestion::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(cond)
        .filter(match_suggestion::Column::Status.is_in([
            MatchStatus::Suggested.as_str(),
            MatchStatus::Deferred.as_str(),
        ]))
        .exec(conn)
        .await?;
    Ok(res.rows_affected)
}

/// How to order the review queue.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub enum MatchSort {
    #[default]
    ScoreDesc,
    Newest,
    Oldest,
}

/// Filters for the review queue; `scope_platforms` restricts to a broker's platforms.
#[derive(Debug, Clone, Default)]
pub struct MatchFilter {
    pub scope_platforms: Option<Vec<Uuid>>,
    pub platform: Option<Uuid>,
    pub statuses: Vec<String>,
    pub kinds: Vec<String>,
    pub min_score: Option<f64>,
    pub need_id: Option<Uuid>,
    pub target_id: Option<Uuid>,
    pub need_ids: Option<Vec<Uuid>>,
}

pub async fn list(
    conn: &impl ConnectionTrait,
    f: &MatchFilter,
    sort: MatchSort,
    limit: u64,
    offset: u64,
) -> Result<Page<MatchSuggestion>, StoreError> {
    let mut cond = Condition::all();
    if let Some(p) = &f.scope_platforms {
        cond = cond.add(match_suggestion::Column::PlatformId.is_in(p.clone()));
    }
    if let Some(p) = f.platform {
        cond = cond.add(match_suggestion::Column::PlatformId.eq(p));
    }
    if !f.statuses.is_empty() {
        cond = cond.add(match_suggestion::Column::Status.is_in(f.statuses.clone()));
    }
    if !f.kinds.is_empty() {
        cond = cond.add(match_suggestion::Column::Kind.is_in(f.kinds.clone()));
    }
    if let Some(s) = f.min_score {
        cond = cond.add(match_suggestion::Column::Score.gte(s));
    }
    if let Some(n) = f.need_id {
        cond = cond.add(match_suggestion::Column::NeedId.eq(n));
    }
    if let Some(t) = f.target_id {
        cond = cond.add(match_suggestion::Column::TargetId.eq(t));
    }
    if let Some(ids) = &f.need_ids {
        cond = cond.add(match_suggestion::Column::NeedId.is_in(ids.clone()));
    }
    let mut select = match_suggestion::Entity::find().filter(cond);
    select = match sort {
        MatchSort::ScoreDesc => select.order_by_desc(match_suggestion::Column::Score),
        MatchSort::Newest => select.order_by_desc(match_suggestion::Column::CreatedAt),
        MatchSort::Oldest => select.order_by_asc(match_suggestion::Column::CreatedAt),
    };
    let page = super::paginate(
        conn,
        select.order_by_asc(match_suggestion::Column::Id),
        limit,
        offset,
    )
    .await?;
    Ok(Page {
        items: page
            .items
            .into_iter()
            .map(match_record)
            .collect::<Result<_, _>>()?,
        total: page.total,
    })
}

pub async fn get(conn: &impl ConnectionTrait, id: Uuid) -> Result<MatchSuggestion, StoreError> {
    match_suggestion::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or(StoreError::not_found("match"))
        .and_then(match_record)
}

/// Records a broker's decision when `input.seen_version` is still current. Returns the row
/// before and after. Call inside a transaction together with the need's transition.
pub async fn decide(
    conn: &impl ConnectionTrait,
    id: Uuid,
    input: &DecisionInput,
    actor: &str,
) -> Result<(MatchSuggestion, MatchSuggestion), StoreError> {
    let before = get(conn, id).await?;
    if before.version != input.seen_version {
        return Err(StoreError::Conflict {
            entity: "match",
            reason: format!(
                "you saw version {} but it is now version {}; reload it and decide again",
                input.seen_version, before.version
            ),
        });
    }
    let after = before
        .status
        .transition(MatchAction::from(input.decision))?;
    let now = Utc::now();
    let res = match_suggestion::Entity::update_many()
        .col_expr(
            match_suggestion::Column::Status,
            Expr::value(after.as_str()),
        )
        .col_expr(
            match_suggestion::Column::Reason,
            Expr::value(input.reason.as_ref().map(|r| r.as_str().to_owned())),
        )
        .col_expr(
            match_suggestion::Column::DecidedBy,
            Expr::value(actor.to_owned()),
        )
        .col_expr(match_suggestion::Column::DecidedAt, Expr::value(now))
        .col_expr(
            match_suggestion::Column::Version,
            Expr::value(before.version + 1),
        )
        .col_expr(match_suggestion::Column::UpdatedAt, Expr::value(now))
        .filter(match_suggestion::Column::Id.eq(id))
        .filter(match_suggestion::Column::Version.eq(before.version))
        .exec(conn)
        .await?;
    if res.rows_affected == 0 {
        return Err(StoreError::Conflict {
            entity: "match",
            reason: "it was decided by someone else at the same moment; reload it".to_owned(),
        });
    }
    let after_row = get(conn, id).await?;
    Ok((before, after_row))
}

/// Records what came of an accepted suggestion (people enrolled, a course commissioned).
pub async fn add_outcome(
    conn: &impl ConnectionTrait,
    match_id: Uuid,
    outcome: &Outcome,
    actor: &str,
) -> Result<OutcomeRecord, StoreError> {
    let kind = if outcome.course_commissioned {
        COURSE_COMMISSIONED
    } else if outcome.enrolled.is_some() {
        ENROLLED
    } else {
        NOTE
    };
    let record = OutcomeRecord {
        id: Uuid::now_v7(),
        match_id,
        outcome: outcome.clone(),
        recorded_by: actor.to_owned(),
        recorded_at: Utc::now(),
    };
    // The domain bounds `enrolled` at 100,000, well inside the column.
    let count = outcome
        .enrolled
        .map(|n| i32::try_from(n).unwrap_or(i32::MAX));
    match_outcome::Entity::insert(match_outcome::ActiveModel {
        id: Set(record.id),
        match_id: Set(match_id),
        kind: Set(kind.to_owned()),
        count: Set(count),
        note: Set(outcome.note.as_ref().map(|n| n.as_str().to_owned())),
        recorded_by: Set(record.recorded_by.clone()),
        recorded_at: Set(record.recorded_at),
    })
    .exec(conn)
    .await?;
    Ok(record)
}

pub async fn outcomes(
    conn: &impl ConnectionTrait,
    match_id: Uuid,
) -> Result<Vec<OutcomeRecord>, StoreError> {
    match_outcome::Entity::find()
        .filter(match_outcome::Column::MatchId.eq(match_id))
        .order_by_asc(match_outcome::Column::RecordedAt)
        .order_by_asc(match_outcome::Column::Id)
        .all(conn)
        .await?
        .into_iter()
        .map(outcome_record)
        .collect()
}

/// The needs any suggestion of these course offers belongs to (whatever its status): what a
/// change to the offers may rescore.
pub async fn needs_suggested_offers(
    conn: &impl ConnectionTrait,
    offer_ids: &[Uuid],
) -> Result<Vec<Uuid>, StoreError> {
    use sea_orm::QuerySelect;
    let mut found = Vec::new();
    // Chunked so the IN list stays within every engine's parameter limit.
    for chunk in offer_ids.chunks(500) {
        let ids: Vec<Uuid> = match_suggestion::Entity::find()
            .select_only()
            .column(match_suggestion::Column::NeedId)
            .distinct()
            .filter(match_suggestion::Column::TargetId.is_in(chunk.to_vec()))
            .filter(match_suggestion::Column::Kind.eq(MatchKind::Offer.as_str()))
            .into_tuple()
            .all(conn)
            .await?;
        found.extend(ids);
    }
    Ok(found)
}

/// The needs (of `need_ids`) that have at least one course offer suggested, deferred or accepted:
/// the gap report counts the rest as unmatched.
pub async fn needs_with_offer_in_sight(
    conn: &impl ConnectionTrait,
    need_ids: &[Uuid],
) -> Result<std::collections::HashSet<Uuid>, StoreError> {
    use sea_orm::QuerySelect;
    let mut found = std::collections::HashSet::new();
    // Chunked so the IN list stays within every engine's parameter limit.
    for chunk in need_ids.chunks(500) {
        let ids: Vec<Uuid> = match_suggestion::Entity::find()
            .select_only()
            .column(match_suggestion::Column::NeedId)
            .distinct()
            .filter(match_suggestion::Column::NeedId.is_in(chunk.to_vec()))
            .filter(match_suggestion::Column::Kind.eq(MatchKind::Offer.as_str()))
            .filter(match_suggestion::Column::Status.is_in([
                MatchStatus::Suggested.as_str(),
                MatchStatus::Deferred.as_str(),
                MatchStatus::Accepted.as_str(),
            ]))
            .into_tuple()
            .all(conn)
            .await?;
        found.extend(ids);
    }
    Ok(found)
}
