"""Redis store: one Lua script call per request, so one round trip on the hot path.

Keys are ``<prefix>:{a:<digest>}`` for an account and ``<prefix>:{i:<digest>}`` for an IP.
Digests make any account id safe as a key; the braces are Redis Cluster hash tags, so
everything of one account stays in one slot. Every write sets a TTL.

Settlements are queued and written together in one pipeline at the next turn of the
event loop, so they never add a round trip to a request and batch under load.
"""

from __future__ import annotations

import asyncio
from importlib import resources
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from ..bucket import Limits, Outcome, refill
from .base import Store, StoreError


def _script(name: str) -> str:
    return resources.files(__package__).joinpath(name).read_text("utf-8")


def _f(value: bytes | str | int | float) -> float:
    return float(value.decode() if isinstance(value, bytes) else value)


class RedisStore(Store):
    def __init__(
        self,
        limits: Limits,
        client: aioredis.Redis,
        prefix: str = "ae",
    ) -> None:
        super().__init__(limits)
        self.client = client
        self.prefix = prefix
        self._evaluate = client.register_script(_script("evaluate.lua"))
        self._settle = client.register_script(_script("settle.lua"))
        static: list[Any] = [limits.capacity, limits.refill, limits.account_ttl, limits.ip_ttl]
        for group in (limits.account, limits.ip):
            static.append(len(group))
            for w in group:
                static += [w.amount, w.seconds]
        self._static_args = static
        self._pending: dict[str, list[float]] = {}
        self._flushing: asyncio.Task[None] | None = None

    @classmethod
    def from_url(
        cls, url: str, limits: Limits, prefix: str = "ae", timeout: float = 0.25
    ) -> RedisStore:
        client = aioredis.Redis.from_url(
            url,
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
            retry_on_timeout=False,
        )
        return cls(limits, client, prefix)

    def account_key(self, account: str) -> str:
        return f"{self.prefix}:{{a:{account}}}"

    def ip_key(self, ip: str) -> str:
        return f"{self.prefix}:{{i:{ip}}}"

    async def evaluate(self, account: str, ip: str, cost: float, now: float) -> Outcome:
        try:
            allowed, tokens, wait, denied = await self._evaluate(
                keys=[self.account_key(account), self.ip_key(ip)],
                args=[now, cost, *self._static_args],
                client=self.client,
            )
        except (TimeoutError, RedisError, OSError) as exc:
            raise StoreError(f"redis evaluate failed: {type(exc).__name__}: {exc}") from exc
        return Outcome(bool(allowed), _f(tokens), _f(wait), denied.decode() or None)

    async def settle(self, account: str, delta: float, now: float) -> None:
        entry = self._pending.get(account)
        if entry is None:
            self._pending[account] = [delta, now]
        else:
            entry[0] += delta
            entry[1] = max(entry[1], now)
        if self._flushing is None or self._flushing.done():
            self._flushing = asyncio.get_running_loop().create_task(self._flush_pending())

    async def _flush_pending(self) -> None:
        await asyncio.sleep(0)  # let the settlements of this loop turn join the batch
        while self._pending:
            batch, self._pending = self._pending, {}
            limits = self.limits
            try:
                async with self.client.pipeline(transaction=False) as pipe:
                    for account, (delta, now) in batch.items():
                        await self._settle(
                            keys=[self.account_key(account)],
                            args=[now, delta, limits.capacity, limits.refill, limits.account_ttl],
                            client=pipe,
                        )
                    await pipe.execute()
            except (TimeoutError, RedisError, OSError):
                # Settlement is a correction; losing one leaves the up-front estimate charged.
                return

    async def flush(self) -> None:
        while self._flushing is not None and not self._flushing.done():
            await asyncio.shield(self._flushing)

    async def account_state(self, account: str, now: float) -> dict[str, Any] | None:
        try:
            raw = await self.client.hgetall(self.account_key(account))
        except (RedisError, OSError) as exc:
            raise StoreError(str(exc)) from exc
        if not raw:
            return None
        data = {k.decode(): v.decode() for k, v in raw.items()}
        windows = {
            f"w{s}": [int(_f(data.get(f"{f}{s}", 0))) for f in ("ws", "wc", "wp")]
            for s in (k[2:] for k in data if k.startswith("wc"))
        }
        tokens = refill(_f(data["t"]), _f(data["u"]), now, self.limits) if "t" in data else None
        return {
            "tokens": tokens,
            "updated": _f(data["u"]) if "u" in data else None,
            "windows": windows,
        }

    async def reset(self, account: str) -> None:
        await self.client.delete(self.account_key(account))

    async def close(self) -> None:
        await self.flush()
        await self.client.aclose()
