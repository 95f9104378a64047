#!/usr/bin/env python3
"""Turn one of neptun's RSS feeds into a Lua table of its channel and items,
so the Apache mod_lua peer can generate the same feed per request.

usage: feed_to_lua.py FEED.rss OUT.lua
"""
import sys
import xml.etree.ElementTree as ET

ATOM = "{http://www.w3.org/2005/Atom}"


def lua_str(s):
    # A long bracket string with a level that does not occur in s.
    level = 0
    while "]" + "=" * level + "]" in (s or ""):
        level += 1
    eq = "=" * level
    return "[%s[\n%s]%s]" % (eq, s or "", eq)


def main():
    root = ET.parse(sys.argv[1]).getroot()
    ch = root.find("channel")
    out = ["return {\n  channel = {\n"]
    for key in ("title", "link", "description", "language", "lastBuildDate"):
        out.append("    %s = %s,\n" % (key, lua_str(ch.findtext(key))))
    self_link = ch.find(ATOM + "link[@rel='self']")
    out.append("    self = %s,\n  },\n  items = {\n" % lua_str(self_link.get("href")))
    for it in ch.findall("item"):
        out.append("    {\n      status = \"published\",\n")
        for key in ("title", "link", "description", "guid", "pubDate"):
            out.append("      %s = %s,\n" % (key, lua_str(it.findtext(key))))
        cats = ", ".join(lua_str(c.text) for c in it.findall("category"))
        out.append("      categories = { %s },\n" % cats)
        alts = ", ".join("{ href = %s, hreflang = %s }" % (lua_str(a.get("href")), lua_str(a.get("hreflang")))
                         for a in it.findall(ATOM + "link[@rel='alternate']"))
        out.append("      alternates = { %s },\n    },\n" % alts)
    out.append("  },\n}\n")
    with open(sys.argv[2], "w", encoding="utf-8") as f:
        f.write("".join(out))


if __name__ == "__main__":
    main()
