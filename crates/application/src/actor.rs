//! Who is acting: the verified caller, as the use cases see it.

use uuid::Uuid;

/// What an actor is; decides which rules apply.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Role {
    Admin,
    Broker,
    MunicipalContact,
    Provider,
    Employer,
}

/// The caller of a use case: its role, who it is, and what its credentials cover.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Actor {
    pub role: Role,
    /// The stable identifier recorded as the author of what the actor does.
    pub subject: String,
    /// The organisation an employer or provider acts for.
    pub organisation: Option<Uuid>,
    /// Municipality codes (stored keys) a municipal contact acts for.
    pub municipalities: Vec<String>,
    /// Platforms a broker works on.
    pub platforms: Vec<Uuid>,
}

impl Actor {
    pub fn is_admin(&self) -> bool {
        self.role == Role::Admin
    }

    /// Whether the actor's credentials cover municipality `code` (an admin's cover everything).
    pub fn covers_municipality(&self, code: &str) -> bool {
        self.is_admin() || self.municipalities.iter().any(|m| m == code)
    }

    /// Whether the actor works on `platform` (an admin works on every platform).
    pub fn covers_platform(&self, platform: Uuid) -> bool {
        self.is_admin() || self.platforms.contains(&platform)
    }

    /// Whether the actor acts for `organisation` (an admin acts for every organisation).
    pub fn covers_organisation(&self, organisation: Uuid) -> bool {
        self.is_admin() || self.organisation == Some(organisation)
    }
}
