-- 40-projects-phase.lua: tag each project with where it stands today.
--
-- The projects plugin gives Lua one function, neptun.projects.phase(start,
-- end, at): "planned", "running" or "finished" for the moment at within the
-- period [start, end].  Each argument is Unix seconds, an RFC 3339
-- date-time or a date; the function is deterministic, so the caller passes
-- the moment (os.time() for now).
--
-- on_item adds the phase as a tag ("phase-running"...) to projects in this
-- answer only; partner portals can then filter on it.

local function phase_tag(item, now)
  if item.type ~= "projects" or item.starts_at == 0 then
    return nil
  end
  return "phase-" .. neptun.projects.phase(item.starts_at, item.ends_at, now)
end

function on_item(item, ctx)
  local tag = phase_tag(item, os.time())
  if tag ~= nil then
    item.tags[#item.tags + 1] = tag
  end
end

-- Tests (neptun check-scripts runs them)

function test_phase_of_a_period()
  assert(neptun.projects.phase("2021-03-01", "2021-12-31", "2021-02-28") == "planned")
  assert(neptun.projects.phase("2021-03-01", "2021-12-31", "2021-12-31T20:00:00+01:00") == "running")
  assert(neptun.projects.phase("2021-03-01", "2021-12-31", "2022-01-01") == "finished")
end

function test_phase_tag()
  local item = { type = "projects", starts_at = 1614553200, ends_at = 1640991599, tags = {} }
  assert(phase_tag(item, 1620000000) == "phase-running")
  assert(phase_tag({ type = "events", starts_at = 1, ends_at = 2 }, 0) == nil)
end
