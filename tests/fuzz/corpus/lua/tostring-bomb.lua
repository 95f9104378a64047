error(setmetatable({}, {__tostring = function()
  local t = {} for i = 1, 64 do t[i] = string.rep('y', 1 << 20) end return 'x'
end}))
