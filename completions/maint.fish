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
complete -c maint -n "__fish_maint_needs_command" -f -a "backup" -d 'Verified, crash-safe .tar.gz backups of files and a PostgreSQL database'
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
complete -c maint -n "__fish_maint_using_subcommand backup; and not __fish_seen_subcommand_from create list verify prune restore drill" -l config -d 'Read settings from FILE [default: $MAINT_CONFIG, ./maint.toml, $XDG_CONFIG_HOME/maint/maint.toml, /etc/maint/maint.toml]' -r -F
complete -c maint -n "__fish_maint_using_subcommand backup; and not __fish_seen_subcommand_from create list verify prune restore drill" -l format -d 'Output format [default: table]' -r -f -a "table\t'Aligned columns for people (the default)'
json\t'The versioned JSON contract, for CI and log pipelines'
prometheus\t'Prometheus text exposition, for node_exporter\'s textfile collector'
nagios\t'One Nagios/Icinga plugin status line with performance data'"
complete -c maint -n "__fish_maint_using_subcommand backup; and not __fish_seen_subcommand_from create list verify prune restore drill" -l output -d 'Write the report to FILE atomically instead of standard output' -r -F
complete -c maint -n "__fish_maint_using_subcommand backup; and not __fish_seen_subcommand_from create list verify prune restore drill" -l color -d 'When to use colour; `auto` means on a terminal and without NO_COLOR' -r -f -a "auto\t''
always\t''
never\t''"
complete -c maint -n "__fish_maint_using_subcommand backup; and not __fish_seen_subcommand_from create list verify prune restore drill" -s q -l quiet -d 'Print nothing but errors (the exit code still tells the result)'
complete -c maint -n "__fish_maint_using_subcommand backup; and not __fish_seen_subcommand_from create list verify prune restore drill" -s v -l verbose -d 'Say more: timings in tables, and what maint is doing on standard error'
complete -c maint -n "__fish_maint_using_subcommand backup; and not __fish_seen_subcommand_from create list verify prune restore drill" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c maint -n "__fish_maint_using_subcommand backup; and not __fish_seen_subcommand_from create list verify prune restore drill" -s V -l version -d 'Print version'
complete -c maint -n "__fish_maint_using_subcommand backup; and not __fish_seen_subcommand_from create list verify prune restore drill" -f -a "create" -d 'Back up files and folders (and a PostgreSQL database) into one verified .tar.gz'
complete -c maint -n "__fish_maint_using_subcommand backup; and not __fish_seen_subcommand_from create list verify prune restore drill" -f -a "list" -d 'List the backups in the destination: kind, time, size, files, database, verified state'
complete -c maint -n "__fish_maint_using_subcommand backup; and not __fish_seen_subcommand_from create list verify prune restore drill" -f -a "verify" -d 'Read a whole archive and check it: gzip CRC, every entry\'s SHA-256 against the manifest, the archive against its .sha256 sidecar'
complete -c maint -n "__fish_maint_using_subcommand backup; and not __fish_seen_subcommand_from create list verify prune restore drill" -f -a "prune" -d 'Delete backups the retention policy no longer keeps'
complete -c maint -n "__fish_maint_using_subcommand backup; and not __fish_seen_subcommand_from create list verify prune restore drill" -f -a "restore" -d 'Restore an archive into DIR, verified and staged, keeping the current state first'
complete -c maint -n "__fish_maint_using_subcommand backup; and not __fish_seen_subcommand_from create list verify prune restore drill" -f -a "drill" -d 'Disaster-recovery drill: restore the latest backup into a scratch folder (and a scratch database), compare it with its manifest and with the live data, report the differences and the time it took, and clean up'
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from create" -l source -d 'Back up PATH (a folder or file); repeatable; replaces [backup] sources' -r -F
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from create" -l exclude -d 'Leave out what matches GLOB (a name, or a path below the root with `/`); repeatable' -r
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from create" -l dest -d 'Write the archive into DIR [default: [backup] dest]' -r -f -a "(__fish_complete_directories)"
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from create" -l db -d 'Also dump this PostgreSQL database (pg_dump --format=custom, one snapshot)' -r
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from create" -l kind -d 'Kind recorded in the archive name' -r -f -a "daily\t''
weekly\t''
monthly\t''"
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from create" -l name -d 'First part of the archive name [default: [backup] name, else the host name]' -r
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from create" -l config -d 'Read settings from FILE [default: $MAINT_CONFIG, ./maint.toml, $XDG_CONFIG_HOME/maint/maint.toml, /etc/maint/maint.toml]' -r -F
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from create" -l format -d 'Output format [default: table]' -r -f -a "table\t'Aligned columns for people (the default)'
json\t'The versioned JSON contract, for CI and log pipelines'
prometheus\t'Prometheus text exposition, for node_exporter\'s textfile collector'
nagios\t'One Nagios/Icinga plugin status line with performance data'"
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from create" -l output -d 'Write the report to FILE atomically instead of standard output' -r -F
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from create" -l color -d 'When to use colour; `auto` means on a terminal and without NO_COLOR' -r -f -a "auto\t''
always\t''
never\t''"
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from create" -s q -l quiet -d 'Print nothing but errors (the exit code still tells the result)'
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from create" -s v -l verbose -d 'Say more: timings in tables, and what maint is doing on standard error'
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from create" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from create" -s V -l version -d 'Print version'
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from list" -l dest -d 'The backup folder [default: [backup] dest]' -r -f -a "(__fish_complete_directories)"
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from list" -l config -d 'Read settings from FILE [default: $MAINT_CONFIG, ./maint.toml, $XDG_CONFIG_HOME/maint/maint.toml, /etc/maint/maint.toml]' -r -F
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from list" -l format -d 'Output format [default: table]' -r -f -a "table\t'Aligned columns for people (the default)'
json\t'The versioned JSON contract, for CI and log pipelines'
prometheus\t'Prometheus text exposition, for node_exporter\'s textfile collector'
nagios\t'One Nagios/Icinga plugin status line with performance data'"
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from list" -l output -d 'Write the report to FILE atomically instead of standard output' -r -F
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from list" -l color -d 'When to use colour; `auto` means on a terminal and without NO_COLOR' -r -f -a "auto\t''
always\t''
never\t''"
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from list" -s q -l quiet -d 'Print nothing but errors (the exit code still tells the result)'
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from list" -s v -l verbose -d 'Say more: timings in tables, and what maint is doing on standard error'
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from list" -s V -l version -d 'Print version'
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from verify" -l dest -d 'The backup folder [default: [backup] dest]' -r -f -a "(__fish_complete_directories)"
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from verify" -l config -d 'Read settings from FILE [default: $MAINT_CONFIG, ./maint.toml, $XDG_CONFIG_HOME/maint/maint.toml, /etc/maint/maint.toml]' -r -F
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from verify" -l format -d 'Output format [default: table]' -r -f -a "table\t'Aligned columns for people (the default)'
json\t'The versioned JSON contract, for CI and log pipelines'
prometheus\t'Prometheus text exposition, for node_exporter\'s textfile collector'
nagios\t'One Nagios/Icinga plugin status line with performance data'"
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from verify" -l output -d 'Write the report to FILE atomically instead of standard output' -r -F
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from verify" -l color -d 'When to use colour; `auto` means on a terminal and without NO_COLOR' -r -f -a "auto\t''
always\t''
never\t''"
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from verify" -l latest -d 'Verify the newest backup in the destination'
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from verify" -s q -l quiet -d 'Print nothing but errors (the exit code still tells the result)'
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from verify" -s v -l verbose -d 'Say more: timings in tables, and what maint is doing on standard error'
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from verify" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from verify" -s V -l version -d 'Print version'
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from prune" -l dest -d 'The backup folder [default: [backup] dest]' -r -f -a "(__fish_complete_directories)"
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from prune" -l keep-daily -d 'Days whose newest backup is kept [default: 7]' -r
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from prune" -l keep-weekly -d 'ISO weeks whose newest backup is kept [default: 4]' -r
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from prune" -l keep-monthly -d 'Months whose newest backup is kept [default: 12]' -r
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from prune" -l keep-last -d 'The newest N backups are kept whatever their dates [default: 3]' -r
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from prune" -l config -d 'Read settings from FILE [default: $MAINT_CONFIG, ./maint.toml, $XDG_CONFIG_HOME/maint/maint.toml, /etc/maint/maint.toml]' -r -F
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from prune" -l format -d 'Output format [default: table]' -r -f -a "table\t'Aligned columns for people (the default)'
json\t'The versioned JSON contract, for CI and log pipelines'
prometheus\t'Prometheus text exposition, for node_exporter\'s textfile collector'
nagios\t'One Nagios/Icinga plugin status line with performance data'"
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from prune" -l output -d 'Write the report to FILE atomically instead of standard output' -r -F
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from prune" -l color -d 'When to use colour; `auto` means on a terminal and without NO_COLOR' -r -f -a "auto\t''
always\t''
never\t''"
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from prune" -l dry-run -d 'Show each backup with the reason it stays or goes, and delete nothing'
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from prune" -s q -l quiet -d 'Print nothing but errors (the exit code still tells the result)'
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from prune" -s v -l verbose -d 'Say more: timings in tables, and what maint is doing on standard error'
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from prune" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from prune" -s V -l version -d 'Print version'
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from restore" -l target -d 'The folder to restore into (the backup\'s root, to restore in place)' -r -f -a "(__fish_complete_directories)"
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from restore" -l db -d 'Also restore the dump into this database: into a scratch database first, row counts compared, then swapped in (the old one is kept)' -r
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from restore" -l config -d 'Read settings from FILE [default: $MAINT_CONFIG, ./maint.toml, $XDG_CONFIG_HOME/maint/maint.toml, /etc/maint/maint.toml]' -r -F
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from restore" -l format -d 'Output format [default: table]' -r -f -a "table\t'Aligned columns for people (the default)'
json\t'The versioned JSON contract, for CI and log pipelines'
prometheus\t'Prometheus text exposition, for node_exporter\'s textfile collector'
nagios\t'One Nagios/Icinga plugin status line with performance data'"
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from restore" -l output -d 'Write the report to FILE atomically instead of standard output' -r -F
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from restore" -l color -d 'When to use colour; `auto` means on a terminal and without NO_COLOR' -r -f -a "auto\t''
always\t''
never\t''"
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from restore" -l force -d 'Replace a non-empty DIR (its contents are archived first); with --db, end other sessions on the database'
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from restore" -l dry-run -d 'Check the archive and list what would change; change nothing'
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from restore" -s q -l quiet -d 'Print nothing but errors (the exit code still tells the result)'
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from restore" -s v -l verbose -d 'Say more: timings in tables, and what maint is doing on standard error'
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from restore" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from restore" -s V -l version -d 'Print version'
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from drill" -l dest -d 'The backup folder [default: [backup] dest]' -r -f -a "(__fish_complete_directories)"
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from drill" -l db -d 'The live database to restore the dump next to and compare with [default: [backup] db]' -r
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from drill" -l config -d 'Read settings from FILE [default: $MAINT_CONFIG, ./maint.toml, $XDG_CONFIG_HOME/maint/maint.toml, /etc/maint/maint.toml]' -r -F
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from drill" -l format -d 'Output format [default: table]' -r -f -a "table\t'Aligned columns for people (the default)'
json\t'The versioned JSON contract, for CI and log pipelines'
prometheus\t'Prometheus text exposition, for node_exporter\'s textfile collector'
nagios\t'One Nagios/Icinga plugin status line with performance data'"
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from drill" -l output -d 'Write the report to FILE atomically instead of standard output' -r -F
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from drill" -l color -d 'When to use colour; `auto` means on a terminal and without NO_COLOR' -r -f -a "auto\t''
always\t''
never\t''"
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from drill" -s q -l quiet -d 'Print nothing but errors (the exit code still tells the result)'
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from drill" -s v -l verbose -d 'Say more: timings in tables, and what maint is doing on standard error'
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from drill" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from drill" -s V -l version -d 'Print version'
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
