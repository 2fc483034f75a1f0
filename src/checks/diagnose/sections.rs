//! The collectors of `maint diagnose`, one a section: each reads what it
//! needs through probes or another check's collector, and leaves the
//! verdicts to the judges.

use std::path::PathBuf;
use std::time::Duration;

use chrono::{DateTime, Utc};

use super::{BackupPlan, Collected, EXCERPT_BYTES, cap_tail, tail, text};
use crate::judge;
use crate::probe::isolated::{self, IsolatedError};
use crate::probe::{cgroup::Cgroup, disk, kernel, process, system, systemd};
use crate::report::{Cell, Check, Report, Status, Unit};
use crate::units::{human_bytes, human_duration};

pub(super) fn collect_host() -> Collected {
    let host = system::host_info();
    let cgroup = Cgroup::detect();
    let mut rows = vec![
        vec![text("hostname"), text(&host.hostname)],
        vec![text("os"), text(&host.os)],
        vec![text("kernel"), text(&host.kernel)],
        vec![text("uptime"), text(human_duration(host.uptime))],
        vec![text("cpus"), text(host.cpus.to_string())],
        vec![text("memory"), text(human_bytes(host.memory_total))],
        vec![
            text("container"),
            text(host.container.as_deref().unwrap_or("none detected")),
        ],
    ];
    if let Some(limit) = cgroup.memory() {
        rows.push(vec![
            text("cgroup memory limit"),
            text(format!(
                "{} ({} in use)",
                human_bytes(limit.limit),
                human_bytes(limit.used)
            )),
        ]);
    }
    if let Some(quota) = cgroup.cpu_quota() {
        rows.push(vec![
            text("cgroup cpu quota"),
            text(format!("{quota} cores")),
        ]);
    }
    Collected {
        rows,
        ..Collected::default()
    }
}

pub(super) fn collect_health(settings: crate::checks::health::Settings) -> Collected {
    let gathered = crate::checks::health::gather(settings);
    Collected {
        rows: status_rows(&gathered.report),
        findings: judge::diagnose::health_findings(gathered.report.checks),
        redis: gathered.redis,
        ..Collected::default()
    }
}

fn status_rows(report: &Report) -> Vec<Vec<Cell>> {
    report
        .checks
        .iter()
        .map(|check| {
            vec![
                text(check.status.as_str()),
                text(&check.name),
                text(&check.message),
            ]
        })
        .collect()
}

pub(super) fn collect_postgres(settings: &crate::checks::postgres::report::Settings) -> Collected {
    match crate::checks::postgres::report::run(settings) {
        Ok(report) => Collected {
            rows: status_rows(&report),
            findings: judge::diagnose::findings(report.checks.iter().cloned()),
            ..Collected::default()
        },
        // The health section reports, and explains, a server that cannot be reached.
        Err(err) => Collected {
            note: Some(format!(
                "not available: {}",
                crate::error::describe(&err).trim_start_matches("maint: error: ")
            )),
            ..Collected::default()
        },
    }
}

/// What `maint redis report` finds beyond what the health checks and the
/// Redis section say (its first five checks are health's, evictions the
/// Redis section's); nothing when Redis did not answer, which the health
/// checks report and explain.
pub(super) fn collect_redis_review(settings: &crate::checks::redis::Settings) -> Collected {
    const SAID_ELSEWHERE: &[&str] = &[
        "redis",
        "redis:memory",
        "redis:clients",
        "redis:rejected",
        "redis:persistence",
        "redis:evictions",
    ];
    let mut report = crate::checks::redis::run(settings);
    if report.sections.is_empty() {
        return Collected {
            note: Some("not available: Redis did not answer (see the health checks)".to_owned()),
            ..Collected::default()
        };
    }
    report
        .checks
        .retain(|check| !SAID_ELSEWHERE.contains(&check.name.as_str()));
    Collected {
        rows: status_rows(&report),
        findings: judge::diagnose::findings(report.checks.iter().cloned()),
        ..Collected::default()
    }
}

/// A section that could not be gathered because its settings are wrong
/// (a certificate file that went missing): an UNKNOWN finding saying why.
fn not_run(name: &str, message: &str, hint: &str) -> Collected {
    Collected {
        findings: vec![
            Check::new(name, Status::Unknown, message.replace("maint: error: ", ""))
                .with_hint(hint),
        ],
        note: Some("not gathered: see the findings".to_owned()),
        ..Collected::default()
    }
}

pub(super) fn collect_certificates(
    settings: Result<crate::checks::certs::Settings, String>,
) -> Collected {
    let settings = match settings {
        Ok(settings) => settings,
        Err(message) => {
            return not_run(
                "cert:config",
                &format!("the [certs] targets cannot be checked: {message}"),
                "maint certs check",
            );
        }
    };
    let report = crate::checks::certs::run(settings);
    let rows = report
        .checks
        .iter()
        .map(|check| {
            vec![
                text(&check.name),
                text(check.status.as_str()),
                check
                    .value
                    .map_or(Cell::Empty, |days| Cell::Number(days.floor())),
                text(&check.message),
            ]
        })
        .collect();
    // Named cert:TARGET, and pointing at the maint command that shows it all.
    let mut renamed = report.clone();
    for check in &mut renamed.checks {
        let target = std::mem::take(&mut check.name);
        check.hint = Some(format!("maint certs check {}", crate::shell::word(&target)));
        check.message = format!("{target}: {}", check.message);
        check.name = format!("cert:{target}");
        check.why =
            Some("clients refuse the connection once a certificate expires or cannot be trusted");
    }
    let findings = judge::diagnose::findings(renamed.checks);
    Collected {
        rows,
        findings,
        ..Collected::default()
    }
}

pub(super) fn collect_processes() -> Collected {
    let processes = match process::usage(Duration::from_millis(200)) {
        Ok(processes) => processes,
        Err(err) => {
            return Collected {
                note: Some(err.to_string()),
                ..Collected::default()
            };
        }
    };
    let row = |by: &str, p: &process::ProcessUsage| {
        vec![
            text(by),
            Cell::Integer(i64::from(p.pid)),
            text(&p.name),
            Cell::Number(judge::round1(p.cpu_percent)),
            Cell::Bytes(p.memory_bytes),
        ]
    };
    let mut by_cpu: Vec<&process::ProcessUsage> = processes.iter().collect();
    by_cpu.sort_by(|a, b| b.cpu_percent.total_cmp(&a.cpu_percent));
    let mut by_memory: Vec<&process::ProcessUsage> = processes.iter().collect();
    by_memory.sort_by_key(|p| std::cmp::Reverse(p.memory_bytes));
    let rows = by_cpu
        .iter()
        .take(5)
        .map(|p| row("cpu", p))
        .chain(by_memory.iter().take(5).map(|p| row("memory", p)))
        .collect();
    let listing = processes
        .iter()
        .map(|p| {
            format!(
                "{} {} {:.1}% {} {}\n",
                p.pid, p.name, p.cpu_percent, p.memory_bytes, p.command_line
            )
        })
        .collect::<String>();
    Collected {
        rows,
        attachments: vec![(
            "processes.txt".to_owned(),
            cap_tail(&listing, EXCERPT_BYTES as usize),
        )],
        ..Collected::default()
    }
}

/// Sizes up each folder in a child process (a walk into a dead mount would
/// otherwise hold maint itself; see probe::isolated), sharing the collector's time.
pub(super) fn collect_folders(folders: &[PathBuf], timeout: Duration) -> Collected {
    let mut collected = Collected::default();
    let Some(helper) = isolated::helper_binary() else {
        collected.note = Some("cannot find maint's own binary to walk folders with".to_owned());
        return collected;
    };
    let share = timeout.mul_f64(0.9).div_f64(folders.len().max(1) as f64);
    let mut notes = Vec::new();
    for folder in folders {
        match disk::folder_sizes_isolated(&helper, folder, 500_000, share) {
            Ok(sizes) => {
                if !sizes.complete {
                    notes.push(format!(
                        "{} only partly walked ({} entries)",
                        folder.display(),
                        sizes.entries
                    ));
                }
                collected.rows.push(vec![
                    text(folder.display().to_string()),
                    Cell::Bytes(sizes.total_bytes),
                ]);
                for (child, bytes) in sizes.children.into_iter().take(5) {
                    collected.rows.push(vec![
                        text(format!("  {}", child.display())),
                        Cell::Bytes(bytes),
                    ]);
                }
            }
            Err(disk::FoldersError::Isolated(err)) if err.is_hung() => {
                let point = folder.display();
                let why = match err {
                    IsolatedError::Hung(limit) => {
                        format!("gave no answer within {}", human_duration(limit))
                    }
                    other => format!("gave {other}"),
                };
                collected.findings.push(
                    Check::new(
                        format!("folders:{point}"),
                        Status::Unknown,
                        format!(
                            "walking {point} {why}: its filesystem looks hung, and anything reading it will hang too"
                        ),
                    )
                    .with_hint(format!("mount | grep -F '{point}'; for a dead network mount: umount -l MOUNTPOINT")),
                );
                notes.push(format!("{point}: no answer"));
            }
            Err(err) => notes.push(format!("{}: {err}", folder.display())),
        }
    }
    collected.note = (!notes.is_empty()).then(|| notes.join("; "));
    collected
}

pub(super) fn collect_oom_kills(since: DateTime<Utc>) -> Collected {
    let kills = match kernel::oom_kills(since) {
        Ok(kills) => kills,
        Err(err) => {
            return Collected {
                note: Some(format!("not available: {err}")),
                ..Collected::default()
            };
        }
    };
    let rows = kills
        .iter()
        .map(|kill| {
            vec![
                Cell::Time(kill.at),
                Cell::Integer(i64::from(kill.pid)),
                text(&kill.process),
                text(if kill.cgroup { "cgroup limit" } else { "host" }),
            ]
        })
        .collect();
    let findings = judge::diagnose::oom_kills(&kills);
    let attachment = kills
        .iter()
        .map(|k| format!("{} {}\n", k.at.to_rfc3339(), k.line))
        .collect::<String>();
    Collected {
        rows,
        findings,
        attachments: vec![("kernel-oom.txt".to_owned(), attachment)],
        ..Collected::default()
    }
}

pub(super) fn collect_failed_units() -> Collected {
    match systemd::failed_units() {
        None => Collected {
            note: Some("systemd is not running here".to_owned()),
            ..Collected::default()
        },
        Some(Err(err)) => Collected {
            note: Some(format!("not available: {err}")),
            ..Collected::default()
        },
        Some(Ok(units)) => Collected {
            rows: units
                .iter()
                .map(|unit| vec![text(&unit.name), text(&unit.description)])
                .collect(),
            findings: judge::diagnose::failed_units(&units),
            ..Collected::default()
        },
    }
}

pub(super) fn collect_logs(
    settings: Option<Result<crate::checks::logs::Settings, String>>,
) -> Collected {
    let settings = match settings {
        None => {
            return Collected {
                note: Some("no [logs] paths configured and no system log readable here".to_owned()),
                ..Collected::default()
            };
        }
        Some(Err(message)) => {
            return not_run(
                "logs:config",
                &format!("the logs cannot be analysed: {message}"),
                "maint -v logs analyze --explain",
            );
        }
        Some(Ok(settings)) => settings,
    };
    let (report, read) = crate::checks::logs::run_once(&settings);
    let mut collected = Collected::default();
    // Templates, as logs analyze ranks them: the lines to read first.
    if let Some(section) = report.sections.iter().find(|s| s.name == "templates") {
        let column = |key: &str| section.columns.iter().position(|c| c.key == key);
        if let (Some(category), Some(count), Some(template)) =
            (column("category"), column("count"), column("template"))
        {
            collected.rows = section
                .rows
                .iter()
                .map(|row| {
                    vec![
                        row[category].clone(),
                        row[count].clone(),
                        row[template].clone(),
                    ]
                })
                .collect();
        }
    }
    // "No lines in the window" is the normal state of a quiet system log.
    let mut renamed = report.clone();
    renamed.checks.retain(|check| check.name != "lines");
    for check in &mut renamed.checks {
        check.name = format!("logs:{}", check.name);
    }
    collected.findings = judge::diagnose::findings(renamed.checks);
    let mut read = read;
    read.truncate(8);
    for path in read {
        if let Ok(excerpt) = tail(&path, EXCERPT_BYTES) {
            collected
                .attachments
                .push((format!("logs{}", path.display()), excerpt));
        }
    }
    collected
}

pub(super) fn collect_backup(plan: &BackupPlan) -> Collected {
    use crate::storage::catalog::{self, Trust};
    let dest = plan.dest.display().to_string();
    // A folder or an s3:// destination alike; nothing is locked or written.
    let scanned = crate::storage::destination::scan_at(&plan.dest, &plan.s3);
    let latest = match scanned {
        Ok(backups) => {
            let now = Utc::now();
            let future: Vec<_> = backups
                .iter()
                .filter(|b| {
                    plan.name.as_deref().is_none_or(|n| b.name.name == n) && b.future_dated(now)
                })
                .map(|b| b.path.clone())
                .collect();
            (catalog::last_of(backups, plan.name.as_deref()), future)
        }
        Err(err) => {
            return Collected {
                findings: vec![
                    Check::new(
                        "backup:latest",
                        Status::Critical,
                        format!("cannot read the backup folder {dest}: {err}: whether a backup exists is not known"),
                    )
                    .with_hint(if crate::storage::remote::Location::is_remote(&dest) {
                        format!("maint backup list --dest {}", crate::shell::word(&dest))
                    } else {
                        format!("ls -la {}", crate::shell::word(&dest))
                    }),
                ],
                ..Collected::default()
            };
        }
    };
    let (latest, future) = latest;
    let Some(latest) = latest else {
        return Collected {
            rows: vec![vec![text("folder"), text(&dest)], vec![text("latest"), text("none")]],
            findings: judge::diagnose::future_dated(&future).into_iter().chain([
                Check::new(
                    "backup:latest",
                    Status::Warning,
                    format!("there is no backup in {dest}: nothing to restore from if the disk or the database is lost"),
                )
                .with_hint("maint backup create"),
            ]).collect(),
            ..Collected::default()
        };
    };
    let age = latest.age.to_std().unwrap_or_default();
    let file = latest.path.file_name().map_or_else(
        || latest.path.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    );
    let rows = vec![
        vec![text("folder"), text(&dest)],
        vec![text("latest"), text(&file)],
        vec![text("made"), Cell::Time(latest.created_at)],
        vec![text("age"), text(human_duration(age))],
        vec![text("size"), text(human_bytes(latest.size))],
        vec![text("state"), text(latest.trust.label())],
    ];
    let mut findings = vec![
        Check::measured(
            "backup:age",
            age.as_secs_f64().round(),
            Unit::Seconds,
            plan.age,
            format!(
                "the newest backup, {file}, is {} old: everything written since is at stake if the server is lost",
                human_duration(age)
            ),
        )
        .with_hint("maint backup create; then check its schedule: systemctl list-timers maint-backup.timer, or /etc/cron.d/maint"),
    ];
    match &latest.trust {
        Trust::Verified(_) => {}
        Trust::Damaged(detail) => findings.push(
            Check::new(
                "backup:verified",
                Status::Critical,
                format!(
                    "the newest backup, {file}, is damaged ({detail}): a restore from it would fail"
                ),
            )
            .with_hint("maint backup verify --latest; maint backup create"),
        ),
        Trust::Incomplete(why) => findings.push(
            Check::new(
                "backup:verified",
                Status::Warning,
                format!("the newest backup, {file}, cannot be trusted yet ({why})"),
            )
            .with_hint("maint backup verify --latest"),
        ),
    }
    findings.extend(judge::diagnose::future_dated(&latest.future_dated));
    findings.retain(|finding| finding.status != Status::Ok);
    Collected {
        rows,
        findings,
        ..Collected::default()
    }
}

/// The Redis section from what the server answered (to the health checks,
/// or to this section when health does not ask it).
pub(super) fn redis_section(
    url: &str,
    answer: Option<&crate::checks::health::RedisAnswer>,
) -> Collected {
    let info = match answer {
        Some(Ok(info)) => info,
        // The health section reports and explains an unreachable server.
        Some(Err(err)) => {
            return Collected {
                note: Some(format!("not available: {}", err.message)),
                ..Collected::default()
            };
        }
        None => {
            return Collected {
                note: Some(
                    "not available: the health checks did not finish asking Redis".to_owned(),
                ),
                ..Collected::default()
            };
        }
    };
    let save_age = Utc::now().timestamp() - info.rdb_last_save_time;
    let rows = vec![
        vec![text("version"), text(&info.version)],
        vec![text("role"), text(&info.role)],
        vec![text("used memory"), text(human_bytes(info.used_memory))],
        vec![
            text("maxmemory"),
            text(if info.maxmemory == 0 {
                "no limit".to_owned()
            } else {
                format!(
                    "{} ({})",
                    human_bytes(info.maxmemory),
                    info.maxmemory_policy
                )
            }),
        ],
        vec![text("evicted keys"), text(info.evicted_keys.to_string())],
        vec![
            text("rejected connections"),
            text(info.rejected_connections.to_string()),
        ],
        vec![
            text("last save"),
            text(format!(
                "{} ago",
                human_duration(Duration::from_secs(save_age.max(0) as u64))
            )),
        ],
    ];
    let findings = judge::redis::evictions(&crate::redact::url(url), info)
        .into_iter()
        .collect();
    Collected {
        rows,
        findings,
        ..Collected::default()
    }
}
