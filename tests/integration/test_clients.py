"""Every RSS and Atom feed as the readers partners use read it (SPEC §7):
SimplePie as WordPress ships it, newsboat and feedparser, each run for real
against the server on loopback (clients.py).  In every feed of every
language, each reader takes every item's link to the page in the feed's own
language (never a translation), finds an author, and gets a description
that does not open with the XHTML wrapper twice."""
import os
import re
import sys
import urllib.parse
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402
import clients  # noqa: E402

NS = "{urn:neptun:1}"
ATOM = "{http://www.w3.org/2005/Atom}"
# The human block's wrapper followed at once by another wrapper (one that
# does not say a fallen-back language).
DOUBLED = re.compile(r"^\s*<div\b[^>]*>\s*<div(?![^>]*\blang=)[\s>/]")

server = None
feeds = []  # (lang, path, format)


def setup():
    global server
    clients.simplepie_version()  # fetch SimplePie before the server runs
    server = harness.Server().start()
    r = server.get("/")
    assert r.status == 200, r
    for f in ET.fromstring(r.body).iter(NS + "feed"):
        if f.get("format") in ("rss", "atom"):
            feeds.append((f.get("lang"), urllib.parse.urlsplit(f.get("href")).path,
                          f.get("format")))
    langs = {lang for lang, _, _ in feeds}
    assert langs >= {"pl", "en", "de"}, langs
    paths = {p for _, p, _ in feeds}
    for lang in langs:
        # the OPML lists the same feeds
        opml = server.get("/%s/feeds.opml" % lang)
        assert opml.status == 200, opml
        for o in ET.fromstring(opml.body).iter("outline"):
            url = o.get("xmlUrl")
            if url is not None:
                assert urllib.parse.urlsplit(url).path in paths, url
        for fmt in ("rss", "atom"):
            assert "/%s/feed.%s" % (lang, fmt) in paths
            assert "/%s/events.%s" % (lang, fmt) in paths


def teardown():
    server.__exit__(None, None, None)


def own_language(lang, link):
    path = urllib.parse.urlsplit(link or "").path
    return path.startswith("/%s/" % lang)


def check(reader, read):
    problems = []
    seen = 0
    for lang, path, fmt in feeds:
        items = read(server.url(path))
        assert items, (reader, path, "no items")
        for it in items:
            seen += 1
            where = "%s %s %r" % (reader, path, it.get("title"))
            if not own_language(lang, it.get("link")):
                problems.append("%s: link %s is not in %s" % (where, it.get("link"), lang))
            if not (it.get("author") or "").strip():
                problems.append("%s: no author" % where)
            if DOUBLED.match(it.get("description") or ""):
                problems.append("%s: description opens with two divs: %.80r"
                                % (where, it["description"]))
    assert not problems, "\n".join(problems[:30]) + "\n(%d problems)" % len(problems)
    assert seen >= len(feeds), seen


def test_feeds_have_translations():
    """The feeds' items do have translations: the checks below are about
    links that could be mistaken."""
    related = 0
    for lang, path, fmt in feeds:
        root = ET.fromstring(server.get(path).body)
        for link in root.iter(ATOM + "link"):
            if link.get("hreflang") not in (None, lang):
                assert link.get("rel") != "alternate", (path, link.attrib)
                related += 1
    assert related > 0


def test_simplepie_reads_own_language_links():
    def read(url):
        feed = clients.simplepie(url)
        return feed["items"]
    check("SimplePie " + clients.simplepie_version(), read)


def test_newsboat_reads_own_language_links():
    check("newsboat", clients.newsboat)


def test_feedparser_reads_own_language_links():
    def read(url):
        feed = clients.feedparser(url)
        assert feed["bozo"] is None, (url, feed["bozo"])
        return feed["items"]
    check("feedparser", read)


if __name__ == "__main__":
    harness.main(globals())
