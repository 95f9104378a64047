#!/usr/bin/env bash
# neptun against nginx and lighttpd serving the very same bytes, on
# loopback, interleaved A B A B so that drift on a noisy machine hits both.
# Prints a table of medians and ratios.  Bounded: ROUNDS x scenarios x
# peers x DURATION seconds of wrk (defaults: 3 x 4 x 3 x 5 s, about 3 min).
set -euo pipefail
cd "$(dirname "$0")/.."
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-5}
CONNS=${CONNS:-64}
BUILD=${BUILD:-build}
BIN="$BUILD/neptun"
work=$(mktemp -d /tmp/neptun-bench.XXXXXX)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$work"
}
trap cleanup EXIT

free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_http() { for _ in $(seq 100); do curl -sf -o /dev/null "$1" && return 0; sleep 0.1; done; echo "no answer from $1" >&2; exit 1; }

NP=$(free_port); NG=$(free_port); LT=$(free_port)

# neptun with the sample content; access log off, as for the peers.
/usr/bin/python3 - "$work" <<'PY'
import sys, os
sys.path.insert(0, "tests/integration")
import harness
conf = harness.make_conf(sys.argv[1], "access_log off\n")
PY
"$BIN" serve -c "$work/neptun.conf" --listen "127.0.0.1:$NP" --db "$work/neptun.db" >"$work/neptun.log" 2>&1 &
pids+=($!)
wait_http "http://127.0.0.1:$NP/healthz"

# The bytes every peer serves: neptun's own answers.
mkdir -p "$work/www"
FEED_PATH=${FEED_PATH:-/pl/feed.rss}
curl -sf "http://127.0.0.1:$NP$FEED_PATH" -o "$work/www/feed.rss"
curl -sf -H 'Accept-Encoding: gzip' "http://127.0.0.1:$NP$FEED_PATH" -o "$work/www/feed.rss.gz"
ITEM_PATH=$(curl -sf "http://127.0.0.1:$NP/pl/events" | grep -o 'href="[^"]*/pl/events/[^"]*"' | head -1 |
            sed -e 's/^href="//' -e 's/"$//' -e 's#^http://[^/]*##')
curl -sf "http://127.0.0.1:$NP$ITEM_PATH" -o "$work/www/item.xml"

# nginx: two workers, its fastest settings per body size (sendfile on for
# the feed, off for small documents), gzip_static for the compressed feed.
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
    }
}
NGX
nginx -c "$work/nginx.conf" -g 'daemon off;' &
pids+=($!)
cat >"$work/lighttpd.conf" <<LTC
server.document-root = "$work/www"
server.bind = "127.0.0.1"
server.port = $LT
server.max-keep-alive-requests = 1000000
server.errorlog = "$work/lighttpd.err"
mimetype.assign = (".rss" => "application/rss+xml", ".xml" => "application/xml")
LTC
lighttpd -D -f "$work/lighttpd.conf" &
pids+=($!)
wait_http "http://127.0.0.1:$NG/feed.rss"
wait_http "http://127.0.0.1:$LT/feed.rss"

size() { stat -c %s "$1"; }
echo "machine: $(nproc) cores, $(uname -r); wrk -t1 -c$CONNS -d${DURATION}s, $ROUNDS rounds, medians"
echo "feed: $FEED_PATH $(size "$work/www/feed.rss") bytes (gzip $(size "$work/www/feed.rss.gz")); item: $ITEM_PATH $(size "$work/www/item.xml") bytes"

rps() { # url [header...]
    local url=$1; shift
    local args=()
    for h in "$@"; do args+=(-H "$h"); done
    wrk -t1 -c"$CONNS" -d"${DURATION}s" "${args[@]}" "$url" | awk '/Requests\/sec/ {print $2}'
}

results="$work/results.tsv"
: >"$results"
scenario() { # name neptun-path peer-path [header...]
    local name=$1 np=$2 pp=$3; shift 3
    for r in $(seq "$ROUNDS"); do
        echo -e "$name\tneptun\t$(rps "http://127.0.0.1:$NP$np" "$@")" >>"$results"
        echo -e "$name\tnginx\t$(rps "http://127.0.0.1:$NG$pp" "$@")" >>"$results"
        echo -e "$name\tlighttpd\t$(rps "http://127.0.0.1:$LT$pp" "$@")" >>"$results"
    done
}
scenario "feed keep-alive" "$FEED_PATH" /feed.rss
scenario "feed gzip" "$FEED_PATH" /feed.rss "Accept-Encoding: gzip"
scenario "feed Connection: close" "$FEED_PATH" /feed.rss "Connection: close"
scenario "2 KB item keep-alive" "$ITEM_PATH" /item.xml

/usr/bin/python3 - "$results" <<'PY'
import sys, statistics, collections
rows = collections.defaultdict(list)
order = []
for line in open(sys.argv[1]):
    name, peer, v = line.rstrip("\n").split("\t")
    if name not in order:
        order.append(name)
    rows[(name, peer)].append(float(v or 0))
print("| scenario | neptun req/s | nginx req/s | lighttpd req/s | neptun/nginx | neptun/lighttpd |")
print("| --- | ---: | ---: | ---: | ---: | ---: |")
for name in order:
    n, g, l = (statistics.median(rows[(name, p)]) for p in ("neptun", "nginx", "lighttpd"))
    print("| %s | %.0f | %.0f | %.0f | %.2f | %.2f |" % (name, n, g, l, n / g if g else 0, n / l if l else 0))
PY
