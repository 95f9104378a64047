"""Admin bodies whose checking used to grow faster than their size: one
<p> with 50,000 attributes (libxml2's RELAX NG check of "any attribute" is
quadratic: it took a server to 23.8 GB) and 2,000 texts in one language
(17 s).  Both are refused fast, in bounded memory, with a 422 naming the
element path."""
import time
import xml.etree.ElementTree as ET

import harness

NS = "{urn:neptun:1}"
server = None


def setup():
    global server
    server = harness.Server(workers=2).start()


def teardown():
    server.__exit__(None, None, None)


def problems(r):
    root = ET.fromstring(r.body)
    assert root.tag == NS + "error" and root.get("status") == str(r.status), r
    return [(p.get("path"), p.text or "") for p in root.iter(NS + "problem")]


def peak_kb():
    with open("/proc/%d/status" % server.proc.pid) as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def test_fifty_thousand_attributes_on_one_element_are_refused_fast_and_small():
    attrs = " ".join('data-a%d="x"' % i for i in range(50000))
    body = ('<item xmlns="urn:neptun:1" type="campaigns" slug="many-attrs" status="published">'
            '<text xml:lang="pl"><title>T</title><body><div xmlns="http://www.w3.org/1999/xhtml">'
            '<p %s>x</p></div></body></text></item>' % attrs).encode("utf-8")
    assert len(body) < 1 << 20
    before = peak_kb()
    t0 = time.time()
    r = server.admin("PUT", "/admin/campaigns/many-attrs", body)
    took = time.time() - t0
    assert r.status == 422, r
    found = problems(r)
    assert ("/item/text/body/div/p",) == tuple(p for p, _ in found), found
    assert "50000 attributes" in found[0][1] and "at most 64" in found[0][1], found
    assert took < 2.0, took
    grown = peak_kb() - before
    assert grown < 100 * 1024, "the peak grew by %d KB" % grown
    assert server.get("/healthz").status == 200
    assert server.admin("GET", "/admin/campaigns/many-attrs").status == 404


def test_two_thousand_texts_in_one_language_are_refused_in_linear_time():
    texts = '<text xml:lang="pl"><title>T</title></text>' * 2000
    body = ('<item xmlns="urn:neptun:1" type="campaigns" slug="many-texts" status="published">'
            '%s</item>' % texts).encode("utf-8")
    t0 = time.time()
    r = server.admin("PUT", "/admin/campaigns/many-texts", body)
    took = time.time() - t0
    assert r.status == 422, r
    found = problems(r)
    assert ("/item/text[2]/@xml:lang", 'a second text in "pl"; each language may appear once') \
        in found, found[:3]
    assert took < 2.0, took
    assert server.admin("GET", "/admin/campaigns/many-texts").status == 404


if __name__ == "__main__":
    harness.main(globals())
