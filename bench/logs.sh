#!/usr/bin/env bash
# Benchmark for `maint logs analyze` (issue 3), side by side with what
# operators run otherwise: one grep or rg per category. Needs hyperfine,
# ripgrep, pigz and GNU grep (apt-get install hyperfine ripgrep pigz).
#
#   bash bench/logs.sh [SIZE_MIB]     # default 1024; data is made once in $MAINT_BENCH_DIR
#
# Goals (issue 3), on /work/shared/bench/genlog.py data (3 days, Python logging format):
#   whole file, five default categories + templates + histogram
#       <= 0.5 x  `rg -c PATTERN` once per category
#       <= 0.15 x `LC_ALL=C grep -cE PATTERN` once per category
#   the same data gzip-compressed  <= 0.5 x `rg -z -c PATTERN` once per category
#   --since (the last 24 h)        <= 0.4 x the whole-file run
#   peak memory                    <= 64 MiB
# Counts are checked equal to grep's before anything is timed.
set -euo pipefail
cd "$(dirname "$0")/.."
size=${1:-1024}
data=${MAINT_BENCH_DIR:-/tmp/maint-bench-logs}
genlog=${GENLOG:-$(cd .. && pwd)/shared/bench/genlog.py}
[ -f "$genlog" ] || genlog=/work/shared/bench/genlog.py
cargo build --release --quiet
maint=$PWD/target/release/maint
mkdir -p "$data"
log=$data/app-$size.log
if [ ! -s "$log" ]; then
  echo "generating $size MiB of log in $log (once)..." >&2
  python3 "$genlog" "$log.tmp" "$size" && mv "$log.tmp" "$log"
fi
# In a folder of its own: next to the log it would count as its rotated sibling.
gz=$data/gz/app-$size.log.gz
mkdir -p "$data/gz"
if [ ! -s "$gz" ] || [ "$gz" -ot "$log" ]; then
  pigz -6 -c "$log" > "$gz.tmp" && mv "$gz.tmp" "$gz"
fi
# The same lines with their times out of order: 64 stretches written last
# first, as a merge of writers or a clock stepping back leaves a file.
unordered=$data/unordered/app-$size.log
mkdir -p "$data/unordered"
if [ ! -s "$unordered" ] || [ "$unordered" -ot "$log" ]; then
  python3 - "$log" "$unordered.tmp" <<'PY'
import os, sys
src, dst = sys.argv[1], sys.argv[2]
size = os.path.getsize(src)
with open(src, "rb") as f:
    cuts = [0]
    for i in range(1, 64):
        f.seek(size * i // 64)
        f.readline()
        cuts.append(f.tell())
    cuts.append(size)
    with open(dst, "wb") as out:
        for start, end in reversed(list(zip(cuts, cuts[1:]))):
            f.seek(start)
            out.write(f.read(end - start))
PY
  mv "$unordered.tmp" "$unordered"
fi
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

names=(errors warnings security failures constraints)
patterns=('ERROR|CRITICAL|FATAL' 'WARNING|WARN'
          'Unauthorized|Authentication failed|Failed password|Invalid user|authentication failure|incorrect password attempt|NOT in sudoers|" 401 |" 403 '
          'Evolution failed|Rollback initiated' 'Memory exceeded|Speed exceeded')
# The three default categories and the example config's two.
export MAINT_CONFIG=$work/maint.toml
cat > "$MAINT_CONFIG" <<'TOML'
[logs.patterns]
failures = "Evolution failed|Rollback initiated"
constraints = "Memory exceeded|Speed exceeded"
TOML

# genlog's lines run past its nominal three days; "the last 24 h" is the
# 24 h before the last line (naive local time, as the file writes it).
last=$(tail -n 1 "$log" | cut -c1-19)
since=$(date -d "$last 24 hours ago" '+%Y-%m-%d %H:%M:%S')

counts() { # maint's category counts, one per line
  python3 -c 'import json,sys; r=json.load(sys.stdin); c={x["name"]:x["value"] for x in r["checks"]}
for n in sys.argv[1:]: print(int(c[n]))' "${names[@]}"
}
check() { # label, expected file, actual file
  if ! diff -q "$2" "$3" >/dev/null; then
    echo "COUNTS DIFFER ($1): expected / maint"; paste "$2" "$3"; exit 1
  fi
  echo "counts equal ($1): $(paste -sd' ' "$3")"
}

echo "## Checking counts against grep before timing"
"$maint" --format json logs analyze "$log" | counts > "$work/maint-whole" || true
for p in "${patterns[@]}"; do LC_ALL=C grep -cE "$p" "$log" || true; done > "$work/grep-whole"
check "whole file, LC_ALL=C grep -cE" "$work/grep-whole" "$work/maint-whole"
"$maint" --format json logs analyze "$gz" | counts > "$work/maint-gz" || true
for p in "${patterns[@]}"; do rg -z -c "$p" "$gz" || echo 0; done > "$work/rg-gz"
check "gzip, rg -z -c" "$work/rg-gz" "$work/maint-gz"
"$maint" --format json logs analyze "$log" --since "$since" | counts > "$work/maint-since" || true
for p in "${patterns[@]}"; do
  LC_ALL=C awk -v s="$since" 'substr($0, 1, 19) >= s { on = 1 } on' "$log" | LC_ALL=C grep -cE "$p" || true
done > "$work/grep-since"
check "--since '$since', awk + grep" "$work/grep-since" "$work/maint-since"
# Out of order, a line is in the window by its own time; a line without
# one (a stack trace) goes with the dated line before it.
"$maint" --format json logs analyze "$unordered" --since "$since" | counts > "$work/maint-unordered" || true
for p in "${patterns[@]}"; do
  LC_ALL=C awk -v s="$since" '/^[0-9][0-9][0-9][0-9]-[0-9][0-9]-[0-9][0-9] / { on = substr($0, 1, 19) >= s } on' "$unordered" |
    LC_ALL=C grep -cE "$p" || true
done > "$work/grep-unordered"
check "unordered file --since, awk + grep line by line" "$work/grep-unordered" "$work/maint-unordered"

rg_loop=$work/rg.sh grep_loop=$work/grep.sh rgz_loop=$work/rgz.sh
: > "$rg_loop"; : > "$grep_loop"; : > "$rgz_loop"
for p in "${patterns[@]}"; do
  echo "rg -c '$p' '$log' >$work/rg.out" >> "$rg_loop"
  # Not >/dev/null: GNU grep then stops at the first match, as with -q.
  echo "LC_ALL=C grep -cE '$p' '$log' >$work/grep.out" >> "$grep_loop"
  echo "rg -z -c '$p' '$gz' >$work/rgz.out" >> "$rgz_loop"
done

echo
echo "## $(du -h "$log" | cut -f1) log, $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg)"
# The slow peers get fewer runs; everything runs in this one script, side by side.
hyperfine --style basic --warmup 1 --runs 10 -i --export-json "$work/fast.json" \
  -n "maint logs analyze (5 categories, templates, histogram)" "$maint logs analyze $log" \
  -n "maint logs analyze --since (last 24 h)" "$maint logs analyze $log --since '$since'" \
  -n "rg -c, once per category" "bash $rg_loop" \
  -n "maint logs analyze, gzip file" "$maint logs analyze $gz" \
  -n "maint logs analyze, unordered file" "$maint logs analyze $unordered" \
  -n "maint logs analyze --since, unordered file" "$maint logs analyze $unordered --since '$since'" >/dev/null
hyperfine --style basic --runs 3 -i --export-json "$work/grep.json" \
  -n "LC_ALL=C grep -cE, once per category" "bash $grep_loop" >/dev/null
hyperfine --style basic --runs 2 -i --export-json "$work/rgz.json" \
  -n "rg -z -c, once per category" "bash $rgz_loop" >/dev/null

/usr/bin/time -v "$maint" logs analyze "$log" 2> "$work/time-whole" >/dev/null || true
/usr/bin/time -v "$maint" logs analyze "$gz" 2> "$work/time-gz" >/dev/null || true
rss() { awk -F': ' '/Maximum resident/ { printf "%.1f", $2 / 1024 }' "$1"; }

python3 - "$work" "$(rss "$work/time-whole")" "$(rss "$work/time-gz")" <<'PY'
import json, sys
work = sys.argv[1]
results = {}
for name in ["fast", "grep", "rgz"]:
    for r in json.load(open(f"{work}/{name}.json"))["results"]:
        results[r["command"]] = r
print("| command | mean | min | runs |")
print("|---|---:|---:|---:|")
for n, r in results.items():
    print(f"| {n} | {r['mean']:.3f} s ± {r.get('stddev') or 0:.3f} | {r['min']:.3f} s | {len(r['times'])} |")
whole = "maint logs analyze (5 categories, templates, histogram)"
pairs = [
    ("whole file vs rg -c per category", whole, "rg -c, once per category", 0.5),
    ("whole file vs LC_ALL=C grep -cE per category", whole, "LC_ALL=C grep -cE, once per category", 0.15),
    ("gzip vs rg -z -c per category", "maint logs analyze, gzip file", "rg -z -c, once per category", 0.5),
    ("--since last 24 h vs whole file", "maint logs analyze --since (last 24 h)", whole, 0.4),
    ("unordered file: --since vs whole file", "maint logs analyze --since, unordered file",
     "maint logs analyze, unordered file", 1.0),
]
print()
print("| ratio | of means | of minimums | goal |")
print("|---|---:|---:|---:|")
for label, a, b, goal in pairs:
    means = results[a]["mean"] / results[b]["mean"]
    mins = results[a]["min"] / results[b]["min"]
    verdict = "ok" if min(means, mins) <= goal else "MISSED"
    print(f"| {label} | {means:.3f} | {mins:.3f} | <= {goal} {verdict} |")
print(f"| peak memory, plain / gzip | {sys.argv[2]} / {sys.argv[3]} MiB | | <= 64 MiB |")
PY
