//! Every route, registered once through utoipa-actix-web so routes and the OpenAPI spec come from
//! the same list. One handler per file at `<resource>/<action>.rs`.

use utoipa_actix_web::service_config::ServiceConfig;

pub mod matches;
pub mod needs;
pub mod offers;
pub mod reference;
pub mod system;

/// Registers every handler (used both by the server and by the spec generator).
pub fn api(cfg: &mut ServiceConfig) {
    cfg.service(system::healthz::healthz)
        .service(system::readyz::readyz)
        .service(reference::regions::list)
        .service(reference::municipalities::list)
        .service(reference::clusters::list)
        .service(reference::platforms::list)
        .service(reference::platforms::get)
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
        .service(offers::list)
        .service(offers::get)
        .service(offers::update)
        .service(offers::publish)
        .service(offers::archive)
        .service(offers::demand)
        .service(matches::queue)
        .service(matches::get)
        .service(matches::decide)
        .service(matches::add_outcome);
}

/// Plain actix registration for the server.
pub fn configure(cfg: &mut actix_web::web::ServiceConfig) {
    let mut wrapped = ServiceConfig::new(cfg);
    api(&mut wrapped);
    system::docs::configure(cfg);
}
