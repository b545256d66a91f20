"""The middleware through real ASGI apps, on both stores and simulated time."""

from __future__ import annotations

import asyncio
import io
import json

import orjson
import pytest

from antiextract import AntiExtractMiddleware, Settings
from antiextract.audit import make_logger
from antiextract.request.middleware import limits_from
from antiextract.store import MemoryStore
from antiextract.store.redis import RedisStore

from .asgi import Exchange, bearer, chat_body, http_scope
from .conftest import CountingConnection, SimClock, redis_client

USAGE_JSON = b'{"id":"x","choices":[{"message":{"content":"hi"}}],"usage":{"prompt_tokens":10,"completion_tokens":5,"total_tokens":15}}'  # noqa: E501


class RecordingApp:
    """An app that records what it was given and answers with fixed bytes."""

    def __init__(
        self,
        chunks: list[bytes] | None = None,
        status: int = 200,
        content_type: bytes = b"application/json",
    ) -> None:
        self.chunks = chunks if chunks is not None else [USAGE_JSON]
        self.status = status
        self.content_type = content_type
        self.calls = 0
        self.bodies: list[bytes] = []
        self.receive = self.send = None

    async def __call__(self, scope, receive, send) -> None:
        self.calls += 1
        self.receive, self.send = receive, send
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        self.bodies.append(body)
        await send(
            {
                "type": "http.response.start",
                "status": self.status,
                "headers": [(b"content-type", self.content_type)],
            }
        )
        for i, chunk in enumerate(self.chunks):
            await send(
                {"type": "http.response.body", "body": chunk, "more_body": i < len(self.chunks) - 1}
            )


def settings(**kw) -> Settings:
    base = {
        "bucket_capacity": 10_000,
        "bucket_refill_per_second": 10.0,
        "default_output_tokens": 1_024,  # a small bucket: no-budget requests reserve 1,024
        "account_limits": "",
        "ip_limits": "",
    }
    base.update(kw)
    return Settings(**base)


async def make_mw(make_store, app, clock, log=None, **kw) -> AntiExtractMiddleware:
    s = settings(**kw)
    store = await make_store(limits_from(s))
    logger = make_logger(stream=log) if log is not None else make_logger(stream=io.StringIO())
    # the intelligence plane driven (never in the background): tests on simulated time
    return AntiExtractMiddleware(app, s, clock, store=store, logger=logger, drive_intel=True)


async def call(mw, body=b"", path="/v1/chat/completions", headers=None, **kw) -> Exchange:
    ex = Exchange(body, chunk=kw.pop("chunk", None))
    await mw(
        http_scope(path, headers=headers if headers is not None else bearer(), **kw),
        ex.receive,
        ex.send,
    )
    return ex


def events(log: io.StringIO, kind: str | None = "antiextract.decision") -> list[dict]:
    lines = [json.loads(line) for line in log.getvalue().splitlines() if line.strip()]
    return [e for e in lines if kind is None or e["event"] == kind]


# --- pass-through -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "scope",
    [
        http_scope("/v1/models", method="POST"),
        http_scope("/v1/chat/completions", method="GET"),
        {"type": "websocket", "path": "/v1/chat/completions", "headers": []},
    ],
)
async def test_unprotected_traffic_reaches_app_untouched(make_store, clock, scope) -> None:
    app = RecordingApp()
    mw = await make_mw(make_store, app, clock)
    ex = Exchange(b"{}")
    await mw(scope, ex.receive, ex.send)
    assert app.calls == 1
    assert app.receive == ex.receive and app.send == ex.send  # the very same callables


async def test_allowed_response_is_byte_identical_and_not_buffered(make_store, clock) -> None:
    chunks = [f'data: {{"i": {i}}}\n\n'.encode() for i in range(50)] + [b"data: [DONE]\n\n"]
    seen_before_next: list[int] = []

    class StreamingApp(RecordingApp):
        async def __call__(self, scope, receive, send):
            await receive()
            await send(
                {
                    "type": "http.response.start",
                    "status": 200,
                    "headers": [(b"content-type", b"text/event-stream"), (b"x-a", b"1")],
                }
            )
            for i, chunk in enumerate(chunks):
                await send(
                    {"type": "http.response.body", "body": chunk, "more_body": i < len(chunks) - 1}
                )
                seen_before_next.append(len(ex.sent))  # the chunk is out before the next

    ex = Exchange(chat_body(stream=True))
    mw = await make_mw(make_store, StreamingApp(), clock)
    await mw(http_scope(headers=bearer()), ex.receive, ex.send)
    assert ex.body == b"".join(chunks)
    assert seen_before_next == list(range(2, len(chunks) + 2))
    assert ex.sent[0]["headers"] == [(b"content-type", b"text/event-stream"), (b"x-a", b"1")]
    assert [m.get("body") for m in ex.sent[1:]] == chunks


async def test_request_body_reaches_app_intact_in_chunks_and_over_the_cap(
    make_store, clock
) -> None:
    app = RecordingApp()
    mw = await make_mw(make_store, app, clock, inspect_max_bytes=1024, bucket_capacity=100_000)
    small = chat_body("x" * 300)
    big = chat_body("y" * 50_000)
    # past the cap a request is reserved a full bucket (its n and budget are unread), so
    # it goes first, while the bucket is full
    await call(mw, big, chunk=4096, headers=[*bearer(), (b"content-length", b"%d" % len(big))])
    await mw.store.flush()  # its settlement gives back all but its usage
    await call(mw, small, chunk=7)
    assert app.bodies == [big, small]


@pytest.mark.parametrize(
    "body",
    [
        b"{not json",
        b"[1,2,3]",
        b"\xff\xfe\x00garbage",
        b"",
        b'{"messages": "nope", "max_tokens": "9"}',
        b'{"model": 5, "n": "two", "stream": "yes"}',
        b"[" * 10_000 + b"]" * 10_000,
    ],
)
async def test_odd_bodies_pass_through_to_the_app(make_store, clock, body) -> None:
    app = RecordingApp()
    mw = await make_mw(make_store, app, clock)
    ex = await call(mw, body)
    assert ex.status == 200 and app.bodies == [body]


# --- throttling ---------------------------------------------------------------------------


async def test_openai_429_shape(make_store, clock) -> None:
    app = RecordingApp(chunks=[b"{}"])
    mw = await make_mw(make_store, app, clock, bucket_capacity=1000, bucket_refill_per_second=100)
    body = chat_body(max_tokens=900)
    cost = 900 + -(-len(body) // 4)
    assert (await call(mw, body)).status == 200
    ex = await call(mw, body)
    assert ex.status == 429 and app.calls == 1
    h = ex.headers
    assert h["content-type"] == "application/json"
    assert int(h["content-length"]) == len(ex.body)
    retry = int(h["retry-after"])
    assert retry >= 1 and abs(int(h["retry-after-ms"]) / 1000 - retry) < 1
    assert h["ratelimit-policy"] == '"tokens";q=1000;w=10'
    assert h["ratelimit"] == f'"tokens";r={1000 - cost};t={retry}'
    assert h["x-should-retry"] == "true"
    err = ex.json()["error"]
    assert err["type"] == "rate_limit_error" and err["code"] == "rate_limit_exceeded"
    assert "Retry after" in err["message"]


async def test_anthropic_429_shape(make_store, clock) -> None:
    app = RecordingApp()
    mw = await make_mw(make_store, app, clock, account_limits="1/minute")
    body = orjson.dumps(
        {"model": "c", "max_tokens": 10, "messages": [{"role": "user", "content": "hi"}]}
    )
    headers = [(b"content-type", b"application/json"), (b"x-api-key", b"sk-ant-1")]
    assert (await call(mw, body, "/v1/messages", headers)).status == 200
    ex = await call(mw, body, "/v1/messages", headers)
    assert ex.status == 429
    doc = ex.json()
    assert doc["type"] == "error" and doc["error"]["type"] == "rate_limit_error"
    assert ex.headers["ratelimit"].startswith('"account-1-per-60s";r=0')


async def test_retry_after_is_exact_on_simulated_time(make_store, clock) -> None:
    mw = await make_mw(make_store, RecordingApp(chunks=[b"{}"]), clock, bucket_capacity=1000)
    body = chat_body(max_tokens=700)  # cost 700 + prompt estimate
    assert (await call(mw, body)).status == 200
    ex = await call(mw, body)
    assert ex.status == 429
    wait = int(ex.headers["retry-after-ms"]) / 1000
    clock.advance(wait - 0.05)
    assert (await call(mw, body)).status == 429
    clock.advance(0.06)
    assert (await call(mw, body)).status == 200


async def test_long_waits_tell_sdks_not_to_retry(make_store, clock) -> None:
    mw = await make_mw(
        make_store,
        RecordingApp(chunks=[b"{}"]),
        clock,
        bucket_capacity=1000,
        bucket_refill_per_second=1.0,
    )
    await call(mw, chat_body(max_tokens=900))
    ex = await call(mw, chat_body(max_tokens=900))
    assert ex.status == 429 and int(ex.headers["retry-after"]) > 60
    assert ex.headers["x-should-retry"] == "false"


async def test_ip_limit_applies_across_keys(make_store, clock) -> None:
    mw = await make_mw(make_store, RecordingApp(), clock, ip_limits="3/minute")
    statuses = [(await call(mw, chat_body(), headers=bearer(f"k{n}"))).status for n in range(4)]
    assert statuses == [200, 200, 200, 429]
    other = await call(mw, chat_body(), headers=bearer("k9"), client=("198.51.100.1", 1))
    assert other.status == 200


async def test_spoofed_forwarded_for_does_not_escape_ip_limit(make_store, clock) -> None:
    mw = await make_mw(make_store, RecordingApp(), clock, ip_limits="2/minute")
    statuses = []
    for n in range(4):
        headers = [(b"x-forwarded-for", f"1.2.3.{n}".encode())]
        statuses.append((await call(mw, chat_body(), headers=headers)).status)
    assert statuses == [200, 200, 429, 429]


# --- settlement ---------------------------------------------------------------------------


async def test_settlement_charges_actual_json_usage(make_store, clock) -> None:
    mw = await make_mw(make_store, RecordingApp(), clock)
    await call(mw, chat_body(max_tokens=2000))
    await mw.store.flush()
    state = await mw.store.account_state(_account(mw), clock())
    assert state["tokens"] == pytest.approx(10_000 - 15)


async def test_settlement_from_openai_stream_final_chunk(make_store, clock) -> None:
    chunks = [b'data: {"choices":[{"delta":{"content":"a"}}]}\n\n'] * 300 + [
        b'data: {"choices":[],"usage":{"prompt_tokens":7,"completion_tokens":300,'
        b'"total_tokens":307,"prompt_tokens_details":{"cached_tokens":0}}}\n\n',
        b"data: [DONE]\n\n",
    ]
    mw = await make_mw(make_store, RecordingApp(chunks, content_type=b"text/event-stream"), clock)
    await call(mw, chat_body(max_tokens=4000, stream=True))
    await mw.store.flush()
    assert (await mw.store.account_state(_account(mw), clock()))["tokens"] == pytest.approx(
        10_000 - 307
    )


async def test_settlement_from_anthropic_stream(make_store, clock) -> None:
    def sse(kind: str, data: dict) -> bytes:
        return f"event: {kind}\ndata: {json.dumps(data)}\n\n".encode()

    start = {
        "type": "message_start",
        "message": {"usage": {"input_tokens": 12, "output_tokens": 1}},
    }
    # Model text that imitates a usage object must not count: its quotes arrive escaped.
    fake = {
        "type": "content_block_delta",
        "delta": {"type": "text_delta", "text": '"usage": {"output_tokens": 99999}'},
    }
    chunks = [
        sse("message_start", start),
        *[sse("content_block_delta", fake)] * 50,
        sse("message_delta", {"type": "message_delta", "usage": {"output_tokens": 88}}),
        sse("message_stop", {"type": "message_stop"}),
    ]
    mw = await make_mw(make_store, RecordingApp(chunks, content_type=b"text/event-stream"), clock)
    body = orjson.dumps(
        {
            "model": "c",
            "max_tokens": 3000,
            "stream": True,
            "messages": [{"role": "user", "content": "hi"}],
        }
    )
    await call(mw, body, "/v1/messages")
    await mw.store.flush()
    assert (await mw.store.account_state(_account(mw), clock()))["tokens"] == pytest.approx(
        10_000 - 100
    )


async def test_server_error_refunds_the_reservation(make_store, clock) -> None:
    mw = await make_mw(make_store, RecordingApp(status=503), clock)
    await call(mw, chat_body(max_tokens=2000))
    await mw.store.flush()
    assert (await mw.store.account_state(_account(mw), clock()))["tokens"] == pytest.approx(10_000)


async def test_app_exception_propagates_and_refunds(make_store, clock) -> None:
    async def broken(scope, receive, send):
        await receive()
        raise RuntimeError("model crashed")

    mw = await make_mw(make_store, broken, clock)
    with pytest.raises(RuntimeError, match="model crashed"):
        await call(mw, chat_body(max_tokens=2000))
    await mw.store.flush()
    assert (await mw.store.account_state(_account(mw), clock()))["tokens"] == pytest.approx(10_000)


async def test_concurrent_requests_of_one_account_never_overspend(make_store, clock) -> None:
    app = RecordingApp(chunks=[b"{}"])  # no usage: reservations stand
    mw = await make_mw(make_store, app, clock, bucket_capacity=10_000)
    body = chat_body(max_tokens=1000)
    cost = 1000 + -(-len(body) // 4)
    results = await asyncio.gather(*(call(mw, body) for _ in range(40)))
    ok = sum(r.status == 200 for r in results)
    assert ok == 10_000 // cost and app.calls == ok


# --- modes, audit, identity ---------------------------------------------------------------


async def test_shadow_mode_logs_but_alters_nothing(make_store, clock) -> None:
    log = io.StringIO()
    app = RecordingApp()
    mw = await make_mw(make_store, app, clock, log=log, mode="shadow", account_limits="2/minute")
    results = [await call(mw, chat_body()) for _ in range(4)]
    assert [r.status for r in results] == [200] * 4 and app.calls == 4
    assert all(r.body == USAGE_JSON for r in results)
    throttles = [e for e in events(log) if e["action"] == "throttle"]
    assert len(throttles) == 2 and all(e["enforced"] is False for e in throttles)


async def test_audit_event_has_stable_keys_and_no_secrets(make_store, clock) -> None:
    log = io.StringIO()
    mw = await make_mw(make_store, RecordingApp(), clock, log=log, account_limits="1/minute")
    secret_prompt = "my confidential prompt text"
    for _ in range(2):
        await call(mw, chat_body(secret_prompt), headers=bearer("sk-live-SECRETKEY"))
    (event,) = events(log)
    assert {
        "event",
        "timestamp",
        "account",
        "ip",
        "api",
        "action",
        "reasons",
        "retry_after",
        "cost",
        "tokens",
        "capacity",
        "status",
        "elapsed_us",
    } <= event.keys()
    assert event["event"] == "antiextract.decision"
    assert event["action"] == "throttle"
    assert event["reasons"][0] == "request_limit:account-1-per-60s"
    assert "single_turn" in event["signals"] and event["risk"] > 0
    assert event["account"].startswith("key:") and event["status"] == 429
    text = log.getvalue()
    assert "SECRETKEY" not in text and "confidential" not in text


async def test_allowed_requests_are_sampled_into_the_audit_log(make_store, clock) -> None:
    log = io.StringIO()
    mw = await make_mw(make_store, RecordingApp(), clock, log=log, audit_sample_rate=1.0)
    await call(mw, chat_body(max_tokens=100))
    (event,) = events(log)
    assert event["action"] == "allow" and event["settled"] == 15 - event["cost"]


async def test_account_header_from_auth_layer(make_store, clock) -> None:
    mw = await make_mw(
        make_store, RecordingApp(), clock, account_header="X-Org", account_limits="1/minute"
    )
    h1 = [(b"x-org", b"org-1"), (b"authorization", b"Bearer a")]
    h2 = [(b"x-org", b"org-1"), (b"authorization", b"Bearer b")]  # same org, other key
    assert (await call(mw, chat_body(), headers=h1)).status == 200
    assert (await call(mw, chat_body(), headers=h2)).status == 429


async def test_redis_store_makes_exactly_one_round_trip_per_request(clock) -> None:
    """Counted on the wire: command batches the connection writes before the app runs."""
    s = settings(account_limits="100/minute", ip_limits="100/minute")
    store = RedisStore(limits_from(s), await redis_client(counting=True), prefix="aetest")
    seen: list[int] = []

    class CountingApp(RecordingApp):
        async def __call__(self, scope, receive, send):
            seen.append(CountingConnection.sent)  # sends so far when the app starts
            await super().__call__(scope, receive, send)

    # (the intelligence plane's flushes are background writes of their own: it is driven
    # here, so that only the hot path writes)
    mw = AntiExtractMiddleware(
        CountingApp(chunks=[b"{}"]), s, clock, store=store,
        logger=make_logger(stream=io.StringIO()), drive_intel=True,
    )  # fmt: skip
    await store.client.script_flush()
    await call(mw, chat_body())  # the first call also loads the scripts (NOSCRIPT, then load)
    CountingConnection.sent = 0
    seen.clear()
    for n in range(20):
        await call(mw, chat_body(), headers=bearer(f"k{n % 3}"))
    assert seen == list(range(1, 21))  # one write per request on the hot path
    assert CountingConnection.sent == 20  # no usage in the answers: nothing to settle
    await store.close()


async def test_one_round_trip_holds_when_a_request_belongs_to_a_campaign(clock) -> None:
    """A request whose cohorts the verdict cache flags charges its campaigns' shared
    buckets in the same script call as its account (combined.lua): still one write."""
    from antiextract.intel.verdicts import Verdict

    s = settings(account_limits="100/minute", ip_limits="100/minute")
    store = RedisStore(limits_from(s), await redis_client(counting=True), prefix="aetest")
    seen: list[int] = []

    class CountingApp(RecordingApp):
        async def __call__(self, scope, receive, send):
            seen.append(CountingConnection.sent)
            await super().__call__(scope, receive, send)

    mw = AntiExtractMiddleware(
        CountingApp(chunks=[b"{}"]), s, clock, store=store,
        logger=make_logger(stream=io.StringIO()), drive_intel=True,
    )  # fmt: skip
    records = []
    emit = mw.intel.emit
    mw.intel.emit = lambda r: (records.append(r), emit(r))  # type: ignore[method-assign]
    await store.client.script_flush()
    await call(mw, chat_body())  # loads the scripts; its record names the request's cohorts
    keys = [k for k in records[-1].cohorts if k[0] in "tl"]
    assert keys  # a template and its bands
    mw.intel.cache.replace(
        [Verdict(k, "c", 2.0, 40, 30, 0.9, clock(), clock() + 3600) for k in keys], 1
    )
    await call(mw, chat_body())  # combined.lua is loaded on its first use
    CountingConnection.sent = 0
    seen.clear()
    for n in range(20):
        await call(mw, chat_body(), headers=bearer(f"k{n % 3}"))
    assert seen == list(range(1, 21))  # one write per request on the hot path
    assert CountingConnection.sent == 20
    for key in keys:  # ... and it charged every campaign's bucket
        assert await store.campaign_bucket(key, clock()) is not None
    await store.close()


async def test_the_intelligence_plane_starts_with_the_lifespan_or_the_first_request(
    clock,
) -> None:
    """With a lifespan the plane's background tasks start at start-up and stop at
    shutdown (what was buffered analysed); a server that runs none starts them with the
    first protected request, never with an unprotected one."""
    app = RecordingApp(chunks=[b"{}"])
    s = settings()
    log = make_logger(stream=io.StringIO())
    mw = AntiExtractMiddleware(app, s, clock, store=MemoryStore(limits_from(s)), logger=log)
    assert mw.intel._task is None  # (MemoryIntel's one background task)
    messages = [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}]
    sent: list[dict] = []

    async def lifespan_app(scope, receive, send):
        await receive()
        assert mw.intel._task is not None and not mw.intel._task.done()  # started
        await call(mw, chat_body())  # a record buffered while it runs
        await receive()

    async def receive():
        return messages.pop(0)

    async def send(message):
        sent.append(message)

    mw.app = lifespan_app
    await mw({"type": "lifespan"}, receive, send)
    assert mw.intel._task is None  # stopped at shutdown ...
    assert len(mw.intel.buffer) == 0 and mw.intel.stats.analyzed > 0  # ... analysing first
    mw.app = app

    lazy = AntiExtractMiddleware(app, s, clock, store=MemoryStore(limits_from(s)), logger=log)
    await call(lazy, b"{}", path="/health")  # not protected: nothing starts
    assert lazy.intel._task is None
    await call(lazy, chat_body())
    assert lazy.intel._task is not None and not lazy.intel._task.done()
    await lazy.intel.stop()


def _account(mw: AntiExtractMiddleware, key: str = "sk-test-1") -> str:
    from antiextract.request.identity import digest

    return digest("key:" + digest(key.encode(), mw.hash_key), mw.hash_key)


# --- defaults -----------------------------------------------------------------------------


async def test_defaults_throttle_a_flood_within_seconds_and_spare_a_human(make_store) -> None:
    clock = SimClock()
    s = Settings()
    store = await make_store(limits_from(s))
    app = RecordingApp(chunks=[b"{}"])
    mw = AntiExtractMiddleware(app, s, clock, store=store, logger=make_logger(stream=io.StringIO()))
    flood = chat_body("w " * 16_000, max_tokens=4096)  # 32 KB prompt, large output
    first_429 = None
    for i in range(200):  # 20 requests a second
        if (await call(mw, flood, headers=bearer("flooder"))).status == 429:
            first_429 = i / 20
            break
        clock.advance(0.05)
    assert first_429 is not None and first_429 < 5.0

    human = chat_body("please review this function " * 300, max_tokens=1024)  # ~8 KB
    for _ in range(8 * 60 * 3):  # a message every 20 s for eight hours
        assert (await call(mw, human, headers=bearer("human"))).status == 200
        clock.advance(20)


async def test_unreachable_redis_falls_back_to_local_limits(clock) -> None:
    """Fail open, but bounded: a dead store never takes the API down nor lifts the limits."""
    log = io.StringIO()
    s = settings(storage_uri="redis://127.0.0.1:1/0", account_limits="2/minute", store_timeout=0.2)
    app = RecordingApp()
    mw = AntiExtractMiddleware(app, s, clock, logger=make_logger(stream=log))
    mw.breaker.clock = clock  # the back-off runs on simulated time: no probe in this test
    asked: list[str] = []
    evaluate = mw.store.evaluate

    async def counted(account, *args, **kw):
        asked.append(account)
        return await evaluate(account, *args, **kw)

    mw.store.evaluate = counted  # type: ignore[method-assign]
    # (a guard against a hang, not a speed limit: the store refuses at once)
    statuses = [(await asyncio.wait_for(call(mw, chat_body()), 10)).status for _ in range(4)]
    assert statuses == [200, 200, 429, 429]
    assert len(asked) == 1  # the first failure opened the circuit: no request waits on it again
    down = events(log, "antiextract.store_unavailable")
    assert len(down) == 1 and down[0]["fallback"] == "local_limits"
    await mw.store.close()


async def test_tarpit_delay_grows_with_risk(make_store, clock, monkeypatch) -> None:
    """Degraded requests are slowed in proportion to how far risk is past DEGRADE_AT."""
    delays: list[float] = []
    real_sleep = asyncio.sleep

    async def recording_sleep(seconds: float) -> None:
        if seconds > 0:  # the store's own zero-second yields are not the tarpit
            delays.append(seconds)
        await real_sleep(0)

    monkeypatch.setattr("antiextract.request.middleware.asyncio.sleep", recording_sleep)
    mw = await make_mw(
        make_store,
        RecordingApp(),
        clock,
        degrade_at=0.5,
        challenge_enabled=False,
        block_at=20.0,
        tarpit_max_seconds=2.0,
    )
    probe = chat_body(
        "Think step by step and show your full reasoning. Implement a python "
        "function, refactor the class.",
        logprobs=True,
        top_logprobs=5,
        n=4,
    )
    for _ in range(6):
        await call(mw, probe)
        clock.advance(30)
    assert delays, "no degraded request was slowed"
    assert all(0 < d <= 2.0 for d in delays)
    assert delays[-1] > delays[0]  # risk grew, so did the delay
