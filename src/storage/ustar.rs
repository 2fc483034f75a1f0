//! The tar format, as GNU tar writes and reads it: 512-byte ustar headers,
//! PAX extended records (`path`, `linkpath`, `size`, `uid`, `gid`, `mtime`
//! with nanoseconds, `uname`, `gname`, `SCHILY.xattr.*`, GNU sparse 1.0),
//! GNU long names and old GNU sparse headers on reading.
//!
//! Written here rather than taken from the `tar` crate because the crate's
//! PAX parser splits records at newlines: a name or an attribute value that
//! holds a newline byte (legal, and common in binary ACLs) would be lost,
//! and a `size` record behind one ignored.

use std::collections::BTreeMap;
use std::io::{self, Read};

pub const BLOCK: usize = 512;

/// Entry types, as the typeflag byte.
pub mod kind {
    pub const FILE: u8 = b'0';
    pub const OLD_FILE: u8 = 0;
    pub const HARD_LINK: u8 = b'1';
    pub const SYMLINK: u8 = b'2';
    pub const CHAR: u8 = b'3';
    pub const BLOCK: u8 = b'4';
    pub const DIR: u8 = b'5';
    pub const FIFO: u8 = b'6';
    pub const CONTIGUOUS: u8 = b'7';
    pub const PAX: u8 = b'x';
    pub const PAX_GLOBAL: u8 = b'g';
    pub const GNU_LONG_NAME: u8 = b'L';
    pub const GNU_LONG_LINK: u8 = b'K';
    pub const GNU_SPARSE: u8 = b'S';
}

/// Largest values the octal fields hold.
const MAX_OCTAL_7: u64 = 0o7_777_777;
const MAX_OCTAL_11: u64 = 0o77_777_777_777;
/// PAX headers larger than this are refused (a hostile archive could ask
/// for gigabytes of memory).
const MAX_EXTENSION: u64 = 64 << 20;

/// One entry's header, everything a writer records about it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Header {
    pub kind: u8,
    /// Relative path, no trailing slash (folders get theirs when written).
    pub path: Vec<u8>,
    /// A symlink's target or a hard link's earlier path.
    pub link: Vec<u8>,
    /// Bytes of data that follow the header in the archive.
    pub size: u64,
    pub mode: u32,
    pub uid: u64,
    pub gid: u64,
    /// Seconds (rounded down) and nanoseconds.
    pub mtime: (i64, u32),
    pub user: Option<String>,
    pub group: Option<String>,
    pub device: (u32, u32),
    pub xattrs: BTreeMap<String, Vec<u8>>,
    /// A sparse file: its data runs (offset, length) and its full size.
    pub sparse: Option<Sparse>,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sparse {
    pub map: Vec<(u64, u64)>,
    pub real_size: u64,
    /// GNU 1.0: the map opens the data, as decimal lines padded to a block
    /// (it is read from there); old GNU headers carry it in the header.
    pub map_in_data: bool,
}

// ---------------------------------------------------------------- writing

impl Header {
    /// The blocks that precede the entry's data: a PAX header when anything
    /// does not fit ustar (long or non-UTF-8-safe names, big numbers,
    /// nanoseconds, times before 1970, attributes, sparse maps), then the
    /// ustar header. For a sparse file the data written after it must be
    /// [`sparse_map_block`] and then the runs.
    pub fn encode(&self) -> Vec<u8> {
        let mut records = Vec::new();
        let mut path = self.path.clone();
        if self.kind == kind::DIR && path.last() != Some(&b'/') {
            path.push(b'/');
        }
        let mut name_field = path.clone();
        if let Some(sparse) = &self.sparse {
            // GNU tar's own layout: readers that know no sparse files make
            // a file of the raw data under a name that says so.
            record(&mut records, "GNU.sparse.major", b"1");
            record(&mut records, "GNU.sparse.minor", b"0");
            record(&mut records, "GNU.sparse.name", &path);
            record(
                &mut records,
                "GNU.sparse.realsize",
                sparse.real_size.to_string().as_bytes(),
            );
            let base = path.rsplit(|&b| b == b'/').next().unwrap_or(&path);
            let dir = &path[..path.len() - base.len()];
            name_field = [dir, b"GNUSparseFile.0/", base].concat();
        }
        // Records a reader needs to find the next header come first.
        if self.size > MAX_OCTAL_11 {
            record(&mut records, "size", self.size.to_string().as_bytes());
        }
        let split = split_name(&name_field);
        let binary =
            std::str::from_utf8(&path).is_err() || std::str::from_utf8(&self.link).is_err();
        if split.is_none() && self.sparse.is_none() {
            if binary {
                record(&mut records, "hdrcharset", b"BINARY");
            }
            record(&mut records, "path", &path);
        }
        if self.link.len() > 100 {
            if binary && split.is_some() {
                record(&mut records, "hdrcharset", b"BINARY");
            }
            record(&mut records, "linkpath", &self.link);
        }
        if self.uid > MAX_OCTAL_7 {
            record(&mut records, "uid", self.uid.to_string().as_bytes());
        }
        if self.gid > MAX_OCTAL_7 {
            record(&mut records, "gid", self.gid.to_string().as_bytes());
        }
        let (seconds, nanos) = self.mtime;
        if nanos != 0 || seconds < 0 || seconds as u64 > MAX_OCTAL_11 {
            record(&mut records, "mtime", pax_time(seconds, nanos).as_bytes());
        }
        for (key, value) in [("uname", &self.user), ("gname", &self.group)] {
            if let Some(value) = value
                && (value.len() > 32 || !value.is_ascii())
            {
                record(&mut records, key, value.as_bytes());
            }
        }
        for (name, value) in &self.xattrs {
            record(&mut records, &format!("SCHILY.xattr.{name}"), value);
        }

        let mut out = Vec::with_capacity(BLOCK * 2);
        if !records.is_empty() {
            let mut pax = ustar_block(b"././@PaxHeader", kind::PAX, records.len() as u64);
            set_octal(&mut pax[100..108], 0o644);
            finish_block(&mut pax);
            out.extend_from_slice(&pax);
            out.extend_from_slice(&records);
            out.resize(out.len() + padding(records.len() as u64), 0);
        }
        let (prefix, name) = split.unwrap_or((&[][..], &name_field[..name_field.len().min(100)]));
        let mut block = ustar_block(name, self.kind, self.size);
        block[345..345 + prefix.len()].copy_from_slice(prefix);
        set_octal(&mut block[100..108], u64::from(self.mode & 0o7777));
        set_octal(&mut block[108..116], self.uid.min(MAX_OCTAL_7));
        set_octal(&mut block[116..124], self.gid.min(MAX_OCTAL_7));
        set_octal(
            &mut block[136..148],
            (seconds.max(0) as u64).min(MAX_OCTAL_11),
        );
        let link = &self.link[..self.link.len().min(100)];
        block[157..157 + link.len()].copy_from_slice(link);
        for (at, value) in [(265, &self.user), (297, &self.group)] {
            if let Some(value) = value
                && value.len() <= 32
                && value.is_ascii()
            {
                block[at..at + value.len()].copy_from_slice(value.as_bytes());
            }
        }
        if matches!(self.kind, kind::CHAR | kind::BLOCK) {
            set_octal(
                &mut block[329..337],
                u64::from(self.device.0).min(MAX_OCTAL_7),
            );
            set_octal(
                &mut block[337..345],
                u64::from(self.device.1).min(MAX_OCTAL_7),
            );
        }
        finish_block(&mut block);
        out.extend_from_slice(&block);
        out
    }
}

/// The map that opens a GNU 1.0 sparse file's data, padded to a block.
pub fn sparse_map_block(map: &[(u64, u64)]) -> Vec<u8> {
    let mut text = format!("{}\n", map.len());
    for (offset, length) in map {
        text.push_str(&format!("{offset}\n{length}\n"));
    }
    let mut bytes = text.into_bytes();
    bytes.resize(bytes.len() + padding(bytes.len() as u64), 0);
    bytes
}

/// Zeros that fill `size` bytes of data up to a whole block.
pub fn padding(size: u64) -> usize {
    ((BLOCK as u64 - size % BLOCK as u64) % BLOCK as u64) as usize
}

/// A PAX time: seconds and a fraction, `-1.5` for 1.5 s before the epoch.
fn pax_time(seconds: i64, nanos: u32) -> String {
    if nanos == 0 {
        return seconds.to_string();
    }
    let (whole, fraction) = if seconds < 0 {
        // (-2 s, 0.5 s) is -1.5 s.
        (seconds + 1, 1_000_000_000 - nanos)
    } else {
        (seconds, nanos)
    };
    let sign = if seconds < 0 && whole == 0 { "-" } else { "" };
    let digits = format!("{fraction:09}");
    format!("{sign}{whole}.{}", digits.trim_end_matches('0'))
}

/// One PAX record: `LEN key=value\n`, LEN counting itself.
fn record(out: &mut Vec<u8>, key: &str, value: &[u8]) {
    let rest = key.len() + value.len() + 3;
    let mut len = rest + 1;
    while len != rest + len.to_string().len() {
        len = rest + len.to_string().len();
    }
    out.extend_from_slice(len.to_string().as_bytes());
    out.push(b' ');
    out.extend_from_slice(key.as_bytes());
    out.push(b'=');
    out.extend_from_slice(value);
    out.push(b'\n');
}

/// A name that fits ustar's 100-byte name and 155-byte prefix, split at a slash.
fn split_name(path: &[u8]) -> Option<(&[u8], &[u8])> {
    if path.len() <= 100 {
        return Some((&[], path));
    }
    if path.len() > 256 {
        return None;
    }
    // The last slash that leaves at most 100 bytes of name, the prefix at most 155.
    (0..path.len())
        .rev()
        .filter(|&at| path[at] == b'/')
        .find(|&at| path.len() - at - 1 <= 100 && at <= 155 && at + 1 < path.len())
        .map(|at| (&path[..at], &path[at + 1..]))
}

fn ustar_block(name: &[u8], kind: u8, size: u64) -> [u8; BLOCK] {
    let mut block = [0u8; BLOCK];
    block[..name.len()].copy_from_slice(name);
    if size <= MAX_OCTAL_11 {
        set_octal(&mut block[124..136], size);
    } else {
        // Base-256, as GNU tar writes sizes past 8 GiB; the PAX record says it too.
        block[124] = 0x80;
        block[128..136].copy_from_slice(&size.to_be_bytes());
    }
    block[156] = kind;
    block[257..263].copy_from_slice(b"ustar\0");
    block[263..265].copy_from_slice(b"00");
    block
}

fn set_octal(field: &mut [u8], value: u64) {
    let digits = field.len() - 1;
    let text = format!("{value:0digits$o}");
    field[..digits].copy_from_slice(&text.as_bytes()[text.len() - digits..]);
    field[digits] = 0;
}

fn finish_block(block: &mut [u8; BLOCK]) {
    block[148..156].fill(b' ');
    let sum: u32 = block.iter().map(|&b| u32::from(b)).sum();
    let text = format!("{sum:06o}\0 ");
    block[148..156].copy_from_slice(text.as_bytes());
}

// ---------------------------------------------------------------- reading

/// Reads headers one after another; between two calls of [`Reader::next_header`]
/// the current entry's data is read through `Read`.
pub struct Reader<R> {
    inner: R,
    /// Data bytes of the current entry not read yet, and the padding after them.
    left: u64,
    pad: u64,
    global: Records,
}

/// PAX records by key; values are raw bytes.
type Records = BTreeMap<Vec<u8>, Vec<u8>>;

fn invalid(what: impl Into<String>) -> io::Error {
    io::Error::new(io::ErrorKind::InvalidData, what.into())
}

impl<R: Read> Reader<R> {
    pub fn new(inner: R) -> Reader<R> {
        Reader {
            inner,
            left: 0,
            pad: 0,
            global: Records::new(),
        }
    }

    /// The next entry's header, the rest of the current one skipped; None
    /// at the end-of-archive block (or the end of the stream at a block
    /// boundary).
    pub fn next_header(&mut self) -> io::Result<Option<Header>> {
        let skip = self.left + self.pad;
        let skipped = io::copy(&mut (&mut self.inner).take(skip), &mut io::sink())?;
        if skipped != skip {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the archive ends inside an entry",
            ));
        }
        self.left = 0;
        self.pad = 0;
        let mut local = Records::new();
        let mut long_name = None;
        let mut long_link = None;
        loop {
            let Some(block) = self.block()? else {
                if local.is_empty() && long_name.is_none() && long_link.is_none() {
                    return Ok(None);
                }
                return Err(io::Error::new(
                    io::ErrorKind::UnexpectedEof,
                    "the archive ends after an extended header",
                ));
            };
            if block.iter().all(|&b| b == 0) {
                return Ok(None);
            }
            check_sum(&block)?;
            let flag = block[156];
            let size = number(&block[124..136])?;
            match flag {
                kind::PAX | kind::PAX_GLOBAL | kind::GNU_LONG_NAME | kind::GNU_LONG_LINK => {
                    if size > MAX_EXTENSION {
                        return Err(invalid(format!("an extended header of {size} bytes")));
                    }
                    let data = self.data_block(size)?;
                    match flag {
                        kind::PAX => parse_records(&data, &mut local)?,
                        kind::PAX_GLOBAL => parse_records(&data, &mut self.global)?,
                        kind::GNU_LONG_NAME => long_name = Some(until_nul(&data).to_vec()),
                        _ => long_link = Some(until_nul(&data).to_vec()),
                    }
                }
                _ => {
                    let mut records = self.global.clone();
                    records.extend(local);
                    let mut header = self.header(&block, &records, long_name, long_link)?;
                    self.left = header_data_size(&header, &records, size)?;
                    header.size = self.left;
                    self.pad = padding(self.left) as u64;
                    return Ok(Some(header));
                }
            }
        }
    }

    fn header(
        &mut self,
        block: &[u8; BLOCK],
        records: &Records,
        long_name: Option<Vec<u8>>,
        long_link: Option<Vec<u8>>,
    ) -> io::Result<Header> {
        let posix = &block[257..263] == b"ustar\0";
        let mut path = until_nul(&block[..100]).to_vec();
        if posix && block[345] != 0 {
            path = [until_nul(&block[345..500]), b"/", &path].concat();
        }
        let path = records
            .get(&b"path"[..])
            .cloned()
            .or(long_name)
            .unwrap_or(path);
        let link = records
            .get(&b"linkpath"[..])
            .cloned()
            .or(long_link)
            .unwrap_or_else(|| until_nul(&block[157..257]).to_vec());
        let text = |key: &[u8]| {
            records
                .get(key)
                .map(|v| String::from_utf8_lossy(v).into_owned())
        };
        let decimal = |key: &[u8]| -> io::Result<Option<u64>> {
            text(key)
                .map(|t| {
                    t.parse::<u64>()
                        .map_err(|_| invalid(format!("PAX {} is not a number", lossy(key))))
                })
                .transpose()
        };
        let mtime = match text(b"mtime") {
            Some(t) => parse_pax_time(&t).ok_or_else(|| invalid("PAX mtime is invalid"))?,
            None => (signed_number(&block[136..148])?, 0),
        };
        let name_field = |at: usize| {
            let bytes = until_nul(&block[at..at + 32]);
            (!bytes.is_empty()).then(|| String::from_utf8_lossy(bytes).into_owned())
        };
        let mut xattrs = BTreeMap::new();
        for (key, value) in records {
            if let Some(name) = key.strip_prefix(b"SCHILY.xattr.") {
                xattrs.insert(lossy(name), value.clone());
            }
        }
        let mut header = Header {
            kind: block[156],
            path,
            link,
            size: 0,
            mode: (number(&block[100..108])? & 0o7777) as u32,
            uid: decimal(b"uid")?.map_or_else(|| number(&block[108..116]), Ok)?,
            gid: decimal(b"gid")?.map_or_else(|| number(&block[116..124]), Ok)?,
            mtime,
            user: text(b"uname").or_else(|| name_field(265)),
            group: text(b"gname").or_else(|| name_field(297)),
            device: (
                number(&block[329..337]).unwrap_or(0) as u32,
                number(&block[337..345]).unwrap_or(0) as u32,
            ),
            xattrs,
            sparse: None,
        };
        if header.kind == kind::GNU_SPARSE {
            header.sparse = Some(self.old_gnu_sparse(block)?);
        } else if text(b"GNU.sparse.major").as_deref() == Some("1")
            && text(b"GNU.sparse.minor").as_deref() == Some("0")
        {
            let real_size = decimal(b"GNU.sparse.realsize")?
                .ok_or_else(|| invalid("a sparse file without GNU.sparse.realsize"))?;
            if let Some(name) = records.get(&b"GNU.sparse.name"[..]) {
                header.path.clone_from(name);
            }
            header.sparse = Some(Sparse {
                map: Vec::new(),
                real_size,
                map_in_data: true,
            });
        }
        Ok(header)
    }

    /// An old GNU sparse header: four runs in the header, more in extension
    /// blocks that follow it before the data.
    fn old_gnu_sparse(&mut self, block: &[u8; BLOCK]) -> io::Result<Sparse> {
        let mut map = Vec::new();
        let runs = |area: &[u8], count: usize, map: &mut Vec<(u64, u64)>| -> io::Result<()> {
            for run in area.chunks(24).take(count) {
                if run[0] == 0 {
                    break;
                }
                map.push((number(&run[..12])?, number(&run[12..24])?));
            }
            Ok(())
        };
        runs(&block[386..482], 4, &mut map)?;
        let real_size = number(&block[483..495])?;
        let mut extended = block[482] != 0;
        while extended {
            let ext = self
                .block()?
                .ok_or_else(|| invalid("a sparse header's extension is missing"))?;
            runs(&ext[..504], 21, &mut map)?;
            extended = ext[504] != 0;
            if map.len() > 1 << 20 {
                return Err(invalid("a sparse map of more than a million runs"));
            }
        }
        check_map(&map, real_size)?;
        Ok(Sparse {
            map,
            real_size,
            map_in_data: false,
        })
    }

    fn block(&mut self) -> io::Result<Option<[u8; BLOCK]>> {
        let mut block = [0u8; BLOCK];
        let mut filled = 0;
        while filled < BLOCK {
            match self.inner.read(&mut block[filled..]) {
                Ok(0) if filled == 0 => return Ok(None),
                Ok(0) => {
                    return Err(io::Error::new(
                        io::ErrorKind::UnexpectedEof,
                        "the archive ends inside a header",
                    ));
                }
                Ok(n) => filled += n,
                Err(err) if err.kind() == io::ErrorKind::Interrupted => {}
                Err(err) => return Err(err),
            }
        }
        Ok(Some(block))
    }

    fn data_block(&mut self, size: u64) -> io::Result<Vec<u8>> {
        let mut data = Vec::with_capacity(size as usize);
        (&mut self.inner).take(size).read_to_end(&mut data)?;
        let pad = padding(size) as u64;
        let skipped = io::copy(&mut (&mut self.inner).take(pad), &mut io::sink())?;
        if data.len() as u64 != size || skipped != pad {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the archive ends inside an extended header",
            ));
        }
        Ok(data)
    }
}

/// Data of this entry in the archive: PAX `size` wins over the header; links,
/// folders and devices carry none, whatever a header says (as GNU tar reads them).
fn header_data_size(header: &Header, records: &Records, block_size: u64) -> io::Result<u64> {
    if matches!(
        header.kind,
        kind::HARD_LINK | kind::SYMLINK | kind::CHAR | kind::BLOCK | kind::DIR | kind::FIFO
    ) {
        return Ok(0);
    }
    match records.get(&b"size"[..]) {
        Some(value) => std::str::from_utf8(value)
            .ok()
            .and_then(|t| t.parse().ok())
            .ok_or_else(|| invalid("PAX size is not a number")),
        None => Ok(block_size),
    }
}

impl<R: Read> Read for Reader<R> {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.left == 0 {
            return Ok(0);
        }
        let want = buf
            .len()
            .min(usize::try_from(self.left).unwrap_or(usize::MAX));
        let n = self.inner.read(&mut buf[..want])?;
        if n == 0 && want > 0 {
            return Err(io::Error::new(
                io::ErrorKind::UnexpectedEof,
                "the archive ends inside an entry",
            ));
        }
        self.left -= n as u64;
        Ok(n)
    }
}

fn lossy(bytes: &[u8]) -> String {
    String::from_utf8_lossy(bytes).into_owned()
}

fn until_nul(bytes: &[u8]) -> &[u8] {
    let end = bytes.iter().position(|&b| b == 0).unwrap_or(bytes.len());
    &bytes[..end]
}

fn check_sum(block: &[u8; BLOCK]) -> io::Result<()> {
    let recorded = number(&block[148..156])?;
    let mut unsigned = 0u64;
    let mut signed = 0i64;
    for (at, &byte) in block.iter().enumerate() {
        let byte = if (148..156).contains(&at) { b' ' } else { byte };
        unsigned += u64::from(byte);
        signed += i64::from(byte as i8);
    }
    // Old tars summed signed bytes; GNU tar accepts either.
    if recorded == unsigned || recorded as i64 == signed {
        Ok(())
    } else {
        Err(invalid("a header's checksum does not match"))
    }
}

/// An octal or base-256 number field.
fn number(field: &[u8]) -> io::Result<u64> {
    let value = signed_number(field)?;
    u64::try_from(value).map_err(|_| invalid("a negative number where none may be"))
}

fn signed_number(field: &[u8]) -> io::Result<i64> {
    match field.first() {
        Some(&first) if first & 0x80 != 0 => {
            // Base-256: big-endian two's complement behind the marker bit;
            // GNU tar writes 0x80.. for large sizes, 0xff.. for negative times.
            let negative = first & 0x40 != 0;
            let mut value: i128 = if negative { -1 } else { 0 };
            for (at, &byte) in field.iter().enumerate() {
                let byte = if at == 0 && !negative {
                    byte & 0x7f
                } else {
                    byte
                };
                value = (value << 8) | i128::from(byte);
                if !(i128::from(i64::MIN)..=i128::from(i64::MAX)).contains(&value) {
                    return Err(invalid("a number field overflows"));
                }
            }
            Ok(value as i64)
        }
        _ => {
            let text = field
                .iter()
                .copied()
                .skip_while(|&b| b == b' ' || b == 0)
                .take_while(|&b| b != b' ' && b != 0)
                .collect::<Vec<u8>>();
            if text.is_empty() {
                return Ok(0);
            }
            let text =
                std::str::from_utf8(&text).map_err(|_| invalid("a number field is not octal"))?;
            i64::from_str_radix(text, 8).map_err(|_| invalid("a number field is not octal"))
        }
    }
}

fn parse_records(data: &[u8], into: &mut Records) -> io::Result<()> {
    let mut at = 0;
    while at < data.len() {
        if data[at..].iter().all(|&b| b == 0) {
            break;
        }
        let space = data[at..]
            .iter()
            .position(|&b| b == b' ')
            .ok_or_else(|| invalid("a PAX record has no length"))?;
        let len: usize = std::str::from_utf8(&data[at..at + space])
            .ok()
            .and_then(|t| t.parse().ok())
            .ok_or_else(|| invalid("a PAX record's length is not a number"))?;
        let end = at
            .checked_add(len)
            .filter(|&end| end <= data.len() && len > space + 1)
            .ok_or_else(|| invalid("a PAX record runs past its header"))?;
        if data[end - 1] != b'\n' {
            return Err(invalid("a PAX record does not end with a newline"));
        }
        let body = &data[at + space + 1..end - 1];
        let equals = body
            .iter()
            .position(|&b| b == b'=')
            .ok_or_else(|| invalid("a PAX record has no ="))?;
        let key = body[..equals].to_vec();
        let value = body[equals + 1..].to_vec();
        if value.is_empty() && !key.starts_with(b"SCHILY.xattr.") {
            // An empty value deletes the key (POSIX); an attribute's empty
            // value is a value (`setfattr -n user.x` makes one), as GNU tar
            // reads it.
            into.remove(&key);
        } else {
            into.insert(key, value);
        }
        at = end;
    }
    Ok(())
}

/// A PAX time, `-315619199.5` or `1700000000.123456789`, as whole seconds
/// rounded down and nanoseconds.
pub fn parse_pax_time(text: &str) -> Option<(i64, u32)> {
    let (whole, fraction) = text.split_once('.').unwrap_or((text, ""));
    let seconds: i64 = whole.parse().ok()?;
    if fraction.is_empty() {
        return Some((seconds, 0));
    }
    if !fraction.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let digits: String = fraction.chars().take(9).collect();
    let nanos: u32 = format!("{digits:0<9}").parse().ok()?;
    if nanos == 0 {
        Some((seconds, 0))
    } else if whole.starts_with('-') {
        Some((seconds - 1, 1_000_000_000 - nanos))
    } else {
        Some((seconds, nanos))
    }
}

/// Runs in order, not overlapping, inside the file.
fn check_map(map: &[(u64, u64)], real_size: u64) -> io::Result<()> {
    let mut end = 0u64;
    for &(offset, length) in map {
        let stop = offset
            .checked_add(length)
            .ok_or_else(|| invalid("a sparse run overflows"))?;
        if offset < end || stop > real_size {
            return Err(invalid("sparse runs overlap or pass the file's end"));
        }
        end = stop;
    }
    Ok(())
}

/// Reads the map that opens a GNU 1.0 sparse file's data (decimal lines,
/// padded to a block); returns it and the bytes it took.
pub fn read_sparse_map(data: &mut impl Read, real_size: u64) -> io::Result<(Vec<(u64, u64)>, u64)> {
    let mut consumed = 0u64;
    let mut number = || -> io::Result<u64> {
        let mut digits = Vec::new();
        loop {
            let mut byte = [0u8; 1];
            data.read_exact(&mut byte)?;
            consumed += 1;
            match byte[0] {
                b'\n' => break,
                b @ b'0'..=b'9' if digits.len() < 20 => digits.push(b),
                _ => return Err(invalid("the sparse map is not decimal lines")),
            }
        }
        std::str::from_utf8(&digits)
            .ok()
            .and_then(|d| d.parse().ok())
            .ok_or_else(|| invalid("the sparse map is not decimal lines"))
    };
    let count = number()?;
    if count > 1 << 24 {
        return Err(invalid("a sparse map of too many runs"));
    }
    let mut map = Vec::new();
    for _ in 0..count {
        let offset = number()?;
        let length = number()?;
        map.push((offset, length));
    }
    check_map(&map, real_size)?;
    let pad = padding(consumed) as u64;
    let skipped = io::copy(&mut data.take(pad), &mut io::sink())?;
    if skipped != pad {
        return Err(io::Error::new(
            io::ErrorKind::UnexpectedEof,
            "the archive ends inside a sparse map",
        ));
    }
    Ok((map, consumed + pad))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(path: &[u8], kind: u8) -> Header {
        Header {
            kind,
            path: path.to_vec(),
            mode: 0o644,
            mtime: (1_700_000_000, 0),
            ..Header::default()
        }
    }

    fn round_trip(headers: &[Header]) -> Vec<Header> {
        let mut bytes = Vec::new();
        for header in headers {
            bytes.extend(header.encode());
            let mut data = header.size as usize;
            if let Some(sparse) = &header.sparse {
                let map = sparse_map_block(&sparse.map);
                data -= map.len();
                bytes.extend(map);
            }
            bytes.resize(bytes.len() + data, b'd');
            bytes.resize(bytes.len() + padding(header.size), 0);
        }
        bytes.extend([0u8; 1024]);
        let mut reader = Reader::new(&bytes[..]);
        let mut out = Vec::new();
        while let Some(mut header) = reader.next_header().unwrap() {
            if let Some(sparse) = &mut header.sparse {
                let (map, _) = read_sparse_map(&mut reader, sparse.real_size).unwrap();
                sparse.map = map;
            }
            let mut data = Vec::new();
            reader.read_to_end(&mut data).unwrap();
            assert!(data.iter().all(|&b| b == b'd'));
            out.push(header);
        }
        out
    }

    #[test]
    fn what_is_written_reads_back_the_same() {
        let long = [b"d/".repeat(90), b"f\n\xff".to_vec()].concat();
        let mut odd = header(&long, kind::FILE);
        odd.size = 700;
        odd.mtime = (-100, 250_000_000);
        odd.uid = 5_000_000;
        odd.user = Some("a-user-name-longer-than-thirty-two-bytes".into());
        odd.group = Some("staff".into());
        odd.xattrs.insert("user.a".into(), b"x\ny=\0".to_vec());
        odd.xattrs.insert("user.empty".into(), Vec::new());
        let mut link = header(b"l", kind::SYMLINK);
        link.link = b"/t/\xfe".repeat(40);
        let mut dev = header(b"dev/tty", kind::CHAR);
        dev.device = (4, 64);
        let mut sparse = header(b"s", kind::FILE);
        sparse.sparse = Some(Sparse {
            map: vec![(4096, 10), (1 << 30, 5)],
            real_size: (1 << 30) + 5,
            map_in_data: true,
        });
        sparse.size = sparse_map_block(&[(4096, 10), (1 << 30, 5)]).len() as u64 + 15;
        let dir = header(b"some/dir", kind::DIR);
        let written = vec![odd, link, dev, sparse, dir];
        let mut read = round_trip(&written);
        read[4].path.pop();
        assert_eq!(read, written);
    }

    #[test]
    fn names_split_into_prefix_and_name_when_they_can() {
        let path = [b"p".repeat(150), b"/".to_vec(), b"n".repeat(99)].concat();
        let (prefix, name) = split_name(&path).unwrap();
        assert_eq!((prefix.len(), name.len()), (150, 99));
        assert!(split_name(&b"x".repeat(101)).is_none());
    }

    #[test]
    fn numbers_read_in_octal_and_base_256() {
        assert_eq!(number(b"0000644\0").unwrap(), 0o644);
        assert_eq!(number(b"   12 \0").unwrap(), 0o12);
        let mut big = [0u8; 12];
        big[0] = 0x80;
        big[4..].copy_from_slice(&(10u64 << 33).to_be_bytes());
        assert_eq!(number(&big).unwrap(), 10 << 33);
        assert_eq!(signed_number(&[0xff; 12]).unwrap(), -1);
        assert!(number(b"9\0").is_err());
    }

    #[test]
    fn pax_times_keep_nanoseconds_and_round_down() {
        for (seconds, nanos) in [
            (12, 0),
            (12, 500_000_000),
            (-2, 750_000_000),
            (-3, 0),
            (-1, 1),
        ] {
            let text = pax_time(seconds, nanos);
            assert_eq!(parse_pax_time(&text), Some((seconds, nanos)), "{text}");
        }
        assert_eq!(pax_time(-1, 500_000_000), "-0.5");
        assert_eq!(parse_pax_time("x"), None);
    }

    #[test]
    fn pax_records_count_their_own_length() {
        for n in [1, 5, 90, 95, 96, 200, 995, 996, 1000] {
            let mut out = Vec::new();
            record(&mut out, "k", &vec![b'v'; n]);
            let space = out.iter().position(|&b| b == b' ').unwrap();
            let len: usize = std::str::from_utf8(&out[..space]).unwrap().parse().unwrap();
            assert_eq!(len, out.len(), "{n}");
        }
    }
}
