//! What reaches a group: the needs routed to a competence group (the coordination team sees
//! every need of the forum's municipalities) and the gap among them, the cells no offer covers.

use std::collections::{BTreeMap, HashSet};

use actix_web::http::header;
use actix_web::{HttpRequest, HttpResponse, get, web};
use broker_domain::forum::GroupRoute;
use broker_domain::need::{Importance, NeedStatus};
use broker_domain::platform::{Group, GroupKind};
use broker_domain::values::Lang;
use broker_store::repo::matches::{self, MatchFilter, MatchSort};
use broker_store::repo::needs::{self, NeedFilter, NeedRecord};
use broker_store::repo::reference;
use chrono::Utc;
use serde::Deserialize;
use utoipa::IntoParams;
use uuid::Uuid;

use super::groups::readable_group;
use crate::app::AppState;
use crate::auth::Identity;
use crate::dto::forum::{GroupGapDto, GroupGaps, RouteDto, RoutedNeedDto};
use crate::dto::{Page, Paging, csv_param};
use crate::error::ApiError;
use broker_application::forum_routing;

/// Needs are read from the store in pages of this size while routing them.
const READ_BATCH: u64 = 500;
/// More offer suggestions than any batch of needs has (at most `max_results` per need).
const MAX_MATCHES_READ: u64 = 100_000;

/// The needs a group receives, each with its route: for a competence group those routed to it,
/// for the coordination team all of them. Other groups receive none. Also the forum's
/// competence groups the routes name.
async fn routed_needs(
    state: &AppState,
    group: &Group,
    statuses: Vec<String>,
) -> Result<(Vec<(NeedRecord, Option<GroupRoute>)>, Vec<Group>), ApiError> {
    if !matches!(
        group.kind,
        GroupKind::CompetenceGroup | GroupKind::CoordinationTeam
    ) {
        return Err(ApiError::Conflict(format!(
            "needs are routed to competence groups and the coordination team sees them all; a {} receives none",
            group.kind
        )));
    }
    let conn = state.store.conn();
    let platform = match state.matcher.platform(group.platform_id) {
        Some(p) => p,
        None => reference::get_platform(conn, group.platform_id).await?,
    };
    let today = Utc::now().date_naive();
    let groups = forum_routing::competence_groups(conn, platform.id, today).await?;
    let filter = NeedFilter {
        // The forum's region: every municipality the platform covers, whichever platform a need
        // was entered through.
        municipalities: platform.municipalities.clone(),
        statuses,
        ..NeedFilter::default()
    };
    let mut out = Vec::new();
    let mut offset = 0;
    loop {
        let page = needs::list(conn, &filter, READ_BATCH, offset).await?;
        let read = page.items.len() as u64;
        for record in page.items {
            let route =
                forum_routing::route(&record.need, &groups, |id| state.matcher.concept(id), today);
            let keep = group.kind == GroupKind::CoordinationTeam
                || route.as_ref().is_some_and(|r| r.group_id == group.id);
            if keep {
                out.push((record, route));
            }
        }
        offset += read;
        if read == 0 || offset >= page.total {
            break;
        }
    }
    // `needs::list` gives newest first; that order is kept.
    Ok((out, groups))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct GroupNeedQuery {
    /// Statuses, comma-separated (default open, in_review, pooled, matched).
    pub status: Option<String>,
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u64>,
    pub offset: Option<u64>,
    /// Language of the routing reasons: `sv`, `nb` or `en` (default: from `Accept-Language`,
    /// else English).
    #[param(value_type = Option<crate::dto::enums::Language>)]
    pub lang: Option<String>,
}

/// The language routing reasons are given in: `lang`, else `Accept-Language` when sent, else
/// English (as before languages were offered).
fn reason_lang(req: &HttpRequest, explicit: Option<&str>) -> Result<Lang, ApiError> {
    if explicit.is_none() && !req.headers().contains_key(header::ACCEPT_LANGUAGE) {
        return Ok(Lang::En);
    }
    let code = crate::routes::public::response_lang(req, explicit)?;
    Lang::parse(code).map_err(|e| ApiError::from(e.under("lang")))
}

/// The needs routed to a competence group, newest first, each with why it came here; for the
/// coordination team every need of the forum's municipalities with the group it went to.
#[utoipa::path(
    operation_id = "listGroupNeeds",
    tag = "forum",
    params(("id" = Uuid, Path), GroupNeedQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, body = Page<RoutedNeedDto>),
        (status = 401, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json")
    )
)]
#[get("/api/v1/groups/{id}/needs")]
pub async fn list_needs(
    state: web::Data<AppState>,
    who: Identity,
    id: web::Path<Uuid>,
    query: crate::extract::ValidQuery<GroupNeedQuery>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let (limit, offset) = Paging {
        limit: query.limit,
        offset: query.offset,
    }
    .resolve()?;
    let lang = reason_lang(&req, query.lang.as_deref())?;
    let (group, _) = readable_group(&state, &who, *id).await?;
    let mut statuses = csv_param(query.status.as_deref());
    for s in &statuses {
        NeedStatus::parse(s).map_err(|e| ApiError::from(e.under("status")))?;
    }
    if statuses.is_empty() {
        statuses = NeedStatus::ACTIVE
            .iter()
            .chain([&NeedStatus::Matched])
            .map(|s| s.as_str().to_owned())
            .collect();
    }
    let (routed, groups) = routed_needs(&state, &group, statuses).await?;
    let total = routed.len() as u64;
    let items = routed
        .into_iter()
        .skip(usize::try_from(offset).unwrap_or(usize::MAX))
        .take(usize::try_from(limit).unwrap_or(usize::MAX))
        .map(|(record, route)| RoutedNeedDto {
            need: crate::routes::needs::dto(&record),
            route: route.map(|r| {
                let name = groups
                    .iter()
                    .find(|g| g.id == r.group_id)
                    .map(|g| g.name.as_str())
                    .unwrap_or_default();
                RouteDto::new(r.group_id, name, &r.reason, lang)
            }),
        })
        .collect();
    Ok(HttpResponse::Ok().json(Page::new(items, total, limit, offset, &req)))
}

/// The group's gap: must-have competences of its open needs that no offer suggestion covers, by
/// competence and municipality, with head counts. Each cell's `competence_id` and `area` are the
/// gap entry a proposal names.
#[utoipa::path(
    operation_id = "getGroupGaps",
    tag = "forum",
    params(("id" = Uuid, Path)),
    security(("bearer" = [])),
    responses(
        (status = 200, body = GroupGaps),
        (status = 401, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, body = crate::error::Problem, content_type = "application/problem+json")
    )
)]
#[get("/api/v1/groups/{id}/gaps")]
pub async fn gaps(
    state: web::Data<AppState>,
    who: Identity,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let (group, _) = readable_group(&state, &who, *id).await?;
    let active: Vec<String> = NeedStatus::ACTIVE
        .iter()
        .map(|s| s.as_str().to_owned())
        .collect();
    let (routed, _) = routed_needs(&state, &group, active).await?;
    let ids: Vec<Uuid> = routed.iter().map(|(r, _)| r.need.id).collect();
    // A must-have is covered by an offer suggestion whose evidence names it as taught: a course
    // that teaches something else the need's occupation involves leaves it in the gap.
    let mut covered: HashSet<(Uuid, Uuid)> = HashSet::new();
    for chunk in ids.chunks(READ_BATCH as usize) {
        let filter = MatchFilter {
            need_ids: Some(chunk.to_vec()),
            kinds: vec!["offer".into()],
            statuses: vec!["suggested".into(), "deferred".into(), "accepted".into()],
            ..MatchFilter::default()
        };
        let page = matches::list(
            state.store.conn(),
            &filter,
            MatchSort::Oldest,
            MAX_MATCHES_READ,
            0,
        )
        .await?;
        for m in page.items {
            let taught = m.evidence["covered_must"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(|c| c.as_str().and_then(|c| Uuid::parse_str(c).ok()));
            covered.extend(taught.map(|concept| (m.need_id, concept)));
        }
    }
    let mut cells: BTreeMap<(Uuid, String), GroupGapDto> = BTreeMap::new();
    for (record, _) in &routed {
        let need = &record.need;
        let area = need.spec.municipality.as_str().to_owned();
        for c in need
            .spec
            .competences
            .iter()
            .filter(|c| c.importance == Importance::MustHave)
        {
            let Some(concept) = c.concept_id else {
                continue;
            };
            if covered.contains(&(need.id, concept)) {
                continue;
            }
            let cell = cells
                .entry((concept, area.clone()))
                .or_insert_with(|| GroupGapDto {
                    competence_id: concept,
                    competence_label: c.label.as_str().to_owned(),
                    area: area.clone(),
                    headcount: 0,
                    need_ids: Vec::new(),
                });
            cell.headcount = cell.headcount.saturating_add(need.spec.headcount.get());
            if !cell.need_ids.contains(&need.id) {
                cell.need_ids.push(need.id);
            }
        }
    }
    let mut items: Vec<GroupGapDto> = cells.into_values().collect();
    items.sort_by(|a, b| {
        b.headcount
            .cmp(&a.headcount)
            .then_with(|| a.area.cmp(&b.area))
            .then_with(|| a.competence_label.cmp(&b.competence_label))
    });
    Ok(HttpResponse::Ok().json(GroupGaps {
        group_id: group.id,
        items,
    }))
}
