"""Three languages over HTTP: Accept-Language negotiation of language-less
URLs, the fallback chain marked with xml:lang in the XML API, RSS and Atom,
translations listed as related links (the one alternate is the answer's
own language, which readers take for the item's link), localised dates and plural counts in
served answers, alphabetical order by ICU collation, slugs transliterated
from titles by the admin API, and folded search over the XML API and the
search feed."""
import os
import socket
import sys
import urllib.parse
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

import feedparser  # noqa: E402

NS = "{urn:neptun:1}"
ATOM = "{http://www.w3.org/2005/Atom}"
DC = "{http://purl.org/dc/elements/1.1/}"
XHTML = "{http://www.w3.org/1999/xhtml}"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"

# An event written in Polish and English only: German readers get it by
# the chain de -> en -> pl, field by field (the summary exists only in pl).
NO_GERMAN = "bez-niemieckiego"
NO_GERMAN_DOC = """<?xml version="1.0" encoding="UTF-8"?>
<item xmlns="urn:neptun:1" type="events" slug="%s" status="published">
  <text xml:lang="pl">
    <title>Spotkanie bez niemieckiego tekstu</title>
    <summary>Streszczenie tylko po polsku.</summary>
    <body><div xmlns="http://www.w3.org/1999/xhtml"><p>Treść po polsku.</p></div></body>
  </text>
  <text xml:lang="en"><title>A meeting without German text</title></text>
</item>
""" % NO_GERMAN

# Found by "lodz" although "ł" has no Unicode decomposition.
LODZ = "spotkanie-lodz"
LODZ_DOC = """<?xml version="1.0" encoding="UTF-8"?>
<item xmlns="urn:neptun:1" type="events" slug="%s" status="published">
  <text xml:lang="pl"><title>Łódź — spotkanie miast partnerskich</title>
    <summary>Wizyta studyjna w Łodzi.</summary></text>
</item>
""" % LODZ

server = None
schema = None


def setup():
    global server, schema
    server = harness.Server().start()
    schema = server.schema()
    for slug, doc in ((NO_GERMAN, NO_GERMAN_DOC), (LODZ, LODZ_DOC)):
        r = server.admin("PUT", "/admin/events/" + slug, doc)
        assert r.status == 201, r


def teardown():
    server.__exit__(None, None, None)


def get_ok(path, headers=None):
    r = server.get(path, headers=headers)
    assert r.status == 200, (path, r)
    return r


def xml_ok(path):
    """GET an XML API answer, check it against the served grammar, parse it."""
    r = get_ok(path)
    harness.validate_rng(r.body, schema)
    return ET.fromstring(r.body)


def local(url):
    u = urllib.parse.urlsplit(url)
    return u.path + ("?" + u.query if u.query else "")


def item_doc(type_, texts, slug=None, tags=()):
    """An item document; texts is [(lang, title)]; no slug attribute when
    slug is None."""
    tag_xml = "".join("<tag>%s</tag>" % t for t in tags)
    text_xml = "".join('<text xml:lang="%s"><title>%s</title></text>' % lt for lt in texts)
    return ('<item xmlns="urn:neptun:1" type="%s"%s status="published">%s%s</item>' % (
        type_, ' slug="%s"' % slug if slug else "",
        "<tags>%s</tags>" % tag_xml if tags else "", text_xml))


def post(type_, doc):
    return server.admin("POST", "/admin/" + type_, doc)


# ---- negotiation -------------------------------------------------------------

def redirect(path, accept_language=None):
    headers = {} if accept_language is None else {"Accept-Language": accept_language}
    r = server.get(path, headers=headers)
    assert r.status == 302, (path, accept_language, r)
    assert "accept-language" in r.headers.get("vary", "").lower(), r.headers
    return local(r.headers["location"])


def test_language_less_urls_redirect_by_accept_language():
    cases = [
        ("de;q=0.9, en;q=0.8", "de"),
        ("en;q=0.8, de;q=0.9", "de"),       # weights, not order
        ("fr", "pl"),                        # unknown: the default
        ("en;q=0, de", "de"),
        ("en;q=0", "pl"),                    # excluded, nothing left: the default
        ("de-AT, en;q=0.5", "de"),           # a region counts for its language
        ("en-GB;q=0.7, pl;q=0.6", "en"),
        ("fr-CA, fr;q=0.9, en-US;q=0.3", "en"),  # unknown ones skipped
        ("*;q=0.5, pl;q=0.1", "en"),         # "*" stands for every language not named
        ("", "pl"),
        (None, "pl"),
    ]
    for header, lang in cases:
        assert redirect("/events", header) == "/%s/events" % lang, (header, lang)
    for path in ("/events.rss", "/feed.atom", "/feed.rss", "/feeds.opml", "/campaigns.atom",
                 "/events/" + NO_GERMAN, "/search?q=%C5%81%C3%B3d%C5%BA&page=1"):
        assert redirect(path, "de;q=0.9, en;q=0.8") == "/de" + path, path
        assert redirect(path, "en") == "/en" + path, path
    # the redirect target answers
    assert server.get(redirect("/search?q=gdansk", "en")).status == 200


def test_hostile_accept_language_is_ignored_or_refused():
    hostile = [
        "de;q=2, en",
        "de;q=0.5.5, en;q=0.4",
        "de;q=-1",
        "de;q=, en",
        ";;;,,,;q=1",
        "d\u00e9, en".encode("utf-8").decode("latin-1"),
        "x" * 3000,
        ",".join(["de"] * 500),
        "de;" + "q=0.1;" * 300,
        "-de, en--x, 123",
    ]
    for header in hostile:
        r = server.get("/events", headers={"Accept-Language": header})
        assert r.status in (302, 400), (header, r)
        if r.status == 302:
            assert local(r.headers["location"]) in ("/pl/events", "/en/events", "/de/events"), r
    # raw bytes no client library would send, and a header far past the limit
    # (which a server may also answer by closing the connection: status 0)
    for raw, closing_ok in ((b"Accept-Language: \xff\xfe\x80de\r\n", False),
                            (b"Accept-Language: " + b"de," * 20000 + b"\r\n", True)):
        with socket.create_connection(("127.0.0.1", server.port), timeout=10) as c:
            c.sendall(b"GET /events HTTP/1.1\r\nHost: x\r\n" + raw + b"Connection: close\r\n\r\n")
            data = b""
            try:
                while True:
                    chunk = c.recv(65536)
                    if not chunk:
                        break
                    data += chunk
            except ConnectionResetError:
                pass
        status = int(data.split(b" ", 2)[1]) if data.startswith(b"HTTP/1.") else 0
        assert status in (302, 400, 413, 431) or (closing_ok and not data), data[:200]
    assert get_ok("/healthz").body == b"ok\n"


# ---- fallback ------------------------------------------------------------------

def check_no_german_entry(entry):
    assert entry.get(XML_LANG) == "de", entry.attrib
    title, summary, body = entry.find(NS + "title"), entry.find(NS + "summary"), entry.find(NS + "body")
    # field by field: the title from English, the summary and body from Polish
    assert title.text == "A meeting without German text" and title.get(XML_LANG) == "en"
    assert summary.text == "Streszczenie tylko po polsku." and summary.get(XML_LANG) == "pl"
    assert body.get(XML_LANG) == "pl"
    translations = {t.get("hreflang"): local(t.get("href"))
                    for t in entry.find(NS + "translations")}
    assert translations == {"pl": "/pl/events/" + NO_GERMAN, "en": "/en/events/" + NO_GERMAN}, translations
    for path in translations.values():
        assert server.get(path).status == 200


def test_fallback_text_is_marked_in_the_xml_api():
    check_no_german_entry(xml_ok("/de/events/" + NO_GERMAN))
    lst = xml_ok("/de/events?per_page=100")
    entries = [e for e in lst.findall(NS + "entry") if e.get("slug") == NO_GERMAN]
    assert len(entries) == 1
    check_no_german_entry(entries[0])
    # in English only the summary and body fell back; the translations are the others
    en = xml_ok("/en/events/" + NO_GERMAN)
    assert en.find(NS + "title").get(XML_LANG) is None
    assert en.find(NS + "summary").get(XML_LANG) == "pl"
    assert [t.get("hreflang") for t in en.find(NS + "translations")] == ["pl"]
    # a text in the answer's own language carries no mark
    pl = xml_ok("/pl/events/" + NO_GERMAN)
    assert all(pl.find(NS + n).get(XML_LANG) is None for n in ("title", "summary", "body"))


def test_fallback_text_is_marked_in_rss():
    root = ET.fromstring(get_ok("/de/events.rss?per_page=100").body)
    assert root.find("channel/language").text == "de"
    items = [i for i in root.iter("item") if i.find("link").text.endswith("/de/events/" + NO_GERMAN)]
    assert len(items) == 1
    item = items[0]
    assert item.find("title").text == "A meeting without German text"
    assert item.find(DC + "language").text == "en"
    translations = {a.get("hreflang"): local(a.get("href")) for a in item.findall(ATOM + "link")
                    if a.get("rel") == "related"}
    assert translations == {"pl": "/pl/events/" + NO_GERMAN, "en": "/en/events/" + NO_GERMAN}
    # no atom:link alternate that readers would take before <link>
    assert not [a for a in item.findall(ATOM + "link") if a.get("rel") == "alternate"]
    # the escaped body says its own language
    body = ET.fromstring(item.find("description").text)
    assert any(d.get(XML_LANG) == "pl" for d in body.iter(XHTML + "div")), item.find("description").text
    # items in German carry no dc:language
    feed = feedparser.parse(get_ok("/de/events.rss?per_page=100").body)
    assert not feed.bozo, feed.bozo_exception
    assert feed.feed.language == "de"


def test_fallback_text_is_marked_in_atom():
    root = ET.fromstring(get_ok("/de/events.atom?per_page=100").body)
    assert root.get(XML_LANG) == "de"
    entries = [e for e in root.findall(ATOM + "entry")
               if e.find(ATOM + "id").text.endswith("de/events/" + NO_GERMAN)]
    assert len(entries) == 1
    entry = entries[0]
    assert entry.find(ATOM + "title").get(XML_LANG) == "en"
    assert entry.find(ATOM + "summary").get(XML_LANG) == "pl"
    content = entry.find(ATOM + "content")
    assert any(d.get(XML_LANG) == "pl" for d in content.iter(XHTML + "div"))
    links = {(a.get("rel"), a.get("hreflang")): local(a.get("href"))
             for a in entry.findall(ATOM + "link")}
    assert links == {("alternate", "de"): "/de/events/" + NO_GERMAN,
                     ("related", "pl"): "/pl/events/" + NO_GERMAN,
                     ("related", "en"): "/en/events/" + NO_GERMAN}, links
    feed = feedparser.parse(get_ok("/de/events.atom?per_page=100").body)
    assert not feed.bozo, feed.bozo_exception
    e = [e for e in feed.entries if e.id.endswith(NO_GERMAN)][0]
    assert e.title_detail.language == "en" and e.summary_detail.language == "pl"


def test_service_document_and_opml_list_every_language():
    service = xml_ok("/")
    langs = [(l.get("code"), l.get("default")) for l in service.iter(NS + "language")]
    assert langs == [("pl", "true"), ("en", None), ("de", None)], langs
    feed_langs = {f.get("lang") for f in service.iter(NS + "feed")}
    assert feed_langs == {"pl", "en", "de"}
    # every language's feed list is in the service document; an OPML holds
    # its own language's feeds only (an include would be a dead feed in readers)
    opmls = {f.get("lang"): local(f.get("href")) for f in service.iter(NS + "feed")
             if f.get("format") == "opml"}
    assert opmls == {l: "/%s/feeds.opml" % l for l in ("pl", "en", "de")}, opmls
    for lang in ("pl", "en", "de"):
        root = ET.fromstring(get_ok("/%s/feeds.opml" % lang).body)
        assert not [o for o in root.iter("outline") if o.get("type") != "rss"], lang
        feeds = [local(o.get("xmlUrl")) for o in root.iter("outline") if o.get("xmlUrl")]
        assert feeds and all(f.startswith("/%s/" % lang) for f in feeds), feeds


# ---- dates and plurals in served answers --------------------------------------------

def feed_texts(path):
    feed = feedparser.parse(get_ok(path).body)
    assert not feed.bozo, (path, feed.bozo_exception)
    out = []
    for e in feed.entries:
        out.append(e.get("description", ""))
        out.extend(c.value for c in e.get("content", []))
    return "\n".join(out)


def test_feeds_write_dates_in_each_language():
    assert "29–30 czerwca 2017" in feed_texts("/pl/events.rss?per_page=100")
    assert "29–30 June 2017" in feed_texts("/en/events.rss?per_page=100")
    assert "29.–30. Juni 2017" in feed_texts("/de/events.atom?per_page=100")
    assert "29.–30. Juni 2017" in feed_texts("/de/events.rss?per_page=100")
    assert "29–30 June 2017" in feed_texts("/en/feed.atom?per_page=100")
    forum = feed_texts("/pl/forums.rss")
    assert "11:30–16:00" in forum and "22 maja 2019" in forum, forum[:2000]


def test_polish_plural_forms_in_served_counts():
    want = {1: "1 wydarzenie", 2: "2 wydarzenia", 5: "5 wydarzeń", 22: "22 wydarzenia",
            25: "25 wydarzeń"}
    english = {1: "1 event", 2: "2 events", 22: "22 events"}
    german = {1: "1 Veranstaltung", 5: "5 Veranstaltungen"}
    created = 0
    for n in sorted(want):
        while created < n:
            created += 1
            slug = "liczba-%02d" % created
            r = server.admin("PUT", "/admin/events/" + slug,
                             item_doc("events", [("pl", "Zliczanka %d" % created)], slug, ["liczby"]))
            assert r.status == 201, r
        lst = xml_ok("/pl/events?tag=liczby&per_page=1")
        assert lst.get("total") == str(n) and lst.get("count-text") == want[n], (n, lst.attrib)
        if n in english:
            assert xml_ok("/en/events?tag=liczby").get("count-text") == english[n]
        if n in german:
            assert xml_ok("/de/events?tag=liczby").get("count-text") == german[n]
        # the feed's description says it too
        feed = feedparser.parse(get_ok("/pl/events.rss?tag=liczby").body)
        assert feed.feed.description.endswith(want[n]), feed.feed.description
    search = xml_ok("/pl/search?q=zliczanka")
    assert search.get("count-text") == "25 wyników", search.attrib
    assert xml_ok("/pl/search?q=zliczanka+22").get("count-text") == "1 wynik"
    assert xml_ok("/en/search?q=zliczanka").get("count-text") == "25 results"
    for n in (1, 22, 25):
        server.admin("DELETE", "/admin/events/liczba-%02d" % n)
    assert xml_ok("/pl/events?tag=liczby").get("count-text") == "22 wydarzenia"


# ---- collation -------------------------------------------------------------------

def titles(root):
    return [e.find(NS + "title").text for e in root.findall(NS + "entry")]


def test_titles_sort_by_the_languages_collation():
    docs = [
        ("mlawa-test", [("pl", "Mława")]),
        ("lodz-test", [("pl", "Łódź")]),
        ("lublin-test", [("pl", "Lublin")]),
        ("lwow-test", [("pl", "Lwów")]),
        ("kielce-test", [("en", "Kielce")]),             # no Polish title: sorts by its English one
        ("zabianka-test", [("pl", "Żabianka"), ("en", "Aardvark Lane")]),
        ("zakopane-test", [("pl", "Zakopane")]),
    ]
    try:
        for slug, texts in docs:
            r = server.admin("PUT", "/admin/campaigns/" + slug,
                             item_doc("campaigns", texts, slug, ["kolacja"]))
            assert r.status == 201, r
        check_collation_order()
    finally:
        for slug, _ in docs:
            server.admin("DELETE", "/admin/campaigns/" + slug)


def check_collation_order():
    polish = ["Kielce", "Lublin", "Lwów", "Łódź", "Mława", "Zakopane", "Żabianka"]
    lst = xml_ok("/pl/campaigns?tag=kolacja&sort=title")
    assert lst.get("sort") == "title"
    assert titles(lst) == polish, titles(lst)          # bytes would put Łódź after Mława
    # paging walks the same order
    pages = [titles(xml_ok("/pl/campaigns?tag=kolacja&sort=title&per_page=2&page=%d" % p))
             for p in (1, 2, 3, 4)]
    assert pages == [polish[0:2], polish[2:4], polish[4:6], polish[6:7]], pages
    # English: each item's English title where it has one, else the Polish
    # one; English collation takes "Ł" for a variant of "L" (Polish: a letter
    # of its own, after "L")
    english = titles(xml_ok("/en/campaigns?tag=kolacja&sort=title"))
    assert english == ["Aardvark Lane", "Kielce", "Łódź", "Lublin", "Lwów", "Mława", "Zakopane"], english
    # the default order is by date, newest first
    assert xml_ok("/pl/campaigns?tag=kolacja").get("sort") == "date"
    assert xml_ok("/pl/campaigns?tag=kolacja&sort=date").get("sort") == "date"
    # search results sort by title too
    found = xml_ok("/pl/search?q=l&sort=title")
    got = [t for t in titles(found) if t in polish]
    assert got == [t for t in polish if t in got], got
    for bad in ("/pl/campaigns?sort=name", "/pl/campaigns?sort=rank", "/pl/search?q=x&sort=",
                "/pl/campaigns?sort=title%00"):
        r = server.get(bad)
        assert r.status == 400, (bad, r)


# ---- slugs from titles --------------------------------------------------------------

def test_post_makes_the_slug_from_the_title():
    r = post("events", item_doc("events", [("pl", "Łączy nas Gdańsk")]))
    assert r.status == 201, r
    assert r.headers["location"] == "/admin/events/laczy-nas-gdansk", r.headers
    assert ET.fromstring(r.body).get("slug") == "laczy-nas-gdansk"
    assert get_ok("/pl/events/laczy-nas-gdansk")
    # the same title again: the slug is taken, nothing changes
    r = post("events", item_doc("events", [("pl", "Łączy nas Gdańsk"), ("en", "Other")]))
    assert r.status == 409, r
    paths = [p.get("path") for p in ET.fromstring(r.body).iter(NS + "problem")]
    assert paths == ["/item/@slug"], r.body
    assert "<title>Other</title>" not in server.admin("GET", "/admin/events/laczy-nas-gdansk").text

    r = post("events", item_doc("events", [("de", "Größe Straße Übung")]))
    assert r.status == 201, r
    assert r.headers["location"] == "/admin/events/grosse-strasse-ubung", r.headers
    assert get_ok("/de/events/grosse-strasse-ubung")
    # the default language's title makes the slug, whatever the order of texts
    r = post("campaigns", item_doc("campaigns", [("de", "Große Brücke"), ("pl", "Wielki Most Żuraw")]))
    assert r.status == 201 and r.headers["location"] == "/admin/campaigns/wielki-most-zuraw", r
    # a slug given is kept
    r = post("campaigns", item_doc("campaigns", [("pl", "Cokolwiek")], slug="wlasny-slug"))
    assert r.status == 201 and r.headers["location"] == "/admin/campaigns/wlasny-slug", r
    # PUT without a slug stores the item the URL names
    r = server.admin("PUT", "/admin/campaigns/z-adresu", item_doc("campaigns", [("pl", "Inny tytuł")]))
    assert r.status == 201 and ET.fromstring(r.body).get("slug") == "z-adresu", r

    r = post("events", item_doc("events", [("pl", "!!! ???")]))
    assert r.status == 422, r
    assert [p.get("path") for p in ET.fromstring(r.body).iter(NS + "problem")] == ["/item/@slug"]
    assert post("nosuchtype", item_doc("events", [("pl", "X")])).status == 404
    assert post("events", item_doc("campaigns", [("pl", "Inny typ")])).status == 422
    assert post("events", b"<item").status == 400
    r = server.admin("GET", "/admin/events")
    assert r.status == 405 and r.headers.get("allow") == "POST", r
    assert server.admin("POST", "/admin/events", item_doc("events", [("pl", "X")]),
                        token="wrong").status == 401
    for path in ("/admin/events/laczy-nas-gdansk", "/admin/events/grosse-strasse-ubung",
                 "/admin/campaigns/wielki-most-zuraw", "/admin/campaigns/wlasny-slug",
                 "/admin/campaigns/z-adresu"):
        assert server.admin("DELETE", path).status == 204, path


# ---- search -------------------------------------------------------------------------

def search(q, lang="pl", extra=""):
    return xml_ok("/%s/search?q=%s%s" % (lang, urllib.parse.quote_plus(q), extra))


def test_search_folds_case_and_diacritics():
    for q in ("laczy gdansk", "GDANSK", "Gdańsk", "ŁĄCZY", "łączy nas"):
        root = search(q)
        slugs = [(e.get("type"), e.get("slug")) for e in root.findall(NS + "entry")]
        assert ("campaigns", "laczy-nas-gdansk") in slugs, (q, slugs)
        hit = [e for e in root.findall(NS + "entry") if e.get("slug") == "laczy-nas-gdansk"][0]
        assert hit.get("matched-lang") == "pl", hit.attrib
    # ranked: the item titled with both words comes first
    assert search("laczy gdansk").find(NS + "entry").get("slug") == "laczy-nas-gdansk"
    root = search("lodz")
    assert [e.get("slug") for e in root.findall(NS + "entry")] == [LODZ], titles(root)
    assert search("ŁÓDŹ").find(NS + "entry").get("slug") == LODZ
    # in English the Polish text matched, and the Polish title is marked
    en = search("lodz", "en").find(NS + "entry")
    assert en.get("matched-lang") == "pl" and en.find(NS + "title").get(XML_LANG) == "pl"
    # an English word finds the English text, in a German answer too
    de = [e for e in search("without german", "de").findall(NS + "entry") if e.get("slug") == NO_GERMAN]
    assert de and de[0].get("matched-lang") == "en", de
    assert search("gdynia-nothing-here").get("total") == "0"


def test_search_is_paged():
    full = search("gdansk", extra="&per_page=100")
    total = int(full.get("total"))
    assert total >= 4, total
    everything = [(e.get("type"), e.get("slug")) for e in full.findall(NS + "entry")]
    seen = []
    for page in range(1, total // 2 + 2):
        root = search("gdansk", extra="&per_page=2&page=%d" % page)
        assert root.get("pages") == str((total + 1) // 2)
        seen += [(e.get("type"), e.get("slug")) for e in root.findall(NS + "entry")]
        rels = {l.get("rel") for l in root.findall(NS + "link")}
        assert ("next" in rels) == (page < (total + 1) // 2), (page, rels)
    assert seen == everything, (seen, everything)


def test_search_feed():
    for q in ("laczy gdansk", "GDANSK", "Gdańsk"):
        feed = feedparser.parse(get_ok("/pl/search.rss?q=" + urllib.parse.quote_plus(q)).body)
        assert not feed.bozo, feed.bozo_exception
        assert feed.feed.language == "pl"
        links = [local(e.link) for e in feed.entries]
        assert "/pl/campaigns/laczy-nas-gdansk" in links, (q, links)
        assert feed.feed.description.endswith("wyników") or feed.feed.description.endswith("wyniki"), \
            feed.feed.description
    feed = feedparser.parse(get_ok("/pl/search.rss?q=lodz").body)
    assert [local(e.link) for e in feed.entries] == ["/pl/events/" + LODZ]
    assert feed.entries[0].title.startswith("Łódź")
    assert feed.entries[0]["neptun_matched-lang"] == "pl", feed.entries[0].keys()
    assert feed.feed.description.endswith("1 wynik"), feed.feed.description
    # paged like the XML answer
    feed = feedparser.parse(get_ok("/pl/search.rss?q=gdansk&per_page=1").body)
    assert len(feed.entries) == 1
    assert any(l.rel == "next" for l in feed.feed.links), feed.feed.links
    assert server.get("/pl/search.rss").status == 400


harness.main(globals())
