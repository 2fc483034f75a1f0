//! The round trip of issue 11 as a whole: whatever a tree holds (names that
//! are not UTF-8 or hold newlines, symlinks and hard links, modes, owners
//! with and without names, times before 1970, extended attributes, ACLs,
//! file capabilities, sparse files, fifos) comes back from `create` →
//! `verify` → `restore` byte for byte and metadata for metadata, and GNU
//! tar reads the same archive to the same tree. A hand-made tree first,
//! then proptest over generated ones. Every bug either found stays in the
//! hand-made tree: an attribute with an empty value (`user.empty`) made
//! `create` fail its own verification, since the PAX reader took an empty
//! `SCHILY.xattr.*` record for a deletion.

use std::collections::BTreeMap;
use std::ffi::OsStr;
use std::fmt;
use std::fs;
use std::io::{Read, Seek, SeekFrom, Write};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::process::Command;

use proptest::prelude::*;
use proptest::sample::select;
use sha2::{Digest, Sha256};

use crate::support::maint;

/// What a restore must give back for one path, as the filesystem says it.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Node {
    kind: &'static str,
    /// Permission bits with set-id and sticky; 0 for symlinks (they have none on Linux).
    mode: u32,
    uid: u32,
    gid: u32,
    mtime: (i64, i64),
    size: u64,
    /// A file's content (see [`fingerprint`]).
    content: String,
    target: Bytes,
    xattrs: BTreeMap<Bytes, Bytes>,
    nlink: u64,
    /// The first path (in byte order) of a file with several links.
    linked_with: Option<Bytes>,
}

/// Bytes shown as `b"..."`, so a failing case reads as the names it holds.
#[derive(Clone, Default, PartialEq, Eq, PartialOrd, Ord)]
struct Bytes(Vec<u8>);

impl fmt::Debug for Bytes {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "b\"{}\"", self.0.escape_ascii())
    }
}

/// A tree as it is on disk: every node by its path below the root (the
/// root itself as `.`), and what the sparse checks need beside it.
#[derive(Debug, Default)]
struct Tree {
    nodes: BTreeMap<Bytes, Node>,
    /// 512-byte blocks allocated to each regular file.
    blocks: BTreeMap<Bytes, u64>,
    inodes: BTreeMap<Bytes, u64>,
}

fn path_of(root: &Path, rel: &[u8]) -> PathBuf {
    if rel == b"." {
        root.to_path_buf()
    } else {
        root.join(OsStr::from_bytes(rel))
    }
}

/// Every extended attribute of `path` itself (links not followed).
fn xattrs_of(path: &Path) -> BTreeMap<Bytes, Bytes> {
    let mut names = vec![0u8; 64 * 1024];
    let len = rustix::fs::llistxattr(path, &mut names[..]).unwrap_or(0);
    names.truncate(len);
    let mut out = BTreeMap::new();
    for name in names.split(|&b| b == 0).filter(|n| !n.is_empty()) {
        let mut value = vec![0u8; 64 * 1024];
        let n = rustix::fs::lgetxattr(path, name, &mut value[..]).unwrap_or_else(|err| {
            panic!(
                "{}: xattr {:?}: {err}",
                path.display(),
                Bytes(name.to_vec())
            )
        });
        value.truncate(n);
        out.insert(Bytes(name.to_vec()), Bytes(value));
    }
    out
}

/// The content of a file, without reading its holes: SHA-256 over each
/// 4 KiB block that holds anything but zeros, with its offset. Two files of
/// one size have the same fingerprint exactly when their bytes are the same
/// (a hole and a run of written zeros read alike), and a debug build need
/// not hash a sparse file's gigabytes of zeros.
fn fingerprint(path: &Path) -> String {
    use rustix::fs::SeekFrom as At;
    let mut file = fs::File::open(path).unwrap();
    let size = file.metadata().unwrap().len();
    let mut sha = Sha256::new();
    let mut block = vec![0u8; 4096];
    let mut at = 0;
    let mut next_block = 0;
    while at < size {
        let data = match rustix::fs::seek(&file, At::Data(at)) {
            Ok(data) => data,
            Err(rustix::io::Errno::NXIO) => break,
            Err(err) => panic!("{}: SEEK_DATA: {err}", path.display()),
        };
        let hole = rustix::fs::seek(&file, At::Hole(data)).unwrap().min(size);
        // Whole blocks from the start of the file, so both sides cut alike.
        let mut offset = (data / 4096 * 4096).max(next_block);
        while offset < hole {
            let len = (size - offset).min(4096) as usize;
            file.seek(SeekFrom::Start(offset)).unwrap();
            file.read_exact(&mut block[..len]).unwrap();
            if block[..len].iter().any(|&b| b != 0) {
                sha.update(offset.to_le_bytes());
                sha.update(&block[..len]);
            }
            offset += 4096;
        }
        next_block = offset;
        at = hole;
    }
    data_encoding::HEXLOWER.encode(&sha.finalize())
}

fn snapshot(root: &Path) -> Tree {
    let mut tree = Tree::default();
    let mut stack = vec![b".".to_vec()];
    while let Some(rel) = stack.pop() {
        let path = path_of(root, &rel);
        let meta = fs::symlink_metadata(&path).unwrap();
        let file_type = meta.file_type();
        let kind = if file_type.is_symlink() {
            "symlink"
        } else if file_type.is_dir() {
            "dir"
        } else if file_type.is_file() {
            "file"
        } else if std::os::unix::fs::FileTypeExt::is_fifo(&file_type) {
            "fifo"
        } else {
            "other"
        };
        if kind == "dir" {
            for child in fs::read_dir(&path).unwrap() {
                let name = child.unwrap().file_name();
                let child_rel = if rel == b"." {
                    name.as_bytes().to_vec()
                } else {
                    [&rel[..], b"/", name.as_bytes()].concat()
                };
                stack.push(child_rel);
            }
        }
        let node = Node {
            kind,
            mode: if kind == "symlink" {
                0
            } else {
                meta.mode() & 0o7777
            },
            uid: meta.uid(),
            gid: meta.gid(),
            mtime: (meta.mtime(), meta.mtime_nsec()),
            size: if kind == "file" { meta.len() } else { 0 },
            content: if kind == "file" {
                fingerprint(&path)
            } else {
                String::new()
            },
            target: Bytes(if kind == "symlink" {
                fs::read_link(&path)
                    .unwrap()
                    .as_os_str()
                    .as_bytes()
                    .to_vec()
            } else {
                Vec::new()
            }),
            xattrs: xattrs_of(&path),
            nlink: if kind == "dir" { 0 } else { meta.nlink() },
            linked_with: None,
        };
        if kind == "file" {
            tree.blocks.insert(Bytes(rel.clone()), meta.blocks());
            tree.inodes.insert(Bytes(rel.clone()), meta.ino());
        }
        tree.nodes.insert(Bytes(rel), node);
    }
    // Hard links by the first name of their inode, so two trees compare.
    let mut first: BTreeMap<u64, Bytes> = BTreeMap::new();
    for (rel, node) in &mut tree.nodes {
        if node.kind == "file" && node.nlink > 1 {
            let name = first.entry(tree.inodes[rel]).or_insert_with(|| rel.clone());
            node.linked_with = Some(name.clone());
        }
    }
    tree
}

/// The differences between two trees, one line each (empty: the same).
fn differences(want: &Tree, got: &Tree) -> Vec<String> {
    let mut out = Vec::new();
    for (path, node) in &want.nodes {
        match got.nodes.get(path) {
            None => out.push(format!("{path:?}: missing")),
            Some(other) if other != node => {
                out.push(format!("{path:?}:\n  want {node:?}\n  got  {other:?}"));
            }
            Some(_) => {}
        }
    }
    for path in got.nodes.keys() {
        if !want.nodes.contains_key(path) {
            out.push(format!("{path:?}: not in the source"));
        }
    }
    // A sparse file comes back sparse: no more blocks than it had (a data
    // run of zeros may come back as a hole, so fewer is fine).
    for (path, &blocks) in &want.blocks {
        let node = &want.nodes[path];
        if blocks * 512 < node.size
            && let Some(&restored) = got.blocks.get(path)
            && restored > blocks + 8
        {
            out.push(format!(
                "{path:?}: sparse with {blocks} blocks, restored with {restored}"
            ));
        }
    }
    out
}

/// A command other than maint, which must succeed.
fn run(command: &mut Command) -> Result<String, String> {
    let out = command
        .env("LC_ALL", "C")
        .output()
        .map_err(|err| format!("{command:?}: {err}"))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(format!(
            "{command:?}: {}\n{}{}",
            out.status,
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ))
    }
}

/// maint with a JSON report, which must exit 0: a warning means something
/// was left out or not restored, which a round trip must never need.
fn maint_ok(args: &[&OsStr]) -> Result<(), String> {
    let out = maint().json().args(args).run();
    if out.code == 0 {
        Ok(())
    } else {
        Err(format!(
            "{}: exit {}\n{}{}",
            out.command, out.code, out.stdout, out.stderr
        ))
    }
}

/// The folders of one round trip: `src` (the tree), `dest` (backups),
/// `restored` (by maint, made by the restore) and `gnu` (by GNU tar).
struct Trip {
    dir: tempfile::TempDir,
}

impl Trip {
    fn new() -> Trip {
        let dir = tempfile::Builder::new()
            .prefix("maint-roundtrip-")
            .tempdir()
            .unwrap();
        fs::create_dir(dir.path().join("src")).unwrap();
        fs::create_dir(dir.path().join("dest")).unwrap();
        Trip { dir }
    }

    fn path(&self, name: &str) -> PathBuf {
        self.dir.path().join(name)
    }

    /// create → verify → restore into `restored`, and GNU tar's extraction
    /// of the same archive into `gnu`; returns the archive.
    fn run(&self) -> Result<PathBuf, String> {
        let (src, dest, restored, gnu) = (
            self.path("src"),
            self.path("dest"),
            self.path("restored"),
            self.path("gnu"),
        );
        let os = |text: &'static str| OsStr::new(text);
        maint_ok(&[
            os("backup"),
            os("create"),
            os("--name"),
            os("trip"),
            os("--source"),
            src.as_os_str(),
            os("--dest"),
            dest.as_os_str(),
        ])?;
        let archive = fs::read_dir(&dest)
            .unwrap()
            .map(|e| e.unwrap().path())
            .find(|p| {
                let name = p.file_name().unwrap().to_string_lossy().into_owned();
                !name.starts_with('.') && name.ends_with(".tar.gz")
            })
            .ok_or("no archive was made")?;
        maint_ok(&[os("backup"), os("verify"), archive.as_os_str()])?;
        maint_ok(&[
            os("backup"),
            os("restore"),
            archive.as_os_str(),
            os("--target"),
            restored.as_os_str(),
        ])?;
        fs::create_dir(&gnu).unwrap();
        run(Command::new("tar")
            .args([
                "--xattrs",
                "--xattrs-include=*",
                "--exclude=.maint-backup",
                "-xzf",
            ])
            .arg(&archive)
            .arg("-C")
            .arg(&gnu))?;
        Ok(archive)
    }

    /// Both extractions equal the source, or what differs.
    fn compare(&self, source: &Tree) -> Result<(), String> {
        let mut problems = Vec::new();
        for (who, folder) in [("maint restore", "restored"), ("GNU tar", "gnu")] {
            let got = snapshot(&self.path(folder));
            problems.extend(
                differences(source, &got)
                    .into_iter()
                    .map(|d| format!("{who}: {d}")),
            );
        }
        if problems.is_empty() {
            Ok(())
        } else {
            Err(problems.join("\n"))
        }
    }
}

fn root_only() -> bool {
    if rustix::process::geteuid().is_root() {
        return true;
    }
    eprintln!("skipped: owners, capabilities and ACLs round-trip only as root");
    false
}

fn set_mtime(path: &Path, (seconds, nanos): (i64, u32)) {
    let time = rustix::fs::Timespec {
        tv_sec: seconds,
        tv_nsec: nanos.into(),
    };
    rustix::fs::utimensat(
        rustix::fs::CWD,
        path,
        &rustix::fs::Timestamps {
            last_access: time,
            last_modification: time,
        },
        rustix::fs::AtFlags::SYMLINK_NOFOLLOW,
    )
    .unwrap_or_else(|err| panic!("{}: utimensat: {err}", path.display()));
}

fn set_xattr(path: &Path, name: &str, value: &[u8]) {
    rustix::fs::lsetxattr(path, name, value, rustix::fs::XattrFlags::empty())
        .unwrap_or_else(|err| panic!("{}: setxattr {name}: {err}", path.display()));
}

fn mkfifo(path: &Path) {
    rustix::fs::mknodat(
        rustix::fs::CWD,
        path,
        rustix::fs::FileType::Fifo,
        rustix::fs::Mode::from_raw_mode(0o644),
        0,
    )
    .unwrap();
}

fn installed(tool: &str) -> bool {
    Command::new("sh")
        .args(["-c", &format!("command -v {tool}")])
        .output()
        .is_ok_and(|out| out.status.success())
}

/// A POSIX ACL as the kernel stores it in `system.posix_acl_*` (what
/// `setfacl -m u:nobody:r--,g::r--,m::r--,o::---` makes of a 0640 file).
fn acl_value(user_perm: u16, named_user: u32) -> Vec<u8> {
    let mut value = 2u32.to_le_bytes().to_vec();
    let undefined = u32::MAX;
    for (tag, perm, id) in [
        (0x01u16, 6u16, undefined),
        (0x02, user_perm, named_user),
        (0x04, 4, undefined),
        (0x10, 4, undefined),
        (0x20, 0, undefined),
    ] {
        value.extend_from_slice(&tag.to_le_bytes());
        value.extend_from_slice(&perm.to_le_bytes());
        value.extend_from_slice(&id.to_le_bytes());
    }
    value
}

/// `cap_net_bind_service=ep` as `setcap` stores it (VFS_CAP_REVISION_2).
fn capability_value() -> Vec<u8> {
    let mut value = (0x0200_0000u32 | 1).to_le_bytes().to_vec();
    for word in [1u32 << 10, 0, 0, 0] {
        value.extend_from_slice(&word.to_le_bytes());
    }
    value
}

const SPARSE_SIZE: u64 = 64 << 20;

/// The hand-made tree: one of each thing issue 11 says an archive keeps.
fn metadata_tree(src: &Path) {
    let odd_name = OsStr::from_bytes(b"caf\xe9 \n\\-name\xff");
    fs::write(src.join(odd_name), b"odd name\n").unwrap();
    std::os::unix::fs::symlink(
        OsStr::from_bytes(b"../t\xff\xfe/target\nline"),
        src.join("odd-link"),
    )
    .unwrap();
    std::os::unix::fs::symlink("/nonexistent/absolute", src.join("absolute-link")).unwrap();

    fs::create_dir_all(src.join("links/one")).unwrap();
    fs::create_dir_all(src.join("links/two")).unwrap();
    fs::write(src.join("links/one/first"), b"linked content").unwrap();
    fs::hard_link(src.join("links/one/first"), src.join("links/two/second")).unwrap();

    let tagged = src.join("tagged");
    fs::write(&tagged, b"with attributes").unwrap();
    set_xattr(&tagged, "user.maint", b"value\nwith\0bytes\xff");
    set_xattr(&tagged, "user.empty", b"");

    let cap = src.join("bin-with-cap");
    fs::write(&cap, b"#!/bin/sh\n").unwrap();
    fs::set_permissions(&cap, fs::Permissions::from_mode(0o755)).unwrap();
    if installed("setcap") {
        run(Command::new("setcap")
            .arg("cap_net_bind_service=+ep")
            .arg(&cap))
        .unwrap();
    } else {
        set_xattr(&cap, "security.capability", &capability_value());
    }

    let shared = src.join("acl-shared");
    fs::create_dir(&shared).unwrap();
    fs::write(shared.join("report"), b"acl").unwrap();
    fs::set_permissions(shared.join("report"), fs::Permissions::from_mode(0o640)).unwrap();
    if installed("setfacl") {
        run(Command::new("setfacl")
            .args(["-m", "u:nobody:r--"])
            .arg(shared.join("report")))
        .unwrap();
        run(Command::new("setfacl")
            .args(["-d", "-m", "u:nobody:r-x"])
            .arg(&shared))
        .unwrap();
    } else {
        set_xattr(
            &shared.join("report"),
            "system.posix_acl_access",
            &acl_value(4, 65534),
        );
        set_xattr(&shared, "system.posix_acl_default", &acl_value(5, 65534));
    }

    // 64 MiB apparent, a few KiB of data, ending in a hole. (Bigger would
    // prove no more and only slow a debug build, which hashes the holes.)
    let mut sparse = fs::File::create(src.join("sparse.img")).unwrap();
    sparse.write_all(&[7u8; 4096]).unwrap();
    sparse.seek(SeekFrom::Start(40 << 20)).unwrap();
    sparse.write_all(b"in the middle").unwrap();
    sparse.set_len(SPARSE_SIZE).unwrap();
    drop(sparse);
    // One that ends in data.
    let mut tail = fs::File::create(src.join("sparse-tail")).unwrap();
    tail.seek(SeekFrom::Start(5 << 20)).unwrap();
    tail.write_all(b"at the end").unwrap();
    drop(tail);

    let owned = src.join("owned-by-nobody");
    fs::write(&owned, b"nobody's").unwrap();
    std::os::unix::fs::chown(&owned, Some(65534), Some(65534)).unwrap();
    let unnamed = src.join("owned-by-an-id");
    fs::write(&unnamed, b"no name for this owner").unwrap();
    std::os::unix::fs::chown(&unnamed, Some(4242), Some(4343)).unwrap();
    let setuid = src.join("setuid");
    fs::write(&setuid, b"").unwrap();
    std::os::unix::fs::chown(&setuid, Some(65534), Some(0)).unwrap();
    fs::set_permissions(&setuid, fs::Permissions::from_mode(0o4751)).unwrap();

    mkfifo(&src.join("fifo"));
    std::os::unix::fs::lchown(src.join("absolute-link"), Some(65534), Some(65534)).unwrap();

    fs::create_dir(src.join("old")).unwrap();
    fs::write(src.join("old/1938"), b"before the epoch").unwrap();
    set_mtime(&src.join("old/1938"), (-1_000_000_000, 123_456_789));
    set_mtime(&src.join("odd-link"), (-5, 999_999_999));
    set_mtime(&src.join("fifo"), (-1, 1));
    set_mtime(&src.join("old"), (-86_400, 0));
    set_mtime(&src.join("links/one"), (1_700_000_000, 5));
    set_mtime(src, (-2_000_000_000, 42));
}

/// Issue 11's list of what an archive keeps, on one tree: names and link
/// targets that are not UTF-8, a hard-link pair, user xattrs (one empty),
/// a file capability, ACLs (access and default), sparse files (restored
/// sparse), owners by name and by id, set-uid, a fifo, times before 1970.
#[test]
fn every_kind_of_metadata_survives_create_verify_restore_and_gnu_tar() {
    if !root_only() {
        return;
    }
    let trip = Trip::new();
    let src = trip.path("src");
    metadata_tree(&src);
    let source = snapshot(&src);
    // What the tree was meant to hold is really there (a filesystem that
    // drops something would make the comparison below prove nothing).
    let node = |rel: &[u8]| &source.nodes[&Bytes(rel.to_vec())];
    assert!(
        node(b"bin-with-cap")
            .xattrs
            .contains_key(&Bytes(b"security.capability".to_vec()))
    );
    assert!(
        node(b"acl-shared/report")
            .xattrs
            .contains_key(&Bytes(b"system.posix_acl_access".to_vec()))
    );
    assert!(
        node(b"acl-shared")
            .xattrs
            .contains_key(&Bytes(b"system.posix_acl_default".to_vec()))
    );
    assert_eq!(node(b"tagged").xattrs.len(), 2, "{:?}", node(b"tagged"));
    assert!(source.blocks[&Bytes(b"sparse.img".to_vec())] * 512 < 1 << 20);
    assert_eq!(node(b"old/1938").mtime, (-1_000_000_000, 123_456_789));
    assert_eq!(node(b".").mtime, (-2_000_000_000, 42));

    let archive = trip.run().unwrap_or_else(|err| panic!("{err}"));
    trip.compare(&source).unwrap_or_else(|err| panic!("{err}"));

    let restored = trip.path("restored");
    let first = fs::metadata(restored.join("links/one/first")).unwrap();
    let second = fs::metadata(restored.join("links/two/second")).unwrap();
    assert_eq!(
        first.ino(),
        second.ino(),
        "a hard link comes back as a link"
    );
    let sparse = fs::metadata(restored.join("sparse.img")).unwrap();
    assert_eq!(sparse.len(), SPARSE_SIZE);
    assert!(
        sparse.blocks() * 512 < 1 << 20,
        "sparse.img restored with {} blocks",
        sparse.blocks()
    );
    if installed("getcap") {
        let caps = run(Command::new("getcap").arg(restored.join("bin-with-cap"))).unwrap();
        assert!(caps.contains("cap_net_bind_service"), "{caps}");
    }

    // The owners' names are stored beside the ids, as tar lists them.
    let listing = run(Command::new("tar").arg("tzvf").arg(&archive)).unwrap();
    let line = |name: &str| {
        listing
            .lines()
            .find(|l| l.ends_with(name))
            .unwrap_or_else(|| panic!("{name} not listed:\n{listing}"))
            .to_owned()
    };
    assert!(
        line("owned-by-nobody").contains(" nobody/nogroup "),
        "{listing}"
    );
    assert!(line("owned-by-an-id").contains(" 4242/4343 "), "{listing}");
    assert!(
        line("links/two/second link to links/one/first").starts_with('h'),
        "{listing}"
    );
    assert!(line("fifo").starts_with('p'), "{listing}");
}

// ------------------------------------------------------------ generated trees

/// Pieces of names: the plain, the spaced, the escaped, the not UTF-8.
const PIECES: &[&[u8]] = &[
    b"a",
    b"b",
    b"z",
    b"0",
    b"9",
    b"_",
    b" ",
    b"  ",
    b"\n",
    b"\t",
    b"\r",
    b"\\",
    b"-",
    b"--",
    b".",
    b"*",
    b"?",
    b"[",
    b"'",
    b"\"",
    b"$",
    b":",
    b"=",
    b"#",
    b"%",
    b"\x01",
    b"\x7f",
    b"\x80",
    b"\xe9",
    b"\xff",
    b"\xc3\xa9",
    b"\xe6\x97\xa5",
];

fn name() -> BoxedStrategy<Vec<u8>> {
    let short = proptest::collection::vec(select(PIECES), 1..8).prop_map(|p| p.concat());
    let long = (select(PIECES), 101usize..220).prop_map(|(piece, len)| {
        let mut name = piece.to_vec();
        name.resize(len, b'l');
        name
    });
    prop_oneof![
        8 => short.clone(),
        1 => short.prop_map(|n| [&b"-"[..], &n[..]].concat()),
        1 => long,
    ]
    .prop_filter("not . or ..", |n| n != b"." && n != b"..")
    .boxed()
}

fn link_target() -> impl Strategy<Value = Vec<u8>> {
    let parts = proptest::collection::vec(name(), 1..4)
        .prop_map(|p| p.join(&b'/'))
        .boxed();
    prop_oneof![
        3 => parts.clone(),
        1 => parts.clone().prop_map(|p| [&b"../"[..], &p[..]].concat()),
        2 => parts.prop_map(|p| [&b"/"[..], &p[..]].concat()),
        1 => Just(b"/etc/passwd".to_vec()),
        1 => Just(b".".to_vec()),
    ]
}

fn content() -> impl Strategy<Value = Vec<u8>> {
    prop_oneof![
        1 => Just(Vec::new()),
        4 => proptest::collection::vec(any::<u8>(), 0..1500),
        1 => (any::<u8>(), 0usize..300_000).prop_map(|(byte, len)| vec![byte; len]),
    ]
}

#[derive(Clone, Debug)]
enum Kind {
    Dir,
    File(Bytes),
    /// Apparent size, and data written at (offset in 4 KiB units, bytes).
    Sparse(u64, Vec<(u64, Bytes)>),
    Symlink(Bytes),
    /// To the n-th regular file made so far (modulo their count).
    HardLink(usize),
    Fifo,
}

fn kind() -> impl Strategy<Value = Kind> {
    let runs = proptest::collection::vec(
        (
            0u64..4096,
            proptest::collection::vec(any::<u8>(), 1..5000).prop_map(Bytes),
        ),
        0..4,
    );
    prop_oneof![
        3 => Just(Kind::Dir),
        4 => content().prop_map(|c| Kind::File(Bytes(c))),
        1 => (1u64..(4 << 20), runs).prop_map(|(size, runs)| Kind::Sparse(size, runs)),
        2 => link_target().prop_map(|t| Kind::Symlink(Bytes(t))),
        1 => any::<usize>().prop_map(Kind::HardLink),
        1 => Just(Kind::Fifo),
    ]
}

/// One node of a generated tree.
#[derive(Clone, Debug)]
struct Item {
    /// Which folder made so far it goes in (modulo their count; 0 is the root).
    parent: usize,
    name: Bytes,
    kind: Kind,
    mode: u32,
    owner: (u32, u32),
    mtime: (i64, u32),
    /// `user.` attributes (only files and folders may have them).
    xattrs: Vec<(String, Bytes)>,
}

fn mtime() -> impl Strategy<Value = (i64, u32)> {
    // ext4 keeps 1901-12-13 to 2446; PAX takes what ustar's octal cannot
    // (before 1970, after 2242, nanoseconds).
    let seconds = prop_oneof![
        2 => -2_147_483_648i64..0,
        3 => 0i64..4_000_000_000,
        1 => 8_589_934_000i64..8_589_936_000,
    ];
    let nanos = prop_oneof![1 => Just(0u32), 2 => 0u32..1_000_000_000];
    (seconds, nanos)
}

fn item() -> impl Strategy<Value = Item> {
    let owner = select(vec![
        (0u32, 0u32),
        (65534, 65534),
        (0, 65534),
        (4242, 4343),
        (3_000_000, 3_000_001),
    ]);
    let xattrs = proptest::collection::vec(
        (
            "[a-z0-9._-]{1,12}".prop_map(|n| format!("user.{n}")),
            proptest::collection::vec(any::<u8>(), 0..80).prop_map(Bytes),
        ),
        0..3,
    );
    (
        any::<usize>(),
        name(),
        kind(),
        0u32..0o10000,
        owner,
        mtime(),
        xattrs,
    )
        .prop_map(|(parent, name, kind, mode, owner, mtime, xattrs)| Item {
            parent,
            name: Bytes(name),
            kind,
            mode,
            owner,
            mtime,
            xattrs,
        })
}

/// Makes the items under `root` (an item whose name is taken, or whose
/// hard link has no file to point at, is left out). Metadata last: owners before modes (chown clears set-id
/// bits), times after everything else changed the folders.
fn materialise(root: &Path, root_mtime: (i64, u32), items: &[Item]) {
    let mut dirs = vec![root.to_path_buf()];
    let mut files: Vec<PathBuf> = Vec::new();
    let mut made: Vec<(PathBuf, &Item)> = Vec::new();
    for item in items {
        let parent = &dirs[item.parent % dirs.len()];
        let path = parent.join(OsStr::from_bytes(&item.name.0));
        if path.as_os_str().len() > 3000 || fs::symlink_metadata(&path).is_ok() {
            continue;
        }
        match &item.kind {
            Kind::Dir => {
                fs::create_dir(&path).unwrap();
                dirs.push(path.clone());
            }
            Kind::File(content) => {
                fs::write(&path, &content.0).unwrap();
                files.push(path.clone());
            }
            Kind::Sparse(size, runs) => {
                let mut file = fs::File::create(&path).unwrap();
                for (at, data) in runs {
                    let offset = (at * 4096) % size;
                    let len = data.0.len().min((size - offset) as usize);
                    file.seek(SeekFrom::Start(offset)).unwrap();
                    file.write_all(&data.0[..len]).unwrap();
                }
                file.set_len(*size).unwrap();
                files.push(path.clone());
            }
            Kind::Symlink(target) => {
                std::os::unix::fs::symlink(OsStr::from_bytes(&target.0), &path).unwrap();
            }
            Kind::HardLink(n) => {
                if files.is_empty() {
                    continue;
                }
                fs::hard_link(&files[n % files.len()], &path).unwrap();
                // The inode's metadata is its first name's.
                continue;
            }
            Kind::Fifo => mkfifo(&path),
        }
        made.push((path, item));
    }
    for (path, item) in &made {
        std::os::unix::fs::lchown(path, Some(item.owner.0), Some(item.owner.1)).unwrap();
        if !matches!(item.kind, Kind::Symlink(_)) {
            fs::set_permissions(path, fs::Permissions::from_mode(item.mode)).unwrap();
        }
        if matches!(item.kind, Kind::Dir | Kind::File(_) | Kind::Sparse(..)) {
            for (name, value) in &item.xattrs {
                set_xattr(path, name, &value.0);
            }
        }
    }
    for (path, item) in &made {
        set_mtime(path, item.mtime);
    }
    set_mtime(root, root_mtime);
}

/// One generated tree through create → verify → restore (and GNU tar).
fn generated_round_trip(items: &[Item], root_mtime: (i64, u32)) -> Result<(), String> {
    let trip = Trip::new();
    let src = trip.path("src");
    materialise(&src, root_mtime, items);
    let source = snapshot(&src);
    trip.run()?;
    trip.compare(&source)
}

proptest! {
    #![proptest_config(ProptestConfig {
        // PROPTEST_CASES=500 explores further; 24 keeps `cargo test` quick.
        cases: std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|n| n.parse().ok())
            .unwrap_or(24),
        // A failure becomes a named regression test here, not a file.
        failure_persistence: None,
        max_shrink_iters: 200,
        ..ProptestConfig::default()
    })]

    #[test]
    fn generated_trees_round_trip_exactly(
        items in proptest::collection::vec(item(), 1..30),
        root_mtime in mtime(),
    ) {
        if !rustix::process::geteuid().is_root() {
            return Ok(());
        }
        generated_round_trip(&items, root_mtime).map_err(TestCaseError::fail)?;
    }
}
