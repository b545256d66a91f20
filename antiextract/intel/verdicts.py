"""Verdicts: the analyser's answer to "is this cohort a campaign?", and the cache every
replica reads them from on the request path.

A verdict names one flagged cohort key and carries what policy reads of a cohort
(``CohortView``): score, distinct accounts and young accounts, harvest shape. It expires
``ttl`` seconds after the last record that renewed it, so with the analyser down the
replicas act on the last verdicts for that long and then on none (never on stale ones
for ever). The cache's ``lookup`` is pure dict work: the request path never waits on I/O
for it; refreshing it is the intelligence plane's business, in the background.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING

import orjson
import xxhash

from ..model.cohorts import CohortView

if TYPE_CHECKING:
    from .evidence_fold import AccountVerdict
    from .surge import SurgeVerdict

# A verdict is published again (renewed in Redis, bumping the version every replica
# polls) only when it changed by more than this share or a quarter of its lifetime has
# passed since: a campaign's every batch would otherwise make every replica re-read all
# verdicts every refresh.
REPUBLISH_CHANGE = 0.01
REPUBLISH_AGE = 0.25


def campaign_id(key: str) -> str:
    """A short printable id for the campaign a cohort key names (stable across replicas
    and restarts: logs and the audit name a campaign without naming its template)."""
    return xxhash.xxh64_hexdigest(key.encode())[:12]


@dataclass(frozen=True, slots=True)
class Verdict:
    key: str  # the cohort key flagged ("t:", "l:", "n:", "c:")
    campaign: str  # campaign_id(key)
    score: float  # cohorts.campaign_score
    accounts: int
    young: int
    harvest: float
    flagged_at: float  # first flagged (kept across renewals)
    expires: float  # dropped unless renewed by then

    def view(self, allowed: bool = True, retry_after: float = 0.0) -> CohortView:
        """As policy reads a cohort; ``allowed``/``retry_after``: the campaign's shared
        bucket, which the request plane charges."""
        return CohortView(
            self.key, self.score, self.accounts, self.young, self.harvest, allowed, retry_after
        )

    def encode(self) -> bytes:
        return orjson.dumps(
            [self.score, self.accounts, self.young, self.harvest, self.flagged_at, self.expires]
        )

    @staticmethod
    def decode(key: str, data: bytes) -> Verdict:
        """A verdict read back from Redis; ``ValueError`` when it is not one."""
        try:
            score, accounts, young, harvest, flagged_at, expires = orjson.loads(data)
            numbers = [float(x) for x in (score, harvest, flagged_at, expires)]
            counts = [int(accounts), int(young)]
        except (orjson.JSONDecodeError, TypeError, ValueError) as exc:
            raise ValueError(f"not a verdict: {type(exc).__name__}") from None
        if not all(math.isfinite(x) for x in numbers) or min(counts) < 0:
            raise ValueError("not a verdict: a number out of range")
        score, harvest, flagged_at, expires = numbers
        return Verdict(key, campaign_id(key), score, *counts, harvest, flagged_at, expires)


def judge(
    key: str,
    counts: tuple[int, int, float, float],
    t: float,
    previous: Verdict | None,
    ttl: float,
) -> Verdict | None:
    """The verdict on a cohort after a record at ``t`` left it with ``counts`` (accounts,
    young, harvest, score; ``cohorts.fold_counts``): None when it is no campaign."""
    accounts, young, harvest, score = counts
    if score <= 0:
        return None
    flagged_at = t if previous is None or previous.expires <= t else previous.flagged_at
    return Verdict(key, campaign_id(key), score, accounts, young, harvest, flagged_at, t + ttl)


def worth_publishing(old: Verdict | None, new: Verdict | None, ttl: float) -> bool:
    """Whether ``new`` should replace the published ``old`` (see REPUBLISH_*)."""
    if old is None or new is None:
        return old is not new
    if new.expires - old.expires >= REPUBLISH_AGE * ttl:
        return True

    def moved(a: float, b: float) -> bool:
        return abs(a - b) > REPUBLISH_CHANGE * max(abs(a), abs(b), 1e-12)

    return (
        moved(old.score, new.score)
        or moved(old.accounts, new.accounts)
        or moved(old.young, new.young)
        or moved(old.harvest, new.harvest)
    )


class VerdictBook:
    """An analyser's verdicts: the latest judgement per flagged cohort, and which of them
    it has published (``changes`` says what to write). Both analysers (memory, Redis) keep
    one, so both publish alike."""

    __slots__ = ("cleared", "latest", "published", "ttl")

    def __init__(self, ttl: float) -> None:
        self.ttl = ttl
        self.latest: dict[str, Verdict] = {}
        self.published: dict[str, Verdict] = {}
        self.cleared: set[str] = set()  # judged no campaign since the last ``changes``

    def judge(self, key: str, counts: tuple[int, int, float, float], t: float) -> None:
        previous = self.latest.get(key) or self.published.get(key)
        v = judge(key, counts, t, previous, self.ttl)
        if v is None:
            if self.latest.pop(key, None) is not None or key in self.published:
                self.cleared.add(key)
        else:
            self.latest[key] = v
            self.cleared.discard(key)

    def adopt(self, published: Iterable[Verdict]) -> None:
        """What is published as read back (another analyser may have written some)."""
        self.published = {v.key: v for v in published}

    def changes(self, now: float) -> tuple[list[Verdict], list[str]]:
        """(verdicts to write, keys to remove) at ``now``; counted as published."""
        latest, published = self.latest, self.published
        for key in [k for k, v in latest.items() if v.expires <= now]:
            del latest[key]
        writes = []
        for key, v in latest.items():
            if worth_publishing(published.get(key), v, self.ttl):
                writes.append(v)
                published[key] = v
        cleared, self.cleared = self.cleared, set()
        gone = [
            k
            for k, v in published.items()
            if k not in latest and (v.expires <= now or k in cleared)
        ]
        for key in gone:
            del published[key]
        return writes, gone


class VerdictCache:
    """One per replica: the request plane only reads it (``lookup``), the plane replaces
    it whole (``replace``) from the background. A replacement is one reference swap, so
    a lookup sees the old or the new verdicts, never a mix."""

    __slots__ = ("_by_account", "_by_key", "_surge", "refreshed_at", "version")

    def __init__(self) -> None:
        self._by_key: dict[str, Verdict] = {}
        self._by_account: dict[str, AccountVerdict] = {}  # evidence_fold: accounts past offset
        self._surge: SurgeVerdict | None = None  # intel/surge.py: the population's, if any
        self.version = 0
        self.refreshed_at = 0.0  # when the plane last confirmed (or replaced) the verdicts

    def lookup(self, keys: tuple[str, ...], now: float) -> tuple[Verdict, ...]:
        """The live verdicts on any of ``keys``, in their order."""
        by_key = self._by_key
        if not by_key:
            return ()
        found = []
        for key in keys:
            v = by_key.get(key)
            if v is not None and v.expires > now:
                found.append(v)
        return tuple(found)

    def account(self, account: str, now: float) -> AccountVerdict | None:
        """The live evidence verdict on ``account`` (one dict read), None if none."""
        v = self._by_account.get(account)
        return v if v is not None and v.expires > now else None

    def surge(self, now: float) -> SurgeVerdict | None:
        """The live surge verdict (an attribute read), None if none."""
        v = self._surge
        return v if v is not None and v.expires > now else None

    def replace(
        self,
        verdicts: Iterable[Verdict],
        version: int,
        accounts: Iterable[AccountVerdict] | None = None,
        surge: SurgeVerdict | bool | None = False,
    ) -> None:
        """``accounts`` None: the account verdicts are kept as they are; ``surge`` False:
        the surge verdict is kept as it is."""
        self._by_key = {v.key: v for v in verdicts}
        if accounts is not None:
            self._by_account = {v.account: v for v in accounts}
        if surge is not False:
            self._surge = surge  # type: ignore[assignment]
        self.version = version

    def active(self, now: float) -> int:
        """Verdicts that have not expired (the ``antiextract_intel_verdicts`` gauge)."""
        return sum(1 for v in self._by_key.values() if v.expires > now)

    def all(self) -> tuple[Verdict, ...]:
        return tuple(self._by_key.values())

    def accounts(self) -> tuple[AccountVerdict, ...]:
        return tuple(self._by_account.values())
