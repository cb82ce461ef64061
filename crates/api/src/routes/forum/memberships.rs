//! Memberships of a group: a person (and the organisation they answer to), their role, whether
//! the organisation has given its mandate, from and until when.

use actix_web::{HttpResponse, get, post, web};
use broker_domain::platform::Membership;
use broker_store::repo::{audit, forum, reference};
use chrono::{NaiveDate, Utc};
use sea_orm::ConnectionTrait;
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use super::groups::readable_group;
use crate::app::AppState;
use crate::auth::Identity;
use crate::dto::forum::{EndMembershipInput, MembershipDto, MembershipInput, MembershipList};
use crate::error::ApiError;
use crate::extract::ValidJson;

/// Memberships with the names of their people and organisations.
async fn dtos(
    conn: &impl ConnectionTrait,
    memberships: &[Membership],
    today: NaiveDate,
) -> Result<Vec<MembershipDto>, ApiError> {
    let org_ids: Vec<Uuid> = memberships
        .iter()
        .filter_map(|m| m.organisation_id)
        .collect();
    let orgs = reference::organisations_by_ids(conn, &org_ids).await?;
    let mut out = Vec::with_capacity(memberships.len());
    for m in memberships {
        let person = match m.person_id {
            Some(p) => Some(reference::get_person(conn, p).await?.name),
            None => None,
        };
        let org = m
            .organisation_id
            .and_then(|o| orgs.iter().find(|r| r.id == o).map(|r| r.name.clone()));
        out.push(MembershipDto::new(m, person, org, today));
    }
    Ok(out)
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct MembershipQuery {
    /// Only memberships holding on this date.
    pub active_on: Option<NaiveDate>,
}

/// A group's memberships, earliest first.
#[utoipa::path(
    operation_id = "listMemberships",
    tag = "forum",
    params(("id" = Uuid, Path), MembershipQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, body = MembershipList),
        (status = 401, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json")
    )
)]
#[get("/api/v1/groups/{id}/memberships")]
pub async fn list(
    state: web::Data<AppState>,
    who: Identity,
    id: web::Path<Uuid>,
    query: crate::extract::ValidQuery<MembershipQuery>,
) -> Result<HttpResponse, ApiError> {
    let (group, _) = readable_group(&state, &who, *id).await?;
    let conn = state.store.conn();
    let memberships = forum::memberships_of(conn, group.id, query.active_on).await?;
    let items = dtos(conn, &memberships, Utc::now().date_naive()).await?;
    Ok(HttpResponse::Ok().json(MembershipList { items }))
}

/// Adds a member to a group. The organisation defaults to the person's; a person holds one
/// membership of a group at a time (overlapping ones are a conflict). Admins, brokers of the
/// platform or of its broker arrangement (e.g. the cluster's broker for a municipality whose
/// platform is brokered by its cluster) change any group; a municipality's contact person its
/// local competence council.
#[utoipa::path(
    operation_id = "addMembership",
    tag = "forum",
    params(("id" = Uuid, Path)),
    request_body = MembershipInput,
    security(("bearer" = [])),
    responses(
        (status = 201, body = MembershipDto),
        (status = 401, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json")
    )
)]
#[post("/api/v1/groups/{id}/memberships")]
pub async fn add(
    state: web::Data<AppState>,
    who: Identity,
    id: web::Path<Uuid>,
    ValidJson(input): ValidJson<MembershipInput>,
) -> Result<HttpResponse, ApiError> {
    let (group, access) = readable_group(&state, &who, *id).await?;
    access.must_manage_group(group.kind, "change this group's memberships")?;
    let conn = state.store.conn();
    let person = match input.person_id {
        Some(p) => Some(
            reference::get_person(conn, p)
                .await
                .map_err(|_| ApiError::field("person_id", "no such person"))?,
        ),
        None => None,
    };
    let organisation_id = input
        .organisation_id
        .or_else(|| person.as_ref().and_then(|p| p.organisation_id));
    if let Some(o) = input.organisation_id {
        reference::get_organisation(conn, o)
            .await
            .map_err(|_| ApiError::field("organisation_id", "no such organisation"))?;
    }
    let today = Utc::now().date_naive();
    // Joining today, or at the group's start when it has not begun (or has ended) yet.
    let default_from = if group.period.contains(today) {
        today
    } else {
        group.period.start
    };
    let membership = Membership::parse(
        Uuid::now_v7(),
        group.id,
        &group.period,
        input.person_id,
        organisation_id,
        input.role.as_deref().unwrap_or("member"),
        input.mandate_given,
        (
            input.member_from.unwrap_or(default_from),
            input.member_until,
        ),
    )?;
    let overlaps = |m: &Membership| {
        let same = match membership.person_id {
            Some(p) => m.person_id == Some(p),
            None => m.person_id.is_none() && m.organisation_id == membership.organisation_id,
        };
        let starts_before_other_ends = m.member_until.is_none_or(|u| membership.member_from <= u);
        let other_starts_before_end = membership.member_until.is_none_or(|u| m.member_from <= u);
        same && starts_before_other_ends && other_starts_before_end
    };
    if forum::memberships_of(conn, group.id, None)
        .await?
        .iter()
        .any(overlaps)
    {
        return Err(ApiError::Conflict(
            "already a member of this group for (part of) that time".into(),
        ));
    }
    let txn = state.store.begin().await?;
    let saved = forum::add_membership(&txn, &membership).await?;
    let dto = dtos(&txn, std::slice::from_ref(&saved), today)
        .await?
        .pop()
        .ok_or_else(|| ApiError::Internal("membership vanished".into()))?;
    audit::record(
        &txn,
        audit::AuditEntry {
            actor: who.subject().to_owned(),
            actor_role: Some(who.role().as_str()),
            actor_organisation: who.claims().organisation,
            action: "membership.add".into(),
            entity: "membership",
            entity_id: Some(saved.id),
            before: None,
            after: serde_json::to_value(&dto).ok(),
        },
    )
    .await?;
    txn.commit().await.map_err(ApiError::internal)?;
    Ok(HttpResponse::Created().json(dto))
}

/// Ends a membership (last day `until`, default today). Ending an ended one is 409.
#[utoipa::path(
    operation_id = "endMembership",
    tag = "forum",
    params(("id" = Uuid, Path), ("membership_id" = Uuid, Path)),
    request_body = EndMembershipInput,
    security(("bearer" = [])),
    responses(
        (status = 200, body = MembershipDto),
        (status = 401, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json")
    )
)]
#[post("/api/v1/groups/{id}/memberships/{membership_id}/end")]
pub async fn end(
    state: web::Data<AppState>,
    who: Identity,
    path: web::Path<(Uuid, Uuid)>,
    ValidJson(input): ValidJson<EndMembershipInput>,
) -> Result<HttpResponse, ApiError> {
    let (group_id, membership_id) = path.into_inner();
    let (group, access) = readable_group(&state, &who, group_id).await?;
    let before = forum::get_membership(state.store.conn(), membership_id).await?;
    if before.group_id != group.id {
        return Err(ApiError::NotFound("membership"));
    }
    access.must_manage_group(group.kind, "change this group's memberships")?;
    let today = Utc::now().date_naive();
    let mut ended = before.clone();
    ended.end(input.until.unwrap_or(today))?;
    let txn = state.store.begin().await?;
    let saved = forum::end_membership(&txn, &ended).await?;
    let mut pair = dtos(&txn, &[before, saved], today).await?;
    let after = pair
        .pop()
        .ok_or_else(|| ApiError::Internal("membership vanished".into()))?;
    audit::record(
        &txn,
        audit::AuditEntry {
            actor: who.subject().to_owned(),
            actor_role: Some(who.role().as_str()),
            actor_organisation: who.claims().organisation,
            action: "membership.end".into(),
            entity: "membership",
            entity_id: Some(membership_id),
            before: pair.pop().and_then(|b| serde_json::to_value(b).ok()),
            after: serde_json::to_value(&after).ok(),
        },
    )
    .await?;
    txn.commit().await.map_err(ApiError::internal)?;
    Ok(HttpResponse::Ok().json(after))
}
