//! Incremental backups and selective restore (issue 14): chains of a full
//! backup and incrementals through every kind of change, restored at each
//! point to exactly the tree of that time; prune keeping chains whole; a
//! missing or damaged link refused with nothing half-restored; `--path`.

use std::collections::BTreeMap;
use std::fs;
use std::os::unix::fs::symlink;
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::backup::{Scene, flip_byte, make_tree, snapshot};
use crate::backup_restore::restore;
use crate::support::command::Output;
use crate::support::maint;
use crate::support::s3::S3;

/// The archives in `dest`, oldest first.
fn archives(dest: &Path) -> Vec<PathBuf> {
    let mut found: Vec<PathBuf> = fs::read_dir(dest)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.to_string_lossy().ends_with(".tar.gz"))
        .collect();
    found.sort();
    found
}

fn incremental(scene: &Scene) -> Output {
    let out = scene.create(&["--incremental"]);
    out.code(0);
    out
}

/// What GNU tar lists in an archive (the names of its entries).
fn tar_list(archive: &Path) -> Vec<String> {
    let out = Command::new("tar")
        .arg("tzf")
        .arg(archive)
        .output()
        .unwrap();
    assert!(out.status.success(), "GNU tar reads {}", archive.display());
    String::from_utf8(out.stdout)
        .unwrap()
        .lines()
        .map(|l| l.trim_start_matches("./").trim_end_matches('/').to_owned())
        .collect()
}

#[test]
fn a_chain_restores_the_tree_of_each_point_in_time() {
    let scene = Scene::new();
    let src = scene.path("src");
    let mut states: Vec<BTreeMap<String, String>> = Vec::new();

    scene.create(&[]).code(0);
    states.push(snapshot(&src));

    // Added, deleted, renamed; a symlink retargeted.
    fs::write(src.join("data/new.txt"), "added").unwrap();
    fs::remove_file(src.join("config/deep/deeper/secret.key")).unwrap();
    fs::rename(src.join("data/blob.bin"), src.join("data/blob-renamed.bin")).unwrap();
    fs::remove_file(src.join("data/current")).unwrap();
    symlink("empty", src.join("data/current")).unwrap();
    let first = incremental(&scene);
    let chain = first.check("incremental");
    assert!(
        chain["message"]
            .as_str()
            .unwrap()
            .contains("paths gone since"),
        "{chain}"
    );
    states.push(snapshot(&src));

    // The same size and mtime, new content: only the ctime moved.
    let log = src.join("data/logs/app.log");
    let mtime = fs::metadata(&log).unwrap().modified().unwrap();
    let same_size = "WARN started\n".repeat(5000);
    fs::write(&log, &same_size).unwrap();
    fs::File::options()
        .write(true)
        .open(&log)
        .unwrap()
        .set_modified(mtime)
        .unwrap();
    // A file turned into a folder.
    fs::remove_file(src.join("data/new.txt")).unwrap();
    fs::create_dir(src.join("data/new.txt")).unwrap();
    fs::write(src.join("data/new.txt/inside"), "now a folder").unwrap();
    let second = incremental(&scene);
    assert_eq!(
        second.check("incremental")["value"].as_f64(),
        Some(2.0),
        "the rewritten log and the file in the new folder are stored"
    );
    states.push(snapshot(&src));

    // And back into a file.
    fs::remove_dir_all(src.join("data/new.txt")).unwrap();
    fs::write(src.join("data/new.txt"), "a file again").unwrap();
    incremental(&scene);
    states.push(snapshot(&src));

    let made = archives(&scene.path("dest"));
    assert_eq!(made.len(), 4);
    // Each link is a plain tar.gz: an unchanged file is listed by the
    // manifest only, a changed one is in the tar.
    let last = tar_list(&made[3]);
    assert!(last.contains(&"data/new.txt".to_owned()), "{last:?}");
    assert!(!last.contains(&"config/app.yaml".to_owned()), "{last:?}");
    assert!(tar_list(&made[2]).contains(&"data/logs/app.log".to_owned()));

    for (at, (archive, state)) in made.iter().zip(&states).enumerate() {
        let target = scene.path(&format!("restored-{at}"));
        restore(archive, &target, &[]).code(0);
        assert_eq!(
            &snapshot(&target),
            state,
            "restore of {} differs",
            archive.display()
        );
    }

    let verified = maint()
        .json()
        .args(["backup", "verify", "--latest", "--dest"])
        .arg(scene.path("dest"))
        .run();
    verified.code(0);
    let chain = verified.check(&format!(
        "chain:{}",
        made[3].file_name().unwrap().to_string_lossy()
    ));
    assert_eq!(chain["value"].as_f64(), Some(4.0), "{chain}");

    // The drill restores the latest with its chain: the live tree is the same.
    let drill = maint()
        .json()
        .args(["backup", "drill", "--dest"])
        .arg(scene.path("dest"))
        .run();
    drill.code(0);
    let live = drill.check("drill:live_files");
    assert!(
        live["message"]
            .as_str()
            .unwrap()
            .contains("are the same as in the backup"),
        "{live}"
    );
}

#[test]
fn nothing_changed_stores_nothing_and_a_forced_full_stores_everything() {
    let scene = Scene::new();
    scene.create(&[]).code(0);
    let again = incremental(&scene);
    assert_eq!(again.check("incremental")["value"].as_f64(), Some(0.0));
    let full = scene.create(&["--full"]);
    full.code(0);
    assert!(
        full.json()["checks"]
            .as_array()
            .unwrap()
            .iter()
            .all(|c| c["name"] != "incremental")
    );
    // With no earlier backup of the name, an incremental is a full one, and says so.
    let other = Scene::new();
    let first = other.create(&["--incremental"]);
    first.code(0);
    assert!(
        first.check("incremental")["message"]
            .as_str()
            .unwrap()
            .starts_with("a full backup: no earlier backup named web"),
    );
}

#[test]
fn prune_keeps_every_link_a_kept_incremental_needs() {
    let scene = Scene::new();
    scene.create(&[]).code(0);
    for n in 0..2 {
        fs::write(scene.path("src").join(format!("data/n{n}")), "x").unwrap();
        incremental(&scene);
    }
    let dest = scene.path("dest");
    let made = archives(&dest);
    let out = maint()
        .json()
        .args(["backup", "prune", "--keep-last", "1", "--keep-daily", "0"])
        .args(["--keep-weekly", "0", "--keep-monthly", "0", "--dest"])
        .arg(&dest)
        .run();
    out.code(0);
    let text = out.json().to_string();
    assert!(
        text.contains("a link of the chain of the kept incremental"),
        "{text}"
    );
    assert_eq!(archives(&dest), made, "nothing of the chain was deleted");
    let target = scene.path("restored");
    restore(&made[2], &target, &[]).code(0);
    assert_eq!(snapshot(&target), snapshot(&scene.path("src")));
}

#[test]
fn a_missing_or_damaged_link_is_named_and_nothing_is_restored() {
    let scene = Scene::new();
    scene.create(&[]).code(0);
    fs::write(scene.path("src/data/more.txt"), "more").unwrap();
    incremental(&scene);
    fs::write(scene.path("src/data/again.txt"), "again").unwrap();
    incremental(&scene);
    let dest = scene.path("dest");
    let made = archives(&dest);
    let full_name = made[0].file_name().unwrap().to_string_lossy().into_owned();

    // Damaged: a flipped byte in the full backup.
    let bytes = fs::metadata(&made[0]).unwrap().len() as usize;
    flip_byte(&made[0], bytes / 2);
    let target = scene.path("restored");
    let out = restore(&made[2], &target, &[]);
    out.code(2).stderr_has(&full_name);
    assert!(!target.exists(), "nothing half-restored");
    let verified = maint()
        .json()
        .args(["backup", "verify"])
        .arg(&made[2])
        .run();
    verified.code(2);
    let chain = verified.check(&format!(
        "chain:{}",
        made[2].file_name().unwrap().to_string_lossy()
    ));
    assert_eq!(chain["status"], "CRITICAL");
    assert!(
        chain["message"].as_str().unwrap().contains(&full_name),
        "{chain}"
    );

    // Missing: the middle link gone, sidecars and all.
    let middle = made[1].file_name().unwrap().to_string_lossy().into_owned();
    let stem = middle.trim_end_matches(".tar.gz").to_owned();
    for entry in fs::read_dir(&dest).unwrap() {
        let path = entry.unwrap().path();
        if path
            .file_name()
            .unwrap()
            .to_string_lossy()
            .starts_with(&stem)
        {
            fs::remove_file(path).unwrap();
        }
    }
    let out = restore(&made[2], &target, &[]);
    out.code(2)
        .one_error_line(&format!("link {middle} of the chain is missing"));
    assert!(!target.exists());
    maint()
        .args(["backup", "verify"])
        .arg(&made[2])
        .run()
        .code(2)
        .stdout_has(&middle);

    // An incremental whose manifest copy is gone is never restored alone.
    fs::remove_file(dest.join(format!(
        "{}.manifest.json",
        made[2]
            .file_name()
            .unwrap()
            .to_string_lossy()
            .trim_end_matches(".tar.gz")
    )))
    .unwrap();
    restore(&made[2], &target, &[])
        .code(2)
        .stderr_has("it is an incremental on");
    assert!(!target.exists());

    // The next incremental never builds on a broken chain: it starts a new one.
    let next = scene.create(&["--incremental"]);
    next.code(0);
    let said = next.check("incremental");
    assert!(
        said["message"]
            .as_str()
            .unwrap()
            .starts_with("a full backup: "),
        "{said}"
    );
}

#[test]
fn a_path_or_a_glob_restores_only_what_matches_from_the_right_link() {
    let scene = Scene::new();
    scene.create(&[]).code(0);
    fs::write(scene.path("src/config/app.yaml"), "changed: yes\n").unwrap();
    incremental(&scene);
    let made = archives(&scene.path("dest"));
    let whole = snapshot(&scene.path("src"));

    // One file, held by the incremental itself.
    let one = scene.path("one");
    restore(&made[1], &one, &["--path", "config/app.yaml"]).code(0);
    assert_eq!(
        fs::read_to_string(one.join("config/app.yaml")).unwrap(),
        "changed: yes\n"
    );
    assert!(!one.join("data").exists());

    // A glob of names, held by the full backup: the folders on the way keep their modes.
    let glob = scene.path("glob");
    restore(&made[1], &glob, &["--path", "*.log", "--path", "deeper"]).code(0);
    let got = snapshot(&glob);
    for (path, what) in &got {
        if !what.starts_with("dir") {
            assert_eq!(Some(what), whole.get(path), "{path}");
        }
    }
    assert!(got.contains_key("data/logs/app.log"), "{got:?}");
    assert!(got.contains_key("config/deep/deeper/secret.key"), "{got:?}");
    assert_eq!(got["config/deep"], whole["config/deep"]);
    assert!(!got.contains_key("data/blob.bin"));

    // Nothing matches: said so, nothing made.
    let none = scene.path("none");
    restore(&made[1], &none, &["--path", "no-such-file"])
        .code(3)
        .one_error_line("no entry of");
    assert!(!none.exists());
}

#[test]
fn a_chain_in_a_bucket_is_fetched_link_by_link_and_restored() {
    let s3 = S3::start();
    let scratch = tempfile::tempdir().unwrap();
    let host = scratch.path().join("srv");
    make_tree(&host);
    let work = scratch.path().join("work");
    let create = |extra: &[&str]| {
        s3.maint(maint())
            .env("MAINT_WORK_DIR", &work)
            .json()
            .args([
                "backup",
                "create",
                "--dest",
                "s3://backups/host1",
                "--name",
                "web",
            ])
            .arg("--source")
            .arg(&host)
            .args(extra)
            .run()
    };
    create(&[]).code(0);
    fs::write(host.join("data/new.txt"), "after the full one").unwrap();
    fs::remove_file(host.join("config/app.yaml")).unwrap();
    let made = create(&["--incremental"]);
    made.code(0);
    let message = made.check("archive")["message"]
        .as_str()
        .unwrap()
        .to_owned();
    let last = message.split(": ").next().unwrap();
    assert!(last.starts_with("s3://backups/host1/web-"), "{last}");
    let target = scratch.path().join("restored");
    s3.maint(maint())
        .env("MAINT_WORK_DIR", &work)
        .args(["backup", "restore", last, "--target"])
        .arg(&target)
        .run()
        .code(0);
    assert_eq!(snapshot(&target), snapshot(&host));
}

#[test]
fn find_tells_which_backups_hold_a_file_and_its_versions() {
    let scene = Scene::new();
    scene.create(&[]).code(0);
    fs::write(scene.path("src/config/app.yaml"), "changed: yes\n").unwrap();
    incremental(&scene);
    fs::write(scene.path("src/data/other.txt"), "unrelated").unwrap();
    incremental(&scene);
    let made = archives(&scene.path("dest"));
    let name = |at: usize| made[at].file_name().unwrap().to_string_lossy().into_owned();
    let found = maint()
        .json()
        .args(["backup", "find", "app.yaml", "--dest"])
        .arg(scene.path("dest"))
        .run();
    found.code(0);
    assert!(
        found.check("found")["message"]
            .as_str()
            .unwrap()
            .starts_with("2 paths matching app.yaml, 3 versions"),
        "config/app.yaml has 2 versions and data/app.yaml (a symlink) 1: {}",
        found.check("found")
    );
    let rows = found.json()["sections"]["found"].clone();
    let held: Vec<(String, String)> = rows
        .as_array()
        .unwrap()
        .iter()
        .filter(|r| r["path"] == "config/app.yaml")
        .map(|r| {
            (
                r["archive"].as_str().unwrap().to_owned(),
                r["held_by"].as_str().unwrap().to_owned(),
            )
        })
        .collect();
    assert_eq!(
        held,
        [(name(0), name(0)), (name(1), name(1)), (name(2), name(1))],
        "the last backup lists the second version, which the second archive holds"
    );
    maint()
        .args(["backup", "find", "nothing-like-it", "--dest"])
        .arg(scene.path("dest"))
        .run()
        .code(1)
        .stdout_has("no backup in");
}
