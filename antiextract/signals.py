"""Stateless request signals: what one request says about extraction, read like an analyst.

Pure functions of ``RequestFacts``. Two kinds of output:

- *traits* (bits in ``risk``): properties that are ordinary once and telling as a habit
  (asking for reasoning, coding/agentic focus, single-turn). The store keeps their shares
  per account; risk grows with the shares, not with one request.
- *acute* weight: extraction-grade parameters (token probabilities, logit bias, several
  samples, maximised reasoning) that a harvest needs and an ordinary chat rarely sends.
  Each fired signal adds its weight to the account's decaying acute score.

Every weight has a default here and an override in ``ANTIEXTRACT_SIGNAL_WEIGHTS`` (a JSON
object naming only the weights to change).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, fields

from .apis import RequestFacts
from .risk import ELICIT, EXTRACT, FOCUS, LOGIT_BIAS, SINGLE

EDGE = 2_048  # characters read at each end of a long prompt: wrappers live at the edges
LARGE_OUTPUT = 8_192  # an output budget at or above this is "very large"


@dataclass(frozen=True, slots=True)
class SignalWeights:
    """Acute weight added per request when the signal fires (before the youth factor)."""

    logprobs: float = 1.0  # logprobs / top_logprobs: the distribution, not just the text
    top_logprobs_all: float = 3.0  # vLLM top_logprobs = -1: the whole vocabulary
    logit_bias: float = 1.0  # logit_bias alone (also used for formatting, so weak)
    logit_probe: float = 6.0  # logit_bias with logprobs: logit extraction (Carlini 2024)
    prompt_logprobs: float = 2.0  # vLLM: log-probabilities of the prompt tokens
    token_ids: float = 2.0  # vLLM allowed_token_ids / logprob_token_ids
    multi_sample: float = 1.0  # n > 1: several answers per prompt for distillation
    greedy_multi: float = 1.5  # temperature 0 with n > 1: probing determinism
    large_output: float = 0.5  # output budget >= 8,192 tokens
    reasoning_max: float = 0.5  # reasoning effort high / thinking budget >= 16k
    reasoning_include: float = 0.5  # Responses include=reasoning.encrypted_content
    odd_body: float = 0.5  # wrong types or shapes: hand-rolled clients and fuzzers

    @classmethod
    def names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))


@dataclass(frozen=True, slots=True)
class RequestSignals:
    traits: int
    acute: float
    fired: tuple[str, ...]  # names of traits and acute signals that fired


# Phrasings that ask a model to expose its reasoning. Collected from jailbreak and
# distillation prompt sets: each alternative is a family of paraphrases.
_ELICIT = re.compile(
    r"step[\s-]*by[\s-]*step"
    r"|chain[\s-]*of[\s-]*thoughts?"
    r"|\b(?:show|explain|give|walk\s+(?:me\s+)?through|write\s+out|detail|describe|reveal"
    r"|share|print|output|include|expose|dump)\s+(?:me\s+)?(?:all\s+)?(?:of\s+)?"
    r"(?:your|the|its|each)?\s*(?:full|complete|entire|whole|detailed|internal|hidden|inner"
    r"|private|raw|intermediate|underlying|step[\s-]by[\s-]step)?\s*"
    r"(?:reasoning|thought\s+process|thinking|thoughts|derivation|rationale|work(?:ing)?"
    r"|scratch\s*pad|monologue|steps)"
    r"|\bthink\s+(?:it\s+|this\s+)?(?:through|aloud|out\s+loud|carefully)"
    r"|\blet'?s\s+think"
    r"|\breason\s+(?:carefully|explicitly|thoroughly|through)"
    r"|\b(?:hidden|internal|private|secret)\s+(?:reasoning|thoughts|chain|scratch\s*pad)"
    r"|<thinking>|<reasoning>|<scratchpad>",
    re.IGNORECASE,
)

# Software engineering and agentic/multi-step planning: the capabilities the 2026
# campaigns targeted. Two distinct hits are needed, since one word is too common.
_FOCUS = re.compile(
    r"```|\bdef\s+\w+\s*\(|\bclass\s+\w+|\bfunction\b|\bimplement|\brefactor|\bdebug"
    r"|\bbug\b|\bstack\s*trace|\btraceback\b|\bunit\s+tests?\b|\bpytest\b|\bcompile"
    r"|\bpython\b|\btypescript\b|\bjavascript\b|\brust\b|\bgolang\b|\bjava\b|\bc\+\+"
    r"|\bsql\b|\bregex\b|\balgorithm|\btime\s+complexity|\bcode\s+review|\bpull\s+request"
    r"|\brepository\b|\bapi\s+endpoint|\bkubernetes\b|\bdocker"
    r"|\bagent(?:ic)?\b|\bmulti[\s-]*step|\bsub[\s-]*tasks?\b|\btool\s+calls?\b"
    r"|\bplan\s+(?:the|a|your)\s+steps|\baction\s+plan|\bexecute\s+the\s+following",
    re.IGNORECASE,
)


def edges(text: str, size: int = EDGE) -> str:
    """The start and the end of a long text, where instruction wrappers sit."""
    if len(text) <= 2 * size:
        return text
    return text[:size] + "\n" + text[-size:]


def elicits_reasoning(facts: RequestFacts) -> bool:
    return bool(
        _ELICIT.search(edges(facts.user_text))
        or (facts.system_text and _ELICIT.search(edges(facts.system_text)))
    )


def capability_focus(facts: RequestFacts) -> bool:
    if facts.tools:
        return True
    hits = set()
    for match in _FOCUS.finditer(edges(facts.user_text)):
        hits.add(match.group(0).lower())
        if len(hits) >= 2:
            return True
    return False


def read_signals(facts: RequestFacts, w: SignalWeights) -> RequestSignals:
    """All stateless signals of one request."""
    fired: list[str] = []
    acute = 0.0
    if facts.logprobs or (facts.top_logprobs is not None and facts.top_logprobs != 0):
        if facts.logit_bias:
            fired.append("logit_probe")
            acute += w.logit_probe
        else:
            fired.append("logprobs")
            acute += w.logprobs
        if facts.top_logprobs is not None and facts.top_logprobs < 0:
            fired.append("top_logprobs_all")
            acute += w.top_logprobs_all
    elif facts.logit_bias:
        fired.append("logit_bias")
        acute += w.logit_bias
    if facts.prompt_logprobs:
        fired.append("prompt_logprobs")
        acute += w.prompt_logprobs
    if facts.token_ids:
        fired.append("token_ids")
        acute += w.token_ids
    if facts.n > 1:
        if facts.temperature == 0:
            fired.append("greedy_multi")
            acute += w.greedy_multi
        else:
            fired.append("multi_sample")
            acute += w.multi_sample
    if facts.output_tokens is not None and facts.output_tokens >= LARGE_OUTPUT:
        fired.append("large_output")
        acute += w.large_output
    if facts.reasoning_effort in ("high", "xhigh", "max") or (
        facts.thinking_budget is not None and facts.thinking_budget >= 16_384
    ):
        fired.append("reasoning_max")
        acute += w.reasoning_max
    if facts.reasoning_include:
        fired.append("reasoning_include")
        acute += w.reasoning_include
    traits = EXTRACT if acute > 0 else 0
    if facts.odd:
        fired.append("odd_body")
        acute += w.odd_body
    if facts.logit_bias:
        traits |= LOGIT_BIAS
    if facts.parsed:
        if elicits_reasoning(facts):
            traits |= ELICIT
            fired.append("elicit")
        if capability_focus(facts):
            traits |= FOCUS
            fired.append("focus")
        if facts.assistant_turns == 0:
            traits |= SINGLE
            fired.append("single_turn")
    return RequestSignals(traits, acute, tuple(fired))
