-- wrk script for bench/scale.sh: a mixed read load over a store of
-- synthetic items.  Most requests repeat (cache hits, as on a real portal);
-- UNCACHED_PERCENT of them carry a unique parameter and are rendered anew.
local types = { "events", "campaigns", "forums" }
local langs = { "pl", "en", "de" }
local tags = { "integration", "migration", "conference", "culture", "housing", "refugees",
               "youth", "ngo", "pomerania", "history", "sport", "press" }
local terms = { "lodz", "gdansk", "integracja", "hamtramck", "konferencja", "Kowalski",
                "tozsamosc", "Stra%C3%9Fe", "workshop", "solidarnosc", "zaswiadczenie", "Ertbergmann", "Walnowak" }
local uncached = tonumber(os.getenv("UNCACHED_PERCENT") or "10")
local n = 0

request = function()
  n = n + 1
  local lang = langs[math.random(#langs)]
  local r = math.random(100)
  local path
  if r <= 30 then
    path = "/" .. lang .. "/" .. types[math.random(#types)] .. ".rss?page=" .. math.random(5)
  elseif r <= 45 then
    path = "/" .. lang .. "/feed.atom?page=" .. math.random(3)
  elseif r <= 65 then
    path = "/" .. lang .. "/" .. types[math.random(#types)] .. "?page=" .. math.random(50)
  elseif r <= 75 then
    path = "/" .. lang .. "/" .. types[math.random(#types)] .. "?tag=" .. tags[math.random(#tags)]
  elseif r <= 85 then
    path = "/" .. lang .. "/search?q=" .. terms[math.random(#terms)]
  elseif r <= 95 then
    path = "/" .. lang .. "/events.ics?upcoming=1"
  else
    path = "/" .. lang .. "/events.rss?tag=" .. tags[math.random(#tags)]
  end
  if math.random(100) <= uncached then
    path = path .. (path:find("?", 1, true) and "&" or "?") .. "nc=" .. n .. "-" .. math.random(1e9)
  end
  return wrk.format("GET", path)
end
