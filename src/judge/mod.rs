//! Verdicts: pure functions from what the probes read, and the levels to
//! hold it to, to `report::Check`s. Nothing here touches the system, a
//! server or the configuration, so every rule is unit-tested with data
//! made up on the spot. The collectors in `checks/` run the probes and call
//! these; `diagnose`, `health`, `db report` and `db vacuum` share them.

pub mod certs;
pub mod dbreport;
pub mod diagnose;
pub mod host;
pub mod logs;
pub mod network;
pub mod plugin;
pub mod postgres;
pub mod redis;
pub mod system;
pub mod systemd;
pub mod trend;
pub mod vacuum;

use crate::report::{Check, Status};

/// A percentage as reports show it: one decimal, so a snapshot does not
/// flicker on noise below what anybody reads.
pub fn round1(value: f64) -> f64 {
    (value * 10.0).round() / 10.0
}

/// A health check whose probe failed: maint could not tell.
fn probe_error(name: &str, err: &dyn std::error::Error) -> Check {
    Check::new(name, Status::Unknown, err.to_string())
        .with_hint(format!("maint health --only {name} -v"))
}
