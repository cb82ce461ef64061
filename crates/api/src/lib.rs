//! The Kompetensmäklare HTTP API (actix-web) and the `broker` command line.
//!
//! Handlers stay thin: they extract and authorise, convert DTOs into domain values, call the store
//! or the matching engine, and map results back to DTOs. Rules live in `broker-domain`; matching
//! lives in `broker-matching`; persistence in `broker-store`.

pub mod app;
pub mod auth;
pub mod cli;
pub mod config;
pub mod demo;
pub mod demo_data;
pub mod dto;
pub mod error;
pub mod escalation;
pub mod expiry;
pub mod extract;
pub mod matcher;
pub mod need_writer;
pub mod openapi;
pub mod periodic;
pub mod rate_limit;
pub mod routes;
pub mod starter_taxonomy;
pub mod taxonomy_import;
pub mod telemetry;
pub mod webhooks;

pub use app::Application;
pub use config::Settings;
