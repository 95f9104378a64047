"""The admin API: bearer-token auth, PUT/GET/DELETE of item documents,
422 answers that name each problem's path, rules reload, and durability:
a server killed with SIGKILL in the middle of a stream of PUTs loses no
acknowledged write and leaves an intact store."""
import os
import re
import shutil
import socket
import sqlite3
import subprocess
import tempfile
import threading
import time
import urllib.parse
import xml.etree.ElementTree as ET

import harness

NS = "{urn:neptun:1}"
server = None


def setup():
    global server
    server = harness.Server(workers=2).start()


def teardown():
    server.__exit__(None, None, None)


def doc(slug, title="Tytuł", status="published", type_="events", extra="", lang="pl"):
    return ("""<?xml version="1.0" encoding="UTF-8"?>
<item xmlns="urn:neptun:1" type="%s" slug="%s" status="%s">
  <tags><tag>test</tag></tags>
  <text xml:lang="%s"><title>%s</title><summary>Krótko o %s.</summary>%s</text>
</item>
""" % (type_, slug, status, lang, title, title, extra)).encode("utf-8")


def problems(r):
    root = ET.fromstring(r.body)
    assert root.tag == NS + "error" and root.get("status") == str(r.status), r
    return [(p.get("path"), p.text or "") for p in root.iter(NS + "problem")]


def test_admin_routes_require_a_valid_bearer_token():
    cases = [
        ("GET", "/admin/events/anything", None),
        ("PUT", "/admin/events/anything", doc("anything")),
        ("DELETE", "/admin/events/anything", None),
        ("POST", "/admin/reload", None),
    ]
    for method, path, body in cases:
        for token in (None, "wrong-token", ""):
            r = server.admin(method, path, body=body, token=token)
            assert r.status == 401, (method, path, token, r)
            assert r.headers.get("www-authenticate", "").startswith("Bearer"), r.headers
    r = server.request("GET", "/admin/events/anything",
                       headers={"Authorization": "Basic ZGV2OmRldi1hZG1pbi10b2tlbg=="})
    assert r.status == 401, r
    # nothing was written by the refused PUTs, and no token reached the log
    assert server.admin("GET", "/admin/events/anything").status == 404
    assert "wrong-token" not in server.log()
    assert "dev-admin-token" not in server.log()


def test_put_creates_then_replaces_and_get_returns_the_document():
    r = server.admin("PUT", "/admin/events/admin-test-one", doc("admin-test-one", "Pierwszy"))
    assert r.status == 201, r
    assert r.headers["content-type"].startswith("application/xml"), r.headers
    assert ET.fromstring(r.body).get("slug") == "admin-test-one"
    r = server.admin("PUT", "/admin/events/admin-test-one", doc("admin-test-one", "Drugi"))
    assert r.status == 200, r
    r = server.admin("GET", "/admin/events/admin-test-one")
    assert r.status == 200, r
    assert r.headers["content-type"] == "application/xml; charset=utf-8", r.headers
    item = ET.fromstring(r.body)
    assert item.tag == NS + "item" and item.get("type") == "events", r.body
    titles = [t.text for t in item.iter(NS + "title")]
    assert titles == ["Drugi"], titles
    assert item.get("updated"), r.body


def test_drafts_are_served_to_admins_only():
    r = server.admin("PUT", "/admin/events/admin-draft", doc("admin-draft", status="draft"))
    assert r.status == 201, r
    assert server.admin("GET", "/admin/events/admin-draft").status == 200
    assert server.get("/pl/events/admin-draft").status == 404
    r = server.admin("PUT", "/admin/events/admin-draft", doc("admin-draft", status="published"))
    assert r.status == 200, r
    assert server.get("/pl/events/admin-draft").status == 200


def test_a_put_shows_at_once_in_lists_and_search():
    before = server.get("/pl/search?q=zebrafinch")
    assert before.status == 200, before
    r = server.admin("PUT", "/admin/events/admin-zebra",
                     doc("admin-zebra", "Spotkanie Zebrafinch Łódź"))
    assert r.status == 201, r
    after = server.get("/pl/search?q=zebrafinch")
    assert after.status == 200 and b"admin-zebra" in after.body, after
    assert b"admin-zebra" in server.get("/pl/search?q=lodz").body
    assert b"admin-zebra" in server.get("/pl/events?per_page=100").body
    assert server.admin("DELETE", "/admin/events/admin-zebra").status == 204
    assert b"admin-zebra" not in server.get("/pl/search?q=zebrafinch").body


def test_delete_answers_204_then_404():
    assert server.admin("PUT", "/admin/events/admin-gone", doc("admin-gone")).status == 201
    r = server.admin("DELETE", "/admin/events/admin-gone")
    assert r.status == 204 and r.body == b"", r
    assert server.admin("DELETE", "/admin/events/admin-gone").status == 404
    assert server.admin("GET", "/admin/events/admin-gone").status == 404
    assert server.get("/pl/events/admin-gone").status == 404


def test_unknown_type_is_404():
    assert server.admin("PUT", "/admin/nothings/x", doc("x", type_="nothings")).status == 404
    assert server.admin("GET", "/admin/nothings/x").status == 404
    assert server.admin("DELETE", "/admin/nothings/x").status == 404


def test_invalid_documents_get_422_with_each_problem_path():
    r = server.admin("PUT", "/admin/events/other-slug", doc("admin-mismatch"))
    assert r.status == 422, r
    paths = [p for p, _ in problems(r)]
    assert "/item/@slug" in paths, paths
    assert server.admin("GET", "/admin/events/other-slug").status == 404

    r = server.admin("PUT", "/admin/events/admin-bad",
                     doc("admin-bad").replace(b"<title>Tytu\xc5\x82</title>", b""))
    assert r.status == 422, r
    found = problems(r)
    assert found and all(p.startswith("/") for p, _ in found), found
    assert any("/item/text" in p for p, _ in found), found

    r = server.admin("PUT", "/admin/events/admin-bad", doc("admin-bad", lang="xx"))
    assert r.status == 422, r
    assert any("text" in p for p, _ in problems(r)), problems(r)
    assert server.admin("GET", "/admin/events/admin-bad").status == 404


def test_malformed_and_hostile_bodies_get_400():
    bodies = [
        b"",
        b"<item",
        b"not xml at all",
        b"\xff\xfe<item/>",
        b'<?xml version="1.0"?><!DOCTYPE item [<!ENTITY a "aaaaaaaaaa">'
        b'<!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">]><item>&b;</item>',
    ]
    for body in bodies:
        r = server.admin("PUT", "/admin/events/admin-hostile", body)
        assert r.status == 400, (body[:40], r)
        ET.fromstring(r.body)
    assert server.admin("GET", "/admin/events/admin-hostile").status == 404


def test_wrong_methods_get_405_with_allow():
    r = server.admin("POST", "/admin/events/x")
    assert r.status == 405 and "PUT" in r.headers.get("allow", ""), r
    r = server.admin("GET", "/admin/reload")
    assert r.status == 405 and r.headers.get("allow") == "POST", r


def test_reload_answers_200():
    r = server.admin("POST", "/admin/reload")
    assert r.status == 200, r
    assert ET.fromstring(r.body).tag == NS + "reloaded", r.body


def test_reload_with_a_broken_script_keeps_the_old_rules():
    tmp = tempfile.mkdtemp(prefix="neptun-admin-scripts-")
    try:
        with open(os.path.join(tmp, "10-ok.lua"), "w") as f:
            f.write("function on_request(req) end\n")
        with harness.Server(workers=1, scripts=tmp) as s:
            assert s.admin("POST", "/admin/reload").status == 200
            with open(os.path.join(tmp, "20-broken.lua"), "w") as f:
                f.write("function on_request(req\n")
            r = s.admin("POST", "/admin/reload")
            assert r.status == 500, r
            assert s.get("/healthz").status == 200
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def test_slugs_are_limited_to_80_lowercase_letters_digits_and_hyphens():
    ok = "a" * 80
    assert server.admin("PUT", "/admin/events/" + ok, doc(ok)).status == 201
    assert server.admin("DELETE", "/admin/events/" + ok).status == 204
    for bad in ("a" * 81, "Wielkie", "z_podkreslnikiem", "kropka.xml", "\u0142odz", "x y", "a/b"):
        path = "/admin/events/" + urllib.parse.quote(bad, safe="")
        r = server.admin("PUT", path, doc(bad))
        assert r.status in (404, 422), (bad, r)
        if r.status == 422:
            assert "/item/@slug" in [p for p, _ in problems(r)], (bad, problems(r))
        assert server.admin("GET", path).status in (404, 422)


def test_only_configured_languages_are_accepted():
    for lang in ("fr", "xx", "PL-pl", ""):
        r = server.admin("PUT", "/admin/events/admin-lang", doc("admin-lang", lang=lang))
        assert r.status == 422, (lang, r)
        assert any("text" in p or "lang" in p for p, _ in problems(r)), problems(r)
    assert server.admin("GET", "/admin/events/admin-lang").status == 404


def test_422_lists_every_problem_with_its_path():
    body = ("""<item xmlns="urn:neptun:1" type="events" slug="admin-many" status="published">
  <text xml:lang="pl"><title>Jeden</title></text>
  <text xml:lang="fr"><title>Deux</title></text>
  <text xml:lang="de"><titel>Drei</titel></text>
</item>""").encode("utf-8")
    r = server.admin("PUT", "/admin/events/admin-many", body)
    assert r.status == 422, r
    found = problems(r)
    assert found and all(p.startswith("/item") for p, _ in found), found
    assert any("text[3]" in p for p, _ in found), found
    assert server.admin("GET", "/admin/events/admin-many").status == 404


def test_auth_failures_are_counted_in_metrics():
    def failures():
        body = server.get("/metrics").text
        m = re.search(r"^neptun_auth_failures_total (\d+)$", body, re.M)
        assert m, body[:500]
        return int(m.group(1))
    before = failures()
    for token in (None, "nope", "dev-admin-token-but-longer"):
        assert server.admin("GET", "/admin/events/anything", token=token).status == 401
    assert failures() >= before + 3
    assert "refused" in server.log()


def rfc3339(t):
    return time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(t))


def test_scheduled_item_appears_exactly_at_publish_at_even_in_cached_answers():
    slug = "admin-scheduled"
    when = int(time.time()) + 3
    body = doc(slug, "Zaplanowane Kormoran").replace(
        b'status="published"', b'status="published" publish_at="%s"' % rfc3339(when).encode())
    # answers cached before the PUT and between PUT and the moment
    lists = ["/pl/events?per_page=100", "/pl/events.rss", "/pl/events.atom", "/pl/feed.rss"]
    for path in lists:
        assert server.get(path).status == 200
    assert server.admin("PUT", "/admin/events/" + slug, body).status == 201
    assert server.admin("GET", "/admin/events/" + slug).status == 200
    for _ in range(2):  # the second round is answered from the cache
        for path in lists:
            r = server.get(path)
            assert r.status == 200 and slug.encode() not in r.body, (path, r)
        assert server.get("/pl/events/" + slug).status == 404
    while time.time() < when - 0.3:
        time.sleep(0.1)
    assert slug.encode() not in server.get(lists[0]).body  # still early
    while time.time() < when + 0.05:
        time.sleep(0.02)
    for path in lists:
        r = server.get(path)
        assert r.status == 200 and slug.encode() in r.body, (path, r.body[:200])
    assert server.get("/pl/events/" + slug).status == 200
    assert server.admin("DELETE", "/admin/events/" + slug).status == 204


def test_admin_api_on_its_own_address_only():
    with harness.Server(workers=1, admin_port=True) as s:
        assert s.admin("PUT", "/admin/events/admin-split", doc("admin-split")).status == 201
        # the public listener knows no /admin/, not even with a valid token
        for method in ("GET", "PUT", "DELETE", "POST"):
            r = s.request(method, "/admin/events/admin-split", body=doc("admin-split"),
                          headers={"Authorization": "Bearer " + harness.ADMIN_TOKEN})
            assert r.status == 404, (method, r)
        assert s.request("POST", "/admin/reload",
                         headers={"Authorization": "Bearer " + harness.ADMIN_TOKEN}).status == 404
        # the admin listener serves nothing else
        assert s.request("GET", "/pl/events", admin=True).status == 404
        assert s.admin("GET", "/admin/events/admin-split").status == 200
        assert s.admin("GET", "/admin/events/admin-split", token=None).status == 401
        assert s.get("/pl/events/admin-split").status == 200


def test_development_token_is_refused_off_loopback_before_listening():
    tmp = tempfile.mkdtemp(prefix="neptun-devtoken-")
    try:
        conf = harness.make_conf(tmp)
        for extra in (["--listen", "0.0.0.0:%d"], ["--admin-listen", "0.0.0.0:%d"]):
            port = harness.free_port()
            args = [a % port if "%d" in a else a for a in extra]
            proc = subprocess.Popen([harness.BINARY, "serve", "-c", conf, "--db",
                                     os.path.join(tmp, "x.db")] + args,
                                    stdout=subprocess.PIPE, stderr=subprocess.STDOUT)
            listened = False
            deadline = time.time() + 30
            while proc.poll() is None and time.time() < deadline:
                with socket.socket() as probe:
                    probe.settimeout(0.2)
                    listened |= probe.connect_ex(("127.0.0.1", port)) == 0
                time.sleep(0.01)
            if proc.poll() is None:
                proc.kill()
            out = proc.communicate()[0].decode("utf-8", "replace")
            assert proc.returncode not in (0, None), (args, proc.returncode, out)
            assert "non-loopback" in out and "refusing" in out, out
            assert not listened, "it listened on port %d before refusing" % port
            assert "listening on" not in out, out
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


# ---- import and export --------------------------------------------------------

def test_export_then_import_round_trips_and_bad_files_change_nothing():
    tmp = tempfile.mkdtemp(prefix="neptun-cli-")
    try:
        conf = harness.make_conf(tmp)
        db1, db2 = os.path.join(tmp, "one.db"), os.path.join(tmp, "two.db")
        content = os.path.join(harness.SOURCE, "content")
        files = sorted(os.path.join(content, f) for f in os.listdir(content) if f.endswith(".xml"))
        p = harness.neptun("import", "-c", conf, "--db", db1, *files)
        assert p.returncode == 0, p.stderr
        first = harness.neptun("export", "-c", conf, "--db", db1)
        assert first.returncode == 0, first.stderr
        root = ET.fromstring(first.stdout.encode("utf-8"))
        assert root.tag == NS + "items" and len(root) >= 1, first.stdout[:300]
        dump = os.path.join(tmp, "dump.xml")
        with open(dump, "w", encoding="utf-8") as f:
            f.write(first.stdout)
        p = harness.neptun("import", "-c", conf, "--db", db2, dump)
        assert p.returncode == 0, p.stderr
        second = harness.neptun("export", "-c", conf, "--db", db2)
        assert second.stdout == first.stdout, "export -> import -> export differs"

        events = harness.neptun("export", "-c", conf, "--db", db2, "--type", "events")
        assert events.returncode == 0, events.stderr
        assert {i.get("type") for i in ET.fromstring(events.stdout.encode("utf-8"))} <= {"events"}

        # a file whose second item is invalid imports nothing
        good = doc("cli-good").decode("utf-8").split("?>", 1)[1]
        bad = doc("cli-bad").decode("utf-8").split("?>", 1)[1].replace("<title>", "<titel>") \
            .replace("</title>", "</titel>")
        mixed = os.path.join(tmp, "mixed.xml")
        with open(mixed, "w", encoding="utf-8") as f:
            f.write('<items xmlns="urn:neptun:1">%s%s</items>' % (good, bad))
        broken = os.path.join(tmp, "broken.xml")
        with open(broken, "w", encoding="utf-8") as f:
            f.write("<items")
        p = harness.neptun("import", "-c", conf, "--db", db2, mixed, broken)
        assert p.returncode != 0
        assert "mixed.xml: /items/item[2]" in p.stderr or "mixed.xml: /" in p.stderr, p.stderr
        assert "broken.xml" in p.stderr, p.stderr
        after = harness.neptun("export", "-c", conf, "--db", db2)
        assert after.stdout == first.stdout, "a refused file changed the store"
        assert integrity(db2) == "ok"
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


# ---- durability -------------------------------------------------------------

def put_stream(s, prefix, acked, stop):
    """PUT items one after another; record each acknowledged slug."""
    i = 0
    while not stop.is_set() and i < 400:
        slug = "%s-%d" % (prefix, i)
        try:
            r = s.admin("PUT", "/admin/events/" + slug, doc(slug, "Trwałość %d" % i))
        except OSError:
            return
        if r.status not in (200, 201):
            return
        acked.append(slug)
        i += 1


def integrity(db):
    con = sqlite3.connect(db)
    try:
        return con.execute("PRAGMA integrity_check").fetchone()[0]
    finally:
        con.close()


def test_concurrent_writers_are_serialised_and_readers_never_wait():
    writers, per_writer = 4, 25
    results, reads, stop = [], [], threading.Event()

    def write(w):
        for i in range(per_writer):
            slug = "conc-%d-%d" % (w, i)
            r = server.admin("PUT", "/admin/events/" + slug, doc(slug, "Równolegle %d" % i))
            results.append((slug, r.status))

    def read():
        while not stop.is_set():
            for path in ("/pl/events?per_page=5", "/pl/events.rss", "/healthz"):
                t0 = time.monotonic()
                r = server.get(path)
                reads.append((path, r.status, time.monotonic() - t0))

    readers = [threading.Thread(target=read) for _ in range(2)]
    threads = [threading.Thread(target=write, args=(w,)) for w in range(writers)]
    for t in readers + threads:
        t.start()
    for t in threads:
        t.join(120)
    stop.set()
    for t in readers:
        t.join(30)
    assert len(results) == writers * per_writer
    assert all(status == 201 for _, status in results), [r for r in results if r[1] != 201][:5]
    assert reads and all(status == 200 for _, status, _ in reads), \
        [r for r in reads if r[1] != 200][:5]
    slowest = max(t for _, _, t in reads)
    print("  %d PUTs from %d writers beside %d reads; slowest read %.0f ms"
          % (len(results), writers, len(reads), slowest * 1000))
    assert slowest < 2.0, slowest
    for slug, _ in results:
        assert server.admin("GET", "/admin/events/" + slug).status == 200, slug


def test_export_streams_a_consistent_snapshot_while_writes_go_on():
    tmp = tempfile.mkdtemp(prefix="neptun-snapshot-")
    try:
        with harness.Server(workers=2, db=os.path.join(tmp, "snap.db")) as s:
            acked, stop = [], threading.Event()
            t = threading.Thread(target=put_stream, args=(s, "snap", acked, stop))
            t.start()
            exports = 0
            try:
                while t.is_alive() and exports < 6:
                    if len(acked) < 10 * (exports + 1):
                        time.sleep(0.01)
                        continue
                    done_before = len(acked)
                    p = harness.neptun("export", "-c", s.conf, "--db", s.db, "--type", "events")
                    assert p.returncode == 0, p.stderr
                    root = ET.fromstring(p.stdout.encode("utf-8"))
                    got = sorted(int(i.get("slug").split("-")[1]) for i in root
                                 if i.get("slug", "").startswith("snap-"))
                    # a snapshot: everything acknowledged before it began, and
                    # a gap-free run of the sequential writes (never half of one)
                    assert len(got) >= done_before, (len(got), done_before)
                    assert got == list(range(len(got))), got[:20]
                    for item in root:
                        assert item.find(NS + "text") is not None, ET.tostring(item)[:200]
                    exports += 1
            finally:
                stop.set()
                t.join(60)
            assert exports >= 3, exports
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def test_sigkill_loses_no_acknowledged_put():
    tmp = tempfile.mkdtemp(prefix="neptun-durability-")
    db = os.path.join(tmp, "neptun.db")
    all_acked = []
    try:
        for round_, kill_after in enumerate((1, 5, 60, 150, 300)):
            s = harness.Server(workers=2, db=db).start()
            acked, stop = [], threading.Event()
            t = threading.Thread(target=put_stream, args=(s, "dur%d" % round_, acked, stop))
            t.start()
            deadline = time.time() + 120
            while len(acked) < kill_after and t.is_alive() and time.time() < deadline:
                time.sleep(0.001)
            s.kill()
            stop.set()
            t.join(60)
            assert not t.is_alive()
            assert len(acked) >= kill_after, (round_, len(acked), s.log()[-2000:])
            all_acked.extend(acked)
            s.__exit__(None, None, None)
            assert integrity(db) == "ok"
            print("  kill point %d: SIGKILL after %d acknowledged PUTs" % (round_ + 1, len(acked)))

        with harness.Server(workers=2, db=db) as s:
            for slug in all_acked:
                r = s.admin("GET", "/admin/events/" + slug)
                assert r.status == 200, (slug, r)
                title = ET.fromstring(r.body).find(".//" + NS + "title").text
                assert title == "Trwałość %s" % slug.rsplit("-", 1)[1], (slug, title)
        assert integrity(db) == "ok"
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


if __name__ == "__main__":
    harness.main(globals())
