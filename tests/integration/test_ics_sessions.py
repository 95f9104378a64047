"""iCalendar of events with several sessions (SPEC section 7): one VEVENT per
session, each with its own DTSTART/DTEND/LOCATION, all of the event's UID
(the first with RDATE, the others with RECURRENCE-ID), read the same way by
python-icalendar and by ical.js (installed with npm into <repo>/.cache/npm)."""
import datetime
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(__file__))
import harness  # noqa: E402

import icalendar  # noqa: E402

EVENT = "miasta-integrujace-2017"
NPM_PREFIX = os.path.join(harness.SOURCE, ".cache", "npm")
WARSAW = datetime.timezone(datetime.timedelta(hours=2))  # CEST in June
SESSIONS = [
    (datetime.datetime(2017, 6, 29, 13, 30, tzinfo=WARSAW),
     datetime.datetime(2017, 6, 29, 22, 0, tzinfo=WARSAW), "Europejskie Centrum Solidarności"),
    (datetime.datetime(2017, 6, 30, 10, 0, tzinfo=WARSAW),
     datetime.datetime(2017, 6, 30, 16, 0, tzinfo=WARSAW), "Stadion Energa Gdańsk"),
]

ICALJS_SCRIPT = r"""
let ICAL = require(process.argv[process.argv.length - 1]);
if (ICAL.default) ICAL = ICAL.default;
const text = require('fs').readFileSync(0, 'utf8');
const cal = new ICAL.Component(ICAL.parse(text));
for (const tz of cal.getAllSubcomponents('vtimezone'))
  ICAL.TimezoneService.register(tz);
const out = [];
const iso = t => t ? t.toJSDate().toISOString() : null;
for (const v of cal.getAllSubcomponents('vevent')) {
  const e = new ICAL.Event(v);
  out.push({uid: e.uid, start: iso(e.startDate), end: iso(e.endDate),
            tzid: e.startDate.zone ? e.startDate.zone.tzid : null, location: e.location,
            recurrence_id: iso(e.recurrenceId)});
}
process.stdout.write(JSON.stringify(out));
"""

server = None
icaljs = None


def setup():
    global server, icaljs
    module = os.path.join(NPM_PREFIX, "node_modules", "ical.js")
    if not os.path.isdir(module):
        p = subprocess.run(["npm", "install", "--no-audit", "--no-fund", "--prefix", NPM_PREFIX,
                            "ical.js"], capture_output=True, text=True, timeout=240)
        assert p.returncode == 0, p.stderr[-2000:]
    icaljs = module
    server = harness.Server().start()


def teardown():
    server.__exit__(None, None, None)


def calendar(path):
    r = server.get(path)
    assert r.status == 200, r
    assert r.headers["content-type"].startswith("text/calendar"), r
    return r.body


def utc(dt):
    return dt.astimezone(datetime.timezone.utc)


def python_events(body, uid_prefix):
    cal = icalendar.Calendar.from_ical(body)
    out = []
    for v in cal.walk("VEVENT"):
        if not str(v["UID"]).startswith(uid_prefix):
            continue
        rid = v.get("RECURRENCE-ID")
        out.append({"uid": str(v["UID"]), "start": v.decoded("DTSTART"),
                    "end": v.decoded("DTEND"), "location": str(v.get("LOCATION", "")),
                    "recurrence_id": rid.dt if rid is not None else None,
                    "tzid": v["DTSTART"].params.get("TZID")})
    return out


def icaljs_events(body, uid_prefix):
    p = subprocess.run(["node", "-e", ICALJS_SCRIPT, "--", icaljs], input=body.decode("utf-8"),
                       capture_output=True, text=True, timeout=60)
    assert p.returncode == 0, p.stderr[-2000:]
    events = [e for e in json.loads(p.stdout) if e["uid"].startswith(uid_prefix)]
    for e in events:
        for k in ("start", "end", "recurrence_id"):
            if e[k] is not None:
                e[k] = datetime.datetime.fromisoformat(e[k].replace("Z", "+00:00"))
    return events


def check_sessions(body):
    uid_prefix = EVENT + "@"
    py = python_events(body, uid_prefix)
    js = icaljs_events(body, uid_prefix)
    assert len(py) == 2 and len(js) == 2, (py, js, body.decode())
    assert len({e["uid"] for e in py + js}) == 1, (py, js)  # one series
    for got in (py, js):
        got.sort(key=lambda e: e["start"])
        for e, (start, end, venue) in zip(got, SESSIONS):
            assert e["tzid"] == "Europe/Warsaw", e
            assert utc(e["start"]) == utc(start) and utc(e["end"]) == utc(end), (e, start, end)
            assert e["location"].startswith(venue), (e, venue)
        # the first session is the series; the second overrides its own start
        assert got[0]["recurrence_id"] is None, got
        assert utc(got[1]["recurrence_id"]) == utc(SESSIONS[1][0]), got
    # python-icalendar's local times are Warsaw's wall clock
    assert py[1]["start"].strftime("%Y-%m-%d %H:%M") == "2017-06-30 10:00", py
    assert py[0]["end"].strftime("%H:%M") == "22:00", py
    # the series' first VEVENT names the second session's start in RDATE
    cal = icalendar.Calendar.from_ical(body)
    first = [v for v in cal.walk("VEVENT")
             if str(v["UID"]).startswith(uid_prefix) and "RECURRENCE-ID" not in v][0]
    rdates = first.get("RDATE")
    rdates = rdates if isinstance(rdates, list) else [rdates]
    assert [utc(d.dt) for r in rdates for d in r.dts] == [utc(SESSIONS[1][0])], rdates


def test_event_calendar_has_one_vevent_per_session():
    check_sessions(calendar("/pl/events/%s.ics" % EVENT))


def test_type_calendar_has_one_vevent_per_session():
    check_sessions(calendar("/pl/events.ics"))


def test_single_session_items_keep_one_vevent():
    body = calendar("/pl/forums.ics")
    cal = icalendar.Calendar.from_ical(body)
    events = cal.walk("VEVENT")
    assert events and all("RECURRENCE-ID" not in v and "RDATE" not in v for v in events), body
    assert len({str(v["UID"]) for v in events}) == len(events), body


def test_an_item_without_dates_has_no_calendar():
    """The sample's press note is an events item without sessions: no
    calendar rather than one that a calendar app reads as empty."""
    r = server.get("/pl/events/dwa-dni-rozmow-o-integracji-2017.ics")
    assert r.status == 404 and b"no dates" in r.body, r
    assert server.get("/pl/events/dwa-dni-rozmow-o-integracji-2017").status == 200


if __name__ == "__main__":
    harness.main(globals())
