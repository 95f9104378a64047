-- __index makes every value afresh and makes garbage between reads
local function churn() for i = 1, 8 do local _ = string.rep('g', 1 << 16) .. i end end
local function fresh(prefix)
  return setmetatable({}, {__index = function(t, k)
    churn()
    if k == 'lastBuildDate' or k == 'pubDate' or k == 'categories' or k == 'limit'
       or k == 'upcoming' then return nil end
    return prefix .. k .. string.rep('-', 60)
  end})
end
function run()
  neptun.xml_rss(fresh('c-'), {fresh('i-')})
  neptun.items(fresh('q-'))
end
