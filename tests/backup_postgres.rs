//! `maint backup` with a PostgreSQL database: the dump and its row counts,
//! the restore through a scratch database with a rollback kept, the drill,
//! and the database faults of issue 4 (pg_dump missing or too old, the
//! server down, a wrong password that never shows).

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::sync::atomic::{AtomicU32, Ordering};

use crate::backup::Scene;
use crate::support::maint;
use crate::support::postgres::{PASSWORD, shared};

/// A database of the test's own in the shared server, dropped (with what a
/// restore left beside it) when the test ends.
struct TestDb {
    name: String,
}

impl TestDb {
    fn new() -> TestDb {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let name = format!(
            "maint_bk_{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let mut client = shared().client();
        client
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .unwrap();
        TestDb { name }
    }

    fn url(&self) -> String {
        let mut url = url::Url::parse(shared().url()).unwrap();
        url.set_path(&self.name);
        url.to_string()
    }

    fn client(&self) -> postgres::Client {
        postgres::Client::connect(&self.url(), postgres::NoTls).unwrap()
    }

    fn fill(&self) {
        self.client()
            .batch_execute(
                "CREATE TABLE items (id int PRIMARY KEY, name text, price numeric);
                 INSERT INTO items SELECT i, 'item ' || i, i * 1.25 FROM generate_series(1, 1000) i;
                 CREATE SCHEMA audit;
                 CREATE TABLE audit.events (at timestamptz DEFAULT now(), what text);
                 INSERT INTO audit.events (what) SELECT 'event ' || i FROM generate_series(1, 17) i;
                 CREATE TABLE empty_one (x int);",
            )
            .unwrap();
    }

    // A method so the scene reads `db.rows(name)`; the rows come from the server.
    #[allow(clippy::unused_self)]
    fn rows(&self, db: &str) -> Vec<String> {
        let mut url = url::Url::parse(shared().url()).unwrap();
        url.set_path(db);
        let mut client = postgres::Client::connect(url.as_str(), postgres::NoTls).unwrap();
        let mut rows: Vec<String> = client
            .query(
                "SELECT id::text || ' ' || name || ' ' || price::text FROM items ORDER BY id",
                &[],
            )
            .unwrap()
            .iter()
            .map(|r| r.get(0))
            .collect();
        rows.extend(
            client
                .query("SELECT what FROM audit.events ORDER BY what", &[])
                .unwrap()
                .iter()
                .map(|r| r.get::<_, String>(0)),
        );
        rows
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let mut client = shared().client();
        let names: Vec<String> = client
            .query(
                "SELECT datname FROM pg_database WHERE datname LIKE $1",
                &[&format!("{}%", self.name)],
            )
            .map(|rows| rows.iter().map(|r| r.get(0)).collect())
            .unwrap_or_default();
        for name in names {
            let _ =
                client.batch_execute(&format!("DROP DATABASE IF EXISTS \"{name}\" WITH (FORCE)"));
        }
    }
}

#[test]
fn database_round_trip_row_for_row_with_a_rollback_kept() {
    let db = TestDb::new();
    db.fill();
    let before = db.rows(&db.name);
    let scene = Scene::new();
    let out = scene.create(&["--db", &db.url()]);
    out.code(0).nowhere(PASSWORD);
    let check = out.check("database");
    assert_eq!(check["status"], "OK");
    assert!(
        check["message"]
            .as_str()
            .unwrap()
            .contains("3 tables, 1017 rows"),
        "{check}"
    );
    let archive = scene.only_archive();
    let manifest: serde_json::Value = serde_json::from_slice(
        &fs::read(
            archive
                .to_string_lossy()
                .replace(".tar.gz", ".manifest.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let tables = manifest["database"]["tables"].as_array().unwrap();
    assert!(
        tables
            .iter()
            .any(|t| t["schema"] == "audit" && t["name"] == "events" && t["rows"] == 17)
    );
    assert!(
        tables
            .iter()
            .any(|t| t["name"] == "empty_one" && t["rows"] == 0)
    );
    maint()
        .args(["backup", "verify"])
        .arg(&archive)
        .run()
        .code(0);

    // The live database moves on; the restore brings back the backup's rows.
    db.client()
        .batch_execute(
            "DELETE FROM items WHERE id > 500; INSERT INTO audit.events (what) VALUES ('later')",
        )
        .unwrap();
    let out = maint()
        .json()
        .args(["backup", "restore"])
        .arg(&archive)
        .arg("--target")
        .arg(scene.path("restored"))
        .args(["--db", &db.url()])
        .run();
    out.code(0).nowhere(PASSWORD);
    let message = crate::backup::message(&out, "database").clone();
    assert!(message.contains("counts match the manifest"), "{message}");
    let rollback = message.rsplit(" kept as ").next().unwrap().to_owned();
    assert!(
        rollback.starts_with(&format!("{}_before_restore_", db.name)),
        "{message}"
    );
    assert_eq!(db.rows(&db.name), before, "row for row");
    assert_eq!(
        db.rows(&rollback).len(),
        500 + 18,
        "the old database is kept as it was"
    );
    assert_eq!(
        crate::backup::snapshot(&scene.path("restored")),
        crate::backup::snapshot(&scene.path("src"))
    );

    // A drill restores the dump beside the live one and compares.
    let out = maint()
        .json()
        .args(["backup", "drill", "--dest"])
        .arg(scene.path("dest"))
        .args(["--db", &db.url()])
        .run();
    out.code(0).nowhere(PASSWORD);
    assert_eq!(out.check("drill:database")["status"], "OK");
    assert!(crate::backup::message(&out, "drill:live_database").contains("same row counts"));
    let mut client = shared().client();
    // Only this test's: others restore beside their own databases meanwhile.
    let scratch: i64 = client
        .query_one(
            "SELECT count(*) FROM pg_database WHERE datname LIKE $1 || '%' AND (datname LIKE '%maint_drill%' OR datname LIKE '%maint_restore%')",
            &[&db.name],
        )
        .unwrap()
        .get(0);
    assert_eq!(scratch, 0, "scratch databases are dropped");
}

#[test]
fn a_wrong_password_fails_without_showing_any_password() {
    let db = TestDb::new();
    let scene = Scene::new();
    let mut url = url::Url::parse(&db.url()).unwrap();
    url.set_password(Some("wrong-secret-4242")).unwrap();
    let out = scene.create(&["--db", url.as_str()]);
    out.code(2)
        .one_error_line("password authentication failed for user \"postgres\"")
        .nowhere("wrong-secret-4242")
        .nowhere(PASSWORD);
    assert!(scene.archives().is_empty());
    assert!(scene.leftovers().is_empty(), "{:?}", scene.leftovers());
}

#[test]
fn a_database_that_is_down_fails_the_create() {
    let scene = Scene::new();
    let port = crate::support::command::free_port();
    let out = scene.create(&[
        "--db",
        &format!("postgres://app:pw-9911@127.0.0.1:{port}/app"),
    ]);
    out.code(2)
        .one_error_line("connection refused")
        .stderr_has(&format!("hint: pg_isready -h 127.0.0.1 -p {port}"))
        .nowhere("pw-9911");
    assert!(scene.archives().is_empty());
}

#[test]
fn pg_dump_missing_or_older_than_the_server_is_refused_before_anything() {
    let db = TestDb::new();
    let scene = Scene::new();
    let empty = scene.path("no-tools");
    fs::create_dir(&empty).unwrap();
    let command = |pg_bin: &std::path::Path| {
        maint()
            .config(&format!("[backup]\npg_bin = \"{}\"\n", pg_bin.display()))
            .args(["backup", "create", "--name", "web", "--source"])
            .arg(scene.path("src"))
            .arg("--dest")
            .arg(scene.path("dest"))
            .args(["--db", &db.url()])
    };
    command(&empty)
        .run()
        .code(3)
        .one_error_line(&format!("pg_dump not found in {}", empty.display()))
        .stderr_has("hint: install the PostgreSQL client tools");
    // An old pg_dump, as on a host whose client package lags the server:
    // only its --version is needed to refuse.
    let old = scene.path("old-tools");
    fs::create_dir(&old).unwrap();
    fs::write(
        old.join("pg_dump"),
        "#!/bin/sh\necho 'pg_dump (PostgreSQL) 9.6.24'\n",
    )
    .unwrap();
    fs::set_permissions(old.join("pg_dump"), fs::Permissions::from_mode(0o755)).unwrap();
    fs::write(old.join("pg_restore"), "#!/bin/sh\nexit 1\n").unwrap();
    fs::set_permissions(old.join("pg_restore"), fs::Permissions::from_mode(0o755)).unwrap();
    command(&old)
        .run()
        .code(3)
        .one_error_line("is version 9.6.24, older than the server")
        .stderr_has("hint: install the client tools of the server's version")
        .nowhere(PASSWORD);
    assert!(scene.archives().is_empty());
    assert!(scene.leftovers().is_empty(), "{:?}", scene.leftovers());
}

#[test]
fn one_dropped_table_comes_back_with_its_index_and_a_live_one_is_moved_aside() {
    let db = TestDb::new();
    db.fill();
    db.client()
        .batch_execute(
            "CREATE INDEX items_name ON items (name);
             CREATE TABLE orders (id int PRIMARY KEY, item int REFERENCES items (id));
             INSERT INTO orders SELECT i, i FROM generate_series(1, 5) i;",
        )
        .unwrap();
    let scene = Scene::new();
    scene.create(&["--db", &db.url()]).code(0);
    let archive = scene.only_archive();

    // Dropped by mistake: it comes back, index and all, and nothing else changes.
    db.client()
        .batch_execute("DROP TABLE audit.events; INSERT INTO items VALUES (5000, 'new since', 1)")
        .unwrap();
    let restore = |extra: &[&str]| {
        maint()
            .json()
            .args(["backup", "restore"])
            .arg(&archive)
            .args(["--db", &db.url()])
            .args(extra)
            .run()
    };
    let out = restore(&["--table", "audit.events"]);
    out.code(0).nowhere(PASSWORD);
    assert_eq!(
        out.check("table:audit.events")["value"].as_f64(),
        Some(17.0)
    );
    let mut client = db.client();
    let count = |client: &mut postgres::Client, sql: &str| -> i64 {
        client.query_one(sql, &[]).unwrap().get(0)
    };
    assert_eq!(count(&mut client, "SELECT count(*) FROM audit.events"), 17);
    assert_eq!(
        count(&mut client, "SELECT count(*) FROM items"),
        1001,
        "the live table is untouched"
    );

    // A table that exists needs --force, and is then kept aside, not dropped.
    restore(&["--table", "items"])
        .code(3)
        .one_error_line("already has public.items");
    let out = restore(&["--table", "items", "--force"]);
    out.code(1);
    let check = out.check("table:public.items");
    let message = check["message"].as_str().unwrap();
    assert!(message.contains("kept as maint_before_restore_"), "{check}");
    assert!(message.contains("public.orders references it"), "{check}");
    assert_eq!(
        count(&mut client, "SELECT count(*) FROM public.items"),
        1000
    );
    let kept: String = client
        .query_one(
            "SELECT table_schema::text FROM information_schema.tables WHERE table_name = 'items' AND table_schema LIKE 'maint_before_restore_%'",
            &[],
        )
        .unwrap()
        .get(0);
    assert_eq!(
        count(&mut client, &format!("SELECT count(*) FROM {kept}.items")),
        1001
    );
    let indexed = count(
        &mut client,
        "SELECT count(*) FROM pg_indexes WHERE schemaname = 'public' AND tablename = 'items' AND indexname = 'items_name'",
    );
    assert_eq!(indexed, 1, "the index came with the table");

    // A table the dump lacks is named, nothing changed.
    restore(&["--table", "nope"])
        .code(3)
        .one_error_line("the backup's dump has no table public.nope");
}
