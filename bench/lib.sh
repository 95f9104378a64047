# Shared by bench/run.sh and bench/ab.sh (sourced, not run).

# A temporary folder in $work, removed with every process in $pids on exit.
bench_workdir() { # prefix
    work=$(mktemp -d "/tmp/$1.XXXXXX")
    pids=()
    trap bench_cleanup EXIT
}
bench_cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    wait 2>/dev/null || true
    rm -rf "$work"
}

# PIN=1: servers on core 0, wrk on core 1.
SRV=() WRK=()
if [ "${PIN:-0}" = 1 ]; then SRV=(taskset -c 0) WRK=(taskset -c 1); fi

free_port() { /usr/bin/python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
wait_http() { for _ in $(seq 100); do curl -sf -o /dev/null "$1" && return 0; sleep 0.1; done; echo "no answer from $1" >&2; exit 1; }

# 60 generated event items imported with BINARY into $work/neptun.db, and
# the test config (no access log, no script watching, 2 workers).
bench_store() { # binary
    /usr/bin/python3 bench/feed_items.py "$work/items" 60
    /usr/bin/python3 - "$work" <<'PY'
import sys
sys.path.insert(0, "tests/integration")
import harness
harness.make_conf(sys.argv[1], "access_log off\nwatch_scripts off\nworkers 2\n")
PY
    "$1" import -c "$work/neptun.conf" --db "$work/neptun.db" "$work"/items/*.xml >"$work/import.log" 2>&1
}
