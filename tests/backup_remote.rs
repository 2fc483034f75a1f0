//! `maint backup` on an S3-compatible store (a real `s3s-fs` server started
//! by the test, checking signatures) and with age encryption: the whole
//! host back from the bucket after the local folder is gone, independent
//! clients (the AWS CLI, `age`, GNU tar) reading what maint wrote, and the
//! faults of a remote: a server killed mid-upload, wrong credentials, a
//! missing bucket, an endpoint that never answers, an altered object, a
//! wrong key, a second host.

use std::fs;
use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use crate::backup::{make_tree, noise, snapshot};
use crate::support::command::Maint;
use crate::support::maint;
use crate::support::s3::{S3, SECRET_KEY};

const DEST: &str = "s3://backups/host1";

/// An age key pair made by the stock `age-keygen`: (identity file, public key).
fn age_key(dir: &Path) -> (std::path::PathBuf, String) {
    let key = dir.join("backup-key.txt");
    let made = Command::new("age-keygen")
        .arg("-o")
        .arg(&key)
        .output()
        .expect("age is needed: apt-get install age");
    assert!(made.status.success());
    let public = Command::new("age-keygen")
        .arg("-y")
        .arg(&key)
        .output()
        .unwrap();
    (
        key,
        String::from_utf8(public.stdout).unwrap().trim().to_owned(),
    )
}

/// A maint run against `s3`, with a work folder of the test's own.
fn at(s3: &S3, work: &Path) -> Maint {
    s3.maint(maint()).env("MAINT_WORK_DIR", work)
}

fn archives(s3: &S3, suffix: &str) -> Vec<String> {
    let mut names: Vec<String> = fs::read_dir(s3.object("host1"))
        .map(|entries| {
            entries
                .flatten()
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .filter(|n| n.ends_with(suffix))
                .collect()
        })
        .unwrap_or_default();
    names.sort();
    names
}

#[test]
fn a_host_backed_up_encrypted_to_the_bucket_comes_back_byte_for_byte_after_the_local_copy_is_lost()
{
    let s3 = S3::start();
    let scratch = tempfile::tempdir().unwrap();
    let host = scratch.path().join("srv");
    make_tree(&host);
    fs::write(host.join("data/big.bin"), noise(40 << 20)).unwrap();
    let (key, public) = age_key(scratch.path());
    let work = scratch.path().join("work");

    let created = at(&s3, &work)
        .args(["backup", "create", "--dest", DEST, "--name", "web"])
        .arg("--source")
        .arg(&host)
        .args(["--recipient", &public, "--format", "json"])
        .run();
    created.code(0);
    let sealed = archives(&s3, ".tar.gz.age");
    assert_eq!(sealed.len(), 1, "{sealed:?}");
    let name = &sealed[0];
    // Nothing readable beside it: the manifest copy is encrypted too, and
    // no plaintext .tar.gz or manifest exists anywhere in the bucket.
    assert!(archives(&s3, ".tar.gz").is_empty());
    assert!(archives(&s3, ".manifest.json").is_empty());
    assert_eq!(archives(&s3, ".manifest.json.age").len(), 1);
    let stored = fs::read(s3.object(&format!("host1/{name}"))).unwrap();
    assert!(stored.starts_with(b"age-encryption.org/v1"));
    assert!(!stored.windows(14).any(|w| w == b"INFO started\nI"));

    // An independent client lists and fetches it; the stock age opens it,
    // GNU tar reads it, and sha256sum agrees with the sidecar.
    let listing = s3.aws(&["s3", "ls", "s3://backups/host1/"]);
    assert!(listing.status.success(), "{listing:?}");
    assert!(String::from_utf8_lossy(&listing.stdout).contains(name.as_str()));
    let fetched = scratch.path().join("fetched.tar.gz.age");
    let copy = s3.aws(&[
        "s3",
        "cp",
        &format!("s3://backups/host1/{name}"),
        fetched.to_str().unwrap(),
    ]);
    assert!(copy.status.success(), "{copy:?}");
    let opened = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "age -d -i {} {} | tar tzf - | sort",
            key.display(),
            fetched.display()
        ))
        .output()
        .unwrap();
    assert!(opened.status.success(), "{opened:?}");
    let entries = String::from_utf8_lossy(&opened.stdout);
    assert!(
        entries.contains("data/big.bin") && entries.contains("config/app.yaml"),
        "{entries}"
    );
    let sidecar = fs::read_to_string(s3.object(&format!("host1/{name}.sha256"))).unwrap();
    let summed = Command::new("sha256sum").arg(&fetched).output().unwrap();
    assert_eq!(
        sidecar.split_whitespace().next(),
        String::from_utf8_lossy(&summed.stdout)
            .split_whitespace()
            .next()
    );

    // list and verify work on the bucket; verify reads every entry with the key.
    let listed = at(&s3, &work)
        .args(["backup", "list", "--dest", DEST])
        .run();
    listed.code(0).stdout_has(name).stdout_has("verified");
    at(&s3, &work)
        .args(["backup", "verify", "--dest", DEST])
        .run()
        .code(0)
        .stdout_has("stored bytes match the .sha256 sidecar");
    at(&s3, &work)
        .args(["backup", "verify", "--dest", DEST, "--identity"])
        .arg(&key)
        .run()
        .code(0)
        .stdout_has("match the manifest");

    // The host is lost: its data and every local trace of maint.
    let before = snapshot(&host);
    fs::remove_dir_all(&host).unwrap();
    let _ = fs::remove_dir_all(&work);
    let restored = at(&s3, &work)
        .args(["backup", "restore", &format!("{DEST}/{name}"), "--target"])
        .arg(&host)
        .arg("--identity")
        .arg(&key)
        .run();
    restored.code(0);
    assert_eq!(snapshot(&host), before);
    // The fetched copy is gone; the work folder is private.
    let left: Vec<_> = fs::read_dir(&work)
        .unwrap()
        .flatten()
        .map(|e| e.file_name())
        .collect();
    assert!(
        left.iter()
            .all(|n| !n.to_string_lossy().ends_with(".tar.gz")),
        "{left:?}"
    );
    assert_eq!(
        fs::metadata(&work).unwrap().permissions().mode() & 0o777,
        0o700
    );
    // The disaster-recovery drill runs from the bucket too.
    at(&s3, &work)
        .args(["backup", "drill", "--dest", DEST, "--identity"])
        .arg(&key)
        .run()
        .code(0)
        .stdout_has("drill");
}

#[test]
fn plain_backups_round_trip_through_the_bucket_and_prune_deletes_there() {
    let s3 = S3::start();
    let scratch = tempfile::tempdir().unwrap();
    let host = scratch.path().join("srv");
    make_tree(&host);
    let work = scratch.path().join("work");
    // Back to back, within a second: the second never takes the first's name.
    for _ in 0..2 {
        at(&s3, &work)
            .args([
                "backup", "create", "--dest", DEST, "--name", "web", "--source",
            ])
            .arg(&host)
            .run()
            .code(0);
    }
    let names = archives(&s3, ".tar.gz");
    assert_eq!(names.len(), 2);
    // The AWS CLI fetches a plain archive that GNU tar reads as it is.
    let out = scratch.path().join("a.tar.gz");
    assert!(
        s3.aws(&[
            "s3",
            "cp",
            &format!("s3://backups/host1/{}", names[1]),
            out.to_str().unwrap()
        ])
        .status
        .success()
    );
    assert!(
        Command::new("tar")
            .arg("tzf")
            .arg(&out)
            .status()
            .unwrap()
            .success()
    );

    at(&s3, &work)
        .args(["backup", "verify", "--latest", "--dest", DEST])
        .run()
        .code(0)
        .stdout_has("match the manifest");
    // diagnose reads the bucket as it reads a folder.
    let diagnosed = at(&s3, &work)
        .config(&format!("[backup]\ndest = \"{DEST}\"\n"))
        .args(["diagnose", "--format", "json"])
        .run();
    // (Only the backup findings matter here: the host's load may warn.)
    diagnosed.stdout_has(&names[1]);
    assert!(
        !diagnosed.stdout.contains("backup:latest"),
        "{}",
        diagnosed.stdout
    );
    // A full read keeps what the quick check compares with.
    at(&s3, &work)
        .args(["backup", "verify", "--quick", "--dest", DEST])
        .run()
        .code(0)
        .stdout_has("as written");
    // Per-destination metrics for the staleness alert.
    at(&s3, &work)
        .args(["backup", "list", "--dest", DEST, "--format", "prometheus"])
        .run()
        .code(0)
        .stdout_has(
            "maint_backup_newest_verified{command=\"backup list\",dest=\"s3://backups/host1\"} 1",
        );
    let target = scratch.path().join("back");
    at(&s3, &work)
        .args([
            "backup",
            "restore",
            &format!("{DEST}/{}", names[0]),
            "--target",
        ])
        .arg(&target)
        .run()
        .code(0);
    assert_eq!(snapshot(&target), snapshot(&host));

    at(&s3, &work)
        .args([
            "backup",
            "prune",
            "--dest",
            DEST,
            "--keep-last",
            "1",
            "--keep-daily",
            "0",
            "--keep-weekly",
            "0",
            "--keep-monthly",
            "0",
        ])
        .run()
        .code(0)
        .stdout_has("deleted 1 of 2");
    assert_eq!(archives(&s3, ".tar.gz"), vec![names[1].clone()]);
    // The sidecars went with it.
    let stem = names[0].trim_end_matches(".tar.gz");
    assert!(archives(&s3, "").iter().all(|n| !n.starts_with(stem)));
}

#[test]
fn an_altered_or_truncated_object_is_critical_and_named() {
    let s3 = S3::start();
    let scratch = tempfile::tempdir().unwrap();
    let host = scratch.path().join("srv");
    make_tree(&host);
    let work = scratch.path().join("work");
    at(&s3, &work)
        .args([
            "backup", "create", "--dest", DEST, "--name", "web", "--source",
        ])
        .arg(&host)
        .run()
        .code(0);
    let name = archives(&s3, ".tar.gz").remove(0);
    let object = s3.object(&format!("host1/{name}"));
    let mut bytes = fs::read(&object).unwrap();
    let middle = bytes.len() / 2;
    bytes[middle] ^= 0x20;
    fs::write(&object, &bytes).unwrap();
    let out = at(&s3, &work)
        .args(["backup", "verify", "--dest", DEST])
        .run();
    out.code(2).stdout_has(&name).stdout_has("CRITICAL");
    // Written over through the S3 API (as an attacker or a faulty sync
    // would), the object gets a new checksum: the quick check, which reads
    // nothing but its size and ETag, sees it.
    let altered = scratch.path().join("altered.tar.gz");
    fs::write(&altered, &bytes).unwrap();
    let put = s3.aws(&[
        "s3",
        "cp",
        altered.to_str().unwrap(),
        &format!("s3://backups/host1/{name}"),
    ]);
    assert!(put.status.success(), "{put:?}");
    at(&s3, &work)
        .args(["backup", "verify", "--quick", "--dest", DEST])
        .run()
        .code(2)
        .stdout_has("checksum (ETag");
    // list now says so, and prune would not count it.
    at(&s3, &work)
        .args(["backup", "list", "--dest", DEST])
        .run()
        .stdout_has("DAMAGED");

    fs::write(&object, &bytes[..bytes.len() - 100]).unwrap();
    at(&s3, &work)
        .args(["backup", "verify", "--quick", "--dest", DEST])
        .run()
        .code(2)
        .stdout_has("bytes where");
    at(&s3, &work)
        .args(["backup", "verify", "--dest", DEST])
        .run()
        .code(2)
        .stdout_has("truncated");
}

#[test]
fn a_tampered_ciphertext_or_a_wrong_key_fails_with_the_archive_named() {
    let s3 = S3::start();
    let scratch = tempfile::tempdir().unwrap();
    let host = scratch.path().join("srv");
    make_tree(&host);
    let work = scratch.path().join("work");
    let (key, public) = age_key(scratch.path());
    let (other_key, _) = age_key(&scratch.path().join("other").tap_mkdir());
    at(&s3, &work)
        .args([
            "backup",
            "create",
            "--dest",
            DEST,
            "--name",
            "web",
            "--recipient",
            &public,
            "--source",
        ])
        .arg(&host)
        .run()
        .code(0);
    let name = archives(&s3, ".tar.gz.age").remove(0);
    let url = format!("{DEST}/{name}");
    let target = scratch.path().join("back");

    // No key, and the wrong key: refused before anything, exit 3.
    at(&s3, &work)
        .args(["backup", "restore", &url, "--target"])
        .arg(&target)
        .run()
        .code(3)
        .one_error_line("is encrypted");
    at(&s3, &work)
        .args(["backup", "restore", &url, "--target"])
        .arg(&target)
        .arg("--identity")
        .arg(&other_key)
        .run()
        .code(3)
        .one_error_line(&name);
    assert!(!target.exists());

    // A flipped byte in the ciphertext: exit 2, the archive named, nothing restored.
    let object = s3.object(&format!("host1/{name}"));
    let mut bytes = fs::read(&object).unwrap();
    let at_byte = bytes.len() - 2000;
    bytes[at_byte] ^= 1;
    fs::write(&object, &bytes).unwrap();
    at(&s3, &work)
        .args(["backup", "restore", &url, "--target"])
        .arg(&target)
        .arg("--identity")
        .arg(&key)
        .run()
        .code(2)
        .one_error_line(&name);
    assert!(!target.exists());
    at(&s3, &work)
        .args(["backup", "verify", "--dest", DEST, "--identity"])
        .arg(&key)
        .run()
        .code(2)
        .stdout_has(&name);
    // Even without the key, the stored bytes no longer match the sidecar.
    at(&s3, &work)
        .args(["backup", "verify", "--dest", DEST])
        .run()
        .code(2)
        .stdout_has("SHA-256 differs");
}

trait TapMkdir {
    fn tap_mkdir(self) -> Self;
}

impl TapMkdir for std::path::PathBuf {
    fn tap_mkdir(self) -> Self {
        fs::create_dir_all(&self).unwrap();
        self
    }
}

#[test]
fn wrong_credentials_a_missing_bucket_and_a_silent_endpoint_fail_first_without_secrets() {
    let s3 = S3::start();
    let scratch = tempfile::tempdir().unwrap();
    let host = scratch.path().join("srv");
    make_tree(&host);
    let work = scratch.path().join("work");
    let wrong = "wrong-secret-0f9e8d7c6b5a";
    for format in ["table", "json", "nagios"] {
        let out = maint()
            .env("AWS_ACCESS_KEY_ID", "AKIAMAINTTEST")
            .env("AWS_SECRET_ACCESS_KEY", wrong)
            .env("AWS_ENDPOINT_URL", s3.endpoint())
            .env("MAINT_WORK_DIR", &work)
            .args([
                "-v", "backup", "create", "--dest", DEST, "--format", format, "--source",
            ])
            .arg(&host)
            .run();
        out.code(3)
            .nowhere(wrong)
            .nowhere(SECRET_KEY)
            .nowhere("X-Amz-Signature");
        assert!(
            out.stderr.contains("access denied") || out.stderr.contains("Signature"),
            "{}",
            out.stderr
        );
    }
    // Credentials from ~/.aws/credentials, as every AWS tool reads them.
    let with_profile = maint();
    fs::create_dir_all(with_profile.path(".aws")).unwrap();
    fs::write(
        with_profile.path(".aws/credentials"),
        format!(
            "[backup]\naws_access_key_id = {}\naws_secret_access_key = {SECRET_KEY}\n",
            crate::support::s3::ACCESS_KEY
        ),
    )
    .unwrap();
    with_profile
        .env("AWS_PROFILE", "backup")
        .env("AWS_ENDPOINT_URL", s3.endpoint())
        .env("MAINT_WORK_DIR", &work)
        .args(["backup", "list", "--dest", DEST])
        .run()
        .code(1)
        .stdout_has("no backups");

    at(&s3, &work)
        .args([
            "backup",
            "create",
            "--dest",
            "s3://no-such-bucket/x",
            "--source",
        ])
        .arg(&host)
        .run()
        .code(3)
        .one_error_line("bucket no-such-bucket does not exist");

    // An endpoint that accepts and never answers is given up at the timeout.
    let silent = crate::support::tls::silent_port();
    let clock = Instant::now();
    at(&s3, &work)
        .env("AWS_ENDPOINT_URL", format!("http://127.0.0.1:{silent}"))
        .config("[backup.s3]\ntimeout = \"2s\"\n")
        .args(["backup", "list", "--dest", DEST])
        .run()
        .code(3)
        .one_error_line("answered nothing within 2 s");
    assert!(
        clock.elapsed() < Duration::from_secs(20),
        "{:?}",
        clock.elapsed()
    );
}

#[test]
fn a_second_host_is_turned_away_naming_the_holder_and_a_stale_lock_is_cleared() {
    let s3 = S3::start();
    let scratch = tempfile::tempdir().unwrap();
    let host = scratch.path().join("srv");
    make_tree(&host);
    let work = scratch.path().join("work");
    fs::create_dir_all(s3.object("host1")).unwrap();
    let now = chrono::Utc::now();
    let lock = |since: chrono::DateTime<chrono::Utc>| {
        format!(
            r#"{{"what":"maint backup create","host":"db-2.example","pid":4242,"since":"{0}","refreshed_at":"{0}"}}"#,
            since.to_rfc3339()
        )
    };
    let planted = s3.object("host1/.maint-lock-db-2-4242-1");
    fs::write(&planted, lock(now)).unwrap();
    at(&s3, &work)
        .args(["backup", "create", "--dest", DEST, "--source"])
        .arg(&host)
        .run()
        .code(3)
        .one_error_line("held by maint backup create (pid 4242 on db-2.example");
    assert!(archives(&s3, ".tar.gz").is_empty());

    // Not refreshed for an hour: its holder died; it is removed and said so.
    fs::write(&planted, lock(now - chrono::TimeDelta::hours(1))).unwrap();
    at(&s3, &work)
        .args(["backup", "create", "--dest", DEST, "--source"])
        .arg(&host)
        .run()
        .code(0)
        .stdout_has("removed the stale lock of maint backup create (pid 4242 on db-2.example");
    assert!(!planted.exists());
    assert!(
        archives(&s3, "")
            .iter()
            .all(|n| !n.starts_with(".maint-lock-"))
    );
}

#[test]
fn a_server_killed_mid_upload_leaves_no_archive_and_the_next_run_cleans_up() {
    let mut s3 = S3::start();
    let scratch = tempfile::tempdir().unwrap();
    let host = scratch.path().join("srv");
    fs::create_dir_all(&host).unwrap();
    fs::write(host.join("big.bin"), noise(120 << 20)).unwrap();
    let work = scratch.path().join("work");
    let run = at(&s3, &work)
        .config("[backup.s3]\ntimeout = \"3s\"\n")
        .args([
            "backup", "create", "--dest", DEST, "--name", "web", "--source",
        ])
        .arg(&host);
    let mut child = run
        .command()
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .unwrap();
    // Once the first part is on the server, the server dies.
    let started = crate::support::command::wait_for(Duration::from_secs(60), || {
        fs::read_to_string(s3.object("host1/.maint-last-create-web.json"))
            .is_ok_and(|state| state.contains("upload_id"))
    });
    assert!(started, "the upload never started");
    std::thread::sleep(Duration::from_millis(300));
    s3.stop();
    let status = child.wait().unwrap();
    assert_eq!(status.code(), Some(2));
    s3.restart();
    assert!(archives(&s3, ".tar.gz").is_empty());
    let out = at(&s3, &work)
        .args([
            "backup", "create", "--dest", DEST, "--name", "web", "--source",
        ])
        .arg(&host)
        .run();
    out.code(0).stdout_has("cleanup");
    assert_eq!(archives(&s3, ".tar.gz").len(), 1);
}

#[test]
fn copies_go_to_every_destination_verified_with_their_own_retention() {
    let s3 = S3::start();
    let scratch = tempfile::tempdir().unwrap();
    let host = scratch.path().join("srv");
    make_tree(&host);
    let work = scratch.path().join("work");
    let local = scratch.path().join("local");
    let second = scratch.path().join("second-disk");
    fs::create_dir_all(&local).unwrap();
    fs::create_dir_all(&second).unwrap();
    let config = format!(
        "[backup]\ndest = \"{}\"\nname = \"web\"\nkeep_last = 1\nkeep_daily = 0\nkeep_weekly = 0\nkeep_monthly = 0\n\n[[backup.copy]]\ndest = \"{DEST}\"\nkeep_last = 2\nkeep_daily = 0\nkeep_weekly = 0\nkeep_monthly = 0\n\n[[backup.copy]]\ndest = \"{}\"\n",
        local.display(),
        second.display()
    );
    for _ in 0..3 {
        let out = at(&s3, &work)
            .config(&config)
            .args(["backup", "create", "--format", "json", "--source"])
            .arg(&host)
            .run();
        out.code(0);
        assert_eq!(out.check(&format!("copy:{DEST}"))["status"], "OK");
        std::thread::sleep(Duration::from_millis(1100));
    }
    let names = archives(&s3, ".tar.gz");
    assert_eq!(names.len(), 3);
    // Every copy is whole: the stock tools agree with the sidecars.
    for name in &names {
        let copy = second.join(name);
        let sums = Command::new("sha256sum")
            .arg("-c")
            .arg(format!("{name}.sha256"))
            .current_dir(&second)
            .output()
            .unwrap();
        assert!(sums.status.success(), "{sums:?}");
        assert!(copy.is_file());
    }
    let listed = at(&s3, &work)
        .config(&config)
        .args(["backup", "list"])
        .run();
    listed
        .code(0)
        .stdout_has("COPIES")
        .stdout_has(&format!("{DEST}, {}", second.display()));

    // Each destination keeps by its own policy: 1 here, 2 in the bucket.
    at(&s3, &work)
        .config(&config)
        .args(["backup", "prune"])
        .run()
        .code(0);
    assert_eq!(
        fs::read_dir(&local)
            .unwrap()
            .flatten()
            .filter(|e| e.file_name().to_string_lossy().ends_with(".tar.gz"))
            .count(),
        1
    );
    at(&s3, &work)
        .config(&config)
        .args(["backup", "prune", "--dest", DEST])
        .run()
        .code(0);
    assert_eq!(archives(&s3, ".tar.gz"), names[1..].to_vec());
}

#[test]
fn a_local_folder_encrypted_to_an_ssh_key_opens_with_that_key_in_maint_and_in_age() {
    let scratch = tempfile::tempdir().unwrap();
    let host = scratch.path().join("srv");
    make_tree(&host);
    let dest = scratch.path().join("dest");
    fs::create_dir_all(&dest).unwrap();
    let key = scratch.path().join("id_ed25519");
    let made = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", "", "-f"])
        .arg(&key)
        .status()
        .expect("ssh-keygen");
    assert!(made.success());
    let public = fs::read_to_string(key.with_extension("pub")).unwrap();
    maint()
        .args([
            "backup",
            "create",
            "--name",
            "web",
            "--recipient",
            public.trim(),
            "--source",
        ])
        .arg(&host)
        .arg("--dest")
        .arg(&dest)
        .run()
        .code(0);
    let sealed: Vec<_> = fs::read_dir(&dest)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.to_string_lossy().ends_with(".tar.gz.age"))
        .collect();
    assert_eq!(sealed.len(), 1);
    let archive = &sealed[0];
    // sha256sum -c works on the ciphertext without any key.
    let sums = Command::new("sha256sum")
        .arg("-c")
        .arg(format!(
            "{}.sha256",
            archive.file_name().unwrap().to_string_lossy()
        ))
        .current_dir(&dest)
        .output()
        .unwrap();
    assert!(sums.status.success(), "{sums:?}");
    let opened = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "age -d -i {} {} | tar tzf -",
            key.display(),
            archive.display()
        ))
        .output()
        .unwrap();
    assert!(opened.status.success(), "{opened:?}");
    maint()
        .args(["backup", "list", "--dest"])
        .arg(&dest)
        .run()
        .code(0)
        .stdout_has("verified");
    maint()
        .args(["backup", "verify", "--identity"])
        .arg(&key)
        .arg(archive)
        .run()
        .code(0)
        .stdout_has("match the manifest");
    let work = scratch.path().join("work");
    let target = scratch.path().join("back");
    maint()
        .env("MAINT_WORK_DIR", &work)
        .args(["backup", "restore"])
        .arg(archive)
        .arg("--target")
        .arg(&target)
        .arg("--identity")
        .arg(&key)
        .run()
        .code(0);
    assert_eq!(snapshot(&target), snapshot(&host));
}
