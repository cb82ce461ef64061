//! The feed's `after` cursor never skips an event: events are ordered by commit, and on
//! PostgreSQL an event is shown only once no transaction that could commit before it is still
//! running. SQLite by default, PostgreSQL when `BROKER_TEST_DATABASE_URL` is set.

#![expect(
    clippy::expect_used,
    reason = "test set-up failures should stop the test loudly"
)]

use std::time::Duration;

use broker_domain::notify::Topic;
use broker_migrations::{Migrator, MigratorTrait};
use broker_store::entity::{feed_event, feed_event_topic};
use broker_store::repo::audit::{self, AuditEntry};
use broker_store::repo::notify::{self, FeedPage, FeedQuery};
use broker_store::{Store, StoreError, testing};
use sea_orm::sea_query::{Expr, Query};
use sea_orm::{ActiveValue::Set, ConnectionTrait, EntityTrait, TransactionTrait};
use uuid::Uuid;

const READER: &str = "reader";
const WRITER: &str = "writer";

async fn store() -> (Store, testing::TestDatabase) {
    let db = testing::fresh_database().await.expect("database");
    let store = Store::connect(&db.url).await.expect("connect and migrate");
    let topic = Topic::parse("municipality", "1438").expect("topic");
    notify::subscribe(store.conn(), READER, &topic)
        .await
        .expect("subscribe");
    (store, db)
}

/// A write on the reader's topic, titled so the test can tell events apart.
fn write(title: &str) -> AuditEntry {
    AuditEntry {
        actor: WRITER.into(),
        actor_role: Some("municipal_contact"),
        actor_organisation: None,
        action: "offer.update".into(),
        entity: "offer",
        entity_id: Some(Uuid::now_v7()),
        before: None,
        after: Some(serde_json::json!({"municipality": "1438", "title": title})),
    }
}

async fn record(store: &Store, title: &str) {
    let txn = store.begin().await.expect("begin");
    audit::record(&txn, write(title)).await.expect("record");
    txn.commit().await.expect("commit");
}

async fn read(conn: &impl ConnectionTrait, after: Option<Uuid>, limit: u64) -> FeedPage {
    notify::feed(
        conn,
        READER,
        FeedQuery {
            after,
            before: None,
            limit,
        },
    )
    .await
    .expect("feed")
}

fn titles(page: &FeedPage) -> Vec<String> {
    page.items
        .iter()
        .map(|i| i.event.title.clone().unwrap_or_default())
        .collect()
}

/// Waits until the newest entry shown is `title`. On PostgreSQL any transaction still running
/// on the server (another test's, in any database) holds newer events back for a moment.
async fn wait_until_newest(conn: &impl ConnectionTrait, title: &str) {
    for _ in 0..200 {
        if titles(&read(conn, None, 1).await)
            .first()
            .map(String::as_str)
            == Some(title)
        {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("{title} never became the newest entry");
}

/// A poller that follows `newest` with `after`, as a client does.
#[derive(Default)]
struct Poller {
    cursor: Option<Uuid>,
    /// Titles in the order first seen, oldest first.
    seen: Vec<String>,
}

impl Poller {
    /// Reads pages of `limit` until one says nothing more remains.
    async fn poll(&mut self, conn: &impl ConnectionTrait, limit: u64) {
        loop {
            let page = read(conn, self.cursor, limit).await;
            if let Some(newest) = page.items.first() {
                self.cursor = Some(newest.event.id);
            }
            self.seen.extend(titles(&page).into_iter().rev());
            if !page.has_more {
                return;
            }
        }
    }
}

#[tokio::test]
async fn a_slow_transaction_s_event_is_not_skipped_by_a_poller() {
    let (store, _db) = store().await;
    if store.backend() != "postgres" {
        // SQLite's writers take turns: two write transactions cannot interleave.
        return;
    }
    let conn = store.conn();
    record(&store, "first").await;
    wait_until_newest(conn, "first").await;
    let mut poller = Poller::default();
    poller.poll(conn, 50).await;
    assert_eq!(poller.seen, ["first"]);

    // T1 appends its event (its id is the older one) and stays open; T2 appends and commits.
    let slow = store.begin().await.expect("begin T1");
    audit::record(&slow, write("slow"))
        .await
        .expect("record T1");
    record(&store, "fast").await;

    // T2's event must wait for T1: shown now, it would move the poller's cursor past T1's.
    poller.poll(conn, 50).await;
    assert_eq!(
        poller.seen,
        ["first"],
        "nothing is shown while T1 may commit"
    );
    let page = read(conn, None, 50).await;
    assert_eq!(titles(&page), ["first"], "not on the first page either");

    slow.commit().await.expect("commit T1");
    wait_until_newest(conn, "fast").await;
    poller.poll(conn, 50).await;
    assert_eq!(
        poller.seen,
        ["first", "slow", "fast"],
        "both appear, in commit order, none skipped"
    );
}

#[tokio::test]
async fn a_poller_behind_by_more_than_a_page_reads_forward_without_gaps() {
    let (store, _db) = store().await;
    let conn = store.conn();
    record(&store, "e0").await;
    wait_until_newest(conn, "e0").await;
    let mut poller = Poller::default();
    poller.poll(conn, 3).await;
    assert_eq!(poller.seen, ["e0"]);

    // One call with several events (they share their commit position, ordered by id), then
    // single ones.
    let txn = store.begin().await.expect("begin");
    audit::record_many(&txn, vec![write("e1"), write("e2"), write("e3")])
        .await
        .expect("record many");
    txn.commit().await.expect("commit");
    for title in ["e4", "e5", "e6", "e7"] {
        record(&store, title).await;
    }
    wait_until_newest(conn, "e7").await;

    // The page after the cursor holds the oldest three after it, newest first, and says there
    // is more.
    let page = read(conn, poller.cursor, 3).await;
    assert_eq!(titles(&page), ["e3", "e2", "e1"]);
    assert!(page.has_more);

    poller.poll(conn, 3).await;
    let expected: Vec<String> = (0..8).map(|i| format!("e{i}")).collect();
    assert_eq!(poller.seen, expected, "every event once, in order");

    // Without `after` the newest page comes first, and `has_more` means older ones remain.
    let newest = read(conn, None, 3).await;
    assert_eq!(titles(&newest), ["e7", "e6", "e5"]);
    assert!(newest.has_more);
    let older = notify::feed(
        conn,
        READER,
        FeedQuery {
            after: None,
            before: newest.items.last().map(|i| i.event.id),
            limit: 10,
        },
    )
    .await
    .expect("feed before");
    assert_eq!(titles(&older), ["e4", "e3", "e2", "e1", "e0"]);
    assert!(!older.has_more);
}

#[tokio::test]
async fn a_cursor_no_event_has_is_an_invalid_field() {
    let (store, _db) = store().await;
    record(&store, "e0").await;
    for (after, before, field) in [
        (Some(Uuid::now_v7()), None, "after"),
        (None, Some(Uuid::now_v7()), "before"),
    ] {
        let refused = notify::feed(
            store.conn(),
            READER,
            FeedQuery {
                after,
                before,
                limit: 10,
            },
        )
        .await;
        match refused {
            Err(StoreError::Invalid(e)) => {
                let fields: Vec<&str> = e.field_errors().iter().map(|f| f.field.as_str()).collect();
                assert_eq!(fields, [field]);
            }
            other => panic!("expected an invalid {field}, got {other:?}"),
        }
    }
}

#[tokio::test]
async fn a_transaction_in_another_database_does_not_hold_the_feed_back() {
    let (store, _db) = store().await;
    let Ok(server) = std::env::var(testing::TEST_DATABASE_ENV) else {
        return;
    };
    if store.backend() != "postgres" {
        return;
    }
    // A transaction on the server's other database takes its id before our write and stays
    // open: it cannot write our events, so it must not hide them.
    let elsewhere = sea_orm::Database::connect(server.as_str())
        .await
        .expect("connect elsewhere");
    let open = elsewhere.begin().await.expect("begin elsewhere");
    open.execute_unprepared("SELECT pg_current_xact_id()")
        .await
        .expect("take an id elsewhere");
    record(&store, "ours").await;
    assert_eq!(titles(&read(store.conn(), None, 10).await), ["ours"]);
    open.rollback().await.expect("rollback elsewhere");
    elsewhere.close().await.expect("close elsewhere");
}

#[tokio::test]
async fn events_recorded_before_the_migration_keep_their_place_before_new_ones() {
    let (store, _db) = store().await;
    let conn = store.conn();
    // Roll back to just before the commit-order migration, record as the old code did, and
    // migrate again.
    let migrations = Migrator::migrations();
    let position = migrations
        .iter()
        .position(|m| m.name() == "m20261129_000013_feed_commit_order")
        .expect("the commit-order migration is registered");
    let steps = u32::try_from(migrations.len() - position).expect("few migrations");
    Migrator::down(conn, Some(steps)).await.expect("down");
    let mut old_ids = Vec::new();
    for title in ["old 1", "old 2"] {
        let id = Uuid::now_v7();
        let mut insert = Query::insert();
        insert
            .into_table(feed_event::Entity)
            .columns([
                feed_event::Column::Id,
                feed_event::Column::At,
                feed_event::Column::Actor,
                feed_event::Column::Action,
                feed_event::Column::Entity,
                feed_event::Column::Title,
            ])
            .values([
                Expr::val(id),
                Expr::val(chrono::Utc::now()),
                Expr::val(WRITER),
                Expr::val("offer.update"),
                Expr::val("offer"),
                Expr::val(title),
            ])
            .expect("as many values as columns");
        conn.execute(&insert).await.expect("an event from before");
        feed_event_topic::Entity::insert(feed_event_topic::ActiveModel {
            event_id: Set(id),
            topic: Set("municipality:1438".into()),
        })
        .exec(conn)
        .await
        .expect("its topic");
        old_ids.push(id);
    }
    Migrator::up(conn, None).await.expect("up again");

    record(&store, "new").await;
    wait_until_newest(conn, "new").await;
    let page = read(conn, None, 10).await;
    assert_eq!(titles(&page), ["new", "old 2", "old 1"]);
    let mut seqs = Vec::new();
    for item in &page.items {
        let stored = feed_event::Entity::find_by_id(item.event.id)
            .one(conn)
            .await
            .expect("read the stored event")
            .expect("stored");
        seqs.push(stored.commit_seq);
    }
    assert!(seqs[0] > 0 && seqs[1..] == [0, 0], "{seqs:?}");
    let after_old = read(conn, old_ids.first().copied(), 10).await;
    assert_eq!(titles(&after_old), ["new", "old 2"]);
}
