#!/bin/sh
# Writes a synthetic lbsim run folder shaped like topology scenario 2, for
# the plot tests. Instance i1 overloads (85-95 % CPU) and the controller
# requests a second instance. i2 becomes active at the given time and the
# four heaviest of 50 tenants move there, after which i1 falls to about 50 %.
#
# Usage: make_fixture.sh OUTDIR [ACTIVE_S]   (ACTIVE_S: when i2 is active,
# default 60). The folders under tests/plots/ were made with ACTIVE_S 60
# (fixture) and 100 (fixture-late). The noise is a fixed function of time,
# so the output is the same on every machine.
set -eu

out=$1
active_s=${2:-60}
mkdir -p "$out"

awk -v out="$out" -v active="$active_s" '
# A fixed pseudo-random value in [-1, 1) for time t and stream k.
function noise(t, k,    x) { x = sin(t * 12.9898 + k * 78.233) * 43758.5453; return 2 * (x - int(x) >= 0 ? x - int(x) : x - int(x) + 1) - 1 }
function max(a, b) { return a > b ? a : b }
BEGIN {
    duration = 180; tenants = 50; moved = 4
    ask = active - 22; route = active + 1

    # Zipf-like request weights: tenant 1 is the heaviest.
    total_w = 0
    for (i = 1; i <= tenants; i++) { w[i] = 1 / i; total_w += w[i] }
    moved_w = 0
    for (i = 1; i <= moved; i++) moved_w += w[i]

    ts = out "/timeseries.csv"; inst = out "/instances.csv"
    print "time_s,instances,requests_per_s,errors_per_s,latency_p50_ms,latency_p95_ms,latency_p99_ms,routing_changes,pending_provider_requests" > ts
    print "time_s,instance,state,cpu_percent,requests_per_s" > inst
    for (t = 0; t <= duration; t++) {
        rps = 480 + 20 * noise(t, 1)
        if (t >= 20) rps += 60
        overloaded = (t >= 25 && t < route)
        if (t < 25)          cpu1 = 62 + 3 * noise(t, 2)
        else if (t < route)  cpu1 = 90 + 5 * noise(t, 3)
        else                 cpu1 = 50 + 4 * noise(t, 4)
        rps1 = t < route ? rps : rps * (1 - moved_w / total_w)
        printf "%d,i1,active,%.1f,%.1f\n", t, cpu1, rps1 > inst
        n = 1; pending = (t >= ask && t < active) ? 1 : 0
        if (t >= active - 8) {
            state = t < active - 3 ? "provisioning" : (t < active ? "starting" : "active")
            cpu2 = t < route ? 2 : 41 + 4 * noise(t, 5)
            rps2 = t < route ? 0 : rps - rps1
            printf "%d,i2,%s,%.1f,%.1f\n", t, state, cpu2, rps2 > inst
            if (t >= active) n = 2
        }
        p50 = overloaded ? 45 + 10 * noise(t, 6) : 18 + 2 * noise(t, 7)
        p95 = overloaded ? 210 + 40 * noise(t, 8) : 55 + 5 * noise(t, 9)
        p99 = overloaded ? 420 + 60 * noise(t, 10) : 90 + 8 * noise(t, 11)
        errs = overloaded && t > 35 ? max(0, 6 + 5 * noise(t, 12)) : 0
        printf "%d,%d,%.1f,%.1f,%.1f,%.1f,%.1f,%d,%d\n", t, n, rps, errs, p50, p95, p99, t == route ? 1 : 0, pending > ts
    }

    act = out "/actions.csv"
    print "time_s,action,instance,detail" > act
    printf "%d,scale_out,i2,\"overload of i1 at 91%% CPU, moving %d tenants\"\n", ask, moved > act
    printf "%d,route_change,i2,\"%d tenants to i2\"\n", route, moved > act

    pl = out "/placement.csv"
    print "time_s,tenant,component,instance" > pl
    split("DEV DEP DFC", comp, " ")
    for (i = 1; i <= tenants; i++)
        for (c = 1; c <= 3; c++) printf "0,t%02d,%s,i1\n", i, comp[c] > pl
    for (i = 1; i <= tenants; i++)
        for (c = 1; c <= 3; c++) printf "%d,t%02d,%s,%s\n", route, i, comp[c], i <= moved ? "i2" : "i1" > pl

    tn = out "/tenants.csv"
    print "tenant,requests,failed,failed_queue_full,failed_process_down,failed_timeout,failed_killed,latency_mean_ms,latency_p99_ms" > tn
    for (i = 1; i <= tenants; i++) {
        req = int(95000 * w[i] / total_w + 0.5)
        failed = int(req * 0.004 + 0.5)
        printf "t%02d,%d,%d,%d,0,%d,0,%.1f,%.1f\n", i, req, failed, failed - int(failed / 4), int(failed / 4), 30 + i % 7, 250 + 3 * (i % 11) > tn
    }

    tr = out "/trace.csv"
    print "time_us,from,to,kind,request_id,fate,fields" > tr
    printf "%d,dfm-i1,lb,overload,,delivered,\"cpu_permille=912 window_us=10000000\"\n", (ask - 2) * 1000000 > tr
    printf "%d,lb,nginx,stats_request,1,delivered,\n", (ask - 2) * 1000000 + 500 > tr
    printf "%d,lb,provider,instance_create,2,delivered,\"type=worker\"\n", ask * 1000000 > tr
    printf "%d,nginx,lb,routes_applied,3,delivered,\"version=2\"\n", route * 1000000 > tr

    sj = out "/summary.json"
    printf "{\n  \"seed\": 42,\n  \"duration_s\": %d,\n  \"policy\": {\n    \"overload_cpu_permille\": 850,\n    \"max_instances\": 4\n  },\n  \"requests\": 95000,\n  \"failed\": 380\n}\n", duration > sj
}'
