//! Regions, municipalities, clusters, organisations, people and platforms.

use std::collections::BTreeMap;

use broker_domain::geo::{Country, Municipality, MunicipalityCode, Region};
use broker_domain::organisation::OrganisationKind;
use broker_domain::platform::{
    ActivePeriod, MatchingSettings, PilotStage, PilotStatus, PlatformModel, RoutingCandidate,
    choose_home_platform,
};
use broker_domain::values::{LongText, Name};
use chrono::Utc;
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelBehavior, ActiveModelTrait, ActiveValue::Set, ColumnTrait, Condition,
    ConnectionTrait, EntityTrait, IntoActiveModel, PrimaryKeyTrait, QueryFilter, QueryOrder,
};
use uuid::Uuid;

use super::{json_list, paginate, string_list, uuid_list};
use crate::entity::{
    cluster, cluster_municipality, municipality, organisation, person, pilot_status, platform,
    platform_municipality, region, structure_version,
};
use crate::{Page, StoreError};

/// A stored region: the domain's region and the key it is addressed by.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RegionRecord {
    pub key: String,
    pub region: Region,
}

fn region_record(r: region::Model) -> Result<RegionRecord, StoreError> {
    Ok(RegionRecord {
        region: Region {
            id: r.id,
            name: Name::parse(&r.name).map_err(|e| StoreError::corrupt("region name", e))?,
            country: Country::parse(&r.country)
                .map_err(|e| StoreError::corrupt("region country", e))?,
        },
        key: r.key,
    })
}

/// A stored municipality and the one that replaced it, if any (it then takes no new needs).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct MunicipalityRecord {
    pub municipality: Municipality,
    pub replaced_by: Option<MunicipalityCode>,
}

impl MunicipalityRecord {
    pub fn code(&self) -> &str {
        self.municipality.code.as_str()
    }

    pub fn name(&self) -> &str {
        self.municipality.name.as_str()
    }
}

fn municipality_record(m: municipality::Model) -> Result<MunicipalityRecord, StoreError> {
    let code = |c: &str| {
        MunicipalityCode::parse(c).map_err(|e| StoreError::corrupt("municipality code", e))
    };
    Ok(MunicipalityRecord {
        municipality: Municipality {
            code: code(&m.code)?,
            name: Name::parse(&m.name).map_err(|e| StoreError::corrupt("municipality name", e))?,
            country: Country::parse(&m.country)
                .map_err(|e| StoreError::corrupt("municipality country", e))?,
            region_id: m.region_id,
        },
        replaced_by: m.replaced_by.as_deref().map(code).transpose()?,
    })
}

fn municipality_records(
    rows: Vec<municipality::Model>,
) -> Result<Vec<MunicipalityRecord>, StoreError> {
    rows.into_iter().map(municipality_record).collect()
}

/// A recorded pilot status: who recorded it, when, and for which municipality.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PilotStatusRecord {
    pub id: Uuid,
    pub municipality: MunicipalityCode,
    pub status: PilotStatus,
    pub recorded_by: String,
    pub created_at: chrono::DateTime<Utc>,
}

fn pilot_status_record(r: pilot_status::Model) -> Result<PilotStatusRecord, StoreError> {
    let corrupt = |e| StoreError::corrupt("pilot status", e);
    Ok(PilotStatusRecord {
        id: r.id,
        municipality: MunicipalityCode::parse(&r.municipality_code).map_err(corrupt)?,
        status: PilotStatus {
            stage: PilotStage::parse(&r.status).map_err(corrupt)?,
            note: r
                .note
                .as_deref()
                .map(LongText::parse)
                .transpose()
                .map_err(corrupt)?,
            as_of: r.as_of,
        },
        recorded_by: r.recorded_by,
        created_at: r.created_at,
    })
}

// ---------- the structure version ----------

/// The stored structure version: counted up by every write to regions, municipalities,
/// clusters, people and platforms, so an instance that caches them sees that they changed.
pub async fn structure_version(conn: &impl ConnectionTrait) -> Result<i64, StoreError> {
    Ok(structure_version::Entity::find()
        .one(conn)
        .await?
        .map_or(0, |row| row.version))
}

/// Counts the structure version up within the writing transaction. Called before the write
/// itself: the version row is then the first lock every structure write takes, so concurrent
/// writes queue on it rather than deadlock, and a SQLite transaction writes before it reads.
async fn structure_written(conn: &impl ConnectionTrait) -> Result<(), StoreError> {
    structure_version::Entity::update_many()
        .col_expr(
            structure_version::Column::Version,
            Expr::col(structure_version::Column::Version).add(1),
        )
        .exec(conn)
        .await?;
    crate::changes::announce(conn).await
}

/// Loads a structure row, lets `apply` set its new values and writes it back (counting the
/// structure version up); a missing row is `NotFound` naming `what`.
async fn change<E>(
    conn: &impl ConnectionTrait,
    id: <E::PrimaryKey as PrimaryKeyTrait>::ValueType,
    what: &'static str,
    apply: impl FnOnce(&mut E::ActiveModel),
) -> Result<E::Model, StoreError>
where
    E: EntityTrait,
    E::Model: IntoActiveModel<E::ActiveModel>,
    E::ActiveModel: ActiveModelBehavior + Send,
{
    structure_written(conn).await?;
    let mut row = E::find_by_id(id)
        .one(conn)
        .await?
        .ok_or(StoreError::not_found(what))?
        .into_active_model();
    apply(&mut row);
    Ok(row.update(conn).await?)
}

// ---------- regions and municipalities ----------

pub async fn insert_region(
    conn: &impl ConnectionTrait,
    id: Uuid,
    key: &str,
    name: &str,
    country: &str,
) -> Result<(), StoreError> {
    structure_written(conn).await?;
    region::Entity::insert(region::ActiveModel {
        id: Set(id),
        key: Set(key.to_owned()),
        name: Set(name.to_owned()),
        country: Set(country.to_owned()),
    })
    .exec(conn)
    .await
    .map_err(|e| StoreError::from_insert("region", "a region with this key", e))?;
    Ok(())
}

pub async fn list_regions(conn: &impl ConnectionTrait) -> Result<Vec<RegionRecord>, StoreError> {
    region::Entity::find()
        .order_by_asc(region::Column::Key)
        .all(conn)
        .await?
        .into_iter()
        .map(region_record)
        .collect()
}

pub async fn insert_municipality(
    conn: &impl ConnectionTrait,
    code: &str,
    name: &str,
    country: &str,
    region_id: Uuid,
) -> Result<(), StoreError> {
    structure_written(conn).await?;
    municipality::Entity::insert(municipality::ActiveModel {
        code: Set(code.to_owned()),
        name: Set(name.to_owned()),
        country: Set(country.to_owned()),
        region_id: Set(region_id),
        replaced_by: Set(None),
    })
    .exec(conn)
    .await
    .map_err(|e| StoreError::from_insert("municipality", "a municipality with this code", e))?;
    Ok(())
}

/// Municipalities ordered by code, optionally of one country or region.
pub async fn list_municipalities(
    conn: &impl ConnectionTrait,
    country: Option<&str>,
    region_id: Option<Uuid>,
) -> Result<Vec<MunicipalityRecord>, StoreError> {
    let mut q = municipality::Entity::find().order_by_asc(municipality::Column::Code);
    if let Some(c) = country {
        q = q.filter(municipality::Column::Country.eq(c));
    }
    if let Some(r) = region_id {
        q = q.filter(municipality::Column::RegionId.eq(r));
    }
    municipality_records(q.all(conn).await?)
}

pub async fn get_municipality(
    conn: &impl ConnectionTrait,
    code: &str,
) -> Result<MunicipalityRecord, StoreError> {
    municipality_record(
        municipality::Entity::find_by_id(code.to_owned())
            .one(conn)
            .await?
            .ok_or(StoreError::not_found("municipality"))?,
    )
}

// ---------- clusters ----------

/// A municipality cluster with its member codes.
#[derive(Debug, Clone)]
pub struct ClusterRecord {
    pub id: Uuid,
    pub key: String,
    pub name: String,
    pub region_id: Uuid,
    pub municipalities: Vec<String>,
}

pub async fn insert_cluster(
    conn: &impl ConnectionTrait,
    c: &ClusterRecord,
) -> Result<(), StoreError> {
    structure_written(conn).await?;
    cluster::Entity::insert(cluster::ActiveModel {
        id: Set(c.id),
        key: Set(c.key.clone()),
        name: Set(c.name.clone()),
        region_id: Set(c.region_id),
    })
    .exec(conn)
    .await
    .map_err(|e| StoreError::from_insert("cluster", "a cluster with this key", e))?;
    set_cluster_members(conn, c).await
}

/// Replaces a cluster's member municipalities.
async fn set_cluster_members(
    conn: &impl ConnectionTrait,
    c: &ClusterRecord,
) -> Result<(), StoreError> {
    cluster_municipality::Entity::delete_many()
        .filter(cluster_municipality::Column::ClusterId.eq(c.id))
        .exec(conn)
        .await?;
    if c.municipalities.is_empty() {
        return Ok(());
    }
    cluster_municipality::Entity::insert_many(c.municipalities.iter().map(|code| {
        cluster_municipality::ActiveModel {
            cluster_id: Set(c.id),
            municipality_code: Set(code.clone()),
        }
    }))
    .exec(conn)
    .await
    .map_err(|e| StoreError::from_insert("cluster", "member", e))?;
    Ok(())
}

pub async fn list_clusters(conn: &impl ConnectionTrait) -> Result<Vec<ClusterRecord>, StoreError> {
    let clusters = cluster::Entity::find()
        .order_by_asc(cluster::Column::Key)
        .all(conn)
        .await?;
    let mut members: BTreeMap<Uuid, Vec<String>> = BTreeMap::new();
    for m in cluster_municipality::Entity::find()
        .order_by_asc(cluster_municipality::Column::MunicipalityCode)
        .all(conn)
        .await?
    {
        members
            .entry(m.cluster_id)
            .or_default()
            .push(m.municipality_code);
    }
    Ok(clusters
        .into_iter()
        .map(|c| ClusterRecord {
            municipalities: members.remove(&c.id).unwrap_or_default(),
            id: c.id,
            key: c.key,
            name: c.name,
            region_id: c.region_id,
        })
        .collect())
}

// ---------- organisations ----------

/// A registered organisation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OrganisationRecord {
    pub id: Uuid,
    pub name: String,
    pub kind: OrganisationKind,
    pub country: Country,
    /// Digits only, valid for `country`.
    pub org_number: Option<String>,
    pub municipality: Option<String>,
    pub website: Option<String>,
}

fn organisation_record(o: organisation::Model) -> Result<OrganisationRecord, StoreError> {
    Ok(OrganisationRecord {
        kind: OrganisationKind::parse(&o.kind)
            .map_err(|e| StoreError::corrupt("organisation kind", e))?,
        country: Country::parse(&o.country)
            .map_err(|e| StoreError::corrupt("organisation country", e))?,
        id: o.id,
        name: o.name,
        org_number: o.org_number,
        municipality: o.municipality_code,
        website: o.website,
    })
}

/// An organisation to register, as it will be stored; `org_number` is already validated
/// (digits only).
pub type NewOrganisation = OrganisationRecord;

pub async fn insert_organisation(
    conn: &impl ConnectionTrait,
    o: NewOrganisation,
) -> Result<OrganisationRecord, StoreError> {
    let row = organisation::ActiveModel {
        id: Set(o.id),
        name: Set(o.name),
        kind: Set(o.kind.as_str().to_owned()),
        country: Set(o.country.code().to_owned()),
        org_number: Set(o.org_number),
        municipality_code: Set(o.municipality),
        website: Set(o.website),
        created_at: Set(Utc::now()),
    };
    organisation::Entity::insert(row)
        .exec_with_returning(conn)
        .await
        .map_err(|e| {
            StoreError::from_insert(
                "organisation",
                "an organisation with this organisation number or name",
                e,
            )
        })
        .and_then(organisation_record)
}

pub async fn get_organisation(
    conn: &impl ConnectionTrait,
    id: Uuid,
) -> Result<OrganisationRecord, StoreError> {
    organisation::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or(StoreError::not_found("organisation"))
        .and_then(organisation_record)
}

/// Organisations by name, optionally of one kind or matching a name fragment.
pub async fn list_organisations(
    conn: &impl ConnectionTrait,
    kind: Option<&str>,
    name_contains: Option<&str>,
    limit: u64,
    offset: u64,
) -> Result<Page<OrganisationRecord>, StoreError> {
    let mut q = organisation::Entity::find()
        .order_by_asc(organisation::Column::Name)
        .order_by_asc(organisation::Column::Id);
    if let Some(k) = kind {
        q = q.filter(organisation::Column::Kind.eq(k));
    }
    if let Some(n) = name_contains.filter(|n| !n.trim().is_empty()) {
        q = q.filter(organisation::Column::Name.contains(n.trim()));
    }
    let page = paginate(conn, q, limit, offset).await?;
    Ok(Page {
        items: page
            .items
            .into_iter()
            .map(organisation_record)
            .collect::<Result<_, _>>()?,
        total: page.total,
    })
}

pub async fn organisations_by_ids(
    conn: &impl ConnectionTrait,
    ids: &[Uuid],
) -> Result<Vec<OrganisationRecord>, StoreError> {
    if ids.is_empty() {
        return Ok(Vec::new());
    }
    organisation::Entity::find()
        .filter(organisation::Column::Id.is_in(ids.iter().copied()))
        .all(conn)
        .await?
        .into_iter()
        .map(organisation_record)
        .collect()
}

// ---------- people ----------

/// A person (contact, broker, member of a group).
#[derive(Debug, Clone)]
pub struct PersonRecord {
    pub id: Uuid,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub organisation_id: Option<Uuid>,
    pub roles: Vec<String>,
    pub municipalities: Vec<String>,
    pub areas: Vec<Uuid>,
    pub area_text: Vec<String>,
}

impl From<person::Model> for PersonRecord {
    fn from(p: person::Model) -> Self {
        Self {
            id: p.id,
            name: p.name,
            email: p.email,
            phone: p.phone,
            organisation_id: p.organisation_id,
            roles: string_list(&p.roles),
            municipalities: string_list(&p.municipalities),
            areas: uuid_list(&p.areas),
            area_text: string_list(&p.area_text),
        }
    }
}

pub async fn insert_person(
    conn: &impl ConnectionTrait,
    p: &PersonRecord,
) -> Result<(), StoreError> {
    structure_written(conn).await?;
    person::Entity::insert(person::ActiveModel {
        id: Set(p.id),
        name: Set(p.name.clone()),
        email: Set(p.email.clone()),
        phone: Set(p.phone.clone()),
        organisation_id: Set(p.organisation_id),
        roles: Set(json_list(&p.roles)),
        municipalities: Set(json_list(&p.municipalities)),
        areas: Set(json_list(&p.areas)),
        area_text: Set(json_list(&p.area_text)),
        created_at: Set(Utc::now()),
    })
    .exec(conn)
    .await
    .map_err(|e| StoreError::from_insert("person", "a person with this id", e))?;
    Ok(())
}

pub async fn list_persons(conn: &impl ConnectionTrait) -> Result<Vec<PersonRecord>, StoreError> {
    Ok(person::Entity::find()
        .order_by_asc(person::Column::Name)
        .order_by_asc(person::Column::Id)
        .all(conn)
        .await?
        .into_iter()
        .map(Into::into)
        .collect())
}

pub async fn get_person(conn: &impl ConnectionTrait, id: Uuid) -> Result<PersonRecord, StoreError> {
    person::Entity::find_by_id(id)
        .one(conn)
        .await?
        .map(Into::into)
        .ok_or(StoreError::not_found("person"))
}

// ---------- platforms ----------

/// A platform (local platform or forum) with the municipalities it serves.
#[derive(Debug, Clone)]
pub struct PlatformRecord {
    pub id: Uuid,
    pub key: String,
    pub name: String,
    pub model: PlatformModel,
    pub region_id: Uuid,
    pub cluster_id: Option<Uuid>,
    pub broker_arrangement: Option<String>,
    pub parent_id: Option<Uuid>,
    pub settings: MatchingSettings,
    pub contact_person_ids: Vec<Uuid>,
    pub municipalities: Vec<String>,
    /// The trial's first and last day (either open): outside it no new need is routed here.
    pub active_from: Option<chrono::NaiveDate>,
    pub active_to: Option<chrono::NaiveDate>,
}

impl PlatformRecord {
    pub fn active_period(&self) -> ActivePeriod {
        ActivePeriod {
            from: self.active_from,
            to: self.active_to,
        }
    }
}

pub async fn insert_platform(
    conn: &impl ConnectionTrait,
    p: &PlatformRecord,
) -> Result<(), StoreError> {
    let settings =
        serde_json::to_value(p.settings).map_err(|e| StoreError::corrupt("platform", e))?;
    structure_written(conn).await?;
    platform::Entity::insert(platform::ActiveModel {
        id: Set(p.id),
        key: Set(p.key.clone()),
        name: Set(p.name.clone()),
        model: Set(p.model.as_str().to_owned()),
        region_id: Set(p.region_id),
        cluster_id: Set(p.cluster_id),
        broker_arrangement: Set(p.broker_arrangement.clone()),
        parent_id: Set(p.parent_id),
        settings: Set(settings),
        contact_person_ids: Set(json_list(&p.contact_person_ids)),
        created_at: Set(Utc::now()),
        active_from: Set(p.active_from),
        active_to: Set(p.active_to),
        mandate: Set(None),
        goals: Set(None),
    })
    .exec(conn)
    .await
    .map_err(|e| StoreError::from_insert("platform", "a platform with this key", e))?;
    set_platform_members(conn, p).await
}

/// Replaces the municipalities a platform serves.
async fn set_platform_members(
    conn: &impl ConnectionTrait,
    p: &PlatformRecord,
) -> Result<(), StoreError> {
    platform_municipality::Entity::delete_many()
        .filter(platform_municipality::Column::PlatformId.eq(p.id))
        .exec(conn)
        .await?;
    if p.municipalities.is_empty() {
        return Ok(());
    }
    platform_municipality::Entity::insert_many(p.municipalities.iter().map(|code| {
        platform_municipality::ActiveModel {
            platform_id: Set(p.id),
            municipality_code: Set(code.clone()),
        }
    }))
    .exec(conn)
    .await
    .map_err(|e| StoreError::from_insert("platform", "member", e))?;
    Ok(())
}

fn platform_record(
    p: platform::Model,
    municipalities: Vec<String>,
) -> Result<PlatformRecord, StoreError> {
    let settings: MatchingSettings = serde_json::from_value(p.settings)
        .map_err(|e| StoreError::corrupt("platform settings", e))?;
    Ok(PlatformRecord {
        id: p.id,
        key: p.key,
        name: p.name,
        model: PlatformModel::parse(&p.model)
            .map_err(|e| StoreError::corrupt("platform model", e))?,
        region_id: p.region_id,
        cluster_id: p.cluster_id,
        broker_arrangement: p.broker_arrangement,
        parent_id: p.parent_id,
        settings,
        contact_person_ids: uuid_list(&p.contact_person_ids),
        municipalities,
        active_from: p.active_from,
        active_to: p.active_to,
    })
}

pub async fn list_platforms(
    conn: &impl ConnectionTrait,
) -> Result<Vec<PlatformRecord>, StoreError> {
    let rows = platform::Entity::find()
        .order_by_asc(platform::Column::Key)
        .all(conn)
        .await?;
    let mut members: BTreeMap<Uuid, Vec<String>> = BTreeMap::new();
    for m in platform_municipality::Entity::find()
        .order_by_asc(platform_municipality::Column::MunicipalityCode)
        .all(conn)
        .await?
    {
        members
            .entry(m.platform_id)
            .or_default()
            .push(m.municipality_code);
    }
    rows.into_iter()
        .map(|p| {
            let m = members.remove(&p.id).unwrap_or_default();
            platform_record(p, m)
        })
        .collect()
}

pub async fn get_platform(
    conn: &impl ConnectionTrait,
    id: Uuid,
) -> Result<PlatformRecord, StoreError> {
    let p = platform::Entity::find_by_id(id)
        .one(conn)
        .await?
        .ok_or(StoreError::not_found("platform"))?;
    let members = platform_municipality::Entity::find()
        .filter(platform_municipality::Column::PlatformId.eq(id))
        .order_by_asc(platform_municipality::Column::MunicipalityCode)
        .all(conn)
        .await?
        .into_iter()
        .map(|m| m.municipality_code)
        .collect();
    platform_record(p, members)
}

/// Replaces a platform's matching settings (validated by the caller) and returns the platform.
pub async fn update_platform_settings(
    conn: &impl ConnectionTrait,
    id: Uuid,
    settings: MatchingSettings,
) -> Result<PlatformRecord, StoreError> {
    let value = serde_json::to_value(settings).map_err(|e| StoreError::corrupt("platform", e))?;
    change::<platform::Entity>(conn, id, "platform", |row| row.settings = Set(value)).await?;
    get_platform(conn, id).await
}

/// The platform a need in `code` entered today is routed to first: the one serving the fewest
/// municipalities among those inside their active period (see [`choose_home_platform`]).
pub fn home_platform<'a>(
    platforms: impl IntoIterator<Item = &'a PlatformRecord>,
    code: &str,
) -> Option<&'a PlatformRecord> {
    home_platform_on(platforms, code, Utc::now().date_naive())
}

/// [`home_platform`] for a need entered on `today`.
pub fn home_platform_on<'a>(
    platforms: impl IntoIterator<Item = &'a PlatformRecord>,
    code: &str,
    today: chrono::NaiveDate,
) -> Option<&'a PlatformRecord> {
    choose_home_platform(
        platforms
            .into_iter()
            .filter(|p| p.municipalities.iter().any(|m| m == code))
            .map(|p| {
                let candidate = RoutingCandidate {
                    key: p.key.as_str(),
                    municipality_count: p.municipalities.len(),
                    period: p.active_period(),
                };
                (p, candidate)
            }),
        today,
    )
}

/// [`home_platform`] over the stored platforms.
pub async fn home_platform_for(
    conn: &impl ConnectionTrait,
    code: &str,
) -> Result<Option<PlatformRecord>, StoreError> {
    Ok(home_platform(&list_platforms(conn).await?, code).cloned())
}

/// Municipality codes sharing a cluster with `code` (excluding it).
pub async fn cluster_neighbours(
    conn: &impl ConnectionTrait,
    code: &str,
) -> Result<Vec<String>, StoreError> {
    let clusters: Vec<Uuid> = cluster_municipality::Entity::find()
        .filter(cluster_municipality::Column::MunicipalityCode.eq(code))
        .all(conn)
        .await?
        .into_iter()
        .map(|m| m.cluster_id)
        .collect();
    if clusters.is_empty() {
        return Ok(Vec::new());
    }
    let mut codes: Vec<String> = cluster_municipality::Entity::find()
        .filter(
            Condition::all()
                .add(cluster_municipality::Column::ClusterId.is_in(clusters))
                .add(cluster_municipality::Column::MunicipalityCode.ne(code)),
        )
        .all(conn)
        .await?
        .into_iter()
        .map(|m| m.municipality_code)
        .collect();
    codes.sort();
    codes.dedup();
    Ok(codes)
}

// ---------- structure administration (issue 13) ----------

/// Changes a region's name.
pub async fn rename_region(
    conn: &impl ConnectionTrait,
    id: Uuid,
    name: &str,
) -> Result<RegionRecord, StoreError> {
    region_record(
        change::<region::Entity>(conn, id, "region", |row| row.name = Set(name.to_owned())).await?,
    )
}

pub async fn get_region(conn: &impl ConnectionTrait, id: Uuid) -> Result<RegionRecord, StoreError> {
    region_record(
        region::Entity::find_by_id(id)
            .one(conn)
            .await?
            .ok_or(StoreError::not_found("region"))?,
    )
}

/// Stored municipalities whose four digits are `digits`, with their country (one per country
/// at most): the candidates a written code is resolved among.
pub async fn municipalities_with_digits(
    conn: &impl ConnectionTrait,
    digits: &str,
) -> Result<Vec<MunicipalityRecord>, StoreError> {
    municipality_records(
        municipality::Entity::find()
            .filter(municipality::Column::Code.is_in([
                digits.to_owned(),
                format!("SE-{digits}"),
                format!("NO-{digits}"),
            ]))
            .order_by_asc(municipality::Column::Code)
            .all(conn)
            .await?,
    )
}

/// Changes a municipality's name and what replaced it (a merger or a new number).
pub async fn update_municipality(
    conn: &impl ConnectionTrait,
    code: &str,
    name: &str,
    replaced_by: Option<&str>,
) -> Result<MunicipalityRecord, StoreError> {
    municipality_record(
        change::<municipality::Entity>(conn, code.to_owned(), "municipality", |row| {
            row.name = Set(name.to_owned());
            row.replaced_by = Set(replaced_by.map(str::to_owned));
        })
        .await?,
    )
}

pub async fn get_cluster(
    conn: &impl ConnectionTrait,
    id: Uuid,
) -> Result<ClusterRecord, StoreError> {
    list_clusters(conn)
        .await?
        .into_iter()
        .find(|c| c.id == id)
        .ok_or(StoreError::not_found("cluster"))
}

/// Renames a cluster and replaces its members.
pub async fn update_cluster(
    conn: &impl ConnectionTrait,
    c: &ClusterRecord,
) -> Result<(), StoreError> {
    change::<cluster::Entity>(conn, c.id, "cluster", |row| row.name = Set(c.name.clone())).await?;
    set_cluster_members(conn, c).await
}

/// Replaces a person's details, roles, municipalities and areas.
pub async fn update_person(
    conn: &impl ConnectionTrait,
    p: &PersonRecord,
) -> Result<(), StoreError> {
    change::<person::Entity>(conn, p.id, "person", |row| {
        row.name = Set(p.name.clone());
        row.email = Set(p.email.clone());
        row.phone = Set(p.phone.clone());
        row.organisation_id = Set(p.organisation_id);
        row.roles = Set(json_list(&p.roles));
        row.municipalities = Set(json_list(&p.municipalities));
        row.areas = Set(json_list(&p.areas));
        row.area_text = Set(json_list(&p.area_text));
    })
    .await?;
    Ok(())
}

/// A platform's set-up beyond its matching settings: active period, a forum's mandate and goals.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct PlatformTerms {
    pub active_from: Option<chrono::NaiveDate>,
    pub active_to: Option<chrono::NaiveDate>,
    pub mandate: Option<String>,
    pub goals: Vec<String>,
}

fn terms_of(p: &platform::Model) -> PlatformTerms {
    PlatformTerms {
        active_from: p.active_from,
        active_to: p.active_to,
        mandate: p.mandate.clone(),
        goals: p.goals.as_ref().map(string_list).unwrap_or_default(),
    }
}

/// Every platform's terms, by platform id.
pub async fn platform_terms(
    conn: &impl ConnectionTrait,
) -> Result<BTreeMap<Uuid, PlatformTerms>, StoreError> {
    Ok(platform::Entity::find()
        .all(conn)
        .await?
        .iter()
        .map(|p| (p.id, terms_of(p)))
        .collect())
}

/// Writes a platform's terms.
pub async fn set_platform_terms(
    conn: &impl ConnectionTrait,
    id: Uuid,
    t: &PlatformTerms,
) -> Result<(), StoreError> {
    change::<platform::Entity>(conn, id, "platform", |row| {
        row.active_from = Set(t.active_from);
        row.active_to = Set(t.active_to);
        row.mandate = Set(t.mandate.clone());
        row.goals = Set(Some(json_list(&t.goals)));
    })
    .await?;
    Ok(())
}

/// Changes a platform's name, model, cluster, arrangement, parent and municipalities (its
/// settings and terms are written separately).
pub async fn update_platform(
    conn: &impl ConnectionTrait,
    p: &PlatformRecord,
) -> Result<(), StoreError> {
    change::<platform::Entity>(conn, p.id, "platform", |row| {
        row.name = Set(p.name.clone());
        row.model = Set(p.model.as_str().to_owned());
        row.cluster_id = Set(p.cluster_id);
        row.broker_arrangement = Set(p.broker_arrangement.clone());
        row.parent_id = Set(p.parent_id);
    })
    .await?;
    set_platform_members(conn, p).await
}

/// Records a municipality's pilot status (the history keeps every one).
pub async fn insert_pilot_status(
    conn: &impl ConnectionTrait,
    record: PilotStatusRecord,
) -> Result<PilotStatusRecord, StoreError> {
    pilot_status::Entity::insert(pilot_status::ActiveModel {
        id: Set(record.id),
        municipality_code: Set(record.municipality.as_str().to_owned()),
        status: Set(record.status.stage.as_str().to_owned()),
        note: Set(record.status.note.as_ref().map(|n| n.as_str().to_owned())),
        as_of: Set(record.status.as_of),
        recorded_by: Set(record.recorded_by.clone()),
        created_at: Set(record.created_at),
    })
    .exec(conn)
    .await
    .map_err(|e| StoreError::from_insert("pilot status", "a pilot status with this id", e))?;
    Ok(record)
}

/// Pilot statuses, oldest first (by the day they describe, then when recorded), optionally
/// of one municipality.
pub async fn pilot_statuses(
    conn: &impl ConnectionTrait,
    municipality_code: Option<&str>,
) -> Result<Vec<PilotStatusRecord>, StoreError> {
    let mut q = pilot_status::Entity::find()
        .order_by_asc(pilot_status::Column::AsOf)
        .order_by_asc(pilot_status::Column::CreatedAt)
        .order_by_asc(pilot_status::Column::Id);
    if let Some(code) = municipality_code {
        q = q.filter(pilot_status::Column::MunicipalityCode.eq(code));
    }
    q.all(conn)
        .await?
        .into_iter()
        .map(pilot_status_record)
        .collect()
}
