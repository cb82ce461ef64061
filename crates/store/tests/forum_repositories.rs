//! Forum repositories on a fresh database (SQLite, or PostgreSQL when `BROKER_TEST_DATABASE_URL`
//! is set): proposals keep what their actions recorded, stale versions change nothing, and the
//! forum-work migration rolls back and forward.

#![expect(
    clippy::expect_used,
    reason = "test set-up failures should stop the test loudly"
)]

use broker_domain::forum::{
    Addressee, ProposalAction, ProposalActionDetail, ProposalSpec, ProposalStatus,
    RecommendationAction, RecommendationStatus,
};
use broker_domain::platform::{Group, MatchingSettings, Membership, PlatformModel};
use broker_domain::values::{LongText, Name};
use broker_migrations::{Migrator, MigratorTrait};
use broker_store::repo::forum::{self, NewProposal, NewRecommendation};
use broker_store::repo::reference;
use broker_store::{Store, StoreError, testing};
use chrono::NaiveDate;
use uuid::Uuid;

fn day(s: &str) -> NaiveDate {
    s.parse().expect("date")
}

struct Forum {
    store: Store,
    platform: Uuid,
    group: Group,
    _db: testing::TestDatabase,
}

async fn forum() -> Forum {
    let db = testing::fresh_database().await.expect("database");
    let store = Store::connect(&db.url).await.expect("connect");
    let region = Uuid::now_v7();
    reference::insert_region(store.conn(), region, "ostfold", "Østfold", "NO")
        .await
        .expect("region");
    let platform = Uuid::now_v7();
    reference::insert_platform(
        store.conn(),
        &reference::PlatformRecord {
            id: platform,
            key: "ostfold-forum".into(),
            name: "Kompetanseforum Østfold".into(),
            model: broker_domain::platform::PlatformModel::Forum,
            region_id: region,
            cluster_id: None,
            broker_arrangement: None,
            parent_id: None,
            settings: MatchingSettings::default(),
            contact_person_ids: vec![],
            municipalities: vec![],
            active_from: None,
            active_to: None,
        },
    )
    .await
    .expect("platform");
    let group = Group::parse(
        Uuid::now_v7(),
        platform,
        PlatformModel::Forum,
        "competence_group",
        "Livslang læring",
        Some("lifelong_learning"),
        None,
        (day("2025-01-01"), Some(day("2026-12-31"))),
    )
    .expect("group");
    let group = forum::create_group(store.conn(), &group)
        .await
        .expect("stored group");
    Forum {
        store,
        platform,
        group,
        _db: db,
    }
}

fn text(s: &str) -> LongText {
    LongText::parse(s).expect("text")
}

#[tokio::test]
async fn a_proposal_keeps_its_gap_entries_decision_and_responsibility() {
    let f = forum().await;
    let conn = f.store.conn();
    let concept = Uuid::now_v7();
    let spec = ProposalSpec::parse(
        "Fagbrev for voksne",
        None,
        &[],
        &[(concept, "3105".into()), (concept, "ostfold".into())],
    )
    .expect("spec");
    let id = Uuid::now_v7();
    let draft = forum::insert_proposal(
        conn,
        &NewProposal {
            id,
            platform_id: f.platform,
            group_id: Some(f.group.id),
            spec,
        },
    )
    .await
    .expect("draft");
    assert_eq!(draft.proposal.gap_entries.len(), 2);
    let mut p = draft.proposal.clone();
    let steps = [
        (ProposalAction::Submit, ProposalActionDetail::Note(None)),
        (
            ProposalAction::Discuss,
            ProposalActionDetail::WorkshopInput {
                workshop_id: Uuid::nil(),
                input: text("Ta med NAV"),
            },
        ),
        (
            ProposalAction::Refine,
            ProposalActionDetail::Refinement {
                changes: text("NAV med"),
                title: None,
                description: Some(text("For operatører")),
            },
        ),
        (
            ProposalAction::DecideGo,
            ProposalActionDetail::Decision {
                decided_by: Name::parse("Styringsgruppen").expect("name"),
                decided_by_group_id: None,
                decided_on: day("2026-11-02"),
                rationale: Some(text("Tydelig gap")),
            },
        ),
        (
            ProposalAction::DeclineResponsibility,
            ProposalActionDetail::Responsibility {
                organisation_id: Uuid::from_u128(1),
                note: None,
            },
        ),
        (
            ProposalAction::AcceptResponsibility,
            ProposalActionDetail::Responsibility {
                organisation_id: Uuid::from_u128(2),
                note: None,
            },
        ),
    ];
    for (action, detail) in steps {
        let from = p.status;
        let seen = p.version;
        p.apply(action, detail).expect("legal step");
        p = forum::save_proposal_action(conn, seen, from, &p, action, serde_json::json!({}), "t")
            .await
            .expect("saved")
            .proposal;
    }
    let read = forum::get_proposal(conn, id).await.expect("read").proposal;
    assert_eq!(read.status, ProposalStatus::ResponsibilityAccepted);
    assert_eq!(read.version, 7);
    assert_eq!(read.declined_by, vec![Uuid::from_u128(1)]);
    assert_eq!(read.responsible_organisation_id, Some(Uuid::from_u128(2)));
    assert_eq!(
        read.decision.map(|d| (d.go, d.decided_by.into_inner())),
        Some((true, "Styringsgruppen".to_owned()))
    );
    assert_eq!(
        read.description.map(LongText::into_inner),
        Some("For operatører".into())
    );
    assert_eq!(
        forum::proposal_events(conn, id)
            .await
            .expect("events")
            .len(),
        6
    );

    // A step taken on a version someone else moved past changes nothing.
    let mut stale = read_again(&f, id).await;
    stale
        .apply(ProposalAction::Start, ProposalActionDetail::Note(None))
        .expect("legal");
    let err = forum::save_proposal_action(
        conn,
        6,
        ProposalStatus::ResponsibilityAccepted,
        &stale,
        ProposalAction::Start,
        serde_json::json!({}),
        "t",
    )
    .await;
    assert!(matches!(err, Err(StoreError::Conflict { .. })));
    assert_eq!(
        read_again(&f, id).await.status,
        ProposalStatus::ResponsibilityAccepted
    );
}

async fn read_again(f: &Forum, id: Uuid) -> broker_domain::forum::Proposal {
    forum::get_proposal(f.store.conn(), id)
        .await
        .expect("read")
        .proposal
}

#[tokio::test]
async fn recommendations_follow_up_once_per_version_and_memberships_end_once() {
    let f = forum().await;
    let conn = f.store.conn();
    let r = forum::insert_recommendation(
        conn,
        &NewRecommendation {
            id: Uuid::now_v7(),
            platform_id: f.platform,
            group_id: Some(f.group.id),
            proposal_id: None,
            addressee: Addressee::parse(None, None, Some("Kunnskapsdepartementet")).expect("a"),
            text: text("Finansier fagbrev for voksne"),
        },
    )
    .await
    .expect("recommendation");
    assert_eq!(r.status, RecommendationStatus::Given);
    let (_, after) = forum::follow_up_recommendation(
        conn,
        r.id,
        1,
        RecommendationAction::Acknowledge,
        Some("mottatt"),
        "t",
    )
    .await
    .expect("acknowledged");
    assert_eq!(
        (after.status, after.version),
        (RecommendationStatus::Acknowledged, 2)
    );
    let stale =
        forum::follow_up_recommendation(conn, r.id, 1, RecommendationAction::Start, None, "t")
            .await;
    assert!(matches!(stale, Err(StoreError::Conflict { .. })));
    let illegal = forum::follow_up_recommendation(
        conn,
        r.id,
        2,
        RecommendationAction::Acknowledge,
        None,
        "t",
    )
    .await;
    assert!(matches!(illegal, Err(StoreError::Transition(_))));
    assert_eq!(
        forum::recommendation_events(conn, r.id)
            .await
            .expect("events")
            .len(),
        1
    );

    let org = Uuid::now_v7();
    reference::insert_organisation(
        conn,
        reference::NewOrganisation {
            id: org,
            name: "NAV Østfold".into(),
            kind: broker_domain::organisation::OrganisationKind::PublicAgency,
            country: broker_domain::geo::Country::No,
            org_number: None,
            municipality: None,
            website: None,
        },
    )
    .await
    .expect("organisation");
    let m = Membership::parse(
        Uuid::now_v7(),
        f.group.id,
        &f.group.period,
        None,
        Some(org),
        "member",
        true,
        (day("2025-02-01"), None),
    )
    .expect("membership");
    let stored = forum::add_membership(conn, &m).await.expect("stored");
    let mut ended = stored.clone();
    ended.end(day("2026-06-30")).expect("end");
    let saved = forum::end_membership(conn, &ended).await.expect("ended");
    assert_eq!(saved.member_until, Some(day("2026-06-30")));
    // A second end racing the first finds it ended already.
    let again = forum::end_membership(conn, &ended).await;
    assert!(matches!(again, Err(StoreError::Conflict { .. })));
    let held = forum::memberships_held(conn, f.platform, None, Some(org), day("2026-01-01"))
        .await
        .expect("held");
    assert_eq!(held.len(), 1);
    let later = forum::memberships_held(conn, f.platform, None, Some(org), day("2026-07-01"))
        .await
        .expect("held");
    assert!(later.is_empty());
}

#[tokio::test]
async fn the_forum_work_migration_rolls_back_and_forward() {
    let f = forum().await;
    let conn = f.store.conn();
    Migrator::down(conn, Some(1)).await.expect("down");
    Migrator::up(conn, None).await.expect("up again");
    assert!(
        forum::list_recommendations(conn, &Default::default(), 10, 0)
            .await
            .expect("recommendations readable after re-applying")
            .items
            .is_empty()
    );
}
