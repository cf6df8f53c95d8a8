-- bench/load/common.lua — shared by the wrk scripts: a POST of the file named by $BODY_FILE to $LOAD_PATH,
-- and one summary line at the end (parsed by bench/load/run.sh):
--   requests=N errors=N (socket errors + non-2xx) rps=R p50_us= p90_us= p99_us= p999_us= max_us=
local f = assert(io.open(assert(os.getenv("BODY_FILE"), "BODY_FILE not set"), "rb"))
wrk.method = "POST"
wrk.path = assert(os.getenv("LOAD_PATH"), "LOAD_PATH not set")
wrk.body = f:read("*a")
f:close()
wrk.headers["Content-Type"] = "application/json"

function done(summary, latency, requests)
  local e = summary.errors
  local errors = e.connect + e.read + e.write + e.timeout + e.status
  io.write(string.format(
    "requests=%d errors=%d status_errors=%d rps=%.0f p50_us=%d p90_us=%d p99_us=%d p999_us=%d max_us=%d\n",
    summary.requests, errors, e.status, summary.requests / (summary.duration / 1e6),
    latency:percentile(50), latency:percentile(90), latency:percentile(99), latency:percentile(99.9), latency.max))
end
