//! Bearer-token authentication and the scope rules every handler applies.
//!
//! Tokens are JWTs: HS256 with a shared secret, or RS256/ES256 verified with a PEM public key or a
//! local JWKS file. Issuer, audience and expiry are always checked. Handlers receive an
//! [`Identity`] through the extractor and ask it scope questions; they never parse tokens.

use std::future::{Ready, ready};
use std::sync::Arc;

use actix_web::{FromRequest, HttpRequest, dev::Payload, web};
use jsonwebtoken::jwk::JwkSet;
use jsonwebtoken::{
    Algorithm, DecodingKey, EncodingKey, Header, Validation, decode, decode_header, encode,
};
use secrecy::ExposeSecret;
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;
use uuid::Uuid;

use crate::config::JwtSettings;
use crate::error::ApiError;

/// What a token holder is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Role {
    Admin,
    Broker,
    MunicipalContact,
    Provider,
    Employer,
}

impl Role {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Admin => "admin",
            Self::Broker => "broker",
            Self::MunicipalContact => "municipal_contact",
            Self::Provider => "provider",
            Self::Employer => "employer",
        }
    }

    pub fn parse(raw: &str) -> Option<Self> {
        [
            Self::Admin,
            Self::Broker,
            Self::MunicipalContact,
            Self::Provider,
            Self::Employer,
        ]
        .into_iter()
        .find(|r| r.as_str() == raw)
    }
}

/// The claims this service reads. Documented in the README so any identity provider can issue them.
#[derive(Debug, Clone, Serialize, Deserialize, PartialEq, Eq)]
pub struct Claims {
    pub sub: String,
    pub role: Role,
    #[serde(default)]
    pub municipalities: Vec<String>,
    #[serde(default)]
    pub platforms: Vec<Uuid>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organisation: Option<Uuid>,
    pub exp: u64,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub iat: Option<u64>,
    pub iss: String,
    pub aud: String,
}

/// The verified caller of a request.
#[derive(Debug, Clone)]
pub struct Identity(pub Claims);

impl Identity {
    pub fn claims(&self) -> &Claims {
        &self.0
    }

    pub fn role(&self) -> Role {
        self.0.role
    }

    pub fn subject(&self) -> &str {
        &self.0.sub
    }

    pub fn is_admin(&self) -> bool {
        self.0.role == Role::Admin
    }

    /// 403 unless the caller has one of `roles` (admin always passes).
    pub fn require(&self, roles: &[Role]) -> Result<(), ApiError> {
        if self.is_admin() || roles.contains(&self.0.role) {
            Ok(())
        } else {
            Err(ApiError::Forbidden(format!(
                "requires role {}",
                roles
                    .iter()
                    .map(|r| r.as_str())
                    .collect::<Vec<_>>()
                    .join(" or ")
            )))
        }
    }

    pub fn has_municipality(&self, code: &str) -> bool {
        self.is_admin() || self.0.municipalities.iter().any(|m| m == code)
    }

    pub fn has_platform(&self, platform: Uuid) -> bool {
        self.is_admin() || self.0.platforms.contains(&platform)
    }

    pub fn has_organisation(&self, org: Uuid) -> bool {
        self.is_admin() || self.0.organisation == Some(org)
    }
}

impl From<Role> for broker_application::Role {
    fn from(role: Role) -> Self {
        match role {
            Role::Admin => Self::Admin,
            Role::Broker => Self::Broker,
            Role::MunicipalContact => Self::MunicipalContact,
            Role::Provider => Self::Provider,
            Role::Employer => Self::Employer,
        }
    }
}

/// The caller as the use cases see it.
impl From<&Identity> for broker_application::Actor {
    fn from(who: &Identity) -> Self {
        let claims = who.claims();
        Self {
            role: claims.role.into(),
            subject: claims.sub.clone(),
            organisation: claims.organisation,
            municipalities: claims.municipalities.clone(),
            platforms: claims.platforms.clone(),
        }
    }
}

impl Identity {
    /// The caller as the use cases see it.
    pub fn actor(&self) -> broker_application::Actor {
        self.into()
    }
}

/// How keys are looked up.
enum KeySource {
    Shared(DecodingKey),
    Public {
        key: DecodingKey,
        algorithm: Algorithm,
    },
    Jwks(JwkSet),
}

/// Verifies tokens; built once from settings and shared.
pub struct TokenVerifier {
    keys: KeySource,
    issuer: String,
    audience: String,
    leeway: u64,
}

/// Why a key could not be loaded at start-up.
#[derive(Debug, thiserror::Error)]
#[error("{variable}: {reason}")]
pub struct KeyError {
    pub variable: &'static str,
    pub reason: String,
}

impl TokenVerifier {
    pub fn from_settings(jwt: &JwtSettings) -> Result<Self, KeyError> {
        let keys = if let Some(path) = &jwt.jwks_file {
            let text = std::fs::read_to_string(path).map_err(|e| KeyError {
                variable: "BROKER_JWKS_FILE",
                reason: format!("cannot read {}: {e}", path.display()),
            })?;
            let set: JwkSet = serde_json::from_str(&text).map_err(|e| KeyError {
                variable: "BROKER_JWKS_FILE",
                reason: format!("not a JWKS document: {e}"),
            })?;
            if set.keys.is_empty() {
                return Err(KeyError {
                    variable: "BROKER_JWKS_FILE",
                    reason: "holds no keys".to_owned(),
                });
            }
            KeySource::Jwks(set)
        } else if let Some(path) = &jwt.public_key_file {
            let pem = std::fs::read(path).map_err(|e| KeyError {
                variable: "BROKER_JWT_PUBLIC_KEY",
                reason: format!("cannot read {}: {e}", path.display()),
            })?;
            if let Ok(key) = DecodingKey::from_rsa_pem(&pem) {
                KeySource::Public {
                    key,
                    algorithm: Algorithm::RS256,
                }
            } else if let Ok(key) = DecodingKey::from_ec_pem(&pem) {
                KeySource::Public {
                    key,
                    algorithm: Algorithm::ES256,
                }
            } else {
                return Err(KeyError {
                    variable: "BROKER_JWT_PUBLIC_KEY",
                    reason: "not an RSA or EC public key in PEM form".to_owned(),
                });
            }
        } else if let Some(secret) = &jwt.secret {
            KeySource::Shared(DecodingKey::from_secret(secret.expose_secret().as_bytes()))
        } else {
            return Err(KeyError {
                variable: "BROKER_JWT_SECRET",
                reason: "no key configured".to_owned(),
            });
        };
        Ok(Self {
            keys,
            issuer: jwt.issuer.clone(),
            audience: jwt.audience.clone(),
            leeway: jwt.leeway_seconds,
        })
    }

    fn validation(&self, algorithm: Algorithm) -> Validation {
        let mut v = Validation::new(algorithm);
        v.set_issuer(&[&self.issuer]);
        v.set_audience(&[&self.audience]);
        v.set_required_spec_claims(&["exp", "iss", "aud", "sub"]);
        v.leeway = self.leeway;
        // A token issued for later (`nbf` ahead of now, beyond the leeway) is not valid yet.
        v.validate_nbf = true;
        v
    }

    /// Verifies signature, algorithm, issuer, audience, expiry and not-before.
    pub fn verify(&self, token: &str) -> Result<Claims, ApiError> {
        let header = decode_header(token)
            .map_err(|_| ApiError::Unauthenticated("the token is not a JWT".to_owned()))?;
        let bad = |e: jsonwebtoken::errors::Error| ApiError::Unauthenticated(describe(&e));
        let data = match &self.keys {
            KeySource::Shared(key) => {
                if header.alg != Algorithm::HS256 {
                    return Err(ApiError::Unauthenticated(
                        "tokens must be signed with HS256".to_owned(),
                    ));
                }
                decode::<Claims>(token, key, &self.validation(Algorithm::HS256)).map_err(bad)?
            }
            KeySource::Public { key, algorithm } => {
                if header.alg != *algorithm {
                    return Err(ApiError::Unauthenticated(format!(
                        "tokens must be signed with {algorithm:?}"
                    )));
                }
                decode::<Claims>(token, key, &self.validation(*algorithm)).map_err(bad)?
            }
            KeySource::Jwks(set) => {
                let jwk = match header.kid.as_deref() {
                    Some(kid) => set.find(kid),
                    None if set.keys.len() == 1 => set.keys.first(),
                    None => None,
                }
                .ok_or_else(|| {
                    ApiError::Unauthenticated(
                        "no key in the JWKS matches the token's kid".to_owned(),
                    )
                })?;
                if !matches!(header.alg, Algorithm::RS256 | Algorithm::ES256) {
                    return Err(ApiError::Unauthenticated(
                        "tokens must be signed with RS256 or ES256".to_owned(),
                    ));
                }
                let key = DecodingKey::from_jwk(jwk).map_err(bad)?;
                decode::<Claims>(token, &key, &self.validation(header.alg)).map_err(bad)?
            }
        };
        Ok(data.claims)
    }
}

fn describe(e: &jsonwebtoken::errors::Error) -> String {
    use jsonwebtoken::errors::ErrorKind;
    match e.kind() {
        ErrorKind::ExpiredSignature => "the token has expired".to_owned(),
        ErrorKind::ImmatureSignature => {
            "the token is not valid yet (its `nbf` is ahead)".to_owned()
        }
        ErrorKind::InvalidIssuer => "the token's issuer is not accepted".to_owned(),
        ErrorKind::InvalidAudience => "the token's audience is not accepted".to_owned(),
        ErrorKind::InvalidSignature => "the token's signature is invalid".to_owned(),
        ErrorKind::MissingRequiredClaim(c) => format!("the token lacks the `{c}` claim"),
        ErrorKind::Json(e) => match missing_field(&e.to_string()) {
            Some(claim) => format!("the token lacks the `{claim}` claim"),
            None => "the token's claims are malformed (check `role` and the lists)".to_owned(),
        },
        _ => "the token is invalid".to_owned(),
    }
}

/// The claim serde reports missing (`missing field `exp` at line 1 column 42`).
fn missing_field(message: &str) -> Option<&str> {
    let rest = message.strip_prefix("missing field `")?;
    rest.split('`').next()
}

/// Signs HS256 tokens (for `broker token` and demo mode).
pub fn mint_hs256(secret: &str, claims: &Claims) -> Result<String, jsonwebtoken::errors::Error> {
    encode(
        &Header::new(Algorithm::HS256),
        claims,
        &EncodingKey::from_secret(secret.as_bytes()),
    )
}

impl FromRequest for Identity {
    type Error = ApiError;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _payload: &mut Payload) -> Self::Future {
        ready(identify(req))
    }
}

fn identify(req: &HttpRequest) -> Result<Identity, ApiError> {
    let verifier = req
        .app_data::<web::Data<Arc<TokenVerifier>>>()
        .ok_or_else(|| ApiError::Internal("token verifier not configured".into()))?;
    let header = req
        .headers()
        .get(actix_web::http::header::AUTHORIZATION)
        .ok_or_else(|| {
            ApiError::Unauthenticated("send an Authorization: Bearer <token> header".to_owned())
        })?;
    let value = header.to_str().map_err(|_| {
        ApiError::Unauthenticated("the Authorization header is not text".to_owned())
    })?;
    let token = value
        .strip_prefix("Bearer ")
        .or_else(|| value.strip_prefix("bearer "))
        .ok_or_else(|| {
            ApiError::Unauthenticated(
                "the Authorization header must use the Bearer scheme".to_owned(),
            )
        })?;
    verifier.verify(token.trim()).map(Identity)
}

#[cfg(test)]
mod tests {
    use super::*;
    use secrecy::SecretString;

    const SECRET: &str = "0123456789abcdef0123456789abcdef";

    fn settings() -> JwtSettings {
        JwtSettings {
            secret: Some(SecretString::from(SECRET)),
            public_key_file: None,
            jwks_file: None,
            issuer: "iss".into(),
            audience: "aud".into(),
            leeway_seconds: 0,
        }
    }

    fn claims(exp_offset: i64) -> Claims {
        let now = jsonwebtoken::get_current_timestamp();
        Claims {
            sub: "anna".into(),
            role: Role::MunicipalContact,
            municipalities: vec!["1438".into()],
            platforms: vec![],
            organisation: None,
            exp: now.saturating_add_signed(exp_offset),
            iat: Some(now),
            iss: "iss".into(),
            aud: "aud".into(),
        }
    }

    #[test]
    fn a_good_token_verifies_and_keeps_its_scope() {
        let v = TokenVerifier::from_settings(&settings()).ok();
        let token = mint_hs256(SECRET, &claims(600)).unwrap_or_default();
        let c = v.map(|v| v.verify(&token));
        assert!(matches!(c, Some(Ok(ref c)) if c.municipalities == vec!["1438".to_owned()]));
    }

    #[test]
    fn expired_wrong_issuer_and_wrong_secret_are_refused() {
        let Ok(v) = TokenVerifier::from_settings(&settings()) else {
            panic!("verifier")
        };
        let expired = mint_hs256(SECRET, &claims(-600)).unwrap_or_default();
        assert!(
            v.verify(&expired)
                .is_err_and(|e| e.to_string().contains("expired"))
        );
        let mut other = claims(600);
        other.iss = "someone-else".into();
        let token = mint_hs256(SECRET, &other).unwrap_or_default();
        assert!(
            v.verify(&token)
                .is_err_and(|e| e.to_string().contains("issuer"))
        );
        let forged =
            mint_hs256("another-secret-another-secret-xx", &claims(600)).unwrap_or_default();
        assert!(
            v.verify(&forged)
                .is_err_and(|e| e.to_string().contains("signature"))
        );
    }
}
