//! Request extractors that turn every malformed input into a problem naming the field.

use std::future::Future;
use std::pin::Pin;

use actix_web::{FromRequest, HttpRequest, dev::Payload, web};
use serde::de::DeserializeOwned;

use crate::app::AppState;
use crate::error::ApiError;

/// A JSON body whose decoding errors carry the path of the offending field
/// (`competences[2].importance: unknown variant ...`). Unknown fields are refused by the DTOs.
#[derive(Debug)]
pub struct ValidJson<T>(pub T);

impl<T: DeserializeOwned + 'static> FromRequest for ValidJson<T> {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let is_json =
            content_type(req).is_some_and(|ct| ct == "application/json" || ct.ends_with("+json"));
        let limit = req
            .app_data::<web::Data<AppState>>()
            .map_or(1024 * 1024, |s| s.settings.body_limit_bytes);
        let body = web::Bytes::from_request(req, payload);
        Box::pin(async move {
            if !is_json {
                return Err(ApiError::UnsupportedMediaType(
                    "send the body as application/json".to_owned(),
                ));
            }
            let bytes = body.await.map_err(|e| body_error(&e.to_string()))?;
            if bytes.len() > limit {
                return Err(ApiError::PayloadTooLarge);
            }
            decode(&bytes).map(ValidJson)
        })
    }
}

/// A raw body for handlers that read several media types (JSON or CSV) or hash the bytes
/// themselves. Read errors, an oversized body included, become problems like every other error
/// (actix's own would be `text/plain`).
#[derive(Debug)]
pub struct RawBody(pub web::Bytes);

impl FromRequest for RawBody {
    type Error = ApiError;
    type Future = Pin<Box<dyn Future<Output = Result<Self, ApiError>>>>;

    fn from_request(req: &HttpRequest, payload: &mut Payload) -> Self::Future {
        let limit = req
            .app_data::<web::Data<AppState>>()
            .map_or(1024 * 1024, |s| s.settings.body_limit_bytes);
        let body = web::Bytes::from_request(req, payload);
        Box::pin(async move {
            let bytes = body.await.map_err(|e| body_error(&e.to_string()))?;
            if bytes.len() > limit {
                return Err(ApiError::PayloadTooLarge);
            }
            Ok(RawBody(bytes))
        })
    }
}

/// Decodes JSON, mapping errors to problems with the field path. Every string in the body (and
/// every key) is first checked against the input rules every field shares (no control
/// characters, calendar dates in range), so no handler can forget them.
pub fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let value: serde_json::Value = serde_json::from_slice(bytes)
        .map_err(|e| ApiError::Malformed(format!("invalid JSON: {e}")))?;
    check_strings(&value, &mut String::new())?;
    serde_path_to_error::deserialize(value).map_err(|err| {
        let path = err.path().to_string();
        let field = if path == "." { "body".to_owned() } else { path };
        ApiError::field(field, strip_position(&err.into_inner().to_string()))
    })
}

/// Walks a JSON value, naming the first string that breaks a shared input rule by its path
/// (`competences[2].label`, the form serde's errors use).
fn check_strings(value: &serde_json::Value, path: &mut String) -> Result<(), ApiError> {
    let field = |path: &str| {
        if path.is_empty() {
            "body".to_owned()
        } else {
            path.to_owned()
        }
    };
    match value {
        serde_json::Value::String(s) => {
            if let Some(problem) = string_problem(s) {
                return Err(ApiError::field(field(path), problem));
            }
        }
        serde_json::Value::Array(items) => {
            for (i, item) in items.iter().enumerate() {
                let len = path.len();
                path.push_str(&format!("[{i}]"));
                check_strings(item, path)?;
                path.truncate(len);
            }
        }
        serde_json::Value::Object(map) => {
            for (key, item) in map {
                let len = path.len();
                if !path.is_empty() {
                    path.push('.');
                }
                path.push_str(key);
                if let Some(problem) = broker_domain::values::text_input_problem(key) {
                    return Err(ApiError::field(field(path), format!("key {problem}")));
                }
                check_strings(item, path)?;
                path.truncate(len);
            }
        }
        _ => {}
    }
    Ok(())
}

/// The shared input rules for one string from a request.
pub fn string_problem(s: &str) -> Option<String> {
    broker_domain::values::text_input_problem(s)
        .or_else(|| broker_domain::values::date_text_problem(s))
}

/// Query parameters whose decoding errors name the parameter (`platform: UUID parsing failed`)
/// rather than the whole query string. Unknown parameters are refused by the DTOs.
#[derive(Debug)]
pub struct ValidQuery<T>(pub T);

impl<T> ValidQuery<T> {
    pub fn into_inner(self) -> T {
        self.0
    }
}

impl<T> std::ops::Deref for ValidQuery<T> {
    type Target = T;

    fn deref(&self) -> &T {
        &self.0
    }
}

impl<T: DeserializeOwned + 'static> FromRequest for ValidQuery<T> {
    type Error = ApiError;
    type Future = std::future::Ready<Result<Self, ApiError>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        std::future::ready(decode_query(req.query_string()).map(ValidQuery))
    }
}

/// Decodes a query string, naming the parameter that failed.
pub fn decode_query<T: DeserializeOwned>(query: &str) -> Result<T, ApiError> {
    for (name, value) in form_urlencoded::parse(query.as_bytes()) {
        if let Some(problem) = broker_domain::values::text_input_problem(&name) {
            return Err(ApiError::field(
                "query",
                format!("a parameter name {problem}"),
            ));
        }
        if let Some(problem) = string_problem(&value) {
            return Err(ApiError::field(name.into_owned(), problem));
        }
    }
    let de = serde_urlencoded::Deserializer::new(form_urlencoded::parse(query.as_bytes()));
    serde_path_to_error::deserialize(de).map_err(|err| {
        let path = err.path().to_string();
        let message = err.into_inner().to_string();
        let field = if path.is_empty() || path == "." {
            // Unknown or missing parameters: serde names them in backticks.
            crate::error::extractors::extract_backticked(&message)
                .unwrap_or_else(|| "query".to_owned())
        } else {
            path
        };
        ApiError::field(field, message)
    })
}

fn strip_position(msg: &str) -> String {
    match msg.find(" at line ") {
        Some(i) => msg[..i].to_owned(),
        None => msg.to_owned(),
    }
}

fn body_error(msg: &str) -> ApiError {
    if msg.contains("overflow") || msg.contains("too large") || msg.contains("limit") {
        ApiError::PayloadTooLarge
    } else {
        ApiError::Malformed(msg.to_owned())
    }
}

/// The media type of the request, lower-cased, without parameters.
pub fn content_type(req: &HttpRequest) -> Option<String> {
    req.headers()
        .get(actix_web::http::header::CONTENT_TYPE)
        .and_then(|v| v.to_str().ok())
        .map(|v| {
            v.split(';')
                .next()
                .unwrap_or_default()
                .trim()
                .to_ascii_lowercase()
        })
}

/// Whether the client prefers `media` over JSON (a simple, order-respecting Accept check).
pub fn accepts(req: &HttpRequest, media: &str) -> bool {
    req.headers()
        .get(actix_web::http::header::ACCEPT)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|accept| {
            let first = accept
                .split(',')
                .map(|p| p.split(';').next().unwrap_or_default().trim())
                .find(|p| !p.is_empty());
            first == Some(media)
        })
}

/// Refuses a body that is not JSON (for handlers that read raw bytes first).
pub fn require_json(req: &HttpRequest) -> Result<(), ApiError> {
    if content_type(req).is_some_and(|ct| ct == "application/json" || ct.ends_with("+json")) {
        Ok(())
    } else {
        Err(ApiError::UnsupportedMediaType(
            "send the body as application/json".to_owned(),
        ))
    }
}

#[cfg(test)]
mod query_tests {
    use super::*;

    #[derive(Debug, serde::Deserialize)]
    #[serde(deny_unknown_fields)]
    #[expect(dead_code, reason = "only decoding is tested")]
    struct Params {
        platform: Option<uuid::Uuid>,
        limit: Option<u64>,
        q: String,
    }

    fn field_of(query: &str) -> Option<String> {
        match decode_query::<Params>(query) {
            Err(ApiError::Validation(fields)) => fields.first().map(|f| f.field.clone()),
            _ => None,
        }
    }

    #[test]
    fn errors_name_the_parameter() {
        assert_eq!(field_of("q=x&platform=nope").as_deref(), Some("platform"));
        assert_eq!(field_of("q=x&limit=-1").as_deref(), Some("limit"));
        assert_eq!(field_of("q=x&colour=red").as_deref(), Some("colour"));
        assert_eq!(field_of("limit=2").as_deref(), Some("q"));
        assert!(decode_query::<Params>("q=svetsning%20mig&limit=5").is_ok());
    }
}
