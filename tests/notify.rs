//! `[[notify]]` (issue 19): every event reaches a webhook, a ping URL and a
//! mailbox; bodies carry no secret; retries are bounded; a receiver that
//! never answers does not hold maint; delivery never changes the exit code;
//! a recovery is told across runs; `maint notify test`.

use std::time::Duration;

use crate::support::receiver::{Answer, Receiver};
use crate::support::site::Site;
use crate::support::smtp::SmtpSink;

/// A routine whose one step's verdict follows `app.log`: missing (exit 3,
/// a failure), an ERROR line (a warning), a plain line (OK).
const ROUTINE: &str =
    "[routine.daily]\nsteps = [\"logs analyze app.log --threshold 'errors>0,5'\"]\n";

fn body_json(body: &str) -> serde_json::Value {
    serde_json::from_str(body).unwrap_or_else(|err| panic!("{err}: {body}"))
}

#[test]
fn failure_warning_and_recovery_reach_webhooks_and_pings() {
    let slack = Receiver::start(Answer::Status(200));
    let ping = Receiver::start(Answer::Status(200));
    let json = Receiver::start(Answer::Status(200));
    let site = Site::new(&format!(
        "{ROUTINE}\n[[notify]]\nwebhook = \"{}\"\non = [\"failure\", \"warning\", \"recovery\"]\n\n\
         [[notify]]\nping = \"{}\"\n\n\
         [[notify]]\nwebhook = \"{}\"\nformat = \"json\"\non = [\"always\"]\nheaders = {{ X-Team = \"ops\" }}\n",
        slack.url("/hooks/slack"),
        ping.url("/ping/abc"),
        json.url("/hooks/json"),
    ));
    site.run(&["-q", "run", "daily"]).code(3);
    site.write("app.log", "ERROR boom\n");
    site.run(&["-q", "run", "daily"]).code(1);
    site.write("app.log", "hello\n");
    site.run(&["-q", "run", "daily"]).code(0);
    site.run(&["-q", "run", "daily"]).code(0);

    let told: Vec<String> = slack
        .requests()
        .iter()
        .map(|r| body_json(&r.body)["text"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(told.len(), 3, "{told:?}");
    assert!(
        told[0].contains("maint run daily on ") && told[0].contains(": UNKNOWN (exit 3)"),
        "{}",
        told[0]
    );
    assert!(
        told[0].contains("- UNKNOWN step 1: logs analyze app.log"),
        "{}",
        told[0]
    );
    assert!(told[1].contains(": WARNING (exit 1)"), "{}", told[1]);
    assert!(
        told[2].contains(": OK (exit 0)") && told[2].contains("recovered"),
        "{}",
        told[2]
    );

    assert_eq!(
        ping.paths(),
        [
            "/ping/abc/start",
            "/ping/abc/fail",
            "/ping/abc/start",
            "/ping/abc",
            "/ping/abc/start",
            "/ping/abc",
            "/ping/abc/start",
            "/ping/abc",
        ]
    );
    let fail = &ping.requests()[1];
    assert_eq!(fail.method, "POST");
    assert!(fail.body.contains("UNKNOWN"), "{}", fail.body);

    let events: Vec<(String, String)> = json
        .requests()
        .iter()
        .map(|r| {
            let body = body_json(&r.body);
            assert_eq!(r.header("X-Team"), Some("ops"));
            (
                body["event"].as_str().unwrap().to_owned(),
                body["command"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let expected = ["failure", "warning", "recovery", "success"];
    assert_eq!(
        events,
        expected.map(|e| (e.to_owned(), "run daily".to_owned()))
    );
}

#[test]
fn no_secret_reaches_a_receiver_the_log_or_the_output() {
    let slack = Receiver::start(Answer::Status(200));
    let json = Receiver::start(Answer::Status(200));
    let sink = SmtpSink::start();
    let site = Site::new(&format!(
        "[routine]\nlog = \"maintenance.md\"\n\n[routine.daily]\nsteps = [\"logs analyze app.log\", \
         \"certs check postgres://app:hunter2@127.0.0.1:{}/app --timeout 5s\"]\n\n\
         [[notify]]\nwebhook = \"{}\"\non = [\"always\"]\n\n\
         [[notify]]\nwebhook = \"{}\"\nformat = \"json\"\non = [\"always\"]\n\n\
         [[notify]]\nemail = \"ops@example.com\"\nsmtp = \"smtp://alerts:mail-pass-9@localhost:{}\"\nca_file = \"root.pem\"\n",
        crate::support::command::free_port(),
        slack.url("/slack"),
        json.url("/json"),
        sink.port,
    ));
    site.write("root.pem", &sink.root_pem);
    site.write(
        "app.log",
        "ERROR login failed for postgres://app:hunter2@db/app password=hunter2\n",
    );
    let out = site.run(&["--format", "json", "run", "daily"]);
    out.code(2).nowhere("hunter2").nowhere("mail-pass-9");
    let bodies: Vec<String> = slack
        .requests()
        .into_iter()
        .chain(json.requests())
        .map(|r| r.body)
        .collect();
    assert_eq!(bodies.len(), 2);
    for body in &bodies {
        assert!(!body.contains("hunter2"), "{body}");
        assert!(body.contains("***"), "{body}");
    }
    let mails = sink.mails();
    assert_eq!(mails.len(), 1);
    assert!(!mails[0].data.contains("hunter2"), "{}", mails[0].data);
    assert!(!site.read("maintenance.md").contains("hunter2"));
}

#[test]
fn retries_are_bounded_and_delivery_never_changes_the_exit_code() {
    let broken = Receiver::start(Answer::Status(500));
    let refusing = Receiver::start(Answer::Status(403));
    let flaky = Receiver::start(Answer::FailFirst(1));
    let site = Site::new(&format!(
        "{ROUTINE}\n[[notify]]\nwebhook = \"{}\"\non = [\"always\"]\nretries = 2\n\n\
         [[notify]]\nwebhook = \"{}\"\non = [\"always\"]\n\n\
         [[notify]]\nwebhook = \"{}\"\non = [\"always\"]\n",
        broken.url("/x"),
        refusing.url("/y"),
        flaky.url("/z"),
    ));
    site.write("app.log", "hello\n");
    let out = site.run(&["--format", "json", "run", "daily"]);
    out.code(0)
        .stderr_has("maint: warning: the success notification to webhook http://127.0.0.1:")
        .stderr_has("was not delivered after 3 attempt(s): the receiver answered 500")
        .stderr_has("after 1 attempt(s): the receiver answered 403");
    assert_eq!(broken.requests().len(), 3);
    assert_eq!(refusing.requests().len(), 1);
    assert_eq!(flaky.requests().len(), 2);
    let rows = out.json()["sections"]["notifications"].clone();
    let results: Vec<&str> = rows
        .as_array()
        .unwrap()
        .iter()
        .map(|r| r["result"].as_str().unwrap())
        .collect();
    assert_eq!(
        results.iter().filter(|r| **r == "delivered").count(),
        1,
        "{results:?}"
    );
    assert_eq!(
        results.iter().filter(|r| r.starts_with("failed: ")).count(),
        2
    );
}

#[test]
fn a_receiver_that_never_answers_does_not_hold_the_exit() {
    let silent = Receiver::start(Answer::Never);
    let site = Site::new(&format!(
        "{ROUTINE}\n[[notify]]\nwebhook = \"{}\"\non = [\"always\"]\ntimeout = \"2s\"\nretries = 5\n\n\
         [[notify]]\nping = \"{}\"\ntimeout = \"2s\"\n",
        silent.url("/hook"),
        silent.url("/ping"),
    ));
    site.write("app.log", "hello\n");
    let out = site.run(&["-q", "run", "daily"]);
    out.code(0).stderr_has("was not delivered");
    // Two deliveries of 2 s each at most (the start ping, then both at once),
    // and a routine of one quick step: far below this.
    assert!(out.elapsed < Duration::from_secs(20), "{:?}", out.elapsed);
}

#[test]
fn mail_goes_through_starttls_and_auth() {
    let sink = SmtpSink::start();
    let site = Site::new(&format!(
        "{ROUTINE}\n[[notify]]\nemail = [\"ops@example.com\", \"dba@example.com\"]\n\
         smtp = \"smtp://alerts%40example.com:s3cret@localhost:{}\"\nfrom = \"maint@example.com\"\nca_file = \"root.pem\"\n",
        sink.port
    ));
    site.write("root.pem", &sink.root_pem);
    site.run(&["-q", "run", "daily"]).code(3).nowhere("s3cret");
    let mails = sink.mails();
    assert_eq!(mails.len(), 1);
    let mail = &mails[0];
    assert!(mail.tls, "credentials and mail must come after STARTTLS");
    assert_eq!(
        mail.auth,
        Some(("alerts@example.com".to_owned(), "s3cret".to_owned()))
    );
    assert_eq!(mail.from, "maint@example.com");
    assert_eq!(mail.to, ["ops@example.com", "dba@example.com"]);
    assert!(mail.data.contains("Subject: [maint] "), "{}", mail.data);
    assert!(
        mail.data.contains(": run daily UNKNOWN\r\n"),
        "{}",
        mail.data
    );
    assert!(
        mail.data.contains("\r\n\r\nmaint run daily on "),
        "{}",
        mail.data
    );
}

#[test]
fn notify_test_reaches_every_target_and_says_which_failed() {
    let hook = Receiver::start(Answer::Status(200));
    let ping = Receiver::start(Answer::Status(200));
    let sink = SmtpSink::start();
    let config = format!(
        "[[notify]]\nwebhook = \"{}\"\n\n[[notify]]\nping = \"{}\"\n\n\
         [[notify]]\nemail = \"ops@example.com\"\nsmtp = \"smtp://localhost:{}\"\nca_file = \"root.pem\"\n",
        hook.url("/hook"),
        ping.url("/ping"),
        sink.port
    );
    let site = Site::new(&config);
    site.write("root.pem", &sink.root_pem);
    let out = site.run(&["--format", "json", "notify", "test"]);
    out.code(0);
    assert_eq!(out.check_names().len(), 3);
    assert!(
        body_json(&hook.requests()[0].body)["text"]
            .as_str()
            .unwrap()
            .contains("a test message")
    );
    assert_eq!(ping.paths(), ["/ping"]);
    assert_eq!(sink.mails().len(), 1);

    let site = Site::new(&format!(
        "{config}\n[[notify]]\nwebhook = \"http://127.0.0.1:{}/gone\"\nretries = 0\n",
        crate::support::command::free_port()
    ));
    site.write("root.pem", &sink.root_pem);
    let out = site.run(&["--format", "json", "notify", "test"]);
    out.code(2);
    let failed: Vec<_> = out.json()["checks"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|c| c["status"] == "CRITICAL")
        .map(|c| c["message"].as_str().unwrap().to_owned())
        .collect();
    assert_eq!(failed.len(), 1);
    assert!(
        failed[0].contains("not delivered after 1 attempt: connection refused"),
        "{failed:?}"
    );

    Site::new("")
        .run(&["notify", "test"])
        .code(3)
        .one_error_line("no [[notify]] target in maint.toml");
}

#[test]
fn any_command_is_told_with_notify_or_when_a_target_lists_it() {
    let listed = Receiver::start(Answer::Status(200));
    let site = Site::new(&format!(
        "[[notify]]\nemail = \"ops@example.com\"\nsendmail = \"./sendmail.sh\"\nfrom = \"maint@example.com\"\n\n\
         [[notify]]\nwebhook = \"{}\"\ncommands = [\"logs analyze\"]\non = [\"always\"]\n",
        listed.url("/logs")
    ));
    site.write(
        "sendmail.sh",
        "#!/bin/sh\necho \"$@\" > sent.args\ncat > sent.mail\n",
    );
    std::fs::set_permissions(
        site.path("sendmail.sh"),
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();

    // Listed by a target: told without a flag; the mail target is not.
    site.run(&["-q", "logs", "analyze", "missing.log"]).code(3);
    assert_eq!(listed.requests().len(), 1);
    assert!(!site.path("sent.mail").exists());

    // --notify: every target, by its `on` (failure, recovery by default).
    site.run(&["-q", "--notify", "logs", "analyze", "missing.log"])
        .code(3);
    let mail = site.read("sent.mail");
    assert!(mail.contains(": logs analyze UNKNOWN\n"), "{mail}");
    assert_eq!(
        site.read("sent.args"),
        "-oi -f maint@example.com -- ops@example.com\n"
    );

    // --no-notify: nobody.
    site.run(&["-q", "--no-notify", "logs", "analyze", "missing.log"])
        .code(3);
    assert_eq!(listed.requests().len(), 2);
}
