
using namespace System.Management.Automation
using namespace System.Management.Automation.Language

Register-ArgumentCompleter -Native -CommandName 'maint' -ScriptBlock {
    param($wordToComplete, $commandAst, $cursorPosition)

    $commandElements = $commandAst.CommandElements
    $command = @(
        'maint'
        for ($i = 1; $i -lt $commandElements.Count; $i++) {
            $element = $commandElements[$i]
            if ($element -isnot [StringConstantExpressionAst] -or
                $element.StringConstantType -ne [StringConstantType]::BareWord -or
                $element.Value.StartsWith('-') -or
                $element.Value -eq $wordToComplete) {
                break
        }
        $element.Value
    }) -join ';'

    $completions = @(switch ($command) {
        'maint' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Read settings from FILE [default: $MAINT_CONFIG, ./maint.toml, $XDG_CONFIG_HOME/maint/maint.toml, /etc/maint/maint.toml]')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format [default: table]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Write the report to FILE atomically instead of standard output')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour; `auto` means on a terminal and without NO_COLOR')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing but errors (the exit code still tells the result)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing but errors (the exit code still tells the result)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say more: timings in tables, and what maint is doing on standard error')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say more: timings in tables, and what maint is doing on standard error')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('health', 'health', [CompletionResultType]::ParameterValue, 'Check local resources and the configured services, and give one verdict')
            [CompletionResult]::new('diagnose', 'diagnose', [CompletionResultType]::ParameterValue, 'Troubleshoot this server in one run: what is wrong, why it matters, what to run next')
            [CompletionResult]::new('certs', 'certs', [CompletionResultType]::ParameterValue, 'Certificates: files, folders and live TLS endpoints')
            [CompletionResult]::new('db', 'db', [CompletionResultType]::ParameterValue, 'PostgreSQL maintenance: report, vacuum what needs it, prune old rows')
            [CompletionResult]::new('logs', 'logs', [CompletionResultType]::ParameterValue, 'Read log files: categories, time windows, message templates, alerts')
            [CompletionResult]::new('backup', 'backup', [CompletionResultType]::ParameterValue, 'Verified, crash-safe .tar.gz backups of files and a PostgreSQL database')
            [CompletionResult]::new('completions', 'completions', [CompletionResultType]::ParameterValue, 'Print a shell completion script to standard output')
            break
        }
        'maint;health' {
            [CompletionResult]::new('--only', '--only', [CompletionResultType]::ParameterName, 'Run only checks with this name (`disk:/`), kind (`disk`) or glob (`http:*`); repeatable')
            [CompletionResult]::new('--skip', '--skip', [CompletionResultType]::ParameterName, 'Do not run checks with this name, kind or glob; repeatable')
            [CompletionResult]::new('--deadline', '--deadline', [CompletionResultType]::ParameterName, 'Finish by this time whatever is still running [default: 10s]')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Time limit of each check that does not set its own [default: 5s]')
            [CompletionResult]::new('--postgres', '--postgres', [CompletionResultType]::ParameterName, 'Check the PostgreSQL server at URL (PG* variables and ~/.pgpass fill in the rest)')
            [CompletionResult]::new('--redis', '--redis', [CompletionResultType]::ParameterName, 'Check the Redis server at URL (redis://[:password@]host[:port])')
            [CompletionResult]::new('--http', '--http', [CompletionResultType]::ParameterName, 'Check that URL answers with 2xx or 3xx; repeatable')
            [CompletionResult]::new('--threshold', '--threshold', [CompletionResultType]::ParameterName, 'Override a threshold: KEY=WARN[,CRIT], KEY one of cpu, memory, swap, load, disk, inodes, postgres.connections, postgres.oldest_transaction, redis.memory, redis.clients (e.g. disk=85,95)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Read settings from FILE [default: $MAINT_CONFIG, ./maint.toml, $XDG_CONFIG_HOME/maint/maint.toml, /etc/maint/maint.toml]')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format [default: table]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Write the report to FILE atomically instead of standard output')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour; `auto` means on a terminal and without NO_COLOR')
            [CompletionResult]::new('--list', '--list', [CompletionResultType]::ParameterName, 'List the checks that would run, and run none')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing but errors (the exit code still tells the result)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing but errors (the exit code still tells the result)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say more: timings in tables, and what maint is doing on standard error')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say more: timings in tables, and what maint is doing on standard error')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'maint;diagnose' {
            [CompletionResult]::new('--since', '--since', [CompletionResultType]::ParameterName, 'How far back to look for out-of-memory kills and errors [default: 24h]')
            [CompletionResult]::new('--bundle', '--bundle', [CompletionResultType]::ParameterName, 'Also write a support bundle (the report, the effective config, recent log excerpts and a manifest, secrets redacted) to FILE.tar.gz')
            [CompletionResult]::new('--deadline', '--deadline', [CompletionResultType]::ParameterName, 'Finish by this time whatever is still being gathered [default: 5s]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Read settings from FILE [default: $MAINT_CONFIG, ./maint.toml, $XDG_CONFIG_HOME/maint/maint.toml, /etc/maint/maint.toml]')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format [default: table]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Write the report to FILE atomically instead of standard output')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour; `auto` means on a terminal and without NO_COLOR')
            [CompletionResult]::new('--redact-hosts', '--redact-hosts', [CompletionResultType]::ParameterName, 'In the bundle, replace host names and IP addresses with stable pseudonyms')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing but errors (the exit code still tells the result)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing but errors (the exit code still tells the result)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say more: timings in tables, and what maint is doing on standard error')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say more: timings in tables, and what maint is doing on standard error')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'maint;certs' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Read settings from FILE [default: $MAINT_CONFIG, ./maint.toml, $XDG_CONFIG_HOME/maint/maint.toml, /etc/maint/maint.toml]')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format [default: table]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Write the report to FILE atomically instead of standard output')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour; `auto` means on a terminal and without NO_COLOR')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing but errors (the exit code still tells the result)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing but errors (the exit code still tells the result)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say more: timings in tables, and what maint is doing on standard error')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say more: timings in tables, and what maint is doing on standard error')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('check', 'check', [CompletionResultType]::ParameterValue, 'Check certificates: expiry, names, chains, keys and signatures')
            break
        }
        'maint;certs;check' {
            [CompletionResult]::new('--warn-days', '--warn-days', [CompletionResultType]::ParameterName, 'Fewer days left than this is a WARNING [default: 60]')
            [CompletionResult]::new('--crit-days', '--crit-days', [CompletionResultType]::ParameterName, 'Fewer days left than this is CRITICAL [default: 30]')
            [CompletionResult]::new('--warn-percent', '--warn-percent', [CompletionResultType]::ParameterName, 'For short-lived certificates: less than N % of the lifetime left is a WARNING, when the days left say so too')
            [CompletionResult]::new('--crit-percent', '--crit-percent', [CompletionResultType]::ParameterName, 'Less than N % of the lifetime left is CRITICAL, when the days left say so too')
            [CompletionResult]::new('--timeout', '--timeout', [CompletionResultType]::ParameterName, 'Deadline of each endpoint, covering DNS, connect, STARTTLS and handshake [default: 10s]')
            [CompletionResult]::new('--jobs', '--jobs', [CompletionResultType]::ParameterName, 'Endpoints probed at once; one still waiting after 0.25 s lets the next start and waits on alone until its deadline [default: 256]')
            [CompletionResult]::new('--ca-file', '--ca-file', [CompletionResultType]::ParameterName, 'Trust the roots in FILE instead of the system''s')
            [CompletionResult]::new('--key', '--key', [CompletionResultType]::ParameterName, 'The private key that must belong to the certificate (one TARGET only)')
            [CompletionResult]::new('--sni', '--sni', [CompletionResultType]::ParameterName, 'Send NAME as SNI instead of the endpoint''s host (which is still the name verified)')
            [CompletionResult]::new('--connect', '--connect', [CompletionResultType]::ParameterName, 'Connect to ADDR (`host` or `host:port`) instead of the endpoint''s own address; the endpoint''s name is still sent and verified (one TARGET only)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Read settings from FILE [default: $MAINT_CONFIG, ./maint.toml, $XDG_CONFIG_HOME/maint/maint.toml, /etc/maint/maint.toml]')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format [default: table]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Write the report to FILE atomically instead of standard output')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour; `auto` means on a terminal and without NO_COLOR')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing but errors (the exit code still tells the result)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing but errors (the exit code still tells the result)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say more: timings in tables, and what maint is doing on standard error')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say more: timings in tables, and what maint is doing on standard error')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'maint;db' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Read settings from FILE [default: $MAINT_CONFIG, ./maint.toml, $XDG_CONFIG_HOME/maint/maint.toml, /etc/maint/maint.toml]')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format [default: table]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Write the report to FILE atomically instead of standard output')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour; `auto` means on a terminal and without NO_COLOR')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing but errors (the exit code still tells the result)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing but errors (the exit code still tells the result)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say more: timings in tables, and what maint is doing on standard error')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say more: timings in tables, and what maint is doing on standard error')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('report', 'report', [CompletionResultType]::ParameterValue, 'Report sizes, dead tuples, vacuum ages, wraparound, bloat, unused and invalid indexes, what holds back cleanup, and slow statements (read-only)')
            [CompletionResult]::new('vacuum', 'vacuum', [CompletionResultType]::ParameterValue, 'Choose the tables that need it, VACUUM (ANALYZE) them safely, report what changed')
            [CompletionResult]::new('prune', 'prune', [CompletionResultType]::ParameterValue, 'Delete rows older than a cutoff in small batches, the safe way to apply retention')
            break
        }
        'maint;db;report' {
            [CompletionResult]::new('--url', '--url', [CompletionResultType]::ParameterName, 'The database to report on (postgres://user@host:port/db; sslmode=require for TLS)')
            [CompletionResult]::new('--top', '--top', [CompletionResultType]::ParameterName, 'How many tables (largest and most in need of vacuum) to list [default: 20]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Read settings from FILE [default: $MAINT_CONFIG, ./maint.toml, $XDG_CONFIG_HOME/maint/maint.toml, /etc/maint/maint.toml]')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format [default: table]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Write the report to FILE atomically instead of standard output')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour; `auto` means on a terminal and without NO_COLOR')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing but errors (the exit code still tells the result)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing but errors (the exit code still tells the result)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say more: timings in tables, and what maint is doing on standard error')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say more: timings in tables, and what maint is doing on standard error')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'maint;db;vacuum' {
            [CompletionResult]::new('--url', '--url', [CompletionResultType]::ParameterName, 'The database to vacuum (postgres://user@host:port/db; sslmode=require for TLS)')
            [CompletionResult]::new('--table', '--table', [CompletionResultType]::ParameterName, 'Vacuum this table whatever its statistics say (schema.table; quote as in SQL); repeatable')
            [CompletionResult]::new('--schema', '--schema', [CompletionResultType]::ParameterName, 'Choose only among tables of this schema; repeatable')
            [CompletionResult]::new('--exclude', '--exclude', [CompletionResultType]::ParameterName, 'Never vacuum this table; repeatable')
            [CompletionResult]::new('-j', '-j', [CompletionResultType]::ParameterName, 'Connections working through the plan at once [default: 1]')
            [CompletionResult]::new('--jobs', '--jobs', [CompletionResultType]::ParameterName, 'Connections working through the plan at once [default: 1]')
            [CompletionResult]::new('--lock-timeout', '--lock-timeout', [CompletionResultType]::ParameterName, 'Give up on a table whose lock is not granted within DUR [default: 5s]')
            [CompletionResult]::new('--statement-timeout', '--statement-timeout', [CompletionResultType]::ParameterName, 'Cancel a table''s statement after DUR [default: none]')
            [CompletionResult]::new('--max-duration', '--max-duration', [CompletionResultType]::ParameterName, 'Stop (cancelling what runs) after DUR; tables not reached are reported')
            [CompletionResult]::new('--dead-ratio', '--dead-ratio', [CompletionResultType]::ParameterName, 'Choose tables with at least this share of dead tuples, in percent [default: 10]')
            [CompletionResult]::new('--min-dead-tuples', '--min-dead-tuples', [CompletionResultType]::ParameterName, '...and at least this many dead tuples [default: 1000]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Read settings from FILE [default: $MAINT_CONFIG, ./maint.toml, $XDG_CONFIG_HOME/maint/maint.toml, /etc/maint/maint.toml]')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format [default: table]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Write the report to FILE atomically instead of standard output')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour; `auto` means on a terminal and without NO_COLOR')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Print the plan (each table, why, the exact SQL and the lock it takes) and change nothing')
            [CompletionResult]::new('--analyze-only', '--analyze-only', [CompletionResultType]::ParameterName, 'Only ANALYZE (refresh planner statistics); choose tables by stale statistics')
            [CompletionResult]::new('--full', '--full', [CompletionResultType]::ParameterName, 'VACUUM FULL: rewrite the named tables (--table) to give space back to the system. Takes an ACCESS EXCLUSIVE lock: nothing reads or writes the table meanwhile')
            [CompletionResult]::new('--yes', '--yes', [CompletionResultType]::ParameterName, 'Confirm --full')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing but errors (the exit code still tells the result)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing but errors (the exit code still tells the result)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say more: timings in tables, and what maint is doing on standard error')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say more: timings in tables, and what maint is doing on standard error')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'maint;db;prune' {
            [CompletionResult]::new('--url', '--url', [CompletionResultType]::ParameterName, 'The database (postgres://user@host:port/db; sslmode=require for TLS)')
            [CompletionResult]::new('--table', '--table', [CompletionResultType]::ParameterName, 'The table to prune (schema.table; quote as in SQL)')
            [CompletionResult]::new('--column', '--column', [CompletionResultType]::ParameterName, 'The timestamp (or date) column that says how old a row is')
            [CompletionResult]::new('--older-than', '--older-than', [CompletionResultType]::ParameterName, 'Delete rows whose column is older than this (30d, 12h, 2w)')
            [CompletionResult]::new('--batch', '--batch', [CompletionResultType]::ParameterName, 'Rows per batch [default: 5000]')
            [CompletionResult]::new('--lock-timeout', '--lock-timeout', [CompletionResultType]::ParameterName, 'Give up on a batch whose lock is not granted within DUR [default: 5s]')
            [CompletionResult]::new('--max-duration', '--max-duration', [CompletionResultType]::ParameterName, 'Stop after DUR (between batches, cancelling a running one); the rest stays for the next run')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Read settings from FILE [default: $MAINT_CONFIG, ./maint.toml, $XDG_CONFIG_HOME/maint/maint.toml, /etc/maint/maint.toml]')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format [default: table]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Write the report to FILE atomically instead of standard output')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour; `auto` means on a terminal and without NO_COLOR')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Count the rows that would go, and delete nothing')
            [CompletionResult]::new('--vacuum', '--vacuum', [CompletionResultType]::ParameterName, 'VACUUM (ANALYZE) the table afterwards')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing but errors (the exit code still tells the result)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing but errors (the exit code still tells the result)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say more: timings in tables, and what maint is doing on standard error')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say more: timings in tables, and what maint is doing on standard error')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'maint;logs' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Read settings from FILE [default: $MAINT_CONFIG, ./maint.toml, $XDG_CONFIG_HOME/maint/maint.toml, /etc/maint/maint.toml]')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format [default: table]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Write the report to FILE atomically instead of standard output')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour; `auto` means on a terminal and without NO_COLOR')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing but errors (the exit code still tells the result)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing but errors (the exit code still tells the result)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say more: timings in tables, and what maint is doing on standard error')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say more: timings in tables, and what maint is doing on standard error')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('analyze', 'analyze', [CompletionResultType]::ParameterValue, 'Count categories of lines (errors, warnings, ...) in log files in one pass, in a time window, with their top message templates and peak hour')
            break
        }
        'maint;logs;analyze' {
            [CompletionResult]::new('--since', '--since', [CompletionResultType]::ParameterName, 'Only lines from this time on: 24h (ago), 2026-11-20, 2026-11-20T06:00:00Z, today, yesterday')
            [CompletionResult]::new('--until', '--until', [CompletionResultType]::ParameterName, 'Only lines before this time (same forms as --since)')
            [CompletionResult]::new('--pattern', '--pattern', [CompletionResultType]::ParameterName, 'Another category, or a new regex for a default one (LC_ALL=C grep -E syntax); repeatable')
            [CompletionResult]::new('--threshold', '--threshold', [CompletionResultType]::ParameterName, 'Alert level: CATEGORY>WARN[,CRIT] lines in the window, or per period with /DUR (errors>50/1h: more than 50 in any hour); repeatable [default: errors>100]')
            [CompletionResult]::new('--top', '--top', [CompletionResultType]::ParameterName, 'Message templates shown per category [default: 5]')
            [CompletionResult]::new('--bucket', '--bucket', [CompletionResultType]::ParameterName, 'Histogram bucket width [default: 1h]')
            [CompletionResult]::new('--state', '--state', [CompletionResultType]::ParameterName, 'Remember what was read in FILE and read only new lines next time (for cron)')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Read settings from FILE [default: $MAINT_CONFIG, ./maint.toml, $XDG_CONFIG_HOME/maint/maint.toml, /etc/maint/maint.toml]')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format [default: table]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Write the report to FILE atomically instead of standard output')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour; `auto` means on a terminal and without NO_COLOR')
            [CompletionResult]::new('--reset-state', '--reset-state', [CompletionResultType]::ParameterName, 'Start over when the --state file is corrupt or from another version')
            [CompletionResult]::new('--explain', '--explain', [CompletionResultType]::ParameterName, 'Show per file the detected format, the bytes read and why files were skipped')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing but errors (the exit code still tells the result)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing but errors (the exit code still tells the result)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say more: timings in tables, and what maint is doing on standard error')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say more: timings in tables, and what maint is doing on standard error')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'maint;backup' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Read settings from FILE [default: $MAINT_CONFIG, ./maint.toml, $XDG_CONFIG_HOME/maint/maint.toml, /etc/maint/maint.toml]')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format [default: table]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Write the report to FILE atomically instead of standard output')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour; `auto` means on a terminal and without NO_COLOR')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing but errors (the exit code still tells the result)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing but errors (the exit code still tells the result)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say more: timings in tables, and what maint is doing on standard error')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say more: timings in tables, and what maint is doing on standard error')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('create', 'create', [CompletionResultType]::ParameterValue, 'Back up files and folders (and a PostgreSQL database) into one verified .tar.gz')
            [CompletionResult]::new('list', 'list', [CompletionResultType]::ParameterValue, 'List the backups in the destination: kind, time, size, files, database, verified state')
            [CompletionResult]::new('verify', 'verify', [CompletionResultType]::ParameterValue, 'Read a whole archive and check it: gzip CRC, every entry''s SHA-256 against the manifest, the archive against its .sha256 sidecar')
            [CompletionResult]::new('prune', 'prune', [CompletionResultType]::ParameterValue, 'Delete backups the retention policy no longer keeps')
            [CompletionResult]::new('restore', 'restore', [CompletionResultType]::ParameterValue, 'Restore an archive into DIR: merged in as tar does, verified, keeping first what it overwrites')
            [CompletionResult]::new('drill', 'drill', [CompletionResultType]::ParameterValue, 'Disaster-recovery drill: restore the latest backup into a scratch folder (and a scratch database), compare it with its manifest and with the live data, report the differences and the time it took, and clean up')
            break
        }
        'maint;backup;create' {
            [CompletionResult]::new('--source', '--source', [CompletionResultType]::ParameterName, 'Back up PATH (a folder or file); repeatable; replaces [backup] sources')
            [CompletionResult]::new('--exclude', '--exclude', [CompletionResultType]::ParameterName, 'Leave out what matches GLOB (a name, or a path below the root with `/`); repeatable')
            [CompletionResult]::new('--dest', '--dest', [CompletionResultType]::ParameterName, 'Write the archive into DIR or s3://BUCKET/PREFIX [default: [backup] dest]')
            [CompletionResult]::new('--db', '--db', [CompletionResultType]::ParameterName, 'Also dump this PostgreSQL database (pg_dump --format=custom, one snapshot)')
            [CompletionResult]::new('--kind', '--kind', [CompletionResultType]::ParameterName, 'Kind recorded in the archive name')
            [CompletionResult]::new('--name', '--name', [CompletionResultType]::ParameterName, 'First part of the archive name [default: [backup] name, else the host name]')
            [CompletionResult]::new('--recipient', '--recipient', [CompletionResultType]::ParameterName, 'Encrypt to this age or SSH public key (repeatable) [default: [backup] recipients]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Read settings from FILE [default: $MAINT_CONFIG, ./maint.toml, $XDG_CONFIG_HOME/maint/maint.toml, /etc/maint/maint.toml]')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format [default: table]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Write the report to FILE atomically instead of standard output')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour; `auto` means on a terminal and without NO_COLOR')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing but errors (the exit code still tells the result)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing but errors (the exit code still tells the result)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say more: timings in tables, and what maint is doing on standard error')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say more: timings in tables, and what maint is doing on standard error')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'maint;backup;list' {
            [CompletionResult]::new('--dest', '--dest', [CompletionResultType]::ParameterName, 'The backup folder or s3://BUCKET/PREFIX [default: [backup] dest]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Read settings from FILE [default: $MAINT_CONFIG, ./maint.toml, $XDG_CONFIG_HOME/maint/maint.toml, /etc/maint/maint.toml]')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format [default: table]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Write the report to FILE atomically instead of standard output')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour; `auto` means on a terminal and without NO_COLOR')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing but errors (the exit code still tells the result)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing but errors (the exit code still tells the result)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say more: timings in tables, and what maint is doing on standard error')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say more: timings in tables, and what maint is doing on standard error')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'maint;backup;verify' {
            [CompletionResult]::new('--identity', '--identity', [CompletionResultType]::ParameterName, 'The age or SSH private key that opens encrypted archives (without it only their stored bytes are checked against the .sha256 sidecar)')
            [CompletionResult]::new('--dest', '--dest', [CompletionResultType]::ParameterName, 'The backup folder or s3://BUCKET/PREFIX [default: [backup] dest]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Read settings from FILE [default: $MAINT_CONFIG, ./maint.toml, $XDG_CONFIG_HOME/maint/maint.toml, /etc/maint/maint.toml]')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format [default: table]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Write the report to FILE atomically instead of standard output')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour; `auto` means on a terminal and without NO_COLOR')
            [CompletionResult]::new('--latest', '--latest', [CompletionResultType]::ParameterName, 'Verify the newest backup in the destination')
            [CompletionResult]::new('--quick', '--quick', [CompletionResultType]::ParameterName, 'On an object store: compare each archive''s size and the server''s checksum (ETag) with those it was written with, reading nothing')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing but errors (the exit code still tells the result)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing but errors (the exit code still tells the result)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say more: timings in tables, and what maint is doing on standard error')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say more: timings in tables, and what maint is doing on standard error')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'maint;backup;prune' {
            [CompletionResult]::new('--dest', '--dest', [CompletionResultType]::ParameterName, 'The backup folder or s3://BUCKET/PREFIX [default: [backup] dest]')
            [CompletionResult]::new('--keep-daily', '--keep-daily', [CompletionResultType]::ParameterName, 'Days whose newest backup is kept [default: 7]')
            [CompletionResult]::new('--keep-weekly', '--keep-weekly', [CompletionResultType]::ParameterName, 'ISO weeks whose newest backup is kept [default: 4]')
            [CompletionResult]::new('--keep-monthly', '--keep-monthly', [CompletionResultType]::ParameterName, 'Months whose newest backup is kept [default: 12]')
            [CompletionResult]::new('--keep-last', '--keep-last', [CompletionResultType]::ParameterName, 'The newest N backups are kept whatever their dates [default: 3]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Read settings from FILE [default: $MAINT_CONFIG, ./maint.toml, $XDG_CONFIG_HOME/maint/maint.toml, /etc/maint/maint.toml]')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format [default: table]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Write the report to FILE atomically instead of standard output')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour; `auto` means on a terminal and without NO_COLOR')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Show each backup with the reason it stays or goes, and delete nothing')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing but errors (the exit code still tells the result)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing but errors (the exit code still tells the result)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say more: timings in tables, and what maint is doing on standard error')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say more: timings in tables, and what maint is doing on standard error')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'maint;backup;restore' {
            [CompletionResult]::new('--target', '--target', [CompletionResultType]::ParameterName, 'The folder to restore into (the backup''s root, to restore in place)')
            [CompletionResult]::new('--db', '--db', [CompletionResultType]::ParameterName, 'Also restore the dump into this database: into a scratch database first, row counts compared, then swapped in (the old one is kept)')
            [CompletionResult]::new('--identity', '--identity', [CompletionResultType]::ParameterName, 'The age or SSH private key that opens an encrypted archive')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Read settings from FILE [default: $MAINT_CONFIG, ./maint.toml, $XDG_CONFIG_HOME/maint/maint.toml, /etc/maint/maint.toml]')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format [default: table]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Write the report to FILE atomically instead of standard output')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour; `auto` means on a terminal and without NO_COLOR')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Overwrite what DIR holds where the archive differs (it is archived first); with --db, end other sessions on the database')
            [CompletionResult]::new('--delete', '--delete', [CompletionResultType]::ParameterName, 'Also remove what the archive lacks under its own sources (never what the backup excluded, the backup folder, or anything on another mount)')
            [CompletionResult]::new('--dry-run', '--dry-run', [CompletionResultType]::ParameterName, 'Check the archive and list what would change; change nothing')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing but errors (the exit code still tells the result)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing but errors (the exit code still tells the result)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say more: timings in tables, and what maint is doing on standard error')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say more: timings in tables, and what maint is doing on standard error')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'maint;backup;drill' {
            [CompletionResult]::new('--dest', '--dest', [CompletionResultType]::ParameterName, 'The backup folder or s3://BUCKET/PREFIX [default: [backup] dest]')
            [CompletionResult]::new('--db', '--db', [CompletionResultType]::ParameterName, 'The live database to restore the dump next to and compare with [default: [backup] db]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Read settings from FILE [default: $MAINT_CONFIG, ./maint.toml, $XDG_CONFIG_HOME/maint/maint.toml, /etc/maint/maint.toml]')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format [default: table]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Write the report to FILE atomically instead of standard output')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour; `auto` means on a terminal and without NO_COLOR')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing but errors (the exit code still tells the result)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing but errors (the exit code still tells the result)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say more: timings in tables, and what maint is doing on standard error')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say more: timings in tables, and what maint is doing on standard error')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
        'maint;completions' {
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Read settings from FILE [default: $MAINT_CONFIG, ./maint.toml, $XDG_CONFIG_HOME/maint/maint.toml, /etc/maint/maint.toml]')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format [default: table]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Write the report to FILE atomically instead of standard output')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour; `auto` means on a terminal and without NO_COLOR')
            [CompletionResult]::new('-q', '-q', [CompletionResultType]::ParameterName, 'Print nothing but errors (the exit code still tells the result)')
            [CompletionResult]::new('--quiet', '--quiet', [CompletionResultType]::ParameterName, 'Print nothing but errors (the exit code still tells the result)')
            [CompletionResult]::new('-v', '-v', [CompletionResultType]::ParameterName, 'Say more: timings in tables, and what maint is doing on standard error')
            [CompletionResult]::new('--verbose', '--verbose', [CompletionResultType]::ParameterName, 'Say more: timings in tables, and what maint is doing on standard error')
            [CompletionResult]::new('-h', '-h', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('--help', '--help', [CompletionResultType]::ParameterName, 'Print help (see more with ''--help'')')
            [CompletionResult]::new('-V', '-V ', [CompletionResultType]::ParameterName, 'Print version')
            [CompletionResult]::new('--version', '--version', [CompletionResultType]::ParameterName, 'Print version')
            break
        }
    })

    $completions.Where{ $_.CompletionText -like "$wordToComplete*" } |
        Sort-Object -Property ListItemText
}
