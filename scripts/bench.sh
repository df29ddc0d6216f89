#!/usr/bin/env bash
# Benchmark (make bench): generated corpora of 5,000 and 50,000 files (cached under
# ~/.cache/jixiao-bench), each ingested with 2 threads and with 1, then re-run unchanged;
# the read, read+decode and write floors measured in-process in the same run; the Python baseline
# (../shared/tools/pyref) on the 5,000-file corpus when its venv is there.
#   scripts/bench.sh [SIZES...]   (default: 5000 50000); BENCH_RUNS=3 runs each, medians shown
set -euo pipefail
cd "$(dirname "$0")/.."
bin=${CARGO_TARGET_DIR:-target}/release/jixiao
cargo build --release --locked >&2
cache=${JIXIAO_BENCH_CACHE:-$HOME/.cache/jixiao-bench}
runs=${BENCH_RUNS:-3}
pyenv=${PYREF_VENV:-$HOME/.cache/jixiao-pyref}
pyref=../shared/tools/pyref/pyref.py
work=$(mktemp -d -t jixiao-bench.XXXXXX)
trap 'rm -rf "$work"' EXIT

median() { sort -g | awk '{ v[NR] = $1 } END { print (NR % 2) ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }
# One timed command: "wall_s cpu_s peak_rss_kb" (exit 1 = some files partial: a finished run).
timed() { /usr/bin/time -f '%e %U %S %M' -o "$work/time" "$@" > /dev/null 2>&1 || [ $? -eq 1 ]; awk '{ print $1, $2 + $3, $4 }' "$work/time"; }
# Field N of several "timed" lines, as a median.
col() { awk -v n="$1" '{ print $n }' | median; }
# A value from the last run summary under OUT.
summary() { python3 -c "import json,glob,sys; d=json.load(open(sorted(glob.glob(sys.argv[1]+'/runs/*.json'))[-1])); print(eval(sys.argv[2]))" "$1" "$2"; }

for size in "${@:-5000 50000}"; do
  for n in $size; do
    corpus=$cache/corpus-$n
    if [ ! -f "$corpus.done" ]; then
      rm -rf "$corpus"
      "$bin" bench-corpus "$corpus" --files "$n" --seed 1 >&2
      touch "$corpus.done"
    fi
    mb=$(find "$corpus" -type f -printf '%s\n' | awk '{ s += $1 } END { printf "%.1f", s / 1e6 }')
    echo "== $n files, $mb MB (seed 1, $runs runs each, medians) =="
    : > "$work/j2"; : > "$work/j1"; : > "$work/re"; : > "$work/stages"; : > "$work/floor"; : > "$work/write"
    for _ in $(seq "$runs"); do
      rm -rf "$work/out"
      timed "$bin" ingest "$corpus" --out "$work/out" --jobs 2 --full >> "$work/j2"
      summary "$work/out" "' '.join('%s=%.2fs/%.2fcpu' % (k, v, d.get('stage_cpu_seconds', {}).get(k, float('nan'))) for k, v in sorted(d['stage_seconds'].items())) + '  peak RSS: ' + ' '.join('%s=%.0fMB' % (k, v / 1e6) for k, v in sorted(d.get('stage_peak_rss_bytes', {}).items()))" >> "$work/stages"
      timed "$bin" ingest "$corpus" --out "$work/out" --jobs 2 >> "$work/re"
      rm -rf "$work/out"
      timed "$bin" ingest "$corpus" --out "$work/out" --jobs 1 --full >> "$work/j1"
      "$bin" bench-floor "$corpus" --jobs 2 >> "$work/floor"
      "$bin" bench-write "$work/out/current" --jobs 2 >> "$work/write"
    done
    ok=$(summary "$work/out" "'%d ok, %d partial, %d rejected, %d tables' % (d['ok'], d['partial'], d['rejected'], d['tables'])")
    w2=$(col 1 < "$work/j2"); c2=$(col 2 < "$work/j2"); r2=$(col 3 < "$work/j2")
    w1=$(col 1 < "$work/j1"); r1=$(col 3 < "$work/j1"); wre=$(col 1 < "$work/re")
    med() { python3 -c "import json,sys; v=sorted(json.loads(l)[sys.argv[2]] for l in open(sys.argv[1])); print(v[len(v)//2])" "$@"; }
    fr=$(med "$work/floor" read_seconds); fd=$(med "$work/floor" read_decode_seconds)
    wr=$(med "$work/write" run_cpu_seconds); wl=$(med "$work/write" lean_cpu_seconds)
    wrb=$(med "$work/write" run_bytes); wlb=$(med "$work/write" lean_bytes)
    awk -v n="$n" -v mb="$mb" -v w2="$w2" -v c2="$c2" -v r2="$r2" -v w1="$w1" -v r1="$r1" -v re="$wre" -v fr="$fr" -v fd="$fd" -v ok="$ok" -v wr="$wr" -v wl="$wl" -v wrb="$wrb" -v wlb="$wlb" 'BEGIN {
      printf "result          %s\n", ok
      printf "2 threads       %7.2f s wall  %6.2f CPU-s  %8.0f files/s  %6.1f MB/s  peak RSS %4.0f MB\n", w2, c2, n / w2, mb / w2, r2 / 1024
      printf "1 thread        %7.2f s wall                 %8.0f files/s  %6.1f MB/s  peak RSS %4.0f MB\n", w1, n / w1, mb / w1, r1 / 1024
      printf "1 -> 2 threads  %7.2fx\n", w1 / w2
      printf "floor (2 thr.)  read %.3f s (%.0f MB/s), read+decode %.3f s (%.0f MB/s); run / read+decode floor %.1fx\n", fr, mb / fr, fd, mb / fd, w2 / fd
      printf "write floor     the parts encoded again in memory: %.3f CPU-s as the run writes them (%.1f MB), %.3f CPU-s with no dictionary, statistics or compression (%.1f MB)\n", wr, wrb / 1e6, wl, wlb / 1e6
      printf "3x floor budget %.3f s wall = %.3f CPU-s on 2 threads, of which the write floor alone takes %.0f%%\n", 3 * fd, 6 * fd, 100 * (wl < wr ? wl : wr) / (6 * fd)
      printf "unchanged rerun %7.3f s = %.1f%% of the full run\n", re, 100 * re / w2
    }'
    echo "stages (2 threads, per run; wall s/CPU-s): $(sort "$work/stages" | sed -n "$(( (runs + 1) / 2 ))p")"
    if [ "$n" = 5000 ] && [ -x "$pyenv/bin/python" ] && [ -f "$pyref" ]; then
      : > "$work/py"
      for _ in $(seq "$runs"); do rm -rf "$work/pyout"; timed "$pyenv/bin/python" "$pyref" "$corpus" "$work/pyout" --jobs 2 >> "$work/py"; done
      pw=$(col 1 < "$work/py"); pc=$(col 2 < "$work/py"); pr=$(col 3 < "$work/py")
      awk -v pw="$pw" -v pc="$pc" -v pr="$pr" -v w2="$w2" -v mb="$mb" 'BEGIN {
        printf "pyref (2 proc.) %7.2f s wall  %6.2f CPU-s  %6.1f MB/s  peak RSS %4.0f MB; jixiao is %.1fx faster\n", pw, pc, mb / pw, pr / 1024, pw / w2 }'
    fi
  done
done
