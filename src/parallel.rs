//! Runs independent jobs concurrently, each under its own time limit and all
//! under one deadline, and returns their results in input order.
//!
//! A job that overruns is abandoned, not killed: its thread keeps running
//! until the blocking call it is stuck in returns (a `statvfs` on a hung NFS
//! mount, a DNS lookup), but the run no longer waits for it, and its slot is
//! given to the next job. The process exits without joining such threads.

use std::collections::{HashMap, VecDeque};
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::mpsc;
use std::time::{Duration, Instant};

pub struct Job<T> {
    pub timeout: Duration,
    pub work: Box<dyn FnOnce() -> T + Send + 'static>,
}

impl<T> Job<T> {
    pub fn new(timeout: Duration, work: impl FnOnce() -> T + Send + 'static) -> Self {
        Job {
            timeout,
            work: Box::new(work),
        }
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
    // index -> (started, time limit)
    let mut running: HashMap<usize, (Instant, Duration)> = HashMap::new();
    let (sender, receiver) = mpsc::channel::<(usize, Result<T, String>)>();

    loop {
        while running.len() < max_running {
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
                    running.insert(index, (Instant::now(), job.timeout));
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
        let next_limit = running
            .values()
            .map(|(started, limit)| *started + *limit)
            .min()
            .unwrap_or(deadline)
            .min(deadline);
        match receiver.recv_timeout(next_limit.saturating_duration_since(now)) {
            Ok((index, result)) => {
                // A result from a job already given up on is dropped.
                if let Some((started, _)) = running.remove(&index) {
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
        running.retain(|index, (started, limit)| {
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
