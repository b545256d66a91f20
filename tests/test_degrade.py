"""DEGRADE: request rewriting, JSON and SSE response filtering, on the fake servers' real
output, cut at every possible point, and parsed by the official SDKs over loopback."""

from __future__ import annotations

import asyncio
import copy
import functools
import io
import json
from collections.abc import Callable
from typing import Any

import anthropic
import openai
import orjson
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from antiextract import AntiExtractMiddleware, Settings
from antiextract.audit import make_logger
from antiextract.request import degrade
from antiextract.request.degrade import (
    DegradePlan,
    JsonFilter,
    SSEFilter,
    filter_json_body,
    response_filter,
    rewrite_request,
)
from antiextract.request.identity import digest

from .asgi import Exchange, http_scope
from .servers import load_example, serve

PLAN = DegradePlan(max_output_tokens=16)
USER = [{"role": "user", "content": "What is the capital of France?"}]

# --------------------------------------------------------------------------- real traffic


def call(app: Any, path: str, body: dict[str, Any]) -> tuple[int, dict[str, str], list[bytes]]:
    """One request to an ASGI app: status, headers and the body chunks exactly as sent."""

    async def run() -> Exchange:
        scope = http_scope(path)
        scope["asgi"] = {"version": "3.0", "spec_version": "2.4"}  # no disconnect listener
        exchange = Exchange(orjson.dumps(body))
        await app(scope, exchange.receive, exchange.send)
        return exchange

    exchange = asyncio.run(run())
    chunks = [
        m["body"] for m in exchange.sent if m["type"] == "http.response.body" and m.get("body")
    ]
    return exchange.status, exchange.headers, chunks


@functools.cache
def openai_app() -> Any:
    return load_example("openai_server").create_app()


@functools.cache
def anthropic_app() -> Any:
    return load_example("anthropic_server").create_app()


CHAT = {
    "model": "fake-model",
    "messages": USER,
    "logprobs": True,
    "top_logprobs": 2,
    "n": 2,
    "max_tokens": 6,
}
COMPLETION = {"model": "fake-model", "prompt": "Say hello", "logprobs": 2, "n": 2, "max_tokens": 6}
RESPONSE = {
    "model": "fake-model",
    "input": "What is the capital of France?",
    "max_output_tokens": 6,
}
MESSAGE = {
    "model": "fake-model",
    "messages": USER,
    "max_tokens": 6,
    "thinking": {"type": "enabled", "budget_tokens": 1024},
}
USAGE = {"stream_options": {"include_usage": True}}

# name -> (family, app, path, streamed request)
STREAMS: dict[str, tuple[str, Callable[[], Any], str, dict[str, Any]]] = {
    "chat": ("openai.chat", openai_app, "/v1/chat/completions", {**CHAT, **USAGE}),
    "completions": (
        "openai.completions",
        openai_app,
        "/v1/completions",
        {**COMPLETION, **USAGE},
    ),
    "responses": ("openai.responses", openai_app, "/v1/responses", RESPONSE),
    "messages": ("anthropic.messages", anthropic_app, "/v1/messages", MESSAGE),
}


@functools.cache
def stream_chunks(name: str) -> list[bytes]:
    """A real stream of the fake server, in the chunks the server sent (one event each)."""
    _, app, path, body = STREAMS[name]
    status, headers, chunks = call(app(), path, {**body, "stream": True})
    assert status == 200 and headers["content-type"].startswith("text/event-stream")
    return chunks


def raw_stream(name: str) -> bytes:
    """The stream by name; ``<name>-crlf`` is the same stream with CRLF line ends."""
    base, _, crlf = name.partition("-")
    raw = b"".join(stream_chunks(base))
    return raw.replace(b"\n", b"\r\n") if crlf else raw


def family_of(name: str) -> str:
    return STREAMS[name.partition("-")[0]][0]


def json_body(name: str, **extra: Any) -> bytes:
    _, app, path, body = STREAMS[name]
    status, _, chunks = call(app(), path, {**body, **extra})
    assert status == 200
    return b"".join(chunks)


NAMES = [*STREAMS, *(f"{n}-crlf" for n in STREAMS)]


# --------------------------------------------------------------------------- SSE helpers


def parse_sse(raw: bytes) -> list[tuple[str | None, Any]]:
    """(event name, data) per event: data is the parsed JSON, or the text (``[DONE]``)."""
    out: list[tuple[str | None, Any]] = []
    for block in raw.replace(b"\r\n", b"\n").split(b"\n\n"):
        if not block.strip():
            continue
        name, data = None, []
        for line in block.split(b"\n"):
            if line.startswith(b"event:"):
                name = line[6:].strip().decode()
            elif line.startswith(b"data:"):
                value = line[5:]
                data.append(value[1:] if value.startswith(b" ") else value)
        payload = b"\n".join(data)
        out.append((name, orjson.loads(payload) if payload.startswith(b"{") else payload.decode()))
    return out


def datas(raw: bytes) -> list[Any]:
    return [data for _, data in parse_sse(raw)]


def filtered(family: str, chunks: list[bytes], **kw: Any) -> bytes:
    f = SSEFilter(family, **kw)
    return b"".join(f.feed(c) for c in chunks) + f.close()


def walk(value: Any) -> Any:
    """Every (key, value) pair in a JSON document, depth first."""
    if isinstance(value, dict):
        for key, item in value.items():
            yield key, item
            yield from walk(item)
    elif isinstance(value, list):
        for item in value:
            yield from walk(item)


def assert_clean(raw: bytes) -> None:
    """No reasoning, thinking, signature or log-probability left, in the bytes or the JSON.

    Allowed: ``"logprobs":null`` / ``"logprobs":[]`` (the shape of a response that never
    asked for them) and the Responses usage counter ``reasoning_tokens``.
    """
    rest = raw.replace(b'"logprobs":null', b"").replace(b'"logprobs":[]', b"")
    rest = rest.replace(b'"reasoning_tokens"', b"")
    for word in (b"reasoning", b"logprob", b"thinking", b"signature", b"Counting the words"):
        assert word not in rest, word
    for data in datas(raw):
        for key, value in walk(data):
            assert not (key.endswith("logprobs") and value not in (None, [])), (key, value)


def chat_texts(raw: bytes) -> dict[int, str]:
    texts: dict[int, str] = {}
    for data in datas(raw):
        if isinstance(data, dict):
            for choice in data.get("choices") or ():
                piece = choice.get("delta", {}).get("content") or choice.get("text") or ""
                texts[choice["index"]] = texts.get(choice["index"], "") + piece
    return texts


def answer_text(name: str, raw: bytes) -> str:
    """The answer a client reassembles from a stream (per family)."""
    family = family_of(name)
    if family in ("openai.chat", "openai.completions"):
        return repr(chat_texts(raw))
    out = []
    for data in datas(raw):
        if not isinstance(data, dict):
            continue
        if data.get("type") == "response.output_text.delta":
            out.append(data["delta"])
        delta = data.get("delta")
        if data.get("type") == "content_block_delta" and delta["type"] == "text_delta":
            out.append(delta["text"])
    return "".join(out)


# --------------------------------------------------------------------------- rewrite_request


def rewritten(family: str, doc: dict[str, Any], plan: DegradePlan = PLAN) -> dict | None:
    before = copy.deepcopy(doc)
    out = rewrite_request(family, doc, plan)
    assert doc == before, "the input was mutated"
    assert out is not doc
    return out


def test_chat_request_loses_what_an_extractor_values() -> None:
    doc = {
        "model": "big",
        "messages": USER,
        "max_tokens": 4000,
        "logprobs": True,
        "top_logprobs": 20,
        "logit_bias": {"1234": 5},
        "prompt_logprobs": 5,
        "allowed_token_ids": [1, 2],
        "logprob_token_ids": [3],
        "n": 8,
        "reasoning_effort": "high",
        "temperature": 0.3,
        "stream": True,
    }
    plan = DegradePlan(max_output_tokens=16, model_map={"big": "small"})
    out = rewritten("openai.chat", doc, plan)
    assert out == {
        "model": "small",
        "messages": USER,
        "max_tokens": 16,
        "n": 1,
        "reasoning_effort": "low",
        "include_reasoning": False,
        "temperature": 0.3,
        "stream": True,
    }


def test_chat_budget_field_follows_the_request() -> None:
    out = rewritten("openai.chat", {"messages": USER, "max_completion_tokens": 900})
    assert out is not None and out["max_completion_tokens"] == 16 and "max_tokens" not in out
    out = rewritten("openai.chat", {"messages": USER, "max_completion_tokens": 9, "max_tokens": 99})
    assert out is not None and (out["max_completion_tokens"], out["max_tokens"]) == (9, 16)
    out = rewritten("openai.chat", {"messages": USER})  # absent: the cap is set
    assert out is not None and out["max_tokens"] == 16
    for odd in ("5000", 5000.0, True, [1]):  # servers coerce; anything odd becomes the cap
        out = rewritten("openai.chat", {"messages": USER, "max_tokens": odd})
        assert out is not None and out["max_tokens"] == 16


def test_chat_reasoning_effort_is_only_ever_lowered() -> None:
    base = {"messages": USER, "max_tokens": 8, "include_reasoning": False}
    for effort in ("none", "minimal", "low"):
        assert rewritten("openai.chat", {**base, "reasoning_effort": effort}) is None
    for effort in ("medium", "high", "xhigh", "surprise"):
        out = rewritten("openai.chat", {**base, "reasoning_effort": effort})
        assert out == {**base, "reasoning_effort": "low"}
    no_effort = DegradePlan(max_output_tokens=16, reasoning_effort=None)
    out = rewritten("openai.chat", {**base, "reasoning_effort": "high"}, no_effort)
    assert out == base  # effort None in the plan: the parameter is removed


def test_nothing_to_change_gives_none() -> None:
    plan = DegradePlan(max_output_tokens=16, vllm_include_reasoning=False)
    compliant = {"model": "m", "messages": USER, "max_tokens": 16, "n": 1, "logprobs": False}
    assert rewritten("openai.chat", compliant, plan) is None
    assert rewritten("openai.completions", {"prompt": "x", "max_tokens": 3, "best_of": 1}) is None
    assert rewritten("openai.responses", {"input": "x", "max_output_tokens": 16}) is None
    assert rewritten("anthropic.messages", {"messages": USER, "max_tokens": 10}) is None
    assert rewritten("generic", {"inputs": "x"}) is None  # generic adds nothing
    off = DegradePlan(16, remove_logprobs=False, force_single=False, remove_reasoning=False)
    loaded = {
        "messages": USER,
        "max_tokens": 5,
        "logprobs": True,
        "n": 3,
        "reasoning_effort": "high",
    }
    assert rewritten("openai.chat", loaded, off) is None
    assert rewrite_request("openai.chat", "not a dict", PLAN) is None  # type: ignore[arg-type]


def test_completions_request() -> None:
    doc = {"model": "m", "prompt": "x", "logprobs": 0, "echo": True, "n": 3, "best_of": 5}
    assert rewritten("openai.completions", doc) == {
        "model": "m",
        "prompt": "x",
        "echo": True,
        "n": 1,
        "best_of": 1,
        "max_tokens": 16,
    }


def test_responses_request() -> None:
    doc = {
        "model": "m",
        "input": "x",
        "max_output_tokens": 5000,
        "reasoning": {"effort": "high", "summary": "detailed"},
        "include": [
            "reasoning.encrypted_content",
            "message.output_text.logprobs",
            "file_search_call.results",
        ],
        "top_logprobs": 5,
    }
    assert rewritten("openai.responses", doc) == {
        "model": "m",
        "input": "x",
        "max_output_tokens": 16,
        "reasoning": {"effort": "low"},
        "include": ["file_search_call.results"],
    }
    out = rewritten("openai.responses", {"input": "x", "reasoning": {"summary": "auto"}})
    assert out == {"input": "x", "reasoning": {"effort": "low"}, "max_output_tokens": 16}
    out = rewritten("openai.responses", {"input": "x", "reasoning": {"effort": "minimal"}})
    assert out == {"input": "x", "reasoning": {"effort": "minimal"}, "max_output_tokens": 16}


def test_anthropic_request_thinking_removed_by_default() -> None:
    doc = {
        "model": "claude",
        "messages": USER,
        "max_tokens": 20000,
        "thinking": {"type": "enabled", "budget_tokens": 10000},
        "output_config": {"effort": "high"},
    }
    out = rewritten("anthropic.messages", doc)
    assert out == {
        "model": "claude",
        "messages": USER,
        "max_tokens": 16,
        "output_config": {"effort": "low"},
    }
    out = rewritten("anthropic.messages", {"messages": USER, "thinking": {"type": "adaptive"}})
    assert out == {"messages": USER, "max_tokens": 16}
    disabled = {"messages": USER, "max_tokens": 8, "thinking": {"type": "disabled"}}
    assert rewritten("anthropic.messages", disabled) is None


def test_anthropic_thinking_omitted_keeps_budget_below_max_tokens() -> None:
    omitted = DegradePlan(max_output_tokens=4096, anthropic_thinking="omitted")
    doc = {
        "messages": USER,
        "max_tokens": 32000,
        "thinking": {"type": "enabled", "budget_tokens": 16000},
    }
    out = rewritten("anthropic.messages", doc, omitted)
    assert out is not None and out["max_tokens"] == 4096
    assert out["thinking"] == {"type": "enabled", "budget_tokens": 1024, "display": "omitted"}
    assert out["thinking"]["budget_tokens"] < out["max_tokens"]
    out = rewritten("anthropic.messages", {**doc, "thinking": {"type": "adaptive"}}, omitted)
    assert out is not None and out["thinking"] == {"type": "adaptive", "display": "omitted"}
    # A cap that leaves no room for the 1024-token minimum: thinking goes.
    small = DegradePlan(max_output_tokens=512, anthropic_thinking="omitted")
    out = rewritten("anthropic.messages", doc, small)
    assert out is not None and "thinking" not in out and out["max_tokens"] == 512
    # Reasoning kept, but the cap fell below the client's budget: the budget follows.
    keep = DegradePlan(max_output_tokens=3000, remove_reasoning=False)
    out = rewritten("anthropic.messages", doc, keep)
    assert out is not None and out["max_tokens"] == 3000
    assert out["thinking"] == {"type": "enabled", "budget_tokens": 1500}
    keep_small = DegradePlan(max_output_tokens=1000, remove_reasoning=False)
    out = rewritten("anthropic.messages", doc, keep_small)
    assert out is not None and "thinking" not in out


def test_generic_caps_what_is_present_and_maps_models() -> None:
    plan = DegradePlan(max_output_tokens=16, model_map={"a": "b"})
    doc = {"model": "a", "max_output_tokens": 99, "n": 4, "logprobs": 3, "reasoning_effort": "high"}
    assert rewritten("generic", doc, plan) == {
        "model": "b",
        "max_output_tokens": 16,
        "n": 1,
        "reasoning_effort": "low",
    }
    assert rewritten("no.such.family", {"model": "a"}, plan) == {"model": "b"}


def test_plan_validation() -> None:
    with pytest.raises(ValueError):
        DegradePlan(max_output_tokens=0)
    with pytest.raises(ValueError):
        DegradePlan(anthropic_thinking="hidden")
    plan = DegradePlan()
    assert plan.max_output_tokens > 0 and plan.remove_logprobs and plan.force_single
    assert plan.remove_reasoning and plan.model_map == {}


def test_rewritten_requests_degrade_the_real_servers() -> None:
    doc = {**CHAT, "n": 3, "max_tokens": 500}
    out = rewritten("openai.chat", doc)
    status, _, chunks = call(openai_app(), "/v1/chat/completions", out)
    answer = orjson.loads(b"".join(chunks))
    assert status == 200 and len(answer["choices"]) == 1
    assert answer["choices"][0]["logprobs"] is None
    assert answer["usage"]["completion_tokens"] == 16
    out = rewritten("anthropic.messages", {**MESSAGE, "max_tokens": 5000})
    status, _, chunks = call(anthropic_app(), "/v1/messages", out)
    message = orjson.loads(b"".join(chunks))
    assert status == 200 and [b["type"] for b in message["content"]] == ["text"]
    assert message["usage"]["output_tokens"] == 16
    out = rewritten("openai.completions", {**COMPLETION, "max_tokens": 500})
    status, _, chunks = call(openai_app(), "/v1/completions", out)
    answer = orjson.loads(b"".join(chunks))
    assert len(answer["choices"]) == 1 and answer["choices"][0]["logprobs"] is None


# --------------------------------------------------------------------------- JSON filter


def test_json_chat() -> None:
    body = json_body("chat")
    assert b"reasoning_content" in body and b'"logprob"' in body
    out = filter_json_body("openai.chat", body)
    assert_clean(out)
    before, after = orjson.loads(body), orjson.loads(out)
    assert len(after["choices"]) == 2
    for old, new in zip(before["choices"], after["choices"], strict=True):
        assert new["message"] == {
            "role": "assistant",
            "content": old["message"]["content"],
            "refusal": None,
        }
        assert new["logprobs"] is None and new["finish_reason"] == old["finish_reason"]
    assert after["usage"] == before["usage"]
    assert filter_json_body("generic", body) == out  # generic recognises the shape


def test_json_deepseek_style_reasoning_content_only() -> None:
    doc = {"choices": [{"index": 0, "message": {"content": "4", "reasoning_content": "2+2"}}]}
    out = orjson.loads(filter_json_body("openai.chat", orjson.dumps(doc)))
    assert out["choices"][0]["message"] == {"content": "4"}


def test_json_completions() -> None:
    body = json_body("completions")
    assert b"token_logprobs" in body
    out = filter_json_body("openai.completions", body)
    assert_clean(out)
    assert [c["text"] for c in orjson.loads(out)["choices"]] == [
        c["text"] for c in orjson.loads(body)["choices"]
    ]


def test_json_responses() -> None:
    body = json_body("responses")
    doc = orjson.loads(body)
    assert [item["type"] for item in doc["output"]] == ["reasoning", "message"]
    # The fake never fills output_text logprobs; give the real shape some to remove.
    doc["output"][1]["content"][0]["logprobs"] = [
        {"token": "x", "logprob": -0.1, "bytes": [120], "top_logprobs": []}
    ]
    out = filter_json_body("openai.responses", orjson.dumps(doc))
    assert_clean(out)
    after = orjson.loads(out)
    assert [item["type"] for item in after["output"]] == ["message"]
    assert after["output"][0]["content"][0]["text"] == doc["output"][1]["content"][0]["text"]
    assert after["output"][0]["content"][0]["logprobs"] == []


def test_json_anthropic() -> None:
    body = json_body("messages")
    assert b'"type":"thinking"' in body
    doc = orjson.loads(body)
    doc["content"].insert(1, {"type": "redacted_thinking", "data": "opaque"})
    out = filter_json_body("anthropic.messages", orjson.dumps(doc))
    assert_clean(out)
    after = orjson.loads(out)
    assert after["content"] == [doc["content"][-1]] and after["content"][0]["type"] == "text"
    assert after["usage"] == doc["usage"]


def test_json_leaves_other_bodies_alone() -> None:
    clean = json_body("chat", logprobs=False)
    clean = orjson.dumps(
        {**orjson.loads(clean), "choices": [{"index": 0, "message": {"content": "hi"}}]}
    )
    assert filter_json_body("openai.chat", clean) is clean  # nothing to remove: same object
    for junk in (b"", b"{", b"[1,2]", b'{"reasoning": ', b"\xff\xfe", b'"thinking"'):
        assert filter_json_body("anthropic.messages", junk) is junk
    assert filter_json_body("openai.chat", clean, reasoning=False, logprobs=False) is clean


def test_json_filter_buffers_chunks() -> None:
    body = json_body("messages")
    f = JsonFilter("anthropic.messages")
    assert [f.feed(body[i : i + 7]) for i in range(0, len(body), 7)] == [b""] * len(
        range(0, len(body), 7)
    )
    assert f.close() == filter_json_body("anthropic.messages", body)


def test_response_filter_by_content_type() -> None:
    assert isinstance(
        response_filter("openai.chat", PLAN, b"text/event-stream; charset=utf-8"), SSEFilter
    )
    assert isinstance(response_filter("openai.chat", PLAN, "application/json"), JsonFilter)
    assert response_filter("openai.chat", PLAN, b"text/plain") is None
    nothing = DegradePlan(remove_logprobs=False, remove_reasoning=False)
    assert response_filter("openai.chat", nothing, b"application/json") is None


# --------------------------------------------------------------------------- SSE filter


@pytest.mark.parametrize("name", NAMES)
def test_stream_filtered_whole(name: str) -> None:
    raw = raw_stream(name)
    assert any(w in raw for w in (b"reasoning", b"thinking", b"token_logprobs"))
    out = filtered(family_of(name), [raw])
    assert_clean(out)
    assert answer_text(name, out) == answer_text(name, raw)
    assert (b"\r\n" in out) == name.endswith("-crlf")
    assert len(out) < len(raw)


@pytest.mark.parametrize("name", NAMES)
def test_stream_every_single_split_point(name: str) -> None:
    raw = raw_stream(name)
    family = family_of(name)
    whole = filtered(family, [raw])
    for cut in range(len(raw) + 1):
        f = SSEFilter(family)
        out = f.feed(raw[:cut]) + f.feed(raw[cut:]) + f.close()
        assert out == whole, cut


@pytest.mark.parametrize("name", NAMES)
def test_stream_server_chunks_and_single_bytes(name: str) -> None:
    raw = raw_stream(name)
    family = family_of(name)
    whole = filtered(family, [raw])
    chunks = stream_chunks(name) if "-" not in name else [raw]
    assert filtered(family, chunks) == whole  # the server's own chunking: the fast path
    assert filtered(family, [raw[i : i + 1] for i in range(len(raw))]) == whole


@pytest.mark.parametrize("name", NAMES)
@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(cuts=st.lists(st.integers(min_value=0, max_value=1 << 20), max_size=40))
def test_stream_random_splits(name: str, cuts: list[int]) -> None:
    raw = raw_stream(name)
    family = family_of(name)
    points = sorted({c % (len(raw) + 1) for c in cuts})
    pieces = [raw[a:b] for a, b in zip([0, *points], [*points, len(raw)], strict=True)]
    assert filtered(family, pieces) == filtered(family, [raw])


def test_chat_stream_shape() -> None:
    raw = raw_stream("chat")
    out = filtered("openai.chat", stream_chunks("chat"))
    events = datas(out)
    assert events[-1] == "[DONE]"
    usage = events[-2]
    assert usage["choices"] == [] and usage["usage"]["completion_tokens"] == 12
    first = {}
    for data in events[:-1]:
        for choice in data["choices"]:
            first.setdefault(choice["index"], choice["delta"])
    assert first == {
        0: {"role": "assistant", "content": ""},
        1: {"role": "assistant", "content": ""},
    }
    finishes = [c["finish_reason"] for d in events[:-1] for c in d["choices"] if c["finish_reason"]]
    assert finishes == ["length", "length"]
    for data in events[:-2]:  # no chunk left empty: each says something
        assert any(c["delta"] or c["finish_reason"] for c in data["choices"])
    texts = chat_texts(out)
    assert texts == chat_texts(raw) and texts[0].startswith("Echo: What")


@pytest.fixture
def parsed(monkeypatch: pytest.MonkeyPatch) -> list[bytes]:
    """Every payload the filters hand to orjson.loads, in order."""
    seen: list[bytes] = []
    real = orjson.loads

    class Counting:
        dumps = staticmethod(orjson.dumps)
        JSONDecodeError = orjson.JSONDecodeError

        @staticmethod
        def loads(data: Any) -> Any:
            seen.append(bytes(data))
            return real(data)

    monkeypatch.setattr(degrade, "orjson", Counting)
    return seen


def test_chat_stream_parses_only_what_needs_an_edit(parsed: list[bytes]) -> None:
    """Chunks that need no edit are returned as the same objects, unparsed; of the
    reasoning-only chunks of a choice, only the first is parsed: the rest have its layout
    with other reasoning text, and are dropped on sight."""
    chunks = stream_chunks("chat")
    f = SSEFilter("openai.chat")
    outs = [f.feed(c) for c in chunks]
    needing = [c for c in chunks if b"reasoning" in c or b'"logprob"' in c]
    assert 0 < len(needing) < len(chunks)
    for chunk, out in zip(chunks, outs, strict=True):
        if chunk not in needing:
            assert out is chunk
    reasoning_only = [c for c in needing if b'"content"' not in c and b'"index":0' in c]
    assert len(reasoning_only) > 2
    assert len(parsed) == len(needing) - len(reasoning_only) + 1
    assert all(outs[chunks.index(c)] == b"" for c in reasoning_only)
    _, _, plain = call(
        openai_app(), "/v1/chat/completions", {**CHAT, "stream": True, "logprobs": False}
    )
    f = SSEFilter("openai.chat", reasoning=False)
    parsed.clear()
    assert all(f.feed(c) is c for c in plain) and not parsed


def chat_chunk(delta: dict[str, Any], finish: str | None = None) -> bytes:
    choice = {"index": 0, "delta": delta, "logprobs": None, "finish_reason": finish}
    doc = {"id": "chatcmpl-1", "object": "chat.completion.chunk", "choices": [choice]}
    return b"data: " + orjson.dumps(doc) + b"\n\n"


def test_chat_layouts_learned_are_never_stretched(parsed: list[bytes]) -> None:
    """A chunk that only looks like a learned layout is parsed and judged on its own."""
    both = {"reasoning_content": "a", "reasoning": "a"}
    stream = [
        chat_chunk({"role": "assistant", "content": ""}),
        chat_chunk(both),  # learned: reasoning only -> drop
        chat_chunk({"reasoning_content": "b", "reasoning": "b"}),  # fits: dropped unparsed
        chat_chunk({"reasoning_content": 'say "hi"', "reasoning": "c"}),  # quotes: parsed
        chat_chunk({"reasoning_content": "back\\slash", "reasoning": "d"}),  # parsed
        chat_chunk({"reasoning_content": "e", "content": "kept"}),  # other keys: parsed
        chat_chunk({"content": "Hello"}),  # learned: content only -> as it is
        chat_chunk({"content": " world"}),  # fits: as it is, unparsed
        chat_chunk({"content": ' "quoted"'}),  # quotes: the usual checks
        chat_chunk({"content": "reasoning is fine"}),  # fits, though it says reasoning
        chat_chunk({"content": "x", "reasoning": "y"}),  # more keys: parsed, edited
        chat_chunk({}, "stop"),
    ]
    out = filtered("openai.chat", stream)
    assert [d["choices"][0]["delta"] for d in datas(out)] == [
        {"role": "assistant", "content": ""},
        {"content": "kept"},
        {"content": "Hello"},
        {"content": " world"},
        {"content": ' "quoted"'},
        {"content": "reasoning is fine"},
        {"content": "x"},
        {},
    ]
    assert len(parsed) == 5  # the first reasoning chunk, the 3 near misses, the last edit
    raw = b"".join(stream)
    for cut in range(len(raw) + 1):
        f = SSEFilter("openai.chat")
        assert f.feed(raw[:cut]) + f.feed(raw[cut:]) + f.close() == out, cut


def test_empty_logprobs_are_not_learned_as_clean() -> None:
    """Logprobs present but without entries pass the fast test; a chunk like that must not
    become the learned layout, or text starting with "reasoning" would dodge the edit."""

    def chunk(text: str) -> bytes:
        choice = {
            "index": 0,
            "delta": {"content": text},
            "logprobs": {"content": [], "refusal": None},
            "finish_reason": None,
        }
        return b"data: " + orjson.dumps({"id": "c", "choices": [choice]}) + b"\n\n"

    stream = [chunk("Hello"), chunk("reasoning here"), chunk(" more")]
    raw = b"".join(stream)
    out = filtered("openai.chat", [raw])
    assert filtered("openai.chat", stream) == out
    for cut in range(len(raw) + 1):
        f = SSEFilter("openai.chat")
        assert f.feed(raw[:cut]) + f.feed(raw[cut:]) + f.close() == out, cut


def test_deepseek_style_null_fields_in_learned_layout() -> None:
    stream = [
        chat_chunk({"content": None, "reasoning_content": "think"}),
        chat_chunk({"content": None, "reasoning_content": "more"}),
        chat_chunk({"content": "4", "reasoning_content": None}),  # null reasoning: kept as is
        chat_chunk({"content": "2", "reasoning_content": "late"}),
    ]
    out = filtered("openai.chat", stream)
    assert [d["choices"][0]["delta"] for d in datas(out)] == [
        {"content": "4", "reasoning_content": None},
        {"content": "2"},
    ]


def test_messages_stream_renumbered() -> None:
    out = filtered("anthropic.messages", stream_chunks("messages"))
    events = parse_sse(out)
    kinds = [name for name, _ in events]
    assert kinds[:2] == ["message_start", "ping"] and kinds[-2:] == [
        "message_delta",
        "message_stop",
    ]
    assert all(name == data["type"] for name, data in events)
    starts = [d for _, d in events if d["type"] == "content_block_start"]
    assert [s["index"] for s in starts] == [0] and starts[0]["content_block"]["type"] == "text"
    assert {d["index"] for _, d in events if "index" in d} == {0}


def messages_stream(blocks: list[dict[str, Any]]) -> list[bytes]:
    """A Messages stream with the given content blocks, framed like the fake server."""
    fake = load_example("anthropic_server")
    job = fake.Job("msg_1", "m", 3, "x", "end_turn", None, True)
    events: list[dict[str, Any]] = [
        {"type": "message_start", "message": fake.message(job, [], None, 1)}
    ]
    for index, block in enumerate(blocks):
        if block["type"] in ("thinking", "text"):
            events.extend(fake.block_events(index, block))
        else:  # redacted_thinking and tool_use arrive whole, like the API sends them
            events.append({"type": "content_block_start", "index": index, "content_block": block})
            events.append({"type": "content_block_stop", "index": index})
    events.append({"type": "message_stop"})
    return list(fake.frames(events))


def test_messages_interleaved_thinking_renumbered_contiguously() -> None:
    blocks = [
        {"type": "thinking", "thinking": "first I think about thinking", "signature": "s1"},
        {"type": "text", "text": "Let me check the thinking index"},
        {"type": "redacted_thinking", "data": "opaque"},
        {"type": "tool_use", "id": "tu_1", "name": "lookup", "input": {"index": 7}},
        {"type": "thinking", "thinking": "then more", "signature": "s2"},
        {"type": "text", "text": "Done."},
    ]
    chunks = messages_stream(blocks)
    raw = b"".join(chunks)
    out = filtered("anthropic.messages", chunks)
    assert out == filtered("anthropic.messages", [raw])
    for cut in range(len(raw) + 1):
        f = SSEFilter("anthropic.messages")
        assert f.feed(raw[:cut]) + f.feed(raw[cut:]) + f.close() == out
    events = [d for _, d in parse_sse(out)]
    starts = [
        (d["index"], d["content_block"]["type"])
        for d in events
        if d["type"] == "content_block_start"
    ]
    assert starts == [(0, "text"), (1, "tool_use"), (2, "text")]
    seen = -1
    for d in events:  # every block event follows its start, indexes are 0..k-1
        if d["type"] == "content_block_start":
            seen += 1
            assert d["index"] == seen
        elif d["type"] in ("content_block_delta", "content_block_stop"):
            assert d["index"] == seen
    texts = [d["delta"]["text"] for d in events if d["type"] == "content_block_delta"]
    assert "".join(texts) == "Let me check the thinking indexDone."
    assert b'"input":{"index":7}' in out  # a nested "index" is never renumbered
    rest = out.replace(b'"text":" thinking"', b"")
    assert b"thinking" not in rest and b"signature" not in rest and b"opaque" not in rest


def test_responses_stream_renumbered() -> None:
    out = filtered("openai.responses", stream_chunks("responses"))
    events = parse_sse(out)
    assert all(name == data["type"] for name, data in events)
    kinds = [d["type"] for _, d in events]
    assert kinds[0] == "response.created" and kinds[-1] == "response.incomplete"
    assert not [k for k in kinds if "reasoning" in k]
    indexes = {d["output_index"] for _, d in events if "output_index" in d}
    assert indexes == {0}
    added = [d["item"]["type"] for _, d in events if d["type"] == "response.output_item.added"]
    assert added == ["message"]
    final = events[-1][1]["response"]
    assert [item["type"] for item in final["output"]] == ["message"]


def test_responses_reasoning_content_parts_follow_their_item() -> None:
    """Newer servers stream reasoning text as content parts of the reasoning item; they
    go with the item, whatever their event type."""
    raw = raw_stream("responses")
    extra = orjson.dumps(
        {
            "type": "response.content_part.added",
            "item_id": "rs_1",
            "output_index": 0,
            "content_index": 0,
            "part": {"type": "reasoning_text", "text": ""},
        }
    )
    marker = b"event: response.reasoning_summary_part.added"
    at = raw.index(marker)
    raw = raw[:at] + b"event: response.content_part.added\ndata: " + extra + b"\n\n" + raw[at:]
    out = filtered("openai.responses", [raw])
    assert b"reasoning_text" not in out and b"rs_1" not in out
    assert {d["output_index"] for d in datas(out) if "output_index" in d} == {0}


def test_sse_details_preserved_on_edited_events() -> None:
    chunk = (
        b": keep-alive\n\n"
        b"id: 7\nevent: chunk\nretry: 100\n"
        b'data: {"choices":[{"index":0,"delta":{"content":"a","reasoning":"b"}}]}\n\n'
        b"\n"
        b'data: {"choices":[{"index":0,\ndata: "delta":{"reasoning_content":"split"}}]}\n\n'
        b'data: {"choices":[{"index":0,"delta":{"content":"c","reasoning_content":null}}]}\n\n'
        b"data: [DONE]\n\n"
    )
    out = filtered("openai.chat", [chunk])
    assert out == (
        b": keep-alive\n\n"
        b"id: 7\nevent: chunk\nretry: 100\n"
        b'data: {"choices":[{"index":0,"delta":{"content":"a"}}]}\n\n'
        b"\n"
        b'data: {"choices":[{"index":0,"delta":{"content":"c","reasoning_content":null}}]}\n\n'
        b"data: [DONE]\n\n"
    )  # the two-line data event was reasoning only: dropped; a null reasoning key is left


def test_stray_cr_before_a_single_line_event_is_kept() -> None:
    """Events without an ``event:`` line, glued to a stray CR: the CR is a blank line of
    its own and survives the event's removal, however the bytes arrive."""
    thinking = b'data: {"type":"content_block_start","index":0,"content_block":{"type":"thinking"}}'
    reasoning = b'data: {"type":"response.reasoning_summary_text.delta","delta":"x"}'
    for family, event in (("anthropic.messages", thinking), ("openai.responses", reasoning)):
        event += b"\n\n"
        assert filtered(family, [b"\r" + event]) == b"\r"
        assert filtered(family, [b"\r", event]) == b"\r"
        assert filtered(family, [b"\r" + event[:9], event[9:]]) == b"\r"


def test_malformed_events_pass_through_and_nothing_raises() -> None:
    bad = (
        b'data: {"choices":[{"delta":{"reasoning":"x"}\n\n'  # truncated JSON
        b"event: content_block_start\n"
        b'data: {"type":"content_block_start","index":"0","content_block":{"type":"thinking"}}\n\n'
        b"data: [1, 2, 3]\n\n"
        b"event: thinking\n\n"
    )
    assert filtered("openai.chat", [bad]) == bad
    out = filtered("anthropic.messages", [bad])
    assert b'"content_block":{"type":"thinking"}' not in out  # still removed, index or not
    for family in degrade.FAMILIES:
        for chunk in (b"\xff\xfe\x00", b"\r", b"\n\n\r\n", b"data:", b"data: {\r\n\r\n"):
            filtered(family, [chunk, chunk])


SEPARATORS = [b"\n", b"\r\n", b"\r", b": comment\n\n", b"data: [DONE]\n\n"]


@pytest.mark.parametrize("name", list(STREAMS))
def test_stray_separator_glued_to_each_event(name: str) -> None:
    """A chunk that starts with a stray blank line, comment or CR before an event: the same
    output as when the two arrive apart, or as part of the whole stream."""
    family = family_of(name)
    for event in stream_chunks(name):
        for sep in SEPARATORS:
            for tail in (b"", event):
                chunks = [event, sep + event + tail]
                expected = filtered(family, [b"".join(chunks)])
                assert filtered(family, chunks) == expected, (sep, event)
                assert filtered(family, [event, sep, event, tail]) == expected, (sep, event)


@settings(max_examples=400, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_mixed_events_and_stray_separators(data: st.DataObject) -> None:
    """Real events of a family mixed with stray blank lines, comments and lone CRs, cut
    anywhere: the output never depends on the cuts."""
    name = data.draw(st.sampled_from(list(STREAMS)))
    events = stream_chunks(name)
    parts = data.draw(
        st.lists(st.sampled_from(events) | st.sampled_from(SEPARATORS), min_size=1, max_size=30)
    )
    if data.draw(st.booleans()):
        parts = [p.replace(b"\n", b"\r\n") for p in parts]
    raw = b"".join(parts)
    family = family_of(name)
    whole = filtered(family, [raw])
    assert filtered(family, parts) == whole  # whole events per chunk: mostly the fast path
    cuts = sorted(data.draw(st.lists(st.integers(0, len(raw)), max_size=12)))
    pieces = [raw[a:b] for a, b in zip([0, *cuts], [*cuts, len(raw)], strict=True)]
    assert filtered(family, pieces) == whole
    glued = [b"".join(parts[i : i + 2]) for i in range(0, len(parts), 2)]
    assert filtered(family, glued) == whole  # pairs: a stray separator before an event


@settings(max_examples=300, deadline=None)
@given(
    family=st.sampled_from(degrade.FAMILIES), chunks=st.lists(st.binary(max_size=60), max_size=8)
)
def test_garbage_never_raises(family: str, chunks: list[bytes]) -> None:
    out = filtered(family, chunks)
    whole = filtered(family, [b"".join(chunks)])
    assert out == whole


def test_an_internal_error_turns_the_filter_into_a_pass_through(
    caplog: pytest.LogCaptureFixture,
) -> None:
    chunks = stream_chunks("messages")
    f = SSEFilter("anthropic.messages")

    def broken(event: bytes) -> bytes:
        raise RuntimeError("bug")

    f._event = broken  # type: ignore[attr-defined]
    outs = [f.feed(c) for c in chunks]
    assert f.failed and b"".join(outs) + f.close() == b"".join(chunks)
    assert "SSE filter failed" in caplog.text


def test_incomplete_event_held_back_then_flushed_filtered() -> None:
    f = SSEFilter("openai.chat")
    assert f.feed(b'data: {"choices":[{"index":0,"delta":{"content":"x","reasoning":"y"}}]}') == b""
    assert f.feed(b"\n") == b""
    assert f.close() == b'data: {"choices":[{"index":0,"delta":{"content":"x"}}]}\n'
    assert f.close() == b""


def test_logprobs_only_filter_keeps_reasoning() -> None:
    out = filtered("openai.chat", stream_chunks("chat"), reasoning=False)
    assert b"reasoning_content" in out and b'"logprob"' not in out
    out = filtered("openai.completions", stream_chunks("completions"), reasoning=False)
    assert b"token_logprobs" not in out


# --------------------------------------------------------------------------- official SDKs


def replay(chunks: list[bytes]) -> Any:
    """An ASGI app answering every request with these SSE chunks."""

    async def app(scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        while (await receive()).get("more_body"):
            pass
        headers = [(b"content-type", b"text/event-stream"), (b"cache-control", b"no-cache")]
        await send({"type": "http.response.start", "status": 200, "headers": headers})
        for chunk in chunks:
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
        await send({"type": "http.response.body", "body": b""})

    return app


def filtered_chunks(family: str, chunks: list[bytes]) -> list[bytes]:
    f = SSEFilter(family)
    out = [f.feed(c) for c in chunks] + [f.close()]
    return [c for c in out if c]


def test_openai_sdk_reads_filtered_chat_stream() -> None:
    chunks = filtered_chunks("openai.chat", stream_chunks("chat"))
    expected = chat_texts(raw_stream("chat"))
    with serve(replay(chunks)) as url:
        client = openai.OpenAI(base_url=f"{url}/v1", api_key="sk-x", max_retries=0)
        stream = client.chat.completions.create(
            model="fake-model", messages=USER, stream=True, stream_options={"include_usage": True}
        )
        texts: dict[int, str] = {}
        usage = None
        for chunk in stream:
            usage = chunk.usage or usage
            for choice in chunk.choices:
                texts[choice.index] = texts.get(choice.index, "") + (choice.delta.content or "")
                assert not (choice.delta.model_extra or {}), choice.delta.model_extra
                assert choice.logprobs is None
    assert texts == expected and usage is not None and usage.completion_tokens == 12


def test_openai_sdk_reads_filtered_completions_stream() -> None:
    chunks = filtered_chunks("openai.completions", stream_chunks("completions"))
    with serve(replay(chunks)) as url:
        client = openai.OpenAI(base_url=f"{url}/v1", api_key="sk-x", max_retries=0)
        texts: dict[int, str] = {}
        for chunk in client.completions.create(model="fake-model", prompt="Say hello", stream=True):
            for choice in chunk.choices:
                assert choice.logprobs is None
                texts[choice.index] = texts.get(choice.index, "") + choice.text
    assert texts == chat_texts(raw_stream("completions"))


def test_openai_sdk_reads_filtered_responses_stream() -> None:
    _, _, natural = call(
        openai_app(),
        "/v1/responses",
        {"model": "fake-model", "input": "Capital of France?", "stream": True},
    )
    chunks = filtered_chunks("openai.responses", natural)
    expected = answer_text("responses", b"".join(natural))
    with serve(replay(chunks)) as url:
        client = openai.OpenAI(base_url=f"{url}/v1", api_key="sk-x", max_retries=0)
        kinds, text = [], []
        for event in client.responses.create(model="fake-model", input="x", stream=True):
            kinds.append(event.type)
            if event.type == "response.output_text.delta":
                assert event.output_index == 0
                text.append(event.delta)
        assert kinds[-1] == "response.completed" and not [k for k in kinds if "reasoning" in k]
        assert "".join(text) == expected
        with client.responses.stream(model="fake-model", input="x") as stream:
            final = stream.get_final_response()
    assert [item.type for item in final.output] == ["message"]
    assert final.output_text == expected and expected.startswith("Echo: Capital")


def test_anthropic_sdk_reads_filtered_messages_stream() -> None:
    chunks = filtered_chunks("anthropic.messages", stream_chunks("messages"))
    expected = answer_text("messages", raw_stream("messages"))
    with serve(replay(chunks)) as url:
        client = anthropic.Anthropic(base_url=url, api_key="sk-ant-x", max_retries=0)
        with client.messages.stream(model="fake-model", max_tokens=6, messages=USER) as stream:
            deltas = list(stream.text_stream)
            final = stream.get_final_message()
    assert [block.type for block in final.content] == ["text"]
    assert final.content[0].text == expected == "".join(deltas)
    assert expected.startswith("Echo: What") and final.stop_reason == "max_tokens"


# --------------------------------------------------------------------------- a request that
# must be degraded but cannot be rewritten


class Recorder:
    """A model server that records the parameters it received and answers in the format of
    the path's API (its usage: max_tokens x n)."""

    def __init__(self) -> None:
        self.seen: list[dict[str, Any]] = []

    async def __call__(self, scope: dict, receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        doc = json.loads(body)
        self.seen.append({k: doc.get(k) for k in ("max_tokens", "n", "logprobs", "top_logprobs")})
        out = (doc.get("max_tokens") or 1) * (doc.get("n") or 1)
        if scope["path"].endswith("/messages"):
            answer = {
                "id": "msg_1",
                "type": "message",
                "role": "assistant",
                "model": "m",
                "content": [{"type": "text", "text": "ok"}],
                "stop_reason": "end_turn",
                "stop_sequence": None,
                "usage": {"input_tokens": 5, "output_tokens": out},
            }
        else:
            answer = {"id": "c", "object": "chat.completion", "created": 0, "model": "m",
                      "choices": [{"index": 0, "finish_reason": "stop", "message": {
                          "role": "assistant", "content": "ok"}}],
                      "usage": {"prompt_tokens": 5, "completion_tokens": out,
                                "total_tokens": 5 + out}}  # fmt: skip
        raw = orjson.dumps(answer)
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"application/json")]})  # fmt: skip
        await send({"type": "http.response.body", "body": raw})


def degraded_gateway(app: Any, **overrides: Any) -> Any:
    """Every account degraded (DEGRADE_AT=0), as a flagged account is; a clock that
    stands still (no refill between requests)."""
    settings = Settings(degrade_at=0.0, challenge_at=100.0, block_at=100.0, tarpit_max_seconds=0,
                        **overrides)  # fmt: skip
    return AntiExtractMiddleware(
        app, settings, lambda: 1_800_000_000.0, logger=make_logger(stream=io.StringIO())
    )


HARVEST = {"max_tokens": 16_384, "n": 8, "logprobs": True, "top_logprobs": 20}


def test_a_degraded_request_padded_past_the_cap_is_refused_not_forwarded() -> None:
    """The breaker's repro/degrade_past_cap.py: a degraded account padded its body past
    INSPECT_MAX_BYTES; unread, it was forwarded as sent, and the model generated 8 samples
    of 16,384 tokens with top-20 logprobs instead of one of DEGRADE_MAX_OUTPUT_TOKENS
    without. Such a request is refused: 413 in the API's format (the official SDKs raise
    it with its message), never charged. A small body is still rewritten."""
    app = Recorder()
    mw = degraded_gateway(app, inspect_max_bytes=65_536)
    pad = {"metadata_padding": " " * 600_000}  # arrives in several messages
    with serve(mw) as url:
        client = openai.OpenAI(base_url=f"{url}/v1", api_key="sk-degraded", max_retries=0)
        with pytest.raises(openai.APIStatusError) as raised:
            client.chat.completions.create(model="m", messages=USER, extra_body=pad, **HARVEST)  # type: ignore[call-overload]
        assert raised.value.status_code == 413
        assert "65536 bytes" in raised.value.message
        # the refusal cost nothing: the same account's next request is served, rewritten
        client.chat.completions.create(model="m", messages=USER, **HARVEST)  # type: ignore[call-overload]
        assert app.seen == [{"max_tokens": 512, "n": 1, "logprobs": None, "top_logprobs": None}]
        ant = anthropic.Anthropic(base_url=url, api_key="sk-ant-degraded", max_retries=0)
        with pytest.raises(anthropic.APIStatusError) as refused:
            ant.messages.create(model="m", max_tokens=16_384, messages=USER, extra_body=pad)
        assert refused.value.status_code == 413
        assert refused.value.body["error"]["type"] == "request_too_large"  # type: ignore[index]
    assert len(app.seen) == 1  # neither padded request reached the model
    account = digest("key:" + digest(b"sk-ant-degraded", mw.hash_key), mw.hash_key)
    state = asyncio.run(mw.store.account_state(account, mw.clock()))
    assert state["tokens"] == mw.limits.capacity  # refused: charged nothing


@pytest.mark.parametrize(
    ("body", "status"),
    [
        (b'{"model": "m", "max_tokens": 16384, "n": 8, "logprobs": true', 400),  # cut JSON
        (b'[{"model": "m", "max_tokens": 16384, "n": 8}]', 400),  # not an object
        (b"\x1f\x8b" + b"\x00" * 40, 413),  # a gzip body we cannot decode (sent as gzip)
    ],
)
def test_a_degraded_request_we_cannot_read_is_refused(body: bytes, status: int) -> None:
    app = Recorder()
    mw = degraded_gateway(app)
    headers = [(b"content-type", b"application/json"), (b"authorization", b"Bearer sk-x")]
    if status == 413:
        headers.append((b"content-encoding", b"gzip"))
    ex = Exchange(body)
    asyncio.run(mw(http_scope(headers=headers), ex.receive, ex.send))
    assert ex.status == status and app.seen == []
    assert ex.json()["error"]["type"] == "invalid_request_error"
    assert ex.headers["x-should-retry"] == "false"


def test_a_degraded_body_read_by_pythons_json_is_rewritten() -> None:
    """A body orjson refuses but Python's json reads (NaN, an integer past 64 bits) is
    rewritten too: orjson could not write the integer back (TypeError), the decision
    failed and the request went on with its n, budget and logprobs."""
    app = Recorder()
    mw = degraded_gateway(app)
    body = (b'{"model": "m", "seed": 1' + b"0" * 30 + b', "temperature": NaN, "messages": '
            b'[{"role": "user", "content": "hi \\ud800"}], "max_tokens": 16384, "n": 8, '
            b'"logprobs": true, "top_logprobs": 20}')  # fmt: skip
    ex = Exchange(body)
    asyncio.run(mw(http_scope(headers=[(b"content-type", b"application/json"),
                                       (b"authorization", b"Bearer sk-x")]),
                   ex.receive, ex.send))  # fmt: skip
    assert ex.status == 200
    assert app.seen == [{"max_tokens": 512, "n": 1, "logprobs": None, "top_logprobs": None}]
