//! Every route, registered once through utoipa-actix-web so routes and the OpenAPI spec come from
//! the same list. One handler per file at `<resource>/<action>.rs`.

use utoipa_actix_web::service_config::ServiceConfig;

pub mod audit;
pub mod batch_body;
pub mod course_requests;
pub mod escalation;
pub mod expiry;
pub mod explore;
pub mod forum;
pub mod matches;
pub mod me;
pub mod meetings;
pub mod needs;
pub mod offers;
pub mod public;
pub mod reference;
pub mod reports;
pub mod system;
pub mod taxonomy;
pub mod webhooks;

/// Registers every handler (used both by the server and by the spec generator).
///
/// The router tries routes in this order, matching each path pattern in turn, so the public
/// scope (partner websites' traffic, the busiest and only anonymous part) comes first: behind
/// 120 routes its cached listings spent a third of their time in pattern matching.
pub fn api(cfg: &mut ServiceConfig) {
    public::register(cfg);
    cfg.service(system::healthz::healthz)
        .service(system::readyz::readyz)
        .service(reference::regions::list)
        .service(reference::regions::create)
        .service(reference::regions::update)
        .service(reference::municipalities::list)
        .service(reference::municipalities::create)
        .service(reference::municipalities::update)
        .service(reference::pilot::get)
        .service(reference::pilot::record_status)
        .service(reference::clusters::list)
        .service(reference::clusters::create)
        .service(reference::clusters::update)
        .service(reference::platforms::list)
        .service(reference::platforms::create)
        .service(reference::platforms::get)
        .service(reference::platforms::update)
        .service(reference::platforms::update_settings)
        .service(reference::platforms::set_mandate)
        .service(reference::contacts::list)
        .service(reference::contacts::appoint)
        .service(reference::contacts::update)
        .service(reference::contacts::remove)
        .service(reference::organisations::list)
        .service(reference::organisations::create)
        .service(reference::organisations::get)
        .service(needs::create)
        .service(needs::batch)
        .service(needs::list)
        .service(needs::get)
        .service(needs::update)
        .service(needs::withdraw)
        .service(needs::fulfil)
        .service(needs::need_matches)
        .service(needs::events)
        .service(offers::create)
        .service(offers::batch)
        .service(offers::list)
        .service(offers::get)
        .service(offers::update)
        .service(offers::publish)
        .service(offers::archive)
        .service(offers::demand)
        .service(matches::queue)
        .service(matches::get)
        .service(matches::decide)
        .service(matches::add_outcome)
        .service(explore::explore)
        .service(taxonomy::search)
        .service(taxonomy::parse)
        .service(taxonomy::get)
        .service(taxonomy::occupations)
        .service(taxonomy::changes)
        .service(reports::gap)
        .service(audit::list)
        .service(expiry::run)
        .service(forum::groups::list)
        .service(forum::groups::create)
        .service(forum::groups::get)
        .service(forum::memberships::list)
        .service(forum::memberships::add)
        .service(forum::memberships::end)
        .service(forum::group_needs::list_needs)
        .service(forum::group_needs::gaps)
        .service(forum::proposals::create)
        .service(forum::proposals::list)
        .service(forum::proposals::get)
        .service(forum::proposals::take_action)
        .service(forum::proposals::events)
        .service(forum::workshops::create)
        .service(forum::workshops::list)
        .service(forum::workshops::get)
        .service(forum::workshops::discuss)
        .service(forum::recommendations::create)
        .service(forum::recommendations::list)
        .service(forum::recommendations::get)
        .service(forum::recommendations::record_follow_up)
        .service(escalation::escalate)
        .service(escalation::run)
        .service(course_requests::create)
        .service(course_requests::list)
        .service(course_requests::get)
        .service(course_requests::send)
        .service(course_requests::answer)
        .service(course_requests::answers)
        .service(course_requests::decide)
        .service(course_requests::events)
        .service(meetings::create)
        .service(meetings::list)
        .service(meetings::get)
        .service(meetings::update)
        .service(reports::activity)
        .service(me::subscriptions)
        .service(me::subscribe)
        .service(me::unsubscribe)
        .service(me::feed)
        .service(webhooks::create)
        .service(webhooks::list)
        .service(webhooks::get)
        .service(webhooks::update)
        .service(webhooks::remove)
        .service(webhooks::deliveries)
        .service(webhooks::redeliver);
}

/// Plain actix registration for the server.
pub fn configure(cfg: &mut actix_web::web::ServiceConfig) {
    let mut wrapped = ServiceConfig::new(cfg);
    api(&mut wrapped);
    system::docs::configure(cfg);
}

/// Prefixes every field error of one row with `rows[n].`.
pub(crate) fn in_row(
    row: usize,
    e: crate::error::ApiError,
) -> Vec<broker_domain::error::FieldError> {
    use crate::error::ApiError;
    use broker_domain::error::FieldError;
    match e {
        ApiError::Validation(fields) => fields
            .into_iter()
            .map(|f| f.under(&format!("rows[{row}]")))
            .collect(),
        ApiError::Forbidden(reason) | ApiError::Conflict(reason) => {
            vec![FieldError::new(format!("rows[{row}]"), reason)]
        }
        other => vec![FieldError::new(format!("rows[{row}]"), other.to_string())],
    }
}
