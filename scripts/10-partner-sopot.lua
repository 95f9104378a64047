-- 10-partner-sopot.lua: what the partner portal of Sopot sees.
--
-- Sopot's portal sends its key in the X-Partner-Key header.  neptun matches
-- the key to the partner "sopot" of the configuration and tells the rules
-- only the partner's name: req.partner in on_request, ctx.partner in
-- on_item and on_feed (nil for everyone else).  The key never reaches Lua.
--
-- Sopot is shown published events and campaigns only (no forums, no
-- drafts), and every title starts with "[Sopot] ".  Because its answers
-- differ from everyone else's for the same URL, on_request names a cache
-- variant: neptun caches (URL, language, variant) separately, so partner
-- answers never leak to other readers and the other way round.

local PARTNER = "sopot"
local PREFIX = "[Sopot] "
local SHOWN_TYPES = { events = true, campaigns = true }

-- on_request runs first, before any cache look-up.  Returning nothing lets
-- the request go on; only the variant is set.
function on_request(req)
  if req.partner == PARTNER then
    req.variant = PARTNER
  end
end

local function shown_to_partner(item)
  return item.status == "published" and SHOWN_TYPES[item.type] == true
end

-- on_item runs for every item of a list, feed, search or single answer.
-- Returning false leaves the item out; changes to title, summary, tags and
-- links affect this answer only (the store is never changed).
function on_item(item, ctx)
  if ctx.partner ~= PARTNER then
    return
  end
  if not shown_to_partner(item) then
    return false
  end
  if item.title:sub(1, #PREFIX) ~= PREFIX then
    item.title = PREFIX .. item.title
  end
end

-- Tests: `neptun check-scripts` runs every global test_* function.

local function sample_item(fields)
  local item = { type = "events", slug = "x", status = "published", lang = "pl",
                 title = "Miasta Integrujące", tags = {}, links = {} }
  for k, v in pairs(fields or {}) do item[k] = v end
  return item
end

function test_partner_gets_variant()
  local req = { partner = "sopot", path = "/pl/events" }
  assert(on_request(req) == nil, "the request must go on")
  assert(req.variant == "sopot", "partner answers need their own cache variant")
end

function test_public_request_untouched()
  local req = { path = "/pl/events" }
  on_request(req)
  assert(req.variant == nil)
end

function test_title_prefixed_once()
  local item = sample_item()
  assert(on_item(item, { partner = "sopot", lang = "pl" }) ~= false)
  assert(item.title == "[Sopot] Miasta Integrujące", item.title)
  on_item(item, { partner = "sopot", lang = "pl" })
  assert(item.title == "[Sopot] Miasta Integrujące", "prefix added twice")
end

function test_forums_and_drafts_dropped()
  local ctx = { partner = "sopot", lang = "pl" }
  assert(on_item(sample_item({ type = "forums" }), ctx) == false)
  assert(on_item(sample_item({ status = "draft" }), ctx) == false)
  assert(on_item(sample_item({ type = "campaigns", status = "archived" }), ctx) == false)
  assert(on_item(sample_item({ type = "campaigns" }), ctx) ~= false)
end

function test_others_see_everything()
  local item = sample_item({ type = "forums" })
  assert(on_item(item, { lang = "pl" }) == nil)
  assert(item.title == "Miasta Integrujące")
end
