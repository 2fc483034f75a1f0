#!/usr/bin/env bash
# Fuzzes the archive reader for a bounded time (issue 11); not run in CI.
# The target, fuzz/fuzz_targets/archive_reader.rs, feeds arbitrary bytes to
# maint::storage::archive::read_from (gzip, tar headers, PAX records, GNU
# long names and sparse maps, the manifest) as a gzip stream and as tar
# behind one.
#
#   bash bench/fuzz.sh                      # 60 s
#   FUZZ_SECONDS=600 bash bench/fuzz.sh
#
# Needs a nightly toolchain (rustup toolchain install nightly) and
# cargo-fuzz, which is installed when missing (cargo install cargo-fuzz).
# Without a nightly toolchain it says so and only replays the corpus
# through the target built as a plain program (cargo run): that catches a
# regression on inputs already found, not new ones.
#
# The corpus grows in fuzz/corpus/archive_reader, seeded on the first run
# with archives made by GNU tar (posix, gnu, ustar and v7 formats, sparse
# files, long and non-UTF-8 names, links) and by maint. A crash or hang is
# saved in fuzz/artifacts/archive_reader; replay one with
#   cargo run --manifest-path fuzz/Cargo.toml --bin archive_reader -- FILE
set -euo pipefail
cd "$(dirname "$0")/.."
seconds=${FUZZ_SECONDS:-60}
target=archive_reader
corpus=$PWD/fuzz/corpus/$target
mkdir -p "$corpus" "fuzz/artifacts/$target"

seed() {
  local work tree
  work=$(mktemp -d /tmp/maint-fuzz-seed.XXXXXX)
  # shellcheck disable=SC2064 # expand now: $work is local
  trap "rm -rf '$work'" RETURN
  tree=$work/t
  mkdir -p "$tree/dir/sub" "$work/dest"
  printf 'hello\n' >"$tree/dir/file"
  printf 'odd' >"$tree/$(printf 'caf\351\nname')"
  ln -s ../file "$tree/dir/sub/link"
  ln -s "$(printf '/abs/\377target')" "$tree/odd-link"
  ln "$tree/dir/file" "$tree/hard"
  printf 'long' >"$tree/dir/$(printf 'l%.0s' $(seq 150))"
  truncate -s 1M "$tree/sparse"
  printf 'data' | dd of="$tree/sparse" bs=1 seek=600000 conv=notrunc status=none
  mkfifo "$tree/fifo"
  python3 -c 'import os, sys; os.setxattr(sys.argv[1], "user.seed", b"v\n\0")' "$tree/dir/file" 2>/dev/null || true
  touch -d '1960-01-01 00:00:00.5' "$tree/dir/file"
  for format in posix gnu; do
    tar --format=$format --xattrs -S -cf "$corpus/$format.tar" -C "$work" t
    gzip -c "$corpus/$format.tar" >"$corpus/$format.tar.gz"
  done
  tar --format=ustar -cf "$corpus/ustar.tar" -C "$tree" dir hard fifo 2>/dev/null || true
  tar --format=v7 -cf "$corpus/v7.tar" -C "$tree" dir hard 2>/dev/null || true
  if cargo build --quiet --bin maint; then
    target/debug/maint -q backup create --source "$tree" --dest "$work/dest" --name seed
    cp "$work"/dest/seed-*.tar.gz "$corpus/maint.tar.gz"
    gzip -dc "$corpus/maint.tar.gz" >"$corpus/maint.tar"
  fi
}
[ -n "$(ls -A "$corpus")" ] || seed

if rustup run nightly rustc --version >/dev/null 2>&1; then
  cargo fuzz --version >/dev/null 2>&1 || cargo install cargo-fuzz --locked
  cd fuzz
  # -timeout: an input that takes this long is a hang; -rss_limit_mb: the
  # reader must stay small whatever a header asks for.
  cargo +nightly fuzz run "$target" -- \
    -max_total_time="$seconds" -timeout=10 -rss_limit_mb=2048 -max_len=65536
else
  echo "fuzz.sh: no nightly toolchain, so no fuzzing: replaying the corpus through a plain build instead (rustup toolchain install nightly to fuzz)" >&2
  cargo run --manifest-path fuzz/Cargo.toml --bin "$target" -- "$corpus"
fi
