//! Kompetensmäklare's application layer: use cases that take an [`Actor`] and a domain command
//! and answer with domain records or an [`AppError`], and the access policy they share.
//!
//! Handlers decode a request, call one use case and encode its answer; the rules in between
//! (who may see, enter or change what, where a need is placed) live here, once. This crate knows
//! nothing of HTTP: no actix, no DTOs, no status codes. What it needs from outside the database
//! (the in-memory taxonomy and platform cache) it asks for through small traits such as
//! [`needs::NeedPlacement`].
//!
//! Moved here so far: needs (placing, storing, changing, withdrawing; routing a forum's needs to
//! a competence group), the access policies for needs,
//! offers, suggestions and course requests, deciding a suggestion, and the course-request
//! workflow. "Accept means matched" lives once, in [`matches::match_answered_need`].

pub mod access;
mod actor;
pub mod course_requests;
mod error;
pub mod forum_routing;
pub mod matches;
pub mod needs;

pub use actor::{Actor, Role};
pub use error::AppError;
