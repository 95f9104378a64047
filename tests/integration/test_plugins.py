"""The plugin host: a plugin of another ABI major, one whose init fails,
one without a descriptor and one loaded twice are each refused with a
clear message, and the server serves the rest."""
import os
import xml.etree.ElementTree as ET

import harness

NS = "{urn:neptun:1}"
PLUGINS = os.path.join(harness.BUILD, "test-plugins")


def test_bad_plugins_are_refused_and_the_rest_serve():
    extra = "\n".join([
        "plugin " + os.path.join(PLUGINS, "wrong_abi.so"),
        "plugin " + os.path.join(PLUGINS, "init_fails.so"),
        "plugin " + os.path.join(PLUGINS, "no_descriptor.so"),
        "plugin events",  # already loaded above: refused the second time
    ])
    with harness.Server(conf_extra=extra) as s:
        log = s.log()
        assert "wrong_abi" in log and "ABI 2." in log and "refused" in log, log
        assert "init_fails" in log and "init failed" in log, log
        assert "no_descriptor" in log and "descriptor" in log, log
        assert "already loaded" in log, log
        r = s.get("/en/events")
        assert r.status == 200, r
        r = s.get("/")
        types = {t.get("name") for t in ET.fromstring(r.body).iter(NS + "type")}
        assert types >= {"events", "campaigns", "forums"}, types
        # Whatever the failing plugin registered before failing is gone.
        for name in types:
            assert name in ("events", "campaigns", "forums", "projects"), types


if __name__ == "__main__":
    harness.main(globals())
