//! The one error type of the API and its RFC 9457 `application/problem+json` form.
//!
//! Policy: every failure maps to exactly one status through one exhaustive `match`; `code` values
//! are stable snake_case identifiers clients may branch on (pinned by tests); validation failures
//! list every failing field; 5xx bodies stay generic and the cause goes to the log once.

use actix_web::http::StatusCode;
use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpResponse, ResponseError};
use broker_domain::{DomainError, FieldError, TransitionError};
use broker_store::StoreError;
use serde::Serialize;
use utoipa::ToSchema;

/// Base of the `type` URIs; each problem type has a stable suffix equal to its `code`.
pub const PROBLEM_BASE: &str = "https://kompetensmaklare.se/problems/";

/// One invalid field.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProblemField {
    /// Path of the field, e.g. `competences[0].label` or `rows[3].headcount`.
    pub field: String,
    /// What is wrong with it.
    pub reason: String,
}

/// An RFC 9457 problem document.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct Problem {
    /// Stable URI naming the problem type.
    #[serde(rename = "type")]
    pub problem_type: String,
    /// Short summary of the problem type.
    pub title: String,
    /// HTTP status code.
    pub status: u16,
    /// What went wrong in this occurrence.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub detail: Option<String>,
    /// Stable snake_case code; equals the last segment of `type`.
    pub code: String,
    /// Field errors, for validation problems.
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub errors: Vec<ProblemField>,
    /// For `invalid_transition`: the object, the state it is in and the refused action.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub transition: Option<ProblemTransition>,
}

/// The lifecycle edge that does not exist.
#[derive(Debug, Clone, Serialize, ToSchema)]
pub struct ProblemTransition {
    /// The kind of object: `need`, `offer`, `match`, `proposal`, ...
    pub entity: String,
    /// The state it is in.
    pub from: String,
    /// The action that was refused.
    pub action: String,
}

/// Everything a request can fail with.
#[derive(Debug, thiserror::Error)]
pub enum ApiError {
    #[error("validation failed")]
    Validation(Vec<FieldError>),
    #[error("malformed request: {0}")]
    Malformed(String),
    #[error("authentication required: {0}")]
    Unauthenticated(String),
    #[error("forbidden: {0}")]
    Forbidden(String),
    #[error("{0} not found")]
    NotFound(&'static str),
    #[error("conflict: {0}")]
    Conflict(String),
    #[error(transparent)]
    Transition(TransitionError),
    #[error("request body too large")]
    PayloadTooLarge,
    #[error("unsupported media type: {0}")]
    UnsupportedMediaType(String),
    #[error("not acceptable: {0}")]
    NotAcceptable(String),
    #[error("too many requests")]
    RateLimited { retry_after_seconds: u64 },
    #[error("service unavailable: {0}")]
    Unavailable(String),
    #[error("internal error")]
    Internal(#[source] anyhow_like::Cause),
}

/// A boxed cause for internal errors, kept out of responses.
pub mod anyhow_like {
    /// The underlying error of a 500.
    pub type Cause = Box<dyn std::error::Error + Send + Sync + 'static>;
}

impl ApiError {
    /// A single invalid field.
    pub fn field(field: impl Into<String>, reason: impl Into<String>) -> Self {
        Self::Validation(vec![FieldError::new(field, reason)])
    }

    pub fn internal(cause: impl std::error::Error + Send + Sync + 'static) -> Self {
        Self::Internal(Box::new(cause))
    }

    /// Stable code, title and status of each variant.
    pub fn parts(&self) -> (StatusCode, &'static str, &'static str) {
        match self {
            Self::Validation(_) => (
                StatusCode::UNPROCESSABLE_ENTITY,
                "validation_failed",
                "The request has invalid fields",
            ),
            Self::Malformed(_) => (
                StatusCode::BAD_REQUEST,
                "malformed_request",
                "The request could not be read",
            ),
            Self::Unauthenticated(_) => (
                StatusCode::UNAUTHORIZED,
                "unauthenticated",
                "A valid bearer token is required",
            ),
            Self::Forbidden(_) => (
                StatusCode::FORBIDDEN,
                "forbidden",
                "Your role does not allow this",
            ),
            Self::NotFound(_) => (StatusCode::NOT_FOUND, "not_found", "No such resource"),
            Self::Conflict(_) => (
                StatusCode::CONFLICT,
                "conflict",
                "The resource changed or already exists",
            ),
            Self::Transition(_) => (
                StatusCode::CONFLICT,
                "invalid_transition",
                "The object cannot make that change from its current state",
            ),
            Self::PayloadTooLarge => (
                StatusCode::PAYLOAD_TOO_LARGE,
                "payload_too_large",
                "The request body is too large",
            ),
            Self::UnsupportedMediaType(_) => (
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "unsupported_media_type",
                "Unsupported content type",
            ),
            Self::NotAcceptable(_) => (
                StatusCode::NOT_ACCEPTABLE,
                "not_acceptable",
                "No acceptable representation",
            ),
            Self::RateLimited { .. } => (
                StatusCode::TOO_MANY_REQUESTS,
                "rate_limited",
                "Too many requests",
            ),
            Self::Unavailable(_) => (
                StatusCode::SERVICE_UNAVAILABLE,
                "unavailable",
                "The service is not ready",
            ),
            Self::Internal(_) => (
                StatusCode::INTERNAL_SERVER_ERROR,
                "internal_error",
                "Internal server error",
            ),
        }
    }

    /// The problem document for this error.
    pub fn problem(&self) -> Problem {
        let (status, code, title) = self.parts();
        let detail = match self {
            Self::Validation(errors) => {
                Some(format!("{} field(s) failed validation", errors.len()))
            }
            Self::Malformed(d)
            | Self::Unauthenticated(d)
            | Self::Forbidden(d)
            | Self::Conflict(d) => Some(d.clone()),
            Self::UnsupportedMediaType(d) | Self::NotAcceptable(d) | Self::Unavailable(d) => {
                Some(d.clone())
            }
            Self::NotFound(what) => Some(format!("no {what} with that id is visible to you")),
            Self::Transition(t) => Some(t.to_string()),
            Self::RateLimited {
                retry_after_seconds,
            } => Some(format!("retry after {retry_after_seconds} s")),
            Self::PayloadTooLarge | Self::Internal(_) => None,
        };
        let errors = match self {
            Self::Validation(errors) => errors
                .iter()
                .map(|e| ProblemField {
                    field: e.field.clone(),
                    reason: e.reason.clone(),
                })
                .collect(),
            _ => Vec::new(),
        };
        let transition = match self {
            Self::Transition(t) => Some(ProblemTransition {
                entity: t.entity.to_owned(),
                from: t.from.to_owned(),
                action: t.action.to_owned(),
            }),
            _ => None,
        };
        Problem {
            problem_type: format!("{PROBLEM_BASE}{code}"),
            title: title.to_owned(),
            status: status.as_u16(),
            detail,
            code: code.to_owned(),
            errors,
            transition,
        }
    }
}

impl ResponseError for ApiError {
    fn status_code(&self) -> StatusCode {
        self.parts().0
    }

    fn error_response(&self) -> HttpResponse {
        if let Self::Internal(cause) = self {
            tracing::error!(error = %cause, cause = ?cause, "request failed");
        }
        let problem = self.problem();
        let mut response = HttpResponse::build(self.status_code());
        response.insert_header((
            header::CONTENT_TYPE,
            HeaderValue::from_static("application/problem+json"),
        ));
        match self {
            Self::Unauthenticated(_) => {
                response
                    .insert_header((header::WWW_AUTHENTICATE, HeaderValue::from_static("Bearer")));
            }
            Self::RateLimited {
                retry_after_seconds,
            } => {
                response.insert_header((header::RETRY_AFTER, retry_after_seconds.to_string()));
            }
            _ => {}
        }
        response.body(serde_json::to_string(&problem).unwrap_or_default())
    }
}

impl From<DomainError> for ApiError {
    fn from(e: DomainError) -> Self {
        match e {
            DomainError::Invalid(errors) => Self::Validation(errors),
            DomainError::Transition(t) => Self::Transition(t),
        }
    }
}

impl From<TransitionError> for ApiError {
    fn from(t: TransitionError) -> Self {
        Self::Transition(t)
    }
}

impl From<broker_application::AppError> for ApiError {
    fn from(e: broker_application::AppError) -> Self {
        use broker_application::AppError;
        match e {
            AppError::NotFound(entity) => Self::NotFound(entity),
            AppError::Forbidden(reason) => Self::Forbidden(reason),
            AppError::Validation(errors) => Self::Validation(errors),
            AppError::Conflict(reason) => Self::Conflict(reason),
            AppError::Transition(t) => Self::Transition(t),
            AppError::Store(e) => Self::from(e),
            // An api collaborator's own error comes back as it was raised.
            AppError::Outside(cause) => match cause.downcast::<ApiError>() {
                Ok(api) => *api,
                Err(other) => Self::Internal(other),
            },
        }
    }
}

impl From<StoreError> for ApiError {
    fn from(e: StoreError) -> Self {
        match e {
            StoreError::NotFound { entity } => Self::NotFound(entity),
            StoreError::Conflict { entity, reason } => {
                Self::Conflict(format!("{entity}: {reason}"))
            }
            StoreError::Transition(t) => Self::Transition(t),
            StoreError::Invalid(d) => Self::from(d),
            other => Self::internal(other),
        }
    }
}

/// Error handlers for actix's extractors, so malformed JSON, paths and queries are problems too.
pub mod extractors {
    use actix_web::error::{JsonPayloadError, PathError};
    use actix_web::{Error, HttpRequest};

    use super::ApiError;

    pub fn json(err: JsonPayloadError, _req: &HttpRequest) -> Error {
        let api = match &err {
            JsonPayloadError::OverflowKnownLength { .. } | JsonPayloadError::Overflow { .. } => {
                ApiError::PayloadTooLarge
            }
            JsonPayloadError::ContentType => {
                ApiError::UnsupportedMediaType("send application/json".to_owned())
            }
            JsonPayloadError::Deserialize(e) => deserialize_problem(e),
            other => ApiError::Malformed(other.to_string()),
        };
        api.into()
    }

    /// Turns serde's message into a field error where it names one (unknown or missing fields,
    /// wrong types), so clients see which field to fix.
    fn deserialize_problem(e: &serde_json::Error) -> ApiError {
        let msg = e.to_string();
        let field = extract_backticked(&msg);
        match (e.classify(), field) {
            (serde_json::error::Category::Data, Some(field)) => {
                ApiError::field(field, strip_position(&msg))
            }
            (serde_json::error::Category::Data, None) => {
                ApiError::field("body", strip_position(&msg))
            }
            _ => ApiError::Malformed(format!("invalid JSON: {msg}")),
        }
    }

    /// The first backticked name in a serde message (`unknown field `x``, `missing field `q``).
    pub(crate) fn extract_backticked(msg: &str) -> Option<String> {
        let start = msg.find('`')? + 1;
        let end = msg[start..].find('`')? + start;
        Some(msg[start..end].to_owned())
    }

    fn strip_position(msg: &str) -> String {
        match msg.find(" at line ") {
            Some(i) => msg[..i].to_owned(),
            None => msg.to_owned(),
        }
    }

    pub fn path(err: PathError, _req: &HttpRequest) -> Error {
        ApiError::field("path", format!("invalid path parameter: {err}")).into()
    }
}

/// `Result` with the API error.
pub type ApiResult<T> = Result<T, ApiError>;

#[cfg(test)]
mod tests {
    use super::*;

    /// Codes are part of the public contract; changing one breaks clients.
    #[test]
    fn problem_codes_are_stable() {
        let cases: Vec<(ApiError, &str, u16)> = vec![
            (ApiError::field("title", "empty"), "validation_failed", 422),
            (ApiError::Malformed("x".into()), "malformed_request", 400),
            (
                ApiError::Unauthenticated("x".into()),
                "unauthenticated",
                401,
            ),
            (ApiError::Forbidden("x".into()), "forbidden", 403),
            (ApiError::NotFound("need"), "not_found", 404),
            (ApiError::Conflict("x".into()), "conflict", 409),
            (
                ApiError::Transition(TransitionError {
                    entity: "need",
                    from: "draft",
                    action: "fulfil",
                }),
                "invalid_transition",
                409,
            ),
            (ApiError::PayloadTooLarge, "payload_too_large", 413),
            (
                ApiError::UnsupportedMediaType("x".into()),
                "unsupported_media_type",
                415,
            ),
            (ApiError::NotAcceptable("x".into()), "not_acceptable", 406),
            (
                ApiError::RateLimited {
                    retry_after_seconds: 3,
                },
                "rate_limited",
                429,
            ),
            (ApiError::Unavailable("x".into()), "unavailable", 503),
            (ApiError::Internal("boom".into()), "internal_error", 500),
        ];
        for (err, code, status) in cases {
            let p = err.problem();
            assert_eq!(p.code, code);
            assert_eq!(p.status, status);
            assert_eq!(p.problem_type, format!("{PROBLEM_BASE}{code}"));
        }
    }

    #[test]
    fn internal_errors_do_not_leak_their_cause() {
        let p = ApiError::Internal("password=hunter2".into()).problem();
        assert!(p.detail.is_none());
    }
}
