//! `maint backup create --redis`: a fresh RDB snapshot of a real
//! `redis-server` goes into the archive (from the server's file on this
//! host, or over the replication stream from another), and a restore puts
//! it where a new server loads it with every key.

use std::fs;
use std::path::Path;

use crate::support::maint;
use crate::support::redis::Redis;

fn set_keys(url: &str, count: usize) {
    let client = redis::Client::open(url).unwrap();
    let mut connection = client.get_connection().unwrap();
    for i in 0..count {
        let _: () = redis::cmd("SET")
            .arg(format!("key:{i}"))
            .arg(format!("value {i}"))
            .query(&mut connection)
            .unwrap();
    }
}

fn dbsize(url: &str) -> i64 {
    let client = redis::Client::open(url).unwrap();
    let mut connection = client.get_connection().unwrap();
    redis::cmd("DBSIZE").query(&mut connection).unwrap()
}

/// A server started on the snapshot, the way an operator loads one.
fn load(rdb: &Path) -> Redis {
    let dir = tempfile::tempdir().unwrap();
    fs::copy(rdb, dir.path().join("loaded.rdb")).unwrap();
    let dir = dir.keep();
    Redis::start(&[("dir", dir.to_str().unwrap()), ("dbfilename", "loaded.rdb")])
}

#[test]
fn a_local_server_snapshot_goes_into_the_backup_and_comes_back_loadable() {
    let server = Redis::start(&[]);
    set_keys(server.url(), 500);
    let scratch = tempfile::tempdir().unwrap();
    let source = scratch.path().join("srv");
    fs::create_dir_all(&source).unwrap();
    fs::write(source.join("a.txt"), "a").unwrap();
    let dest = scratch.path().join("dest");
    fs::create_dir_all(&dest).unwrap();
    let out = maint()
        .args([
            "backup",
            "create",
            "--format",
            "json",
            "--redis",
            server.url(),
            "--source",
        ])
        .arg(&source)
        .arg("--dest")
        .arg(&dest)
        .run();
    out.code(0);
    let check = out.check("redis");
    assert_eq!(check["status"], "OK");
    assert!(
        check["message"].as_str().unwrap().contains("copied from"),
        "{check}"
    );

    let archive = fs::read_dir(&dest)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.to_string_lossy().ends_with(".tar.gz"))
        .unwrap();
    // GNU tar sees it where the manifest says.
    let listing = std::process::Command::new("tar")
        .arg("tzf")
        .arg(&archive)
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&listing.stdout).contains(".maint-backup/redis.rdb"));

    let target = scratch.path().join("back");
    let restored = maint()
        .args(["backup", "restore", "--format", "json"])
        .arg(&archive)
        .arg("--target")
        .arg(&target)
        .run();
    restored.code(0);
    let kept = fs::read_dir(&dest)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.to_string_lossy().ends_with("-redis.rdb"))
        .expect("the snapshot is kept beside the archive");
    assert!(
        restored.check("redis")["message"]
            .as_str()
            .unwrap()
            .contains(kept.to_str().unwrap())
    );
    let loaded = load(&kept);
    assert_eq!(dbsize(loaded.url()), 500);
    // Nothing of Redis lands in the restored tree itself.
    assert!(!target.join(".maint-backup").exists());
}

#[test]
fn a_server_on_another_host_is_read_over_the_replication_stream_without_showing_its_password() {
    let password = "redis-pass-7d1f3e";
    let server = Redis::start(&[("bind", "127.0.0.1 127.0.0.2"), ("requirepass", password)]);
    let url = format!("redis://:{password}@127.0.0.2:{}", server.port);
    set_keys(&url, 300);
    let scratch = tempfile::tempdir().unwrap();
    let source = scratch.path().join("srv");
    fs::create_dir_all(&source).unwrap();
    fs::write(source.join("a.txt"), "a").unwrap();
    let dest = scratch.path().join("dest");
    fs::create_dir_all(&dest).unwrap();
    let out = maint()
        .args([
            "-v", "backup", "create", "--format", "json", "--redis", &url, "--source",
        ])
        .arg(&source)
        .arg("--dest")
        .arg(&dest)
        .run();
    out.code(0).nowhere(password);
    assert!(
        out.check("redis")["message"]
            .as_str()
            .unwrap()
            .contains("replication")
    );
    let archive = fs::read_dir(&dest)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .find(|p| p.to_string_lossy().ends_with(".tar.gz"))
        .unwrap();
    let rdb = scratch.path().join("x.rdb");
    let extracted = std::process::Command::new("sh")
        .arg("-c")
        .arg(format!(
            "tar xzf {} -O .maint-backup/redis.rdb > {}",
            archive.display(),
            rdb.display()
        ))
        .status()
        .unwrap();
    assert!(extracted.success());
    assert_eq!(dbsize(load(&rdb).url()), 300);

    // A wrong password: the create fails (exit 2), nothing kept, no secret shown.
    let wrong = format!("redis://:not-{password}@127.0.0.2:{}", server.port);
    let before = fs::read_dir(&dest).unwrap().count();
    maint()
        .args(["backup", "create", "--redis", &wrong, "--source"])
        .arg(&source)
        .arg("--dest")
        .arg(&dest)
        .run()
        .code(2)
        .nowhere(password);
    let archives = fs::read_dir(&dest)
        .unwrap()
        .flatten()
        .filter(|e| e.file_name().to_string_lossy().ends_with(".tar.gz"))
        .count();
    assert_eq!(archives, 1);
    assert!(fs::read_dir(&dest).unwrap().count() <= before + 1);
}
