//! Runs work items over N PostgreSQL sessions pulling from one queue, with
//! ONE way to stop: Ctrl-C/SIGTERM, the `--max-duration` deadline and a
//! fatal error all raise the same flag, after which no item starts and every
//! statement still running on the server is cancelled with the protocol's
//! cancel request, again and again until its worker has let go of it (a
//! cancel that reaches an idle backend is ignored, so once is not enough
//! when it races with the start of a statement). Only then do the sessions
//! close, so nothing of ours is left running on the server.
//!
//! A server that answers neither the statement nor the cancel (frozen, or a
//! proxy in front of it that holds on) would keep a worker blocked for good:
//! [`GIVE_UP`] after the stop, such a worker is abandoned (its thread is
//! detached, its item reported as abandoned), so a stopped run ends within
//! about a second of its deadline whatever the server does. Without a stop
//! nothing is abandoned: a statement may rightly run for hours.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, PoisonError, mpsc};
use std::time::{Duration, Instant};

use crate::interrupt;
use crate::probe::postgres::{Canceller, Session};

/// Why a run stopped before its queue was empty.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Stop {
    /// Ctrl-C or SIGTERM.
    Interrupted,
    /// `--max-duration` passed.
    Deadline(Duration),
    /// A session failed in a way that is not about one item (connection lost).
    Failed(String),
}

impl Stop {
    pub fn describe(&self) -> String {
        match self {
            Stop::Interrupted => "interrupted (Ctrl-C or SIGTERM)".to_owned(),
            Stop::Deadline(limit) => format!(
                "--max-duration {} reached",
                crate::units::compact_duration(*limit)
            ),
            Stop::Failed(message) => message.clone(),
        }
    }
}

/// What one item's work came to; `Fatal` stops the whole run.
pub enum Step<R> {
    Done(R),
    Fatal(R, String),
}

/// What work sees of the run: whether it should stop between statements.
pub struct Signal {
    stopping: Arc<AtomicBool>,
}

impl Signal {
    pub fn stopping(&self) -> bool {
        self.stopping.load(Ordering::SeqCst)
    }
}

pub struct Finished<T, R> {
    /// (queue position, result) in the order they finished.
    pub results: Vec<(usize, R)>,
    /// Items never started, with their queue position.
    pub not_started: Vec<(usize, T)>,
    /// Items whose statement neither ended nor answered the cancel request
    /// within [`GIVE_UP`] of the stop: it may still be running on the server.
    pub abandoned: Vec<(usize, T)>,
    pub stop: Option<Stop>,
}

/// The sentence for an abandoned item.
pub const ABANDONED: &str = "the server answered neither the statement nor its cancel request; it may still be running there";

const POLL: Duration = Duration::from_millis(20);
const CANCEL_AGAIN: Duration = Duration::from_millis(200);
/// How long after a stop a worker still blocked on the server is waited for.
pub const GIVE_UP: Duration = Duration::from_secs(1);

/// One session's worker as the supervisor sees it: its cancel handle and
/// the item it is running, if any.
struct Slot<T> {
    canceller: Canceller,
    running: Mutex<Option<(usize, T)>>,
}

/// Works through `items` in order with one thread per session.
pub fn run<T, R, W>(
    sessions: Vec<Session>,
    items: Vec<T>,
    deadline: Option<(Instant, Duration)>,
    work: W,
) -> Finished<T, R>
where
    T: Clone + Send + 'static,
    R: Send + 'static,
    W: Fn(&mut Session, &T, &Signal) -> Step<R> + Send + Sync + 'static,
{
    let queue: Arc<Mutex<VecDeque<(usize, T)>>> =
        Arc::new(Mutex::new(items.into_iter().enumerate().collect()));
    let stopping = Arc::new(AtomicBool::new(false));
    let slots: Arc<Vec<Slot<T>>> = Arc::new(
        sessions
            .iter()
            .map(|session| Slot {
                canceller: session.canceller(),
                running: Mutex::new(None),
            })
            .collect(),
    );
    let work = Arc::new(work);
    let (sender, receiver) = mpsc::channel::<(usize, Step<R>)>();

    for (slot, mut session) in sessions.into_iter().enumerate() {
        let sender = sender.clone();
        let (queue, stopping, slots, work) = (
            Arc::clone(&queue),
            Arc::clone(&stopping),
            Arc::clone(&slots),
            Arc::clone(&work),
        );
        std::thread::spawn(move || {
            let signal = Signal {
                stopping: Arc::clone(&stopping),
            };
            loop {
                let next = {
                    let mut queue = queue.lock().unwrap_or_else(PoisonError::into_inner);
                    if stopping.load(Ordering::SeqCst) {
                        None
                    } else {
                        // Running before the lock is released: the supervisor
                        // never sees a started item as idle.
                        let next = queue.pop_front();
                        if let Some(next) = &next {
                            *slots[slot]
                                .running
                                .lock()
                                .unwrap_or_else(PoisonError::into_inner) = Some(next.clone());
                        }
                        next
                    }
                };
                let Some((index, item)) = next else {
                    break;
                };
                let step = work(&mut session, &item, &signal);
                let fatal = matches!(step, Step::Fatal(..));
                // Sent and no longer running in one move under the slot's
                // lock: the supervisor giving up sees the item either as a
                // result or as abandoned, never both, never neither.
                let sent = {
                    let mut running = slots[slot]
                        .running
                        .lock()
                        .unwrap_or_else(PoisonError::into_inner);
                    running.take();
                    sender.send((index, step)).is_ok()
                };
                if !sent || fatal {
                    break;
                }
            }
            // Dropping the session here closes the connection, after its
            // last statement has ended.
            drop(session);
        });
    }
    drop(sender);

    let mut results = Vec::new();
    let mut abandoned = Vec::new();
    let mut stop: Option<Stop> = None;
    let mut stopped_at: Option<Instant> = None;
    let mut last_cancel: Option<Instant> = None;
    loop {
        match receiver.recv_timeout(POLL) {
            Ok((index, Step::Done(result))) => results.push((index, result)),
            Ok((index, Step::Fatal(result, message))) => {
                results.push((index, result));
                stop.get_or_insert(Stop::Failed(message));
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => break,
        }
        if stop.is_none() {
            if interrupt::requested() {
                stop = Some(Stop::Interrupted);
            } else if let Some((at, limit)) = deadline
                && Instant::now() >= at
            {
                stop = Some(Stop::Deadline(limit));
            }
        }
        if stop.is_none() {
            continue;
        }
        stopping.store(true, Ordering::SeqCst);
        let since = *stopped_at.get_or_insert_with(Instant::now);
        if since.elapsed() >= GIVE_UP {
            // Whatever still runs now is stuck on a server that does not
            // answer: take its item back and leave the thread behind.
            for slot in slots.iter() {
                if let Some(item) = slot
                    .running
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .take()
                {
                    abandoned.push(item);
                }
            }
            while let Ok((index, Step::Done(result) | Step::Fatal(result, _))) = receiver.try_recv()
            {
                results.push((index, result));
            }
            break;
        }
        if last_cancel.is_none_or(|at| at.elapsed() >= CANCEL_AGAIN) {
            for slot in slots.iter() {
                let busy = slot
                    .running
                    .lock()
                    .unwrap_or_else(PoisonError::into_inner)
                    .is_some();
                if busy {
                    // A failed cancel request (server gone) leaves nothing
                    // running that we could stop. It runs on a thread of its
                    // own: a server that does not answer must not hold the
                    // supervisor past its give-up time.
                    let canceller = slot.canceller.clone();
                    std::thread::spawn(move || {
                        let _ = canceller.cancel();
                    });
                }
            }
            last_cancel = Some(Instant::now());
        }
    }

    let not_started = std::mem::take(&mut *queue.lock().unwrap_or_else(PoisonError::into_inner))
        .into_iter()
        .collect();
    Finished {
        results,
        not_started,
        abandoned,
        stop,
    }
}
