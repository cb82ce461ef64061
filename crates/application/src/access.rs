//! The access policy: one answer to "may this actor see this object" and "which rows may this
//! actor list", so the check on one object and the filter on a listing cannot drift apart.

use broker_domain::need::Need;
use broker_store::repo::needs::NeedFilter;
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
}
