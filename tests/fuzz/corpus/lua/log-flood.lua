function run() while true do neptun.log(string.rep('l', 1 << 16)) end end
