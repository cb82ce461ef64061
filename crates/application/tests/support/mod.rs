//! What the application crate's database tests share: a fresh store with a region and its
//! municipalities, actors, platforms, organisations and needs.

#![allow(
    dead_code,
    reason = "each test binary uses a different subset of the helpers"
)]
#![expect(
    clippy::expect_used,
    reason = "test set-up failures should stop the test loudly"
)]

use broker_application::{Actor, Role};
use broker_domain::need::{NeedDraft, NeedSpec, NeedStatus, RequirementDraft};
use broker_domain::platform::MatchingSettings;
use broker_store::repo::{needs, reference};
use broker_store::{Store, testing};
use chrono::NaiveDate;
use uuid::Uuid;

pub const DALS_ED: &str = "1438";
pub const BENGTSFORS: &str = "1460";

pub fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 23).expect("date")
}

/// An actor of `role` with no scope yet (fill in what the test needs).
pub fn actor(role: Role) -> Actor {
    Actor {
        role,
        subject: format!("{role:?}"),
        organisation: None,
        municipalities: Vec::new(),
        platforms: Vec::new(),
    }
}

/// A fresh, migrated store with the Fyrbodal region and `municipalities` (code, name) in it;
/// returns the region's id too.
pub async fn store_with(municipalities: &[(&str, &str)]) -> (testing::TestDatabase, Store, Uuid) {
    let db = testing::fresh_database().await.expect("database");
    let store = Store::connect(&db.url).await.expect("connect and migrate");
    let region = Uuid::now_v7();
    reference::insert_region(store.conn(), region, "fyrbodal", "Fyrbodal", "SE")
        .await
        .expect("region");
    for (code, name) in municipalities {
        reference::insert_municipality(store.conn(), code, name, "SE", region)
            .await
            .expect("municipality");
    }
    (db, store, region)
}

/// A local platform serving one municipality.
pub async fn platform(store: &Store, region: Uuid, key: &str, municipality: &str) -> Uuid {
    let id = Uuid::now_v7();
    reference::insert_platform(
        store.conn(),
        &reference::PlatformRecord {
            id,
            key: key.into(),
            name: key.into(),
            model: broker_domain::platform::PlatformModel::LocalPlatform,
            region_id: region,
            cluster_id: None,
            broker_arrangement: None,
            parent_id: None,
            settings: MatchingSettings::default(),
            contact_person_ids: vec![],
            municipalities: vec![municipality.into()],
            active_from: None,
            active_to: None,
        },
    )
    .await
    .expect("platform");
    id
}

/// A Swedish organisation of `kind` in `municipality`.
pub async fn organisation(
    store: &Store,
    name: &str,
    kind: broker_domain::organisation::OrganisationKind,
    municipality: &str,
) -> Uuid {
    let id = Uuid::now_v7();
    reference::insert_organisation(
        store.conn(),
        reference::NewOrganisation {
            id,
            name: name.into(),
            kind,
            country: broker_domain::geo::Country::Se,
            org_number: None,
            municipality: Some(municipality.into()),
            website: None,
        },
    )
    .await
    .expect("organisation");
    id
}

/// What varies between the welding needs the tests store.
pub struct TestNeed {
    pub municipality: &'static str,
    pub platform: Uuid,
    pub employer: Option<Uuid>,
    pub headcount: i64,
    pub status: NeedStatus,
}

/// Stores a need for a MIG/MAG welder; returns its id.
pub async fn need(store: &Store, n: TestNeed) -> Uuid {
    let spec = NeedSpec::parse(
        NeedDraft {
            municipality: n.municipality.into(),
            employer_id: n.employer,
            title: "Svetsare till verkstad".into(),
            purpose: "recruitment".into(),
            headcount: n.headcount,
            competences: vec![RequirementDraft {
                label: Some("MIG/MAG-svetsning".into()),
                ..Default::default()
            }],
            ..Default::default()
        },
        today(),
    )
    .expect("valid need");
    let id = Uuid::now_v7();
    needs::insert(
        store.conn(),
        &needs::NewNeed {
            id,
            spec,
            platform_id: n.platform,
            entered_by: "test".into(),
            status: n.status,
            expires_on: today(),
        },
    )
    .await
    .expect("need");
    id
}
