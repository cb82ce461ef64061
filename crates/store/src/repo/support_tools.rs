//! Support-tool links as stored in the `support_tools` JSON column of needs and offers:
//! `[{"tool": "validering_vast", "url": "...", "note": "..."}]`. Rows written before links had a
//! URL and note hold bare tool names (`["rekas"]`); both forms read back as links.

use broker_domain::support::{SupportNote, SupportTool, SupportToolLink};
use broker_domain::values::WebUrl;
use serde_json::{Value, json};

use crate::StoreError;

pub(crate) fn to_json(links: &[SupportToolLink]) -> Value {
    Value::Array(
        links
            .iter()
            .map(|l| {
                json!({
                    "tool": l.tool.as_str(),
                    "url": l.url.as_ref().map(WebUrl::as_str),
                    "note": l.note.as_ref().map(SupportNote::as_str),
                })
            })
            .collect(),
    )
}

pub(crate) fn from_json(
    entity: &'static str,
    value: &Value,
) -> Result<Vec<SupportToolLink>, StoreError> {
    let corrupt = |e: broker_domain::DomainError| StoreError::corrupt(entity, e);
    let Some(items) = value.as_array() else {
        return Ok(Vec::new());
    };
    items
        .iter()
        .map(|item| match item {
            Value::String(tool) => Ok(SupportToolLink::bare(
                SupportTool::parse(tool).map_err(corrupt)?,
            )),
            other => Ok(SupportToolLink {
                tool: SupportTool::parse(other["tool"].as_str().unwrap_or_default())
                    .map_err(corrupt)?,
                url: other["url"]
                    .as_str()
                    .map(WebUrl::parse)
                    .transpose()
                    .map_err(corrupt)?,
                note: other["note"]
                    .as_str()
                    .map(SupportNote::parse)
                    .transpose()
                    .map_err(corrupt)?,
            }),
        })
        .collect()
}
