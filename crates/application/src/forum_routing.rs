//! Routing needs to the competence group whose focus area or industry fits (the rule is
//! [`broker_domain::forum::route_need`]): this module gathers the facts the rule reads and
//! records its result on the need as a `routed_to_group` event.

use std::collections::HashMap;

use broker_domain::forum::{GroupRoute, RoutingFacts, route_need, routed_detail};
use broker_domain::need::{Importance, Need};
use broker_domain::platform::{Group, GroupKind, PlatformModel};
use broker_store::repo::forum;
use broker_store::repo::needs::{self, NeedRecord};
use broker_store::repo::reference::PlatformRecord;
use broker_store::repo::taxonomy::{self, ConceptRecord};
use chrono::NaiveDate;
use sea_orm::ConnectionTrait;
use uuid::Uuid;

use crate::AppError;

/// The need event kind that records the competence group a need went to.
pub const ROUTED_TO_GROUP: &str = broker_store::repo::notify::ROUTED_TO_GROUP;

/// What the routing rule reads from a need, with concepts looked up by `concept`.
pub fn facts(need: &Need, concept: impl Fn(Uuid) -> Option<ConceptRecord>) -> RoutingFacts {
    let s = &need.spec;
    let occupation_field = s.occupation_id.and_then(&concept).and_then(|c| c.field);
    let mut must_have_fields = Vec::new();
    let mut keys = Vec::new();
    for c in &s.competences {
        if let Some(record) = c.concept_id.and_then(&concept) {
            if c.importance == Importance::MustHave
                && let Some(field) = record.field.clone()
            {
                must_have_fields.push(field);
            }
            keys.extend(record.key);
        }
    }
    RoutingFacts {
        purpose: Some(s.purpose),
        industry: broker_domain::forum::dominant_industry(
            occupation_field.as_deref(),
            must_have_fields.iter().map(String::as_str),
        ),
        competence_keys: keys,
        competence_labels: s
            .competences
            .iter()
            .map(|c| c.label.as_str().to_owned())
            .collect(),
    }
}

/// The concept ids a need refers to (occupation and competences).
pub fn concept_ids(need: &Need) -> Vec<Uuid> {
    need.spec
        .occupation_id
        .into_iter()
        .chain(need.spec.competences.iter().filter_map(|c| c.concept_id))
        .collect()
}

/// Routes `need` among `groups` on `today`.
pub fn route(
    need: &Need,
    groups: &[Group],
    concept: impl Fn(Uuid) -> Option<ConceptRecord>,
    today: NaiveDate,
) -> Option<GroupRoute> {
    route_need(&facts(need, concept), groups, today)
}

/// The competence groups of forum `platform_id` working on `today`: where its needs are routed.
pub async fn competence_groups(
    conn: &impl ConnectionTrait,
    platform_id: Uuid,
    today: NaiveDate,
) -> Result<Vec<Group>, AppError> {
    Ok(forum::list_groups(
        conn,
        Some(&[platform_id]),
        Some(GroupKind::CompetenceGroup),
        Some(today),
    )
    .await?)
}

/// Records on a need entered through a forum platform which competence group it went to, when
/// that differs from what its events already say. Runs in the caller's transaction.
pub async fn record_group_route(
    conn: &impl ConnectionTrait,
    record: &NeedRecord,
    platform: &PlatformRecord,
    actor: &str,
    today: NaiveDate,
) -> Result<(), AppError> {
    if platform.model != PlatformModel::Forum {
        return Ok(());
    }
    let need = &record.need;
    let concepts: HashMap<Uuid, ConceptRecord> = taxonomy::by_ids(conn, &concept_ids(need))
        .await?
        .into_iter()
        .map(|c| (c.id, c))
        .collect();
    let groups = competence_groups(conn, platform.id, today).await?;
    let routed = route(need, &groups, |id| concepts.get(&id).cloned(), today);
    let last = needs::events(conn, need.id)
        .await?
        .into_iter()
        .rev()
        .find(|e| e.kind == ROUTED_TO_GROUP)
        .and_then(|e| {
            e.detail
                .get("group_id")
                .and_then(|g| g.as_str())
                .and_then(|g| g.parse::<Uuid>().ok())
        });
    if last == routed.as_ref().map(|r| r.group_id) {
        return Ok(());
    }
    let detail = routed_detail(routed.as_ref().map(|r| {
        let name = groups
            .iter()
            .find(|g| g.id == r.group_id)
            .map_or("", |g| g.name.as_str());
        (r, name)
    }));
    needs::add_event(conn, need.id, ROUTED_TO_GROUP, detail, actor).await?;
    Ok(())
}
