//! `maint db report | vacuum | prune`: PostgreSQL maintenance that picks
//! the tables that need it and never surprises the operator. What the three
//! share (where the server is, connecting, table names) is in
//! `checks::postgres`.

pub mod prune;
pub mod reindex;
pub mod report;
pub mod vacuum;

use super::{Context, Outcome};
pub(crate) use crate::checks::postgres::{
    DEFAULT_LOCK_TIMEOUT, NamedTable, connect_error, millis, open, query_error, require_primary,
    resolve_table, target,
};
use crate::cli::DbCommand;

pub fn execute(command: &DbCommand, context: &Context) -> Outcome {
    match command {
        DbCommand::Report(args) => report::execute(args, context),
        DbCommand::Vacuum(args) => vacuum::execute(args, context),
        DbCommand::Prune(args) => prune::execute(args, context),
        DbCommand::Reindex(args) => reindex::execute(args, context),
    }
}
