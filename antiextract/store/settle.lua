-- Charge an account's bucket the difference between the real and the reserved cost.
-- KEYS[1]: the account's hash   ARGV: now, delta, capacity, refill/s, account ttl
-- The refill runs at the risk-adjusted rate ('rf') the last evaluation stored.
local v = redis.call('HMGET', KEYS[1], 't', 'u', 'rf')
if not v[1] or not v[2] then return 0 end
local now = tonumber(ARGV[1])
local cap = tonumber(ARGV[3])
local elapsed = now - tonumber(v[2])
if elapsed < 0 then elapsed = 0 end
local factor = tonumber(v[3]) or 1
local tokens = math.min(cap, tonumber(v[1]) + elapsed * tonumber(ARGV[4]) * factor)
tokens = tokens - tonumber(ARGV[2])
if tokens < -cap then tokens = -cap end
if tokens > cap then tokens = cap end
redis.call('HSET', KEYS[1], 't', string.format('%.17g', tokens), 'u', string.format('%.17g', now))
redis.call('EXPIRE', KEYS[1], tonumber(ARGV[5]))
return 1
