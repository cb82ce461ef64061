//! The access policy: one answer to "may this actor see this object" and "which rows may this
//! actor list", so the check on one object and the filter on a listing cannot drift apart.

use broker_domain::matching::MatchSuggestion;
use broker_domain::need::Need;
use broker_domain::offer::{Offer, OfferStatus};
use broker_store::repo::matches::MatchFilter;
use broker_store::repo::needs::NeedFilter;
use broker_store::repo::offers::OfferFilter;
use uuid::Uuid;

use crate::{Actor, AppError, Role};

/// The needs an actor may see, as one rule that both checks a single need
/// ([`NeedScope::admits`]) and narrows a listing ([`NeedScope::restrict`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum NeedScope {
    /// Every need (an admin).
    Everything,
    /// Needs in these municipalities (a municipal contact's).
    Municipalities(Vec<String>),
    /// Needs this organisation entered (an employer's own); `None` when the token names no
    /// organisation, which admits nothing.
    Employer(Option<Uuid>),
    /// Needs placed on these platforms (a broker's).
    Platforms(Vec<Uuid>),
}

impl NeedScope {
    /// Whether `need` lies in the scope.
    pub fn admits(&self, need: &Need) -> bool {
        match self {
            Self::Everything => true,
            Self::Municipalities(codes) => {
                codes.iter().any(|c| c == need.spec.municipality.as_str())
            }
            Self::Employer(organisation) => {
                organisation.is_some() && need.spec.employer_id == *organisation
            }
            Self::Platforms(platforms) => platforms.contains(&need.platform_id),
        }
    }

    /// Narrows a listing's filter to the scope, leaving the caller's own criteria in place.
    pub fn restrict(self, filter: &mut NeedFilter) {
        match self {
            Self::Everything => {}
            Self::Municipalities(codes) => filter.scope_municipalities = Some(codes),
            // No need carries the nil organisation, so an employer without one lists nothing.
            Self::Employer(organisation) => {
                filter.scope_employer = Some(organisation.unwrap_or_default());
            }
            Self::Platforms(platforms) => filter.scope_platforms = Some(platforms),
        }
    }
}

/// Who may see which needs.
#[derive(Debug, Clone, Copy, Default)]
pub struct NeedAccess;

impl NeedAccess {
    /// The needs `actor` may list. Providers list none: they see demand through their offers'
    /// suggestions, and are told so.
    pub fn list_scope(actor: &Actor) -> Result<NeedScope, AppError> {
        match actor.role {
            Role::Admin => Ok(NeedScope::Everything),
            Role::MunicipalContact => Ok(NeedScope::Municipalities(actor.municipalities.clone())),
            Role::Employer => Ok(NeedScope::Employer(actor.organisation)),
            Role::Broker => Ok(NeedScope::Platforms(actor.platforms.clone())),
            Role::Provider => Err(AppError::Forbidden(
                "providers see demand through GET /api/v1/offers/{id}/matches".into(),
            )),
        }
    }

    /// Whether `actor` may see (and so act on) `need`: exactly when its list scope admits it.
    pub fn may_see(actor: &Actor, need: &Need) -> bool {
        Self::list_scope(actor).is_ok_and(|scope| scope.admits(need))
    }

    /// [`Self::may_see`] as a result: someone else's need does not exist for the actor.
    pub fn must_see(actor: &Actor, need: &Need) -> Result<(), AppError> {
        if Self::may_see(actor, need) {
            Ok(())
        } else {
            Err(AppError::NotFound("need"))
        }
    }
}

/// The offers a listing may return, as one rule that both checks a single offer
/// ([`OfferScope::admits`]) and narrows a listing ([`OfferScope::restrict`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum OfferScope {
    /// Every offer in every status (an admin).
    Everything,
    /// Every offer of this organisation, in any status (a provider listing its own).
    Provider(Uuid),
    /// Published offers only (everyone else, and a provider listing other organisations').
    Published,
}

impl OfferScope {
    /// Whether `offer` lies in the scope.
    pub fn admits(&self, offer: &Offer) -> bool {
        match self {
            Self::Everything => true,
            Self::Provider(provider) => offer.spec.provider_id == *provider,
            Self::Published => offer.status == OfferStatus::Published,
        }
    }

    /// Narrows a listing's filter to the scope, leaving the caller's own criteria in place.
    pub fn restrict(self, filter: &mut OfferFilter) {
        match self {
            Self::Everything => {}
            Self::Provider(provider) => filter.scope_provider = Some(provider),
            Self::Published => filter.statuses = vec![OfferStatus::Published.as_str().into()],
        }
    }
}

/// Who may see, list, create and change which offers. Published offers are every caller's;
/// drafts and archived ones only their providing organisation's (and an admin's).
#[derive(Debug, Clone, Copy, Default)]
pub struct OfferAccess;

impl OfferAccess {
    /// Whether `actor` owns `offer`: an admin, or a provider acting for its organisation.
    pub fn owns(actor: &Actor, offer: &Offer) -> bool {
        actor.is_admin()
            || (actor.role == Role::Provider && actor.covers_organisation(offer.spec.provider_id))
    }

    /// Whether `actor` may see `offer`: it is published, or the actor owns it.
    pub fn may_see(actor: &Actor, offer: &Offer) -> bool {
        offer.status == OfferStatus::Published || Self::owns(actor, offer)
    }

    /// [`Self::may_see`] as a result: someone else's unpublished offer does not exist for the actor.
    pub fn must_see(actor: &Actor, offer: &Offer) -> Result<(), AppError> {
        if Self::may_see(actor, offer) {
            Ok(())
        } else {
            Err(AppError::NotFound("offer"))
        }
    }

    /// Whether `actor` may change `offer`: an offer it cannot see is not found, one it sees but
    /// does not own is forbidden.
    pub fn must_own(actor: &Actor, offer: &Offer) -> Result<(), AppError> {
        Self::must_see(actor, offer)?;
        if Self::owns(actor, offer) {
            Ok(())
        } else {
            Err(AppError::Forbidden(
                "only the providing organisation changes an offer".into(),
            ))
        }
    }

    /// The organisation a new offer by `actor` is for: a provider creates for its own
    /// organisation only, an admin names it (`requested`), no one else creates offers.
    pub fn provider_of_new(
        actor: &Actor,
        requested: Option<Uuid>,
    ) -> Result<Option<Uuid>, AppError> {
        match actor.role {
            Role::Admin => Ok(requested),
            Role::Provider => {
                let own = actor
                    .organisation
                    .ok_or_else(|| AppError::Forbidden("the token names no organisation".into()))?;
                if requested.is_some_and(|p| p != own) {
                    return Err(AppError::Forbidden(
                        "providers create offers for their own organisation only".into(),
                    ));
                }
                Ok(Some(own))
            }
            _ => Err(AppError::Forbidden("only providers create offers".into())),
        }
    }

    /// The offers `actor` may list when it asks for `provider`'s offers (if any) in `statuses`
    /// (none: the default). An admin lists everything; a provider naming its own organisation
    /// lists that organisation's offers in any status; everyone else lists published offers and
    /// is refused when it asks for another status.
    pub fn list_scope(
        actor: &Actor,
        provider: Option<Uuid>,
        statuses: &[String],
    ) -> Result<OfferScope, AppError> {
        if actor.is_admin() {
            return Ok(OfferScope::Everything);
        }
        match provider {
            Some(own) if actor.role == Role::Provider && actor.covers_organisation(own) => {
                Ok(OfferScope::Provider(own))
            }
            _ if statuses
                .iter()
                .any(|s| s != OfferStatus::Published.as_str()) =>
            {
                Err(AppError::Forbidden(
                    "only the provider sees its draft and archived offers; filter by your own provider id".into(),
                ))
            }
            _ => Ok(OfferScope::Published),
        }
    }
}

/// The suggestions an actor may review, as one rule that both checks a single suggestion
/// ([`MatchScope::admits`]) and narrows the review queue ([`MatchScope::restrict`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MatchScope {
    /// Every suggestion (an admin).
    Everything,
    /// Suggestions on these platforms (a broker's).
    Platforms(Vec<Uuid>),
}

impl MatchScope {
    /// Whether `suggestion` lies in the scope.
    pub fn admits(&self, suggestion: &MatchSuggestion) -> bool {
        match self {
            Self::Everything => true,
            Self::Platforms(platforms) => platforms.contains(&suggestion.platform_id),
        }
    }

    /// Narrows the queue's filter to the scope, leaving the caller's own criteria in place.
    pub fn restrict(self, filter: &mut MatchFilter) {
        match self {
            Self::Everything => {}
            Self::Platforms(platforms) => filter.scope_platforms = Some(platforms),
        }
    }
}

/// Who may review (see and decide) which suggestions: brokers those on their platforms, admins
/// all, no one else any.
#[derive(Debug, Clone, Copy, Default)]
pub struct MatchAccess;

impl MatchAccess {
    /// The suggestions `actor` may list in the review queue.
    pub fn list_scope(actor: &Actor) -> Result<MatchScope, AppError> {
        match actor.role {
            Role::Admin => Ok(MatchScope::Everything),
            Role::Broker => Ok(MatchScope::Platforms(actor.platforms.clone())),
            _ => Err(AppError::Forbidden("requires role admin or broker".into())),
        }
    }

    /// Whether `actor` may review `suggestion`: one elsewhere is not found for a broker; anyone
    /// but a broker or an admin is refused outright.
    pub fn must_review(actor: &Actor, suggestion: &MatchSuggestion) -> Result<(), AppError> {
        match Self::list_scope(actor) {
            Ok(scope) if scope.admits(suggestion) => Ok(()),
            Ok(_) => Err(AppError::NotFound("match")),
            Err(_) => Err(AppError::Forbidden("only brokers review matches".into())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::needs::tests::{actor, need_in};

    const HOME: &str = "1438";
    const ELSEWHERE: &str = "1439";

    fn platform() -> Uuid {
        Uuid::from_u128(0x10)
    }

    fn organisation() -> Uuid {
        Uuid::from_u128(0x20)
    }

    fn filter_for(actor: &Actor) -> Result<NeedFilter, AppError> {
        let mut filter = NeedFilter::default();
        NeedAccess::list_scope(actor)?.restrict(&mut filter);
        Ok(filter)
    }

    #[test]
    fn an_admin_sees_every_need_and_lists_unrestricted() -> Result<(), AppError> {
        let admin = actor(Role::Admin);
        assert!(NeedAccess::may_see(
            &admin,
            &need_in(ELSEWHERE, platform(), None)
        ));
        let filter = filter_for(&admin)?;
        assert_eq!(filter.scope_municipalities, None);
        assert_eq!(filter.scope_platforms, None);
        assert_eq!(filter.scope_employer, None);
        Ok(())
    }

    #[test]
    fn a_municipal_contact_sees_needs_in_their_municipalities_only() -> Result<(), AppError> {
        let contact = Actor {
            municipalities: vec![HOME.into()],
            ..actor(Role::MunicipalContact)
        };
        assert!(NeedAccess::may_see(
            &contact,
            &need_in(HOME, platform(), None)
        ));
        assert!(!NeedAccess::may_see(
            &contact,
            &need_in(ELSEWHERE, platform(), None)
        ));
        assert_eq!(
            filter_for(&contact)?.scope_municipalities,
            Some(vec![HOME.to_owned()])
        );
        Ok(())
    }

    #[test]
    fn an_employer_sees_their_own_organisations_needs_only() -> Result<(), AppError> {
        let employer = Actor {
            organisation: Some(organisation()),
            ..actor(Role::Employer)
        };
        let other = Uuid::from_u128(0x21);
        assert!(NeedAccess::may_see(
            &employer,
            &need_in(HOME, platform(), Some(organisation()))
        ));
        assert!(!NeedAccess::may_see(
            &employer,
            &need_in(HOME, platform(), Some(other))
        ));
        assert!(!NeedAccess::may_see(
            &employer,
            &need_in(HOME, platform(), None)
        ));
        assert_eq!(filter_for(&employer)?.scope_employer, Some(organisation()));
        Ok(())
    }

    #[test]
    fn an_employer_without_an_organisation_sees_nothing() -> Result<(), AppError> {
        let employer = actor(Role::Employer);
        assert!(!NeedAccess::may_see(
            &employer,
            &need_in(HOME, platform(), None)
        ));
        assert_eq!(filter_for(&employer)?.scope_employer, Some(Uuid::nil()));
        Ok(())
    }

    #[test]
    fn a_broker_sees_needs_on_their_platforms_only() -> Result<(), AppError> {
        let broker = Actor {
            platforms: vec![platform()],
            ..actor(Role::Broker)
        };
        assert!(NeedAccess::may_see(
            &broker,
            &need_in(HOME, platform(), None)
        ));
        assert!(!NeedAccess::may_see(
            &broker,
            &need_in(HOME, Uuid::from_u128(0x11), None)
        ));
        assert_eq!(filter_for(&broker)?.scope_platforms, Some(vec![platform()]));
        Ok(())
    }

    #[test]
    fn a_provider_neither_sees_nor_lists_needs() {
        let provider = Actor {
            organisation: Some(organisation()),
            municipalities: vec![HOME.into()],
            platforms: vec![platform()],
            ..actor(Role::Provider)
        };
        assert!(!NeedAccess::may_see(
            &provider,
            &need_in(HOME, platform(), Some(organisation()))
        ));
        assert!(matches!(filter_for(&provider), Err(AppError::Forbidden(_))));
    }

    #[test]
    fn an_unseen_need_is_not_found_rather_than_forbidden() {
        let broker = actor(Role::Broker);
        let refused = NeedAccess::must_see(&broker, &need_in(HOME, platform(), None));
        assert!(matches!(refused, Err(AppError::NotFound("need"))));
    }

    mod offers {
        use broker_domain::offer::{InstanceDraft, OfferDraft, OfferSpec};

        use super::*;

        fn provider() -> Uuid {
            Uuid::from_u128(0x30)
        }

        fn offer_by(provider: Uuid, status: OfferStatus) -> Offer {
            let spec = OfferSpec::parse(OfferDraft {
                provider_id: Some(provider),
                title: "MIG/MAG-svetsning grundkurs".into(),
                delivery: "on_site".into(),
                competence_labels: vec!["MIG/MAG-svetsning".into()],
                instances: vec![InstanceDraft {
                    start: chrono::NaiveDate::from_ymd_opt(2027, 2, 1),
                    municipality: Some(HOME.into()),
                    ..Default::default()
                }],
                ..Default::default()
            })
            .unwrap_or_else(|e| unreachable!("the test offer is valid: {e}"));
            Offer {
                id: Uuid::from_u128(0x98),
                spec,
                status,
                created_at: chrono::DateTime::default(),
                updated_at: chrono::DateTime::default(),
                published_at: None,
                version: 1,
            }
        }

        fn provider_of(organisation: Uuid) -> Actor {
            Actor {
                organisation: Some(organisation),
                ..actor(Role::Provider)
            }
        }

        fn statuses(raw: &[&str]) -> Vec<String> {
            raw.iter().map(|s| (*s).to_owned()).collect()
        }

        const UNPUBLISHED: [OfferStatus; 2] = [OfferStatus::Draft, OfferStatus::Archived];

        #[test]
        fn everyone_sees_a_published_offer_but_changes_it_only_if_they_own_it() {
            let published = offer_by(provider(), OfferStatus::Published);
            for role in [Role::Broker, Role::MunicipalContact, Role::Employer] {
                let someone = Actor {
                    organisation: Some(provider()),
                    ..actor(role)
                };
                assert!(
                    OfferAccess::must_see(&someone, &published).is_ok(),
                    "{role:?}"
                );
                assert!(
                    matches!(
                        OfferAccess::must_own(&someone, &published),
                        Err(AppError::Forbidden(_))
                    ),
                    "{role:?}"
                );
            }
            let other_provider = provider_of(Uuid::from_u128(0x31));
            assert!(OfferAccess::must_see(&other_provider, &published).is_ok());
            assert!(matches!(
                OfferAccess::must_own(&other_provider, &published),
                Err(AppError::Forbidden(_))
            ));
        }

        #[test]
        fn an_unpublished_offer_exists_only_for_its_provider_and_admins() {
            for status in UNPUBLISHED {
                let offer = offer_by(provider(), status);
                assert!(OfferAccess::must_own(&provider_of(provider()), &offer).is_ok());
                assert!(OfferAccess::must_own(&actor(Role::Admin), &offer).is_ok());
                for stranger in [
                    provider_of(Uuid::from_u128(0x31)),
                    actor(Role::Provider),
                    Actor {
                        organisation: Some(provider()),
                        ..actor(Role::Employer)
                    },
                    actor(Role::Broker),
                ] {
                    assert!(
                        matches!(
                            OfferAccess::must_see(&stranger, &offer),
                            Err(AppError::NotFound("offer"))
                        ),
                        "{stranger:?} {status:?}"
                    );
                    assert!(
                        matches!(
                            OfferAccess::must_own(&stranger, &offer),
                            Err(AppError::NotFound("offer"))
                        ),
                        "{stranger:?} {status:?}"
                    );
                }
            }
        }

        #[test]
        fn an_admin_lists_every_offer_whatever_it_asks() -> Result<(), AppError> {
            let admin = actor(Role::Admin);
            for asked in [statuses(&[]), statuses(&["draft", "archived"])] {
                assert_eq!(
                    OfferAccess::list_scope(&admin, None, &asked)?,
                    OfferScope::Everything
                );
            }
            Ok(())
        }

        #[test]
        fn a_provider_lists_its_own_offers_in_any_status_and_others_published()
        -> Result<(), AppError> {
            let own = provider_of(provider());
            let scope = OfferAccess::list_scope(&own, Some(provider()), &statuses(&["draft"]))?;
            assert_eq!(scope, OfferScope::Provider(provider()));
            assert!(scope.admits(&offer_by(provider(), OfferStatus::Draft)));
            assert!(!scope.admits(&offer_by(Uuid::from_u128(0x31), OfferStatus::Published)));
            let mut filter = OfferFilter::default();
            scope.restrict(&mut filter);
            assert_eq!(filter.scope_provider, Some(provider()));

            let others = OfferAccess::list_scope(&own, Some(Uuid::from_u128(0x31)), &[])?;
            assert_eq!(others, OfferScope::Published);
            assert!(OfferAccess::list_scope(&own, None, &[])? == OfferScope::Published);
            assert!(matches!(
                OfferAccess::list_scope(&own, None, &statuses(&["draft"])),
                Err(AppError::Forbidden(_))
            ));
            Ok(())
        }

        #[test]
        fn everyone_else_lists_published_offers_and_may_not_ask_for_others() -> Result<(), AppError>
        {
            for role in [Role::Broker, Role::MunicipalContact, Role::Employer] {
                let someone = Actor {
                    organisation: Some(provider()),
                    ..actor(role)
                };
                let scope =
                    OfferAccess::list_scope(&someone, Some(provider()), &statuses(&["published"]))?;
                assert_eq!(scope, OfferScope::Published, "{role:?}");
                assert!(scope.admits(&offer_by(provider(), OfferStatus::Published)));
                for status in UNPUBLISHED {
                    assert!(!scope.admits(&offer_by(provider(), status)));
                }
                let mut filter = OfferFilter {
                    statuses: statuses(&[]),
                    ..OfferFilter::default()
                };
                scope.restrict(&mut filter);
                assert_eq!(filter.statuses, statuses(&["published"]));
                assert!(matches!(
                    OfferAccess::list_scope(
                        &someone,
                        Some(provider()),
                        &statuses(&["published", "archived"])
                    ),
                    Err(AppError::Forbidden(_))
                ));
            }
            Ok(())
        }

        #[test]
        fn only_providers_and_admins_create_offers_and_providers_for_themselves()
        -> Result<(), AppError> {
            let own = provider_of(provider());
            assert_eq!(OfferAccess::provider_of_new(&own, None)?, Some(provider()));
            assert_eq!(
                OfferAccess::provider_of_new(&own, Some(provider()))?,
                Some(provider())
            );
            assert!(matches!(
                OfferAccess::provider_of_new(&own, Some(Uuid::from_u128(0x31))),
                Err(AppError::Forbidden(m)) if m.contains("own organisation")
            ));
            assert!(matches!(
                OfferAccess::provider_of_new(&actor(Role::Provider), None),
                Err(AppError::Forbidden(m)) if m.contains("no organisation")
            ));
            assert_eq!(
                OfferAccess::provider_of_new(&actor(Role::Admin), Some(provider()))?,
                Some(provider())
            );
            for role in [Role::Broker, Role::MunicipalContact, Role::Employer] {
                assert!(matches!(
                    OfferAccess::provider_of_new(&actor(role), None),
                    Err(AppError::Forbidden(m)) if m.contains("only providers")
                ));
            }
            Ok(())
        }
    }

    mod suggestions {
        use super::*;

        fn suggestion_on(platform: Uuid) -> MatchSuggestion {
            MatchSuggestion {
                id: Uuid::from_u128(0x97),
                need_id: Uuid::from_u128(0x99),
                kind: broker_domain::matching::MatchKind::Offer,
                target_id: Uuid::from_u128(0x98),
                platform_id: platform,
                score: 0.8,
                factors: serde_json::Value::Null,
                evidence: serde_json::Value::Null,
                explanation: String::new(),
                status: broker_domain::matching::MatchStatus::Suggested,
                reason: None,
                decided_by: None,
                decided_at: None,
                version: 1,
                created_at: chrono::DateTime::default(),
                updated_at: chrono::DateTime::default(),
            }
        }

        #[test]
        fn an_admin_reviews_every_suggestion() -> Result<(), AppError> {
            let admin = actor(Role::Admin);
            assert!(MatchAccess::must_review(&admin, &suggestion_on(platform())).is_ok());
            let mut filter = MatchFilter::default();
            MatchAccess::list_scope(&admin)?.restrict(&mut filter);
            assert_eq!(filter.scope_platforms, None);
            Ok(())
        }

        #[test]
        fn a_broker_reviews_suggestions_on_their_platforms_and_finds_no_others()
        -> Result<(), AppError> {
            let broker = Actor {
                platforms: vec![platform()],
                ..actor(Role::Broker)
            };
            assert!(MatchAccess::must_review(&broker, &suggestion_on(platform())).is_ok());
            assert!(matches!(
                MatchAccess::must_review(&broker, &suggestion_on(Uuid::from_u128(0x11))),
                Err(AppError::NotFound("match"))
            ));
            let mut filter = MatchFilter::default();
            MatchAccess::list_scope(&broker)?.restrict(&mut filter);
            assert_eq!(filter.scope_platforms, Some(vec![platform()]));
            Ok(())
        }

        #[test]
        fn no_one_else_reviews_suggestions() {
            for role in [Role::MunicipalContact, Role::Provider, Role::Employer] {
                let someone = Actor {
                    platforms: vec![platform()],
                    organisation: Some(organisation()),
                    municipalities: vec![HOME.into()],
                    ..actor(role)
                };
                assert!(
                    matches!(
                        MatchAccess::must_review(&someone, &suggestion_on(platform())),
                        Err(AppError::Forbidden(m)) if m == "only brokers review matches"
                    ),
                    "{role:?}"
                );
                assert!(
                    matches!(MatchAccess::list_scope(&someone), Err(AppError::Forbidden(m)) if m == "requires role admin or broker"),
                    "{role:?}"
                );
            }
        }
    }
}
