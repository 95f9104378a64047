#!/usr/bin/python3
"""Every performance target next to its measured figure: reads what
bench/run.sh and bench/scale.sh appended to RESULTS_OUT (make bench) and
prints one table, each row met or not.

usage: bench/targets.py RESULTS_FILE
"""
import collections
import re
import sys

PEERS, PEERS_CPU = "peers", "peers-cpu"


def load(path):
    peers, cpu, other = {}, {}, collections.defaultdict(dict)
    with open(path, encoding="utf-8") as f:
        for line in f:
            parts = line.rstrip("\n").split("\t")
            if parts[0] in (PEERS, PEERS_CPU) and len(parts) == 4:
                (peers if parts[0] == PEERS else cpu)[(parts[1], parts[2])] = float(parts[3])
            elif len(parts) == 3:
                other[parts[0]][parts[1]] = parts[2]
    return peers, cpu, other


def ms(text):
    """wrk's latency ("739.00us", "1.01ms", "2.10s") in milliseconds."""
    m = re.fullmatch(r"([0-9.]+)(us|ms|s)", text or "")
    if m is None:
        return None
    return float(m.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[m.group(2)]


def number(text):
    try:
        return float(text)
    except (TypeError, ValueError):
        return None


def main(argv):
    if len(argv) != 2:
        print(__doc__.strip(), file=sys.stderr)
        return 2
    peers, cpu, other = load(argv[1])
    rows = []

    def ratio_row(label, scenario, me, peer, goal):
        a, b = peers.get((scenario, me)), peers.get((scenario, peer))
        if a is None or b is None or b == 0:
            rows.append((label, "not measured", "≥ %.1f×" % goal, "–"))
            return
        r = a / b
        text = "%.0f vs %.0f req/s: %.2f×" % (a, b, r)
        ca, cb = cpu.get((scenario, me)), cpu.get((scenario, peer))
        if ca and cb:
            text += " (server CPU per answer %.1f vs %.1f µs)" % (ca, cb)
        rows.append((label, text, "≥ %.1f×" % goal, "met" if r >= goal else "not met"))

    def figure_row(label, value, goal_text, ok, unit=""):
        if value is None:
            rows.append((label, "not measured", goal_text, "–"))
        else:
            rows.append((label, "%g%s" % (value, unit), goal_text, "met" if ok(value) else "not met"))

    feed, gz, close, item, miss = ("feed keep-alive", "feed gzip", "feed Connection: close",
                                   "2 KB item keep-alive", "20-item feed, cache miss")
    ratio_row("cached feed, keep-alive, vs nginx", feed, "neptun", "nginx", 1.0)
    ratio_row("cached feed, keep-alive, vs lighttpd", feed, "neptun", "lighttpd", 1.0)
    ratio_row("cached feed, gzip, vs nginx gzip_static", gz, "neptun", "nginx", 1.0)
    ratio_row("cached feed, Connection: close, vs nginx", close, "neptun", "nginx", 1.0)
    ratio_row("2 KB item, keep-alive, vs nginx (sendfile off)", item, "neptun", "nginx", 1.0)
    ratio_row("cache-missing 20-item feed, one on_item rule, vs Apache mod_lua", miss,
              "neptun+on_item", "apache", 10.0)
    apache, static = peers.get((miss, "apache")), peers.get((miss, "nginx"))
    if apache and static:
        # Not a target: what the 10x target asks of this machine.
        rows.append(("(the miss's ceiling: nginx sending the same bytes as a static file)",
                     "%.0f req/s: 10× Apache is %.2f× of it" % (static, 10 * apache / static),
                     "–", "–"))

    small, large = None, None
    sizes = sorted((int(k.split()[1]), v) for k, v in other.items() if k.startswith("scale "))
    if sizes:
        small = sizes[0]
        large = sizes[-1] if len(sizes) > 1 else None
    if small is not None:
        n, f = small
        figure_row("start-up with %d items" % n, number(f.get("startup_ms")), "≤ 1000 ms",
                   lambda v: v <= 1000, " ms")
        figure_row("resident memory with %d items after mixed load" % n, number(f.get("rss_mb")),
                   "≤ 150 MB", lambda v: v <= 150, " MB")
        figure_row("uncached feed p50 with %d items" % n, number(f.get("feed_p50_ms")), "≤ 2 ms",
                   lambda v: v <= 2, " ms")
        figure_row("search p50 with %d items (slowest of three searches)" % n,
                   number(f.get("search_p50_ms")), "≤ 5 ms", lambda v: v <= 5, " ms")
    if small is not None and large is not None:
        a, b = number(small[1].get("feed_p50_ms")), number(large[1].get("feed_p50_ms"))
        value = b / a if a and b is not None else None
        figure_row("uncached feed p50, %d items against %d" % (large[0], small[0]),
                   None if value is None else round(value, 2), "≤ 2×", lambda v: v <= 2, "×")
    idle = other.get("idle", {})
    p99 = ms(idle.get("p99"))
    figure_row("p99 with %s idle keep-alive connections held" % idle.get("connections", "?"),
               None if p99 is None else round(p99, 2), "< 10 ms", lambda v: v < 10, " ms")
    soak = other.get("soak", {})
    figure_row("resident memory over a %s s mixed load: median of the last third of the samples "
               "less the middle third" % soak.get("seconds", "?"), number(soak.get("growth_mb")),
               "no growth (≤ +5 MB: the samples swing by tens of MB)", lambda v: v <= 5, " MB")

    print()
    print("| target | measured | goal | |")
    print("| --- | --- | --- | --- |")
    for r in rows:
        print("| %s | %s | %s | %s |" % r)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
