# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_maint_global_optspecs
    string join \n config= format= output= q/quiet v/verbose color= h/help V/version
end

function __fish_maint_needs_command
    # Figure out if the current invocation already has a command.
    set -l cmd (commandline -opc)
    set -e cmd[1]
    argparse -s (__fish_maint_global_optspecs) -- $cmd 2>/dev/null
    or return
    if set -q argv[1]
        # Also print the command, so this can be used to figure out what it is.
        echo $argv[1]
        return 1
    end
    return 0
end

function __fish_maint_using_subcommand
    set -l cmd (__fish_maint_needs_command)
    test -z "$cmd"
    and return 1
    contains -- $cmd[1] $argv
end

complete -c maint -n "__fish_maint_needs_command" -l config -d 'Read settings from FILE [default: $MAINT_CONFIG, ./maint.toml, $XDG_CONFIG_HOME/maint/maint.toml, /etc/maint/maint.toml]' -r -F
complete -c maint -n "__fish_maint_needs_command" -l format -d 'Output format [default: table]' -r -f -a "table\t'Aligned columns for people (the default)'
json\t'The versioned JSON contract, for CI and log pipelines'
prometheus\t'Prometheus text exposition, for node_exporter\'s textfile collector'
nagios\t'One Nagios/Icinga plugin status line with performance data'"
complete -c maint -n "__fish_maint_needs_command" -l output -d 'Write the report to FILE atomically instead of standard output' -r -F
complete -c maint -n "__fish_maint_needs_command" -l color -d 'When to use colour; `auto` means on a terminal and without NO_COLOR' -r -f -a "auto\t''
always\t''
never\t''"
complete -c maint -n "__fish_maint_needs_command" -s q -l quiet -d 'Print nothing but errors (the exit code still tells the result)'
complete -c maint -n "__fish_maint_needs_command" -s v -l verbose -d 'Say more: timings in tables, and what maint is doing on standard error'
complete -c maint -n "__fish_maint_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c maint -n "__fish_maint_needs_command" -s V -l version -d 'Print version'
complete -c maint -n "__fish_maint_needs_command" -f -a "health" -d 'Check local resources and the configured services, and give one verdict'
complete -c maint -n "__fish_maint_needs_command" -f -a "logs" -d 'Read log files: categories, time windows, message templates, alerts'
complete -c maint -n "__fish_maint_needs_command" -f -a "completions" -d 'Print a shell completion script to standard output'
complete -c maint -n "__fish_maint_using_subcommand health" -l only -d 'Run only checks with this name (`disk:/`), kind (`disk`) or glob (`http:*`); repeatable' -r
complete -c maint -n "__fish_maint_using_subcommand health" -l skip -d 'Do not run checks with this name, kind or glob; repeatable' -r
complete -c maint -n "__fish_maint_using_subcommand health" -l deadline -d 'Finish by this time whatever is still running [default: 10s]' -r
complete -c maint -n "__fish_maint_using_subcommand health" -l timeout -d 'Time limit of each check that does not set its own [default: 5s]' -r
complete -c maint -n "__fish_maint_using_subcommand health" -l postgres -d 'Check the PostgreSQL server at URL (PG* variables and ~/.pgpass fill in the rest)' -r
complete -c maint -n "__fish_maint_using_subcommand health" -l redis -d 'Check the Redis server at URL (redis://[:password@]host[:port])' -r
complete -c maint -n "__fish_maint_using_subcommand health" -l http -d 'Check that URL answers with 2xx or 3xx; repeatable' -r
complete -c maint -n "__fish_maint_using_subcommand health" -l threshold -d 'Override a threshold: KEY=WARN[,CRIT], KEY one of cpu, memory, swap, load, disk, inodes, postgres.connections, postgres.oldest_transaction, redis.memory, redis.clients (e.g. disk=85,95)' -r
complete -c maint -n "__fish_maint_using_subcommand health" -l config -d 'Read settings from FILE [default: $MAINT_CONFIG, ./maint.toml, $XDG_CONFIG_HOME/maint/maint.toml, /etc/maint/maint.toml]' -r -F
complete -c maint -n "__fish_maint_using_subcommand health" -l format -d 'Output format [default: table]' -r -f -a "table\t'Aligned columns for people (the default)'
json\t'The versioned JSON contract, for CI and log pipelines'
prometheus\t'Prometheus text exposition, for node_exporter\'s textfile collector'
nagios\t'One Nagios/Icinga plugin status line with performance data'"
complete -c maint -n "__fish_maint_using_subcommand health" -l output -d 'Write the report to FILE atomically instead of standard output' -r -F
complete -c maint -n "__fish_maint_using_subcommand health" -l color -d 'When to use colour; `auto` means on a terminal and without NO_COLOR' -r -f -a "auto\t''
always\t''
never\t''"
complete -c maint -n "__fish_maint_using_subcommand health" -l list -d 'List the checks that would run, and run none'
complete -c maint -n "__fish_maint_using_subcommand health" -s q -l quiet -d 'Print nothing but errors (the exit code still tells the result)'
complete -c maint -n "__fish_maint_using_subcommand health" -s v -l verbose -d 'Say more: timings in tables, and what maint is doing on standard error'
complete -c maint -n "__fish_maint_using_subcommand health" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c maint -n "__fish_maint_using_subcommand health" -s V -l version -d 'Print version'
complete -c maint -n "__fish_maint_using_subcommand logs; and not __fish_seen_subcommand_from analyze" -l config -d 'Read settings from FILE [default: $MAINT_CONFIG, ./maint.toml, $XDG_CONFIG_HOME/maint/maint.toml, /etc/maint/maint.toml]' -r -F
complete -c maint -n "__fish_maint_using_subcommand logs; and not __fish_seen_subcommand_from analyze" -l format -d 'Output format [default: table]' -r -f -a "table\t'Aligned columns for people (the default)'
json\t'The versioned JSON contract, for CI and log pipelines'
prometheus\t'Prometheus text exposition, for node_exporter\'s textfile collector'
nagios\t'One Nagios/Icinga plugin status line with performance data'"
complete -c maint -n "__fish_maint_using_subcommand logs; and not __fish_seen_subcommand_from analyze" -l output -d 'Write the report to FILE atomically instead of standard output' -r -F
complete -c maint -n "__fish_maint_using_subcommand logs; and not __fish_seen_subcommand_from analyze" -l color -d 'When to use colour; `auto` means on a terminal and without NO_COLOR' -r -f -a "auto\t''
always\t''
never\t''"
complete -c maint -n "__fish_maint_using_subcommand logs; and not __fish_seen_subcommand_from analyze" -s q -l quiet -d 'Print nothing but errors (the exit code still tells the result)'
complete -c maint -n "__fish_maint_using_subcommand logs; and not __fish_seen_subcommand_from analyze" -s v -l verbose -d 'Say more: timings in tables, and what maint is doing on standard error'
complete -c maint -n "__fish_maint_using_subcommand logs; and not __fish_seen_subcommand_from analyze" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c maint -n "__fish_maint_using_subcommand logs; and not __fish_seen_subcommand_from analyze" -s V -l version -d 'Print version'
complete -c maint -n "__fish_maint_using_subcommand logs; and not __fish_seen_subcommand_from analyze" -f -a "analyze" -d 'Count categories of lines (errors, warnings, ...) in log files in one pass, in a time window, with their top message templates and peak hour'
complete -c maint -n "__fish_maint_using_subcommand logs; and __fish_seen_subcommand_from analyze" -l since -d 'Only lines from this time on: 24h (ago), 2026-11-20, 2026-11-20T06:00:00Z, today, yesterday' -r
complete -c maint -n "__fish_maint_using_subcommand logs; and __fish_seen_subcommand_from analyze" -l until -d 'Only lines before this time (same forms as --since)' -r
complete -c maint -n "__fish_maint_using_subcommand logs; and __fish_seen_subcommand_from analyze" -l pattern -d 'Another category, or a new regex for a default one (LC_ALL=C grep -E syntax); repeatable' -r
complete -c maint -n "__fish_maint_using_subcommand logs; and __fish_seen_subcommand_from analyze" -l threshold -d 'Alert level: CATEGORY>WARN[,CRIT] lines in the window, or per period with /DUR (errors>50/1h: more than 50 in any hour); repeatable [default: errors>100]' -r
complete -c maint -n "__fish_maint_using_subcommand logs; and __fish_seen_subcommand_from analyze" -l top -d 'Message templates shown per category [default: 5]' -r
complete -c maint -n "__fish_maint_using_subcommand logs; and __fish_seen_subcommand_from analyze" -l bucket -d 'Histogram bucket width [default: 1h]' -r
complete -c maint -n "__fish_maint_using_subcommand logs; and __fish_seen_subcommand_from analyze" -l state -d 'Remember what was read in FILE and read only new lines next time (for cron)' -r -F
complete -c maint -n "__fish_maint_using_subcommand logs; and __fish_seen_subcommand_from analyze" -l config -d 'Read settings from FILE [default: $MAINT_CONFIG, ./maint.toml, $XDG_CONFIG_HOME/maint/maint.toml, /etc/maint/maint.toml]' -r -F
complete -c maint -n "__fish_maint_using_subcommand logs; and __fish_seen_subcommand_from analyze" -l format -d 'Output format [default: table]' -r -f -a "table\t'Aligned columns for people (the default)'
json\t'The versioned JSON contract, for CI and log pipelines'
prometheus\t'Prometheus text exposition, for node_exporter\'s textfile collector'
nagios\t'One Nagios/Icinga plugin status line with performance data'"
complete -c maint -n "__fish_maint_using_subcommand logs; and __fish_seen_subcommand_from analyze" -l output -d 'Write the report to FILE atomically instead of standard output' -r -F
complete -c maint -n "__fish_maint_using_subcommand logs; and __fish_seen_subcommand_from analyze" -l color -d 'When to use colour; `auto` means on a terminal and without NO_COLOR' -r -f -a "auto\t''
always\t''
never\t''"
complete -c maint -n "__fish_maint_using_subcommand logs; and __fish_seen_subcommand_from analyze" -l reset-state -d 'Start over when the --state file is corrupt or from another version'
complete -c maint -n "__fish_maint_using_subcommand logs; and __fish_seen_subcommand_from analyze" -l explain -d 'Show per file the detected format, the bytes read and why files were skipped'
complete -c maint -n "__fish_maint_using_subcommand logs; and __fish_seen_subcommand_from analyze" -s q -l quiet -d 'Print nothing but errors (the exit code still tells the result)'
complete -c maint -n "__fish_maint_using_subcommand logs; and __fish_seen_subcommand_from analyze" -s v -l verbose -d 'Say more: timings in tables, and what maint is doing on standard error'
complete -c maint -n "__fish_maint_using_subcommand logs; and __fish_seen_subcommand_from analyze" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c maint -n "__fish_maint_using_subcommand logs; and __fish_seen_subcommand_from analyze" -s V -l version -d 'Print version'
complete -c maint -n "__fish_maint_using_subcommand completions" -l config -d 'Read settings from FILE [default: $MAINT_CONFIG, ./maint.toml, $XDG_CONFIG_HOME/maint/maint.toml, /etc/maint/maint.toml]' -r -F
complete -c maint -n "__fish_maint_using_subcommand completions" -l format -d 'Output format [default: table]' -r -f -a "table\t'Aligned columns for people (the default)'
json\t'The versioned JSON contract, for CI and log pipelines'
prometheus\t'Prometheus text exposition, for node_exporter\'s textfile collector'
nagios\t'One Nagios/Icinga plugin status line with performance data'"
complete -c maint -n "__fish_maint_using_subcommand completions" -l output -d 'Write the report to FILE atomically instead of standard output' -r -F
complete -c maint -n "__fish_maint_using_subcommand completions" -l color -d 'When to use colour; `auto` means on a terminal and without NO_COLOR' -r -f -a "auto\t''
always\t''
never\t''"
complete -c maint -n "__fish_maint_using_subcommand completions" -s q -l quiet -d 'Print nothing but errors (the exit code still tells the result)'
complete -c maint -n "__fish_maint_using_subcommand completions" -s v -l verbose -d 'Say more: timings in tables, and what maint is doing on standard error'
complete -c maint -n "__fish_maint_using_subcommand completions" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c maint -n "__fish_maint_using_subcommand completions" -s V -l version -d 'Print version'
