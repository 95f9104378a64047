#!/usr/bin/python3
"""Clients for bench/scale.sh (standard library only).

  scale_client.py startup PORT -- CMD...   exec CMD, time until /healthz answers 200
  scale_client.py latency URL N [SECONDS]  N sequential GETs of URL on one keep-alive
                                           connection, or fewer when SECONDS (default 20)
                                           run out; {i} in URL is the request number
                                           (a unique query parameter misses the cache)
  scale_client.py idle PORT N SECONDS FILE open N keep-alive connections, one request
                                           each, hold them SECONDS, then check they
                                           still answer; FILE appears once all are open
"""
import asyncio
import http.client
import os
import resource
import signal
import socket
import subprocess
import sys
import time
import urllib.parse


def percentile(values, p):
    values = sorted(values)
    return values[min(len(values) - 1, int(len(values) * p / 100))]


def healthz_ok(port):
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
            s.sendall(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n")
            return s.recv(64).startswith(b"HTTP/1.1 200")
    except OSError:
        return False


def cmd_startup(port, argv):
    t0 = time.monotonic()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while not healthz_ok(port):
            if proc.poll() is not None:
                print("server exited with %d before answering" % proc.returncode, file=sys.stderr)
                return 1
            if time.monotonic() - t0 > 60:
                print("no answer within 60 s", file=sys.stderr)
                return 1
            time.sleep(0.002)
        print("%.1f" % ((time.monotonic() - t0) * 1000))
        return 0
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def cmd_latency(url, n, seconds):
    u = urllib.parse.urlsplit(url)
    conn = http.client.HTTPConnection(u.hostname, u.port, timeout=30)
    target = u.path + ("?" + u.query if u.query else "")
    times, sizes = [], 0
    run_id = os.getpid()
    deadline = time.monotonic() + seconds
    for i in range(n):
        if i >= 5 and time.monotonic() > deadline:
            break
        path = target.replace("{i}", "%d-%d" % (run_id, i))
        t0 = time.perf_counter()
        conn.request("GET", path)
        r = conn.getresponse()
        body = r.read()
        times.append((time.perf_counter() - t0) * 1000)
        if r.status != 200:
            print("GET %s: %d" % (path, r.status), file=sys.stderr)
            return 1
        sizes += len(body)
    conn.close()
    print("p50 %.2f p90 %.2f p99 %.2f n %d bytes %d" % (
        percentile(times, 50), percentile(times, 90), percentile(times, 99), len(times),
        sizes // len(times)))
    return 0


async def one_request(reader, writer):
    writer.write(b"GET /healthz HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    length = 0
    for line in head.split(b"\r\n"):
        if line.lower().startswith(b"content-length:"):
            length = int(line.split(b":", 1)[1])
    await reader.readexactly(length)
    return head.startswith(b"HTTP/1.1 200")


async def idle(port, n, seconds, ready_file):
    gate = asyncio.Semaphore(200)  # the listen backlog is finite: connect in waves
    conns = []

    async def open_one():
        async with gate:
            try:
                reader, writer = await asyncio.open_connection("127.0.0.1", port)
                if await one_request(reader, writer):
                    conns.append((reader, writer))
            except (OSError, asyncio.IncompleteReadError):
                pass

    t0 = time.monotonic()
    await asyncio.gather(*(open_one() for _ in range(n)))
    print("idle: %d of %d connections open and answered in %.1f s" %
          (len(conns), n, time.monotonic() - t0), flush=True)
    with open(ready_file, "w") as f:
        f.write("%d\n" % len(conns))
    await asyncio.sleep(seconds)
    sample = conns[:: max(1, len(conns) // 200)]
    alive = 0
    for reader, writer in sample:
        try:
            alive += await asyncio.wait_for(one_request(reader, writer), 5)
        except (OSError, asyncio.IncompleteReadError, asyncio.TimeoutError):
            pass
    print("idle: after %d s, %d of %d sampled connections still answer" %
          (seconds, alive, len(sample)), flush=True)
    for _, writer in conns:
        writer.close()
    return 0


def main(argv):
    if len(argv) >= 4 and argv[1] == "startup" and argv[3] == "--":
        return cmd_startup(int(argv[2]), argv[4:])
    if len(argv) in (4, 5) and argv[1] == "latency":
        return cmd_latency(argv[2], int(argv[3]), float(argv[4]) if len(argv) == 5 else 20)
    if len(argv) == 6 and argv[1] == "idle":
        soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
        want = min(hard, int(argv[3]) + 256) if hard != resource.RLIM_INFINITY else int(argv[3]) + 256
        resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, want), hard))
        return asyncio.run(idle(int(argv[2]), int(argv[3]), int(argv[4]), argv[5]))
    print(__doc__, file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main(sys.argv))
