//! Message templates: lines are grouped by masking their variable parts
//! (numbers, hex ids, IPs, UUIDs, paths, quoted values) and then clustering
//! the masked token sequences with a Drain-style fixed-depth tree (He et
//! al., "Drain: An Online Log Parsing Approach with Fixed Depth Tree", 2017):
//! the tree is keyed by token count and first token; within a leaf a line
//! joins the most similar template if at least half its tokens agree, and
//! the tokens that differ become `<*>`.
//!
//! Most lines repeat a masked form seen before, so a cache from masked line
//! to template skips the tree for them.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// Past this many templates, new ones are pooled into one, keeping memory bounded.
const MAX_TEMPLATES: usize = 5_000;
/// Entries in the masked-line cache before it is cleared.
const MAX_CACHED: usize = 50_000;
/// Only the start of a very long line is templated.
const MAX_LINE: usize = 2048;
const MAX_TOKENS: usize = 64;
/// Examples are kept this long at most.
pub const MAX_EXAMPLE: usize = 512;
/// A line joins a template when at least this share of its tokens agree.
const SIMILARITY: f64 = 0.5;

const WILDCARD: &[u8] = b"<*>";
const OTHER: &[u8] = b"<other messages: too many templates>";

/// A fast non-cryptographic hasher for the caches (keys are log text, not attacker-chosen secrets).
#[derive(Default, Clone, Copy)]
pub struct FastHasher(u64);

impl Hasher for FastHasher {
    fn write(&mut self, bytes: &[u8]) {
        let mut hash = self.0;
        let mut chunks = bytes.chunks_exact(8);
        for chunk in &mut chunks {
            let word = u64::from_le_bytes(chunk.try_into().expect("8 bytes"));
            hash = (hash.rotate_left(5) ^ word).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
        }
        for &b in chunks.remainder() {
            hash = (hash.rotate_left(5) ^ u64::from(b)).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
        }
        self.0 = hash;
    }

    fn finish(&self) -> u64 {
        self.0
    }
}

pub(crate) type FastMap<K, V> = HashMap<K, V, BuildHasherDefault<FastHasher>>;

/// One template and what it has seen.
#[derive(Debug, Clone)]
pub struct Template {
    tokens: Vec<Vec<u8>>,
    /// Lines per category (index as in the matcher).
    pub counts: Vec<u64>,
    pub first_seen: Option<i64>,
    pub last_seen: Option<i64>,
    pub example: Vec<u8>,
}

impl Template {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.tokens.join(&b' ')).into_owned()
    }

    fn see(&mut self, mask: u64, time: Option<i64>) {
        for (i, count) in self.counts.iter_mut().enumerate() {
            if mask & (1 << i) != 0 {
                *count += 1;
            }
        }
        if let Some(time) = time {
            self.first_seen = Some(self.first_seen.map_or(time, |t| t.min(time)));
            self.last_seen = Some(self.last_seen.map_or(time, |t| t.max(time)));
        }
    }
}

/// The templates of the lines seen so far.
#[derive(Debug, Clone)]
pub struct Templates {
    categories: usize,
    templates: Vec<Template>,
    /// (token count, first token) -> templates in that leaf.
    tree: FastMap<(usize, Vec<u8>), Vec<u32>>,
    cache: FastMap<Box<[u8]>, u32>,
    /// Lines that differ only in their digits share a template: a hash of
    /// the line with its digits blanked finds it without masking at all.
    raw_cache: FastMap<u64, u32>,
    overflow: Option<u32>,
    masked: Vec<u8>,
}

impl Templates {
    pub fn new(categories: usize) -> Templates {
        Templates {
            categories,
            templates: Vec::new(),
            tree: FastMap::default(),
            cache: FastMap::default(),
            raw_cache: FastMap::default(),
            overflow: None,
            masked: Vec::with_capacity(256),
        }
    }

    pub fn templates(&self) -> &[Template] {
        &self.templates
    }

    /// Adds one line (without its timestamp) that matched the categories in `mask`.
    pub fn add(&mut self, text: &[u8], example: &[u8], mask: u64, time: Option<i64>) {
        let text = &text[..text.len().min(MAX_LINE)];
        let raw = digitless_hash(text);
        if let Some(&id) = self.raw_cache.get(&raw) {
            self.templates[id as usize].see(mask, time);
            return;
        }
        let mut masked = std::mem::take(&mut self.masked);
        masked.clear();
        mask_variables(text, &mut masked);
        let id = if let Some(&id) = self.cache.get(masked.as_slice()) {
            id
        } else {
            let tokens: Vec<&[u8]> = masked.split(|&b| b == b' ').take(MAX_TOKENS).collect();
            let id = self.place(&tokens, example);
            if self.cache.len() >= MAX_CACHED {
                self.cache.clear();
            }
            self.cache.insert(masked.as_slice().into(), id);
            id
        };
        self.masked = masked;
        if self.raw_cache.len() >= MAX_CACHED {
            self.raw_cache.clear();
        }
        self.raw_cache.insert(raw, id);
        self.templates[id as usize].see(mask, time);
    }

    /// Finds or makes the template for a masked token sequence.
    fn place(&mut self, tokens: &[&[u8]], example: &[u8]) -> u32 {
        let first = tokens.first().copied().unwrap_or_default();
        let key_token = if first.contains(&b'<') {
            WILDCARD
        } else {
            first
        };
        let key = (tokens.len(), key_token.to_vec());
        let leaf = self.tree.get(&key).map(Vec::as_slice).unwrap_or_default();
        let mut best: Option<(u32, f64)> = None;
        for &id in leaf {
            let template = &self.templates[id as usize];
            // As in Drain, a `<*>` does not count as agreeing: otherwise a
            // template that has lost half its words to `<*>` absorbs anything.
            let agree = template
                .tokens
                .iter()
                .zip(tokens)
                .filter(|(t, l)| t.as_slice() == **l && t.as_slice() != WILDCARD)
                .count();
            let similarity = agree as f64 / tokens.len().max(1) as f64;
            if similarity >= SIMILARITY && best.is_none_or(|(_, s)| similarity > s) {
                best = Some((id, similarity));
            }
        }
        if let Some((id, _)) = best {
            let template = &mut self.templates[id as usize];
            for (t, l) in template.tokens.iter_mut().zip(tokens) {
                if t.as_slice() != *l && t.as_slice() != WILDCARD {
                    *t = WILDCARD.to_vec();
                }
            }
            return id;
        }
        if self.templates.len() >= MAX_TEMPLATES {
            return self.overflow(example);
        }
        let id = self.templates.len() as u32;
        self.templates.push(Template {
            tokens: tokens.iter().map(|t| t.to_vec()).collect(),
            counts: vec![0; self.categories],
            first_seen: None,
            last_seen: None,
            example: example[..example.len().min(MAX_EXAMPLE)].to_vec(),
        });
        self.tree.entry(key).or_default().push(id);
        id
    }

    fn overflow(&mut self, example: &[u8]) -> u32 {
        if let Some(id) = self.overflow {
            return id;
        }
        let id = self.templates.len() as u32;
        self.templates.push(Template {
            tokens: vec![OTHER.to_vec()],
            counts: vec![0; self.categories],
            first_seen: None,
            last_seen: None,
            example: example[..example.len().min(MAX_EXAMPLE)].to_vec(),
        });
        self.overflow = Some(id);
        id
    }

    /// Folds in the templates another scanner found (another part of the input).
    pub fn merge(&mut self, other: Templates) {
        for template in other.templates {
            let id = if template.tokens == [OTHER.to_vec()] {
                self.overflow(&template.example)
            } else {
                let tokens: Vec<&[u8]> = template.tokens.iter().map(Vec::as_slice).collect();
                self.place(&tokens, &template.example)
            };
            let target = &mut self.templates[id as usize];
            for (mine, theirs) in target.counts.iter_mut().zip(&template.counts) {
                *mine += theirs;
            }
            for time in [template.first_seen, template.last_seen]
                .into_iter()
                .flatten()
            {
                target.see(0, Some(time));
            }
        }
    }
}

/// A hash of `text` with every ASCII digit replaced by NUL, eight bytes at
/// a time (SWAR: a byte is a digit when its high nibble is 3 and its low
/// nibble plus 6 does not carry into bit 4).
fn digitless_hash(text: &[u8]) -> u64 {
    const LOW: u64 = 0x0f0f_0f0f_0f0f_0f0f;
    const SEVEN: u64 = 0x7f7f_7f7f_7f7f_7f7f;
    let blank = |word: u64| {
        let x = word ^ 0x3030_3030_3030_3030;
        let not_digit = (x & !LOW) | (((x & LOW) + 0x0606_0606_0606_0606) & 0x1010_1010_1010_1010);
        // 0x80 in each byte that is not a digit, then 0xff.
        let flags = (((not_digit & SEVEN) + SEVEN) | not_digit) & !SEVEN;
        word & ((flags >> 7) * 0xff)
    };
    let mut hasher = FastHasher(text.len() as u64);
    let mut chunks = text.chunks_exact(8);
    for chunk in &mut chunks {
        let word = u64::from_le_bytes(chunk.try_into().expect("8 bytes"));
        hasher.0 = (hasher.0.rotate_left(5) ^ blank(word)).wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    }
    let mut last = [0u8; 8];
    last[..chunks.remainder().len()].copy_from_slice(chunks.remainder());
    hasher.0 = (hasher.0.rotate_left(5) ^ blank(u64::from_le_bytes(last)))
        .wrapping_mul(0x51_7c_c1_b7_27_22_0a_95);
    hasher.0
}

/// Writes `line` with its variable parts masked, tokens separated by one space.
pub fn mask_variables(line: &[u8], out: &mut Vec<u8>) {
    let mut i = 0;
    while i < line.len() {
        while i < line.len() && line[i].is_ascii_whitespace() {
            i += 1;
        }
        if i >= line.len() {
            break;
        }
        if !out.is_empty() {
            out.push(b' ');
        }
        let mut end = i;
        while end < line.len() && !line[end].is_ascii_whitespace() {
            end += 1;
        }
        // A quoted value may hold spaces: it ends at its closing quote.
        if matches!(line[i], b'"' | b'\'')
            && let Some(close) = memchr::memchr(line[i], &line[i + 1..])
        {
            out.extend_from_slice(b"<STR>");
            i += close + 2;
            while i < line.len() && !line[i].is_ascii_whitespace() {
                out.push(line[i]);
                i += 1;
            }
            continue;
        }
        mask_word(&line[i..end], out);
        i = end;
    }
}

fn mask_word(word: &[u8], out: &mut Vec<u8>) {
    // Most words have nothing variable in them: no digit, path or quote.
    if !word
        .iter()
        .any(|b| b.is_ascii_digit() || matches!(b, b'/' | b'"' | b'\''))
    {
        out.extend_from_slice(word);
        return;
    }
    let lead = word
        .iter()
        .take_while(|b| matches!(b, b'(' | b'[' | b'{' | b'<' | b'"' | b'\''))
        .count();
    let trail = word[lead..]
        .iter()
        .rev()
        .take_while(|b| {
            matches!(
                b,
                b')' | b']' | b'}' | b'>' | b',' | b';' | b':' | b'.' | b'!' | b'?' | b'"' | b'\''
            )
        })
        .count();
    let core = &word[lead..word.len() - trail];
    out.extend_from_slice(&word[..lead]);
    match memchr::memchr(b'=', core) {
        Some(eq) if eq > 0 => {
            out.extend_from_slice(&core[..=eq]);
            mask_value(&core[eq + 1..], out);
        }
        _ => mask_value(core, out),
    }
    out.extend_from_slice(&word[word.len() - trail..]);
}

fn mask_value(value: &[u8], out: &mut Vec<u8>) {
    if value.is_empty() {
        return;
    }
    let tag: Option<&[u8]> = if matches!(value[0], b'"' | b'\'') {
        Some(b"<STR>")
    } else if is_uuid(value) {
        Some(b"<UUID>")
    } else if is_ip(value) {
        Some(b"<IP>")
    } else if is_path(value) {
        Some(b"<PATH>")
    } else if is_hex(value) {
        Some(b"<HEX>")
    } else if is_number(value) {
        Some(b"<NUM>")
    } else {
        None
    };
    if let Some(tag) = tag {
        out.extend_from_slice(tag);
        return;
    }
    // Digits inside a word (`30ms`, `attempt#3`) vary; digits after a
    // letter (`v1`, `utf8`) are usually part of a name.
    let mut i = 0;
    while i < value.len() {
        let b = value[i];
        if b.is_ascii_digit() && (i == 0 || !value[i - 1].is_ascii_alphabetic()) {
            while i < value.len()
                && (value[i].is_ascii_digit()
                    || (value[i] == b'.' && value.get(i + 1).is_some_and(u8::is_ascii_digit)))
            {
                i += 1;
            }
            out.extend_from_slice(b"<NUM>");
        } else {
            out.push(b);
            i += 1;
        }
    }
}

fn is_uuid(v: &[u8]) -> bool {
    v.len() == 36
        && v.iter().enumerate().all(|(i, b)| match i {
            8 | 13 | 18 | 23 => *b == b'-',
            _ => b.is_ascii_hexdigit(),
        })
}

fn is_ip(v: &[u8]) -> bool {
    // IPv4 with an optional port.
    let host = match v.iter().rposition(|&b| b == b':') {
        Some(colon)
            if v.iter().filter(|&&b| b == b':').count() == 1
                && v[colon + 1..].iter().all(u8::is_ascii_digit) =>
        {
            &v[..colon]
        }
        _ => v,
    };
    let mut parts = 0;
    let ipv4 = host.split(|&b| b == b'.').all(|p| {
        parts += 1;
        (1..=3).contains(&p.len()) && p.iter().all(u8::is_ascii_digit)
    });
    if ipv4 && parts == 4 {
        return true;
    }
    // IPv6: hex groups and at least two colons.
    v.iter().filter(|&&b| b == b':').count() >= 2
        && v.iter()
            .all(|b| b.is_ascii_hexdigit() || *b == b':' || *b == b'.')
        && v.iter().any(u8::is_ascii_hexdigit)
}

fn is_path(v: &[u8]) -> bool {
    let rooted = v.starts_with(b"/")
        || v.starts_with(b"./")
        || v.starts_with(b"~/")
        || v.windows(3).any(|w| w == b"://");
    rooted && v.len() > 1 && (v[1..].contains(&b'/') || v.iter().any(u8::is_ascii_digit))
}

fn is_hex(v: &[u8]) -> bool {
    if let Some(rest) = v.strip_prefix(b"0x") {
        return !rest.is_empty() && rest.iter().all(u8::is_ascii_hexdigit);
    }
    v.len() >= 8
        && v.iter().all(u8::is_ascii_hexdigit)
        && v.iter().any(u8::is_ascii_digit)
        && v.iter().any(u8::is_ascii_alphabetic)
}

fn is_number(v: &[u8]) -> bool {
    let digits = v.strip_prefix(b"-").unwrap_or(v);
    digits.first().is_some_and(u8::is_ascii_digit)
        && digits
            .iter()
            .all(|b| b.is_ascii_digit() || matches!(b, b'.' | b',' | b':' | b'-' | b'%'))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn masked(line: &str) -> String {
        let mut out = Vec::new();
        mask_variables(line.as_bytes(), &mut out);
        String::from_utf8(out).unwrap()
    }

    #[test]
    fn masks_the_variable_parts() {
        assert_eq!(
            masked("failed to connect to redis at 127.0.0.1:6379: Connection refused (attempt 3)"),
            "failed to connect to redis at <IP>: Connection refused (attempt <NUM>)"
        );
        assert_eq!(
            masked(
                "request id=3f2a9c1e-1b2c-4d5e-8f90-0123456789ab path=/api/v1/agents/42 took 30ms"
            ),
            "request id=<UUID> path=<PATH> took <NUM>ms"
        );
        assert_eq!(
            masked("unhandled exception: KeyError: 'fitness score' token deadbeef42 v1"),
            "unhandled exception: KeyError: <STR> token <HEX> v1"
        );
        assert_eq!(masked("  spaced   out  "), "spaced out");
    }

    #[test]
    fn the_raw_hash_ignores_digits_only() {
        assert_eq!(
            digitless_hash(b"took 12 ms at 10.0.0.1"),
            digitless_hash(b"took 98 ms at 99.1.2.3")
        );
        assert_ne!(digitless_hash(b"took 12 ms"), digitless_hash(b"took 12 s!"));
        assert_ne!(
            digitless_hash(b"took 12 ms"),
            digitless_hash(b"took 123 ms")
        );
        assert_ne!(digitless_hash(b"a/b"), digitless_hash(b"a:b"));
        for b in 0u8..=255 {
            let word = [b; 8];
            let blanked = digitless_hash(&word) == digitless_hash(&[0; 8]);
            assert_eq!(blanked, b.is_ascii_digit() || b == 0, "byte {b}");
        }
    }

    #[test]
    fn similar_lines_share_a_template() {
        let mut templates = Templates::new(1);
        for user in ["alice", "bob", "carol"] {
            let line = format!("ERROR Authentication failed for user {user} from 203.0.113.9");
            templates.add(line.as_bytes(), line.as_bytes(), 1, Some(5));
        }
        templates.add(b"ERROR disk full", b"ERROR disk full", 1, Some(7));
        let texts: Vec<(String, u64)> = templates
            .templates()
            .iter()
            .map(|t| (t.text(), t.counts[0]))
            .collect();
        assert_eq!(
            texts,
            vec![
                (
                    "ERROR Authentication failed for user <*> from <IP>".to_owned(),
                    3
                ),
                ("ERROR disk full".to_owned(), 1)
            ]
        );
        assert_eq!(
            templates.templates()[0].example,
            b"ERROR Authentication failed for user alice from 203.0.113.9"
        );
    }

    #[test]
    fn merging_adds_counts_and_widens_times() {
        let mut a = Templates::new(2);
        a.add(b"ERROR x 1", b"ERROR x 1", 0b01, Some(10));
        let mut b = Templates::new(2);
        b.add(b"ERROR x 2", b"ERROR x 2", 0b11, Some(20));
        b.add(b"WARN y", b"WARN y", 0b10, None);
        a.merge(b);
        let t = &a.templates()[0];
        assert_eq!(
            (t.counts.clone(), t.first_seen, t.last_seen),
            (vec![2, 1], Some(10), Some(20))
        );
        assert_eq!(a.templates().len(), 2);
    }
}
