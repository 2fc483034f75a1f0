//! Grouping accuracy of maint's message templates on the Loghub 2k samples
//! (Zhu et al., "Tools and Benchmarks for Automated Log Parsing", ICSE-SEIP
//! 2019): a ground-truth event counts as found when one template holds
//! exactly its lines, and the accuracy is the share of lines in such events.
//! Every line of each raw log goes through what `maint logs analyze` does:
//! timestamp detection, the header/message split, templating. No per-file
//! settings.
//!
//! Usage: cargo run --release --example template-accuracy -- LOGHUB_DIR
//! where LOGHUB_DIR holds NAME/NAME_2k.log and NAME/NAME_2k.log_structured.csv
//! (a checkout of github.com/logpai/loghub).
//!
//! `-- --throughput FILE` instead templates every line of FILE (timestamp,
//! header split, masking, clustering, one thread) and prints the rate.

use std::collections::HashMap;
use std::path::Path;

use maint::logscan::templates::{Template, Templates};
use maint::logscan::{header, timestamps};

const DATASETS: [&str; 16] = [
    "Android",
    "Apache",
    "BGL",
    "HDFS",
    "HPC",
    "Hadoop",
    "HealthApp",
    "Linux",
    "Mac",
    "OpenSSH",
    "OpenStack",
    "Proxifier",
    "Spark",
    "Thunderbird",
    "Windows",
    "Zookeeper",
];

fn main() {
    let dir = std::env::args()
        .nth(1)
        .expect("usage: template-accuracy LOGHUB_DIR | --throughput FILE");
    if dir == "--throughput" {
        throughput(&std::env::args().nth(2).expect("--throughput FILE"));
        return;
    }
    let verbose = std::env::var_os("VERBOSE").is_some();
    let mut total = 0.0;
    println!(
        "{:<12} {:>9} {:>8} {:>10}",
        "LOG", "ACCURACY", "DATED", "TEMPLATES"
    );
    for name in DATASETS {
        let base = Path::new(&dir).join(name);
        let log = std::fs::read(base.join(format!("{name}_2k.log"))).expect("log");
        let csv = std::fs::read_to_string(base.join(format!("{name}_2k.log_structured.csv")))
            .expect("structured csv");
        let events = event_ids(&csv);
        let lines: Vec<&[u8]> = log
            .split(|&b| b == b'\n')
            .filter(|l| !l.is_empty())
            .collect();
        assert_eq!(lines.len(), events.len(), "{name}: lines and labels");
        let parser = timestamps::detect(&log[..log.len().min(64 << 10)], 0);
        let mut templates = Templates::new(1);
        let mut dated = 0;
        let found: Vec<u32> = lines
            .iter()
            .map(|line| {
                let stamp = parser.as_ref().and_then(|p| p.parse(line));
                dated += usize::from(stamp.is_some());
                let (fields, message) = header::split(line, stamp.map_or(0..0, |s| s.span));
                templates.add(message, fields, line, 1, None)
            })
            .collect();
        let found: Vec<u32> = found.into_iter().map(|id| templates.resolve(id)).collect();
        let accuracy = grouping_accuracy(&events, &found);
        total += accuracy;
        println!(
            "{name:<12} {accuracy:>9.3} {:>7.1}% {:>10}",
            100.0 * dated as f64 / lines.len() as f64,
            templates.templates().len()
        );
        if verbose {
            show_misses(&events, &found, &lines, &templates);
        }
    }
    println!("{:<12} {:>9.3}", "average", total / DATASETS.len() as f64);
}

fn throughput(path: &str) {
    let log = std::fs::read(path).expect("the log");
    let started = std::time::Instant::now();
    let parser = timestamps::detect(&log[..log.len().min(64 << 10)], 0);
    let mut templates = Templates::new(1);
    let mut lines = 0u64;
    for line in log.split(|&b| b == b'\n').filter(|l| !l.is_empty()) {
        let stamp = parser.as_ref().and_then(|p| p.parse(line));
        let (fields, message) = header::split(line, stamp.map_or(0..0, |s| s.span));
        templates.add(message, fields, line, 1, None);
        lines += 1;
    }
    let seconds = started.elapsed().as_secs_f64();
    println!(
        "{lines} lines, {:.0} MB in {seconds:.2} s: {:.0} MB/s, {} templates",
        log.len() as f64 / 1e6,
        log.len() as f64 / 1e6 / seconds,
        templates.live().count()
    );
}

/// The EventId column of each row (the next-to-last field).
fn event_ids(csv: &str) -> Vec<String> {
    let mut rows = Vec::new();
    let mut fields = Vec::new();
    let mut field = String::new();
    let mut quoted = false;
    let mut chars = csv.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                field.push('"');
                chars.next();
            }
            '"' => quoted = !quoted,
            ',' if !quoted => fields.push(std::mem::take(&mut field)),
            '\n' if !quoted => {
                fields.push(std::mem::take(&mut field));
                rows.push(std::mem::take(&mut fields));
            }
            '\r' if !quoted => {}
            c => field.push(c),
        }
    }
    if !field.is_empty() || !fields.is_empty() {
        fields.push(field);
        rows.push(fields);
    }
    rows.into_iter()
        .skip(1)
        .map(|row| row[row.len() - 2].clone())
        .collect()
}

fn grouping_accuracy(events: &[String], found: &[u32]) -> f64 {
    let mut by_event: HashMap<&str, Vec<usize>> = HashMap::new();
    let mut by_template: HashMap<u32, Vec<usize>> = HashMap::new();
    for (i, (event, template)) in events.iter().zip(found).enumerate() {
        by_event.entry(event).or_default().push(i);
        by_template.entry(*template).or_default().push(i);
    }
    let correct: usize = by_event
        .values()
        .filter(|lines| by_template[&found[lines[0]]] == **lines)
        .map(Vec::len)
        .sum();
    correct as f64 / events.len() as f64
}

/// The events missed the most, and what their lines were grouped into.
fn show_misses(events: &[String], found: &[u32], lines: &[&[u8]], templates: &Templates) {
    let mut by_event: HashMap<&str, Vec<usize>> = HashMap::new();
    let mut by_template: HashMap<u32, Vec<usize>> = HashMap::new();
    for (i, (event, template)) in events.iter().zip(found).enumerate() {
        by_event.entry(event).or_default().push(i);
        by_template.entry(*template).or_default().push(i);
    }
    let mut missed: Vec<(&str, &Vec<usize>)> = by_event
        .iter()
        .filter(|(_, lines)| by_template[&found[lines[0]]] != **lines)
        .map(|(e, l)| (*e, l))
        .collect();
    missed.sort_by_key(|(_, l)| std::cmp::Reverse(l.len()));
    for (event, members) in missed.iter().take(6) {
        let mut ids: Vec<u32> = members.iter().map(|&i| found[i]).collect();
        ids.sort_unstable();
        ids.dedup();
        println!(
            "  {event} ({} lines) split into {} templates:",
            members.len(),
            ids.len()
        );
        for id in ids.iter().take(3) {
            let size = by_template[id].len();
            let text = templates
                .templates()
                .get(*id as usize)
                .map_or_else(String::new, Template::text);
            let example = String::from_utf8_lossy(lines[by_template[id][0]]);
            println!("    [{size}] {text} | {example}");
        }
        println!("    e.g. {}", String::from_utf8_lossy(lines[members[0]]));
    }
}
