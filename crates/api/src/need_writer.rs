//! Group commit for entering needs. Creates that arrive together are stored in one
//! transaction: on SQLite every write waits its turn on the one writer connection, and a turn
//! per create (its begin, a dozen statements, its commit) is what capped need creation, not
//! the statements themselves. Each need still gets exactly what it got alone: its own rows,
//! audit entry, idempotency record and matching job, all committed before its 201.
//!
//! When a group fails, nothing of it is stored (one transaction) and each item is then stored
//! alone, so one need's failure (an Idempotency-Key taken meanwhile) never fails the others.

use std::future::Future;
use std::sync::Arc;

use broker_store::Store;
use tokio::sync::{Mutex, mpsc, oneshot};

use crate::error::ApiError;
use crate::routes::needs::{NeedToStore, StoredNeed, store_new};

type Reply<R> = oneshot::Sender<Result<R, ApiError>>;
type Queue<T, R> = Arc<Mutex<mpsc::UnboundedReceiver<(T, Reply<R>)>>>;

/// Stores items of type `T` in groups, answering each with its `R`; cheap to clone.
#[derive(Debug)]
pub struct GroupCommit<T, R> {
    queue: mpsc::UnboundedSender<(T, Reply<R>)>,
}

impl<T, R> Clone for GroupCommit<T, R> {
    fn clone(&self) -> Self {
        Self {
            queue: self.queue.clone(),
        }
    }
}

impl<T, R> GroupCommit<T, R>
where
    T: Clone + Send + 'static,
    R: Send + 'static,
{
    /// Starts `writers` tasks that take groups of up to `max_group` items from one queue and
    /// store each with `store_group`, which stores all of a group or none and answers in the
    /// group's order.
    pub fn start<F, Fut>(writers: usize, max_group: usize, store_group: F) -> Self
    where
        F: Fn(Vec<T>) -> Fut + Clone + Send + Sync + 'static,
        Fut: Future<Output = Result<Vec<R>, ApiError>> + Send + 'static,
    {
        let (queue, arrived) = mpsc::unbounded_channel();
        let arrived: Queue<T, R> = Arc::new(Mutex::new(arrived));
        for _ in 0..writers.max(1) {
            tokio::spawn(write_groups(
                arrived.clone(),
                max_group.max(1),
                store_group.clone(),
            ));
        }
        Self { queue }
    }

    /// Stores `item` (with whatever else arrived meanwhile) and answers once it is committed.
    pub async fn store(&self, item: T) -> Result<R, ApiError> {
        let (reply, answer) = oneshot::channel();
        self.queue
            .send((item, reply))
            .map_err(|_| ApiError::Unavailable("the service is shutting down".into()))?;
        answer
            .await
            .map_err(|_| ApiError::Unavailable("the service is shutting down".into()))?
    }
}

async fn write_groups<T, R, F, Fut>(arrived: Queue<T, R>, max_group: usize, store_group: F)
where
    T: Clone,
    F: Fn(Vec<T>) -> Fut,
    Fut: Future<Output = Result<Vec<R>, ApiError>>,
{
    loop {
        let group = {
            let mut arrived = arrived.lock().await;
            let Some(first) = arrived.recv().await else {
                return;
            };
            let mut group = vec![first];
            while group.len() < max_group {
                match arrived.try_recv() {
                    Ok(next) => group.push(next),
                    Err(_) => break,
                }
            }
            group
        };
        let (items, replies): (Vec<T>, Vec<Reply<R>>) = group.into_iter().unzip();
        if items.len() == 1 {
            let alone = store_group(items).await.and_then(only);
            if let Some(reply) = replies.into_iter().next() {
                let _ = reply.send(alone);
            }
            continue;
        }
        match store_group(items.clone()).await {
            Ok(stored) if stored.len() == replies.len() => {
                for (reply, stored) in replies.into_iter().zip(stored) {
                    let _ = reply.send(Ok(stored));
                }
            }
            _ => {
                for (item, reply) in items.into_iter().zip(replies) {
                    let _ = reply.send(store_group(vec![item]).await.and_then(only));
                }
            }
        }
    }
}

/// The one answer of a group of one.
fn only<R>(mut stored: Vec<R>) -> Result<R, ApiError> {
    match (stored.pop(), stored.is_empty()) {
        (Some(one), true) => Ok(one),
        _ => Err(ApiError::Unavailable(
            "storing answered for a different number of items".into(),
        )),
    }
}

/// Stores new needs in groups.
pub type NeedWriter = GroupCommit<NeedToStore, StoredNeed>;

/// Starts the need writer. On SQLite one task stores groups of up to 64 (there is one writer
/// connection to wait for). On PostgreSQL each create keeps a transaction of its own and eight
/// run side by side: there the cost is round trips, which pooled connections overlap, and
/// grouping measured slower (bench/README.md).
pub fn need_writer(store: Store) -> NeedWriter {
    let (writers, max_group) = if store.backend() == "sqlite" {
        (1, 64)
    } else {
        (8, 1)
    };
    GroupCommit::start(writers, max_group, move |needs: Vec<NeedToStore>| {
        let store = store.clone();
        async move {
            let txn = store.begin().await?;
            let mut stored = Vec::with_capacity(needs.len());
            for need in &needs {
                stored.push(store_new(&txn, need).await?);
            }
            txn.commit().await.map_err(ApiError::internal)?;
            Ok(stored)
        }
    })
}

#[cfg(test)]
mod tests {
    use std::sync::Mutex as StdMutex;

    use super::*;

    /// A store that records the groups it was given and refuses any group holding a negative
    /// number, as a transaction with one failing need fails.
    fn refusing_negatives(seen: Arc<StdMutex<Vec<Vec<i32>>>>) -> GroupCommit<i32, i32> {
        GroupCommit::start(1, 64, move |items: Vec<i32>| {
            let seen = seen.clone();
            async move {
                if let Ok(mut seen) = seen.lock() {
                    seen.push(items.clone());
                }
                if items.iter().any(|i| *i < 0) {
                    return Err(ApiError::Conflict("negative".into()));
                }
                Ok(items.iter().map(|i| i * 10).collect())
            }
        })
    }

    #[tokio::test(flavor = "current_thread")]
    async fn items_that_arrive_together_are_stored_together_and_each_gets_its_own_answer() {
        let seen = Arc::new(StdMutex::new(Vec::new()));
        let writer = refusing_negatives(seen.clone());
        // All four are queued before the writer task first runs (one thread), so they form one
        // group.
        let answers = futures_util::future::join_all((1..=4).map(|i| writer.store(i))).await;
        let answers: Vec<i32> = answers.into_iter().map(|a| a.unwrap_or(-1)).collect();
        assert_eq!(answers, vec![10, 20, 30, 40]);
        let groups = seen.lock().map(|s| s.clone()).unwrap_or_default();
        assert_eq!(groups, vec![vec![1, 2, 3, 4]]);
    }

    #[tokio::test(flavor = "current_thread")]
    async fn one_failing_item_fails_alone_and_the_rest_of_its_group_is_stored() {
        let seen = Arc::new(StdMutex::new(Vec::new()));
        let writer = refusing_negatives(seen.clone());
        let answers = futures_util::future::join_all([1, -2, 3].map(|i| writer.store(i))).await;
        assert!(matches!(answers[0], Ok(10)));
        assert!(matches!(answers[1], Err(ApiError::Conflict(_))));
        assert!(matches!(answers[2], Ok(30)));
        let groups = seen.lock().map(|s| s.clone()).unwrap_or_default();
        // The group first, refused; then each item alone.
        assert_eq!(groups, vec![vec![1, -2, 3], vec![1], vec![-2], vec![3]]);
    }
}
