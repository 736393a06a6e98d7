-- wrk script for bench/http: POST /v1/events, one order per request.
--
--   wrk ... -s bench/http_orders.lua URL -- KEY MEMBERS RUN
--
-- Every request is a new order: Idempotency-Key and order_id are RUN-THREAD-COUNTER (RUN tells
-- the warm-up from the measured run apart), the customer is a member drawn at random among
-- m00001..mMEMBERS, with 1 to 3 lines of 1 to 3 units from a cafe menu.
--
-- done() reports the 2xx answers, so that bench/http can hold the number of orders in the
-- database against them. wrk drops the requests still in flight when the duration ends; the
-- server may have committed them, so done() also reports how many requests were sent but not
-- answered (issued - answered), the allowed surplus in the database.

local MENU = {
    {sku = "ESPRESSO", category = "coffee", price = 250},
    {sku = "LATTE", category = "coffee", price = 380},
    {sku = "CROISSANT", category = "pastry", price = 180},
    {sku = "BEANS-250G", category = "beans", price = 1290},
    {sku = "COOKIE", category = "pastry", price = 220},
}

-- Line fragments and the header block are built once in init(): the client shares the machine's
-- two cores with the server, so request() only draws and concatenates. There is no response()
-- function: wrk then skips reading each answer's headers and body into Lua (its own README calls
-- that parsing expensive), and done() takes the answers' count and statuses from wrk's summary
-- (non2xx is its count of statuses above 399; this route answers no 1xx or 3xx).

local next_thread = 0
local threads = {}

function setup(thread)
    next_thread = next_thread + 1
    thread:set("thread_id", next_thread)
    thread:set("seed", math.random(1, 2 ^ 30))
    threads[next_thread] = thread
end

local members, run
local head -- the request line and headers up to the Idempotency-Key's value
local fragments = {} -- fragments[item][quantity]: one line's JSON
local counter = 0
issued = 0

function init(args)
    local key
    key, members, run = args[1], tonumber(args[2]), args[3]
    assert(key and members and run, "usage: -- KEY MEMBERS RUN")
    math.randomseed(seed)
    local lines = {"POST /v1/events HTTP/1.1", "Host: " .. wrk.host}
    for name, value in pairs(wrk.headers) do
        if name ~= "Host" then
            lines[#lines + 1] = name .. ": " .. value
        end
    end
    lines[#lines + 1] = "Authorization: Bearer " .. key
    lines[#lines + 1] = "Content-Type: application/json"
    lines[#lines + 1] = "Idempotency-Key: "
    head = table.concat(lines, "\r\n")
    for i, item in ipairs(MENU) do
        fragments[i] = {}
        for quantity = 1, 3 do
            fragments[i][quantity] = string.format(
                '{"sku":"%s","category":"%s","quantity":%d,"unit_price_minor":%d}',
                item.sku, item.category, quantity, item.price)
        end
    end
end

local function order_lines()
    local lines = {}
    for i = 1, math.random(3) do
        lines[i] = fragments[math.random(#MENU)][math.random(3)]
    end
    return table.concat(lines, ",")
end

function request()
    counter = counter + 1
    issued = issued + 1
    local id = run .. "-" .. thread_id .. "-" .. counter
    local body = '{"type":"order","customer":"m' .. string.format("%05d", math.random(members)) ..
        '","order_id":"' .. id .. '","channel":"store","lines":[' .. order_lines() .. "]}"
    return head .. id .. "\r\nContent-Length: " .. #body .. "\r\n\r\n" .. body
end

function done(summary, latency, _)
    local sent = 0
    for _, thread in ipairs(threads) do
        sent = sent + thread:get("issued")
    end
    local e = summary.errors
    io.write(string.format(
        "bench: requests=%d duration_us=%d p50_us=%d p99_us=%d non2xx=%d socket_errors=%d " ..
            "ok2xx=%d unanswered=%d\n",
        summary.requests, summary.duration, latency:percentile(50), latency:percentile(99),
        e.status, e.connect + e.read + e.write + e.timeout, summary.requests - e.status,
        sent - summary.requests))
end
