"""The bounded buffer between the request path and the flusher.

The request path appends and never waits; when the buffer is full (Redis down or slow,
an analyser behind) the oldest records go first and are counted: records are evidence
for a slow aggregate, so the newest matter most, and memory stays bounded.
"""

from __future__ import annotations

import asyncio
import math
from collections import deque

from .plane import IntelStats
from .records import Record


class RecordBuffer:
    __slots__ = ("_records", "due", "flush_records", "stats", "wake")

    def __init__(self, size: int, flush_records: int, stats: IntelStats) -> None:
        self._records: deque[Record] = deque(maxlen=size)
        self.flush_records = flush_records
        self.stats = stats
        self.wake = asyncio.Event()  # set when a flush is due before its interval
        # a flush is also due once a record's time reaches this (the consumer sets it to
        # its last flush + its interval): on the request clock, so a simulation that runs
        # hours of requests in seconds gets its analysis every interval of its own time
        self.due = math.inf

    def push(self, record: Record) -> None:
        records = self._records
        if len(records) == records.maxlen:
            self.stats.dropped += 1  # deque(maxlen) drops the oldest on append
        records.append(record)
        if len(records) >= self.flush_records or record.t >= self.due:
            self.wake.set()

    def take(self, n: int | None = None) -> list[Record]:
        """Up to ``n`` records (all by default), oldest first, removed."""
        records = self._records
        if n is None or n >= len(records):
            out = list(records)
            records.clear()
        else:
            out = [records.popleft() for _ in range(n)]
        if len(records) < self.flush_records:
            self.wake.clear()
        return out

    def put_back(self, batch: list[Record]) -> None:
        """Return a batch that could not be sent to the front (it is older than anything
        buffered since); what no longer fits is the oldest, dropped and counted."""
        records = self._records
        room = (records.maxlen or 0) - len(records)
        keep = batch[len(batch) - room :] if room < len(batch) else batch
        self.stats.dropped += len(batch) - len(keep)
        records.extendleft(reversed(keep))
        if len(records) >= self.flush_records:
            self.wake.set()

    def oldest(self) -> float | None:
        return self._records[0].t if self._records else None

    def __len__(self) -> int:
        return len(self._records)
