//! `maint certs check`: TLS endpoints and certificate files, judged for
//! expiry, trust, names and weak keys (`checks::certs`).

use crate::checks::certs::{Settings, run};
use crate::cli::{CertsArgs, CertsCommand};

pub fn execute(args: &CertsArgs, context: &super::Context) -> super::Outcome {
    match &args.command {
        CertsCommand::Check(check) => {
            let settings = Settings::resolve(check, context.config, context.notes())
                .map_err(super::Failed::Setup)?;
            context.note(|| {
                format!(
                    "certs: {} targets, {} at once",
                    settings.target_count(),
                    settings.jobs
                )
            });
            Ok(run(settings))
        }
    }
}
