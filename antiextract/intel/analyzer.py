"""The in-process analyser: records folded into per-cohort counts, judged into verdicts.

It is ``model.cohorts.fold_counts`` per (record, cohort), as the store did per request
before the planes split, so the memory analyser's counts and scores are the store's: the
campaign simulation's figures carry over. States are bounded like the memory store's
(least recently used dropped past ``max_cohorts``, an idle state forgotten after the
model's ``ttl``).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable

from ..model.cohorts import CohortModel, CohortState, fold_counts
from .records import Record
from .verdicts import VerdictBook


class CohortTable:
    __slots__ = ("max_cohorts", "model", "states")

    def __init__(self, model: CohortModel, max_cohorts: int = 100_000) -> None:
        self.model = model
        self.max_cohorts = max_cohorts
        self.states: OrderedDict[str, CohortState] = OrderedDict()

    def state(self, key: str, now: float) -> CohortState:
        table = self.states
        state = table.get(key)
        if state is not None and now - state.seen > self.model.ttl:
            state = None
        if state is None:
            state = table[key] = CohortState()
            if len(table) > self.max_cohorts:
                table.popitem(last=False)
        else:
            table.move_to_end(key)
        return state

    def analyze(self, records: Iterable[Record], book: VerdictBook) -> int:
        """Fold ``records`` in order and judge each cohort they touch; the count folded."""
        m = self.model
        n = 0
        for r in records:
            n += 1
            for key in r.cohorts:
                counts = fold_counts(self.state(key, r.t), r.account, r.young, r.traits, r.t, m)
                book.judge(key, counts, r.t)
        return n
