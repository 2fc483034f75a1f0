//! `maint health`: local resources and the configured services, checked at
//! once under one deadline (`checks::health`), one verdict.

use crate::checks::health::{Settings, list, run};
use crate::cli::HealthArgs;
use crate::units::compact_duration;

pub fn execute(args: &HealthArgs, context: &super::Context) -> super::Outcome {
    let settings = Settings::resolve(args, context.config).map_err(super::Failed::Setup)?;
    context.note(|| {
        format!(
            "health: {} checks, deadline {}",
            settings.probes.iter().map(|p| p.names.len()).sum::<usize>(),
            compact_duration(settings.deadline)
        )
    });
    Ok(if settings.list {
        list(&settings)
    } else {
        run(settings)
    })
}
