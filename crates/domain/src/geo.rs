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

/// A municipality code as a client writes it: four digits, Swedish kommunkod (county 01-25 + two
/// digits) or Norwegian kommunenummer (county 03-56 + two digits), optionally qualified with the
/// country (`SE-1438`, `NO-3101`). The bare form means the code within the country that has it;
/// when both countries have it, only the qualified form names one (see [`resolve_code`]).
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct MunicipalityCode(String);

impl MunicipalityCode {
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let s = raw.trim();
        let (country, digits) = match s.split_once('-') {
            Some((c, d)) => (Some(c), d),
            None => (None, s),
        };
        let digits_ok = digits.len() == 4
            && digits.bytes().all(|b| b.is_ascii_digit())
            && !digits.starts_with("00");
        match country.map(Country::parse) {
            _ if !digits_ok => Err(DomainError::invalid(
                "",
                format!(
                    "municipality code must be four digits, optionally with the country, e.g. 1485, SE-1438 or NO-3105 (got `{s}`)"
                ),
            )),
            None => Ok(Self(digits.to_owned())),
            Some(Ok(c)) => Ok(Self(format!("{}-{digits}", c.code()))),
            Some(Err(_)) => Err(DomainError::invalid(
                "",
                format!("a qualified municipality code starts with SE- or NO- (got `{s}`)"),
            )),
        }
    }

    /// The stored key of a municipality: the bare four digits, or the qualified form when the
    /// other country already has a municipality with the same digits.
    pub fn key(country: Country, digits: &str, digits_taken_by_other_country: bool) -> String {
        if digits_taken_by_other_country {
            format!("{}-{digits}", country.code())
        } else {
            digits.to_owned()
        }
    }

    /// The country the code names, when qualified.
    pub fn country(&self) -> Option<Country> {
        self.0
            .split_once('-')
            .and_then(|(c, _)| Country::parse(c).ok())
    }

    /// The four digits.
    pub fn digits(&self) -> &str {
        self.0.split_once('-').map_or(self.0.as_str(), |(_, d)| d)
    }

    /// The country-qualified form (`SE-1438`) of a municipality in `country`.
    pub fn qualified(&self, country: Country) -> String {
        format!("{}-{}", country.code(), self.digits())
    }

    pub fn into_inner(self) -> String {
        self.0
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Which stored municipality a code means, given the stored municipalities with the same digits
/// (their key and country): the one of the named country, or the only one. A bare code two
/// countries share is ambiguous and refused with the qualified forms to choose from.
pub fn resolve_code(
    code: &MunicipalityCode,
    candidates: &[(String, Country)],
) -> Result<String, DomainError> {
    let fitting: Vec<&(String, Country)> = candidates
        .iter()
        .filter(|(_, c)| code.country().is_none_or(|wanted| wanted == *c))
        .collect();
    match fitting.as_slice() {
        [] => Err(DomainError::invalid("", "unknown municipality code")),
        [(key, _)] => Ok(key.clone()),
        several => Err(DomainError::invalid(
            "",
            format!(
                "municipality code {} exists in more than one country; write it qualified: {}",
                code.digits(),
                several
                    .iter()
                    .map(|(_, c)| code.qualified(*c))
                    .collect::<Vec<_>>()
                    .join(" or ")
            ),
        )),
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

/// A municipality replaced by another (a merger or a renumbering) takes no new needs: they go
/// to its successor.
pub fn check_not_replaced(replaced_by: Option<&str>) -> Result<(), DomainError> {
    match replaced_by {
        Some(successor) => Err(DomainError::invalid(
            "",
            format!("the municipality has been replaced by {successor}; use that code"),
        )),
        None => Ok(()),
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

    #[test]
    fn qualified_codes_parse_and_keep_their_country() {
        let code = MunicipalityCode::parse("no-3101").ok();
        assert_eq!(code.as_ref().map(|c| c.as_str()), Some("NO-3101"));
        assert_eq!(code.as_ref().and_then(|c| c.country()), Some(Country::No));
        assert_eq!(code.as_ref().map(|c| c.digits()), Some("3101"));
        assert!(MunicipalityCode::parse("DK-1438").is_err());
        assert!(MunicipalityCode::parse("SE-143").is_err());
    }

    #[test]
    fn a_bare_code_both_countries_have_is_ambiguous() {
        let both = [
            ("1438".to_owned(), Country::Se),
            ("NO-1438".to_owned(), Country::No),
        ];
        let code = |s: &str| MunicipalityCode::parse(s).unwrap_or_else(|_| unreachable!());
        assert_eq!(
            resolve_code(&code("SE-1438"), &both).ok().as_deref(),
            Some("1438")
        );
        assert_eq!(
            resolve_code(&code("NO-1438"), &both).ok().as_deref(),
            Some("NO-1438")
        );
        let ambiguous = resolve_code(&code("1438"), &both)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default();
        assert!(ambiguous.contains("SE-1438 or NO-1438"), "{ambiguous}");
        assert_eq!(
            resolve_code(&code("1438"), &both[..1]).ok().as_deref(),
            Some("1438")
        );
        assert!(resolve_code(&code("NO-1438"), &both[..1]).is_err());
    }

    proptest! {
        #[test]
        fn any_four_digit_code_not_starting_with_00_parses(n in 100u32..10_000) {
            let s = format!("{n:04}");
            prop_assert!(MunicipalityCode::parse(&s).is_ok());
        }
    }
}
