//! The matching service: keeps the engine's indexes in memory, in step with the store (offers
//! and needs written by any instance are polled in), and recomputes suggestions in one
//! background worker so requests never wait for a full rematch.
//!
//! Recomputations are durable jobs in the database (`matching_jobs`), shared by every instance:
//! a write enqueues its job in its own transaction, so a crash after commit loses nothing.
//! Creating or changing a need enqueues that need, and the instance that took the request runs
//! it at once (the request waits a short while for its own suggestions, never for others); other
//! instances take it only if that one did not within [`matching_jobs::FAST_PATH_GRACE`]. Changing an offer
//! enqueues a job any instance may take, which enqueues the needs the offer could serve or is
//! suggested to. Start-up rebuilds the indexes and enqueues one full rematch for all instances.
//!
//! The structure (platforms, contact persons, regions, municipalities, clusters) is held in
//! memory too, with the stored structure version it was loaded at: the change poll reloads it
//! when that version moved, so a change made through any instance reaches every one.

use broker_domain::taxonomy::ConceptKind;
use std::collections::{BTreeMap, BTreeSet, HashMap, HashSet};
use std::sync::atomic::{AtomicI32, AtomicI64, AtomicU64, Ordering};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use broker_domain::matching::MatchKind;
use broker_domain::need::{Importance, Need};
use broker_domain::offer::{Delivery as OfferDelivery, Offer, OfferStatus};
use broker_matching::{
    Catalogue, ConceptInput, ConceptSource, ContactDoc, Delivery, DeliveryPreference, Engine,
    Geography, InstanceDoc, Label, Lang, ListedInstance, ListedOffer, MatchOptions,
    MunicipalityGeo, NeedDoc, OccupationInput, OfferDoc, Reach, Requirement, Suggestion,
    SuggestionKind, Taxonomy, Weights,
};
use broker_store::changes::ChangeCursor;
use broker_store::repo::matching_jobs::{self, ClaimedJob, JobKind};
use broker_store::repo::reference::PlatformRecord;
use broker_store::repo::{matches, needs, offers, reference, taxonomy};
use broker_store::{Store, StoreError};
use chrono::Utc;
use sea_orm::ConnectionTrait;
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

use crate::routes::public::listing::Places;

/// How long a claimed job stays with its claimer before another instance may take it over.
const LEASE: chrono::Duration = chrono::Duration::minutes(5);
/// How long a failed job waits before it is tried again.
const RETRY_AFTER: chrono::Duration = chrono::Duration::seconds(1);
/// Jobs claimed at a time: a bulk load queues one job per offer.
const CLAIM_BATCH: u64 = 256;
/// Claimed offer jobs run together, this many at a time, with local work run in between.
const OFFER_SLICE: usize = 64;
/// How often an idle worker looks for jobs other instances enqueued.
const JOB_POLL: Duration = Duration::from_millis(250);

/// Work handed to this instance's worker directly.
#[derive(Debug)]
enum Local {
    /// Run the stored job for a change this instance just committed, at once; `done` is told
    /// when it ran (or another instance holds it).
    Run {
        kind: JobKind,
        id: Uuid,
        done: Option<oneshot::Sender<()>>,
    },
    /// Enqueue a rematch of every active need (the taxonomy changed).
    All,
}

/// One need to recompute in a batch: with `cascade`, the needs it pools with are rescored too;
/// a claimed `job` is finished with it.
#[derive(Clone, Copy)]
struct Recompute<'a> {
    need_id: Uuid,
    cascade: bool,
    job: Option<&'a ClaimedJob>,
}

/// Shared handle to the engine and its worker.
pub struct Matcher {
    engine: RwLock<Engine>,
    /// Published offers' listing facts, changed as soon as a write commits (not behind the
    /// matching queue), so public listings never lag the store.
    catalogue: RwLock<Catalogue>,
    concepts: RwLock<HashMap<Uuid, taxonomy::ConceptRecord>>,
    platforms: RwLock<HashMap<Uuid, PlatformRecord>>,
    /// Regions, municipalities and clusters, as public listings resolve and name them.
    places: RwLock<Arc<Places>>,
    /// The structure version `platforms` and `places` were loaded at (see
    /// [`Matcher::reload_structure_if_changed`]).
    structure_version: AtomicI64,
    /// The geography and contacts the engine holds; locked while the engine is rebuilt or its
    /// structure reloaded, so those never interleave.
    indexed: tokio::sync::Mutex<IndexedStructure>,
    jobs: mpsc::UnboundedSender<Local>,
    /// Wakes the worker to look for due jobs (an offer job was just enqueued).
    wake: tokio::sync::Notify,
    /// This instance's name on the jobs it claims.
    instance: String,
    /// Whether the starter taxonomy takes part in resolution and matching.
    starter_taxonomy: bool,
    /// The taxonomy version the engine was built from (see [`Matcher::reload_if_changed`]).
    taxonomy_version: AtomicI32,
    /// Where the next poll for offers written by any instance starts (see
    /// [`Matcher::catch_up_offers`]).
    offers_from: tokio::sync::Mutex<ChangeCursor>,
    /// How far this instance has read needs written by any instance, and the version of each
    /// need in the engine (active ones only).
    needs_seen: tokio::sync::Mutex<NeedsSeen>,
    /// Told the id of every need whose pooling suggestions were just written (the escalation job).
    pooling_listener: std::sync::OnceLock<mpsc::UnboundedSender<Uuid>>,
    /// Bumped after any need may have changed (see [`Matcher::needs_generation`]).
    needs_generation: AtomicU64,
}

/// What the engine was built with besides the taxonomy, offers and needs: a structure change
/// compares against it to rebuild only what it must.
#[derive(Debug, Default)]
struct IndexedStructure {
    geography: Vec<MunicipalityGeo>,
    /// By id, so the engine is always filled in the same order.
    contacts: BTreeMap<Uuid, ContactDoc>,
}

/// See [`Matcher::catch_up_needs`].
#[derive(Debug, Default)]
struct NeedsSeen {
    /// Where the next poll starts, as for offers.
    from: ChangeCursor,
    indexed: HashMap<Uuid, i32>,
}

impl std::fmt::Debug for Matcher {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Matcher").finish_non_exhaustive()
    }
}

pub fn lang_of(code: &str) -> Option<Lang> {
    match code {
        "sv" => Some(Lang::Sv),
        "nb" => Some(Lang::Nb),
        "en" => Some(Lang::En),
        _ => None,
    }
}

/// Starter-taxonomy concepts have a key (`crates/api/demo/taxonomy.json`); imported ones do not.
fn concept_source(c: &taxonomy::ConceptRecord) -> ConceptSource {
    if c.key.is_some() {
        ConceptSource::Starter
    } else {
        ConceptSource::Imported
    }
}

/// Builds the in-memory taxonomy from the stored concepts.
pub fn build_taxonomy(concepts: &[taxonomy::ConceptRecord]) -> Taxonomy {
    build_taxonomy_from(concepts, true)
}

/// Builds the in-memory taxonomy, with or without the starter taxonomy's concepts (a region that
/// imports ESCO or its own taxonomy can leave them out of resolution and matching; they stay
/// stored, so needs and offers that name them keep their labels).
pub fn build_taxonomy_from(concepts: &[taxonomy::ConceptRecord], starter: bool) -> Taxonomy {
    let concepts: Vec<&taxonomy::ConceptRecord> = concepts
        .iter()
        .filter(|c| starter || concept_source(c) != ConceptSource::Starter)
        .collect();
    let labels = |c: &taxonomy::ConceptRecord| -> Vec<Label> {
        c.labels
            .iter()
            .filter_map(|l| {
                lang_of(&l.lang).map(|lang| Label {
                    lang,
                    text: l.text.clone(),
                    preferred: l.preferred,
                })
            })
            .collect()
    };
    let competences = concepts
        .iter()
        .copied()
        .filter(|c| c.kind == ConceptKind::Competence)
        .map(|c| ConceptInput {
            id: c.id,
            labels: labels(c),
            deprecated: c.deprecated,
            replaced_by: c.replaced_by,
            source: concept_source(c),
        })
        .collect();
    let occupations = concepts
        .iter()
        .copied()
        .filter(|c| c.kind == ConceptKind::Occupation)
        .map(|c| OccupationInput {
            id: c.id,
            labels: labels(c),
            essential: c.essential.clone(),
            optional: c.optional.clone(),
            source: concept_source(c),
        })
        .collect();
    Taxonomy::build(competences, occupations)
}

pub fn need_doc(n: &Need) -> NeedDoc {
    let s = &n.spec;
    NeedDoc {
        id: n.id,
        title: s.title.as_str().to_owned(),
        description: s
            .description
            .as_ref()
            .map(|d| d.as_str().to_owned())
            .unwrap_or_default(),
        municipality: s.municipality.as_str().to_owned(),
        requirements: s
            .competences
            .iter()
            .map(|c| Requirement {
                concept_id: c.concept_id,
                label: c.label.as_str().to_owned(),
                must_have: c.importance == Importance::MustHave,
                level: c.level.map(|l| l.get()),
            })
            .collect(),
        occupation: s.occupation_id,
        headcount: s.headcount.get(),
        needed_by: s.needed_by,
        wanted_level: s.wanted_level.map(|l| l.get()),
        delivery: Some(DeliveryPreference {
            on_site: s.delivery.on_site,
            distance: s.delivery.distance,
            part_time: s.delivery.part_time,
        }),
    }
}

pub fn offer_doc(o: &Offer) -> OfferDoc {
    let s = &o.spec;
    let mut description = s
        .description
        .as_ref()
        .map(|d| d.as_str().to_owned())
        .unwrap_or_default();
    for l in &s.competence_labels {
        description.push(' ');
        description.push_str(l.as_str());
    }
    OfferDoc {
        id: o.id,
        title: s.title.as_str().to_owned(),
        description,
        concepts: s.competence_ids.clone(),
        level: s.level.map(|l| l.get()),
        delivery: offer_doc_delivery(s.delivery),
        instances: s
            .instances
            .iter()
            .map(|i| InstanceDoc {
                start: i.start,
                municipality: i.municipality.as_ref().map(|m| m.as_str().to_owned()),
                distance: i.distance,
                seats: i.seats,
            })
            .collect(),
    }
}

/// What public listings filter, order and count an offer by.
pub fn listed_offer(o: &Offer) -> ListedOffer {
    let s = &o.spec;
    ListedOffer {
        id: o.id,
        version: o.version,
        provider_id: s.provider_id,
        delivery: offer_doc_delivery(s.delivery),
        level: s.level.map(|l| l.get()),
        language: s.language.code().to_owned(),
        concepts: s.competence_ids.clone(),
        instances: s
            .instances
            .iter()
            .map(|i| ListedInstance {
                start: i.start,
                municipality: i.municipality.as_ref().map(|m| m.as_str().to_owned()),
                distance: i.distance,
            })
            .collect(),
        updated_at: o.updated_at,
        published_at: o.published_at,
    }
}

/// The engine's delivery for the domain's.
pub fn offer_doc_delivery(d: OfferDelivery) -> Delivery {
    match d {
        OfferDelivery::OnSite => Delivery::OnSite,
        OfferDelivery::Distance => Delivery::Distance,
        OfferDelivery::Blended => Delivery::Blended,
    }
}

/// The domain's delivery for the engine's.
pub fn domain_delivery(d: Delivery) -> OfferDelivery {
    match d {
        Delivery::OnSite => OfferDelivery::OnSite,
        Delivery::Distance => OfferDelivery::Distance,
        Delivery::Blended => OfferDelivery::Blended,
    }
}

fn contact_doc(p: &reference::PersonRecord) -> Option<ContactDoc> {
    p.roles
        .iter()
        .any(|r| r == "municipal_contact")
        .then(|| ContactDoc {
            id: p.id,
            municipalities: p.municipalities.clone(),
            concepts: p.areas.clone(),
            area_text: p.area_text.clone(),
        })
}

/// Matching options from a platform's settings.
pub fn options_for(settings: &broker_domain::platform::MatchingSettings) -> MatchOptions {
    MatchOptions {
        weights: Weights {
            competence: settings.competence,
            text: settings.text,
            geography: settings.geography,
            timing: settings.timing,
            level: settings.level,
            capacity: settings.capacity,
            delivery: settings.delivery,
        },
        min_score: settings.min_score,
        max_results: usize::try_from(settings.max_results).unwrap_or(10),
        today: Utc::now().date_naive(),
        reach: Reach::parse(settings.reach.as_str()).unwrap_or_default(),
        // Stored explanations: English sentences, concepts named in the need's language; a
        // reader's language is rendered from the stored reasons (`routes::matches`).
        lang: None,
    }
}

fn kind_of(k: SuggestionKind) -> MatchKind {
    match k {
        SuggestionKind::Offer => MatchKind::Offer,
        SuggestionKind::Contact => MatchKind::Contact,
        SuggestionKind::Need => MatchKind::Need,
    }
}

fn computed(s: &Suggestion) -> matches::ComputedSuggestion {
    matches::ComputedSuggestion {
        kind: kind_of(s.kind),
        target_id: s.target_id,
        score: (s.score * 10_000.0).round() / 10_000.0,
        factors: serde_json::to_value(&s.factors).unwrap_or_default(),
        evidence: serde_json::to_value(&s.evidence).unwrap_or_default(),
        explanation: s.explanation.clone(),
    }
}

impl Matcher {
    /// Loads the indexes from the store and starts the worker (which recomputes all active needs).
    pub async fn start(store: Store, starter_taxonomy: bool) -> Result<Arc<Self>, StoreError> {
        let version = taxonomy::current_version(store.conn()).await?;
        let structure_version = reference::structure_version(store.conn()).await?;
        // Changes committed after the load are read by the change poller.
        let poll_from = ChangeCursor::start(store.conn()).await?;
        let loaded = load_engine(&store, starter_taxonomy, true).await?;
        let platforms = platforms_by_id(store.conn()).await?;
        let (tx, rx) = mpsc::unbounded_channel();
        let matcher = Arc::new(Self {
            engine: RwLock::new(loaded.engine),
            catalogue: RwLock::new(loaded.catalogue.unwrap_or_default()),
            offers_from: tokio::sync::Mutex::new(poll_from),
            concepts: RwLock::new(loaded.concepts),
            platforms: RwLock::new(platforms),
            places: RwLock::new(Arc::new(loaded.places)),
            structure_version: AtomicI64::new(structure_version),
            indexed: tokio::sync::Mutex::new(loaded.structure),
            needs_seen: tokio::sync::Mutex::new(NeedsSeen {
                from: poll_from,
                indexed: loaded.active,
            }),
            jobs: tx,
            wake: tokio::sync::Notify::new(),
            instance: format!("matcher-{}", Uuid::new_v4().simple()),
            starter_taxonomy,
            taxonomy_version: AtomicI32::new(version),
            pooling_listener: std::sync::OnceLock::new(),
            needs_generation: AtomicU64::new(0),
        });
        // One full rematch however many instances start: the first enqueues it, whoever is free
        // runs it. With no active need there is nothing to rematch (and nothing to write).
        if !matcher.needs_seen.lock().await.indexed.is_empty() {
            let txn = store.begin().await?;
            matching_jobs::enqueue_once(&txn, JobKind::All, Uuid::nil()).await?;
            txn.commit().await?;
        }
        tokio::spawn(worker(Arc::clone(&matcher), store, rx));
        Ok(matcher)
    }

    /// Registers the one listener told about needs that have pooling suggestions.
    pub fn on_pooling(&self, listener: mpsc::UnboundedSender<Uuid>) {
        let _ = self.pooling_listener.set(listener);
    }

    /// A stored concept by id (labels in every language, ESCO URI, deprecation).
    pub fn concept(&self, id: Uuid) -> Option<taxonomy::ConceptRecord> {
        self.concepts.read().ok().and_then(|c| c.get(&id).cloned())
    }
}

/// Reads offers, needs and structure changed by any instance into this one's listings, index
/// and caches: every `every`, and on PostgreSQL also as soon as another instance announces a
/// change (`LISTEN`), which wakes the job worker too.
pub fn spawn_change_poll(store: Store, matcher: Arc<Matcher>, every: Duration) {
    if every.is_zero() {
        return;
    }
    let announced = Arc::new(tokio::sync::Notify::new());
    spawn_change_listener(store.clone(), Arc::clone(&matcher), Arc::clone(&announced));
    crate::periodic::spawn_every_or_woken(
        every,
        Some(announced),
        "offer, need and structure change poll",
        move || {
            let store = store.clone();
            let matcher = Arc::clone(&matcher);
            async move {
                matcher.reload_structure_if_changed(&store).await?;
                matcher.catch_up_offers(&store).await?;
                matcher.catch_up_needs(&store).await.map(|_| ())
            }
        },
    );
}

/// Listens for changes other instances announce (PostgreSQL only) and wakes the change poll
/// and the job worker. Reconnects after losing its connection; the poll covers the gap.
fn spawn_change_listener(store: Store, matcher: Arc<Matcher>, announced: Arc<tokio::sync::Notify>) {
    tokio::spawn(async move {
        loop {
            let mut listener = match store.listen_for_changes().await {
                Ok(Some(listener)) => listener,
                Ok(None) => return,
                Err(e) => {
                    tracing::warn!(error = %e, "listening for other instances' changes failed; retrying");
                    tokio::time::sleep(Duration::from_secs(5)).await;
                    continue;
                }
            };
            loop {
                if let Err(e) = listener.next().await {
                    tracing::warn!(error = %e, "change announcements interrupted; listening again");
                    break;
                }
                announced.notify_one();
                matcher.wake.notify_one();
            }
            tokio::time::sleep(Duration::from_secs(1)).await;
        }
    });
}

/// Enqueues the rematch an offer's change calls for; call inside the transaction of the write,
/// then [`Matcher::offer_changed`] after commit.
pub async fn enqueue_offer(txn: &impl ConnectionTrait, id: Uuid) -> Result<(), StoreError> {
    matching_jobs::enqueue(txn, JobKind::Offer, id, chrono::Duration::zero()).await
}

/// [`enqueue_offer`] for a batch of offers, in multi-row statements.
pub async fn enqueue_offers(txn: &impl ConnectionTrait, ids: &[Uuid]) -> Result<(), StoreError> {
    matching_jobs::enqueue_many(txn, JobKind::Offer, ids, chrono::Duration::zero()).await
}

/// Enqueues a rematch of every active need (the structure changed: platforms' settings and
/// periods, contacts, geography); call inside the transaction of the write, then
/// [`Matcher::structure_changed`] after commit.
pub async fn enqueue_rematch(txn: &impl ConnectionTrait) -> Result<(), StoreError> {
    matching_jobs::enqueue(txn, JobKind::All, Uuid::nil(), chrono::Duration::zero()).await
}

/// Polls the stored taxonomy version every `every` and reloads the indexes when it changed.
pub fn spawn_taxonomy_watch(store: Store, matcher: Arc<Matcher>, every: Duration) {
    crate::periodic::spawn_every(every, "taxonomy version check", move || {
        let store = store.clone();
        let matcher = Arc::clone(&matcher);
        async move { matcher.reload_if_changed(&store).await.map(|_| ()) }
    });
}

/// What [`load_engine`] loaded.
struct Loaded {
    engine: Engine,
    concepts: HashMap<Uuid, taxonomy::ConceptRecord>,
    /// The public listings' catalogue of the published offers, when asked for.
    catalogue: Option<Catalogue>,
    /// The version of each active need it indexed.
    active: HashMap<Uuid, i32>,
    places: Places,
    structure: IndexedStructure,
}

/// The matching geography of the stored places.
fn geography_of(places: &Places) -> Vec<MunicipalityGeo> {
    places
        .municipalities
        .iter()
        .map(|m| MunicipalityGeo {
            code: m.code().to_owned(),
            region: places
                .region_key_of(m.code())
                .unwrap_or_default()
                .to_owned(),
            clusters: places
                .clusters
                .iter()
                .filter(|c| c.municipalities.iter().any(|code| code == m.code()))
                .map(|c| c.key.clone())
                .collect(),
            name: Some(m.name().to_owned()),
            // The reference data has no level between cluster and region.
            sub_region: None,
        })
        .collect()
}

/// The appointed contact persons, as match targets.
async fn contacts_of(
    conn: &impl ConnectionTrait,
) -> Result<BTreeMap<Uuid, ContactDoc>, StoreError> {
    Ok(reference::list_persons(conn)
        .await?
        .iter()
        .filter_map(contact_doc)
        .map(|c| (c.id, c))
        .collect())
}

async fn platforms_by_id(
    conn: &impl ConnectionTrait,
) -> Result<HashMap<Uuid, PlatformRecord>, StoreError> {
    Ok(reference::list_platforms(conn)
        .await?
        .into_iter()
        .map(|p| (p.id, p))
        .collect())
}

/// Builds the engine from everything stored: taxonomy, geography, published offers, contacts,
/// active needs; and, `with_catalogue`, the public listings' catalogue of the published offers.
///
/// This is most of a restart's time at scale; the engine and the catalogue are built on two
/// threads.
async fn load_engine(
    store: &Store,
    starter_taxonomy: bool,
    with_catalogue: bool,
) -> Result<Loaded, StoreError> {
    let started = std::time::Instant::now();
    let conn = store.conn();
    // Read one after another: read side by side on the pool's connections they took 0.7 s less
    // at 100,000 offers but left 200 MB more resident (each connection's thread keeps the
    // memory its rows were decoded in).
    let all_concepts = taxonomy::all(conn).await?;
    let places = Places::load(conn).await?;
    let published = offers::published(conn).await?;
    let contacts = contacts_of(conn).await?;
    let active_needs = needs::active(conn).await?;
    let read = started.elapsed();
    let geography = geography_of(&places);
    let built = {
        let geography = geography.clone();
        let contacts = contacts.clone();
        tokio::task::spawn_blocking(move || {
            std::thread::scope(|scope| {
                let catalogue = with_catalogue
                    .then(|| scope.spawn(|| Catalogue::new(published.iter().map(listed_offer))));
                let taxonomy = Arc::new(build_taxonomy_from(&all_concepts, starter_taxonomy));
                let mut engine = Engine::new(taxonomy, Geography::new(geography));
                for o in &published {
                    engine.upsert_offer(offer_doc(o));
                }
                for c in contacts.into_values() {
                    engine.upsert_contact(c);
                }
                let mut active = HashMap::with_capacity(active_needs.len());
                for n in &active_needs {
                    engine.upsert_need(need_doc(&n.need));
                    active.insert(n.need.id, n.need.version);
                }
                // A panic in the catalogue's thread is re-raised here, as it would have been
                // had it been built on this one.
                let catalogue = catalogue.map(|handle| match handle.join() {
                    Ok(catalogue) => catalogue,
                    Err(panic) => std::panic::resume_unwind(panic),
                });
                (engine, catalogue, active, all_concepts)
            })
        })
        .await
    };
    let (engine, catalogue, active, all_concepts) = match built {
        Ok(built) => built,
        Err(e) => std::panic::resume_unwind(e.into_panic()),
    };
    tracing::info!(
        offers = catalogue.as_ref().map(Catalogue::len),
        needs = active.len(),
        read_ms = read.as_millis() as u64,
        built_ms = (started.elapsed() - read).as_millis() as u64,
        "matching indexes loaded"
    );
    Ok(Loaded {
        engine,
        catalogue,
        concepts: all_concepts.into_iter().map(|c| (c.id, c)).collect(),
        active,
        places,
        structure: IndexedStructure {
            geography,
            contacts,
        },
    })
}

impl Matcher {
    /// Read access to the engine (taxonomy lookups, ad-hoc scoring).
    pub fn with_engine<T>(&self, f: impl FnOnce(&Engine) -> T) -> T {
        match self.engine.read() {
            Ok(e) => f(&e),
            Err(poisoned) => f(&poisoned.into_inner()),
        }
    }

    fn with_engine_mut(&self, f: impl FnOnce(&mut Engine)) {
        match self.engine.write() {
            Ok(mut e) => f(&mut e),
            Err(poisoned) => f(&mut poisoned.into_inner()),
        }
    }

    /// Where a need in `code` is routed first, from the cached platforms (no database read).
    pub fn home_platform(&self, code: &str) -> Option<PlatformRecord> {
        self.platforms
            .read()
            .ok()
            .and_then(|p| reference::home_platform(p.values(), code).cloned())
    }

    /// Regions, municipalities and clusters as last loaded (no database read).
    pub fn places(&self) -> Arc<Places> {
        match self.places.read() {
            Ok(p) => Arc::clone(&p),
            Err(poisoned) => Arc::clone(&poisoned.into_inner()),
        }
    }

    /// The structure version the cached platforms and places were loaded at.
    pub fn structure_version(&self) -> i64 {
        self.structure_version.load(Ordering::SeqCst)
    }

    /// A structure write (with [`enqueue_rematch`]) committed through this instance: this
    /// instance serves it at once, others on their change poll; the rematch runs in the
    /// background on whichever instance takes it.
    pub async fn structure_changed(&self, store: &Store) {
        if let Err(e) = self.reload_structure(store).await {
            tracing::warn!(error = %e, "reloading the structure after a change failed");
        }
        self.wake.notify_one();
    }

    /// Reloads the structure when the stored version differs from the one this instance loaded:
    /// a change made through another instance reaches this one without a restart. Returns
    /// whether it reloaded. Suggestions are recomputed by the job the writing instance enqueued
    /// (which runs after every instance's [`Matcher::catch_up`]), so none is enqueued here.
    pub async fn reload_structure_if_changed(&self, store: &Store) -> Result<bool, StoreError> {
        let stored = reference::structure_version(store.conn()).await?;
        if stored == self.structure_version() {
            return Ok(false);
        }
        self.reload_structure(store).await?;
        tracing::info!(version = stored, "structure changed; reloaded");
        Ok(true)
    }

    /// Reloads platforms and places, and brings the engine's contacts and geography up to what
    /// is stored. A changed geography rebuilds the whole engine (indexed offers and needs hold
    /// their municipalities resolved against it: a start-up's cost, for a rare change); changed
    /// contacts alone are replaced in place.
    async fn reload_structure(&self, store: &Store) -> Result<(), StoreError> {
        let conn = store.conn();
        let mut indexed = self.indexed.lock().await;
        // Read first: a write committing during the load is picked up by the next poll.
        let version = reference::structure_version(conn).await?;
        let places = Places::load(conn).await?;
        let platforms = platforms_by_id(conn).await?;
        let contacts = contacts_of(conn).await?;
        if geography_of(&places) != indexed.geography {
            self.rebuild(store, &mut indexed).await?;
        } else if contacts != indexed.contacts {
            self.with_engine_mut(|e| {
                for gone in indexed
                    .contacts
                    .keys()
                    .filter(|id| !contacts.contains_key(id))
                {
                    e.remove_contact(*gone);
                }
                for (id, c) in &contacts {
                    if indexed.contacts.get(id) != Some(c) {
                        e.upsert_contact(c.clone());
                    }
                }
            });
            indexed.contacts = contacts;
        }
        if let Ok(mut p) = self.platforms.write() {
            *p = platforms;
        }
        if let Ok(mut p) = self.places.write() {
            *p = Arc::new(places);
        }
        self.structure_version.store(version, Ordering::SeqCst);
        Ok(())
    }

    pub fn platform(&self, id: Uuid) -> Option<PlatformRecord> {
        self.platforms.read().ok().and_then(|p| p.get(&id).cloned())
    }

    /// Changes whenever a need may have changed: after a write on this instance commits, and
    /// when the change poll reads one written anywhere. What was read from the database under
    /// one generation may be served again while it holds.
    pub fn needs_generation(&self) -> u64 {
        self.needs_generation.load(Ordering::Acquire)
    }

    /// Some need may have changed (call after the write commits).
    pub fn needs_written(&self) {
        self.needs_generation.fetch_add(1, Ordering::AcqRel);
    }

    /// A need's write (with [`matching_jobs::enqueue_need`]) committed: runs its job here at once, waiting at
    /// most `wait` for its suggestions.
    pub async fn need_changed(&self, id: Uuid, wait: Duration) {
        self.needs_written();
        let (done, finished) = oneshot::channel();
        if self
            .jobs
            .send(Local::Run {
                kind: JobKind::Need,
                id,
                done: Some(done),
            })
            .is_ok()
        {
            let _ = tokio::time::timeout(wait, finished).await;
        }
    }

    /// An offer's write (with [`enqueue_offer`]) committed: listings and text search show it at
    /// once; suggestions for the needs it could serve follow in the background, on whichever
    /// instance takes the job.
    pub fn offer_changed(&self, offer: &Offer) {
        self.index_offer(offer);
        self.wake.notify_one();
    }

    /// Lists or unlists an offer by its status, in the catalogue and the engine's index (text
    /// search and matching). Returns whether listings changed.
    fn index_offer(&self, offer: &Offer) -> bool {
        let changed = self.apply_to_catalogue(offer);
        if changed {
            if offer.status == OfferStatus::Published {
                let doc = offer_doc(offer);
                self.with_engine_mut(|e| e.upsert_offer(doc));
            } else {
                self.with_engine_mut(|e| e.remove_offer(offer.id));
            }
        }
        changed
    }

    /// Lists, relists or unlists an offer by its status. Returns whether listings changed.
    fn apply_to_catalogue(&self, offer: &Offer) -> bool {
        let mut catalogue = match self.catalogue.write() {
            Ok(c) => c,
            Err(poisoned) => poisoned.into_inner(),
        };
        if offer.status == OfferStatus::Published {
            catalogue.upsert(listed_offer(offer))
        } else {
            catalogue.remove(offer.id, offer.updated_at)
        }
    }

    /// Reads every offer changed since the last poll (by this instance or another over the same
    /// database) into the listings and the matching index. Offers already current here are
    /// skipped, so a change this instance wrote costs one small row. Returns how many changed.
    ///
    /// The poll follows the commit order ([`ChangeCursor`]): it reads each change once, and an
    /// idle instance reads nothing.
    pub async fn catch_up_offers(&self, store: &Store) -> Result<usize, StoreError> {
        const PAGE: u64 = 2000;
        let mut from = self.offers_from.lock().await;
        let mut applied = 0;
        loop {
            let changes = offers::changes_since(store.conn(), *from, PAGE).await?;
            let Some(last) = changes.last().map(|ch| ch.position) else {
                break;
            };
            let stale: Vec<Uuid> = self.with_catalogue(|c| {
                changes
                    .iter()
                    .filter(|ch| match c.version_of(ch.id) {
                        Some(listed) => !ch.published || listed < ch.version,
                        None => ch.published,
                    })
                    .map(|ch| ch.id)
                    .collect()
            });
            for offer in offers::get_many(store.conn(), &stale).await? {
                if self.index_offer(&offer) {
                    applied += 1;
                }
            }
            // Moved only once the page is applied: a failed read is read again next time.
            *from = last;
            if (changes.len() as u64) < PAGE {
                break;
            }
        }
        Ok(applied)
    }

    /// Read access to the public catalogue.
    pub fn with_catalogue<T>(&self, f: impl FnOnce(&Catalogue) -> T) -> T {
        match self.catalogue.read() {
            Ok(c) => f(&c),
            Err(poisoned) => f(&poisoned.into_inner()),
        }
    }

    /// Rebuilds the indexes (after a taxonomy import) and recomputes everything.
    pub async fn reload(&self, store: &Store) -> Result<(), StoreError> {
        let mut indexed = self.indexed.lock().await;
        self.rebuild(store, &mut indexed).await?;
        drop(indexed);
        let _ = self.jobs.send(Local::All);
        Ok(())
    }

    /// Rebuilds the engine from everything stored; `indexed` (held locked by the caller) is
    /// set to what it was built with.
    async fn rebuild(
        &self,
        store: &Store,
        indexed: &mut IndexedStructure,
    ) -> Result<(), StoreError> {
        // Read the version first: an import committing during the load is picked up next time.
        let version = taxonomy::current_version(store.conn()).await?;
        let mut seen = self.needs_seen.lock().await;
        let loaded = load_engine(store, self.starter_taxonomy, false).await?;
        self.taxonomy_version.store(version, Ordering::SeqCst);
        self.with_engine_mut(|e| *e = loaded.engine);
        seen.indexed = loaded.active;
        drop(seen);
        *indexed = loaded.structure;
        if let Ok(mut c) = self.concepts.write() {
            *c = loaded.concepts;
        }
        Ok(())
    }

    /// Reloads when the stored taxonomy version differs from the one the engine was built from:
    /// an import by the CLI or by another instance reaches this one without a restart. Returns
    /// whether it reloaded.
    pub async fn reload_if_changed(&self, store: &Store) -> Result<bool, StoreError> {
        let stored = taxonomy::current_version(store.conn()).await?;
        if stored == self.taxonomy_version.load(Ordering::SeqCst) {
            return Ok(false);
        }
        self.reload(store).await?;
        tracing::info!(version = stored, "taxonomy changed; indexes reloaded");
        Ok(true)
    }

    pub fn options_for_platform(&self, platform: Uuid) -> MatchOptions {
        self.platform(platform).map_or_else(
            || MatchOptions::new(Utc::now().date_naive()),
            |p| options_for(&p.settings),
        )
    }

    /// Suggestions for a need with explicit options (a broker exploring other weights).
    pub fn explore(&self, need: &Need, opts: &MatchOptions) -> Vec<Suggestion> {
        let doc = need_doc(need);
        self.with_engine(|e| {
            let (mut all, contacts) = e.suggest_offers_and_contacts(&doc, opts);
            all.extend(contacts);
            all.extend(e.suggest_pooling(&doc, opts));
            all
        })
    }

    /// Records which version of a need the engine holds (`None`: not indexed).
    async fn note_indexed(&self, id: Uuid, version: Option<i32>) {
        let mut seen = self.needs_seen.lock().await;
        match version {
            Some(v) => seen.indexed.insert(id, v),
            None => seen.indexed.remove(&id),
        };
    }

    /// Recomputes and stores a need's suggestions (see [`Matcher::recompute_needs`]).
    async fn recompute_need(
        &self,
        store: &Store,
        id: Uuid,
        cascade: bool,
        job: Option<&ClaimedJob>,
    ) -> Result<(), StoreError> {
        self.recompute_needs(
            store,
            &[Recompute {
                need_id: id,
                cascade,
                job,
            }],
        )
        .await
    }

    /// Recomputes and stores the suggestions of several needs in one transaction. With
    /// `cascade`, the needs one pools with are rescored too, so they suggest it back: a new need
    /// changes only their pooling lists, which are written in the same transaction (a partner
    /// the engine does not hold gets a job instead). Claimed jobs are finished in that
    /// transaction: done exactly when their suggestions are written. Many needs at once is
    /// what keeps need creation fast: the statements are per batch, not per need.
    async fn recompute_needs(
        &self,
        store: &Store,
        work: &[Recompute<'_>],
    ) -> Result<(), StoreError> {
        let mut ids: Vec<Uuid> = work.iter().map(|w| w.need_id).collect();
        ids.sort_unstable();
        ids.dedup();
        let mut active: HashMap<Uuid, Need> = needs::get_many(store.conn(), &ids)
            .await?
            .into_iter()
            .map(|r| r.need)
            .filter(|n| n.status.is_active())
            .map(|n| (n.id, n))
            .collect();
        // Every need of the batch is in the engine before any is scored, so needs entered
        // together see each other.
        let mut gone = Vec::new();
        let mut to_score: Vec<(Uuid, Uuid, NeedDoc, MatchOptions)> = Vec::new();
        for &id in &ids {
            let version = active.get(&id).map(|n| n.version);
            match active.remove(&id) {
                Some(need) => {
                    let doc = need_doc(&need);
                    self.with_engine_mut(|e| e.upsert_need(doc.clone()));
                    let opts = self.options_for_platform(need.platform_id);
                    to_score.push((id, need.platform_id, doc, opts));
                }
                None => {
                    self.with_engine_mut(|e| e.remove_need(id));
                    gone.push(id);
                }
            }
            self.note_indexed(id, version).await;
        }
        let mut sets: Vec<(Uuid, Uuid, MatchKind, Vec<matches::ComputedSuggestion>)> = Vec::new();
        let mut partner_ids = BTreeSet::new();
        let mut pooled = Vec::new();
        for (id, platform_id, doc, opts) in &to_score {
            let (id, platform_id) = (*id, *platform_id);
            let ((offers_s, contacts_s), pooling_s) = self.with_engine(|e| {
                (
                    e.suggest_offers_and_contacts(doc, opts),
                    e.suggest_pooling(doc, opts),
                )
            });
            if work.iter().any(|w| w.need_id == id && w.cascade) {
                partner_ids.extend(pooling_s.iter().map(|s| s.target_id));
            }
            if !pooling_s.is_empty() {
                pooled.push(id);
            }
            for (kind, list) in [
                (MatchKind::Offer, &offers_s),
                (MatchKind::Contact, &contacts_s),
                (MatchKind::Need, &pooling_s),
            ] {
                sets.push((id, platform_id, kind, list.iter().map(computed).collect()));
            }
        }
        // Partners in the batch were scored above, with every need of the batch present.
        let partner_ids: Vec<Uuid> = partner_ids
            .into_iter()
            .filter(|p| ids.binary_search(p).is_err())
            .collect();
        let partner_platforms = needs::platforms_of(store.conn(), &partner_ids).await?;
        let mut unknown_partners = Vec::new();
        for &partner in &partner_ids {
            let Some(&platform) = partner_platforms.get(&partner) else {
                continue;
            };
            let partner_opts = self.options_for_platform(platform);
            let rows = self.with_engine(|e| {
                e.need(partner)
                    .map(|doc| e.suggest_pooling(doc, &partner_opts))
            });
            match rows {
                Some(rows) => {
                    if !rows.is_empty() {
                        pooled.push(partner);
                    }
                    sets.push((
                        partner,
                        platform,
                        MatchKind::Need,
                        rows.iter().map(computed).collect(),
                    ));
                }
                None => unknown_partners.push(partner),
            }
        }
        let sets: Vec<matches::SuggestionSet<'_>> = sets
            .iter()
            .map(
                |(need_id, platform_id, kind, rows)| matches::SuggestionSet {
                    need_id: *need_id,
                    platform_id: *platform_id,
                    kind: *kind,
                    computed: rows,
                },
            )
            .collect();
        let txn = store.begin().await?;
        // Finished first: on SQLite a transaction that writes before it reads takes the write
        // lock waiting its turn, where one that read first fails if another instance wrote since.
        let finished: Vec<ClaimedJob> = work.iter().filter_map(|w| w.job.cloned()).collect();
        matching_jobs::finish_many(&txn, &finished).await?;
        for &id in &gone {
            matches::supersede_pending(&txn, Some(id), Some(id)).await?;
        }
        matches::sync_many(&txn, &sets).await?;
        for &partner in &unknown_partners {
            matching_jobs::enqueue(&txn, JobKind::Rescore, partner, chrono::Duration::zero())
                .await?;
        }
        txn.commit().await?;
        if !unknown_partners.is_empty() {
            self.wake.notify_one();
        }
        if let Some(listener) = self.pooling_listener.get() {
            for need_id in pooled {
                let _ = listener.send(need_id);
            }
        }
        Ok(())
    }

    /// Reads every need changed since the last poll (by this instance or another over the same
    /// database) into the engine, so pooling and an offer's reach see needs entered anywhere.
    /// Needs the engine already holds at their current version are skipped. Returns how many
    /// changed. Follows the commit order, as [`Matcher::catch_up_offers`] does.
    pub async fn catch_up_needs(&self, store: &Store) -> Result<usize, StoreError> {
        const PAGE: u64 = 2000;
        let mut seen = self.needs_seen.lock().await;
        let mut applied = 0;
        loop {
            let changes = matching_jobs::need_changes_since(store.conn(), seen.from, PAGE).await?;
            let Some(last) = changes.last().map(|ch| ch.position) else {
                break;
            };
            let mut stale = Vec::new();
            for ch in &changes {
                match (ch.active, seen.indexed.get(&ch.id)) {
                    (true, Some(v)) if *v >= ch.version => {}
                    (true, _) => stale.push(ch.id),
                    (false, Some(_)) => {
                        self.with_engine_mut(|e| e.remove_need(ch.id));
                        seen.indexed.remove(&ch.id);
                        applied += 1;
                    }
                    (false, None) => {}
                }
            }
            // Every change read is one not read before (this instance's own writes too).
            self.needs_written();
            for record in needs::get_many(store.conn(), &stale).await? {
                let need = record.need;
                if !need.status.is_active() {
                    continue;
                }
                let doc = need_doc(&need);
                self.with_engine_mut(|e| e.upsert_need(doc));
                seen.indexed.insert(need.id, need.version);
                applied += 1;
            }
            seen.from = last;
            if (changes.len() as u64) < PAGE {
                break;
            }
        }
        Ok(applied)
    }

    /// Brings the engine up to what is stored (taxonomy, structure, offers, needs written
    /// anywhere) before jobs from other instances run, so a job runs on the same data whichever
    /// instance takes it and recomputations do not flap between instances.
    async fn catch_up(&self, store: &Store) -> Result<(), StoreError> {
        self.reload_if_changed(store).await?;
        self.reload_structure_if_changed(store).await?;
        self.catch_up_offers(store).await?;
        self.catch_up_needs(store).await?;
        Ok(())
    }

    /// Runs one job: what it recomputes, and the jobs it enqueues for others. A claimed `job`
    /// is finished with a need's suggestions; other kinds are finished by the caller.
    async fn run_job(
        &self,
        store: &Store,
        kind: JobKind,
        id: Uuid,
        job: Option<&ClaimedJob>,
    ) -> Result<(), StoreError> {
        match kind {
            JobKind::Need => self.recompute_need(store, id, true, job).await,
            JobKind::Rescore => self.recompute_need(store, id, false, job).await,
            JobKind::Offer => self.update_offers_and_rescore(store, &[id]).await,
            JobKind::All => {
                // In batches: every active need is recomputed, with the statements per batch.
                const BATCH: usize = 256;
                let ids = needs::active_ids(store.conn()).await?;
                let mut result = Ok(());
                for chunk in ids.chunks(BATCH) {
                    let work: Vec<Recompute<'_>> = chunk
                        .iter()
                        .map(|&need_id| Recompute {
                            need_id,
                            cascade: false,
                            job: None,
                        })
                        .collect();
                    if let Err(e) = self.recompute_needs(store, &work).await {
                        result = Err(e);
                    }
                }
                result
            }
        }
    }

    /// Runs a claimed job and deletes it, or gives it back to be retried when it failed.
    async fn run_claimed(&self, store: &Store, job: &ClaimedJob) -> Result<(), StoreError> {
        let started = std::time::Instant::now();
        let result = self
            .run_job(store, job.kind, job.target_id, Some(job))
            .await;
        let finished_with_run = matches!(job.kind, JobKind::Need | JobKind::Rescore);
        if result.is_err() || !finished_with_run {
            // Retried a few times: a job left claimed would wait out its whole lease.
            let mut attempt = 0u64;
            loop {
                let settled = async {
                    let txn = store.begin().await?;
                    match &result {
                        Ok(()) => matching_jobs::finish(&txn, job).await?,
                        Err(_) => matching_jobs::release(&txn, job, RETRY_AFTER).await?,
                    }
                    txn.commit().await?;
                    Ok::<_, StoreError>(())
                }
                .await;
                attempt += 1;
                match settled {
                    Ok(()) => break,
                    Err(e) if attempt >= 3 => return Err(e),
                    Err(_) => tokio::time::sleep(Duration::from_millis(100 * attempt)).await,
                }
            }
        }
        tracing::debug!(
            kind = job.kind.as_str(),
            elapsed_ms = started.elapsed().as_millis() as u64,
            "matching job done"
        );
        result
    }

    /// Runs the job for a change this instance committed, unless another instance holds it.
    /// A change written without a stored job (none was enqueued) is recomputed all the same.
    async fn run_own(&self, store: &Store, kind: JobKind, id: Uuid) -> Result<(), StoreError> {
        let txn = store.begin().await?;
        let claimed = matching_jobs::claim(&txn, kind, id, &self.instance, LEASE).await?;
        txn.commit().await?;
        match claimed {
            Some(job) => self.run_claimed(store, &job).await,
            None if matching_jobs::exists(store.conn(), kind, id).await? => Ok(()),
            None => self.run_job(store, kind, id, None).await,
        }
    }

    /// Runs the local work that has arrived. Returns false when the local channel closed.
    async fn run_arrived(&self, store: &Store, local: &mut mpsc::UnboundedReceiver<Local>) -> bool {
        let mut arrived = Vec::new();
        loop {
            match local.try_recv() {
                Ok(msg) => arrived.push(msg),
                Err(mpsc::error::TryRecvError::Empty) => break,
                Err(mpsc::error::TryRecvError::Disconnected) => return false,
            }
        }
        self.handle_locals(store, arrived).await;
        true
    }

    /// Claims and runs due jobs until none are left; `local` work that arrives meanwhile goes
    /// first. Returns false when the local channel closed.
    async fn run_due(&self, store: &Store, local: &mut mpsc::UnboundedReceiver<Local>) -> bool {
        loop {
            if !self.run_arrived(store, local).await {
                return false;
            }
            let claimed = async {
                if !matching_jobs::any_due(store.conn()).await? {
                    return Ok(Vec::new());
                }
                self.catch_up(store).await?;
                let txn = store.begin().await?;
                let jobs =
                    matching_jobs::claim_due(&txn, &self.instance, LEASE, CLAIM_BATCH).await?;
                txn.commit().await?;
                Ok::<_, StoreError>(jobs)
            }
            .await;
            let jobs = match claimed {
                Ok(jobs) if jobs.is_empty() => return true,
                Ok(jobs) => jobs,
                Err(e) => {
                    tracing::warn!(error = %e, "claiming matching jobs failed");
                    return true;
                }
            };
            let (recomputations, others): (Vec<ClaimedJob>, Vec<ClaimedJob>) = jobs
                .into_iter()
                .partition(|j| matches!(j.kind, JobKind::Need | JobKind::Rescore));
            let (offer_jobs, others): (Vec<ClaimedJob>, Vec<ClaimedJob>) =
                others.into_iter().partition(|j| j.kind == JobKind::Offer);
            // A need entered meanwhile is not kept waiting behind a bulk load's offer jobs.
            for slice in offer_jobs.chunks(OFFER_SLICE) {
                self.run_claimed_offers(store, slice).await;
                if !self.run_arrived(store, local).await {
                    return false;
                }
            }
            self.run_claimed_recomputations(store, &recomputations)
                .await;
            for job in others {
                if let Err(e) = self.run_claimed(store, &job).await {
                    tracing::warn!(error = %e, kind = job.kind.as_str(), "matching job failed");
                }
            }
        }
    }

    /// Runs claimed need jobs as one batch. When the batch fails, each job is given back to be
    /// retried.
    async fn run_claimed_recomputations(&self, store: &Store, jobs: &[ClaimedJob]) {
        if jobs.is_empty() {
            return;
        }
        let work: Vec<Recompute<'_>> = jobs
            .iter()
            .map(|job| Recompute {
                need_id: job.target_id,
                cascade: job.kind == JobKind::Need,
                job: Some(job),
            })
            .collect();
        let Err(e) = self.recompute_needs(store, &work).await else {
            return;
        };
        tracing::warn!(error = %e, jobs = jobs.len(), "matching jobs failed");
        if let Err(e) = give_back(store, jobs).await {
            tracing::warn!(error = %e, "releasing matching jobs failed");
        }
    }

    /// Handles local work that arrived together: the changes to needs this instance committed
    /// run as one batch (claimed in one transaction, recomputed in another); anything else in
    /// order.
    async fn handle_locals(&self, store: &Store, arrived: Vec<Local>) {
        let mut own = Vec::new();
        let mut own_offers = Vec::new();
        let mut waiting = Vec::new();
        for msg in arrived {
            match msg {
                Local::Run { kind, id, done }
                    if matches!(kind, JobKind::Need | JobKind::Rescore) =>
                {
                    own.push((kind, id));
                    waiting.extend(done);
                }
                Local::Run {
                    kind: JobKind::Offer,
                    id,
                    done,
                } => {
                    own_offers.push(id);
                    waiting.extend(done);
                }
                other => self.handle_local(store, other).await,
            }
        }
        if !own_offers.is_empty()
            && let Err(e) = self.run_own_offers(store, &own_offers).await
        {
            tracing::warn!(error = %e, offers = own_offers.len(), "matching offer jobs failed");
        }
        if !own.is_empty()
            && let Err(e) = self.run_own_recomputations(store, &own).await
        {
            tracing::warn!(error = %e, needs = own.len(), "matching jobs failed");
        }
        for done in waiting {
            let _ = done.send(());
        }
    }

    /// [`Matcher::run_own`] for many need jobs at once.
    async fn run_own_recomputations(
        &self,
        store: &Store,
        own: &[(JobKind, Uuid)],
    ) -> Result<(), StoreError> {
        let txn = store.begin().await?;
        let mut claimed: HashMap<(JobKind, Uuid), ClaimedJob> = HashMap::new();
        for kind in [JobKind::Need, JobKind::Rescore] {
            let targets: Vec<Uuid> = own
                .iter()
                .filter(|(k, _)| *k == kind)
                .map(|&(_, id)| id)
                .collect();
            if targets.is_empty() {
                continue;
            }
            for job in
                matching_jobs::claim_many(&txn, kind, &targets, &self.instance, LEASE).await?
            {
                claimed.insert((job.kind, job.target_id), job);
            }
        }
        txn.commit().await?;
        let mut work = Vec::with_capacity(own.len());
        let mut listed = HashSet::new();
        for &(kind, id) in own {
            if !listed.insert((kind, id)) {
                continue;
            }
            let job = claimed.get(&(kind, id));
            if job.is_none() && matching_jobs::exists(store.conn(), kind, id).await? {
                // Another instance holds it.
                continue;
            }
            work.push(Recompute {
                need_id: id,
                cascade: kind == JobKind::Need,
                job,
            });
        }
        let result = self.recompute_needs(store, &work).await;
        if result.is_err() {
            give_back(store, claimed.values()).await?;
        }
        result
    }

    async fn handle_local(&self, store: &Store, msg: Local) {
        let result = match msg {
            Local::Run { kind, id, done } => {
                let r = self.run_own(store, kind, id).await;
                if let Some(done) = done {
                    let _ = done.send(());
                }
                r
            }
            Local::All => {
                async {
                    let txn = store.begin().await?;
                    matching_jobs::enqueue(
                        &txn,
                        JobKind::All,
                        Uuid::nil(),
                        chrono::Duration::zero(),
                    )
                    .await?;
                    txn.commit().await?;
                    Ok::<_, StoreError>(())
                }
                .await
            }
        };
        if let Err(e) = result {
            tracing::warn!(error = %e, "matching job failed");
        }
    }

    /// Brings the engine up to these offers as stored (a published offer is indexed, any other
    /// removed) and answers the needs to rescore: those any of them is suggested to, and those
    /// they could serve under any platform's reach. Reads the offers and their suggestions
    /// together, whatever their number.
    async fn offers_updated(
        &self,
        store: &Store,
        ids: &[Uuid],
    ) -> Result<BTreeSet<Uuid>, StoreError> {
        let mut stored: HashMap<Uuid, Offer> = offers::get_many(store.conn(), ids)
            .await?
            .into_iter()
            .map(|o| (o.id, o))
            .collect();
        let mut affected: BTreeSet<Uuid> = matches::needs_suggested_offers(store.conn(), ids)
            .await?
            .into_iter()
            .collect();
        let opts = MatchOptions {
            min_score: 0.0,
            max_results: 1000,
            reach: Reach::Anywhere,
            ..MatchOptions::new(Utc::now().date_naive())
        };
        for &id in ids {
            match stored
                .remove(&id)
                .filter(|o| o.status == OfferStatus::Published)
            {
                Some(o) => {
                    let doc = offer_doc(&o);
                    self.with_engine_mut(|e| e.upsert_offer(doc.clone()));
                    let serves = self.with_engine(|e| e.suggest_needs_for_offer(&doc, &opts));
                    affected.extend(serves.iter().map(|s| s.target_id));
                }
                None => self.with_engine_mut(|e| e.remove_offer(id)),
            }
        }
        Ok(affected)
    }

    /// [`Matcher::run_own`] for many offer jobs at once: claimed together and run as one batch;
    /// a job another instance holds is left to it, a change without a stored job runs anyway.
    async fn run_own_offers(&self, store: &Store, ids: &[Uuid]) -> Result<(), StoreError> {
        let txn = store.begin().await?;
        let mut claimed = Vec::with_capacity(ids.len());
        let mut unclaimed = Vec::new();
        for &id in ids {
            match matching_jobs::claim(&txn, JobKind::Offer, id, &self.instance, LEASE).await? {
                Some(job) => claimed.push(job),
                None => unclaimed.push(id),
            }
        }
        txn.commit().await?;
        self.run_claimed_offers(store, &claimed).await;
        let mut without_job = Vec::new();
        for id in unclaimed {
            if !matching_jobs::exists(store.conn(), JobKind::Offer, id).await? {
                without_job.push(id);
            }
        }
        if without_job.is_empty() {
            Ok(())
        } else {
            self.update_offers_and_rescore(store, &without_job).await
        }
    }

    /// [`Matcher::offers_updated`] for offers with no job to finish, and the rescores it calls
    /// for enqueued.
    async fn update_offers_and_rescore(
        &self,
        store: &Store,
        ids: &[Uuid],
    ) -> Result<(), StoreError> {
        self.update_offers_and_finish(store, ids, &[]).await
    }

    /// [`Matcher::offers_updated`] for `ids`, then in one transaction the rescores it calls for
    /// enqueued and `jobs` finished.
    async fn update_offers_and_finish(
        &self,
        store: &Store,
        ids: &[Uuid],
        jobs: &[ClaimedJob],
    ) -> Result<(), StoreError> {
        let affected: Vec<Uuid> = self.offers_updated(store, ids).await?.into_iter().collect();
        if affected.is_empty() && jobs.is_empty() {
            return Ok(());
        }
        let txn = store.begin().await?;
        if !affected.is_empty() {
            matching_jobs::enqueue_many(
                &txn,
                JobKind::Rescore,
                &affected,
                chrono::Duration::zero(),
            )
            .await?;
        }
        matching_jobs::finish_many(&txn, jobs).await?;
        txn.commit().await?;
        Ok(())
    }

    /// Claimed offer jobs as one batch: the offers and their suggestions read together, the
    /// rescores they call for enqueued and the jobs finished in one transaction (a bulk load
    /// queues one job per offer). When the batch fails, each job is given back to be retried.
    async fn run_claimed_offers(&self, store: &Store, jobs: &[ClaimedJob]) {
        if jobs.is_empty() {
            return;
        }
        let ids: Vec<Uuid> = jobs.iter().map(|j| j.target_id).collect();
        let result = self.update_offers_and_finish(store, &ids, jobs).await;
        if let Err(e) = result {
            tracing::warn!(error = %e, jobs = jobs.len(), "matching offer jobs failed");
            if let Err(e) = give_back(store, jobs).await {
                tracing::warn!(error = %e, "giving back offer jobs failed");
            }
        }
    }
}

/// Gives claimed jobs back to be retried after [`RETRY_AFTER`] (their batch failed).
async fn give_back<'a>(
    store: &Store,
    jobs: impl IntoIterator<Item = &'a ClaimedJob>,
) -> Result<(), StoreError> {
    let txn = store.begin().await?;
    for job in jobs {
        matching_jobs::release(&txn, job, RETRY_AFTER).await?;
    }
    txn.commit().await?;
    Ok(())
}

/// This instance's share of the matching work: its own changes at once, and due jobs from the
/// shared queue whenever woken and every [`JOB_POLL`].
async fn worker(matcher: Arc<Matcher>, store: Store, mut local: mpsc::UnboundedReceiver<Local>) {
    let mut poll = tokio::time::interval(JOB_POLL);
    poll.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            biased;
            msg = local.recv() => match msg {
                Some(msg) => {
                    let mut arrived = vec![msg];
                    while let Ok(more) = local.try_recv() {
                        arrived.push(more);
                    }
                    matcher.handle_locals(&store, arrived).await;
                }
                None => return,
            },
            () = matcher.wake.notified() => {}
            _ = poll.tick() => {}
        }
        if !matcher.run_due(&store, &mut local).await {
            return;
        }
    }
}
