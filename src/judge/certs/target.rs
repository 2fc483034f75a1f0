//! The line a certificate target gets in the report: the worst of its
//! findings, or why there was nothing to judge, with the days left of the
//! certificate that expires first as the value.

use chrono::{DateTime, Utc};

use super::{Finding, Levels, earliest_expiry, whole_days_left};
use crate::probe::tls::TlsError;
use crate::probe::x509::Certificate;
use crate::report::{Check, Status, Threshold, Unit};
use crate::units::{human_duration, utc_day};

/// Why a target yielded no certificate to judge.
#[derive(Clone, Debug, PartialEq)]
pub struct Failure {
    pub code: &'static str,
    pub status: Status,
    pub message: String,
}

impl Failure {
    /// A connection failure: unreachable is CRITICAL (clients cannot
    /// connect either); a name that does not resolve is UNKNOWN, as in
    /// `maint health`.
    pub fn connecting(err: &TlsError) -> Self {
        let (code, status) = match err {
            TlsError::Dns(_) => ("dns", Status::Unknown),
            TlsError::Refused(_) => ("refused", Status::Critical),
            TlsError::Timeout { .. } => ("timeout", Status::Critical),
            TlsError::Closed(_) => ("closed", Status::Critical),
            TlsError::Starttls(_) => ("starttls", Status::Critical),
            TlsError::OldProtocol(_) => ("tls_version", Status::Critical),
            TlsError::Handshake(_) | TlsError::Io { .. } => ("handshake", Status::Critical),
        };
        Failure {
            code,
            status,
            message: err.to_string(),
        }
    }

    /// The probe did not finish within the target's timeout.
    pub fn silent(timeout: std::time::Duration) -> Self {
        Failure {
            code: "timeout",
            status: Status::Critical,
            message: format!("no answer within {}", human_duration(timeout)),
        }
    }

    /// The file could not be read or a certificate in it not parsed:
    /// maint cannot tell.
    pub fn unreadable(message: String) -> Self {
        Failure {
            code: "unreadable",
            status: Status::Unknown,
            message,
        }
    }

    /// maint itself failed while checking.
    pub fn internal(message: &str) -> Self {
        Failure {
            code: "internal",
            status: Status::Unknown,
            message: format!("maint failed while checking it: {message}"),
        }
    }
}

/// What a target yielded.
#[derive(Default)]
pub struct Probed {
    pub certificates: Vec<Certificate>,
    pub findings: Vec<Finding>,
    pub failure: Option<Failure>,
    /// `TLSv1.3 to 127.0.0.1:443` for endpoints.
    pub connection: Option<String>,
}

impl Probed {
    pub fn failed(failure: Failure) -> Self {
        Probed {
            failure: Some(failure),
            ..Probed::default()
        }
    }

    /// The code of what the target's line is about, which picks the hint:
    /// the failure, else the first finding that is not OK, else "".
    pub fn headline_code(&self) -> &'static str {
        if let Some(failure) = &self.failure {
            return failure.code;
        }
        self.findings
            .iter()
            .find(|f| f.status != Status::Ok)
            .map_or("", |f| f.code)
    }
}

/// The target's line: its worst finding (naming the others), or a summary
/// of the chain when all is well, with the days left of the certificate
/// that expires first.
pub fn verdict(label: &str, levels: &Levels, probed: &Probed, now: DateTime<Utc>) -> Check {
    if let Some(failure) = &probed.failure {
        return Check::new(label, failure.status, failure.message.clone());
    }
    let status = Status::worst_of(probed.findings.iter().map(|f| f.status));
    let problems: Vec<&Finding> = probed
        .findings
        .iter()
        .filter(|f| f.status != Status::Ok)
        .collect();
    let message = match problems.as_slice() {
        [] => ok_message(probed, now),
        [only] => format!("{}: {}", only.code, only.message),
        [first, rest @ ..] => format!(
            "{}: {} (and {} more: {})",
            first.code,
            first.message,
            rest.len(),
            rest.iter().map(|f| f.code).collect::<Vec<_>>().join(", ")
        ),
    };
    let check = Check::new(label, status, message);
    match earliest_expiry(&probed.certificates, now) {
        Some((days, _)) => check
            .with_value(whole_days_left(days), Unit::Days)
            .with_threshold(Threshold::below(levels.warn_days, levels.crit_days)),
        None => check,
    }
}

fn ok_message(probed: &Probed, now: DateTime<Utc>) -> String {
    let Some(leaf) = probed.certificates.first() else {
        return "no certificate".into();
    };
    let mut message = format!(
        "{}, issued by {}, valid until {} ({} days)",
        leaf.subject_short(),
        leaf.issuer_short(),
        utc_day(leaf.not_after),
        whole_days_left(leaf.days_left(now))
    );
    if let Some((index, first)) = probed
        .certificates
        .iter()
        .enumerate()
        .min_by_key(|(_, c)| c.not_after)
        .filter(|(index, _)| *index != 0)
    {
        message.push_str(&format!(
            "; #{index} {} expires first, on {}",
            first.subject_short(),
            utc_day(first.not_after)
        ));
    }
    if probed.certificates.len() > 1 {
        message.push_str(&format!("; {} certificates", probed.certificates.len()));
    }
    if let Some(connection) = &probed.connection {
        message.push_str(&format!("; {connection}"));
    }
    message
}

#[cfg(test)]
mod tests {
    use super::super::tests::{ca, certs, leaf};
    use super::super::{Code, Finding};
    use super::*;

    fn finding(code: Code, status: Status) -> Finding {
        Finding::new(code, status, Some(0), format!("{} here", code.as_str()))
    }

    #[test]
    fn a_good_chain_is_summed_up_with_the_first_expiry() {
        let root = ca("Root", None);
        let intermediate = ca("Intermediate", Some(&root));
        // The intermediate outlives nothing here: the leaf expires first.
        let probed = Probed {
            certificates: certs(&[
                &leaf("www.test", &intermediate, (-1, 40)),
                &intermediate.pem,
            ]),
            connection: Some("TLSv1.3 to 127.0.0.1:443".into()),
            ..Probed::default()
        };
        let check = verdict("www.test:443", &Levels::default(), &probed, Utc::now());
        assert_eq!(check.status, Status::Ok);
        assert!(
            check
                .message
                .contains("issued by CN=Intermediate, valid until"),
            "{}",
            check.message
        );
        assert!(
            check
                .message
                .ends_with("; 2 certificates; TLSv1.3 to 127.0.0.1:443"),
            "{}",
            check.message
        );
        assert!(
            !check.message.contains("expires first"),
            "{}",
            check.message
        );
        // 40 days less the moments since it was made, rounded down.
        assert_eq!(check.value, Some(39.0));
        assert_eq!(probed.headline_code(), "");
    }

    #[test]
    fn the_worst_finding_leads_and_the_others_are_named() {
        let probed = Probed {
            findings: vec![
                finding(Code::SelfSigned, Status::Ok),
                finding(Code::ChainIncomplete, Status::Critical),
                finding(Code::WeakSignature, Status::Warning),
            ],
            ..Probed::default()
        };
        let check = verdict("t", &Levels::default(), &probed, Utc::now());
        assert_eq!(check.status, Status::Critical);
        assert_eq!(
            check.message,
            "chain_incomplete: chain_incomplete here (and 1 more: weak_signature)"
        );
        assert_eq!(probed.headline_code(), "chain_incomplete");
    }

    #[test]
    fn a_failure_is_the_line_and_picks_the_hint() {
        let probed = Probed::failed(Failure::connecting(&TlsError::Dns("nowhere.test".into())));
        let check = verdict("nowhere.test:443", &Levels::default(), &probed, Utc::now());
        assert_eq!(check.status, Status::Unknown);
        assert_eq!(probed.headline_code(), "dns");
        let silent = Probed::failed(Failure::silent(std::time::Duration::from_secs(3)));
        assert_eq!(
            verdict("t", &Levels::default(), &silent, Utc::now()).status,
            Status::Critical
        );
        assert_eq!(silent.headline_code(), "timeout");
    }
}
