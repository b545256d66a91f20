"""Admission of wrapper parts (``CohortModel.part_marker_ttl``): a part seen by one account
is a small marker, never cohort state; a second account promotes it with the first
sighting counted. Hand-worked, on both analysers (the memory one and fold.lua on a real
Redis)."""

from __future__ import annotations

import asyncio
import struct
from dataclasses import dataclass
from typing import Any

import pytest

from antiextract.intel.memory import MemoryIntel
from antiextract.intel.records import Record
from antiextract.intel.redis import MARKER_BYTES, RedisIntel, account_digest, cohort_keys
from antiextract.intel.report import cohort_report
from antiextract.model.cohorts import CohortModel
from antiextract.model.risk import DAY, ELICIT, FOCUS, SINGLE
from antiextract.store.redis import RedisStore

from .conftest import redis_client, test_limits

HARVEST = ELICIT | FOCUS | SINGLE  # harvest (2 + 2 + 1) / 6 = 5/6
T0 = 1_800_000_000.0 - 1_800_000_000.0 % DAY + 12 * 3_600.0  # noon UTC
PART = "p:" + "1" * 16
PREFIX = "aeadmit"
M = CohortModel(part_min_young=2, part_full_young=10)  # weight 6, half-life 6 h


@dataclass
class Seen:
    """What an analyser keeps of PART after a stream, read the way each keeps it."""

    state: bool  # full cohort state exists
    marker: tuple[float, ...] | None  # (day, ts, requests, elicit, focus, single, extract, flags)
    accounts: int = 0  # distinct accounts of the state (the larger of today's, yesterday's)
    young: int = 0
    requests: float = 0.0  # decayed to the last record
    verdicts: dict[str, Any] | None = None


async def _memory(records: list[Record], m: CohortModel, each: bool = False) -> Seen:
    intel = MemoryIntel(m)
    for r in records:
        intel.emit(r)
        if each:
            await intel.drain(r.t)
    await intel.drain(records[-1].t)
    table = intel.table
    verdicts = {v.key: v for v in intel.cache.all()}
    marker = table.markers.get(PART)
    found = None
    if marker is not None:
        flags = marker.prev + 2 * marker.young_cur + 4 * marker.young_prev
        found = (marker.day, marker.ts, marker.requests, marker.elicit, marker.focus,
                 marker.single, marker.extract, flags)  # fmt: skip
        assert marker.h != 0
    state = table.states.get(PART)
    if state is None:
        return Seen(False, found, verdicts=verdicts)
    return Seen(True, found, state.accounts_n, state.young_n, state.requests, verdicts)


async def _redis(records: list[Record], m: CohortModel, each: bool = False) -> Seen:
    s = RedisStore(test_limits(), await redis_client(), prefix=PREFIX, cohort_model=m)
    intel = RedisIntel(s, claim_idle=0.0)
    try:
        for r in records:
            intel.emit(r)
            if each:
                await intel.drain(r.t)
        end = records[-1].t
        await intel.drain(end)
        verdicts = {v.key: v for v in intel.cache.all()}
        keys = [k async for k in s.client.scan_iter(match=f"{PREFIX}:{{ic:*")]
        for k in keys:  # every key the analyser writes expires
            assert await s.client.ttl(k) > 0, k
        state_key, *_, marker_key = cohort_keys(PREFIX, PART, int(end // DAY))
        raw = await s.client.get(marker_key)
        found = None
        if raw is not None:
            assert len(raw) == MARKER_BYTES
            assert 0 < await s.client.ttl(marker_key) <= m.part_marker_ttl
            for r in records:  # the account is a digest there, never its key
                assert r.account.encode() not in raw
            ts, *counts, flags = struct.unpack("<6dB", raw[:49])
            found = (ts // DAY, ts, *counts, flags)
            assert raw[49:] in {account_digest(r.account) for r in records}
        if await s.client.get(state_key) is None:
            # a part with no state has no sketches either: the marker is all it costs
            assert [k.decode() for k in keys] == ([marker_key] if raw is not None else [])
            return Seen(False, found, verdicts=verdicts)
        (row,) = [c for c in await cohort_report(s, end) if c["cohort"] == PART]
        return Seen(True, found, row["accounts"], row["young"], row["requests"], verdicts)
    finally:
        await intel.stop()
        await s.close()


def seen(store: str, records: list[Record], m: CohortModel = M, each: bool = False) -> Seen:
    """``each``: every record analysed as it comes (one run, one fold.lua call each)."""
    return asyncio.run((_memory if store == "memory" else _redis)(records, m, each))


def rec(t: float, account: str, young: bool = True, traits: int = HARVEST) -> Record:
    return Record(t, account, (PART,), young, traits, 1.0)


BOTH = pytest.mark.parametrize("store", ["memory", "redis"])


@BOTH
def test_a_part_seen_once_is_only_a_marker(store: str) -> None:
    got = seen(store, [rec(T0, "acct-1")])
    assert not got.state
    # day, ts, one request with elicit + focus + single, young today (flag 2)
    assert got.marker == (T0 // DAY, T0, 1.0, 1.0, 1.0, 1.0, 0.0, 2.0)
    assert got.verdicts == {}


@BOTH
def test_the_same_account_again_does_not_promote(store: str) -> None:
    got = seen(store, [rec(T0, "acct-1"), rec(T0 + 3 * 3_600, "acct-1", traits=ELICIT)])
    assert not got.state
    # three hours at a six-hour half-life: 2 ** -0.5 of the first request remains
    w = 2**-0.5
    assert got.marker == pytest.approx((T0 // DAY, T0 + 10_800, 1 + w, 1 + w, w, w, 0.0, 2.0))


@BOTH
def test_a_second_account_promotes_with_both_counted(store: str) -> None:
    got = seen(store, [rec(T0, "acct-1"), rec(T0 + 600, "acct-2")])
    assert got.state and got.marker is None
    assert (got.accounts, got.young) == (2, 2)
    assert got.requests == pytest.approx(1 + 0.5 ** (600 / M.half_life))
    # two young accounts of five-sixths harvest: 6 x min(1, 2/10) x 1 x 5/6 = 1.0
    assert got.verdicts is not None and set(got.verdicts) == {PART}
    v = got.verdicts[PART]
    assert (v.accounts, v.young) == (2, 2)
    assert v.score == pytest.approx(1.0) and v.harvest == pytest.approx(5 / 6)


@BOTH
def test_a_promotion_after_midnight_keeps_yesterdays_young_account(store: str) -> None:
    """acct-1 young at 23:50, acct-2 established at 00:10: today one account and no young
    one, yesterday one young one, so (max) one account and one young one, as unfiltered."""
    night = T0 + 12 * 3_600 - 600
    got = seen(store, [rec(night, "acct-1"), rec(night + 1_200, "acct-2", young=False)])
    assert got.state and (got.accounts, got.young) == (1, 1)
    assert got.requests == pytest.approx(1 + 0.5 ** (1_200 / M.half_life))


@BOTH
def test_an_idle_marker_is_forgotten(store: str) -> None:
    late = T0 + M.part_marker_ttl + 1
    got = seen(store, [rec(T0, "acct-1"), rec(late, "acct-2")])
    assert not got.state  # acct-2's sighting is a first one again
    assert got.marker is not None and got.marker[1] == late and got.marker[2] == 1.0


@BOTH
def test_a_marker_idle_exactly_its_lifetime_is_still_remembered(store: str) -> None:
    """Forgotten only when idle longer than part_marker_ttl: a day (four six-hour
    half-lives) after acct-1, acct-2 promotes the part with acct-1's request weighing
    1/16; acct-1 counts as yesterday's account (young), acct-2 as today's (young)."""
    got = seen(store, [rec(T0, "acct-1"), rec(T0 + M.part_marker_ttl, "acct-2")])
    assert got.state and got.marker is None
    assert (got.accounts, got.young) == (1, 1)
    assert got.requests == pytest.approx(1 + 1 / 16)


@BOTH
@pytest.mark.parametrize("before", [[], [DAY - 3_600.0]], ids=["first", "after-a-forgotten-one"])
def test_a_sighting_on_the_epochs_third_day_has_no_day_before(
    store: str, before: list[float]
) -> None:
    """A simulated clock near the epoch: a part first seen on day 2 (or seen again there
    after its marker from day 0 was forgotten, idle over a day) was not seen on day 1: the
    marker's flags say young today only."""
    t = 2 * DAY + 3_600.0
    got = seen(store, [*(rec(b, "acct-1") for b in before), rec(t, "acct-1")], each=True)
    assert not got.state
    assert got.marker == (2, t, 1.0, 1.0, 1.0, 1.0, 0.0, 2.0)


@pytest.mark.parametrize("times", [[60.0], [60.0, 3_760.0]], ids=["first", "after-a-forgotten-one"])
def test_on_the_epochs_first_day_both_analysers_read_a_sighting_alike(times) -> None:
    """Day 0 has no day before it. Whatever a marker makes of that (a fresh marker, and one
    forgotten after idling past its lifetime, start from day -1 in both), the memory
    analyser and fold.lua make the same of it, flags and all."""
    m = CohortModel(part_min_young=2, part_full_young=10, part_marker_ttl=3_600)
    records = [rec(t, "acct-1") for t in times]
    mem = seen("memory", records, m, each=True)
    red = seen("redis", records, m, each=True)
    assert mem.marker is not None and mem.marker[0] == 0
    assert red.marker == pytest.approx(mem.marker)


@BOTH
@pytest.mark.parametrize(("young_before", "flags"), [(False, 3.0), (True, 7.0)])
def test_one_accounts_sightings_across_midnight_keep_their_days_in_the_marker(
    store: str, young_before: bool, flags: float
) -> None:
    """acct-1 at 23:00, then young at 01:00 and 02:00, established at 03:00 (its young
    days over), each analysed as it comes: seen the day before (flag 1), young today (2),
    and young the day before (4) when it was young at 23:00 too; the later sightings, on
    the same day, keep the flags. Requests: the first decays two hours, then one hour
    twice (six-hour half-life)."""
    night = T0 + 11 * 3_600
    got = seen(
        store,
        [
            rec(night, "acct-1", young=young_before),
            rec(night + 7_200, "acct-1"),
            rec(night + 10_800, "acct-1"),
            rec(night + 14_400, "acct-1", young=False),
        ],
        each=True,
    )
    assert not got.state
    n = ((2 ** (-1 / 3) + 1) * 2 ** (-1 / 6) + 1) * 2 ** (-1 / 6) + 1
    day = T0 // DAY + 1
    assert got.marker == pytest.approx((day, night + 14_400, n, n, n, n, 0.0, flags))


@BOTH
def test_a_marker_two_days_old_is_not_yesterdays(store: str) -> None:
    """A marker lifetime of three days: acct-1 young at noon, again two days later. Not
    seen the day before, so not young then either: young today only (flag 2)."""
    m = CohortModel(part_min_young=2, part_full_young=10, part_marker_ttl=3 * DAY)
    got = seen(store, [rec(T0, "acct-1"), rec(T0 + 2 * DAY, "acct-1")], m, each=True)
    assert not got.state
    n = 1 + 2.0**-8  # two days are eight six-hour half-lives
    assert got.marker == pytest.approx((T0 // DAY + 2, T0 + 2 * DAY, n, n, n, n, 0.0, 2.0))


@BOTH
def test_an_established_accounts_sightings_stay_a_marker_with_no_flags(store: str) -> None:
    """Analysed one by one: the second sighting meets the marker the first one left."""
    records = [rec(T0, "acct-1", young=False), rec(T0 + 60, "acct-1", young=False)]
    got = seen(store, records, each=True)
    assert not got.state
    n = 1 + 2 ** (-60 / 21_600)
    assert got.marker == pytest.approx((T0 // DAY, T0 + 60, n, n, n, n, 0.0, 0.0))
    assert got.verdicts == {}


@BOTH
def test_with_one_young_account_enough_the_marker_is_judged_as_a_cohort(store: str) -> None:
    """part_min_young 1: the marker's one young account already links. Its verdict: one
    account, one young, score 6 x 1/10 x 1 x 5/6 = 0.5. An established account's part
    stays unlinked."""
    m = CohortModel(part_min_young=1, part_full_young=10)
    got = seen(store, [rec(T0, "acct-1")], m)
    assert not got.state and got.verdicts is not None and set(got.verdicts) == {PART}
    v = got.verdicts[PART]
    assert (v.accounts, v.young) == (1, 1)
    assert v.score == pytest.approx(0.5) and v.harvest == pytest.approx(5 / 6)
    established = seen(store, [rec(T0, "acct-2", young=False)], m)
    assert not established.state and established.verdicts == {}


@BOTH
def test_admission_off_keeps_a_state_per_part(store: str) -> None:
    off = CohortModel(part_min_young=2, part_full_young=10, part_marker_ttl=0)
    got = seen(store, [rec(T0, "acct-1")], off)
    assert got.state and got.marker is None and (got.accounts, got.young) == (1, 1)


def test_the_marker_lifetime_is_checked_at_start_up() -> None:
    for bad in (60, 10 * DAY, 3_600.5):
        with pytest.raises(ValueError, match="part_marker_ttl"):
            CohortModel(part_marker_ttl=bad)
    assert CohortModel(part_marker_ttl=7_200.0).part_marker_ttl == 7_200


def test_one_off_parts_neither_push_cohorts_out_nor_grow_past_the_marker_bound() -> None:
    """A thousand one-off parts through a table of three cohorts and ten markers: the
    template's state stays, the markers are the ten latest parts."""
    from antiextract.intel.analyzer import CohortTable
    from antiextract.intel.verdicts import VerdictBook

    table = CohortTable(M, max_cohorts=3, max_markers=10)
    records = [
        Record(T0 + i, f"acct-{i}", ("t:app", f"p:{i:016x}"), False, 0, 1.0) for i in range(1_000)
    ]
    table.analyze(records, VerdictBook(3_600.0))
    assert list(table.states) == ["t:app"]  # no part ever became a state
    assert table.states["t:app"].accounts_n == pytest.approx(1_000, rel=0.2)  # KMV past 256
    assert list(table.markers) == [f"p:{i:016x}" for i in range(990, 1_000)]
