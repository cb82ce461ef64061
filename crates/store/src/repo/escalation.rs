//! What the escalation rule reads (accepted matches, pooling partners, earlier escalations) and
//! the write that moves a need up: the need onto the higher platform, its pending suggestions into
//! that platform's review queue, and an `escalated` event on the need.

use std::collections::{HashMap, HashSet};

use broker_domain::matching::{MatchKind, MatchStatus};
use chrono::{NaiveDate, Utc};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder};
use uuid::Uuid;

use crate::StoreError;
use crate::entity::{match_suggestion, need_event};
use crate::repo::needs::{self, NeedRecord};

/// The kind of need event an escalation writes.
pub const EVENT_KIND: &str = "escalated";

/// Needs (of `need_ids`) a broker has accepted any suggestion for. An accepted pooling
/// suggestion answers both its needs: the one it was made for and its partner (the target).
pub async fn with_accepted_match(
    conn: &impl ConnectionTrait,
    need_ids: &[Uuid],
) -> Result<HashSet<Uuid>, StoreError> {
    let mut out = HashSet::new();
    for chunk in need_ids.chunks(500) {
        let wanted: HashSet<Uuid> = chunk.iter().copied().collect();
        let rows = match_suggestion::Entity::find()
            .filter(
                Condition::any()
                    .add(match_suggestion::Column::NeedId.is_in(chunk.iter().copied()))
                    .add(
                        Condition::all()
                            .add(match_suggestion::Column::Kind.eq(MatchKind::Need.as_str()))
                            .add(match_suggestion::Column::TargetId.is_in(chunk.iter().copied())),
                    ),
            )
            .filter(match_suggestion::Column::Status.eq(MatchStatus::Accepted.as_str()))
            .all(conn)
            .await?;
        for m in rows {
            let pooled_partner = (m.kind == MatchKind::Need.as_str()).then_some(m.target_id);
            out.extend(
                std::iter::once(m.need_id)
                    .chain(pooled_partner)
                    .filter(|id| wanted.contains(id)),
            );
        }
    }
    Ok(out)
}

/// For each need, the other needs its pooling suggestions pair it with (pending or accepted;
/// rejected and superseded ones are no evidence).
pub async fn pooling_partners(
    conn: &impl ConnectionTrait,
    need_ids: &[Uuid],
) -> Result<HashMap<Uuid, Vec<Uuid>>, StoreError> {
    let mut out: HashMap<Uuid, Vec<Uuid>> = HashMap::new();
    for chunk in need_ids.chunks(500) {
        let rows = match_suggestion::Entity::find()
            .filter(match_suggestion::Column::NeedId.is_in(chunk.iter().copied()))
            .filter(match_suggestion::Column::Kind.eq(MatchKind::Need.as_str()))
            .filter(match_suggestion::Column::Status.is_in([
                MatchStatus::Suggested.as_str(),
                MatchStatus::Deferred.as_str(),
                MatchStatus::Accepted.as_str(),
            ]))
            .order_by_asc(match_suggestion::Column::Id)
            .all(conn)
            .await?;
        for m in rows {
            out.entry(m.need_id).or_default().push(m.target_id);
        }
    }
    Ok(out)
}

/// One earlier escalation of a need, as its event recorded it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PastEscalation {
    /// The reason's key (absent for manual escalations, which never repeat).
    pub reason_key: Option<String>,
    /// The day it took effect (the job's "today", so a run for a given date is repeatable).
    pub on: Option<NaiveDate>,
}

/// Earlier escalations of each need, oldest first.
pub async fn history(
    conn: &impl ConnectionTrait,
    need_ids: &[Uuid],
) -> Result<HashMap<Uuid, Vec<PastEscalation>>, StoreError> {
    let mut out: HashMap<Uuid, Vec<PastEscalation>> = HashMap::new();
    for chunk in need_ids.chunks(500) {
        let rows = need_event::Entity::find()
            .filter(need_event::Column::NeedId.is_in(chunk.iter().copied()))
            .filter(need_event::Column::Kind.eq(EVENT_KIND))
            .order_by_asc(need_event::Column::At)
            .order_by_asc(need_event::Column::Id)
            .all(conn)
            .await?;
        for e in rows {
            out.entry(e.need_id).or_default().push(PastEscalation {
                reason_key: e.detail["reason_key"].as_str().map(str::to_owned),
                on: e.detail["on"].as_str().and_then(|d| d.parse().ok()),
            });
        }
    }
    Ok(out)
}

/// An escalation to write.
#[derive(Debug, Clone)]
pub struct EscalationWrite {
    pub need_id: Uuid,
    pub expected_version: i32,
    pub to_platform: Uuid,
    /// `cluster` or `subregional`.
    pub to_level: String,
    /// The need event's detail (reason, sentence, platforms, `reason_key`, `on`).
    pub detail: serde_json::Value,
    pub actor: String,
}

/// Moves the need and its pending suggestions up and records the event. Call inside a
/// transaction (with the audit entry). A stale `expected_version` changes nothing.
pub async fn apply(
    conn: &impl ConnectionTrait,
    e: &EscalationWrite,
) -> Result<(NeedRecord, u64), StoreError> {
    let need = needs::escalate(
        conn,
        e.need_id,
        e.expected_version,
        &e.to_level,
        e.to_platform,
    )
    .await?;
    let moved = match_suggestion::Entity::update_many()
        .col_expr(
            match_suggestion::Column::PlatformId,
            Expr::value(e.to_platform),
        )
        .col_expr(
            match_suggestion::Column::Version,
            Expr::col(match_suggestion::Column::Version).add(1i32),
        )
        .col_expr(match_suggestion::Column::UpdatedAt, Expr::value(Utc::now()))
        .filter(match_suggestion::Column::NeedId.eq(e.need_id))
        .filter(match_suggestion::Column::Status.is_in([
            MatchStatus::Suggested.as_str(),
            MatchStatus::Deferred.as_str(),
        ]))
        .exec(conn)
        .await?
        .rows_affected;
    needs::add_event(conn, e.need_id, EVENT_KIND, e.detail.clone(), &e.actor).await?;
    Ok((need, moved))
}
