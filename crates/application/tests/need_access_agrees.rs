//! The need access policy checked against a real database: for every kind of actor, the rows the
//! list scope lets through are exactly the needs `may_see` admits. SQLite by default, PostgreSQL
//! when `BROKER_TEST_DATABASE_URL` is set.

#![expect(
    clippy::expect_used,
    reason = "test set-up failures should stop the test loudly"
)]

use std::collections::BTreeSet;

use broker_application::access::NeedAccess;
use broker_application::{Actor, Role};
use broker_domain::need::{NeedDraft, NeedSpec, NeedStatus, RequirementDraft};
use broker_domain::platform::MatchingSettings;
use broker_store::repo::needs::{self, NeedFilter};
use broker_store::repo::reference;
use broker_store::{Store, testing};
use chrono::NaiveDate;
use uuid::Uuid;

const DALS_ED: &str = "1438";
const BENGTSFORS: &str = "1460";

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 23).expect("date")
}

fn actor(role: Role) -> Actor {
    Actor {
        role,
        subject: format!("{role:?}"),
        organisation: None,
        municipalities: Vec::new(),
        platforms: Vec::new(),
    }
}

async fn platform(store: &Store, region: Uuid, key: &str, municipality: &str) -> Uuid {
    let id = Uuid::now_v7();
    reference::insert_platform(
        store.conn(),
        &reference::PlatformRecord {
            id,
            key: key.into(),
            name: key.into(),
            model: "local_platform".into(),
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

async fn employer(store: &Store, name: &str) -> Uuid {
    let id = Uuid::now_v7();
    reference::insert_organisation(
        store.conn(),
        reference::NewOrganisation {
            id,
            name: name.into(),
            kind: "employer".into(),
            country: "SE".into(),
            org_number: None,
            municipality: Some(DALS_ED.into()),
            website: None,
        },
    )
    .await
    .expect("organisation");
    id
}

async fn need(store: &Store, municipality: &str, platform: Uuid, employer: Option<Uuid>) {
    let spec = NeedSpec::parse(
        NeedDraft {
            municipality: municipality.into(),
            employer_id: employer,
            title: "Svetsare till verkstad".into(),
            purpose: "recruitment".into(),
            headcount: 1,
            competences: vec![RequirementDraft {
                label: Some("MIG/MAG-svetsning".into()),
                ..Default::default()
            }],
            ..Default::default()
        },
        today(),
    )
    .expect("valid need");
    needs::insert(
        store.conn(),
        &needs::NewNeed {
            id: Uuid::now_v7(),
            spec,
            platform_id: platform,
            entered_by: "test".into(),
            status: NeedStatus::Open,
            expires_on: today(),
        },
    )
    .await
    .expect("need");
}

#[tokio::test]
async fn the_list_scope_lets_through_exactly_the_needs_each_actor_may_see() {
    let db = testing::fresh_database().await.expect("database");
    let store = Store::connect(&db.url).await.expect("connect and migrate");
    let region = Uuid::now_v7();
    reference::insert_region(store.conn(), region, "fyrbodal", "Fyrbodal", "SE")
        .await
        .expect("region");
    for (code, name) in [(DALS_ED, "Dals-Ed"), (BENGTSFORS, "Bengtsfors")] {
        reference::insert_municipality(store.conn(), code, name, "SE", region)
            .await
            .expect("municipality");
    }
    let dals_ed = platform(&store, region, "dals-ed", DALS_ED).await;
    let bengtsfors = platform(&store, region, "bengtsfors", BENGTSFORS).await;
    let verkstad = employer(&store, "Verkstad AB").await;
    let sagverk = employer(&store, "Sågverk AB").await;
    for (code, on) in [(DALS_ED, dals_ed), (BENGTSFORS, bengtsfors)] {
        for by in [None, Some(verkstad), Some(sagverk)] {
            need(&store, code, on, by).await;
        }
    }
    let everything = needs::list(store.conn(), &NeedFilter::default(), 200, 0)
        .await
        .expect("all needs");
    assert_eq!(everything.items.len(), 6);

    // Each actor with how many of the six needs it sees, so no agreement is an empty one by accident.
    let actors = [
        (actor(Role::Admin), 6),
        (
            Actor {
                municipalities: vec![DALS_ED.into()],
                ..actor(Role::MunicipalContact)
            },
            3,
        ),
        (
            Actor {
                organisation: Some(verkstad),
                ..actor(Role::Employer)
            },
            2,
        ),
        (actor(Role::Employer), 0),
        (
            Actor {
                platforms: vec![bengtsfors],
                ..actor(Role::Broker)
            },
            3,
        ),
    ];
    for (actor, expected) in &actors {
        let mut filter = NeedFilter::default();
        NeedAccess::list_scope(actor)
            .expect("these actors list needs")
            .restrict(&mut filter);
        let listed: BTreeSet<Uuid> = needs::list(store.conn(), &filter, 200, 0)
            .await
            .expect("scoped list")
            .items
            .iter()
            .map(|r| r.need.id)
            .collect();
        let seen: BTreeSet<Uuid> = everything
            .items
            .iter()
            .filter(|r| NeedAccess::may_see(actor, &r.need))
            .map(|r| r.need.id)
            .collect();
        assert_eq!(listed, seen, "{actor:?}");
        assert_eq!(seen.len(), *expected, "{actor:?}");
    }
    let provider = actor(Role::Provider);
    assert!(NeedAccess::list_scope(&provider).is_err());
    assert!(
        !everything
            .items
            .iter()
            .any(|r| NeedAccess::may_see(&provider, &r.need))
    );
}
