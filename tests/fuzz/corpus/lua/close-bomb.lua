-- <close> handlers run while an error is reported: the cap must hold
local t = {}
local c <close> = setmetatable({}, {__close = function()
  for i = 1, 64 do t[i] = string.rep('x', 1 << 20) end
end})
error('boom')
