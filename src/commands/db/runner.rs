//! Runs work items over N PostgreSQL sessions pulling from one queue, with
//! ONE way to stop: Ctrl-C/SIGTERM, the `--max-duration` deadline and a
//! fatal error all raise the same flag, after which no item starts and every
//! statement still running on the server is cancelled with the protocol's
//! cancel request, again and again until its worker has let go of it (a
//! cancel that reaches an idle backend is ignored, so once is not enough
//! when it races with the start of a statement). Only then do the sessions
//! close, so nothing of ours is left running on the server.

use std::collections::VecDeque;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Mutex, mpsc};
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
pub struct Signal<'a> {
    stopping: &'a AtomicBool,
}

impl Signal<'_> {
    pub fn stopping(&self) -> bool {
        self.stopping.load(Ordering::SeqCst)
    }
}

pub struct Finished<T, R> {
    /// (queue position, result) in the order they finished.
    pub results: Vec<(usize, R)>,
    /// Items never started, with their queue position.
    pub not_started: Vec<(usize, T)>,
    pub stop: Option<Stop>,
}

const POLL: Duration = Duration::from_millis(20);
const CANCEL_AGAIN: Duration = Duration::from_millis(200);

/// Works through `items` in order with one thread per session.
pub fn run<T, R, W>(
    sessions: Vec<Session>,
    items: Vec<T>,
    deadline: Option<(Instant, Duration)>,
    work: W,
) -> Finished<T, R>
where
    T: Send,
    R: Send,
    W: Fn(&mut Session, &T, &Signal<'_>) -> Step<R> + Sync,
{
    let queue: Mutex<VecDeque<(usize, T)>> = Mutex::new(items.into_iter().enumerate().collect());
    let stopping = AtomicBool::new(false);
    let slots: Vec<(Canceller, AtomicBool)> = sessions
        .iter()
        .map(|session| (session.canceller(), AtomicBool::new(false)))
        .collect();
    let (sender, receiver) = mpsc::channel::<(usize, Step<R>)>();
    let mut results = Vec::new();
    let mut stop: Option<Stop> = None;

    std::thread::scope(|scope| {
        for (slot, mut session) in sessions.into_iter().enumerate() {
            let sender = sender.clone();
            let (queue, stopping, slots, work) = (&queue, &stopping, &slots, &work);
            scope.spawn(move || {
                let signal = Signal { stopping };
                loop {
                    let next = {
                        let mut queue = queue
                            .lock()
                            .unwrap_or_else(std::sync::PoisonError::into_inner);
                        if stopping.load(Ordering::SeqCst) {
                            None
                        } else {
                            // Busy before the lock is released: the supervisor
                            // never sees a started item as idle.
                            let next = queue.pop_front();
                            if next.is_some() {
                                slots[slot].1.store(true, Ordering::SeqCst);
                            }
                            next
                        }
                    };
                    let Some((index, item)) = next else {
                        break;
                    };
                    let step = work(&mut session, &item, &signal);
                    slots[slot].1.store(false, Ordering::SeqCst);
                    let fatal = matches!(step, Step::Fatal(..));
                    if sender.send((index, step)).is_err() || fatal {
                        break;
                    }
                }
                // Dropping the session here closes the connection, after its
                // last statement has ended.
                drop(session);
            });
        }
        drop(sender);

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
            if stop.is_some() {
                stopping.store(true, Ordering::SeqCst);
                if last_cancel.is_none_or(|at| at.elapsed() >= CANCEL_AGAIN) {
                    for (canceller, busy) in &slots {
                        if busy.load(Ordering::SeqCst) {
                            // A failed cancel request (server gone) leaves
                            // nothing running that we could stop.
                            let _ = canceller.cancel();
                        }
                    }
                    last_cancel = Some(Instant::now());
                }
            }
        }
    });

    let not_started = queue
        .into_inner()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .into_iter()
        .collect();
    Finished {
        results,
        not_started,
        stop,
    }
}
