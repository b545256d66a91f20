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
from typing import Any

import pytest
from hypothesis import HealthCheck, given, reject, settings
from hypothesis import strategies as st

from antiextract.apis import RequestFacts, family_for_path
from antiextract.risk import ELICIT, EXTRACT, FOCUS, LOGIT_BIAS, SINGLE
from antiextract.signals import LARGE_OUTPUT, RequestSignals, SignalWeights, read_signals

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
    """BUG (adapter): on /v1/completions ``logprobs: 0`` still returns the sampled tokens'
    logprobs and vLLM's ``logprobs: -1`` returns the whole vocabulary, yet neither fires."""
    s = sig(COMPLETIONS, legacy(model="meta-llama/Llama-3.1-8B", logprobs=logprobs))
    assert "logprobs" in s.fired
    if logprobs == -1:
        assert "top_logprobs_all" in s.fired


def test_responses_include_output_text_logprobs_fires() -> None:
    """BUG (adapter): the Responses API asks for logprobs with
    ``include: ["message.output_text.logprobs"]``; that request fires nothing."""
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
    """BUG (adapter): prompt text is cut to its first 64 K characters, so an instruction at
    the end of a longer prompt never reaches the edge reader: padding hides the wrapper."""
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
    """BUG (adapter): a Responses conversation continued server-side with
    ``previous_response_id`` carries only the new user turn, so every follow-up of a stateful
    Responses chat is counted as single-turn."""
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
