"""The public read API on a real server: feeds validate (Atom against the
RFC 4287 grammar, RSS through feedparser, iCalendar through icalendar),
every XML answer validates against /schema/neptun.rng, OPML lists answer,
and the HTTP caching contract holds (ETag, Last-Modified, gzip, HEAD,
per-type invalidation)."""
import datetime
import gzip
import os
import re
import sys
import urllib.parse
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

import feedparser  # noqa: E402
import icalendar  # noqa: E402

ATOM_RNG = os.path.join(harness.SOURCE, "tests", "schemas", "atom.rng")
NS = "{urn:neptun:1}"
ATOM = "{http://www.w3.org/2005/Atom}"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
EVENT = "miasta-integrujace-2017"
RFC822 = re.compile(r"^(Mon|Tue|Wed|Thu|Fri|Sat|Sun), \d{2} "
                    r"(Jan|Feb|Mar|Apr|May|Jun|Jul|Aug|Sep|Oct|Nov|Dec) \d{4} "
                    r"\d{2}:\d{2}:\d{2} (GMT|[+-]\d{4})$")

server = None
schema = None


def setup():
    global server, schema
    server = harness.Server().start()
    schema = server.schema()


def teardown():
    server.__exit__(None, None, None)


def get_ok(path, ctype=None, headers=None):
    r = server.get(path, headers=headers)
    assert r.status == 200, (path, r)
    if ctype is not None:
        assert r.headers.get("content-type") == ctype, (path, r.headers.get("content-type"))
    return r


def local(url):
    """The path and query of an absolute URL (the base URL may name another
    port than the test server's)."""
    u = urllib.parse.urlsplit(url)
    return u.path + ("?" + u.query if u.query else "")


def feed_paths(lang):
    root = ET.fromstring(get_ok("/").body)
    return [local(f.get("href")) for f in root.iter(NS + "feed") if f.get("lang") == lang]


def types():
    root = ET.fromstring(get_ok("/").body)
    return [t.get("name") for t in root.iter(NS + "type")]


def test_service_lists_languages_types_feeds():
    r = get_ok("/", "application/xml; charset=utf-8")
    harness.validate_rng(r.body, schema)
    root = ET.fromstring(r.body)
    codes = [l.get("code") for l in root.iter(NS + "language")]
    assert codes[:3] == ["pl", "en", "de"], codes
    assert "events" in types()
    formats = {f.get("format") for f in root.iter(NS + "feed")}
    assert formats == {"rss", "atom", "ics", "opml"}, formats


def test_every_atom_feed_validates():
    paths = [p for lang in ("pl", "en", "de") for p in feed_paths(lang) if p.endswith(".atom")]
    assert paths
    for path in paths + ["/en/feed.atom?per_page=1&page=2"]:
        r = get_ok(path, "application/atom+xml; charset=utf-8")
        harness.validate_rng(r.body, ATOM_RNG)
        root = ET.fromstring(r.body)
        assert root.get(XML_LANG) in ("pl", "en", "de")


def test_atom_paging_links():
    r = get_ok("/pl/feed.atom?per_page=1")
    root = ET.fromstring(r.body)
    links = {l.get("rel"): l.get("href") for l in root.findall(ATOM + "link")}
    assert "self" in links
    entries = root.findall(ATOM + "entry")
    assert len(entries) <= 1
    if "next" in links:
        nxt = ET.fromstring(get_ok(local(links["next"])).body)
        rels = {l.get("rel") for l in nxt.findall(ATOM + "link")}
        assert "previous" in rels and "first" in rels and "last" in rels, rels


def test_every_rss_feed_parses():
    paths = [p for lang in ("pl", "en", "de") for p in feed_paths(lang) if p.endswith(".rss")]
    paths.append("/en/search.rss?q=gdansk")
    for path in paths:
        r = get_ok(path, "application/rss+xml; charset=utf-8")
        d = feedparser.parse(r.body)
        assert d.bozo == 0, (path, d.get("bozo_exception"))
        ch = ET.fromstring(r.body).find("channel")
        for name in ("title", "link", "description", "language", "lastBuildDate"):
            assert ch.find(name) is not None, (path, name)
        assert ch.findtext("language") == path.split("/")[1]
        assert RFC822.match(ch.findtext("lastBuildDate")), ch.findtext("lastBuildDate")
        assert ch.find(ATOM + "link[@rel='self']") is not None
        for item in ch.findall("item"):
            for name in ("title", "link", "guid", "pubDate", "description"):
                assert item.find(name) is not None, (path, name)
            # identity (SPEC 7): a tag: URI, never the server's address
            assert item.find("guid").get("isPermaLink") == "false"
            assert item.findtext("guid").startswith("tag:"), item.findtext("guid")
            assert RFC822.match(item.findtext("pubDate")), item.findtext("pubDate")


def test_event_in_feeds():
    d = feedparser.parse(get_ok("/pl/events.rss").body)
    links = [e.link for e in d.entries]
    assert any(l.endswith("/pl/events/" + EVENT) for l in links), links
    e = [e for e in d.entries if e.link.endswith(EVENT)][0]
    assert "Miasta Integrujące" in e.title
    assert [t.term for t in e.tags][:1] == ["conference"]


def test_ics_conference_start():
    # the default calendar has room for the sample history; a window that
    # holds 2017 and the item's own calendar always show it
    for path in ("/pl/events.ics", "/pl/events.ics?from=2017-01-01&to=2017-12-31",
                 "/en/events/%s.ics" % EVENT):
        r = get_ok(path, "text/calendar; charset=utf-8")
        assert b"\r\n" in r.body
        for line in r.body.split(b"\r\n"):
            assert len(line) <= 75, line
        cal = icalendar.Calendar.from_ical(r.body)
        events = [c for c in cal.walk("VEVENT") if str(c.get("UID")).startswith(EVENT + "@")]
        # one VEVENT per session: the series' first, then day 2 as its
        # RECURRENCE-ID (test_ics_sessions.py reads them with two clients)
        assert len(events) == 2 and "RECURRENCE-ID" not in events[0], path
        assert "RECURRENCE-ID" in events[1], path
        start = events[0]["DTSTART"].dt
        assert (start.year, start.month, start.day, start.hour, start.minute) == (2017, 6, 29, 13, 30)
        assert str(start.tzinfo) in ("Europe/Warsaw", "CEST") or \
            start.utcoffset().total_seconds() == 7200, start.tzinfo
        assert start.astimezone(datetime.timezone.utc).isoformat() == "2017-06-29T11:30:00+00:00"
        end = events[0]["DTEND"].dt
        assert end.astimezone(datetime.timezone.utc).isoformat() == "2017-06-29T20:00:00+00:00", end
        assert str(events[0]["URL"]).endswith("/events/" + EVENT)
        for ev in cal.walk("VEVENT"):
            # properties RFC 5545 allows once per VEVENT
            for name in ("UID", "DTSTAMP", "DTSTART", "DTEND", "SUMMARY", "URL", "DESCRIPTION",
                         "LOCATION"):
                assert not isinstance(ev.get(name), list), (path, name)


def event_doc(slug, start, end):
    """The conference's document as another event at [start, end] (UTC)."""
    with open(os.path.join(harness.SOURCE, "content", "events-%s.xml" % EVENT), encoding="utf-8") as f:
        doc = f.read()
    doc = doc.replace('slug="%s"' % EVENT, 'slug="%s"' % slug, 1)
    doc = re.sub(r"<\?xml[^>]*\?>", "", doc)
    fmt = "%Y-%m-%dT%H:%M:%S+00:00"
    sessions = iter([(start, start + datetime.timedelta(hours=2)), (end - datetime.timedelta(hours=2), end)])

    def one(m):
        a, b = next(sessions)
        return '<session start="%s" end="%s">' % (a.strftime(fmt), b.strftime(fmt))
    return re.sub(r'<session start="[^"]*" end="[^"]*">', one, doc)


def uids(body):
    cal = icalendar.Calendar.from_ical(body)
    # an item's further sessions (RECURRENCE-ID) belong to its first VEVENT
    return [str(c.get("UID")).split("@")[0] for c in cal.walk("VEVENT")
            if "RECURRENCE-ID" not in c]


def test_ics_default_window_and_ranges():
    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    soon = now + datetime.timedelta(days=10)
    r = server.admin("PUT", "/admin/events/calendar-soon", body=event_doc(
        "calendar-soon", soon, soon + datetime.timedelta(days=1)).encode("utf-8"),
        headers={"Content-Type": "application/xml"})
    assert r.status in (200, 201), r
    try:
        # by start: the sample history (there is room for it), then what comes
        listed = uids(get_ok("/pl/events.ics").body)
        assert EVENT in listed and "calendar-soon" in listed, listed
        assert listed.index(EVENT) < listed.index("calendar-soon"), listed
        # another window on request
        listed = uids(get_ok("/pl/events.ics?from=%s" % now.strftime("%Y-%m-%d")).body)
        assert listed == ["calendar-soon"], listed
        listed = uids(get_ok("/pl/events.ics?to=2017-12-31").body)
        assert EVENT in listed and "calendar-soon" not in listed, listed
        assert uids(get_ok("/pl/events.ics?upcoming=1").body) == ["calendar-soon"]
        assert server.get("/pl/events.ics?from=yesterday").status == 400
    finally:
        assert server.admin("DELETE", "/admin/events/calendar-soon").status == 204


def test_ics_default_window_is_capped():
    # 520 past events and 3 coming ones: the calendar keeps the coming ones
    # and the latest past ones, at most 500 in all, by start.
    now = datetime.datetime.now(datetime.timezone.utc).replace(microsecond=0)
    # Import into the store first, then start the server on it.
    s = harness.Server()
    items = []
    for i in range(523):
        start = now + datetime.timedelta(days=i - 520 if i < 520 else i - 518)
        items.append(event_doc("cap-%03d" % i, start, start + datetime.timedelta(hours=6)))
    path = os.path.join(s.tmp, "many.xml")
    with open(path, "w", encoding="utf-8") as f:
        f.write('<items xmlns="urn:neptun:1">%s</items>' % "".join(items))
    p = harness.neptun("import", "-c", s.conf, "--db", s.db, path)
    assert p.returncode == 0, p
    with s:
        listed = [u for u in uids(s.get("/en/events.ics").body) if u.startswith("cap-")]
        # the samples take their share of the 500 only if they are recent
        assert len(listed) <= 500 and listed[-3:] == ["cap-520", "cap-521", "cap-522"], listed[-5:]
        assert listed == sorted(listed), listed[:5]
        assert "cap-519" in listed and "cap-000" not in listed
        assert len(uids(s.get("/en/events.ics").body)) == 500
        # a word in every one of them: the search total is an estimate, and
        # "next" leads through every result to a last page without one
        rng = s.schema()
        path, seen, pages = "/pl/search?q=konferencja&per_page=100", set(), 0
        while path is not None:
            r = s.get(path)
            assert r.status == 200, r
            harness.validate_rng(r.body, rng)
            root = ET.fromstring(r.body)
            links = {l.get("rel"): l.get("href") for l in root.findall(NS + "link")}
            slugs = [e.get("slug") for e in root.findall(NS + "entry")]
            assert not seen & set(slugs), path
            seen |= set(slugs)
            pages += 1
            if pages == 1:
                assert root.get("total-estimated") == "true", r.body[:300]
            if root.get("total-estimated") == "true":
                assert "last" not in links, links
                assert int(root.get("total")) >= len(seen), (root.get("total"), len(seen))
            path = local(links["next"]) if "next" in links else None
            assert pages <= 10
        assert len(seen) >= 523, len(seen)


def test_ics_only_for_dated_types():
    r = server.get("/pl/campaigns.ics")
    assert r.status == 404, r


def test_opml_urls_answer():
    for lang in ("pl", "en", "de"):
        r = get_ok("/%s/feeds.opml" % lang, "text/x-opml; charset=utf-8")
        root = ET.fromstring(r.body)
        assert root.get("version") == "2.0"
        assert root.find("head/title") is not None and root.find("head/dateCreated") is not None
        urls = [o.get("xmlUrl") or o.get("url") for o in root.iter("outline")]
        assert len(urls) >= 5, urls
        for url in urls:
            assert server.get(local(url)).status == 200, url


def test_every_xml_answer_validates():
    paths = ["/", "/pl/events", "/en/events?per_page=1&page=1", "/de/events/" + EVENT,
             "/pl/events/" + EVENT, "/en/search?q=gdansk", "/pl/search?q=laczy+gdansk",
             "/pl/events?tag=conference", "/pl/events?from=2017-06-01&to=2017-06-30"]
    paths += ["/pl/" + t for t in types()]
    for path in paths:
        r = get_ok(path, "application/xml; charset=utf-8")
        harness.validate_rng(r.body, schema)
    for path, status in (("/pl/nope", 404), ("/pl/events/nope", 404),
                         ("/pl/events?page=0", 400), ("/pl/search", 400)):
        r = server.get(path)
        assert r.status == status, (path, r)
        harness.validate_rng(r.body, schema)


def test_fallback_marked():
    root = ET.fromstring(get_ok("/de/events/" + EVENT).body)
    assert root.get(XML_LANG) == "de"
    title = root.find(NS + "title")
    translations = [t.get("hreflang") for t in root.iter(NS + "translation")]
    assert "de" not in translations
    # German text missing: the title comes from the chain and says so
    if title.get(XML_LANG) is not None:
        assert title.get(XML_LANG) in ("en", "pl")


def test_missing_translation_falls_back_and_says_so():
    doc = ('<item xmlns="urn:neptun:1" type="campaigns" slug="tylko-po-polsku" status="published">'
           '<text xml:lang="pl"><title>Tylko po polsku &amp; &lt;nic więcej&gt;</title>'
           '<summary>Streszczenie</summary></text></item>')
    r = server.admin("PUT", "/admin/campaigns/tylko-po-polsku", body=doc,
                     headers={"Content-Type": "application/xml"})
    assert r.status in (200, 201), r
    entry = ET.fromstring(get_ok("/de/campaigns/tylko-po-polsku").body)
    harness.validate_rng(ET.tostring(entry), schema)
    assert entry.find(NS + "title").get(XML_LANG) == "pl"
    assert entry.find(NS + "title").text == "Tylko po polsku & <nic więcej>"
    assert entry.find(NS + "summary").get(XML_LANG) == "pl"
    atom = get_ok("/de/campaigns.atom")
    harness.validate_rng(atom.body, ATOM_RNG)
    e = [e for e in ET.fromstring(atom.body).findall(ATOM + "entry")
         if e.findtext(ATOM + "id").endswith("/tylko-po-polsku")][0]
    assert e.find(ATOM + "title").get(XML_LANG) == "pl"
    rss = ET.fromstring(get_ok("/de/campaigns.rss").body)
    item = [i for i in rss.iter("item") if i.findtext("link").endswith("/tylko-po-polsku")][0]
    assert item.findtext("{http://purl.org/dc/elements/1.1/}language") == "pl"
    assert server.admin("DELETE", "/admin/campaigns/tylko-po-polsku").status == 204


def test_bad_query_values_named():
    cases = {"/pl/events?page=abc": "page", "/pl/events?per_page=101": "per_page",
             "/pl/events?tag=Bad%20Tag": "tag", "/pl/events?from=yesterday": "from",
             "/pl/events?upcoming=2": "upcoming", "/pl/campaigns?from=2017-01-01": "from",
             "/pl/search?q=" + "x" * 300: "q", "/pl/search.rss": "q"}
    for path, param in cases.items():
        r = server.get(path)
        assert r.status == 400, (path, r)
        msg = ET.fromstring(r.body).findtext(NS + "message")
        assert param in msg, (path, msg)


def test_etag_and_last_modified():
    r = get_ok("/pl/events.atom")
    etag, lm = r.headers.get("etag"), r.headers.get("last-modified")
    assert etag and etag.startswith('"'), etag
    assert lm and RFC822.match(lm), lm
    assert server.get("/pl/events.atom", headers={"If-None-Match": etag}).status == 304
    assert server.get("/pl/events.atom", headers={"If-Modified-Since": lm}).status == 304
    assert r.headers.get("access-control-allow-origin") == "*"
    assert "max-age" in r.headers.get("cache-control", "")


def test_gzip_and_head():
    plain = get_ok("/pl/events.rss")
    z = get_ok("/pl/events.rss", headers={"Accept-Encoding": "gzip"})
    assert z.headers.get("content-encoding") == "gzip"
    assert gzip.decompress(z.body) == plain.body
    assert z.headers.get("etag") != plain.headers.get("etag")
    assert "accept-encoding" in z.headers.get("vary", "").lower()
    h = server.request("HEAD", "/pl/events.rss")
    assert h.status == 200 and h.body == b""
    for name in ("etag", "content-type", "last-modified"):
        assert h.headers.get(name) == plain.headers.get(name), name


def test_edit_changes_only_its_type():
    before_events = get_ok("/pl/events.atom").headers["etag"]
    before_forums = get_ok("/pl/forums.atom").headers["etag"]
    before_all = get_ok("/pl/feed.atom").headers["etag"]
    with open(os.path.join(harness.SOURCE, "content", "events-%s.xml" % EVENT), encoding="utf-8") as f:
        doc = f.read()
    doc = doc.replace("<title>Miasta Integrujące", "<title>Edited: Miasta Integrujące", 1)
    r = server.admin("PUT", "/admin/events/" + EVENT, body=doc,
                     headers={"Content-Type": "application/xml"})
    assert r.status in (200, 201), r
    after = get_ok("/pl/events.atom")
    assert after.headers["etag"] != before_events
    assert "Edited: Miasta" in after.body.decode("utf-8")
    assert get_ok("/pl/forums.atom").headers["etag"] == before_forums
    assert get_ok("/pl/feed.atom").headers["etag"] != before_all
    # the guid is stable across the edit
    d = feedparser.parse(get_ok("/pl/events.rss").body)
    assert any(e.id.endswith(":pl/events/" + EVENT) for e in d.entries)


if __name__ == "__main__":
    harness.main(globals())
