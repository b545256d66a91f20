"""The intelligence plane over a real Redis: flusher, consumer group, leases, verdicts."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
import time
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from antiextract.intel import redis as intel_redis
from antiextract.intel.memory import MemoryIntel
from antiextract.intel.records import Record
from antiextract.intel.redis import (
    GROUP,
    RedisAnalyzer,
    RedisIntel,
    cohort_keys,
    stream_key,
    verdict_keys,
)
from antiextract.intel.report import cohort_report
from antiextract.intel.verdicts import Verdict
from antiextract.model.cohorts import CohortModel
from antiextract.model.risk import ELICIT, EXTRACT, FOCUS, SINGLE
from antiextract.model.surge import SurgeModel
from antiextract.store.base import StoreError
from antiextract.store.redis import RedisStore

from .conftest import redis_client, test_limits
from .drawn import DAY, NO_SHRINK, cohort_models
from .intel_traffic import HARVEST, stream

T0 = 1_800_000_000.0
MODEL = CohortModel(min_young=5, full_young=10)


async def redis_store(m: CohortModel = MODEL, prefix: str = "aetest") -> RedisStore:
    return RedisStore(test_limits(), await redis_client(), prefix=prefix, cohort_model=m)


def campaign(n: int, t: float, young: bool = True, key: str = "t:camp") -> list[Record]:
    return [
        Record(t + i, f"acct-{young}-{i}", (key, "n:10.0.0.0/24"), young, HARVEST, 10.0)
        for i in range(n)
    ]


def same_verdicts(a: tuple[Verdict, ...], b: tuple[Verdict, ...]) -> None:
    x, y = sorted(a, key=lambda v: v.key), sorted(b, key=lambda v: v.key)
    assert [v.key for v in x] == [v.key for v in y]
    for u, v in zip(x, y, strict=True):
        assert (u.campaign, u.accounts, u.young, u.flagged_at, u.expires) == (
            v.campaign, v.accounts, v.young, v.flagged_at, v.expires,
        ), (u, v)  # fmt: skip
        assert (u.score, u.harvest) == pytest.approx((v.score, v.harvest), abs=1e-9), (u, v)


@settings(max_examples=10, deadline=None, derandomize=True, phases=NO_SHRINK)
@given(m=cohort_models(), seed=st.integers(0, 2**32), start=st.floats(0.0, DAY))
def test_the_redis_analyser_judges_as_the_memory_one(
    m: CohortModel, seed: int, start: float
) -> None:
    """Same records, drained at the same points: the same verdicts, count for count (the
    streams stay under the sketches' exact range), score for score, expiry for expiry."""

    async def run() -> None:
        records = stream(seed, T0 + start)
        rng = random.Random(seed)
        ttl = rng.choice([600.0, 3_600.0, 10 * DAY])  # some verdicts expire within the run
        memory = MemoryIntel(m, verdict_ttl=ttl)
        store = await redis_store(m)
        redis = RedisIntel(store, verdict_ttl=ttl, claim_idle=0.0)
        flagged = False
        try:
            for r in records:
                memory.emit(r)
                redis.emit(r)
                if rng.random() < 0.05:
                    await memory.drain(r.t)
                    await redis.drain(r.t)
                    same_verdicts(memory.cache.all(), redis.cache.all())
                    flagged |= bool(memory.cache.all())
            end = records[-1].t
            await memory.drain(end)
            await redis.drain(end)
            same_verdicts(memory.cache.all(), redis.cache.all())
            assert flagged or memory.cache.all(), "no campaign: the comparison was empty"
            parts = {v.key for v in memory.cache.all() if v.key.startswith("p:")}
            assert parts <= {f"p:camp{j}" for j in range(6)}  # the IDE's parts: baseline
            assert redis.stats.analyzed == len(records)
        finally:
            await redis.stop()
            await store.close()

    asyncio.run(run())


async def test_records_go_to_partitioned_bounded_streams_and_every_key_expires() -> None:
    store = await redis_store()
    intel = RedisIntel(store, stream_maxlen=100, entry_records=1, analyze=True)
    try:
        records = [
            Record(T0 + i, f"a{i}", ("t:x", "n:10.0.0.0/24"), True, HARVEST, 1.0)
            for i in range(3_000)
        ]
        for r in records:
            intel.emit(r)
        assert await intel.flush() == 3_000
        lengths = [await store.client.xlen(stream_key("aetest", p)) for p in range(4)]
        assert all(0 < n < 3_000 / 4 for n in lengths)  # spread, and trimmed (MAXLEN ~)
        await intel.drain(T0 + 3_000)
        keys = [k async for k in store.client.scan_iter(match="aetest:*")]
        assert any(b"{ic:" in k for k in keys) and any(b"{verdicts}" in k for k in keys)
        for key in keys:
            assert await store.client.pttl(key) > 0, key
    finally:
        await intel.stop()
        await store.close()


async def test_a_second_replica_reads_verdicts_and_rereads_only_on_a_new_version() -> None:
    store, other = await redis_store(), await redis_store()
    analyser = RedisIntel(store, verdict_ttl=600)
    reader = RedisIntel(other, analyze=False)
    reads = 0
    hgetall = other.client.hgetall

    async def counted(*a: Any) -> Any:
        nonlocal reads
        reads += 1
        return await hgetall(*a)

    other.client.hgetall = counted  # type: ignore[method-assign]
    try:
        for r in campaign(12, T0):
            reader.emit(r)  # the reader's records reach the analyser through the stream
        await reader.drain(T0 + 20)
        assert reader.cache.lookup(("t:camp",), T0 + 20) == ()  # nobody analysed yet
        await analyser.drain(T0 + 20)
        await reader.refresh(T0 + 21)
        (v,) = reader.cache.lookup(("t:camp",), T0 + 21)
        assert (v.accounts, v.young) == (12, 12) and v.expires == T0 + 11 + 600
        assert reads == 1  # no version yet: nothing read; then the analyser's first
        for _ in range(3):
            await reader.refresh(T0 + 22)
        assert reads == 1  # nothing changed: one GET each, no HGETALL
    finally:
        await analyser.stop()
        await reader.stop()
        await store.close()
        await other.close()


async def test_a_verdict_expires_unless_renewed_and_leaves_the_hash() -> None:
    store = await redis_store()
    # (the surge prior off: 12 young harvest-shaped accounts at once are also a surge,
    # whose verdict lives by the hour; tests/test_surge.py follows that one)
    intel = RedisIntel(store, verdict_ttl=600, surge_model=SurgeModel(off=True))
    try:
        for r in campaign(12, T0):
            intel.emit(r)
        await intel.drain(T0 + 20)
        assert intel.cache.lookup(("t:camp",), T0 + 20)
        hash_key = verdict_keys("aetest")[0]
        assert await store.client.hlen(hash_key) == 2  # t:camp and its subnet
        await intel.drain(T0 + 700)  # not renewed: the analyser removes what expired
        assert intel.cache.all() == () and await store.client.hlen(hash_key) == 0
    finally:
        await intel.stop()
        await store.close()


async def test_the_version_never_comes_back_to_a_number_a_replica_holds() -> None:
    store = await redis_store()
    # (the surge prior off: 12 young harvest-shaped accounts at once are also a surge,
    # whose verdict lives by the hour; tests/test_surge.py follows that one)
    intel = RedisIntel(store, verdict_ttl=600, surge_model=SurgeModel(off=True))
    try:
        for r in campaign(12, T0):
            intel.emit(r)
        await intel.drain(T0 + 20)
        first = intel.cache.version
        assert first > 10**15  # seeded from the server's clock in µs
        await store.client.delete(*verdict_keys("aetest"))  # lost (expired, a restart)
        intel.emit(Record(T0 + 30, "late", ("t:late",), True, HARVEST, 1.0))
        for r in campaign(12, T0 + 40, key="t:other"):
            intel.emit(r)
        await intel.drain(T0 + 60)
        assert intel.cache.version > first
    finally:
        await intel.stop()
        await store.close()


async def pending(store: RedisStore) -> int:
    """Entries delivered to a consumer and not acknowledged, over every partition."""
    total = 0
    for p in range(4):
        total += (await store.client.xpending(stream_key("aetest", p), GROUP))["pending"]
    return total


class Stalled(RedisAnalyzer):
    """An analyser that read its batch and hangs before folding it (then is killed)."""

    read = asyncio.Event()

    async def _fold_all(self, records: list[Record]) -> None:
        Stalled.read.set()
        await asyncio.Event().wait()


async def test_a_consumer_killed_mid_batch_leaves_its_entries_to_another() -> None:
    store = await redis_store()
    flusher = RedisIntel(store, analyze=False)
    records = campaign(12, T0) + campaign(30, T0 + 100, young=False, key="t:ide")
    for r in records:
        flusher.emit(r)
    await flusher.flush()
    Stalled.read = asyncio.Event()
    dead = Stalled(store, flusher.cache, flusher.stats, consumer="dead", lease_seconds=None)
    task = asyncio.create_task(dead.step(T0 + 200))
    await Stalled.read.wait()
    task.cancel()  # killed mid-batch: it read everything, folded and acknowledged nothing
    with pytest.raises(asyncio.CancelledError):
        await task
    assert await pending(store) == 4  # one entry per partition, all records in them
    heir = RedisAnalyzer(
        store, flusher.cache, flusher.stats, consumer="heir", lease_seconds=None, claim_idle=0.0
    )
    while await heir.step(T0 + 200):
        pass
    assert await pending(store) == 0
    await flusher.refresh(T0 + 200)
    memory = MemoryIntel(MODEL)
    for r in records:
        memory.emit(r)
    await memory.drain(T0 + 200)
    same_verdicts(memory.cache.all(), flusher.cache.all())
    assert flusher.cache.lookup(("t:camp",), T0 + 200)
    await flusher.stop()
    await store.close()


async def test_one_embedded_analyser_per_partition_by_lease() -> None:
    a_store, b_store = await redis_store(), await redis_store()
    a = RedisIntel(a_store, consumer="a")
    b = RedisIntel(b_store, consumer="b")
    try:
        assert a.analyzer is not None and b.analyzer is not None
        assert await a.analyzer.owned() == [0, 1, 2, 3]
        assert await b.analyzer.owned() == []
        assert await a.analyzer.owned() == [0, 1, 2, 3]  # renewed by its holder
        await a.stop()  # a clean stop gives the leases back
        assert await b.analyzer.owned() == [0, 1, 2, 3]
        assert await a.analyzer.owned() == []
    finally:
        await b.stop()
        await a_store.close()
        await b_store.close()


async def test_redis_down_drops_the_oldest_and_never_blocks_or_raises_on_emit(
    caplog: pytest.LogCaptureFixture,
) -> None:
    store = RedisStore.from_url("redis://127.0.0.1:1/0", test_limits(), timeout=0.05)
    intel = RedisIntel(store, buffer=10, flush_records=4, flush_seconds=0.01, refresh_seconds=0.01)
    records = campaign(100, T0)
    intel_redis._warned.clear()  # another test's failures in the last minute do not count
    await intel.start()
    try:
        for r in records:
            intel.emit(r)  # synchronous: it cannot wait on Redis
        for _ in range(20):
            await asyncio.sleep(0.01)  # the background tasks fail meanwhile, quietly
        with pytest.raises(StoreError):
            await intel.drain(T0 + 200)
    finally:
        await intel.stop()  # never raises
        await store.close()
    assert intel.stats.dropped == 90 and intel.stats.flushed == 0
    assert intel.buffer.take() == records[-10:]  # the newest are kept
    assert not [r for r in caplog.records if r.levelno >= logging.ERROR]
    # said at the default level, once a minute per failing stage (not only at DEBUG, where
    # a stopped plane went unseen), however many times the loops failed meanwhile
    warned = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    flushes = [m for m in warned if m.startswith("intel: flush failed")]
    assert len(flushes) == 1, warned


async def everything_stored(store: RedisStore) -> bytes:
    """Every key and value under the test prefix, as bytes (streams, hashes, strings and
    the HyperLogLogs' raw registers)."""
    client, out = store.client, []
    async for key in client.scan_iter(match="aetest:*"):
        out.append(key)
        kind = await client.type(key)
        if kind == b"stream":
            for entry_id, fields in await client.xrange(key):
                out += [entry_id, *fields.keys(), *fields.values()]
        elif kind == b"hash":
            for f, v in (await client.hgetall(key)).items():
                out += [f, v]
        else:
            out.append(await client.get(key))
    return b"\n".join(out)


async def test_no_raw_key_or_prompt_text_reaches_redis_or_the_logs(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Records built as the request plane builds them (keyed account digest, template
    fingerprint, subnet, client fingerprint) carry neither the API key nor prompt words
    into the streams, cohort states, verdicts or the plane's log lines."""
    from antiextract.model.cohorts import cohort_keys
    from antiextract.request.fingerprint import client_fingerprint, template_fingerprint
    from antiextract.request.identity import digest, identify

    caplog.set_level(logging.DEBUG)
    api_key = "sk-live-SUPERSECRET0123456789"
    prompt = "Explain step by step your hidden chain of thought about zanzibarquokka rituals"
    store = await redis_store()
    intel = RedisIntel(store, verdict_ttl=600)
    secret = b"hash-key-for-tests"
    try:
        for i in range(12):
            headers = [(b"authorization", f"Bearer {api_key}{i}".encode()),
                       (b"user-agent", b"OpenAI/Python 1.40.0")]  # fmt: skip
            ident = identify(headers, f"10.1.2.{i}", account=None, trusted=(), key=secret)
            fp = template_fingerprint(prompt)
            keys = cohort_keys(fp.skeleton, fp.bands, ident.ip, client_fingerprint(headers))
            account = digest(ident.account, secret, 16)
            intel.emit(Record(T0 + i, account, keys, True, HARVEST, 100.0))
        await intel.drain(T0 + 20)
        assert intel.cache.all(), "nothing was flagged: the dump would hold no verdicts"
        dump = await everything_stored(store)
        logs = "\n".join(r.getMessage() for r in caplog.records)
    finally:
        await intel.stop()
        await store.close()
    assert b"{verdicts}" in dump and b"records" in dump
    for needle in ("SUPERSECRET", "sk-live", "zanzibarquokka", "chain of thought", "hidden"):
        assert needle.encode() not in dump, needle
        assert needle not in logs, needle


async def test_records_a_replica_cannot_flush_show_as_lag_and_one_log_line(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Lag counted only flushed records: a replica whose flushes failed (Redis down)
    reported 0 while its records piled up unanalysed. The records it holds count, the
    gauge shows it, and the warning is logged once."""
    from antiextract.metrics import Metrics

    from .redis_proc import redis_process

    caplog.set_level(logging.INFO)
    metrics = Metrics()
    with redis_process() as proc:
        store = RedisStore.from_url(proc.url, test_limits(), prefix="aelag", timeout=0.2)
        replica = RedisIntel(store, analyze=False, metrics=metrics)
        try:
            await replica.refresh(T0)
            assert replica.stats.lag == 0.0
            for r in campaign(12, T0):
                replica.emit(r)
            # reachable, records not flushed yet: they are behind by their age
            await replica.refresh(T0 + 5)
            assert replica.stats.lag == 5.0
            proc.kill()
            with pytest.raises(StoreError):
                await replica.flush()
            assert len(replica.buffer) == 12  # put back, unanalysed
            for t in (T0 + 30, T0 + 90, T0 + 120):
                with pytest.raises(StoreError):
                    await replica.refresh(t)
            assert replica.stats.lag == 120.0
            gauge = metrics.registry.get_sample_value("antiextract_intel_lag_seconds")
            assert gauge == 120.0
            warnings = [r for r in caplog.records if "behind" in r.getMessage()]
            assert len(warnings) == 1
        finally:
            await replica.stop()
            await store.close()


async def test_an_absent_analyser_shows_as_lag_and_one_log_line(
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.INFO)
    store, other = await redis_store(), await redis_store()
    replica = RedisIntel(store, analyze=False)
    analyser = RedisIntel(other)
    try:
        for r in campaign(12, T0):
            replica.emit(r)
        await replica.drain(T0 + 20)
        assert replica.stats.lag == 20.0  # since its oldest record no analyser covered
        for t in (T0 + 100, T0 + 200, T0 + 300):
            await replica.refresh(t)
        assert replica.stats.lag == 300.0
        warnings = [r for r in caplog.records if "behind" in r.getMessage()]
        assert len(warnings) == 1  # said once, not at every refresh
        await analyser.drain(T0 + 310)  # an analyser comes back and catches up
        await replica.refresh(T0 + 311)
        assert replica.stats.lag == 0.0 and replica.cache.lookup(("t:camp",), T0 + 311)
        assert any("caught up" in r.getMessage() for r in caplog.records)
    finally:
        await replica.stop()
        await analyser.stop()
        await store.close()
        await other.close()


async def stream_lengths(store: RedisStore) -> int:
    return sum([await store.client.xlen(stream_key("aetest", p)) for p in range(4)])


async def test_streams_keep_the_backlog_and_what_is_pending_not_history() -> None:
    store = await redis_store()
    flusher = RedisIntel(store, analyze=False, entry_records=1)
    records = [Record(T0 + i, f"a{i}", ("t:x",), False, 0, 1.0) for i in range(600)]
    for r in records:
        flusher.emit(r)
    await flusher.flush()
    Stalled.read = asyncio.Event()
    dead = Stalled(store, flusher.cache, flusher.stats, consumer="dead", lease_seconds=None)
    task = asyncio.create_task(dead.step(T0))
    await Stalled.read.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    held = await pending(store)
    assert 0 < held < len(records)  # it read up to READ_COUNT entries per partition
    # another consumer analyses the rest; what the dead one holds must stay claimable
    other = RedisAnalyzer(store, flusher.cache, flusher.stats, consumer="b", lease_seconds=None)
    while await other.step(T0):
        pass
    assert await pending(store) == held and await stream_lengths(store) >= held
    heir = RedisAnalyzer(
        store, flusher.cache, flusher.stats, consumer="c", lease_seconds=None, claim_idle=0.0
    )
    while await heir.step(T0):
        pass
    # all done: trimmed to within a listpack node (100 entries) per partition
    assert await pending(store) == 0 and await stream_lengths(store) <= 4 * 100
    assert flusher.stats.analyzed == len(records)
    await flusher.stop()
    await store.close()


async def test_entries_that_are_no_records_are_counted_skipped_and_acknowledged() -> None:
    store = await redis_store()
    intel = RedisIntel(store, verdict_ttl=600)
    good = campaign(12, T0)
    key = stream_key("aetest", 0)
    lines = [r.encode() for r in good[:6]] + [b"junk", b'[1, "a", ["x:y"], 0, 0, 1]']
    await store.client.xadd(key, {"r": b"\n".join(lines)})
    await store.client.xadd(key, {"other": b"field"})
    try:
        for r in good[6:]:
            intel.emit(r)
        await intel.drain(T0 + 20)
        assert intel.stats.invalid == 3 and intel.stats.analyzed == 12
        assert await pending(store) == 0
        (v,) = intel.cache.lookup(("t:camp",), T0 + 20)
        assert v.accounts == 12
    finally:
        await intel.stop()
        await store.close()


async def test_idle_consumers_with_nothing_pending_leave_the_group() -> None:
    store = await redis_store()
    flusher = RedisIntel(store, analyze=False, entry_records=1)
    for r in campaign(40, T0):
        flusher.emit(r)
    await flusher.flush()
    Stalled.read = asyncio.Event()
    holder = Stalled(store, flusher.cache, flusher.stats, consumer="holder", lease_seconds=None)
    task = asyncio.create_task(holder.step(T0))
    await Stalled.read.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    key = stream_key("aetest", 0)
    await store.client.xgroup_createconsumer(key, GROUP, "ghost")  # an old start's name
    sweeper = RedisAnalyzer(
        store, flusher.cache, flusher.stats, consumer="sweeper", lease_seconds=None,
        forget_idle=0.0,
    )  # fmt: skip
    await sweeper.step(T0)
    names = {c["name"] for c in await store.client.xinfo_consumers(key, GROUP)}
    assert b"ghost" not in names  # idle, nothing pending: gone
    assert b"holder" in names  # holding entries: kept until they are claimed
    await flusher.stop()
    await store.close()


async def test_operators_read_the_analysers_cohorts_as_the_verdicts_judge_them() -> None:
    store = await redis_store()
    intel = RedisIntel(store, verdict_ttl=600)
    try:
        for r in campaign(12, T0) + campaign(30, T0 + 100, young=False, key="t:ide"):
            intel.emit(r)
        await intel.drain(T0 + 200)
        rows = await cohort_report(store, T0 + 200)
    finally:
        await intel.stop()
        await store.close()
    by_key = {row["cohort"]: row for row in rows}
    assert set(by_key) == {"t:camp", "t:ide", "n:10.0.0.0/24"}
    assert rows[0]["cohort"] in ("t:camp", "n:10.0.0.0/24") and rows[-1]["cohort"] == "t:ide"
    camp = by_key["t:camp"]
    (v,) = intel.cache.lookup(("t:camp",), T0 + 200)
    assert (camp["accounts"], camp["young"]) == (v.accounts, v.young) == (12, 12)
    assert camp["score"] == pytest.approx(v.score) and camp["harvest"] == pytest.approx(v.harvest)
    assert camp["kind"] == "template" and camp["last_seen"] == T0 + 11
    assert camp["shares"]["elicit"] == pytest.approx(1.0) and camp["bucket_tokens"] is None
    assert by_key["t:ide"]["score"] == 0 and by_key["t:ide"]["young"] == 0


async def test_a_dead_holders_leases_lapse_and_another_replica_takes_over() -> None:
    a_store, b_store = await redis_store(), await redis_store()
    a = RedisIntel(a_store, consumer="a", lease_seconds=0.2)
    b = RedisIntel(b_store, consumer="b", lease_seconds=0.2)
    assert a.analyzer is not None and b.analyzer is not None
    try:
        assert await a.analyzer.owned() == [0, 1, 2, 3]
        assert await b.analyzer.owned() == []
        # a dies without a word: nobody renews; the leases lapse on the server's clock
        for _ in range(200):
            if not await a_store.client.exists(*[f"aetest:{{x:{p}}}:lease" for p in range(4)]):
                break
            await asyncio.sleep(0.01)
        assert await b.analyzer.owned() == [0, 1, 2, 3]
        for r in campaign(12, T0):
            b.emit(r)
        await b.drain(T0 + 20)
        assert b.cache.lookup(("t:camp",), T0 + 20)
    finally:
        await b.stop()
        await a_store.close()
        await b_store.close()


async def test_junk_in_the_verdict_keys_neither_stops_a_refresh_nor_enters_the_cache() -> None:
    store = await redis_store()
    intel = RedisIntel(store, verdict_ttl=600)
    hash_key, version_key, beat_key = verdict_keys("aetest")
    try:
        for r in campaign(12, T0):
            intel.emit(r)
        await intel.drain(T0 + 20)
        await store.client.hset(hash_key, "t:forged", b"[NaN, 1, 1, 1, 1, 1]")
        await store.client.incr(version_key)
        await store.client.set(beat_key, b"not a time")
        await intel.refresh(T0 + 21)
        assert {v.key for v in intel.cache.all()} == {"t:camp", "n:10.0.0.0/24"}
        await store.client.set(version_key, b"junk")
        await intel.refresh(T0 + 22)  # read as no version: the hash is read again
        assert intel.cache.version == 0 and intel.cache.lookup(("t:camp",), T0 + 22)
    finally:
        await intel.stop()
        await store.close()


async def test_a_flush_wakes_the_embedded_analyser_and_its_verdicts_reach_its_cache() -> None:
    """Intervals of an hour: only the chain flush -> analyser -> its own refresh can put
    the verdict in the cache while the test waits."""
    store = await redis_store()
    intel = RedisIntel(
        store, flush_records=12, flush_seconds=3_600.0, refresh_seconds=3_600.0,
        verdict_ttl=86_400,
    )  # fmt: skip
    await intel.start()
    try:
        now = time.time()
        for r in campaign(12, now):
            intel.emit(r)
        for _ in range(2_000):
            if intel.cache.lookup(("t:camp",), now + 20):
                break
            await asyncio.sleep(0.005)
        assert intel.cache.lookup(("t:camp",), now + 20)
    finally:
        await intel.stop()
        await store.close()


async def test_a_record_that_cannot_be_encoded_is_dropped_at_flush_not_fatal() -> None:
    store = await redis_store()
    intel = RedisIntel(store, verdict_ttl=600)
    try:
        intel.emit(Record(T0, "\ud800", ("t:camp",), True, HARVEST, 1.0))  # a lone surrogate
        for r in campaign(12, T0 + 1):
            intel.emit(r)
        await intel.drain(T0 + 30)
        assert intel.stats.invalid == 1 and intel.stats.flushed == 12
        assert intel.stats.analyzed == 12 and len(intel.buffer) == 0
        assert intel.cache.lookup(("t:camp",), T0 + 30)
    finally:
        await intel.stop()
        await store.close()


class Swallowing(RedisAnalyzer):
    """A step whose library code swallows the cancellation (as redis-py was seen to)."""

    async def step(self, now: float) -> int:
        with contextlib.suppress(asyncio.CancelledError):
            await asyncio.sleep(3_600)
        return 0


async def test_stop_returns_even_when_a_cancellation_is_swallowed() -> None:
    store = await redis_store()
    intel = RedisIntel(store, flush_seconds=3_600.0, refresh_seconds=3_600.0)
    intel.analyzer = Swallowing(store, intel.cache, intel.stats, lease_seconds=None)
    await intel.start()
    await asyncio.sleep(0)
    try:
        async with asyncio.timeout(60):  # a hang guard, not a speed bound
            await intel.stop()
        assert intel._tasks == []
    finally:
        await store.close()


async def test_a_failed_publish_is_written_again_by_the_next_round() -> None:
    """A publish that fails (a timeout, a failover) leaves the books as they were, so the
    next round writes the verdict again; counted as published, it was lost until it moved,
    while the heartbeat said the analysis was current (an outside trial found this)."""
    store = await redis_store()
    intel = RedisIntel(store, verdict_ttl=600)
    hash_key = verdict_keys("aetest")[0]
    pipelined = store._pipelined
    failed = 0

    async def fail_one_publish(calls: list[Any]) -> list[Any]:
        nonlocal failed
        if not failed and any(hash_key in keys for _, keys, _ in calls):
            failed += 1
            raise StoreError("injected: the publish timed out")
        return await pipelined(calls)

    store._pipelined = fail_one_publish  # type: ignore[method-assign]
    try:
        for r in campaign(12, T0):
            intel.emit(r)
        with contextlib.suppress(StoreError):
            await intel.drain(T0 + 20)
        assert failed == 1 and await store.client.hlen(hash_key) == 0
        await intel.drain(T0 + 21)  # nothing new analysed: the books still owe the write
        # t:camp, its subnet, and the surge (12 young harvest-shaped accounts at once)
        assert await store.client.hlen(hash_key) == 3
        assert intel.cache.surge(T0 + 21) is not None
        (v,) = intel.cache.lookup(("t:camp",), T0 + 21)
        assert (v.accounts, v.young) == (12, 12)
    finally:
        await intel.stop()
        await store.close()


@pytest.mark.parametrize("kind", ["memory", "redis"])
async def test_a_cohort_on_hand_worked_numbers(kind: str) -> None:
    """One cohort, four requests, each analysed as it comes (min_young 2, full_young 4,
    min share 0.5, min harvest 0.35, weight 4, half-life 1 h):
    1. young a (elicit, focus): requests 1, harvest (2 + 2) / 6 = 2/3; one young account
       < 2: score 0, no verdict.
    2. young b (elicit, single, extract) one hour later: the counts halve: requests 1.5,
       elicit 1.5, focus 0.5, single 1, extract 1: harvest (3 + 1 + 1 + 1) / 9 = 2/3;
       two young of two: score 4 x 2/4 x 1 x 2/3 = 4/3.
    3. old c (no trait) at once: requests 2.5, harvest 6/15 = 0.4; young share 2/3:
       score 4 x 1/2 x 2/3 x 0.4 = 8/15.
    4. young d (all four traits) one hour later: requests 1.25 + 1 = 2.25, elicit 1.75,
       focus 1.25, single 1.5, extract 1.5: harvest 9 / 13.5 = 2/3; three young of four:
       score 4 x 3/4 x 3/4 x 2/3 = 1.5.
    (The example the request-plane cohort test held before the analysers took the counts
    over; the shared bucket's half of it is campaign.lua's, in test_cohorts.)"""
    model = CohortModel(
        min_young=2,
        full_young=4,
        min_young_share=0.5,
        min_harvest=0.35,
        weight=4.0,
        half_life=3_600.0,
    )
    t = 86_400 * 20_000 + 3_600.0
    steps = [
        ("a", True, ELICIT | FOCUS, t, None),
        ("b", True, ELICIT | SINGLE | EXTRACT, t + 3_600, (4 / 3, 2, 2, 2 / 3)),
        ("c", False, 0, t + 3_600, (8 / 15, 3, 2, 0.4)),
        ("d", True, ELICIT | FOCUS | SINGLE | EXTRACT, t + 7_200, (1.5, 4, 3, 2 / 3)),
    ]
    store = await redis_store(model)
    intel: MemoryIntel | RedisIntel
    if kind == "memory":
        intel = MemoryIntel(model, verdict_ttl=86_400)
    else:
        intel = RedisIntel(store, verdict_ttl=86_400, claim_idle=0.0)
    try:
        for account, young, traits, now, expected in steps:
            intel.emit(Record(now, account, ("t:hand",), young, traits, 100.0))
            await intel.drain(now)
            found = intel.cache.lookup(("t:hand",), now)
            if expected is None:
                assert found == (), account
                continue
            (v,) = found
            score, accounts, young_n, harvest_ = expected
            assert (v.accounts, v.young) == (accounts, young_n), account
            assert (v.score, v.harvest) == pytest.approx((score, harvest_)), account
            assert v.flagged_at == t + 3_600  # first flagged by b, kept across renewals
    finally:
        if isinstance(intel, RedisIntel):
            await intel.stop()
        await store.close()


HOURLY = CohortModel(min_young=5, full_young=10, half_life=3_600.0)
NOON = 86_400 * 20_000 + 12 * 3_600.0


def at(t: float, account: str, traits: int = 0) -> Record:
    return Record(t, account, ("t:decay",), False, traits, 1.0)


@pytest.mark.parametrize(
    ("batches", "requests", "elicit"),
    [
        # A record from a replica whose clock is behind: the state (one elicit request at
        # noon + 1 h) is not decayed back to it, only forward over the run (noon to noon +
        # 2 h: two half-lives, 1/4); the run's own records weigh 1/4 (noon) and 1.
        ([[at(NOON + 3_600, "a", ELICIT)], [at(NOON, "b"), at(NOON + 7_200, "c")]], 1.5, 0.25),
        # half a second later: the first request has decayed by 2 ** -(0.5 / 3600)
        (
            [[at(NOON, "a", ELICIT)], [at(NOON + 0.5, "b")]],
            1 + 2 ** (-1 / 7_200),
            2 ** (-1 / 7_200),
        ),
        # a simulated clock that starts at the epoch: a state last folded at 0 (or within
        # its first second) decays like any other, by one half-life an hour later
        ([[at(0.0, "a", ELICIT)], [at(3_600.0, "b")]], 1.5, 0.5),
        ([[at(0.5, "a", ELICIT)], [at(3_600.5, "b")]], 1.5, 0.5),
    ],
    ids=["clock-behind", "half-a-second", "epoch", "epoch-plus-half-a-second"],
)
async def test_a_cohorts_counts_decay_forward_only_whatever_the_gap(
    batches: list[list[Record]], requests: float, elicit: float
) -> None:
    """Each batch drained before the next is emitted (fold.lua folds each as runs onto the
    state the previous one left); counts read as operators read them, at the last record
    (no decay for the read). Half-life one hour; no young account."""
    store = await redis_store(HOURLY)
    intel = RedisIntel(store, verdict_ttl=86_400, claim_idle=0.0)
    try:
        for batch in batches:
            for r in batch:
                intel.emit(r)
            await intel.drain(batch[-1].t)
        last = max(r.t for batch in batches for r in batch)
        rows = await cohort_report(store, last)
        # no young account came: no sketch of young ones is kept
        _, _, _, young_today, young_before, _ = cohort_keys("aetest", "t:decay", int(last // DAY))
        assert await store.client.exists(young_today, young_before) == 0
    finally:
        await intel.stop()
        await store.close()
    (row,) = [row for row in rows if row["cohort"] == "t:decay"]
    assert row["last_seen"] == last
    assert row["requests"] == pytest.approx(requests, rel=1e-12)
    assert row["shares"]["elicit"] * row["requests"] == pytest.approx(elicit, rel=1e-12)
    assert row["shares"]["focus"] == 0.0
