//! Building and running the HTTP server.

use std::net::TcpListener;
use std::sync::Arc;

use actix_web::dev::Server;
use actix_web::{App, HttpServer, web};
use broker_store::Store;
use tracing_actix_web::TracingLogger;

use crate::auth::TokenVerifier;
use crate::config::Settings;
use crate::routes;

/// Everything handlers share.
pub struct AppState {
    pub store: Store,
    pub settings: Settings,
    pub matcher: Arc<crate::matcher::Matcher>,
    pub escalator: Arc<crate::escalation::Escalator>,
    pub need_lists: crate::routes::needs::NeedListCache,
    pub need_writer: crate::need_writer::NeedWriter,
}

/// Why the service could not start.
#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error(transparent)]
    Config(#[from] crate::config::ConfigError),
    #[error(transparent)]
    Key(#[from] crate::auth::KeyError),
    #[error("database: {0}")]
    Store(#[from] broker_store::StoreError),
    #[error("reference data: {0}")]
    Seed(#[from] crate::demo::SeedError),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: String,
        source: std::io::Error,
    },
}

/// A built server, bound to its port, not yet running.
pub struct Application {
    port: u16,
    server: Server,
}

impl Application {
    /// Connects to the database (running migrations), binds the listener and builds the server.
    pub async fn build(mut settings: Settings) -> Result<Self, StartError> {
        settings.check_security()?;
        let verifier = Arc::new(TokenVerifier::from_settings(&settings.jwt)?);
        let store =
            Store::connect_with(&settings.database_url, settings.database_pool_size).await?;
        // Reference data (regions, municipalities, platforms, starter taxonomy) is real data every
        // deployment needs; it is loaded once into an empty database, by one instance at a time.
        let setup = store.lock_setup().await?;
        // A release that ships more of the starter taxonomy brings existing databases up to it.
        let seeded = match crate::demo::seed_reference(&store).await {
            Ok(_) => crate::starter_taxonomy::upgrade(&store)
                .await
                .map(|upgrade| {
                    if let Some(version) = upgrade.version {
                        tracing::info!(
                            version,
                            created = upgrade.created,
                            updated = upgrade.updated,
                            "starter taxonomy upgraded"
                        );
                    }
                }),
            Err(e) => Err(e),
        };
        setup.release().await?;
        seeded?;
        let listener = TcpListener::bind(settings.bind).map_err(|source| StartError::Bind {
            addr: settings.bind.to_string(),
            source,
        })?;
        let port = listener
            .local_addr()
            .map_err(|source| StartError::Bind {
                addr: settings.bind.to_string(),
                source,
            })?
            .port();
        if settings.bind.port() == 0 || settings.public_base_url.ends_with(":0") {
            settings.public_base_url = format!("http://{}:{port}", settings.bind.ip());
        }
        let matcher =
            crate::matcher::Matcher::start(store.clone(), settings.starter_taxonomy).await?;
        crate::matcher::spawn_taxonomy_watch(
            store.clone(),
            Arc::clone(&matcher),
            std::time::Duration::from_secs(settings.taxonomy_poll_secs),
        );
        crate::matcher::spawn_change_poll(
            store.clone(),
            Arc::clone(&matcher),
            std::time::Duration::from_millis(settings.change_poll_ms),
        );
        crate::expiry::spawn(
            store.clone(),
            Arc::clone(&matcher),
            std::time::Duration::from_secs(settings.expiry_interval_secs),
        );
        let escalator = crate::escalation::Escalator::start(
            store.clone(),
            Arc::clone(&matcher),
            (settings.escalation_interval_secs > 0)
                .then(|| std::time::Duration::from_secs(settings.escalation_interval_secs)),
        );
        if settings.webhook_interval_ms > 0 {
            crate::webhooks::Dispatcher::new(
                store.clone(),
                settings.webhook_retry,
                std::time::Duration::from_secs(settings.webhook_timeout_secs),
                settings.webhook_allow_private_targets,
            )
            .spawn(std::time::Duration::from_millis(
                settings.webhook_interval_ms,
            ));
        }
        let need_writer = crate::need_writer::need_writer(store.clone());
        let state = web::Data::new(AppState {
            need_writer,
            store,
            settings,
            matcher,
            escalator,
            need_lists: crate::routes::needs::NeedListCache::default(),
        });
        let server = run(listener, state, verifier).map_err(|source| StartError::Bind {
            addr: "listener".to_owned(),
            source,
        })?;
        Ok(Self { port, server })
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Serves until the process is stopped (SIGINT/SIGTERM stop it gracefully).
    pub async fn run_until_stopped(self) -> std::io::Result<()> {
        self.server.await
    }
}

fn run(
    listener: TcpListener,
    state: web::Data<AppState>,
    verifier: Arc<TokenVerifier>,
) -> std::io::Result<Server> {
    let verifier = web::Data::new(verifier);
    // One rate limiter and listing cache for all workers.
    let public = web::Data::new(routes::public::PublicState::new(&state.settings));
    let body_limit = state.settings.body_limit_bytes;
    let server = HttpServer::new(move || {
        App::new()
            .wrap_fn(needs_may_have_changed)
            .wrap_fn(echo_request_id)
            .wrap(TracingLogger::default())
            .app_data(state.clone())
            .app_data(verifier.clone())
            .app_data(public.clone())
            .app_data(
                web::JsonConfig::default()
                    .limit(body_limit)
                    .error_handler(crate::error::extractors::json),
            )
            .app_data(web::PayloadConfig::default().limit(body_limit))
            .app_data(web::PathConfig::default().error_handler(crate::error::extractors::path))
            .configure(routes::configure)
            .default_service(web::to(unknown_route))
    })
    .listen(listener)?
    .run();
    Ok(server)
}

/// After any request that may write (every method but GET, HEAD and OPTIONS, whatever its
/// answer), some need may have changed: cached needs listings are not served again. Handlers
/// commit before they answer, so this runs after the commit. Writes without a request (jobs)
/// and on other instances reach the listings through the change poll.
fn needs_may_have_changed<S, B>(
    req: actix_web::dev::ServiceRequest,
    srv: &S,
) -> impl std::future::Future<Output = Result<actix_web::dev::ServiceResponse<B>, actix_web::Error>>
+ use<S, B>
where
    S: actix_web::dev::Service<
            actix_web::dev::ServiceRequest,
            Response = actix_web::dev::ServiceResponse<B>,
            Error = actix_web::Error,
        >,
{
    use actix_web::http::Method;
    let writes = ![Method::GET, Method::HEAD, Method::OPTIONS].contains(req.method());
    let state = writes
        .then(|| req.app_data::<web::Data<AppState>>().cloned())
        .flatten();
    let fut = srv.call(req);
    async move {
        let res = fut.await;
        if let Some(state) = state {
            state.matcher.needs_written();
        }
        res
    }
}

/// Returns the request id the tracing span carries as `x-request-id`, so a client can quote it.
fn echo_request_id<S, B>(
    req: actix_web::dev::ServiceRequest,
    srv: &S,
) -> impl std::future::Future<Output = Result<actix_web::dev::ServiceResponse<B>, actix_web::Error>>
+ use<S, B>
where
    S: actix_web::dev::Service<
            actix_web::dev::ServiceRequest,
            Response = actix_web::dev::ServiceResponse<B>,
            Error = actix_web::Error,
        >,
{
    use actix_web::HttpMessage;
    let id = req
        .extensions()
        .get::<tracing_actix_web::RequestId>()
        .copied();
    let fut = srv.call(req);
    async move {
        let mut res = fut.await?;
        if let Some(id) = id
            && let Ok(value) = actix_web::http::header::HeaderValue::from_str(&id.to_string())
        {
            res.headers_mut().insert(
                actix_web::http::header::HeaderName::from_static("x-request-id"),
                value,
            );
        }
        Ok(res)
    }
}

async fn unknown_route() -> actix_web::HttpResponse {
    actix_web::ResponseError::error_response(&crate::error::ApiError::NotFound("route"))
}
