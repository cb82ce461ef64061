//! Audit events: who changed what, when. Append-only.

use serde::Serialize;
use uuid::Uuid;

/// One recorded change.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct AuditEvent {
    pub id: Uuid,
    pub at: chrono::DateTime<chrono::Utc>,
    /// The token subject that made the change (`system` for the service itself).
    pub actor: String,
    /// e.g. `need.create`, `match.decide`.
    pub action: String,
    pub entity: String,
    pub entity_id: Option<Uuid>,
    pub before: Option<serde_json::Value>,
    pub after: Option<serde_json::Value>,
}
