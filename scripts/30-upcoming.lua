-- 30-upcoming.lua: a new endpoint written in Lua.
--
--   GET /{lang}/upcoming.rss   events starting in the next 60 days, RSS 2.0
--
-- neptun.route(method, pattern, fn) may be called only while the script
-- loads.  {name} in a pattern captures one path segment ({lang} only a
-- configured language) into the params table.  The function returns a body
-- string (200, application/xml) or {status=, headers=, body=}.
--
-- Lua has no XML writer, and XML must never be built by pasting strings:
-- neptun.xml_rss(channel, items) writes the document with libxml2, which
-- escapes every value.

local DAYS = 60
local DAY = 24 * 60 * 60

-- Events (as neptun.items returns them) starting within DAYS of now,
-- earliest first.
local function starting_soon(items, now)
  local soon = {}
  for _, item in ipairs(items) do
    if item.starts_at >= now and item.starts_at < now + DAYS * DAY then
      soon[#soon + 1] = item
    end
  end
  table.sort(soon, function(a, b) return a.starts_at < b.starts_at end)
  return soon
end

local function rss_item(item)
  return {
    title = item.title,
    link = item.url,
    description = item.summary,
    pubDate = item.updated,
    categories = item.tags,
  }
end

local function upcoming_feed(req, params)
  local lang = params.lang
  local now = req.now or os.time()
  local base = neptun.config.base_url
  local events = neptun.items{ type = "events", lang = lang, upcoming = true, limit = 100 }
  local items = {}
  for _, item in ipairs(starting_soon(events, now)) do
    items[#items + 1] = rss_item(item)
  end
  local body = neptun.xml_rss({
    title = neptun.t("type.events", lang),
    link = base .. "/" .. lang .. "/events",
    description = neptun.t("feed.description", lang),
    language = lang,
    self = base .. "/" .. lang .. "/upcoming.rss",
    lastBuildDate = now,
    ttl = 60,
  }, items)
  return {
    status = 200,
    headers = { ["Content-Type"] = "application/rss+xml; charset=utf-8" },
    body = body,
  }
end

neptun.route("GET", "/{lang}/upcoming.rss", upcoming_feed)

-- Tests

function test_window_and_order()
  local now = 1500000000
  local items = {
    { slug = "later", starts_at = now + 10 * DAY },
    { slug = "past", starts_at = now - DAY },
    { slug = "soon", starts_at = now + DAY },
    { slug = "too-far", starts_at = now + 61 * DAY },
  }
  local soon = starting_soon(items, now)
  assert(#soon == 2, "expected 2 events, got " .. #soon)
  assert(soon[1].slug == "soon" and soon[2].slug == "later")
end

function test_feed_is_rss()
  local answer = upcoming_feed({ now = 1500000000 }, { lang = "en" })
  assert(answer.status == 200)
  assert(answer.headers["Content-Type"]:find("application/rss+xml", 1, true))
  assert(answer.body:find('<rss version="2.0"', 1, true), answer.body)
  assert(answer.body:find("<language>en</language>", 1, true))
end

function test_values_are_escaped()
  local body = neptun.xml_rss({ title = "A & B <C>", link = "http://x/", description = "d" },
                              { { title = "\"quoted\" & more", link = "http://x/1",
                                  pubDate = 1500000000 } })
  assert(body:find("A &amp; B &lt;C&gt;", 1, true), body)
  assert(body:find("<pubDate>Fri, 14 Jul 2017 02:40:00 GMT</pubDate>", 1, true), body)
end
