-- wrk script for bench/need_rate.py: every request enters a new need (a welder in Ed, 1438).
-- The bearer token comes from the NEED_TOKEN environment variable.
local counter = 0
local token

init = function(args)
  token = os.getenv("NEED_TOKEN")
end

request = function()
  counter = counter + 1
  local body = '{"municipality":"1438","title":"Behov ' .. counter ..
    '","purpose":"recruitment","headcount":2,"competences":[{"label":"svetsning"}]}'
  return wrk.format("POST", "/api/v1/needs",
    {["Content-Type"] = "application/json", ["Authorization"] = "Bearer " .. token}, body)
end
