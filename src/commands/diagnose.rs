//! `maint diagnose`: the one command to run when something is wrong. It
//! gathers every section at once under one deadline (`checks::diagnose`)
//! and reports what it finds wrong worst first, each finding with a reason
//! and the command to run next. `--bundle` packs the report, the effective
//! config and recent log excerpts, redacted, for a support ticket.

use std::path::{Path, PathBuf};

use anyhow::Context as _;

use super::{Context, Failed, Outcome};
use crate::checks::diagnose::Plan;
use crate::cli::DiagnoseArgs;
use crate::error::Hint;
use crate::probe::system;
use crate::render::{self, Format, Style};
use crate::report::Report;
use crate::storage::bundle::Bundle;
use crate::units::compact_duration;

pub struct Settings {
    plan: Plan,
    bundle: Option<PathBuf>,
    redact_hosts: bool,
    /// Host names to hide with --redact-hosts: this machine's and the config's.
    host_names: Vec<String>,
    config_text: String,
    config_path: Option<PathBuf>,
}

impl Settings {
    pub fn resolve(args: &DiagnoseArgs, context: &Context) -> anyhow::Result<Settings> {
        let loaded = context.config;
        if let Some(bundle) = &args.bundle {
            crate::storage::atomic::check_writable(bundle)
                .with_context(|| format!("cannot write --bundle {}", bundle.display()))
                .context(Hint::new("name a file in a folder that exists"))?;
        }
        let plan = Plan::resolve(args, loaded, context.notes())?;
        let mut host_names = vec![system::hostname()];
        host_names.extend(url_hosts(&loaded.config));
        Ok(Settings {
            plan,
            bundle: args.bundle.clone(),
            redact_hosts: args.redact_hosts,
            host_names,
            config_text: loaded.text().to_owned(),
            config_path: loaded.path.clone(),
        })
    }
}

/// The hosts named by the URLs in the config, for --redact-hosts.
fn url_hosts(config: &crate::config::Config) -> Vec<String> {
    let mut urls: Vec<String> = config.health.http.iter().map(|h| h.url.0.clone()).collect();
    urls.extend(
        config
            .health
            .tcp
            .iter()
            .map(|t| format!("tcp://{}", t.address.0)),
    );
    if let Some(url) = config.redis.as_ref().and_then(|r| r.url.as_ref()) {
        urls.push(url.0.clone());
    }
    if let Some(url) = config.postgres.as_ref().and_then(|p| p.url.as_ref()) {
        urls.push(url.0.clone());
    }
    urls.iter()
        .filter_map(|u| url::Url::parse(u).ok()?.host_str().map(str::to_owned))
        .collect()
}

pub fn execute(args: &DiagnoseArgs, context: &Context) -> Outcome {
    let Settings {
        plan,
        bundle,
        redact_hosts,
        host_names,
        config_text,
        config_path,
    } = Settings::resolve(args, context).map_err(Failed::Setup)?;
    context.note(|| {
        format!(
            "diagnose: deadline {}, {} per collector",
            compact_duration(plan.deadline),
            compact_duration(plan.timeout)
        )
    });
    let (report, attachments) = crate::checks::diagnose::run(plan);
    if let Some(path) = &bundle {
        let hosts = redact_hosts.then(|| crate::redact::HostRedactor::new(host_names));
        let config = match &config_path {
            Some(config_path) => format!("# {}\n{config_text}", config_path.display()),
            None => "# no maint.toml was found: built-in defaults\n".to_owned(),
        };
        write_bundle(&report, &config, attachments, hosts, path).map_err(Failed::Running)?;
        context.note(|| format!("diagnose: bundle written to {}", path.display()));
    }
    Ok(report)
}

fn write_bundle(
    report: &Report,
    config: &str,
    attachments: Vec<(String, String)>,
    hosts: Option<crate::redact::HostRedactor>,
    path: &Path,
) -> anyhow::Result<()> {
    let style = Style::default();
    // The bundle redacts every file as it packs it.
    let mut bundle = Bundle::new(hosts);
    bundle.add("report.txt", render::render(report, Format::Table, &style));
    bundle.add("report.json", render::render(report, Format::Json, &style));
    bundle.add(
        "report.md",
        render::render(report, Format::Markdown, &style),
    );
    bundle.add("config/maint.toml", config);
    for (name, text) in attachments {
        bundle.add(name, text);
    }
    let prefix = format!(
        "maint-diagnose-{}",
        report.started_at.format("%Y%m%dT%H%M%SZ")
    );
    bundle
        .write(path, &prefix, report.started_at)
        .with_context(|| format!("cannot write the support bundle {}", path.display()))
}
