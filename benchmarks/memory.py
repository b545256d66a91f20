"""Bytes per tracked account: the embedded store (tracemalloc) and Redis (MEMORY USAGE).

Drives N distinct accounts (default 100,000; ``--quick`` 20,000) through each store's
``evaluate`` with a realistic request signal and cohorts, then reports bytes per account:
memory store = traced allocation growth / N; Redis = MEMORY USAGE summed over a sample of
accounts' keys (account state and IP windows), plus the cohort keys once. Writes
``benchmarks/results/memory.json`` and prints a Markdown table. ``--redis URL`` picks the
Redis database (default db 14); only keys under the ``aemem`` prefix are touched.
``flood.py`` drives 1,000,000 accounts through the memory store at its default caps.
"""

from __future__ import annotations

import asyncio
import json
import random
import sys
import tracemalloc
from pathlib import Path

import redis.asyncio as aioredis

from antiextract.model.cohorts import CohortInput
from antiextract.model.risk import ELICIT, FOCUS, SINGLE, RiskInput
from antiextract.request.middleware import limits_from
from antiextract.settings import Settings
from antiextract.store import MemoryStore
from antiextract.store.redis import RedisStore

RESULTS = Path(__file__).resolve().parent / "results"
REDIS_URL = "redis://127.0.0.1:6379/14"


def workload(n: int):
    rng = random.Random(5)
    signal = RiskInput(traits=ELICIT | FOCUS | SINGLE, acute=0.5, skeleton="0123456789abcdef")
    for i in range(n):
        cohort = CohortInput(
            ("t:0123456789abcdef", f"n:10.{i % 250}.{i // 250 % 250}.0/24"),
            young=rng.random() < 0.5,
            traits=ELICIT | FOCUS | SINGLE,
        )
        yield f"{i:032x}", f"{rng.getrandbits(48):012x}", signal, cohort


async def memory_bytes(n: int) -> float:
    limits = limits_from(Settings())
    tracemalloc.start()
    before = tracemalloc.get_traced_memory()[0]
    store = MemoryStore(limits, max_keys=2 * n + 10)
    for t, (account, ip, signal, _) in enumerate(workload(n)):
        await store.evaluate(account, ip, 500, 1_800_000_000.0 + t, signal)
    after = tracemalloc.get_traced_memory()[0]
    tracemalloc.stop()
    return (after - before) / n


async def redis_bytes(n: int, sample: int = 500, url: str = REDIS_URL) -> dict[str, float]:
    """Redis bytes per account on ``url``; only this run's keys (prefix ``aemem``) are
    written and deleted, and ``used_memory`` is read as the growth over the run."""
    client = aioredis.Redis.from_url(url)
    await _drop(client, "aemem:*")
    used_before = (await client.info("memory"))["used_memory"]
    store = RedisStore(limits_from(Settings()), client, prefix="aemem")
    accounts = []
    for t, (account, ip, signal, _) in enumerate(workload(n)):
        # cohorts are the analysers' (intelligence plane), not the request path's store:
        # benchmarks/intel.py measures their Redis memory
        await store.evaluate(account, ip, 500, 1_800_000_000.0 + t, signal)
        if t % max(1, n // sample) == 0:
            accounts.append((account, ip))
    acct = ip_bytes = 0
    for account, ip in accounts:
        acct += await client.memory_usage(store.account_key(account)) or 0
        ip_bytes += await client.memory_usage(store.ip_key(ip)) or 0
    info = await client.info("memory")
    await _drop(client, "aemem:*")
    await store.close()
    k = len(accounts)
    return {
        "account_state_bytes": acct / k,
        "ip_windows_bytes": ip_bytes / k,
        "per_account_bytes": (acct + ip_bytes) / k,
        "used_memory_per_account": (info["used_memory"] - used_before) / n,
    }


async def _drop(client: aioredis.Redis, pattern: str) -> None:
    batch = []
    async for key in client.scan_iter(match=pattern, count=1000):
        batch.append(key)
        if len(batch) >= 1000:
            await client.unlink(*batch)
            batch.clear()
    if batch:
        await client.unlink(*batch)


def main() -> int:
    n = 20_000 if "--quick" in sys.argv else 100_000
    url = sys.argv[sys.argv.index("--redis") + 1] if "--redis" in sys.argv else REDIS_URL
    mem = asyncio.run(memory_bytes(n))
    red = asyncio.run(redis_bytes(n, url=url))
    result = {"accounts": n, "memory_store_bytes_per_account": round(mem),
              **{k: round(v) for k, v in red.items()}}  # fmt: skip
    print(f"| store | bytes per account ({n:,} accounts) |\n|---|---:|")
    memory = result["memory_store_bytes_per_account"]
    print(f"| memory (tracemalloc, account + IP entries) | {memory:,} |")
    print(f"| Redis account state (MEMORY USAGE) | {result['account_state_bytes']:,} |")
    print(f"| Redis IP windows (MEMORY USAGE) | {result['ip_windows_bytes']:,} |")
    print(
        "| Redis used_memory / accounts (the store's keys; cohorts: benchmarks/intel.py) | "
        f"{result['used_memory_per_account']:,} |"
    )
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "memory.json").write_text(json.dumps(result, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
