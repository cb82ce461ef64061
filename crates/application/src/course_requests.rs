//! Course requests and their decision workflow (moved here from the api crate's handlers): a
//! broker pools needs into one request, sends it, providers answer, and the broker commissions
//! one answer, declines them all or cancels the request.
//!
//! Who may see a request and who may change it is [`CourseRequestView`]: brokers see the
//! requests of the platforms they broker (another platform's does not exist for them);
//! providers see sent requests addressed to them or to every provider, and answer them.
//!
//! The write use cases run inside the caller's transaction, as [`crate::needs::act`] does, so
//! the adapter can add what it alone knows (an audit entry built from its own documents, the
//! matcher's wake-up) before it commits.

use std::collections::BTreeSet;

use broker_domain::course_request::{
    Answer, AnswerDraft, AnswerResponse, CourseRequestAction, CourseRequestDraft,
    CourseRequestSpec, CourseRequestStatus, PooledNeed,
};
use broker_domain::error::FieldError;
use broker_domain::lifecycle::Lifecycle;
use broker_domain::need::NeedStatus;
use broker_domain::offer::OfferStatus;
use broker_domain::organisation::OrganisationKind;
use broker_store::Page;
use broker_store::repo::course_requests::{
    self, AnswerRecord, CourseRequestEvent, CourseRequestFilter, CourseRequestRecord,
    TransitionDetail,
};
use broker_store::repo::needs::{self, NeedRecord};
use broker_store::repo::{offers, reference};
use chrono::NaiveDate;
use sea_orm::ConnectionTrait;
use uuid::Uuid;

use crate::access::NeedAccess;
use crate::{Actor, AppError, Role};

/// What creating a request asks of the world beyond the database: the platforms the service
/// knows (the api keeps them in memory).
pub trait PlatformDirectory {
    /// Whether a platform with this id exists.
    fn knows_platform(&self, id: Uuid) -> bool;
}

/// How an actor sees a course request, and so what it may do with it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CourseRequestView {
    /// An admin or a broker of the request's platform: everything, and the decisions.
    Broker,
    /// The education provider the request is addressed to: no need, employer or person
    /// details; it answers.
    Provider(Uuid),
}

impl CourseRequestView {
    /// How `actor` sees `request`. Someone else's request is not found; roles without a view of
    /// course requests are forbidden.
    pub fn of(actor: &Actor, request: &CourseRequestRecord) -> Result<Self, AppError> {
        match actor.role {
            Role::Admin => Ok(Self::Broker),
            Role::Broker if actor.covers_platform(request.platform_id) => Ok(Self::Broker),
            Role::Broker => Err(AppError::NotFound("course_request")),
            Role::Provider => {
                let organisation = own_organisation(actor)?;
                if request.status.visible_to_providers() && request.spec.addresses(organisation) {
                    Ok(Self::Provider(organisation))
                } else {
                    Err(AppError::NotFound("course_request"))
                }
            }
            Role::MunicipalContact | Role::Employer => Err(not_for_this_role()),
        }
    }

    /// The listing counterpart of [`Self::of`]: narrows `filter` to the requests `actor` may
    /// see and says how it sees them. Providers do not learn which requests pool a given need.
    pub fn restrict(actor: &Actor, filter: &mut CourseRequestFilter) -> Result<Self, AppError> {
        match actor.role {
            Role::Admin => Ok(Self::Broker),
            Role::Broker => {
                filter.scope_platforms = Some(actor.platforms.clone());
                Ok(Self::Broker)
            }
            Role::Provider => {
                let organisation = own_organisation(actor)?;
                filter.visible_to_provider = Some(organisation);
                filter.need = None;
                Ok(Self::Provider(organisation))
            }
            Role::MunicipalContact | Role::Employer => Err(not_for_this_role()),
        }
    }

    /// Whose answers the viewer sees: `None` for all of them (a broker), else its own.
    pub fn answers_of(self) -> Option<Uuid> {
        match self {
            Self::Broker => None,
            Self::Provider(organisation) => Some(organisation),
        }
    }

    /// What the viewer may do next with a request in `status`, given how many answers it sees
    /// (a provider sees only its own): a broker the lifecycle's moves except receiving an
    /// answer, a provider `answer` while the request takes answers and it has not answered.
    pub fn allowed_actions(self, status: CourseRequestStatus, answers_seen: usize) -> Vec<String> {
        match self {
            Self::Broker => status
                .allowed_actions()
                .into_iter()
                .filter(|a| *a != CourseRequestAction::ReceiveAnswer)
                .map(|a| a.as_str().to_owned())
                .collect(),
            Self::Provider(_) => {
                let open = status
                    .transition(CourseRequestAction::ReceiveAnswer)
                    .is_ok();
                if open && answers_seen == 0 {
                    vec!["answer".to_owned()]
                } else {
                    Vec::new()
                }
            }
        }
    }
}

/// Only the request's broker (or an admin) changes it; a provider who sees it is told so.
fn must_broker(actor: &Actor, request: &CourseRequestRecord) -> Result<(), AppError> {
    match CourseRequestView::of(actor, request)? {
        CourseRequestView::Broker => Ok(()),
        CourseRequestView::Provider(_) => Err(AppError::Forbidden(
            "only the request's broker changes it; providers answer".into(),
        )),
    }
}

fn own_organisation(actor: &Actor) -> Result<Uuid, AppError> {
    actor
        .organisation
        .ok_or_else(|| AppError::Forbidden("the token names no organisation".into()))
}

fn not_for_this_role() -> AppError {
    AppError::Forbidden("course requests are for brokers and education providers".into())
}

fn stored_version(version: i64) -> Result<i32, AppError> {
    i32::try_from(version).map_err(|_| AppError::field("version", "out of range"))
}

/// A request and how the actor sees it.
#[derive(Debug, Clone)]
pub struct SeenCourseRequest {
    pub request: CourseRequestRecord,
    pub view: CourseRequestView,
}

/// Course request `id` as `actor` may see it.
pub async fn get(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    id: Uuid,
) -> Result<SeenCourseRequest, AppError> {
    let request = course_requests::get(conn, id).await?;
    let view = CourseRequestView::of(actor, &request)?;
    Ok(SeenCourseRequest { request, view })
}

/// One page of the requests `actor` may see, newest first; `filter` holds the caller's own
/// criteria. `filter.statuses` must already be valid status names.
pub async fn list(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    mut filter: CourseRequestFilter,
    limit: u64,
    offset: u64,
) -> Result<(Page<CourseRequestRecord>, CourseRequestView), AppError> {
    let view = CourseRequestView::restrict(actor, &mut filter)?;
    Ok((
        course_requests::list(conn, &filter, limit, offset).await?,
        view,
    ))
}

/// The answers to request `id` that `actor` sees: all of them for its broker, their own for a
/// provider.
pub async fn answers(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    id: Uuid,
) -> Result<Vec<AnswerRecord>, AppError> {
    let seen = get(conn, actor, id).await?;
    Ok(course_requests::answers(conn, id, seen.view.answers_of()).await?)
}

/// Request `id`'s history (its broker only).
pub async fn events(
    conn: &impl ConnectionTrait,
    actor: &Actor,
    id: Uuid,
) -> Result<Vec<CourseRequestEvent>, AppError> {
    let request = course_requests::get(conn, id).await?;
    must_broker(actor, &request)?;
    Ok(course_requests::events(conn, id).await?)
}

/// A new course request as the broker sends it: the platform that owns it (optional when the
/// needs share one) and the draft naming the needs to pool.
#[derive(Debug, Clone, Default)]
pub struct NewCourseRequest {
    pub platform_id: Option<Uuid>,
    pub draft: CourseRequestDraft,
}

/// Pools needs into a draft course request inside the caller's transaction `txn`: brokers
/// only, from needs they see that are still active and not in another live request. Every field
/// failure is reported at once; each pooled need's history records the pooling.
pub async fn create(
    txn: &impl ConnectionTrait,
    platforms: &impl PlatformDirectory,
    actor: &Actor,
    command: NewCourseRequest,
    today: NaiveDate,
) -> Result<CourseRequestRecord, AppError> {
    if !matches!(actor.role, Role::Admin | Role::Broker) {
        return Err(AppError::Forbidden("requires role broker".into()));
    }
    let NewCourseRequest { platform_id, draft } = command;
    let found = needs::get_many(txn, &draft.need_ids).await?;
    let mut errors = Vec::new();
    let pooled = poolable_needs(actor, &draft.need_ids, &found, &mut errors);
    let platform_id = owning_platform(platform_id, &pooled, &mut errors);
    if let Some(p) = platform_id
        && !platforms.knows_platform(p)
    {
        errors.push(FieldError::new("platform_id", "no such platform"));
    }
    for (i, organisation) in draft.provider_ids.iter().enumerate() {
        match reference::get_organisation(txn, *organisation).await {
            Ok(o) if o.kind == OrganisationKind::EducationProvider => {}
            Ok(_) => errors.push(FieldError::new(
                format!("provider_ids[{i}]"),
                "the organisation is not an education provider",
            )),
            Err(_) => errors.push(FieldError::new(
                format!("provider_ids[{i}]"),
                "no such organisation",
            )),
        }
    }
    let pooled: Vec<PooledNeed> = pooled.into_iter().map(pooled_need).collect();
    let spec = match CourseRequestSpec::pool(draft, &pooled, today) {
        Ok(spec) => Some(spec),
        Err(e) => {
            // Needs left out above are already reported, with a clearer reason.
            let fresh: Vec<FieldError> = e
                .field_errors()
                .iter()
                .filter(|f| !errors.iter().any(|known| known.field == f.field))
                .cloned()
                .collect();
            errors.extend(fresh);
            None
        }
    };
    let (Some(spec), Some(platform_id), true) = (spec, platform_id, errors.is_empty()) else {
        if errors.is_empty() {
            errors.push(FieldError::new(
                "need_ids",
                "name at least one need to pool",
            ));
        }
        return Err(AppError::Validation(errors));
    };
    if !actor.covers_platform(platform_id) {
        return Err(AppError::Forbidden(
            "you do not broker the platform named by platform_id".into(),
        ));
    }
    if let Some((need, request)) = course_requests::holding(txn, &spec.need_ids)
        .await?
        .into_iter()
        .next()
    {
        return Err(AppError::Conflict(format!(
            "need {need} is already pooled in course request {request}"
        )));
    }
    let id = Uuid::now_v7();
    let record = course_requests::insert(txn, id, platform_id, &spec, &actor.subject).await?;
    for need in &spec.need_ids {
        let detail = serde_json::json!({
            "course_request_id": id,
            "title": spec.title.as_str(),
            "total_headcount": spec.total_headcount,
        });
        needs::add_event(txn, *need, "pooled", detail, &actor.subject).await?;
    }
    Ok(record)
}

/// The named needs that may be pooled, in the order named; each one that may not is reported
/// under its position. A need the actor cannot see reads as absent.
fn poolable_needs<'a>(
    actor: &Actor,
    named: &[Uuid],
    found: &'a [NeedRecord],
    errors: &mut Vec<FieldError>,
) -> Vec<&'a NeedRecord> {
    let mut pooled = Vec::new();
    for (i, id) in named.iter().enumerate() {
        match found.iter().find(|n| n.need.id == *id) {
            Some(n) if NeedAccess::may_see(actor, &n.need) => {
                if n.need.status.is_active() {
                    pooled.push(n);
                } else {
                    errors.push(FieldError::new(
                        format!("need_ids[{i}]"),
                        format!(
                            "the need is {}; only open, in-review or pooled needs go into a course request",
                            n.need.status
                        ),
                    ));
                }
            }
            _ => errors.push(FieldError::new(
                format!("need_ids[{i}]"),
                "no such need on a platform you broker",
            )),
        }
    }
    pooled
}

/// The platform that owns the request: the one named, else the one platform the pooled needs
/// share (none when no need is pooled; a field error when they sit on several).
fn owning_platform(
    named: Option<Uuid>,
    pooled: &[&NeedRecord],
    errors: &mut Vec<FieldError>,
) -> Option<Uuid> {
    if named.is_some() {
        return named;
    }
    let platforms: BTreeSet<Uuid> = pooled.iter().map(|n| n.need.platform_id).collect();
    match platforms.len() {
        0 => None,
        1 => platforms.into_iter().next(),
        _ => {
            errors.push(FieldError::new(
                "platform_id",
                "the needs sit on several platforms; name the one that owns the request",
            ));
            None
        }
    }
}

fn pooled_need(n: &NeedRecord) -> PooledNeed {
    PooledNeed {
        id: n.need.id,
        municipality: n.need.spec.municipality.clone(),
        headcount: n.need.spec.headcount,
        competences: n.need.spec.competences.clone(),
        needed_by: n.need.spec.needed_by,
        delivery: n.need.spec.delivery,
    }
}

/// A request before and after a move along its lifecycle.
#[derive(Debug, Clone)]
pub struct MovedCourseRequest {
    pub from: CourseRequestStatus,
    pub after: CourseRequestRecord,
}

/// Sends draft request `id` to its providers inside the caller's transaction `txn` (its broker
/// only; `version` must be current).
pub async fn send(
    txn: &impl ConnectionTrait,
    actor: &Actor,
    id: Uuid,
    version: i64,
) -> Result<MovedCourseRequest, AppError> {
    let current = course_requests::get(txn, id).await?;
    must_broker(actor, &current)?;
    let version = stored_version(version)?;
    let (from, after) = course_requests::transition(
        txn,
        id,
        Some(version),
        CourseRequestAction::Send,
        TransitionDetail {
            event: serde_json::json!({
                "open_to_all": current.spec.provider_ids.is_empty(),
                "addressed_to": current.spec.provider_ids,
            }),
            ..Default::default()
        },
        &actor.subject,
    )
    .await?;
    Ok(MovedCourseRequest { from, after })
}

/// A provider's answer and the request it moved.
#[derive(Debug, Clone)]
pub struct AnsweredCourseRequest {
    pub from: CourseRequestStatus,
    pub after: CourseRequestRecord,
    pub answer: AnswerRecord,
}

/// A provider answers sent request `id` inside the caller's transaction `txn`: one answer per
/// provider, naming only an offer of its own that is not archived.
pub async fn answer(
    txn: &impl ConnectionTrait,
    actor: &Actor,
    id: Uuid,
    draft: AnswerDraft,
    today: NaiveDate,
) -> Result<AnsweredCourseRequest, AppError> {
    let current = course_requests::get(txn, id).await?;
    let CourseRequestView::Provider(organisation) = CourseRequestView::of(actor, &current)? else {
        return Err(AppError::Forbidden(
            "education providers answer course requests".into(),
        ));
    };
    let answer = Answer::parse(draft, today)?;
    if let Some(offer_id) = answer.offer_id {
        match offers::get(txn, offer_id).await {
            Ok(o) if o.spec.provider_id == organisation && o.status != OfferStatus::Archived => {}
            _ => {
                return Err(AppError::field(
                    "offer_id",
                    "not one of your current (draft or published) offers",
                ));
            }
        }
    }
    if !course_requests::answers(txn, id, Some(organisation))
        .await?
        .is_empty()
    {
        return Err(AppError::Conflict(
            "your organisation has already answered this request".into(),
        ));
    }
    let (from, after) = course_requests::transition(
        txn,
        id,
        None,
        CourseRequestAction::ReceiveAnswer,
        TransitionDetail {
            event: serde_json::json!({
                "provider_id": organisation,
                "response": answer.response.as_str(),
            }),
            ..Default::default()
        },
        &actor.subject,
    )
    .await?;
    let answer =
        course_requests::insert_answer(txn, id, organisation, &answer, &actor.subject).await?;
    Ok(AnsweredCourseRequest {
        from,
        after,
        answer,
    })
}

/// The broker's decision as sent: `decision` is `commission` (naming `answer_id`), `decline`
/// (with a `reason`) or `cancel`.
#[derive(Debug, Clone, Default)]
pub struct DecideCourseRequest {
    /// The version the broker saw.
    pub version: i64,
    pub decision: String,
    pub answer_id: Option<Uuid>,
    pub reason: Option<String>,
}

/// A decided request: the move, the answer commissioned, and the needs the decision matched.
#[derive(Debug, Clone)]
pub struct DecidedCourseRequest {
    pub action: CourseRequestAction,
    pub from: CourseRequestStatus,
    pub after: CourseRequestRecord,
    /// The answer a commission chose.
    pub chosen: Option<AnswerRecord>,
    /// The reason as stored (trimmed), when one was given.
    pub reason: Option<String>,
    /// Pooled needs the commission moved to `matched`; their suggestions are due a rematch.
    pub matched_needs: Vec<Uuid>,
}

/// The broker decides request `id` inside the caller's transaction `txn`: commissions one
/// answer (every other answer is not chosen, and each pooled need that still may becomes
/// matched), declines every answer with a reason, or cancels the request. Each pooled need's
/// history records the decision.
pub async fn decide(
    txn: &impl ConnectionTrait,
    actor: &Actor,
    id: Uuid,
    command: DecideCourseRequest,
) -> Result<DecidedCourseRequest, AppError> {
    let current = course_requests::get(txn, id).await?;
    must_broker(actor, &current)?;
    let version = stored_version(command.version)?;
    let reason = broker_domain::values::optional_long_text(command.reason.as_deref())
        .map_err(|e| AppError::from(e.under("reason")))?
        .map(|r| r.into_inner());
    let decision = Decision::parse(
        current.status,
        &command.decision,
        command.answer_id,
        reason.as_deref(),
    )?;
    let chosen = match decision {
        Decision::Commission(answer_id) => {
            let chosen = course_requests::answers(txn, id, None)
                .await?
                .into_iter()
                .find(|a| a.id == answer_id)
                .ok_or_else(|| AppError::field("answer_id", "not an answer to this request"))?;
            commissionable(&chosen)?;
            Some(chosen)
        }
        Decision::Decline | Decision::Cancel => None,
    };
    let action = decision.action();
    let chosen_id = chosen.as_ref().map(|a| a.id);
    let (from, after) = course_requests::transition(
        txn,
        id,
        Some(version),
        action,
        TransitionDetail {
            commissioned_answer_id: chosen_id,
            reason: reason.clone(),
            event: serde_json::json!({"answer_id": chosen_id, "reason": reason}),
        },
        &actor.subject,
    )
    .await?;
    course_requests::settle_answers(txn, id, chosen_id).await?;
    let mut matched_needs = Vec::new();
    for need_id in &after.spec.need_ids {
        let need = needs::get(txn, *need_id).await?;
        let detail = match &chosen {
            Some(a) => {
                let status = if crate::matches::match_answered_need(txn, &need).await? {
                    matched_needs.push(*need_id);
                    NeedStatus::Matched
                } else {
                    need.need.status
                };
                serde_json::json!({
                    "course_request_id": id,
                    "title": after.spec.title.as_str(),
                    "answer_id": a.id,
                    "provider_id": a.provider_id,
                    "offer_id": a.answer.offer_id,
                    "status": status.as_str(),
                })
            }
            None => serde_json::json!({
                "course_request_id": id,
                "title": after.spec.title.as_str(),
                "reason": reason,
            }),
        };
        needs::add_event(txn, *need_id, decision.need_event(), detail, &actor.subject).await?;
    }
    Ok(DecidedCourseRequest {
        action,
        from,
        after,
        chosen,
        reason,
        matched_needs,
    })
}

/// A decision, checked against the request's status and what it names.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Decision {
    /// Commission the answer with this id.
    Commission(Uuid),
    Decline,
    Cancel,
}

impl Decision {
    /// Reads a decision as sent. The decision must be known; then the lifecycle speaks (a
    /// refused move is a conflict whatever else the request says); then a commission must name
    /// an answer, a decline must say why, and nothing else names an answer.
    fn parse(
        status: CourseRequestStatus,
        raw: &str,
        answer_id: Option<Uuid>,
        reason: Option<&str>,
    ) -> Result<Self, AppError> {
        let action = match raw {
            "commission" => CourseRequestAction::Commission,
            "decline" => CourseRequestAction::Decline,
            "cancel" => CourseRequestAction::Cancel,
            other => {
                return Err(AppError::field(
                    "decision",
                    format!("`{other}` is not one of: commission, decline, cancel"),
                ));
            }
        };
        status.transition(action).map_err(AppError::Transition)?;
        match action {
            CourseRequestAction::Commission => answer_id
                .map(Self::Commission)
                .ok_or_else(|| AppError::field("answer_id", "name the answer to commission")),
            CourseRequestAction::Decline if reason.is_none() => {
                Err(AppError::field("reason", "say why no answer fits"))
            }
            _ if answer_id.is_some() => Err(AppError::field(
                "answer_id",
                "only a commission names an answer",
            )),
            CourseRequestAction::Decline => Ok(Self::Decline),
            _ => Ok(Self::Cancel),
        }
    }

    fn action(self) -> CourseRequestAction {
        match self {
            Self::Commission(_) => CourseRequestAction::Commission,
            Self::Decline => CourseRequestAction::Decline,
            Self::Cancel => CourseRequestAction::Cancel,
        }
    }

    /// The kind of event each pooled need's history records for the decision.
    fn need_event(self) -> &'static str {
        match self {
            Self::Commission(_) => "commissioned",
            Self::Decline => "course_request_declined",
            Self::Cancel => "course_request_cancelled",
        }
    }
}

/// Only an answer that offers the course can be commissioned.
fn commissionable(answer: &AnswerRecord) -> Result<(), AppError> {
    if answer.answer.response == AnswerResponse::Decline {
        return Err(AppError::field(
            "answer_id",
            "that answer declined; commission an answer that offers the course",
        ));
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use broker_domain::course_request::AnswerStatus;

    use super::*;
    use crate::needs::tests::{actor, need_in, today};

    const HOME: &str = "1438";

    fn platform() -> Uuid {
        Uuid::from_u128(0x10)
    }

    fn provider() -> Uuid {
        Uuid::from_u128(0x30)
    }

    /// A request on [`platform`] pooling one need, addressed to `addressees` (none: everyone).
    fn request(status: CourseRequestStatus, addressees: &[Uuid]) -> CourseRequestRecord {
        let need = need_in(HOME, platform(), None);
        let draft = CourseRequestDraft {
            title: "Svetsning för nio".into(),
            need_ids: vec![need.id],
            provider_ids: addressees.to_vec(),
            ..Default::default()
        };
        let pooled = PooledNeed {
            id: need.id,
            municipality: need.spec.municipality.clone(),
            headcount: need.spec.headcount,
            competences: need.spec.competences.clone(),
            needed_by: need.spec.needed_by,
            delivery: need.spec.delivery,
        };
        let spec = CourseRequestSpec::pool(draft, &[pooled], today())
            .unwrap_or_else(|e| unreachable!("the test draft is valid: {e}"));
        CourseRequestRecord {
            id: Uuid::from_u128(0x77),
            platform_id: platform(),
            spec,
            status,
            commissioned_answer_id: None,
            decision_reason: None,
            created_by: "broker".into(),
            version: 1,
            created_at: chrono::DateTime::default(),
            updated_at: chrono::DateTime::default(),
            sent_at: None,
        }
    }

    fn broker_of(platform: Uuid) -> Actor {
        Actor {
            platforms: vec![platform],
            ..actor(Role::Broker)
        }
    }

    fn provider_of(organisation: Uuid) -> Actor {
        Actor {
            organisation: Some(organisation),
            ..actor(Role::Provider)
        }
    }

    fn answer_with(response: AnswerResponse) -> AnswerRecord {
        AnswerRecord {
            id: Uuid::from_u128(0x88),
            course_request_id: Uuid::from_u128(0x77),
            provider_id: provider(),
            answer: Answer {
                response,
                offer_id: None,
                proposal: None,
                price: None,
                seats: None,
                start: None,
                note: None,
            },
            status: AnswerStatus::Submitted,
            answered_by: "provider".into(),
            created_at: chrono::DateTime::default(),
        }
    }

    fn field_of(error: AppError) -> Option<String> {
        match error {
            AppError::Validation(errors) => errors.first().map(|e| e.field.clone()),
            _ => None,
        }
    }

    #[test]
    fn admins_and_the_platforms_brokers_see_everything_other_brokers_nothing() {
        let sent = request(CourseRequestStatus::Sent, &[]);
        for who in [actor(Role::Admin), broker_of(platform())] {
            assert_eq!(
                CourseRequestView::of(&who, &sent).ok(),
                Some(CourseRequestView::Broker)
            );
        }
        let other = CourseRequestView::of(&broker_of(Uuid::from_u128(0x11)), &sent);
        assert!(matches!(other, Err(AppError::NotFound("course_request"))));
    }

    #[test]
    fn a_provider_sees_a_sent_request_addressed_to_it_or_to_everyone() {
        let me = provider_of(provider());
        for addressees in [vec![], vec![provider()]] {
            let sent = request(CourseRequestStatus::Sent, &addressees);
            assert_eq!(
                CourseRequestView::of(&me, &sent).ok(),
                Some(CourseRequestView::Provider(provider()))
            );
        }
        let to_another = request(CourseRequestStatus::Sent, &[Uuid::from_u128(0x31)]);
        let draft = request(CourseRequestStatus::Draft, &[]);
        for hidden in [to_another, draft] {
            let seen = CourseRequestView::of(&me, &hidden);
            assert!(matches!(seen, Err(AppError::NotFound(_))), "{seen:?}");
        }
    }

    #[test]
    fn a_provider_without_an_organisation_and_other_roles_are_forbidden() {
        let sent = request(CourseRequestStatus::Sent, &[]);
        for who in [
            actor(Role::Provider),
            actor(Role::Employer),
            actor(Role::MunicipalContact),
        ] {
            let seen = CourseRequestView::of(&who, &sent);
            assert!(matches!(seen, Err(AppError::Forbidden(_))), "{who:?}");
            let listed = CourseRequestView::restrict(&who, &mut CourseRequestFilter::default());
            assert!(matches!(listed, Err(AppError::Forbidden(_))), "{who:?}");
        }
    }

    #[test]
    fn a_listing_is_narrowed_as_the_single_request_check_is() -> Result<(), AppError> {
        let mut filter = CourseRequestFilter {
            need: Some(Uuid::from_u128(0x99)),
            ..Default::default()
        };
        let view = CourseRequestView::restrict(&broker_of(platform()), &mut filter)?;
        assert_eq!(view, CourseRequestView::Broker);
        assert_eq!(filter.scope_platforms, Some(vec![platform()]));
        assert_eq!(filter.need, Some(Uuid::from_u128(0x99)));

        let mut filter = CourseRequestFilter {
            need: Some(Uuid::from_u128(0x99)),
            ..Default::default()
        };
        let view = CourseRequestView::restrict(&provider_of(provider()), &mut filter)?;
        assert_eq!(view, CourseRequestView::Provider(provider()));
        assert_eq!(filter.visible_to_provider, Some(provider()));
        assert_eq!(
            filter.need, None,
            "providers do not learn what pools a need"
        );

        let mut filter = CourseRequestFilter::default();
        CourseRequestView::restrict(&actor(Role::Admin), &mut filter)?;
        assert_eq!(filter.scope_platforms, None);
        assert_eq!(filter.visible_to_provider, None);
        Ok(())
    }

    #[test]
    fn only_the_requests_broker_changes_it() {
        let sent = request(CourseRequestStatus::Sent, &[]);
        assert!(must_broker(&broker_of(platform()), &sent).is_ok());
        let by_provider = must_broker(&provider_of(provider()), &sent);
        assert!(
            matches!(by_provider, Err(AppError::Forbidden(m)) if m.contains("providers answer"))
        );
    }

    #[test]
    fn a_broker_is_offered_the_lifecycles_moves_but_never_receiving_an_answer() {
        let actions = CourseRequestView::Broker.allowed_actions(CourseRequestStatus::Answered, 2);
        assert_eq!(actions, ["commission", "decline", "cancel"]);
        let actions = CourseRequestView::Broker.allowed_actions(CourseRequestStatus::Sent, 0);
        assert_eq!(actions, ["cancel"]);
        let actions = CourseRequestView::Broker.allowed_actions(CourseRequestStatus::Declined, 1);
        assert!(actions.is_empty());
    }

    #[test]
    fn a_provider_may_answer_once_while_the_request_takes_answers() {
        let me = CourseRequestView::Provider(provider());
        assert_eq!(me.allowed_actions(CourseRequestStatus::Sent, 0), ["answer"]);
        assert_eq!(
            me.allowed_actions(CourseRequestStatus::Answered, 0),
            ["answer"]
        );
        assert!(
            me.allowed_actions(CourseRequestStatus::Answered, 1)
                .is_empty()
        );
        assert!(
            me.allowed_actions(CourseRequestStatus::Commissioned, 0)
                .is_empty()
        );
    }

    #[test]
    fn a_broker_sees_every_answer_and_a_provider_its_own() {
        assert_eq!(CourseRequestView::Broker.answers_of(), None);
        assert_eq!(
            CourseRequestView::Provider(provider()).answers_of(),
            Some(provider())
        );
    }

    #[test]
    fn an_unknown_decision_is_a_field_error_before_the_lifecycle_is_asked() {
        let refused = Decision::parse(CourseRequestStatus::Draft, "accept", None, None);
        assert_eq!(
            refused.err().and_then(field_of).as_deref(),
            Some("decision")
        );
    }

    #[test]
    fn the_lifecycle_refuses_a_decision_before_its_fields_are_checked() {
        // A commission of a request nobody answered is a conflict even without an answer id.
        let refused = Decision::parse(CourseRequestStatus::Sent, "commission", None, None);
        assert!(matches!(refused, Err(AppError::Transition(t)) if t.from == "sent"));
        let refused = Decision::parse(CourseRequestStatus::Cancelled, "cancel", None, None);
        assert!(matches!(refused, Err(AppError::Transition(_))));
    }

    #[test]
    fn a_commission_names_an_answer_and_a_decline_says_why() {
        let answer = Uuid::from_u128(0x88);
        let answered = CourseRequestStatus::Answered;
        assert_eq!(
            Decision::parse(answered, "commission", Some(answer), None).ok(),
            Some(Decision::Commission(answer))
        );
        let unnamed = Decision::parse(answered, "commission", None, None);
        assert_eq!(
            unnamed.err().and_then(field_of).as_deref(),
            Some("answer_id")
        );
        let unexplained = Decision::parse(answered, "decline", None, None);
        assert_eq!(
            unexplained.err().and_then(field_of).as_deref(),
            Some("reason")
        );
        assert_eq!(
            Decision::parse(answered, "decline", None, Some("too dear")).ok(),
            Some(Decision::Decline)
        );
    }

    #[test]
    fn only_a_commission_names_an_answer() {
        let answer = Some(Uuid::from_u128(0x88));
        for (decision, reason) in [("decline", Some("too dear")), ("cancel", None)] {
            let refused = Decision::parse(CourseRequestStatus::Answered, decision, answer, reason);
            assert_eq!(
                refused.err().and_then(field_of).as_deref(),
                Some("answer_id"),
                "{decision}"
            );
        }
        assert_eq!(
            Decision::parse(CourseRequestStatus::Draft, "cancel", None, None).ok(),
            Some(Decision::Cancel)
        );
    }

    #[test]
    fn each_decision_moves_the_request_and_tells_the_needs_its_own_way() {
        let answer = Uuid::from_u128(0x88);
        let cases = [
            (
                Decision::Commission(answer),
                CourseRequestAction::Commission,
                "commissioned",
            ),
            (
                Decision::Decline,
                CourseRequestAction::Decline,
                "course_request_declined",
            ),
            (
                Decision::Cancel,
                CourseRequestAction::Cancel,
                "course_request_cancelled",
            ),
        ];
        for (decision, action, event) in cases {
            assert_eq!(decision.action(), action);
            assert_eq!(decision.need_event(), event);
        }
    }

    #[test]
    fn a_declining_answer_cannot_be_commissioned() {
        assert!(commissionable(&answer_with(AnswerResponse::Offer)).is_ok());
        let refused = commissionable(&answer_with(AnswerResponse::Decline)).err();
        assert_eq!(refused.and_then(field_of).as_deref(), Some("answer_id"));
    }
}
