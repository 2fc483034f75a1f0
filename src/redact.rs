//! Secrets never appear in output, logs or errors (the README). This is the
//! one redaction every output goes through: the renderer applies it to every
//! string of a report ([`report`]), the error printer to every error line,
//! and the support bundle to every file it packs ([`document`]), so no
//! command can forget it.
//!
//! It masks the shapes secret scanners (gitleaks, trufflehog) look for, and
//! only the secret part, so reports stay readable (`password=***`,
//! `Authorization: Bearer ***`, `AKIA***`):
//!
//! - `key=value` and `key: value` where the key names a secret (see
//!   [`names_secret`] for the rule), quoted or not, JSON `"password": "…"`,
//!   TOML strings of every kind, and URL query parameters;
//! - `Authorization:` (and `Proxy-Authorization:`, `Cookie:`) header values,
//!   and a bare `Bearer` token;
//! - URL userinfo passwords (`scheme://user:***@host`);
//! - tokens that announce themselves: AWS access key ids, GitHub, GitLab,
//!   Slack (and Slack/Discord webhooks), Google API keys and OAuth tokens,
//!   Stripe, OpenAI/Anthropic, npm, PyPI, SendGrid, Vault, DigitalOcean,
//!   Shopify, Hugging Face, age secret keys, JWTs;
//! - private key PEM blocks;
//! - command lines: `--password X` / `--token X` (any flag naming a secret),
//!   and the password flags of known tools (`mysql -pX`, `redis-cli -a X`,
//!   `sshpass -p X`, `curl -u user:X`, `ldapsearch -w X`, `docker login -p X`);
//! - Redis `requirepass` / `masterauth` directives and `AUTH` in MONITOR output.
//!
//! One [`RegexSet`] pass tells which shapes a text holds; only those rules
//! then run, so the common case (nothing secret) costs one scan.
//!
//! `--redact-hosts` adds [`HostRedactor`]: host names and IP addresses become
//! stable pseudonyms.

use std::borrow::Cow;
use std::collections::{BTreeSet, HashMap};
use std::sync::LazyLock;

use regex::{Captures, Regex, RegexSet};

use crate::report::{Cell, Report};

/// What a secret is replaced with.
const MASK: &str = "***";

/// An ASCII word boundary: the Unicode one would keep the fast DFA from running.
const B: &str = r"(?-u:\b)";

/// The one redaction of free text: every secret shape masked.
pub fn secrets(text: &str) -> Cow<'_, str> {
    let rules = &*RULES;
    let matched = rules.set.matches(text);
    if !matched.matched_any() {
        return Cow::Borrowed(text);
    }
    let mut current = Cow::Borrowed(text);
    for index in &matched {
        let (shape, regex) = &rules.rules[index];
        if let Cow::Owned(changed) = apply(*shape, regex, &current) {
            current = Cow::Owned(changed);
        }
    }
    current
}

/// [`secrets`], owned.
pub fn secrets_in_text(text: &str) -> String {
    secrets(text).into_owned()
}

/// A URL fit to show: its password and query secrets replaced by `***`.
pub fn url(text: &str) -> String {
    secrets_in_text(text)
}

/// A copy of `report` with every string a renderer shows redacted.
pub fn report(report: &Report) -> Report {
    let mut clean = report.clone();
    for check in &mut clean.checks {
        in_place(&mut check.name);
        in_place(&mut check.message);
        if let Some(hint) = &mut check.hint {
            in_place(hint);
        }
    }
    for section in &mut clean.sections {
        in_place(&mut section.title);
        for cell in section.rows.iter_mut().flatten() {
            if let Cell::Text(text) = cell {
                in_place(text);
            }
        }
    }
    for metric in &mut clean.metrics {
        for (_, value) in &mut metric.labels {
            in_place(value);
        }
    }
    for chart in &mut clean.charts {
        in_place(&mut chart.name);
        in_place(&mut chart.caption);
    }
    clean
}

fn in_place(text: &mut String) {
    if let Cow::Owned(clean) = secrets(text) {
        *text = clean;
    }
}

// ---------------------------------------------------------------------------
// The rules

#[derive(Clone, Copy, Debug)]
enum Shape {
    PrivateKey,
    Header,
    UrlUserinfo,
    Token,
    KeyValue,
    Flag,
    Tool,
    Bearer,
    Directive,
}

struct Rules {
    set: RegexSet,
    /// In the order they run: a later rule sees the masks of earlier ones.
    rules: Vec<(Shape, Regex)>,
}

/// What a log template puts where a line had a variable part (`<NUM>`, `<*>`).
const PLACEHOLDER: &str = r"<(?:\*|[A-Z]{2,5})>";

/// Keywords a key or flag naming a secret contains; [`names_secret`] decides.
const KEY_HINT: &str = "(?i:pass|pwd|secret|token|key|auth|cred|sig)";

/// A value after `key=` / `key: `: TOML multi-line strings, escaped and plain
/// quoted strings (an unterminated one runs to the end of the line), arrays
/// and inline tables on one line, or a bare word. A bare word may hold the
/// placeholders of log templates (in `ab<NUM>cd` the letters around a masked
/// number are the secret's). It ends at whitespace, a quote, `,`, `;`, `&`, `<`, `>` or a `\n`-style escape, so
/// masking never eats the quote that closes a string around it.
const VALUE: &str = concat!(
    r#""""(?s:.*?)"""|'''(?s:.*?)'''"#,
    r#"|\\"(?:[^"\\\n]|\\[^"\n])*\\""#,
    r#"|"(?:[^"\\\n]|\\.)*"|"[^"\n]*"#,
    r#"|'(?:[^'\\\n]|\\.)*'|'[^'\n]*"#,
    r"|`[^`\n]*`",
    r"|\[[^\[\]\n]*\]|\{[^{}\n]*\}",
    r#"|(?:[^\s"'`,;&<>\\\[{]|\\[^nrt"'\\\s]|<(?:\*|[A-Z]{2,5})>)(?:[^\s"'`,;&<>\\]|\\[^nrt"'\\\s]|<(?:\*|[A-Z]{2,5})>)*"#,
);

/// Self-announcing tokens: `(keep, body)`; `keep` stays visible so a reader
/// still sees what kind of credential was there.
const TOKENS: &[(&str, &str)] = &[
    // AWS access key ids (the secret key has no shape of its own: see KeyValue).
    (r"AKIA|ASIA|ABIA|ACCA|A3T[A-Z0-9]", r"[A-Z0-9]{16}(?-u:\b)"),
    // GitHub: classic, OAuth, user-to-server, server-to-server, refresh; fine-grained.
    (r"gh[pousr]_", r"[A-Za-z0-9]{30,}"),
    (r"github_pat_", r"[A-Za-z0-9_]{20,}"),
    (
        r"gl(?:pat|ptt|rt|dt|cbt|soat|ft|imt|oas|agent)-",
        r"[A-Za-z0-9_-]{20,}",
    ),
    // Slack tokens and webhooks; Discord webhooks.
    (r"xox[abposre]-", r"[A-Za-z0-9-]{10,}"),
    (r"xapp-", r"[0-9]-[A-Za-z0-9-]{10,}"),
    (
        r"https://hooks\.slack\.com/(?:services|workflows|triggers)/",
        r"[A-Za-z0-9/_-]+",
    ),
    (
        r"https://(?:ptb\.|canary\.)?discord(?:app)?\.com/api/webhooks/",
        r"[0-9]+/[A-Za-z0-9_-]+",
    ),
    // Google: API keys, OAuth access tokens, OAuth client secrets.
    (r"AIza", r"[0-9A-Za-z_-]{35}"),
    (r"ya29\.", r"[0-9A-Za-z_-]{20,}"),
    (r"GOCSPX-", r"[0-9A-Za-z_-]{20,}"),
    // Stripe secret and restricted keys, webhook secrets.
    (r"(?:sk|rk)_(?:live|test)_", r"[0-9A-Za-z]{10,}"),
    (r"whsec_", r"[0-9A-Za-z]{20,}"),
    // OpenAI and Anthropic.
    (r"sk-(?:ant-|proj-)?", r"[A-Za-z0-9_-]{32,}"),
    (r"npm_", r"[A-Za-z0-9]{36}(?-u:\b)"),
    (r"pypi-", r"AgEIcHlwaS5vcmc[A-Za-z0-9_-]{20,}"),
    (r"SG\.", r"[A-Za-z0-9_-]{16,}\.[A-Za-z0-9_-]{16,}"),
    // HashiCorp Vault service, batch and recovery tokens.
    (r"hv[sbr]\.", r"[A-Za-z0-9_-]{24,}"),
    (r"do[opr]_v1_", r"[a-f0-9]{64}(?-u:\b)"),
    (r"shp(?:at|ca|pa|ss)_", r"[a-fA-F0-9]{32}(?-u:\b)"),
    (r"hf_", r"[A-Za-z]{34}(?-u:\b)"),
    (r"AGE-SECRET-KEY-1", r"[0-9A-Z]{58}"),
    // JWT: header and payload are base64url JSON objects, so both start `eyJ`.
    (
        r"eyJ",
        r"[A-Za-z0-9_-]{5,}\.eyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]*",
    ),
];

/// Tools whose short flags carry a password, and those flags: `p` is
/// `-pSECRET` or `-p SECRET`; curl's `u` and smbclient's `U` hold
/// `user:password` / `user%password`, of which only the password goes.
fn tool_flags(tool: &str) -> &'static [char] {
    let tool = tool.to_ascii_lowercase();
    if tool.starts_with("mysql")
        || tool.starts_with("mariadb")
        || tool.starts_with("mongo")
        || tool == "sshpass"
        || tool.ends_with(" login")
        || tool.ends_with("\tlogin")
    {
        &['p']
    } else if tool.ends_with("-cli") || tool == "redis-benchmark" {
        &['a']
    } else if tool.starts_with("ldap") {
        &['w']
    } else if tool == "curl" {
        &['u', 'U']
    } else if tool == "smbclient" {
        &['U']
    } else {
        &[]
    }
}

static RULES: LazyLock<Rules> = LazyLock::new(|| {
    let tokens: Vec<String> = TOKENS
        .iter()
        .enumerate()
        .map(|(i, (keep, body))| {
            // URLs start at a scheme, not a word boundary worth checking.
            let start = if keep.starts_with("https") { "" } else { B };
            // In a log template the token's digits are `<NUM>`: its letters still go.
            let templated = format!("(?:[A-Za-z0-9_./+-]|{PLACEHOLDER})*{PLACEHOLDER}(?:[A-Za-z0-9_./+-]|{PLACEHOLDER})*");
            format!("{start}(?P<t{i}>{keep})(?:{body}|{templated})")
        })
        .collect();
    let patterns: Vec<(Shape, String)> = vec![
        (
            Shape::PrivateKey,
            r"(?P<begin>-----BEGIN[ A-Z0-9]*PRIVATE KEY(?: BLOCK)?-----)(?:(?s:.*?)(?P<end>-----END[ A-Z0-9]*PRIVATE KEY(?: BLOCK)?-----)|[^\n]*(?m:(?:\r?\n(?:[A-Za-z0-9+/=]{8,}|[A-Za-z-]+: [^\r\n]*)?\r?$)*))"
                .to_owned(),
        ),
        (
            Shape::Header,
            format!(
                r#"(?i)(?P<name>{B}(?:proxy-)?authorization|{B}(?:set-)?cookie)(?P<sep>\\?["']?[ \t]*[:=][ \t]*\\?["']?)(?P<rest>[^\r\n"'`\\]+)"#
            ),
        ),
        (
            Shape::UrlUserinfo,
            r#"(?P<head>[A-Za-z][A-Za-z0-9+.-]*://[^/\s:@"'<>]*:)(?P<secret>[^\s/"'<>]+)@"#.to_owned(),
        ),
        (Shape::Token, tokens.join("|")),
        (
            Shape::KeyValue,
            format!(
                r#"(?P<key>[A-Za-z0-9_.-]*{KEY_HINT}[A-Za-z0-9_.-]*)(?:\\?["'])?[ \t]*(?P<sep>:=|=>|=|:)[ \t]*(?P<value>{VALUE})"#
            ),
        ),
        (
            Shape::Flag,
            format!(
                r#"(?:^|[\s"'=])(?P<flag>--?[A-Za-z0-9_-]*{KEY_HINT}[A-Za-z0-9_-]*)(?:[ \t]+|["'],[ \t]*)(?P<value>"(?:[^"\\\n]|\\.)*"|'[^'\n]*'|[^\s"'-][^\s"']*)"#
            ),
        ),
        (
            Shape::Tool,
            format!(
                r"(?i){B}(?P<tool>mysql(?:dump|admin|import|check|pump|sh)?|mariadb(?:-?dump|-?admin)?|mongo(?:sh|dump|restore|export|import|stat|top)?|sshpass|redis-cli|redis-benchmark|keydb-cli|valkey-cli|ldap(?:search|add|modify|delete|whoami|passwd|compare|modrdn)|curl|smbclient|(?:docker|podman|nerdctl|buildah|skopeo|oras)[ \t]+login){B}(?P<rest>[^\n]*)"
            ),
        ),
        (
            Shape::Bearer,
            format!(r"(?i){B}bearer[ \t]+(?P<token>[A-Za-z0-9\-._~+/]+=*)"),
        ),
        (
            Shape::Directive,
            format!(
                r#"(?i){B}(?:requirepass|masterauth)[ \t]+(?P<value>"[^"\n]*"|'[^'\n]*'|[^\s"']+)|"(?i:auth)"(?P<args>(?:[ \t]+"[^"\n]*")+)"#
            ),
        ),
    ];
    let set = RegexSet::new(patterns.iter().map(|(_, pattern)| pattern))
        .expect("the redaction patterns compile");
    let rules = patterns
        .into_iter()
        .map(|(shape, pattern)| {
            let regex = Regex::new(&pattern).expect("the redaction patterns compile");
            (shape, regex)
        })
        .collect();
    Rules { set, rules }
});

/// Replaces each match for which `mask` returns a replacement; borrows when none does.
fn replace_each<'t>(
    regex: &Regex,
    text: &'t str,
    mut mask: impl FnMut(&Captures<'_>) -> Option<String>,
) -> Cow<'t, str> {
    let mut out = String::new();
    let mut last = 0;
    let mut changed = false;
    for caps in regex.captures_iter(text) {
        let whole = caps.get(0).expect("group 0 always matches");
        if let Some(replacement) = mask(&caps) {
            if replacement != whole.as_str() {
                out.push_str(&text[last..whole.start()]);
                out.push_str(&replacement);
                last = whole.end();
                changed = true;
            }
        }
    }
    if !changed {
        return Cow::Borrowed(text);
    }
    out.push_str(&text[last..]);
    Cow::Owned(out)
}

/// `caps[name]`'s text, or "".
fn group<'c>(caps: &'c Captures<'_>, name: &str) -> &'c str {
    caps.name(name).map_or("", |m| m.as_str())
}

/// The match up to where group `name` starts, kept as it was.
fn head<'c>(caps: &'c Captures<'_>, name: &str, text: &'c str) -> &'c str {
    let whole = caps.get(0).expect("group 0 always matches");
    let start = caps.name(name).map_or(whole.end(), |m| m.start());
    &text[whole.start()..start]
}

fn apply<'t>(shape: Shape, regex: &Regex, text: &'t str) -> Cow<'t, str> {
    match shape {
        Shape::PrivateKey => replace_each(regex, text, |caps| {
            let whole = caps.get(0).expect("group 0 always matches");
            let begin = group(caps, "begin");
            let end = group(caps, "end");
            let after = &text[whole.end()..];
            if whole.len() == begin.len()
                && (after.starts_with("\n***") || after.starts_with(" ***"))
            {
                return None; // masked already, its end cut off
            }
            let gap = if caps[0].contains('\n') { "\n" } else { " " };
            Some(
                format!("{begin}{gap}{MASK}{gap}{end}")
                    .trim_end()
                    .to_owned(),
            )
        }),
        Shape::Header => replace_each(regex, text, |caps| {
            let name = group(caps, "name");
            let rest = mask_header(name, group(caps, "rest"))?;
            Some(format!("{}{rest}", head(caps, "rest", text)))
        }),
        Shape::UrlUserinfo => replace_each(regex, text, |caps| {
            (group(caps, "secret") != MASK).then(|| format!("{}{MASK}@", group(caps, "head")))
        }),
        Shape::Token => replace_each(regex, text, |caps| {
            let keep = (0..TOKENS.len()).find_map(|i| caps.name(&format!("t{i}")))?;
            Some(format!("{}{MASK}", keep.as_str()))
        }),
        Shape::KeyValue => replace_each(regex, text, |caps| {
            let key = caps.name("key")?;
            let value = group(caps, "value");
            let before = text[..key.start()].chars().next_back();
            if group(caps, "sep") == ":"
                && (value.starts_with(':') || matches!(before, Some('/' | '@')))
            {
                // `Type::token::x` and `http://auth:8080/` are not assignments.
                return None;
            }
            let in_query = matches!(before, Some('?' | '&' | ';'));
            // `password= next words`: an empty value, not "next".
            let spaced = |t: &str| t.ends_with([' ', '\t']);
            let sep = caps.name("sep").expect("the pattern has a separator");
            let before_value =
                &text[sep.end()..caps.name("value").map_or(sep.end(), |v| v.start())];
            let empty =
                sep.as_str() == "=" && !before_value.is_empty() && !spaced(&text[..sep.start()]);
            if empty
                || !names_secret(key.as_str(), in_query)
                || is_working_directory(key.as_str(), value)
            {
                return None;
            }
            Some(format!(
                "{}{}",
                head(caps, "value", text),
                mask_value(value)?
            ))
        }),
        Shape::Flag => replace_each(regex, text, |caps| {
            let flag = group(caps, "flag").trim_start_matches('-');
            let boolean = flag.len() > 3 && flag[..3].eq_ignore_ascii_case("no-");
            if boolean || !names_secret(flag, false) {
                return None;
            }
            Some(format!(
                "{}{}",
                head(caps, "value", text),
                mask_value(group(caps, "value"))?
            ))
        }),
        Shape::Tool => replace_each(regex, text, |caps| {
            let tool = group(caps, "tool");
            let rest = mask_tool_arguments(tool, group(caps, "rest"))?;
            Some(format!("{}{rest}", head(caps, "rest", text)))
        }),
        Shape::Bearer => replace_each(regex, text, |caps| {
            let token = group(caps, "token");
            let digits = token.chars().any(|c| c.is_ascii_digit());
            // "Bearer authentication failed" is prose; a credential is long and mixed.
            (token.len() >= 8 && (digits || token.len() >= 20))
                .then(|| format!("{}{MASK}", head(caps, "token", text)))
        }),
        Shape::Directive => replace_each(regex, text, |caps| {
            if let Some(args) = caps.name("args") {
                let masked = QUOTED.replace_all(args.as_str(), |q: &Captures<'_>| {
                    mask_value(&q[0]).unwrap_or_else(|| q[0].to_owned())
                });
                return Some(format!("{}{masked}", head(caps, "args", text)));
            }
            Some(format!(
                "{}{}",
                head(caps, "value", text),
                mask_value(group(caps, "value"))?
            ))
        }),
    }
}

static QUOTED: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r#""(?:[^"\\\n]|\\.)*"|'(?:[^'\\\n]|\\.)*'"#).unwrap());

/// An `Authorization` value keeps its scheme: `Basic ***`. Schemes whose
/// credentials are several parameters (Digest, AWS4-HMAC-SHA256) lose all of
/// them. A cookie keeps its names: `session=***; theme=***`.
fn mask_header(name: &str, rest: &str) -> Option<String> {
    let trimmed = rest.trim_end();
    let tail = &rest[trimmed.len()..];
    if name.to_ascii_lowercase().ends_with("cookie") {
        let pairs: Vec<String> = trimmed
            .split(';')
            .map(|pair| match pair.split_once('=') {
                Some((name, value)) if !value.is_empty() && value != MASK => {
                    format!("{name}={MASK}")
                }
                _ => pair.to_owned(),
            })
            .collect();
        return Some(format!("{}{tail}", pairs.join(";")));
    }
    let mut words = trimmed.splitn(2, [' ', '\t']);
    let first = words.next().unwrap_or_default();
    let masked = match words.next().map(str::trim_start) {
        Some(credential) => {
            let single = [
                "basic", "bearer", "token", "apikey", "api-key", "bot", "sso-key",
            ]
            .contains(&first.to_ascii_lowercase().as_str());
            let (secret, after) = if single {
                credential.split_at(
                    credential
                        .find([' ', '\t', ','])
                        .unwrap_or(credential.len()),
                )
            } else {
                (credential, "")
            };
            if secret.is_empty() || secret == MASK {
                return None;
            }
            format!("{first} {MASK}{after}")
        }
        None if first == MASK || first.is_empty() => return None,
        None => MASK.to_owned(),
    };
    Some(format!("{masked}{tail}"))
}

/// The value with its secret part masked and its quotes kept; None when
/// there is nothing to hide (empty, already masked, a `$VARIABLE`, a boolean).
fn mask_value(value: &str) -> Option<String> {
    for quote in ["\"\"\"", "'''", "\\\"", "\"", "'", "`"] {
        if let Some(inner) = value.strip_prefix(quote) {
            let inner = inner.strip_suffix(quote).unwrap_or(inner);
            let closed = value.len() >= 2 * quote.len() && value.ends_with(quote);
            if keeps(inner) {
                return None;
            }
            return Some(if closed {
                format!("{quote}{MASK}{quote}")
            } else {
                format!("{quote}{MASK}")
            });
        }
    }
    if let Some(open) = value.chars().next().filter(|c| matches!(c, '[' | '{')) {
        let close = if open == '[' { ']' } else { '}' };
        let inner = &value[1..value.len() - 1];
        if QUOTED.is_match(inner) {
            let masked = QUOTED.replace_all(inner, |q: &Captures<'_>| {
                mask_value(&q[0]).unwrap_or_else(|| q[0].to_owned())
            });
            return Some(format!("{open}{masked}{close}"));
        }
        return (!keeps(inner.trim())).then(|| format!("{open}{MASK}{close}"));
    }
    // Punctuation that ends a sentence or a bracket is the text's, not the value's.
    let word = value.trim_end_matches(['.', ':', ')', ']', '}', '!', '?']);
    (!keeps(value) && !keeps(word)).then(|| format!("{MASK}{}", &value[word.len()..]))
}

/// Values that hide nothing: empty, masked already, a reference to an
/// environment variable (`$DB_PASSWORD`, `${TOKEN}`, `%API_KEY%`), a log
/// template's placeholder (`<NUM>`, `<*>`), a boolean or null.
fn keeps(value: &str) -> bool {
    static REFERENCE: LazyLock<Regex> = LazyLock::new(|| {
        Regex::new(r"^(?:\$[A-Z_][A-Z0-9_]*|\$\{[A-Z_][A-Z0-9_]*\}|%[A-Z_][A-Z0-9_]*%)$").unwrap()
    });
    static PLACEHOLDERS: LazyLock<Regex> =
        LazyLock::new(|| Regex::new(r"^(?:<(?:\*|[A-Z]{2,5})>)+$").unwrap());
    value.is_empty()
        || value.chars().all(|c| c == '*')
        || REFERENCE.is_match(value)
        || PLACEHOLDERS.is_match(value)
        || ["true", "false", "null", "none"]
            .iter()
            .any(|word| value.eq_ignore_ascii_case(word))
}

/// `PWD=/srv/app` and `OLDPWD` in an environment are the shell's working
/// directory, not a password (ODBC's `PWD=secret` is).
fn is_working_directory(key: &str, value: &str) -> bool {
    let key = key.to_ascii_lowercase();
    (key == "pwd" || key == "oldpwd") && (value.starts_with('/') || value.starts_with('~'))
}

/// The arguments after a known tool with the values of its password flags
/// masked; a later tool on the line (`mysql … && redis-cli -a X`) brings its own flags.
fn mask_tool_arguments(tool: &str, rest: &str) -> Option<String> {
    let words = shell_words(rest);
    let mut flags = tool_flags(tool);
    let mut spans: Vec<(usize, usize, String)> = Vec::new();
    let mut index = 0;
    while index < words.len() {
        let (start, end) = words[index];
        let word = &rest[start..end];
        let name = word.rsplit('/').next().unwrap_or(word);
        let after = index
            .checked_sub(1)
            .map(|i| &rest[words[i].0..words[i].1])
            .map(|previous| previous.rsplit('/').next().unwrap_or(previous));
        let switched = match after {
            Some(previous) if name == "login" => tool_flags(&format!("{previous} login")),
            _ => tool_flags(name),
        };
        if !switched.is_empty() {
            flags = switched;
            index += 1;
            continue;
        }
        let short = word
            .strip_prefix('-')
            .filter(|w| !w.starts_with('-'))
            .and_then(|w| {
                let flag = w.chars().next()?;
                flags.contains(&flag).then_some((flag, &w[1..]))
            });
        let long_user = matches!(word, "--user" | "--proxy-user") && flags.contains(&'u');
        match short {
            Some((flag, attached)) if !attached.is_empty() => {
                if let Some(masked) = mask_credential(flag, attached) {
                    spans.push((start + 2, end, masked));
                }
            }
            _ if short.is_some() || long_user => {
                let flag = short.map_or('u', |(flag, _)| flag);
                if let Some(&(next_start, next_end)) = words.get(index + 1) {
                    let next = &rest[next_start..next_end];
                    if !next.starts_with('-') {
                        if let Some(masked) = mask_credential(flag, next) {
                            spans.push((next_start, next_end, masked));
                        }
                        index += 1;
                    }
                }
            }
            _ => {}
        }
        index += 1;
    }
    if spans.is_empty() {
        return None;
    }
    let mut out = String::with_capacity(rest.len());
    let mut last = 0;
    for (start, end, masked) in spans {
        out.push_str(&rest[last..start]);
        out.push_str(&masked);
        last = end;
    }
    out.push_str(&rest[last..]);
    Some(out)
}

/// A password argument masked: whole, or after `user:` (curl) / `user%` (smbclient).
fn mask_credential(flag: char, argument: &str) -> Option<String> {
    let separator = match flag {
        'u' => Some(':'),
        'U' => Some(if argument.contains('%') { '%' } else { ':' }),
        _ => None,
    };
    match separator {
        Some(separator) => {
            let (user, password) = argument.split_once(separator)?;
            let password = password.trim_end_matches(['"', '\'']);
            let quote = &argument[user.len() + 1 + password.len()..];
            (!keeps(password)).then(|| format!("{user}{separator}{MASK}{quote}"))
        }
        None => mask_value(argument),
    }
}

/// Spans of shell words: split at unquoted whitespace, quotes kept in the word.
fn shell_words(text: &str) -> Vec<(usize, usize)> {
    let mut words = Vec::new();
    let mut start = None;
    let mut quote = None;
    for (i, c) in text.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, c) if c.is_whitespace() => {
                if let Some(s) = start.take() {
                    words.push((s, i));
                }
            }
            (None, c) => {
                start.get_or_insert(i);
                if c == '"' || c == '\'' {
                    quote = Some(c);
                }
            }
        }
    }
    if let Some(s) = start {
        words.push((s, text.len()));
    }
    words
}

// ---------------------------------------------------------------------------
// Which keys name a secret

/// Last words that make a key a secret, also as the end of one word
/// (`PGPASSWORD`, `requirepass`, `masterauth`, `csrftoken`).
const SECRET_ENDINGS: &[&str] = &[
    "password",
    "passwd",
    "passphrase",
    "pwd",
    "pass",
    "secret",
    "secrets",
    "token",
    "auth",
    "credential",
    "credentials",
];

/// Words that make a following `key` a secret one (`api_key`, `secretAccessKey`).
const KEY_QUALIFIERS: &[&str] = &[
    "api",
    "access",
    "secret",
    "private",
    "client",
    "app",
    "application",
    "auth",
    "signing",
    "encryption",
    "decryption",
    "master",
    "account",
    "session",
    "license",
    "shared",
    "service",
    "subscription",
    "consumer",
    "webhook",
    "deploy",
    "storage",
    "hmac",
    "jwt",
    "admin",
    "root",
    "sas",
];

/// Trailing words that describe a secret's form, not what it is: `token_hash`
/// is still the token; `secret_key_base` still the key.
const FORM_WORDS: &[&str] = &[
    "value",
    "hash",
    "base",
    "b64",
    "base64",
    "raw",
    "enc",
    "encrypted",
    "string",
    "str",
    "plain",
    "plaintext",
    "hex",
    "bytes",
    "data",
];

/// Whether `key` (a config key, variable, header, flag or query parameter)
/// names a secret. The rule: split the key into words (at `_ - .` and
/// camelCase), drop trailing form words (`hash`, `value`, `base`…); the key
/// is a secret when its last word is, or ends with, a secret word
/// (`password`, `passwd`, `pwd`, `pass`, `passphrase`, `secret(s)`, `token`,
/// `auth`, `credential(s)`), or is `key` after a qualifier (`api`, `access`,
/// `secret`, `private`, `client`…; also as one word: `apikey`,
/// `secretkey`). In a URL query `key`, `sig` and `signature` alone are
/// secrets too (`?key=AIza…`, `&X-Amz-Signature=`, Azure's `&sig=`).
///
/// So the last word decides: `password_reset_count=3`, `token_expiry=3600`,
/// `password_file=/run/secrets/db`, `access_key_id=…` and `max_tokens=100`
/// stay readable, while `DB_PASSWORD`, `aws_secret_access_key`,
/// `X-Api-Key` and `redis_password_hash` are masked.
pub fn names_secret(key: &str, in_query: bool) -> bool {
    let words = words(key);
    let mut end = words.len();
    while end > 1 && FORM_WORDS.contains(&words[end - 1].as_str()) {
        end -= 1;
    }
    let words = &words[..end];
    let Some(last) = words.last() else {
        return false;
    };
    if SECRET_ENDINGS.iter().any(|ending| last.ends_with(ending)) {
        return true;
    }
    if let Some(stem) = last.strip_suffix("key") {
        if stem.is_empty() {
            let qualified =
                words.len() >= 2 && KEY_QUALIFIERS.contains(&words[words.len() - 2].as_str());
            return qualified || (in_query && words.len() == 1);
        }
        return KEY_QUALIFIERS.iter().any(|q| stem.ends_with(q));
    }
    in_query && ["sig", "signature"].contains(&last.as_str())
}

/// Lowercase words of an identifier: `X-Amz-Signature` → x amz signature,
/// `secretAccessKey` → secret access key, `APIKey` → api key.
fn words(key: &str) -> Vec<String> {
    let mut words = Vec::new();
    for part in key.split(|c: char| !c.is_ascii_alphanumeric()) {
        let chars: Vec<char> = part.chars().collect();
        let mut word = String::new();
        for (i, &c) in chars.iter().enumerate() {
            let previous = i.checked_sub(1).map(|p| chars[p]);
            let next = chars.get(i + 1);
            let boundary = c.is_ascii_uppercase()
                && match previous {
                    Some(p) if p.is_ascii_lowercase() || p.is_ascii_digit() => true,
                    Some(p) if p.is_ascii_uppercase() => next.is_some_and(char::is_ascii_lowercase),
                    _ => false,
                };
            if boundary && !word.is_empty() {
                words.push(std::mem::take(&mut word));
            }
            word.push(c.to_ascii_lowercase());
        }
        if !word.is_empty() {
            words.push(word);
        }
    }
    words
}

// ---------------------------------------------------------------------------
// Whole documents: the support bundle's files

/// What a bundle file holds, for redaction that keeps it parseable.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Kind {
    Toml,
    Json,
    Text,
}

impl Kind {
    /// By file name: `.toml`, `.json`, anything else is text.
    pub fn of(name: &str) -> Kind {
        if name.ends_with(".toml") {
            Kind::Toml
        } else if name.ends_with(".json") {
            Kind::Json
        } else {
            Kind::Text
        }
    }
}

/// A whole file redacted. TOML and JSON stay valid with the same keys: the
/// text rules run first (they keep comments and layout), and when their
/// result would not parse, lost or renamed a key, or still holds a value a
/// secret key names, the file is rebuilt from its parsed form with every
/// string redacted instead.
pub fn document(text: &str, kind: Kind, mut hosts: Option<&mut HostRedactor>) -> String {
    let mut clean = secrets_in_text(text);
    if let Some(hosts) = hosts.as_deref_mut() {
        clean = hosts.apply(&clean);
    }
    match kind {
        Kind::Text => clean,
        Kind::Toml => {
            let Ok(original) = text.parse::<toml::Table>() else {
                return clean;
            };
            let kept = clean.parse::<toml::Table>().is_ok_and(|parsed| {
                let wrapped = toml::Value::Table(parsed);
                let mut again = wrapped.clone();
                clean_toml(&mut again, false, None);
                key_paths_toml(&wrapped) == key_paths_toml(&toml::Value::Table(original.clone()))
                    && again == wrapped
            });
            if kept {
                return clean;
            }
            let mut value = toml::Value::Table(original);
            clean_toml(&mut value, false, hosts);
            let body = toml::to_string(&value).expect("a parsed TOML table serialises");
            format!(
                "# maint: rewritten from the parsed file to redact it; comments dropped\n{body}"
            )
        }
        Kind::Json => {
            let Ok(original) = serde_json::from_str::<serde_json::Value>(text) else {
                return clean;
            };
            let kept = serde_json::from_str::<serde_json::Value>(&clean).is_ok_and(|parsed| {
                let mut again = parsed.clone();
                clean_json(&mut again, false, None);
                key_paths_json(&parsed) == key_paths_json(&original) && again == parsed
            });
            if kept {
                return clean;
            }
            let mut value = original;
            clean_json(&mut value, false, hosts);
            let mut body =
                serde_json::to_string_pretty(&value).expect("a parsed JSON value serialises");
            body.push('\n');
            body
        }
    }
}

/// A string inside a document: everything masked when its key names a secret.
fn clean_string(text: &mut String, secret: bool, hosts: Option<&mut HostRedactor>) {
    if secret {
        if !keeps(text) {
            MASK.clone_into(text);
        }
        return;
    }
    in_place(text);
    if let Some(hosts) = hosts {
        *text = hosts.apply(text);
    }
}

fn clean_toml(value: &mut toml::Value, secret: bool, mut hosts: Option<&mut HostRedactor>) {
    match value {
        toml::Value::String(text) => clean_string(text, secret, hosts),
        toml::Value::Integer(_) | toml::Value::Float(_) | toml::Value::Datetime(_) if secret => {
            *value = toml::Value::String(MASK.to_owned());
        }
        toml::Value::Array(items) => {
            for item in items {
                clean_toml(item, secret, hosts.as_deref_mut());
            }
        }
        toml::Value::Table(table) => {
            for (key, item) in table.iter_mut() {
                let secret = secret || names_secret(key, false);
                clean_toml(item, secret, hosts.as_deref_mut());
            }
        }
        _ => {}
    }
}

fn clean_json(value: &mut serde_json::Value, secret: bool, mut hosts: Option<&mut HostRedactor>) {
    use serde_json::Value;
    match value {
        Value::String(text) => clean_string(text, secret, hosts),
        Value::Number(_) if secret => *value = Value::String(MASK.to_owned()),
        Value::Array(items) => {
            for item in items {
                clean_json(item, secret, hosts.as_deref_mut());
            }
        }
        Value::Object(map) => {
            for (key, item) in map.iter_mut() {
                let secret = secret || names_secret(key, false);
                clean_json(item, secret, hosts.as_deref_mut());
            }
        }
        _ => {}
    }
}

/// The key paths of a TOML document, as those of the same data in JSON.
fn key_paths_toml(value: &toml::Value) -> BTreeSet<String> {
    serde_json::to_value(value).map_or_else(|_| BTreeSet::new(), |json| key_paths_json(&json))
}

fn key_paths_json(value: &serde_json::Value) -> BTreeSet<String> {
    fn walk(value: &serde_json::Value, path: &str, out: &mut BTreeSet<String>) {
        match value {
            serde_json::Value::Object(map) => {
                for (key, item) in map {
                    let path = format!("{path}.{key}");
                    out.insert(path.clone());
                    walk(item, &path, out);
                }
            }
            serde_json::Value::Array(items) => {
                for (i, item) in items.iter().enumerate() {
                    walk(item, &format!("{path}[{i}]"), out);
                }
            }
            _ => {}
        }
    }
    let mut out = BTreeSet::new();
    walk(value, "", &mut out);
    out
}

// ---------------------------------------------------------------------------
// Host names

/// Top-level domains a dotted word must end in to be taken for a host name
/// in free text: the common generic ones and those used inside networks.
/// Country codes count only with three labels or more (`db.corp.de`), so
/// `app.py`, `main.rs` and `user.id` stay file and field names.
const TLDS: &[&str] = &[
    "com",
    "net",
    "org",
    "edu",
    "gov",
    "mil",
    "int",
    "info",
    "biz",
    "io",
    "dev",
    "app",
    "cloud",
    "tech",
    "online",
    "site",
    "xyz",
    "pro",
    "name",
    "local",
    "localdomain",
    "lan",
    "internal",
    "intranet",
    "corp",
    "home",
    "private",
    "test",
    "example",
    "invalid",
    "arpa",
    "svc",
    "consul",
];

/// Country codes that are also common file extensions or field names.
const NOT_TLDS: &[&str] = &[
    "sh", "py", "rs", "md", "pl", "pm", "so", "ps", "tf", "la", "am", "in", "ac", "mk", "ml", "cc",
    "ai", "id", "by", "to", "at", "is", "it", "as", "do", "no", "me", "my", "gz", "js", "ts", "go",
];

static ADDRESSES: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r"(?P<v4>(?:[0-9]{1,3}\.){3}[0-9]{1,3})",
        r"|(?P<v6>[0-9A-Fa-f]{0,4}(?::[0-9A-Fa-f]{0,4}){2,7}(?:(?:[0-9]{1,3}\.){3}[0-9]{1,3})?)",
        r"|(?P<name>[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)+)",
    ))
    .unwrap()
});

/// Places that name a host: URL authorities, `-h`/`--host` flags,
/// `host=`/`PGHOST=`/`"hostname":` keys, and `user@host`.
static HOST_PLACES: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(concat!(
        r#"[A-Za-z][A-Za-z0-9+.-]*://(?:[^/\s@"'<>]*@)?(?P<url>[A-Za-z0-9._-]+)"#,
        r"|(?:^|\s)(?:-h|--host|--hostname)(?:[ \t]+|=)(?P<flag>[A-Za-z0-9._-]+)",
        r#"|(?i:(?-u:\b)[a-z0-9_]*host(?:name)?)\\?["']?[ \t]*[:=][ \t]*\\?["']?(?P<key>[A-Za-z0-9._-]+)"#,
        r"|[A-Za-z0-9._%+-]+@(?P<at>[A-Za-z][A-Za-z0-9.-]*[A-Za-z0-9])",
    ))
    .unwrap()
});

/// Replaces host names and IP addresses with stable pseudonyms (`host-1`,
/// `ip-1`): the same name always becomes the same pseudonym, so the files of
/// a bundle still correlate. Names are those given (this machine's, the
/// config's), those [`HostRedactor::observe`] finds in the texts, and any
/// word shaped like a domain name or IP address. Loopback addresses and
/// `localhost` stay.
#[derive(Debug, Default)]
pub struct HostRedactor {
    /// Lowercase, longest first.
    names: Vec<String>,
    matcher: Option<Regex>,
    pseudonyms: HashMap<String, String>,
    hosts: usize,
    ips: usize,
}

impl HostRedactor {
    /// `names` are the host names to hide (this machine's, those in the config's URLs).
    pub fn new(names: impl IntoIterator<Item = String>) -> Self {
        let mut redactor = HostRedactor::default();
        for name in names {
            redactor.learn(&name);
        }
        redactor
    }

    /// Learns the host names `text` mentions where a host is expected
    /// (`psql -h db-2`, `host=cache`, `deploy@web-3`, `redis://queue:6379`),
    /// so that later mentions of them in free text are replaced too.
    pub fn observe(&mut self, text: &str) {
        for caps in HOST_PLACES.captures_iter(text) {
            let found = ["url", "flag", "key", "at"]
                .iter()
                .find_map(|name| caps.name(name));
            if let Some(found) = found {
                let name = found.as_str();
                let unit = [
                    ".service", ".socket", ".timer", ".mount", ".target", ".slice", ".scope",
                ]
                .iter()
                .any(|suffix| name.ends_with(suffix));
                if !unit {
                    self.learn(name);
                }
            }
        }
    }

    fn learn(&mut self, name: &str) {
        let name = name
            .trim_matches(|c: char| c == '.' || c == '-')
            .to_ascii_lowercase();
        let pseudonym = name
            .split_once('-')
            .is_some_and(|(kind, n)| (kind == "host" || kind == "ip") && n.parse::<u32>().is_ok());
        if name.len() < 2
            || name == "localhost"
            || pseudonym
            || !name.chars().any(|c| c.is_ascii_alphabetic())
            || name.parse::<std::net::IpAddr>().is_ok()
            || self.names.contains(&name)
        {
            return;
        }
        self.names.push(name);
        self.names.sort_by_key(|n| std::cmp::Reverse(n.len()));
        self.matcher = None;
    }

    fn pseudonym(&mut self, original: &str, ip: bool) -> String {
        let key = original.to_ascii_lowercase();
        if let Some(known) = self.pseudonyms.get(&key) {
            return known.clone();
        }
        let made = if ip {
            self.ips += 1;
            format!("ip-{}", self.ips)
        } else {
            self.hosts += 1;
            format!("host-{}", self.hosts)
        };
        self.pseudonyms.insert(key, made.clone());
        made
    }

    pub fn apply(&mut self, text: &str) -> String {
        let first = self.addresses(text);
        let names = self.known_names(&first);
        names.into_owned()
    }

    /// IP addresses and domain-shaped names.
    fn addresses(&mut self, text: &str) -> String {
        let mut out = String::with_capacity(text.len());
        let mut last = 0;
        for caps in ADDRESSES.captures_iter(text) {
            let whole = caps.get(0).expect("group 0 always matches");
            let (before, after) = neighbours(text, whole.start(), whole.end());
            let word = |c: Option<char>| {
                c.is_some_and(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            };
            if word(before) || word(after) {
                continue;
            }
            let candidate = whole.as_str();
            let replacement = if caps.name("v4").is_some() {
                let dotted_on = after == Some('.')
                    && text[whole.end()..]
                        .chars()
                        .nth(1)
                        .is_some_and(|c| c.is_ascii_digit());
                match candidate.parse::<std::net::Ipv4Addr>() {
                    Ok(ip) if !dotted_on && !ip.is_loopback() && !ip.is_unspecified() => {
                        Some(self.pseudonym(candidate, true))
                    }
                    _ => None,
                }
            } else if caps.name("v6").is_some() {
                let colon = |c: Option<char>| c == Some(':') || c == Some('.');
                match candidate.parse::<std::net::Ipv6Addr>() {
                    Ok(ip)
                        if !colon(before)
                            && !colon(after)
                            && !ip.is_loopback()
                            && !ip.is_unspecified() =>
                    {
                        Some(self.pseudonym(candidate, true))
                    }
                    _ => None,
                }
            } else if looks_like_domain(candidate) {
                Some(self.pseudonym(candidate, false))
            } else if let Some(domain) = domain_prefix(candidate) {
                // `www.example.com.access.log`: the host, not the file name.
                let pseudonym = self.pseudonym(domain, false);
                Some(format!("{pseudonym}{}", &candidate[domain.len()..]))
            } else {
                None
            };
            if let Some(replacement) = replacement {
                out.push_str(&text[last..whole.start()]);
                out.push_str(&replacement);
                last = whole.end();
            }
        }
        out.push_str(&text[last..]);
        out
    }

    /// The names given or observed, wherever they stand as a whole word.
    fn known_names<'t>(&mut self, text: &'t str) -> Cow<'t, str> {
        if self.names.is_empty() {
            return Cow::Borrowed(text);
        }
        let matcher = self.matcher.get_or_insert_with(|| {
            let alternatives: Vec<String> = self.names.iter().map(|n| regex::escape(n)).collect();
            Regex::new(&format!("(?i){}", alternatives.join("|"))).expect("escaped names compile")
        });
        let found: Vec<(usize, usize)> = matcher
            .find_iter(text)
            .map(|m| (m.start(), m.end()))
            .collect();
        let mut out = String::with_capacity(text.len());
        let mut last = 0;
        for (start, end) in found {
            let (before, after) = neighbours(text, start, end);
            let word = |c: Option<char>| {
                c.is_some_and(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
            };
            // `app.log` and `vm.max_map_count` are not the hosts `app` and `vm`.
            let dotted_before = before == Some('.');
            let dotted_after = after == Some('.')
                && text[end..]
                    .chars()
                    .nth(1)
                    .is_some_and(|c| c.is_ascii_alphanumeric());
            if word(before) || word(after) || dotted_before || dotted_after {
                continue;
            }
            let replacement = self.pseudonym(&text[start..end], false);
            out.push_str(&text[last..start]);
            out.push_str(&replacement);
            last = end;
        }
        if last == 0 {
            return Cow::Borrowed(text);
        }
        out.push_str(&text[last..]);
        Cow::Owned(out)
    }
}

fn neighbours(text: &str, start: usize, end: usize) -> (Option<char>, Option<char>) {
    (
        text[..start].chars().next_back(),
        text[end..].chars().next(),
    )
}

/// The longest leading labels of a dotted word that end in a public
/// top-level domain: `www.example.com` of `www.example.com.access.log`.
/// Only the big public ones count here, so `config.example.toml` stays.
fn domain_prefix(candidate: &str) -> Option<&str> {
    const PUBLIC: &[&str] = &["com", "net", "org", "edu", "gov", "io", "cloud", "internal"];
    let dots: Vec<usize> = candidate.match_indices('.').map(|(i, _)| i).collect();
    dots.iter().rev().find_map(|&end| {
        let prefix = &candidate[..end];
        let tld = prefix.rsplit('.').next()?;
        (prefix.contains('.') && PUBLIC.contains(&tld.to_ascii_lowercase().as_str()))
            .then_some(prefix)
    })
}

/// A dotted word that ends in a known top-level domain (or a country code,
/// with three labels or more).
fn looks_like_domain(candidate: &str) -> bool {
    let labels: Vec<&str> = candidate.split('.').collect();
    let tld = labels
        .last()
        .map(|l| l.to_ascii_lowercase())
        .unwrap_or_default();
    if TLDS.contains(&tld.as_str()) {
        return true;
    }
    labels.len() >= 3
        && tld.len() == 2
        && tld.chars().all(|c| c.is_ascii_alphabetic())
        && !NOT_TLDS.contains(&tld.as_str())
}

#[cfg(test)]
mod tests {
    use super::*;

    /// `text` redacted must equal `expected`, and redacting again changes nothing.
    #[track_caller]
    fn masks(text: &str, expected: &str) {
        let once = secrets(text);
        assert_eq!(once, expected, "redacting {text:?}");
        assert_eq!(secrets(&once), once, "redacting twice {text:?}");
    }

    #[track_caller]
    fn keeps_as_is(text: &str) {
        assert_eq!(secrets(text), text, "{text:?} should stay as it is");
    }

    #[test]
    fn url_passwords() {
        masks(
            "postgres://app:s3cr%40t@db.internal:5432/app",
            "postgres://app:***@db.internal:5432/app",
        );
        masks(
            "redis://:pw@127.0.0.1:6379/0",
            "redis://:***@127.0.0.1:6379/0",
        );
        // An unescaped `@` in a password must not leave its tail visible.
        masks("postgres://u:p@ss@db/app", "postgres://u:***@db/app");
        masks(
            r#"url = "redis://:pw@cache:6379""#,
            r#"url = "redis://:***@cache:6379""#,
        );
        keeps_as_is("https://example.com/a:b@c");
        keeps_as_is("redis://127.0.0.1:6379");
        keeps_as_is("http://auth:8080/health");
        assert_eq!(url("https://u:p@h/"), "https://u:***@h/");
    }

    #[test]
    fn url_query_secrets() {
        masks(
            "http://127.0.0.1:1/health?token=abc123&api_key=k-456&page=2",
            "http://127.0.0.1:1/health?token=***&api_key=***&page=2",
        );
        masks(
            "https://b.s3.amazonaws.com/o?X-Amz-Credential=AKIAXX%2F2024&X-Amz-Signature=9f8e7d&X-Amz-Date=20240101",
            "https://b.s3.amazonaws.com/o?X-Amz-Credential=***&X-Amz-Signature=***&X-Amz-Date=20240101",
        );
        masks(
            "https://maps.example.com/api?key=abcdef123&sig=xyz987&access_token=t0k",
            "https://maps.example.com/api?key=***&sig=***&access_token=***",
        );
        // Outside a query `key` and `signature` are ordinary words.
        keeps_as_is("sort key=name signature=valid");
    }

    #[test]
    fn key_value_secrets_keep_their_key_and_quotes() {
        masks(
            "login failed password=hunter2 for bob",
            "login failed password=*** for bob",
        );
        masks("PGPASSWORD=pg-pass psql", "PGPASSWORD=*** psql");
        masks("MYSQL_PWD='x y' mysql", "MYSQL_PWD='***' mysql");
        masks(
            "aws_secret_access_key = wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
            "aws_secret_access_key = ***",
        );
        masks(
            r#"{"password": "p\"w", "user": "bob"}"#,
            r#"{"password": "***", "user": "bob"}"#,
        );
        masks(
            r#"{"apiKey":"k1","secretAccessKey":"k2"}"#,
            r#"{"apiKey":"***","secretAccessKey":"***"}"#,
        );
        masks(
            r#"msg="{\"client_secret\":\"cs-1\"}""#,
            r#"msg="{\"client_secret\":\"***\"}""#,
        );
        masks("client_secret: 's3cr3t'", "client_secret: '***'");
        masks("X-Api-Key: abc123", "X-Api-Key: ***");
        masks("db.password=pw;host=x", "db.password=***;host=x");
        masks("Password=pw;Server=db", "Password=***;Server=db");
        masks(
            "host=db user=app password='a b' dbname=app",
            "host=db user=app password='***' dbname=app",
        );
        masks(
            "credentials => c-1, secret_key_base := skb",
            "credentials => ***, secret_key_base := ***",
        );
        masks("auth: abc", "auth: ***");
        masks(
            "GET /x?token=abc: refused (password=pw).",
            "GET /x?token=***: refused (password=***).",
        );
        masks("token_hash=deadbeef", "token_hash=***");
        masks(
            "openssl rsa -passin pass:pw1",
            "openssl rsa -passin pass:***",
        );
        masks("password: \"unterminated", "password: \"***");
        masks("secrets = [\"a1\", \"b2\"]", "secrets = [\"***\", \"***\"]");
        masks(
            "auth = { user = \"u\", pass = \"p\" }",
            "auth = { user = \"***\", pass = \"***\" }",
        );
        masks(
            "password = \"\"\"multi\nline\"\"\"",
            "password = \"\"\"***\"\"\"",
        );
        masks("\"password\":\"x\\\\\"", "\"password\":\"***\"");
    }

    #[test]
    fn keys_that_do_not_name_a_secret_stay() {
        // The last word decides (see `names_secret`).
        keeps_as_is("password_reset_count=3");
        keeps_as_is("token_expiry=3600 max_tokens=100 token_type=Bearer");
        keeps_as_is("password_file=/run/secrets/db token_url: https://idp/token");
        keeps_as_is("access_key_id=xyz keyboard=us monkey=1 sort_key=name");
        keeps_as_is("PWD=/srv/app OLDPWD=~/x");
        keeps_as_is("Failed password for invalid user admin from 10.0.0.1");
        keeps_as_is("FATAL:  password authentication failed for user \"app\"");
        keeps_as_is("pam_unix(sshd:auth): authentication failure; logname= uid=0");
        keeps_as_is("std::token::Kind and hyper::auth::Scheme");
        keeps_as_is("template password=<*> from <IP> token=<NUM>");
        masks(
            "template password=ab<NUM>cd from <IP>",
            "template password=*** from <IP>",
        );
        // Nothing to hide: empty, masked, an environment reference, a boolean.
        keeps_as_is("password= token=\"\" secret=*** api_key=$API_KEY auth: none pass=${DB_PASS}");
        assert!(!names_secret("compass_heading", false) || names_secret("bypass", false));
    }

    #[test]
    fn the_key_rule() {
        for secret in [
            "password",
            "DB_PASSWORD",
            "PGPASSWORD",
            "requirepass",
            "masterauth",
            "api_key",
            "apikey",
            "APIKey",
            "x-api-key",
            "aws_secret_access_key",
            "secretAccessKey",
            "client_secret",
            "private_key",
            "AccountKey",
            "secret_key_base",
            "redis_password_hash",
            "csrftoken",
            "credentials",
        ] {
            assert!(names_secret(secret, false), "{secret} names a secret");
        }
        for plain in [
            "password_reset_count",
            "passwordResetCount",
            "token_expiry",
            "password_file",
            "access_key_id",
            "key",
            "ssl_key",
            "primary_key",
            "signature",
            "max_tokens",
            "authorization",
        ] {
            assert!(
                !names_secret(plain, false),
                "{plain} does not name a secret"
            );
        }
        assert!(names_secret("key", true));
        assert!(names_secret("X-Amz-Signature", true));
        assert_eq!(words("keyStorePassword"), ["key", "store", "password"]);
        assert_eq!(words("APIKey"), ["api", "key"]);
    }

    #[test]
    fn authorization_headers_keep_their_scheme() {
        masks(
            "Authorization: Bearer abc.def-ghi",
            "Authorization: Bearer ***",
        );
        masks(
            "Authorization: Basic dXNlcjpwYXNzd29yZA== ua=curl",
            "Authorization: Basic *** ua=curl",
        );
        masks(
            r#""authorization": "Token t-1""#,
            r#""authorization": "Token ***""#,
        );
        masks("proxy-authorization=abc", "proxy-authorization=***");
        masks(
            "Authorization: AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20150830, Signature=5d67",
            "Authorization: AWS4-HMAC-SHA256 ***",
        );
        masks(
            "Cookie: session=s1; theme=dark",
            "Cookie: session=***; theme=***",
        );
        masks(
            "curl -H 'Authorization: Bearer tok-123456' https://x",
            "curl -H 'Authorization: Bearer ***' https://x",
        );
        masks("sent bearer 9f8e7d6c5b4a", "sent bearer ***");
        keeps_as_is("Bearer authentication failed; Authorization header missing");
    }

    #[test]
    fn self_announcing_tokens_keep_their_prefix() {
        masks("key AKIAIOSFODNN7EXAMPLE used", "key AKIA*** used");
        masks("ASIA1234567890ABCDEF", "ASIA***");
        masks(
            "push ghp_abcdefghijklmnopqrstuvwxyz0123456789 ok",
            "push ghp_*** ok",
        );
        masks(
            "github_pat_11ABCDEFG0123456789_abcdefghijklmnopqrstuvwxyz",
            "github_pat_***",
        );
        masks("glpat-abcdefghij0123456789", "glpat-***");
        masks("slack xoxb-123456789012-abcdefghijkl", "slack xoxb-***");
        masks(
            "https://hooks.slack.com/services/T000/B000/XXXXXXXX",
            "https://hooks.slack.com/services/***",
        );
        masks("AIzaSyA-1234567890abcdefghijklmnopqrstu", "AIza***");
        masks("sk_live_0123456789abcdef", "sk_live_***");
        masks(
            "sk-proj-abcdefghijklmnopqrstuvwxyz0123456789",
            "sk-proj-***",
        );
        masks(
            "jwt eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxMjM0In0.dozjgNryP4J3jVmNHl0w5N_XgL0n3I9PlFUP0THsR8U end",
            "jwt eyJ*** end",
        );
        keeps_as_is("AKIA is a prefix; ghp_short; task-runner-with-a-very-long-name-indeed");
        // As a log template shows them.
        masks(
            "sent xoxb-<NUM>-abcdefgh and AKIA<NUM>ABCDEF",
            "sent xoxb-*** and AKIA***",
        );
    }

    #[test]
    fn private_keys() {
        let pem = "key:\n-----BEGIN RSA PRIVATE KEY-----\nMIIBOgIBAAJBAK\nabc\n-----END RSA PRIVATE KEY-----\nafter";
        masks(
            pem,
            "key:\n-----BEGIN RSA PRIVATE KEY-----\n***\n-----END RSA PRIVATE KEY-----\nafter",
        );
        // JSON-escaped, on one line.
        masks(
            r#"{"k":"-----BEGIN PRIVATE KEY-----\nMIIE\n-----END PRIVATE KEY-----\n"}"#,
            r#"{"k":"-----BEGIN PRIVATE KEY----- *** -----END PRIVATE KEY-----\n"}"#,
        );
        // Cut off before its end (a log tail): the base64 lines still go.
        masks(
            "-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\nAAAAABG5vbmUAAAAEbm9uZQ\nnext line here",
            "-----BEGIN OPENSSH PRIVATE KEY-----\n***\nnext line here",
        );
        keeps_as_is("-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----");
    }

    #[test]
    fn command_lines() {
        masks(
            "worker --token tok-1 --api-key=k-2 --password \"p w\" --verbose",
            "worker --token *** --api-key=*** --password \"***\" --verbose",
        );
        masks(
            "app -password pw --no-password db",
            "app -password *** --no-password db",
        );
        masks(
            "[\"--client-secret\", \"cs\"]",
            "[\"--client-secret\", \"***\"]",
        );
        masks("mysql -uroot -pS3cret app", "mysql -uroot -p*** app");
        masks("mysqldump -p S3cret app", "mysqldump -p *** app");
        masks(
            "redis-cli -h cache -p 6379 -a pw ping",
            "redis-cli -h cache -p 6379 -a *** ping",
        );
        masks("sshpass -p pw ssh host", "sshpass -p *** ssh host");
        masks("curl -u admin:pw https://x", "curl -u admin:*** https://x");
        masks(
            "curl --user 'admin:pw' https://x",
            "curl --user 'admin:***' https://x",
        );
        masks(
            "ldapsearch -D cn=admin -w pw",
            "ldapsearch -D cn=admin -w ***",
        );
        masks(
            "docker login -u me -p pw registry",
            "docker login -u me -p *** registry",
        );
        masks(
            "mysql -pA && /usr/bin/redis-cli -a B",
            "mysql -p*** && /usr/bin/redis-cli -a ***",
        );
        masks(
            "smbclient //srv/share -U bob%pw",
            "smbclient //srv/share -U bob%***",
        );
        masks("requirepass foobared", "requirepass ***");
        masks(
            "1700000000.1 [0 127.0.0.1:5] \"AUTH\" \"user\" \"pw\"",
            "1700000000.1 [0 127.0.0.1:5] \"AUTH\" \"***\" \"***\"",
        );
        // Ports, paths and hosts of known tools stay.
        keeps_as_is("redis-cli -h 127.0.0.1 -p 6390 ping; psql -h db -p 5432 -U app");
        keeps_as_is("docker run -p 8080:80 app; pg_dump --no-password -d app");
        keeps_as_is("ssh -p 22 deploy@web; worker --token-file /run/token --key /etc/ssl/k.pem");
    }

    #[test]
    fn reports_are_redacted_everywhere_a_renderer_looks() {
        use crate::report::{Check, Column, Kind as ReportKind, Metric, Section, Status};
        let mut report = Report::new("health", ReportKind::Check, chrono::Utc::now());
        report.checks.push(
            Check::new(
                "http:api?token=n1",
                Status::Critical,
                "GET http://h/?token=m1 failed",
            )
            .with_hint("curl 'http://h/?token=h1'"),
        );
        report.sections.push(Section {
            name: "s".into(),
            title: "token=t1".into(),
            columns: vec![Column::new("c", "C")],
            rows: vec![vec![Cell::Text("password=c1".into())]],
        });
        report.metrics.push(Metric::new(
            "maint_x",
            "x",
            &[("target", "https://u:l1@h")],
            1.0,
        ));
        let clean = super::report(&report);
        let text = format!("{clean:?}");
        for secret in ["n1", "m1", "h1", "t1", "c1", "l1"] {
            assert!(
                !text.contains(&format!("={secret}")) && !text.contains(&format!(":{secret}@")),
                "{secret} in {text}"
            );
        }
    }

    #[test]
    fn toml_stays_valid_with_the_same_keys() {
        let config = r#"# maint.toml
[health]
skip = ["cpu"]
[[health.http]]
name = "api"
url = "http://svc:pw1@db.internal:1/health?token=t1&api_key=k1"
[[health.process]]
pattern = "worker --token t2"
[postgres]
url = 'postgres://app:pw2@db/app?password=pw3'
[backup]
secret_access_key = "sak1"
password = 12345
secrets = [
  "multi1",
  "multi2",
]
"#;
        let clean = document(config, Kind::Toml, None);
        let before: toml::Table = config.parse().unwrap();
        let after: toml::Table = clean.parse().unwrap_or_else(|e| panic!("{e}\n{clean}"));
        assert_eq!(
            key_paths_toml(&toml::Value::Table(before)),
            key_paths_toml(&toml::Value::Table(after))
        );
        for secret in [
            "pw1", "t1", "k1", "t2", "pw2", "pw3", "sak1", "12345", "multi1", "multi2",
        ] {
            assert!(!clean.contains(secret), "{secret} left in:\n{clean}");
        }
        // Without the number and the multi-line array the text form (comments kept) suffices.
        let simple = config.split("password = 12345").next().unwrap();
        let clean = document(simple, Kind::Toml, None);
        assert!(clean.starts_with("# maint.toml\n"), "{clean}");
        assert!(
            clean.contains(r#"url = "http://svc:***@db.internal:1/health?token=***&api_key=***""#),
            "{clean}"
        );
        assert!(clean.contains(r#"secret_access_key = "***""#), "{clean}");
    }

    #[test]
    fn json_stays_valid() {
        let json = r#"{"message": "password=p1 \"quoted\"", "token": 42, "list": ["Bearer abcdef123456"]}"#;
        let clean = document(json, Kind::Json, None);
        let value: serde_json::Value = serde_json::from_str(&clean).unwrap();
        assert_eq!(value["message"], "password=*** \"quoted\"");
        assert_eq!(value["token"], "***");
        assert!(
            !clean.contains("p1") && !clean.contains("abcdef123456"),
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
    fn hosts_in_free_text_and_command_lines() {
        let mut hosts = HostRedactor::new(["vm".to_owned()]);
        let lines = "\
postgres 7 0.0% psql -h db-primary -U app
deploy 8 0.0% ssh deploy@backup-box rsync
app: connected to api.example.com:443 and cache.corp.lan, PGHOST=pg-replica
vm kernel: vm.max_map_count app.py main.rs user.id std::io v1.2.3.4 2001:db8::7";
        hosts.observe(lines);
        let clean = hosts.apply(lines);
        for host in [
            "db-primary",
            "backup-box",
            "api.example.com",
            "cache.corp.lan",
            "pg-replica",
            "2001:db8::7",
        ] {
            assert!(!clean.contains(host), "{host} left in:\n{clean}");
        }
        for kept in [
            "vm.max_map_count",
            "app.py",
            "main.rs",
            "user.id",
            "std::io",
            "v1.2.3.4",
            "rsync",
        ] {
            assert!(clean.contains(kept), "{kept} replaced in:\n{clean}");
        }
        assert!(
            clean.starts_with("postgres 7 0.0% psql -h host-"),
            "{clean}"
        );
        // The same host, the same pseudonym, in any later text.
        let again = hosts.apply("retry db-primary");
        let first = clean
            .split("psql -h ")
            .nth(1)
            .unwrap()
            .split(' ')
            .next()
            .unwrap();
        assert_eq!(again, format!("retry {first}"));
        // A domain that prefixes a file name.
        assert_eq!(
            hosts
                .apply("/var/log/nginx/www.example.com.access.log")
                .matches("host-")
                .count(),
            1
        );
    }
}
