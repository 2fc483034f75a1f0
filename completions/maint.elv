
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
            cand backup 'Verified, crash-safe .tar.gz backups of files and a PostgreSQL database'
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
        &'maint;backup'= {
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
            cand create 'Back up files and folders (and a PostgreSQL database) into one verified .tar.gz'
            cand list 'List the backups in the destination: kind, time, size, files, database, verified state'
            cand verify 'Read a whole archive and check it: gzip CRC, every entry''s SHA-256 against the manifest, the archive against its .sha256 sidecar'
            cand prune 'Delete backups the retention policy no longer keeps'
            cand restore 'Restore an archive into DIR, verified and staged, keeping the current state first'
            cand drill 'Disaster-recovery drill: restore the latest backup into a scratch folder (and a scratch database), compare it with its manifest and with the live data, report the differences and the time it took, and clean up'
        }
        &'maint;backup;create'= {
            cand --source 'Back up PATH (a folder or file); repeatable; replaces [backup] sources'
            cand --exclude 'Leave out what matches GLOB (a name, or a path below the root with `/`); repeatable'
            cand --dest 'Write the archive into DIR [default: [backup] dest]'
            cand --db 'Also dump this PostgreSQL database (pg_dump --format=custom, one snapshot)'
            cand --kind 'Kind recorded in the archive name'
            cand --name 'First part of the archive name [default: [backup] name, else the host name]'
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
        &'maint;backup;list'= {
            cand --dest 'The backup folder [default: [backup] dest]'
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
        &'maint;backup;verify'= {
            cand --dest 'The backup folder [default: [backup] dest]'
            cand --config 'Read settings from FILE [default: $MAINT_CONFIG, ./maint.toml, $XDG_CONFIG_HOME/maint/maint.toml, /etc/maint/maint.toml]'
            cand --format 'Output format [default: table]'
            cand --output 'Write the report to FILE atomically instead of standard output'
            cand --color 'When to use colour; `auto` means on a terminal and without NO_COLOR'
            cand --latest 'Verify the newest backup in the destination'
            cand -q 'Print nothing but errors (the exit code still tells the result)'
            cand --quiet 'Print nothing but errors (the exit code still tells the result)'
            cand -v 'Say more: timings in tables, and what maint is doing on standard error'
            cand --verbose 'Say more: timings in tables, and what maint is doing on standard error'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'maint;backup;prune'= {
            cand --dest 'The backup folder [default: [backup] dest]'
            cand --keep-daily 'Days whose newest backup is kept [default: 7]'
            cand --keep-weekly 'ISO weeks whose newest backup is kept [default: 4]'
            cand --keep-monthly 'Months whose newest backup is kept [default: 12]'
            cand --keep-last 'The newest N backups are kept whatever their dates [default: 3]'
            cand --config 'Read settings from FILE [default: $MAINT_CONFIG, ./maint.toml, $XDG_CONFIG_HOME/maint/maint.toml, /etc/maint/maint.toml]'
            cand --format 'Output format [default: table]'
            cand --output 'Write the report to FILE atomically instead of standard output'
            cand --color 'When to use colour; `auto` means on a terminal and without NO_COLOR'
            cand --dry-run 'Show each backup with the reason it stays or goes, and delete nothing'
            cand -q 'Print nothing but errors (the exit code still tells the result)'
            cand --quiet 'Print nothing but errors (the exit code still tells the result)'
            cand -v 'Say more: timings in tables, and what maint is doing on standard error'
            cand --verbose 'Say more: timings in tables, and what maint is doing on standard error'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'maint;backup;restore'= {
            cand --target 'The folder to restore into (the backup''s root, to restore in place)'
            cand --db 'Also restore the dump into this database: into a scratch database first, row counts compared, then swapped in (the old one is kept)'
            cand --config 'Read settings from FILE [default: $MAINT_CONFIG, ./maint.toml, $XDG_CONFIG_HOME/maint/maint.toml, /etc/maint/maint.toml]'
            cand --format 'Output format [default: table]'
            cand --output 'Write the report to FILE atomically instead of standard output'
            cand --color 'When to use colour; `auto` means on a terminal and without NO_COLOR'
            cand --force 'Replace a non-empty DIR (its contents are archived first); with --db, end other sessions on the database'
            cand --dry-run 'Check the archive and list what would change; change nothing'
            cand -q 'Print nothing but errors (the exit code still tells the result)'
            cand --quiet 'Print nothing but errors (the exit code still tells the result)'
            cand -v 'Say more: timings in tables, and what maint is doing on standard error'
            cand --verbose 'Say more: timings in tables, and what maint is doing on standard error'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'maint;backup;drill'= {
            cand --dest 'The backup folder [default: [backup] dest]'
            cand --db 'The live database to restore the dump next to and compare with [default: [backup] db]'
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
