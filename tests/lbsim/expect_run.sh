#!/bin/sh
# Runs a command and checks what it left: its exit status, that its output
# (stdout and stderr together) matches each pattern, and that a folder does
# not exist afterwards.
# Usage: expect_run.sh --status N [--absent DIR] [--match ERE]... -- CMD...
set -u

status=""
absent=""
patterns_file=$(mktemp)
trap 'rm -f "$patterns_file" "$patterns_file.out"' EXIT

while [ $# -gt 0 ]; do
    case "$1" in
    --status) status=$2; shift 2 ;;
    --absent) absent=$2; shift 2 ;;
    --match) printf '%s\n' "$2" >> "$patterns_file"; shift 2 ;;
    --) shift; break ;;
    *) echo "expect_run.sh: unknown argument '$1'" >&2; exit 2 ;;
    esac
done
if [ -z "$status" ] || [ $# -eq 0 ]; then
    echo "expect_run.sh: usage: --status N [--absent DIR] [--match ERE]... -- CMD..." >&2
    exit 2
fi

if [ -n "$absent" ]; then
    rm -rf "$absent"
fi
"$@" > "$patterns_file.out" 2>&1
actual=$?
cat "$patterns_file.out"

failed=0
if [ "$actual" -ne "$status" ]; then
    echo "expect_run.sh: exit status $actual, expected $status" >&2
    failed=1
fi
while IFS= read -r pattern; do
    if ! grep -Eq -- "$pattern" "$patterns_file.out"; then
        echo "expect_run.sh: no output line matches: $pattern" >&2
        failed=1
    fi
done < "$patterns_file"
if [ -n "$absent" ] && [ -e "$absent" ]; then
    echo "expect_run.sh: $absent exists, expected no output folder" >&2
    failed=1
fi
exit $failed
