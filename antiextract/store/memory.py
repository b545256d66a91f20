"""The embedded store: plain dicts in this process, bounded by LRU.

Idle entries need no TTL sweep: once an account has been idle for ``Limits.account_ttl``
its state equals a fresh one's, so an entry is dropped lazily when met expired, and the
least recently used entries are dropped when ``max_keys`` is reached. Everything runs
synchronously inside one event-loop step, so concurrent requests cannot interleave
between check and take.
"""

from __future__ import annotations

import math
from collections import OrderedDict
from typing import Any

from ..model.allowlist import AllowEntry, Kind
from ..model.bucket import (
    BLOCKED,
    TOKENS,
    Limits,
    Outcome,
    WindowLimit,
    bucket_wait,
    floor_debt,
    refill,
    roll,
    take_cost,
    window_wait,
)
from ..model.campaigns import CampaignCharge, bucket_ttl, charged, take_shared
from ..model.cohorts import CohortModel, CohortView
from ..model.risk import Profile, RiskInput, RiskModel, assess, refill_factor, update_profile
from .base import NO_SIGNAL, Store


class _Entry:
    __slots__ = ("blocked_until", "factor", "profile", "seen", "tokens", "ts", "windows")

    def __init__(self) -> None:
        self.tokens: float | None = None
        self.ts: float | None = None
        self.seen = 0.0
        self.windows: dict[int, tuple[int, int, int]] = {}  # seconds -> (start, cur, prev)
        self.profile: Profile | None = None
        self.factor = 1.0  # refill factor from the latest risk assessment
        self.blocked_until = 0.0


class MemoryStore(Store):
    refunds_when_cancelled = True  # evaluate() has no await inside: it cannot stop midway

    def __init__(
        self,
        limits: Limits,
        max_keys: int = 200_000,
        model: RiskModel | None = None,
        cohort_model: CohortModel | None = None,
        max_cohorts: int = 100_000,
    ) -> None:
        super().__init__(limits, model, cohort_model)
        self.max_keys = max_keys
        self.max_cohorts = max_cohorts
        self._entries: OrderedDict[str, _Entry] = OrderedDict()
        # a flagged campaign's cohort key -> its shared bucket (tokens, at), LRU-bounded
        self._buckets: OrderedDict[str, tuple[float, float]] = OrderedDict()
        self._allow: dict[str, AllowEntry] = {}
        self._blocks: dict[str, float] = {}  # account -> blocked until (see _hold_block)
        # (limits, account_ttl, ip_ttl): the TTLs are properties computed over the limits'
        # windows, read on every request; kept while ``self.limits`` is the same object
        self._ttls = (limits, limits.account_ttl, limits.ip_ttl)

    def _charge_campaigns(
        self, campaigns: CampaignCharge, cost: float, now: float
    ) -> tuple[CohortView, ...]:
        """Each rationing campaign's shared bucket charged ``cost`` (campaigns.take_shared);
        the views with their buckets' answers."""
        m = self.cohort_model
        table = self._buckets
        ttl = bucket_ttl(m)
        answers = {}
        for key in campaigns.keys:
            held = table.get(key)
            if held is not None and now - held[1] > ttl:
                held = None  # refilled to full meanwhile: as if never charged
            tokens, allowed, wait = take_shared(
                None if held is None else held[0], None if held is None else held[1],
                cost, now, m,
            )  # fmt: skip
            table[key] = (tokens, now)
            table.move_to_end(key)
            if len(table) > self.max_cohorts:
                table.popitem(last=False)
            answers[key] = (allowed, wait)
        return charged(campaigns.views, answers)

    async def campaign_bucket(self, key: str, now: float) -> float | None:
        held = self._buckets.get(key)
        if held is None or now - held[1] > bucket_ttl(self.cohort_model):
            return None
        return take_shared(held[0], held[1], 0.0, now, self.cohort_model)[0]

    def __len__(self) -> int:
        return len(self._entries)

    def _get(self, key: str, now: float, ttl: int, create: bool = True) -> _Entry | None:
        entries = self._entries
        entry = entries.get(key)
        if entry is not None and now - entry.seen > _kept_for(ttl, entry, now):
            del entries[key]
            entry = None
        if entry is None:
            if not create:
                return None
            entry = entries[key] = _Entry()
            if len(entries) > self.max_keys:
                entries.popitem(last=False)
        else:
            entries.move_to_end(key)
        return entry

    def _windows(
        self, entry: _Entry, limits: tuple[WindowLimit, ...], now: float
    ) -> tuple[list[tuple[WindowLimit, int, int, int]], float, str | None]:
        rows = []
        wait, denied = 0.0, None
        for limit in limits:
            idx = math.floor(now / limit.seconds)
            start, cur, prev = entry.windows.get(limit.seconds, (idx, 0, 0))
            cur, prev = roll(start, cur, prev, idx)
            w = window_wait(limit, cur, prev, now)
            if w > wait:
                wait, denied = w, limit.name
            rows.append((limit, idx, cur, prev))
        return rows, wait, denied

    async def evaluate(
        self,
        account: str,
        ip: str,
        cost: float,
        now: float,
        signal: RiskInput = NO_SIGNAL,
        campaigns: CampaignCharge | None = None,
    ) -> Outcome:
        limits = self.limits
        ttls = self._ttls
        if ttls[0] is not limits:
            ttls = self._ttls = (limits, limits.account_ttl, limits.ip_ttl)
        cost = take_cost(cost, limits)
        views = self._charge_campaigns(campaigns, cost, now) if campaigns else ()
        acct = self._get("a:" + account, now, ttls[1])
        held = self._blocks.get(account)
        if held is not None and held > acct.blocked_until:
            acct.blocked_until = held  # its entry was evicted meanwhile: the block was not
        if acct.profile is None:
            acct.profile = Profile()
        update_profile(acct.profile, signal, now, self.model)
        acct.seen = now
        assessment = assess(acct.profile, signal, now, self.model)
        factor = acct.factor = refill_factor(assessment.risk, self.model)
        if now >= acct.blocked_until and assessment.risk >= limits.block_at:
            acct.blocked_until = now + limits.block_seconds
            self._hold_block(account, acct.blocked_until, now)
        tokens = refill(acct.tokens, acct.ts, now, limits, factor)
        if now < acct.blocked_until:
            return Outcome(False, tokens, acct.blocked_until - now, BLOCKED, assessment, views)
        wait = bucket_wait(tokens, cost, limits, factor)
        denied = TOKENS if wait > 0 else None
        acct_rows, w, d = self._windows(acct, limits.account, now)
        if w > wait:
            wait, denied = w, d
        ip_entry = ip_rows = None
        if limits.ip:
            ip_entry = self._get("i:" + ip, now, ttls[2])
            ip_rows, w, d = self._windows(ip_entry, limits.ip, now)
            if w > wait:
                wait, denied = w, d
        if denied is not None:
            return Outcome(False, tokens, wait, denied, assessment, views)
        acct.tokens, acct.ts = tokens - cost, now
        for limit, idx, cur, prev in acct_rows:
            acct.windows[limit.seconds] = (idx, cur + 1, prev)
        if ip_entry is not None and ip_rows is not None:
            ip_entry.seen = now
            for limit, idx, cur, prev in ip_rows:
                ip_entry.windows[limit.seconds] = (idx, cur + 1, prev)
        return Outcome(True, tokens - cost, 0.0, None, assessment, views, taken=cost)

    async def settle(self, account: str, delta: float, now: float) -> None:
        entry = self._get("a:" + account, now, self.limits.account_ttl, create=False)
        if entry is None or entry.tokens is None:
            return
        tokens = refill(entry.tokens, entry.ts, now, self.limits, entry.factor)
        entry.tokens, entry.ts = floor_debt(tokens - delta, self.limits), now

    async def account_state(self, account: str, now: float) -> dict[str, Any] | None:
        entry = self._get("a:" + account, now, self.limits.account_ttl, create=False)
        if entry is None:
            return None
        profile = entry.profile
        return {
            "tokens": refill(entry.tokens, entry.ts, now, self.limits, entry.factor),
            "updated": entry.ts,
            "windows": {f"w{s}": list(v) for s, v in entry.windows.items()},
            "profile": profile_dict(profile) if profile else None,
            "blocked_until": entry.blocked_until or None,
        }

    async def reset(self, account: str) -> None:
        self._entries.pop("a:" + account, None)
        self._blocks.pop(account, None)

    async def block(self, account: str, until: float, now: float) -> None:
        entry = self._get("a:" + account, now, self.limits.account_ttl)
        entry.blocked_until = until
        entry.seen = max(entry.seen, now)
        self._hold_block(account, until, now)

    def _hold_block(self, account: str, until: float, now: float) -> None:
        """Blocks are also kept apart from the LRU of accounts: a flood of new account ids
        (each a fresh entry) must not evict a blocked account and with it its block.
        Bounded like the accounts: expired blocks go first, then the soonest to end."""
        blocks = self._blocks
        if until <= now:
            blocks.pop(account, None)
            return
        blocks[account] = until
        if len(blocks) > self.max_keys:
            for key in [k for k, t in blocks.items() if t <= now]:
                del blocks[key]
            while len(blocks) > self.max_keys:
                del blocks[min(blocks, key=blocks.__getitem__)]

    # The allowlist is tiny (operators write it by hand), so a dict with no bound.
    async def allowlist(self, now: float) -> list[AllowEntry]:
        return [e for e in self._allow.values() if e.until > now]

    async def allow(self, entry: AllowEntry, now: float) -> None:
        self._allow = {f: e for f, e in self._allow.items() if e.until > now}
        self._allow[entry.field] = entry

    async def disallow(self, kind: Kind, value: str, now: float) -> bool:
        return self._allow.pop(f"{kind}|{value}", None) is not None


def _kept_for(ttl: int, entry: _Entry, now: float) -> float:
    """An entry's idle lifetime, longer while it is blocked (as bucket.lua's keep_for
    keeps the Redis key: a block outlives the idle lifetime it may exceed)."""
    if entry.blocked_until > entry.seen:
        return max(ttl, math.ceil(entry.blocked_until - entry.seen) + 60)
    return ttl


def profile_dict(p: Profile) -> dict[str, Any]:
    return {name: getattr(p, name) for name in Profile.__slots__}
