"""The store under faults: another process writing the same file (the
answer cache follows within a second or two), the database file renamed or
deleted under the running server (writes refused, never acknowledged into
a file the next start cannot see; the next start refuses to create an
empty store in its place), and a second server on the same store (refused
while the first runs; import beside it still works)."""
import os
import re
import subprocess
import time

import harness

CONF = None


def doc(slug, title):
    return ("""<?xml version="1.0" encoding="UTF-8"?>
<item xmlns="urn:neptun:1" type="campaigns" slug="%s" status="published">
  <text xml:lang="pl"><title>%s</title></text>
</item>
""" % (slug, title)).encode("utf-8")


def total(r):
    assert r.status == 200, r
    m = re.search(rb'\btotal="(\d+)"', r.body)
    assert m, r.body[:400]
    return int(m.group(1))


def test_a_cached_list_shows_an_import_by_another_process_within_two_seconds():
    with harness.Server(workers=2) as s:
        before = total(s.get("/pl/campaigns"))
        assert total(s.get("/pl/campaigns")) == before  # cached now
        path = os.path.join(s.tmp, "imported.xml")
        with open(path, "wb") as f:
            f.write(doc("imported-beside", "Zaimportowana obok"))
        p = harness.neptun("import", "-c", s.conf, "--db", s.db, path)
        assert p.returncode == 0, p.stderr
        t0 = time.time()
        seen = before
        while time.time() - t0 < 2.5:
            seen = total(s.get("/pl/campaigns"))
            if seen == before + 1:
                break
            time.sleep(0.05)
        took = time.time() - t0
        assert seen == before + 1, "the list still says %d after %.1f s" % (seen, took)
        assert took < 2.0, took
        assert b"imported-beside" in s.get("/pl/campaigns?per_page=100").body


def test_writes_into_a_renamed_store_are_refused_and_a_restart_makes_no_empty_store():
    # one worker: its write connection, opened by the first PUT, is the one
    # that must notice (a worker opening its first one finds no file)
    s = harness.Server(workers=1)
    s.start()
    try:
        r = s.admin("PUT", "/admin/campaigns/before-move", doc("before-move", "Przed"))
        assert r.status == 201, r
        moved = s.db + ".moved"
        os.rename(s.db, moved)
        r = s.admin("PUT", "/admin/campaigns/after-move", doc("after-move", "Po"))
        assert r.status == 503, r  # never a 201 for a write the next start loses
        assert "moved or deleted" in r.text and r.headers.get("retry-after") == "60", r
        assert "moved or deleted" in s.log(), s.log()[-2000:]
        r = s.admin("DELETE", "/admin/campaigns/before-move")
        assert r.status == 503, r
        s.stop()
        # the next start finds the store missing and says so, rather than
        # starting over with an empty one
        p = harness.run(s.command(), timeout=60)
        assert p.returncode != 0, p
        out = p.stdout + p.stderr
        assert "--init" in out and "moved or deleted" in out, out[-2000:]
        assert not os.path.exists(s.db)
        # put back, it serves what was acknowledged
        os.rename(moved, s.db)
        for suffix in ("-wal", "-shm"):
            if os.path.exists(moved + suffix):
                os.rename(moved + suffix, s.db + suffix)
        s.start()
        assert s.get("/pl/campaigns/before-move").status == 200
        assert s.get("/pl/campaigns/after-move").status == 404
    finally:
        s.__exit__(None, None, None)


def test_only_init_makes_a_new_store_where_one_was_lost():
    s = harness.Server(workers=1)
    s.start()
    try:
        assert s.admin("PUT", "/admin/campaigns/kept", doc("kept", "Zostaje")).status == 201
        s.stop()
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(s.db + suffix):
                os.unlink(s.db + suffix)
        p = harness.run(s.command(), timeout=60)
        assert p.returncode != 0 and "--init" in p.stdout + p.stderr, p
        assert not os.path.exists(s.db)
        # an import is refused the same way: it would make a store of one item
        p = harness.neptun("import", "-c", s.conf, "--db", s.db,
                           os.path.join(harness.SOURCE, "content", "campaigns-laczy-nas-gdansk.xml"))
        assert p.returncode != 0 and "--init" in p.stdout + p.stderr, p
        assert not os.path.exists(s.db)
        s.args = ["--init"]
        s.start()
        assert s.get("/pl/campaigns").status == 200
        assert s.get("/pl/campaigns/kept").status == 404  # a new store, as asked
        assert "--init" in s.log() or "creat" in s.log(), s.log()[-2000:]
    finally:
        s.__exit__(None, None, None)


def test_a_second_server_on_the_same_store_does_not_start():
    with harness.Server(workers=1) as first:
        second = harness.Server(workers=1, db=first.db)  # another port, same store
        try:
            t0 = time.time()
            p = subprocess.run(second.command(), capture_output=True, text=True, timeout=30,
                               cwd=second.tmp)
            took = time.time() - t0
        finally:
            harness.shutil.rmtree(second.tmp, ignore_errors=True)
        out = p.stdout + p.stderr
        assert p.returncode != 0, (p.returncode, out)
        assert took < 10, took
        assert first.db in out and "in use" in out, out[-2000:]
        assert "PID %d" % first.proc.pid in out, out[-2000:]
        assert first.get("/healthz").status == 200
        assert first.get("/pl/campaigns").status == 200
        # import beside the running server takes no lock and is served
        path = os.path.join(first.tmp, "beside.xml")
        with open(path, "wb") as f:
            f.write(doc("beside-the-lock", "Obok"))
        p = harness.neptun("import", "-c", first.conf, "--db", first.db, path)
        assert p.returncode == 0, p.stderr
        p = harness.neptun("export", "-c", first.conf, "--db", first.db)
        assert p.returncode == 0 and "beside-the-lock" in p.stdout, p.stderr
        t0 = time.time()
        while time.time() - t0 < 2.5:
            if first.get("/pl/campaigns/beside-the-lock").status == 200:
                break
            time.sleep(0.05)
        assert first.get("/pl/campaigns/beside-the-lock").status == 200
        db = first.db
        assert first.stop() == 0
        assert os.path.exists(db + ".lock")  # left behind, and no obstacle
        # after the first stops, a new server on that store starts
        third = harness.Server(workers=1, db=db)
        with third:
            assert third.get("/pl/campaigns/beside-the-lock").status == 200


if __name__ == "__main__":
    harness.main(globals())
