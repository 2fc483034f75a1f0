//! `maint db report | vacuum | prune` against real PostgreSQL servers:
//! bloat made for real (autovacuum off, UPDATE and DELETE), the plan picks
//! exactly those tables, dry runs change nothing, locked and foreign tables
//! are reported skipped, cancelled runs leave nothing running, prune deletes
//! exactly the old rows, and every bad input gets one clear error line.

use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::Duration;

use ::postgres::{Client, NoTls};

use crate::support::command::{free_port, wait_for};
use crate::support::maint;
use crate::support::postgres::{self, PASSWORD, Postgres};

/// A database of the test's own in a server, dropped afterwards.
struct Db {
    url: String,
    name: String,
    admin: String,
}

impl Db {
    fn new(server: &Postgres, tag: &str) -> Db {
        static COUNTER: AtomicUsize = AtomicUsize::new(0);
        let name = format!(
            "maint_{tag}_{}_{}",
            std::process::id(),
            COUNTER.fetch_add(1, Ordering::SeqCst)
        );
        let mut admin = server.client();
        admin
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .expect("create the test database");
        let mut url = url::Url::parse(server.url()).unwrap();
        url.set_path(&format!("/{name}"));
        Db {
            url: url.to_string(),
            name,
            admin: server.url().to_owned(),
        }
    }

    fn client(&self) -> Client {
        Client::connect(&self.url, NoTls).expect("connect to the test database")
    }

    fn sql(&self, sql: &str) {
        let mut client = self.client();
        client
            .batch_execute(sql)
            .unwrap_or_else(|e| panic!("{sql}: {e}"));
    }

    fn count(&self, sql: &str) -> i64 {
        self.client().query_one(sql, &[]).unwrap().get(0)
    }

    fn dead(&self, table: &str) -> i64 {
        self.count(&format!(
            "SELECT pg_stat_get_dead_tuples('{}'::regclass)",
            table.replace('\'', "''")
        ))
    }

    /// An invalid index, as a failed CREATE INDEX CONCURRENTLY leaves one
    /// (`sql` creates a unique index over duplicates).
    fn invalid_index(&self, sql: &str) {
        assert!(
            self.client().batch_execute(sql).is_err(),
            "{sql} succeeded: no invalid index"
        );
    }

    /// Statistics reach the shared counters when a session ends or idles:
    /// wait until the bloat just made is visible.
    fn wait_dead(&self, table: &str, at_least: i64) {
        assert!(
            wait_for(Duration::from_secs(10), || self.dead(table) >= at_least),
            "{table} never showed {at_least} dead tuples (has {})",
            self.dead(table)
        );
    }
}

impl Drop for Db {
    fn drop(&mut self) {
        if let Ok(mut admin) = Client::connect(&self.admin, NoTls) {
            let _ = admin.batch_execute(&format!(
                "DROP DATABASE IF EXISTS {} WITH (FORCE)",
                self.name
            ));
        }
    }
}

/// A table of `rows` rows with autovacuum off, vacuumed and analyzed so its
/// statistics are clean.
fn clean_table(db: &Db, table: &str, rows: i64) {
    db.sql(&format!(
        "CREATE TABLE {table} (id int PRIMARY KEY, v text) WITH (autovacuum_enabled = false);
         INSERT INTO {table} SELECT g, 'row ' || g FROM generate_series(1, {rows}) g;"
    ));
    db.sql(&format!("VACUUM ANALYZE {table}"));
}

/// The rows of section `name` of a JSON report.
fn section(out: &crate::support::command::Output, name: &str) -> Vec<serde_json::Value> {
    out.json()["sections"][name]
        .as_array()
        .unwrap_or_else(|| panic!("no section {name}: {}", out.stdout))
        .clone()
}

/// The rows of a plan or report about the test's own tables. Shared
/// catalogs such as `pg_database` are left out: other tests create and drop
/// databases on the same server meanwhile, and the bloat that leaves there
/// is real.
fn own(rows: Vec<serde_json::Value>) -> Vec<serde_json::Value> {
    rows.into_iter()
        .filter(|r| {
            !r["table"]
                .as_str()
                .is_some_and(|t| t.starts_with("pg_catalog."))
        })
        .collect()
}

fn tables_of(rows: &[serde_json::Value]) -> Vec<String> {
    let mut names: Vec<String> = own(rows.to_vec())
        .iter()
        .map(|r| r["table"].as_str().unwrap().to_owned())
        .collect();
    names.sort();
    names
}

#[test]
fn the_plan_picks_exactly_the_bloated_tables_and_vacuum_clears_them() {
    let db = Db::new(postgres::shared(), "plan");
    db.sql(r#"CREATE SCHEMA "My Schema""#);
    for table in [
        "public.clean_a",
        "public.clean_b",
        "public.updated",
        "public.deleted",
        r#""My Schema"."Tab-le""#,
    ] {
        clean_table(&db, table, 5000);
    }
    db.sql("UPDATE public.updated SET v = v || '!'");
    db.sql("DELETE FROM public.deleted WHERE id % 2 = 0");
    db.sql(r#"UPDATE "My Schema"."Tab-le" SET v = 'x'"#);
    db.wait_dead("public.updated", 5000);
    db.wait_dead("public.deleted", 2500);
    db.wait_dead(r#""My Schema"."Tab-le""#, 5000);

    let bloated = vec![
        r#""My Schema"."Tab-le""#.to_owned(),
        "public.deleted".to_owned(),
        "public.updated".to_owned(),
    ];
    let dry = maint()
        .json()
        .args(["db", "vacuum", "--dry-run", "--url", &db.url])
        .run();
    dry.code(0).nowhere(PASSWORD);
    let plan = own(section(&dry, "plan"));
    assert_eq!(tables_of(&plan), bloated, "{}", dry.stdout);
    let first = &plan[0];
    assert!(
        first["sql"]
            .as_str()
            .unwrap()
            .starts_with("VACUUM (ANALYZE, SKIP_LOCKED"),
        "{first}"
    );
    assert!(
        first["lock"]
            .as_str()
            .unwrap()
            .starts_with("SHARE UPDATE EXCLUSIVE"),
        "{first}"
    );
    assert!(
        first["reasons"].as_str().unwrap().contains("dead tuples"),
        "{first}"
    );
    // Most dead bytes first.
    assert_ne!(plan[0]["table"], "public.deleted", "{}", dry.stdout);
    // The dry run changed nothing.
    assert_eq!(db.dead("public.updated"), 5000);
    assert_eq!(db.dead("public.deleted"), 2500);

    let run = maint()
        .json()
        .args(["db", "vacuum", "--jobs", "2", "--url", &db.url])
        .run();
    run.code(0).nowhere(PASSWORD);
    let rows = own(section(&run, "tables"));
    assert_eq!(tables_of(&rows), bloated, "{}", run.stdout);
    for row in &rows {
        assert_eq!(row["result"], "done", "{row}");
        assert!(row["dead_tuples_before"].as_i64().unwrap() >= 2500, "{row}");
        assert!(row["dead_tuples_after"].as_i64().unwrap() <= 10, "{row}");
        assert!(row["bytes_before"].as_u64().unwrap() > 0, "{row}");
        assert!(row["bytes_after"].as_u64().unwrap() > 0, "{row}");
        assert!(row["duration_seconds"].is_number(), "{row}");
    }
    for table in &bloated {
        assert!(db.dead(table) <= 10, "{table}: {}", db.dead(table));
    }
    // Now nothing needs it.
    let again = maint()
        .json()
        .args(["db", "vacuum", "--url", &db.url])
        .run();
    again.code(0);
    let message = again.check("vacuum")["message"]
        .as_str()
        .unwrap()
        .to_owned();
    let ours = again.json()["sections"]["tables"]
        .as_array()
        .map(|rows| tables_of(rows))
        .unwrap_or_default();
    assert!(
        message.starts_with("no table needs a VACUUM") || ours.is_empty(),
        "{message}: {ours:?}"
    );
}

#[test]
fn stale_statistics_alone_get_an_analyze_and_dead_tuples_a_vacuum() {
    let db = Db::new(postgres::shared(), "stale");
    clean_table(&db, "public.stale", 5000);
    clean_table(&db, "public.bloated", 5000);
    // 600 rows since ANALYZE: past its analyze threshold (50 + 10 %), short
    // of the insert threshold (1000 + 20 %) and with no dead tuples.
    db.sql("INSERT INTO public.stale SELECT g, 'new' FROM generate_series(5001, 5600) g");
    db.sql("UPDATE public.bloated SET v = v || '!'");
    db.wait_dead("public.bloated", 5000);
    assert!(wait_for(Duration::from_secs(10), || db.count(
        "SELECT n_mod_since_analyze FROM pg_stat_user_tables WHERE relid = 'public.stale'::regclass"
    ) >= 600));
    let dry = maint()
        .json()
        .args(["db", "vacuum", "--dry-run", "--url", &db.url])
        .run();
    dry.code(0);
    let plan = own(section(&dry, "plan"));
    assert_eq!(
        tables_of(&plan),
        ["public.bloated", "public.stale"],
        "{}",
        dry.stdout
    );
    let sql = |table: &str| {
        plan.iter().find(|r| r["table"] == table).unwrap()["sql"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert_eq!(sql("public.stale"), "ANALYZE (SKIP_LOCKED) public.stale");
    assert!(sql("public.bloated").starts_with("VACUUM (ANALYZE, SKIP_LOCKED"));
    let run = maint()
        .json()
        .args(["db", "vacuum", "--url", &db.url])
        .run();
    run.code(0);
    let message = run.check("vacuum")["message"].as_str().unwrap().to_owned();
    assert!(
        message.contains("an ANALYZE alone: only their statistics were stale"),
        "{message}"
    );
    assert_eq!(
        db.count(
            "SELECT n_mod_since_analyze FROM pg_stat_user_tables WHERE relid = 'public.stale'::regclass"
        ),
        0
    );
}

#[test]
fn named_tables_exclusions_and_analyze_only() {
    let db = Db::new(postgres::shared(), "named");
    clean_table(&db, "public.a", 100);
    clean_table(&db, "public.b", 100);
    db.sql("UPDATE public.b SET v = 'changed'");
    let out = maint()
        .json()
        .args([
            "db",
            "vacuum",
            "--dry-run",
            "--table",
            "public.a",
            "--url",
            &db.url,
        ])
        .run();
    out.code(0);
    let plan = own(section(&out, "plan"));
    assert_eq!(tables_of(&plan), ["public.a"]);
    assert_eq!(plan[0]["reasons"], "named");
    let out = maint()
        .json()
        .args([
            "db",
            "vacuum",
            "--dry-run",
            "--analyze-only",
            "--url",
            &db.url,
        ])
        .run();
    out.code(0);
    let plan = own(section(&out, "plan"));
    assert_eq!(tables_of(&plan), ["public.b"], "{}", out.stdout);
    assert_eq!(plan[0]["sql"], "ANALYZE (SKIP_LOCKED) public.b");
    let out = maint()
        .json()
        .args([
            "db",
            "vacuum",
            "--dry-run",
            "--analyze-only",
            "--exclude",
            "b",
            "--url",
            &db.url,
        ])
        .run();
    out.code(0);
    assert!(
        tables_of(&section(&out, "plan")).is_empty(),
        "{}",
        out.stdout
    );
    let out = maint()
        .json()
        .args([
            "db",
            "vacuum",
            "--dry-run",
            "--full",
            "--yes",
            "--table",
            "public.a",
            "--url",
            &db.url,
        ])
        .run();
    out.code(0);
    let plan = own(section(&out, "plan"));
    assert_eq!(
        plan[0]["sql"],
        "VACUUM (FULL, ANALYZE, SKIP_LOCKED) public.a"
    );
    assert!(
        plan[0]["lock"]
            .as_str()
            .unwrap()
            .starts_with("ACCESS EXCLUSIVE")
    );
    assert!(
        out.check("plan")["message"]
            .as_str()
            .unwrap()
            .contains("ACCESS EXCLUSIVE")
    );
}

#[test]
fn a_table_locked_by_another_session_is_reported_skipped() {
    let db = Db::new(postgres::shared(), "locked");
    clean_table(&db, "public.busy", 2000);
    clean_table(&db, "public.free", 2000);
    db.sql("UPDATE public.busy SET v = 'x'; UPDATE public.free SET v = 'x'");
    db.wait_dead("public.busy", 2000);
    db.wait_dead("public.free", 2000);
    let mut holder = db.client();
    // SHARE conflicts with VACUUM's SHARE UPDATE EXCLUSIVE; reads go on.
    holder
        .batch_execute("BEGIN; LOCK TABLE public.busy IN SHARE MODE")
        .unwrap();
    let out = maint()
        .json()
        .args(["db", "vacuum", "--url", &db.url])
        .run();
    out.code(1);
    let busy = out.check("public.busy");
    assert_eq!(busy["status"], "WARNING");
    assert!(
        busy["message"]
            .as_str()
            .unwrap()
            .contains("locked by another session"),
        "{busy}"
    );
    assert!(
        busy["hint"].as_str().unwrap().contains("pg_locks"),
        "{busy}"
    );
    let rows = section(&out, "tables");
    let result = |t: &str| rows.iter().find(|r| r["table"] == t).unwrap()["result"].clone();
    assert_eq!(result("public.busy"), "skipped");
    assert_eq!(result("public.free"), "done");
    holder.batch_execute("ROLLBACK").unwrap();
    assert!(
        db.dead("public.busy") >= 2000,
        "the locked table was not vacuumed"
    );
}

/// A session URL whose VACUUMs crawl (cost-based delay), so there is time to stop them.
fn slow_vacuum_url(db: &Db) -> String {
    // libpq URLs decode %20, not `+`, as a space.
    format!(
        "{}?options=-c%20vacuum_cost_delay%3D100%20-c%20vacuum_cost_limit%3D1",
        db.url
    )
}

fn ours_running(db: &Db) -> i64 {
    db.count(&format!(
        "SELECT count(*) FROM pg_stat_activity
          WHERE application_name = 'maint' AND datname = '{}' AND state <> 'idle'",
        db.name
    ))
}

fn big_bloated_table(db: &Db) {
    clean_table(db, "public.big", 50_000);
    db.sql("UPDATE public.big SET v = v || ' updated'");
    db.wait_dead("public.big", 50_000);
}

#[test]
fn ctrl_c_cancels_the_server_side_vacuum() {
    let db = Db::new(postgres::shared(), "cancel");
    big_bloated_table(&db);
    let child = maint()
        .json()
        .args(["db", "vacuum", "--url", &slow_vacuum_url(&db)])
        .command()
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    assert!(
        wait_for(Duration::from_secs(20), || db.count(&format!(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = 'maint'
               AND datname = '{}' AND query LIKE 'VACUUM%' AND state = 'active'",
            db.name
        )) == 1),
        "the VACUUM never started"
    );
    rustix::process::kill_process(
        rustix::process::Pid::from_raw(child.id() as i32).unwrap(),
        rustix::process::Signal::INT,
    )
    .unwrap();
    let out = child.wait_with_output().unwrap();
    // Right after maint exits, nothing of its is left on the server.
    assert_eq!(ours_running(&db), 0);
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{stdout}");
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let run = json["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "vacuum")
        .unwrap()
        .clone();
    assert!(
        run["message"].as_str().unwrap().contains("interrupted"),
        "{run}"
    );
    let big = json["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "public.big")
        .unwrap()
        .clone();
    assert!(
        big["message"]
            .as_str()
            .unwrap()
            .starts_with("cancelled on the server"),
        "{big}"
    );
}

#[test]
fn max_duration_cancels_and_reports_what_was_not_done() {
    let db = Db::new(postgres::shared(), "deadline");
    big_bloated_table(&db);
    let out = maint()
        .json()
        .args([
            "db",
            "vacuum",
            "--max-duration",
            "1s",
            "--url",
            &slow_vacuum_url(&db),
        ])
        .run();
    assert_eq!(ours_running(&db), 0);
    out.code(1);
    assert!(
        out.check("vacuum")["message"]
            .as_str()
            .unwrap()
            .contains("--max-duration 1s reached")
    );
    assert!(
        out.elapsed < Duration::from_secs(15),
        "took {:?}",
        out.elapsed
    );
}

#[test]
fn prune_deletes_exactly_the_old_rows_in_batches() {
    let db = Db::new(postgres::shared(), "prune");
    db.sql(
        "CREATE TABLE metrics (id serial PRIMARY KEY, \"timestamp\" timestamptz NOT NULL, v int);
         INSERT INTO metrics (\"timestamp\", v) SELECT now() - interval '31 days' - g * interval '1 minute', g FROM generate_series(1, 1234) g;
         INSERT INTO metrics (\"timestamp\", v) SELECT now() - interval '29 days' + g * interval '1 minute', g FROM generate_series(1, 567) g;",
    );
    let args = [
        "db",
        "prune",
        "--table",
        "metrics",
        "--column",
        "timestamp",
        "--older-than",
        "30d",
        "--batch",
        "100",
    ];
    let dry = maint()
        .json()
        .args(args)
        .args(["--dry-run", "--url", &db.url])
        .run();
    // No index on the column: a warning says every batch scans the table.
    dry.code(1);
    assert_eq!(dry.check("prune:public.metrics")["value"], 1234.0);
    assert!(
        dry.check("prune:public.metrics:index")["hint"]
            .as_str()
            .unwrap()
            .starts_with("CREATE INDEX CONCURRENTLY ON public.metrics")
    );
    assert_eq!(section(&dry, "plan")[0]["batches"], 13);
    assert_eq!(db.count("SELECT count(*) FROM metrics"), 1234 + 567);

    db.sql("CREATE INDEX ON metrics (\"timestamp\")");
    let out = maint()
        .json()
        .args(args)
        .args(["--vacuum", "--url", &db.url])
        .run();
    out.code(0).nowhere(PASSWORD);
    let check = out.check("prune:public.metrics");
    assert_eq!(check["value"], 1234.0);
    assert!(
        check["message"].as_str().unwrap().contains("in 13 batches"),
        "{check}"
    );
    assert_eq!(out.check("vacuum:public.metrics")["status"], "OK");
    assert_eq!(db.count("SELECT count(*) FROM metrics"), 567);
    assert_eq!(
        db.count("SELECT count(*) FROM metrics WHERE \"timestamp\" < now() - interval '30 days'"),
        0
    );
}

#[test]
fn the_report_finds_bloat_unused_and_invalid_indexes_and_old_transactions() {
    let db = Db::new(postgres::shared(), "report");
    clean_table(&db, "public.bloated", 10_000);
    db.sql("UPDATE public.bloated SET v = 'x'");
    db.wait_dead("public.bloated", 10_000);
    db.sql("CREATE INDEX never_used ON public.bloated (v)");
    db.sql("CREATE TABLE dup (k int); INSERT INTO dup VALUES (1), (1);");
    db.invalid_index("CREATE UNIQUE INDEX CONCURRENTLY dup_k ON dup (k)");
    let mut old = db.client();
    old.batch_execute("BEGIN; SELECT txid_current()").unwrap();

    let out = maint()
        .json()
        .args(["db", "report", "--url", &db.url])
        .run();
    out.code(2).nowhere(PASSWORD);
    // The size the history keeps for its growth prediction: at least the bloated table's.
    let size = out.check("db:size");
    assert_eq!(size["status"], "OK", "{size}");
    assert_eq!(size["unit"], "bytes", "{size}");
    assert!(size["value"].as_f64().unwrap() > 500_000.0, "{size}");
    assert!(
        size["message"].as_str().unwrap().ends_with(" MiB on disk"),
        "{size}"
    );
    let dead = out.check("db:dead_tuples");
    assert_eq!(dead["status"], "CRITICAL", "{dead}");
    assert!(
        dead["message"]
            .as_str()
            .unwrap()
            .starts_with("public.bloated: 50 % dead"),
        "{dead}"
    );
    // The hint reaches the same server as the run did, never showing the password.
    let shown = db.url.replace(PASSWORD, "***");
    assert_eq!(
        dead["hint"],
        format!("maint db vacuum --url '{shown}' --table public.bloated")
    );
    let unused = out.check("db:unused_indexes");
    assert_eq!(unused["status"], "WARNING");
    assert!(
        unused["message"]
            .as_str()
            .unwrap()
            .contains("public.never_used"),
        "{unused}"
    );
    let unused_rows = section(&out, "unused_indexes");
    assert!(
        unused_rows
            .iter()
            .all(|r| r["index"] != "public.bloated_pkey"),
        "primary keys are never unused: {unused_rows:?}"
    );
    let invalid = out.check("db:invalid_indexes");
    assert_eq!(invalid["status"], "WARNING");
    assert!(
        invalid["message"]
            .as_str()
            .unwrap()
            .contains("public.dup_k"),
        "{invalid}"
    );
    let oldest = out.check("db:oldest_transaction");
    assert!(
        oldest["message"]
            .as_str()
            .unwrap()
            .contains("holds back cleanup"),
        "{oldest}"
    );
    let holders = section(&out, "cleanup_holders");
    assert_eq!(holders[0]["kind"], "transaction");
    let tables = section(&out, "tables");
    let row = tables
        .iter()
        .find(|r| r["table"] == "public.bloated")
        .unwrap();
    assert_eq!(row["dead_tuples"], 10_000);
    assert!(row["heap_bytes"].as_u64().unwrap() > 0);
    assert!(row["bloat_reliability"].is_string());
    old.batch_execute("ROLLBACK").unwrap();

    let prom = maint()
        .args(["--format", "prometheus", "db", "report", "--url", &db.url])
        .run();
    prom.stdout_has("maint_db_table_dead_tuples{command=\"db report\",database=");
    crate::output::promtool_check(&prom.stdout);
}

#[test]
fn slow_statements_come_from_pg_stat_statements() {
    let server = Postgres::start_with(|_| {}, &["shared_preload_libraries=pg_stat_statements"]);
    let db = Db::new(&server, "statements");
    db.sql("CREATE EXTENSION pg_stat_statements");
    db.sql("SELECT pg_sleep(0.05)");
    let out = maint()
        .json()
        .args(["db", "report", "--url", &db.url])
        .run();
    assert!(out.code <= 2, "{}", out.stderr);
    let slow = out.check("db:slow_queries");
    assert!(
        slow["message"]
            .as_str()
            .unwrap()
            .starts_with("slowest on average"),
        "{slow}"
    );
    let rows = section(&out, "slow_queries");
    assert!(
        rows.iter()
            .any(|r| r["query"].as_str().unwrap().contains("pg_sleep")),
        "{rows:?}"
    );
}

/// A role that owns nothing and may do nothing but connect.
fn stranger(server: &Postgres, db: &Db) -> String {
    let mut admin = server.client();
    admin
        .batch_execute(&format!(
            "CREATE ROLE stranger LOGIN PASSWORD '{PASSWORD}'; GRANT CONNECT ON DATABASE {} TO stranger",
            db.name
        ))
        .unwrap();
    db.sql("GRANT USAGE ON SCHEMA public TO stranger; GRANT SELECT ON ALL TABLES IN SCHEMA public TO stranger");
    let mut url = url::Url::parse(&db.url).unwrap();
    url.set_username("stranger").unwrap();
    url.to_string()
}

#[test]
fn tables_we_do_not_own_are_skipped_and_pruning_them_is_refused() {
    let server = Postgres::start();
    let db = Db::new(&server, "owner");
    clean_table(&db, "public.theirs", 2000);
    db.sql("UPDATE public.theirs SET v = 'x'");
    db.sql("CREATE TABLE events (at timestamptz); INSERT INTO events VALUES (now() - interval '90 days')");
    db.wait_dead("public.theirs", 2000);
    let url = stranger(&server, &db);

    let out = maint()
        .json()
        .args(["db", "vacuum", "--table", "public.theirs", "--url", &url])
        .run();
    out.code(1).nowhere(PASSWORD);
    let check = out.check("public.theirs");
    assert_eq!(check["status"], "WARNING");
    assert!(
        check["message"]
            .as_str()
            .unwrap()
            .contains("not ours to vacuum"),
        "{check}"
    );
    assert!(check["hint"].as_str().unwrap().contains("owner"), "{check}");
    assert!(db.dead("public.theirs") >= 2000);

    let out = maint()
        .args([
            "db",
            "prune",
            "--table",
            "events",
            "--column",
            "at",
            "--older-than",
            "30d",
            "--url",
            &url,
        ])
        .run();
    out.code(3)
        .one_error_line("role \"stranger\" may not SELECT and DELETE from public.events: insufficient privileges")
        .stderr_has("hint: as its owner: GRANT SELECT, DELETE ON public.events TO stranger");
    assert_eq!(db.count("SELECT count(*) FROM events"), 1);
}

#[test]
fn a_standby_is_refused_with_a_clear_message() {
    let primary = Postgres::start();
    let standby = primary.standby();
    let url = standby.url().to_owned();
    let out = maint().args(["db", "vacuum", "--url", &url]).run();
    out.code(3)
        .one_error_line("is a read-only standby (in recovery): VACUUM must run on the primary")
        .stderr_has("hint: point --url at the primary");
    let out = maint()
        .args([
            "db",
            "prune",
            "--table",
            "pg_catalog.pg_class",
            "--column",
            "x",
            "--older-than",
            "1d",
            "--url",
            &url,
        ])
        .run();
    out.code(3)
        .one_error_line("read-only standby (in recovery): DELETE must run on the primary");
    // The report only reads: it works on a standby, and leaves what only
    // the primary can tell UNKNOWN (tests/verdicts.rs has the details).
    let out = maint().json().args(["db", "report", "--url", &url]).run();
    out.code(3);
    assert_eq!(out.check("db:role")["status"], "OK");
    assert_eq!(out.check("db:replication_lag")["status"], "OK");
    // The primary sees its standby, and how far behind it is.
    let out = maint()
        .json()
        .args(["db", "report", "--url", primary.url()])
        .run();
    let lag = out.check("db:replication_lag");
    assert_eq!(lag["status"], "OK", "{lag}");
    assert!(
        lag["message"].as_str().unwrap().starts_with("1 standby: "),
        "{lag}"
    );
    assert_eq!(section(&out, "standbys").len(), 1);
    // Rebuilding indexes is the primary's work.
    maint()
        .args(["db", "reindex", "--url", &url])
        .run()
        .code(3)
        .one_error_line("is a read-only standby (in recovery): REINDEX must run on the primary");
}

#[test]
fn the_report_finds_blocked_sessions_and_a_sequence_near_its_end() {
    let db = Db::new(postgres::shared(), "locks");
    db.sql("CREATE TABLE public.orders (id serial PRIMARY KEY, v text)");
    // 95 % of an integer column's range.
    db.sql("SELECT setval('public.orders_id_seq', 2040109466)");
    let mut holder = db.client();
    let holder_pid: i32 = holder
        .query_one("SELECT pg_backend_pid()", &[])
        .unwrap()
        .get(0);
    holder
        .batch_execute("BEGIN; LOCK TABLE public.orders IN ACCESS EXCLUSIVE MODE")
        .unwrap();
    let url = db.url.clone();
    let waiter = std::thread::spawn(move || {
        let mut client = Client::connect(&url, NoTls).unwrap();
        client
            .query_one("SELECT count(*) FROM public.orders", &[])
            .map(|_| ())
    });
    assert!(wait_for(Duration::from_secs(10), || db.count(&format!(
        "SELECT count(*) FROM pg_stat_activity WHERE datname = '{}' AND wait_event_type = 'Lock'",
        db.name
    )) == 1));
    std::thread::sleep(Duration::from_millis(1200));
    let out = maint()
        .json()
        .config("[postgres.report]\nblocked = { warn = \"1s\", crit = \"1h\" }\n")
        .args(["db", "report", "--url", &db.url])
        .run();
    let blocked = out.check("db:blocked");
    assert_eq!(blocked["status"], "WARNING", "{blocked}");
    let message = blocked["message"].as_str().unwrap();
    assert!(
        message.contains(&format!(
            "blocked by pid {holder_pid} (postgres, idle in transaction"
        )),
        "{message}"
    );
    assert!(
        message.contains("\"SELECT count(*) FROM public.orders\""),
        "{message}"
    );
    assert!(
        message.contains("whose last statement was \"BEGIN; LOCK TABLE public.orders"),
        "{message}"
    );
    assert_eq!(
        blocked["hint"].as_str().unwrap().split(';').next().unwrap(),
        format!("SELECT pg_terminate_backend({holder_pid})")
    );
    assert_eq!(section(&out, "blocked_sessions").len(), 1);
    let sequences = out.check("db:sequences");
    assert_eq!(sequences["status"], "CRITICAL", "{sequences}");
    assert_eq!(sequences["value"], 95.0);
    assert!(
        sequences["message"].as_str().unwrap().starts_with(
            "public.orders_id_seq (integer, feeding orders.id (integer)) is at 2040109466"
        ),
        "{sequences}"
    );
    holder.batch_execute("COMMIT").unwrap();
    waiter.join().unwrap().unwrap();
}

#[test]
fn a_failing_archive_command_is_critical() {
    let server = Postgres::start_with(|_| {}, &["archive_mode=on", "archive_command=false"]);
    let mut client = server.client();
    client
        .batch_execute("CREATE TABLE filler AS SELECT g FROM generate_series(1, 1000) g; SELECT pg_switch_wal();")
        .unwrap();
    assert!(wait_for(Duration::from_secs(20), || {
        server
            .client()
            .query_one("SELECT failed_count FROM pg_stat_archiver", &[])
            .unwrap()
            .get::<_, i64>(0)
            > 0
    }));
    let out = maint()
        .json()
        .args(["db", "report", "--url", server.url()])
        .run();
    out.code(2);
    let check = out.check("db:archiver");
    assert_eq!(check["status"], "CRITICAL");
    assert!(
        check["message"]
            .as_str()
            .unwrap()
            .starts_with("archive_command is failing: "),
        "{check}"
    );
    assert!(
        check["hint"]
            .as_str()
            .unwrap()
            .starts_with("SHOW archive_command;")
    );
}

#[test]
fn a_bloated_index_is_estimated_and_an_expression_index_flagged() {
    let db = Db::new(postgres::shared(), "ixbloat");
    db.sql(
        "CREATE TABLE public.big (id int PRIMARY KEY, v text) WITH (autovacuum_enabled = false);
         INSERT INTO public.big SELECT g, 'value ' || g FROM generate_series(1, 200000) g;
         CREATE INDEX big_lower ON public.big (lower(v));
         DELETE FROM public.big WHERE id % 10 <> 0;",
    );
    db.sql("VACUUM ANALYZE public.big");
    let out = maint()
        .json()
        .args(["db", "report", "--url", &db.url])
        .run();
    let check = out.check("db:index_bloat");
    assert_eq!(check["status"], "CRITICAL", "{check}");
    let message = check["message"].as_str().unwrap();
    assert!(
        message.starts_with("public.big_pkey on public.big: about "),
        "{message}"
    );
    assert!(message.contains("reliability good"), "{message}");
    assert!(
        message.ends_with("; 1 not estimated (expression indexes or no statistics)"),
        "{message}"
    );
    let rows = section(&out, "index_bloat");
    let expression = rows
        .iter()
        .find(|r| r["index"] == "public.big_lower")
        .unwrap();
    assert_eq!(expression["reliability"], "unknown");
    assert!(expression["bloat_percent"].is_null());
    assert!(
        expression["note"]
            .as_str()
            .unwrap()
            .starts_with("expression index")
    );
}

#[test]
fn connection_failures_are_one_clear_line() {
    let down = format!("postgres://postgres@127.0.0.1:{}/postgres", free_port());
    for command in [
        vec!["db", "report"],
        vec!["db", "vacuum"],
        vec![
            "db",
            "prune",
            "--table",
            "t",
            "--column",
            "c",
            "--older-than",
            "1d",
        ],
    ] {
        let out = maint().args(&command).args(["--url", &down]).run();
        out.code(3)
            .one_error_line("connection refused")
            .stderr_has("hint: pg_isready -h 127.0.0.1");
    }

    let server = Postgres::start();
    let wrong = server.url_with_password(Some("not-the-password-0815"));
    let out = maint().args(["db", "vacuum", "--url", &wrong]).run();
    out.code(3)
        .one_error_line("password authentication failed for user \"postgres\"")
        .nowhere("not-the-password-0815")
        .nowhere(PASSWORD);

    let mut missing = url::Url::parse(postgres::shared().url()).unwrap();
    missing.set_path("/no_such_database_here");
    let out = maint()
        .args(["db", "report", "--url", missing.as_str()])
        .run();
    out.code(3)
        .one_error_line("database \"no_such_database_here\" does not exist")
        .stderr_has("-l")
        .nowhere(PASSWORD);
}

#[test]
fn bad_names_and_flags_are_refused_before_anything_runs() {
    let db = Db::new(postgres::shared(), "flags");
    clean_table(&db, "public.t", 10);
    let out = maint()
        .args(["db", "vacuum", "--table", "public.nosuch", "--url", &db.url])
        .run();
    out.code(3)
        .one_error_line("--table \"public.nosuch\": no such table in database");
    let out = maint()
        .args(["db", "vacuum", "--table", "My Schema.x", "--url", &db.url])
        .run();
    out.code(3)
        .one_error_line("--table \"My Schema.x\": invalid name syntax");
    let out = maint()
        .args([
            "db",
            "prune",
            "--table",
            "nosuch",
            "--column",
            "c",
            "--older-than",
            "30d",
            "--url",
            &db.url,
        ])
        .run();
    out.code(3)
        .one_error_line("--table \"nosuch\": no such table");
    let out = maint()
        .args([
            "db",
            "prune",
            "--table",
            "t",
            "--column",
            "at",
            "--older-than",
            "30d",
            "--url",
            &db.url,
        ])
        .run();
    out.code(3)
        .one_error_line("--column \"at\": public.t has no such column");
    let out = maint()
        .args([
            "db",
            "prune",
            "--table",
            "t",
            "--column",
            "v",
            "--older-than",
            "30d",
            "--url",
            &db.url,
        ])
        .run();
    out.code(3)
        .one_error_line("--column \"v\" of public.t is text, not a timestamp or date");
    let out = maint()
        .args([
            "db",
            "prune",
            "--table",
            "t",
            "--column",
            "c",
            "--older-than",
            "30 days",
            "--url",
            &db.url,
        ])
        .run();
    out.code(3)
        .one_error_line("invalid value '30 days' for '--older-than <DUR>'");
    let out = maint()
        .args([
            "db",
            "prune",
            "--table",
            "t",
            "--column",
            "c",
            "--older-than",
            "0s",
            "--url",
            &db.url,
        ])
        .run();
    out.code(3)
        .one_error_line("--older-than 0s: must be more than zero");
    let out = maint()
        .args(["db", "vacuum", "--full", "--yes", "--url", &db.url])
        .run();
    out.code(3)
        .one_error_line("--full needs --table")
        .stderr_has("hint: maint db vacuum --full --yes --table");
    let out = maint()
        .args([
            "db", "vacuum", "--full", "--table", "public.t", "--url", &db.url,
        ])
        .run();
    out.code(3).one_error_line("--yes");
    let out = maint()
        .args(["db", "vacuum", "--jobs", "0", "--url", &db.url])
        .run();
    out.code(3).one_error_line("--jobs 0: must be 1 to 64");
}

/// Resumes a stopped server process whatever the test's outcome.
struct Frozen(Option<i32>);

impl Drop for Frozen {
    fn drop(&mut self) {
        if let Some(pid) = self.0 {
            let _ = std::process::Command::new("kill")
                .args(["-CONT", &pid.to_string()])
                .status();
        }
    }
}

#[test]
fn a_server_frozen_mid_statement_is_given_up_soon_after_the_deadline() {
    // A server of its own: the frozen backend holds back cleanup
    // server-wide while it is stopped, which other tests would see.
    let server = Postgres::start();
    let db = Db::new(&server, "frozen");
    big_bloated_table(&db);
    let child = maint()
        .json()
        .args([
            "db",
            "vacuum",
            "--max-duration",
            "2s",
            "--url",
            &slow_vacuum_url(&db),
        ])
        .command()
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    // The backend running our VACUUM stops answering anything, its cancel
    // request included, as a frozen VM or a wedged proxy would.
    let backend = || -> Option<i32> {
        db.client()
            .query_opt(
                "SELECT pid FROM pg_stat_activity
                  WHERE application_name = 'maint' AND datname = $1
                    AND query LIKE 'VACUUM%' AND state = 'active'",
                &[&db.name],
            )
            .ok()
            .flatten()
            .map(|row| row.get(0))
    };
    let mut frozen = Frozen(None);
    assert!(wait_for(Duration::from_secs(10), || {
        frozen.0 = backend();
        frozen.0.is_some()
    }));
    let stopped = std::process::Command::new("kill")
        .args(["-STOP", &frozen.0.unwrap().to_string()])
        .status()
        .unwrap();
    assert!(stopped.success());
    let started = std::time::Instant::now();
    let out = child.wait_with_output().unwrap();
    let waited = started.elapsed();
    drop(frozen);
    let json: serde_json::Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(out.status.code(), Some(2), "{json}");
    let big = json["checks"]
        .as_array()
        .unwrap()
        .iter()
        .find(|c| c["name"] == "public.big")
        .unwrap()
        .clone();
    assert_eq!(big["status"], "CRITICAL", "{big}");
    assert!(
        big["message"]
            .as_str()
            .unwrap()
            .contains("answered neither the statement nor its cancel request"),
        "{big}"
    );
    // Not a timing benchmark: without the give-up it never returns at all.
    assert!(waited < Duration::from_secs(10), "took {waited:?}");
    assert!(wait_for(Duration::from_secs(10), || ours_running(&db) == 0));
}

#[test]
fn reindex_rebuilds_bloated_and_invalid_indexes_and_drops_what_a_failed_rebuild_leaves() {
    let db = Db::new(postgres::shared(), "reindex");
    db.sql(
        "CREATE TABLE public.big (id int PRIMARY KEY, v text, code int) WITH (autovacuum_enabled = false);
         INSERT INTO public.big SELECT g, 'value ' || g, g % 100 FROM generate_series(1, 200000) g;
         DELETE FROM public.big WHERE id % 10 <> 0;",
    );
    db.sql("VACUUM ANALYZE public.big");
    // A failed CREATE INDEX CONCURRENTLY leaves an invalid index; rebuilding
    // it fails the same way (duplicate codes) and leaves a `_ccnew` copy.
    db.invalid_index("CREATE UNIQUE INDEX CONCURRENTLY big_code ON public.big (code)");
    // As an interrupted REINDEX CONCURRENTLY would leave.
    db.invalid_index("CREATE UNIQUE INDEX CONCURRENTLY big_pkey_ccnew ON public.big (code)");
    let dry = maint()
        .json()
        .args(["db", "reindex", "--dry-run", "--url", &db.url])
        .run();
    dry.code(0);
    let plan = section(&dry, "plan");
    let sql: Vec<&str> = plan.iter().map(|r| r["sql"].as_str().unwrap()).collect();
    assert_eq!(
        sql,
        [
            "DROP INDEX CONCURRENTLY IF EXISTS public.big_pkey_ccnew",
            "REINDEX INDEX CONCURRENTLY public.big_code",
            "REINDEX INDEX CONCURRENTLY public.big_pkey",
        ],
        "{}",
        dry.stdout
    );
    assert!(
        plan[2]["reasons"]
            .as_str()
            .unwrap()
            .contains("reliability good")
    );
    let before = db.count("SELECT pg_relation_size('public.big_pkey')");

    let run = maint()
        .json()
        .args(["db", "reindex", "--url", &db.url])
        .run();
    run.code(2);
    let rows = section(&run, "indexes");
    let result = |index: &str| {
        rows.iter().find(|r| r["index"] == index).unwrap()["result"]
            .as_str()
            .unwrap()
            .to_owned()
    };
    assert_eq!(result("public.big_pkey_ccnew"), "done");
    assert_eq!(result("public.big_code"), "failed");
    assert_eq!(result("public.big_pkey"), "done");
    assert!(db.count("SELECT pg_relation_size('public.big_pkey')") * 4 < before);
    let summary = run.check("reindex")["message"].as_str().unwrap().to_owned();
    assert!(
        summary.contains("dropped what failed rebuilds left: public.big_code_ccnew"),
        "{summary}"
    );
    assert_eq!(
        db.count("SELECT count(*) FROM pg_class WHERE relname LIKE '%ccnew%'"),
        0
    );
    assert_eq!(run.check("reindex:public.big_code")["status"], "CRITICAL");
}

/// PostgreSQL cannot rebuild the index of an exclusion constraint
/// concurrently; the plan leaves such indexes out, each with a line saying
/// why and the blocking REINDEX to run in a maintenance window instead.
#[test]
fn reindex_leaves_exclusion_constraint_indexes_out_and_says_what_to_do() {
    let db = Db::new(postgres::shared(), "reindexexcl");
    db.sql(
        "CREATE TABLE public.booking (id int, note text, CONSTRAINT booking_once EXCLUDE USING btree (id WITH =))
           WITH (autovacuum_enabled = false);
         INSERT INTO public.booking SELECT g, 'note ' || g FROM generate_series(1, 200000) g;
         DELETE FROM public.booking WHERE id % 10 <> 0;
         CREATE TABLE public.slot (id int, CONSTRAINT slot_once EXCLUDE USING btree (id WITH =));
         INSERT INTO public.slot VALUES (1), (2);
         UPDATE pg_index SET indisvalid = false WHERE indexrelid = 'public.slot_once'::regclass;",
    );
    db.sql("VACUUM ANALYZE public.booking");
    // What maint steps around: the server's own refusal.
    let refused = db
        .client()
        .batch_execute("REINDEX INDEX CONCURRENTLY public.booking_once")
        .unwrap_err();
    assert!(
        refused
            .as_db_error()
            .unwrap()
            .message()
            .contains("exclusion constraints is not supported"),
        "{refused}"
    );

    let dry = maint()
        .json()
        .args(["db", "reindex", "--dry-run", "--url", &db.url])
        .run();
    dry.code(1);
    assert!(section(&dry, "plan").is_empty(), "{}", dry.stdout);
    let booking = dry.check("reindex:public.booking_once");
    assert_eq!(booking["status"], "WARNING");
    let message = booking["message"].as_str().unwrap();
    assert!(message.starts_with("skipped (about "), "{message}");
    assert!(
        message.ends_with(
            "backs the exclusion constraint booking_once: REINDEX CONCURRENTLY cannot rebuild it (PostgreSQL refuses)"
        ),
        "{message}"
    );
    assert_eq!(
        booking["hint"],
        "in a maintenance window, as it blocks writes to public.booking while it runs: psql -c 'REINDEX INDEX public.booking_once'"
    );
    let slot = dry.check("reindex:public.slot_once");
    assert!(
        slot["message"].as_str().unwrap().starts_with(
            "skipped (invalid (written to, never used)): backs the exclusion constraint slot_once"
        ),
        "{slot}"
    );

    let before = db.count("SELECT pg_relation_size('public.booking_once')");
    let run = maint()
        .json()
        .args(["db", "reindex", "--url", &db.url])
        .run();
    run.code(1);
    assert_eq!(
        run.check("reindex")["message"],
        "0 of 2 indexes rebuilt or dropped, 2 skipped"
    );
    assert_eq!(
        run.check("reindex:public.booking_once")["status"],
        "WARNING"
    );
    assert_eq!(
        db.count("SELECT pg_relation_size('public.booking_once')"),
        before
    );
    db.sql("DROP TABLE public.slot");
}

#[test]
fn reindex_on_a_locked_table_is_skipped_after_the_lock_timeout() {
    let db = Db::new(postgres::shared(), "reindexlock");
    db.sql("CREATE TABLE public.t (id int PRIMARY KEY); INSERT INTO public.t VALUES (1)");
    let mut holder = db.client();
    holder
        .batch_execute("BEGIN; LOCK TABLE public.t IN ACCESS EXCLUSIVE MODE")
        .unwrap();
    let out = maint()
        .json()
        .args([
            "db",
            "reindex",
            "--index",
            "public.t_pkey",
            "--lock-timeout",
            "1s",
            "--url",
            &db.url,
        ])
        .run();
    out.code(1);
    let rows = section(&out, "indexes");
    assert_eq!(rows[0]["result"], "skipped");
    assert!(
        rows[0]["reasons"]
            .as_str()
            .unwrap()
            .starts_with("locked by another session"),
        "{rows:?}"
    );
    holder.batch_execute("COMMIT").unwrap();
    // A name that is no index is refused before anything runs.
    maint()
        .args([
            "db",
            "reindex",
            "--index",
            "public.nothing",
            "--url",
            &db.url,
        ])
        .run()
        .code(3)
        .one_error_line("--index \"public.nothing\": no such index");
}

#[test]
fn ctrl_c_mid_rebuild_cancels_it_and_drops_the_half_built_copy() {
    let db = Db::new(postgres::shared(), "reindexcancel");
    // An index whose every key costs 10 ms to compute: its rebuild takes 5 s.
    db.sql(
        "CREATE FUNCTION public.slow(int) RETURNS int IMMUTABLE LANGUAGE plpgsql AS
           'BEGIN PERFORM pg_sleep(0.01); RETURN $1; END';
         CREATE TABLE public.t (id int);
         INSERT INTO public.t SELECT generate_series(1, 500);
         CREATE INDEX t_slow ON public.t (public.slow(id));",
    );
    let child = maint()
        .json()
        .args([
            "db",
            "reindex",
            "--index",
            "public.t_slow",
            "--url",
            &db.url,
        ])
        .command()
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    assert!(
        wait_for(Duration::from_secs(20), || db.count(
            "SELECT count(*) FROM pg_class WHERE relname = 't_slow_ccnew'"
        ) == 1),
        "the rebuild never started"
    );
    rustix::process::kill_process(
        rustix::process::Pid::from_raw(child.id() as i32).unwrap(),
        rustix::process::Signal::INT,
    )
    .unwrap();
    let out = child.wait_with_output().unwrap();
    let stdout = String::from_utf8_lossy(&out.stdout);
    assert_eq!(out.status.code(), Some(2), "{stdout}");
    let json: serde_json::Value = serde_json::from_str(&stdout).unwrap();
    let summary = json["checks"][0]["message"].as_str().unwrap();
    assert!(
        summary.contains("dropped what failed rebuilds left: public.t_slow_ccnew"),
        "{summary}"
    );
    assert!(summary.contains("interrupted"), "{summary}");
    assert_eq!(json["sections"]["indexes"][0]["result"], "cancelled");
    assert_eq!(
        db.count("SELECT count(*) FROM pg_class WHERE relname LIKE 't_slow_cc%'"),
        0
    );
    // The original index is untouched and valid.
    assert_eq!(
        db.count("SELECT count(*) FROM pg_index WHERE indexrelid = 'public.t_slow'::regclass AND indisvalid"),
        1
    );
}
