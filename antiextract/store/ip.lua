-- A client IP's request windows on their own, for Redis Cluster: the IP key hashes to
-- another slot than the account's, so evaluate.lua (called with the account key alone)
-- cannot touch it. Sent in the same batch as evaluate.lua; the store merges the replies
-- in evaluate.lua's order (tokens, account windows, then these) and hands a refused
-- request's charge back with undo.lua. The window arithmetic is windows.lua's, prepended
-- by the store as for evaluate.lua.
-- KEYS[1]: the IP's windows (MessagePack: version, then (seconds, start, current,
--          previous) quadruples)
-- ARGV: now. Constants written before this text by the store: ip_ttl, ip_limits (and
--       acct_limits, unused here), VERSION (evaluate.lua's, which reads these windows
--       too on a single Redis).
-- Reply: {taken 0|1, packed double retry_after, denied_by or ""}; the windows are counted
--        only when every one of them has room.
local v = {}
local raw = redis.call('GET', KEYS[1])
if raw then
  v = cmsgpack.unpack(raw)
  if v[1] ~= VERSION then v = {} end
end
local rows, wait, denied = windows(ip_limits, stored_windows(v, 2), 0, '')
if denied ~= '' then
  return {0, struct.pack('<d', wait), denied}
end
redis.call('SET', KEYS[1], cmsgpack.pack(append_windows(rows, {VERSION}, 1)), 'EX', ip_ttl)
return {1, struct.pack('<d', 0), ''}
