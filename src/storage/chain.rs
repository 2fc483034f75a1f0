//! Chains of incrementals, and restoring part of an archive. An
//! incremental's manifest lists the whole tree at its time; each entry
//! whose content did not change names the archive of the chain that holds
//! it ([`Entry::stored_in`]). Restoring it reads the links oldest first and
//! takes from each exactly the entries the last manifest says it holds, so
//! the result is the tree of that time: what was deleted since the full
//! backup is in no selection and does not come back.
//!
//! A selection (`--path`) narrows the same plan: the entries chosen, the
//! folders on their way (so those get their own modes and times), and the
//! files their hard links point to.

use std::collections::{HashMap, HashSet};

use super::manifest::{self, Entry, EntryType, Manifest};

/// One archive to read, and the paths (bytes, as in the tar) to take from it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Link {
    pub file: String,
    pub take: HashSet<Vec<u8>>,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ChainError {
    #[error("link {file} of the chain is missing (its manifest copy cannot be read)")]
    Missing { file: String },
    #[error("link {file} of the chain does not hold {path} as {last} lists it")]
    Differs {
        file: String,
        path: String,
        last: String,
    },
    #[error("{file} names itself among its parents")]
    Loop { file: String },
    #[error("no entry of {file} matches the paths asked for")]
    NothingSelected { file: String },
}

/// The archives to read for `last` (file name `file`), oldest first, with
/// what to take from each; `manifest_of` gives a link's manifest copy.
/// `wanted` narrows the restore to some entries (`None`: all of them).
pub fn plan(
    file: &str,
    last: &Manifest,
    wanted: Option<&dyn Fn(&Entry) -> bool>,
    manifest_of: &dyn Fn(&str) -> Option<Manifest>,
) -> Result<Vec<Link>, ChainError> {
    let chosen = choose(last, wanted);
    if wanted.is_some()
        && !chosen.iter().any(|p| {
            p.as_slice() != b".".as_slice() && !manifest::is_meta(&String::from_utf8_lossy(p))
        })
    {
        return Err(ChainError::NothingSelected {
            file: file.to_owned(),
        });
    }
    let mut links: Vec<(String, Option<Manifest>)> = vec![(file.to_owned(), None)];
    let mut parent = last.parent.clone();
    while let Some(name) = parent.take() {
        if links.iter().any(|(f, _)| *f == name) {
            return Err(ChainError::Loop { file: name });
        }
        let manifest =
            manifest_of(&name).ok_or_else(|| ChainError::Missing { file: name.clone() })?;
        parent.clone_from(&manifest.parent);
        links.push((name, Some(manifest)));
    }
    links.reverse();
    let index: HashMap<&str, usize> = links
        .iter()
        .enumerate()
        .map(|(i, (f, _))| (f.as_str(), i))
        .collect();
    let mut take: Vec<HashSet<Vec<u8>>> = vec![HashSet::new(); links.len()];
    for entry in &last.entries {
        let path = entry.path_bytes();
        if !chosen.contains(&path) {
            continue;
        }
        let holder = entry.stored_in.as_deref().unwrap_or(file);
        let Some(&at) = index.get(holder) else {
            return Err(ChainError::Missing {
                file: holder.to_owned(),
            });
        };
        if let (name, Some(manifest)) = &links[at] {
            let held = manifest
                .entries
                .iter()
                .find(|e| e.path_bytes() == path && e.stored_in.is_none());
            if !held.is_some_and(|h| {
                h.sha256 == entry.sha256 && h.size == entry.size && h.kind == entry.kind
            }) {
                return Err(ChainError::Differs {
                    file: name.clone(),
                    path: entry.path.clone(),
                    last: file.to_owned(),
                });
            }
        }
        take[at].insert(path);
    }
    Ok(links
        .into_iter()
        .zip(take)
        .map(|((file, _), take)| Link { file, take })
        .collect())
}

/// The paths of `last` to restore: all, or the wanted ones (a wanted
/// folder with all it holds) with the folders above them and the targets
/// of their hard links. maint's own entries (the dump, the Redis snapshot)
/// come along either way; the caller decides whether to extract them.
fn choose(last: &Manifest, wanted: Option<&dyn Fn(&Entry) -> bool>) -> HashSet<Vec<u8>> {
    let Some(wanted) = wanted else {
        return last.entries.iter().map(Entry::path_bytes).collect();
    };
    let mut chosen = HashSet::new();
    // Entries come parents first: a folder is matched before what it holds.
    let mut folders: Vec<Vec<u8>> = Vec::new();
    for entry in &last.entries {
        let path = entry.path_bytes();
        if manifest::is_meta(&entry.path) {
            chosen.insert(path);
            continue;
        }
        let inside = folders.iter().any(|folder| path.starts_with(folder));
        if !inside && !wanted(entry) {
            continue;
        }
        if entry.kind == EntryType::Dir && path != b"." {
            let mut folder = path.clone();
            folder.push(b'/');
            folders.push(folder);
        }
        if entry.kind == EntryType::HardLink
            && let Some(target) = entry.link_bytes()
        {
            chosen.insert(target);
        }
        let mut at = path.as_slice();
        while let Some(slash) = at.iter().rposition(|&b| b == b'/') {
            at = &at[..slash];
            chosen.insert(at.to_vec());
        }
        chosen.insert(b".".to_vec());
        chosen.insert(path);
    }
    chosen
}

#[cfg(test)]
mod tests {
    use super::*;

    fn file(path: &str, sha: &str, stored_in: Option<&str>) -> Entry {
        Entry {
            size: 1,
            sha256: Some(sha.to_owned()),
            stored_in: stored_in.map(str::to_owned),
            ..Entry::new(path, EntryType::File, 0o644, (1, 0))
        }
    }

    fn dir(path: &str) -> Entry {
        Entry::new(path, EntryType::Dir, 0o755, (1, 0))
    }

    fn manifest(entries: Vec<Entry>, parent: Option<&str>) -> Manifest {
        Manifest {
            format_version: manifest::FORMAT_VERSION,
            maint_version: "0".into(),
            name: "web".into(),
            kind: "daily".into(),
            host: "h".into(),
            created_at: chrono::Utc::now(),
            root: "/srv".into(),
            sources: vec!["/srv".into()],
            excludes: vec![],
            entries,
            database: None,
            redis: None,
            warnings: vec![],
            parent: parent.map(str::to_owned),
            deleted: vec![],
        }
    }

    fn paths(link: &Link) -> Vec<String> {
        let mut out: Vec<String> = link
            .take
            .iter()
            .map(|p| String::from_utf8_lossy(p).into_owned())
            .collect();
        out.sort();
        out
    }

    #[test]
    fn each_entry_is_taken_from_the_link_that_holds_it() {
        let full = manifest(
            vec![
                dir("."),
                dir("a"),
                file("a/x", "1", None),
                file("a/gone", "2", None),
            ],
            None,
        );
        let last = manifest(
            vec![
                dir("."),
                dir("a"),
                file("a/x", "1", Some("full")),
                file("a/new", "3", None),
            ],
            Some("full"),
        );
        let links = plan("last", &last, None, &|name| {
            (name == "full").then(|| full.clone())
        })
        .unwrap();
        assert_eq!(links.len(), 2);
        assert_eq!(
            (links[0].file.as_str(), paths(&links[0])),
            ("full", vec!["a/x".to_owned()])
        );
        assert_eq!(paths(&links[1]), [".", "a", "a/new"]);
    }

    #[test]
    fn a_missing_or_different_link_and_a_loop_are_refused() {
        let last = manifest(vec![file("x", "1", Some("full"))], Some("full"));
        assert_eq!(
            plan("last", &last, None, &|_| None),
            Err(ChainError::Missing {
                file: "full".into()
            })
        );
        let other = manifest(vec![file("x", "9", None)], None);
        assert!(matches!(
            plan("last", &last, None, &|_| Some(other.clone())),
            Err(ChainError::Differs { .. })
        ));
        let looped = manifest(vec![], Some("last"));
        assert_eq!(
            plan("last", &looped, None, &|_| Some(looped.clone())),
            Err(ChainError::Loop {
                file: "last".into()
            })
        );
    }

    #[test]
    fn a_selection_brings_folders_on_the_way_and_a_folder_s_contents() {
        let last = manifest(
            vec![
                dir("."),
                dir("a"),
                dir("a/b"),
                file("a/b/c", "1", None),
                file("a/d", "2", None),
                file("e", "3", None),
            ],
            None,
        );
        let wanted = |e: &Entry| e.path == "a/b";
        let links = plan("last", &last, Some(&wanted), &|_| None).unwrap();
        assert_eq!(paths(&links[0]), [".", "a", "a/b", "a/b/c"]);
        let nothing = |_: &Entry| false;
        assert_eq!(
            plan("last", &last, Some(&nothing), &|_| None),
            Err(ChainError::NothingSelected {
                file: "last".into()
            })
        );
    }
}
