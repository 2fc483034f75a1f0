# Sourced by the backup benchmarks: `tree` is the folder to back up, made
# with shared/bench/gentree.sh at scale 512 when it is missing.
if [ ! -d "$tree" ]; then
  gentree=""
  for candidate in ../shared/bench/gentree.sh ../../shared/bench/gentree.sh /work/shared/bench/gentree.sh; do
    [ -f "$candidate" ] && gentree=$candidate && break
  done
  [ -n "$gentree" ] || { echo "gentree.sh not found; pass a TREE" >&2; exit 3; }
  bash "$gentree" "$tree" 512
fi
