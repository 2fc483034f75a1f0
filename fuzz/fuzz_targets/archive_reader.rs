//! The archive reader that `verify`, `restore` and `drill` read every
//! archive with (`maint::storage::archive::read_from`), on arbitrary bytes:
//! once as they are (the gzip layer) and once gzip-compressed (so the tar
//! parser behind the inflate sees them too). It may refuse anything; it
//! must not panic, hang or ask for unbounded memory.
//!
//! Under `cargo fuzz` (`--cfg fuzzing`) this is a libFuzzer target; built
//! plainly it replays the files and folders named on its command line, so
//! a corpus or a crash can be checked on a stable toolchain.

#![cfg_attr(fuzzing, no_main)]

use std::io::{self, Write};

use maint::storage::archive::{self, ReadError};

fn read(bytes: Vec<u8>) {
    let outcome = archive::read_from(io::Cursor::new(bytes), None, true, |entry| {
        // Content out as a restore takes it: sparse maps expanded, hashed.
        let mut buffer = [0u8; 4096];
        entry
            .copy_to(&mut io::sink(), &mut buffer)
            .map_err(ReadError::Io)
    });
    if let Ok(outcome) = outcome
        && let Some(manifest) = &outcome.manifest
    {
        let _ = archive::compare(manifest, &outcome.entries);
    }
}

fn one(data: &[u8]) {
    read(data.to_vec());
    let mut gzip = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gzip.write_all(data).expect("writing to memory");
    read(gzip.finish().expect("writing to memory"));
}

#[cfg(fuzzing)]
libfuzzer_sys::fuzz_target!(|data: &[u8]| one(data));

#[cfg(not(fuzzing))]
fn main() {
    let mut files = Vec::new();
    for arg in std::env::args_os().skip(1) {
        let path = std::path::PathBuf::from(arg);
        match std::fs::read_dir(&path) {
            Ok(entries) => files.extend(entries.map(|e| e.expect("list the corpus").path())),
            Err(_) => files.push(path),
        }
    }
    files.sort();
    for file in &files {
        let data = std::fs::read(file)
            .unwrap_or_else(|err| panic!("cannot read {}: {err}", file.display()));
        one(&data);
    }
    println!("{} inputs read without a crash", files.len());
}
