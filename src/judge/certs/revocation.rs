//! The finding a revocation check makes about one certificate (issue 18):
//! revoked is CRITICAL (clients that check refuse it), a CRL past its
//! nextUpdate a WARNING (the CA stopped publishing, and clients that check
//! will soon refuse everything it issued), and an answer that could not be
//! had or believed UNKNOWN: maint cannot tell, and the site may be fine.

use chrono::{DateTime, Utc};

use super::{Code, Finding, label};
use crate::probe::revocation::{Answer, CertStatus, Method, RevocationError};
use crate::probe::x509::Certificate;
use crate::report::Status;
use crate::units::utc_minute;

/// What came of looking for a certificate's revocation status.
#[derive(Debug)]
pub enum Outcome {
    Checked(Result<Answer, RevocationError>),
    /// It names no CRL distribution point and no OCSP responder.
    NoInformation,
    /// Its issuer is neither beside it nor among the roots, so no answer
    /// could be verified; `asked`: revocation was asked for by name.
    NoIssuer {
        asked: bool,
    },
}

fn source(answer: &Answer) -> String {
    match answer.method {
        Method::Crl => format!("the CRL at {}", answer.url),
        Method::Ocsp => format!("the OCSP responder {}", answer.url),
    }
}

/// The finding about certificate `index` of a target.
pub fn judge(
    index: usize,
    certificate: &Certificate,
    outcome: &Outcome,
    now: DateTime<Utc>,
) -> Finding {
    let who = label(index, certificate);
    let serial = &certificate.serial;
    let finding = |code, status, message| Finding::new(code, status, Some(index), message);
    let answer = match outcome {
        Outcome::NoInformation => {
            return finding(
                Code::Revocation,
                Status::Ok,
                format!(
                    "{who} names no CRL distribution point and no OCSP responder: no revocation information"
                ),
            );
        }
        Outcome::NoIssuer { asked } => {
            let (code, status) = if *asked {
                (Code::RevocationUnknown, Status::Unknown)
            } else {
                (Code::Revocation, Status::Ok)
            };
            return finding(
                code,
                status,
                format!(
                    "cannot check whether {who} is revoked: its issuer {} is neither in the chain nor among the roots (add it to the file, or pass --ca-file)",
                    certificate.issuer_short()
                ),
            );
        }
        Outcome::Checked(Err(err)) => {
            return finding(
                Code::RevocationUnknown,
                Status::Unknown,
                format!("cannot tell whether {who} is revoked: {err}"),
            );
        }
        Outcome::Checked(Ok(answer)) => answer,
    };
    let from = source(answer);
    let how = if answer.cached {
        "from the cache"
    } else {
        "fetched now"
    };
    match &answer.status {
        CertStatus::Revoked { at, reason } => finding(
            Code::Revoked,
            Status::Critical,
            format!(
                "{who} (serial {serial}) was revoked on {}{}, says {from}",
                utc_minute(*at),
                reason.map(|r| format!(" ({r})")).unwrap_or_default()
            ),
        ),
        CertStatus::Unknown => finding(
            Code::RevocationUnknown,
            Status::Unknown,
            format!("{from} does not know {who} (serial {serial})"),
        ),
        CertStatus::Good => match answer.next_update {
            Some(next) if next <= now => finding(
                Code::RevocationStale,
                Status::Warning,
                format!(
                    "{from} is out of date: its next update was due {}; {who} is not revoked in it, but clients that check will refuse an expired one",
                    utc_minute(next)
                ),
            ),
            _ => finding(
                Code::Revocation,
                Status::Ok,
                format!(
                    "{who} is not revoked ({}: {from}, {how})",
                    answer.method.name()
                ),
            ),
        },
    }
}

#[cfg(test)]
mod tests {
    use super::super::tests::{ca, certs, leaf};
    use super::*;

    fn answer(status: CertStatus, next: i64) -> Outcome {
        let now = Utc::now();
        Outcome::Checked(Ok(Answer {
            method: Method::Crl,
            url: "http://crl.test/ca.crl".into(),
            status,
            this_update: now - chrono::Duration::hours(1),
            next_update: Some(now + chrono::Duration::hours(next)),
            cached: true,
        }))
    }

    #[test]
    fn each_outcome_has_its_code_and_status() {
        let root = ca("Root", None);
        let cert = &certs(&[&leaf("r.test", &root, (-1, 100))])[0];
        let now = Utc::now();
        let at = now - chrono::Duration::days(2);
        let cases = [
            (answer(CertStatus::Good, 5), "revocation", Status::Ok),
            (
                answer(CertStatus::Good, -5),
                "revocation_stale",
                Status::Warning,
            ),
            (
                answer(
                    CertStatus::Revoked {
                        at,
                        reason: Some("keyCompromise"),
                    },
                    5,
                ),
                "revoked",
                Status::Critical,
            ),
            (
                answer(CertStatus::Unknown, 5),
                "revocation_unknown",
                Status::Unknown,
            ),
            (Outcome::NoInformation, "revocation", Status::Ok),
            (Outcome::NoIssuer { asked: false }, "revocation", Status::Ok),
            (
                Outcome::NoIssuer { asked: true },
                "revocation_unknown",
                Status::Unknown,
            ),
            (
                Outcome::Checked(Err(RevocationError::Http {
                    url: "http://crl.test/".into(),
                    status: 404,
                })),
                "revocation_unknown",
                Status::Unknown,
            ),
        ];
        for (outcome, code, status) in &cases {
            let finding = judge(0, cert, outcome, now);
            assert_eq!(
                (finding.code, finding.status),
                (*code, *status),
                "{outcome:?}"
            );
        }
        let revoked = judge(0, cert, &cases[2].0, now);
        assert!(
            revoked.message.contains(&format!(
                "was revoked on {} (keyCompromise), says the CRL at http://crl.test/ca.crl",
                utc_minute(at)
            )),
            "{}",
            revoked.message
        );
        assert!(
            revoked.message.contains(&cert.serial),
            "{}",
            revoked.message
        );
        assert!(
            judge(0, cert, &cases[0].0, now)
                .message
                .ends_with("(crl: the CRL at http://crl.test/ca.crl, from the cache)")
        );
    }
}
