#!/usr/bin/env bash
# Benchmark for `maint backup` (issue 4), side by side in one run with what
# operators run otherwise. Needs hyperfine, pigz, GNU tar and gzip, and
# /usr/bin/time (apt-get install hyperfine pigz time).
#
#   bash bench/backup.sh [TREE]     # figures go to stdout, as markdown tables
#
# TREE defaults to /tmp/tree, generated with shared/bench/gentree.sh at
# scale 512 when missing. Goals: create (no database) <= 0.55 x `tar czf`
# and <= 1.0 x `tar -I pigz -cf` wall, archive <= 1.005 x `tar czf`'s size;
# verify <= 0.8 x `gzip -t`; restore with verification <= 1.2 x `tar xzf`,
# merging into an empty folder and into a full one (the same tree already
# there, as when restoring over live data); peak memory <= 128 MiB.
set -euo pipefail
cd "$(dirname "$0")/.."
tree=${1:-/tmp/tree}
runs=${RUNS:-3}
. bench/tree.sh
cargo build --release --quiet
maint=$PWD/target/release/maint
work=$(mktemp -d /tmp/maint-bench-backup.XXXXXX)
trap 'rm -rf "$work"' EXIT
parent=$(dirname "$tree")
base=$(basename "$tree")
mkdir -p "$work/dest" "$work/peer"

echo "## backup create, $(du -sh "$tree" | cut -f1) in $(find "$tree" -type f | wc -l) files (machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg))"
hyperfine --style basic --runs "$runs" --export-markdown "$work/create.md" \
  --prepare "rm -rf $work/dest/* $work/dest/.maint* $work/peer/*" \
  -n "maint backup create" "$maint backup create --source $tree --dest $work/dest --name bench" \
  -n "tar czf" "tar czf $work/peer/t.tar.gz -C $parent $base" \
  -n "tar -I pigz -cf" "tar -I pigz -cf $work/peer/p.tar.gz -C $parent $base" >/dev/null
cat "$work/create.md"

rm -rf "$work/dest"/* "$work/dest"/.maint* "$work/peer"/*
/usr/bin/time -f "%M" -o "$work/create.rss" \
  "$maint" backup create --source "$tree" --dest "$work/dest" --name bench >/dev/null
tar czf "$work/peer/t.tar.gz" -C "$parent" "$base"
archive=$(ls "$work"/dest/bench-*.tar.gz)
ours=$(stat -c %s "$archive")
theirs=$(stat -c %s "$work/peer/t.tar.gz")
echo
echo "| archive | bytes | ratio to tar czf |"
echo "|:---|---:|---:|"
echo "| maint backup create | $ours | $(python3 -c "print(f'{$ours/$theirs:.4f}')") |"
echo "| tar czf | $theirs | 1.0000 |"

echo
echo "## backup verify (the same archive)"
hyperfine --style basic --runs "$runs" --export-markdown "$work/verify.md" \
  -n "maint backup verify" "$maint backup verify $archive" \
  -n "gzip -t" "gzip -t $archive" >/dev/null
cat "$work/verify.md"
/usr/bin/time -f "%M" -o "$work/verify.rss" "$maint" backup verify "$archive" >/dev/null

echo
echo "## backup restore with verification, into an empty folder"
hyperfine --style basic --runs "$runs" --export-markdown "$work/restore.md" \
  --prepare "rm -rf $work/out; mkdir -p $work/out; sync" \
  -n "maint backup restore" "$maint backup restore $archive --target $work/out/tree" \
  -n "tar xzf" "tar xzf $archive -C $work/out" >/dev/null
cat "$work/restore.md"
rm -rf "$work/out"; mkdir -p "$work/out"
/usr/bin/time -f "%M" -o "$work/restore.rss" \
  "$maint" backup restore "$archive" --target "$work/out/tree" >/dev/null

echo
echo "## backup restore with verification, into a full folder (the same tree already there)"
# Both start from the tree in place; tar rewrites every file, maint compares
# each with the archive as it streams by and rewrites only what differs.
rm -rf "$work/full-maint" "$work/full-tar"; mkdir -p "$work/full-maint" "$work/full-tar"
"$maint" backup restore "$archive" --target "$work/full-maint/tree" -q
tar xzf "$archive" -C "$work/full-tar"
sync
hyperfine --style basic --runs "$runs" --export-markdown "$work/restore-full.md" \
  --prepare "sync" \
  -n "maint backup restore --force" "$maint backup restore $archive --target $work/full-maint/tree --force" \
  -n "tar xzf" "tar xzf $archive -C $work/full-tar" >/dev/null
cat "$work/restore-full.md"
/usr/bin/time -f "%M" -o "$work/restore-full.rss" \
  "$maint" backup restore "$archive" --target "$work/full-maint/tree" --force >/dev/null

echo
echo "| peak memory (maximum resident set) | KiB |"
echo "|:---|---:|"
echo "| create | $(tail -n 1 "$work/create.rss") |"
echo "| verify | $(tail -n 1 "$work/verify.rss") |"
echo "| restore | $(tail -n 1 "$work/restore.rss") |"
echo "| restore into a full folder | $(tail -n 1 "$work/restore-full.rss") |"
