-- wrk script: POSTs a different stat sheet on every request (so each one is a real insert, not a
-- duplicate). Each wrk thread numbers its own sheets; the run tag keeps runs apart.
local threads = {}

function setup(thread)
  thread:set("thread_id", #threads)
  table.insert(threads, thread)
end

function init(args)
  run_tag = args[1] or "run"
  counter = 0
end

request = function()
  counter = counter + 1
  local body = string.format(
    '{"match_id":"%s_%d_%d","player_id":"player_1","timestamp":"2025-10-23T10:30:00Z",' ..
    '"looted_items":{"rubber_duck":3,"medkit":1,"ammo_box":2,"grenade":0,"gold_coin":4},' ..
    '"locations":{"rubber_duck":[25.5,75.2],"medkit":[10.0,50.0],"ammo_box":[60.1,3.4],"gold_coin":[88.8,41.0]},' ..
    '"match_duration":1250,"player_level":23}',
    run_tag, thread_id, counter)
  return wrk.format("POST", "/api/submit", { ["Content-Type"] = "application/json" }, body)
end
