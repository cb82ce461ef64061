//! API input and output types, kept apart from domain and database types. Inputs refuse unknown
//! fields; conversion into domain values happens in `TryFrom`/`into_draft` so every rule lives in
//! `broker-domain`.

pub mod course_requests;
pub mod enums;
pub mod escalation;
pub mod forum;
pub mod matches;
pub mod meetings;
pub mod needs;
pub mod offers;
pub mod public;
pub mod reference;
pub mod reports;
pub mod support;
pub mod taxonomy;

use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::error::ApiError;

/// Largest page a client may ask for.
pub const MAX_LIMIT: u64 = 200;

/// Paging parameters shared by every list.
#[derive(Debug, Clone, Copy, Deserialize, IntoParams)]
#[into_params(parameter_in = Query)]
pub struct Paging {
    /// Items per page, 1 to 200 (default 50).
    #[param(minimum = 1, maximum = 200)]
    pub limit: Option<u64>,
    /// Items to skip (default 0).
    pub offset: Option<u64>,
}

impl Paging {
    /// Validated (limit, offset).
    pub fn resolve(self) -> Result<(u64, u64), ApiError> {
        let limit = self.limit.unwrap_or(50);
        if !(1..=MAX_LIMIT).contains(&limit) {
            return Err(ApiError::field(
                "limit",
                format!("must be between 1 and {MAX_LIMIT}"),
            ));
        }
        let offset = self.offset.unwrap_or(0);
        if offset > 1_000_000 {
            return Err(ApiError::field("offset", "must be at most 1000000"));
        }
        Ok((limit, offset))
    }
}

/// One page of a list, in a stable order, with the total and a link to the next page.
#[derive(Debug, Serialize, ToSchema)]
pub struct Page<T: ToSchema> {
    pub items: Vec<T>,
    /// Matching items in all pages.
    pub total: u64,
    pub limit: u64,
    pub offset: u64,
    /// Relative URL of the next page, when there is one.
    pub next: Option<String>,
}

impl<T: ToSchema> Page<T> {
    /// Builds a page; `next` keeps the request's other query parameters.
    pub fn new(
        items: Vec<T>,
        total: u64,
        limit: u64,
        offset: u64,
        req: &actix_web::HttpRequest,
    ) -> Self {
        let next = (offset + (items.len() as u64) < total).then(|| {
            let kept: Vec<String> = req
                .query_string()
                .split('&')
                .filter(|p| !p.is_empty() && !p.starts_with("offset=") && !p.starts_with("limit="))
                .map(str::to_owned)
                .collect();
            let mut q = kept.join("&");
            if !q.is_empty() {
                q.push('&');
            }
            format!("{}?{q}limit={limit}&offset={}", req.path(), offset + limit)
        });
        Self {
            items,
            total,
            limit,
            offset,
            next,
        }
    }
}

/// Splits a comma-separated query value into trimmed, non-empty parts.
pub fn csv_param(raw: Option<&str>) -> Vec<String> {
    raw.map(|s| {
        s.split(',')
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .map(str::to_owned)
            .collect()
    })
    .unwrap_or_default()
}
