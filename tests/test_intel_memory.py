"""The intelligence plane over the memory store: buffer, in-process analyser, verdicts."""

from __future__ import annotations

import asyncio
import dataclasses
import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from antiextract.intel.analyzer import runs
from antiextract.intel.buffer import RecordBuffer
from antiextract.intel.memory import MemoryIntel
from antiextract.intel.plane import IntelStats, NoIntel, intel_for
from antiextract.intel.records import Record
from antiextract.metrics import Metrics
from antiextract.model.cohorts import CohortModel, CohortState, update_cohort
from antiextract.settings import load_settings
from antiextract.store import MemoryStore

from .conftest import SimClock, test_limits
from .drawn import DAY, NO_SHRINK, cohort_models
from .intel_traffic import HARVEST, stream

T0 = 1_800_000_000.0
MODEL = CohortModel(min_young=5, full_young=10)


def campaign(n: int, t: float, young: bool = True, key: str = "t:camp") -> list[Record]:
    return [
        Record(t + i, f"acct-{young}-{i}", (key, "n:10.0.0.0/24"), young, HARVEST, 10.0)
        for i in range(n)
    ]


def test_a_full_buffer_drops_the_oldest_and_counts_them() -> None:
    stats = IntelStats()
    buf = RecordBuffer(3, flush_records=2, stats=stats)
    recs = campaign(5, T0)
    buf.push(recs[0])
    assert not buf.wake.is_set()
    buf.push(recs[1])
    assert buf.wake.is_set()  # a flush is due before its interval
    for r in recs[2:]:
        buf.push(r)
    assert stats.dropped == 2 and buf.take() == recs[2:]
    assert not buf.wake.is_set() and len(buf) == 0
    # a batch that could not be sent goes back in front; what no longer fits is its oldest
    buf.push(recs[4])
    buf.put_back(recs[:3])
    assert stats.dropped == 3 and buf.take() == [recs[1], recs[2], recs[4]]


async def test_emit_only_buffers_and_drain_flags_the_campaign() -> None:
    intel = MemoryIntel(MODEL, verdict_ttl=600)
    for r in campaign(12, T0):
        intel.emit(r)
    assert intel.cache.lookup(("t:camp",), T0 + 20) == ()  # nothing analysed on the path
    assert intel.stats.analyzed == 0
    await intel.drain(T0 + 20)
    (v,) = intel.cache.lookup(("t:camp", "t:other"), T0 + 20)
    assert v.key == "t:camp" and v.score > 0 and (v.accounts, v.young) == (12, 12)
    # judged at the end of the cohort's run in the batch (as the Redis analyser judges)
    assert v.flagged_at == T0 + 11
    assert v.expires == T0 + 11 + 600
    assert intel.stats.analyzed == 12 and intel.stats.lag == 0.0
    # the subnet cohort is a campaign too (young, harvest-shaped); policy weighs it less
    assert [x.key for x in intel.cache.lookup(("n:10.0.0.0/24",), T0 + 20)] == ["n:10.0.0.0/24"]


async def test_a_verdict_expires_unless_renewed() -> None:
    intel = MemoryIntel(MODEL, verdict_ttl=600)
    for r in campaign(12, T0):
        intel.emit(r)
    await intel.drain(T0 + 20)
    version = intel.cache.version
    await intel.drain(T0 + 400)
    assert intel.cache.lookup(("t:camp",), T0 + 400)  # still live, nothing to publish
    assert intel.cache.version == version
    # the campaign is heard from again: renewed
    intel.emit(Record(T0 + 500, "acct-True-0", ("t:camp",), True, HARVEST, 1.0))
    await intel.drain(T0 + 500)
    (v,) = intel.cache.lookup(("t:camp",), T0 + 1_000)
    assert v.expires == T0 + 1_100 and v.flagged_at == T0 + 11
    await intel.drain(T0 + 1_100)
    assert intel.cache.lookup(("t:camp", "n:10.0.0.0/24"), T0 + 1_100) == ()
    assert intel.cache.all() == ()  # dropped, not only filtered
    assert intel.cache.version > version


async def test_established_crowds_clear_a_verdict() -> None:
    intel = MemoryIntel(MODEL, verdict_ttl=3_600)
    for r in campaign(6, T0):
        intel.emit(r)
    await intel.drain(T0 + 10)
    assert intel.cache.lookup(("t:camp",), T0 + 10)
    for r in campaign(30, T0 + 20, young=False):  # the young share falls under the minimum
        intel.emit(r)
    await intel.drain(T0 + 60)
    assert intel.cache.lookup(("t:camp",), T0 + 60) == ()


@settings(max_examples=12, deadline=None, derandomize=True, phases=NO_SHRINK)
@given(m=cohort_models(), seed=st.integers(0, 2**32), start=st.floats(0.0, DAY))
def test_the_analyser_counts_as_the_store_did_per_request(
    m: CohortModel, seed: int, start: float
) -> None:
    """The memory analyser's verdicts are update_cohort's answers on the same requests in
    the same order (what the memory store gave before the planes split), drained at any
    points: a verdict exists exactly for the cohorts whose last answer had a score, and
    carries that answer's counts and score (republished within REPUBLISH_CHANGE)."""
    records = stream(seed, T0 + start)
    ttl = 10 * DAY  # nothing expires within the run: this is about the counting
    if m.part_marker_ttl:  # admission of parts on, no marker forgotten within the run: the
        m = dataclasses.replace(m, part_marker_ttl=m.ttl)  # counts are the unfiltered ones
    assert records[-1].t - records[0].t < m.ttl
    intel = MemoryIntel(m, verdict_ttl=ttl)
    states: dict[str, CohortState] = {}
    last = {}
    rng = random.Random(seed)
    for r in records:
        intel.emit(r)
        for key in r.cohorts:
            state = states.setdefault(key, CohortState())
            last[key] = update_cohort(state, key, r.account, r.young, r.traits, r.cost, r.t, m)
        if rng.random() < 0.05:
            asyncio.run(intel.drain(r.t))
    end = records[-1].t
    asyncio.run(intel.drain(end))
    flagged = {k for k, view in last.items() if view.score > 0}
    assert flagged, "the campaign was never flagged: the check would be empty"
    found = {v.key: v for v in intel.cache.all()}
    assert set(found) == flagged
    for key, v in found.items():
        view = last[key]
        assert (v.score, v.harvest) == pytest.approx((view.score, view.harvest), rel=0.011)
        assert v.accounts == pytest.approx(view.accounts, rel=0.011)
        assert v.young == pytest.approx(view.young, rel=0.011)
        assert v.view().key == key


async def test_the_background_task_analyses_a_full_batch_and_stop_the_rest() -> None:
    clock = SimClock(T0 + 30)
    intel = MemoryIntel(MODEL, flush_records=8, flush_seconds=3_600.0, clock=clock)
    await intel.start()
    try:
        for r in campaign(8, T0):
            intel.emit(r)
        # flush_records reached: the task wakes long before its hour-long interval
        for _ in range(200):
            if intel.stats.analyzed:
                break
            await asyncio.sleep(0)
        assert intel.stats.analyzed == 8 and intel.cache.lookup(("t:camp",), clock())
        intel.emit(Record(T0 + 9, "late", ("t:late",), True, HARVEST, 1.0))
    finally:
        await intel.stop()
    assert intel.stats.analyzed == 9  # stop analysed what was still buffered


async def test_metrics_follow_the_plane() -> None:
    metrics = Metrics()
    intel = MemoryIntel(MODEL, buffer=10, metrics=metrics)
    for r in campaign(12, T0):
        intel.emit(r)
    await intel.drain(T0 + 20)
    text = metrics.exposition().decode()
    assert 'antiextract_intel_records_total{outcome="dropped"} 2.0' in text
    assert 'antiextract_intel_records_total{outcome="analyzed"} 10.0' in text
    assert "antiextract_intel_records_dropped_total 2.0" in text
    assert "antiextract_intel_verdicts 2.0" in text  # t:camp and its subnet
    assert "antiextract_intel_lag_seconds 0.0" in text
    await intel.drain(T0 + 30)  # nothing new: counters do not move
    assert (
        'antiextract_intel_records_total{outcome="analyzed"} 10.0' in metrics.exposition().decode()
    )


def test_intel_for_picks_the_plane_by_store_and_setting() -> None:
    store = MemoryStore(test_limits())
    clock = SimClock()
    assert isinstance(intel_for(load_settings(), store, clock), MemoryIntel)
    assert isinstance(intel_for(load_settings(intel="off"), store, clock), NoIntel)
    assert isinstance(intel_for(load_settings(campaigns_enabled=False), store, clock), NoIntel)
    made = intel_for(load_settings(intel_buffer=7, flush_records=7, verdict_ttl=120), store, clock)
    assert isinstance(made, MemoryIntel)
    assert made.buffer._records.maxlen == 7 and made.book.ttl == 120


def test_a_batch_is_cut_into_runs_per_cohort_day_and_size() -> None:
    midnight = (T0 // DAY + 1) * DAY
    a = Record(midnight - 2, "x", ("t:a", "n:s"), True, 0, 1.0)
    b = Record(midnight - 1, "y", ("t:a",), True, 0, 1.0)
    c = Record(midnight + 1, "z", ("t:a", "n:s"), True, 0, 1.0)
    d = Record(midnight + 2, "w", ("t:a",), True, 0, 1.0)
    # given out of time order (as partitions are read): runs come in time order
    assert runs([c, a, d, b]) == [
        ("t:a", [a, b]),
        ("n:s", [a]),
        ("t:a", [c, d]),
        ("n:s", [c]),
    ]
    assert runs([a, b, c, d], most=1)[:2] == [("t:a", [a]), ("n:s", [a])]
    assert len(runs([a, b, c, d], most=1)) == 6


async def test_analysis_follows_the_request_clock_in_a_simulation() -> None:
    """Hours of simulated requests run in moments: the analysis comes every FLUSH interval
    of the middleware's clock (the records' time), not of the wall clock."""
    clock = SimClock(T0)
    intel = MemoryIntel(MODEL, flush_seconds=60.0, flush_records=10**6, clock=clock)
    await intel.start()
    try:
        for r in campaign(12, T0):
            intel.emit(r)
        await asyncio.sleep(0)
        assert intel.stats.analyzed == 0  # 11 simulated seconds: not due yet
        clock.advance(61)
        intel.emit(Record(clock(), "late", ("t:camp",), True, HARVEST, 1.0))  # due now
        for _ in range(200):
            if intel.stats.analyzed:
                break
            await asyncio.sleep(0)
        assert intel.stats.analyzed == 13 and intel.cache.lookup(("t:camp",), clock())
    finally:
        await intel.stop()


async def test_a_record_the_models_cannot_read_is_skipped_not_fatal() -> None:
    intel = MemoryIntel(MODEL)
    for r in campaign(6, T0):
        intel.emit(r)
    intel.emit(Record(T0 + 7, "\ud800", ("t:camp",), True, HARVEST, 1.0))  # a lone surrogate
    for r in campaign(12, T0 + 10)[6:]:
        intel.emit(r)
    await intel.drain(T0 + 30)
    assert intel.stats.invalid == 1 and intel.stats.analyzed == 13
    (v,) = intel.cache.lookup(("t:camp",), T0 + 30)
    assert v.accounts == 12
