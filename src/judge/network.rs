//! Verdicts on the network services a host offers or needs: HTTP
//! endpoints (status, body, latency) and TCP ports.

use std::time::Duration;

use crate::probe::http::{Answer, HttpError, Response};
use crate::probe::tcp::TcpError;
use crate::report::{Check, Status, Threshold, Unit};
use crate::units::{human_bytes, human_duration};

const HTTP: &str = "users or dependent services get errors";

/// What an endpoint must answer to pass.
#[derive(Clone, Debug, Default)]
pub struct Expect {
    /// Accepted status codes; empty means any 2xx or 3xx.
    pub status: Vec<u16>,
    /// A text the body must hold.
    pub contains: Option<String>,
    pub latency: Option<Threshold>,
}

/// An HTTP GET of `url` against what it must answer.
pub fn http(
    name: &str,
    url: &str,
    expect: &Expect,
    response: Result<Response, HttpError>,
) -> Check {
    let Expect {
        status: expect,
        contains,
        latency,
    } = expect;
    let check_name = format!("http:{name}");
    let shown = crate::redact::url(url);
    let curl = format!("curl -sS -o /dev/null -w '%{{http_code}} %{{time_total}}s\\n' '{shown}'");
    let response = match response {
        Ok(response) => response,
        Err(err) => {
            let status = match err {
                HttpError::Dns(_) => Status::Unknown,
                _ => Status::Critical,
            };
            // certs check shows the whole chain, names and dates the refusal is about.
            let hint = match (&err, url::Url::parse(url)) {
                (HttpError::Tls(_), Ok(parsed)) => format!(
                    "maint certs check {}:{}",
                    parsed.host_str().unwrap_or_default(),
                    parsed.port_or_known_default().unwrap_or(443)
                ),
                _ => curl,
            };
            return Check::new(check_name, status, format!("{shown}: {err}"))
                .with_hint(hint)
                .because(HTTP);
        }
    };
    let seconds = response.latency.as_secs_f64();
    let status_ok = if expect.is_empty() {
        (200..400).contains(&response.status)
    } else {
        expect.contains(&response.status)
    };
    let expected = if expect.is_empty() {
        "2xx or 3xx".to_owned()
    } else {
        expect
            .iter()
            .map(u16::to_string)
            .collect::<Vec<_>>()
            .join(" or ")
    };
    let mut check = Check::new(
        check_name,
        Status::Ok,
        format!(
            "HTTP {} {} in {}",
            response.status,
            response.reason,
            human_duration(response.latency)
        ),
    )
    .with_value(seconds, Unit::Seconds);
    if let Some(threshold) = *latency {
        check = check
            .with_threshold(threshold)
            .at_least(threshold.judge(seconds));
    }
    if !status_ok {
        check = check.at_least(Status::Critical);
        check.message = format!(
            "HTTP {} {}; expected {expected}",
            response.status, response.reason
        );
    } else if let (Some(needle), Some(search)) = (contains, &response.search)
        && !search.found
    {
        check = check.at_least(Status::Critical);
        check.message = if search.capped {
            format!(
                "HTTP {} but the first {} of the body do not contain {needle:?}; the rest was not read (max_body)",
                response.status,
                human_bytes(search.read)
            )
        } else {
            format!(
                "HTTP {} but the body does not contain {needle:?}",
                response.status
            )
        };
    }
    check.with_hint(curl).because(HTTP)
}

/// An HTTP GET of `url` from every address its host resolved to. One
/// address is judged as [`http`] judges it. With several, the check is the
/// worst address's when they all fail (CRITICAL: no client gets through),
/// a WARNING naming those that fail when only some do (a share of the
/// clients gets errors), and otherwise the worst answer's, said once.
pub fn http_each(
    name: &str,
    url: &str,
    expect: &Expect,
    answers: Result<Vec<Answer>, HttpError>,
) -> Check {
    let answers = match answers {
        Err(err) => return http(name, url, expect, Err(err)),
        Ok(answers) if answers.len() == 1 => {
            let (_, answer) = answers.into_iter().next().expect("one answer");
            return http(name, url, expect, answer);
        }
        Ok(answers) => answers,
    };
    let count = answers.len();
    let judged: Vec<(String, Check)> = answers
        .into_iter()
        .map(|(address, answer)| (address.ip().to_string(), http(name, url, expect, answer)))
        .collect();
    let (failing, passing): (Vec<_>, Vec<_>) = judged
        .iter()
        .partition(|(_, check)| check.status == Status::Critical);
    let shown = crate::redact::url(url);
    let each = |list: &[&(String, Check)]| {
        list.iter()
            .map(|(address, check)| {
                let message = check
                    .message
                    .strip_prefix(&format!("{shown}: "))
                    .unwrap_or(&check.message);
                format!("{address}: {message}")
            })
            .collect::<Vec<_>>()
            .join("; ")
    };
    let names = |list: &[&(String, Check)]| {
        list.iter()
            .map(|(address, _)| address.as_str())
            .collect::<Vec<_>>()
            .join(", ")
    };
    if failing.is_empty() {
        let (_, worst) = judged
            .iter()
            .max_by_key(|(_, check)| check.status.severity())
            .expect("several answers");
        let mut check = worst.clone();
        check.message = format!(
            "{} (each of {count} addresses: {})",
            check.message,
            names(&passing)
        );
        return check;
    }
    let mut check = if passing.is_empty() {
        let mut check = failing[0].1.clone();
        check.message = format!("every address fails: {}", each(&failing));
        check
    } else {
        let mut check = passing[0].1.clone();
        check.status = Status::Warning;
        check.message = format!(
            "{} of {count} addresses fail: {}; {} answers {}",
            failing.len(),
            each(&failing),
            names(&passing),
            passing[0].1.message
        );
        check
    };
    let address = &failing[0].0;
    let host = crate::probe::http::host_of(url);
    let port = url::Url::parse(url)
        .ok()
        .and_then(|u| u.port_or_known_default())
        .unwrap_or(80);
    let bracketed = if address.contains(':') {
        format!("[{address}]")
    } else {
        address.clone()
    };
    check.hint = Some(format!(
        "curl -sS -o /dev/null -w '%{{http_code}}\\n' --resolve '{host}:{port}:{bracketed}' '{shown}'"
    ));
    check.because(HTTP)
}

/// A TCP connection to `address`, and how long it took.
pub fn tcp(name: &str, address: &str, connected: Result<Duration, TcpError>) -> Check {
    let check_name = format!("tcp:{name}");
    let hint = format!("nc -vz {}", address.replace(':', " "));
    let check = match connected {
        Ok(latency) => Check::new(
            check_name,
            Status::Ok,
            format!(
                "{address} accepts connections ({})",
                human_duration(latency)
            ),
        )
        .with_value(latency.as_secs_f64(), Unit::Seconds),
        Err(err) => {
            let status = match err {
                TcpError::Dns(_) => Status::Unknown,
                _ => Status::Critical,
            };
            Check::new(check_name, status, format!("{address}: {err}")).with_hint(hint)
        }
    };
    check.because("clients cannot connect")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probe::http::BodySearch;

    fn response(status: u16, latency_ms: u64, search: Option<BodySearch>) -> Response {
        Response {
            status,
            reason: if status == 200 { "OK" } else { "Other" }.into(),
            latency: Duration::from_millis(latency_ms),
            search,
        }
    }

    const URL: &str = "https://user:secret@api.example.com/healthz";

    #[test]
    fn any_2xx_or_3xx_passes_unless_told_otherwise() {
        let check = http("api", URL, &Expect::default(), Ok(response(301, 5, None)));
        assert_eq!(check.status, Status::Ok);
        assert_eq!(check.name, "http:api");
        let check = http("api", URL, &Expect::default(), Ok(response(503, 5, None)));
        assert_eq!(check.status, Status::Critical);
        assert_eq!(check.message, "HTTP 503 Other; expected 2xx or 3xx");
        let only = Expect {
            status: vec![200, 204],
            ..Expect::default()
        };
        let check = http("api", URL, &only, Ok(response(301, 5, None)));
        assert_eq!(check.message, "HTTP 301 Other; expected 200 or 204");
        assert!(!check.hint.unwrap().contains("secret"));
    }

    #[test]
    fn a_missing_text_is_critical_and_says_how_much_was_read() {
        let expect = Expect {
            contains: Some("ready".into()),
            ..Expect::default()
        };
        let missing = BodySearch {
            found: false,
            read: 2048,
            capped: true,
        };
        let check = http("api", URL, &expect, Ok(response(200, 5, Some(missing))));
        assert_eq!(check.status, Status::Critical);
        assert_eq!(
            check.message,
            "HTTP 200 but the first 2.0 KiB of the body do not contain \"ready\"; the rest was not read (max_body)"
        );
    }

    #[test]
    fn latency_levels_apply_in_seconds() {
        let expect = Expect {
            latency: Some(Threshold::above(0.5, 2.0)),
            ..Expect::default()
        };
        let check = http("api", URL, &expect, Ok(response(200, 700, None)));
        assert_eq!(check.status, Status::Warning);
        assert_eq!(check.value, Some(0.7));
    }

    #[test]
    fn failures_that_say_nothing_about_the_service_are_unknown() {
        let dns = http(
            "api",
            URL,
            &Expect::default(),
            Err(HttpError::Dns("api".into())),
        );
        assert_eq!(dns.status, Status::Unknown);
        let tls = http(
            "api",
            URL,
            &Expect::default(),
            Err(HttpError::Tls("expired".into())),
        );
        assert_eq!(tls.status, Status::Critical);
        assert_eq!(
            tls.hint.as_deref(),
            Some("maint certs check api.example.com:443")
        );
        let refused = tcp("db", "10.0.0.1:5432", Err(TcpError::Refused));
        assert_eq!(refused.status, Status::Critical);
        assert_eq!(refused.hint.as_deref(), Some("nc -vz 10.0.0.1 5432"));
        let up = tcp("db", "10.0.0.1:5432", Ok(Duration::from_millis(3)));
        assert_eq!(up.status, Status::Ok);
    }

    #[test]
    fn each_address_is_judged_and_the_failing_ones_named() {
        let v4: std::net::SocketAddr = "192.0.2.1:443".parse().unwrap();
        let v6: std::net::SocketAddr = "[2001:db8::1]:443".parse().unwrap();
        let url = "https://api.example.com/healthz";
        let some = http_each(
            "api",
            url,
            &Expect::default(),
            Ok(vec![
                (v4, Ok(response(200, 5, None))),
                (v6, Err(HttpError::Refused)),
            ]),
        );
        assert_eq!(some.status, Status::Warning);
        assert_eq!(
            some.message,
            "1 of 2 addresses fail: 2001:db8::1: connection refused; 192.0.2.1 answers HTTP 200 OK in 5 ms"
        );
        assert_eq!(
            some.hint.as_deref(),
            Some(
                "curl -sS -o /dev/null -w '%{http_code}\\n' --resolve 'api.example.com:443:[2001:db8::1]' 'https://api.example.com/healthz'"
            )
        );
        let all = http_each(
            "api",
            url,
            &Expect::default(),
            Ok(vec![
                (v4, Ok(response(503, 5, None))),
                (v6, Err(HttpError::Refused)),
            ]),
        );
        assert_eq!(all.status, Status::Critical);
        assert_eq!(
            all.message,
            "every address fails: 192.0.2.1: HTTP 503 Other; expected 2xx or 3xx; 2001:db8::1: connection refused"
        );
        let fine = http_each(
            "api",
            url,
            &Expect::default(),
            Ok(vec![
                (v4, Ok(response(200, 5, None))),
                (v6, Ok(response(200, 7, None))),
            ]),
        );
        assert_eq!(fine.status, Status::Ok);
        assert!(
            fine.message
                .ends_with("(each of 2 addresses: 192.0.2.1, 2001:db8::1)"),
            "{}",
            fine.message
        );
        let one = http_each(
            "api",
            url,
            &Expect::default(),
            Ok(vec![(v4, Err(HttpError::Refused))]),
        );
        assert_eq!(
            one.message,
            "https://api.example.com/healthz: connection refused"
        );
    }
}
