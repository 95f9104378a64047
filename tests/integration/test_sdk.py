"""The plugin SDK as an outside developer meets it.

setup() installs the current build into a temporary prefix with
`cmake --install`, then builds examples/projects out of tree with its own
Makefile and pkg-config alone (PKG_CONFIG_PATH=<prefix>/.../pkgconfig).  The
tests start the INSTALLED binary with the installed built-in plugins plus
projects.so, import the projects sample content with `neptun import`, and
check every answer the plugin shapes: XML (against the served grammar), RSS,
Atom, iCalendar, search, its routes, its catalog strings, its Lua function
and the admin API.  They also check that the installed headers compile
alone (C and C++), that every code excerpt in docs/plugins.md is still in
the file it names, and, with tests/plugins/sdk_probe.c, each host member
ABI 1.1 added.
"""
import glob
import os
import re
import shutil
import subprocess
import tempfile
import xml.etree.ElementTree as ET

import feedparser
import icalendar

import harness

NS = "{urn:neptun:1}"
EXAMPLE = os.path.join(harness.SOURCE, "examples", "projects")
GUIDE = os.path.join(harness.SOURCE, "docs", "plugins.md")
SLUG = "network-of-towns-migrant-integration-2021"
HEADERS = ("common.h", "pool.h", "item.h", "xml.h", "http.h", "plugin.h", "writer.h", "check.h")
TEST_PLUGINS = os.path.join(harness.BUILD, "test-plugins")

state = {}


def run(cmd, env=None, cwd=None, shell=False):
    p = subprocess.run(cmd, capture_output=True, text=True, env=env, cwd=cwd, shell=shell)
    if p.returncode != 0:
        raise AssertionError("%s failed (%d):\n%s\n%s" % (cmd, p.returncode, p.stdout[-3000:],
                                                          p.stderr[-3000:]))
    return p


def sdk_env():
    env = dict(os.environ)
    env["PKG_CONFIG_PATH"] = state["pcdir"]
    return env


def setup():
    tmp = tempfile.mkdtemp(prefix="neptun-sdk-")
    try:
        install_and_build(tmp)
    except BaseException:
        teardown()  # the harness does not call it when setup fails
        raise


def install_and_build(tmp):
    prefix = os.path.join(tmp, "prefix")
    state.update(tmp=tmp, prefix=prefix)
    run(["cmake", "--install", harness.BUILD, "--prefix", prefix])
    # GNUInstallDirs may choose lib, lib64 or lib/<multiarch>.
    pcs = glob.glob(os.path.join(prefix, "lib*", "pkgconfig", "neptun-plugin.pc")) + \
        glob.glob(os.path.join(prefix, "lib", "*", "pkgconfig", "neptun-plugin.pc"))
    assert pcs, "cmake --install put no neptun-plugin.pc under %s" % prefix
    state["pcdir"] = os.path.dirname(pcs[0])
    state["libdir"] = os.path.dirname(state["pcdir"])
    state["binary"] = os.path.join(prefix, "bin", "neptun")
    # The plugin's own build: its Makefile, pkg-config, nothing of the tree.
    out = os.path.join(tmp, "projects-build")
    run(["make", "-C", EXAMPLE, "O=" + out], env=sdk_env())
    state["plugin"] = os.path.join(out, "projects.so")
    state["plugin_build"] = out


def teardown():
    if state.get("tmp") and not os.environ.get("NEPTUN_KEEP_TMP"):
        shutil.rmtree(state["tmp"], ignore_errors=True)


class InstalledServer(harness.Server):
    """The installed binary with a config that names only installed files."""

    def command(self):
        return [state["binary"]] + super().command()[1:]


def installed_conf(extra=""):
    prefix = state["prefix"]
    empty = os.path.join(state["tmp"], "no-content")
    os.makedirs(empty, exist_ok=True)
    return "\n".join([
        "plugin_dir " + os.path.join(state["libdir"], "neptun", "plugins"),
        "plugin " + state["plugin"],
        "locales " + os.path.join(prefix, "share", "neptun", "locales"),
        "schema " + os.path.join(prefix, "share", "neptun", "schema", "neptun.rng"),
        "content " + empty,
        "access_log off",
        extra,
    ])


def start_server(scripts=None, extra="", import_content=True, more_content=()):
    s = InstalledServer(conf_extra=installed_conf(extra), scripts=scripts)
    if import_content:
        files = sorted(glob.glob(os.path.join(EXAMPLE, "content", "*.xml")))
        assert files, "no sample content in examples/projects/content"
        files += [os.path.join(harness.SOURCE, "content", f) for f in more_content]
        p = subprocess.run([state["binary"], "import", "-c", s.conf, "--db", s.db] + files,
                           capture_output=True, text=True)
        assert p.returncode == 0, "neptun import failed:\n" + p.stderr
    return s


def served_schema(s):
    r = s.get("/schema/neptun.rng")
    assert r.status == 200, r
    return r.body


# ---- the installed SDK ----------------------------------------------------

def test_install_layout():
    prefix = state["prefix"]
    for h in HEADERS:
        assert os.path.isfile(os.path.join(prefix, "include", "neptun", h)), h
    for p in ("events", "campaigns", "forums"):
        assert os.path.isfile(os.path.join(state["libdir"], "neptun", "plugins", p + ".so")), p
    for f in ("neptun.rng", "api.rng"):
        assert os.path.isfile(os.path.join(prefix, "share", "neptun", "schema", f)), f
    assert os.access(state["binary"], os.X_OK)
    # The pkg-config file points into this prefix, wherever it was installed.
    cflags = run(["pkg-config", "--cflags", "neptun-plugin"], env=sdk_env()).stdout
    inc = [w[2:] for w in cflags.split() if w.startswith("-I")]
    assert any(os.path.isfile(os.path.join(d, "neptun", "plugin.h")) and
               os.path.realpath(d).startswith(os.path.realpath(prefix)) for d in inc), cflags


def test_installed_headers_compile_alone_in_c_and_cpp():
    cflags = run(["pkg-config", "--cflags", "neptun-plugin"], env=sdk_env()).stdout.split()
    d = os.path.join(state["tmp"], "headers")
    os.makedirs(d, exist_ok=True)
    for h in HEADERS:
        src = os.path.join(d, h.replace(".h", ".c"))
        with open(src, "w") as f:
            f.write("#include <neptun/%s>\n" % h)
        run(["gcc", "-std=c11", "-fsyntax-only", "-Wall", "-Wextra", "-Wstrict-prototypes",
             "-Werror"] + cflags + [src])
        run(["g++", "-x", "c++", "-fsyntax-only", "-Wall", "-Wextra", "-Werror"] + cflags + [src])


def test_one_line_build_with_pkg_config():
    """The command of SPEC §5, on the example's sources."""
    out = os.path.join(state["tmp"], "oneline.so")
    rng_c = os.path.join(state["plugin_build"], "projects_rng.c")
    cmd = "cc -shared -fPIC $(pkg-config --cflags neptun-plugin) %s %s -o %s" % (
        " ".join(sorted(glob.glob(os.path.join(EXAMPLE, "*.c")))), rng_c, out)
    run(cmd, env=sdk_env(), shell=True)
    assert os.path.isfile(out)


def test_plugin_exports_only_its_descriptor():
    nm = run(["nm", "-D", "--defined-only", state["plugin"]]).stdout
    names = {line.split()[-1] for line in nm.splitlines() if line.strip()}
    assert names == {"neptun_plugin"}, names


def test_guide_excerpts_are_the_built_code():
    """Every block in docs/plugins.md preceded by <!-- file: PATH --> must
    appear, line by line and in order, in PATH (lines that are only "..."
    stand for omitted code)."""
    with open(GUIDE, encoding="utf-8") as f:
        guide = f.read()
    blocks = re.findall(r"<!-- file: (\S+) -->\s*\n```[a-z]*\n(.*?)```", guide, re.S)
    assert len(blocks) >= 6, "docs/plugins.md shows too few excerpts (%d)" % len(blocks)
    for path, code in blocks:
        full = os.path.join(harness.SOURCE, path)
        assert os.path.isfile(full), "docs/plugins.md names %s, which does not exist" % path
        with open(full, encoding="utf-8") as f:
            lines = [l.strip() for l in f.read().splitlines()]
        at = 0
        for want in (l.strip() for l in code.splitlines()):
            if want in ("", "...", "/* ... */", "-- ...", "<!-- ... -->"):
                continue
            try:
                at = lines.index(want, at) + 1
            except ValueError:
                raise AssertionError("docs/plugins.md: excerpt of %s has a line not in the file "
                                     "(or out of order): %r" % (path, want))


# ---- the plugin in the installed server ------------------------------------

def test_item_xml_validates_and_carries_the_fields():
    with start_server() as s:
        rng = served_schema(s)
        for lang in ("pl", "en", "de"):
            r = s.get("/%s/projects/%s" % (lang, SLUG))
            assert r.status == 200, r
            harness.validate_rng(r.body, rng)
            entry = ET.fromstring(r.body)
            assert entry.get("starts") == "2021-02-28T23:00:00Z", entry.attrib
            project = entry.find(NS + "project")
            assert project is not None and project.get("start") == "2021-03-01"
            assert project.find(NS + "programme").get("code") == "efc-2-network-of-towns"
            assert len(project.findall(NS + "theme")) == 2
            co = project.find(NS + "coordinator")
            assert co.find(NS + "address/" + NS + "street").text == "Nowe Ogrody 8/12"
            contact = co.find(NS + "contact")
            assert contact.find(NS + "name").text == "Joanna Krupadziorow"
            assert contact.find(NS + "phone").text == "+48 58 32 36 811"
            assert len(co.findall(NS + "task")) == 2
            assert project.find(NS + "partners").get("countries") == "4"
            assert project.find(NS + "visits").get("count") == "4"
            assert len(project.findall(NS + "objective")) == 2
            assert project.find(NS + "when").text  # the host's date range
        r = s.get("/de/projects")
        assert r.status == 200, r
        harness.validate_rng(r.body, rng)
        types = {t.get("name"): t for t in ET.fromstring(s.get("/").body).iter(NS + "type")}
        assert {"events", "campaigns", "forums", "projects"} <= set(types), types


def test_feeds_and_calendar():
    with start_server() as s:
        r = s.get("/pl/projects.rss")
        assert r.status == 200, r
        feed = feedparser.parse(r.body)
        assert feed.bozo == 0, feed.bozo_exception
        assert len(feed.entries) == 1
        desc = feed.entries[0].description
        assert "Krupadziorow" in desc and "Koordynator" in desc, desc
        r = s.get("/en/projects.atom")
        assert r.status == 200, r
        atom_rng = os.path.join(harness.SOURCE, "tests", "schemas", "atom.rng")
        if os.path.exists(atom_rng):
            harness.validate_rng(r.body, atom_rng)
        assert feedparser.parse(r.body).bozo == 0
        r = s.get("/en/projects.ics")
        assert r.status == 200, r
        cal = icalendar.Calendar.from_ical(r.body)
        ev = [c for c in cal.walk("VEVENT")]
        assert len(ev) == 1
        assert "Nowe Ogrody 8/12" in str(ev[0].get("LOCATION"))
        assert "Krupadziorow" in str(ev[0].get("CONTACT"))


def test_search_folds_names():
    with start_server() as s:
        for lang, q in (("pl", "krupadziorow"), ("en", "gdansk"), ("de", "siec+miast")):
            r = s.get("/%s/search?q=%s" % (lang, q))
            assert r.status == 200, r
            slugs = [e.get("slug") for e in ET.fromstring(r.body).iter(NS + "entry")]
            assert SLUG in slugs, (q, slugs)


def test_route_answers_strands():
    with start_server(import_content=False) as s:
        r = s.get("/de/projects/strands.xml")
        assert r.status == 200, r
        assert r.headers["content-type"].startswith("application/xml"), r.headers
        harness.validate_rng(r.body, os.path.join(EXAMPLE, "projects.rng"))
        harness.validate_rng(r.body, served_schema(s))  # route.projects is in route.any
        doc = ET.fromstring(r.body)
        names = {e.get("code"): e.find(NS + "name").text for e in doc.iter(NS + "strand")}
        assert "Netzwerke von Partnerstädten" in names["efc-2-network-of-towns"], names
        assert s.get("/xx/projects/strands.xml").status == 404


def test_served_schema_has_route_any():
    with start_server(import_content=False) as s:
        rng = ET.fromstring(served_schema(s))
        R = "{http://relaxng.org/ns/structure/1.0}"
        defines = {d.get("name"): d for d in rng.iter(R + "define")}
        refs = [r.get("name") for r in defines["route.any"].iter(R + "ref")]
        assert refs == ["route.projects"], refs
        api = [r.get("name") for r in defines["api.document"].iter(R + "ref")]
        assert "route.any" in api, api


def test_route_answers_partners_of_a_project():
    with start_server() as s:
        rng = served_schema(s)
        r = s.get("/en/projects/%s/partners" % SLUG)
        assert r.status == 200, r
        assert r.headers["content-type"].startswith("application/xml"), r.headers
        harness.validate_rng(r.body, rng)
        doc = ET.fromstring(r.body)
        assert doc.tag == NS + "partners" and doc.get("project") == SLUG, doc.attrib
        assert doc.get("countries") == "4" and doc.get("href").endswith("/en/projects/" + SLUG)
        tasks = [t.text for t in doc.findall(NS + "task")]
        assert len(tasks) == 2 and tasks[0].startswith("Each partner city"), tasks
        r = s.get("/pl/projects/%s/partners" % SLUG)
        assert r.status == 200 and "Każde miasto partnerskie" in r.text, r.text
        for path in ("/en/projects/no-such-project/partners", "/en/projects/Bad.Slug/partners",
                     "/xx/projects/%s/partners" % SLUG):
            assert s.get(path).status == 404, path


PARTNERED = """<?xml version="1.0" encoding="UTF-8"?>
<item xmlns="urn:neptun:1" type="projects" slug="sdk-partnered" status="%s">
  <text xml:lang="en"><title>SDK partnered project</title></text>
  <project start="2022-01-01" end="2022-12-31">
    <coordinator><name>Test coordinator</name></coordinator>
    <partners countries="2">
      <partner country="DE"><name xml:lang="de">Bremen (Partnerstadt)</name></partner>
      <partner country="SE" href="https://example.org/malmo">
        <name xml:lang="en">Malmö</name><name xml:lang="pl">Malmö (miasto partnerskie)</name>
      </partner>
    </partners>
  </project>
</item>
"""


def test_partners_route_reads_the_visible_item_with_fallback():
    with start_server(import_content=False) as s:
        path = "/admin/projects/sdk-partnered"
        assert s.admin("PUT", path, PARTNERED % "draft").status == 201
        assert s.get("/en/projects/sdk-partnered/partners").status == 404  # a draft is not shown
        assert s.admin("PUT", path, PARTNERED % "published").status in (200, 204)
        r = s.get("/en/projects/sdk-partnered/partners")
        assert r.status == 200, r
        harness.validate_rng(r.body, served_schema(s))
        names = [(p.get("country"), n.text, n.get("{http://www.w3.org/XML/1998/namespace}lang"))
                 for p in ET.fromstring(r.body).findall(NS + "partner") for n in p.findall(NS + "name")]
        # Bremen has only German: fallback text marked with xml:lang.
        assert names == [("DE", "Bremen (Partnerstadt)", "de"), ("SE", "Malmö", None)], names
        assert s.admin("DELETE", path).status == 204
        assert s.get("/en/projects/sdk-partnered/partners").status == 404


def test_plugin_catalog_strings_and_plurals():
    with start_server() as s:
        pl = feedparser.parse(s.get("/pl/projects.rss").body).entries[0].description
        assert "Koordynator" in pl and "4 wizyty studyjne" in pl and "Wizyty studyjne" in pl, pl
        en = s.get("/en/projects.atom").text
        assert "Coordinator" in en and "4 study visits" in en, en
        de = feedparser.parse(s.get("/de/projects.rss").body).entries[0].description
        assert "Koordination" in de and "4 Studienbesuche" in de, de
        for key in ("coordinator", "themes", "visits", "publications", "objectives", "count.visits"):
            assert "projects." + key not in pl + en + de, key  # no key left untranslated


def test_abi_1_1_host_members():
    probe = os.path.join(TEST_PLUGINS, "sdk_probe.so")
    failing = os.path.join(TEST_PLUGINS, "init_fails.so")
    with start_server(extra="plugin %s\nplugin %s" % (probe, failing),
                      more_content=("events-miasta-integrujace-2017.xml",)) as s:
        log = s.log()
        assert "sdk_probe check" in log and "FAILED" not in log, log
        assert "plugin sdk_probe 0.0.1 loaded" in log and "(ABI 1.2)" in log, log
        assert "init_fails" in log and "init failed" in log, log
        # register_messages: plural forms per language, the fallback chain,
        # nothing left from a plugin whose init failed.
        for lang, n, want in (("pl", 1, "1 próba"), ("pl", 3, "3 próby"), ("pl", 5, "5 prób"),
                              ("en", 1, "1 probe"), ("en", 22, "22 probes")):
            r = s.get("/%s/sdk-probe/t/sdk_probe.count?n=%d" % (lang, n))
            assert r.status == 200 and r.text == want, (lang, n, r.text)
        assert s.get("/de/sdk-probe/t/sdk_probe.word").text == "Sonde"
        assert s.get("/en/sdk-probe/t/init_fails.word").text == "init_fails.word"
        # item_get, item_render_ctx and days_spanned on stored items.
        r = s.get("/pl/sdk-probe/item/projects/" + SLUG)
        assert r.status == 200 and r.text == SLUG + "|306|project|pl", r.text
        r = s.get("/de/sdk-probe/item/events/miasta-integrujace-2017")
        assert r.text == "miasta-integrujace-2017|2|event|de", r.text
        for path in ("/en/sdk-probe/item/projects/no-such", "/en/sdk-probe/item/nosuchtype/x",
                     "/en/sdk-probe/item/projects/UPPER"):
            assert s.get(path).status == 404, path
        # The events plugin counts the conference's days through the host.
        entry = ET.fromstring(s.get("/en/events/miasta-integrujace-2017").body)
        assert entry.find(NS + "event").get("days") == "2", entry.find(NS + "event").attrib


def test_lua_function_in_rules_and_check_scripts():
    scripts = os.path.join(EXAMPLE, "scripts")
    with start_server(scripts=scripts) as s:
        r = s.get("/en/projects/" + SLUG)
        tags = [t.text for t in ET.fromstring(r.body).iter(NS + "tag")]
        assert "phase-finished" in tags, tags  # the sample project ended in 2021
        p = subprocess.run([state["binary"], "check-scripts", "-c", s.conf, scripts],
                           capture_output=True, text=True)
        assert p.returncode == 0, p.stdout + p.stderr


NEW_PROJECT = """<?xml version="1.0" encoding="UTF-8"?>
<item xmlns="urn:neptun:1" type="projects" slug="sdk-test-project" status="published">
  <text xml:lang="en"><title>SDK test project</title></text>
  <project start="2022-01-01" end="2022-12-31">
    <coordinator><name>Test coordinator Łódź</name></coordinator>
    <visits count="2" start="2022-03-01" end="2022-06-30">
      <visit start="2022-03-10" end="2022-03-12" country="DE"><name>Bremen</name></visit>
      <visit start="%s" end="2022-05-12" country="SE"><name>Malmö</name></visit>
    </visits>
  </project>
</item>
"""


def test_admin_put_get_delete_and_validation():
    with start_server(import_content=False) as s:
        path = "/admin/projects/sdk-test-project"
        r = s.admin("PUT", path, NEW_PROJECT % "2022-09-10")  # outside the visits' period
        assert r.status == 422, r
        assert "visit[2]" in r.text, r.text
        assert s.get("/en/projects/sdk-test-project").status == 404
        r = s.admin("PUT", path, NEW_PROJECT % "2022-05-10")
        assert r.status == 201, r
        r = s.admin("GET", path)
        assert r.status == 200 and b"Malm\xc3\xb6" in r.body, r
        r = s.get("/en/projects/sdk-test-project")
        assert r.status == 200, r
        harness.validate_rng(r.body, served_schema(s))
        visits = list(ET.fromstring(r.body).iter(NS + "visit"))
        assert [v.get("country") for v in visits] == ["DE", "SE"], r.text
        assert s.admin("DELETE", path).status == 204
        assert s.get("/en/projects/sdk-test-project").status == 404


# ---- the guide's build lines, and the minimal plugin ------------------------

HELLO = os.path.join(harness.SOURCE, "examples", "hello")


def guide_make_lines():
    """Every `make -C examples/...` line of docs/plugins.md's sh blocks."""
    with open(GUIDE, encoding="utf-8") as f:
        guide = f.read()
    lines = []
    for block in re.findall(r"```sh\n(.*?)```", guide, re.S):
        lines += [l.strip() for l in block.splitlines() if l.strip().startswith("make -C examples/")]
    return lines


def build_by_guide(name):
    """Run the guide's line for examples/NAME as written, with only the
    install prefix and the output folder made this test's own, and with no
    PKG_CONFIG_PATH in the environment: the line must carry it itself."""
    line = [l for l in guide_make_lines() if l.startswith("make -C examples/%s " % name)]
    assert len(line) == 1, "docs/plugins.md has %d build lines for %s" % (len(line), name)
    out = os.path.join(state["tmp"], "guide-" + name)
    cmd = re.sub(r"O=/tmp/\S+", "O=" + out, line[0])
    cmd = cmd.replace("/opt/neptun/lib/pkgconfig", state["pcdir"])
    assert cmd != line[0] and "PKG_CONFIG_PATH=" + state["pcdir"] in cmd, line[0]
    env = {k: v for k, v in os.environ.items() if k != "PKG_CONFIG_PATH"}
    run(cmd, env=env, cwd=harness.SOURCE, shell=True)
    so = os.path.join(out, name + ".so")
    assert os.path.isfile(so), so
    return so


def test_guide_build_lines_work_as_written():
    assert len(guide_make_lines()) >= 2, guide_make_lines()
    build_by_guide("projects")


def test_hello_is_a_complete_small_plugin():
    with open(os.path.join(HELLO, "hello.c"), encoding="utf-8") as f:
        assert len(f.read().splitlines()) <= 150
    so = build_by_guide("hello")
    nm = run(["nm", "-D", "--defined-only", so]).stdout
    assert {l.split()[-1] for l in nm.splitlines() if l.strip()} == {"neptun_plugin"}, nm
    s = InstalledServer(conf_extra=installed_conf().replace("plugin " + state["plugin"], "plugin " + so))
    files = sorted(glob.glob(os.path.join(HELLO, "content", "*.xml")))
    p = subprocess.run([state["binary"], "import", "-c", s.conf, "--db", s.db] + files,
                       capture_output=True, text=True)
    assert p.returncode == 0, p.stderr
    with s:
        assert "plugin hello 1.0.0 loaded" in s.log(), s.log()
        # The type names itself in each language: its feeds are titled so.
        for lang, word in (("pl", "Ogłoszenia"), ("en", "Notices"), ("de", "Mitteilungen")):
            r = s.get("/%s/notices.rss" % lang)
            assert r.status == 200, r
            feed = feedparser.parse(r.body)
            assert feed.bozo == 0, feed.bozo_exception
            assert feed.feed.title.startswith(word), (lang, feed.feed.title)
            assert len(feed.entries) == 1
        desc = feedparser.parse(s.get("/en/notices.rss").body).entries[0].description
        assert "Desk: Information point" in desc, desc
        r = s.get("/de/notices/office-hours-december")
        assert r.status == 200, r
        harness.validate_rng(r.body, served_schema(s))
        desk = next(ET.fromstring(r.body).iter(NS + "desk"))
        assert desk.text == "Information point, ground floor", r.text  # de falls back to en
        # validate() reports with a path it formatted in the validation's pool.
        bad = open(files[0], encoding="utf-8").read().replace(
            "Information point, ground floor", "  ").replace("office-hours-december", "blank-desk")
        r = s.admin("PUT", "/admin/notices/blank-desk", bad)
        assert r.status == 422, r
        assert "/item/notice/desk[2]" in r.text and "a desk needs a name" in r.text, r.text
        assert s.get("/en/notices/blank-desk").status == 404


def test_projects_names_its_type_itself():
    """type.projects is no longer in the host's catalogs: the plugin gives it."""
    for lang in ("pl", "en", "de"):
        with open(os.path.join(harness.SOURCE, "locales", lang + ".po"), encoding="utf-8") as f:
            assert "type.projects" not in f.read(), lang
    with start_server() as s:
        for lang, word in (("pl", "Projekty"), ("en", "Projects"), ("de", "Projekte")):
            title = feedparser.parse(s.get("/%s/projects.rss" % lang).body).feed.title
            assert title.startswith(word), (lang, title)


def test_a_plugin_cannot_name_a_type_it_does_not_own():
    with open(os.path.join(HELLO, "hello.c"), encoding="utf-8") as f:
        src = f.read().replace('"type.notices", "Notices"', '"type.events", "Notices"')
    d = os.path.join(state["tmp"], "hello-bad")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, "hello.c"), "w", encoding="utf-8") as f:
        f.write(src)
    cflags = run(["pkg-config", "--cflags", "--libs", "neptun-plugin"], env=sdk_env()).stdout.split()
    so = os.path.join(d, "hello.so")
    run(["cc", "-std=c11", "-shared", "-fPIC", os.path.join(d, "hello.c"), "-o", so] + cflags)
    with InstalledServer(conf_extra=installed_conf().replace("plugin " + state["plugin"], "plugin " + so)) as s:
        log = s.log()
        assert 'message key "type.events" must begin with "hello."' in log, log
        assert s.get("/en/notices").status == 404  # init failed: the type is withdrawn
        assert s.get("/en/events").status == 200


def test_loading_projects_twice_is_refused_and_the_rest_serve():
    with start_server(extra="plugin " + state["plugin"]) as s:
        log = s.log()
        assert "already loaded" in log, log
        assert s.get("/en/projects/" + SLUG).status == 200
        assert s.get("/en/events").status == 200


if __name__ == "__main__":
    harness.main(globals())
