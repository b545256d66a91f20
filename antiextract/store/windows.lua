-- Sliding-window request limits (bucket.py's roll and window_wait), shared by
-- evaluate.lua and ip.lua: the store prepends this file to both when it loads them, so
-- the arithmetic exists once. ARGV[1] is `now` in both.
local now = tonumber(ARGV[1])

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

-- Windows are stored as (seconds, start, current, previous) quadruples from `from` on.
local function stored_windows(state, from)
  local out = {}
  local i = from
  while state[i] do
    out[state[i]] = {state[i + 1], state[i + 2], state[i + 3]}
    i = i + 4
  end
  return out
end

-- Rolls each configured window to now; returns rows and the worst wait.
local function windows(limits, stored, wait, denied)
  local rows = {}
  for i, l in ipairs(limits) do
    local scope, amount, w = l[1], l[2], l[3]
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
      denied = scope .. '-' .. amount .. '-per-' .. w .. 's'
    end
    rows[i] = {w, idx, cur, prev}
  end
  return rows, wait, denied
end

local function append_windows(rows, out, taken)
  for _, r in ipairs(rows) do
    out[#out + 1] = r[1]
    out[#out + 1] = r[2]
    out[#out + 1] = r[3] + taken
    out[#out + 1] = r[4]
  end
  return out
end
