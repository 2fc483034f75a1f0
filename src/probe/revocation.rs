//! Whether a certificate has been revoked, as its issuer says: through a
//! CRL fetched from one of its distribution points, or an OCSP responder
//! its Authority Information Access names (issue 18). Every answer is
//! verified against the issuer's key (or, for OCSP, a responder the issuer
//! delegated to with id-kp-OCSPSigning) before it is believed.
//!
//! Answers are kept in a cache folder, one file per CRL URL and per OCSP
//! URL and certificate, and reused until their nextUpdate (at most a day):
//! a CRL is often megabytes and changes daily, and a responder that is
//! down for a while must not turn every run UNKNOWN. A cache file that
//! does not parse or verify is ignored and fetched again.
//!
//! Nothing here judges: a stale CRL or a revoked serial is data.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant, SystemTime};

use chrono::{DateTime, Utc};
use der::{Decode, Encode};
use x509_parser::prelude::{FromDer, X509Certificate};
use x509_parser::revocation_list::CertificateRevocationList;

use super::x509::Certificate;
use crate::units::human_duration;

/// A CRL or OCSP response larger than this is not read (the largest public
/// CRLs are a few MiB).
pub const SIZE_LIMIT: u64 = 20 << 20;
/// A cached answer is fetched again after this long even when its
/// nextUpdate is later, so a revocation reaches maint within a day.
pub const CACHE_AT_MOST: Duration = Duration::from_secs(24 * 3600);
/// CRLs and OCSP responses redirect at most this often (CDNs do).
const REDIRECTS: u32 = 3;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Method {
    Crl,
    Ocsp,
}

impl Method {
    pub fn name(self) -> &'static str {
        match self {
            Method::Crl => "crl",
            Method::Ocsp => "ocsp",
        }
    }
}

/// What the issuer says of the certificate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CertStatus {
    Good,
    Revoked {
        at: DateTime<Utc>,
        /// `keyCompromise`, `superseded`, ... as openssl names them.
        reason: Option<&'static str>,
    },
    /// An OCSP responder that does not know the certificate.
    Unknown,
}

/// One verified answer.
#[derive(Clone, Debug)]
pub struct Answer {
    pub method: Method,
    pub url: String,
    pub status: CertStatus,
    pub this_update: DateTime<Utc>,
    pub next_update: Option<DateTime<Utc>>,
    /// Read from the cache rather than fetched now.
    pub cached: bool,
}

#[derive(Debug, thiserror::Error)]
pub enum RevocationError {
    #[error("{url} did not answer within {}", human_duration(*limit))]
    Timeout { url: String, limit: Duration },
    #[error("cannot fetch {url}: {message}")]
    Unreachable { url: String, message: String },
    #[error("{url} answered HTTP {status}")]
    Http { url: String, status: u16 },
    #[error("{url} sent more than {} MiB", SIZE_LIMIT >> 20)]
    TooLarge { url: String },
    #[error("{url} did not send a valid CRL signed by the issuer: {reason}")]
    NotCrl { url: String, reason: String },
    #[error("{url} did not send a valid OCSP response signed by the issuer: {reason}")]
    NotOcsp { url: String, reason: String },
    #[error("the OCSP responder {url} refused: {status}")]
    Refused { url: String, status: String },
    #[error("{url}: only http:// and https:// are fetched")]
    Scheme { url: String },
}

/// Fetches and verifies under one deadline shared by every fetch, through
/// one cache folder (none: nothing is cached).
pub struct Fetcher {
    deadline: Instant,
    limit: Duration,
    cache: Option<PathBuf>,
}

impl Fetcher {
    pub fn new(limit: Duration, cache: Option<PathBuf>) -> Fetcher {
        Fetcher {
            deadline: Instant::now() + limit,
            limit,
            cache,
        }
    }

    /// What the CRL at `url` says of `cert`, which `issuer` signed.
    pub fn crl(
        &self,
        cert: &Certificate,
        issuer: &Certificate,
        url: &str,
        now: DateTime<Utc>,
    ) -> Result<Answer, RevocationError> {
        let serial = raw_serial(cert).map_err(|reason| not_crl(url, &reason))?;
        cached_or_fetched(
            self.entry("crl", &[url.as_bytes()]).as_deref(),
            now,
            |bytes| read_crl(bytes, &serial, issuer, url),
            || self.fetch(url, None),
        )
    }

    /// What the OCSP responder at `url` says of `cert`, which `issuer` signed.
    pub fn ocsp(
        &self,
        cert: &Certificate,
        issuer: &Certificate,
        url: &str,
        now: DateTime<Utc>,
    ) -> Result<Answer, RevocationError> {
        let bad = |reason: String| not_ocsp(url, reason);
        let id = cert_id(cert, issuer).map_err(bad)?;
        let id_der = id.to_der().map_err(|err| bad(err.to_string()))?;
        cached_or_fetched(
            self.entry("ocsp", &[url.as_bytes(), &id_der]).as_deref(),
            now,
            |bytes| read_ocsp(bytes, &id, issuer, url, now),
            || {
                let request = ocsp_request(id.clone()).map_err(bad)?;
                self.fetch(url, Some(&request))
            },
        )
    }

    /// The cache file for `kind` and what identifies the answer.
    fn entry(&self, kind: &str, parts: &[&[u8]]) -> Option<PathBuf> {
        let folder = self.cache.as_ref()?;
        let mut context = ring::digest::Context::new(&ring::digest::SHA256);
        for part in parts {
            context.update(&(part.len() as u64).to_be_bytes());
            context.update(part);
        }
        let digest = data_encoding::HEXLOWER.encode(&context.finish().as_ref()[..16]);
        Some(folder.join(format!("{kind}-{digest}.der")))
    }

    /// GET `url`, or POST `body` to it as an OCSP request, within what is
    /// left of the deadline.
    fn fetch(&self, url: &str, body: Option<&[u8]>) -> Result<Vec<u8>, RevocationError> {
        let scheme = url.split_once("://").map(|(s, _)| s.to_ascii_lowercase());
        if !matches!(scheme.as_deref(), Some("http" | "https")) {
            return Err(RevocationError::Scheme {
                url: url.to_owned(),
            });
        }
        let timeout = || RevocationError::Timeout {
            url: url.to_owned(),
            limit: self.limit,
        };
        let left = self.deadline.saturating_duration_since(Instant::now());
        if left.is_zero() {
            return Err(timeout());
        }
        let agent = super::http::agent(left, REDIRECTS);
        let host = super::http::host_of(url);
        let failed = |err: ureq::Error| match err {
            ureq::Error::BodyExceedsLimit(_) => RevocationError::TooLarge {
                url: url.to_owned(),
            },
            other => match super::http::classify(other, &host, self.limit) {
                super::http::HttpError::Timeout(_) => timeout(),
                other => RevocationError::Unreachable {
                    url: url.to_owned(),
                    message: other.to_string(),
                },
            },
        };
        let mut response = match body {
            None => agent.get(url).call(),
            Some(body) => agent
                .post(url)
                .header("Content-Type", "application/ocsp-request")
                .send(body),
        }
        .map_err(failed)?;
        let status = response.status().as_u16();
        if status != 200 {
            return Err(RevocationError::Http {
                url: url.to_owned(),
                status,
            });
        }
        response
            .body_mut()
            .with_config()
            .limit(SIZE_LIMIT)
            .read_to_vec()
            .map_err(failed)
    }
}

/// maint's cache folder: `$MAINT_CACHE_DIR`, else `/var/cache/maint` for
/// root, else `$XDG_CACHE_HOME/maint` or `~/.cache/maint`. Not created here.
pub fn cache_home() -> Option<PathBuf> {
    let env = |key: &str| {
        std::env::var_os(key)
            .filter(|v| !v.is_empty())
            .map(PathBuf::from)
    };
    if let Some(folder) = env("MAINT_CACHE_DIR") {
        return Some(folder);
    }
    if rustix::process::geteuid().is_root() {
        return Some(PathBuf::from("/var/cache/maint"));
    }
    env("XDG_CACHE_HOME")
        .filter(|p| p.is_absolute())
        .map(|cache| cache.join("maint"))
        .or_else(|| env("HOME").map(|home| home.join(".cache/maint")))
}

/// The cache folder for revocation answers, created private (0700); None
/// when it cannot be, and then nothing is cached.
pub fn cache_folder() -> Option<PathBuf> {
    use std::os::unix::fs::DirBuilderExt;
    let folder = cache_home()?.join("revocation");
    std::fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(&folder)
        .ok()?;
    Some(folder)
}

/// The answer cached in `entry` while it is current (a cache file that no
/// longer verifies is fetched again), else the one fetched now, cached
/// when it says until when it holds.
fn cached_or_fetched(
    entry: Option<&Path>,
    now: DateTime<Utc>,
    read: impl Fn(&[u8]) -> Result<Answer, RevocationError>,
    fetch: impl FnOnce() -> Result<Vec<u8>, RevocationError>,
) -> Result<Answer, RevocationError> {
    let current = |answer: &Answer| answer.next_update.is_some_and(|next| next > now);
    if let Some(bytes) = entry.and_then(|path| fresh(path, now))
        && let Ok(answer) = read(&bytes)
        && current(&answer)
    {
        return Ok(Answer {
            cached: true,
            ..answer
        });
    }
    let bytes = fetch()?;
    let answer = read(&bytes)?;
    if current(&answer) {
        store(entry, &bytes);
    }
    Ok(answer)
}

/// The bytes of a cache file written less than [`CACHE_AT_MOST`] ago.
fn fresh(path: &Path, now: DateTime<Utc>) -> Option<Vec<u8>> {
    let written = std::fs::metadata(path).ok()?.modified().ok()?;
    let now = SystemTime::from(now);
    let age = now.duration_since(written).ok()?;
    if age > CACHE_AT_MOST {
        return None;
    }
    let bytes = std::fs::read(path).ok()?;
    (bytes.len() as u64 <= SIZE_LIMIT).then_some(bytes)
}

/// Keeps `bytes` in the cache; a cache that cannot be written only costs
/// a fetch next time.
fn store(path: Option<&Path>, bytes: &[u8]) {
    if let Some(path) = path {
        let _ = crate::storage::atomic::write_with_mode(path, bytes, 0o600);
    }
}

fn not_crl(url: &str, reason: &str) -> RevocationError {
    RevocationError::NotCrl {
        url: url.to_owned(),
        reason: reason.to_owned(),
    }
}

fn not_ocsp(url: &str, reason: String) -> RevocationError {
    RevocationError::NotOcsp {
        url: url.to_owned(),
        reason,
    }
}

fn parse(cert: &Certificate) -> Result<X509Certificate<'_>, String> {
    X509Certificate::from_der(&cert.der)
        .map(|(_, parsed)| parsed)
        .map_err(|err| err.to_string())
}

fn raw_serial(cert: &Certificate) -> Result<Vec<u8>, String> {
    Ok(parse(cert)?.raw_serial().to_vec())
}

/// Serial numbers compare as integers: a leading zero byte (DER's sign
/// byte) is not part of the number.
fn same_serial(a: &[u8], b: &[u8]) -> bool {
    let trim = |s: &[u8]| {
        let start = s.iter().position(|b| *b != 0).unwrap_or(s.len());
        s[start..].to_vec()
    };
    trim(a) == trim(b)
}

fn time(seconds: i64) -> DateTime<Utc> {
    DateTime::from_timestamp(seconds, 0).unwrap_or_default()
}

/// A DER or PEM CRL, checked against `issuer`, and what it says of `serial`.
fn read_crl(
    bytes: &[u8],
    serial: &[u8],
    issuer: &Certificate,
    url: &str,
) -> Result<Answer, RevocationError> {
    let bad = |reason: String| not_crl(url, &reason);
    let der = pem_crl(bytes).unwrap_or_else(|| bytes.to_vec());
    let (rest, crl) = CertificateRevocationList::from_der(&der).map_err(|err| {
        let start = String::from_utf8_lossy(&bytes[..bytes.len().min(64)]).to_lowercase();
        if start.contains("<html") || start.contains("<!doctype") {
            bad("it sent an HTML page".into())
        } else {
            bad(format!("it does not parse as one ({err})"))
        }
    })?;
    if !rest.is_empty() {
        return Err(bad("trailing bytes after the CRL".into()));
    }
    let parsed_issuer = parse(issuer).map_err(&bad)?;
    if crl.issuer().as_raw() != parsed_issuer.subject().as_raw() {
        return Err(bad(format!(
            "it is issued by {}, not by {}",
            crl.issuer(),
            parsed_issuer.subject()
        )));
    }
    crl.verify_signature(parsed_issuer.public_key())
        .map_err(|err| bad(format!("its signature does not verify ({err})")))?;
    let revoked = crl
        .iter_revoked_certificates()
        .find(|entry| same_serial(entry.raw_serial(), serial));
    let status = match revoked {
        None => CertStatus::Good,
        Some(entry) => CertStatus::Revoked {
            at: time(entry.revocation_date.timestamp()),
            reason: entry
                .reason_code()
                .and_then(|(_, code)| reason_name(u32::from(code.0))),
        },
    };
    Ok(Answer {
        method: Method::Crl,
        url: url.to_owned(),
        status,
        this_update: time(crl.last_update().timestamp()),
        next_update: crl.next_update().map(|t| time(t.timestamp())),
        cached: false,
    })
}

/// The DER inside a `-----BEGIN X509 CRL-----` block, for CAs that serve PEM.
fn pem_crl(bytes: &[u8]) -> Option<Vec<u8>> {
    let text = std::str::from_utf8(bytes).ok()?;
    let body = text
        .split_once("-----BEGIN X509 CRL-----")?
        .1
        .split_once("-----END X509 CRL-----")?
        .0;
    let joined: String = body.split_whitespace().collect();
    data_encoding::BASE64.decode(joined.as_bytes()).ok()
}

/// CRLReason codes (RFC 5280 5.3.1), named as openssl prints them.
fn reason_name(code: u32) -> Option<&'static str> {
    Some(match code {
        0 => "unspecified",
        1 => "keyCompromise",
        2 => "cACompromise",
        3 => "affiliationChanged",
        4 => "superseded",
        5 => "cessationOfOperation",
        6 => "certificateHold",
        8 => "removeFromCRL",
        9 => "privilegeWithdrawn",
        10 => "aACompromise",
        _ => return None,
    })
}

const OID_SHA1: der::asn1::ObjectIdentifier =
    der::asn1::ObjectIdentifier::new_unwrap("1.3.14.3.2.26");
const OID_OCSP_BASIC: der::asn1::ObjectIdentifier =
    der::asn1::ObjectIdentifier::new_unwrap("1.3.6.1.5.5.7.48.1.1");
const OID_OCSP_SIGNING: &str = "1.3.6.1.5.5.7.3.9";

/// The CertID `openssl ocsp` sends: SHA-1 of the issuer's name and key,
/// and the serial, which every responder understands.
fn cert_id(cert: &Certificate, issuer: &Certificate) -> Result<x509_ocsp::CertId, String> {
    let parsed_issuer = parse(issuer)?;
    let sha1 = |bytes: &[u8]| {
        ring::digest::digest(&ring::digest::SHA1_FOR_LEGACY_USE_ONLY, bytes)
            .as_ref()
            .to_vec()
    };
    let octets = |bytes: Vec<u8>| der::asn1::OctetString::new(bytes).map_err(|e| e.to_string());
    Ok(x509_ocsp::CertId {
        hash_algorithm: spki::AlgorithmIdentifierOwned {
            oid: OID_SHA1,
            parameters: Some(der::asn1::Null.into()),
        },
        issuer_name_hash: octets(sha1(parsed_issuer.subject().as_raw()))?,
        issuer_key_hash: octets(sha1(&parsed_issuer.public_key().subject_public_key.data))?,
        serial_number: x509_cert::serial_number::SerialNumber::new(&raw_serial(cert)?)
            .map_err(|e| e.to_string())?,
    })
}

fn ocsp_request(id: x509_ocsp::CertId) -> Result<Vec<u8>, String> {
    x509_ocsp::OcspRequest {
        tbs_request: x509_ocsp::TbsRequest {
            version: x509_ocsp::Version::V1,
            requestor_name: None,
            request_list: vec![x509_ocsp::Request {
                req_cert: id,
                single_request_extensions: None,
            }],
            request_extensions: None,
        },
        optional_signature: None,
    }
    .to_der()
    .map_err(|err| err.to_string())
}

fn generalized(time: &x509_ocsp::OcspGeneralizedTime) -> DateTime<Utc> {
    let seconds = time.0.to_unix_duration().as_secs();
    DateTime::from_timestamp(i64::try_from(seconds).unwrap_or(i64::MAX), 0).unwrap_or_default()
}

/// An OCSP response for `id`, signed by `issuer` or a responder it
/// delegated to, and what it says.
fn read_ocsp(
    bytes: &[u8],
    id: &x509_ocsp::CertId,
    issuer: &Certificate,
    url: &str,
    now: DateTime<Utc>,
) -> Result<Answer, RevocationError> {
    let bad = |reason: String| RevocationError::NotOcsp {
        url: url.to_owned(),
        reason,
    };
    let response = x509_ocsp::OcspResponse::from_der(bytes)
        .map_err(|err| bad(format!("it does not parse as one ({err})")))?;
    if response.response_status != x509_ocsp::OcspResponseStatus::Successful {
        return Err(RevocationError::Refused {
            url: url.to_owned(),
            status: format!("{:?}", response.response_status),
        });
    }
    let body = response
        .response_bytes
        .ok_or_else(|| bad("a successful answer without a response".into()))?;
    if body.response_type != OID_OCSP_BASIC {
        return Err(bad(format!(
            "a response of type {}, not a basic one",
            body.response_type
        )));
    }
    let basic = x509_ocsp::BasicOcspResponse::from_der(body.response.as_bytes())
        .map_err(|err| bad(format!("its basic response does not parse ({err})")))?;
    let signed = first_element(body.response.as_bytes())
        .ok_or_else(|| bad("its basic response does not parse".into()))?;
    verify_ocsp_signature(&basic, signed, issuer, now).map_err(&bad)?;
    let single = basic
        .tbs_response_data
        .responses
        .iter()
        .find(|single| {
            single.cert_id.issuer_name_hash == id.issuer_name_hash
                && single.cert_id.issuer_key_hash == id.issuer_key_hash
                && same_serial(
                    single.cert_id.serial_number.as_bytes(),
                    id.serial_number.as_bytes(),
                )
        })
        .ok_or_else(|| bad("it says nothing of this certificate".into()))?;
    let status = match &single.cert_status {
        x509_ocsp::CertStatus::Good(_) => CertStatus::Good,
        x509_ocsp::CertStatus::Revoked(info) => CertStatus::Revoked {
            at: generalized(&info.revocation_time),
            reason: info
                .revocation_reason
                .and_then(|reason| reason_name(reason as u32)),
        },
        x509_ocsp::CertStatus::Unknown(_) => CertStatus::Unknown,
    };
    Ok(Answer {
        method: Method::Ocsp,
        url: url.to_owned(),
        status,
        this_update: generalized(&single.this_update),
        next_update: single.next_update.as_ref().map(generalized),
        cached: false,
    })
}

/// The raw bytes of the first element of a DER SEQUENCE: what a signature
/// over `tbsResponseData` covers, exactly as sent.
fn first_element(sequence: &[u8]) -> Option<&[u8]> {
    let (_, header, _) = super::x509::der_header(sequence)?;
    let inner = sequence.get(header..)?;
    let (_, header, length) = super::x509::der_header(inner)?;
    inner.get(..header.checked_add(length)?)
}

/// The issuer itself signed the response, or a certificate sent with it
/// that the issuer signed for OCSP signing (RFC 6960 4.2.2.2).
fn verify_ocsp_signature(
    basic: &x509_ocsp::BasicOcspResponse,
    signed: &[u8],
    issuer: &Certificate,
    now: DateTime<Utc>,
) -> Result<(), String> {
    let algorithm_der = basic
        .signature_algorithm
        .to_der()
        .map_err(|err| err.to_string())?;
    let (_, algorithm) = x509_parser::x509::AlgorithmIdentifier::from_der(&algorithm_der)
        .map_err(|err| err.to_string())?;
    let signature =
        x509_parser::der_parser::asn1_rs::BitString::new(0, basic.signature.raw_bytes());
    let parsed_issuer = parse(issuer)?;
    let by = |key: &x509_parser::x509::SubjectPublicKeyInfo<'_>| {
        x509_parser::verify::verify_signature(key, &algorithm, &signature, signed).is_ok()
    };
    if by(parsed_issuer.public_key()) {
        return Ok(());
    }
    for delegate in basic.certs.iter().flatten() {
        let Ok(der) = delegate.to_der() else {
            continue;
        };
        let Ok((_, responder)) = X509Certificate::from_der(&der) else {
            continue;
        };
        let for_ocsp = responder
            .extended_key_usage()
            .ok()
            .flatten()
            .is_some_and(|eku| {
                eku.value
                    .other
                    .iter()
                    .any(|oid| oid.to_id_string() == OID_OCSP_SIGNING)
                    || eku.value.ocsp_signing
            });
        let valid = responder.validity().is_valid_at(
            x509_parser::time::ASN1Time::from_timestamp(now.timestamp())
                .unwrap_or_else(|_| responder.validity().not_before),
        );
        if for_ocsp
            && valid
            && responder.issuer().as_raw() == parsed_issuer.subject().as_raw()
            && responder
                .verify_signature(Some(parsed_issuer.public_key()))
                .is_ok()
            && by(responder.public_key())
        {
            return Ok(());
        }
    }
    Err(
        "its signature is neither the issuer's nor that of an OCSP responder the issuer certified"
            .into(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn serials_compare_as_numbers() {
        assert!(same_serial(&[0, 0x80, 1], &[0x80, 1]));
        assert!(!same_serial(&[1, 2], &[1, 3]));
    }

    #[test]
    fn the_signed_part_is_the_first_element() {
        // SEQUENCE { SEQUENCE { INTEGER 5 }, NULL }
        let bytes = [0x30, 0x07, 0x30, 0x03, 0x02, 0x01, 0x05, 0x05, 0x00];
        assert_eq!(first_element(&bytes), Some(&bytes[2..7]));
        assert_eq!(first_element(&[0x30]), None);
    }

    #[test]
    fn pem_crls_are_unwrapped() {
        let pem = "-----BEGIN X509 CRL-----\nMAMCAQU=\n-----END X509 CRL-----\n";
        assert_eq!(pem_crl(pem.as_bytes()), Some(vec![0x30, 3, 2, 1, 5]));
        assert_eq!(pem_crl(b"\x30\x03"), None);
    }
}
