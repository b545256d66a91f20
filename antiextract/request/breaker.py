"""Circuit breaker for the shared store: closed, open, half-open.

- **closed**: every request asks the store. The first failure opens the circuit.
- **open**: every request is decided by the local fallback; the store is not touched.
  After a back-off the next request becomes the one *probe*.
- **half-open**: that probe asks the store; everything else meanwhile still uses the
  fallback. Its success closes the circuit; its failure re-opens it with the back-off
  doubled (``base``, ``2 base``, ``4 base`` ... up to ``cap``).

Each back-off is shortened by a random share of at most ``spread`` (10 %), so replicas
that lost the store together do not probe it in lockstep; it never exceeds the nominal
value, so ``cap`` is a true ceiling.

Pure state: no I/O, no asyncio. Time comes from ``clock`` (monotonic seconds) and the
jitter from ``jitter`` (uniform in [0, 1)), both injectable for tests. The caller asks
:meth:`admit` for a ticket, calls the store only for :data:`STORE` and :data:`PROBE`,
and reports the call's end with :meth:`success`, :meth:`failure` or (no verdict: the
call was cancelled or raised something unrelated) :meth:`release`.
"""

from __future__ import annotations

import random
import time
from collections.abc import Callable
from typing import Final, Literal

CLOSED: Final = "closed"
OPEN: Final = "open"
HALF_OPEN: Final = "half_open"

State = Literal["closed", "open", "half_open"]

# Tickets: what a request may do.
STORE: Final = "store"  # closed: ask the store
PROBE: Final = "probe"  # the one request that tests a failing store
FALLBACK: Final = "fallback"  # use the local fallback, do not touch the store

Ticket = Literal["store", "probe", "fallback"]


class CircuitBreaker:
    """Decides, per request, whether the store is asked; see the module docstring."""

    __slots__ = (
        "base",
        "cap",
        "clock",
        "failed_probes",
        "jitter",
        "opened_at",
        "retry_at",
        "spread",
        "state",
    )

    def __init__(
        self,
        base: float,
        cap: float,
        *,
        clock: Callable[[], float] = time.monotonic,
        jitter: Callable[[], float] = random.random,
        spread: float = 0.1,
    ) -> None:
        if base <= 0:
            raise ValueError("base back-off must be positive")
        if not 0 <= spread < 1:
            raise ValueError("spread must be in [0, 1)")
        self.base = float(base)
        self.cap = max(float(cap), self.base)  # a cap below the base means no growth
        self.clock = clock
        self.jitter = jitter
        self.spread = spread
        self.state: State = CLOSED
        self.failed_probes = 0  # consecutive probe failures in this outage
        self.opened_at = 0.0  # when this outage began (clock time)
        self.retry_at = 0.0  # when open: the earliest time of the next probe

    @property
    def closed(self) -> bool:
        return self.state == CLOSED

    def nominal_backoff(self) -> float:
        """The back-off before jitter: ``base * 2**failed_probes``, at most ``cap``."""
        if self.failed_probes >= 64:  # 2**64 * any positive base is past any cap
            return self.cap
        return min(self.cap, self.base * (1 << self.failed_probes))

    def retry_in(self) -> float:
        """Seconds until the next probe is let through (0 when closed or due)."""
        if self.state != OPEN:
            return 0.0
        return max(0.0, self.retry_at - self.clock())

    def admit(self) -> Ticket:
        """The ticket of one request: STORE (closed), PROBE (the one let through after
        the back-off) or FALLBACK (open, or a probe is already in flight)."""
        state = self.state
        if state == CLOSED:
            return STORE
        if state == OPEN and self.clock() >= self.retry_at:
            self.state = HALF_OPEN
            return PROBE
        return FALLBACK

    def success(self, ticket: Ticket) -> bool:
        """The store answered. True when this closed the circuit (the probe succeeded).
        A STORE call that began before the circuit opened and answered late proves
        nothing about now: ignored."""
        if ticket == PROBE and self.state == HALF_OPEN:
            self.state = CLOSED
            self.failed_probes = 0
            self.retry_at = 0.0
            return True
        return False

    def failure(self, ticket: Ticket) -> bool:
        """The store failed. True when this opened a closed circuit (an outage began);
        a failed probe re-opens it with the back-off doubled; a late STORE failure while
        already open or half-open changes nothing."""
        if self.state == CLOSED and ticket == STORE:
            self.state = OPEN
            self.failed_probes = 0
            self.opened_at = self.clock()
            self._schedule()
            return True
        if ticket == PROBE and self.state == HALF_OPEN:
            self.state = OPEN
            self.failed_probes += 1
            self._schedule()
        return False

    def release(self, ticket: Ticket) -> None:
        """A probe ended without a verdict (cancelled, or an unrelated error): back to
        open with the next probe due at once, so the circuit never sticks half-open."""
        if ticket == PROBE and self.state == HALF_OPEN:
            self.state = OPEN
            self.retry_at = self.clock()

    def _schedule(self) -> None:
        backoff = self.nominal_backoff() * (1.0 - self.spread * self.jitter())
        self.retry_at = self.clock() + backoff


__all__ = [
    "CLOSED",
    "FALLBACK",
    "HALF_OPEN",
    "OPEN",
    "PROBE",
    "STORE",
    "CircuitBreaker",
    "State",
    "Ticket",
]
