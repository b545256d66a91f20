"""DEGRADE: still call the model, but remove what an extractor values.

Pure functions and small stateful filters, bytes in / bytes out, no ASGI knowledge:

- :func:`rewrite_request` caps the output budget, removes log-probability parameters,
  forces a single choice and lowers or removes reasoning in a request body (per API family).
- :func:`filter_json_body` / :class:`JsonFilter` remove reasoning and log-probabilities
  from a complete JSON response.
- :class:`SSEFilter` does the same to a server-sent-events stream, chunk by chunk, holding
  back at most one incomplete event. Chunks whose complete events contain none of the
  family's trigger substrings are returned as they are, without any JSON parsing.

Everything that handles traffic is defensive: malformed input passes through unchanged and
nothing here raises. Family names are those of :mod:`antiextract.request.apis`: ``openai.chat``,
``openai.completions``, ``openai.responses``, ``anthropic.messages`` and ``generic``.

Request rewriting, per family (only with the matching :class:`DegradePlan` switch on):

====================  ======================================================================
output budget         chat: ``max_completion_tokens`` when the body uses it (``max_tokens``
                      is capped too when present), else ``max_tokens``; completions and
                      Anthropic: ``max_tokens``; Responses: ``max_output_tokens``. Capped
                      when larger (or not an integer), set when absent. ``generic`` caps
                      whichever of the three is present and adds none.
logprobs              ``logprobs``, ``top_logprobs``, ``logit_bias`` and vLLM's
                      ``prompt_logprobs``, ``allowed_token_ids``, ``logprob_token_ids`` are
                      removed; Responses also loses the ``message.output_text.logprobs``
                      ``include`` entry.
single choice         ``n`` -> 1 (and ``best_of`` -> 1 for legacy completions).
reasoning             chat / generic: ``reasoning_effort`` lowered to the plan's effort, or
                      removed when the plan's effort is None; chat also gets vLLM's
                      ``include_reasoning: false``. Responses: ``reasoning`` becomes
                      ``{"effort": <lowered>}`` (its ``summary`` request is dropped) and the
                      ``reasoning.encrypted_content`` ``include`` entry is removed.
                      Anthropic: ``thinking`` is removed (default), or with
                      ``anthropic_thinking="omitted"`` kept at the minimum budget with
                      ``display: "omitted"`` (the model still thinks, the API returns the
                      thinking block with an empty ``thinking`` field and only its
                      signature); ``output_config.effort`` is lowered. Effort is only ever
                      lowered, never raised, and never added to a request without one
                      (models that do not reason reject the parameter).
model                 ``model`` replaced through ``model_map`` (all families).
====================  ======================================================================

Anthropic requires ``thinking.budget_tokens`` >= 1024 and < ``max_tokens``; whenever
thinking stays in the request its budget is brought below the (capped) ``max_tokens``, and
thinking is removed when ``max_tokens`` leaves no room for the minimum budget.

Responses lose: OpenAI chat / completions reasoning fields (``reasoning_content``,
``reasoning``, ``reasoning_details``; a chat chunk left with nothing else is dropped) and
log-probabilities (``logprobs`` becomes null, the shape of an answer that never asked for
them); Responses ``reasoning`` output items with all their events (later ``output_index``
values renumbered) and output_text ``logprobs`` (emptied to ``[]``, which the SDK's event
types require); Anthropic ``thinking`` / ``redacted_thinking`` blocks with all their events
(later block ``index`` values renumbered).

Known limits of the stream filter: SSE lines ending in a bare CR (no LF) are not recognised
as event ends (no model server emits them); chat logprobs are recognised in streams by
their entries (``"logprob"`` keys), so a logprobs object without entries passes; Responses
``sequence_number`` values keep the gaps left by removed events; usage counts still
include the reasoning tokens.
"""

from __future__ import annotations

import json
import logging
import re
from bisect import bisect_left, insort
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import orjson

__all__ = [
    "FAMILIES",
    "DegradePlan",
    "JsonFilter",
    "SSEFilter",
    "filter_json_body",
    "response_filter",
    "rewrite_request",
]

FAMILIES = (
    "openai.chat",
    "openai.completions",
    "openai.responses",
    "anthropic.messages",
    "generic",
)

_log = logging.getLogger("antiextract")

# Request parameters that expose (or steer by) token probabilities.
_LOGPROB_PARAMS = (
    "logprobs",
    "top_logprobs",
    "logit_bias",
    "prompt_logprobs",
    "allowed_token_ids",
    "logprob_token_ids",
)
# Reasoning effort levels, lowest first (OpenAI, plus Anthropic's "max").
_EFFORT_RANK = {"none": 0, "minimal": 1, "low": 2, "medium": 3, "high": 4, "xhigh": 5, "max": 6}
_ANTHROPIC_MIN_BUDGET = 1024
_INCLUDE_REASONING = "reasoning.encrypted_content"
_INCLUDE_LOGPROBS = "message.output_text.logprobs"
# Reasoning fields of an OpenAI-style message or delta (vLLM, DeepSeek, OpenRouter names).
_REASONING_KEYS = ("reasoning_content", "reasoning", "reasoning_details")
_THINKING_BLOCKS = ("thinking", "redacted_thinking")
_THINKING_DELTAS = ("thinking_delta", "signature_delta")


@dataclass(frozen=True)
class DegradePlan:
    """What a degraded request loses. The defaults remove everything an extractor values.

    ``reasoning_effort`` is the effort reasoning is lowered to (None: remove the effort
    parameter instead); ``anthropic_thinking`` is ``"remove"`` or ``"omitted"`` (see the
    module docstring); ``vllm_include_reasoning`` adds ``include_reasoning: false`` to chat
    requests (vLLM's switch; turn it off for backends that reject unknown parameters).
    """

    max_output_tokens: int = 512
    remove_logprobs: bool = True
    force_single: bool = True
    remove_reasoning: bool = True
    model_map: dict[str, str] = field(default_factory=dict)
    reasoning_effort: str | None = "low"
    anthropic_thinking: str = "remove"
    vllm_include_reasoning: bool = True

    def __post_init__(self) -> None:
        if type(self.max_output_tokens) is not int or self.max_output_tokens < 1:
            raise ValueError("max_output_tokens must be a positive integer")
        if self.anthropic_thinking not in ("remove", "omitted"):
            raise ValueError("anthropic_thinking must be 'remove' or 'omitted'")


# --------------------------------------------------------------------------- requests


def rewrite_request(family: str, doc: dict[str, Any], plan: DegradePlan) -> dict[str, Any] | None:
    """A degraded copy of the request body ``doc``, or None when nothing had to change.

    ``doc`` is never mutated (nested objects that change are copied). Never raises: on an
    unexpected failure the request is left as it was (None) and the error is logged.
    """
    if not isinstance(doc, dict):
        return None
    try:
        out = dict(doc)
        changed = _REWRITERS.get(family, _rewrite_generic)(out, plan)
        model = out.get("model")
        if isinstance(model, str) and model in plan.model_map and plan.model_map[model] != model:
            out["model"] = plan.model_map[model]
            changed = True
        return out if changed else None
    except Exception:
        _log.exception("antiextract: request rewrite failed; request left unchanged")
        return None


def request_body(doc: dict[str, Any]) -> bytes:
    """A rewritten request as the JSON bytes the app receives. A body read by Python's
    json (``apis.base._lenient``) may hold an integer past 64 bits, which orjson refuses
    to write (TypeError): json writes it as the client sent it. A serializer that raised
    here failed the decision, and the request went on unrewritten."""
    try:
        return orjson.dumps(doc)
    except TypeError:
        return json.dumps(doc).encode()


def _cap_fields(out: dict[str, Any], names: tuple[str, ...], cap: int, default: str | None) -> bool:
    """Cap every present budget field; set ``default`` when none is present."""
    changed = present = False
    for name in names:
        value = out.get(name)
        if value is None:
            continue
        present = True
        if type(value) is not int or value > cap:  # bools, floats, strings: servers coerce
            out[name] = cap
            changed = True
    if not present and default is not None:
        out[default] = cap
        changed = True
    return changed


def _drop(out: dict[str, Any], names: tuple[str, ...]) -> bool:
    """Remove parameters that are set (None and False already mean "off")."""
    changed = False
    for name in names:
        if name in out and out[name] is not None and out[name] is not False:
            del out[name]
            changed = True
    return changed


def _single(out: dict[str, Any], name: str) -> bool:
    value = out.get(name)
    if value is None or (type(value) is int and value == 1):
        return False
    out[name] = 1
    return True


def _lowered(current: Any, target: str) -> str:
    """The lower of two effort levels; an unknown or missing current level gives ``target``."""
    rank = _EFFORT_RANK.get(current) if isinstance(current, str) else None
    goal = _EFFORT_RANK.get(target)
    if rank is not None and goal is not None and rank <= goal:
        return current
    return target


def _effort_param(out: dict[str, Any], name: str, target: str | None) -> bool:
    if out.get(name) is None:
        return False
    if target is None:
        del out[name]
        return True
    new = _lowered(out[name], target)
    if new == out[name]:
        return False
    out[name] = new
    return True


def _rewrite_chat(out: dict[str, Any], plan: DegradePlan) -> bool:
    default = "max_completion_tokens" if "max_completion_tokens" in out else "max_tokens"
    fields = ("max_completion_tokens", "max_tokens")
    changed = _cap_fields(out, fields, plan.max_output_tokens, default)
    if plan.remove_logprobs:
        changed |= _drop(out, _LOGPROB_PARAMS)
    if plan.force_single:
        changed |= _single(out, "n")
    if plan.remove_reasoning:
        changed |= _effort_param(out, "reasoning_effort", plan.reasoning_effort)
        if plan.vllm_include_reasoning and out.get("include_reasoning") is not False:
            out["include_reasoning"] = False
            changed = True
    return changed


def _rewrite_completions(out: dict[str, Any], plan: DegradePlan) -> bool:
    changed = _cap_fields(out, ("max_tokens",), plan.max_output_tokens, "max_tokens")
    if plan.remove_logprobs:
        changed |= _drop(out, _LOGPROB_PARAMS)
    if plan.force_single:
        changed |= _single(out, "n")
        changed |= _single(out, "best_of")
    return changed


def _rewrite_responses(out: dict[str, Any], plan: DegradePlan) -> bool:
    fields = ("max_output_tokens",)
    changed = _cap_fields(out, fields, plan.max_output_tokens, "max_output_tokens")
    banned: set[str] = set()
    if plan.remove_logprobs:
        changed |= _drop(out, _LOGPROB_PARAMS)
        banned.add(_INCLUDE_LOGPROBS)
    if plan.remove_reasoning:
        banned.add(_INCLUDE_REASONING)
        reasoning = out.get("reasoning")
        if isinstance(reasoning, dict):
            if plan.reasoning_effort is None:
                del out["reasoning"]
                changed = True
            else:
                new = {"effort": _lowered(reasoning.get("effort"), plan.reasoning_effort)}
                if new != reasoning:
                    out["reasoning"] = new
                    changed = True
    include = out.get("include")
    if banned and isinstance(include, list):
        kept = [entry for entry in include if entry not in banned]
        if len(kept) != len(include):
            out["include"] = kept
            changed = True
    return changed


def _rewrite_messages(out: dict[str, Any], plan: DegradePlan) -> bool:
    changed = _cap_fields(out, ("max_tokens",), plan.max_output_tokens, "max_tokens")
    thinking = out.get("thinking")
    active = isinstance(thinking, dict) and thinking.get("type") in ("enabled", "adaptive")
    if plan.remove_reasoning:
        config = out.get("output_config")
        if plan.reasoning_effort is not None and isinstance(config, dict):
            effort = config.get("effort")
            if effort is not None and _lowered(effort, plan.reasoning_effort) != effort:
                out["output_config"] = {**config, "effort": plan.reasoning_effort}
                changed = True
        if active and plan.anthropic_thinking == "remove":
            del out["thinking"]
            return True
        if active and isinstance(thinking, dict):
            if thinking.get("type") == "adaptive":
                new = {"type": "adaptive", "display": "omitted"}
            else:
                new = {
                    "type": "enabled",
                    "budget_tokens": _ANTHROPIC_MIN_BUDGET,
                    "display": "omitted",
                }
            if new != thinking:
                out["thinking"] = thinking = new
                changed = True
    if active and isinstance(thinking, dict) and thinking.get("type") == "enabled":
        changed |= _fit_budget(out, thinking)
    return changed


def _fit_budget(out: dict[str, Any], thinking: dict[str, Any]) -> bool:
    """Keep Anthropic's rule budget_tokens < max_tokens after the cap."""
    budget, max_tokens = thinking.get("budget_tokens"), out.get("max_tokens")
    if type(budget) is not int or type(max_tokens) is not int or budget < max_tokens:
        return False
    if max_tokens <= _ANTHROPIC_MIN_BUDGET:
        del out["thinking"]  # no room left for the minimum thinking budget
    else:
        out["thinking"] = {**thinking, "budget_tokens": max(_ANTHROPIC_MIN_BUDGET, max_tokens // 2)}
    return True


def _rewrite_generic(out: dict[str, Any], plan: DegradePlan) -> bool:
    fields = ("max_tokens", "max_completion_tokens", "max_output_tokens")
    changed = _cap_fields(out, fields, plan.max_output_tokens, None)
    if plan.remove_logprobs:
        changed |= _drop(out, _LOGPROB_PARAMS)
    if plan.force_single:
        changed |= _single(out, "n")
    if plan.remove_reasoning:
        changed |= _effort_param(out, "reasoning_effort", plan.reasoning_effort)
    return changed


_REWRITERS: dict[str, Callable[[dict[str, Any], DegradePlan], bool]] = {
    "openai.chat": _rewrite_chat,
    "openai.completions": _rewrite_completions,
    "openai.responses": _rewrite_responses,
    "anthropic.messages": _rewrite_messages,
    "generic": _rewrite_generic,
}


# --------------------------------------------------------------------------- documents

# A key followed by one of these carries nothing worth removing.
_NOTHING = (b":null", b": null", b":[]", b": []")


def _live(data: bytes, needle: bytes) -> bool:
    """Whether a JSON key starting with ``needle`` occurs with a value other than null / [].

    ``needle`` includes the key's opening quote or its closing one. Conservative: anything
    that only looks like the key (inside a string) counts as live, which costs a parse.
    """
    i = data.find(needle)
    while i >= 0:
        q = data.find(b'"', i + 1)  # the key's closing quote
        if q < 0 or not data.startswith(_NOTHING, q + 1):
            return True
        i = data.find(needle, q + 1)
    return False


def _strip_choices(doc: dict[str, Any], reasoning: bool, logprobs: bool) -> tuple[bool, bool]:
    """OpenAI ``choices``: drop reasoning fields, null logprobs. -> (changed, had reasoning)."""
    changed = stripped = False
    if logprobs and doc.get("prompt_logprobs") is not None:
        del doc["prompt_logprobs"]
        changed = True
    choices = doc.get("choices")
    if type(choices) is not list:
        return changed, stripped
    for choice in choices:
        if type(choice) is not dict:
            continue
        if logprobs:
            if choice.get("logprobs") is not None:
                choice["logprobs"] = None
                changed = True
            if choice.get("prompt_logprobs") is not None:
                choice["prompt_logprobs"] = None
                changed = True
        if reasoning:
            fields = choice.get("delta")
            if type(fields) is not dict:
                fields = choice.get("message")
                if type(fields) is not dict:
                    continue
            for key in _REASONING_KEYS:
                if key in fields:
                    stripped |= fields.pop(key) is not None
                    changed = True
    return changed, stripped


_KEEP, _EDIT, _DROP = "keep", "edit", "drop"


def _strip_chunk(doc: dict[str, Any], reasoning: bool, logprobs: bool) -> str:
    """:func:`_strip_choices` for a stream chunk, in one pass that also tells whether the
    chunk was only reasoning (it then says nothing: no usage, every delta empty)."""
    choices = doc.get("choices")
    if type(choices) is not list or not choices or "prompt_logprobs" in doc:
        changed, stripped = _strip_choices(doc, reasoning, logprobs)
        return _KEEP if not changed else _EDIT
    changed = stripped = False
    empty = doc.get("usage") is None
    for choice in choices:
        if type(choice) is not dict:
            empty = False
            continue
        for key, value in choice.items():
            if value is None or key == "index":
                continue
            if key == "delta" and type(value) is dict:
                if reasoning:
                    for name in _REASONING_KEYS:
                        if name in value:
                            stripped |= value.pop(name) is not None
                            changed = True
                if empty:
                    for field_value in value.values():
                        if field_value is not None and field_value != "" and field_value != []:
                            empty = False
                            break
            elif logprobs and key in ("logprobs", "prompt_logprobs"):
                choice[key] = None
                changed = True
            else:
                empty = False
    if not changed:
        return _KEEP
    return _DROP if stripped and empty else _EDIT


def _strip_output_text(content: Any) -> bool:
    """Empty the ``logprobs`` of Responses output_text parts."""
    changed = False
    if isinstance(content, list):
        for part in content:
            if isinstance(part, dict) and part.get("logprobs"):
                part["logprobs"] = []
                changed = True
    return changed


def _strip_response(resp: dict[str, Any], reasoning: bool, logprobs: bool) -> bool:
    """A Responses ``response`` object: no reasoning items, no output_text logprobs."""
    output = resp.get("output")
    if not isinstance(output, list):
        return False
    changed = False
    if reasoning:
        kept = [i for i in output if not (isinstance(i, dict) and i.get("type") == "reasoning")]
        if len(kept) != len(output):
            resp["output"] = output = kept
            changed = True
    if logprobs:
        for item in output:
            if isinstance(item, dict):
                changed |= _strip_output_text(item.get("content"))
    return changed


def _strip_blocks(message: dict[str, Any]) -> bool:
    """An Anthropic message: no thinking or redacted_thinking content blocks."""
    content = message.get("content")
    if not isinstance(content, list):
        return False
    kept = [b for b in content if not (isinstance(b, dict) and b.get("type") in _THINKING_BLOCKS)]
    if len(kept) == len(content):
        return False
    message["content"] = kept
    return True


def _strip_document(family: str, doc: dict[str, Any], reasoning: bool, logprobs: bool) -> bool:
    if family == "openai.responses":
        return _strip_response(doc, reasoning, logprobs)
    if family == "anthropic.messages":
        return reasoning and _strip_blocks(doc)
    changed = _strip_choices(doc, reasoning, logprobs)[0]
    if family not in ("openai.chat", "openai.completions"):  # generic: recognise the shape
        if doc.get("object") == "response":
            changed |= _strip_response(doc, reasoning, logprobs)
        elif doc.get("type") == "message" and reasoning:
            changed |= _strip_blocks(doc)
    return changed


def filter_json_body(
    family: str, body: bytes, *, reasoning: bool = True, logprobs: bool = True
) -> bytes:
    """A complete JSON response without reasoning / log-probabilities.

    Returns ``body`` itself when there is nothing to remove or it is not a JSON object;
    otherwise the edited document, re-serialised compactly (so Content-Length changes).
    """
    try:
        hot = (reasoning and (b"reasoning" in body or b"thinking" in body)) or (
            logprobs and _live(body, b'logprobs"')
        )
        if not hot:
            return body
        doc = orjson.loads(body)
        if isinstance(doc, dict) and _strip_document(family, doc, reasoning, logprobs):
            return orjson.dumps(doc)
    except Exception:  # malformed (or a bug of ours): the body goes out as it came
        pass
    return body


class JsonFilter:
    """:func:`filter_json_body` with the :class:`SSEFilter` interface: ``feed`` holds the
    body back (returns ``b""``), ``close`` returns it filtered."""

    __slots__ = ("_parts", "family", "logprobs", "reasoning")

    def __init__(self, family: str, *, reasoning: bool = True, logprobs: bool = True) -> None:
        self.family, self.reasoning, self.logprobs = family, reasoning, logprobs
        self._parts: list[bytes] = []

    def feed(self, chunk: bytes) -> bytes:
        if chunk:
            self._parts.append(chunk)
        return b""

    def close(self) -> bytes:
        body = b"".join(self._parts)
        self._parts.clear()
        return filter_json_body(self.family, body, reasoning=self.reasoning, logprobs=self.logprobs)


# --------------------------------------------------------------------------- SSE events


def _split(event: bytes) -> tuple[bytes, bytes, bytes] | None:
    """Cut one event into (head, payload, tail) around its data, so that
    ``head + b"data: " + payload + tail`` rebuilds it; None when it has no data line."""
    if event.startswith(b"data:"):
        start = 0
    else:
        start = event.find(b"\ndata:") + 1
        if not start:
            return _split_lines(event)
    value = start + 5
    if event.startswith(b" ", value):
        value += 1
    end = event.find(b"\n", value)
    if end < 0:
        end = len(event)
    if end > value and event[end - 1] == 13:  # \r
        end -= 1
    if event.find(b"data", end) >= 0:  # more than one data line
        return _split_lines(event)
    return event[:start], event[value:end], event[end:]


def _split_lines(event: bytes) -> tuple[bytes, bytes, bytes] | None:
    """General case: data spread over several lines (joined by \\n, as SSE clients do)."""
    head: list[bytes] = []
    tail: list[bytes] = []
    data: list[bytes] = []
    for line in event.splitlines(keepends=True):
        text = line.rstrip(b"\r\n")
        if text == b"data" or text.startswith(b"data:"):
            value = text[5:]
            data.append(value[1:] if value.startswith(b" ") else value)
            if len(data) == 1:
                tail.append(line[len(text) :])
        else:
            (tail if data else head).append(line)
    if not data:
        return None
    return b"".join(head), b"\n".join(data), b"".join(tail)


def _load(event: bytes) -> tuple[dict[str, Any], bytes, bytes] | None:
    """The event's JSON object with the bytes around it; None when there is none."""
    parts = _split(event)
    if parts is None or not parts[1].startswith(b"{"):
        return None
    try:
        doc = orjson.loads(parts[1])
    except orjson.JSONDecodeError:
        return None
    if not isinstance(doc, dict):
        return None
    return doc, parts[0], parts[2]


def _dump(doc: dict[str, Any], head: bytes, tail: bytes) -> bytes:
    return head + b"data: " + orjson.dumps(doc) + tail


def _ends(buf: bytes) -> list[int]:
    """End offsets of the complete units at the start of ``buf``: events (ended by a blank
    line, LF or CRLF) and stray blank lines, which are units of their own so that event
    boundaries never depend on where the stream was cut."""
    if buf.find(b"\r") < 0:
        return _lf_ends(buf)
    ends: list[int] = []
    n = len(buf)
    pos = 0
    lf = crlf = -2  # next "\n\n" / "\n\r\n" at or after pos; -1: none left; -2: not searched
    while pos < n:
        first = buf[pos]
        if first == 10:  # \n
            pos += 1
        elif first == 13:  # \r: a blank CRLF line, unless the LF has not arrived yet
            if pos + 1 == n:
                break
            pos += 2 if buf[pos + 1] == 10 else 1
        else:
            if -1 < lf < pos or lf == -2:
                lf = buf.find(b"\n\n", pos)
            if -1 < crlf < pos or crlf == -2:
                crlf = buf.find(b"\n\r\n", pos)
            if lf < 0 and crlf < 0:
                break
            pos = lf + 2 if crlf < 0 or -1 < lf < crlf else crlf + 3
        ends.append(pos)
    return ends


def _one_event(chunk: bytes) -> bool:
    """Whether ``chunk``, which ends with a blank line, is one event of one or two lines
    (what :func:`_ends` would find, at a fraction of its cost)."""
    end = len(chunk) - 2
    i = chunk.find(b"\n")
    if i == end:
        return i > 0 and chunk[0] != 13
    if i <= 0 or chunk[i + 1] == 10 or chunk[0] == 13:
        return False
    return chunk.find(b"\n", i + 2) == end


def _lf_ends(buf: bytes) -> list[int]:
    """:func:`_ends` for a buffer without CR, line by line (single-byte finds are memchr)."""
    ends: list[int] = []
    last = len(buf) - 1
    pos = 0
    while pos <= last:
        if buf[pos] != 10:
            i = buf.find(b"\n", pos)
            while 0 <= i < last and buf[i + 1] != 10:
                i = buf.find(b"\n", i + 2)
            if not 0 <= i < last:
                break
            pos = i + 1
        pos += 1
        ends.append(pos)
    return ends


# A chunk template: its first part, that part's length, and the parts after each slot.
_Template = tuple[bytes, int, tuple[bytes, ...]]


def _fits(chunk: bytes, template: _Template) -> bool:
    """Whether ``chunk`` is the template's parts joined by string contents free of quotes
    and backslashes: then it is the same JSON as the chunk the template was cut from, but
    for the text of those strings. Every part after the first starts with a closing quote."""
    first, pos, rest = template
    if not chunk.startswith(first):
        return False
    for part in rest:
        end = chunk.find(b'"', pos)
        if end < 0 or not chunk.startswith(part, end) or chunk.find(b"\\", pos, end) >= 0:
            return False
        pos = end + len(part)
    return pos == len(chunk)


def _template(event: bytes, slots: list[tuple[str, Any]]) -> _Template | None:
    """The parts of ``event`` around the values of ``slots`` (key, str value), found in
    order; None unless each value is there verbatim (no escapes, quotes or backslashes)."""
    parts = []
    pos = 0
    for key, value in slots:
        marker = b'"' + key.encode() + b'":"'
        at = event.find(marker, pos)
        if at < 0:
            return None
        start = at + len(marker)
        end = event.find(b'"', start)
        if end < 0 or event[start:end] != value.encode() or "\\" in value:
            return None
        parts.append(event[pos:start])
        pos = end
    parts.append(event[pos:])
    return parts[0], len(parts[0]), tuple(parts[1:])


class _ChoicesStream:
    """Chat and legacy completions chunks (``data: {...}`` with ``choices``).

    Chat logprobs are recognised by their entries (``"logprob"`` keys), so the
    ``"logprobs":null`` every chunk carries costs a single find; other families test every
    ``logprobs`` key for a value other than null / [].

    ``drop``: the parts (see :func:`_fits`) of the first reasoning-only chunk, whose
    reasoning strings are the free slots. A later chunk that fits them is the same chunk
    with other reasoning text, and is dropped without being parsed again.
    """

    __slots__ = ("chat", "drop", "logprobs", "reasoning")

    def __init__(self, reasoning: bool, logprobs: bool, chat: bool) -> None:
        self.reasoning, self.logprobs, self.chat = reasoning, logprobs, chat
        self.drop: _Template | None = None

    def hot(self, data: bytes) -> bool:
        # Same test as _ChatFilter.feed and _ChoicesFilter.feed, which inline it.
        if self.reasoning and data.find(b'"reasoning') >= 0 and _live(data, b'"reasoning'):
            return True
        if not self.logprobs:
            return False
        return data.find(b'"logprob"') >= 0 if self.chat else _live(data, b'logprobs"')

    def event(self, event: bytes) -> bytes:
        if self.drop is not None and _fits(event, self.drop):
            return b""
        # The usual layout, one data line and nothing else, is cut without _split.
        plain = (
            event.startswith(b"data: {")
            and event.find(b"\n") == len(event) - 2
            and event[-3] != 13  # \r
        )
        if plain:
            head, tail = b"", b"\n\n"
            try:
                doc = orjson.loads(event[6:-2])
            except orjson.JSONDecodeError:
                return event
            if type(doc) is not dict:
                return event
        else:
            loaded = _load(event)
            if loaded is None:
                return event
            doc, head, tail = loaded
        slots = _reasoning_slots(doc) if plain and self.drop is None else None
        verdict = _strip_chunk(doc, self.reasoning, self.logprobs)
        if verdict is _KEEP:
            return event
        if verdict is _DROP:
            if slots:
                self.drop = _template(event, slots)
            return b""  # a reasoning-only chunk: nothing left to say
        return head + b"data: " + orjson.dumps(doc) + tail


def _reasoning_slots(doc: dict[str, Any]) -> list[tuple[str, Any]] | None:
    """The reasoning strings of a one-choice chunk whose delta holds nothing else (other
    entries null): what may vary between chunks without changing the verdict (drop)."""
    choices = doc.get("choices")
    if type(choices) is not list or len(choices) != 1 or type(choices[0]) is not dict:
        return None
    delta = choices[0].get("delta")
    if type(delta) is not dict:
        return None
    slots = []
    for key, value in delta.items():
        if key in _REASONING_KEYS and type(value) is str:
            slots.append((key, value))
        elif value is not None:
            return None
    return slots or None


_INDEX = re.compile(rb"\d{1,9}(?=[,}])")


class _RenumberingStream:
    """Streams whose items carry indexes: removed indexes, and the shift of later ones."""

    __slots__ = ("logprobs", "reasoning", "removed", "removed_set")

    def __init__(self, reasoning: bool, logprobs: bool) -> None:
        self.reasoning, self.logprobs = reasoning, logprobs
        self.removed: list[int] = []
        self.removed_set: set[int] = set()

    def remove(self, index: Any) -> None:
        if type(index) is int and index not in self.removed_set:
            self.removed_set.add(index)
            insort(self.removed, index)

    def renumbered(self, index: int) -> int:
        return index - bisect_left(self.removed, index)

    def splice(self, event: bytes, at: int) -> bytes | None:
        """Renumber (or drop) by the integer at ``at``, without parsing; None: not an int."""
        match = _INDEX.match(event, at)
        if match is None:
            return None
        index = int(match.group())
        if index in self.removed_set:
            return b""
        new = index - bisect_left(self.removed, index)
        if new == index:
            return event
        return event[:at] + b"%d" % new + event[match.end() :]


_BLOCK = b'{"type":"content_block_'
_BLOCK_KINDS = (b"delta", b"stop", b"start")
_INDEX_KEY = b'","index":'
_TEXT_DELTA = b'"delta":{"type":"text_delta"'
_OPENING = b'event: content_block_delta\ndata: {"type":"content_block_delta","index":'
_NEVER = b"\n\n\n"  # a learned prefix that matches nothing yet
_BLOCK_EVENTS = ("content_block_start", "content_block_delta", "content_block_stop")


class _MessagesStream(_RenumberingStream):
    """Anthropic Messages: thinking blocks removed, later block indexes renumbered.

    Learned bytes for _MessagesFilter.feed, so the two common events cost one compare:
    ``prefix`` opens a text delta of the latest kept block and ``renamed`` is the same
    with the new index (the first ``cut`` bytes change); ``dropping`` opens a delta of the
    latest removed block (``drop_cut`` long).
    """

    __slots__ = ("cut", "drop_cut", "dropping", "prefix", "renamed")

    def __init__(self, reasoning: bool, logprobs: bool) -> None:
        super().__init__(reasoning, logprobs)
        self.prefix = self.dropping = _NEVER
        self.renamed = b""
        self.cut = self.drop_cut = 0

    def remove(self, index: Any) -> None:
        super().remove(index)
        if type(index) is int:
            self.dropping = _OPENING + b"%d," % index
            self.drop_cut = len(self.dropping)

    def hot(self, data: bytes) -> bool:
        # Same test as _MessagesFilter.feed, which inlines it.
        if not self.reasoning:
            return False
        if self.removed and data.find(b'"index"') >= 0:
            return True
        return data.find(b"thinking") >= 0

    def event(self, event: bytes) -> bytes:
        if self.removed:
            done = self._fast(event)
            if done is not None:
                return done
        loaded = _load(event)
        if loaded is None:
            return event
        doc, head, tail = loaded
        kind, index = doc.get("type"), doc.get("index")
        changed = False
        if kind == "content_block_start":
            block = doc.get("content_block")
            if isinstance(block, dict) and block.get("type") in _THINKING_BLOCKS:
                self.remove(index)
                return b""
        elif kind == "content_block_delta":
            delta = doc.get("delta")
            if isinstance(delta, dict) and delta.get("type") in _THINKING_DELTAS:
                return b""
        elif kind == "message_start":
            message = doc.get("message")
            changed = isinstance(message, dict) and _strip_blocks(message)
        if type(index) is int and kind in _BLOCK_EVENTS:
            if index in self.removed_set:
                return b""
            new = self.renumbered(index)
            if kind == "content_block_start":
                self._learn(index, new)
            if new != index:
                doc["index"] = new
                changed = True
        return _dump(doc, head, tail) if changed else event

    def _fast(self, event: bytes) -> bytes | None:
        """``{"type":"content_block_<kind>","index":N`` opening the data: the index is the
        top-level one, so it can be renumbered in the bytes. Text deltas always qualify;
        other events only when they cannot be about thinking."""
        at = event.find(_BLOCK)
        if at < 0 or not (
            event.endswith(b"\ndata: ", 0, at)
            or event.endswith(b"\ndata:", 0, at)
            or (at <= 6 and event.startswith(b"data:"))
        ):
            return None
        kind_at = at + len(_BLOCK)
        key = event.find(_INDEX_KEY, kind_at, kind_at + 16)
        kind = event[kind_at:key]
        if key < 0 or kind not in _BLOCK_KINDS:
            return None
        start = key + len(_INDEX_KEY)
        match = _INDEX.match(event, start)
        if match is None:
            return None
        index = int(match.group())
        if index in self.removed_set:
            return b""  # anything about a removed block
        text = kind == b"delta" and event.startswith(_TEXT_DELTA, match.end() + 1)
        if not text and (event.find(b"thinking") >= 0 or event.find(b"signature") >= 0):
            return None
        new = index - bisect_left(self.removed, index)
        if kind == b"start":
            self._learn(index, new)
        if new == index:
            return event
        return event[:start] + b"%d" % new + event[match.end() :]

    def _learn(self, index: int, new: int) -> None:
        if index == new:
            self.prefix = _NEVER
            return
        self.renamed = _OPENING + b"%d," % new
        self.cut = len(_OPENING) + len(b"%d," % index)
        self.prefix = _OPENING + b"%d," % index + _TEXT_DELTA


_OUTPUT_INDEX = b'"output_index":'
_ITEM_EVENTS = ("response.output_item.added", "response.output_item.done")


class _ResponsesStream(_RenumberingStream):
    """OpenAI Responses: reasoning events and items removed, output_index renumbered."""

    __slots__ = ()

    def hot(self, data: bytes) -> bool:
        if self.reasoning and data.find(b"reasoning") >= 0:
            return True
        if self.removed and data.find(b'"output_index"') >= 0:
            return True
        return self.logprobs and _live(data, b'"logprobs"')

    def event(self, event: bytes) -> bytes:
        if (
            self.removed
            and event.find(b"reasoning") < 0
            and not (self.logprobs and _live(event, b'"logprobs"'))
        ):
            at = event.find(_OUTPUT_INDEX)
            if at >= 0 and event.find(_OUTPUT_INDEX, at + 1) < 0:  # only the top-level key
                done = self.splice(event, at + len(_OUTPUT_INDEX))
                if done is not None:
                    return done
        loaded = _load(event)
        if loaded is None:
            return event
        doc, head, tail = loaded
        kind = doc.get("type")
        index = doc.get("output_index")
        changed = False
        if self.reasoning:
            if isinstance(kind, str) and kind.startswith("response.reasoning"):
                return b""
            item = doc.get("item")
            if kind in _ITEM_EVENTS and isinstance(item, dict) and item.get("type") == "reasoning":
                self.remove(index)
                return b""
        if type(index) is int and self.removed:
            if index in self.removed_set:
                return b""  # anything else about a removed item (e.g. its content parts)
            new = self.renumbered(index)
            if new != index:
                doc["output_index"] = new
                changed = True
        response = doc.get("response")
        if isinstance(response, dict):
            changed |= _strip_response(response, self.reasoning, self.logprobs)
        if self.logprobs:
            if doc.get("logprobs"):
                doc["logprobs"] = []
                changed = True
            part, item = doc.get("part"), doc.get("item")
            changed |= _strip_output_text([part])
            if isinstance(item, dict):
                changed |= _strip_output_text(item.get("content"))
        return _dump(doc, head, tail) if changed else event


class SSEFilter:
    """Filters one ``text/event-stream`` response body of ``family``, chunk by chunk.

    ``feed`` returns the bytes that can be sent now (possibly ``b""``): every complete
    event, edited or dropped as needed, while an incomplete trailing event is held back.
    ``close`` returns what was held back. The output does not depend on how the stream was
    cut into chunks. Never raises; on an internal error it stops filtering, passes
    everything through and sets ``failed``.

    ``SSEFilter(family)`` returns an instance of a per-family subclass whose ``feed`` has
    the family's no-edit test inlined (the common chunk costs a couple of ``bytes.find``).
    """

    __slots__ = (
        "_buf",
        "_ccut",
        "_close",
        "_event",
        "_h",
        "_head",
        "_hot",
        "_logprobs",
        "_ocut",
        "_open",
        "_reasoning",
        "_skip",
        "failed",
        "family",
    )

    def __new__(cls, family: str, *, reasoning: bool = True, logprobs: bool = True) -> SSEFilter:
        if cls is SSEFilter:
            cls = _FILTERS.get(family, _ChoicesFilter)
        return super().__new__(cls)

    def __init__(self, family: str, *, reasoning: bool = True, logprobs: bool = True) -> None:
        self.family = family
        self._reasoning, self._logprobs = reasoning, logprobs
        if family == "openai.responses":
            handler: Any = _ResponsesStream(reasoning, logprobs)
        elif family == "anthropic.messages":
            handler = _MessagesStream(reasoning, logprobs)
        else:
            handler = _ChoicesStream(reasoning, logprobs, family == "openai.chat")
        self._h = handler
        self._hot: Callable[[bytes], bool] = handler.hot
        self._event: Callable[[bytes], bytes] = handler.event
        self._buf = b""
        self._head, self._skip = _NEVER, 0  # see _ChatFilter
        self._open, self._close, self._ocut, self._ccut = _NEVER, _NEVER, 0, 0
        self.failed = False

    def feed(self, chunk: bytes) -> bytes:
        if self._buf or chunk[-2:] != b"\n\n":
            return self._feed(chunk)
        if not self._hot(chunk):
            return chunk
        return self._hot_chunk(chunk)

    def _hot_chunk(self, chunk: bytes) -> bytes:
        """A chunk that ends an event, with nothing held back, that needs edits."""
        try:
            if _one_event(chunk):
                return self._event(chunk)
            return self._run(chunk, _ends(chunk))
        except Exception:
            return self._fail(chunk)

    def _feed(self, chunk: bytes) -> bytes:
        """The general path: join what was held back, cut after the last complete unit."""
        buf = self._buf + chunk if self._buf else chunk
        try:
            ends = _ends(buf)
            if not ends:
                self._buf = buf
                return b""
            done = ends[-1]
            self._buf = buf[done:]
            ready = buf[:done] if self._buf else buf
            if not self._hot(ready):
                return ready
            return self._run(ready, ends)
        except Exception:
            self._buf = b""
            return self._fail(buf)

    def _run(self, ready: bytes, ends: list[int]) -> bytes:
        """Edit the complete units of ``ready`` (which is hot) one by one."""
        if len(ends) == 1:
            return self._event(ready)
        hot, edit = self._hot, self._event
        out = []
        start = 0
        for end in ends:
            unit = ready[start:end]
            out.append(edit(unit) if hot(unit) else unit)
            start = end
        return b"".join(out)

    def close(self) -> bytes:
        """Everything still held back (an event the stream never finished), filtered."""
        rest, self._buf = self._buf, b""
        if not rest:
            return rest
        try:
            return self._event(rest) if self._hot(rest) else rest
        except Exception:
            return self._fail(rest)

    def _fail(self, data: bytes) -> bytes:
        _log.exception("antiextract: SSE filter failed; rest of the stream passed through")
        self.failed = True
        self.__class__ = _PassFilter
        return data


class _PassFilter(SSEFilter):
    """What a filter becomes after an internal error: everything passes."""

    __slots__ = ()

    def feed(self, chunk: bytes) -> bytes:
        return chunk

    def close(self) -> bytes:
        return b""


class _ChatFilter(SSEFilter):
    """Chat chunks repeat one envelope (``data: {"id":..,"created":..,"model":..,``)
    before ``"choices":[``. ``_head`` is that envelope, learned from the first chunk that
    needed no edit: a chunk that starts with the same bytes is only searched from
    ``_skip`` on, as neither needle can start inside the envelope.

    ``_open`` / ``_close``: the bytes around the text of the first content-only chunk
    that needed no edit (no reasoning key at all, null logprobs). A chunk made of them
    around a text without quotes is that chunk with another text: it needs no edit either.
    """

    __slots__ = ()

    def feed(self, chunk: bytes) -> bytes:
        if self._buf:
            return self._feed(chunk)
        if chunk.startswith(self._open):
            if chunk.endswith(self._close):
                end = len(chunk) - self._ccut
                if end >= self._ocut and chunk.find(b'"', self._ocut, end) < 0:
                    return chunk
        else:
            drop = self._h.drop  # what _ChoicesStream.event would do first
            if drop is not None and _fits(chunk, drop):
                return b""
        if chunk[-2:] != b"\n\n":
            return self._feed(chunk)
        start = self._skip if chunk.startswith(self._head) else 0
        # _ChoicesStream.hot, inlined: a reasoning key that is not null, or logprob entries.
        i = chunk.find(b'"reasoning', start)
        if i >= 0 and self._reasoning:
            q = chunk.find(b'"', i + 1)
            if q < 0 or not chunk.startswith(_NOTHING, q + 1) or _live(chunk[q:], b'"reasoning'):
                return self._hot_chunk(chunk)
        if chunk.find(b'"logprob"', start) >= 0 and self._logprobs:
            return self._hot_chunk(chunk)
        if not self._skip:
            at = chunk.find(b'"choices":[', 0, 1024)
            if at > 0:
                self._head, self._skip = chunk[: at + 11], at
        if not self._ocut and i < 0:
            self._learn_text(chunk)
        return chunk

    def _learn_text(self, chunk: bytes) -> None:
        """Learn ``_open`` / ``_close`` from a clean chunk, if it is one content delta."""
        at = chunk.find(b'"delta":{"content":"')
        if at < 0 or _live(chunk, b'logprobs"') or chunk.find(b"\n") != len(chunk) - 2:
            return
        start = at + 20
        end = chunk.find(b'"', start)
        if end > 0 and chunk.startswith(b'"}', end) and chunk.find(b"\\", start, end) < 0:
            self._open, self._close = chunk[:start], chunk[end:]
            self._ocut, self._ccut = start, len(chunk) - end

    def _hot_chunk(self, chunk: bytes) -> bytes:
        try:
            if chunk.find(b"\n") == len(chunk) - 2 and chunk[0] != 13:  # one single-line event
                return self._event(chunk)
            return self._run(chunk, _ends(chunk))
        except Exception:
            return self._fail(chunk)


class _ChoicesFilter(_ChatFilter):
    __slots__ = ()

    def feed(self, chunk: bytes) -> bytes:  # type: ignore[override]
        if self._buf or chunk[-2:] != b"\n\n":
            return self._feed(chunk)
        # _ChoicesStream.hot, inlined: any reasoning key, or logprobs that are not null/[].
        if chunk.find(b'"reasoning') >= 0 and self._reasoning and _live(chunk, b'"reasoning'):
            return self._hot_chunk(chunk)
        if self._logprobs:
            i = chunk.find(b'logprobs"')
            while i >= 0:
                if not chunk.startswith(_NOTHING, i + 9):
                    return self._hot_chunk(chunk)
                i = chunk.find(b'logprobs"', i + 9)
        return chunk


class _MessagesFilter(SSEFilter):
    __slots__ = ()

    def feed(self, chunk: bytes) -> bytes:
        if self._buf or chunk[-2:] != b"\n\n":
            return self._feed(chunk)
        h = self._h
        if h.removed:
            # Alone in its chunk, a text delta of the latest kept block only changes its
            # prefix, and a delta of the latest removed block goes: the same bytes
            # _MessagesStream._fast makes.
            if chunk.startswith(h.prefix):
                n = h.cut
                if chunk.find(b"\n", n) == len(chunk) - 2:
                    return h.renamed + chunk[n:]
            elif chunk.startswith(h.dropping) and chunk.find(b"\n", h.drop_cut) == len(chunk) - 2:
                return b""
            if chunk.find(b'"index"') < 0 and chunk.find(b"thinking") < 0:
                return chunk
        elif chunk.find(b"thinking") < 0 or not self._reasoning:
            return chunk
        return self._hot_chunk(chunk)


_FILTERS: dict[str, type[SSEFilter]] = {
    "openai.chat": _ChatFilter,
    "openai.completions": _ChoicesFilter,
    "openai.responses": SSEFilter,
    "anthropic.messages": _MessagesFilter,
    "generic": _ChoicesFilter,
}


def response_filter(
    family: str, plan: DegradePlan, content_type: bytes | str
) -> SSEFilter | JsonFilter | None:
    """The filter for a response with ``content_type`` under ``plan``, or None when the
    plan removes nothing from responses or the body is neither JSON nor SSE."""
    reasoning, logprobs = plan.remove_reasoning, plan.remove_logprobs
    if not (reasoning or logprobs):
        return None
    kind = content_type if isinstance(content_type, bytes) else content_type.encode("latin-1")
    kind = kind.lower()
    if b"event-stream" in kind:
        return SSEFilter(family, reasoning=reasoning, logprobs=logprobs)
    if b"json" in kind:
        return JsonFilter(family, reasoning=reasoning, logprobs=logprobs)
    return None
