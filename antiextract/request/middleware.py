"""The ASGI wiring: the only module (with ``protected`` and ``proxy``) that knows what a
scope is.

``AntiExtractMiddleware.__call__`` decides at the top what a request is: not protected
(passed to the app untouched, the lifespan watched), refused before its body (bad
configuration, conflicting credentials), or protected, handed to a ``Protected``
(``protected.py``) that owns that request's decision, response, settlement and audit.
The middleware keeps what outlives a request: settings, the store and its breaker and
local fallback, the allowlist, caches of digests and first-seen times, the logger.
"""

from __future__ import annotations

import asyncio
import gc
import hashlib
import logging
import math
import random
import time
import traceback
from collections.abc import Callable
from pathlib import Path
from typing import Any

from ..audit import make_logger
from ..intel.plane import IntelPlane, intel_for
from ..intel.records import Record
from ..metrics import ListenerLifespan, Metrics, MetricsListener, error_kind
from ..model.allowlist import Allowlist
from ..model.bucket import Limits, Outcome, WindowLimit
from ..model.campaigns import CampaignCharge
from ..model.cohorts import CohortModel, CohortView
from ..model.evidence import EvidenceModel
from ..model.risk import RiskInput, RiskModel
from ..model.surge import SurgeModel
from ..redact import LogFilter, redact
from ..settings import Settings, SettingsError, load_settings
from ..store import MemoryStore, Store, StoreError, create_store
from .apis import (
    INVALID,
    UNAVAILABLE,
    ApiFamily,
    canonical_path,
    family_for_path,
    route_path,
)
from .breaker import FALLBACK, PROBE, CircuitBreaker
from .degrade import DegradePlan
from .enforce import (
    Refusal,
    json_headers,
    unavailable_response,
)
from .identity import (
    Credentials,
    KeyPlaces,
    TrustedHeaders,
    digest,
    hash_key,
    identify,
    request_ip,
)
from .policy import Thresholds
from .protected import Protected, StoreDown
from .signals import SignalWeights
from .streams import ASGIApp, Message, Receive, Scope, Send

__all__ = ["ASGIApp", "AntiExtractMiddleware", "Receive", "Scope", "Send", "limits_from"]


_internal = logging.getLogger("antiextract")
# Tracebacks logged here quote exceptions, and a store's may quote its URI: every
# middleware adds its configuration's secrets to the one filter of this logger.
_LOG_FILTER = LogFilter()
EVIDENCE_OFF = (
    'evidence off: ANTIEXTRACT_EVIDENCE_MODEL has {"off": true}, so the per-account '
    "evidence adds nothing to any risk (campaigns and each account's own risk still do)"
)
SURGE_OFF = (
    'surge off: ANTIEXTRACT_SURGE_MODEL has {"off": true}, so no surge of young '
    "harvest-shaped accounts is counted or weighs on any decision"
)
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
        drive_intel: bool = False,
    ) -> None:
        """``drive_intel``: the caller runs the intelligence plane's analysis itself, with
        ``await mw.intel.drain(now)`` on its own (simulated) clock; the middleware then
        never starts the plane's background tasks (tests and simulations, which must be
        deterministic). Otherwise they start with the server's lifespan, or with the
        first protected request when the server runs none."""
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
        self.evidence_model = EvidenceModel(**s.evidence_model)  # read off account verdicts
        self.surge_model = SurgeModel(**s.surge_model)  # read off the surge verdict
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
        self.trusted_headers = TrustedHeaders.from_settings(s, self.clock)
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
        if self.evidence_model.off:  # EVIDENCE_MODEL {"off": true}: named, never silent
            self.log.warning("antiextract.evidence_off", detail=EVIDENCE_OFF)
        if self.surge_model.off:  # SURGE_MODEL {"off": true}: named, never silent
            self.log.warning("antiextract.surge_off", detail=SURGE_OFF)
        # Where API keys are read; a request whose places disagree is refused (__call__).
        self.key_places = KeyPlaces.from_settings(s)
        self._forwarded_warned = False  # the peer-rewritten-by-the-server warning, once
        self.hash_key = hash_key(s.secret.get_secret_value().encode() if s.secret else None)
        from .recorder import recorder_for  # RECORD_FILE: opt-in, for `antiextract replay`

        try:
            self.recorder = recorder_for(
                s, self.key_places, self.hash_key, self.metrics.recorder_dropped.inc
            )
        except OSError as exc:  # checked by settings; a race or a mount can still refuse
            self.config_error = (
                f"ANTIEXTRACT_RECORD_FILE={s.record_file!r} cannot be opened for appending "
                f"({exc.strerror or exc})"
            )
            return
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
        # Cross-account analysis, off the request path: requests emit records into its
        # buffer and read its verdict cache; it runs in background tasks (intel/).
        self.intel: IntelPlane = intel_for(
            s, self.store, self.clock, self.metrics, self.evidence_model
        )
        self._intel_started = drive_intel  # a driven plane is never started here
        self._gc_freezer: asyncio.Task[None] | None = None  # GC_FREEZE_SECONDS > 0

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if self.config_error is not None:
            await self._misconfigured(scope, receive, send)
            return
        if scope["type"] != "http" or scope["method"] != "POST":
            if scope["type"] == "lifespan":
                receive = _LifespanWatch(receive, self)
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
        if not self._intel_started:
            await self._start_intel()  # no lifespan: started with the first request
        if self.recorder is not None:  # records the body as the middleware reads it
            receive = self.recorder.receive(scope, receive, self.clock())
        keys, refusal = self._credentials(scope)
        if refusal is not None:
            await refusal(scope, None, send)
            return
        await Protected(self, keys).run(scope, receive, send)

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

    def _credentials(self, scope: Scope) -> tuple[Credentials | None, Refusal | None]:
        """The request's API keys as digests, read once, before its body, and the refusal
        to send instead of serving it, if any. Refused here: a request whose places hold
        different keys (400, ``conflicting_credentials``) when no believed account header
        names the account; counted and audited in every mode, refused in enforce mode
        only. Never raises: a failure is counted and the keys left unread (``None``), for
        ``_decide`` to read again under ``_protect``'s guard. Synchronous: every protected
        request comes through here, and a coroutine per request for the rare refusal
        cost more than the read itself (``benchmarks/profile_path.py``)."""
        try:
            headers = scope["headers"]
            query = scope.get("query_string", b"")
            keys = self.key_places.read(headers, query, self.hash_key)
            if not keys.conflict:
                return keys, None
            client = scope.get("client")
            peer = client[0] if client else None
            named = self.trusted_headers.account is not None
            if named and self.trusted_headers.read(headers, peer).account is not None:
                return keys, None  # the account is named by the auth layer, not a key
            family = family_for_path(scope["path"])
            self.metrics.conflicting_credentials()
            self._audit_conflict(keys, request_ip(headers, peer, self.settings.trusted_proxies),
                                 family)  # fmt: skip
            if not self.enforce:
                return keys, None  # shadow: counted, audited; the first place's key counts
            body = family.error_body(
                INVALID,
                "The request carries different API keys in "
                f"{', '.join(keys.places)}; send one key.",
                "conflicting_credentials",
            )
            return None, Refusal(400, json_headers(body, (b"x-should-retry", b"false")), body)
        except Exception as exc:
            self._failure("decide", exc)
            return None, None

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

    async def _start_intel(self) -> None:
        """Start the intelligence plane's background tasks, once; a failure is logged,
        and requests go on with per-account decisions (no verdicts)."""
        self._intel_started = True
        every = self.settings.gc_freeze_seconds
        if every > 0 and self._gc_freezer is None:
            self._gc_freezer = asyncio.ensure_future(self._freeze_gc_every(every))
        try:
            await self.intel.start()
        except Exception as exc:
            self.log.error("antiextract.intel_unavailable", error=self._error_text(exc))

    async def _stop_intel(self) -> None:
        freezer, self._gc_freezer = self._gc_freezer, None
        if freezer is not None:
            freezer.cancel()
        try:
            await self.intel.stop()
        except Exception as exc:
            self.log.error("antiextract.intel_unavailable", error=self._error_text(exc))

    async def _freeze_gc_every(self, every: float) -> None:
        """GC_FREEZE_SECONDS: what the process holds goes to the permanent generation,
        every ``every`` seconds. CPython's full collection walks every tracked object,
        and the embedded store and analyser hold a few per account: at 200,000 entries one
        took over a second on the loaded test VM (benchmarks/gc_pause.py), a stall for
        every request on the loop. Frozen objects are never walked again; those that die
        are still freed by reference counting (the store's entries hold no cycles).
        Each freeze is preceded by a full collection, which walks only what is not frozen
        yet (what survived since the last freeze): garbage would otherwise be frozen with
        the rest and never reclaimed (without it, gc_pause.py's run ended with 200,000
        more tracked objects). The price: an object in a reference cycle that was alive
        at a freeze and dies later is never reclaimed (a few per freeze, from the
        requests in flight): opt-in."""
        while True:
            await asyncio.sleep(every)
            gc.collect()
            gc.freeze()

    def _emit(self, record: Record) -> None:
        """Hand a record to the intelligence plane: never waits, never fails a request."""
        try:
            self.intel.emit(record)
        except Exception as exc:
            self._failure("emit", exc)

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
        campaigns: CampaignCharge | None = None,
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
                raise StoreDown(breaker.retry_in())
            return await fallback.evaluate(account, ip, cost, now, risk_in, campaigns), fallback
        started = time.perf_counter()
        try:
            if self.store.refunds_when_cancelled:  # no task, no shield needed (_shielded)
                outcome = await self.store.evaluate(account, ip, cost, now, risk_in, campaigns)
            else:
                outcome = await self._shielded(account, ip, cost, now, risk_in, campaigns)
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
                raise StoreDown(breaker.retry_in()) from exc
            return await fallback.evaluate(account, ip, cost, now, risk_in, campaigns), fallback
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
        campaigns: CampaignCharge | None,
    ) -> Outcome:
        """The store call, finished even if this request is cancelled meanwhile (a client
        gone, a shutdown): once sent, the script runs; what it reserved is then refunded.
        A store that does that itself (``refunds_when_cancelled``) is awaited directly by
        ``_evaluate``, never through here: a task and a shield cost ~45 µs a request
        (benchmarks/latency.py), and this coroutine's own frame a few more."""
        store = self.store
        task = asyncio.ensure_future(store.evaluate(account, ip, cost, now, risk_in, campaigns))
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

    def _error_text(self, exc: BaseException) -> str:
        """An exception's text for a log line: credentials masked (a store's error may
        quote its URI), then cut short."""
        return redact(str(exc), self._secrets)[:200]

    def _sampled(self) -> bool:
        rate = self.settings.audit_sample_rate
        return rate > 0 and random.random() < rate


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


class _LifespanWatch:
    """Starts the intelligence plane with the server; at shutdown stops it (flushing what
    it buffered) and flushes pending settlements."""

    __slots__ = ("mw", "receive")

    def __init__(self, receive: Receive, mw: AntiExtractMiddleware) -> None:
        self.receive, self.mw = receive, mw

    async def __call__(self) -> Message:
        message = await self.receive()
        mw = self.mw
        if message["type"] == "lifespan.startup" and not mw._intel_started:
            await mw._start_intel()
        elif message["type"] == "lifespan.shutdown":
            await mw._stop_intel()
            store = mw.store
            try:
                await store.flush()
            except Exception:
                _internal.exception("antiextract: flushing settlements at shutdown failed")
            if store.settlements_pending:
                _internal.warning(
                    "antiextract: %d settlements could not reach the store before shutdown",
                    store.settlements_pending,
                )
        return message
