"""The one small interface every store implements (as `limits` separates storages).

``evaluate`` is the whole hot path: it must answer in one step (one Redis round trip) and
is all-or-nothing: a refused request consumes nothing. ``settle`` corrects the bucket
with the real cost once the response is known, off the hot path.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import Any

from ..bucket import Limits, Outcome


class StoreError(RuntimeError):
    """The store could not answer (unreachable, timed out, refused)."""


class Store(ABC):
    def __init__(self, limits: Limits) -> None:
        self.limits = limits

    @abstractmethod
    async def evaluate(self, account: str, ip: str, cost: float, now: float) -> Outcome:
        """Refill, check and take ``cost`` tokens and one request from every limit."""

    @abstractmethod
    async def settle(self, account: str, delta: float, now: float) -> None:
        """Charge ``delta`` more tokens (negative: refund) to an account's bucket."""

    async def flush(self) -> None:  # noqa: B027 - optional hook
        """Wait until deferred writes (settlements) have reached the store."""

    @abstractmethod
    async def account_state(self, account: str, now: float) -> dict[str, Any] | None:
        """What is stored for an account, refilled to ``now`` (None if nothing is)."""

    @abstractmethod
    async def reset(self, account: str) -> None:
        """Forget an account."""

    async def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections."""
