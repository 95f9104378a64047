"""Every RSS and Atom feed as the readers partners use read it (SPEC §7):
SimplePie as WordPress ships it, newsboat and feedparser, each run for real
against the server on loopback (clients.py).  In every feed of every
language, each reader takes every item's link to the page in the feed's own
language (never a translation), finds an author, and gets a description
that does not open with the XHTML wrapper twice.  Archived items carry the
archive notice in the feed's language (and in the XML API), the dates
readers show never rise down a feed, and a feed's own title names its
format."""
import calendar
import html
import os
import re
import sys
import time
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


# ---- the archive notice ------------------------------------------------------

def notices():
    """The archive notice of each language, as the catalogs say it."""
    out = {}
    for lang in ("pl", "en", "de"):
        with open(os.path.join(harness.SOURCE, "locales", lang + ".po"), encoding="utf-8") as f:
            po = f.read()
        m = re.search(r'^msgid "archive\.notice"\nmsgstr ((?:".*"\n?)+)', po, re.M)
        assert m, lang
        out[lang] = "".join(re.findall(r'"(.*)"', m.group(1))).replace('\\"', '"')
        assert out[lang], lang
    return out


def plain(text):
    """Text with markup taken off and spaces folded, as a person reads it."""
    text = html.unescape(re.sub(r"<[^>]+>", " ", text or ""))
    return " ".join(text.split())


def archived_slugs(lang):
    """The slugs of the archived items, as the XML API lists them, whose
    notice each entry carries in the answer's language."""
    slugs = set()
    for path, _ in [(p, f) for l, p, f in feeds if l == lang and f == "rss"]:
        kind = path.rsplit("/", 1)[1].split(".")[0]
        if kind == "feed":
            continue
        r = server.get("/%s/%s?per_page=100" % (lang, kind))
        assert r.status == 200, (path, r)
        for e in ET.fromstring(r.body).iter(NS + "entry"):
            if e.get("status") == "archived":
                slugs.add(e.get("slug"))
    return slugs


def check_notices(reader, read):
    wanted = notices()
    problems = []
    seen = 0
    for lang, path, fmt in feeds:
        notice = plain(wanted[lang])
        for it in read(server.url(path)):
            slug = urllib.parse.urlsplit(it.get("link") or "").path.rstrip("/").rsplit("/", 1)[-1]
            shown = [plain(it.get(k)) for k in ("description", "content") if it.get(k)]
            has = [t.startswith(notice) for t in shown]
            if slug in archived[lang]:
                seen += 1
                if not has or not all(has):
                    problems.append("%s %s %s: no archive notice in front: %.120r"
                                    % (reader, path, slug, shown))
                elif any(t.count(notice) > 1 for t in shown):
                    problems.append("%s %s %s: the notice twice" % (reader, path, slug))
            elif any(notice in t for t in shown):
                problems.append("%s %s %s: a notice on an item not archived" % (reader, path, slug))
    assert not problems, "\n".join(problems[:30]) + "\n(%d problems)" % len(problems)
    assert seen > 0, "no archived item in any feed"


archived = {}


def test_xml_api_carries_the_notice():
    wanted = notices()
    for lang in ("pl", "en", "de"):
        archived[lang] = archived_slugs(lang)
        assert archived[lang], lang
        for slug in archived[lang]:
            for kind in {p.rsplit("/", 1)[1].split(".")[0] for l, p, f in feeds} - {"feed"}:
                r = server.get("/%s/%s/%s" % (lang, kind, slug))
                if r.status != 200:
                    continue
                e = ET.fromstring(r.body)
                assert e.get("status") == "archived", (lang, slug)
                assert e.findtext(NS + "archive-notice") == wanted[lang], (lang, slug)
        # and not on the others
        for kind in {p.rsplit("/", 1)[1].split(".")[0] for l, p, f in feeds} - {"feed"}:
            r = server.get("/%s/%s?per_page=100" % (lang, kind))
            for e in ET.fromstring(r.body).iter(NS + "entry"):
                has = e.find(NS + "archive-notice") is not None
                assert has == (e.get("status") == "archived"), (lang, kind, e.get("slug"))


def ensure_archived():
    if not archived:
        test_xml_api_carries_the_notice()


def test_simplepie_shows_the_archive_notice():
    ensure_archived()
    check_notices("SimplePie", lambda url: clients.simplepie(url)["items"])


def test_feedparser_shows_the_archive_notice():
    ensure_archived()
    check_notices("feedparser", lambda url: clients.feedparser(url)["items"])


# ---- dates agree with the order ----------------------------------------------

def check_dates(reader, read):
    problems = []
    for lang, path, fmt in feeds:
        items = read(server.url(path))
        dates = [it.get("date") for it in items]
        if any(d is None for d in dates):
            problems.append("%s %s: an item without a date" % (reader, path))
            continue
        for i in range(1, len(dates)):
            if dates[i] > dates[i - 1]:
                problems.append("%s %s: item %d (%r) is dated after the one before it (%r)"
                                % (reader, path, i + 1, items[i].get("title"),
                                   items[i - 1].get("title")))
    assert not problems, "\n".join(problems[:30]) + "\n(%d problems)" % len(problems)


def test_feedparser_dates_never_rise():
    def read(url):
        out = []
        for it in clients.feedparser(url)["items"]:
            d = it.get("date")
            out.append(dict(it, date=calendar.timegm(d) if d is not None else None))
        return out
    check_dates("feedparser", read)


def test_simplepie_dates_never_rise():
    def read(url):
        out = []
        for it in clients.simplepie(url)["items"]:
            d = it.get("date")
            out.append(dict(it, date=int(d) if d not in (None, "", False) else None))
        return out
    check_dates("SimplePie", read)


def test_events_feed_order_is_the_shown_order():
    """The case seen: /pl/events.rss read 28 Jun 2017, 22 Feb 2016, 22 May 2017."""
    root = ET.fromstring(server.get("/pl/events.rss").body)
    dates = [calendar.timegm(time.strptime(d.text, "%a, %d %b %Y %H:%M:%S GMT"))
             for d in root.iter("pubDate")]
    assert len(dates) > 1 and dates == sorted(dates, reverse=True), dates


# ---- channel titles -----------------------------------------------------------

def test_rss_and_atom_titles_differ():
    titles = {}
    for lang, path, fmt in feeds:
        for reader, read in (("feedparser", clients.feedparser),
                             ("SimplePie", clients.simplepie)):
            t = read(server.url(path))["channel"]["title"]
            assert t and t.endswith(" (RSS)" if fmt == "rss" else " (Atom)"), (reader, path, t)
            titles[(reader, path)] = t
    for lang, path, fmt in feeds:
        if fmt == "rss":
            other = path[:-len(".rss")] + ".atom"
            for reader in ("feedparser", "SimplePie"):
                if (reader, other) in titles:
                    assert titles[(reader, path)] != titles[(reader, other)], (reader, path)
                    # the same name otherwise
                    assert titles[(reader, path)][:-len(" (RSS)")] == \
                        titles[(reader, other)][:-len(" (Atom)")], (reader, path)
    # as the OPML outlines name them
    for lang in ("pl", "en", "de"):
        opml = ET.fromstring(server.get("/%s/feeds.opml" % lang).body)
        for o in opml.iter("outline"):
            url = o.get("xmlUrl")
            if url is not None:
                path = urllib.parse.urlsplit(url).path
                assert titles[("feedparser", path)] == o.get("title"), (path, o.get("title"))


if __name__ == "__main__":
    harness.main(globals())
