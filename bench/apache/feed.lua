-- Apache mod_lua peer: generates a 20-item RSS 2.0 feed per request, the
-- same channel and items neptun serves (bench/feed_to_lua.py turns
-- neptun's feed into items.lua beside this file), through one per-item
-- rule like neptun's bench rule (drafts stay out).  The data is loaded
-- once per Lua state; only the rule and the rendering run per request,
-- which is less work than neptun does on a miss (no database query).

local here = debug.getinfo(1, "S").source:match("^@(.*/)") or "./"
local data

local ESCAPES = { ["&"] = "&amp;", ["<"] = "&lt;", [">"] = "&gt;", ['"'] = "&quot;" }
local function esc(s)
  return (tostring(s):gsub('[&<>"]', ESCAPES))
end

local function on_item(item)
  if item.status == "draft" then
    return false
  end
end

local function element(out, indent, name, text)
  out[#out + 1] = indent .. "<" .. name .. ">" .. esc(text) .. "</" .. name .. ">\n"
end

function handle(r)
  data = data or dofile(here .. "items.lua")
  local ch = data.channel
  local out = {
    '<?xml version="1.0" encoding="UTF-8"?>\n',
    '<rss version="2.0" xmlns:atom="http://www.w3.org/2005/Atom" xmlns:dc="http://purl.org/dc/elements/1.1/">\n',
    "  <channel>\n",
  }
  for _, key in ipairs({ "title", "link", "description", "language", "lastBuildDate" }) do
    element(out, "    ", key, ch[key])
  end
  out[#out + 1] = '    <atom:link rel="self" href="' .. esc(ch.self) .. '" type="application/rss+xml"/>\n'
  for _, item in ipairs(data.items) do
    if on_item(item) ~= false then
      out[#out + 1] = "    <item>\n"
      element(out, "      ", "title", item.title)
      element(out, "      ", "link", item.link)
      element(out, "      ", "description", item.description)
      for _, c in ipairs(item.categories) do
        element(out, "      ", "category", c)
      end
      out[#out + 1] = '      <guid isPermaLink="true">' .. esc(item.guid) .. "</guid>\n"
      element(out, "      ", "pubDate", item.pubDate)
      for _, a in ipairs(item.alternates) do
        out[#out + 1] = '      <atom:link rel="alternate" href="' .. esc(a.href) ..
          '" type="application/xml" hreflang="' .. esc(a.hreflang) .. '"/>\n'
      end
      out[#out + 1] = "    </item>\n"
    end
  end
  out[#out + 1] = "  </channel>\n</rss>\n"
  r.content_type = "application/rss+xml; charset=utf-8"
  r:puts(table.concat(out))
  return apache2.OK
end
