//! Judges a certificate chain: expiry of every certificate, the name, the
//! chain (trust, missing intermediates, order, a root sent), self-signed
//! leaves, weak keys and signatures, and whether a private key belongs to
//! the certificate. Each finding has a stable code (part of the JSON
//! contract), a severity and the index of the certificate it is about.
//!
//! The verdict is computed here, apart from reading the chain (probe::tls
//! records whatever a server sends), so a bad certificate is still seen.

pub mod revocation;
pub mod target;

use std::time::Duration;

use chrono::{DateTime, Utc};
use rustls_pki_types::{CertificateDer, ServerName, UnixTime};

use crate::probe::x509::{Certificate, KeyFamily, KeyMaterial, Roots};
use crate::report::Status;
use crate::units::utc_minute;

/// What a finding is about; `as_str` is the code scripts match on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Code {
    DaysLeft,
    Expired,
    NotYetValid,
    HostnameMismatch,
    Untrusted,
    ChainIncomplete,
    ChainOrder,
    RootSent,
    SelfSigned,
    WeakKey,
    WeakSignature,
    KeyMismatch,
    AddressesDiffer,
    Revoked,
    RevocationUnknown,
    RevocationStale,
    /// How revocation was checked, or why it was not: always OK.
    Revocation,
}

impl Code {
    pub fn as_str(self) -> &'static str {
        match self {
            Code::DaysLeft => "days_left",
            Code::Expired => "expired",
            Code::NotYetValid => "not_yet_valid",
            Code::HostnameMismatch => "hostname_mismatch",
            Code::Untrusted => "untrusted",
            Code::ChainIncomplete => "chain_incomplete",
            Code::ChainOrder => "chain_order",
            Code::RootSent => "root_sent",
            Code::SelfSigned => "self_signed",
            Code::WeakKey => "weak_key",
            Code::WeakSignature => "weak_signature",
            Code::KeyMismatch => "key_mismatch",
            Code::AddressesDiffer => "addresses_differ",
            Code::Revoked => "revoked",
            Code::RevocationUnknown => "revocation_unknown",
            Code::RevocationStale => "revocation_stale",
            Code::Revocation => "revocation",
        }
    }
}

#[derive(Clone, Debug, PartialEq)]
pub struct Finding {
    pub code: &'static str,
    pub status: Status,
    /// Position in the chain as sent (or in the file); None for the whole target.
    pub certificate: Option<usize>,
    pub message: String,
}

impl Finding {
    pub fn new(code: Code, status: Status, certificate: Option<usize>, message: String) -> Self {
        Finding {
            code: code.as_str(),
            status,
            certificate,
            message,
        }
    }
}

/// Expiry levels: days left, and optionally the share of the lifetime left.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Levels {
    pub warn_days: f64,
    pub crit_days: f64,
    /// Percent of the whole validity left (warn, crit), for short-lived
    /// certificates; a certificate is then short on time only when both its
    /// days and its share say so.
    pub lifetime_percent: Option<(f64, f64)>,
}

impl Default for Levels {
    /// As the README says: fewer than 60 days left is a warning, fewer than 30 critical.
    fn default() -> Self {
        Levels {
            warn_days: 60.0,
            crit_days: 30.0,
            lifetime_percent: None,
        }
    }
}

/// What the chain is judged against.
pub struct Expectations<'a> {
    pub levels: Levels,
    /// The name clients use (DNS name or IP address); None skips the name check.
    pub name: Option<&'a str>,
    /// Roots the chain must lead to; None skips the chain checks (a lone
    /// certificate file, or a bundle of CA certificates).
    pub roots: Option<&'a Roots>,
    /// The public half of `--key`, compared with the first certificate.
    pub key: Option<&'a KeyMaterial>,
}

/// What one address of a name answered: its leaf certificate (DER), or why
/// the handshake failed.
pub type AddressAnswer = (std::net::SocketAddr, Result<Vec<u8>, String>);

/// Clients are sent to any address a name resolves to, so an address that
/// fails the handshake, or serves another certificate than the rest, is a
/// fault some of them see and others do not.
pub fn compare_addresses(answers: &[AddressAnswer]) -> Option<Finding> {
    let failing: Vec<String> = answers
        .iter()
        .filter_map(|(address, answer)| {
            answer
                .as_ref()
                .err()
                .map(|message| format!("{address} ({message})"))
        })
        .collect();
    let mut leaves: Vec<(&Vec<u8>, Vec<String>)> = Vec::new();
    for (address, answer) in answers {
        if let Ok(leaf) = answer {
            match leaves.iter_mut().find(|(seen, _)| *seen == leaf) {
                Some((_, addresses)) => addresses.push(address.to_string()),
                None => leaves.push((leaf, vec![address.to_string()])),
            }
        }
    }
    let mut parts = Vec::new();
    if !failing.is_empty() && !leaves.is_empty() {
        parts.push(format!("handshake fails at {}", failing.join(", ")));
    }
    if leaves.len() > 1 {
        let groups: Vec<String> = leaves
            .iter()
            .map(|(_, addresses)| addresses.join(" + "))
            .collect();
        parts.push(format!("different certificates at {}", groups.join(" vs ")));
    }
    (!parts.is_empty()).then(|| {
        Finding::new(
            Code::AddressesDiffer,
            Status::Warning,
            None,
            format!("the addresses of the name differ: {}", parts.join("; ")),
        )
    })
}

/// The findings about `chain` at `now`, worst first; none means all is well.
pub fn assess(
    chain: &[Certificate],
    expect: &Expectations<'_>,
    now: DateTime<Utc>,
) -> Vec<Finding> {
    let mut findings = Vec::new();
    for (index, certificate) in chain.iter().enumerate() {
        judge_validity(index, certificate, &expect.levels, now, &mut findings);
        judge_strength(index, certificate, &mut findings);
    }
    if let Some(leaf) = chain.first() {
        if let Some(name) = expect.name {
            judge_name(leaf, name, &mut findings);
        }
        if let Some(material) = expect.key
            && leaf.key.material.as_ref() != Some(material)
        {
            findings.push(Finding::new(
                Code::KeyMismatch,
                Status::Critical,
                Some(0),
                format!(
                    "the private key does not belong to #0 {} (a server would refuse to start with this pair)",
                    leaf.subject_short()
                ),
            ));
        }
        if let Some(roots) = expect.roots {
            judge_chain(chain, roots, &mut findings);
        }
    }
    findings.sort_by_key(|f| std::cmp::Reverse(f.status.severity()));
    findings
}

pub(crate) fn label(index: usize, certificate: &Certificate) -> String {
    format!("#{index} {}", certificate.subject_short())
}

/// Days as whole days, rounded down as everywhere a certificate's days are
/// shown (the value, the table, the message): 29.9 days left is 29, and
/// 0.5 days past expiry is -1, "1 day ago".
pub fn whole_days_left(days: f64) -> f64 {
    days.floor()
}

fn whole_days(days: f64) -> String {
    let rounded = whole_days_left(days).abs() as i64;
    format!("{rounded} day{}", if rounded == 1 { "" } else { "s" })
}

/// The verdict on days left, before the share of the lifetime is considered.
pub fn days_status(days: f64, levels: &Levels) -> Status {
    if days < levels.crit_days {
        Status::Critical
    } else if days < levels.warn_days {
        Status::Warning
    } else {
        Status::Ok
    }
}

fn judge_validity(
    index: usize,
    certificate: &Certificate,
    levels: &Levels,
    now: DateTime<Utc>,
    findings: &mut Vec<Finding>,
) {
    let who = label(index, certificate);
    if now < certificate.not_before {
        findings.push(Finding::new(
            Code::NotYetValid,
            Status::Critical,
            Some(index),
            format!(
                "{who} is not valid until {} (in {})",
                utc_minute(certificate.not_before),
                whole_days(((certificate.not_before - now).num_seconds() as f64 / 86_400.0).ceil())
            ),
        ));
        return;
    }
    let days = certificate.days_left(now);
    if days < 0.0 {
        findings.push(Finding::new(
            Code::Expired,
            Status::Critical,
            Some(index),
            format!(
                "{who} expired on {} ({} ago)",
                utc_minute(certificate.not_after),
                whole_days(days)
            ),
        ));
        return;
    }
    let mut status = days_status(days, levels);
    let mut share = String::new();
    if let Some((warn, crit)) = levels.lifetime_percent {
        let percent = certificate.percent_left(now);
        let by_share = if percent < crit {
            Status::Critical
        } else if percent < warn {
            Status::Warning
        } else {
            Status::Ok
        };
        // The milder verdict: short-lived certificates are always "few days
        // left", long-lived ones always "a large share left".
        if by_share.severity() < status.severity() {
            status = by_share;
        }
        share = format!(", {percent:.0} % of its lifetime left");
    }
    if status != Status::Ok {
        findings.push(Finding::new(
            Code::DaysLeft,
            status,
            Some(index),
            format!(
                "{who} expires in {} on {}{share}",
                whole_days(days),
                utc_minute(certificate.not_after)
            ),
        ));
    }
}

fn judge_strength(index: usize, certificate: &Certificate, findings: &mut Vec<Finding>) {
    let who = label(index, certificate);
    let key = &certificate.key;
    let weak = match key.family {
        KeyFamily::Rsa => key.bits < 2048,
        KeyFamily::Ec => key.bits < 256,
        KeyFamily::Dsa => true,
        KeyFamily::Edwards | KeyFamily::Other => false,
    };
    if weak {
        findings.push(Finding::new(
            Code::WeakKey,
            Status::Critical,
            Some(index),
            format!(
                "{who} has a weak {} key of {} bits (at least RSA 2048 or EC 256 is needed)",
                key.kind, key.bits
            ),
        ));
    }
    // A root's own signature is never checked by clients: its hash does not matter.
    let root = certificate.is_self_issued() && certificate.is_ca;
    if certificate.signature.weak && !root {
        findings.push(Finding::new(
            Code::WeakSignature,
            Status::Critical,
            Some(index),
            format!(
                "{who} is signed with {}, which clients reject (collisions can be forged)",
                certificate.signature.name
            ),
        ));
    }
}

fn judge_name(leaf: &Certificate, name: &str, findings: &mut Vec<Finding>) {
    let Ok(server_name) = ServerName::try_from(name.trim_matches(['[', ']']).to_owned()) else {
        return;
    };
    let valid = webpki::EndEntityCert::try_from(&leaf.der).map_or_else(
        |_| leaf.dns_names.iter().any(|n| n.eq_ignore_ascii_case(name)),
        |ee| ee.verify_is_valid_for_subject_name(&server_name).is_ok(),
    );
    if !valid {
        let mut names: Vec<String> = leaf.dns_names.clone();
        names.extend(leaf.ip_addresses.iter().map(ToString::to_string));
        let names = if names.is_empty() {
            "it names no DNS names or addresses".to_owned()
        } else {
            format!("it is for {}", names.join(", "))
        };
        findings.push(Finding::new(
            Code::HostnameMismatch,
            Status::Critical,
            Some(0),
            format!(
                "{name} is not among the names of #0 {}: {names}",
                leaf.subject_short()
            ),
        ));
    }
}

/// The chain as issued, from the leaf up, following issuer names through
/// the certificates sent (in any order).
fn issuer_path(chain: &[Certificate]) -> Vec<usize> {
    let mut path = vec![0];
    loop {
        let current = *path.last().expect("the path starts with the leaf");
        if chain[current].is_self_issued() {
            return path;
        }
        match (0..chain.len())
            .find(|j| !path.contains(j) && chain[current].is_issued_by(&chain[*j]))
        {
            Some(next) => path.push(next),
            None => return path,
        }
    }
}

fn judge_chain(chain: &[Certificate], roots: &Roots, findings: &mut Vec<Finding>) {
    let leaf = &chain[0];
    let path = issuer_path(chain);
    let in_order = path
        .iter()
        .enumerate()
        .all(|(position, index)| position == *index);
    if !in_order {
        let sent: Vec<String> = path.iter().map(|i| format!("#{i}")).collect();
        findings.push(Finding::new(
            Code::ChainOrder,
            Status::Warning,
            None,
            format!(
                "the certificates are out of order: the chain runs {}; send the leaf first, then each issuer in turn",
                sent.join(" → ")
            ),
        ));
    }
    for (index, certificate) in chain.iter().enumerate() {
        if !path.contains(&index) {
            findings.push(Finding::new(
                Code::ChainOrder,
                Status::Warning,
                Some(index),
                format!(
                    "{} is not part of the chain of #0 and should not be sent",
                    label(index, certificate)
                ),
            ));
        }
    }
    let top_index = *path.last().expect("the path starts with the leaf");
    let top = &chain[top_index];
    if path.len() > 1 && top.is_self_issued() {
        findings.push(Finding::new(
            Code::RootSent,
            Status::Warning,
            Some(top_index),
            format!(
                "the root {} was sent; clients must already have it, so sending it only costs bytes (leave it out of the chain file)",
                label(top_index, top)
            ),
        ));
    }

    let trust = verify(chain, roots);
    if trust.is_ok() {
        return;
    }
    let issuer_trusted = roots.certificates.iter().any(|root| top.is_issued_by(root));
    if leaf.is_self_issued() {
        findings.push(Finding::new(
            Code::SelfSigned,
            Status::Critical,
            Some(0),
            format!(
                "#0 {} is self-signed and not among {}: clients cannot trust it",
                leaf.subject_short(),
                roots.source
            ),
        ));
        return;
    }
    if !top.is_self_issued() && !issuer_trusted && path.len() == 1 {
        findings.push(Finding::new(
            Code::ChainIncomplete,
            Status::Critical,
            Some(top_index),
            format!(
                "the issuer of #0, CN={}, was not sent and is not among {}: the server must send the intermediate certificate (or that issuer is a root nobody trusts)",
                leaf.issuer_short().trim_start_matches("CN="),
                roots.source
            ),
        ));
        return;
    }
    let already_explained = findings
        .iter()
        .any(|f| f.code == Code::WeakSignature.as_str() || f.code == Code::WeakKey.as_str());
    let message = match trust {
        Err(webpki::Error::UnknownIssuer) => {
            if top.is_self_issued() {
                format!(
                    "the chain ends at the root {}, which is not among {}",
                    label(top_index, top),
                    roots.source
                )
            } else {
                format!(
                    "the chain ends at {}, whose issuer {} is not among {}",
                    label(top_index, top),
                    top.issuer_short(),
                    roots.source
                )
            }
        }
        Err(
            webpki::Error::UnsupportedSignatureAlgorithmContext(_)
            | webpki::Error::UnsupportedSignatureAlgorithmForPublicKeyContext(_),
        ) if already_explained => return,
        Err(webpki::Error::CaUsedAsEndEntity) => format!(
            "#0 {} is a CA certificate, which clients refuse as a server certificate",
            leaf.subject_short()
        ),
        Err(webpki::Error::InvalidSignatureForPublicKey) => {
            "a signature in the chain does not verify: a certificate was not issued by the one it names".to_owned()
        }
        Err(webpki::Error::RequiredEkuNotFoundContext(_)) => {
            format!(
                "#0 {} is not for server authentication (its extended key usage)",
                leaf.subject_short()
            )
        }
        Err(other) => format!("the chain is not trusted by {}: {other}", roots.source),
        Ok(()) => unreachable!("handled above"),
    };
    findings.push(Finding::new(
        Code::Untrusted,
        Status::Critical,
        None,
        message,
    ));
}

/// webpki's verdict on the chain, at a moment when every certificate in it
/// is valid: expiry is judged (and reported) apart from trust.
fn verify(chain: &[Certificate], roots: &Roots) -> Result<(), webpki::Error> {
    let anchors: Vec<_> = roots
        .certificates
        .iter()
        .filter_map(|root| webpki::anchor_from_trusted_cert(&root.der).ok())
        .collect();
    let intermediates: Vec<CertificateDer<'_>> = chain[1..].iter().map(|c| c.der.clone()).collect();
    let start = chain.iter().map(|c| c.not_before).max().unwrap_or_default();
    let end = chain.iter().map(|c| c.not_after).min().unwrap_or_default();
    let now = Utc::now();
    let moment = if (start..end).contains(&now) || start >= end {
        now
    } else {
        start + (end - start) / 2
    };
    let time = UnixTime::since_unix_epoch(Duration::from_secs(moment.timestamp().max(0) as u64));
    let leaf = webpki::EndEntityCert::try_from(&chain[0].der)?;
    leaf.verify_for_usage(
        rustls::crypto::ring::default_provider()
            .signature_verification_algorithms
            .all,
        &anchors,
        &intermediates,
        time,
        webpki::KeyUsage::server_auth(),
        None,
        None,
    )
    .map(drop)
}

/// The least days left over the chain, and when that certificate expires.
pub fn earliest_expiry(chain: &[Certificate], now: DateTime<Utc>) -> Option<(f64, DateTime<Utc>)> {
    chain
        .iter()
        .min_by_key(|c| c.not_after)
        .map(|c| (c.days_left(now), c.not_after))
}

#[cfg(test)]
mod tests {

    #[test]
    fn addresses_that_differ_are_named() {
        let a: std::net::SocketAddr = "192.0.2.1:443".parse().unwrap();
        let b: std::net::SocketAddr = "[2001:db8::1]:443".parse().unwrap();
        let c: std::net::SocketAddr = "192.0.2.2:443".parse().unwrap();
        let same = [(a, Ok(vec![1, 2])), (b, Ok(vec![1, 2]))];
        assert_eq!(compare_addresses(&same), None);
        let other = [(a, Ok(vec![1, 2])), (b, Ok(vec![3])), (c, Ok(vec![1, 2]))];
        let finding = compare_addresses(&other).unwrap();
        assert_eq!(finding.code, "addresses_differ");
        assert!(
            finding
                .message
                .contains("192.0.2.1:443 + 192.0.2.2:443 vs [2001:db8::1]:443"),
            "{}",
            finding.message
        );
        let failing = [(a, Ok(vec![1])), (b, Err("connection refused".into()))];
        let finding = compare_addresses(&failing).unwrap();
        assert!(
            finding
                .message
                .contains("handshake fails at [2001:db8::1]:443 (connection refused)"),
            "{}",
            finding.message
        );
        // All failing is the target's failure, reported apart.
        assert_eq!(compare_addresses(&[(a, Err("refused".into()))]), None);
    }
    use super::*;
    use crate::probe::x509::read_certificates;
    use rcgen::{BasicConstraints, CertificateParams, IsCa, Issuer, KeyPair};

    pub(super) struct Ca {
        pub(super) pem: String,
        issuer: Issuer<'static, KeyPair>,
    }

    pub(super) fn ca(name: &str, parent: Option<&Ca>) -> Ca {
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(Vec::new()).unwrap();
        params
            .distinguished_name
            .push(rcgen::DnType::CommonName, name);
        params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
        let cert = match parent {
            Some(parent) => params.signed_by(&key, &parent.issuer).unwrap(),
            None => params.self_signed(&key).unwrap(),
        };
        Ca {
            pem: cert.pem(),
            issuer: Issuer::new(params, key),
        }
    }

    pub(super) fn leaf(name: &str, issuer: &Ca, days: (i64, i64)) -> String {
        let key = KeyPair::generate().unwrap();
        let mut params = CertificateParams::new(vec![name.to_owned()]).unwrap();
        let now = time::OffsetDateTime::now_utc();
        params.not_before = now + time::Duration::days(days.0);
        params.not_after = now + time::Duration::days(days.1);
        params.signed_by(&key, &issuer.issuer).unwrap().pem()
    }

    pub(super) fn certs(pems: &[&str]) -> Vec<Certificate> {
        read_certificates(pems.concat().as_bytes()).unwrap()
    }

    fn codes(
        chain: &[Certificate],
        roots: Option<&Roots>,
        name: Option<&str>,
    ) -> Vec<&'static str> {
        let expect = Expectations {
            levels: Levels::default(),
            name,
            roots,
            key: None,
        };
        let mut codes: Vec<_> = assess(chain, &expect, Utc::now())
            .into_iter()
            .map(|f| f.code)
            .collect();
        codes.sort_unstable();
        codes
    }

    #[test]
    fn a_good_chain_has_no_findings_and_a_bad_one_says_why() {
        let root = ca("Test Root", None);
        let intermediate = ca("Test Intermediate", Some(&root));
        let roots = Roots {
            source: "test roots".into(),
            certificates: certs(&[&root.pem]),
        };
        let good = leaf("www.test", &intermediate, (-10, 200));
        let name = Some("www.test");
        assert!(codes(&certs(&[&good, &intermediate.pem]), Some(&roots), name).is_empty());
        assert_eq!(
            codes(&certs(&[&good]), Some(&roots), name),
            ["chain_incomplete"]
        );
        assert_eq!(
            codes(
                &certs(&[&good, &root.pem, &intermediate.pem]),
                Some(&roots),
                name
            ),
            ["chain_order", "root_sent"]
        );
        assert_eq!(
            codes(
                &certs(&[&good, &intermediate.pem, &root.pem]),
                Some(&roots),
                name
            ),
            ["root_sent"]
        );
        assert_eq!(
            codes(
                &certs(&[&good, &intermediate.pem]),
                Some(&roots),
                Some("other.test")
            ),
            ["hostname_mismatch"]
        );
        let elsewhere = Roots {
            source: "other roots".into(),
            certificates: certs(&[&ca("Other Root", None).pem]),
        };
        assert_eq!(
            codes(&certs(&[&good, &intermediate.pem]), Some(&elsewhere), name),
            ["untrusted"]
        );
    }

    #[test]
    fn expiry_is_judged_on_every_certificate() {
        let root = ca("Root", None);
        let roots = Roots {
            source: "r".into(),
            certificates: certs(&[&root.pem]),
        };
        let soon = leaf("a.test", &root, (-300, 10));
        assert_eq!(codes(&certs(&[&soon]), Some(&roots), None), ["days_left"]);
        let expired = leaf("a.test", &root, (-300, -1));
        assert_eq!(codes(&certs(&[&expired]), Some(&roots), None), ["expired"]);
        let future = leaf("a.test", &root, (2, 300));
        assert_eq!(
            codes(&certs(&[&future]), Some(&roots), None),
            ["not_yet_valid"]
        );
        let chain = certs(&[&soon]);
        let expect = Expectations {
            levels: Levels::default(),
            name: None,
            roots: None,
            key: None,
        };
        let findings = assess(&chain, &expect, Utc::now());
        assert_eq!(findings[0].status, Status::Critical);
        assert_eq!(findings[0].certificate, Some(0));
    }

    #[test]
    fn a_share_of_the_lifetime_softens_days_for_short_lived_certificates() {
        let root = ca("Root", None);
        // 7-day certificate, 5 days left: 71 % of its life ahead.
        let short = certs(&[&leaf("s.test", &root, (-2, 5))]);
        let mut expect = Expectations {
            levels: Levels::default(),
            name: None,
            roots: None,
            key: None,
        };
        assert_eq!(
            assess(&short, &expect, Utc::now())[0].status,
            Status::Critical
        );
        expect.levels.lifetime_percent = Some((33.0, 15.0));
        assert!(assess(&short, &expect, Utc::now()).is_empty());
        // 1 day of 7 left: 14 %.
        let ending = certs(&[&leaf("s.test", &root, (-6, 1))]);
        assert_eq!(
            assess(&ending, &expect, Utc::now())[0].status,
            Status::Critical
        );
    }

    #[test]
    fn self_signed_leaves_are_untrusted_unless_named_as_roots() {
        let key = KeyPair::generate().unwrap();
        let cert = CertificateParams::new(vec!["self.test".into()])
            .unwrap()
            .self_signed(&key)
            .unwrap()
            .pem();
        let chain = certs(&[&cert]);
        let system = Roots {
            source: "r".into(),
            certificates: certs(&[&ca("Root", None).pem]),
        };
        assert_eq!(
            codes(&chain, Some(&system), Some("self.test")),
            ["self_signed"]
        );
        let own = Roots {
            source: "own".into(),
            certificates: chain.clone(),
        };
        assert!(codes(&chain, Some(&own), Some("self.test")).is_empty());
    }
}
