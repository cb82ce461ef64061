//! Liveness, readiness and API documentation.

pub mod docs;
pub mod healthz;
pub mod readyz;
