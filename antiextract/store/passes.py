"""What a solved challenge buys, and the memory of tokens already spent: an allowance of
requests and the replay guard, kept where the limits are (each store supplies its own).

Asked only for accounts whose risk is at the challenge threshold, so its round trip is
never on an ordinary request's path. The memory book lives in this process; the Redis
book is shared by every replica, with a TTL to the allowance's expiry.
"""

from __future__ import annotations

import heapq
import math
from collections import OrderedDict
from dataclasses import dataclass
from typing import Protocol

import redis.asyncio as aioredis

from .redis import store_errors

ALLOWANCE_REQUESTS = 20
ALLOWANCE_SECONDS = 600.0


# --- allowance -----------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Allowance:
    """What a solved challenge buys an account: ``remaining`` more requests until
    ``expires_at``, whichever runs out first. The request that carries the solution is
    the first one served, so ``granted`` spends one at once: 20 requests in all by default.
    The middleware stores it per account (in Redis with a TTL to ``expires_at``)."""

    remaining: int
    expires_at: float

    @classmethod
    def granted(
        cls,
        now: float,
        requests: int = ALLOWANCE_REQUESTS,
        seconds: float = ALLOWANCE_SECONDS,
    ) -> Allowance:
        """A fresh allowance, already charged for the request that solved the challenge."""
        return cls(max(requests - 1, 0), now + seconds)

    def valid(self, now: float) -> bool:
        return self.remaining > 0 and now < self.expires_at

    def spend(self, now: float) -> Allowance | None:
        """The allowance after one more request, or None when it does not cover one."""
        if not self.valid(now):
            return None
        return Allowance(self.remaining - 1, self.expires_at)


# --- replay guards -------------------------------------------------------------------


class ReplayGuard(Protocol):
    async def first_use(self, token_id: str, expires_at: float, now: float) -> bool:
        """Record ``token_id`` until ``expires_at``; True only the first time."""
        ...


class MemoryReplayGuard:
    """Per-process guard: remembers live token ids, at most ``max_entries`` of them.

    When it is full of tokens that have not expired it fails closed: ``first_use`` says
    False, so the caller challenges again, rather than forgetting a live token, which
    would reopen it for replay. Filling it takes ``max_entries`` solved challenges
    within one token lifetime. Tokens past ``expires_at`` are not remembered: ``verify``
    refuses them anyway.
    """

    def __init__(self, max_entries: int = 100_000) -> None:
        if max_entries < 1:
            raise ValueError("max_entries must be positive")
        self.max_entries = max_entries
        self._expiry: dict[str, float] = {}
        self._heap: list[tuple[float, str]] = []

    def __len__(self) -> int:
        return len(self._expiry)

    def _purge(self, now: float) -> None:
        heap, expiry = self._heap, self._expiry
        while heap and heap[0][0] <= now:
            at, tid = heapq.heappop(heap)
            if expiry.get(tid) == at:
                del expiry[tid]

    async def first_use(self, token_id: str, expires_at: float, now: float) -> bool:
        self._purge(now)
        if token_id in self._expiry:
            return False
        if expires_at <= now:
            return True
        if len(self._expiry) >= self.max_entries:
            return False
        self._expiry[token_id] = expires_at
        heapq.heappush(self._heap, (expires_at, token_id))
        return True


class RedisReplayGuard:
    """Shared guard: ``SET <prefix>:challenge:<token_id> 1 NX EX <ttl>``, one round trip.

    The TTL is relative (``EX``, from the caller's clock) rather than absolute
    (``EXAT``, read on the Redis server's clock), so a Redis clock that runs ahead of
    the app cannot expire a key while the token is still valid. ``grace`` seconds are
    added for clock skew between app replicas. Redis errors become ``StoreError``.
    """

    def __init__(self, client: aioredis.Redis, prefix: str = "ae", grace: float = 5.0) -> None:
        self.client = client
        self.prefix = prefix
        self.grace = grace

    def key(self, token_id: str) -> str:
        return f"{self.prefix}:challenge:{token_id}"

    async def first_use(self, token_id: str, expires_at: float, now: float) -> bool:
        ttl = max(1, math.ceil(expires_at - now + self.grace))
        with store_errors("replay guard"):
            created = await self.client.set(self.key(token_id), b"1", nx=True, ex=ttl)
        return bool(created)


# --- pass books -----------------------------------------------------------------------

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
