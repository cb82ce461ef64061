//! What a caller may see and do on a platform's forum work.

use broker_domain::forum::{GroupCaller, GroupScope, PlatformPlace, group_scope};
use broker_domain::platform::{BrokerArrangement, Group, GroupKind, Membership};
use broker_store::repo::forum;
use broker_store::repo::reference::{self, PlatformRecord};
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
    /// The platform's groups the caller forms and changes (see [`Access::with_group_scope`];
    /// `None` until asked).
    pub group_scope: GroupScope,
}

/// How far up a chain of parent platforms the group rule looks.
const MAX_PLATFORM_DEPTH: usize = 8;

/// A stored platform as the group rule sees it; an unknown arrangement counts as none stated.
fn place(p: PlatformRecord) -> PlatformPlace {
    PlatformPlace {
        id: p.id,
        parent_id: p.parent_id,
        cluster_id: p.cluster_id,
        broker_arrangement: p
            .broker_arrangement
            .as_deref()
            .and_then(|a| BrokerArrangement::parse(a).ok()),
        municipalities: p.municipalities,
    }
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
            group_scope: if manager {
                GroupScope::Every
            } else {
                GroupScope::None
            },
        })
    }

    /// Also works out which of the platform's groups the caller forms and changes (the rule is
    /// `broker_domain::forum::group_scope`): a contact person their municipality's local
    /// council, the broker of the platform's broker arrangement every group.
    pub async fn with_group_scope(
        mut self,
        conn: &impl ConnectionTrait,
        who: &Identity,
        platform_id: Uuid,
    ) -> Result<Self, ApiError> {
        if self.manager {
            return Ok(self);
        }
        let caller = match who.role() {
            Role::Admin => GroupCaller::Admin,
            Role::Broker => GroupCaller::Broker {
                platforms: &who.claims().platforms,
            },
            Role::MunicipalContact => GroupCaller::MunicipalContact {
                municipalities: &who.claims().municipalities,
            },
            Role::Provider | Role::Employer => return Ok(self),
        };
        let platform = place(reference::get_platform(conn, platform_id).await?);
        let mut ancestors: Vec<PlatformPlace> = Vec::new();
        let mut next = platform.parent_id;
        // Platform chains are a few levels deep (municipality, cluster, sub-region); the bound
        // only guards against a cycle in stored data.
        while let Some(id) = next.filter(|_| ancestors.len() < MAX_PLATFORM_DEPTH) {
            let parent = place(reference::get_platform(conn, id).await?);
            next = parent.parent_id;
            ancestors.push(parent);
        }
        self.group_scope = group_scope(caller, &platform, &ancestors);
        Ok(self)
    }

    /// May read a group of this kind: standing on the platform, or forming such groups.
    pub fn can_read_group(&self, kind: GroupKind) -> bool {
        self.can_read() || self.group_scope.covers(kind)
    }

    /// May form and change groups of this kind and their memberships.
    pub fn must_manage_group(&self, kind: GroupKind, doing: &str) -> Result<(), ApiError> {
        if self.manager || self.group_scope.covers(kind) {
            Ok(())
        } else {
            Err(ApiError::Forbidden(format!(
                "only an admin, a broker of the platform or of its broker arrangement, or (for \
                 the local competence council) the municipality's contact person may {doing}"
            )))
        }
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
