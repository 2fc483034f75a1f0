//! `maint db prune`.
use crate::cli::DbPruneArgs;
use crate::commands::{Context, Outcome};

pub fn execute(_args: &DbPruneArgs, _context: &Context) -> Outcome {
    todo!()
}
