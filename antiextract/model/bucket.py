"""The limiting arithmetic, as pure functions on plain numbers.

The embedded store calls these directly; ``store/evaluate.lua`` is a line-by-line
transcription for Redis, and the shared store test-suite holds the two to the same
answers. Time is always an argument (seconds, from the middleware's clock), never read
here, so tests and simulations run on simulated time.

Two mechanisms:
- a cost-weighted token bucket per account, in LLM tokens (capacity, refill per second);
  settlement after the response may push it below zero (debt, floored at -capacity);
- request-count limits per account and per IP as sliding-window counters (the same
  approximation as `limits`' sliding window counter: the previous fixed window's count,
  weighted by how much of it still overlaps the sliding window, plus the current count).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from .cohorts import CohortView
    from .risk import Assessment

TOKENS = "tokens"
BLOCKED = "blocked"  # denied_by when the account is in a block cool-down


@dataclass(frozen=True, slots=True)
class WindowLimit:
    """``amount`` requests per ``seconds``, for one scope ("account" or "ip")."""

    scope: str
    amount: int
    seconds: int

    @property
    def name(self) -> str:
        return f"{self.scope}-{self.amount}-per-{self.seconds}s"

    @property
    def field(self) -> str:
        # Keyed by window length, not by position, so reordering settings keeps state.
        return f"w{self.seconds}"


MAX_TTL = 400 * 86_400  # the longest any key is kept idle, whatever the limits say


@dataclass(frozen=True, slots=True)
class Limits:
    """Everything a store needs to decide one request."""

    capacity: float
    refill: float  # tokens per second
    account: tuple[WindowLimit, ...] = ()
    ip: tuple[WindowLimit, ...] = ()
    retention: int = 30 * 86_400  # how long an idle account's risk profile is remembered
    block_at: float = 1e300  # risk at which the account is blocked (default: never)
    block_seconds: float = 3_600.0  # cool-down of an automatic block

    @property
    def account_ttl(self) -> int:
        """Seconds an idle account is kept: its limits are back to fresh by then (debt
        included) and its risk profile (first seen, shares) has been kept ``retention``."""
        longest = max((w.seconds for w in self.account), default=0)
        limits_ttl = math.ceil(2 * self.capacity / self.refill) + 2 * longest + 60
        # Capped: a bucket that takes years to refill (refill 1e-9/s is a valid setting)
        # would otherwise ask Redis for a TTL past its integer range, failing every call.
        return min(max(limits_ttl, self.retention), MAX_TTL)

    @property
    def ip_ttl(self) -> int:
        return 2 * max((w.seconds for w in self.ip), default=0) + 60


@dataclass(frozen=True, slots=True)
class Outcome:
    """A store's answer for one request."""

    allowed: bool
    tokens: float  # the account's bucket after this request (before it, when refused)
    retry_after: float  # seconds until the refused request would pass; 0 when allowed
    denied_by: str | None  # TOKENS or a WindowLimit.name
    assessment: Assessment | None = None  # the account's risk after this request
    cohorts: tuple[CohortView, ...] = ()  # the request's cohorts (campaign view)
    taken: float = 0.0  # tokens debited from the account's bucket (0 when refused)


def refill(
    tokens: float | None, ts: float | None, now: float, limits: Limits, factor: float = 1.0
) -> float:
    """Bucket level at ``now``; an account never seen starts full. ``factor`` < 1 slows
    the refill (risk-adaptive budget)."""
    if tokens is None or ts is None:
        return limits.capacity
    elapsed = max(0.0, now - ts)  # replicas' clocks may disagree a little: never go back
    return min(limits.capacity, tokens + elapsed * limits.refill * factor)


def bucket_wait(tokens: float, cost: float, limits: Limits, factor: float = 1.0) -> float:
    if tokens >= cost:
        return 0.0
    return (cost - tokens) / (limits.refill * factor)


def roll(start: int, cur: int, prev: int, idx: int) -> tuple[int, int]:
    """(current, previous) counts for fixed window ``idx`` given the stored window."""
    if start == idx:
        return cur, prev
    if start == idx - 1:
        return 0, cur
    return 0, 0


def window_wait(limit: WindowLimit, cur: int, prev: int, now: float) -> float:
    """Seconds until one more request fits under a sliding-window counter (0 if it fits)."""
    w = limit.seconds
    idx = math.floor(now / w)
    frac = (now - idx * w) / w
    amount = limit.amount
    if prev * (1.0 - frac) + cur + 1 <= amount:
        return 0.0
    if cur + 1 > amount:
        # Wait for the next window, where this window's count becomes the weighted one.
        need = 1.0 - (amount - 1) / cur if cur > 0 else 0.0
        return (idx + 1) * w - now + max(0.0, need) * w
    need = 1.0 - (amount - 1 - cur) / prev
    return max(0.0, (need - frac) * w)


def take_cost(cost: float, limits: Limits) -> float:
    """What a request's reservation debits: a single request never costs more than a full
    bucket, so it can always pass. Whatever the estimate said, this is what the account
    paid up front, and so the most a settlement may give back (``Outcome.taken``,
    ``cost.charge``): refunding against the uncapped estimate credited a padded body more
    than it was ever debited (issue 14)."""
    return min(max(cost, 0.0), limits.capacity)


def floor_debt(tokens: float, limits: Limits) -> float:
    return max(-limits.capacity, min(limits.capacity, tokens))
