"""Identity (SPEC 7): RSS guids, Atom ids and iCalendar UIDs never depend on
the address the server listens on.  Two servers on one copied store, on
different ports and without base_url, name every item alike; no name holds
an address or a port; readers take the guid for the item's id, and the
links stay the pages' URLs."""
import os
import re
import shutil
import sqlite3
import sys
import xml.etree.ElementTree as ET

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import harness  # noqa: E402

import feedparser  # noqa: E402
import icalendar  # noqa: E402

ATOM = "{http://www.w3.org/2005/Atom}"
ATOM_RNG = os.path.join(harness.SOURCE, "tests", "schemas", "atom.rng")
EVENT = "miasta-integrujace-2017"
# RFC 4151: tag:AUTHORITY,DATE:specific
TAG = re.compile(r"^tag:([a-z0-9][a-z0-9.-]*),(\d{4}(-\d{2}(-\d{2})?)?):(\S*)$")
ADDRESS = re.compile(r"127\.0\.0\.1|localhost|\[::1\]|:\d{2,5}(/|$)")


def names(server):
    """Every identity in /pl/events.rss, .atom and .ics, and the RSS links."""
    rss = server.get("/pl/events.rss")
    assert rss.status == 200, rss
    items = ET.fromstring(rss.body).find("channel").findall("item")
    guids = [i.findtext("guid") for i in items]
    for i in items:
        assert i.find("guid").get("isPermaLink") == "false", ET.tostring(i)
    links = [i.findtext("link") for i in items]
    d = feedparser.parse(rss.body)
    assert d.bozo == 0, d.get("bozo_exception")
    assert [e.id for e in d.entries] == guids
    assert not any(e.get("guidislink") for e in d.entries)
    # the link is still the page, not the guid
    assert all(e.link.startswith(server.url("/pl/events/")) for e in d.entries)

    atom = server.get("/pl/events.atom")
    assert atom.status == 200, atom
    harness.validate_rng(atom.body, ATOM_RNG)
    feed = ET.fromstring(atom.body)
    entry_ids = [e.findtext(ATOM + "id") for e in feed.findall(ATOM + "entry")]
    # readers take the id for the entry's id and the page for its link
    d = feedparser.parse(atom.body)
    assert [e.id for e in d.entries] == entry_ids
    assert all(e.link.startswith(server.url("/pl/events/")) for e in d.entries), \
        [e.link for e in d.entries]
    feed_id = feed.findtext(ATOM + "id")

    ics = server.get("/pl/events.ics")
    assert ics.status == 200, ics
    uids = sorted({str(v.get("UID")) for v in icalendar.Calendar.from_ical(ics.body).walk("VEVENT")})
    return {"guids": guids, "entry_ids": entry_ids, "feed_id": feed_id, "uids": uids,
            "links": links}


def check_shapes(n, port):
    assert n["guids"] and n["entry_ids"] and n["uids"], n
    for name in n["guids"] + n["entry_ids"] + [n["feed_id"]] + n["uids"]:
        assert ADDRESS.search(name) is None, name
        assert str(port) not in name, name
    for name in n["guids"] + n["entry_ids"] + [n["feed_id"]]:
        assert TAG.match(name), name
    # one authority and date for all
    assert len({TAG.match(x).group(1, 2) for x in n["guids"] + n["entry_ids"]}) == 1, n
    authority = TAG.match(n["guids"][0]).group(1)
    assert any(g.endswith(":pl/events/" + EVENT) for g in n["guids"]), n["guids"]
    assert sorted(n["guids"]) == sorted(n["entry_ids"])
    assert EVENT + "@" + authority in n["uids"], n["uids"]
    assert all(u.endswith("@" + authority) for u in n["uids"]), n["uids"]


def copy_store(src, dst):
    for suffix in ("", "-wal", "-shm"):
        if os.path.exists(src + suffix):
            shutil.copyfile(src + suffix, dst + suffix)


def test_two_servers_on_a_copied_store_name_items_alike():
    first = harness.Server()
    with first:
        before = names(first)
        check_shapes(before, first.port)
    copied = os.path.join(first.tmp + "-copy.db")
    try:
        # first.tmp is gone after stop: make the store again, copy it
        # while its first server runs (the WAL along), then serve both
        a = harness.Server()
        with a:
            copy_store(a.db, copied)
            b = harness.Server(db=copied)
            with b:
                assert a.port != b.port
                na, nb = names(a), names(b)
                check_shapes(na, a.port)
                check_shapes(nb, b.port)
                for key in ("guids", "entry_ids", "feed_id", "uids"):
                    assert na[key] == nb[key], (key, na[key], nb[key])
                # the links follow each server's address: they are URLs
                assert na["links"] != nb["links"]
            # a restart keeps the names
            db = sqlite3.connect(a.db)
            try:
                stored = dict(db.execute("SELECT key, value FROM meta").fetchall())
            finally:
                db.close()
            assert stored["authority"] == TAG.match(na["guids"][0]).group(1), stored
            assert re.match(r"^neptun-[0-9a-f]{12}$", stored["authority"]), stored
            assert stored["created"] == TAG.match(na["guids"][0]).group(2), stored
        # a store of its own gets an authority of its own
        assert TAG.match(before["guids"][0]).group(1) != stored["authority"]
    finally:
        for suffix in ("", "-wal", "-shm"):
            if os.path.exists(copied + suffix):
                os.unlink(copied + suffix)


def test_configured_base_url_names_the_authority():
    with harness.Server(conf_extra="base_url https://events.example.gdansk.pl/") as s:
        n = names(s)
        assert all(g.startswith("tag:events.example.gdansk.pl,") for g in n["guids"]), n["guids"]
        assert EVENT + "@events.example.gdansk.pl" in n["uids"], n["uids"]


if __name__ == "__main__":
    harness.main(globals())
