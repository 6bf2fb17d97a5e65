#!/bin/sh
# Runs one scenario twice with one seed and once with another, and checks
# that the first two output folders are byte-identical and that the other
# seed gives a different message trace.
# Usage: same_outputs.sh LBSIM SCENARIO NAME WORKDIR SEED OTHER_SEED
set -eu

lbsim=$1
scenario=$2
name=$3
work=$4
seed=$5
other=$6

rm -rf "$work"
"$lbsim" run "$scenario" --seed "$seed" --out "$work/a" > /dev/null
"$lbsim" run "$scenario" --seed "$seed" --out "$work/b" > /dev/null
"$lbsim" run "$scenario" --seed "$other" --out "$work/c" > /dev/null

files=$(ls -A "$work/a/$name")
if [ "$(ls -A "$work/b/$name")" != "$files" ]; then
    echo "same_outputs.sh: the two runs wrote different files" >&2
    exit 1
fi
for file in $files; do
    if ! cmp "$work/a/$name/$file" "$work/b/$name/$file"; then
        echo "same_outputs.sh: $file differs between two runs with seed $seed" >&2
        exit 1
    fi
done
echo "same_outputs.sh: $(echo "$files" | wc -l) files identical with seed $seed"

if cmp -s "$work/a/$name/trace.csv" "$work/c/$name/trace.csv"; then
    echo "same_outputs.sh: trace.csv is the same with seeds $seed and $other" >&2
    exit 1
fi
echo "same_outputs.sh: trace.csv differs with seed $other"
rm -rf "$work"
