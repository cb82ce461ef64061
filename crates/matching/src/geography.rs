//! Municipalities, their regions and their labour-market clusters.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};

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
}

impl Geography {
    /// Builds the lookup; a later entry for the same code replaces an earlier one.
    #[must_use]
    pub fn new(entries: Vec<MunicipalityGeo>) -> Self {
        let by_code = entries
            .into_iter()
            .map(|e| (e.code.trim().to_owned(), e))
            .collect();
        Self { by_code }
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
            },
            MunicipalityGeo {
                code: "1481".into(),
                region: "14".into(),
                clusters: vec!["gbg".into()],
            },
            MunicipalityGeo {
                code: "1490".into(),
                region: "14".into(),
                clusters: vec!["boras".into()],
            },
            MunicipalityGeo {
                code: "0180".into(),
                region: "01".into(),
                clusters: vec!["sthlm".into()],
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
    }
}
