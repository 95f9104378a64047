#!/usr/bin/env bash
# Two builds of neptun against each other on the same store and the same
# requests, runs alternating A B A B, medians and the ratio B/A.  For
# measuring one change at a time (bench/run.sh compares against peers).
#
# usage: bench/ab.sh BUILD_A BUILD_B [SCENARIO...]
#   scenarios: feed gzip close item miss miss-rule (default: all)
# Prints req/s and the server CPU time per request (user + system), the
# steadier figure on a busy machine.
# Environment: ROUNDS (3), DURATION (5 s), CONNS (64), PIN=1 (servers on
# core 0, wrk on core 1).  Bounded: ROUNDS x 2 x scenarios x DURATION.
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 2 ] || { echo "usage: $0 BUILD_A BUILD_B [scenario...]" >&2; exit 2; }
A=$1 B=$2
shift 2
SCENARIOS=("$@")
[ ${#SCENARIOS[@]} -gt 0 ] || SCENARIOS=(feed gzip close item miss miss-rule)
ROUNDS=${ROUNDS:-3}
DURATION=${DURATION:-5}
CONNS=${CONNS:-64}
tools/install-deps.sh wrk curl libxml2-utils python3
for b in "$A" "$B"; do [ -x "$b/neptun" ] || { echo "no $b/neptun" >&2; exit 2; }; done

. bench/lib.sh
bench_workdir neptun-ab
bench_store "$A/neptun"
mkdir -p "$work/none"

declare -A PORT SPID
start() { # name build scripts-dir
    PORT[$1]=$(free_port)
    "${SRV[@]}" "$2/neptun" serve -c "$work/neptun.conf" --listen "127.0.0.1:${PORT[$1]}" \
        --db "$work/neptun.db" --scripts "$3" >"$work/$1.log" 2>&1 &
    pids+=($!)
    SPID[$1]=$!
    wait_http "http://127.0.0.1:${PORT[$1]}/healthz"
}
start A "$A" "$work/none"
start B "$B" "$work/none"
start A+rule "$A" bench/rules/on_item
start B+rule "$B" bench/rules/on_item

# The same answers from both: links carry each server's port, and XML is
# compared without the blanks between elements (indentation may differ).
same_answer() { # url
    local f
    f=$(mktemp "$work/answer.XXXXXX")
    curl -sf "$1" | sed -E 's/127\.0\.0\.1:[0-9]+/HOST/g' >"$f"
    if head -c 5 "$f" | grep -q '<?xml'; then xmllint --noblanks "$f"; else cat "$f"; fi
}
for path in "/pl/events.rss?per_page=50" /pl/events/bench-wydarzenie-005 /pl/events.atom \
            "/en/events?per_page=30" /de/events.ics "/pl/search.rss?q=gdansk"; do
    if ! cmp -s <(same_answer "http://127.0.0.1:${PORT[A]}$path") \
                <(same_answer "http://127.0.0.1:${PORT[B]}$path"); then
        echo "warning: A and B answer $path differently" >&2
    fi
done

# The server's CPU time (user + system, clock ticks) so far.
cpu_ticks() { awk '{print $14 + $15}' "/proc/$1/stat"; }
# "req/s <TAB> server CPU microseconds per request": the second is what a
# loaded machine disturbs least (other work takes cores, not our cycles).
measure() { # server-pid wrk-args...
    local pid=$1 before after out
    shift
    before=$(cpu_ticks "$pid")
    out=$("${WRK[@]}" wrk -t1 -c"$CONNS" -d"${DURATION}s" "$@")
    after=$(cpu_ticks "$pid")
    awk -v ticks=$((after - before)) -v hz="$(getconf CLK_TCK)" '
        /requests in/ { n = $1 }
        /Requests\/sec/ { rps = $2 }
        END { printf "%s\t%.1f", rps, (n > 0 ? ticks / hz * 1e6 / n : 0) }' <<<"$out"
}
scenario() { # name server: sets ARGS, the wrk arguments
    local u="http://127.0.0.1:${PORT[$2]}"
    case $1 in
    feed) ARGS=("$u/pl/events.rss?per_page=50") ;;
    gzip) ARGS=("$u/pl/events.rss?per_page=50" -H "Accept-Encoding: gzip") ;;
    close) ARGS=("$u/pl/events.rss?per_page=50" -H "Connection: close") ;;
    item) ARGS=("$u/pl/events/bench-wydarzenie-005") ;;
    miss | miss-rule) ARGS=("$u/pl/events.rss" -s bench/miss.lua -- "$2$RANDOM") ;;
    *) echo "unknown scenario $1" >&2; exit 2 ;;
    esac
}
results="$work/results.tsv"
: >"$results"
echo "load before: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
for r in $(seq "$ROUNDS"); do
    for s in "${SCENARIOS[@]}"; do
        for side in A B; do
            srv=$side
            [ "$s" = miss-rule ] && srv=$side+rule
            scenario "$s" "$srv"
            echo -e "$s\t$side\t$(measure "${SPID[$srv]}" "${ARGS[@]}")" >>"$results"
        done
    done
done
echo "load after: $(cut -d' ' -f1-3 /proc/loadavg)" >&2
/usr/bin/python3 - "$results" <<'PY'
import sys, statistics, collections
rate, cpu, order = collections.defaultdict(list), collections.defaultdict(list), []
for line in open(sys.argv[1]):
    name, side, r, c = line.rstrip("\n").split("\t")
    if name not in order:
        order.append(name)
    rate[(name, side)].append(float(r or 0))
    cpu[(name, side)].append(float(c or 0))
med = lambda d, k: statistics.median(d[k])
print("| scenario | A req/s | B req/s | B/A | A CPU µs/req | B CPU µs/req | A/B CPU | runs A | runs B |")
print("| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- |")
for name in order:
    a, b = med(rate, (name, "A")), med(rate, (name, "B"))
    ca, cb = med(cpu, (name, "A")), med(cpu, (name, "B"))
    print("| %s | %.0f | %.0f | %.2f× | %.1f | %.1f | %.2f× | %s | %s |" % (
        name, a, b, b / a if a else 0, ca, cb, ca / cb if cb else 0,
        " ".join("%.0f" % v for v in rate[(name, "A")]),
        " ".join("%.0f" % v for v in rate[(name, "B")])))
PY
