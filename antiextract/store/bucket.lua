-- The token bucket's level at `at` (bucket.refill), shared by evaluate.lua, settle.lua,
-- undo.lua and cohort.lua: the store prepends this file to each when it loads them, so
-- the refill is written once. `factor` < 1 slows the refill of a risky account.
local function refill(tokens, ts, at, capacity, per_second, factor)
  local elapsed = at - ts
  if elapsed < 0 then elapsed = 0 end
  return math.min(capacity, tokens + elapsed * per_second * factor)
end
