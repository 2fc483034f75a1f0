//! Reading certificates and private keys: PEM (every block of a bundle,
//! `TRUSTED CERTIFICATE` included) or DER, parsed into the facts the
//! certificate checks judge, plus the system's and a file's trusted roots.
//!
//! Our own PEM scanner, because rustls-pki-types' reader skips OpenSSL's
//! `BEGIN TRUSTED CERTIFICATE` blocks and rustls-pemfile is unmaintained.

use std::net::IpAddr;
use std::path::{Path, PathBuf};

use chrono::{DateTime, Utc};
use rustls_pki_types::CertificateDer;
use x509_parser::extensions::{DistributionPointName, GeneralName, ParsedExtension};
use x509_parser::prelude::{FromDer, X509Certificate};
use x509_parser::public_key::PublicKey as ParsedKey;

/// Files larger than this are not certificate files; they are not read.
pub const FILE_LIMIT: u64 = 16 << 20;

const CERTIFICATE_LABELS: &[&str] = &["CERTIFICATE", "X509 CERTIFICATE", "TRUSTED CERTIFICATE"];

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ReadError {
    #[error("the file is empty")]
    Empty,
    #[error("it holds no certificate, only {}", .0.join(", "))]
    OnlyOtherPem(Vec<String>),
    #[error("it is neither PEM nor a DER certificate")]
    NotCertificate,
    #[error("certificate block {block} (line {line}) is damaged: {reason}")]
    Damaged {
        block: usize,
        line: usize,
        reason: String,
    },
}

impl ReadError {
    /// Whether the file simply is not a certificate file (a folder skips
    /// those), rather than a certificate file that is damaged.
    pub fn is_not_a_certificate(&self) -> bool {
        !matches!(self, ReadError::Damaged { .. })
    }
}

#[derive(Debug, thiserror::Error)]
pub enum FileError {
    #[error("cannot read {}: {source}", path.display())]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("{} is larger than {} MiB: not a certificate file", path.display(), FILE_LIMIT >> 20)]
    TooLarge { path: PathBuf },
    #[error("{}: {source}", path.display())]
    Contents { path: PathBuf, source: ReadError },
    /// What the helper process that read the file said (see [`read_bounded`]).
    #[error("{0}")]
    Helper(String),
}

/// One PEM block: its label, the line its BEGIN is on, and its decoded bytes.
struct PemBlock {
    label: String,
    line: usize,
    der: Result<Vec<u8>, String>,
}

/// Every `-----BEGIN X-----` ... `-----END X-----` block; text around them
/// (comments, `openssl x509 -text` output) is ignored.
fn pem_blocks(bytes: &[u8]) -> Vec<PemBlock> {
    let mut blocks = Vec::new();
    let mut open: Option<(String, usize, String)> = None;
    for (number, raw_line) in bytes.split(|b| *b == b'\n').enumerate() {
        let line = String::from_utf8_lossy(raw_line);
        let line = line.trim();
        if let Some(label) = line
            .strip_prefix("-----BEGIN ")
            .and_then(|rest| rest.strip_suffix("-----"))
        {
            if let Some((label, line, _)) = open.take() {
                blocks.push(PemBlock {
                    label,
                    line,
                    der: Err("no END line before the next BEGIN".into()),
                });
            }
            open = Some((label.to_owned(), number + 1, String::new()));
        } else if let Some(label) = line
            .strip_prefix("-----END ")
            .and_then(|rest| rest.strip_suffix("-----"))
        {
            if let Some((begin, line, body)) = open.take() {
                let der = if begin == label {
                    data_encoding::BASE64
                        .decode(body.as_bytes())
                        .map_err(|err| format!("bad base64: {err}"))
                } else {
                    Err(format!("BEGIN {begin} ends with END {label}"))
                };
                blocks.push(PemBlock {
                    label: begin,
                    line,
                    der,
                });
            }
        } else if let Some((_, _, body)) = &mut open {
            // RFC 1421 headers (Proc-Type, DEK-Info) belong to encrypted keys, not certificates.
            if !line.contains(':') {
                body.push_str(line);
            }
        }
    }
    if let Some((label, line, _)) = open {
        blocks.push(PemBlock {
            label,
            line,
            der: Err("the file ends before its END line".into()),
        });
    }
    blocks
}

/// Every certificate in `bytes`, in file order: PEM blocks, or DER.
pub fn read_certificates(bytes: &[u8]) -> Result<Vec<Certificate>, ReadError> {
    if bytes.iter().all(u8::is_ascii_whitespace) {
        return Err(ReadError::Empty);
    }
    let blocks = pem_blocks(bytes);
    if blocks.is_empty() {
        return read_der(bytes);
    }
    let mut certificates = Vec::new();
    let mut others = Vec::new();
    for (index, block) in blocks.into_iter().enumerate() {
        if !CERTIFICATE_LABELS.contains(&block.label.as_str()) {
            if !others.contains(&block.label) {
                others.push(block.label);
            }
            continue;
        }
        let damaged = |reason: String| ReadError::Damaged {
            block: index + 1,
            line: block.line,
            reason,
        };
        let der = block.der.clone().map_err(damaged)?;
        // A TRUSTED CERTIFICATE is the certificate followed by OpenSSL's
        // trust settings; parsing stops at the end of the certificate.
        let certificate =
            Certificate::parse_prefix(&der).map_err(|err| damaged(err.to_string()))?;
        certificates.push(certificate);
    }
    if certificates.is_empty() {
        return Err(ReadError::OnlyOtherPem(others));
    }
    Ok(certificates)
}

fn read_der(bytes: &[u8]) -> Result<Vec<Certificate>, ReadError> {
    let mut rest = bytes;
    let mut certificates = Vec::new();
    while !rest.is_empty() {
        let Some(length) = der_element_length(rest) else {
            break;
        };
        match Certificate::parse(&rest[..length]) {
            Ok(certificate) => certificates.push(certificate),
            Err(_) => break,
        }
        rest = &rest[length..];
    }
    if certificates.is_empty() || !rest.is_empty() {
        return Err(ReadError::NotCertificate);
    }
    Ok(certificates)
}

/// Folders are searched this deep.
const FOLDER_DEPTH: usize = 16;

/// What a certificate path named: nothing, a file (its bytes), or a folder
/// (each file found in it, with its bytes). Errors are their messages.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Found {
    Missing,
    File(Result<Vec<u8>, String>),
    Folder(Result<Vec<FoundFile>, String>),
}

/// A file found in a folder, and its bytes or why they could not be read.
pub type FoundFile = (PathBuf, Result<Vec<u8>, String>);

/// Looks at `path` in this process.
pub fn look(path: &Path) -> Found {
    if std::fs::symlink_metadata(path).is_err() {
        return Found::Missing;
    }
    if path.is_dir() {
        let mut files = Vec::new();
        return Found::Folder(match walk(path, 0, &mut files) {
            Ok(()) => Ok(files
                .into_iter()
                .map(|file| {
                    let bytes = read_limited(&file).map_err(|err| err.to_string());
                    (file, bytes)
                })
                .collect()),
            Err(err) => Err(err.to_string()),
        });
    }
    Found::File(read_limited(path).map_err(|err| err.to_string()))
}

/// [`look`] in a helper process (see [`super::isolated`]): a certificate
/// file or folder on a hung mount is given up on at `limit`.
pub fn look_isolated(
    helper: &Path,
    path: &Path,
    limit: std::time::Duration,
) -> Result<Found, super::isolated::IsolatedError> {
    use super::isolated::{self, IsolatedError, Limit};
    let output = isolated::run(helper, "certfiles", path, &[], Limit::Total(limit))?;
    decode_found(&output)
        .ok_or_else(|| IsolatedError::Failed("the certificate helper's answer is malformed".into()))
}

/// The `maint __certfiles PATH` helper: [`look`]'s answer as netstrings
/// (`LEN:BYTES,`): the kind, then the bytes or the error, and for a
/// folder each file's path, `ok` or `err`, and its bytes or error.
pub fn certfiles_helper(path: &Path) -> (String, bool) {
    use std::io::Write;
    use std::os::unix::ffi::OsStrExt;
    let mut out = Vec::new();
    let mut put = |bytes: &[u8]| {
        out.extend_from_slice(format!("{}:", bytes.len()).as_bytes());
        out.extend_from_slice(bytes);
        out.push(b',');
    };
    let result = |put: &mut dyn FnMut(&[u8]), answer: &Result<Vec<u8>, String>| match answer {
        Ok(bytes) => {
            put(b"ok");
            put(bytes);
        }
        Err(message) => {
            put(b"err");
            put(message.as_bytes());
        }
    };
    match look(path) {
        Found::Missing => put(b"missing"),
        Found::File(answer) => {
            put(b"file");
            result(&mut put, &answer);
        }
        Found::Folder(Err(message)) => {
            put(b"folder-err");
            put(message.as_bytes());
        }
        Found::Folder(Ok(files)) => {
            put(b"folder");
            for (file, answer) in &files {
                put(file.as_os_str().as_bytes());
                result(&mut put, answer);
            }
        }
    }
    let mut stdout = std::io::stdout();
    let ok = stdout.write_all(&out).and_then(|()| stdout.flush()).is_ok();
    (String::new(), ok)
}

fn decode_found(mut input: &[u8]) -> Option<Found> {
    use std::ffi::OsStr;
    use std::os::unix::ffi::OsStrExt;
    let mut next = || -> Option<Vec<u8>> {
        let colon = input.iter().position(|&b| b == b':')?;
        let len: usize = std::str::from_utf8(&input[..colon]).ok()?.parse().ok()?;
        let rest = &input[colon + 1..];
        if rest.len() < len + 1 || rest[len] != b',' {
            return None;
        }
        let value = rest[..len].to_vec();
        input = &rest[len + 1..];
        Some(value)
    };
    let text = |bytes: Vec<u8>| String::from_utf8_lossy(&bytes).into_owned();
    let answer = |next: &mut dyn FnMut() -> Option<Vec<u8>>| -> Option<Result<Vec<u8>, String>> {
        let status = next()?;
        let payload = next()?;
        match status.as_slice() {
            b"ok" => Some(Ok(payload)),
            b"err" => Some(Err(text(payload))),
            _ => None,
        }
    };
    let kind = next()?;
    Some(match kind.as_slice() {
        b"missing" => Found::Missing,
        b"file" => Found::File(answer(&mut next)?),
        b"folder-err" => Found::Folder(Err(text(next()?))),
        b"folder" => {
            let mut files = Vec::new();
            while let Some(path) = next() {
                let file = PathBuf::from(OsStr::from_bytes(&path));
                files.push((file, answer(&mut next)?));
            }
            Found::Folder(Ok(files))
        }
        _ => return None,
    })
}

/// Regular files under `folder`, by name, following links to files (but
/// not to folders, which could loop).
fn walk(folder: &Path, depth: usize, found: &mut Vec<PathBuf>) -> std::io::Result<()> {
    let mut entries: Vec<_> = std::fs::read_dir(folder)?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .collect();
    entries.sort();
    for path in entries {
        let Ok(link) = std::fs::symlink_metadata(&path) else {
            continue;
        };
        if link.is_dir() {
            if depth < FOLDER_DEPTH {
                // A subfolder that cannot be read is skipped, not fatal.
                let _ = walk(&path, depth + 1, found);
            }
        } else if std::fs::metadata(&path).is_ok_and(|m| m.is_file()) {
            found.push(path);
        }
    }
    Ok(())
}

pub fn read_limited(path: &Path) -> Result<Vec<u8>, FileError> {
    let io = |source| FileError::Io {
        path: path.to_owned(),
        source,
    };
    let metadata = std::fs::metadata(path).map_err(io)?;
    if metadata.len() > FILE_LIMIT {
        return Err(FileError::TooLarge {
            path: path.to_owned(),
        });
    }
    std::fs::read(path).map_err(io)
}

/// [`read_limited`] in a helper process when one can start, so that a key
/// or CA file on a hung mount is given up on at `limit` instead of holding
/// the run.
pub fn read_bounded(path: &Path, limit: std::time::Duration) -> Result<Vec<u8>, FileError> {
    let Some(helper) = super::isolated::helper_binary() else {
        return read_limited(path);
    };
    match look_isolated(&helper, path, limit) {
        Ok(Found::File(result)) => result.map_err(FileError::Helper),
        // The helper answered, so the path does not hang: reading it here
        // gives the usual error for a missing file or a folder.
        Ok(Found::Missing | Found::Folder(_)) => read_limited(path),
        Err(err) => Err(FileError::Helper(format!(
            "cannot read {}: {err}",
            path.display()
        ))),
    }
}

/// The public half of a key, in the form both a certificate and a private key yield.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum KeyMaterial {
    Rsa {
        modulus: Vec<u8>,
        exponent: Vec<u8>,
    },
    /// An EC point or an Ed25519/Ed448 public key, as encoded in the SPKI.
    Raw(Vec<u8>),
}

/// What a certificate says, parsed once.
#[derive(Debug, Clone)]
pub struct Certificate {
    pub der: CertificateDer<'static>,
    pub subject: String,
    pub issuer: String,
    subject_raw: Vec<u8>,
    issuer_raw: Vec<u8>,
    pub serial: String,
    pub not_before: DateTime<Utc>,
    pub not_after: DateTime<Utc>,
    pub dns_names: Vec<String>,
    pub ip_addresses: Vec<IpAddr>,
    pub is_ca: bool,
    pub key: KeyInfo,
    pub signature: SignatureInfo,
    subject_key_id: Option<Vec<u8>>,
    authority_key_id: Option<Vec<u8>>,
    pub sha256: String,
    /// The URLs of its CRL distribution points, as written (http, ldap, ...).
    pub crl_urls: Vec<String>,
    /// The OCSP responders its Authority Information Access names.
    pub ocsp_urls: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct KeyInfo {
    /// `RSA`, `EC P-256`, `Ed25519`, ...
    pub kind: String,
    pub family: KeyFamily,
    pub bits: u32,
    pub material: Option<KeyMaterial>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum KeyFamily {
    Rsa,
    Ec,
    Edwards,
    Dsa,
    Other,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SignatureInfo {
    /// `sha256WithRSAEncryption`, `ecdsa-with-SHA256`, ... or the OID.
    pub name: String,
    /// SHA-1 or MD5 (or older): collisions can be forged.
    pub weak: bool,
}

/// Signature algorithms by OID: name, and whether its hash is broken.
const SIGNATURES: &[(&str, &str, bool)] = &[
    ("1.2.840.113549.1.1.2", "md2WithRSAEncryption", true),
    ("1.2.840.113549.1.1.4", "md5WithRSAEncryption", true),
    ("1.2.840.113549.1.1.5", "sha1WithRSAEncryption", true),
    ("1.3.14.3.2.29", "sha1WithRSA (OIW)", true),
    ("1.2.840.10045.4.1", "ecdsa-with-SHA1", true),
    ("1.2.840.10040.4.3", "dsa-with-SHA1", true),
    ("1.2.840.113549.1.1.11", "sha256WithRSAEncryption", false),
    ("1.2.840.113549.1.1.12", "sha384WithRSAEncryption", false),
    ("1.2.840.113549.1.1.13", "sha512WithRSAEncryption", false),
    ("1.2.840.113549.1.1.14", "sha224WithRSAEncryption", false),
    ("1.2.840.113549.1.1.10", "rsassaPss", false),
    ("1.2.840.10045.4.3.1", "ecdsa-with-SHA224", false),
    ("1.2.840.10045.4.3.2", "ecdsa-with-SHA256", false),
    ("1.2.840.10045.4.3.3", "ecdsa-with-SHA384", false),
    ("1.2.840.10045.4.3.4", "ecdsa-with-SHA512", false),
    ("1.3.101.112", "Ed25519", false),
    ("1.3.101.113", "Ed448", false),
];

/// Named curves by OID, with their size in bits.
const CURVES: &[(&str, &str, u32)] = &[
    ("1.2.840.10045.3.1.1", "P-192", 192),
    ("1.3.132.0.33", "P-224", 224),
    ("1.2.840.10045.3.1.7", "P-256", 256),
    ("1.3.132.0.34", "P-384", 384),
    ("1.3.132.0.35", "P-521", 521),
    ("1.3.132.0.10", "secp256k1", 256),
];

const OID_RSA: &str = "1.2.840.113549.1.1.1";
const OID_EC: &str = "1.2.840.10045.2.1";
const OID_ED25519: &str = "1.3.101.112";
const OID_ED448: &str = "1.3.101.113";

/// Why bytes are not one certificate.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum ParseError {
    /// Not DER that x509-parser reads as a certificate.
    #[error("{0}")]
    Der(String),
    /// The same, where the bytes came from a PEM block said to be one.
    #[error("not a valid certificate ({0})")]
    NotCertificate(String),
    #[error("trailing bytes after the certificate")]
    TrailingBytes,
}

impl Certificate {
    /// Parses one DER certificate that fills `der` exactly.
    pub fn parse(der: &[u8]) -> Result<Certificate, ParseError> {
        let (rest, parsed) =
            X509Certificate::from_der(der).map_err(|err| ParseError::Der(err.to_string()))?;
        if !rest.is_empty() {
            return Err(ParseError::TrailingBytes);
        }
        Ok(Certificate::from_parsed(der, &parsed))
    }

    /// Parses the certificate at the start of `der`, ignoring what follows.
    fn parse_prefix(der: &[u8]) -> Result<Certificate, ParseError> {
        let (rest, parsed) = X509Certificate::from_der(der)
            .map_err(|err| ParseError::NotCertificate(err.to_string()))?;
        let used = der.len() - rest.len();
        Ok(Certificate::from_parsed(&der[..used], &parsed))
    }

    fn from_parsed(der: &[u8], parsed: &X509Certificate<'_>) -> Certificate {
        let time = |t: i64| DateTime::from_timestamp(t, 0).unwrap_or_default();
        let mut dns_names = Vec::new();
        let mut ip_addresses = Vec::new();
        let mut is_ca = false;
        let mut subject_key_id = None;
        let mut authority_key_id = None;
        let mut crl_urls = Vec::new();
        let mut ocsp_urls = Vec::new();
        for extension in parsed.extensions() {
            match extension.parsed_extension() {
                ParsedExtension::SubjectAlternativeName(san) => {
                    for name in &san.general_names {
                        match name {
                            GeneralName::DNSName(dns) => dns_names.push((*dns).to_owned()),
                            GeneralName::IPAddress(bytes) => {
                                if let Some(ip) = ip_from_bytes(bytes) {
                                    ip_addresses.push(ip);
                                }
                            }
                            _ => {}
                        }
                    }
                }
                ParsedExtension::BasicConstraints(constraints) => is_ca = constraints.ca,
                ParsedExtension::SubjectKeyIdentifier(id) => subject_key_id = Some(id.0.to_vec()),
                ParsedExtension::AuthorityKeyIdentifier(aki) => {
                    authority_key_id = aki.key_identifier.as_ref().map(|id| id.0.to_vec());
                }
                ParsedExtension::CRLDistributionPoints(points) => {
                    for point in points.iter() {
                        if let Some(DistributionPointName::FullName(names)) =
                            &point.distribution_point
                        {
                            crl_urls.extend(names.iter().filter_map(|name| match name {
                                GeneralName::URI(uri) => Some((*uri).to_owned()),
                                _ => None,
                            }));
                        }
                    }
                }
                ParsedExtension::AuthorityInfoAccess(access) => {
                    ocsp_urls.extend(access.accessdescs.iter().filter_map(|description| {
                        match &description.access_location {
                            GeneralName::URI(uri)
                                if description.access_method
                                    == x509_parser::oid_registry::OID_PKIX_ACCESS_DESCRIPTOR_OCSP =>
                            {
                                Some((*uri).to_owned())
                            }
                            _ => None,
                        }
                    }));
                }
                _ => {}
            }
        }
        let oid = parsed.signature_algorithm.algorithm.to_id_string();
        let signature = SIGNATURES
            .iter()
            .find(|(known, ..)| *known == oid)
            .map_or_else(
                || SignatureInfo {
                    name: oid.clone(),
                    weak: false,
                },
                |(_, name, weak)| SignatureInfo {
                    name: (*name).to_owned(),
                    weak: *weak,
                },
            );
        let digest = ring::digest::digest(&ring::digest::SHA256, der);
        Certificate {
            der: CertificateDer::from(der.to_vec()),
            subject: parsed.subject().to_string(),
            issuer: parsed.issuer().to_string(),
            subject_raw: parsed.subject().as_raw().to_vec(),
            issuer_raw: parsed.issuer().as_raw().to_vec(),
            serial: parsed.raw_serial_as_string(),
            not_before: time(parsed.validity().not_before.timestamp()),
            not_after: time(parsed.validity().not_after.timestamp()),
            dns_names,
            ip_addresses,
            is_ca,
            key: key_info(parsed),
            signature,
            subject_key_id,
            authority_key_id,
            sha256: data_encoding::HEXUPPER.encode(digest.as_ref()),
            crl_urls,
            ocsp_urls,
        }
    }

    /// Issuer and subject are the same name: a root, or a self-signed leaf.
    pub fn is_self_issued(&self) -> bool {
        self.subject_raw == self.issuer_raw
            && match (&self.authority_key_id, &self.subject_key_id) {
                (Some(authority), Some(subject)) => authority == subject,
                _ => true,
            }
    }

    /// Whether `issuer` names and identifies the key that signed this
    /// certificate (by name, and by key identifier when both carry one).
    pub fn is_issued_by(&self, issuer: &Certificate) -> bool {
        self.issuer_raw == issuer.subject_raw
            && match (&self.authority_key_id, &issuer.subject_key_id) {
                (Some(authority), Some(subject)) => authority == subject,
                _ => true,
            }
    }

    /// The common name when there is one, else the whole name: short enough for a table.
    pub fn subject_short(&self) -> String {
        short_name(&self.subject)
    }

    pub fn issuer_short(&self) -> String {
        short_name(&self.issuer)
    }

    /// Days from `now` to the end of validity; negative once expired.
    pub fn days_left(&self, now: DateTime<Utc>) -> f64 {
        (self.not_after - now).num_seconds() as f64 / 86_400.0
    }

    /// The share of the whole validity period still ahead, in percent.
    pub fn percent_left(&self, now: DateTime<Utc>) -> f64 {
        let lifetime = (self.not_after - self.not_before).num_seconds().max(1) as f64;
        let left = (self.not_after - now).num_seconds() as f64;
        (left * 100.0 / lifetime).clamp(0.0, 100.0)
    }
}

fn short_name(name: &str) -> String {
    name.split(", ")
        .find_map(|part| part.strip_prefix("CN="))
        .map_or_else(|| name.to_owned(), |cn| format!("CN={cn}"))
}

fn ip_from_bytes(bytes: &[u8]) -> Option<IpAddr> {
    match bytes.len() {
        4 => Some(IpAddr::from(<[u8; 4]>::try_from(bytes).ok()?)),
        16 => Some(IpAddr::from(<[u8; 16]>::try_from(bytes).ok()?)),
        _ => None,
    }
}

fn strip_zeros(bytes: &[u8]) -> Vec<u8> {
    let start = bytes.iter().position(|b| *b != 0).unwrap_or(bytes.len());
    bytes[start..].to_vec()
}

fn bit_length(unsigned: &[u8]) -> u32 {
    let bytes = strip_zeros(unsigned);
    match bytes.first() {
        Some(first) => (bytes.len() as u32 - 1) * 8 + (8 - first.leading_zeros()),
        None => 0,
    }
}

fn key_info(parsed: &X509Certificate<'_>) -> KeyInfo {
    let spki = parsed.public_key();
    let algorithm = spki.algorithm.algorithm.to_id_string();
    let raw = spki.subject_public_key.data.to_vec();
    match (algorithm.as_str(), spki.parsed()) {
        (OID_RSA, Ok(ParsedKey::RSA(rsa))) => KeyInfo {
            kind: "RSA".into(),
            family: KeyFamily::Rsa,
            bits: bit_length(rsa.modulus),
            material: Some(KeyMaterial::Rsa {
                modulus: strip_zeros(rsa.modulus),
                exponent: strip_zeros(rsa.exponent),
            }),
        },
        (OID_EC, _) => {
            let curve = spki
                .algorithm
                .parameters
                .as_ref()
                .and_then(|p| p.as_oid().ok())
                .map(|oid| oid.to_id_string());
            let known = curve
                .as_deref()
                .and_then(|oid| CURVES.iter().find(|(known, ..)| *known == oid));
            let (name, bits) = match known {
                Some((_, name, bits)) => ((*name).to_owned(), *bits),
                None => (
                    curve.unwrap_or_else(|| "unknown curve".into()),
                    // An uncompressed point is 04 || x || y.
                    (raw.len().saturating_sub(1) / 2 * 8) as u32,
                ),
            };
            KeyInfo {
                kind: format!("EC {name}"),
                family: KeyFamily::Ec,
                bits,
                material: Some(KeyMaterial::Raw(raw)),
            }
        }
        (OID_ED25519 | OID_ED448, _) => KeyInfo {
            kind: if algorithm == OID_ED25519 {
                "Ed25519"
            } else {
                "Ed448"
            }
            .into(),
            family: KeyFamily::Edwards,
            bits: if algorithm == OID_ED25519 { 256 } else { 456 },
            material: Some(KeyMaterial::Raw(raw)),
        },
        (_, Ok(ParsedKey::DSA(y))) => KeyInfo {
            kind: "DSA".into(),
            family: KeyFamily::Dsa,
            bits: bit_length(y),
            material: None,
        },
        _ => KeyInfo {
            kind: algorithm,
            family: KeyFamily::Other,
            bits: 0,
            material: None,
        },
    }
}

/// The length of the DER element at the start of `bytes`, header included.
fn der_element_length(bytes: &[u8]) -> Option<usize> {
    let (_, header, length) = der_header(bytes)?;
    header.checked_add(length).filter(|end| *end <= bytes.len())
}

/// Tag, header length and content length of the DER element at the start of `bytes`.
pub(crate) fn der_header(bytes: &[u8]) -> Option<(u8, usize, usize)> {
    let tag = *bytes.first()?;
    let first = *bytes.get(1)?;
    if first < 0x80 {
        return Some((tag, 2, first as usize));
    }
    let count = (first & 0x7f) as usize;
    if count == 0 || count > 4 {
        return None;
    }
    let mut length = 0usize;
    for byte in bytes.get(2..2 + count)? {
        length = length << 8 | *byte as usize;
    }
    Some((tag, 2 + count, length))
}

/// The elements inside a constructed DER value, as (tag, content).
fn der_children(content: &[u8]) -> Option<Vec<(u8, &[u8])>> {
    let mut rest = content;
    let mut children = Vec::new();
    while !rest.is_empty() {
        let (tag, header, length) = der_header(rest)?;
        let end = header
            .checked_add(length)
            .filter(|end| *end <= rest.len())?;
        children.push((tag, &rest[header..end]));
        rest = &rest[end..];
    }
    Some(children)
}

fn der_sequence(bytes: &[u8]) -> Option<Vec<(u8, &[u8])>> {
    let (tag, header, length) = der_header(bytes)?;
    if tag != 0x30 {
        return None;
    }
    der_children(bytes.get(header..header + length)?)
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum KeyError {
    #[error("the file holds no private key")]
    NoKey,
    #[error("the private key is encrypted")]
    Encrypted,
    #[error("the private key is damaged: {0}")]
    Damaged(String),
    #[error("the private key holds no public part to compare (an EC key without its public point)")]
    NoPublicPart,
    #[error("keys of type {0} are not supported")]
    Unsupported(String),
}

/// The public half of the private key in `bytes` (PEM: PKCS#8, PKCS#1 RSA, SEC1 EC; or DER PKCS#8).
pub fn private_key_material(bytes: &[u8]) -> Result<KeyMaterial, KeyError> {
    let blocks = pem_blocks(bytes);
    let (label, der) = if blocks.is_empty() {
        ("PRIVATE KEY".to_owned(), bytes.to_vec())
    } else {
        let block = blocks
            .into_iter()
            .find(|b| b.label.ends_with("PRIVATE KEY"))
            .ok_or(KeyError::NoKey)?;
        let der = block.der.map_err(KeyError::Damaged)?;
        (block.label, der)
    };
    let damaged = || KeyError::Damaged("not the ASN.1 structure its label promises".into());
    match label.as_str() {
        "ENCRYPTED PRIVATE KEY" => Err(KeyError::Encrypted),
        "RSA PRIVATE KEY" => rsa_private(&der).ok_or_else(damaged),
        "EC PRIVATE KEY" => ec_private(&der, None)?.ok_or_else(damaged),
        "PRIVATE KEY" => pkcs8(&der)?.ok_or_else(damaged),
        other => Err(KeyError::Unsupported(other.to_owned())),
    }
}

/// RSAPrivateKey ::= SEQUENCE { version, modulus, publicExponent, ... }
fn rsa_private(der: &[u8]) -> Option<KeyMaterial> {
    let fields = der_sequence(der)?;
    match fields.as_slice() {
        [(0x02, _), (0x02, modulus), (0x02, exponent), ..] => Some(KeyMaterial::Rsa {
            modulus: strip_zeros(modulus),
            exponent: strip_zeros(exponent),
        }),
        _ => None,
    }
}

/// ECPrivateKey ::= SEQUENCE { version, privateKey, [0] parameters OPTIONAL, [1] publicKey OPTIONAL }
fn ec_private(der: &[u8], outer_public: Option<&[u8]>) -> Result<Option<KeyMaterial>, KeyError> {
    let Some(fields) = der_sequence(der) else {
        return Ok(None);
    };
    let public = fields
        .iter()
        .find(|(tag, _)| *tag == 0xa1)
        .and_then(|(_, content)| der_children(content))
        .and_then(|inner| inner.first().copied())
        .filter(|(tag, _)| *tag == 0x03)
        .map(|(_, bits)| bits.get(1..).unwrap_or_default().to_vec())
        .or_else(|| outer_public.map(<[u8]>::to_vec));
    match public {
        Some(point) => Ok(Some(KeyMaterial::Raw(point))),
        None => Err(KeyError::NoPublicPart),
    }
}

/// PrivateKeyInfo ::= SEQUENCE { version, algorithm, privateKey OCTET STRING, [0] attributes, [1] publicKey }
fn pkcs8(der: &[u8]) -> Result<Option<KeyMaterial>, KeyError> {
    let Some(fields) = der_sequence(der) else {
        return Ok(None);
    };
    let (Some((0x30, algorithm)), Some((0x04, private))) = (fields.get(1), fields.get(2)) else {
        return Ok(None);
    };
    let Some(oid) = der_children(algorithm)
        .and_then(|parts| parts.first().copied())
        .filter(|(tag, _)| *tag == 0x06)
        .map(|(_, oid)| oid_string(oid))
    else {
        return Ok(None);
    };
    let outer_public = fields
        .iter()
        .find(|(tag, _)| *tag == 0x81 || *tag == 0xa1)
        .map(|(tag, content)| {
            if *tag == 0x81 {
                content.get(1..).unwrap_or_default()
            } else {
                der_children(content)
                    .and_then(|c| c.first().map(|(_, bits)| bits.get(1..).unwrap_or_default()))
                    .unwrap_or_default()
            }
        });
    match oid.as_str() {
        OID_RSA => Ok(rsa_private(private)),
        OID_EC => ec_private(private, outer_public),
        OID_ED25519 => {
            if let Some(public) = outer_public {
                return Ok(Some(KeyMaterial::Raw(public.to_vec())));
            }
            // The private key is an OCTET STRING holding the 32-byte seed.
            let seed = der_header(private)
                .filter(|(tag, header, length)| *tag == 0x04 && *length == 32 && *header == 2)
                .map(|_| &private[2..34])
                .ok_or_else(|| KeyError::Damaged("Ed25519 seed is not 32 bytes".into()))?;
            let pair = ring::signature::Ed25519KeyPair::from_seed_unchecked(seed)
                .map_err(|err| KeyError::Damaged(err.to_string()))?;
            use ring::signature::KeyPair;
            Ok(Some(KeyMaterial::Raw(pair.public_key().as_ref().to_vec())))
        }
        other => Err(KeyError::Unsupported(other.to_owned())),
    }
}

fn oid_string(bytes: &[u8]) -> String {
    let mut parts: Vec<u64> = Vec::new();
    let mut value = 0u64;
    for (index, byte) in bytes.iter().enumerate() {
        value = value << 7 | u64::from(byte & 0x7f);
        if byte & 0x80 == 0 {
            if parts.is_empty() && index < bytes.len() {
                let first = (value / 40).min(2);
                parts.push(first);
                parts.push(value - first * 40);
            } else {
                parts.push(value);
            }
            value = 0;
        }
    }
    parts
        .iter()
        .map(u64::to_string)
        .collect::<Vec<_>>()
        .join(".")
}

/// Certificates trusted to end a chain, and where they came from.
#[derive(Debug, Clone)]
pub struct Roots {
    /// `system roots` or the file they were read from, for messages.
    pub source: String,
    pub certificates: Vec<Certificate>,
}

#[derive(Debug, thiserror::Error)]
pub enum RootsError {
    #[error("no trusted root certificates found on this system ({0})")]
    NoneFound(String),
    #[error("--ca-file: {0}")]
    File(#[from] FileError),
}

impl Roots {
    /// The system's trust store (`SSL_CERT_FILE`/`SSL_CERT_DIR` first, as OpenSSL does).
    pub fn system() -> Result<Roots, RootsError> {
        let loaded = rustls_native_certs::load_native_certs();
        let certificates: Vec<Certificate> = loaded
            .certs
            .iter()
            .filter_map(|der| Certificate::parse(der).ok())
            .collect();
        if certificates.is_empty() {
            let why = loaded
                .errors
                .first()
                .map_or_else(|| "the store is empty".to_owned(), ToString::to_string);
            return Err(RootsError::NoneFound(why));
        }
        Ok(Roots {
            source: "the system roots".into(),
            certificates,
        })
    }

    pub fn from_file(path: &Path, limit: std::time::Duration) -> Result<Roots, RootsError> {
        let bytes = read_bounded(path, limit)?;
        let certificates = read_certificates(&bytes).map_err(|source| FileError::Contents {
            path: path.to_owned(),
            source,
        })?;
        Ok(Roots {
            source: path.display().to_string(),
            certificates,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn generated(name: &str) -> (String, String) {
        let key = rcgen::KeyPair::generate().unwrap();
        let params = rcgen::CertificateParams::new(vec![name.to_owned()]).unwrap();
        let cert = params.self_signed(&key).unwrap();
        (cert.pem(), key.serialize_pem())
    }

    #[test]
    fn reads_every_certificate_of_a_bundle_and_skips_the_rest() {
        let (a, key) = generated("a.example");
        let (b, _) = generated("b.example");
        let text = format!("subject=CN = a.example\n{a}\n{key}# a comment\n{b}");
        let certs = read_certificates(text.as_bytes()).unwrap();
        assert_eq!(certs.len(), 2);
        assert_eq!(certs[0].dns_names, vec!["a.example"]);
        assert_eq!(certs[1].dns_names, vec!["b.example"]);
        assert!(certs[0].is_self_issued());
        assert_eq!(certs[0].key.kind, "EC P-256");
        assert_eq!(certs[0].key.bits, 256);
        assert_eq!(certs[0].signature.name, "ecdsa-with-SHA256");
    }

    #[test]
    fn trusted_certificate_blocks_are_read() {
        let (pem, _) = generated("trusted.example");
        let mut der = read_certificates(pem.as_bytes()).unwrap()[0].der.to_vec();
        // OpenSSL appends its trust settings (an X509_CERT_AUX sequence).
        der.extend_from_slice(&[
            0x30, 0x0c, 0x30, 0x0a, 0x06, 0x08, 0x2b, 6, 1, 5, 5, 7, 3, 1,
        ]);
        let text = format!(
            "-----BEGIN TRUSTED CERTIFICATE-----\n{}\n-----END TRUSTED CERTIFICATE-----\n",
            data_encoding::BASE64.encode(&der)
        );
        let certs = read_certificates(text.as_bytes()).unwrap();
        assert_eq!(certs[0].dns_names, vec!["trusted.example"]);
    }

    #[test]
    fn der_files_are_read() {
        let (pem, _) = generated("der.example");
        let der = read_certificates(pem.as_bytes()).unwrap()[0].der.to_vec();
        assert_eq!(
            read_certificates(&der).unwrap()[0].dns_names,
            vec!["der.example"]
        );
    }

    #[test]
    fn what_is_not_a_certificate_says_so() {
        assert_eq!(read_certificates(b"").unwrap_err(), ReadError::Empty);
        assert_eq!(read_certificates(b" \n").unwrap_err(), ReadError::Empty);
        assert_eq!(
            read_certificates(b"hello world\n").unwrap_err(),
            ReadError::NotCertificate
        );
        let (_, key) = generated("x");
        assert_eq!(
            read_certificates(key.as_bytes()).unwrap_err(),
            ReadError::OnlyOtherPem(vec!["PRIVATE KEY".into()])
        );
        let damaged = "-----BEGIN CERTIFICATE-----\nnot base64!\n-----END CERTIFICATE-----\n";
        let err = read_certificates(damaged.as_bytes()).unwrap_err();
        assert!(
            matches!(
                err,
                ReadError::Damaged {
                    block: 1,
                    line: 1,
                    ..
                }
            ),
            "{err}"
        );
        assert!(!err.is_not_a_certificate());
    }

    #[test]
    fn private_keys_yield_the_certificates_public_key() {
        let key = rcgen::KeyPair::generate().unwrap();
        let cert = rcgen::CertificateParams::new(vec!["k.example".into()])
            .unwrap()
            .self_signed(&key)
            .unwrap();
        let parsed = &read_certificates(cert.pem().as_bytes()).unwrap()[0];
        let material = private_key_material(key.serialize_pem().as_bytes()).unwrap();
        assert_eq!(Some(material), parsed.key.material);
        let other = rcgen::KeyPair::generate().unwrap();
        let material = private_key_material(other.serialize_pem().as_bytes()).unwrap();
        assert_ne!(Some(material), parsed.key.material);
        assert_eq!(
            private_key_material(cert.pem().as_bytes()).unwrap_err(),
            KeyError::NoKey
        );
    }

    #[test]
    fn oids_decode() {
        assert_eq!(
            oid_string(&[0x2a, 0x86, 0x48, 0xce, 0x3d, 0x02, 0x01]),
            "1.2.840.10045.2.1"
        );
        assert_eq!(oid_string(&[0x2b, 0x65, 0x70]), "1.3.101.112");
    }
}
