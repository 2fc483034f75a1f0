#!/usr/bin/env bash
# Benchmark for `maint health` (issue 2), side by side with what operators
# run otherwise. Needs hyperfine and curl (apt-get install hyperfine curl).
#
#   bash bench/health.sh            # figures go to stdout, as markdown tables
#
# Goals: `maint health` on built-in defaults <= 0.4 s wall; `maint --version`
# <= 5 ms; 40 HTTP endpoints of which 10 never answer, 2 s timeout <= 2.5 s;
# a [[health.command]] check adds no more than its own runtime (issue 18;
# check_load from monitoring-plugins-basic, and a 0.3 s command).
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
maint=$PWD/target/release/maint
work=$(mktemp -d)
trap 'kill "${server_pid:-0}" 2>/dev/null || true; rm -rf "$work"' EXIT

python3 bench/http_server.py "$work/port" &
server_pid=$!
for _ in $(seq 50); do [ -s "$work/port" ] && break; sleep 0.1; done
port=$(cat "$work/port")

# 40 endpoints, every fourth one silent, 2 s timeout each.
: > "$work/maint.toml"
: > "$work/urls"
for i in $(seq 0 39); do
  path=/ok; ((i % 4 == 0)) && path=/hang
  printf '[[health.http]]\nname = "e%d"\nurl = "http://127.0.0.1:%d%s/%d"\ntimeout = "2s"\n' \
    "$i" "$port" "$path" "$i" >> "$work/maint.toml"
  echo "http://127.0.0.1:$port$path/$i" >> "$work/urls"
done
cat > "$work/curl-loop.sh" <<SH
while read -r url; do curl -s -m 2 -o /dev/null -w '%{http_code} ' "\$url" || true; done < $work/urls
SH

echo "## maint health, built-in defaults (machine: $(nproc) cores)"
hyperfine --style basic --warmup 3 --runs 20 -i \
  --export-markdown "$work/defaults.md" \
  "$maint health" \
  'df -h; df -i; free -h; uptime' \
  'df -h; df -i; free -h; uptime; top -b -n 2 -d 0.2 | grep "^%Cpu"' >/dev/null
cat "$work/defaults.md"

echo
echo "## maint --version"
hyperfine --style basic -N --warmup 20 --runs 300 --export-markdown "$work/version.md" \
  "$maint --version" >/dev/null
cat "$work/version.md"

echo
echo "## 40 HTTP endpoints, 10 never answer, 2 s timeout"
hyperfine --style basic --runs 5 -i --export-markdown "$work/http.md" \
  "$maint --config $work/maint.toml health --only http" >/dev/null
hyperfine --style basic --runs 1 -i --export-markdown "$work/curl.md" \
  "bash $work/curl-loop.sh" >/dev/null
cat "$work/http.md"
tail -n 1 "$work/curl.md"

# Monitoring-plugin commands run beside the other checks, so health with one
# should take at most health alone plus the command alone.
plugin=/usr/lib/nagios/plugins/check_load
if [ -x "$plugin" ]; then
  printf '[[health.command]]\nname = "load"\ncommand = ["%s", "-w", "50,40,30", "-c", "100,80,60"]\n' "$plugin" > "$work/plugin.toml"
  printf '[[health.command]]\nname = "slow"\ncommand = ["/bin/sh", "-c", "sleep 0.3; echo OK - slept"]\n' > "$work/slow.toml"
  echo
  echo "## a monitoring-plugin command as a health check"
  hyperfine --style basic --warmup 3 --runs 20 -i --export-markdown "$work/command.md" \
    -n "maint health" "$maint health" \
    -n "check_load alone" "$plugin -w 50,40,30 -c 100,80,60" \
    -n "maint health + check_load" "$maint --config $work/plugin.toml health" \
    -n "a 0.3 s command alone" "/bin/sh -c 'sleep 0.3; echo OK - slept'" \
    -n "maint health + the 0.3 s command" "$maint --config $work/slow.toml health" >/dev/null
  cat "$work/command.md"
fi
