
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
            [CompletionResult]::new('restore', 'restore', [CompletionResultType]::ParameterValue, 'Restore an archive into DIR, verified and staged, keeping the current state first')
            [CompletionResult]::new('drill', 'drill', [CompletionResultType]::ParameterValue, 'Disaster-recovery drill: restore the latest backup into a scratch folder (and a scratch database), compare it with its manifest and with the live data, report the differences and the time it took, and clean up')
            break
        }
        'maint;backup;create' {
            [CompletionResult]::new('--source', '--source', [CompletionResultType]::ParameterName, 'Back up PATH (a folder or file); repeatable; replaces [backup] sources')
            [CompletionResult]::new('--exclude', '--exclude', [CompletionResultType]::ParameterName, 'Leave out what matches GLOB (a name, or a path below the root with `/`); repeatable')
            [CompletionResult]::new('--dest', '--dest', [CompletionResultType]::ParameterName, 'Write the archive into DIR [default: [backup] dest]')
            [CompletionResult]::new('--db', '--db', [CompletionResultType]::ParameterName, 'Also dump this PostgreSQL database (pg_dump --format=custom, one snapshot)')
            [CompletionResult]::new('--kind', '--kind', [CompletionResultType]::ParameterName, 'Kind recorded in the archive name')
            [CompletionResult]::new('--name', '--name', [CompletionResultType]::ParameterName, 'First part of the archive name [default: [backup] name, else the host name]')
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
            [CompletionResult]::new('--dest', '--dest', [CompletionResultType]::ParameterName, 'The backup folder [default: [backup] dest]')
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
            [CompletionResult]::new('--dest', '--dest', [CompletionResultType]::ParameterName, 'The backup folder [default: [backup] dest]')
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Read settings from FILE [default: $MAINT_CONFIG, ./maint.toml, $XDG_CONFIG_HOME/maint/maint.toml, /etc/maint/maint.toml]')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format [default: table]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Write the report to FILE atomically instead of standard output')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour; `auto` means on a terminal and without NO_COLOR')
            [CompletionResult]::new('--latest', '--latest', [CompletionResultType]::ParameterName, 'Verify the newest backup in the destination')
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
            [CompletionResult]::new('--dest', '--dest', [CompletionResultType]::ParameterName, 'The backup folder [default: [backup] dest]')
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
            [CompletionResult]::new('--config', '--config', [CompletionResultType]::ParameterName, 'Read settings from FILE [default: $MAINT_CONFIG, ./maint.toml, $XDG_CONFIG_HOME/maint/maint.toml, /etc/maint/maint.toml]')
            [CompletionResult]::new('--format', '--format', [CompletionResultType]::ParameterName, 'Output format [default: table]')
            [CompletionResult]::new('--output', '--output', [CompletionResultType]::ParameterName, 'Write the report to FILE atomically instead of standard output')
            [CompletionResult]::new('--color', '--color', [CompletionResultType]::ParameterName, 'When to use colour; `auto` means on a terminal and without NO_COLOR')
            [CompletionResult]::new('--force', '--force', [CompletionResultType]::ParameterName, 'Replace a non-empty DIR (its contents are archived first); with --db, end other sessions on the database')
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
            [CompletionResult]::new('--dest', '--dest', [CompletionResultType]::ParameterName, 'The backup folder [default: [backup] dest]')
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
