//! What the backup commands share about the database side (the server
//! and its client tools, and how a dump's failure is told) and the private
//! work folder a remote destination needs on this host.

use std::fs::{self, OpenOptions};
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context as _, Result};

use crate::commands::{Context, Failed};
use crate::error::Hint;
use crate::probe::postgres::Target;
use crate::storage::catalog;
use crate::storage::database::{self, DbError};
use crate::storage::pack::PackError;
use crate::storage::remote::Location;

/// The database side of a backup or restore: the server and its client tools.
pub(super) struct DbPlan {
    pub target: Target,
    pub pg_dump: PathBuf,
    pub pg_restore: PathBuf,
    /// For roles and tablespaces; without it they are not saved (a warning).
    pub pg_dumpall: Option<PathBuf>,
    /// For putting roles and tablespaces back; without it a restore says so.
    pub psql: Option<PathBuf>,
}

/// The database named by `url` and the client tools to reach it with, found
/// before anything is written.
pub(super) fn db_plan(url: &str, context: &Context) -> Result<DbPlan> {
    let target = Target::resolve(Some(url), Duration::from_secs(10))
        .map_err(anyhow::Error::new)
        .context(Hint::new("fix --db or [backup] db"))?;
    let pg_bin = context.config.config.backup.pg_bin.as_deref();
    let tool = |name: &str| {
        database::find_tool(pg_bin, name).map_err(anyhow::Error::new).context(Hint::new(
            "install the PostgreSQL client tools (apt-get install postgresql-client) or set pg_bin in [backup]",
        ))
    };
    Ok(DbPlan {
        pg_dump: tool("pg_dump")?,
        pg_restore: tool("pg_restore")?,
        pg_dumpall: database::find_tool(pg_bin, "pg_dumpall").ok(),
        psql: database::find_tool(pg_bin, "psql").ok(),
        target,
    })
}

pub(super) fn db_failed(err: DbError) -> Failed {
    let hint = match &err {
        DbError::Connect(pg) => pg.hint(),
        DbError::TooOld { .. } => "install the client tools of the server's version (apt-get install postgresql-client-NN) and point pg_bin in [backup] at them".to_owned(),
        DbError::Missing { .. } => "apt-get install postgresql-client, or set pg_bin in [backup]".to_owned(),
        _ => "check the database and the PostgreSQL client tools; maint -v shows each step".to_owned(),
    };
    let setup = matches!(err, DbError::TooOld { .. } | DbError::Missing { .. });
    let error = anyhow::Error::new(err).context(Hint::new(hint));
    if setup {
        Failed::Setup(error)
    } else {
        Failed::Running(error)
    }
}

/// A private local folder (0700) for what a remote destination needs on
/// this host: the database dump on its way into the archive, an archive
/// fetched for a restore. `MAINT_WORK_DIR`, else `$XDG_CACHE_HOME/maint`,
/// `~/.cache/maint`, or `/var/cache/maint` for root.
pub(super) fn work_folder() -> Result<PathBuf> {
    use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
    let folder = std::env::var_os("MAINT_WORK_DIR")
        .map(PathBuf::from)
        .or_else(|| {
            if rustix::process::geteuid().is_root() {
                return Some(PathBuf::from("/var/cache/maint"));
            }
            std::env::var_os("XDG_CACHE_HOME")
                .map(|d| PathBuf::from(d).join("maint"))
                .or_else(|| std::env::var_os("HOME").map(|h| PathBuf::from(h).join(".cache/maint")))
        })
        .ok_or_else(|| anyhow::anyhow!("no folder for the work files of a remote backup"))
        .context(Hint::new("set MAINT_WORK_DIR or HOME"))?;
    fs::DirBuilder::new()
        .recursive(true)
        .mode(0o700)
        .create(&folder)
        .with_context(|| format!("cannot create {}", folder.display()))
        .context(Hint::new(format!("ls -ld {}", folder.display())))?;
    let metadata = fs::symlink_metadata(&folder)
        .with_context(|| format!("cannot read {}", folder.display()))?;
    if !metadata.is_dir() || metadata.permissions().mode() & 0o077 != 0 {
        return Err(anyhow::anyhow!(
            "work folder {} is not a private folder (it must be a folder with mode 0700)",
            folder.display()
        ))
        .context(Hint::new(format!("chmod 700 {}", folder.display())));
    }
    Ok(folder)
}

/// The destination must take a new file now, not after minutes of work.
pub(super) fn check_writable(dest: &Path) -> Result<()> {
    let probe = dest.join(format!(
        "{}probe-{}",
        catalog::TEMP_PREFIX,
        std::process::id()
    ));
    OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&probe)
        .with_context(|| format!("backup folder {} is not writable", dest.display()))
        .context(Hint::new(format!("ls -ld {0}; df -h {0}", dest.display())))?;
    let _ = fs::remove_file(&probe);
    Ok(())
}

/// What failed, with the hint that fits: the destination's free space only
/// when the destination is to blame.
pub(super) fn pack_failed(err: PackError, dest: &Path) -> Failed {
    let remote = dest.to_str().is_some_and(Location::is_remote);
    let hint = match &err {
        PackError::Write { .. } | PackError::ReadBack(_) | PackError::Verify(_) if remote => {
            format!(
                "check the store behind {} (its endpoint, free space and the credentials' rights) and run the backup again",
                dest.display()
            )
        }
        PackError::Write { .. } => format!(
            "df -h {}; free space there or run maint backup prune",
            dest.display()
        ),
        PackError::Source { path, .. } => format!(
            "ls -l {}; exclude it (--exclude) or fix its permissions",
            path.display()
        ),
        PackError::Pattern { .. } => "fix --exclude or [backup] exclude".to_owned(),
        PackError::Interrupted => "run it again when it may finish".to_owned(),
        PackError::ReadBack(_) | PackError::Verify(_) => format!(
            "check the disk under {} (dmesg) and run the backup again",
            dest.display()
        ),
    };
    let setup = matches!(err, PackError::Pattern { .. });
    let error = anyhow::Error::new(err).context(Hint::new(hint));
    if setup {
        Failed::Setup(error)
    } else {
        Failed::Running(error)
    }
}
