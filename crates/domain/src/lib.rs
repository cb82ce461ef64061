//! The Kompetensmäklare domain: every object the service knows about, as validated values, and the
//! rules that govern them (organisation-number checks, lifecycles as explicit state machines).
//!
//! This crate must stay free of I/O: no database, no HTTP, no clock, no async. Values are parsed
//! once at the edge ("parse, don't validate"), so a value that exists is valid. Anything that needs
//! "today" takes it as an argument.

pub mod audit;
pub mod course_request;
pub mod error;
pub mod escalation;
pub mod forum;
pub mod geo;
pub mod lifecycle;
pub mod matching;
pub mod meeting;
pub mod need;
pub mod net;
pub mod notify;
pub mod offer;
pub mod organisation;
pub mod person;
pub mod platform;
pub mod report;
pub mod support;
pub mod taxonomy;
pub mod values;

pub use error::{DomainError, FieldError, TransitionError};
