-- Redis Cluster only: give back what one half of a split evaluation took when the other
-- half refused the request (evaluate.lua with the account key alone, ip.lua), so that a
-- refused request is charged nowhere, as on a single Redis where one script does both.
-- KEYS[1]: the account's state (evaluate.lua's layout) or the IP's windows (ip.lua's)
-- ARGV: 'account' | 'ip', now; for 'account' also: tokens stored by the take, tokens and
--       update time stored before it ('' = unset), cost taken, capacity, refill/s
-- The one request counted in each window of `now` is taken back. The bucket is restored
-- exactly when nothing wrote it since the take; otherwise (a concurrent request came in
-- between) the cost is added back at today's level. The key keeps its TTL.
local raw = redis.call('GET', KEYS[1])
if not raw then return 0 end
local v = cmsgpack.unpack(raw)
if v[1] ~= 1 then return 0 end
local now = tonumber(ARGV[2])
local first = 2
if ARGV[1] == 'account' then
  first = 24  -- after evaluate.lua's 23 fixed entries
  if v[2] == tonumber(ARGV[3]) and v[3] == now then
    v[2] = tonumber(ARGV[4]) or false
    v[3] = tonumber(ARGV[5]) or false
  elseif v[2] ~= false and v[3] ~= false then
    local cap = tonumber(ARGV[7])
    local elapsed = now - v[3]
    if elapsed < 0 then elapsed = 0 end
    local tokens = math.min(cap, v[2] + elapsed * tonumber(ARGV[8]) * v[4]) + tonumber(ARGV[6])
    v[2] = math.min(cap, tokens)
    if now > v[3] then v[3] = now end
  end
end
local i = first
while v[i] do
  if v[i + 1] == math.floor(now / v[i]) and v[i + 2] > 0 then v[i + 2] = v[i + 2] - 1 end
  i = i + 4
end
redis.call('SET', KEYS[1], cmsgpack.pack(v), 'KEEPTTL')
return 1
