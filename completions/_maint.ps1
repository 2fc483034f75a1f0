
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
            [CompletionResult]::new('logs', 'logs', [CompletionResultType]::ParameterValue, 'Read log files: categories, time windows, message templates, alerts')
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
