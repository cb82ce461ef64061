//! Explanations in Swedish, Norwegian bokmål or English, rendered from [`Reason`]s.
//!
//! Suggestions keep their reasons as data ([`super::Evidence::reasons`]), so a stored
//! suggestion can be explained in another language when it is read. Concepts are named by the
//! taxonomy's label in that language, places by municipality name.

use std::collections::HashMap;

use chrono::NaiveDate;
use uuid::Uuid;

use super::{Engine, Lang, MAX_LISTED, NeedProfile, Reason};
use crate::geography::Proximity;

/// Picks the phrase for a language.
fn pick(lang: Lang, sv: &'static str, nb: &'static str, en: &'static str) -> &'static str {
    match lang {
        Lang::Sv => sv,
        Lang::Nb => nb,
        Lang::En => en,
    }
}

fn quoted(words: &[String]) -> String {
    words
        .iter()
        .map(|w| match w.strip_suffix('~') {
            Some(typo) => format!("“{typo}” (≈)"),
            None => format!("“{w}”"),
        })
        .collect::<Vec<_>>()
        .join(", ")
}

impl Engine {
    /// The explanation of `reasons` in `lang` (sentences and concept labels): short
    /// statements joined by "; ".
    #[must_use]
    pub fn explain(&self, reasons: &[Reason], lang: Lang) -> String {
        self.phrases(reasons, lang, lang, &HashMap::new())
    }

    /// The explanation when a suggestion is made: in `lang`, or (`None`) English sentences
    /// naming concepts in the need's language; concepts the taxonomy does not know are named by
    /// `hints`.
    pub(super) fn render(
        &self,
        reasons: &[Reason],
        lang: Option<Lang>,
        profile: &NeedProfile,
        hints: &HashMap<Uuid, String>,
    ) -> String {
        match lang {
            Some(l) => self.phrases(reasons, l, l, hints),
            None => self.phrases(reasons, Lang::En, profile.names_lang, hints),
        }
    }

    fn phrases(
        &self,
        reasons: &[Reason],
        lang: Lang,
        names: Lang,
        hints: &HashMap<Uuid, String>,
    ) -> String {
        reasons
            .iter()
            .map(|r| self.sentence(r, lang, names, hints))
            .collect::<Vec<_>>()
            .join("; ")
    }

    fn concept(&self, c: Uuid, lang: Lang, hints: &HashMap<Uuid, String>) -> String {
        self.taxonomy
            .concept_label(c, lang)
            .map(str::to_owned)
            .or_else(|| hints.get(&c).cloned())
            .unwrap_or_else(|| c.to_string())
    }

    fn names(
        &self,
        ids: &[Uuid],
        lang: Lang,
        label_lang: Lang,
        hints: &HashMap<Uuid, String>,
    ) -> String {
        let mut names: Vec<String> = ids
            .iter()
            .take(MAX_LISTED)
            .map(|&c| self.concept(c, label_lang, hints))
            .collect();
        if ids.len() > MAX_LISTED {
            let more = ids.len() - MAX_LISTED;
            names.push(match lang {
                Lang::Sv => format!("och {more} till"),
                Lang::Nb => format!("og {more} til"),
                Lang::En => format!("and {more} more"),
            });
        }
        names.join(", ")
    }

    fn place(&self, code: &str) -> String {
        self.geography.name_or_code(code).to_owned()
    }

    fn starts(on: NaiveDate, needed_by: Option<NaiveDate>, lang: Lang) -> String {
        match needed_by {
            Some(by) if on <= by => match lang {
                Lang::Sv => format!("startar {on}, före behovsdatumet {by}"),
                Lang::Nb => format!("starter {on}, før behovsdatoen {by}"),
                Lang::En => format!("starts {on}, before the needed-by date {by}"),
            },
            Some(by) => {
                let days = (on - by).num_days();
                match lang {
                    Lang::Sv => format!("startar {on}, {days} dagar efter behovsdatumet {by}"),
                    Lang::Nb => format!("starter {on}, {days} dager etter behovsdatoen {by}"),
                    Lang::En => format!("starts {on}, {days} days after the needed-by date {by}"),
                }
            }
            None => format!("{} {on}", pick(lang, "startar", "starter", "starts")),
        }
    }

    #[expect(
        clippy::too_many_lines,
        reason = "one arm per reason, three languages each"
    )]
    fn sentence(
        &self,
        r: &Reason,
        lang: Lang,
        names: Lang,
        hints: &HashMap<Uuid, String>,
    ) -> String {
        match r {
            Reason::Occupation { occupation } => {
                let name = self
                    .taxonomy
                    .occupation_label(*occupation, names)
                    .map_or_else(|| occupation.to_string(), str::to_owned);
                match lang {
                    Lang::Sv => format!("matchat på yrkets centrala kompetenser ({name})"),
                    Lang::Nb => format!("matchet på yrkets sentrale kompetanser ({name})"),
                    Lang::En => {
                        format!("matched on the occupation's essential competences ({name})")
                    }
                }
            }
            Reason::MustHave { covered, total } => {
                let n = covered.len();
                let mut s = match lang {
                    Lang::Sv => format!("lär ut {n} av {total} obligatoriska kompetenser"),
                    Lang::Nb => format!("lærer bort {n} av {total} obligatoriske kompetanser"),
                    Lang::En => format!("teaches {n} of {total} must-have competences"),
                };
                if !covered.is_empty() {
                    s.push_str(": ");
                    s.push_str(&self.names(covered, lang, names, hints));
                }
                s
            }
            Reason::Missing { concepts } => format!(
                "{}: {}",
                pick(lang, "saknas", "mangler", "missing"),
                self.names(concepts, lang, names, hints)
            ),
            Reason::NiceToHave { covered, total } => {
                let n = covered.len();
                let names = self.names(covered, lang, names, hints);
                match lang {
                    Lang::Sv => format!("täcker också {n} av {total} meriterande: {names}"),
                    Lang::Nb => format!("dekker også {n} av {total} ønskede: {names}"),
                    Lang::En => format!("also covers {n} of {total} nice-to-have: {names}"),
                }
            }
            Reason::LabelWords { label, words } => {
                let words = quoted(words);
                match lang {
                    Lang::Sv => format!("ord ur ”{label}” finns i kursen: {words}"),
                    Lang::Nb => format!("ord fra «{label}» finnes i kurset: {words}"),
                    Lang::En => format!("words of “{label}” found in the course: {words}"),
                }
            }
            Reason::TextOnly { words } => {
                let head = pick(
                    lang,
                    "inga kompetenskrav angivna; matchat på text",
                    "ingen kompetansekrav oppgitt; matchet på tekst",
                    "no competence requirements given; matched on text",
                );
                if words.is_empty() {
                    head.to_owned()
                } else {
                    format!("{head}: {}", quoted(words))
                }
            }
            Reason::Distance => {
                pick(lang, "distanskurs", "nettbasert kurs", "distance course").to_owned()
            }
            Reason::OnSite {
                municipality,
                proximity,
            } => {
                let place = self.place(municipality);
                let (sv, nb, en) = match proximity {
                    Proximity::Same => ("samma kommun", "samme kommune", "the same municipality"),
                    Proximity::Cluster => (
                        "i samma kommunkluster",
                        "i samme kommuneklynge",
                        "in the same cluster",
                    ),
                    Proximity::Region => ("i samma region", "i samme region", "in the same region"),
                    Proximity::Far => {
                        ("utanför regionen", "utenfor regionen", "outside the region")
                    }
                };
                match lang {
                    Lang::Sv => format!("på plats i {place}, {sv}"),
                    Lang::Nb => format!("på stedet i {place}, {nb}"),
                    Lang::En => format!("on site in {place}, {en}"),
                }
            }
            Reason::NoStartYet => pick(
                lang,
                "inget startdatum ännu",
                "ingen oppstartsdato ennå",
                "no scheduled start yet",
            )
            .to_owned(),
            Reason::Starts { on, needed_by } => Self::starts(*on, *needed_by, lang),
            Reason::Seats { seats, headcount } => match (seats, lang) {
                (Some(s), Lang::Sv) => format!("{s} platser för {headcount} personer"),
                (Some(s), Lang::Nb) => format!("{s} plasser for {headcount} personer"),
                (Some(s), Lang::En) => format!("{s} seats for {headcount} people"),
                (None, _) => pick(
                    lang,
                    "antal platser okänt",
                    "antall plasser ukjent",
                    "seats unknown",
                )
                .to_owned(),
            },
            Reason::Level { offered, wanted } => match (offered == wanted, lang) {
                (true, Lang::Sv) => format!("nivå {offered} som önskat"),
                (true, Lang::Nb) => format!("nivå {offered} som ønsket"),
                (true, Lang::En) => format!("level {offered} as wanted"),
                (false, Lang::Sv) => format!("nivå {offered}, önskad {wanted}"),
                (false, Lang::Nb) => format!("nivå {offered}, ønsket {wanted}"),
                (false, Lang::En) => format!("level {offered}, wanted {wanted}"),
            },
            Reason::NoCourseFits => pick(
                lang,
                "ingen kurs passar behovet; en lokal kontaktperson kan ordna en",
                "ingen kurs passer behovet; en lokal kontaktperson kan organisere et tilbud",
                "no course fits this need; a local contact can organise one",
            )
            .to_owned(),
            Reason::ContactCovers { covered, total } => {
                let n = covered.len();
                let names = self.names(covered, lang, names, hints);
                match lang {
                    Lang::Sv => format!("täcker {n} av {total} kompetenser: {names}"),
                    Lang::Nb => format!("dekker {n} av {total} kompetanser: {names}"),
                    Lang::En => format!("covers {n} of {total} competences: {names}"),
                }
            }
            Reason::ContactArea { areas } => format!(
                "{}: {}",
                pick(lang, "område", "område", "area"),
                areas.join(", ")
            ),
            Reason::ContactPlace { proximity } => match proximity {
                None => pick(lang, "hela landet", "hele landet", "nationwide"),
                Some(Proximity::Same) => pick(
                    lang,
                    "täcker behovets kommun",
                    "dekker behovets kommune",
                    "covers the need's municipality",
                ),
                Some(Proximity::Cluster) => pick(
                    lang,
                    "täcker behovets kommunkluster",
                    "dekker behovets kommuneklynge",
                    "covers the need's cluster",
                ),
                Some(Proximity::Region) => pick(
                    lang,
                    "täcker behovets region",
                    "dekker behovets region",
                    "covers the need's region",
                ),
                Some(Proximity::Far) => pick(
                    lang,
                    "arbetar på annat håll",
                    "arbeider andre steder",
                    "works elsewhere",
                ),
            }
            .to_owned(),
            Reason::SharesMust { shared, total } => {
                let n = shared.len();
                let mut s = match lang {
                    Lang::Sv => format!("delar {n} av {total} obligatoriska kompetenser"),
                    Lang::Nb => format!("deler {n} av {total} obligatoriske kompetanser"),
                    Lang::En => format!("shares {n} of {total} must-have competences"),
                };
                if !shared.is_empty() {
                    s.push_str(": ");
                    s.push_str(&self.names(shared, lang, names, hints));
                }
                s
            }
            Reason::SharesAny { shared } => format!(
                "{}: {}",
                pick(
                    lang,
                    "delar kompetenser",
                    "deler kompetanser",
                    "shares competences"
                ),
                self.names(shared, lang, names, hints)
            ),
            Reason::PoolPlace {
                municipality,
                proximity,
            } => {
                let place = self.place(municipality);
                match (proximity, lang) {
                    (Proximity::Cluster, Lang::Sv) => format!("{place} i samma kommunkluster"),
                    (Proximity::Cluster, Lang::Nb) => format!("{place} i samme kommuneklynge"),
                    (Proximity::Cluster, Lang::En) => format!("{place} in the same cluster"),
                    (_, Lang::Sv) => format!("{place} i samma region"),
                    (_, Lang::Nb) => format!("{place} i samme region"),
                    (_, Lang::En) => format!("{place} in the same region"),
                }
            }
            Reason::PoolPeople {
                headcount,
                needed_by,
            } => match (needed_by, lang) {
                (Some(by), Lang::Sv) => format!("{headcount} personer behövs senast {by}"),
                (Some(by), Lang::Nb) => format!("{headcount} personer trengs innen {by}"),
                (Some(by), Lang::En) => format!("{headcount} people needed by {by}"),
                (None, Lang::En) => format!("{headcount} people"),
                (None, _) => format!("{headcount} personer"),
            },
        }
    }
}
