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
from redis.exceptions import ConnectionError as RedisConnectionError
from redis.exceptions import NoScriptError, RedisError

from ..bucket import Limits, Outcome, refill
from ..cohorts import CohortInput, CohortModel, CohortView
from ..risk import TRAITS, Assessment, RiskInput, RiskModel
from .base import NO_SIGNAL, Store, StoreError
from .resp import FastScriptClient, RespError


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
_COHORT_REPLY = struct.Struct("<3d")  # cohort.lua's: score, harvest, retry_after
_INTS = {"gaps", "hours_day", "hours_cur", "hours_prev", "day_count"}


class RedisStore(Store):
    def __init__(
        self,
        limits: Limits,
        client: aioredis.Redis,
        prefix: str = "ae",
        model: RiskModel | None = None,
        cohort_model: CohortModel | None = None,
        fast: FastScriptClient | None = None,
        per_slot_calls: bool = False,
    ) -> None:
        super().__init__(limits, model, cohort_model)
        self.client = client
        self.fast = fast
        self.per_slot_calls = per_slot_calls  # Redis Cluster: one script call per slot
        self.prefix = prefix
        self._evaluate = client.register_script(_script("evaluate.lua"))
        self._settle = client.register_script(_script("settle.lua"))
        self._admin = client.register_script(_script("admin.lua"))
        self._cohort = client.register_script(_script("cohort.lua"))
        cm = self.cohort_model
        self._cohort_static = [
            cm.min_young, cm.full_young, cm.min_young_share, cm.min_harvest, cm.weight,
            cm.half_life, cm.bucket_capacity, cm.bucket_refill, cm.ttl,
        ]  # fmt: skip
        m = self.model
        static: list[Any] = [limits.capacity, limits.refill, limits.account_ttl, limits.ip_ttl]
        static += [limits.block_at, limits.block_seconds]
        static += [*m.weights, m.alpha, m.youth_days, m.acute_half_life, m.acute_cap]
        static += [m.sweep_weight, m.slow_above, m.slow_scale, m.acute_alpha]
        static += [m.profile_half_life]
        for group in (limits.account, limits.ip):
            static.append(len(group))
            for w in group:
                static += [w.amount, w.seconds]
        self._static_args = static
        self._fast_evaluate = self._fast_cohort = None
        if fast is not None:
            ev, co = self._evaluate, self._cohort
            self._fast_evaluate = fast.prepare(ev.sha, ev.script, static)
            self._fast_cohort = fast.prepare(co.sha, co.script, self._cohort_static)
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
        cohort_model: CohortModel | None = None,
    ) -> RedisStore:
        client = aioredis.Redis.from_url(
            url,
            socket_timeout=timeout,
            socket_connect_timeout=timeout,
            retry_on_timeout=False,
        )
        fast = None
        if url.split("://", 1)[0] in ("redis", "rediss", "unix"):
            # the hot path's one script call, on a lean client (~80 µs less than redis-py)
            fast = FastScriptClient.from_url(url, timeout)
        return cls(limits, client, prefix, model, cohort_model, fast)

    def account_key(self, account: str) -> str:
        return f"{self.prefix}:{{a:{account}}}"

    def ip_key(self, ip: str) -> str:
        return f"{self.prefix}:{{i:{ip}}}"

    def cohort_keys(self, key: str, day: int) -> list[str]:
        """State, then the HyperLogLogs of accounts and young accounts for today and
        yesterday; the hash tag keeps all of a cohort's keys in one Cluster slot."""
        base = f"{self.prefix}:{{c:{key}}}"
        return [base, f"{base}:a:{day}", f"{base}:a:{day - 1}", f"{base}:y:{day}",
                f"{base}:y:{day - 1}"]  # fmt: skip

    async def evaluate(
        self,
        account: str,
        ip: str,
        cost: float,
        now: float,
        signal: RiskInput = NO_SIGNAL,
        cohort: CohortInput | None = None,
    ) -> Outcome:
        created = "" if signal.created_at is None else signal.created_at
        args = [now, cost, signal.traits, signal.acute, signal.skeleton, created, signal.tier]
        keys = [self.account_key(account), self.ip_key(ip)]
        views: tuple[CohortView, ...] = ()
        try:
            fast = self._fast_evaluate
            if cohort is None or not cohort.keys:
                if fast is not None:
                    reply = await fast(keys, args)
                else:
                    reply = await self._evaluate(
                        keys=keys, args=args + self._static_args, client=self.client
                    )
            else:
                day = int(now // 86_400)
                cargs = [now, account, int(cohort.young), cohort.traits, cost]
                # One cohort call per slot on Cluster; on a single Redis all cohorts in one.
                groups = (
                    [self.cohort_keys(k, day) for k in cohort.keys]
                    if self.per_slot_calls
                    else [[key for k in cohort.keys for key in self.cohort_keys(k, day)]]
                )
                if fast is not None and self.fast is not None:
                    calls = [(fast, keys, args)]
                    calls += [(self._fast_cohort, group, cargs) for group in groups]
                    replies = await self.fast.run_many(calls)
                else:
                    calls = [(self._evaluate, keys, args + self._static_args)]
                    calls += [(self._cohort, g, cargs + self._cohort_static) for g in groups]
                    replies = await self._pipelined(calls)
                reply = replies[0]
                folded = [view for group in replies[1:] for view in group]
                views = tuple(_cohort_view(k, r) for k, r in zip(cohort.keys, folded, strict=True))
        except (TimeoutError, RedisError, RespError, OSError) as exc:
            raise StoreError(f"redis evaluate failed: {type(exc).__name__}: {exc}") from exc
        allowed, denied, packed, day_count = reply
        tokens, wait, risk, youth, *rest = _REPLY.unpack(packed)
        n = len(TRAITS)
        assessment = Assessment(risk, youth, tuple(rest[:n]), rest[n], rest[n + 1], day_count)
        return Outcome(bool(allowed), tokens, wait, denied.decode() or None, assessment, views)

    async def _pipelined(self, calls: list[tuple[Any, list[str], list[Any]]]) -> list[Any]:
        """Several script calls in one round trip. EVALSHA directly (redis-py's pipeline
        would first ask SCRIPT EXISTS: a second round trip); on NOSCRIPT, after a Redis
        restart or SCRIPT FLUSH, load the scripts and send the batch once more."""
        for attempt in (0, 1):
            async with self.client.pipeline(transaction=False) as pipe:
                for script, keys, args in calls:
                    pipe.evalsha(script.sha, len(keys), *keys, *args)
                results = await pipe.execute(raise_on_error=False)
            if attempt == 0 and any(isinstance(r, NoScriptError) for r in results):
                for script in {id(c[0]): c[0] for c in calls}.values():
                    await self.client.script_load(script.script)
                continue
            for result in results:
                if isinstance(result, Exception):
                    raise result
            return results
        raise StoreError("scripts could not be loaded")  # pragma: no cover

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
            calls = [
                (
                    self._settle,
                    [self.account_key(account)],
                    [now, delta, limits.capacity, limits.refill, limits.account_ttl],
                )
                for account, (delta, now) in batch.items()
            ]
            for attempt in (0, 1):
                try:
                    await self._pipelined(calls)
                    break
                except (TimeoutError, RedisError, OSError) as exc:
                    # A pooled connection the server closed (restart, idle timeout) fails
                    # once and is replaced: try the batch once more. After that, settlement
                    # is a correction; losing it leaves the up-front estimate charged.
                    if attempt or not isinstance(exc, ConnectionError | RedisConnectionError):
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
        if self.fast is not None:
            await self.fast.aclose()

    async def cohorts(self, now: float, batch: int = 500) -> list[dict[str, Any]]:
        """Every cohort stored under this prefix, read-only, for operator tools (never on
        the hot path): SCAN for the state keys, then ``cohort_read.lua`` per cohort, ``batch``
        calls per round trip. Per cohort: id, kind, distinct accounts and young accounts
        (the larger of today's and yesterday's, as cohort.lua counts them), request count and
        trait counts decayed to ``now`` with the trait shares, harvest, campaign score
        (``cohorts.campaign_score``), last seen, and the shared bucket's level (None until
        the cohort has been a campaign). Sorted by score, then accounts, largest first (ties:
        template, band, subnet, client).
        On Redis Cluster, SCAN covers the node the client is connected to."""
        from ..cohorts import campaign_score, harvest

        read = getattr(self, "_cohort_read", None)
        if read is None:
            read = self._cohort_read = self.client.register_script(_script("cohort_read.lua"))
        head = f"{self.prefix}:{{c:"
        day = int(now // 86_400)
        names: list[str] = []
        replies: list[Any] = []
        try:
            async for raw in self.client.scan_iter(match=head + "*", count=1_000):
                name = raw.decode() if isinstance(raw, bytes) else str(raw)
                if name.endswith("}"):  # the state; the HyperLogLogs end in ":a:<day>" etc.
                    names.append(name[len(head) : -1])
            names = sorted(set(names))  # SCAN may return a key twice
            for i in range(0, len(names), batch):
                calls = [(read, self.cohort_keys(k, day), []) for k in names[i : i + batch]]
                replies += await self._pipelined(calls)
        except (TimeoutError, RedisError, OSError) as exc:
            raise StoreError(f"redis cohort read failed: {type(exc).__name__}: {exc}") from exc
        m = self.cohort_model
        kinds = {"t": "template", "l": "band", "n": "subnet", "c": "client"}
        out = []
        for key, reply in zip(names, replies, strict=True):
            values = [x.decode() if isinstance(x, bytes) else str(x) for x in reply]
            if len(values) < 10 or not values[2] or not values[7]:
                continue  # expired between SCAN and read
            accounts, young = int(values[0]), int(values[1])
            nums = [float(x) if x else None for x in values[2:10]]
            requests, elicit, focus, single, extract, ts, tokens, tokens_ts = nums
            assert requests is not None and ts is not None
            traits = {
                "elicit": elicit or 0.0,
                "focus": focus or 0.0,
                "single": single or 0.0,
                "extract": extract or 0.0,
            }
            h = harvest(requests, *traits.values())
            d = 0.5 ** (max(0.0, now - ts) / m.half_life)
            level = None
            if tokens is not None and tokens_ts is not None:
                elapsed = max(0.0, now - tokens_ts)
                level = min(m.bucket_capacity, tokens + elapsed * m.bucket_refill)
            out.append(
                {
                    "cohort": key,
                    "kind": kinds.get(key[:1], "other"),
                    "accounts": accounts,
                    "young": young,
                    "requests": requests * d,
                    "shares": {
                        k: (v / requests if requests > 0 else 0.0) for k, v in traits.items()
                    },
                    "harvest": h,
                    "score": campaign_score(accounts, young, h, m),
                    "last_seen": ts,
                    "bucket_tokens": level,
                }
            )
        rank = {kind: i for i, kind in enumerate(kinds.values())}  # most specific first
        out.sort(key=lambda c: (-c["score"], -c["accounts"], rank.get(c["kind"], 9), c["cohort"]))
        return out


def _cohort_view(key: str, reply: list[Any]) -> CohortView:
    allowed, accounts, young, packed = reply
    score, harvest, wait = _COHORT_REPLY.unpack(packed)
    return CohortView(key, score, int(accounts), int(young), harvest, bool(allowed), wait)
