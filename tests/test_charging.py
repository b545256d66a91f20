"""What a request is charged: the reservation, the settlement, and what neither may give away.

Issue 14, point 1: a body padded past the bucket's size reserved a full bucket, and the
settlement refunded the difference between the reported usage and the *uncapped*
estimate, so every padded request came back for free. These tests drive the real
middleware (and the gateway) with default settings, an app that answers like a model
server (``usage`` counted from the text it was given) and both stores.
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import io
import json
import math
import random
import re
import zlib
from collections.abc import Iterator
from typing import Any

import httpx
import orjson
import pytest
from hypothesis import HealthCheck, given
from hypothesis import settings as hsettings
from hypothesis import strategies as st
from starlette.middleware.gzip import GZipMiddleware

from antiextract import AntiExtractMiddleware, Settings
from antiextract.audit import make_logger
from antiextract.ops.proxy import SERVER_OPTIONS, build_gateway
from antiextract.request.identity import digest
from antiextract.request.usage import UsageReader

from .asgi import Exchange, bearer, http_scope
from .conftest import REDIS_URL, SimClock, redis_client
from .redis_proc import RedisClusterProcesses, redis_cluster
from .servers import serve

# A stand-in for a model's tokenizer: GPT-2's pre-tokenizer pattern (a word with its leading
# space, a run of punctuation, a run of whitespace), one token per piece.
_TOKEN = re.compile(r" ?\w+| ?[^\s\w]+|\s+(?!\S)|\s+")


def tokens_in(text: str) -> int:
    return len(_TOKEN.findall(text))


def prompt_text(doc: Any) -> str:
    """Every string of the request's messages, as a chat template would see them."""
    out: list[str] = []

    def walk(value: Any) -> None:
        if isinstance(value, str):
            out.append(value)
        elif isinstance(value, list):
            for v in value:
                walk(v)
        elif isinstance(value, dict):
            for k, v in value.items():
                if k in ("content", "text", "messages", "system", "input", "prompt"):
                    walk(v)

    walk(doc.get("messages") if isinstance(doc, dict) else None)
    return "\n".join(out)


class ModelApp:
    """Answers like an OpenAI-compatible model server: reads the whole body, writes
    ``max_tokens`` tokens (or ``output`` when set) and reports usage from its tokenizer."""

    def __init__(self, output: int | None = None) -> None:
        self.output = output
        self.calls = 0

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        self.calls += 1
        doc = orjson.loads(body)
        prompt = tokens_in(prompt_text(doc)) + 4
        output = self.output if self.output is not None else doc.get("max_tokens", 16)
        answer = orjson.dumps(
            {
                "id": "chatcmpl-1",
                "object": "chat.completion",
                "choices": [{"index": 0, "message": {"role": "assistant", "content": "ok"}}],
                "usage": {
                    "prompt_tokens": prompt,
                    "completion_tokens": output,
                    "total_tokens": prompt + output,
                },
            }
        )
        headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(answer))]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        await send({"type": "http.response.body", "body": answer})


def words_body(words: int = 25_000, max_tokens: int = 200, padding: bytes = b"") -> bytes:
    """The issue's body: ~125 KB of prose, ``max_tokens`` 200, then ``padding``."""
    vocab = ("alpha", "beta", "gamma", "delta", "kappa", "omega", "sigma", "theta")
    text = " ".join(vocab[i % len(vocab)] for i in range(words))
    doc = {"model": "m", "max_tokens": max_tokens, "messages": [{"role": "user", "content": text}]}
    return orjson.dumps(doc) + padding


def account_of(mw: AntiExtractMiddleware, key: str) -> str:
    return digest("key:" + digest(key.encode(), mw.hash_key), mw.hash_key)


async def send_body(mw: Any, body: bytes, key: str, *, length: bool = True) -> Exchange:
    """One request, delivered in 64 KiB messages as a server reads it off the socket."""
    ex = Exchange(body, chunk=65_536)
    headers = bearer(key)
    if length:
        headers.append((b"content-length", b"%d" % len(body)))
    await mw(http_scope(headers=headers), ex.receive, ex.send)
    return ex


@pytest.fixture(params=["memory", "redis"])
async def default_mw(request: pytest.FixtureRequest):
    """A factory: the middleware with default settings (only the store's URI set)."""
    made: list[AntiExtractMiddleware] = []
    if request.param == "redis":
        await (await redis_client()).flushdb()

    def factory(app: Any, clock: SimClock, **overrides: Any) -> AntiExtractMiddleware:
        uri = "memory://" if request.param == "memory" else REDIS_URL
        s = Settings(storage_uri=uri, **overrides)
        logger = make_logger(stream=io.StringIO())
        mw = AntiExtractMiddleware(app, s, clock, logger=logger)
        made.append(mw)
        return mw

    yield factory
    for mw in made:
        await mw.store.close()


# --- the reproduction -------------------------------------------------------------


async def test_padding_a_body_buys_nothing(default_mw, clock) -> None:
    """The issue's numbers: the plain ~125 KB body is served 11 times, then 429; the same
    body with 1.3 MB of trailing spaces must not be served more often (on main: 40/40)."""
    app = ModelApp()
    mw = default_mw(app, clock)
    plain = words_body()
    padded = words_body(padding=b" " * 1_300_000)
    served = {}
    for name, body in (("plain", plain), ("padded", padded)):
        statuses = [(await send_body(mw, body, f"sk-{name}")).status for _ in range(40)]
        await mw.store.flush()
        assert set(statuses) <= {200, 429}
        served[name] = statuses.count(200)
    assert served["plain"] == 11
    assert served["padded"] <= served["plain"]
    # and the padded account's bucket holds no more than a full bucket minus what it used
    state = await mw.store.account_state(account_of(mw, "sk-padded"), clock())
    used = served["padded"] * (tokens_in(prompt_text(orjson.loads(plain))) + 4 + 200)
    assert state["tokens"] <= mw.limits.capacity - used + TOL


async def test_padding_buys_nothing_through_the_gateway() -> None:
    """The same, end to end: a model server under uvicorn, ``antiextract proxy`` (the
    gateway with default settings) under uvicorn in front of it, and an HTTP client."""
    upstream_app = ModelApp()
    with serve(upstream_app) as upstream:
        gw_app = build_gateway(upstream, Settings(), logger=make_logger(stream=io.StringIO()))
        with serve(gw_app, **SERVER_OPTIONS) as gw:
            async with httpx.AsyncClient(base_url=gw, timeout=30) as client:
                served = {}
                for name, body in (
                    ("plain", words_body()),
                    ("padded", words_body(padding=b" " * 1_300_000)),
                ):
                    headers = {"authorization": f"Bearer sk-{name}"}
                    statuses = [
                        (
                            await client.post("/v1/chat/completions", content=body, headers=headers)
                        ).status_code
                        for _ in range(15)
                    ]
                    assert set(statuses) <= {200, 429}, statuses
                    served[name] = statuses.count(200)
    # the bucket refills 1,000 tokens/s in real time here: a request of ~25,000 tokens may
    # come back once more while the test runs
    assert 11 <= served["plain"] <= 12
    assert served["padded"] <= served["plain"]


# --- the invariant, over random sequences, on every store ---------------------------------
#
# cost.charge states it: per request, charged = taken + settlement delta, and
#   charged >= 0 (never credited more than debited), charged == usage when the response
#   completed with usage, charged >= max(taken, usage seen) when cut or without usage,
#   charged == 0 when the app failed; the bucket applies it with debt floored at -capacity.
# The test keeps its own ledger per account from the usage its app reported, and checks
# the store's bucket against it after every take and every settlement.

CAP = 10_000.0
REFILL = 50.0
# Seconds a Redis call may take before the local limits answer instead: a loaded machine
# (CI beside other jobs) can take longer than the default 0.25 s, and a level read back from
# Redis would then miss what the fallback took, which is not what these tests look for.
SLACK = 5.0
TOL = 1e-3  # tokens: refills at a clock of 1.8e9 s carry float rounding of ~1e-6
KINDS = ("openai_json", "openai_sse", "openai_sse_crlf", "anthropic_sse", "anthropic_forged",
         "responses_sse", "no_usage_sse")  # fmt: skip
FAILURES = ("none", "5xx", "raise_before", "raise_mid", "cut", "cancel", "client_gone")


def _sse(kind: str, data: dict) -> bytes:
    return f"event: {kind}\ndata: {orjson.dumps(data).decode()}\n\n".encode()


def response_for(kind: str, usage: tuple[int, int, int, int], events: int) -> list[bytes]:
    """A response of ``kind`` as body messages; ``usage``: (prompt or input, cache read,
    cache creation, output). Returns the messages and the total usage it reports."""
    p, cr, cc, o = usage
    delta = b'data: {"choices":[{"index":0,"delta":{"content":"tok"}}]}\n\n'
    if kind == "openai_json":
        usage_doc = {"prompt_tokens": p, "completion_tokens": o, "total_tokens": p + o}
        doc = {"choices": [{"message": {"content": "x" * events}}], "usage": usage_doc}
        raw = orjson.dumps(doc)
        return [raw[: len(raw) // 2], raw[len(raw) // 2 :]]
    if kind.startswith("openai_sse"):
        final = {"choices": [], "usage": {"prompt_tokens": p, "completion_tokens": o}}
        messages = [delta] * events + [
            b"data: " + orjson.dumps(final) + b"\n\n",
            b"data: [DONE]\n\n",
        ]
        if kind.endswith("crlf"):  # sse-starlette's separator
            messages = [m.replace(b"\n", b"\r\n") for m in messages]
        return messages
    if kind == "responses_sse":  # response.created echoes a tool schema with a forged usage
        tools = [{"type": "function", "name": "f", "parameters": {"usage": {
            "input_tokens": 0, "output_tokens": 0, "prompt_tokens": 0}}}]  # fmt: skip
        text = {"type": "response.output_text.delta", "delta": '"usage":{"output_tokens":0}'}
        usage_doc = {"input_tokens": p, "output_tokens": o}
        output = [{"content": "x" * events}]
        done = {"type": "response.completed",
                "response": {"tools": tools, "usage": usage_doc, "output": output}}  # fmt: skip
        return [
            _sse("response.created", {"type": "response.created",
                                      "response": {"tools": tools, "usage": None}}),
            *[_sse("response.output_text.delta", text)] * events,
            _sse("response.completed", done),
        ]  # fmt: skip
    if kind == "no_usage_sse":
        return [delta] * events + [b"data: [DONE]\n\n"]
    usage_start = {"input_tokens": p, "cache_read_input_tokens": cr,
                   "cache_creation_input_tokens": cc, "output_tokens": 1}  # fmt: skip
    if kind == "anthropic_sse":
        text = {"type": "content_block_delta", "index": 0,
                "delta": {"type": "text_delta", "text": '"usage":{"output_tokens":0}'}}  # fmt: skip
        return [
            _sse("message_start", {"type": "message_start", "message": {"usage": usage_start}}),
            *[_sse("content_block_delta", text)] * events,
            _sse("message_delta", {"type": "message_delta", "usage": {"output_tokens": o}}),
            _sse("message_stop", {"type": "message_stop"}),
        ]
    # Anthropic, not streamed, with a tool_use whose input the model wrote as a JSON
    # object: a forged usage there arrives unescaped, and must not lower the charge.
    forged = {"prompt_tokens": 0, "completion_tokens": 0, "input_tokens": 0, "output_tokens": 0}
    doc = {"type": "message", "role": "assistant",
           "content": [{"type": "tool_use", "id": "t", "name": "f", "input": {"usage": forged}}],
           "usage": {**usage_start, "output_tokens": o}}  # fmt: skip
    raw = orjson.dumps(doc)
    return [raw[: len(raw) // 3], raw[len(raw) // 3 :]]


def reported(kind: str, usage: tuple[int, int, int, int]) -> int | None:
    p, cr, cc, o = usage
    if kind.startswith("openai") or kind == "responses_sse":
        return p + o
    if kind == "anthropic_sse":  # message_start's placeholder says 1: the count only grows
        return p + cr + cc + max(o, 1)
    if kind.startswith("anthropic"):
        return p + cr + cc + o
    return None


def seen_when_cut(kind: str, usage: tuple[int, int, int, int], sent: int) -> int:
    """Usage the first ``sent`` body messages already show (Anthropic's message_start)."""
    p, cr, cc, _ = usage
    return p + cr + cc + 1 if kind == "anthropic_sse" and sent >= 1 else 0


class Scripted:
    """The app: each request (header x-plan) follows its plan; it records the bucket level
    when it starts (so the test learns what the store took) and waits to be released."""

    def __init__(self, level: Any) -> None:
        self.level = level  # async (key) -> the account's bucket level now
        self.plans: dict[str, dict[str, Any]] = {}

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        plan = self.plans[dict(scope["headers"])[b"x-plan"].decode()]
        while (await receive()).get("more_body"):
            pass
        plan["entered_level"] = await self.level(plan["key"])
        plan["entered"].set()
        await plan["release"].wait()
        failure, chunks, k = plan["failure"], plan["chunks"], plan["k"]
        if failure == "raise_before":
            raise RuntimeError("model crashed before answering")
        ctype = b"text/event-stream" if "sse" in plan["kind"] else b"application/json"
        status = 503 if failure == "5xx" else 200
        await send({"type": "http.response.start", "status": status,
                    "headers": [(b"content-type", ctype)]})  # fmt: skip
        if failure == "5xx":
            await send({"type": "http.response.body", "body": b'{"error":"overloaded"}'})
            return
        stop = k if failure in ("raise_mid", "cut", "cancel") else len(chunks)
        for i, chunk in enumerate(chunks[:stop]):
            more = i < len(chunks) - 1
            await send({"type": "http.response.body", "body": chunk, "more_body": more})
        if failure == "raise_mid":
            raise RuntimeError("model crashed mid-answer")
        if failure == "cancel":
            plan["streaming"].set()
            await asyncio.Event().wait()  # until the client's task is cancelled


class GoneSend:
    """The client's side: after ``after`` body messages the connection is gone."""

    def __init__(self, after: int | None) -> None:
        self.after, self.bodies = after, 0
        self.status: int | None = None

    async def __call__(self, message: dict) -> None:
        if message["type"] == "http.response.start":
            self.status = message["status"]
        elif message["type"] == "http.response.body":
            if self.after is not None and self.bodies >= self.after:
                raise OSError("client disconnected")
            self.bodies += 1


usages = st.tuples(
    st.integers(0, 30_000), st.integers(0, 5_000), st.integers(0, 5_000), st.integers(0, 8_000)
)
requests = st.fixed_dictionaries(
    {
        "key": st.sampled_from(["sk-a", "sk-b"]),
        "padding": st.sampled_from([0, 10, 4_000, 39_000, 60_000, 200_000]),
        "max_tokens": st.none() | st.integers(1, 6_000),
        "n": st.integers(1, 3),
        "kind": st.sampled_from(KINDS),
        "failure": st.sampled_from(FAILURES),
        "usage": usages,
        "events": st.integers(0, 12),
        "k": st.integers(0, 30),
    }
)
batches = st.lists(
    # (seconds before the batch, its requests, the seed of the order they are answered in)
    st.tuples(st.floats(0, 120), st.lists(requests, min_size=1, max_size=4), st.integers(0, 999)),
    min_size=1,
    max_size=5,
)


SLOW = [HealthCheck.too_slow, HealthCheck.data_too_large]
HARVEST_ASK = (
    b"Think step by step and show your full reasoning. Implement a python function and "
    b"refactor the class. Task: "
)


async def run_invariant(uri: str, scenario: list, flush: Any, campaign: bool = False) -> None:
    """``campaign``: young accounts sharing one prompt template, a campaign model that flags
    them at once and a small shared bucket, so its refusals are among the refusals."""
    await flush()
    clock = SimClock()
    extra: dict[str, Any] = {}
    if campaign:
        extra = {"account_created_header": "x-created", "degrade_at": 100.0,
                 "challenge_enabled": False, "block_at": 200.0,
                 "campaign_model": {"min_young": 2, "bucket_capacity": 3_000,
                                    "bucket_refill": 0.001}}  # fmt: skip
    s = Settings(
        storage_uri=uri, bucket_capacity=int(CAP), bucket_refill_per_second=REFILL,
        account_limits="", ip_limits="", tarpit_max_seconds=0,
        # 64 KiB: the largest padding is past the cap, reserved a full bucket (unread)
        inspect_max_bytes=65_536,
        # The risk-adaptive refill applies an account's latest factor to all the time since
        # its bucket was last written, so a level read moves when the risk does: held at 1
        # here, the ledger is exact. (Degrade and challenge still happen as risk grows.)
        risk_model={"slow_above": 1e9},
        **extra,
    )  # fmt: skip
    mw: AntiExtractMiddleware

    async def level(key: str) -> float:
        state = await mw.store.account_state(account_of(mw, key), clock())
        return CAP if state is None or state["tokens"] is None else state["tokens"]

    app = Scripted(level)
    mw = AntiExtractMiddleware(app, s, clock, logger=make_logger(stream=io.StringIO()))
    ledger: dict[str, float] = {}
    read_at: dict[str, float] = {}  # when each account's ledger entry was last checked
    try:
        for n_batch, (advance, batch, order) in enumerate(scenario):
            clock.advance(advance)
            for key in {r["key"] for r in batch}:
                now = await level(key)
                if key in ledger:
                    most = min(CAP, ledger[key] + (clock() - read_at[key]) * REFILL)
                    assert now <= most + TOL, "the bucket gained more than its refill"
                ledger[key], read_at[key] = now, clock()
            admitted = []
            if campaign:  # a new young account for every request
                batch = [{**r, "key": f"{r['key']}-{n_batch}.{i}"} for i, r in enumerate(batch)]
                for r in batch:
                    ledger[r["key"]], read_at[r["key"]] = CAP, clock()
            for i, r in enumerate(batch):
                name = f"{n_batch}.{i}"
                chunks = response_for(r["kind"], r["usage"], r["events"])
                k = min(r["k"], len(chunks) - 1)
                plan = {**r, "chunks": chunks, "k": k, "entered": asyncio.Event(),
                        "release": asyncio.Event(), "streaming": asyncio.Event()}  # fmt: skip
                app.plans[name] = plan
                body = words_body(
                    words=200, max_tokens=r["max_tokens"] or 0, padding=b" " * r["padding"]
                )
                if r["max_tokens"] is None:
                    doc = orjson.loads(body)
                    del doc["max_tokens"]
                    body = orjson.dumps(doc) + b" " * r["padding"]
                if r["n"] > 1:
                    body = body.replace(b'{"model"', b'{"n":%d,"model"' % r["n"], 1)
                if campaign:  # one harvesting template for all: the cohort is flagged
                    body = body.replace(b'"content":"', b'"content":"' + HARVEST_ASK, 1)
                headers = [*bearer(r["key"]), (b"content-length", b"%d" % len(body)),
                           (b"x-plan", name.encode()),
                           (b"x-created", b"%d" % int(clock()))]  # fmt: skip
                ex = Exchange(body, chunk=65_536)
                gone = GoneSend(k if r["failure"] == "client_gone" else None)
                task = asyncio.ensure_future(mw(http_scope(headers=headers), ex.receive, gone))
                entered = asyncio.ensure_future(plan["entered"].wait())
                await asyncio.wait([task, entered], return_when=asyncio.FIRST_COMPLETED)
                if not plan["entered"].is_set():  # refused (or challenged): charged nothing
                    entered.cancel()
                    with contextlib.suppress(OSError):  # the client may be gone already
                        await task
                    await mw.store.flush()
                    assert gone.status in (429, 403), gone.status
                    assert await level(r["key"]) == pytest.approx(ledger[r["key"]], abs=TOL)
                    continue
                taken = ledger[r["key"]] - plan["entered_level"]
                assert -TOL <= taken <= CAP + TOL
                ledger[r["key"]] -= taken
                admitted.append((plan, task, taken, gone))
            random.Random(order).shuffle(admitted)
            for plan, task, taken, _gone in admitted:
                plan["release"].set()
                if plan["failure"] == "cancel":
                    streaming = asyncio.ensure_future(plan["streaming"].wait())
                    await asyncio.wait([task, streaming], return_when=asyncio.FIRST_COMPLETED)
                    streaming.cancel()
                    task.cancel()
                with contextlib.suppress(RuntimeError, OSError, asyncio.CancelledError):
                    await task
                await mw.store.flush()
                key, before = plan["key"], ledger[plan["key"]]
                after = await level(key)
                usage = reported(plan["kind"], plan["usage"])
                failure = plan["failure"]
                if failure in ("5xx", "raise_before"):
                    charged = 0.0  # the reservation comes back, and nothing more
                    assert after == pytest.approx(min(CAP, before + taken), abs=TOL)
                elif failure == "none" and usage is not None:
                    charged = usage  # exactly the usage, whatever the estimate was
                    expect = max(-CAP, min(CAP, before - (usage - taken)))
                    assert after == pytest.approx(expect, abs=TOL)
                else:  # cut short, or no usage: at least the reservation and what was seen
                    sent = plan["k"] if failure != "none" else len(plan["chunks"])
                    least = max(taken, seen_when_cut(plan["kind"], plan["usage"], sent))
                    assert after <= max(-CAP, before - (least - taken)) + TOL
                    charged = taken + before - after
                assert charged >= 0 and after <= before + taken + TOL  # never credited more
                assert after >= -CAP - TOL  # debt floors at -capacity
                ledger[key] = after
    finally:
        await mw.store.close()


@hsettings(max_examples=60, deadline=None, database=None, suppress_health_check=SLOW)
@given(scenario=batches)
def test_invariant_memory(scenario: list) -> None:
    async def nothing() -> None:
        return None

    asyncio.run(run_invariant("memory://", scenario, nothing))


@hsettings(max_examples=40, deadline=None, database=None, suppress_health_check=SLOW)
@given(scenario=batches)
def test_invariant_redis(scenario: list) -> None:
    async def flush() -> None:
        client = await redis_client()
        await client.aclose()

    asyncio.run(run_invariant(REDIS_URL, scenario, flush))


@hsettings(max_examples=40, deadline=None, database=None, suppress_health_check=SLOW)
@given(scenario=batches)
def test_invariant_campaign_refusals(scenario: list) -> None:
    """A request the store allowed but a campaign's shared bucket refused is charged
    nothing either (issue 14, point 5: it kept its reservation)."""

    async def nothing() -> None:
        return None

    asyncio.run(run_invariant("memory://", scenario, nothing, campaign=True))


@pytest.fixture(scope="module")
def cluster() -> Iterator[RedisClusterProcesses]:
    with redis_cluster() as procs:
        yield procs


def test_invariant_cluster(cluster: RedisClusterProcesses) -> None:
    """Redis Cluster: the account's bucket and its settlements live in one slot, the
    store call is finished in a task of its own (no lean client), and the IP windows and
    cohorts in others."""

    async def flush() -> None:
        cluster.flush()

    @hsettings(max_examples=25, deadline=None, database=None, suppress_health_check=SLOW)
    @given(scenario=batches)
    def check(scenario: list) -> None:
        asyncio.run(run_invariant(cluster.url, scenario, flush))

    check()


# --- a search for free tokens: any body, any reported usage ------------------------------


padding_text = st.one_of(
    st.builds(lambda c, n: c * n, st.sampled_from([" ", "\n", "\t", "\u3000", "\u200b"]),
              st.integers(0, 20_000)),
    st.builds(lambda c, n: c * n, st.sampled_from(["中", "😀", "é", "-", "a!"]),
              st.integers(0, 5_000)),
)  # fmt: skip


@st.composite
def attack_bodies(draw: st.DrawFn) -> tuple[bytes, list[tuple[bytes, bytes]]]:
    """A chat body shaped by every lever a client has over the estimate: padding inside and
    outside the JSON, escapes, nested parts, lenient numbers, samples, encodings, length."""
    content: Any = "Explain step by step. " + draw(padding_text)
    for _ in range(draw(st.integers(0, 30))):  # nested content parts
        content = [{"type": "tool_result", "content": content}]
    doc: dict[str, Any] = {"model": "m", "messages": [{"role": "user", "content": content}]}
    budget = draw(st.sampled_from([None, 1, 700, -1, 0, "900", 900.0, 10**30]))
    if budget is not None:
        doc["max_tokens"] = budget
    for name in ("n", "best_of"):
        samples = draw(st.sampled_from([None, 1, 3, "5", 200, 10**6]))
        if samples is not None:
            doc[name] = samples
    # ensure_ascii: every non-ASCII character sent as a \\uXXXX escape (6 or 12 bytes)
    raw = json.dumps(doc, ensure_ascii=draw(st.booleans())).encode()
    if draw(st.booleans()):
        raw = raw.replace(b'"model"', b'"temperature": NaN, "model"', 1)  # orjson refuses
    raw += draw(st.sampled_from([b"", b" " * 50_000, b"\n" * 3_000]))
    headers = [(b"content-type", b"application/json")]
    coding = draw(st.sampled_from([None, b"gzip", b"deflate", b"br"]))
    if coding == b"gzip":
        raw = gzip.compress(raw)
    elif coding == b"deflate":
        raw = zlib.compress(raw)
    elif coding == b"br":
        raw = raw[:100]  # not brotli at all: the label alone makes it unreadable to us
    if coding is not None:
        headers.append((b"content-encoding", coding))
    if draw(st.booleans()):
        headers.append((b"content-length", b"%d" % len(raw)))
    return raw, headers


class UsageApp:
    """Answers every request with the usage the test chose (a complete JSON response)."""

    def __init__(self) -> None:
        self.usage = (0, 0)
        self.called = False

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        while (await receive()).get("more_body"):
            pass
        self.called = True
        p, o = self.usage
        raw = orjson.dumps({"choices": [], "usage": {"prompt_tokens": p, "completion_tokens": o}})
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"application/json")]})  # fmt: skip
        await send({"type": "http.response.body", "body": raw})


@pytest.mark.parametrize("uri", ["memory://", REDIS_URL])
def test_no_body_and_usage_pair_yields_free_tokens(uri: str) -> None:
    """Hypothesis searches bodies and reported usages for a pair that leaves an account's
    bucket higher than honest bodies with the same usage would: with the clock held still,
    every served request must cost exactly its usage (debt floored at -capacity)."""

    @hsettings(max_examples=60, deadline=None, database=None, suppress_health_check=SLOW)
    @given(
        steps=st.lists(
            st.tuples(attack_bodies(), st.tuples(st.integers(0, 40_000), st.integers(0, 9_000))),
            min_size=1,
            max_size=6,
        )
    )
    def search(steps: list) -> None:
        async def run() -> None:
            if uri != "memory://":
                await (await redis_client()).aclose()
            clock = SimClock()
            app = UsageApp()
            s = Settings(storage_uri=uri, bucket_capacity=int(CAP), account_limits="",
                         ip_limits="", inspect_max_bytes=65_536, tarpit_max_seconds=0,
                         store_timeout=SLACK,
                         risk_model={"slow_above": 1e9}, challenge_enabled=False)  # fmt: skip
            mw = AntiExtractMiddleware(app, s, clock, logger=make_logger(stream=io.StringIO()))
            honest = CAP  # the bucket of an account whose bodies are honest
            try:
                for (body, headers), usage in steps:
                    app.usage, app.called = usage, False
                    ex = Exchange(body, chunk=16_384)
                    await mw(http_scope(headers=[*headers, *bearer("sk-x")[1:]]), ex.receive,
                             ex.send)  # fmt: skip
                    await mw.store.flush()
                    if app.called:
                        honest = max(-CAP, honest - sum(usage))
                    state = await mw.store.account_state(account_of(mw, "sk-x"), clock())
                    tokens = CAP if state is None or state["tokens"] is None else state["tokens"]
                    assert tokens == pytest.approx(honest, abs=TOL), "free tokens"
            finally:
                await mw.store.close()

        asyncio.run(run())

    search()


# --- what each input reserves ------------------------------------------------------------


class EntryApp:
    """Records the body it received and the bucket level when it started, then answers
    with ``answer`` (default: no usage, so the reservation stands)."""

    def __init__(self, answer: list[bytes] | None = None, ctype: bytes = b"application/json"):
        self.answer = answer if answer is not None else [b"{}"]
        self.ctype = ctype
        self.bodies: list[bytes] = []
        self.levels: list[float] = []
        self.level: Any = None

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        self.bodies.append(body)
        self.levels.append(await self.level())
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", self.ctype)]})  # fmt: skip
        for i, chunk in enumerate(self.answer):
            more = i < len(self.answer) - 1
            await send({"type": "http.response.body", "body": chunk, "more_body": more})


@pytest.fixture(params=["memory", "redis"])
async def reserving(request: pytest.FixtureRequest, clock: SimClock):
    """A factory: (app, settings overrides) -> middleware whose app learns its bucket."""
    made: list[AntiExtractMiddleware] = []
    uri = "memory://" if request.param == "memory" else REDIS_URL
    if request.param == "redis":
        await (await redis_client()).aclose()

    def factory(app: EntryApp, **overrides: Any) -> AntiExtractMiddleware:
        base = {"storage_uri": uri, "bucket_capacity": 100_000, "account_limits": "",
                "ip_limits": "", "inspect_max_bytes": 65_536, "store_timeout": SLACK}  # fmt: skip
        mw = AntiExtractMiddleware(
            app, Settings(**{**base, **overrides}), clock, logger=make_logger(stream=io.StringIO())
        )

        async def level() -> float:
            state = await mw.store.account_state(account_of(mw, "sk-test-1"), clock())
            return state["tokens"]

        app.level = level
        made.append(mw)
        return mw

    yield factory
    for mw in made:
        await mw.store.close()


async def reserve(mw: AntiExtractMiddleware, body: bytes, extra=(), chunk: int = 65_536) -> float:
    """What the store took for one request (the app saw the bucket that much lower)."""
    ex = Exchange(body, chunk=chunk)
    await mw(http_scope(headers=[*bearer(), *extra]), ex.receive, ex.send)
    assert ex.status == 200, ex.body
    await mw.store.flush()
    return 100_000 - mw.app.levels[-1]


def chat(text: str, **params: Any) -> bytes:
    return orjson.dumps({"model": "m", "messages": [{"role": "user", "content": text}], **params})


async def test_a_gzip_body_is_inspected_and_reserved_as_the_app_reads_it(reserving) -> None:
    """On main the compressed size was the estimate (here ~60x less) and every signal was
    blind; the app still receives the bytes the client sent."""
    app = EntryApp()
    mw = reserving(app)
    plain = chat("Think step by step. " + "explain the sorting algorithm " * 1_500, max_tokens=100)
    for coding, packed in ((b"gzip", gzip.compress(plain)), (b"deflate", zlib.compress(plain))):
        await mw.store.reset(account_of(mw, "sk-test-1"))
        taken = await reserve(mw, packed, [(b"content-encoding", coding)])
        assert app.bodies[-1] == packed  # forwarded unchanged
        assert taken == math.ceil(len(plain) / 4) + 100
        assert len(packed) * 30 < len(plain)


async def test_bodies_we_cannot_size_reserve_a_full_bucket(reserving) -> None:
    """An encoding we cannot read, a bomb past the inspection cap, a corrupt stream, or a
    body past the cap, with or without Content-Length: its size, ``n``, prompts and budget
    are unknown, so the request costs the most one request can (a full bucket) until its
    usage settles it. A body past the cap with a Content-Length was reserved its length
    and one sample: n = 64 after 64 KiB of padding took 9.4 M tokens for 600,000 (the
    breaker's repro/hidden_n_past_cap.py)."""
    app = EntryApp()
    mw = reserving(app)
    bomb = gzip.compress(chat("a" * 50_000_000))
    big = chat("x" * 200_000, max_tokens=10)
    cases = [
        (b'{"model":"m"}', [(b"content-encoding", b"br")]),
        (bomb, [(b"content-encoding", b"gzip")]),
        (gzip.compress(chat("hi"))[:-4], [(b"content-encoding", b"gzip")]),  # truncated
        (big, []),  # past the 64 KiB cap, chunked: no Content-Length
    ]
    for body, headers in cases:
        await mw.store.reset(account_of(mw, "sk-test-1"))
        assert await reserve(mw, body, headers) == 100_000
        assert app.bodies[-1] == body
    hidden_n = b"{" + b" " * 65_536 + chat("Write an essay.", max_tokens=16_384, n=64)[1:]
    for body in (big, hidden_n):
        await mw.store.reset(account_of(mw, "sk-test-1"))
        assert await reserve(mw, body, [(b"content-length", b"%d" % len(body))]) == 100_000
        assert app.bodies[-1] == body


@pytest.mark.parametrize(
    ("params", "output"),
    [
        ({"max_tokens": -1}, 16_384),  # llama.cpp: no limit
        ({"max_tokens": "9000"}, 9_000),
        ({"max_tokens": 900.0, "n": "3"}, 2_700),
        ({"max_tokens": 100, "n": 300}, 30_000),  # n past 128 (vLLM)
        ({"max_tokens": 100, "best_of": 7}, 700),
    ],
)
async def test_output_budgets_are_reserved_as_servers_read_them(reserving, params, output) -> None:
    app = EntryApp()
    mw = reserving(app)
    body = chat("hello", **params)
    assert await reserve(mw, body) == math.ceil(len(body) / 4) + output


@pytest.mark.parametrize("sep", [b"\n", b"\r\n", b"\r"])
@pytest.mark.parametrize("split", [None, 1, 2, 3, 7])
async def test_a_stream_without_usage_pays_for_what_it_carried(
    reserving, sep: bytes, split: int | None
) -> None:
    """No max_tokens and no usage (an OpenAI stream without include_usage): the default
    output tokens (here set to 1,024) were reserved and kept, however long the answer. Now
    every event the stream carried beyond that is charged, whichever line ending ends it
    (SSE allows LF, CRLF and CR; sse-starlette writes CRLF: 40,000 such events were
    charged 16,402) and wherever the server's writes cut the stream (``split``: bytes
    carried over to the next message)."""
    event = b'data: {"choices":[{"delta":{"content":"tok"}}]}' + sep + sep
    messages = [event] * 5_000 + [b"data: [DONE]" + sep + sep]
    if split is not None:  # each message starts with the last bytes of the previous one
        raw = b"".join(messages)
        size = len(event)
        messages = [raw[max(0, i - split) : i + size - split] for i in range(0, len(raw), size)]
        assert b"".join(messages) == raw
    app = EntryApp(messages, ctype=b"text/event-stream")
    mw = reserving(app, default_output_tokens=1_024)
    body = chat("hello", stream=True)
    taken = await reserve(mw, body)
    assert taken == math.ceil(len(body) / 4) + 1_024
    left = (await mw.store.account_state(account_of(mw, "sk-test-1"), 0 + mw.clock()))["tokens"]
    assert 100_000 - left == math.ceil(len(body) / 4) + 5_001  # every event, [DONE] too


async def test_anthropic_cache_tokens_are_charged(reserving) -> None:
    """Anthropic leaves cached prompt tokens out of input_tokens: a cached prompt settled as
    a few tokens and the rest of its reservation was refunded."""
    usage = {"input_tokens": 12, "cache_creation_input_tokens": 3_000,
             "cache_read_input_tokens": 20_000, "output_tokens": 50}  # fmt: skip
    app = EntryApp([orjson.dumps({"type": "message", "content": [], "usage": usage})])
    mw = reserving(app)
    await reserve(mw, chat("x" * 90_000, max_tokens=64), [(b"content-length", b"90044")])
    left = (await mw.store.account_state(account_of(mw, "sk-test-1"), mw.clock()))["tokens"]
    assert 100_000 - left == 12 + 3_000 + 20_000 + 50


async def test_a_usage_the_model_wrote_cannot_lower_the_charge(reserving) -> None:
    """A tool_use input is a JSON object the model writes (Anthropic, not streamed): a
    forged OpenAI-style usage there took precedence over the real input_tokens."""
    forged = {"usage": {"prompt_tokens": 0, "completion_tokens": 0}}
    doc = {"content": [{"type": "tool_use", "name": "f", "input": forged}],
           "usage": {"input_tokens": 20_000, "output_tokens": 300}}  # fmt: skip
    app = EntryApp([orjson.dumps(doc)])
    mw = reserving(app)
    await reserve(mw, chat("x" * 90_000, max_tokens=300), [(b"content-length", b"90045")])
    left = (await mw.store.account_state(account_of(mw, "sk-test-1"), mw.clock()))["tokens"]
    assert 100_000 - left == 20_300


@pytest.mark.parametrize("degraded", [False, True])
async def test_a_compressed_answer_cannot_blind_settlement_or_the_degrade_filter(
    reserving, degraded: bool
) -> None:
    """The client's Accept-Encoding reached the app (the gateway forwards it to upstreams
    that compress): a gzip answer hid its usage, so the request kept its reservation
    whatever it used, and passed a degraded answer's reasoning through unfiltered. The app
    is now asked for an uncompressed answer."""
    doc = {"choices": [{"index": 0, "message": {"content": "4", "reasoning_content": "2+2"}}],
           "usage": {"prompt_tokens": 30, "completion_tokens": 70}}  # fmt: skip
    app = EntryApp([orjson.dumps(doc)])
    gzipped = GZipMiddleware(app, minimum_size=0)
    overrides = {"degrade_at": 0.0, "challenge_enabled": False} if degraded else {}
    mw = reserving(app, **overrides)
    mw.app = gzipped
    ex = Exchange(chat("what is 2+2?", max_tokens=5_000))
    await mw(
        http_scope(headers=[*bearer(), (b"accept-encoding", b"gzip, br")]), ex.receive, ex.send
    )
    await mw.store.flush()
    assert ex.status == 200
    body = ex.body
    if ex.headers.get("content-encoding") == "gzip":
        body = gzip.decompress(body)
    assert (b"reasoning_content" in body) is not degraded
    left = (await mw.store.account_state(account_of(mw, "sk-test-1"), mw.clock()))["tokens"]
    assert 100_000 - left == 100  # the usage, not the 5,000-token reservation


# --- what the reservation must count: every prompt, every sample ------------------------


class HeldApp:
    """A model server that generates ``max_tokens`` x ``n`` x every prompt of a legacy
    completions batch (vLLM, OpenAI), and holds each request until released: a burst is
    in flight together, all admitted on their reservations before any settles."""

    def __init__(self) -> None:
        self.entered = 0
        self.output = 0
        self.release = asyncio.Event()

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        doc = orjson.loads(body)
        prompts = doc["prompt"] if isinstance(doc["prompt"], list) else [doc["prompt"]]
        output = doc["max_tokens"] * doc.get("n", 1) * len(prompts)
        self.entered += 1
        await self.release.wait()
        self.output += output
        answer = orjson.dumps(
            {
                "choices": [],
                "usage": {"prompt_tokens": 5 * len(prompts), "completion_tokens": output},
            }
        )
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"application/json")]})  # fmt: skip
        await send({"type": "http.response.body", "body": answer})


async def burst(mw: Any, app: HeldApp, body: bytes, count: int, path: str) -> list[int]:
    """``count`` concurrent requests: each is started and decided (refused, or held in the
    app) before the next; then the app answers them all."""
    tasks, exchanges = [], []
    for _ in range(count):
        ex = Exchange(body)
        entered = app.entered
        task = asyncio.ensure_future(mw(http_scope(path, headers=bearer("sk-burst")), ex.receive,
                                        ex.send))  # fmt: skip
        while not task.done() and app.entered == entered:
            await asyncio.sleep(0)
        tasks.append(task)
        exchanges.append(ex)
    app.release.set()
    await asyncio.gather(*tasks)
    await mw.store.flush()
    return [ex.status for ex in exchanges]


@pytest.mark.parametrize("shape", ["strings", "token_lists"])
async def test_a_burst_of_prompt_batches_gets_nothing_for_free(default_mw, clock, shape) -> None:
    """/v1/completions with a list of prompts: the server generates max_tokens x n for
    every prompt. Reserved as one prompt's output (here 1,000 + the body), 30 concurrent
    requests of 50 prompts were all admitted and generated 1.5 M tokens for a charge the
    debt floor stopped at 600,000; reserved for every prompt, a burst obtains no more than
    it is charged. Default settings, both stores."""
    app = HeldApp()
    mw = default_mw(app, clock)
    if shape == "strings":
        prompt: Any = [f"Write a long essay, part {i}." for i in range(50)]
    else:
        prompt = [[1212, 318, 257, i] for i in range(50)]
    body = orjson.dumps({"model": "m", "prompt": prompt, "max_tokens": 1_000})
    statuses = await burst(mw, app, body, 30, "/v1/completions")
    assert set(statuses) <= {200, 429}
    state = await mw.store.account_state(account_of(mw, "sk-burst"), clock())
    charged = mw.limits.capacity - state["tokens"]
    assert app.output <= charged, (statuses.count(200), app.output, charged)
    assert statuses.count(200) == app.entered >= 1


@pytest.mark.parametrize(
    ("doc", "output"),
    [
        ({"prompt": ["a", "b", "c"], "max_tokens": 1_000, "n": 2}, 6_000),
        ({"prompt": [[1, 2], [3, 4]], "max_tokens": 500, "best_of": 3}, 3_000),
        ({"prompt": [1, 2, 3], "max_tokens": 500}, 500),  # one prompt of token ids
        ({"prompt": "a", "prompt_embeds": ["AAAA", "BBBB"], "max_tokens": 100}, 300),
    ],
)
async def test_every_prompt_of_a_batch_is_reserved(reserving, doc, output) -> None:
    app = EntryApp()
    mw = reserving(app)
    body = orjson.dumps({"model": "m", **doc})
    ex = Exchange(body)
    await mw(http_scope("/v1/completions", headers=bearer()), ex.receive, ex.send)
    assert ex.status == 200
    assert 100_000 - app.levels[-1] == math.ceil(len(body) / 4) + output


async def test_fetched_content_reserves_more(reserving) -> None:
    """An image by URL, a file by id, an earlier response: what the server fetches is not
    in the body's bytes, so each reference reserves MAX_OUTPUT_TOKENS on top of the body
    (README "How a request is charged"); a data: URL is in the bytes already."""
    app = EntryApp()
    mw = reserving(app, max_output_tokens=4_000, default_output_tokens=4_000)
    content = [{"type": "text", "text": "Compare these."},
               {"type": "image_url", "image_url": {"url": "https://example.com/a.png"}},
               {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}},
               {"type": "file", "file": {"file_id": "file-1"}}]  # fmt: skip
    body = chat(content, max_tokens=100)  # type: ignore[arg-type]
    assert await reserve(mw, body) == math.ceil(len(body) / 4) + 2 * 4_000 + 100


# --- a decision that raised: the request is decided like any other ---------------------


@pytest.mark.parametrize(
    "body",
    [
        b'{"model":"m","max_tokens":50,"messages":[{"role":"user","content":"hello \\ud800"}]}',
        b'{"model":"m","max_tokens":50,"messages":[{"role":"user","content":[{"type":"image_url",'
        b'"image_url":{"url":"https://x/cat.png"},"text":"\\ud800"}]}]}',
        b'{"model":"m","max_tokens":50,"messages":[{"role":"user","content":"hello"}],'
        b'"temperature":1' + b"0" * 400 + b"}",
    ],
)
async def test_inputs_that_made_the_decision_raise_are_decided(default_mw, clock, body) -> None:
    """A lone surrogate in prompt text (read by Python's json, the lenient path) and an
    integer temperature past float range made reading the request raise: the request then
    went to the model unscored and unreserved (on today's main, charged a full bucket on
    the local fallback: served once per refill). Now it is read, reserved its estimate and
    limited like any other: 3 of 6 served under 3 a minute, no internal error counted."""
    app = UsageApp()  # a Python server (json) would read the body; this one need not
    app.usage = (20, 10)
    mw = default_mw(app, clock, account_limits="3/minute")
    statuses = []
    for _ in range(6):
        ex = Exchange(body)
        await mw(http_scope(headers=bearer("sk-odd")), ex.receive, ex.send)
        statuses.append(ex.status)
    assert statuses == [200, 200, 200, 429, 429, 429]
    exposed = mw.metrics.exposition().decode()
    assert 'antiextract_internal_errors_total{stage="decide"} 0.0' in exposed


# --- usage: the response's own, whole; never an object written inside it ---------------


class LayoutApp:
    """Answers with ``answer`` (built from the request body) in 4 KiB messages, as a
    server hands a large body on; ``ctype`` JSON or SSE."""

    def __init__(self, answer: Any, ctype: bytes = b"application/json") -> None:
        self.answer, self.ctype = answer, ctype

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        out = self.answer(orjson.loads(body))
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", self.ctype)]})  # fmt: skip
        pieces = [out[i : i + 4096] for i in range(0, len(out), 4096)]
        for i, piece in enumerate(pieces):
            await send({"type": "http.response.body", "body": piece,
                        "more_body": i < len(pieces) - 1})  # fmt: skip


FORGED_TOOL = {"type": "function", "name": "f", "parameters": {"type": "object", "properties": {
    "usage": {"input_tokens": 1, "output_tokens": 1}}}}  # fmt: skip
FILLER_TOOL = {"type": "function", "name": "g", "description": "helper " * 1200}
REAL = {"input_tokens": 5_407, "output_tokens": 2_000, "total_tokens": 7_407}


def responses_object(req: dict, usage: dict = REAL) -> dict:
    """vLLM's Responses object, in its field order: the request's tools echoed before
    ``usage``, the conversation (``enable_response_messages``) after it."""
    answer = "word " * 2_000
    return {"id": "resp_1", "object": "response", "model": "m",
            "output": [{"type": "message", "role": "assistant",
                        "content": [{"type": "output_text", "text": answer}]}],
            "tools": req.get("tools", []), "status": "completed", "usage": usage, "user": None,
            "input_messages": [{"role": "user", "content": req["input"]}],
            "output_messages": [{"role": "assistant", "content": answer}]}  # fmt: skip


def responses_request(tools: list) -> bytes:
    prompt = "Summarise the following text. " + "lorem ipsum dolor sit amet " * 800
    return orjson.dumps({"model": "m", "input": prompt, "max_output_tokens": 4_096,
                         "tools": tools, "enable_response_messages": True})  # fmt: skip


async def charged_for(mw: Any, body: bytes, path: str, key: str = "sk-test-1") -> float:
    ex = Exchange(body)
    await mw(http_scope(path, headers=bearer(key)), ex.receive, ex.send)
    assert ex.status == 200
    await mw.store.flush()
    state = await mw.store.account_state(account_of(mw, key), mw.clock())
    return mw.limits.capacity - state["tokens"]


@pytest.mark.parametrize("tools", [[FILLER_TOOL], [FORGED_TOOL, FILLER_TOOL]])
async def test_a_usage_object_the_client_wrote_is_not_the_usage(default_mw, clock, tools) -> None:
    """The breaker's repro/forged_usage.py: usage was read from the answer's first and last
    16 KiB. A tool schema holding "usage": {1, 1}, echoed in the head, with the real usage
    pushed past both windows, was charged 2 tokens for 7,407 (and without it, the
    reservation, 20,224). The JSON answer is now parsed once: its top-level usage."""
    mw = default_mw(LayoutApp(lambda req: orjson.dumps(responses_object(req))), clock)
    assert await charged_for(mw, responses_request(tools), "/v1/responses") == 7_407


@pytest.mark.parametrize("shift", range(-70, 12, 3))
async def test_a_usage_object_cut_by_any_window_is_read_whole(default_mw, clock, shift) -> None:
    """The breaker's repro/truncated_usage.py: a usage object cut at byte 16,384 was read
    "as far as it went" (prompt_tokens only: 8,000 charged for 12,000) when the rest of
    the answer (prompt token ids echoed) pushed it out of the tail. Cut at every place."""
    head = (b'{"id":"chatcmpl-1","object":"chat.completion","model":"m","choices":[{"index":0,'
            b'"message":{"role":"assistant","content":"')  # fmt: skip
    after = b'"},"finish_reason":"length"}],"system_fingerprint":null,'
    usage = b'"usage":{"prompt_tokens":8000,"total_tokens":12000,"completion_tokens":4000},'
    rest = b'"prompt_token_ids":' + orjson.dumps(list(range(10_000, 18_000))) + b"}"
    fill = 16_384 - len(head) - len(after) - len(usage) // 2 + shift

    def answer(req: dict) -> bytes:
        return head + b"a" * fill + after + usage + rest

    mw = default_mw(LayoutApp(answer), clock)
    body = chat("x " * 16_000, max_tokens=4_000)
    assert await charged_for(mw, body, "/v1/chat/completions") == 12_000


async def test_past_the_kept_size_every_complete_usage_counts(default_mw, clock) -> None:
    """An answer longer than usage.KEEP is read as it passes, not kept: every complete
    usage object in it counts per field at its largest, wherever it is, so the real one
    (here in the middle of 1.5 MB, after a forged one) is never missed; one cut off
    counts for nothing."""
    usage = {"input_tokens": 9_000, "output_tokens": 3_000}

    def answer(req: dict) -> bytes:
        doc = responses_object(req, usage)
        doc["input_messages"] = [{"role": "user", "content": "z" * 1_500_000}]
        return orjson.dumps(doc) + b'"usage":{"input_tokens":99999'  # trailing garbage, cut

    mw = default_mw(LayoutApp(answer), clock)
    body = responses_request([FORGED_TOOL, FILLER_TOOL])
    assert await charged_for(mw, body, "/v1/responses") == 12_000


def responses_stream(req: dict, sep: bytes = b"\n") -> bytes:
    """A Responses stream: response.created echoes the request (tools: a forged usage
    object; usage null), text deltas, then response.completed with the whole response,
    whose usage lies between the echoed tools and 20 KB of conversation."""
    created = {"type": "response.created", "response": {**responses_object(req), "usage": None,
                                                         "output": []}}  # fmt: skip
    events = [("response.created", created)]
    events += [("response.output_text.delta",
                {"type": "response.output_text.delta", "delta": '"usage":{"output_tokens":0}'})
               ] * 50  # fmt: skip
    events.append(("response.completed",
                   {"type": "response.completed", "response": responses_object(req)}))  # fmt: skip
    return b"".join(
        b"event: " + name.encode() + sep + b"data: " + orjson.dumps(data) + sep + sep
        for name, data in events
    )


@pytest.mark.parametrize("sep", [b"\n", b"\r\n"])
async def test_a_stream_is_charged_its_own_events_usage(default_mw, clock, sep) -> None:
    """In SSE only an event's own usage counts (a chunk's top-level usage, Anthropic's
    message_start / message_delta, a Responses event's response.usage), never an object
    the response echoes (tools) or text the model wrote: here the real usage lies in the
    middle of a long response.completed event, the forged one in response.created."""
    app = LayoutApp(lambda req: responses_stream(req, sep), ctype=b"text/event-stream")
    mw = default_mw(app, clock)
    body = responses_request([FORGED_TOOL, FILLER_TOOL])
    assert await charged_for(mw, body, "/v1/responses") == 7_407


# --- the usage reader on its own: any layout, any cut ------------------------------------

FIELD_NAMES = ("prompt_tokens", "completion_tokens", "input_tokens", "output_tokens",
               "cache_creation_input_tokens", "cache_read_input_tokens")  # fmt: skip


def usage_total(*usages: dict[str, int]) -> int | None:
    """Prompt + output of usage objects taken per field at their largest (usage.py)."""
    best: dict[str, int] = {}
    for u in usages:
        for k, v in u.items():
            best[k] = max(best.get(k, 0), v)
    if not best:
        return None
    prompt = max(best.get("prompt_tokens", 0), best.get("input_tokens", 0)
                 + best.get("cache_creation_input_tokens", 0)
                 + best.get("cache_read_input_tokens", 0))  # fmt: skip
    return prompt + max(best.get("completion_tokens", 0), best.get("output_tokens", 0))


counts = st.integers(0, 60_000)
openai_usage = st.fixed_dictionaries({"prompt_tokens": counts, "completion_tokens": counts})
anthropic_usage = st.fixed_dictionaries(
    {"input_tokens": counts, "output_tokens": counts},
    optional={"cache_creation_input_tokens": counts, "cache_read_input_tokens": counts},
)
forged_usage = st.dictionaries(st.sampled_from(FIELD_NAMES), counts, min_size=1)
fillers = st.sampled_from([0, 300, 20_000, 40_000])


@st.composite
def answers(draw: st.DrawFn) -> tuple[bytes, bool, int | None]:
    """(body, is SSE, the usage it must be read as). Every layout carries forged usage
    objects where servers put client- or model-written JSON (echoed tools, a tool_use
    input, tool arguments as text, content text) and filler that moves the real usage
    anywhere relative to any window."""
    kind = draw(st.sampled_from(["openai_json", "anthropic_json", "responses_json",
                                 "responses_json_huge", "openai_sse", "anthropic_sse",
                                 "responses_sse", "openai_sse_none"]))  # fmt: skip
    forged = draw(forged_usage)
    fill = "z" * draw(fillers)
    text = '"usage":' + orjson.dumps(forged).decode()  # text: escaped in JSON
    if kind == "openai_json":
        real = draw(openai_usage)
        doc = {"choices": [{"message": {"content": fill + text, "tool_calls": [
            {"function": {"name": "f", "arguments": text}}]}}], "usage": real,
            "prompt_token_ids": list(range(draw(st.integers(0, 5_000))))}  # fmt: skip
        return orjson.dumps(doc), False, usage_total(real)
    if kind == "anthropic_json":
        real = draw(anthropic_usage)
        blocks = [{"type": "text", "text": fill}, {"type": "tool_use", "input": {"usage": forged}}]
        doc = {"content": blocks, "usage": real}
        return orjson.dumps(doc), False, usage_total(real)
    if kind.startswith("responses_json"):
        real = draw(anthropic_usage)
        huge = kind.endswith("huge")
        echo = "y" * (1_100_000 if huge else len(fill))
        doc = {"output": [{"type": "message", "content": [{"text": fill}]}],
               "tools": [{"type": "function", "parameters": {"usage": forged}}], "usage": real,
               "input_messages": [{"content": echo}]}  # fmt: skip
        # past usage.KEEP every complete usage object counts per field at its largest
        return orjson.dumps(doc), False, usage_total(real, forged) if huge else usage_total(real)
    sep = draw(st.sampled_from(["\n", "\r\n", "\r"]))

    def event(data: Any, name: str | None = None) -> str:
        head = f"event: {name}{sep}" if name else ""
        return f"{head}data: {orjson.dumps(data).decode()}{sep}{sep}"

    delta = {"choices": [{"delta": {"content": fill[:50] + text}}], "usage": None}
    deltas = draw(st.integers(0, 40))
    if kind.startswith("openai_sse"):
        real = draw(openai_usage)
        body = event(delta) * deltas
        if kind == "openai_sse":
            body += event({"choices": [], "usage": real})
        body += f"data: [DONE]{sep}{sep}"
        return body.encode(), True, usage_total(real) if kind == "openai_sse" else None
    if kind == "anthropic_sse":
        real = draw(anthropic_usage)
        start = {**real, "output_tokens": 1}
        body = event({"type": "message_start", "message": {"content": [], "usage": start}},
                     "message_start")  # fmt: skip
        body += (
            event(
                {
                    "type": "content_block_delta",
                    "delta": {"type": "input_json_delta", "partial_json": text},
                },
                "content_block_delta",
            )
            * deltas
        )
        body += event({"type": "message_delta", "usage": {"output_tokens": real["output_tokens"]}},
                      "message_delta")  # fmt: skip
        return body.encode(), True, usage_total(start, real)
    real = draw(anthropic_usage)
    tools = [{"type": "function", "parameters": {"usage": forged}}]
    body = event({"type": "response.created", "response": {"tools": tools, "usage": None}})
    body += event({"type": "response.output_text.delta", "delta": text}) * deltas
    body += event({"type": "response.completed", "response": {
        "output": [{"content": [{"text": fill}]}], "tools": tools, "usage": real,
        "input_messages": [{"content": fill}]}})  # fmt: skip
    return body.encode(), True, usage_total(real)


@hsettings(max_examples=300, deadline=None, suppress_health_check=SLOW)
@given(answer=answers(), cuts=st.lists(st.integers(0, 1 << 21), max_size=12), data=st.data())
def test_usage_is_the_responses_own_however_the_body_is_cut(answer, cuts, data) -> None:
    """usage.UsageReader fed the body in any pieces reads exactly the response's own
    usage: never an object or text the client or the model wrote, never an object cut
    off, whatever the line endings; past usage.KEEP the largest per field of the
    complete usage objects (the real one among them)."""
    body, stream, expected = answer
    points = sorted({c % (len(body) + 1) for c in cuts})
    if data.draw(st.booleans()):  # cut right around the real usage object too
        at = body.rfind(b'"usage":{')
        points = sorted({*points, *(p for p in range(at - 3, at + 40) if 0 < p < len(body))})
    reader = UsageReader(stream)
    start = 0
    for point in [*points, len(body)]:
        reader.feed(body[start:point])
        start = point
    assert reader.tokens() == expected
    assert reader.size == len(body)
