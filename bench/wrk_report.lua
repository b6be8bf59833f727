-- Counts non-2xx per thread, then reports exact percentiles (microseconds) as one JSON line.
-- The first request of each connection waits START_DELAY ms (args: connections of the thread, the delay): the
-- connections are open and their spread over the workers checked before anything is sent, so a run stopped for
-- an uneven spread leaves no requests behind it for the next one to wait for.
local threads = {}
local held = 0
local hold_ms = 0
function setup(thread)
  table.insert(threads, thread)
end
function init(args)
  non2xx = 0
  held = tonumber(args[1]) or 0
  hold_ms = tonumber(args[2]) or 0
end
function delay()
  if held > 0 then
    held = held - 1
    return hold_ms
  end
  return 0
end
function response(status, headers, body)
  if status < 200 or status > 299 then
    non2xx = non2xx + 1
  end
end
function done(summary, latency, requests)
  local non2xx_total = 0
  for _, thread in ipairs(threads) do
    non2xx_total = non2xx_total + thread:get("non2xx")
  end
  local e = summary.errors
  io.write(string.format(
    'BENCH_JSON {"requests": %d, "duration_us": %d, "non2xx": %d, "errors": %d, "timeouts": %d, '
      .. '"p50_us": %d, "p95_us": %d, "p99_us": %d}\n',
    summary.requests, summary.duration, non2xx_total, e.connect + e.read + e.write, e.timeout,
    latency:percentile(50), latency:percentile(95), latency:percentile(99)))
end
