//! `maint backup create` and the catalog against the rest of issue 11: an
//! unreadable source file on a failing disk (case 8), a retention policy
//! that keeps nothing and backups dated in the future (case 7), `prune`
//! after a `create` killed with `kill -9` (case 9), the database dump's
//! modes while `create` and `drill` run, and a folder swapped for a symlink
//! while the walk is inside it.

use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use chrono::Utc;

use crate::backup::{Scene, message, noise, shell};
use crate::support::command::{Output, wait_for};
use crate::support::maint;

/// The member names of a tar.gz as GNU tar lists them, without the `./`
/// prefix and the trailing `/` of folders.
fn listing(archive: &Path) -> Vec<String> {
    let out = shell(&format!("tar tzf {}", archive.display()), Path::new("/"));
    assert!(
        out.status.success(),
        "tar tzf {}: {}",
        archive.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout)
        .lines()
        .map(|l| l.trim_start_matches("./").trim_end_matches('/').to_owned())
        .collect()
}

/// One member's content, as GNU tar extracts it.
fn member(archive: &Path, name: &str) -> Vec<u8> {
    let out = shell(
        &format!("tar xzOf {} {name}", archive.display()),
        Path::new("/"),
    );
    assert!(
        out.status.success(),
        "tar xzOf {} {name}: {}",
        archive.display(),
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// Copies `archive` and its sidecars to a backup of the same name made at
/// `time` (`YYYYMMDDTHHMMSSZ`), as a host with a wrong clock would have
/// named it; returns the copy.
fn copy_as_made_at(archive: &Path, time: &str) -> PathBuf {
    let dest = archive.parent().unwrap();
    let old = archive.file_name().unwrap().to_string_lossy().into_owned();
    let old_stem = old.trim_end_matches(".tar.gz");
    let (name, rest) = old_stem.split_once('-').unwrap();
    let kind = rest.split_once('-').unwrap().1;
    let stem = format!("{name}-{time}-{kind}");
    let new = format!("{stem}.tar.gz");
    fs::copy(archive, dest.join(&new)).unwrap();
    let sha = fs::read_to_string(dest.join(format!("{old}.sha256")))
        .unwrap()
        .replace(&old, &new);
    fs::write(dest.join(format!("{new}.sha256")), sha).unwrap();
    for sidecar in ["manifest.json", "verify.json"] {
        fs::copy(
            dest.join(format!("{old_stem}.{sidecar}")),
            dest.join(format!("{stem}.{sidecar}")),
        )
        .unwrap();
    }
    dest.join(new)
}

/// Deletes a backup and its sidecars.
fn delete_backup(archive: &Path) {
    let name = archive.file_name().unwrap().to_string_lossy().into_owned();
    let stem = name.trim_end_matches(".tar.gz");
    for entry in fs::read_dir(archive.parent().unwrap()).unwrap() {
        let entry = entry.unwrap();
        if entry.file_name().to_string_lossy().starts_with(stem) {
            fs::remove_file(entry.path()).unwrap();
        }
    }
}

fn file_name(path: &Path) -> String {
    path.file_name().unwrap().to_string_lossy().into_owned()
}

fn can_mount_fuse() -> bool {
    let ok = rustix::process::geteuid().is_root() && Path::new("/dev/fuse").exists();
    if !ok {
        eprintln!(
            "skipped: mounting a FUSE filesystem in a private namespace needs root and /dev/fuse"
        );
    }
    ok
}

/// A script for `run_in_private_mounts`: mounts the FUSE fixture `fixture`
/// at `point` (with `args` after it), runs maint ("$@"), then kills the
/// filesystem. Both are bounded so a regression fails instead of hanging.
fn under_fuse(fixture: &str, point: &Path, args: &str) -> String {
    let fixture = format!("{}/tests/fixtures/{fixture}", env!("CARGO_MANIFEST_DIR"));
    let point = point.display();
    format!(
        r#"/usr/bin/python3 {fixture} {point} {args} & fs=$!
        (sleep 120; kill -9 $fs) >/dev/null 2>&1 & watchdog=$!
        for _ in $(seq 200); do grep -q " {point} " /proc/self/mountinfo && break; sleep 0.05; done
        if ! grep -q " {point} " /proc/self/mountinfo; then
          echo "the FUSE fixture {fixture} did not mount" >&2; kill -9 $fs $watchdog; exit 99
        fi
        timeout -s KILL 60 "$@"; code=$?
        kill -9 $fs $watchdog; exit $code"#
    )
}

// Case 8: one unreadable file aborted the whole backup, and the error
// blamed the destination ("cannot write the archive...; df -h DEST")
// without naming the file. GNU tar names the file and goes on.

/// `maint --format json backup create` of a tree with the failing disk
/// (tests/fixtures/eiofs.py) mounted at `src/disk`.
fn create_on_a_failing_disk() -> (Scene, Output) {
    let scene = Scene::new();
    let disk = scene.path("src/disk");
    fs::create_dir(&disk).unwrap();
    let out = maint()
        .json()
        .args(scene.create_command().arguments())
        .run_in_private_mounts(&under_fuse("eiofs.py", &disk, ""));
    (scene, out)
}

#[test]
fn unreadable_source_files_on_a_failing_disk_are_named_and_the_backup_goes_on() {
    if !can_mount_fuse() {
        return;
    }
    let (scene, out) = create_on_a_failing_disk();
    out.code(1);
    for blame in ["cannot write", "df -h", "No space", "destination"] {
        out.nowhere(blame);
    }

    // Each failure is named with what happened to it.
    let notes: Vec<(String, String)> = out.json()["sections"]["warnings"]
        .as_array()
        .unwrap_or_else(|| panic!("no warnings table: {}", out.stdout))
        .iter()
        .map(|row| {
            (
                row["path"].as_str().unwrap().to_owned(),
                row["note"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    let note = |path: &str| {
        notes.iter().find(|(p, _)| p == path).map_or_else(
            || panic!("{path} is not named: {notes:?}"),
            |(_, n)| n.clone(),
        )
    };
    assert_eq!(notes.len(), 5, "{notes:?}");
    let eio = "Input/output error";
    assert!(
        note("disk/unreadable.bin")
            .starts_with(&format!("cannot read: {eio} (os error 5) at byte 0;")),
        "{notes:?}"
    );
    assert!(
        note("disk/fails-later.bin")
            .starts_with(&format!("cannot read: {eio} (os error 5) at byte 65536;")),
        "{notes:?}"
    );
    assert_eq!(
        note("disk/unopenable.txt"),
        format!("cannot read: {eio} (os error 5); not in the backup")
    );
    assert_eq!(
        note("disk/bad-stat.txt"),
        format!("cannot read: {eio} (os error 5); not in the backup")
    );
    assert!(note("disk/bad-dir").contains(eio), "{notes:?}");
    let files = out.check("files");
    assert_eq!(files["status"], "WARNING");
    let summary = files["message"].as_str().unwrap();
    assert!(
        summary.starts_with("disk/bad-dir: ") && summary.ends_with("(and 2 more)"),
        "{summary}"
    );
    assert!(
        !files["hint"].as_str().unwrap().contains("df -h"),
        "{files}"
    );

    // The backup was written, verifies, and holds everything that could be read.
    let archive = scene.only_archive();
    assert_eq!(out.check("archive")["status"], "OK");
    maint()
        .args(["backup", "verify"])
        .arg(&archive)
        .run()
        .code(0);
    let names = listing(&archive);
    for present in [
        "config/app.yaml",
        "data/blob.bin",
        "disk",
        "disk/good.txt",
        "disk/sub/ok.txt",
        "disk/sub/more.txt",
        "disk/bad-dir",
        "disk/fails-later.bin",
        "disk/unreadable.bin",
        "disk/compressed.txt",
    ] {
        assert!(
            names.iter().any(|n| n == present),
            "{present} missing: {names:?}"
        );
    }
    for absent in [
        "disk/unopenable.txt",
        "disk/bad-stat.txt",
        "disk/bad-dir/lost.txt",
    ] {
        assert!(!names.iter().any(|n| n == absent), "{absent} in: {names:?}");
    }
    assert_eq!(
        member(&archive, "disk/good.txt"),
        b"a file the failing disk still reads\n"
    );
    assert_eq!(member(&archive, "disk/sub/ok.txt"), b"ok\n".repeat(1000));
    // What was read before the error is kept; the rest is zeros, as the note says.
    let partial = member(&archive, "disk/fails-later.bin");
    assert_eq!(partial.len(), 200_000);
    let expected: Vec<u8> = (0..65_536u32).map(|i| (i % 251) as u8).collect();
    assert!(
        partial[..65_536] == expected[..],
        "the readable start differs"
    );
    assert!(partial[65_536..].iter().all(|b| *b == 0));
    // The warnings travel with the backup.
    let manifest: serde_json::Value = serde_json::from_slice(
        &fs::read(
            archive
                .to_string_lossy()
                .replace(".tar.gz", ".manifest.json"),
        )
        .unwrap(),
    )
    .unwrap();
    let warnings = manifest["warnings"].as_array().unwrap();
    assert!(
        warnings.iter().any(|w| w
            .as_str()
            .unwrap()
            .starts_with("disk/unreadable.bin: cannot read")),
        "{warnings:?}"
    );
    assert_eq!(scene.leftovers().len(), 4, "{:?}", scene.leftovers());
}

/// A file that uses fewer blocks than its size and has no hole (what btrfs
/// and ZFS report for a compressed file) was probed for holes, which moved
/// its read position to the end: it went in as zeros, "shrank while read".
#[test]
fn a_file_using_fewer_blocks_than_its_size_is_stored_whole() {
    if !can_mount_fuse() {
        return;
    }
    let (scene, out) = create_on_a_failing_disk();
    out.code(1);
    let archive = scene.only_archive();
    let stored = member(&archive, "disk/compressed.txt");
    assert!(
        stored == b"a line that compresses well\n".repeat(4000),
        "stored as {} bytes, {} of them zeros",
        stored.len(),
        stored.iter().filter(|b| **b == 0).count()
    );
    assert!(
        !out.stdout.contains("disk/compressed.txt"),
        "named in a warning: {}",
        out.stdout
    );
    let manifest = fs::read_to_string(
        archive
            .to_string_lossy()
            .replace(".tar.gz", ".manifest.json"),
    )
    .unwrap();
    assert!(
        !manifest.contains("\"sparse\""),
        "stored as a sparse file: it has no hole"
    );
}

// Case 7: a policy of all zeros deleted every backup, the newest included;
// a backup dated in the future took the "newest" slots and `list` reported
// its age as 0 µs, silencing staleness alerts.

fn prune_keeping_nothing(dest: &Path, extra: &[&str]) -> Output {
    maint()
        .args(["backup", "prune", "--dest"])
        .arg(dest)
        .args([
            "--keep-last",
            "0",
            "--keep-daily",
            "0",
            "--keep-weekly",
            "0",
            "--keep-monthly",
            "0",
        ])
        .args(extra)
        .run()
}

#[test]
fn a_policy_that_keeps_nothing_is_refused_and_deletes_nothing() {
    let scene = Scene::new();
    scene.create(&[]).code(0);
    copy_as_made_at(&scene.only_archive(), "20260101T030000Z");
    let dest = scene.path("dest");
    let before: Vec<String> = {
        let mut names: Vec<String> = fs::read_dir(&dest)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        names.sort();
        names
    };
    assert_eq!(scene.archives().len(), 2);
    for extra in [&[][..], &["--dry-run"][..]] {
        prune_keeping_nothing(&dest, extra)
            .code(3)
            .stdout_is("")
            .one_error_line("a retention policy that keeps nothing would delete every backup")
            .stderr_has("; hint: set at least one of --keep-last, --keep-daily, --keep-weekly, --keep-monthly above 0");
    }
    // The same policy from maint.toml.
    maint()
        .config("[backup]\nkeep_last = 0\nkeep_daily = 0\nkeep_weekly = 0\nkeep_monthly = 0\n")
        .args(["backup", "prune", "--dest"])
        .arg(&dest)
        .run()
        .code(3)
        .one_error_line("a retention policy that keeps nothing would delete every backup");
    let mut after: Vec<String> = fs::read_dir(&dest)
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    after.sort();
    assert_eq!(after, before, "nothing deleted, no sidecar either");
    // One count above 0 is a policy: the newest stays.
    let out = maint()
        .json()
        .args(["backup", "prune", "--dest"])
        .arg(&dest)
        .args([
            "--keep-last",
            "1",
            "--keep-daily",
            "0",
            "--keep-weekly",
            "0",
            "--keep-monthly",
            "0",
        ])
        .run();
    out.code(0);
    let left = scene.archives();
    assert_eq!(left.len(), 1, "{left:?}");
    assert!(!file_name(&left[0]).contains("20260101T030000Z"));
}

#[test]
fn a_backup_dated_in_the_future_is_never_the_newest_and_is_warned_about() {
    let scene = Scene::new();
    scene.create(&[]).code(0);
    let made = scene.only_archive();
    let now = Utc::now();
    let stamp = |t: chrono::DateTime<Utc>| t.format("%Y%m%dT%H%M%SZ").to_string();
    // The real backup is two days old; another host with its clock a month
    // ahead wrote one "from the future".
    let past = copy_as_made_at(&made, &stamp(now - chrono::TimeDelta::days(2)));
    let future = copy_as_made_at(&made, &stamp(now + chrono::TimeDelta::days(30)));
    delete_backup(&made);
    let dest = scene.path("dest");
    let list = || {
        maint()
            .json()
            .args(["backup", "list", "--dest"])
            .arg(&dest)
            .run()
    };

    let out = list();
    out.code(1);
    let newest = message(&out, "backups");
    assert!(
        newest.starts_with("2 backups, ")
            && newest.contains("; the newest is 2d 00h old (verified "),
        "{newest}"
    );
    let warning = out.check("backups:future_dated");
    assert_eq!(warning["status"], "WARNING");
    assert_eq!(
        warning["message"],
        format!(
            "dated in the future, so never taken for the newest (the clock was wrong when they were made): {}",
            file_name(&future)
        )
    );
    assert!(warning["hint"].as_str().unwrap().contains("timedatectl"));
    // The metric a staleness alert reads is the real backup's time.
    let prom = maint()
        .args(["--format", "prometheus", "backup", "list", "--dest"])
        .arg(&dest)
        .run();
    let metric = prom
        .stdout
        .lines()
        .find(|l| l.starts_with("maint_backup_newest_timestamp_seconds{"))
        .unwrap_or_else(|| panic!("no newest timestamp: {}", prom.stdout))
        .rsplit(' ')
        .next()
        .unwrap()
        .parse::<f64>()
        .unwrap();
    let expected = (now - chrono::TimeDelta::days(2)).timestamp() as f64;
    assert!((metric - expected).abs() < 1.5, "{metric} vs {expected}");

    // verify --latest reads the real backup, not the future one.
    let out = maint()
        .json()
        .args(["backup", "verify", "--latest", "--dest"])
        .arg(&dest)
        .run();
    out.code(0);
    assert_eq!(
        out.check_names(),
        [format!("verify:{}", file_name(&past))],
        "{}",
        out.stdout
    );

    // prune keeps it, does not count it, and says why.
    let out = maint()
        .json()
        .args([
            "backup",
            "prune",
            "--dry-run",
            "--keep-last",
            "1",
            "--keep-daily",
            "0",
            "--keep-weekly",
            "0",
            "--keep-monthly",
            "0",
            "--dest",
        ])
        .arg(&dest)
        .run();
    out.code(1);
    let rows = out.json()["sections"]["archives"]
        .as_array()
        .unwrap()
        .clone();
    let row = |archive: &Path| {
        rows.iter()
            .find(|r| r["archive"] == file_name(archive))
            .unwrap()
            .clone()
    };
    assert_eq!(row(&future)["action"], "keep");
    assert!(
        row(&future)["reason"]
            .as_str()
            .unwrap()
            .contains("dated in the future"),
        "{rows:?}"
    );
    assert_eq!(
        row(&past)["action"],
        "keep",
        "the newest real one counts: {rows:?}"
    );
    assert_eq!(out.check("prune:future_dated")["status"], "WARNING");

    // diagnose reports the real age, and the suspect backup.
    let config = format!(
        "[health]\nskip = [\"cpu\", \"load\"]\n[backup]\ndest = \"{}\"\n[diagnose]\npaths = [\"{}\"]\n",
        dest.display(),
        dest.display()
    );
    let out = maint().config(&config).json().args(["diagnose"]).run();
    let age = out.check("backup:age");
    assert_eq!(age["status"], "WARNING", "older than 26 h: {age}");
    assert_eq!(
        age["message"],
        format!(
            "the newest backup, {}, is 2d 00h old: everything written since is at stake if the server is lost",
            file_name(&past)
        )
    );
    assert!(message(&out, "backup:future_dated").ends_with(&file_name(&future)));

    // With only the future one left there is no newest at all.
    delete_backup(&past);
    let out = list();
    out.code(1);
    assert!(
        message(&out, "backups").contains("none is a backup that can be called the latest"),
        "{}",
        out.stdout
    );
    maint()
        .args(["backup", "verify", "--latest", "--dest"])
        .arg(&dest)
        .run()
        .code(3)
        .one_error_line("can be called the latest");
}

// Case 9: the "no prune after a failed create" safety never worked in a
// real run: prune held the lock itself, so a create killed with kill -9
// looked as if it were still running; --dry-run said kept, the real run
// deleted.

/// `maint --format json backup prune` keeping the newest and one a day for 3 days.
fn prune(dest: &Path, extra: &[&str]) -> Output {
    maint()
        .json()
        .args(["backup", "prune", "--dest"])
        .arg(dest)
        .args([
            "--keep-last",
            "1",
            "--keep-daily",
            "3",
            "--keep-weekly",
            "0",
            "--keep-monthly",
            "0",
        ])
        .args(extra)
        .run()
}

fn would_delete(out: &Output) -> usize {
    out.json()["sections"]["archives"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["action"] == "would delete" || r["action"] == "delete")
        .count()
}

#[test]
fn prune_after_a_create_killed_by_kill_9_deletes_nothing_and_says_why() {
    let scene = Scene::new();
    scene.create(&[]).code(0);
    let made = scene.only_archive();
    for day in 1..=10 {
        copy_as_made_at(&made, &format!("202601{day:02}T030000Z"));
    }
    let dest = scene.path("dest");
    // What the policy would delete: the eight oldest.
    let out = prune(&dest, &["--dry-run"]);
    out.code(0);
    assert_eq!(would_delete(&out), 8, "{}", out.stdout);
    let before = scene.archives();

    // A create killed in the middle of writing its archive.
    fs::write(scene.path("src/data/noise.bin"), noise(64 << 20)).unwrap();
    let mut child = scene
        .create_command()
        .command()
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    let writing = wait_for(Duration::from_secs(60), || {
        fs::read_dir(&dest).unwrap().flatten().any(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            name.starts_with(".maint-tmp-web-") && name.ends_with(".tar.gz")
        })
    });
    child.kill().unwrap();
    let status = child.wait().unwrap();
    assert!(writing, "the create never started writing");
    assert!(
        !status.success(),
        "the create finished before it could be killed"
    );
    let state: serde_json::Value =
        serde_json::from_slice(&fs::read(dest.join(".maint-last-create-web.json")).unwrap())
            .unwrap();
    assert_eq!(state["status"], "running", "{state}");

    // The real run takes the lock itself, and still knows the create died.
    let real = prune(&dest, &[]);
    real.code(3)
        .stdout_is("")
        .one_error_line(&format!("maint: error: not pruning {}: the create started ", dest.display()))
        .stderr_has(&format!("(pid {}) never finished: it was killed", child.id()))
        .stderr_has("; hint: make a good backup first (maint backup create); prune deletes nothing until one succeeds for web");
    assert_eq!(scene.archives(), before, "nothing deleted");
    // The dry run says the same, word for word.
    let dry = prune(&dest, &["--dry-run"]);
    dry.code(3).stdout_is("");
    assert_eq!(dry.stderr, real.stderr);
    assert_eq!(scene.archives(), before);

    // A good create lifts the stop: the policy applies again.
    fs::remove_file(scene.path("src/data/noise.bin")).unwrap();
    let out = scene.create(&[]);
    out.code(0);
    assert!(
        message(&out, "cleanup").contains("left by a run that died"),
        "{}",
        out.stdout
    );
    // Deleted: the eight oldest, and the first of today's two (the day keeps its newest).
    let out = prune(&dest, &[]);
    out.code(0);
    assert_eq!(would_delete(&out), 9, "{}", out.stdout);
    assert_eq!(scene.archives().len(), 3, "{:?}", scene.archives());
}

// Security: the database dump was world-readable (0644 in a 0755 folder)
// while `create` or `drill` ran.

/// A database of the test's own in the shared server, dropped at the end.
struct TestDb {
    name: String,
}

impl TestDb {
    fn new() -> TestDb {
        static NEXT: AtomicU32 = AtomicU32::new(0);
        let name = format!(
            "maint_bc_{}_{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        );
        let mut client = crate::support::postgres::shared().client();
        client
            .batch_execute(&format!("CREATE DATABASE {name}"))
            .unwrap();
        let db = TestDb { name };
        postgres::Client::connect(&db.url(), postgres::NoTls)
            .unwrap()
            .batch_execute(
                "CREATE TABLE secrets (id int PRIMARY KEY, card text);
                 INSERT INTO secrets SELECT i, 'card ' || i FROM generate_series(1, 200) i;",
            )
            .unwrap();
        db
    }

    fn url(&self) -> String {
        let mut url = url::Url::parse(crate::support::postgres::shared().url()).unwrap();
        url.set_path(&self.name);
        url.to_string()
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        let mut client = crate::support::postgres::shared().client();
        let _ = client.batch_execute(&format!(
            "DROP DATABASE IF EXISTS \"{}\" WITH (FORCE)",
            self.name
        ));
    }
}

/// A folder of PostgreSQL client tools (for `pg_bin`) that, each time one
/// runs, record into `log` the mode and type of every temporary in `dest`
/// (`.maint-tmp-*`: the dump, the scratch folder) and then run the real tool.
fn spying_tools(dir: &Path, dest: &Path, log: &Path) -> PathBuf {
    let bin = dir.join("spying-bin");
    fs::create_dir(&bin).unwrap();
    for tool in ["pg_dump", "pg_restore", "pg_dumpall", "psql"] {
        let Ok(real) = maint::storage::database::find_tool(None, tool) else {
            continue;
        };
        let script = format!(
            "#!/bin/sh\n\
             for f in {dest}/.maint-tmp-*; do\n\
             \x20 [ -e \"$f\" ] && stat -c '{tool} %a %F %n' \"$f\" >> {log}\n\
             done\n\
             exec {real} \"$@\"\n",
            dest = dest.display(),
            log = log.display(),
            real = real.display()
        );
        fs::write(bin.join(tool), script).unwrap();
        fs::set_permissions(bin.join(tool), fs::Permissions::from_mode(0o755)).unwrap();
    }
    bin
}

/// (tool, mode, type, name) of what the spying tools saw.
fn seen(log: &Path) -> Vec<(String, String, String, String)> {
    fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .map(|line| {
            let (tool, rest) = line.split_once(' ').unwrap();
            let (mode, rest) = rest.split_once(' ').unwrap();
            let (kind, path) = if let Some(path) = rest.strip_prefix("directory ") {
                ("directory", path)
            } else if let Some(path) = rest.strip_prefix("regular empty file ") {
                ("file", path)
            } else if let Some(path) = rest.strip_prefix("regular file ") {
                ("file", path)
            } else {
                panic!("unexpected line {line:?}")
            };
            let name = Path::new(path)
                .file_name()
                .unwrap()
                .to_string_lossy()
                .into_owned();
            (tool.to_owned(), mode.to_owned(), kind.to_owned(), name)
        })
        .collect()
}

/// What the spying tools saw while `create --db` and then `drill --db` ran
/// on a backup folder anyone may read, as backup folders often are.
struct Spied {
    create: Vec<(String, String, String, String)>,
    drill: Vec<(String, String, String, String)>,
    scene: Scene,
    dump: String,
}

fn spy_on_create_and_drill() -> Spied {
    let db = TestDb::new();
    let scene = Scene::new();
    let dest = scene.path("dest");
    fs::set_permissions(&dest, fs::Permissions::from_mode(0o755)).unwrap();
    let log = scene.path("modes.log");
    let bin = spying_tools(scene.dir.path(), &dest, &log);
    let config = format!("[backup]\npg_bin = \"{}\"\n", bin.display());

    let out = maint()
        .config(&config)
        .json()
        .args(scene.create_command().arguments())
        .args(["--db", &db.url()])
        .run();
    out.code(0);
    assert_eq!(out.check("database")["status"], "OK");
    let create = seen(&log);
    let stem = file_name(&scene.only_archive())
        .trim_end_matches(".tar.gz")
        .to_owned();

    fs::remove_file(&log).unwrap();
    let out = maint()
        .config(&config)
        .json()
        .args(["backup", "drill", "--dest"])
        .arg(&dest)
        .args(["--db", &db.url()])
        .run();
    out.code(0);
    assert_eq!(out.check("drill:database")["status"], "OK");
    let drill = seen(&log);
    // Nothing of the drill is left, and the folder itself is as it was.
    assert_eq!(scene.leftovers().len(), 4, "{:?}", scene.leftovers());
    assert_eq!(fs::metadata(&dest).unwrap().mode() & 0o777, 0o755);
    Spied {
        create,
        drill,
        scene,
        dump: format!(".maint-tmp-{stem}.dump"),
    }
}

#[test]
fn the_database_dump_is_0600_from_before_pg_dump_writes_until_the_drill_ends() {
    let spied = spy_on_create_and_drill();
    assert!(
        spied
            .create
            .iter()
            .any(|(tool, _, kind, name)| tool == "pg_dump"
                && kind == "file"
                && *name == spied.dump),
        "pg_dump never saw its output file {}: {:?}",
        spied.dump,
        spied.create
    );
    assert!(
        spied
            .drill
            .iter()
            .any(|(tool, _, kind, name)| tool == "pg_restore"
                && kind == "file"
                && name.starts_with(".maint-tmp-drill-dump-")),
        "pg_restore never ran beside the drill's dump: {:?}",
        spied.drill
    );
    for (tool, mode, kind, name) in spied.create.iter().chain(&spied.drill) {
        if kind == "file" {
            assert_eq!(mode, "600", "{name} was {mode} while {tool} ran");
        }
    }
    drop(spied.scene);
}

/// The drill restores the files under `.maint-tmp-drill-PID` in the backup
/// folder, which stays 0700 while the drill runs: the archive's root entry
/// (0755 here) sets the mode of a folder inside it, so the copy of the tree
/// is never open to other users who can reach the backup folder.
#[test]
fn the_drill_scratch_folder_stays_0700_while_the_drill_runs() {
    let spied = spy_on_create_and_drill();
    assert!(
        spied
            .drill
            .iter()
            .any(|(_, _, kind, name)| kind == "directory" && name.starts_with(".maint-tmp-drill-")),
        "no scratch folder while the tools ran: {:?}",
        spied.drill
    );
    for (tool, mode, kind, name) in spied.create.iter().chain(&spied.drill) {
        if kind == "directory" {
            assert_eq!(mode, "700", "{name} was {mode} while {tool} ran");
        }
    }
}

// Security: `create`'s walk re-opened folders by absolute path, so a folder
// swapped for a symlink mid-walk was followed and outside files entered the
// archive. The walk is by file descriptor now (as GNU tar's).

#[test]
fn a_folder_swapped_for_a_symlink_mid_walk_brings_nothing_from_outside() {
    if !can_mount_fuse() {
        return;
    }
    let scene = Scene::new();
    // src/a is walked in name order: b-early.txt, m-trigger/ (where the
    // FUSE fixture swaps src/a for a link to outside/ as soon as the walk
    // lists it), then z-late/, which a walk by path would take from outside/.
    let folder = scene.path("src/a");
    fs::create_dir_all(folder.join("m-trigger")).unwrap();
    fs::create_dir_all(folder.join("z-late")).unwrap();
    fs::write(folder.join("b-early.txt"), "inside, before").unwrap();
    fs::write(folder.join("z-late/inside.txt"), "inside, after").unwrap();
    let outside = scene.path("outside");
    fs::create_dir_all(outside.join("z-late")).unwrap();
    fs::write(
        outside.join("z-late/OUTSIDE-secret.txt"),
        "not to be archived",
    )
    .unwrap();
    fs::write(outside.join("OUTSIDE-top.txt"), "not to be archived").unwrap();

    let out = maint()
        .json()
        .args(scene.create_command().arguments())
        .run_in_private_mounts(&under_fuse(
            "swapfs.py",
            &folder.join("m-trigger"),
            &format!("{} {}", folder.display(), outside.display()),
        ));
    // The swap did happen, in the middle of the walk.
    assert_eq!(
        fs::read_link(&folder)
            .unwrap_or_else(|err| panic!("src/a was not swapped ({err}): {}", out.stderr)),
        outside
    );
    out.code(0);
    let archive = scene.only_archive();
    let names = listing(&archive);
    assert!(
        !names.iter().any(|n| n.contains("OUTSIDE")),
        "outside files entered the archive: {names:?}"
    );
    for present in [
        "a",
        "a/b-early.txt",
        "a/m-trigger/x",
        "a/z-late",
        "a/z-late/inside.txt",
    ] {
        assert!(
            names.iter().any(|n| n == present),
            "{present} missing: {names:?}"
        );
    }
    assert_eq!(member(&archive, "a/z-late/inside.txt"), b"inside, after");
    maint()
        .args(["backup", "verify"])
        .arg(&archive)
        .run()
        .code(0);
}
