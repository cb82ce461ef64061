//! Why a use case refused or failed, in terms an adapter maps to its own protocol.

use broker_domain::error::FieldError;
use broker_domain::{DomainError, TransitionError};
use broker_store::StoreError;

/// A use case's failure. The variants say what went wrong for the caller, not how to report it:
/// the api crate maps each to a status and a problem document.
#[derive(Debug, thiserror::Error)]
pub enum AppError {
    /// The object does not exist, or the actor may not see it (the two look alike on purpose).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// The actor may see the object but may not do this.
    #[error("forbidden: {0}")]
    Forbidden(String),
    /// The command breaks field rules; every failing field is listed.
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    /// The object's state does not allow the command.
    #[error("conflict: {0}")]
    Conflict(String),
    /// A lifecycle refused the change.
    #[error(transparent)]
    Transition(TransitionError),
    /// The store failed or refused (its own not-found and conflicts included).
    #[error(transparent)]
    Store(#[from] StoreError),
    /// A collaborator behind one of this crate's traits failed in its own terms; the adapter that
    /// implements the trait knows how to report it.
    #[error(transparent)]
    Outside(Box<dyn std::error::Error + Send + Sync + 'static>),
}

impl AppError {
    /// A single invalid field.
    pub fn field(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::Validation(vec![FieldError::new(field, reason)])
    }
}

impl From<DomainError> for AppError {
    fn from(e: DomainError) -> Self {
        match e {
            DomainError::Invalid(errors) => Self::Validation(errors),
            DomainError::Transition(t) => Self::Transition(t),
        }
    }
}
