"""Stateless request signals, read from real request bodies of every API family.

Each acute signal is shown firing on the parameters a harvest sends and staying quiet on an
ordinary request; each trait (ELICIT, FOCUS, SINGLE, EXTRACT, LOGIT_BIAS) is shown on the
prompts and conversations that should set it and on ordinary ones that should not. Weights
come from ``SignalWeights`` and an override changes the acute weight accordingly.
"""

from __future__ import annotations

import json
import math
from dataclasses import astuple, replace
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st

from antiextract.model.risk import ELICIT, EXTRACT, FOCUS, LOGIT_BIAS, SINGLE
from antiextract.request.apis import RequestFacts, family_for_path
from antiextract.request.signals import LARGE_OUTPUT, RequestSignals, SignalWeights, read_signals

from .strategies import request_docs

CHAT = "/v1/chat/completions"
COMPLETIONS = "/v1/completions"
RESPONSES = "/v1/responses"
MESSAGES = "/v1/messages"
GENERIC = "/api/generate"
PATHS = (CHAT, COMPLETIONS, RESPONSES, MESSAGES, GENERIC)

W = SignalWeights()
ACUTE = frozenset(SignalWeights.names())
EXTRACTION = ACUTE - {"odd_body"}
TRAIT_NAMES = frozenset({"elicit", "focus", "single_turn"})


def js(doc: Any) -> bytes:
    return json.dumps(doc, ensure_ascii=False).encode()


def facts(path: str, doc: Any) -> RequestFacts:
    return family_for_path(path).facts(doc if isinstance(doc, bytes) else js(doc))


def sig(path: str, doc: Any, weights: SignalWeights = W) -> RequestSignals:
    return read_signals(facts(path, doc), weights)


def acute_fired(s: RequestSignals) -> set[str]:
    return set(s.fired) & ACUTE


def chat(text: str, system: str | None = None, **extra: Any) -> dict[str, Any]:
    messages: list[dict[str, Any]] = []
    if system is not None:
        messages.append({"role": "system", "content": system})
    messages.append({"role": "user", "content": text})
    return {"model": "gpt-4o", "messages": messages, "max_tokens": 512, **extra}


def legacy(prompt: str = "The capital of France is", **extra: Any) -> dict[str, Any]:
    return {"model": "gpt-3.5-turbo-instruct", "prompt": prompt, "max_tokens": 16, **extra}


def responses(text: str = "Summarise the attached memo.", **extra: Any) -> dict[str, Any]:
    return {"model": "o4-mini", "input": text, "max_output_tokens": 1024, **extra}


def claude(text: str = "Where should I eat in Lyon?", **extra: Any) -> dict[str, Any]:
    return {
        "model": "claude-sonnet-4-5",
        "max_tokens": 1024,
        "messages": [{"role": "user", "content": text}],
        **extra,
    }


ORDINARY = "What is the capital of France?"


# --------------------------------------------------------------------------- baseline


@pytest.mark.parametrize(
    ("path", "doc"),
    [
        (CHAT, chat(ORDINARY)),
        (COMPLETIONS, legacy()),
        (RESPONSES, responses()),
        (MESSAGES, claude()),
        (GENERIC, {"model": "llama3.1", "prompt": ORDINARY}),
    ],
)
def test_ordinary_request_fires_no_acute_signal(path: str, doc: dict[str, Any]) -> None:
    s = sig(path, doc)
    assert s.acute == 0.0
    assert acute_fired(s) == set()
    assert s.traits == SINGLE
    assert s.fired == ("single_turn",)


# --------------------------------------------------------------------------- logprobs


@pytest.mark.parametrize(
    ("path", "doc"),
    [
        (CHAT, chat(ORDINARY, logprobs=True)),
        (CHAT, chat(ORDINARY, logprobs=True, top_logprobs=5)),
        (CHAT, chat(ORDINARY, logprobs=True, top_logprobs=0)),
        (CHAT, chat(ORDINARY, top_logprobs=20)),
        (COMPLETIONS, legacy(logprobs=5)),
        (COMPLETIONS, legacy(logprobs=1)),
        (RESPONSES, responses(top_logprobs=5)),
    ],
)
def test_logprobs_fires(path: str, doc: dict[str, Any]) -> None:
    s = sig(path, doc)
    assert acute_fired(s) == {"logprobs"}
    assert s.acute == W.logprobs
    assert s.traits & EXTRACT


@pytest.mark.parametrize(
    ("path", "doc"),
    [
        (CHAT, chat(ORDINARY, logprobs=False)),
        (CHAT, chat(ORDINARY, logprobs=False, top_logprobs=0)),
        (CHAT, chat(ORDINARY, logprobs=None)),
        (COMPLETIONS, legacy(logprobs=None)),
    ],
)
def test_logprobs_quiet(path: str, doc: dict[str, Any]) -> None:
    s = sig(path, doc)
    assert acute_fired(s) == set()
    assert s.acute == 0.0
    assert not s.traits & EXTRACT


@pytest.mark.parametrize("logprobs", [0, -1])
def test_legacy_logprobs_zero_and_minus_one_fire(logprobs: int) -> None:
    """On /v1/completions ``logprobs: 0`` still returns the sampled tokens' logprobs and
    vLLM's ``logprobs: -1`` returns the whole vocabulary: both fire."""
    s = sig(COMPLETIONS, legacy(model="meta-llama/Llama-3.1-8B", logprobs=logprobs))
    assert "logprobs" in s.fired
    if logprobs == -1:
        assert "top_logprobs_all" in s.fired


def test_responses_include_output_text_logprobs_fires() -> None:
    """The Responses API asks for logprobs with
    ``include: ["message.output_text.logprobs"]``: that fires ``logprobs``."""
    s = sig(RESPONSES, responses(include=["message.output_text.logprobs"]))
    assert "logprobs" in s.fired


# --------------------------------------------------------------------------- top_logprobs_all


def test_top_logprobs_all_fires_on_vllm_minus_one() -> None:
    s = sig(CHAT, chat(ORDINARY, model="Qwen/Qwen3-8B", logprobs=True, top_logprobs=-1))
    assert acute_fired(s) == {"logprobs", "top_logprobs_all"}
    assert s.acute == W.logprobs + W.top_logprobs_all


def test_top_logprobs_all_fires_without_logprobs_flag() -> None:
    s = sig(CHAT, chat(ORDINARY, top_logprobs=-1))
    assert {"logprobs", "top_logprobs_all"} <= set(s.fired)


@pytest.mark.parametrize("top", [1, 5, 20])
def test_top_logprobs_all_quiet_on_bounded_top_k(top: int) -> None:
    s = sig(CHAT, chat(ORDINARY, logprobs=True, top_logprobs=top))
    assert "top_logprobs_all" not in s.fired


# --------------------------------------------------------------------------- logit bias


def test_logit_bias_alone() -> None:
    s = sig(CHAT, chat("Answer yes or no: is water wet?", logit_bias={"9642": 100, "2822": 100}))
    assert acute_fired(s) == {"logit_bias"}
    assert s.acute == W.logit_bias
    assert s.traits & LOGIT_BIAS
    assert s.traits & EXTRACT


def test_logit_bias_on_legacy_completions() -> None:
    s = sig(COMPLETIONS, legacy(logit_bias={"50256": -100}))
    assert acute_fired(s) == {"logit_bias"}
    assert s.traits & LOGIT_BIAS


@pytest.mark.parametrize("bias", [None, {}])
def test_logit_bias_quiet(bias: dict[str, int] | None) -> None:
    s = sig(CHAT, chat(ORDINARY, logit_bias=bias))
    assert "logit_bias" not in s.fired and "logit_probe" not in s.fired
    assert not s.traits & LOGIT_BIAS
    assert s.acute == 0.0


def test_logit_bias_list_is_odd_not_bias() -> None:
    s = sig(CHAT, chat(ORDINARY, logit_bias=[[50256, -100]]))
    assert acute_fired(s) == {"odd_body"}
    assert not s.traits & (LOGIT_BIAS | EXTRACT)


@pytest.mark.parametrize(
    ("path", "doc"),
    [
        (CHAT, chat(ORDINARY, logprobs=True, top_logprobs=5, logit_bias={"1734": 40})),
        (CHAT, chat(ORDINARY, top_logprobs=2, logit_bias={"1734": 40})),
        (COMPLETIONS, legacy(logprobs=5, logit_bias={"1734": 40, "198": -100})),
    ],
)
def test_logit_probe(path: str, doc: dict[str, Any]) -> None:
    s = sig(path, doc)
    assert acute_fired(s) == {"logit_probe"}  # replaces both logprobs and logit_bias
    assert s.acute == W.logit_probe
    assert s.traits & LOGIT_BIAS and s.traits & EXTRACT


def test_logit_probe_weighs_the_most() -> None:
    assert W.logit_probe == max(astuple(W))
    assert W.logit_probe > W.logprobs + W.logit_bias
    probe = sig(CHAT, chat(ORDINARY, logprobs=True, logit_bias={"1734": 40}))
    alone = [
        sig(CHAT, chat(ORDINARY, logprobs=True)),
        sig(CHAT, chat(ORDINARY, logit_bias={"1734": 40})),
    ]
    assert all(probe.acute > s.acute for s in alone)


def test_logit_probe_with_whole_vocabulary() -> None:
    s = sig(CHAT, chat(ORDINARY, top_logprobs=-1, logit_bias={"1734": 40}))
    assert acute_fired(s) == {"logit_probe", "top_logprobs_all"}
    assert s.acute == W.logit_probe + W.top_logprobs_all


# --------------------------------------------------------------------------- vLLM extensions


@pytest.mark.parametrize("value", [0, 1, 5, -1])
def test_prompt_logprobs_fires(value: int) -> None:
    s = sig(COMPLETIONS, legacy(model="meta-llama/Llama-3.1-8B", prompt_logprobs=value))
    assert acute_fired(s) == {"prompt_logprobs"}
    assert s.acute == W.prompt_logprobs


@pytest.mark.parametrize("value", [None, False])
def test_prompt_logprobs_quiet(value: object) -> None:
    s = sig(CHAT, chat(ORDINARY, prompt_logprobs=value))
    assert "prompt_logprobs" not in s.fired


@pytest.mark.parametrize(
    "extra",
    [{"allowed_token_ids": [9642, 2822]}, {"logprob_token_ids": [15, 16, 17]}],
)
def test_token_ids_fires(extra: dict[str, Any]) -> None:
    s = sig(CHAT, chat("Positive or negative: 'great film'", **extra))
    assert acute_fired(s) == {"token_ids"}
    assert s.acute == W.token_ids


@pytest.mark.parametrize("extra", [{}, {"allowed_token_ids": []}, {"logprob_token_ids": None}])
def test_token_ids_quiet(extra: dict[str, Any]) -> None:
    assert "token_ids" not in sig(CHAT, chat(ORDINARY, **extra)).fired


# --------------------------------------------------------------------------- several samples


@pytest.mark.parametrize(
    ("path", "doc"),
    [
        (CHAT, chat(ORDINARY, n=4, temperature=0.9)),
        (CHAT, chat(ORDINARY, n=2)),
        (COMPLETIONS, legacy(best_of=3)),
        (COMPLETIONS, legacy(n=3, temperature=1.0)),
    ],
)
def test_multi_sample(path: str, doc: dict[str, Any]) -> None:
    s = sig(path, doc)
    assert acute_fired(s) == {"multi_sample"}
    assert s.acute == W.multi_sample


@pytest.mark.parametrize("extra", [{"n": 1}, {"n": 0}, {}, {"n": 1, "temperature": 0}])
def test_multi_sample_quiet(extra: dict[str, Any]) -> None:
    s = sig(CHAT, chat(ORDINARY, **extra))
    assert not {"multi_sample", "greedy_multi"} & set(s.fired)


@pytest.mark.parametrize("temperature", [0, 0.0])
def test_greedy_multi(temperature: float) -> None:
    s = sig(CHAT, chat(ORDINARY, n=3, temperature=temperature))
    assert acute_fired(s) == {"greedy_multi"}  # instead of multi_sample
    assert s.acute == W.greedy_multi


def test_greedy_multi_quiet_with_sampling_temperature() -> None:
    assert "greedy_multi" not in sig(CHAT, chat(ORDINARY, n=3, temperature=0.01)).fired


# --------------------------------------------------------------------------- output budget


@pytest.mark.parametrize(
    ("path", "doc"),
    [
        (CHAT, chat(ORDINARY, max_tokens=LARGE_OUTPUT)),
        (CHAT, {**chat(ORDINARY), "max_completion_tokens": 32_768}),
        (COMPLETIONS, legacy(max_tokens=10_000)),
        (RESPONSES, responses(max_output_tokens=8192)),
        (MESSAGES, claude(max_tokens=64_000)),
    ],
)
def test_large_output(path: str, doc: dict[str, Any]) -> None:
    s = sig(path, doc)
    assert acute_fired(s) == {"large_output"}
    assert s.acute == W.large_output


@pytest.mark.parametrize("budget", [LARGE_OUTPUT - 1, 4096, 0, None])
def test_large_output_quiet(budget: int | None) -> None:
    assert "large_output" not in sig(MESSAGES, claude(max_tokens=budget)).fired


# --------------------------------------------------------------------------- reasoning


@pytest.mark.parametrize(
    ("path", "doc"),
    [
        (CHAT, chat(ORDINARY, model="o3-mini", reasoning_effort="high")),
        (CHAT, chat(ORDINARY, model="gpt-5", reasoning_effort="xhigh")),
        (RESPONSES, responses(reasoning={"effort": "high", "summary": "auto"})),
    ],
)
def test_reasoning_max(path: str, doc: dict[str, Any]) -> None:
    s = sig(path, doc)
    assert acute_fired(s) == {"reasoning_max"}
    assert s.acute == W.reasoning_max


@pytest.mark.parametrize(("budget", "max_tokens"), [(16_384, 20_000), (32_000, 64_000)])
def test_reasoning_max_on_a_large_thinking_budget(budget: int, max_tokens: int) -> None:
    # Anthropic requires max_tokens > budget_tokens, so a large budget is a large output too
    doc = claude(thinking={"type": "enabled", "budget_tokens": budget}, max_tokens=max_tokens)
    s = sig(MESSAGES, doc)
    assert acute_fired(s) == {"reasoning_max", "large_output"}
    assert s.acute == W.reasoning_max + W.large_output


@pytest.mark.parametrize(
    ("path", "doc"),
    [
        (CHAT, chat(ORDINARY, model="o3-mini", reasoning_effort="medium")),
        (CHAT, chat(ORDINARY, model="o3-mini", reasoning_effort="low")),
        (RESPONSES, responses(reasoning={"effort": "minimal"})),
        (RESPONSES, responses(reasoning={"summary": "auto"})),
        (
            MESSAGES,
            claude(thinking={"type": "enabled", "budget_tokens": 16_383}, max_tokens=20_000),
        ),
        (MESSAGES, claude(thinking={"type": "enabled", "budget_tokens": 1024}, max_tokens=2048)),
        (MESSAGES, claude(thinking={"type": "disabled"})),
        (MESSAGES, claude(thinking={"type": "adaptive"})),
    ],
)
def test_reasoning_max_quiet(path: str, doc: dict[str, Any]) -> None:
    assert "reasoning_max" not in sig(path, doc).fired


def test_reasoning_include() -> None:
    doc = responses(include=["reasoning.encrypted_content"], store=False)
    s = sig(RESPONSES, doc)
    assert acute_fired(s) == {"reasoning_include"}
    assert s.acute == W.reasoning_include
    assert s.traits & EXTRACT


@pytest.mark.parametrize("include", [[], ["file_search_call.results"], None])
def test_reasoning_include_quiet(include: list[str] | None) -> None:
    assert "reasoning_include" not in sig(RESPONSES, responses(include=include)).fired


# --------------------------------------------------------------------------- odd body


@pytest.mark.parametrize(
    ("path", "doc"),
    [
        (CHAT, chat(ORDINARY, max_tokens="512")),
        (CHAT, chat(ORDINARY, temperature="0.7")),
        (CHAT, {"model": "gpt-4o", "messages": [{"role": "user", "content": 42}]}),
        (MESSAGES, claude(metadata="user-1")),
        (MESSAGES, claude(thinking="enabled")),
    ],
)
def test_odd_body(path: str, doc: dict[str, Any]) -> None:
    s = sig(path, doc)
    assert acute_fired(s) == {"odd_body"}
    assert s.acute == W.odd_body
    assert not s.traits & EXTRACT  # an odd body alone is not extraction
    assert s.traits & SINGLE  # the body was still read


@pytest.mark.parametrize("body", [b"[1, 2, 3]", b'{"messages": [', b"\xff\xfe", b"", None])
@pytest.mark.parametrize("path", PATHS)
def test_unreadable_body_is_odd_with_no_traits(path: str, body: bytes | None) -> None:
    s = read_signals(family_for_path(path).facts(body), W)
    assert s.fired == ("odd_body",)
    assert s.acute == W.odd_body
    assert s.traits == 0


def test_odd_body_quiet_on_clean_bodies() -> None:
    for path, doc in [(CHAT, chat(ORDINARY)), (MESSAGES, claude()), (RESPONSES, responses())]:
        assert "odd_body" not in sig(path, doc).fired


def test_odd_body_adds_to_extraction() -> None:
    s = sig(CHAT, chat(ORDINARY, logprobs=True, max_tokens="512"))
    assert acute_fired(s) == {"logprobs", "odd_body"}
    assert s.acute == W.logprobs + W.odd_body
    assert s.traits & EXTRACT


# --------------------------------------------------------------------------- ELICIT

ELICIT_PHRASES = [
    "Think step by step.",
    "think it through step-by-step before you answer",
    "Show your full reasoning.",
    "Please explain your chain of thought.",
    "Walk me through your thought process.",
    "Reveal your hidden reasoning.",
    "Include your internal monologue in the answer.",
    "Let's think about this carefully.",
    "Lets think.",
    "Put your analysis inside <thinking> tags first.",
    "Show your work.",
    "Before the final answer, write out your reasoning.",
    "Reason carefully about each case.",
]

ARTICLE = (
    "The city council met on Tuesday to discuss the new cycling lanes along the river. "
    "Residents praised the plan, though shop owners worried about deliveries. The mayor said "
    "a trial would begin in spring and results would be published in the autumn. "
) * 60

NOT_ELICIT_PHRASES = [
    ORDINARY,
    "Write a haiku about autumn.",
    "Summarise this article in three sentences:\n\n" + ARTICLE,
    "How many are the steps of the staircase at Montmartre?",
    "I think this is fine, but can you check the grammar of my cover letter?",
    "Translate 'good morning' into Spanish.",
]


@pytest.mark.parametrize("phrase", ELICIT_PHRASES)
def test_elicit_on_reasoning_requests(phrase: str) -> None:
    s = sig(CHAT, chat(f"A train leaves at 9:40 and arrives at 13:05. How long is it? {phrase}"))
    assert s.traits & ELICIT
    assert "elicit" in s.fired
    assert s.acute == 0.0  # a trait, not an acute signal


@pytest.mark.parametrize("phrase", NOT_ELICIT_PHRASES)
def test_elicit_quiet_on_ordinary_prompts(phrase: str) -> None:
    s = sig(CHAT, chat(phrase))
    assert not s.traits & ELICIT
    assert "elicit" not in s.fired


@pytest.mark.parametrize(
    ("path", "doc"),
    [
        (CHAT, chat(ORDINARY, system="You are a tutor. Always think step by step.")),
        (
            CHAT,
            {
                "model": "gpt-4o",
                "messages": [
                    {"role": "developer", "content": [{"type": "text", "text": "Let's think."}]},
                    {"role": "user", "content": ORDINARY},
                ],
            },
        ),
        (
            MESSAGES,
            claude(
                ORDINARY,
                system=[{"type": "text", "text": "Show your complete reasoning in <thinking>."}],
            ),
        ),
        (
            RESPONSES,
            responses(ORDINARY, instructions="Explain your chain of thought before answering."),
        ),
    ],
)
def test_elicit_in_system_prompt(path: str, doc: dict[str, Any]) -> None:
    assert sig(path, doc).traits & ELICIT


def test_elicit_at_the_end_of_a_long_prompt() -> None:
    context = "Quarterly report, section %d: revenue grew while costs held steady.\n"
    long = "".join(context % i for i in range(450))
    assert len(long) > 30_000
    s = sig(CHAT, chat(long + "\nGiven all of the above, think step by step."))
    assert s.traits & ELICIT
    s = sig(CHAT, chat("Think step by step about the following.\n" + long))
    assert s.traits & ELICIT


def test_elicit_looks_at_the_edges_only() -> None:
    """Documented behaviour: the middle of a long prompt is not read."""
    half = "Plain narrative text about the weather and the harbour. " * 300
    s = sig(CHAT, chat(half + " Think step by step. " + half))
    assert not s.traits & ELICIT


def test_elicit_at_the_end_of_a_very_long_prompt() -> None:
    """An instruction at the end of a prompt longer than 64 K characters still reaches the
    edge reader: padding does not hide the wrapper."""
    long = "Background material for the question below. " * 2_000
    assert len(long) > 65_536
    s = sig(CHAT, chat(long + "\nThink step by step."))
    assert s.traits & ELICIT


def test_elicit_on_anthropic_and_legacy() -> None:
    assert sig(MESSAGES, claude("Solve 17*23. Think step by step.")).traits & ELICIT
    assert sig(COMPLETIONS, legacy("Q: 17*23?\nA: Let's think step by step.")).traits & ELICIT


# --------------------------------------------------------------------------- FOCUS

FENCED = """Why does this fail?

```python
def total(xs):
    return sum(x.price for x in xs)
```
"""

FOCUS_PROMPTS = [
    FENCED,
    "Implement a function in Python that merges two sorted lists in O(n).",
    "Refactor this class to use dependency injection:\n\n```java\nclass OrderService {}\n```",
    (
        "You are an autonomous agent with shell access. Break the task into sub-tasks, make a "
        "multi-step plan, then execute the following: migrate the database."
    ),
    "Write a SQL query and a regex to find duplicate emails.",
    "Here is the traceback from pytest; please debug it.",
]

NOT_FOCUS_PROMPTS = [
    "Give me a recipe for a classic French onion soup for four people, with a shopping list.",
    "Write a sonnet about the sea at dawn, in iambic pentameter.",
    (
        "In an English contract dispute, what is the function of a penalty clause, and will a "
        "court refuse to enforce one that is out of all proportion to the loss?"
    ),
    "What is the function of the liver, and what is the function of the kidneys?",
    ORDINARY,
]


@pytest.mark.parametrize("prompt", FOCUS_PROMPTS)
def test_focus_on_coding_and_agentic_prompts(prompt: str) -> None:
    s = sig(CHAT, chat(prompt))
    assert s.traits & FOCUS
    assert "focus" in s.fired


@pytest.mark.parametrize("prompt", NOT_FOCUS_PROMPTS)
def test_focus_quiet_on_ordinary_prompts(prompt: str) -> None:
    s = sig(CHAT, chat(prompt))
    assert not s.traits & FOCUS
    assert "focus" not in s.fired


@pytest.mark.parametrize(
    ("path", "doc"),
    [
        (
            CHAT,
            chat(
                "What's the weather in Paris?",
                tools=[
                    {
                        "type": "function",
                        "function": {"name": "get_weather", "parameters": {"type": "object"}},
                    }
                ],
            ),
        ),
        (
            MESSAGES,
            claude(
                "What's the weather in Paris?",
                tools=[{"name": "get_weather", "input_schema": {"type": "object"}}],
            ),
        ),
        (RESPONSES, responses("Find me a flight.", tools=[{"type": "web_search_preview"}])),
    ],
)
def test_focus_on_tool_definitions(path: str, doc: dict[str, Any]) -> None:
    assert sig(path, doc).traits & FOCUS


def test_focus_on_latest_user_turn_in_content_parts() -> None:
    doc = {
        "model": "gpt-4o",
        "messages": [
            {
                "role": "user",
                "content": [
                    {"type": "text", "text": "Implement the missing method."},
                    {"type": "image_url", "image_url": {"url": "https://example.com/uml.png"}},
                    {"type": "text", "text": "```ts\nclass Cart { total(): number }\n```"},
                ],
            }
        ],
    }
    assert sig(CHAT, doc).traits & FOCUS


# --------------------------------------------------------------------------- SINGLE


@pytest.mark.parametrize(
    ("path", "doc"),
    [
        (CHAT, chat(ORDINARY, system="You are terse.")),
        (MESSAGES, claude()),
        (RESPONSES, responses()),
        (COMPLETIONS, legacy()),
        (
            CHAT,
            {
                "model": "gpt-4o",
                "messages": [
                    {"role": "user", "content": "Hi"},
                    {"role": "user", "content": "Are you there?"},
                ],
            },
        ),
    ],
)
def test_single_turn(path: str, doc: dict[str, Any]) -> None:
    s = sig(path, doc)
    assert s.traits & SINGLE
    assert "single_turn" in s.fired


@pytest.mark.parametrize(
    ("path", "doc"),
    [
        (
            CHAT,
            {
                "model": "gpt-4o",
                "messages": [
                    {"role": "user", "content": "Recommend a novel."},
                    {"role": "assistant", "content": "Try 'The Remains of the Day'."},
                    {"role": "user", "content": "Something shorter?"},
                ],
            },
        ),
        (
            MESSAGES,
            {
                "model": "claude-haiku-4-5",
                "max_tokens": 512,
                "messages": [
                    {"role": "user", "content": "Recommend a novel."},
                    {"role": "assistant", "content": [{"type": "text", "text": "Try Stoner."}]},
                    {"role": "user", "content": "Something shorter?"},
                ],
            },
        ),
        (
            RESPONSES,
            {
                "model": "o4-mini",
                "input": [
                    {"role": "user", "content": "Weather in Paris?"},
                    {
                        "type": "function_call",
                        "call_id": "c1",
                        "name": "get_weather",
                        "arguments": "{}",
                    },
                    {"type": "function_call_output", "call_id": "c1", "output": "18 C"},
                ],
            },
        ),
    ],
)
def test_not_single_turn_with_an_assistant_turn(path: str, doc: dict[str, Any]) -> None:
    s = sig(path, doc)
    assert not s.traits & SINGLE
    assert "single_turn" not in s.fired


def test_responses_previous_response_id_is_a_continuing_conversation() -> None:
    """A Responses conversation continued server-side with ``previous_response_id``
    carries only the new user turn, yet is no single-turn request."""
    doc = responses("And what about Lyon?", previous_response_id="resp_68a1c0ffee")
    assert not sig(RESPONSES, doc).traits & SINGLE


# --------------------------------------------------------------------------- EXTRACT and bits

EXTRACTION_BODIES = [
    (CHAT, chat(ORDINARY, logprobs=True)),
    (CHAT, chat(ORDINARY, logit_bias={"1": 1})),
    (CHAT, chat(ORDINARY, logprobs=True, logit_bias={"1": 1})),
    (CHAT, chat(ORDINARY, prompt_logprobs=1)),
    (CHAT, chat(ORDINARY, allowed_token_ids=[1, 2])),
    (CHAT, chat(ORDINARY, n=2)),
    (CHAT, chat(ORDINARY, n=2, temperature=0)),
    (CHAT, chat(ORDINARY, max_tokens=16_000)),
    (CHAT, chat(ORDINARY, reasoning_effort="high")),
    (RESPONSES, responses(include=["reasoning.encrypted_content"])),
    (MESSAGES, claude(thinking={"type": "enabled", "budget_tokens": 20_000})),
]
PLAIN_BODIES = [
    (CHAT, chat(ORDINARY)),
    (CHAT, chat(ORDINARY, max_tokens="lots")),
    (CHAT, chat("Think step by step: implement a function in Python.")),
    (MESSAGES, claude(metadata={"user_id": "u-1"})),
    (RESPONSES, responses(reasoning={"effort": "low"})),
]


@pytest.mark.parametrize(("path", "doc"), EXTRACTION_BODIES + PLAIN_BODIES)
def test_extract_iff_an_extraction_parameter_fired(path: str, doc: dict[str, Any]) -> None:
    s = sig(path, doc)
    assert bool(s.traits & EXTRACT) == bool(set(s.fired) & EXTRACTION)
    assert bool(s.traits & EXTRACT) == ((path, doc) in EXTRACTION_BODIES)


@pytest.mark.parametrize(("path", "doc"), EXTRACTION_BODIES + PLAIN_BODIES)
def test_logit_bias_bit_iff_logit_bias_present(path: str, doc: dict[str, Any]) -> None:
    s = sig(path, doc)
    assert bool(s.traits & LOGIT_BIAS) == bool(doc.get("logit_bias"))


def test_fired_names_are_known() -> None:
    for path, doc in EXTRACTION_BODIES + PLAIN_BODIES:
        s = sig(path, doc)
        assert set(s.fired) <= ACUTE | TRAIT_NAMES
        assert len(s.fired) == len(set(s.fired))


def test_acute_is_the_sum_of_fired_weights() -> None:
    weights = dict(zip(SignalWeights.names(), astuple(W), strict=True))
    for path, doc in EXTRACTION_BODIES + PLAIN_BODIES:
        s = sig(path, doc)
        assert math.isclose(s.acute, sum(weights[n] for n in s.fired if n in weights))


def test_all_traits_together() -> None:
    doc = chat(
        "You are an autonomous agent. Implement a function in Python to parse logs. "
        "Think step by step.",
        logprobs=True,
        logit_bias={"50256": -100},
    )
    s = sig(CHAT, doc)
    assert s.traits == ELICIT | FOCUS | SINGLE | EXTRACT | LOGIT_BIAS
    assert s.fired == ("logit_probe", "elicit", "focus", "single_turn")


# --------------------------------------------------------------------------- weights


def test_weight_override_changes_acute() -> None:
    custom = SignalWeights(logprobs=5.0)
    assert sig(CHAT, chat(ORDINARY, logprobs=True), custom).acute == 5.0
    assert sig(CHAT, chat(ORDINARY, logprobs=True)).acute == 1.0
    # the other signals keep their defaults
    assert sig(CHAT, chat(ORDINARY, n=2), custom).acute == W.multi_sample
    probe = chat(ORDINARY, logprobs=True, logit_bias={"1": 1})
    assert sig(CHAT, probe, custom).acute == W.logit_probe
    both = chat(ORDINARY, logprobs=True, n=2, max_tokens=9000)
    assert sig(CHAT, both, custom).acute == 5.0 + W.multi_sample + W.large_output


@pytest.mark.parametrize("name", SignalWeights.names())
def test_every_weight_is_used(name: str) -> None:
    bodies = {
        "logprobs": (CHAT, chat(ORDINARY, logprobs=True)),
        "top_logprobs_all": (CHAT, chat(ORDINARY, logprobs=True, top_logprobs=-1)),
        "logit_bias": (CHAT, chat(ORDINARY, logit_bias={"1": 1})),
        "logit_probe": (CHAT, chat(ORDINARY, logprobs=True, logit_bias={"1": 1})),
        "prompt_logprobs": (CHAT, chat(ORDINARY, prompt_logprobs=2)),
        "token_ids": (CHAT, chat(ORDINARY, logprob_token_ids=[5])),
        "multi_sample": (CHAT, chat(ORDINARY, n=5)),
        "greedy_multi": (CHAT, chat(ORDINARY, n=5, temperature=0)),
        "large_output": (CHAT, chat(ORDINARY, max_tokens=8192)),
        "reasoning_max": (CHAT, chat(ORDINARY, reasoning_effort="high")),
        "reasoning_include": (RESPONSES, responses(include=["reasoning.encrypted_content"])),
        "odd_body": (CHAT, chat(ORDINARY, max_tokens="8192")),
    }
    path, doc = bodies[name]
    before = sig(path, doc).acute
    after = sig(path, doc, replace(W, **{name: getattr(W, name) + 10.0})).acute
    assert math.isclose(after - before, 10.0)


# --------------------------------------------------------------------------- properties


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(request_docs, st.sampled_from(PATHS))
def test_read_signals_never_raises_on_arbitrary_json(doc: Any, path: str) -> None:
    try:
        f = family_for_path(path).facts(js(doc))
    except Exception:  # an adapter crash is the adapters' bug, shown in test_apis.py
        reject()
    s = read_signals(f, W)
    assert s.acute >= 0.0
    assert set(s.fired) <= ACUTE | TRAIT_NAMES
    assert bool(s.traits & EXTRACT) == bool(set(s.fired) & EXTRACTION)
    assert 0 <= s.traits < 32


texts = st.text(max_size=200) | st.sampled_from(ELICIT_PHRASES + FOCUS_PROMPTS)
raw_facts = st.builds(
    RequestFacts,
    family=st.sampled_from(["openai.chat", "anthropic.messages", "generic"]),
    parsed=st.booleans(),
    output_tokens=st.none() | st.integers(),
    n=st.integers(),
    odd=st.lists(st.text(max_size=10), max_size=2),
    system_text=texts,
    user_text=texts,
    assistant_turns=st.integers(min_value=0, max_value=5),
    tools=st.integers(min_value=0, max_value=5),
    logprobs=st.booleans(),
    top_logprobs=st.none() | st.integers(),
    logit_bias=st.integers(min_value=0, max_value=300),
    prompt_logprobs=st.booleans(),
    token_ids=st.booleans(),
    temperature=st.none() | st.floats(),
    reasoning_effort=st.none() | st.sampled_from(["low", "medium", "high", "xhigh"]) | st.text(),
    reasoning_include=st.booleans(),
    thinking_budget=st.none() | st.integers(),
)


@settings(max_examples=150, deadline=None)
@given(raw_facts)
def test_read_signals_never_raises_on_any_facts(f: RequestFacts) -> None:
    s = read_signals(f, W)
    assert s.acute >= 0.0
    assert set(s.fired) <= ACUTE | TRAIT_NAMES
    assert ("odd_body" in s.fired) == bool(f.odd)
    if not f.parsed:
        assert not s.traits & (ELICIT | FOCUS | SINGLE)


# --------------------------------------------------------------------------- classifiers
# ELICIT and FOCUS on labelled wording. The sample holds the tuning corpus's validation and
# blind sources (benchmarks/corpus/tuning/generate.py --sample): held out when it was
# written, tuning material since (round 3 was tuned on the whole tuning corpus:
# benchmarks/results/classifiers-tuning-round3.md), so it guards against regressions. The
# held-out figure is the blind corpus's (benchmarks/corpus/blind/, written by someone who
# never read the classifiers, measured once before and once after round 3:
# benchmarks/results/classifiers-blind-after.md); the tests below hold the code to what
# was measured there and keep the target (FP <= 2%) as a strict xfail until it is met.

_CLASSIFIERS = Path(__file__).resolve().parent.parent / "benchmarks" / "classifiers.py"
_SAMPLE = Path(__file__).resolve().parent / "data" / "classifier_sample.jsonl"


def _evaluator() -> Any:
    from antiextract.ops.demo import load_file

    return load_file(_CLASSIFIERS, "antiextract_classifiers")


def test_classifiers_on_held_out_wording() -> None:
    ev = _evaluator()
    result = ev.evaluate(ev.rows(_SAMPLE))
    for cls in ("elicit", "focus"):
        f = result["overall"][cls]
        assert f["positives"] >= 150 and f["negatives"] >= 150, f  # a sample, not a handful
        assert f["recall"] >= 0.90, (cls, f)
        assert f["fpr"] <= 0.02, (cls, f)
    # and in every language and wording source of the sample, not just on average
    for group in ("lang", "source"):
        for name, figures in result["groups"][group].items():
            for cls, f in figures.items():
                if f["positives"] >= 10:
                    assert f["recall"] >= 0.80, (group, name, cls, f)
                if f["negatives"] >= 10:
                    assert f["fpr"] <= 0.05, (group, name, cls, f)


_BLIND = Path(__file__).resolve().parent.parent / "benchmarks" / "corpus" / "blind"


def _blind() -> dict[str, Any]:
    ev = _evaluator()
    return ev.evaluate(ev.rows(_BLIND))["overall"]


def test_classifiers_on_the_blind_corpus_keep_what_was_measured_there() -> None:
    """Round 3 measured once: ELICIT recall 90.4% at 5.6% FP, FOCUS 92.5% at 2.1% (2,570
    requests, 14 languages). Recall holds the issue's 90%; FP may not grow past what was
    measured (a regression floor, not the target)."""
    overall = _blind()
    for cls, fpr in (("elicit", 0.056), ("focus", 0.021)):
        f = overall[cls]
        assert f["positives"] >= 1_000 and f["negatives"] >= 900, f
        assert f["recall"] >= 0.90, (cls, f)
        assert f["fpr"] <= fpr + 0.0005, (cls, f)


@pytest.mark.xfail(strict=True, reason="issue 17: FP <= 2% on the blind corpus is not met")
def test_classifiers_on_the_blind_corpus_meet_the_false_positive_target() -> None:
    overall = _blind()
    for cls in ("elicit", "focus"):
        assert overall[cls]["fpr"] <= 0.02, (cls, overall[cls])


def _reads(text: str, system: str = "") -> tuple[bool, bool]:
    s = sig(CHAT, chat(text, system=system or None))
    return bool(s.traits & ELICIT), bool(s.traits & FOCUS)


# Written for these tests, after the lexicon was frozen: per language, a harvest (asks for
# reasoning on a coding task), an IDE request (coding, no reasoning asked), maths with the
# working asked for (no code), and an everyday explanation (neither).
PER_LANGUAGE = {
    "en": (
        "Reason it through step by step, then implement a thread-safe LRU cache in Java.",
        "Fix the off-by-one error in this pagination query, it skips the last row.",
        "A car travels 150 km in 2.5 h; what is its average speed? Show your working.",
        "Why do leaves change colour in autumn?",
    ),
    "zh": (
        "请一步一步推理，然后用 Go 写一个并发安全的限流器。",
        "这个分页查询少了最后一行，帮我修复一下 SQL。",
        "一辆车2.5小时行驶150公里，平均速度是多少？请写出解题过程。",
        "为什么秋天树叶会变色？",
    ),
    "ru": (
        "Рассуждай шаг за шагом, а потом реализуй потокобезопасный LRU-кэш на Java.",
        "Исправь ошибку на единицу в этом SQL-запросе пагинации, он теряет последнюю строку.",
        "Машина проехала 150 км за 2,5 ч. Какова средняя скорость? Распиши решение по шагам.",
        "Почему осенью листья меняют цвет?",
    ),
    "es": (
        "Razona paso a paso y luego implementa una caché LRU segura para hilos en Java.",
        "Corrige el error de uno en esta consulta SQL de paginación, se salta la última fila.",
        "Un coche recorre 150 km en 2,5 h; ¿cuál es su velocidad media? Muestra los pasos.",
        "¿Por qué las hojas cambian de color en otoño?",
    ),
    "de": (
        "Denke Schritt für Schritt nach und implementiere dann einen threadsicheren LRU-Cache in Java.",  # noqa: E501
        "Behebe den Off-by-one-Fehler in dieser SQL-Abfrage zur Paginierung, die letzte Zeile fehlt.",  # noqa: E501
        "Ein Auto fährt 150 km in 2,5 h. Wie hoch ist die Durchschnittsgeschwindigkeit? Zeig den Rechenweg.",  # noqa: E501
        "Warum verfärben sich die Blätter im Herbst?",
    ),
    "pt": (
        "Raciocine passo a passo e depois implemente um cache LRU seguro para threads em Java.",
        "Corrija o erro de um a mais nesta consulta SQL de paginação, ela pula a última linha.",
        "Um carro percorre 150 km em 2,5 h; qual a velocidade média? Mostre os passos.",
        "Por que as folhas mudam de cor no outono?",
    ),
    "fr": (
        "Raisonne étape par étape, puis implémente un cache LRU thread-safe en Java.",
        "Corrige l'erreur de décalage d'un dans cette requête SQL de pagination, la dernière ligne manque.",  # noqa: E501
        "Une voiture parcourt 150 km en 2,5 h ; quelle est sa vitesse moyenne ? Montre les étapes.",
        "Pourquoi les feuilles changent-elles de couleur en automne ?",
    ),
    "ja": (
        "ステップバイステップで考えてから、Java でスレッドセーフな LRU キャッシュを実装してください。",  # noqa: E501
        "このページネーションの SQL クエリが最後の行を取りこぼすので修正してください。",
        "車が2.5時間で150km走りました。平均速度は？途中式も書いてください。",
        "秋に葉の色が変わるのはなぜですか？",
    ),
    "ko": (
        "단계별로 추론한 다음 Java로 스레드 안전한 LRU 캐시를 구현해 주세요.",
        "이 페이지네이션 SQL 쿼리가 마지막 행을 빠뜨리니 고쳐 주세요.",
        "자동차가 2.5시간에 150km를 달렸습니다. 평균 속력은? 풀이 과정을 보여 주세요.",
        "가을에 나뭇잎 색이 변하는 이유는 무엇인가요?",
    ),
}  # fmt: skip


@pytest.mark.parametrize("lang", sorted(PER_LANGUAGE))
def test_classifiers_in_each_language(lang: str) -> None:
    harvest, ide, maths, everyday = PER_LANGUAGE[lang]
    assert _reads(harvest) == (True, True)
    assert _reads(ide) == (False, True)
    assert _reads(maths) == (True, False)
    assert _reads(everyday) == (False, False)


@pytest.mark.parametrize(
    "space",
    ["\n", "\r\n", "\t", "\u00a0", "\u202f", "\u2003", "\u3000", "\u2028", "  ", " \n\t "],
)
def test_elicit_through_any_whitespace(space: str) -> None:
    """Line breaks, tabs, NBSP, em and ideographic spaces, line separators and runs of
    them inside a demand: what copy-paste and hand-rolled clients leave. Deleting the
    whitespace folding of ``signals.fold`` fails this test."""
    for demand in ("think step by step", "show your chain of thought", "lay out every deduction"):
        text = f"Solve 3x + 5 = 20. {demand.replace(' ', space)}."
        assert _reads(text)[0], repr(text)


@pytest.mark.parametrize("space", ["\n", "\t", "\u00a0", "\u2003", "  "])
def test_focus_through_any_whitespace(space: str) -> None:
    text = "write a regular expression for ISO dates and a unit test".replace(" ", space)
    assert _reads(text)[1], repr(text)


@pytest.mark.parametrize(
    "text",
    [
        "think step\u200bby step before answering",  # zero-width space
        "THINK STEP BY STEP",  # case
        "ｔｈｉｎｋ　ｓｔｅｐ　ｂｙ　ｓｔｅｐ",  # full-width letters and space (NFKC)
        "Explicame tu razonamiento paso a paso",  # Spanish typed without accents
        "explícame tu razonamiento",
        "Think step-by-step\u2014then answer.",  # em dash
        "Let\u2019s think this through",  # typographic apostrophe
    ],
)
def test_elicit_survives_normalisation(text: str) -> None:
    assert _reads(text)[0], repr(text)


@pytest.mark.parametrize(
    ("text", "elicit", "focus"),
    [
        # an English demand around a Chinese task, and the other way round
        (
            "Think step by step and show all your reasoning. 用 Python 实现一个 LRU 缓存。",
            True,
            True,
        ),
        ("请一步一步思考并展示完整的推理过程。Implement a trie in TypeScript.", True, True),
        # a Russian demand on an English stack trace
        (
            "Покажи ход своих рассуждений.\nTraceback (most recent call last):\n"
            "  File \"app.py\", line 3, in <module>\nKeyError: 'user_id'",
            True,
            True,
        ),
        # Latin code words inside Chinese and Japanese without spaces
        ("用Python写一个函数解析JSON", False, True),
        ("このReactコンポーネントのuseEffectが二回呼ばれます", False, True),
        # an everyday question in two languages
        ("¿Qué ropa llevo a Lisboa en marzo? Und was kostet ein Museumsticket?", False, False),
    ],
)
def test_mixed_languages(text: str, elicit: bool, focus: bool) -> None:
    assert _reads(text) == (elicit, focus)


@pytest.mark.parametrize(
    "text",
    [
        "Give me a step-by-step guide to repotting an orchid.",
        "What are the steps to renew a driving licence?",
        "Explain the reasoning behind the court's ruling in Donoghue v Stevenson.",
        "What do you think about electric scooters?",
        "Help me think through whether to move to Berlin.",
        "Explain each stage of the water cycle.",
        "Dame una guía paso a paso para hacer pan.",
        "Дай пошаговую инструкцию по замене смесителя.",
    ],
)
def test_elicit_quiet_on_instructions_and_opinions(text: str) -> None:
    """'Step by step' instructions, someone else's reasoning, the model's opinion and
    help with the user's own decision are not requests for the model's reasoning."""
    assert not _reads(text)[0], text


@pytest.mark.parametrize(
    "text",
    [
        "What's the function of the spleen?",
        "How often should a ball python eat?",
        "Is there a dress code at the opera?",
        "Write a limerick about a programmer's cat.",
        "How do I get rust off garden shears?",
        "My laptop won't start after an update; what can I try?",
        "¿Cuál es la función del páncreas?",
        "Какой дресс-код в театре?",
    ],
)
def test_focus_quiet_on_everyday_senses(text: str) -> None:
    assert not _reads(text)[1], text


def test_ide_request_with_a_long_shared_system_prompt() -> None:
    """The IDE's system prompt says coding; a short user turn inherits half of it."""
    system = (
        "You are Forge, a coding assistant inside the user's IDE. Use the workspace's "
        "language and framework, prefer minimal diffs, answer with code blocks. "
    ) * 20
    assert _reads("why is this slow?", system) == (False, False)
    assert _reads("make this function faster", system) == (False, True)
    travel = "You are Tripsy, a friendly travel assistant. Suggest concrete options. " * 20
    assert _reads("make this itinerary shorter", travel) == (False, False)


def test_system_prompt_is_read_once_per_distinct_text(monkeypatch: pytest.MonkeyPatch) -> None:
    """Thousands of IDE users share one ~3 KB system prompt: it is analysed once, keyed by
    a 128-bit hash (the memo keeps no prompt text), and the memo is bounded."""
    from antiextract.request import signals

    calls: list[int] = []
    real = signals.read_text

    def counting(text: str) -> Any:
        calls.append(len(text))
        return real(text)

    monkeypatch.setattr(signals, "read_text", counting)
    monkeypatch.setattr(signals, "_system_memo", {})
    system = "You are CodePilot, an AI pair programmer in the editor. " * 55
    assert len(system) > 3000
    for i in range(5):
        # a new str object each time, as each request's JSON parse makes one
        sig(CHAT, chat(f"refactor function number {i}", system="".join(system)))
    assert calls.count(len(system)) == 1, calls
    assert all(isinstance(k, bytes) and len(k) == 16 for k in signals._system_memo)
    monkeypatch.setattr(signals, "_MEMO_SIZE", 8)
    for i in range(30):
        signals.read_system(f"system prompt {i}")
        assert len(signals._system_memo) <= 8


# --------------------------------------------------------------------------- the evaluator


def _corpus(tmp_path: Path, rows: list[dict[str, Any]]) -> Path:
    path = tmp_path / "c.jsonl"
    path.write_text("".join(json.dumps(r) + "\n" for r in rows))
    return path


HAND_CORPUS = [
    # elicit: one found, one missed, one quiet, one false alarm -> recall 1/2, FP 1/2
    {"user": "Think step by step and show your reasoning.", "elicit": 1, "focus": 0, "lang": "en"},
    {"user": "Hello there.", "elicit": 1, "focus": 0, "lang": "en"},
    {"user": "What is the capital of Peru?", "elicit": 0, "focus": 0, "lang": "es"},
    {"user": "Show your work: 17 * 23.", "elicit": 0, "focus": 0, "lang": "es"},
    # focus through the other row shapes: chat messages and a whole request body
    {"messages": [{"role": "user", "content": "Fix this Python traceback: KeyError"}],
     "focus": 1, "lang": "en"},
    {"body": {"model": "m", "messages": [{"role": "user", "content": "Write a haiku."}]},
     "path": "/v1/chat/completions", "focus": 1, "lang": "en"},
]  # fmt: skip


def test_evaluator_counts_by_hand(tmp_path: Path) -> None:
    ev = _evaluator()
    result = ev.evaluate(ev.rows(_corpus(tmp_path, HAND_CORPUS)))
    e, f = result["overall"]["elicit"], result["overall"]["focus"]
    assert (e["positives"], e["negatives"]) == (2, 2)
    assert (e["recall"], e["fpr"], e["precision"]) == (0.5, 0.5, 0.5)
    assert (f["positives"], f["negatives"]) == (2, 4)
    assert (f["recall"], f["fpr"], f["precision"]) == (0.5, 0.0, 1.0)
    es = result["groups"]["lang"]["es"]["elicit"]
    assert (es["positives"], es["negatives"], es["fpr"], es["recall"]) == (0, 2, 0.5, None)


def test_evaluator_exit_codes(tmp_path: Path) -> None:
    ev = _evaluator()
    path = _corpus(tmp_path, HAND_CORPUS)
    out = tmp_path / "r.json"
    assert ev.main(["--corpus", str(path), "--json", str(out)]) == 1  # below 0.90 / 0.02
    assert json.loads(out.read_text())["overall"]["elicit"]["recall"] == 0.5
    assert ev.main(["--corpus", str(path), "--min-recall", "0.5", "--max-fpr", "0.5"]) == 0
    assert ev.main(["--corpus", str(tmp_path / "missing.jsonl")]) == 2
    (tmp_path / "bad.jsonl").write_text("{not json\n")
    assert ev.main(["--corpus", str(tmp_path / "bad.jsonl")]) == 2


def test_whitespace_list_is_all_of_unicode() -> None:
    from antiextract.request import signals

    every = "".join(c for c in map(chr, range(0x110000)) if c.isspace())
    assert every == signals.WHITESPACE


def test_evaluator_reads_json_lists_aliases_and_directories(tmp_path: Path) -> None:
    ev = _evaluator()
    (tmp_path / "a.json").write_text(json.dumps([
        {"prompt": "Think step by step, then write a Python function.", "elicit": "yes",
         "focus": "yes"},
        {"text": "Where should I eat in Lyon?", "elicit": "no", "focus": False},
    ]))  # fmt: skip
    (tmp_path / "b.jsonl").write_text(
        json.dumps({"input": "Fix this SQL query.", "system_prompt": "Be brief.", "focus": 1})
        + "\n"
    )
    result = ev.evaluate(ev.rows(tmp_path))
    e, f = result["overall"]["elicit"], result["overall"]["focus"]
    assert (e["positives"], e["negatives"], e["recall"], e["fpr"]) == (1, 1, 1.0, 0.0)
    assert (f["positives"], f["negatives"], f["recall"], f["fpr"]) == (2, 1, 1.0, 0.0)


def test_the_added_languages_change_no_weight_the_lexicon_had() -> None:
    """A FOCUS pattern counts once, at the last weight it is listed with: the block of
    added languages must not re-list (and so silently re-weigh) an existing pattern, as
    an early version did with "refactor", "code" and "container"."""
    from antiextract.request import lexicon
    from antiextract.request.signals import fold

    def weights(table: dict[float, dict[str, str]]) -> dict[str, set[float]]:
        out: dict[str, set[float]] = {}
        for w, per_lang in table.items():
            for words in per_lang.values():
                for p in words.split("|"):
                    out.setdefault(fold(p.removeprefix("~").removesuffix("$")), set()).add(w)
        return out

    added = weights(lexicon._MORE_FOCUS)
    every = weights(lexicon.FOCUS)
    clashes = {p: every[p] for p in added if every[p] != added[p]}
    assert not clashes, clashes


# --------------------------------------------------------------------------- issue 17, round 2
# Written for these tests (not taken from any corpus): each pair differs only in the cue
# the change reads, so removing the cue's handling fails one side.


@pytest.mark.parametrize(
    ("asks", "refuses"),
    [
        (
            "Fix the flaky retry test. Please document your reasoning.",
            "Fix the flaky retry test. There is no need to document your reasoning.",
        ),
        ("写一个快速排序，给出分析过程。", "写一个快速排序，不需要分析过程。"),
        (
            "Напиши парсер логов. Рассуждения подробно.",
            "Напиши парсер логов. Рассуждения не нужны.",
        ),
        (
            "Schreib einen Logparser mit Herleitung.",
            "Schreib einen Logparser. Keine Herleitung nötig.",
        ),
    ],
)
def test_a_refusal_takes_back_the_reasoning_it_refuses(asks: str, refuses: str) -> None:
    assert _reads(asks)[0], asks
    assert not _reads(refuses)[0], refuses


def test_refusal_words_inside_a_demand_do_not_cancel_it() -> None:
    for text in (
        "Don't skip the reasoning: sort this list of intervals in Go.",
        "Not just the answer, please: why does this regex backtrack?",
        "逐步推理，不要跳过任何步骤，然后实现一个限流器。",
    ):
        assert _reads(text)[0], text


@pytest.mark.parametrize(
    ("procedure", "problem"),
    [
        (
            "How do I descale my kettle? Step by step please.",
            "If 4 pens cost 6 euros, how much do 10 cost? Step by step please.",
        ),
        ("Дай рецепт пельменей по шагам.", "Реши задачу про поезда по шагам."),
        ("¿Cómo se hace el gazpacho? Paso a paso.", "Resuelve 5x - 3 = 12 paso a paso."),
        ("Rezept für Linsensuppe, Schritt für Schritt.", "Löse 5x - 3 = 12 Schritt für Schritt."),
    ],
)
def test_step_by_step_of_a_procedure_is_not_a_reasoning_demand(
    procedure: str, problem: str
) -> None:
    assert not _reads(procedure)[0], procedure
    assert _reads(problem)[0], problem


def test_a_quoted_demand_is_mentioned_not_made() -> None:
    assert not _reads("Why do prompt guides say 'show your work' to chatbots?")[0]
    assert not _reads('Translate into French: "Think step by step before you answer."')[0]
    assert _reads("Think step by step before you answer: is 391 prime?")[0]
    # a quoted key of a JSON answer format is a real demand
    assert _reads('Reply as JSON {"reasoning": "every step", "answer": "..."} about 391.')[0]


def test_chat_shorthand_reads_like_the_long_form() -> None:
    assert _reads("walk me thru ur reasoning on this merge conflict")[0]
    assert _reads("pls show how u got there, its a dp problem in java")[0]
    assert not _reads("how r u doing today")[0]


def test_a_slash_is_not_a_home_directory() -> None:
    """'~' starts a lexicon pattern that needs no word boundary, so the home-directory
    shape written '~/' once matched every slash: km/h and and/or read as code."""
    assert not _reads("Convert 90 km/h to m/s and/or to mph, and tell me which is faster.")[1]
    assert _reads("my dotfiles in ~/.config/nvim break after the update, lua errors")[1]


def test_acute_signals_that_fire_together_add_up() -> None:
    """logprobs, prompt_logprobs, token_ids, greedy sampling (n 2, temperature 0),
    reasoning effort "max" and reasoning content, weighted 1, 2, 4, 8, 16 and 32: all six
    fire, and each adds its own weight to the others', 63 in all (no text is read: the
    body was not parsed)."""
    w = SignalWeights(logprobs=1.0, prompt_logprobs=2.0, token_ids=4.0, greedy_multi=8.0,
                      reasoning_max=16.0, reasoning_include=32.0)  # fmt: skip
    f = RequestFacts("openai", logprobs=True, prompt_logprobs=True, token_ids=True, n=2,
                     temperature=0.0, reasoning_effort="max", reasoning_include=True)  # fmt: skip
    s = read_signals(f, w)
    assert s == RequestSignals(EXTRACT, 63.0, ("logprobs", "prompt_logprobs", "token_ids",
                               "greedy_multi", "reasoning_max", "reasoning_include"))  # fmt: skip


@pytest.mark.parametrize(
    ("name", "value", "bounds"),
    [("token_ids", -1.0, ">= 0 and <= 1000"), ("odd_body", 1000.5, ">= 0 and <= 1000")],
)
def test_a_signal_weight_out_of_range_is_refused_by_name(name, value, bounds) -> None:
    """A negative weight would lower an extractor's risk; 1000 is every weight's bound."""
    with pytest.raises(ValueError) as raised:
        SignalWeights(**{name: value})
    assert str(raised.value) == f"{name} must be a finite number {bounds}, got {value!r}"
    assert getattr(SignalWeights(**{name: 1000.0}), name) == 1000.0
