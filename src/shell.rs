//! Text for the commands maint suggests in hints, which an operator pastes
//! into a shell: one quoting rule for every command.

/// Text as one shell word, for hints an operator pastes: quoted only when a
/// shell would read it differently (`'"My Schema"."Tab-le"'`).
pub fn word(text: &str) -> String {
    if !text.is_empty()
        && text
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || "._-/:@=%+,".contains(c))
    {
        text.to_owned()
    } else {
        format!("'{}'", text.replace('\'', "'\\''"))
    }
}

/// An argument list as a command line to paste: each argument one word.
pub fn words(args: &[String]) -> String {
    args.iter()
        .map(|arg| word(arg))
        .collect::<Vec<_>>()
        .join(" ")
}

/// The flag that names the server the user chose on the command line, for
/// hints: ` --url 'postgres://app:***@db/app'`, so that the command an
/// operator pastes reaches the same server and not the default one. A
/// password in it shows as `***` (to put back, or to leave to PGPASSWORD or
/// ~/.pgpass, which the pasted command reads as maint did). Empty when the
/// server came from maint.toml or the environment: the pasted command reads
/// those too.
pub fn again(flag: &str, given: Option<&str>) -> String {
    given.map_or_else(String::new, |value| {
        format!(" {flag} {}", word(&crate::redact::url(value)))
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn words_are_quoted_only_when_a_shell_would_read_them_differently() {
        assert_eq!(super::word("/var/log/app.log"), "/var/log/app.log");
        assert_eq!(super::word("public.metrics"), "public.metrics");
        assert_eq!(super::word("ERROR|FATAL"), "'ERROR|FATAL'");
        assert_eq!(
            super::word("\"My Schema\".\"Tab-le\""),
            "'\"My Schema\".\"Tab-le\"'"
        );
        assert_eq!(super::word("it's"), r"'it'\''s'");
        assert_eq!(
            super::again("--url", Some("postgres://app:hunter2@db:5433/app")),
            " --url 'postgres://app:***@db:5433/app'"
        );
        assert_eq!(
            super::again("--url", Some("postgres://app@[::1]:5433/app")),
            " --url 'postgres://app@[::1]:5433/app'"
        );
        assert_eq!(super::again("--url", None), "");
        assert_eq!(super::word(""), "''");
    }
}
