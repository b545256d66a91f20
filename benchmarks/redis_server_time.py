"""Redis server time per request: antiextract's one store call against slowapi's, in turns.

latency.py times each request from the client; this asks the server what it spent. The
variants (latency.py's apps: slowapi on Redis, antiextract on Redis with and without
campaigns) take turns in blocks of requests; before each block the server's command
statistics are reset (``CONFIG RESETSTAT``) and after it read (``INFO commandstats``), so
each block's commands are the variant's alone. Printed per variant: server µs per
request (every command counted, so the commands a script runs count twice: inside the
script's own time and on their own rows), the commands it sent per request, and per
command its calls per request and ``usec_per_call``; and the client's wall time of the
store call, timed around it (antiextract: ``store.evaluate``; slowapi: its limiter's
``hit``, the sync redis-py calls), so that the client's share (encoding, the round trip
through the event loop or the blocking socket, decoding) shows beside the server's. The
intelligence plane is driven (never started) so that only the request path's commands
are counted.

The database given is used for the run and flushed at its start and end: give it one of
its own. Run ``python benchmarks/redis_server_time.py --redis redis://HOST:PORT/N``
[``--requests 500 --rounds 5``]. Absolute µs depend on the machine and on its load:
compare variants of the same run.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from collections.abc import Callable
from typing import Any

import redis.asyncio as aioredis
from latency import (
    PROMPT_SIZES,
    Receive,
    Send,
    Workload,
    antiextract_app,
    antiextract_settings,
    chat_body,
    slowapi_app,
)

BLOCK = 100


async def run(url: str, rounds: int, requests: int) -> dict[str, dict[str, list[float]]]:
    admin = aioredis.Redis.from_url(url)
    await admin.flushdb()
    variants = {
        "slowapi-redis": slowapi_app(url),
        "antiextract-redis": antiextract_app(
            antiextract_settings(url, key_prefix="aesrv"), drive_intel=True
        ),
        "antiextract-redis-accounts": antiextract_app(
            antiextract_settings(url, key_prefix="aesrv-acct", campaigns_enabled=False),
            drive_intel=True,
        ),
    }
    workload = Workload(chat_body(PROMPT_SIZES["2KB"]))
    walls: dict[str, list[int]] = {name: [] for name in variants}

    def timed_sync(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def call(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter_ns()
            try:
                return fn(*args, **kwargs)
            finally:
                walls[name].append(time.perf_counter_ns() - start)

        return call

    def timed_async(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        async def call(*args: Any, **kwargs: Any) -> Any:
            start = time.perf_counter_ns()
            try:
                return await fn(*args, **kwargs)
            finally:
                walls[name].append(time.perf_counter_ns() - start)

        return call

    for name, app in variants.items():
        if name.startswith("slowapi"):
            limiter = app.state.limiter._limiter
            limiter.hit = timed_sync(name, limiter.hit)
        else:
            app.store.evaluate = timed_async(name, app.store.evaluate)

    async def batch(app: Any, first: int, count: int) -> None:
        for i in range(first, first + count):
            send = Send()
            await app(workload.scope(i), Receive(workload.body), send)
            if send.status != 200:
                raise RuntimeError(f"request {i} answered {send.status}")

    for app in variants.values():
        await batch(app, 0, 200)  # scripts loaded, accounts known
    for times in walls.values():
        times.clear()
    out: dict[str, dict[str, list[float]]] = {name: {} for name in variants}
    for r in range(rounds):
        for first in range(0, requests, BLOCK):
            for name, app in variants.items():
                count = min(BLOCK, requests - first)
                await admin.config_resetstat()
                await batch(app, first, count)
                stats = await admin.info("commandstats")
                total_usec = total_calls = 0
                row = out[name]
                for command, st in stats.items():
                    if command.startswith(("cmdstat_config", "cmdstat_info")):
                        continue
                    calls, usec = int(st["calls"]), int(st["usec"])
                    total_usec += usec
                    total_calls += calls
                    key = command.removeprefix("cmdstat_")
                    # summed over blocks (a command absent from a block counts 0 there)
                    row.setdefault(f"{key} calls", []).append(calls)
                    row.setdefault(f"{key} usec", []).append(usec)
                row.setdefault("requests", []).append(count)
                row.setdefault("server µs per request", []).append(total_usec / count)
                row.setdefault("client wall µs of the store call", []).append(
                    statistics.median(walls[name][-count:]) / 1000
                )
                row.setdefault("commands per request", []).append(total_calls / count)
        print(f"round {r + 1}/{rounds} done", file=sys.stderr, flush=True)
    for app in variants.values():
        intel = getattr(app, "intel", None)
        if intel is not None:
            await intel.stop()
            await app.store.close()
    await admin.flushdb()
    await admin.aclose()
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--redis", required=True, help="redis://HOST:PORT/DB, flushed")
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--requests", type=int, default=500, help="per variant per round")
    args = parser.parse_args(argv)
    out = asyncio.run(run(args.redis, args.rounds, args.requests))
    for name, row in out.items():
        print(f"\n## {name}: median over blocks of {BLOCK} requests")
        for key in ("client wall µs of the store call", "server µs per request"):
            print(f"{statistics.median(row[key]):9.2f}  {key}")
        requests = sum(row["requests"])
        print(f"## {name}: summed over all {requests} requests")
        commands = sorted(k.removesuffix(" calls") for k in row if k.endswith(" calls"))
        print(f"{sum(sum(row[c + ' calls']) for c in commands) / requests:9.2f}  commands per "
              "request (those a script runs counted too)")  # fmt: skip
        for c in commands:
            calls, usec = sum(row[c + " calls"]), sum(row[c + " usec"])
            print(f"{calls / requests:9.2f}  {c} calls per request, "
                  f"{usec / max(calls, 1):.2f} usec_per_call")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
