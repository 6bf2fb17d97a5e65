#!/bin/sh
# Runs one scenario with two seeds, draws the runs side by side with
# 'lbsim plot --compare' and checks that a PNG and an SVG with data paths
# were written, and that --compare with one folder is rejected.
# Usage: compare_plot.sh LBSIM SCENARIO NAME WORKDIR
set -eu

lbsim=$1
scenario=$2
name=$3
work=$4

rm -rf "$work"
"$lbsim" run "$scenario" --seed 1 --out "$work/a" > /dev/null
"$lbsim" run "$scenario" --seed 2 --out "$work/b" > /dev/null
"$lbsim" plot --compare "$work/side" "$work/a/$name" "$work/b/$name"

signature=$(od -An -tx1 -N8 "$work/side.png" | tr -d ' \n')
if [ "$signature" != "89504e470d0a1a0a" ]; then
    echo "compare_plot.sh: side.png has no PNG signature ($signature)" >&2
    exit 1
fi
paths=$(grep -c '<path' "$work/side.svg" || true)
if [ "$paths" -lt 20 ]; then
    echo "compare_plot.sh: side.svg has $paths paths, expected at least 20" >&2
    exit 1
fi

status=0
"$lbsim" plot --compare "$work/one" "$work/a/$name" 2> /dev/null || status=$?
if [ "$status" -ne 2 ]; then
    echo "compare_plot.sh: --compare with one folder exited $status, expected 2" >&2
    exit 1
fi
echo "compare_plot.sh: side-by-side plot written with $paths SVG paths"
rm -rf "$work"
