"""Side-by-side latency of antiextract and its peers, measured in one run.

Absolute times depend on the machine and on whatever else it is doing, so every figure
that matters is a ratio or a difference against baselines measured in the same process,
in interleaved rounds: ``bare`` (the app alone), slowapi on the same storage, and one
Redis PING (the floor of a single round trip). Apps are called in-process through raw
ASGI, so no HTTP server or client noise enters the numbers.

Run ``python benchmarks/latency.py`` (full) or ``--quick``; see benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import hashlib
import io
import math
import os
import random
import statistics
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import orjson
import redis.asyncio as aioredis
from machine import describe, write_results
from redis.asyncio.connection import Connection
from slowapi import Limiter, _rate_limit_exceeded_handler
from slowapi.errors import RateLimitExceeded
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import Route

import antiextract
from antiextract import AntiExtractMiddleware, Settings
from antiextract.audit import make_logger
from antiextract.request.middleware import limits_from
from antiextract.store.redis import RedisStore

PATH = "/v1/chat/completions"
# another Redis (its database is used for the run): ANTIEXTRACT_BENCH_REDIS_URL
REDIS_URL = os.environ.get("ANTIEXTRACT_BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")
ACCOUNTS = 500
MAX_TOKENS = 256
HUGE_LIMIT = "1000000/minute"
PROMPT_SIZES = {"2KB": 2 * 1024, "32KB": 32 * 1024}
ROUND_TRIP_REQUESTS = 200
BLOCK = 100  # requests a variant runs before the next variant takes its turn (interleaved)
RESULTS = Path(__file__).resolve().parent / "results"
PACKAGES = ("antiextract", "starlette", "slowapi", "redis", "limits")

WORDS = (
    *("the", "model", "answers", "questions", "about", "data", "systems", "latency"),
    *("queues", "caches", "and", "distributed", "storage", "with", "short", "precise"),
    *("explanations", "and", "worked", "examples"),
)

ASGIApp = Callable[[dict[str, Any], Any, Any], Awaitable[None]]


# --------------------------------------------------------------------------- workload


def prompt_text(size: int, seed: int = 7) -> str:
    """Deterministic English-like filler, so every run and variant parses the same text."""
    words = WORDS
    rng = random.Random(seed)
    out: list[str] = []
    length = 0
    while length < size:
        word = rng.choice(words)
        out.append(word)
        length += len(word) + 1
    return " ".join(out)[:size]


def chat_body(prompt_bytes: int) -> bytes:
    """A Chat Completions request whose user prompt is about ``prompt_bytes`` long."""
    doc = {
        "model": "bench-model",
        "messages": [
            {"role": "system", "content": "You are a concise assistant."},
            {"role": "user", "content": prompt_text(prompt_bytes)},
        ],
        "max_tokens": MAX_TOKENS,
    }
    return orjson.dumps(doc)


class Workload:
    """Pre-built request parts for one prompt size; only the scope dict is made per call.

    The scope must be fresh for every call because Starlette writes into it; copying a
    small dict is done outside the timed region.
    """

    def __init__(self, body: bytes) -> None:
        self.body = body
        length = str(len(body)).encode()
        self.headers = [
            [
                (b"host", b"bench.local"),
                (b"content-type", b"application/json"),
                (b"content-length", length),
                (b"authorization", f"Bearer sk-bench-{i}".encode()),
            ]
            for i in range(ACCOUNTS)
        ]
        self.clients = [(f"10.1.{i // 256}.{i % 256}", 40000 + i) for i in range(ACCOUNTS)]

    def scope(self, i: int) -> dict[str, Any]:
        k = i % ACCOUNTS
        return {
            "type": "http",
            "asgi": {"version": "3.0"},
            "http_version": "1.1",
            "method": "POST",
            "scheme": "http",
            "path": PATH,
            "raw_path": PATH.encode(),
            "query_string": b"",
            "root_path": "",
            "headers": self.headers[k],
            "client": self.clients[k],
            "server": ("127.0.0.1", 8000),
        }


class Receive:
    """The request body in one message, then a disconnect (as a server would send)."""

    __slots__ = ("body", "sent")

    def __init__(self, body: bytes) -> None:
        self.body, self.sent = body, False

    async def __call__(self) -> dict[str, Any]:
        if self.sent:
            return {"type": "http.disconnect"}
        self.sent = True
        return {"type": "http.request", "body": self.body, "more_body": False}


class Send:
    """Discards the response but keeps its status, so a failed request is never timed."""

    __slots__ = ("status",)

    def __init__(self) -> None:
        self.status = 0

    async def __call__(self, message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]


# --------------------------------------------------------------------------- apps


def _answer(doc: dict[str, Any]) -> JSONResponse:
    """A small completion WITHOUT ``usage``, so antiextract has nothing to settle."""
    return JSONResponse(
        {
            "id": "chatcmpl-bench",
            "object": "chat.completion",
            "model": doc.get("model"),
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": "Done."},
                    "finish_reason": "stop",
                }
            ],
        }
    )


def bare_app() -> Starlette:
    """The model server stand-in every variant wraps: parse JSON, answer briefly."""

    async def chat(request: Request) -> JSONResponse:
        return _answer(await request.json())

    return Starlette(routes=[Route(PATH, chat, methods=["POST"])])


def slowapi_account(request: Request) -> str:
    """slowapi key: the account, i.e. the bearer token (what antiextract keys on too)."""
    return request.headers.get("authorization", "").removeprefix("Bearer ")


def slowapi_app(storage_uri: str) -> Starlette:
    """slowapi's documented setup: route decorator, app.state.limiter, 429 handler."""
    limiter = Limiter(key_func=slowapi_account, storage_uri=storage_uri)

    @limiter.limit(HUGE_LIMIT)
    async def chat(request: Request) -> JSONResponse:
        return _answer(await request.json())

    app = Starlette(routes=[Route(PATH, chat, methods=["POST"])])
    app.state.limiter = limiter
    app.add_exception_handler(RateLimitExceeded, _rate_limit_exceeded_handler)
    return app


def antiextract_settings(storage_uri: str, **extra: Any) -> Settings:
    """Limits so large that every request is allowed and the whole hot path runs."""
    return Settings(
        storage_uri=storage_uri,
        account_limits=HUGE_LIMIT,
        ip_limits=HUGE_LIMIT,
        bucket_capacity=10**12,
        bucket_refill_per_second=10**9,
        **extra,
    )


def antiextract_app(settings: Settings, **kwargs: Any) -> AntiExtractMiddleware:
    return AntiExtractMiddleware(
        bare_app(), settings, logger=make_logger(stream=io.StringIO()), **kwargs
    )


# --------------------------------------------------------------------------- variants


@dataclass
class AppVariant:
    """An ASGI app timed per call, from the await to its return. ``drain``: the app is an
    antiextract middleware whose intelligence plane is driven (``--intel driven``): its
    analysis runs after each block, outside the timed requests."""

    name: str
    app: ASGIApp
    workload: Workload | None = None
    drain: bool = False

    async def batch(self, count: int, first: int = 0) -> list[int]:
        assert self.workload is not None
        app, workload, body = self.app, self.workload, self.workload.body
        times = []
        clock = time.perf_counter_ns
        for i in range(first, first + count):
            scope, receive, send = workload.scope(i), Receive(body), Send()
            start = clock()
            await app(scope, receive, send)
            times.append(clock() - start)
            if send.status != 200:
                raise RuntimeError(f"{self.name}: request {i} answered {send.status}, not 200")
        if self.drain:  # the block's records flushed and analysed, verdicts refreshed
            await app.intel.drain(time.time())  # type: ignore[attr-defined]
        return times


@dataclass
class PingVariant:
    """Not an app: one PING per iteration, the cost of a bare Redis round trip."""

    name: str
    client: aioredis.Redis
    workload: Workload | None = None

    async def batch(self, count: int, first: int = 0) -> list[int]:
        ping, clock = self.client.ping, time.perf_counter_ns
        times = []
        for _ in range(count):
            start = clock()
            await ping()
            times.append(clock() - start)
        return times


Variant = AppVariant | PingVariant


def build_variants(intel: str = "running") -> list[Variant]:
    """The eight contenders; each owns its app object and (where used) its keys.

    ``intel``: ``running`` (the default), each antiextract's intelligence plane runs in
    the background on the one event loop, as embedded in production, and its CPU lands
    on whichever request is awaiting (slowapi's blocking calls never yield the loop, so
    none lands on them); ``driven``, each plane is driven between blocks instead: the
    same records, analysis and verdicts, outside the timed requests, so the figures are
    the request plane's own."""
    drive = intel == "driven"

    def ae(settings: Settings) -> AppVariant:
        return AppVariant("", antiextract_app(settings, drive_intel=drive), drain=drive)

    variants = {
        "antiextract-memory": ae(antiextract_settings("memory://")),
        "antiextract-redis": ae(antiextract_settings(REDIS_URL, key_prefix="aebench")),
        # the per-account-only path: campaigns off, so the cohorts' cost shows apart
        "antiextract-redis-accounts": ae(
            antiextract_settings(REDIS_URL, key_prefix="aebench-acct", campaigns_enabled=False)
        ),
        "antiextract-shadow-redis": ae(
            antiextract_settings(REDIS_URL, key_prefix="aebench-shadow", mode="shadow")
        ),
    }
    for name, variant in variants.items():
        variant.name = name
    return [
        AppVariant("bare", bare_app()),
        AppVariant("slowapi-memory", slowapi_app("memory://")),
        AppVariant("slowapi-redis", slowapi_app(REDIS_URL)),
        *variants.values(),
        PingVariant("redis-ping", aioredis.Redis.from_url(REDIS_URL)),
    ]


# --------------------------------------------------------------------------- measuring


@dataclass
class Samples:
    """Per-request latencies (ns) of one variant, pooled and per round."""

    pooled: list[int] = field(default_factory=list)
    rounds: list[list[int]] = field(default_factory=list)

    def add(self, times: list[int]) -> None:
        self.pooled.extend(times)
        self.rounds.append(times)


async def interleaved(
    variants: list[Variant], rounds: int, requests: int, rng: random.Random, label: str
) -> dict[str, Samples]:
    """R rounds; in each, every variant runs a warm-up, then its N timed requests in
    blocks of BLOCK, the variants taking turns block by block in a fresh random order.

    Fine interleaving puts every variant under the same drift of a shared machine: with
    whole batches (2,000 requests, about a second each) a neighbour's burst landed on one
    variant, and the difference of two variants swung by up to 250 µs between rounds."""
    samples = {v.name: Samples() for v in variants}
    warmup = max(50, requests // 10)
    for r in range(rounds):
        began = time.perf_counter()
        order = list(variants)
        for variant in order:
            await variant.batch(warmup)
        gc.collect()  # start the round with no garbage left by the warm-ups
        times: dict[str, list[int]] = {v.name: [] for v in variants}
        for first in range(0, requests, BLOCK):
            rng.shuffle(order)
            for variant in order:
                times[variant.name] += await variant.batch(min(BLOCK, requests - first), first)
        for variant in variants:
            samples[variant.name].add(times[variant.name])
        medians = ", ".join(
            f"{v.name} {statistics.median(samples[v.name].rounds[-1]) / 1000:.0f}" for v in variants
        )
        progress(
            f"[{label}] round {r + 1}/{rounds} in {time.perf_counter() - began:.1f}s; "
            f"median µs: {medians}"
        )
    return samples


class CountingConnection(Connection):
    """A real Redis connection that counts the command batches it writes (round trips)."""

    sent = 0

    async def send_packed_command(self, command: Any, check_health: bool = True) -> None:
        CountingConnection.sent += 1
        await super().send_packed_command(command, check_health)


async def round_trips(workload: Workload) -> dict[str, Any]:
    """Round trips per request through antiextract-redis, counted on the wire: the
    request path's (the store call and settlements), then apart the intelligence plane's
    (flushing these requests' records, analysing them, refreshing the verdicts), which
    run in the background and never before the app. The plane is driven here (one
    ``drain``) so the two are counted apart."""
    settings = antiextract_settings(REDIS_URL, key_prefix="aebench-rt")
    client = aioredis.Redis.from_url(REDIS_URL, connection_class=CountingConnection)
    store = RedisStore(limits_from(settings), client, prefix=settings.key_prefix)
    mw = antiextract_app(settings, store=store, drive_intel=True)
    variant = AppVariant("antiextract-redis", mw, workload)
    await variant.batch(20)  # connect and load the scripts outside the count
    await store.flush()
    await mw.intel.drain(time.time())
    CountingConnection.sent = 0
    await variant.batch(ROUND_TRIP_REQUESTS)
    await store.flush()  # pending settlements, if any, are round trips of these requests
    sent = CountingConnection.sent
    CountingConnection.sent = 0
    await mw.intel.drain(time.time())
    plane = CountingConnection.sent
    await store.close()
    return {
        "requests": ROUND_TRIP_REQUESTS,
        "round_trips": sent,
        "per_request": sent / ROUND_TRIP_REQUESTS,
        "intel_round_trips": plane,
        "intel_per_request": plane / ROUND_TRIP_REQUESTS,
    }


# --------------------------------------------------------------------------- statistics


def percentile(sorted_ns: list[int] | list[float], q: float) -> float:
    """Nearest-rank percentile: a value that was actually observed."""
    return sorted_ns[max(0, math.ceil(q * len(sorted_ns)) - 1)]


def summarize(samples: dict[str, Samples]) -> dict[str, Any]:
    """Median, p99 and added median over ``bare`` (µs) for each variant."""
    bare = statistics.median(samples["bare"].pooled)
    out: dict[str, Any] = {}
    for name, s in samples.items():
        ordered = sorted(s.pooled)
        median = statistics.median(ordered)
        out[name] = {
            "requests": len(ordered),
            "median_us": median / 1000,
            "p99_us": percentile(ordered, 0.99) / 1000,
            "added_median_us": None if name == "redis-ping" else (median - bare) / 1000,
            "round_medians_us": [statistics.median(r) / 1000 for r in s.rounds],
        }
    return out


def _ratio(num: float, den: float) -> float | None:
    return num / den if den > 0 else None


def ratios(summary: dict[str, Any]) -> dict[str, Any]:
    """The comparisons that matter, pooled and per round (the spread shows the noise)."""

    def added(name: str, r: int | None = None) -> float:
        if r is None:
            return summary[name]["added_median_us"]
        return summary[name]["round_medians_us"][r] - summary["bare"]["round_medians_us"][r]

    def figure(num: str, den: str) -> dict[str, Any]:
        rounds = len(summary["bare"]["round_medians_us"])
        per_round = [_ratio(added(num, r), added(den, r)) for r in range(rounds)]
        return {"value": _ratio(added(num), added(den)), "per_round": per_round}

    over = [
        a - p
        for a, p in zip(
            summary["antiextract-redis"]["round_medians_us"],
            summary["redis-ping"]["round_medians_us"],
            strict=True,
        )
    ]
    return {
        "memory_added_vs_slowapi": figure("antiextract-memory", "slowapi-memory"),
        "redis_added_vs_slowapi": figure("antiextract-redis", "slowapi-redis"),
        "redis_cohorts_added_us": {
            "value": summary["antiextract-redis"]["median_us"]
            - summary["antiextract-redis-accounts"]["median_us"],
            "per_round": [
                a - p
                for a, p in zip(
                    summary["antiextract-redis"]["round_medians_us"],
                    summary["antiextract-redis-accounts"]["round_medians_us"],
                    strict=True,
                )
            ],
        },
        "redis_over_ping_us": {
            "value": summary["antiextract-redis"]["median_us"] - summary["redis-ping"]["median_us"],
            "per_round": over,
        },
    }


# --------------------------------------------------------------------------- reporting


def progress(line: str) -> None:
    print(line, file=sys.stderr, flush=True)


def _git(*args: str) -> str | None:
    try:
        done = subprocess.run(
            ["git", *args], capture_output=True, text=True, timeout=10, check=True
        )
    except (OSError, subprocess.SubprocessError):
        return None
    return done.stdout.strip()


def source_digest() -> str:
    """SHA-256 over antiextract's .py and .lua files: which code was measured."""
    package = Path(antiextract.__file__).resolve().parent
    h = hashlib.sha256()
    for path in sorted(p for p in package.rglob("*") if p.suffix in {".py", ".lua"}):
        h.update(str(path.relative_to(package)).encode() + b"\0" + path.read_bytes())
    return h.hexdigest()


def source() -> dict[str, Any]:
    """Where the measured antiextract came from; its code may be edited while we run."""
    package = str(Path(antiextract.__file__).resolve().parent)
    commit = _git("-C", package, "rev-parse", "HEAD")
    status = _git("-C", package, "status", "--porcelain", "--", ".")
    return {
        "path": package,
        "git_commit": commit,
        "git_uncommitted_changes": None if status is None else bool(status),
        "sha256": source_digest(),
    }


async def machine() -> dict[str, Any]:
    """Enough context to tell whether two result files are comparable at all."""
    client = aioredis.Redis.from_url(REDIS_URL)
    info = await client.info("server")
    await client.aclose()
    return describe(
        PACKAGES,
        event_loop="asyncio (default selector loop)",
        redis_server=info.get("redis_version"),
    )


def _us(value: float | None) -> str:
    return "n/a" if value is None else f"{value:,.1f}"


def _x(value: float | None) -> str:
    return "n/a (baseline added ≤ 0)" if value is None else f"{value:.2f}×"


def _spread(values: list[float | None], fmt: Callable[[float | None], str]) -> str:
    known = [v for v in values if v is not None]
    if not known:
        return "n/a"
    return f"{fmt(min(known))} – {fmt(max(known))}"


def _provenance(src: dict[str, Any]) -> str:
    commit = (src["git_commit"] or "no git")[:12]
    dirty = " + uncommitted changes" if src["git_uncommitted_changes"] else ""
    changed = " — **sources changed during the run**" if src["changed_during_run"] else ""
    return (
        f"antiextract from `{src['path']}`, commit {commit}{dirty}, "
        f"sources sha256 {src['sha256'][:12]}{changed}."
    )


def markdown(report: dict[str, Any]) -> str:
    """One table of latencies and one of ratios per prompt size."""
    m, p = report["machine"], report["parameters"]
    lines = [
        "# antiextract latency vs peers",
        "",
        f"{m['cpu']}, {m['cores']} cores, Python {m['python']}, Redis {m['redis_server']}; "
        f"{report['timestamp']}",
        _provenance(report["source"]),
        f"{p['rounds']} rounds × {p['requests']} requests per variant, the variants taking "
        f"turns every {p.get('block', p['requests'])} requests (+{p['warmup']} warm-up each), "
        f"{p['accounts']} accounts, max_tokens {p['max_tokens']}.",
        "Intelligence plane: "
        + (
            "driven between blocks, outside the timed requests (the request plane's own time)."
            if p.get("intel") == "driven"
            else "running in the background on the same event loop (as embedded)."
        ),
        "",
    ]
    for size, result in report["results"].items():
        lines += [
            f"## Prompt {size} (request body {result['body_bytes']:,} bytes)",
            "",
            "| variant | median µs | p99 µs | added median µs |",
            "|---|---:|---:|---:|",
        ]
        for name, v in result["variants"].items():
            lines.append(
                f"| {name} | {_us(v['median_us'])} | {_us(v['p99_us'])} "
                f"| {_us(v['added_median_us'])} |"
            )
        r = result["ratios"]
        lines += [
            "",
            "| figure | value | per-round range |",
            "|---|---:|---:|",
            "| antiextract-memory added / slowapi-memory added "
            f"| {_x(r['memory_added_vs_slowapi']['value'])} "
            f"| {_spread(r['memory_added_vs_slowapi']['per_round'], _x)} |",
            "| antiextract-redis added / slowapi-redis added "
            f"| {_x(r['redis_added_vs_slowapi']['value'])} "
            f"| {_spread(r['redis_added_vs_slowapi']['per_round'], _x)} |",
            "| antiextract-redis median − antiextract-redis-accounts median (µs; cohorts) "
            f"| {_us(r['redis_cohorts_added_us']['value'])} "
            f"| {_spread(r['redis_cohorts_added_us']['per_round'], _us)} |",
            "| antiextract-redis median − redis-ping median (µs) "
            f"| {_us(r['redis_over_ping_us']['value'])} "
            f"| {_spread(r['redis_over_ping_us']['per_round'], _us)} |",
            "",
        ]
    rt = report["round_trips"]
    lines += [
        f"Redis round trips per request (antiextract-redis, {rt['requests']} requests, "
        f"no usage in responses): **{rt['per_request']:.2f}**; the intelligence plane's, "
        f"in the background, for the same requests (one drain): {rt['intel_per_request']:.3f}",
        "",
    ]
    return "\n".join(lines)


# --------------------------------------------------------------------------- main


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="N=500, R=3, 2 KB prompt only")
    parser.add_argument("--rounds", type=int, help="interleaved rounds (default 5; quick 3)")
    parser.add_argument("--requests", type=int, help="timed requests per variant per round")
    parser.add_argument("--seed", type=int, default=1, help="seed of the round orders")
    parser.add_argument("--out", type=Path, default=RESULTS, help="directory for the results")
    parser.add_argument(
        "--intel",
        choices=("running", "driven"),
        default="running",
        help="antiextract's intelligence plane in the background (running, as embedded in "
        "production) or driven between blocks, outside the timed requests (driven: the "
        "request plane's own time); results-file stem latency[-quick]-driven",
    )
    args = parser.parse_args(argv)
    args.rounds = args.rounds or (3 if args.quick else 5)
    args.requests = args.requests or (500 if args.quick else 2000)
    if args.rounds < 1 or args.requests < 1:
        parser.error("--rounds and --requests must be positive")
    return args


async def flush_db() -> None:
    client = aioredis.Redis.from_url(REDIS_URL)
    await client.flushdb()
    await client.aclose()


async def close(variants: list[Variant]) -> None:
    for v in variants:
        if isinstance(v, PingVariant):
            await v.client.aclose()
        elif isinstance(v.app, AntiExtractMiddleware):
            await v.app.store.close()


async def run(args: argparse.Namespace) -> dict[str, Any]:
    await flush_db()
    sizes = {"2KB": PROMPT_SIZES["2KB"]} if args.quick else PROMPT_SIZES
    rng = random.Random(args.seed)
    variants = build_variants(args.intel)
    measured = source()  # taken once the apps (and their Lua scripts) are loaded
    results: dict[str, Any] = {}
    try:
        for label, prompt_bytes in sizes.items():
            workload = Workload(chat_body(prompt_bytes))
            for v in variants:
                v.workload = workload
            samples = await interleaved(variants, args.rounds, args.requests, rng, label)
            summary = summarize(samples)
            results[label] = {
                "prompt_bytes": prompt_bytes,
                "body_bytes": len(workload.body),
                "variants": summary,
                "ratios": ratios(summary),
            }
        trips = await round_trips(Workload(chat_body(PROMPT_SIZES["2KB"])))
        progress(f"round trips per request: {trips['per_request']:.3f}")
    finally:
        await close(variants)
        await flush_db()
    return {
        "machine": await machine(),
        "source": measured | {"changed_during_run": source_digest() != measured["sha256"]},
        "timestamp": datetime.now(UTC).isoformat(timespec="seconds"),
        "parameters": {
            "quick": args.quick,
            "rounds": args.rounds,
            "requests": args.requests,
            "warmup": max(50, args.requests // 10),
            "block": BLOCK,
            "accounts": ACCOUNTS,
            "max_tokens": MAX_TOKENS,
            "prompt_sizes": sizes,
            "seed": args.seed,
            "redis_url": REDIS_URL,
            "limits": HUGE_LIMIT,
            "intel": args.intel,
        },
        "results": results,
        "round_trips": trips,
    }


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    began = time.perf_counter()
    report = asyncio.run(run(args))
    report["duration_seconds"] = round(time.perf_counter() - began, 1)
    if report["source"]["changed_during_run"]:
        progress("WARNING: antiextract's sources changed during the run; figures may mix code")
    stem = ("latency-quick" if args.quick else "latency") + (
        "-driven" if args.intel == "driven" else ""
    )
    print(write_results(args.out, stem, report, markdown(report)))
    progress(f"done in {report['duration_seconds']}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
