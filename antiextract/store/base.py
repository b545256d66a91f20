"""The one small interface every store implements (as `limits` separates storages).

``evaluate`` is the whole hot path: it must answer in one step (one Redis round trip) and
is all-or-nothing: a refused request consumes nothing. ``settle`` corrects the bucket
with the real cost once the response is known, off the hot path.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING, Any

from ..model.allowlist import AllowEntry, Kind
from ..model.bucket import Limits, Outcome
from ..model.campaigns import CampaignCharge
from ..model.cohorts import CohortModel
from ..model.risk import RiskInput, RiskModel

if TYPE_CHECKING:
    from .passes import PassBook, ReplayGuard

NO_SIGNAL = RiskInput()


class StoreError(RuntimeError):
    """The store could not answer (unreachable, timed out, refused)."""


class Store(ABC):
    label = "memory"  # the metrics' store label
    settlements_pending = 0  # settlements queued, not yet in the store (deferred writes)
    # True when a cancelled ``evaluate`` cannot leave a reservation behind (it has no
    # await inside, or gives back what its call took once the reply comes): the caller
    # may then await it directly instead of finishing it in a task of its own (~45 µs).
    refunds_when_cancelled = False

    def __init__(
        self,
        limits: Limits,
        model: RiskModel | None = None,
        cohort_model: CohortModel | None = None,
    ) -> None:
        self.limits = limits
        self.model = model or RiskModel()
        self.cohort_model = cohort_model or CohortModel()

    @abstractmethod
    async def evaluate(
        self,
        account: str,
        ip: str,
        cost: float,
        now: float,
        signal: RiskInput = NO_SIGNAL,
        campaigns: CampaignCharge | None = None,
    ) -> Outcome:
        """Fold ``signal`` into the account's profile and assess its risk; then refill
        (slower for risky accounts), check and take ``cost`` tokens and one request from
        every limit. The profile learns from refused requests too; the limits do not.
        ``campaigns``: the flagged campaigns the request belongs to (the verdict cache's
        matches); in the same step (round trip) the shared bucket of each that rations
        (``CampaignCharge.keys``) is charged, whatever the account's answer, and all of
        them come back as ``Outcome.cohorts`` with their buckets' answers. No cohort is
        counted here: that is the intelligence plane's, off the request path."""

    @abstractmethod
    async def settle(self, account: str, delta: float, now: float) -> None:
        """Charge ``delta`` more tokens (negative: refund) to an account's bucket."""

    async def flush(self) -> None:  # noqa: B027 - optional hook
        """Wait until deferred writes (settlements) have reached the store."""

    @abstractmethod
    async def account_state(self, account: str, now: float) -> dict[str, Any] | None:
        """What is stored for an account, refilled to ``now`` (None if nothing is)."""

    @abstractmethod
    async def campaign_bucket(self, key: str, now: float) -> float | None:
        """A campaign's shared bucket (by its cohort key), refilled to ``now``; None when
        it was never charged or has been idle long enough to be full again."""

    @abstractmethod
    async def reset(self, account: str) -> None:
        """Forget an account."""

    @abstractmethod
    async def block(self, account: str, until: float, now: float) -> None:
        """Block an account until ``until`` (0 lifts a block): the operator's lever."""

    @abstractmethod
    async def allowlist(self, now: float) -> list[AllowEntry]:
        """The live allowlist entries that have not expired (read in the background)."""

    @abstractmethod
    async def allow(self, entry: AllowEntry, now: float) -> None:
        """Add or replace a live allowlist entry; expired entries are dropped meanwhile."""

    @abstractmethod
    async def disallow(self, kind: Kind, value: str, now: float) -> bool:
        """Remove a live allowlist entry; False when there was none."""

    async def close(self) -> None:  # noqa: B027 - optional hook
        """Release connections."""

    def pass_book(self) -> PassBook:
        """Where the allowances solved challenges buy are kept: beside the limits, so
        every replica sharing this store shares them too. The default is this process."""
        from .passes import MemoryPassBook

        return MemoryPassBook()

    def replay_guard(self) -> ReplayGuard:
        """Where spent challenge tokens are remembered (see ``pass_book``)."""
        from .passes import MemoryReplayGuard

        return MemoryReplayGuard()
