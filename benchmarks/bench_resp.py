"""Client-side cost of one Redis script call: redis.asyncio against FastScriptClient.

Four cases, on the same server, in one process:

(a) redis.asyncio ``PING``: the floor of a round trip through redis-py;
(b) redis.asyncio ``EVALSHA`` through ``register_script``;
(c) ``FastScriptClient.evalsha`` of the same script with the same arguments;
(d) ``FastScriptClient.prepare``: the constant arguments packed once.

The script is small (an HMGET and an HSET on one hash); each call passes two per-call
arguments (a float time stamp and an int counter) and eight constant ones (floats and ints),
the shape of the store's hot-path call. Each case runs sequentially (one call at a time)
and with 16 concurrent callers (16 tasks, each on its own key); each call is timed alone
with ``time.perf_counter_ns`` from just before the call to its reply, with the garbage
collector off while timing. Cases and modes run in interleaved rounds (the case order
rotates each round) after one warm-up round, so drift on a busy machine spreads over all of
them. Each row also gives, per call, the wall time of the whole batch and this process's CPU
time over it (``time.process_time``): the client-side work, which the other load on the
machine disturbs less than latency.

Run ``python benchmarks/bench_resp.py`` (``--quick`` for a smoke run). Needs a Redis server
(``--url``, default ``redis://127.0.0.1:6379/12``); it writes only keys under
``bench:resp:`` and deletes them afterwards. Prints a Markdown table and writes
``benchmarks/results/resp.json``.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import hashlib
import json
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import redis.asyncio as aioredis
from machine import describe

from antiextract.store import resp
from antiextract.store.resp import FastScriptClient

RESULTS = Path(__file__).resolve().parent / "results"
CONCURRENCY = 16
SCRIPT = """
local old = redis.call('HMGET', KEYS[1], 'n', 'at')
redis.call('HSET', KEYS[1], 'n', ARGV[2], 'at', ARGV[1], 'cap', ARGV[3])
redis.call('EXPIRE', KEYS[1], 600)
return old
"""
SHA = hashlib.sha1(SCRIPT.encode()).hexdigest()
STATIC: list[Any] = [1000.0, 10.0, 86400, 3600, 0.35, 0.2, 14.0, 600]
CASES = (
    "(a) redis.asyncio PING",
    "(b) redis.asyncio EVALSHA (register_script)",
    "(c) FastScriptClient.evalsha",
    "(d) FastScriptClient prepared",
)

Call = Callable[[str, int], Awaitable[Any]]


def make_calls(pyredis: aioredis.Redis, fast: FastScriptClient) -> dict[str, Call]:
    script = pyredis.register_script(SCRIPT)
    prepared = fast.prepare(SHA, SCRIPT, STATIC)

    async def ping(key: str, i: int) -> Any:
        return await pyredis.ping()

    async def redis_py(key: str, i: int) -> Any:
        return await script(keys=[key], args=[time.time(), i, *STATIC])

    async def fast_evalsha(key: str, i: int) -> Any:
        return await fast.evalsha(SHA, SCRIPT, [key], [time.time(), i, *STATIC])

    async def fast_prepared(key: str, i: int) -> Any:
        return await prepared([key], [time.time(), i])

    return dict(zip(CASES, (ping, redis_py, fast_evalsha, fast_prepared), strict=True))


# --------------------------------------------------------------------------- timing


async def sequential(call: Call, calls: int) -> tuple[list[int], int, int]:
    clock = time.perf_counter_ns
    samples = [0] * calls
    key = "bench:resp:seq"
    cpu = time.process_time_ns()
    began = clock()
    for i in range(calls):
        started = clock()
        await call(key, i)
        samples[i] = clock() - started
    return samples, clock() - began, time.process_time_ns() - cpu


async def concurrent(call: Call, calls: int) -> tuple[list[int], int, int]:
    clock = time.perf_counter_ns
    per_task = max(1, calls // CONCURRENCY)
    samples: list[int] = []

    async def worker(w: int) -> None:
        key = f"bench:resp:c{w}"
        mine = [0] * per_task
        for i in range(per_task):
            started = clock()
            await call(key, i)
            mine[i] = clock() - started
        samples.extend(mine)

    cpu = time.process_time_ns()
    began = clock()
    await asyncio.gather(*[worker(w) for w in range(CONCURRENCY)])
    return samples, clock() - began, time.process_time_ns() - cpu


def percentile(sorted_samples: list[int], q: float) -> float:
    index = min(len(sorted_samples) - 1, max(0, round(q * (len(sorted_samples) - 1))))
    return float(sorted_samples[index])


async def run(url: str, quick: bool, rounds: int, calls: int) -> dict[str, Any]:
    pyredis = aioredis.Redis.from_url(url)
    fast = FastScriptClient.from_url(url, 1.0)
    modes = {"sequential": sequential, f"{CONCURRENCY} concurrent": concurrent}
    try:
        calls_by_case = make_calls(pyredis, fast)
        # The script cases see each other's writes before anything is timed.
        await pyredis.delete("bench:resp:check")
        assert await calls_by_case[CASES[1]]("bench:resp:check", 1) == [None, None]
        assert (await calls_by_case[CASES[2]]("bench:resp:check", 2))[0] == b"1"
        assert (await calls_by_case[CASES[3]]("bench:resp:check", 3))[0] == b"2"
        server = await pyredis.info("server")

        samples = {(c, m): [] for c in CASES for m in modes}
        walls = {(c, m): [] for c in CASES for m in modes}
        cpus = {(c, m): [] for c in CASES for m in modes}
        per_round: dict[tuple[str, str], list[float]] = {(c, m): [] for c in CASES for m in modes}
        for round_ in range(rounds + 1):  # round 0 warms up and is discarded
            order = CASES[round_ % len(CASES) :] + CASES[: round_ % len(CASES)]
            for mode, measure in modes.items():
                for case in order:
                    gc.collect()
                    gc.disable()
                    try:
                        got, wall, cpu = await measure(calls_by_case[case], calls)
                    finally:
                        gc.enable()
                    if round_:
                        samples[case, mode] += got
                        walls[case, mode].append(wall / len(got))
                        cpus[case, mode].append(cpu / len(got))
                        per_round[case, mode].append(statistics.median(got) / 1000)
            if round_:
                line = "  ".join(
                    f"{case[:3]} {mode[:3]} {per_round[case, mode][-1]:.0f}"
                    for mode in modes
                    for case in CASES
                )
                print(f"round {round_}/{rounds}: median µs  {line}", file=sys.stderr)
        pool = len(fast._conns)
    finally:
        keys = [key async for key in pyredis.scan_iter("bench:resp:*")]
        if keys:
            await pyredis.delete(*keys)
        await fast.aclose()
        await pyredis.aclose()

    results = []
    for case in CASES:
        for mode in modes:
            got = sorted(samples[case, mode])
            results.append(
                {
                    "case": case,
                    "mode": mode,
                    "calls": len(got),
                    "median_us": round(statistics.median(got) / 1000, 1),
                    "p99_us": round(percentile(got, 0.99) / 1000, 1),
                    "mean_us": round(statistics.fmean(got) / 1000, 1),
                    "wall_per_call_us": round(statistics.median(walls[case, mode]) / 1000, 1),
                    "client_cpu_per_call_us": round(statistics.median(cpus[case, mode]) / 1000, 1),
                    "round_medians_us": [round(x, 1) for x in per_round[case, mode]],
                }
            )
    return {
        "machine": describe(("redis", "hiredis"), redis_server=server.get("redis_version")),
        "source": source(),
        "timestamp": datetime.now(UTC).isoformat(timespec="seconds"),
        "parameters": {
            "url": url,
            "quick": quick,
            "rounds": rounds,
            "calls_per_case_per_round": calls,
            "concurrency": CONCURRENCY,
            "fast_pool_size": fast.pool_size,
            "fast_connections_open_at_end": pool,
            "static_args": len(STATIC),
        },
        "results": results,
    }


# --------------------------------------------------------------------------- reporting


def source() -> dict[str, Any]:
    """Which resp.py was measured (it may be edited between runs)."""
    path = Path(resp.__file__).resolve()
    try:
        commit = subprocess.run(
            ["git", "rev-parse", "HEAD"], cwd=path.parent, capture_output=True, text=True
        ).stdout.strip()
    except OSError:
        commit = ""
    return {
        "path": str(path),
        "sha256": hashlib.sha256(path.read_bytes()).hexdigest(),
        "git_commit": commit or None,
    }


def markdown(report: dict[str, Any]) -> str:
    by = {(r["case"], r["mode"]): r for r in report["results"]}
    conc = f"{CONCURRENCY} concurrent"
    lines = [
        "| case | mode | median µs | p99 µs | wall µs/call | client CPU µs/call | median vs (b) |",
        "|---|---|---:|---:|---:|---:|---:|",
    ]
    for mode in ("sequential", conc):
        base = by[CASES[1], mode]["median_us"]
        for case in CASES:
            r = by[case, mode]
            lines.append(
                f"| {case} | {mode} | {r['median_us']:.1f} | {r['p99_us']:.1f} | "
                f"{r['wall_per_call_us']:.1f} | {r['client_cpu_per_call_us']:.1f} | "
                f"{r['median_us'] / base:.2f}× |"
            )
    m, p = report["machine"], report["parameters"]
    lines += [
        "",
        f"{m['cpu']}, {m['cores']} cores, {m['implementation']} {m['python']}, redis-py "
        f"{m['packages']['redis']}, hiredis {m['packages']['hiredis']}, Redis "
        f"{m['redis_server']} on {p['url']}; {p['rounds']} interleaved rounds of "
        f"{p['calls_per_case_per_round']:,} calls per case and mode; FastScriptClient "
        f"pool_size {p['fast_pool_size']}; {report['timestamp']}",
    ]
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--url", default="redis://127.0.0.1:6379/12", help="Redis to measure")
    parser.add_argument("--quick", action="store_true", help="fewer calls and rounds")
    parser.add_argument("--rounds", type=int, default=None, help="interleaved rounds (5)")
    parser.add_argument("--calls", type=int, default=None, help="calls per case, mode, round")
    parser.add_argument("--out", type=Path, default=RESULTS, help="directory for the results")
    args = parser.parse_args(argv)
    rounds = args.rounds or (2 if args.quick else 5)
    calls = args.calls or (320 if args.quick else 3200)
    if rounds < 1 or calls < CONCURRENCY:
        parser.error(f"--rounds must be positive and --calls at least {CONCURRENCY}")
    report = asyncio.run(run(args.url, args.quick, rounds, calls))
    args.out.mkdir(parents=True, exist_ok=True)
    path = args.out / ("resp-quick.json" if args.quick else "resp.json")
    path.write_text(json.dumps(report, indent=2) + "\n")
    print(markdown(report))
    print(f"\nwrote {path}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
