//! The event log behind `/me/feed` and webhooks. `audit::record` appends every write here in the
//! same transaction, tagged with the topics it concerns, and queues a delivery for each webhook
//! endpoint that follows one of those topics (the transactional outbox: the write, its event
//! and its pending deliveries commit together or not at all).

use std::collections::BTreeSet;

use broker_domain::DomainError;
use broker_domain::notify::{Topic, event_title, is_draft, membership_title, topics_of};
use chrono::{DateTime, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, Query};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, DatabaseBackend, DbErr, EntityTrait,
    QueryFilter, QueryOrder, QuerySelect,
};
use uuid::Uuid;

use super::audit::AuditEntry;
use crate::StoreError;
use crate::entity::{
    feed_event, feed_event_topic, group, need, need_competence, need_event, offer, subscription,
};

/// An event as the feed shows it: who did what to which object, when.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct FeedEvent {
    pub id: Uuid,
    pub at: DateTime<Utc>,
    pub actor: String,
    /// The actor's role when a person acted (`None` for the service itself).
    pub actor_role: Option<String>,
    pub actor_organisation_id: Option<Uuid>,
    pub action: String,
    pub entity: String,
    pub entity_id: Option<Uuid>,
    /// Never a draft's title.
    pub title: Option<String>,
}

impl From<feed_event::Model> for FeedEvent {
    fn from(e: feed_event::Model) -> Self {
        Self {
            id: e.id,
            at: e.at,
            actor: e.actor,
            actor_role: e.actor_role,
            actor_organisation_id: e.actor_organisation_id,
            action: e.action,
            entity: e.entity,
            entity_id: e.entity_id,
            title: e.title,
        }
    }
}
/// A person following a topic.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Subscription {
    pub id: Uuid,
    pub subscriber: String,
    pub topic: Topic,
    pub created_at: DateTime<Utc>,
}

fn subscription_record(s: subscription::Model) -> Result<Subscription, StoreError> {
    Ok(Subscription {
        topic: Topic::from_key(&s.topic).ok_or_else(|| {
            StoreError::corrupt("subscription topic", format!("unknown topic {:?}", s.topic))
        })?,
        id: s.id,
        subscriber: s.subscriber,
        created_at: s.created_at,
    })
}

/// Appends the events of many audited writes (a batch) in multi-row inserts.
pub(crate) async fn append_many(
    conn: &impl ConnectionTrait,
    entries: &[AuditEntry],
    at: DateTime<Utc>,
) -> Result<(), StoreError> {
    let mut events = Vec::with_capacity(entries.len());
    for e in entries {
        let (event, topics) = event_of(conn, e, at).await?;
        events.push((event, topics));
    }
    insert_events(conn, events).await
}

/// The event for one audited write and the topics it concerns.
async fn event_of(
    conn: &impl ConnectionTrait,
    e: &AuditEntry,
    at: DateTime<Utc>,
) -> Result<(feed_event::Model, BTreeSet<Topic>), StoreError> {
    let mut topics = BTreeSet::new();
    let snapshots: Vec<&serde_json::Value> = [&e.before, &e.after].into_iter().flatten().collect();
    for snapshot in &snapshots {
        topics.extend(topics_of(snapshot));
    }
    let related = related(conn, e.entity, &snapshots).await?;
    topics.extend(related.topics);
    if e.entity == "need"
        && let Some(need_id) = e.entity_id
    {
        topics.extend(routed_focus_area(conn, need_id).await?);
    }
    // A draft's title is never shown, not even one borrowed from the object it points at.
    let title = if snapshots.iter().any(|s| is_draft(s)) {
        None
    } else {
        event_title(e.before.as_ref(), e.after.as_ref()).or(related.title)
    };
    let event = feed_event::Model {
        id: Uuid::now_v7(),
        at,
        actor: e.actor.clone(),
        action: e.action.clone(),
        entity: e.entity.to_owned(),
        entity_id: e.entity_id,
        title,
        actor_role: e.actor_role.map(str::to_owned),
        actor_organisation_id: e.actor_organisation,
        commit_seq: 0,
    };
    Ok((event, topics))
}

/// Stores one event with its topics and queues its webhook deliveries.
async fn insert_event(
    conn: &impl ConnectionTrait,
    event: feed_event::Model,
    topics: &BTreeSet<Topic>,
) -> Result<(), StoreError> {
    insert_events(conn, vec![(event, topics.clone())]).await
}

/// Stores events with their topics and queues their webhook deliveries, in multi-row inserts.
/// An event no topic names is not stored: nobody can follow it (the audit trail still has the
/// write).
async fn insert_events(
    conn: &impl ConnectionTrait,
    events: Vec<(feed_event::Model, BTreeSet<Topic>)>,
) -> Result<(), StoreError> {
    let events: Vec<(feed_event::Model, Vec<String>)> = events
        .into_iter()
        .filter(|(_, topics)| !topics.is_empty())
        .map(|(event, topics)| (event, topics.iter().map(Topic::key).collect()))
        .collect();
    if events.is_empty() {
        return Ok(());
    }
    let commit_seq = commit_seq(conn).await?;
    for chunk in events.chunks(500) {
        let mut insert = Query::insert();
        insert.into_table(feed_event::Entity).columns([
            feed_event::Column::Id,
            feed_event::Column::At,
            feed_event::Column::Actor,
            feed_event::Column::Action,
            feed_event::Column::Entity,
            feed_event::Column::EntityId,
            feed_event::Column::Title,
            feed_event::Column::ActorRole,
            feed_event::Column::ActorOrganisationId,
            feed_event::Column::CommitSeq,
        ]);
        for (event, _) in chunk {
            insert
                .values([
                    Expr::val(event.id),
                    Expr::val(event.at),
                    Expr::val(event.actor.clone()),
                    Expr::val(event.action.clone()),
                    Expr::val(event.entity.clone()),
                    Expr::val(event.entity_id),
                    Expr::val(event.title.clone()),
                    Expr::val(event.actor_role.clone()),
                    Expr::val(event.actor_organisation_id),
                    commit_seq.clone(),
                ])
                .map_err(|e| StoreError::Db(DbErr::Custom(e.to_string())))?;
        }
        conn.execute(&insert).await?;
        let topic_rows: Vec<feed_event_topic::ActiveModel> = chunk
            .iter()
            .flat_map(|(event, keys)| {
                keys.iter().map(|k| feed_event_topic::ActiveModel {
                    event_id: Set(event.id),
                    topic: Set(k.clone()),
                })
            })
            .collect();
        for rows in topic_rows.chunks(1000) {
            feed_event_topic::Entity::insert_many(rows.to_vec())
                .exec(conn)
                .await?;
        }
    }
    super::webhooks::enqueue_many(conn, &events).await
}

/// The `commit_seq` of events inserted now, as an expression for the insert itself.
///
/// PostgreSQL: the inserting transaction's id. Evaluated by the insert, so it is the id of the
/// transaction that commits the row even when the caller is not in an explicit transaction. The
/// feed shows only ids below the oldest transaction still running ([`crate::changes::visible_horizon`]), so an
/// event never appears behind one already shown.
///
/// SQLite: one more than the largest so far, read in the same write transaction. Writers take
/// turns (one writer connection with `BEGIN IMMEDIATE`, and the file lock across processes),
/// so this order is the commit order. Read once per call: the events of one call share it and
/// are ordered among themselves by id.
async fn commit_seq(conn: &impl ConnectionTrait) -> Result<Expr, StoreError> {
    if conn.get_database_backend() == DatabaseBackend::Postgres {
        return Ok(Expr::cust("pg_current_xact_id()::text::bigint"));
    }
    let largest: Option<Option<i64>> = feed_event::Entity::find()
        .select_only()
        .column_as(feed_event::Column::CommitSeq.max(), "largest")
        .into_tuple()
        .one(conn)
        .await?;
    Ok(Expr::val(largest.flatten().unwrap_or(0).saturating_add(1)))
}

/// The actor of events the matching engine causes.
pub const MATCHER_ACTOR: &str = "system:matcher";

/// A new offer suggestion whose provider is told (see [`offer_suggested`]).
#[derive(Debug, Clone, Copy)]
pub struct SuggestedOffer {
    pub match_id: Uuid,
    pub need_id: Uuid,
    pub offer_id: Uuid,
}

/// [`offer_suggested`] for many suggestions: two reads and one multi-row insert of events.
pub async fn offers_suggested(
    conn: &impl ConnectionTrait,
    suggested: &[SuggestedOffer],
) -> Result<(), StoreError> {
    if suggested.is_empty() {
        return Ok(());
    }
    let mut offer_ids: Vec<Uuid> = suggested.iter().map(|s| s.offer_id).collect();
    offer_ids.sort_unstable();
    offer_ids.dedup();
    let mut need_ids: Vec<Uuid> = suggested.iter().map(|s| s.need_id).collect();
    need_ids.sort_unstable();
    need_ids.dedup();
    let mut providers = std::collections::HashMap::new();
    for chunk in offer_ids.chunks(500) {
        for o in offer::Entity::find()
            .filter(offer::Column::Id.is_in(chunk.iter().copied()))
            .all(conn)
            .await?
        {
            providers.insert(o.id, o.provider_id);
        }
    }
    let mut titles = std::collections::HashMap::new();
    for chunk in need_ids.chunks(500) {
        for n in need::Entity::find()
            .filter(need::Column::Id.is_in(chunk.iter().copied()))
            .all(conn)
            .await?
        {
            if n.status != "draft" {
                titles.insert(n.id, n.title.chars().take(200).collect::<String>());
            }
        }
    }
    let at = Utc::now();
    let events = suggested
        .iter()
        .filter_map(|s| {
            let provider = providers.get(&s.offer_id)?;
            Some((
                feed_event::Model {
                    id: Uuid::now_v7(),
                    at,
                    actor: MATCHER_ACTOR.to_owned(),
                    action: "match.suggest".into(),
                    entity: "match".into(),
                    entity_id: Some(s.match_id),
                    title: titles.get(&s.need_id).cloned(),
                    actor_role: None,
                    actor_organisation_id: None,
                    commit_seq: 0,
                },
                BTreeSet::from([Topic::Organisation(*provider)]),
            ))
        })
        .collect();
    insert_events(conn, events).await
}

/// Tells the provider of an offer that the engine suggested it for a need (`match.suggest`):
/// the event is tagged with the provider's organisation only, so followers of the need's
/// municipality or platform are not told of every suggestion, and it is titled with the need's
/// title. Call in the transaction that stores the suggestion.
pub async fn offer_suggested(
    conn: &impl ConnectionTrait,
    match_id: Uuid,
    need_id: Uuid,
    offer_id: Uuid,
) -> Result<(), StoreError> {
    let Some(o) = offer::Entity::find_by_id(offer_id).one(conn).await? else {
        return Ok(());
    };
    let title = need::Entity::find_by_id(need_id)
        .one(conn)
        .await?
        .filter(|n| n.status != "draft")
        .map(|n| n.title.chars().take(200).collect());
    insert_event(
        conn,
        feed_event::Model {
            id: Uuid::now_v7(),
            at: Utc::now(),
            actor: MATCHER_ACTOR.to_owned(),
            action: "match.suggest".into(),
            entity: "match".into(),
            entity_id: Some(match_id),
            title,
            actor_role: None,
            actor_organisation_id: None,
            commit_seq: 0,
        },
        &BTreeSet::from([Topic::Organisation(o.provider_id)]),
    )
    .await
}

/// What the objects a write points at add to its event.
#[derive(Debug, Default)]
struct Related {
    topics: BTreeSet<Topic>,
    /// A title for an event whose own snapshots have none (a match, a membership).
    title: Option<String>,
}

/// Topics of objects the snapshots point at: the need a match or course-request answer is
/// about (its municipality, platform, employer and competences), the target of a match (the
/// offer's provider, or the other need of a pooling suggestion), the competence group a
/// proposal or membership belongs to. Each object is read once, however many snapshots name
/// it. Also a title for matches (the need's, unless it is a draft) and memberships (who, in
/// which group).
async fn related(
    conn: &impl ConnectionTrait,
    entity: &str,
    snapshots: &[&serde_json::Value],
) -> Result<Related, StoreError> {
    let ids = |key: &str, unless: &str| -> BTreeSet<Uuid> {
        snapshots
            .iter()
            .filter(|s| s.get(unless).is_none())
            .filter_map(|s| s.get(key).and_then(|v| v.as_str()))
            .filter_map(|s| Uuid::parse_str(s).ok())
            .collect()
    };
    let targets = |kind: &str| -> BTreeSet<Uuid> {
        snapshots
            .iter()
            .filter(|s| s.get("kind").and_then(|k| k.as_str()) == Some(kind))
            .filter_map(|s| s.get("target_id").and_then(|v| v.as_str()))
            .filter_map(|s| Uuid::parse_str(s).ok())
            .collect()
    };
    let mut out = Related::default();
    for need_id in ids("need_id", "municipality") {
        let Some(n) = need::Entity::find_by_id(need_id).one(conn).await? else {
            continue;
        };
        out.topics.extend(need_topics(&n));
        let concepts = need_competence::Entity::find()
            .filter(need_competence::Column::NeedId.eq(need_id))
            .all(conn)
            .await?;
        out.topics.extend(
            concepts
                .into_iter()
                .filter_map(|c| c.concept_id.map(Topic::Competence)),
        );
        if out.title.is_none() && n.status != "draft" {
            out.title = Some(n.title.chars().take(200).collect());
        }
    }
    for offer_id in targets("offer") {
        if let Some(o) = offer::Entity::find_by_id(offer_id).one(conn).await? {
            out.topics.insert(Topic::Organisation(o.provider_id));
        }
    }
    for other_need in targets("need") {
        if let Some(n) = need::Entity::find_by_id(other_need).one(conn).await? {
            out.topics.extend(need_topics(&n));
        }
    }
    for group_id in ids("group_id", "focus_area") {
        let Some(g) = group::Entity::find_by_id(group_id).one(conn).await? else {
            continue;
        };
        out.topics.insert(Topic::Platform(g.platform_id));
        out.topics.extend(
            g.focus_area
                .as_deref()
                .and_then(|a| Topic::parse("focus_area", a).ok()),
        );
        if entity == "membership" && out.title.is_none() {
            let text = |key: &str| {
                snapshots
                    .iter()
                    .rev()
                    .find_map(|s| s.get(key).and_then(|v| v.as_str()))
            };
            out.title = Some(membership_title(
                text("person_name"),
                text("organisation_name"),
                &g.name,
            ));
        }
    }
    Ok(out)
}

/// Who a need concerns besides its competences: its municipality, platform and employer.
fn need_topics(n: &need::Model) -> impl Iterator<Item = Topic> {
    [
        Some(Topic::Municipality(n.municipality_code.clone())),
        Some(Topic::Platform(n.platform_id)),
        n.employer_id.map(Topic::Organisation),
    ]
    .into_iter()
    .flatten()
}

/// The need event that records the forum competence group a need was routed to (written by
/// the API's forum routing before the need's audit entry, in the same transaction).
pub const ROUTED_TO_GROUP: &str = "routed_to_group";

/// The focus area of the competence group a forum need was last routed to, if any.
async fn routed_focus_area(
    conn: &impl ConnectionTrait,
    need_id: Uuid,
) -> Result<Option<Topic>, StoreError> {
    let last = need_event::Entity::find()
        .filter(need_event::Column::NeedId.eq(need_id))
        .filter(need_event::Column::Kind.eq(ROUTED_TO_GROUP))
        .order_by_desc(need_event::Column::At)
        .order_by_desc(need_event::Column::Id)
        .one(conn)
        .await?;
    Ok(last.and_then(|e| {
        e.detail
            .get("focus_area")
            .and_then(|a| a.as_str())
            .and_then(|a| Topic::parse("focus_area", a).ok())
    }))
}

/// Follows a topic. Following one already followed returns the existing subscription and
/// `false`.
pub async fn subscribe(
    conn: &impl ConnectionTrait,
    subscriber: &str,
    topic: &Topic,
) -> Result<(Subscription, bool), StoreError> {
    let key = topic.key();
    if let Some(existing) = subscription::Entity::find()
        .filter(subscription::Column::Subscriber.eq(subscriber))
        .filter(subscription::Column::Topic.eq(key.clone()))
        .one(conn)
        .await?
    {
        return Ok((subscription_record(existing)?, false));
    }
    let created = Subscription {
        id: Uuid::now_v7(),
        subscriber: subscriber.to_owned(),
        topic: topic.clone(),
        created_at: Utc::now(),
    };
    subscription::Entity::insert(subscription::ActiveModel {
        id: Set(created.id),
        subscriber: Set(created.subscriber.clone()),
        topic: Set(key),
        created_at: Set(created.created_at),
    })
    .exec(conn)
    .await?;
    Ok((created, true))
}

/// A person's subscriptions, oldest first.
pub async fn subscriptions(
    conn: &impl ConnectionTrait,
    subscriber: &str,
) -> Result<Vec<Subscription>, StoreError> {
    subscription::Entity::find()
        .filter(subscription::Column::Subscriber.eq(subscriber))
        .order_by_asc(subscription::Column::CreatedAt)
        .order_by_asc(subscription::Column::Id)
        .all(conn)
        .await?
        .into_iter()
        .map(subscription_record)
        .collect()
}

/// Stops following. Someone else's subscription is not found.
pub async fn unsubscribe(
    conn: &impl ConnectionTrait,
    subscriber: &str,
    id: Uuid,
) -> Result<(), StoreError> {
    let done = subscription::Entity::delete_many()
        .filter(subscription::Column::Id.eq(id))
        .filter(subscription::Column::Subscriber.eq(subscriber))
        .exec(conn)
        .await?;
    if done.rows_affected == 0 {
        return Err(StoreError::NotFound {
            entity: "subscription",
        });
    }
    Ok(())
}

/// Which slice of the feed to read. Entries are ordered by commit (see [`feed`]); the cursors
/// are entry ids, standing for that entry's place in that order.
#[derive(Debug, Clone, Copy, Default)]
pub struct FeedQuery {
    /// Only events after this one (polling for what is new). The page then holds the *oldest*
    /// `limit` of them, so a poller that follows the page's newest entry never skips any.
    pub after: Option<Uuid>,
    /// Only events before this one (paging back).
    pub before: Option<Uuid>,
    pub limit: u64,
}

/// One feed entry and the subscriptions that brought it.
#[derive(Debug, Clone)]
pub struct FeedItem {
    pub event: FeedEvent,
    pub matched_topics: Vec<String>,
}

/// A page of the feed, newest first.
#[derive(Debug, Clone, Default)]
pub struct FeedPage {
    pub items: Vec<FeedItem>,
    /// With `after`: newer events remain beyond this page. Otherwise: older events remain.
    pub has_more: bool,
}

/// Events on a person's topics, newest first, leaving out their own writes.
///
/// Ordered by (`commit_seq`, `id`), which is commit order, not id order: on PostgreSQL an event
/// is shown only once every transaction that began writing before its own has finished (see
/// [`crate::changes::visible_horizon`]), so an event never appears behind one already shown and polling with
/// `after` misses nothing. An `after` or `before` that names no event is an invalid field.
pub async fn feed(
    conn: &impl ConnectionTrait,
    subscriber: &str,
    q: FeedQuery,
) -> Result<FeedPage, StoreError> {
    let after = match q.after {
        Some(id) => Some(position_of(conn, id, "after").await?),
        None => None,
    };
    let before = match q.before {
        Some(id) => Some(position_of(conn, id, "before").await?),
        None => None,
    };
    let followed: BTreeSet<String> = subscriptions(conn, subscriber)
        .await?
        .into_iter()
        .map(|s| s.topic.key())
        .collect();
    if followed.is_empty() {
        return Ok(FeedPage::default());
    }
    let on_followed_topics = Query::select()
        .column(feed_event_topic::Column::EventId)
        .from(feed_event_topic::Entity)
        .and_where(Expr::col(feed_event_topic::Column::Topic).is_in(followed.iter().cloned()))
        .to_owned();
    let mut cond = Condition::all()
        .add(feed_event::Column::Id.in_subquery(on_followed_topics))
        .add(feed_event::Column::Actor.ne(subscriber));
    if conn.get_database_backend() == DatabaseBackend::Postgres {
        cond = cond
            .add(Expr::col(feed_event::Column::CommitSeq).lt(crate::changes::visible_horizon()));
    }
    let position = || {
        Expr::tuple([
            Expr::col(feed_event::Column::CommitSeq),
            Expr::col(feed_event::Column::Id),
        ])
    };
    let cursor = |(seq, id): (i64, Uuid)| Expr::tuple([Expr::val(seq), Expr::val(id)]);
    if let Some(after) = after {
        cond = cond.add(position().gt(cursor(after)));
    }
    if let Some(before) = before {
        cond = cond.add(position().lt(cursor(before)));
    }
    // Polling reads forward from the cursor (oldest first) so a full page leaves no gap between
    // the cursor and the page; otherwise the newest come first.
    let order = if after.is_some() {
        sea_orm::Order::Asc
    } else {
        sea_orm::Order::Desc
    };
    let mut events = feed_event::Entity::find()
        .filter(cond)
        .order_by(feed_event::Column::CommitSeq, order.clone())
        .order_by(feed_event::Column::Id, order)
        .limit(q.limit.saturating_add(1))
        .all(conn)
        .await?;
    let has_more = events.len() as u64 > q.limit;
    events.truncate(usize::try_from(q.limit).unwrap_or(usize::MAX));
    if after.is_some() {
        events.reverse();
    }
    let ids: Vec<Uuid> = events.iter().map(|e| e.id).collect();
    let topics = feed_event_topic::Entity::find()
        .filter(feed_event_topic::Column::EventId.is_in(ids))
        .all(conn)
        .await?;
    let items = events
        .into_iter()
        .map(|event| {
            let matched_topics = topics
                .iter()
                .filter(|t| t.event_id == event.id && followed.contains(&t.topic))
                .map(|t| t.topic.clone())
                .collect();
            FeedItem {
                event: event.into(),
                matched_topics,
            }
        })
        .collect();
    Ok(FeedPage { items, has_more })
}

/// Where an event stands in the feed's order, for a cursor named `field`.
async fn position_of(
    conn: &impl ConnectionTrait,
    id: Uuid,
    field: &'static str,
) -> Result<(i64, Uuid), StoreError> {
    let seq: Option<i64> = feed_event::Entity::find_by_id(id)
        .select_only()
        .column(feed_event::Column::CommitSeq)
        .into_tuple()
        .one(conn)
        .await?;
    match seq {
        Some(seq) => Ok((seq, id)),
        None => Err(StoreError::Invalid(DomainError::invalid(
            field,
            "no feed entry has this id; pass an entry id from an earlier feed response",
        ))),
    }
}

/// All topics of one event (for webhook payloads and tests).
pub async fn event_topics(
    conn: &impl ConnectionTrait,
    event_id: Uuid,
) -> Result<Vec<String>, StoreError> {
    Ok(feed_event_topic::Entity::find()
        .filter(feed_event_topic::Column::EventId.eq(event_id))
        .order_by_asc(feed_event_topic::Column::Topic)
        .all(conn)
        .await?
        .into_iter()
        .map(|t| t.topic)
        .collect())
}
