-- One on_item rule, the shape of a partner filter: drafts stay out.
function on_item(item, ctx)
  if item.status == "draft" then
    return false
  end
end
