"""The feed readers partners use, run for real against a test server on
loopback: SimplePie as WordPress ships it (PHP), newsboat, and feedparser.

    import clients
    items = clients.simplepie(server.url("/pl/events.rss"))["items"]
    items = clients.newsboat(server.url("/pl/events.rss"))
    items = clients.feedparser(server.url("/pl/events.rss"))["items"]

Each returns the items as dicts with the same keys: title, link, date,
author, categories, description.

SimplePie is taken from Debian's wordpress package (wp-includes/
class-simplepie.php and wp-includes/SimplePie/), fetched with
`apt-get download` into <source>/.cache/clients/ (NEPTUN_CLIENTS_CACHE
overrides) and extracted there once; later runs need no network.  SimplePie
needs PHP's xml and dom extensions, which php-cli does not bring: php8.x-xml of the
installed PHP's very version is fetched the same way and loaded with
`php -d extension=...` (nothing is installed).

Every client runs as a child process of the test and is stopped by its PID
when it overruns its time.
"""
import fcntl
import glob
import json
import os
import shutil
import signal
import sqlite3
import subprocess
import tempfile
import urllib.request

import harness

CACHE = os.environ.get("NEPTUN_CLIENTS_CACHE") or os.path.join(harness.SOURCE, ".cache", "clients")
TIMEOUT = 60

# Reads a feed (a URL, or a file's path) with SimplePie as WordPress loads
# it, and prints the channel and its items as JSON.
SIMPLEPIE_PHP = r"""<?php
error_reporting(E_ALL & ~E_DEPRECATED & ~E_USER_DEPRECATED & ~E_NOTICE & ~E_WARNING);
define('ABSPATH', $argv[1] . '/');
define('WPINC', 'wp-includes');
require ABSPATH . WPINC . '/class-simplepie.php';
$feed = new SimplePie();
$src = $argv[2];
if (preg_match('#^https?://#', $src)) {
    $feed->set_feed_url($src);
} else {
    $feed->set_raw_data(file_get_contents($src));
}
$feed->enable_cache(false);
$feed->enable_order_by_date(false);
$feed->set_timeout(30);
if (!$feed->init()) {
    fwrite(STDERR, "SimplePie: " . $feed->error() . "\n");
    exit(2);
}
function names($list) {
    $out = array();
    foreach ((array)$list as $x)
        if ($x !== null)
            $out[] = $x->get_label() !== null ? $x->get_label() : $x->get_term();
    return $out;
}
$author = function ($a) {
    return $a === null ? null : ($a->get_name() !== null ? $a->get_name() : $a->get_email());
};
$items = array();
foreach ($feed->get_items() as $item) {
    $items[] = array(
        'title' => $item->get_title(),
        'link' => $item->get_permalink(),
        'id' => $item->get_id(),
        'date' => $item->get_date('U'),
        'categories' => names($item->get_categories()),
        'description' => $item->get_description(true),
        'content' => $item->get_content(true),
        'author' => $author($item->get_author()),
    );
}
echo json_encode(array(
    'channel' => array(
        'title' => $feed->get_title(),
        'link' => $feed->get_permalink(),
        'language' => $feed->get_language(),
        'description' => $feed->get_description(),
    ),
    'items' => $items,
), JSON_UNESCAPED_SLASHES | JSON_UNESCAPED_UNICODE);
"""


def _run(cmd, timeout=TIMEOUT, **kw):
    """Run cmd as a child, stopped by its PID when it overruns timeout;
    (returncode, stdout, stderr) as text."""
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, **kw)
    try:
        out, err = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        os.kill(proc.pid, signal.SIGKILL)
        out, err = proc.communicate()
        raise AssertionError("%s overran %ss:\n%s" % (cmd[0], timeout, err[-2000:]))
    return proc.returncode, out, err


def _loopback_env():
    env = dict(os.environ)
    for k in ("http_proxy", "HTTP_PROXY", "https_proxy", "HTTPS_PROXY", "all_proxy", "ALL_PROXY"):
        env.pop(k, None)
    env["no_proxy"] = env["NO_PROXY"] = "127.0.0.1,localhost"
    return env


def _download(pkg, into):
    """apt-get download pkg (name or name=version) and extract it into into."""
    with tempfile.TemporaryDirectory(dir=CACHE) as d:
        os.chmod(d, 0o755)
        rc, out, err = _run(["apt-get", "download", pkg], timeout=300, cwd=d)
        debs = glob.glob(os.path.join(d, "*.deb"))
        if rc != 0 or not debs:
            raise AssertionError("apt-get download %s failed (%s):\n%s%s" % (pkg, rc, out, err))
        tmp = into + ".part"
        shutil.rmtree(tmp, ignore_errors=True)
        rc, out, err = _run(["dpkg-deb", "-x", debs[0], tmp], timeout=300)
        if rc != 0:
            raise AssertionError("dpkg-deb -x %s failed:\n%s" % (debs[0], err))
        os.rename(tmp, into)


def _php_version():
    rc, out, err = _run(["php", "-r", "echo PHP_MAJOR_VERSION, '.', PHP_MINOR_VERSION;"])
    assert rc == 0, err
    return out.strip()


def _php_has_xml():
    """Are PHP's xml and dom extensions loaded already (Debian's php-xml,
    which make test installs)?"""
    rc, out, _ = _run(["php", "-m"])
    mods = {m.strip().lower() for m in out.splitlines()}
    return rc == 0 and "xml" in mods and "dom" in mods


def _simplepie_tree():
    """(wordpress root, php xml extension folder or None when PHP has
    them already), fetched once into CACHE."""
    os.makedirs(CACHE, exist_ok=True)
    wp = os.path.join(CACHE, "wordpress")
    phpv = _php_version()
    xml = os.path.join(CACHE, "php%s-xml" % phpv)
    has_xml = _php_has_xml()
    with open(os.path.join(CACHE, ".lock"), "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        if not os.path.isdir(wp):
            _download("wordpress", wp)
        if not has_xml and not os.path.isdir(xml):
            rc, version, err = _run(["dpkg-query", "-W", "-f=${Version}", "php%s-cli" % phpv])
            assert rc == 0, err
            _download("php%s-xml=%s" % (phpv, version), xml)
        script = os.path.join(CACHE, "simplepie.php")
        with open(script, "w", encoding="utf-8") as f:
            f.write(SIMPLEPIE_PHP)
    root = os.path.join(wp, "usr", "share", "wordpress")
    assert os.path.isfile(os.path.join(root, "wp-includes", "class-simplepie.php")), root
    if has_xml:
        return root, None, script
    exts = glob.glob(os.path.join(xml, "usr", "lib", "php", "*", "xml.so"))
    assert exts, xml
    return root, os.path.dirname(exts[0]), script


def simplepie_version():
    root, _, _ = _simplepie_tree()
    with open(os.path.join(root, "wp-includes", "class-simplepie.php"), encoding="utf-8") as f:
        for line in f:
            if "SIMPLEPIE_VERSION" in line and "define" in line:
                return line.split("'")[3]
    return None


def simplepie(src):
    """SimplePie's reading of the feed at src (a URL, or a file's path):
    {"channel": {...}, "items": [{title, link, id, date, categories,
    description, content, author}]}."""
    root, extdir, script = _simplepie_tree()
    cmd = ["php"]
    if extdir is not None:
        cmd += ["-d", "extension=" + os.path.join(extdir, "xml.so"),
                "-d", "extension=" + os.path.join(extdir, "dom.so")]
    cmd += ["-d", "memory_limit=256M", script, root, src]
    rc, out, err = _run(cmd, env=_loopback_env())
    if rc != 0:
        raise AssertionError("SimplePie could not read %s (%s):\n%s%s" % (src, rc, err, out[:2000]))
    return json.loads(out)


def newsboat(url):
    """newsboat's reading of the feed at url (`newsboat -x reload` into a
    fresh cache): its items, rows of rss_item as dicts (url as link)."""
    with tempfile.TemporaryDirectory(prefix="neptun-newsboat-") as d:
        urls = os.path.join(d, "urls")
        cache = os.path.join(d, "cache.db")
        config = os.path.join(d, "config")
        with open(urls, "w", encoding="utf-8") as f:
            f.write(url + "\n")
        with open(config, "w", encoding="utf-8") as f:
            f.write("reload-threads 1\ndownload-retries 1\ndownload-timeout 30\n"
                    "max-items 0\nshow-read-feeds yes\n")
        env = _loopback_env()
        env["HOME"] = d
        env.pop("XDG_CONFIG_HOME", None)
        env.pop("XDG_DATA_HOME", None)
        rc, out, err = _run(["newsboat", "-u", urls, "-c", cache, "-C", config, "-x", "reload"],
                            env=env, cwd=d)
        if rc != 0:
            raise AssertionError("newsboat failed on %s (%s):\n%s%s" % (url, rc, out, err))
        db = sqlite3.connect(cache)
        try:
            db.row_factory = sqlite3.Row
            feeds = db.execute("SELECT rssurl, title, lastmodified FROM rss_feed").fetchall()
            assert feeds and feeds[0]["title"], ("newsboat read no feed", url, out, err)
            rows = db.execute("SELECT guid, title, author, url, pubDate, content, feedurl "
                              "FROM rss_item WHERE feedurl = ? ORDER BY id", (url,)).fetchall()
        finally:
            db.close()
    return [{"title": r["title"], "link": r["url"], "id": r["guid"], "date": r["pubDate"],
             "author": r["author"], "description": r["content"], "categories": []}
            for r in rows]


def feedparser(url):
    """feedparser's reading of the feed at url (Debian's python3-feedparser):
    {"channel": {...}, "items": [...], "bozo": exception or None}."""
    import feedparser as fp
    opener = urllib.request.build_opener(urllib.request.ProxyHandler({}))
    with opener.open(url, timeout=TIMEOUT) as r:
        body = r.read()
    d = fp.parse(body)
    items = []
    for e in d.entries:
        items.append({"title": e.get("title"), "link": e.get("link"), "id": e.get("id"),
                      "date": e.get("published_parsed") or e.get("updated_parsed"),
                      "author": e.get("author"),
                      "categories": [t.get("label") or t.get("term") for t in e.get("tags", [])],
                      "description": e.get("summary"),
                      "links": e.get("links", [])})
    return {"channel": {"title": d.feed.get("title"), "link": d.feed.get("link"),
                        "language": d.feed.get("language")},
            "items": items, "bozo": d.bozo_exception if d.bozo else None}
