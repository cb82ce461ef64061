//! The structure version: every committed write to regions, municipalities, clusters, people
//! or platforms counts it up; reads, other writes and rolled-back writes leave it.

#![expect(
    clippy::expect_used,
    reason = "test set-up failures should stop the test loudly"
)]

use broker_domain::platform::MatchingSettings;
use broker_store::repo::reference::{self, PersonRecord, PlatformRecord};
use broker_store::{Store, testing};
use uuid::Uuid;

#[tokio::test]
async fn structure_writes_count_the_version_up_when_they_commit() {
    let db = testing::fresh_database().await.expect("database");
    let store = Store::connect(&db.url).await.expect("connect and migrate");
    let conn = store.conn();
    let version = || reference::structure_version(conn);
    assert_eq!(version().await.expect("read"), 0, "a new database");

    let region = Uuid::now_v7();
    reference::insert_region(conn, region, "fyrbodal", "Fyrbodal", "SE")
        .await
        .expect("region");
    reference::insert_municipality(conn, "1438", "Dals-Ed", "SE", region)
        .await
        .expect("municipality");
    let after_inserts = version().await.expect("read");
    assert!(after_inserts >= 2, "{after_inserts}");

    let mut platform = PlatformRecord {
        id: Uuid::now_v7(),
        key: "dals-ed".into(),
        name: "Dals-Ed".into(),
        model: broker_domain::platform::PlatformModel::LocalPlatform,
        region_id: region,
        cluster_id: None,
        broker_arrangement: None,
        parent_id: None,
        settings: MatchingSettings::default(),
        contact_person_ids: Vec::new(),
        municipalities: vec!["1438".into()],
        active_from: None,
        active_to: None,
    };
    reference::insert_platform(conn, &platform)
        .await
        .expect("platform");
    let before = version().await.expect("read");
    platform.name = "Lokal kompetensplattform Dals-Ed".into();
    reference::update_platform(conn, &platform)
        .await
        .expect("update");
    let after_update = version().await.expect("read");
    assert!(after_update > before, "{before} -> {after_update}");
    let stored = reference::get_platform(conn, platform.id)
        .await
        .expect("read back");
    assert_eq!(stored.name, platform.name);
    assert_eq!(stored.municipalities, ["1438"], "members kept");

    // Reads and an unknown row leave it (the failed write is rolled back with its count).
    reference::list_platforms(conn).await.expect("list");
    let txn = store.begin().await.expect("begin");
    let missing = PersonRecord {
        id: Uuid::now_v7(),
        name: "Nobody".into(),
        email: None,
        phone: None,
        organisation_id: None,
        roles: Vec::new(),
        municipalities: Vec::new(),
        areas: Vec::new(),
        area_text: Vec::new(),
    };
    assert!(reference::update_person(&txn, &missing).await.is_err());
    drop(txn);
    assert_eq!(version().await.expect("read"), after_update);

    // A write rolled back leaves it too.
    let txn = store.begin().await.expect("begin");
    reference::rename_region(&txn, region, "Fyrbodal (ändrad)")
        .await
        .expect("rename");
    drop(txn);
    assert_eq!(version().await.expect("read"), after_update);
    assert_eq!(
        reference::get_region(conn, region)
            .await
            .expect("region")
            .region
            .name
            .as_str(),
        "Fyrbodal"
    );
}
