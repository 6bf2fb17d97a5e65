#!/bin/sh
# Checks that lbsim does not replace an output folder it did not write: the
# run fails with exit status 2, the folder keeps its file, and no temporary
# folder is left beside it.
# Usage: keep_foreign_folder.sh LBSIM SCENARIO NAME WORKDIR
set -u

lbsim=$1
scenario=$2
name=$3
work=$4

rm -rf "$work"
mkdir -p "$work/$name"
echo "keep me" > "$work/$name/notes.txt"

"$lbsim" run "$scenario" --out "$work" > "$work.out" 2>&1
status=$?
cat "$work.out"
failed=0
if [ "$status" -ne 2 ]; then
    echo "keep_foreign_folder.sh: exit status $status, expected 2" >&2
    failed=1
fi
if ! grep -q "is not an lbsim output folder" "$work.out"; then
    echo "keep_foreign_folder.sh: no message about the foreign folder" >&2
    failed=1
fi
if [ "$(cat "$work/$name/notes.txt" 2>/dev/null)" != "keep me" ]; then
    echo "keep_foreign_folder.sh: the foreign folder lost its file" >&2
    failed=1
fi
if [ "$(ls "$work")" != "$name" ]; then
    echo "keep_foreign_folder.sh: left behind: $(ls "$work")" >&2
    failed=1
fi
rm -rf "$work" "$work.out"
exit $failed
