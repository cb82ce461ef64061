//! The public catalogue: every published offer's listing facts in memory, so a public listing
//! (filters, order, page, total and facet counts) is answered without building SQL whose size
//! grows with the catalogue. Only the page's offers are then read from the store, by id.
//!
//! Each change bumps a generation; listings built from an older generation are stale, so caches
//! and validators need no database round trip.

use std::collections::{BTreeMap, HashMap, HashSet};

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

/// Every published offer's listing facts.
#[derive(Debug, Clone, Default)]
pub struct Catalogue {
    offers: HashMap<Uuid, ListedOffer>,
    generation: u64,
    latest_change: Option<DateTime<Utc>>,
}

impl Catalogue {
    pub fn new(offers: impl IntoIterator<Item = ListedOffer>) -> Self {
        let mut c = Self::default();
        for o in offers {
            c.latest_change = c.latest_change.max(Some(o.updated_at));
            c.offers.insert(o.id, o);
        }
        c
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
        self.offers.len()
    }

    pub fn is_empty(&self) -> bool {
        self.offers.is_empty()
    }

    /// The listed version of an offer, if it is listed.
    pub fn version_of(&self, id: Uuid) -> Option<i32> {
        self.offers.get(&id).map(|o| o.version)
    }

    /// Lists or relists a published offer. An older version than the one listed is ignored (the
    /// same change may arrive from the writer and from the change poller). Returns whether the
    /// catalogue changed.
    pub fn upsert(&mut self, offer: ListedOffer) -> bool {
        if self
            .offers
            .get(&offer.id)
            .is_some_and(|o| o.version >= offer.version)
        {
            return false;
        }
        self.latest_change = self.latest_change.max(Some(offer.updated_at));
        self.offers.insert(offer.id, offer);
        self.generation += 1;
        true
    }

    /// Removes an offer that is no longer published (at `changed_at`). Returns whether it was
    /// listed.
    pub fn remove(&mut self, id: Uuid, changed_at: DateTime<Utc>) -> bool {
        if self.offers.remove(&id).is_none() {
            return false;
        }
        self.latest_change = self.latest_change.max(Some(changed_at));
        self.generation += 1;
        true
    }

    /// Every listed offer the filter matches (unordered).
    fn matching<'a>(&'a self, f: &'a CatalogueFilter) -> impl Iterator<Item = &'a ListedOffer> {
        self.offers.values().filter(move |o| f.matches(o))
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
        let first_day = f.starts_from;
        let mut hits: Vec<(&ListedOffer, Option<NaiveDate>)> = self
            .matching(f)
            .map(|o| (o, o.next_start(first_day, f.starts_to)))
            .collect();
        let total = hits.len() as u64;
        let score = |o: &ListedOffer| scores.and_then(|s| s.get(&o.id)).copied().unwrap_or(0.0);
        let compare = |a: &(&ListedOffer, Option<NaiveDate>),
                       b: &(&ListedOffer, Option<NaiveDate>)| {
            let by_score = match scores {
                Some(_) => score(b.0).total_cmp(&score(a.0)),
                None => std::cmp::Ordering::Equal,
            };
            let by_order = match order {
                // `None` sorts after every date.
                CatalogueOrder::StartDate => {
                    (a.1.is_none(), a.1).cmp(&(b.1.is_none(), b.1))
                }
                CatalogueOrder::Updated => b.0.updated_at.cmp(&a.0.updated_at),
                CatalogueOrder::Published => b.0.published_at.cmp(&a.0.published_at),
            };
            by_score.then(by_order).then(a.0.id.cmp(&b.0.id))
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
            ids: hits[offset..end].iter().map(|(o, _)| o.id).collect(),
            total,
        }
    }

    /// Facet counts over every offer the filter matches.
    pub fn facets(&self, f: &CatalogueFilter) -> CatalogueFacets {
        let mut municipalities: BTreeMap<&str, u64> = BTreeMap::new();
        let mut deliveries: BTreeMap<&'static str, (Delivery, u64)> = BTreeMap::new();
        let mut levels: BTreeMap<u8, u64> = BTreeMap::new();
        let mut concepts: BTreeMap<Uuid, u64> = BTreeMap::new();
        let mut seen_places: Vec<&str> = Vec::new();
        for o in self.matching(f) {
            seen_places.clear();
            for code in o.instances.iter().filter_map(|i| i.municipality.as_deref()) {
                if !seen_places.contains(&code) {
                    seen_places.push(code);
                    *municipalities.entry(code).or_default() += 1;
                }
            }
            deliveries
                .entry(delivery_key(o.delivery))
                .or_insert((o.delivery, 0))
                .1 += 1;
            if let Some(l) = o.level {
                *levels.entry(l).or_default() += 1;
            }
            for c in &o.concepts {
                *concepts.entry(*c).or_default() += 1;
            }
        }
        CatalogueFacets {
            municipalities: municipalities
                .into_iter()
                .map(|(k, n)| (k.to_owned(), n))
                .collect(),
            deliveries: deliveries.into_values().collect(),
            levels: levels.into_iter().collect(),
            concepts: concepts.into_iter().collect(),
        }
    }
}

fn delivery_key(d: Delivery) -> &'static str {
    match d {
        Delivery::OnSite => "on_site",
        Delivery::Distance => "distance",
        Delivery::Blended => "blended",
    }
}

impl CatalogueFilter {
    fn instance_matches(&self, i: &ListedInstance) -> bool {
        let place = self.municipalities.is_empty()
            || i.municipality
                .as_ref()
                .is_some_and(|m| self.municipalities.contains(m))
            || (self.include_distance && i.distance);
        place
            && self.starts_from.is_none_or(|d| i.start >= d)
            && self.starts_to.is_none_or(|d| i.start <= d)
    }

    /// Whether a listed offer passes every filter. Place and start dates must hold for the same
    /// instance: "starts in Uddevalla after today", not "held in Uddevalla once, and somewhere
    /// after today".
    pub fn matches(&self, o: &ListedOffer) -> bool {
        self.provider.is_none_or(|p| o.provider_id == p)
            && self.only.as_ref().is_none_or(|ids| ids.contains(&o.id))
            && (self.deliveries.is_empty() || self.deliveries.contains(&o.delivery))
            && (self.levels.is_empty() || o.level.is_some_and(|l| self.levels.contains(&l)))
            && self.language.as_ref().is_none_or(|l| *l == o.language)
            && self.updated_since.is_none_or(|t| o.updated_at > t)
            && (self.concepts.is_empty() || o.concepts.iter().any(|c| self.concepts.contains(c)))
            && (!self.filters_instances() || o.instances.iter().any(|i| self.instance_matches(i)))
    }

    fn filters_instances(&self) -> bool {
        !self.municipalities.is_empty() || self.starts_from.is_some() || self.starts_to.is_some()
    }
}

impl ListedOffer {
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
        assert!(c.page(&f, CatalogueOrder::Updated, None, 5, 9).ids.is_empty());
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
