//! Wrong verdicts under faults (issue 17): a monitoring tool must never say
//! OK when something is wrong, nor "did not answer" when the server answered
//! with the real reason. Each test builds the fault for real: a process
//! whose name the kernel truncates, a mount that is not there, a standby made
//! with pg_basebackup, an open transaction, a lock, a Redis that cannot
//! save, an ACL user without INFO.

use std::time::Duration;

use crate::support::command::{free_port, wait_for};
use crate::support::maint;
use crate::support::postgres::{self, Postgres};
use crate::support::redis::Redis;
use crate::support::tls::{Pki, TlsServer};

/// A copy of `sleep` under a name longer than the kernel's 15 bytes, running
/// until dropped.
struct LongNamed {
    child: std::process::Child,
    _dir: tempfile::TempDir,
}

impl LongNamed {
    fn start(name: &str) -> LongNamed {
        let dir = tempfile::tempdir().unwrap();
        let program = dir.path().join(name);
        std::fs::copy("/bin/sleep", &program).unwrap();
        let child = std::process::Command::new(&program)
            .arg("300")
            .spawn()
            .unwrap();
        LongNamed { child, _dir: dir }
    }
}

impl Drop for LongNamed {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

#[test]
fn a_long_process_name_matches_only_itself_not_its_first_15_bytes() {
    let admin = LongNamed::start("gunicorn-worker-admin");
    let out = maint()
        .config(
            "[[health.process]]\nname = \"gunicorn-worker-api\"\n\n\
             [[health.process]]\nname = \"gunicorn-worker-admin\"\n\n\
             [[health.process]]\nname = \"gunicorn-worker\"\n",
        )
        .json()
        .args(["health", "--only", "process"])
        .run();
    drop(admin);
    out.code(2);
    let api = out.check("process:gunicorn-worker-api");
    assert_eq!(api["status"], "CRITICAL");
    assert_eq!(api["message"], "not running; expected at least 1");
    // pgrep too must read the whole command line to see such a name.
    assert_eq!(
        api["hint"],
        "systemctl status gunicorn-worker-api; pgrep -af gunicorn-worker-api"
    );
    let running = out.check("process:gunicorn-worker-admin");
    assert_eq!(running["status"], "OK");
    assert_eq!(running["value"], 1.0);
    // The 15 bytes the kernel kept are not the process's name either.
    assert_eq!(out.check("process:gunicorn-worker")["status"], "CRITICAL");
}

#[test]
fn a_named_mount_with_nothing_mounted_is_critical() {
    let command = maint();
    let folder = command.path("data");
    std::fs::create_dir(&folder).unwrap();
    let point = folder.display().to_string();
    let out = command
        .config(&format!("[health]\nmounts = [\"{point}\"]\n"))
        .json()
        .args(["health", "--only", &format!("*:{point}")])
        .run();
    out.code(2);
    let disk = out.check(&format!("disk:{point}"));
    assert_eq!(disk["status"], "CRITICAL");
    assert_eq!(
        disk["message"],
        format!(
            "not mounted: [health] mounts names {point}, but nothing is mounted there \
             (what is written to it lands on the filesystem below)"
        )
    );
    assert_eq!(
        disk["hint"],
        format!("findmnt --fstab {point}; mount {point}")
    );
    assert_eq!(out.check(&format!("inodes:{point}"))["status"], "UNKNOWN");
    // `--list` shows the check too, so nothing about it is silent.
    let out = maint()
        .config(&format!("[health]\nmounts = [\"{point}\"]\n"))
        .args(["health", "--list"])
        .run();
    out.code(0).stdout_has(&format!("disk:{point}"));
}

#[test]
fn redis_stuck_on_a_failed_save_says_so_and_where() {
    let server = Redis::start(&[("enable-protected-configs", "yes")]);
    server.fail_a_save();
    assert!(
        server
            .command(&["SET", "k", "v"])
            .unwrap_err()
            .contains("MISCONF")
    );

    let out = maint()
        .json()
        .args(["health", "--only", "redis"])
        .args(["--redis", server.url()])
        .run();
    out.code(2);
    let redis = out.check("redis");
    assert_eq!(redis["status"], "CRITICAL");
    let message = redis["message"].as_str().unwrap();
    assert!(
        message.ends_with(
            "answers but refuses writes (and PING): MISCONF, its last background save failed \
             and stop-writes-on-bgsave-error is on"
        ),
        "{message}"
    );
    let persistence = out.check("redis:persistence");
    assert_eq!(persistence["status"], "CRITICAL");
    let message = persistence["message"].as_str().unwrap();
    assert!(
        message.starts_with(
            "the last background save into a folder that no longer exists failed (rdb_last_bgsave_status:err"
        ) && message.ends_with("writes are refused until a save succeeds (MISCONF)"),
        "{message}"
    );
    let cli = format!("redis-cli -h 127.0.0.1 -p {}", server.port);
    assert_eq!(
        persistence["hint"],
        format!(
            "{cli} config set dir FOLDER (one that exists, writable by redis, with room: its folder was removed); then {cli} bgsave"
        )
    );
    // Measured, not "did not answer".
    assert_eq!(out.check("redis:memory")["status"], "OK");
}

#[test]
fn a_redis_user_without_info_is_told_which_permission_to_grant() {
    let server = Redis::start(&[]);
    server
        .command(&[
            "ACL",
            "SETUSER",
            "monitor",
            "on",
            ">monitor-secret-2718",
            "~*",
            "+@all",
            "-info",
        ])
        .unwrap();
    let url = format!(
        "redis://monitor:monitor-secret-2718@127.0.0.1:{}",
        server.port
    );
    let out = maint()
        .json()
        .args(["health", "--only", "redis", "--redis", &url])
        .run();
    out.code(3).nowhere("monitor-secret-2718");
    let redis = out.check("redis");
    assert_eq!(redis["status"], "OK");
    assert_eq!(
        redis["message"],
        format!(
            "Redis at redis://monitor:***@127.0.0.1:{} answered PING, but user \"monitor\" may not run INFO (ACL: NOPERM)",
            server.port
        )
    );
    let memory = out.check("redis:memory");
    assert_eq!(memory["status"], "UNKNOWN");
    assert_eq!(
        memory["message"],
        "not measured: user \"monitor\" may not run INFO (ACL: NOPERM)"
    );
    assert_eq!(
        memory["hint"],
        format!(
            "as an admin user: redis-cli -h 127.0.0.1 -p {} ACL SETUSER monitor +info (or give [redis] url a user that may run it)",
            server.port
        )
    );
}

/// Runs SQL on a server, as its superuser.
fn sql(server: &Postgres, text: &str) {
    server
        .client()
        .batch_execute(text)
        .unwrap_or_else(|err| panic!("{text}: {err}"));
}

fn number(server: &Postgres, query: &str) -> i64 {
    server.client().query_one(query, &[]).unwrap().get(0)
}

/// A table with `dead` dead tuples of `rows`, and autovacuum kept off it.
fn bloat(server: &Postgres, table: &str, rows: i64, dead: i64) {
    sql(
        server,
        &format!(
            "CREATE TABLE {table} (id int, note text) WITH (autovacuum_enabled = false);
             INSERT INTO {table} SELECT g, 'row ' || g FROM generate_series(1, {rows}) g;
             DELETE FROM {table} WHERE id <= {dead};"
        ),
    );
    // Statistics reach the shared counters when a session ends or idles.
    assert!(
        wait_for(Duration::from_secs(10), || number(
            server,
            &format!("SELECT pg_stat_get_dead_tuples('{table}'::regclass)")
        ) >= dead),
        "{table} never showed {dead} dead tuples"
    );
}

#[test]
fn a_standby_says_so_and_leaves_the_primarys_dead_tuples_to_the_primary() {
    let primary = Postgres::start();
    bloat(&primary, "half_dead", 4000, 2000);
    let standby = primary.standby();
    assert!(
        wait_for(Duration::from_secs(20), || number(
            &standby,
            "SELECT count(*) FROM pg_stat_wal_receiver WHERE status = 'streaming'"
        ) == 1),
        "the standby never streamed"
    );
    let socket = primary.socket_dir().unwrap().display().to_string();

    // The primary: CRITICAL at 50 % dead, and it knows its standby.
    let out = maint()
        .json()
        .args(["db", "report", "--url", primary.url()])
        .run();
    out.code(2);
    let dead = out.check("db:dead_tuples");
    assert_eq!(dead["status"], "CRITICAL");
    assert_eq!(dead["value"], 50.0);
    assert_eq!(
        out.check("db:role")["message"],
        "primary (read-write), 1 standby streaming from it"
    );

    // The standby: says it is one, and does not call the dead tuples OK.
    let out = maint()
        .json()
        .args(["db", "report", "--url", standby.url()])
        .run();
    out.code(3).nowhere(postgres::PASSWORD);
    let role = out.check("db:role");
    assert_eq!(role["status"], "OK");
    let message = role["message"].as_str().unwrap();
    assert!(
        message.starts_with(&format!(
            "standby (read-only, in recovery) of the primary at {socket} (port {}): WAL receiver streaming, replay ",
            primary.port
        )) && message.ends_with(
            "dead-tuple and vacuum statistics here are this standby's own and do not reflect the primary"
        ),
        "{message}"
    );
    for name in ["db:dead_tuples", "db:vacuum_needed"] {
        let check = out.check(name);
        assert_eq!(check["status"], "UNKNOWN", "{name}");
        assert!(
            check["message"]
                .as_str()
                .unwrap()
                .starts_with("not judged on a standby"),
            "{check}"
        );
        assert_eq!(
            check["hint"],
            format!(
                "maint db report --url 'postgres://postgres@/postgres?host={socket}&port={}'",
                primary.port
            )
        );
    }

    // Vacuum and prune refuse before anything starts, naming the primary.
    let out = maint().args(["db", "vacuum", "--url", standby.url()]).run();
    out.code(3).one_error_line(&format!(
        "is a read-only standby (in recovery): VACUUM must run on the primary (it replays from {socket} (port {}))",
        primary.port
    ));
    out.stderr_has(&format!(
        "hint: point --url at the primary: --url 'postgres://postgres@/postgres?host={socket}&port={}'",
        primary.port
    ));
    let out = maint()
        .args(["db", "prune", "--table", "half_dead", "--column", "id"])
        .args(["--older-than", "1d", "--url", standby.url()])
        .run();
    out.code(3)
        .one_error_line("is a read-only standby (in recovery): DELETE must run on the primary");
}

#[test]
fn an_inactive_slot_keeping_wal_is_reported_with_its_size() {
    let primary = Postgres::start();
    sql(
        &primary,
        "SELECT pg_create_physical_replication_slot('forgotten', true);
         CREATE TABLE filler AS SELECT g, repeat('x', 200) AS pad FROM generate_series(1, 20000) g;
         SELECT pg_switch_wal();",
    );
    let kept = number(
        &primary,
        "SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), restart_lsn)::int8
           FROM pg_replication_slots WHERE slot_name = 'forgotten'",
    );
    assert!(kept > 2 << 20, "only {kept} bytes of WAL kept");
    let out = maint()
        .config("[postgres.report]\nslot_wal = { warn = \"1MiB\", crit = \"1GiB\" }\n")
        .json()
        .args(["db", "report", "--url", primary.url()])
        .run();
    out.code(1);
    let slot = out.check("db:slot_wal");
    assert_eq!(slot["status"], "WARNING");
    assert!(slot["value"].as_f64().unwrap() >= kept as f64);
    assert_eq!(
        slot["threshold"],
        serde_json::json!({"warning": 1048576.0, "critical": 1073741824.0, "direction": "above"})
    );
    let message = slot["message"].as_str().unwrap();
    assert!(
        message.starts_with("inactive physical slot \"forgotten\" keeps ")
            && message.contains("nothing reads it, so the WAL grows"),
        "{message}"
    );
    assert_eq!(
        slot["hint"],
        format!(
            "if its consumer is gone for good: psql 'postgres://postgres@127.0.0.1:{}/postgres' -c \"SELECT pg_drop_replication_slot('forgotten')\"",
            primary.port
        )
    );
    let rows = &out.json()["sections"]["replication_slots"];
    assert_eq!(rows[0]["slot"], "forgotten");
    assert_eq!(rows[0]["active"], "false");
}

/// A session of the test's own on `server`, under an application name that
/// the messages under test must show.
fn session(server: &Postgres, application: &str) -> ::postgres::Client {
    let mut url = url::Url::parse(server.url()).unwrap();
    url.query_pairs_mut()
        .append_pair("application_name", application);
    ::postgres::Client::connect(url.as_str(), ::postgres::NoTls).unwrap()
}

#[test]
fn vacuum_held_back_by_an_open_transaction_says_by_whom() {
    let server = Postgres::start();
    sql(
        &server,
        "CREATE TABLE orders (id int, note text) WITH (autovacuum_enabled = false);
         INSERT INTO orders SELECT g, 'order ' || g FROM generate_series(1, 4000) g;",
    );
    // A report that began before the DELETE still sees the deleted rows.
    let mut report_job = session(&server, "nightly-report");
    report_job
        .batch_execute("BEGIN ISOLATION LEVEL REPEATABLE READ; SELECT count(*) FROM orders")
        .unwrap();
    let pid: i32 = report_job
        .query_one("SELECT pg_backend_pid()", &[])
        .unwrap()
        .get(0);
    sql(&server, "DELETE FROM orders WHERE id <= 3000");
    assert!(wait_for(Duration::from_secs(10), || number(
        &server,
        "SELECT pg_stat_get_dead_tuples('orders'::regclass)"
    ) >= 3000));

    let out = maint()
        .json()
        .args(["db", "vacuum", "--table", "orders"])
        .args(["--url", server.url()])
        .run();
    // Done, but with a warning: nothing was cleaned.
    out.code(1).nowhere(postgres::PASSWORD);
    let run = out.check("vacuum");
    assert_eq!(run["status"], "OK");
    assert!(
        run["message"]
            .as_str()
            .unwrap()
            .ends_with("(3000 dead tuples before, 3000 after), 1 held back by an open snapshot"),
        "{run}"
    );
    let table = out.check("public.orders");
    assert_eq!(table["status"], "WARNING");
    let message = table["message"].as_str().unwrap();
    assert!(
        message.starts_with(&format!(
            "VACUUM ran but 3000 of 3000 dead tuples remain: transaction pid {pid} open "
        )) && message.contains("nightly-report, idle in transaction")
            && message
                .ends_with("still sees them, and VACUUM removes only rows no snapshot can see"),
        "{message}"
    );
    let url = format!("postgres://postgres:***@127.0.0.1:{}/postgres", server.port);
    assert_eq!(
        table["hint"],
        format!(
            "psql 'postgres://postgres@127.0.0.1:{}/postgres' -c 'SELECT pg_terminate_backend({pid})' \
             (after checking what it is); then maint db vacuum --url '{url}' --table public.orders",
            server.port
        )
    );

    // Once it ends, the same command cleans up and says nothing more.
    report_job.batch_execute("COMMIT").unwrap();
    let out = maint()
        .json()
        .args(["db", "vacuum", "--table", "orders"])
        .args(["--url", server.url()])
        .run();
    out.code(0);
    assert!(
        out.check("vacuum")["message"]
            .as_str()
            .unwrap()
            .ends_with("(3000 dead tuples before, 0 after)")
    );
}

/// A table of 100 rows older than 30 days, and a session holding an ACCESS
/// EXCLUSIVE lock on it (a migration in progress), until it commits.
fn locked_events(server: &Postgres) -> (::postgres::Client, i32) {
    sql(
        server,
        "CREATE TABLE events (id int, at timestamptz);
         INSERT INTO events SELECT g, now() - interval '40 days' FROM generate_series(1, 100) g;",
    );
    let mut migration = session(server, "migration");
    migration
        .batch_execute("BEGIN; LOCK TABLE events IN ACCESS EXCLUSIVE MODE")
        .unwrap();
    let pid = migration
        .query_one("SELECT pg_backend_pid()", &[])
        .unwrap()
        .get(0);
    (migration, pid)
}

const PRUNE: [&str; 8] = [
    "db",
    "prune",
    "--table",
    "events",
    "--column",
    "at",
    "--older-than",
    "30d",
];

#[test]
fn prune_names_who_holds_the_lock_after_its_retries() {
    let server = Postgres::start();
    let (mut migration, pid) = locked_events(&server);
    let out = maint()
        .json()
        .args(PRUNE)
        .args(["--lock-timeout", "100ms", "--url", server.url()])
        .run();
    out.code(2).nowhere(postgres::PASSWORD);
    let check = out.check("prune:public.events");
    assert_eq!(check["status"], "CRITICAL");
    let message = check["message"].as_str().unwrap();
    assert!(
        message.starts_with(&format!(
            "stopped: preparing the DELETE: canceling statement due to lock timeout (4 tries): \
             the table is locked by pid {pid} (application migration, user postgres, AccessExclusiveLock, \
             idle in transaction, transaction open since "
        )),
        "{message}"
    );
    assert!(message.contains(", query started "), "{message}");
    let hint = check["hint"].as_str().unwrap();
    assert!(
        hint.starts_with(&format!(
            "see what pid {pid} is doing, then end it or wait: psql 'postgres://postgres@127.0.0.1:{}/postgres' -c 'SELECT pg_terminate_backend({pid})'; then maint db prune --url ",
            server.port
        )) && hint.ends_with(" --table public.events --column at --older-than 30d"),
        "{hint}"
    );
    migration.batch_execute("COMMIT").unwrap();
    assert_eq!(number(&server, "SELECT count(*) FROM events"), 100);
}

#[test]
fn prune_retries_a_lock_wait_and_finishes_when_the_lock_goes() {
    let server = Postgres::start();
    let (mut migration, _) = locked_events(&server);
    // The builder owns the working folder: it lives until the run ends.
    let builder = maint()
        .json()
        .args(PRUNE)
        .args(["--lock-timeout", "1s", "--url", server.url()]);
    let child = builder
        .command()
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // Each try is a new statement waiting for the lock: release it only
    // once a second try waits, so the run can finish only by retrying.
    let mut watcher = server.client();
    let mut tries: Vec<f64> = Vec::new();
    assert!(
        wait_for(Duration::from_secs(20), || {
            let waiting: Option<f64> = watcher
                .query_opt(
                    "SELECT extract(epoch FROM query_start)::float8 FROM pg_stat_activity
                      WHERE application_name = 'maint' AND wait_event_type = 'Lock'",
                    &[],
                )
                .unwrap()
                .map(|row| row.get(0));
            if let Some(start) = waiting
                && !tries.contains(&start)
            {
                tries.push(start);
            }
            tries.len() >= 2
        }),
        "prune never tried again: {tries:?}"
    );
    migration.batch_execute("COMMIT").unwrap();
    let output = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&output.stdout);
    // 1: done, with the warning that no index starts with the column.
    assert_eq!(
        output.status.code(),
        Some(1),
        "{stdout}\n{}",
        String::from_utf8_lossy(&output.stderr)
    );
    assert!(
        stdout.contains("deleted 100 rows of public.events"),
        "{stdout}"
    );
    assert_eq!(number(&server, "SELECT count(*) FROM events"), 0);
}

// Messages: one clear line, a hint that works when pasted.

#[test]
fn missing_arguments_and_subcommands_are_named() {
    let out = maint().args(["db", "prune", "--table", "events"]).run();
    out.code(3).one_error_line(
        "maint: error: the following required arguments were not provided: --column <C>, --older-than <DUR>; \
         hint: usage: maint db prune --table <T> --column <C> --older-than <DUR>; see --help",
    );
    let out = maint().arg("db").run();
    out.code(3).one_error_line(
        "maint: error: maint db needs a command: report, vacuum, prune, reindex; hint: usage: maint db [OPTIONS] <COMMAND>; see --help",
    );
}

#[test]
fn certificate_days_are_rounded_down_everywhere() {
    // Valid for 30 days from the moment it was made: 29.99... days left now.
    let leaf = Pki::new().leaf(&["localhost"], (-10, 30));
    let out = maint()
        .file("site.pem", &leaf.pem)
        .json()
        .args(["certs", "check", "site.pem"])
        .run();
    out.code(2);
    let check = out.check("site.pem");
    assert_eq!(check["status"], "CRITICAL");
    assert_eq!(check["value"], 29.0);
    let message = check["message"].as_str().unwrap();
    assert!(message.contains(" expires in 29 days on "), "{message}");
    assert_eq!(out.json()["sections"]["certificates"][0]["days_left"], 29.0);
    // Nagios: "fewer than 30" is `30:` (alert below 30), with the same 29.
    let out = maint()
        .file("site.pem", &leaf.pem)
        .args(["--format", "nagios", "certs", "check", "site.pem"])
        .run();
    out.code(2).stdout_has("| 'site.pem'=29;60:;30:;;");
}

#[test]
fn nagios_ranges_alert_exactly_where_maint_does() {
    // At exactly the level maint warns; Nagios' plain `80` would not (it
    // alerts above 80 only): `@80:` alerts from 80 up, both included.
    let out = maint()
        .args(["--format", "nagios", "health", "--only", "disk:/"])
        .args(["--threshold", "disk=0,100"])
        .run();
    out.code(1).stdout_has("%;@0:;@100:;0;100");
}

#[test]
fn a_refused_certificate_is_a_sentence_with_the_command_to_look_closer() {
    // A name no trust store holds (some hold a "CN=localhost" of their own).
    let leaf = Pki::self_signed(&["maint-self-signed.test", "127.0.0.1"], (-1, 365));
    let server = TlsServer::start(&leaf.pem, &leaf.key_pem);
    let url = format!("https://127.0.0.1:{}/", server.port);
    let out = maint()
        .json()
        .args(["health", "--http", &url])
        .args(["--only", "http"])
        .run();
    out.code(2);
    let check = out.check(&format!("http:127.0.0.1:{}", server.port));
    assert_eq!(
        check["message"],
        format!(
            "{url}: TLS failed: the server's certificate is not signed by an authority this machine trusts \
             (self-signed, or from a private CA whose certificate is not installed here)"
        )
    );
    assert_eq!(
        check["hint"],
        format!("maint certs check 127.0.0.1:{}", server.port)
    );
}

#[test]
fn an_ipv6_server_gets_hints_psql_and_pg_isready_accept() {
    let port = free_port();
    let url = format!("postgres://postgres@[::1]:{port}/postgres");
    let out = maint().args(["db", "report", "--url", &url]).run();
    out.code(3)
        .one_error_line(&format!("maint: error: PostgreSQL at {url}: "))
        .stderr_has(&format!("; hint: pg_isready -h ::1 -p {port}"));
}

#[test]
fn names_are_quoted_one_way_in_every_message_and_hint() {
    let server = postgres::shared();
    let name = format!("quoting_{}", std::process::id());
    let mut admin = server.client();
    admin
        .batch_execute(&format!("CREATE DATABASE {name}"))
        .unwrap();
    let mut url = url::Url::parse(server.url()).unwrap();
    url.set_path(&format!("/{name}"));
    let db = url.to_string();
    let mut client = ::postgres::Client::connect(&db, ::postgres::NoTls).unwrap();
    client
        .batch_execute(
            "CREATE TABLE \"Order Items\" (id int, \"CreatedAt\" timestamptz, sku text)
                 WITH (autovacuum_enabled = false);
             CREATE INDEX never_used ON \"Order Items\" (sku);
             INSERT INTO \"Order Items\" SELECT g, now(), 'x' FROM generate_series(1, 10) g;",
        )
        .unwrap();
    drop(client);

    let out = maint().json().args(["db", "report", "--url", &db]).run();
    let unused = out.check("db:unused_indexes");
    let message = unused["message"].as_str().unwrap();
    assert!(
        message.contains("largest public.never_used on public.\"Order Items\";"),
        "{message}"
    );
    assert_eq!(
        out.json()["sections"]["unused_indexes"][0]["table"],
        "public.\"Order Items\""
    );

    let out = maint()
        .json()
        .args(["db", "prune", "--dry-run"])
        .args(["--table", "\"Order Items\"", "--column", "CreatedAt"])
        .args(["--older-than", "30d", "--url", &db])
        .run();
    out.code(1);
    let index = out.check("prune:public.\"Order Items\":index");
    assert_eq!(
        index["hint"],
        "CREATE INDEX CONCURRENTLY ON public.\"Order Items\" (\"CreatedAt\")"
    );
    let _ = admin.batch_execute(&format!("DROP DATABASE {name} WITH (FORCE)"));
}
