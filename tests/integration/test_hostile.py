"""Hostile input over the admin API.

XSS: known vectors PUT inside item bodies are neutralised in the stored
document (GET /admin/...) and in every served form (XML API, RSS
description once unescaped, Atom content): no script elements, no on*
attributes, no javascript:/data:/vbscript: URLs; target=_blank links get
rel="noopener".

Hostile XML: external entities are never expanded (and "root:" from
/etc/passwd appears in no answer), entity bombs are refused within a
second, and invalid UTF-8, oversized bodies (413), deep nesting, DTDs and
malformed documents get a clear 4xx while nothing is stored."""
import html
import re
import socket
import time
import xml.etree.ElementTree as ET

import harness

NS = "{urn:neptun:1}"
XHTML = "{http://www.w3.org/1999/xhtml}"
ATOM = "{http://www.w3.org/2005/Atom}"
server = None

# Each payload calls alert()/msgbox() or loads a hostile URL; none may survive.
XSS_VECTORS = [
    '<script>alert(1)</script>',
    '<SCRIPT>alert(1)</SCRIPT>',
    '<p>hi<script type="text/javascript">alert(1)</script></p>',
    '<img src="x" onerror="alert(1)"/>',
    '<img src="x" ONERROR="alert(1)"/>',
    '<p onclick="alert(1)" onmouseover="alert(1)">x</p>',
    '<a href="javascript:alert(1)">x</a>',
    '<a href="JaVaScRiPt:alert(1)">x</a>',
    '<a href="java&#x09;script:alert(1)">x</a>',
    '<a href="java&#x0A;script:alert(1)">x</a>',
    '<a href="&#x20;&#x0D;javascript:alert(1)">x</a>',
    '<a href="&#106;&#97;&#118;&#97;&#115;&#99;&#114;&#105;&#112;&#116;&#58;alert(1)">x</a>',
    '<a href="&#x6A;avascript&#x3A;alert(1)">x</a>',
    '<a href="  JAVASCRIPT:alert(1)">x</a>',
    '<a href="vbscript:msgbox(1)">x</a>',
    '<a href="VBScript&#58;msgbox(1)">x</a>',
    '<a href="data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==">x</a>',
    '<a href="DATA:text/html,&lt;script&gt;alert(1)&lt;/script&gt;">x</a>',
    '<img src="data:image/svg+xml,&lt;svg onload=alert(1)&gt;"/>',
    '<svg xmlns="http://www.w3.org/2000/svg" onload="alert(1)"><script>alert(1)</script></svg>',
    '<svg onload="alert(1)"/>',
    '<math><mtext><script>alert(1)</script></mtext></math>',
    '<iframe srcdoc="&lt;script&gt;alert(1)&lt;/script&gt;"></iframe>',
    '<iframe src="javascript:alert(1)"></iframe>',
    '<object data="javascript:alert(1)"></object>',
    '<embed src="javascript:alert(1)"/>',
    '<applet code="alert"></applet>',
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)"/>',
    '<form action="javascript:alert(1)"><input type="submit" value="alert"/></form>',
    '<button formaction="javascript:alert(1)">alert</button>',
    '<style>body{background:url("javascript:alert(1)")}</style>',
    '<p style="background:url(javascript:alert(1))">x</p>',
    '<div style="width: expression(alert(1))">x</div>',
    '<base href="javascript:alert(1)//"/>',
    '<link rel="stylesheet" href="javascript:alert(1)"/>',
    '<body onload="alert(1)">x</body>',
    '<a href="https://example.org/" onmouseover="alert(1)">x</a>',
    '<a xmlns:xlink="http://www.w3.org/1999/xlink" xlink:href="javascript:alert(1)">x</a>',
    '<img src="x.png" xml:base="javascript:alert(1)//"/>',
    '<img src="https://example.org/x.png" srcset="javascript:alert(1)"/>',
    '<!-- <script>alert(1)</script> -->',
    '<?xml-stylesheet href="javascript:alert(1)"?>',
    '<noscript><p title="&lt;/noscript&gt;&lt;img src=x onerror=alert(1)&gt;">x</p></noscript>',
    '<template><script>alert(1)</script></template>',
    '<video><source onerror="alert(1)"/></video>',
    '<unknown><script>alert(1)</script>text</unknown>',
    '<blockquote cite="javascript:alert(1)">x</blockquote>',
    '<table background="javascript:alert(1)"><tr><td>x</td></tr></table>',
    '<x:script xmlns:x="http://www.w3.org/1999/xhtml">alert(1)</x:script>',
    '<p xmlns="urn:evil" onclick="alert(1)">alert</p>',
    '<textarea>alert(1)</textarea>',
    '<p>&lt;script&gt;alert(1)&lt;/script&gt;</p>',
    '<p>&lt;img src=x onerror=alert(1)&gt;</p>',
]

BAD_URL = re.compile(r"^\s*(javascript|vbscript|data|livescript):", re.I)
URL_ATTRS = {"href", "src", "cite", "action", "formaction", "background", "srcset", "data",
             "poster", "xlink:href"}


def setup():
    global server
    server = harness.Server(workers=2).start()


def teardown():
    server.__exit__(None, None, None)


def item_doc(slug, body_inner, tag="hostile"):
    return ("""<?xml version="1.0" encoding="UTF-8"?>
<item xmlns="urn:neptun:1" type="events" slug="%s" status="published">
  <tags><tag>%s</tag></tags>
  <text xml:lang="pl"><title>Test %s</title><summary>Podsumowanie</summary>
    <body><div xmlns="http://www.w3.org/1999/xhtml">%s</div></body></text>
</item>
""" % (slug, tag, slug, body_inner)).encode("utf-8")


def url_bad(value):
    squeezed = "".join(ch for ch in value if ord(ch) > 0x20 and ch != "\x7f")
    return BAD_URL.match(squeezed) is not None


def check_tree(root, where):
    """Every element below root is harmless XHTML."""
    for el in root.iter():
        local = el.tag.split("}")[-1].lower()
        assert local not in ("script", "iframe", "object", "embed", "svg", "math", "style",
                             "form", "base", "meta", "link", "applet"), (where, el.tag)
        for name, value in el.attrib.items():
            lname = name.split("}")[-1].lower()
            assert not lname.startswith("on"), (where, el.tag, name)
            assert lname != "style", (where, el.tag, name)
            if lname in URL_ATTRS or name.endswith("}href"):
                assert not url_bad(value), (where, el.tag, name, value)
        if el.tag.endswith("}a") and el.get("target", "").lower() == "_blank":
            assert "noopener" in el.get("rel", "").split(), (where, el.attrib)


def check_markup_text(text, where):
    """An HTML string (RSS description once unescaped): no active markup."""
    low = text.lower()
    assert "<script" not in low, (where, text[:300])
    assert re.search(r"<[^>]*\son[a-z]+\s*=", low) is None, (where, text[:300])
    for m in re.finditer(r"""\b(href|src|cite|action|formaction|background|srcset|data)\s*=\s*("([^"]*)"|'([^']*)')""",
                         text, re.I):
        value = html.unescape(m.group(3) if m.group(3) is not None else m.group(4))
        assert not url_bad(value), (where, m.group(0))


def assert_no_payload(body, where):
    """No script element and no script URL anywhere in the answer, even as
    escaped text (the text-only vectors escape "<script" as "&lt;script")."""
    for bad in (b"<script", b"javascript:", b"vbscript:"):
        assert bad not in body.lower(), (where, bad, body[:400])


def test_xss_vectors_are_neutralised_everywhere():
    assert len(XSS_VECTORS) >= 30
    for i, vector in enumerate(XSS_VECTORS):
        slug = "xss-%d" % i
        tag = "xss%d" % i
        r = server.admin("PUT", "/admin/events/" + slug, item_doc(slug, vector, tag))
        assert r.status == 201, (vector, r)

        stored = server.admin("GET", "/admin/events/" + slug)
        assert stored.status == 200, stored
        assert_no_payload(stored.body, ("stored", vector))
        bodies = list(ET.fromstring(stored.body).iter(NS + "body"))
        assert len(bodies) == 1, stored.body
        check_tree(bodies[0], ("stored", vector))

        api = server.get("/pl/events/" + slug)
        assert api.status == 200, api
        assert_no_payload(api.body, ("xml api", vector))
        for body in ET.fromstring(api.body).iter(NS + "body"):
            check_tree(body, ("xml api", vector))

        rss = server.get("/pl/events.rss?tag=" + tag)
        assert rss.status == 200, rss
        descriptions = [d.text or "" for d in ET.fromstring(rss.body).iter("description")]
        assert len(descriptions) >= 2, rss.body  # channel + the item
        for d in descriptions:
            # ElementTree already undid the XML escaping: d is the HTML a reader renders
            check_markup_text(d, ("rss", vector))
            assert "javascript:" not in d.lower() and "vbscript:" not in d.lower(), (vector, d)

        atom = server.get("/pl/events.atom?tag=" + tag)
        assert atom.status == 200, atom
        assert_no_payload(atom.body, ("atom", vector))
        contents = list(ET.fromstring(atom.body).iter(ATOM + "content"))
        assert contents, atom.body
        for c in contents:
            if c.get("type") == "xhtml":
                check_tree(c, ("atom", vector))
            else:
                check_markup_text(c.text or "", ("atom", vector))
        # text-only vectors stay visible as text
        if vector.startswith("<p>&lt;"):
            assert b"&lt;" in api.body, api.body


def test_target_blank_links_get_noopener():
    slug = "xss-target"
    body = ('<p><a href="https://example.org/" target="_blank">x</a>'
            '<a href="https://example.org/" target="_BLANK" rel="nofollow">y</a></p>')
    assert server.admin("PUT", "/admin/events/" + slug, item_doc(slug, body, "xsstarget")).status == 201
    for where, r in (("stored", server.admin("GET", "/admin/events/" + slug)),
                     ("api", server.get("/pl/events/" + slug))):
        links = [a for a in ET.fromstring(r.body).iter(XHTML + "a")]
        assert len(links) == 2, (where, r.body)
        for a in links:
            assert "noopener" in a.get("rel", "").split(), (where, a.attrib)
        assert "nofollow" in links[1].get("rel", "").split(), (where, links[1].attrib)


def test_harmless_markup_survives():
    slug = "xss-harmless"
    body = ('<p>Zapraszamy <strong>wszystkich</strong> na <a href="https://www.gdansk.pl/">'
            'spotkanie</a> &amp; dyskusję.</p><ul><li>jeden</li></ul>')
    assert server.admin("PUT", "/admin/events/" + slug, item_doc(slug, body)).status == 201
    r = server.get("/pl/events/" + slug)
    assert r.status == 200, r
    root = ET.fromstring(r.body)
    assert root.find(".//" + XHTML + "strong").text == "wszystkich"
    assert root.find(".//" + XHTML + "a").get("href") == "https://www.gdansk.pl/"


# ---- hostile XML --------------------------------------------------------------

GOOD = item_doc("hostile-target", "<p>Oryginał</p>")

XXE_BODIES = [
    b'<?xml version="1.0"?><!DOCTYPE item [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
    b'<item xmlns="urn:neptun:1" type="events" slug="hostile-target" status="published">'
    b'<text xml:lang="pl"><title>&xxe;</title></text></item>',
    b'<?xml version="1.0"?><!DOCTYPE item [<!ENTITY % p SYSTEM "file:///etc/passwd"> %p;]>'
    b'<item xmlns="urn:neptun:1" type="events" slug="hostile-target" status="published">'
    b'<text xml:lang="pl"><title>x</title></text></item>',
    b'<?xml version="1.0"?><!DOCTYPE item SYSTEM "file:///etc/passwd">'
    b'<item xmlns="urn:neptun:1" type="events" slug="hostile-target" status="published">'
    b'<text xml:lang="pl"><title>x</title></text></item>',
    b'<?xml version="1.0"?><!DOCTYPE item [<!ENTITY xxe SYSTEM "http://127.0.0.1:9/x">]>'
    b'<item xmlns="urn:neptun:1" type="events" slug="hostile-target" status="published">'
    b'<text xml:lang="pl"><title>&xxe;</title></text></item>',
]

LAUGHS = (b'<?xml version="1.0"?><!DOCTYPE item [<!ENTITY lol "lol">'
          + b"".join(b'<!ENTITY lol%d "%s">' % (i, (b"&lol%s;" % (b"" if i == 1 else str(i - 1).encode())) * 10)
                     for i in range(1, 10))
          + b']><item xmlns="urn:neptun:1" type="events" slug="hostile-target" status="published">'
          b'<text xml:lang="pl"><title>&lol9;</title></text></item>')

QUADRATIC = (b'<?xml version="1.0"?><!DOCTYPE item [<!ENTITY a "' + b"a" * 50000 + b'">]>'
             b'<item xmlns="urn:neptun:1" type="events" slug="hostile-target" status="published">'
             b'<text xml:lang="pl"><title>' + b"&a;" * 20000 + b'</title></text></item>')


def deep(levels):
    return item_doc("hostile-target", "<div>" * levels + "x" + "</div>" * levels)


MALFORMED = [
    b"",
    b"<item",
    b"not xml at all",
    b"<item xmlns='urn:neptun:1'></itme>",
    GOOD + b"<item/>",
    GOOD.replace(b"<title>", b"<title>\x00"),
    b'<?xml version="1.0"?><!DOCTYPE item><item/>',
    GOOD.replace(b"Test hostile-target", b"Test \xc3\x28 broken"),        # invalid UTF-8
    GOOD.replace(b"Test hostile-target", b"Test \xc0\xaf overlong"),      # overlong form
    GOOD.replace(b"Test hostile-target", b"Test \xed\xa0\x80 surrogate"),  # surrogate
    b"\xff\xfe<\x00i\x00t\x00e\x00m\x00/\x00>\x00",                       # UTF-16
    GOOD.replace(b'encoding="UTF-8"', b'encoding="ISO-8859-2"'),
    deep(100),
    deep(20000),
    b'<?xml version="1.0"?><item xmlns="urn:neptun:1" xmlns:xi="http://www.w3.org/2001/XInclude" '
    b'type="events" slug="hostile-target" status="published"><text xml:lang="pl"><title>'
    b'<xi:include href="file:///etc/passwd" parse="text"/></title></text></item>',
]


def assert_unchanged(before):
    r = server.admin("GET", "/admin/events/hostile-target")
    assert r.status == 200 and r.body == before, r
    assert server.get("/pl/events/hostile-target").status == 200


def answer_is_clean(r, where):
    assert 400 <= r.status < 500, (where, r)
    assert b"root:" not in r.body, (where, r.body[:300])
    if r.body:
        root = ET.fromstring(r.body)  # a small XML error document
        assert root.tag == NS + "error", (where, r.body[:300])


def test_hostile_documents_get_4xx_and_change_nothing():
    # a document that does not exist stays absent
    for body in XXE_BODIES + [LAUGHS, QUADRATIC] + MALFORMED:
        r = server.admin("PUT", "/admin/events/hostile-new", body.replace(b"hostile-target", b"hostile-new"))
        answer_is_clean(r, body[:80])
        assert server.admin("GET", "/admin/events/hostile-new").status == 404
        assert server.get("/pl/events/hostile-new").status == 404
    # an existing one stays as it was
    assert server.admin("PUT", "/admin/events/hostile-target", GOOD).status == 201
    before = server.admin("GET", "/admin/events/hostile-target").body
    for body in XXE_BODIES + [LAUGHS, QUADRATIC] + MALFORMED:
        r = server.admin("PUT", "/admin/events/hostile-target", body)
        answer_is_clean(r, body[:80])
        assert_unchanged(before)


def test_external_entities_are_never_expanded():
    for body in XXE_BODIES:
        r = server.admin("PUT", "/admin/events/hostile-xxe", body.replace(b"hostile-target", b"hostile-xxe"))
        assert r.status == 400, r
        assert b"root:" not in r.body
        assert b"DTD" in r.body or b"entit" in r.body, r.body
    for path in ("/pl/events", "/pl/events.rss", "/pl/feed.atom", "/pl/search?q=root"):
        assert b"root:" not in server.get(path).body, path
    assert b"root:" not in server.log().encode()


def test_entity_bombs_are_refused_within_a_second():
    for body in (LAUGHS, QUADRATIC):
        t0 = time.monotonic()
        r = server.admin("PUT", "/admin/events/hostile-bomb", body.replace(b"hostile-target", b"hostile-bomb"))
        took = time.monotonic() - t0
        assert r.status == 400, r
        assert took < 1.0, took
    assert server.admin("GET", "/admin/events/hostile-bomb").status == 404
    assert server.get("/healthz").status == 200


def test_deep_nesting_is_refused():
    r = server.admin("PUT", "/admin/events/hostile-deep", deep(20000).replace(b"hostile-target", b"hostile-deep"))
    assert r.status == 400, r
    assert b"deep" in r.body, r.body


def test_invalid_utf8_is_refused_with_its_place():
    body = GOOD.replace(b"hostile-target", b"hostile-utf").replace(b"Test hostile-utf", b"Test \xc3\x28")
    r = server.admin("PUT", "/admin/events/hostile-utf", body)
    assert r.status == 400, r
    assert b"UTF-8" in r.body, r.body
    assert server.admin("GET", "/admin/events/hostile-utf").status == 404


def raw_put(port, path, length, chunk=b"a" * 65536, timeout=10):
    """PUT with a declared Content-Length; returns the status line's code,
    or None when the server closed without answering."""
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    try:
        s.sendall(("PUT %s HTTP/1.1\r\nHost: x\r\nAuthorization: Bearer %s\r\n"
                   "Content-Type: application/xml\r\nContent-Length: %d\r\n\r\n"
                   % (path, harness.ADMIN_TOKEN, length)).encode())
        sent = 0
        try:
            while sent < length:
                n = min(len(chunk), length - sent)
                s.sendall(chunk[:n])
                sent += n
        except (BrokenPipeError, ConnectionResetError):
            pass
        data = b""
        try:
            while b"\r\n" not in data:
                more = s.recv(4096)
                if not more:
                    break
                data += more
        except (ConnectionResetError, socket.timeout):
            pass
        return int(data.split(b" ", 2)[1]) if data.startswith(b"HTTP/1.") else None
    finally:
        s.close()


def test_oversized_bodies_get_413():
    # just over max_body (1 MiB in the sample config): the XML error answer
    body = item_doc("hostile-big", "<p>" + "x" * (1024 * 1024 + 10) + "</p>")
    r = server.admin("PUT", "/admin/events/hostile-big", body)
    assert r.status == 413, r
    assert server.admin("GET", "/admin/events/hostile-big").status == 404
    # far over it: refused before it is read whole
    code = raw_put(server.port, "/admin/events/hostile-big", 16 * 1024 * 1024)
    assert code in (413, None), code
    assert server.admin("GET", "/admin/events/hostile-big").status == 404
    assert server.get("/healthz").status == 200


if __name__ == "__main__":
    harness.main(globals())
