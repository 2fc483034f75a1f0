//! Examples and exit-status text for each command: shown after `--help`,
//! and rendered as the EXAMPLES and EXIT STATUS sections of the man pages,
//! so the two never disagree.

/// `(command line, what it does)` for a command path such as `"health"`.
pub fn examples(command: &str) -> &'static [(&'static str, &'static str)] {
    match command {
        "" => &[
            (
                "maint health",
                "Check this machine and the configured services",
            ),
            (
                "maint --format json health > health.json",
                "The same as JSON for a CI step or a log pipeline",
            ),
            (
                "maint --format prometheus --output /var/lib/node_exporter/textfile/maint.prom health",
                "Replace a node_exporter textfile atomically",
            ),
        ],
        "health" => &[
            (
                "maint health",
                "Local resources and everything maint.toml configures",
            ),
            (
                "maint health --list",
                "The checks that would run, with their names",
            ),
            (
                "maint health --only disk --only 'http:*'",
                "Only the filesystems and the HTTP endpoints",
            ),
            (
                "maint health --threshold disk=85,95 --deadline 5s",
                "Other disk levels, and a report within 5 seconds whatever hangs",
            ),
            (
                "maint health --postgres postgres://app@db/app --redis redis://cache:6379",
                "Add a PostgreSQL and a Redis server without a config file",
            ),
            (
                "maint --format nagios health",
                "One Nagios/Icinga plugin line with performance data",
            ),
        ],
        "diagnose" => &[
            (
                "maint diagnose",
                "What is wrong here, worst first, with the command to run next",
            ),
            (
                "maint diagnose --bundle support.tar.gz --redact-hosts",
                "Also pack a redacted support bundle to attach to a ticket",
            ),
            (
                "maint --format markdown diagnose",
                "The report as Markdown, to paste into a ticket",
            ),
        ],
        "certs" | "certs check" => &[
            (
                "maint certs check /etc/letsencrypt/live www.example.com mail.example.com:587",
                "A folder of certificates, a web server, and SMTP with STARTTLS",
            ),
            (
                "maint certs check www.example.com --connect 10.0.0.5",
                "One backend behind a load balancer; SNI and the verified name stay www.example.com",
            ),
            (
                "maint certs check site.pem --key site.key",
                "Does the private key belong to the certificate?",
            ),
            (
                "maint certs check --warn-days 30 --crit-days 14 --ca-file private-ca.pem db.internal:5432",
                "PostgreSQL's certificate via STARTTLS, against a private CA",
            ),
            (
                "maint --format prometheus --output /var/lib/node_exporter/textfile/certs.prom certs check",
                "The [certs] targets of maint.toml, as metrics for alerting",
            ),
        ],
        "db" | "db report" => &[
            (
                "maint db report",
                "Sizes, dead tuples, vacuum ages, bloat and index problems, read-only",
            ),
            (
                "maint db report --url postgres://app@db.internal/app --top 20",
                "The 20 tables most in need of attention on another server",
            ),
            (
                "maint --format prometheus --output /var/lib/node_exporter/textfile/db.prom db report",
                "As metrics",
            ),
        ],
        "db vacuum" => &[
            (
                "maint db vacuum --dry-run",
                "The plan: each table, why, the SQL and the lock it takes",
            ),
            (
                "maint db vacuum",
                "VACUUM (ANALYZE, SKIP_LOCKED) the tables that need it",
            ),
            (
                "maint db vacuum --jobs 2 --max-duration 30m",
                "Two sessions at once, stopping cleanly after 30 minutes",
            ),
            (
                "maint db vacuum --table public.metrics --full --yes",
                "VACUUM FULL one table (ACCESS EXCLUSIVE lock)",
            ),
        ],
        "db prune" => &[
            (
                "maint db prune --table metrics --column timestamp --older-than 30d --dry-run",
                "Count the rows a 30-day retention would delete",
            ),
            (
                "maint db prune --table metrics --column timestamp --older-than 30d --vacuum",
                "Delete them in batches of 5,000, then VACUUM (ANALYZE)",
            ),
        ],
        "db reindex" => &[
            (
                "maint db reindex --dry-run",
                "The invalid and bloated indexes, why, their size and the SQL; nothing changes",
            ),
            (
                "maint db reindex --min-bloat 30 --lock-timeout 2s",
                "Rebuild indexes a third empty or more, never waiting long for a lock",
            ),
        ],
        "redis" | "redis report" => &[
            (
                "maint redis report --url redis://cache.internal:6379",
                "The weekly Redis round: memory, keys, persistence, slow log, config review, big keys",
            ),
            (
                "maint redis report --used-as cache --sample 0",
                "Judge it as a cache, and sample no keys",
            ),
            (
                "maint --format prometheus --output /var/lib/node_exporter/textfile/redis.prom redis report",
                "Every figure as a gauge for node_exporter",
            ),
        ],
        "logs" | "logs analyze" => &[
            (
                "maint logs analyze /var/log/app/app.log --since 24h",
                "Errors, warnings and the rest over the last day, rotated files included",
            ),
            (
                "maint logs analyze /var/log/app --pattern timeouts='timed out' --threshold 'errors>50/1h'",
                "A category of your own, and an alert on the error rate",
            ),
            (
                "maint logs analyze --since yesterday --until today --top 10 --bucket 15m",
                "Yesterday's [logs] paths, ten templates a category, 15-minute buckets",
            ),
            (
                "maint -q --format prometheus --output logs.prom logs analyze --state /var/lib/maint/logs.state",
                "From cron: only what was written since the last run",
            ),
            (
                "maint logs analyze app.log --explain",
                "What was read, in which format, and what was skipped",
            ),
        ],
        "run" => &[
            (
                "maint run daily",
                "The [routine.daily] steps in order, one report, one maintenance log entry",
            ),
            (
                "maint run weekly --dry-run",
                "The steps and hooks that would run, with their budgets",
            ),
            (
                "maint -q run monthly",
                "From cron: nothing printed; the exit code, the log and the notifications tell",
            ),
        ],
        "notify" | "notify test" => &[
            (
                "maint notify test",
                "Send a test message to every [[notify]] target",
            ),
            (
                "maint --notify backup create",
                "Tell every target how this one backup went",
            ),
        ],
        "backup" | "backup create" => &[
            (
                "maint backup create",
                "The [backup] sources, and the database if [backup] db is set",
            ),
            (
                "maint backup create --source /srv/app --exclude '*.tmp' --dest /backups --db postgres://app@localhost/app",
                "Without a config file",
            ),
            (
                "maint backup create --kind weekly",
                "A weekly backup, kept 4 weeks by prune",
            ),
        ],
        "backup find" => &[
            (
                "maint backup find config/app.yaml --dest /backups",
                "Every version of one file, and the backups that hold it",
            ),
            (
                "maint backup find '*.conf' --dest /backups",
                "Every .conf file in every backup",
            ),
        ],
        "backup list" => &[(
            "maint backup list --dest /backups",
            "Every backup: kind, time, size, files, database, verified",
        )],
        "backup verify" => &[
            (
                "maint backup verify --latest",
                "Read the newest backup whole: gzip CRC, every SHA-256, the sidecar",
            ),
            (
                "maint backup verify /backups/app-20261124T013000Z-daily.tar.gz",
                "One archive",
            ),
        ],
        "backup prune" => &[
            (
                "maint backup prune --dry-run",
                "What the retention policy keeps and removes, with the reason for each",
            ),
            (
                "maint backup prune --keep-daily 14",
                "Keep two weeks of daily backups (and the weekly and monthly ones)",
            ),
        ],
        "backup restore" => &[
            (
                "maint backup restore /backups/app-20261124T013000Z-daily.tar.gz --target /srv/app --dry-run",
                "What would change",
            ),
            (
                "maint backup restore /backups/app-20261124T013000Z-daily.tar.gz --target /srv/app --force",
                "Merge into the current tree; what it overwrites is kept first as a pre-restore archive",
            ),
            (
                "maint backup restore /backups/app-20261124T013000Z-daily.tar.gz --target /srv/app --force --delete",
                "The same, and remove what the backup does not hold under its sources (as restic --delete)",
            ),
            (
                "maint backup restore ARCHIVE --target /srv/app --db postgres://app@localhost/app",
                "Files and the database; the old database is kept for rollback",
            ),
        ],
        "backup drill" => &[(
            "maint backup drill",
            "Restore the latest backup into scratch space, compare everything, time it, clean up",
        )],
        "trend" => &[
            (
                "maint trend",
                "Every check over the last 30 days: last, min, mean, p95, max, slope per day",
            ),
            (
                "maint trend 'disk:*' --since 90d --plot",
                "The filesystems over 90 days, with a line chart of each",
            ),
            (
                "maint trend --format html --output review.html",
                "The weekly review: one page with a chart per check, worst trends first",
            ),
            (
                "maint trend --import metrics.jsonl",
                "Keep the past of an existing metrics.jsonl in the history",
            ),
        ],
        "completions" => &[
            (
                "maint completions bash > /etc/bash_completion.d/maint",
                "Install bash completion for every user",
            ),
            (
                "maint completions zsh > \"${fpath[1]}/_maint\"",
                "Install zsh completion",
            ),
        ],
        _ => &[],
    }
}

/// The exit codes of a command, by whether it observes or acts (the README).
pub fn exit_status(acts: bool) -> &'static [(&'static str, &'static str)] {
    if acts {
        &[
            ("0", "Done."),
            ("1", "Done with warnings: something was skipped."),
            ("2", "Failed; nothing half-done is left behind."),
            ("3", "Not started: bad usage, configuration or environment."),
        ]
    } else {
        &[
            ("0", "OK."),
            (
                "1",
                "WARNING: at least one check crossed its warning level.",
            ),
            (
                "2",
                "CRITICAL: at least one check crossed its critical level or failed.",
            ),
            (
                "3",
                "UNKNOWN: maint could not tell (a probe failed or timed out), or bad usage or configuration.",
            ),
        ]
    }
}

/// Whether a command path changes things (an action) rather than observes.
pub fn acts(command: &str) -> bool {
    crate::cli::kind(command) == crate::report::Kind::Action
}

/// The text clap shows after `--help`.
pub fn after_help(command: &str) -> String {
    let mut text = String::from("Examples:\n");
    for (line, what) in examples(command) {
        text.push_str(&format!("  {line}\n      {what}\n"));
    }
    text.push_str("\nExit status:\n");
    for (code, meaning) in exit_status(acts(command)) {
        text.push_str(&format!("  {code}  {meaning}\n"));
    }
    text
}
