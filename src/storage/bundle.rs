//! Support bundles: a few text files in a `.tar.gz` that GNU tar reads, with
//! a manifest of their sizes and SHA-256 sums, written atomically and 0600
//! (they hold logs). Every file, and every file name, is redacted here as it
//! is packed (`redact::document`: TOML and JSON stay valid), so no caller can
//! forget to; with a [`HostRedactor`] host names and addresses go too.

use std::io::Write;
use std::path::Path;

use chrono::{DateTime, SecondsFormat, Utc};
use flate2::Compression;
use flate2::write::GzEncoder;
use sha2::{Digest, Sha256};

use crate::redact::{self, HostRedactor, Kind};

#[derive(Default)]
pub struct Bundle {
    files: Vec<(String, String)>,
    hosts: Option<HostRedactor>,
}

impl Bundle {
    /// A bundle whose files lose their secrets; with `hosts`, their host
    /// names and addresses too (`--redact-hosts`).
    pub fn new(hosts: Option<HostRedactor>) -> Self {
        Bundle {
            files: Vec::new(),
            hosts,
        }
    }

    pub fn add(&mut self, name: impl Into<String>, contents: impl Into<String>) {
        self.files.push((name.into(), contents.into()));
    }

    /// The files as they will be packed: secrets masked; then, with a host
    /// redactor, the hosts every file names learned first, so a host gets the
    /// same pseudonym in every file.
    fn redacted(&mut self) -> Vec<(String, Vec<u8>)> {
        let clean: Vec<(String, String)> = self
            .files
            .iter()
            .map(|(name, text)| {
                let name = redact::secrets_in_text(name);
                let text = redact::document(text, Kind::of(&name), None);
                (name, text)
            })
            .collect();
        let Some(hosts) = self.hosts.as_mut() else {
            return clean
                .into_iter()
                .map(|(name, text)| (name, text.into_bytes()))
                .collect();
        };
        for (name, text) in &clean {
            hosts.observe(name);
            hosts.observe(text);
        }
        clean
            .into_iter()
            .map(|(name, text)| {
                let name = hosts.apply(&name);
                let text = redact::document(&text, Kind::of(&name), Some(&mut *hosts));
                (name, text.into_bytes())
            })
            .collect()
    }

    /// Packs the files under one top folder (`<prefix>/...`) with
    /// `<prefix>/manifest.json` last, and replaces `path` with the result.
    pub fn write(
        &mut self,
        path: &Path,
        prefix: &str,
        created_at: DateTime<Utc>,
    ) -> std::io::Result<()> {
        let files = self.redacted();
        let manifest = manifest(&files, created_at);
        let mut archive = tar::Builder::new(GzEncoder::new(Vec::new(), Compression::default()));
        let mtime = created_at.timestamp().max(0) as u64;
        for (name, contents) in files
            .iter()
            .chain(std::iter::once(&("manifest.json".to_owned(), manifest)))
        {
            let mut header = tar::Header::new_gnu();
            header.set_size(contents.len() as u64);
            header.set_mode(0o600);
            header.set_mtime(mtime);
            header.set_entry_type(tar::EntryType::Regular);
            archive.append_data(&mut header, format!("{prefix}/{name}"), contents.as_slice())?;
        }
        let mut gzip = archive.into_inner()?;
        gzip.flush()?;
        let bytes = gzip.finish()?;
        super::atomic::write_with_mode(path, &bytes, 0o600)
    }
}

fn manifest(files: &[(String, Vec<u8>)], created_at: DateTime<Utc>) -> Vec<u8> {
    let files: Vec<serde_json::Value> = files
        .iter()
        .map(|(name, contents)| {
            serde_json::json!({
                "name": name,
                "size": contents.len(),
                "sha256": hex(&Sha256::digest(contents)),
            })
        })
        .collect();
    let manifest = serde_json::json!({
        "maint_version": env!("CARGO_PKG_VERSION"),
        "created_at": created_at.to_rfc3339_opts(SecondsFormat::Secs, true),
        "files": files,
    });
    let mut text = serde_json::to_vec_pretty(&manifest).expect("a manifest always serialises");
    text.push(b'\n');
    text
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    #[test]
    fn gnu_tar_reads_it_and_the_manifest_sums_match() {
        let dir = std::env::temp_dir().join(format!("maint-bundle-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let mut bundle = Bundle::default();
        bundle.add("report.txt", "all fine\n");
        bundle.add("logs/app.log", "line\n");
        let path = dir.join("support.tar.gz");
        bundle.write(&path, "maint-support", Utc::now()).unwrap();
        assert_eq!(
            std::fs::metadata(&path).unwrap().permissions().mode() & 0o777,
            0o600
        );
        let status = std::process::Command::new("tar")
            .arg("xzf")
            .arg(&path)
            .arg("-C")
            .arg(&dir)
            .status()
            .unwrap();
        assert!(status.success());
        let root = dir.join("maint-support");
        assert_eq!(
            std::fs::read_to_string(root.join("logs/app.log")).unwrap(),
            "line\n"
        );
        let manifest: serde_json::Value =
            serde_json::from_slice(&std::fs::read(root.join("manifest.json")).unwrap()).unwrap();
        assert_eq!(manifest["files"][0]["name"], "report.txt");
        assert_eq!(
            manifest["files"][0]["sha256"],
            hex(&Sha256::digest(b"all fine\n"))
        );
        std::fs::remove_dir_all(dir).unwrap();
    }
}
