//! Message templates: lines are grouped by masking their variable parts
//! (numbers, hex ids, IPs, host:port, UUIDs, paths, times, dates, the
//! values of key=value) and then clustering
//! the masked token sequences with a Drain-style fixed-depth tree (He et
//! al., "Drain: An Online Log Parsing Approach with Fixed Depth Tree", 2017):
//! the tree is keyed by token count and first token; within a leaf a line
//! joins the most similar template if at least half its tokens agree, and
//! the tokens that differ become `<*>`.
//!
//! Drain alone merges messages that differ in one word ("VM Started" and
//! "VM Paused", "Failed password" and "Failed none"): half the tokens agree.
//! So a position where only a few plain words (no digits, nothing masked)
//! have been seen keeps them apart, each word its own template; past
//! [`FEW_WORDS`] different words, or at the first value that is not a plain
//! word, the position is a variable and those templates are merged back.
//!
//! Most lines repeat a masked form seen before, so a cache from masked line
//! to template skips the tree for them.

use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

use super::header::Header;

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

/// A position with at most this many different plain words tells templates apart.
const FEW_WORDS: usize = 3;

const WILDCARD: &[u8] = b"<*>";
/// Ends a template or example that was cut short.
const CUT: &[u8] = b"[cut]";
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
    /// The level and component of the header of its first line.
    pub level: Option<Vec<u8>>,
    pub component: Option<Vec<u8>>,
}

impl Template {
    pub fn text(&self) -> String {
        String::from_utf8_lossy(&self.tokens.join(&b' ')).into_owned()
    }

    /// Adds the lines of `other`, which holds the same kind of message.
    fn fold(&mut self, other: &Template) {
        for (mine, theirs) in self.counts.iter_mut().zip(&other.counts) {
            *mine += theirs;
        }
        for time in [other.first_seen, other.last_seen].into_iter().flatten() {
            self.see(0, Some(time));
        }
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
    /// Where each template's lines went when it was merged into another
    /// (itself when it was not).
    merged_into: Vec<u32>,
    clusters: Vec<Cluster>,
    /// (token count, first token) -> clusters in that leaf.
    tree: FastMap<(usize, Vec<u8>), Vec<u32>>,
    cache: FastMap<Box<[u8]>, u32>,
    /// Lines that differ only in their digits share a template: a hash of
    /// the line with its digits blanked finds it without masking at all.
    raw_cache: FastMap<u64, u32>,
    overflow: Option<u32>,
    masked: Vec<u8>,
}

/// A Drain template: the token sequence its lines share, `<*>` where they
/// differ, and the templates it is shown as.
#[derive(Debug, Clone)]
struct Cluster {
    tokens: Vec<Vec<u8>>,
    words: Vec<Words>,
    /// The templates of this cluster, by the tokens they show.
    variants: FastMap<Vec<Vec<u8>>, u32>,
}

/// What has been seen at one position of a cluster.
#[derive(Debug, Clone)]
enum Words {
    /// One value, the cluster's token.
    Constant,
    /// A few plain words: each its own template.
    Few(Vec<Vec<u8>>),
    /// Anything: `<*>` in every template.
    Variable,
}

impl Cluster {
    /// Takes in a line's tokens; returns the positions that have just become variables.
    fn absorb(&mut self, tokens: &[&[u8]]) -> Vec<usize> {
        let mut variables = Vec::new();
        for (p, (token, words)) in self.tokens.iter_mut().zip(&mut self.words).enumerate() {
            let value = tokens[p];
            match words {
                Words::Constant if token.as_slice() == value => {}
                Words::Constant => {
                    *words = if is_plain_word(token) && is_plain_word(value) {
                        Words::Few(vec![std::mem::take(token), value.to_vec()])
                    } else {
                        variables.push(p);
                        Words::Variable
                    };
                    *token = WILDCARD.to_vec();
                }
                Words::Few(seen) => {
                    if !seen.iter().any(|w| w.as_slice() == value) {
                        if is_plain_word(value) && seen.len() < FEW_WORDS {
                            seen.push(value.to_vec());
                        } else {
                            variables.push(p);
                            *words = Words::Variable;
                        }
                    }
                }
                Words::Variable => {}
            }
        }
        variables
    }

    /// The tokens a line of this cluster is shown with.
    fn shown(&self, tokens: &[&[u8]]) -> Vec<Vec<u8>> {
        self.tokens
            .iter()
            .zip(&self.words)
            .zip(tokens)
            .map(|((token, words), value)| match words {
                Words::Few(_) => value.to_vec(),
                _ => token.clone(),
            })
            .collect()
    }
}

/// A word that names something rather than varies: no digit, nothing masked.
fn is_plain_word(token: &[u8]) -> bool {
    !token.is_empty() && !token.contains(&b'<') && !token.iter().any(u8::is_ascii_digit)
}

impl Templates {
    pub fn new(categories: usize) -> Templates {
        Templates {
            categories,
            templates: Vec::new(),
            merged_into: Vec::new(),
            clusters: Vec::new(),
            tree: FastMap::default(),
            cache: FastMap::default(),
            raw_cache: FastMap::default(),
            overflow: None,
            masked: Vec::with_capacity(256),
        }
    }

    /// Every template made, by index; those merged into another are empty.
    pub fn templates(&self) -> &[Template] {
        &self.templates
    }

    /// The templates that hold lines (none merged into another).
    pub fn live(&self) -> impl Iterator<Item = &Template> {
        self.templates
            .iter()
            .zip(0u32..)
            .filter(|(_, id)| self.merged_into[*id as usize] == *id)
            .map(|(t, _)| t)
    }

    /// Adds one line's message (`text`, the line without its header) that
    /// matched the categories in `mask`. Returns the index of the template
    /// it joined.
    pub fn add(
        &mut self,
        text: &[u8],
        header: Header,
        example: &[u8],
        mask: u64,
        time: Option<i64>,
    ) -> u32 {
        let cut = text.len() > MAX_LINE;
        let text = &text[..text.len().min(MAX_LINE)];
        let raw = digitless_hash(text);
        if let Some(&id) = self.raw_cache.get(&raw) {
            let id = self.resolve(id);
            self.templates[id as usize].see(mask, time);
            return id;
        }
        let mut masked = std::mem::take(&mut self.masked);
        masked.clear();
        mask_variables(text, &mut masked);
        let id = if let Some(&id) = self.cache.get(masked.as_slice()) {
            self.resolve(id)
        } else {
            let mut tokens: Vec<&[u8]> =
                masked.split(|&b| b == b' ').take(MAX_TOKENS + 1).collect();
            if tokens.len() > MAX_TOKENS || cut {
                tokens.truncate(MAX_TOKENS);
                tokens.push(CUT);
            }
            let id = self.place(&tokens, example);
            let template = &mut self.templates[id as usize];
            if template.level.is_none() && template.component.is_none() {
                template.level = header.level.map(<[u8]>::to_vec);
                template.component = header.component.map(<[u8]>::to_vec);
            }
            if self.cache.len() >= MAX_CACHED {
                self.cache.clear();
            }
            self.cache.insert(masked.as_slice().into(), id);
            id
        };
        // Lines that differ from this one only in their digits mask the
        // same way only when every digit of it was masked: `v1` is kept.
        if !masked.iter().any(u8::is_ascii_digit) {
            if self.raw_cache.len() >= MAX_CACHED {
                self.raw_cache.clear();
            }
            self.raw_cache.insert(raw, id);
        }
        self.masked = masked;
        self.templates[id as usize].see(mask, time);
        id
    }

    /// The template that holds what was given to `id`.
    pub fn resolve(&self, mut id: u32) -> u32 {
        while self.merged_into[id as usize] != id {
            id = self.merged_into[id as usize];
        }
        id
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
            let cluster = &self.clusters[id as usize];
            // As in Drain, a `<*>` does not count as agreeing: otherwise a
            // template that has lost half its words to `<*>` absorbs anything.
            let agree = cluster
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
        let cluster = if let Some((id, _)) = best {
            let variables = self.clusters[id as usize].absorb(tokens);
            if !variables.is_empty() {
                self.make_variable(id, &variables);
            }
            id
        } else {
            if self.templates.len() >= MAX_TEMPLATES {
                return self.overflow(example);
            }
            let id = self.clusters.len() as u32;
            self.clusters.push(Cluster {
                tokens: tokens.iter().map(|t| t.to_vec()).collect(),
                words: vec![Words::Constant; tokens.len()],
                variants: FastMap::default(),
            });
            self.tree.entry(key).or_default().push(id);
            id
        };
        let shown = self.clusters[cluster as usize].shown(tokens);
        if let Some(&id) = self.clusters[cluster as usize].variants.get(&shown) {
            return id;
        }
        if self.templates.len() >= MAX_TEMPLATES {
            return self.overflow(example);
        }
        let id = self.new_template(shown.clone(), example);
        self.clusters[cluster as usize].variants.insert(shown, id);
        id
    }

    fn new_template(&mut self, tokens: Vec<Vec<u8>>, example: &[u8]) -> u32 {
        let id = self.templates.len() as u32;
        self.templates.push(Template {
            tokens,
            counts: vec![0; self.categories],
            first_seen: None,
            last_seen: None,
            example: shortened(example),
            level: None,
            component: None,
        });
        self.merged_into.push(id);
        id
    }

    /// The positions `variables` of a cluster no longer tell its templates
    /// apart: templates that now look the same become one.
    fn make_variable(&mut self, cluster: u32, variables: &[usize]) {
        let variants = std::mem::take(&mut self.clusters[cluster as usize].variants);
        let mut kept: FastMap<Vec<Vec<u8>>, u32> = FastMap::default();
        let mut ids: Vec<(Vec<Vec<u8>>, u32)> = variants.into_iter().collect();
        // The oldest template keeps its example and its place in the list.
        ids.sort_by_key(|(_, id)| *id);
        for (mut shown, id) in ids {
            for &p in variables {
                shown[p] = WILDCARD.to_vec();
            }
            if let Some(&into) = kept.get(&shown) {
                // Rare (a position just became a variable): a clone costs nothing here.
                let merged = self.templates[id as usize].clone();
                self.templates[id as usize].counts = vec![0; self.categories];
                self.templates[into as usize].fold(&merged);
                self.merged_into[id as usize] = into;
            } else {
                self.templates[id as usize].tokens.clone_from(&shown);
                kept.insert(shown, id);
            }
        }
        self.clusters[cluster as usize].variants = kept;
    }

    fn overflow(&mut self, example: &[u8]) -> u32 {
        if let Some(id) = self.overflow {
            return id;
        }
        let id = self.new_template(vec![OTHER.to_vec()], example);
        self.overflow = Some(id);
        id
    }

    /// Folds in the templates another scanner found (another part of the input).
    pub fn merge(&mut self, other: Templates) {
        for (index, template) in other.templates.into_iter().enumerate() {
            if other.merged_into[index] as usize != index {
                continue;
            }
            let id = if template.tokens == [OTHER.to_vec()] {
                self.overflow(&template.example)
            } else {
                let tokens: Vec<&[u8]> = template.tokens.iter().map(Vec::as_slice).collect();
                self.place(&tokens, &template.example)
            };
            let target = &mut self.templates[id as usize];
            target.fold(&template);
            if target.level.is_none() && target.component.is_none() {
                target.level = template.level;
                target.component = template.component;
            }
        }
    }
}

/// An example line as kept: whole, or its start and a mark that it was cut.
fn shortened(example: &[u8]) -> Vec<u8> {
    let example = example.strip_suffix(b"\n").unwrap_or(example);
    if example.len() <= MAX_EXAMPLE {
        return example.to_vec();
    }
    // Cut on a character boundary, where the text is UTF-8.
    let mut end = MAX_EXAMPLE;
    while end > 0 && (example[end] & 0xc0) == 0x80 {
        end -= 1;
    }
    let mut kept = example[..end].to_vec();
    kept.extend_from_slice(b" ");
    kept.extend_from_slice(CUT);
    kept
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
        mask_word(&line[i..end], out);
        i = end;
    }
}

fn mask_word(word: &[u8], out: &mut Vec<u8>) {
    // A date written inside a message (`at Fri Jun 17 07:07:00 2005`)
    // varies like a number does.
    if is_date_name(word) {
        out.extend_from_slice(b"<DATE>");
        return;
    }
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
    } else if is_time_of_day(value) {
        Some(b"<TIME>")
    } else if is_uuid(value) {
        Some(b"<UUID>")
    } else if is_ip(value) {
        Some(b"<IP>")
    } else if is_host_port(value) {
        Some(b"<HOST>")
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

/// A month or weekday name, as dates are written in English.
fn is_date_name(word: &[u8]) -> bool {
    const NAMES: [&[u8]; 19] = [
        b"Jan", b"Feb", b"Mar", b"Apr", b"May", b"Jun", b"Jul", b"Aug", b"Sep", b"Oct", b"Nov",
        b"Dec", b"Mon", b"Tue", b"Wed", b"Thu", b"Fri", b"Sat", b"Sun",
    ];
    let word = word.strip_suffix(b",").unwrap_or(word);
    NAMES.contains(&word)
}

/// `07:07:00`, `16:49:06.123`: a time of day, never taken for an address.
fn is_time_of_day(v: &[u8]) -> bool {
    let clock = v.split(|&b| b == b'.').next().unwrap_or_default();
    clock.len() == 8
        && clock.iter().enumerate().all(|(i, b)| {
            if i % 3 == 2 {
                *b == b':'
            } else {
                b.is_ascii_digit()
            }
        })
        && v[clock.len()..]
            .iter()
            .all(|b| b.is_ascii_digit() || *b == b'.')
}

/// `name.example.com:443`: a host name with a port.
fn is_host_port(v: &[u8]) -> bool {
    let Some(colon) = memchr::memrchr(b':', v) else {
        return false;
    };
    let (host, port) = (&v[..colon], &v[colon + 1..]);
    (1..=5).contains(&port.len())
        && port.iter().all(u8::is_ascii_digit)
        && host.contains(&b'.')
        && host.first().is_some_and(u8::is_ascii_alphanumeric)
        && host
            .iter()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'.' | b'-' | b'_'))
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
            "unhandled exception: KeyError: 'fitness score' token <HEX> v1"
        );
        assert_eq!(masked("  spaced   out  "), "spaced out");
        // A quoted request keeps its method, which tells events apart.
        assert_eq!(
            masked(r#"10.11.10.1 "GET /v2/servers/detail HTTP/1.1" status: 200"#),
            r#"<IP> "GET <PATH> HTTP/<NUM>" status: <NUM>"#
        );
        assert_eq!(
            masked("connection from 24.54.76.216 at Fri Jun 17 07:07:00 2005"),
            "connection from <IP> at <DATE> <DATE> <NUM> <TIME> <NUM>"
        );
        assert_eq!(masked("via proxy.example.com:5070"), "via <HOST>");
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
        for user in ["alice", "bob", "carol", "dave"] {
            let line = format!("ERROR Authentication failed for user {user} from 203.0.113.9");
            templates.add(
                line.as_bytes(),
                Header::default(),
                line.as_bytes(),
                1,
                Some(5),
            );
        }
        templates.add(
            b"ERROR disk full",
            Header::default(),
            b"ERROR disk full",
            1,
            Some(7),
        );
        let texts: Vec<(String, u64)> = templates.live().map(|t| (t.text(), t.counts[0])).collect();
        assert_eq!(
            texts,
            vec![
                (
                    "ERROR Authentication failed for user <*> from <IP>".to_owned(),
                    4
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
    fn a_few_words_tell_templates_apart_until_there_are_many() {
        let mut templates = Templates::new(1);
        let mut ids = Vec::new();
        for (i, state) in ["Started", "Paused", "Started", "Resumed"]
            .iter()
            .enumerate()
        {
            let line = format!("[instance: 42] VM {state} (Lifecycle Event)");
            ids.push(templates.add(
                line.as_bytes(),
                Header::default(),
                line.as_bytes(),
                1,
                Some(i as i64),
            ));
        }
        let shown = |t: &Templates| {
            let mut texts: Vec<(String, u64)> = t
                .templates()
                .iter()
                .filter(|t| t.counts[0] > 0)
                .map(|t| (t.text(), t.counts[0]))
                .collect();
            texts.sort();
            texts
        };
        assert_eq!(
            shown(&templates),
            vec![
                (
                    "[instance: <NUM>] VM Paused (Lifecycle Event)".to_owned(),
                    1
                ),
                (
                    "[instance: <NUM>] VM Resumed (Lifecycle Event)".to_owned(),
                    1
                ),
                (
                    "[instance: <NUM>] VM Started (Lifecycle Event)".to_owned(),
                    2
                ),
            ]
        );
        assert_eq!(ids[0], ids[2]);
        // A fourth word: the position is a variable, the templates one.
        templates.add(
            b"[instance: 7] VM Stopped (Lifecycle Event)",
            Header::default(),
            b"x",
            1,
            Some(9),
        );
        assert_eq!(
            shown(&templates),
            vec![("[instance: <NUM>] VM <*> (Lifecycle Event)".to_owned(), 5)]
        );
        let merged = templates.resolve(ids[1]);
        assert_eq!(merged, templates.resolve(ids[0]));
        let t = &templates.templates()[merged as usize];
        assert_eq!((t.first_seen, t.last_seen), (Some(0), Some(9)));
        assert!(String::from_utf8_lossy(&t.example).contains("VM Started"));
    }

    #[test]
    fn a_template_shows_only_what_all_its_lines_have() {
        let mut templates = Templates::new(1);
        let a = templates.add(
            b"gige7 temperature normal",
            Header::default(),
            b"a",
            1,
            None,
        );
        let b = templates.add(
            b"gige5 temperature normal",
            Header::default(),
            b"b",
            1,
            None,
        );
        let texts: Vec<String> = templates.templates().iter().map(Template::text).collect();
        assert_ne!(a, b, "{texts:?}");
    }

    #[test]
    fn what_is_cut_says_so() {
        let mut templates = Templates::new(1);
        let long: Vec<u8> = (0..100)
            .flat_map(|i| format!("word{i} ").into_bytes())
            .collect();
        let id = templates.add(&long, Header::default(), &long, 1, None);
        let t = &templates.templates()[id as usize];
        assert!(t.text().ends_with(" [cut]"), "{}", t.text());
        assert!(t.example.ends_with(b" [cut]"));
        assert!(t.example.len() < long.len());
    }

    #[test]
    fn merging_adds_counts_and_widens_times() {
        let mut a = Templates::new(2);
        a.add(
            b"ERROR x 1",
            Header::default(),
            b"ERROR x 1",
            0b01,
            Some(10),
        );
        let mut b = Templates::new(2);
        b.add(
            b"ERROR x 2",
            Header::default(),
            b"ERROR x 2",
            0b11,
            Some(20),
        );
        b.add(b"WARN y", Header::default(), b"WARN y", 0b10, None);
        a.merge(b);
        let t = &a.templates()[0];
        assert_eq!(
            (t.counts.clone(), t.first_seen, t.last_seen),
            (vec![2, 1], Some(10), Some(20))
        );
        assert_eq!(a.templates().len(), 2);
    }
}
