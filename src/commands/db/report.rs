//! `maint db report`.
use crate::cli::DbReportArgs;
use crate::commands::{Context, Outcome};

pub fn execute(_args: &DbReportArgs, _context: &Context) -> Outcome {
    todo!()
}
