"""Last-Modified never moves backwards, and If-Modified-Since alone sees
every change: a poller that sends only If-Modified-Since sees a deletion
of the newest item, an unpublish and an edit (200, never 304 for a changed
answer); the time is kept in the store, so a restart answers the same
Last-Modified and 304 to the old If-Modified-Since; a store of the previous
schema version is migrated at start and keeps answering."""
import email.utils
import sqlite3
import time

import harness

FEEDS = ("/pl/campaigns", "/pl/campaigns.rss", "/pl/campaigns.atom", "/pl/feed.rss")


def doc(slug, title, status="published", extra=""):
    return ("""<?xml version="1.0" encoding="UTF-8"?>
<item xmlns="urn:neptun:1" type="campaigns" slug="%s" status="%s"%s>
  <text xml:lang="pl"><title>%s</title></text>
</item>
""" % (slug, status, extra, title)).encode("utf-8")


def put(s, slug, title, status="published", extra=""):
    r = s.admin("PUT", "/admin/campaigns/" + slug, doc(slug, title, status, extra))
    assert r.status in (200, 201), r


def lm(r):
    assert r.status == 200, r
    value = r.headers.get("last-modified")
    assert value, r.headers
    return email.utils.parsedate_to_datetime(value).timestamp()


def poll(s, path, since):
    """A poller that sends only If-Modified-Since."""
    return s.get(path, headers={"If-Modified-Since": since})


def next_second():
    # Last-Modified has whole seconds: let the clock pass one
    time.sleep(1.1)


def settled(s, path, within=5.0):
    """The answer whose Last-Modified a poller may keep: a burst of writes
    sets change times a second or two ahead of the clock, and Last-Modified
    is never later than Date (RFC 9110), so until the clock catches up a
    poller is answered 200 again.  Returns the answer once its own
    Last-Modified gets 304."""
    t0 = time.time()
    while True:
        r = s.get(path)
        if poll(s, path, r.headers.get("last-modified")).status == 304:
            return r
        assert time.time() - t0 < within, (path, "still 200 after %.1f s" % within, r.headers)
        time.sleep(0.2)


def check_change_seen(s, change, gone=None, present=None):
    """Fetch every answer, make the change, poll with If-Modified-Since."""
    before = {}
    for path in FEEDS:
        r = settled(s, path)
        before[path] = (r.headers.get("last-modified"), lm(r))
    next_second()
    change()
    for path in FEEDS:
        r = poll(s, path, before[path][0])
        assert r.status == 200, (path, r.status, r.headers)
        assert lm(r) > before[path][1], (path, r.headers.get("last-modified"), before[path][0])
        if gone is not None:
            assert gone.encode() not in r.body, (path, r.body[:600])
        if present is not None:
            assert present.encode() in r.body, (path, r.body[:600])
        # Last-Modified is never later than Date
        assert lm(r) <= email.utils.parsedate_to_datetime(r.headers["date"]).timestamp(), r.headers
        # and once the clock has caught up, nothing more changed: 304 again
        settled(s, path)


def test_a_deletion_of_the_newest_item_reaches_if_modified_since_pollers():
    with harness.Server() as s:
        put(s, "lm-older", "Starsza kampania")
        next_second()
        put(s, "lm-newest", "Najnowsza kampania")
        assert b"lm-newest" in s.get("/pl/campaigns.rss").body
        check_change_seen(s, lambda: s.admin("DELETE", "/admin/campaigns/lm-newest"),
                          gone="lm-newest")


def test_an_unpublish_and_an_edit_reach_if_modified_since_pollers():
    with harness.Server() as s:
        put(s, "lm-old", "Stara kampania")
        next_second()
        put(s, "lm-new", "Nowa kampania")
        check_change_seen(s, lambda: put(s, "lm-new", "Nowa kampania", "draft"), gone="lm-new")
        check_change_seen(s, lambda: put(s, "lm-old", "Poprawiona kampania"),
                          present="Poprawiona kampania")


def test_an_archive_and_a_scheduled_item_coming_due_reach_pollers():
    with harness.Server() as s:
        put(s, "lm-kept", "Kampania")
        next_second()
        check_change_seen(s, lambda: put(s, "lm-kept", "Kampania", "archived"))
        due = int(time.time()) + 4
        at = time.strftime("%Y-%m-%dT%H:%M:%S+00:00", time.gmtime(due))
        put(s, "lm-scheduled", "Zaplanowana", extra=' publish_at="%s"' % at)
        r = settled(s, "/pl/campaigns.rss")
        assert b"lm-scheduled" not in r.body
        since = r.headers["last-modified"]
        time.sleep(max(0, due - time.time()) + 1.1)
        r = poll(s, "/pl/campaigns.rss", since)
        assert r.status == 200 and b"lm-scheduled" in r.body, r
        assert lm(r) >= due, (r.headers, due)
        settled(s, "/pl/campaigns.rss")


def test_two_changes_within_one_second_both_reach_pollers():
    with harness.Server() as s:
        put(s, "lm-a", "Kampania A")
        put(s, "lm-b", "Kampania B")
        r = s.get("/pl/campaigns.rss")
        since = r.headers["last-modified"]
        s.admin("DELETE", "/admin/campaigns/lm-b")
        r2 = poll(s, "/pl/campaigns.rss", since)
        assert r2.status == 200 and b"lm-b" not in r2.body, r2
        assert lm(r2) >= lm(r)


def test_last_modified_survives_a_restart():
    s = harness.Server()
    s.start()
    try:
        put(s, "lm-kept", "Kampania")
        next_second()
        put(s, "lm-gone", "Usunieta")
        next_second()
        assert s.admin("DELETE", "/admin/campaigns/lm-gone").status == 204
        before = {p: settled(s, p).headers["last-modified"] for p in FEEDS}
        s.stop()
        next_second()
        s.start()
        for path in FEEDS:
            r = s.get(path)
            assert r.headers.get("last-modified") == before[path], (path, r.headers, before[path])
            assert poll(s, path, before[path]).status == 304, path
    finally:
        s.__exit__(None, None, None)


def test_a_store_of_the_previous_schema_version_is_migrated():
    s = harness.Server()
    s.start()
    try:
        put(s, "lm-before-upgrade", "Sprzed aktualizacji")
        s.stop()
        # the store as the previous version left it: no change times; that
        # version's Last-Modified was the newest item's time
        db = sqlite3.connect(s.db)
        assert db.execute("PRAGMA user_version").fetchone()[0] >= 4
        old = db.execute("SELECT max(updated) FROM items WHERE type = 'campaigns'").fetchone()[0]
        db.execute("DROP TABLE type_changes")
        db.execute("PRAGMA user_version = 3")
        db.commit()
        db.close()
        next_second()
        restarted = int(time.time())
        s.start()
        assert "schema migrated to version 4" in s.log(), s.log()[-2000:]
        r = s.get("/pl/campaigns.rss")
        assert b"lm-before-upgrade" in r.body
        # what changed before the upgrade is not known: counted as the
        # upgrade's time, never earlier than the previous version's answer
        assert lm(r) >= old and lm(r) >= restarted, (r.headers, old, restarted)
        since = r.headers["last-modified"]
        assert poll(s, "/pl/campaigns.rss", since).status == 304
        next_second()
        assert s.admin("DELETE", "/admin/campaigns/lm-before-upgrade").status == 204
        r = poll(s, "/pl/campaigns.rss", since)
        assert r.status == 200 and b"lm-before-upgrade" not in r.body, r
        db = sqlite3.connect(s.db)
        assert db.execute("PRAGMA user_version").fetchone()[0] >= 4
        db.close()
    finally:
        s.__exit__(None, None, None)


if __name__ == "__main__":
    harness.main(globals())
