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
from ..risk import TRAITS, Assessment, RiskInput, RiskModel
from .base import NO_SIGNAL, Store, StoreError


def _script(name: str) -> str:
    return resources.files(__package__).joinpath(name).read_text("utf-8")


def _f(value: bytes | str | int | float) -> float:
    return float(value.decode() if isinstance(value, bytes) else value)


# Hash field -> risk.Profile attribute (short names keep every account's hash small).
_PROFILE_FIELDS = {
    "fs": "first_seen", "ls": "last_seen", "gm": "gap_mean", "gv": "gap_var", "gn": "gaps",
    "pe": "elicit", "pf": "focus", "ps": "single", "pt": "template", "px": "extract",
    "dom": "dominant", "lsk": "last_skeleton", "hd": "hours_day", "hc": "hours_cur",
    "hp": "hours_prev", "dc": "day_count", "ra": "acute", "rt": "acute_ts",
}  # fmt: skip
_TEXT = {"dominant", "last_skeleton"}


def _num(value: str | None) -> float | int | None:
    if value is None:
        return None
    number = float(value)
    return int(number) if number.is_integer() and "." not in value and "e" not in value else number


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
        allowed, tokens, wait, denied, risk, youth = reply[:6]
        n = len(TRAITS)
        assessment = Assessment(
            risk=_f(risk),
            youth=_f(youth),
            shares=tuple(_f(x) for x in reply[6 : 6 + n]),
            acute=_f(reply[6 + n]),
            age=_f(reply[7 + n]),
            day_count=int(reply[8 + n]),
        )
        return Outcome(bool(allowed), _f(tokens), _f(wait), denied.decode() or None, assessment)

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
        factor = _f(data.get("rf", 1))
        tokens = (
            refill(_f(data["t"]), _f(data["u"]), now, self.limits, factor) if "t" in data else None
        )
        profile = None
        if "fs" in data:
            profile = {
                name: (data.get(short, "") if name in _TEXT else _num(data.get(short)))
                for short, name in _PROFILE_FIELDS.items()
            }
        return {
            "tokens": tokens,
            "updated": _f(data["u"]) if "u" in data else None,
            "windows": windows,
            "profile": profile,
            "blocked_until": _f(data["bl"]) if _f(data.get("bl", 0)) else None,
        }

    async def block(self, account: str, until: float, now: float) -> None:
        key = self.account_key(account)
        try:
            async with self.client.pipeline(transaction=True) as pipe:
                pipe.hset(key, "bl", repr(float(until)))
                pipe.expire(key, max(self.limits.account_ttl, int(until - now) + 60))
                await pipe.execute()
        except (RedisError, OSError) as exc:
            raise StoreError(str(exc)) from exc

    async def reset(self, account: str) -> None:
        await self.client.delete(self.account_key(account))

    async def close(self) -> None:
        await self.flush()
        await self.client.aclose()
