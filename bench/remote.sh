#!/usr/bin/env bash
# Benchmark for `maint backup` on an S3-compatible store (issue 13), side by
# side in one run with what operators run otherwise, against a local s3s-fs
# server (cargo install s3s-fs@0.14.1 --features binary --locked). Needs
# hyperfine, the AWS CLI, age, GNU tar and gzip, and /usr/bin/time
# (apt-get install hyperfine awscli age time).
#
#   bash bench/remote.sh [TREE]     # figures go to stdout, as markdown tables
#
# TREE defaults to /tmp/tree, generated with shared/bench/gentree.sh at
# scale 512 when missing. Goals: create --dest s3://... <= 1.15 x the same
# create into a local folder and <= 0.6 x `tar czf - | aws s3 cp - s3://...`;
# with --recipient <= 1.10 x without; verify of the remote archive
# <= 1.2 x `aws s3 cp s3://... - | gzip -t`; peak memory <= 192 MiB.
set -euo pipefail
cd "$(dirname "$0")/.."
tree=${1:-/tmp/tree}
runs=${RUNS:-3}
. bench/tree.sh
s3s=$(command -v s3s-fs || echo "${CARGO_HOME:-$HOME/.cargo}/bin/s3s-fs")
[ -x "$s3s" ] || { echo "s3s-fs not found: cargo install s3s-fs@0.14.1 --features binary --locked" >&2; exit 3; }
cargo build --release --quiet
maint=$PWD/target/release/maint
work=$(mktemp -d /tmp/maint-bench-remote.XXXXXX)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
mkdir -p "$work/store/bench" "$work/dest"
mkdir -m 700 "$work/work"
"$s3s" --host 127.0.0.1 --port "$port" --access-key AKBENCH --secret-key benchsecret "$work/store" >"$work/s3.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null; rm -rf "$work"' EXIT
export AWS_ACCESS_KEY_ID=AKBENCH AWS_SECRET_ACCESS_KEY=benchsecret AWS_DEFAULT_REGION=us-east-1
export AWS_ENDPOINT_URL=http://127.0.0.1:$port MAINT_WORK_DIR=$work/work
for _ in $(seq 50); do (exec 3<>/dev/tcp/127.0.0.1/"$port") 2>/dev/null && break; sleep 0.1; done
age-keygen -o "$work/key.txt" 2>/dev/null
recipient=$(age-keygen -y "$work/key.txt")
parent=$(dirname "$tree")
base=$(basename "$tree")
clean="rm -rf $work/store/bench/* $work/store/bench/.maint* $work/dest/* $work/dest/.maint*"

echo "## backup create to S3, $(du -sh "$tree" | cut -f1) in $(find "$tree" -type f | wc -l) files (machine: $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg))"
hyperfine --style basic --warmup 1 --runs "$runs" --export-markdown "$work/create.md" --prepare "$clean" \
  -n "maint backup create --dest DIR" "$maint backup create --source $tree --dest $work/dest --name bench" \
  -n "maint backup create --dest s3://" "$maint backup create --source $tree --dest s3://bench/host --name bench" \
  -n "maint backup create --dest s3:// --recipient" "$maint backup create --source $tree --dest s3://bench/host --name bench --recipient $recipient" \
  -n "tar czf - | aws s3 cp -" "tar czf - -C $parent $base | aws --endpoint-url $AWS_ENDPOINT_URL s3 cp - s3://bench/peer/t.tar.gz" >/dev/null
cat "$work/create.md"

eval "$clean"
/usr/bin/time -f "%M" -o "$work/create.rss" \
  "$maint" backup create --source "$tree" --dest s3://bench/host --name bench >/dev/null
tar czf - -C "$parent" "$base" | aws --endpoint-url "$AWS_ENDPOINT_URL" s3 cp - s3://bench/peer/t.tar.gz
archive=$(aws --endpoint-url "$AWS_ENDPOINT_URL" s3 ls s3://bench/host/ | awk '{print $4}' | grep '\.tar\.gz$')

echo
echo "## backup verify of the remote archive"
hyperfine --style basic --runs "$runs" --export-markdown "$work/verify.md" \
  -n "maint backup verify s3://" "$maint backup verify s3://bench/host/$archive" \
  -n "aws s3 cp - | gzip -t" "aws --endpoint-url $AWS_ENDPOINT_URL s3 cp s3://bench/host/$archive - | gzip -t" >/dev/null
cat "$work/verify.md"
/usr/bin/time -f "%M" -o "$work/verify.rss" "$maint" backup verify "s3://bench/host/$archive" >/dev/null

echo
echo "| peak memory (maximum resident set) | KiB |"
echo "|:---|---:|"
echo "| create --dest s3:// | $(tail -n 1 "$work/create.rss") |"
echo "| verify s3:// | $(tail -n 1 "$work/verify.rss") |"

# Where the remote create's extra time goes: on one machine the S3 server's
# own work (receiving, hashing and joining the parts) shares the cores the
# create fills, so CPU seconds are counted per process.
server_cpu() { awk '{ printf "%.2f", ($14 + $15) / 100 }' "/proc/$server/stat"; }
eval "$clean"
/usr/bin/time -f "%U %S" -o "$work/local.cpu" \
  "$maint" backup create --source "$tree" --dest "$work/dest" --name bench >/dev/null
before=$(server_cpu)
/usr/bin/time -f "%U %S" -o "$work/remote.cpu" \
  "$maint" backup create --source "$tree" --dest s3://bench/host --name bench >/dev/null
after=$(server_cpu)
echo
echo "| CPU seconds (user + system) of one create | maint | S3 server |"
echo "|:---|---:|---:|"
echo "| --dest DIR | $(awk '{ printf "%.2f", $1 + $2 }' "$work/local.cpu") | |"
echo "| --dest s3:// | $(awk '{ printf "%.2f", $1 + $2 }' "$work/remote.cpu") | $(awk -v a="$before" -v b="$after" 'BEGIN { printf "%.2f", b - a }') |"
