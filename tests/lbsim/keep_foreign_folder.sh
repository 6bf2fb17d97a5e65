#!/bin/sh
# Checks that lbsim replaces only output folders that it wrote, which hold
# its .lbsim-output marker. A folder without the marker, even one with a
# summary.json, makes the run fail with exit status 2, keeps its files, and
# leaves no temporary folder beside it. A folder that lbsim wrote is
# replaced by the next run.
# Usage: keep_foreign_folder.sh LBSIM SCENARIO NAME WORKDIR
set -u

lbsim=$1
scenario=$2
name=$3
work=$4
failed=0

# Runs lbsim into a folder that contains the file $1 and checks it survives.
check_kept() {
    rm -rf "$work"
    mkdir -p "$work/$name"
    echo "keep me" > "$work/$name/$1"

    "$lbsim" run "$scenario" --out "$work" > "$work.out" 2>&1
    status=$?
    cat "$work.out"
    if [ "$status" -ne 2 ]; then
        echo "keep_foreign_folder.sh: $1: exit status $status, expected 2" >&2
        failed=1
    fi
    if ! grep -q "is not an lbsim output folder" "$work.out"; then
        echo "keep_foreign_folder.sh: $1: no message about the foreign folder" >&2
        failed=1
    fi
    if [ "$(cat "$work/$name/$1" 2>/dev/null)" != "keep me" ]; then
        echo "keep_foreign_folder.sh: $1: the foreign folder lost its file" >&2
        failed=1
    fi
    if [ "$(ls "$work")" != "$name" ]; then
        echo "keep_foreign_folder.sh: $1: left behind: $(ls "$work")" >&2
        failed=1
    fi
}

check_kept notes.txt
check_kept summary.json

rm -rf "$work"
if ! "$lbsim" run "$scenario" --out "$work" > "$work.out" 2>&1 ||
   ! "$lbsim" run "$scenario" --out "$work" > "$work.out" 2>&1; then
    cat "$work.out"
    echo "keep_foreign_folder.sh: a folder that lbsim wrote was not replaced" >&2
    failed=1
fi
if [ ! -f "$work/$name/.lbsim-output" ]; then
    echo "keep_foreign_folder.sh: no .lbsim-output marker in the outputs" >&2
    failed=1
fi
rm -rf "$work" "$work.out"
exit $failed
