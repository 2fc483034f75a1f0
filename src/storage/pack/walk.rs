//! The walk over the sources, by file descriptor as GNU tar does it: every
//! folder is opened relative to its parent with `O_NOFOLLOW|O_DIRECTORY`
//! and every file relative to its folder with `O_NOFOLLOW`, so a folder
//! swapped for a symlink while the walk runs is never followed, and what is
//! recorded is what was opened (its `fstat`), not whatever the name points
//! to a moment later.
//!
//! Everything a system has goes in as GNU tar stores it: names and link
//! targets byte for byte, modes, owner ids and names, nanosecond mtimes
//! (before 1970 too), extended attributes (ACLs and file capabilities
//! included), hard links as links, sparse files as sparse, fifos and
//! devices. Sockets are left out (GNU tar does the same). A file that cannot
//! be read is named in a note and the walk goes on.

use std::collections::{BTreeMap, HashMap, HashSet};
use std::ffi::OsStr;
use std::fs::File;
use std::io::{self, Read, Write};
use std::os::fd::{AsFd, AsRawFd, BorrowedFd, OwnedFd};
use std::os::unix::ffi::OsStrExt;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::Ordering;

use rustix::fs::{AtFlags, Dir, FileType, Mode, OFlags, SeekFrom};
use rustix::io::Errno;

use super::exclude::Excludes;
use super::writer::{HashJob, Hasher, TarWriter};
use super::{Counters, PackError, Previous, Result};
use crate::storage::manifest::{Entry, EntryType};
use crate::storage::ustar::{self, kind};

/// What `fstat` says about a node, independent of the architecture's `struct stat`.
#[derive(Clone, Copy, Debug)]
struct Meta {
    dev: u64,
    ino: u64,
    kind: FileType,
    mode: u32,
    nlink: u64,
    uid: u32,
    gid: u32,
    rdev: u64,
    size: u64,
    blocks: u64,
    mtime: (i64, u32),
    ctime: (i64, u32),
}

impl Meta {
    #[allow(clippy::unnecessary_cast)] // the field types differ between architectures
    fn from(stat: &rustix::fs::Stat) -> Meta {
        Meta {
            dev: stat.st_dev as u64,
            ino: stat.st_ino as u64,
            kind: FileType::from_raw_mode(stat.st_mode as _),
            mode: stat.st_mode as u32 & 0o7777,
            nlink: stat.st_nlink as u64,
            uid: stat.st_uid as u32,
            gid: stat.st_gid as u32,
            rdev: stat.st_rdev as u64,
            size: stat.st_size.max(0) as u64,
            blocks: stat.st_blocks as u64,
            mtime: (
                stat.st_mtime as i64,
                (stat.st_mtime_nsec as u64).min(999_999_999) as u32,
            ),
            ctime: (
                stat.st_ctime as i64,
                (stat.st_ctime_nsec as u64).min(999_999_999) as u32,
            ),
        }
    }

    fn id(&self) -> (u64, u64) {
        (self.dev, self.ino)
    }
}

fn fstat(fd: BorrowedFd<'_>) -> io::Result<Meta> {
    Ok(Meta::from(&rustix::fs::fstat(fd)?))
}

fn lstat_at(dir: BorrowedFd<'_>, name: &[u8]) -> io::Result<Meta> {
    Ok(Meta::from(&rustix::fs::statat(
        dir,
        name,
        AtFlags::SYMLINK_NOFOLLOW,
    )?))
}

/// Opens without following a final symlink and without updating the
/// access time when the kernel allows it (only for the owner or root).
fn open_at(dir: BorrowedFd<'_>, name: &[u8], flags: OFlags) -> io::Result<OwnedFd> {
    let flags = flags | OFlags::RDONLY | OFlags::NOFOLLOW | OFlags::CLOEXEC | OFlags::NOCTTY;
    match rustix::fs::openat(dir, name, flags | OFlags::NOATIME, Mode::empty()) {
        Err(Errno::PERM) => Ok(rustix::fs::openat(dir, name, flags, Mode::empty())?),
        other => Ok(other?),
    }
}

/// The path of `name` in the open folder `dir` for calls that take a path
/// (extended attributes of symlinks and devices, which are never opened):
/// `/proc/self/fd/N/name` resolves the folder through its descriptor, so a
/// swapped parent cannot redirect it.
fn proc_path(dir: BorrowedFd<'_>, name: &[u8]) -> PathBuf {
    let mut path = PathBuf::from(format!("/proc/self/fd/{}", dir.as_raw_fd()));
    path.push(OsStr::from_bytes(name));
    path
}

fn errno(err: &io::Error) -> Option<Errno> {
    err.raw_os_error().map(Errno::from_raw_os_error)
}

/// Where to read extended attributes from.
enum XattrsOf<'a> {
    Fd(BorrowedFd<'a>),
    Path(&'a Path),
}

/// Every extended attribute, value byte for byte; none where the
/// filesystem has none.
fn read_xattrs(of: &XattrsOf<'_>) -> io::Result<BTreeMap<String, Vec<u8>>> {
    let mut out = BTreeMap::new();
    let mut names = Vec::new();
    loop {
        let size = match of {
            XattrsOf::Fd(fd) => rustix::fs::flistxattr_query(fd),
            XattrsOf::Path(path) => rustix::fs::llistxattr_query(*path),
        };
        let size = match size {
            Ok(0) | Err(Errno::NOTSUP | Errno::NOSYS) => return Ok(out),
            Ok(size) => size,
            Err(err) => return Err(err.into()),
        };
        names.resize(size, 0);
        let got = match of {
            XattrsOf::Fd(fd) => rustix::fs::flistxattr(fd, &mut names[..]),
            XattrsOf::Path(path) => rustix::fs::llistxattr(*path, &mut names[..]),
        };
        match got {
            Ok(len) => {
                names.truncate(len);
                break;
            }
            // The list grew since it was measured.
            Err(Errno::RANGE) => {}
            Err(err) => return Err(err.into()),
        }
    }
    for name in names.split(|&b| b == 0).filter(|n| !n.is_empty()) {
        let mut value = Vec::new();
        loop {
            let size = match of {
                XattrsOf::Fd(fd) => rustix::fs::fgetxattr_query(fd, name),
                XattrsOf::Path(path) => rustix::fs::lgetxattr_query(*path, name),
            };
            let size = match size {
                Ok(size) => size,
                // Removed since the list was read.
                Err(Errno::NODATA) => break,
                Err(err) => return Err(err.into()),
            };
            value.resize(size, 0);
            let got = match of {
                XattrsOf::Fd(fd) => rustix::fs::fgetxattr(fd, name, &mut value[..]),
                XattrsOf::Path(path) => rustix::fs::lgetxattr(*path, name, &mut value[..]),
            };
            match got {
                Ok(len) => {
                    value.truncate(len);
                    out.insert(String::from_utf8_lossy(name).into_owned(), value);
                    break;
                }
                Err(Errno::RANGE) => {}
                Err(Errno::NODATA) => break,
                Err(err) => return Err(err.into()),
            }
        }
    }
    Ok(out)
}

/// Where a file's data is: (offset, length) runs from `SEEK_DATA` and
/// `SEEK_HOLE`, a zero-length run at its size when it ends in a hole (as
/// GNU tar writes it, so the size survives). None when it has no holes.
fn data_map(fd: BorrowedFd<'_>, size: u64) -> Option<Vec<(u64, u64)>> {
    let mut map = Vec::new();
    let mut at = 0;
    while at < size {
        let data = match rustix::fs::seek(fd, SeekFrom::Data(at)) {
            Ok(data) => data,
            Err(Errno::NXIO) => break,
            Err(_) => return None,
        };
        if data >= size {
            break;
        }
        let hole = rustix::fs::seek(fd, SeekFrom::Hole(data)).map_or(size, |h| h.min(size));
        if hole <= data {
            return None;
        }
        map.push((data, hole - data));
        at = hole;
    }
    let data: u64 = map.iter().map(|(_, len)| len).sum();
    if data >= size {
        return None;
    }
    if map.last().is_none_or(|&(offset, len)| offset + len < size) {
        map.push((size, 0));
    }
    Some(map)
}

/// User and group names by id, from `/etc/passwd` and `/etc/group` (read once).
#[derive(Default)]
struct Names {
    users: Option<HashMap<u32, String>>,
    groups: Option<HashMap<u32, String>>,
}

/// The (name, id) pairs of `/etc/passwd` or `/etc/group`: what tar records
/// beside the ids, and what a restore maps names back with.
pub fn accounts(file: &str) -> Vec<(String, u32)> {
    std::fs::read_to_string(file)
        .unwrap_or_default()
        .lines()
        .filter_map(|line| {
            let mut fields = line.split(':');
            let name = fields.next()?;
            let id = fields.nth(1)?.parse().ok()?;
            Some((name.to_owned(), id))
        })
        .collect()
}

impl Names {
    fn load(file: &str) -> HashMap<u32, String> {
        accounts(file)
            .into_iter()
            .map(|(name, id)| (id, name))
            .collect()
    }

    fn user(&mut self, uid: u32) -> Option<String> {
        self.users
            .get_or_insert_with(|| Names::load("/etc/passwd"))
            .get(&uid)
            .cloned()
    }

    fn group(&mut self, gid: u32) -> Option<String> {
        self.groups
            .get_or_insert_with(|| Names::load("/etc/group"))
            .get(&gid)
            .cloned()
    }
}

fn join(parent: &[u8], name: &[u8]) -> Vec<u8> {
    if parent.is_empty() {
        name.to_vec()
    } else {
        [parent, b"/", name].concat()
    }
}

fn shown(path: &[u8]) -> String {
    String::from_utf8_lossy(path).into_owned()
}

/// A folder being walked: its children, sorted, and how far the walk is.
struct Frame {
    dir: OwnedFd,
    rel: Vec<u8>,
    children: Vec<(Vec<u8>, FileType)>,
    next: usize,
}

/// Walks the sources and writes their entries.
pub(super) struct Walker<W: Write> {
    pub tar: TarWriter<W>,
    /// The archive being written, for naming it in errors.
    pub out_path: PathBuf,
    pub excludes: Excludes,
    /// (device, inode) never archived: the destination, when inside a source.
    pub skip: HashSet<(u64, u64)>,
    pub entries: Vec<Entry>,
    pub notes: Vec<(String, String)>,
    pub counters: Counters,
    pub hasher: Hasher,
    root: OwnedFd,
    root_path: PathBuf,
    seen: HashSet<Vec<u8>>,
    /// Files with more than one link: the path the first one went in as.
    links: HashMap<(u64, u64), Vec<u8>>,
    names: Names,
    /// For an incremental: what the backup it builds on lists.
    previous: Option<Arc<Previous>>,
}

impl<W: Write> Walker<W> {
    /// Opens the root (following symlinks: it is what the operator named)
    /// and writes it as `.`, so its mode and times restore too.
    pub(super) fn start(
        tar: TarWriter<W>,
        out_path: PathBuf,
        root: &Path,
        excludes: Excludes,
        counters: Counters,
        previous: Option<Arc<Previous>>,
    ) -> Result<Walker<W>> {
        let source_error = |source: io::Error| PackError::Source {
            path: root.to_path_buf(),
            source,
        };
        let fd = rustix::fs::open(
            root,
            OFlags::RDONLY | OFlags::DIRECTORY | OFlags::CLOEXEC,
            Mode::empty(),
        )
        .map_err(|e| source_error(e.into()))?;
        let meta = fstat(fd.as_fd()).map_err(source_error)?;
        let mut walker = Walker {
            tar,
            out_path,
            excludes,
            skip: HashSet::new(),
            entries: Vec::new(),
            notes: Vec::new(),
            counters,
            hasher: Hasher::start(),
            root: fd,
            root_path: root.to_path_buf(),
            seen: HashSet::new(),
            links: HashMap::new(),
            names: Names::default(),
            previous,
        };
        let root_fd = walker.root.try_clone().map_err(source_error)?;
        walker.emit_dir(b".", Some(root_fd.as_fd()), None, &meta)?;
        Ok(walker)
    }

    fn note(&mut self, path: &[u8], note: impl Into<String>) {
        self.notes.push((shown(path), note.into()));
    }

    fn write_error(&self, source: io::Error) -> PackError {
        PackError::Write {
            path: self.out_path.clone(),
            source,
        }
    }

    /// One of maint's own files (the database dump), stored as `path`; it
    /// must read in full.
    pub(super) fn add_own_file(&mut self, path: &str, file: &Path) -> Result<()> {
        let source_error = |source: io::Error| PackError::Source {
            path: file.to_path_buf(),
            source,
        };
        let mut reader = File::open(file).map_err(source_error)?;
        let size = reader.metadata().map_err(source_error)?.len();
        let now = (chrono::Utc::now().timestamp(), 0);
        let header = ustar::Header {
            kind: kind::FILE,
            path: path.as_bytes().to_vec(),
            size,
            mode: 0o600,
            mtime: now,
            ..ustar::Header::default()
        };
        self.tar.header(&header).map_err(|e| self.write_error(e))?;
        let sha256 = self
            .tar
            .content(&mut reader, size)
            .map_err(|err| match err {
                super::writer::CopyError::Read(source) => source_error(source),
                super::writer::CopyError::Write(source) => self.write_error(source),
            })?;
        self.entries.push(Entry {
            size,
            sha256: Some(sha256),
            ..Entry::new(path, EntryType::File, 0o600, now)
        });
        Ok(())
    }

    /// A source: the folders between the root and it (so they restore with
    /// their modes), then it, then (for a tree) everything below it.
    pub(super) fn add_source(&mut self, source: &Path, descend: bool) -> Result<()> {
        let Ok(relative) = source.strip_prefix(&self.root_path) else {
            self.note(
                source.as_os_str().as_bytes(),
                "skipped: not below the archive's root",
            );
            return Ok(());
        };
        let components: Vec<&[u8]> = relative
            .iter()
            .map(OsStr::as_bytes)
            .filter(|c| !c.is_empty() && *c != b".")
            .collect();
        let mut dir = self.root.try_clone().map_err(|e| source_error(source, e))?;
        let Some((last, between)) = components.split_last() else {
            if descend {
                return self.walk(dir, Vec::new());
            }
            return Ok(());
        };
        let mut rel = Vec::new();
        for name in between {
            rel = join(&rel, name);
            let opened = match open_at(dir.as_fd(), name, OFlags::DIRECTORY) {
                Ok(opened) => opened,
                Err(err) => {
                    let why = match errno(&err) {
                        Some(Errno::NOENT) => "source vanished while the backup ran".to_owned(),
                        Some(Errno::LOOP | Errno::NOTDIR) => {
                            "skipped: a folder on the way to it is now a symlink or a file"
                                .to_owned()
                        }
                        _ => format!("cannot open: {err}"),
                    };
                    self.note(&rel, why);
                    return Ok(());
                }
            };
            if !self.seen.contains(&rel) {
                let meta = fstat(opened.as_fd()).map_err(|e| source_error(source, e))?;
                self.emit_dir(&rel, Some(opened.as_fd()), None, &meta)?;
            }
            dir = opened;
        }
        let rel = join(&rel, last);
        if let Some(opened) = self.add_child(dir.as_fd(), &rel, last, FileType::Unknown, descend)? {
            self.walk(opened, rel)?;
        }
        Ok(())
    }

    /// Everything below the open folder `dir`, depth first, children by name.
    fn walk(&mut self, dir: OwnedFd, rel: Vec<u8>) -> Result<()> {
        let mut stack = vec![self.frame(dir, rel)];
        while let Some(top) = stack.last_mut() {
            let Some((name, file_type)) = top.children.get(top.next).cloned() else {
                stack.pop();
                continue;
            };
            top.next += 1;
            if crate::interrupt::requested() {
                return Err(PackError::Interrupted);
            }
            let rel = join(&top.rel, &name);
            if let Some(opened) = self.add_child(top.dir.as_fd(), &rel, &name, file_type, true)? {
                let frame = self.frame(opened, rel);
                stack.push(frame);
            }
        }
        Ok(())
    }

    fn frame(&mut self, dir: OwnedFd, rel: Vec<u8>) -> Frame {
        let mut children = Vec::new();
        match Dir::read_from(&dir) {
            Ok(listing) => {
                for entry in listing {
                    match entry {
                        Ok(entry) => {
                            let name = entry.file_name().to_bytes();
                            if name != b"." && name != b".." {
                                children.push((name.to_vec(), entry.file_type()));
                            }
                        }
                        Err(err) => {
                            let err = io::Error::from(err);
                            self.note(&rel, format!("cannot list in full: {err}"));
                            break;
                        }
                    }
                }
            }
            Err(err) => {
                let err = io::Error::from(err);
                self.note(&rel, format!("cannot list: {err}"));
            }
        }
        children.sort_by(|a, b| a.0.cmp(&b.0));
        Frame {
            dir,
            rel,
            children,
            next: 0,
        }
    }

    /// One name in the open folder `dir`; a folder to walk into comes back open.
    fn add_child(
        &mut self,
        dir: BorrowedFd<'_>,
        rel: &[u8],
        name: &[u8],
        listed: FileType,
        descend: bool,
    ) -> Result<Option<OwnedFd>> {
        if self.seen.contains(rel) {
            return Ok(None);
        }
        let mut meta = None;
        let mut file_type = listed;
        if file_type == FileType::Unknown {
            match lstat_at(dir, name) {
                Ok(m) => {
                    file_type = m.kind;
                    meta = Some(m);
                }
                Err(err) => {
                    self.unreadable(rel, &err);
                    return Ok(None);
                }
            }
        }
        if self
            .excludes
            .matches(&shown(rel), &shown(name), file_type == FileType::Directory)
        {
            return Ok(None);
        }
        match file_type {
            FileType::Directory => self.add_dir(dir, rel, name, descend),
            FileType::RegularFile => self.add_file(dir, rel, name).map(|()| None),
            _ => {
                let meta = match meta {
                    Some(meta) => meta,
                    None => match lstat_at(dir, name) {
                        Ok(meta) => meta,
                        Err(err) => {
                            self.unreadable(rel, &err);
                            return Ok(None);
                        }
                    },
                };
                self.add_other(dir, rel, name, &meta).map(|()| None)
            }
        }
    }

    /// A name that could not be opened or read: noted, and the walk goes on.
    fn unreadable(&mut self, rel: &[u8], err: &io::Error) {
        match errno(err) {
            Some(Errno::NOENT | Errno::NOTDIR) => self.note(rel, "vanished while the backup ran"),
            _ => self.note(rel, format!("cannot read: {err}; not in the backup")),
        }
    }

    fn add_dir(
        &mut self,
        dir: BorrowedFd<'_>,
        rel: &[u8],
        name: &[u8],
        descend: bool,
    ) -> Result<Option<OwnedFd>> {
        match open_at(dir, name, OFlags::DIRECTORY) {
            Ok(fd) => {
                let meta = match fstat(fd.as_fd()) {
                    Ok(meta) => meta,
                    Err(err) => {
                        self.unreadable(rel, &err);
                        return Ok(None);
                    }
                };
                if self.skip.contains(&meta.id()) {
                    return Ok(None);
                }
                self.emit_dir(rel, Some(fd.as_fd()), None, &meta)?;
                Ok(descend.then_some(fd))
            }
            Err(err) => match errno(&err) {
                // Swapped for a symlink or a file since it was listed: take what is there now.
                Some(Errno::LOOP | Errno::NOTDIR) => match lstat_at(dir, name) {
                    Ok(meta) if meta.kind != FileType::Directory => {
                        if meta.kind == FileType::RegularFile {
                            self.add_file(dir, rel, name)?;
                        } else {
                            self.add_other(dir, rel, name, &meta)?;
                        }
                        Ok(None)
                    }
                    Ok(_) | Err(_) => {
                        self.note(rel, "vanished while the backup ran");
                        Ok(None)
                    }
                },
                Some(Errno::NOENT) => {
                    self.unreadable(rel, &err);
                    Ok(None)
                }
                // Cannot be listed: the folder itself still goes in, so it restores.
                _ => {
                    if let Ok(meta) = lstat_at(dir, name)
                        && meta.kind == FileType::Directory
                    {
                        let path = proc_path(dir, name);
                        self.emit_dir(rel, None, Some(&path), &meta)?;
                    }
                    self.note(
                        rel,
                        format!("cannot list: {err}; its contents are not in the backup"),
                    );
                    Ok(None)
                }
            },
        }
    }

    fn emit_dir(
        &mut self,
        rel: &[u8],
        fd: Option<BorrowedFd<'_>>,
        path: Option<&Path>,
        meta: &Meta,
    ) -> Result<()> {
        let xattrs = match (fd, path) {
            (Some(fd), _) => self.xattrs(rel, &XattrsOf::Fd(fd)),
            (None, Some(path)) => self.xattrs(rel, &XattrsOf::Path(path)),
            (None, None) => BTreeMap::new(),
        };
        let header = self.header(kind::DIR, rel, meta, xattrs);
        self.write_header(&header)?;
        self.push_entry(&header, EntryType::Dir, meta, None);
        Ok(())
    }

    fn xattrs(&mut self, rel: &[u8], of: &XattrsOf<'_>) -> BTreeMap<String, Vec<u8>> {
        match read_xattrs(of) {
            Ok(xattrs) => xattrs,
            Err(err) => {
                self.note(rel, format!("extended attributes not read: {err}"));
                BTreeMap::new()
            }
        }
    }

    fn header(
        &mut self,
        kind: u8,
        rel: &[u8],
        meta: &Meta,
        xattrs: BTreeMap<String, Vec<u8>>,
    ) -> ustar::Header {
        ustar::Header {
            kind,
            path: rel.to_vec(),
            link: Vec::new(),
            size: 0,
            mode: meta.mode,
            uid: meta.uid.into(),
            gid: meta.gid.into(),
            mtime: meta.mtime,
            user: self.names.user(meta.uid),
            group: self.names.group(meta.gid),
            device: (0, 0),
            xattrs,
            sparse: None,
        }
    }

    fn write_header(&mut self, header: &ustar::Header) -> Result<()> {
        self.tar.header(header).map_err(|e| self.write_error(e))?;
        self.seen.insert(header.path.clone());
        Ok(())
    }

    /// The manifest's entry for what `header` wrote; its SHA-256 comes from the hasher.
    fn push_entry(
        &mut self,
        header: &ustar::Header,
        kind: EntryType,
        meta: &Meta,
        size: Option<u64>,
    ) {
        let mut entry = Entry::new("", kind, meta.mode, meta.mtime);
        entry.set_path_bytes(&header.path);
        if !header.link.is_empty() {
            entry.set_link_bytes(&header.link);
        }
        entry.size = size.unwrap_or(0);
        entry.uid = meta.uid;
        entry.gid = meta.gid;
        entry.user.clone_from(&header.user);
        entry.group.clone_from(&header.group);
        entry.xattrs = header
            .xattrs
            .iter()
            .map(|(name, value)| (name.clone(), data_encoding::BASE64.encode(value)))
            .collect();
        entry.sparse = header
            .sparse
            .as_ref()
            .map(|s| s.map.iter().map(|&(o, l)| [o, l]).collect());
        if matches!(kind, EntryType::CharDevice | EntryType::BlockDevice) {
            entry.device = Some([header.device.0, header.device.1]);
        }
        if kind == EntryType::File {
            (entry.ctime, entry.ctime_ns) = meta.ctime;
            entry.inode = meta.ino;
        }
        self.entries.push(entry);
    }

    /// Symlinks, fifos, devices (never opened: opening a fifo or a tape
    /// has effects) and sockets (left out, as GNU tar leaves them).
    fn add_other(
        &mut self,
        dir: BorrowedFd<'_>,
        rel: &[u8],
        name: &[u8],
        meta: &Meta,
    ) -> Result<()> {
        if self.skip.contains(&meta.id()) {
            return Ok(());
        }
        let (kind, entry_type) = match meta.kind {
            FileType::Symlink => (kind::SYMLINK, EntryType::Symlink),
            FileType::Fifo => (kind::FIFO, EntryType::Fifo),
            FileType::CharacterDevice => (kind::CHAR, EntryType::CharDevice),
            FileType::BlockDevice => (kind::BLOCK, EntryType::BlockDevice),
            FileType::Socket => {
                self.note(
                    rel,
                    "skipped: a socket (sockets are not archived, as with GNU tar)",
                );
                return Ok(());
            }
            FileType::Directory | FileType::RegularFile | FileType::Unknown => {
                self.note(rel, "vanished while the backup ran");
                return Ok(());
            }
        };
        let mut link = Vec::new();
        if kind == kind::SYMLINK {
            match rustix::fs::readlinkat(dir, name, Vec::new()) {
                Ok(target) => link = target.into_bytes(),
                Err(err) => {
                    self.unreadable(rel, &err.into());
                    return Ok(());
                }
            }
        }
        let path = proc_path(dir, name);
        let xattrs = self.xattrs(rel, &XattrsOf::Path(&path));
        let mut header = self.header(kind, rel, meta, xattrs);
        header.link = link;
        if matches!(kind, kind::CHAR | kind::BLOCK) {
            let rdev = meta.rdev as rustix::fs::Dev;
            header.device = (rustix::fs::major(rdev), rustix::fs::minor(rdev));
        }
        self.write_header(&header)?;
        self.push_entry(&header, entry_type, meta, None);
        Ok(())
    }

    fn add_file(&mut self, dir: BorrowedFd<'_>, rel: &[u8], name: &[u8]) -> Result<()> {
        // O_NONBLOCK: a fifo swapped in for the file must not hang the backup.
        let fd = match open_at(dir, name, OFlags::NONBLOCK) {
            Ok(fd) => fd,
            Err(err) if errno(&err) == Some(Errno::LOOP) => {
                // A symlink took the file's place since the folder was listed.
                return match lstat_at(dir, name) {
                    Ok(meta) => self.add_other(dir, rel, name, &meta),
                    Err(err) => {
                        self.unreadable(rel, &err);
                        Ok(())
                    }
                };
            }
            Err(err) => {
                self.unreadable(rel, &err);
                return Ok(());
            }
        };
        // The size, owner and times of the file that is open, not of the name.
        let before = match fstat(fd.as_fd()) {
            Ok(meta) => meta,
            Err(err) => {
                self.unreadable(rel, &err);
                return Ok(());
            }
        };
        if self.skip.contains(&before.id()) {
            return Ok(());
        }
        if before.kind != FileType::RegularFile {
            // Replaced since it was listed: never read from it.
            return if before.kind == FileType::Directory {
                self.note(
                    rel,
                    "became a folder while the backup ran; not in the backup",
                );
                Ok(())
            } else {
                self.add_other(dir, rel, name, &before)
            };
        }
        if before.nlink > 1
            && let Some(first) = self.links.get(&before.id()).cloned()
        {
            let mut header = self.header(kind::HARD_LINK, rel, &before, BTreeMap::new());
            header.link = first;
            self.write_header(&header)?;
            self.push_entry(&header, EntryType::HardLink, &before, None);
            return Ok(());
        }
        // A file with other links is stored whole: its links point at it
        // inside one archive.
        if before.nlink == 1
            && let Some(entry) = self.unchanged(rel, &before, fd.as_fd())
        {
            self.seen.insert(rel.to_vec());
            self.entries.push(entry);
            self.counters
                .bytes
                .fetch_add(before.size, Ordering::Relaxed);
            self.counters.files.fetch_add(1, Ordering::Relaxed);
            return Ok(());
        }
        let xattrs = self.xattrs(rel, &XattrsOf::Fd(fd.as_fd()));
        let mut header = self.header(kind::FILE, rel, &before, xattrs);
        let size = before.size;
        let map = if before.blocks.saturating_mul(512) < size {
            data_map(fd.as_fd(), size)
        } else {
            None
        };
        let map_block = map.as_deref().map(ustar::sparse_map_block);
        header.size = match (&map, &map_block) {
            (Some(map), Some(block)) => {
                block.len() as u64 + map.iter().map(|(_, l)| l).sum::<u64>()
            }
            _ => size,
        };
        header.sparse = map.clone().map(|map| ustar::Sparse {
            map,
            real_size: size,
            map_in_data: true,
        });
        self.write_header(&header)?;
        let index = self.entries.len();
        self.push_entry(&header, EntryType::File, &before, Some(size));
        if before.nlink > 1 {
            self.links.insert(before.id(), rel.to_vec());
        }
        let mut file = File::from(fd);
        let filled =
            self.copy_content(&mut file, index, map.as_deref(), map_block.as_deref(), size)?;
        self.counters.bytes.fetch_add(size, Ordering::Relaxed);
        self.counters.files.fetch_add(1, Ordering::Relaxed);
        // Files whose size says nothing (/proc, /sys) are tried for more.
        let grew = size == 0 && matches!(file.read(&mut [0u8; 1]), Ok(n) if n > 0);
        let after = fstat(file.as_fd()).ok();
        if let Some((at, err)) = filled.read_error {
            self.note(
                rel,
                format!("cannot read: {err} at byte {at}; stored with zeros from there, do not restore it from this backup"),
            );
        } else if filled.short {
            self.note(
                rel,
                format!("shrank while read: stored as {size} bytes, the missing end as zeros"),
            );
        } else if grew || after.is_none_or(|a| a.size != size || a.mtime != before.mtime) {
            self.note(
                rel,
                format!("changed while read: stored the {size} bytes it had when opened"),
            );
        }
        Ok(())
    }

    /// For an incremental: the entry of a file the previous backup holds
    /// as it is now, pointing at the archive that stores its content.
    /// Size, mtime, mode and owner must match; then the same inode and
    /// ctime say it is the same (as restic and GNU tar judge), and when
    /// those moved (a copy with -p, a restore, `touch -d` after a write,
    /// a chmod and back) the content's SHA-256 and the extended attributes
    /// decide.
    fn unchanged(&mut self, rel: &[u8], meta: &Meta, fd: BorrowedFd<'_>) -> Option<Entry> {
        let previous = Arc::clone(self.previous.as_ref()?);
        let old = previous.get(rel)?;
        if old.kind != EntryType::File
            || old.size != meta.size
            || (old.mtime, old.mtime_ns) != meta.mtime
            || old.mode != meta.mode
            || old.uid != meta.uid
            || old.gid != meta.gid
        {
            return None;
        }
        let same_node =
            old.inode != 0 && old.inode == meta.ino && (old.ctime, old.ctime_ns) == meta.ctime;
        if !same_node {
            if self.xattrs(rel, &XattrsOf::Fd(fd)) != old.xattr_values() {
                return None;
            }
            let file = File::from(fd.try_clone_to_owned().ok()?);
            let digest = crate::storage::archive::sha256_of(ReadAt { file: &file, at: 0 }).ok()?;
            if old.sha256.as_deref() != Some(digest.as_str()) {
                return None;
            }
        }
        let mut entry = old.clone();
        (entry.ctime, entry.ctime_ns) = meta.ctime;
        entry.inode = meta.ino;
        entry.stored_in = Some(
            old.stored_in
                .clone()
                .unwrap_or_else(|| previous.archive.clone()),
        );
        Some(entry)
    }

    /// A file's data into the archive and to the hasher: all of it, or a
    /// sparse file's map and data runs (its holes hashed as the zeros they read as).
    fn copy_content(
        &mut self,
        file: &mut File,
        index: usize,
        map: Option<&[(u64, u64)]>,
        map_block: Option<&[u8]>,
        size: u64,
    ) -> Result<super::writer::Filled> {
        let hasher = &self.hasher;
        let mut seen = |chunk: &[u8]| hasher.send(HashJob::Chunk(index, chunk.to_vec()));
        let out_error = |source| PackError::Write {
            path: self.out_path.clone(),
            source,
        };
        let (Some(map), Some(map_block)) = (map, map_block) else {
            // By offset, from 0: `data_map` moved the file position with its
            // SEEK_DATA/SEEK_HOLE probes when it found no hole (a file that
            // uses fewer blocks than its size on a compressing filesystem),
            // and reading from there stored the whole file as zeros.
            let mut whole = ReadAt {
                file: &*file,
                at: 0,
            };
            let filled = self
                .tar
                .copy(&mut whole, size, &mut seen)
                .map_err(out_error)?;
            self.tar.pad(size).map_err(out_error)?;
            self.hasher.send(HashJob::End(index));
            return Ok(filled);
        };
        self.tar.raw(map_block).map_err(out_error)?;
        let mut at = 0;
        let mut stored = map_block.len() as u64;
        let mut result = super::writer::Filled::default();
        for &(offset, length) in map {
            if offset > at {
                self.hasher.send(HashJob::Zeros(index, offset - at));
            }
            let mut run = ReadAt { file, at: offset };
            let hasher = &self.hasher;
            let mut seen = |chunk: &[u8]| hasher.send(HashJob::Chunk(index, chunk.to_vec()));
            let filled = self
                .tar
                .copy(&mut run, length, &mut seen)
                .map_err(out_error)?;
            result.short |= filled.short;
            if result.read_error.is_none() {
                result.read_error = filled.read_error.map(|(n, err)| (offset + n, err));
            }
            stored += length;
            at = offset + length;
        }
        if size > at {
            self.hasher.send(HashJob::Zeros(index, size - at));
        }
        self.tar.pad(stored).map_err(out_error)?;
        self.hasher.send(HashJob::End(index));
        Ok(result)
    }
}

/// Reads a file from an offset with `pread`, leaving the file position alone.
struct ReadAt<'f> {
    file: &'f File,
    at: u64,
}

impl Read for ReadAt<'_> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        let n = self.file.read_at(buf, self.at)?;
        self.at += n as u64;
        Ok(n)
    }
}

fn source_error(path: &Path, source: io::Error) -> PackError {
    PackError::Source {
        path: path.to_path_buf(),
        source,
    }
}
