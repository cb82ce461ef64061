//! Small validated values shared by several objects.

use std::fmt;

use serde::{Deserialize, Serialize};

use crate::DomainError;

/// Trimmed text of bounded length, non-empty. `MAX` counts characters, not bytes.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(transparent)]
pub struct BoundedText<const MAX: usize>(String);

impl<const MAX: usize> BoundedText<MAX> {
    /// Trims and checks length; control characters (other than newlines and tabs) are refused.
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let s = raw.trim();
        if s.is_empty() {
            return Err(DomainError::invalid("", "must not be empty"));
        }
        let count = s.chars().count();
        if count > MAX {
            return Err(DomainError::invalid(
                "",
                format!("must be at most {MAX} characters (got {count})"),
            ));
        }
        if s.chars()
            .any(|c| c.is_control() && c != '\n' && c != '\t' && c != '\r')
        {
            return Err(DomainError::invalid(
                "",
                "must not contain control characters",
            ));
        }
        Ok(Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }
}

impl<const MAX: usize> AsRef<str> for BoundedText<MAX> {
    fn as_ref(&self) -> &str {
        &self.0
    }
}

impl<const MAX: usize> fmt::Display for BoundedText<MAX> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A name or title: 1..=200 characters.
pub type Name = BoundedText<200>;
/// A longer free text: 1..=10 000 characters.
pub type LongText = BoundedText<10_000>;
/// A short label (competence label, area): 1..=120 characters.
pub type Label = BoundedText<120>;

/// Optional long text: empty input means "none".
pub fn optional_long_text(raw: Option<&str>) -> Result<Option<LongText>, DomainError> {
    match raw.map(str::trim) {
        None | Some("") => Ok(None),
        Some(s) => LongText::parse(s).map(Some),
    }
}

/// A level on the European Qualifications Framework, 1..=8. Swedish SeQF and Norwegian NKR levels
/// map one-to-one onto it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "u8", into = "u8")]
pub struct EqfLevel(u8);

impl EqfLevel {
    pub fn parse(level: i64) -> Result<Self, DomainError> {
        match u8::try_from(level) {
            Ok(l @ 1..=8) => Ok(Self(l)),
            _ => Err(DomainError::invalid(
                "",
                format!("EQF level must be 1 to 8 (got {level})"),
            )),
        }
    }

    pub fn get(self) -> u8 {
        self.0
    }
}

impl TryFrom<u8> for EqfLevel {
    type Error = DomainError;
    fn try_from(value: u8) -> Result<Self, Self::Error> {
        Self::parse(i64::from(value))
    }
}

impl From<EqfLevel> for u8 {
    fn from(value: EqfLevel) -> Self {
        value.0
    }
}

/// Currencies the two regions use (and EUR for EU-funded offers).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "UPPERCASE")]
pub enum Currency {
    Sek,
    Nok,
    Eur,
}

impl Currency {
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        match raw.trim().to_ascii_uppercase().as_str() {
            "SEK" => Ok(Self::Sek),
            "NOK" => Ok(Self::Nok),
            "EUR" => Ok(Self::Eur),
            _ => Err(DomainError::invalid("", "currency must be SEK, NOK or EUR")),
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Self::Sek => "SEK",
            Self::Nok => "NOK",
            Self::Eur => "EUR",
        }
    }
}

/// An amount of money in minor units (öre, øre, cent); never a float.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Money {
    pub minor: i64,
    pub currency: Currency,
}

impl Money {
    /// A non-negative amount.
    pub fn parse(minor: i64, currency: &str) -> Result<Self, DomainError> {
        if minor < 0 {
            return Err(DomainError::invalid("", "amount must not be negative"));
        }
        Ok(Self {
            minor,
            currency: Currency::parse(currency)?,
        })
    }
}

/// A language the service speaks: Swedish, Norwegian Bokmål, English.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Lang {
    Sv,
    Nb,
    En,
}

impl Lang {
    pub const ALL: [Lang; 3] = [Lang::Sv, Lang::Nb, Lang::En];

    /// Accepts `sv`, `nb`, `no` (ESCO's code for Norwegian) and `en`, any case.
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        match raw.trim().to_ascii_lowercase().as_str() {
            "sv" | "sv-se" => Ok(Self::Sv),
            "nb" | "no" | "nb-no" | "nn" => Ok(Self::Nb),
            "en" | "en-gb" | "en-us" => Ok(Self::En),
            _ => Err(DomainError::invalid(
                "",
                "language must be sv, nb (or no) or en",
            )),
        }
    }

    pub fn code(self) -> &'static str {
        match self {
            Self::Sv => "sv",
            Self::Nb => "nb",
            Self::En => "en",
        }
    }
}

/// An e-mail address, checked for shape only (one `@`, a dot in the domain, no spaces).
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct Email(String);

impl Email {
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let s = raw.trim();
        let valid = s.len() <= 254
            && !s.chars().any(char::is_whitespace)
            && match s.split_once('@') {
                Some((local, domain)) => {
                    !local.is_empty()
                        && domain.contains('.')
                        && !domain.starts_with('.')
                        && !domain.ends_with('.')
                        && !domain.contains('@')
                }
                None => false,
            };
        if valid {
            Ok(Self(s.to_ascii_lowercase()))
        } else {
            Err(DomainError::invalid("", "not an e-mail address"))
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// An absolute `http(s)` URL.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize)]
#[serde(transparent)]
pub struct WebUrl(String);

impl WebUrl {
    pub fn parse(raw: &str) -> Result<Self, DomainError> {
        let s = raw.trim();
        let rest = s
            .strip_prefix("https://")
            .or_else(|| s.strip_prefix("http://"));
        match rest {
            Some(host)
                if !host.is_empty()
                    && !host.starts_with('/')
                    && !s.chars().any(char::is_whitespace)
                    && s.len() <= 2000 =>
            {
                Ok(Self(s.to_owned()))
            }
            _ => Err(DomainError::invalid(
                "",
                "must be an absolute http or https URL",
            )),
        }
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// A positive head count (how many people need a competence), 1..=10 000.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "u32", into = "u32")]
pub struct Headcount(u32);

impl Headcount {
    pub fn parse(n: i64) -> Result<Self, DomainError> {
        match u32::try_from(n) {
            Ok(v @ 1..=10_000) => Ok(Self(v)),
            _ => Err(DomainError::invalid(
                "",
                format!("must be between 1 and 10000 (got {n})"),
            )),
        }
    }

    pub fn get(self) -> u32 {
        self.0
    }
}

impl TryFrom<u32> for Headcount {
    type Error = DomainError;
    fn try_from(value: u32) -> Result<Self, Self::Error> {
        Self::parse(i64::from(value))
    }
}

impl From<Headcount> for u32 {
    fn from(value: Headcount) -> Self {
        value.0
    }
}

/// Study pace as a percentage of full time, 1..=100.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "u8", into = "u8")]
pub struct Pace(u8);

impl Pace {
    pub const FULL_TIME: Pace = Pace(100);

    pub fn parse(percent: i64) -> Result<Self, DomainError> {
        match u8::try_from(percent) {
            Ok(p @ 1..=100) => Ok(Self(p)),
            _ => Err(DomainError::invalid(
                "",
                format!("pace must be 1 to 100 percent (got {percent})"),
            )),
        }
    }

    pub fn percent(self) -> u8 {
        self.0
    }

    pub fn is_part_time(self) -> bool {
        self.0 < 100
    }
}

impl TryFrom<u8> for Pace {
    type Error = DomainError;
    fn try_from(value: u8) -> Result<Self, Self::Error> {
        Self::parse(i64::from(value))
    }
}

impl From<Pace> for u8 {
    fn from(value: Pace) -> Self {
        value.0
    }
}

/// A time period with an inclusive start and optional end (group terms, forum periods).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Period {
    pub start: chrono::NaiveDate,
    pub end: Option<chrono::NaiveDate>,
}

impl Period {
    pub fn parse(
        start: chrono::NaiveDate,
        end: Option<chrono::NaiveDate>,
    ) -> Result<Self, DomainError> {
        if let Some(end) = end
            && end < start
        {
            return Err(DomainError::invalid(
                "period.end",
                "must not be before the start",
            ));
        }
        Ok(Self { start, end })
    }

    /// Whether `day` falls inside the period.
    pub fn contains(&self, day: chrono::NaiveDate) -> bool {
        day >= self.start && self.end.is_none_or(|end| day <= end)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn bounded_text_is_trimmed_and_refuses_empty() {
        assert_eq!(
            Name::parse("  Svets  ").map(|n| n.into_inner()),
            Ok("Svets".to_owned())
        );
        assert!(Name::parse("   ").is_err());
    }

    #[test]
    fn bounded_text_counts_characters_not_bytes() {
        let sixty_a_ring = "å".repeat(120);
        assert!(Label::parse(&sixty_a_ring).is_ok());
        assert!(Label::parse(&"å".repeat(121)).is_err());
    }

    #[test]
    fn languages_accept_escos_norwegian_code() {
        assert_eq!(Lang::parse("no"), Ok(Lang::Nb));
        assert_eq!(Lang::parse("NB"), Ok(Lang::Nb));
        assert!(Lang::parse("de").is_err());
    }

    #[test]
    fn money_refuses_negative_amounts_and_unknown_currencies() {
        assert!(Money::parse(-1, "SEK").is_err());
        assert!(Money::parse(100, "DKK").is_err());
        assert_eq!(
            Money::parse(12_500, "nok").map(|m| m.currency),
            Ok(Currency::Nok)
        );
    }

    #[test]
    fn emails_and_urls_are_checked_for_shape() {
        assert!(Email::parse("anna@example.se").is_ok());
        assert!(Email::parse("anna@example").is_err());
        assert!(Email::parse("an na@example.se").is_err());
        assert!(WebUrl::parse("https://example.se/kurs").is_ok());
        assert!(WebUrl::parse("javascript:alert(1)").is_err());
    }

    #[test]
    fn a_period_cannot_end_before_it_starts() {
        let d = |s: &str| s.parse::<chrono::NaiveDate>().unwrap_or_default();
        assert!(Period::parse(d("2027-01-01"), Some(d("2026-12-31"))).is_err());
        assert!(Period::parse(d("2027-01-01"), Some(d("2027-01-01"))).is_ok());
    }

    proptest! {
        #[test]
        fn eqf_levels_exist_only_from_one_to_eight(n in -100i64..100) {
            prop_assert_eq!(EqfLevel::parse(n).is_ok(), (1..=8).contains(&n));
        }

        #[test]
        fn headcounts_are_positive_and_bounded(n in -10i64..20_000) {
            prop_assert_eq!(Headcount::parse(n).is_ok(), (1..=10_000).contains(&n));
        }
    }
}
