-- The wrk script of bench/http_bench.sh: one kind of request, as fast as wrk can, or paced to a rate.
--   wrk -t T -c C -d D --latency -s bench/http/load.lua URL -- MODE RATE T [MODE ARGS]
--     MODE healthz                      GET /healthz
--     MODE queue TOKEN SALON            GET /v1/salons/SALON/queue with a bearer token
--     MODE walkin TOKENS_FILE RUN_TAG   POST /v1/salons/S/walk-ins, S picked at random per request from
--                                       TOKENS_FILE (lines "TOKEN SALON SALON ..."), with that line's token and a
--                                       unique Idempotency-Key (RUN_TAG-thread-n: a new tag per run)
--     RATE  requests a second of the whole run, shared evenly by the T threads; 0: as fast as possible
--
-- Pacing (wrk2 is not in Debian): delay() gives each request a slot on an absolute schedule of its thread
-- (slot k at start + k / rate) and holds it until then, so the offered rate holds whatever the latency, as long as
-- a connection is free (each connection holds at most one slot). wrk's timers have 1 ms resolution: requests leave
-- in bursts at millisecond ticks. wrk measures latency from the request's send, not from its slot; the achieved
-- rate is printed to check the schedule was kept.

local ffi = require("ffi")
ffi.cdef [[
typedef struct { long tv_sec; long tv_nsec; } bench_timespec;
int clock_gettime(int clk_id, bench_timespec* tp);
]]
local ts = ffi.new("bench_timespec")
local function now_ms()
    ffi.C.clock_gettime(1, ts) -- CLOCK_MONOTONIC
    return tonumber(ts.tv_sec) * 1000 + tonumber(ts.tv_nsec) / 1e6
end

local threads = {}
function setup(thread)
    thread:set("tid", #threads + 1)
    table.insert(threads, thread)
end

local interval -- ms between two slots of this thread
local next_slot
local groups = {} -- {token, salons} per line of the tokens file
local tag
local n = 0

function init(args)
    local mode, rate, nthreads = args[1], tonumber(args[2]), tonumber(args[3])
    if rate and rate > 0 then
        interval = 1000 * nthreads / rate
    else
        delay = nil -- unpaced: wrk sends the next request as soon as the answer is in
    end
    if mode == "healthz" then
        wrk.path = "/healthz"
        request = nil -- a static request, formatted once per connection
    elseif mode == "queue" then
        wrk.path = "/v1/salons/" .. args[5] .. "/queue"
        wrk.headers["Authorization"] = "Bearer " .. args[4]
        request = nil
    elseif mode == "walkin" then
        for line in io.lines(args[4]) do
            local g = { salons = {} }
            for word in line:gmatch("%S+") do
                if not g.token then g.token = word else table.insert(g.salons, word) end
            end
            table.insert(groups, g)
        end
        tag = args[5] .. "-" .. tid
        math.randomseed(tid * 7919 + math.floor(now_ms()))
    else
        error("load.lua: unknown mode " .. tostring(mode))
    end
end

function delay()
    local now = now_ms()
    next_slot = (next_slot or now) + interval
    local wait = next_slot - now
    if wait < 0 then return 0 end
    return math.floor(wait)
end

function request()
    local g = groups[math.random(#groups)]
    local salon = g.salons[math.random(#g.salons)]
    n = n + 1
    local key = tag .. "-" .. n
    return wrk.format("POST", "/v1/salons/" .. salon .. "/walk-ins", {
        ["Authorization"] = "Bearer " .. g.token,
        ["Content-Type"] = "application/json",
        ["Idempotency-Key"] = key,
    }, '{"customer":{"name":"Walk-in ' .. key .. '"},"services":["HC"]}')
end
