//! How a restore reports what its read of the archive found.

use std::path::Path;

use super::Checked;
use crate::report::{Check, Status};

/// "1 path", "3 paths".
pub(super) fn paths(count: usize) -> String {
    if count == 1 {
        "1 path".to_owned()
    } else {
        format!("{count} paths")
    }
}

pub(super) fn verify_check(archive: &Path, checked: &Checked) -> Check {
    if checked.unverified {
        Check::new(
            "verify",
            Status::Warning,
            format!(
                "{}: unverified, no manifest (made by plain tar?); the gzip CRC is good",
                archive.display()
            ),
        )
        .with_hint(
            "nothing proves the files are what was backed up: compare them with another copy",
        )
    } else {
        Check::new(
            "verify",
            Status::Ok,
            format!(
                "{}: {} entries match the manifest; gzip CRC good",
                archive.display(),
                checked.outcome.entries.len()
            ),
        )
    }
}
