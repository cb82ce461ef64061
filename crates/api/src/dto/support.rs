//! Support-tool links on needs and offers: shapes and the merge rules for changes.

use broker_domain::support::{SupportToolLink, SupportToolLinkDraft};
use serde::{Deserialize, Serialize};
use utoipa::ToSchema;

/// A typed link to a regional support tool, e.g. an offer that includes validation of prior
/// learning through Validering Väst.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct SupportToolLinkDto {
    /// `rekas`, `syv_online`, `validering_vast` or `other` (an `other` link needs a note).
    #[schema(value_type = crate::dto::enums::SupportTool, example = "validering_vast")]
    pub tool: String,
    /// A deep link into the tool (http or https).
    pub url: Option<String>,
    /// What the link is for, up to 500 characters.
    pub note: Option<String>,
}

impl SupportToolLinkDto {
    pub fn from_link(l: &SupportToolLink) -> Self {
        Self {
            tool: l.tool.as_str().to_owned(),
            url: l.url.as_ref().map(|u| u.as_str().to_owned()),
            note: l.note.as_ref().map(|n| n.as_str().to_owned()),
        }
    }

    pub fn to_draft(&self) -> SupportToolLinkDraft {
        SupportToolLinkDraft {
            tool: self.tool.clone(),
            url: self.url.clone(),
            note: self.note.clone(),
        }
    }
}

pub fn dtos(links: &[SupportToolLink]) -> Vec<SupportToolLinkDto> {
    links.iter().map(SupportToolLinkDto::from_link).collect()
}

pub fn drafts(links: &[SupportToolLinkDto]) -> Vec<SupportToolLinkDraft> {
    links.iter().map(SupportToolLinkDto::to_draft).collect()
}

fn current_drafts(current: &[SupportToolLink]) -> Vec<SupportToolLinkDraft> {
    current
        .iter()
        .map(|l| SupportToolLinkDto::from_link(l).to_draft())
        .collect()
}

/// The tool names and links a partial update of an offer leads to. Absent fields keep what is
/// stored; a client that only knows the older name list (`support_tools`) keeps the URL and note
/// of every tool it still lists.
pub fn patched(
    current: &[SupportToolLink],
    tools: Option<&[String]>,
    links: Option<&[SupportToolLinkDto]>,
) -> (Vec<String>, Vec<SupportToolLinkDraft>) {
    match (tools, links) {
        (None, None) => (Vec::new(), current_drafts(current)),
        (None, Some(links)) => (Vec::new(), drafts(links)),
        (Some(tools), None) => {
            let kept: Vec<SupportToolLink> = current
                .iter()
                .filter(|l| tools.iter().any(|t| t.trim() == l.tool.as_str()))
                .cloned()
                .collect();
            (tools.to_vec(), current_drafts(&kept))
        }
        (Some(tools), Some(links)) => (tools.to_vec(), drafts(links)),
    }
}
