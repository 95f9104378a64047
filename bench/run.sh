#!/usr/bin/env bash
# neptun against nginx, lighttpd, Apache (mod_lua) and a minimal evhttp
# server (bench/minimal_evhttp.c: the ceiling of evhttp itself) on loopback,
# every peer serving the very same bytes, runs interleaved A B A B within each
# round so that drift on a noisy machine hits every peer alike.  Prints a
# table of medians and ratios (bench/README.md explains each scenario).
#
# Bounded: ROUNDS x 17 runs x DURATION seconds of wrk (defaults 3 x 17 x 5 s,
# about 4.5 minutes).  Environment: ROUNDS, DURATION, CONNS, BUILD (build
# folder holding neptun), PIN=1 (server on core 0, wrk on core 1),
# RESULTS_OUT (a file the medians are appended to, for bench/targets.py).
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-5}
CONNS=${CONNS:-64}
BUILD=${BUILD:-build}
BIN="$BUILD/neptun"
FEED_ITEMS=50

# What is missing gets installed (mod_lua ships in Debian's apache2-bin).
tools/install-deps.sh wrk nginx-light lighttpd apache2 curl python3
if [ ! -x "$BIN" ]; then
    tools/install-deps.sh build-essential cmake pkg-config libevent-dev liblua5.4-dev \
        libxml2-dev libsqlite3-dev libicu-dev zlib1g-dev
    cmake -S . -B "$BUILD" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
    cmake --build "$BUILD" -j"$(nproc)" >/dev/null
fi
EVHTTP="$BUILD/bench/minimal_evhttp"
if [ ! -x "$EVHTTP" ]; then
    cmake --build "$BUILD" --target minimal_evhttp >/dev/null ||
        { echo "cannot build $EVHTTP (is NEPTUN_BENCH off in $BUILD?)" >&2; exit 1; }
fi

. bench/lib.sh
bench_workdir neptun-bench
chmod 755 "$work" # Apache's workers run as www-data

# ---- content: the sample has six items; generate enough for the feeds ----
bench_store "$BIN"

# ---- neptun: no scripts (the reference), one on_request, one on_item ----
declare -A PORT SPID # SPID: each server's process, for its CPU time
start_neptun() { # name scripts-dir
    PORT[$1]=$(free_port)
    "${SRV[@]}" "$BIN" serve -c "$work/neptun.conf" --listen "127.0.0.1:${PORT[$1]}" \
        --db "$work/neptun.db" --scripts "$2" >"$work/$1.log" 2>&1 &
    pids+=($!)
    SPID[$1]=$!
    wait_http "http://127.0.0.1:${PORT[$1]}/healthz"
}
mkdir -p "$work/no-scripts"
start_neptun neptun "$work/no-scripts"
start_neptun neptun_on_request bench/rules/on_request
start_neptun neptun_on_item bench/rules/on_item

NP="http://127.0.0.1:${PORT[neptun]}"
FEED_PATH="/pl/events.rss?per_page=$FEED_ITEMS"
ITEM_PATH=/pl/events/bench-wydarzenie-005
MISS_PATH=/pl/events.rss # 20 items, the default page
mkdir -p "$work/www" "$work/apache"
curl -sf "$NP$FEED_PATH" -o "$work/www/feed.rss"
curl -sf -H 'Accept-Encoding: gzip' "$NP$FEED_PATH" -o "$work/www/feed.rss.gz"
curl -sf "$NP$ITEM_PATH" -o "$work/www/item.xml"
curl -sf "$NP$MISS_PATH" -o "$work/miss.rss"
cp "$work/miss.rss" "$work/www/miss.rss" # the miss's bytes as a static file: the ceiling
[ "$(grep -o '<item>' "$work/www/feed.rss" | wc -l)" = "$FEED_ITEMS" ] || { echo "feed is not $FEED_ITEMS items" >&2; exit 1; }

# ---- the peers ----
NG=$(free_port) LT=$(free_port) AP=$(free_port)
# nginx: two workers, its fastest setting per body size (sendfile on for the
# feed, off for small documents), gzip_static for the compressed feed.
cat >"$work/nginx.conf" <<NGX
worker_processes 2;
pid $work/nginx.pid;
error_log $work/nginx.err;
events { worker_connections 4096; }
http {
    access_log off;
    types { application/rss+xml rss; application/xml xml; }
    server {
        listen 127.0.0.1:$NG reuseport;
        root $work/www;
        tcp_nodelay on;
        keepalive_requests 1000000;
        location = /feed.rss { sendfile on; tcp_nopush on; gzip_static on; }
        location = /item.xml { sendfile off; }
        location = /miss.rss { sendfile off; }
    }
}
NGX
"${SRV[@]}" nginx -c "$work/nginx.conf" -g 'daemon off;' &
pids+=($!)
SPID[nginx]=$!
cat >"$work/lighttpd.conf" <<LTC
server.document-root = "$work/www"
server.bind = "127.0.0.1"
server.port = $LT
server.max-keep-alive-requests = 1000000
server.errorlog = "$work/lighttpd.err"
mimetype.assign = (".rss" => "application/rss+xml", ".xml" => "application/xml")
LTC
"${SRV[@]}" lighttpd -D -f "$work/lighttpd.conf" &
pids+=($!)
SPID[lighttpd]=$!
# Apache: mpm_event, a mod_lua handler rendering the 20-item feed per request.
cp bench/apache/feed.lua "$work/apache/"
/usr/bin/python3 bench/feed_to_lua.py "$work/miss.rss" "$work/apache/items.lua"
chmod -R a+rX "$work/apache"
MODS=/usr/lib/apache2/modules
cat >"$work/apache.conf" <<APC
ServerRoot $work
ServerName 127.0.0.1
Listen 127.0.0.1:$AP
PidFile $work/apache.pid
ErrorLog $work/apache.err
DefaultRuntimeDir $work
User www-data
Group www-data
LoadModule mpm_event_module $MODS/mod_mpm_event.so
LoadModule authz_core_module $MODS/mod_authz_core.so
LoadModule lua_module $MODS/mod_lua.so
StartServers 2
ServerLimit 2
ThreadsPerChild 64
MaxRequestWorkers 128
MinSpareThreads 64
MaxSpareThreads 128
KeepAlive On
MaxKeepAliveRequests 0
DocumentRoot $work/apache
LuaScope thread
LuaCodeCache stat
LuaMapHandler ^/pl/events\.rss$ $work/apache/feed.lua handle
APC
"${SRV[@]}" apache2 -f "$work/apache.conf" -DFOREGROUND &
pids+=($!)
SPID[apache]=$!
# evhttp alone: one file's bytes for every request, 2 threads like neptun.
EV_FEED=$(free_port) EV_ITEM=$(free_port)
"${SRV[@]}" "$EVHTTP" "$work/www/feed.rss" "$EV_FEED" application/rss+xml 2 >"$work/evhttp_feed.log" 2>&1 &
pids+=($!)
SPID[evhttp_feed]=$!
"${SRV[@]}" "$EVHTTP" "$work/www/item.xml" "$EV_ITEM" application/xml 2 >"$work/evhttp_item.log" 2>&1 &
pids+=($!)
SPID[evhttp_item]=$!
wait_http "http://127.0.0.1:$NG/feed.rss"
wait_http "http://127.0.0.1:$LT/feed.rss"
wait_http "http://127.0.0.1:$AP$MISS_PATH"
wait_http "http://127.0.0.1:$EV_FEED/feed.rss"
wait_http "http://127.0.0.1:$EV_ITEM/item.xml"
same_bytes() { # url file
    curl -sf "$1" | cmp -s - "$2" || { echo "$1 does not answer the bytes of $2" >&2; exit 1; }
}
same_bytes "http://127.0.0.1:$EV_FEED/feed.rss" "$work/www/feed.rss"
same_bytes "http://127.0.0.1:$EV_ITEM/item.xml" "$work/www/item.xml"

size() { stat -c %s "$1"; }
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | sed 's/^ //'), $(uname -r)"
echo "wrk -t1 -c$CONNS -d${DURATION}s, $ROUNDS rounds interleaved, medians${PIN:+, pinned (server core 0, wrk core 1)}"
echo "feed: $FEED_PATH $(size "$work/www/feed.rss") bytes, $FEED_ITEMS items (gzip $(size "$work/www/feed.rss.gz"));" \
     "item: $ITEM_PATH $(size "$work/www/item.xml") bytes; miss feed: $MISS_PATH $(size "$work/miss.rss") bytes (Apache's $(curl -sf "http://127.0.0.1:$AP$MISS_PATH" | wc -c))"

# CPU time (user + system, clock ticks) of a server: its process and the
# workers it forked (nginx, Apache).  Server CPU per answer is the steadier
# figure on a busy machine: wrk shares the two cores, so req/s also depends
# on how the scheduler splits them between client and server.
cpu_ticks() { # pid
    local t=0 p
    for p in "$1" $(pgrep -P "$1" || true); do
        [ -r "/proc/$p/stat" ] && t=$((t + $(awk '{print $14 + $15}' "/proc/$p/stat")))
    done
    echo "$t"
}
HZ=$(getconf CLK_TCK)

results="$work/results.tsv"
: >"$results"
run() { # scenario peer server-key url [wrk-args...]
    local name=$1 peer=$2 key=$3; shift 3
    local url=$1; shift
    local before after out rps n
    before=$(cpu_ticks "${SPID[$key]}")
    out=$("${WRK[@]}" wrk -t1 -c"$CONNS" -d"${DURATION}s" "$url" "$@")
    after=$(cpu_ticks "${SPID[$key]}")
    rps=$(awk '/Requests\/sec/ {print $2}' <<<"$out")
    n=$(awk '/requests in/ {print $1}' <<<"$out")
    echo -e "$name\t$peer\t$rps\t$(awk -v t=$((after - before)) -v n="${n:-0}" -v hz="$HZ" \
        'BEGIN { if (n > 0) printf "%.1f", t * 1e6 / hz / n }')" >>"$results"
}
GZ=(-H "Accept-Encoding: gzip")
CLOSE=(-H "Connection: close")
MISS_SCRIPT=(-s bench/miss.lua --)
for r in $(seq "$ROUNDS"); do
    echo "round $r of $ROUNDS" >&2
    run "feed keep-alive" neptun neptun "$NP$FEED_PATH"
    run "feed keep-alive" nginx nginx "http://127.0.0.1:$NG/feed.rss"
    run "feed keep-alive" lighttpd lighttpd "http://127.0.0.1:$LT/feed.rss"
    run "feed keep-alive" evhttp evhttp_feed "http://127.0.0.1:$EV_FEED/feed.rss"
    run "feed gzip" neptun neptun "$NP$FEED_PATH" "${GZ[@]}"
    run "feed gzip" nginx nginx "http://127.0.0.1:$NG/feed.rss" "${GZ[@]}"
    run "feed Connection: close" neptun neptun "$NP$FEED_PATH" "${CLOSE[@]}"
    run "feed Connection: close" nginx nginx "http://127.0.0.1:$NG/feed.rss" "${CLOSE[@]}"
    run "feed Connection: close" lighttpd lighttpd "http://127.0.0.1:$LT/feed.rss" "${CLOSE[@]}"
    run "2 KB item keep-alive" neptun neptun "$NP$ITEM_PATH"
    run "2 KB item keep-alive" nginx nginx "http://127.0.0.1:$NG/item.xml"
    run "2 KB item keep-alive" lighttpd lighttpd "http://127.0.0.1:$LT/item.xml"
    run "2 KB item keep-alive" evhttp evhttp_item "http://127.0.0.1:$EV_ITEM/item.xml"
    run "2 KB item keep-alive" neptun+on_request neptun_on_request \
        "http://127.0.0.1:${PORT[neptun_on_request]}$ITEM_PATH"
    run "20-item feed, cache miss" neptun+on_item neptun_on_item \
        "http://127.0.0.1:${PORT[neptun_on_item]}$MISS_PATH" "${MISS_SCRIPT[@]}" "i$r$RANDOM"
    run "20-item feed, cache miss" neptun neptun "$NP$MISS_PATH" "${MISS_SCRIPT[@]}" "n$r$RANDOM"
    run "20-item feed, cache miss" apache apache "http://127.0.0.1:$AP$MISS_PATH" "${MISS_SCRIPT[@]}" "a$r"
    # The ceiling of the miss: nginx sending the same 28 KB as a static
    # file (no store, no rule, no rendering; the query string is ignored).
    run "20-item feed, cache miss" nginx nginx "http://127.0.0.1:$NG/miss.rss" "${MISS_SCRIPT[@]}" "s$r"
done

PIN=${PIN:-0} /usr/bin/python3 - "$results" "${RESULTS_OUT:-}" <<'PY'
import os, sys, statistics, collections
runs, cpus = collections.defaultdict(list), collections.defaultdict(list)
order = []
for line in open(sys.argv[1]):
    name, peer, v, cpu = line.rstrip("\n").split("\t")
    if name not in order:
        order.append(name)
    runs[(name, peer)].append(float(v or 0))
    if cpu:
        cpus[(name, peer)].append(float(cpu))
med = {k: statistics.median(v) for k, v in runs.items()}
cpu = {k: statistics.median(v) for k, v in cpus.items()}
if len(sys.argv) > 2 and sys.argv[2]:
    # medians for bench/targets.py (make bench)
    with open(sys.argv[2], "a") as out:
        for (name, peer), v in med.items():
            out.write("peers\t%s\t%s\t%.1f\n" % (name, peer, v))
        for (name, peer), v in cpu.items():
            out.write("peers-cpu\t%s\t%s\t%.1f\n" % (name, peer, v))
peers = ["nginx", "lighttpd", "apache", "evhttp"]
MISS = "20-item feed, cache miss"

def cell(v, fmt="%.0f"):
    return fmt % v if v is not None else "–"

def ratio(a, b):
    return "%.2f×" % (a / b) if a is not None and b else "–"

def me_of(name):
    return "neptun+on_item" if name == MISS else "neptun"

def label_of(name):
    return name + (" (one on_item rule; nginx: the same bytes as a static file)" if name == MISS else "")

print()
print("Requests per second (%s):" % ("pinned: the servers on core 0, wrk on core 1"
                                     if os.environ.get("PIN") == "1"
                                     else "wrk and the server share the two cores"))
print()
def table(figures, unit, fmt, higher_is_better):
    """One row per scenario: neptun's figure, the peers', and the ratios
    (neptun over a peer for rates, a peer over neptun for costs)."""
    heads = ["neptun/" + p if higher_is_better else p + "/neptun"
             for p in ("nginx", "lighttpd", "Apache", "evhttp")]
    print("| scenario | neptun %s | nginx | lighttpd | Apache mod_lua | minimal evhttp | %s |"
          % (unit, " | ".join(heads)))
    print("| --- |" + " ---: |" * (1 + 2 * len(peers)))
    for name in order:
        n = figures.get((name, me_of(name)))
        vals = [figures.get((name, p)) for p in peers]
        ratios = [ratio(n, v) if higher_is_better else ratio(v, n) for v in vals]
        print("| %s | %s | %s | %s |" % (label_of(name), cell(n, fmt),
                                        " | ".join(cell(v, fmt) for v in vals), " | ".join(ratios)))

table(med, "req/s", "%.0f", True)

print()
print("Server CPU per answer, µs (user + system of the server's processes / answers;")
print("lower is better, and the ratio is the other peer's CPU over neptun's):")
print()
table(cpu, "µs", "%.1f", False)

print()
print("| Lua hook | answer | no scripts req/s | with the hook | ratio | added per request |")
print("| --- | --- | ---: | ---: | ---: | ---: |")
for hook, name in (("on_request (trivial)", "2 KB item keep-alive"),
                   ("on_item (one rule, 20 items)", MISS)):
    base = med.get((name, "neptun"))
    with_hook = med.get((name, "neptun+" + hook.split()[0]))
    added = ("%.1f µs" % ((1 / with_hook - 1 / base) * 1e6)) if base and with_hook else "–"
    print("| %s | %s | %s | %s | %s | %s |" % (hook, name, cell(base), cell(with_hook),
                                            ratio(with_hook, base), added))
print()
print("(added per request: 1/rate(with) - 1/rate(without), wall time of the whole machine)")
apache, static = med.get((MISS, "apache")), med.get((MISS, "nginx"))
if apache and static:
    print()
    print("The miss's ceiling: 10× Apache is %.0f req/s; nginx sends the same bytes as a static"
          " file at %.0f req/s, so the 10× target asks for %.2f× of a static file server here."
          % (10 * apache, static, 10 * apache / static))
PY
