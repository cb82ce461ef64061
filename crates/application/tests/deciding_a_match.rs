//! Deciding a suggestion against a real database: who may decide, what accepting does to the
//! need, that the adapter's log is written inside the decision's transaction (a failing log
//! undoes the decision), and that "accept means matched" holds for answers accepted outside a
//! suggestion too. SQLite by default, PostgreSQL when `BROKER_TEST_DATABASE_URL` is set.

#![expect(
    clippy::expect_used,
    reason = "test set-up failures should stop the test loudly"
)]

use std::sync::Mutex;

use broker_application::matches::{self, DecidedMatch, DecisionLog};
use broker_application::{Actor, AppError, Role};
use broker_domain::matching::{Decision, MatchKind, MatchStatus};
use broker_domain::need::NeedStatus;
use broker_store::repo::matches::{self as match_rows, ComputedSuggestion};
use broker_store::repo::needs;
use broker_store::{Store, StoreError, testing};
use sea_orm::DatabaseTransaction;
use uuid::Uuid;

mod support;
use support::{DALS_ED, TestNeed, store_with};

fn broker_on(platforms: Vec<Uuid>) -> Actor {
    Actor {
        role: Role::Broker,
        subject: "broker".into(),
        organisation: None,
        municipalities: Vec::new(),
        platforms,
    }
}

/// Remembers what it was asked to log; refuses when told to, as a failing audit write would.
#[derive(Default)]
struct Remembered {
    refuse: bool,
    rematched: Mutex<Vec<Vec<Uuid>>>,
}

impl DecisionLog for Remembered {
    async fn record(
        &self,
        _: &DatabaseTransaction,
        decided: &DecidedMatch,
    ) -> Result<(), AppError> {
        if self.refuse {
            return Err(AppError::Conflict("the log refused".into()));
        }
        self.rematched
            .lock()
            .expect("not poisoned")
            .push(decided.needs_to_rematch.clone());
        Ok(())
    }
}

struct World {
    store: Store,
    platform: Uuid,
}

async fn world() -> (testing::TestDatabase, World) {
    let (db, store, region) = store_with(&[(DALS_ED, "Dals-Ed")]).await;
    let platform = support::platform(&store, region, "dals-ed", DALS_ED).await;
    (db, World { store, platform })
}

impl World {
    async fn need(&self, status: NeedStatus) -> Uuid {
        support::need(
            &self.store,
            TestNeed {
                municipality: DALS_ED,
                platform: self.platform,
                employer: None,
                headcount: 1,
                status,
            },
        )
        .await
    }

    /// A pending contact suggestion for `need` (a contact needs no offer behind it).
    async fn suggestion(&self, need: Uuid) -> Uuid {
        match_rows::sync_for_need(
            self.store.conn(),
            need,
            self.platform,
            MatchKind::Contact,
            &[ComputedSuggestion {
                kind: MatchKind::Contact,
                target_id: Uuid::now_v7(),
                score: 0.8,
                factors: serde_json::json!({}),
                evidence: serde_json::json!({}),
                explanation: "knows welders".into(),
            }],
        )
        .await
        .expect("suggestion");
        match_rows::list(
            self.store.conn(),
            &match_rows::MatchFilter {
                need_id: Some(need),
                ..Default::default()
            },
            match_rows::MatchSort::Newest,
            10,
            0,
        )
        .await
        .expect("suggestions")
        .items
        .first()
        .expect("one suggestion")
        .id
    }

    async fn status_of(&self, need: Uuid) -> NeedStatus {
        needs::get(self.store.conn(), need)
            .await
            .expect("need")
            .need
            .status
    }
}

#[tokio::test]
async fn accepting_a_contact_matches_the_need_and_logs_inside_the_decision() {
    let (_db, world) = world().await;
    let need = world.need(NeedStatus::Open).await;
    let suggestion = world.suggestion(need).await;
    let log = Remembered::default();
    let broker = broker_on(vec![world.platform]);

    let elsewhere = broker_on(vec![Uuid::now_v7()]);
    let unseen = matches::decide(
        &world.store,
        &log,
        &elsewhere,
        suggestion,
        "accept",
        None,
        1,
    )
    .await;
    assert!(
        matches!(unseen, Err(AppError::NotFound("match"))),
        "{unseen:?}"
    );
    let unexplained =
        matches::decide(&world.store, &log, &broker, suggestion, "reject", None, 1).await;
    assert!(
        matches!(unexplained, Err(AppError::Validation(_))),
        "{unexplained:?}"
    );

    let decided = matches::decide(&world.store, &log, &broker, suggestion, "accept", None, 1)
        .await
        .expect("accepted");
    assert_eq!(decided.decision, Decision::Accept);
    assert_eq!(decided.after.status, MatchStatus::Accepted);
    assert_eq!(decided.after.decided_by.as_deref(), Some("broker"));
    assert_eq!(world.status_of(need).await, NeedStatus::Matched);
    let events = needs::events(world.store.conn(), need)
        .await
        .expect("events");
    assert!(
        events
            .iter()
            .any(|e| e.kind == "match" && e.detail["match_id"] == suggestion.to_string()),
        "{events:?}"
    );
    assert_eq!(
        *log.rematched.lock().expect("not poisoned"),
        vec![vec![need]]
    );

    let again = matches::decide(
        &world.store,
        &log,
        &broker,
        suggestion,
        "reject",
        Some("late"),
        1,
    )
    .await;
    assert!(
        matches!(again, Err(AppError::Store(StoreError::Conflict { .. }))),
        "{again:?}"
    );
}

#[tokio::test]
async fn a_decision_whose_log_fails_leaves_nothing_behind() {
    let (_db, world) = world().await;
    let need = world.need(NeedStatus::Open).await;
    let suggestion = world.suggestion(need).await;
    let refusing = Remembered {
        refuse: true,
        ..Remembered::default()
    };
    let broker = broker_on(vec![world.platform]);
    let refused = matches::decide(
        &world.store,
        &refusing,
        &broker,
        suggestion,
        "accept",
        None,
        1,
    )
    .await;
    assert!(matches!(refused, Err(AppError::Conflict(_))), "{refused:?}");
    let row = match_rows::get(world.store.conn(), suggestion)
        .await
        .expect("suggestion");
    assert_eq!(row.status, MatchStatus::Suggested);
    assert_eq!(row.version, 1);
    assert_eq!(world.status_of(need).await, NeedStatus::Open);
}

#[tokio::test]
async fn an_answer_accepted_outside_a_suggestion_matches_a_need_that_may_still_be_matched() {
    let (_db, world) = world().await;
    for (status, moves) in [
        (NeedStatus::Open, true),
        (NeedStatus::Pooled, true),
        (NeedStatus::Matched, false),
        (NeedStatus::Withdrawn, false),
    ] {
        let need = world.need(status).await;
        let record = needs::get(world.store.conn(), need).await.expect("need");
        let txn = world.store.begin().await.expect("transaction");
        let moved = matches::match_answered_need(&txn, &record)
            .await
            .expect("answered");
        txn.commit().await.expect("commit");
        assert_eq!(moved, moves, "{status:?}");
        let expected = if moves { NeedStatus::Matched } else { status };
        assert_eq!(world.status_of(need).await, expected, "{status:?}");
    }
}
