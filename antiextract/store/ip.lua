-- A client IP's request windows on their own, for Redis Cluster: the IP key hashes to
-- another slot than the account's, so evaluate.lua (called with the account key alone)
-- cannot touch it. Sent in the same batch as evaluate.lua; the store merges the replies
-- in evaluate.lua's order (tokens, account windows, then these) and hands a refused
-- request's charge back with undo.lua. The window arithmetic is evaluate.lua's: keep the
-- two in step.
-- KEYS[1]: the IP's windows (MessagePack: version, then (seconds, start, current,
--          previous) quadruples)
-- ARGV: now, ip ttl, n ip limits, (amount, seconds)*
-- Reply: {taken 0|1, packed double retry_after, denied_by or ""}; the windows are counted
--        only when every one of them has room.
local now = tonumber(ARGV[1])
local ttl = tonumber(ARGV[2])
local VERSION = 1

local function window_wait(amount, w, cur, prev)
  local idx = math.floor(now / w)
  local frac = (now - idx * w) / w
  if prev * (1 - frac) + cur + 1 <= amount then return 0 end
  if cur + 1 > amount then
    local need = 0
    if cur > 0 then need = 1 - (amount - 1) / cur end
    if need < 0 then need = 0 end
    return (idx + 1) * w - now + need * w
  end
  local r = (1 - (amount - 1 - cur) / prev - frac) * w
  if r < 0 then r = 0 end
  return r
end

local v = {}
local raw = redis.call('GET', KEYS[1])
if raw then
  v = cmsgpack.unpack(raw)
  if v[1] ~= VERSION then v = {} end
end
local stored = {}
local i = 2
while v[i] do
  stored[v[i]] = {v[i + 1], v[i + 2], v[i + 3]}
  i = i + 4
end

local wait, denied = 0, ''
local out = {VERSION}
for n = 1, tonumber(ARGV[3]) do
  local amount, w = tonumber(ARGV[2 + 2 * n]), tonumber(ARGV[3 + 2 * n])
  local idx = math.floor(now / w)
  local start, cur, prev = idx, 0, 0
  local old = stored[w]
  if old then start, cur, prev = old[1], old[2], old[3] end
  if start ~= idx then
    if start == idx - 1 then prev = cur else prev = 0 end
    cur = 0
  end
  local ww = window_wait(amount, w, cur, prev)
  if ww > wait then
    wait = ww
    denied = 'ip-' .. amount .. '-per-' .. w .. 's'
  end
  out[#out + 1] = w
  out[#out + 1] = idx
  out[#out + 1] = cur + 1
  out[#out + 1] = prev
end
if denied ~= '' then
  return {0, struct.pack('<d', wait), denied}
end
redis.call('SET', KEYS[1], cmsgpack.pack(out), 'EX', ttl)
return {1, struct.pack('<d', 0), ''}
