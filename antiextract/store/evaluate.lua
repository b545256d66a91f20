-- One request's whole hot-path decision, atomically, in one round trip.
-- A transcription of antiextract/bucket.py + MemoryStore.evaluate: keep them in step.
-- KEYS[1]: the account's hash   KEYS[2]: the client IP's hash
-- ARGV: now, cost, capacity, refill/s, account ttl, ip ttl,
--       n account limits, (amount, seconds)*, n ip limits, (amount, seconds)*
-- Reply: {allowed 0|1, tokens, retry_after, denied_by or ""}
local now = tonumber(ARGV[1])
local cost = tonumber(ARGV[2])
local cap = tonumber(ARGV[3])
local rate = tonumber(ARGV[4])
local acct_ttl = tonumber(ARGV[5])
local ip_ttl = tonumber(ARGV[6])

local pos = 7
local function read_limits(scope)
  local n = tonumber(ARGV[pos])
  pos = pos + 1
  local out = {}
  for i = 1, n do
    out[i] = {scope, tonumber(ARGV[pos]), tonumber(ARGV[pos + 1])}
    pos = pos + 2
  end
  return out
end
local acct_limits = read_limits('account')
local ip_limits = read_limits('ip')

local function fmt(x) return string.format('%.17g', x) end

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

-- Reads the window fields that follow `offset` in `vals`; returns rows and the worst wait.
local function windows(limits, vals, offset, wait, denied)
  local rows = {}
  for i, l in ipairs(limits) do
    local scope, amount, w = l[1], l[2], l[3]
    local idx = math.floor(now / w)
    local base = offset + 3 * (i - 1)
    local start = tonumber(vals[base + 1]) or idx
    local cur = tonumber(vals[base + 2]) or 0
    local prev = tonumber(vals[base + 3]) or 0
    if start ~= idx then
      if start == idx - 1 then prev = cur else prev = 0 end
      cur = 0
    end
    local ww = window_wait(amount, w, cur, prev)
    if ww > wait then
      wait = ww
      denied = scope .. '-' .. amount .. '-per-' .. w .. 's'
    end
    rows[i] = {w, idx, cur, prev}
  end
  return rows, wait, denied
end

local function window_fields(limits, fields)
  for _, l in ipairs(limits) do
    local s = l[3]
    fields[#fields + 1] = 'ws' .. s
    fields[#fields + 1] = 'wc' .. s
    fields[#fields + 1] = 'wp' .. s
  end
  return fields
end

local function commit_windows(rows, out)
  for _, r in ipairs(rows) do
    out[#out + 1] = 'ws' .. r[1]
    out[#out + 1] = r[2]
    out[#out + 1] = 'wc' .. r[1]
    out[#out + 1] = r[3] + 1
    out[#out + 1] = 'wp' .. r[1]
    out[#out + 1] = r[4]
  end
  return out
end

if cost > cap then cost = cap end
if cost < 0 then cost = 0 end

local acct = redis.call('HMGET', KEYS[1], unpack(window_fields(acct_limits, {'t', 'u'})))
local tokens = cap
if acct[1] and acct[2] then
  local elapsed = now - tonumber(acct[2])
  if elapsed < 0 then elapsed = 0 end
  tokens = math.min(cap, tonumber(acct[1]) + elapsed * rate)
end
local wait, denied = 0, ''
if tokens < cost then
  wait = (cost - tokens) / rate
  denied = 'tokens'
end
local acct_rows
acct_rows, wait, denied = windows(acct_limits, acct, 2, wait, denied)

local ip_rows = {}
if #ip_limits > 0 then
  local ipv = redis.call('HMGET', KEYS[2], unpack(window_fields(ip_limits, {})))
  ip_rows, wait, denied = windows(ip_limits, ipv, 0, wait, denied)
end

if denied ~= '' then
  return {0, fmt(tokens), fmt(wait), denied}
end

tokens = tokens - cost
redis.call('HSET', KEYS[1], unpack(commit_windows(acct_rows, {'t', fmt(tokens), 'u', fmt(now)})))
redis.call('EXPIRE', KEYS[1], acct_ttl)
if #ip_rows > 0 then
  redis.call('HSET', KEYS[2], unpack(commit_windows(ip_rows, {})))
  redis.call('EXPIRE', KEYS[2], ip_ttl)
end
return {1, fmt(tokens), '0', ''}
