#!/usr/bin/env bash
# Benchmark for `maint redis report` (issue 18): a throwaway redis-server
# with 1,000,000 keys (a few big ones among them), the report timed with
# its default sampling, and the latency a concurrent redis-benchmark sees
# with and without reports running, side by side. Needs hyperfine,
# redis-server and redis-benchmark (apt-get install hyperfine redis-server
# redis-tools).
#
#   bash bench/redis.sh             # figures go to stdout, as markdown tables
#
# Goals: `redis report` on 1M keys <= 2 s; the server never blocked more than
# 1 ms per command (a concurrent client's worst latency stays where it is
# without the report).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
maint=$PWD/target/release/maint
work=$(mktemp -d)
port=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1])')
trap 'redis-cli -p "$port" shutdown nosave >/dev/null 2>&1 || true; rm -rf "$work"' EXIT
redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no --dir "$work" \
  --daemonize yes --logfile "$work/redis.log"
for _ in $(seq 50); do redis-cli -p "$port" ping >/dev/null 2>&1 && break; sleep 0.1; done
url=redis://127.0.0.1:$port

# 1M keys (a third of them with a TTL) through redis-cli --pipe, and a few big ones.
python3 - "$work/keys.resp" <<'PY'
import sys
def cmd(*args):
    out = [f"*{len(args)}\r\n"]
    for a in args:
        a = str(a)
        out.append(f"${len(a.encode())}\r\n{a}\r\n")
    return "".join(out)
with open(sys.argv[1], "w") as f:
    for i in range(1_000_000):
        if i % 3 == 0:
            f.write(cmd("SET", f"session:{i}", "x" * 40, "EX", 86400))
        else:
            f.write(cmd("SET", f"user:{i}", "y" * 60))
    for b in range(5):
        for chunk in range(20):
            args = []
            for j in range(chunk * 1000, (chunk + 1) * 1000):
                args += [f"f{j}", "v" * 50]
            f.write(cmd("HSET", f"big:hash:{b}", *args))
PY
redis-cli -p "$port" --pipe < "$work/keys.resp" >/dev/null
echo "## maint redis report, $(redis-cli -p "$port" dbsize) keys (machine: $(nproc) cores)"
hyperfine --style basic --warmup 1 --runs 10 -i --export-markdown "$work/report.md" \
  "$maint redis report --url $url" \
  "$maint redis report --url $url --sample 0" \
  "redis-cli -p $port info everything; redis-cli -p $port slowlog get 10; redis-cli -p $port memory doctor" \
  >/dev/null
cat "$work/report.md"

# A client's latency while reports run back to back, and without them.
bench() {
  redis-benchmark -p "$port" -t get,set -n 200000 -c 20 --csv 2>/dev/null | tail -n +2 | tr -d '"'
}
bench > "$work/alone.csv"
( while [ ! -e "$work/stop" ]; do "$maint" redis report --url "$url" >/dev/null || true; done ) &
reports=$!
sleep 0.5
bench > "$work/with.csv"
touch "$work/stop"
wait "$reports" || true
echo
echo "## redis-benchmark -t get,set -n 200000 -c 20: alone, and with maint redis report running back to back"
echo "| test | run | requests/s | avg ms | p50 ms | p99 ms | max ms |"
echo "|---|---|---:|---:|---:|---:|---:|"
for run in alone with; do
  while IFS=, read -r test rps avg min p50 p95 p99 max; do
    echo "| $test | $run | $rps | $avg | $p50 | $p99 | $max |"
  done < "$work/$run.csv"
done
echo
echo "## the report's own SCAN/TYPE/MEMORY batches, as the server timed them"
redis-cli -p "$port" config set slowlog-log-slower-than 0 >/dev/null
redis-cli -p "$port" slowlog reset >/dev/null
redis-cli -p "$port" config set slowlog-max-len 100000 >/dev/null
"$maint" redis report --url "$url" >/dev/null || true
redis-cli -p "$port" config set slowlog-log-slower-than 10000 >/dev/null
redis-cli -p "$port" --no-raw slowlog get 100000 > "$work/slowlog.txt"
python3 - "$work/slowlog.txt" <<'PY'
import sys, re
text = open(sys.argv[1]).read()
# redis-cli --no-raw prints each entry as "N) 1) (integer) id\n   2) (integer) time\n   3) (integer) micros\n   4) 1) \"CMD\"..."
micros = [int(m) for m in re.findall(r'^\s*3\) \(integer\) (\d+)$', text, re.M)]
cmds = re.findall(r'^\s*4\) 1\) "([^"]+)"', text, re.M)
per = {}
for c, u in zip(cmds, micros):
    per.setdefault(c.upper(), []).append(u)
print("| command | count | max µs | p99 µs |")
print("|---|---:|---:|---:|")
for c, us in sorted(per.items()):
    us.sort()
    print(f"| {c} | {len(us)} | {us[-1]} | {us[int(len(us) * 0.99) - 1 if len(us) > 1 else 0]} |")
PY
