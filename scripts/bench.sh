#!/usr/bin/env bash
# Benchmark: a corpus made of COPIES × sample_data, ingested full, then re-run unchanged, then
# re-run after one file changed. Prints the times and their ratios (one run, one machine:
# read the ratios, not the absolute seconds).
#   scripts/bench.sh [COPIES]   (default 200)
set -euo pipefail
cd "$(dirname "$0")/.."
copies=${1:-200}
bin=${CARGO_TARGET_DIR:-target}/release/jixiao
[ -x "$bin" ] || cargo build --release --locked
work=$(mktemp -d -t jixiao-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT
for i in $(seq 1 "$copies"); do
  mkdir -p "$work/in/batch_$i"
  cp -r sample_data/corpus sample_data/realworld sample_data/layouts sample_data/dongguan_2020_seed.txt "$work/in/batch_$i/"
done
files=$(find "$work/in" -type f | wc -l)
bytes=$(du -sb "$work/in" | cut -f1)
# Exit 1 (some sample files are partial or rejected on purpose) is a finished run.
t() { local s e; s=$(date +%s.%N); "$@" > /dev/null || [ $? -eq 1 ]; e=$(date +%s.%N); awk -v a="$s" -v b="$e" 'BEGIN { print b - a }'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.3f", a / b }'; }
full=$(t "$bin" ingest "$work/in" --out "$work/out")
same=$(t "$bin" ingest "$work/in" --out "$work/out")
printf '\n' >> "$work/in/batch_1/dongguan_2020_seed.txt"
one=$(t "$bin" ingest "$work/in" --out "$work/out")
rebuild=$(t "$bin" ingest "$work/in" --out "$work/out" --full)
echo "corpus: $files files, $((bytes / 1000000)) MB"
printf 'full ingest           %8.3f s  (%s MB/s)\n' "$full" "$(ratio "$((bytes / 1000))" "$(awk -v f="$full" 'BEGIN { print f * 1000 }')")"
printf 'unchanged rerun       %8.3f s  %s of full\n' "$same" "$(ratio "$same" "$full")"
printf 'one file changed      %8.3f s  %s of full\n' "$one" "$(ratio "$one" "$full")"
printf 'full rebuild (--full) %8.3f s  %s of full\n' "$rebuild" "$(ratio "$rebuild" "$full")"
