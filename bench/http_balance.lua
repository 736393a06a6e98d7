-- wrk script for bench/http: GET /v1/members/{id}/balance, a member drawn at random for every
-- request among m00001..mNNNNN (the ids bench/http enrols).
--
--   wrk ... -s bench/http_balance.lua URL -- KEY MEMBERS
--   wrk ... -s bench/http_balance.lua URL            (no arguments: GET the URL's own path, as
--                                                     for the static nginx ceiling)
--
-- Requests are built once per thread in init() (one per member) so that request() costs a table
-- lookup: the client shares the machine's cores with the server and must stay cheap.
-- done() prints one machine-readable "bench:" line, which bench/http parses; non2xx is wrk's count
-- of statuses above 399 (no 1xx or 3xx answer is expected here).

local requests = {}

function setup(thread)
    thread:set("seed", math.random(1, 2 ^ 30))
end

function init(args)
    math.randomseed(seed)
    local key, members = args[1], tonumber(args[2])
    if key == nil then
        requests[1] = wrk.format()
        return
    end
    local headers = {}
    for name, value in pairs(wrk.headers) do
        headers[name] = value
    end
    headers["Authorization"] = "Bearer " .. key
    for i = 1, members do
        requests[i] = wrk.format("GET", string.format("/v1/members/m%05d/balance", i), headers)
    end
end

function request()
    return requests[math.random(#requests)]
end

function done(summary, latency, _)
    local e = summary.errors
    io.write(string.format(
        "bench: requests=%d duration_us=%d p50_us=%d p99_us=%d non2xx=%d socket_errors=%d\n",
        summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
        e.status, e.connect + e.read + e.write + e.timeout))
end
