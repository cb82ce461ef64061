//! sea-orm entities, one module per table.

pub mod audit_event;
pub mod cluster;
pub mod cluster_municipality;
pub mod concept;
pub mod group;
pub mod idempotency_key;
pub mod match_outcome;
pub mod match_suggestion;
pub mod meeting;
pub mod membership;
pub mod municipality;
pub mod need;
pub mod need_competence;
pub mod need_event;
pub mod offer;
pub mod offer_competence;
pub mod offer_instance;
pub mod organisation;
pub mod person;
pub mod platform;
pub mod platform_municipality;
pub mod proposal;
pub mod proposal_event;
pub mod recommendation;
pub mod region;
pub mod taxonomy_version;
