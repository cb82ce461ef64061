//! The escalation job: applies the domain's escalation rule (`broker_domain::escalation`) to
//! active needs and moves those that qualify one platform up (local -> cluster -> sub-region).
//!
//! It runs at start-up and then every `BROKER_ESCALATION_INTERVAL_SECS` over every active need,
//! and for a single need as soon as the matcher has written pooling suggestions for it. "Today"
//! is always passed in, so `POST /api/v1/admin/jobs/escalation/run` can evaluate any date and a
//! test never waits for days to pass.
//!
//! An escalation moves the need onto the higher platform and its pending suggestions into that
//! platform's review queue: from then on the higher broker decides them. The local broker no
//! longer sees the need (one queue owns each suggestion, so two brokers never decide the same
//! one); the contact who entered it still follows it, and its events say where it went and why.

use std::collections::{BTreeSet, HashMap};
use std::sync::Arc;
use std::time::Duration;

use broker_domain::escalation::{
    self as rule, Escalation, EscalationLevel, NeedStanding, PlatformStep, PoolingPartner,
};
use broker_domain::platform::PlatformModel;
use broker_store::repo::audit;
use broker_store::repo::escalation::{self, EscalationWrite};
use broker_store::repo::needs::{self, NeedRecord};
use broker_store::repo::reference::{self, PlatformRecord};
use broker_store::{Store, StoreError};
use chrono::{NaiveDate, Utc};
use tokio::sync::mpsc;
use uuid::Uuid;

use crate::dto::escalation::{EscalatedNeed, EscalationReport};
use crate::matcher::Matcher;

/// The actor recorded for escalations the job makes.
pub const SYSTEM_ACTOR: &str = "system";

/// Shared handle to the escalation job.
pub struct Escalator {
    store: Store,
    matcher: Arc<Matcher>,
}

impl std::fmt::Debug for Escalator {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Escalator").finish_non_exhaustive()
    }
}

/// A platform as the rule sees it. Only local platforms escalate; a forum is its own top.
pub fn step(p: &PlatformRecord) -> PlatformStep {
    let parent_id = p
        .parent_id
        .filter(|_| p.model == PlatformModel::LocalPlatform);
    PlatformStep {
        id: p.id,
        name: p.name.clone(),
        level: EscalationLevel::of_platform(p.cluster_id.is_some(), parent_id.is_some()),
        parent_id,
        municipalities: p.municipalities.clone(),
        escalate_after_days: p.settings.escalate_after_days,
    }
}

impl Escalator {
    /// Starts the job: listens to the matcher's pooling news and, with `every`, checks every
    /// active need on that interval (the first check runs at once).
    pub fn start(store: Store, matcher: Arc<Matcher>, every: Option<Duration>) -> Arc<Self> {
        let (tx, rx) = mpsc::unbounded_channel();
        matcher.on_pooling(tx);
        let escalator = Arc::new(Self { store, matcher });
        tokio::spawn(Arc::clone(&escalator).work(rx, every));
        escalator
    }

    async fn work(
        self: Arc<Self>,
        mut pooled: mpsc::UnboundedReceiver<Uuid>,
        every: Option<Duration>,
    ) {
        let mut ticker = every.map(tokio::time::interval);
        loop {
            let only: Option<Uuid> = match ticker.as_mut() {
                Some(t) => tokio::select! {
                    id = pooled.recv() => match id { Some(id) => Some(id), None => return },
                    _ = t.tick() => None,
                },
                None => match pooled.recv().await {
                    Some(id) => Some(id),
                    None => return,
                },
            };
            let today = Utc::now().date_naive();
            let result = match only {
                Some(id) => self.check(Some(&[id]), today).await.map(Some),
                // The periodic pass over every need runs on one instance at a time.
                None => {
                    crate::periodic::as_singleton(
                        &self.store,
                        crate::periodic::ESCALATION_LOCK,
                        self.check(None, today),
                    )
                    .await
                }
            };
            match result {
                Ok(Some(report)) if !report.escalated.is_empty() => tracing::info!(
                    checked = report.checked,
                    escalated = report.escalated.len(),
                    "escalation run"
                ),
                Ok(_) => {}
                Err(e) => tracing::warn!(error = %e, "escalation run failed"),
            }
        }
    }

    /// The platform and the one above it, from the matcher's platform cache.
    pub fn chain_of(&self, platform_id: Uuid) -> Option<(PlatformStep, Option<PlatformStep>)> {
        let current = step(&self.matcher.platform(platform_id)?);
        let parent = current
            .parent_id
            .and_then(|p| self.matcher.platform(p))
            .map(|p| step(&p));
        Some((current, parent))
    }

    /// Applies the rule to every active need as of `today`.
    pub async fn run(&self, today: NaiveDate) -> Result<EscalationReport, StoreError> {
        self.check(None, today).await
    }

    /// Applies the rule to `only` these needs (or every active one) as of `today`.
    async fn check(
        &self,
        only: Option<&[Uuid]>,
        today: NaiveDate,
    ) -> Result<EscalationReport, StoreError> {
        let conn = self.store.conn();
        let loaded = match only {
            Some(ids) => needs::get_many(conn, ids).await?,
            None => needs::active(conn).await?,
        };
        let candidates: Vec<(NeedRecord, PlatformStep, PlatformStep)> = loaded
            .into_iter()
            .filter(|n| n.need.status.is_active())
            .filter_map(|n| {
                let (current, parent) = self.chain_of(n.need.platform_id)?;
                parent.map(|parent| (n, current, parent))
            })
            .collect();
        let ids: Vec<Uuid> = candidates.iter().map(|(n, _, _)| n.need.id).collect();
        let accepted = escalation::with_accepted_match(conn, &ids).await?;
        let partners = escalation::pooling_partners(conn, &ids).await?;
        let history = escalation::history(conn, &ids).await?;
        let partner_ids: Vec<Uuid> = partners
            .values()
            .flatten()
            .copied()
            .collect::<BTreeSet<_>>()
            .into_iter()
            .collect();
        let partner_needs: HashMap<Uuid, NeedRecord> = needs::get_many(conn, &partner_ids)
            .await?
            .into_iter()
            .map(|n| (n.need.id, n))
            .collect();
        let names: HashMap<String, String> = reference::list_municipalities(conn, None, None)
            .await?
            .into_iter()
            .map(|m| (m.code().to_owned(), m.name().to_owned()))
            .collect();
        let mut report = EscalationReport {
            as_of: today,
            checked: candidates.len(),
            escalated: Vec::new(),
        };
        for (need, current, parent) in candidates {
            let id = need.need.id;
            let past = history.get(&id).map(Vec::as_slice).unwrap_or_default();
            let past_reasons: Vec<String> =
                past.iter().filter_map(|p| p.reason_key.clone()).collect();
            let pooling: Vec<PoolingPartner> = partners
                .get(&id)
                .map(Vec::as_slice)
                .unwrap_or_default()
                .iter()
                .filter_map(|p| partner_needs.get(p))
                .map(|p| {
                    let code = p.need.spec.municipality.as_str();
                    PoolingPartner {
                        need_id: p.need.id,
                        municipality: code.to_owned(),
                        place: names.get(code).map_or(code, String::as_str).to_owned(),
                        title: p.need.spec.title.to_string(),
                    }
                })
                .collect();
            let standing = NeedStanding {
                status: need.need.status,
                municipality: need.need.spec.municipality.as_str(),
                has_accepted_match: accepted.contains(&id),
                on_platform_since: past
                    .iter()
                    .rev()
                    .find_map(|p| p.on)
                    .unwrap_or_else(|| need.need.created_at.date_naive()),
                past_reasons: &past_reasons,
            };
            let Some(decision) = rule::decide(&standing, &current, Some(&parent), &pooling, today)
            else {
                continue;
            };
            match self
                .apply(&need, &decision, today, SYSTEM_ACTOR, None, None)
                .await
            {
                Ok((_, done)) => report.escalated.push(done),
                // Changed meanwhile (an edit, a broker's escalation): the next run sees it afresh.
                Err(StoreError::Conflict { .. }) => {}
                Err(e) => return Err(e),
            }
        }
        Ok(report)
    }

    /// Writes one escalation (need, suggestions, event, audit) in one transaction, then lets the
    /// matcher recompute the need with the higher platform's settings.
    pub async fn apply(
        &self,
        need: &NeedRecord,
        decision: &Escalation,
        today: NaiveDate,
        actor: &str,
        actor_role: Option<&'static str>,
        actor_organisation: Option<Uuid>,
    ) -> Result<(NeedRecord, EscalatedNeed), StoreError> {
        let name = |id: Uuid| {
            self.matcher
                .platform(id)
                .map_or_else(|| id.to_string(), |p| p.name)
        };
        let (from, to) = (name(decision.from_platform), name(decision.to_platform));
        let text = decision.reason.describe(&to);
        let detail = serde_json::json!({
            "text": text,
            "reason": decision.reason,
            "reason_key": decision.reason.key(),
            "on": today,
            "from_platform_id": decision.from_platform,
            "from_platform": from,
            "to_platform_id": decision.to_platform,
            "to_platform": to,
            "level": decision.to_level.as_str(),
        });
        let txn = self.store.begin().await?;
        let (after, moved) = escalation::apply(
            &txn,
            &EscalationWrite {
                need_id: need.need.id,
                expected_version: need.need.version,
                to_platform: decision.to_platform,
                to_level: decision.to_level.as_str().to_owned(),
                detail,
                actor: actor.to_owned(),
            },
        )
        .await?;
        audit::record(
            &txn,
            audit::AuditEntry {
                actor: actor.to_owned(),
                actor_role,
                actor_organisation,
                action: "need.escalate".into(),
                entity: "need",
                entity_id: Some(need.need.id),
                before: Some(serde_json::json!({
                    "platform_id": need.need.platform_id,
                    "escalation_level": need.escalation_level,
                    "version": need.need.version,
                })),
                after: Some(serde_json::json!({
                    "platform_id": after.need.platform_id,
                    "escalation_level": after.escalation_level,
                    "version": after.need.version,
                    "reason": text,
                    "suggestions_moved": moved,
                })),
            },
        )
        .await?;
        broker_store::repo::matching_jobs::enqueue_need(&txn, need.need.id).await?;
        txn.commit().await?;
        self.matcher
            .need_changed(need.need.id, Duration::ZERO)
            .await;
        Ok((
            after,
            EscalatedNeed {
                need_id: need.need.id,
                from_platform_id: decision.from_platform,
                to_platform_id: decision.to_platform,
                level: decision.to_level.as_str().to_owned(),
                reason: decision.reason.kind().to_owned(),
                text,
                suggestions_moved: moved,
            },
        ))
    }
}
