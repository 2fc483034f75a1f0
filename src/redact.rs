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
