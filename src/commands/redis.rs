//! `maint redis report`: the weekly Redis round in one read-only report
//! (`checks::redis`).

use crate::checks::redis::{Settings, run};
use crate::cli::RedisCommand;

pub fn execute(command: &RedisCommand, context: &super::Context) -> super::Outcome {
    match command {
        RedisCommand::Report(args) => {
            let settings = Settings::resolve(args, context.config).map_err(super::Failed::Setup)?;
            context.note(|| format!("redis report: {}", settings.shown()));
            Ok(run(&settings))
        }
    }
}
