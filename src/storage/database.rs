//! The PostgreSQL part of a backup: a `pg_dump --format=custom --create`
//! taken from the same snapshot as the row counts and the database's own
//! properties the manifest records, checked by a full `pg_restore` read
//! before it counts; the cluster's roles and tablespaces
//! (`pg_dumpall --globals-only`) beside it; and the way back, restoring into
//! a scratch database that is swapped in only when its row counts match.
//!
//! Every file a tool writes here is created by maint first, mode 0600, so
//! the dump is never readable by others while it is being written.
//!
//! The client tools get the connection through `PG*` variables, the
//! password through `PGPASSWORD`: never on a command line, where `ps` shows it.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use postgres::Client;
use postgres::config::Host;

pub mod tables;

use super::manifest::{DatabaseProperties, Table};
use crate::probe::postgres::{PgError, Target};

#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error(transparent)]
    Connect(#[from] PgError),
    #[error("{tool} not found in {searched}")]
    Missing { tool: String, searched: String },
    #[error(
        "{tool} is version {tool_version}, older than the server ({server_version}): \
         it cannot dump that server correctly"
    )]
    TooOld {
        tool: String,
        tool_version: String,
        server_version: String,
    },
    #[error("{tool} failed: {message}")]
    Tool { tool: String, message: String },
    #[error("{context}: {message}")]
    Query { context: String, message: String },
    #[error("{0}")]
    Invalid(String),
}

fn query_error(context: &str) -> impl Fn(postgres::Error) -> DbError + '_ {
    move |err| DbError::Query {
        context: context.to_owned(),
        message: err
            .as_db_error()
            .map_or_else(|| err.to_string(), |db| db.message().to_owned()),
    }
}

/// Where `tool` is: in `pg_bin` when configured, else on PATH, else in the
/// newest `/usr/lib/postgresql/N/bin` (Debian puts versioned tools there).
pub fn find_tool(pg_bin: Option<&Path>, tool: &str) -> Result<PathBuf, DbError> {
    if let Some(dir) = pg_bin {
        let path = dir.join(tool);
        return if path.is_file() {
            Ok(path)
        } else {
            Err(DbError::Missing {
                tool: tool.to_owned(),
                searched: dir.display().to_string(),
            })
        };
    }
    let on_path = std::env::var_os("PATH")
        .map(|path| std::env::split_paths(&path).collect::<Vec<_>>())
        .unwrap_or_default();
    let mut debian: Vec<PathBuf> = std::fs::read_dir("/usr/lib/postgresql")
        .map(|dirs| {
            dirs.filter_map(Result::ok)
                .map(|d| d.path().join("bin"))
                .collect()
        })
        .unwrap_or_default();
    debian.sort_by_key(|dir| std::cmp::Reverse(major_of_dir(dir)));
    on_path
        .iter()
        .chain(&debian)
        .map(|dir| dir.join(tool))
        .find(|path| path.is_file())
        .ok_or_else(|| DbError::Missing {
            tool: tool.to_owned(),
            searched: "PATH and /usr/lib/postgresql/*/bin".to_owned(),
        })
}

fn major_of_dir(dir: &Path) -> u32 {
    dir.parent()
        .and_then(Path::file_name)
        .and_then(|v| v.to_str())
        .and_then(|v| v.parse().ok())
        .unwrap_or(0)
}

/// A version as one comparable number of its major release: 15.4 -> 1500, 9.6.24 -> 906.
fn major_number(version: &str) -> Option<u32> {
    let mut parts = version.split(|c: char| !c.is_ascii_digit());
    let first: u32 = parts.next()?.parse().ok()?;
    if first >= 10 {
        Some(first * 100)
    } else {
        Some(first * 100 + parts.next()?.parse::<u32>().ok()?)
    }
}

/// `pg_dump --version` -> `15.4`.
pub fn tool_version(tool: &Path) -> Result<String, DbError> {
    let name = tool_name(tool);
    let output = Command::new(tool)
        .arg("--version")
        .stdin(Stdio::null())
        .output()
        .map_err(|err| DbError::Tool {
            tool: name.clone(),
            message: err.to_string(),
        })?;
    let text = String::from_utf8_lossy(&output.stdout);
    text.split_whitespace()
        .find(|word| word.starts_with(|c: char| c.is_ascii_digit()))
        .map(str::to_owned)
        .ok_or_else(|| DbError::Tool {
            tool: name,
            message: format!("unexpected --version output {:?}", text.trim()),
        })
}

fn tool_name(tool: &Path) -> String {
    tool.file_name().map_or_else(
        || tool.display().to_string(),
        |n| n.to_string_lossy().into_owned(),
    )
}

/// A client tool with the target's connection in its environment.
fn tool_command(tool: &Path, target: &Target, dbname: &str) -> Command {
    let mut command = Command::new(tool);
    for var in [
        "PGHOST",
        "PGHOSTADDR",
        "PGPORT",
        "PGUSER",
        "PGDATABASE",
        "PGPASSWORD",
        "PGSERVICE",
        "PGSSLMODE",
        "PGSSLROOTCERT",
    ] {
        command.env_remove(var);
    }
    // The tools speak TLS as maint's own connection does.
    command.env("PGSSLMODE", target.tls.mode.as_str());
    if let Some(root) = &target.tls.root_cert {
        command.env("PGSSLROOTCERT", root);
    }
    let config = &target.config;
    match config.get_hosts().first() {
        Some(Host::Tcp(name)) => {
            command.env("PGHOST", name);
        }
        Some(Host::Unix(path)) => {
            command.env("PGHOST", path);
        }
        None => {}
    }
    if let Some(port) = config.get_ports().first() {
        command.env("PGPORT", port.to_string());
    }
    command.env("PGUSER", target.user());
    command.env("PGDATABASE", dbname);
    if let Some(password) = config.get_password() {
        command.env("PGPASSWORD", String::from_utf8_lossy(password).into_owned());
    }
    command.env(
        "PGCONNECT_TIMEOUT",
        target.connect_timeout().as_secs().max(1).to_string(),
    );
    command.env("PGAPPNAME", "maint");
    command.arg("--no-password");
    command.stdin(Stdio::null());
    command
}

/// Runs a prepared tool command, its stderr kept for the error.
fn run_tool(mut command: Command, tool: &Path) -> Result<String, DbError> {
    let output = command.output().map_err(|err| DbError::Tool {
        tool: tool_name(tool),
        message: err.to_string(),
    })?;
    if output.status.success() {
        return Ok(String::from_utf8_lossy(&output.stdout).into_owned());
    }
    Err(DbError::Tool {
        tool: tool_name(tool),
        message: tool_message(&output.stderr, output.status),
    })
}

fn tool_message(stderr: &[u8], status: std::process::ExitStatus) -> String {
    let text = String::from_utf8_lossy(stderr);
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .take(3)
        .collect();
    let message = if lines.is_empty() {
        status.to_string()
    } else {
        lines.join(" / ")
    };
    crate::redact::secrets_in_text(&message)
}

/// The dump and what the manifest records about the database.
#[derive(Clone, Debug)]
pub struct Dumped {
    pub database: String,
    pub server_version: String,
    pub pg_dump_version: String,
    pub tables: Vec<Table>,
    /// Encoding, collation, ACL, settings, comment, owner, from the same snapshot.
    pub properties: Option<DatabaseProperties>,
}

/// Connects and checks that `pg_dump` is not older than the server: a
/// setup check, before anything is written.
pub fn check_versions(
    target: &Target,
    pg_dump: &Path,
) -> Result<(Client, String, String), DbError> {
    // Login and the first query together get twice the connect limit, as
    // every db command's: a server that takes the login and then stops
    // answering cannot hold the backup before it starts.
    let limit = target.connect_limit() * 2;
    let owned = target.clone();
    let (client, server_version) = crate::parallel::within(limit, move || {
        let (mut client, _) = owned.connect()?;
        let version: String = client
            .query_one("SELECT current_setting('server_version')", &[])
            .map_err(query_error("reading the server version"))?
            .get(0);
        Ok::<_, DbError>((client, version))
    })
    .unwrap_or_else(|| {
        Err(DbError::from(
            target.no_answer(limit, "to the connection and the first query"),
        ))
    })?;
    let tool_version = tool_version(pg_dump)?;
    let server_version = server_version
        .split_whitespace()
        .next()
        .unwrap_or_default()
        .to_owned();
    if major_number(&tool_version) < major_number(&server_version) {
        return Err(DbError::TooOld {
            tool: pg_dump.display().to_string(),
            tool_version,
            server_version,
        });
    }
    Ok((client, server_version, tool_version))
}

/// Dumps the target's database to `out` from one snapshot, counting every
/// table's rows in that same snapshot.
pub fn dump(
    target: &Target,
    client: &mut Client,
    pg_dump: &Path,
    versions: (String, String),
    out: &Path,
) -> Result<Dumped, DbError> {
    let mut transaction = client
        .build_transaction()
        .isolation_level(postgres::IsolationLevel::RepeatableRead)
        .read_only(true)
        .start()
        .map_err(query_error("starting the snapshot transaction"))?;
    let snapshot: String = transaction
        .query_one("SELECT pg_export_snapshot()", &[])
        .map_err(query_error("exporting the snapshot"))?
        .get(0);
    let tables = count_tables(&mut transaction)?;
    let properties = database_properties(&mut transaction, target.dbname())?;
    private_file(out).map_err(|err| DbError::Tool {
        tool: tool_name(pg_dump),
        message: format!("cannot create {}: {err}", out.display()),
    })?;
    let mut command = tool_command(pg_dump, target, target.dbname());
    // --create: the dump holds the database itself (encoding, collation,
    // ACL, ALTER DATABASE ... SET settings, comment) for `pg_restore --create`.
    command
        .arg("--format=custom")
        .arg("--create")
        .arg(format!("--snapshot={snapshot}"))
        .arg("--file")
        .arg(out);
    // The transaction stays open until pg_dump is done: the snapshot lives with it.
    run_tool(command, pg_dump)?;
    transaction
        .commit()
        .map_err(query_error("ending the snapshot transaction"))?;
    Ok(Dumped {
        database: target.dbname().to_owned(),
        server_version: versions.0,
        pg_dump_version: versions.1,
        tables,
        properties: Some(properties),
    })
}

/// Creates `path` empty, mode 0600, failing if it exists: a tool then
/// writes into a file nobody else can read (it keeps the mode on truncate).
pub fn private_file(path: &Path) -> std::io::Result<()> {
    use std::os::unix::fs::OpenOptionsExt;
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(path)
        .map(drop)
}

/// What the database itself is, beyond its contents.
pub fn database_properties(
    client: &mut impl postgres::GenericClient,
    dbname: &str,
) -> Result<DatabaseProperties, DbError> {
    let row = client
        .query_one(
            "SELECT pg_encoding_to_char(d.encoding), d.datcollate::text, d.datctype::text,
                    d.datacl::text, pg_get_userbyid(d.datdba)::text,
                    shobj_description(d.oid, 'pg_database'),
                    coalesce((SELECT s.setconfig FROM pg_db_role_setting s
                              WHERE s.setdatabase = d.oid AND s.setrole = 0), '{}')
             FROM pg_database d WHERE d.datname = $1",
            &[&dbname],
        )
        .map_err(query_error("reading the database's properties"))?;
    Ok(DatabaseProperties {
        encoding: row.get(0),
        collate: row.get(1),
        ctype: row.get(2),
        acl: row.get(3),
        owner: row.get(4),
        comment: row.get(5),
        settings: row.get(6),
    })
}

/// Roles (with their attributes and memberships) and tablespaces, as
/// `pg_dumpall --globals-only` writes them, into `out` (created 0600). Role
/// passwords need a superuser; without one they are left out
/// (`--no-role-passwords`) and the returned note says so.
pub fn dump_globals(
    target: &Target,
    pg_dumpall: &Path,
    out: &Path,
) -> Result<Option<String>, DbError> {
    let run = |extra: Option<&str>| {
        let _ = std::fs::remove_file(out);
        private_file(out).map_err(|err| DbError::Tool {
            tool: tool_name(pg_dumpall),
            message: format!("cannot create {}: {err}", out.display()),
        })?;
        let mut command = tool_command(pg_dumpall, target, target.dbname());
        command
            .arg("--globals-only")
            .arg("--database")
            .arg(target.dbname())
            .arg("--file")
            .arg(out);
        if let Some(extra) = extra {
            command.arg(extra);
        }
        run_tool(command, pg_dumpall)
    };
    match run(None) {
        Ok(_) => Ok(None),
        Err(first) => {
            if run(Some("--no-role-passwords")).is_ok() {
                Ok(Some(format!(
                    "roles were dumped without their passwords ({first}); a superuser's backup keeps them"
                )))
            } else {
                let _ = std::fs::remove_file(out);
                Err(first)
            }
        }
    }
}

const TABLES_SQL: &str = "
    SELECT n.nspname, c.relname, format('%I.%I', n.nspname, c.relname)
    FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
    WHERE c.relkind = 'r'
      AND n.nspname NOT IN ('pg_catalog', 'information_schema')
      AND n.nspname !~ '^pg_(toast|temp)'
      AND NOT EXISTS (SELECT 1 FROM pg_depend d
                      WHERE d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e')
    ORDER BY 1, 2";

/// Every user table and its row count, as this connection sees them.
pub fn count_tables(client: &mut impl postgres::GenericClient) -> Result<Vec<Table>, DbError> {
    let rows = client
        .query(TABLES_SQL, &[])
        .map_err(query_error("listing the tables"))?;
    let mut tables = Vec::with_capacity(rows.len());
    for row in rows {
        let quoted: String = row.get(2);
        let count: i64 = client
            .query_one(&format!("SELECT count(*) FROM {quoted}"), &[])
            .map_err(query_error(&format!("counting the rows of {quoted}")))?
            .get(0);
        tables.push(Table {
            schema: row.get(0),
            name: row.get(1),
            rows: count,
        });
    }
    Ok(tables)
}

/// Reads the whole dump back with `pg_restore` (every data block, to
/// /dev/null) and checks it holds the data of every table that has rows:
/// an empty or cut dump must never count as a backup.
pub fn validate_dump(pg_restore: &Path, dump: &Path, tables: &[Table]) -> Result<(), DbError> {
    let mut list = Command::new(pg_restore);
    list.arg("--list").arg(dump).stdin(Stdio::null());
    let listing = run_tool(list, pg_restore)?;
    for table in tables.iter().filter(|t| t.rows > 0) {
        let needle = format!(" TABLE DATA {} {} ", table.schema, table.name);
        if !listing.contains(&needle) {
            return Err(DbError::Invalid(format!(
                "the dump holds no data for table {} ({} rows)",
                table.qualified(),
                table.rows
            )));
        }
    }
    let mut read = Command::new(pg_restore);
    read.arg("--file=/dev/null").arg(dump).stdin(Stdio::null());
    run_tool(read, pg_restore)?;
    Ok(())
}

/// `"name"`, quoted for SQL.
pub fn ident(name: &str) -> String {
    format!("\"{}\"", name.replace('"', "\"\""))
}

/// The same server, another database (`postgres` for CREATE/ALTER DATABASE).
pub fn on_database(target: &Target, dbname: &str) -> Target {
    target.on_database(dbname)
}

/// Creates `scratch` as the dumped database was (encoding, collation and
/// ctype, then owner, `ALTER DATABASE ... SET` settings, comment and ACL,
/// from `properties`, which a `pg_dump --create` dump carries), and restores
/// the dump's contents into it with `pg_restore`. What this server cannot
/// take (a collation it lacks, an owner it does not have) is said in the
/// returned notes; the data itself must restore in full.
pub fn restore_scratch(
    target: &Target,
    pg_restore: &Path,
    dump: &Path,
    scratch: &str,
    properties: Option<&DatabaseProperties>,
) -> Result<Vec<String>, DbError> {
    let (mut admin, _) = on_database(target, "postgres").connect()?;
    let mut notes = Vec::new();
    let plain = format!("CREATE DATABASE {} TEMPLATE template0", ident(scratch));
    let mut attempts = Vec::new();
    if let Some(p) = properties {
        attempts.push((
            format!(
                "{plain} ENCODING {} LC_COLLATE {} LC_CTYPE {}",
                literal(&p.encoding),
                literal(&p.collate),
                literal(&p.ctype)
            ),
            None,
        ));
        attempts.push((
            format!("{plain} ENCODING {} LC_COLLATE 'C' LC_CTYPE 'C'", literal(&p.encoding)),
            Some(format!(
                "collation {} and ctype {} are not available on this server: the database uses C (encoding {} kept)",
                p.collate, p.ctype, p.encoding
            )),
        ));
    }
    attempts.push((plain.clone(), properties.map(|p| {
        format!("encoding {} is not available with this server's locales: the database uses the server's default", p.encoding)
    })));
    let mut created = Err(DbError::Invalid("no attempt".to_owned()));
    for (sql, note) in attempts {
        created = admin
            .batch_execute(&sql)
            .map_err(query_error("creating the scratch database"));
        if created.is_ok() {
            notes.extend(note);
            break;
        }
    }
    created?;
    let mut command = tool_command(pg_restore, target, scratch);
    command
        .arg("--exit-on-error")
        .arg("--dbname")
        .arg(scratch)
        .arg(dump);
    if let Err(err) = run_tool(command, pg_restore) {
        let _ = drop_database(target, scratch);
        return Err(err);
    }
    if let Some(p) = properties {
        for (sql, what) in property_statements(scratch, p) {
            if let Err(err) = admin.batch_execute(&sql) {
                let message = err
                    .as_db_error()
                    .map_or_else(|| err.to_string(), |db| db.message().to_owned());
                notes.push(format!("{what} not restored: {message}"));
            }
        }
    }
    Ok(notes)
}

/// A string as an SQL literal (standard_conforming_strings is on).
pub fn literal(text: &str) -> String {
    format!("'{}'", text.replace('\'', "''"))
}

/// Settings whose value is a list, each element its own literal (as
/// `pg_dump` writes them: `SET search_path TO 'app', 'public'`).
const LIST_SETTINGS: &[&str] = &[
    "search_path",
    "temp_tablespaces",
    "session_preload_libraries",
    "local_preload_libraries",
    "shared_preload_libraries",
    "unix_socket_directories",
];

/// `a, "b c"` -> `a`, `b c`: a list setting's elements.
fn list_elements(value: &str) -> Vec<String> {
    let mut elements = Vec::new();
    let mut current = String::new();
    let mut quoted = false;
    let mut chars = value.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                chars.next();
                current.push('"');
            }
            '"' => quoted = !quoted,
            ',' if !quoted => elements.push(std::mem::take(&mut current).trim().to_owned()),
            c => current.push(c),
        }
    }
    elements.push(current.trim().to_owned());
    elements
}

/// The statements that give `database` the dumped database's owner,
/// settings, comment and ACL, each with what it restores.
fn property_statements(database: &str, p: &DatabaseProperties) -> Vec<(String, String)> {
    let db = ident(database);
    let mut statements = vec![(
        format!("ALTER DATABASE {db} OWNER TO {}", ident(&p.owner)),
        format!("owner {}", p.owner),
    )];
    for setting in &p.settings {
        let Some((name, value)) = setting.split_once('=') else {
            continue;
        };
        let values = if LIST_SETTINGS.contains(&name.to_ascii_lowercase().as_str()) {
            list_elements(value)
                .iter()
                .map(|v| literal(v))
                .collect::<Vec<_>>()
                .join(", ")
        } else {
            literal(value)
        };
        statements.push((
            format!("ALTER DATABASE {db} SET {} TO {values}", ident(name)),
            format!("setting {setting}"),
        ));
    }
    if let Some(comment) = &p.comment {
        statements.push((
            format!("COMMENT ON DATABASE {db} IS {}", literal(comment)),
            "the comment".to_owned(),
        ));
    }
    if let Some(acl) = &p.acl {
        let mut sql = format!(
            "REVOKE ALL ON DATABASE {db} FROM PUBLIC; REVOKE ALL ON DATABASE {db} FROM {};",
            ident(&p.owner)
        );
        for (grantee, privileges) in acl_items(acl) {
            let to = grantee
                .as_deref()
                .map_or_else(|| "PUBLIC".to_owned(), ident);
            let plain: Vec<&str> = privileges
                .iter()
                .filter(|(_, g)| !g)
                .map(|(p, _)| *p)
                .collect();
            let granting: Vec<&str> = privileges
                .iter()
                .filter(|(_, g)| *g)
                .map(|(p, _)| *p)
                .collect();
            if !plain.is_empty() {
                sql.push_str(&format!(
                    "GRANT {} ON DATABASE {db} TO {to};",
                    plain.join(", ")
                ));
            }
            if !granting.is_empty() {
                sql.push_str(&format!(
                    "GRANT {} ON DATABASE {db} TO {to} WITH GRANT OPTION;",
                    granting.join(", ")
                ));
            }
        }
        statements.push((sql, format!("the access privileges {acl}")));
    }
    statements
}

/// A database privilege and whether it comes with the grant option.
type Privilege = (&'static str, bool);

/// `{=Tc/app,"my role"=C*/app}` -> (None, [TEMPORARY, CONNECT]),
/// (Some("my role"), [CREATE with grant option]).
fn acl_items(acl: &str) -> Vec<(Option<String>, Vec<Privilege>)> {
    let inner = acl.trim_start_matches('{').trim_end_matches('}');
    let mut items = Vec::new();
    let mut rest = inner;
    while !rest.is_empty() {
        // An item may be quoted as a whole in the array: "\"my role\"=c/app".
        let (item, after) = split_array_item(rest);
        rest = after;
        let Some((grantee, privileges)) = item
            .rsplit_once('/')
            .map(|(left, _grantor)| left)
            .and_then(|left| {
                let at = find_unquoted(left, '=')?;
                Some((&left[..at], &left[at + 1..]))
            })
        else {
            continue;
        };
        let grantee = if grantee.is_empty() {
            None
        } else if let Some(quoted) = grantee.strip_prefix('"').and_then(|g| g.strip_suffix('"')) {
            Some(quoted.replace("\"\"", "\""))
        } else {
            Some(grantee.to_owned())
        };
        let mut list = Vec::new();
        let mut letters = privileges.chars().peekable();
        while let Some(letter) = letters.next() {
            let name = match letter {
                'C' => "CREATE",
                'T' => "TEMPORARY",
                'c' => "CONNECT",
                _ => continue,
            };
            let grant_option = letters.peek() == Some(&'*');
            if grant_option {
                letters.next();
            }
            list.push((name, grant_option));
        }
        items.push((grantee, list));
    }
    items
}

/// The first element of a PostgreSQL array's text (unquoted) and the rest.
fn split_array_item(text: &str) -> (String, &str) {
    if let Some(quoted) = text.strip_prefix('"') {
        let mut item = String::new();
        let mut chars = quoted.char_indices();
        while let Some((at, c)) = chars.next() {
            match c {
                '\\' => {
                    if let Some((_, next)) = chars.next() {
                        item.push(next);
                    }
                }
                '"' => {
                    let rest = &quoted[at + 1..];
                    return (item, rest.strip_prefix(',').unwrap_or(rest));
                }
                c => item.push(c),
            }
        }
        (item, "")
    } else {
        match text.split_once(',') {
            Some((item, rest)) => (item.to_owned(), rest),
            None => (text.to_owned(), ""),
        }
    }
}

fn find_unquoted(text: &str, wanted: char) -> Option<usize> {
    let mut quoted = false;
    for (at, c) in text.char_indices() {
        match c {
            '"' => quoted = !quoted,
            c if c == wanted && !quoted => return Some(at),
            _ => {}
        }
    }
    None
}

/// What putting the roles and tablespaces back did.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct GlobalsRestored {
    /// Roles that did not exist and were made.
    pub created: Vec<String>,
    /// Statements the server refused (a tablespace folder missing ...).
    pub problems: Vec<String>,
}

/// Puts back the roles and tablespaces of a `pg_dumpall --globals-only`
/// dump (`sql`) with `psql`, as a restore onto a fresh server needs them:
/// only what this server lacks is made; a role or tablespace that exists is
/// left exactly as it is (its password, attributes and comment are not
/// the backup's business any more). Memberships are granted.
pub fn restore_globals(
    target: &Target,
    psql: &Path,
    sql: &str,
) -> Result<GlobalsRestored, DbError> {
    let (mut admin, _) = on_database(target, "postgres").connect()?;
    let mut names = |query: &str, what: &str| -> Result<Vec<String>, DbError> {
        Ok(admin
            .query(query, &[])
            .map_err(query_error(what))?
            .iter()
            .map(|row| row.get(0))
            .collect())
    };
    let roles = names("SELECT rolname::text FROM pg_roles", "listing the roles")?;
    let spaces = names(
        "SELECT spcname::text FROM pg_tablespace",
        "listing the tablespaces",
    )?;
    let mut kept = String::new();
    let mut created = Vec::new();
    for statement in statements(sql) {
        let about = |prefixes: &[&str]| {
            prefixes
                .iter()
                .find_map(|prefix| statement.strip_prefix(prefix))
                .map(leading_ident)
        };
        if let Some(role) = about(&["CREATE ROLE "]) {
            if roles.contains(&role) {
                continue;
            }
            created.push(role);
        } else if let Some(role) = about(&["ALTER ROLE ", "COMMENT ON ROLE "]) {
            if roles.contains(&role) {
                continue;
            }
        } else if let Some(space) = about(&[
            "CREATE TABLESPACE ",
            "ALTER TABLESPACE ",
            "COMMENT ON TABLESPACE ",
        ]) {
            if spaces.contains(&space) {
                continue;
            }
        } else if statement.starts_with("GRANT ")
            && let Some(at) = statement.find(" ON TABLESPACE ")
            && spaces.contains(&leading_ident(&statement[at + " ON TABLESPACE ".len()..]))
        {
            continue;
        }
        kept.push_str(&statement);
        kept.push('\n');
    }
    let mut command = tool_command(psql, target, "postgres");
    command
        .args(["-X", "-q", "-v", "ON_ERROR_STOP=0", "-f", "-"])
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let failed = |err: std::io::Error| DbError::Tool {
        tool: tool_name(psql),
        message: err.to_string(),
    };
    let mut child = command.spawn().map_err(failed)?;
    if let Some(mut stdin) = child.stdin.take() {
        std::io::Write::write_all(&mut stdin, kept.as_bytes()).map_err(failed)?;
    }
    let output = child.wait_with_output().map_err(failed)?;
    if !output.status.success() {
        return Err(DbError::Tool {
            tool: tool_name(psql),
            message: tool_message(&output.stderr, output.status),
        });
    }
    let problems = String::from_utf8_lossy(&output.stderr)
        .lines()
        .filter_map(|line| line.split_once("ERROR:").map(|(_, m)| m.trim().to_owned()))
        .map(|m| crate::redact::secrets_in_text(&m))
        .collect();
    Ok(GlobalsRestored { created, problems })
}

/// The statements of a plain SQL dump, each whole (quotes respected), and
/// psql's meta-commands (`\restrict`...) each alone; comments dropped.
fn statements(sql: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut current = String::new();
    let mut chars = sql.chars().peekable();
    let (mut quote, mut dquote) = (false, false);
    while let Some(c) = chars.next() {
        let fresh = current.trim().is_empty();
        if !quote && !dquote && fresh && (c == '\\' || (c == '-' && chars.peek() == Some(&'-'))) {
            let mut line = String::from(c);
            for next in chars.by_ref() {
                if next == '\n' {
                    break;
                }
                line.push(next);
            }
            if c == '\\' {
                out.push(line);
            }
            current.clear();
            continue;
        }
        current.push(c);
        match c {
            '\'' if !dquote => quote = !quote,
            '"' if !quote => dquote = !dquote,
            ';' if !quote && !dquote => {
                out.push(current.trim().to_owned());
                current.clear();
            }
            _ => {}
        }
    }
    if !current.trim().is_empty() {
        out.push(current.trim().to_owned());
    }
    out
}

/// The identifier a statement's text starts with, unquoted.
fn leading_ident(text: &str) -> String {
    if let Some(quoted) = text.strip_prefix('"') {
        let mut name = String::new();
        let mut chars = quoted.chars().peekable();
        while let Some(c) = chars.next() {
            if c == '"' {
                if chars.peek() == Some(&'"') {
                    chars.next();
                    name.push('"');
                } else {
                    break;
                }
            } else {
                name.push(c);
            }
        }
        name
    } else {
        text.split(|c: char| c.is_whitespace() || c == ';')
            .next()
            .unwrap_or_default()
            .to_owned()
    }
}

pub fn drop_database(target: &Target, name: &str) -> Result<(), DbError> {
    let (mut admin, _) = on_database(target, "postgres").connect()?;
    admin
        .batch_execute(&format!("DROP DATABASE IF EXISTS {}", ident(name)))
        .map_err(query_error(&format!("dropping database {name}")))
}

/// Row counts that differ between what the manifest recorded and a database.
pub fn compare_counts(expected: &[Table], actual: &[Table]) -> Vec<String> {
    let mut problems = Vec::new();
    for table in expected {
        match actual
            .iter()
            .find(|t| t.schema == table.schema && t.name == table.name)
        {
            None => problems.push(format!("table {} is missing", table.qualified())),
            Some(found) if found.rows != table.rows => problems.push(format!(
                "table {}: {} rows, the manifest says {}",
                table.qualified(),
                found.rows,
                table.rows
            )),
            Some(_) => {}
        }
    }
    for table in actual {
        if !expected
            .iter()
            .any(|t| t.schema == table.schema && t.name == table.name)
        {
            problems.push(format!(
                "table {} is not in the manifest",
                table.qualified()
            ));
        }
    }
    problems
}

pub fn count_in(target: &Target, dbname: &str) -> Result<Vec<Table>, DbError> {
    let (mut client, _) = on_database(target, dbname).connect()?;
    count_tables(&mut client)
}

/// Swaps `scratch` in as the target's database in one transaction; the
/// database it replaces is renamed to `rollback`. Sessions on the old
/// database block the rename: with `terminate` they are ended first,
/// otherwise the swap is refused.
pub fn swap_in(
    target: &Target,
    scratch: &str,
    rollback: &str,
    terminate: bool,
) -> Result<bool, DbError> {
    let name = target.dbname().to_owned();
    let (mut admin, _) = on_database(target, "postgres").connect()?;
    let exists = admin
        .query_opt("SELECT 1 FROM pg_database WHERE datname = $1", &[&name])
        .map_err(query_error("looking up the database"))?
        .is_some();
    if exists {
        let sessions: i64 = admin
            .query_one(
                "SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
                &[&name],
            )
            .map_err(query_error("counting sessions"))?
            .get(0);
        if sessions > 0 && !terminate {
            return Err(DbError::Invalid(format!(
                "database {name} has {sessions} open session(s); stop the application first"
            )));
        }
        if sessions > 0 {
            admin
                .execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = $1 AND pid <> pg_backend_pid()",
                    &[&name],
                )
                .map_err(query_error("ending sessions"))?;
        }
    }
    let mut sql = String::from("BEGIN;");
    if exists {
        sql.push_str(&format!(
            "ALTER DATABASE {} RENAME TO {};",
            ident(&name),
            ident(rollback)
        ));
    }
    sql.push_str(&format!(
        "ALTER DATABASE {} RENAME TO {}; COMMIT;",
        ident(scratch),
        ident(&name)
    ));
    admin
        .batch_execute(&sql)
        .map_err(query_error("swapping the restored database in"))?;
    Ok(exists)
}

/// A database name made of `base` and a suffix, within PostgreSQL's 63 bytes.
pub fn derived_name(base: &str, suffix: &str) -> String {
    let room = 63usize.saturating_sub(suffix.len());
    let mut cut = base.len().min(room);
    while !base.is_char_boundary(cut) {
        cut -= 1;
    }
    format!("{}{suffix}", &base[..cut])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn versions_compare_by_major_release() {
        assert_eq!(major_number("15.4"), Some(1500));
        assert_eq!(major_number("16beta1"), Some(1600));
        assert_eq!(major_number("9.6.24"), Some(906));
        assert!(major_number("9.6.24") < major_number("10.1"));
    }

    #[test]
    fn globals_split_into_statements_and_acls_into_grants() {
        let sql = "--\n-- Roles\n--\n\\restrict abc\nSET x = 'a;b';\nCREATE ROLE \"odd \"\"role\";\nCOMMENT ON ROLE \"odd \"\"role\" IS 'two\nlines; here';\n\\unrestrict abc\n";
        let all = statements(sql);
        assert_eq!(
            all,
            [
                "\\restrict abc",
                "SET x = 'a;b';",
                "CREATE ROLE \"odd \"\"role\";",
                "COMMENT ON ROLE \"odd \"\"role\" IS 'two\nlines; here';",
                "\\unrestrict abc"
            ]
        );
        assert_eq!(leading_ident(&all[2]["CREATE ROLE ".len()..]), "odd \"role");
        assert_eq!(leading_ident("app WITH LOGIN;"), "app");
        assert_eq!(
            acl_items("{=Tc/app,app=CTc/app,\"\\\"my role\\\"=c*/app\"}"),
            [
                (None, vec![("TEMPORARY", false), ("CONNECT", false)]),
                (
                    Some("app".to_owned()),
                    vec![("CREATE", false), ("TEMPORARY", false), ("CONNECT", false)]
                ),
                (Some("my role".to_owned()), vec![("CONNECT", true)]),
            ]
        );
        assert_eq!(list_elements("\"$user\", public"), ["$user", "public"]);
        assert_eq!(literal("it's"), "'it''s'");
    }

    #[test]
    fn names_fit_postgres_limits() {
        let long = "a".repeat(80);
        assert_eq!(derived_name(&long, "_x").len(), 63);
        assert_eq!(derived_name("app", "_restore"), "app_restore");
        assert_eq!(ident("we\"ird"), "\"we\"\"ird\"");
    }
}
