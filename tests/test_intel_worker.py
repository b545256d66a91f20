"""``antiextract worker`` as a real process on a real Redis: it analyses what replicas
flush, stops cleanly on SIGTERM, and a worker killed mid-batch leaves its entries to
another."""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
import time

import httpx
import pytest
from redis.exceptions import ResponseError

from antiextract.intel.records import Record
from antiextract.intel.redis import GROUP, RedisAnalyzer, RedisIntel, stream_key
from antiextract.model.cohorts import CohortModel
from antiextract.store.redis import RedisStore

from .conftest import REDIS_URL, redis_client, test_limits
from .intel_traffic import HARVEST
from .redis_proc import free_port

GUARD = 60.0  # s before a test gives up waiting on the worker (a hang, not a speed bound)


def start_worker(consumer: str, **extra: str) -> subprocess.Popen[bytes]:
    env = {
        **extra,
        **{k: v for k, v in os.environ.items() if not k.startswith("ANTIEXTRACT_")},
        "ANTIEXTRACT_STORAGE_URI": REDIS_URL,
        "ANTIEXTRACT_KEY_PREFIX": "aetest",
        "ANTIEXTRACT_FLUSH_MS": "20",
        "ANTIEXTRACT_VERDICT_REFRESH_MS": "50",
        "ANTIEXTRACT_CAMPAIGN_MODEL": '{"min_young": 5, "full_young": 10}',
    }
    return subprocess.Popen(
        [sys.executable, "-m", "antiextract.ops.cli", "worker", "--consumer", consumer],
        env=env,
        stderr=subprocess.PIPE,
        stdout=subprocess.DEVNULL,
    )


def campaign(n: int, t: float, prefix: str = "acct") -> list[Record]:
    return [
        Record(t + i * 1e-3, f"{prefix}-{i}", ("t:camp", "n:10.0.0.0/24"), True, HARVEST, 1.0)
        for i in range(n)
    ]


async def replica() -> tuple[RedisStore, RedisIntel]:
    store = RedisStore(
        test_limits(),
        await redis_client(),
        prefix="aetest",
        cohort_model=CohortModel(min_young=5, full_young=10),
    )
    return store, RedisIntel(store, analyze=False)


async def test_a_worker_publishes_verdicts_replicas_read_and_stops_on_sigterm() -> None:
    store, intel = await replica()
    port = free_port()
    worker = start_worker("w1", ANTIEXTRACT_METRICS_PORT=str(port))
    try:
        now = time.time()
        for r in campaign(12, now):
            intel.emit(r)
        await intel.flush()
        deadline = time.monotonic() + GUARD
        while not intel.cache.lookup(("t:camp",), time.time()):
            assert time.monotonic() < deadline and worker.poll() is None
            await asyncio.sleep(0.05)
            await intel.refresh(time.time())
        (v,) = intel.cache.lookup(("t:camp",), time.time())
        assert (v.accounts, v.young) == (12, 12)
        # the worker's own metrics, on its listener (it has analysed and refreshed by now)
        while True:
            async with httpx.AsyncClient() as client:
                text = (await client.get(f"http://127.0.0.1:{port}/metrics")).text
            if "antiextract_intel_verdicts 2.0" in text:
                break
            assert time.monotonic() < deadline
            await asyncio.sleep(0.05)
        assert 'antiextract_intel_records_total{outcome="analyzed"} 12.0' in text
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(GUARD) == 0
        assert worker.stderr is not None
        assert b"stopped after 12 records" in worker.stderr.read()
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
        await intel.stop()
        await store.close()


async def pending_of(store: RedisStore, consumer: str) -> int:
    total = 0
    for p in range(4):
        try:
            rows = await store.client.xpending_range(
                stream_key("aetest", p), GROUP, "-", "+", 100_000, consumername=consumer
            )
        except ResponseError:  # no group yet: the worker has not started reading
            return 0
        total += len(rows)
    return total


async def test_a_worker_killed_mid_batch_leaves_its_entries_to_another() -> None:
    store, intel = await replica()
    records = campaign(20_000, time.time())
    for r in records:
        intel.emit(r)
    await intel.flush()
    worker = start_worker("doomed")
    try:
        deadline = time.monotonic() + GUARD
        while not await pending_of(store, "doomed"):
            assert time.monotonic() < deadline and worker.poll() is None
            await asyncio.sleep(0.001)
        worker.kill()  # SIGKILL: no clean-up of any kind
        worker.wait()
    finally:
        if worker.poll() is None:
            worker.kill()
            worker.wait()
    left = await pending_of(store, "doomed")
    assert left > 0  # it died holding a batch it had read and not acknowledged
    heir = RedisAnalyzer(
        store, intel.cache, intel.stats, consumer="heir", lease_seconds=None, claim_idle=0.0
    )
    while await heir.step(time.time()):
        pass
    assert await pending_of(store, "doomed") == 0 and await pending_of(store, "heir") == 0
    assert intel.stats.analyzed >= left
    await intel.refresh(time.time())
    # every account was counted (at least once: distinct counts cannot tell twice), within
    # the HyperLogLog's error (0.81% standard error; 3% is over three of them)
    (got,) = intel.cache.lookup(("t:camp",), time.time())
    assert got.young == pytest.approx(len(records), rel=0.03)
    await intel.stop()
    await store.close()
