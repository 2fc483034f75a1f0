//! Runs independent jobs concurrently, each under its own time limit and all
//! under one deadline, and returns their results in input order.
//!
//! A job that overruns is abandoned, not killed: its thread keeps running
//! until the blocking call it is stuck in returns (a `statvfs` on a hung NFS
//! mount, a DNS lookup), but the run no longer waits for it, and its slot is
//! given to the next job. The process exits without joining such threads.
//!
//! A job may also give its slot up early ([`Job::patience`]) and go on
//! waiting on its own thread: a probe of a silent host then stops keeping
//! the next probes from starting, while the pool still bounds how many
//! start at once.

use std::collections::{HashMap, VecDeque};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc;
use std::time::{Duration, Instant};

pub struct Job<T> {
    pub timeout: Duration,
    /// Running longer than this, the job no longer holds a slot (None: it
    /// holds one until it ends).
    pub patience: Option<Duration>,
    pub work: Box<dyn FnOnce() -> T + Send + 'static>,
}

impl<T> Job<T> {
    pub fn new(timeout: Duration, work: impl FnOnce() -> T + Send + 'static) -> Self {
        Job {
            timeout,
            patience: None,
            work: Box::new(work),
        }
    }

    /// Frees the job's slot after `patience` while it runs on to its timeout.
    pub fn patience(mut self, patience: Duration) -> Self {
        self.patience = Some(patience);
        self
    }
}

#[derive(Debug, PartialEq)]
pub enum Outcome<T> {
    Done {
        value: T,
        elapsed: Duration,
    },
    /// The job's own time limit passed.
    TimedOut {
        limit: Duration,
    },
    /// The overall deadline passed while the job ran or waited for a slot.
    PastDeadline {
        started: bool,
    },
    Panicked {
        message: String,
    },
}

impl<T> Outcome<T> {
    /// Why the job brought back nothing, as a report says it; None when it
    /// is done. `job` names what failed when it panicked ("probe").
    pub fn shortfall(&self, deadline: Duration, job: &str) -> Option<String> {
        match self {
            Outcome::Done { .. } => None,
            Outcome::TimedOut { limit } => Some(format!(
                "no result within {}",
                crate::units::human_duration(*limit)
            )),
            Outcome::PastDeadline { .. } => Some(format!(
                "still running at the {} deadline",
                crate::units::human_duration(deadline)
            )),
            Outcome::Panicked { message } => Some(format!("the {job} failed: {message}")),
        }
    }
}

/// Runs `jobs` with at most `max_running` at once, returning when all have
/// finished, timed out, or `deadline` passed.
pub fn run_all<T: Send + 'static>(
    jobs: Vec<Job<T>>,
    max_running: usize,
    deadline: Instant,
) -> Vec<Outcome<T>> {
    let max_running = max_running.max(1);
    let mut outcomes: Vec<Option<Outcome<T>>> = jobs.iter().map(|_| None).collect();
    let mut waiting: VecDeque<(usize, Job<T>)> = jobs.into_iter().enumerate().collect();
    // index -> (started, time limit, until when it holds a slot)
    let mut running: HashMap<usize, (Instant, Duration, Option<Instant>)> = HashMap::new();
    let holding = |running: &HashMap<usize, (Instant, Duration, Option<Instant>)>, now: Instant| {
        running
            .values()
            .filter(|(.., until)| until.is_none_or(|until| now < until))
            .count()
    };
    let (sender, receiver) = mpsc::channel::<(usize, Result<T, String>)>();

    loop {
        while holding(&running, Instant::now()) < max_running {
            let Some((index, job)) = waiting.pop_front() else {
                break;
            };
            let sender = sender.clone();
            let spawned = std::thread::Builder::new()
                .name(format!("maint-job-{index}"))
                .spawn(move || {
                    let result = catch_unwind(AssertUnwindSafe(job.work))
                        .map_err(|payload| panic_message(&*payload));
                    // The receiver is gone when the run ended without this job.
                    let _ = sender.send((index, result));
                });
            match spawned {
                Ok(_) => {
                    let now = Instant::now();
                    let until = job.patience.map(|patience| now + patience);
                    running.insert(index, (now, job.timeout, until));
                }
                Err(err) => {
                    outcomes[index] = Some(Outcome::Panicked {
                        message: format!("cannot start a thread: {err}"),
                    });
                }
            }
        }
        if running.is_empty() {
            break;
        }

        let now = Instant::now();
        // Wake for the next time limit, and for the next slot given up
        // while jobs wait for one.
        let next_release = running
            .values()
            .filter_map(|(.., until)| *until)
            .filter(|until| *until > now && !waiting.is_empty());
        let next_limit = running
            .values()
            .map(|(started, limit, _)| *started + *limit)
            .chain(next_release)
            .min()
            .unwrap_or(deadline)
            .min(deadline);
        match receiver.recv_timeout(next_limit.saturating_duration_since(now)) {
            Ok((index, result)) => {
                // A result from a job already given up on is dropped.
                if let Some((started, ..)) = running.remove(&index) {
                    outcomes[index] = Some(match result {
                        Ok(value) => Outcome::Done {
                            value,
                            elapsed: started.elapsed(),
                        },
                        Err(message) => Outcome::Panicked { message },
                    });
                }
            }
            Err(mpsc::RecvTimeoutError::Timeout) => {}
            Err(mpsc::RecvTimeoutError::Disconnected) => unreachable!("the run holds a sender"),
        }

        let now = Instant::now();
        if now >= deadline {
            for index in running.keys() {
                outcomes[*index] = Some(Outcome::PastDeadline { started: true });
            }
            for (index, _) in waiting.drain(..) {
                outcomes[index] = Some(Outcome::PastDeadline { started: false });
            }
            break;
        }
        running.retain(|index, (started, limit, _)| {
            let expired = now >= *started + *limit;
            if expired {
                outcomes[*index] = Some(Outcome::TimedOut { limit: *limit });
            }
            !expired
        });
    }

    outcomes
        .into_iter()
        .map(|outcome| outcome.expect("every job ends with an outcome"))
        .collect()
}

/// Runs `work` on a thread of its own and waits for it at most `limit`:
/// None when it did not finish in time. The thread is then abandoned, as a
/// job past its limit is (see above): this is how a blocking client library
/// with no deadline of its own (the `postgres` crate's startup and queries)
/// is kept from holding a command past its deadline. A panic in `work` is
/// raised again here.
pub fn within<T: Send + 'static>(
    limit: Duration,
    work: impl FnOnce() -> T + Send + 'static,
) -> Option<T> {
    let (sender, receiver) = mpsc::channel();
    let spawned = std::thread::Builder::new()
        .name("maint-bounded".into())
        .spawn(move || {
            // The receiver is gone when the caller stopped waiting.
            let _ = sender.send(catch_unwind(AssertUnwindSafe(work)));
        });
    if let Err(err) = spawned {
        panic!("cannot start a thread: {err}");
    }
    match receiver.recv_timeout(limit) {
        Ok(Ok(value)) => Some(value),
        Ok(Err(payload)) => std::panic::resume_unwind(payload),
        Err(_) => None,
    }
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    payload
        .downcast_ref::<&str>()
        .map(|s| (*s).to_owned())
        .or_else(|| payload.downcast_ref::<String>().cloned())
        .unwrap_or_else(|| "unknown panic".to_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::thread::sleep;

    fn far() -> Instant {
        Instant::now() + Duration::from_secs(60)
    }

    #[test]
    fn results_come_back_in_input_order() {
        let jobs = (0..8u64)
            .map(|i| {
                Job::new(Duration::from_secs(5), move || {
                    sleep(Duration::from_millis(40 - i * 5));
                    i
                })
            })
            .collect();
        let values: Vec<u64> = run_all(jobs, 8, far())
            .into_iter()
            .map(|o| match o {
                Outcome::Done { value, .. } => value,
                other => panic!("{other:?}"),
            })
            .collect();
        assert_eq!(values, (0..8).collect::<Vec<_>>());
    }

    #[test]
    fn a_stuck_job_times_out_and_frees_its_slot() {
        let jobs = vec![
            Job::new(Duration::from_millis(50), || {
                sleep(Duration::from_secs(30));
                "stuck"
            }),
            Job::new(Duration::from_secs(5), || "quick"),
        ];
        let started = Instant::now();
        let outcomes = run_all(jobs, 1, far());
        assert!(started.elapsed() < Duration::from_secs(5));
        assert_eq!(
            outcomes[0],
            Outcome::TimedOut {
                limit: Duration::from_millis(50)
            }
        );
        assert!(matches!(outcomes[1], Outcome::Done { value: "quick", .. }));
    }

    #[test]
    fn a_patient_job_gives_its_slot_up_and_still_finishes() {
        let started = Instant::now();
        let jobs = vec![
            Job::new(Duration::from_secs(5), move || {
                sleep(Duration::from_millis(300));
                started.elapsed()
            })
            .patience(Duration::from_millis(20)),
            Job::new(Duration::from_secs(5), move || started.elapsed()),
        ];
        let ended: Vec<Duration> = run_all(jobs, 1, far())
            .into_iter()
            .map(|o| match o {
                Outcome::Done { value, .. } => value,
                other => panic!("{other:?}"),
            })
            .collect();
        // With one slot, the second job ran while the first still waited.
        assert!(ended[1] < ended[0], "{ended:?}");
        assert!(ended[0] >= Duration::from_millis(300));
    }

    #[test]
    fn the_deadline_ends_the_run() {
        let jobs = vec![
            Job::new(Duration::from_secs(30), || sleep(Duration::from_secs(30))),
            Job::new(Duration::from_secs(30), || ()),
        ];
        let outcomes = run_all(jobs, 1, Instant::now() + Duration::from_millis(50));
        assert_eq!(outcomes[0], Outcome::PastDeadline { started: true });
        assert_eq!(outcomes[1], Outcome::PastDeadline { started: false });
    }

    #[test]
    fn within_gives_up_at_its_limit() {
        assert_eq!(within(Duration::from_secs(5), || 7), Some(7));
        let started = Instant::now();
        let stuck = within(Duration::from_millis(50), || {
            sleep(Duration::from_secs(30));
            7
        });
        assert_eq!(stuck, None);
        assert!(started.elapsed() < Duration::from_secs(5));
    }

    #[test]
    fn a_panic_is_an_outcome_not_a_crash() {
        let jobs: Vec<Job<()>> = vec![Job::new(Duration::from_secs(5), || panic!("boom"))];
        assert_eq!(
            run_all(jobs, 4, far()),
            vec![Outcome::Panicked {
                message: "boom".to_owned()
            }]
        );
    }
}
