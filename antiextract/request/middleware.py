"""The ASGI wiring: the only module (with ``proxy``) that knows what a scope is.

Path of a protected request: buffer the body once (at most ``inspect_max_bytes`` before
deciding; everything is still forwarded) -> identity -> API facts -> cost -> ONE store
call -> decision -> either the middleware's own 429 or the app, whose response passes
through unchanged while its head and tail are glanced at for ``usage`` -> settlement and
audit after the last byte has been sent.
"""

from __future__ import annotations

import asyncio
import dataclasses
import hashlib
import logging
import math
import random
import time
import traceback
from collections import deque
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any

from ..audit import make_logger
from ..metrics import ListenerLifespan, Metrics, MetricsListener, error_kind
from ..model.allowlist import Allowlist
from ..model.bucket import TOKENS, Limits, Outcome, WindowLimit, take_cost
from ..model.cohorts import CohortInput, CohortModel, CohortView, cohort_keys, is_young
from ..model.risk import RiskInput, RiskModel, reasons
from ..redact import LogFilter, redact
from ..settings import Settings, SettingsError, load_settings
from ..store import MemoryStore, Store, StoreError, create_store
from ..store.passes import Allowance
from . import challenge as pow_challenge
from .apis import (
    FAMILIES,
    INVALID,
    TOO_LARGE,
    UNAVAILABLE,
    ApiFamily,
    RequestFacts,
    canonical_path,
    family_for_path,
    route_path,
)
from .breaker import FALLBACK, PROBE, CircuitBreaker
from .cost import Response, charge, estimate, prompt_tokens, seen_output
from .degrade import DegradePlan, JsonFilter, request_body, response_filter, rewrite_request
from .encoding import content_coding, decode
from .enforce import (
    Refusal,
    block_response,
    json_headers,
    throttle_response,
    unavailable_response,
)
from .fingerprint import client_fingerprint, template_fingerprint
from .identity import (
    Credentials,
    Identity,
    KeyPlaces,
    TrustedHeaders,
    digest,
    hash_key,
    header,
    identify,
    peer_from_forwarded,
    request_ip,
)
from .policy import ALLOW, BLOCK, CHALLENGE, DEGRADE, THROTTLE, Decision, Thresholds, decide
from .signals import RequestSignals, SignalWeights, read_signals
from .usage import UsageReader

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

_internal = logging.getLogger("antiextract")
# Tracebacks logged here quote exceptions, and a store's may quote its URI: every
# middleware adds its configuration's secrets to the one filter of this logger.
_LOG_FILTER = LogFilter()
_internal.addFilter(_LOG_FILTER)


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
        metrics: Metrics | None = None,
    ) -> None:
        self.app = app
        self.metrics = metrics if metrics is not None else Metrics()
        self.metrics_listener: MetricsListener | None = None
        self.config_error: str | None = None
        self._config_error_logged = False
        if settings is None:
            try:
                settings = load_settings()
            except SettingsError as exc:
                # Configured by env, constructed by the host (Starlette builds its stack
                # inside the first call it gets): raising here becomes a 500 on every
                # request. Keep the error; __call__ refuses to start (see _misconfigured).
                self.config_error = str(exc)
                return
        self.settings = s = settings
        if s.metrics_port is not None:  # started and stopped with the host's lifespan
            self.metrics_listener = MetricsListener(
                self.metrics.registry, s.metrics_port, s.metrics_host
            )
        self._secrets = s.secret_texts()
        _LOG_FILTER.secrets.update(self._secrets)
        self.clock = clock or time.time
        self.paths = frozenset(s.paths)
        # Other spellings of a protected path (apis.canonical_path) -> the configured one.
        self._spellings = {canonical_path(p): p for p in s.paths}
        self.limits = limits_from(s)
        self.model = RiskModel(**s.risk_model)
        self.weights = SignalWeights(**s.signal_weights)
        self.cohort_model = CohortModel(**s.campaign_model)
        self.campaigns_enabled = s.campaigns_enabled
        # The env's allowlist, and the one in force: the env's plus the store's live
        # entries, swapped whole by a background refresh (allowlist.py).
        self._allow_env = Allowlist(
            frozenset(s.allow_accounts), frozenset(s.allow_cohorts), tuple(s.allow_subnets)
        )
        self.allowlist = self._allow_env
        self._allow_due = 0.0  # time.monotonic() of the next refresh
        self._allow_refresh: asyncio.Task[None] | None = None
        self.thresholds = Thresholds(s.degrade_at, s.challenge_at, s.block_at, s.challenge_enabled)
        self.plan = DegradePlan(
            max_output_tokens=s.degrade_max_output_tokens, model_map=dict(s.degrade_model_map)
        )
        self.store = (
            store
            if store is not None
            else create_store(
                s.storage_uri,
                self.limits,
                prefix=s.key_prefix,
                max_keys=s.memory_max_keys,
                timeout=s.store_timeout,
                model=self.model,
                cohort_model=self.cohort_model,
            )
        )
        # Local limits that keep a burst bounded while the shared store is unreachable.
        self.fallback = MemoryStore(
            self.limits,
            max_keys=s.memory_max_keys,
            model=self.model,
            cohort_model=self.cohort_model,
        )
        # The auth layer's headers, believed only from TRUSTED_PROXIES when it is set.
        self.trusted_headers = TrustedHeaders.from_settings(s)
        self.replay = self.store.replay_guard()
        self.passes = self.store.pass_book()
        self.log = logger if logger is not None else make_logger(s.log_format, s.log_level)
        self.challenge_secrets = _challenge_secrets(s, self.log)
        unverified = self.trusted_headers.warning()
        if unverified is not None:
            self.log.warning("antiextract.trusted_headers_unverified", detail=unverified)
        everyone = self.trusted_headers.everyone_warning()
        if everyone is not None:
            self.log.warning("antiextract.trusted_proxies_everyone", detail=everyone)
        # Where API keys are read; a request whose places disagree is refused (__call__).
        self.key_places = KeyPlaces.from_settings(s)
        self._forwarded_warned = False  # the peer-rewritten-by-the-server warning, once
        self.hash_key = hash_key(s.secret.get_secret_value().encode() if s.secret else None)
        from .recorder import recorder_for  # RECORD_FILE: opt-in, for `antiextract replay`

        self.recorder = recorder_for(s, self.key_places, self.hash_key)
        self.enforce = s.mode == "enforce"
        self.fail_closed = s.fail_mode == "closed"
        self._campaigns: dict[str, float] = {}  # flagged cohort -> time.monotonic() last seen
        self._campaigns_due = 0.0
        # Store outage handling: closed / open / half-open with one probe, exponential
        # back-off (antiextract/request/breaker.py); the challenge path reads it too.
        self.breaker = CircuitBreaker(s.store_retry_seconds, s.store_retry_max_seconds)
        self._digests: dict[str, str] = {}
        self._first_seen: dict[str, float] = {}  # account key -> first seen (learnt)
        self._background: set[asyncio.Future[Any]] = set()
        self._failures_unlogged = 0  # internal errors since the last one logged (_failure)
        self._failures_due = -math.inf  # clock() before which none is logged

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.config_error is not None:
            await self._misconfigured(scope, receive, send)
            return
        if scope["type"] != "http" or scope["method"] != "POST":
            if scope["type"] == "lifespan":
                receive = _LifespanWatch(receive, self.store)
                if self.metrics_listener is not None:
                    send = ListenerLifespan(send, self.metrics_listener)
            await self.app(scope, receive, send)
            return
        if scope["path"] not in self.paths:
            protected = self._protected(scope)
            if protected is None:
                await self.app(scope, receive, send)
                return
            scope = protected
        if self.recorder is not None:  # records the body as the middleware reads it
            receive = self.recorder.receive(scope, receive, self.clock())
        refused, keys = await self._credentials(scope, send)
        if not refused:
            await self._protect(scope, receive, send, keys)

    def _protected(self, scope: Scope) -> Scope | None:
        """The scope of a protected request whose path is not literally a configured one,
        or ``None`` when the path is not protected.

        The path is matched as the app routes it: relative to ``root_path`` when it is
        under it (uvicorn/vLLM ``--root-path``, ``FastAPI(root_path=...)``, a ``Mount``),
        and in any spelling some server would route the same way (``apis.canonical_path``).
        Another spelling is passed on as the configured path, keeping the ``root_path``
        prefix, so the app (or the gateway's upstream) serves the route that was checked,
        however it would have read the spelling."""
        path = scope["path"]
        root = (scope.get("root_path") or "").rstrip("/")
        spelt = canonical_path(path)
        if root:
            if route_path(path, root) in self.paths:
                return scope
            under = canonical_path(root)
            if under != "/" and spelt.startswith(under + "/"):
                configured = self._spellings.get(spelt[len(under) :])
                if configured is not None:
                    return _respelt(scope, root, configured)
        configured = self._spellings.get(spelt)
        return None if configured is None else _respelt(scope, "", configured)

    async def _credentials(self, scope: Scope, send: Send) -> tuple[bool, Credentials | None]:
        """(refused, the request's API keys as digests), read once, before its body.
        Refused here: a request whose places hold different keys (400,
        ``conflicting_credentials``) when no believed account header names the account;
        counted and audited in every mode, refused in enforce mode only. Never raises: a
        failure is counted and the keys left unread (``None``), for ``_decide`` to read
        again under ``_protect``'s guard."""
        try:
            headers = scope["headers"]
            query = scope.get("query_string", b"")
            keys = self.key_places.read(headers, query, self.hash_key)
            if not keys.conflict:
                return False, keys
            client = scope.get("client")
            peer = client[0] if client else None
            named = self.trusted_headers.account is not None
            if named and self.trusted_headers.read(headers, peer).account is not None:
                return False, keys  # the account is named by the auth layer, not a key
            family = family_for_path(scope["path"])
            self.metrics.conflicting_credentials()
            self._audit_conflict(keys, request_ip(headers, peer, self.settings.trusted_proxies),
                                 family)  # fmt: skip
            if not self.enforce:
                return False, keys  # shadow: counted, audited; the first place's key counts
            body = family.error_body(
                INVALID,
                "The request carries different API keys in "
                f"{', '.join(keys.places)}; send one key.",
                "conflicting_credentials",
            )
            refusal = Refusal(400, json_headers(body, (b"x-should-retry", b"false")), body)
        except Exception as exc:
            self._failure("decide", exc)
            return False, None
        await refusal(scope, None, send)
        return True, None

    def _audit_conflict(self, keys: Credentials, ip: str, family: ApiFamily) -> None:
        self.log.warning(
            "antiextract.decision",
            action="refuse",
            enforced=self.enforce,
            reasons=["conflicting_credentials"],
            accounts=list(keys.accounts),
            places=list(keys.places),
            ip=ip,
            api=family.name,
            status=400 if self.enforce else None,
        )

    async def _misconfigured(self, scope: Scope, receive: Receive, send: Send) -> None:
        """The env-read configuration is invalid: nothing is served, protected or not.

        A server that runs the lifespan protocol is told at start-up
        (``lifespan.startup.failed`` with the one-line message: uvicorn prints it and
        exits with status 3, in ``--lifespan auto`` and ``on``). A server that skips it
        (``--lifespan off``) starts, and then every request gets a 503 with a generic
        body and ``x-should-retry: false``, every websocket is closed, and the log names
        the error once: protection is never silently off, nor a 500 with a traceback."""
        kind = scope["type"]
        message = self.config_error or "invalid antiextract configuration"
        if kind == "lifespan":
            if (await receive())["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.failed", "message": message})
            return  # the server exits; nothing more is expected of a failed start-up
        if not self._config_error_logged:
            self._config_error_logged = True
            _internal.error("%s; every request is refused with 503 until it is fixed", message)
        if kind == "websocket":
            await receive()  # websocket.connect
            await send({"type": "websocket.close", "code": 1011})
        elif kind == "http":
            body = family_for_path(scope["path"]).error_body(
                UNAVAILABLE, "The service is unavailable.", "service_unavailable"
            )
            refusal = Refusal(503, json_headers(body, (b"x-should-retry", b"false")), body)
            await refusal(scope, receive, send)

    async def _protect(
        self, scope: Scope, receive: Receive, send: Send, keys: Credentials | None = None
    ) -> None:
        """The ladder for one protected request. Everything up to the choice of response
        runs guarded: a failure there is loud (counted, logged at a bounded rate) and
        never the client's 500; it passes the request through (FAIL_MODE=open) or
        refuses it with a 503 (closed), as a store outage would."""
        started = time.perf_counter()
        messages, size, complete = await _buffer(receive, self.settings.inspect_max_bytes)
        replay = _Replay(messages, receive)
        ctx: _Context | None = None
        degraded = False
        try:
            ctx = await self._decide(scope, messages, size, complete, keys)
            ctx.elapsed_us = (time.perf_counter() - started) * 1e6
            self.metrics.decision(
                ctx.decision.action,
                ctx.decision.reasons,
                ctx.family.name,
                self.enforce,
                ctx.elapsed_us / 1e6,
                "fallback" if ctx.store is self.fallback else self.store.label,
            )
            refusal = await self._refusal(scope, ctx) if self.enforce else None
            if refusal is None and self.enforce and ctx.decision.action in (DEGRADE, CHALLENGE):
                degraded = True
                scope, replay = self._degraded_request(scope, ctx, messages, replay, receive)
        except _StoreDown as down:  # FAIL_MODE=closed and the store is unreachable
            await self._unavailable(scope, down.retry_after, "store_unavailable", started)(
                scope, receive, send
            )
            return
        except Exception as exc:  # a bug of ours must never become the client's 500
            self._failure("decide", exc)
            if self.fail_closed:
                if ctx is not None:
                    await self._refund(ctx)
                await self._unavailable(scope, 1.0, "internal_error", started)(scope, receive, send)
                return
            refusal = await self._undecided(scope, ctx, started)
            if refusal is not None:
                await refusal(scope, receive, send)
                return
            await self.app(scope, replay, send)  # what was reserved for it stays charged
            return
        if refusal is not None:
            await refusal(scope, receive, send)
            self._audit(ctx, refusal.status)
            return
        if degraded:
            send = _DegradeSend(send, ctx.family, self.plan, self._failure)
            await self._tarpit(ctx)
        scope = _uncompressed(scope)
        observer = _ResponseObserver(send)
        try:
            await self.app(scope, replay, observer)
        finally:
            await self._settle(ctx, observer)
            if ctx.decision.action != ALLOW or self._sampled():
                self._audit(ctx, observer.status)

    async def _undecided(
        self, scope: Scope, ctx: _Context | None, started: float
    ) -> Refusal | None:
        """FAIL_MODE=open after a failed decision: a request already allowed as it is
        passes; any other is charged a full bucket on the local limits, like a body that
        cannot be sized (its samples and budget are unknown), and passes only if that
        bucket had it. An input that makes deciding fail (a client can look for one) then
        buys at most one request per refill of a bucket, never unlimited, unscored ones."""
        if ctx is not None and ctx.decision.action == ALLOW and ctx.outcome.allowed:
            return None
        try:
            account, ip = self._identify(scope)
        except Exception:
            client = scope.get("client")
            account = ip = "ip:" + str(client[0] if client else "unknown")
        try:
            outcome = await self.fallback.evaluate(
                self._store_key(account, 16), self._store_key(ip, 12), self.limits.capacity,
                self.clock(),
            )  # fmt: skip
            if outcome.allowed:
                return None
            decision = Decision(THROTTLE, ("internal_error",), outcome.retry_after, TOKENS)
            family = family_for_path(scope["path"])
            return throttle_response(
                family, decision, self.limits, outcome.tokens, self.settings.sdk_retry_ceiling
            )
        except Exception as exc:
            self._failure("decide", exc)
            return self._unavailable(scope, 1.0, "internal_error", started)

    def _identify(self, scope: Scope) -> tuple[str, str]:
        """The account and client IP ids of a request (see _decide), nothing else read."""
        client = scope.get("client")
        peer = client[0] if client else None
        auth = self.trusted_headers.read(scope["headers"], peer)
        ident = identify(
            scope["headers"],
            peer,
            account=auth.account,
            trusted=self.settings.trusted_proxies,
            key=self.hash_key,
            keys=self.key_places,
            query=scope.get("query_string", b""),
        )
        return ident.account, ident.ip

    async def _refusal(self, scope: Scope, ctx: _Context) -> Refusal | None:
        """The middleware's own response for an enforced refusal, or None to call the app.
        A request the store allowed but the middleware refuses (a campaign's shared bucket
        is empty, a challenge is due) gets its reservation back: it was never served."""
        d = ctx.decision
        if d.action == THROTTLE:
            if ctx.outcome.allowed:  # the account's limits let it through; its campaign's did not
                await self._refund(ctx)
            return throttle_response(
                ctx.family, d, self.limits, ctx.outcome.tokens, self.settings.sdk_retry_ceiling
            )
        if d.action == BLOCK:
            return block_response(ctx.family, d)
        if d.action == CHALLENGE and not await self._challenge_passed(scope, ctx):
            self.metrics.challenge("issued")
            await self._refund(ctx)
            difficulty = pow_challenge.difficulty_for(
                d.risk,
                self.settings.challenge_base_bits,
                self.settings.challenge_max_bits,
                low=self.thresholds.challenge_at,
                high=self.thresholds.block_at,
            )
            token = pow_challenge.issue(
                ctx.account_key, difficulty, ctx.now, self.challenge_secrets
            )
            return pow_challenge.challenge_response(
                ctx.family, token, difficulty, self.settings.verification_url
            )
        if d.action in (DEGRADE, CHALLENGE) and not ctx.facts.parsed:
            await self._refund(ctx)
            return self._unrewritable(ctx)
        return None

    def _unrewritable(self, ctx: _Context) -> Refusal:
        """The answer to a request that must be degraded but whose body cannot be
        rewritten: not read (past INSPECT_MAX_BYTES, or an encoding we cannot decode) or
        not a JSON object. Forwarded as it was, its n, budget and logprobs reached the
        model: a degraded account padded its body past the cap and got every sample it
        asked for, at full length, with logprobs. Refused instead, in the API's format,
        never charged; the client learns what to send."""
        if "body:uninspected" in ctx.facts.odd:
            status, kind, code = 413, TOO_LARGE, "request_too_large"
            message = (
                "The request body could not be inspected: send at most "
                f"{self.settings.inspect_max_bytes} bytes of JSON (gzip or deflate allowed)."
            )
        else:
            status, kind, code = 400, INVALID, "invalid_json"
            message = "The request body is not a JSON object."
        body = ctx.family.error_body(kind, message, code)
        return Refusal(status, json_headers(body, (b"x-should-retry", b"false")), body)

    def _unavailable(
        self, scope: Scope, retry_after: float, reason: str, started: float
    ) -> Refusal:
        """The 503 of FAIL_MODE=closed, counted and logged as action ``unavailable``."""
        family = family_for_path(scope["path"])
        refusal = unavailable_response(family, retry_after)
        self.metrics.decision(
            "unavailable", (reason,), family.name, self.enforce,
            time.perf_counter() - started, self.store.label,
        )  # fmt: skip
        self.log.warning(
            "antiextract.decision", action="unavailable", status=refusal.status,
            reasons=[reason], api=family.name, retry_after=max(1, math.ceil(retry_after)),
            fail_mode="closed",
        )  # fmt: skip
        return refusal

    def _failure(self, stage: str, exc: BaseException) -> None:
        """A bug or an unexpected input inside antiextract: counted every time, logged at
        most once per ERROR_LOG_SECONDS with how many were not logged meanwhile. The log
        names the exception's type and where it was raised, never its message (which could
        quote a header or a piece of the prompt)."""
        self.metrics.internal_error(stage)
        self._failures_unlogged += 1
        now = self.clock()
        if now < self._failures_due:
            return
        self._failures_due = now + ERROR_LOG_SECONDS
        frames = traceback.extract_tb(exc.__traceback__)[-3:]
        self.log.error(
            "antiextract.internal_error",
            stage=stage,
            error=type(exc).__name__,
            where=[f"{Path(f.filename).name}:{f.lineno}:{f.name}" for f in frames],
            count=self._failures_unlogged,
            fail_mode="closed" if self.fail_closed else "open",
        )
        self._failures_unlogged = 0

    async def _challenge_passed(self, scope: Scope, ctx: _Context) -> bool:
        try:
            return await self._check_solution(scope, ctx)
        finally:
            if ctx.challenge is not None:
                self.metrics.challenge(ctx.challenge)

    async def _check_solution(self, scope: Scope, ctx: _Context) -> bool:
        """A fresh, valid solution (which buys an allowance) or an unspent allowance."""
        if not self.breaker.closed:
            ctx.challenge = "store_unavailable"  # known outage: fail open at once, degraded
            return True
        try:
            value = header(scope["headers"], b"antiextract-solution")
            if value:
                parsed = pow_challenge.parse_solution_header(value.decode("latin-1"))
                if parsed is not None:
                    token, solution = parsed
                    verdict = pow_challenge.verify(
                        token, solution, ctx.account_key, ctx.now, self.challenge_secrets
                    )
                    if verdict.ok and verdict.token_id and verdict.expires_at:
                        if await self.replay.first_use(
                            verdict.token_id, verdict.expires_at, ctx.now
                        ):
                            await self.passes.grant(
                                ctx.account_key, Allowance.granted(ctx.now), ctx.now
                            )
                            ctx.challenge = "solved"
                            return True
                        ctx.challenge = "replayed"
                    else:
                        ctx.challenge = verdict.reason
            if await self.passes.spend(ctx.account_key, ctx.now):
                ctx.challenge = ctx.challenge or "allowance"
                return True
        except StoreError:
            ctx.challenge = "store_unavailable"  # fail open, still degraded
            return True
        return False

    async def _refund(self, ctx: _Context) -> None:
        """Give back the reservation of a request the app never saw: what the store took
        for it (``Outcome.taken``), never more."""
        taken = ctx.outcome.taken if ctx.outcome.allowed else 0.0
        if taken:
            ctx.settled = -taken
            self.metrics.settlement("refunded", 0)
            try:
                await ctx.store.settle(ctx.account_key, -taken, ctx.now)
            except Exception as exc:
                self._failure("refund", exc)

    def _degraded_request(
        self,
        scope: Scope,
        ctx: _Context,
        messages: list[Message],
        replay: _Replay,
        receive: Receive,
    ) -> tuple[Scope, Receive]:
        """The request rewritten so the model returns less of what an extractor values.
        A body that cannot be rewritten never gets here (``_unrewritable``)."""
        doc = ctx.facts.doc
        if doc is None or messages[-1].get("more_body", False):
            return scope, replay
        rewritten = rewrite_request(ctx.family.name, doc, self.plan)
        if rewritten is None:
            return scope, replay
        body = request_body(rewritten)
        headers = [  # the rewritten body is plain JSON, whatever encoding the client sent
            (k, v)
            for k, v in scope["headers"]
            if k not in (b"content-length", b"transfer-encoding", b"content-encoding")
        ]
        headers.append((b"content-length", str(len(body)).encode()))
        scope = {**scope, "headers": headers}
        return scope, _Replay([{"type": "http.request", "body": body, "more_body": False}], receive)

    async def _tarpit(self, ctx: _Context) -> None:
        most = self.settings.tarpit_max_seconds
        if most <= 0:
            return
        t = self.thresholds
        span = max(t.block_at - t.degrade_at, 1e-9)
        delay = most * min(1.0, max(0.0, (ctx.decision.risk - t.degrade_at) / span))
        if delay > 0:
            await asyncio.sleep(delay)

    async def _decide(
        self,
        scope: Scope,
        messages: list[Message],
        size: int,
        complete: bool,
        keys: Credentials | None = None,
    ) -> _Context:
        headers = scope["headers"]
        client = scope.get("client")
        peer = client[0] if client else None
        auth = self.trusted_headers.read(headers, peer)
        if auth.ignored:
            self.metrics.ignored_headers(auth.ignored)
        ident = identify(
            headers,
            peer,
            account=auth.account,
            trusted=self.settings.trusted_proxies,
            key=self.hash_key,
            keys=self.key_places,
            query=scope.get("query_string", b""),
            credentials=keys,
        )
        if not self._forwarded_warned and peer_from_forwarded(client, headers):
            self._forwarded_warned = True
            self.log.warning("antiextract.peer_from_forwarded", detail=_FORWARDED_WARNING)
        family = family_for_path(scope["path"])
        s = self.settings
        body_size = _inspect(messages, size, complete, headers, s.inspect_max_bytes)
        facts = family.facts(body_size[0])
        family = FAMILIES.get(facts.family, family)  # /invocations: as its body's API
        prompt = prompt_tokens(body_size[1], facts, max_output=s.max_output_tokens)
        cost = take_cost(
            estimate(
                body_size[1], facts,
                default_output=s.default_output_tokens, max_output=s.max_output_tokens,
            ),
            self.limits,
        )  # fmt: skip
        signals = read_signals(facts, self.weights)
        skeleton, bands = "", ()
        if facts.parsed and (facts.user_text or facts.system_text):
            fp = template_fingerprint(facts.prompt_text)
            skeleton, bands = fp.skeleton, fp.bands
        risk_in = RiskInput(
            signals.traits, signals.acute, skeleton, auth.created, self._tier_factor(auth.tier)
        )
        account_key = self._store_key(ident.account, 16)
        ip_key = self._store_key(ident.ip, 12)
        now = self.clock()
        cohort = None
        allow = self._current_allowlist()
        if self.campaigns_enabled and ident.account not in allow.accounts:
            cohort = self._cohort_input(
                ident, headers, skeleton, bands, signals, risk_in, account_key, now, allow
            )
        outcome, store = await self._evaluate(account_key, ip_key, cost, now, risk_in, cohort)
        if outcome.assessment is not None:
            self._first_seen_cache(account_key, now - outcome.assessment.age)
        self._count_campaigns(outcome.cohorts)
        if ident.account in allow.accounts:
            outcome = _without_risk(outcome)
        decision = decide(outcome, self.thresholds, signals.traits)
        ctx = _Context(ident, family, facts, signals, account_key, cost, now, outcome, decision)
        ctx.store = store
        ctx.prompt = prompt
        return ctx

    def _cohort_input(
        self,
        ident: Identity,
        headers: list[tuple[bytes, bytes]],
        skeleton: str,
        bands: tuple[str, ...],
        signals: RequestSignals,
        risk_in: RiskInput,
        account_key: str,
        now: float,
        allow: Allowlist,
    ) -> CohortInput:
        """The request's cohorts (allowlisted ones left out) and whether its account is
        young: from the trusted creation header, else from when this process last learnt
        the account's age; an account never seen here counts as not young."""
        keys = cohort_keys(skeleton, bands, ident.ip, client_fingerprint(headers))
        if allow.cohorts or allow.subnets:
            keys = tuple(k for k in keys if not allow.allows_cohort(k))
        if risk_in.created_at is not None:
            age: float | None = now - risk_in.created_at
        else:
            first = self._first_seen.get(account_key)
            age = None if first is None else now - first
        return CohortInput(keys, is_young(age, self.cohort_model), signals.traits)

    def _current_allowlist(self) -> Allowlist:
        """The allowlist in force; schedules a background re-read of the store's live
        entries when one is due, so a request never waits for it."""
        every = self.settings.allowlist_refresh_seconds
        if every > 0 and self._allow_refresh is None and time.monotonic() >= self._allow_due:
            self._allow_due = time.monotonic() + every
            self._allow_refresh = asyncio.ensure_future(self._refresh_allowlist())
        return self.allowlist

    async def _refresh_allowlist(self) -> None:
        """Env entries plus the store's live ones; on a store error the last list stays."""
        try:
            entries = await self.store.allowlist(self.clock())
            self.allowlist = self._allow_env.merged(entries, self.clock())
        except Exception as exc:  # the hot path never sees this; the next refresh retries
            self.log.warning("antiextract.allowlist_unavailable", error=self._error_text(exc))
        finally:
            self._allow_refresh = None

    def _count_campaigns(self, views: tuple[CohortView, ...]) -> None:
        """The campaigns gauge: flagged cohorts this process saw in the last
        CAMPAIGN_WINDOW seconds (each replica reports what its traffic shows; the store's
        whole view is `antiextract campaigns`). Raised at once, lowered by a sweep every
        few seconds."""
        seen = self._campaigns
        mono = time.monotonic()
        grew = False
        for v in views:
            if v.score > 0:
                if v.key not in seen:
                    if len(seen) >= 10_000:
                        continue  # a flood of flagged cohorts: the gauge saturates, memory not
                    grew = True
                seen[v.key] = mono
        if grew:
            self.metrics.campaigns(len(seen))
        if mono >= self._campaigns_due:
            self._campaigns_due = mono + 5.0
            for key in [k for k, t in seen.items() if mono - t > CAMPAIGN_WINDOW]:
                del seen[key]
            self.metrics.campaigns(len(seen))

    def _first_seen_cache(self, account_key: str, first: float) -> None:
        cache = self._first_seen
        if account_key not in cache and len(cache) >= 200_000:
            cache.clear()
        cache[account_key] = first

    def _store_key(self, value: str, size: int) -> str:
        """Keyed digest of an (already log-safe) id, memoised: accounts come back often."""
        cache = self._digests
        found = cache.get(value)
        if found is None:
            if len(cache) >= 65_536:
                cache.clear()
            found = cache[value] = digest(value, self.hash_key, size)
        return found

    def _tier_factor(self, tier: str | None) -> float:
        """The risk factor of a believed tier name; an unknown or absent tier is 1."""
        if not tier:
            return 1.0
        return self.settings.tier_factors.get(tier, 1.0)

    async def _evaluate(
        self,
        account: str,
        ip: str,
        cost: float,
        now: float,
        risk_in: RiskInput,
        cohort: CohortInput | None = None,
    ) -> tuple[Outcome, Store]:
        """The store's answer, or the local fallback's while the store is failing; with
        the store that answered, so settlement goes back to the one that reserved.

        The circuit breaker decides who asks the store: everyone while closed; nobody
        while open; after the back-off exactly one probe (half-open), whose success
        closes the circuit and whose failure re-opens it with the back-off doubled."""
        fallback = self.fallback
        breaker = self.breaker
        ticket = breaker.admit()
        if ticket == FALLBACK:
            if self.fail_closed:
                raise _StoreDown(breaker.retry_in())
            return await fallback.evaluate(account, ip, cost, now, risk_in, cohort), fallback
        started = time.perf_counter()
        try:
            outcome = await self._shielded(account, ip, cost, now, risk_in, cohort)
        except StoreError as exc:
            self.metrics.store_call(time.perf_counter() - started)
            self.metrics.store_error(error_kind(exc))
            self.metrics.circuit(True)
            if breaker.failure(ticket):
                self.log.error(
                    "antiextract.store_unavailable",
                    error=self._error_text(exc),
                    fallback="refuse_503" if self.fail_closed else "local_limits",
                    state=breaker.state,
                    retry_in=round(breaker.retry_in(), 3),
                )
            elif ticket == PROBE:
                self.log.warning(
                    "antiextract.store_probe_failed",
                    error=self._error_text(exc),
                    state=breaker.state,
                    failed_probes=breaker.failed_probes,
                    retry_in=round(breaker.retry_in(), 3),
                )
            if self.fail_closed:
                raise _StoreDown(breaker.retry_in()) from exc
            return await fallback.evaluate(account, ip, cost, now, risk_in, cohort), fallback
        except BaseException:  # cancelled, or a bug: no verdict on the store
            breaker.release(ticket)
            raise
        self.metrics.store_call(time.perf_counter() - started)
        if breaker.success(ticket):
            self.metrics.circuit(False)
            self.log.warning(
                "antiextract.store_recovered",
                state=breaker.state,
                outage_seconds=round(breaker.clock() - breaker.opened_at, 3),
            )
        return outcome, self.store

    async def _shielded(
        self,
        account: str,
        ip: str,
        cost: float,
        now: float,
        risk_in: RiskInput,
        cohort: CohortInput | None,
    ) -> Outcome:
        """The store call, finished even if this request is cancelled meanwhile (a client
        gone, a shutdown): once sent, the script runs; what it reserved is then refunded.
        A store that does that itself (``refunds_when_cancelled``) is awaited directly: a
        task and a shield cost ~45 µs a request (benchmarks/latency.py)."""
        store = self.store
        if store.refunds_when_cancelled:
            return await store.evaluate(account, ip, cost, now, risk_in, cohort)
        task = asyncio.ensure_future(store.evaluate(account, ip, cost, now, risk_in, cohort))
        try:
            return await asyncio.shield(task)
        except asyncio.CancelledError:
            task.add_done_callback(lambda t: self._refund_orphan(t, store, account, cost, now))
            raise

    def _refund_orphan(
        self, task: asyncio.Task[Outcome], store: Store, account: str, cost: float, now: float
    ) -> None:
        if task.cancelled() or task.exception() is not None or not task.result().allowed:
            return
        refund = asyncio.ensure_future(store.settle(account, -task.result().taken, now))
        self._background.add(refund)
        refund.add_done_callback(self._background.discard)

    async def _settle(self, ctx: _Context, observer: _ResponseObserver) -> None:
        """Replace the reservation by the real cost. Never raises."""
        try:
            await self._settle_usage(ctx, observer)
        except Exception as exc:  # the response is out; a correction must not fail it
            self._failure("settle", exc)

    async def _settle_usage(self, ctx: _Context, observer: _ResponseObserver) -> None:
        """The settlement itself: ``cost.charge``, which states the invariant (a request is
        never credited more than the store took for it, ``Outcome.taken``, and pays at
        least the usage it reported)."""
        if not ctx.outcome.allowed:
            return  # nothing was taken for a request the store refused (shadow mode)
        taken = ctx.outcome.taken
        used = None
        reader = observer.reader
        if reader is not None and observer.status is not None and observer.status < 500:
            used = reader.tokens()
        seen = 0 if reader is None else seen_output(reader.events, reader.size, reader.stream)
        response = Response(observer.status, observer.complete, used, seen)
        delta = charge(taken, ctx.prompt, response) - taken
        if observer.status is None or observer.status >= 500:
            self.metrics.settlement("refunded", 0)
        elif used is None:
            self.metrics.settlement("no_usage", 0)
        else:
            self.metrics.settlement("settled", used)
        if delta or used is not None:
            ctx.settled = delta
        if delta:
            await ctx.store.settle(ctx.account_key, delta, self.clock())

    def _error_text(self, exc: BaseException) -> str:
        """An exception's text for a log line: credentials masked (a store's error may
        quote its URI), then cut short."""
        return redact(str(exc), self._secrets)[:200]

    def _sampled(self) -> bool:
        rate = self.settings.audit_sample_rate
        return rate > 0 and random.random() < rate

    def _audit(self, ctx: _Context, status: int | None) -> None:
        try:
            self._audit_event(ctx, status)
        except Exception as exc:  # a log line must never fail the response it describes
            self._failure("audit", exc)

    def _audit_event(self, ctx: _Context, status: int | None) -> None:
        d = ctx.decision
        a = ctx.outcome.assessment
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
            risk_reasons=list(reasons(a, self.model)) if a is not None else [],
            challenge=ctx.challenge,
            campaign=_campaign_evidence(d.campaign),
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


_FORWARDED_WARNING = (
    "the server replaced the peer address with an X-Forwarded-For entry (uvicorn's proxy "
    "headers, e.g. --forwarded-allow-ips '*'): with '*' that entry is the one the client "
    "wrote, so a client chooses its IP for the IP limits and may pose as a trusted proxy "
    "(its auth headers believed). Run the server with --no-proxy-headers and set "
    "ANTIEXTRACT_TRUSTED_PROXIES to the load balancers instead (README: Failure modes)."
)


def _respelt(scope: Scope, root: str, configured: str) -> Scope:
    """``scope`` with the configured path under ``root``. ``raw_path`` keeps ``root`` only
    if it held it (uvicorn's does not, Starlette's Mount's does)."""
    path = root + configured
    raw = scope.get("raw_path")
    keep_root = bool(root) and raw is not None and raw.startswith(root.encode("utf-8"))
    raw_path = (path if keep_root or not root else configured).encode("utf-8")
    return {**scope, "path": path, "raw_path": raw_path}


CAMPAIGN_WINDOW = 900.0  # s a flagged cohort stays in the campaigns gauge after its last request
ERROR_LOG_SECONDS = 10.0  # at most one internal_error log line per this many seconds


class _StoreDown(Exception):
    """FAIL_MODE=closed and the store cannot answer: refuse, do not fall back."""

    def __init__(self, retry_after: float) -> None:
        super().__init__("store unavailable")
        self.retry_after = retry_after


class _Context:
    """Everything decided about one request, carried to settlement and audit."""

    __slots__ = (
        "account_key",
        "challenge",
        "cost",
        "decision",
        "elapsed_us",
        "facts",
        "family",
        "ident",
        "now",
        "outcome",
        "prompt",
        "settled",
        "signals",
        "store",
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
        self.challenge: str | None = None  # solved | allowance | replayed | a verify failure
        self.prompt = 0  # the prompt's estimate (tokens), part of ``cost``
        self.store: Store | None = None  # the store that answered (settle there)


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


def _inspect(
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


def _campaign_evidence(view: CohortView | None) -> dict[str, Any] | None:
    if view is None:
        return None
    return {
        "cohort": view.key,
        "score": round(view.score, 3),
        "accounts": view.accounts,
        "young": view.young,
        "harvest": round(view.harvest, 3),
    }


def _without_risk(outcome: Outcome) -> Outcome:
    """An allowlisted account: its limits still apply, its risk does not."""
    a = outcome.assessment
    if a is None:
        return outcome
    zero = dataclasses.replace(a, risk=0.0, acute=0.0, shares=tuple(0.0 for _ in a.shares))
    return dataclasses.replace(outcome, assessment=zero, cohorts=())


def _challenge_secrets(s: Settings, log: Any) -> list[bytes]:
    """HMAC keys for challenge tokens: CHALLENGE_SECRET (else one derived from SECRET),
    then former challenge secrets for rotation; a random per-process key when none is set,
    which works on one replica only. Tokens are bound to the account's store key, which
    depends on SECRET alone, so rotating the challenge secret leaves accounts intact."""
    current = s.challenge_secret or s.secret
    values = [v.get_secret_value() for v in (current, *s.previous_challenge_secrets) if v]
    if not values:
        if s.challenge_enabled:
            log.warning(
                "antiextract.no_secret",
                detail="neither ANTIEXTRACT_CHALLENGE_SECRET nor ANTIEXTRACT_SECRET is set: "
                "challenge tokens use a per-process key and do not verify on other replicas; "
                "API keys are hashed into account ids with a key every antiextract install "
                "shares, so ids can be matched against a known key's. Set "
                "ANTIEXTRACT_SECRET (the same on every replica)",
            )
        return [random.randbytes(32)]
    return [hashlib.sha256(b"antiextract/challenge\0" + v.encode()).digest() for v in values]


class _DegradeSend:
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


def _uncompressed(scope: Scope) -> Scope:
    """The request asking the app for an uncompressed answer. Settlement reads ``usage``
    from the answer and the degrade filter rewrites it; a gzip answer (the client's
    Accept-Encoding forwarded to an upstream that compresses) blinded both: the request
    kept its reservation whatever it used, and a degraded answer kept its reasoning."""
    headers = scope["headers"]
    if not any(key == b"accept-encoding" for key, _ in headers):
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
            if self.store.settlements_pending:
                _internal.warning(
                    "antiextract: %d settlements could not reach the store before shutdown",
                    self.store.settlements_pending,
                )
        return message
