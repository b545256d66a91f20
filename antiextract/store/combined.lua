-- The account and its campaigns' shared buckets in one script call, on a single Redis:
-- one command's packing, parsing and dispatch per request. On Redis Cluster they stay
-- apart: the account's keys and each campaign's bucket live in different slots.
-- The store puts before this text evaluate.lua as `local function account()` and
-- campaign.lua as `local function campaigns()`, each with its own constants inside it.
-- KEYS: evaluate.lua's two (account, IP windows), then one bucket per campaign.
-- ARGV: evaluate.lua's seven, then campaign.lua's two.
-- Reply: evaluate.lua's reply with campaign.lua's packed string appended as a fifth
-- element. The two touch no key in common, so running one after the other inside one
-- atomic script gives what a batch of two calls would.
local reply = account()
reply[#reply + 1] = campaigns()
return reply
