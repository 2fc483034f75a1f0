#!/usr/bin/env bash
# Benchmark for `maint db report` on 10,000 tables (issue 18: at most 1 s),
# side by side with psql running the catalog queries a hand-made report
# starts with (sizes, dead tuples, vacuum ages, xid age, unused indexes).
#
#   bash bench/dbreport.sh                      # a throwaway server in /tmp
#   MAINT_BENCH_PG=postgres://u@host/db bash bench/dbreport.sh
#                                               # a server of yours: the 10,000
#                                               # tables go into a new database
#                                               # maint_bench_report, dropped after
#
# The throwaway server is initdb + pg_ctl in /tmp (as the postgres user when
# run as root), autovacuum off so nothing changes between runs. Figures go to
# stdout as markdown tables.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
maint=$PWD/target/release/maint
work=$(mktemp -d /tmp/maint-bench-dbreport.XXXXXX)
db=maint_bench_report
psql() { command psql -X -q -v ON_ERROR_STOP=1 "$@"; }

if [ -n "${MAINT_BENCH_PG:-}" ]; then
  admin=$MAINT_BENCH_PG
  url=$(python3 -c 'import sys, urllib.parse as u; p = u.urlsplit(sys.argv[1]); print(u.urlunsplit(p._replace(path="/" + sys.argv[2])))' "$MAINT_BENCH_PG" "$db")
  cleanup() { psql "$admin" -c "DROP DATABASE IF EXISTS $db" >/dev/null 2>&1 || true; rm -rf "$work"; }
else
  bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
  as_pg=()
  if [ "$(id -u)" -eq 0 ]; then chown postgres "$work"; as_pg=(runuser -u postgres --); fi
  port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
  cleanup() { "${as_pg[@]}" "$bin/pg_ctl" -D "$work/data" -m immediate stop >/dev/null 2>&1 || true; rm -rf "$work"; }
  "${as_pg[@]}" "$bin/initdb" -D "$work/data" -U postgres --auth=trust --no-sync >/dev/null
  "${as_pg[@]}" "$bin/pg_ctl" -D "$work/data" -l "$work/log" -w -o \
    "-c port=$port -c listen_addresses=127.0.0.1 -c unix_socket_directories=$work -c autovacuum=off -c fsync=off" \
    start >/dev/null
  admin=postgres://postgres@127.0.0.1:$port/postgres
  url=postgres://postgres@127.0.0.1:$port/$db
fi
trap cleanup EXIT

psql "$admin" -c "CREATE DATABASE $db"
echo "making 10,000 tables (each with a primary key and a secondary index, 10 rows) ..." >&2
# In transactions of 500 tables: one of 10,000 needs more locks than the lock table holds.
for start in $(seq 1 500 10000); do
  psql "$url" -c "DO \$\$ BEGIN FOR i IN $start..$((start + 499)) LOOP
    EXECUTE format('CREATE TABLE t_%s (id int PRIMARY KEY, v text)', i);
    EXECUTE format('CREATE INDEX t_%s_v ON t_%s (v)', i, i);
    EXECUTE format('INSERT INTO t_%s SELECT g, md5(g::text) FROM generate_series(1, 10) g', i);
  END LOOP; END \$\$;"
done
psql "$url" -c "ANALYZE"

# What an operator would type for the same first look: every table's size,
# dead tuples, last vacuums and xid age, then the indexes never scanned.
cat > "$work/hand.sql" <<'SQL'
SELECT s.relid::regclass, pg_total_relation_size(s.relid), s.n_live_tup, s.n_dead_tup,
       s.last_vacuum, s.last_autovacuum, s.last_analyze, s.last_autoanalyze, age(c.relfrozenxid)
  FROM pg_stat_user_tables s JOIN pg_class c ON c.oid = s.relid
 ORDER BY s.n_dead_tup DESC;
SELECT s.indexrelid::regclass, pg_relation_size(s.indexrelid)
  FROM pg_stat_user_indexes s JOIN pg_index i ON i.indexrelid = s.indexrelid
 WHERE s.idx_scan = 0 AND NOT i.indisunique
 ORDER BY 2 DESC;
SELECT indexrelid::regclass FROM pg_index WHERE NOT indisvalid;
SQL

version=$(psql "$url" -At -c "SHOW server_version")
echo "## maint db report on 10,000 tables (machine: $(nproc) cores, PostgreSQL $version)"
hyperfine --style basic --warmup 2 --runs 10 --export-markdown "$work/report.md" \
  -i \
  -n "maint db report (10,000 tables)" "$maint --format json db report --url $url" \
  -n "the hand-made catalog queries (psql -f)" "command psql -X -q -o /dev/null $url -f $work/hand.sql" >/dev/null
cat "$work/report.md"
echo
# -i above: db report exits 1 or 2 when it finds something (10,000 tables never
# vacuumed are a finding); the run itself must not fail.
"$maint" -q db report --url "$url" >/dev/null || [ $? -le 2 ]
