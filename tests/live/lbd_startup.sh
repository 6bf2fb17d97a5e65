#!/bin/bash
# Integration test of lbd's start and stop around a slow provider list,
# without nginx (the test and reload commands are `true`):
#   - notifications that come while lbd waits for the list get 503 with
#     Retry-After, except dfm_ready, which gets 202 and reaches the
#     controller once it exists;
#   - SIGTERM while lbd waits for the list stops lbd and kills the list
#     command with everything it started;
#   - --help and conflicting options.
# Usage: lbd_startup.sh LBD FREE_PORTS
# Every process it starts is stopped on exit; all listen on 127.0.0.1.
set -u

LBD=$1
FREE_PORTS=$2
TMP=$(mktemp -d /tmp/lbsim-startup-XXXXXX)
LBD_PID=

note() {
    echo "[lbd_startup] $*" >&2
}

cleanup() {
    local status=$?
    if [ -n "$LBD_PID" ]; then
        kill -KILL "$LBD_PID" 2>/dev/null
        wait "$LBD_PID" 2>/dev/null
    fi
    for pidfile in "$TMP"/*.pid; do
        [ -s "$pidfile" ] && kill -KILL "$(cat "$pidfile")" 2>/dev/null
    done
    if [ $status -ne 0 ]; then
        echo "---- lbd log ----" >&2
        tail -n 40 "$TMP/lbd.log" >&2
    fi
    rm -rf "$TMP"
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
    local tries=$((timeout_s * 10))
    until "$@"; do
        tries=$((tries - 1))
        [ $tries -gt 0 ] || fail "timed out after ${timeout_s}s waiting for: $what"
        sleep 0.1
    done
}

read -r API DFM_PORT < <("$FREE_PORTS" 2 | tr '\n' ' ')
head -c 24 /dev/urandom | od -An -tx1 | tr -d ' \n' >"$TMP/token"
chmod 600 "$TMP/token"
AUTH="Authorization: Bearer $(cat "$TMP/token")"

# The list command records its pid and that of a background sleep, then
# waits (at most 20 s) until the test creates $TMP/go.
cat >"$TMP/provider.sh" <<PROVIDER
#!/bin/sh
case "\$1" in
list)
    echo \$\$ >"$TMP/list.pid"
    sleep 30 >/dev/null 2>&1 &
    echo \$! >"$TMP/child.pid"
    tries=0
    while [ ! -e "$TMP/go" ] && [ \$tries -lt 200 ]; do
        sleep 0.1
        tries=\$((tries + 1))
    done
    echo '{"instances": [{"id": "i1", "address": "127.0.0.1:$DFM_PORT"}]}'
    ;;
*)
    echo "not used by this test" >&2
    exit 1
    ;;
esac
PROVIDER
chmod +x "$TMP/provider.sh"

cat >"$TMP/lbd.conf" <<CONF
[lbd]
listen = 127.0.0.1:$API
token_file = $TMP/token
[components]
dev = / 1
[nginx]
test_command = true
reload_command = true
routes_file = $TMP/routes.conf
access_log = $TMP/access.log
[provider]
create = $TMP/provider.sh create {type} {request_id}
remove = $TMP/provider.sh remove {instance}
restart = $TMP/provider.sh restart {instance}
list = $TMP/provider.sh list
timeout_ms = 30000
[instances]
i1 = 127.0.0.1:$DFM_PORT dev t1
CONF
touch "$TMP/access.log"

# post PATH BODY: prints the status and keeps the headers in $TMP/headers.
post() {
    curl -s -m 5 -o /dev/null -D "$TMP/headers" -w '%{http_code}' -X POST \
        -H "$AUTH" -H 'Content-Type: application/json' -d "$2" \
        "http://127.0.0.1:$API$1"
}

api_up() {
    curl -s -m 1 -o /dev/null "http://127.0.0.1:$API/"
}

logged() {
    grep -q -- "$1" "$TMP/lbd.log"
}

pid_gone() {
    ! kill -0 "$1" 2>/dev/null
}

lbd_gone() {
    ! kill -0 "$LBD_PID" 2>/dev/null
}

note "options"
"$LBD" --help >"$TMP/help.out" 2>"$TMP/help.err" || fail "--help exited non-zero"
grep -q "usage: lbd" "$TMP/help.out" || fail "--help printed no usage on stdout"
[ -s "$TMP/help.err" ] && fail "--help wrote to stderr"
"$LBD" -c "$TMP/lbd.conf" --check --init-routes 2>"$TMP/both.err"
[ $? -eq 2 ] || fail "--check --init-routes was accepted"
grep -q "exclude each other" "$TMP/both.err" || fail "no message for --check --init-routes"
"$LBD" -c "$TMP/lbd.conf" --check 2>>"$TMP/lbd.log" || fail "--check rejected the test config"

note "notifications while the provider list runs"
"$LBD" -c "$TMP/lbd.conf" 2>>"$TMP/lbd.log" &
LBD_PID=$!
wait_for 10 "the API" api_up
wait_for 10 "the list command" test -s "$TMP/list.pid"
status=$(post /v1/dfm/overload '{"instance":"i1","cpu_permille":900,"window_ms":1000}')
[ "$status" = 503 ] || fail "overload during start-up: status $status, expected 503"
grep -qi '^Retry-After: 1' "$TMP/headers" || fail "503 without Retry-After"
status=$(post /v1/dfm/ready '{"instance":"i1"}')
[ "$status" = 202 ] || fail "ready during start-up: status $status, expected 202"
status=$(post /v1/tenants/created '{"tenant":"t5"}')
[ "$status" = 503 ] || fail "tenant during start-up: status $status, expected 503"
touch "$TMP/go"
wait_for 20 "lbd started" logged "event=started"
kill -0 "$LBD_PID" 2>/dev/null || fail "lbd died during start-up"
logged "event=dfm_ready instance=i1 deferred=1" || fail "the early ready was lost"
status=$(post /v1/dfm/overload '{"instance":"i1","cpu_permille":100,"window_ms":1000}')
[ "$status" = 200 ] || fail "overload after start-up: status $status"
status=$(post /v1/dfm/overload '{"instance":"i9","cpu_permille":100,"window_ms":1000}')
[ "$status" = 404 ] || fail "overload of an unknown instance: status $status"
status=$(post /v1/tenants/created '{"tenant":"t5","instance":"i1"}')
[ "$status" = 200 ] || fail "tenant_created after start-up: status $status"
kill -TERM "$LBD_PID"
wait_for 15 "lbd to stop" lbd_gone
wait "$LBD_PID"
[ $? -eq 0 ] || fail "lbd exited non-zero after SIGTERM"
LBD_PID=

note "SIGTERM while the provider list runs"
rm -f "$TMP/go" "$TMP/list.pid" "$TMP/child.pid"
"$LBD" -c "$TMP/lbd.conf" 2>>"$TMP/lbd.log" &
LBD_PID=$!
wait_for 10 "the list command" test -s "$TMP/child.pid"
LIST_PID=$(cat "$TMP/list.pid")
CHILD_PID=$(cat "$TMP/child.pid")
kill -TERM "$LBD_PID"
# The list would wait 20 s for $TMP/go; lbd must not wait for it.
wait_for 5 "lbd to stop during the list" lbd_gone
wait "$LBD_PID"
[ $? -eq 0 ] || fail "lbd exited non-zero after SIGTERM during the list"
LBD_PID=
wait_for 5 "the list command to be killed" pid_gone "$LIST_PID"
wait_for 5 "the list's background child to be killed" pid_gone "$CHILD_PID"
note "PASS"
