-- The cheapest on_request there is: look at the request, let it go on.
function on_request(req)
  if req.partner ~= nil then
    req.variant = req.partner
  end
end
