//! PostgreSQL as `db report`, `db vacuum`, `db prune` and `diagnose` reach
//! it: where the server is, connecting with errors that say what to do,
//! and resolving table names the way SQL does. What bounds each exchange
//! with the server in time is told in `probe::postgres`.

pub mod prune;
pub mod reindex;
pub mod report;
mod report_catalog;
pub mod runner;
pub mod vacuum;
pub mod vacuum_plan;
pub mod vacuum_report;

use std::time::Duration;

use anyhow::{Context as _, Result};
use postgres::Client;

use crate::checks::Notes;
use crate::config::{Loaded, PostgresConfig, PostgresUrl};
use crate::error::Hint;
use crate::probe::pgstats::{Holder, HolderKind, Server};
use crate::probe::postgres::{PgError, Target};

const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(5);
/// `db report`'s statistics queries take well under a second on 10,000
/// tables: a minute means the server is stuck, not busy.
const DEFAULT_QUERY_TIMEOUT: Duration = Duration::from_secs(60);
pub const DEFAULT_LOCK_TIMEOUT: Duration = Duration::from_secs(5);

fn postgres_config(loaded: &Loaded) -> Option<&PostgresConfig> {
    loaded.config.postgres.as_ref()
}

/// The server: `--url`, else `[postgres] url`, else the PG* variables and ~/.pgpass.
pub fn target(url: Option<&PostgresUrl>, loaded: &Loaded) -> Result<Target> {
    let config = postgres_config(loaded);
    let url = url
        .or_else(|| config.and_then(|c| c.url.as_ref()))
        .map(|u| u.0.as_str());
    let timeout = config
        .and_then(|c| c.connect_timeout)
        .map_or(DEFAULT_CONNECT_TIMEOUT, Duration::from);
    Target::resolve(url, timeout).context(Hint::new("fix --url or [postgres] url in maint.toml"))
}

/// How long `db report`'s read-only queries may take together: `[postgres] query_timeout`.
pub fn query_timeout(loaded: &Loaded) -> Duration {
    postgres_config(loaded)
        .and_then(|c| c.query_timeout)
        .map_or(DEFAULT_QUERY_TIMEOUT, Duration::from)
}

/// A connection failure as one error line with what to do about it.
pub fn connect_error(err: PgError) -> anyhow::Error {
    let hint = err.hint();
    anyhow::Error::new(err).context(Hint::new(hint))
}

/// A failed query, naming what was being done.
pub fn query_error(err: &postgres::Error, target: &Target, doing: &str) -> anyhow::Error {
    let message = err
        .as_db_error()
        .map_or_else(|| err.to_string(), |db| db.message().to_owned());
    let hint = if err.code() == Some(&postgres::error::SqlState::INSUFFICIENT_PRIVILEGE) {
        format!(
            "connect as the table owner or a role with the needed grants (now {:?})",
            target.user()
        )
    } else {
        format!("psql '{}' and try it by hand", target.display)
    };
    anyhow::anyhow!("PostgreSQL at {}: {doing}: {message}", target.display).context(Hint::new(hint))
}

/// Connects and reads the server facts every db command needs. The first
/// query is as small as queries get (a few settings): login and it get
/// twice the connect limit, whatever the server does, so a server that
/// takes the login and then stops answering cannot hold vacuum or prune
/// before they start. A connection that `sslmode=prefer` made in plain
/// text after a failed TLS handshake is told under `-v`.
pub fn open(target: &Target, notes: Notes) -> Result<(Client, Server)> {
    let limit = target.connect_limit() * 2;
    let owned = target.clone();
    crate::parallel::within(limit, move || {
        let connected = owned.connect_with_transport().map_err(connect_error)?;
        if let Some(note) = connected.transport.fallback_note() {
            notes.note(|| format!("PostgreSQL at {}: {note}", owned.display));
        }
        let mut client = connected.client;
        let server = crate::probe::pgstats::server(&mut client)
            .map_err(|err| query_error(&err, &owned, "reading server settings"))?;
        Ok((client, server))
    })
    .unwrap_or_else(|| {
        Err(connect_error(
            target.no_answer(limit, "to the connection and the first query"),
        ))
    })
}

/// Vacuum and prune change things: a standby cannot, and says so late and
/// obscurely ("cannot execute VACUUM during recovery"), so say it first,
/// with where the primary is when the standby knows.
pub fn require_primary(
    client: &mut Client,
    server: &Server,
    target: &Target,
    command: &str,
) -> Result<()> {
    if !server.in_recovery {
        return Ok(());
    }
    let primary = crate::probe::pgstats::standby(client).ok();
    let (at, hint) = match primary.as_ref().and_then(|standby| {
        Some((
            standby.primary()?,
            standby.primary_url(target.user(), target.dbname())?,
        ))
    }) {
        Some((at, url)) => (
            format!(" (it replays from {at})"),
            format!(
                "point --url at the primary: --url {}; what {command} removes there reaches the standby by replication",
                crate::shell::word(&url)
            ),
        ),
        None => (
            String::new(),
            format!(
                "point --url at the primary (SELECT pg_is_in_recovery() is false there); what {command} removes there reaches the standby by replication"
            ),
        ),
    };
    Err(anyhow::anyhow!(
        "PostgreSQL at {} is a read-only standby (in recovery): {command} must run on the primary{at}",
        target.display
    )
    .context(Hint::new(hint)))
}

/// Who holds back cleanup, in words: `transaction pid 4321 open 5m 03s (user
/// app, psql, idle in transaction, ...)`.
pub fn holder_text(holder: &Holder) -> String {
    let open = crate::units::human_duration(holder.open_for.unwrap_or_default());
    match holder.kind {
        HolderKind::Transaction => format!(
            "transaction pid {} open {open} ({})",
            holder.name, holder.detail
        ),
        HolderKind::ReplicationSlot => {
            format!("replication slot {} ({})", holder.name, holder.detail)
        }
        HolderKind::PreparedTransaction => format!(
            "prepared transaction {:?} open {open} ({})",
            holder.name, holder.detail
        ),
        HolderKind::StandbyFeedback => format!(
            "queries on a standby through hot_standby_feedback (walsender pid {}, {})",
            holder.name, holder.detail
        ),
    }
}

/// A table named on the command line, as the server resolves it.
#[derive(Clone, Debug)]
pub struct NamedTable {
    pub oid: u32,
    /// Quoted where it must be: fit for SQL.
    pub qualified: String,
}

/// Resolves `schema.table` (SQL quoting rules, search_path for bare names)
/// to the table, or an error naming the flag and what to do.
pub fn resolve_table(
    client: &mut Client,
    target: &Target,
    flag: &str,
    name: &str,
) -> Result<NamedTable> {
    let row = client
        .query_opt(
            "SELECT c.oid, n.nspname::text, c.relname::text, c.relkind::text
               FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
              WHERE c.oid = to_regclass($1)",
            &[&name],
        )
        .map_err(|err| {
            let message = err
                .as_db_error().map_or_else(|| err.to_string(), |db| db.message().to_owned());
            anyhow::anyhow!("{flag} {name:?}: {message}").context(Hint::new(
                "write schema.table, quoting names with capitals or symbols as in SQL: '\"My Schema\".\"Tab-le\"'",
            ))
        })?;
    let Some(row) = row else {
        return Err(anyhow::anyhow!(
            "{flag} {name:?}: no such table in database {:?}",
            target.dbname()
        )
        .context(Hint::new(format!(
            "psql '{}' -c '\\dt *.*' lists the tables; quote names with capitals or symbols as in SQL",
            target.display
        ))));
    };
    let kind: String = row.get(3);
    let kind = kind.chars().next().unwrap_or('?');
    let qualified = crate::probe::pgname::qualified(row.get(1), row.get(2));
    if !matches!(kind, 'r' | 'm' | 'p') {
        return Err(
            anyhow::anyhow!("{flag} {name:?}: {qualified} is not a table").context(Hint::new(
                "name a table or materialized view (\\dt in psql lists them)",
            )),
        );
    }
    Ok(NamedTable {
        oid: row.get(0),
        qualified,
    })
}

/// The seconds PostgreSQL settings take (`lock_timeout`, `statement_timeout`), in milliseconds.
pub fn millis(duration: Duration) -> String {
    format!("{}ms", duration.as_millis().max(1))
}
