//! What is new for me: a person (the token's subject) follows municipalities, competences, focus
//! areas, platforms or organisations, and `GET /api/v1/me/feed` lists the writes on those topics
//! (everyone's but their own), newest first. Entries name what changed and link to it; reading
//! the object itself still goes through its scope rules.
//!
//! The feed is in commit order, so a poller that follows `newest` with `after` sees every entry
//! exactly once: an entry appears only once nothing can still commit before it, and a page
//! after a cursor holds the entries right after it.

use actix_web::{HttpResponse, delete, get, post, web};
use broker_domain::notify::Topic;
use broker_store::StoreError;
use broker_store::repo::notify::{self, FeedQuery};
use broker_store::repo::reference;
use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};
use uuid::Uuid;

use crate::app::AppState;
use crate::auth::Identity;
use crate::error::ApiError;
use crate::extract::ValidJson;

/// A topic to follow.
#[derive(Debug, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SubscriptionInput {
    /// `municipality`, `competence`, `focus_area`, `platform` or `organisation`.
    #[schema(value_type = crate::dto::enums::TopicKind)]
    pub kind: String,
    /// A municipality code, a concept/platform/organisation id, or a focus area
    /// (`work_life_relevance`, `lifelong_learning`, `inclusion_and_integration`).
    pub value: String,
}

/// A followed topic.
#[derive(Debug, Serialize, ToSchema)]
pub struct SubscriptionDto {
    pub id: Uuid,
    #[schema(value_type = crate::dto::enums::TopicKind)]
    pub kind: String,
    pub value: String,
    /// `kind:value`, as feed entries name the topics that matched.
    pub topic: String,
    pub created_at: DateTime<Utc>,
}

/// A person's subscriptions.
#[derive(Debug, Serialize, ToSchema)]
pub struct SubscriptionList {
    pub items: Vec<SubscriptionDto>,
}

fn subscription_dto(s: notify::Subscription) -> SubscriptionDto {
    SubscriptionDto {
        id: s.id,
        kind: s.topic.kind().to_owned(),
        value: s.topic.value(),
        topic: s.topic.key(),
        created_at: s.created_at,
    }
}

/// My subscriptions, oldest first.
#[utoipa::path(
    operation_id = "listMySubscriptions",
    tag = "feed",
    security(("bearer" = [])),
    responses(
        (status = 200, body = SubscriptionList),
        (status = 401, description = "missing or invalid token", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[get("/api/v1/me/subscriptions")]
pub async fn subscriptions(
    state: web::Data<AppState>,
    who: Identity,
) -> Result<HttpResponse, ApiError> {
    let rows = notify::subscriptions(state.store.conn(), who.subject()).await?;
    Ok(HttpResponse::Ok().json(SubscriptionList {
        items: rows.into_iter().map(subscription_dto).collect(),
    }))
}

/// Follows a topic. The value must name something that exists; following a topic twice returns
/// the existing subscription with 200 instead of 201.
#[utoipa::path(
    operation_id = "subscribe",
    tag = "feed",
    request_body = SubscriptionInput,
    security(("bearer" = [])),
    responses(
        (status = 201, body = SubscriptionDto, description = "now following"),
        (status = 200, body = SubscriptionDto, description = "already following"),
        (status = 401, description = "missing or invalid token", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "unknown kind, malformed value, or nothing by that value", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[post("/api/v1/me/subscriptions")]
pub async fn subscribe(
    state: web::Data<AppState>,
    who: Identity,
    ValidJson(input): ValidJson<SubscriptionInput>,
) -> Result<HttpResponse, ApiError> {
    let topic = existing_topic(&state, &input.kind, &input.value).await?;
    let (row, created) = notify::subscribe(state.store.conn(), who.subject(), &topic).await?;
    let dto = subscription_dto(row);
    Ok(if created {
        HttpResponse::Created().json(dto)
    } else {
        HttpResponse::Ok().json(dto)
    })
}

/// Parses a topic and checks that what it names exists, so a typo is an error rather than a
/// subscription that never fires.
pub(crate) async fn existing_topic(
    state: &AppState,
    kind: &str,
    value: &str,
) -> Result<Topic, ApiError> {
    let topic = Topic::parse(kind, value).map_err(|e| ApiError::Validation(vec![e]))?;
    let conn = state.store.conn();
    let missing = |what: &str| ApiError::field("value", format!("no {what} `{value}`"));
    let found = match &topic {
        Topic::Municipality(code) => reference::get_municipality(conn, code).await.map(|_| ()),
        Topic::Platform(id) => reference::get_platform(conn, *id).await.map(|_| ()),
        Topic::Organisation(id) => reference::get_organisation(conn, *id).await.map(|_| ()),
        Topic::Competence(id) => {
            if state.matcher.concept(*id).is_some() {
                Ok(())
            } else {
                Err(StoreError::NotFound {
                    entity: "competence",
                })
            }
        }
        Topic::FocusArea(_) => Ok(()),
    };
    match found {
        Ok(()) => Ok(topic),
        Err(StoreError::NotFound { .. }) => Err(missing(topic.kind())),
        Err(e) => Err(e.into()),
    }
}

/// Stops following a topic.
#[utoipa::path(
    operation_id = "unsubscribe",
    tag = "feed",
    params(("id" = Uuid, Path, description = "subscription id")),
    security(("bearer" = [])),
    responses(
        (status = 204, description = "no longer following"),
        (status = 401, description = "missing or invalid token", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, description = "no such subscription of yours", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[delete("/api/v1/me/subscriptions/{id}")]
pub async fn unsubscribe(
    state: web::Data<AppState>,
    who: Identity,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    notify::unsubscribe(state.store.conn(), who.subject(), *id).await?;
    Ok(HttpResponse::NoContent().finish())
}

/// Which part of the feed.
#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct FeedParams {
    /// Only entries after this entry (an id from an earlier response): pass the last
    /// response's `newest` to poll for what is new. The page holds the *oldest* `limit` entries
    /// after it (still listed newest first); when `has_more` is true, poll again at once with
    /// the new `newest` until it is false. An id no entry has is refused (422).
    pub after: Option<Uuid>,
    /// Only entries before this entry: pass `oldest` to page back. An id no entry has is
    /// refused (422).
    pub before: Option<Uuid>,
    /// Entries per page, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u64>,
}

/// One write on a followed topic.
#[derive(Debug, Serialize, ToSchema)]
pub struct FeedEntry {
    /// Entry id; use it as `after`/`before`. The feed is in commit order, which can differ
    /// slightly from the order of ids and of `at`.
    pub id: Uuid,
    pub at: DateTime<Utc>,
    /// Who made the change: their role, or `system` for background jobs. Never the person's
    /// identity (a token subject is often an e-mail address).
    pub actor: FeedActor,
    /// The organisation the writer acted for, when their token names one.
    pub actor_organisation_id: Option<Uuid>,
    /// What happened, e.g. `need.create`, `need.escalate`, `offer.publish`, `match.suggest`
    /// (to the offer's provider), `match.accept`, `course_request.answer`, `proposal.decide`.
    pub action: String,
    pub entity: String,
    pub entity_id: Option<Uuid>,
    /// The object's title or name; for a suggestion or decision the need's title, for a
    /// membership who joined which group. None for drafts, whose titles are never shown.
    pub title: Option<String>,
    /// The API path of the object, when it has one.
    pub link: Option<String>,
    /// The followed topics this entry concerns.
    pub matched_topics: Vec<String>,
}

/// A page of the feed, newest first.
#[derive(Debug, Serialize, ToSchema)]
pub struct Feed {
    pub items: Vec<FeedEntry>,
    /// With `after`: whether newer entries remain beyond this page (the page holds the oldest
    /// ones after the cursor; poll again with `after` = `newest`). Otherwise: whether older
    /// entries remain (page back with `before` = `oldest`).
    pub has_more: bool,
    /// The newest entry id here (with `after` and no entries, the cursor itself); poll with
    /// `after` = this. Following it never skips an entry.
    pub newest: Option<Uuid>,
    pub oldest: Option<Uuid>,
}

/// Who wrote, as the feed may show it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum FeedActor {
    Admin,
    Broker,
    MunicipalContact,
    Provider,
    Employer,
    /// A background job (expiry, escalation).
    System,
    /// Recorded before roles were kept.
    Unknown,
}

/// The writer as the feed may show them: the role, `system` for background jobs, `unknown` for
/// events recorded before roles were kept.
fn public_actor(event: &broker_store::repo::notify::FeedEvent) -> FeedActor {
    use crate::auth::Role;
    match event.actor_role.as_deref().map(Role::parse) {
        Some(Some(Role::Admin)) => FeedActor::Admin,
        Some(Some(Role::Broker)) => FeedActor::Broker,
        Some(Some(Role::MunicipalContact)) => FeedActor::MunicipalContact,
        Some(Some(Role::Provider)) => FeedActor::Provider,
        Some(Some(Role::Employer)) => FeedActor::Employer,
        Some(None) => FeedActor::Unknown,
        None if event.actor.starts_with("system") => FeedActor::System,
        None => FeedActor::Unknown,
    }
}

/// The object an entry is about, as an API path.
fn link_of(entity: &str, id: Option<Uuid>) -> Option<String> {
    let collection = match entity {
        "need" => "needs",
        "offer" => "offers",
        "match" => "matches",
        "course_request" => "course-requests",
        "proposal" => "proposals",
        "recommendation" => "recommendations",
        "meeting" => "meetings",
        "workshop" => "workshops",
        "group" => "groups",
        "organisation" => "organisations",
        _ => return None,
    };
    id.map(|id| format!("/api/v1/{collection}/{id}"))
}

/// What is new on my topics: every write by someone else on a municipality, competence, focus
/// area, platform or organisation I follow, newest first.
///
/// Entries are in commit order, and an entry is shown only once no write that began before it
/// can still commit, so polling with `after` = the last `newest` misses nothing. With `after`
/// the page holds the oldest `limit` entries after the cursor and `has_more` says newer ones
/// remain; without it, the newest `limit` entries and `has_more` says older ones remain.
#[utoipa::path(
    operation_id = "getMyFeed",
    tag = "feed",
    params(FeedParams),
    security(("bearer" = [])),
    responses(
        (status = 200, body = Feed),
        (status = 401, description = "missing or invalid token", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, description = "bad query parameter, or an `after`/`before` no entry has", body = crate::error::Problem, content_type = "application/problem+json"),
    )
)]
#[get("/api/v1/me/feed")]
pub async fn feed(
    state: web::Data<AppState>,
    who: Identity,
    query: crate::extract::ValidQuery<FeedParams>,
) -> Result<HttpResponse, ApiError> {
    let (limit, _) = crate::dto::Paging {
        limit: query.limit,
        offset: None,
    }
    .resolve()?;
    let page = notify::feed(
        state.store.conn(),
        who.subject(),
        FeedQuery {
            after: query.after,
            before: query.before,
            limit,
        },
    )
    .await?;
    let items: Vec<FeedEntry> = page
        .items
        .into_iter()
        .map(|i| FeedEntry {
            link: link_of(&i.event.entity, i.event.entity_id),
            id: i.event.id,
            at: i.event.at,
            actor: public_actor(&i.event),
            actor_organisation_id: i.event.actor_organisation_id,
            action: i.event.action,
            entity: i.event.entity,
            entity_id: i.event.entity_id,
            title: i.event.title,
            matched_topics: i.matched_topics,
        })
        .collect();
    Ok(HttpResponse::Ok().json(Feed {
        has_more: page.has_more,
        newest: items.first().map(|i| i.id).or(query.after),
        oldest: items.last().map(|i| i.id),
        items,
    }))
}
