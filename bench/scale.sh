#!/usr/bin/env bash
# neptun at scale: stores of 100k and 1M synthetic items (bench/gen_items,
# kept in $STORE_DIR and reused), then for each: start-up time, resident
# memory after a load, uncached feed and search latency, and the query
# plans; on the smallest store also 10k idle keep-alive connections held
# during an active load, and a memory soak.  Prints a table at the end.
#
#   bench/scale.sh              full run (soak 300 s)
#   QUICK=1 bench/scale.sh      30 s soak, fewer samples
#
# Environment: BUILD (build dir), SIZES ("100000 1000000"), STORE_DIR,
# SOAK_SECONDS, SOAK_INTERVAL, IDLE_CONNS (0 skips that test), LAT_N and
# LAT_SECONDS (requests per latency run, and its time cap), RESULTS_OUT (a
# file the figures are appended to, for bench/targets.py).
#
# Uncached latency is measured over HTTP with a unique query parameter per
# request (the cache key is the whole URI, and unknown parameters are
# ignored by the handlers): what a client sees for a fresh render, store,
# rules, rendering and reply together.  store_probe adds the store's own
# share in-process, with the query plans.
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
QUICK=${QUICK:-0}
SIZES=${SIZES:-100000 1000000}
STORE_DIR=${STORE_DIR:-/tmp/neptun-scale}
SOAK_SECONDS=${SOAK_SECONDS:-$([ "$QUICK" = 1 ] && echo 30 || echo 300)}
SOAK_INTERVAL=${SOAK_INTERVAL:-5}
IDLE_CONNS=${IDLE_CONNS:-10000}
LAT_N=${LAT_N:-$([ "$QUICK" = 1 ] && echo 100 || echo 300)}
LAT_SECONDS=${LAT_SECONDS:-$([ "$QUICK" = 1 ] && echo 10 || echo 20)}
PY=/usr/bin/python3
CLIENT=bench/scale_client.py
BIN="$BUILD/neptun"
for tool in "$BIN" "$BUILD/bench/gen_items" "$BUILD/bench/store_probe"; do
    [ -x "$tool" ] || { echo "scale: $tool missing: build first (make build)" >&2; exit 1; }
done
command -v wrk >/dev/null || { echo "scale: wrk missing (make bench-deps)" >&2; exit 1; }

work=$(mktemp -d /tmp/neptun-scale-run.XXXXXX)
server_pid=""
idle_pid=""
stop_server() {
    if [ -n "$server_pid" ]; then
        kill "$server_pid" 2>/dev/null || true
        wait "$server_pid" 2>/dev/null || true
        server_pid=""
    fi
}
cleanup() {
    [ -n "$idle_pid" ] && kill "$idle_pid" 2>/dev/null || true
    stop_server
    rm -rf "$work"
}
trap cleanup EXIT

# The shipped config with absolute paths; access log off as in bench/run.sh.
$PY - "$work" <<'PY'
import sys
sys.path.insert(0, "tests/integration")
import harness
harness.make_conf(sys.argv[1], "access_log off\n")
PY
CONF="$work/neptun.conf"
PORT=$($PY -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
BASE="http://127.0.0.1:$PORT"
rows=()

serve_cmd() { echo "$BIN" serve -c "$CONF" --listen "127.0.0.1:$PORT" --db "$1" --plugin-dir "$BUILD/plugins"; }
start_server() {
    $(serve_cmd "$1") >"$work/server.log" 2>&1 &
    server_pid=$!
    for _ in $(seq 600); do
        curl -sf -o /dev/null "$BASE/healthz" && return 0
        sleep 0.1
    done
    echo "scale: the server did not answer; its log:" >&2
    tail -20 "$work/server.log" >&2
    exit 1
}
# Requests a load left queued (slow searches) still hold the workers after
# the client has gone: wait until /healthz answers promptly again.
drain() {
    $PY - "$PORT" <<'PY'
import socket, sys, time
port, t_end = int(sys.argv[1]), time.monotonic() + 600
while time.monotonic() < t_end:
    t0 = time.monotonic()
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=60) as s:
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            s.recv(64)
    except OSError:
        pass
    if time.monotonic() - t0 < 0.05:
        break
    time.sleep(1)
PY
}
# For bench/targets.py (make bench): "section<TAB>name<TAB>value" lines.
result() { [ -z "${RESULTS_OUT:-}" ] || printf '%s\t%s\t%s\n' "$1" "$2" "$3" >>"$RESULTS_OUT"; }
rss_kb() { awk '/^VmRSS/ { print $2 }' "/proc/$server_pid/status"; }
median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
field() { sed -n "s/.*$1 \([0-9.]*\).*/\1/p"; }

ensure_store() {
    local n=$1 db="$STORE_DIR/items-$1.db"
    mkdir -p "$STORE_DIR"
    if [ ! -f "$db" ]; then
        echo "== generating $n items into $db" >&2
        rm -f "$db.tmp" "$db.tmp-wal" "$db.tmp-shm"
        local t0=$SECONDS
        "$BUILD/bench/gen_items" -c "$CONF" --plugin-dir "$BUILD/plugins" --db "$db.tmp" -n "$n" \
            2>&1 | grep -v '\[info\]' >&2
        mv "$db.tmp" "$db"
        echo "   generated in $((SECONDS - t0)) s" >&2
    fi
    echo "$db"
}

# Uncached latency of URL (with {i} for the unique parameter): p50 in ms.
latency() {
    local out
    out=$($PY $CLIENT latency "$1" "$LAT_N" "$LAT_SECONDS")
    echo "   $1: $out" >&2
    echo "$out" | field p50
}

measure_store() {
    local n=$1 db
    db=$(ensure_store "$n")
    echo "== $n items ($(du -h "$db" | cut -f1) on disk)" >&2
    # One start that is not timed: applies any pending migration and puts
    # the file in the OS page cache, as on a server that is restarted.
    start_server "$db"
    stop_server
    local starts=()
    for _ in 1 2 3; do
        starts+=("$($PY $CLIENT startup "$PORT" -- $(serve_cmd "$db"))")
    done
    local startup
    startup=$(printf '%s\n' "${starts[@]}" | median)
    echo "   start-up (exec to /healthz 200): ${starts[*]} ms" >&2

    start_server "$db"
    # warm-up, then a mixed load (10 % uncached) before reading VmRSS
    wrk -t1 -c32 -d10s -s bench/scale_mix.lua "$BASE" >/dev/null
    wrk -t2 -c64 -d20s -s bench/scale_mix.lua "$BASE" >"$work/wrk-load.txt"
    local rss
    drain
    rss=$(rss_kb)
    echo "   load: $(grep -E 'Requests/sec|timeout' "$work/wrk-load.txt" | tr -s ' \n' ' ')  VmRSS ${rss} kB" >&2

    local feed_type feed_all list_p50 search_rare search_mid search_common
    feed_type=$(latency "$BASE/pl/events.rss?nc={i}")
    feed_all=$(latency "$BASE/pl/feed.rss?nc={i}")
    list_p50=$(latency "$BASE/pl/events?page=50&nc={i}")
    search_rare=$(latency "$BASE/pl/search?q=Kowalski&nc={i}")
    search_mid=$(latency "$BASE/pl/search?q=zaswiadczenie&nc={i}")
    search_common=$(latency "$BASE/pl/search?q=integracja%20gdansk&nc={i}")
    stop_server

    echo "-- query plans and in-process store_list() times ($n items)" >&2
    "$BUILD/bench/store_probe" -c "$CONF" --db "$db" --runs 20 >&2
    rows+=("$n|$startup|$((rss / 1024))|$feed_type|$feed_all|$list_p50|$search_rare|$search_mid|$search_common")
    result "scale $n" startup_ms "$startup"
    result "scale $n" rss_mb "$((rss / 1024))"
    result "scale $n" feed_p50_ms "$feed_type"
    result "scale $n" search_p50_ms "$(printf '%s\n' "$search_rare" "$search_mid" "$search_common" | sort -n | tail -1)"
}

idle_test() {
    local db=$1
    echo "== $IDLE_CONNS idle keep-alive connections during an active load" >&2
    start_server "$db"
    local base_out held_out
    base_out=$(wrk -t1 -c16 -d10s --latency "$BASE/pl/events.rss")
    rm -f "$work/idle.ready"
    $PY $CLIENT idle "$PORT" "$IDLE_CONNS" 25 "$work/idle.ready" >"$work/idle.log" 2>&1 &
    idle_pid=$!
    for _ in $(seq 600); do [ -f "$work/idle.ready" ] && break; sleep 0.1; done
    local opened rss
    opened=$(cat "$work/idle.ready" 2>/dev/null || echo 0)
    rss=$(rss_kb)
    held_out=$(wrk -t1 -c16 -d10s --latency "$BASE/pl/events.rss")
    wait "$idle_pid" || true
    idle_pid=""
    cat "$work/idle.log" >&2
    local p99_base p99_held
    p99_base=$(echo "$base_out" | awk '$1 == "99%" { print $2 }')
    p99_held=$(echo "$held_out" | awk '$1 == "99%" { print $2 }')
    echo "   wrk p99 without idle connections: $p99_base, with $opened idle: $p99_held;" \
         "VmRSS with them ${rss} kB" >&2
    IDLE_ROW="$opened idle held: active p99 $p99_held (alone $p99_base), VmRSS $((rss / 1024)) MB"
    result idle connections "$opened"
    result idle p99 "$p99_held"
    stop_server
}

soak() {
    local db=$1
    echo "== memory soak: ${SOAK_SECONDS} s mixed load, VmRSS every ${SOAK_INTERVAL} s" >&2
    start_server "$db"
    wrk -t2 -c64 -d"${SOAK_SECONDS}s" -s bench/scale_mix.lua "$BASE" >"$work/wrk-soak.txt" &
    local wrk_pid=$! series=() t=0
    while kill -0 "$wrk_pid" 2>/dev/null; do
        series+=("$(rss_kb)")
        sleep "$SOAK_INTERVAL"
        t=$((t + SOAK_INTERVAL))
    done
    wait "$wrk_pid" || true
    drain
    series+=("$(rss_kb)")
    echo "   $(grep -E 'Requests/sec|timeout' "$work/wrk-soak.txt" | tr -s ' \n' ' ')" >&2
    echo "   VmRSS (kB): ${series[*]}" >&2
    # growth after warm-up: from the sample at a third of the run to the end
    local k=$(( ${#series[@]} / 3 )) last=$(( ${#series[@]} - 1 ))
    local first=${series[$k]} end=${series[$last]}
    SOAK_ROW="${SOAK_SECONDS} s: VmRSS ${series[0]} kB at start, $first kB at $((k * SOAK_INTERVAL)) s, $end kB at end: growth $(( (end - first) / 1024 )) MB after warm-up"
    result soak seconds "$SOAK_SECONDS"
    # the trend, steadier than two samples: the median of the last third
    # less the median of the middle third of the samples, in MB.  Medians,
    # not means: a sample taken while a 500-event calendar is being written
    # reads tens of MB more, and three such in one third moved a mean by
    # 5 MB with the floor unchanged; a leak moves the median.
    local n=${#series[@]} t=$(( ${#series[@]} / 3 ))
    local mid_median last_median
    mid_median=$(printf '%s\n' "${series[@]:t:t}" | median)
    last_median=$(printf '%s\n' "${series[@]:2*t:n-2*t}" | median)
    result soak growth_mb "$(awk -v a="$mid_median" -v b="$last_median" 'BEGIN { if (a != "" && b != "") printf "%.1f", (b - a) / 1024 }')"
    result soak max_mb "$(( $(printf '%s\n' "${series[@]}" | sort -n | tail -1) / 1024 ))"
    stop_server
}

IDLE_ROW="(not run)"
SOAK_ROW="(not run)"
first_db=""
for n in $SIZES; do
    measure_store "$n"
    [ -z "$first_db" ] && first_db="$STORE_DIR/items-$n.db"
done
[ "$IDLE_CONNS" != 0 ] && idle_test "$first_db"
[ "$SOAK_SECONDS" != 0 ] && soak "$first_db"

echo
echo "neptun at scale - $(nproc) cores, $(awk '/MemTotal/ { printf "%d MB", $2 / 1024 }' /proc/meminfo), $(uname -r)"
echo "latencies: p50 ms of up to $LAT_N sequential uncached requests (unique query parameter), one keep-alive connection"
echo "search: rare = a name in ~80 of 100k items, mid = a word in ~15 % of texts, 2 common = two words in most items"
printf '%-8s | %9s | %7s | %9s | %9s | %9s | %11s | %11s | %11s\n' items "start ms" "RSS MB" \
    events.rss feed.rss "list p50" "search rare" "search mid" "search 2 common"
for r in "${rows[@]}"; do
    IFS='|' read -r a b c d e f g h i <<<"$r"
    printf '%-8s | %9s | %7s | %9s | %9s | %9s | %11s | %11s | %11s\n' "$a" "$b" "$c" "$d" "$e" "$f" "$g" "$h" "$i"
done
echo "connections: $IDLE_ROW"
echo "soak: $SOAK_ROW"
