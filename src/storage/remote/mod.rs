//! An S3-compatible object store as a backup destination: AWS S3, Garage,
//! MinIO, Ceph RGW, SeaweedFS.
//!
//! Requests are signed by `rusty-s3` (SigV4 as presigned URLs, so every
//! header that matters is covered by the signature) and sent by `ureq`,
//! synchronously, under the timeouts of [`Settings`]: an endpoint that
//! accepts a connection and never answers is given up, never waited on.
//!
//! Nothing here prints. A presigned URL carries the access key id and a
//! signature, so no URL is ever put in an error: errors name the bucket and
//! the object, and the server's code and message.

pub mod catalog;
pub mod credentials;
pub mod lock;
pub mod upload;

use std::io::Read;
use std::time::Duration;

use rusty_s3::actions::{ListObjectsV2, S3Action};
use rusty_s3::{Bucket, Credentials, UrlStyle};
use url::Url;

/// How long a presigned request stays valid: long enough for a slow part.
const SIGNED_FOR: Duration = Duration::from_secs(3600);

/// Where an `s3://BUCKET/PREFIX` destination is, as written by the operator.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Location {
    pub bucket: String,
    /// Keys are `PREFIX/NAME`; empty for the bucket's top.
    pub prefix: String,
    /// From the URL's query (`?endpoint=…&region=…&path_style=true`), which
    /// win over `[backup.s3]` and the environment.
    pub endpoint: Option<String>,
    pub region: Option<String>,
    pub path_style: Option<bool>,
    pub profile: Option<String>,
}

impl Location {
    /// Whether a destination as given (`--dest`, `[backup] dest`) names an object store.
    pub fn is_remote(text: &str) -> bool {
        text.starts_with("s3://")
    }

    pub fn parse(text: &str) -> Result<Location, RemoteError> {
        let bad = |why: &str| RemoteError::Location(format!("{text:?} {why}"));
        let url = Url::parse(text).map_err(|_| bad("is not an s3://BUCKET/PREFIX URL"))?;
        if url.scheme() != "s3" {
            return Err(bad("is not an s3://BUCKET/PREFIX URL"));
        }
        let bucket = url
            .host_str()
            .filter(|b| !b.is_empty())
            .ok_or_else(|| bad("names no bucket"))?
            .to_owned();
        if !url.username().is_empty() || url.password().is_some() {
            // Not echoed: what is before the @ may be a secret key.
            return Err(RemoteError::Location(
                "s3://…@… holds credentials: give them as AWS_ACCESS_KEY_ID and AWS_SECRET_ACCESS_KEY or in ~/.aws/credentials".to_owned(),
            ));
        }
        let prefix = url.path().trim_matches('/').to_owned();
        if prefix.split('/').any(|part| part == "." || part == "..") {
            return Err(bad("has . or .. in its prefix"));
        }
        let mut location = Location {
            bucket,
            prefix,
            endpoint: None,
            region: None,
            path_style: None,
            profile: None,
        };
        for (key, value) in url.query_pairs() {
            match key.as_ref() {
                "endpoint" => location.endpoint = Some(value.into_owned()),
                "region" => location.region = Some(value.into_owned()),
                "profile" => location.profile = Some(value.into_owned()),
                "path_style" => {
                    location.path_style = Some(match value.as_ref() {
                        "true" | "1" | "yes" => true,
                        "false" | "0" | "no" => false,
                        _ => return Err(bad("has path_style neither true nor false")),
                    });
                }
                other => {
                    return Err(bad(&format!(
                        "has an unknown setting {other:?} (endpoint, region, path_style, profile)"
                    )));
                }
            }
        }
        Ok(location)
    }

    /// `s3://BUCKET/PREFIX`, without the settings: how it is shown.
    pub fn shown(&self) -> String {
        if self.prefix.is_empty() {
            format!("s3://{}", self.bucket)
        } else {
            format!("s3://{}/{}", self.bucket, self.prefix)
        }
    }
}

/// The `[backup.s3]` settings and their defaults, below what the URL says.
#[derive(Clone, Debug, Default)]
pub struct Settings {
    pub endpoint: Option<String>,
    pub region: Option<String>,
    pub path_style: Option<bool>,
    pub profile: Option<String>,
    /// Given up after this long without an answer (connect, each read and write).
    pub timeout: Option<Duration>,
}

#[derive(Debug, thiserror::Error)]
pub enum RemoteError {
    #[error("backup destination {0}")]
    Location(String),
    #[error("{0}")]
    Credentials(String),
    #[error("bucket {bucket} does not exist at {endpoint}")]
    NoBucket { bucket: String, endpoint: String },
    #[error("{what}: access denied ({code}: {message})")]
    Denied {
        what: String,
        code: String,
        message: String,
    },
    #[error("{what}: {endpoint} answered nothing within {} s", timeout.as_secs())]
    Timeout {
        what: String,
        endpoint: String,
        timeout: Duration,
    },
    #[error("{what}: cannot reach {endpoint}: {detail}")]
    Unreachable {
        what: String,
        endpoint: String,
        detail: String,
    },
    #[error("{what}: the server answered HTTP {status} ({code}: {message})")]
    Server {
        what: String,
        status: u16,
        code: String,
        message: String,
    },
    #[error("{what}: {detail}")]
    Protocol { what: String, detail: String },
    #[error("object {0} does not exist")]
    NotFound(String),
}

impl RemoteError {
    /// Worth another try: the network or the server failed, not the request.
    pub fn is_transient(&self) -> bool {
        match self {
            RemoteError::Timeout { .. } | RemoteError::Unreachable { .. } => true,
            RemoteError::Server { status, .. } => *status >= 500 || *status == 429,
            _ => false,
        }
    }
}

/// What a HEAD of an object tells.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Head {
    pub size: u64,
    pub etag: String,
}

/// One object found by a listing, its key relative to the prefix.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Listed {
    pub name: String,
    pub size: u64,
    pub etag: String,
}

/// A connection to one bucket and prefix, with the credentials to sign with.
#[derive(Clone)]
pub struct Remote {
    bucket: Bucket,
    credentials: Credentials,
    prefix: String,
    agent: ureq::Agent,
    endpoint: String,
    timeout: Duration,
    shown: String,
}

impl std::fmt::Debug for Remote {
    // The credentials are never shown, not even in a debug print.
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Remote")
            .field("at", &self.shown)
            .finish_non_exhaustive()
    }
}

impl Remote {
    /// The default wait for an answer, as the AWS CLI's read timeout.
    pub const DEFAULT_TIMEOUT: Duration = Duration::from_secs(60);

    /// Resolves the endpoint, region and credentials (URL, then `[backup.s3]`,
    /// then the AWS environment and files) without contacting the server.
    pub fn open(location: &Location, settings: &Settings) -> Result<Remote, RemoteError> {
        let env = credentials::Environment::from_process();
        Remote::open_in(location, settings, &env)
    }

    pub fn open_in(
        location: &Location,
        settings: &Settings,
        env: &credentials::Environment,
    ) -> Result<Remote, RemoteError> {
        let profile_name = location
            .profile
            .clone()
            .or_else(|| settings.profile.clone())
            .or_else(|| env.var("AWS_PROFILE"))
            .unwrap_or_else(|| "default".to_owned());
        let profile = credentials::Profile::load(env, &profile_name)?;
        let credentials = credentials::resolve(env, &profile)?;
        let region = location
            .region
            .clone()
            .or_else(|| settings.region.clone())
            .or_else(|| env.var("AWS_REGION"))
            .or_else(|| env.var("AWS_DEFAULT_REGION"))
            .or_else(|| profile.get("region"))
            .unwrap_or_else(|| "us-east-1".to_owned());
        let given_endpoint = location
            .endpoint
            .clone()
            .or_else(|| settings.endpoint.clone())
            .or_else(|| env.var("AWS_ENDPOINT_URL_S3"))
            .or_else(|| env.var("AWS_ENDPOINT_URL"))
            .or_else(|| profile.get("endpoint_url"));
        // A self-hosted store is reached by path (few have wildcard DNS);
        // AWS by virtual host, as its SDKs do.
        let path_style = location
            .path_style
            .or(settings.path_style)
            .unwrap_or(given_endpoint.is_some());
        let endpoint =
            given_endpoint.unwrap_or_else(|| format!("https://s3.{region}.amazonaws.com"));
        let endpoint_url = Url::parse(&endpoint).map_err(|_| {
            RemoteError::Location(format!("endpoint {endpoint:?} is not an http(s) URL"))
        })?;
        let style = if path_style {
            UrlStyle::Path
        } else {
            UrlStyle::VirtualHost
        };
        let bucket = Bucket::new(endpoint_url, style, location.bucket.clone(), region)
            .map_err(|err| RemoteError::Location(format!("endpoint {endpoint:?}: {err}")))?;
        let timeout = settings.timeout.unwrap_or(Remote::DEFAULT_TIMEOUT);
        let agent: ureq::Agent = ureq::Agent::config_builder()
            .http_status_as_error(false)
            .timeout_connect(Some(timeout.min(Duration::from_secs(10))))
            .timeout_recv_response(Some(timeout))
            .timeout_recv_body(None)
            .timeout_per_read(Some(timeout))
            .timeout_per_write(Some(timeout))
            .max_redirects(0)
            .user_agent(concat!("maint/", env!("CARGO_PKG_VERSION")))
            .build()
            .into();
        Ok(Remote {
            bucket,
            credentials,
            prefix: location.prefix.clone(),
            agent,
            endpoint: endpoint.trim_end_matches('/').to_owned(),
            timeout,
            shown: location.shown(),
        })
    }

    /// `s3://BUCKET/PREFIX`, for messages.
    pub fn shown(&self) -> &str {
        &self.shown
    }

    /// `s3://BUCKET/PREFIX/NAME`, for messages.
    pub fn shown_object(&self, name: &str) -> String {
        format!("{}/{name}", self.shown)
    }

    fn key(&self, name: &str) -> String {
        if self.prefix.is_empty() {
            name.to_owned()
        } else {
            format!("{}/{name}", self.prefix)
        }
    }

    /// Fails early, before any work, when the bucket is missing, the
    /// credentials are refused or the endpoint does not answer.
    pub fn check(&self) -> Result<(), RemoteError> {
        let what = format!("checking {}", self.shown);
        let mut list = ListObjectsV2::new(&self.bucket, Some(&self.credentials));
        list.with_max_keys(1);
        if !self.prefix.is_empty() {
            list.with_prefix(format!("{}/", self.prefix));
        }
        let url = list.sign(SIGNED_FOR);
        let response = self.send(&what, self.agent.get(url.as_str()).call())?;
        self.expect_ok(&what, response, "").map(|_| ())
    }

    /// The object's size and ETag; None when it does not exist.
    pub fn head(&self, name: &str) -> Result<Option<Head>, RemoteError> {
        let key = self.key(name);
        let what = format!("reading {}", self.shown_object(name));
        let url = self
            .bucket
            .head_object(Some(&self.credentials), &key)
            .sign(SIGNED_FOR);
        let response = self.send(&what, self.agent.head(url.as_str()).call())?;
        if response.status() == 404 {
            return Ok(None);
        }
        let response = self.expect_ok(&what, response, name)?;
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
        };
        Ok(Some(Head {
            size: header("content-length")
                .and_then(|v| v.parse().ok())
                .unwrap_or(0),
            etag: header("etag").unwrap_or_default(),
        }))
    }

    /// The object's content as a stream; reads are bounded by the timeout.
    pub fn get(&self, name: &str) -> Result<Box<dyn Read + Send>, RemoteError> {
        let response = self
            .get_response(name)?
            .ok_or_else(|| RemoteError::NotFound(self.shown_object(name)))?;
        Ok(Box::new(response.into_body().into_reader()))
    }

    /// A GET of the object; None when it does not exist.
    fn get_response(
        &self,
        name: &str,
    ) -> Result<Option<ureq::http::Response<ureq::Body>>, RemoteError> {
        let key = self.key(name);
        let what = format!("reading {}", self.shown_object(name));
        let url = self
            .bucket
            .get_object(Some(&self.credentials), &key)
            .sign(SIGNED_FOR);
        let response = self.send(&what, self.agent.get(url.as_str()).call())?;
        if response.status() == 404 {
            return Ok(None);
        }
        self.expect_ok(&what, response, name).map(Some)
    }

    /// A small object whole (a sidecar, a lock); None when it does not exist.
    pub fn get_small(&self, name: &str) -> Result<Option<Vec<u8>>, RemoteError> {
        let what = format!("reading {}", self.shown_object(name));
        let Some(response) = self.get_response(name)? else {
            return Ok(None);
        };
        let mut bytes = Vec::new();
        response
            .into_body()
            .into_reader()
            .take(64 << 20)
            .read_to_end(&mut bytes)
            .map_err(|err| self.io_error(&what, &err))?;
        Ok(Some(bytes))
    }

    /// Writes a small object in one request; the server checks its MD5.
    pub fn put_small(&self, name: &str, bytes: &[u8]) -> Result<(), RemoteError> {
        let key = self.key(name);
        let what = format!("writing {}", self.shown_object(name));
        let md5 = content_md5(bytes);
        let mut action = self.bucket.put_object(Some(&self.credentials), &key);
        action.headers_mut().insert("content-md5", md5.clone());
        let url = action.sign(SIGNED_FOR);
        let response = self.send(
            &what,
            self.agent
                .put(url.as_str())
                .header("content-md5", &md5)
                .send(bytes),
        )?;
        self.expect_ok(&what, response, name).map(|_| ())
    }

    /// Deletes an object; one that is already gone is not an error.
    pub fn delete(&self, name: &str) -> Result<(), RemoteError> {
        let key = self.key(name);
        let what = format!("deleting {}", self.shown_object(name));
        let url = self
            .bucket
            .delete_object(Some(&self.credentials), &key)
            .sign(SIGNED_FOR);
        let response = self.send(&what, self.agent.delete(url.as_str()).call())?;
        if response.status() == 404 {
            return Ok(());
        }
        self.expect_ok(&what, response, name).map(|_| ())
    }

    /// Every object under the prefix (not below further `/`), by name.
    pub fn list(&self, under: &str) -> Result<Vec<Listed>, RemoteError> {
        let what = format!("listing {}", self.shown);
        let base = if self.prefix.is_empty() {
            String::new()
        } else {
            format!("{}/", self.prefix)
        };
        let mut found = Vec::new();
        let mut token: Option<String> = None;
        loop {
            let mut list = ListObjectsV2::new(&self.bucket, Some(&self.credentials));
            list.with_prefix(format!("{base}{under}"));
            list.with_delimiter("/");
            if let Some(token) = &token {
                list.with_continuation_token(token.clone());
            }
            let url = list.sign(SIGNED_FOR);
            let response = self.send(&what, self.agent.get(url.as_str()).call())?;
            let response = self.expect_ok(&what, response, "")?;
            let body =
                response
                    .into_body()
                    .read_to_string()
                    .map_err(|err| RemoteError::Protocol {
                        what: what.clone(),
                        detail: sanitize(&err.to_string()),
                    })?;
            let page = read_listing(&body, &base).ok_or_else(|| RemoteError::Protocol {
                what: what.clone(),
                detail: "the answer is not an S3 listing".to_owned(),
            })?;
            found.extend(page.found);
            token = page.next;
            if token.is_none() {
                break;
            }
        }
        Ok(found)
    }

    fn send(
        &self,
        what: &str,
        result: Result<ureq::http::Response<ureq::Body>, ureq::Error>,
    ) -> Result<ureq::http::Response<ureq::Body>, RemoteError> {
        result.map_err(|err| self.transport_error(what, err))
    }

    fn transport_error(&self, what: &str, err: ureq::Error) -> RemoteError {
        match err {
            ureq::Error::Timeout(_) => RemoteError::Timeout {
                what: what.to_owned(),
                endpoint: self.endpoint.clone(),
                timeout: self.timeout,
            },
            ureq::Error::Io(io) => self.io_error(what, &io),
            other => RemoteError::Unreachable {
                what: what.to_owned(),
                endpoint: self.endpoint.clone(),
                detail: sanitize(&other.to_string()),
            },
        }
    }

    fn io_error(&self, what: &str, err: &std::io::Error) -> RemoteError {
        if matches!(
            err.kind(),
            std::io::ErrorKind::TimedOut | std::io::ErrorKind::WouldBlock
        ) || err.to_string().contains("timeout")
        {
            return RemoteError::Timeout {
                what: what.to_owned(),
                endpoint: self.endpoint.clone(),
                timeout: self.timeout,
            };
        }
        RemoteError::Unreachable {
            what: what.to_owned(),
            endpoint: self.endpoint.clone(),
            detail: sanitize(&err.to_string()),
        }
    }

    /// A 2xx response, or the error the server's XML body describes.
    fn expect_ok(
        &self,
        what: &str,
        response: ureq::http::Response<ureq::Body>,
        object: &str,
    ) -> Result<ureq::http::Response<ureq::Body>, RemoteError> {
        let status = response.status().as_u16();
        if (200..300).contains(&status) {
            return Ok(response);
        }
        let mut body = String::new();
        let _ = response
            .into_body()
            .into_reader()
            .take(64 << 10)
            .read_to_string(&mut body);
        let code = xml_field(&body, "Code").unwrap_or_else(|| format!("HTTP {status}"));
        let message = sanitize(&xml_field(&body, "Message").unwrap_or_default());
        Err(match (status, code.as_str()) {
            (404, "NoSuchBucket") => RemoteError::NoBucket {
                bucket: self.bucket.name().to_owned(),
                endpoint: self.endpoint.clone(),
            },
            (404, _) if !object.is_empty() => RemoteError::NotFound(self.shown_object(object)),
            (401 | 403, _) => RemoteError::Denied {
                what: what.to_owned(),
                code,
                message,
            },
            _ => RemoteError::Server {
                what: what.to_owned(),
                status,
                code,
                message,
            },
        })
    }
}

/// The base64 MD5 the server checks a body against (`Content-MD5`).
pub fn content_md5(bytes: &[u8]) -> String {
    // MD5 only as S3's transport check; SHA-256 guards the backup itself.
    use md5::Digest;
    data_encoding::BASE64.encode(&md5::Md5::digest(bytes))
}

/// One page of a ListObjectsV2 answer: the objects directly under `base`,
/// and the token of the next page.
struct ListingPage {
    found: Vec<Listed>,
    next: Option<String>,
}

/// Reads a listing by hand: stores differ in which fields they send (s3s
/// leaves out the ETag), and only key, size and ETag matter here. The
/// request asks for `encoding-type=url` (so any key survives the XML), and
/// AWS and Garage honour it: their keys then come URL-encoded (`h1%2Fweb…`,
/// a space as `+`), while s3s-fs sends them as they are and no
/// `EncodingType`. `None` when the body is not a listing at all.
fn read_listing(body: &str, base: &str) -> Option<ListingPage> {
    if !body.contains("<ListBucketResult") {
        return None;
    }
    let url_encoded =
        xml_field(body, "EncodingType").is_some_and(|e| e.eq_ignore_ascii_case("url"));
    let mut found = Vec::new();
    for block in body.split("<Contents>").skip(1) {
        let block = block.split("</Contents>").next().unwrap_or_default();
        let Some(key) = xml_field(block, "Key").map(|k| xml_unescape(&k)) else {
            continue;
        };
        let key = if url_encoded {
            // A literal `+` comes as %2B, so a bare one is a space.
            percent_encoding::percent_decode_str(&key.replace('+', " "))
                .decode_utf8_lossy()
                .into_owned()
        } else {
            key
        };
        if let Some(name) = key.strip_prefix(base) {
            found.push(Listed {
                name: name.to_owned(),
                size: xml_field(block, "Size")
                    .and_then(|v| v.parse().ok())
                    .unwrap_or(0),
                etag: xml_field(block, "ETag")
                    .map(|e| xml_unescape(&e))
                    .unwrap_or_default(),
            });
        }
    }
    // The continuation token is never URL-encoded, only XML-escaped.
    let truncated = xml_field(body, "IsTruncated").is_some_and(|v| v == "true");
    let next = xml_field(body, "NextContinuationToken")
        .map(|t| xml_unescape(&t))
        .filter(|_| truncated);
    Some(ListingPage { found, next })
}

/// The text of the first `<Field>…</Field>` in an S3 answer (an error, a listing).
fn xml_field(body: &str, field: &str) -> Option<String> {
    let open = format!("<{field}>");
    let close = format!("</{field}>");
    let start = body.find(&open)? + open.len();
    let end = body[start..].find(&close)? + start;
    Some(body[start..end].trim().to_owned())
}

fn xml_unescape(text: &str) -> String {
    text.replace("&lt;", "<")
        .replace("&gt;", ">")
        .replace("&quot;", "\"")
        .replace("&apos;", "'")
        .replace("&amp;", "&")
}

/// Drops anything that looks like a query string: a presigned URL's
/// credential and signature must not reach a message.
fn sanitize(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut skipping = false;
    for c in text.chars() {
        if c == '?' {
            skipping = true;
            out.push_str("?…");
            continue;
        }
        if skipping && (c.is_whitespace() || c == '"' || c == '\'' || c == ')') {
            skipping = false;
        }
        if !skipping {
            out.push(c);
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locations_read_as_operators_write_them() {
        let l = Location::parse("s3://backups/db/host1/").unwrap();
        assert_eq!(
            (l.bucket.as_str(), l.prefix.as_str()),
            ("backups", "db/host1")
        );
        assert_eq!(l.shown(), "s3://backups/db/host1");
        let l =
            Location::parse("s3://b?endpoint=http://127.0.0.1:9000&region=garage&path_style=true")
                .unwrap();
        assert_eq!(l.prefix, "");
        assert_eq!(l.endpoint.as_deref(), Some("http://127.0.0.1:9000"));
        assert_eq!(l.region.as_deref(), Some("garage"));
        assert_eq!(l.path_style, Some(true));
        assert_eq!(l.shown(), "s3://b");
        for bad in [
            "s3://",
            "s3://key:secret@b/x",
            "s3://b/x?colour=red",
            "http://b/x",
        ] {
            assert!(Location::parse(bad).is_err(), "{bad}");
        }
        let err = Location::parse("s3://AKIA:SECRETKEY@b/x")
            .unwrap_err()
            .to_string();
        assert!(
            !err.contains("SECRETKEY") && err.contains("holds credentials"),
            "{err}"
        );
    }

    #[test]
    fn messages_never_carry_a_signed_query() {
        let text = "error sending to http://h/b/k?X-Amz-Credential=AKIA&X-Amz-Signature=abc: reset";
        let clean = sanitize(text);
        assert!(!clean.contains("AKIA") && !clean.contains("abc"), "{clean}");
        assert!(
            clean.ends_with(": reset") || clean.contains("reset"),
            "{clean}"
        );
    }

    #[test]
    fn error_bodies_give_code_and_message() {
        let body = "<Error><Code>NoSuchBucket</Code><Message>gone</Message></Error>";
        assert_eq!(xml_field(body, "Code").as_deref(), Some("NoSuchBucket"));
        assert_eq!(xml_field(body, "Message").as_deref(), Some("gone"));
        assert_eq!(xml_field(body, "Other"), None);
    }

    #[test]
    fn url_encoded_listings_are_decoded_and_plain_ones_kept() {
        // As Garage 2.5 answered (keys URL-encoded, `/` too), trimmed.
        let garage = r#"<?xml version="1.0" encoding="UTF-8"?><ListBucketResult xmlns="http://s3.amazonaws.com/doc/2006-03-01/"><Name>bench</Name><Prefix>h1%2F</Prefix><KeyCount>2</KeyCount><MaxKeys>1000</MaxKeys><Delimiter>%2F</Delimiter><EncodingType>url</EncodingType><IsTruncated>true</IsTruncated><NextContinuationToken>Z2+/=</NextContinuationToken><Contents><Key>h1%2F.maint-lock-vm-1-2</Key><ETag>&quot;94a0&quot;</ETag><Size>207</Size></Contents><Contents><Key>h1%2Fg-20261129T044521Z-daily.tar.gz</Key><ETag>&quot;ab23-1&quot;</ETag><Size>3001858</Size></Contents></ListBucketResult>"#;
        let page = read_listing(garage, "h1/").unwrap();
        let names: Vec<&str> = page.found.iter().map(|l| l.name.as_str()).collect();
        assert_eq!(
            names,
            [".maint-lock-vm-1-2", "g-20261129T044521Z-daily.tar.gz"]
        );
        assert_eq!(page.found[1].size, 3_001_858);
        assert_eq!(page.found[1].etag, "\"ab23-1\"");
        // The token goes back as it came: it is never URL-encoded.
        assert_eq!(page.next.as_deref(), Some("Z2+/="));

        // AWS writes a space as `+` and a plus as %2B.
        let aws = "<ListBucketResult><EncodingType>url</EncodingType><IsTruncated>false</IsTruncated><Contents><Key>web+1/a%2Bb+c.tar.gz</Key><Size>1</Size></Contents></ListBucketResult>";
        let page = read_listing(aws, "web 1/").unwrap();
        assert_eq!(page.found[0].name, "a+b c.tar.gz");
        assert_eq!(page.next, None);

        // s3s-fs ignores the encoding: keys as they are, `+` and `%` included.
        let plain = "<ListBucketResult><IsTruncated>false</IsTruncated><Contents><Key>h1/a+b%20.tar.gz</Key><Size>1</Size></Contents></ListBucketResult>";
        assert_eq!(
            read_listing(plain, "h1/").unwrap().found[0].name,
            "a+b%20.tar.gz"
        );

        assert!(read_listing("<html>proxy</html>", "").is_none());
    }
}
