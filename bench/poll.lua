-- wrk script for GET /coaching/pending-hints: rotates over (token, conversation) pairs so the load
-- spreads across agents and conversations. Every pair is a conversation assigned to the token's agent.
--
-- Environment:
--   POLL_PAIRS    file with one "TOKEN CONVERSATION_ID" pair per line (written by poll_bench.sh)
--   POLL_SECONDS  the `seconds` query parameter (default 30)
--
-- All request strings are built once per thread in init(), so request() costs one table lookup.
-- No response() hook: it would make wrk parse every body and cost client CPU on a shared machine;
-- errors are counted by wrk itself ("Non-2xx or 3xx responses", "Socket errors").

local thread_count = 0

function setup(thread)
    thread_count = thread_count + 1
    thread:set("thread_number", thread_count)
end

local requests = {}
local position = 0

function init(args)
    local path = os.getenv("POLL_PAIRS")
    local seconds = os.getenv("POLL_SECONDS") or "30"
    assert(path, "POLL_PAIRS is not set")
    for line in io.lines(path) do
        local token, conversation = line:match("^(%S+)%s+(%d+)%s*$")
        if token then
            requests[#requests + 1] = wrk.format("GET",
                "/coaching/pending-hints?conversation_id=" .. conversation .. "&seconds=" .. seconds,
                { ["Authorization"] = "Bearer " .. token,
                  ["Accept"] = "application/json" })
        end
    end
    assert(#requests > 0, "no (token, conversation) pairs in " .. path)
    -- Threads start at different points of the rotation.
    local n = thread_number or 1
    position = math.floor((n - 1) * #requests / 2) % #requests
end

function request()
    position = position % #requests + 1
    return requests[position]
end
