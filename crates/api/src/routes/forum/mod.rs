//! The forum model (Kompetanseforum Østfold): groups with periods and memberships, needs and gaps
//! routed to competence groups, proposals for measures (tiltak) through their lifecycle,
//! workshops that discuss them, and recommendations with follow-up.
//!
//! Scope: admins and the platform's brokers (the coordination team) manage everything; members
//! of the platform's groups (by their organisation, or by person id as token subject) read, and
//! work on what their own group does.

pub mod access;
pub mod group_needs;
pub mod groups;
pub mod memberships;
pub mod proposals;
pub mod recommendations;
pub mod workshops;
