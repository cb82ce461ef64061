//! The public catalogue: every published offer's listing facts in memory, so a public listing
//! (filters, order, page, total and facet counts) is answered without building SQL whose size
//! grows with the catalogue. Only the page's offers are then read from the store, by id.
//!
//! Each change bumps a generation; listings built from an older generation are stale, so caches
//! and validators need no database round trip.

use std::collections::{HashMap, HashSet};

use chrono::{DateTime, NaiveDate, Utc};
use uuid::Uuid;

use crate::engine::Delivery;

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
    /// Only these offers (a text search's hits); `Some(empty)` matches nothing.
    pub only: Option<HashSet<Uuid>>,
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

/// Every published offer's listing facts, in a dense vector scanned per listing. Places and
/// concepts are interned to small integers, so a filter is a bitmap lookup and facet counts are
/// array increments: a scan of 100,000 offers stays in the low milliseconds.
#[derive(Debug, Clone, Default)]
pub struct Catalogue {
    entries: Vec<Entry>,
    index: HashMap<Uuid, usize>,
    places: Interner<String>,
    concepts: Interner<Uuid>,
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
    language: Box<str>,
    concepts: Box<[u32]>,
    instances: Box<[Instance]>,
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
    ids: HashMap<T, u32>,
}

impl<T> Default for Interner<T> {
    fn default() -> Self {
        Self {
            values: Vec::new(),
            ids: HashMap::new(),
        }
    }
}

impl<T: std::hash::Hash + Eq + Clone> Interner<T> {
    fn intern(&mut self, value: &T) -> u32 {
        if let Some(id) = self.ids.get(value) {
            return *id;
        }
        let id = u32::try_from(self.values.len()).unwrap_or(u32::MAX);
        self.values.push(value.clone());
        self.ids.insert(value.clone(), id);
        id
    }

    /// A bitmap over the interned values marking `wanted` (values never seen mark nothing).
    fn bitmap<'a>(&self, wanted: impl IntoIterator<Item = &'a T>) -> Vec<bool>
    where
        T: 'a,
    {
        let mut bits = vec![false; self.values.len()];
        for id in wanted.into_iter().filter_map(|v| self.ids.get(v)) {
            if let Some(bit) = bits.get_mut(*id as usize) {
                *bit = true;
            }
        }
        bits
    }
}

/// A filter against the interned ids of one catalogue.
struct Compiled<'a> {
    filter: &'a CatalogueFilter,
    places: Option<Vec<bool>>,
    concepts: Option<Vec<bool>>,
}

fn marked(bits: &[bool], id: u32) -> bool {
    bits.get(id as usize).copied().unwrap_or(false)
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
    fn matches(&self, e: &Entry) -> bool {
        let f = self.filter;
        f.provider.is_none_or(|p| e.provider_id == p)
            && f.only.as_ref().is_none_or(|ids| ids.contains(&e.id))
            && (f.deliveries.is_empty() || f.deliveries.contains(&e.delivery))
            && (f.levels.is_empty() || e.level.is_some_and(|l| f.levels.contains(&l)))
            && f.language.as_deref().is_none_or(|l| l == &*e.language)
            && f.updated_since.is_none_or(|t| e.updated_at > t)
            && self
                .concepts
                .as_ref()
                .is_none_or(|bits| e.concepts.iter().any(|c| marked(bits, *c)))
            && (!f.filters_instances() || e.instances.iter().any(|i| self.instance_matches(i)))
    }
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
            language: o.language.into_boxed_str(),
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

    fn put(&mut self, o: ListedOffer) {
        let entry = self.entry_of(o);
        match self.index.get(&entry.id) {
            Some(&i) => self.entries[i] = entry,
            None => {
                self.index.insert(entry.id, self.entries.len());
                self.entries.push(entry);
            }
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
        self.entries.len()
    }

    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The listed version of an offer, if it is listed.
    pub fn version_of(&self, id: Uuid) -> Option<i32> {
        self.index.get(&id).map(|&i| self.entries[i].version)
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
        let Some(i) = self.index.remove(&id) else {
            return false;
        };
        self.entries.swap_remove(i);
        if let Some(moved) = self.entries.get(i) {
            self.index.insert(moved.id, i);
        }
        self.latest_change = self.latest_change.max(Some(changed_at));
        self.generation += 1;
        true
    }

    fn compile<'a>(&self, f: &'a CatalogueFilter) -> Compiled<'a> {
        Compiled {
            filter: f,
            places: (!f.municipalities.is_empty()).then(|| self.places.bitmap(&f.municipalities)),
            concepts: (!f.concepts.is_empty()).then(|| self.concepts.bitmap(&f.concepts)),
        }
    }

    /// Every listed offer the filter matches (unordered).
    fn matching<'a>(&'a self, f: &'a CatalogueFilter) -> impl Iterator<Item = &'a Entry> {
        let compiled = self.compile(f);
        self.entries.iter().filter(move |e| compiled.matches(e))
    }

    /// The page `offset..offset + limit` in `order`; with `scores`, by score (highest first) and
    /// then in `order` (relevance keeps equally relevant offers soonest first).
    pub fn page(
        &self,
        f: &CatalogueFilter,
        order: CatalogueOrder,
        scores: Option<&HashMap<Uuid, f64>>,
        limit: usize,
        offset: usize,
    ) -> CataloguePage {
        // Each hit with its sort key computed once: (score, next start, updated, published).
        struct Hit<'a> {
            entry: &'a Entry,
            score: f64,
            next_start: Option<NaiveDate>,
        }
        let mut hits: Vec<Hit<'_>> = self
            .matching(f)
            .map(|e| Hit {
                entry: e,
                score: scores.and_then(|s| s.get(&e.id)).copied().unwrap_or(0.0),
                next_start: e.next_start(f.starts_from, f.starts_to),
            })
            .collect();
        let total = hits.len() as u64;
        let compare = |a: &Hit<'_>, b: &Hit<'_>| {
            let by_score = b.score.total_cmp(&a.score);
            let by_order = match order {
                // `None` sorts after every date.
                CatalogueOrder::StartDate => (a.next_start.is_none(), a.next_start)
                    .cmp(&(b.next_start.is_none(), b.next_start)),
                CatalogueOrder::Updated => b.entry.updated_at.cmp(&a.entry.updated_at),
                CatalogueOrder::Published => b.entry.published_at.cmp(&a.entry.published_at),
            };
            by_score.then(by_order).then(a.entry.id.cmp(&b.entry.id))
        };
        let end = offset.saturating_add(limit).min(hits.len());
        if offset >= end {
            return CataloguePage {
                ids: Vec::new(),
                total,
            };
        }
        // Only the first `end` need ordering: select them in linear time, then sort those.
        if end < hits.len() {
            hits.select_nth_unstable_by(end, compare);
            hits.truncate(end);
        }
        hits.sort_unstable_by(compare);
        CataloguePage {
            ids: hits[offset..end].iter().map(|h| h.entry.id).collect(),
            total,
        }
    }

    /// Facet counts over every offer the filter matches.
    pub fn facets(&self, f: &CatalogueFilter) -> CatalogueFacets {
        let mut places = vec![0u64; self.places.values.len()];
        let mut concepts = vec![0u64; self.concepts.values.len()];
        let mut deliveries = [0u64; 3];
        let mut levels = [0u64; 256];
        let mut seen_places: Vec<u32> = Vec::new();
        for e in self.matching(f) {
            seen_places.clear();
            for p in e.instances.iter().filter_map(|i| i.place) {
                if !seen_places.contains(&p) {
                    seen_places.push(p);
                    places[p as usize] += 1;
                }
            }
            deliveries[delivery_index(e.delivery)] += 1;
            if let Some(l) = e.level {
                levels[usize::from(l)] += 1;
            }
            for c in &e.concepts {
                concepts[*c as usize] += 1;
            }
        }
        let mut municipalities: Vec<(String, u64)> = places
            .iter()
            .enumerate()
            .filter(|(_, n)| **n > 0)
            .map(|(i, n)| (self.places.values[i].clone(), *n))
            .collect();
        municipalities.sort();
        let mut concept_counts: Vec<(Uuid, u64)> = concepts
            .iter()
            .enumerate()
            .filter(|(_, n)| **n > 0)
            .map(|(i, n)| (self.concepts.values[i], *n))
            .collect();
        concept_counts.sort();
        CatalogueFacets {
            municipalities,
            deliveries: DELIVERIES
                .iter()
                .filter(|d| deliveries[delivery_index(**d)] > 0)
                .map(|d| (*d, deliveries[delivery_index(*d)]))
                .collect(),
            levels: levels
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
        let scores = HashMap::from([(Uuid::from_u128(3), 0.9), (Uuid::from_u128(1), 0.5)]);
        let page = c.page(
            &CatalogueFilter::default(),
            CatalogueOrder::StartDate,
            Some(&scores),
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
    fn a_text_search_with_no_hits_matches_nothing() {
        let c = catalogue();
        let f = CatalogueFilter {
            only: Some(HashSet::new()),
            ..Default::default()
        };
        assert_eq!(c.page(&f, CatalogueOrder::StartDate, None, 10, 0).total, 0);
    }
}
