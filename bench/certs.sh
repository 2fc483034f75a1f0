#!/usr/bin/env bash
# Benchmark for `maint certs check` (issue 6), side by side with the
# `openssl s_client` loop the maintenance guides use. Needs hyperfine,
# openssl and python3.
#
#   bash bench/certs.sh            # figures go to stdout, as markdown tables
#
# Goal: 200 local TLS endpoints of which 20 never answer, 3 s timeout: the
# whole run in at most 4 s (issue 6), about the timeout (issue 17), with the
# default 256 workers: the silent targets wait out one timeout together, and
# a target still waiting after 0.25 s gives its worker to the next one.
set -euo pipefail
cd "$(dirname "$0")/.."
cargo build --release --quiet
maint=$PWD/target/release/maint
work=$(mktemp -d)
trap 'kill "${server_pid:-0}" 2>/dev/null || true; rm -rf "$work"' EXIT

openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 400 \
  -subj /CN=bench-ca -keyout "$work/ca.key" -out "$work/ca.pem" 2>/dev/null
openssl req -new -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=localhost \
  -keyout "$work/leaf.key" -out "$work/leaf.csr" 2>/dev/null
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' > "$work/ext.cnf"
openssl x509 -req -in "$work/leaf.csr" -CA "$work/ca.pem" -CAkey "$work/ca.key" \
  -CAcreateserial -days 90 -extfile "$work/ext.cnf" -out "$work/leaf.pem" 2>/dev/null

python3 bench/tls_server.py "$work/leaf.pem" "$work/leaf.key" 180 20 "$work/ports" &
server_pid=$!
for _ in $(seq 100); do [ -s "$work/ports" ] && break; sleep 0.1; done

# Interleave: every tenth endpoint is silent.
mapfile -t answering < <(awk '$2 == "answering" {print $1}' "$work/ports")
mapfile -t silent < <(awk '$2 == "silent" {print $1}' "$work/ports")
{
  echo '[certs]'
  echo 'targets = ['
  a=0; s=0
  for i in $(seq 0 199); do
    if ((i % 10 == 9)); then port=${silent[s]}; s=$((s + 1)); else port=${answering[a]}; a=$((a + 1)); fi
    echo "  \"localhost:$port\","
    echo "localhost:$port" >> "$work/targets"
  done
  echo ']'
} > "$work/maint.toml"
cat > "$work/openssl-loop.sh" <<SH
while read -r target; do
  timeout 3 openssl s_client -connect "\$target" -servername localhost </dev/null 2>/dev/null \
    | openssl x509 -noout -enddate 2>/dev/null || echo "\$target: no answer"
done < $work/targets
SH

echo "## 200 TLS endpoints, 20 never answer, 3 s timeout (machine: $(nproc) cores)"
hyperfine --style basic --runs 5 -i --export-markdown "$work/maint.md" \
  "$maint --config $work/maint.toml certs check --timeout 3s --ca-file $work/ca.pem" >/dev/null
hyperfine --style basic --runs 1 -i --export-markdown "$work/openssl.md" \
  "bash $work/openssl-loop.sh" >/dev/null
cat "$work/maint.md"
tail -n 1 "$work/openssl.md"

echo
echo "## 180 answering endpoints only (no silent ones)"
head -n 1 "$work/maint.toml" > "$work/answering.toml"
echo 'targets = [' >> "$work/answering.toml"
for port in "${answering[@]}"; do echo "  \"localhost:$port\"," >> "$work/answering.toml"; done
echo ']' >> "$work/answering.toml"
hyperfine --style basic --warmup 1 --runs 10 -i --export-markdown "$work/answering.md" \
  "$maint --config $work/answering.toml certs check --timeout 3s --ca-file $work/ca.pem" >/dev/null
cat "$work/answering.md"
