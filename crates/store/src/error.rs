use broker_domain::{DomainError, TransitionError};

/// What can go wrong in the store, in terms the API maps to HTTP.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    /// The row does not exist (or is not visible to the caller).
    #[error("{entity} not found")]
    NotFound { entity: &'static str },
    /// A uniqueness rule or an optimistic-concurrency check failed.
    #[error("{entity}: {reason}")]
    Conflict {
        entity: &'static str,
        reason: String,
    },
    /// A lifecycle refused the change.
    #[error(transparent)]
    Transition(#[from] TransitionError),
    /// The change breaks a domain rule (checked again at write time, e.g. publishing).
    #[error(transparent)]
    Invalid(#[from] DomainError),
    #[error("database: {0}")]
    Db(#[from] sea_orm::DbErr),
    /// A stored value no longer parses into its domain type: a bug or manual tampering.
    #[error("stored {entity} is corrupt: {detail}")]
    Corrupt {
        entity: &'static str,
        detail: String,
    },
}

impl StoreError {
    pub(crate) fn corrupt(entity: &'static str, detail: impl std::fmt::Display) -> Self {
        Self::Corrupt {
            entity,
            detail: detail.to_string(),
        }
    }

    /// An optimistic-concurrency check failed: the row moved past the version the caller saw.
    pub(crate) fn stale(entity: &'static str, current: i32) -> Self {
        Self::Conflict {
            entity,
            reason: format!(
                "it was changed by someone else (current version {current}); reload and try again"
            ),
        }
    }

    pub(crate) fn not_found(entity: &'static str) -> Self {
        Self::NotFound { entity }
    }

    /// Maps a unique-constraint violation to `Conflict`, anything else to `Db`.
    pub(crate) fn from_insert(entity: &'static str, what: &str, e: sea_orm::DbErr) -> Self {
        match e.sql_err() {
            Some(sea_orm::SqlErr::UniqueConstraintViolation(_)) => Self::Conflict {
                entity,
                reason: format!("{what} already exists"),
            },
            Some(sea_orm::SqlErr::ForeignKeyConstraintViolation(_)) => Self::Conflict {
                entity,
                reason: "refers to something that does not exist".to_owned(),
            },
            _ => Self::Db(e),
        }
    }
}
