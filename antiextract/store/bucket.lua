-- The token bucket's level at `at` (bucket.refill), shared by evaluate.lua, settle.lua,
-- undo.lua and cohort.lua: the store prepends this file to each when it loads them, so
-- the refill is written once. `factor` < 1 slows the refill of a risky account.
local function refill(tokens, ts, at, capacity, per_second, factor)
  local elapsed = at - ts
  if elapsed < 0 then elapsed = 0 end
  return math.min(capacity, tokens + elapsed * per_second * factor)
end

-- Seconds an account's state is kept: its idle lifetime, or longer while it is blocked
-- (an operator's block of a year must not end when the blocked client's next request
-- rewrites the state with the idle lifetime). `blocked_until` false/nil/0: not blocked.
local function keep_for(ttl, blocked_until, at)
  if blocked_until and blocked_until > at then
    local left = math.ceil(blocked_until - at) + 60
    if left > ttl then return left end
  end
  return ttl
end
