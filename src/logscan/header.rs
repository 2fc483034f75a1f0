//! A log line's header and its message: what a logger writes before the
//! message (the timestamp, a host or file name before it, the level, process
//! and thread ids, the logger or program name) is told apart from what the
//! application wrote, so that templates are made of messages alone and the
//! level is read from its own field rather than found anywhere in the line.
//!
//! There are no per-format settings: the header is read from where the
//! timestamp ends, token by token, for as long as the tokens look like what
//! loggers put there (ids, bracketed fields, `-`/`|` separators, a level word,
//! a `program[pid]:` or `logger.Name:` component). A line without a
//! timestamp has only what those rules find at its start.

use std::ops::Range;

/// The parts of a header maint reports beside a template.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Header<'a> {
    /// The level word as written (`INFO`, `warn`, `E`, `error` from `[error]`).
    pub level: Option<&'a [u8]>,
    /// The logger, program or component (`sshd`, `dfs.DataNode$PacketResponder`).
    pub component: Option<&'a [u8]>,
}

/// How serious a level word says a line is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Severity {
    Debug,
    Info,
    Warning,
    Error,
}

impl Severity {
    pub fn name(self) -> &'static str {
        match self {
            Severity::Debug => "debug",
            Severity::Info => "info",
            Severity::Warning => "warning",
            Severity::Error => "error",
        }
    }
}

/// Tokens after the timestamp that may still be header.
const MAX_HEADER_TOKENS: usize = 8;

/// Splits `line` (without its newline) into header and message; `stamp` is
/// where the timestamp was found (empty when the line has none).
pub fn split(line: &[u8], stamp: Range<usize>) -> (Header<'_>, &[u8]) {
    let line = trim_newline(line);
    let start = if stamp.is_empty() {
        0
    } else {
        stamp.end.min(line.len())
    };
    let mut header = Header::default();
    if line.get(start) == Some(&b'|') {
        return (header, piped(line, start + 1, &mut header));
    }
    let mut pos = start;
    // Where the message starts if no more header is found.
    let mut message_at = start;
    // Tokens read that are neither ids nor separators nor bracketed
    // fields, and of those the lowercase words a sentence is made of.
    let mut words = 0;
    let mut sentence_words = 0;
    let mut ids = 0;
    let mut first_word = None;
    for _ in 0..MAX_HEADER_TOKENS {
        let Some((from, to)) = next_token(line, pos) else {
            break;
        };
        let token = &line[from..to];
        pos = to;
        if sentence_words == 0
            && header.level.is_none()
            && let Some(level) = level_word(token, words == 0 && ids > 0)
        {
            header.level = Some(level);
            message_at = to;
            // A component often follows the level: `INFO dfs.DataNode:`,
            // `W ActivityManager:`, `INFO nova.compute.manager [req-…]`.
            if let Some((from, to)) = next_token(line, pos)
                && let Some(component) =
                    component(&line[from..to], true).or_else(|| bracketed_name(&line[from..to]))
            {
                header.component = Some(component);
                message_at = to;
                pos = to;
            }
            continue;
        }
        if header.component.is_none()
            && (words <= 1 || sentence_words == 0)
            && let Some(component) = component(token, false)
        {
            header.component = Some(component);
            message_at = to;
            continue;
        }
        if is_id(token) || is_separator(token) {
            ids += usize::from(is_id(token));
            // `program - message`, as Proxifier writes it.
            if token == b"-"
                && words == 1
                && sentence_words == 0
                && header.component.is_none()
                && header.level.is_none()
                && let Some((from, to)) = first_word
            {
                header.component = Some(&line[from..to]);
                message_at = pos;
                break;
            }
            if words == 0 {
                message_at = to;
            }
            continue;
        }
        if token[0] == b'[' {
            // A bracketed field may hold spaces and brackets: `[req-1 abc - - -]`,
            // `[QuorumPeer[myid=1]/0:0:0:0:2181:FastLeaderElection@774]`.
            let Some(end) = closing_bracket(line, from) else {
                break;
            };
            pos = end;
            if words == 0 {
                message_at = end;
            }
            continue;
        }
        // A word that is none of the above: the host in syslog lines
        // (`host program[pid]: …`) and in prefixes like BGL's. It is header
        // only when a level or component follows within reach.
        words += 1;
        first_word.get_or_insert((from, to));
        sentence_words += usize::from(is_sentence_word(token));
        if sentence_words > 1 {
            break;
        }
    }
    let message = &line[skip_space(line, message_at)..];
    (header, message)
}

/// `time|component|pid|message`, as HealthApp writes it: the component and
/// ids between the pipes are header.
fn piped<'a>(line: &'a [u8], mut pos: usize, header: &mut Header<'a>) -> &'a [u8] {
    for field in 0..3 {
        let Some(bar) = memchr::memchr(b'|', &line[pos..]) else {
            break;
        };
        let value = &line[pos..pos + bar];
        if value.contains(&b' ') {
            break;
        }
        if field == 0 && !is_id(value) {
            header.component = Some(value);
        } else if !is_id(value) {
            break;
        }
        pos += bar + 1;
    }
    &line[pos..]
}

/// The position after the `]` that closes the `[` at `open`, nested ones
/// included, within the first 512 bytes.
fn closing_bracket(line: &[u8], open: usize) -> Option<usize> {
    let mut depth = 0usize;
    for (i, &b) in line[open..].iter().enumerate().take(512) {
        match b {
            b'[' => depth += 1,
            b']' => {
                depth -= 1;
                if depth == 0 {
                    return Some(open + i + 1);
                }
            }
            _ => {}
        }
    }
    None
}

/// A word of a sentence rather than a host or a field: lowercase letters only.
fn is_sentence_word(token: &[u8]) -> bool {
    token.len() >= 2 && token.iter().all(u8::is_ascii_lowercase)
}

/// Reads how serious a level word is.
pub fn severity(level: &[u8]) -> Option<Severity> {
    // On the stack: this runs for a token of every line templated.
    let mut upper = [0u8; 9];
    if level.len() > upper.len() {
        return None;
    }
    let upper = &mut upper[..level.len()];
    upper.copy_from_slice(level);
    upper.make_ascii_uppercase();
    Some(match &*upper {
        b"TRACE" | b"DEBUG" | b"FINE" | b"FINER" | b"FINEST" | b"VERBOSE" | b"D" | b"V" => {
            Severity::Debug
        }
        b"INFO" | b"NOTICE" | b"I" | b"N" => Severity::Info,
        b"WARN" | b"WARNING" | b"W" => Severity::Warning,
        b"ERROR" | b"ERR" | b"FATAL" | b"CRITICAL" | b"CRIT" | b"SEVERE" | b"ALERT" | b"EMERG"
        | b"EMERGENCY" | b"PANIC" | b"FAILURE" | b"E" | b"F" | b"C" => Severity::Error,
        _ => return None,
    })
}

fn trim_newline(line: &[u8]) -> &[u8] {
    let line = line.strip_suffix(b"\n").unwrap_or(line);
    line.strip_suffix(b"\r").unwrap_or(line)
}

fn skip_space(line: &[u8], mut pos: usize) -> usize {
    while pos < line.len() && matches!(line[pos], b' ' | b'\t') {
        pos += 1;
    }
    pos
}

/// The next whitespace-separated token at or after `pos`.
fn next_token(line: &[u8], pos: usize) -> Option<(usize, usize)> {
    let from = skip_space(line, pos);
    if from >= line.len() {
        return None;
    }
    let len = line[from..]
        .iter()
        .position(|b| matches!(b, b' ' | b'\t'))
        .unwrap_or(line.len() - from);
    Some((from, from + len))
}

/// A level word, bare or dressed (`[error]`, `<warn>`, `INFO:`, `E/`).
/// Single letters count only right after ids (Android's `pid tid D tag:`),
/// where a message word cannot be.
fn level_word(token: &[u8], after_ids: bool) -> Option<&[u8]> {
    let inner = token
        .strip_prefix(b"[")
        .and_then(|t| t.strip_suffix(b"]"))
        .or_else(|| token.strip_prefix(b"<").and_then(|t| t.strip_suffix(b">")))
        .unwrap_or(token);
    let inner = inner.strip_suffix(b":").unwrap_or(inner);
    let inner = inner.strip_suffix(b",").unwrap_or(inner);
    if inner.len() == 1 && !after_ids {
        return None;
    }
    // All capitals or capitalized (`Info`), never a lowercase word in a
    // sentence, unless bracketed as Apache writes `[error]`.
    let bracketed = inner.len() != token.len() && token.starts_with(b"[");
    let shaped = inner.iter().all(u8::is_ascii_uppercase)
        || (inner.first().is_some_and(u8::is_ascii_uppercase)
            && inner[1..].iter().all(u8::is_ascii_lowercase))
        || bracketed;
    (shaped && severity(inner).is_some()).then_some(inner)
}

/// A component: `program[pid]:`, `program:`, `dotted.logger.Name:`, or after
/// a level, a dotted logger name without the colon (`nova.compute.manager`).
fn component(token: &[u8], after_level: bool) -> Option<&[u8]> {
    let (name, colon) = match token.strip_suffix(b":") {
        Some(name) => (name, true),
        None => (token, false),
    };
    // `sshd[1234]`, `kernel[0]`, `crond(pam_unix)[2915]`.
    let name = match name.strip_suffix(b"]") {
        Some(rest) => {
            let open = memchr::memrchr(b'[', rest)?;
            if !rest[open + 1..].iter().all(u8::is_ascii_digit) {
                return None;
            }
            &rest[..open]
        }
        None => name,
    };
    let identifier = !name.is_empty()
        && name[0].is_ascii_alphabetic()
        && name.iter().all(|b| {
            b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b'$' | b'(' | b')' | b'/')
        });
    if !identifier {
        return None;
    }
    let dotted = name.contains(&b'.') && name.iter().any(u8::is_ascii_alphabetic);
    (colon || (after_level && dotted)).then_some(name)
}

/// `[api]`: a component named in brackets after the level.
fn bracketed_name(token: &[u8]) -> Option<&[u8]> {
    let name = token.strip_prefix(b"[")?.strip_suffix(b"]")?;
    (!name.is_empty()
        && name[0].is_ascii_alphabetic()
        && name
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'_' | b'-' | b'/')))
    .then_some(name)
}

/// A process, thread or line id: digits, perhaps bracketed (`[1234]`),
/// marked (`#3`, `*64`), or `pid:tid`-like runs of digits.
fn is_id(token: &[u8]) -> bool {
    let inner = token
        .strip_prefix(b"[")
        .and_then(|t| t.strip_suffix(b"]"))
        .unwrap_or(token);
    let inner = inner
        .strip_prefix(b"#")
        .or_else(|| inner.strip_prefix(b"*"))
        .unwrap_or(inner);
    let inner = inner.strip_suffix(b":").unwrap_or(inner);
    !inner.is_empty()
        && inner[0].is_ascii_digit()
        && inner
            .iter()
            .all(|b| b.is_ascii_digit() || matches!(b, b':' | b'/'))
}

fn is_separator(token: &[u8]) -> bool {
    matches!(token, b"-" | b"|" | b"," | b":" | b"--" | b"::")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parts(line: &str, stamp: Range<usize>) -> (Option<String>, Option<String>, String) {
        let (header, message) = split(line.as_bytes(), stamp);
        let text = |b: &[u8]| String::from_utf8_lossy(b).into_owned();
        (
            header.level.map(text),
            header.component.map(text),
            text(message),
        )
    }

    #[test]
    fn common_headers() {
        assert_eq!(
            parts(
                "081109 203615 148 INFO dfs.DataNode$PacketResponder: PacketResponder 1 for block blk_38 terminating",
                0..13
            ),
            (
                Some("INFO".into()),
                Some("dfs.DataNode$PacketResponder".into()),
                "PacketResponder 1 for block blk_38 terminating".into()
            )
        );
        assert_eq!(
            parts(
                "Jun 14 15:16:01 combo sshd(pam_unix)[19939]: authentication failure; logname= uid=0",
                0..15
            ),
            (
                None,
                Some("sshd(pam_unix)".into()),
                "authentication failure; logname= uid=0".into()
            )
        );
        assert_eq!(
            parts(
                "03-17 16:13:38.811  1702  2395 D WindowManager: printFreezingDisplayLogsopening app wtoken",
                0..18
            ),
            (
                Some("D".into()),
                Some("WindowManager".into()),
                "printFreezingDisplayLogsopening app wtoken".into()
            )
        );
        assert_eq!(
            parts(
                "[Sun Dec 04 04:47:44 2005] [error] mod_jk child workerEnv in error state 6",
                0..26
            ),
            (
                Some("error".into()),
                None,
                "mod_jk child workerEnv in error state 6".into()
            )
        );
        assert_eq!(
            parts(
                "2015-07-29 17:41:44,747 - INFO  [QuorumPeer[myid=1]/0:0:0:0:0:0:0:0:2181:FastLeaderElection@774] - Notification time out: 3200",
                0..23
            ),
            (
                Some("INFO".into()),
                None,
                "Notification time out: 3200".into()
            )
        );
    }

    #[test]
    fn a_component_in_brackets_after_the_level() {
        assert_eq!(
            parts("2026-11-28T03:04:05Z ERROR [api] failed to connect", 0..20),
            (
                Some("ERROR".into()),
                Some("api".into()),
                "failed to connect".into()
            )
        );
    }

    #[test]
    fn a_message_is_not_a_header() {
        assert_eq!(
            parts("2026-11-28T03:04:05Z I am done: all good", 0..20),
            (None, None, "I am done: all good".into())
        );
        assert_eq!(parts("plain text line", 0..0).2, "plain text line");
        // The level is the first level word: a later one is the message's.
        assert_eq!(
            parts("2026-11-28T03:04:05Z INFO a WARNING in text", 0..20),
            (Some("INFO".into()), None, "a WARNING in text".into())
        );
    }

    #[test]
    fn severities() {
        assert_eq!(severity(b"warn"), Some(Severity::Warning));
        assert_eq!(severity(b"E"), Some(Severity::Error));
        assert_eq!(severity(b"Info"), Some(Severity::Info));
        assert_eq!(severity(b"Informational"), None);
    }
}
