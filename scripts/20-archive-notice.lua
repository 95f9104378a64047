-- 20-archive-notice.lua: the archive notice once, never twice.
--
-- The numbered "Forum Integracji i Migracji" meetings are kept as an
-- archive.  The core writes the archive notice (the catalog key
-- "archive.notice", in the answer's language) with every archived item in
-- every format: in front of the human block and of the Atom summary in
-- feeds, as <archive-notice> in the XML API.  Editors used to paste it into
-- the summary by hand; this rule takes such a pasted notice off the front
-- of an archived item's summary, so readers see the notice once.
--
-- neptun.t(key, lang) returns the translated text from locales/*.po, with
-- the configured fallback chain.

local NOTICE_KEY = "archive.notice"

local function trim_front(s)
  return (s:gsub("^%s+", ""))
end

function on_item(item, ctx)
  if item.status ~= "archived" or item.summary == nil then
    return
  end
  local notice = neptun.t(NOTICE_KEY, ctx.lang)
  if notice ~= nil and notice ~= "" and item.summary:sub(1, #notice) == notice then
    item.summary = trim_front(item.summary:sub(#notice + 1))
  end
end

-- Tests

local function archived_forum()
  return { type = "forums", status = "archived", lang = "en", title = "VIII Forum",
           summary = "Meeting of 2019.", tags = {}, links = {} }
end

function test_no_notice_added()
  -- the core writes it: a rule adding it would make two
  for _, path in ipairs({ "/en/forums.rss", "/en/forums.atom", "/en/forums" }) do
    local item = archived_forum()
    on_item(item, { lang = "en", path = path })
    assert(item.summary == "Meeting of 2019.", item.summary)
  end
end

function test_pasted_notice_taken_off()
  local item = archived_forum()
  item.summary = neptun.t(NOTICE_KEY, "en") .. "\n\nMeeting of 2019."
  on_item(item, { lang = "en", path = "/en/feed.atom" })
  assert(item.summary == "Meeting of 2019.", item.summary)
end

function test_published_items_kept()
  local item = archived_forum()
  item.status = "published"
  item.summary = neptun.t(NOTICE_KEY, "pl") .. " Meeting of 2019."
  on_item(item, { lang = "pl", path = "/pl/forums.atom" })
  assert(item.summary == neptun.t(NOTICE_KEY, "pl") .. " Meeting of 2019.")
end

function test_empty_summary_left()
  local item = archived_forum()
  item.summary = nil
  on_item(item, { lang = "pl", path = "/pl/forums.atom" })
  assert(item.summary == nil)
end
