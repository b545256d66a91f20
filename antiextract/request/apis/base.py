"""What every API family adapter provides: request facts and errors in its own format.

Adapters read a parsed body into ``RequestFacts`` and never raise on bad input: a wrong
type (a string ``max_tokens``, ``messages`` that is not a list, an unknown content part)
is noted in ``facts.odd`` and the request goes on to the app, which owns validation.
"""

from __future__ import annotations

import json
import math
import re
from dataclasses import dataclass, field
from typing import Any

import orjson

from ...vocab import GENERIC_API

# Kinds of refusal the middleware itself produces; each family maps them to its wire names.
RATE_LIMIT = "rate_limit"
PERMISSION = "permission"
UNAVAILABLE = "unavailable"
INVALID = "invalid_request"
TOO_LARGE = "too_large"

MAX_TEXT = 65_536  # characters of prompt text kept per field: signals look at the edges


@dataclass(slots=True)
class RequestFacts:
    """What the hot path needs to know about one request body, parsed once."""

    family: str
    parsed: bool = False  # the body was a JSON object within the inspection cap
    model: str | None = None
    output_tokens: int | None = None  # requested output budget, when the body names one
    n: int = 1  # completions generated per prompt (``n``, ``best_of``), uncapped
    prompts: int = 1  # prompts generated for (a legacy completions batch), uncapped
    references: int = 0  # content the server fetches itself (URLs, file ids, earlier responses)
    stream: bool = False
    end_user: str | None = None  # the app's own end-user id (sub-identity), when sent
    odd: list[str] = field(default_factory=list)  # wrong types or shapes seen in the body
    doc: dict[str, Any] | None = None  # the parsed body, for later stages
    # prompt shape
    system_text: str = ""  # system / developer / instructions
    user_text: str = ""  # the latest user turn
    # the first user turn when a later one is the latest: the task that a follow-up ("now
    # show how you got there") or a tool result continues, and an agent's standing orders
    first_user_text: str = ""
    turns: int = 0  # messages (or input items) in the conversation
    assistant_turns: int = 0  # earlier assistant turns: a continuing conversation
    tools: int = 0  # tool / function definitions offered to the model
    # extraction-relevant parameters
    logprobs: bool = False
    top_logprobs: int | None = None
    logit_bias: int = 0  # number of biased tokens
    prompt_logprobs: bool = False  # vLLM
    token_ids: bool = False  # vLLM allowed_token_ids / logprob_token_ids
    temperature: float | None = None
    reasoning_effort: str | None = None
    reasoning_include: bool = False  # Responses `include` asks for reasoning content
    thinking_budget: int | None = None  # Anthropic extended thinking

    @property
    def prompt_text(self) -> str:
        """The text a template fingerprint is taken of: instructions plus the latest ask."""
        if self.system_text:
            return self.system_text + "\n" + self.user_text
        return self.user_text


def int_field(doc: dict[str, Any], name: str, facts: RequestFacts) -> int | None:
    """An integer parameter; wrong types are noted as odd, never raised."""
    value = doc.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        facts.odd.append(f"{name}:type")
        return None
    return value


def count_field(doc: dict[str, Any], name: str, facts: RequestFacts) -> int | None:
    """A token or sample count read as leniently as the servers read it: pydantic (vLLM,
    LiteLLM) takes ``"16000"`` and ``16000.0`` for 16000, and a number past 64 bits
    reaches us as a float. Read strictly, such a value would leave the request's output
    budget unknown and reserve the default while the server honours it. Wrong types are
    still noted as odd; a fraction is rounded up."""
    value = doc.get(name)
    if value is None:
        return None
    if isinstance(value, int) and not isinstance(value, bool):
        return value
    facts.odd.append(f"{name}:type")
    if isinstance(value, str):
        try:
            value = float(value.strip())
        except ValueError:
            return None
    if isinstance(value, float) and math.isfinite(value):
        return math.ceil(value)
    return None


def str_field(doc: dict[str, Any], name: str, facts: RequestFacts) -> str | None:
    value = doc.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        facts.odd.append(f"{name}:type")
        return None
    return value


def float_field(doc: dict[str, Any], name: str, facts: RequestFacts) -> float | None:
    """A real-valued parameter; wrong types are noted as odd, never raised. An integer
    past float range (``10**400``, which Python's json reads exactly) is noted too: its
    conversion raised OverflowError, and a request whose reading raises is not scored."""
    value = doc.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float):
        facts.odd.append(f"{name}:type")
        return None
    try:
        return float(value)
    except OverflowError:
        facts.odd.append(f"{name}:range")
        return None


def clip(text: str, limit: int = MAX_TEXT) -> str:
    """Head and tail of an over-long text: instructions padded away from one end still
    reach the signals, which read both edges."""
    if len(text) <= limit:
        return text
    half = limit // 2
    return text[:half] + "\n" + text[-half:]


def text_of(content: Any, facts: RequestFacts) -> str:
    """Text of a message's content in every allowed shape: a string, or a list of parts
    (``{"type": "text", "text": ...}``, ``input_text``, bare strings); images, audio and
    tool results contribute their text if they carry any, else nothing."""
    if isinstance(content, str):
        return clip(content)
    if content is None:
        return ""
    if not isinstance(content, list):
        facts.odd.append("content:type")
        return ""
    parts: list[str] = []
    for part in content:
        if isinstance(part, str):
            text = part
        elif isinstance(part, dict):
            if _fetched(part):
                facts.references += 1
            text = part.get("text")
            if text is None and isinstance(part.get("content"), str | list):
                text = text_of(part["content"], facts)  # tool_result blocks nest content
            if not isinstance(text, str):
                continue
        else:
            facts.odd.append("content:part")
            continue
        parts.append(text)
    return clip("\n".join(parts))


def prompt_count(doc: dict[str, Any]) -> int:
    """Prompts a legacy completions request generates for, each ``n`` times (vLLM and
    OpenAI): a ``prompt`` list of strings or of token lists is a batch, a string or one
    list of token ids (numbers: pydantic takes ``1.0`` for 1) is one prompt, anything else
    is counted by its length (the server refuses it or generates for each element); vLLM
    generates for each of ``prompt_embeds`` too, after the prompts."""
    prompt = doc.get("prompt")
    count = 0
    if prompt is not None:
        count = 1
        if (
            isinstance(prompt, list)
            and prompt
            and not all(isinstance(t, int | float) and not isinstance(t, bool) for t in prompt)
        ):
            count = len(prompt)
    embeds = doc.get("prompt_embeds")
    if embeds is not None:
        count += len(embeds) if isinstance(embeds, list) else 1
    return max(1, count)


# Keys of a content part that name something the server fetches (OpenAI image_url,
# input_image, input_file and file parts; Anthropic image / document sources of type url;
# vLLM's video_url and audio_url), and hosted tools that read documents, the web or files
# into the context. What they bring in is not in the body's bytes.
_URL_KEYS = ("url", "image_url", "video_url", "audio_url", "file_url", "document_url")
_HOSTED_TOOLS = ("web_search", "web_fetch", "file_search", "code_interpreter", "code_execution",
                 "mcp")  # fmt: skip


def _fetched(part: dict[str, Any]) -> bool:
    """A content part (or one object in it, ``image_url: {url}``, ``source: {type: url}``,
    ``file: {file_id}``) that names a URL other than a ``data:`` URL, or a file id."""
    for value in (part, *(v for v in part.values() if isinstance(v, dict))):
        for key in _URL_KEYS:
            url = value.get(key)
            if isinstance(url, str) and url and url.lstrip()[:5].lower() != "data:":
                return True
        file_id = value.get("file_id")
        if isinstance(file_id, str) and file_id:
            return True
    return False


def hosted_tools(tools: Any) -> int:
    """Tools the server runs itself that bring documents, web pages or files into the
    context (OpenAI's web_search / file_search / code_interpreter / mcp, Anthropic's
    web_search_* / web_fetch_* / code_execution_*)."""
    if not isinstance(tools, list):
        return 0
    return sum(
        1
        for tool in tools
        if isinstance(tool, dict)
        and isinstance(tool.get("type"), str)
        and tool["type"].startswith(_HOSTED_TOOLS)
    )


def count_list(doc: dict[str, Any], name: str, facts: RequestFacts) -> int:
    value = doc.get(name)
    if value is None:
        return 0
    if not isinstance(value, list):
        facts.odd.append(f"{name}:type")
        return 0
    return len(value)


class ApiFamily:
    """Base adapter: OpenAI-style errors and the parameters every family shares."""

    name = GENERIC_API
    output_fields: tuple[str, ...] = ("max_tokens", "max_completion_tokens", "max_output_tokens")

    def facts(self, body: bytes | None) -> RequestFacts:
        facts = RequestFacts(self.name)
        if body is None:
            facts.odd.append("body:uninspected")
            return facts
        try:
            doc = orjson.loads(body)
        except orjson.JSONDecodeError:
            doc = _lenient(body, facts)
            if doc is None:
                return facts
        if not isinstance(doc, dict):
            facts.odd.append("body:shape")
            return facts
        facts.parsed = True
        facts.doc = doc
        self.read(doc, facts)
        return facts

    def read(self, doc: dict[str, Any], facts: RequestFacts) -> None:
        facts.model = str_field(doc, "model", facts)
        # Every output field the body names: servers differ on which wins, so the largest.
        for name in self.output_fields:
            value = count_field(doc, name, facts)
            if value is not None and (facts.output_tokens is None or value > facts.output_tokens):
                facts.output_tokens = value
        # Every sample is generated (and billed): n, and best_of where a server takes it
        # (legacy completions, vLLM's chat). Not capped here: the charge is (take_cost).
        for name in ("n", "best_of"):
            value = count_field(doc, name, facts)
            if value is not None and value > facts.n:
                facts.n = value
        facts.stream = doc.get("stream") is True
        facts.end_user = self.end_user(doc, facts)
        facts.temperature = float_field(doc, "temperature", facts)
        facts.tools = count_list(doc, "tools", facts) + count_list(doc, "functions", facts)
        facts.references += hosted_tools(doc.get("tools"))
        self.read_sampling(doc, facts)
        self.read_prompt(doc, facts)

    def read_sampling(self, doc: dict[str, Any], facts: RequestFacts) -> None:
        """Token-probability and vLLM parameters (OpenAI-style names)."""
        logprobs = doc.get("logprobs")
        facts.top_logprobs = int_field(doc, "top_logprobs", facts)
        if logprobs is True:
            facts.logprobs = True  # chat: a bool
        elif isinstance(logprobs, int) and not isinstance(logprobs, bool):
            # legacy completions: an int; 0 still returns the sampled tokens' logprobs and
            # vLLM's -1 the whole vocabulary's
            facts.logprobs = True
            if logprobs < 0 and facts.top_logprobs is None:
                facts.top_logprobs = logprobs
        bias = doc.get("logit_bias")
        if isinstance(bias, dict):
            facts.logit_bias = len(bias)
        elif bias is not None:
            facts.odd.append("logit_bias:type")
        prompt_logprobs = doc.get("prompt_logprobs")
        facts.prompt_logprobs = prompt_logprobs is not None and prompt_logprobs is not False
        facts.token_ids = bool(doc.get("allowed_token_ids") or doc.get("logprob_token_ids"))
        effort = doc.get("reasoning_effort")
        if isinstance(effort, str):
            facts.reasoning_effort = effort

    def read_prompt(self, doc: dict[str, Any], facts: RequestFacts) -> None:
        """Unknown JSON: take whichever of the common prompt fields is present."""
        if "messages" in doc:
            read_messages(doc.get("messages"), facts)
        elif "prompt" in doc:
            facts.user_text = text_of(doc.get("prompt"), facts)
            facts.prompts = prompt_count(doc)
            facts.turns = 1
        elif "input" in doc:
            facts.user_text = text_of(doc.get("input"), facts)
            facts.turns = 1

    def end_user(self, doc: dict[str, Any], facts: RequestFacts) -> str | None:
        return str_field(doc, "safety_identifier", facts) or str_field(doc, "user", facts)

    def error_body(self, kind: str, message: str, code: str | None = None) -> bytes:
        wire_type = {
            RATE_LIMIT: "rate_limit_error",
            PERMISSION: "permission_error",
            UNAVAILABLE: "service_unavailable",
            INVALID: "invalid_request_error",
            TOO_LARGE: "invalid_request_error",
        }[kind]
        return orjson.dumps(
            {"error": {"message": message, "type": wire_type, "param": None, "code": code}}
        )


def _lenient(body: bytes, facts: RequestFacts) -> Any:
    """A body orjson refuses but a model server reads, read as that server will.

    Python's json (FastAPI, vLLM) takes NaN, Infinity, lone surrogates, a byte-order mark,
    numbers past 1e308 and UTF-16. Node's ``JSON.parse`` and Go's ``encoding/json`` (most
    servers behind the gateway) take bytes that are not UTF-8, each read as U+FFFD. Unread,
    such a body blinded every signal and its ``n`` while the server honoured it. Text keeps
    no lone surrogate (U+FFFD instead, as Go reads one): the prompt classifiers, the
    template fingerprint and the degrade rewrite's serializer raise on one, and a request
    whose reading raises goes unscored. Only on orjson's failure: never on the hot path."""
    try:
        doc = json.loads(body)
    except UnicodeDecodeError:
        text = body.decode("utf-8", "replace")
        try:
            doc = orjson.loads(text)
        except orjson.JSONDecodeError:
            try:
                doc = json.loads(text)
            except (ValueError, RecursionError):
                facts.odd.append("body:json")
                return None
        facts.odd.append("body:utf8")
    except (ValueError, RecursionError):
        facts.odd.append("body:json")
        return None
    facts.odd.append("body:lenient")
    if _may_hold_surrogates(body):
        doc = _without_surrogates(doc)
    return doc


_SURROGATE_ESCAPE = re.compile(rb"\\u[dD][89a-fA-F]")


def _may_hold_surrogates(body: bytes) -> bool:
    """What can become a lone surrogate once read: a \\uD800-\\uDFFF escape, a surrogate
    encoded in UTF-8 (json reads bytes with "surrogatepass"; its lead byte is 0xED), or a
    UTF-16/32 body (NULs up front). Substring tests first: a regex alternation scanned a
    2 KB body in 15 µs, three times the parse."""
    return (
        (b"\\u" in body and _SURROGATE_ESCAPE.search(body) is not None)
        or b"\xed" in body
        or b"\x00" in body[:4]
    )


_SURROGATE = re.compile("[\ud800-\udfff]")


def _without_surrogates(doc: Any) -> Any:
    """``doc`` with every lone surrogate in its strings and keys replaced by U+FFFD
    (iterative: a document json accepted may be nested deeper than Python recurses)."""
    if isinstance(doc, str):
        return _SURROGATE.sub("\ufffd", doc)
    stack = [doc]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            for key, value in list(node.items()):
                if isinstance(value, str):
                    value = node[key] = _SURROGATE.sub("\ufffd", value)
                elif isinstance(value, dict | list):
                    stack.append(value)
                if isinstance(key, str) and _SURROGATE.search(key):
                    del node[key]
                    node[_SURROGATE.sub("\ufffd", key)] = value
        elif isinstance(node, list):
            for i, value in enumerate(node):
                if isinstance(value, str):
                    node[i] = _SURROGATE.sub("\ufffd", value)
                elif isinstance(value, dict | list):
                    stack.append(value)
    return doc


_SYSTEM_ROLES = frozenset({"system", "developer"})


def read_messages(messages: Any, facts: RequestFacts) -> None:
    """Chat-style ``messages`` (OpenAI chat, Anthropic, Responses input items)."""
    if messages is None:
        return
    if not isinstance(messages, list):
        facts.odd.append("messages:type")
        return
    system: list[str] = []
    for message in messages:
        if not isinstance(message, dict):
            facts.odd.append("message:type")
            continue
        facts.turns += 1
        role = message.get("role")
        if not isinstance(role, str):
            role = None  # a list or object role must not break a set lookup
        if role in _SYSTEM_ROLES:
            system.append(text_of(message.get("content"), facts))
        elif role == "assistant":
            facts.assistant_turns += 1
        elif role == "user":
            text = text_of(message.get("content"), facts)
            if facts.user_text and not facts.first_user_text:
                facts.first_user_text = facts.user_text
            facts.user_text = text
        elif message.get("type") in ("function_call", "reasoning"):
            facts.assistant_turns += 1  # Responses API items produced by the model
    if system:
        joined = "\n".join(system)
        facts.system_text = (facts.system_text + "\n" + joined if facts.system_text else joined)[
            :MAX_TEXT
        ]
