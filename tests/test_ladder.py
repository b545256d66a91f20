"""The policy ladder end to end: degrade, shadow mode, proof-of-work challenge and block,
over real HTTP on loopback with the official SDKs (and raw httpx where the wire matters),
on the memory store and on Redis.

Each stack is ``Recorder(middleware(Recorder(fake model server)))``: the outer recorder
counts what reached the middleware (so SDK retries show), the inner one keeps the exact
bytes that reached the model server. A ``force``d inner recorder plays a backend that
ignores what the degraded request asked for, so the response filters have work to do.

Redis: db 12, keys under their own prefix (deleted before each stack; the database is
shared with a benchmark, so it is not flushed).
"""

from __future__ import annotations

import asyncio
import io
import json
import time
import uuid
from dataclasses import dataclass
from typing import Any

import anthropic
import httpx
import openai
import pytest
import redis

from antiextract import AntiExtractMiddleware, Settings
from antiextract.audit import make_logger
from antiextract.client import anthropic_http_client, http_client, openai_http_client
from antiextract.request.challenge import peek, solve
from antiextract.request.identity import digest
from antiextract.store.passes import ALLOWANCE_REQUESTS

from .conftest import redis_url
from .servers import load_example, serve

REDIS_URL = redis_url(12)
PREFIX = "aeladder"
STORES = [pytest.param("memory://", id="memory"), pytest.param(REDIS_URL, id="redis")]
SECRET = "test-secret-0123456789"
CAP = 20  # degrade_max_output_tokens

OAI = load_example("openai_server")
ANT = load_example("anthropic_server")

DEGRADE = {
    "degrade_at": 0.0,
    "challenge_enabled": False,
    "block_at": 1000.0,
    "degrade_max_output_tokens": CAP,
}
CHALLENGE = {
    "degrade_at": 0.0,
    "challenge_at": 0.0,
    "block_at": 1000.0,
    "challenge_base_bits": 8,
    "challenge_max_bits": 10,
    "secret": SECRET,
    "degrade_max_output_tokens": CAP,
}
# every threshold at 0 (they must rise in order): the store blocks before the policy looks
BLOCK = {"block_at": 0.0, "degrade_at": 0.0, "challenge_at": 0.0}
REASONING = ("reasoning_content", "reasoning", "reasoning_details")
THINKING = {"type": "enabled", "budget_tokens": 2048}


# --- harness ----------------------------------------------------------------------------


@dataclass
class Seen:
    path: str
    headers: dict[str, str]
    body: bytes

    def json(self) -> Any:
        return json.loads(self.body)


class Recorder:
    """ASGI wrapper that records each HTTP request on its way in (whole body read first,
    then replayed). ``force``: keys merged into JSON bodies after recording."""

    def __init__(self, app: Any, force: dict[str, Any] | None = None) -> None:
        self.app, self.force = app, force
        self.requests: list[Seen] = []
        self.loop: asyncio.AbstractEventLoop | None = None

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        self.loop = asyncio.get_running_loop()
        body, more = b"", True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                break
            body += message.get("body", b"")
            more = message.get("more_body", False)
        headers = {k.decode("latin-1"): v.decode("latin-1") for k, v in scope["headers"]}
        self.requests.append(Seen(scope["path"], headers, body))
        if self.force:
            body = json.dumps({**json.loads(body), **self.force}).encode()
            kept = [(k, v) for k, v in scope["headers"] if k != b"content-length"]
            scope = {**scope, "headers": [*kept, (b"content-length", str(len(body)).encode())]}
        delivered = False

        async def replay() -> Any:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": body, "more_body": False}
            return await receive()

        await self.app(scope, replay, send)


@dataclass
class Stack:
    outer: Recorder  # what reached the middleware
    mw: AntiExtractMiddleware
    inner: Recorder  # what reached the model server
    log: io.StringIO

    def events(self, action: str | None = None) -> list[dict[str, Any]]:
        lines = [json.loads(x) for x in self.log.getvalue().splitlines() if x.startswith("{")]
        decisions = [e for e in lines if e.get("event") == "antiextract.decision"]
        return [e for e in decisions if action is None or e["action"] == action]

    def challenges(self) -> list[tuple[int, str | None]]:
        text = self.log.getvalue()
        assert "store_unavailable" not in text, text[-2000:]
        return [(e["status"], e["challenge"]) for e in self.events("challenge")]

    def account(self, api_key: str) -> str:
        """The store's account key for an API key, as the middleware computes it."""
        key = self.mw.hash_key
        return digest("key:" + digest(api_key.encode(), key), key)

    def on_server_loop(self, coro: Any) -> Any:
        """Run ``coro`` on the server's event loop (the Redis client's connections live
        there); a request must have been served first."""
        assert self.outer.loop is not None
        return asyncio.run_coroutine_threadsafe(coro, self.outer.loop).result(10)


_prefix = PREFIX


def clear_redis() -> None:
    client = redis.Redis.from_url(REDIS_URL)
    try:
        keys = list(client.scan_iter(match=f"{PREFIX}*", count=1000))
        if keys:
            client.delete(*keys)
    finally:
        client.close()


def stack(
    example: str,
    uri: str = "memory://",
    *,
    fresh: bool = True,
    force: dict[str, Any] | None = None,
    **kw: Any,
) -> Stack:
    global _prefix
    if fresh:
        # a namespace of its own per test: no state of an earlier test can leak in
        _prefix = f"{PREFIX}{uuid.uuid4().hex[:8]}"
        if uri.startswith("redis"):
            clear_redis()
    inner = Recorder(load_example(example).create_app(), force)
    log = io.StringIO()
    settings = Settings(storage_uri=uri, key_prefix=_prefix, **kw)
    mw = AntiExtractMiddleware(inner, settings, logger=make_logger(stream=log))
    return Stack(Recorder(mw), mw, inner, log)


def ask(content: str) -> list[dict[str, str]]:
    return [{"role": "user", "content": content}]


def no_reasoning(fields: dict[str, Any] | None) -> bool:
    return not any(key in (fields or {}) for key in REASONING)


# --- 1. degrade -------------------------------------------------------------------------


@pytest.mark.parametrize("stubborn", [False, True], ids=["backend-obeys", "backend-ignores"])
@pytest.mark.parametrize("uri", STORES)
def test_degraded_chat_completion(uri: str, stubborn: bool) -> None:
    force = {"logprobs": True, "include_reasoning": True} if stubborn else None
    s = stack("openai_server", uri, force=force, **DEGRADE)
    prompt = "degrade this chat answer please"
    with serve(s.outer) as url:
        client = openai.OpenAI(base_url=f"{url}/v1", api_key="sk-degrade", max_retries=0)
        raw = client.chat.completions.with_raw_response.create(
            model="fake-model",
            messages=ask(prompt),
            logprobs=True,
            top_logprobs=2,
            n=3,
            max_tokens=4000,
        )
        completion = raw.parse()
    # the request the model server saw
    (seen,) = s.inner.requests
    sent = seen.json()
    assert sent["max_tokens"] == CAP and sent["n"] == 1
    assert "logprobs" not in sent and "top_logprobs" not in sent
    assert sent["include_reasoning"] is False
    assert int(seen.headers["content-length"]) == len(seen.body)
    # the raw answer
    doc = json.loads(raw.content)
    assert int(raw.headers["content-length"]) == len(raw.content)
    assert len(doc["choices"]) == 1
    assert no_reasoning(doc["choices"][0]["message"])
    assert doc["choices"][0]["logprobs"] is None
    # what the SDK parsed
    assert len(completion.choices) == 1
    choice = completion.choices[0]
    assert no_reasoning(choice.message.model_extra)
    assert choice.logprobs is None
    assert choice.message.content == OAI.generate(prompt, CAP).text
    assert len(choice.message.content.split()) == CAP
    assert completion.usage is not None and completion.usage.completion_tokens <= CAP
    assert [(e["status"], e["enforced"]) for e in s.events()] == [(200, True)]
    assert s.events("degrade")


@pytest.mark.parametrize("stubborn", [False, True], ids=["backend-obeys", "backend-ignores"])
@pytest.mark.parametrize("uri", STORES)
def test_degraded_chat_stream(uri: str, stubborn: bool) -> None:
    s = stack("openai_server", uri, force={"logprobs": True} if stubborn else None, **DEGRADE)
    prompt = "stream a degraded answer"
    params: dict[str, Any] = {
        "model": "fake-model",
        "messages": ask(prompt),
        "logprobs": True,
        "top_logprobs": 2,
        "n": 3,
        "max_tokens": 4000,
        "stream": True,
        "stream_options": {"include_usage": True},
    }
    with serve(s.outer) as url:
        client = openai.OpenAI(base_url=f"{url}/v1", api_key="sk-degrade", max_retries=0)
        chunks = list(client.chat.completions.create(**params))
        with httpx.Client(base_url=url) as http:
            wire = http.post(
                "/v1/chat/completions", json=params, headers={"authorization": "Bearer sk-x"}
            )
    choices = [c for chunk in chunks for c in chunk.choices]
    assert choices and {c.index for c in choices} == {0}
    assert all(no_reasoning(c.delta.model_extra) for c in choices)
    assert all(c.logprobs is None for c in choices)
    text = "".join(c.delta.content or "" for c in choices)
    assert text == OAI.generate(prompt, CAP).text
    usage = chunks[-1].usage
    assert usage is not None and usage.completion_tokens == CAP
    # on the wire: no reasoning, no log-probabilities, [DONE] at the end
    assert wire.status_code == 200
    assert wire.headers["content-type"].startswith("text/event-stream")
    assert b"reasoning" not in wire.content and b'"logprob"' not in wire.content
    assert wire.content.endswith(b"data: [DONE]\n\n")
    events = [e for e in wire.content.split(b"\n\n") if e]
    assert all(e.startswith(b"data: ") for e in events)
    assert len(s.inner.requests) == 2 and all(r.json()["n"] == 1 for r in s.inner.requests)


@pytest.mark.parametrize("uri", STORES)
def test_degraded_responses_api(uri: str) -> None:
    s = stack("openai_server", uri, **DEGRADE)
    prompt = "responses without reasoning"
    params: dict[str, Any] = {
        "model": "fake-model",
        "input": prompt,
        "reasoning": {"effort": "high", "summary": "auto"},
        "include": ["reasoning.encrypted_content"],
        "max_output_tokens": 4000,
    }
    expected = OAI.generate(prompt, CAP).text
    with serve(s.outer) as url:
        client = openai.OpenAI(base_url=f"{url}/v1", api_key="sk-resp", max_retries=0)
        response = client.responses.create(**params)
        with client.responses.stream(**params) as stream:  # accumulates by output_index
            events = list(stream)
    assert [item.type for item in response.output] == ["message"]
    assert response.output_text == expected
    for seen in s.inner.requests:
        sent = seen.json()
        assert sent["max_output_tokens"] == CAP
        assert sent["reasoning"] == {"effort": "low"} and sent["include"] == []
    kinds = [e.type for e in events]
    assert not [k for k in kinds if "reasoning" in k]
    assert kinds[-1] == "response.incomplete"  # capped at CAP words
    added = [e.item.type for e in events if e.type == "response.output_item.added"]
    assert added == ["message"]
    assert {e.output_index for e in events if hasattr(e, "output_index")} == {0}
    assert "".join(e.delta for e in events if e.type == "response.output_text.delta") == expected
    assert [item.type for item in events[-1].response.output] == ["message"]


@pytest.mark.parametrize("stubborn", [False, True], ids=["backend-obeys", "backend-ignores"])
@pytest.mark.parametrize("uri", STORES)
def test_degraded_anthropic_messages(uri: str, stubborn: bool) -> None:
    force = {"thinking": THINKING} if stubborn else None
    s = stack("anthropic_server", uri, force=force, **DEGRADE)
    prompt = "think about this degraded message"
    params: dict[str, Any] = {
        "model": "fake-model",
        "max_tokens": 4000,
        "thinking": THINKING,
        "messages": ask(prompt),
    }
    expected, _ = ANT.answer(prompt, CAP)
    with serve(s.outer) as url:
        client = anthropic.Anthropic(base_url=url, api_key="sk-ant-degrade", max_retries=0)
        message = client.messages.create(**params)
        with client.messages.stream(**params) as stream:
            streamed = "".join(stream.text_stream)
            final = stream.get_final_message()
    for got in (message, final):
        assert [block.type for block in got.content] == ["text"]
        assert got.content[0].text == expected
        assert got.usage.output_tokens <= CAP
    assert streamed == expected
    assert len(s.inner.requests) == 2
    for seen in s.inner.requests:
        sent = seen.json()
        assert "thinking" not in sent and sent["max_tokens"] == CAP
        assert int(seen.headers["content-length"]) == len(seen.body)


@pytest.mark.parametrize("uri", STORES)
def test_degraded_anthropic_stream_on_the_wire(uri: str) -> None:
    """A backend that thinks anyway: thinking events go, the text block becomes index 0."""
    s = stack("anthropic_server", uri, force={"thinking": THINKING}, **DEGRADE)
    body = {"model": "m", "max_tokens": 4000, "messages": ask("wire"), "stream": True}
    with serve(s.outer) as url, httpx.Client(base_url=url) as http:
        wire = http.post("/v1/messages", json=body, headers={"x-api-key": "sk-ant-wire"})
    assert wire.status_code == 200
    assert b"thinking" not in wire.content and b"signature" not in wire.content
    datas = [
        json.loads(line[6:]) for line in wire.content.splitlines() if line.startswith(b"data: ")
    ]
    assert {d["index"] for d in datas if "index" in d} == {0}
    text = "".join(d["delta"]["text"] for d in datas if d["type"] == "content_block_delta")
    assert text == ANT.answer("wire", CAP)[0]


UNTOUCHED = [
    pytest.param(
        "anthropic_server",
        "/v1/messages",
        b'{ "model" : "fake-model",\n  "max_tokens": 16,  "messages": '
        b'[{"role": "user", "content": "caf\\u00e9 untouched"}] }',
        id="anthropic",
    ),
    pytest.param(
        "openai_server",
        "/v1/responses",
        b'{"input":  "untouched",\t"model":"fake-model", "max_output_tokens": 5 }',
        id="responses",
    ),
]


@pytest.mark.parametrize(("example", "path", "body"), UNTOUCHED)
@pytest.mark.parametrize("uri", STORES)
def test_degraded_request_needing_no_rewrite_is_byte_identical(
    uri: str, example: str, path: str, body: bytes
) -> None:
    s = stack(example, uri, **DEGRADE)
    headers = {"content-type": "application/json", "authorization": "Bearer sk-same"}
    with serve(s.outer) as url, httpx.Client(base_url=url) as http:
        answer = http.post(path, content=body, headers=headers)
    assert answer.status_code == 200
    (seen,) = s.inner.requests
    assert seen.body == body
    assert seen.headers["content-length"] == str(len(body))
    assert [e["action"] for e in s.events()] == ["degrade"]


# --- 2. shadow mode -------------------------------------------------------------------


@pytest.mark.parametrize("uri", STORES)
def test_shadow_mode_logs_degrade_but_changes_nothing(uri: str) -> None:
    s = stack("openai_server", uri, mode="shadow", **DEGRADE)
    with serve(s.outer) as url:
        client = openai.OpenAI(base_url=f"{url}/v1", api_key="sk-shadow", max_retries=0)
        raw = client.chat.completions.with_raw_response.create(
            model="fake-model", messages=ask("shadow"), logprobs=True, n=3, max_tokens=4000
        )
        completion = raw.parse()
    assert len(completion.choices) == 3
    for choice in completion.choices:
        assert choice.message.model_extra["reasoning_content"]
        assert choice.logprobs is not None and choice.logprobs.content
    assert len(completion.choices[0].message.content.split()) == 200  # not capped
    sent = s.inner.requests[0].json()
    assert sent["n"] == 3 and sent["logprobs"] is True and sent["max_tokens"] == 4000
    events = s.events()
    assert len(events) == 1
    assert events[0]["action"] == "degrade" and events[0]["enforced"] is False
    assert events[0]["status"] == 200


# --- 3. challenge ---------------------------------------------------------------------


@pytest.mark.parametrize("sdk", ["openai", "anthropic"])
@pytest.mark.parametrize("uri", STORES)
def test_challenge_without_helper_is_permission_denied_and_not_retried(uri: str, sdk: str) -> None:
    example = "openai_server" if sdk == "openai" else "anthropic_server"
    s = stack(example, uri, **CHALLENGE)
    with serve(s.outer) as url:
        if sdk == "openai":
            client = openai.OpenAI(base_url=f"{url}/v1", api_key="sk-nohelp", max_retries=3)
            with pytest.raises(openai.PermissionDeniedError) as err:
                client.chat.completions.create(model="fake-model", messages=ask("hi"))
            assert err.value.code == "challenge_required"
        else:
            aclient = anthropic.Anthropic(base_url=url, api_key="sk-nohelp", max_retries=3)
            with pytest.raises(anthropic.PermissionDeniedError) as err:
                aclient.messages.create(model="fake-model", max_tokens=8, messages=ask("hi"))
            assert err.value.body["error"]["type"] == "permission_error"
    assert err.value.status_code == 403
    headers = err.value.response.headers
    assert headers["x-should-retry"] == "false"
    assert peek(headers["antiextract-challenge"]).difficulty == 8
    assert len(s.outer.requests) == 1  # no SDK retry
    assert s.inner.requests == []  # the model was never called
    assert s.challenges() == [(403, None)]


def openai_calls(client: Any, n: int) -> list[Any]:
    return [
        client.chat.completions.create(model="fake-model", messages=ask(f"q{i}"), max_tokens=50)
        for i in range(n)
    ]


def assert_one_challenge_then_allowance(s: Stack, n: int) -> None:
    assert s.challenges() == [(403, None), (200, "solved")] + [(200, "allowance")] * (n - 1)
    assert len(s.outer.requests) == n + 1  # the challenged request was sent twice
    assert len(s.inner.requests) == n
    solution = [r.headers.get("antiextract-solution") for r in s.outer.requests]
    assert solution[0] is None and solution[1]  # the resend carries the solution
    assert solution[2:] == [None] * (n - 1)  # the allowance needs none


@pytest.mark.parametrize("uri", STORES)
def test_openai_sync_helper_solves_once_then_uses_the_allowance(uri: str) -> None:
    s = stack("openai_server", uri, **CHALLENGE)
    with serve(s.outer) as url, openai_http_client() as http:
        client = openai.OpenAI(base_url=f"{url}/v1", api_key="sk-help", http_client=http)
        answers = openai_calls(client, 3)
    for i, answer in enumerate(answers):
        message = answer.choices[0].message
        assert message.content == OAI.generate(f"q{i}", CAP).text  # solved, still degraded
        assert no_reasoning(message.model_extra)
    assert_one_challenge_then_allowance(s, 3)


@pytest.mark.parametrize("uri", STORES)
async def test_openai_async_helper_solves_once_then_uses_the_allowance(uri: str) -> None:
    s = stack("openai_server", uri, **CHALLENGE)
    with serve(s.outer) as url:
        async with openai_http_client(sync=False) as http:
            client = openai.AsyncOpenAI(base_url=f"{url}/v1", api_key="sk-help", http_client=http)
            answers = [
                await client.chat.completions.create(
                    model="fake-model", messages=ask(f"q{i}"), max_tokens=50
                )
                for i in range(3)
            ]
    assert [a.choices[0].message.content.split()[1] for a in answers] == ["q0", "q1", "q2"]
    assert_one_challenge_then_allowance(s, 3)


def anthropic_calls(client: Any, n: int) -> list[Any]:
    return [
        client.messages.create(
            model="fake-model", max_tokens=4000, thinking=THINKING, messages=ask(f"a{i}")
        )
        for i in range(n)
    ]


@pytest.mark.parametrize("uri", STORES)
def test_anthropic_sync_helper_solves_once_then_uses_the_allowance(uri: str) -> None:
    s = stack("anthropic_server", uri, **CHALLENGE)
    with serve(s.outer) as url, anthropic_http_client() as http:
        client = anthropic.Anthropic(base_url=url, api_key="sk-ant-help", http_client=http)
        answers = anthropic_calls(client, 3)
    for i, answer in enumerate(answers):
        assert [b.type for b in answer.content] == ["text"]
        assert answer.content[0].text == ANT.answer(f"a{i}", CAP)[0]
    assert_one_challenge_then_allowance(s, 3)


@pytest.mark.parametrize("uri", STORES)
async def test_anthropic_async_helper_solves_once_then_uses_the_allowance(uri: str) -> None:
    s = stack("anthropic_server", uri, **CHALLENGE)
    with serve(s.outer) as url:
        async with anthropic_http_client(sync=False) as http:
            client = anthropic.AsyncAnthropic(base_url=url, api_key="sk-ant-help", http_client=http)
            answers = [
                await client.messages.create(
                    model="fake-model", max_tokens=4000, thinking=THINKING, messages=ask(f"a{i}")
                )
                for i in range(3)
            ]
    assert [[b.type for b in a.content] for a in answers] == [["text"]] * 3
    assert_one_challenge_then_allowance(s, 3)


CHAT = {"model": "fake-model", "messages": ask("hello"), "max_tokens": 8}


def bearer(key: str, solution: str | None = None) -> dict[str, str]:
    headers = {"authorization": f"Bearer {key}"}
    if solution:
        headers["AntiExtract-Solution"] = solution
    return headers


def solved(http: Any, key: str) -> str:
    """Get a challenge for ``key`` and return the solution header value."""
    refused = http.post("/v1/chat/completions", json=CHAT, headers=bearer(key))
    assert refused.status_code == 403
    token = refused.headers["antiextract-challenge"]
    return f"{token}:{solve(token)}"


@pytest.mark.parametrize("uri", STORES)
def test_allowance_runs_out_and_the_helper_pays_again(uri: str) -> None:
    s = stack("openai_server", uri, **CHALLENGE)
    n = ALLOWANCE_REQUESTS + 1
    with serve(s.outer) as url, http_client("openai") as http:
        statuses = [
            http.post(f"{url}/v1/chat/completions", json=CHAT, headers=bearer("sk-n")).status_code
            for _ in range(n)
        ]
    assert statuses == [200] * n
    refused = [c for c in s.challenges() if c[0] == 403]
    assert len(refused) == 2  # one challenge per ALLOWANCE_REQUESTS requests
    assert [c for c in s.challenges() if c[1] == "solved"] == [(200, "solved")] * 2
    assert len(s.outer.requests) == n + 2 and len(s.inner.requests) == n


@pytest.mark.parametrize("uri", STORES)
def test_replayed_solution_is_refused(uri: str) -> None:
    s = stack("openai_server", uri, **CHALLENGE)
    with serve(s.outer) as url, httpx.Client(base_url=url) as http:
        solution = solved(http, "sk-replay")
        first = http.post("/v1/chat/completions", json=CHAT, headers=bearer("sk-replay", solution))
        assert first.status_code == 200
        for _ in range(ALLOWANCE_REQUESTS - 1):  # spend the allowance
            ok = http.post("/v1/chat/completions", json=CHAT, headers=bearer("sk-replay"))
            assert ok.status_code == 200
        again = http.post("/v1/chat/completions", json=CHAT, headers=bearer("sk-replay", solution))
    assert again.status_code == 403
    assert again.json()["error"]["code"] == "challenge_required"
    assert again.headers["antiextract-challenge"] != solution.split(":")[0]  # a new one
    assert s.challenges()[-1] == (403, "replayed")
    assert len(s.inner.requests) == ALLOWANCE_REQUESTS
    if not uri.startswith("redis"):
        return
    # a fresh replica sharing the Redis store refuses it too
    other = stack("openai_server", uri, fresh=False, **CHALLENGE)
    with serve(other.outer) as url, httpx.Client(base_url=url) as http:
        replayed = http.post(
            "/v1/chat/completions", json=CHAT, headers=bearer("sk-replay", solution)
        )
    assert replayed.status_code == 403
    assert other.challenges() == [(403, "replayed")]
    assert other.inner.requests == []


@pytest.mark.parametrize("uri", STORES)
def test_solution_for_another_account_is_refused(uri: str) -> None:
    s = stack("openai_server", uri, **CHALLENGE)
    with serve(s.outer) as url, httpx.Client(base_url=url) as http:
        solution = solved(http, "sk-alice")
        stolen = http.post("/v1/chat/completions", json=CHAT, headers=bearer("sk-bob", solution))
        own = http.post("/v1/chat/completions", json=CHAT, headers=bearer("sk-alice", solution))
    assert stolen.status_code == 403
    assert own.status_code == 200  # the failed attempt did not burn the token
    assert s.challenges() == [(403, None), (403, "wrong_account"), (200, "solved")]
    assert len(s.inner.requests) == 1


@pytest.mark.parametrize("uri", STORES)
def test_token_issued_before_a_secret_rotation_still_verifies(uri: str) -> None:
    """challenge_secret=A issues; challenge_secret=B with previous_challenge_secrets=A must
    accept the solution (SECRET, which keys the accounts, stays put)."""
    old_secret, new_secret = "rotation-secret-A-0123456789", "rotation-secret-B-0123456789"
    before = stack("openai_server", uri, **{**CHALLENGE, "challenge_secret": old_secret})
    with serve(before.outer) as url, httpx.Client(base_url=url) as http:
        solution = solved(http, "sk-rotate")
    after = stack(
        "openai_server",
        uri,
        fresh=False,
        **{**CHALLENGE, "challenge_secret": new_secret, "previous_challenge_secrets": old_secret},
    )
    with serve(after.outer) as url, httpx.Client(base_url=url) as http:
        answer = http.post("/v1/chat/completions", json=CHAT, headers=bearer("sk-rotate", solution))
    assert after.challenges() == [(200, "solved")]
    assert answer.status_code == 200
    assert len(after.inner.requests) == 1


@pytest.mark.parametrize("uri", STORES)
def test_token_of_an_unrelated_secret_is_refused(uri: str) -> None:
    elsewhere = stack("openai_server", uri, **{**CHALLENGE, "secret": "unrelated-secret-0123456"})
    with serve(elsewhere.outer) as url, httpx.Client(base_url=url) as http:
        solution = solved(http, "sk-forge")
    s = stack("openai_server", uri, fresh=False, **CHALLENGE)
    with serve(s.outer) as url, httpx.Client(base_url=url) as http:
        answer = http.post("/v1/chat/completions", json=CHAT, headers=bearer("sk-forge", solution))
    assert answer.status_code == 403
    assert s.challenges() == [(403, "forged")]


# --- 4. block -------------------------------------------------------------------------


@pytest.mark.parametrize("uri", STORES)
def test_risk_block_openai(uri: str) -> None:
    s = stack("openai_server", uri, **BLOCK)
    with serve(s.outer) as url:
        client = openai.OpenAI(base_url=f"{url}/v1", api_key="sk-blocked", max_retries=3)
        with pytest.raises(openai.PermissionDeniedError) as err:
            client.chat.completions.create(model="fake-model", messages=ask("hi"))
    assert err.value.status_code == 403
    assert err.value.body["code"] == "account_blocked" and err.value.code == "account_blocked"
    assert err.value.body["type"] == "permission_error"
    assert err.value.response.headers["x-should-retry"] == "false"
    assert int(err.value.response.headers["retry-after"]) == 3600  # block_seconds
    assert len(s.outer.requests) == 1 and s.inner.requests == []
    assert [(e["action"], e["status"]) for e in s.events()] == [("block", 403)]


@pytest.mark.parametrize("uri", STORES)
def test_risk_block_anthropic(uri: str) -> None:
    s = stack("anthropic_server", uri, **BLOCK)
    with serve(s.outer) as url:
        client = anthropic.Anthropic(base_url=url, api_key="sk-ant-blocked", max_retries=3)
        with pytest.raises(anthropic.PermissionDeniedError) as err:
            client.messages.create(model="fake-model", max_tokens=8, messages=ask("hi"))
    assert err.value.status_code == 403
    assert err.value.body["type"] == "error"
    assert err.value.body["error"]["type"] == "permission_error"
    assert "blocked" in err.value.body["error"]["message"]
    assert err.value.response.headers["x-should-retry"] == "false"
    assert len(s.outer.requests) == 1 and s.inner.requests == []


@pytest.mark.parametrize("uri", STORES)
def test_operator_block(uri: str) -> None:
    s = stack("openai_server", uri)  # default thresholds: ordinary traffic is allowed
    with serve(s.outer) as url:
        client = openai.OpenAI(base_url=f"{url}/v1", api_key="sk-operator", max_retries=3)
        other = openai.OpenAI(base_url=f"{url}/v1", api_key="sk-bystander", max_retries=0)
        assert client.chat.completions.create(model="m", messages=ask("before")).choices
        now = time.time()
        s.on_server_loop(s.mw.store.block(s.account("sk-operator"), now + 60, now))
        with pytest.raises(openai.PermissionDeniedError) as err:
            client.chat.completions.create(model="m", messages=ask("after"))
        assert other.chat.completions.create(model="m", messages=ask("fine")).choices
    assert err.value.code == "account_blocked"
    assert err.value.response.headers["x-should-retry"] == "false"
    assert 1 <= int(err.value.response.headers["retry-after"]) <= 60
    assert len(s.outer.requests) == 3 and len(s.inner.requests) == 2
    assert [e["action"] for e in s.events()] == ["block"]
