-- Operator access to an account's packed state (not on the hot path).
-- KEYS[1]: the account's state.  ARGV[1]: 'read' | 'block'; for 'block': until, ttl.
-- 'read' returns the state array with numbers as strings (a Lua number would be cut to
-- an integer in the reply) and `false` as ''.
local raw = redis.call('GET', KEYS[1])
local v = nil
if raw then
  v = cmsgpack.unpack(raw)
  if v[1] ~= 1 then v = nil end
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
if not v then
  v = {1, false, false, 1, false, false, 0, 0, 0, 0, 0, 0, 0, 0, '', '', -1, 0, 0, 0, 0,
       false, 0}
end
v[23] = tonumber(ARGV[2])
redis.call('SET', KEYS[1], cmsgpack.pack(v), 'EX', tonumber(ARGV[3]))
return 1
