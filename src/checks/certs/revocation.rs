//! Revocation for `certs check` (issue 18): which certificates of a chain
//! are asked about, whom to ask, and the findings. The leaf always gets a
//! finding (how it was checked, or why not); an intermediate only when it
//! names a CRL or responder, since most CAs name none for their own.

use std::path::PathBuf;
use std::time::Duration;

use chrono::{DateTime, Utc};

use crate::config::Revocation;
use crate::judge::certs::Finding;
use crate::judge::certs::revocation::{self as judge, Outcome};
use crate::probe::revocation::{Answer, Fetcher, RevocationError};
use crate::probe::x509::{Certificate, Roots};

/// How a target's revocation is checked.
#[derive(Clone, Debug)]
pub(super) struct Plan {
    pub(super) mode: Revocation,
    /// Asked for by name (flag or maint.toml), not by default.
    pub(super) asked: bool,
    pub(super) cache: Option<PathBuf>,
    /// All fetches of one target together.
    pub(super) timeout: Duration,
}

/// The findings about `chain` (leaf first, as sent or stored).
pub(super) fn check(
    chain: &[Certificate],
    roots: Option<&Roots>,
    plan: &Plan,
    now: DateTime<Utc>,
) -> Vec<Finding> {
    let mut findings = Vec::new();
    if plan.mode == Revocation::Off {
        return findings;
    }
    let fetcher = Fetcher::new(plan.timeout, plan.cache.clone());
    let mut index = 0;
    let mut asked = Vec::new();
    while let Some(certificate) = chain.get(index) {
        asked.push(index);
        if certificate.is_self_issued() {
            if index == 0 {
                findings.push(judge::judge(0, certificate, &Outcome::NoInformation, now));
            }
            break;
        }
        let named = !certificate.crl_urls.is_empty() || !certificate.ocsp_urls.is_empty();
        if !named {
            if index == 0 {
                findings.push(judge::judge(0, certificate, &Outcome::NoInformation, now));
            }
            break;
        }
        let in_chain = chain.iter().position(|candidate| {
            !std::ptr::eq(candidate, certificate) && certificate.is_issued_by(candidate)
        });
        let issuer = in_chain.map(|i| &chain[i]).or_else(|| {
            roots?
                .certificates
                .iter()
                .find(|root| certificate.is_issued_by(root))
        });
        let Some(issuer) = issuer else {
            let outcome = Outcome::NoIssuer { asked: plan.asked };
            findings.push(judge::judge(index, certificate, &outcome, now));
            break;
        };
        let answer = ask(&fetcher, certificate, issuer, plan.mode, now);
        findings.push(judge::judge(
            index,
            certificate,
            &Outcome::Checked(answer),
            now,
        ));
        // A root (from the roots) is not asked about: nothing above it could revoke it.
        match in_chain {
            Some(next) if !asked.contains(&next) => index = next,
            _ => break,
        }
    }
    findings
}

/// OCSP where the mode says and the certificate names a responder, else
/// its CRL (or OCSP when it names no CRL); each URL in turn until one answers (a distribution point
/// often lists the same CRL over HTTP and LDAP).
fn ask(
    fetcher: &Fetcher,
    certificate: &Certificate,
    issuer: &Certificate,
    mode: Revocation,
    now: DateTime<Utc>,
) -> Result<Answer, RevocationError> {
    // Only a responder named: it is asked whatever the mode.
    let use_ocsp = !certificate.ocsp_urls.is_empty()
        && (mode == Revocation::Ocsp || certificate.crl_urls.is_empty());
    let urls = if use_ocsp {
        &certificate.ocsp_urls
    } else {
        &certificate.crl_urls
    };
    let mut first_error = None;
    for url in urls {
        let result = if use_ocsp {
            fetcher.ocsp(certificate, issuer, url, now)
        } else {
            fetcher.crl(certificate, issuer, url, now)
        };
        match result {
            Ok(answer) => return Ok(answer),
            Err(err) => {
                first_error.get_or_insert(err);
            }
        }
    }
    Err(first_error.expect("a certificate asked about names a URL"))
}
