# Print an optspec for argparse to handle cmd's options that are independent of any subcommand.
function __fish_maint_global_optspecs
    string join \n config= format= output= q/quiet v/verbose color= notify no-notify no-history h/help V/version
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
nagios\t'One Nagios/Icinga plugin status line with performance data'
markdown\t'Markdown tables, for pasting into a ticket'
html\t'One self-contained HTML page, with charts where the report has series (`maint trend`)'"
complete -c maint -n "__fish_maint_needs_command" -l output -d 'Write the report to FILE atomically instead of standard output' -r -F
complete -c maint -n "__fish_maint_needs_command" -l color -d 'When to use colour; `auto` means on a terminal and without NO_COLOR' -r -f -a "auto\t''
always\t''
never\t''"
complete -c maint -n "__fish_maint_needs_command" -s q -l quiet -d 'Print nothing but errors (the exit code still tells the result)'
complete -c maint -n "__fish_maint_needs_command" -s v -l verbose -d 'Say more: timings in tables, and what maint is doing on standard error'
complete -c maint -n "__fish_maint_needs_command" -l notify -d 'Tell every [[notify]] target how this run went, whatever its `commands` (routines, and the commands a target lists, are told without it)'
complete -c maint -n "__fish_maint_needs_command" -l no-notify -d 'Tell no [[notify]] target about this run'
complete -c maint -n "__fish_maint_needs_command" -l no-history -d 'Record nothing of this run in the history ([history] path)'
complete -c maint -n "__fish_maint_needs_command" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c maint -n "__fish_maint_needs_command" -s V -l version -d 'Print version'
complete -c maint -n "__fish_maint_needs_command" -f -a "health" -d 'Check local resources and the configured services, and give one verdict'
complete -c maint -n "__fish_maint_needs_command" -f -a "diagnose" -d 'Troubleshoot this server in one run: what is wrong, why it matters, what to run next'
complete -c maint -n "__fish_maint_needs_command" -f -a "certs" -d 'Certificates: files, folders and live TLS endpoints'
complete -c maint -n "__fish_maint_needs_command" -f -a "db" -d 'PostgreSQL maintenance: report, vacuum what needs it, prune old rows'
complete -c maint -n "__fish_maint_needs_command" -f -a "redis" -d 'Redis maintenance: what the weekly `redis-cli info` round checks, in one report'
complete -c maint -n "__fish_maint_needs_command" -f -a "logs" -d 'Read log files: categories, time windows, message templates, alerts'
complete -c maint -n "__fish_maint_needs_command" -f -a "backup" -d 'Verified, crash-safe .tar.gz backups of files and a PostgreSQL database'
complete -c maint -n "__fish_maint_needs_command" -f -a "run" -d 'Run a maintenance routine from maint.toml: its steps in order, one report, one log entry'
complete -c maint -n "__fish_maint_needs_command" -f -a "notify" -d 'Notification targets: the [[notify]] tables of maint.toml'
complete -c maint -n "__fish_maint_needs_command" -f -a "trend" -d 'Show the history of the checks: numbers, charts and a review page'
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
nagios\t'One Nagios/Icinga plugin status line with performance data'
markdown\t'Markdown tables, for pasting into a ticket'
html\t'One self-contained HTML page, with charts where the report has series (`maint trend`)'"
complete -c maint -n "__fish_maint_using_subcommand health" -l output -d 'Write the report to FILE atomically instead of standard output' -r -F
complete -c maint -n "__fish_maint_using_subcommand health" -l color -d 'When to use colour; `auto` means on a terminal and without NO_COLOR' -r -f -a "auto\t''
always\t''
never\t''"
complete -c maint -n "__fish_maint_using_subcommand health" -l list -d 'List the checks that would run, and run none'
complete -c maint -n "__fish_maint_using_subcommand health" -s q -l quiet -d 'Print nothing but errors (the exit code still tells the result)'
complete -c maint -n "__fish_maint_using_subcommand health" -s v -l verbose -d 'Say more: timings in tables, and what maint is doing on standard error'
complete -c maint -n "__fish_maint_using_subcommand health" -l notify -d 'Tell every [[notify]] target how this run went, whatever its `commands` (routines, and the commands a target lists, are told without it)'
complete -c maint -n "__fish_maint_using_subcommand health" -l no-notify -d 'Tell no [[notify]] target about this run'
complete -c maint -n "__fish_maint_using_subcommand health" -l no-history -d 'Record nothing of this run in the history ([history] path)'
complete -c maint -n "__fish_maint_using_subcommand health" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c maint -n "__fish_maint_using_subcommand health" -s V -l version -d 'Print version'
complete -c maint -n "__fish_maint_using_subcommand diagnose" -l since -d 'How far back to look for out-of-memory kills and errors [default: 24h]' -r
complete -c maint -n "__fish_maint_using_subcommand diagnose" -l bundle -d 'Also write a support bundle (the report, the effective config, recent log excerpts and a manifest, secrets redacted) to FILE.tar.gz' -r -F
complete -c maint -n "__fish_maint_using_subcommand diagnose" -l deadline -d 'Finish by this time whatever is still being gathered [default: 5s]' -r
complete -c maint -n "__fish_maint_using_subcommand diagnose" -l config -d 'Read settings from FILE [default: $MAINT_CONFIG, ./maint.toml, $XDG_CONFIG_HOME/maint/maint.toml, /etc/maint/maint.toml]' -r -F
complete -c maint -n "__fish_maint_using_subcommand diagnose" -l format -d 'Output format [default: table]' -r -f -a "table\t'Aligned columns for people (the default)'
json\t'The versioned JSON contract, for CI and log pipelines'
prometheus\t'Prometheus text exposition, for node_exporter\'s textfile collector'
nagios\t'One Nagios/Icinga plugin status line with performance data'
markdown\t'Markdown tables, for pasting into a ticket'
html\t'One self-contained HTML page, with charts where the report has series (`maint trend`)'"
complete -c maint -n "__fish_maint_using_subcommand diagnose" -l output -d 'Write the report to FILE atomically instead of standard output' -r -F
complete -c maint -n "__fish_maint_using_subcommand diagnose" -l color -d 'When to use colour; `auto` means on a terminal and without NO_COLOR' -r -f -a "auto\t''
always\t''
never\t''"
complete -c maint -n "__fish_maint_using_subcommand diagnose" -l redact-hosts -d 'In the bundle, replace host names and IP addresses with stable pseudonyms'
complete -c maint -n "__fish_maint_using_subcommand diagnose" -s q -l quiet -d 'Print nothing but errors (the exit code still tells the result)'
complete -c maint -n "__fish_maint_using_subcommand diagnose" -s v -l verbose -d 'Say more: timings in tables, and what maint is doing on standard error'
complete -c maint -n "__fish_maint_using_subcommand diagnose" -l notify -d 'Tell every [[notify]] target how this run went, whatever its `commands` (routines, and the commands a target lists, are told without it)'
complete -c maint -n "__fish_maint_using_subcommand diagnose" -l no-notify -d 'Tell no [[notify]] target about this run'
complete -c maint -n "__fish_maint_using_subcommand diagnose" -l no-history -d 'Record nothing of this run in the history ([history] path)'
complete -c maint -n "__fish_maint_using_subcommand diagnose" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c maint -n "__fish_maint_using_subcommand diagnose" -s V -l version -d 'Print version'
complete -c maint -n "__fish_maint_using_subcommand certs; and not __fish_seen_subcommand_from check" -l config -d 'Read settings from FILE [default: $MAINT_CONFIG, ./maint.toml, $XDG_CONFIG_HOME/maint/maint.toml, /etc/maint/maint.toml]' -r -F
complete -c maint -n "__fish_maint_using_subcommand certs; and not __fish_seen_subcommand_from check" -l format -d 'Output format [default: table]' -r -f -a "table\t'Aligned columns for people (the default)'
json\t'The versioned JSON contract, for CI and log pipelines'
prometheus\t'Prometheus text exposition, for node_exporter\'s textfile collector'
nagios\t'One Nagios/Icinga plugin status line with performance data'
markdown\t'Markdown tables, for pasting into a ticket'
html\t'One self-contained HTML page, with charts where the report has series (`maint trend`)'"
complete -c maint -n "__fish_maint_using_subcommand certs; and not __fish_seen_subcommand_from check" -l output -d 'Write the report to FILE atomically instead of standard output' -r -F
complete -c maint -n "__fish_maint_using_subcommand certs; and not __fish_seen_subcommand_from check" -l color -d 'When to use colour; `auto` means on a terminal and without NO_COLOR' -r -f -a "auto\t''
always\t''
never\t''"
complete -c maint -n "__fish_maint_using_subcommand certs; and not __fish_seen_subcommand_from check" -s q -l quiet -d 'Print nothing but errors (the exit code still tells the result)'
complete -c maint -n "__fish_maint_using_subcommand certs; and not __fish_seen_subcommand_from check" -s v -l verbose -d 'Say more: timings in tables, and what maint is doing on standard error'
complete -c maint -n "__fish_maint_using_subcommand certs; and not __fish_seen_subcommand_from check" -l notify -d 'Tell every [[notify]] target how this run went, whatever its `commands` (routines, and the commands a target lists, are told without it)'
complete -c maint -n "__fish_maint_using_subcommand certs; and not __fish_seen_subcommand_from check" -l no-notify -d 'Tell no [[notify]] target about this run'
complete -c maint -n "__fish_maint_using_subcommand certs; and not __fish_seen_subcommand_from check" -l no-history -d 'Record nothing of this run in the history ([history] path)'
complete -c maint -n "__fish_maint_using_subcommand certs; and not __fish_seen_subcommand_from check" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c maint -n "__fish_maint_using_subcommand certs; and not __fish_seen_subcommand_from check" -s V -l version -d 'Print version'
complete -c maint -n "__fish_maint_using_subcommand certs; and not __fish_seen_subcommand_from check" -f -a "check" -d 'Check certificates: expiry, names, chains, keys and signatures'
complete -c maint -n "__fish_maint_using_subcommand certs; and __fish_seen_subcommand_from check" -l warn-days -d 'Fewer days left than this is a WARNING [default: 60]' -r
complete -c maint -n "__fish_maint_using_subcommand certs; and __fish_seen_subcommand_from check" -l crit-days -d 'Fewer days left than this is CRITICAL [default: 30]' -r
complete -c maint -n "__fish_maint_using_subcommand certs; and __fish_seen_subcommand_from check" -l warn-percent -d 'For short-lived certificates: less than N % of the lifetime left is a WARNING, when the days left say so too' -r
complete -c maint -n "__fish_maint_using_subcommand certs; and __fish_seen_subcommand_from check" -l crit-percent -d 'Less than N % of the lifetime left is CRITICAL, when the days left say so too' -r
complete -c maint -n "__fish_maint_using_subcommand certs; and __fish_seen_subcommand_from check" -l timeout -d 'Deadline of each endpoint, covering DNS, connect, STARTTLS and handshake; a target\'s revocation fetches get as long again [default: 10s]' -r
complete -c maint -n "__fish_maint_using_subcommand certs; and __fish_seen_subcommand_from check" -l jobs -d 'Endpoints probed at once; one still waiting after 0.25 s lets the next start and waits on alone until its deadline [default: 256]' -r
complete -c maint -n "__fish_maint_using_subcommand certs; and __fish_seen_subcommand_from check" -l ca-file -d 'Trust the roots in FILE instead of the system\'s' -r -F
complete -c maint -n "__fish_maint_using_subcommand certs; and __fish_seen_subcommand_from check" -l key -d 'The private key that must belong to the certificate (one TARGET only)' -r -F
complete -c maint -n "__fish_maint_using_subcommand certs; and __fish_seen_subcommand_from check" -l sni -d 'Send NAME as SNI instead of the endpoint\'s host (which is still the name verified)' -r
complete -c maint -n "__fish_maint_using_subcommand certs; and __fish_seen_subcommand_from check" -l connect -d 'Connect to ADDR (`host` or `host:port`) instead of the endpoint\'s own address; the endpoint\'s name is still sent and verified (one TARGET only)' -r
complete -c maint -n "__fish_maint_using_subcommand certs; and __fish_seen_subcommand_from check" -l revocation -d 'How to check revocation: a revoked certificate is CRITICAL, a CRL or responder that cannot be read UNKNOWN [default: crl]' -r -f -a "crl\t'The CRLs the certificates name (their CRL distribution points)'
ocsp\t'OCSP where a certificate names a responder, its CRL otherwise'
off\t'No revocation check'"
complete -c maint -n "__fish_maint_using_subcommand certs; and __fish_seen_subcommand_from check" -l config -d 'Read settings from FILE [default: $MAINT_CONFIG, ./maint.toml, $XDG_CONFIG_HOME/maint/maint.toml, /etc/maint/maint.toml]' -r -F
complete -c maint -n "__fish_maint_using_subcommand certs; and __fish_seen_subcommand_from check" -l format -d 'Output format [default: table]' -r -f -a "table\t'Aligned columns for people (the default)'
json\t'The versioned JSON contract, for CI and log pipelines'
prometheus\t'Prometheus text exposition, for node_exporter\'s textfile collector'
nagios\t'One Nagios/Icinga plugin status line with performance data'
markdown\t'Markdown tables, for pasting into a ticket'
html\t'One self-contained HTML page, with charts where the report has series (`maint trend`)'"
complete -c maint -n "__fish_maint_using_subcommand certs; and __fish_seen_subcommand_from check" -l output -d 'Write the report to FILE atomically instead of standard output' -r -F
complete -c maint -n "__fish_maint_using_subcommand certs; and __fish_seen_subcommand_from check" -l color -d 'When to use colour; `auto` means on a terminal and without NO_COLOR' -r -f -a "auto\t''
always\t''
never\t''"
complete -c maint -n "__fish_maint_using_subcommand certs; and __fish_seen_subcommand_from check" -s q -l quiet -d 'Print nothing but errors (the exit code still tells the result)'
complete -c maint -n "__fish_maint_using_subcommand certs; and __fish_seen_subcommand_from check" -s v -l verbose -d 'Say more: timings in tables, and what maint is doing on standard error'
complete -c maint -n "__fish_maint_using_subcommand certs; and __fish_seen_subcommand_from check" -l notify -d 'Tell every [[notify]] target how this run went, whatever its `commands` (routines, and the commands a target lists, are told without it)'
complete -c maint -n "__fish_maint_using_subcommand certs; and __fish_seen_subcommand_from check" -l no-notify -d 'Tell no [[notify]] target about this run'
complete -c maint -n "__fish_maint_using_subcommand certs; and __fish_seen_subcommand_from check" -l no-history -d 'Record nothing of this run in the history ([history] path)'
complete -c maint -n "__fish_maint_using_subcommand certs; and __fish_seen_subcommand_from check" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c maint -n "__fish_maint_using_subcommand certs; and __fish_seen_subcommand_from check" -s V -l version -d 'Print version'
complete -c maint -n "__fish_maint_using_subcommand db; and not __fish_seen_subcommand_from report vacuum prune reindex" -l config -d 'Read settings from FILE [default: $MAINT_CONFIG, ./maint.toml, $XDG_CONFIG_HOME/maint/maint.toml, /etc/maint/maint.toml]' -r -F
complete -c maint -n "__fish_maint_using_subcommand db; and not __fish_seen_subcommand_from report vacuum prune reindex" -l format -d 'Output format [default: table]' -r -f -a "table\t'Aligned columns for people (the default)'
json\t'The versioned JSON contract, for CI and log pipelines'
prometheus\t'Prometheus text exposition, for node_exporter\'s textfile collector'
nagios\t'One Nagios/Icinga plugin status line with performance data'
markdown\t'Markdown tables, for pasting into a ticket'
html\t'One self-contained HTML page, with charts where the report has series (`maint trend`)'"
complete -c maint -n "__fish_maint_using_subcommand db; and not __fish_seen_subcommand_from report vacuum prune reindex" -l output -d 'Write the report to FILE atomically instead of standard output' -r -F
complete -c maint -n "__fish_maint_using_subcommand db; and not __fish_seen_subcommand_from report vacuum prune reindex" -l color -d 'When to use colour; `auto` means on a terminal and without NO_COLOR' -r -f -a "auto\t''
always\t''
never\t''"
complete -c maint -n "__fish_maint_using_subcommand db; and not __fish_seen_subcommand_from report vacuum prune reindex" -s q -l quiet -d 'Print nothing but errors (the exit code still tells the result)'
complete -c maint -n "__fish_maint_using_subcommand db; and not __fish_seen_subcommand_from report vacuum prune reindex" -s v -l verbose -d 'Say more: timings in tables, and what maint is doing on standard error'
complete -c maint -n "__fish_maint_using_subcommand db; and not __fish_seen_subcommand_from report vacuum prune reindex" -l notify -d 'Tell every [[notify]] target how this run went, whatever its `commands` (routines, and the commands a target lists, are told without it)'
complete -c maint -n "__fish_maint_using_subcommand db; and not __fish_seen_subcommand_from report vacuum prune reindex" -l no-notify -d 'Tell no [[notify]] target about this run'
complete -c maint -n "__fish_maint_using_subcommand db; and not __fish_seen_subcommand_from report vacuum prune reindex" -l no-history -d 'Record nothing of this run in the history ([history] path)'
complete -c maint -n "__fish_maint_using_subcommand db; and not __fish_seen_subcommand_from report vacuum prune reindex" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c maint -n "__fish_maint_using_subcommand db; and not __fish_seen_subcommand_from report vacuum prune reindex" -s V -l version -d 'Print version'
complete -c maint -n "__fish_maint_using_subcommand db; and not __fish_seen_subcommand_from report vacuum prune reindex" -f -a "report" -d 'Report sizes, dead tuples, vacuum ages, wraparound, bloat, unused and invalid indexes, what holds back cleanup, and slow statements (read-only)'
complete -c maint -n "__fish_maint_using_subcommand db; and not __fish_seen_subcommand_from report vacuum prune reindex" -f -a "vacuum" -d 'Choose the tables that need it, VACUUM (ANALYZE) them safely, report what changed'
complete -c maint -n "__fish_maint_using_subcommand db; and not __fish_seen_subcommand_from report vacuum prune reindex" -f -a "prune" -d 'Delete rows older than a cutoff in small batches, the safe way to apply retention'
complete -c maint -n "__fish_maint_using_subcommand db; and not __fish_seen_subcommand_from report vacuum prune reindex" -f -a "reindex" -d 'Rebuild invalid and bloated B-tree indexes with REINDEX INDEX CONCURRENTLY, one at a time'
complete -c maint -n "__fish_maint_using_subcommand db; and __fish_seen_subcommand_from report" -l url -d 'The database to report on (postgres://user@host:port/db; TLS when the server offers it, sslmode=require to insist)' -r
complete -c maint -n "__fish_maint_using_subcommand db; and __fish_seen_subcommand_from report" -l top -d 'How many tables (largest and most in need of vacuum) to list [default: 20]' -r
complete -c maint -n "__fish_maint_using_subcommand db; and __fish_seen_subcommand_from report" -l config -d 'Read settings from FILE [default: $MAINT_CONFIG, ./maint.toml, $XDG_CONFIG_HOME/maint/maint.toml, /etc/maint/maint.toml]' -r -F
complete -c maint -n "__fish_maint_using_subcommand db; and __fish_seen_subcommand_from report" -l format -d 'Output format [default: table]' -r -f -a "table\t'Aligned columns for people (the default)'
json\t'The versioned JSON contract, for CI and log pipelines'
prometheus\t'Prometheus text exposition, for node_exporter\'s textfile collector'
nagios\t'One Nagios/Icinga plugin status line with performance data'
markdown\t'Markdown tables, for pasting into a ticket'
html\t'One self-contained HTML page, with charts where the report has series (`maint trend`)'"
complete -c maint -n "__fish_maint_using_subcommand db; and __fish_seen_subcommand_from report" -l output -d 'Write the report to FILE atomically instead of standard output' -r -F
complete -c maint -n "__fish_maint_using_subcommand db; and __fish_seen_subcommand_from report" -l color -d 'When to use colour; `auto` means on a terminal and without NO_COLOR' -r -f -a "auto\t''
always\t''
never\t''"
complete -c maint -n "__fish_maint_using_subcommand db; and __fish_seen_subcommand_from report" -s q -l quiet -d 'Print nothing but errors (the exit code still tells the result)'
complete -c maint -n "__fish_maint_using_subcommand db; and __fish_seen_subcommand_from report" -s v -l verbose -d 'Say more: timings in tables, and what maint is doing on standard error'
complete -c maint -n "__fish_maint_using_subcommand db; and __fish_seen_subcommand_from report" -l notify -d 'Tell every [[notify]] target how this run went, whatever its `commands` (routines, and the commands a target lists, are told without it)'
complete -c maint -n "__fish_maint_using_subcommand db; and __fish_seen_subcommand_from report" -l no-notify -d 'Tell no [[notify]] target about this run'
complete -c maint -n "__fish_maint_using_subcommand db; and __fish_seen_subcommand_from report" -l no-history -d 'Record nothing of this run in the history ([history] path)'
complete -c maint -n "__fish_maint_using_subcommand db; and __fish_seen_subcommand_from report" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c maint -n "__fish_maint_using_subcommand db; and __fish_seen_subcommand_from report" -s V -l version -d 'Print version'
complete -c maint -n "__fish_maint_using_subcommand db; and __fish_seen_subcommand_from vacuum" -l url -d 'The database to vacuum (postgres://user@host:port/db; TLS when the server offers it, sslmode=require to insist)' -r
complete -c maint -n "__fish_maint_using_subcommand db; and __fish_seen_subcommand_from vacuum" -l table -d 'Vacuum this table whatever its statistics say (schema.table; quote as in SQL); repeatable' -r
complete -c maint -n "__fish_maint_using_subcommand db; and __fish_seen_subcommand_from vacuum" -l schema -d 'Choose only among tables of this schema; repeatable' -r
complete -c maint -n "__fish_maint_using_subcommand db; and __fish_seen_subcommand_from vacuum" -l exclude -d 'Never vacuum this table; repeatable' -r
complete -c maint -n "__fish_maint_using_subcommand db; and __fish_seen_subcommand_from vacuum" -s j -l jobs -d 'Connections working through the plan at once [default: 1]' -r
complete -c maint -n "__fish_maint_using_subcommand db; and __fish_seen_subcommand_from vacuum" -l lock-timeout -d 'Give up on a table whose lock is not granted within DUR [default: 5s]' -r
complete -c maint -n "__fish_maint_using_subcommand db; and __fish_seen_subcommand_from vacuum" -l statement-timeout -d 'Cancel a table\'s statement after DUR [default: none]' -r
complete -c maint -n "__fish_maint_using_subcommand db; and __fish_seen_subcommand_from vacuum" -l max-duration -d 'Stop (cancelling what runs) after DUR; tables not reached are reported' -r
complete -c maint -n "__fish_maint_using_subcommand db; and __fish_seen_subcommand_from vacuum" -l dead-ratio -d 'Choose tables with at least this share of dead tuples, in percent [default: 10]' -r
complete -c maint -n "__fish_maint_using_subcommand db; and __fish_seen_subcommand_from vacuum" -l min-dead-tuples -d '...and at least this many dead tuples [default: 1000]' -r
complete -c maint -n "__fish_maint_using_subcommand db; and __fish_seen_subcommand_from vacuum" -l config -d 'Read settings from FILE [default: $MAINT_CONFIG, ./maint.toml, $XDG_CONFIG_HOME/maint/maint.toml, /etc/maint/maint.toml]' -r -F
complete -c maint -n "__fish_maint_using_subcommand db; and __fish_seen_subcommand_from vacuum" -l format -d 'Output format [default: table]' -r -f -a "table\t'Aligned columns for people (the default)'
json\t'The versioned JSON contract, for CI and log pipelines'
prometheus\t'Prometheus text exposition, for node_exporter\'s textfile collector'
nagios\t'One Nagios/Icinga plugin status line with performance data'
markdown\t'Markdown tables, for pasting into a ticket'
html\t'One self-contained HTML page, with charts where the report has series (`maint trend`)'"
complete -c maint -n "__fish_maint_using_subcommand db; and __fish_seen_subcommand_from vacuum" -l output -d 'Write the report to FILE atomically instead of standard output' -r -F
complete -c maint -n "__fish_maint_using_subcommand db; and __fish_seen_subcommand_from vacuum" -l color -d 'When to use colour; `auto` means on a terminal and without NO_COLOR' -r -f -a "auto\t''
always\t''
never\t''"
complete -c maint -n "__fish_maint_using_subcommand db; and __fish_seen_subcommand_from vacuum" -l dry-run -d 'Print the plan (each table, why, the exact SQL and the lock it takes) and change nothing'
complete -c maint -n "__fish_maint_using_subcommand db; and __fish_seen_subcommand_from vacuum" -l analyze-only -d 'Only ANALYZE (refresh planner statistics); choose tables by stale statistics'
complete -c maint -n "__fish_maint_using_subcommand db; and __fish_seen_subcommand_from vacuum" -l full -d 'VACUUM FULL: rewrite the named tables (--table) to give space back to the system. Takes an ACCESS EXCLUSIVE lock: nothing reads or writes the table meanwhile'
complete -c maint -n "__fish_maint_using_subcommand db; and __fish_seen_subcommand_from vacuum" -l yes -d 'Confirm --full'
complete -c maint -n "__fish_maint_using_subcommand db; and __fish_seen_subcommand_from vacuum" -s q -l quiet -d 'Print nothing but errors (the exit code still tells the result)'
complete -c maint -n "__fish_maint_using_subcommand db; and __fish_seen_subcommand_from vacuum" -s v -l verbose -d 'Say more: timings in tables, and what maint is doing on standard error'
complete -c maint -n "__fish_maint_using_subcommand db; and __fish_seen_subcommand_from vacuum" -l notify -d 'Tell every [[notify]] target how this run went, whatever its `commands` (routines, and the commands a target lists, are told without it)'
complete -c maint -n "__fish_maint_using_subcommand db; and __fish_seen_subcommand_from vacuum" -l no-notify -d 'Tell no [[notify]] target about this run'
complete -c maint -n "__fish_maint_using_subcommand db; and __fish_seen_subcommand_from vacuum" -l no-history -d 'Record nothing of this run in the history ([history] path)'
complete -c maint -n "__fish_maint_using_subcommand db; and __fish_seen_subcommand_from vacuum" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c maint -n "__fish_maint_using_subcommand db; and __fish_seen_subcommand_from vacuum" -s V -l version -d 'Print version'
complete -c maint -n "__fish_maint_using_subcommand db; and __fish_seen_subcommand_from prune" -l url -d 'The database (postgres://user@host:port/db; TLS when the server offers it, sslmode=require to insist)' -r
complete -c maint -n "__fish_maint_using_subcommand db; and __fish_seen_subcommand_from prune" -l table -d 'The table to prune (schema.table; quote as in SQL)' -r
complete -c maint -n "__fish_maint_using_subcommand db; and __fish_seen_subcommand_from prune" -l column -d 'The timestamp (or date) column that says how old a row is' -r
complete -c maint -n "__fish_maint_using_subcommand db; and __fish_seen_subcommand_from prune" -l older-than -d 'Delete rows whose column is older than this (30d, 12h, 2w)' -r
complete -c maint -n "__fish_maint_using_subcommand db; and __fish_seen_subcommand_from prune" -l batch -d 'Rows per batch [default: 5000]' -r
complete -c maint -n "__fish_maint_using_subcommand db; and __fish_seen_subcommand_from prune" -l lock-timeout -d 'Give up on a batch whose lock is not granted within DUR [default: 5s]' -r
complete -c maint -n "__fish_maint_using_subcommand db; and __fish_seen_subcommand_from prune" -l max-duration -d 'Stop after DUR (between batches, cancelling a running one); the rest stays for the next run' -r
complete -c maint -n "__fish_maint_using_subcommand db; and __fish_seen_subcommand_from prune" -l config -d 'Read settings from FILE [default: $MAINT_CONFIG, ./maint.toml, $XDG_CONFIG_HOME/maint/maint.toml, /etc/maint/maint.toml]' -r -F
complete -c maint -n "__fish_maint_using_subcommand db; and __fish_seen_subcommand_from prune" -l format -d 'Output format [default: table]' -r -f -a "table\t'Aligned columns for people (the default)'
json\t'The versioned JSON contract, for CI and log pipelines'
prometheus\t'Prometheus text exposition, for node_exporter\'s textfile collector'
nagios\t'One Nagios/Icinga plugin status line with performance data'
markdown\t'Markdown tables, for pasting into a ticket'
html\t'One self-contained HTML page, with charts where the report has series (`maint trend`)'"
complete -c maint -n "__fish_maint_using_subcommand db; and __fish_seen_subcommand_from prune" -l output -d 'Write the report to FILE atomically instead of standard output' -r -F
complete -c maint -n "__fish_maint_using_subcommand db; and __fish_seen_subcommand_from prune" -l color -d 'When to use colour; `auto` means on a terminal and without NO_COLOR' -r -f -a "auto\t''
always\t''
never\t''"
complete -c maint -n "__fish_maint_using_subcommand db; and __fish_seen_subcommand_from prune" -l dry-run -d 'Count the rows that would go, and delete nothing'
complete -c maint -n "__fish_maint_using_subcommand db; and __fish_seen_subcommand_from prune" -l vacuum -d 'VACUUM (ANALYZE) the table afterwards'
complete -c maint -n "__fish_maint_using_subcommand db; and __fish_seen_subcommand_from prune" -s q -l quiet -d 'Print nothing but errors (the exit code still tells the result)'
complete -c maint -n "__fish_maint_using_subcommand db; and __fish_seen_subcommand_from prune" -s v -l verbose -d 'Say more: timings in tables, and what maint is doing on standard error'
complete -c maint -n "__fish_maint_using_subcommand db; and __fish_seen_subcommand_from prune" -l notify -d 'Tell every [[notify]] target how this run went, whatever its `commands` (routines, and the commands a target lists, are told without it)'
complete -c maint -n "__fish_maint_using_subcommand db; and __fish_seen_subcommand_from prune" -l no-notify -d 'Tell no [[notify]] target about this run'
complete -c maint -n "__fish_maint_using_subcommand db; and __fish_seen_subcommand_from prune" -l no-history -d 'Record nothing of this run in the history ([history] path)'
complete -c maint -n "__fish_maint_using_subcommand db; and __fish_seen_subcommand_from prune" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c maint -n "__fish_maint_using_subcommand db; and __fish_seen_subcommand_from prune" -s V -l version -d 'Print version'
complete -c maint -n "__fish_maint_using_subcommand db; and __fish_seen_subcommand_from reindex" -l url -d 'The database (postgres://user@host:port/db; TLS when the server offers it, sslmode=require to insist)' -r
complete -c maint -n "__fish_maint_using_subcommand db; and __fish_seen_subcommand_from reindex" -l index -d 'Rebuild this index whatever its state (schema.index); repeatable' -r
complete -c maint -n "__fish_maint_using_subcommand db; and __fish_seen_subcommand_from reindex" -l min-bloat -d 'Rebuild indexes estimated at least PCT % free space [default: [postgres.report] index_bloat warn, 50]' -r
complete -c maint -n "__fish_maint_using_subcommand db; and __fish_seen_subcommand_from reindex" -l lock-timeout -d 'Give up on an index whose lock is not granted within DUR [default: 5s]' -r
complete -c maint -n "__fish_maint_using_subcommand db; and __fish_seen_subcommand_from reindex" -l statement-timeout -d 'Give up on a rebuild still running after DUR [default: 1h]' -r
complete -c maint -n "__fish_maint_using_subcommand db; and __fish_seen_subcommand_from reindex" -l config -d 'Read settings from FILE [default: $MAINT_CONFIG, ./maint.toml, $XDG_CONFIG_HOME/maint/maint.toml, /etc/maint/maint.toml]' -r -F
complete -c maint -n "__fish_maint_using_subcommand db; and __fish_seen_subcommand_from reindex" -l format -d 'Output format [default: table]' -r -f -a "table\t'Aligned columns for people (the default)'
json\t'The versioned JSON contract, for CI and log pipelines'
prometheus\t'Prometheus text exposition, for node_exporter\'s textfile collector'
nagios\t'One Nagios/Icinga plugin status line with performance data'
markdown\t'Markdown tables, for pasting into a ticket'
html\t'One self-contained HTML page, with charts where the report has series (`maint trend`)'"
complete -c maint -n "__fish_maint_using_subcommand db; and __fish_seen_subcommand_from reindex" -l output -d 'Write the report to FILE atomically instead of standard output' -r -F
complete -c maint -n "__fish_maint_using_subcommand db; and __fish_seen_subcommand_from reindex" -l color -d 'When to use colour; `auto` means on a terminal and without NO_COLOR' -r -f -a "auto\t''
always\t''
never\t''"
complete -c maint -n "__fish_maint_using_subcommand db; and __fish_seen_subcommand_from reindex" -l dry-run -d 'Print the plan (each index, why, its size, the exact SQL) and change nothing'
complete -c maint -n "__fish_maint_using_subcommand db; and __fish_seen_subcommand_from reindex" -s q -l quiet -d 'Print nothing but errors (the exit code still tells the result)'
complete -c maint -n "__fish_maint_using_subcommand db; and __fish_seen_subcommand_from reindex" -s v -l verbose -d 'Say more: timings in tables, and what maint is doing on standard error'
complete -c maint -n "__fish_maint_using_subcommand db; and __fish_seen_subcommand_from reindex" -l notify -d 'Tell every [[notify]] target how this run went, whatever its `commands` (routines, and the commands a target lists, are told without it)'
complete -c maint -n "__fish_maint_using_subcommand db; and __fish_seen_subcommand_from reindex" -l no-notify -d 'Tell no [[notify]] target about this run'
complete -c maint -n "__fish_maint_using_subcommand db; and __fish_seen_subcommand_from reindex" -l no-history -d 'Record nothing of this run in the history ([history] path)'
complete -c maint -n "__fish_maint_using_subcommand db; and __fish_seen_subcommand_from reindex" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c maint -n "__fish_maint_using_subcommand db; and __fish_seen_subcommand_from reindex" -s V -l version -d 'Print version'
complete -c maint -n "__fish_maint_using_subcommand redis; and not __fish_seen_subcommand_from report" -l config -d 'Read settings from FILE [default: $MAINT_CONFIG, ./maint.toml, $XDG_CONFIG_HOME/maint/maint.toml, /etc/maint/maint.toml]' -r -F
complete -c maint -n "__fish_maint_using_subcommand redis; and not __fish_seen_subcommand_from report" -l format -d 'Output format [default: table]' -r -f -a "table\t'Aligned columns for people (the default)'
json\t'The versioned JSON contract, for CI and log pipelines'
prometheus\t'Prometheus text exposition, for node_exporter\'s textfile collector'
nagios\t'One Nagios/Icinga plugin status line with performance data'
markdown\t'Markdown tables, for pasting into a ticket'
html\t'One self-contained HTML page, with charts where the report has series (`maint trend`)'"
complete -c maint -n "__fish_maint_using_subcommand redis; and not __fish_seen_subcommand_from report" -l output -d 'Write the report to FILE atomically instead of standard output' -r -F
complete -c maint -n "__fish_maint_using_subcommand redis; and not __fish_seen_subcommand_from report" -l color -d 'When to use colour; `auto` means on a terminal and without NO_COLOR' -r -f -a "auto\t''
always\t''
never\t''"
complete -c maint -n "__fish_maint_using_subcommand redis; and not __fish_seen_subcommand_from report" -s q -l quiet -d 'Print nothing but errors (the exit code still tells the result)'
complete -c maint -n "__fish_maint_using_subcommand redis; and not __fish_seen_subcommand_from report" -s v -l verbose -d 'Say more: timings in tables, and what maint is doing on standard error'
complete -c maint -n "__fish_maint_using_subcommand redis; and not __fish_seen_subcommand_from report" -l notify -d 'Tell every [[notify]] target how this run went, whatever its `commands` (routines, and the commands a target lists, are told without it)'
complete -c maint -n "__fish_maint_using_subcommand redis; and not __fish_seen_subcommand_from report" -l no-notify -d 'Tell no [[notify]] target about this run'
complete -c maint -n "__fish_maint_using_subcommand redis; and not __fish_seen_subcommand_from report" -l no-history -d 'Record nothing of this run in the history ([history] path)'
complete -c maint -n "__fish_maint_using_subcommand redis; and not __fish_seen_subcommand_from report" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c maint -n "__fish_maint_using_subcommand redis; and not __fish_seen_subcommand_from report" -s V -l version -d 'Print version'
complete -c maint -n "__fish_maint_using_subcommand redis; and not __fish_seen_subcommand_from report" -f -a "report" -d 'Report memory, keys, evictions, hit ratio, persistence, replication, the slow log, LATENCY and MEMORY DOCTOR, a config review and big keys (read-only)'
complete -c maint -n "__fish_maint_using_subcommand redis; and __fish_seen_subcommand_from report" -l url -d 'The server (redis://[user:password@]host[:port][/db], rediss://, unix://)' -r
complete -c maint -n "__fish_maint_using_subcommand redis; and __fish_seen_subcommand_from report" -l used-as -d 'What the application uses it for [default: [redis] used_as, else auto]' -r -f -a "auto\t'Decide from the data: nothing persisted, or most keys expiring, is a cache'
cache\t'It may lose keys: it needs maxmemory and an eviction policy'
store\t'It keeps data: it needs persistence and must not evict'"
complete -c maint -n "__fish_maint_using_subcommand redis; and __fish_seen_subcommand_from report" -l sample -d 'Keys sampled for big keys; 0 samples none [default: 10000]' -r
complete -c maint -n "__fish_maint_using_subcommand redis; and __fish_seen_subcommand_from report" -l sample-rate -d 'Keys sampled per second, at most [default: 50000]' -r
complete -c maint -n "__fish_maint_using_subcommand redis; and __fish_seen_subcommand_from report" -l top -d 'Big keys and slow commands listed [default: 10]' -r
complete -c maint -n "__fish_maint_using_subcommand redis; and __fish_seen_subcommand_from report" -l timeout -d 'Time limit of the whole report [default: 10s]' -r
complete -c maint -n "__fish_maint_using_subcommand redis; and __fish_seen_subcommand_from report" -l config -d 'Read settings from FILE [default: $MAINT_CONFIG, ./maint.toml, $XDG_CONFIG_HOME/maint/maint.toml, /etc/maint/maint.toml]' -r -F
complete -c maint -n "__fish_maint_using_subcommand redis; and __fish_seen_subcommand_from report" -l format -d 'Output format [default: table]' -r -f -a "table\t'Aligned columns for people (the default)'
json\t'The versioned JSON contract, for CI and log pipelines'
prometheus\t'Prometheus text exposition, for node_exporter\'s textfile collector'
nagios\t'One Nagios/Icinga plugin status line with performance data'
markdown\t'Markdown tables, for pasting into a ticket'
html\t'One self-contained HTML page, with charts where the report has series (`maint trend`)'"
complete -c maint -n "__fish_maint_using_subcommand redis; and __fish_seen_subcommand_from report" -l output -d 'Write the report to FILE atomically instead of standard output' -r -F
complete -c maint -n "__fish_maint_using_subcommand redis; and __fish_seen_subcommand_from report" -l color -d 'When to use colour; `auto` means on a terminal and without NO_COLOR' -r -f -a "auto\t''
always\t''
never\t''"
complete -c maint -n "__fish_maint_using_subcommand redis; and __fish_seen_subcommand_from report" -s q -l quiet -d 'Print nothing but errors (the exit code still tells the result)'
complete -c maint -n "__fish_maint_using_subcommand redis; and __fish_seen_subcommand_from report" -s v -l verbose -d 'Say more: timings in tables, and what maint is doing on standard error'
complete -c maint -n "__fish_maint_using_subcommand redis; and __fish_seen_subcommand_from report" -l notify -d 'Tell every [[notify]] target how this run went, whatever its `commands` (routines, and the commands a target lists, are told without it)'
complete -c maint -n "__fish_maint_using_subcommand redis; and __fish_seen_subcommand_from report" -l no-notify -d 'Tell no [[notify]] target about this run'
complete -c maint -n "__fish_maint_using_subcommand redis; and __fish_seen_subcommand_from report" -l no-history -d 'Record nothing of this run in the history ([history] path)'
complete -c maint -n "__fish_maint_using_subcommand redis; and __fish_seen_subcommand_from report" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c maint -n "__fish_maint_using_subcommand redis; and __fish_seen_subcommand_from report" -s V -l version -d 'Print version'
complete -c maint -n "__fish_maint_using_subcommand logs; and not __fish_seen_subcommand_from analyze" -l config -d 'Read settings from FILE [default: $MAINT_CONFIG, ./maint.toml, $XDG_CONFIG_HOME/maint/maint.toml, /etc/maint/maint.toml]' -r -F
complete -c maint -n "__fish_maint_using_subcommand logs; and not __fish_seen_subcommand_from analyze" -l format -d 'Output format [default: table]' -r -f -a "table\t'Aligned columns for people (the default)'
json\t'The versioned JSON contract, for CI and log pipelines'
prometheus\t'Prometheus text exposition, for node_exporter\'s textfile collector'
nagios\t'One Nagios/Icinga plugin status line with performance data'
markdown\t'Markdown tables, for pasting into a ticket'
html\t'One self-contained HTML page, with charts where the report has series (`maint trend`)'"
complete -c maint -n "__fish_maint_using_subcommand logs; and not __fish_seen_subcommand_from analyze" -l output -d 'Write the report to FILE atomically instead of standard output' -r -F
complete -c maint -n "__fish_maint_using_subcommand logs; and not __fish_seen_subcommand_from analyze" -l color -d 'When to use colour; `auto` means on a terminal and without NO_COLOR' -r -f -a "auto\t''
always\t''
never\t''"
complete -c maint -n "__fish_maint_using_subcommand logs; and not __fish_seen_subcommand_from analyze" -s q -l quiet -d 'Print nothing but errors (the exit code still tells the result)'
complete -c maint -n "__fish_maint_using_subcommand logs; and not __fish_seen_subcommand_from analyze" -s v -l verbose -d 'Say more: timings in tables, and what maint is doing on standard error'
complete -c maint -n "__fish_maint_using_subcommand logs; and not __fish_seen_subcommand_from analyze" -l notify -d 'Tell every [[notify]] target how this run went, whatever its `commands` (routines, and the commands a target lists, are told without it)'
complete -c maint -n "__fish_maint_using_subcommand logs; and not __fish_seen_subcommand_from analyze" -l no-notify -d 'Tell no [[notify]] target about this run'
complete -c maint -n "__fish_maint_using_subcommand logs; and not __fish_seen_subcommand_from analyze" -l no-history -d 'Record nothing of this run in the history ([history] path)'
complete -c maint -n "__fish_maint_using_subcommand logs; and not __fish_seen_subcommand_from analyze" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c maint -n "__fish_maint_using_subcommand logs; and not __fish_seen_subcommand_from analyze" -s V -l version -d 'Print version'
complete -c maint -n "__fish_maint_using_subcommand logs; and not __fish_seen_subcommand_from analyze" -f -a "analyze" -d 'Count categories of lines (errors, warnings, ...) in log files in one pass, in a time window, with their top message templates and peak hour'
complete -c maint -n "__fish_maint_using_subcommand logs; and __fish_seen_subcommand_from analyze" -l since -d 'Only lines from this time on: 24h (ago), 2026-11-20, 2026-11-20T06:00:00Z, today, yesterday' -r
complete -c maint -n "__fish_maint_using_subcommand logs; and __fish_seen_subcommand_from analyze" -l until -d 'Only lines before this time (same forms as --since)' -r
complete -c maint -n "__fish_maint_using_subcommand logs; and __fish_seen_subcommand_from analyze" -l pattern -d 'Another category, or a new regex for a default one (LC_ALL=C grep -E syntax; refused where maint would read it otherwise: back-references, `{,n}`, a leading `*`, and `+?`, `*?`, `??` or `}?`, which grep reads as an optional repetition); repeatable' -r
complete -c maint -n "__fish_maint_using_subcommand logs; and __fish_seen_subcommand_from analyze" -l threshold -d 'Alert level: CATEGORY>WARN[,CRIT] lines in the window, or per period with /DUR (errors>50/1h: more than 50 in any hour); with --state, new_templates>N judges the kinds of message no earlier run saw; repeatable [default: errors>100]' -r
complete -c maint -n "__fish_maint_using_subcommand logs; and __fish_seen_subcommand_from analyze" -l top -d 'Message templates shown per category [default: 5]' -r
complete -c maint -n "__fish_maint_using_subcommand logs; and __fish_seen_subcommand_from analyze" -l bucket -d 'Histogram bucket width [default: 1h]' -r
complete -c maint -n "__fish_maint_using_subcommand logs; and __fish_seen_subcommand_from analyze" -l unit -d 'Only this unit\'s journal entries (implies --journal); repeatable' -r
complete -c maint -n "__fish_maint_using_subcommand logs; and __fish_seen_subcommand_from analyze" -l journal-dir -d 'Read the journal in DIR (journalctl --directory) rather than the system\'s (implies --journal)' -r -f -a "(__fish_complete_directories)"
complete -c maint -n "__fish_maint_using_subcommand logs; and __fish_seen_subcommand_from analyze" -l state -d 'Remember what was read in FILE and read only new lines next time (for cron)' -r -F
complete -c maint -n "__fish_maint_using_subcommand logs; and __fish_seen_subcommand_from analyze" -l config -d 'Read settings from FILE [default: $MAINT_CONFIG, ./maint.toml, $XDG_CONFIG_HOME/maint/maint.toml, /etc/maint/maint.toml]' -r -F
complete -c maint -n "__fish_maint_using_subcommand logs; and __fish_seen_subcommand_from analyze" -l format -d 'Output format [default: table]' -r -f -a "table\t'Aligned columns for people (the default)'
json\t'The versioned JSON contract, for CI and log pipelines'
prometheus\t'Prometheus text exposition, for node_exporter\'s textfile collector'
nagios\t'One Nagios/Icinga plugin status line with performance data'
markdown\t'Markdown tables, for pasting into a ticket'
html\t'One self-contained HTML page, with charts where the report has series (`maint trend`)'"
complete -c maint -n "__fish_maint_using_subcommand logs; and __fish_seen_subcommand_from analyze" -l output -d 'Write the report to FILE atomically instead of standard output' -r -F
complete -c maint -n "__fish_maint_using_subcommand logs; and __fish_seen_subcommand_from analyze" -l color -d 'When to use colour; `auto` means on a terminal and without NO_COLOR' -r -f -a "auto\t''
always\t''
never\t''"
complete -c maint -n "__fish_maint_using_subcommand logs; and __fish_seen_subcommand_from analyze" -l journal -d 'Read the systemd journal too (through journalctl), with the same categories, window and templates; levels come from its priorities'
complete -c maint -n "__fish_maint_using_subcommand logs; and __fish_seen_subcommand_from analyze" -l reset-state -d 'Start over when the --state file is corrupt or from another version'
complete -c maint -n "__fish_maint_using_subcommand logs; and __fish_seen_subcommand_from analyze" -l explain -d 'Show per file the detected format, the bytes read and why files were skipped'
complete -c maint -n "__fish_maint_using_subcommand logs; and __fish_seen_subcommand_from analyze" -s q -l quiet -d 'Print nothing but errors (the exit code still tells the result)'
complete -c maint -n "__fish_maint_using_subcommand logs; and __fish_seen_subcommand_from analyze" -s v -l verbose -d 'Say more: timings in tables, and what maint is doing on standard error'
complete -c maint -n "__fish_maint_using_subcommand logs; and __fish_seen_subcommand_from analyze" -l notify -d 'Tell every [[notify]] target how this run went, whatever its `commands` (routines, and the commands a target lists, are told without it)'
complete -c maint -n "__fish_maint_using_subcommand logs; and __fish_seen_subcommand_from analyze" -l no-notify -d 'Tell no [[notify]] target about this run'
complete -c maint -n "__fish_maint_using_subcommand logs; and __fish_seen_subcommand_from analyze" -l no-history -d 'Record nothing of this run in the history ([history] path)'
complete -c maint -n "__fish_maint_using_subcommand logs; and __fish_seen_subcommand_from analyze" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c maint -n "__fish_maint_using_subcommand logs; and __fish_seen_subcommand_from analyze" -s V -l version -d 'Print version'
complete -c maint -n "__fish_maint_using_subcommand backup; and not __fish_seen_subcommand_from create list verify find prune restore drill" -l config -d 'Read settings from FILE [default: $MAINT_CONFIG, ./maint.toml, $XDG_CONFIG_HOME/maint/maint.toml, /etc/maint/maint.toml]' -r -F
complete -c maint -n "__fish_maint_using_subcommand backup; and not __fish_seen_subcommand_from create list verify find prune restore drill" -l format -d 'Output format [default: table]' -r -f -a "table\t'Aligned columns for people (the default)'
json\t'The versioned JSON contract, for CI and log pipelines'
prometheus\t'Prometheus text exposition, for node_exporter\'s textfile collector'
nagios\t'One Nagios/Icinga plugin status line with performance data'
markdown\t'Markdown tables, for pasting into a ticket'
html\t'One self-contained HTML page, with charts where the report has series (`maint trend`)'"
complete -c maint -n "__fish_maint_using_subcommand backup; and not __fish_seen_subcommand_from create list verify find prune restore drill" -l output -d 'Write the report to FILE atomically instead of standard output' -r -F
complete -c maint -n "__fish_maint_using_subcommand backup; and not __fish_seen_subcommand_from create list verify find prune restore drill" -l color -d 'When to use colour; `auto` means on a terminal and without NO_COLOR' -r -f -a "auto\t''
always\t''
never\t''"
complete -c maint -n "__fish_maint_using_subcommand backup; and not __fish_seen_subcommand_from create list verify find prune restore drill" -s q -l quiet -d 'Print nothing but errors (the exit code still tells the result)'
complete -c maint -n "__fish_maint_using_subcommand backup; and not __fish_seen_subcommand_from create list verify find prune restore drill" -s v -l verbose -d 'Say more: timings in tables, and what maint is doing on standard error'
complete -c maint -n "__fish_maint_using_subcommand backup; and not __fish_seen_subcommand_from create list verify find prune restore drill" -l notify -d 'Tell every [[notify]] target how this run went, whatever its `commands` (routines, and the commands a target lists, are told without it)'
complete -c maint -n "__fish_maint_using_subcommand backup; and not __fish_seen_subcommand_from create list verify find prune restore drill" -l no-notify -d 'Tell no [[notify]] target about this run'
complete -c maint -n "__fish_maint_using_subcommand backup; and not __fish_seen_subcommand_from create list verify find prune restore drill" -l no-history -d 'Record nothing of this run in the history ([history] path)'
complete -c maint -n "__fish_maint_using_subcommand backup; and not __fish_seen_subcommand_from create list verify find prune restore drill" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c maint -n "__fish_maint_using_subcommand backup; and not __fish_seen_subcommand_from create list verify find prune restore drill" -s V -l version -d 'Print version'
complete -c maint -n "__fish_maint_using_subcommand backup; and not __fish_seen_subcommand_from create list verify find prune restore drill" -f -a "create" -d 'Back up files and folders (and a PostgreSQL database) into one verified .tar.gz'
complete -c maint -n "__fish_maint_using_subcommand backup; and not __fish_seen_subcommand_from create list verify find prune restore drill" -f -a "list" -d 'List the backups in the destination: kind, time, size, files, database, verified state'
complete -c maint -n "__fish_maint_using_subcommand backup; and not __fish_seen_subcommand_from create list verify find prune restore drill" -f -a "verify" -d 'Read a whole archive and check it: gzip CRC, every entry\'s SHA-256 against the manifest, the archive against its .sha256 sidecar'
complete -c maint -n "__fish_maint_using_subcommand backup; and not __fish_seen_subcommand_from create list verify find prune restore drill" -f -a "find" -d 'Which backups hold a file, and its versions: every path matching GLOB in every backup\'s manifest, with its size, time and content hash, and the archive of a chain whose tar holds it. No archive is read'
complete -c maint -n "__fish_maint_using_subcommand backup; and not __fish_seen_subcommand_from create list verify find prune restore drill" -f -a "prune" -d 'Delete backups the retention policy no longer keeps'
complete -c maint -n "__fish_maint_using_subcommand backup; and not __fish_seen_subcommand_from create list verify find prune restore drill" -f -a "restore" -d 'Restore an archive into DIR: merged in as tar does, verified, keeping first what it overwrites'
complete -c maint -n "__fish_maint_using_subcommand backup; and not __fish_seen_subcommand_from create list verify find prune restore drill" -f -a "drill" -d 'Disaster-recovery drill: restore the latest backup into a scratch folder (and a scratch database), compare it with its manifest and with the live data, report the differences and the time it took, and clean up'
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from create" -l source -d 'Back up PATH (a folder or file); repeatable; replaces [backup] sources' -r -F
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from create" -l exclude -d 'Leave out what matches GLOB (a name, or a path below the root with `/`); repeatable' -r
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from create" -l dest -d 'Write the archive into DIR or s3://BUCKET/PREFIX [default: [backup] dest]' -r -f -a "(__fish_complete_directories)"
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from create" -l db -d 'Also dump this PostgreSQL database (pg_dump --format=custom, one snapshot)' -r
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from create" -l kind -d 'Kind recorded in the archive name' -r -f -a "daily\t''
weekly\t''
monthly\t''"
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from create" -l name -d 'First part of the archive name [default: [backup] name, else the host name]' -r
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from create" -l recipient -d 'Encrypt to this age or SSH public key (repeatable) [default: [backup] recipients]' -r
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from create" -l redis -d 'Also take a fresh RDB snapshot of this Redis server (BGSAVE) into the archive' -r
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from create" -l copy-to -d 'After the create, copy the archive to this folder or s3:// location too and verify the copy (repeatable) [default: [[backup.copy]] dest]' -r -F
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from create" -l config -d 'Read settings from FILE [default: $MAINT_CONFIG, ./maint.toml, $XDG_CONFIG_HOME/maint/maint.toml, /etc/maint/maint.toml]' -r -F
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from create" -l format -d 'Output format [default: table]' -r -f -a "table\t'Aligned columns for people (the default)'
json\t'The versioned JSON contract, for CI and log pipelines'
prometheus\t'Prometheus text exposition, for node_exporter\'s textfile collector'
nagios\t'One Nagios/Icinga plugin status line with performance data'
markdown\t'Markdown tables, for pasting into a ticket'
html\t'One self-contained HTML page, with charts where the report has series (`maint trend`)'"
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from create" -l output -d 'Write the report to FILE atomically instead of standard output' -r -F
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from create" -l color -d 'When to use colour; `auto` means on a terminal and without NO_COLOR' -r -f -a "auto\t''
always\t''
never\t''"
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from create" -l incremental -d 'Store only what changed since the latest backup of this name (a plain .tar.gz whose manifest names its parent); a full one when there is none to build on [default: [backup] incremental]'
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from create" -l full -d 'Store everything, even where [backup] incremental is set'
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from create" -s q -l quiet -d 'Print nothing but errors (the exit code still tells the result)'
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from create" -s v -l verbose -d 'Say more: timings in tables, and what maint is doing on standard error'
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from create" -l notify -d 'Tell every [[notify]] target how this run went, whatever its `commands` (routines, and the commands a target lists, are told without it)'
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from create" -l no-notify -d 'Tell no [[notify]] target about this run'
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from create" -l no-history -d 'Record nothing of this run in the history ([history] path)'
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from create" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from create" -s V -l version -d 'Print version'
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from list" -l dest -d 'The backup folder or s3://BUCKET/PREFIX [default: [backup] dest]' -r -f -a "(__fish_complete_directories)"
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from list" -l config -d 'Read settings from FILE [default: $MAINT_CONFIG, ./maint.toml, $XDG_CONFIG_HOME/maint/maint.toml, /etc/maint/maint.toml]' -r -F
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from list" -l format -d 'Output format [default: table]' -r -f -a "table\t'Aligned columns for people (the default)'
json\t'The versioned JSON contract, for CI and log pipelines'
prometheus\t'Prometheus text exposition, for node_exporter\'s textfile collector'
nagios\t'One Nagios/Icinga plugin status line with performance data'
markdown\t'Markdown tables, for pasting into a ticket'
html\t'One self-contained HTML page, with charts where the report has series (`maint trend`)'"
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from list" -l output -d 'Write the report to FILE atomically instead of standard output' -r -F
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from list" -l color -d 'When to use colour; `auto` means on a terminal and without NO_COLOR' -r -f -a "auto\t''
always\t''
never\t''"
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from list" -s q -l quiet -d 'Print nothing but errors (the exit code still tells the result)'
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from list" -s v -l verbose -d 'Say more: timings in tables, and what maint is doing on standard error'
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from list" -l notify -d 'Tell every [[notify]] target how this run went, whatever its `commands` (routines, and the commands a target lists, are told without it)'
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from list" -l no-notify -d 'Tell no [[notify]] target about this run'
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from list" -l no-history -d 'Record nothing of this run in the history ([history] path)'
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from list" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from list" -s V -l version -d 'Print version'
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from verify" -l identity -d 'The age or SSH private key that opens encrypted archives (without it only their stored bytes are checked against the .sha256 sidecar)' -r -F
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from verify" -l dest -d 'The backup folder or s3://BUCKET/PREFIX [default: [backup] dest]' -r -f -a "(__fish_complete_directories)"
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from verify" -l config -d 'Read settings from FILE [default: $MAINT_CONFIG, ./maint.toml, $XDG_CONFIG_HOME/maint/maint.toml, /etc/maint/maint.toml]' -r -F
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from verify" -l format -d 'Output format [default: table]' -r -f -a "table\t'Aligned columns for people (the default)'
json\t'The versioned JSON contract, for CI and log pipelines'
prometheus\t'Prometheus text exposition, for node_exporter\'s textfile collector'
nagios\t'One Nagios/Icinga plugin status line with performance data'
markdown\t'Markdown tables, for pasting into a ticket'
html\t'One self-contained HTML page, with charts where the report has series (`maint trend`)'"
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from verify" -l output -d 'Write the report to FILE atomically instead of standard output' -r -F
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from verify" -l color -d 'When to use colour; `auto` means on a terminal and without NO_COLOR' -r -f -a "auto\t''
always\t''
never\t''"
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from verify" -l latest -d 'Verify the newest backup in the destination'
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from verify" -l quick -d 'On an object store: compare each archive\'s size and the server\'s checksum (ETag) with those it was written with, reading nothing'
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from verify" -s q -l quiet -d 'Print nothing but errors (the exit code still tells the result)'
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from verify" -s v -l verbose -d 'Say more: timings in tables, and what maint is doing on standard error'
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from verify" -l notify -d 'Tell every [[notify]] target how this run went, whatever its `commands` (routines, and the commands a target lists, are told without it)'
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from verify" -l no-notify -d 'Tell no [[notify]] target about this run'
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from verify" -l no-history -d 'Record nothing of this run in the history ([history] path)'
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from verify" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from verify" -s V -l version -d 'Print version'
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from find" -l dest -d 'The folder or s3:// location to search [default: [backup] dest]' -r -f -a "(__fish_complete_directories)"
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from find" -l config -d 'Read settings from FILE [default: $MAINT_CONFIG, ./maint.toml, $XDG_CONFIG_HOME/maint/maint.toml, /etc/maint/maint.toml]' -r -F
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from find" -l format -d 'Output format [default: table]' -r -f -a "table\t'Aligned columns for people (the default)'
json\t'The versioned JSON contract, for CI and log pipelines'
prometheus\t'Prometheus text exposition, for node_exporter\'s textfile collector'
nagios\t'One Nagios/Icinga plugin status line with performance data'
markdown\t'Markdown tables, for pasting into a ticket'
html\t'One self-contained HTML page, with charts where the report has series (`maint trend`)'"
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from find" -l output -d 'Write the report to FILE atomically instead of standard output' -r -F
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from find" -l color -d 'When to use colour; `auto` means on a terminal and without NO_COLOR' -r -f -a "auto\t''
always\t''
never\t''"
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from find" -s q -l quiet -d 'Print nothing but errors (the exit code still tells the result)'
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from find" -s v -l verbose -d 'Say more: timings in tables, and what maint is doing on standard error'
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from find" -l notify -d 'Tell every [[notify]] target how this run went, whatever its `commands` (routines, and the commands a target lists, are told without it)'
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from find" -l no-notify -d 'Tell no [[notify]] target about this run'
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from find" -l no-history -d 'Record nothing of this run in the history ([history] path)'
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from find" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from find" -s V -l version -d 'Print version'
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from prune" -l dest -d 'The backup folder or s3://BUCKET/PREFIX [default: [backup] dest]' -r -f -a "(__fish_complete_directories)"
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from prune" -l keep-daily -d 'Days whose newest backup is kept [default: 7]' -r
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from prune" -l keep-weekly -d 'ISO weeks whose newest backup is kept [default: 4]' -r
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from prune" -l keep-monthly -d 'Months whose newest backup is kept [default: 12]' -r
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from prune" -l keep-last -d 'The newest N backups are kept whatever their dates [default: 3]' -r
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from prune" -l config -d 'Read settings from FILE [default: $MAINT_CONFIG, ./maint.toml, $XDG_CONFIG_HOME/maint/maint.toml, /etc/maint/maint.toml]' -r -F
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from prune" -l format -d 'Output format [default: table]' -r -f -a "table\t'Aligned columns for people (the default)'
json\t'The versioned JSON contract, for CI and log pipelines'
prometheus\t'Prometheus text exposition, for node_exporter\'s textfile collector'
nagios\t'One Nagios/Icinga plugin status line with performance data'
markdown\t'Markdown tables, for pasting into a ticket'
html\t'One self-contained HTML page, with charts where the report has series (`maint trend`)'"
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from prune" -l output -d 'Write the report to FILE atomically instead of standard output' -r -F
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from prune" -l color -d 'When to use colour; `auto` means on a terminal and without NO_COLOR' -r -f -a "auto\t''
always\t''
never\t''"
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from prune" -l dry-run -d 'Show each backup with the reason it stays or goes, and delete nothing'
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from prune" -s q -l quiet -d 'Print nothing but errors (the exit code still tells the result)'
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from prune" -s v -l verbose -d 'Say more: timings in tables, and what maint is doing on standard error'
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from prune" -l notify -d 'Tell every [[notify]] target how this run went, whatever its `commands` (routines, and the commands a target lists, are told without it)'
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from prune" -l no-notify -d 'Tell no [[notify]] target about this run'
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from prune" -l no-history -d 'Record nothing of this run in the history ([history] path)'
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from prune" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from prune" -s V -l version -d 'Print version'
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from restore" -l target -d 'The folder to restore into (the backup\'s root, to restore in place)' -r -f -a "(__fish_complete_directories)"
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from restore" -l db -d 'Also restore the dump into this database: into a scratch database first, row counts compared, then swapped in (the old one is kept)' -r
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from restore" -l identity -d 'The age or SSH private key that opens an encrypted archive' -r -F
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from restore" -l path -d 'Restore only what matches GLOB (repeatable; as --exclude of create: a name, or a path below the root with `/`; a folder brings what it holds)' -r
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from restore" -l table -d 'Restore only this table (SCHEMA.TABLE, or TABLE in public; repeatable) from the dump into the --db database, with its indexes, constraints and triggers; no file is restored. A table already there needs --force and is moved aside into a schema of its own' -r
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from restore" -l config -d 'Read settings from FILE [default: $MAINT_CONFIG, ./maint.toml, $XDG_CONFIG_HOME/maint/maint.toml, /etc/maint/maint.toml]' -r -F
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from restore" -l format -d 'Output format [default: table]' -r -f -a "table\t'Aligned columns for people (the default)'
json\t'The versioned JSON contract, for CI and log pipelines'
prometheus\t'Prometheus text exposition, for node_exporter\'s textfile collector'
nagios\t'One Nagios/Icinga plugin status line with performance data'
markdown\t'Markdown tables, for pasting into a ticket'
html\t'One self-contained HTML page, with charts where the report has series (`maint trend`)'"
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from restore" -l output -d 'Write the report to FILE atomically instead of standard output' -r -F
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from restore" -l color -d 'When to use colour; `auto` means on a terminal and without NO_COLOR' -r -f -a "auto\t''
always\t''
never\t''"
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from restore" -l force -d 'Overwrite what DIR holds where the archive differs (it is archived first); with --db, end other sessions on the database'
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from restore" -l delete -d 'Also remove what the archive lacks under its own sources (never what the backup excluded, the backup folder, or anything on another mount)'
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from restore" -l dry-run -d 'Check the archive and list what would change; change nothing'
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from restore" -s q -l quiet -d 'Print nothing but errors (the exit code still tells the result)'
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from restore" -s v -l verbose -d 'Say more: timings in tables, and what maint is doing on standard error'
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from restore" -l notify -d 'Tell every [[notify]] target how this run went, whatever its `commands` (routines, and the commands a target lists, are told without it)'
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from restore" -l no-notify -d 'Tell no [[notify]] target about this run'
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from restore" -l no-history -d 'Record nothing of this run in the history ([history] path)'
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from restore" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from restore" -s V -l version -d 'Print version'
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from drill" -l dest -d 'The backup folder or s3://BUCKET/PREFIX [default: [backup] dest]' -r -f -a "(__fish_complete_directories)"
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from drill" -l db -d 'The live database to restore the dump next to and compare with [default: [backup] db]' -r
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from drill" -l identity -d 'The age or SSH private key that opens encrypted backups' -r -F
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from drill" -l config -d 'Read settings from FILE [default: $MAINT_CONFIG, ./maint.toml, $XDG_CONFIG_HOME/maint/maint.toml, /etc/maint/maint.toml]' -r -F
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from drill" -l format -d 'Output format [default: table]' -r -f -a "table\t'Aligned columns for people (the default)'
json\t'The versioned JSON contract, for CI and log pipelines'
prometheus\t'Prometheus text exposition, for node_exporter\'s textfile collector'
nagios\t'One Nagios/Icinga plugin status line with performance data'
markdown\t'Markdown tables, for pasting into a ticket'
html\t'One self-contained HTML page, with charts where the report has series (`maint trend`)'"
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from drill" -l output -d 'Write the report to FILE atomically instead of standard output' -r -F
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from drill" -l color -d 'When to use colour; `auto` means on a terminal and without NO_COLOR' -r -f -a "auto\t''
always\t''
never\t''"
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from drill" -s q -l quiet -d 'Print nothing but errors (the exit code still tells the result)'
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from drill" -s v -l verbose -d 'Say more: timings in tables, and what maint is doing on standard error'
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from drill" -l notify -d 'Tell every [[notify]] target how this run went, whatever its `commands` (routines, and the commands a target lists, are told without it)'
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from drill" -l no-notify -d 'Tell no [[notify]] target about this run'
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from drill" -l no-history -d 'Record nothing of this run in the history ([history] path)'
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from drill" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c maint -n "__fish_maint_using_subcommand backup; and __fish_seen_subcommand_from drill" -s V -l version -d 'Print version'
complete -c maint -n "__fish_maint_using_subcommand run" -l config -d 'Read settings from FILE [default: $MAINT_CONFIG, ./maint.toml, $XDG_CONFIG_HOME/maint/maint.toml, /etc/maint/maint.toml]' -r -F
complete -c maint -n "__fish_maint_using_subcommand run" -l format -d 'Output format [default: table]' -r -f -a "table\t'Aligned columns for people (the default)'
json\t'The versioned JSON contract, for CI and log pipelines'
prometheus\t'Prometheus text exposition, for node_exporter\'s textfile collector'
nagios\t'One Nagios/Icinga plugin status line with performance data'
markdown\t'Markdown tables, for pasting into a ticket'
html\t'One self-contained HTML page, with charts where the report has series (`maint trend`)'"
complete -c maint -n "__fish_maint_using_subcommand run" -l output -d 'Write the report to FILE atomically instead of standard output' -r -F
complete -c maint -n "__fish_maint_using_subcommand run" -l color -d 'When to use colour; `auto` means on a terminal and without NO_COLOR' -r -f -a "auto\t''
always\t''
never\t''"
complete -c maint -n "__fish_maint_using_subcommand run" -l dry-run -d 'Show the steps and hooks that would run, with their budgets, and run nothing'
complete -c maint -n "__fish_maint_using_subcommand run" -s q -l quiet -d 'Print nothing but errors (the exit code still tells the result)'
complete -c maint -n "__fish_maint_using_subcommand run" -s v -l verbose -d 'Say more: timings in tables, and what maint is doing on standard error'
complete -c maint -n "__fish_maint_using_subcommand run" -l notify -d 'Tell every [[notify]] target how this run went, whatever its `commands` (routines, and the commands a target lists, are told without it)'
complete -c maint -n "__fish_maint_using_subcommand run" -l no-notify -d 'Tell no [[notify]] target about this run'
complete -c maint -n "__fish_maint_using_subcommand run" -l no-history -d 'Record nothing of this run in the history ([history] path)'
complete -c maint -n "__fish_maint_using_subcommand run" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c maint -n "__fish_maint_using_subcommand run" -s V -l version -d 'Print version'
complete -c maint -n "__fish_maint_using_subcommand notify; and not __fish_seen_subcommand_from test" -l config -d 'Read settings from FILE [default: $MAINT_CONFIG, ./maint.toml, $XDG_CONFIG_HOME/maint/maint.toml, /etc/maint/maint.toml]' -r -F
complete -c maint -n "__fish_maint_using_subcommand notify; and not __fish_seen_subcommand_from test" -l format -d 'Output format [default: table]' -r -f -a "table\t'Aligned columns for people (the default)'
json\t'The versioned JSON contract, for CI and log pipelines'
prometheus\t'Prometheus text exposition, for node_exporter\'s textfile collector'
nagios\t'One Nagios/Icinga plugin status line with performance data'
markdown\t'Markdown tables, for pasting into a ticket'
html\t'One self-contained HTML page, with charts where the report has series (`maint trend`)'"
complete -c maint -n "__fish_maint_using_subcommand notify; and not __fish_seen_subcommand_from test" -l output -d 'Write the report to FILE atomically instead of standard output' -r -F
complete -c maint -n "__fish_maint_using_subcommand notify; and not __fish_seen_subcommand_from test" -l color -d 'When to use colour; `auto` means on a terminal and without NO_COLOR' -r -f -a "auto\t''
always\t''
never\t''"
complete -c maint -n "__fish_maint_using_subcommand notify; and not __fish_seen_subcommand_from test" -s q -l quiet -d 'Print nothing but errors (the exit code still tells the result)'
complete -c maint -n "__fish_maint_using_subcommand notify; and not __fish_seen_subcommand_from test" -s v -l verbose -d 'Say more: timings in tables, and what maint is doing on standard error'
complete -c maint -n "__fish_maint_using_subcommand notify; and not __fish_seen_subcommand_from test" -l notify -d 'Tell every [[notify]] target how this run went, whatever its `commands` (routines, and the commands a target lists, are told without it)'
complete -c maint -n "__fish_maint_using_subcommand notify; and not __fish_seen_subcommand_from test" -l no-notify -d 'Tell no [[notify]] target about this run'
complete -c maint -n "__fish_maint_using_subcommand notify; and not __fish_seen_subcommand_from test" -l no-history -d 'Record nothing of this run in the history ([history] path)'
complete -c maint -n "__fish_maint_using_subcommand notify; and not __fish_seen_subcommand_from test" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c maint -n "__fish_maint_using_subcommand notify; and not __fish_seen_subcommand_from test" -s V -l version -d 'Print version'
complete -c maint -n "__fish_maint_using_subcommand notify; and not __fish_seen_subcommand_from test" -f -a "test" -d 'Send a test message to every [[notify]] target and report how each delivery went'
complete -c maint -n "__fish_maint_using_subcommand notify; and __fish_seen_subcommand_from test" -l config -d 'Read settings from FILE [default: $MAINT_CONFIG, ./maint.toml, $XDG_CONFIG_HOME/maint/maint.toml, /etc/maint/maint.toml]' -r -F
complete -c maint -n "__fish_maint_using_subcommand notify; and __fish_seen_subcommand_from test" -l format -d 'Output format [default: table]' -r -f -a "table\t'Aligned columns for people (the default)'
json\t'The versioned JSON contract, for CI and log pipelines'
prometheus\t'Prometheus text exposition, for node_exporter\'s textfile collector'
nagios\t'One Nagios/Icinga plugin status line with performance data'
markdown\t'Markdown tables, for pasting into a ticket'
html\t'One self-contained HTML page, with charts where the report has series (`maint trend`)'"
complete -c maint -n "__fish_maint_using_subcommand notify; and __fish_seen_subcommand_from test" -l output -d 'Write the report to FILE atomically instead of standard output' -r -F
complete -c maint -n "__fish_maint_using_subcommand notify; and __fish_seen_subcommand_from test" -l color -d 'When to use colour; `auto` means on a terminal and without NO_COLOR' -r -f -a "auto\t''
always\t''
never\t''"
complete -c maint -n "__fish_maint_using_subcommand notify; and __fish_seen_subcommand_from test" -s q -l quiet -d 'Print nothing but errors (the exit code still tells the result)'
complete -c maint -n "__fish_maint_using_subcommand notify; and __fish_seen_subcommand_from test" -s v -l verbose -d 'Say more: timings in tables, and what maint is doing on standard error'
complete -c maint -n "__fish_maint_using_subcommand notify; and __fish_seen_subcommand_from test" -l notify -d 'Tell every [[notify]] target how this run went, whatever its `commands` (routines, and the commands a target lists, are told without it)'
complete -c maint -n "__fish_maint_using_subcommand notify; and __fish_seen_subcommand_from test" -l no-notify -d 'Tell no [[notify]] target about this run'
complete -c maint -n "__fish_maint_using_subcommand notify; and __fish_seen_subcommand_from test" -l no-history -d 'Record nothing of this run in the history ([history] path)'
complete -c maint -n "__fish_maint_using_subcommand notify; and __fish_seen_subcommand_from test" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c maint -n "__fish_maint_using_subcommand notify; and __fish_seen_subcommand_from test" -s V -l version -d 'Print version'
complete -c maint -n "__fish_maint_using_subcommand trend" -l since -d 'How far back to look [default: 30d]' -r
complete -c maint -n "__fish_maint_using_subcommand trend" -l import -d 'First add the points of a metrics.jsonl (one JSON object a line: a `timestamp` and numeric fields) to the history' -r -F
complete -c maint -n "__fish_maint_using_subcommand trend" -l config -d 'Read settings from FILE [default: $MAINT_CONFIG, ./maint.toml, $XDG_CONFIG_HOME/maint/maint.toml, /etc/maint/maint.toml]' -r -F
complete -c maint -n "__fish_maint_using_subcommand trend" -l format -d 'Output format [default: table]' -r -f -a "table\t'Aligned columns for people (the default)'
json\t'The versioned JSON contract, for CI and log pipelines'
prometheus\t'Prometheus text exposition, for node_exporter\'s textfile collector'
nagios\t'One Nagios/Icinga plugin status line with performance data'
markdown\t'Markdown tables, for pasting into a ticket'
html\t'One self-contained HTML page, with charts where the report has series (`maint trend`)'"
complete -c maint -n "__fish_maint_using_subcommand trend" -l output -d 'Write the report to FILE atomically instead of standard output' -r -F
complete -c maint -n "__fish_maint_using_subcommand trend" -l color -d 'When to use colour; `auto` means on a terminal and without NO_COLOR' -r -f -a "auto\t''
always\t''
never\t''"
complete -c maint -n "__fish_maint_using_subcommand trend" -l plot -d 'Draw a line chart of each check under the table'
complete -c maint -n "__fish_maint_using_subcommand trend" -s q -l quiet -d 'Print nothing but errors (the exit code still tells the result)'
complete -c maint -n "__fish_maint_using_subcommand trend" -s v -l verbose -d 'Say more: timings in tables, and what maint is doing on standard error'
complete -c maint -n "__fish_maint_using_subcommand trend" -l notify -d 'Tell every [[notify]] target how this run went, whatever its `commands` (routines, and the commands a target lists, are told without it)'
complete -c maint -n "__fish_maint_using_subcommand trend" -l no-notify -d 'Tell no [[notify]] target about this run'
complete -c maint -n "__fish_maint_using_subcommand trend" -l no-history -d 'Record nothing of this run in the history ([history] path)'
complete -c maint -n "__fish_maint_using_subcommand trend" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c maint -n "__fish_maint_using_subcommand trend" -s V -l version -d 'Print version'
complete -c maint -n "__fish_maint_using_subcommand completions" -l config -d 'Read settings from FILE [default: $MAINT_CONFIG, ./maint.toml, $XDG_CONFIG_HOME/maint/maint.toml, /etc/maint/maint.toml]' -r -F
complete -c maint -n "__fish_maint_using_subcommand completions" -l format -d 'Output format [default: table]' -r -f -a "table\t'Aligned columns for people (the default)'
json\t'The versioned JSON contract, for CI and log pipelines'
prometheus\t'Prometheus text exposition, for node_exporter\'s textfile collector'
nagios\t'One Nagios/Icinga plugin status line with performance data'
markdown\t'Markdown tables, for pasting into a ticket'
html\t'One self-contained HTML page, with charts where the report has series (`maint trend`)'"
complete -c maint -n "__fish_maint_using_subcommand completions" -l output -d 'Write the report to FILE atomically instead of standard output' -r -F
complete -c maint -n "__fish_maint_using_subcommand completions" -l color -d 'When to use colour; `auto` means on a terminal and without NO_COLOR' -r -f -a "auto\t''
always\t''
never\t''"
complete -c maint -n "__fish_maint_using_subcommand completions" -s q -l quiet -d 'Print nothing but errors (the exit code still tells the result)'
complete -c maint -n "__fish_maint_using_subcommand completions" -s v -l verbose -d 'Say more: timings in tables, and what maint is doing on standard error'
complete -c maint -n "__fish_maint_using_subcommand completions" -l notify -d 'Tell every [[notify]] target how this run went, whatever its `commands` (routines, and the commands a target lists, are told without it)'
complete -c maint -n "__fish_maint_using_subcommand completions" -l no-notify -d 'Tell no [[notify]] target about this run'
complete -c maint -n "__fish_maint_using_subcommand completions" -l no-history -d 'Record nothing of this run in the history ([history] path)'
complete -c maint -n "__fish_maint_using_subcommand completions" -s h -l help -d 'Print help (see more with \'--help\')'
complete -c maint -n "__fish_maint_using_subcommand completions" -s V -l version -d 'Print version'
