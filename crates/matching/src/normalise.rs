//! Text normalisation shared by taxonomy resolution, free-text parsing and scoring.
//!
//! Pipeline for one word: NFKC, lowercase, stop-word check on the folded form, Snowball stemming
//! of the lowercased word (the stemmers expect the real letters å/ä/ö/æ/ø), then folding of the
//! stem. Folding maps å/ä/æ to `a`, ö/ø to `o`, strips other diacritics (é → e) and turns
//! everything that is not a letter or digit into a word break, so "Svetsning", "svetsning" and
//! "SVETSNING" and the Norwegian "sveising" all end up in the same lowercase ASCII-ish space.

use std::borrow::Cow;
use std::collections::HashSet;
use std::sync::LazyLock;

use rust_stemmers::{Algorithm, Stemmer};
use unicode_normalization::UnicodeNormalization;
use unicode_normalization::char::is_combining_mark;

use crate::Lang;

/// Folds text for comparison: NFKC, lowercase, å/ä/æ → a, ö/ø → o, other diacritics stripped,
/// punctuation and symbols to spaces, whitespace collapsed and trimmed.
///
/// ```
/// use broker_matching::normalise::fold;
/// assert_eq!(fold("  Svetsning – MIG/MAG, Ærlig Ørn  "), "svetsning mig mag arlig orn");
/// ```
#[must_use]
pub fn fold(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut pending_space = false;
    for c in text.nfkc().flat_map(char::to_lowercase) {
        if c.is_alphanumeric() {
            let before = out.len();
            if pending_space && !out.is_empty() {
                out.push(' ');
            }
            let mark = out.len();
            push_folded_char(c, &mut out);
            if out.len() == mark {
                // The letter folded to nothing (an alphabetic combining sign): no word started.
                out.truncate(before);
            } else {
                pending_space = false;
            }
        } else if is_combining_mark(c) {
            // A stray combining mark after NFKC: drop it (it decorates the previous letter).
        } else {
            pending_space = true;
        }
    }
    out
}

/// Folds a single word that is already lowercase and alphanumeric (the hot path of the indexer).
fn fold_word(word: &str) -> Cow<'_, str> {
    if word.is_ascii() {
        return Cow::Borrowed(word);
    }
    let mut out = String::with_capacity(word.len());
    for c in word.chars() {
        if c.is_alphanumeric() {
            push_folded_char(c, &mut out);
        }
    }
    Cow::Owned(out)
}

fn push_folded_char(c: char, out: &mut String) {
    match c {
        'å' | 'ä' | 'æ' => out.push('a'),
        'ö' | 'ø' => out.push('o'),
        c if c.is_ascii() => out.push(c),
        c => {
            // Decomposed letters can reveal æ/ø ("ǽ" is æ + acute): fold those too, so that
            // folding is idempotent.
            for d in std::iter::once(c).nfd() {
                match d {
                    'æ' => out.push('a'),
                    'ø' => out.push('o'),
                    d if is_combining_mark(d) => {}
                    d => out.push(d),
                }
            }
        }
    }
}

/// Splits text into words: maximal runs of letters, digits and combining marks. Returns byte
/// ranges into the input, so callers can report offsets.
pub fn word_spans(text: &str) -> impl Iterator<Item = (usize, usize)> + '_ {
    let mut chars = text.char_indices().peekable();
    std::iter::from_fn(move || {
        // Skip separators.
        let start = loop {
            let (i, c) = *chars.peek()?;
            if is_word_char(c) {
                break i;
            }
            chars.next();
        };
        let mut end = start;
        while let Some(&(i, c)) = chars.peek() {
            if is_word_char(c) || (!c.is_ascii() && is_combining_mark(c)) {
                end = i + c.len_utf8();
                chars.next();
            } else {
                break;
            }
        }
        Some((start, end))
    })
}

#[inline]
fn is_word_char(c: char) -> bool {
    if c.is_ascii() {
        c.is_ascii_alphanumeric()
    } else {
        c.is_alphanumeric()
    }
}

/// Lowercases one word after NFKC (ASCII fast path).
fn lower_word(word: &str) -> Cow<'_, str> {
    if word
        .bytes()
        .all(|b| b.is_ascii_lowercase() || b.is_ascii_digit())
    {
        Cow::Borrowed(word)
    } else if word.is_ascii() {
        Cow::Owned(word.to_ascii_lowercase())
    } else {
        Cow::Owned(word.nfkc().flat_map(char::to_lowercase).collect())
    }
}

const STOP_SV: &[&str] = &[
    "och", "i", "att", "det", "som", "en", "pa", "ar", "av", "for", "med", "till", "den", "har",
    "de", "inte", "om", "ett", "han", "men", "var", "jag", "sig", "fran", "vi", "sa", "kan", "nar",
    "hon", "under", "ocksa", "efter", "eller", "nu", "sin", "dar", "vid", "mot", "ska", "skall",
    "skulle", "kommer", "ut", "far", "finns", "vara", "hade", "alla", "andra", "mycket", "an",
    "har", "da", "sedan", "over", "bara", "in", "blir", "upp", "aven", "vad", "vill", "ha", "hur",
    "mer", "detta", "hans", "utan", "sina", "nagot", "inom", "oss", "dig", "vara", "var", "ni",
    "dem", "deras", "ingen", "inga", "samt", "dess", "denna", "dessa", "vilka", "vilken",
];
const STOP_NB: &[&str] = &[
    "og", "i", "jeg", "det", "at", "en", "et", "den", "til", "er", "som", "pa", "de", "med", "han",
    "av", "ikke", "der", "sa", "var", "meg", "seg", "men", "ett", "har", "om", "vi", "min", "mitt",
    "ha", "hadde", "hun", "na", "over", "da", "ved", "fra", "du", "ut", "sin", "dem", "oss", "opp",
    "kan", "hans", "hvor", "eller", "hva", "skal", "her", "alle", "vil", "bli", "ble", "blitt",
    "kunne", "inn", "nar", "vare", "noen", "noe", "ville", "dere", "deres", "kun", "etter", "ned",
    "skulle", "denne", "for", "deg", "sine", "sitt", "mot", "a", "dette", "disse", "uten",
    "hvordan", "ingen", "blir", "samme", "hvilken", "hvilke", "mellom", "hver", "hvem", "hvis",
    "bade", "bare", "enn", "fordi", "for", "mange", "ogsa", "slik", "vart", "begge", "siden",
    "innen", "gjennom",
];
const STOP_EN: &[&str] = &[
    "a", "an", "the", "and", "or", "of", "in", "on", "at", "to", "for", "with", "by", "from", "as",
    "is", "are", "was", "were", "be", "been", "it", "its", "this", "that", "these", "those", "we",
    "you", "i", "he", "she", "they", "our", "your", "their", "not", "no", "but", "if", "into",
    "about", "than", "then", "so", "such", "can", "will", "shall", "may", "must", "should",
    "would", "could", "has", "have", "had", "do", "does", "did", "all", "any", "some", "other",
    "up", "out", "also", "via", "per", "etc", "who", "which", "what", "when", "where", "how",
];

/// Requirement phrasing in Swedish, Norwegian and English (folded); see
/// [`is_requirement_phrasing`].
const PHRASING_SV: &[&str] = &[
    "kunna",
    "kunskap",
    "kunskaper",
    "kannedom",
    "erfarenhet",
    "erfarenheter",
    "erfaren",
    "van",
    "vana",
    "god",
    "goda",
    "gott",
    "bra",
    "koll",
    "beharska",
    "beharskar",
    "formaga",
    "jobba",
    "arbeta",
    "kunnig",
    "duktig",
    "behover",
    "behov",
    "sokes",
    "kravs",
    "onskas",
    "meriterande",
    "kurs",
    "kurser",
    "utbildning",
    "utbildningar",
];

const PHRASING_NB: &[&str] = &[
    "kunne",
    "kunnskap",
    "kunnskaper",
    "kjennskap",
    "erfaring",
    "vant",
    "gode",
    "godt",
    "beherske",
    "behersker",
    "evne",
    "jobbe",
    "arbeide",
    "dyktig",
    "trenger",
    "kreves",
    "onskes",
    "kurset",
    "opplaring",
];

const PHRASING_EN: &[&str] = &[
    "knowledge",
    "experience",
    "experienced",
    "skills",
    "skill",
    "ability",
    "able",
    "good",
    "familiarity",
    "familiar",
    "proficiency",
    "proficient",
    "know",
    "knows",
    "required",
    "course",
    "courses",
];

/// Whether a folded word only says how a requirement is phrased ("kunna", "goda kunskaper i",
/// "erfarenhet av", "experience with", "kurs i"), not what it is. Requirement labels and taxonomy
/// lookups leave such words out, so "kunna engelska" asks for English; level words
/// ("grundläggande", "basic") stay, they say what is asked.
#[must_use]
pub fn is_requirement_phrasing(folded: &str) -> bool {
    [PHRASING_SV, PHRASING_NB, PHRASING_EN]
        .iter()
        .any(|list| list.contains(&folded))
}

fn stop_list(lang: Lang) -> &'static [&'static str] {
    match lang {
        Lang::Sv => STOP_SV,
        Lang::Nb => STOP_NB,
        Lang::En => STOP_EN,
    }
}

/// Stop-word sets: one per language (in [`Lang::ALL`] order) and their union.
static STOP_SETS: LazyLock<([HashSet<&'static str>; 3], HashSet<&'static str>)> =
    LazyLock::new(|| {
        let per = Lang::ALL.map(|l| stop_list(l).iter().copied().collect::<HashSet<_>>());
        let union = Lang::ALL
            .iter()
            .flat_map(|l| stop_list(*l).iter().copied())
            .collect();
        (per, union)
    });

const fn lang_index(lang: Lang) -> usize {
    match lang {
        Lang::Sv => 0,
        Lang::Nb => 1,
        Lang::En => 2,
    }
}

/// Whether a folded word is a stop word in `lang`, or in any supported language when `None`.
#[must_use]
pub fn is_stop_word(folded: &str, lang: Option<Lang>) -> bool {
    if folded.len() > 7 {
        return false;
    }
    let sets = &*STOP_SETS;
    match lang {
        Some(l) => sets.0[lang_index(l)].contains(folded),
        None => sets.1.contains(folded),
    }
}

fn stemmer(lang: Lang) -> Stemmer {
    Stemmer::create(match lang {
        Lang::Sv => Algorithm::Swedish,
        Lang::Nb => Algorithm::Norwegian,
        Lang::En => Algorithm::English,
    })
}

/// Stems one word (any case) in `lang` and returns the folded stem.
#[must_use]
pub fn stem_word(word: &str, lang: Lang) -> String {
    let lower = lower_word(word);
    let stemmer = stemmer(lang);
    let stemmed = stemmer.stem(&lower);
    fold_word(&stemmed).into_owned()
}

/// A word of the input with its folded and stemmed forms.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Token {
    /// Byte offset of the word's first byte in the input.
    pub start: usize,
    /// Byte offset one past the word's last byte.
    pub end: usize,
    /// The folded word.
    pub folded: String,
    /// Whether the folded word is a stop word (in the union of the supported languages).
    pub stop: bool,
}

/// Splits text into [`Token`]s with byte offsets (stop words are kept but flagged).
#[must_use]
pub fn tokens(text: &str) -> Vec<Token> {
    word_spans(text)
        .map(|(start, end)| {
            let lower = lower_word(&text[start..end]);
            let folded = fold_word(&lower).into_owned();
            let stop = is_stop_word(&folded, None);
            Token {
                start,
                end,
                folded,
                stop,
            }
        })
        .collect()
}

/// Stemmed, folded tokens of `text` with stop words removed.
///
/// With `Some(lang)` the stop words and stemmer of that language are used. With `None` the
/// language is guessed by [`detect_lang`] (falling back to Swedish, the primary market) and the
/// stop words of all supported languages are removed.
#[must_use]
pub fn normalise(text: &str, lang: Option<Lang>) -> Vec<String> {
    let stem_lang = lang.or_else(|| detect_lang(text)).unwrap_or(Lang::Sv);
    let stemmer = stemmer(stem_lang);
    let mut out = Vec::new();
    for (start, end) in word_spans(text) {
        let lower = lower_word(&text[start..end]);
        let folded = fold_word(&lower);
        if folded.is_empty() || is_stop_word(&folded, lang) {
            continue;
        }
        let stemmed = stemmer.stem(&lower);
        let stem = fold_word(&stemmed);
        if !stem.is_empty() {
            out.push(stem.into_owned());
        }
    }
    out
}

/// Index terms of a text: stemmed (in `lang`), folded words with the stop words of every
/// supported language removed. Used for phrase keys, text similarity and the inverted indexes.
#[must_use]
pub fn index_terms(text: &str, lang: Lang) -> Vec<String> {
    let stemmer = stemmer(lang);
    let mut out = Vec::new();
    for (start, end) in word_spans(text) {
        let lower = lower_word(&text[start..end]);
        let folded = fold_word(&lower);
        if folded.is_empty() || is_stop_word(&folded, None) {
            continue;
        }
        let stemmed = stemmer.stem(&lower);
        let stem = fold_word(&stemmed);
        if !stem.is_empty() {
            out.push(stem.into_owned());
        }
    }
    out
}

/// The index term of one word in `lang`: `None` for stop words and empty words.
#[must_use]
pub fn index_term(word: &str, lang: Lang) -> Option<String> {
    let lower = lower_word(word);
    let folded = fold_word(&lower);
    if folded.is_empty() || is_stop_word(&folded, None) {
        return None;
    }
    let stemmed = stemmer(lang).stem(&lower);
    let stem = fold_word(&stemmed);
    (!stem.is_empty()).then(|| stem.into_owned())
}

/// Stemmed key of a phrase for exact phrase lookup: [`index_terms`] joined by single spaces (so
/// keys of labels and of free text agree).
#[must_use]
pub fn phrase_key(text: &str, lang: Lang) -> String {
    index_terms(text, lang).join(" ")
}

/// Guesses the language of a text from language-specific letters and stop words. Returns `None`
/// when there is no evidence (short titles such as "MIG/MAG welding").
#[must_use]
pub fn detect_lang(text: &str) -> Option<Lang> {
    // Scores: sv, nb, en.
    let mut score = [0i32; 3];
    if !text.is_ascii() {
        for c in text.chars() {
            match c {
                'ä' | 'ö' | 'Ä' | 'Ö' => score[0] += 2,
                'æ' | 'ø' | 'Æ' | 'Ø' => score[1] += 2,
                _ => {}
            }
        }
    }
    let (per, union) = &*STOP_SETS;
    for (start, end) in word_spans(text) {
        // Stop words are short: skip long words without lowercasing them.
        if end - start > 10 {
            continue;
        }
        let lower = lower_word(&text[start..end]);
        let folded = fold_word(&lower);
        if union.contains(folded.as_ref()) {
            for (i, set) in per.iter().enumerate() {
                if set.contains(folded.as_ref()) {
                    score[i] += 1;
                }
            }
        }
    }
    let best = (0..3).max_by_key(|&i| (score[i], std::cmp::Reverse(i)))?;
    let best_score = score[best];
    let runner_up = (0..3)
        .filter(|&i| i != best)
        .map(|i| score[i])
        .max()
        .unwrap_or(0);
    if best_score == 0 || best_score == runner_up {
        return None;
    }
    Some([Lang::Sv, Lang::Nb, Lang::En][best])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fold_maps_nordic_letters() {
        assert_eq!(fold("Åsa Ärlig Æble"), "asa arlig able");
        assert_eq!(fold("Öl ØL"), "ol ol");
        assert_eq!(fold("Café  Ü-båt!"), "cafe u bat");
        assert_eq!(fold(""), "");
        assert_eq!(fold("  --  "), "");
    }

    #[test]
    fn fold_handles_decomposed_input_and_compatibility_forms() {
        // "å" as a + combining ring, fullwidth letters, ligature.
        assert_eq!(fold("a\u{30A}r"), "ar");
        assert_eq!(fold("ＣＮＣ"), "cnc");
        assert_eq!(fold("ﬁle"), "file");
    }

    #[test]
    fn word_spans_are_byte_offsets() {
        let text = "Svetsa på båt, MIG/MAG.";
        let words: Vec<&str> = word_spans(text).map(|(s, e)| &text[s..e]).collect();
        assert_eq!(words, ["Svetsa", "på", "båt", "MIG", "MAG"]);
    }

    #[test]
    fn normalise_swedish() {
        assert_eq!(
            normalise("Svetsning och svetsningen", Some(Lang::Sv)),
            ["svetsning", "svetsning"]
        );
        assert_eq!(
            normalise("Truckkörning för lagret", Some(Lang::Sv)),
            ["truckkorning", "lagret"]
        );
    }

    #[test]
    fn normalise_norwegian() {
        let n = normalise("Sveising og sveiser i Bergen", Some(Lang::Nb));
        assert_eq!(n[0], "sveising");
        assert!(!n.contains(&"og".to_owned()));
        assert_eq!(n.len(), 3);
    }

    #[test]
    fn normalise_english() {
        assert_eq!(
            normalise("Welding and the welders", Some(Lang::En)),
            ["weld", "welder"]
        );
        assert_eq!(
            normalise("Reading blueprints", Some(Lang::En)),
            ["read", "blueprint"]
        );
    }

    #[test]
    fn normalise_unknown_language_removes_all_stop_words() {
        let n = normalise("svetsning och welding and sveising og", None);
        assert_eq!(n.len(), 3);
    }

    #[test]
    fn detect_lang_guesses() {
        assert_eq!(
            detect_lang("Vi söker en svetsare till vår verkstad"),
            Some(Lang::Sv)
        );
        assert_eq!(
            detect_lang("Vi søker en sveiser til vårt verksted og"),
            Some(Lang::Nb)
        );
        assert_eq!(
            detect_lang("We need a welder for the workshop"),
            Some(Lang::En)
        );
        assert_eq!(detect_lang("CNC 5-axlig"), None);
    }

    #[test]
    fn phrase_key_drops_stop_words() {
        assert_eq!(
            phrase_key("reading of blueprints", Lang::En),
            "read blueprint"
        );
        assert_eq!(phrase_key("Läsa ritningar", Lang::Sv), "las ritning");
    }

    proptest::proptest! {
        #[test]
        fn fold_is_idempotent_and_clean(text in "\\PC{0,40}") {
            let once = fold(&text);
            proptest::prop_assert_eq!(fold(&once), once.clone());
            proptest::prop_assert!(!once.starts_with(' ') && !once.ends_with(' ') && !once.contains("  "));
            proptest::prop_assert!(!once.chars().any(|c| matches!(c, 'å' | 'ä' | 'æ' | 'ö' | 'ø' | 'Å' | 'Ä' | 'Æ' | 'Ö' | 'Ø')));
            proptest::prop_assert!(once.chars().all(|c| c == ' ' || c.is_alphanumeric()));
        }

        #[test]
        fn tokens_slice_the_input(text in "[a-zåäöæøA-Z0-9 ,./-]{0,60}") {
            for t in tokens(&text) {
                proptest::prop_assert!(text.is_char_boundary(t.start) && text.is_char_boundary(t.end));
                proptest::prop_assert_eq!(fold(&text[t.start..t.end]), t.folded);
            }
        }
    }
}
