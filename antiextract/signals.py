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

from collections.abc import Iterable
from dataclasses import dataclass, fields

from .apis import RequestFacts
from .risk import ELICIT, EXTRACT, FOCUS, LOGIT_BIAS, MAX_WEIGHT, SINGLE, check_range

EDGE = 2_048  # characters read at each end of a long prompt: wrappers live at the edges
WORD_EDGE = 640  # bytes at each end split into words for the capability-focus check
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

    def __post_init__(self) -> None:
        for name in self.names():  # a negative weight would lower an extractor's risk
            check_range(name, getattr(self, name), 0, MAX_WEIGHT)

    @classmethod
    def names(cls) -> tuple[str, ...]:
        return tuple(f.name for f in fields(cls))


@dataclass(frozen=True, slots=True)
class RequestSignals:
    traits: int
    acute: float
    fired: tuple[str, ...]  # names of traits and acute signals that fired


# Phrasings that ask a model to expose its reasoning, collected from jailbreak and
# distillation prompt sets. Most prompts contain none of the trigger words, so the common
# case costs one set test on the prompt's word set; only candidates get the phrase checks.
# (A single alternation regex over these phrasings measured ~200 µs on a 2 KB prompt.)
# Substrings every phrase and noun below contains (e.g. "reason" covers "reasoning" and
# "reason through"): nine memchr-speed tests decide most prompts.
_ELICIT_TRIGGERS = ("step", "chain", "think", "reason", "thought", "scratch", "monolog",
                    "derivation", "work")  # fmt: skip
_ELICIT_PHRASES = (
    "step by step", "step-by-step", "chain of thought", "chain-of-thought", "let's think",
    "lets think", "think it through", "think this through", "think through", "think aloud",
    "think out loud", "think carefully", "reason carefully", "reason explicitly",
    "reason through", "<thinking>", "<reasoning>", "<scratchpad>", "scratchpad",
    "scratch pad", "monologue", "show your work", "show all your work",
)  # fmt: skip
# Nouns that elicit only when a verb asks for them shortly before ("show ... reasoning").
# ("thoughts" and "rationale" are left out: "share your thoughts on my essay" and
# "explain the rationale of the Magna Carta" are ordinary requests.)
_ELICIT_NOUNS = ("reasoning", "thought process", "thinking", "derivation",
                 "intermediate steps")  # fmt: skip
_ELICIT_VERBS = ("show", "explain", "give", "walk me through", "walk through", "write out",
                 "detail", "describe", "reveal", "share", "print", "output", "include",
                 "expose", "dump", "provide", "display")  # fmt: skip
_VERB_WINDOW = 48

# Software engineering and agentic / multi-step planning: what the 2026 campaigns
# targeted. Two distinct hits are needed, since any one word is common.
_FOCUS_WORDS = frozenset((
    "def", "function", "implement", "implementation", "refactor", "debug", "bug", "traceback",
    "pytest", "compile", "compiler", "python", "typescript", "javascript", "rust", "golang",
    "java", "sql", "regex", "algorithm", "repository", "kubernetes", "docker", "async",
    "await", "api", "endpoint", "agent", "agentic", "subtask", "subtasks", "mypy", "numpy",
    "django", "class", "method", "unittest", "lru", "json", "stack", "tool", "multi-step",
))  # fmt: skip
# Punctuation (but not ' and -) becomes space before splitting into words.
_PUNCT = bytes.maketrans(b'!"#$%&()*+,./:;<=>?@[\\]^_`{|}~', b" " * 30)


def _b(words: tuple[str, ...] | frozenset[str]) -> tuple[bytes, ...]:
    return tuple(w.encode() for w in words)


# Matching runs on bytes: lower(), translate() and split() of a bytes object are plain C
# loops, several times faster than their str counterparts on the same 2 KB.
_ELICIT_TRIGGERS_B = _b(_ELICIT_TRIGGERS)
_ELICIT_PHRASES_B = _b(_ELICIT_PHRASES)
_ELICIT_NOUNS_B = _b(_ELICIT_NOUNS)
_ELICIT_VERBS_B = _b(_ELICIT_VERBS)
_FOCUS_WORDS_B = frozenset(_b(_FOCUS_WORDS))


class _Text:
    """One prompt field, lower-cased and split once, shared by every check."""

    __slots__ = ("low", "words")

    def __init__(self, text: str) -> None:
        raw = edges(text).replace("\u2019", "'")  # typographic apostrophe
        low = self.low = raw.encode("utf-8", "ignore").lower()
        # Splitting into words is the costly part (a bytes object per word), so the word
        # set covers the first and last WORD_EDGE bytes: enough to see what kind of task
        # it is; phrase checks still search all of `low`.
        if len(low) > 2 * WORD_EDGE:
            low = low[:WORD_EDGE] + b" " + low[-WORD_EDGE:]
        self.words = set(low.translate(_PUNCT).split())


def edges(text: str, size: int = EDGE) -> str:
    """The start and the end of a long text, where instruction wrappers sit."""
    if len(text) <= 2 * size:
        return text
    return text[:size] + "\n" + text[-size:]


def _candidates(trigger: bytes) -> tuple[tuple[bytes, ...], tuple[bytes, ...]]:
    return (
        tuple(p for p in _ELICIT_PHRASES_B if trigger in p),
        tuple(n for n in _ELICIT_NOUNS_B if trigger in n),
    )


# The phrases and nouns each trigger can be part of: a prompt is searched only for those
# whose trigger it contains (most contain one or two triggers, e.g. "work" in "worked"),
# not for all thirty.
_BY_TRIGGER = {t: _candidates(t) for t in _ELICIT_TRIGGERS_B}
assert all(any(t in w for t in _ELICIT_TRIGGERS_B) for w in _ELICIT_PHRASES_B + _ELICIT_NOUNS_B), (
    "every elicitation phrase and noun must contain a trigger"
)


def _elicits(t: _Text) -> bool:
    low = t.low
    phrases: list[bytes] = []
    nouns: list[bytes] = []
    for trigger in _ELICIT_TRIGGERS_B:
        if trigger in low:
            p, n = _BY_TRIGGER[trigger]
            if _asks_reasoning(low, p, n):  # most eliciting prompts stop at their first trigger
                return True
            phrases += p
            nouns += n
    if not phrases and not nouns:
        return False
    # Phrases broken over lines or padded with spaces: fold the whitespace and look again
    # (only for candidates that whitespace can break, so most prompts never pay for a split).
    if (nouns or any(b" " in p for p in phrases)) and (
        b"\n" in low or b"  " in low or b"\t" in low
    ):
        return _asks_reasoning(b" ".join(low.split()), phrases, nouns)
    return False


def _asks_reasoning(
    text: bytes,
    phrases: Iterable[bytes] = _ELICIT_PHRASES_B,
    nouns: Iterable[bytes] = _ELICIT_NOUNS_B,
) -> bool:
    for phrase in phrases:
        if phrase in text:
            return True
    for noun in nouns:
        at = text.find(noun)
        while at >= 0:
            window = text[max(0, at - _VERB_WINDOW) : at]
            for verb in _ELICIT_VERBS_B:
                if verb in window:
                    return True
            at = text.find(noun, at + len(noun))
    return False


def elicits_reasoning(facts: RequestFacts, user: _Text | None = None) -> bool:
    user = user or _Text(facts.user_text)
    return _elicits(user) or (bool(facts.system_text) and _elicits(_Text(facts.system_text)))


def capability_focus(facts: RequestFacts, user: _Text | None = None) -> bool:
    if facts.tools:
        return True
    user = user or _Text(facts.user_text)
    hits = len(user.words & _FOCUS_WORDS_B) + (b"```" in user.low)
    return hits >= 2


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
    traits = EXTRACT if fired else 0  # by what fired, so a zero weight keeps the trait
    if facts.odd:
        fired.append("odd_body")
        acute += w.odd_body
    if facts.logit_bias:
        traits |= LOGIT_BIAS
    if facts.parsed:
        user = _Text(facts.user_text)
        if elicits_reasoning(facts, user):
            traits |= ELICIT
            fired.append("elicit")
        if capability_focus(facts, user):
            traits |= FOCUS
            fired.append("focus")
        if facts.assistant_turns == 0:
            traits |= SINGLE
            fired.append("single_turn")
    return RequestSignals(traits, acute, tuple(fired))
