"""The intelligence plane over the memory store: one process, no I/O.

Records wait in the bounded buffer and are analysed in this process every
``flush_seconds`` (or as soon as ``flush_records`` are waiting); the verdicts go straight
into the cache. The request path never runs the analysis: it only appends a record.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Callable
from typing import Any

from ..model.cohorts import CohortModel
from ..model.evidence import EvidenceModel
from ..model.surge import SurgeModel
from .analyzer import CohortTable
from .buffer import RecordBuffer
from .evidence_fold import AccountBook, AccountTable
from .plane import IntelStats
from .records import Record
from .surge import SurgeBook, SurgeCounts
from .verdicts import VerdictBook, VerdictCache

_log = logging.getLogger("antiextract")
# Records analysed per turn of the event loop: ~10-20 µs each (five cohorts and the
# account's evidence), so a slice holds the requests sharing the loop for ~0.2-0.3 ms. At
# 64 a slice took ~1.2 ms on the shared 2-core VM, a visible share of the p99 of requests
# on the same loop.
SLICE = 16


class MemoryIntel:
    def __init__(
        self,
        model: CohortModel,
        *,
        buffer: int = 65_536,
        flush_records: int = 512,
        flush_seconds: float = 0.25,
        verdict_ttl: float = 3_600.0,
        max_cohorts: int = 100_000,
        clock: Callable[[], float] = time.time,
        metrics: Any = None,
        evidence_model: EvidenceModel | None = None,
        surge_model: SurgeModel | None = None,
    ) -> None:
        self.cache = VerdictCache()
        self.stats = IntelStats()
        self.buffer = RecordBuffer(buffer, flush_records, self.stats)
        self.table = CohortTable(model, max_cohorts)
        self.book = VerdictBook(verdict_ttl)
        evidence_model = evidence_model or EvidenceModel()
        self.accounts = AccountTable(evidence_model)
        self.account_book = AccountBook(evidence_model)
        self.surge_model = surge_model or SurgeModel()
        self.surge_counts = SurgeCounts(self.surge_model)
        self.surge_book = SurgeBook()
        self.flush_seconds = flush_seconds
        self.clock = clock
        self.metrics = metrics
        self._task: asyncio.Task[None] | None = None

    def emit(self, record: Record) -> None:
        self.buffer.push(record)

    def analyze(self, now: float, most: int | None = None) -> None:
        """The buffered records (up to ``most``), folded and judged; the cache replaced
        when a verdict changed."""
        oldest = self.buffer.oldest()
        self.stats.lag = 0.0 if oldest is None else max(0.0, now - oldest)
        records = self.buffer.take(most)
        self.stats.flushed += len(records)
        self.stats.analyzed += self.table.analyze(records, self.book)
        self.accounts.analyze(records, self.account_book)
        if not self.surge_model.off:
            self.surge_counts.add(records)
            self.surge_book.judge(self.surge_counts.counts(now), now, self.surge_model)
        self.stats.invalid = self.table.skipped
        oldest = self.buffer.oldest()
        self.stats.lag = 0.0 if oldest is None else max(0.0, now - oldest)
        self.buffer.due = now + self.flush_seconds
        writes, gone = self.book.changes(now)
        account_writes, accounts_gone = self.account_book.changes(now)
        surge_moved, _ = self.surge_book.change(now)
        if writes or gone or account_writes or accounts_gone or surge_moved:
            self.cache.replace(
                self.book.published.values(),
                self.cache.version + 1,
                self.account_book.published.values(),
                self.surge_book.published,
            )
        self.cache.refreshed_at = now
        if self.metrics is not None:
            self.metrics.intel(self.stats, self.cache.active(now))

    async def drain(self, now: float) -> None:
        self.analyze(now)

    async def start(self) -> None:
        if self._task is None or self._task.done():
            self.buffer.due = self.clock() + self.flush_seconds
            self._task = asyncio.get_running_loop().create_task(self._run())

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task
        self.analyze(self.clock())

    async def _run(self) -> None:
        while not _cancelled():
            # (asyncio.timeout, not wait_for: on 3.11 wait_for swallows a cancellation
            # that meets the event being set, and the task then never stops)
            with contextlib.suppress(TimeoutError):
                async with asyncio.timeout(self.flush_seconds):
                    await self.buffer.wake.wait()
            try:
                # in slices, giving the loop back in between: the requests sharing this
                # loop wait for one slice (~1 ms), not for a whole flush's analysis
                while True:
                    self.analyze(self.clock(), SLICE)
                    if not len(self.buffer):
                        break
                    await asyncio.sleep(0)
            except Exception:  # never let the plane die quietly; the request path is unaffected
                _log.exception("intel: analysis failed")
                await asyncio.sleep(self.flush_seconds)


def _cancelled() -> bool:
    """This background task was asked to stop. Checked by every loop of the plane, not
    only left to the CancelledError: a client library that swallows one mid-command (a
    Redis call cancelled at the wrong moment) left the task running, and a loop's
    shutdown (asyncio.run, a test's teardown) waiting for it for ever."""
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0
