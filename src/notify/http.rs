//! One HTTP POST to a webhook or a ping URL, under a time limit that covers
//! DNS, connect, TLS and the whole exchange (ureq's global timeout, as
//! `probe::http` uses it), and whether a failure is worth another try.

use std::time::Duration;

use super::SendError;

/// POSTs `body` to `url`; a 2xx answer is a delivery.
pub(super) fn post(
    url: &str,
    content_type: &str,
    headers: &[(String, String)],
    body: &[u8],
    limit: Duration,
) -> Result<(), SendError> {
    // ureq's default: a receiver may redirect a few times.
    let agent = crate::probe::http::agent(limit, 10);
    let host = crate::probe::http::host_of(url);
    let mut request = agent.post(url).header("Content-Type", content_type);
    for (name, value) in headers {
        request = request.header(name.as_str(), value.as_str());
    }
    match request.send(body) {
        Ok(response) => {
            let status = response.status().as_u16();
            if (200..300).contains(&status) {
                Ok(())
            } else {
                // A busy or broken receiver may answer next time; a 4xx says
                // the request itself is wrong, and will stay so.
                let retry = status == 429 || status >= 500;
                Err(SendError::new(
                    format!("the receiver answered {status}"),
                    retry,
                ))
            }
        }
        Err(err) => {
            let err = crate::probe::http::classify(err, &host, limit);
            let retry = !matches!(err, crate::probe::http::HttpError::Tls(_));
            Err(SendError::new(err.to_string(), retry))
        }
    }
}

/// `URL/start` or `URL/fail` of a ping URL, its query kept at the end.
pub(super) fn ping_url(url: &str, suffix: &str) -> String {
    let (base, query) = match url.split_once('?') {
        Some((base, query)) => (base, Some(query)),
        None => (url, None),
    };
    let mut joined = format!("{}/{suffix}", base.trim_end_matches('/'));
    if let Some(query) = query {
        joined.push('?');
        joined.push_str(query);
    }
    joined
}

#[cfg(test)]
mod tests {
    #[test]
    fn ping_urls_follow_healthchecks_io() {
        assert_eq!(
            super::ping_url("https://hc-ping.com/abc", "start"),
            "https://hc-ping.com/abc/start"
        );
        assert_eq!(
            super::ping_url("https://hc-ping.com/abc/?rid=1", "fail"),
            "https://hc-ping.com/abc/fail?rid=1"
        );
    }
}
