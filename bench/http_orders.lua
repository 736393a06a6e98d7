-- wrk script for bench/http: POST /v1/events, one order per request.
--
--   wrk ... -s bench/http_orders.lua URL -- KEY MEMBERS RUN
--
-- Every request is a new order: Idempotency-Key and order_id are RUN-THREAD-COUNTER (RUN tells
-- the warm-up from the measured run apart), the customer is a member drawn at random among
-- m00001..mMEMBERS, with 1 to 3 lines of 1 to 3 units from a cafe menu.
--
-- response() counts answers by status class, so that bench/http can hold the number of orders in
-- the database against the number of 2xx answers. wrk drops the requests still in flight when
-- the duration ends; the server may have committed them, so done() also reports how many
-- requests were sent but not answered (issued - answered), the allowed surplus in the database.

local MENU = {
    {sku = "ESPRESSO", category = "coffee", price = 250},
    {sku = "LATTE", category = "coffee", price = 380},
    {sku = "CROISSANT", category = "pastry", price = 180},
    {sku = "BEANS-250G", category = "beans", price = 1290},
    {sku = "COOKIE", category = "pastry", price = 220},
}

local next_thread = 0
local threads = {}

function setup(thread)
    next_thread = next_thread + 1
    thread:set("thread_id", next_thread)
    thread:set("seed", math.random(1, 2 ^ 30))
    threads[next_thread] = thread
end

local key, members, run
local headers = {}
local counter = 0
issued, ok, failed = 0, 0, 0

function init(args)
    key, members, run = args[1], tonumber(args[2]), args[3]
    assert(key and members and run, "usage: -- KEY MEMBERS RUN")
    math.randomseed(seed)
    for name, value in pairs(wrk.headers) do
        headers[name] = value
    end
    headers["Authorization"] = "Bearer " .. key
    headers["Content-Type"] = "application/json"
end

local function order_lines()
    local lines = {}
    for i = 1, math.random(3) do
        local item = MENU[math.random(#MENU)]
        lines[i] = string.format(
            '{"sku":"%s","category":"%s","quantity":%d,"unit_price_minor":%d}',
            item.sku, item.category, math.random(3), item.price)
    end
    return table.concat(lines, ",")
end

function request()
    counter = counter + 1
    issued = issued + 1
    local id = string.format("%s-%d-%d", run, thread_id, counter)
    headers["Idempotency-Key"] = id
    local body = string.format(
        '{"type":"order","customer":"m%05d","order_id":"%s","channel":"store","lines":[%s]}',
        math.random(members), id, order_lines())
    return wrk.format("POST", "/v1/events", headers, body)
end

function response(status, _, _)
    if status >= 200 and status < 300 then
        ok = ok + 1
    else
        failed = failed + 1
    end
end

function done(summary, latency, _)
    local sent, good, bad = 0, 0, 0
    for _, thread in ipairs(threads) do
        sent = sent + thread:get("issued")
        good = good + thread:get("ok")
        bad = bad + thread:get("failed")
    end
    local e = summary.errors
    io.write(string.format(
        "bench: requests=%d duration_us=%d p50_us=%d p99_us=%d non2xx=%d socket_errors=%d " ..
            "ok2xx=%d unanswered=%d\n",
        summary.requests, summary.duration, latency:percentile(50), latency:percentile(99), bad,
        e.connect + e.read + e.write + e.timeout, good, sent - good - bad))
end
