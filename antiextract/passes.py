"""What a solved challenge buys: an allowance of requests, kept where the limits are.

Asked only for accounts whose risk is at the challenge threshold, so its round trip is
never on an ordinary request's path. The memory book lives in this process; the Redis
book is shared by every replica, with a TTL to the allowance's expiry.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from typing import Protocol

import redis.asyncio as aioredis

from .challenge import Allowance
from .store.redis import store_errors

_SPEND = """
-- KEYS[1]: an account's allowance "remaining:expires_at".  ARGV: op, now[, remaining, until]
local now = tonumber(ARGV[2])
if ARGV[1] == 'grant' then
  local ttl = math.ceil(tonumber(ARGV[4]) - now) + 1
  if ttl < 1 then return 0 end
  redis.call('SET', KEYS[1], ARGV[3] .. ':' .. ARGV[4], 'EX', ttl)
  return 1
end
local v = redis.call('GET', KEYS[1])
if not v then return 0 end
local sep = string.find(v, ':', 1, true)
local remaining = tonumber(string.sub(v, 1, sep - 1))
local expires = tonumber(string.sub(v, sep + 1))
if remaining <= 0 or now >= expires then return 0 end
redis.call('SET', KEYS[1], (remaining - 1) .. ':' .. string.sub(v, sep + 1), 'KEEPTTL')
return 1
"""


class PassBook(Protocol):
    async def grant(self, account: str, allowance: Allowance, now: float) -> None: ...

    async def spend(self, account: str, now: float) -> bool:
        """Use one request of the account's allowance; False when it has none left."""
        ...


class MemoryPassBook:
    def __init__(self, max_entries: int = 100_000) -> None:
        self.max_entries = max_entries
        self._book: OrderedDict[str, Allowance] = OrderedDict()

    async def grant(self, account: str, allowance: Allowance, now: float) -> None:
        self._book[account] = allowance
        self._book.move_to_end(account)
        while len(self._book) > self.max_entries:
            self._book.popitem(last=False)

    async def spend(self, account: str, now: float) -> bool:
        current = self._book.get(account)
        if current is None:
            return False
        after = current.spend(now)
        if after is None:
            del self._book[account]
            return False
        self._book[account] = after
        return True


class RedisPassBook:
    def __init__(self, client: aioredis.Redis, prefix: str) -> None:
        self.prefix = prefix
        self.client = client
        self._script = client.register_script(_SPEND)

    def key(self, account: str) -> str:
        return f"{self.prefix}:{{a:{account}}}:pass"  # the account's slot

    async def grant(self, account: str, allowance: Allowance, now: float) -> None:
        args = ["grant", now, allowance.remaining, math.floor(allowance.expires_at)]
        with store_errors("allowance grant"):
            await self._script(keys=[self.key(account)], args=args, client=self.client)

    async def spend(self, account: str, now: float) -> bool:
        with store_errors("allowance spend"):
            used = await self._script(
                keys=[self.key(account)], args=["spend", now], client=self.client
            )
        return bool(used)
