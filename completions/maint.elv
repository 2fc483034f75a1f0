
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
            cand diagnose 'Troubleshoot this server in one run: what is wrong, why it matters, what to run next'
            cand certs 'Certificates: files, folders and live TLS endpoints'
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
        &'maint;diagnose'= {
            cand --since 'How far back to look for out-of-memory kills and errors [default: 24h]'
            cand --bundle 'Also write a support bundle (the report, the effective config, recent log excerpts and a manifest, secrets redacted) to FILE.tar.gz'
            cand --deadline 'Finish by this time whatever is still being gathered [default: 5s]'
            cand --config 'Read settings from FILE [default: $MAINT_CONFIG, ./maint.toml, $XDG_CONFIG_HOME/maint/maint.toml, /etc/maint/maint.toml]'
            cand --format 'Output format [default: table]'
            cand --output 'Write the report to FILE atomically instead of standard output'
            cand --color 'When to use colour; `auto` means on a terminal and without NO_COLOR'
            cand --redact-hosts 'In the bundle, replace host names and IP addresses with stable pseudonyms'
            cand -q 'Print nothing but errors (the exit code still tells the result)'
            cand --quiet 'Print nothing but errors (the exit code still tells the result)'
            cand -v 'Say more: timings in tables, and what maint is doing on standard error'
            cand --verbose 'Say more: timings in tables, and what maint is doing on standard error'
            cand -h 'Print help (see more with ''--help'')'
            cand --help 'Print help (see more with ''--help'')'
            cand -V 'Print version'
            cand --version 'Print version'
        }
        &'maint;certs'= {
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
            cand check 'Check certificates: expiry, names, chains, keys and signatures'
        }
        &'maint;certs;check'= {
            cand --warn-days 'Fewer days left than this is a WARNING [default: 60]'
            cand --crit-days 'Fewer days left than this is CRITICAL [default: 30]'
            cand --warn-percent 'For short-lived certificates: less than N % of the lifetime left is a WARNING, when the days left say so too'
            cand --crit-percent 'Less than N % of the lifetime left is CRITICAL, when the days left say so too'
            cand --timeout 'Deadline of each endpoint, covering DNS, connect, STARTTLS and handshake [default: 10s]'
            cand --jobs 'Endpoints probed at once; one still waiting after 0.5 s lets the next start and waits on alone until its deadline [default: 16]'
            cand --ca-file 'Trust the roots in FILE instead of the system''s'
            cand --key 'The private key that must belong to the certificate (one TARGET only)'
            cand --sni 'Send NAME as SNI instead of the endpoint''s host (which is still the name verified)'
            cand --connect 'Connect to ADDR (`host` or `host:port`) instead of the endpoint''s own address; the endpoint''s name is still sent and verified (one TARGET only)'
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
