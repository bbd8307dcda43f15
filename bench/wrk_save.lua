-- Answer saves as the questionnaire sends them (htmx POST of one requirement's form), one requirement per wrk
-- thread and one connection per thread, so each thread is the only writer of its answer: it sends the version it
-- last read back from the server's response (optimistic locking), and a 409 would mean a real conflict.
-- Arguments: the answer URL prefix (/a/<id>/answer/), Cookie header, CSRF token, "3.1.1=5,3.1.2=3,..." (versions).

local threads = {}

function setup(thread)
  thread:set("tid", #threads + 1)
  table.insert(threads, thread)
end

function init(args)
  counts = {}
  n = 0
  prefix = args[1]
  wrk.headers["Cookie"] = args[2]
  wrk.headers["X-CSRFToken"] = args[3]
  wrk.headers["HX-Request"] = "true"
  wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
  local i = 0
  for nist, v in string.gmatch(args[4], "([%d%.]+)=(%d+)") do
    i = i + 1
    if i == tid then nist_id = nist; version = tonumber(v) end
  end
  field = "r" .. (nist_id:gsub("%.", "-"))
  pattern = 'name="' .. (field:gsub("%-", "%%-")) .. '%-version"[^>]-value="(%d+)"'
end

function request()
  n = n + 1
  local form = field .. "-status=met&" .. field .. "-note=bench+note+" .. n .. "&" .. field .. "-version=" .. version
  return wrk.format("POST", prefix .. nist_id .. "/", nil, form)
end

function response(status, headers, body)
  counts[status] = (counts[status] or 0) + 1
  local v = body:match(pattern)
  if v then version = tonumber(v) end
end

function done(summary, latency, requests)
  local merged = {}
  for _, thread in ipairs(threads) do
    for status, count in pairs(thread:get("counts")) do merged[status] = (merged[status] or 0) + count end
  end
  local parts = {}
  for status, count in pairs(merged) do table.insert(parts, string.format('"%d":%d', status, count)) end
  local e = summary.errors
  io.write(string.format(
    'BENCH {"requests":%d,"duration_us":%d,"p50_us":%d,"p99_us":%d,"max_us":%d,' ..
    '"errors":{"connect":%d,"read":%d,"write":%d,"timeout":%d},"statuses":{%s}}\n',
    summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), latency.max,
    e.connect, e.read, e.write, e.timeout, table.concat(parts, ",")))
end
