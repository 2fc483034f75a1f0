//! How an error reaches the operator: one line on stderr, the cause chain
//! joined by `: `, then what to do about it.
//!
//! Errors say what to do by carrying a [`Hint`] as anyhow context. A hint
//! renders as nothing inside the chain, so `{err:#}`-style joining stays
//! clean, and [`describe`] finds it again by downcasting.

use std::fmt;

use crate::redact;

/// What the operator should do about an error: attach with `.context(Hint::new(..))`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Hint(pub String);

impl Hint {
    pub fn new(text: impl Into<String>) -> Self {
        Hint(text.into())
    }
}

impl fmt::Display for Hint {
    fn fmt(&self, _: &mut fmt::Formatter<'_>) -> fmt::Result {
        // Deliberately empty: the chain skips it and `describe` prints it last.
        Ok(())
    }
}

/// The single line printed for an error: `maint: error: a: b: c; hint: ...`.
/// Secrets that slipped into a message (a URL with a password, a token) are masked here,
/// the last place every error passes through.
pub fn describe(err: &anyhow::Error) -> String {
    let chain: Vec<String> = err
        .chain()
        .map(|cause| cause.to_string().replace('\n', " "))
        .filter(|text| !text.trim().is_empty())
        .collect();
    let mut parts: Vec<String> = Vec::with_capacity(chain.len());
    for text in chain {
        // A context that repeats its source (common with io::Error) adds nothing.
        if parts.last().is_some_and(|last| last.ends_with(&text)) {
            continue;
        }
        parts.push(text);
    }
    let mut line = format!("maint: error: {}", parts.join(": "));
    if let Some(Hint(hint)) = err.downcast_ref::<Hint>() {
        line.push_str("; hint: ");
        line.push_str(hint);
    }
    redact::secrets_in_text(&line)
}

#[cfg(test)]
mod tests {
    use super::*;
    use anyhow::Context;

    #[test]
    fn chain_then_hint_on_one_line() {
        let err = std::fs::read("/nonexistent/maint.toml")
            .context("cannot read config /nonexistent/maint.toml")
            .context(Hint::new("pass --config FILE"))
            .unwrap_err();
        let line = describe(&err);
        assert!(
            line.starts_with(
                "maint: error: cannot read config /nonexistent/maint.toml: No such file"
            ),
            "{line}"
        );
        assert!(line.ends_with("; hint: pass --config FILE"), "{line}");
        assert!(!line.contains('\n'));
    }

    #[test]
    fn hint_deep_in_the_chain_is_found() {
        let err = anyhow::anyhow!("refused")
            .context(Hint::new("start it"))
            .context("connecting to redis");
        assert_eq!(
            describe(&err),
            "maint: error: connecting to redis: refused; hint: start it"
        );
    }

    #[test]
    fn passwords_never_reach_the_terminal() {
        let err = anyhow::anyhow!("cannot connect to postgres://app:hunter2@db/app");
        assert_eq!(
            describe(&err),
            "maint: error: cannot connect to postgres://app:***@db/app"
        );
    }
}
