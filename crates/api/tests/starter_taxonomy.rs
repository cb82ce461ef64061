//! The starter taxonomy in existing databases: a release that ships more of it brings the stored
//! concepts up to it once, and an ESCO import that names a starter concept by its URI adopts it
//! without losing the shipped labels (SQLite by default, PostgreSQL when
//! `BROKER_TEST_DATABASE_URL` is set).

#![expect(
    clippy::expect_used,
    reason = "test set-up failures should stop the test loudly"
)]

use broker_api::demo::seed_reference;
use broker_api::matcher::build_taxonomy_from;
use broker_api::starter_taxonomy::{self, Upgrade};
use broker_api::taxonomy_import::import_skills;
use broker_matching::esco::EscoSkill;
use broker_store::repo::taxonomy::{self, ConceptRecord};
use broker_store::{Store, testing};

async fn seeded() -> (Store, testing::TestDatabase) {
    let db = testing::fresh_database().await.expect("database");
    let store = Store::connect(&db.url).await.expect("connect and migrate");
    assert!(seed_reference(&store).await.expect("seed"));
    (store, db)
}

/// The shipped starter concept with the most alternative labels (so dropping them is visible).
fn richest_shipped_competence() -> ConceptRecord {
    starter_taxonomy::records(0)
        .expect("shipped file")
        .into_iter()
        .filter(|c| c.kind == broker_domain::taxonomy::ConceptKind::Competence)
        .max_by_key(|c| (c.labels.len(), c.key.clone()))
        .expect("a competence")
}

fn sorted_labels(c: &ConceptRecord) -> Vec<(String, String, bool)> {
    let mut out: Vec<_> = c
        .labels
        .iter()
        .map(|l| (l.lang.clone(), l.text.clone(), l.preferred))
        .collect();
    out.sort();
    out
}

#[tokio::test]
async fn a_fresh_database_is_already_current() {
    let (store, _db) = seeded().await;
    let before = taxonomy::current_version(store.conn()).await.expect("v");
    assert_eq!(
        starter_taxonomy::upgrade(&store).await.expect("upgrade"),
        Upgrade::default()
    );
    assert_eq!(
        taxonomy::current_version(store.conn()).await.expect("v"),
        before
    );
}

#[tokio::test]
async fn an_older_starter_taxonomy_is_brought_up_to_the_shipped_one_once() {
    let (store, _db) = seeded().await;
    let shipped = richest_shipped_competence();
    // What an earlier release stored: the preferred labels only, and no ESCO URI.
    let mut older = taxonomy::get(store.conn(), shipped.id).await.expect("get");
    older.labels.retain(|l| l.preferred);
    older.esco_uri = None;
    taxonomy::update(store.conn(), &older)
        .await
        .expect("make it older");

    let upgrade = starter_taxonomy::upgrade(&store).await.expect("upgrade");
    let version = upgrade.version.expect("a new taxonomy version");
    assert_eq!((upgrade.created, upgrade.updated), (0, 1));
    let now = taxonomy::get(store.conn(), shipped.id).await.expect("get");
    assert_eq!(sorted_labels(&now), sorted_labels(&shipped));
    assert_eq!(now.esco_uri, shipped.esco_uri);
    assert_eq!(now.changed_in_version, version);
    assert_eq!(
        taxonomy::current_version(store.conn()).await.expect("v"),
        version
    );

    assert_eq!(
        starter_taxonomy::upgrade(&store).await.expect("again"),
        Upgrade::default(),
        "a second start changes nothing"
    );
}

#[tokio::test]
async fn an_import_adopts_a_starter_concept_by_its_uri_and_keeps_the_shipped_labels() {
    let (store, _db) = seeded().await;
    let shipped = richest_shipped_competence();
    let uri = "http://data.europa.eu/esco/skill/0000-adopted";
    let mut starter = taxonomy::get(store.conn(), shipped.id).await.expect("get");
    starter.esco_uri = Some(uri.to_owned());
    taxonomy::update(store.conn(), &starter)
        .await
        .expect("give it a URI");

    let skill = EscoSkill {
        uri: uri.to_owned(),
        concept_type: "KnowledgeSkillCompetence".to_owned(),
        skill_type: Some("skill/competence".to_owned()),
        preferred_label: "importerat begrepp för test".to_owned(),
        alt_labels: vec!["importerad synonym för test".to_owned()],
        hidden_labels: vec![],
        status: "released".to_owned(),
        modified: None,
        description: None,
    };
    let report = import_skills(
        &store,
        std::slice::from_ref(&skill),
        "sv",
        false,
        "test import",
    )
    .await
    .expect("import");
    assert_eq!((report.created, report.updated), (0, 1));

    let adopted = taxonomy::get(store.conn(), shipped.id).await.expect("get");
    assert_eq!(adopted.key, None, "the import owns it now");
    let sv: Vec<(&str, bool)> = adopted
        .labels
        .iter()
        .filter(|l| l.lang == "sv")
        .map(|l| (l.text.as_str(), l.preferred))
        .collect();
    assert!(
        sv.contains(&("importerat begrepp för test", true)),
        "{sv:?}"
    );
    assert!(
        sv.contains(&("importerad synonym för test", false)),
        "{sv:?}"
    );
    for l in shipped.labels.iter().filter(|l| l.lang == "sv") {
        assert!(
            sv.contains(&(l.text.as_str(), false)),
            "shipped label {:?} kept as an alternative: {sv:?}",
            l.text
        );
    }
    assert_eq!(
        adopted.labels.iter().filter(|l| l.lang == "nb").count(),
        shipped.labels.iter().filter(|l| l.lang == "nb").count(),
        "other languages untouched"
    );

    // Without the starter taxonomy the adopted concept stays, and its shipped words still find it.
    let concepts = taxonomy::all(store.conn()).await.expect("all");
    let without_starter = build_taxonomy_from(&concepts, false);
    let shipped_sv = shipped
        .labels
        .iter()
        .find(|l| l.lang == "sv" && l.preferred)
        .expect("sv preferred");
    assert_eq!(
        without_starter
            .resolve_best(&shipped_sv.text)
            .map(|r| r.concept_id),
        Some(shipped.id)
    );

    // The upgrade has nothing to add, and the same import again changes nothing either.
    assert_eq!(
        starter_taxonomy::upgrade(&store).await.expect("upgrade"),
        Upgrade::default()
    );
    let again = import_skills(&store, &[skill], "sv", false, "test import again")
        .await
        .expect("import again");
    assert_eq!((again.updated, again.unchanged), (0, 1));
}
