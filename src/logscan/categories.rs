//! Categories of lines (errors, warnings, ...): named regular expressions
//! matched like `LC_ALL=C grep -E`, on bytes, with Unicode off, one line at
//! a time, and all of them in one pass.
//!
//! Running every category's regex on every line would cost one regex call
//! per line per category. Instead one combined regex (the alternation of
//! all categories) searches the whole buffer at once, which the regex crate
//! turns into a SIMD literal search for the usual patterns; only the lines
//! it stops on are then tested against each category.

use regex::bytes::{Regex, RegexBuilder};

use super::header::Severity;

/// The categories of the README, in report order: what any server's logs
/// say. Security holds what real servers write on a refusal: sshd's
/// `Failed password` and `Invalid user`, PAM's `authentication failure`,
/// sudo's `incorrect password attempts` and `NOT in sudoers`, and an
/// access log's 401 or 403 status after the quoted request.
/// Application-specific categories live in the example config.
///
/// Errors and warnings are judged from a file's level field when its lines
/// have one (see [`Category::level`]); these words are what is matched in
/// files without one.
pub const DEFAULTS: &[(&str, &str, Option<Severity>)] = &[
    ("errors", "ERROR|CRITICAL|FATAL", Some(Severity::Error)),
    ("warnings", "WARNING|WARN", Some(Severity::Warning)),
    (
        "security",
        "Unauthorized|Authentication failed|Failed password|Invalid user|authentication failure|incorrect password attempt|NOT in sudoers|\" 401 |\" 403 ",
        None,
    ),
];

/// What a line of each severity holds in its level field, in the shapes
/// `header::split` reads as a level (capitals, capitalized, or lowercase in
/// brackets as Apache writes `[error]`), as prefixes: `CRIT` finds
/// `CRITICAL`, `[warn` `[warning]`. Lines holding one are looked at and
/// their level field decides. Kept short and at least 4 bytes long: the
/// fewer and longer the words, the faster the search (with up to 32 words
/// in all, it takes the narrow SIMD path). `ERR` alone is left out: as a
/// prefix of 3 bytes it would slow every search for a rare level word.
const LEVEL_WORDS: &[(Severity, &[&str])] = &[
    (
        Severity::Error,
        &[
            "ERROR", "Error", "[error", "CRIT", "Crit", "[crit", "FATAL", "Fatal", "[fatal",
            "SEVERE", "ALERT", "[alert", "EMERG", "[emerg", "PANIC",
        ],
    ),
    (Severity::Warning, &["WARN", "Warn", "[warn"]),
];

/// At most this many categories, so a line's categories fit in a `u64` mask.
pub const MAX_CATEGORIES: usize = 64;

#[derive(Debug, thiserror::Error)]
pub enum PatternError {
    #[error("invalid regular expression {pattern:?}: {message}")]
    Regex { pattern: String, message: String },
    #[error("category name {0:?} is not valid: use letters, digits, `_` and `-`")]
    Name(String),
    #[error("more than {MAX_CATEGORIES} categories")]
    TooMany,
}

/// Compiles a pattern the way grep reads it under `LC_ALL=C`: bytes, not
/// characters (`.` matches any byte but newline, invalid UTF-8 included).
///
/// Where the two dialects read the same text differently, the pattern is
/// refused rather than counted differently: `a+?` is a lazy `a+` here but
/// "`a+`, optionally" (every line) to grep -E. What the regex crate cannot
/// do at all (back-references, `{,n}`, a leading `*`) it refuses itself.
pub fn compile(pattern: &str) -> Result<Regex, PatternError> {
    if let Some(at) = lazy_quantifier(pattern) {
        return Err(PatternError::Regex {
            pattern: pattern.to_owned(),
            message: format!(
                "`{q}?` at byte {at} is a lazy `{q}` here but an optional repetition in grep -E; group it as grep reads it: (X{q})?",
                q = &pattern[at - 1..at]
            ),
        });
    }
    RegexBuilder::new(pattern)
        .unicode(false)
        .build()
        .map_err(|err| PatternError::Regex {
            pattern: pattern.to_owned(),
            // The regex crate's message spans several lines with a caret; the last line says why.
            message: err
                .to_string()
                .lines()
                .rfind(|l| !l.trim().is_empty())
                .unwrap_or("does not parse")
                .trim()
                .trim_start_matches("error: ")
                .to_owned(),
        })
}

/// Where a `?` follows a repetition (`*`, `+`, `?`, `}`) outside a
/// bracket expression: the byte offset of that `?`.
fn lazy_quantifier(pattern: &str) -> Option<usize> {
    let bytes = pattern.as_bytes();
    let mut i = 0;
    let mut in_class = false;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' => i += 1,
            b'[' if !in_class => {
                in_class = true;
                // `[]...]` and `[^]...]`: the first `]` is a member.
                if bytes.get(i + 1) == Some(&b'^') {
                    i += 1;
                }
                if bytes.get(i + 1) == Some(&b']') {
                    i += 1;
                }
            }
            b'[' if bytes.get(i + 1) == Some(&b':') => {
                // `[:alpha:]` inside a class.
                if let Some(end) = pattern[i + 2..].find(":]") {
                    i += end + 3;
                }
            }
            b']' if in_class => in_class = false,
            b'?' if !in_class && i > 0 && matches!(bytes[i - 1], b'*' | b'+' | b'?' | b'}') => {
                let escaped = i >= 2 && bytes[i - 2] == b'\\';
                if !escaped {
                    return Some(i);
                }
            }
            _ => {}
        }
        i += 1;
    }
    None
}

pub fn check_name(name: &str) -> Result<(), PatternError> {
    let ok = !name.is_empty()
        && name
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || b == b'_' || b == b'-');
    if ok {
        Ok(())
    } else {
        Err(PatternError::Name(name.to_owned()))
    }
}

#[derive(Debug, Clone)]
pub struct Category {
    pub name: String,
    pub pattern: String,
    /// In a file whose lines have a level field, the category is the
    /// lines of this level, whatever words they hold; the pattern counts
    /// only in files without one. Set for the default errors and warnings
    /// (a pattern of one's own for them is matched as written).
    pub level: Option<Severity>,
    regex: Regex,
}

impl Category {
    pub fn new(name: &str, pattern: &str) -> Result<Category, PatternError> {
        check_name(name)?;
        Ok(Category {
            name: name.to_owned(),
            pattern: pattern.to_owned(),
            level: None,
            regex: compile(pattern)?,
        })
    }

    /// The default categories, in report order.
    pub fn defaults() -> Vec<Category> {
        DEFAULTS
            .iter()
            .map(|(name, pattern, level)| Category {
                level: *level,
                ..Category::new(name, pattern).expect("the default patterns compile")
            })
            .collect()
    }
}

/// All categories, ready to classify lines in bulk.
#[derive(Debug, Clone)]
pub struct Matcher {
    categories: Vec<Category>,
    any: Any,
    /// For files with a level field, when a category is judged by level:
    /// the search for what `any` finds and for the level words.
    by_level: Option<Any>,
}

/// The search for "any category" over a whole buffer.
#[derive(Debug, Clone)]
enum Any {
    /// Every category is a plain alternation of words (as the defaults
    /// are): a SIMD multi-literal search, with no regex engine behind it.
    Literals(aho_corasick::AhoCorasick),
    /// The alternation of all categories, in multi-line mode so `^` and
    /// `$` still mean line start and end when searching a whole buffer.
    Regex(Regex),
}

/// The words of a pattern that is only `word|word|...` (no regex syntax).
fn literals(pattern: &str) -> Option<Vec<&str>> {
    let words: Vec<&str> = pattern.split('|').collect();
    let plain = |word: &&str| {
        !word.is_empty()
            && !word.contains([
                '\\', '.', '+', '*', '?', '(', ')', '[', ']', '{', '}', '^', '$',
            ])
    };
    words.iter().all(plain).then_some(words)
}

impl Matcher {
    pub fn new(categories: Vec<Category>) -> Result<Matcher, PatternError> {
        if categories.len() > MAX_CATEGORIES {
            return Err(PatternError::TooMany);
        }
        let patterns: Vec<&str> = categories.iter().map(|c| c.pattern.as_str()).collect();
        let any = Any::new(&patterns, &[])?;
        let level_words: Vec<&str> = LEVEL_WORDS
            .iter()
            .filter(|(severity, _)| categories.iter().any(|c| c.level == Some(*severity)))
            .flat_map(|(_, words)| words.iter().copied())
            .collect();
        // In a file with a level field the level-judged categories' own
        // patterns are not searched for: the level words stand for them.
        let unlevelled: Vec<&str> = categories
            .iter()
            .filter(|c| c.level.is_none())
            .map(|c| c.pattern.as_str())
            .collect();
        let by_level = if level_words.is_empty() {
            None
        } else {
            Some(Any::new(&unlevelled, &level_words)?)
        };
        Ok(Matcher {
            categories,
            any,
            by_level,
        })
    }

    /// The categories of the README.
    pub fn defaults() -> Matcher {
        Matcher::new(Category::defaults()).expect("the defaults combine")
    }

    pub fn categories(&self) -> &[Category] {
        &self.categories
    }

    /// The categories judged by level that a line of level `level` is in.
    pub fn level_mask(&self, level: Option<&[u8]>) -> u64 {
        let Some(severity) = level.and_then(super::header::severity) else {
            return 0;
        };
        self.mask_where(|c| c.level == Some(severity))
    }

    /// The categories judged by level, whose bits [`Self::level_mask`] sets.
    pub fn by_level_mask(&self) -> u64 {
        self.mask_where(|c| c.level.is_some())
    }

    fn mask_where(&self, keep: impl Fn(&Category) -> bool) -> u64 {
        self.categories
            .iter()
            .enumerate()
            .filter(|(_, c)| keep(c))
            .fold(0, |mask, (i, _)| mask | 1 << i)
    }

    /// Calls `found(line_start, line_end, mask)` for every line of `text`
    /// (complete lines; the last may lack its newline) that matches at least
    /// one category, with bit `i` of `mask` set when category `i` matches.
    ///
    /// The combined search may stop on a line that matches nothing by itself
    /// (a match spanning a newline through `\s` or `[^x]`), so each stop is
    /// checked line by line. It never skips a matching line: a match inside
    /// a line is also a match of the whole text, and the search returns the
    /// leftmost one.
    pub fn for_each_match(&self, text: &[u8], found: impl FnMut(usize, usize, u64)) {
        self.search(&self.any, text, false, found);
    }

    /// As [`Self::for_each_match`], for a file whose lines have a level
    /// field: also calls `found` for lines holding only a level word, and
    /// leaves the level-judged categories out of `mask`. The caller reads the
    /// line's level and adds [`Self::level_mask`].
    pub fn for_each_candidate(&self, text: &[u8], found: impl FnMut(usize, usize, u64)) {
        match &self.by_level {
            Some(searcher) => self.search(searcher, text, true, found),
            None => self.search(&self.any, text, false, found),
        }
    }

    /// [`Self::for_each_candidate`] when `levels`, else [`Self::for_each_match`].
    pub fn for_each_line(&self, text: &[u8], levels: bool, found: impl FnMut(usize, usize, u64)) {
        if levels {
            self.for_each_candidate(text, found);
        } else {
            self.for_each_match(text, found);
        }
    }

    fn search(
        &self,
        searcher: &Any,
        text: &[u8],
        by_level: bool,
        mut found: impl FnMut(usize, usize, u64),
    ) {
        let skip = if by_level { self.by_level_mask() } else { 0 };
        let mut pos = 0;
        let mut on_hit = |at: usize, pos: &mut usize| -> bool {
            if at == text.len() && (at == *pos || text[at - 1] == b'\n') {
                // An empty match after the last newline is not a line.
                return false;
            }
            let start = memchr::memrchr(b'\n', &text[*pos..at]).map_or(*pos, |i| *pos + i + 1);
            let end = memchr::memchr(b'\n', &text[at..]).map_or(text.len(), |i| at + i);
            let mask = self.classify_except(&text[start..end], skip);
            if mask != 0 || by_level {
                found(start, end, mask);
            }
            *pos = end + 1;
            true
        };
        while pos < text.len() {
            match searcher.find_at(text, pos) {
                Some(at) if on_hit(at, &mut pos) => {}
                _ => break,
            }
        }
    }

    /// Which categories match one line (without its newline).
    pub fn classify(&self, line: &[u8]) -> u64 {
        self.classify_except(line, 0)
    }

    /// Which categories not in `skip` match one line.
    fn classify_except(&self, line: &[u8], skip: u64) -> u64 {
        let mut mask = 0u64;
        for (i, category) in self.categories.iter().enumerate() {
            if skip & 1 << i == 0 && category.regex.is_match(line) {
                mask |= 1 << i;
            }
        }
        mask
    }
}

impl Any {
    /// The search for any of `patterns` or of the plain `words`: literal
    /// when the patterns are all plain words too.
    fn new(patterns: &[&str], words: &[&str]) -> Result<Any, PatternError> {
        let literal_patterns: Option<Vec<Vec<&str>>> =
            patterns.iter().map(|p| literals(p)).collect();
        let literal = literal_patterns
            .filter(|w| !w.is_empty() || !words.is_empty())
            .and_then(|literal_patterns| {
                aho_corasick::AhoCorasick::builder()
                    .match_kind(aho_corasick::MatchKind::LeftmostFirst)
                    .build(literal_patterns.concat().iter().chain(words))
                    .ok()
            });
        if let Some(searcher) = literal {
            return Ok(Any::Literals(searcher));
        }
        // No category at all matches nothing; `[^\x00-\xff]` is a byte class that is empty.
        let alternatives: Vec<String> = patterns
            .iter()
            .map(|p| format!("(?:{p})"))
            .chain(words.iter().map(|w| regex::escape(w)))
            .collect();
        let alternation = if alternatives.is_empty() {
            r"[^\x00-\xff]".to_owned()
        } else {
            alternatives.join("|")
        };
        RegexBuilder::new(&alternation)
            .unicode(false)
            .multi_line(true)
            .build()
            .map(Any::Regex)
            .map_err(|err| PatternError::Regex {
                pattern: alternation.clone(),
                message: err.to_string(),
            })
    }

    /// Where the next match at or after `pos` starts.
    fn find_at(&self, text: &[u8], pos: usize) -> Option<usize> {
        match self {
            Any::Literals(searcher) => searcher
                .find(aho_corasick::Input::new(text).span(pos..text.len()))
                .map(|m| m.start()),
            Any::Regex(regex) => regex.find_at(text, pos).map(|m| m.start()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn what_grep_reads_otherwise_is_refused() {
        for pattern in ["a+?", "x*?y", "(ab){2}?", "a??"] {
            let err = compile(pattern).unwrap_err().to_string();
            assert!(err.contains("lazy"), "{pattern}: {err}");
        }
        for pattern in [
            "a?",
            r"\??",
            "[+?]",
            "[]?]x",
            "[[:digit:]]+",
            "a+ ?",
            r"a\+?",
        ] {
            assert!(compile(pattern).is_ok(), "{pattern}");
        }
        for (pattern, why) in [
            ("(a)\\1", "backreferences"),
            ("a{,3}", "decimal"),
            ("*x", "missing"),
        ] {
            let err = compile(pattern).unwrap_err().to_string();
            assert!(err.contains(why), "{pattern}: {err}");
        }
    }

    fn defaults() -> Matcher {
        Matcher::defaults()
    }

    fn lines(matcher: &Matcher, text: &[u8]) -> Vec<(String, u64)> {
        let mut out = Vec::new();
        matcher.for_each_match(text, |s, e, mask| {
            out.push((String::from_utf8_lossy(&text[s..e]).into_owned(), mask));
        });
        out
    }

    #[test]
    fn one_pass_finds_every_category_of_every_line() {
        let text = b"a ERROR b\nplain\nWARN and Unauthorized\n\xff\xfe FATAL\nlast CRITICAL";
        assert_eq!(
            lines(&defaults(), text),
            vec![
                ("a ERROR b".to_owned(), 0b1),
                ("WARN and Unauthorized".to_owned(), 0b110),
                ("\u{fffd}\u{fffd} FATAL".to_owned(), 0b1),
                ("last CRITICAL".to_owned(), 0b1),
            ]
        );
    }

    #[test]
    fn level_words_make_candidates_and_the_level_decides() {
        let matcher = defaults();
        let text = b"INFO x ERROR y\n[error] z\nWarn w\nINFO fine\nINFO Unauthorized\n";
        let mut found = Vec::new();
        matcher.for_each_candidate(text, |s, e, mask| {
            found.push((String::from_utf8_lossy(&text[s..e]).into_owned(), mask));
        });
        // Every line with a level word or a match, without the level-judged bits.
        assert_eq!(
            found,
            vec![
                ("INFO x ERROR y".to_owned(), 0),
                ("[error] z".to_owned(), 0),
                ("Warn w".to_owned(), 0),
                ("INFO Unauthorized".to_owned(), 0b100),
            ]
        );
        assert_eq!(matcher.level_mask(Some(b"error")), 0b1);
        assert_eq!(matcher.level_mask(Some(b"WARN")), 0b10);
        assert_eq!(matcher.level_mask(Some(b"INFO")), 0);
        assert_eq!(matcher.by_level_mask(), 0b11);
        // A pattern of one's own is not judged by level.
        let own = Matcher::new(vec![Category::new("errors", "ERROR").unwrap()]).unwrap();
        assert_eq!(own.by_level_mask(), 0);
    }

    #[test]
    fn anchors_and_classes_stay_within_lines() {
        let matcher = Matcher::new(vec![
            Category::new("start", "^x").unwrap(),
            Category::new("spaces", r"a\s+b").unwrap(),
            Category::new("end", "z$").unwrap(),
        ])
        .unwrap();
        let text = b"a\nb x\nx z\nq\n";
        assert_eq!(lines(&matcher, text), vec![("x z".to_owned(), 0b101)]);
    }

    #[test]
    fn patterns_that_match_empty_count_every_line_like_grep() {
        let matcher = Matcher::new(vec![Category::new("all", "q*").unwrap()]).unwrap();
        assert_eq!(lines(&matcher, b"a\n\nb\n").len(), 3);
        assert_eq!(lines(&matcher, b"a\n\nb").len(), 3);
        let end = Matcher::new(vec![Category::new("end", "b$").unwrap()]).unwrap();
        assert_eq!(lines(&end, b"a\nab").len(), 1);
    }

    #[test]
    fn plain_alternations_use_the_literal_search() {
        assert!(matches!(defaults().any, Any::Literals(_)));
        assert_eq!(literals("a b|c"), Some(vec!["a b", "c"]));
        assert_eq!(literals("a|"), None);
        assert_eq!(literals("a.b"), None);
        let mixed = Matcher::new(vec![
            Category::new("a", "ERROR").unwrap(),
            Category::new("b", "^x").unwrap(),
        ])
        .unwrap();
        assert!(matches!(mixed.any, Any::Regex(_)));
    }

    #[test]
    fn bad_patterns_and_names_are_refused() {
        let err = Category::new("x", "(unclosed").unwrap_err().to_string();
        assert!(
            err.starts_with("invalid regular expression \"(unclosed\": "),
            "{err}"
        );
        assert!(Category::new("bad name", "x").is_err());
    }
}
