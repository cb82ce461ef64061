//! Use cases on competence needs: where a new or changed need is placed and in which status, who
//! may enter or change it, and withdrawing or fulfilling it.

use std::future::Future;

use broker_domain::need::{Need, NeedAction, NeedDraft, NeedSpec, NeedStatus};
use broker_domain::platform::check_named_platform;
use broker_store::repo::needs::{self, NeedRecord};
use broker_store::repo::reference::PlatformRecord;
use broker_store::repo::{matches, matching_jobs};
use chrono::{Days, NaiveDate};
use sea_orm::ConnectionTrait;
use uuid::Uuid;

use crate::access::NeedAccess;
use crate::forum_routing;
use crate::{Actor, AppError, Role};

/// What placing a need asks of the world beyond the database: the service's in-memory taxonomy
/// and platform cache, and reference lookups the adapter already owns.
pub trait NeedPlacement {
    /// Fills in concept ids for labels the taxonomy knows and checks that named concepts exist.
    fn resolve_requirements(&self, draft: &mut NeedDraft) -> Result<(), AppError>;

    /// The stored key a municipality code as sent names (`SE-1438`, an unambiguous bare code),
    /// or `None` to keep the code as sent.
    fn canonical_municipality(
        &self,
        raw: &str,
    ) -> impl Future<Output = Result<Option<String>, AppError>>;

    /// The platform a need in municipality `code` is routed to first, if any serves it.
    fn home_platform(&self, code: &str) -> Option<PlatformRecord>;

    /// The platform with this id.
    fn platform(&self, id: Uuid) -> impl Future<Output = Result<PlatformRecord, AppError>>;
}

/// A need ready to store: its validated content, the platform it goes to, its status and the
/// day it expires.
#[derive(Debug, Clone)]
pub struct PlacedNeed {
    pub spec: NeedSpec,
    pub platform: PlatformRecord,
    pub status: NeedStatus,
    pub expires_on: NaiveDate,
}

/// Places a new need the actor enters. `requested_status` is the status as sent: a new need is
/// `open` (the default) or `draft`.
pub async fn place_new(
    placement: &impl NeedPlacement,
    actor: &Actor,
    draft: NeedDraft,
    requested_status: Option<&str>,
    today: NaiveDate,
) -> Result<PlacedNeed, AppError> {
    let (spec, platform) = place(placement, actor, draft, None, today).await?;
    let status = match requested_status {
        None | Some("open") => NeedStatus::Open,
        Some("draft") => NeedStatus::Draft,
        Some(other) => {
            return Err(AppError::field(
                "status",
                format!("a new need is `open` or `draft`, not `{other}`"),
            ));
        }
    };
    Ok(finish(spec, platform, status, today))
}

/// Places a changed need: `draft` is the whole need after the change. The need may stay on its
/// platform after that platform's trial has ended; a draft may be opened, any other status
/// change goes through the actions.
pub async fn place_change(
    placement: &impl NeedPlacement,
    actor: &Actor,
    current: &Need,
    draft: NeedDraft,
    requested_status: Option<&str>,
    today: NaiveDate,
) -> Result<PlacedNeed, AppError> {
    NeedAccess::must_see(actor, current)?;
    if actor.role == Role::Broker {
        return Err(AppError::Forbidden(
            "brokers review matches; the need's owner changes it".into(),
        ));
    }
    if current.status.is_final() {
        return Err(AppError::Conflict(format!(
            "a {} need cannot be changed",
            current.status
        )));
    }
    let (spec, platform) = place(placement, actor, draft, Some(current.platform_id), today).await?;
    let status = match requested_status {
        None => current.status,
        Some("open") if current.status == NeedStatus::Draft => NeedStatus::Open,
        Some(other) if other == current.status.as_str() => current.status,
        Some(other) => {
            return Err(AppError::field(
                "status",
                format!(
                    "only a draft can be opened here (got `{other}`); use the action endpoints"
                ),
            ));
        }
    };
    Ok(finish(spec, platform, status, today))
}

/// Stores a need placed by [`place_new`] inside the caller's transaction `txn`: the need, the
/// platform it was routed to, the competence group a forum platform routes it to, and its
/// matching job (run by this instance after commit, by any instance if that one dies).
pub async fn create(
    txn: &impl ConnectionTrait,
    actor: &Actor,
    placed: PlacedNeed,
    today: NaiveDate,
) -> Result<NeedRecord, AppError> {
    let PlacedNeed {
        spec,
        platform,
        status,
        expires_on,
    } = placed;
    let id = Uuid::now_v7();
    let record = needs::insert(
        txn,
        &needs::NewNeed {
            id,
            spec,
            platform_id: platform.id,
            entered_by: actor.subject.clone(),
            status,
            expires_on,
        },
    )
    .await?;
    let routed = serde_json::json!({
        "platform_id": platform.id,
        "platform": platform.name,
        "level": "local",
    });
    needs::add_event(txn, id, "routed", routed, &actor.subject).await?;
    forum_routing::record_group_route(txn, &record, &platform, &actor.subject, today).await?;
    matching_jobs::enqueue_need(txn, id).await?;
    Ok(record)
}

/// Stores a change placed by [`place_change`] inside the caller's transaction `txn`, if
/// `version` is still current: the need as changed, its competence group when that moved, and
/// its matching job.
pub async fn change(
    txn: &impl ConnectionTrait,
    actor: &Actor,
    id: Uuid,
    version: i64,
    placed: PlacedNeed,
    today: NaiveDate,
) -> Result<NeedRecord, AppError> {
    let version = i32::try_from(version).map_err(|_| AppError::field("version", "out of range"))?;
    let after = needs::replace(
        txn,
        id,
        version,
        &placed.spec,
        placed.status,
        placed.expires_on,
    )
    .await?;
    forum_routing::record_group_route(txn, &after, &placed.platform, &actor.subject, today).await?;
    matching_jobs::enqueue_need(txn, id).await?;
    Ok(after)
}

/// A need before and after an action.
#[derive(Debug, Clone)]
pub struct ActedNeed {
    pub before: NeedRecord,
    pub after: NeedRecord,
}

/// Withdraws or fulfils need `id` inside the caller's transaction `txn`: checks the actor may
/// see it and that `version` is current, records the step in the need's history, supersedes
/// its pending suggestions once it has left the queues unmatched, and enqueues its matching job.
pub async fn act(
    txn: &impl ConnectionTrait,
    actor: &Actor,
    id: Uuid,
    action: NeedAction,
    version: i64,
    reason: Option<&str>,
) -> Result<ActedNeed, AppError> {
    let before = needs::get(txn, id).await?;
    NeedAccess::must_see(actor, &before.need)?;
    let version = i32::try_from(version).map_err(|_| AppError::field("version", "out of range"))?;
    let (from, after) = needs::transition(txn, id, Some(version), action).await?;
    let detail = serde_json::json!({
        "from": from.as_str(),
        "to": after.need.status.as_str(),
        "reason": reason,
    });
    needs::add_event(txn, id, action.as_str(), detail, &actor.subject).await?;
    if !after.need.status.is_active() && after.need.status != NeedStatus::Matched {
        matches::supersede_pending(txn, Some(id), Some(id)).await?;
    }
    matching_jobs::enqueue_need(txn, id).await?;
    Ok(ActedNeed { before, after })
}

/// The rules a new and a changed need share: whose need an employer enters, which municipality
/// the actor may enter needs for, and which platform the need goes to.
async fn place(
    placement: &impl NeedPlacement,
    actor: &Actor,
    mut draft: NeedDraft,
    current_platform: Option<Uuid>,
    today: NaiveDate,
) -> Result<(NeedSpec, PlatformRecord), AppError> {
    if actor.role == Role::Employer {
        match (draft.employer_id, actor.organisation) {
            (Some(named), Some(own)) if named != own => {
                return Err(AppError::Forbidden(
                    "employers enter needs for their own organisation only".into(),
                ));
            }
            (_, Some(own)) => draft.employer_id = Some(own),
            (_, None) => {
                return Err(AppError::Forbidden(
                    "the token names no organisation".into(),
                ));
            }
        }
    }
    placement.resolve_requirements(&mut draft)?;
    if let Some(key) = placement
        .canonical_municipality(&draft.municipality)
        .await?
    {
        draft.municipality = key;
    }
    let spec = NeedSpec::parse(draft, today)?;
    let code = spec.municipality.as_str();
    match actor.role {
        Role::Admin | Role::Employer => {}
        Role::MunicipalContact if actor.covers_municipality(code) => {}
        Role::MunicipalContact => {
            return Err(AppError::Forbidden(format!(
                "your token does not cover municipality {code}"
            )));
        }
        Role::Broker | Role::Provider => {
            return Err(AppError::Forbidden(
                "brokers and providers do not enter needs".into(),
            ));
        }
    }
    let home = placement.home_platform(code).ok_or_else(|| {
        AppError::field("municipality", "no platform serves this municipality code")
    })?;
    let platform = match spec.platform_id {
        Some(named) => {
            // Any failure to read the named platform reads as its absence, as it always has.
            let chosen = placement
                .platform(named)
                .await
                .map_err(|_| AppError::field("platform_id", "no such platform"))?;
            if !chosen.municipalities.iter().any(|m| m == code) {
                return Err(AppError::field(
                    "platform_id",
                    format!("platform does not serve municipality {code}"),
                ));
            }
            if current_platform != Some(chosen.id) {
                check_named_platform(chosen.active_period(), today)?;
            }
            chosen
        }
        None => home,
    };
    Ok((spec, platform))
}

/// Completes a placement with its expiry: the need's own date, else the platform's default span.
fn finish(
    spec: NeedSpec,
    platform: PlatformRecord,
    status: NeedStatus,
    today: NaiveDate,
) -> PlacedNeed {
    let expires_on = spec.expires_on.unwrap_or_else(|| {
        today
            .checked_add_days(Days::new(u64::from(platform.settings.need_ttl_days)))
            .unwrap_or(today)
    });
    PlacedNeed {
        spec,
        platform,
        status,
        expires_on,
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use broker_domain::need::RequirementDraft;
    use broker_domain::platform::MatchingSettings;
    use broker_store::StoreError;

    use super::*;

    const HOME: &str = "1438";
    const ELSEWHERE: &str = "1439";

    pub(crate) fn actor(role: Role) -> Actor {
        Actor {
            role,
            subject: "someone".into(),
            organisation: None,
            municipalities: Vec::new(),
            platforms: Vec::new(),
        }
    }

    pub(crate) fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 23).unwrap_or_default()
    }

    pub(crate) fn draft_in(municipality: &str) -> NeedDraft {
        NeedDraft {
            municipality: municipality.into(),
            title: "Svetsare till verkstad".into(),
            purpose: "recruitment".into(),
            headcount: 3,
            competences: vec![RequirementDraft {
                label: Some("MIG/MAG-svetsning".into()),
                ..Default::default()
            }],
            ..Default::default()
        }
    }

    /// A stored need in `municipality` on `platform`, entered for `employer`.
    pub(crate) fn need_in(municipality: &str, platform: Uuid, employer: Option<Uuid>) -> Need {
        let mut draft = draft_in(municipality);
        draft.employer_id = employer;
        let spec = NeedSpec::parse(draft, today())
            .unwrap_or_else(|e| unreachable!("the test draft is valid: {e}"));
        Need {
            id: Uuid::from_u128(0x99),
            spec,
            status: NeedStatus::Open,
            platform_id: platform,
            entered_by: "someone".into(),
            created_at: chrono::DateTime::default(),
            updated_at: chrono::DateTime::default(),
            expires_on: today(),
            version: 1,
        }
    }

    fn platform(id: u128, municipalities: &[&str], ttl_days: u32) -> PlatformRecord {
        PlatformRecord {
            id: Uuid::from_u128(id),
            key: format!("platform-{id}"),
            name: format!("Platform {id}"),
            model: broker_domain::platform::PlatformModel::LocalPlatform,
            region_id: Uuid::from_u128(0x500),
            cluster_id: None,
            broker_arrangement: None,
            parent_id: None,
            settings: MatchingSettings {
                need_ttl_days: ttl_days,
                ..MatchingSettings::default()
            },
            contact_person_ids: Vec::new(),
            municipalities: municipalities.iter().map(|m| (*m).to_owned()).collect(),
            active_from: None,
            active_to: None,
        }
    }

    /// Platforms known by id; the first serving a municipality is its home.
    struct KnownPlatforms(Vec<PlatformRecord>);

    impl NeedPlacement for KnownPlatforms {
        fn resolve_requirements(&self, _: &mut NeedDraft) -> Result<(), AppError> {
            Ok(())
        }

        async fn canonical_municipality(&self, _: &str) -> Result<Option<String>, AppError> {
            Ok(None)
        }

        fn home_platform(&self, code: &str) -> Option<PlatformRecord> {
            self.0
                .iter()
                .find(|p| p.municipalities.iter().any(|m| m == code))
                .cloned()
        }

        async fn platform(&self, id: Uuid) -> Result<PlatformRecord, AppError> {
            self.0
                .iter()
                .find(|p| p.id == id)
                .cloned()
                .ok_or(AppError::Store(StoreError::NotFound { entity: "platform" }))
        }
    }

    fn home_and_neighbour() -> KnownPlatforms {
        KnownPlatforms(vec![
            platform(1, &[HOME], 90),
            platform(2, &[HOME, ELSEWHERE], 30),
        ])
    }

    fn employer_of(organisation: u128) -> Actor {
        Actor {
            organisation: Some(Uuid::from_u128(organisation)),
            ..actor(Role::Employer)
        }
    }

    fn field_of(result: Result<PlacedNeed, AppError>) -> Option<String> {
        match result {
            Err(AppError::Validation(errors)) => errors.first().map(|e| e.field.clone()),
            _ => None,
        }
    }

    #[tokio::test]
    async fn an_employers_need_is_entered_for_their_own_organisation() -> Result<(), AppError> {
        let placed = place_new(
            &home_and_neighbour(),
            &employer_of(7),
            draft_in(HOME),
            None,
            today(),
        )
        .await?;
        assert_eq!(placed.spec.employer_id, Some(Uuid::from_u128(7)));
        Ok(())
    }

    #[tokio::test]
    async fn an_employer_may_not_enter_a_need_for_another_organisation() {
        let mut draft = draft_in(HOME);
        draft.employer_id = Some(Uuid::from_u128(8));
        let refused = place_new(&home_and_neighbour(), &employer_of(7), draft, None, today()).await;
        assert!(matches!(refused, Err(AppError::Forbidden(m)) if m.contains("own organisation")));
    }

    #[tokio::test]
    async fn an_employer_whose_token_names_no_organisation_enters_nothing() {
        let refused = place_new(
            &home_and_neighbour(),
            &actor(Role::Employer),
            draft_in(HOME),
            None,
            today(),
        )
        .await;
        assert!(matches!(refused, Err(AppError::Forbidden(m)) if m.contains("no organisation")));
    }

    #[tokio::test]
    async fn a_municipal_contact_enters_needs_in_their_own_municipalities_only() {
        let contact = Actor {
            municipalities: vec![HOME.into()],
            ..actor(Role::MunicipalContact)
        };
        let placements = home_and_neighbour();
        let at_home = place_new(&placements, &contact, draft_in(HOME), None, today()).await;
        assert!(at_home.is_ok(), "{at_home:?}");
        let elsewhere = place_new(&placements, &contact, draft_in(ELSEWHERE), None, today()).await;
        assert!(matches!(elsewhere, Err(AppError::Forbidden(m)) if m.contains(ELSEWHERE)));
    }

    #[tokio::test]
    async fn brokers_and_providers_do_not_enter_needs() {
        for role in [Role::Broker, Role::Provider] {
            let refused = place_new(
                &home_and_neighbour(),
                &actor(role),
                draft_in(HOME),
                None,
                today(),
            )
            .await;
            assert!(matches!(refused, Err(AppError::Forbidden(_))), "{role:?}");
        }
    }

    #[tokio::test]
    async fn a_need_goes_to_its_municipalitys_home_platform_and_expires_by_its_settings()
    -> Result<(), AppError> {
        let placed = place_new(
            &home_and_neighbour(),
            &actor(Role::Admin),
            draft_in(HOME),
            None,
            today(),
        )
        .await?;
        assert_eq!(placed.platform.id, Uuid::from_u128(1));
        assert_eq!(placed.status, NeedStatus::Open);
        assert_eq!(placed.expires_on, today() + Days::new(90));
        Ok(())
    }

    #[tokio::test]
    async fn a_municipality_no_platform_serves_is_a_field_error() {
        let unserved = place_new(
            &KnownPlatforms(Vec::new()),
            &actor(Role::Admin),
            draft_in(HOME),
            None,
            today(),
        )
        .await;
        assert_eq!(field_of(unserved).as_deref(), Some("municipality"));
    }

    #[tokio::test]
    async fn a_named_platform_must_exist_serve_the_municipality_and_be_active() {
        let mut platforms = home_and_neighbour();
        platforms.0.push(platform(3, &[ELSEWHERE], 30));
        let mut ended = platform(4, &[HOME], 30);
        ended.active_to = today().checked_sub_days(Days::new(1));
        platforms.0.push(ended);
        for named in [9, 3, 4] {
            let mut draft = draft_in(HOME);
            draft.platform_id = Some(Uuid::from_u128(named));
            let refused = place_new(&platforms, &actor(Role::Admin), draft, None, today()).await;
            assert_eq!(field_of(refused).as_deref(), Some("platform_id"), "{named}");
        }
    }

    #[tokio::test]
    async fn a_named_platform_that_serves_the_municipality_is_chosen_over_the_home_one()
    -> Result<(), AppError> {
        let mut draft = draft_in(HOME);
        draft.platform_id = Some(Uuid::from_u128(2));
        let placed = place_new(
            &home_and_neighbour(),
            &actor(Role::Admin),
            draft,
            None,
            today(),
        )
        .await?;
        assert_eq!(placed.platform.id, Uuid::from_u128(2));
        assert_eq!(placed.expires_on, today() + Days::new(30));
        Ok(())
    }

    #[tokio::test]
    async fn a_new_need_is_open_or_draft_and_nothing_else() -> Result<(), AppError> {
        let placements = home_and_neighbour();
        let admin = actor(Role::Admin);
        for (asked, status) in [("open", NeedStatus::Open), ("draft", NeedStatus::Draft)] {
            let placed =
                place_new(&placements, &admin, draft_in(HOME), Some(asked), today()).await?;
            assert_eq!(placed.status, status);
        }
        let matched = place_new(
            &placements,
            &admin,
            draft_in(HOME),
            Some("matched"),
            today(),
        )
        .await;
        assert_eq!(field_of(matched).as_deref(), Some("status"));
        Ok(())
    }

    #[tokio::test]
    async fn a_need_may_stay_on_its_platform_after_the_trial_ended() -> Result<(), AppError> {
        let mut ended = platform(4, &[HOME], 30);
        ended.active_to = today().checked_sub_days(Days::new(1));
        let placements = KnownPlatforms(vec![platform(1, &[HOME], 90), ended]);
        let current = need_in(HOME, Uuid::from_u128(4), None);
        let mut draft = draft_in(HOME);
        draft.platform_id = Some(Uuid::from_u128(4));
        let placed = place_change(
            &placements,
            &actor(Role::Admin),
            &current,
            draft,
            None,
            today(),
        )
        .await?;
        assert_eq!(placed.platform.id, Uuid::from_u128(4));
        assert_eq!(placed.status, NeedStatus::Open);
        Ok(())
    }

    #[tokio::test]
    async fn a_change_opens_a_draft_but_moves_no_other_status() -> Result<(), AppError> {
        let placements = home_and_neighbour();
        let admin = actor(Role::Admin);
        let mut current = need_in(HOME, Uuid::from_u128(1), None);
        current.status = NeedStatus::Draft;
        let opened = place_change(
            &placements,
            &admin,
            &current,
            draft_in(HOME),
            Some("open"),
            today(),
        )
        .await?;
        assert_eq!(opened.status, NeedStatus::Open);
        current.status = NeedStatus::Open;
        let kept = place_change(
            &placements,
            &admin,
            &current,
            draft_in(HOME),
            Some("open"),
            today(),
        )
        .await?;
        assert_eq!(kept.status, NeedStatus::Open);
        let back = place_change(
            &placements,
            &admin,
            &current,
            draft_in(HOME),
            Some("draft"),
            today(),
        )
        .await;
        assert_eq!(field_of(back).as_deref(), Some("status"));
        Ok(())
    }

    #[tokio::test]
    async fn a_broker_who_sees_a_need_still_may_not_change_it() {
        let broker = Actor {
            platforms: vec![Uuid::from_u128(1)],
            ..actor(Role::Broker)
        };
        let current = need_in(HOME, Uuid::from_u128(1), None);
        let refused = place_change(
            &home_and_neighbour(),
            &broker,
            &current,
            draft_in(HOME),
            None,
            today(),
        )
        .await;
        assert!(matches!(refused, Err(AppError::Forbidden(m)) if m.contains("brokers")));
    }

    #[tokio::test]
    async fn a_need_the_actor_cannot_see_is_not_found_for_a_change() {
        let current = need_in(HOME, Uuid::from_u128(1), Some(Uuid::from_u128(8)));
        let refused = place_change(
            &home_and_neighbour(),
            &employer_of(7),
            &current,
            draft_in(HOME),
            None,
            today(),
        )
        .await;
        assert!(matches!(refused, Err(AppError::NotFound("need"))));
    }

    #[tokio::test]
    async fn a_final_need_cannot_be_changed() {
        let mut current = need_in(HOME, Uuid::from_u128(1), None);
        current.status = NeedStatus::Withdrawn;
        let refused = place_change(
            &home_and_neighbour(),
            &actor(Role::Admin),
            &current,
            draft_in(HOME),
            None,
            today(),
        )
        .await;
        assert!(matches!(refused, Err(AppError::Conflict(m)) if m.contains("withdrawn")));
    }
}
