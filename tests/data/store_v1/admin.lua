-- Operator access to an account's packed state (not on the hot path).
-- KEYS[1]: the account's state.  ARGV[1]: 'read' | 'block'; for 'block': until, ttl.
-- 'read' returns the state array with numbers as strings (a Lua number would be cut to
-- an integer in the reply) and `false` as ''.
-- Constants written before this text by the store: VERSION, FIXED, I_<field> (the layout).
local raw = redis.call('GET', KEYS[1])
local v = nil
if raw then
  v = cmsgpack.unpack(raw)
  if v[I_version] ~= VERSION then v = nil end
end
if ARGV[1] == 'read' then
  if not v then return nil end
  local out = {}
  for i = 1, #v do
    local x = v[i]
    if x == false then
      out[i] = ''
    elseif type(x) == 'number' then
      out[i] = string.format('%.17g', x)
    else
      out[i] = x
    end
  end
  return out
end
-- block: set the block deadline, creating an empty state when the account is unknown
if not v then  -- what evaluate.lua reads as a fresh account
  v = {}
  for i = 1, FIXED do v[i] = 0 end
  for _, i in ipairs({I_t, I_u, I_first_seen, I_last_seen, I_acute_ts}) do v[i] = false end
  v[I_version], v[I_rf], v[I_hours_day] = VERSION, 1, -1
  v[I_dominant], v[I_last_skeleton] = '', ''
end
v[I_bl] = tonumber(ARGV[2])
redis.call('SET', KEYS[1], cmsgpack.pack(v), 'EX', tonumber(ARGV[3]))
return 1
