-- wrk script: POST the benchmark's request mix in turn, with the agent key.
-- Arguments after "--": the file with one JSON body per line, and the key.
local bodies = {}
local n = 0

function init(args)
  for line in io.lines(args[1]) do
    bodies[#bodies + 1] = line
  end
  wrk.method = "POST"
  wrk.headers["Content-Type"] = "application/json"
  wrk.headers["Authorization"] = "Bearer " .. args[2]
end

function request()
  n = n % #bodies + 1
  return wrk.format(nil, nil, nil, bodies[n])
end
