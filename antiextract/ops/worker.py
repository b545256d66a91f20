"""``antiextract worker``: the Redis analyser as a process of its own.

When one embedded analyser per partition is not enough (or the serving replicas should
not analyse at all: ``ANTIEXTRACT_INTEL=worker``), run workers: each is a consumer of the
same group, takes every partition, and shares the entries with the others (Redis hands
each entry to one consumer). A worker holds nothing but its name: stop or kill it at any
point and another takes over what it left pending (after ``claim_idle``). SIGTERM and
SIGINT finish the batch at hand, acknowledge it, and exit 0.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import time
from collections.abc import Callable
from typing import Any

from ..intel.plane import IntelStats
from ..intel.redis import CLAIM_IDLE, RedisAnalyzer, refresh
from ..intel.verdicts import VerdictCache
from ..model.evidence import EvidenceModel
from ..model.surge import SurgeModel
from ..store.base import StoreError
from ..store.redis import RedisStore

_log = logging.getLogger("antiextract.worker")
REPORT_EVERY = 60.0  # s between two progress lines
BACKOFF_MAX = 30.0


async def run_worker(
    store: RedisStore,
    *,
    consumer: str | None = None,
    verdict_ttl: float = 3_600.0,
    idle_seconds: float = 0.25,
    refresh_seconds: float = 1.0,
    claim_idle: float = CLAIM_IDLE,
    stop: asyncio.Event | None = None,
    clock: Callable[[], float] = time.time,
    metrics: Any = None,
    evidence_model: EvidenceModel | None = None,
    surge_model: SurgeModel | None = None,
) -> IntelStats:
    """Analyse until ``stop`` is set (SIGTERM/SIGINT set it when it is None); the counts."""
    stop = stop or _stop_on_signals()
    cache, stats = VerdictCache(), IntelStats()
    analyzer = RedisAnalyzer(
        store, cache, stats, consumer=consumer, verdict_ttl=verdict_ttl,
        lease_seconds=None, claim_idle=claim_idle, evidence_model=evidence_model,
        surge_model=surge_model,
    )  # fmt: skip
    _log.info("intel worker %s: analysing every partition of %s", analyzer.consumer, store.prefix)
    wait, refreshed, reported = idle_seconds, 0.0, clock()
    while not stop.is_set():
        now = clock()
        try:
            if now - refreshed >= refresh_seconds:
                await refresh(store.client, store.prefix, cache, now)
                refreshed = now
            n = await analyzer.step(now)
            wait = idle_seconds
        except StoreError as exc:
            _log.warning("intel worker: %s (retrying in %.1f s)", exc, wait)
            n = 0
            wait = min(max(wait * 2, idle_seconds), BACKOFF_MAX)
        if metrics is not None:
            metrics.intel(stats, cache.active(now))
        if now - reported >= REPORT_EVERY:
            reported = now
            _log.info(
                "intel worker: %d records analysed, lag %.1f s, %d verdicts",
                stats.analyzed, stats.lag, cache.active(now),
            )  # fmt: skip
        if not n:
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(wait):
                    await stop.wait()
    _log.info("intel worker %s: stopped after %d records", analyzer.consumer, stats.analyzed)
    return stats


def _stop_on_signals() -> asyncio.Event:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    return stop
