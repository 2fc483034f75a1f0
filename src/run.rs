//! The run loop: the command line parsed (usage errors as one line, exit
//! 3), the configuration loaded, the output settled, the command run to a
//! report, the report rendered and delivered, and the exit code decided by
//! `exit` from the report or from the stage an error came from.

use std::ffi::OsString;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;

use anyhow::Context;
use clap::Parser;

use crate::cli::{self, Cli, ColorWhen, Command, GlobalArgs};
use crate::error::Hint;
use crate::exit::{ExitCode, Stage};
use crate::render::{Format, Style};
use crate::report::Report;

mod notice;

/// `maint --version`: the version and the commit it was built from.
pub const LONG_VERSION: &str = concat!(env!("CARGO_PKG_VERSION"), " (", env!("MAINT_COMMIT"), ")");

/// An error that ended a run, with the exit code it calls for.
#[derive(Debug)]
pub struct Failure {
    pub error: anyhow::Error,
    pub code: ExitCode,
}

/// Parses the command line. Help and version are printed here and exit 0;
/// usage errors are printed as one `maint: error:` line and exit 3, not
/// clap's 2, which means CRITICAL in this tool's contract.
pub fn parse_args(
    args: impl IntoIterator<Item = impl Into<OsString> + Clone>,
) -> Result<Cli, ExitCode> {
    let args: Vec<OsString> = args.into_iter().map(Into::into).collect();
    // `maint __statvfs PATH` and its kin are maint's own helper processes
    // (see probe::isolated), not part of the command line people use.
    if let Some((output, ok)) = helper(&args) {
        print!("{output}");
        return Err(if ok { ExitCode::Ok } else { ExitCode::Warning });
    }
    match Cli::try_parse_from(args) {
        Ok(cli) => Ok(cli),
        Err(err) => {
            use clap::error::ErrorKind;
            match err.kind() {
                ErrorKind::DisplayHelp | ErrorKind::DisplayVersion => {
                    let _ = err.print();
                    Err(ExitCode::Ok)
                }
                _ => {
                    eprintln!("{}", usage_error_line(&err));
                    Err(ExitCode::Unknown)
                }
            }
        }
    }
}

/// The child's side of `probe::isolated`: runs the helper named in `args`
/// (`[maint, __name, ...]`) and returns what to print and whether it
/// succeeded; None when `args` name no helper.
fn helper(args: &[OsString]) -> Option<(String, bool)> {
    use std::path::Path;
    use std::time::Duration;

    let name = args.get(1)?.to_str()?.strip_prefix("__")?;
    let rest = &args[2..];
    match (name, rest) {
        ("statvfs", [path]) => Some(crate::probe::disk::statvfs_helper(Path::new(path))),
        ("folders", [path, max_entries, budget_ms]) => {
            let max_entries = max_entries.to_str()?.parse().ok()?;
            let budget = Duration::from_millis(budget_ms.to_str()?.parse().ok()?);
            Some(crate::probe::disk::folders_helper(
                Path::new(path),
                max_entries,
                budget,
            ))
        }
        ("logfiles", [path]) => Some(crate::logscan::input::files_helper(Path::new(path))),
        ("certfiles", [path]) => Some(crate::probe::x509::certfiles_helper(Path::new(path))),
        _ => None,
    }
}

/// clap's several-line usage error as one line, with its tip as the hint.
fn usage_error_line(err: &clap::Error) -> String {
    let text = err.render().to_string();
    let mut lines = text.lines().map(str::trim).filter(|l| !l.is_empty());
    let mut first = lines
        .next()
        .unwrap_or("invalid usage")
        .trim_start_matches("error: ")
        .to_owned();
    // A command without its subcommand renders the whole help as the
    // "error": say what is missing, and the choices, instead.
    if err.kind() == clap::error::ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
        let path = text
            .lines()
            .find_map(|line| line.trim().strip_prefix("Usage: "))
            .map_or_else(
                || "maint".to_owned(),
                |usage| {
                    usage
                        .split_whitespace()
                        .take_while(|word| !word.starts_with(['[', '<']))
                        .collect::<Vec<_>>()
                        .join(" ")
                },
            );
        let commands: Vec<&str> = text
            .lines()
            .skip_while(|line| line.trim() != "Commands:")
            .skip(1)
            .take_while(|line| line.starts_with("  "))
            // A name is indented by two; deeper lines continue a description.
            .filter(|line| !line.starts_with("   "))
            .filter_map(|line| line.split_whitespace().next())
            .filter(|name| *name != "help")
            .collect();
        first = format!("{path} needs a command: {}", commands.join(", "));
    }
    // "the following required arguments were not provided:" lists them on
    // the indented lines below: they belong on this one line.
    if first.ends_with(':') {
        let listed: Vec<&str> = text
            .lines()
            .skip(1)
            .take_while(|line| line.starts_with("  "))
            .map(str::trim)
            .collect();
        if !listed.is_empty() {
            first = format!("{} {}", first, listed.join(", "));
        }
    }
    let tip = lines
        .find_map(|line| line.strip_prefix("tip: "))
        .map(str::to_owned);
    let usage = lines
        .clone()
        .find(|line| line.starts_with("Usage: "))
        .or_else(|| text.lines().find(|l| l.starts_with("Usage: ")));
    let hint = match (tip, usage) {
        (Some(tip), _) => tip,
        (None, Some(usage)) => {
            format!("usage: {}; see --help", usage.trim_start_matches("Usage: "))
        }
        (None, None) => "see maint --help".to_owned(),
    };
    let error = anyhow::anyhow!(first).context(Hint::new(hint));
    crate::error::describe(&error)
}

/// Where and how the report goes, settled before the command runs.
struct Output {
    format: Format,
    path: Option<PathBuf>,
    quiet: bool,
    style: Style,
}

impl Output {
    fn resolve(global: &GlobalArgs) -> anyhow::Result<Output> {
        if let Some(path) = &global.output {
            crate::storage::atomic::check_writable(path)
                .with_context(|| format!("cannot write --output {}", path.display()))
                .context(Hint::new("name a file in a folder that exists"))?;
        }
        let to_terminal = global.output.is_none() && std::io::stdout().is_terminal();
        let no_color_env = std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        let dumb = std::env::var("TERM").is_ok_and(|term| term == "dumb");
        let color = match global.color {
            ColorWhen::Always => true,
            ColorWhen::Never => false,
            ColorWhen::Auto => to_terminal && !no_color_env && !dumb,
        };
        let width = to_terminal
            .then(|| rustix::termios::tcgetwinsize(std::io::stdout()).ok())
            .flatten()
            .map(|size| size.ws_col)
            .filter(|cols| *cols >= 40);
        Ok(Output {
            format: global.format.unwrap_or(Format::Table),
            path: global.output.clone(),
            quiet: global.quiet,
            style: Style {
                color,
                width,
                verbose: global.verbose > 0,
            },
        })
    }

    /// Writes the report; a closed pipe on stdout (`maint health | head`) is not an error.
    fn deliver(&self, report: &Report) -> anyhow::Result<()> {
        let text = crate::render::render(report, self.format, &self.style);
        if let Some(path) = &self.path {
            return crate::storage::atomic::write(path, text.as_bytes())
                .with_context(|| format!("cannot write --output {}", path.display()));
        }
        if self.quiet {
            return Ok(());
        }
        let mut stdout = std::io::stdout().lock();
        match stdout
            .write_all(text.as_bytes())
            .and_then(|()| stdout.flush())
        {
            Err(err) if err.kind() != std::io::ErrorKind::BrokenPipe => {
                Err(err).context("cannot write to standard output")
            }
            _ => Ok(()),
        }
    }
}

/// A routine's step ends with its routine: killed with `kill -9`, the
/// routine cannot stop it, so the kernel does (`PR_SET_PDEATHSIG`).
fn follow_parent_routine() -> anyhow::Result<()> {
    let Some(parent) = std::env::var_os(crate::routine::PARENT_ENV) else {
        return Ok(());
    };
    let _ = rustix::process::set_parent_process_death_signal(Some(rustix::process::Signal::TERM));
    let alive = rustix::process::getppid()
        .is_some_and(|pid| pid.as_raw_nonzero().to_string() == parent.to_string_lossy());
    if alive {
        Ok(())
    } else {
        Err(anyhow::anyhow!(
            "the routine that started this step is gone"
        ))
    }
}

/// Records the run's checks in the history. A store that is locked, full,
/// corrupt or read-only is a warning on stderr: the run's result and exit
/// code stand, and the next run tries again.
fn record_history(
    report: &Report,
    history: &crate::checks::history::Settings,
    context: &crate::commands::Context,
) {
    let started = std::time::Instant::now();
    match crate::checks::history::record(report, history) {
        Ok(()) => context.note(|| {
            format!(
                "history: recorded {} checks in {:.1} ms",
                report.checks.len(),
                started.elapsed().as_secs_f64() * 1000.0
            )
        }),
        Err(err) => eprintln!(
            "{}",
            crate::redact::secrets(&format!(
                "maint: warning: the history was not recorded: {err} (the result stands; `--no-history` skips it, [history] path moves it)"
            ))
        ),
    }
}

/// Runs a parsed command line to its exit code.
pub fn run(cli: &Cli) -> Result<ExitCode, Failure> {
    let global = &cli.global;
    let kind = cli::kind(cli.command.name());
    let setup = |error: anyhow::Error| Failure {
        error,
        code: ExitCode::for_error(kind, Stage::Setup),
    };

    if let Command::Completions(args) = &cli.command {
        let (_, script) = crate::generate::completion(args.shell);
        let mut stdout = std::io::stdout().lock();
        return match stdout.write_all(&script) {
            Err(err) if err.kind() != std::io::ErrorKind::BrokenPipe => Err(setup(err.into())),
            _ => Ok(ExitCode::Ok),
        };
    }

    let loaded = crate::config::Loaded::discover(global.config.as_deref()).map_err(|err| {
        let hint = err.hint();
        setup(anyhow::Error::new(err).context(Hint::new(hint)))
    })?;
    let context = crate::commands::Context::new(&loaded, global.verbose > 0, global.quiet);
    context.note(|| match &loaded.path {
        Some(path) => format!("config: {}", path.display()),
        None => "config: none found, using built-in defaults".to_owned(),
    });
    let output = Output::resolve(global).map_err(setup)?;
    follow_parent_routine().map_err(setup)?;
    // Resolved with the rest of the settings, so a wrong [history] key stops
    // the run before anything happens.
    let command = cli.command.name();
    let history = (!global.no_history && crate::checks::history::is_recorded(command))
        .then(|| crate::checks::history::Settings::resolve(&loaded))
        .transpose()
        .map_err(setup)?;
    let notice = notice::Notice::new(&loaded, cli).map_err(|err| {
        let hint = err.hint();
        setup(anyhow::Error::new(err).context(Hint::new(hint)))
    })?;

    let outcome = match &cli.command {
        Command::Health(args) => crate::commands::health::execute(args, &context),
        Command::Diagnose(args) => crate::commands::diagnose::execute(args, &context),
        Command::Certs(args) => crate::commands::certs::execute(args, &context),
        Command::Db(command) => crate::commands::db::execute(command, &context),
        Command::Redis(command) => crate::commands::redis::execute(command, &context),
        Command::Logs(cli::LogsCommand::Analyze(args)) => {
            crate::commands::logs::execute(args, &context)
        }
        Command::Backup(command) => crate::commands::backup::execute(command, &context),
        Command::Run(args) => crate::commands::routine::execute(args, &context),
        Command::Notify(cli::NotifyCommand::Test(_)) => crate::commands::notify::execute(&context),
        Command::Trend(args) => crate::commands::trend::execute(args, &context),
        Command::Completions(_) => unreachable!("handled above"),
    };
    let mut report = match outcome {
        Ok(report) => report,
        Err(failed) => {
            let failure = match failed {
                crate::commands::Failed::Setup(error) => setup(error),
                crate::commands::Failed::Running(error) => Failure {
                    error,
                    code: ExitCode::for_error(kind, Stage::Running),
                },
            };
            if let Some(notice) = notice {
                notice::warn(&notice.finish_error(&failure, cli));
            }
            return Err(failure);
        }
    };
    if let Some(history) = &history {
        record_history(&report, history, &context);
    }
    if let Some(notice) = notice {
        let deliveries = notice.finish(&report, ExitCode::for_report(&report));
        notice::warn(&deliveries);
        report.sections.extend(crate::notify::section(&deliveries));
    }

    output.deliver(&report).map_err(|error| Failure {
        error,
        code: ExitCode::for_error(kind, Stage::Running),
    })?;
    Ok(ExitCode::for_report(&report))
}
