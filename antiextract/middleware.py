"""The ASGI wiring: the only module (with ``proxy``) that knows what a scope is.

Path of a protected request: buffer the body once (at most ``inspect_max_bytes`` before
deciding; everything is still forwarded) -> identity -> API facts -> cost -> ONE store
call -> decision -> either the middleware's own 429 or the app, whose response passes
through unchanged while its head and tail are glanced at for ``usage`` -> settlement and
audit after the last byte has been sent.
"""

from __future__ import annotations

import logging
import random
import time
from collections import deque
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from .apis import ApiFamily, family_for_path
from .audit import make_logger
from .bucket import Limits, Outcome, WindowLimit
from .cost import actual_tokens, estimate
from .enforce import throttle_response
from .identity import Identity, digest, hash_key, identify
from .policy import ALLOW, THROTTLE, Decision, decide
from .settings import Settings, load_settings
from .store import MemoryStore, Store, StoreError, create_store

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_HEAD = 16_384
_TAIL = 16_384

_internal = logging.getLogger("antiextract")


def limits_from(settings: Settings) -> Limits:
    def windows(scope: str, items: Any) -> tuple[WindowLimit, ...]:
        return tuple(WindowLimit(scope, i.amount, i.get_expiry()) for i in items)

    return Limits(
        capacity=float(settings.bucket_capacity),
        refill=float(settings.bucket_refill_per_second),
        account=windows("account", settings.account_rate_limits),
        ip=windows("ip", settings.ip_rate_limits),
    )


class AntiExtractMiddleware:
    """Protects an ASGI model server. With no arguments it reads ``ANTIEXTRACT_*``."""

    def __init__(
        self,
        app: ASGIApp,
        settings: Settings | None = None,
        clock: Callable[[], float] | None = None,
        *,
        store: Store | None = None,
        logger: Any = None,
    ) -> None:
        self.app = app
        self.settings = s = settings if settings is not None else load_settings()
        self.clock = clock or time.time
        self.paths = frozenset(s.paths)
        self.limits = limits_from(s)
        self.store = store or create_store(
            s.storage_uri,
            self.limits,
            prefix=s.key_prefix,
            max_keys=s.memory_max_keys,
            timeout=s.store_timeout,
        )
        # Local limits that keep a burst bounded while the shared store is unreachable.
        self.fallback = MemoryStore(self.limits, max_keys=s.memory_max_keys)
        self.log = logger if logger is not None else make_logger(s.log_format, s.log_level)
        self.hash_key = hash_key(s.secret.get_secret_value().encode() if s.secret else None)
        self.account_header = s.account_header.lower().encode() if s.account_header else None
        self.enforce = s.mode == "enforce"
        self._store_down_until = 0.0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "POST" or scope["path"] not in self.paths:
            if scope["type"] == "lifespan":
                receive = _LifespanWatch(receive, self.store)
            await self.app(scope, receive, send)
            return
        await self._protect(scope, receive, send)

    async def _protect(self, scope: Scope, receive: Receive, send: Send) -> None:
        started = time.perf_counter()
        messages, size, complete = await _buffer(receive, self.settings.inspect_max_bytes)
        replay = _Replay(messages, receive)
        try:
            ctx = await self._decide(scope, messages, size, complete)
        except Exception:  # a bug of ours must never become the client's 500
            _internal.exception("antiextract: decision failed; request passed through")
            await self.app(scope, replay, send)
            return
        ctx.elapsed_us = (time.perf_counter() - started) * 1e6
        if ctx.decision.action == THROTTLE and self.enforce:
            status, headers, body = throttle_response(
                ctx.family,
                ctx.decision,
                self.limits,
                ctx.outcome.tokens,
                self.settings.sdk_retry_ceiling,
            )
            await send({"type": "http.response.start", "status": status, "headers": headers})
            await send({"type": "http.response.body", "body": body})
            self._audit(ctx, status)
            return
        observer = _ResponseObserver(send)
        try:
            await self.app(scope, replay, observer)
        finally:
            await self._settle(ctx, observer)
            if ctx.decision.action != ALLOW or self._sampled():
                self._audit(ctx, observer.status)

    async def _decide(
        self, scope: Scope, messages: list[Message], size: int, complete: bool
    ) -> _Context:
        headers = scope["headers"]
        client = scope.get("client")
        ident = identify(
            headers,
            client[0] if client else None,
            account_header=self.account_header,
            trusted=self.settings.trusted_proxies,
            key=self.hash_key,
        )
        family = family_for_path(scope["path"])
        if complete and messages[-1]["type"] == "http.request":
            body = b"".join(m.get("body", b"") for m in messages)
            facts = family.facts(body)
        else:
            facts = family.facts(None)
            size = max(size, _content_length(headers))
        s = self.settings
        cost = estimate(
            size, facts, default_output=s.default_output_tokens, max_output=s.max_output_tokens
        )
        account_key = digest(ident.account, self.hash_key)
        ip_key = digest(ident.ip, self.hash_key, 12)
        now = self.clock()
        outcome = await self._evaluate(account_key, ip_key, cost, now)
        return _Context(ident, family, facts, account_key, cost, now, outcome, decide(outcome))

    async def _evaluate(self, account: str, ip: str, cost: float, now: float) -> Outcome:
        """The store's answer, or the local fallback's while the store is failing."""
        if self._store_down_until and time.monotonic() < self._store_down_until:
            return await self.fallback.evaluate(account, ip, cost, now)
        try:
            outcome = await self.store.evaluate(account, ip, cost, now)
        except StoreError as exc:
            if not self._store_down_until:
                self.log.error(
                    "antiextract.store_unavailable", error=str(exc)[:200], fallback="local_limits"
                )
            self._store_down_until = time.monotonic() + self.settings.store_retry_seconds
            return await self.fallback.evaluate(account, ip, cost, now)
        if self._store_down_until:
            self._store_down_until = 0.0
            self.log.warning("antiextract.store_recovered")
        return outcome

    async def _settle(self, ctx: _Context, observer: _ResponseObserver) -> None:
        """Replace the up-front estimate by the real cost. Never raises."""
        if not ctx.outcome.allowed:
            return  # nothing was taken for a request the store refused (shadow mode)
        if observer.status is None or observer.status >= 500:
            delta = -ctx.cost  # the model did no work we can see: give the reservation back
        else:
            used = actual_tokens(observer.head, b"".join(observer.tail))
            if used is None:
                return
            delta = used - ctx.cost
        ctx.settled = delta
        if delta:
            try:
                await self.store.settle(ctx.account_key, delta, self.clock())
            except Exception:  # settlement is a correction; never fail the response for it
                _internal.exception("antiextract: settlement failed")

    def _sampled(self) -> bool:
        rate = self.settings.audit_sample_rate
        return rate > 0 and random.random() < rate

    def _audit(self, ctx: _Context, status: int | None) -> None:
        d = ctx.decision
        self.log.info(
            "antiextract.decision",
            account=ctx.ident.account,
            account_source=ctx.ident.source,
            ip=ctx.ident.ip,
            api=ctx.family.name,
            action=d.action,
            enforced=self.enforce,
            reasons=list(d.reasons),
            limit=d.limit,
            retry_after=round(d.retry_after, 3),
            cost=ctx.cost,
            settled=ctx.settled,
            tokens=round(ctx.outcome.tokens, 1),
            capacity=self.limits.capacity,
            status=status,
            odd=ctx.facts.odd or None,
            elapsed_us=round(ctx.elapsed_us, 1),
        )


class _Context:
    """Everything decided about one request, carried to settlement and audit."""

    __slots__ = (
        "account_key",
        "cost",
        "decision",
        "elapsed_us",
        "facts",
        "family",
        "ident",
        "now",
        "outcome",
        "settled",
    )

    def __init__(
        self,
        ident: Identity,
        family: ApiFamily,
        facts: Any,
        account_key: str,
        cost: int,
        now: float,
        outcome: Outcome,
        decision: Decision,
    ) -> None:
        self.ident, self.family, self.facts = ident, family, facts
        self.account_key, self.cost, self.now = account_key, cost, now
        self.outcome, self.decision = outcome, decision
        self.elapsed_us = 0.0
        self.settled: float | None = None


async def _buffer(receive: Receive, cap: int) -> tuple[list[Message], int, bool]:
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


def _content_length(headers: list[tuple[bytes, bytes]]) -> int:
    for key, value in headers:
        if key == b"content-length":
            try:
                return max(0, int(value))
            except ValueError:
                return 0
    return 0


class _Replay:
    """``receive`` for the app: the buffered messages first, then the live stream."""

    __slots__ = ("messages", "receive")

    def __init__(self, messages: list[Message], receive: Receive) -> None:
        self.messages = deque(messages)
        self.receive = receive

    async def __call__(self) -> Message:
        if self.messages:
            return self.messages.popleft()
        return await self.receive()


class _ResponseObserver:
    """``send`` for the app: passes every message on untouched, keeping the body's head
    and tail (16 KiB each) so settlement can find ``usage`` without buffering the body."""

    __slots__ = ("capture", "head", "send", "status", "tail", "tail_size")

    def __init__(self, send: Send) -> None:
        self.send = send
        self.status: int | None = None
        self.capture = False
        self.head = b""
        self.tail: deque[bytes] = deque()
        self.tail_size = 0

    async def __call__(self, message: Message) -> None:
        kind = message["type"]
        if kind == "http.response.body":
            if self.capture:
                body = message.get("body", b"")
                if body:
                    self._keep(body)
        elif kind == "http.response.start":
            self.status = message["status"]
            self.capture = self.status < 300 and _is_plain_text(message.get("headers", ()))
        await self.send(message)

    def _keep(self, body: bytes) -> None:
        if len(self.head) < _HEAD:
            self.head += body[: _HEAD - len(self.head)]
        self.tail.append(body)
        self.tail_size += len(body)
        while self.tail_size - len(self.tail[0]) >= _TAIL:
            self.tail_size -= len(self.tail.popleft())


def _is_plain_text(headers: Any) -> bool:
    """JSON or SSE, and not compressed: the only bodies worth searching for usage."""
    typed = False
    for key, value in headers:
        if key == b"content-encoding" and value not in (b"identity", b""):
            return False
        if key == b"content-type":
            typed = b"json" in value or b"event-stream" in value
    return typed


class _LifespanWatch:
    """Flushes pending settlements when the server shuts down."""

    __slots__ = ("receive", "store")

    def __init__(self, receive: Receive, store: Store) -> None:
        self.receive, self.store = receive, store

    async def __call__(self) -> Message:
        message = await self.receive()
        if message["type"] == "lifespan.shutdown":
            try:
                await self.store.flush()
            except Exception:
                _internal.exception("antiextract: flushing settlements at shutdown failed")
        return message
