-- wrk script: every request asks for a URL the answer cache has never
-- seen, by a query parameter the handlers ignore but the cache keys on
-- (the whole URI is the key).  args[1] makes the URLs unique per run.
local prefix
local n = 0

function init(args)
  prefix = args[1] or tostring(os.time())
end

function request()
  n = n + 1
  return wrk.format(nil, wrk.path .. "?nocache=" .. prefix .. "-" .. n)
end
