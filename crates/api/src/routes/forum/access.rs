//! What a caller may see and do on a platform's forum work.

use broker_domain::platform::{Group, GroupKind, Membership};
use broker_store::repo::forum;
use chrono::Utc;
use sea_orm::ConnectionTrait;
use uuid::Uuid;

use crate::auth::{Identity, Role};
use crate::error::ApiError;

/// The caller's standing on one platform.
#[derive(Debug, Clone)]
pub struct Access {
    /// Admin, or a broker serving the platform (the forum's coordination team).
    pub manager: bool,
    /// Memberships the caller holds today in the platform's groups.
    pub memberships: Vec<(Membership, Group)>,
}

/// The person a token speaks for, when its subject is a person id.
pub fn person_of(who: &Identity) -> Option<Uuid> {
    who.subject().parse().ok()
}

impl Access {
    pub async fn of(
        conn: &impl ConnectionTrait,
        who: &Identity,
        platform_id: Uuid,
    ) -> Result<Self, ApiError> {
        let manager =
            who.is_admin() || (who.role() == Role::Broker && who.has_platform(platform_id));
        let memberships = if manager {
            Vec::new()
        } else {
            forum::memberships_held(
                conn,
                platform_id,
                person_of(who),
                who.claims().organisation,
                Utc::now().date_naive(),
            )
            .await?
        };
        Ok(Self {
            manager,
            memberships,
        })
    }

    pub fn can_read(&self) -> bool {
        self.manager || !self.memberships.is_empty()
    }

    /// A member of this group today.
    pub fn member_of(&self, group_id: Uuid) -> bool {
        self.memberships.iter().any(|(_, g)| g.id == group_id)
    }

    /// A member of some group of this kind today.
    pub fn member_of_kind(&self, kind: GroupKind) -> bool {
        self.memberships.iter().any(|(_, g)| g.kind == kind)
    }

    /// Someone else's object is not found.
    pub fn must_read(&self, what: &'static str) -> Result<(), ApiError> {
        if self.can_read() {
            Ok(())
        } else {
            Err(ApiError::NotFound(what))
        }
    }

    /// Reading a platform's list needs standing there.
    pub fn must_read_platform(&self) -> Result<(), ApiError> {
        if self.can_read() {
            Ok(())
        } else {
            Err(ApiError::Forbidden(
                "you are neither a broker of this platform nor a member of its groups".into(),
            ))
        }
    }

    pub fn must_manage(&self, doing: &str) -> Result<(), ApiError> {
        if self.manager {
            Ok(())
        } else {
            Err(ApiError::Forbidden(format!(
                "only an admin or a broker of the platform may {doing}"
            )))
        }
    }

    /// Managers, or members of `group_id` (or of the coordination team, which drives the work).
    pub fn must_work_in(&self, group_id: Option<Uuid>, doing: &str) -> Result<(), ApiError> {
        if self.manager
            || group_id.is_some_and(|g| self.member_of(g))
            || self.member_of_kind(GroupKind::CoordinationTeam)
        {
            Ok(())
        } else {
            Err(ApiError::Forbidden(format!(
                "only the group's members, the coordination team or a broker may {doing}"
            )))
        }
    }
}

/// The platforms a list without a `platform` filter covers: every one for admins, the served
/// ones for brokers; others must name the platform.
pub fn default_platforms(who: &Identity) -> Result<Option<Vec<Uuid>>, ApiError> {
    match who.role() {
        Role::Admin => Ok(None),
        Role::Broker => Ok(Some(who.claims().platforms.clone())),
        _ => Err(ApiError::field(
            "platform",
            "name the platform whose forum work you want to see",
        )),
    }
}
