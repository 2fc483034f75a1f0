#!/usr/bin/env bash
# Benchmark for incremental backups and selective restore (issue 14), side
# by side in one run with restic. Needs hyperfine, restic and Python 3
# (apt-get install hyperfine restic).
#
#   bash bench/incremental.sh [TREE]     # figures go to stdout, as markdown
#
# TREE defaults to /tmp/tree (shared/bench/gentree.sh at scale 512); it is
# copied, never changed. Goals: an incremental with nothing changed <= 0.1 x
# the full create and no slower than `restic backup` re-run on the same
# tree; after 1 % of the files changed, the incremental's archive <= 3 % of
# the full one and its wall <= 0.2 x the full create; restoring one file
# <= 0.3 x restoring the whole archive.
set -euo pipefail
cd "$(dirname "$0")/.."
tree=${1:-/tmp/tree}
runs=${RUNS:-5}
. bench/tree.sh
cargo build --release --quiet
maint=$PWD/target/release/maint
work=$(mktemp -d /tmp/maint-bench-incremental.XXXXXX)
trap 'rm -rf "$work"' EXIT
cp -a "$tree" "$work/tree"
mkdir -p "$work/dest"
export RESTIC_PASSWORD=bench RESTIC_REPOSITORY=$work/restic
restic init --quiet >/dev/null
restic backup --quiet "$work/tree" >/dev/null
files=$(find "$work/tree" -type f | wc -l)
# Every 100th file gets new content: 1 % of the files.
cat >"$work/change.py" <<'PY'
import os, sys, random
root, seed = sys.argv[1], int(sys.argv[2])
paths = sorted(os.path.join(d, f) for d, _, fs in os.walk(root) for f in fs)
rnd = random.Random(seed)
for path in paths[seed % 100::100]:
    with open(path, "ab") as out:
        out.write(b"changed %d\n" % rnd.getrandbits(32))
PY
create="$maint backup create --source $work/tree --dest $work/dest --name bench"

echo "## incremental backups, $(du -sh "$tree" | cut -f1) in $files files (machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg))"
# A name is taken per second: the sleep before each run keeps them apart, outside the timing.
hyperfine --style basic --runs "$runs" --export-markdown "$work/unchanged.md" --prepare "sleep 1" \
  -n "maint backup create (full)" "$create --full" \
  -n "maint backup create --incremental, nothing changed" "$create --incremental" \
  -n "restic backup, nothing changed" "restic backup --quiet $work/tree" >/dev/null
cat "$work/unchanged.md"

echo
echo "## after 1 % of the files changed ($((files / 100)) files)"
$create --full >/dev/null
seed=0
hyperfine --style basic --runs "$runs" --export-markdown "$work/changed.md" \
  --prepare "sleep 1; python3 $work/change.py $work/tree \$((RANDOM))" \
  -n "maint backup create --incremental, 1 % changed" "$create --incremental" \
  -n "restic backup, 1 % changed" "restic backup --quiet $work/tree" >/dev/null
cat "$work/changed.md"
full=$(ls "$work/dest"/*.tar.gz | head -n 1)
for archive in "$work/dest"/*.tar.gz; do
  if python3 -c 'import json,sys; sys.exit(0 if json.load(open(sys.argv[1])).get("parent") else 1)' "${archive%.tar.gz}.manifest.json"; then
    last=$archive
  else
    full=$archive
  fi
done
full_bytes=$(stat -c %s "$full")
last_bytes=$(stat -c %s "$last")
echo
echo "| archive | bytes | share of the full one |"
echo "|:---|---:|---:|"
echo "| full | $full_bytes | 100 % |"
echo "| incremental, 1 % of the files changed | $last_bytes | $(python3 -c "print(f'{100*$last_bytes/$full_bytes:.2f} %')") |"

echo
one=$(cd "$work/tree" && find . -type f -name '*.yaml' | sort | head -n 1 | sed 's|^\./||')
echo "## restore from the full archive ($(du -h "$full" | cut -f1)): one file ($one) and everything"
hyperfine --style basic --runs "$runs" --export-markdown "$work/restore.md" --prepare "rm -rf $work/out" \
  -n "maint backup restore --path ONE_FILE" "$maint backup restore $full --target $work/out --path $one" \
  -n "maint backup restore (whole)" "$maint backup restore $full --target $work/out" >/dev/null
cat "$work/restore.md"
