"""Redis store: one Lua script call per request, so one round trip on the hot path.

Keys are ``<prefix>:{a:<digest>}`` for an account and ``<prefix>:{i:<digest>}`` for an IP.
Digests make any account id safe as a key; the braces are Redis Cluster hash tags, so
everything of one account stays in one slot. Every write sets a TTL.

Settlements are queued and written together in one pipeline at the next turn of the
event loop, so they never add a round trip to a request and batch under load.
"""

from __future__ import annotations

import asyncio
import struct
from importlib import resources
from typing import Any

import redis.asyncio as aioredis
from redis.exceptions import RedisError

from ..bucket import Limits, Outcome, refill
from ..risk import TRAITS, Assessment, RiskInput, RiskModel
from .base import NO_SIGNAL, Store, StoreError


def _script(name: str) -> str:
    return resources.files(__package__).joinpath(name).read_text("utf-8")


def _f(value: bytes | str | int | float) -> float:
    return float(value.decode() if isinstance(value, bytes) else value)


# Positions in the packed state array (evaluate.lua's layout) -> risk.Profile attribute.
_STATE = (
    "version", "t", "u", "rf", "first_seen", "last_seen", "gap_mean", "gap_var", "gaps",
    "elicit", "focus", "single", "template", "extract", "dominant", "last_skeleton",
    "hours_day", "hours_cur", "hours_prev", "day_count", "acute", "acute_ts", "bl",
)  # fmt: skip
_TEXT = {"dominant", "last_skeleton"}
_REPLY = struct.Struct("<13d")  # evaluate.lua's packed numbers
_INTS = {"gaps", "hours_day", "hours_cur", "hours_prev", "day_count"}


class RedisStore(Store):
    def __init__(
        self,
        limits: Limits,
        client: aioredis.Redis,
        prefix: str = "ae",
        model: RiskModel | None = None,
    ) -> None:
        super().__init__(limits, model)
        self.client = client
        self.prefix = prefix
        self._evaluate = client.register_script(_script("evaluate.lua"))
        self._settle = client.register_script(_script("settle.lua"))
        self._admin = client.register_script(_script("admin.lua"))
        m = self.model
        static: list[Any] = [limits.capacity, limits.refill, limits.account_ttl, limits.ip_ttl]
        static += [limits.block_at, limits.block_seconds]
        static += [*m.weights, m.alpha, m.youth_days, m.acute_half_life, m.acute_cap]
        static += [m.sweep_weight, m.slow_above, m.slow_scale, m.acute_alpha]
        for group in (limits.account, limits.ip):
            static.append(len(group))
            for w in group:
                static += [w.amount, w.seconds]
        self._static_args = static
        self._pending: dict[str, list[float]] = {}
        self._flushing: asyncio.Task[None] | None = None

    @classmethod
    def from_url(
        cls,
        url: str,
        limits: Limits,
        prefix: str = "ae",
        timeout: float = 0.25,
        model: RiskModel | None = None,
    ) -> RedisStore:
        client = aioredis.Redis.from_url(
            url,
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
            retry_on_timeout=False,
        )
        return cls(limits, client, prefix, model)

    def account_key(self, account: str) -> str:
        return f"{self.prefix}:{{a:{account}}}"

    def ip_key(self, ip: str) -> str:
        return f"{self.prefix}:{{i:{ip}}}"

    async def evaluate(
        self, account: str, ip: str, cost: float, now: float, signal: RiskInput = NO_SIGNAL
    ) -> Outcome:
        created = "" if signal.created_at is None else signal.created_at
        args = [now, cost, signal.traits, signal.acute, signal.skeleton, created, signal.tier]
        try:
            reply = await self._evaluate(
                keys=[self.account_key(account), self.ip_key(ip)],
                args=args + self._static_args,
                client=self.client,
            )
        except (TimeoutError, RedisError, OSError) as exc:
            raise StoreError(f"redis evaluate failed: {type(exc).__name__}: {exc}") from exc
        allowed, denied, packed, day_count = reply
        tokens, wait, risk, youth, *rest = _REPLY.unpack(packed)
        n = len(TRAITS)
        assessment = Assessment(risk, youth, tuple(rest[:n]), rest[n], rest[n + 1], day_count)
        return Outcome(bool(allowed), tokens, wait, denied.decode() or None, assessment)

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
            raw = await self._admin(
                keys=[self.account_key(account)], args=["read"], client=self.client
            )
        except (RedisError, OSError) as exc:
            raise StoreError(str(exc)) from exc
        if not raw:
            return None
        values = [x.decode() for x in raw]
        state = dict(zip(_STATE, values, strict=False))
        quads = [int(float(x)) for x in values[len(_STATE) :]]
        windows = {f"w{quads[i]}": quads[i + 1 : i + 4] for i in range(0, len(quads), 4)}
        tokens = None
        if state["t"] and state["u"]:
            tokens = refill(
                float(state["t"]), float(state["u"]), now, self.limits, float(state["rf"])
            )
        profile = None
        if state["first_seen"]:
            profile = {}
            for name in _STATE[4:-1]:
                value = state[name]
                if name in _TEXT:
                    profile[name] = value
                elif value == "":
                    profile[name] = None
                else:
                    profile[name] = int(float(value)) if name in _INTS else float(value)
        return {
            "tokens": tokens,
            "updated": float(state["u"]) if state["u"] else None,
            "windows": windows,
            "profile": profile,
            "blocked_until": float(state["bl"]) if float(state["bl"] or 0) else None,
        }

    async def block(self, account: str, until: float, now: float) -> None:
        ttl = max(self.limits.account_ttl, int(until - now) + 60)
        try:
            await self._admin(
                keys=[self.account_key(account)], args=["block", until, ttl], client=self.client
            )
        except (RedisError, OSError) as exc:
            raise StoreError(str(exc)) from exc

    async def reset(self, account: str) -> None:
        await self.client.delete(self.account_key(account))

    async def close(self) -> None:
        await self.flush()
        await self.client.aclose()
