#!/usr/bin/env bash
# Benchmark for `maint diagnose` (issue 7). Needs hyperfine.
#
#   bash bench/diagnose.sh
#
# Goals: zero-config diagnose <= 1 s wall; fully configured against local
# services <= 3 s. For context, the guides' diagnose_ecosystem.sh-style
# snippet (ps, top, df, last errors) is timed beside it.
# Uses the machine's local PostgreSQL (PGURL, default postgres://postgres@127.0.0.1/postgres)
# and Redis (REDIS_URL, default redis://127.0.0.1:6379).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
maint=$PWD/target/release/maint
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

cat > "$work/maint.toml" <<TOML
[diagnose]
paths = ["/var/log", "/var/lib/postgresql"]

[postgres]
url = "${PGURL:-postgres://postgres@127.0.0.1/postgres}"

[redis]
url = "${REDIS_URL:-redis://127.0.0.1:6379}"
TOML
mkdir -p "$work/empty"
cat > "$work/snippet.sh" <<'SH'
ps aux --sort=-%cpu | head -10
top -b -n 1 | head -15
df -h
grep -hi error /var/log/*.log 2>/dev/null | tail -10
ls -lt /var/backups 2>/dev/null | head -3
SH

echo "## maint diagnose ($(nproc) cores)"
hyperfine --style basic --warmup 2 --runs 10 -i --export-markdown "$work/diagnose.md" \
  "cd $work/empty && $maint diagnose" \
  "$maint --config $work/maint.toml diagnose" \
  "bash $work/snippet.sh" >/dev/null
cat "$work/diagnose.md"
