"""API family adapters: what ``family_for_path(path).facts(body)`` reads from real request bodies.

Every body here is what an SDK or a hand-rolled client actually sends, encoded as JSON bytes:
OpenAI chat completions (content parts, images, tools, developer role, tool turns), legacy
completions (string, list and token-id prompts, ``best_of``, integer ``logprobs``), the
Responses API (instructions, item lists, function calls, reasoning options) and Anthropic
messages (system blocks, tool results, extended thinking, metadata). The adapters' contract is
pinned too: a wrong type never raises, it is noted in ``facts.odd`` and the request goes on.
"""

from __future__ import annotations

import json
import math
from typing import Any

import orjson
import pytest
from hypothesis import HealthCheck, example, given, settings

from antiextract.request.apis import (
    CHAT,
    COMPLETIONS,
    FAMILIES,
    GENERIC,
    INVOCATIONS,
    MESSAGES,
    RESPONSES,
    family_for_path,
)
from antiextract.request.apis.base import MAX_TEXT, RequestFacts
from antiextract.request.cost import estimate
from antiextract.request.degrade import DegradePlan, request_body, rewrite_request
from antiextract.request.fingerprint import template_fingerprint
from antiextract.request.signals import SignalWeights, read_signals

from .strategies import bodies_for_families, request_docs

CHAT_PATH = "/v1/chat/completions"
COMPLETIONS_PATH = "/v1/completions"
RESPONSES_PATH = "/v1/responses"
MESSAGES_PATH = "/v1/messages"
GENERIC_PATH = "/api/generate"  # Ollama-style: no dedicated adapter
PATHS = (CHAT_PATH, COMPLETIONS_PATH, RESPONSES_PATH, MESSAGES_PATH, GENERIC_PATH)


def js(doc: Any) -> bytes:
    """A request body as a client sends it: UTF-8 JSON."""
    return json.dumps(doc, ensure_ascii=False).encode()


def facts(path: str, doc: Any) -> RequestFacts:
    return family_for_path(path).facts(doc if isinstance(doc, bytes) else js(doc))


# --------------------------------------------------------------------------- realistic bodies

WEATHER_TOOL = {
    "type": "function",
    "function": {
        "name": "get_weather",
        "description": "Current weather for a city",
        "parameters": {
            "type": "object",
            "properties": {"city": {"type": "string"}, "unit": {"enum": ["c", "f"]}},
            "required": ["city"],
        },
    },
}
READ_FILE_TOOL = {
    "type": "function",
    "function": {
        "name": "read_file",
        "description": "Read a file from the repository",
        "parameters": {"type": "object", "properties": {"path": {"type": "string"}}},
        "strict": True,
    },
}

CHAT_AGENT = {
    "model": "gpt-4.1-2025-04-14",
    "messages": [
        {"role": "developer", "content": "You are a careful coding assistant for Acme's monorepo."},
        {"role": "system", "content": [{"type": "text", "text": "Answer in British English."}]},
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "What does this screenshot of the stack trace show?"},
                {
                    "type": "image_url",
                    "image_url": {"url": "data:image/png;base64,iVBORw0KGgo=", "detail": "low"},
                },
            ],
        },
        {
            "role": "assistant",
            "content": None,
            "tool_calls": [
                {
                    "id": "call_Q1",
                    "type": "function",
                    "function": {"name": "read_file", "arguments": '{"path": "app/main.py"}'},
                }
            ],
        },
        {
            "role": "tool",
            "tool_call_id": "call_Q1",
            "content": "def main():\n    raise ValueError('boom')\n",
        },
        {"role": "assistant", "content": "The error is raised by `main()` on start-up."},
        {
            "role": "user",
            "content": [
                {"type": "text", "text": "Fix it and add a unit test."},
                {"type": "image_url", "image_url": {"url": "https://example.com/ci.png"}},
            ],
        },
    ],
    "tools": [READ_FILE_TOOL, WEATHER_TOOL],
    "tool_choice": "auto",
    "max_completion_tokens": 4096,
    "max_tokens": 100,
    "n": 2,
    "stream": True,
    "stream_options": {"include_usage": True},
    "temperature": 0.2,
    "safety_identifier": "sha256:9f86d081884c7d65",
    "user": "legacy-user-17",
    "reasoning_effort": "medium",
    "logprobs": True,
    "top_logprobs": 5,
    "logit_bias": {"50256": -100, "1734": 5, "198": -2},
}

CHAT_SIMPLE = {
    "model": "gpt-4o-mini",
    "messages": [{"role": "user", "content": "What is the capital of France?"}],
    "max_tokens": 256,
    "user": "user-123",
}

LEGACY = {
    "model": "gpt-3.5-turbo-instruct",
    "prompt": "Translate to French:\n\nThe cat sits on the mat.\n\nFrench:",
    "max_tokens": 64,
    "n": 2,
    "best_of": 5,
    "logprobs": 5,
    "echo": True,
    "temperature": 0.7,
    "stop": ["\n"],
    "user": "batch-job-7",
}

RESPONSES_AGENT = {
    "model": "o4-mini",
    "instructions": "You are a meticulous research assistant.",
    "input": [
        {"role": "developer", "content": "Cite your sources."},
        {
            "type": "message",
            "role": "user",
            "content": [{"type": "input_text", "text": "What is the weather in Paris?"}],
        },
        {
            "type": "reasoning",
            "id": "rs_68a1",
            "summary": [],
            "encrypted_content": "gAAAAABoZ1x9...",
        },
        {
            "type": "function_call",
            "call_id": "call_9",
            "name": "get_weather",
            "arguments": '{"city": "Paris"}',
        },
        {"type": "function_call_output", "call_id": "call_9", "output": '{"temp_c": 18}'},
        {
            "type": "message",
            "role": "assistant",
            "content": [{"type": "output_text", "text": "It is 18 °C.", "annotations": []}],
        },
        {
            "role": "user",
            "content": [
                {"type": "input_text", "text": "And in Lyon?"},
                {"type": "input_image", "image_url": "https://example.com/lyon.jpg"},
            ],
        },
    ],
    "tools": [
        {
            "type": "function",
            "name": "get_weather",
            "parameters": {"type": "object", "properties": {"city": {"type": "string"}}},
        },
        {"type": "web_search_preview"},
    ],
    "reasoning": {"effort": "high", "summary": "auto"},
    "include": ["reasoning.encrypted_content"],
    "max_output_tokens": 16_000,
    "max_tokens": 5,  # not a Responses parameter: ignored
    "store": False,
    "stream": True,
    "temperature": 1.0,
    "top_logprobs": 3,
    "safety_identifier": "acct-42-user-7",
}

ANTHROPIC_AGENT = {
    "model": "claude-sonnet-4-5",
    "max_tokens": 32_000,
    "system": [
        {"type": "text", "text": "You are a coding agent.", "cache_control": {"type": "ephemeral"}},
        {"type": "text", "text": "Be concise."},
    ],
    "messages": [
        {"role": "user", "content": "List the files in src/."},
        {
            "role": "assistant",
            "content": [
                {"type": "thinking", "thinking": "I should run ls.", "signature": "EqQBCkYIBxgC"},
                {"type": "text", "text": "Let me check."},
                {"type": "tool_use", "id": "toolu_01A", "name": "bash", "input": {"cmd": "ls src"}},
            ],
        },
        {
            "role": "user",
            "content": [
                {
                    "type": "tool_result",
                    "tool_use_id": "toolu_01A",
                    "content": [{"type": "text", "text": "main.py\nutil.py"}],
                },
                {"type": "text", "text": "Now open main.py."},
            ],
        },
    ],
    "tools": [
        {
            "name": "bash",
            "description": "Run a shell command",
            "input_schema": {"type": "object", "properties": {"cmd": {"type": "string"}}},
        }
    ],
    "thinking": {"type": "enabled", "budget_tokens": 20_000},
    "metadata": {"user_id": "user-8f14e45f"},
    "stream": True,
    "temperature": 1,
}

ANTHROPIC_SIMPLE = {
    "model": "claude-haiku-4-5",
    "max_tokens": 1024,
    "system": "You are a friendly travel guide.",
    "messages": [{"role": "user", "content": "Where should I eat in Lyon?"}],
}


# --------------------------------------------------------------------------- routing


@pytest.mark.parametrize(
    ("path", "family"),
    [
        ("/v1/chat/completions", CHAT),
        ("/v1/chat/completions/", CHAT),
        ("/openai/deployments/gpt4/chat/completions", CHAT),
        ("/v1/completions", COMPLETIONS),
        ("/v1/responses", RESPONSES),
        ("/v1/messages", MESSAGES),
        ("/anthropic/v1/messages/", MESSAGES),
        ("/api/generate", GENERIC),
        ("/v1/embeddings", GENERIC),
        ("/v1/chat/completions#x", CHAT),  # a fragment h11 kept in the path
        ("/invocations", INVOCATIONS),  # the body says which API (see below)
        ("/api/invocations", INVOCATIONS),
    ],
)
def test_family_for_path(path: str, family: object) -> None:
    assert family_for_path(path) is family


# --------------------------------------------------------------------------- OpenAI chat


def test_chat_agent_conversation() -> None:
    f = facts(CHAT_PATH, CHAT_AGENT)
    assert f.family == "openai.chat"
    assert f.parsed and f.odd == []
    assert f.doc == CHAT_AGENT
    assert f.model == "gpt-4.1-2025-04-14"
    assert f.output_tokens == 4096  # the larger of max_completion_tokens and max_tokens
    assert f.n == 2
    assert f.stream is True
    assert f.end_user == "sha256:9f86d081884c7d65"  # safety_identifier wins over user
    assert f.system_text == "You are a careful coding assistant for Acme's monorepo.\n" + (
        "Answer in British English."
    )
    assert f.user_text == "Fix it and add a unit test."  # the latest user turn, image skipped
    assert f.turns == 7
    assert f.assistant_turns == 2
    assert f.tools == 2
    assert f.logprobs is True
    assert f.top_logprobs == 5
    assert f.logit_bias == 3
    assert f.temperature == 0.2
    assert f.reasoning_effort == "medium"
    assert f.prompt_logprobs is False and f.token_ids is False
    assert f.reasoning_include is False and f.thinking_budget is None
    assert f.prompt_text == f.system_text + "\nFix it and add a unit test."


def test_chat_simple_request() -> None:
    f = facts(CHAT_PATH, CHAT_SIMPLE)
    assert f.parsed and f.odd == []
    assert f.model == "gpt-4o-mini"
    assert f.output_tokens == 256
    assert f.n == 1
    assert f.stream is False
    assert f.end_user == "user-123"
    assert f.system_text == ""
    assert f.user_text == f.prompt_text == "What is the capital of France?"
    assert (f.turns, f.assistant_turns, f.tools) == (1, 0, 0)
    assert f.logprobs is False and f.top_logprobs is None and f.logit_bias == 0
    assert f.temperature is None and f.reasoning_effort is None


def test_chat_image_only_turn_and_legacy_functions() -> None:
    doc = {
        "model": "gpt-4o",
        "messages": [
            {
                "role": "user",
                "content": [
                    {"type": "image_url", "image_url": {"url": "https://example.com/a.png"}},
                    {"type": "text", "text": "Describe this photo."},
                    {"type": "input_audio", "input_audio": {"data": "UklGR", "format": "wav"}},
                ],
            }
        ],
        "functions": [{"name": "lookup", "parameters": {"type": "object"}}],
        "function_call": "auto",
    }
    f = facts(CHAT_PATH, doc)
    assert f.odd == []
    assert f.user_text == "Describe this photo."
    assert f.tools == 1


def test_chat_output_budget_is_the_largest_field_read_as_leniently_as_servers_do() -> None:
    """Servers differ on which of max_completion_tokens / max_tokens wins, and pydantic
    servers take "2048" or 2048.0 for 2048: the budget is the largest, read leniently."""
    assert facts(CHAT_PATH, {**CHAT_SIMPLE, "max_tokens": 777}).output_tokens == 777
    f = facts(CHAT_PATH, {**CHAT_SIMPLE, "max_completion_tokens": "2048", "max_tokens": 512})
    assert f.output_tokens == 2048
    assert f.odd == ["max_completion_tokens:type"]
    f = facts(CHAT_PATH, {**CHAT_SIMPLE, "max_completion_tokens": 10, "max_tokens": 9000})
    assert f.output_tokens == 9000
    for value, expected in ((3000.0, 3000), (" 64 ", 64), (1e23, math.ceil(1e23)), ("12.5", 13)):
        assert facts(CHAT_PATH, {**CHAT_SIMPLE, "max_tokens": value}).output_tokens == expected
    for value in ("lots", True, [5], {"a": 1}):
        f = facts(CHAT_PATH, {**CHAT_SIMPLE, "max_tokens": value})
        assert f.output_tokens is None and f.odd == ["max_tokens:type"]


def test_negative_output_budget_is_kept_for_the_estimate() -> None:
    """llama.cpp reads -1 as "no limit": the estimate charges it as the most (cost.py)."""
    assert facts(CHAT_PATH, {**CHAT_SIMPLE, "max_tokens": -5}).output_tokens == -5


def test_output_tokens_absent() -> None:
    doc = {"model": "gpt-4o", "messages": [{"role": "user", "content": "hi"}]}
    assert facts(CHAT_PATH, doc).output_tokens is None


@pytest.mark.parametrize(
    ("n", "expected"),
    [(0, 1), (-3, 1), (1, 1), (4, 4), (128, 128), (129, 129), (10_000, 10_000)],
)
def test_n_is_at_least_one_and_not_capped(n: int, expected: int) -> None:
    """Servers other than OpenAI's take n past 128 (vLLM): every sample is charged."""
    assert facts(CHAT_PATH, {**CHAT_SIMPLE, "n": n}).n == expected


@pytest.mark.parametrize(("n", "expected"), [("4", 4), (2.0, 2), (True, 1), ([2], 1)])
def test_n_wrong_type_is_odd_and_read_as_servers_read_it(n: object, expected: int) -> None:
    f = facts(CHAT_PATH, {**CHAT_SIMPLE, "n": n})
    assert f.n == expected
    assert f.odd == ["n:type"]


def test_stream_must_be_true() -> None:
    assert facts(CHAT_PATH, {**CHAT_SIMPLE, "stream": "true"}).stream is False
    assert facts(CHAT_PATH, {**CHAT_SIMPLE, "stream": False}).stream is False
    assert facts(CHAT_PATH, {**CHAT_SIMPLE, "stream": True}).stream is True


def test_temperature_zero_is_recorded() -> None:
    f = facts(CHAT_PATH, {**CHAT_SIMPLE, "temperature": 0})
    assert f.temperature == 0.0 and isinstance(f.temperature, float)


def test_vllm_extensions_on_chat() -> None:
    doc = {
        **CHAT_SIMPLE,
        "prompt_logprobs": 0,  # vLLM: 0 still returns the prompt tokens' own logprobs
        "allowed_token_ids": [9642, 2822],
        "top_logprobs": -1,  # vLLM: the whole vocabulary
        "logprobs": True,
    }
    f = facts(CHAT_PATH, doc)
    assert f.odd == []
    assert f.prompt_logprobs is True
    assert f.token_ids is True
    assert f.top_logprobs == -1
    f = facts(CHAT_PATH, {**CHAT_SIMPLE, "logprob_token_ids": [101, 102]})
    assert f.token_ids is True and f.prompt_logprobs is False


@pytest.mark.parametrize(
    "extra",
    [
        {},
        {"prompt_logprobs": None},
        {"prompt_logprobs": False},
        {"allowed_token_ids": []},
        {"logprob_token_ids": None},
        {"logprobs": False, "top_logprobs": 0},
        {"logit_bias": {}},
        {"logit_bias": None},
    ],
)
def test_extraction_parameters_absent(extra: dict[str, Any]) -> None:
    f = facts(CHAT_PATH, {**CHAT_SIMPLE, **extra})
    assert f.prompt_logprobs is False
    assert f.token_ids is False
    assert f.logprobs is False
    assert f.logit_bias == 0
    assert f.odd == []


def test_end_user_falls_back_to_user() -> None:
    assert facts(CHAT_PATH, {**CHAT_SIMPLE, "safety_identifier": ""}).end_user == "user-123"
    assert facts(CHAT_PATH, {**CHAT_SIMPLE, "user": None}).end_user is None


def test_latest_user_turn_wins_over_earlier_ones() -> None:
    doc = {
        "model": "gpt-4o",
        "messages": [
            {"role": "system", "content": "You are terse."},
            {"role": "user", "content": "First question"},
            {"role": "assistant", "content": "First answer"},
            {"role": "user", "content": "Second question"},
            {"role": "assistant", "content": "Second answer"},
            {"role": "user", "content": "Third question"},
        ],
    }
    f = facts(CHAT_PATH, doc)
    assert f.user_text == "Third question"
    assert (f.turns, f.assistant_turns) == (6, 2)
    assert f.system_text == "You are terse."
    assert f.prompt_text == "You are terse.\nThird question"


# --------------------------------------------------------------------------- legacy completions


def test_legacy_completion_string_prompt() -> None:
    f = facts(COMPLETIONS_PATH, LEGACY)
    assert f.family == "openai.completions"
    assert f.parsed and f.odd == []
    assert f.model == "gpt-3.5-turbo-instruct"
    assert f.output_tokens == 64
    assert f.n == 5  # best_of samples are generated too
    assert f.logprobs is True  # an int on legacy completions
    assert f.top_logprobs is None
    assert f.temperature == 0.7
    assert f.end_user == "batch-job-7"
    assert f.user_text == LEGACY["prompt"]
    assert f.system_text == ""
    assert f.prompt_text == LEGACY["prompt"]
    assert (f.turns, f.assistant_turns, f.tools) == (1, 0, 0)


def test_legacy_list_of_strings_prompt() -> None:
    doc = {"model": "davinci-002", "prompt": ["Once upon a time", "In a galaxy far away"]}
    f = facts(COMPLETIONS_PATH, doc)
    assert f.odd == []
    assert f.user_text == "Once upon a time\nIn a galaxy far away"
    assert f.turns == 1


def test_legacy_token_id_prompt() -> None:
    doc = {"model": "davinci-002", "prompt": [1212, 318, 257, 1332, 13], "max_tokens": 16}
    f = facts(COMPLETIONS_PATH, doc)
    assert f.parsed and f.odd == []
    assert f.user_text == ""
    assert f.turns == 1
    assert f.output_tokens == 16


def test_legacy_batch_of_token_id_prompts_is_not_odd() -> None:
    """A prompt that is "an array of token arrays" is a documented shape of /v1/completions
    (eval harnesses send pre-tokenised batches): a valid request, so not ``odd_body`` (the
    adapter once noted every inner list as ``content:part``)."""
    doc = {"model": "davinci-002", "prompt": [[1212, 318, 257], [40, 588, 257]], "max_tokens": 1}
    f = facts(COMPLETIONS_PATH, doc)
    assert f.parsed
    assert f.odd == []


@pytest.mark.parametrize(
    ("prompt", "extra", "prompts"),
    [
        ("Once upon a time", {}, 1),
        (["a"] * 50, {}, 50),  # a batch: vLLM and OpenAI generate n x max_tokens for each
        ([1212, 318, 257], {}, 1),  # one prompt of token ids
        ([1212.0, 318.0], {}, 1),  # pydantic reads 1.0 as the token id 1
        ([[1, 2], [3], [4, 5, 6]], {}, 3),  # a batch of token-id prompts
        (["a", [1, 2]], {}, 2),  # mixed: refused by the server, or one each
        ([], {}, 1),
        ("a", {"prompt_embeds": ["AAAA", "BBBB"]}, 3),  # vLLM: embeds generated for too
        (None, {"prompt_embeds": "AAAA"}, 1),
        (None, {"prompt_embeds": ["AAAA"] * 4}, 4),
    ],
)
def test_legacy_batch_counts_every_prompt(prompt: Any, extra: dict[str, Any], prompts: int) -> None:
    """A list of prompts is generated for n times each: reserved as one prompt, 30
    concurrent requests of 50 prompts x 16,384 tokens took 13.9 M output tokens on a
    600,000-token charge (the breaker's repro/batch_prompts.py)."""
    doc: dict[str, Any] = {"model": "m", "max_tokens": 16, "n": 2, **extra}
    if prompt is not None:
        doc["prompt"] = prompt
    f = facts(COMPLETIONS_PATH, doc)
    assert (f.prompts, f.n) == (prompts, 2)
    assert estimate(0, f, default_output=16, max_output=100) == 16 * 2 * prompts
    # a generic path reads a list of prompts the same way; chat has no such list
    assert facts(GENERIC_PATH, doc).prompts == (prompts if prompt is not None else 1)
    assert facts(CHAT_PATH, doc).prompts == 1


@pytest.mark.parametrize(
    ("path", "doc", "references"),
    [
        (CHAT_PATH, {"messages": [{"role": "user", "content": [
            {"type": "text", "text": "what is this?"},
            {"type": "image_url", "image_url": {"url": "https://example.com/a.png"}},
            {"type": "image_url", "image_url": {"url": "data:image/png;base64,AAAA"}},
            {"type": "file", "file": {"file_id": "file-abc"}},
        ]}]}, 2),
        (RESPONSES_PATH, {"previous_response_id": "resp_1", "input": [{"role": "user", "content": [
            {"type": "input_file", "file_url": "https://example.com/a.pdf"},
            {"type": "input_image", "image_url": "data:image/png;base64,AAAA"},
        ]}], "tools": [{"type": "file_search", "vector_store_ids": ["vs_1"]},
                       {"type": "function", "name": "f"}]}, 3),
        (MESSAGES_PATH, {"max_tokens": 10, "container": "container_1", "messages": [
            {"role": "user", "content": [
                {"type": "image", "source": {"type": "url", "url": "https://example.com/a.png"}},
                {"type": "image", "source": {"type": "base64", "data": "AAAA"}},
                {"type": "document", "source": {"type": "file", "file_id": "file_1"}},
                {"type": "tool_result", "tool_use_id": "t", "content": [
                    {"type": "image", "source": {"type": "url", "url": "https://x/b.png"}}]},
            ]}], "tools": [{"type": "web_fetch_20250910", "name": "web_fetch"}]}, 5),
        (CHAT_PATH, {"messages": [{"role": "user", "content": "plain text"}]}, 0),
    ],
)  # fmt: skip
def test_content_the_server_fetches_is_counted(path: str, doc: dict, references: int) -> None:
    """A URL, a file id, an earlier response or a hosted search tool brings context in
    that is not in the body's bytes: each reserves MAX_OUTPUT_TOKENS more (cost.py)."""
    f = facts(path, doc)
    assert f.references == references
    body = js(doc)
    plain = estimate(len(body), RequestFacts(f.family, parsed=True, output_tokens=1),
                     default_output=1, max_output=100)  # fmt: skip
    with_refs = estimate(len(body), replace_output(f, 1), default_output=1, max_output=100)
    assert with_refs - plain == 100 * references


def replace_output(f: RequestFacts, output: int) -> RequestFacts:
    f.output_tokens, f.n, f.prompts = output, 1, 1
    return f


def test_legacy_output_field_is_max_tokens_only() -> None:
    doc = {"model": "davinci-002", "prompt": "hi", "max_completion_tokens": 9000}
    assert facts(COMPLETIONS_PATH, doc).output_tokens is None


@pytest.mark.parametrize(
    ("n", "best_of", "expected"),
    [(None, 3, 3), (3, 2, 3), (2, 5, 5), (1, 500, 500), (None, None, 1), (4, None, 4)],
)
def test_legacy_best_of_raises_n(n: int | None, best_of: int | None, expected: int) -> None:
    doc: dict[str, Any] = {"model": "davinci-002", "prompt": "Q: 2+2?\nA:"}
    if n is not None:
        doc["n"] = n
    if best_of is not None:
        doc["best_of"] = best_of
    assert facts(COMPLETIONS_PATH, doc).n == expected


def test_legacy_best_of_wrong_type_is_odd() -> None:
    f = facts(COMPLETIONS_PATH, {"model": "davinci-002", "prompt": "hi", "best_of": "3"})
    assert f.n == 3  # pydantic servers take "3" for 3
    assert f.odd == ["best_of:type"]


@pytest.mark.parametrize("logprobs", [1, 5, 20])
def test_legacy_int_logprobs(logprobs: int) -> None:
    doc = {"model": "davinci-002", "prompt": "hi", "logprobs": logprobs}
    assert facts(COMPLETIONS_PATH, doc).logprobs is True


@pytest.mark.parametrize("logprobs", [None, False])
def test_legacy_logprobs_off(logprobs: object) -> None:
    doc = {"model": "davinci-002", "prompt": "hi", "logprobs": logprobs}
    assert facts(COMPLETIONS_PATH, doc).logprobs is False


@pytest.mark.parametrize("logprobs", [0, -1])
def test_legacy_logprobs_zero_and_minus_one_return_probabilities(logprobs: int) -> None:
    """On /v1/completions any integer ``logprobs`` returns probabilities: 0 still returns
    the logprob of every sampled token (OpenAI: "the API will always return the logprob of the
    sampled token"), and vLLM's -1 returns the whole vocabulary per position; both count
    (the adapter once accepted ``logprobs > 0`` only)."""
    doc = {"model": "meta-llama/Llama-3.1-8B", "prompt": "Paris is the", "logprobs": logprobs}
    assert facts(COMPLETIONS_PATH, doc).logprobs is True


# --------------------------------------------------------------------------- Responses API


def test_responses_agent_items() -> None:
    f = facts(RESPONSES_PATH, RESPONSES_AGENT)
    assert f.family == "openai.responses"
    assert f.parsed and f.odd == []
    assert f.model == "o4-mini"
    assert f.output_tokens == 16_000  # max_output_tokens; max_tokens is not a Responses field
    assert f.stream is True
    assert f.end_user == "acct-42-user-7"
    assert f.system_text == "You are a meticulous research assistant.\nCite your sources."
    assert f.user_text == "And in Lyon?"  # input_text of the latest user item, image skipped
    assert f.turns == 7
    assert f.assistant_turns == 3  # reasoning, function_call, assistant message
    assert f.tools == 2
    assert f.reasoning_effort == "high"
    assert f.reasoning_include is True
    assert f.top_logprobs == 3
    assert f.temperature == 1.0
    assert f.prompt_text == f.system_text + "\nAnd in Lyon?"


def test_responses_string_input() -> None:
    doc = {
        "model": "gpt-4.1",
        "instructions": "Talk like a pirate.",
        "input": "Are semicolons optional in JavaScript?",
        "user": "u-99",
    }
    f = facts(RESPONSES_PATH, doc)
    assert f.odd == []
    assert f.system_text == "Talk like a pirate."
    assert f.user_text == "Are semicolons optional in JavaScript?"
    assert (f.turns, f.assistant_turns) == (1, 0)
    assert f.end_user == "u-99"
    assert f.output_tokens is None
    assert f.reasoning_effort is None and f.reasoning_include is False
    assert f.prompt_text == "Talk like a pirate.\nAre semicolons optional in JavaScript?"


@pytest.mark.parametrize(
    ("include", "expected"),
    [
        (["reasoning.encrypted_content"], True),
        (["file_search_call.results", "reasoning.encrypted_content"], True),
        (["file_search_call.results"], False),
        ([], False),
        ([7, None], False),
    ],
)
def test_responses_reasoning_include(include: list[Any], expected: bool) -> None:
    doc = {"model": "o3", "input": "hi", "include": include}
    assert facts(RESPONSES_PATH, doc).reasoning_include is expected


def test_responses_output_text_logprobs_include_asks_for_logprobs() -> None:
    """On the Responses API the token log-probabilities are requested with
    ``include: ["message.output_text.logprobs"]`` (``top_logprobs`` alone returns an empty
    list): the adapter reads that ``include`` too, or a Responses logprob harvest without
    ``top_logprobs`` would be invisible."""
    doc = {"model": "gpt-4.1", "input": "Yes or no?", "include": ["message.output_text.logprobs"]}
    assert facts(RESPONSES_PATH, doc).logprobs is True


def test_responses_reasoning_effort_from_reasoning_object() -> None:
    doc = {"model": "o3", "input": "hi", "reasoning": {"effort": "low"}}
    assert facts(RESPONSES_PATH, doc).reasoning_effort == "low"
    doc = {"model": "o3", "input": "hi", "reasoning": {"summary": "auto"}}
    assert facts(RESPONSES_PATH, doc).reasoning_effort is None


def test_responses_wrong_shapes_are_odd() -> None:
    doc = {"model": "o3", "instructions": ["be brief"], "input": "hi", "reasoning": "high"}
    f = facts(RESPONSES_PATH, doc)
    assert f.parsed
    assert sorted(f.odd) == ["instructions:type", "reasoning:type"]
    assert f.system_text == "" and f.reasoning_effort is None
    assert f.user_text == "hi"


def test_chat_reasoning_effort() -> None:
    f = facts(CHAT_PATH, {**CHAT_SIMPLE, "model": "o3-mini", "reasoning_effort": "high"})
    assert f.reasoning_effort == "high"


# --------------------------------------------------------------------------- Anthropic messages


def test_anthropic_agent_conversation() -> None:
    f = facts(MESSAGES_PATH, ANTHROPIC_AGENT)
    assert f.family == "anthropic.messages"
    assert f.parsed and f.odd == []
    assert f.model == "claude-sonnet-4-5"
    assert f.output_tokens == 32_000
    assert f.stream is True
    assert f.end_user == "user-8f14e45f"
    assert f.system_text == "You are a coding agent.\nBe concise."
    # the latest user turn: the tool_result's nested text, then the text block
    assert f.user_text == "main.py\nutil.py\nNow open main.py."
    assert (f.turns, f.assistant_turns, f.tools) == (3, 1, 1)
    assert f.thinking_budget == 20_000
    assert f.temperature == 1.0
    assert f.n == 1
    assert f.prompt_text == f.system_text + "\nmain.py\nutil.py\nNow open main.py."


def test_anthropic_string_system_and_no_metadata() -> None:
    f = facts(MESSAGES_PATH, ANTHROPIC_SIMPLE)
    assert f.odd == []
    assert f.system_text == "You are a friendly travel guide."
    assert f.user_text == "Where should I eat in Lyon?"
    assert f.end_user is None
    assert f.thinking_budget is None
    assert f.output_tokens == 1024
    assert (f.turns, f.assistant_turns, f.tools) == (1, 0, 0)


def test_anthropic_ignores_openai_user_field() -> None:
    f = facts(MESSAGES_PATH, {**ANTHROPIC_SIMPLE, "user": "someone", "metadata": {}})
    assert f.end_user is None
    assert f.odd == []


def test_anthropic_tool_result_with_string_content() -> None:
    doc = {
        **ANTHROPIC_SIMPLE,
        "messages": [
            {"role": "user", "content": "What time is it in Tokyo?"},
            {
                "role": "assistant",
                "content": [{"type": "tool_use", "id": "toolu_9", "name": "clock", "input": {}}],
            },
            {
                "role": "user",
                "content": [{"type": "tool_result", "tool_use_id": "toolu_9", "content": "09:14"}],
            },
        ],
    }
    f = facts(MESSAGES_PATH, doc)
    assert f.odd == []
    assert f.user_text == "09:14"
    assert f.assistant_turns == 1


def test_anthropic_image_block_contributes_nothing() -> None:
    doc = {
        **ANTHROPIC_SIMPLE,
        "messages": [
            {
                "role": "user",
                "content": [
                    {
                        "type": "image",
                        "source": {"type": "base64", "media_type": "image/png", "data": "iVBO"},
                    },
                    {"type": "text", "text": "What breed is this dog?"},
                ],
            }
        ],
    }
    f = facts(MESSAGES_PATH, doc)
    assert f.odd == []
    assert f.user_text == "What breed is this dog?"


@pytest.mark.parametrize(
    ("thinking", "budget"),
    [
        ({"type": "enabled", "budget_tokens": 1024}, 1024),
        ({"type": "enabled", "budget_tokens": 16_384}, 16_384),
        ({"type": "adaptive"}, 0),
        ({"type": "disabled"}, None),
        (None, None),
    ],
)
def test_anthropic_thinking_budget(thinking: dict[str, Any] | None, budget: int | None) -> None:
    f = facts(MESSAGES_PATH, {**ANTHROPIC_SIMPLE, "thinking": thinking, "max_tokens": 20_000})
    assert f.thinking_budget == budget
    assert f.odd == []


def test_anthropic_max_tokens_only() -> None:
    doc = {**ANTHROPIC_SIMPLE, "max_completion_tokens": 9}
    assert facts(MESSAGES_PATH, doc).output_tokens == 1024


# --------------------------------------------------------------------------- generic / unknown


def test_generic_messages() -> None:
    doc = {
        "model": "llama3.1",
        "messages": [
            {"role": "system", "content": "You are helpful."},
            {"role": "user", "content": "Why is the sky blue?"},
        ],
        "max_completion_tokens": 300,
        "options": {"num_ctx": 8192},
    }
    f = facts("/api/chat", doc)
    assert f.family == "generic"
    assert f.parsed and f.odd == []
    assert f.system_text == "You are helpful."
    assert f.user_text == "Why is the sky blue?"
    assert f.output_tokens == 300


def test_generic_prompt_and_input() -> None:
    f = facts(GENERIC_PATH, {"model": "llama3.1", "prompt": "Why is the sky blue?", "stream": True})
    assert (f.user_text, f.turns, f.stream) == ("Why is the sky blue?", 1, True)
    f = facts("/v1/embeddings", {"model": "text-embedding-3-small", "input": ["alpha", "beta"]})
    assert (f.user_text, f.turns) == ("alpha\nbeta", 1)


def test_generic_output_budget_is_the_largest_field() -> None:
    doc = {"max_output_tokens": 3, "max_completion_tokens": 2, "max_tokens": 1}
    assert facts(GENERIC_PATH, doc).output_tokens == 3


# --------------------------------------------------------------------------- native servers


def test_tgi_generate() -> None:
    """TGI's /generate: ``inputs`` and ``parameters`` (its budget, samples and
    log-probability options)."""
    doc = {
        "inputs": "Explain step by step how a B-tree splits a node",
        "parameters": {
            "max_new_tokens": 3000,
            "best_of": 3,
            "top_n_tokens": 5,
            "decoder_input_details": True,
        },
    }
    f = facts("/generate", doc)
    assert f.family == "generic" and f.parsed and f.odd == []
    assert f.user_text == doc["inputs"] and f.turns == 1
    assert (f.output_tokens, f.n) == (3000, 3)
    assert (f.logprobs, f.top_logprobs, f.prompt_logprobs) == (True, 5, True)
    assert facts("/generate", {"inputs": "x", "parameters": {"details": True}}).logprobs


def test_llama_cpp_completion_and_infill() -> None:
    f = facts("/completion", {"prompt": "Write a parser", "n_predict": 2500, "n_probs": 10})
    assert (f.user_text, f.output_tokens) == ("Write a parser", 2500)
    assert (f.logprobs, f.top_logprobs) == (True, 10)
    # n_predict -1 is "until the context is full" and wins over max_tokens, as in llama.cpp
    assert (
        facts("/completion", {"prompt": "x", "n_predict": -1, "max_tokens": 10}).output_tokens == -1
    )
    f = facts("/infill", {"input_prefix": "def f(x):", "input_suffix": "return y", "prompt": ""})
    assert f.user_text == "def f(x):\nreturn y" and f.turns == 1


def test_ollama_options_num_predict() -> None:
    doc = {"model": "llama3.1", "prompt": "Why?", "system": "Be brief.",
           "options": {"num_predict": 4096, "num_ctx": 8192}}  # fmt: skip
    f = facts("/api/generate", doc)
    assert (f.output_tokens, f.system_text, f.user_text) == (4096, "Be brief.", "Why?")
    assert facts("/api/chat", {"messages": [], "options": {"num_predict": -2}}).output_tokens == -2
    odd = facts("/api/generate", {"prompt": "x", "options": {"num_predict": "lots"}})
    assert odd.output_tokens is None and "num_predict:type" in odd.odd
    assert "options:type" in facts("/api/generate", {"prompt": "x", "options": [1]}).odd


@pytest.mark.parametrize(
    ("doc", "family", "output", "n"),
    [
        ({"messages": [{"role": "user", "content": "hi"}], "max_completion_tokens": 77},
         "openai.chat", 77, 1),
        ({"prompt": ["a", "b"], "max_tokens": 5, "best_of": 4}, "openai.completions", 5, 4),
        ({"inputs": "hi", "parameters": {"max_new_tokens": 9}}, "generic", 9, 1),
    ],
)  # fmt: skip
def test_invocations_is_read_as_its_bodys_api(
    doc: dict[str, Any], family: str, output: int, n: int
) -> None:
    """SageMaker's /invocations: vLLM runs a body with ``messages`` as chat and one with
    ``prompt`` as a completion; TGI also its own ``inputs``. The facts name that family,
    and ``apis.FAMILIES`` gives the adapter the middleware then charges and answers as."""
    f = facts("/invocations", doc)
    assert (f.family, f.output_tokens, f.n) == (family, output, n)
    assert FAMILIES[f.family].name == family


def test_unknown_json_on_generic_path() -> None:
    doc = {"query": "pricing", "documents": ["a", "b"], "top_n": 3, "return_documents": True}
    f = facts("/v1/rerank", doc)
    assert f.parsed and f.odd == []
    assert f.doc == doc
    assert (f.user_text, f.system_text, f.turns) == ("", "", 0)
    assert f.model is None and f.output_tokens is None and f.n == 1


# --------------------------------------------------------------------------- long prompts


def test_long_prompt_is_capped() -> None:
    long = "lorem ipsum " * 20_000
    f = facts(CHAT_PATH, {"model": "gpt-4o", "messages": [{"role": "user", "content": long}]})
    assert 0 < len(f.user_text) <= MAX_TEXT + 1


def test_long_prompt_keeps_its_end() -> None:
    """The signals read a prompt's *edges* (``signals.edges``), so a text longer than
    ``MAX_TEXT`` keeps its end: cutting it to its first 64 K characters would drop the ask
    and any instruction appended at the end, and padding a prompt would hide its wrapper."""
    long = "Background document. " * 5_000 + "\n\nThink step by step."
    for path, doc in [
        (CHAT_PATH, {"model": "gpt-4o", "messages": [{"role": "user", "content": long}]}),
        (
            CHAT_PATH,
            {
                "model": "gpt-4o",
                "messages": [
                    {
                        "role": "user",
                        "content": [
                            {"type": "text", "text": "Background document. " * 5_000},
                            {"type": "text", "text": "Think step by step."},
                        ],
                    }
                ],
            },
        ),
        (RESPONSES_PATH, {"model": "o3", "input": long}),
        (COMPLETIONS_PATH, {"model": "davinci-002", "prompt": long}),
    ]:
        f = facts(path, doc)
        assert f.user_text.endswith("Think step by step."), path


def test_deeply_nested_tool_results_do_not_raise() -> None:
    content: Any = "leaf"
    for _ in range(400):
        content = [{"type": "tool_result", "tool_use_id": "t", "content": content}]
    doc = {"model": "claude", "max_tokens": 10, "messages": [{"role": "user", "content": content}]}
    f = facts(MESSAGES_PATH, doc)
    assert f.user_text == "leaf"


# --------------------------------------------------------------------------- wrong types


@pytest.mark.parametrize(
    ("path", "doc", "odd"),
    [
        (CHAT_PATH, {**CHAT_SIMPLE, "max_tokens": "512"}, "max_tokens:type"),
        (COMPLETIONS_PATH, {**LEGACY, "max_tokens": "64"}, "max_tokens:type"),
        (MESSAGES_PATH, {**ANTHROPIC_SIMPLE, "max_tokens": 1024.5}, "max_tokens:type"),
        (RESPONSES_PATH, {"input": "hi", "max_output_tokens": True}, "max_output_tokens:type"),
        (CHAT_PATH, {"model": "gpt-4o", "messages": {"role": "user"}}, "messages:type"),
        (MESSAGES_PATH, {**ANTHROPIC_SIMPLE, "messages": "hello"}, "messages:type"),
        (GENERIC_PATH, {"messages": 5}, "messages:type"),
        (RESPONSES_PATH, {"model": "o3", "input": {"role": "user"}}, "messages:type"),
        (CHAT_PATH, {"model": "gpt-4o", "messages": ["hello"]}, "message:type"),
        (CHAT_PATH, {"messages": [{"role": "user", "content": 42}]}, "content:type"),
        (MESSAGES_PATH, {**ANTHROPIC_SIMPLE, "system": 3.5}, "content:type"),
        (CHAT_PATH, {"messages": [{"role": "user", "content": [1, 2]}]}, "content:part"),
        (CHAT_PATH, {**CHAT_SIMPLE, "logit_bias": [[50256, -100]]}, "logit_bias:type"),
        (CHAT_PATH, {**CHAT_SIMPLE, "temperature": "0.7"}, "temperature:type"),
        (CHAT_PATH, {**CHAT_SIMPLE, "temperature": True}, "temperature:type"),
        (CHAT_PATH, {**CHAT_SIMPLE, "top_logprobs": "5"}, "top_logprobs:type"),
        (CHAT_PATH, {**CHAT_SIMPLE, "model": 4}, "model:type"),
        (CHAT_PATH, {**CHAT_SIMPLE, "user": 12345}, "user:type"),
        (CHAT_PATH, {**CHAT_SIMPLE, "tools": {"type": "function"}}, "tools:type"),
        (MESSAGES_PATH, {**ANTHROPIC_SIMPLE, "metadata": "user-1"}, "metadata:type"),
        (MESSAGES_PATH, {**ANTHROPIC_SIMPLE, "thinking": "enabled"}, "thinking:type"),
        (COMPLETIONS_PATH, {"model": "davinci-002", "prompt": 12}, "content:type"),
    ],
)
def test_wrong_types_are_odd_and_never_raise(path: str, doc: dict[str, Any], odd: str) -> None:
    f = facts(path, doc)
    assert f.parsed is True
    assert odd in f.odd


def test_wrong_types_keep_the_rest() -> None:
    doc = {
        "model": "gpt-4o",
        "max_tokens": "512",
        "temperature": "hot",
        "logit_bias": [1, 2],
        "messages": [
            "stray string",
            {"role": "system", "content": 7},
            {"role": "user", "content": [3, {"type": "text", "text": "Still readable."}]},
        ],
    }
    f = facts(CHAT_PATH, doc)
    assert f.parsed
    assert sorted(f.odd) == sorted(
        [
            "max_tokens:type",
            "temperature:type",
            "logit_bias:type",
            "message:type",
            "content:type",
            "content:part",
        ]
    )
    assert f.model == "gpt-4o"
    assert f.output_tokens == 512  # read as servers read it ("512" is 512 to pydantic)
    assert f.temperature is None and f.logit_bias == 0
    assert f.user_text == "Still readable."
    assert f.turns == 2


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize(
    ("body", "odd"),
    [
        (b'[{"role": "user", "content": "hi"}]', "body:shape"),
        (b'"just a string"', "body:shape"),
        (b"null", "body:shape"),
        (b'{"model": "gpt-4o", "messages": [', "body:json"),
        (b"model=gpt-4o&prompt=hi", "body:json"),
        (b"\xff\xfe{\x00\x00", "body:json"),
        (b"", "body:json"),
        (None, "body:uninspected"),
    ],
)
def test_unreadable_bodies(path: str, body: bytes | None, odd: str) -> None:
    f = family_for_path(path).facts(body)
    assert f.parsed is False
    assert f.doc is None
    assert f.odd == [odd]
    assert (f.user_text, f.system_text, f.turns, f.n) == ("", "", 0, 1)


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("role", [["user"], {"name": "user"}])
def test_unhashable_role_does_not_raise(path: str, role: object) -> None:
    """A list or an object as ``role`` is not a system role and raises nothing (a set
    lookup of an unhashable value raises ``TypeError``, and the request would then pass
    through unscored)."""
    doc = {"model": "m", "max_tokens": 5, "messages": [{"role": role, "content": "hi"}]}
    if path == RESPONSES_PATH:
        doc = {"model": "m", "input": [{"role": role, "content": "hi"}]}
    f = facts(path, doc)
    assert f.parsed


# --------------------------------------------------------------------------- property


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(request_docs)
@example({"messages": [{"role": ["user"], "content": "hi"}]})
@example({"input": [{"type": "message", "role": {}, "content": []}]})
@example({"prompt": [[1, 2], "x", None, {"content": [{"content": 3}]}]})
def test_facts_never_raise_on_arbitrary_json(doc: Any) -> None:
    body = js(doc)
    for path in PATHS:
        f = family_for_path(path).facts(body)
        assert f.parsed is isinstance(doc, dict)
        assert f.n >= 1  # not capped: every sample is charged (take_cost caps the charge)
        assert f.output_tokens is None or isinstance(f.output_tokens, int)
        assert isinstance(f.user_text, str) and len(f.user_text) <= MAX_TEXT
        assert isinstance(f.system_text, str) and len(f.system_text) <= MAX_TEXT
        assert f.turns >= f.assistant_turns >= 0
        assert isinstance(f.prompt_text, str)


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize(
    "body",
    [
        b'{"max_tokens": 9000, "n": 3, "temperature": NaN, "messages": []}',
        b'{"max_tokens": 9000, "n": 3, "x": 1e400, "messages": []}',
        b'{"max_tokens": 9000, "n": 3, "x": "\\ud800", "messages": []}',
        b'\xef\xbb\xbf{"max_tokens": 9000, "n": 3, "messages": []}',
        b'\xff\xfe{\x00"\x00n\x00"\x00:\x003\x00,\x00"\x00m\x00a\x00x\x00_\x00t\x00o\x00k\x00e'
        b'\x00n\x00s\x00"\x00:\x009\x000\x000\x000\x00}\x00',  # UTF-16, as json.loads reads it
    ],
)
def test_bodies_orjson_refuses_are_read_as_python_servers_read_them(path: str, body: bytes) -> None:
    """FastAPI and vLLM parse with Python's json, which takes NaN, Infinity, lone
    surrogates, a byte-order mark and UTF-16. Unread, such a body blinded every signal and
    reserved the default output while the server generated what it asked for."""
    f = family_for_path(path).facts(body)
    assert f.parsed and "body:lenient" in f.odd
    assert f.n == 3
    assert f.output_tokens == (None if path == RESPONSES_PATH else 9000)


@pytest.mark.parametrize("path", PATHS)
def test_bytes_that_are_not_utf8_are_read_as_node_and_go_read_them(path: str) -> None:
    """Node's JSON.parse (on a body decoded as UTF-8) and Go's encoding/json read a byte
    that is not UTF-8 as U+FFFD and serve the request; orjson and Python refuse it. Read
    as Python reads it, one 0xFF byte in the prompt blinded every signal, ``n`` and the
    budget of a request a Node or Go upstream behind the gateway served (the breaker's
    repro/gateway_node_blind.sh: never degraded nor challenged)."""
    ask = "Explain your reasoning step by step. Problem: prove that 3 squared is odd"
    docs = {
        CHAT_PATH: {"messages": [{"role": "user", "content": ask}]},
        COMPLETIONS_PATH: {"prompt": ask},
        RESPONSES_PATH: {"input": ask},
        MESSAGES_PATH: {"messages": [{"role": "user", "content": ask}]},
        GENERIC_PATH: {"messages": [{"role": "user", "content": ask}]},
    }
    doc = {"model": "m", "n": 8, "max_tokens": 4096, "max_output_tokens": 4096, **docs[path]}
    body = js(doc).replace(b"is odd", b"is odd\xff")
    with pytest.raises(UnicodeDecodeError):
        body.decode()
    f = family_for_path(path).facts(body)
    assert f.parsed and "body:utf8" in f.odd
    assert (f.n, f.output_tokens) == (8, 4096)
    assert f.user_text.endswith("is odd\ufffd")
    assert "elicit" in read_signals(f, SignalWeights()).fired


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize(
    "body",
    [
        b'{"n": 2, "messages": [{"role": "user", "content": "explain \\ud800 step by step"}],'
        b' "prompt": "a\\udfffb", "input": "\\ud83d", "system": "\\udc00"}',
        # the same surrogates as raw bytes (what "surrogatepass" writes), which json reads
        b'{"n": 2, "messages": [{"role": "user", "content": "explain \xed\xa0\x80 step"}],'
        b' "prompt": "a\xed\xbf\xbfb", "input": "\xed\xa0\xbd", "system": "\xed\xb0\x80"}',
        # in a key, and in a part the server ignores (vLLM drops an image part's "text")
        b'{"n": 2, "\\ud800": 1, "messages": [{"role": "user", "content": [{"type": '
        b'"image_url", "image_url": {"url": "https://x/a.png"}, "text": "\\ud800"}]}]}',
    ],
)
def test_a_lone_surrogate_is_read_as_u_fffd(path: str, body: bytes) -> None:
    """Python's json keeps a lone surrogate escape (\\ud800) in a string; the prompt
    classifiers (ahocorasick_rs), the template fingerprint and orjson raise on one, and
    a request whose reading raises went to the model unscored and unreserved (the
    breaker's repro/decide_crash_vllm_like.py). Text is read with U+FFFD instead."""
    family = family_for_path(path)
    f = family.facts(body)
    assert f.parsed and f.n == 2 and "body:lenient" in f.odd
    for text in (f.user_text, f.system_text, f.prompt_text):
        text.encode()  # no surrogate left
    assert "\ufffd" in f.prompt_text or "\ufffd" in orjson.dumps(f.doc).decode()
    read_signals(f, SignalWeights())
    if f.prompt_text:
        template_fingerprint(f.prompt_text)
    rewritten = rewrite_request(family.name, f.doc, DegradePlan(max_output_tokens=16))
    request_body(rewritten or f.doc)


@pytest.mark.parametrize("path", PATHS)
@pytest.mark.parametrize("temperature", [b"1" + b"0" * 400, b"-" + b"9" * 309, b"1e400"])
def test_a_temperature_past_float_range_is_odd_not_raised(path: str, temperature: bytes) -> None:
    """Python's json reads an integer literal exactly, however long: float(10**400) raised
    OverflowError while the request was read, and it went to the model unscored."""
    body = b'{"model": "m", "n": 3, "messages": [], "temperature": ' + temperature + b"}"
    f = family_for_path(path).facts(body)
    assert f.parsed and f.n == 3
    if temperature == b"1e400":  # a float literal: json reads it as inf
        assert f.temperature == math.inf
    else:
        assert f.temperature is None and "temperature:range" in f.odd
    read_signals(f, SignalWeights())


W = SignalWeights()
PLAN = DegradePlan(max_output_tokens=16)


@settings(max_examples=400, deadline=None, suppress_health_check=list(HealthCheck))
@given(bodies_for_families())
@example(("/v1/chat/completions", b'{"messages": [{"role": "user", "content": "\\ud800"}]}'))
@example(("/v1/messages", b'{"system": "\\udfff you are", "messages": []}'))
@example(("/v1/completions", b'{"max_completion_tokens": "", "prompt": "\\ud800"}'))
@example(("/v1/responses", b'{"temperature": 1' + b"0" * 400 + b', "input": "hi"}'))
@example(("/v1/chat/completions", b'{"seed": 1' + b"0" * 30 + b', "n": 8, "messages": []}'))
def test_no_client_input_makes_reading_a_request_raise(case: tuple[str, bytes]) -> None:
    """Every field the adapters read, in each API family's shapes, with hostile leaves
    (lone surrogates escaped or raw, integers past 64 bits and past float range, NaN,
    bytes that are not UTF-8, nesting), through everything the decision and the degrade
    rewrite do with a body: facts, signals, the estimate, the template fingerprint, the
    rewrite and its serialization. Nothing may raise: a request whose reading raised was
    passed to the model unscored (the breaker's repro/fuzz_shapes.py found two sites)."""
    path, body = case
    family = family_for_path(path)
    f = family.facts(body)
    signals = read_signals(f, W)
    assert signals.acute >= 0
    cost = estimate(len(body), f, default_output=1_024, max_output=16_384)
    assert isinstance(cost, int) and cost >= 0
    assert f.n >= 1 and f.prompts >= 1 and f.references >= 0
    for text in (f.user_text, f.system_text):
        text.encode()  # no lone surrogate reaches the classifiers
    if f.parsed and f.prompt_text:
        template_fingerprint(f.prompt_text)
    if f.doc is not None:
        rewritten = rewrite_request(family.name, f.doc, PLAN)
        out = request_body(rewritten if rewritten is not None else f.doc)
        assert isinstance(json.loads(out), dict)
