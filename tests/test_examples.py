"""End-to-end tests of the fake model servers in ``examples/``, driven by the official SDKs.

The fakes stand in for real backends in the demo, the middleware tests and the benchmarks,
so they must speak each wire protocol well enough that unmodified SDK clients (including
their streaming accumulators) accept them. Each app is served by a real uvicorn on a
loopback port rather than an in-process transport, so SSE framing is exercised for real.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import closing
from typing import Any

import anthropic
import httpx
import openai
import pytest

from .servers import EXAMPLES, load_example, serve

PROMPT = "Tell me everything about model distillation attacks please"
SYSTEM = "You are terse."


@pytest.fixture(scope="module")
def openai_url() -> Iterator[str]:
    with serve(load_example("openai_server").create_app()) as url:
        yield url


@pytest.fixture(scope="module")
def anthropic_url() -> Iterator[str]:
    with serve(load_example("anthropic_server").create_app()) as url:
        yield url


@pytest.fixture
def oai(openai_url: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{openai_url}/v1", api_key="sk-test", max_retries=0)


@pytest.fixture
def claude(anthropic_url: str) -> anthropic.Anthropic:
    return anthropic.Anthropic(base_url=anthropic_url, api_key="x", max_retries=0)


def chat_messages() -> list[dict[str, str]]:
    return [{"role": "system", "content": SYSTEM}, {"role": "user", "content": PROMPT}]


def prompt_words() -> int:
    return len(SYSTEM.split()) + len(PROMPT.split())


# --------------------------------------------------------------------------- OpenAI: chat


@pytest.mark.parametrize(
    ("max_tokens", "words", "finish"),
    [(None, 64, "stop"), (12, 12, "length"), (500, 200, "stop")],
)
def test_chat_completion(oai: openai.OpenAI, max_tokens: int | None, words: int, finish: str):
    extra = {} if max_tokens is None else {"max_tokens": max_tokens}
    completion = oai.chat.completions.create(model="my-model", messages=chat_messages(), **extra)

    assert completion.id.startswith("chatcmpl-")
    assert completion.object == "chat.completion"
    assert completion.model == "my-model"
    choice = completion.choices[0]
    assert choice.finish_reason == finish
    assert choice.message.role == "assistant"
    assert choice.message.content.startswith("Echo: Tell me everything about model")
    assert len(choice.message.content.split()) == words
    assert completion.usage.prompt_tokens == prompt_words()
    assert completion.usage.completion_tokens == words
    assert completion.usage.total_tokens == prompt_words() + words


def test_chat_completion_carries_both_reasoning_fields(oai: openai.OpenAI):
    completion = oai.chat.completions.create(model="m", messages=chat_messages())
    extra = completion.choices[0].message.model_extra
    assert extra["reasoning_content"]
    assert extra["reasoning_content"] == extra["reasoning"]


def test_chat_completion_accepts_max_completion_tokens_and_text_parts(oai: openai.OpenAI):
    parts = [{"type": "text", "text": "first part"}, {"type": "text", "text": "second"}]
    completion = oai.chat.completions.create(
        model="m", messages=[{"role": "user", "content": parts}], max_completion_tokens=7
    )
    assert completion.choices[0].message.content.startswith("Echo: first part second")
    assert completion.usage.prompt_tokens == 3
    assert completion.usage.completion_tokens == 7


def test_chat_stream_reassembles_with_usage(oai: openai.OpenAI):
    expected = oai.chat.completions.create(model="m", messages=chat_messages(), max_tokens=20)
    chunks = list(
        oai.chat.completions.create(
            model="m",
            messages=chat_messages(),
            max_tokens=20,
            stream=True,
            stream_options={"include_usage": True},
        )
    )

    assert all(c.object == "chat.completion.chunk" for c in chunks)
    assert len({c.id for c in chunks}) == 1
    assert chunks[0].choices[0].delta.role == "assistant"
    content = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
    assert content == expected.choices[0].message.content
    reasoning = "".join(
        (c.choices[0].delta.model_extra or {}).get("reasoning_content") or ""
        for c in chunks
        if c.choices
    )
    assert reasoning == expected.choices[0].message.model_extra["reasoning_content"]
    assert chunks[-2].choices[0].finish_reason == "length"
    usage_chunk = chunks[-1]
    assert usage_chunk.choices == []
    assert usage_chunk.usage.completion_tokens == 20
    assert usage_chunk.usage.prompt_tokens == prompt_words()
    assert all(c.usage is None for c in chunks[:-1])


def test_chat_stream_without_include_usage_has_no_usage(oai: openai.OpenAI):
    chunks = list(
        oai.chat.completions.create(model="m", messages=chat_messages(), max_tokens=5, stream=True)
    )
    assert chunks[-1].choices[0].finish_reason == "length"
    assert all(c.usage is None for c in chunks)


def test_chat_stream_raw_framing_ends_with_done(openai_url: str):
    body = {"model": "m", "messages": chat_messages(), "max_tokens": 3, "stream": True}
    response = httpx.post(f"{openai_url}/v1/chat/completions", json=body)
    assert response.headers["content-type"].startswith("text/event-stream")
    frames = response.text.split("\n\n")
    assert frames[-2:] == ["data: [DONE]", ""]
    assert all(f.startswith("data: {") for f in frames[:-2])


def test_chat_n_choices(oai: openai.OpenAI):
    completion = oai.chat.completions.create(
        model="m", messages=chat_messages(), n=2, max_tokens=15
    )
    assert [c.index for c in completion.choices] == [0, 1]
    first, second = (c.message.content for c in completion.choices)
    assert first != second
    assert len(first.split()) == len(second.split()) == 15
    assert completion.usage.completion_tokens == 30


def test_chat_stream_n_choices(oai: openai.OpenAI):
    chunks = list(
        oai.chat.completions.create(
            model="m", messages=chat_messages(), n=2, max_tokens=4, stream=True
        )
    )
    texts = {0: "", 1: ""}
    for chunk in chunks:
        for choice in chunk.choices:
            texts[choice.index] += choice.delta.content or ""
    assert len(texts[0].split()) == len(texts[1].split()) == 4


def test_chat_logprobs(oai: openai.OpenAI):
    completion = oai.chat.completions.create(
        model="m", messages=chat_messages(), logprobs=True, max_tokens=9
    )
    choice = completion.choices[0]
    tokens = choice.logprobs.content
    assert len(tokens) == 9
    assert "".join(t.token for t in tokens) == choice.message.content
    assert all(t.logprob == pytest.approx(-0.1) for t in tokens)
    assert all(bytes(t.bytes) == t.token.encode() for t in tokens)


def test_chat_without_logprobs_has_none(oai: openai.OpenAI):
    completion = oai.chat.completions.create(model="m", messages=chat_messages())
    assert completion.choices[0].logprobs is None


def test_chat_stream_logprobs(oai: openai.OpenAI):
    chunks = list(
        oai.chat.completions.create(
            model="m", messages=chat_messages(), logprobs=True, max_tokens=6, stream=True
        )
    )
    content_chunks = [c for c in chunks if c.choices and c.choices[0].delta.content]
    assert len(content_chunks) == 6
    for chunk in content_chunks:
        (entry,) = chunk.choices[0].logprobs.content
        assert entry.token == chunk.choices[0].delta.content


def test_chat_empty_messages_is_400(oai: openai.OpenAI):
    with pytest.raises(openai.BadRequestError) as excinfo:
        oai.chat.completions.create(model="m", messages=[])
    assert excinfo.value.status_code == 400
    assert excinfo.value.body["type"] == "invalid_request_error"
    assert excinfo.value.body["param"] == "messages"


def test_chat_too_many_choices_is_400(oai: openai.OpenAI):
    with pytest.raises(openai.BadRequestError) as excinfo:
        oai.chat.completions.create(model="m", messages=chat_messages(), n=9)
    assert excinfo.value.body["param"] == "n"


@pytest.mark.parametrize("path", ["/v1/chat/completions", "/v1/completions", "/v1/responses"])
def test_openai_invalid_json_is_400(openai_url: str, path: str):
    response = httpx.post(
        f"{openai_url}{path}", content=b"{not json", headers={"content-type": "application/json"}
    )
    assert response.status_code == 400
    error = response.json()["error"]
    assert set(error) == {"message", "type", "param", "code"}
    assert error["type"] == "invalid_request_error"
    assert error["param"] is None and error["code"] is None
    assert "JSON" in error["message"]


def test_openai_missing_messages_is_400(openai_url: str):
    response = httpx.post(f"{openai_url}/v1/chat/completions", json={"model": "m"})
    assert response.status_code == 400
    assert response.json()["error"]["param"] == "messages"


# --------------------------------------------------------------------------- OpenAI: legacy


def test_legacy_completion(oai: openai.OpenAI):
    completion = oai.completions.create(model="m", prompt="Once upon a time", max_tokens=10)
    assert completion.id.startswith("cmpl-")
    assert completion.object == "text_completion"
    choice = completion.choices[0]
    assert choice.text.startswith("Echo: Once upon a time")
    assert len(choice.text.split()) == 10
    assert choice.finish_reason == "length"
    assert completion.usage.prompt_tokens == 4
    assert completion.usage.completion_tokens == 10
    assert completion.usage.total_tokens == 14


def test_legacy_completion_stream(oai: openai.OpenAI):
    expected = oai.completions.create(model="m", prompt="Once upon a time", max_tokens=8)
    chunks = list(
        oai.completions.create(
            model="m",
            prompt="Once upon a time",
            max_tokens=8,
            stream=True,
            stream_options={"include_usage": True},
        )
    )
    text = "".join(c.choices[0].text for c in chunks if c.choices)
    assert text == expected.choices[0].text
    assert chunks[-2].choices[0].finish_reason == "length"
    assert chunks[-1].choices == []
    assert chunks[-1].usage.completion_tokens == 8


def test_legacy_completion_logprobs(oai: openai.OpenAI):
    completion = oai.completions.create(model="m", prompt="hello", max_tokens=5, logprobs=1)
    text, logprobs = completion.choices[0].text, completion.choices[0].logprobs
    assert "".join(logprobs.tokens) == text
    assert logprobs.token_logprobs == [pytest.approx(-0.1)] * 5
    pairs = zip(logprobs.text_offset, logprobs.tokens, strict=True)
    assert all(text[offset:].startswith(token) for offset, token in pairs)


def test_legacy_stream_logprobs_track_offsets(oai: openai.OpenAI):
    chunks = list(
        oai.completions.create(model="m", prompt="hello", max_tokens=4, logprobs=1, stream=True)
    )
    pieces = [c.choices[0] for c in chunks if c.choices and c.choices[0].text]
    assert [p.logprobs.tokens for p in pieces] == [[p.text] for p in pieces]
    offsets = [p.logprobs.text_offset[0] for p in pieces]
    assert offsets == [sum(len(q.text) for q in pieces[:i]) for i in range(len(pieces))]


def test_legacy_invalid_prompt_is_400(oai: openai.OpenAI):
    with pytest.raises(openai.BadRequestError) as excinfo:
        oai.completions.create(model="m", prompt=None)  # type: ignore[arg-type]
    assert excinfo.value.body["param"] == "prompt"


# --------------------------------------------------------------------------- OpenAI: responses


def test_responses_create(oai: openai.OpenAI):
    response = oai.responses.create(model="my-model", input=PROMPT, instructions=SYSTEM)
    assert response.object == "response"
    assert response.status == "completed"
    assert response.model == "my-model"
    reasoning, message = response.output
    assert reasoning.type == "reasoning"
    assert reasoning.summary[0].type == "summary_text"
    assert reasoning.summary[0].text
    assert message.type == "message" and message.role == "assistant"
    assert message.content[0].type == "output_text"
    assert response.output_text.startswith("Echo: Tell me everything")
    assert response.usage.input_tokens == prompt_words()
    assert response.usage.output_tokens == 64
    assert response.usage.total_tokens == prompt_words() + 64


def test_responses_create_with_item_list_and_limit(oai: openai.OpenAI):
    items = [
        {"role": "user", "content": [{"type": "input_text", "text": "earlier question"}]},
        {"role": "assistant", "content": "earlier answer"},
        {"role": "user", "content": "latest question"},
    ]
    response = oai.responses.create(model="m", input=items, max_output_tokens=16)
    assert response.output_text.startswith("Echo: latest question")
    assert response.status == "incomplete"
    assert response.incomplete_details.reason == "max_output_tokens"
    assert response.usage.input_tokens == 6
    assert response.usage.output_tokens == 16


def test_responses_stream_events(oai: openai.OpenAI):
    events = list(oai.responses.create(model="m", input=PROMPT, stream=True))
    types = [e.type for e in events]
    assert types[:3] == ["response.created", "response.in_progress", "response.output_item.added"]
    assert types[-1] == "response.completed"
    assert [e.sequence_number for e in events] == list(range(len(events)))
    final = events[-1].response
    text = "".join(e.delta for e in events if e.type == "response.output_text.delta")
    summary = "".join(e.delta for e in events if e.type == "response.reasoning_summary_text.delta")
    assert text == final.output_text
    assert summary == final.output[0].summary[0].text
    assert final.usage.output_tokens == len(text.split()) == 64


def test_responses_stream_helper_accumulates(oai: openai.OpenAI):
    """The SDK's stricter accumulating helper must accept the event sequence too."""
    with oai.responses.stream(model="m", input=PROMPT, max_output_tokens=300) as stream:
        deltas = [e.delta for e in stream if e.type == "response.output_text.delta"]
        final = stream.get_final_response()
    assert "".join(deltas) == final.output_text
    assert len(final.output_text.split()) == 200


def test_responses_bad_input_is_400(openai_url: str):
    response = httpx.post(f"{openai_url}/v1/responses", json={"model": "m", "input": 42})
    assert response.status_code == 400
    assert response.json()["error"]["param"] == "input"


# --------------------------------------------------------------------------- OpenAI: misc


def test_models_and_health(oai: openai.OpenAI, openai_url: str):
    assert [m.id for m in oai.models.list()] == ["fake-model"]
    assert httpx.get(f"{openai_url}/health").json() == {"status": "ok"}


# --------------------------------------------------------------------------- Anthropic


def create_message(claude: anthropic.Anthropic, max_tokens: int = 300, **kw: Any) -> Any:
    return claude.messages.create(
        model="my-claude",
        max_tokens=max_tokens,
        system=SYSTEM,
        messages=[{"role": "user", "content": PROMPT}],
        **kw,
    )


@pytest.mark.parametrize(
    ("max_tokens", "words", "stop"), [(300, 200, "end_turn"), (10, 10, "max_tokens")]
)
def test_messages_create(claude: anthropic.Anthropic, max_tokens: int, words: int, stop: str):
    message = create_message(claude, max_tokens)
    assert message.id.startswith("msg_")
    assert message.type == "message" and message.role == "assistant"
    assert message.model == "my-claude"
    assert [b.type for b in message.content] == ["text"]
    assert message.content[0].text.startswith("Echo: Tell me everything")
    assert len(message.content[0].text.split()) == words
    assert message.stop_reason == stop
    assert message.stop_sequence is None
    assert message.usage.input_tokens == prompt_words()
    assert message.usage.output_tokens == words


def test_messages_stream(claude: anthropic.Anthropic):
    expected = create_message(claude, 40)
    with claude.messages.stream(
        model="my-claude",
        max_tokens=40,
        system=SYSTEM,
        messages=[{"role": "user", "content": PROMPT}],
    ) as stream:
        text = "".join(stream.text_stream)
        final = stream.get_final_message()
    assert text == expected.content[0].text
    assert final.content[0].text == text
    assert final.stop_reason == "max_tokens"
    assert final.usage.input_tokens == prompt_words()
    assert final.usage.output_tokens == 40


def test_messages_thinking(claude: anthropic.Anthropic):
    message = create_message(claude, thinking={"type": "enabled", "budget_tokens": 1024})
    assert [b.type for b in message.content] == ["thinking", "text"]
    assert message.content[0].thinking
    assert message.content[0].signature.startswith("sig")
    assert message.content[1].text.startswith("Echo:")


def test_messages_thinking_stream_event_order(claude: anthropic.Anthropic):
    expected = create_message(claude, 20, thinking={"type": "enabled", "budget_tokens": 1024})
    with claude.messages.stream(
        model="my-claude",
        max_tokens=20,
        system=SYSTEM,
        messages=[{"role": "user", "content": PROMPT}],
        thinking={"type": "enabled", "budget_tokens": 1024},
    ) as stream:
        raw = [e for e in stream if e.type.startswith(("message_", "content_block_"))]
        final = stream.get_final_message()

    assert raw[0].type == "message_start"
    assert raw[0].message.usage.output_tokens == 1
    assert [e.type for e in raw[-2:]] == ["message_delta", "message_stop"]
    assert raw[-2].delta.stop_reason == "max_tokens"
    assert raw[-2].usage.output_tokens == 20
    boundaries = ("content_block_start", "content_block_stop")
    blocks = [(e.type, e.index) for e in raw if e.type in boundaries]
    assert blocks == [
        ("content_block_start", 0),
        ("content_block_stop", 0),
        ("content_block_start", 1),
        ("content_block_stop", 1),
    ]
    delta_types = [(e.index, e.delta.type) for e in raw if e.type == "content_block_delta"]
    assert (0, "signature_delta") in delta_types
    assert {t for i, t in delta_types if i == 1} == {"text_delta"}
    assert [b.model_dump() for b in final.content] == [b.model_dump() for b in expected.content]


def test_messages_raw_sse_framing(anthropic_url: str):
    body = {
        "model": "m",
        "max_tokens": 3,
        "stream": True,
        "messages": [{"role": "user", "content": "hi"}],
    }
    response = httpx.post(f"{anthropic_url}/v1/messages", json=body)
    assert response.headers["content-type"].startswith("text/event-stream")
    frames = [f for f in response.text.split("\n\n") if f]
    names = []
    for frame in frames:
        event_line, data_line = frame.split("\n")
        name = event_line.removeprefix("event: ")
        assert json.loads(data_line.removeprefix("data: "))["type"] == name
        names.append(name)
    assert names == [
        "message_start",
        "ping",
        "content_block_start",
        *["content_block_delta"] * 3,
        "content_block_stop",
        "message_delta",
        "message_stop",
    ]


def test_messages_empty_messages_is_400(claude: anthropic.Anthropic):
    with pytest.raises(anthropic.BadRequestError) as excinfo:
        claude.messages.create(model="m", max_tokens=10, messages=[])
    assert excinfo.value.status_code == 400
    assert excinfo.value.body["type"] == "error"
    assert excinfo.value.body["error"]["type"] == "invalid_request_error"


@pytest.mark.parametrize(
    "body",
    [
        {"messages": [{"role": "user", "content": "hi"}]},
        {"max_tokens": "10", "messages": [{"role": "user", "content": "hi"}]},
        {"max_tokens": 10, "messages": "hi"},
    ],
)
def test_messages_invalid_body_is_400(anthropic_url: str, body: dict[str, Any]):
    response = httpx.post(f"{anthropic_url}/v1/messages", json={"model": "m", **body})
    assert response.status_code == 400
    payload = response.json()
    assert payload["type"] == "error"
    assert payload["error"]["type"] == "invalid_request_error"
    assert payload["error"]["message"]


def test_anthropic_health(anthropic_url: str):
    assert httpx.get(f"{anthropic_url}/health").json() == {"status": "ok"}


# --------------------------------------------------------------------------- pacing and CLI


@pytest.mark.parametrize("name", ["openai_server", "anthropic_server"])
def test_delay_per_chunk_paces_streams(name: str):
    """Benchmarks rely on the delay to emulate token rate, so it must really slow streams."""
    delay = 0.02
    if name == "openai_server":
        path, body = "/v1/chat/completions", {"messages": [{"role": "user", "content": "hi"}]}
    else:
        path, body = "/v1/messages", {"messages": [{"role": "user", "content": "hi"}]}
    body.update(max_tokens=5, stream=True)
    with serve(load_example(name).create_app(delay_per_chunk=delay)) as url:
        started = time.monotonic()
        response = httpx.post(f"{url}{path}", json=body)
        elapsed = time.monotonic() - started
    frames = [f for f in response.text.split("\n\n") if f]
    assert elapsed >= delay * (len(frames) - 1) * 0.9


def free_port() -> int:
    with closing(socket.socket(socket.AF_INET, socket.SOCK_STREAM)) as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@pytest.mark.parametrize("name", ["openai_server", "anthropic_server"])
def test_script_runs_under_uvicorn(name: str):
    port = free_port()
    process = subprocess.Popen(
        [sys.executable, str(EXAMPLES / f"{name}.py"), "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 15
        while True:
            try:
                response = httpx.get(f"http://127.0.0.1:{port}/health")
                break
            except httpx.TransportError:
                assert process.poll() is None, "server process exited"
                assert time.monotonic() < deadline, "server did not come up"
                time.sleep(0.1)
        assert response.json() == {"status": "ok"}
    finally:
        process.terminate()
        process.wait(timeout=10)
