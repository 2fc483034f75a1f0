//! Exclude patterns as tar and restic users write them, and which of them
//! matched anything (one that never does is most likely a typo).
//!
//! - `*.log`, `cache`: no slash, so any file or folder of that name, at any depth;
//! - `data/**/*.tmp`, `./cache`, `/cache`: a path below the backup's root;
//! - `/srv/app/cache`: an absolute path, when it lies under the root;
//! - `cache/`: a trailing slash matches folders only.
//!
//! `*` and `?` stay within one name, `**` crosses folders, `[a-z]` is a
//! class (the `glob` crate's syntax). An excluded folder is left out whole.

use std::path::Path;

use glob::{MatchOptions, Pattern};

const OPTIONS: MatchOptions = MatchOptions {
    case_sensitive: true,
    require_literal_separator: true,
    require_literal_leading_dot: false,
};

struct Rule {
    given: String,
    pattern: Pattern,
    /// Matches the path below the root rather than any name.
    anchored: bool,
    folders_only: bool,
    hits: usize,
}

pub(super) struct Excludes {
    rules: Vec<Rule>,
}

impl Excludes {
    /// Compiles the patterns; an invalid one is an error naming it.
    pub(super) fn new(patterns: &[String], root: &Path) -> Result<Excludes, (String, String)> {
        let root = root.to_string_lossy();
        let root = root.trim_end_matches('/');
        let mut rules = Vec::new();
        for given in patterns {
            let mut text = given.trim().to_owned();
            let folders_only = text.len() > 1 && text.ends_with('/');
            text = text.trim_end_matches('/').to_owned();
            let mut anchored = text.contains('/');
            if let Some(below) = text
                .strip_prefix(root)
                .filter(|rest| rest.starts_with('/') && text.starts_with('/'))
            {
                // An absolute path under the root.
                text = below.to_owned();
            }
            while let Some(rest) = text.strip_prefix("./") {
                text = rest.to_owned();
                anchored = true;
            }
            text = text.trim_start_matches('/').to_owned();
            if text.is_empty() {
                return Err((given.clone(), "it names nothing below the root".to_owned()));
            }
            let pattern = Pattern::new(&text).map_err(|err| (given.clone(), err.msg.to_owned()))?;
            rules.push(Rule {
                given: given.clone(),
                pattern,
                anchored,
                folders_only,
                hits: 0,
            });
        }
        Ok(Excludes { rules })
    }

    /// Whether `path` (below the root) whose last name is `name` is left out.
    pub(super) fn matches(&mut self, path: &str, name: &str, is_folder: bool) -> bool {
        let mut matched = false;
        for rule in &mut self.rules {
            if rule.folders_only && !is_folder {
                continue;
            }
            let text = if rule.anchored { path } else { name };
            if rule.pattern.matches_with(text, OPTIONS) {
                rule.hits += 1;
                matched = true;
            }
        }
        matched
    }

    /// The patterns that matched nothing, as given.
    pub(super) fn unmatched(&self) -> Vec<String> {
        self.rules
            .iter()
            .filter(|r| r.hits == 0)
            .map(|r| r.given.clone())
            .collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn excludes(patterns: &[&str]) -> Excludes {
        let patterns: Vec<String> = patterns.iter().map(|p| (*p).to_owned()).collect();
        Excludes::new(&patterns, Path::new("/srv/app")).unwrap()
    }

    #[test]
    fn names_paths_and_absolute_paths_match_as_tar_users_expect() {
        let mut rules = excludes(&["*.tmp", "cache", "data/**/*.log"]);
        assert!(rules.matches("a/b/x.tmp", "x.tmp", false));
        assert!(rules.matches("var/cache", "cache", true));
        assert!(rules.matches("data/logs/app.log", "app.log", false));
        assert!(rules.matches("data/app.log", "app.log", false));
        assert!(!rules.matches("other/app.log", "app.log", false));
        assert!(!rules.matches("a/cached", "cached", false));
        assert!(rules.unmatched().is_empty());

        let mut rules = excludes(&["/srv/app/cache", "./tmp", "/logs", "run/"]);
        assert!(rules.matches("cache", "cache", true));
        assert!(!rules.matches("x/cache", "cache", true));
        assert!(rules.matches("tmp", "tmp", true));
        assert!(!rules.matches("a/tmp", "tmp", true));
        assert!(rules.matches("logs", "logs", true));
        assert!(!rules.matches("a/run", "run", false), "folders only");
        assert!(rules.matches("a/run", "run", true));

        let mut rules = excludes(&["a/*"]);
        assert!(rules.matches("a/b", "b", false) && !rules.matches("a/b/c", "c", false));
    }

    #[test]
    fn a_pattern_that_matches_nothing_is_named_and_a_bad_one_refused() {
        let mut rules = excludes(&["*.log", "/etc/other"]);
        assert!(rules.matches("x.log", "x.log", false));
        assert_eq!(rules.unmatched(), ["/etc/other"]);
        let bad = Excludes::new(&["[x".to_owned()], Path::new("/"))
            .err()
            .unwrap();
        assert_eq!(bad.0, "[x");
    }
}
