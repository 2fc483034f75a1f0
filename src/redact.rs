//! Secrets never appear in output, logs or errors (DESIGN.md): passwords in
//! URLs and connection strings are shown as `***`.

use std::sync::LazyLock;

use regex::Regex;

/// `scheme://user:password@` — the password part of any URL-like text.
static URL_PASSWORD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?P<head>[A-Za-z][A-Za-z0-9+.-]*://[^/\s:@]*:)(?P<secret>[^\s/]+)@").unwrap()
});

/// `password=...` in libpq key/value connection strings, quoted or bare.
static CONNINFO_PASSWORD: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?i)(?P<head>\bpassword\s*=\s*)(?P<secret>'(?:[^'\\]|\\.)*'|[^\s]+)").unwrap()
});

/// `password = "x"`, `API_TOKEN: abc`, `client_secret=...`: any key naming a secret.
static SECRET_ASSIGNMENT: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(
        r#"(?i)(?P<head>\b[a-z0-9_.-]*(?:passw(?:or)?d|pwd|token|secret|api[_-]?key|access[_-]?key)[a-z0-9_.-]*["']?\s*[=:]\s*)(?P<secret>"[^"\n]*"|'[^'\n]*'|[^\s,;&]+)"#,
    )
    .unwrap()
});

static BEARER: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)\b(?P<head>bearer\s+)[A-Za-z0-9\-._~+/]+=*").unwrap());

static PRIVATE_KEY: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"(?s)-----BEGIN (?P<kind>[A-Z0-9 ]*)PRIVATE KEY-----.*?-----END [A-Z0-9 ]*PRIVATE KEY-----")
        .unwrap()
});

static IPV4: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"\b(?:(?:25[0-5]|2[0-4]\d|1?\d?\d)\.){3}(?:25[0-5]|2[0-4]\d|1?\d?\d)\b").unwrap()
});

/// Colon-separated hex groups; [`is_ipv6`] then tells addresses from times like `12:00:01`.
static IPV6: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(?i)\b(?:[0-9a-f]{0,4}:){2,7}[0-9a-f]{0,4}\b").unwrap());

/// A full address has eight groups; a shortened one has `::`.
fn is_ipv6(candidate: &str) -> bool {
    candidate.contains("::") || candidate.matches(':').count() == 7
}

/// Everything a support bundle must not carry: URL and `key = value`
/// secrets, bearer tokens and private keys.
pub fn for_bundle(text: &str) -> String {
    let text = secrets_in_text(text);
    let text = SECRET_ASSIGNMENT.replace_all(&text, |caps: &regex::Captures<'_>| {
        let secret = &caps["secret"];
        let masked = match secret.chars().next() {
            Some(quote @ ('"' | '\'')) => format!("{quote}***{quote}"),
            _ => "***".to_owned(),
        };
        format!("{}{masked}", &caps["head"])
    });
    let text = BEARER.replace_all(&text, "${head}***");
    PRIVATE_KEY
        .replace_all(
            &text,
            "-----BEGIN ${kind}PRIVATE KEY----- (redacted) -----END ${kind}PRIVATE KEY-----",
        )
        .into_owned()
}

/// Replaces host names and IP addresses with stable pseudonyms (`host-1`,
/// `ip-1`): the same name always becomes the same pseudonym, so lines of a
/// bundle still correlate with each other.
#[derive(Debug, Default)]
pub struct HostRedactor {
    names: Vec<String>,
    seen: std::collections::HashMap<String, String>,
}

impl HostRedactor {
    /// `names` are the host names to hide (this machine's, those in the config's URLs).
    pub fn new(names: impl IntoIterator<Item = String>) -> Self {
        let mut names: Vec<String> = names
            .into_iter()
            .filter(|n| !n.is_empty() && n != "localhost" && IPV4.find(n).is_none())
            .collect();
        // Longest first, so "db.internal.example" is replaced before "db".
        names.sort_by_key(|n| std::cmp::Reverse(n.len()));
        names.dedup();
        HostRedactor {
            names,
            seen: std::collections::HashMap::new(),
        }
    }

    fn pseudonym(&mut self, original: &str, kind: &str) -> String {
        let next = self.seen.values().filter(|p| p.starts_with(kind)).count() + 1;
        self.seen
            .entry(original.to_owned())
            .or_insert_with(|| format!("{kind}-{next}"))
            .clone()
    }

    pub fn apply(&mut self, text: &str) -> String {
        let mut out = text.to_owned();
        for name in self.names.clone() {
            if out.contains(&name) {
                let pseudonym = self.pseudonym(&name, "host");
                out = out.replace(&name, &pseudonym);
            }
        }
        let ipv4 = IPV4.find_iter(&out).map(|m| m.as_str().to_owned());
        let ipv6 = IPV6
            .find_iter(&out)
            .map(|m| m.as_str().to_owned())
            .filter(|candidate| is_ipv6(candidate));
        let addresses: Vec<String> = ipv4
            .chain(ipv6)
            .filter(|ip| ip != "127.0.0.1" && ip != "::1")
            .collect();
        for ip in addresses {
            let pseudonym = self.pseudonym(&ip, "ip");
            out = out.replace(&ip, &pseudonym);
        }
        out
    }
}

/// A URL fit to show: the password, if any, replaced by `***`.
pub fn url(text: &str) -> String {
    secrets_in_text(text)
}

/// Masks every URL password and `password=` value in free text.
pub fn secrets_in_text(text: &str) -> String {
    let masked = URL_PASSWORD.replace_all(text, "${head}***@");
    CONNINFO_PASSWORD
        .replace_all(&masked, "${head}***")
        .into_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn masks_url_passwords() {
        assert_eq!(
            url("postgres://app:s3cr%40t@db.internal:5432/app"),
            "postgres://app:***@db.internal:5432/app"
        );
        assert_eq!(
            url("redis://:pw@127.0.0.1:6379/0"),
            "redis://:***@127.0.0.1:6379/0"
        );
        assert_eq!(
            url("https://example.com/a:b@c"),
            "https://example.com/a:b@c"
        );
        assert_eq!(url("redis://127.0.0.1:6379"), "redis://127.0.0.1:6379");
        // An unescaped `@` in a password must not leave its tail visible.
        assert_eq!(url("postgres://u:p@ss@db/app"), "postgres://u:***@db/app");
    }

    #[test]
    fn bundles_lose_every_kind_of_secret() {
        let text = "\
url = \"postgres://app:pg-secret@db/app\"
API_TOKEN=tok-123 next
client_secret: 's3cr3t'
Authorization: Bearer abc.def-ghi
-----BEGIN RSA PRIVATE KEY-----
MIIBOgIBAAJBAK
-----END RSA PRIVATE KEY-----
";
        let clean = for_bundle(text);
        for secret in [
            "pg-secret",
            "tok-123",
            "s3cr3t",
            "abc.def-ghi",
            "MIIBOgIBAAJBAK",
        ] {
            assert!(!clean.contains(secret), "{secret} left in:\n{clean}");
        }
        assert!(clean.contains("API_TOKEN=*** next"), "{clean}");
        assert!(clean.contains("client_secret: '***'"), "{clean}");
        assert!(
            clean.contains("-----BEGIN RSA PRIVATE KEY----- (redacted)"),
            "{clean}"
        );
    }

    #[test]
    fn hosts_get_stable_pseudonyms() {
        let mut hosts = HostRedactor::new(["db.internal".to_owned(), "web-1".to_owned()]);
        let a = hosts.apply("web-1 connects to db.internal at 10.0.0.5 and 10.0.0.6");
        let b = hosts.apply("again db.internal 10.0.0.5 from 127.0.0.1 fe80::1:2 at 12:00:01");
        assert_eq!(a, "host-2 connects to host-1 at ip-1 and ip-2");
        assert_eq!(b, "again host-1 ip-1 from 127.0.0.1 ip-3 at 12:00:01");
    }

    #[test]
    fn masks_conninfo_passwords() {
        assert_eq!(
            secrets_in_text("host=db user=app password=hunter2 dbname=app"),
            "host=db user=app password=*** dbname=app"
        );
        assert_eq!(
            secrets_in_text("password='a b' host=x"),
            "password=*** host=x"
        );
    }
}
