//! A plain-text mail as RFC 5322 wants it, and its delivery through the
//! local `sendmail` (Postfix, Exim, msmtp and nullmailer all provide one).

use std::path::Path;
use std::process::Command;
use std::time::Duration;

use super::SendError;

/// The whole message, CRLF line ends, headers first.
pub(super) fn compose(from: &str, to: &[String], subject: &str, text: &str, host: &str) -> Vec<u8> {
    let now = chrono::Utc::now();
    let mut mail = String::new();
    mail.push_str(&format!("From: maint <{from}>\r\n"));
    mail.push_str(&format!("To: {}\r\n", to.join(", ")));
    mail.push_str(&format!("Subject: {}\r\n", header_text(subject)));
    mail.push_str(&format!("Date: {}\r\n", now.to_rfc2822()));
    mail.push_str(&format!(
        "Message-ID: <{}.{}.maint@{host}>\r\n",
        now.timestamp_micros(),
        std::process::id()
    ));
    mail.push_str("MIME-Version: 1.0\r\n");
    mail.push_str("Content-Type: text/plain; charset=utf-8\r\n");
    mail.push_str("Content-Transfer-Encoding: 8bit\r\n");
    // RFC 3834: no vacation replies to a machine.
    mail.push_str("Auto-Submitted: auto-generated\r\n\r\n");
    for line in text.lines() {
        mail.push_str(line);
        mail.push_str("\r\n");
    }
    mail.into_bytes()
}

/// A header value: as is when ASCII, else one RFC 2047 encoded word.
fn header_text(text: &str) -> String {
    let clean: String = text.chars().filter(|c| !c.is_control()).collect();
    if clean.is_ascii() {
        clean
    } else {
        format!(
            "=?utf-8?b?{}?=",
            data_encoding::BASE64.encode(clean.as_bytes())
        )
    }
}

/// Hands `mail` to `sendmail -oi -f FROM -- TO...`, under `limit`.
pub(super) fn sendmail(
    program: &Path,
    from: &str,
    to: &[String],
    mail: &[u8],
    limit: Duration,
) -> Result<(), SendError> {
    let mut command = Command::new(program);
    command.args(["-oi", "-f", from, "--"]).args(to);
    let mail = String::from_utf8_lossy(mail).replace("\r\n", "\n");
    match crate::child::run(
        &mut command,
        Some(mail.as_bytes()),
        limit,
        crate::child::OnInterrupt::Finish,
    ) {
        Ok(done) if done.success() => Ok(()),
        Ok(done) if done.timed_out => Err(SendError::new(
            format!("{} did not finish in time", program.display()),
            true,
        )),
        Ok(done) => Err(SendError::new(
            format!(
                "{} failed ({}): {}",
                program.display(),
                done.code
                    .map_or_else(|| "killed".to_owned(), |code| format!("exit {code}")),
                done.last_error_line().unwrap_or_default()
            ),
            // sendmail's exit 75 (EX_TEMPFAIL) says "try again later".
            done.code == Some(75),
        )),
        Err(err) => Err(SendError::new(
            format!("cannot run {}: {err}", program.display()),
            false,
        )),
    }
}

#[cfg(test)]
mod tests {
    #[test]
    fn a_mail_has_its_headers_and_crlf_lines() {
        let mail = super::compose(
            "maint@example.com",
            &["ops@example.com".into()],
            "[maint] web1: health CRITICAL",
            "line one\nline two",
            "web1",
        );
        let mail = String::from_utf8(mail).unwrap();
        assert!(mail.starts_with("From: maint <maint@example.com>\r\nTo: ops@example.com\r\n"));
        assert!(mail.contains("Subject: [maint] web1: health CRITICAL\r\n"));
        assert!(mail.ends_with("\r\n\r\nline one\r\nline two\r\n"));
        assert_eq!(super::header_text("naïve"), "=?utf-8?b?bmHDr3Zl?=");
    }
}
