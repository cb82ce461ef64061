//! Proposals for measures (tiltak): a group drafts one from the needs and gap entries that
//! motivated it; it is submitted, discussed at a workshop (input attached), refined, decided go
//! or no go (by whom), an organisation accepts or declines responsibility, it runs, completes and
//! is evaluated. Every step is an action with its own body and an event; illegal steps are 409
//! `invalid_transition`, stale versions 409 `conflict`.

use actix_web::{HttpRequest, HttpResponse, get, post, web};
use broker_domain::error::Validator;
use broker_domain::forum::{ProposalAction, ProposalActionDetail, ProposalSpec};
use broker_domain::lifecycle::Lifecycle;
use broker_domain::platform::GroupKind;
use broker_domain::taxonomy::ConceptKind;
use broker_domain::values::{LongText, Name, optional_long_text};
use broker_store::StoreError;
use broker_store::repo::forum::{self, NewProposal, ProposalFilter, ProposalRecord};
use broker_store::repo::{audit, needs, reference, workshops};
use chrono::Utc;
use serde::Deserialize;
use serde_json::json;
use utoipa::IntoParams;
use uuid::Uuid;

use super::access::{Access, default_platforms};
use crate::app::AppState;
use crate::auth::Identity;
use crate::dto::forum::{
    ProposalActionInput, ProposalDto, ProposalEventDto, ProposalEvents, ProposalInput,
};
use crate::dto::{Page, Paging, csv_param};
use crate::error::ApiError;
use crate::extract::ValidJson;

pub fn dto(r: &ProposalRecord) -> ProposalDto {
    ProposalDto::new(&r.proposal, r.created_at, r.updated_at)
}

/// A reference in the body that does not resolve is a field error, anything else stays itself.
fn unknown(field: &str, reason: &str) -> impl FnOnce(StoreError) -> ApiError {
    let (field, reason) = (field.to_owned(), reason.to_owned());
    move |e| match e {
        StoreError::NotFound { .. } => ApiError::field(field, reason),
        other => other.into(),
    }
}

/// A proposal the caller may read; someone else's is a 404.
async fn readable(
    state: &AppState,
    who: &Identity,
    id: Uuid,
) -> Result<(ProposalRecord, Access), ApiError> {
    let record = forum::get_proposal(state.store.conn(), id).await?;
    let access = Access::of(state.store.conn(), who, record.proposal.platform_id).await?;
    access.must_read("proposal")?;
    Ok((record, access))
}

/// Checks that every gap entry names a competence concept and an area of the platform: one of
/// its municipalities, its region's key, or the key of a cluster inside it.
async fn check_gap_entries(
    state: &AppState,
    spec: &ProposalSpec,
    platform: &reference::PlatformRecord,
    v: &mut Validator,
) -> Result<(), ApiError> {
    if spec.gap_entries.is_empty() {
        return Ok(());
    }
    let conn = state.store.conn();
    let region_key = reference::list_regions(conn)
        .await?
        .into_iter()
        .find(|r| r.region.id == platform.region_id)
        .map(|r| r.key);
    let cluster_keys: Vec<String> = reference::list_clusters(conn)
        .await?
        .into_iter()
        .filter(|c| {
            !c.municipalities.is_empty()
                && c.municipalities
                    .iter()
                    .all(|m| platform.municipalities.contains(m))
        })
        .map(|c| c.key)
        .collect();
    for (i, g) in spec.gap_entries.iter().enumerate() {
        if state
            .matcher
            .concept(g.competence_id)
            .is_none_or(|c| c.kind != ConceptKind::Competence)
        {
            v.fail(
                format!("gap_entries[{i}].competence_id"),
                "no competence concept with this id",
            );
        }
        let known = if g.is_municipality() {
            platform.municipalities.contains(&g.area)
        } else {
            region_key.as_deref() == Some(g.area.as_str()) || cluster_keys.contains(&g.area)
        };
        if !known {
            v.fail(
                format!("gap_entries[{i}].area"),
                format!("not a municipality, cluster or region of {}", platform.name),
            );
        }
    }
    Ok(())
}

/// Drafts a proposal in a group, linked to the needs and gap entries that motivated it.
#[utoipa::path(
    operation_id = "createProposal",
    tag = "forum",
    request_body = ProposalInput,
    security(("bearer" = [])),
    responses(
        (status = 201, body = ProposalDto),
        (status = 401, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json")
    )
)]
#[post("/api/v1/proposals")]
pub async fn create(
    state: web::Data<AppState>,
    who: Identity,
    ValidJson(input): ValidJson<ProposalInput>,
) -> Result<HttpResponse, ApiError> {
    let conn = state.store.conn();
    let group = forum::get_group(conn, input.group_id)
        .await
        .map_err(unknown("group_id", "no such group"))?;
    Access::of(conn, &who, group.platform_id)
        .await?
        .must_work_in(Some(group.id), "draft proposals for this group")?;
    let gaps: Vec<(Uuid, String)> = input
        .gap_entries
        .iter()
        .map(|g| (g.competence_id, g.area.clone()))
        .collect();
    let spec = ProposalSpec::parse(
        &input.title,
        input.description.as_deref(),
        &input.need_ids,
        &gaps,
    )?;
    let platform = reference::get_platform(conn, group.platform_id).await?;
    let mut v = Validator::new();
    if !group.period.contains(Utc::now().date_naive()) {
        v.fail(
            "group_id",
            "the group's period is not now; draft in the current period's group",
        );
    }
    let found = needs::get_many(conn, &spec.need_ids).await?;
    for (i, id) in spec.need_ids.iter().enumerate() {
        let ours = found.iter().any(|n| {
            n.need.id == *id
                && platform
                    .municipalities
                    .iter()
                    .any(|m| m == n.need.spec.municipality.as_str())
        });
        if !ours {
            v.fail(
                format!("need_ids[{i}]"),
                format!(
                    "no need with this id in a municipality of {}",
                    platform.name
                ),
            );
        }
    }
    check_gap_entries(&state, &spec, &platform, &mut v).await?;
    v.finish()?;
    let txn = state.store.begin().await?;
    let saved = forum::insert_proposal(
        &txn,
        &NewProposal {
            id: Uuid::now_v7(),
            platform_id: group.platform_id,
            group_id: Some(group.id),
            spec,
        },
    )
    .await?;
    audit::record(
        &txn,
        audit::AuditEntry {
            actor: who.subject().to_owned(),
            actor_role: Some(who.role().as_str()),
            actor_organisation: who.claims().organisation,
            action: "proposal.create".into(),
            entity: "proposal",
            entity_id: Some(saved.proposal.id),
            before: None,
            after: serde_json::to_value(dto(&saved)).ok(),
        },
    )
    .await?;
    txn.commit().await.map_err(ApiError::internal)?;
    Ok(HttpResponse::Created()
        .insert_header((
            "Location",
            format!("/api/v1/proposals/{}", saved.proposal.id),
        ))
        .json(dto(&saved)))
}

#[derive(Debug, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
#[serde(deny_unknown_fields)]
pub struct ProposalQuery {
    /// The platform (required unless you are an admin or a broker, or name a group).
    pub platform: Option<Uuid>,
    /// Only proposals drafted by this group.
    pub group: Option<Uuid>,
    /// Statuses, comma-separated.
    pub status: Option<String>,
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u64>,
    pub offset: Option<u64>,
}

/// Proposals by platform, group and status, oldest first.
#[utoipa::path(
    operation_id = "listProposals",
    tag = "forum",
    params(ProposalQuery),
    security(("bearer" = [])),
    responses(
        (status = 200, body = Page<ProposalDto>),
        (status = 401, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json")
    )
)]
#[get("/api/v1/proposals")]
pub async fn list(
    state: web::Data<AppState>,
    who: Identity,
    query: crate::extract::ValidQuery<ProposalQuery>,
    req: HttpRequest,
) -> Result<HttpResponse, ApiError> {
    let (limit, offset) = Paging {
        limit: query.limit,
        offset: query.offset,
    }
    .resolve()?;
    let statuses = csv_param(query.status.as_deref());
    for s in &statuses {
        broker_domain::forum::ProposalStatus::parse(s)
            .map_err(|e| ApiError::from(e.under("status")))?;
    }
    let conn = state.store.conn();
    let platform = match (query.platform, query.group) {
        (Some(p), _) => Some(p),
        (None, Some(g)) => Some(
            forum::get_group(conn, g)
                .await
                .map_err(unknown("group", "no such group"))?
                .platform_id,
        ),
        (None, None) => None,
    };
    let scope_platforms = match platform {
        Some(p) => {
            Access::of(conn, &who, p).await?.must_read_platform()?;
            None
        }
        None => default_platforms(&who)?,
    };
    let filter = ProposalFilter {
        scope_platforms,
        platform,
        group: query.group,
        statuses,
    };
    let page = forum::list_proposals(conn, &filter, limit, offset).await?;
    Ok(HttpResponse::Ok().json(Page::new(
        page.items.iter().map(dto).collect(),
        page.total,
        limit,
        offset,
        &req,
    )))
}

/// One proposal.
#[utoipa::path(
    operation_id = "getProposal",
    tag = "forum",
    params(("id" = Uuid, Path)),
    security(("bearer" = [])),
    responses(
        (status = 200, body = ProposalDto),
        (status = 401, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json")
    )
)]
#[get("/api/v1/proposals/{id}")]
pub async fn get(
    state: web::Data<AppState>,
    who: Identity,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    let (record, _) = readable(&state, &who, *id).await?;
    Ok(HttpResponse::Ok().json(dto(&record)))
}

impl ProposalActionInput {
    fn action_and_version(&self) -> (ProposalAction, i64) {
        use ProposalAction as A;
        match self {
            Self::Submit { version, .. } => (A::Submit, *version),
            Self::Discuss { version, .. } => (A::Discuss, *version),
            Self::Refine { version, .. } => (A::Refine, *version),
            Self::DecideGo { version, .. } => (A::DecideGo, *version),
            Self::DecideNoGo { version, .. } => (A::DecideNoGo, *version),
            Self::AcceptResponsibility { version, .. } => (A::AcceptResponsibility, *version),
            Self::DeclineResponsibility { version, .. } => (A::DeclineResponsibility, *version),
            Self::Start { version, .. } => (A::Start, *version),
            Self::Complete { version, .. } => (A::Complete, *version),
            Self::Evaluate { version, .. } => (A::Evaluate, *version),
        }
    }
}

/// Who may take which step: the steering group (or a broker) decides; an organisation answers
/// for itself (or a broker records its answer); the group's members, the coordination team and
/// brokers do the rest.
fn may_act(
    who: &Identity,
    access: &Access,
    record: &ProposalRecord,
    input: &ProposalActionInput,
) -> Result<(), ApiError> {
    use ProposalActionInput as I;
    match input {
        I::DecideGo { .. } | I::DecideNoGo { .. } => {
            if access.manager || access.member_of_kind(GroupKind::SteeringGroup) {
                Ok(())
            } else {
                Err(ApiError::Forbidden(
                    "the steering group or a broker decides on proposals".into(),
                ))
            }
        }
        I::AcceptResponsibility {
            organisation_id, ..
        }
        | I::DeclineResponsibility {
            organisation_id, ..
        } => {
            if access.manager || who.claims().organisation == Some(*organisation_id) {
                Ok(())
            } else {
                Err(ApiError::Forbidden(
                    "an organisation answers for itself (or a broker records its answer)".into(),
                ))
            }
        }
        _ => access.must_work_in(record.proposal.group_id, "work on this proposal"),
    }
}

/// Turns an action's body into the domain's detail (checking every reference) and the event's
/// record of it.
async fn resolve(
    state: &AppState,
    record: &ProposalRecord,
    input: ProposalActionInput,
) -> Result<(ProposalActionDetail, serde_json::Value), ApiError> {
    use ProposalActionInput as I;
    let conn = state.store.conn();
    let platform_id = record.proposal.platform_id;
    let mut v = Validator::new();
    let result = match input {
        I::Submit { note, .. } | I::Start { note, .. } | I::Complete { note, .. } => {
            let note = v
                .check("note", optional_long_text(note.as_deref()))
                .flatten();
            let event = json!({ "note": note });
            (ProposalActionDetail::Note(note), event)
        }
        I::Discuss {
            workshop_id, input, ..
        } => {
            let workshop = workshops::get(conn, workshop_id)
                .await
                .map_err(unknown("workshop_id", "no such workshop"))?;
            if workshop.platform_id != platform_id {
                v.fail("workshop_id", "no such workshop on the proposal's platform");
            }
            let input = v.check("input", LongText::parse(&input));
            std::mem::take(&mut v).finish()?;
            let input = input.ok_or_else(|| ApiError::field("input", "invalid"))?;
            let event = json!({
                "workshop_id": workshop.id,
                "workshop": workshop.title,
                "held_on": workshop.held_on,
                "input": input,
            });
            (
                ProposalActionDetail::WorkshopInput { workshop_id, input },
                event,
            )
        }
        I::Refine {
            changes,
            title,
            description,
            ..
        } => {
            let changes = v.check("changes", LongText::parse(&changes));
            let title = v
                .check("title", title.as_deref().map(Name::parse).transpose())
                .flatten();
            let description = v
                .check("description", optional_long_text(description.as_deref()))
                .flatten();
            std::mem::take(&mut v).finish()?;
            let changes = changes.ok_or_else(|| ApiError::field("changes", "invalid"))?;
            let event = json!({ "changes": changes, "title": title, "description": description });
            (
                ProposalActionDetail::Refinement {
                    changes,
                    title,
                    description,
                },
                event,
            )
        }
        I::DecideGo {
            decided_by,
            decided_by_group_id,
            decided_on,
            rationale,
            ..
        }
        | I::DecideNoGo {
            decided_by,
            decided_by_group_id,
            decided_on,
            rationale,
            ..
        } => {
            let group = match decided_by_group_id {
                Some(g) => Some(
                    forum::get_group(conn, g)
                        .await
                        .map_err(unknown("decided_by_group_id", "no such group"))?,
                ),
                None => None,
            };
            if group.as_ref().is_some_and(|g| g.platform_id != platform_id) {
                v.fail(
                    "decided_by_group_id",
                    "no such group on the proposal's platform",
                );
            }
            let by = decided_by
                .filter(|d| !d.trim().is_empty())
                .or_else(|| group.as_ref().map(|g| g.name.as_str().to_owned()));
            let decided_by = match by {
                Some(by) => v.check("decided_by", Name::parse(&by)),
                None => {
                    v.fail(
                        "decided_by",
                        "say who decided: decided_by, decided_by_group_id or both",
                    );
                    None
                }
            };
            let rationale = v
                .check("rationale", optional_long_text(rationale.as_deref()))
                .flatten();
            std::mem::take(&mut v).finish()?;
            let decided_by = decided_by.ok_or_else(|| ApiError::field("decided_by", "invalid"))?;
            let decided_on = decided_on.unwrap_or_else(|| Utc::now().date_naive());
            let event = json!({
                "decided_by": decided_by,
                "decided_by_group_id": decided_by_group_id,
                "decided_on": decided_on,
                "rationale": rationale,
            });
            (
                ProposalActionDetail::Decision {
                    decided_by,
                    decided_by_group_id,
                    decided_on,
                    rationale,
                },
                event,
            )
        }
        I::AcceptResponsibility {
            organisation_id,
            note,
            ..
        }
        | I::DeclineResponsibility {
            organisation_id,
            reason: note,
            ..
        } => {
            let organisation = reference::get_organisation(conn, organisation_id)
                .await
                .map_err(unknown("organisation_id", "no such organisation"))?;
            let note = v
                .check("note", optional_long_text(note.as_deref()))
                .flatten();
            std::mem::take(&mut v).finish()?;
            let event = json!({
                "organisation_id": organisation.id,
                "organisation": organisation.name,
                "note": note,
            });
            (
                ProposalActionDetail::Responsibility {
                    organisation_id,
                    note,
                },
                event,
            )
        }
        I::Evaluate { effects, .. } => {
            let effects = v.check("effects", LongText::parse(&effects));
            std::mem::take(&mut v).finish()?;
            let effects = effects.ok_or_else(|| ApiError::field("effects", "invalid"))?;
            let event = json!({ "effects": effects });
            (ProposalActionDetail::Effects(effects), event)
        }
    };
    v.finish()?;
    Ok(result)
}

/// Takes one step of a proposal's road for `who`: scope, version, lifecycle, body, then one
/// transaction with the event, the workshop input (for `discuss`) and the audit entry.
pub async fn act(
    state: &AppState,
    who: &Identity,
    id: Uuid,
    input: ProposalActionInput,
) -> Result<ProposalRecord, ApiError> {
    let (record, access) = readable(state, who, id).await?;
    may_act(who, &access, &record, &input)?;
    let (action, version) = input.action_and_version();
    let current = record.proposal.version;
    if i64::from(current) != version {
        return Err(ApiError::Conflict(format!(
            "proposal: it was changed by someone else (current version {current}); reload and try again"
        )));
    }
    // The lifecycle answers before the body's references are looked up.
    record.proposal.status.transition(action)?;
    let workshop_input = match &input {
        ProposalActionInput::Discuss {
            workshop_id, input, ..
        } => Some((*workshop_id, input.trim().to_owned())),
        _ => None,
    };
    let (detail, event) = resolve(state, &record, input).await?;
    let mut after = record.proposal.clone();
    after.apply(action, detail)?;
    let txn = state.store.begin().await?;
    let saved = forum::save_proposal_action(
        &txn,
        current,
        record.proposal.status,
        &after,
        action,
        event,
        who.subject(),
    )
    .await?;
    if let Some((workshop_id, text)) = workshop_input {
        workshops::add_input(&txn, workshop_id, id, &text, who.subject()).await?;
    }
    audit::record(
        &txn,
        audit::AuditEntry {
            actor: who.subject().to_owned(),
            actor_role: Some(who.role().as_str()),
            actor_organisation: who.claims().organisation,
            action: format!("proposal.{}", action.as_str()),
            entity: "proposal",
            entity_id: Some(id),
            before: serde_json::to_value(dto(&record)).ok(),
            after: serde_json::to_value(dto(&saved)).ok(),
        },
    )
    .await?;
    txn.commit().await.map_err(ApiError::internal)?;
    Ok(saved)
}

/// Moves a proposal one step: `submit`, `discuss` (a workshop's input), `refine` (changes),
/// `decide_go` / `decide_no_go` (by whom), `accept_responsibility` / `decline_responsibility`
/// (which organisation), `start`, `complete`, `evaluate` (effects). Send the `version` you saw.
#[utoipa::path(
    operation_id = "actOnProposal",
    tag = "forum",
    params(("id" = Uuid, Path)),
    request_body = ProposalActionInput,
    security(("bearer" = [])),
    responses(
        (status = 200, body = ProposalDto),
        (status = 401, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 403, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 409, description = "`invalid_transition` (the step does not exist from the current status) or `conflict` (stale version)", body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 422, body = crate::error::Problem, content_type = "application/problem+json")
    )
)]
#[post("/api/v1/proposals/{id}/actions")]
pub async fn take_action(
    state: web::Data<AppState>,
    who: Identity,
    id: web::Path<Uuid>,
    ValidJson(input): ValidJson<ProposalActionInput>,
) -> Result<HttpResponse, ApiError> {
    let saved = act(&state, &who, *id, input).await?;
    Ok(HttpResponse::Ok().json(dto(&saved)))
}

/// A proposal's history: every step with who took it and what it recorded.
#[utoipa::path(
    operation_id = "listProposalEvents",
    tag = "forum",
    params(("id" = Uuid, Path)),
    security(("bearer" = [])),
    responses(
        (status = 200, body = ProposalEvents),
        (status = 401, body = crate::error::Problem, content_type = "application/problem+json"),
        (status = 404, body = crate::error::Problem, content_type = "application/problem+json")
    )
)]
#[get("/api/v1/proposals/{id}/events")]
pub async fn events(
    state: web::Data<AppState>,
    who: Identity,
    id: web::Path<Uuid>,
) -> Result<HttpResponse, ApiError> {
    readable(&state, &who, *id).await?;
    let items = forum::proposal_events(state.store.conn(), *id)
        .await?
        .into_iter()
        .map(|e| ProposalEventDto {
            action: e.action.as_str().to_owned(),
            from: e.from.as_str().to_owned(),
            to: e.to.as_str().to_owned(),
            detail: e.detail,
            actor: e.actor,
            at: e.at,
        })
        .collect();
    Ok(HttpResponse::Ok().json(ProposalEvents { items }))
}
