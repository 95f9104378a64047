"""The feed list and the Lua routes as real clients see them: newsboat -i
imports /{lang}/feeds.opml into distinct, live subscriptions only (every
URL a feed feedparser reads without complaint), and a route a rule script
defines with neptun.route gets what every other read gets (strong ETag,
304, gzip, kept in the answer cache) without an answer meant for one
reader reaching another."""
import gzip
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
import urllib.parse
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

import feedparser  # noqa: E402

PARTNER = {"X-Partner-Key": harness.PARTNER_KEY}
OTHER_KEY = "dev-gdynia-key"
OTHER = {"X-Partner-Key": OTHER_KEY}
# A second partner, with no rule naming a variant for it.
OTHER_CONF = "partner gdynia %s\n" % hashlib.sha256(OTHER_KEY.encode()).hexdigest()

# Routes of a test script beside the shipped ones.  The padding makes the
# bodies worth compressing.
ROUTES = r"""
local PAD = string.rep("<!-- neptun test route padding -->", 40)

neptun.route("GET", "/{lang}/whoami.xml", function(req, params)
  return { headers = { ["Content-Type"] = "application/xml" },
           body = "<who lang='" .. params.lang .. "' partner='" .. (req.partner or "none") ..
                  "'>" .. PAD .. "</who>" }
end)

neptun.route("GET", "/{lang}/fixed.xml", function(req, params)
  return "<fixed lang='" .. params.lang .. "' version='VERSION'>" .. PAD .. "</fixed>"
end)

neptun.route("GET", "/{lang}/agent.xml", function(req, params)
  return "<agent>" .. (req.headers["user-agent"] or "none") .. PAD .. "</agent>"
end)

neptun.route("GET", "/{lang}/walk.xml", function(req, params)
  local n = 0
  for k, v in pairs(req) do if k == "partner" then n = n + 1 end end
  return "<walk partner='" .. n .. "'>" .. PAD .. "</walk>"
end)

neptun.route("GET", "/{lang}/count.xml", function(req, params)
  local items = neptun.items{ type = "campaigns", lang = params.lang, limit = 100 }
  return "<count n='" .. #items .. "' first='" .. (items[1] and items[1].slug or "") .. "'>" ..
         PAD .. "</count>"
end)

neptun.route("GET", "/{lang}/own-headers.xml", function(req, params)
  return { headers = { ["X-Route"] = "yes" }, body = "<own>" .. PAD .. "</own>" }
end)
"""

server = None
scripts = None


def write_routes(version):
    with open(os.path.join(scripts, "40-test-routes.lua"), "w", encoding="utf-8") as f:
        f.write(ROUTES.replace("VERSION", version))


def setup():
    global server, scripts
    scripts = tempfile.mkdtemp(prefix="neptun-opml-scripts-")
    shipped = os.path.join(harness.SOURCE, "scripts")
    for name in os.listdir(shipped):
        if name.endswith(".lua"):
            shutil.copy(os.path.join(shipped, name), scripts)
    write_routes("1")
    server = harness.Server(scripts=scripts, conf_extra=OTHER_CONF).start()


def teardown():
    if server is not None:
        server.__exit__(None, None, None)
    if scripts is not None:
        shutil.rmtree(scripts, ignore_errors=True)


def local(url):
    u = urllib.parse.urlsplit(url)
    return u.path + ("?" + u.query if u.query else "")


# ---- OPML through newsboat -i -------------------------------------------------------

def newsboat_import(opml):
    """The urls file newsboat -i writes for the OPML bytes: a list of
    (url, the rest of the line)."""
    d = tempfile.mkdtemp(prefix="neptun-newsboat-")
    try:
        src = os.path.join(d, "feeds.opml")
        with open(src, "wb") as f:
            f.write(opml)
        urls, cache, config = (os.path.join(d, n) for n in ("urls", "cache.db", "config"))
        open(urls, "w").close()
        open(config, "w").close()
        env = dict(os.environ, HOME=d, XDG_CONFIG_HOME=d, XDG_DATA_HOME=d)
        p = subprocess.run(["newsboat", "-i", src, "-u", urls, "-c", cache, "-C", config],
                           stdin=subprocess.DEVNULL, capture_output=True, text=True, env=env,
                           timeout=60)
        assert p.returncode == 0, (p.stdout, p.stderr)
        out = []
        with open(urls, encoding="utf-8") as f:
            for line in f:
                line = line.strip()
                if line and not line.startswith("#"):
                    url, _, rest = line.partition(" ")
                    out.append((url, rest))
        return out
    finally:
        shutil.rmtree(d, ignore_errors=True)


def test_opml_titles_distinct_and_feeds_only():
    for lang in ("pl", "en", "de"):
        r = server.get("/%s/feeds.opml" % lang)
        assert r.status == 200, r
        outlines = list(ET.fromstring(r.body).iter("outline"))
        assert outlines
        titles = [o.get("title") or o.get("text") for o in outlines]
        assert len(set(titles)) == len(titles), (lang, sorted(titles))
        for o in outlines:
            assert o.get("type") == "rss", (lang, o.attrib)
            assert o.get("url") is None, (lang, o.attrib)
            assert not local(o.get("xmlUrl")).endswith((".ics", ".opml")), o.attrib
            fmt = "(Atom)" if o.get("version") == "ATOM" else "(RSS)"
            assert o.get("title").endswith(fmt), o.attrib


def test_newsboat_imports_live_distinct_feeds():
    for lang in ("pl", "en", "de"):
        opml = server.get("/%s/feeds.opml" % lang).body
        feeds = [o for o in ET.fromstring(opml).iter("outline")]
        entries = newsboat_import(opml)
        urls = [u for u, _ in entries]
        assert len(urls) == len(feeds), (lang, urls)
        assert len(set(urls)) == len(urls), (lang, urls)
        names = [rest for _, rest in entries if rest]
        assert len(set(names)) == len(names), (lang, names)
        for url in urls:
            assert not local(url).endswith((".ics", ".opml")), url
            r = server.get(local(url))
            assert r.status == 200, (url, r)
            parsed = feedparser.parse(r.body)
            assert parsed.bozo == 0, (url, parsed.get("bozo_exception"))
            assert parsed.version in ("rss20", "atom10"), (url, parsed.version)


# ---- Lua routes: ETag, 304, gzip, kept apart per reader ------------------------------

def test_lua_route_etag_and_304():
    r = server.get("/pl/upcoming.rss")
    assert r.status == 200, r
    etag = r.headers.get("etag")
    assert etag and etag.startswith('"'), r.headers
    assert r.headers.get("last-modified"), r.headers
    assert "no-store" not in r.headers.get("cache-control", ""), r.headers
    again = server.get("/pl/upcoming.rss", headers={"If-None-Match": etag})
    assert again.status == 304 and again.body == b"", again
    assert again.headers.get("etag") == etag
    assert server.get("/pl/upcoming.rss").body == r.body
    # a route of a test script too
    r = server.get("/en/fixed.xml")
    assert r.status == 200 and r.headers.get("etag"), r
    assert server.get("/en/fixed.xml", headers={"If-None-Match": r.headers["etag"]}).status == 304


def test_lua_route_gzip():
    for path in ("/pl/upcoming.rss", "/de/fixed.xml"):
        plain = server.get(path)
        zipped = server.get(path, headers={"Accept-Encoding": "gzip"})
        assert plain.status == 200 and zipped.status == 200, (plain, zipped)
        if len(plain.body) >= 1024:
            assert zipped.headers.get("content-encoding") == "gzip", (path, zipped.headers)
        if zipped.headers.get("content-encoding") == "gzip":
            assert gzip.decompress(zipped.body) == plain.body
            assert zipped.headers["etag"] != plain.headers["etag"]
            assert "accept-encoding" in zipped.headers.get("vary", "").lower()
            again = server.get(path, headers={"Accept-Encoding": "gzip",
                                              "If-None-Match": zipped.headers["etag"]})
            assert again.status == 304, again
        else:
            assert zipped.body == plain.body


def who(r):
    assert r.status == 200, r
    return ET.fromstring(r.body).get("partner")


def test_lua_route_not_served_to_another_partner():
    # each reader first, in turns, so any sharing would show
    for _ in range(2):
        assert who(server.get("/pl/whoami.xml")) == "none"
        assert who(server.get("/pl/whoami.xml", headers=PARTNER)) == "sopot"
        assert who(server.get("/pl/whoami.xml", headers=OTHER)) == "gdynia"
        assert who(server.get("/pl/whoami.xml")) == "none"
    for i, order in enumerate(((OTHER, None, PARTNER), (PARTNER, OTHER, None))):
        path = "/en/whoami.xml?o=%d" % i
        for h in order:
            expect = {None: "none", harness.PARTNER_KEY: "sopot", OTHER_KEY: "gdynia"}[
                h["X-Partner-Key"] if h else None]
            assert who(server.get(path, headers=h)) == expect, (path, h)
    # the partner's answer is kept in its variant; the others drew on who
    # asks with no variant to set them apart, so they are never kept
    assert "etag" in server.get("/de/whoami.xml", headers=PARTNER).headers
    assert "etag" not in server.get("/de/whoami.xml").headers
    assert "etag" not in server.get("/de/whoami.xml", headers=OTHER).headers
    # a walk over req reads the partner too
    assert ET.fromstring(server.get("/pl/walk.xml").body).get("partner") == "0"
    assert ET.fromstring(server.get("/pl/walk.xml", headers=OTHER).body).get("partner") == "1"


def test_lua_route_reading_headers_not_kept():
    a = server.get("/pl/agent.xml", headers={"User-Agent": "reader-a"})
    b = server.get("/pl/agent.xml", headers={"User-Agent": "reader-b"})
    assert b"reader-a" in a.body and b"reader-b" in b.body, (a, b)


def test_lua_route_own_headers_kept_on_every_answer():
    for _ in range(2):
        r = server.get("/pl/own-headers.xml")
        assert r.status == 200 and r.headers.get("x-route") == "yes", r


def test_lua_route_cache_dropped_on_reload():
    first = server.get("/pl/fixed.xml")
    assert b"version='1'" in first.body, first
    write_routes("2")
    r = server.admin("POST", "/admin/reload")
    assert r.status in (200, 204), r
    deadline = time.time() + 10
    while time.time() < deadline:
        r = server.get("/pl/fixed.xml")
        if b"version='2'" in r.body:
            break
        time.sleep(0.1)
    assert b"version='2'" in r.body, r
    assert r.headers.get("etag") != first.headers.get("etag")
    assert server.get("/pl/fixed.xml", headers={"If-None-Match": first.headers["etag"]}).status \
        == 200


def test_lua_route_cache_dropped_on_store_change():
    first = server.get("/pl/count.xml")
    assert first.status == 200 and first.headers.get("etag"), first
    count = ET.fromstring(first.body)
    n, slug = int(count.get("n")), count.get("first")
    assert n > 0 and slug, first.body[:200]
    assert server.get("/pl/count.xml").headers.get("etag") == first.headers["etag"]
    assert server.admin("DELETE", "/admin/campaigns/" + slug).status == 204
    r = server.get("/pl/count.xml", headers={"If-None-Match": first.headers["etag"]})
    assert r.status == 200, r
    assert int(ET.fromstring(r.body).get("n")) == n - 1, r.body[:200]


if __name__ == "__main__":
    harness.main(globals())
