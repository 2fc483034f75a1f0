#!/usr/bin/env bash
# Benchmark for `maint db vacuum` (issue 5), side by side with vacuumdb in
# one run, on a throwaway PostgreSQL server started here (initdb + pg_ctl in
# /tmp, as the postgres user when run as root).
#
#   bash bench/db.sh            # figures go to stdout, as markdown tables
#
# The server keeps PostgreSQL's default durability (fsync, synchronous
# commit), as a production server does: with fsync off, vacuumdb's 2,000
# per-table commits would cost nothing and the comparison would describe no
# real server (the hand-run floor is 0.45 x vacuumdb then, 0.37 x durable).
#
# Data: 2,000 small tables (50 rows each), of which 40 are bloated: 20,000
# rows, autovacuum off, every row updated once. The bloat is rebuilt before
# EVERY timed run (hyperfine --prepare), so both tools face the same work.
# Goals: default `maint db vacuum` <= 0.4 x `vacuumdb --analyze -d DB`, and
# `--jobs 2` <= 0.4 x `vacuumdb -j 2 --analyze`, leaving no more dead tuples
# in the 40 tables than vacuumdb; the plan for 10,000 tables in < 1 s.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
maint=$PWD/target/release/maint
bin=$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -1)
work=$(mktemp -d /tmp/maint-bench-db.XXXXXX)
as_pg=()
if [ "$(id -u)" -eq 0 ]; then chown postgres "$work"; as_pg=(runuser -u postgres --); fi
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
cleanup() { "${as_pg[@]}" "$bin/pg_ctl" -D "$work/data" -m immediate stop >/dev/null 2>&1 || true; rm -rf "$work"; }
trap cleanup EXIT
"${as_pg[@]}" "$bin/initdb" -D "$work/data" -U postgres --auth=trust --no-sync >/dev/null
"${as_pg[@]}" "$bin/pg_ctl" -D "$work/data" -l "$work/log" -w -o \
  "-c port=$port -c listen_addresses=127.0.0.1 -c unix_socket_directories=$work -c autovacuum=off -c max_locks_per_transaction=256" \
  start >/dev/null
export PGHOST=127.0.0.1 PGPORT=$port PGUSER=postgres
psql() { command psql -X -q -v ON_ERROR_STOP=1 "$@"; }

psql -d postgres -c "CREATE DATABASE bench" -c "CREATE DATABASE bench10k"
echo "making 2,000 tables (40 bloated) in database bench ..." >&2
psql -d bench <<'SQL'
DO $$
BEGIN
  FOR i IN 1..1960 LOOP
    EXECUTE format('CREATE TABLE small_%s (id int PRIMARY KEY, v text)', i);
    EXECUTE format('INSERT INTO small_%s SELECT g, md5(g::text) FROM generate_series(1, 50) g', i);
  END LOOP;
  FOR i IN 1..40 LOOP
    EXECUTE format('CREATE TABLE bloated_%s (id int PRIMARY KEY, v text) WITH (autovacuum_enabled = false)', i);
    EXECUTE format('INSERT INTO bloated_%s SELECT g, md5(g::text) FROM generate_series(1, 20000) g', i);
  END LOOP;
END $$;
SQL
vacuumdb -q --analyze -d bench
# The bloat: every row of the 40 tables updated once.
cat > "$work/bloat.sh" <<SH
for i in \$(seq 1 40); do echo "UPDATE bloated_\$i SET v = v;"; done | command psql -X -q -h 127.0.0.1 -p $port -U postgres -d bench
# Every timed run starts from a checkpoint: otherwise one triggered by this
# bloat's WAL lands inside whichever run comes next.
command psql -X -q -h 127.0.0.1 -p $port -U postgres -d bench -c CHECKPOINT
# Statistics reach the shared counters when the session ends; give them a moment.
sleep 0.3
SH
# The floor: the same statements maint runs, by hand, over just the 40 tables.
for i in $(seq 1 40); do echo "VACUUM (ANALYZE) bloated_$i;"; done > "$work/hand.sql"
dead_sql="SELECT sum(pg_stat_get_dead_tuples(c.oid)) FROM pg_class c WHERE c.relname LIKE 'bloated\_%' AND c.relkind = 'r'"
dead() { command psql -X -At -d bench -c "$dead_sql"; }

echo "## maint db vacuum vs vacuumdb: 2,000 tables, 40 bloated (machine: $(nproc) cores, PostgreSQL $("$bin/postgres" --version | awk '{print $3}'))"
hyperfine --style basic --warmup 1 --runs 5 --prepare "bash $work/bloat.sh" \
  --export-markdown "$work/one.md" \
  -n "maint db vacuum" "$maint db vacuum --url postgres://postgres@127.0.0.1:$port/bench -q" \
  -n "vacuumdb --analyze" "vacuumdb -q --analyze -d bench" \
  -n "the 40 VACUUM (ANALYZE) by hand (psql -f)" "command psql -X -q -d bench -f $work/hand.sql" >/dev/null
cat "$work/one.md"
bash "$work/bloat.sh"; before=$(dead)
"$maint" db vacuum --url "postgres://postgres@127.0.0.1:$port/bench" -q; after_maint=$(dead)
bash "$work/bloat.sh"; vacuumdb -q --analyze -d bench; after_vacuumdb=$(dead)
echo
echo "dead tuples in the 40 tables: before $before, after maint $after_maint, after vacuumdb $after_vacuumdb"

echo
echo "## --jobs 2 vs vacuumdb -j 2"
hyperfine --style basic --warmup 1 --runs 5 --prepare "bash $work/bloat.sh" \
  --export-markdown "$work/two.md" \
  -n "maint db vacuum --jobs 2" "$maint db vacuum --jobs 2 --url postgres://postgres@127.0.0.1:$port/bench -q" \
  -n "vacuumdb -j 2 --analyze" "vacuumdb -q -j 2 --analyze -d bench" >/dev/null
cat "$work/two.md"
bash "$work/bloat.sh"; "$maint" db vacuum --jobs 2 --url "postgres://postgres@127.0.0.1:$port/bench" -q; after_maint=$(dead)
bash "$work/bloat.sh"; vacuumdb -q -j 2 --analyze -d bench; after_vacuumdb=$(dead)
echo
echo "dead tuples in the 40 tables with 2 jobs: after maint $after_maint, after vacuumdb $after_vacuumdb"

echo
echo "## the plan for 10,000 tables (dry run: connect, one catalog query, selection)"
echo "making 10,000 tables in database bench10k ..." >&2
# In transactions of 1,000 tables: one of 10,000 needs more locks than the lock table holds.
for start in $(seq 1 1000 10000); do
  psql -d bench10k -c "DO \$\$ BEGIN FOR i IN $start..$((start + 999)) LOOP
    EXECUTE format('CREATE TABLE t_%s (id int PRIMARY KEY, v text)', i); END LOOP; END \$\$;"
done
hyperfine --style basic --warmup 2 --runs 10 --export-markdown "$work/plan.md" \
  -n "maint db vacuum --dry-run (10,000 tables)" \
  "$maint db vacuum --dry-run --url postgres://postgres@127.0.0.1:$port/bench10k -q" >/dev/null
cat "$work/plan.md"
"$maint" -v db vacuum --dry-run --url "postgres://postgres@127.0.0.1:$port/bench10k" -q 2>&1 | grep 'plan:' || true
