//! The course-request use cases against a real database: a broker pools two needs, sends the
//! request, two providers answer, and the commission settles the answers and matches the needs;
//! and the listing scope lets through exactly the requests each actor may see. SQLite by
//! default, PostgreSQL when `BROKER_TEST_DATABASE_URL` is set.

use broker_domain::organisation::OrganisationKind;
use std::collections::BTreeSet;

use broker_application::course_requests::{
    self as cases, CourseRequestView, DecideCourseRequest, NewCourseRequest, PlatformDirectory,
};
use broker_application::{Actor, AppError, Role};
use broker_domain::course_request::{
    AnswerDraft, AnswerStatus, CourseRequestAction, CourseRequestDraft, CourseRequestStatus,
};
use broker_domain::need::NeedStatus;
use broker_store::repo::course_requests::{self, CourseRequestFilter, CourseRequestRecord};
use broker_store::repo::needs;
use broker_store::{Store, testing};
use uuid::Uuid;

mod support;
use support::{BENGTSFORS, DALS_ED, TestNeed, actor, organisation, platform, store_with, today};

fn broker_of(platform: Uuid) -> Actor {
    Actor {
        platforms: vec![platform],
        ..actor(Role::Broker)
    }
}

fn provider_of(organisation: Uuid) -> Actor {
    Actor {
        organisation: Some(organisation),
        ..actor(Role::Provider)
    }
}

/// The platforms stored in the test database, as the api's matcher would know them.
struct Known(Vec<Uuid>);

impl PlatformDirectory for Known {
    fn knows_platform(&self, id: Uuid) -> bool {
        self.0.contains(&id)
    }
}

/// A database with two municipalities, a platform for each, and two education providers.
struct World {
    store: Store,
    dals_ed: Uuid,
    bengtsfors: Uuid,
    providers: [Uuid; 2],
    _db: testing::TestDatabase,
}

impl World {
    async fn new() -> Self {
        let (db, store, region) =
            store_with(&[(DALS_ED, "Dals-Ed"), (BENGTSFORS, "Bengtsfors")]).await;
        let dals_ed = platform(&store, region, "dals-ed", DALS_ED).await;
        let bengtsfors = platform(&store, region, "bengtsfors", BENGTSFORS).await;
        let providers = [
            organisation(
                &store,
                "Yrkeshögskolan Dal",
                OrganisationKind::EducationProvider,
                DALS_ED,
            )
            .await,
            organisation(
                &store,
                "Folkhögskolan Ed",
                OrganisationKind::EducationProvider,
                DALS_ED,
            )
            .await,
        ];
        Self {
            store,
            dals_ed,
            bengtsfors,
            providers,
            _db: db,
        }
    }

    fn platforms(&self) -> Known {
        Known(vec![self.dals_ed, self.bengtsfors])
    }

    /// Creates a request pooling `needs` on `platform`, addressed to `addressees`, committed.
    async fn request(
        &self,
        platform: Uuid,
        needs: &[Uuid],
        addressees: &[Uuid],
    ) -> Result<CourseRequestRecord, AppError> {
        let txn = self.store.begin().await?;
        let created = cases::create(
            &txn,
            &self.platforms(),
            &broker_of(platform),
            NewCourseRequest {
                platform_id: None,
                draft: CourseRequestDraft {
                    title: "Svetsning för Dalsland".into(),
                    need_ids: needs.to_vec(),
                    provider_ids: addressees.to_vec(),
                    ..Default::default()
                },
            },
            today(),
        )
        .await?;
        txn.commit().await.map_err(broker_store::StoreError::from)?;
        Ok(created)
    }

    async fn send(&self, request: &CourseRequestRecord) -> Result<CourseRequestRecord, AppError> {
        let txn = self.store.begin().await?;
        let sent = cases::send(
            &txn,
            &broker_of(request.platform_id),
            request.id,
            i64::from(request.version),
        )
        .await?;
        txn.commit().await.map_err(broker_store::StoreError::from)?;
        Ok(sent.after)
    }
}

/// An open welding need for `headcount` people.
async fn need(store: &Store, municipality: &'static str, platform: Uuid, headcount: i64) -> Uuid {
    support::need(
        store,
        TestNeed {
            municipality,
            platform,
            employer: None,
            headcount,
            status: NeedStatus::Open,
        },
    )
    .await
}

fn offer_answer() -> AnswerDraft {
    AnswerDraft {
        response: "offer".into(),
        proposal: Some("Svetskurs på kvällstid, tolv veckor".into()),
        seats: Some(9),
        ..Default::default()
    }
}

fn decline_answer() -> AnswerDraft {
    AnswerDraft {
        response: "decline".into(),
        note: Some("Ingen lärare ledig i vår".into()),
        ..Default::default()
    }
}

#[tokio::test]
async fn a_commission_settles_the_answers_and_matches_every_pooled_need() -> Result<(), AppError> {
    let world = World::new().await;
    let pooled = [
        need(&world.store, DALS_ED, world.dals_ed, 4).await,
        need(&world.store, DALS_ED, world.dals_ed, 5).await,
    ];
    let created = world.request(world.dals_ed, &pooled, &[]).await?;
    assert_eq!(created.status, CourseRequestStatus::Draft);
    assert_eq!(created.spec.total_headcount, 9);

    let again = world.request(world.dals_ed, &pooled[..1], &[]).await;
    assert!(
        matches!(&again, Err(AppError::Conflict(m)) if m.contains("already pooled")),
        "{again:?}"
    );

    let sent = world.send(&created).await?;
    assert_eq!(sent.status, CourseRequestStatus::Sent);

    let mut answer_ids = Vec::new();
    for (organisation, draft) in world
        .providers
        .iter()
        .zip([offer_answer(), decline_answer()])
    {
        let txn = world.store.begin().await?;
        let answered =
            cases::answer(&txn, &provider_of(*organisation), sent.id, draft, today()).await?;
        txn.commit().await.map_err(broker_store::StoreError::from)?;
        assert_eq!(answered.after.status, CourseRequestStatus::Answered);
        answer_ids.push(answered.answer.id);
    }
    let txn = world.store.begin().await?;
    let twice = cases::answer(
        &txn,
        &provider_of(world.providers[0]),
        sent.id,
        offer_answer(),
        today(),
    )
    .await;
    assert!(matches!(twice, Err(AppError::Conflict(_))), "{twice:?}");
    drop(txn);

    let broker = broker_of(world.dals_ed);
    let current = course_requests::get(world.store.conn(), sent.id).await?;
    let commission = |answer_id| DecideCourseRequest {
        version: i64::from(current.version),
        decision: "commission".into(),
        answer_id: Some(answer_id),
        reason: None,
    };
    let txn = world.store.begin().await?;
    let declined = cases::decide(&txn, &broker, sent.id, commission(answer_ids[1])).await;
    assert!(
        matches!(&declined, Err(AppError::Validation(e)) if e[0].field == "answer_id"),
        "{declined:?}"
    );
    drop(txn);

    let txn = world.store.begin().await?;
    let decided = cases::decide(&txn, &broker, sent.id, commission(answer_ids[0])).await?;
    txn.commit().await.map_err(broker_store::StoreError::from)?;
    assert_eq!(decided.action, CourseRequestAction::Commission);
    assert_eq!(decided.from, CourseRequestStatus::Answered);
    assert_eq!(decided.after.status, CourseRequestStatus::Commissioned);
    assert_eq!(decided.after.commissioned_answer_id, Some(answer_ids[0]));
    assert_eq!(
        decided.matched_needs.iter().collect::<BTreeSet<_>>(),
        pooled.iter().collect::<BTreeSet<_>>()
    );

    let settled = course_requests::answers(world.store.conn(), sent.id, None).await?;
    let statuses: Vec<(Uuid, AnswerStatus)> = settled.iter().map(|a| (a.id, a.status)).collect();
    assert_eq!(
        statuses,
        [
            (answer_ids[0], AnswerStatus::Chosen),
            (answer_ids[1], AnswerStatus::NotChosen)
        ]
    );
    for need_id in pooled {
        let stored = needs::get(world.store.conn(), need_id).await?;
        assert_eq!(stored.need.status, NeedStatus::Matched);
        let kinds: Vec<String> = needs::events(world.store.conn(), need_id)
            .await?
            .into_iter()
            .map(|e| e.kind)
            .collect();
        assert!(kinds.iter().any(|k| k == "pooled"), "{kinds:?}");
        assert!(kinds.iter().any(|k| k == "commissioned"), "{kinds:?}");
    }
    Ok(())
}

#[tokio::test]
async fn the_listing_scope_lets_through_exactly_the_requests_each_actor_may_see()
-> Result<(), AppError> {
    let world = World::new().await;
    let [first, second] = world.providers;
    // A sent request to everyone and one to the first provider on Dals-Ed's platform, a draft on
    // Bengtsfors's: each actor below sees a different, non-empty share of the three.
    let to_everyone = world
        .request(
            world.dals_ed,
            &[need(&world.store, DALS_ED, world.dals_ed, 2).await],
            &[],
        )
        .await?;
    world.send(&to_everyone).await?;
    let to_first = world
        .request(
            world.dals_ed,
            &[need(&world.store, DALS_ED, world.dals_ed, 3).await],
            &[first],
        )
        .await?;
    world.send(&to_first).await?;
    world
        .request(
            world.bengtsfors,
            &[need(&world.store, BENGTSFORS, world.bengtsfors, 4).await],
            &[],
        )
        .await?;

    let everything =
        course_requests::list(world.store.conn(), &CourseRequestFilter::default(), 200, 0)
            .await?
            .items;
    assert_eq!(everything.len(), 3);
    let actors = [
        (actor(Role::Admin), 3),
        (broker_of(world.dals_ed), 2),
        (broker_of(world.bengtsfors), 1),
        (provider_of(first), 2),
        (provider_of(second), 1),
    ];
    for (actor, expected) in &actors {
        let (page, _) = cases::list(
            world.store.conn(),
            actor,
            CourseRequestFilter::default(),
            200,
            0,
        )
        .await?;
        let listed: BTreeSet<Uuid> = page.items.iter().map(|r| r.id).collect();
        let seen: BTreeSet<Uuid> = everything
            .iter()
            .filter(|r| CourseRequestView::of(actor, r).is_ok())
            .map(|r| r.id)
            .collect();
        assert_eq!(listed, seen, "{actor:?}");
        assert_eq!(seen.len(), *expected, "{actor:?}");
    }
    Ok(())
}
