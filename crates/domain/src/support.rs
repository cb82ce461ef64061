//! Regional support tools a broker points to from a need or an offer (Fyrbodal, seed 004): labour-
//! market statistics (REKAS), study and career guidance (SYV Online), validation of prior learning
//! (Validering Väst), or another tool named in a note. Each reference is a typed link.

use serde::Serialize;

use crate::error::Validator;
use crate::values::{BoundedText, WebUrl};
use crate::{DomainError, string_enum};

string_enum! {
    /// Which support tool a link points to.
    pub enum SupportTool {
        /// Regional labour-market statistics.
        Rekas = "rekas",
        /// Study and career guidance.
        SyvOnline = "syv_online",
        /// Validation of prior learning.
        ValideringVast = "validering_vast",
        /// Any other tool; the link's note says which.
        Other = "other",
    }
}

/// A short note on a support-tool link: 1..=500 characters.
pub type SupportNote = BoundedText<500>;

/// At most this many support-tool links per need or offer.
pub const MAX_SUPPORT_TOOL_LINKS: usize = 10;

/// A typed reference to a support tool, with an optional deep link and a note
/// (e.g. "validation against the nursing assistant programme is included").
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct SupportToolLink {
    pub tool: SupportTool,
    pub url: Option<WebUrl>,
    pub note: Option<SupportNote>,
}

/// Raw input for one link.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct SupportToolLinkDraft {
    pub tool: String,
    pub url: Option<String>,
    pub note: Option<String>,
}

impl SupportToolLink {
    /// A link naming only the tool (what older clients send as a bare string).
    pub fn bare(tool: SupportTool) -> Self {
        Self {
            tool,
            url: None,
            note: None,
        }
    }

    pub fn parse(raw: &SupportToolLinkDraft) -> Result<Self, DomainError> {
        let mut v = Validator::new();
        let tool = v.check("tool", SupportTool::parse(&raw.tool));
        let url = v.check(
            "url",
            raw.url
                .as_deref()
                .filter(|u| !u.trim().is_empty())
                .map(WebUrl::parse)
                .transpose(),
        );
        let note = v.check(
            "note",
            raw.note
                .as_deref()
                .filter(|n| !n.trim().is_empty())
                .map(SupportNote::parse)
                .transpose(),
        );
        if tool == Some(SupportTool::Other) && note.as_ref().is_some_and(Option::is_none) {
            v.fail(
                "note",
                "an `other` support tool needs a note saying what it is",
            );
        }
        v.finish()?;
        match (tool, url, note) {
            (Some(tool), Some(url), Some(note)) => Ok(Self { tool, url, note }),
            _ => Err(DomainError::invalid("", "invalid support tool link")),
        }
    }
}

/// Validates a whole list: bare tool names (the older form) and full links together. Bare names
/// whose tool already has a full link are dropped; exact duplicates are removed; order is kept.
pub fn parse_links(
    bare: &[String],
    links: &[SupportToolLinkDraft],
) -> Result<Vec<SupportToolLink>, DomainError> {
    let mut v = Validator::new();
    let mut out: Vec<SupportToolLink> = Vec::new();
    for (i, raw) in links.iter().enumerate() {
        if let Some(link) = v.check(
            &format!("support_tool_links[{i}]"),
            SupportToolLink::parse(raw),
        ) && !out.contains(&link)
        {
            out.push(link);
        }
    }
    for (i, raw) in bare.iter().enumerate() {
        let Some(tool) = v.check(&format!("support_tools[{i}]"), SupportTool::parse(raw)) else {
            continue;
        };
        if tool == SupportTool::Other {
            v.fail(
                format!("support_tools[{i}]"),
                "name an `other` tool through support_tool_links with a note",
            );
        } else if !out.iter().any(|l| l.tool == tool) {
            out.push(SupportToolLink::bare(tool));
        }
    }
    if out.len() > MAX_SUPPORT_TOOL_LINKS {
        v.fail(
            "support_tool_links",
            format!("at most {MAX_SUPPORT_TOOL_LINKS} support tools"),
        );
    }
    v.finish().map(|()| out)
}

/// The distinct tools of a list of links, in first-seen order (the older string form).
pub fn tools_of(links: &[SupportToolLink]) -> Vec<SupportTool> {
    let mut tools = Vec::new();
    for l in links {
        if !tools.contains(&l.tool) {
            tools.push(l.tool);
        }
    }
    tools
}

#[cfg(test)]
mod tests {
    use super::*;

    fn link(tool: &str, url: Option<&str>, note: Option<&str>) -> SupportToolLinkDraft {
        SupportToolLinkDraft {
            tool: tool.into(),
            url: url.map(Into::into),
            note: note.map(Into::into),
        }
    }

    #[test]
    fn a_validation_link_with_url_and_note_parses() {
        let parsed = parse_links(
            &[],
            &[link(
                "validering_vast",
                Some("https://example.se/validering"),
                Some("Validering mot undersköterskeprogrammet ingår"),
            )],
        );
        assert!(
            parsed.as_ref().is_ok_and(|l| l.len() == 1
                && l[0].tool == SupportTool::ValideringVast
                && l[0].url.is_some()),
            "{parsed:?}"
        );
    }

    #[test]
    fn bare_names_and_links_merge_without_duplicates() {
        let parsed = parse_links(
            &["rekas".into(), "syv_online".into(), "rekas".into()],
            &[link("rekas", Some("https://example.se/rekas"), None)],
        )
        .unwrap_or_default();
        assert_eq!(
            tools_of(&parsed),
            vec![SupportTool::Rekas, SupportTool::SyvOnline]
        );
        assert_eq!(parsed.len(), 2, "the bare rekas is covered by the link");
    }

    #[test]
    fn every_bad_link_names_its_field() {
        let err = parse_links(
            &["astrology".into()],
            &[
                link("other", None, None),
                link("rekas", Some("ftp://x"), None),
            ],
        )
        .err()
        .unwrap_or_else(|| DomainError::Invalid(vec![]));
        let fields: Vec<&str> = err
            .field_errors()
            .iter()
            .map(|f| f.field.as_str())
            .collect();
        for expected in [
            "support_tool_links[0].note",
            "support_tool_links[1].url",
            "support_tools[0]",
        ] {
            assert!(fields.contains(&expected), "{expected} in {fields:?}");
        }
    }

    #[test]
    fn too_many_links_are_refused() {
        let many: Vec<_> = (0..=MAX_SUPPORT_TOOL_LINKS)
            .map(|i| link("other", None, Some(&format!("verktyg {i}"))))
            .collect();
        assert!(parse_links(&[], &many).is_err());
    }
}
