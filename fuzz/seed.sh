#!/bin/sh
# Copies sample_data/ into every target's corpus (fuzz/corpus/<target>/), the seeds libFuzzer
# mutates from. Run from the repository root: fuzz/seed.sh
set -eu
cd "$(dirname "$0")"
for t in decode layout_tsv layout_csv layout_markdown layout_fixed layout_html layout_html_fast layout_stream form; do
    mkdir -p "corpus/$t"
    find ../sample_data -type f ! -name '*.expect.txt' -size -1000k -exec cp {} "corpus/$t/" \;
done
# The value reader gets indicator rows: value, level-3, level-2 (tab-separated) from the seeds.
mkdir -p corpus/value
i=0
for v in '≥60000人' '≤300元/学期' '2022年12月底前' '明显减轻' '≥95%' '１６，０００万元' '1e308' 'NaN' '90%以上' '不低于85分'; do
    i=$((i + 1))
    printf '%s\t参与学生人数\t数量指标' "$v" > "corpus/value/seed$i"
done
