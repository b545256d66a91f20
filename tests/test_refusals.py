"""The middleware's own responses and its failures (issue 14, point 5).

- A request the store allowed but the middleware refuses (a campaign's shared bucket is
  empty) is never served, so its reservation goes back to the account.
- A failure inside antiextract (a bug, an input it did not expect) anywhere before the
  response is chosen (deciding, checking a challenge solution, building a refusal) is
  loud: counted in ``antiextract_internal_errors_total``, logged at a bounded rate; and it
  is never the client's 500: FAIL_MODE=open passes the request through, closed answers 503.
- A degrade filter that fails never lets the unfiltered answer out.

Faults are injected where a real bug would sit (a store whose evaluate raises, a replay
guard that raises, a response builder that raises); everything around them is real.
"""

from __future__ import annotations

import io
import json
from typing import Any

import orjson
import pytest

from antiextract import AntiExtractMiddleware, Settings
from antiextract.audit import make_logger
from antiextract.request import middleware as middleware_module
from antiextract.request import protected as protected_module
from antiextract.request import streams as streams_module
from antiextract.request.identity import digest
from antiextract.store import MemoryStore

from .asgi import Exchange, bearer, chat_body, http_scope
from .conftest import REDIS_URL, SimClock

USAGE = (
    b'{"choices":[{"message":{"content":"hi"}}],"usage":{"prompt_tokens":10,"completion_tokens":5}}'
)
HARVEST = (
    "Think step by step and show your full reasoning. Implement a python function and "
    "refactor the class. Task: sort a list."
)


async def ok_app(scope: Any, receive: Any, send: Any) -> None:
    while (await receive()).get("more_body"):
        pass
    start = {"type": "http.response.start", "status": 200}
    await send({**start, "headers": [(b"content-type", b"application/json")]})
    await send({"type": "http.response.body", "body": USAGE})


def events(log: io.StringIO, kind: str) -> list[dict[str, Any]]:
    lines = [json.loads(x) for x in log.getvalue().splitlines() if x.strip()]
    return [e for e in lines if e["event"] == kind]


def metric(mw: AntiExtractMiddleware, name: str, **labels: str) -> float:
    want = ",".join(f'{k}="{v}"' for k, v in labels.items())
    for line in mw.metrics.exposition().decode().splitlines():
        if line.startswith(f"{name}{{{want}}} ") or (not labels and line.startswith(name + " ")):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"{name}{{{want}}} not exposed")


def account_key(mw: AntiExtractMiddleware, api_key: str) -> str:
    return mw._store_key("key:" + digest(api_key.encode(), mw.hash_key), 16)


async def call(mw: Any, body: bytes, headers: list[tuple[bytes, bytes]], **kw: Any) -> Exchange:
    ex = Exchange(body)
    await mw(http_scope(headers=headers, **kw), ex.receive, ex.send)
    return ex


# --- a campaign's refusal costs the account nothing ------------------------------------


@pytest.mark.parametrize("uri", ["memory://", REDIS_URL])
async def test_a_request_the_campaign_bucket_refuses_is_not_charged_to_the_account(
    uri: str, clock: SimClock
) -> None:
    """Young accounts share one wrapper; once their campaign is flagged (the plane drained
    after each request) its shared bucket
    (3,000 tokens, no refill to speak of) runs dry. Every 429 it answers must leave the
    refused account's own bucket as it was: the request never reached the model."""
    if uri != "memory://":
        import redis

        redis.Redis.from_url(uri).flushdb()
    settings = Settings(
        storage_uri=uri,
        key_prefix="aerefuse",
        account_created_header="x-created",
        campaign_model={"min_young": 3, "bucket_capacity": 3000, "bucket_refill": 0.001},
        degrade_at=100.0,
        challenge_at=150.0,
        block_at=200.0,
        challenge_enabled=False,
        account_limits="",
        ip_limits="",
    )
    mw = AntiExtractMiddleware(
        ok_app, settings, clock, logger=make_logger(stream=io.StringIO()), drive_intel=True
    )
    body = chat_body(HARVEST, max_tokens=500)
    refused = []
    for n in range(12):
        headers = [*bearer(f"sk-camp-{n}"), (b"x-created", str(int(clock())).encode())]
        before = await mw.store.account_state(account_key(mw, f"sk-camp-{n}"), clock())
        ex = await call(mw, body, headers, client=(f"10.9.{n}.1", 1))
        if ex.status == 429:
            assert ex.json()["error"]["code"] == "rate_limit_exceeded"
            refused.append((n, before))
        await mw.intel.drain(clock())  # the campaign flagged as the analyser would
    await mw.store.flush()
    assert refused, "the campaign's shared bucket never refused: the test proves nothing"
    for n, before in refused:
        after = await mw.store.account_state(account_key(mw, f"sk-camp-{n}"), clock())
        # A new account has no state before its first request; after a refused first
        # request its bucket must still be full.
        level = before["tokens"] if before else float(settings.bucket_capacity)
        assert after["tokens"] == pytest.approx(level), f"account {n} was charged"
    await mw.store.close()


# --- failures inside antiextract: loud, never a 500 ----------------------------------


class BrokenStore(MemoryStore):
    """A store whose evaluate fails the way a bug does (a zero-valued model setting once
    made every decision raise ZeroDivisionError)."""

    async def evaluate(self, *args: Any, **kw: Any) -> Any:
        raise ZeroDivisionError("float division by zero")


def broken_mw(clock: SimClock, log: io.StringIO, **kw: Any) -> AntiExtractMiddleware:
    s = Settings(**kw)
    from antiextract.request.middleware import limits_from

    store = BrokenStore(limits_from(s))
    return AntiExtractMiddleware(ok_app, s, clock, store=store, logger=make_logger(stream=log))


async def test_a_decision_error_is_charged_a_full_bucket_locally_when_open_counted_and_logged(
    clock: SimClock,
) -> None:
    """FAIL_MODE=open: an undecided request is served as during a store outage, on the
    local limits, and charged a full bucket (its samples and budget are unknown): an
    input that makes deciding fail buys one request per refill, never unlimited ones.
    (Before: every such request passed with no reservation at all.)"""
    log = io.StringIO()
    mw = broken_mw(clock, log)
    statuses = [(await call(mw, chat_body(), bearer())).status for _ in range(50)]
    assert statuses == [200] + [429] * 49
    assert metric(mw, "antiextract_internal_errors_total", stage="decide") == 50
    logged = events(log, "antiextract.internal_error")
    assert len(logged) == 1  # 50 failures within ERROR_LOG_SECONDS: one line
    first = logged[0]
    assert first["stage"] == "decide" and first["error"] == "ZeroDivisionError"
    assert first["fail_mode"] == "open" and first["count"] == 1
    assert any("test_refusals.py" in w for w in first["where"])
    assert "division by zero" not in log.getvalue()  # the message may quote input: never logged
    clock.advance(middleware_module.ERROR_LOG_SECONDS)
    await call(mw, chat_body(), bearer())
    logged = events(log, "antiextract.internal_error")
    assert len(logged) == 2 and logged[1]["count"] == 50  # 49 unlogged + this one
    clock.advance(mw.limits.capacity / mw.limits.refill)  # the local bucket refilled
    assert (await call(mw, chat_body(), bearer())).status == 200
    assert (await call(mw, chat_body(), bearer("sk-other"))).status == 200  # its own bucket


@pytest.mark.parametrize("path", ["/v1/chat/completions", "/v1/messages"])
async def test_a_decision_error_is_a_503_in_the_apis_format_when_closed(
    clock: SimClock, path: str
) -> None:
    log = io.StringIO()
    mw = broken_mw(clock, log, fail_mode="closed")
    ex = await call(mw, chat_body(), bearer(), path=path)
    assert ex.status == 503 and ex.headers["retry-after"] == "1"
    doc = ex.json()
    if path == "/v1/messages":
        assert doc["type"] == "error" and doc["error"]["type"] == "overloaded_error"
    else:
        assert doc["error"]["code"] == "limiter_unavailable"
    assert metric(mw, "antiextract_internal_errors_total", stage="decide") == 1
    (decision,) = events(log, "antiextract.decision")
    assert decision["action"] == "unavailable" and decision["reasons"] == ["internal_error"]


class FailingGuard:
    async def first_use(self, token_id: str, expires_at: float, now: float) -> bool:
        raise KeyError("a bug in the replay guard")


@pytest.mark.parametrize("mode", ["open", "closed"])
async def test_a_failing_challenge_check_is_never_a_500(clock: SimClock, mode: str) -> None:
    """The solution check (token verification, replay guard, allowance) ran outside the
    catch-all: a bug there escaped as the server's 500. A closed middleware also gives the
    reservation back."""
    log = io.StringIO()
    s = Settings(degrade_at=0.0, challenge_at=0.0, block_at=1000.0, fail_mode=mode)
    mw = AntiExtractMiddleware(ok_app, s, clock, logger=make_logger(stream=log))
    first = await call(mw, chat_body(), bearer())
    assert first.status == 403  # risk >= challenge_at = 0: a challenge
    token = first.headers["antiextract-challenge"]
    from antiextract.request.challenge import solve

    solution = solve(token, int(first.headers["antiextract-difficulty"]))
    mw.replay = FailingGuard()
    headers = [*bearer(), (b"antiextract-solution", f"{token}:{solution}".encode())]
    ex = await call(mw, chat_body(), headers)
    assert ex.status == (200 if mode == "open" else 503)
    assert metric(mw, "antiextract_internal_errors_total", stage="decide") == 1
    if mode == "open":  # undecided: a full bucket on the local limits, so not twice
        assert (await call(mw, chat_body(), headers)).status == 429
    state = await mw.store.account_state(account_key(mw, "sk-test-1"), clock())
    if mode == "closed":
        assert state["tokens"] == pytest.approx(s.bucket_capacity)  # nothing kept


async def test_a_failing_response_builder_is_never_a_500(clock: SimClock, monkeypatch) -> None:
    def broken(*args: Any, **kw: Any) -> Any:
        raise ValueError("a bug in the 429 builder")

    monkeypatch.setattr(protected_module, "throttle_response", broken)
    log = io.StringIO()
    s = Settings(account_limits="1/minute", degrade_at=100.0, challenge_at=150.0, block_at=200.0)
    mw = AntiExtractMiddleware(ok_app, s, clock, logger=make_logger(stream=log))
    assert (await call(mw, chat_body(), bearer())).status == 200
    assert (await call(mw, chat_body(), bearer())).status == 200  # would be a 429: passed
    assert metric(mw, "antiextract_internal_errors_total", stage="decide") == 1
    assert events(log, "antiextract.internal_error")[0]["error"] == "ValueError"


class BrokenFilter:
    def feed(self, data: bytes) -> bytes:
        raise IndexError("a bug in the filter")

    def close(self) -> bytes:
        return b""


@pytest.mark.parametrize("streaming", [False, True])
async def test_a_failing_degrade_filter_never_lets_the_unfiltered_answer_out(
    clock: SimClock, monkeypatch, streaming: bool
) -> None:
    secret = b"REASONING-THE-EXTRACTOR-WANTS"
    ctype = b"text/event-stream" if streaming else b"application/json"

    async def app(scope: Any, receive: Any, send: Any) -> None:
        while (await receive()).get("more_body"):
            pass
        await send(
            {"type": "http.response.start", "status": 200, "headers": [(b"content-type", ctype)]}
        )
        await send({"type": "http.response.body", "body": b"data: " + secret, "more_body": True})
        await send({"type": "http.response.body", "body": b"more " + secret})

    if streaming:
        monkeypatch.setattr(streams_module, "response_filter", lambda *a: BrokenFilter())
    else:
        from antiextract.request.degrade import JsonFilter

        class BrokenJson(JsonFilter):  # holds the body in feed, fails where it parses it
            def close(self) -> bytes:
                raise IndexError("a bug in the filter")

        broken = BrokenJson("openai.chat")
        monkeypatch.setattr(streams_module, "response_filter", lambda *a: broken)
    log = io.StringIO()
    s = Settings(degrade_at=0.0, challenge_enabled=False, block_at=1000.0)
    mw = AntiExtractMiddleware(app, s, clock, logger=make_logger(stream=log))
    ex = Exchange(chat_body())
    await mw(http_scope(headers=bearer()), ex.receive, ex.send)
    assert secret not in ex.body
    bodies = [m for m in ex.sent if m["type"] == "http.response.body"]
    assert bodies and not bodies[-1].get("more_body", False)  # the response is finished
    if streaming:
        assert ex.status == 200  # headers were out; the stream ends where it stood
    else:
        assert ex.status == 502
        assert orjson.loads(ex.body)["error"]["code"] == "response_filter_failed"
        assert int(ex.headers["content-length"]) == len(ex.body)
    assert metric(mw, "antiextract_internal_errors_total", stage="degrade_filter") == 1


# --- another spelling of a protected path is the protected path ------------------------

SPELLINGS = [
    "/v1/chat/completions/",
    "//v1//chat/completions",
    "/v1/./chat/completions",
    "/v1/x/../chat/completions",
    "/V1/Chat/Completions",
    "/v1/chat/completions;jsessionid=1",
    "/v1/chat/completions#x",  # h11 keeps a fragment in the path; an app or httpx drops it
]


@pytest.mark.parametrize("spelling", SPELLINGS)
async def test_another_spelling_of_a_protected_path_is_protected_and_passed_on_as_configured(
    clock: SimClock, spelling: str
) -> None:
    """Servers and upstreams normalise paths differently (a trailing slash, repeated
    slashes, dot segments, case, ;parameters); a spelling that some server routes to the
    chat endpoint must be limited like it, and reach the app as the configured path."""
    seen: list[tuple[str, bytes]] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        seen.append((scope["path"], scope["raw_path"]))
        await ok_app(scope, receive, send)

    s = Settings(account_limits="1/minute", degrade_at=100.0, challenge_at=150.0, block_at=200.0)
    mw = AntiExtractMiddleware(app, s, clock, logger=make_logger(stream=io.StringIO()))
    assert (await call(mw, chat_body(), bearer(), path=spelling)).status == 200
    assert seen == [("/v1/chat/completions", b"/v1/chat/completions")]
    assert (await call(mw, chat_body(), bearer())).status == 429  # one account, one limit
    other = await call(mw, chat_body(), bearer(), path="/v1/embeddings")
    assert other.status == 200  # not a protected route: untouched
    assert seen[-1] == ("/v1/embeddings", b"/v1/embeddings")


def test_the_gateway_protects_spellings_an_upstream_would_normalise() -> None:
    """Behind the gateway the upstream may be any server (llama.cpp, TGI, a Go proxy): one
    that collapses slashes and drops a trailing slash would serve `//v1/chat/completions/`
    as the chat route. The gateway limits it as the chat route and forwards the configured
    path."""
    import httpx

    from antiextract.ops.proxy import SERVER_OPTIONS, build_gateway

    from .servers import serve

    paths: list[str] = []

    async def normalising_upstream(scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        paths.append(scope["raw_path"].decode())
        await ok_app(scope, receive, send)

    s = Settings(account_limits="1/minute", degrade_at=100.0, challenge_at=150.0, block_at=200.0)
    with serve(normalising_upstream) as upstream:
        app = build_gateway(upstream, s, logger=make_logger(stream=io.StringIO()))
        with serve(app, **SERVER_OPTIONS) as gw:
            headers = {"authorization": "Bearer sk-gw"}
            first = httpx.post(f"{gw}//v1//chat/completions/", content=chat_body(), headers=headers)
            second = httpx.post(f"{gw}/v1/chat/completions", content=chat_body(), headers=headers)
    assert (first.status_code, second.status_code) == (200, 429)
    assert paths == ["/v1/chat/completions"]


# --- a client gone mid-body --------------------------------------------------------------


@pytest.mark.parametrize("uri", ["memory://", REDIS_URL])
async def test_a_client_gone_mid_body_is_neither_served_nor_charged(
    uri: str, clock: SimClock
) -> None:
    """A body that ends in http.disconnect was decided, forwarded and charged as the
    largest request (its size unknown): an honest client on a flaky connection lost a
    full bucket. Now the app is not called and the bucket is untouched; the retry of the
    same request is served and charged as any other."""
    calls: list[int] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        calls.append(1)
        await ok_app(scope, receive, send)

    s = Settings(storage_uri=uri, degrade_at=100.0, challenge_at=150.0, block_at=200.0)
    mw = AntiExtractMiddleware(app, s, clock, logger=make_logger(stream=io.StringIO()))
    if uri != "memory://":
        await mw.store.client.flushdb()
    body = chat_body("a question " * 50)
    ex = Exchange(body[:40])
    ex.incoming[0]["more_body"] = True  # the rest never comes: the client goes away
    await mw(http_scope(headers=bearer()), ex.receive, ex.send)
    assert calls == [] and ex.sent == []
    assert await mw.store.account_state(account_key(mw, "sk-test-1"), clock()) is None
    assert (await call(mw, body, bearer())).status == 200 and calls == [1]
    state = await mw.store.account_state(account_key(mw, "sk-test-1"), clock())
    assert 0 < s.bucket_capacity - state["tokens"] < s.bucket_capacity  # charged its size
    await mw.store.close()
