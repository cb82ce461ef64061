//! Municipalities, their regions and their labour-market clusters.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

use crate::fx::FxMap;

/// One municipality with its region and the clusters (labour-market or cooperation areas) it
/// belongs to.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct MunicipalityGeo {
    /// Four-digit municipality code.
    pub code: String,
    /// Region (county) code or name.
    pub region: String,
    /// Clusters the municipality belongs to.
    pub clusters: Vec<String>,
    /// Display name ("Trollhättan"), used in explanations instead of the code when known.
    #[serde(default)]
    pub name: Option<String>,
    /// Sub-region (a level between cluster and region, e.g. a Swedish "delregion" inside a
    /// county-sized region), when the data has one. Without it, [`Reach::SubRegion`] reaches as
    /// far as the region.
    #[serde(default)]
    pub sub_region: Option<String>,
}

/// How far from the need's municipality an on-site course may take place and still be
/// suggested (a platform setting). Distance courses are never limited by reach.
#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize,
)]
#[serde(rename_all = "snake_case")]
pub enum Reach {
    /// Only in the need's own municipality.
    Municipality,
    /// In the need's municipality or one sharing a cluster with it.
    Cluster,
    /// Within the need's sub-region (the region when the data has no sub-regions).
    SubRegion,
    /// Within the need's region.
    #[default]
    Region,
    /// Anywhere.
    Anywhere,
}

impl Reach {
    /// Every value, nearest first.
    pub const ALL: [Self; 5] = [
        Self::Municipality,
        Self::Cluster,
        Self::SubRegion,
        Self::Region,
        Self::Anywhere,
    ];

    /// The setting's spelling (`municipality`, `cluster`, `sub_region`, `region`, `anywhere`).
    #[must_use]
    pub const fn as_str(self) -> &'static str {
        match self {
            Self::Municipality => "municipality",
            Self::Cluster => "cluster",
            Self::SubRegion => "sub_region",
            Self::Region => "region",
            Self::Anywhere => "anywhere",
        }
    }

    /// Parses the setting's spelling; `None` for anything else.
    #[must_use]
    pub fn parse(raw: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == raw.trim())
    }
}

/// How close two municipalities are.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Proximity {
    /// The same municipality.
    Same,
    /// Different municipalities sharing a cluster.
    Cluster,
    /// Different municipalities in the same region.
    Region,
    /// Nothing in common (or unknown).
    Far,
}

/// Lookup of municipality regions and clusters.
#[derive(Debug, Clone, Default)]
pub struct Geography {
    by_code: HashMap<String, MunicipalityGeo>,
    /// Dense ids for the engine's hot path: code -> id, id -> region id, id -> sorted cluster ids.
    ids: FxMap<String, u32>,
    /// Region key -> region id.
    region_ids: FxMap<String, u32>,
    region_of_id: Vec<u32>,
    clusters_of_id: Vec<Vec<u32>>,
    /// id -> sub-region id, when the municipality has one.
    sub_region_of_id: Vec<Option<u32>>,
}

impl Geography {
    /// Builds the lookup; a later entry for the same code replaces an earlier one.
    #[must_use]
    pub fn new(entries: Vec<MunicipalityGeo>) -> Self {
        let by_code: HashMap<String, MunicipalityGeo> = entries
            .into_iter()
            .map(|e| (e.code.trim().to_owned(), e))
            .collect();
        let mut codes: Vec<&String> = by_code.keys().collect();
        codes.sort();
        let mut ids = FxMap::default();
        let mut regions: HashMap<&str, u32> = HashMap::new();
        let mut clusters: HashMap<&str, u32> = HashMap::new();
        let mut sub_regions: HashMap<&str, u32> = HashMap::new();
        let mut sub_region_of_id = Vec::with_capacity(codes.len());
        let mut region_of_id = Vec::with_capacity(codes.len());
        let mut clusters_of_id = Vec::with_capacity(codes.len());
        for (i, code) in codes.iter().enumerate() {
            let Some(entry) = by_code.get(*code) else {
                continue;
            };
            ids.insert((*code).clone(), u32::try_from(i).unwrap_or(u32::MAX));
            let next = u32::try_from(regions.len()).unwrap_or(u32::MAX);
            region_of_id.push(*regions.entry(entry.region.as_str()).or_insert(next));
            let next = u32::try_from(sub_regions.len()).unwrap_or(u32::MAX);
            sub_region_of_id.push(
                entry
                    .sub_region
                    .as_deref()
                    .map(|s| *sub_regions.entry(s).or_insert(next)),
            );
            let mut cs: Vec<u32> = entry
                .clusters
                .iter()
                .map(|c| {
                    let next = u32::try_from(clusters.len()).unwrap_or(u32::MAX);
                    *clusters.entry(c.as_str()).or_insert(next)
                })
                .collect();
            cs.sort_unstable();
            cs.dedup();
            clusters_of_id.push(cs);
        }
        let region_ids = regions
            .iter()
            .map(|(key, id)| ((*key).to_owned(), *id))
            .collect();
        Self {
            by_code,
            ids,
            region_ids,
            region_of_id,
            clusters_of_id,
            sub_region_of_id,
        }
    }

    /// Whether an on-site course in municipality `b` (dense id) is within `reach` of a need in
    /// `a`. Unknown municipalities are within reach only of [`Reach::Anywhere`].
    pub(crate) fn within_reach_ids(&self, a: u32, b: u32, reach: Reach) -> bool {
        let p = self.proximity_ids(a, b);
        match reach {
            Reach::Anywhere => true,
            Reach::Region => p <= Proximity::Region,
            Reach::SubRegion => match (
                self.sub_region_of_id.get(a as usize).copied().flatten(),
                self.sub_region_of_id.get(b as usize).copied().flatten(),
            ) {
                (Some(x), Some(y)) => p <= Proximity::Cluster || x == y,
                _ => p <= Proximity::Region,
            },
            Reach::Cluster => p <= Proximity::Cluster,
            Reach::Municipality => p == Proximity::Same,
        }
    }

    /// Whether an on-site course in `b` is within `reach` of a need in `a` (codes).
    #[must_use]
    pub fn within_reach(&self, a: &str, b: &str, reach: Reach) -> bool {
        if reach == Reach::Anywhere {
            return true;
        }
        match (self.id_of(a), self.id_of(b)) {
            (Some(x), Some(y)) => self.within_reach_ids(x, y, reach),
            _ => a.trim() == b.trim(),
        }
    }

    /// The display name of a municipality, or its code when the name is unknown.
    #[must_use]
    pub fn name_or_code<'a>(&'a self, code: &'a str) -> &'a str {
        self.get(code)
            .and_then(|g| g.name.as_deref())
            .unwrap_or(code)
    }

    /// Dense id of a known municipality.
    pub(crate) fn id_of(&self, code: &str) -> Option<u32> {
        self.ids.get(code.trim()).copied()
    }

    /// The id of a region (by key).
    pub(crate) fn region_id(&self, key: &str) -> Option<u32> {
        self.region_ids.get(key).copied()
    }

    /// The region id of a municipality (by dense id).
    pub(crate) fn region_id_of(&self, id: u32) -> Option<u32> {
        self.region_of_id.get(id as usize).copied()
    }

    /// Proximity of two municipalities by dense id.
    pub(crate) fn proximity_ids(&self, a: u32, b: u32) -> Proximity {
        if a == b {
            return Proximity::Same;
        }
        let (ca, cb) = (
            self.clusters_of_id.get(a as usize),
            self.clusters_of_id.get(b as usize),
        );
        if let (Some(ca), Some(cb)) = (ca, cb)
            && ca.iter().any(|c| cb.binary_search(c).is_ok())
        {
            return Proximity::Cluster;
        }
        match (
            self.region_of_id.get(a as usize),
            self.region_of_id.get(b as usize),
        ) {
            (Some(ra), Some(rb)) if ra == rb => Proximity::Region,
            _ => Proximity::Far,
        }
    }

    /// The entry of a municipality.
    #[must_use]
    pub fn get(&self, code: &str) -> Option<&MunicipalityGeo> {
        self.by_code.get(code.trim())
    }

    /// The region of a municipality.
    #[must_use]
    pub fn region_of(&self, code: &str) -> Option<&str> {
        self.get(code).map(|g| g.region.as_str())
    }

    /// Whether two different municipalities share a cluster.
    #[must_use]
    pub fn same_cluster(&self, a: &str, b: &str) -> bool {
        match (self.get(a), self.get(b)) {
            (Some(x), Some(y)) => x.clusters.iter().any(|c| y.clusters.contains(c)),
            _ => false,
        }
    }

    /// Whether two municipalities lie in the same region.
    #[must_use]
    pub fn same_region(&self, a: &str, b: &str) -> bool {
        match (self.get(a), self.get(b)) {
            (Some(x), Some(y)) => x.region == y.region,
            _ => false,
        }
    }

    /// Proximity of two municipalities (same, cluster, region, far).
    #[must_use]
    pub fn proximity(&self, a: &str, b: &str) -> Proximity {
        if a.trim() == b.trim() {
            Proximity::Same
        } else if self.same_cluster(a, b) {
            Proximity::Cluster
        } else if self.same_region(a, b) {
            Proximity::Region
        } else {
            Proximity::Far
        }
    }

    /// Number of known municipalities.
    #[must_use]
    pub fn len(&self) -> usize {
        self.by_code.len()
    }

    /// Whether no municipality is known.
    #[must_use]
    pub fn is_empty(&self) -> bool {
        self.by_code.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn geo() -> Geography {
        Geography::new(vec![
            MunicipalityGeo {
                code: "1480".into(),
                region: "14".into(),
                clusters: vec!["gbg".into()],
                name: None,
                sub_region: None,
            },
            MunicipalityGeo {
                code: "1481".into(),
                region: "14".into(),
                clusters: vec!["gbg".into()],
                name: None,
                sub_region: None,
            },
            MunicipalityGeo {
                code: "1490".into(),
                region: "14".into(),
                clusters: vec!["boras".into()],
                name: Some("Borås".into()),
                sub_region: None,
            },
            MunicipalityGeo {
                code: "0180".into(),
                region: "01".into(),
                clusters: vec!["sthlm".into()],
                name: None,
                sub_region: None,
            },
        ])
    }

    #[test]
    fn proximity_levels() {
        let g = geo();
        assert_eq!(g.proximity("1480", "1480"), Proximity::Same);
        assert_eq!(g.proximity("1480", "1481"), Proximity::Cluster);
        assert_eq!(g.proximity("1480", "1490"), Proximity::Region);
        assert_eq!(g.proximity("1480", "0180"), Proximity::Far);
        assert_eq!(g.proximity("1480", "9999"), Proximity::Far);
        assert!(g.same_region("1481", "1490"));
        assert!(!g.same_cluster("1481", "1490"));
        for a in ["1480", "1481", "1490", "0180"] {
            for b in ["1480", "1481", "1490", "0180"] {
                let (Some(x), Some(y)) = (g.id_of(a), g.id_of(b)) else {
                    panic!("known codes")
                };
                assert_eq!(g.proximity_ids(x, y), g.proximity(a, b), "{a} {b}");
            }
        }
    }

    #[test]
    fn reach_widens_from_municipality_to_anywhere() {
        let g = geo();
        let within = |a: &str, b: &str| {
            Reach::ALL
                .iter()
                .filter(|&&r| g.within_reach(a, b, r))
                .map(|r| r.as_str())
                .collect::<Vec<_>>()
        };
        assert_eq!(
            within("1480", "1480"),
            [
                "municipality",
                "cluster",
                "sub_region",
                "region",
                "anywhere"
            ]
        );
        assert_eq!(
            within("1480", "1481"),
            ["cluster", "sub_region", "region", "anywhere"]
        );
        // No sub-regions in this data: sub_region reaches as far as the region.
        assert_eq!(within("1480", "1490"), ["sub_region", "region", "anywhere"]);
        assert_eq!(within("1480", "0180"), ["anywhere"]);
        assert_eq!(within("1480", "9999"), ["anywhere"]);
    }

    #[test]
    fn sub_regions_split_a_region_when_the_data_has_them() {
        let m = |code: &str, cluster: &str, sub: &str| MunicipalityGeo {
            code: code.into(),
            region: "14".into(),
            clusters: vec![cluster.into()],
            name: None,
            sub_region: Some(sub.into()),
        };
        let g = Geography::new(vec![
            m("1485", "bohus", "fyrbodal"),
            m("1488", "dalsland", "fyrbodal"),
            m("1480", "gbg", "goteborg"),
        ]);
        assert!(g.within_reach("1485", "1488", Reach::SubRegion));
        assert!(!g.within_reach("1485", "1480", Reach::SubRegion));
        assert!(g.within_reach("1485", "1480", Reach::Region));
    }

    #[test]
    fn reach_spellings_round_trip() {
        for r in Reach::ALL {
            assert_eq!(Reach::parse(r.as_str()), Some(r));
        }
        assert_eq!(Reach::parse("county"), None);
        assert_eq!(Reach::default(), Reach::Region);
    }

    #[test]
    fn names_stand_in_for_codes_when_known() {
        let g = geo();
        assert_eq!(g.name_or_code("1490"), "Borås");
        assert_eq!(g.name_or_code("1480"), "1480");
        assert_eq!(g.name_or_code("9999"), "9999");
    }
}
