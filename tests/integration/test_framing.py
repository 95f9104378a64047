"""HTTP framing over raw sockets against the real server.

Each case sends bytes a proxy in front of neptun could read differently
from evhttp (request smuggling), or that no HTTP/1.1 server should
accept, and checks the exact status, that the connection is closed after
it, and that no second reply follows (the body of the first request never
runs as a request of its own).  Also: the answers for oversized heads
(431, 414) and bodies in a content coding (415) carry neptun's XML error;
a client's CR/LF never forges an error-log line; SIGTERM lets an upload
in progress finish; a second server on a port in use does not start."""
import os
import re
import signal
import socket
import subprocess
import threading
import time

import harness

server = None

ITEM = b"""<?xml version="1.0" encoding="UTF-8"?>
<item xmlns="urn:neptun:1" type="events" slug="%s" status="published">
  <tags><tag>framing</tag></tags>
  <text xml:lang="pl"><title>Test %s</title><summary>Podsumowanie</summary>
    <body><div xmlns="http://www.w3.org/1999/xhtml"><p>%s</p></div></body></text>
</item>
"""


def item_doc(slug, filler=b"x"):
    return ITEM % (slug.encode(), slug.encode(), filler)


def setup():
    global server
    server = harness.Server(workers=2).start()


def teardown():
    server.__exit__(None, None, None)


def read_replies(sock, timeout=5):
    """Every reply on the socket until the server closes it: a list of
    (status, headers dict, body).  Raises when the connection stays open."""
    sock.settimeout(timeout)
    data = b""
    deadline = time.time() + timeout
    closed = False
    while time.time() < deadline:
        try:
            more = sock.recv(65536)
        except ConnectionResetError:
            closed = True
            break
        except socket.timeout:
            break
        if not more:
            closed = True
            break
        data += more
    replies = []
    rest = data
    while rest:
        head, sep, rest = rest.partition(b"\r\n\r\n")
        assert sep, "truncated reply: %r" % head[:300]
        lines = head.split(b"\r\n")
        m = re.match(rb"HTTP/1\.[01] (\d{3}) ", lines[0] + b" ")
        assert m, "not a status line: %r" % lines[0]
        headers = {}
        for line in lines[1:]:
            k, _, v = line.partition(b":")
            headers[k.strip().lower().decode()] = v.strip().decode("latin-1")
        n = int(headers["content-length"]) if "content-length" in headers else len(rest)
        replies.append((int(m.group(1)), headers, rest[:n]))
        rest = rest[n:]
    assert closed, "the connection stayed open after %r" % [r[0] for r in replies]
    return replies


def exchange(raw, port=None, timeout=5):
    s = socket.create_connection(("127.0.0.1", port or server.port), timeout=timeout)
    try:
        try:
            s.sendall(raw)
        except (BrokenPipeError, ConnectionResetError):
            pass
        return read_replies(s, timeout)
    finally:
        s.close()


def refused(raw, status, xml=True, port=None):
    """raw gets exactly one reply, status, and the connection is closed.
    xml: the answer is neptun's XML error (None: evhttp may refuse the
    request while parsing it, with its own plain answer)."""
    replies = exchange(raw, port)
    assert [r[0] for r in replies] == [status], (raw[:200], replies)
    if xml or (xml is None and not replies[0][2].startswith(b"<HTML>")):
        assert replies[0][1].get("content-type", "").startswith("application/xml"), replies
        assert b"<error" in replies[0][2], replies
    return replies[0]


def test_two_content_lengths_are_one_400_and_no_smuggled_request():
    inner = b"GET /admin/x HTTP/1.1\r\nHost: x\r\n\r\n"
    inner += b"X" * (41 - len(inner)) if len(inner) < 41 else b""
    raw = (b"POST /admin/x HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\n"
           b"Content-Length: %d\r\n\r\n" % len(inner)) + inner
    refused(raw, 400)
    # the same value twice is refused as well
    refused(b"GET /healthz HTTP/1.1\r\nHost: x\r\nContent-Length: 0\r\nContent-Length: 0\r\n\r\n", 400)


def test_content_length_with_transfer_encoding_is_400():
    for te in (b"chunked", b"identity"):
        raw = (b"POST /admin/x HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n"
               b"Transfer-Encoding: %s\r\n\r\n0\r\n\r\n" % te)
        refused(raw, 400, xml=None)


def test_malformed_content_length_is_400():
    for value in (b"+5", b"5x", b"0x5", b"-1", b"5 5", b""):
        raw = b"POST /admin/x HTTP/1.1\r\nHost: x\r\nContent-Length: %s\r\n\r\nhello" % value
        refused(raw, 400, xml=None)
    # numeric but beyond any body size
    raw = b"POST /admin/x HTTP/1.1\r\nHost: x\r\nContent-Length: 99999999999999999999\r\n\r\nhello"
    refused(raw, 413, xml=None)


def test_transfer_encoding_other_than_chunked_is_400():
    for value in (b"gzip, chunked", b"chunked, chunked", b"xchunked", b"identity", b"gzip"):
        raw = (b"POST /admin/x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: %s\r\n\r\n"
               b"0\r\n\r\n" % value)
        refused(raw, 400, xml=None)
    # two Transfer-Encoding headers
    refused(b"POST /admin/x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n"
            b"Transfer-Encoding: chunked\r\n\r\n0\r\n\r\n", 400, xml=None)


def test_space_before_colon_is_400():
    # evhttp would take "Transfer-Encoding " for another header and read
    # the chunked body as the next request
    smuggled = b"GET /admin/y HTTP/1.1\r\nHost: x\r\n\r\n"
    raw = (b"POST /admin/x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding : chunked\r\n\r\n"
           b"%x\r\n%s\r\n0\r\n\r\n" % (len(smuggled), smuggled))
    refused(raw, 400)
    refused(b"GET /healthz HTTP/1.1\r\nHost : x\r\n\r\n", 400)
    refused(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX\tY: z\r\n\r\n", 400)
    refused(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX(Y): z\r\n\r\n", 400)


def test_two_host_headers_are_400():
    refused(b"GET /healthz HTTP/1.1\r\nHost: a\r\nHost: b\r\n\r\n", 400)


def test_folded_header_lines_are_400():
    # evhttp joins a continuation line onto the previous value; these
    # joins leave the blanks a value never has otherwise
    refused(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Fold:\r\n folded\r\n\r\n", 400)
    refused(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Fold: a\r\n \r\n\r\n", 400)
    refused(b"POST /admin/x HTTP/1.1\r\nHost: x\r\nContent-Length:\r\n 5\r\n\r\nhello", 400,
            xml=None)
    refused(b"POST /admin/x HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n , x\r\n\r\n"
            b"0\r\n\r\n", 400, xml=None)


def test_control_characters_in_header_values_are_400():
    refused(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: a\rb\r\n\r\n", 400, xml=None)
    refused(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-A: a\x01b\r\n\r\n", 400)


def test_unsupported_versions():
    status, headers, body = refused(b"GET /healthz HTTP/1.9\r\nHost: x\r\n\r\n", 505)
    status, headers, body = refused(b"GET /healthz HTTP/0.9\r\nHost: x\r\n\r\n", 505)
    # evhttp refuses a major version above 1 while parsing the request line
    # (its own plain 400: no request reaches neptun)
    refused(b"GET /healthz HTTP/2.0\r\nHost: x\r\n\r\n", 400, xml=False)
    # the supported ones still work
    for v in (b"1.0", b"1.1"):
        s = socket.create_connection(("127.0.0.1", server.port), timeout=5)
        s.sendall(b"GET /healthz HTTP/%s\r\nHost: x\r\nConnection: close\r\n\r\n" % v)
        assert [r[0] for r in read_replies(s)] == [200], v
        s.close()


def test_oversized_header_fields_are_431():
    refused(b"GET /healthz HTTP/1.1\r\nHost: x\r\nX-Big: " + b"a" * (200 * 1024) + b"\r\n\r\n", 431)
    many = b"".join(b"X-H%d: v\r\n" % i for i in range(10000))
    refused(b"GET /healthz HTTP/1.1\r\nHost: x\r\n" + many + b"\r\n", 431)
    # just under the limits: served
    some = b"".join(b"X-H%d: v\r\n" % i for i in range(90))
    r = exchange(b"GET /healthz HTTP/1.1\r\nHost: x\r\nConnection: close\r\n" + some + b"\r\n")
    assert [x[0] for x in r] == [200], r


def test_long_uri_is_414():
    refused(b"GET /events?q=" + b"a" * (100 * 1024) + b" HTTP/1.1\r\nHost: x\r\n\r\n", 414)


def test_bad_chunk_sizes_end_the_connection():
    # evhttp refuses a malformed chunk size while reading the body and
    # answers itself; libevent 2.1 reports every body error as "too long",
    # so its answer is 413 (400 is what it should be: see docs/security.md)
    for size in (b"zz", b"-1", b"1x", b"fffffffffffffffffffffff"):
        raw = (b"PUT /admin/events/chunky HTTP/1.1\r\nHost: x\r\n"
               b"Authorization: Bearer " + harness.ADMIN_TOKEN.encode() +
               b"\r\nTransfer-Encoding: chunked\r\n\r\n" + size + b"\r\nabc\r\n0\r\n\r\n")
        replies = exchange(raw)
        assert len(replies) == 1 and replies[0][0] in (400, 413), (size, replies)
    assert server.admin("GET", "/admin/events/chunky").status == 404


def test_crlf_in_absolute_form_target_is_400():
    for target in (b"http://127.0.0.1/events/a%0d%0aSet-Cookie:%20x=1",
                   b"http://127.0.0.1/events%0aX",
                   b"/events/a%0d%0aSet-Cookie:%20x=1"):
        replies = exchange(b"GET " + target + b" HTTP/1.1\r\nHost: x\r\n\r\n")
        assert [r[0] for r in replies] == [400], (target, replies)
        assert "location" not in replies[0][1], replies


def test_gzip_request_body_is_415():
    body = item_doc("framing-gz")
    r = server.admin("PUT", "/admin/events/framing-gz", body,
                     headers={"Content-Encoding": "gzip", "Content-Type": "application/xml"})
    assert r.status == 415, r
    assert r.headers["content-type"].startswith("application/xml") and b"<error" in r.body, r
    assert server.admin("GET", "/admin/events/framing-gz").status == 404


def test_no_forged_error_log_line():
    forged = "2026-01-01T00:00:00.000Z [info] admin: deleted events/everything"
    path = "/admin/x%0a" + forged.replace(" ", "%20") + "%0dY"
    r = server.get(path)
    assert r.status in (400, 401), r
    # the same through a header a rule or the log could echo
    s = socket.create_connection(("127.0.0.1", server.port), timeout=5)
    s.sendall(b"GET /admin/y HTTP/1.1\r\nHost: x\r\nUser-Agent: a\x1b[2Jb\r\nConnection: close\r\n\r\n")
    read_replies(s)
    s.close()
    time.sleep(0.2)
    log = server.log()
    for line in log.splitlines():
        assert "deleted events/everything" not in line or not line.startswith("2026-01-01"), line
        assert not re.match(r"^\d{4}-\d\d-\d\dT.*\[info\] admin: deleted events/everything", line), line
        assert "\x1b" not in line and "\r" not in line, repr(line)


def test_access_log_lines_stay_one_line():
    with harness.Server(workers=1, conf_extra="access_log %s\n" % os.path.join(
            harness.tempfile.gettempdir(), "neptun-framing-%d.log" % os.getpid())) as s:
        path = os.path.join(harness.tempfile.gettempdir(), "neptun-framing-%d.log" % os.getpid())
        try:
            c = socket.create_connection(("127.0.0.1", s.port), timeout=5)
            c.sendall(b"GET /healthz HTTP/1.1\r\nHost: x\r\nUser-Agent: a\"\x7f\x01b\r\n"
                      b"Referer: r\\\r\nConnection: close\r\n\r\n")
            read_replies(c)
            c.close()
            time.sleep(0.2)
            with open(path, "rb") as f:
                lines = f.read().splitlines()
            ua = [l for l in lines if b"\\x7f" in l]
            assert ua, lines
            for l in lines:
                assert all(b >= 0x20 and b != 0x7f for b in l), l
            assert b'"a\\"\\x7f\\x01b"' in ua[0], ua[0]
        finally:
            if os.path.exists(path):
                os.unlink(path)


def test_sigterm_lets_an_upload_in_progress_finish():
    with harness.Server(workers=1) as s:
        body = item_doc("framing-slow", b"y" * 20000)
        head = ("PUT /admin/events/framing-slow HTTP/1.1\r\nHost: x\r\n"
                "Authorization: Bearer %s\r\nContent-Type: application/xml\r\n"
                "Content-Length: %d\r\n\r\n" % (harness.ADMIN_TOKEN, len(body))).encode()
        c = socket.create_connection(("127.0.0.1", s.port), timeout=10)
        c.sendall(head + body[:1000])
        time.sleep(0.3)
        s.signal(signal.SIGTERM)
        time.sleep(0.5)
        # the listener is gone, the upload goes on
        try:
            c.sendall(body[1000:10000])
            time.sleep(0.3)
            c.sendall(body[10000:])
        except (BrokenPipeError, ConnectionResetError) as e:
            raise AssertionError("the upload was cut off: %r" % e)
        replies = read_replies(c, timeout=10)
        c.close()
        assert [r[0] for r in replies] == [201], replies
        assert replies[0][1].get("connection", "").lower() == "close", replies
        assert s.proc.wait(timeout=15) == 0
        s.stop()
        # the write was committed
        with harness.Server(workers=1, db=s.db) as again:
            assert again.admin("GET", "/admin/events/framing-slow").status == 200


def test_idle_connections_do_not_hold_a_stop():
    with harness.Server(workers=1) as s:
        idle = socket.create_connection(("127.0.0.1", s.port), timeout=5)
        t0 = time.time()
        s.signal(signal.SIGTERM)
        assert s.proc.wait(timeout=15) == 0
        assert time.time() - t0 < 5, time.time() - t0
        idle.close()
        s.stop()


def test_second_server_on_the_same_port_does_not_start():
    # /healthz on the port would be answered by the first server: watch
    # the second one's process instead
    second = harness.Server(workers=1)
    second.port = server.port
    try:
        p = subprocess.run(second.command(), capture_output=True, text=True, timeout=30,
                           cwd=second.tmp)
    finally:
        harness.shutil.rmtree(second.tmp, ignore_errors=True)
    assert p.returncode != 0, (p.returncode, p.stdout, p.stderr)
    assert "already in use" in p.stderr, p.stderr
    assert server.get("/healthz").status == 200


def test_disk_full_write_is_507():
    # a small file system of its own for the store (needs mount: root)
    if os.geteuid() != 0:
        print("skipped: mounting a small file system needs root")
        return
    disk = harness.tempfile.mkdtemp(prefix="neptun-disk-")
    if subprocess.run(["mount", "-t", "tmpfs", "-o", "size=2m", "tmpfs", disk]).returncode != 0:
        os.rmdir(disk)
        print("skipped: cannot mount a tmpfs")
        return
    try:
        with harness.Server(workers=1, db=os.path.join(disk, "neptun.db")) as s:
            assert s.admin("PUT", "/admin/events/framing-a", item_doc("framing-a")).status == 201
            with open(os.path.join(disk, "filler"), "wb") as f:
                try:
                    while True:
                        f.write(b"\0" * 65536)
                        f.flush()
                except OSError:
                    pass
            r = s.admin("PUT", "/admin/events/framing-b", item_doc("framing-b", b"z" * 200000))
            assert r.status == 507, r
            assert r.headers["content-type"].startswith("application/xml"), r
            assert b"full" in r.body, r.body
            os.unlink(os.path.join(disk, "filler"))
            assert s.admin("PUT", "/admin/events/framing-b", item_doc("framing-b")).status == 201
    finally:
        subprocess.run(["umount", disk])
        os.rmdir(disk)


if __name__ == "__main__":
    harness.main(globals())
