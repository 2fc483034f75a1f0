//! Exit codes, decided here and nowhere else (the README, "Exit codes").
//!
//! | code | checks                  | actions                          |
//! |------|-------------------------|----------------------------------|
//! | 0    | OK                      | done                             |
//! | 1    | WARNING                 | done with warnings               |
//! | 2    | CRITICAL                | failed, nothing half-done left   |
//! | 3    | UNKNOWN / bad usage     | not started: bad config or usage |

use crate::report::{Kind, Report, Status};

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExitCode {
    Ok = 0,
    Warning = 1,
    Critical = 2,
    Unknown = 3,
}

/// How far a run got before it failed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stage {
    /// Parsing flags, reading config, validating settings: nothing has run.
    Setup,
    /// Probes were running or the action had started.
    Running,
}

impl ExitCode {
    /// The code for a finished report. Check statuses map one to one; an
    /// action whose outcome is unknown counts as failed, since "maybe done"
    /// must not read as success in a pipeline.
    pub fn for_report(report: &Report) -> ExitCode {
        match (report.kind, report.status()) {
            (_, Status::Ok) => ExitCode::Ok,
            (_, Status::Warning) => ExitCode::Warning,
            (_, Status::Critical) => ExitCode::Critical,
            (Kind::Check, Status::Unknown) => ExitCode::Unknown,
            (Kind::Action, Status::Unknown) => ExitCode::Critical,
        }
    }

    /// The code for an error that ended a run without a report.
    pub fn for_error(kind: Kind, stage: Stage) -> ExitCode {
        match (stage, kind) {
            (Stage::Setup, _) => ExitCode::Unknown,
            (Stage::Running, Kind::Check) => ExitCode::Unknown,
            (Stage::Running, Kind::Action) => ExitCode::Critical,
        }
    }

    pub fn code(self) -> u8 {
        self as u8
    }
}

impl From<ExitCode> for std::process::ExitCode {
    fn from(code: ExitCode) -> Self {
        std::process::ExitCode::from(code.code())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::report::Check;

    fn report(kind: Kind, statuses: &[Status]) -> Report {
        let mut report = Report::new("test", kind, chrono::Utc::now());
        for (i, status) in statuses.iter().enumerate() {
            report
                .checks
                .push(Check::new(format!("c{i}"), *status, "message"));
        }
        report
    }

    #[test]
    fn checks_map_status_to_code() {
        use Status::*;
        let code = |statuses: &[Status]| ExitCode::for_report(&report(Kind::Check, statuses));
        assert_eq!(code(&[]), ExitCode::Ok);
        assert_eq!(code(&[Ok, Ok]), ExitCode::Ok);
        assert_eq!(code(&[Ok, Warning]), ExitCode::Warning);
        assert_eq!(code(&[Warning, Critical]), ExitCode::Critical);
        assert_eq!(code(&[Ok, Unknown]), ExitCode::Unknown);
        // An unreachable target cannot hide a critical or a warning one.
        assert_eq!(code(&[Unknown, Critical]), ExitCode::Critical);
        assert_eq!(code(&[Unknown, Warning]), ExitCode::Warning);
    }

    #[test]
    fn actions_map_outcome_to_code() {
        use Status::*;
        let code = |statuses: &[Status]| ExitCode::for_report(&report(Kind::Action, statuses));
        assert_eq!(code(&[Ok]), ExitCode::Ok);
        assert_eq!(code(&[Ok, Warning]), ExitCode::Warning);
        assert_eq!(code(&[Critical]), ExitCode::Critical);
        assert_eq!(code(&[Unknown]), ExitCode::Critical);
    }

    #[test]
    fn errors_before_anything_ran_are_3_and_later_depend_on_kind() {
        assert_eq!(ExitCode::for_error(Kind::Check, Stage::Setup).code(), 3);
        assert_eq!(ExitCode::for_error(Kind::Action, Stage::Setup).code(), 3);
        assert_eq!(ExitCode::for_error(Kind::Check, Stage::Running).code(), 3);
        assert_eq!(ExitCode::for_error(Kind::Action, Stage::Running).code(), 2);
    }
}
