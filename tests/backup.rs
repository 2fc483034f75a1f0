//! `maint backup` on files: the round trip, the archive's shape, every bad
//! input and fault of issue 4 (missing or read-only destination, full disk,
//! vanishing and growing sources, damaged and hostile archives, overlapping
//! and killed runs), prune's policy, list and drill.

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, SystemTime};

use crate::support::command::{Output, wait_for};
use crate::support::maint;

/// A tree with what a backup must keep: nested folders, an empty folder,
/// modes, nanosecond mtimes, relative symlinks, text and binary files.
pub(crate) fn make_tree(root: &Path) {
    fs::create_dir_all(root.join("data/logs")).unwrap();
    fs::create_dir_all(root.join("data/empty")).unwrap();
    fs::create_dir_all(root.join("config/deep/deeper")).unwrap();
    fs::write(
        root.join("config/app.yaml"),
        "database:\n  url: postgres://app@db/app\n",
    )
    .unwrap();
    fs::write(
        root.join("data/logs/app.log"),
        "INFO started\n".repeat(5000),
    )
    .unwrap();
    let binary: Vec<u8> = (0..300_000u32)
        .map(|i| (i.wrapping_mul(2654435761) >> 13) as u8)
        .collect();
    fs::write(root.join("data/blob.bin"), binary).unwrap();
    fs::write(root.join("config/deep/deeper/secret.key"), "k").unwrap();
    fs::write(
        root.join(format!("data/{}", "long-name-".repeat(12))),
        "long",
    )
    .unwrap();
    std::os::unix::fs::symlink("../config/app.yaml", root.join("data/app.yaml")).unwrap();
    std::os::unix::fs::symlink("logs", root.join("data/current")).unwrap();
    fs::set_permissions(
        root.join("config/deep/deeper/secret.key"),
        fs::Permissions::from_mode(0o600),
    )
    .unwrap();
    fs::set_permissions(
        root.join("config/app.yaml"),
        fs::Permissions::from_mode(0o640),
    )
    .unwrap();
    fs::set_permissions(root.join("config/deep"), fs::Permissions::from_mode(0o750)).unwrap();
    let when = SystemTime::UNIX_EPOCH + Duration::new(1_700_000_000, 123_456_789);
    for file in ["config/app.yaml", "data/logs/app.log", "data/blob.bin"] {
        fs::File::options()
            .write(true)
            .open(root.join(file))
            .unwrap()
            .set_modified(when)
            .unwrap();
    }
}

/// Everything a restore must reproduce, path by path.
pub(crate) fn snapshot(root: &Path) -> BTreeMap<String, String> {
    let mut out = BTreeMap::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        for entry in fs::read_dir(&dir).unwrap() {
            let path = entry.unwrap().path();
            let rel = path.strip_prefix(root).unwrap().display().to_string();
            let meta = fs::symlink_metadata(&path).unwrap();
            let what = if meta.file_type().is_symlink() {
                format!("link -> {}", fs::read_link(&path).unwrap().display())
            } else if meta.is_dir() {
                stack.push(path.clone());
                format!(
                    "dir {:o} {}.{:09}",
                    meta.mode() & 0o7777,
                    meta.mtime(),
                    meta.mtime_nsec()
                )
            } else {
                let content = fs::read(&path).unwrap();
                format!(
                    "file {:o} {}.{:09} {} bytes {:x}",
                    meta.mode() & 0o7777,
                    meta.mtime(),
                    meta.mtime_nsec(),
                    content.len(),
                    content
                        .iter()
                        .fold(0u64, |h, b| h.wrapping_mul(31).wrapping_add(u64::from(*b)))
                )
            };
            out.insert(rel, what);
        }
    }
    out
}

/// A test folder with `src/` (the tree) and `dest/`.
pub(crate) struct Scene {
    pub dir: tempfile::TempDir,
}

impl Scene {
    pub(crate) fn new() -> Scene {
        let dir = tempfile::Builder::new()
            .prefix("maint-backup-")
            .tempdir()
            .unwrap();
        make_tree(&dir.path().join("src"));
        fs::create_dir(dir.path().join("dest")).unwrap();
        Scene { dir }
    }

    pub(crate) fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// `maint backup create --name web --source src --dest dest`, to run.
    pub(crate) fn create_command(&self) -> crate::support::command::Maint {
        maint()
            .args(["backup", "create", "--name", "web", "--source"])
            .arg(self.path("src"))
            .arg("--dest")
            .arg(self.path("dest"))
    }

    /// The same, with a JSON report.
    pub(crate) fn create(&self, extra: &[&str]) -> Output {
        maint()
            .json()
            .args(self.create_command().arguments())
            .args(extra)
            .run()
    }

    pub(crate) fn archives(&self) -> Vec<PathBuf> {
        let mut found: Vec<PathBuf> = fs::read_dir(self.path("dest"))
            .unwrap()
            .map(|e| e.unwrap().path())
            .filter(|p| {
                p.to_string_lossy().ends_with(".tar.gz")
                    && !p.file_name().unwrap().to_string_lossy().starts_with('.')
            })
            .collect();
        found.sort();
        found
    }

    pub(crate) fn only_archive(&self) -> PathBuf {
        let archives = self.archives();
        assert_eq!(archives.len(), 1, "{archives:?}");
        archives[0].clone()
    }

    /// Names in dest/ other than the lock and state files.
    pub(crate) fn leftovers(&self) -> Vec<String> {
        fs::read_dir(self.path("dest"))
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n != ".maint-backup.lock" && !n.starts_with(".maint-last-create-"))
            .collect()
    }
}

/// Bytes that do not compress.
pub(crate) fn noise(len: u64) -> Vec<u8> {
    use std::io::Read;
    let mut bytes = Vec::new();
    fs::File::open("/dev/urandom")
        .unwrap()
        .take(len)
        .read_to_end(&mut bytes)
        .unwrap();
    bytes
}

/// The message of the check `name` in a JSON report.
pub(crate) fn message(out: &Output, name: &str) -> String {
    out.check(name)["message"]
        .as_str()
        .unwrap_or_default()
        .to_owned()
}

pub(crate) fn shell(script: &str, dir: &Path) -> std::process::Output {
    Command::new("sh")
        .args(["-c", script])
        .current_dir(dir)
        .output()
        .unwrap()
}

#[test]
fn create_verify_restore_reproduces_the_tree_bit_for_bit() {
    let scene = Scene::new();
    let out = scene.create(&[]);
    out.code(0).stderr_is("");
    assert_eq!(out.check("archive")["status"], "OK");
    let archive = scene.only_archive();
    let name = archive.file_name().unwrap().to_string_lossy().into_owned();
    let shape = regex::Regex::new(r"^web-\d{8}T\d{6}Z-daily\.tar\.gz$").unwrap();
    assert!(shape.is_match(&name), "{name}");
    assert_eq!(fs::metadata(&archive).unwrap().mode() & 0o777, 0o600);
    // The standard tools accept it as it is.
    let dest = scene.path("dest");
    for script in [
        format!("gzip -t {name}"),
        format!("sha256sum -c {name}.sha256"),
        format!("mkdir x && tar xzf {name} -C x && test -f x/config/app.yaml"),
    ] {
        let result = shell(&script, &dest);
        assert!(
            result.status.success(),
            "{script}: {}",
            String::from_utf8_lossy(&result.stderr)
        );
    }
    fs::remove_dir_all(dest.join("x")).unwrap();
    let manifest: serde_json::Value = serde_json::from_slice(
        &fs::read(dest.join(name.replace(".tar.gz", ".manifest.json"))).unwrap(),
    )
    .unwrap();
    assert_eq!(
        manifest["format_version"],
        maint::storage::manifest::FULL_FORMAT_VERSION,
        "a full backup stays readable by a maint that knows no incrementals"
    );
    assert!(
        manifest["entries"]
            .as_array()
            .unwrap()
            .iter()
            .any(|e| e["path"] == "data/logs/app.log"
                && e["sha256"].as_str().is_some_and(|s| s.len() == 64)
                && e["mtime_ns"] == 123_456_789)
    );

    maint()
        .args(["backup", "verify"])
        .arg(&archive)
        .run()
        .code(0);
    let target = scene.path("restored");
    let out = maint()
        .json()
        .args(["backup", "restore"])
        .arg(&archive)
        .arg("--target")
        .arg(&target)
        .run();
    out.code(0).stderr_is("");
    assert_eq!(snapshot(&target), snapshot(&scene.path("src")));
    assert_eq!(
        fs::metadata(&target).unwrap().mode() & 0o7777,
        fs::metadata(scene.path("src")).unwrap().mode() & 0o7777
    );
    // Nothing temporary is left beside the target.
    let beside: Vec<_> = fs::read_dir(scene.dir.path())
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(beside.len(), 3, "{beside:?}");
}

/// Restore merges (issue 11): what the archive does not hold stays; what it
/// would overwrite needs --force and is kept first. (Before issue 11 this
/// test expected the whole target replaced and `current.txt` deleted.)
#[test]
fn overwriting_needs_force_keeps_what_it_overwrites_and_leaves_the_rest() {
    let scene = Scene::new();
    scene.create(&[]).code(0);
    let archive = scene.only_archive();
    let target = scene.path("live");
    fs::create_dir_all(target.join("config")).unwrap();
    fs::write(target.join("current.txt"), "what is there now").unwrap();
    fs::write(target.join("config/app.yaml"), "edited since").unwrap();
    maint()
        .args(["backup", "restore"])
        .arg(&archive)
        .arg("--target")
        .arg(&target)
        .run()
        .code(3)
        .one_error_line("has 1 path the archive would overwrite or remove (first: config/app.yaml); hint: add --force");
    let out = maint()
        .json()
        .args(["backup", "restore", "--dry-run"])
        .arg(&archive)
        .arg("--target")
        .arg(&target)
        .run();
    out.code(0);
    let changes = out.json()["sections"]["changes"]
        .as_array()
        .unwrap()
        .clone();
    let listed = |action: &str, path: &str| {
        changes
            .iter()
            .any(|c| c["action"] == action && c["path"] == path)
    };
    assert!(listed("replace", "config/app.yaml"));
    assert!(listed("add", "data/blob.bin"));
    assert!(
        !changes.iter().any(|c| c["path"] == "current.txt"),
        "without --delete nothing is removed: {changes:?}"
    );
    assert_eq!(
        fs::read_to_string(target.join("config/app.yaml")).unwrap(),
        "edited since",
        "a dry run changes nothing"
    );

    let out = maint()
        .json()
        .args(["backup", "restore", "--force"])
        .arg(&archive)
        .arg("--target")
        .arg(&target)
        .run();
    out.code(0);
    let mut expected = snapshot(&scene.path("src"));
    let restored = snapshot(&target);
    assert_eq!(
        restored["current.txt"].split(' ').next(),
        Some("file"),
        "what the archive lacks stays"
    );
    expected.insert("current.txt".to_owned(), restored["current.txt"].clone());
    assert_eq!(restored, expected);
    let saved = scene
        .archives()
        .into_iter()
        .find(|p| p.to_string_lossy().ends_with("-pre-restore.tar.gz"))
        .expect("a pre-restore archive");
    let listing = shell(&format!("tar tzf {}", saved.display()), scene.dir.path());
    let listing = String::from_utf8_lossy(&listing.stdout);
    assert!(listing.contains("config/app.yaml"), "{listing}");
    assert!(!listing.contains("current.txt"), "{listing}");
    let kept = shell(
        &format!("tar xzOf {} config/app.yaml", saved.display()),
        scene.dir.path(),
    );
    assert_eq!(String::from_utf8_lossy(&kept.stdout), "edited since");
    assert!(
        message(&out, "restore")
            .contains(&format!("what it overwrote is kept in {}", saved.display()))
    );
}

#[test]
fn a_missing_or_read_only_destination_fails_before_anything() {
    let scene = Scene::new();
    maint()
        .args(["backup", "create", "--source"])
        .arg(scene.path("src"))
        .arg("--dest")
        .arg(scene.path("nope"))
        .run()
        .code(3)
        .stdout_is("")
        .one_error_line("does not exist")
        .stderr_has("; hint: mkdir -p");
    maint()
        .args(["backup", "create", "--dest"])
        .arg(scene.path("dest"))
        .run()
        .code(3)
        .one_error_line("nothing to back up; hint: pass --source PATH");
    maint()
        .args(["backup", "create", "--source"])
        .arg(scene.path("src"))
        .run()
        .code(3)
        .one_error_line("no backup folder given; hint: pass --dest DIR");
    if !rustix::process::geteuid().is_root() {
        eprintln!("skipped the read-only part: a private mount namespace needs root");
        return;
    }
    let dest = scene.path("dest").display().to_string();
    let out = scene.create_command().run_in_private_mounts(&format!(
        "mount --bind {dest} {dest} && mount -o remount,ro,bind {dest} && exec \"$@\""
    ));
    out.code(3)
        .one_error_line(&format!("backup folder {dest} is not writable"));
    assert!(scene.leftovers().is_empty(), "{:?}", scene.leftovers());
}

#[test]
fn a_full_disk_fails_and_leaves_nothing_behind() {
    if !rustix::process::geteuid().is_root() {
        eprintln!("skipped: mounting a small tmpfs in a private namespace needs root");
        return;
    }
    let scene = Scene::new();
    // 3 MiB that does not compress, into a 1 MiB filesystem.
    fs::write(scene.path("src/data/noise.bin"), noise(3_000_000)).unwrap();
    let dest = scene.path("dest").display().to_string();
    let out = scene
        .create_command()
        .run_in_private_mounts(&format!(
                "mount -t tmpfs -o size=1m tmpfs {dest} && \"$@\"; code=$?; ls -A {dest} > {dest}/../left.txt; exit $code"
            ));
    out.code(2).one_error_line("No space left on device");
    out.stderr_has("hint: df -h");
    let left = fs::read_to_string(scene.path("left.txt")).unwrap();
    let names: Vec<&str> = left
        .lines()
        .filter(|n| *n != ".maint-backup.lock" && !n.starts_with(".maint-last-create-"))
        .collect();
    assert!(names.is_empty(), "left on the full disk: {names:?}");
}

#[test]
fn a_source_that_vanishes_mid_run_is_a_warning() {
    let scene = Scene::new();
    // A big first source keeps the run busy while the second one is deleted.
    let big = scene.path("big");
    fs::create_dir(&big).unwrap();
    let line = "2026-11-24 02:03:04,567 INFO worker-7 request served in 12 ms path=/api/v1/items\n";
    for i in 0..6 {
        fs::write(big.join(format!("part{i}.log")), line.repeat(250_000)).unwrap();
    }
    let second = scene.path("second");
    fs::create_dir(&second).unwrap();
    fs::write(second.join("f.txt"), "soon gone").unwrap();
    let command = maint()
        .json()
        .args(["backup", "create", "--name", "web", "--source"])
        .arg(&big)
        .arg("--source")
        .arg(&second)
        .arg("--dest")
        .arg(scene.path("dest"));
    let dest = scene.path("dest");
    let remover = std::thread::spawn(move || {
        let started = wait_for(Duration::from_secs(30), || {
            fs::read_dir(&dest).unwrap().flatten().any(|e| {
                let name = e.file_name().to_string_lossy().into_owned();
                name.starts_with(".maint-tmp-") && name.ends_with(".tar.gz")
            })
        });
        fs::remove_dir_all(&second).unwrap();
        started
    });
    let out = command.run();
    assert!(remover.join().unwrap(), "the create never started writing");
    out.code(1);
    let files = out.check("files");
    assert_eq!(files["status"], "WARNING");
    assert!(
        files["message"]
            .as_str()
            .unwrap()
            .contains("vanished while the backup ran"),
        "{files}"
    );
    maint()
        .args(["backup", "verify"])
        .arg(scene.only_archive())
        .run()
        .code(0);
}

#[test]
fn a_file_growing_while_read_goes_in_at_its_recorded_size_with_a_warning() {
    let scene = Scene::new();
    let log = scene.path("src/data/logs/growing.log");
    fs::write(&log, "x".repeat(40 << 20)).unwrap();
    // A writer appends all through the backup, as a busy service does.
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writer = {
        let stop = std::sync::Arc::clone(&stop);
        let log = log.clone();
        std::thread::spawn(move || {
            use std::io::Write;
            let mut file = fs::OpenOptions::new().append(true).open(&log).unwrap();
            let mut rounds = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) && rounds < 200_000 {
                file.write_all(b"2026-11-24 INFO appended line\n").unwrap();
                rounds += 1;
                std::thread::sleep(Duration::from_micros(50));
            }
        })
    };
    let out = scene.create(&[]);
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    writer.join().unwrap();
    out.code(1);
    let files = out.check("files");
    assert!(
        files["message"]
            .as_str()
            .unwrap()
            .contains("data/logs/growing.log: changed while read"),
        "{files}"
    );
    let archive = scene.only_archive();
    // Still a sound archive, for maint and for GNU tar.
    maint()
        .args(["backup", "verify"])
        .arg(&archive)
        .run()
        .code(0);
    let check = shell(
        &format!("gzip -t {0} && tar tzf {0} >/dev/null", archive.display()),
        scene.dir.path(),
    );
    assert!(
        check.status.success(),
        "{}",
        String::from_utf8_lossy(&check.stderr)
    );
    // A file whose size says 0 but that has content (/proc) goes in as 0 bytes.
    let out = maint()
        .json()
        .args([
            "backup",
            "create",
            "--name",
            "proc",
            "--source",
            "/proc/self/status",
            "--dest",
        ])
        .arg(scene.path("dest"))
        .run();
    out.code(1);
    assert!(message(&out, "files").contains("status: changed while read: stored the 0 bytes"));
}

#[test]
fn sockets_are_skipped_with_a_warning_and_fifos_archived_as_gnu_tar_does() {
    let scene = Scene::new();
    let fifo = scene.path("src/data/pipe");
    assert!(
        Command::new("mkfifo")
            .arg(&fifo)
            .status()
            .unwrap()
            .success()
    );
    let _socket = std::os::unix::net::UnixListener::bind(scene.path("src/data/app.sock")).unwrap();
    let out = scene.create(&[]);
    out.code(1);
    let message = message(&out, "files").clone();
    assert!(
        message.contains("data/app.sock: skipped: a socket"),
        "{message}"
    );
    assert_eq!(
        out.json()["sections"]["warnings"].as_array().unwrap().len(),
        1
    );
    let listing = shell(
        &format!("tar tvzf {}", scene.only_archive().display()),
        scene.dir.path(),
    );
    let listing = String::from_utf8_lossy(&listing.stdout);
    assert!(
        listing.contains("data/pipe") && listing.lines().any(|l| l.starts_with('p')),
        "{listing}"
    );
}

#[test]
fn a_destination_inside_the_source_is_left_out() {
    let scene = Scene::new();
    scene.create(&[]).code(0);
    // The whole scene folder, dest/ with its archive included, is the source.
    let out = maint()
        .args(["backup", "create", "--name", "all", "--source", "."])
        .arg("--dest")
        .arg("dest")
        .run_in(scene.dir.path());
    out.code(0);
    let archive = scene
        .archives()
        .into_iter()
        .find(|a| a.to_string_lossy().contains("/all-"))
        .unwrap();
    let listing = shell(&format!("tar tzf {}", archive.display()), scene.dir.path());
    let listing = String::from_utf8_lossy(&listing.stdout);
    assert!(listing.contains("src/config/app.yaml"), "{listing}");
    assert!(!listing.contains("dest"), "{listing}");
}

#[test]
fn excludes_leave_paths_out() {
    let scene = Scene::new();
    scene
        .create(&["--exclude", "*.log", "--exclude", "config/deep"])
        .code(0);
    let listing = shell(
        &format!("tar tzf {}", scene.only_archive().display()),
        scene.dir.path(),
    );
    let listing = String::from_utf8_lossy(&listing.stdout);
    assert!(
        !listing.contains("app.log") && !listing.contains("deep"),
        "{listing}"
    );
    assert!(listing.contains("config/app.yaml"));
}

/// Excludes as tar and restic users write them: an absolute path, a
/// folder with a trailing slash, `./` in front; a typo is reported.
#[test]
fn excludes_take_what_tar_users_write_and_report_a_pattern_matching_nothing() {
    let scene = Scene::new();
    let absolute = scene.path("src/data/logs");
    let out = scene.create(&[
        "--exclude",
        absolute.to_str().unwrap(),
        "--exclude",
        "empty/",
        "--exclude",
        "./config/deep",
        "--exclude",
        "no-such-thing",
    ]);
    out.code(1);
    let listing = shell(
        &format!("tar tzf {}", scene.only_archive().display()),
        scene.dir.path(),
    );
    let listing = String::from_utf8_lossy(&listing.stdout);
    for gone in ["app.log", "data/empty", "deep"] {
        assert!(!listing.contains(gone), "{gone} archived:\n{listing}");
    }
    assert!(listing.contains("config/app.yaml"), "{listing}");
    let excludes = out.check("excludes");
    let message = excludes["message"].as_str().unwrap();
    assert!(message.contains("\"no-such-thing\""), "{message}");
    assert!(!message.contains("empty/"), "{message}");
}

pub(crate) fn flip_byte(path: &Path, at: usize) {
    let mut bytes = fs::read(path).unwrap();
    bytes[at] ^= 0x20;
    fs::write(path, bytes).unwrap();
}

#[test]
fn a_flipped_byte_is_critical_and_names_the_damaged_entry() {
    let scene = Scene::new();
    // Incompressible content is stored as it is: a byte of it can be found and flipped.
    let noise = noise(2_000_000);
    fs::write(scene.path("src/data/noise.bin"), &noise).unwrap();
    scene.create(&[]).code(0);
    let archive = scene.only_archive();
    let bytes = fs::read(&archive).unwrap();
    let at = [1_000_000usize, 1_200_000, 1_400_000]
        .iter()
        .find_map(|start| {
            bytes
                .windows(64)
                .position(|w| w == &noise[*start..start + 64])
        })
        .expect("stored bytes are in the archive");
    flip_byte(&archive, at + 10);
    let out = maint()
        .json()
        .args(["backup", "verify"])
        .arg(&archive)
        .run();
    out.code(2);
    let check = &out.json()["checks"][0];
    assert_eq!(check["status"], "CRITICAL");
    assert!(
        check["message"]
            .as_str()
            .unwrap()
            .starts_with("damaged entry data/noise.bin: SHA-256 differs from the manifest"),
        "{check}"
    );
    assert!(
        check["hint"]
            .as_str()
            .unwrap()
            .contains("restore an older backup")
    );
    assert!(
        !shell(
            &format!("sha256sum -c {}.sha256", archive.display()),
            &scene.path("dest")
        )
        .status
        .success()
    );
    // A restore of it refuses and changes nothing.
    let target = scene.path("restored");
    maint()
        .args(["backup", "restore"])
        .arg(&archive)
        .arg("--target")
        .arg(&target)
        .run()
        .code(2)
        .one_error_line("damaged entry data/noise.bin");
    assert!(!target.exists());
    // A flipped byte in compressed data breaks the stream: still named, still exit 2.
    scene.create(&[]).code(0);
    let second = scene.archives().pop().unwrap();
    let len = fs::metadata(&second).unwrap().len() as usize;
    flip_byte(&second, len / 3);
    let out = maint().json().args(["backup", "verify"]).arg(&second).run();
    out.code(2);
    assert!(
        out.json()["checks"][0]["message"]
            .as_str()
            .unwrap()
            .contains("entry "),
        "{}",
        out.stdout
    );
}

#[test]
fn a_truncated_archive_is_critical() {
    let scene = Scene::new();
    scene.create(&[]).code(0);
    let archive = scene.only_archive();
    let bytes = fs::read(&archive).unwrap();
    fs::write(&archive, &bytes[..bytes.len() / 2]).unwrap();
    let out = maint()
        .json()
        .args(["backup", "verify", "--latest", "--dest"])
        .arg(scene.path("dest"))
        .run();
    out.code(2);
    let message = out.json()["checks"][0]["message"]
        .as_str()
        .unwrap()
        .to_owned();
    assert!(message.contains("truncated"), "{message}");
    assert!(message.contains("entry "), "{message}");
    let list = maint()
        .json()
        .args(["backup", "list", "--dest"])
        .arg(scene.path("dest"))
        .run();
    assert!(
        list.json()["sections"]["backups"][0]["state"]
            .as_str()
            .unwrap()
            .starts_with("DAMAGED")
    );
}

/// Builds a hostile archive with Python's tarfile: `members` is Python code
/// adding members to `t` (a TarFile).
pub(crate) fn hostile(dir: &Path, name: &str, members: &str) -> PathBuf {
    let path = dir.join(name);
    let script = format!(
        "import tarfile, io\n\
         def f(t, name, data=b'x'):\n    i = tarfile.TarInfo(name); i.size = len(data); t.addfile(i, io.BytesIO(data))\n\
         def l(t, name, target, kind=tarfile.SYMTYPE):\n    i = tarfile.TarInfo(name); i.type = kind; i.linkname = target; t.addfile(i)\n\
         with tarfile.open('{}', 'w:gz', format=tarfile.GNU_FORMAT) as t:\n{}",
        path.display(),
        members
            .lines()
            .map(|l| format!("    {l}\n"))
            .collect::<String>()
    );
    let out = Command::new("python3")
        .args(["-c", &script])
        .output()
        .unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    path
}

/// Hostile archives change nothing. (Before issue 11 symlinks pointing
/// outside the target were refused too; they are now restored exactly as
/// stored, as GNU tar, restic and borg do, and nothing is ever written
/// through one: see tests/backup_restore.rs.)
#[test]
fn tar_slip_archives_are_refused_before_anything_is_written() {
    let scene = Scene::new();
    let dir = scene.dir.path();
    let cases = [
        (
            "dotdot.tar.gz",
            "f(t, 'ok.txt')\nf(t, '../escaped.txt')",
            "entry ../escaped.txt: `..` in the path",
        ),
        (
            "absolute.tar.gz",
            &format!("f(t, '{}/absolute.txt')", dir.display()) as &str,
            "absolute path",
        ),
        (
            "through.tar.gz",
            &format!(
                "l(t, 'link', '{}')\nf(t, 'link/through.txt')",
                dir.display()
            ),
            "entry link/through.txt: lies behind the symlink link",
        ),
        (
            "through-inside.tar.gz",
            "import os\nl(t, 'sub', '.')\nf(t, 'sub/x.txt')",
            "entry sub/x.txt: lies behind the symlink sub",
        ),
        (
            "hardlink.tar.gz",
            "l(t, 'h', '/etc/passwd', tarfile.LNKTYPE)",
            "hard link to /etc/passwd, which is not a file earlier",
        ),
        (
            "twice.tar.gz",
            "f(t, 'a.txt')\nf(t, './a.txt', b'y')",
            "entry a.txt: appears twice",
        ),
    ];
    for (name, members, expected) in cases {
        let archive = hostile(dir, name, members);
        let target = scene.path("target");
        let out = maint()
            .args(["backup", "restore"])
            .arg(&archive)
            .arg("--target")
            .arg(&target)
            .run();
        out.code(2)
            .one_error_line(expected)
            .stderr_has("nothing was changed");
        assert!(!target.exists(), "{name}: the target was left behind");
        assert!(!scene.path("escaped.txt").exists() && !scene.path("absolute.txt").exists());
        assert!(!dir.join("through.txt").exists());
        let beside: Vec<String> = fs::read_dir(dir)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .filter(|n| n.starts_with(".maint-restore-"))
            .collect();
        assert!(
            beside.is_empty(),
            "{name}: temporaries left behind: {beside:?}"
        );
    }
}

#[test]
fn plain_gnu_tar_archives_restore_as_unverified() {
    let scene = Scene::new();
    // GNU tar stores the second name of a file as a hard link to the first.
    fs::hard_link(
        scene.path("src/data/blob.bin"),
        scene.path("src/data/blob-link.bin"),
    )
    .unwrap();
    let archive = scene.path("plain.tar.gz");
    let made = shell(
        &format!(
            "tar czf {} -C {} .",
            archive.display(),
            scene.path("src").display()
        ),
        scene.dir.path(),
    );
    assert!(made.status.success());
    let out = maint()
        .json()
        .args(["backup", "restore"])
        .arg(&archive)
        .arg("--target")
        .arg(scene.path("restored"))
        .run();
    out.code(1);
    assert_eq!(out.check("verify")["status"], "WARNING");
    assert!(message(&out, "verify").contains("unverified, no manifest"));
    // GNU tar keeps whole seconds: everything else is the same.
    let strip = |m: BTreeMap<String, String>| -> BTreeMap<String, String> {
        let re = regex::Regex::new(r"\.\d{9}").unwrap();
        m.into_iter()
            .map(|(k, v)| (k, re.replace(&v, "").into_owned()))
            .collect()
    };
    assert_eq!(
        strip(snapshot(&scene.path("restored"))),
        strip(snapshot(&scene.path("src")))
    );
    maint()
        .args(["backup", "verify"])
        .arg(&archive)
        .run()
        .code(1);
    let restored = scene.path("restored/data");
    assert_eq!(
        fs::metadata(restored.join("blob.bin")).unwrap().ino(),
        fs::metadata(restored.join("blob-link.bin")).unwrap().ino(),
        "the hard link is a hard link again"
    );
}

#[test]
fn a_restore_target_that_is_a_file_is_refused() {
    let scene = Scene::new();
    scene.create(&[]).code(0);
    let file = scene.path("a-file");
    fs::write(&file, "not a folder").unwrap();
    maint()
        .args(["backup", "restore"])
        .arg(scene.only_archive())
        .arg("--target")
        .arg(&file)
        .run()
        .code(3)
        .one_error_line("is a file, not a folder");
    assert_eq!(fs::read_to_string(&file).unwrap(), "not a folder");
}

#[test]
fn a_second_create_while_one_runs_is_turned_away_naming_the_holder() {
    let scene = Scene::new();
    let lock = maint::storage::lock::Lock::acquire(
        &scene.path("dest/.maint-backup.lock"),
        "maint backup create",
    )
    .unwrap();
    scene
        .create(&[])
        .code(3)
        .one_error_line(&format!(
            "is held by maint backup create (pid {} on ",
            std::process::id()
        ))
        .stderr_has("hint: wait for that run to finish");
    drop(lock);
    assert!(scene.archives().is_empty());
    scene.create(&[]).code(0);
}

#[test]
fn a_create_killed_at_any_moment_leaves_no_final_named_file() {
    let scene = Scene::new();
    fs::write(scene.path("src/data/noise.bin"), noise(30_000_000)).unwrap();
    let text = "some log line that compresses\n".repeat(1_000_000);
    fs::write(scene.path("src/data/logs/big.log"), text).unwrap();
    for delay_ms in [5u64, 60, 200, 500] {
        let mut child = maint()
            .args(["backup", "create", "--name", "web", "--source"])
            .arg(scene.path("src"))
            .arg("--dest")
            .arg(scene.path("dest"))
            .command()
            .stdout(std::process::Stdio::null())
            .stderr(std::process::Stdio::null())
            .spawn()
            .unwrap();
        std::thread::sleep(Duration::from_millis(delay_ms));
        let _ = child.kill();
        let status = child.wait().unwrap();
        for archive in scene.archives() {
            // Only a run that finished before the kill may leave a backup, and then a whole one.
            assert!(
                status.success(),
                "killed after {delay_ms} ms: {} is there",
                archive.display()
            );
            maint()
                .args(["backup", "verify"])
                .arg(&archive)
                .run()
                .code(0);
            let stem = archive
                .file_name()
                .unwrap()
                .to_string_lossy()
                .trim_end_matches(".tar.gz")
                .to_owned();
            for entry in fs::read_dir(scene.path("dest")).unwrap() {
                let entry = entry.unwrap();
                if entry.file_name().to_string_lossy().starts_with(&stem) {
                    fs::remove_file(entry.path()).unwrap();
                }
            }
        }
    }
    // The next run cleans up what the killed ones left.
    let out = scene.create(&[]);
    out.code(0);
    let leftovers = scene.leftovers();
    assert_eq!(leftovers.len(), 4, "{leftovers:?}");
    assert!(
        leftovers.iter().all(|n| !n.starts_with(".maint-tmp-")),
        "{leftovers:?}"
    );
}

#[test]
fn sigterm_stops_a_create_cleanly() {
    let scene = Scene::new();
    let many = scene.path("src/data/many");
    fs::create_dir(&many).unwrap();
    let text = "2026-11-24 INFO a line of a log that compresses well enough\n".repeat(20_000);
    for i in 0..300 {
        fs::write(many.join(format!("{i:03}.log")), &text).unwrap();
    }
    let child = scene
        .create_command()
        .command()
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    let dest = scene.path("dest");
    let writing = wait_for(Duration::from_secs(30), || {
        fs::read_dir(&dest).unwrap().flatten().any(|e| {
            let name = e.file_name().to_string_lossy().into_owned();
            name.starts_with(".maint-tmp-web-") && name.ends_with(".tar.gz")
        })
    });
    assert!(writing, "the create never started writing");
    rustix::process::kill_process(
        rustix::process::Pid::from_raw(child.id() as i32).unwrap(),
        rustix::process::Signal::TERM,
    )
    .unwrap();
    let out = child.wait_with_output().unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(2), "{stderr}");
    assert!(
        stderr.starts_with("maint: error: interrupted; nothing was kept"),
        "{stderr}"
    );
    assert!(scene.leftovers().is_empty(), "{:?}", scene.leftovers());
}

/// `maint --format json backup prune` keeping one a day (and the newest one).
fn prune(dest: &Path, extra: &[&str]) -> Output {
    maint()
        .json()
        .args(["backup", "prune"])
        .args(extra)
        .args([
            "--keep-weekly",
            "0",
            "--keep-monthly",
            "0",
            "--keep-last",
            "1",
            "--dest",
        ])
        .arg(dest)
        .run()
}

/// Copies the one archive (and its sidecars) to other creation times.
fn clone_at(scene: &Scene, times: &[&str]) {
    let archive = scene.only_archive();
    let old = archive.file_name().unwrap().to_string_lossy().into_owned();
    let old_stem = old.trim_end_matches(".tar.gz").to_owned();
    for time in times {
        let stem = format!("web-{time}-daily");
        let new = format!("{stem}.tar.gz");
        let dest = scene.path("dest");
        fs::copy(&archive, dest.join(&new)).unwrap();
        let sha = fs::read_to_string(dest.join(format!("{old}.sha256")))
            .unwrap()
            .replace(&old, &new);
        fs::write(dest.join(format!("{new}.sha256")), sha).unwrap();
        fs::copy(
            dest.join(format!("{old_stem}.manifest.json")),
            dest.join(format!("{stem}.manifest.json")),
        )
        .unwrap();
        fs::copy(
            dest.join(format!("{old_stem}.verify.json")),
            dest.join(format!("{stem}.verify.json")),
        )
        .unwrap();
    }
}

#[test]
fn prune_keeps_by_policy_explains_itself_and_never_runs_after_a_failed_create() {
    let scene = Scene::new();
    scene.create(&[]).code(0);
    let times: Vec<String> = (1..=20)
        .map(|day| format!("202601{day:02}T030000Z"))
        .collect();
    clone_at(
        &scene,
        &times.iter().map(String::as_str).collect::<Vec<_>>(),
    );
    // One of them damaged: it does not count, and is kept.
    let damaged = scene.path("dest/web-20260118T030000Z-daily.tar.gz");
    maint::storage::catalog::write_verification(
        &damaged,
        &maint::storage::catalog::Verification {
            verified_at: chrono::Utc::now(),
            ok: false,
            detail: "damaged entry x".into(),
            stored: None,
        },
    )
    .unwrap();
    let dest = scene.path("dest");
    let out = prune(&dest, &["--dry-run"]);
    out.code(1);
    let rows = out.json()["sections"]["archives"]
        .as_array()
        .unwrap()
        .clone();
    let action = |day: &str| {
        rows.iter()
            .find(|r| r["archive"].as_str().unwrap().contains(day))
            .map(|r| {
                (
                    r["action"].as_str().unwrap().to_owned(),
                    r["reason"].as_str().unwrap().to_owned(),
                )
            })
            .unwrap()
    };
    assert_eq!(action("20260118").0, "keep");
    assert!(action("20260118").1.contains("not counted (damaged)"));
    assert_eq!(
        action("20260114").0,
        "keep",
        "7 good days: today, 20, 19, 17, 16, 15, 14"
    );
    assert_eq!(action("20260113").0, "would delete");
    assert!(
        action("20260113")
            .1
            .starts_with("older than the policy keeps")
    );
    assert_eq!(scene.archives().len(), 21, "a dry run deletes nothing");
    assert_eq!(out.check("prune:not_counted")["status"], "WARNING");

    // A failed create stops prune.
    let out = maint()
        .args(["backup", "create", "--name", "web", "--source"])
        .arg(scene.path("src"))
        .arg("--dest")
        .arg(&dest)
        .arg("--db")
        .arg(format!(
            "postgres://nobody@127.0.0.1:{}/none",
            crate::support::command::free_port()
        ))
        .run();
    out.code(2);
    prune(&dest, &[])
        .code(3)
        .one_error_line("failed: ")
        .stderr_has("prune deletes nothing until one succeeds");
    assert_eq!(scene.archives().len(), 21);
    scene.create(&[]).code(0);
    let out = prune(&dest, &[]);
    out.code(1);
    let remaining = scene.archives();
    assert!(
        remaining.len() < 22 && remaining.len() >= 8,
        "{remaining:?}"
    );
    assert!(remaining.contains(&damaged));
    assert!(
        !scene
            .path("dest/web-20260101T030000Z-daily.manifest.json")
            .exists(),
        "sidecars go too"
    );
}

#[test]
fn list_shows_each_backup_and_prometheus_output_passes_promtool() {
    let scene = Scene::new();
    scene.create(&[]).code(0);
    let out = maint()
        .args(["backup", "list", "--dest"])
        .arg(scene.path("dest"))
        .run();
    out.code(0)
        .stdout_has("ARCHIVE")
        .stdout_has(" daily ")
        .stdout_has("verified ");
    let json = maint()
        .json()
        .args(["backup", "list", "--dest"])
        .arg(scene.path("dest"))
        .run();
    let row = &json.json()["sections"]["backups"][0];
    assert_eq!(row["kind"], "daily");
    assert_eq!(row["files"], 5);
    let out = scene.create(&["--kind", "weekly"]);
    out.code(0);
    let prom = maint()
        .args([
            "--format",
            "prometheus",
            "backup",
            "create",
            "--name",
            "web",
            "--source",
        ])
        .arg(scene.path("src"))
        .arg("--dest")
        .arg(scene.path("dest"))
        .run();
    prom.code(0)
        .stdout_has("maint_backup_archive_bytes{command=\"backup create\",name=\"web\"}");
    crate::output::promtool_check(&prom.stdout);
    let prom = maint()
        .args(["--format", "prometheus", "backup", "list", "--dest"])
        .arg(scene.path("dest"))
        .run();
    crate::output::promtool_check(&prom.stdout);
}

#[test]
fn drill_restores_the_latest_compares_with_live_data_and_cleans_up() {
    let scene = Scene::new();
    scene.create(&[]).code(0);
    fs::write(scene.path("src/config/app.yaml"), "changed since").unwrap();
    fs::write(scene.path("src/data/new.txt"), "new").unwrap();
    let out = maint()
        .json()
        .args(["backup", "drill", "--dest"])
        .arg(scene.path("dest"))
        .run();
    out.code(0);
    assert_eq!(out.check("drill:restore")["status"], "OK");
    let rows = out.json()["sections"]["differences"]
        .as_array()
        .unwrap()
        .clone();
    assert!(
        rows.iter().any(
            |r| r["path"] == "config/app.yaml" && r["difference"] == "changed since the backup"
        )
    );
    assert!(
        rows.iter()
            .any(|r| r["path"] == "data/new.txt" && r["difference"] == "new since the backup")
    );
    assert_eq!(rows.len(), 2, "{rows:?}");
    assert_eq!(scene.leftovers().len(), 4, "{:?}", scene.leftovers());
}
