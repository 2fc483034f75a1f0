#!/usr/bin/env bash
# Benchmark for the history (issue 16): a store holding 400 days of
# 5-minute samples of 50 checks (about 5.8 M points, imported from a
# generated metrics.jsonl), then `maint trend` over it, the store's size,
# and what recording (and the predictions' read) adds to `maint health`.
# Needs hyperfine and python3.
#
#   bash bench/history.sh           # figures go to stdout, as markdown tables
#
# Goals: recording adds <= 5 ms to a health run; `maint trend` over that
# history <= 0.5 s; the store <= 200 MiB.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
maint=$PWD/target/release/maint
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
export MAINT_HISTORY_PATH=$work/history.db

# 50 series: / and its inodes as health names them (so health predicts from
# them), and 48 others; each a slow trend, a daily wave and some noise.
python3 - "$work/metrics.jsonl" <<'PY'
import json, math, random, sys, time
random.seed(16)
now = int(time.time())
step, days = 300, 400
names = ["disk:/", "inodes:/"] + [f"check{i:02d}" for i in range(48)]
with open(sys.argv[1], "w") as out:
    for t in range(now - days * 86400, now, step):
        day = (t % 86400) / 86400
        row = {"timestamp": t}
        for i, name in enumerate(names):
            row[name] = round(20 + i + (t - now + days * 86400) / 86400 * 0.1
                              + 5 * math.sin(2 * math.pi * day) + random.random(), 3)
        out.write(json.dumps(row) + "\n")
PY
lines=$(wc -l < "$work/metrics.jsonl")
echo "## import: $lines lines x 50 fields = $((lines * 50)) points"
/usr/bin/time -f '%e s, %M KiB peak' "$maint" -q trend --import "$work/metrics.jsonl"
store() { du -b "$MAINT_HISTORY_PATH" "$MAINT_HISTORY_PATH-wal" 2>/dev/null | awk '{s+=$1} END {printf "%.1f MiB\n", s/1048576}'; }
echo "store after import: $(store)"

echo
echo "## maint trend over that history"
hyperfine --style basic --warmup 2 --runs 10 --export-markdown "$work/trend.md" \
  "$maint trend" \
  "$maint trend --since 90d" \
  "$maint trend --since 400d" \
  "$maint --format html --output $work/review.html trend --since 90d" >/dev/null
cat "$work/trend.md"

echo
echo "## maint health with and without the history (load and / only: no CPU sample)"
hyperfine --style basic -N --warmup 5 --runs 60 --export-markdown "$work/health.md" \
  "$maint --no-history health --only load --only disk:/ --only inodes:/" \
  "$maint health --only load --only disk:/ --only inodes:/" >/dev/null
cat "$work/health.md"
echo "store after the health runs: $(store)"
echo "recording, as maint -v says it:"
for _ in 1 2 3; do "$maint" -v health --only load --only disk:/ --only inodes:/ 2>&1 >/dev/null | grep 'history:'; done
