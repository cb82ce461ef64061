//! The public catalogue: every published offer's listing facts in memory, so a public listing
//! (filters, order, page, total and facet counts) is answered without building SQL whose size
//! grows with the catalogue. Only the page's offers are then read from the store, by id.
//!
//! Each change bumps a generation; listings built from an older generation are stale, so caches
//! and validators need no database round trip.

use chrono::{DateTime, Datelike, NaiveDate, Utc};
use smallvec::SmallVec;
use uuid::Uuid;

use crate::engine::Delivery;
use crate::fx::FxMap;
use crate::sorted::{insert_sorted, remove_sorted};

/// One scheduled run of an offer, as listings filter on it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedInstance {
    pub start: NaiveDate,
    pub municipality: Option<String>,
    pub distance: bool,
}

/// What listings filter, order and count a published offer by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ListedOffer {
    pub id: Uuid,
    pub version: i32,
    pub provider_id: Uuid,
    pub delivery: Delivery,
    pub level: Option<u8>,
    /// Teaching language code (`sv`, `nb`, `en`).
    pub language: String,
    pub concepts: Vec<Uuid>,
    pub instances: Vec<ListedInstance>,
    pub updated_at: DateTime<Utc>,
    pub published_at: Option<DateTime<Utc>>,
}

/// A listing's filters. Empty lists do not filter.
#[derive(Debug, Clone, Default)]
pub struct CatalogueFilter {
    pub provider: Option<Uuid>,
    /// Offers with an instance in one of these municipalities ...
    pub municipalities: Vec<String>,
    /// ... or, with this set, a distance instance.
    pub include_distance: bool,
    /// Offers teaching any of these concepts.
    pub concepts: Vec<Uuid>,
    /// Only these offers (a text search's hits, in any order); `Some(empty)` matches nothing.
    pub only: Option<Vec<Uuid>>,
    pub deliveries: Vec<Delivery>,
    pub levels: Vec<u8>,
    pub language: Option<String>,
    /// An instance starting on or after this day (the same instance as the place filter).
    pub starts_from: Option<NaiveDate>,
    /// An instance starting on or before this day (likewise).
    pub starts_to: Option<NaiveDate>,
    pub updated_since: Option<DateTime<Utc>>,
}

/// The order of a listing.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CatalogueOrder {
    /// Soonest next start (from the filter's first day) first; offers without one last.
    StartDate,
    /// Most recently changed first.
    Updated,
    /// Most recently published first.
    Published,
}

/// Offers per value of each filter dimension, over every offer a filter matches.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CatalogueFacets {
    pub municipalities: Vec<(String, u64)>,
    pub deliveries: Vec<(Delivery, u64)>,
    pub levels: Vec<(u8, u64)>,
    pub concepts: Vec<(Uuid, u64)>,
}

/// A page of a listing: the ids in order and how many match over all pages.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct CataloguePage {
    pub ids: Vec<Uuid>,
    pub total: u64,
}

/// Every published offer's listing facts, in dense slots, with posting lists (ascending slots)
/// per place, concept and provider. A listing checks only the slots of its most selective
/// posting list (or of its text hits) and scans every slot only when nothing narrows it; the
/// page, the total and the facet counts come from that one pass.
#[derive(Debug, Clone, Default)]
pub struct Catalogue {
    /// Entries by slot; a removed offer's slot is reused by the next new one.
    slots: Vec<Option<Entry>>,
    free: Vec<u32>,
    index: FxMap<Uuid, u32>,
    places: Interner<String>,
    concepts: Interner<Uuid>,
    languages: Interner<String>,
    /// Per interned place: the slots of offers with an instance there.
    by_place: Vec<Vec<u32>>,
    /// Per interned concept: the slots of offers teaching it.
    by_concept: Vec<Vec<u32>>,
    /// Slots of offers with a distance instance.
    distance: Vec<u32>,
    by_provider: FxMap<Uuid, Vec<u32>>,
    generation: u64,
    latest_change: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone)]
struct Entry {
    id: Uuid,
    version: i32,
    provider_id: Uuid,
    delivery: Delivery,
    level: Option<u8>,
    /// Interned, as are places and concepts.
    language: u32,
    // Inline for the usual few, so a scan over the slots does not chase a pointer per offer.
    concepts: SmallVec<[u32; 4]>,
    instances: SmallVec<[Instance; 2]>,
    updated_at: DateTime<Utc>,
    published_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, Copy)]
struct Instance {
    start: NaiveDate,
    place: Option<u32>,
    distance: bool,
}

/// Values numbered in the order first seen.
#[derive(Debug, Clone)]
struct Interner<T> {
    values: Vec<T>,
    ids: FxMap<T, u32>,
}

impl<T> Default for Interner<T> {
    fn default() -> Self {
        Self {
            values: Vec::new(),
            ids: FxMap::default(),
        }
    }
}

impl<T: std::hash::Hash + Eq + Clone> Interner<T> {
    fn intern(&mut self, value: &T) -> u32 {
        if let Some(id) = self.ids.get(value) {
            return *id;
        }
        let id = as_u32(self.values.len());
        self.values.push(value.clone());
        self.ids.insert(value.clone(), id);
        id
    }

    /// The ids of `wanted` (values never seen have none).
    fn ids_of<'a>(&self, wanted: impl IntoIterator<Item = &'a T>) -> Vec<u32>
    where
        T: 'a,
    {
        wanted
            .into_iter()
            .filter_map(|v| self.ids.get(v).copied())
            .collect()
    }
}

fn as_u32(n: usize) -> u32 {
    u32::try_from(n).unwrap_or(u32::MAX)
}

/// A bitmap of `len` bits marking `ids`.
fn bitmap(len: usize, ids: &[u32]) -> Vec<bool> {
    let mut bits = vec![false; len];
    for id in ids {
        if let Some(bit) = bits.get_mut(*id as usize) {
            *bit = true;
        }
    }
    bits
}

fn marked(bits: &[bool], id: u32) -> bool {
    bits.get(id as usize).copied().unwrap_or(false)
}

/// A filter against the interned ids and slots of one catalogue.
struct Compiled<'a> {
    filter: &'a CatalogueFilter,
    /// The interned ids of the filter's places and concepts (unknown ones have none).
    place_ids: Vec<u32>,
    concept_ids: Vec<u32>,
    places: Option<Vec<bool>>,
    concepts: Option<Vec<bool>>,
    /// By slot: the offers of `filter.only`.
    only: Option<Vec<bool>>,
    /// The interned language asked for (`Some(None)`: one no offer is taught in).
    language: Option<Option<u32>>,
}

impl Compiled<'_> {
    fn instance_matches(&self, i: &Instance) -> bool {
        let f = self.filter;
        let place = match &self.places {
            None => true,
            Some(bits) => {
                i.place.is_some_and(|p| marked(bits, p)) || (f.include_distance && i.distance)
            }
        };
        place
            && f.starts_from.is_none_or(|d| i.start >= d)
            && f.starts_to.is_none_or(|d| i.start <= d)
    }

    /// Place and start dates must hold for the same instance: "starts in Uddevalla after
    /// today", not "held in Uddevalla once, and somewhere after today".
    fn matches(&self, slot: u32, e: &Entry) -> bool {
        let f = self.filter;
        f.provider.is_none_or(|p| e.provider_id == p)
            && self.only.as_ref().is_none_or(|bits| marked(bits, slot))
            && (f.deliveries.is_empty() || f.deliveries.contains(&e.delivery))
            && (f.levels.is_empty() || e.level.is_some_and(|l| f.levels.contains(&l)))
            && self.language.is_none_or(|l| l == Some(e.language))
            && f.updated_since.is_none_or(|t| e.updated_at > t)
            && self
                .concepts
                .as_ref()
                .is_none_or(|bits| e.concepts.iter().any(|c| marked(bits, *c)))
            && (!f.filters_instances() || e.instances.iter().any(|i| self.instance_matches(i)))
    }
}

/// The offers a filter matches, by slot (ascending), from one pass over the catalogue.
struct Hits<'a> {
    catalogue: &'a Catalogue,
    filter: &'a CatalogueFilter,
    slots: Vec<u32>,
}

impl Catalogue {
    pub fn new(offers: impl IntoIterator<Item = ListedOffer>) -> Self {
        let mut c = Self::default();
        for o in offers {
            c.latest_change = c.latest_change.max(Some(o.updated_at));
            c.put(o);
        }
        c
    }

    fn entry_of(&mut self, o: ListedOffer) -> Entry {
        Entry {
            id: o.id,
            version: o.version,
            provider_id: o.provider_id,
            delivery: o.delivery,
            level: o.level,
            language: self.languages.intern(&o.language),
            concepts: o.concepts.iter().map(|c| self.concepts.intern(c)).collect(),
            instances: o
                .instances
                .iter()
                .map(|i| Instance {
                    start: i.start,
                    place: i.municipality.as_ref().map(|m| self.places.intern(m)),
                    distance: i.distance,
                })
                .collect(),
            updated_at: o.updated_at,
            published_at: o.published_at,
        }
    }

    fn entry(&self, slot: u32) -> Option<&Entry> {
        self.slots.get(slot as usize).and_then(Option::as_ref)
    }

    /// Adds `slot` to the posting lists of `e`'s places, concepts and provider (or, with
    /// `linked` false, takes it out of them).
    fn post(&mut self, slot: u32, e: &Entry, linked: bool) {
        let update = |list: &mut Vec<u32>| {
            if linked {
                insert_sorted(list, slot);
            } else {
                remove_sorted(list, slot);
            }
        };
        self.by_place
            .resize_with(self.places.values.len(), Vec::new);
        self.by_concept
            .resize_with(self.concepts.values.len(), Vec::new);
        for p in e.instances.iter().filter_map(|i| i.place) {
            if let Some(list) = self.by_place.get_mut(p as usize) {
                update(list);
            }
        }
        for c in &e.concepts {
            if let Some(list) = self.by_concept.get_mut(*c as usize) {
                update(list);
            }
        }
        if e.instances.iter().any(|i| i.distance) {
            update(&mut self.distance);
        }
        update(self.by_provider.entry(e.provider_id).or_default());
    }

    fn put(&mut self, o: ListedOffer) {
        let entry = self.entry_of(o);
        let slot = match self.index.get(&entry.id) {
            Some(&slot) => {
                if let Some(old) = self.slots.get_mut(slot as usize).and_then(Option::take) {
                    self.post(slot, &old, false);
                }
                slot
            }
            None => {
                let slot = self.free.pop().unwrap_or_else(|| {
                    self.slots.push(None);
                    as_u32(self.slots.len() - 1)
                });
                self.index.insert(entry.id, slot);
                slot
            }
        };
        self.post(slot, &entry, true);
        if let Some(cell) = self.slots.get_mut(slot as usize) {
            *cell = Some(entry);
        }
    }

    /// Bumped by every change; equal generations list the same offers.
    pub fn generation(&self) -> u64 {
        self.generation
    }

    /// The latest change seen to any offer, published or withdrawn (a listing's Last-Modified).
    pub fn latest_change(&self) -> Option<DateTime<Utc>> {
        self.latest_change
    }

    pub fn len(&self) -> usize {
        self.index.len()
    }

    pub fn is_empty(&self) -> bool {
        self.index.is_empty()
    }

    /// The listed version of an offer, if it is listed.
    pub fn version_of(&self, id: Uuid) -> Option<i32> {
        let slot = self.index.get(&id)?;
        self.entry(*slot).map(|e| e.version)
    }

    /// Lists or relists a published offer. An older version than the one listed is ignored (the
    /// same change may arrive from the writer and from the change poller). Returns whether the
    /// catalogue changed.
    pub fn upsert(&mut self, offer: ListedOffer) -> bool {
        if self
            .version_of(offer.id)
            .is_some_and(|v| v >= offer.version)
        {
            return false;
        }
        self.latest_change = self.latest_change.max(Some(offer.updated_at));
        self.put(offer);
        self.generation += 1;
        true
    }

    /// Removes an offer that is no longer published (at `changed_at`). Returns whether it was
    /// listed.
    pub fn remove(&mut self, id: Uuid, changed_at: DateTime<Utc>) -> bool {
        let Some(slot) = self.index.remove(&id) else {
            return false;
        };
        if let Some(old) = self.slots.get_mut(slot as usize).and_then(Option::take) {
            self.post(slot, &old, false);
        }
        self.free.push(slot);
        self.latest_change = self.latest_change.max(Some(changed_at));
        self.generation += 1;
        true
    }

    /// The listed slots of `ids` (ascending, each once).
    fn slots_of(&self, ids: &[Uuid]) -> Vec<u32> {
        let mut slots: Vec<u32> = ids
            .iter()
            .filter_map(|id| self.index.get(id).copied())
            .collect();
        slots.sort_unstable();
        slots.dedup();
        slots
    }

    /// The slots a filter can match at most: the union of its smallest set of posting lists
    /// (text hits, places, concepts or provider), or `None` when nothing narrows it.
    fn candidates(&self, compiled: &Compiled<'_>, only: Option<&[u32]>) -> Option<Vec<u32>> {
        let f = compiled.filter;
        let mut choices: Vec<Vec<&[u32]>> = Vec::new();
        if let Some(only) = only {
            choices.push(vec![only]);
        }
        if !f.municipalities.is_empty() {
            let mut lists: Vec<&[u32]> = compiled
                .place_ids
                .iter()
                .filter_map(|p| self.by_place.get(*p as usize).map(Vec::as_slice))
                .collect();
            if f.include_distance {
                lists.push(&self.distance);
            }
            choices.push(lists);
        }
        if !f.concepts.is_empty() {
            choices.push(
                compiled
                    .concept_ids
                    .iter()
                    .filter_map(|c| self.by_concept.get(*c as usize).map(Vec::as_slice))
                    .collect(),
            );
        }
        if let Some(p) = f.provider {
            choices.push(vec![
                self.by_provider.get(&p).map_or(&[][..], Vec::as_slice),
            ]);
        }
        let lists = choices
            .into_iter()
            .min_by_key(|lists| lists.iter().map(|l| l.len()).sum::<usize>())?;
        if let [list] = lists.as_slice() {
            return Some(list.to_vec());
        }
        // A union of many lists (a region's places): marking slots is cheaper than sorting.
        let mut marked = vec![false; self.slots.len()];
        for slot in lists.into_iter().flatten() {
            if let Some(m) = marked.get_mut(*slot as usize) {
                *m = true;
            }
        }
        Some(
            (0..as_u32(marked.len()))
                .filter(|slot| marked[*slot as usize])
                .collect(),
        )
    }

    fn compile<'a>(&self, f: &'a CatalogueFilter, only: Option<&[u32]>) -> Compiled<'a> {
        let place_ids = self.places.ids_of(&f.municipalities);
        let concept_ids = self.concepts.ids_of(&f.concepts);
        Compiled {
            filter: f,
            places: (!f.municipalities.is_empty())
                .then(|| bitmap(self.places.values.len(), &place_ids)),
            concepts: (!f.concepts.is_empty())
                .then(|| bitmap(self.concepts.values.len(), &concept_ids)),
            place_ids,
            concept_ids,
            only: only.map(|slots| bitmap(self.slots.len(), slots)),
            language: f
                .language
                .as_ref()
                .map(|l| self.languages.ids.get(l).copied()),
        }
    }

    /// Every listed offer the filter matches.
    fn hits<'a>(&'a self, f: &'a CatalogueFilter) -> Hits<'a> {
        let only = f.only.as_deref().map(|ids| self.slots_of(ids));
        let compiled = self.compile(f, only.as_deref());
        let keep = |slot: &u32| {
            self.entry(*slot)
                .is_some_and(|e| compiled.matches(*slot, e))
        };
        let slots = match self.candidates(&compiled, only.as_deref()) {
            Some(candidates) => candidates.into_iter().filter(keep).collect(),
            None => (0..as_u32(self.slots.len())).filter(keep).collect(),
        };
        Hits {
            catalogue: self,
            filter: f,
            slots,
        }
    }

    /// The page `offset..offset + limit` in `order`; with `scores`, by score (highest first) and
    /// then in `order` (relevance keeps equally relevant offers soonest first).
    pub fn page(
        &self,
        f: &CatalogueFilter,
        order: CatalogueOrder,
        scores: Option<&[(Uuid, f64)]>,
        limit: usize,
        offset: usize,
    ) -> CataloguePage {
        self.hits(f).page(order, scores, limit, offset, |_| {})
    }

    /// Facet counts over every offer the filter matches.
    pub fn facets(&self, f: &CatalogueFilter) -> CatalogueFacets {
        self.hits(f).facets()
    }

    /// [`Catalogue::page`] and [`Catalogue::facets`] from one pass over the catalogue.
    pub fn page_and_facets(
        &self,
        f: &CatalogueFilter,
        order: CatalogueOrder,
        scores: Option<&[(Uuid, f64)]>,
        limit: usize,
        offset: usize,
    ) -> (CataloguePage, CatalogueFacets) {
        let mut facets = FacetCounts::new(self);
        let page = self
            .hits(f)
            .page(order, scores, limit, offset, |e| facets.add(e));
        (page, facets.finish())
    }
}

impl Hits<'_> {
    fn entries(&self) -> impl Iterator<Item = (u32, &Entry)> {
        self.slots
            .iter()
            .filter_map(|&slot| self.catalogue.entry(slot).map(|e| (slot, e)))
    }

    /// The page; `visit` sees every hit on the way (facets count in the same pass).
    fn page(
        &self,
        order: CatalogueOrder,
        scores: Option<&[(Uuid, f64)]>,
        limit: usize,
        offset: usize,
        mut visit: impl FnMut(&Entry),
    ) -> CataloguePage {
        let score_by_slot = scores.map(|scores| {
            let mut by_slot = vec![0.0; self.catalogue.slots.len()];
            for (id, score) in scores {
                if let Some(cell) = self
                    .catalogue
                    .index
                    .get(id)
                    .and_then(|&slot| by_slot.get_mut(slot as usize))
                {
                    *cell = *score;
                }
            }
            by_slot
        });
        // Each hit's sort key computed once, so that ordering compares integers and never goes
        // back to the entries.
        let keys = self.entries().map(|(slot, e)| {
            visit(e);
            let score = score_by_slot
                .as_ref()
                .and_then(|s| s.get(slot as usize))
                .copied()
                .unwrap_or(0.0);
            SortKey::of(e, score, order, self.filter)
        });
        let end = offset.saturating_add(limit);
        let (first, total) = if end <= MAX_HEAP_PAGE_END {
            first_by_heap(keys, end)
        } else {
            first_by_selection(keys, end)
        };
        CataloguePage {
            ids: first
                .iter()
                .skip(offset)
                .map(|k| Uuid::from_u128(k.id))
                .collect(),
            total,
        }
    }

    fn facets(&self) -> CatalogueFacets {
        let mut counts = FacetCounts::new(self.catalogue);
        for (_, e) in self.entries() {
            counts.add(e);
        }
        counts.finish()
    }
}

/// Pages ending at most this far down keep only their first keys while the hits stream by;
/// deeper ones collect every key and select (a heap of thousands costs more than the selection).
const MAX_HEAP_PAGE_END: usize = 1_000;

/// The `end` smallest keys in order, and how many keys there were, keeping at most `end` at a
/// time (no allocation per hit for the usual first pages).
fn first_by_heap(keys: impl Iterator<Item = SortKey>, end: usize) -> (Vec<SortKey>, u64) {
    let mut kept: std::collections::BinaryHeap<SortKey> =
        std::collections::BinaryHeap::with_capacity(end.saturating_add(1));
    let mut total = 0u64;
    for key in keys {
        total += 1;
        if kept.len() < end {
            kept.push(key);
        } else if let Some(mut largest) = kept.peek_mut()
            && key < *largest
        {
            *largest = key;
        }
    }
    (kept.into_sorted_vec(), total)
}

/// As [`first_by_heap`], by collecting every key and selecting the first `end` in linear time.
fn first_by_selection(keys: impl Iterator<Item = SortKey>, end: usize) -> (Vec<SortKey>, u64) {
    let mut all: Vec<SortKey> = keys.collect();
    let total = all.len() as u64;
    if end < all.len() {
        all.select_nth_unstable(end);
        all.truncate(end);
    }
    all.sort_unstable();
    (all, total)
}

/// A hit's place in a listing, compared field by field: score (highest first), then the
/// listing's order, then id.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
struct SortKey {
    score: u64,
    order: (u64, u32),
    id: u128,
}

impl SortKey {
    fn of(e: &Entry, score: f64, order: CatalogueOrder, f: &CatalogueFilter) -> Self {
        // Newest first, offers without the time last.
        let newest_first = |t: Option<DateTime<Utc>>| {
            t.map_or((u64::MAX, u32::MAX), |t| {
                (!ascending(t.timestamp()), !t.timestamp_subsec_nanos())
            })
        };
        let order = match order {
            // Soonest first; offers without a start in the window last.
            CatalogueOrder::StartDate => (
                e.next_start(f.starts_from, f.starts_to)
                    .map_or(u64::MAX, |d| ascending(i64::from(d.num_days_from_ce()))),
                0,
            ),
            CatalogueOrder::Updated => newest_first(Some(e.updated_at)),
            CatalogueOrder::Published => newest_first(e.published_at),
        };
        // `f64::total_cmp`'s order as an unsigned integer, inverted for highest first.
        let bits = score.to_bits();
        let ascending_score = if bits >> 63 == 1 {
            !bits
        } else {
            bits | (1 << 63)
        };
        Self {
            score: !ascending_score,
            order,
            id: e.id.as_u128(),
        }
    }
}

/// An `i64` mapped to a `u64` in the same order.
fn ascending(v: i64) -> u64 {
    v.cast_unsigned() ^ (1 << 63)
}

/// Facet counts being gathered, one offer at a time.
struct FacetCounts<'a> {
    catalogue: &'a Catalogue,
    places: Vec<u64>,
    concepts: Vec<u64>,
    deliveries: [u64; 3],
    levels: [u64; 256],
    seen_places: Vec<u32>,
}

impl<'a> FacetCounts<'a> {
    fn new(catalogue: &'a Catalogue) -> Self {
        Self {
            catalogue,
            places: vec![0; catalogue.places.values.len()],
            concepts: vec![0; catalogue.concepts.values.len()],
            deliveries: [0; 3],
            levels: [0; 256],
            seen_places: Vec::new(),
        }
    }

    fn add(&mut self, e: &Entry) {
        self.seen_places.clear();
        for p in e.instances.iter().filter_map(|i| i.place) {
            if !self.seen_places.contains(&p) {
                self.seen_places.push(p);
                self.places[p as usize] += 1;
            }
        }
        self.deliveries[delivery_index(e.delivery)] += 1;
        if let Some(l) = e.level {
            self.levels[usize::from(l)] += 1;
        }
        for c in &e.concepts {
            self.concepts[*c as usize] += 1;
        }
    }

    fn finish(self) -> CatalogueFacets {
        let catalogue = self.catalogue;
        let mut municipalities: Vec<(String, u64)> = self
            .places
            .iter()
            .enumerate()
            .filter(|(_, n)| **n > 0)
            .map(|(i, n)| (catalogue.places.values[i].clone(), *n))
            .collect();
        municipalities.sort();
        let mut concept_counts: Vec<(Uuid, u64)> = self
            .concepts
            .iter()
            .enumerate()
            .filter(|(_, n)| **n > 0)
            .map(|(i, n)| (catalogue.concepts.values[i], *n))
            .collect();
        concept_counts.sort();
        let deliveries = self.deliveries;
        CatalogueFacets {
            municipalities,
            deliveries: DELIVERIES
                .iter()
                .filter(|d| deliveries[delivery_index(**d)] > 0)
                .map(|d| (*d, deliveries[delivery_index(*d)]))
                .collect(),
            levels: self
                .levels
                .iter()
                .enumerate()
                .filter(|(_, n)| **n > 0)
                .map(|(l, n)| (u8::try_from(l).unwrap_or(u8::MAX), *n))
                .collect(),
            concepts: concept_counts,
        }
    }
}

/// Deliveries in facet order (as their names sort: blended, distance, on_site).
const DELIVERIES: [Delivery; 3] = [Delivery::Blended, Delivery::Distance, Delivery::OnSite];

fn delivery_index(d: Delivery) -> usize {
    match d {
        Delivery::Blended => 0,
        Delivery::Distance => 1,
        Delivery::OnSite => 2,
    }
}

impl CatalogueFilter {
    fn filters_instances(&self) -> bool {
        !self.municipalities.is_empty() || self.starts_from.is_some() || self.starts_to.is_some()
    }
}

impl Entry {
    /// The first start within `from..=to` (either open).
    fn next_start(&self, from: Option<NaiveDate>, to: Option<NaiveDate>) -> Option<NaiveDate> {
        self.instances
            .iter()
            .map(|i| i.start)
            .filter(|s| from.is_none_or(|d| *s >= d) && to.is_none_or(|d| *s <= d))
            .min()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap_or_default()
    }

    fn offer(n: u128, place: &str, starts: &[&str]) -> ListedOffer {
        ListedOffer {
            id: Uuid::from_u128(n),
            version: 1,
            provider_id: Uuid::from_u128(1000),
            delivery: Delivery::OnSite,
            level: Some(3),
            language: "sv".into(),
            concepts: vec![Uuid::from_u128(500 + n % 2)],
            instances: starts
                .iter()
                .map(|s| ListedInstance {
                    start: day(s),
                    municipality: Some(place.into()),
                    distance: false,
                })
                .collect(),
            updated_at: DateTime::<Utc>::UNIX_EPOCH + chrono::Duration::seconds(n as i64),
            published_at: None,
        }
    }

    fn catalogue() -> Catalogue {
        Catalogue::new([
            offer(1, "1438", &["2027-03-01"]),
            offer(2, "1485", &["2027-01-10", "2027-06-01"]),
            offer(3, "1438", &[]),
            offer(4, "1438", &["2026-01-01", "2027-02-01"]),
        ])
    }

    #[test]
    fn start_date_order_puts_the_soonest_first_and_offers_without_a_start_last() {
        let c = catalogue();
        let f = CatalogueFilter::default();
        let page = c.page(&f, CatalogueOrder::StartDate, None, 10, 0);
        let ids: Vec<u128> = page.ids.iter().map(|i| i.as_u128()).collect();
        assert_eq!(ids, [4, 2, 1, 3]);
        assert_eq!(page.total, 4);
    }

    #[test]
    fn place_and_dates_must_hold_for_the_same_instance() {
        let c = catalogue();
        let f = CatalogueFilter {
            municipalities: vec!["1438".into()],
            starts_from: Some(day("2026-12-01")),
            ..Default::default()
        };
        let page = c.page(&f, CatalogueOrder::StartDate, None, 10, 0);
        let ids: Vec<u128> = page.ids.iter().map(|i| i.as_u128()).collect();
        // 4 starts on 2027-02-01 (its 2026 start is before the first day), then 1; 3 has no
        // start at all.
        assert_eq!(ids, [4, 1]);
    }

    #[test]
    fn pages_are_slices_of_one_order_and_the_total_counts_every_page() {
        let c = catalogue();
        let f = CatalogueFilter::default();
        let all = c.page(&f, CatalogueOrder::Updated, None, 10, 0).ids;
        let mut paged = Vec::new();
        for offset in 0..4 {
            let p = c.page(&f, CatalogueOrder::Updated, None, 1, offset);
            assert_eq!(p.total, 4);
            paged.extend(p.ids);
        }
        assert_eq!(paged, all);
        assert!(
            c.page(&f, CatalogueOrder::Updated, None, 5, 9)
                .ids
                .is_empty()
        );
    }

    #[test]
    fn scores_order_first_and_the_base_order_breaks_ties() {
        let c = catalogue();
        let scores = [(Uuid::from_u128(3), 0.9), (Uuid::from_u128(1), 0.5)];
        let page = c.page(
            &CatalogueFilter::default(),
            CatalogueOrder::StartDate,
            Some(&scores[..]),
            10,
            0,
        );
        let ids: Vec<u128> = page.ids.iter().map(|i| i.as_u128()).collect();
        assert_eq!(ids, [3, 1, 4, 2]);
    }

    #[test]
    fn facets_count_offers_not_instances() {
        let c = catalogue();
        let facets = c.facets(&CatalogueFilter::default());
        assert_eq!(
            facets.municipalities,
            // Offer 4 is held twice in 1438 and counts once; offer 3 is held nowhere yet.
            [("1438".to_owned(), 2), ("1485".to_owned(), 1)]
        );
        assert_eq!(facets.deliveries, [(Delivery::OnSite, 4)]);
        assert_eq!(facets.levels, [(3, 4)]);
        assert_eq!(
            facets.concepts,
            [(Uuid::from_u128(500), 2), (Uuid::from_u128(501), 2)]
        );
    }

    #[test]
    fn an_older_version_never_replaces_a_newer_one_and_every_change_bumps_the_generation() {
        let mut c = catalogue();
        let before = c.generation();
        let mut newer = offer(1, "1485", &["2027-03-01"]);
        newer.version = 2;
        assert!(c.upsert(newer));
        assert!(!c.upsert(offer(1, "1438", &["2027-03-01"])));
        assert_eq!(c.version_of(Uuid::from_u128(1)), Some(2));
        assert!(c.remove(Uuid::from_u128(2), Utc::now()));
        assert!(!c.remove(Uuid::from_u128(2), Utc::now()));
        assert_eq!(c.generation(), before + 2);
        assert_eq!(c.len(), 3);
    }

    #[test]
    fn the_language_filter_lists_offers_taught_in_it_and_an_unknown_one_lists_none() {
        let mut english = offer(5, "1438", &["2027-05-01"]);
        english.language = "en".into();
        let mut c = catalogue();
        c.upsert(english);
        let listed = |language: &str| {
            let f = CatalogueFilter {
                language: Some(language.into()),
                ..Default::default()
            };
            let ids: Vec<u128> = c
                .page(&f, CatalogueOrder::StartDate, None, 10, 0)
                .ids
                .iter()
                .map(|i| i.as_u128())
                .collect();
            ids
        };
        assert_eq!(listed("en"), [5]);
        assert_eq!(listed("sv"), [4, 2, 1, 3]);
        assert!(listed("nb").is_empty());
    }

    #[test]
    fn a_text_search_with_no_hits_matches_nothing() {
        let c = catalogue();
        let f = CatalogueFilter {
            only: Some(Vec::new()),
            ..Default::default()
        };
        assert_eq!(c.page(&f, CatalogueOrder::StartDate, None, 10, 0).total, 0);
    }

    /// What `hits` must return: every slot checked, no posting list consulted.
    fn full_scan(c: &Catalogue, f: &CatalogueFilter) -> Vec<u32> {
        let only = f.only.as_deref().map(|ids| c.slots_of(ids));
        let compiled = c.compile(f, only.as_deref());
        (0..as_u32(c.slots.len()))
            .filter(|slot| c.entry(*slot).is_some_and(|e| compiled.matches(*slot, e)))
            .collect()
    }

    fn arbitrary_offer() -> impl proptest::strategy::Strategy<Value = ListedOffer> {
        use proptest::prelude::*;
        (
            (
                0u128..40,
                0usize..2,
                -5i64..5,
                proptest::option::of(-5i64..5),
            ),
            1i32..4,
            0u128..3,
            proptest::collection::vec(0u128..6, 0..3),
            proptest::collection::vec(
                (0u32..60, proptest::option::of(0u8..5), any::<bool>()),
                0..3,
            ),
        )
            .prop_map(
                |((n, language, updated, published), version, provider, concepts, instances)| {
                    ListedOffer {
                        id: Uuid::from_u128(n),
                        version,
                        provider_id: Uuid::from_u128(1000 + provider),
                        delivery: Delivery::OnSite,
                        level: Some(3),
                        language: ["sv", "nb"][language].into(),
                        concepts: concepts
                            .into_iter()
                            .map(|c| Uuid::from_u128(500 + c))
                            .collect(),
                        instances: instances
                            .into_iter()
                            .map(|(days, place, distance)| ListedInstance {
                                start: day("2027-01-01") + chrono::Duration::days(i64::from(days)),
                                municipality: place.map(|p| format!("14{p:02}")),
                                distance,
                            })
                            .collect(),
                        // Half seconds before and after 1970: ties and sub-second order.
                        updated_at: DateTime::<Utc>::UNIX_EPOCH
                            + chrono::Duration::milliseconds(500 * updated),
                        published_at: published.map(|p| {
                            DateTime::<Utc>::UNIX_EPOCH + chrono::Duration::milliseconds(500 * p)
                        }),
                    }
                },
            )
    }

    fn arbitrary_filter() -> impl proptest::strategy::Strategy<Value = CatalogueFilter> {
        use proptest::prelude::*;
        (
            proptest::collection::vec(0u8..6, 0..3),
            any::<bool>(),
            proptest::collection::vec(0u128..7, 0..3),
            proptest::option::of(proptest::collection::vec(0u128..45, 0..12)),
            proptest::option::of(0u128..4),
            (
                proptest::option::of(0u32..60),
                proptest::option::of(0usize..3),
            ),
        )
            .prop_map(
                |(places, include_distance, concepts, only, provider, (from, language))| {
                    CatalogueFilter {
                        municipalities: places.into_iter().map(|p| format!("14{p:02}")).collect(),
                        include_distance,
                        concepts: concepts
                            .into_iter()
                            .map(|c| Uuid::from_u128(500 + c))
                            .collect(),
                        only: only.map(|ids| ids.into_iter().map(Uuid::from_u128).collect()),
                        provider: provider.map(|p| Uuid::from_u128(1000 + p)),
                        language: language.map(|l| ["sv", "nb", "en"][l].to_owned()),
                        starts_from: from
                            .map(|d| day("2027-01-01") + chrono::Duration::days(i64::from(d))),
                        ..Default::default()
                    }
                },
            )
    }

    /// The listing order spelled out: score (highest first), then the order, then id.
    fn reference_order(
        c: &Catalogue,
        f: &CatalogueFilter,
        order: CatalogueOrder,
        scores: &[(Uuid, f64)],
    ) -> Vec<Uuid> {
        let score_of = |id: Uuid| {
            scores
                .iter()
                .rev()
                .find(|(s, _)| *s == id)
                .map_or(0.0, |(_, score)| *score)
        };
        let mut entries: Vec<&Entry> = full_scan(c, f)
            .into_iter()
            .filter_map(|slot| c.entry(slot))
            .collect();
        entries.sort_by(|a, b| {
            let by_order = match order {
                CatalogueOrder::StartDate => {
                    let (a, b) = (
                        a.next_start(f.starts_from, f.starts_to),
                        b.next_start(f.starts_from, f.starts_to),
                    );
                    (a.is_none(), a).cmp(&(b.is_none(), b))
                }
                CatalogueOrder::Updated => b.updated_at.cmp(&a.updated_at),
                CatalogueOrder::Published => b.published_at.cmp(&a.published_at),
            };
            score_of(b.id)
                .total_cmp(&score_of(a.id))
                .then(by_order)
                .then(a.id.cmp(&b.id))
        });
        entries.iter().map(|e| e.id).collect()
    }

    proptest::proptest! {
        /// Keeping the first keys while they stream by and selecting among all of them agree.
        #[test]
        fn both_ways_of_finding_the_first_keys_agree(
            keys in proptest::collection::vec((0u64..4, 0u64..4, 0u128..8), 0..60),
            end in 0usize..70,
        ) {
            let keys: Vec<SortKey> = keys
                .into_iter()
                .map(|(score, order, id)| SortKey { score, order: (order, 0), id })
                .collect();
            proptest::prop_assert_eq!(
                first_by_heap(keys.iter().copied(), end),
                first_by_selection(keys.iter().copied(), end)
            );
        }

        /// Every order, with and without relevance, pages exactly as the spelled-out order.
        #[test]
        fn pages_follow_the_spelled_out_order(
            offers in proptest::collection::vec(arbitrary_offer(), 0..40),
            f in arbitrary_filter(),
            scored in proptest::collection::vec((0u128..40, 0u8..4), 0..20),
            limit in 1usize..50,
            offset in 0usize..10,
        ) {
            let mut c = Catalogue::default();
            for offer in offers {
                c.upsert(offer);
            }
            let scores: Vec<(Uuid, f64)> = scored
                .into_iter()
                .map(|(n, s)| (Uuid::from_u128(n), f64::from(s) / 4.0))
                .collect();
            let orders = [CatalogueOrder::StartDate, CatalogueOrder::Updated, CatalogueOrder::Published];
            for order in orders {
                for relevance in [None, Some(scores.as_slice())] {
                    let expected: Vec<Uuid> =
                        reference_order(&c, &f, order, relevance.unwrap_or(&[]))
                            .into_iter()
                            .skip(offset)
                            .take(limit)
                            .collect();
                    let page = c.page(&f, order, relevance, limit, offset);
                    proptest::prop_assert_eq!(page.ids, expected);
                }
            }
        }


        /// After any sequence of listings, relistings and removals, the posting lists narrow a
        /// listing to exactly what checking every offer finds.
        #[test]
        fn posting_lists_find_what_a_full_scan_finds(
            changes in proptest::collection::vec(
                (arbitrary_offer(), proptest::prelude::any::<bool>()), 0..60),
            filters in proptest::collection::vec(arbitrary_filter(), 1..8),
        ) {
            let mut c = Catalogue::default();
            for (offer, remove) in changes {
                if remove {
                    c.remove(offer.id, Utc::now());
                } else {
                    c.upsert(offer);
                }
            }
            for f in &filters {
                proptest::prop_assert_eq!(c.hits(f).slots, full_scan(&c, f));
                // The one-pass listing counts the facets of every hit, not of the page's.
                let (page, facets) = c.page_and_facets(f, CatalogueOrder::StartDate, None, 3, 1);
                proptest::prop_assert_eq!(page, c.page(f, CatalogueOrder::StartDate, None, 3, 1));
                proptest::prop_assert_eq!(facets, c.facets(f));
            }
        }
    }
}
