"""The foundation: the real server with the sample content, the XML read
API validated against the served schema, errors, workers, and the CLI."""
import os
import re
import tempfile
import threading
import xml.etree.ElementTree as ET

import harness

NS = "{urn:neptun:1}"
server = None
schema = None


def setup():
    global server, schema
    server = harness.Server(workers=2).start()
    schema = server.schema()


def valid(path, status=200):
    r = server.get(path)
    assert r.status == status, (path, r)
    harness.validate_rng(r.body, schema)
    return r


def test_healthz():
    r = server.get("/healthz")
    assert r.status == 200 and r.body.strip() == b"ok", r


def test_service_document_lists_languages_types_and_feeds():
    r = valid("/")
    doc = ET.fromstring(r.body)
    langs = [l.get("code") for l in doc.iter(NS + "language")]
    assert langs == ["pl", "en", "de"], langs
    types = {t.get("name") for t in doc.iter(NS + "type")}
    assert {"events", "campaigns", "forums"} <= types, types
    hrefs = [f.get("href") for f in doc.iter(NS + "feed")]
    assert any(h.endswith("/pl/events.rss") for h in hrefs), hrefs
    assert any(h.endswith("/de/feed.atom") for h in hrefs), hrefs


def test_events_list_in_every_language_has_the_2017_conference_with_both_venues():
    for lang in ("pl", "en", "de"):
        r = valid("/%s/events" % lang)
        text = r.text
        assert 'xml:lang="%s"' % lang in text, text[:300]
        assert "2017-06-29" in text or "2017-06-29T" in text or "29" in text
        assert "Europejskie Centrum Solidarności" in text or "European Solidarity Centre" in text \
            or "Europäisches Solidarność-Zentrum" in text, (lang, text[:2000])
        assert "Stadion Energa" in text, (lang, text[:4000])


def test_every_listed_item_answers_and_validates():
    for t in ("events", "campaigns", "forums"):
        r = valid("/en/%s?per_page=100" % t)
        doc = ET.fromstring(r.body)
        entries = list(doc.iter(NS + "entry"))
        assert entries, "no %s in the sample content" % t
        for e in entries:
            path = "/en/%s/%s" % (t, e.get("slug"))
            valid(path)


def test_paging_and_per_page():
    r = valid("/pl/events?per_page=1&page=1")
    doc = ET.fromstring(r.body)
    assert len(list(doc.iter(NS + "entry"))) == 1
    total = int(doc.get("total"))
    assert total >= 2, total
    rels = {l.get("rel") for l in doc.findall(NS + "link")}
    assert "next" in rels, rels
    r = valid("/pl/events?per_page=1&page=%d" % (total + 5))
    assert len(list(ET.fromstring(r.body).iter(NS + "entry"))) == 0


def test_bad_query_values_are_400_with_an_xml_error():
    for q in ("page=0", "page=abc", "per_page=101", "per_page=-1", "tag=%3Cscript%3E",
              "from=yesterday", "upcoming=maybe", "page=99999999999999999999"):
        r = valid("/pl/events?" + q, status=400)
        doc = ET.fromstring(r.body)
        assert doc.tag == NS + "error" and doc.get("status") == "400", r.body


def test_unknown_language_type_and_slug_are_404():
    for path in ("/fr/events", "/pl/nothing", "/pl/events/no-such-slug", "/pl/events/no-such-slug.ics",
                 "/nothing/at/all/here"):
        r = valid(path, status=404)
        assert ET.fromstring(r.body).get("status") == "404"


def test_wrong_method_is_405_with_allow():
    r = server.request("POST", "/pl/events", body=b"x")
    assert r.status == 405, r
    assert "GET" in r.headers.get("allow", ""), r.headers


def test_long_uri_is_414():
    r = server.get("/pl/events?q=" + "a" * 9000)
    assert r.status == 414, r


def test_requests_are_served_by_more_than_one_worker():
    def hit():
        for _ in range(20):
            server.get("/healthz")
    threads = [threading.Thread(target=hit) for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    m = server.get("/metrics").text
    counts = {}
    for w, n in re.findall(r'neptun_worker_requests_total\{worker="(\d+)"\} (\d+)', m):
        counts[w] = int(n)
    busy = [w for w, n in counts.items() if n > 0]
    assert len(busy) >= 2, m


def metric(text, name):
    m = re.search(r"^%s (\d+)$" % re.escape(name), text, re.M)
    assert m is not None, (name, text)
    return int(m.group(1))


def test_fragment_cache_in_metrics():
    # Answers of other URLs made of the same items miss the answer cache
    # but reuse the per-item pieces made before.  Each worker keeps its
    # own: of three more answers, two meet the same worker (two workers),
    # so at least one is made of kept pieces.
    assert server.get("/en/events.atom?per_page=5").status == 200
    before = server.get("/metrics").text
    for name in ("neptun_fragment_hits_total", "neptun_fragment_misses_total"):
        assert "# TYPE %s counter" % name in before, before
    assert "# TYPE neptun_fragment_bytes gauge" in before, before
    assert metric(before, "neptun_fragment_misses_total") > 0, before
    assert metric(before, "neptun_fragment_bytes") > 0, before
    for n in (6, 7, 8):
        assert server.get("/en/events.atom?per_page=%d" % n).status == 200
    after = server.get("/metrics").text
    assert (metric(after, "neptun_fragment_hits_total") >
            metric(before, "neptun_fragment_hits_total")), after


def test_kept_pages_in_metrics_and_edits_show():
    # New URLs of one page shape miss the answer cache; each worker reads
    # the page from the file once and then answers it from what it kept,
    # until a write moves the file on.
    kept = r'neptun_store_kept_total\{kind="page",result="hit"\} (\d+)'
    before = int(re.search(kept, server.get("/metrics").text).group(1))
    for i in range(6):
        assert server.get("/en/forums.rss?k=%d" % i).status == 200
    after = int(re.search(kept, server.get("/metrics").text).group(1))
    assert after >= before + 4, (before, after)
    path = os.path.join(harness.SOURCE, "content",
                        "forums-viii-forum-integracji-i-migracji-2019.xml")
    with open(path, encoding="utf-8") as f:
        doc = f.read()
    doc = doc.replace("<title>8th Integration", "<title>Kept pages: 8th Integration", 1)
    r = server.admin("PUT", "/admin/forums/viii-forum-integracji-i-migracji-2019", body=doc,
                     headers={"Content-Type": "application/xml"})
    assert r.status == 200, r
    for i in range(6, 10):
        body = server.get("/en/forums.rss?k=%d" % i).text
        assert "Kept pages: 8th Integration" in body, body
    with open(path, encoding="utf-8") as f:
        r = server.admin("PUT", "/admin/forums/viii-forum-integracji-i-migracji-2019",
                         body=f.read(), headers={"Content-Type": "application/xml"})
    assert r.status == 200, r
    assert "Kept pages" not in server.get("/en/forums.rss?k=10").text


def test_cli_version_help_and_errors():
    p = harness.neptun("--version")
    assert p.returncode == 0 and p.stdout.startswith("neptun "), p
    p = harness.neptun("--help")
    assert p.returncode == 0 and "check-scripts" in p.stdout, p
    p = harness.neptun("frobnicate")
    assert p.returncode != 0 and "unknown command" in p.stderr, p
    with tempfile.TemporaryDirectory() as d:
        bad = os.path.join(d, "bad.conf")
        with open(bad, "w") as f:
            f.write("listen 127.0.0.1:1\nno_such_key 1\nworkers many\n")
        p = harness.neptun("serve", "-c", bad)
        assert p.returncode != 0, p
        assert "bad.conf:2:" in p.stderr and "bad.conf:3:" in p.stderr, p.stderr


def test_export_import_round_trip():
    with tempfile.TemporaryDirectory() as d:
        conf = harness.make_conf(d)
        db1 = os.path.join(d, "a.db")
        db2 = os.path.join(d, "b.db")
        content = os.path.join(harness.SOURCE, "content")
        files = sorted(os.path.join(content, f) for f in os.listdir(content) if f.endswith(".xml"))
        p = harness.neptun("import", "-c", conf, "--db", db1, *files)
        assert p.returncode == 0, p.stderr
        p1 = harness.neptun("export", "-c", conf, "--db", db1)
        assert p1.returncode == 0, p1.stderr
        harness.validate_rng(p1.stdout.encode(), schema)
        dump = os.path.join(d, "dump.xml")
        with open(dump, "w") as f:
            f.write(p1.stdout)
        p = harness.neptun("import", "-c", conf, "--db", db2, dump)
        assert p.returncode == 0, p.stderr
        p2 = harness.neptun("export", "-c", conf, "--db", db2)
        assert p2.returncode == 0 and p2.stdout == p1.stdout, "export -> import -> export differs"
        p = harness.neptun("export", "-c", conf, "--db", db1, "--type", "nope")
        assert p.returncode != 0


def teardown():
    code = server.stop()
    assert code == 0, "server exited %s on SIGTERM:\n%s" % (code, server.log()[-3000:])
    log = server.log()
    assert "Sanitizer" not in log and "runtime error:" not in log, log[-5000:]


if __name__ == "__main__":
    harness.main(globals())
