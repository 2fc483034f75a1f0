
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
            cand db 'PostgreSQL maintenance: report, vacuum what needs it, prune old rows'
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
        &'maint;db'= {
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
            cand report 'Report sizes, dead tuples, vacuum ages, wraparound, bloat, unused and invalid indexes, what holds back cleanup, and slow statements (read-only)'
            cand vacuum 'Choose the tables that need it, VACUUM (ANALYZE) them safely, report what changed'
            cand prune 'Delete rows older than a cutoff in small batches, the safe way to apply retention'
        }
        &'maint;db;report'= {
            cand --url 'The database to report on (postgres://user@host:port/db; sslmode=require for TLS)'
            cand --top 'How many tables (largest and most in need of vacuum) to list [default: 20]'
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
        &'maint;db;vacuum'= {
            cand --url 'The database to vacuum (postgres://user@host:port/db; sslmode=require for TLS)'
            cand --table 'Vacuum this table whatever its statistics say (schema.table; quote as in SQL); repeatable'
            cand --schema 'Choose only among tables of this schema; repeatable'
            cand --exclude 'Never vacuum this table; repeatable'
            cand -j 'Connections working through the plan at once [default: 1]'
            cand --jobs 'Connections working through the plan at once [default: 1]'
            cand --lock-timeout 'Give up on a table whose lock is not granted within DUR [default: 5s]'
            cand --statement-timeout 'Cancel a table''s statement after DUR [default: none]'
            cand --max-duration 'Stop (cancelling what runs) after DUR; tables not reached are reported'
            cand --dead-ratio 'Choose tables with at least this share of dead tuples, in percent [default: 10]'
            cand --min-dead-tuples '...and at least this many dead tuples [default: 1000]'
            cand --config 'Read settings from FILE [default: $MAINT_CONFIG, ./maint.toml, $XDG_CONFIG_HOME/maint/maint.toml, /etc/maint/maint.toml]'
            cand --format 'Output format [default: table]'
            cand --output 'Write the report to FILE atomically instead of standard output'
            cand --color 'When to use colour; `auto` means on a terminal and without NO_COLOR'
            cand --dry-run 'Print the plan (each table, why, the exact SQL and the lock it takes) and change nothing'
            cand --analyze-only 'Only ANALYZE (refresh planner statistics); choose tables by stale statistics'
            cand --full 'VACUUM FULL: rewrite the named tables (--table) to give space back to the system. Takes an ACCESS EXCLUSIVE lock: nothing reads or writes the table meanwhile'
            cand --yes 'Confirm --full'
            cand -q 'Print nothing but errors (the exit code still tells the result)'
            cand --quiet 'Print nothing but errors (the exit code still tells the result)'
            cand -v 'Say more: timings in tables, and what maint is doing on standard error'
            cand --verbose 'Say more: timings in tables, and what maint is doing on standard error'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'maint;db;prune'= {
            cand --url 'The database (postgres://user@host:port/db; sslmode=require for TLS)'
            cand --table 'The table to prune (schema.table; quote as in SQL)'
            cand --column 'The timestamp (or date) column that says how old a row is'
            cand --older-than 'Delete rows whose column is older than this (30d, 12h, 2w)'
            cand --batch 'Rows per batch [default: 5000]'
            cand --lock-timeout 'Give up on a batch whose lock is not granted within DUR [default: 5s]'
            cand --max-duration 'Stop after DUR (between batches, cancelling a running one); the rest stays for the next run'
            cand --config 'Read settings from FILE [default: $MAINT_CONFIG, ./maint.toml, $XDG_CONFIG_HOME/maint/maint.toml, /etc/maint/maint.toml]'
            cand --format 'Output format [default: table]'
            cand --output 'Write the report to FILE atomically instead of standard output'
            cand --color 'When to use colour; `auto` means on a terminal and without NO_COLOR'
            cand --dry-run 'Count the rows that would go, and delete nothing'
            cand --vacuum 'VACUUM (ANALYZE) the table afterwards'
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
