//! Verdicts on a PostgreSQL server as `maint health` sees it: up or not,
//! primary or standby, connections in use, the oldest open transaction.

use std::time::Duration;

use super::round1;
use crate::probe::postgres::{Failure, PgError, ServerHealth, Target, Transport};
use crate::report::{Check, Status, Threshold, Unit};
use crate::units::human_duration;

const DOWN: &str = "the application cannot read or write its data";

/// What the health exchange with the server came to.
pub enum Exchange {
    /// Connected (in the given time, encrypted or not) and answered the health queries.
    Answered(ServerHealth, Duration, Transport),
    /// No connection: refused, unresolvable, no login, or no answer in time.
    Connect(PgError),
    /// Connected, but a query failed.
    Query(::postgres::Error),
}

/// The server's state (up, role, connections in use, the oldest open
/// transaction), against the levels for connections and that transaction.
pub fn health(
    target: &Target,
    exchange: Exchange,
    connections: Threshold,
    oldest: Threshold,
) -> Vec<Check> {
    // Checks that need the connection share its hint: one fix serves all three.
    let not_measured = |why: &str, hint: &str| {
        ["postgres:connections", "postgres:oldest_transaction"].map(|name| {
            Check::new(name, Status::Unknown, format!("not measured: {why}")).with_hint(hint)
        })
    };
    let (health, latency, transport) = match exchange {
        Exchange::Answered(health, latency, transport) => (health, latency, transport),
        Exchange::Connect(err) => {
            let status = match err.failure {
                Failure::Dns => Status::Unknown,
                _ => Status::Critical,
            };
            let hint = err.hint();
            let mut checks = vec![
                Check::new("postgres", status, err.to_string())
                    .with_hint(&hint)
                    .because(DOWN),
            ];
            checks.extend(not_measured("no connection", &hint));
            return checks;
        }
        Exchange::Query(err) => {
            let mut checks = vec![
                Check::new(
                    "postgres",
                    Status::Critical,
                    format!(
                        "PostgreSQL at {}: connected, but a query failed: {err}",
                        target.display
                    ),
                )
                .with_hint(format!("psql '{}' -c 'SELECT 1'", target.display))
                .because(DOWN),
            ];
            checks.extend(not_measured(
                "the query failed",
                &format!("psql '{}' -c 'SELECT 1'", target.display),
            ));
            return checks;
        }
    };
    let role = if health.in_recovery {
        "standby"
    } else {
        "primary"
    };
    let psql = format!("psql '{}'", target.display);
    // A fallback to plain text is the operator's to know of (issue 18), so
    // it is said in full; otherwise just whether the bytes are encrypted.
    let how = match (&transport, transport.fallback_note()) {
        (_, Some(note)) => format!("; {note}"),
        (Transport::Tls, None) => " over TLS".to_owned(),
        _ => " in plain text".to_owned(),
    };
    let mut checks = vec![
        Check::new(
            "postgres",
            Status::Ok,
            format!(
                "PostgreSQL {} ({role}) at {} answered SELECT 1; connected in {}{how}",
                health.version,
                target.display,
                human_duration(latency)
            ),
        )
        .with_value(latency.as_secs_f64(), Unit::Seconds)
        .because(DOWN),
    ];
    let usable = (health.max_connections - health.reserved_connections).max(1);
    let percent = health.connections as f64 * 100.0 / usable as f64;
    checks.push(
        Check::measured(
            "postgres:connections",
            round1(percent),
            Unit::Percent,
            connections,
            format!(
                "{} of {} connections in use ({} more reserved for superusers)",
                health.connections, usable, health.reserved_connections
            ),
        )
        .with_hint(format!(
            "{psql} -c \"SELECT usename, application_name, state, count(*) FROM pg_stat_activity GROUP BY 1, 2, 3 ORDER BY 4 DESC\""
        ))
        .because("at the limit new connections are refused and the application fails"),
    );
    let oldest_check = match health.oldest_transaction {
        Some(transaction) => Check::measured(
            "postgres:oldest_transaction",
            transaction.age.as_secs_f64().round(),
            Unit::Seconds,
            oldest,
            format!(
                "oldest open transaction: {} (pid {}, {})",
                human_duration(transaction.age),
                transaction.pid,
                if transaction.state.is_empty() { "state hidden" } else { &transaction.state }
            ),
        )
        .with_hint(format!(
            "{psql} -c \"SELECT pid, now() - xact_start AS age, state, left(query, 60) FROM pg_stat_activity WHERE pid = {}\"; end it with SELECT pg_terminate_backend({})",
            transaction.pid, transaction.pid
        )),
        None => Check::measured(
            "postgres:oldest_transaction",
            0.0,
            Unit::Seconds,
            oldest,
            "no open transactions",
        ),
    };
    checks.push(oldest_check.because(
        "an open transaction holds back vacuum on every table, so bloat grows until it ends",
    ));
    checks
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::probe::postgres::OldestTransaction;

    fn target() -> Target {
        Target::resolve(
            Some("postgres://app:secret@db.example.com:5432/app"),
            Duration::from_secs(5),
        )
        .unwrap()
    }

    fn health_of(connections: i64, oldest: Option<Duration>) -> ServerHealth {
        ServerHealth {
            version: "16.2".into(),
            in_recovery: false,
            connections,
            max_connections: 103,
            reserved_connections: 3,
            oldest_transaction: oldest.map(|age| OldestTransaction {
                pid: 4242,
                age,
                state: "idle in transaction".into(),
            }),
        }
    }

    fn judged(exchange: Exchange) -> Vec<Check> {
        health(
            &target(),
            exchange,
            Threshold::above(80.0, 90.0),
            Threshold::above(3600.0, 6.0 * 3600.0),
        )
    }

    #[test]
    fn connections_count_against_what_is_not_reserved() {
        let checks = judged(Exchange::Answered(
            health_of(85, None),
            Duration::from_millis(4),
            Transport::Tls,
        ));
        assert_eq!(checks[0].status, Status::Ok);
        assert!(checks[0].message.contains("(primary)"));
        assert!(
            checks[0].message.ends_with("over TLS"),
            "{}",
            checks[0].message
        );
        assert!(!checks[0].message.contains("secret"));
        assert_eq!(checks[1].value, Some(85.0));
        assert_eq!(checks[1].status, Status::Warning);
        assert_eq!(checks[2].message, "no open transactions");
    }

    #[test]
    fn a_long_open_transaction_names_its_pid() {
        let old = Some(Duration::from_secs(7 * 3600));
        let checks = judged(Exchange::Answered(
            health_of(1, old),
            Duration::from_millis(4),
            Transport::Plain,
        ));
        assert_eq!(checks[2].status, Status::Critical);
        assert!(
            checks[2]
                .hint
                .as_deref()
                .unwrap()
                .contains("pg_terminate_backend(4242)")
        );
    }

    #[test]
    fn a_fallback_to_plain_text_is_said_with_its_cause() {
        let plain = judged(Exchange::Answered(
            health_of(1, None),
            Duration::from_millis(4),
            Transport::Plain,
        ));
        assert!(
            plain[0].message.ends_with("in plain text"),
            "{}",
            plain[0].message
        );
        let fallback = judged(Exchange::Answered(
            health_of(1, None),
            Duration::from_millis(4),
            Transport::PlainAfterTlsFailure("no cipher suite in common".into()),
        ));
        assert_eq!(fallback[0].status, Status::Ok);
        assert!(
            fallback[0].message.ends_with(
                "; TLS handshake failed (no cipher suite in common), connected in plain text as sslmode=prefer allows; set sslmode=require to refuse"
            ),
            "{}",
            fallback[0].message
        );
    }

    #[test]
    fn no_connection_leaves_the_figures_unknown() {
        let refused = PgError {
            failure: Failure::Refused,
            target: "db.example.com:5432".into(),
            message: "connection refused".into(),
            user: "app".into(),
        };
        let checks = judged(Exchange::Connect(refused.clone()));
        assert_eq!(checks[0].status, Status::Critical);
        assert!(checks[1..].iter().all(|c| c.status == Status::Unknown));
        assert!(checks[1..].iter().all(|c| c.hint == checks[0].hint));
        let unresolved = PgError {
            failure: Failure::Dns,
            ..refused
        };
        assert_eq!(
            judged(Exchange::Connect(unresolved))[0].status,
            Status::Unknown
        );
    }
}
