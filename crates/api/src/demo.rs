//! Loading reference data (always, into an empty database) and the demo data set (`--demo`).
//!
//! Reference data is real: regions, the 26 municipalities with official codes, clusters, the
//! pilot platforms, the Østfold forum's bodies, and the starter taxonomy. The demo set adds
//! invented organisations, people, offers and needs, written through the same domain parsing as
//! the API so demo rows obey every rule.

use std::collections::HashMap;

use broker_domain::need::{NeedAction, NeedDraft, NeedSpec, NeedStatus, RequirementDraft};
use broker_domain::offer::{InstanceDraft, OfferDraft, OfferSpec, OfferStatus};
use broker_domain::organisation::{OrgNumber, OrganisationKind};
use broker_domain::platform::{
    FocusArea, Group, GroupKind, MatchingSettings, Membership, PlatformModel,
};
use broker_domain::values::{Name, Period};
use broker_store::repo::{forum, needs, offers, reference};
use broker_store::{Store, StoreError};
use chrono::{Days, NaiveDate, Utc};
use uuid::Uuid;

use crate::auth::{Claims, Role};
use crate::config::{DEMO_JWT_SECRET, Settings};
use crate::demo_data::{
    self as data, DALSLAND_CLUSTER, FYRBODAL, NEDRE_GLOMMA_CLUSTER, NORRA_BOHUSLAN_CLUSTER, OSTFOLD,
};

/// Namespace for the demo's stable ids, so tokens and links printed once stay valid.
const NAMESPACE: Uuid = Uuid::from_u128(0x6b6f_6d70_6574_656e_736d_616b_6c61_7265);

/// A stable id for a demo or reference object of `kind` named `key`.
pub fn stable_id(kind: &str, key: &str) -> Uuid {
    Uuid::new_v5(&NAMESPACE, format!("{kind}:{key}").as_bytes())
}

/// Why seeding failed.
#[derive(Debug, thiserror::Error)]
pub enum SeedError {
    #[error(transparent)]
    Store(#[from] StoreError),
    #[error(transparent)]
    Db(#[from] sea_orm::DbErr),
    #[error("demo file: {0}")]
    File(#[from] serde_json::Error),
    #[error("demo {what} `{key}`: {reason}")]
    Invalid {
        what: &'static str,
        key: String,
        reason: String,
    },
}

fn invalid(what: &'static str, key: &str, reason: impl std::fmt::Display) -> SeedError {
    SeedError::Invalid {
        what,
        key: key.to_owned(),
        reason: reason.to_string(),
    }
}

pub const FYRBODAL_REGION: &str = "fyrbodal";
pub const OSTFOLD_REGION: &str = "ostfold";

/// Platform keys, for tests and tokens.
pub mod platforms {
    pub const UDDEVALLA: &str = "uddevalla";
    pub const TANUM: &str = "tanum";
    pub const DALS_ED: &str = "dals-ed";
    pub const BENGTSFORS: &str = "bengtsfors";
    pub const DALSLAND: &str = "dalsland";
    pub const FYRBODAL: &str = "fyrbodal";
    pub const OSTFOLD_FORUM: &str = "ostfold-forum";
}

/// key, name, model, region, cluster key, broker arrangement, parent platform key, municipalities.
type PlatformSeed<'a> = (
    &'a str,
    &'a str,
    PlatformModel,
    Uuid,
    Option<&'a str>,
    Option<&'a str>,
    Option<&'a str>,
    Vec<&'a str>,
);

pub fn platform_id(key: &str) -> Uuid {
    stable_id("platform", key)
}

/// Loads reference data and the starter taxonomy when the database has no regions yet.
/// Returns whether anything was loaded.
pub async fn seed_reference(store: &Store) -> Result<bool, SeedError> {
    if !reference::list_regions(store.conn()).await?.is_empty() {
        return Ok(false);
    }
    let txn = store.begin().await?;
    let fyrbodal = stable_id("region", FYRBODAL_REGION);
    let ostfold = stable_id("region", OSTFOLD_REGION);
    reference::insert_region(&txn, fyrbodal, FYRBODAL_REGION, "Fyrbodal", "SE").await?;
    reference::insert_region(&txn, ostfold, OSTFOLD_REGION, "Østfold", "NO").await?;
    for (code, name) in FYRBODAL {
        reference::insert_municipality(&txn, code, name, "SE", fyrbodal).await?;
    }
    for (code, name) in OSTFOLD {
        reference::insert_municipality(&txn, code, name, "NO", ostfold).await?;
    }
    for (key, name, region, members) in [
        ("dalsland", "Dalsland", fyrbodal, DALSLAND_CLUSTER),
        (
            "norra-bohuslan",
            "Norra Bohuslän",
            fyrbodal,
            NORRA_BOHUSLAN_CLUSTER,
        ),
        (
            "nedre-glomma",
            "Nedre Glomma",
            ostfold,
            NEDRE_GLOMMA_CLUSTER,
        ),
    ] {
        let record = reference::ClusterRecord {
            id: stable_id("cluster", key),
            key: key.to_owned(),
            name: name.to_owned(),
            region_id: region,
            municipalities: members.iter().map(|c| (*c).to_owned()).collect(),
        };
        reference::insert_cluster(&txn, &record).await?;
    }
    let all_fyrbodal: Vec<&str> = FYRBODAL.iter().map(|(c, _)| *c).collect();
    let all_ostfold: Vec<&str> = OSTFOLD.iter().map(|(c, _)| *c).collect();
    // Parents first: escalation goes local -> cluster -> sub-region.
    let specs: [PlatformSeed; 7] = [
        (
            platforms::FYRBODAL,
            "Fyrbodal – delregional kompetensplattform",
            PlatformModel::LocalPlatform,
            fyrbodal,
            None,
            Some("subregional"),
            None,
            all_fyrbodal,
        ),
        (
            platforms::OSTFOLD_FORUM,
            "Kompetanseforum Østfold",
            PlatformModel::Forum,
            ostfold,
            None,
            None,
            None,
            all_ostfold,
        ),
        (
            platforms::DALSLAND,
            "Dalslands kompetensplattform",
            PlatformModel::LocalPlatform,
            fyrbodal,
            Some("dalsland"),
            Some("cluster"),
            Some(platforms::FYRBODAL),
            DALSLAND_CLUSTER.to_vec(),
        ),
        (
            platforms::UDDEVALLA,
            "Lokal kompetensplattform Uddevalla",
            PlatformModel::LocalPlatform,
            fyrbodal,
            None,
            Some("municipal"),
            Some(platforms::FYRBODAL),
            vec!["1485"],
        ),
        (
            platforms::TANUM,
            "Lokal kompetensplattform Tanum",
            PlatformModel::LocalPlatform,
            fyrbodal,
            None,
            Some("municipal"),
            Some(platforms::FYRBODAL),
            vec!["1435"],
        ),
        (
            platforms::DALS_ED,
            "Lokal kompetensplattform Dals-Ed",
            PlatformModel::LocalPlatform,
            fyrbodal,
            None,
            Some("cluster"),
            Some(platforms::DALSLAND),
            vec!["1438"],
        ),
        (
            platforms::BENGTSFORS,
            "Lokal kompetensplattform Bengtsfors",
            PlatformModel::LocalPlatform,
            fyrbodal,
            None,
            Some("cluster"),
            Some(platforms::DALSLAND),
            vec!["1460"],
        ),
    ];
    for (key, name, model, region, cluster, arrangement, parent, members) in specs {
        let record = reference::PlatformRecord {
            id: platform_id(key),
            key: key.to_owned(),
            name: name.to_owned(),
            model,
            region_id: region,
            cluster_id: cluster.map(|c| stable_id("cluster", c)),
            broker_arrangement: arrangement.map(str::to_owned),
            parent_id: parent.map(platform_id),
            settings: MatchingSettings::default(),
            contact_person_ids: Vec::new(),
            municipalities: members.into_iter().map(str::to_owned).collect(),
            active_from: None,
            active_to: None,
        };
        reference::insert_platform(&txn, &record).await?;
    }
    seed_groups(&txn).await?;
    crate::starter_taxonomy::seed(&txn).await?;
    txn.commit().await?;
    Ok(true)
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap_or_default()
}

/// The forum renews its structure every two years (2025-2026, 2027-2028, ...): the period that
/// holds `today`. The seeded groups belong to the period current when the database is created.
pub fn forum_period(today: NaiveDate) -> (NaiveDate, NaiveDate) {
    use chrono::Datelike;
    let first_year = today.year() - (today.year() - 2025).rem_euclid(2);
    (date(first_year, 1, 1), date(first_year + 1, 12, 31))
}

async fn seed_groups(txn: &impl sea_orm::ConnectionTrait) -> Result<(), SeedError> {
    let (start, end) = forum_period(chrono::Utc::now().date_naive());
    let end = Some(end);
    let forum = platform_id(platforms::OSTFOLD_FORUM);
    let bodies: [(&str, &str, &str, Option<&str>); 6] = [
        ("styringsgruppe", "Styringsgruppe", "steering_group", None),
        (
            "koordineringsteam",
            "Koordineringsteam",
            "coordination_team",
            None,
        ),
        (
            "arbeidslivsrelevans",
            "Kompetansegruppe arbeidslivsrelevans",
            "competence_group",
            Some("work_life_relevance"),
        ),
        (
            "livslang-laering",
            "Kompetansegruppe livslang læring",
            "competence_group",
            Some("lifelong_learning"),
        ),
        (
            "inkludering",
            "Kompetansegruppe inkludering og integrering",
            "competence_group",
            Some("inclusion_and_integration"),
        ),
        ("deltakerforum", "Deltakerforum", "participant_forum", None),
    ];
    for (key, name, kind, focus) in bodies {
        let group = Group {
            id: stable_id("group", key),
            platform_id: forum,
            name: Name::parse(name).map_err(|e| invalid("group", key, e))?,
            kind: GroupKind::parse(kind).map_err(|e| invalid("group", key, e))?,
            focus_area: focus
                .map(FocusArea::parse)
                .transpose()
                .map_err(|e| invalid("group", key, e))?,
            industry: None,
            period: Period { start, end },
        };
        forum::create_group(txn, &group).await?;
    }
    for key in [
        platforms::UDDEVALLA,
        platforms::TANUM,
        platforms::DALS_ED,
        platforms::BENGTSFORS,
        platforms::DALSLAND,
    ] {
        let council = Group {
            id: stable_id("group", &format!("council-{key}")),
            platform_id: platform_id(key),
            name: Name::parse(&format!("Lokalt kompetensråd {key}"))
                .map_err(|e| invalid("group", key, e))?,
            kind: GroupKind::LocalCompetenceCouncil,
            focus_area: None,
            industry: None,
            period: Period {
                start: date(2025, 1, 1),
                end: None,
            },
        };
        forum::create_group(txn, &council).await?;
    }
    Ok(())
}

/// Loads reference data if missing, then the demo data set if no organisation exists yet.
/// Returns whether demo data was loaded.
pub async fn seed_if_empty(settings: &Settings) -> Result<bool, SeedError> {
    let store = Store::connect(&settings.database_url).await?;
    let setup = store.lock_setup().await?;
    let loaded = seed_demo(&store, Utc::now().date_naive()).await;
    setup.release().await?;
    store.close().await?;
    loaded
}

/// Loads the demo data set into `store` (reference data first when missing).
pub async fn seed_demo(store: &Store, today: NaiveDate) -> Result<bool, SeedError> {
    seed_reference(store).await?;
    if reference::list_organisations(store.conn(), None, None, 1, 0)
        .await?
        .total
        > 0
    {
        return Ok(false);
    }
    let txn = store.begin().await?;
    let orgs = data::organisations()?;
    let mut org_ids = HashMap::new();
    for o in &orgs {
        let country = broker_domain::geo::Country::parse(&o.country)
            .map_err(|e| invalid("organisation", &o.key, e))?;
        let kind =
            OrganisationKind::parse(&o.kind).map_err(|e| invalid("organisation", &o.key, e))?;
        let number = o
            .org_number
            .as_deref()
            .map(|n| OrgNumber::parse(country, n))
            .transpose()
            .map_err(|e| invalid("organisation", &o.key, e))?;
        let id = stable_id("organisation", &o.key);
        reference::insert_organisation(
            &txn,
            reference::NewOrganisation {
                id,
                name: o.name.clone(),
                kind,
                country,
                org_number: number.map(|n| n.digits().to_owned()),
                municipality: o.municipality.clone(),
                website: o.website.clone(),
            },
        )
        .await?;
        org_ids.insert(o.key.clone(), id);
    }
    for p in data::people()? {
        let record = reference::PersonRecord {
            id: stable_id("person", &p.key),
            name: p.name.clone(),
            email: p.email.clone(),
            phone: p.phone.clone(),
            organisation_id: p
                .organisation
                .as_ref()
                .and_then(|k| org_ids.get(k).copied()),
            roles: p.roles.clone(),
            municipalities: p.municipalities.clone(),
            areas: p.areas.iter().map(|k| stable_id("concept", k)).collect(),
            area_text: p.area_text.clone(),
        };
        reference::insert_person(&txn, &record).await?;
        for role in &p.roles {
            let group = match role.as_str() {
                "steering_group" => Some("styringsgruppe"),
                "coordination_team" => Some("koordineringsteam"),
                "competence_group" => Some("arbeidslivsrelevans"),
                _ => None,
            };
            if let Some(group) = group {
                let membership = Membership {
                    id: stable_id("membership", &format!("{}-{group}", p.key)),
                    group_id: stable_id("group", group),
                    person_id: Some(record.id),
                    organisation_id: record.organisation_id,
                    role: Name::parse("member").map_err(|e| invalid("membership", group, e))?,
                    mandate_given: true,
                    member_from: forum_period(chrono::Utc::now().date_naive()).0,
                    member_until: None,
                };
                forum::add_membership(&txn, &membership).await?;
            }
        }
    }
    for o in data::offers()? {
        let draft = OfferDraft {
            provider_id: org_ids.get(&o.provider).copied(),
            title: o.title.clone(),
            description: o.description.clone(),
            language: o.language.clone(),
            competence_ids: o
                .competences
                .iter()
                .map(|k| stable_id("concept", k))
                .collect(),
            competence_labels: Vec::new(),
            level: o.level,
            delivery: o.delivery.clone(),
            cost_minor: o.cost_minor,
            currency: o.currency.clone(),
            validation_offered: o.validation_offered,
            link: o.link.clone(),
            support_tools: o.support_tools.clone(),
            support_tool_links: Vec::new(),
            instances: o
                .instances
                .iter()
                .enumerate()
                .map(|(i, inst)| InstanceDraft {
                    id: Some(stable_id("instance", &format!("{}-{i}", o.key))),
                    start: Some(inst.start),
                    end: inst.end,
                    municipality: inst.municipality.clone(),
                    place: None,
                    distance: inst.distance,
                    pace_percent: inst.pace_percent,
                    seats: inst.seats,
                    application_deadline: inst.application_deadline,
                })
                .collect(),
        };
        let spec = OfferSpec::parse(draft).map_err(|e| invalid("offer", &o.key, e))?;
        let status = OfferStatus::parse(&o.status).map_err(|e| invalid("offer", &o.key, e))?;
        offers::insert(&txn, stable_id("offer", &o.key), &spec, status, today).await?;
    }
    for n in data::needs()? {
        let draft = NeedDraft {
            municipality: n.municipality.clone(),
            platform_id: None,
            employer_id: n.employer.as_ref().and_then(|k| org_ids.get(k).copied()),
            title: n.title.clone(),
            description: n.description.clone(),
            purpose: n.purpose.clone(),
            headcount: n.headcount,
            needed_by: n.needed_by,
            expires_on: None,
            wanted_level: n.wanted_level,
            occupation_id: n.occupation.as_ref().map(|k| stable_id("concept", k)),
            delivery: n
                .delivery
                .as_ref()
                .map(|d| (d.on_site, d.distance, d.part_time)),
            competences: n
                .competences
                .iter()
                .map(|c| RequirementDraft {
                    concept_id: c.key.as_ref().map(|k| stable_id("concept", k)),
                    label: Some(c.label.clone()),
                    importance: Some(
                        if c.must_have {
                            "must_have"
                        } else {
                            "nice_to_have"
                        }
                        .to_owned(),
                    ),
                    level: c.level,
                })
                .collect(),
            support_tool_links: Vec::new(),
        };
        let spec = NeedSpec::parse(draft, today).map_err(|e| invalid("need", &n.key, e))?;
        let platform = reference::home_platform_for(&txn, spec.municipality.as_str())
            .await?
            .ok_or_else(|| invalid("need", &n.key, "no platform serves its municipality"))?;
        let status = match n.status.as_str() {
            "draft" => NeedStatus::Draft,
            _ => NeedStatus::Open,
        };
        let expires_on = today
            .checked_add_days(Days::new(u64::from(platform.settings.need_ttl_days)))
            .unwrap_or(today);
        let id = stable_id("need", &n.key);
        let entered_by = n.entered_by.clone().unwrap_or_else(|| "demo".to_owned());
        needs::insert(
            &txn,
            &needs::NewNeed {
                id,
                spec,
                platform_id: platform.id,
                entered_by,
                status,
                expires_on,
            },
        )
        .await?;
        if n.status == "in_review" {
            needs::transition(&txn, id, None, NeedAction::StartReview).await?;
        }
    }
    txn.commit().await?;
    Ok(true)
}

/// Ready-made tokens for each role, signed with the configured secret or the demo secret.
pub fn demo_tokens(settings: &Settings) -> Vec<(String, String)> {
    use secrecy::ExposeSecret;
    let secret = settings.jwt.secret.as_ref().map_or_else(
        || DEMO_JWT_SECRET.to_owned(),
        |s| s.expose_secret().to_owned(),
    );
    demo_claims(settings, 12 * 3600)
        .into_iter()
        .filter_map(|(label, claims)| {
            crate::auth::mint_hs256(&secret, &claims)
                .ok()
                .map(|t| (label, t))
        })
        .collect()
}

/// The demo identities: one per role and arrangement.
pub fn demo_claims(settings: &Settings, ttl_seconds: u64) -> Vec<(String, Claims)> {
    let now = jsonwebtoken::get_current_timestamp();
    let claims = |sub: &str,
                  role: Role,
                  municipalities: &[&str],
                  platforms: &[&str],
                  organisation: Option<&str>| Claims {
        sub: sub.to_owned(),
        role,
        municipalities: municipalities.iter().map(|m| (*m).to_owned()).collect(),
        platforms: platforms.iter().map(|p| platform_id(p)).collect(),
        organisation: organisation.map(|o| stable_id("organisation", o)),
        exp: now + ttl_seconds,
        iat: Some(now),
        iss: settings.jwt.issuer.clone(),
        aud: settings.jwt.audience.clone(),
    };
    vec![
        (
            "admin".to_owned(),
            claims("demo-admin", Role::Admin, &[], &[], None),
        ),
        (
            "municipal contact, Dals-Ed (1438)".to_owned(),
            claims(
                "p_dalsed_contact",
                Role::MunicipalContact,
                &["1438"],
                &[],
                None,
            ),
        ),
        (
            "municipal contact, Uddevalla (1485)".to_owned(),
            claims(
                "p_uddevalla_contact",
                Role::MunicipalContact,
                &["1485"],
                &[],
                None,
            ),
        ),
        (
            "municipal contact, Fredrikstad (3107)".to_owned(),
            claims(
                "p_no_fredrikstad_contact",
                Role::MunicipalContact,
                &["3107"],
                &[],
                None,
            ),
        ),
        (
            "broker, Uddevalla platform".to_owned(),
            claims(
                "p_broker_uddevalla",
                Role::Broker,
                &["1485"],
                &[platforms::UDDEVALLA],
                None,
            ),
        ),
        (
            "cluster broker, Dalsland".to_owned(),
            claims(
                "p_broker_dalsland",
                Role::Broker,
                DALSLAND_CLUSTER,
                &[
                    platforms::DALSLAND,
                    platforms::DALS_ED,
                    platforms::BENGTSFORS,
                ],
                None,
            ),
        ),
        (
            "sub-regional broker, Fyrbodal".to_owned(),
            claims(
                "p_broker_fyrbodal",
                Role::Broker,
                &[],
                &[platforms::FYRBODAL],
                None,
            ),
        ),
        (
            "coordination team, Kompetanseforum Østfold".to_owned(),
            claims(
                "p_no_fylke_koord",
                Role::Broker,
                &[],
                &[platforms::OSTFOLD_FORUM],
                None,
            ),
        ),
        (
            "provider, Vuxenutbildningen Dalsland".to_owned(),
            claims(
                "p_vux_dalsland",
                Role::Provider,
                &[],
                &[],
                Some("se_vux_dalsland"),
            ),
        ),
        (
            "employer, Stallbacka Svets".to_owned(),
            claims(
                "p_stallbacka_svets",
                Role::Employer,
                &["1488"],
                &[],
                Some("se_stallbacka_svets"),
            ),
        ),
    ]
}

#[cfg(test)]
mod period_tests {
    use super::*;

    #[test]
    fn the_forum_period_is_the_two_years_holding_today() {
        for (today, start, end) in [
            ((2025, 1, 1), (2025, 1, 1), (2026, 12, 31)),
            ((2026, 11, 23), (2025, 1, 1), (2026, 12, 31)),
            ((2027, 1, 1), (2027, 1, 1), (2028, 12, 31)),
            ((2024, 6, 1), (2023, 1, 1), (2024, 12, 31)),
        ] {
            let day = |(y, m, d)| date(y, m, d);
            assert_eq!(
                forum_period(day(today)),
                (day(start), day(end)),
                "{today:?}"
            );
        }
    }
}
