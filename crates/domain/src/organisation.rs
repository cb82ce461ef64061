//! Organisations and their official numbers.

use serde::{Deserialize, Serialize};
use uuid::Uuid;

use crate::DomainError;
use crate::geo::{Country, MunicipalityCode};
use crate::values::{Name, WebUrl};

/// What an organisation is, as far as competence brokering cares.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OrganisationKind {
    Employer,
    EducationProvider,
    PublicAgency,
    EmployerOrganisation,
    EmployeeOrganisation,
    IndustryCluster,
    Ngo,
    Municipality,
}

impl OrganisationKind {
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        serde_plain(raw).ok_or_else(|| {
            DomainError::invalid(
                "",
                "kind must be one of employer, education_provider, public_agency, employer_organisation, employee_organisation, industry_cluster, ngo, municipality",
            )
        })
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Employer => "employer",
            Self::EducationProvider => "education_provider",
            Self::PublicAgency => "public_agency",
            Self::EmployerOrganisation => "employer_organisation",
            Self::EmployeeOrganisation => "employee_organisation",
            Self::IndustryCluster => "industry_cluster",
            Self::Ngo => "ngo",
            Self::Municipality => "municipality",
        }
    }
}

fn serde_plain(raw: &str) -> Option<OrganisationKind> {
    use OrganisationKind::*;
    [
        Employer,
        EducationProvider,
        PublicAgency,
        EmployerOrganisation,
        EmployeeOrganisation,
        IndustryCluster,
        Ngo,
        Municipality,
    ]
    .into_iter()
    .find(|k| k.as_str() == raw.trim())
}

/// An official organisation number: Swedish organisationsnummer (10 digits, Luhn check digit) or
/// Norwegian organisasjonsnummer (9 digits, modulus-11 check digit). Stored without separators.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
pub struct OrgNumber {
    country: Country,
    digits: String,
}

impl OrgNumber {
    /// Parses a number for the given country. Spaces and hyphens are ignored (`556677-8899`).
    /// The error says which rule failed: character set, length, or the check digit.
    pub fn parse(country: Country, raw: &str) -> Result<Self, DomainError> {
        let digits: String = raw.chars().filter(|c| !matches!(c, ' ' | '-')).collect();
        if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
            return Err(DomainError::invalid(
                "",
                "organisation number may contain only digits (and spaces or hyphens)",
            ));
        }
        match country {
            Country::Se => {
                if digits.len() != 10 {
                    return Err(DomainError::invalid(
                        "",
                        format!(
                            "a Swedish organisation number has 10 digits (got {})",
                            digits.len()
                        ),
                    ));
                }
                if !luhn_valid(&digits) {
                    return Err(DomainError::invalid(
                        "",
                        "the Swedish organisation number fails the Luhn check digit",
                    ));
                }
            }
            Country::No => {
                if digits.len() != 9 {
                    return Err(DomainError::invalid(
                        "",
                        format!(
                            "a Norwegian organisation number has 9 digits (got {})",
                            digits.len()
                        ),
                    ));
                }
                if !mod11_valid(&digits) {
                    return Err(DomainError::invalid(
                        "",
                        "the Norwegian organisation number fails the modulus-11 check digit",
                    ));
                }
            }
        }
        Ok(Self { country, digits })
    }

    pub fn country(&self) -> Country {
        self.country
    }

    pub fn digits(&self) -> &str {
        &self.digits
    }

    /// The conventional display form: `NNNNNN-NNNN` in Sweden, `NNN NNN NNN` in Norway.
    pub fn formatted(&self) -> String {
        match self.country {
            Country::Se => format!("{}-{}", &self.digits[..6], &self.digits[6..]),
            Country::No => format!(
                "{} {} {}",
                &self.digits[..3],
                &self.digits[3..6],
                &self.digits[6..]
            ),
        }
    }
}

fn digit_values(digits: &str) -> impl DoubleEndedIterator<Item = u32> + '_ {
    digits.bytes().map(|b| u32::from(b - b'0'))
}

/// Luhn (mod 10) over all digits, the last being the check digit.
pub fn luhn_valid(digits: &str) -> bool {
    let sum: u32 = digit_values(digits)
        .rev()
        .enumerate()
        .map(|(i, d)| {
            if i % 2 == 1 {
                let doubled = d * 2;
                if doubled > 9 { doubled - 9 } else { doubled }
            } else {
                d
            }
        })
        .sum();
    sum.is_multiple_of(10)
}

/// Norwegian modulus 11 with weights 3,2,7,6,5,4,3,2; a remainder giving check 10 is never valid.
pub fn mod11_valid(digits: &str) -> bool {
    const WEIGHTS: [u32; 8] = [3, 2, 7, 6, 5, 4, 3, 2];
    let values: Vec<u32> = digit_values(digits).collect();
    if values.len() != 9 {
        return false;
    }
    let sum: u32 = values.iter().zip(WEIGHTS).map(|(d, w)| d * w).sum();
    let check = match 11 - sum % 11 {
        11 => 0,
        10 => return false,
        c => c,
    };
    values[8] == check
}

/// An organisation taking part in the work.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Organisation {
    pub id: Uuid,
    pub name: Name,
    pub kind: OrganisationKind,
    pub org_number: Option<OrgNumber>,
    pub country: Country,
    pub municipality: Option<MunicipalityCode>,
    pub website: Option<WebUrl>,
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn luhn_check_digit(first_nine: &str) -> u32 {
        (0..10)
            .find(|d| luhn_valid(&format!("{first_nine}{d}")))
            .unwrap_or(99)
    }

    #[test]
    fn fyrbodals_own_number_passes() {
        // Fyrbodals kommunalförbund prints 222000-1776 on its letterhead (seed 004).
        assert!(OrgNumber::parse(Country::Se, "222000-1776").is_ok());
    }

    #[test]
    fn a_known_norwegian_number_passes() {
        // 974760673 is Brønnøysundregistrene's own number.
        assert!(OrgNumber::parse(Country::No, "974 760 673").is_ok());
    }

    #[test]
    fn each_rule_says_what_failed() {
        let msg = |c, s| {
            OrgNumber::parse(c, s)
                .err()
                .map(|e| e.to_string())
                .unwrap_or_default()
        };
        assert!(msg(Country::Se, "22200017").contains("10 digits"));
        assert!(msg(Country::Se, "2220001777").contains("Luhn"));
        assert!(msg(Country::No, "97476067").contains("9 digits"));
        assert!(msg(Country::No, "974760674").contains("modulus-11"));
        assert!(msg(Country::Se, "22200O1776").contains("only digits"));
    }

    #[test]
    fn numbers_are_displayed_the_local_way() {
        let se = OrgNumber::parse(Country::Se, "2220001776").map(|n| n.formatted());
        assert_eq!(se.as_deref(), Ok("222000-1776"));
        let no = OrgNumber::parse(Country::No, "974760673").map(|n| n.formatted());
        assert_eq!(no.as_deref(), Ok("974 760 673"));
    }

    proptest! {
        #[test]
        fn every_swedish_number_with_its_luhn_digit_passes_and_any_other_digit_fails(n in 100_000_000u32..999_999_999) {
            let base = n.to_string();
            let check = luhn_check_digit(&base);
            let good = format!("{base}{check}");
            prop_assert!(OrgNumber::parse(Country::Se, &good).is_ok());
            let bad = format!("{base}{}", (check + 1) % 10);
            prop_assert!(OrgNumber::parse(Country::Se, &bad).is_err());
        }

        #[test]
        fn norwegian_numbers_pass_exactly_when_the_mod11_digit_matches(n in 80_000_000u32..99_999_999) {
            let base = n.to_string();
            let valid: Vec<u32> = (0..10).filter(|d| mod11_valid(&format!("{base}{d}"))).collect();
            // At most one check digit fits; none when the remainder would need a 10.
            prop_assert!(valid.len() <= 1);
            for d in 0..10 {
                let candidate = format!("{base}{d}");
                prop_assert_eq!(OrgNumber::parse(Country::No, &candidate).is_ok(), valid.contains(&d));
            }
        }

        #[test]
        fn a_single_changed_digit_is_always_caught_in_sweden(n in 100_000_000u32..999_999_999, pos in 0usize..10, delta in 1u8..10) {
            let base = n.to_string();
            let good = format!("{base}{}", luhn_check_digit(&base));
            let mut bytes = good.clone().into_bytes();
            bytes[pos] = b'0' + (bytes[pos] - b'0' + delta) % 10;
            let bad = String::from_utf8(bytes).unwrap_or_default();
            prop_assert!(OrgNumber::parse(Country::Se, &bad).is_err());
        }
    }
}
