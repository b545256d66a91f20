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
from datetime import UTC, datetime
from typing import Any

from .apis import ApiFamily, RequestFacts, family_for_path
from .audit import make_logger
from .bucket import Limits, Outcome, WindowLimit
from .cost import actual_tokens, estimate
from .enforce import block_response, throttle_response
from .fingerprint import template_fingerprint
from .identity import Identity, digest, hash_key, header, identify
from .policy import ALLOW, BLOCK, THROTTLE, Decision, Thresholds, decide
from .risk import RiskInput, RiskModel
from .settings import Settings, load_settings
from .signals import RequestSignals, SignalWeights, read_signals
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
        block_at=settings.block_at,
        block_seconds=settings.block_seconds,
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
        self.model = RiskModel(**s.risk_model)
        self.weights = SignalWeights(**s.signal_weights)
        self.thresholds = Thresholds(s.degrade_at, s.challenge_at, s.block_at, False)
        self.store = store or create_store(
            s.storage_uri,
            self.limits,
            prefix=s.key_prefix,
            max_keys=s.memory_max_keys,
            timeout=s.store_timeout,
            model=self.model,
        )
        # Local limits that keep a burst bounded while the shared store is unreachable.
        self.fallback = MemoryStore(self.limits, max_keys=s.memory_max_keys, model=self.model)
        self.created_header = _lower(s.account_created_header)
        self.tier_header = _lower(s.account_tier_header)
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
        action = ctx.decision.action
        if self.enforce and action in (THROTTLE, BLOCK):
            if action == THROTTLE:
                status, headers, body = throttle_response(
                    ctx.family,
                    ctx.decision,
                    self.limits,
                    ctx.outcome.tokens,
                    self.settings.sdk_retry_ceiling,
                )
            else:
                status, headers, body = block_response(ctx.family, ctx.decision)
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
        signals = read_signals(facts, self.weights)
        skeleton = ""
        if facts.parsed and (facts.user_text or facts.system_text):
            skeleton = template_fingerprint(facts.prompt_text).skeleton
        risk_in = RiskInput(
            signals.traits, signals.acute, skeleton, *self._trusted_account_facts(headers)
        )
        account_key = digest(ident.account, self.hash_key)
        ip_key = digest(ident.ip, self.hash_key, 12)
        now = self.clock()
        outcome = await self._evaluate(account_key, ip_key, cost, now, risk_in)
        decision = decide(outcome, self.thresholds, self.model)
        return _Context(ident, family, facts, signals, account_key, cost, now, outcome, decision)

    def _trusted_account_facts(
        self, headers: list[tuple[bytes, bytes]]
    ) -> tuple[float | None, float]:
        """Creation time and tier factor from the auth layer's headers, when configured."""
        created = tier = None
        if self.created_header is not None:
            created = _parse_time(header(headers, self.created_header))
        if self.tier_header is not None:
            name = header(headers, self.tier_header)
            if name:
                tier = self.settings.tier_factors.get(name.decode("latin-1").strip().lower())
        return created, 1.0 if tier is None else tier

    async def _evaluate(
        self, account: str, ip: str, cost: float, now: float, risk_in: RiskInput
    ) -> Outcome:
        """The store's answer, or the local fallback's while the store is failing."""
        if self._store_down_until and time.monotonic() < self._store_down_until:
            return await self.fallback.evaluate(account, ip, cost, now, risk_in)
        try:
            outcome = await self.store.evaluate(account, ip, cost, now, risk_in)
        except StoreError as exc:
            if not self._store_down_until:
                self.log.error(
                    "antiextract.store_unavailable", error=str(exc)[:200], fallback="local_limits"
                )
            self._store_down_until = time.monotonic() + self.settings.store_retry_seconds
            return await self.fallback.evaluate(account, ip, cost, now, risk_in)
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
            risk=round(d.risk, 3),
            signals=list(ctx.signals.fired),
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
        "signals",
    )

    def __init__(
        self,
        ident: Identity,
        family: ApiFamily,
        facts: RequestFacts,
        signals: RequestSignals,
        account_key: str,
        cost: int,
        now: float,
        outcome: Outcome,
        decision: Decision,
    ) -> None:
        self.ident, self.family, self.facts, self.signals = ident, family, facts, signals
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


def _lower(name: str | None) -> bytes | None:
    return name.lower().encode("latin-1") if name else None


def _parse_time(value: bytes | None) -> float | None:
    """Unix seconds or ISO 8601; anything else is ignored (the header is a hint)."""
    if not value:
        return None
    text = value.decode("latin-1").strip()
    try:
        return float(text)
    except ValueError:
        pass
    try:
        parsed = datetime.fromisoformat(text.replace("Z", "+00:00"))
    except ValueError:
        return None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=UTC)
    return parsed.timestamp()


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
