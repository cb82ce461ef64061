//! Geography: countries, regions, municipalities and municipality clusters.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::DomainError;
use crate::values::Name;

/// The two countries the service covers.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Country {
    Se,
    No,
}

impl Country {
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        match raw.trim().to_ascii_uppercase().as_str() {
            "SE" => Ok(Self::Se),
            "NO" => Ok(Self::No),
            _ => Err(DomainError::invalid("", "country must be SE or NO")),
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Self::Se => "SE",
            Self::No => "NO",
        }
    }
}

/// A municipality code: four digits, Swedish kommunkod (county 01-25 + two digits) or Norwegian
/// kommunenummer (county 03-56 + two digits).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct MunicipalityCode(String);

impl MunicipalityCode {
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let s = raw.trim();
        if s.len() == 4 && s.bytes().all(|b| b.is_ascii_digit()) && !s.starts_with("00") {
            Ok(Self(s.to_owned()))
        } else {
            Err(DomainError::invalid(
                "",
                format!("municipality code must be four digits, e.g. 1485 or 3105 (got `{s}`)"),
            ))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl AsRef<str> for MunicipalityCode {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl std::fmt::Display for MunicipalityCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// A region: a Swedish sub-region (kommunalförbund, e.g. Fyrbodal) or a Norwegian county area
/// (e.g. Østfold).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Region {
    pub id: Uuid,
    pub name: Name,
    pub country: Country,
}

/// A municipality with its official code.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Municipality {
    pub code: MunicipalityCode,
    pub name: Name,
    pub country: Country,
    pub region_id: Uuid,
}

/// Small municipalities sharing a labour-market area, which may share a platform and a broker.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct MunicipalityCluster {
    pub id: Uuid,
    pub name: Name,
    pub region_id: Uuid,
    pub municipalities: Vec<MunicipalityCode>,
}

impl MunicipalityCluster {
    /// A cluster needs at least two distinct municipalities of its region.
    pub fn parse(
        id: Uuid,
        name: &str,
        region_id: Uuid,
        codes: &[String],
    ) -> Result<Self, DomainError> {
        let name = Name::parse(name).map_err(|e| e.under("name"))?;
        let mut municipalities = codes
            .iter()
            .enumerate()
            .map(|(i, c)| {
                MunicipalityCode::parse(c).map_err(|e| e.under(&format!("municipalities[{i}]")))
            })
            .collect::<Result<Vec<_>, _>>()?;
        municipalities.sort();
        municipalities.dedup();
        if municipalities.len() < 2 {
            return Err(DomainError::invalid(
                "municipalities",
                "a cluster needs at least two municipalities",
            ));
        }
        Ok(Self {
            id,
            name,
            region_id,
            municipalities,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn real_codes_parse() {
        for code in ["1485", "1438", "3105", "3124"] {
            assert!(MunicipalityCode::parse(code).is_ok(), "{code}");
        }
    }

    #[test]
    fn malformed_codes_are_refused_with_the_rule() {
        for code in ["148", "14850", "14a5", "", "0000"] {
            let err = MunicipalityCode::parse(code)
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default();
            assert!(err.contains("four digits"), "{code}: {err}");
        }
    }

    #[test]
    fn a_cluster_needs_two_municipalities() {
        let r = Uuid::nil();
        assert!(
            MunicipalityCluster::parse(r, "Dalsland", r, &["1460".into(), "1460".into()]).is_err()
        );
        assert!(
            MunicipalityCluster::parse(r, "Dalsland", r, &["1460".into(), "1438".into()]).is_ok()
        );
    }

    proptest! {
        #[test]
        fn any_four_digit_code_not_starting_with_00_parses(n in 100u32..10_000) {
            let s = format!("{n:04}");
            prop_assert!(MunicipalityCode::parse(&s).is_ok());
        }
    }
}
