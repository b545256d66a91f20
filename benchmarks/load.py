"""Bounded load over loopback: uvicorn servers, one separate client process, server CPU.

Each variant is one uvicorn server (one worker, its own process), all started at the
beginning and kept for the whole run:

- ``bare``: latency.py's bare Starlette app;
- ``slowapi-redis``: latency.py's slowapi setup on Redis (a limit nothing reaches);
- ``antiextract-redis``: ``AntiExtractMiddleware`` on Redis, latency.py's huge limits,
  everything on (risk, cohorts and campaigns, challenges), ``/metrics`` mounted;
- ``antiextract-memory``: the same on the embedded store;
- ``antiextract-redis-request``: ``antiextract-redis`` with ``INTEL=off``: the request
  plane alone (every signal, fingerprint and cohort key computed, the record handed to no
  plane), on a key prefix of its own. ``antiextract-redis`` is then the all-in figure: its
  process also runs the intelligence plane's flusher, verdict refresh and embedded
  analyser (records analysed after a round's timed part fall outside its CPU bracket:
  at most one FLUSH_MS of them).

Every app sits behind the same small ASGI wrapper (:class:`WithUsage`) that appends a
``usage`` block to the JSON answer when the request carries ``x-bench-usage: 1`` (about
half of them), so antiextract settles real usage on those and keeps the reservation on
the others.

For every variant in every round, a fresh client process (this script with ``--drive``)
opens C keep-alive connections, warms them up, then sends at most N requests or for at
most S seconds, whichever ends first, each to one of A accounts, and reports requests/s,
latencies, errors and the CPU seconds the server process (``/proc/<pid>/stat``) and Redis
(``INFO cpu``) spent during the timed part. Rounds rotate the order of the variants.

Afterwards the antiextract servers' Prometheus metrics are scraped (every decision must
have exactly one settlement event) and, once the servers have shut down (which flushes
pending settlements), every account's bucket in Redis is compared with what the client
saw: the bucket refills at 1e-3 tokens/s, so what it lost is exactly the usage of the
requests that reported one plus the reservation of those that did not. A settlement that
never reached Redis leaves its reservation charged instead of its usage, and is counted.

Run ``python benchmarks/load.py`` (full, under 5 minutes) or ``--quick`` (under a
minute). Needs Redis on 127.0.0.1:6379; uses database 4 and deletes only its own keys.
See benchmarks/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import io
import json
import math
import os
import random
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import redis
from bench_proxy import free_port, stop
from latency import (
    PATH,
    antiextract_settings,
    bare_app,
    chat_body,
    percentile,
    progress,
    slowapi_app,
    source,
    source_digest,
)
from machine import describe, write_results
from prometheus_client.parser import text_string_to_metric_families

from antiextract import AntiExtractMiddleware, Settings
from antiextract.audit import make_logger
from antiextract.metrics import mount_metrics
from antiextract.request.apis import family_for_path
from antiextract.request.cost import estimate
from antiextract.request.identity import digest, hash_key, identify
from antiextract.request.middleware import limits_from
from antiextract.store.redis import RedisStore

HERE = Path(__file__).resolve()
ROOT = HERE.parent.parent
RESULTS = HERE.parent / "results"
REDIS_URL = "redis://127.0.0.1:6379/4"
VARIANTS = (
    "bare",
    "slowapi-redis",
    "antiextract-redis",
    "antiextract-memory",
    "antiextract-redis-request",
)
REQUEST_PLANE = "-rq"  # key prefix suffix of antiextract-redis-request
PACKAGES = ("antiextract", "starlette", "slowapi", "redis", "limits", "uvicorn", "h11", "httpx")
PROMPT_BYTES = 2 * 1024
USAGE_HEADER = b"x-bench-usage"
USAGE_SHARE = 0.5  # of requests whose answer carries usage
USED = (60, 40)  # prompt and completion tokens the usage block reports
USAGE_SUFFIX = b',"usage":{"prompt_tokens":%d,"completion_tokens":%d,"total_tokens":%d}}' % (
    *USED,
    sum(USED),
)
# tokens/s: a bucket that practically never refills keeps an exact ledger (at most 0.3
# tokens in 5 minutes, against 700 per lost settlement). Not smaller: the account TTL is
# 2 x capacity / refill seconds, and Redis refuses an EX beyond ~9.2e15 s.
REFILL = 1e-3
TIMEOUT = 30.0  # seconds a request may take before it counts as an error
# antiextract's Redis timeout here. The middleware's default (0.25 s) is shorter than the
# event-loop lag of one worker saturated by 1,000 connections: most decisions would then
# come from the local fallback and antiextract-redis would not measure Redis. The run
# reports every fallback; ``--store-timeout 0.25`` shows the default's behaviour.
STORE_TIMEOUT = 5.0

Scope = dict[str, Any]
ASGIApp = Callable[[Scope, Any, Any], Awaitable[None]]


# --------------------------------------------------------------------------- server


class WithUsage:
    """Appends a ``usage`` block to a 200 JSON answer when the request asks for one
    (``x-bench-usage: 1``), fixing Content-Length; everything else passes untouched.
    Every variant has it, so it is common work, like the app itself."""

    __slots__ = ("app",)

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Any, send: Any) -> None:
        if scope["type"] != "http" or (USAGE_HEADER, b"1") not in scope["headers"]:
            await self.app(scope, receive, send)
            return
        held: dict[str, Any] | None = None

        async def with_usage(message: dict[str, Any]) -> None:
            nonlocal held
            kind = message["type"]
            if kind == "http.response.start" and message["status"] == 200:
                held = message
                return
            if kind == "http.response.body" and held is not None:
                body = message.get("body", b"")
                if message.get("more_body", False):  # not the one-message JSON we expect
                    start, held = held, None
                    await send(start)
                    await send(message)
                    return
                if body.endswith(b"}"):
                    body = body[:-1] + USAGE_SUFFIX
                headers = [(k, v) for k, v in held["headers"] if k != b"content-length"]
                headers.append((b"content-length", b"%d" % len(body)))
                await send({**held, "headers": headers})
                held = None
                await send({"type": "http.response.body", "body": body})
                return
            await send(message)

        await self.app(scope, receive, with_usage)


def ledger_settings(
    storage_uri: str, prefix: str, store_timeout: float = STORE_TIMEOUT
) -> Settings:
    """latency.py's settings (huge limits, everything on), but a bucket that refills at
    1e-3 tokens/s, so its level after the run is an exact ledger of what was charged,
    and the Redis timeout of the run."""
    base = antiextract_settings(
        storage_uri, key_prefix=prefix, store_timeout=store_timeout,
        # Settings refuses a timeout longer than the breaker's back-off
        store_retry_seconds=max(5.0, store_timeout),
        store_retry_max_seconds=max(30.0, store_timeout),
    )  # fmt: skip
    return base.model_copy(update={"bucket_refill_per_second": REFILL})


def build_app(variant: str, redis_url: str, prefix: str, store_timeout: float) -> ASGIApp:
    if variant == "bare":
        return WithUsage(bare_app())
    if variant == "slowapi-redis":
        return WithUsage(slowapi_app(redis_url))
    uri = redis_url if variant.startswith("antiextract-redis") else "memory://"
    settings = ledger_settings(uri, prefix, store_timeout)
    if variant == "antiextract-redis-request":  # the request plane alone
        settings = settings.model_copy(
            update={"intel": "off", "key_prefix": prefix + REQUEST_PLANE}
        )
    protected = AntiExtractMiddleware(
        WithUsage(bare_app()), settings, logger=make_logger(stream=io.StringIO())
    )
    return mount_metrics(protected, protected.metrics)


def serve(variant: str, port: int, redis_url: str, prefix: str, store_timeout: float) -> None:
    import uvicorn

    app = build_app(variant, redis_url, prefix, store_timeout)
    uvicorn.run(
        app, host="127.0.0.1", port=port, log_level="warning", access_log=False, backlog=4096
    )


class Server:
    """One variant's uvicorn process."""

    def __init__(self, variant: str, redis_url: str, prefix: str, store_timeout: float) -> None:
        self.variant = variant
        self.port = free_port()
        args = [sys.executable, str(HERE), "--serve", variant, "--port", str(self.port)]
        args += ["--redis-url", redis_url, "--prefix", prefix]
        args += ["--store-timeout", str(store_timeout)]
        self.process = subprocess.Popen(args, cwd=ROOT)

    def wait_ready(self, timeout: float = 30.0) -> None:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"{self.variant} server exited with {self.process.returncode}")
            try:
                socket.create_connection(("127.0.0.1", self.port), timeout=1).close()
                return
            except OSError:
                time.sleep(0.05)
        raise SystemExit(f"{self.variant} server did not listen within {timeout:.0f} s")

    def shutdown(self) -> int | None:
        """SIGTERM (uvicorn's graceful shutdown: the lifespan flushes settlements)."""
        if self.process.poll() is None:
            self.process.send_signal(signal.SIGTERM)
        stop(self.process)
        return self.process.returncode


# --------------------------------------------------------------------------- client


def proc_cpu(pid: int) -> float:
    """CPU seconds (user + system, all threads) a process has used: /proc/<pid>/stat."""
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def redis_cpu(client: redis.Redis) -> float:
    info = client.info("cpu")
    return float(info["used_cpu_sys"]) + float(info["used_cpu_user"])


def token(run: str, account: int) -> str:
    return f"sk-bench-{run}-{account}"


class Tally:
    """What one client process saw: latencies, errors, 200s per account and kind."""

    def __init__(self, accounts: int) -> None:
        self.latencies: list[float] = []
        self.statuses: dict[str, int] = {}
        self.connection_errors = 0
        self.usage_missing = 0
        self.with_usage = [0] * accounts  # 200s that reported usage, per account
        self.without_usage = [0] * accounts  # 200s that did not

    def ok(self, account: int, usage: bool, reported: bool) -> None:
        if usage and not reported:
            self.usage_missing += 1
        (self.with_usage if reported else self.without_usage)[account] += 1


class RawConnection:
    """HTTP/1.1 keep-alive on asyncio streams: the cheapest client asyncio offers, so
    the client process takes as little of the shared CPUs as possible."""

    def __init__(self, port: int) -> None:
        self.port = port
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None

    async def request(self, data: bytes) -> tuple[int, bytes]:
        if self.writer is None:
            self.reader, self.writer = await asyncio.open_connection("127.0.0.1", self.port)
        assert self.reader is not None
        self.writer.write(data)
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        lower = head.lower()
        at = lower.find(b"\r\ncontent-length:")
        if at < 0:
            raise ConnectionError("response without content-length")
        end = lower.index(b"\r\n", at + 2)
        body = await self.reader.readexactly(int(lower[at + 17 : end]))
        return status, body

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()
        self.reader = self.writer = None


class HttpxConnection:
    """The same through one shared ``httpx.AsyncClient`` (``--client httpx``)."""

    def __init__(self, client: Any) -> None:
        self.client = client

    async def request(self, data: bytes) -> tuple[int, bytes]:
        head, body = data.split(b"\r\n\r\n", 1)
        lines = head.decode("latin-1").split("\r\n")[1:]
        headers = [tuple(line.split(": ", 1)) for line in lines if not line.startswith("host")]
        response = await self.client.post(PATH, content=body, headers=headers)
        return response.status_code, response.content

    def close(self) -> None:
        pass


def request_bytes(body: bytes, run: str, accounts: int) -> tuple[list[bytes], list[bytes]]:
    """Per account, the whole request without and with the usage header."""
    plain, usage = [], []
    for k in range(accounts):
        head = (
            f"POST {PATH} HTTP/1.1\r\nhost: bench.local\r\ncontent-type: application/json\r\n"
            f"content-length: {len(body)}\r\nauthorization: Bearer {token(run, k)}\r\n"
        ).encode()
        plain.append(head + b"\r\n" + body)
        usage.append(head + USAGE_HEADER + b": 1\r\n\r\n" + body)
    return plain, usage


async def drive(cfg: dict[str, Any]) -> dict[str, Any]:
    """One client run against one server: connect and warm up, then the timed part."""
    accounts, connections = cfg["accounts"], cfg["connections"]
    plain, usage = request_bytes(chat_body(PROMPT_BYTES), cfg["run"], accounts)
    rng = random.Random(cfg["seed"])
    tally = Tally(accounts)
    pool: Any = None
    if cfg["client"] == "httpx":
        import httpx

        limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
        pool = httpx.AsyncClient(
            base_url=f"http://127.0.0.1:{cfg['port']}", limits=limits, timeout=TIMEOUT
        )
        conns: list[Any] = [HttpxConnection(pool) for _ in range(connections)]
    else:
        conns = [RawConnection(cfg["port"]) for _ in range(connections)]

    async def one(conn: Any, timed: bool) -> None:
        k = rng.randrange(accounts)
        with_usage = rng.random() < USAGE_SHARE
        data = (usage if with_usage else plain)[k]
        started = time.perf_counter()
        try:
            async with asyncio.timeout(TIMEOUT):
                status, body = await conn.request(data)
        except (OSError, EOFError, asyncio.IncompleteReadError, TimeoutError, ValueError):
            tally.connection_errors += 1
            conn.close()
            return
        except Exception as exc:  # httpx's transport errors, anything unexpected
            tally.connection_errors += 1
            tally.statuses[type(exc).__name__] = tally.statuses.get(type(exc).__name__, 0) + 1
            conn.close()
            return
        if timed:
            tally.latencies.append(time.perf_counter() - started)
        tally.statuses[str(status)] = tally.statuses.get(str(status), 0) + 1
        if status == 200:
            tally.ok(k, with_usage, b'"usage"' in body)

    warmup = max(connections, cfg["warmup"])
    left = warmup
    deadline = math.inf

    async def worker(conn: Any, timed: bool) -> None:
        nonlocal left
        while left > 0 and time.perf_counter() < deadline:
            left -= 1
            await one(conn, timed)

    # Warm-up: every connection opened and used (untimed, outside the CPU bracket).
    await asyncio.gather(*(worker(c, False) for c in conns))
    warm_errors = tally.connection_errors + sum(n for s, n in tally.statuses.items() if s != "200")
    tally.statuses.clear()
    tally.connection_errors = 0

    left = cfg["requests"]
    stats = redis.Redis.from_url(cfg["redis_url"])
    cpu0, redis0, client0 = proc_cpu(cfg["pid"]), redis_cpu(stats), time.process_time()
    began = time.perf_counter()
    deadline = began + cfg["seconds"]
    await asyncio.gather(*(worker(c, True) for c in conns))
    wall = time.perf_counter() - began
    cpu1, redis1, client1 = proc_cpu(cfg["pid"]), redis_cpu(stats), time.process_time()
    stats.close()
    for conn in conns:
        conn.close()
    if pool is not None:
        await pool.aclose()
    sent = sum(tally.statuses.values()) + tally.connection_errors
    return {
        "sent": sent,
        "wall_seconds": wall,
        "latencies": tally.latencies,
        "statuses": tally.statuses,
        "connection_errors": tally.connection_errors,
        "usage_missing": tally.usage_missing,
        "warmup": warmup,
        "warmup_errors": warm_errors,
        "server_cpu_seconds": cpu1 - cpu0,
        "redis_cpu_seconds": redis1 - redis0,
        "client_cpu_seconds": client1 - client0,
        "with_usage": tally.with_usage,
        "without_usage": tally.without_usage,
    }


def run_client(cfg: dict[str, Any]) -> dict[str, Any]:
    """``drive`` in a separate process: the client never shares the server's interpreter."""
    done = subprocess.run(
        [sys.executable, str(HERE), "--drive", json.dumps(cfg)],
        capture_output=True,
        text=True,
        cwd=ROOT,
        check=False,
        timeout=cfg["seconds"] + 4 * TIMEOUT,
    )
    if done.returncode != 0:
        raise SystemExit(f"client failed ({done.returncode}):\n{done.stderr[-3000:]}")
    return json.loads(done.stdout)


# --------------------------------------------------------------------------- accounting


def scrape(port: int) -> dict[str, float]:
    """The server's counters we account with, from its ``/metrics``."""
    with socket.create_connection(("127.0.0.1", port), timeout=10) as sock:
        sock.sendall(b"GET /metrics HTTP/1.1\r\nhost: bench\r\nconnection: close\r\n\r\n")
        chunks = []
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    text = b"".join(chunks).split(b"\r\n\r\n", 1)[1].decode()
    out: dict[str, float] = {}
    for family in text_string_to_metric_families(text):
        for sample in family.samples:
            if not sample.name.endswith("_total"):
                continue
            if sample.name == "antiextract_decisions_total":
                key = f"decisions.{sample.labels['action']}"
            elif sample.name == "antiextract_settlements_total":
                key = f"settlements.{sample.labels['outcome']}"
            elif sample.name == "antiextract_store_errors_total":
                key = f"store_errors.{sample.labels['kind']}"
            else:
                key = sample.name.removeprefix("antiextract_").removesuffix("_total")
            out[key] = out.get(key, 0.0) + sample.value
    return out


def settlement_events(counts: dict[str, float]) -> dict[str, int]:
    """Decisions vs settlement events. Every decision that is not a throttle or block
    leads to exactly one settlement event (settled, no_usage, or refunded: a challenge's
    refund or a 5xx); a decision without one is a settlement the middleware never did."""
    decided = sum(v for k, v in counts.items() if k.startswith("decisions."))
    refused = counts.get("decisions.throttle", 0) + counts.get("decisions.block", 0)
    settled = sum(v for k, v in counts.items() if k.startswith("settlements."))
    return {
        "decisions": int(decided),
        "refused": int(refused),
        "settlement_events": int(settled),
        "missing_settlement_events": int(decided - refused - settled),
    }


def scrape_settled(port: int, timeout: float = 3.0) -> dict[str, float]:
    """Scrape until every decision has its settlement event (the last responses' events
    follow their last byte by a loop turn), or until ``timeout``."""
    deadline = time.monotonic() + timeout
    while True:
        counts = scrape(port)
        if settlement_events(counts)["missing_settlement_events"] <= 0:
            return counts
        if time.monotonic() > deadline:
            return counts
        time.sleep(0.05)


def request_cost(settings: Settings) -> int:
    """What the middleware reserves for one benchmark request (its own estimate)."""
    body = chat_body(PROMPT_BYTES)
    facts = family_for_path(PATH).facts(body)
    return estimate(
        len(body),
        facts,
        default_output=settings.default_output_tokens,
        max_output=settings.max_output_tokens,
    )


async def read_ledger(
    redis_url: str,
    prefix: str,
    run: str,
    with_usage: list[int],
    without_usage: list[int],
) -> dict[str, Any]:
    """Every account's bucket in Redis against the client's 200s: charged must equal
    usage x with-usage answers + reservation x without-usage answers. A settlement that
    never reached Redis leaves (reservation - usage) too much charged: counted as lost."""
    import redis.asyncio as aioredis

    settings = ledger_settings(redis_url, prefix)
    limits = limits_from(settings)
    cost, used = request_cost(settings), sum(USED)
    client = aioredis.Redis.from_url(redis_url)
    store = RedisStore(limits, client, prefix=prefix)
    key = hash_key(None)
    now = time.time()
    lost = extra = mismatched = missing = checked = 0
    charged_total = expected_total = 0.0
    try:
        for k, (u, n) in enumerate(zip(with_usage, without_usage, strict=True)):
            if not u and not n:
                continue
            checked += 1
            headers = [(b"authorization", f"Bearer {token(run, k)}".encode())]
            ident = identify(headers, "127.0.0.1", account=None, trusted=(), key=key)
            state = await store.account_state(digest(ident.account, key, 16), now)
            if state is None or state["tokens"] is None:
                missing += 1
                continue
            charged = limits.capacity - state["tokens"]
            expected = u * used + n * cost
            charged_total += charged
            expected_total += expected
            off = (charged - expected) / (cost - used)
            if abs(charged - expected) > 1.0:  # refill drift is < 1 token
                mismatched += 1
            lost += max(0, round(off))
            extra += max(0, -round(off))
    finally:
        await store.close()
    return {
        "accounts_checked": checked,
        "accounts_missing": missing,
        "accounts_mismatched": mismatched,
        "reservation_tokens": cost,
        "usage_tokens": used,
        "charged_tokens": charged_total,
        "expected_tokens": expected_total,
        "lost_settlements": lost,
        "undercharged_settlements": extra,
    }


def delete_keys(redis_url: str, patterns: list[str]) -> int:
    client = redis.Redis.from_url(redis_url)
    removed = 0
    try:
        for pattern in patterns:
            batch = []
            for key in client.scan_iter(match=pattern, count=1000):
                batch.append(key)
                if len(batch) >= 1000:
                    removed += client.unlink(*batch)
                    batch = []
            if batch:
                removed += client.unlink(*batch)
    finally:
        client.close()
    return removed


# --------------------------------------------------------------------------- run


def summarize(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    latencies = sorted(x for r in rounds for x in r["latencies"])
    sent = sum(r["sent"] for r in rounds)
    wall = sum(r["wall_seconds"] for r in rounds)
    statuses: dict[str, int] = {}
    for r in rounds:
        for s, n in r["statuses"].items():
            statuses[s] = statuses.get(s, 0) + n
    errors = sum(n for s, n in statuses.items() if s != "200")
    errors += sum(r["connection_errors"] for r in rounds)
    server = sum(r["server_cpu_seconds"] for r in rounds)
    rds = sum(r["redis_cpu_seconds"] for r in rounds)
    client = sum(r["client_cpu_seconds"] for r in rounds)

    def per_round(key: str) -> list[float]:
        return [round(r[key] / r["sent"] * 1e6, 1) if r["sent"] else 0.0 for r in rounds]

    ms = [x * 1e3 for x in latencies] or [math.nan]
    return {
        "requests": sent,
        "ok": statuses.get("200", 0),
        "errors": errors,
        "statuses": statuses,
        "connection_errors": sum(r["connection_errors"] for r in rounds),
        "usage_missing": sum(r["usage_missing"] for r in rounds),
        "warmup_requests": sum(r["warmup"] for r in rounds),
        "warmup_errors": sum(r["warmup_errors"] for r in rounds),
        "timed_seconds": round(wall, 3),
        "requests_per_second": round(sent / wall, 1) if wall else None,
        "round_requests_per_second": [round(r["sent"] / r["wall_seconds"], 1) for r in rounds],
        "latency_ms": {
            "p50": round(percentile(ms, 0.50), 2),
            "p90": round(percentile(ms, 0.90), 2),
            "p99": round(percentile(ms, 0.99), 2),
            "max": round(ms[-1], 2),
        },
        "server_cpu_seconds": round(server, 3),
        "server_cpu_us_per_request": round(server / sent * 1e6, 1) if sent else None,
        "round_server_cpu_us_per_request": per_round("server_cpu_seconds"),
        "redis_cpu_us_per_request": round(rds / sent * 1e6, 1) if sent else None,
        "round_redis_cpu_us_per_request": per_round("redis_cpu_seconds"),
        "client_cpu_us_per_request": round(client / sent * 1e6, 1) if sent else None,
    }


def machine(redis_url: str) -> dict[str, Any]:
    client = redis.Redis.from_url(redis_url)
    try:
        version = client.info("server").get("redis_version")
    finally:
        client.close()
    return describe(
        PACKAGES,
        server="uvicorn, 1 worker, asyncio loop, h11 (no uvloop/httptools installed)",
        redis_server=version,
        load_average_before=list(os.getloadavg()),
    )


def run(args: argparse.Namespace) -> dict[str, Any]:
    run_id = f"{os.getpid()}x{int(time.time()) % 100000}"
    prefix = f"aeload-{run_id}"
    variants = args.variants
    measured = source()
    servers = {v: Server(v, args.redis_url, prefix, args.store_timeout) for v in variants}
    rounds: dict[str, list[dict[str, Any]]] = {v: [] for v in variants}
    accounts_seen = {v: ([0] * args.accounts, [0] * args.accounts) for v in variants}
    accounting: dict[str, Any] = {}
    try:
        for server in servers.values():
            server.wait_ready()
        for r in range(args.rounds):
            order = list(variants[r % len(variants) :] + variants[: r % len(variants)])
            for name in order:
                cfg = {
                    "port": servers[name].port,
                    "pid": servers[name].process.pid,
                    "redis_url": args.redis_url,
                    "run": run_id,
                    "accounts": args.accounts,
                    "connections": args.connections,
                    "requests": args.requests,
                    "seconds": args.seconds,
                    "warmup": args.warmup,
                    "seed": args.seed * 1000 + r * 10 + variants.index(name),
                    "client": args.client,
                }
                result = run_client(cfg)
                with_usage, without_usage = accounts_seen[name]
                for k, (u, n) in enumerate(
                    zip(result.pop("with_usage"), result.pop("without_usage"), strict=True)
                ):
                    with_usage[k] += u
                    without_usage[k] += n
                rounds[name].append(result)
                errors = result["connection_errors"] + sum(
                    n for s, n in result["statuses"].items() if s != "200"
                )
                progress(
                    f"round {r + 1}/{args.rounds} {name}: {result['sent']} requests in "
                    f"{result['wall_seconds']:.1f}s = {result['sent'] / result['wall_seconds']:.0f}"
                    f"/s, server CPU {result['server_cpu_seconds'] / result['sent'] * 1e6:.0f} "
                    f"µs/req, errors {errors}"
                )
        for name in variants:
            if name.startswith("antiextract"):
                counts = scrape_settled(servers[name].port)
                accounting[name] = {"metrics": counts, **settlement_events(counts)}
                ok = sum(r["statuses"].get("200", 0) for r in rounds[name])
                ok += sum(r["warmup"] - r["warmup_errors"] for r in rounds[name])
                accounting[name]["client_ok_incl_warmup"] = ok
    finally:
        exits = {name: server.shutdown() for name, server in servers.items()}
    try:
        if "antiextract-redis" in variants:
            with_usage, without_usage = accounts_seen["antiextract-redis"]
            accounting["antiextract-redis"]["ledger"] = asyncio.run(
                read_ledger(args.redis_url, prefix, run_id, with_usage, without_usage)
            )
    finally:
        removed = delete_keys(
            args.redis_url,
            [f"{prefix}:*", f"{prefix}{REQUEST_PLANE}:*", f"*sk-bench-{run_id}-*"],
        )
        progress(f"deleted {removed} keys of this run from {args.redis_url}")
    for name, acc in accounting.items():
        acc["server_exit_code"] = exits[name]
        acc["store_fallbacks"] = int(acc["metrics"].get("store_fallback", 0))
        lost = max(0, acc["missing_settlement_events"])
        ledger = acc.get("ledger")
        if ledger is not None:
            # Requests the local fallback decided never touched Redis: then the ledger
            # cannot be exact, and says so instead of counting them as lost.
            ledger["exact"] = acc["store_fallbacks"] == 0
            if ledger["exact"]:
                lost += ledger["lost_settlements"] + ledger["undercharged_settlements"]
        acc["lost_settlements"] = lost
    results = {name: summarize(rounds[name]) for name in variants}
    return {
        "machine": machine(args.redis_url),
        "source": measured | {"changed_during_run": source_digest() != measured["sha256"]},
        "timestamp": datetime.now(UTC).isoformat(timespec="seconds"),
        "parameters": {
            "quick": args.quick,
            "variants": list(variants),
            "rounds": args.rounds,
            "connections": args.connections,
            "accounts": args.accounts,
            "requests_per_round": args.requests,
            "seconds_per_round": args.seconds,
            "warmup_per_round": max(args.connections, args.warmup),
            "prompt_bytes": PROMPT_BYTES,
            "body_bytes": len(chat_body(PROMPT_BYTES)),
            "usage_share": USAGE_SHARE,
            "usage_tokens": sum(USED),
            "client": args.client,
            "store_timeout_seconds": args.store_timeout,
            "redis_url": args.redis_url,
            "key_prefix": prefix,
            "seed": args.seed,
        },
        "results": results,
        "ratios": ratios(results),
        "settlement_accounting": accounting,
    }


def ratios(results: dict[str, Any]) -> dict[str, Any]:
    def cpu(name: str) -> float | None:
        return results[name]["server_cpu_us_per_request"] if name in results else None

    out: dict[str, Any] = {}
    bare = cpu("bare")
    for name in results:
        if bare is not None and name != "bare":
            out[f"{name}_server_cpu_added_us"] = round(cpu(name) - bare, 1)
    a, s = cpu("antiextract-redis"), cpu("slowapi-redis")
    if a is not None and s:
        out["antiextract_redis_vs_slowapi_redis_server_cpu"] = round(a / s, 3)
        per_round = [
            round(x / y, 3) if y else None
            for x, y in zip(
                results["antiextract-redis"]["round_server_cpu_us_per_request"],
                results["slowapi-redis"]["round_server_cpu_us_per_request"],
                strict=True,
            )
        ]
        out["antiextract_redis_vs_slowapi_redis_server_cpu_per_round"] = per_round
        if bare is not None and s - bare > 0:
            out["antiextract_redis_vs_slowapi_redis_added_cpu"] = round((a - bare) / (s - bare), 3)
    q = cpu("antiextract-redis-request")
    if q is not None and s:
        out["antiextract_redis_request_vs_slowapi_redis_server_cpu"] = round(q / s, 3)
        out["antiextract_redis_request_vs_slowapi_redis_server_cpu_per_round"] = [
            round(x / y, 3) if y else None
            for x, y in zip(
                results["antiextract-redis-request"]["round_server_cpu_us_per_request"],
                results["slowapi-redis"]["round_server_cpu_us_per_request"],
                strict=True,
            )
        ]
    if q is not None and a is not None:
        out["intelligence_plane_server_cpu_us_per_request"] = round(a - q, 1)
    return out


# --------------------------------------------------------------------------- report


def markdown(report: dict[str, Any]) -> str:
    m, p, src = report["machine"], report["parameters"], report["source"]
    dirty = " + uncommitted changes" if src["git_uncommitted_changes"] else ""
    changed = " — **sources changed during the run**" if src["changed_during_run"] else ""
    lines = [
        "# antiextract under load: uvicorn on loopback, server CPU per request",
        "",
        f"{m['cpu']}, {m['cores']} cores, Python {m['python']}, Redis {m['redis_server']}, "
        f"uvicorn {m['packages']['uvicorn']} (h11, asyncio); {report['timestamp']}",
        f"antiextract from `{src['path']}`, commit {(src['git_commit'] or 'no git')[:12]}"
        f"{dirty}, sources sha256 {src['sha256'][:12]}{changed}.",
        f"{p['rounds']} rounds (variant order rotated each round) × at most "
        f"{p['requests_per_round']:,} requests or {p['seconds_per_round']} s per variant, "
        f"{p['connections']:,} keep-alive connections, {p['accounts']:,} accounts, "
        f"{p['body_bytes']:,}-byte chat bodies, usage on {p['usage_share']:.0%} of answers; "
        f"client: {p['client']} asyncio, one separate process; antiextract's store timeout "
        f"{p['store_timeout_seconds']:g} s.",
        "",
        "| variant | requests | req/s | p50 ms | p90 ms | p99 ms | max ms | errors "
        "| server CPU µs/req | per-round | Redis CPU µs/req | client CPU µs/req |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for name, v in report["results"].items():
        lat = v["latency_ms"]
        spread = ", ".join(f"{x:.0f}" for x in v["round_server_cpu_us_per_request"])
        lines.append(
            f"| {name} | {v['requests']:,} | {v['requests_per_second']:,.0f} | {lat['p50']:.1f} "
            f"| {lat['p90']:.1f} | {lat['p99']:.1f} | {lat['max']:.1f} | {v['errors']} "
            f"| {v['server_cpu_us_per_request']:.0f} | {spread} "
            f"| {v['redis_cpu_us_per_request']:.0f} | {v['client_cpu_us_per_request']:.0f} |"
        )
    r = report["ratios"]
    lines.append("")
    if "antiextract_redis_vs_slowapi_redis_server_cpu" in r:
        rounds = ", ".join(
            "n/a" if x is None else f"{x:.2f}"
            for x in r["antiextract_redis_vs_slowapi_redis_server_cpu_per_round"]
        )
        acc = report["settlement_accounting"].get("antiextract-redis", {})
        fallbacks = acc.get("store_fallbacks", 0)
        if fallbacks:
            errors = {
                k.split(".", 1)[1]: int(v)
                for k, v in acc["metrics"].items()
                if k.startswith("store_errors.") and v
            }
            verdict = (
                f"**not comparable**: {fallbacks:,} of {acc['decisions']:,} decisions "
                f"({fallbacks / acc['decisions']:.0%}) came from the local fallback after "
                f"store errors {errors}, with a store timeout of {p['store_timeout_seconds']:g} s"
            )
        all_in = r["antiextract_redis_vs_slowapi_redis_server_cpu"]
        if not fallbacks:
            verdict = "met" if all_in <= 1.25 else "NOT met"
        lines.append(
            "Server CPU per request, all in (antiextract-redis: request plane + flusher + "
            f"embedded analyser) / slowapi-redis: **{all_in:.2f}×** (per round {rounds}; "
            f"target ≤ 1.25: {verdict})."
        )
    if "antiextract_redis_request_vs_slowapi_redis_server_cpu" in r:
        plane = r["antiextract_redis_request_vs_slowapi_redis_server_cpu"]
        rounds = ", ".join(
            "n/a" if x is None else f"{x:.2f}"
            for x in r["antiextract_redis_request_vs_slowapi_redis_server_cpu_per_round"]
        )
        lines.append(
            "Server CPU per request, request plane (antiextract-redis-request, INTEL=off) / "
            f"slowapi-redis: **{plane:.2f}×** (per round {rounds}; target ≤ 1: "
            f"{'met' if plane <= 1 else 'NOT met'})."
        )
    if "intelligence_plane_server_cpu_us_per_request" in r:
        lines.append(
            "The intelligence plane's share of the server's CPU (antiextract-redis − "
            f"antiextract-redis-request): {r['intelligence_plane_server_cpu_us_per_request']:+.0f}"
            " µs/req."
        )
    added = [(k.removesuffix("_server_cpu_added_us"), v) for k, v in r.items() if "added_us" in k]
    if added:
        lines.append(
            "Server CPU added over bare (µs/req): "
            + ", ".join(f"{name} {value:+.0f}" for name, value in added)
            + "."
        )
    lines += ["", "## Settlements", ""]
    for name, acc in report["settlement_accounting"].items():
        lines.append(
            f"- {name}: {acc['decisions']:,} decisions "
            f"({acc['client_ok_incl_warmup']:,} answered 200 to the client, warm-up included), "
            f"{acc['refused']} refused, {acc['settlement_events']:,} settlement events "
            f"(settled {acc['metrics'].get('settlements.settled', 0):,.0f}, no usage "
            f"{acc['metrics'].get('settlements.no_usage', 0):,.0f}, refunded "
            f"{acc['metrics'].get('settlements.refunded', 0):,.0f}); "
            f"store fallbacks {acc['metrics'].get('store_fallback', 0):,.0f}, store errors "
            f"{sum(v for k, v in acc['metrics'].items() if k.startswith('store_errors.')):,.0f}."
        )
        if "ledger" in acc:
            ld = acc["ledger"]
            lines.append(
                f"  Redis ledger: {ld['accounts_checked']:,} accounts, charged "
                f"{ld['charged_tokens']:,.0f} tokens vs {ld['expected_tokens']:,.0f} expected "
                f"(usage {ld['usage_tokens']} per answer with usage, reservation "
                f"{ld['reservation_tokens']} per answer without); "
                f"{ld['accounts_mismatched']} accounts off, {ld['accounts_missing']} missing."
            )
        if "ledger" in acc and not acc["ledger"]["exact"]:
            lines.append(
                "  The store fell back to local limits for some decisions, so the Redis "
                "ledger is not exact; lost settlements below count the metrics only."
            )
        lines.append(f"  **Lost settlements: {acc['lost_settlements']}**")
    lines += [
        "",
        "## Reading these figures",
        "",
        f"- The machine has {m['cores']} cores shared by the client, the server under test "
        "and Redis (and, while this ran, by other people's work: load average "
        f"{m['load_average_before'][0]:.2f} at the start), so requests/s and latencies are "
        "what one saturated core-and-a-bit gives and move with the neighbours; server CPU "
        "per request is the steadier figure, and the per-round values show its noise.",
        "- The client keeps every connection busy (closed loop), so latency is mostly "
        "queueing: about connections ÷ requests/s.",
        "- Redis CPU is the whole Redis server's (`INFO cpu`), other databases' users included.",
        "",
    ]
    return "\n".join(lines)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="CI size: well under a minute")
    parser.add_argument("--rounds", type=int, help="rounds (full 4, quick 2)")
    parser.add_argument("--connections", type=int, help="concurrent connections (1000; 200)")
    parser.add_argument("--accounts", type=int, help="accounts (2000; 400)")
    parser.add_argument("--requests", type=int, help="most requests per round (12000; 2500)")
    parser.add_argument("--seconds", type=float, help="most seconds per round (8; 3)")
    parser.add_argument("--warmup", type=int, default=0, help="warm-up requests (≥ connections)")
    parser.add_argument("--variants", help=f"comma-separated, of {', '.join(VARIANTS)}")
    parser.add_argument("--client", choices=("raw", "httpx"), default="raw")
    parser.add_argument("--redis-url", default=REDIS_URL, help=f"Redis ({REDIS_URL})")
    parser.add_argument(
        "--store-timeout",
        type=float,
        default=STORE_TIMEOUT,
        help=f"antiextract's Redis timeout in s ({STORE_TIMEOUT:g}; the middleware's default "
        "is 0.25, which a worker saturated by 1,000 connections overruns)",
    )
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--out", type=Path, default=RESULTS, help="directory for the results")
    parser.add_argument("--serve", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, help=argparse.SUPPRESS)
    parser.add_argument("--prefix", help=argparse.SUPPRESS)
    parser.add_argument("--drive", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    q = args.quick
    args.rounds = args.rounds or (2 if q else 4)
    args.connections = args.connections or (200 if q else 1000)
    args.accounts = args.accounts or (400 if q else 2000)
    args.requests = args.requests or (2500 if q else 12000)
    args.seconds = args.seconds or (3.0 if q else 8.0)
    args.variants = tuple(args.variants.split(",")) if args.variants else VARIANTS
    unknown = set(args.variants) - set(VARIANTS)
    if unknown:
        parser.error(f"unknown variants: {', '.join(sorted(unknown))}")
    if min(args.rounds, args.connections, args.accounts, args.requests) < 1:
        parser.error("--rounds, --connections, --accounts and --requests must be positive")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.serve:
        serve(args.serve, args.port, args.redis_url, args.prefix, args.store_timeout)
        return 0
    if args.drive:
        print(json.dumps(asyncio.run(drive(json.loads(args.drive)))))
        return 0
    began = time.perf_counter()
    report = run(args)
    report["duration_seconds"] = round(time.perf_counter() - began, 1)
    if report["source"]["changed_during_run"]:
        progress("WARNING: antiextract's sources changed during the run; figures may mix code")
    stem = "load-quick" if args.quick else "load"
    print(write_results(args.out, stem, report, markdown(report)))
    progress(f"done in {report['duration_seconds']}s")
    return 0


if __name__ == "__main__":
    sys.exit(main())
