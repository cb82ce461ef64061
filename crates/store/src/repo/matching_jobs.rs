//! Durable matching jobs shared by every instance over one database.
//!
//! A write enqueues its recomputation in its own transaction, so a crash after commit loses
//! nothing. One row per (kind, target): repeated changes coalesce, and each enqueue bumps the
//! row's generation so a change made while the job runs makes it run again instead of being
//! lost. Instances claim due rows under a lease (`FOR UPDATE SKIP LOCKED` on PostgreSQL; on
//! SQLite the claim is one conditional UPDATE, which the database's single write lock
//! serialises), run them and delete them; a row whose claimer died is claimed again once its
//! lease has run out.

use broker_domain::need::NeedStatus;
use chrono::{DateTime, Duration, Utc};
use sea_orm::sea_query::{Expr, ExprTrait, LockBehavior, LockType, OnConflict, Query};
use sea_orm::{
    ActiveValue::Set, ColumnTrait, Condition, ConnectionTrait, EntityTrait, QueryFilter,
    QueryOrder, QuerySelect,
};
use uuid::Uuid;

use crate::StoreError;
use crate::changes::{CHANGE_SEQ, ChangeCursor};
use crate::entity::{matching_job, need};

/// What a job recomputes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum JobKind {
    /// A need changed: recompute it and then the needs it pools with.
    Need,
    /// Recompute one need only (an offer or a pooling partner changed).
    Rescore,
    /// An offer changed: find the needs it could serve or is suggested to.
    Offer,
    /// Every active need (start-up, taxonomy or platform settings changed).
    All,
}

impl JobKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Need => "need",
            Self::Rescore => "rescore",
            Self::Offer => "offer",
            Self::All => "all",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "need" => Some(Self::Need),
            "rescore" => Some(Self::Rescore),
            "offer" => Some(Self::Offer),
            "all" => Some(Self::All),
            _ => None,
        }
    }
}

/// A job this instance holds the lease of.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ClaimedJob {
    pub id: Uuid,
    pub kind: JobKind,
    pub target_id: Uuid,
    /// The generation claimed; a later enqueue bumps it, and [`finish`] then keeps the row.
    pub generation: i32,
}

fn claimed(rows: Vec<matching_job::Model>) -> Result<Vec<ClaimedJob>, StoreError> {
    rows.into_iter()
        .map(|r| {
            Ok(ClaimedJob {
                id: r.id,
                kind: JobKind::parse(&r.kind)
                    .ok_or_else(|| StoreError::corrupt("matching job", &r.kind))?,
                target_id: r.target_id,
                generation: r.generation,
            })
        })
        .collect()
}

/// Enqueues a job, due `delay` from now, or marks the queued one as changed again. Call inside
/// the transaction of the write it follows.
pub async fn enqueue(
    conn: &impl ConnectionTrait,
    kind: JobKind,
    target_id: Uuid,
    delay: Duration,
) -> Result<(), StoreError> {
    enqueue_many(conn, kind, &[target_id], delay).await
}

/// How long other instances leave a need's job to the instance whose request enqueued it
/// (which runs it right after commit); after that, anyone takes it (that instance died).
pub const FAST_PATH_GRACE: Duration = Duration::seconds(2);

/// Enqueues a need's recomputation (and its pooling partners'), due to other instances after
/// [`FAST_PATH_GRACE`]. Call inside the transaction of the need's write; the instance that
/// wrote it runs the job at once after commit.
pub async fn enqueue_need(conn: &impl ConnectionTrait, id: Uuid) -> Result<(), StoreError> {
    enqueue(conn, JobKind::Need, id, FAST_PATH_GRACE).await
}

/// [`enqueue`] for many targets of one kind, in multi-row statements (a batch of offers, the
/// needs an offer's change touches).
pub async fn enqueue_many(
    conn: &impl ConnectionTrait,
    kind: JobKind,
    targets: &[Uuid],
    delay: Duration,
) -> Result<(), StoreError> {
    let now = Utc::now();
    let mut targets = targets.to_vec();
    // One row per target: a statement that names a row twice cannot upsert it twice.
    targets.sort_unstable();
    targets.dedup();
    for chunk in targets.chunks(500) {
        matching_job::Entity::insert_many(chunk.iter().map(|&target_id| {
            matching_job::ActiveModel {
                id: Set(Uuid::now_v7()),
                kind: Set(kind.as_str().to_owned()),
                target_id: Set(target_id),
                run_after: Set(now + delay),
                generation: Set(1),
                claimed_by: Set(None),
                claimed_until: Set(None),
                created_at: Set(now),
            }
        }))
        .on_conflict(
            OnConflict::columns([matching_job::Column::Kind, matching_job::Column::TargetId])
                .value(
                    matching_job::Column::Generation,
                    Expr::col((matching_job::Entity, matching_job::Column::Generation)).add(1i32),
                )
                .to_owned(),
        )
        .exec_without_returning(conn)
        .await?;
    }
    if targets.is_empty() {
        return Ok(());
    }
    crate::changes::announce(conn).await
}

/// Enqueues a job unless one of its kind and target is already queued or running (start-up's
/// full rematch: one for all instances, not one each).
pub async fn enqueue_once(
    conn: &impl ConnectionTrait,
    kind: JobKind,
    target_id: Uuid,
) -> Result<(), StoreError> {
    let now = Utc::now();
    let res = matching_job::Entity::insert(matching_job::ActiveModel {
        id: Set(Uuid::now_v7()),
        kind: Set(kind.as_str().to_owned()),
        target_id: Set(target_id),
        run_after: Set(now),
        generation: Set(1),
        claimed_by: Set(None),
        claimed_until: Set(None),
        created_at: Set(now),
    })
    .on_conflict(
        OnConflict::columns([matching_job::Column::Kind, matching_job::Column::TargetId])
            .do_nothing()
            .to_owned(),
    )
    .exec_without_returning(conn)
    .await;
    match res {
        Ok(_) | Err(sea_orm::DbErr::RecordNotInserted) => Ok(()),
        Err(e) => Err(e.into()),
    }
}

/// Rows nobody holds: never claimed, released, or claimed by an instance whose lease ran out.
fn unclaimed(now: DateTime<Utc>) -> Condition {
    Condition::any()
        .add(matching_job::Column::ClaimedUntil.is_null())
        .add(matching_job::Column::ClaimedUntil.lt(now))
}

/// Claims up to `limit` due jobs for `instance` until `now + lease`, oldest first. Rows other
/// instances are claiming at the same moment are skipped, not waited for.
pub async fn claim_due(
    conn: &impl ConnectionTrait,
    instance: &str,
    lease: Duration,
    limit: u64,
) -> Result<Vec<ClaimedJob>, StoreError> {
    let now = Utc::now();
    let due = Query::select()
        .column(matching_job::Column::Id)
        .from(matching_job::Entity)
        .cond_where(
            Condition::all()
                .add(matching_job::Column::RunAfter.lte(now))
                .add(unclaimed(now)),
        )
        .order_by(matching_job::Column::RunAfter, sea_orm::Order::Asc)
        .limit(limit)
        .lock_with_behavior(LockType::Update, LockBehavior::SkipLocked)
        .to_owned();
    let rows = matching_job::Entity::update_many()
        .col_expr(matching_job::Column::ClaimedBy, Expr::value(instance))
        .col_expr(matching_job::Column::ClaimedUntil, Expr::value(now + lease))
        .filter(matching_job::Column::Id.in_subquery(due))
        // Repeated outside the subquery: on SQLite it is what makes the claim conditional.
        .filter(unclaimed(now))
        .exec_with_returning(conn)
        .await?;
    claimed(rows)
}

/// Claims the job of `kind` for `target_id` whether due or not (the instance that made the
/// change runs it at once); `None` when there is none or another instance holds it.
pub async fn claim(
    conn: &impl ConnectionTrait,
    kind: JobKind,
    target_id: Uuid,
    instance: &str,
    lease: Duration,
) -> Result<Option<ClaimedJob>, StoreError> {
    let now = Utc::now();
    let rows = matching_job::Entity::update_many()
        .col_expr(matching_job::Column::ClaimedBy, Expr::value(instance))
        .col_expr(matching_job::Column::ClaimedUntil, Expr::value(now + lease))
        .filter(matching_job::Column::Kind.eq(kind.as_str()))
        .filter(matching_job::Column::TargetId.eq(target_id))
        .filter(unclaimed(now))
        .exec_with_returning(conn)
        .await?;
    Ok(claimed(rows)?.pop())
}

/// [`claim`] for many jobs, in one statement per kind and 500 targets: the jobs claimed (a
/// target another instance holds, or whose job is gone, is left out).
pub async fn claim_many(
    conn: &impl ConnectionTrait,
    kind: JobKind,
    targets: &[Uuid],
    instance: &str,
    lease: Duration,
) -> Result<Vec<ClaimedJob>, StoreError> {
    let now = Utc::now();
    let mut out = Vec::with_capacity(targets.len());
    for chunk in targets.chunks(500) {
        let rows = matching_job::Entity::update_many()
            .col_expr(matching_job::Column::ClaimedBy, Expr::value(instance))
            .col_expr(matching_job::Column::ClaimedUntil, Expr::value(now + lease))
            .filter(matching_job::Column::Kind.eq(kind.as_str()))
            .filter(matching_job::Column::TargetId.is_in(chunk.iter().copied()))
            .filter(unclaimed(now))
            .exec_with_returning(conn)
            .await?;
        out.extend(claimed(rows)?);
    }
    Ok(out)
}

/// A job ran: deletes it, unless it was enqueued again meanwhile, in which case it is released
/// to run once more.
pub async fn finish(conn: &impl ConnectionTrait, job: &ClaimedJob) -> Result<(), StoreError> {
    finish_many(conn, std::slice::from_ref(job)).await
}

/// [`finish`] for many jobs, in two statements per 256 jobs (a batch of offer jobs after a bulk
/// load finishes hundreds at once).
pub async fn finish_many(
    conn: &impl ConnectionTrait,
    jobs: &[ClaimedJob],
) -> Result<(), StoreError> {
    for chunk in jobs.chunks(256) {
        let this_run = chunk.iter().fold(Condition::any(), |any, job| {
            any.add(
                Condition::all()
                    .add(matching_job::Column::Id.eq(job.id))
                    .add(matching_job::Column::Generation.eq(job.generation)),
            )
        });
        matching_job::Entity::delete_many()
            .filter(this_run)
            .exec(conn)
            .await?;
        // What is left of the chunk was enqueued again while it ran: released to run once more.
        release_ids(conn, chunk.iter().map(|job| job.id), Utc::now()).await?;
    }
    Ok(())
}

/// Gives a claimed job back, due again after `retry_in` (a failed run).
pub async fn release(
    conn: &impl ConnectionTrait,
    job: &ClaimedJob,
    retry_in: Duration,
) -> Result<(), StoreError> {
    release_ids(conn, [job.id], Utc::now() + retry_in).await
}

/// Clears the claim on the jobs `ids`, due again at `run_after`.
async fn release_ids(
    conn: &impl ConnectionTrait,
    ids: impl IntoIterator<Item = Uuid>,
    run_after: DateTime<Utc>,
) -> Result<(), StoreError> {
    matching_job::Entity::update_many()
        .col_expr(
            matching_job::Column::ClaimedBy,
            Expr::value(Option::<String>::None),
        )
        .col_expr(
            matching_job::Column::ClaimedUntil,
            Expr::value(Option::<DateTime<Utc>>::None),
        )
        .col_expr(matching_job::Column::RunAfter, Expr::value(run_after))
        .filter(matching_job::Column::Id.is_in(ids))
        .exec(conn)
        .await?;
    Ok(())
}

/// Jobs queued or running (for tests and diagnostics).
pub async fn pending(conn: &impl ConnectionTrait) -> Result<u64, StoreError> {
    use sea_orm::PaginatorTrait;
    Ok(matching_job::Entity::find().count(conn).await?)
}

/// A need's row as of its last write, for instances following needs changed elsewhere.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct NeedChange {
    pub id: Uuid,
    pub active: bool,
    pub version: i32,
    /// Where this change sits in the commit order.
    pub position: ChangeCursor,
}

/// Needs written after `after` in commit order (see [`ChangeCursor`]), at most `limit`.
pub async fn need_changes_since(
    conn: &impl ConnectionTrait,
    after: ChangeCursor,
    limit: u64,
) -> Result<Vec<NeedChange>, StoreError> {
    let rows: Vec<(Uuid, String, i32, i64)> = need::Entity::find()
        .select_only()
        .column(need::Column::Id)
        .column(need::Column::Status)
        .column(need::Column::Version)
        .expr(Expr::col(CHANGE_SEQ))
        .filter(after.after(conn.get_database_backend()))
        .order_by(Expr::col(CHANGE_SEQ), sea_orm::Order::Asc)
        .order_by_asc(need::Column::Id)
        .limit(limit)
        .into_tuple()
        .all(conn)
        .await?;
    Ok(rows
        .into_iter()
        .map(|(id, status, version, seq)| NeedChange {
            id,
            active: NeedStatus::ACTIVE.iter().any(|s| s.as_str() == status),
            version,
            position: ChangeCursor { seq, id },
        })
        .collect())
}

/// Whether any job is due and unclaimed: a cheap read, so idle instances poll without writing.
pub async fn any_due(conn: &impl ConnectionTrait) -> Result<bool, StoreError> {
    let now = Utc::now();
    Ok(matching_job::Entity::find()
        .select_only()
        .column(matching_job::Column::Id)
        .filter(matching_job::Column::RunAfter.lte(now))
        .filter(unclaimed(now))
        .limit(1)
        .into_tuple::<Uuid>()
        .one(conn)
        .await?
        .is_some())
}

/// Whether a job of `kind` for `target_id` is queued or running.
pub async fn exists(
    conn: &impl ConnectionTrait,
    kind: JobKind,
    target_id: Uuid,
) -> Result<bool, StoreError> {
    Ok(matching_job::Entity::find()
        .select_only()
        .column(matching_job::Column::Id)
        .filter(matching_job::Column::Kind.eq(kind.as_str()))
        .filter(matching_job::Column::TargetId.eq(target_id))
        .into_tuple::<Uuid>()
        .one(conn)
        .await?
        .is_some())
}
