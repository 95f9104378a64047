"""Integration test harness: starts the real neptun server on a free
127.0.0.1 port with a temporary store, and talks HTTP to it.

    import harness
    with harness.Server() as s:
        r = s.get("/pl/events")
        assert r.status == 200

Tests are plain functions named test_*; harness.main(globals()) runs them
and prints "N passed, N failed".
"""
import http.client
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import traceback

SOURCE = os.environ.get("NEPTUN_SOURCE_DIR") or os.path.abspath(
    os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD = os.environ.get("NEPTUN_BUILD_DIR") or os.path.join(SOURCE, "build")
BINARY = os.path.join(BUILD, "neptun")
SANITIZED = bool(os.environ.get("NEPTUN_SANITIZE"))
ADMIN_TOKEN = "dev-admin-token"
PARTNER_KEY = "dev-sopot-key"

# Keys whose values are paths relative to the config file's folder.
PATH_KEYS = {"scripts", "db", "content", "locales", "schema", "plugin_dir"}


def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Response:
    def __init__(self, status, headers, body):
        self.status = status
        self.headers = headers
        self.body = body

    @property
    def text(self):
        return self.body.decode("utf-8")

    def __repr__(self):
        return "<Response %d %r %r>" % (self.status, self.headers, self.body[:200])


def make_conf(tmp, conf_extra=""):
    """The shipped config with its relative paths made absolute, plus
    conf_extra lines (later lines override single-valued keys)."""
    src = os.path.join(SOURCE, "conf", "neptun.conf")
    base = os.path.dirname(src)
    out = []
    with open(src, encoding="utf-8") as f:
        for line in f:
            words = line.split("#", 1)[0].split()
            if len(words) == 2 and words[0] in PATH_KEYS and not words[1].startswith("/"):
                line = "%s %s\n" % (words[0], os.path.normpath(os.path.join(base, words[1])))
            out.append(line)
    out.append("\n" + conf_extra + "\n")
    path = os.path.join(tmp, "neptun.conf")
    with open(path, "w", encoding="utf-8") as f:
        f.writelines(out)
    return path


class Server:
    def __init__(self, scripts=None, conf_extra="", db=None, workers=2, args=(),
                 admin_port=False, start_timeout=None):
        self.tmp = tempfile.mkdtemp(prefix="neptun-test-")
        self.port = free_port()
        self.admin_port = free_port() if admin_port else None
        self.db = db or os.path.join(self.tmp, "neptun.db")
        self.scripts = scripts
        self.conf = make_conf(self.tmp, conf_extra)
        self.workers = workers
        self.args = list(args)
        self.proc = None
        self.logfile = os.path.join(self.tmp, "server.log")
        self.start_timeout = start_timeout or (60 if SANITIZED else 20)
        self.exit_code = None

    def command(self):
        cmd = [BINARY, "serve", "-c", self.conf, "--listen", "127.0.0.1:%d" % self.port,
               "--db", self.db, "--workers", str(self.workers)]
        if self.scripts is not None:
            cmd += ["--scripts", self.scripts]
        if self.admin_port:
            cmd += ["--admin-listen", "127.0.0.1:%d" % self.admin_port]
        return cmd + self.args

    def start(self):
        self._log = open(self.logfile, "ab")
        self.proc = subprocess.Popen(self.command(), stdout=self._log, stderr=subprocess.STDOUT,
                                     cwd=self.tmp)
        deadline = time.time() + self.start_timeout
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError("server exited with %s:\n%s" % (self.proc.returncode, self.log()))
            try:
                if self.get("/healthz", timeout=2).status == 200:
                    return self
            except OSError:
                pass
            time.sleep(0.1)
        raise RuntimeError("server did not answer /healthz in time:\n" + self.log())

    def stop(self, sig=signal.SIGTERM, timeout=20):
        if self.proc is None:
            return None
        if self.proc.poll() is None:
            self.proc.send_signal(sig)
            try:
                self.proc.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
                raise RuntimeError("server did not stop within %ss of %s" % (timeout, sig))
        self.exit_code = self.proc.returncode
        self.proc = None
        self._log.close()
        return self.exit_code

    def kill(self):
        return self.stop(sig=signal.SIGKILL)

    def signal(self, sig):
        self.proc.send_signal(sig)

    def log(self):
        try:
            with open(self.logfile, encoding="utf-8", errors="replace") as f:
                return f.read()
        except OSError:
            return ""

    def __enter__(self):
        return self.start()

    def __exit__(self, exc_type, exc, tb):
        code = self.stop()
        log = self.log()
        keep = os.environ.get("NEPTUN_KEEP_TMP")
        if not keep:
            shutil.rmtree(self.tmp, ignore_errors=True)
        if exc_type is None:
            if "Sanitizer" in log or "runtime error:" in log:
                raise AssertionError("sanitizer report in the server log:\n" + log[-6000:])
            if code not in (0, None):
                raise AssertionError("server exited with %s after SIGTERM:\n%s" % (code, log[-4000:]))
        return False

    def url(self, path, admin=False):
        port = self.admin_port if admin and self.admin_port else self.port
        return "http://127.0.0.1:%d%s" % (port, path)

    def request(self, method, path, body=None, headers=None, timeout=30, admin=False):
        port = self.admin_port if admin and self.admin_port else self.port
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=timeout)
        try:
            conn.request(method, path, body=body, headers=headers or {})
            resp = conn.getresponse()
            data = resp.read()
            hdrs = {}
            for k, v in resp.getheaders():
                k = k.lower()
                hdrs[k] = hdrs[k] + ", " + v if k in hdrs else v
            return Response(resp.status, hdrs, data)
        finally:
            conn.close()

    def schema(self):
        """The composed RELAX NG grammar this server serves (bytes)."""
        r = self.get("/schema/neptun.rng")
        assert r.status == 200 and r.headers["content-type"].startswith("application/xml"), r
        return r.body

    def get(self, path, headers=None, timeout=30):
        return self.request("GET", path, headers=headers, timeout=timeout)

    def admin(self, method, path, body=None, token=ADMIN_TOKEN, headers=None):
        h = dict(headers or {})
        if token is not None:
            h["Authorization"] = "Bearer " + token
        if isinstance(body, str):
            body = body.encode("utf-8")
        return self.request(method, path, body=body, headers=h, admin=True)


def run(cmd, **kw):
    """Run a command (list), return CompletedProcess with text output."""
    return subprocess.run(cmd, capture_output=True, text=True, **kw)


def neptun(*args, **kw):
    return run([BINARY] + list(args), **kw)


def validate_rng(xml_bytes, rng):
    """Validate with xmllint --relaxng; rng is a path or the schema bytes."""
    with tempfile.TemporaryDirectory() as d:
        doc = os.path.join(d, "doc.xml")
        with open(doc, "wb") as f:
            f.write(xml_bytes)
        if isinstance(rng, (bytes, bytearray)):
            path = os.path.join(d, "schema.rng")
            with open(path, "wb") as f:
                f.write(rng)
            rng = path
        p = run(["xmllint", "--noout", "--relaxng", rng, doc])
        if p.returncode != 0:
            raise AssertionError("RELAX NG validation failed:\n%s\n--- document ---\n%s" % (
                p.stderr[-3000:], xml_bytes[:3000].decode("utf-8", "replace")))


def main(ns):
    tests = [(n, f) for n, f in ns.items() if n.startswith("test_") and callable(f)]
    only = os.environ.get("NEPTUN_TEST_ONLY")
    if only:
        tests = [(n, f) for n, f in tests if re.search(only, n)]
    passed = failed = 0
    setup, teardown = ns.get("setup"), ns.get("teardown")
    if setup is not None:
        try:
            setup()
        except Exception:
            print("FAIL setup")
            traceback.print_exc()
            print("0 passed, %d failed" % max(1, len(tests)))
            sys.exit(1)
    for name, fn in tests:
        t0 = time.time()
        try:
            fn()
        except Exception:
            failed += 1
            print("FAIL %s (%.1fs)" % (name, time.time() - t0))
            traceback.print_exc()
        else:
            passed += 1
            print("ok   %s (%.1fs)" % (name, time.time() - t0))
        sys.stdout.flush()
    if teardown is not None:
        try:
            teardown()
        except Exception:
            failed += 1
            print("FAIL teardown")
            traceback.print_exc()
    print("%d passed, %d failed" % (passed, failed))
    sys.exit(1 if failed or not tests else 0)
