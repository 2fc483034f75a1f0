//! What `maint db vacuum` will do: its settings, resolved from flags and
//! `maint.toml` before connecting, and the plan: one catalog query, then
//! the tables chosen and ordered (`judge::vacuum`) with the statement each
//! gets.

use std::time::Duration;

use anyhow::Result;
use postgres::Client;

use super::vacuum::{Mode, statement};
use super::{NamedTable, target};
use crate::cli::DbVacuumArgs;
use crate::config::Loaded;
use crate::error::Hint;
use crate::judge::vacuum::{self, Candidate, Criteria, Scope};
use crate::probe::pgstats::{self, Server};
use crate::probe::postgres::Target;

const MAX_JOBS: usize = 64;

/// Everything `maint db vacuum` will do, validated before connecting.
pub struct Settings {
    pub target: Target,
    pub mode: Mode,
    pub dry_run: bool,
    pub tables: Vec<String>,
    pub schemas: Vec<String>,
    pub exclude: Vec<String>,
    pub jobs: usize,
    pub lock_timeout: Duration,
    pub statement_timeout: Option<Duration>,
    pub max_duration: Option<Duration>,
    pub criteria: Criteria,
    /// ` --url ...` for hints, when the user named the server with it.
    pub again: String,
}

impl Settings {
    pub fn resolve(args: &DbVacuumArgs, loaded: &Loaded) -> Result<Settings> {
        let postgres = loaded.config.postgres.as_ref();
        let vacuum = postgres.map(|p| &p.vacuum);
        let mode = match (args.full, args.analyze_only) {
            (true, _) => Mode::Full,
            (false, true) => Mode::AnalyzeOnly,
            (false, false) => Mode::Vacuum,
        };
        if mode == Mode::Full && (args.table.is_empty() || !args.schema.is_empty()) {
            return Err(anyhow::anyhow!(
                "--full needs --table: VACUUM FULL rewrites a table under an ACCESS EXCLUSIVE lock \
                 (no reads or writes until it is done), so it runs only on tables named one by one"
            )
            .context(Hint::new(
                "maint db vacuum --full --yes --table SCHEMA.TABLE (or drop --full: plain VACUUM takes no such lock)",
            )));
        }
        let jobs = match (args.jobs, vacuum.and_then(|v| v.jobs.as_ref())) {
            (Some(jobs), _) => jobs,
            (None, Some(spanned)) => {
                let jobs = *spanned.get_ref();
                if jobs == 0 || jobs > MAX_JOBS {
                    return Err(loaded
                        .invalid(
                            "postgres.vacuum.jobs",
                            spanned,
                            format!("must be 1 to {MAX_JOBS}"),
                        )
                        .into());
                }
                jobs
            }
            (None, None) => 1,
        };
        if jobs == 0 || jobs > MAX_JOBS {
            return Err(anyhow::anyhow!("--jobs {jobs}: must be 1 to {MAX_JOBS}")
                .context(Hint::new("--jobs 2 runs two tables at a time")));
        }
        let mut criteria = Criteria::default();
        if let Some(spanned) = vacuum.and_then(|v| v.dead_ratio.as_ref()) {
            criteria.dead_ratio = percent(*spanned.get_ref())
                .map_err(|m| loaded.invalid("postgres.vacuum.dead_ratio", spanned, m))?;
        }
        if let Some(ratio) = args.dead_ratio {
            criteria.dead_ratio = percent(ratio).map_err(|m| {
                anyhow::anyhow!("--dead-ratio {ratio}: {m}").context(Hint::new(
                    "--dead-ratio 20 chooses tables with 20 % dead tuples",
                ))
            })?;
        }
        if let Some(spanned) = vacuum.and_then(|v| v.min_dead_tuples.as_ref()) {
            criteria.min_dead_tuples = (*spanned.get_ref()).max(0);
        }
        if let Some(count) = args.min_dead_tuples {
            criteria.min_dead_tuples = count.max(0);
        }
        if let Some(spanned) = vacuum.and_then(|v| v.xid_age.as_ref()) {
            criteria.xid_age = Some((*spanned.get_ref()).max(0));
        }
        if let Some(on) = vacuum.and_then(|v| v.stale_statistics) {
            criteria.stale_statistics = on;
        }
        if let Some(on) = vacuum.and_then(|v| v.autovacuum_overdue) {
            criteria.autovacuum_overdue = on;
        }
        if mode == Mode::AnalyzeOnly {
            // ANALYZE fixes statistics only: dead tuples and xid age are VACUUM's business.
            criteria = Criteria {
                dead_ratio: f64::INFINITY,
                min_dead_tuples: i64::MAX,
                xid_age: Some(i64::MAX),
                stale_statistics: true,
                autovacuum_overdue: false,
            };
        }
        let mut schemas = args.schema.clone();
        let mut exclude = args.exclude.clone();
        if let Some(vacuum) = vacuum {
            if schemas.is_empty() {
                schemas.clone_from(&vacuum.schema);
            }
            exclude.extend(vacuum.exclude.iter().cloned());
        }
        Ok(Settings {
            target: target(args.url.as_ref(), loaded)?,
            mode,
            dry_run: args.dry_run,
            tables: args.table.clone(),
            schemas,
            exclude,
            jobs,
            lock_timeout: args
                .lock_timeout
                .or(postgres.and_then(|p| p.lock_timeout))
                .map_or(super::DEFAULT_LOCK_TIMEOUT, Duration::from),
            statement_timeout: args
                .statement_timeout
                .or(postgres.and_then(|p| p.statement_timeout))
                .map(Duration::from),
            max_duration: args
                .max_duration
                .or(vacuum.and_then(|v| v.max_duration))
                .map(Duration::from),
            criteria,
            again: crate::shell::again("--url", args.url.as_ref().map(|u| u.0.as_str())),
        })
    }
}

fn percent(value: f64) -> Result<f64, String> {
    if (0.0..=100.0).contains(&value) {
        Ok(value / 100.0)
    } else {
        Err(format!("{value} is not a percentage (0 to 100)"))
    }
}

/// One table of the plan: what runs and why.
#[derive(Clone, Debug)]
pub struct Planned {
    pub candidate: Candidate,
    /// What runs on this table: an ANALYZE alone where only its statistics
    /// are stale (`judge::vacuum::analyze_alone`), else the run's mode.
    pub mode: Mode,
    pub sql: String,
    pub lock: &'static str,
}

/// Builds the plan: one catalog query, then selection and ordering in memory.
pub fn plan(
    client: &mut Client,
    server: &Server,
    settings: &Settings,
    named: &[NamedTable],
    excluded: &[NamedTable],
) -> Result<(Vec<Planned>, usize), postgres::Error> {
    let tables = pgstats::tables(client, server, false)?;
    let considered = tables.len();
    let scope = Scope {
        named: named.iter().map(|t| t.oid).collect(),
        excluded: excluded.iter().map(|t| t.oid).collect(),
        schemas: settings.schemas.clone(),
    };
    let chosen = vacuum::choose(tables, server, &settings.criteria, &scope);
    let planned = chosen
        .into_iter()
        .map(|candidate| {
            let mode = if settings.mode == Mode::Vacuum && vacuum::analyze_alone(&candidate.reasons)
            {
                Mode::AnalyzeOnly
            } else {
                settings.mode
            };
            let (sql, lock) = statement(mode, &candidate.table.qualified, server);
            Planned {
                candidate,
                mode,
                sql,
                lock,
            }
        })
        .collect();
    Ok((planned, considered))
}
