#!/bin/sh
# Writes a scenario with COUNT tenants on one instance and checks that
# lbsim validate accepts it. The loader must stay near linear in the number
# of tenants: CTest's TIMEOUT on this test fails a quadratic one.
# Usage: many_tenants.sh LBSIM WORKDIR COUNT
set -eu

lbsim=$1
work=$2
count=$3

rm -rf "$work"
mkdir -p "$work"
file="$work/many-tenants.yaml"
{
    echo "name: many-tenants"
    echo "duration: 10s"
    echo "topology:"
    echo "  components:"
    echo "    dev: {workers: 4, queue: 8}"
    echo "  instances:"
    echo "    - id: i1"
    echo "      components: [dev]"
    echo "      tenants:"
    awk -v n="$count" 'BEGIN { for (i = 0; i < n; i++) print "        - t" i }'
    echo "tenants:"
    awk -v n="$count" 'BEGIN { for (i = 0; i < n; i++) print "  t" i ": {rate: 0.01}" }'
} > "$file"

"$lbsim" validate "$file"
rm -rf "$work"
