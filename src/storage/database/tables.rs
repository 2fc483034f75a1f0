//! Single tables back from a backup (`restore --table`). The whole dump is
//! first restored into a scratch database and checked there (as for a full
//! restore); then the tables asked for go into the target database with
//! what `pg_dump --table` carries for them (indexes, constraints, triggers,
//! owned sequences, grants), in one `psql --single-transaction`: all of
//! them or none. A table already in the target is moved aside into a schema
//! of its own in that same transaction, never dropped.

use std::io::{Read, Write};
use std::path::Path;
use std::process::Stdio;

use super::{DbError, ident, on_database, query_error, tool_command, tool_message, tool_name};
use crate::probe::postgres::Target;
use crate::storage::manifest::Table;

/// What became of one table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Restored {
    pub table: String,
    pub rows: i64,
    /// `schema.table` where the table it replaced now is.
    pub kept_as: Option<String>,
    /// Foreign keys between it and tables not restored with it.
    pub notes: Vec<String>,
}

fn qualified(table: &Table) -> String {
    format!("{}.{}", ident(&table.schema), ident(&table.name))
}

/// Which of `tables` the target database has already.
pub fn existing(target: &Target, tables: &[Table]) -> Result<Vec<String>, DbError> {
    let (mut client, _) = target.connect()?;
    let mut found = Vec::new();
    for table in tables {
        let row = client
            .query_one("SELECT to_regclass($1) IS NOT NULL", &[&qualified(table)])
            .map_err(query_error("looking for the table"))?;
        if row.get::<_, bool>(0) {
            found.push(table.qualified());
        }
    }
    Ok(found)
}

/// Foreign keys of the scratch copy that cross from `tables` to tables
/// not among them, in either direction: what a table restore cannot bring.
fn crossing_keys(
    target: &Target,
    scratch: &str,
    tables: &[Table],
) -> Result<Vec<(String, String)>, DbError> {
    let (mut client, _) = on_database(target, scratch).connect()?;
    // Every name shown with its schema.
    client
        .batch_execute("SET search_path = ''")
        .map_err(query_error("reading the foreign keys"))?;
    let names: Vec<String> = tables.iter().map(qualified).collect();
    let rows = client
        .query(
            "SELECT c.conrelid::regclass::text, c.confrelid::regclass::text, c.conname::text,
                    c.conrelid::regclass::text = ANY(SELECT to_regclass(n)::text FROM unnest($1::text[]) n),
                    c.confrelid::regclass::text = ANY(SELECT to_regclass(n)::text FROM unnest($1::text[]) n)
             FROM pg_constraint c
             WHERE c.contype = 'f' AND c.conrelid <> c.confrelid
               AND (c.conrelid = ANY(SELECT to_regclass(n) FROM unnest($1::text[]) n)
                 OR c.confrelid = ANY(SELECT to_regclass(n) FROM unnest($1::text[]) n))",
            &[&names],
        )
        .map_err(query_error("reading the foreign keys"))?;
    let mut crossing = Vec::new();
    for row in rows {
        let (from, to, name): (String, String, String) = (row.get(0), row.get(1), row.get(2));
        let (from_in, to_in): (bool, bool) = (row.get(3), row.get(4));
        match (from_in, to_in) {
            (true, false) => crossing.push((
                from.clone(),
                format!("its foreign key {name} references {to}, which must exist in the target"),
            )),
            (false, true) => crossing.push((
                to.clone(),
                format!("{from} references it ({name}) in the backup; that key is not restored"),
            )),
            _ => {}
        }
    }
    Ok(crossing)
}

/// Copies `tables` from the scratch database into the target's, moving a
/// table already there into schema `aside` first; row counts are checked
/// against `tables`' (the manifest's).
pub fn restore(
    target: &Target,
    scratch: &str,
    pg_dump: &Path,
    psql: &Path,
    tables: &[Table],
    aside: &str,
) -> Result<Vec<Restored>, DbError> {
    let present = existing(target, tables)?;
    let crossing = crossing_keys(target, scratch, tables)?;
    let mut prelude = String::new();
    for table in tables {
        prelude.push_str(&format!(
            "CREATE SCHEMA IF NOT EXISTS {};\n",
            ident(&table.schema)
        ));
        if present.contains(&table.qualified()) {
            prelude.push_str(&format!(
                "CREATE SCHEMA IF NOT EXISTS {0};\nALTER TABLE {1} SET SCHEMA {0};\n",
                ident(aside),
                qualified(table)
            ));
        }
    }
    let mut dump = tool_command(pg_dump, target, scratch);
    dump.arg("--format=plain").arg("--dbname").arg(scratch);
    for table in tables {
        dump.arg(format!("--table={}", qualified(table)));
    }
    dump.stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let dbname = target.dbname().to_owned();
    let mut load = tool_command(psql, target, &dbname);
    load.args([
        "--no-psqlrc",
        "--quiet",
        "--single-transaction",
        "-v",
        "ON_ERROR_STOP=1",
        "--dbname",
    ])
    .arg(&dbname)
    .stdin(Stdio::piped())
    .stdout(Stdio::null())
    .stderr(Stdio::piped());
    fn spawn_error(tool: &Path) -> impl Fn(std::io::Error) -> DbError + '_ {
        move |err| DbError::Tool {
            tool: tool_name(tool),
            message: err.to_string(),
        }
    }
    let mut dumping = dump.spawn().map_err(spawn_error(pg_dump))?;
    let mut loading = load.spawn().map_err(spawn_error(psql))?;
    let errors = |child: &mut std::process::Child| {
        let mut stderr = child.stderr.take().expect("stderr is piped");
        std::thread::spawn(move || {
            let mut text = Vec::new();
            let _ = stderr.read_to_end(&mut text);
            text
        })
    };
    let dump_errors = errors(&mut dumping);
    let load_errors = errors(&mut loading);
    let mut input = loading.stdin.take().expect("stdin is piped");
    let mut output = dumping.stdout.take().expect("stdout is piped");
    // A failed write means psql stopped; its own message says why.
    let _ = input
        .write_all(prelude.as_bytes())
        .and_then(|()| std::io::copy(&mut output, &mut input).map(drop));
    drop(input);
    drop(output);
    let dumped = dumping.wait().map_err(spawn_error(pg_dump))?;
    let loaded = loading.wait().map_err(spawn_error(psql))?;
    let dump_errors = dump_errors.join().unwrap_or_default();
    let load_errors = load_errors.join().unwrap_or_default();
    if !dumped.success() {
        return Err(DbError::Tool {
            tool: tool_name(pg_dump),
            message: tool_message(&dump_errors, dumped),
        });
    }
    if !loaded.success() {
        return Err(DbError::Tool {
            tool: tool_name(psql),
            message: format!(
                "{} (nothing was changed: one transaction)",
                tool_message(&load_errors, loaded)
            ),
        });
    }
    let (mut client, _) = target.connect()?;
    let mut restored = Vec::new();
    for table in tables {
        let rows: i64 = client
            .query_one(&format!("SELECT count(*) FROM {}", qualified(table)), &[])
            .map_err(query_error("counting the restored rows"))?
            .get(0);
        if rows != table.rows {
            return Err(DbError::Invalid(format!(
                "table {} has {rows} rows after the restore; the backup recorded {}",
                table.qualified(),
                table.rows
            )));
        }
        restored.push(Restored {
            table: table.qualified(),
            rows,
            kept_as: present
                .contains(&table.qualified())
                .then(|| format!("{aside}.{}", table.name)),
            notes: crossing
                .iter()
                .filter(|(of, _)| *of == table.qualified() || *of == qualified(table))
                .map(|(_, note)| note.clone())
                .collect(),
        });
    }
    Ok(restored)
}
