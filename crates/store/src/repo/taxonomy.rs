//! The competence and occupation taxonomy, versioned per import.

use broker_domain::taxonomy::ConceptKind;
use chrono::Utc;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveValue::Set, ColumnTrait, ConnectionTrait, EntityTrait, QueryFilter, QueryOrder,
    QuerySelect,
};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::uuid_list;
use crate::entity::{concept, taxonomy_version};
use crate::{Page, StoreError};

/// One label of a concept.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct LabelRecord {
    /// `sv`, `nb` or `en`.
    pub lang: String,
    pub text: String,
    pub preferred: bool,
}

/// A competence or occupation concept.
#[derive(Debug, Clone, PartialEq)]
pub struct ConceptRecord {
    pub id: Uuid,
    pub kind: ConceptKind,
    pub esco_uri: Option<String>,
    pub key: Option<String>,
    pub field: Option<String>,
    pub labels: Vec<LabelRecord>,
    pub essential: Vec<Uuid>,
    pub optional: Vec<Uuid>,
    pub description: Option<String>,
    pub deprecated: bool,
    pub replaced_by: Option<Uuid>,
    pub created_in_version: i32,
    pub changed_in_version: i32,
}

impl ConceptRecord {
    /// The preferred label in `lang`, else in English, else any.
    pub fn preferred_label(&self, lang: &str) -> String {
        let find = |l: &str| {
            self.labels
                .iter()
                .find(|x| x.preferred && x.lang == l)
                .map(|x| x.text.clone())
        };
        find(lang)
            .or_else(|| find("en"))
            .or_else(|| self.labels.first().map(|x| x.text.clone()))
            .unwrap_or_default()
    }

    /// Same content, ignoring bookkeeping: an import that changes nothing makes no new version.
    pub fn same_content(&self, other: &Self) -> bool {
        let mut a = self.labels.clone();
        let mut b = other.labels.clone();
        a.sort_by(|x, y| (&x.lang, &x.text).cmp(&(&y.lang, &y.text)));
        b.sort_by(|x, y| (&x.lang, &x.text).cmp(&(&y.lang, &y.text)));
        a == b
            && self.kind == other.kind
            && self.key == other.key
            && self.esco_uri == other.esco_uri
            && self.field == other.field
            && self.essential == other.essential
            && self.optional == other.optional
            && self.description == other.description
            && self.deprecated == other.deprecated
            && self.replaced_by == other.replaced_by
    }
}

fn to_record(m: concept::Model) -> Result<ConceptRecord, StoreError> {
    Ok(ConceptRecord {
        labels: serde_json::from_value(m.labels)
            .map_err(|e| StoreError::corrupt("concept labels", e))?,
        essential: uuid_list(&m.essential),
        optional: uuid_list(&m.optional),
        id: m.id,
        kind: ConceptKind::parse(&m.kind).map_err(|e| StoreError::corrupt("concept kind", e))?,
        esco_uri: m.esco_uri,
        key: m.key,
        field: m.field,
        description: m.description,
        deprecated: m.deprecated,
        replaced_by: m.replaced_by,
        created_in_version: m.created_in_version,
        changed_in_version: m.changed_in_version,
    })
}

fn to_active(c: &ConceptRecord) -> concept::ActiveModel {
    concept::ActiveModel {
        id: Set(c.id),
        kind: Set(c.kind.as_str().to_owned()),
        esco_uri: Set(c.esco_uri.clone()),
        key: Set(c.key.clone()),
        field: Set(c.field.clone()),
        labels: Set(serde_json::to_value(&c.labels).unwrap_or_default()),
        essential: Set(super::json_list(&c.essential)),
        optional: Set(super::json_list(&c.optional)),
        description: Set(c.description.clone()),
        deprecated: Set(c.deprecated),
        replaced_by: Set(c.replaced_by),
        created_in_version: Set(c.created_in_version),
        changed_in_version: Set(c.changed_in_version),
    }
}

/// The latest taxonomy version (0 before any import).
pub async fn current_version(conn: &impl ConnectionTrait) -> Result<i32, StoreError> {
    let v: Option<Option<i32>> = taxonomy_version::Entity::find()
        .select_only()
        .column_as(taxonomy_version::Column::Version.max(), "v")
        .into_tuple()
        .one(conn)
        .await?;
    Ok(v.flatten().unwrap_or(0))
}

/// Opens a new version; the counts are filled in by `finish_version`.
pub async fn begin_version(conn: &impl ConnectionTrait, source: &str) -> Result<i32, StoreError> {
    let version = current_version(conn).await? + 1;
    taxonomy_version::Entity::insert(taxonomy_version::ActiveModel {
        version: Set(version),
        source: Set(source.chars().take(200).collect()),
        counts: Set(serde_json::json!({})),
        created_at: Set(Utc::now()),
    })
    .exec(conn)
    .await?;
    crate::changes::announce(conn).await?;
    Ok(version)
}

pub async fn finish_version(
    conn: &impl ConnectionTrait,
    version: i32,
    counts: serde_json::Value,
) -> Result<(), StoreError> {
    taxonomy_version::Entity::update_many()
        .col_expr(taxonomy_version::Column::Counts, Expr::value(counts))
        .filter(taxonomy_version::Column::Version.eq(version))
        .exec(conn)
        .await?;
    Ok(())
}

/// Every concept (deprecated ones too: they still resolve).
pub async fn all(conn: &impl ConnectionTrait) -> Result<Vec<ConceptRecord>, StoreError> {
    concept::Entity::find()
        .order_by_asc(concept::Column::Id)
        .all(conn)
        .await?
        .into_iter()
        .map(to_record)
        .collect()
}

pub async fn get(conn: &impl ConnectionTrait, id: Uuid) -> Result<ConceptRecord, StoreError> {
    to_record(
        concept::Entity::find_by_id(id)
            .one(conn)
            .await?
            .ok_or(StoreError::not_found("concept"))?,
    )
}

pub async fn by_ids(
    conn: &impl ConnectionTrait,
    ids: &[Uuid],
) -> Result<Vec<ConceptRecord>, StoreError> {
    let mut out = Vec::new();
    for chunk in ids.chunks(500) {
        out.extend(
            concept::Entity::find()
                .filter(concept::Column::Id.is_in(chunk.iter().copied()))
                .all(conn)
                .await?
                .into_iter()
                .map(to_record)
                .collect::<Result<Vec<_>, _>>()?,
        );
    }
    Ok(out)
}

/// Inserts new concepts in batches (fast bulk import).
pub async fn insert_many(
    conn: &impl ConnectionTrait,
    concepts: &[ConceptRecord],
) -> Result<(), StoreError> {
    // 13 columns per row: 400 rows stay well under every engine's bind-parameter limit.
    for chunk in concepts.chunks(400) {
        concept::Entity::insert_many(chunk.iter().map(to_active).collect::<Vec<_>>())
            .exec(conn)
            .await
            .map_err(|e| {
                StoreError::from_insert("concept", "a concept with this ESCO URI or key", e)
            })?;
    }
    Ok(())
}

/// Overwrites a concept's content.
pub async fn update(conn: &impl ConnectionTrait, c: &ConceptRecord) -> Result<(), StoreError> {
    let mut row = to_active(c);
    row.created_in_version = sea_orm::ActiveValue::NotSet;
    concept::Entity::update(row).exec(conn).await?;
    Ok(())
}

/// Concepts changed after `version` (created, relabelled or deprecated), for incremental sync.
pub async fn changed_since(
    conn: &impl ConnectionTrait,
    version: i32,
    limit: u64,
    offset: u64,
) -> Result<Page<ConceptRecord>, StoreError> {
    let select = concept::Entity::find()
        .filter(concept::Column::ChangedInVersion.gt(version))
        .order_by_asc(concept::Column::Id);
    let page = super::paginate(conn, select, limit, offset).await?;
    Ok(Page {
        items: page
            .items
            .into_iter()
            .map(to_record)
            .collect::<Result<_, _>>()?,
        total: page.total,
    })
}
