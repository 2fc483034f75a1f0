
use builtin;
use str;

set edit:completion:arg-completer[maint] = {|@words|
    fn spaces {|n|
        builtin:repeat $n ' ' | str:join ''
    }
    fn cand {|text desc|
        edit:complex-candidate $text &display=$text' '(spaces (- 14 (wcswidth $text)))$desc
    }
    var command = 'maint'
    for word $words[1..-1] {
        if (str:has-prefix $word '-') {
            break
        }
        set command = $command';'$word
    }
    var completions = [
        &'maint'= {
            cand --config 'Read settings from FILE [default: $MAINT_CONFIG, ./maint.toml, $XDG_CONFIG_HOME/maint/maint.toml, /etc/maint/maint.toml]'
            cand --format 'Output format [default: table]'
            cand --output 'Write the report to FILE atomically instead of standard output'
            cand --color 'When to use colour; `auto` means on a terminal and without NO_COLOR'
            cand -q 'Print nothing but errors (the exit code still tells the result)'
            cand --quiet 'Print nothing but errors (the exit code still tells the result)'
            cand -v 'Say more: timings in tables, and what maint is doing on standard error'
            cand --verbose 'Say more: timings in tables, and what maint is doing on standard error'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand health 'Check local resources and the configured services, and give one verdict'
            cand logs 'Read log files: categories, time windows, message templates, alerts'
            cand completions 'Print a shell completion script to standard output'
        }
        &'maint;health'= {
            cand --only 'Run only checks with this name (`disk:/`), kind (`disk`) or glob (`http:*`); repeatable'
            cand --skip 'Do not run checks with this name, kind or glob; repeatable'
            cand --deadline 'Finish by this time whatever is still running [default: 10s]'
            cand --timeout 'Time limit of each check that does not set its own [default: 5s]'
            cand --postgres 'Check the PostgreSQL server at URL (PG* variables and ~/.pgpass fill in the rest)'
            cand --redis 'Check the Redis server at URL (redis://[:password@]host[:port])'
            cand --http 'Check that URL answers with 2xx or 3xx; repeatable'
            cand --threshold 'Override a threshold: KEY=WARN[,CRIT], KEY one of cpu, memory, swap, load, disk, inodes, postgres.connections, postgres.oldest_transaction, redis.memory, redis.clients (e.g. disk=85,95)'
            cand --config 'Read settings from FILE [default: $MAINT_CONFIG, ./maint.toml, $XDG_CONFIG_HOME/maint/maint.toml, /etc/maint/maint.toml]'
            cand --format 'Output format [default: table]'
            cand --output 'Write the report to FILE atomically instead of standard output'
            cand --color 'When to use colour; `auto` means on a terminal and without NO_COLOR'
            cand --list 'List the checks that would run, and run none'
            cand -q 'Print nothing but errors (the exit code still tells the result)'
            cand --quiet 'Print nothing but errors (the exit code still tells the result)'
            cand -v 'Say more: timings in tables, and what maint is doing on standard error'
            cand --verbose 'Say more: timings in tables, and what maint is doing on standard error'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'maint;logs'= {
            cand --config 'Read settings from FILE [default: $MAINT_CONFIG, ./maint.toml, $XDG_CONFIG_HOME/maint/maint.toml, /etc/maint/maint.toml]'
            cand --format 'Output format [default: table]'
            cand --output 'Write the report to FILE atomically instead of standard output'
            cand --color 'When to use colour; `auto` means on a terminal and without NO_COLOR'
            cand -q 'Print nothing but errors (the exit code still tells the result)'
            cand --quiet 'Print nothing but errors (the exit code still tells the result)'
            cand -v 'Say more: timings in tables, and what maint is doing on standard error'
            cand --verbose 'Say more: timings in tables, and what maint is doing on standard error'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
            cand analyze 'Count categories of lines (errors, warnings, ...) in log files in one pass, in a time window, with their top message templates and peak hour'
        }
        &'maint;logs;analyze'= {
            cand --since 'Only lines from this time on: 24h (ago), 2026-11-20, 2026-11-20T06:00:00Z, today, yesterday'
            cand --until 'Only lines before this time (same forms as --since)'
            cand --pattern 'Another category, or a new regex for a default one (LC_ALL=C grep -E syntax); repeatable'
            cand --threshold 'Alert level: CATEGORY>WARN[,CRIT] lines in the window, or per period with /DUR (errors>50/1h: more than 50 in any hour); repeatable [default: errors>100]'
            cand --top 'Message templates shown per category [default: 5]'
            cand --bucket 'Histogram bucket width [default: 1h]'
            cand --state 'Remember what was read in FILE and read only new lines next time (for cron)'
            cand --config 'Read settings from FILE [default: $MAINT_CONFIG, ./maint.toml, $XDG_CONFIG_HOME/maint/maint.toml, /etc/maint/maint.toml]'
            cand --format 'Output format [default: table]'
            cand --output 'Write the report to FILE atomically instead of standard output'
            cand --color 'When to use colour; `auto` means on a terminal and without NO_COLOR'
            cand --reset-state 'Start over when the --state file is corrupt or from another version'
            cand --explain 'Show per file the detected format, the bytes read and why files were skipped'
            cand -q 'Print nothing but errors (the exit code still tells the result)'
            cand --quiet 'Print nothing but errors (the exit code still tells the result)'
            cand -v 'Say more: timings in tables, and what maint is doing on standard error'
            cand --verbose 'Say more: timings in tables, and what maint is doing on standard error'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'maint;completions'= {
            cand --config 'Read settings from FILE [default: $MAINT_CONFIG, ./maint.toml, $XDG_CONFIG_HOME/maint/maint.toml, /etc/maint/maint.toml]'
            cand --format 'Output format [default: table]'
            cand --output 'Write the report to FILE atomically instead of standard output'
            cand --color 'When to use colour; `auto` means on a terminal and without NO_COLOR'
            cand -q 'Print nothing but errors (the exit code still tells the result)'
            cand --quiet 'Print nothing but errors (the exit code still tells the result)'
            cand -v 'Say more: timings in tables, and what maint is doing on standard error'
            cand --verbose 'Say more: timings in tables, and what maint is doing on standard error'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
    ]
    $completions[$command]
}
