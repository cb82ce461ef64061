//! Loads what the activity report counts: needs entered, need transitions, match decisions,
//! proposals and course requests, on given platforms within a time range. The counting itself is
//! `broker_domain::report::activity_rows`.

use std::collections::{HashMap, HashSet};

use broker_domain::report::{ActivityEvent, ActivityFact, ActivityNeed};
use chrono::{DateTime, Utc};
use sea_orm::{ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QuerySelect};
use uuid::Uuid;

use crate::StoreError;
use crate::entity::{
    course_request, course_request_answer, match_suggestion, need, need_event, proposal,
};

/// Everything on `platforms` that happened in `from..until`.
#[derive(Debug, Clone, Default)]
pub struct ActivityData {
    pub needs: Vec<ActivityNeed>,
    pub events: Vec<ActivityEvent>,
}

pub async fn load(
    conn: &impl ConnectionTrait,
    platforms: &[Uuid],
    from: DateTime<Utc>,
    until: DateTime<Utc>,
) -> Result<ActivityData, StoreError> {
    let mut data = ActivityData::default();
    let platforms = platforms.to_vec();
    let in_range = |at: DateTime<Utc>| at >= from && at < until;

    // Needs entered, with the first decision on any of their suggestions.
    let entered: Vec<(Uuid, Uuid, DateTime<Utc>)> = need::Entity::find()
        .select_only()
        .columns([
            need::Column::Id,
            need::Column::PlatformId,
            need::Column::CreatedAt,
        ])
        .filter(need::Column::PlatformId.is_in(platforms.clone()))
        .filter(need::Column::CreatedAt.gte(from))
        .filter(need::Column::CreatedAt.lt(until))
        .into_tuple()
        .all(conn)
        .await?;
    // A need's first decision comes after it was entered, so decisions before `from` cannot be
    // first reviews of needs entered in the range.
    let decisions: Vec<(Uuid, Uuid, String, Option<DateTime<Utc>>)> =
        match_suggestion::Entity::find()
            .select_only()
            .columns([
                match_suggestion::Column::NeedId,
                match_suggestion::Column::PlatformId,
                match_suggestion::Column::Status,
                match_suggestion::Column::DecidedAt,
            ])
            .filter(match_suggestion::Column::PlatformId.is_in(platforms.clone()))
            .filter(match_suggestion::Column::DecidedAt.gte(from))
            .into_tuple()
            .all(conn)
            .await?;
    let mut first_decision: HashMap<Uuid, DateTime<Utc>> = HashMap::new();
    for (need_id, platform, status, decided_at) in &decisions {
        let Some(at) = *decided_at else { continue };
        first_decision
            .entry(*need_id)
            .and_modify(|t| *t = (*t).min(at))
            .or_insert(at);
        if in_range(at) {
            let fact = match status.as_str() {
                "accepted" => ActivityFact::DecisionAccepted,
                "rejected" => ActivityFact::DecisionRejected,
                _ => continue,
            };
            data.events.push(ActivityEvent {
                platform: *platform,
                on: at.date_naive(),
                fact,
            });
        }
    }
    for (id, platform, created_at) in &entered {
        data.needs.push(ActivityNeed {
            platform: *platform,
            entered_on: created_at.date_naive(),
            days_to_first_review: first_decision.get(id).map(|at| {
                // Whole seconds are plenty for a figure reported in days.
                let secs = (*at - *created_at).num_seconds().max(0) as f64;
                secs / 86_400.0
            }),
        });
    }

    // Need transitions to matched and fulfilled, on the need's current platform.
    let transitions: Vec<(Uuid, String, DateTime<Utc>)> = need_event::Entity::find()
        .select_only()
        .columns([
            need_event::Column::NeedId,
            need_event::Column::Kind,
            need_event::Column::At,
        ])
        .filter(need_event::Column::Kind.is_in(["match", "fulfil"]))
        .filter(need_event::Column::At.gte(from))
        .filter(need_event::Column::At.lt(until))
        .into_tuple()
        .all(conn)
        .await?;
    let moved: HashSet<Uuid> = transitions.iter().map(|t| t.0).collect();
    let platform_of: HashMap<Uuid, Uuid> = need::Entity::find()
        .select_only()
        .columns([need::Column::Id, need::Column::PlatformId])
        .filter(need::Column::Id.is_in(moved))
        .filter(need::Column::PlatformId.is_in(platforms.clone()))
        .into_tuple()
        .all(conn)
        .await?
        .into_iter()
        .collect();
    for (need_id, kind, at) in transitions {
        if let Some(platform) = platform_of.get(&need_id) {
            data.events.push(ActivityEvent {
                platform: *platform,
                on: at.date_naive(),
                fact: if kind == "match" {
                    ActivityFact::NeedMatched
                } else {
                    ActivityFact::NeedFulfilled
                },
            });
        }
    }

    let proposals: Vec<(Uuid, String, DateTime<Utc>)> = proposal::Entity::find()
        .select_only()
        .columns([
            proposal::Column::PlatformId,
            proposal::Column::Status,
            proposal::Column::CreatedAt,
        ])
        .filter(proposal::Column::PlatformId.is_in(platforms.clone()))
        .filter(proposal::Column::CreatedAt.gte(from))
        .filter(proposal::Column::CreatedAt.lt(until))
        .into_tuple()
        .all(conn)
        .await?;
    data.events.extend(
        proposals
            .into_iter()
            .map(|(platform, status, at)| ActivityEvent {
                platform,
                on: at.date_naive(),
                fact: ActivityFact::Proposal { status },
            }),
    );

    let requests: Vec<(Uuid, Uuid, Option<DateTime<Utc>>)> = course_request::Entity::find()
        .select_only()
        .columns([
            course_request::Column::Id,
            course_request::Column::PlatformId,
            course_request::Column::SentAt,
        ])
        .filter(course_request::Column::PlatformId.is_in(platforms))
        .filter(course_request::Column::SentAt.is_not_null())
        .filter(course_request::Column::SentAt.lt(until))
        .into_tuple()
        .all(conn)
        .await?;
    let answers: Vec<(Uuid, DateTime<Utc>)> = course_request_answer::Entity::find()
        .select_only()
        .columns([
            course_request_answer::Column::CourseRequestId,
            course_request_answer::Column::CreatedAt,
        ])
        .filter(
            course_request_answer::Column::CourseRequestId
                .is_in(requests.iter().map(|r| r.0).collect::<Vec<_>>()),
        )
        .into_tuple()
        .all(conn)
        .await?;
    let mut first_answer: HashMap<Uuid, DateTime<Utc>> = HashMap::new();
    for (request, at) in answers {
        first_answer
            .entry(request)
            .and_modify(|t| *t = (*t).min(at))
            .or_insert(at);
    }
    for (id, platform, sent_at) in requests {
        if let Some(sent) = sent_at.filter(|at| in_range(*at)) {
            data.events.push(ActivityEvent {
                platform,
                on: sent.date_naive(),
                fact: ActivityFact::CourseRequestSent,
            });
        }
        if let Some(answered) = first_answer.get(&id).filter(|at| in_range(**at)) {
            data.events.push(ActivityEvent {
                platform,
                on: answered.date_naive(),
                fact: ActivityFact::CourseRequestAnswered,
            });
        }
    }
    Ok(data)
}
