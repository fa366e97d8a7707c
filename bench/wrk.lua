-- wrk script of the harness: requests cycle through the paths in the file named by the PATHS
-- environment variable (one per line, already URL-encoded), with the headers of HEADER (one
-- "Name: value"); at the end one JSON line of throughput and latency percentiles (milliseconds).
local paths = {}
local counter = 0
local threads = {}

function setup(thread)
  table.insert(threads, thread)
end

function init(args)
  local file = io.open(os.getenv("PATHS"), "r")
  for line in file:lines() do
    if #line > 0 then table.insert(paths, line) end
  end
  file:close()
  local header = os.getenv("HEADER")
  if header and #header > 0 then
    local name, value = header:match("^([^:]+):%s*(.*)$")
    wrk.headers[name] = value
  end
  counter = math.random(#paths) - 1
end

function request()
  counter = counter % #paths + 1
  return wrk.format("GET", paths[counter])
end

function done(summary, latency, requests)
  local seconds = summary.duration / 1e6
  io.write(string.format(
    'WRKJSON {"requests": %d, "seconds": %.3f, "rps": %.2f, "p50_ms": %.3f, "p95_ms": %.3f, ' ..
    '"p99_ms": %.3f, "max_ms": %.3f, "errors": %d, "non_2xx": %d}\n',
    summary.requests, seconds, summary.requests / seconds,
    latency:percentile(50) / 1000, latency:percentile(95) / 1000, latency:percentile(99) / 1000,
    latency.max / 1000,
    summary.errors.connect + summary.errors.read + summary.errors.write + summary.errors.timeout,
    summary.errors.status))
end
