"""Per-account evidence in the intelligence plane: records folded into each account's
``model.evidence`` state, and **account verdicts** published beside the cohort verdicts.

The request plane reads an account's evidence from the verdict cache (one dict lookup,
``VerdictCache.account``); it never folds anything. An account verdict exists only while
the account's score is past the model's ``offset`` (below it the ladder reads nothing),
so the published set is the suspicious accounts, not every account; it carries the
per-kind totals (the audit names the kinds) and the time they were reached, so a replica
ages the score itself, and it expires when the score has decayed to ``offset``.

Both analysers use ``fold_account`` arithmetic: the memory one in Python (``AccountTable``),
the Redis one with ``evidence.lua`` (one call per account and batch, atomic; keys
``<prefix>:{ie:<account>}``, hash-tagged, TTL the model's ``ttl``), which transcribes
``model.evidence.kinds_shown`` and ``observe``. A record's subnet is its ``n:`` cohort key,
hashed (``net_hash``): no address is stored.
"""

from __future__ import annotations

import math
import struct
from collections import OrderedDict
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import resources
from typing import TYPE_CHECKING, Any

import orjson
import xxhash

from ..model import evidence as ev
from ..model.evidence import Evidence, EvidenceModel
from ..model.risk import DAY, EXTRACT, SINGLE
from .records import Record

if TYPE_CHECKING:
    from ..store.redis import RedisStore

PREFIX = "a:"  # an account verdict's field in the verdict hash (cohort keys are t:/l:/n:/c:)
CHANGE = 0.01  # a verdict is published again when a total moved by more than this
STATE_VERSION = 2  # 2: four kinds (reason added); a version-1 state is upgraded in place
_TOTALS = struct.Struct(f"<{1 + len(ev.KINDS)}d")  # evidence.lua's reply: t, then the totals


def net_hash(cohorts: tuple[str, ...]) -> int | None:
    """The record's subnet as a 32-bit hash (exact as a Lua double), None if it has none."""
    for key in cohorts:
        if key.startswith("n:"):
            return xxhash.xxh32_intdigest(key.encode())
    return None


@dataclass(frozen=True, slots=True)
class AccountVerdict:
    account: str  # the account's store key (a digest or an operator-given id)
    totals: tuple[float, ...]  # per kind (model.evidence.KINDS), as reached at ``t``
    t: float
    expires: float  # when the score decays to the model's offset (dropped then)

    def evidence(self, now: float, m: EvidenceModel) -> float:
        return ev.score_of(sum(self.totals), self.t, now, m)

    def reasons(self) -> tuple[str, ...]:
        return ev.reasons(self.totals)

    def encode(self) -> bytes:
        return orjson.dumps([*self.totals, self.t, self.expires])

    @staticmethod
    def decode(account: str, data: bytes) -> AccountVerdict:
        """An account verdict read back from Redis; ``ValueError`` when it is not one."""
        try:
            *totals, t, expires = (float(x) for x in orjson.loads(data))
        except (orjson.JSONDecodeError, TypeError, ValueError) as exc:
            raise ValueError(f"not an account verdict: {type(exc).__name__}") from None
        if len(totals) == len(ev.KINDS) - 1:  # published before the reason kind: read as 0,
            totals.append(0.0)  # so a rolling upgrade keeps the evidence already published
        if len(totals) != len(ev.KINDS) or not all(math.isfinite(x) for x in (*totals, t, expires)):
            raise ValueError("not an account verdict: wrong length or a number out of range")
        return AccountVerdict(account, tuple(totals), t, expires)


def judge(
    account: str, totals: tuple[float, ...], t: float, m: EvidenceModel
) -> AccountVerdict | None:
    """The verdict on an account whose totals are ``totals`` at ``t``: None below offset."""
    until = ev.relevant_until(sum(totals), t, m)
    return AccountVerdict(account, tuple(totals), t, until) if until > t else None


class AccountBook:
    """An analyser's account verdicts and which of them it has published (as
    ``verdicts.VerdictBook`` for cohorts): both analysers keep one, so both publish alike."""

    __slots__ = ("latest", "model", "published")

    def __init__(self, model: EvidenceModel) -> None:
        self.model = model
        self.latest: dict[str, AccountVerdict | None] = {}  # judged since the last changes()
        self.published: dict[str, AccountVerdict] = {}

    def judge(self, account: str, totals: tuple[float, ...], t: float) -> None:
        self.latest[account] = judge(account, totals, t, self.model)

    def adopt(self, published: Iterable[AccountVerdict]) -> None:
        self.published = {v.account: v for v in published}

    def changes(self, now: float) -> tuple[list[AccountVerdict], list[str]]:
        """(verdicts to write, accounts to remove) at ``now``; counted as published."""
        latest, self.latest = self.latest, {}
        published = self.published
        writes: list[AccountVerdict] = []
        gone: list[str] = []
        for account, v in latest.items():
            old = published.get(account)
            if v is None or v.expires <= now:
                if old is not None:
                    gone.append(account)
                    del published[account]
            elif old is None or any(
                abs(a - b) > CHANGE for a, b in zip(old.totals, v.totals, strict=True)
            ):
                writes.append(v)
                published[account] = v
        for account in [a for a, v in published.items() if v.expires <= now]:
            gone.append(account)
            del published[account]
        return writes, gone


class AccountTable:
    """The memory analyser's account states, bounded like the memory store's (least
    recently used dropped past ``max_accounts``, idle states forgotten after ``ttl``)."""

    __slots__ = ("max_accounts", "model", "states")

    def __init__(self, model: EvidenceModel, max_accounts: int = 1_000_000) -> None:
        self.model = model
        self.max_accounts = max_accounts
        self.states: OrderedDict[str, Evidence] = OrderedDict()

    def state(self, account: str, now: float) -> Evidence:
        states = self.states
        e = states.get(account)
        if e is not None and now - e.t > self.model.ttl:
            e = None
        if e is None:
            e = states[account] = Evidence()
            if len(states) > self.max_accounts:
                states.popitem(last=False)
        else:
            states.move_to_end(account)
        return e

    def analyze(self, records: Iterable[Record], book: AccountBook) -> None:
        m = self.model
        last: dict[str, Evidence] = {}
        for r in sorted(records, key=_time):
            e = self.state(r.account, r.t)
            ev.observe(e, r.t, ev.kinds_shown(r.traits, net_hash(r.cohorts), e, m), m)
            last[r.account] = e
        for account, e in last.items():
            book.judge(account, tuple(e.totals), e.t)


def state_key(prefix: str, account: str) -> str:
    return f"{prefix}:{{ie:{account}}}"


class RedisEvidence:
    """The Redis analyser's half: ``evidence.lua`` per account and batch, pipelined."""

    def __init__(self, store: RedisStore, model: EvidenceModel) -> None:
        from ..store.redis import _lua_constants

        self.store = store
        self.model = model
        m = model
        constants = _lua_constants(
            STATE_VERSION=STATE_VERSION, DAY=DAY, EXTRACT=EXTRACT, SINGLE=SINGLE,
            HARVEST_SHAPE=ev.HARVEST_SHAPE, REASON_SHAPE=ev.REASON_SHAPE,
            NETWORKS=m.networks, half_life=m.half_life, ttl=m.ttl, cap_pos=m.cap_pos,
            cap_neg=m.cap_neg, floor=m.floor, reason_cap_pos=m.reason_cap_pos,
            reason_cap_neg=m.reason_cap_neg, harvest=m.harvest, harvest_not=m.harvest_not,
            extract=m.extract, extract_not=m.extract_not, churn=m.churn,
            churn_not=m.churn_not, reason=m.reason, reason_not=m.reason_not,
        )  # fmt: skip
        text = resources.files(__package__).joinpath("evidence.lua").read_text("utf-8")
        self._fold = store.client.register_script(constants + text)

    async def fold(self, records: Iterable[Record], book: AccountBook, chunk: int) -> None:
        by_account: dict[str, list[Any]] = {}
        for r in sorted(records, key=_time):
            net = net_hash(r.cohorts)
            by_account.setdefault(r.account, []).extend(
                (repr(r.t), r.traits, -1 if net is None else net)
            )
        calls = [
            (self._fold, [state_key(self.store.prefix, a)], args) for a, args in by_account.items()
        ]
        replies: list[Any] = []
        for i in range(0, len(calls), chunk):
            replies += await self.store._pipelined(calls[i : i + chunk])
        for account, packed in zip(by_account, replies, strict=True):
            t, *totals = _TOTALS.unpack(packed)
            book.judge(account, tuple(totals), t)


def _time(r: Record) -> float:
    return r.t
