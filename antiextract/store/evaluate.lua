-- One request's whole hot-path decision, atomically, in one round trip.
-- A transcription of antiextract/risk.py (update_profile, assess, refill_factor),
-- antiextract/bucket.py and MemoryStore.evaluate: keep them in step; the shared store
-- test-suite compares the two stores number by number.
-- KEYS[1]: the account's hash   KEYS[2]: the client IP's hash
-- ARGV: now, cost, traits, acute, skeleton, created_at ('' = unknown), tier,
--       capacity, refill/s, account ttl, ip ttl, block_at, block seconds,
--       w_elicit, w_focus, w_single, w_template, w_extract, w_pacing, w_hours,
--       alpha, youth_days, acute_half_life, acute_cap, sweep_weight, slow_above, slow_scale,
--       acute_alpha,
--       n account limits, (amount, seconds)*, n ip limits, (amount, seconds)*
-- Reply: {allowed 0|1, tokens, retry_after, denied_by or "", risk, youth,
--         elicit, focus, single, template, extract, pacing, hours, acute, age, day_count}
local now = tonumber(ARGV[1])
local cost = tonumber(ARGV[2])
local traits = tonumber(ARGV[3])
local req_acute = tonumber(ARGV[4])
local skeleton = ARGV[5]
local created_at = tonumber(ARGV[6])
local tier = tonumber(ARGV[7])
local cap = tonumber(ARGV[8])
local rate = tonumber(ARGV[9])
local acct_ttl = tonumber(ARGV[10])
local ip_ttl = tonumber(ARGV[11])
local block_at = tonumber(ARGV[12])
local block_seconds = tonumber(ARGV[13])
local W = {}
for i = 1, 7 do W[i] = tonumber(ARGV[13 + i]) end
local alpha = tonumber(ARGV[21])
local youth_days = tonumber(ARGV[22])
local half_life = tonumber(ARGV[23])
local acute_cap = tonumber(ARGV[24])
local sweep_weight = tonumber(ARGV[25])
local slow_above = tonumber(ARGV[26])
local slow_scale = tonumber(ARGV[27])
local acute_alpha = tonumber(ARGV[28])

local pos = 29
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
local function num(v, default)
  if v then return tonumber(v) end
  return default
end

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

local function youth(age)
  if age < 0 then age = 0 end
  local y = 1 / (1 + age / (youth_days * 86400))
  if y < 0.25 then y = 0.25 end
  return y
end

local function decayed(value, ts)
  if ts == nil or value <= 0 then return 0 end
  local dt = now - ts
  if dt < 0 then dt = 0 end
  return value * 0.5 ^ (dt / half_life)
end

local function popcount(x)
  local n = 0
  for _ = 1, 24 do
    n = n + bit.band(x, 1)
    x = bit.rshift(x, 1)
  end
  return n
end

-- 1. read the account -------------------------------------------------------------
local F = {'t', 'u', 'rf', 'fs', 'ls', 'gm', 'gv', 'gn', 'pe', 'pf', 'ps', 'pt', 'px',
           'dom', 'lsk', 'hd', 'hc', 'hp', 'dc', 'ra', 'rt', 'bl'}
local NF = #F
local v = redis.call('HMGET', KEYS[1], unpack(window_fields(acct_limits, F)))

-- 2. fold this request into the profile (risk.update_profile) ----------------------
local fs = num(v[4], now)
local ls = num(v[5], nil)
local gm, gv, gn = num(v[6], 0), num(v[7], 0), num(v[8], 0)
if ls ~= nil then
  local gap = now - ls
  if gap < 0 then gap = 0 end
  if gn == 0 then
    gm, gv = gap, 0
  else
    local dev = gap - gm
    gm = gm + alpha * dev
    gv = (1 - alpha) * (gv + alpha * dev * dev)
  end
  gn = gn + 1
end
local function share(old, bitmask)
  local x = 0
  if bit.band(traits, bitmask) ~= 0 then x = 1 end
  return old + alpha * (x - old)
end
local pe = share(num(v[9], 0), 1)
local pf = share(num(v[10], 0), 2)
local ps = share(num(v[11], 0), 4)
local px = share(num(v[13], 0), 8)
local pt = num(v[12], 0)
local dom = v[14] or ''
if skeleton ~= '' and skeleton == dom then
  pt = pt + alpha * (1 - pt)
else
  pt = pt - alpha * pt
  if pt < 0.2 then dom = skeleton end
end
local hd, hc, hp, dc = num(v[16], -1), num(v[17], 0), num(v[18], 0), num(v[19], 0)
local day = math.floor(now / 86400)
local hour_bit = bit.lshift(1, math.floor((now % 86400) / 3600))
if day ~= hd then
  if day == hd + 1 then hp = hc else hp = 0 end
  hc, hd, dc = 0, day, 0
end
hc = bit.bor(hc, hour_bit)
dc = dc + 1
local first = fs
if created_at then first = created_at end
local y = youth(now - first) * tier
local add = req_acute * y
local lsk = v[15] or ''
if bit.band(traits, 16) ~= 0 and skeleton ~= '' and skeleton == lsk then
  add = add + sweep_weight
end
local level = decayed(num(v[20], 0), num(v[21], nil))
local ra = level + acute_alpha * (add - level)
if ra > acute_cap then ra = acute_cap end

-- 3. assess (risk.assess) ------------------------------------------------------------
local age = now - first
if age < 0 then age = 0 end
local pacing = 0
if gn >= 5 and gm > 0 then
  local cv = math.sqrt(math.max(gv, 0)) / gm
  pacing = math.min(1, math.max(0, (0.5 - cv) / 0.5))
end
local hours = math.min(1, math.max(0, (popcount(bit.bor(hc, hp)) - 12) / 10))
local S = {pe, pf, ps, pt, px, pacing, hours}
local profile = 0
for i = 1, 7 do profile = profile + W[i] * S[i] end
profile = y * profile
local risk = profile + ra
local factor = 1
if risk > slow_above then factor = 1 / (1 + (risk - slow_above) / slow_scale) end

local writes = {'rf', fmt(factor), 'fs', fmt(fs), 'ls', fmt(now), 'gm', fmt(gm), 'gv', fmt(gv),
                'gn', gn, 'pe', fmt(pe), 'pf', fmt(pf), 'ps', fmt(ps), 'pt', fmt(pt),
                'px', fmt(px), 'dom', dom, 'lsk', skeleton, 'hd', hd, 'hc', hc, 'hp', hp,
                'dc', dc, 'ra', fmt(ra), 'rt', fmt(now)}

local function reply(allowed, tokens, wait, denied)
  return {allowed, fmt(tokens), fmt(wait), denied, fmt(risk), fmt(y),
          fmt(pe), fmt(pf), fmt(ps), fmt(pt), fmt(px), fmt(pacing), fmt(hours),
          fmt(ra), fmt(age), dc}
end

-- 4. limits (bucket.py) ----------------------------------------------------------------
local bl = num(v[22], 0)
if now >= bl and risk >= block_at then
  bl = now + block_seconds
  writes[#writes + 1] = 'bl'
  writes[#writes + 1] = fmt(bl)
end
if cost > cap then cost = cap end
if cost < 0 then cost = 0 end
local tokens = cap
if v[1] and v[2] then
  local elapsed = now - tonumber(v[2])
  if elapsed < 0 then elapsed = 0 end
  tokens = math.min(cap, tonumber(v[1]) + elapsed * rate * factor)
end
if now < bl then
  redis.call('HSET', KEYS[1], unpack(writes))
  redis.call('EXPIRE', KEYS[1], acct_ttl)
  return reply(0, tokens, bl - now, 'blocked')
end
local wait, denied = 0, ''
if tokens < cost then
  wait = (cost - tokens) / (rate * factor)
  denied = 'tokens'
end
local acct_rows
acct_rows, wait, denied = windows(acct_limits, v, NF, wait, denied)

local ip_rows = {}
if #ip_limits > 0 then
  local ipv = redis.call('HMGET', KEYS[2], unpack(window_fields(ip_limits, {})))
  ip_rows, wait, denied = windows(ip_limits, ipv, 0, wait, denied)
end

local allowed = 0
if denied == '' then
  allowed = 1
  tokens = tokens - cost
  writes[#writes + 1] = 't'
  writes[#writes + 1] = fmt(tokens)
  writes[#writes + 1] = 'u'
  writes[#writes + 1] = fmt(now)
  commit_windows(acct_rows, writes)
  if #ip_rows > 0 then
    redis.call('HSET', KEYS[2], unpack(commit_windows(ip_rows, {})))
    redis.call('EXPIRE', KEYS[2], ip_ttl)
  end
end
redis.call('HSET', KEYS[1], unpack(writes))
redis.call('EXPIRE', KEYS[1], acct_ttl)

return reply(allowed, tokens, wait, denied)
