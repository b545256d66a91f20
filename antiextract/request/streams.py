"""The ASGI messages of a protected request: its body buffered once and replayed to the
app, the app's response watched for ``usage`` (or filtered, when degraded) on its way out.
Only the middleware's two halves (``middleware``, ``protected``) use these."""

from __future__ import annotations

from collections import deque
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from .apis import UNAVAILABLE, ApiFamily
from .degrade import DegradePlan, JsonFilter, response_filter
from .encoding import content_coding, decode
from .enforce import Refusal, json_headers
from .identity import header
from .usage import UsageReader

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


async def buffer_body(receive: Receive, cap: int) -> tuple[list[Message], int, bool]:
    """Read request messages until the body ends or ``cap`` bytes are held."""
    messages: list[Message] = []
    size = 0
    while True:
        message = await receive()
        messages.append(message)
        if message["type"] != "http.request":
            return messages, size, False  # the client went away mid-body
        size += len(message.get("body", b""))
        if not message.get("more_body", False):
            return messages, size, True
        if size >= cap:
            return messages, size, False


def inspect_body(
    messages: list[Message],
    size: int,
    complete: bool,
    headers: list[tuple[bytes, bytes]],
    cap: int,
) -> tuple[bytes | None, int | None]:
    """The body to inspect (None: uninspectable) and the size to estimate its prompt from
    (None: unknown, charged as the largest request).

    A body read whole is inspected as the app will read it: gzip and deflate are decoded
    (``encoding.decode``, never past ``cap``) while the app gets the original bytes. Past
    the cap nothing of it is read: its ``n``, its prompts and its budget could be anything
    (reserved as its Content-Length plus one sample, ``n`` = 64 behind padding was served
    on one sample's reservation), so it is charged as the largest request. A client gone
    mid-body sent only what was read."""
    coding = content_coding(header(headers, b"content-encoding"))
    if complete and messages[-1]["type"] == "http.request":
        body = b"".join(m.get("body", b"") for m in messages)
        if coding is None:
            return body, len(body)
        decoded = decode(body, coding, cap)
        return decoded, None if decoded is None else len(decoded)
    if messages[-1]["type"] != "http.request":
        return None, size  # the client went away: the app gets no more than this
    return None, None


class DegradeSend:
    """``send`` for a degraded request: removes reasoning and log-probabilities from the
    response, streaming SSE chunk by chunk; a JSON body is held until complete so its
    Content-Length can be set to the filtered size.

    A filter that fails never lets the unfiltered answer out: a held JSON body becomes a
    502 in the API's format, a stream is ended where it stands; ``on_error`` counts it."""

    __slots__ = ("broken", "family", "filter", "on_error", "plan", "send", "start")

    def __init__(
        self,
        send: Send,
        family: ApiFamily,
        plan: DegradePlan,
        on_error: Callable[[str, BaseException], None],
    ) -> None:
        self.send, self.family, self.plan, self.on_error = send, family, plan, on_error
        self.filter: Any = None
        self.start: Message | None = None
        self.broken = False

    async def __call__(self, message: Message) -> None:
        kind = message["type"]
        if kind == "http.response.start":
            headers = list(message.get("headers", ()))
            if _is_plain_text(headers):
                ctype = header(headers, b"content-type") or b""
                self.filter = response_filter(self.family.name, self.plan, ctype)
            if self.filter is None:
                await self.send(message)
                return
            headers = [(k, v) for k, v in headers if k != b"content-length"]
            start = {**message, "headers": headers}
            if isinstance(self.filter, JsonFilter):
                self.start = start  # sent with the filtered body and its length
            else:
                await self.send(start)
            return
        if kind != "http.response.body" or self.filter is None:
            await self.send(message)
            return
        if self.broken:
            return  # the response was already closed after a filter failure
        more = message.get("more_body", False)
        try:
            out = self.filter.feed(message.get("body", b""))
            if not more:
                out += self.filter.close()
        except Exception as exc:
            self.broken = True
            self.on_error("degrade_filter", exc)
            await self._abort()
            return
        if self.start is not None:
            if more:
                return
            start, self.start = self.start, None
            start["headers"].append((b"content-length", str(len(out)).encode()))
            await self.send(start)
            await self.send({"type": "http.response.body", "body": out})
            return
        if out or not more:
            await self.send({"type": "http.response.body", "body": out, "more_body": more})

    async def _abort(self) -> None:
        if self.start is None:  # streaming: the client sees the stream end early
            await self.send({"type": "http.response.body", "body": b"", "more_body": False})
            return
        self.start = None
        body = self.family.error_body(
            UNAVAILABLE, "The model's response could not be processed.", "response_filter_failed"
        )
        await Refusal(502, json_headers(body), body)(None, None, self.send)


class Replay:
    """``receive`` for the app: the buffered messages first, then the live stream."""

    __slots__ = ("messages", "receive")

    def __init__(self, messages: list[Message], receive: Receive) -> None:
        self.messages = deque(messages)
        self.receive = receive

    async def __call__(self) -> Message:
        if self.messages:
            return self.messages.popleft()
        return await self.receive()


class ResponseObserver:
    """``send`` for the app: passes every message on untouched, while a ``UsageReader``
    reads the response's own usage from a JSON or SSE body (``antiextract/request/usage.py``)."""

    __slots__ = ("complete", "reader", "send", "status", "stream")

    def __init__(self, send: Send) -> None:
        self.send = send
        self.complete = False  # the final body message went out
        self.status: int | None = None
        self.reader: UsageReader | None = None  # a 2xx JSON or SSE body, uncompressed
        self.stream = False  # an SSE response

    async def __call__(self, message: Message) -> None:
        kind = message["type"]
        if kind == "http.response.body":
            if self.reader is not None:
                self.reader.feed(message.get("body", b""))
            if not message.get("more_body", False):
                await self.send(message)
                self.complete = True
                return
        elif kind == "http.response.start":
            self.status = message["status"]
            headers = message.get("headers", ())
            if self.status < 300 and _is_plain_text(headers):
                ctype = header(headers, b"content-type") or b""
                self.stream = b"event-stream" in ctype
                self.reader = UsageReader(self.stream)
        await self.send(message)


def uncompressed(scope: Scope) -> Scope:
    """The request asking the app for an uncompressed answer. Settlement reads ``usage``
    from the answer and the degrade filter rewrites it; a gzip answer (the client's
    Accept-Encoding forwarded to an upstream that compresses) blinded both: the request
    kept its reservation whatever it used, and a degraded answer kept its reasoning."""
    headers = scope["headers"]
    for key, _ in headers:  # a loop, not any() over a generator: every request runs it
        if key == b"accept-encoding":
            break
    else:
        return scope
    kept = [(k, v) for k, v in headers if k != b"accept-encoding"]
    return {**scope, "headers": [*kept, (b"accept-encoding", b"identity")]}


def _is_plain_text(headers: Any) -> bool:
    """JSON or SSE, and not compressed: the only bodies worth searching for usage."""
    typed = False
    for key, value in headers:
        if key == b"content-encoding" and value not in (b"identity", b""):
            return False
        if key == b"content-type":
            typed = b"json" in value or b"event-stream" in value
    return typed
