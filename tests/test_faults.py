"""Faults and hostile input, end to end: real ASGI calls through ``AntiExtractMiddleware``
against private ``redis-server`` processes that are killed, frozen, paused, flushed and
restarted while traffic flows.

Time that limits depend on is simulated (``SimClock``); timeouts and the store's retry
period run on real time, so they use small values (0.2 s timeout, 0.5 s retry).
"""

from __future__ import annotations

import asyncio
import contextlib
import gc
import io
import itertools
import json
import logging
import math
import os
import re
import socket
import subprocess
import sys
import time
import tracemalloc
from collections.abc import Iterator
from typing import Any

import httpx
import orjson
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st

from antiextract import AntiExtractMiddleware, Settings
from antiextract.audit import make_logger
from antiextract.model.bucket import Limits, WindowLimit
from antiextract.request.identity import digest
from antiextract.store import MemoryStore

from .asgi import Exchange, bearer, chat_body, http_scope
from .conftest import SimClock
from .redis_proc import RedisProcess, free_port, redis_process

TIMEOUT = 0.2  # store_timeout in these tests
RETRY = 0.5  # store_retry_seconds in these tests
# A request that takes longer than this hangs: a failure guard, never a speed limit. That a
# request does not wait on a hung Redis is shown by ordering instead (it was answered while
# Redis was still frozen) or by counting what reached the store.
GUARD = 10.0
# A longer timeout for tests about a stalled store, with a back-off no shorter (Settings
# refuses a STORE_TIMEOUT longer than STORE_RETRY_SECONDS)
SLOW_STORE = {"store_timeout": 1.0, "store_retry_seconds": 1.0, "store_retry_max_seconds": 1.0}
CAPACITY = 10_000
USAGE = b'{"id":"x","choices":[{"message":{"content":"hi"}}],"usage":{"prompt_tokens":10,"completion_tokens":5,"total_tokens":15}}'  # noqa: E501
USED = 15


# --- harness ------------------------------------------------------------------------------


@pytest.fixture
def redis_srv() -> Iterator[RedisProcess]:
    with redis_process() as proc:
        yield proc


@pytest.fixture(params=["memory", "redis"])
def store_uri(request: pytest.FixtureRequest) -> Iterator[str]:
    """memory:// or a private Redis, for tests that must hold on both stores."""
    if request.param == "memory":
        yield "memory://"
        return
    with redis_process() as proc:
        yield proc.url


class App:
    """A model server stand-in: reads the whole body, records it, answers ``chunks``."""

    def __init__(
        self,
        chunks: list[bytes] | None = None,
        status: int = 200,
        content_type: bytes = b"application/json",
        delay: float = 0.0,
        hook: Any = None,
    ) -> None:
        self.chunks = chunks if chunks is not None else [USAGE]
        self.status, self.content_type, self.delay, self.hook = status, content_type, delay, hook
        self.calls = 0
        self.bodies: list[bytes] = []
        self.sent_chunks = 0
        self.streaming = asyncio.Event()

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        self.calls += 1
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if message["type"] != "http.request" or not message.get("more_body"):
                break
        self.bodies.append(body)
        if self.hook is not None:
            await self.hook()
        await send(
            {
                "type": "http.response.start",
                "status": self.status,
                "headers": [(b"content-type", self.content_type)],
            }
        )
        for i, chunk in enumerate(self.chunks):
            more = i < len(self.chunks) - 1
            await send({"type": "http.response.body", "body": chunk, "more_body": more})
            self.sent_chunks += 1
            if i == len(self.chunks) // 2:
                self.streaming.set()
            if self.delay and more:
                await asyncio.sleep(self.delay)


def settings(**kw: Any) -> Settings:
    base: dict[str, Any] = {
        "bucket_capacity": CAPACITY,
        # a small bucket: requests that name no output budget reserve 1,024 tokens here
        "default_output_tokens": 1_024,
        "bucket_refill_per_second": 10.0,
        "account_limits": "",
        "ip_limits": "",
        # Risk stays out of the way unless a test is about it: no degrade, challenge, block.
        "degrade_at": 1000.0,
        "challenge_at": 1000.0,
        "block_at": 1000.0,
        "store_timeout": TIMEOUT,
        "store_retry_seconds": RETRY,
        # A fixed back-off unless a test is about its growth (the breaker test below).
        "store_retry_max_seconds": RETRY,
    }
    base.update(kw)
    return Settings(**base)


def middleware(
    app: Any, clock: SimClock, uri: str = "memory://", log: io.StringIO | None = None, **kw: Any
) -> AntiExtractMiddleware:
    s = settings(storage_uri=uri, **kw)
    logger = make_logger(stream=log if log is not None else io.StringIO())
    # the intelligence plane driven on the simulated clock (mw.intel.drain), never in the
    # background: faults are injected at known moments
    return AntiExtractMiddleware(app, s, clock, logger=logger, drive_intel=True)


async def call(
    mw: AntiExtractMiddleware,
    body: bytes = b"",
    headers: list[tuple[bytes, bytes]] | None = None,
    chunk: int | None = None,
    **scope_kw: Any,
) -> Exchange:
    ex = Exchange(body, chunk=chunk)
    scope = http_scope(headers=headers if headers is not None else bearer(), **scope_kw)
    await mw(scope, ex.receive, ex.send)
    return ex


async def status_of(mw: AntiExtractMiddleware, *args: Any, **kw: Any) -> int:
    return (await asyncio.wait_for(call(mw, *args, **kw), GUARD)).status


def answers(redis_srv: RedisProcess) -> bool:
    """Whether Redis answers a PING within 0.1 s (frozen, asleep or paused: it does not).
    A raw socket: a client library may retry a timed-out command until Redis is back."""
    try:
        with socket.create_connection(("127.0.0.1", redis_srv.port), timeout=0.1) as sock:
            sock.sendall(b"PING\r\n")
            return sock.recv(16).startswith(b"+PONG")
    except OSError:
        return False


async def wait_until(done: Any, seconds: float = GUARD) -> None:
    """Polls ``done()``; gives up after ``seconds`` (a guard against a hang)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while not done() and loop.time() < deadline:
        await asyncio.sleep(0.01)


def events(log: io.StringIO, kind: str | None = None) -> list[dict]:
    lines = [json.loads(line) for line in log.getvalue().splitlines() if line.strip()]
    return [e for e in lines if kind is None or e["event"] == kind]


def account_of(mw: AntiExtractMiddleware, api_key: str = "sk-test-1") -> str:
    """The store key of an API key's account, as the middleware derives it."""
    return mw._store_key("key:" + digest(api_key.encode(), mw.hash_key), 16)


def cost_of(body: bytes, max_tokens: int) -> int:
    return max_tokens + math.ceil(len(body) / 4)


async def close(*mws: AntiExtractMiddleware) -> None:
    for mw in mws:
        await mw.store.close()


def well_formed(ex: Exchange) -> None:
    """One start with a status, then body messages ending with more_body false."""
    kinds = [m["type"] for m in ex.sent]
    assert kinds and kinds[0] == "http.response.start", kinds
    assert kinds.count("http.response.start") == 1
    assert isinstance(ex.sent[0]["status"], int) and 100 <= ex.sent[0]["status"] < 600
    bodies = [m for m in ex.sent if m["type"] == "http.response.body"]
    assert bodies and not bodies[-1].get("more_body", False)
    assert all(m.get("more_body", False) for m in bodies[:-1])
    length = ex.headers.get("content-length")
    if length is not None:
        assert int(length) == len(ex.body)


# --- 1. Redis killed mid-traffic ----------------------------------------------------------


async def test_redis_killed_mid_traffic_fails_open_bounded_and_recovers(
    redis_srv: RedisProcess, clock: SimClock
) -> None:
    log = io.StringIO()
    app = App()
    mw = middleware(
        app, clock, redis_srv.url, log, account_limits="3/minute", ip_limits="100000/minute"
    )
    statuses: list[int] = []
    stop = asyncio.Event()
    numbers = itertools.count()

    async def worker() -> None:
        while not stop.is_set():
            statuses.append(await status_of(mw, chat_body(), bearer(f"bg-{next(numbers)}")))
            await asyncio.sleep(0.002)

    workers = [asyncio.create_task(worker()) for _ in range(8)]
    await wait_until(lambda: len(statuses) >= 10)
    served_before = len(statuses)
    redis_srv.kill()
    await wait_until(lambda: len(statuses) >= served_before + 50)
    await asyncio.sleep(RETRY + 0.3)  # Redis is retried (and found dead) during the outage
    outage = [await status_of(mw, chat_body(), bearer("outage")) for _ in range(4)]
    stop.set()
    await asyncio.gather(*workers)

    assert served_before >= 10 and len(statuses) >= served_before + 50
    assert outage == [200, 200, 200, 429]  # 3/minute holds on local limits
    assert set(statuses) == {200}  # fail open: never a 5xx, never a hang (status_of's guard)
    down = events(log, "antiextract.store_unavailable")
    assert len(down) == 1 and down[0]["fallback"] == "local_limits"

    redis_srv.start()  # same port, empty, no scripts
    await asyncio.sleep(RETRY + 0.1)
    assert (await call(mw, chat_body(), bearer("after"))).status == 200
    await mw.store.flush()
    assert len(events(log, "antiextract.store_recovered")) == 1
    assert len(events(log, "antiextract.store_unavailable")) == 1
    acct = account_of(mw, "after")
    keys = set(redis_srv.client().keys("ae:*"))
    assert f"ae:{{a:{acct}}}".encode() in keys and any(k.startswith(b"ae:{i:") for k in keys)
    state = await mw.store.account_state(acct, clock())
    assert state is not None and state["windows"]["w60"][1] == 1
    assert state["tokens"] == pytest.approx(CAPACITY - USED)  # settled on Redis too
    assert await mw.fallback.account_state(acct, clock()) is None  # Redis answered, not local
    await close(mw)


async def test_fail_closed_refuses_with_503_in_the_apis_format_and_recovers(
    redis_srv: RedisProcess, clock: SimClock
) -> None:
    """FAIL_MODE=closed: while Redis is down every protected request gets a 503 (OpenAI or
    Anthropic error body, Retry-After), within the timeout, and the app never runs; once
    Redis is back the probe succeeds and requests are served and counted on Redis."""
    log = io.StringIO()
    app = App()
    mw = middleware(app, clock, redis_srv.url, log, fail_mode="closed")
    assert (await call(mw, chat_body(), bearer("before"))).status == 200
    redis_srv.kill()
    outage = [
        await asyncio.wait_for(call(mw, chat_body(), bearer("during"), path=path), GUARD)
        for path in ("/v1/chat/completions", "/v1/messages", "/v1/chat/completions")
    ]
    assert [ex.status for ex in outage] == [503, 503, 503]
    assert app.calls == 1  # only the request before the outage reached the app
    openai_err, anthropic_err = outage[0].json(), outage[1].json()
    assert openai_err["error"]["type"] == "service_unavailable"
    assert openai_err["error"]["code"] == "limiter_unavailable"
    assert anthropic_err["type"] == "error"
    assert anthropic_err["error"]["type"] == "overloaded_error"
    for ex in outage:
        assert 1 <= int(ex.headers["retry-after"]) <= math.ceil(RETRY)
    refusals = [e for e in events(log, "antiextract.decision") if e.get("status") == 503]
    assert len(refusals) == 3 and refusals[0]["reasons"] == ["store_unavailable"]

    redis_srv.start()
    await asyncio.sleep(RETRY + 0.1)
    assert (await call(mw, chat_body(), bearer("after"))).status == 200
    assert len(events(log, "antiextract.store_recovered")) == 1
    state = await mw.store.account_state(account_of(mw, "after"), clock())
    assert state is not None  # served on Redis again, not on local limits
    await close(mw)


# --- 2. Redis paused or frozen ------------------------------------------------------------


@pytest.mark.parametrize("how", ["debug-sleep", "client-pause", "sigstop"])
async def test_paused_redis_costs_a_request_at_most_the_timeout(
    redis_srv: RedisProcess, clock: SimClock, how: str
) -> None:
    """Redis stops answering for 2.5 s (DEBUG SLEEP, CLIENT PAUSE, SIGSTOP) while 18
    requests come in, five at a time and one by one: every one is served, and before
    Redis answers again, so none waited for it (the first ones gave up after the store
    timeout, the others found the circuit open)."""
    log = io.StringIO()
    mw = middleware(App(), clock, redis_srv.url, log)
    await asyncio.gather(*(call(mw, chat_body(), bearer(f"warm-{i}")) for i in range(4)))
    pause = 2.5
    admin = redis_srv.client()
    sleeper = None
    if how == "debug-sleep":
        sleeper = asyncio.create_task(
            asyncio.to_thread(admin.execute_command, "DEBUG", "SLEEP", pause)
        )
    elif how == "client-pause":
        admin.execute_command("CLIENT", "PAUSE", int(pause * 1000), "ALL")
    else:
        redis_srv.freeze()
    await asyncio.sleep(0.05)
    statuses: list[int] = []
    for n in range(3):
        batch = [status_of(mw, chat_body(), bearer(f"p-{n}-{i}")) for i in range(5)]
        statuses += await asyncio.gather(*batch)  # concurrent
        statuses.append(await status_of(mw, chat_body(), bearer(f"s-{n}")))  # and sequential
    assert not answers(redis_srv), "Redis answered again before the requests were served"
    if sleeper is not None:
        await sleeper
    if how == "sigstop":
        redis_srv.thaw()
    await wait_until(lambda: answers(redis_srv))
    await asyncio.sleep(RETRY + 0.1)
    assert (await call(mw, chat_body(), bearer("after-pause"))).status == 200

    assert statuses == [200] * 18
    assert len(events(log, "antiextract.store_unavailable")) == 1
    assert len(events(log, "antiextract.store_recovered")) == 1
    await close(mw)


async def test_challenge_path_does_not_wait_on_a_store_known_to_be_down(
    redis_srv: RedisProcess, clock: SimClock
) -> None:
    """Challenged requests also talk to Redis (allowance book, replay guard). While Redis
    hangs, the first request waits out the store timeout once (its evaluation, which
    opens the circuit); from then on neither the store nor the allowance book nor the
    replay guard is asked: the middleware knows the store is down, answers its limits
    locally and fails the challenge open (degraded)."""
    log = io.StringIO()
    app = App()
    mw = middleware(
        app,
        clock,
        redis_srv.url,
        log,
        degrade_at=0.0,
        challenge_at=0.0,
        secret="s",
        store_retry_seconds=30.0,
        store_retry_max_seconds=30.0,
    )  # every request is challenged; one outage window covers the whole test
    mw.breaker.clock = clock  # the back-off on simulated time: no probe during the test
    before = await call(mw, chat_body())
    assert 400 <= before.status < 500 and app.calls == 0
    asked: list[str] = []

    def counting(name: str, method: Any) -> Any:
        async def wrapper(*args: Any, **kw: Any) -> Any:
            asked.append(name)
            return await method(*args, **kw)

        return wrapper

    for obj, name in ((mw.store, "evaluate"), (mw.passes, "spend"), (mw.passes, "grant"),
                      (mw.replay, "first_use")):  # fmt: skip
        setattr(obj, name, counting(name, getattr(obj, name)))
    redis_srv.freeze()
    try:
        statuses = []
        for i in range(6):
            headers = bearer()
            if i % 2:
                headers.append((b"antiextract-solution", b"not-a-token:123"))
            statuses.append(await status_of(mw, chat_body(), headers))
        assert not answers(redis_srv)  # all served while Redis was frozen
    finally:
        redis_srv.thaw()
    assert statuses == [200] * 6  # fail open, degraded
    assert asked == ["evaluate"], "requests in the outage window still wait on Redis"
    assert len(events(log, "antiextract.store_unavailable")) == 1
    await close(mw)


class StoreSpy:
    """Wraps a store's ``evaluate``: how many calls reached it, and the most ever in
    flight at once."""

    def __init__(self, store: Any) -> None:
        self.inner = store.evaluate
        self.calls = 0
        self.in_flight = 0
        self.most_in_flight = 0
        store.evaluate = self

    async def __call__(self, *args: Any, **kw: Any) -> Any:
        self.calls += 1
        self.in_flight += 1
        self.most_in_flight = max(self.most_in_flight, self.in_flight)
        try:
            return await self.inner(*args, **kw)
        finally:
            self.in_flight -= 1


async def test_breaker_sends_one_probe_at_a_time_backs_off_and_recovers(
    redis_srv: RedisProcess, clock: SimClock
) -> None:
    """Redis frozen (every call hangs for the whole timeout), then killed, then back. The
    breaker's back-off runs on a simulated clock the test moves, and bursts of ten
    concurrent requests arrive just before and just after each back-off ends: before,
    none reaches Redis; after, exactly one does (the probe), never two at once; each
    failed probe doubles the back-off (0.3, 0.6, 1.2 s, capped) minus the injected jitter;
    every request is served by local limits meanwhile; the first probe after Redis is
    back closes the circuit."""
    base, cap, jitter = 0.3, 1.2, 0.5
    log = io.StringIO()
    mw = middleware(
        App(), clock, redis_srv.url, log, store_retry_seconds=base, store_retry_max_seconds=cap
    )
    breaker_clock = SimClock(1_000.0)
    mw.breaker.clock = breaker_clock
    mw.breaker.jitter = lambda: jitter  # every back-off is 95 % of its nominal value
    assert (await call(mw, chat_body(), bearer("warm"))).status == 200
    spy = StoreSpy(mw.store)
    statuses: list[int] = []
    numbers = itertools.count()

    async def burst() -> None:
        batch = [status_of(mw, chat_body(), bearer(f"f-{next(numbers)}")) for _ in range(10)]
        statuses.extend(await asyncio.gather(*batch))

    # back-offs: 0.3, 0.6, 1.2, 1.2 (capped) s, each x (1 - 0.1 x 0.5)
    expected = [min(cap, base * 2**k) * (1 - 0.1 * jitter) for k in range(4)]
    redis_srv.freeze()
    statuses.append(await status_of(mw, chat_body(), bearer("opens")))  # times out: opens
    assert spy.calls == 1 and mw.breaker.state == "open"
    for k, wait in enumerate(expected[:3]):
        if k == 2:
            redis_srv.kill()  # dead: a probe now fails at once (connection refused)
        assert mw.breaker.retry_in() == pytest.approx(wait, abs=1e-9)
        asked = spy.calls
        breaker_clock.advance(wait - 0.001)
        await burst()
        assert spy.calls == asked, f"Redis asked {spy.calls - asked} times during back-off {k}"
        breaker_clock.advance(mw.breaker.retry_in() + 1e-6)  # the back-off is over
        await burst()
        assert spy.calls == asked + 1, f"not exactly one probe after back-off {k}"
    assert statuses == [200] * 61, "fail open, never 5xx"
    assert spy.most_in_flight == 1, "more than one request reached the dead Redis at once"
    down = events(log, "antiextract.store_unavailable")
    assert len(down) == 1 and down[0]["state"] == "open"
    assert down[0]["retry_in"] == pytest.approx(expected[0], abs=0.001)
    probes = events(log, "antiextract.store_probe_failed")
    assert [p["failed_probes"] for p in probes] == [1, 2, 3]
    assert [p["state"] for p in probes] == ["open"] * 3
    assert [p["retry_in"] for p in probes] == pytest.approx(expected[1:], abs=0.001)
    assert mw.breaker.state == "open" and events(log, "antiextract.store_recovered") == []

    redis_srv.start()  # same port, empty
    breaker_clock.advance(mw.breaker.retry_in() + 1e-6)
    asked = spy.calls
    recovered = await asyncio.gather(
        *(status_of(mw, chat_body(), bearer(f"r-{i}")) for i in range(10))
    )
    assert recovered == [200] * 10
    assert spy.calls == asked + 1  # one probe; the nine others used local limits
    assert mw.breaker.state == "closed"
    up = events(log, "antiextract.store_recovered")
    assert len(up) == 1 and up[0]["state"] == "closed"
    assert up[0]["outage_seconds"] == pytest.approx(sum(expected), abs=0.002)
    after = await call(mw, chat_body(), bearer("after"))
    assert after.status == 200 and spy.calls == asked + 2  # closed: on Redis again
    await mw.store.flush()
    acct = account_of(mw, "after")
    assert (await mw.store.account_state(acct, clock()))["tokens"] == pytest.approx(CAPACITY - USED)
    assert await mw.fallback.account_state(acct, clock()) is None
    assert mw.breaker.closed  # the challenge path sees the outage over
    await close(mw)


# --- 3. Scripts flushed, Redis restarted --------------------------------------------------


async def test_script_flush_is_invisible_to_evaluation_and_settlement(
    redis_srv: RedisProcess, clock: SimClock
) -> None:
    log = io.StringIO()
    admin = redis_srv.client()

    async def flush_scripts() -> None:  # between this request's evaluation and settlement
        admin.script_flush()

    app = App()
    mw = middleware(app, clock, redis_srv.url, log)
    acct = account_of(mw)
    body = chat_body(max_tokens=500)
    assert (await call(mw, body)).status == 200
    await mw.store.flush()
    admin.script_flush()
    assert (await call(mw, body)).status == 200  # EVALSHA misses, reloads, runs once
    await mw.store.flush()
    state = await mw.store.account_state(acct, clock())
    assert state["tokens"] == pytest.approx(CAPACITY - 2 * USED)
    assert state["profile"]["day_count"] == 2  # both evaluations ran on Redis, once each

    app.hook = flush_scripts  # the settlement pipeline now finds settle.lua gone
    assert (await call(mw, body)).status == 200
    await mw.store.flush()
    state = await mw.store.account_state(acct, clock())
    assert state["tokens"] == pytest.approx(CAPACITY - 3 * USED)
    assert state["profile"]["day_count"] == 3
    assert admin.script_exists(mw.store._settle.sha) == [True]  # reloaded by the pipeline
    assert events(log, "antiextract.store_unavailable") == []
    assert await mw.fallback.account_state(acct, clock()) is None
    await close(mw)


@pytest.mark.parametrize("how", ["restart", "client-kill"])
async def test_redis_restart_between_requests_is_served_and_settled_on_redis(
    redis_srv: RedisProcess, clock: SimClock, how: str
) -> None:
    """Redis restarted (state and scripts gone) or every client connection dropped (an
    idle timeout, a proxy, a failover) while no request is in flight. The next request is
    evaluated on Redis (the hot-path client reconnects), and so is its settlement: the
    settlement pipeline runs on redis-py's pooled connection, which the server closed, and
    redis-py does not retry, so ``_flush_pending`` tries the batch once more itself."""
    log = io.StringIO()
    mw = middleware(App(), clock, redis_srv.url, log)
    body = chat_body(max_tokens=500)
    assert (await call(mw, body)).status == 200
    await mw.store.flush()
    if how == "restart":
        redis_srv.restart()
    else:
        redis_srv.client().client_kill_filter(_type="normal", skipme=True)
    await asyncio.sleep(0.05)  # the event loop runs meanwhile, as it would in a server
    assert (await call(mw, body, bearer("after"))).status == 200
    await mw.store.flush()
    acct = account_of(mw, "after")
    assert await mw.fallback.account_state(acct, clock()) is None, "served by local limits"
    assert events(log, "antiextract.store_unavailable") == []
    state = await mw.store.account_state(acct, clock())
    assert state is not None and state["profile"]["day_count"] == 1
    assert state["tokens"] == pytest.approx(CAPACITY - USED), "the settlement was lost"
    await close(mw)


async def test_burst_after_restart_reloads_scripts_within_the_timeout(
    redis_srv: RedisProcess, clock: SimClock
) -> None:
    """Every request of the first burst after a restart meets NOSCRIPT on the whole
    batch (account script and cohort scripts) and resends each as EVAL."""
    log = io.StringIO()
    mw = middleware(App(), clock, redis_srv.url, log, account_limits="2/minute")
    assert (await call(mw, chat_body(), bearer("warm"))).status == 200
    redis_srv.restart()
    await asyncio.sleep(0.05)
    statuses = await asyncio.gather(
        *(status_of(mw, chat_body(f"prompt {i % 7}"), bearer(f"b-{i % 25}")) for i in range(100))
    )
    assert statuses.count(200) == 50  # 25 accounts x 2/minute, on Redis
    # none timed out (that would have opened the circuit and logged the outage)
    assert events(log, "antiextract.store_unavailable") == []
    await close(mw)


# --- 4. Concurrency: one budget, one or two replicas --------------------------------------


@pytest.mark.parametrize("replicas", [1, 2])
async def test_concurrent_burst_never_overspends_the_shared_budget(
    redis_srv: RedisProcess, clock: SimClock, replicas: int
) -> None:
    app = App(chunks=[b"{}"])  # no usage: every reservation stands
    body = chat_body(max_tokens=100)
    cost = cost_of(body, 100)
    capacity = 7 * cost + cost // 2
    logs = [io.StringIO() for _ in range(replicas)]
    # A timeout of 1 s: this test is about atomicity (a timeout would hand requests to the
    # local fallback, a documented overspend); 0.2 s passes too on an idle machine.
    mws = [
        middleware(app, clock, redis_srv.url, log, bucket_capacity=capacity, **SLOW_STORE)
        for log in logs
    ]
    assert replicas == 1 or mws[0].store.client is not mws[1].store.client
    results = await asyncio.gather(*(call(mws[i % replicas], body) for i in range(200)))
    statuses = [r.status for r in results]
    assert statuses.count(200) == capacity // cost == 7 and app.calls == 7
    assert statuses.count(429) == 193
    assert all(events(log, "antiextract.store_unavailable") == [] for log in logs)
    state = await mws[0].store.account_state(account_of(mws[0]), clock())
    assert state["tokens"] == pytest.approx(capacity - 7 * cost)
    await close(*mws)


# --- 5. Two uvicorn replicas, one budget --------------------------------------------------

REPLICA = """
import sys, uvicorn
from antiextract import AntiExtractMiddleware

async def app(scope, receive, send):
    if scope["type"] != "http":
        return
    while (await receive()).get("more_body"):
        pass
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": b'{"ok": true}'})

uvicorn.run(AntiExtractMiddleware(app), host="127.0.0.1", port=int(sys.argv[1]),
            log_level="warning", lifespan="off", access_log=False)
"""


@contextlib.contextmanager
def replica(port: int, redis_url: str, **extra: str) -> Iterator[subprocess.Popen[bytes]]:
    env = {
        **os.environ,
        "ANTIEXTRACT_STORAGE_URI": redis_url,
        "ANTIEXTRACT_ACCOUNT_LIMITS": "10/minute",
        "ANTIEXTRACT_IP_LIMITS": "",
        "ANTIEXTRACT_SECRET": "replicas-share-this",
        "ANTIEXTRACT_DEGRADE_AT": "1000",
        "ANTIEXTRACT_CHALLENGE_AT": "1000",
        "ANTIEXTRACT_BLOCK_AT": "1000",
        "ANTIEXTRACT_STORE_TIMEOUT": "2",
        "ANTIEXTRACT_LOG_LEVEL": "error",
        **extra,
    }
    proc = subprocess.Popen(
        [sys.executable, "-c", REPLICA, str(port)],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        yield proc
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


async def wait_until_serving(client: httpx.AsyncClient, url: str, proc: Any) -> None:
    deadline = time.monotonic() + 20
    while True:
        assert proc.poll() is None, proc.stderr.read().decode()
        try:
            await client.get(url + "/healthz")
            return
        except httpx.TransportError:
            assert time.monotonic() < deadline, "replica did not start"
            await asyncio.sleep(0.05)


async def test_two_uvicorn_replicas_share_one_budget(redis_srv: RedisProcess) -> None:
    ports = [free_port(), free_port()]
    with replica(ports[0], redis_srv.url) as a, replica(ports[1], redis_srv.url) as b:
        urls = [f"http://127.0.0.1:{p}" for p in ports]
        async with httpx.AsyncClient(timeout=10) as client:
            await wait_until_serving(client, urls[0], a)
            await wait_until_serving(client, urls[1], b)
            headers = {"authorization": "Bearer sk-replica-test"}
            statuses = []
            for i in range(30):
                r = await client.post(
                    urls[i % 2] + "/v1/chat/completions", content=chat_body(), headers=headers
                )
                statuses.append(r.status_code)
    assert statuses.count(200) == 10, statuses
    assert statuses.count(429) == 20
    by_replica = [statuses[0::2].count(200), statuses[1::2].count(200)]
    assert by_replica == [5, 5]  # alternating: each replica admitted half the one budget


async def test_two_uvicorn_replicas_share_one_campaign_view(redis_srv: RedisProcess) -> None:
    """Young accounts send one harvest-shaped request each, alternating between two
    replicas: no per-account limit can refuse any of them. Their records reach the
    intelligence plane (a stream in Redis, analysed by whichever replica holds the lease),
    the campaign is flagged once four are seen, both replicas pick the verdict up, and
    from then on both refuse once the campaign has spent its one shared bucket, and
    neither lets a member through again (the bucket refills 0.001 tokens a second).
    Propagation takes a flush and a verdict refresh (shortened here to 50 and 100 ms), so
    the members keep coming until both have refused, at most 60 of them."""
    campaign = {
        "ANTIEXTRACT_ACCOUNT_LIMITS": "100/minute",
        "ANTIEXTRACT_ACCOUNT_CREATED_HEADER": "x-created",
        "ANTIEXTRACT_CAMPAIGN_MODEL": json.dumps(
            {"min_young": 4, "bucket_capacity": 3000, "bucket_refill": 0.001}
        ),
        "ANTIEXTRACT_FLUSH_MS": "50",
        "ANTIEXTRACT_VERDICT_REFRESH_MS": "100",
    }
    body = chat_body(
        "Think step by step and show your full reasoning. Implement a python function and "
        "refactor the class. Task: sort a list.",
        max_tokens=500,
    )
    ports = [free_port(), free_port()]
    with (
        replica(ports[0], redis_srv.url, **campaign) as a,
        replica(ports[1], redis_srv.url, **campaign) as b,
    ):
        urls = [f"http://127.0.0.1:{p}" for p in ports]
        async with httpx.AsyncClient(timeout=10) as client:
            await wait_until_serving(client, urls[0], a)
            await wait_until_serving(client, urls[1], b)
            statuses: list[int] = []
            for i in range(60):
                headers = {
                    "authorization": f"Bearer sk-campaign-member-{i}",
                    "x-created": str(int(time.time()) - 3600),
                }
                r = await client.post(
                    urls[i % 2] + "/v1/chat/completions", content=body, headers=headers
                )
                statuses.append(r.status_code)
                if 429 in statuses[0::2] and 429 in statuses[1::2]:
                    break
                await asyncio.sleep(0.05)  # members arrive over time, as a campaign's do
    assert set(statuses) == {200, 429}, statuses
    assert 429 in statuses[0::2] and 429 in statuses[1::2], statuses  # both replicas refuse
    for mine in (statuses[0::2], statuses[1::2]):
        first = mine.index(429)
        assert 200 not in mine[first:], statuses  # a dry bucket stays dry for everyone
    # once charged, the one bucket (3000 tokens, ~600 a request) let at most 6 through
    assert statuses[statuses.index(429) :].count(200) <= 6, statuses


# --- 6. Cancellation and app failures: reservations refunded or settled -------------------


def sse_chunks(n: int = 40) -> list[bytes]:
    return [b'data: {"choices":[{"delta":{"content":"tok"}}]}\n\n'] * n + [b"data: [DONE]\n\n"]


async def run_and_cancel(mw: AntiExtractMiddleware, ex: Exchange, when: asyncio.Event) -> None:
    task = asyncio.create_task(mw(http_scope(headers=bearer()), ex.receive, ex.send))
    await asyncio.wait_for(when.wait(), 5)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task


async def test_cancelled_mid_stream_leaves_a_consistent_bucket(
    store_uri: str, clock: SimClock
) -> None:
    """A client gone mid-stream (the task is cancelled): the stream carried no usage, so
    the reservation stands as the charge; nothing is refunded twice or lost."""
    log = io.StringIO()
    app = App(sse_chunks(), content_type=b"text/event-stream", delay=0.005)
    mw = middleware(app, clock, store_uri, log, audit_sample_rate=1.0)
    body = chat_body(max_tokens=1000, stream=True)
    ex = Exchange(body)
    await run_and_cancel(mw, ex, app.streaming)
    assert 0 < app.sent_chunks < len(app.chunks)
    await mw.store.flush()
    state = await mw.store.account_state(account_of(mw), clock())
    (event,) = events(log, "antiextract.decision")
    assert event["status"] == 200 and event["settled"] is None
    assert state["tokens"] == pytest.approx(CAPACITY - cost_of(body, 1000))
    await close(mw)


async def test_cut_anthropic_stream_is_not_charged_as_prompt_only(
    store_uri: str, clock: SimClock
) -> None:
    """Anthropic's ``message_start`` carries a placeholder usage (input tokens, 1 output
    token). A stream cut before ``message_delta`` (client gone, task cancelled) is not
    settled on that placeholder: 500 streamed output tokens charged as 1 would let a
    distiller that drops the connection before the last event pay for its prompt only."""

    def sse(kind: str, data: dict) -> bytes:
        return f"event: {kind}\ndata: {json.dumps(data)}\n\n".encode()

    start = {
        "type": "message_start",
        "message": {"usage": {"input_tokens": 12, "output_tokens": 1}},
    }
    delta = {"type": "content_block_delta", "delta": {"type": "text_delta", "text": "tok"}}
    chunks = [sse("message_start", start)] + [sse("content_block_delta", delta)] * 500
    chunks += [
        sse("message_delta", {"type": "message_delta", "usage": {"output_tokens": 500}}),
        sse("message_stop", {"type": "message_stop"}),
    ]
    app = App(chunks, content_type=b"text/event-stream", delay=0.001)
    mw = middleware(app, clock, store_uri)
    body = orjson.dumps(
        {"model": "c", "max_tokens": 1000, "stream": True,
         "messages": [{"role": "user", "content": "hi"}]}
    )  # fmt: skip
    ex = Exchange(body)
    task = asyncio.create_task(
        mw(http_scope("/v1/messages", headers=bearer()), ex.receive, ex.send)
    )
    await asyncio.wait_for(app.streaming.wait(), 5)  # 250 output tokens are out
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await mw.store.flush()
    streamed = app.sent_chunks - 1
    assert streamed >= 250
    state = await mw.store.account_state(account_of(mw), clock())
    charged = CAPACITY - state["tokens"]
    assert charged >= 12 + streamed, f"charged {charged} tokens for {streamed} streamed"
    await close(mw)


async def test_app_exception_refunds_the_reservation(store_uri: str, clock: SimClock) -> None:
    async def broken(scope: dict, receive: Any, send: Any) -> None:
        await receive()
        raise RuntimeError("model crashed")

    mw = middleware(broken, clock, store_uri)
    with pytest.raises(RuntimeError, match="model crashed"):
        await call(mw, chat_body(max_tokens=2000))
    await mw.store.flush()
    state = await mw.store.account_state(account_of(mw), clock())
    assert state["tokens"] == pytest.approx(CAPACITY)
    await close(mw)


async def test_cancelled_during_body_read_reserves_nothing(store_uri: str, clock: SimClock) -> None:
    app = App()
    mw = middleware(app, clock, store_uri)
    first = asyncio.Event()
    never = asyncio.Event()
    parts = [{"type": "http.request", "body": b'{"model": "m", "mess', "more_body": True}]

    async def receive() -> dict:
        if parts:
            first.set()
            return parts.pop()
        await never.wait()  # the rest of the body never comes
        raise AssertionError

    sent: list[dict] = []

    async def send(message: dict) -> None:
        sent.append(message)

    task = asyncio.create_task(mw(http_scope(headers=bearer()), receive, send))
    await first.wait()
    await asyncio.sleep(0.01)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    await mw.store.flush()
    assert app.calls == 0 and sent == []
    assert await mw.store.account_state(account_of(mw), clock()) is None
    await close(mw)


@pytest.mark.parametrize("how", ["client-pause", "debug-sleep"])
async def test_cancelled_during_store_call_reserves_nothing(
    redis_srv: RedisProcess, clock: SimClock, how: str
) -> None:
    """The client goes away while the evaluation is in flight on a stalled Redis."""
    app = App()
    mw = middleware(app, clock, redis_srv.url, **{k: 3.0 for k in SLOW_STORE})
    admin = redis_srv.client()
    assert (await call(mw, chat_body(), bearer("warm"))).status == 200
    sleeper = None
    if how == "client-pause":
        admin.execute_command("CLIENT", "PAUSE", 600, "ALL")
    else:
        sleeper = asyncio.create_task(
            asyncio.to_thread(admin.execute_command, "DEBUG", "SLEEP", 0.6)
        )
        await asyncio.sleep(0.05)
    ex = Exchange(chat_body(max_tokens=1000))
    task = asyncio.create_task(mw(http_scope(headers=bearer()), ex.receive, ex.send))
    await asyncio.sleep(0.2)
    assert not task.done()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    if sleeper is not None:
        await sleeper
    await asyncio.sleep(0.6)
    await mw.store.flush()
    assert app.calls == 1  # only the warm-up
    state = await mw.store.account_state(account_of(mw), clock())
    assert state is None or state["tokens"] == pytest.approx(CAPACITY)
    await close(mw)


async def test_refunds_during_an_outage_go_to_the_store_that_reserved(
    redis_srv: RedisProcess, clock: SimClock
) -> None:
    """A request evaluated by the local fallback is settled on the fallback, not against
    Redis: while Redis is down a correction sent there would be lost (a 5xx never
    refunded), and the reservation on the fallback would keep the whole estimate."""
    log = io.StringIO()
    app = App(status=503, chunks=[b'{"error": "overloaded"}'])
    mw = middleware(app, clock, redis_srv.url, log)
    redis_srv.kill()
    assert (await call(mw, chat_body(max_tokens=2000))).status == 503
    await mw.store.flush()
    assert len(events(log, "antiextract.store_unavailable")) == 1
    state = await mw.fallback.account_state(account_of(mw), clock())
    assert state["tokens"] == pytest.approx(CAPACITY), "the 503 was not refunded locally"
    await close(mw)


async def test_refund_of_a_fallback_request_does_not_credit_redis(
    redis_srv: RedisProcess, clock: SimClock
) -> None:
    """The same when Redis is back by the time the response ends: the refund goes to the
    fallback that reserved, since a refund of a request Redis never charged would erase
    another request's charge there and overspend the shared budget. (CLIENT PAUSE WRITE
    stalls EVALSHA; the timed-out call's connection is closed, so Redis never runs it.)"""
    log = io.StringIO()
    admin = redis_srv.client()
    body = chat_body(max_tokens=2000)
    cost = cost_of(body, 2000)
    first = App(chunks=[b"{}"])  # no usage: the reservation stands on Redis

    async def wait_for_redis() -> None:
        await asyncio.sleep(0.7)  # the pause is over when the model fails

    failing = App(status=503, chunks=[b"{}"], hook=wait_for_redis)
    apps = iter([first, failing])

    async def app(scope: dict, receive: Any, send: Any) -> None:
        await next(apps)(scope, receive, send)

    mw = middleware(app, clock, redis_srv.url, log)
    acct = account_of(mw)
    assert (await call(mw, body)).status == 200
    assert (await mw.store.account_state(acct, clock()))["tokens"] == pytest.approx(CAPACITY - cost)
    admin.execute_command("CLIENT", "PAUSE", 500, "WRITE")
    assert (await call(mw, body)).status == 503  # evaluated by the fallback, then refunded
    await mw.store.flush()
    assert len(events(log, "antiextract.store_unavailable")) == 1
    assert (await mw.store.account_state(acct, clock()))["tokens"] == pytest.approx(
        CAPACITY - cost
    ), "the first request's charge was erased by a refund Redis never reserved"
    await close(mw)


# --- 6b. Queued settlements across a failure; reset -----------------------------------


def _store(proc: RedisProcess) -> Any:
    from antiextract.store.redis import RedisStore

    limits = Limits(capacity=CAPACITY, refill=1e-6)  # no refill to speak of: exact levels
    return RedisStore.from_url(proc.url, limits, prefix="aeq", timeout=TIMEOUT)


async def test_settlements_queued_while_a_batch_fails_reach_redis_when_it_is_back(
    redis_srv: RedisProcess, clock: SimClock
) -> None:
    """A settlement batch fails (Redis down); settlements queued meanwhile must not be
    stranded: once Redis answers again, flush() sends them, with the failed batch's
    charge. (Before: the flusher returned on the failure, leaving the queue to whichever
    settle() came next, and flush() at shutdown found no flusher and dropped it.)"""
    store = _store(redis_srv)
    now = clock()
    for acct in ("a", "b"):
        assert (await store.evaluate(acct, "ip", 100, now)).allowed
    redis_srv.kill()
    await store.settle("a", 50, now)  # its batch fails: Redis is down
    await store.flush()  # returns once an attempt has failed
    await store.settle("b", 70, now)  # queued while the failed charge waits to be retried
    await store.settle("a", -30, now)
    assert store.settlements_pending == 2
    redis_srv.start()
    for acct in ("a", "b"):  # Redis came back empty (no persistence): the accounts anew
        assert (await store.evaluate(acct, "ip", 100, now)).allowed
    await store.flush()
    assert store.settlements_pending == 0
    a = await store.account_state("a", now)
    b = await store.account_state("b", now)
    assert a["tokens"] == pytest.approx(CAPACITY - 100 - 50 + 30)
    assert b["tokens"] == pytest.approx(CAPACITY - 100 - 70)
    await store.close()


async def test_a_failed_batch_sends_its_charges_again_never_its_refunds(
    redis_srv: RedisProcess, clock: SimClock
) -> None:
    """A batch that timed out may have run on the server. Its charges are sent again (a
    charge applied twice over-charges once); its refunds are dropped and counted (a
    refund applied twice would credit the account more than it was ever debited)."""
    store = _store(redis_srv)
    now = clock()
    for acct in ("charged", "refunded"):
        assert (await store.evaluate(acct, "ip", 1_000, now)).allowed
    redis_srv.freeze()  # SIGSTOP: the batch times out, its fate unknown to the client
    await store.settle("charged", 400, now)
    await store.settle("refunded", -900, now)
    await store.flush()
    redis_srv.thaw()
    await asyncio.sleep(0.1)
    await store.flush()
    assert store.settlements_lost == 1  # the refund
    charged = (await store.account_state("charged", now))["tokens"]
    refunded = (await store.account_state("refunded", now))["tokens"]
    # The frozen server ran the batch when thawed or not: the charge landed once or twice,
    # the refund at most once; never more credit than the account was debited.
    assert charged in (pytest.approx(CAPACITY - 1_400), pytest.approx(CAPACITY - 1_800))
    assert refunded >= CAPACITY - 1_000 - 1e-6 and refunded <= CAPACITY - 100 + 1e-6
    await store.close()


async def test_a_cancelled_settlement_flusher_stops_even_when_woken_in_the_same_turn(
    redis_srv: RedisProcess, clock: SimClock
) -> None:
    """The settlement flusher waits out its back-off on an Event. Cancelled in the loop
    turn that also sets it (``flush`` at shutdown wakes it, ``close`` cancels it), Python
    3.11's ``wait_for`` returned the Event's result and swallowed the cancellation: the
    flusher went on retrying against a dead Redis and the task never ended (the hang the
    intelligence plane's loops had). It must stop, keeping its charge counted as queued."""
    store = _store(redis_srv)
    now = clock()
    assert (await store.evaluate("a", "ip", 100, now)).allowed
    redis_srv.kill()
    await store.settle("a", 50, now)
    await store.flush()  # one attempt failed: the flusher now waits out its back-off
    task = store._flushing
    assert task is not None and not task.done()
    store._wake.set()
    task.cancel()
    done, _ = await asyncio.wait({task}, timeout=GUARD)
    assert task in done, "the cancelled flusher kept running"
    assert store.settlements_pending == 1  # the charge stays queued; close() counts it lost
    await store.close()
    assert store.settlements_lost == 1


async def test_close_with_redis_down_ends_the_flusher_and_counts_what_is_lost(
    redis_srv: RedisProcess, clock: SimClock
) -> None:
    store = _store(redis_srv)
    now = clock()
    for acct in ("a", "b"):
        assert (await store.evaluate(acct, "ip", 100, now)).allowed
    redis_srv.kill()
    await store.settle("a", 50, now)
    await store.settle("b", 20, now)
    task = store._flushing
    await asyncio.wait_for(store.close(), GUARD)
    assert task is not None and task.done()  # not left running against a dead Redis
    assert store.settlements_lost == 2


async def test_shutdown_flush_logs_settlements_that_could_not_be_sent(
    redis_srv: RedisProcess, clock: SimClock, caplog: pytest.LogCaptureFixture
) -> None:
    mw = middleware(App(), clock, redis_srv.url)
    assert (await call(mw, chat_body(max_tokens=500))).status == 200
    await mw.store.flush()  # its own settlement is in
    redis_srv.kill()
    await mw.store.settle(account_of(mw), 10, clock())  # a charge: kept for a retry
    messages = [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}]

    async def receive() -> dict:
        return messages.pop(0)

    async def lifespan_app(scope: dict, receive: Any, send: Any) -> None:
        while (await receive())["type"] != "lifespan.shutdown":
            pass

    mw.app = lifespan_app
    with caplog.at_level(logging.WARNING, logger="antiextract"):
        await mw({"type": "lifespan", "asgi": {"version": "3.0"}}, receive, None)
    assert any("could not reach the store before shutdown" in r.message for r in caplog.records)
    await close(mw)


async def test_reset_forgets_the_allowance_and_fails_as_a_store_error(
    redis_srv: RedisProcess, clock: SimClock
) -> None:
    from antiextract.store import StoreError
    from antiextract.store.passes import Allowance

    store = _store(redis_srv)
    now = clock()
    assert (await store.evaluate("acct", "ip", 10, now)).allowed
    passes = store.pass_book()
    await passes.grant("acct", Allowance.granted(now), now)
    admin = redis_srv.client()
    key = store.account_key("acct")
    assert admin.exists(key, key + ":pass") == 2
    await store.reset("acct")
    assert admin.exists(key, key + ":pass") == 0  # the allowance went with the account
    assert not await passes.spend("acct", now)
    redis_srv.kill()
    with pytest.raises(StoreError, match="redis reset failed"):
        await store.reset("acct")
    await store.close()


# --- 7. Hostile input through the whole middleware ----------------------------------------

JSON = (b"content-type", b"application/json")
AUTH = (b"authorization", b"Bearer sk-test-1")


def disconnect_mid_body() -> list[dict]:
    return [
        {"type": "http.request", "body": b'{"model": "m", "messages": [', "more_body": True},
        {"type": "http.disconnect"},
    ]


BIG = chat_body("y" * 5000)
BAD_INPUTS: dict[str, tuple[list[tuple[bytes, bytes]], bytes | list[dict], int | None]] = {
    "malformed-json": ([JSON, AUTH], b"{not json", None),
    "truncated-json": ([JSON, AUTH], chat_body()[:-7], None),
    "wrong-shape": (
        [JSON, AUTH],
        b'{"model": null, "messages": [null, 1, "x", {"role": {"a": 1}, "content": [{"type": 5}]}],'
        b' "max_tokens": -5, "n": "two", "stream": "yes", "logprobs": 3, "top_logprobs": "x"}',
        None,
    ),
    "huge-numbers": (
        [JSON, AUTH],
        b'{"model": "m", "messages": [{"role": "user", "content": "hi"}], "max_tokens": 1e300,'
        b' "n": 100000000000000000000000000000, "best_of": 1e308, "temperature": -1e308}',
        None,
    ),
    "array-body": ([JSON, AUTH], b"[1, 2, 3]", None),
    "invalid-utf8": (
        [JSON, AUTH],
        b'{"model": "m", "messages": [{"role": "user", "content": '
        b'"\xff\xfe\xc3\x28 \xed\xa0\x80"}]}',
        None,
    ),
    "lone-surrogate-escape": (
        [JSON, AUTH],
        b'{"model": "m", "messages": [{"role": "user", "content": "\\ud800 x \\udfff"}]}',
        None,
    ),
    "nul-bytes": ([JSON, AUTH], b'{"model": "m\x00", "messages": [\x00]}\x00', None),
    "over-inspect-cap": ([JSON, AUTH], BIG, 1024),
    "over-inspect-cap-chunked": ([JSON, AUTH], BIG, 7),
    "nested-100k": ([JSON, AUTH], b"[" * 100_000, None),
    "nested-100k-closed": ([JSON, AUTH], b"[" * 100_000 + b"]" * 100_000, None),
    "nested-in-messages": (
        [JSON, AUTH],
        b'{"model": "m", "messages": [{"role": "user", "content": '
        + b"[" * 50_000
        + b"]" * 50_000
        + b"}]}",
        None,
    ),
    "empty-body": ([JSON, AUTH], b"", None),
    "huge-auth-header": ([JSON, (b"authorization", b"Bearer " + b"k" * 65_536)], chat_body(), None),
    "huge-header-values": (
        [
            JSON,
            AUTH,
            (b"x-forwarded-for", b"1.2.3.4, " * 7282),
            (b"cookie", b"c" * 65_536),
            (b"user-agent", b"\xff" * 65_536),
            (b"content-length", b"9" * 65_536),
        ],
        chat_body(),
        None,
    ),
    "huge-content-length-of-cut-body": (
        [JSON, AUTH, (b"content-length", b"99999999999999999999999")],
        BIG,
        1024,
    ),
    "negative-content-length": ([JSON, AUTH, (b"content-length", b"-5")], BIG, 1024),
    "no-content-type": ([AUTH], chat_body(), None),
    "wrong-content-type": (
        [(b"content-type", b"text/plain; charset=\xff"), AUTH],
        chat_body(),
        None,
    ),
    # (the same key twice; two different keys are refused with 400: test_identity.py)
    "duplicate-headers": (
        [JSON, JSON, AUTH, AUTH, (b"x-api-key", b""), (b"x-api-key", AUTH[1][7:])],
        chat_body(),
        None,
    ),
    "odd-auth": ([JSON, (b"authorization", b"Bearer \t \r\n")], chat_body(), None),
    "many-small-chunks": ([JSON, AUTH], chat_body("z" * 3000), 1),
    "disconnect-mid-body": ([JSON, AUTH], disconnect_mid_body(), None),
    "disconnect-first": ([JSON, AUTH], [{"type": "http.disconnect"}], None),
}


async def run_raw(
    mw: AntiExtractMiddleware, headers: list, incoming: list[dict], **scope_kw: Any
) -> Exchange:
    ex = Exchange()
    ex.incoming = list(incoming)
    await asyncio.wait_for(mw(http_scope(headers=headers, **scope_kw), ex.receive, ex.send), 10)
    return ex


@pytest.mark.parametrize("case", list(BAD_INPUTS))
async def test_hostile_input_never_5xx_never_hangs_body_intact(
    store_uri: str, clock: SimClock, case: str, caplog: pytest.LogCaptureFixture
) -> None:
    headers, body, chunk = BAD_INPUTS[case]
    app = App()
    mw = middleware(app, clock, store_uri, inspect_max_bytes=1024, account_limits="50/minute")
    with caplog.at_level(logging.ERROR, logger="antiextract"):
        if isinstance(body, list):
            ex = await run_raw(mw, headers, body)
            expected = b"".join(m.get("body", b"") for m in body)
        else:
            ex = Exchange(body, chunk=chunk)
            await asyncio.wait_for(mw(http_scope(headers=headers), ex.receive, ex.send), 10)
            expected = body
    if case.startswith("disconnect"):  # nobody to answer: the app is never called
        assert ex.sent == [] and app.bodies == []
        await close(mw)
        return
    well_formed(ex)
    assert ex.status == 200 and app.bodies == [expected]
    assert ex.body == USAGE
    # A decision that raised would let the request through unlimited: none may.
    assert "decision failed" not in caplog.text and "failed" not in caplog.text
    await close(mw)


async def test_forged_forwarded_for_from_an_untrusted_peer_is_ignored(
    store_uri: str, clock: SimClock
) -> None:
    log = io.StringIO()
    app = App()
    mw = middleware(
        app, clock, store_uri, log, ip_limits="2/minute", trusted_proxies="10.0.0.0/8",
        audit_sample_rate=1.0,
    )  # fmt: skip
    statuses = []
    for n in range(4):
        headers = [JSON, (b"authorization", f"Bearer k{n}".encode())]
        headers.append((b"x-forwarded-for", f"10.1.1.{n}, 192.0.2.{n}, 10.0.0.1".encode()))
        statuses.append((await call(mw, chat_body(), headers)).status)
    assert statuses == [200, 200, 429, 429]
    assert {e["ip"] for e in events(log, "antiextract.decision")} == {"203.0.113.10"}
    # Through a trusted proxy the forwarded client counts instead.
    proxied = [JSON, AUTH, (b"x-forwarded-for", b"192.0.2.77")]
    assert (await call(mw, chat_body(), proxied, client=("10.9.9.9", 1))).status == 200
    await close(mw)


ODD_ACCOUNTS = [
    b"{a:victim}",
    b"}{",
    b"acct with spaces",
    b"crlf\r\nSET ae:{a:x} 1\r\n",
    b"*",
    b"*3\r\n$3\r\nDEL\r\n",
    "ünïcødé-账户-🙂".encode(),
    b"\xff\xfe\x00",
    b"x" * 65_536,
    b"ae:{a:" + b"0" * 32 + b"}",
]


async def test_odd_account_ids_are_separate_accounts_and_safe_keys(
    store_uri: str, clock: SimClock
) -> None:
    app = App()
    mw = middleware(app, clock, store_uri, account_header="X-Account", account_limits="1/minute")
    for value in ODD_ACCOUNTS:
        headers = [JSON, (b"x-account", value)]
        assert (await call(mw, chat_body(), headers)).status == 200, value
        assert (await call(mw, chat_body(), headers)).status == 429, value
    assert len(app.bodies) == len(ODD_ACCOUNTS)
    await mw.intel.drain(clock())  # records streamed, analysed: every key there is
    if store_uri.startswith("redis"):
        keys = await mw.store.client.keys("*")
        safe = re.compile(
            rb"ae:\{((a|ie):[0-9a-f]{32}|i:[0-9a-f]{24}|(b|ic):[tlnc]:[0-9a-z.:/_]+)\}(:[ay]:\d+)?"
            rb"|ae:\{x:\d+\}:(records|lease)|ae:\{verdicts\}(:v|:beat)?"
            rb"|ae:\{su\}:[ay]:\d+"  # the surge prior's hourly sketches: an hour number only
        )
        assert all(safe.fullmatch(k) for k in keys), keys
        assert len([k for k in keys if k.startswith(b"ae:{a:")]) == len(ODD_ACCOUNTS)
    await close(mw)


# --- 8. Property: any body, any headers -> exact body or the middleware's own answer -------

header_names = st.sampled_from(
    [b"authorization", b"x-api-key", b"content-type", b"content-length", b"x-forwarded-for",
     b"x-account", b"x-created", b"x-tier", b"antiextract-solution", b"user-agent"]
)  # fmt: skip
header_values = st.one_of(
    st.binary(max_size=64),
    st.sampled_from([b"Bearer sk-1", b"Bearer sk-2", b"application/json", b"-1", b"nan",
                     b"inf", b"1e999", b"2024-02-30T25:61:00Z", b"0", b"verified"]),
)  # fmt: skip
json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=20,
)
chat_docs = st.fixed_dictionaries(
    {"model": st.text(max_size=8),
     "messages": st.lists(st.fixed_dictionaries({"role": st.sampled_from(["user", "system",
                          "assistant", "developer", "x"]), "content": json_values}), max_size=4)},
    optional={"max_tokens": json_values, "n": json_values, "stream": json_values,
              "logprobs": json_values, "top_logprobs": json_values, "stream_options": json_values},
)  # fmt: skip
bodies = st.one_of(
    st.binary(max_size=3000),
    json_values.map(lambda v: json.dumps(v).encode()),
    chat_docs.map(lambda v: json.dumps(v, ensure_ascii=False).encode("utf-8", "surrogatepass")),
)
PROPERTY_MW: dict[str, AntiExtractMiddleware] = {}


@hsettings(
    max_examples=250, deadline=None, suppress_health_check=[HealthCheck.too_slow], database=None
)
@given(
    body=bodies,
    headers=st.lists(st.tuples(header_names, header_values), max_size=6),
    chunk=st.integers(min_value=1, max_value=4096),
    path=st.sampled_from(["/v1/chat/completions", "/v1/completions", "/v1/responses",
                          "/v1/messages"]),
    content_type=st.sampled_from([b"application/json", b"text/event-stream", b"text/plain"]),
)  # fmt: skip
def test_property_body_exact_and_response_well_formed(
    body: bytes, headers: list, chunk: int, path: str, content_type: bytes
) -> None:
    mw = PROPERTY_MW.get("mw")
    if mw is None:  # shared across examples, so limits and profiles build up as they go
        mw = PROPERTY_MW["mw"] = middleware(
            App(),
            SimClock(),
            account_header="X-Account",
            account_created_header="X-Created",
            account_tier_header="X-Tier",
            account_limits="40/minute",
            inspect_max_bytes=1024,
            bucket_capacity=50_000,
        )
    app = App(chunks=[USAGE[:20], USAGE[20:]], content_type=content_type)
    mw.app = app
    ex = Exchange(body, chunk=chunk)

    async def run() -> None:
        await asyncio.wait_for(mw(http_scope(path, headers=headers), ex.receive, ex.send), 10)

    asyncio.run(run())
    well_formed(ex)
    if app.calls:
        assert app.bodies == [body]  # degrade is off: never rewritten
        assert ex.status == 200 and ex.body == USAGE
    else:  # refused: rate limited, or two different API keys (conflicting_credentials)
        assert ex.status in (400, 429) and ex.headers["content-type"] == "application/json"
        error = ex.json()["error"]
        kind = error.get("code") or error.get("type")  # OpenAI's code, Anthropic's type
        if ex.status == 400:
            assert kind in ("conflicting_credentials", "invalid_request_error")
        else:
            assert kind in ("rate_limit_exceeded", "rate_limit_error")


# --- 9. No secret ever reaches Redis or the audit log -------------------------------------


async def test_secrets_never_stored_nor_logged(
    redis_srv: RedisProcess, clock: SimClock, caplog: pytest.LogCaptureFixture
) -> None:
    admin = redis_srv.client()
    admin.config_set("slowlog-log-slower-than", 0)  # keep every command's arguments
    admin.config_set("slowlog-max-len", 100_000)
    log = io.StringIO()
    app = App()
    mw = middleware(
        app, clock, redis_srv.url, log, audit_sample_rate=1.0, account_limits="3/minute",
        degrade_at=0.5, challenge_enabled=False, secret="deployment-secret",
    )  # fmt: skip
    prompt = "CONFIDENTIAL-PROMPT: summarise the merger terms"
    with caplog.at_level(logging.DEBUG):
        for i in range(12):
            key = f"sk-live-SECRET{i % 3}abcdef0123456789"
            body = chat_body(f"{prompt} #{i}", max_tokens=100, logprobs=True, top_logprobs=5)
            headers = [JSON, (b"authorization", f"Bearer {key}".encode())]
            if i % 2:
                headers = [JSON, (b"x-api-key", key.encode())]
                doc = {"model": "c", "max_tokens": 50, "system": prompt}
                doc["messages"] = [{"role": "user", "content": prompt}]
                body = orjson.dumps(doc)
            await call(mw, body, headers, path="/v1/messages" if i % 2 else "/v1/chat/completions")
            clock.advance(1)
        await mw.store.flush()
    stored = redis_srv.dump_everything()
    assert any(k.startswith(b"ae:{a:") for k, _ in stored)
    slowlog = admin.execute_command("SLOWLOG", "GET", 100_000)
    assert len(slowlog) > 12
    haystack = repr(stored).encode() + repr(slowlog).encode() + b"".join(v for _, v in stored)
    text = log.getvalue() + caplog.text
    assert len(events(log, "antiextract.decision")) == 12
    for needle in ("SECRET", "CONFIDENTIAL-PROMPT", "sk-live", "merger", "deployment-secret"):
        assert needle.encode() not in haystack, needle
        assert needle not in text, needle
    await close(mw)


# --- 10. Memory bound of the embedded store -----------------------------------------------


def _rss() -> int:
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmRSS:"):
                return int(line.split()[1]) * 1024
    raise AssertionError("no VmRSS")


async def test_memory_store_stays_bounded_under_many_accounts() -> None:
    limits = Limits(
        capacity=1000.0,
        refill=10.0,
        account=(WindowLimit("account", 100, 60),),
        ip=(WindowLimit("ip", 1000, 60),),
    )
    cap = 50_000
    store = MemoryStore(limits, max_keys=cap)
    now = 1_800_000_000.0
    gc.collect()
    rss0 = _rss()
    for i in range(cap):
        await store.evaluate(f"acct-{i:06d}", f"10.{i >> 16}.{(i >> 8) & 255}.{i & 255}", 5, now)
    gc.collect()
    rss_full = _rss()
    for i in range(cap, 200_000):
        await store.evaluate(f"acct-{i:06d}", f"10.{i >> 16}.{(i >> 8) & 255}.{i & 255}", 5, now)
    gc.collect()
    rss_end = _rss()
    assert len(store) <= cap
    assert await store.account_state("acct-199999", now) is not None
    assert await store.account_state("acct-000000", now) is None  # the oldest went first
    # Past the cap, memory stops growing: 150,000 more accounts cost (almost) nothing.
    assert rss_end - rss_full < 16 * 2**20, (rss0, rss_full, rss_end)

    # Bytes per entry, measured by tracemalloc on a fresh store filled to its cap.
    del store
    gc.collect()
    small = MemoryStore(limits, max_keys=20_000)
    tracemalloc.start()
    try:
        base = tracemalloc.get_traced_memory()[0]
        for i in range(25_000):
            await small.evaluate(f"acct-{i:06d}", "10.0.0.1", 5, now)
        per_entry = (tracemalloc.get_traced_memory()[0] - base) / len(small)
    finally:
        tracemalloc.stop()
    print(
        f"\nmemory store: rss +{(rss_full - rss0) / 2**20:.1f} MiB for {cap} accounts, "
        f"+{(rss_end - rss_full) / 2**20:.1f} MiB for 150,000 more; "
        f"tracemalloc {per_entry:.0f} B/entry"
    )
    assert len(small) == 20_000
    assert per_entry < 4096
    assert rss_full - rss0 < cap * 4096


# --- 7. The intelligence plane absent or behind ---------------------------------------------


async def test_an_absent_analyser_leaves_the_last_verdicts_until_they_expire(
    store_uri: str, clock: SimClock
) -> None:
    """A campaign is flagged while the analyser runs; then it stops (nothing drains the
    plane: records pile up in its bounded buffer). Requests keep being decided on their
    accounts' own state, members keep carrying the last verdict and its shared bucket for
    VERDICT_TTL, and after that no verdict at all: never a stale one for ever, never a
    refusal for want of the analyser."""
    log = io.StringIO()
    mw = middleware(
        App(), clock, store_uri, log,
        account_limits="2/minute", account_created_header="x-created",
        campaign_model='{"min_young": 3}', verdict_ttl=600, audit_sample_rate=1.0,
        bucket_capacity=1_000_000,
    )  # fmt: skip
    body = chat_body(
        "Think step by step and show your full reasoning. Implement a python function and "
        "refactor the class. Task: sort a list.",
        max_tokens=500,
    )

    async def member(n: int) -> dict:
        headers = [JSON, (b"authorization", f"Bearer sk-m{n}".encode()),
                   (b"x-created", str(int(clock())).encode())]  # fmt: skip
        assert (await call(mw, body, headers, client=(f"10.7.{n}.1", 1))).status == 200
        return events(log, "antiextract.decision")[-1]

    for n in range(4):  # the analyser running: flagged once three are seen
        await member(n)
        await mw.intel.drain(clock())
        clock.advance(1)
    flagged = clock()
    assert (await member(4))["campaign"] is not None
    # the analyser stops: 590 s on, the last verdict still holds for every member
    clock.advance(590)
    for n in range(5, 9):
        assert (await member(n))["campaign"] is not None
    # and an account's own limits still decide (2 a minute): no analyser needed for that
    solo = [JSON, (b"authorization", b"Bearer sk-solo")]
    statuses = [(await call(mw, chat_body(), solo)).status for _ in range(3)]
    assert statuses == [200, 200, 429]
    # past VERDICT_TTL from the last record the analyser saw, the verdict is gone
    clock.advance(flagged + 600 - clock() + 1)
    assert (await member(9))["campaign"] is None
    assert mw.intel.stats.dropped == 0  # the records waited (bounded), none lost yet
    await mw.intel.stop()
    await close(mw)
