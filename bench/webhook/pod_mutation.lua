-- wrk script: pod mutation (POST /mutate--v1-pod) over TLS keep-alive.
-- The body is the real AdmissionReview the API server sent for a Job controller pod; its path comes
-- from PHALANX_POD_REVIEW. Prints p50/p90/p99/p99.9 server round-trip latency and requests/s.
local path = os.getenv("PHALANX_POD_REVIEW")
assert(path, "set PHALANX_POD_REVIEW to an AdmissionReview JSON file")
local f = assert(io.open(path, "rb"))
local body = f:read("*a")
f:close()

wrk.method = "POST"
wrk.path = "/mutate--v1-pod?timeout=10s"
wrk.body = body
wrk.headers["Content-Type"] = "application/json"
wrk.headers["Accept"] = "application/json, */*"
-- As the API server sends it (see the captured request headers).
wrk.headers["Accept-Encoding"] = "gzip"
wrk.headers["User-Agent"] = "kube-apiserver-admission"

function done(summary, latency, requests)
  local secs = summary.duration / 1e6
  local bad = summary.errors.status + summary.errors.connect + summary.errors.read +
              summary.errors.write + summary.errors.timeout
  io.write(string.format("requests %d in %.1f s: %.0f req/s, errors %d (non-2xx %d)\n",
                         summary.requests, secs, summary.requests / secs, bad, summary.errors.status))
  io.write(string.format("latency us: p50 %.0f  p90 %.0f  p99 %.0f  p99.9 %.0f  max %.0f\n",
                         latency:percentile(50), latency:percentile(90), latency:percentile(99),
                         latency:percentile(99.9), latency.max))
end
