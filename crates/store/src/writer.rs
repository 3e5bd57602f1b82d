//! The request-log writer: a dedicated thread that owns a connection and writes queued rows in
//! batched transactions.
//!
//! Requests only ever `enqueue` (a non-blocking push onto a bounded queue). The thread collects
//! rows for up to [`BATCH_WINDOW`] after the first one arrives (or until [`MAX_BATCH`], or a
//! flush) and commits them in one transaction together with their `monthly_usage` increments and
//! rollups: a transaction costs about as much as a few dozen rows, so committing each row alone
//! at a few hundred requests per second would cost more CPU than the rest of the request path. If the database fails, the rows are kept and retried with backoff (at most
//! `capacity` of them: beyond that the oldest are dropped, and counted); a full queue drops, and
//! counts, new rows instead of blocking a request.

use std::path::Path;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{
    Receiver, RecvTimeoutError, SyncSender, TryRecvError, TrySendError, sync_channel,
};
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use rusqlite::{Connection, params};

use crate::rollup::Rollup;
use crate::{RequestRow, StoreError, database};

/// Rows per transaction at most.
const MAX_BATCH: usize = 2048;
/// How long the first row of a batch waits for others before it is written.
const BATCH_WINDOW: Duration = Duration::from_millis(20);
/// The longest pause between two attempts while the database is failing.
const MAX_BACKOFF: Duration = Duration::from_secs(5);
/// The longest a flush waits for its answer (one attempt is at most a busy timeout, 5 s).
const FLUSH_TIMEOUT: Duration = Duration::from_secs(30);

enum Message {
    Row(Box<RequestRow>),
    /// Reply once every row queued before this message has been tried in a transaction.
    Flush(std::sync::mpsc::Sender<()>),
}

/// What the writer has done so far; read by `/health`.
#[derive(Debug, Default)]
pub struct WriterStatus {
    written: AtomicU64,
    dropped: AtomicU64,
    failing: Mutex<Option<String>>,
}

impl WriterStatus {
    /// Rows committed to the database.
    pub fn written(&self) -> u64 {
        self.written.load(Ordering::Relaxed)
    }
    /// Rows lost because the queue was full (or the database never recovered before shutdown).
    pub fn dropped(&self) -> u64 {
        self.dropped.load(Ordering::Relaxed)
    }
    /// The last database error, while the database is failing.
    pub fn failing(&self) -> Option<String> {
        self.failing
            .lock()
            .unwrap_or_else(PoisonError::into_inner)
            .clone()
    }
    fn set_failing(&self, error: Option<String>) {
        *self.failing.lock().unwrap_or_else(PoisonError::into_inner) = error;
    }
}

/// Handle to the writer thread. Dropping it (or calling [`RequestLogWriter::close`]) flushes every
/// queued row and stops the thread.
pub struct RequestLogWriter {
    sender: Option<SyncSender<Message>>,
    thread: Option<JoinHandle<()>>,
    status: Arc<WriterStatus>,
}

impl RequestLogWriter {
    /// Starts the writer on its own connection to the (already migrated) database at `path`.
    /// `capacity` bounds the queue: a few seconds of peak traffic is plenty.
    pub fn start(path: &Path, capacity: usize) -> Result<Self, StoreError> {
        let conn = database::connect(path)?;
        let (sender, receiver) = sync_channel(capacity);
        let status = Arc::new(WriterStatus::default());
        let thread_status = Arc::clone(&status);
        let thread = std::thread::Builder::new()
            .name("clawbox-log-writer".into())
            .spawn(move || run(conn, receiver, &thread_status, capacity))
            .map_err(StoreError::Thread)?;
        Ok(Self {
            sender: Some(sender),
            thread: Some(thread),
            status,
        })
    }

    /// Queues a row without blocking. Returns false (and counts the row as dropped) when the
    /// queue is full.
    pub fn enqueue(&self, row: RequestRow) -> bool {
        let Some(sender) = &self.sender else {
            return false;
        };
        match sender.try_send(Message::Row(Box::new(row))) {
            Ok(()) => true,
            Err(TrySendError::Full(_) | TrySendError::Disconnected(_)) => {
                self.status.dropped.fetch_add(1, Ordering::Relaxed);
                false
            }
        }
    }

    /// Blocks until every row queued so far has been written (or, while the database is failing,
    /// tried once). Not for the request path.
    pub fn flush(&self) {
        let Some(sender) = &self.sender else { return };
        let (tx, rx) = std::sync::mpsc::channel();
        // The thread drains the queue on every pass, so this send waits at most one backoff.
        if sender.send(Message::Flush(tx)).is_ok() {
            let _ = rx.recv_timeout(FLUSH_TIMEOUT);
        }
    }

    pub fn status(&self) -> Arc<WriterStatus> {
        Arc::clone(&self.status)
    }

    /// Flushes every queued row and stops the thread.
    pub fn close(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        drop(self.sender.take());
        if let Some(thread) = self.thread.take()
            && thread.join().is_err()
        {
            tracing::error!("the request-log writer thread panicked");
        }
    }
}

impl Drop for RequestLogWriter {
    fn drop(&mut self) {
        self.stop();
    }
}

fn run(mut conn: Connection, receiver: Receiver<Message>, status: &WriterStatus, capacity: usize) {
    let mut pending: Vec<RequestRow> = Vec::new();
    let mut waiting: Vec<std::sync::mpsc::Sender<()>> = Vec::new();
    let mut backoff = Duration::from_millis(100);
    let mut open = true;
    loop {
        if pending.is_empty() {
            if !open {
                break;
            }
            // Idle: block for the next message.
            match receiver.recv() {
                Ok(message) => accept(message, &mut pending, &mut waiting),
                Err(_) => break,
            }
        }
        // Take everything queued, waiting up to BATCH_WINDOW for more unless someone waits on a
        // flush or the batch is full; even while the database is failing, so that flushes are
        // answered and a closed channel (shutdown) is noticed. The queue is bounded, and so,
        // through `shed_overflow`, is `pending`.
        let deadline = Instant::now() + BATCH_WINDOW;
        while open {
            let wait = deadline.saturating_duration_since(Instant::now());
            // Never hold more than the queue's capacity: a stuck database must still show as
            // dropped rows, not as a growing heap.
            let room = pending.len() < MAX_BATCH.min(capacity);
            let next = if waiting.is_empty() && room && !wait.is_zero() {
                receiver.recv_timeout(wait)
            } else {
                receiver.try_recv().map_err(|e| match e {
                    TryRecvError::Empty => RecvTimeoutError::Timeout,
                    TryRecvError::Disconnected => RecvTimeoutError::Disconnected,
                })
            };
            match next {
                Ok(message) => accept(message, &mut pending, &mut waiting),
                Err(RecvTimeoutError::Timeout) => break,
                Err(RecvTimeoutError::Disconnected) => open = false,
            }
        }
        let failure = write_pending(&mut conn, &mut pending, status);
        match &failure {
            None => {
                if status.failing().is_some() {
                    tracing::info!("the usage database is writable again");
                    status.set_failing(None);
                }
                backoff = Duration::from_millis(100);
            }
            Some(e) => {
                if status.failing().is_none() {
                    tracing::error!(error = %e, "cannot write to the usage database; retrying");
                }
                status.set_failing(Some(e.to_string()));
                if open {
                    shed_overflow(&mut pending, capacity, status);
                } else {
                    // Shutting down and the database still refuses: give up, but say how many.
                    count_dropped(status, pending.len());
                    tracing::error!(rows = pending.len(), "request-log rows lost at shutdown");
                    pending.clear();
                }
            }
        }
        // A flush waits for one attempt at everything queued before it, not for recovery: a
        // failing database must not hang whoever asked.
        for reply in waiting.drain(..) {
            let _ = reply.send(());
        }
        if failure.is_some() && open {
            std::thread::sleep(backoff);
            backoff = (backoff * 2).min(MAX_BACKOFF);
        }
    }
}

/// Writes `pending` in transactions of at most [`MAX_BATCH`] rows, removing what was written.
/// Returns the error that stopped it, if any (the rows not yet written stay in `pending`).
fn write_pending(
    conn: &mut Connection,
    pending: &mut Vec<RequestRow>,
    status: &WriterStatus,
) -> Option<rusqlite::Error> {
    while !pending.is_empty() {
        let n = pending.len().min(MAX_BATCH);
        match write_batch(conn, &pending[..n]) {
            Ok(skipped) => {
                status
                    .written
                    .fetch_add((n - skipped) as u64, Ordering::Relaxed);
                count_dropped(status, skipped);
                pending.drain(..n);
            }
            Err(e) => return Some(e),
        }
    }
    None
}

fn count_dropped(status: &WriterStatus, rows: usize) {
    status.dropped.fetch_add(rows as u64, Ordering::Relaxed);
}

fn accept(
    message: Message,
    pending: &mut Vec<RequestRow>,
    waiting: &mut Vec<std::sync::mpsc::Sender<()>>,
) {
    match message {
        Message::Row(row) => pending.push(*row),
        Message::Flush(reply) => waiting.push(reply),
    }
}

/// While the database is failing, rows held for retry are bounded like the queue: the oldest
/// beyond that are dropped and counted.
fn shed_overflow(pending: &mut Vec<RequestRow>, capacity: usize, status: &WriterStatus) {
    if pending.len() > capacity {
        let excess = pending.len() - capacity;
        pending.drain(..excess);
        count_dropped(status, excess);
    }
}

/// One transaction. A row the database refuses for itself (a duplicate id) is skipped and
/// counted, so one bad row cannot stop the log; any other error fails the whole batch, to be
/// retried. Returns how many rows were skipped.
fn write_batch(conn: &mut Connection, rows: &[RequestRow]) -> Result<usize, rusqlite::Error> {
    let tx = conn.transaction()?;
    let mut skipped = 0;
    let mut rollup = Rollup::default();
    {
        let mut insert = tx.prepare_cached(include_str!("sql/insert_request.sql"))?;
        let mut count = tx.prepare_cached(include_str!("sql/count_monthly.sql"))?;
        for row in rows {
            let inserted = insert.execute(params![
                row.id,
                row.user_id,
                row.endpoint,
                row.status,
                int(row.latency_ms),
                int(row.tokens_est),
                row.ip_hash,
                row.created_at,
                row.tokens_source.as_str(),
                row.prompt_tokens.map(int),
                row.completion_tokens.map(int),
                row.method,
                row.model,
                row.mode,
                row.upstream,
                row.stream,
                row.ttfb_ms.map(int),
                row.error,
                row.failover,
                row.client,
                row.agent_session,
                row.cached_tokens.map(int),
                row.cache_write_tokens.map(int),
                row.reasoning_tokens.map(int),
                row.cost_usd,
                row.billing,
                row.upstream_request_id,
            ]);
            match inserted {
                Ok(_) => {}
                Err(rusqlite::Error::SqliteFailure(f, _))
                    if f.code == rusqlite::ErrorCode::ConstraintViolation =>
                {
                    tracing::warn!(id = %row.id, "request-log row refused by the database; skipped");
                    skipped += 1;
                    continue;
                }
                Err(e) => return Err(e),
            }
            rollup.add(row);
            if row.admitted {
                count.execute(params![
                    row.user_id,
                    row.month(),
                    int(row.tokens_est),
                    row.spent_usd()
                ])?;
            }
        }
    }
    rollup.write(&tx)?;
    tx.commit()?;
    Ok(skipped)
}

/// SQLite integers are signed: a count past i64::MAX (only a broken upstream reports one) is
/// stored as the maximum rather than failing the row.
fn int(v: u64) -> i64 {
    i64::try_from(v).unwrap_or(i64::MAX)
}
