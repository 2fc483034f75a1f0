//! The host's own state beyond its resources: whether its clock is
//! synchronised (`clock`) and whether it waits for a reboot (`reboot`).

use std::time::Duration;

use crate::probe::clock::{ClockError, ClockState};
use crate::probe::reboot::{Reboot, RebootError};
use crate::report::Threshold;
use crate::report::{Check, Status, Unit};
use crate::units::human_duration;

const WHY_CLOCK: &str = "a clock that drifts breaks TLS validity checks, token expiry, \
     replication and the order of events across hosts' logs";
const WHY_REBOOT: &str = "until the reboot, the kernel or libraries the updates fixed are \
     still the old ones in memory";

/// `clock`: not synchronised is a warning; the daemon's offset is judged
/// against `offset` (seconds, either way); no source at all is OK with
/// "not available", as systemd's checks are where systemd does not run.
pub fn clock(state: Result<&ClockState, &ClockError>, offset: Threshold) -> Check {
    let state = match state {
        Ok(state) => state,
        Err(err) => {
            return Check::new("clock", Status::Ok, format!("not available: {err}"));
        }
    };
    let source = state.source.describe();
    let Some(measured) = &state.offset else {
        if !state.synchronized {
            return unsynced(format!("the clock is not synchronised (per {source})"));
        }
        let error = state
            .estimated_error
            .map(|e| format!(", estimated error {}", shown(e)))
            .unwrap_or_default();
        return Check::new(
            "clock",
            Status::Ok,
            format!("synchronised (per {source}){error}; no daemon's offset to read"),
        );
    };
    let server = measured
        .server
        .as_ref()
        .map(|s| format!(" from {s}"))
        .unwrap_or_default();
    let off = format!(
        "offset {}{}{server} ({})",
        if measured.seconds < 0.0 { "-" } else { "+" },
        shown(measured.seconds.abs()),
        measured.daemon
    );
    if !state.synchronized {
        return unsynced(format!(
            "the clock is not synchronised (per {source}); {off}"
        ))
        .with_value(measured.seconds.abs(), Unit::Seconds);
    }
    let status = offset.judge(measured.seconds.abs());
    Check::new("clock", status, format!("synchronised, {off}"))
        .with_value(measured.seconds.abs(), Unit::Seconds)
        .with_threshold(offset)
        .with_hint(format!(
            "{}; check the time servers it follows",
            tracking_hint(measured.daemon)
        ))
        .because(WHY_CLOCK)
}

fn unsynced(message: String) -> Check {
    Check::new("clock", Status::Warning, message)
        .with_hint("chronyc tracking; chronyc sources -v (or timedatectl timesync-status)")
        .because(WHY_CLOCK)
}

fn tracking_hint(daemon: &str) -> &'static str {
    if daemon == "chrony" {
        "chronyc tracking; chronyc sources -v"
    } else {
        "timedatectl timesync-status"
    }
}

fn shown(seconds: f64) -> String {
    human_duration(Duration::from_secs_f64(seconds.clamp(0.0, 1e9)))
}

/// `reboot`: a pending reboot is a warning naming the packages that asked for it.
pub fn reboot(answer: Result<&Reboot, &RebootError>) -> Check {
    match answer {
        Err(err) => Check::new("reboot", Status::Unknown, err.to_string())
            .with_hint("ls -l /var/run/reboot-required*"),
        Ok(Reboot::NotNeeded { checked }) => Check::new(
            "reboot",
            Status::Ok,
            format!("no reboot pending ({checked})"),
        ),
        Ok(Reboot::Pending { source, packages }) => {
            let by = if packages.is_empty() {
                String::new()
            } else {
                format!(" for {}", packages.join(", "))
            };
            #[allow(clippy::cast_precision_loss)]
            Check::new(
                "reboot",
                Status::Warning,
                format!("a reboot is pending{by} ({source})"),
            )
            .with_value(packages.len() as f64, Unit::Count)
            .with_hint("plan a reboot in the next maintenance window: systemctl reboot")
            .because(WHY_REBOOT)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probe::clock::{Offset, Source};

    fn state(synchronized: bool, offset: Option<f64>) -> ClockState {
        ClockState {
            synchronized,
            source: Source::Kernel,
            estimated_error: Some(0.001),
            offset: offset.map(|seconds| Offset {
                seconds,
                daemon: "chrony",
                server: Some("ntp.example.org".into()),
            }),
        }
    }

    #[test]
    fn offsets_are_judged_either_way_and_unsynced_is_a_warning() {
        let levels = Threshold::above(0.5, 5.0);
        let ok = clock(Ok(&state(true, Some(0.002))), levels);
        assert_eq!(ok.status, Status::Ok);
        assert!(ok.message.contains("ntp.example.org"), "{}", ok.message);
        assert_eq!(
            clock(Ok(&state(true, Some(-0.8))), levels).status,
            Status::Warning
        );
        let late = clock(Ok(&state(true, Some(-7.0))), levels);
        assert_eq!(late.status, Status::Critical);
        assert!(late.message.contains("offset -7"), "{}", late.message);
        let unsynced = clock(Ok(&state(false, None)), levels);
        assert_eq!(unsynced.status, Status::Warning);
        assert!(unsynced.message.contains("not synchronised"));
        assert_eq!(clock(Ok(&state(true, None)), levels).status, Status::Ok);
        let none = ClockError {
            tried: vec!["adjtimex --print: not installed".into()],
        };
        let unknown = clock(Err(&none), levels);
        assert_eq!(unknown.status, Status::Ok);
        assert!(
            unknown.message.starts_with("not available:"),
            "{}",
            unknown.message
        );
    }

    #[test]
    fn a_pending_reboot_names_its_packages() {
        let pending = Reboot::Pending {
            source: "/var/run/reboot-required".into(),
            packages: vec!["linux-image-amd64".into(), "libc6".into()],
        };
        let check = reboot(Ok(&pending));
        assert_eq!(check.status, Status::Warning);
        assert!(
            check.message.contains("linux-image-amd64, libc6"),
            "{}",
            check.message
        );
        let fine = Reboot::NotNeeded {
            checked: "/var/run/reboot-required".into(),
        };
        assert_eq!(reboot(Ok(&fine)).status, Status::Ok);
    }
}
