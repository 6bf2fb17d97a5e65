#!/bin/bash
# End-to-end test of lbd: Debian's nginx, lbd and lbd-standin instances on
# loopback, with bounded curl traffic for four tenants. It checks the
# scenarios numbered 2-5 in scenarios/ and that lbd rebuilds its state
# after a restart:
#   2. overload: the heavy tenant moves to a new instance;
#   4. a crashed component: its tenant is routed around it and back;
#   5. a crashed instance: its tenant is routed around it and back after
#      the provider restarted it;
#   3. low load: an instance is folded in with zero failed requests
#      (after lbd was restarted and rebuilt its state).
# Usage: e2e.sh LBD STANDIN FREE_PORTS PROVIDER_SCRIPT
# Every process it starts is stopped on exit, also on failure. With
# E2E_KEEP set, the temporary folder with all logs is kept.
set -u

LBD=$1
STANDIN=$2
FREE_PORTS=$3
PROVIDER=$4
NGINX=${NGINX:-$(command -v nginx || echo /usr/sbin/nginx)}

TMP=$(mktemp -d /tmp/lbsim-e2e-XXXXXX)
START_S=$(date +%s)
NGINX_PID=
LBD_PID=
TRAFFIC_PIDS=()

note() {
    echo "[e2e +$(($(date +%s) - START_S))s] $*" >&2
}

cleanup() {
    local status=$?
    for pid in "${TRAFFIC_PIDS[@]}"; do
        kill "$pid" 2>/dev/null
    done
    if [ -n "$LBD_PID" ]; then
        kill -TERM "$LBD_PID" 2>/dev/null
        wait "$LBD_PID" 2>/dev/null
    fi
    for pidfile in "$TMP"/instances/*.pid; do
        [ -e "$pidfile" ] && kill -KILL "$(cat "$pidfile")" 2>/dev/null
    done
    if [ -n "$NGINX_PID" ]; then
        kill -QUIT "$NGINX_PID" 2>/dev/null
        wait "$NGINX_PID" 2>/dev/null
    fi
    if [ $status -ne 0 ]; then
        echo "---- lbd log (last 60 lines) ----" >&2
        tail -n 60 "$TMP/lbd.log" >&2
        echo "---- nginx error log ----" >&2
        tail -n 20 "$TMP/error.log" >&2
    fi
    if [ -n "${E2E_KEEP:-}" ]; then
        echo "kept $TMP" >&2
    else
        rm -rf "$TMP"
    fi
    exit $status
}
trap cleanup EXIT
trap 'exit 1' INT TERM

fail() {
    note "FAIL: $*"
    exit 1
}

# Polls "$@" every 0.1 s until it succeeds, for at most TIMEOUT_S seconds.
wait_for() {
    local timeout_s=$1 what=$2
    shift 2
    local deadline=$(($(date +%s) + timeout_s))
    until "$@"; do
        if [ "$(date +%s)" -ge $deadline ]; then
            fail "timed out after ${timeout_s}s waiting for: $what"
        fi
        sleep 0.1
    done
}

read -r FRONT STATUS API < <("$FREE_PORTS" 3 | tr '\n' ' ')
TOKEN_FILE=$TMP/token
head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$TOKEN_FILE"
chmod 600 "$TOKEN_FILE"
AUTH="Authorization: Bearer $(cat "$TOKEN_FILE")"
mkdir -p "$TMP/tmp" "$TMP/instances"

cat >"$TMP/provider.env" <<ENV
STANDIN='$STANDIN'
LBD_URL='http://127.0.0.1:$API'
TOKEN_FILE='$TOKEN_FILE'
ENV

cat >"$TMP/nginx.conf" <<CONF
pid $TMP/nginx.pid;
worker_processes 1;
events { worker_connections 512; }
http {
    client_body_temp_path $TMP/tmp;
    proxy_temp_path $TMP/tmp;
    fastcgi_temp_path $TMP/tmp;
    uwsgi_temp_path $TMP/tmp;
    scgi_temp_path $TMP/tmp;
    access_log off;
    include $TMP/lbsim-routes.conf;
    server {
        listen 127.0.0.1:$FRONT;
        location / {
            if (\$lbsim_route = "") { return 503; }
            proxy_pass http://\$lbsim_route;
            proxy_next_upstream off;
            access_log $TMP/access.log lbsim;
        }
    }
}
CONF

# The first instance runs before lbd starts, as in a deployment.
I1_ADDRESS=$("$PROVIDER" "$TMP" start i1 dev,dep | sed 's/.*"address":"\([^"]*\)".*/\1/')

cat >"$TMP/lbd.conf" <<CONF
[lbd]
listen = 127.0.0.1:$API
token_file = $TOKEN_FILE
log_level = info

[components]
dev = / 1
dep = /dep/ 2

[nginx]
binary = $NGINX
prefix = $TMP
conf = $TMP/nginx.conf
error_log = $TMP/error.log
pid_file = $TMP/nginx.pid
routes_file = $TMP/lbsim-routes.conf
access_log = $TMP/access.log
tenant_from = header
tenant_header = X-Tenant
status_listen = 127.0.0.1:$STATUS
log_poll_ms = 100
dropping_errors = 5
dropping_window_ms = 2000

[provider]
kind = command
create = $PROVIDER $TMP create {type} {request_id}
remove = $PROVIDER $TMP remove {instance}
restart = $PROVIDER $TMP restart {instance}
list = $PROVIDER $TMP list
timeout_ms = 20000

[instances]
i1 = $I1_ADDRESS dev,dep t1,t2,t3,t4

[policy]
instances_min = 1
instances_max = 3
overload_cooldown_us = 3000000
scale_in_cooldown_us = 1000000
warmup_us = 500000
routes_interval_min_us = 100000
request_timeout_us = 5000000
provider_timeout_us = 25000000
ready_timeout_us = 25000000
stop_grace_us = 3000000
component_stable_us = 1500000
CONF

"$LBD" -c "$TMP/lbd.conf" --check 2>>"$TMP/lbd.log" || fail "lbd --check rejected the config"
"$LBD" -c "$TMP/lbd.conf" --init-routes 2>>"$TMP/lbd.log" || fail "lbd --init-routes failed"
"$NGINX" -p "$TMP" -e "$TMP/error.log" -c "$TMP/nginx.conf" -g 'daemon off;' &
NGINX_PID=$!

start_lbd() {
    "$LBD" -c "$TMP/lbd.conf" 2>>"$TMP/lbd.log" &
    LBD_PID=$!
}
start_lbd
note "nginx on 127.0.0.1:$FRONT, lbd on 127.0.0.1:$API, i1 at $I1_ADDRESS"

# Prints the instance that served one request of TENANT, or the HTTP status
# when it failed.
served_by() {
    local out
    out=$(curl -s -m 3 -w ' %{http_code}' -H "X-Tenant: $1" \
        "http://127.0.0.1:$FRONT/${2:-}" 2>/dev/null)
    case $out in
    instance=*200)
        out=${out#instance=}
        echo "${out%% *}"
        ;;
    *) echo "status-${out##* }" ;;
    esac
}

served_by_is() {
    [ "$(served_by "$1")" = "$2" ]
}

served_elsewhere() {
    local who
    who=$(served_by "$1")
    [ "$who" != "$2" ] && [ "${who#status-}" = "$who" ]
}

# True when nginx confirmed the last table lbd sent, so that no worker with
# an older table accepts requests any more.
routes_settled() {
    local since version current
    # Only the log of the running lbd counts: versions restart at 1.
    since=$(grep -n 'event=api_listening ' "$TMP/lbd.log" | tail -n 1 | cut -d: -f1)
    current=$(tail -n +"${since:-1}" "$TMP/lbd.log")
    version=$(grep -o 'event=routes_send version=[0-9]*' <<<"$current" | tail -n 1)
    [ -n "$version" ] && grep -q "event=routes_applied ${version#event=routes_send }\$" <<<"$current"
}

# Waits until the check "$@" (served_by_is or served_elsewhere) passes, then
# until nginx applied lbd's last table, and checks it again.
wait_served() {
    local timeout_s=$1 what=$2
    shift 2
    wait_for "$timeout_s" "$what" "$@"
    wait_for 15 "nginx to apply lbd's last table" routes_settled
    "$@" || fail "$what: not so once nginx applied lbd's last table"
}

lbd_logged() {
    grep -q -- "$1" "$TMP/lbd.log"
}

# Checks that the lbd log contains these events in this order (others may
# come between).
lbd_sequence() {
    local line=0 next
    for event in "$@"; do
        next=$(tail -n +$((line + 1)) "$TMP/lbd.log" | grep -n -m1 -- "$event" | cut -d: -f1)
        [ -n "$next" ] || fail "lbd log: no \"$event\" after line $line"
        line=$((line + next))
    done
}

address_of() {
    cat "$TMP/instances/$1.addr"
}

# Sends a control call to the stand-in ID.
control() {
    curl -s -m 3 -o /dev/null -w '%{http_code}' -H "$AUTH" \
        -H 'Content-Type: application/json' -d "$3" \
        "http://$(address_of "$1")$2" | grep -q '^200$' || fail "control $1 $2"
}

# Background traffic: rounds of one request per tenant until STOP_FILE
# exists, at most 4000 rounds and 200 s. t1 gets four requests per round,
# so it is the heavy tenant. Writes "tenant status instance" lines to OUT.
traffic() {
    local out=$1 stop_file=$2 round=0 deadline=$(($(date +%s) + 200))
    while [ ! -e "$stop_file" ] && [ $round -lt 4000 ] && \
          [ "$(date +%s)" -lt $deadline ]; do
        for tenant in t1 t1 t1 t1 t2 t3 t4; do
            echo "$tenant $(served_by $tenant)" >>"$out"
        done
        round=$((round + 1))
    done
}

traffic_start() {
    rm -f "$TMP/traffic-$1.stop"
    : >"$TMP/traffic-$1.txt"
    traffic "$TMP/traffic-$1.txt" "$TMP/traffic-$1.stop" &
    TRAFFIC_PIDS+=($!)
}

traffic_stop() {
    touch "$TMP/traffic-$1.stop"
    wait "${TRAFFIC_PIDS[-1]}"
    unset 'TRAFFIC_PIDS[-1]'
}

failed_requests() {
    grep -c ' status-' "$TMP/traffic-$1.txt"
}

# Scenario 1: steady state, every tenant on i1.
wait_for 20 "lbd's first routing table" lbd_logged "event=routes_applied version=1"
for tenant in t1 t2 t3 t4; do
    wait_served 10 "$tenant served by i1" served_by_is $tenant i1
done
[ "$(served_by t2 dep/x)" = i1 ] || fail "dep request of t2 not served by i1"
note "scenario 1 passed: all tenants on i1"

# lbd's API turns away calls without the right token and malformed bodies,
# and keeps running.
api_status() {
    curl -s -m 3 -o /dev/null -w '%{http_code}' "$@" \
        -H 'Content-Type: application/json' \
        "http://127.0.0.1:$API/v1/dfm/overload"
}
[ "$(api_status -d '{"instance":"i1"}')" = 401 ] || fail "call without token not rejected"
[ "$(api_status -H 'Authorization: Bearer wrong-token-0123456789' \
    -d '{"instance":"i1"}')" = 401 ] || fail "call with a wrong token not rejected"
for body in '' '{' '[1]' '{"instance":"i1;x","cpu_permille":900,"window_ms":1}' \
    '{"instance":"i1","cpu_permille":"x","window_ms":1}' '{"instance":7}' \
    "$(printf '{"instance":"i1\\u0000"}')"; do
    [ "$(api_status -H "$AUTH" -d "$body")" = 400 ] || fail "body '$body' not rejected with 400"
done
kill -0 "$LBD_PID" || fail "lbd died on a malformed call"
lbd_logged "event=overload instance=i1" && fail "a rejected call reached the controller"
note "API checks passed: token required, malformed bodies get 400"
traffic_start load

# Scenario 2: i1 overloaded; the heavy tenant t1 moves to a new instance.
control i1 /v1/standin/load '{"cpu_permille":900}'
wait_served 60 "t1 moved off i1" served_elsewhere t1 i1
NEW=$(served_by t1)
case $NEW in n*) ;; *) fail "t1 is served by $NEW, not by a new instance" ;; esac
control i1 /v1/standin/load '{"cpu_permille":300}'
lbd_sequence "event=overload instance=i1" "event=stats_reply" \
    "event=instance_create " "event=instance_created .*instance=$NEW" \
    "event=dfm_ready instance=$NEW" "event=components_start instance=$NEW" \
    "event=components_started instance=$NEW" "event=routes_applied"
for tenant in t2 t3 t4; do
    [ "$(served_by $tenant)" = i1 ] || fail "$tenant left i1 in scenario 2"
done
note "scenario 2 passed: t1 moved to $NEW"

# Scenario 4: i1's dev crashes for 3 s; t2 goes around it and comes back.
control i1 /v1/standin/crash '{"component":"dev","down_ms":3000}'
wait_served 20 "t2 routed around i1's dev" served_elsewhere t2 i1
[ "$(served_by t2)" = "$NEW" ] || fail "t2 went to $(served_by t2), not $NEW"
wait_served 40 "t2 routed back to i1" served_by_is t2 i1
lbd_sequence "event=component_down instance=i1 component=dev" \
    "event=routes_applied" "event=component_up instance=i1 component=dev" \
    "event=routes_applied"
note "scenario 4 passed: t2 went to $NEW and back to i1"

# Scenario 5: the new instance crashes; t1 goes to i1 while the provider
# restarts it, then comes back.
kill -KILL "$(cat "$TMP/instances/$NEW.pid")"
wait_served 30 "t1 routed around crashed $NEW" served_by_is t1 i1
wait_served 60 "t1 back on restarted $NEW" served_by_is t1 "$NEW"
# The restarted DFM's ready and the provider's reply may come in either
# order.
lbd_sequence "event=instance_dropping instance=$NEW" \
    "event=instance_restart request_id=.*subject=$NEW" \
    "event=instance_restarted .*instance=$NEW"
lbd_sequence "event=instance_restart request_id=.*subject=$NEW" \
    "event=dfm_ready instance=$NEW" "event=components_started instance=$NEW" \
    "event=routes_applied"
note "scenario 5 passed: t1 went to i1 and back to $NEW"
traffic_stop load

# Restart: lbd stops gracefully and rebuilds its state from nginx's routes
# file and the provider's list: t1 on the new instance, the rest on i1.
kill -TERM "$LBD_PID"
wait "$LBD_PID" || fail "lbd exited with an error on SIGTERM"
LBD_PID=
grep -q "event=stopped" "$TMP/lbd.log" || fail "lbd did not log its stop"
start_lbd
wait_for 20 "lbd restored $NEW from the routes file" \
    lbd_logged "event=instance_restored instance=$NEW .*tenants=1 source=routes_file"
wait_for 20 "lbd restored i1 from the routes file" \
    lbd_logged "event=instance_restored instance=i1 .*tenants=3 source=routes_file"
wait_for 20 "lbd's first table after the restart" routes_settled
wait_served 10 "t1 served by $NEW after the restart" served_by_is t1 "$NEW"
for tenant in t2 t3 t4; do
    wait_served 10 "$tenant served by i1 after the restart" served_by_is $tenant i1
done
note "restart passed: lbd rebuilt its state"

# Scenario 3: the new instance idles; it is folded into i1 while traffic
# runs, and not one request fails.
traffic_start move
control i1 /v1/standin/load '{"cpu_permille":300}'
control "$NEW" /v1/standin/load '{"cpu_permille":50}'
wait_for 90 "$NEW removed" lbd_logged "event=instance_removed request_id=[0-9]* instance=$NEW"
wait_served 10 "t1 on i1" served_by_is t1 i1
# A few more rounds of traffic once the instance is gone.
sent_at_removal=$(wc -l <"$TMP/traffic-move.txt")
traffic_grew() {
    [ "$(wc -l <"$TMP/traffic-move.txt")" -ge $((sent_at_removal + 28)) ]
}
wait_for 20 "traffic after the removal" traffic_grew
traffic_stop move
lbd_sequence "event=low_load instance=$NEW" "event=routes_applied" \
    "event=components_stop instance=$NEW" \
    "event=components_stopped instance=$NEW" \
    "event=instance_remove request_id=.*subject=$NEW" \
    "event=instance_removed .*instance=$NEW"
sent=$(wc -l <"$TMP/traffic-move.txt")
failed=$(failed_requests move)
[ "$sent" -ge 50 ] || fail "only $sent requests were sent during the move"
[ "$failed" -eq 0 ] || fail "$failed of $sent requests failed during the planned move"
[ -e "$TMP/instances/$NEW.pid" ] && fail "$NEW still runs after its removal"
note "scenario 3 passed: $NEW removed, $sent requests, none failed"

note "all scenarios passed in $(($(date +%s) - START_S))s"
