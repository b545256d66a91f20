"""The surge prior in the intelligence plane: per-hour population counts, the judgement
(``model.surge.judge``) and the **surge verdict** published beside the cohort verdicts.

Every record adds its account to its UTC hour's active accounts, and, when the account
is young and the request harvest-shaped, to the hour's young harvest-shaped accounts.
The memory analyser keeps the last hours as sets and older ones as counts
(``SurgeCounts``); the Redis analyser keeps two HyperLogLogs per hour,
``<prefix>:{su}:a:<hour>`` and ``<prefix>:{su}:y:<hour>`` (members: 8-byte account
digests, never the key), with a TTL of the window on every write, written with plain
``PFADD`` / ``EXPIRE`` in one pipeline and read back with ``PFCOUNT`` (``RedisSurge``);
hours that can no longer change are read once. Both judge the same counts with the same
pure function, so both publish the same verdict.

A verdict is one field of the verdict hash, ``s:population``: what surged (the hour, the
young harvest-shaped accounts in it, the active accounts, the baseline's expectation),
since when, and its expiry. It is published again only when it starts, ends, or moves to
another hour, so a surge does not make every replica re-read the verdicts on every new
account.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import orjson

from ..model import surge as sm
from ..model.cohorts import account_hash
from ..model.surge import HARVEST_SHAPE, HOUR, SurgeModel, SurgeState
from .records import Record

if TYPE_CHECKING:
    from ..store.redis import RedisStore

FIELD = "s:population"  # the surge verdict's field in the verdict hash
MAX_COUNT = 2**53  # counts and hours a verdict may carry (exact as doubles, JSON-safe)
LAST_TIME = 253_402_300_799.0  # 9999-12-31T23:59:59Z: a time an audit event can print
OPEN_HOURS = 3  # hours still counted as sets (memory) / read again (Redis): late records


@dataclass(frozen=True, slots=True)
class SurgeVerdict:
    hour: int
    young_harvest: int
    accounts: int
    expected: float
    since: float  # the start (seconds) of the first hour of the surge
    expires: float

    def encode(self) -> bytes:
        return orjson.dumps(
            [self.hour, self.young_harvest, self.accounts, self.expected, self.since, self.expires]
        )

    @staticmethod
    def decode(data: bytes) -> SurgeVerdict:
        """A surge verdict read back from Redis; ``ValueError`` when it is not one."""
        try:
            hour, y, a, expected, since, until = orjson.loads(data)
            counts = [int(hour), int(y), int(a)]
            numbers = [float(expected), float(since), float(until)]
        except (orjson.JSONDecodeError, TypeError, ValueError) as exc:
            raise ValueError(f"not a surge verdict: {type(exc).__name__}") from None
        if min(counts) < 0 or not all(math.isfinite(x) and x >= 0 for x in numbers):
            raise ValueError("not a surge verdict: a number out of range")
        if max(counts) > MAX_COUNT or counts[0] * HOUR > LAST_TIME:  # written by no analyser:
            raise ValueError("not a surge verdict: a number out of range")  # orjson, dates
        hour = counts[0] * HOUR
        if not numbers[1] <= hour + HOUR or not hour < numbers[2] <= hour + 2 * HOUR:
            raise ValueError("not a surge verdict: its times do not fit its hour")
        return SurgeVerdict(*counts, *numbers)

    def audit(self) -> dict[str, Any]:
        """As the audit event, ``inspect`` and the report name it (stable keys)."""
        return {
            "since": self.since,
            "hour": self.hour * HOUR,
            "young_harvest": self.young_harvest,
            "expected": round(self.expected, 2),
            "accounts": self.accounts,
        }


def verdict_of(s: SurgeState | None) -> SurgeVerdict | None:
    if s is None:
        return None
    return SurgeVerdict(
        s.hour, s.young_harvest, s.accounts, s.expected, float(s.since * HOUR), sm.expires(s)
    )


def member(r: Record) -> bool:
    """Counted among the hour's young harvest-shaped accounts."""
    return r.young and r.traits & HARVEST_SHAPE == HARVEST_SHAPE


class SurgeBook:
    """The analyser's surge verdict and what it published of it (as ``VerdictBook``)."""

    __slots__ = ("latest", "published")

    def __init__(self) -> None:
        self.latest: SurgeVerdict | None = None
        self.published: SurgeVerdict | None = None

    def judge(self, counts: dict[int, tuple[int, int]], now: float, m: SurgeModel) -> None:
        self.latest = verdict_of(sm.judge(counts, int(now // HOUR), m))

    def adopt(self, published: SurgeVerdict | None) -> None:
        self.published = published

    def change(self, now: float) -> tuple[bool, SurgeVerdict | None]:
        """(whether to write, the verdict to write: None removes it); counted as published."""
        new = self.latest if self.latest is not None and self.latest.expires > now else None
        old = self.published
        if new is None:
            if old is None:
                return False, None
            self.published = None  # ended (or expired): the field leaves the hash
            return True, None
        if old is None or old.expires <= now or (new.hour, new.since) != (old.hour, old.since):
            self.published = new
            return True, new
        return False, None


class SurgeCounts:
    """The memory analyser's hourly counts: sets for the open hours, counts for the rest,
    none older than the window."""

    __slots__ = ("closed", "model", "open")

    def __init__(self, model: SurgeModel) -> None:
        self.model = model
        self.open: dict[int, tuple[set[str], set[str]]] = {}
        self.closed: dict[int, tuple[int, int]] = {}

    def add(self, records: list[Record]) -> None:
        for r in records:
            hour = int(r.t // HOUR)
            sets = self.open.get(hour)
            if sets is None:
                if hour in self.closed:  # later than its hour can change: as Redis, dropped
                    continue
                sets = self.open[hour] = (set(), set())
            sets[1].add(r.account)
            if member(r):
                sets[0].add(r.account)

    def counts(self, now: float) -> dict[int, tuple[int, int]]:
        hour = int(now // HOUR)
        for h in [h for h in self.open if h <= hour - OPEN_HOURS]:
            y, a = self.open.pop(h)
            self.closed[h] = (len(y), len(a))
        oldest = hour - self.model.window_hours - OPEN_HOURS
        for h in [h for h in self.closed if h < oldest]:
            del self.closed[h]
        out = dict(self.closed)
        out.update((h, (len(y), len(a))) for h, (y, a) in self.open.items())
        return out


def hll_keys(prefix: str, hour: int) -> tuple[str, str]:
    """(young harvest-shaped, active) HyperLogLogs of one hour."""
    return f"{prefix}:{{su}}:y:{hour}", f"{prefix}:{{su}}:a:{hour}"


class RedisSurge:
    """The Redis analyser's half: plain commands in one pipeline per round."""

    def __init__(self, store: RedisStore, model: SurgeModel) -> None:
        self.store = store
        self.model = model
        self.closed: dict[int, tuple[int, int]] = {}  # hours read once they could not change

    async def fold(self, records: list[Record]) -> None:
        by_hour: dict[int, tuple[dict[bytes, None], dict[bytes, None]]] = {}
        digests: dict[str, bytes] = {}
        for r in records:
            d = digests.get(r.account)
            if d is None:
                d = digests[r.account] = account_hash(r.account).to_bytes(8, "big")
            y, a = by_hour.setdefault(int(r.t // HOUR), ({}, {}))
            a[d] = None
            if member(r):
                y[d] = None
        if not by_hour:
            return
        ttl = (self.model.window_hours + OPEN_HOURS + 1) * HOUR
        prefix = self.store.prefix
        async with self.store.client.pipeline(transaction=False) as pipe:
            for hour, (y, a) in by_hour.items():
                y_key, a_key = hll_keys(prefix, hour)
                pipe.pfadd(a_key, *a)
                pipe.expire(a_key, ttl)
                if y:
                    pipe.pfadd(y_key, *y)
                    pipe.expire(y_key, ttl)
            await pipe.execute()

    async def counts(self, now: float) -> dict[int, tuple[int, int]]:
        hour = int(now // HOUR)
        first = hour - self.model.window_hours
        for h in [h for h in self.closed if h < first]:
            del self.closed[h]
        wanted = [h for h in range(first, hour + 1) if h not in self.closed]
        prefix = self.store.prefix
        keys = [key for h in wanted for key in hll_keys(prefix, h)]
        client = self.store.client
        if self.store.per_slot_calls:  # redis-py's Cluster pipeline refuses PFCOUNT
            replies = [await client.pfcount(key) for key in keys]
        else:
            async with client.pipeline(transaction=False) as pipe:
                for key in keys:
                    pipe.pfcount(key)
                replies = await pipe.execute()
        out = dict(self.closed)
        for i, h in enumerate(wanted):
            y, a = int(replies[2 * i]), int(replies[2 * i + 1])
            out[h] = (y, a)
            if h <= hour - OPEN_HOURS:
                self.closed[h] = (y, a)
        return {h: c for h, c in out.items() if c != (0, 0)}
