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
        if let Some(problem) = text_input_problem(s) {
            return Err(DomainError::invalid("", problem));
        }
        if let Some(c) = s.chars().find(|c| is_bidi_control(*c)) {
            return Err(DomainError::invalid(
                "",
                format!(
                    "must not contain bidirectional override characters (found U+{:04X})",
                    u32::from(c)
                ),
            ));
        }
        if s.chars().all(|c| c.is_whitespace() || is_invisible(c)) {
            return Err(DomainError::invalid(
                "",
                "must contain visible characters, not only invisible ones",
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

/// Why a string from a request cannot be accepted as text, if it cannot: control characters
/// (C0 other than tab, newline and carriage return; DEL; C1) have no place in any field, and NUL
/// in particular cannot be stored by PostgreSQL, so both engines refuse them alike.
pub fn text_input_problem(s: &str) -> Option<String> {
    s.chars()
        .find(|&c| c.is_control() && !matches!(c, '\n' | '\t' | '\r'))
        .map(|c| {
            format!(
                "must not contain control characters (found U+{:04X})",
                u32::from(c)
            )
        })
}

/// Earliest and latest year a calendar date in a request may have. Dates far outside it are
/// typing errors or probes (`9999-12-31`, `+10000-01-01`), and some engines cannot store them.
pub const EARLIEST_YEAR: i32 = 1900;
pub const LATEST_YEAR: i32 = 2199;

/// Why a string written as a calendar date (`YYYY-MM-DD`, optionally signed or with more year
/// digits) is out of range, if it is. Other strings are not dates and pass.
pub fn date_text_problem(s: &str) -> Option<String> {
    let unsigned = s.strip_prefix(['+', '-']).unwrap_or(s);
    let mut parts = unsigned.split('-');
    let (Some(year), Some(month), Some(day), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return None;
    };
    let digits = |p: &str, n: std::ops::RangeInclusive<usize>| {
        n.contains(&p.len()) && p.bytes().all(|b| b.is_ascii_digit())
    };
    if !(digits(year, 4..=9) && digits(month, 2..=2) && digits(day, 2..=2)) {
        return None;
    }
    let in_range = unsigned.len() == s.len()
        && year
            .parse::<i32>()
            .is_ok_and(|y| (EARLIEST_YEAR..=LATEST_YEAR).contains(&y));
    (!in_range).then(|| format!("dates must fall in the years {EARLIEST_YEAR} to {LATEST_YEAR}"))
}

/// Characters that reorder how text is displayed (embeddings, overrides, isolates): in a name or
/// title they disguise what the text says (a file name that reads backwards, a spoofed sender).
fn is_bidi_control(c: char) -> bool {
    matches!(c, '\u{202A}'..='\u{202E}' | '\u{2066}'..='\u{2069}')
}

/// Characters that render as nothing: zero-width spaces and joiners, word joiner, byte-order
/// mark, soft hyphen, direction marks.
fn is_invisible(c: char) -> bool {
    matches!(
        c,
        '\u{00AD}' | '\u{200B}'..='\u{200F}' | '\u{2060}'..='\u{2064}' | '\u{FEFF}' | '\u{180E}'
    ) || is_bidi_control(c)
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
    fn bounded_text_refuses_disguised_and_invisible_text() {
        assert!(Name::parse("Svetsare\u{202E}fdp.exe").is_err());
        assert!(Name::parse("\u{2067}Svets\u{2069}").is_err());
        assert!(Name::parse("\u{200B}\u{200B}\u{200B}").is_err());
        assert!(Name::parse("\u{FEFF} \u{00AD}").is_err());
        assert!(Name::parse("Svets\u{0000}are").is_err());
        assert!(Name::parse("Svets\u{0085}are").is_err());
        // Visible text with a joiner inside (as in emoji or Indic scripts) is fine.
        assert!(Name::parse("Kock \u{200D}👩‍🍳").is_ok());
        assert!(LongText::parse("rad ett\nrad två\tmed tabb").is_ok());
    }

    #[test]
    fn text_input_refuses_control_characters_but_keeps_line_breaks() {
        assert!(text_input_problem("a\u{0}b").is_some_and(|p| p.contains("U+0000")));
        assert!(text_input_problem("a\u{7F}b").is_some());
        assert!(text_input_problem("a\u{9B}b").is_some());
        assert_eq!(text_input_problem("rad\r\nrad\tå"), None);
    }

    #[test]
    fn dates_outside_the_sane_range_are_refused() {
        for bad in [
            "9999-12-31",
            "+10000-01-01",
            "-0001-01-01",
            "0001-01-01",
            "1899-12-31",
            "+2026-01-01",
        ] {
            assert!(date_text_problem(bad).is_some(), "{bad}");
        }
        for fine in [
            "2026-11-28",
            "1900-01-01",
            "2199-12-31",
            "Svets 2026",
            "2026-11",
            "12-12-12",
            "2026-1-01",
        ] {
            assert_eq!(date_text_problem(fine), None, "{fine}");
        }
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
