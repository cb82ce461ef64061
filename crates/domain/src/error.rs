//! Typed errors: a rule that fails says which field and which rule.

use std::fmt;

/// One field that failed validation, with a human-readable reason.
#[derive(Debug, Clone, PartialEq, Eq, serde::Serialize)]
pub struct FieldError {
    /// Dotted path of the field, e.g. `competences[2].label`.
    pub field: String,
    /// What rule failed, phrased for the person who sent the value.
    pub reason: String,
}

impl FieldError {
    pub fn new(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self {
            field: field.into(),
            reason: reason.into(),
        }
    }

    /// The same error under a parent path (`instances[0]` + `start` -> `instances[0].start`).
    #[must_use]
    pub fn under(mut self, parent: &str) -> Self {
        self.field = if self.field.is_empty() {
            parent.to_owned()
        } else {
            format!("{parent}.{}", self.field)
        };
        self
    }
}

impl fmt::Display for FieldError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.field, self.reason)
    }
}

/// An attempt to move an object through its lifecycle along an edge that does not exist.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error, serde::Serialize)]
#[error("a {entity} in state `{from}` cannot `{action}`")]
pub struct TransitionError {
    /// The kind of object (`need`, `offer`, `match`, `proposal`, ...).
    pub entity: &'static str,
    /// The state it was in.
    pub from: &'static str,
    /// The action that was refused.
    pub action: &'static str,
}

/// Everything the domain can refuse.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DomainError {
    /// One or more fields are invalid.
    #[error("invalid input: {}", .0.iter().map(ToString::to_string).collect::<Vec<_>>().join("; "))]
    Invalid(Vec<FieldError>),
    /// An illegal lifecycle transition.
    #[error(transparent)]
    Transition(#[from] TransitionError),
}

impl DomainError {
    /// A single invalid field.
    pub fn invalid(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::Invalid(vec![FieldError::new(field, reason)])
    }

    /// The field errors, when this is a validation error.
    pub fn field_errors(&self) -> &[FieldError] {
        match self {
            Self::Invalid(errors) => errors,
            Self::Transition(_) => &[],
        }
    }

    /// The same error with every field path put under `parent`.
    #[must_use]
    pub fn under(self, parent: &str) -> Self {
        match self {
            Self::Invalid(errors) => {
                Self::Invalid(errors.into_iter().map(|e| e.under(parent)).collect())
            }
            other => other,
        }
    }
}

/// Collects field errors while validating a whole input, so a client sees every problem at once.
#[derive(Debug, Default)]
pub struct Validator {
    errors: Vec<FieldError>,
}

impl Validator {
    pub fn new() -> Self {
        Self::default()
    }

    /// Keeps the value when it parsed, records the error (under `field`) when not.
    pub fn check<T>(&mut self, field: &str, result: Result<T, DomainError>) -> Option<T> {
        match result {
            Ok(value) => Some(value),
            Err(DomainError::Invalid(errors)) => {
                self.errors.extend(errors.into_iter().map(|e| {
                    if e.field.is_empty() || e.field == field {
                        FieldError::new(field, e.reason)
                    } else if e.field.starts_with(field) {
                        e
                    } else {
                        e.under(field)
                    }
                }));
                None
            }
            Err(DomainError::Transition(t)) => {
                self.errors.push(FieldError::new(field, t.to_string()));
                None
            }
        }
    }

    /// Records a rule that failed.
    pub fn fail(&mut self, field: impl Into<String>, reason: impl Into<String>) {
        self.errors.push(FieldError::new(field, reason));
    }

    /// Ok when nothing failed.
    pub fn finish(self) -> Result<(), DomainError> {
        if self.errors.is_empty() {
            Ok(())
        } else {
            Err(DomainError::Invalid(self.errors))
        }
    }

    pub fn is_empty(&self) -> bool {
        self.errors.is_empty()
    }
}
