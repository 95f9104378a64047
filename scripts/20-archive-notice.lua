-- 20-archive-notice.lua: archived forums say so in feeds.
--
-- The numbered "Forum Integracji i Migracji" meetings are kept as an
-- archive.  In RSS and Atom feeds a reader sees only the summary, so this
-- rule puts the archive notice (the catalog key "archive.notice", in the
-- feed's language) in front of the summary of every archived forum.
--
-- neptun.t(key, lang) returns the translated text from locales/*.po, with
-- the configured fallback chain; ctx.path tells which answer is being made.

local NOTICE_KEY = "archive.notice"

local function is_feed(path)
  return path ~= nil and (path:sub(-4) == ".rss" or path:sub(-5) == ".atom")
end

local function with_notice(notice, summary)
  if summary == nil or summary == "" then
    return notice
  end
  if summary:sub(1, #notice) == notice then
    return summary -- already there
  end
  return notice .. "\n\n" .. summary
end

function on_item(item, ctx)
  if item.type == "forums" and item.status == "archived" and is_feed(ctx.path) then
    item.summary = with_notice(neptun.t(NOTICE_KEY, ctx.lang), item.summary)
  end
end

-- Tests

local function archived_forum()
  return { type = "forums", status = "archived", lang = "en", title = "VIII Forum",
           summary = "Meeting of 2019.", tags = {}, links = {} }
end

function test_notice_in_feeds()
  local item = archived_forum()
  on_item(item, { lang = "en", path = "/en/forums.rss" })
  local notice = neptun.t(NOTICE_KEY, "en")
  assert(item.summary == notice .. "\n\nMeeting of 2019.", item.summary)
end

function test_not_in_xml_answers()
  local item = archived_forum()
  on_item(item, { lang = "en", path = "/en/forums" })
  assert(item.summary == "Meeting of 2019.")
end

function test_only_archived_forums()
  local item = archived_forum()
  item.status = "published"
  on_item(item, { lang = "en", path = "/en/feed.atom" })
  assert(item.summary == "Meeting of 2019.")
end

function test_empty_summary_gets_notice()
  local item = archived_forum()
  item.summary = nil
  on_item(item, { lang = "pl", path = "/pl/forums.atom" })
  assert(item.summary == neptun.t(NOTICE_KEY, "pl"))
end
