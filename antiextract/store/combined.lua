-- The account and its cohorts in one script call, on a single Redis: evaluate.lua and
-- cohort.lua each ran as its own call in one pipelined batch, so every request paid a
-- second command's packing, parsing and script dispatch. On Redis Cluster they stay
-- apart: the account's keys and each cohort's live in different slots.
-- The store puts before this text evaluate.lua as `local function account()` and
-- cohort.lua as `local function cohorts()`, each with its own constants inside it.
-- KEYS: evaluate.lua's two (account, IP windows), then cohort.lua's groups of five.
-- ARGV: evaluate.lua's seven, then cohort.lua's six.
-- Reply: evaluate.lua's reply with cohort.lua's packed string appended as a fifth element.
-- The two touch no key in common, so running one after the other inside one atomic
-- script gives what the batch gave.
local reply = account()
reply[#reply + 1] = cohorts()
return reply
