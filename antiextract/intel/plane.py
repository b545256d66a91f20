"""What the request plane holds of the intelligence plane, and how it gets one.

The request path calls exactly two things, neither of which waits: ``emit`` (append to a
bounded buffer) and ``cache.lookup`` (dict reads). Everything else runs in background
tasks (``start``/``stop``), or at a given time for tests and simulations (``drain``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from .records import Record
from .verdicts import VerdictCache

if TYPE_CHECKING:
    from ..store import Store


@dataclass(slots=True)
class IntelStats:
    """Counters a plane keeps (the metrics read them; tests too)."""

    dropped: int = 0  # records dropped: the buffer was full (oldest first)
    flushed: int = 0  # records sent to the stream (Redis) or handed to the analyser
    analyzed: int = 0  # records folded into cohorts by this process's analyser
    invalid: int = 0  # stream entries that were no record (skipped, acknowledged)
    lag: float = 0.0  # s: now - the time of the oldest record not yet analysed (0: none)


class IntelPlane(Protocol):
    cache: VerdictCache
    stats: IntelStats

    def emit(self, record: Record) -> None:
        """Buffer a record; never blocks, never raises (full: the oldest is dropped)."""

    async def start(self) -> None:
        """Start the background tasks (flusher, analyser, verdict refresh)."""

    async def stop(self) -> None:
        """Flush what is buffered (best effort) and stop the background tasks."""

    async def drain(self, now: float) -> None:
        """Deterministically, at ``now``: flush the buffer, analyse everything pending,
        refresh the cache (tests and simulations)."""


class NoIntel:
    """``ANTIEXTRACT_INTEL=off`` (or campaigns disabled): no records, no verdicts."""

    def __init__(self) -> None:
        self.cache = VerdictCache()
        self.stats = IntelStats()

    def emit(self, record: Record) -> None:
        pass

    async def start(self) -> None:
        pass

    async def stop(self) -> None:
        pass

    async def drain(self, now: float) -> None:
        pass


def intel_for(
    settings: Any,
    store: Store,
    clock: Callable[[], float],
    metrics: Any = None,
    evidence_model: Any = None,
) -> IntelPlane:
    """The plane for a store: in-process over the memory store, a stream and a consumer
    group over Redis; ``NoIntel`` when the plane or campaigns are off. ``evidence_model``:
    the one the caller reads account verdicts with (built from the settings if None), so
    the analysers fold evidence with the same model the policy reads it with."""
    if settings.intel == "off" or not settings.campaigns_enabled:
        return NoIntel()
    from ..model.evidence import EvidenceModel
    from ..model.surge import SurgeModel
    from ..store.memory import MemoryStore

    # what both planes are given alike
    common: dict[str, Any] = {
        "buffer": settings.intel_buffer,
        "flush_records": settings.flush_records,
        "flush_seconds": settings.flush_ms / 1000,
        "verdict_ttl": settings.verdict_ttl,
        "clock": clock,
        "metrics": metrics,
        "evidence_model": evidence_model or EvidenceModel(**settings.evidence_model),
        "surge_model": SurgeModel(**settings.surge_model),
    }
    if isinstance(store, MemoryStore):
        from .memory import MemoryIntel

        return MemoryIntel(store.cohort_model, **common)
    from .redis import RedisIntel

    return RedisIntel(
        store,  # type: ignore[arg-type]
        refresh_seconds=settings.verdict_refresh_ms / 1000,
        analyze=settings.intel == "embedded",
        **common,
    )
