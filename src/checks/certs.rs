//! `maint certs check`: certificate files, folders and live TLS endpoints,
//! judged on expiry (every certificate of a chain), name, trust, chain
//! shape, key and signature strength, and a matching private key.
//!
//! Settings are resolved first: every file is read, every key and root
//! file loaded, every endpoint parsed, so bad input fails before any
//! connection is made. Endpoints are then probed through a bounded pool
//! (src/parallel.rs), each under one deadline; results keep input order.
//! Revocation (`certs/revocation.rs`) gets a second deadline of its own.

mod revocation;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context as _, Result, anyhow};
use chrono::Utc;

use crate::cli::CertsCheckArgs;
use crate::config::{self, CertTargetConfig, Loaded, StarttlsName};
use crate::error::Hint;
use crate::judge::certs::target::{self, Failure, Probed};
use crate::judge::certs::{self as judge, Expectations, Finding, Levels};
use crate::levels;
use crate::parallel::{self, Job, Outcome};
use crate::probe::isolated;
use crate::probe::tls::{self, Endpoint, Starttls};
use crate::probe::x509::{self, Certificate, KeyMaterial, Roots};
use crate::report::{Cell, Column, Metric, Report, Section, Status, Threshold};

const DEFAULT_TIMEOUT: Duration = Duration::from_secs(10);
/// Endpoints probed at once. A probe mostly waits on the network, so the
/// pool is sized for silent hosts to overlap: the usual lists start all at
/// once, and silent targets wait out the same timeout together instead of
/// in turns or behind the handshakes of those that answer (issue 17: 100
/// targets, 30 silent, 3 s timeout took 3.6 s with 16).
const DEFAULT_JOBS: usize = 256;
/// Past its own deadline a probe gets this long to report how it failed
/// before the pool gives up on it.
const GRACE: Duration = Duration::from_millis(500);
/// A target still waiting after this long gives its worker to the next
/// target and waits on alone until its deadline: more silent hosts than
/// workers must not hold up the many that answer, nor each other for long
/// (issue 6). A handshake that answers at all takes a few ms on a LAN.
const PATIENCE: Duration = Duration::from_millis(250);
/// A key or CA file on a hung mount is given up on after this long.
const FILE_TIMEOUT: Duration = Duration::from_secs(5);

/// Everything `maint certs check` will do, validated.
pub struct Settings {
    pub jobs: usize,
    targets: Vec<Target>,
}

impl Settings {
    /// How many targets will be checked.
    pub fn target_count(&self) -> usize {
        self.targets.len()
    }
}

/// One line of the report.
struct Target {
    label: String,
    levels: Levels,
    timeout: Duration,
    hint: HintBase,
    work: Work,
}

/// What an operator would run to look at a target themselves.
#[derive(Clone)]
enum HintBase {
    File {
        path: String,
        key: Option<String>,
    },
    Endpoint {
        host: String,
        port: u16,
        sni: Option<String>,
        starttls: Starttls,
    },
}

/// What runs in the pool: everything it needs, owned.
struct Work {
    source: Source,
    levels: Levels,
    name: Option<String>,
    roots: Option<Arc<Roots>>,
    key: Option<KeyMaterial>,
    revocation: Option<revocation::Plan>,
    /// Where a certificate's issuer is looked for when the chain lacks it.
    issuers: Option<Arc<Roots>>,
}

enum Source {
    /// Read while resolving; a damaged certificate file found in a folder
    /// is reported as that target's result.
    File(Result<Vec<Certificate>, String>),
    Endpoint {
        endpoint: Endpoint,
        timeout: Duration,
    },
}

/// A target as written, and where: on the command line or in maint.toml.
struct Written<'a> {
    text: String,
    /// The config entry, for errors that name its line.
    spanned: Option<(String, &'a toml::Spanned<config::CertTarget>)>,
}

struct Resolver<'a> {
    args: &'a CertsCheckArgs,
    loaded: &'a Loaded,
    notes: super::Notes,
    system_roots: Option<Arc<Roots>>,
    file_roots: HashMap<PathBuf, Arc<Roots>>,
    revocation: revocation::Plan,
}

impl Settings {
    pub fn resolve(
        args: &CertsCheckArgs,
        loaded: &Loaded,
        notes: super::Notes,
    ) -> Result<Settings> {
        let certs = &loaded.config.certs;
        let mut written: Vec<Written<'_>> = Vec::new();
        if args.targets.is_empty() {
            for (index, target) in certs.targets.iter().enumerate() {
                written.push(Written {
                    text: target.get_ref().0.clone(),
                    spanned: Some((format!("certs.targets[{index}]"), target)),
                });
            }
            for (index, entry) in certs.target.iter().enumerate() {
                written.push(Written {
                    text: entry.target.get_ref().0.clone(),
                    spanned: Some((format!("certs.target[{index}].target"), &entry.target)),
                });
            }
        } else {
            written.extend(args.targets.iter().map(|text| Written {
                text: text.clone(),
                spanned: None,
            }));
        }
        let mut seen = Vec::new();
        written.retain(|w| {
            let new = !seen.contains(&w.text);
            seen.push(w.text.clone());
            new
        });
        if written.is_empty() {
            return Err(anyhow!("nothing to check").context(Hint::new(
                "name a certificate file, folder or host (maint certs check /etc/ssl/site.pem example.com:443), or list them in [certs] targets",
            )));
        }
        if args.connect.is_some() && written.len() > 1 {
            return Err(anyhow!("--connect names one address, but {} targets are given", written.len())
                .context(Hint::new("check one endpoint with --connect, or set `connect` per target in [[certs.target]]")));
        }

        let timeout = args
            .timeout
            .or(certs.timeout)
            .map_or(DEFAULT_TIMEOUT, Duration::from);
        let jobs = match (args.jobs, &certs.jobs) {
            (Some(jobs), _) => usize::from(jobs),
            (None, Some(spanned)) => {
                let jobs = *spanned.get_ref();
                if jobs == 0 {
                    return Err(loaded
                        .invalid("certs.jobs", spanned, "must be at least 1")
                        .into());
                }
                jobs
            }
            (None, None) => DEFAULT_JOBS,
        };

        let mode = args.revocation.or(certs.revocation).unwrap_or_default();
        let cache = if mode == config::Revocation::Off {
            None
        } else {
            crate::probe::revocation::cache_folder()
        };
        let mut resolver = Resolver {
            args,
            loaded,
            notes,
            system_roots: None,
            file_roots: HashMap::new(),
            revocation: revocation::Plan {
                mode,
                asked: args.revocation.is_some() || certs.revocation.is_some(),
                cache,
                timeout,
            },
        };
        let base_levels = resolver.levels(
            Levels::default(),
            "certs",
            &certs.days_left,
            &certs.lifetime_left,
        )?;
        let mut targets = Vec::new();
        for item in &written {
            let entry = certs
                .target
                .iter()
                .enumerate()
                .find(|(_, e)| e.target.get_ref().0 == item.text);
            targets.extend(resolver.target(item, entry, base_levels, timeout)?);
        }
        if args.key.is_some() && targets.len() > 1 {
            return Err(anyhow!(
                "--key names one private key, but {} targets are to be checked",
                targets.len()
            )
            .context(Hint::new(
                "give one TARGET with --key, or set `key` per target in [[certs.target]]",
            )));
        }
        Ok(Settings { jobs, targets })
    }
}

/// (warn, crit) days of a days-left threshold, which always has both.
fn day_levels(threshold: Threshold) -> (f64, f64) {
    (
        threshold.warning.unwrap_or_default(),
        threshold.critical.unwrap_or_default(),
    )
}

impl Resolver<'_> {
    /// Levels from `maint.toml` at `key`, then the flags, checked for order.
    fn levels(
        &self,
        mut levels: Levels,
        key: &str,
        days: &config::Levels,
        lifetime: &config::Levels,
    ) -> Result<Levels> {
        let days_key = format!("{key}.days_left");
        let days_left = self.loaded.levels(
            &days_key,
            days.as_ref(),
            Threshold::below(levels.warn_days, levels.crit_days),
        )?;
        (levels.warn_days, levels.crit_days) = day_levels(days_left);
        if let Some(spanned) = days
            && levels.crit_days < 0.0
        {
            return Err(self
                .loaded
                .invalid(&days_key, spanned, "days left cannot be below 0")
                .into());
        }
        if let Some(spanned) = lifetime {
            let configured = spanned.get_ref();
            let (old_warn, old_crit) = levels.lifetime_percent.unzip();
            let warn = configured.warn.or(old_warn);
            let crit = configured.crit.or(old_crit);
            let (warn, crit) = match (warn, crit) {
                (Some(w), Some(c)) => (w, c),
                (Some(w), None) => (w, w / 2.0),
                (None, Some(c)) => (c * 2.0, c),
                (None, None) => {
                    unreachable!("a levels table sets at least one level or none at all")
                }
            };
            if warn < crit || crit < 0.0 || warn > 100.0 {
                return Err(self
                    .loaded
                    .invalid(
                        &format!("{key}.lifetime_left"),
                        spanned,
                        "percentages from 0 to 100, warn at least crit",
                    )
                    .into());
            }
            levels.lifetime_percent = Some((warn, crit));
        }
        let args = self.args;
        let flagged = levels::overlay(
            Threshold::below(levels.warn_days, levels.crit_days),
            args.warn_days,
            args.crit_days,
        )
        .map_err(|message| {
            anyhow!("--warn-days/--crit-days: {message} (days left fall from warn to crit)")
                .context(Hint::new(
                    "--warn-days must be at least --crit-days (e.g. --warn-days 60 --crit-days 30)",
                ))
        })?;
        (levels.warn_days, levels.crit_days) = day_levels(flagged);
        if args.warn_percent.is_some() || args.crit_percent.is_some() {
            let (old_warn, old_crit) = levels.lifetime_percent.unzip();
            let warn = args.warn_percent.or(old_warn);
            let crit = args.crit_percent.or(old_crit);
            let pair = match (warn, crit) {
                (Some(w), Some(c)) => (w, c),
                (Some(w), None) => (w, w / 2.0),
                (None, Some(c)) => ((c * 2.0).min(100.0), c),
                (None, None) => unreachable!("one of the flags is set"),
            };
            if pair.0 < pair.1 {
                return Err(anyhow!(
                    "--warn-percent {} is below --crit-percent {}",
                    pair.0,
                    pair.1
                )
                .context(Hint::new(
                    "the warning share of the lifetime must be at least the critical one",
                )));
            }
            levels.lifetime_percent = Some(pair);
        }
        Ok(levels)
    }

    fn system_roots(&mut self) -> Result<Arc<Roots>> {
        if let Some(roots) = &self.system_roots {
            return Ok(roots.clone());
        }
        let roots = Arc::new(Roots::system().context(Hint::new(
            "install the ca-certificates package, set SSL_CERT_FILE, or pass --ca-file FILE",
        ))?);
        self.notes
            .note(|| format!("certs: {} system roots", roots.certificates.len()));
        self.system_roots = Some(roots.clone());
        Ok(roots)
    }

    fn roots_file(&mut self, path: &Path, from: &str) -> Result<Arc<Roots>> {
        if let Some(roots) = self.file_roots.get(path) {
            return Ok(roots.clone());
        }
        let roots = Roots::from_file(path, FILE_TIMEOUT)
            .map_err(|err| match err {
                x509::RootsError::File(file) => anyhow!("{from}: {file}"),
                other @ x509::RootsError::NoneFound(_) => anyhow!(other),
            })
            .context(Hint::new(format!(
                "{from} names a PEM or DER file of the CA certificates to trust"
            )))?;
        let roots = Arc::new(roots);
        self.file_roots.insert(path.to_owned(), roots.clone());
        Ok(roots)
    }

    /// The roots a target is judged against: --ca-file, the target's
    /// `ca_file`, [certs] ca_file, or the system's.
    fn roots(&mut self, entry: Option<&CertTargetConfig>) -> Result<Arc<Roots>> {
        if let Some(path) = &self.args.ca_file {
            return self.roots_file(path, "--ca-file");
        }
        if let Some(path) = entry.and_then(|e| e.ca_file.as_ref()) {
            return self.roots_file(path, "[[certs.target]] ca_file");
        }
        if let Some(path) = &self.loaded.config.certs.ca_file {
            return self.roots_file(path, "[certs] ca_file");
        }
        self.system_roots()
    }

    /// The revocation check of a target with `timeout`, if any.
    fn revocation_plan(&self, timeout: Duration) -> Option<revocation::Plan> {
        (self.revocation.mode != config::Revocation::Off).then(|| revocation::Plan {
            timeout,
            ..self.revocation.clone()
        })
    }

    fn explicit_roots(&self, entry: Option<&CertTargetConfig>) -> bool {
        self.args.ca_file.is_some()
            || entry.is_some_and(|e| e.ca_file.is_some())
            || self.loaded.config.certs.ca_file.is_some()
    }

    fn key(&self, entry: Option<&CertTargetConfig>) -> Result<Option<(KeyMaterial, String)>> {
        let (path, from) = match (&self.args.key, entry.and_then(|e| e.key.as_ref())) {
            (Some(path), _) => (path, "--key"),
            (None, Some(path)) => (path, "[[certs.target]] key"),
            (None, None) => return Ok(None),
        };
        let hint = || {
            Hint::new(format!(
                "{from} names the unencrypted PEM private key (PKCS#8, RSA or EC) the server uses"
            ))
        };
        let bytes = x509::read_bounded(path, FILE_TIMEOUT)
            .map_err(|err| anyhow!("{from}: {err}"))
            .with_context(hint)?;
        let material = x509::private_key_material(&bytes)
            .map_err(|err| anyhow!("{from} {}: {err}", path.display()))
            .with_context(hint)?;
        Ok(Some((material, path.display().to_string())))
    }

    /// One written target as the targets it stands for (a folder is many).
    fn target(
        &mut self,
        written: &Written<'_>,
        entry: Option<(usize, &CertTargetConfig)>,
        base_levels: Levels,
        default_timeout: Duration,
    ) -> Result<Vec<Target>> {
        let (entry_key, entry) = match entry {
            Some((index, entry)) => (format!("certs.target[{index}]"), Some(entry)),
            None => (String::new(), None),
        };
        let levels = match entry {
            Some(e) => self.levels(base_levels, &entry_key, &e.days_left, &e.lifetime_left)?,
            None => self.levels(base_levels, "certs", &None, &None)?,
        };
        let timeout = entry
            .and_then(|e| e.timeout)
            .map_or(default_timeout, Duration::from);
        let text = written.text.trim();
        let loaded = self.loaded;
        let where_written = |message: String| -> anyhow::Error {
            match &written.spanned {
                Some((key, spanned)) => loaded.invalid(key, *spanned, message).into(),
                None => anyhow!(message),
            }
        };
        let path = Path::new(text);
        let is_url = text.contains("://");
        if !is_url {
            // A path is looked at in a helper process, which a hung mount
            // cannot hold past the target's timeout; a bare name (a host,
            // most likely) only in the working folder, here.
            let found = match isolated::helper_binary().filter(|_| looks_like_a_path(text)) {
                Some(helper) => x509::look_isolated(&helper, path, timeout),
                None => Ok(x509::look(path)),
            };
            match found {
                Ok(x509::Found::Missing) => {}
                Ok(found) => {
                    return self.file_targets(
                        path,
                        Ok(found),
                        entry,
                        levels,
                        timeout,
                        &where_written,
                    );
                }
                Err(err) => {
                    let unanswered = Err(format!("{}: {err}", path.display()));
                    return self.file_targets(
                        path,
                        unanswered,
                        entry,
                        levels,
                        timeout,
                        &where_written,
                    );
                }
            }
        }
        if !is_url && looks_like_a_path(text) {
            return Err(
                where_written(format!("{text}: no such file or folder")).context(Hint::new(
                    "check the path; an endpoint is written host, host:port or https://host",
                )),
            );
        }
        let spec = tls::parse_endpoint(text)
            .map_err(|err| where_written(err.to_string()))
            .context(Hint::new("write an endpoint as host, host:port, https://host[:port], smtp://host[:port] or postgres://host[:port]"))?;
        let label = crate::redact::url(text);
        let connect = self
            .args
            .connect
            .clone()
            .or_else(|| entry.and_then(|e| e.connect.clone()));
        let (host, port) = match &connect {
            Some(address) => {
                let parsed = tls::parse_endpoint(address)
                    .ok()
                    .filter(|_| !address.contains("://"))
                    .ok_or_else(|| anyhow!("--connect {address:?} is not host or host:port"))
                    .context(Hint::new(
                        "write --connect 10.0.0.5 or --connect 10.0.0.5:8443",
                    ))?;
                let has_port = if address.starts_with('[') {
                    address.contains("]:")
                } else {
                    address.matches(':').count() == 1
                };
                let port = if has_port { parsed.port } else { spec.port };
                (parsed.host, port)
            }
            None => (spec.host.clone(), spec.port),
        };
        let is_address = spec.host.parse::<std::net::IpAddr>().is_ok();
        let sni = self
            .args
            .sni
            .clone()
            .or_else(|| entry.and_then(|e| e.sni.clone()))
            .or_else(|| (!is_address).then(|| spec.host.clone()));
        let name = if is_address {
            // An address target verified by its IP SAN, unless a name is sent: then that name.
            sni.clone().or_else(|| Some(spec.host.clone()))
        } else {
            Some(spec.host.clone())
        };
        let starttls = match entry.and_then(|e| e.starttls) {
            Some(StarttlsName::None) => Starttls::None,
            Some(StarttlsName::Smtp) => Starttls::Smtp,
            Some(StarttlsName::Postgres) => Starttls::Postgres,
            // From the target's scheme or port, not from where --connect points.
            None => spec.starttls,
        };
        let roots = self.roots(entry)?;
        let key = self.key(entry)?.map(|(material, _)| material);
        let revocation = self.revocation_plan(timeout);
        let endpoint = Endpoint {
            host,
            port,
            sni: sni.clone(),
            starttls,
        };
        Ok(vec![Target {
            label,
            levels,
            timeout,
            hint: HintBase::Endpoint {
                host: endpoint.host.clone(),
                port,
                sni,
                starttls,
            },
            work: Work {
                source: Source::Endpoint { endpoint, timeout },
                levels,
                name,
                roots: Some(roots.clone()),
                key,
                revocation,
                issuers: Some(roots),
            },
        }])
    }

    fn file_targets(
        &mut self,
        path: &Path,
        // Err: the path gave no answer (a hung mount), with why.
        found: Result<x509::Found, String>,
        entry: Option<&CertTargetConfig>,
        levels: Levels,
        timeout: Duration,
        where_written: &dyn Fn(String) -> anyhow::Error,
    ) -> Result<Vec<Target>> {
        let key = self.key(entry)?;
        let explicit_roots = self.explicit_roots(entry);
        let mut files: Vec<(PathBuf, Result<Vec<Certificate>, String>)> = Vec::new();
        match found {
            // No answer: the target's own result, so the others are still checked.
            Err(message) => files.push((path.to_owned(), Err(message))),
            Ok(x509::Found::Folder(listing)) => {
                let found = listing
                    .map_err(|err| {
                        where_written(format!("cannot read folder {}: {err}", path.display()))
                    })
                    .context(Hint::new("check the folder's permissions"))?;
                for (file, bytes) in found {
                    match bytes {
                        Ok(bytes) => match x509::read_certificates(&bytes) {
                            Ok(certificates) => files.push((file, Ok(certificates))),
                            Err(err) if err.is_not_a_certificate() => {
                                self.notes
                                    .note(|| format!("certs: skipped {}: {err}", file.display()));
                            }
                            Err(err) => files.push((file, Err(err.to_string()))),
                        },
                        // Private keys are often unreadable to all but their service.
                        Err(err) => self.notes.note(|| format!("certs: skipped {err}")),
                    }
                }
                if files.is_empty() {
                    return Err(where_written(format!(
                        "folder {} holds no certificate files",
                        path.display()
                    ))
                    .context(Hint::new(
                        "name the folder that holds the .pem/.crt files (maint -v certs check FOLDER says what was skipped)",
                    )));
                }
            }
            Ok(x509::Found::File(bytes)) => {
                let certificates = bytes
                    .and_then(|bytes| {
                        x509::read_certificates(&bytes)
                            .map_err(|err| format!("{}: {err}", path.display()))
                    })
                    .map_err(|err| where_written(format!("cannot check {err}")))
                    .context(Hint::new(
                        "name a PEM or DER certificate file (openssl x509 -in FILE -noout -subject shows whether it is one)",
                    ))?;
                files.push((path.to_owned(), Ok(certificates)));
            }
            Ok(x509::Found::Missing) => unreachable!("missing paths are not file targets"),
        }
        let mut targets = Vec::new();
        for (file, certificates) in files {
            // A chain file (leaf first, then issuers) is judged as a chain; a
            // lone certificate or a bundle of CA certificates is not.
            let is_chain = certificates.as_ref().is_ok_and(|certs| {
                certs.first().is_some_and(|first| !first.is_ca)
                    && (certs.len() > 1 || explicit_roots)
            });
            let roots = if is_chain {
                Some(self.roots(entry)?)
            } else {
                None
            };
            let revocation = self.revocation_plan(timeout);
            // A lone leaf's issuer may be among the roots; roots that cannot
            // be loaded only leave it unchecked (the finding says so).
            let leaf = certificates
                .as_ref()
                .ok()
                .and_then(|certs| certs.first())
                .filter(|first| !first.is_self_issued());
            let issuers = match (&roots, &revocation) {
                (Some(roots), _) => Some(roots.clone()),
                (None, Some(_)) if leaf.is_some() => self.roots(entry).ok(),
                _ => None,
            };
            let shown = file.display().to_string();
            targets.push(Target {
                label: shown.clone(),
                levels,
                timeout,
                hint: HintBase::File {
                    path: shown,
                    key: key.as_ref().map(|(_, path)| path.clone()),
                },
                work: Work {
                    source: Source::File(certificates),
                    levels,
                    name: None,
                    roots,
                    key: key.as_ref().map(|(material, _)| material.clone()),
                    revocation,
                    issuers,
                },
            });
        }
        Ok(targets)
    }
}

/// Whether a target that does not exist was meant as a file rather than a host.
fn looks_like_a_path(text: &str) -> bool {
    const EXTENSIONS: &[&str] = &[
        ".pem",
        ".crt",
        ".cer",
        ".der",
        ".key",
        ".p7b",
        ".ca-bundle",
        ".chain",
    ];
    text.contains('/')
        || text.starts_with('.')
        || text.starts_with('~')
        || EXTENSIONS
            .iter()
            .any(|ext| text.to_ascii_lowercase().ends_with(ext))
}

/// Handshakes with every address of the endpoint's name; the first that
/// answers is the one judged, and how the others differ from it is a finding.
fn fetch_every_address(
    endpoint: &Endpoint,
    timeout: Duration,
) -> Result<(tls::Handshake, Option<Finding>), tls::TlsError> {
    // Only a test plants names; a hosts file it cannot read is its own failure to see.
    let hosts = crate::probe::http::Hosts::planted().unwrap_or_default();
    let mut results = tls::fetch_chains(endpoint, timeout, &hosts)?;
    let answers: Vec<judge::AddressAnswer> = results
        .iter()
        .map(|(address, result)| {
            let answer = match result {
                Ok(handshake) => Ok(handshake
                    .chain
                    .first()
                    .map(|leaf| leaf.to_vec())
                    .unwrap_or_default()),
                Err(err) => Err(err.to_string()),
            };
            (*address, answer)
        })
        .collect();
    let differ = judge::compare_addresses(&answers);
    let first_ok = results.iter().position(|(_, result)| result.is_ok());
    let (_, result) = results.swap_remove(first_ok.unwrap_or(0));
    result.map(|handshake| (handshake, differ))
}

impl Work {
    fn run(self) -> Probed {
        let now = Utc::now();
        let mut probed = Probed::default();
        let mut late_error = None;
        match self.source {
            Source::File(Ok(certificates)) => probed.certificates = certificates,
            Source::File(Err(message)) => {
                return Probed::failed(Failure::unreadable(format!(
                    "cannot read the certificate: {message}"
                )));
            }
            Source::Endpoint { endpoint, timeout } => match fetch_every_address(&endpoint, timeout)
            {
                Ok((handshake, differ)) => {
                    probed.findings.extend(differ);
                    let mut certificates = Vec::new();
                    for (index, der) in handshake.chain.iter().enumerate() {
                        match Certificate::parse(der) {
                            Ok(certificate) => certificates.push(certificate),
                            Err(err) => {
                                probed.failure = Some(Failure::unreadable(format!(
                                    "certificate #{index} sent by the server cannot be parsed: {err}"
                                )));
                                break;
                            }
                        }
                    }
                    probed.certificates = certificates;
                    probed.connection = Some(match &handshake.protocol {
                        Some(protocol) => format!("{protocol} to {}", handshake.peer),
                        None => format!("{}", handshake.peer),
                    });
                    late_error = handshake.late_error;
                }
                Err(err) => {
                    return Probed::failed(Failure::connecting(&err));
                }
            },
        }
        if probed.certificates.is_empty() {
            return probed;
        }
        let expect = Expectations {
            levels: self.levels,
            name: self.name.as_deref(),
            roots: self.roots.as_deref(),
            key: self.key.as_ref(),
        };
        probed
            .findings
            .extend(judge::assess(&probed.certificates, &expect, now));
        if let Some(plan) = &self.revocation {
            probed.findings.extend(revocation::check(
                &probed.certificates,
                self.issuers.as_deref(),
                plan,
                now,
            ));
            probed
                .findings
                .sort_by_key(|f| std::cmp::Reverse(f.status.severity()));
        }
        if let Some(message) = late_error {
            probed.findings.push(Finding {
                code: "handshake",
                status: Status::Ok,
                certificate: None,
                message: format!("the handshake ended after the certificate was sent: {message}"),
            });
        }
        probed
    }
}

/// Probes every target through the pool and builds the report in input order.
pub fn run(settings: Settings) -> Report {
    let started_at = Utc::now();
    let started = Instant::now();
    let mut jobs = Vec::with_capacity(settings.targets.len());
    let mut lines = Vec::with_capacity(settings.targets.len());
    for target in settings.targets {
        let Target {
            label,
            levels,
            timeout,
            hint,
            work,
        } = target;
        // Revocation fetches have a timeout of their own after the handshake's.
        let budget = match &work.revocation {
            Some(plan) => timeout + plan.timeout,
            None => timeout,
        };
        jobs.push(Job::new(budget + GRACE, move || work.run()).patience(PATIENCE));
        lines.push((label, levels, timeout, hint));
    }
    // Each target has its own deadline; the run as a whole needs none.
    let far = started + Duration::from_secs(30 * 86_400);
    let outcomes = parallel::run_all(jobs, settings.jobs, far);

    let mut report = crate::checks::report("certs check", started_at);
    let mut certificate_rows = Vec::new();
    let mut finding_rows = Vec::new();
    for ((label, levels, timeout, hint), outcome) in lines.into_iter().zip(outcomes) {
        let (probed, elapsed) = match outcome {
            Outcome::Done { value, elapsed } => (value, Some(elapsed)),
            Outcome::TimedOut { .. } | Outcome::PastDeadline { .. } => {
                (Probed::failed(Failure::silent(timeout)), None)
            }
            Outcome::Panicked { message } => (Probed::failed(Failure::internal(&message)), None),
        };
        let now = Utc::now();
        let mut check = target::verdict(&label, &levels, &probed, now)
            .with_hint(hint.command(probed.headline_code()));
        check.elapsed = elapsed;
        for (index, certificate) in probed.certificates.iter().enumerate() {
            let codes: Vec<&str> = probed
                .findings
                .iter()
                .filter(|f| f.certificate == Some(index) && f.status != Status::Ok)
                .map(|f| f.code)
                .collect();
            certificate_rows.push(vec![
                Cell::Text(label.clone()),
                Cell::Integer(index as i64),
                Cell::Text(certificate.subject_short()),
                Cell::Text(certificate.issuer_short()),
                Cell::Time(certificate.not_after),
                Cell::Number(judge::whole_days_left(certificate.days_left(now))),
                Cell::Text(
                    if certificate.key.kind == "RSA" || certificate.key.kind == "DSA" {
                        format!("{} {}", certificate.key.kind, certificate.key.bits)
                    } else {
                        certificate.key.kind.clone()
                    },
                ),
                Cell::Text(certificate.signature.name.clone()),
                Cell::Text(codes.join(" ")),
            ]);
        }
        if let Some(failure) = &probed.failure {
            finding_rows.push(finding_row(
                &label,
                failure.code,
                failure.status,
                None,
                &failure.message,
            ));
        }
        for finding in &probed.findings {
            finding_rows.push(finding_row(
                &label,
                finding.code,
                finding.status,
                finding.certificate,
                &finding.message,
            ));
        }
        let labels: &[(&str, &str)] = &[("target", &label)];
        if let Some((_, not_after)) = judge::earliest_expiry(&probed.certificates, now) {
            report.metrics.push(Metric::new(
                "maint_cert_not_after_timestamp_seconds",
                "When the first certificate of the target to expire expires, as Unix time.",
                labels,
                not_after.timestamp() as f64,
            ));
            // "Days left" in the base unit Prometheus wants (promtool rejects `_days`).
            report.metrics.push(Metric::new(
                "maint_cert_time_left_seconds",
                "Time until the first certificate of the target to expire expires; negative once expired.",
                labels,
                (not_after - now).num_seconds() as f64,
            ));
        }
        report.metrics.push(Metric::new(
            "maint_cert_status",
            "Status of each target: 0 OK, 1 WARNING, 2 CRITICAL, 3 UNKNOWN.",
            labels,
            f64::from(check.status.number()),
        ));
        report.checks.push(check);
    }
    report.sections.push(Section {
        name: "certificates".into(),
        title: "Certificates (as sent or stored, #0 first):".into(),
        columns: vec![
            Column::new("target", "TARGET"),
            Column::new("index", "#"),
            Column::new("subject", "SUBJECT"),
            Column::new("issuer", "ISSUER"),
            Column::new("not_after", "NOT AFTER (UTC)"),
            Column::new("days_left", "DAYS LEFT"),
            Column::new("key", "KEY"),
            Column::new("signature", "SIGNATURE"),
            Column::new("findings", "FINDINGS"),
        ],
        rows: certificate_rows,
    });
    report.sections.push(Section {
        name: "findings".into(),
        title: "Findings:".into(),
        columns: vec![
            Column::new("target", "TARGET"),
            Column::new("code", "CODE"),
            Column::new("severity", "SEVERITY"),
            Column::new("certificate", "#"),
            Column::new("message", "MESSAGE"),
        ],
        rows: finding_rows,
    });
    report.duration = started.elapsed();
    report
}

fn finding_row(
    target: &str,
    code: &str,
    status: Status,
    certificate: Option<usize>,
    message: &str,
) -> Vec<Cell> {
    vec![
        Cell::Text(target.to_owned()),
        Cell::Text(code.to_owned()),
        Cell::Text(status.as_str().to_owned()),
        certificate.map_or(Cell::Empty, |i| Cell::Integer(i as i64)),
        Cell::Text(message.to_owned()),
    ]
}

impl HintBase {
    /// The command an operator would run next for a finding `code`.
    fn command(&self, code: &str) -> String {
        match self {
            HintBase::File { path, key } => {
                let path = crate::shell::word(path);
                match (code, key) {
                    ("key_mismatch", Some(key)) => format!(
                        "openssl x509 -in {path} -noout -pubkey | openssl sha256; openssl pkey -in {} -pubout | openssl sha256",
                        crate::shell::word(key)
                    ),
                    ("chain_order" | "root_sent" | "chain_incomplete" | "untrusted", _) => format!(
                        "openssl crl2pkcs7 -nocrl -certfile {path} | openssl pkcs7 -print_certs -noout"
                    ),
                    ("revoked" | "revocation_unknown" | "revocation_stale", _) => format!(
                        "openssl x509 -in {path} -noout -serial -ext crlDistributionPoints,authorityInfoAccess"
                    ),
                    _ => format!("openssl x509 -in {path} -noout -subject -issuer -dates"),
                }
            }
            HintBase::Endpoint {
                host,
                port,
                sni,
                starttls,
            } => {
                let address = if host.contains(':') {
                    format!("[{host}]:{port}")
                } else {
                    format!("{host}:{port}")
                };
                if code == "dns" {
                    return format!("getent hosts {host}");
                }
                if code == "refused" || code == "timeout" {
                    return format!("nc -vz -w 5 {host} {port}");
                }
                let mut client = format!("openssl s_client -connect {address}");
                if let Some(sni) = sni {
                    client.push_str(&format!(" -servername {sni}"));
                }
                match starttls {
                    Starttls::None => {}
                    Starttls::Smtp => client.push_str(" -starttls smtp"),
                    Starttls::Postgres => client.push_str(" -starttls postgres"),
                }
                match code {
                    "tls_version" => format!(
                        "enable TLS 1.2 or 1.3 on the server; check with {client} -tls1_2 </dev/null"
                    ),
                    "days_left" | "expired" | "not_yet_valid" => format!(
                        "{client} </dev/null 2>/dev/null | openssl x509 -noout -subject -dates"
                    ),
                    "revoked" | "revocation_unknown" | "revocation_stale" => format!(
                        "{client} </dev/null 2>/dev/null | openssl x509 -noout -serial -ext crlDistributionPoints,authorityInfoAccess"
                    ),
                    _ => format!("{client} -showcerts </dev/null"),
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn paths_and_hosts_are_told_apart() {
        assert!(looks_like_a_path("certs/site.pem"));
        assert!(looks_like_a_path("site.pem"));
        assert!(looks_like_a_path("./x"));
        assert!(!looks_like_a_path("example.com"));
        assert!(!looks_like_a_path("example.com:443"));
    }

    #[test]
    fn hints_quote_what_the_shell_would_split() {
        assert_eq!(crate::shell::word("/etc/ssl/a.pem"), "/etc/ssl/a.pem");
        assert_eq!(crate::shell::word("/tmp/my cert.pem"), "'/tmp/my cert.pem'");
    }
}
