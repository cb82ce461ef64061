//! Repository behaviour on a fresh database: SQLite by default, PostgreSQL when
//! `BROKER_TEST_DATABASE_URL` is set (the CI runs both).

#![expect(
    clippy::expect_used,
    reason = "test set-up failures should stop the test loudly"
)]

use broker_domain::matching::{Decision, DecisionInput, MatchKind, MatchStatus};
use broker_domain::need::{NeedAction, NeedDraft, NeedSpec, NeedStatus, RequirementDraft};
use broker_domain::offer::{InstanceDraft, OfferAction, OfferDraft, OfferSpec, OfferStatus};
use broker_domain::platform::MatchingSettings;
use broker_store::changes::ChangeCursor;
use broker_store::repo::{
    audit, idempotency, matches, matching_jobs, needs, offers, reference, taxonomy,
};
use broker_store::{Store, StoreError, testing};
use chrono::NaiveDate;
use sea_orm::TransactionTrait;
use uuid::Uuid;

fn today() -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 11, 23).expect("date")
}

struct Fixture {
    store: Store,
    platform: Uuid,
    provider: Uuid,
    concept: Uuid,
    _db: testing::TestDatabase,
}

async fn fixture() -> Fixture {
    let db = testing::fresh_database().await.expect("database");
    let store = Store::connect(&db.url).await.expect("connect and migrate");
    let conn = store.conn();
    let region = Uuid::now_v7();
    reference::insert_region(conn, region, "fyrbodal", "Fyrbodal", "SE")
        .await
        .expect("region");
    reference::insert_municipality(conn, "1438", "Dals-Ed", "SE", region)
        .await
        .expect("municipality");
    reference::insert_municipality(conn, "1460", "Bengtsfors", "SE", region)
        .await
        .expect("municipality");
    let platform = Uuid::now_v7();
    reference::insert_platform(
        conn,
        &reference::PlatformRecord {
            id: platform,
            key: "dals-ed".into(),
            name: "Dals-Ed".into(),
            model: broker_domain::platform::PlatformModel::LocalPlatform,
            region_id: region,
            cluster_id: None,
            broker_arrangement: Some("cluster".into()),
            parent_id: None,
            settings: MatchingSettings::default(),
            contact_person_ids: vec![],
            municipalities: vec!["1438".into()],
            active_from: None,
            active_to: None,
        },
    )
    .await
    .expect("platform");
    let provider = Uuid::now_v7();
    reference::insert_organisation(
        conn,
        reference::NewOrganisation {
            id: provider,
            name: "Vux Dalsland".into(),
            kind: broker_domain::organisation::OrganisationKind::EducationProvider,
            country: broker_domain::geo::Country::Se,
            org_number: Some("5560125790".into()),
            municipality: Some("1460".into()),
            website: None,
        },
    )
    .await
    .expect("organisation");
    let concept = Uuid::now_v7();
    let version = taxonomy::begin_version(conn, "test")
        .await
        .expect("version");
    taxonomy::insert_many(
        conn,
        &[taxonomy::ConceptRecord {
            id: concept,
            kind: broker_domain::taxonomy::ConceptKind::Competence,
            esco_uri: None,
            key: Some("omvardnad".into()),
            field: None,
            labels: vec![taxonomy::LabelRecord {
                lang: "sv".into(),
                text: "omvårdnad".into(),
                preferred: true,
            }],
            essential: vec![],
            optional: vec![],
            description: None,
            deprecated: false,
            replaced_by: None,
            created_in_version: version,
            changed_in_version: version,
        }],
    )
    .await
    .expect("concept");
    Fixture {
        store,
        platform,
        provider,
        concept,
        _db: db,
    }
}

fn need_spec(concept: Uuid, title: &str) -> NeedSpec {
    NeedSpec::parse(
        NeedDraft {
            municipality: "1438".into(),
            title: title.into(),
            purpose: "recruitment".into(),
            headcount: 4,
            needed_by: NaiveDate::from_ymd_opt(2027, 3, 1),
            competences: vec![
                RequirementDraft {
                    concept_id: Some(concept),
                    label: Some("omvårdnad".into()),
                    importance: None,
                    level: None,
                },
                RequirementDraft {
                    concept_id: None,
                    label: Some("demensvård".into()),
                    importance: Some("nice_to_have".into()),
                    level: Some(3),
                },
            ],
            ..NeedDraft::default()
        },
        today(),
    )
    .expect("valid need")
}

fn offer_spec(provider: Uuid, concept: Uuid) -> OfferSpec {
    OfferSpec::parse(OfferDraft {
        provider_id: Some(provider),
        title: "Undersköterska för vuxna".into(),
        delivery: "blended".into(),
        competence_ids: vec![concept],
        instances: vec![InstanceDraft {
            start: NaiveDate::from_ymd_opt(2027, 1, 18),
            municipality: Some("1460".into()),
            seats: Some(20),
            ..InstanceDraft::default()
        }],
        ..OfferDraft::default()
    })
    .expect("valid offer")
}

/// Inserts an open need in `conn` (a transaction the caller commits, or the pool).
async fn insert_need_in(conn: &impl sea_orm::ConnectionTrait, f: &Fixture, title: &str) -> Uuid {
    let id = Uuid::now_v7();
    needs::insert(
        conn,
        &needs::NewNeed {
            id,
            spec: need_spec(f.concept, title),
            platform_id: f.platform,
            entered_by: "tester".into(),
            status: NeedStatus::Open,
            expires_on: today(),
        },
    )
    .await
    .expect("insert need");
    id
}

async fn insert_need(f: &Fixture, title: &str) -> Uuid {
    let txn = f.store.begin().await.expect("txn");
    let id = insert_need_in(&txn, f, title).await;
    txn.commit().await.expect("commit");
    id
}

#[tokio::test]
async fn a_need_round_trips_with_its_competences() {
    let f = fixture().await;
    let id = insert_need(&f, "Undersköterskor till äldreomsorgen").await;
    let stored = needs::get(f.store.conn(), id).await.expect("get");
    assert_eq!(stored.need.spec, {
        let mut s = need_spec(f.concept, "Undersköterskor till äldreomsorgen");
        s.platform_id = Some(f.platform);
        s.expires_on = Some(today());
        s
    });
    assert_eq!(stored.need.status, NeedStatus::Open);
    assert_eq!(stored.need.version, 1);
    assert_eq!(stored.escalation_level, "local");
    let by_competence = needs::list(
        f.store.conn(),
        &needs::NeedFilter {
            competence: Some(f.concept),
            ..Default::default()
        },
        10,
        0,
    )
    .await
    .expect("list");
    assert_eq!(by_competence.total, 1);
    let other_municipality = needs::list(
        f.store.conn(),
        &needs::NeedFilter {
            scope_municipalities: Some(vec!["1460".into()]),
            ..Default::default()
        },
        10,
        0,
    )
    .await
    .expect("list");
    assert_eq!(other_municipality.total, 0);
}

#[tokio::test]
async fn a_page_of_needs_carries_each_needs_competences_in_order_and_the_whole_total() {
    let f = fixture().await;
    let mut ids = Vec::new();
    for title in ["Första behovet", "Andra behovet", "Tredje behovet"] {
        ids.push(insert_need(&f, title).await);
    }
    let filter = needs::NeedFilter::default();
    let list = |limit, offset| needs::list(f.store.conn(), &filter, limit, offset);
    let first = list(2, 0).await.expect("first page");
    assert_eq!(first.total, 3);
    // Newest first: ids are UUIDv7, so the last inserted is newest.
    let titles: Vec<&str> = first
        .items
        .iter()
        .map(|r| r.need.spec.title.as_str())
        .collect();
    assert_eq!(titles, ["Tredje behovet", "Andra behovet"]);
    for record in &first.items {
        let labels: Vec<&str> = record
            .need
            .spec
            .competences
            .iter()
            .map(|c| c.label.as_str())
            .collect();
        assert_eq!(
            labels,
            ["omvårdnad", "demensvård"],
            "competences of {}",
            record.need.spec.title.as_str()
        );
        let alone = needs::get(f.store.conn(), record.need.id)
            .await
            .expect("get");
        assert_eq!(
            (&record.need, &record.escalation_level),
            (&alone.need, &alone.escalation_level)
        );
    }
    let last = list(2, 2).await.expect("last page");
    assert_eq!((last.total, last.items.len()), (3, 1));
    assert_eq!(last.items[0].need.id, ids[0]);
    let past_the_end = list(2, 10).await.expect("a page past the end");
    assert_eq!((past_the_end.total, past_the_end.items.len()), (3, 0));
}

#[tokio::test]
async fn an_organisation_reads_back_typed_and_a_kind_nobody_wrote_is_reported_corrupt() {
    let f = fixture().await;
    let read = reference::get_organisation(f.store.conn(), f.provider)
        .await
        .expect("organisation");
    assert_eq!(
        read.kind,
        broker_domain::organisation::OrganisationKind::EducationProvider
    );
    assert_eq!(read.country, broker_domain::geo::Country::Se);
    assert_eq!(read.org_number.as_deref(), Some("5560125790"));
    // A value the domain does not know, as a hand edit of the database could leave.
    let txn = f.store.begin().await.expect("begin");
    {
        use broker_store::entity::organisation;
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
        organisation::Entity::update_many()
            .col_expr(organisation::Column::Kind, Expr::value("spaceship"))
            .filter(organisation::Column::Id.eq(f.provider))
            .exec(&txn)
            .await
            .expect("tamper");
    }
    txn.commit().await.expect("commit");
    let tampered = reference::get_organisation(f.store.conn(), f.provider).await;
    assert!(
        matches!(
            tampered,
            Err(StoreError::Corrupt {
                entity: "organisation kind",
                ..
            })
        ),
        "{tampered:?}"
    );
}

#[tokio::test]
async fn municipalities_regions_and_pilot_statuses_read_back_typed() {
    use broker_domain::geo::{Country, MunicipalityCode};
    use broker_domain::platform::{PilotStage, PilotStatus};
    let f = fixture().await;
    let conn = f.store.conn();
    let dals_ed = reference::get_municipality(conn, "1438")
        .await
        .expect("municipality");
    assert_eq!(dals_ed.code(), "1438");
    assert_eq!(dals_ed.name(), "Dals-Ed");
    assert_eq!(dals_ed.municipality.country, Country::Se);
    assert_eq!(dals_ed.replaced_by, None);
    let regions = reference::list_regions(conn).await.expect("regions");
    assert_eq!(regions.len(), 1);
    assert_eq!(regions[0].key, "fyrbodal");
    assert_eq!(regions[0].region.id, dals_ed.municipality.region_id);
    assert_eq!(regions[0].region.country, Country::Se);
    let merged = reference::update_municipality(conn, "1438", "Dals-Ed", Some("1460"))
        .await
        .expect("replace");
    assert_eq!(
        merged.replaced_by,
        Some(MunicipalityCode::parse("1460").expect("code"))
    );

    let status =
        PilotStatus::parse("working", Some("Kommit igång"), today(), today()).expect("status");
    let recorded = reference::insert_pilot_status(
        conn,
        reference::PilotStatusRecord {
            id: Uuid::now_v7(),
            municipality: dals_ed.municipality.code.clone(),
            status: status.clone(),
            recorded_by: "broker".into(),
            created_at: chrono::Utc::now(),
        },
    )
    .await
    .expect("record");
    let read = reference::pilot_statuses(conn, Some("1438"))
        .await
        .expect("statuses");
    assert_eq!(read.len(), 1);
    assert_eq!(read[0].id, recorded.id);
    assert_eq!(read[0].status, status);
    assert_eq!(read[0].status.stage, PilotStage::Working);

    // A country the domain does not know, as a hand edit of the database could leave.
    {
        use broker_store::entity::municipality;
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
        municipality::Entity::update_many()
            .col_expr(municipality::Column::Country, Expr::value("XX"))
            .filter(municipality::Column::Code.eq("1460"))
            .exec(conn)
            .await
            .expect("tamper");
    }
    let tampered = reference::get_municipality(conn, "1460").await;
    assert!(
        matches!(
            tampered,
            Err(StoreError::Corrupt {
                entity: "municipality country",
                ..
            })
        ),
        "{tampered:?}"
    );
}

#[tokio::test]
async fn a_stale_version_changes_nothing() {
    let f = fixture().await;
    let id = insert_need(&f, "Första titeln").await;
    let conn = f.store.conn();
    let updated = needs::replace(
        conn,
        id,
        1,
        &need_spec(f.concept, "Andra titeln"),
        NeedStatus::Open,
        today(),
    )
    .await
    .expect("replace");
    assert_eq!(updated.need.version, 2);
    let stale = needs::replace(
        conn,
        id,
        1,
        &need_spec(f.concept, "Tredje titeln"),
        NeedStatus::Open,
        today(),
    )
    .await;
    assert!(
        matches!(stale, Err(StoreError::Conflict { .. })),
        "{stale:?}"
    );
    assert_eq!(
        needs::get(conn, id)
            .await
            .expect("get")
            .need
            .spec
            .title
            .as_str(),
        "Andra titeln"
    );
}

#[tokio::test]
async fn illegal_need_transitions_are_typed_errors() {
    let f = fixture().await;
    let id = insert_need(&f, "Behov").await;
    let conn = f.store.conn();
    let refused = needs::transition(conn, id, None, NeedAction::Fulfil).await;
    assert!(
        matches!(refused, Err(StoreError::Transition(_))),
        "{refused:?}"
    );
    let (before, after) = needs::transition(conn, id, Some(1), NeedAction::Withdraw)
        .await
        .expect("withdraw");
    assert_eq!(
        (before, after.need.status),
        (NeedStatus::Open, NeedStatus::Withdrawn)
    );
}

#[tokio::test]
async fn offers_publish_only_when_complete_and_filter_by_place() {
    let f = fixture().await;
    let conn = f.store.conn();
    let id = Uuid::now_v7();
    let offer = offers::insert(
        conn,
        id,
        &offer_spec(f.provider, f.concept),
        OfferStatus::Draft,
        today(),
    )
    .await
    .expect("insert");
    assert_eq!(
        offer.spec.next_start(today()),
        NaiveDate::from_ymd_opt(2027, 1, 18)
    );
    let (_, published) = offers::transition(conn, id, Some(1), OfferAction::Publish)
        .await
        .expect("publish");
    assert_eq!(published.status, OfferStatus::Published);
    assert!(published.published_at.is_some());
    let in_bengtsfors = offers::OfferFilter {
        municipalities: vec!["1460".into()],
        statuses: vec!["published".into()],
        ..Default::default()
    };
    assert_eq!(
        offers::list(conn, &in_bengtsfors, offers::OfferSort::StartDate, 10, 0)
            .await
            .expect("list")
            .total,
        1
    );
    let in_dals_ed = offers::OfferFilter {
        municipalities: vec!["1438".into()],
        ..Default::default()
    };
    assert_eq!(
        offers::list(conn, &in_dals_ed, offers::OfferSort::StartDate, 10, 0)
            .await
            .expect("list")
            .total,
        0
    );
    let mut empty = offer_spec(f.provider, f.concept);
    empty.instances.clear();
    let draft = offers::insert(conn, Uuid::now_v7(), &empty, OfferStatus::Draft, today())
        .await
        .expect("insert");
    let refused = offers::transition(conn, draft.id, None, OfferAction::Publish).await;
    assert!(
        matches!(refused, Err(StoreError::Invalid(_))),
        "{refused:?}"
    );
}

fn suggestion(target: Uuid, score: f64) -> matches::ComputedSuggestion {
    matches::ComputedSuggestion {
        kind: MatchKind::Offer,
        target_id: target,
        score,
        factors: serde_json::json!([]),
        evidence: serde_json::json!({}),
        explanation: format!("score {score}"),
    }
}

#[tokio::test]
async fn recomputation_never_overwrites_a_decision() {
    let f = fixture().await;
    let need = insert_need(&f, "Behov").await;
    let conn = f.store.conn();
    let (a, b) = (Uuid::now_v7(), Uuid::now_v7());
    let report = matches::sync_for_need(
        conn,
        need,
        f.platform,
        MatchKind::Offer,
        &[suggestion(a, 0.8), suggestion(b, 0.6)],
    )
    .await
    .expect("sync");
    assert_eq!(report.created, 2);
    let queue = matches::list(
        conn,
        &matches::MatchFilter {
            need_id: Some(need),
            ..Default::default()
        },
        matches::MatchSort::ScoreDesc,
        10,
        0,
    )
    .await
    .expect("list");
    let first = &queue.items[0];
    assert_eq!(first.target_id, a);
    let decision = DecisionInput {
        decision: Decision::Accept,
        reason: None,
        seen_version: first.version,
    };
    let txn = f.store.begin().await.expect("txn");
    matches::decide(&txn, first.id, &decision, "broker")
        .await
        .expect("decide");
    txn.commit().await.expect("commit");
    let stale = matches::decide(conn, first.id, &decision, "other broker").await;
    assert!(
        matches!(stale, Err(StoreError::Conflict { .. })),
        "{stale:?}"
    );
    // The engine no longer suggests `a` or `b`: `b` is superseded, the accepted `a` stays.
    let report = matches::sync_for_need(conn, need, f.platform, MatchKind::Offer, &[])
        .await
        .expect("sync");
    assert_eq!(report.superseded, 1);
    let accepted = matches::get(conn, first.id).await.expect("get");
    assert_eq!(accepted.status, MatchStatus::Accepted);
    let all = matches::list(
        conn,
        &matches::MatchFilter {
            need_id: Some(need),
            ..Default::default()
        },
        matches::MatchSort::ScoreDesc,
        10,
        0,
    )
    .await
    .expect("list");
    let statuses: Vec<&str> = all.items.iter().map(|m| m.status.as_str()).collect();
    assert_eq!(statuses, vec!["accepted", "superseded"]);
    // Suggested again: revived.
    let report = matches::sync_for_need(
        conn,
        need,
        f.platform,
        MatchKind::Offer,
        &[suggestion(b, 0.7)],
    )
    .await
    .expect("sync");
    assert_eq!(report.updated, 1);

    // What came of it reads back as it was recorded, oldest first.
    let commissioned =
        broker_domain::matching::Outcome::parse(Some(12), true, Some("Kurs beställd"))
            .expect("outcome");
    let enrolled = broker_domain::matching::Outcome::parse(Some(3), false, None).expect("outcome");
    for outcome in [&commissioned, &enrolled] {
        matches::add_outcome(conn, first.id, outcome, "broker")
            .await
            .expect("outcome recorded");
    }
    let read: Vec<_> = matches::outcomes(conn, first.id)
        .await
        .expect("outcomes")
        .into_iter()
        .map(|o| (o.outcome, o.recorded_by))
        .collect();
    assert_eq!(
        read,
        [
            (commissioned, "broker".to_owned()),
            (enrolled, "broker".to_owned())
        ]
    );
}

#[tokio::test]
async fn syncing_many_needs_at_once_touches_only_the_needs_and_kinds_given() {
    let f = fixture().await;
    let conn = f.store.conn();
    let (first, second) = (
        insert_need(&f, "Behov ett").await,
        insert_need(&f, "Behov två").await,
    );
    let (a, b, x) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
    let only_x = [suggestion(x, 0.5)];
    let report = matches::sync_for_need(conn, second, f.platform, MatchKind::Offer, &only_x)
        .await
        .expect("sync");
    assert_eq!(report.created, 1);
    let pool_with_first = [matches::ComputedSuggestion {
        kind: MatchKind::Need,
        ..suggestion(first, 0.6)
    }];
    let offers_ab = [suggestion(a, 0.8), suggestion(b, 0.7)];
    let report = matches::sync_many(
        conn,
        &[
            matches::SuggestionSet {
                need_id: first,
                platform_id: f.platform,
                kind: MatchKind::Offer,
                computed: &offers_ab,
            },
            matches::SuggestionSet {
                need_id: second,
                platform_id: f.platform,
                kind: MatchKind::Need,
                computed: &pool_with_first,
            },
        ],
    )
    .await
    .expect("sync many");
    assert_eq!(
        report,
        matches::SyncReport {
            created: 3,
            updated: 0,
            superseded: 0
        },
        "the second need's offer suggestion was not part of the sync"
    );
    // Recomputed: `b` and the pooling suggestion drop out, `a` changes its score.
    let offer_a = [suggestion(a, 0.9)];
    let report = matches::sync_many(
        conn,
        &[
            matches::SuggestionSet {
                need_id: first,
                platform_id: f.platform,
                kind: MatchKind::Offer,
                computed: &offer_a,
            },
            matches::SuggestionSet {
                need_id: second,
                platform_id: f.platform,
                kind: MatchKind::Need,
                computed: &[],
            },
        ],
    )
    .await
    .expect("sync many");
    assert_eq!(
        report,
        matches::SyncReport {
            created: 0,
            updated: 1,
            superseded: 2
        }
    );
    let statuses = |need| async move {
        let mut rows: Vec<(Uuid, String)> = matches::list(
            conn,
            &matches::MatchFilter {
                need_id: Some(need),
                ..Default::default()
            },
            matches::MatchSort::ScoreDesc,
            10,
            0,
        )
        .await
        .expect("list")
        .items
        .into_iter()
        .map(|m| (m.target_id, m.status.as_str().to_owned()))
        .collect();
        rows.sort();
        rows
    };
    let mut expected_first = vec![(a, "suggested".to_owned()), (b, "superseded".to_owned())];
    expected_first.sort();
    assert_eq!(statuses(first).await, expected_first);
    let mut expected_second = vec![
        (x, "suggested".to_owned()),
        (first, "superseded".to_owned()),
    ];
    expected_second.sort();
    assert_eq!(statuses(second).await, expected_second);
}

#[tokio::test]
async fn a_failed_transaction_leaves_nothing_behind() {
    let f = fixture().await;
    let conn = f.store.conn();
    let id = Uuid::now_v7();
    {
        let txn = conn.begin().await.expect("txn");
        needs::insert(
            &txn,
            &needs::NewNeed {
                id,
                spec: need_spec(f.concept, "Halvt"),
                platform_id: f.platform,
                entered_by: "t".into(),
                status: NeedStatus::Open,
                expires_on: today(),
            },
        )
        .await
        .expect("insert");
        audit::record(
            &txn,
            audit::AuditEntry {
                actor: "t".into(),
                actor_role: Some("municipal_contact"),
                actor_organisation: None,
                action: "need.create".into(),
                entity: "need",
                entity_id: Some(id),
                before: None,
                after: None,
            },
        )
        .await
        .expect("audit");
        // Dropped without commit.
    }
    assert!(matches!(
        needs::get(conn, id).await,
        Err(StoreError::NotFound { .. })
    ));
    assert_eq!(
        audit::list(conn, &audit::AuditFilter::default(), 10, 0)
            .await
            .expect("audit")
            .total,
        0
    );
}

#[tokio::test]
async fn idempotency_keys_are_unique_per_actor() {
    let f = fixture().await;
    let conn = f.store.conn();
    let response = idempotency::StoredResponse {
        request_hash: "abc".into(),
        status: 201,
        body: serde_json::json!({"id": 1}),
    };
    idempotency::save(conn, "alice", "key-1", &response)
        .await
        .expect("save");
    assert!(matches!(
        idempotency::save(conn, "alice", "key-1", &response).await,
        Err(StoreError::Conflict { .. })
    ));
    idempotency::save(conn, "bob", "key-1", &response)
        .await
        .expect("another actor may use the same key");
    let found = idempotency::find(conn, "alice", "key-1")
        .await
        .expect("find")
        .expect("present");
    assert_eq!(found.status, 201);
}

#[tokio::test]
async fn duplicate_organisation_numbers_are_conflicts() {
    let f = fixture().await;
    let again = reference::insert_organisation(
        f.store.conn(),
        reference::NewOrganisation {
            id: Uuid::now_v7(),
            name: "Annan AB".into(),
            kind: broker_domain::organisation::OrganisationKind::Employer,
            country: broker_domain::geo::Country::Se,
            org_number: Some("5560125790".into()),
            municipality: None,
            website: None,
        },
    )
    .await;
    assert!(
        matches!(again, Err(StoreError::Conflict { .. })),
        "{again:?}"
    );
}

/// What a change poll from `cursor` reads of needs: (id, version) pairs, in order. On
/// PostgreSQL a transaction still running elsewhere on the server may hold rows back for a
/// moment, so it waits (at most 10 s) until `expected` rows are visible.
async fn poll_needs(
    conn: &impl sea_orm::ConnectionTrait,
    cursor: ChangeCursor,
    limit: u64,
    expected: usize,
) -> Vec<(Uuid, i32, ChangeCursor)> {
    let mut read = Vec::new();
    for _ in 0..200 {
        read = matching_jobs::need_changes_since(conn, cursor, limit)
            .await
            .expect("need changes")
            .into_iter()
            .map(|c| (c.id, c.version, c.position))
            .collect();
        if read.len() >= expected {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    read
}

#[tokio::test]
async fn the_change_poll_reads_each_write_to_needs_and_offers_once_in_commit_order() {
    let f = fixture().await;
    let conn = f.store.conn();
    let start = ChangeCursor::start(conn).await.expect("start cursor");
    let first = insert_need(&f, "Första").await;
    let second = insert_need(&f, "Andra").await;
    needs::replace(
        conn,
        first,
        1,
        &need_spec(f.concept, "Första, ändrad"),
        NeedStatus::Open,
        today(),
    )
    .await
    .expect("replace");

    // The first need's insert is no longer a change of its own: its row now sits where its
    // update committed, after the second need.
    let read = poll_needs(conn, start, 10, 2).await;
    let seen: Vec<(Uuid, i32)> = read.iter().map(|&(id, v, _)| (id, v)).collect();
    assert_eq!(seen, [(second, 1), (first, 2)]);
    assert!(read[0].2 < read[1].2, "positions follow the commit order");

    // Page by page, each change once.
    let page = poll_needs(conn, start, 1, 1).await;
    assert_eq!(page.len(), 1);
    assert_eq!(page[0].0, second);
    let next = poll_needs(conn, page[0].2, 1, 1).await;
    assert_eq!(next.iter().map(|r| r.0).collect::<Vec<_>>(), [first]);
    let after_all = read[1].2;
    assert!(
        matching_jobs::need_changes_since(conn, after_all, 10)
            .await
            .expect("poll again")
            .is_empty(),
        "a poll from the last change read reads nothing"
    );

    // Offers follow the same order, and a status change is a change.
    let offer = Uuid::now_v7();
    offers::insert(
        conn,
        offer,
        &offer_spec(f.provider, f.concept),
        OfferStatus::Draft,
        today(),
    )
    .await
    .expect("insert offer");
    offers::transition(conn, offer, Some(1), OfferAction::Publish)
        .await
        .expect("publish");
    let mut changed = Vec::new();
    for _ in 0..200 {
        changed = offers::changes_since(conn, after_all, 10)
            .await
            .expect("offer changes");
        if !changed.is_empty() {
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    }
    let seen: Vec<(Uuid, i32, bool)> = changed
        .iter()
        .map(|c| (c.id, c.version, c.published))
        .collect();
    assert_eq!(seen, [(offer, 2, true)]);
    assert!(changed[0].position > after_all);
}

#[tokio::test]
async fn a_need_written_by_a_slow_transaction_is_not_skipped_by_the_change_poll() {
    let f = fixture().await;
    if f.store.backend() != "postgres" {
        // SQLite's writers take turns: two write transactions cannot interleave.
        return;
    }
    let conn = f.store.conn();
    let start = ChangeCursor::start(conn).await.expect("start cursor");
    // T1 writes a need (taking the older transaction id) and stays open; T2 writes and commits.
    let t1 = f.store.begin().await.expect("begin T1");
    let slow = insert_need_in(&t1, &f, "Långsam").await;
    let fast = insert_need(&f, "Snabb").await;

    // T2's need must wait for T1: read now, it would move the poller's cursor past T1's.
    let read = matching_jobs::need_changes_since(conn, start, 10)
        .await
        .expect("poll while T1 runs");
    assert!(
        read.is_empty(),
        "nothing is read while T1 may commit: {read:?}"
    );

    t1.commit().await.expect("commit T1");
    let read = poll_needs(conn, start, 10, 2).await;
    let ids: Vec<Uuid> = read.iter().map(|r| r.0).collect();
    assert_eq!(ids, [slow, fast], "both, in commit-id order, none skipped");
}

#[tokio::test]
async fn a_webhook_endpoint_reads_back_its_topics_typed_and_an_unknown_one_is_corrupt() {
    use broker_domain::notify::Topic;
    use broker_store::repo::webhooks;
    let f = fixture().await;
    let conn = f.store.conn();
    let followed = vec![
        Topic::parse("municipality", "1438").expect("topic"),
        Topic::Competence(f.concept),
    ];
    let created = webhooks::create_endpoint(
        conn,
        webhooks::NewEndpoint {
            organisation_id: f.provider,
            url: "https://partner.example/hook".into(),
            secret: "s".repeat(64),
            topics: followed.clone(),
            created_by: "tester".into(),
        },
    )
    .await
    .expect("endpoint");
    let read = webhooks::endpoint(conn, created.id).await.expect("read");
    assert_eq!(read.topics, followed);
    assert!(
        read.followed_topics()
            .contains(&Topic::Organisation(f.provider).key()),
        "an endpoint always follows its own organisation"
    );
    {
        use broker_store::entity::webhook_endpoint;
        use sea_orm::{ColumnTrait, EntityTrait, QueryFilter, sea_query::Expr};
        webhook_endpoint::Entity::update_many()
            .col_expr(
                webhook_endpoint::Column::Topics,
                Expr::value(serde_json::json!(["weather:rain"])),
            )
            .filter(webhook_endpoint::Column::Id.eq(created.id))
            .exec(conn)
            .await
            .expect("tamper");
    }
    let tampered = webhooks::endpoint(conn, created.id).await;
    assert!(
        matches!(
            tampered,
            Err(StoreError::Corrupt {
                entity: "webhook topic",
                ..
            })
        ),
        "{tampered:?}"
    );
}
