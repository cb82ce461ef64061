//! Reference data: regions, municipalities, clusters, platforms (public reads) and organisations
//! (read with any token, written by admins); the structure's administration (issue 13): regions,
//! municipalities, clusters, platforms, contact persons and pilot status, each write audited and
//! in the feed of those who follow what it concerns.

pub mod clusters;
pub mod contacts;
pub mod municipalities;
pub mod organisations;
pub mod pilot;
pub mod platforms;
pub mod regions;

use broker_domain::geo::{Country, MunicipalityCode, check_not_replaced, resolve_code};
use broker_domain::platform::{BrokerArrangement, manages_municipality};
use broker_store::repo::{audit, reference};
use sea_orm::{ConnectionTrait, DatabaseTransaction};
use uuid::Uuid;

use crate::app::AppState;
use crate::auth::{Identity, Role};
use crate::error::ApiError;

/// The stored municipality a code as written means (`1438`, `SE-1438`); a 422 names `field`
/// when the code is malformed, unknown, or a bare code two countries share.
pub async fn resolve_municipality(
    conn: &impl ConnectionTrait,
    field: &str,
    raw: &str,
) -> Result<reference::MunicipalityRecord, ApiError> {
    let code = MunicipalityCode::parse(raw).map_err(|e| ApiError::from(e.under(field)))?;
    let rows = reference::municipalities_with_digits(conn, code.digits()).await?;
    let candidates: Vec<(String, Country)> = rows
        .iter()
        .map(|m| (m.code().to_owned(), m.municipality.country))
        .collect();
    let key = resolve_code(&code, &candidates).map_err(|e| ApiError::from(e.under(field)))?;
    rows.into_iter()
        .find(|m| m.code() == key)
        .ok_or_else(|| ApiError::field(field, "unknown municipality code"))
}

/// The stored key for a code as written on a new object (a need), for routes that keep their
/// own checks of malformed and unknown codes: `None` for those, the key when the code names one
/// municipality, and a 422 naming `field` when a bare code is ambiguous between the countries
/// or the municipality has been replaced (merger, renumbering).
pub async fn canonical_code(
    conn: &impl ConnectionTrait,
    field: &str,
    raw: &str,
) -> Result<Option<String>, ApiError> {
    let Ok(code) = MunicipalityCode::parse(raw) else {
        return Ok(None);
    };
    let rows = reference::municipalities_with_digits(conn, code.digits()).await?;
    let candidates: Vec<(String, Country)> = rows
        .iter()
        .map(|m| (m.code().to_owned(), m.municipality.country))
        .collect();
    match resolve_code(&code, &candidates) {
        Ok(key) => {
            let replaced_by = rows
                .iter()
                .find(|m| m.code() == key)
                .and_then(|m| m.replaced_by.as_ref())
                .map(MunicipalityCode::as_str);
            check_not_replaced(replaced_by).map_err(|e| ApiError::from(e.under(field)))?;
            Ok(Some(key))
        }
        Err(_) if candidates.len() <= 1 => Ok(None),
        Err(e) => Err(ApiError::from(e.under(field))),
    }
}

/// Resolves a list of codes to stored keys, each error naming `field[i]`.
pub async fn resolve_municipalities(
    conn: &impl ConnectionTrait,
    field: &str,
    raw: &[String],
) -> Result<Vec<String>, ApiError> {
    let mut keys = Vec::with_capacity(raw.len());
    for (i, code) in raw.iter().enumerate() {
        keys.push(
            resolve_municipality(conn, &format!("{field}[{i}]"), code)
                .await?
                .code()
                .to_owned(),
        );
    }
    keys.sort();
    keys.dedup();
    Ok(keys)
}

/// Refuses (403) unless the caller is an admin, or a broker of a sub-regional platform that
/// serves every one of `codes` (the rule is `broker_domain::platform::manages_municipality`).
pub async fn require_manages(
    state: &AppState,
    who: &Identity,
    codes: &[String],
    what: &str,
) -> Result<(), ApiError> {
    let refused = || {
        ApiError::Forbidden(format!(
            "{what} are managed by admins and the sub-regional broker of the municipalities"
        ))
    };
    match who.role() {
        Role::Admin => return Ok(()),
        Role::Broker => {}
        _ => return Err(refused()),
    }
    let platforms: Vec<reference::PlatformRecord> = reference::list_platforms(state.store.conn())
        .await?
        .into_iter()
        .filter(|p| who.claims().platforms.contains(&p.id))
        .collect();
    let scope = || {
        platforms.iter().map(|p| {
            (
                p.broker_arrangement
                    .as_deref()
                    .and_then(|a| BrokerArrangement::parse(a).ok()),
                p.municipalities.as_slice(),
            )
        })
    };
    if !codes.is_empty()
        && codes
            .iter()
            .all(|c| manages_municipality(false, scope(), c))
    {
        Ok(())
    } else {
        Err(refused())
    }
}

/// Refuses (403) unless the caller is an admin.
pub fn require_admin(who: &Identity, what: &str) -> Result<(), ApiError> {
    if who.is_admin() {
        Ok(())
    } else {
        Err(ApiError::Forbidden(format!("{what} are set up by admins")))
    }
}

/// Records a structure change in the audit trail (and so in the feed) within `txn`.
pub async fn record(
    txn: &impl ConnectionTrait,
    who: &Identity,
    action: &str,
    entity: &'static str,
    entity_id: Option<Uuid>,
    before: Option<serde_json::Value>,
    after: Option<serde_json::Value>,
) -> Result<(), ApiError> {
    audit::record(
        txn,
        audit::AuditEntry {
            actor: who.subject().to_owned(),
            actor_role: Some(who.role().as_str()),
            actor_organisation: who.claims().organisation,
            action: action.to_owned(),
            entity,
            entity_id,
            before,
            after,
        },
    )
    .await?;
    Ok(())
}

/// Commits a structure write with the rematch of every active need it calls for (enqueued in
/// the same transaction); this instance serves the change at once, the others after their next
/// change poll.
pub async fn commit_structure(state: &AppState, txn: DatabaseTransaction) -> Result<(), ApiError> {
    crate::matcher::enqueue_rematch(&txn).await?;
    txn.commit().await.map_err(ApiError::internal)?;
    state.matcher.structure_changed(&state.store).await;
    Ok(())
}

/// A snapshot for the audit trail and feed, with `platform_id` set so followers of the
/// platform hear of it (the feed reads topics from that field).
pub fn with_platform_id(mut snapshot: serde_json::Value, id: Uuid) -> serde_json::Value {
    if let Some(o) = snapshot.as_object_mut() {
        o.insert(
            "platform_id".into(),
            serde_json::Value::String(id.to_string()),
        );
    }
    snapshot
}
