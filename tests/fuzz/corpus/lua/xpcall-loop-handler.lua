-- a message handler that loops: the budget must hold inside it
xpcall(function() while true do end end, function() while true do end end)
