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

/// Decodes JSON, mapping errors to problems with the field path.
pub fn decode<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, ApiError> {
    let mut de = serde_json::Deserializer::from_slice(bytes);
    let result: Result<T, _> = serde_path_to_error::deserialize(&mut de);
    match result {
        Ok(value) => {
            de.end()
                .map_err(|e| ApiError::Malformed(format!("invalid JSON: {e}")))?;
            Ok(value)
        }
        Err(err) => {
            let path = err.path().to_string();
            let inner = err.into_inner();
            match inner.classify() {
                serde_json::error::Category::Data => {
                    let field = if path == "." { "body".to_owned() } else { path };
                    Err(ApiError::field(field, strip_position(&inner.to_string())))
                }
                _ => Err(ApiError::Malformed(format!("invalid JSON: {inner}"))),
            }
        }
    }
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
