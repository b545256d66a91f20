"""What a response says it used: the response's own ``usage``, never text inside it.

Settlement charges a completed response exactly its reported usage, so whatever is read
as usage must be the server's. Inside JSON strings every quote is escaped, so an
unescaped ``"usage":{`` can only start an object; but objects the client or the model
wrote also reach the answer unescaped: vLLM's Responses object echoes the request's
``tools`` (a client-written JSON schema) before its usage, Anthropic's ``tool_use``
``input`` is an object the model wrote. Reading the first and last 16 KiB of an answer
took such a forged object for the usage when the real one lay in between (2 tokens
charged for 7,407), and a usage object cut at the window's edge "as far as it went"
(8,000 charged for 12,000).

So:
- a JSON answer is kept (up to ``KEEP`` bytes; a body sent in one message is only
  referenced, not copied) and parsed once after its last byte: its top-level ``usage``,
  exactly;
- an SSE stream is read line by line: a ``data:`` line holding a usage object is parsed,
  and only the event's own usage counts (top-level ``usage`` of an OpenAI chunk or an
  Anthropic ``message_delta``, ``message.usage`` of ``message_start``, ``response.usage``
  of a Responses event). Per field the largest seen wins: Anthropic sends ``input_tokens``
  first and a running ``output_tokens`` after, vLLM's continuous usage grows per chunk;
- past ``KEEP`` (a longer JSON answer, or an SSE line longer than that) every complete
  usage object anywhere in it is read as it passes, per field the largest: the real one
  is among them, so a forged one can raise a charge, never lower it. An object cut off
  counts for nothing.

Pure and synchronous: fed bytes, answers numbers. The middleware's response observer owns
one per response.
"""

from __future__ import annotations

import json
import re
from typing import Any

import orjson

KEEP = 1 << 20  # bytes of a JSON answer (or of one SSE line) kept to parse whole
_OBJECT_MOST = 4096  # a usage object is a few hundred bytes; longer is not one
_CARRY = _OBJECT_MOST + 64  # bytes kept between chunks when scanning past KEEP

_USAGE = re.compile(rb'"usage"\s*:\s*\{')
_COUNT = re.compile(
    rb'"(prompt_tokens|completion_tokens|input_tokens|output_tokens'
    rb'|cache_creation_input_tokens|cache_read_input_tokens)"\s*:\s*(\d+)'
)
FIELDS = (
    "prompt_tokens",
    "completion_tokens",
    "input_tokens",
    "output_tokens",
    "cache_creation_input_tokens",
    "cache_read_input_tokens",
)
# What ends an SSE event: an empty line, after LF, CRLF (sse-starlette's default) or CR.
_EVENT_ENDS = (b"\n\n", b"\r\n\r\n", b"\r\r")
_EOL = b"\r\n"  # bytes that end a line (``byte in _EOL``)


class UsageReader:
    """Reads one response's usage as its body passes (``feed``), answers after the last
    byte (``tokens``). Also counts what the body visibly carried (``size``, ``events``)
    for a response that reports no usage."""

    __slots__ = (
        "best", "carry", "events", "kept", "kept_size", "last", "line", "line_scanned",
        "line_size", "size", "stream",
    )  # fmt: skip

    def __init__(self, stream: bool) -> None:
        self.stream = stream  # SSE, else one JSON document
        self.size = 0  # body bytes seen
        self.events = 0  # SSE events ended (LF, CRLF or CR blank lines)
        self.best: dict[str, int] = {}  # per usage field, the largest value read
        self.kept: list[bytes] | None = []  # JSON: the body while within KEEP
        self.kept_size = 0
        self.carry = b""  # the last bytes scanned (an object may straddle two chunks)
        self.last = b""  # SSE: the previous chunk's last bytes (a terminator may straddle)
        self.line: list[bytes] = []  # SSE: the current line's bytes so far
        self.line_size = 0
        self.line_scanned = False  # SSE: the current line passed KEEP and is scanned

    def feed(self, chunk: bytes) -> None:
        if not chunk:
            return
        self.size += len(chunk)
        if self.stream:
            last = self.last
            if b"\r" in chunk or (last and last[-1] in _EOL and chunk[0] in _EOL):
                self.events += _events_ended(last, chunk)
            else:  # LF only, nothing straddling: most chunks
                self.events += chunk.count(b"\n\n")
            self.last = chunk[-3:] if len(chunk) >= 3 else (last + chunk)[-3:]
            if self.line or self.line_scanned or chunk[-1] not in _EOL or b'"usage"' in chunk:
                self._feed_lines(chunk)
            # else: whole lines, none with a usage (most chunks of a stream): nothing to keep
        elif self.kept is not None:
            self.kept.append(chunk)
            self.kept_size += len(chunk)
            if self.kept_size > KEEP:  # too long to keep: read what passes instead
                kept, self.kept = self.kept, None
                for part in kept:
                    self._scan(part)
        else:
            self._scan(chunk)

    def tokens(self) -> int | None:
        """Prompt + output tokens the response reported; None when it reported none.

        Prompt tokens are the larger of OpenAI's ``prompt_tokens`` and Anthropic's
        ``input_tokens`` plus its cache writes and reads (Anthropic leaves cached tokens
        out of ``input_tokens``; OpenAI counts them in ``prompt_tokens``): a prompt read
        from a cache was still read, and was reserved in full."""
        if self.kept is not None:  # a JSON answer kept whole: parse it once, now
            kept, self.kept = self.kept, None
            body = kept[0] if len(kept) == 1 else b"".join(kept)
            doc = _parse(body)
            if doc is _UNPARSED:
                self._scan(body)  # not JSON we can read: complete objects only
            elif isinstance(doc, dict) and isinstance(doc.get("usage"), dict):
                self._count(doc["usage"])
        best = self.best
        if not best:
            return None
        get = best.get
        prompt = max(
            get("prompt_tokens", 0),
            get("input_tokens", 0)
            + get("cache_creation_input_tokens", 0)
            + get("cache_read_input_tokens", 0),
        )
        return prompt + max(get("completion_tokens", 0), get("output_tokens", 0))

    # --- SSE ------------------------------------------------------------------------------

    def _feed_lines(self, chunk: bytes) -> None:
        """Whole lines are looked at; a line's start is held until its end arrives."""
        end = max(chunk.rfind(b"\n"), chunk.rfind(b"\r")) + 1
        if end == 0:
            self._extend_line(chunk)
            return
        done, rest = chunk[:end], chunk[end:]
        if self.line or self.line_scanned:  # the held line ends in this chunk
            first = min(i for i in (done.find(b"\n"), done.find(b"\r")) if i >= 0) + 1
            head, done = done[:first], done[first:]
            if self.line_scanned:
                self._scan(head)
                self.line_scanned, self.carry = False, b""
            else:
                self._lines(b"".join(self.line) + head)
            self.line, self.line_size = [], 0
        if b'"usage"' in done:
            self._lines(done)
        if rest:
            self._extend_line(rest)

    def _extend_line(self, piece: bytes) -> None:
        if self.line_scanned:
            self._scan(piece)
            return
        self.line.append(piece)
        self.line_size += len(piece)
        if self.line_size > KEEP:  # a line longer than we hold: read what passes
            held, self.line, self.line_size = self.line, [], 0
            self.line_scanned = True
            for part in held:
                self._scan(part)

    def _lines(self, data: bytes) -> None:
        for line in data.splitlines():
            if line.startswith(b"data:") and b'"usage"' in line and _USAGE.search(line):
                doc = _parse(line[5:])
                if doc is _UNPARSED:
                    continue  # not an event we can read: it names no usage of its own
                usage = event_usage(doc)
                if usage is not None:
                    self._count(usage)

    # --- shared ---------------------------------------------------------------------------

    def _count(self, usage: dict[str, Any]) -> None:
        best = self.best
        for name in FIELDS:
            value = usage.get(name)
            if type(value) is int and value >= 0 and value > best.get(name, -1):
                best[name] = value

    def _scan(self, chunk: bytes) -> None:
        """Every complete usage object in what passes, with the bytes kept from the
        previous chunk in front (an object read twice changes no maximum)."""
        data = self.carry + chunk if self.carry else chunk
        best = self.best
        for match in _USAGE.finditer(data):
            obj = _complete_object(data, match.end() - 1)
            if obj is None:
                continue
            for name, value in _COUNT.findall(obj):
                key, n = name.decode(), int(value)
                if n > best.get(key, -1):
                    best[key] = n
        self.carry = data[-_CARRY:]


def event_usage(doc: Any) -> dict[str, Any] | None:
    """The usage an SSE event reports about its own response, or None: top-level
    ``usage`` (OpenAI chunks, Anthropic ``message_delta``), ``message.usage`` of Anthropic's
    ``message_start``, ``response.usage`` of a Responses event (``response.completed``)."""
    if not isinstance(doc, dict):
        return None
    usage = doc.get("usage")
    if isinstance(usage, dict):
        return usage
    kind = doc.get("type")
    if not isinstance(kind, str):
        return None
    if kind == "message_start":
        inner = doc.get("message")
    elif kind.startswith("response."):
        inner = doc.get("response")
    else:
        return None
    if isinstance(inner, dict) and isinstance(inner.get("usage"), dict):
        return inner["usage"]
    return None


_UNPARSED = object()


def _parse(data: bytes) -> Any:
    """JSON as orjson reads it, else as Python's json does (a Python server may write
    NaN or Infinity into logprobs); ``_UNPARSED`` when neither can."""
    try:
        return orjson.loads(data)
    except orjson.JSONDecodeError:
        pass
    try:
        return json.loads(data)
    except (ValueError, RecursionError):
        return _UNPARSED


def _complete_object(data: bytes, start: int) -> bytes | None:
    """The JSON object starting at ``data[start] == '{'``, nested objects included, or
    None when it does not close within ``_OBJECT_MOST`` bytes (cut off, or not a usage
    object). Brace counting only: a usage object holds numbers and objects."""
    depth = 0
    for i in range(start, min(len(data), start + _OBJECT_MOST)):
        c = data[i]
        if c == 0x7B:
            depth += 1
        elif c == 0x7D:
            depth -= 1
            if depth == 0:
                return data[start : i + 1]
    return None


def _events_ended(last: bytes, chunk: bytes) -> int:
    """SSE events ended in ``chunk``, including a blank line begun at the end of the
    previous chunk (``last``: its last bytes)."""
    n = chunk.count(b"\n\n")
    if b"\r" in chunk:
        n += chunk.count(b"\r\n\r\n") + chunk.count(b"\r\r")
    if last and last[-1] in _EOL and chunk[0] in _EOL:
        joint = last + chunk[:3]
        for end in _EVENT_ENDS:
            i = joint.find(end, max(0, len(last) - len(end) + 1))
            while 0 <= i < len(last):
                n += 1
                i = joint.find(end, i + 1)
    return n
