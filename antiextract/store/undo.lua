-- Redis Cluster only: give back what one half of a split evaluation took when the other
-- half refused the request (evaluate.lua with the account key alone, ip.lua), so that a
-- refused request is charged nowhere, as on a single Redis where one script does both.
-- KEYS[1]: the account's state (evaluate.lua's layout) or the IP's windows (ip.lua's)
-- ARGV: 'account' | 'ip', now; for 'account' also: tokens stored by the take, tokens and
--       update time stored before it ('' = unset), cost taken, capacity, refill/s
-- The one request counted in each window of `now` is taken back. The bucket is restored
-- exactly when nothing wrote it since the take; otherwise (a concurrent request came in
-- between) the cost is added back at today's level. The key keeps its TTL.
-- Constants written before this text by the store: VERSION, FIXED and I_<field> (the
-- account layout; an IP's windows start after its version), and `refill` (bucket.lua).
local raw = redis.call('GET', KEYS[1])
if not raw then return 0 end
local v = cmsgpack.unpack(raw)
if v[1] ~= VERSION then return 0 end
local now = tonumber(ARGV[2])
local first = 2
if ARGV[1] == 'account' then
  first = FIXED + 1  -- after evaluate.lua's fixed entries
  if v[I_t] == tonumber(ARGV[3]) and v[I_u] == now then
    v[I_t] = tonumber(ARGV[4]) or false
    v[I_u] = tonumber(ARGV[5]) or false
  elseif v[I_t] ~= false and v[I_u] ~= false then
    local cap = tonumber(ARGV[7])
    local tokens = refill(v[I_t], v[I_u], now, cap, tonumber(ARGV[8]), v[I_rf]) + tonumber(ARGV[6])
    v[I_t] = math.min(cap, tokens)
    if now > v[I_u] then v[I_u] = now end
  end
end
local i = first
while v[i] do
  if v[i + 1] == math.floor(now / v[i]) and v[i + 2] > 0 then v[i + 2] = v[i + 2] - 1 end
  i = i + 4
end
redis.call('SET', KEYS[1], cmsgpack.pack(v), 'KEEPTTL')
return 1
