#!/bin/sh
# Runs clones/clones-follow-original.yaml and checks that each trace clone
# starts on its original's instance unless the file places it, and that
# every clone's requests are served.
# Usage: clones_placed.sh LBSIM SCENARIO WORKDIR
set -eu

lbsim=$1
scenario=$2
work=$3

rm -rf "$work"
"$lbsim" validate "$scenario"
"$lbsim" run "$scenario" --out "$work"
out="$work/clones-follow-original"

# The routes of the first routes_apply, at the first time in placement.csv.
first=$(sed -n 2p "$out/placement.csv" | cut -d, -f1)
status=0
for expected in a-c1:i1 a-c2:i1 b-c1:i1 c-c1:i1 c-c2:i1 b-c2:i2; do
    tenant=${expected%%:*}
    instance=${expected#*:}
    if ! grep -qx "$first,$tenant,dev,$instance" "$out/placement.csv"; then
        echo "FAIL: $tenant is not on $instance at ${first}s in placement.csv" >&2
        status=1
    fi
done

# tenants.csv: tenant,requests,failed,... with one row per tenant.
for tenant in a-c1 a-c2 b-c1 b-c2 c-c1 c-c2; do
    row=$(grep "^$tenant," "$out/tenants.csv" || true)
    requests=$(echo "$row" | cut -d, -f2)
    failed=$(echo "$row" | cut -d, -f3)
    if [ -z "$row" ] || [ "$requests" -eq 0 ] || [ "$failed" -ne 0 ]; then
        echo "FAIL: $tenant sent no requests or some failed: '$row'" >&2
        status=1
    fi
done

rm -rf "$work"
exit $status
