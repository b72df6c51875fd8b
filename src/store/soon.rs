//! Writes that can wait a moment: records nobody is answered on (proxy mode's Attempts) join the
//! next write's transaction instead of paying a commit of their own, which the next webhook
//! would otherwise queue behind. They commit alone only when no other write comes within
//! [`SOON`].

use std::time::Duration;

use tokio::sync::oneshot;

use super::model::{Attempt, AttemptOutcome, NewAttempt};
use super::writer::{Ctx, Job, is_storage_failure};
use super::{Store, StoreError, ops, writer};

/// Longest a write that can wait waits for another to share its commit.
pub(crate) const SOON: Duration = Duration::from_millis(5);

/// Waiting writes and the write that takes them along, sent to the writer as one job so they
/// cannot land in different commits. Each runs in a savepoint of its own: one failing is undone
/// alone, as the writer does for separate jobs.
struct Bundle(Vec<Box<dyn Job>>);

impl Bundle {
    fn savepoint(ctx: &Ctx<'_>, sql: &str) -> Result<(), StoreError> {
        ctx.conn.prepare_cached(sql)?.execute([])?;
        Ok(())
    }
}

impl Job for Bundle {
    fn weight(&self) -> usize {
        self.0.iter().map(|j| j.weight()).sum()
    }

    fn run(&mut self, ctx: &mut Ctx<'_>) -> Option<StoreError> {
        for job in &mut self.0 {
            if let Err(e) = Bundle::savepoint(ctx, "SAVEPOINT soon") {
                return Some(e);
            }
            let end = match job.run(ctx) {
                None => Bundle::savepoint(ctx, "RELEASE soon"),
                // The transaction is gone or the file refuses writes: the whole batch fails.
                Some(e) if ctx.conn.is_autocommit() || is_storage_failure(&e) => return Some(e),
                Some(_) => Bundle::savepoint(ctx, "ROLLBACK TO soon")
                    .and_then(|()| Bundle::savepoint(ctx, "RELEASE soon")),
            };
            if let Err(e) = end {
                return Some(e);
            }
        }
        None
    }

    fn reply(self: Box<Self>, batch: Result<(), StoreError>) {
        for job in self.0 {
            job.reply(batch.clone());
        }
    }
}

impl Store {
    /// Like `write`, for a record nothing is acknowledged on: it is committed with the next
    /// write, or alone after [`SOON`]. Answers once committed.
    pub(crate) async fn write_soon<T, F>(&self, weight: usize, work: F) -> Result<T, StoreError>
    where
        T: Send + 'static,
        F: FnOnce(&mut writer::Ctx<'_>) -> Result<T, StoreError> + Send + 'static,
    {
        let (tx, rx) = oneshot::channel();
        let first = {
            let mut soon = self.inner.soon.lock().unwrap_or_else(|p| p.into_inner());
            soon.push(writer::job(weight, work, tx));
            soon.len() == 1
        };
        if first {
            let store = self.clone();
            tokio::spawn(async move {
                tokio::time::sleep(SOON).await;
                let waiting = store.take_soon();
                if !waiting.is_empty() {
                    // A closed store drops the jobs, and their callers hear `Closed`.
                    let _ = store.inner.jobs.send(Box::new(Bundle(waiting))).await;
                }
            });
        }
        rx.await.map_err(|_| StoreError::Closed)?
    }

    /// The writes waiting to join a commit, taken.
    fn take_soon(&self) -> Vec<Box<dyn Job>> {
        std::mem::take(&mut *self.inner.soon.lock().unwrap_or_else(|p| p.into_inner()))
    }

    /// `job` together with the writes waiting to join a commit, as one job.
    pub(crate) fn with_soon(&self, job: Box<dyn Job>) -> Box<dyn Job> {
        let mut waiting = self.take_soon();
        if waiting.is_empty() {
            return job;
        }
        waiting.push(job);
        Box::new(Bundle(waiting))
    }

    /// Stores the start of an Attempt nothing is acknowledged on, with the next write.
    pub async fn insert_attempt_soon(&self, a: NewAttempt) -> Result<Attempt, StoreError> {
        self.write_soon(0, move |ctx| ops::insert_attempt(ctx, a))
            .await
    }

    /// Stores how such an Attempt ended, with the next write.
    pub async fn finish_attempt_soon(
        &self,
        id: i64,
        o: AttemptOutcome,
    ) -> Result<Attempt, StoreError> {
        let weight = o.response_body.len();
        self.write_soon(weight, move |ctx| ops::finish_attempt(ctx, id, o))
            .await
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::store::Retention;

    #[tokio::test]
    async fn a_write_that_can_wait_joins_the_next_commit_or_commits_alone_after_a_moment() {
        let store = Store::open(
            ":memory:",
            Retention {
                max_events: 0,
                max_age: None,
            },
        )
        .expect("store");
        let commits = || store.stats().commits;
        let before = commits();
        let waiting = tokio::spawn({
            let store = store.clone();
            async move { store.write_soon(0, |_| Ok(1)).await }
        });
        // Queued, not committed: nothing is written until another write comes.
        tokio::time::sleep(Duration::from_millis(1)).await;
        assert_eq!(commits(), before, "it waits for company");
        assert_eq!(store.write(0, |_| Ok(2)).await.expect("write"), 2);
        assert_eq!(waiting.await.expect("task").expect("soon write"), 1);
        assert_eq!(commits(), before + 1, "both in one commit");
        // Alone, it commits after SOON.
        let started = std::time::Instant::now();
        assert_eq!(store.write_soon(0, |_| Ok(3)).await.expect("alone"), 3);
        assert!(started.elapsed() >= SOON, "{:?}", started.elapsed());
        assert_eq!(commits(), before + 2);
        // One that fails is undone alone: the write it joined still commits.
        let failing = tokio::spawn({
            let store = store.clone();
            async move {
                let gone = StoreError::NotFound {
                    what: "attempt",
                    id: 1,
                };
                store.write_soon(0, move |_| Err::<(), _>(gone)).await
            }
        });
        tokio::time::sleep(Duration::from_millis(1)).await;
        store.set_meta("k", "v").await.expect("the joined write");
        assert!(failing.await.expect("task").is_err());
        assert_eq!(store.meta("k").await.expect("meta").as_deref(), Some("v"));
    }
}
