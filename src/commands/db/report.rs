//! `maint db report`: what the server says about its tables, indexes,
//! sessions and replication, judged (`checks::postgres::report`).

use crate::checks::postgres::report::{Settings, run};
use crate::cli::DbReportArgs;
use crate::commands::{Context, Failed, Outcome};

pub fn execute(args: &DbReportArgs, context: &Context) -> Outcome {
    let settings =
        Settings::resolve(args, context.config, context.notes()).map_err(Failed::Setup)?;
    run(&settings).map_err(Failed::Setup)
}
