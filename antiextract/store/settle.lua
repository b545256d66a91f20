-- Charge an account's bucket the difference between the real and the reserved cost.
-- KEYS[1]: the account's state (evaluate.lua's MessagePack layout)
-- ARGV: now, delta, capacity, refill/s, account ttl
-- The refill runs at the risk-adjusted rate (rf) the last evaluation stored.
-- Constants written before this text by the store: VERSION and I_<field> (the layout),
-- and `refill` / `keep_for` (bucket.lua).
local raw = redis.call('GET', KEYS[1])
if not raw then return 0 end
local v = cmsgpack.unpack(raw)
if v[I_version] ~= VERSION or v[I_t] == false or v[I_u] == false then return 0 end
local now = tonumber(ARGV[1])
local cap = tonumber(ARGV[3])
local tokens = refill(v[I_t], v[I_u], now, cap, tonumber(ARGV[4]), v[I_rf]) - tonumber(ARGV[2])
if tokens < -cap then tokens = -cap end
if tokens > cap then tokens = cap end
v[I_t] = tokens
v[I_u] = now
redis.call('SET', KEYS[1], cmsgpack.pack(v), 'EX', keep_for(tonumber(ARGV[5]), v[I_bl], now))
return 1
