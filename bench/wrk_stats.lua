-- wrk script for bench/load_bench.py: an optional form POST taken from the environment
-- (WRK_BODY, WRK_COOKIE), and one machine-readable line of statistics when the run is done:
-- STATS requests duration_us p50_us p95_us p99_us connect_errors read write status timeout
local body = os.getenv("WRK_BODY")
if body then
  wrk.method = "POST"
  wrk.body = body
  wrk.headers["Content-Type"] = "application/x-www-form-urlencoded"
  wrk.headers["Cookie"] = os.getenv("WRK_COOKIE")
end

done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("STATS %d %d %d %d %d %d %d %d %d %d\n", summary.requests,
    summary.duration, latency:percentile(50), latency:percentile(95), latency:percentile(99),
    e.connect, e.read, e.write, e.status, e.timeout))
end
