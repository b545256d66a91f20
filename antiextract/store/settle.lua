-- Charge an account's bucket the difference between the real and the reserved cost.
-- KEYS[1]: the account's state (evaluate.lua's MessagePack layout)
-- ARGV: now, delta, capacity, refill/s, account ttl
-- The refill runs at the risk-adjusted rate (rf) the last evaluation stored.
local raw = redis.call('GET', KEYS[1])
if not raw then return 0 end
local v = cmsgpack.unpack(raw)
if v[1] ~= 1 or v[2] == false or v[3] == false then return 0 end
local now = tonumber(ARGV[1])
local cap = tonumber(ARGV[3])
local elapsed = now - v[3]
if elapsed < 0 then elapsed = 0 end
local tokens = math.min(cap, v[2] + elapsed * tonumber(ARGV[4]) * v[4]) - tonumber(ARGV[2])
if tokens < -cap then tokens = -cap end
if tokens > cap then tokens = cap end
v[2] = tokens
v[3] = now
redis.call('SET', KEYS[1], cmsgpack.pack(v), 'EX', tonumber(ARGV[5]))
return 1
