"""The in-process analyser: records folded into per-cohort counts, judged into verdicts.

It is ``model.cohorts.fold_counts`` per (record, cohort), as the store did per request
before the planes split, so the memory analyser's counts and scores are the store's: the
campaign simulation's figures carry over. States are bounded like the memory store's
(least recently used dropped past ``max_cohorts``, an idle state forgotten after the
model's ``ttl``).

Wrapper parts (``p:``) pass an admission stage first (``CohortModel.part_marker_ttl``):
most are one-off task sentences, so a part seen by one account only is a ``PartMarker`` in
a bounded table of its own (``max_markers``, least recently used dropped), never in the
cohort table; a record of a second account promotes it (``promote``: its first account
and decayed sums folded in, so the counts are the ones a full state would have reached)
and the marker is gone. Its counts are judged like a state's. fold.lua does the same in
one Redis string per marker, so both analysers' verdicts agree.
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Iterable

from ..model.cohorts import (
    PART,
    CohortModel,
    CohortState,
    PartMarker,
    account_hash,
    fold_counts,
    fold_marker,
    promote,
)
from ..model.risk import DAY
from .records import Record
from .verdicts import VerdictBook


class CohortTable:
    __slots__ = ("markers", "max_cohorts", "max_markers", "model", "skipped", "states")

    def __init__(
        self, model: CohortModel, max_cohorts: int = 100_000, max_markers: int = 100_000
    ) -> None:
        self.model = model
        self.max_cohorts = max_cohorts
        self.max_markers = max_markers
        self.states: OrderedDict[str, CohortState] = OrderedDict()
        self.markers: OrderedDict[str, PartMarker] = OrderedDict()  # parts of one account
        self.skipped = 0  # (record, cohort) folds refused: a record the models cannot read

    def _admit(
        self, key: str, account: str, young: bool, traits: int, now: float, first: bool
    ) -> tuple[int, int, float, float] | None:
        """A part's record while the part has no state: folded into its marker (the counts
        after it), or None once it promotes the marker (its state is then in the table).
        A marker's idleness is judged at the ``first`` record of a run only, as fold.lua
        judges it once per run."""
        m = self.model
        state = self.states.get(key)
        if state is not None and now - state.seen <= m.ttl:
            return None
        h = account_hash(account)
        markers = self.markers
        marker = markers.get(key)
        if first and marker is not None and now - (marker.ts or 0.0) > m.part_marker_ttl:
            marker = None  # idle too long: forgotten, as its Redis key expires
        if marker is None or marker.h == h:
            if marker is None:
                marker = markers[key] = PartMarker(h)
                if len(markers) > self.max_markers:
                    markers.popitem(last=False)
            else:
                markers.move_to_end(key)
            return fold_marker(marker, young, traits, now, m, key)
        del markers[key]
        self.states.pop(key, None)  # an expired state: replaced
        self.states[key] = promote(marker)
        if len(self.states) > self.max_cohorts:
            self.states.popitem(last=False)
        return None

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
        """Fold ``records`` and judge each cohort at the end of each of its runs (as the
        Redis analyser does, one script call per run); the count of records folded."""
        records = sorted(records, key=_time)  # as runs() does; stable: ties keep their order
        m = self.model
        admit = m.part_marker_ttl > 0
        for key, run in runs(records):
            counts = None
            part = admit and key.startswith(PART)
            for r in run:
                try:
                    if part:
                        counts = self._admit(key, r.account, r.young, r.traits, r.t, r is run[0])
                        if counts is not None:
                            continue
                    counts = fold_counts(
                        self.state(key, r.t), r.account, r.young, r.traits, r.t, m, key
                    )
                except (TypeError, ValueError):  # UnicodeError too: a record no digest made
                    self.skipped += 1
            if counts is not None:
                book.judge(key, counts, run[-1].t)
        return len(records)


MAX_RUN = 1_000  # records of one cohort folded by one call (fold.lua's PFADD arguments)


def runs(records: Iterable[Record], most: int = MAX_RUN) -> list[tuple[str, list[Record]]]:
    """A batch as runs: per cohort, its records in time order, cut at each UTC day (the
    day names the sketches a run adds to) and every ``most`` records. Runs of one cohort
    come in their order; runs of different cohorts are independent. (A batch read from
    several partitions comes partition by partition: sorting by time restores the order
    the counts decay in.)"""
    records = sorted(records, key=_time)
    current: dict[str, tuple[int, list[Record]]] = {}
    out: list[tuple[str, list[Record]]] = []
    for r in records:
        day = int(r.t // DAY)
        for key in r.cohorts:
            run = current.get(key)
            if run is None or run[0] != day or len(run[1]) >= most:
                run = current[key] = (day, [])
                out.append((key, run[1]))
            run[1].append(r)
    return out


def _time(r: Record) -> float:
    return r.t
