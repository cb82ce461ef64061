//! The matching service: keeps the engine's indexes in memory, in step with the store, and
//! recomputes suggestions in one background worker so requests never wait for a full rematch.
//!
//! Creating or changing a need enqueues that need (the request waits a short while for its own
//! suggestions, never for others); changing an offer enqueues the needs it could serve or is
//! suggested to. Start-up rebuilds the indexes and recomputes every active need.

use std::collections::{BTreeSet, HashMap};
use std::sync::{Arc, RwLock};
use std::time::Duration;

use broker_domain::matching::MatchKind;
use broker_domain::need::{Importance, Need};
use broker_domain::offer::{Delivery as OfferDelivery, Offer, OfferStatus};
use broker_matching::{
    Catalogue, ConceptInput, ConceptSource, ContactDoc, Delivery, DeliveryPreference, Engine, Geography,
    InstanceDoc, Label, Lang, ListedInstance, ListedOffer, MatchOptions, MunicipalityGeo, NeedDoc, OccupationInput, OfferDoc,
    Reach, Requirement, Suggestion, SuggestionKind, Taxonomy, Weights,
};
use broker_store::repo::reference::PlatformRecord;
use broker_store::repo::{matches, needs, offers, reference, taxonomy};
use broker_store::{Store, StoreError};
use chrono::Utc;
use tokio::sync::{mpsc, oneshot};
use uuid::Uuid;

/// How far back each change poll rereads, for transactions that committed late.
const CHANGE_OVERLAP: chrono::Duration = chrono::Duration::seconds(10);

/// Work for the background worker.
#[derive(Debug)]
enum Job {
    /// Recompute one need; `cascade` also refreshes the needs it pools with.
    Need {
        id: Uuid,
        cascade: bool,
        done: Option<oneshot::Sender<()>>,
    },
    /// An offer was created, changed, published or archived.
    Offer { id: Uuid },
    /// Recompute every active need (start-up, taxonomy import).
    All,
}

/// Shared handle to the engine and its worker.
pub struct Matcher {
    engine: RwLock<Engine>,
    /// Published offers' listing facts, changed as soon as a write commits (not behind the
    /// matching queue), so public listings never lag the store.
    catalogue: RwLock<Catalogue>,
    concepts: RwLock<HashMap<Uuid, taxonomy::ConceptRecord>>,
    platforms: RwLock<HashMap<Uuid, PlatformRecord>>,
    jobs: mpsc::UnboundedSender<Job>,
    /// Needs and offers queued and not yet taken by the worker: a second change to one of them
    /// before the worker gets to it is already covered (one recomputation however many offers
    /// changed).
    queued: std::sync::Mutex<BTreeSet<Uuid>>,
    /// Whether the starter taxonomy takes part in resolution and matching.
    starter_taxonomy: bool,
    /// The taxonomy version the engine was built from (see [`Matcher::reload_if_changed`]).
    taxonomy_version: std::sync::atomic::AtomicI32,
    /// How far this instance has read offers written by any instance: `(updated_at, id)`.
    offers_seen: tokio::sync::Mutex<(chrono::DateTime<Utc>, Uuid)>,
    /// Told the id of every need whose pooling suggestions were just written (the escalation job).
    pooling_listener: std::sync::OnceLock<mpsc::UnboundedSender<Uuid>>,
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
        .filter(|c| c.kind == "competence")
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
        .filter(|c| c.kind == "occupation")
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
        // Changes from this instant on are read by the change poller (with an overlap).
        let loaded_at = Utc::now();
        let (engine, concepts, published) = load_engine(&store, starter_taxonomy).await?;
        let platforms = reference::list_platforms(store.conn())
            .await?
            .into_iter()
            .map(|p| (p.id, p))
            .collect();
        let (tx, rx) = mpsc::unbounded_channel();
        let matcher = Arc::new(Self {
            engine: RwLock::new(engine),
            catalogue: RwLock::new(Catalogue::new(published.iter().map(listed_offer))),
            offers_seen: tokio::sync::Mutex::new((loaded_at, Uuid::nil())),
            concepts: RwLock::new(concepts),
            platforms: RwLock::new(platforms),
            jobs: tx,
            queued: std::sync::Mutex::new(BTreeSet::new()),
            starter_taxonomy,
            taxonomy_version: std::sync::atomic::AtomicI32::new(version),
            pooling_listener: std::sync::OnceLock::new(),
        });
        let _ = matcher.jobs.send(Job::All);
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

/// Reads offers changed by any instance every `every` into this one's listings and index.
pub fn spawn_change_poll(store: Store, matcher: Arc<Matcher>, every: Duration) {
    crate::periodic::spawn_every(every, "offer change poll", move || {
        let store = store.clone();
        let matcher = Arc::clone(&matcher);
        async move { matcher.catch_up_offers(&store).await.map(|_| ()) }
    });
}

/// Polls the stored taxonomy version every `every` and reloads the indexes when it changed.
pub fn spawn_taxonomy_watch(store: Store, matcher: Arc<Matcher>, every: Duration) {
    crate::periodic::spawn_every(every, "taxonomy version check", move || {
        let store = store.clone();
        let matcher = Arc::clone(&matcher);
        async move { matcher.reload_if_changed(&store).await.map(|_| ()) }
    });
}

/// Builds the engine from everything stored: taxonomy, geography, published offers, contacts,
/// active needs. Also returns the published offers it indexed.
async fn load_engine(
    store: &Store,
    starter_taxonomy: bool,
) -> Result<(Engine, HashMap<Uuid, taxonomy::ConceptRecord>, Vec<Offer>), StoreError> {
    let conn = store.conn();
    let all_concepts = taxonomy::all(conn).await?;
    let taxonomy = Arc::new(build_taxonomy_from(&all_concepts, starter_taxonomy));
    let regions = reference::list_regions(conn).await?;
    let clusters = reference::list_clusters(conn).await?;
    let geography = Geography::new(
        reference::list_municipalities(conn, None, None)
            .await?
            .into_iter()
            .map(|m| MunicipalityGeo {
                region: regions
                    .iter()
                    .find(|r| r.id == m.region_id)
                    .map(|r| r.key.clone())
                    .unwrap_or_default(),
                clusters: clusters
                    .iter()
                    .filter(|c| c.municipalities.contains(&m.code))
                    .map(|c| c.key.clone())
                    .collect(),
                name: Some(m.name),
                // The reference data has no level between cluster and region.
                sub_region: None,
                code: m.code,
            })
            .collect(),
    );
    let mut engine = Engine::new(taxonomy, geography);
    let published = offers::published(conn).await?;
    for o in &published {
        engine.upsert_offer(offer_doc(o));
    }
    for p in reference::list_persons(conn).await? {
        if let Some(c) = contact_doc(&p) {
            engine.upsert_contact(c);
        }
    }
    for n in needs::active(conn).await? {
        engine.upsert_need(need_doc(&n.need));
    }
    Ok((
        engine,
        all_concepts.into_iter().map(|c| (c.id, c)).collect(),
        published,
    ))
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

    /// A platform's settings changed: later matching uses them, and every active need is
    /// recomputed (in the background).
    pub fn platform_changed(&self, platform: PlatformRecord) {
        if let Ok(mut p) = self.platforms.write() {
            p.insert(platform.id, platform);
        }
        let _ = self.jobs.send(Job::All);
    }

    pub fn platform(&self, id: Uuid) -> Option<PlatformRecord> {
        self.platforms.read().ok().and_then(|p| p.get(&id).cloned())
    }

    /// Recomputes a need's suggestions, waiting at most `wait` for them.
    pub async fn need_changed(&self, id: Uuid, wait: Duration) {
        let (done, finished) = oneshot::channel();
        if self
            .jobs
            .send(Job::Need {
                id,
                cascade: true,
                done: Some(done),
            })
            .is_ok()
        {
            let _ = tokio::time::timeout(wait, finished).await;
        }
    }

    /// An offer's write committed: listings and text search show it at once; suggestions for the
    /// needs it could serve follow in the background.
    pub fn offer_changed(&self, offer: &Offer) {
        self.index_offer(offer);
        if self.mark_queued(offer.id) {
            let _ = self.jobs.send(Job::Offer { id: offer.id });
        }
    }

    /// Queues a recomputation nobody waits for, unless one for the same need is still queued.
    fn queue_need(&self, id: Uuid) {
        if self.mark_queued(id) {
            let _ = self.jobs.send(Job::Need {
                id,
                cascade: false,
                done: None,
            });
        }
    }

    /// Records `id` as queued; false when it already was.
    fn mark_queued(&self, id: Uuid) -> bool {
        self.queued
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .insert(id)
    }

    /// The worker took `id`: later changes need a new job.
    fn taken(&self, id: Uuid) {
        self.queued
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .remove(&id);
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
    /// Timestamps come from the writers' clocks before commit, so a slower transaction can
    /// commit a change stamped before one already read: each poll starts `CHANGE_OVERLAP` back.
    pub async fn catch_up_offers(&self, store: &Store) -> Result<usize, StoreError> {
        const PAGE: u64 = 2000;
        let mut seen = self.offers_seen.lock().await;
        let (mut since, mut after) = (seen.0 - CHANGE_OVERLAP, Uuid::nil());
        let mut applied = 0;
        loop {
            let changes = offers::changes_since(store.conn(), since, after, PAGE).await?;
            let Some(last) = changes.last() else { break };
            (since, after) = (last.updated_at, last.id);
            if (last.updated_at, last.id) > *seen {
                *seen = (last.updated_at, last.id);
            }
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
        // Read the version first: an import committing during the load is picked up next time.
        let version = taxonomy::current_version(store.conn()).await?;
        let (fresh, concepts, _) = load_engine(store, self.starter_taxonomy).await?;
        self.taxonomy_version
            .store(version, std::sync::atomic::Ordering::SeqCst);
        self.with_engine_mut(|e| *e = fresh);
        if let Ok(mut c) = self.concepts.write() {
            *c = concepts;
        }
        let _ = self.jobs.send(Job::All);
        Ok(())
    }

    /// Reloads when the stored taxonomy version differs from the one the engine was built from:
    /// an import by the CLI or by another instance reaches this one without a restart. Returns
    /// whether it reloaded.
    pub async fn reload_if_changed(&self, store: &Store) -> Result<bool, StoreError> {
        let stored = taxonomy::current_version(store.conn()).await?;
        if stored
            == self
                .taxonomy_version
                .load(std::sync::atomic::Ordering::SeqCst)
        {
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
            let mut all = e.suggest_offers(&doc, opts);
            all.extend(e.suggest_contacts(&doc, opts));
            all.extend(e.suggest_pooling(&doc, opts));
            all
        })
    }

    async fn recompute_need(&self, store: &Store, id: Uuid) -> Result<Vec<Uuid>, StoreError> {
        let record = match needs::get(store.conn(), id).await {
            Ok(r) => r,
            Err(StoreError::NotFound { .. }) => {
                self.with_engine_mut(|e| e.remove_need(id));
                return Ok(Vec::new());
            }
            Err(e) => return Err(e),
        };
        let need = record.need;
        if !need.status.is_active() {
            self.with_engine_mut(|e| e.remove_need(id));
            let txn = store.begin().await?;
            matches::supersede_pending(&txn, Some(id), Some(id)).await?;
            txn.commit().await?;
            return Ok(Vec::new());
        }
        let doc = need_doc(&need);
        self.with_engine_mut(|e| e.upsert_need(doc.clone()));
        let opts = self.options_for_platform(need.platform_id);
        let (offers_s, contacts_s, pooling_s) = self.with_engine(|e| {
            (
                e.suggest_offers(&doc, &opts),
                e.suggest_contacts(&doc, &opts),
                e.suggest_pooling(&doc, &opts),
            )
        });
        let pooled: Vec<Uuid> = pooling_s.iter().map(|s| s.target_id).collect();
        let txn = store.begin().await?;
        for (kind, list) in [
            (MatchKind::Offer, &offers_s),
            (MatchKind::Contact, &contacts_s),
            (MatchKind::Need, &pooling_s),
        ] {
            let rows: Vec<_> = list.iter().map(computed).collect();
            matches::sync_for_need(&txn, id, need.platform_id, kind, &rows).await?;
        }
        txn.commit().await?;
        if !pooled.is_empty()
            && let Some(listener) = self.pooling_listener.get()
        {
            let _ = listener.send(id);
        }
        Ok(pooled)
    }

    async fn offer_updated(&self, store: &Store, id: Uuid) -> Result<BTreeSet<Uuid>, StoreError> {
        let offer = match offers::get(store.conn(), id).await {
            Ok(o) => Some(o),
            Err(StoreError::NotFound { .. }) => None,
            Err(e) => return Err(e),
        };
        let mut affected = BTreeSet::new();
        // Needs this offer is currently suggested to must drop or rescore it.
        let current = matches::list(
            store.conn(),
            &matches::MatchFilter {
                target_id: Some(id),
                kinds: vec!["offer".into()],
                ..Default::default()
            },
            matches::MatchSort::Oldest,
            1000,
            0,
        )
        .await?;
        affected.extend(current.items.iter().map(|m| m.need_id));
        match offer.filter(|o| o.status == OfferStatus::Published) {
            Some(o) => {
                let doc = offer_doc(&o);
                self.with_engine_mut(|e| e.upsert_offer(doc.clone()));
                // Every need the offer could serve under any platform's reach is rematched (with
                // its own platform's settings).
                let opts = MatchOptions {
                    min_score: 0.0,
                    max_results: 1000,
                    reach: Reach::Anywhere,
                    ..MatchOptions::new(Utc::now().date_naive())
                };
                let serves = self.with_engine(|e| e.suggest_needs_for_offer(&doc, &opts));
                affected.extend(serves.iter().map(|s| s.target_id));
            }
            None => self.with_engine_mut(|e| e.remove_offer(id)),
        }
        Ok(affected)
    }
}

async fn worker(matcher: Arc<Matcher>, store: Store, mut rx: mpsc::UnboundedReceiver<Job>) {
    while let Some(job) = rx.recv().await {
        let started = std::time::Instant::now();
        let result = match job {
            Job::Need { id, cascade, done } => {
                if done.is_none() {
                    matcher.taken(id);
                }
                let r = matcher.recompute_need(&store, id).await;
                if let (true, Ok(pooled)) = (cascade, &r) {
                    for other in pooled {
                        matcher.queue_need(*other);
                    }
                }
                if let Some(done) = done {
                    let _ = done.send(());
                }
                r.map(|_| ())
            }
            Job::Offer { id } => {
                matcher.taken(id);
                match matcher.offer_updated(&store, id).await {
                    Ok(needs) => {
                        for n in needs {
                            matcher.queue_need(n);
                        }
                        Ok(())
                    }
                    Err(e) => Err(e),
                }
            }
            Job::All => match needs::active(store.conn()).await {
                Ok(all) => {
                    let mut result = Ok(());
                    for n in all {
                        if let Err(e) = matcher.recompute_need(&store, n.need.id).await {
                            result = Err(e);
                        }
                    }
                    result
                }
                Err(e) => Err(e),
            },
        };
        match result {
            Ok(()) => tracing::debug!(
                elapsed_ms = started.elapsed().as_millis() as u64,
                "matching job done"
            ),
            Err(e) => tracing::warn!(error = %e, "matching job failed"),
        }
    }
}
