#!/bin/sh
# A provider for the real-mode tests: "instances" are lbd-standin processes
# on loopback. lbd runs it as
#   provider.sh STATE_DIR create TYPE REQUEST_ID
#   provider.sh STATE_DIR remove INSTANCE
#   provider.sh STATE_DIR restart INSTANCE
#   provider.sh STATE_DIR list
# and the test itself as "provider.sh STATE_DIR start ID RUNNING_COMPONENTS"
# for the first instance. STATE_DIR/provider.env sets STANDIN, LBD_URL and
# TOKEN_FILE. Each reply is one JSON object on stdout.
set -eu

dir=$1
op=$2
shift 2
. "$dir/provider.env"
mkdir -p "$dir/instances"

# Starts a stand-in: ID, then --port PORT or nothing, then --running LIST or
# nothing. Its output goes to a log file, never to our stdout, which lbd
# reads to the end.
launch() {
    id=$1
    shift
    rm -f "$dir/instances/$id.addr"
    "$STANDIN" --id "$id" --lbd-url "$LBD_URL" --token-file "$TOKEN_FILE" \
        --component dev:1 --component dep:2 --window-ms 1000 \
        --address-file "$dir/instances/$id.addr" "$@" \
        >>"$dir/instances/$id.log" 2>&1 </dev/null &
    echo $! >"$dir/instances/$id.pid"
    tries=0
    while [ ! -s "$dir/instances/$id.addr" ]; do
        tries=$((tries + 1))
        if [ $tries -gt 200 ]; then
            echo "stand-in $id did not start; see $dir/instances/$id.log" >&2
            exit 1
        fi
        sleep 0.05
    done
}

alive() {
    [ -f "$dir/instances/$1.pid" ] && kill -0 "$(cat "$dir/instances/$1.pid")" 2>/dev/null
}

# Stops a stand-in with SIGNAL and waits (bounded) until it is gone.
stop() {
    id=$1
    signal=$2
    if alive "$id"; then
        pid=$(cat "$dir/instances/$id.pid")
        kill "-$signal" "$pid" 2>/dev/null || true
        tries=0
        while kill -0 "$pid" 2>/dev/null && [ $tries -lt 200 ]; do
            tries=$((tries + 1))
            sleep 0.05
        done
    fi
}

answer() {
    printf '{"id":"%s","address":"%s"}\n' "$1" "$(cat "$dir/instances/$1.addr")"
}

case $op in
start)
    launch "$1" --running "$2"
    answer "$1"
    ;;
create)
    # The request id makes the create idempotent: a repeat gets the same one.
    id="n$2"
    if ! alive "$id"; then
        launch "$id"
    fi
    answer "$id"
    ;;
remove)
    stop "$1" TERM
    rm -f "$dir/instances/$1.pid" "$dir/instances/$1.addr"
    echo '{}'
    ;;
restart)
    if [ ! -f "$dir/instances/$1.addr" ]; then
        echo "unknown instance $1" >&2
        exit 1
    fi
    port=$(sed 's/.*://' "$dir/instances/$1.addr")
    stop "$1" KILL
    launch "$1" --port "$port"
    answer "$1"
    ;;
list)
    printf '{"instances":['
    sep=
    for pidfile in "$dir"/instances/*.pid; do
        [ -e "$pidfile" ] || continue
        id=$(basename "$pidfile" .pid)
        if alive "$id"; then
            printf '%s{"id":"%s","address":"%s"}' "$sep" "$id" \
                "$(cat "$dir/instances/$id.addr")"
            sep=,
        fi
    done
    printf ']}\n'
    ;;
*)
    echo "unknown operation $op" >&2
    exit 2
    ;;
esac
