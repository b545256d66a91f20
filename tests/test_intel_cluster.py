"""The intelligence plane on a real three-master Redis Cluster (tests/redis_proc.py):
every command it sends stays in one hash slot, and it judges as the memory analyser."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
import redis.asyncio.cluster as redis_cluster_module
from redis.crc import key_slot

from antiextract.intel.memory import MemoryIntel
from antiextract.intel.redis import RedisIntel
from antiextract.model.cohorts import CohortModel
from antiextract.store.redis import RedisStore

from .conftest import test_limits
from .intel_traffic import stream
from .redis_proc import RedisClusterProcesses, redis_cluster
from .test_intel_redis import same_verdicts

T0 = 1_800_000_000.0
MODEL = CohortModel(min_young=5, full_young=10)


@pytest.fixture(scope="module")
def cluster() -> Iterator[RedisClusterProcesses]:
    with redis_cluster() as procs:
        yield procs


async def test_the_plane_works_slot_by_slot_on_a_cluster(
    cluster: RedisClusterProcesses, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Every command sent to a node (alone or in a pipeline) that names several keys names
    keys of one slot; and the Cluster's verdicts are the memory analyser's."""
    sent: list[tuple[Any, ...]] = []
    node = redis_cluster_module.ClusterNode
    real_command, real_pipeline = node.execute_command, node.execute_pipeline

    async def execute_command(self, *args, **kw):  # type: ignore[no-untyped-def]
        sent.append(args)
        return await real_command(self, *args, **kw)

    async def execute_pipeline(self, commands):  # type: ignore[no-untyped-def]
        sent.extend(cmd.args for cmd in commands)
        return await real_pipeline(self, commands)

    monkeypatch.setattr(node, "execute_command", execute_command)
    monkeypatch.setattr(node, "execute_pipeline", execute_pipeline)
    cluster.flush()
    store = RedisStore.from_url(cluster.url, test_limits(), timeout=2.0, cohort_model=MODEL)
    records = stream(11, T0, hours=6.0, n=400)
    memory, intel = MemoryIntel(MODEL), RedisIntel(store, claim_idle=0.0)
    try:
        for i, r in enumerate(records):
            memory.emit(r)
            intel.emit(r)
            if i % 100 == 99:
                await memory.drain(r.t)
                await intel.drain(r.t)
                same_verdicts(memory.cache.all(), intel.cache.all())
        assert memory.cache.all(), "nothing flagged: the comparison was empty"
        assert intel.stats.analyzed == len(records)
    finally:
        await intel.stop()
        await store.close()
    multi = {"EVALSHA": 0, "MGET": 0}
    for args in sent:
        name = (args[0].decode() if isinstance(args[0], bytes) else str(args[0])).upper()
        if name in ("EVAL", "EVALSHA"):
            keys = args[3 : 3 + int(args[2])]
        elif name == "MGET":
            keys = args[1:]
        else:
            continue
        multi["MGET" if name == "MGET" else "EVALSHA"] += 1
        assert len({key_slot(k.encode() if isinstance(k, str) else k) for k in keys}) == 1, args
    assert multi["EVALSHA"] > 100 and multi["MGET"] > 0  # folds, leases, publishes; refreshes
