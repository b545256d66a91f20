"""Prometheus metrics: what the middleware decided, what it cost, how the store behaves.

One :class:`Metrics` object per middleware, its collectors on a private
``CollectorRegistry``, and every one of them published on prometheus-client's default
registry (``prometheus_client.REGISTRY``) through one process-wide collector,
:class:`ProcessView`, registered there once. So a host that already serves the default
registry (vLLM's ``/metrics``, ``prometheus_client.make_asgi_app()``,
``start_http_server``) shows antiextract's metrics with no code, and any number of
middleware instances in one process (several apps, Starlette rebuilding its stack, a test
run) never collide: the view sums their counters and histograms and takes the largest of
their gauges at scrape time, and folds the totals of an instance that is garbage-collected
into what it reports, so a process's counters never go down. The recording path does not
know about the view; it costs nothing per request. ``Metrics(publish=False)`` keeps an
instance off it.

Every label value is drawn from a small fixed set; anything else becomes ``other``.
No account id, IP, key or free text ever reaches a label, so the number of series is
bounded whatever the traffic:

=========================================  =============================================
``antiextract_decisions_total``            ``action`` (allow, degrade, challenge,
                                           throttle, block), ``reason`` (token_budget,
                                           request_limit, campaign_budget, blocked,
                                           risk, allow),
                                           ``api`` (the API family), ``enforced``
``antiextract_added_latency_seconds``      histogram of the middleware's own decision
                                           time, ``store`` (memory, redis, fallback)
``antiextract_store_seconds``              histogram of the store round trip
``antiextract_store_errors_total``         ``kind`` (timeout, connection, response)
``antiextract_store_circuit_open``         1 while decisions are served by the local
                                           fallback because the store failed, else 0
``antiextract_store_fallback_total``       decisions the local fallback made
``antiextract_settlements_total``          ``outcome`` (settled, refunded, no_usage)
``antiextract_settled_tokens_total``       tokens charged at settlement (real usage)
``antiextract_challenges_total``           ``outcome`` (issued, solved, allowance,
                                           replayed, forged, expired, wrong_account,
                                           insufficient_work, malformed,
                                           store_unavailable)
``antiextract_campaigns_active``           flagged cohorts this process saw (15 min)
``antiextract_ignored_headers_total``      auth-layer headers not believed: ``header``
                                           (account, created, tier), ``reason``
                                           (untrusted_peer, repeated, invalid); never
                                           their value
=========================================  =============================================

The recording methods take plain values and are cheap (1.5 to 2 µs for
:meth:`Metrics.decision`, a counter and a histogram): labelled children are looked up once
and kept in dicts, because ``.labels()`` alone costs about 1 µs.

Serving, with the middleware added by ``app.add_middleware`` (no object in hand):
``app.mount("/metrics", metrics_app())`` (Starlette/FastAPI) or
``mount_metrics(app)`` (any ASGI app) serve the default registry, antiextract's view
included; with ``PROMETHEUS_MULTIPROC_DIR`` set they serve every worker's metrics added
up (prometheus-client's multiprocess mode). Given a :class:`Metrics`, they serve that
instance alone.

The metrics describe the protection itself (thresholds hit, challenge outcomes), so
serve them where only the monitoring system can reach them: :class:`MetricsListener` serves
them on a port of their own (``ANTIEXTRACT_METRICS_PORT``, on 127.0.0.1 unless
``ANTIEXTRACT_METRICS_HOST`` says otherwise); the gateway starts one and serves no metrics
on its client port.

Several worker processes (``uvicorn --workers N``, gunicorn, vLLM's API server count):
each keeps its own values unless prometheus-client's multiprocess mode is on — set
``PROMETHEUS_MULTIPROC_DIR`` to an empty directory before the workers start, and serve
:func:`metrics_app` (or the host's multiprocess-aware endpoint, as vLLM's is): counters
and histograms are summed across workers, the two gauges report the largest live value.
``ANTIEXTRACT_METRICS_PORT`` is one port per process, so leave it unset with several
workers.
"""

from __future__ import annotations

import os
import threading
import weakref
from collections import deque
from collections.abc import Awaitable, Callable, Iterable, Iterator, MutableMapping
from typing import Any

import anyio
import prometheus_client
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    start_http_server,
)
from prometheus_client.metrics_core import Metric

from .vocab import ACTIONS, API_NAMES, AUTH_HEADERS, IGNORED_REASONS

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

OTHER = "other"
"""The label value of anything outside a label's known set."""

REASONS = ("token_budget", "request_limit", "campaign_budget", "blocked", "risk", "allow",
           "store_unavailable", "internal_error", OTHER)  # fmt: skip
UNAVAILABLE = "unavailable"  # the action of FAIL_MODE=closed's 503
APIS = (*API_NAMES, OTHER)
STORES = ("memory", "redis", "fallback", OTHER)
STORE_ERRORS = ("timeout", "connection", "response", OTHER)
SETTLEMENTS = ("settled", "refunded", "no_usage", OTHER)
STAGES = ("decide", "degrade_filter", "settle", "refund", "audit", OTHER)
CHALLENGES = (
    "issued",
    "solved",
    "allowance",
    "replayed",
    "forged",
    "expired",
    "wrong_account",
    "insufficient_work",
    "malformed",
    "store_unavailable",
    OTHER,
)

# 10 µs .. 50 ms, 1-2.5-5 per decade: the middleware's own time, store round trip included.
LATENCY_BUCKETS = (
    10e-6, 25e-6, 50e-6,
    100e-6, 250e-6, 500e-6,
    1e-3, 2.5e-3, 5e-3,
    10e-3, 25e-3, 50e-3,
)  # fmt: skip
# 25 µs .. 1 s: an in-process call, a Redis round trip, up to a timed-out one.
STORE_BUCKETS = (
    25e-6, 50e-6,
    100e-6, 250e-6, 500e-6,
    1e-3, 2.5e-3, 5e-3,
    10e-3, 25e-3, 50e-3,
    100e-3, 250e-3, 500e-3,
    1.0,
)  # fmt: skip

_ACTIONS = frozenset((*ACTIONS, UNAVAILABLE))
_APIS = frozenset(APIS)
_STORES = frozenset(STORES)
_STORE_ERRORS = frozenset(STORE_ERRORS)
_SETTLEMENTS = frozenset(SETTLEMENTS)
_CHALLENGES = frozenset(CHALLENGES)
_REASON_PREFIXES = (
    ("token_budget", "token_budget"),
    ("request_limit", "request_limit"),
    ("campaign_budget", "campaign_budget"),
    ("blocked", "blocked"),
    ("risk", "risk"),
    ("allow", "allow"),
    ("store_unavailable", "store_unavailable"),
    ("internal_error", "internal_error"),
)
_CACHE_MAX = 4096  # raw argument tuples remembered by decision(); cleared when full


def reason_category(reasons: tuple[str, ...]) -> str:
    """The bounded ``reason`` label of a decision's reasons: ``()`` -> allow,
    ``("request_limit:account-300-per-60s",)`` -> request_limit, ``("risk>=3.5",)`` ->
    risk, ``("campaign_budget", "campaign:<cohort>")`` -> campaign_budget; the first
    reason that falls in a category wins, else ``other``."""
    if not reasons:
        return "allow"
    for reason in reasons:
        if isinstance(reason, str):
            for prefix, category in _REASON_PREFIXES:
                if reason.startswith(prefix):
                    return category
    return OTHER


def error_kind(exc: BaseException) -> str:
    """The ``kind`` label of a store failure, from the exception or what it wraps:
    timeout, connection (refused, lost, reset) or response (an error reply)."""
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        names = [cls.__name__ for cls in type(current).__mro__]
        if isinstance(current, TimeoutError) or any("Timeout" in n for n in names):
            return "timeout"
        if isinstance(current, OSError) or any("Connection" in n for n in names):
            return "connection"
        if any(n in ("ResponseError", "RespError") for n in names):
            return "response"
        current = current.__cause__ or current.__context__
    return OTHER


def _bounded(value: Any, known: frozenset[str]) -> str:
    return value if isinstance(value, str) and value in known else OTHER


class Metrics:
    """The middleware's Prometheus metrics, on ``registry`` (a private one by default),
    published on the default registry through :class:`ProcessView` unless ``publish`` is
    false."""

    def __init__(self, registry: CollectorRegistry | None = None, *, publish: bool = True) -> None:
        if registry is prometheus_client.REGISTRY:
            raise ValueError(
                "Metrics publish on prometheus_client.REGISTRY by themselves (ProcessView): "
                "pass no registry"
            )
        self.registry = registry if registry is not None else CollectorRegistry(auto_describe=True)
        r = self.registry
        self.decisions = Counter(
            "antiextract_decisions",
            "Decisions taken on protected requests.",
            ("action", "reason", "api", "enforced"),
            registry=r,
        )
        self.added_latency = Histogram(
            "antiextract_added_latency_seconds",
            "Time the middleware spent deciding (body buffering and store call included).",
            ("store",),
            buckets=LATENCY_BUCKETS,
            registry=r,
        )
        self.store_seconds = Histogram(
            "antiextract_store_seconds",
            "Round trip of the store's evaluate call.",
            buckets=STORE_BUCKETS,
            registry=r,
        )
        self.store_errors = Counter(
            "antiextract_store_errors",
            "Store calls that failed.",
            ("kind",),
            registry=r,
        )
        self.circuit_open = Gauge(
            "antiextract_store_circuit_open",
            "1 while the store is bypassed for the local fallback after a failure, else 0.",
            registry=r,
            multiprocess_mode="livemax",
        )
        self.fallbacks = Counter(
            "antiextract_store_fallback",
            "Decisions made by the local fallback limits instead of the store.",
            registry=r,
        )
        self.settlements = Counter(
            "antiextract_settlements",
            "Settlements of protected requests after their response.",
            ("outcome",),
            registry=r,
        )
        self.settled_tokens = Counter(
            "antiextract_settled_tokens",
            "Tokens charged at settlement (the usage the responses reported).",
            registry=r,
        )
        self.challenges = Counter(
            "antiextract_challenges",
            "Proof-of-work challenges issued and solutions checked.",
            ("outcome",),
            registry=r,
        )
        self.internal_errors = Counter(
            "antiextract_internal_errors",
            "Failures inside antiextract (a bug or an input it did not expect), by stage: the "
            "request was passed through (FAIL_MODE=open) or refused with a 503 (closed).",
            ("stage",),
            registry=r,
        )
        self.campaigns_active = Gauge(
            "antiextract_campaigns_active",
            "Extraction campaigns currently tracked.",
            registry=r,
            multiprocess_mode="livemax",
        )
        self.ignored = Counter(
            "antiextract_ignored_headers",
            "Auth-layer headers (account, creation time, tier) not believed: from a peer "
            "outside TRUSTED_PROXIES, sent more than once, or unparsable.",
            ("header", "reason"),
            registry=r,
        )
        self.conflicts = Counter(
            "antiextract_conflicting_credentials",
            "Protected requests carrying different API keys in the places keys are read "
            "from (ANTIEXTRACT_API_KEY_HEADERS / API_KEY_QUERY_PARAMS): refused with 400 "
            "in enforce mode.",
            registry=r,
        )
        # the intelligence plane (intel/): one process's view, read from its IntelStats
        self.intel_lag = Gauge(
            "antiextract_intel_lag_seconds",
            "Age of the oldest record this process's analyser has not analysed yet (0: none "
            "waiting). Growing: the analyser is behind or down; the last verdicts hold until "
            "they expire (ANTIEXTRACT_VERDICT_TTL).",
            registry=r,
            multiprocess_mode="livemax",
        )
        self.intel_verdicts = Gauge(
            "antiextract_intel_verdicts",
            "Campaign verdicts live in this replica's cache.",
            registry=r,
            multiprocess_mode="livemax",
        )
        self.intel_records = Counter(
            "antiextract_intel_records",
            "Intelligence records by what became of them in this process: flushed (to the "
            "stream or the in-process analyser), analyzed, dropped (buffer full: oldest "
            "first), invalid (a stream entry that was no record).",
            ("outcome",),
            registry=r,
        )
        self.intel_records_dropped = Counter(
            "antiextract_intel_records_dropped",
            "Records dropped because the buffer was full (Redis down or slow), oldest first.",
            registry=r,
        )
        self.recorder_dropped = Counter(
            "antiextract_recorder_lines_dropped",
            "Requests the recorder (ANTIEXTRACT_RECORD_FILE) did not write: its writer was "
            "behind (queue bound in bytes reached), a write failed, or shutdown came first.",
            registry=r,
        )
        self._intel_seen: dict[str, int] = {}
        self._intel_children = {
            k: self.intel_records.labels(k) for k in ("flushed", "analyzed", "dropped", "invalid")
        }
        # Known, small label sets start at zero so rate() and absence alerts work at once.
        self._ignored = {
            (h, why): self.ignored.labels(h, why) for h in AUTH_HEADERS for why in IGNORED_REASONS
        }
        self._store_errors = {k: self.store_errors.labels(k) for k in STORE_ERRORS}
        self._settlements = {k: self.settlements.labels(k) for k in SETTLEMENTS}
        self._challenges = {k: self.challenges.labels(k) for k in CHALLENGES}
        self._internal_errors = {k: self.internal_errors.labels(k) for k in STAGES}
        self._decisions: dict[tuple[Any, ...], tuple[Any, Any, bool]] = {}
        self._decision_children: dict[tuple[str, str, str, str], Any] = {}
        self._latency_children: dict[str, Any] = {}
        if publish:
            PROCESS_VIEW.add(self)

    def decision(
        self,
        action: str,
        reasons: tuple[str, ...],
        api: str,
        enforced: bool,
        seconds: float,
        store: str,
    ) -> None:
        """One decision, the time it took and who made it (memory, redis or fallback)."""
        key = (action, reasons, api, enforced, store)
        try:
            found = self._decisions.get(key)
        except TypeError:  # unhashable arguments: label them, do not remember them
            found = self._children(action, reasons, api, enforced, store)
        else:
            if found is None:
                found = self._children(action, reasons, api, enforced, store)
                if len(self._decisions) >= _CACHE_MAX:
                    self._decisions.clear()
                self._decisions[key] = found
        counter, histogram, fallback = found
        counter.inc()
        histogram.observe(seconds)
        if fallback:
            self.fallbacks.inc()

    def _children(
        self, action: Any, reasons: Any, api: Any, enforced: Any, store: Any
    ) -> tuple[Any, Any, bool]:
        labels = (
            _bounded(action, _ACTIONS),
            reason_category(tuple(reasons) if isinstance(reasons, tuple | list) else ()),
            _bounded(api, _APIS),
            "true" if enforced else "false",
        )
        counter = self._decision_children.get(labels)
        if counter is None:
            counter = self._decision_children[labels] = self.decisions.labels(*labels)
        kind = _bounded(store, _STORES)
        histogram = self._latency_children.get(kind)
        if histogram is None:
            histogram = self._latency_children[kind] = self.added_latency.labels(kind)
        return counter, histogram, kind == "fallback"

    def store_call(self, seconds: float) -> None:
        """One round trip to the store (failed ones included)."""
        self.store_seconds.observe(seconds)

    def store_error(self, kind: str) -> None:
        """A failed store call: ``kind`` is timeout, connection or response (see
        :func:`error_kind`); anything else counts as ``other``."""
        child = self._store_errors.get(kind) if isinstance(kind, str) else None
        (child or self._store_errors[OTHER]).inc()

    def circuit(self, open_: bool) -> None:
        """Whether the store is being bypassed for the local fallback."""
        self.circuit_open.set(1 if open_ else 0)

    def settlement(self, outcome: str, tokens: float) -> None:
        """A settlement: settled (``tokens`` = the usage charged), refunded (the
        reservation given back) or no_usage (the response reported none); anything else
        counts as ``other``. ``tokens`` of zero or less add nothing."""
        child = self._settlements.get(outcome) if isinstance(outcome, str) else None
        (child or self._settlements[OTHER]).inc()
        if tokens > 0:
            self.settled_tokens.inc(tokens)

    def challenge(self, outcome: str) -> None:
        """A challenge issued, or the outcome of a solution or allowance check."""
        child = self._challenges.get(outcome) if isinstance(outcome, str) else None
        (child or self._challenges[OTHER]).inc()

    def internal_error(self, stage: str) -> None:
        """A failure inside antiextract at ``stage`` (see STAGES; anything else: other)."""
        child = self._internal_errors.get(stage) if isinstance(stage, str) else None
        (child or self._internal_errors[OTHER]).inc()

    def ignored_headers(self, ignored: Iterable[tuple[str, str]]) -> None:
        """Auth-layer headers a request carried that were not believed, as (header,
        reason) pairs from :meth:`antiextract.request.identity.TrustedHeaders.read`."""
        for key in ignored:
            child = self._ignored.get(key)
            if child is not None:
                child.inc()

    def conflicting_credentials(self) -> None:
        """A request whose API-key places disagree."""
        self.conflicts.inc()

    def campaigns(self, n: int) -> None:
        """The number of campaigns currently tracked."""
        self.campaigns_active.set(n)

    def intel(self, stats: Any, verdicts: int) -> None:
        """The intelligence plane's counters (``intel.plane.IntelStats``, cumulative) and
        its live verdicts; counters move by what changed since the last call."""
        self.intel_lag.set(stats.lag)
        self.intel_verdicts.set(verdicts)
        seen = self._intel_seen
        for outcome, child in self._intel_children.items():
            now = getattr(stats, outcome)
            delta = now - seen.get(outcome, 0)
            if delta > 0:
                child.inc(delta)
                if outcome == "dropped":
                    self.intel_records_dropped.inc(delta)
            seen[outcome] = now

    def exposition(self) -> bytes:
        """The Prometheus text exposition of this registry."""
        return generate_latest(self.registry)


_Key = tuple[str, tuple[tuple[str, str], ...]]  # (sample name, sorted labels)


class _Family:
    __slots__ = ("documentation", "name", "samples", "type", "unit")

    def __init__(self, metric: Metric) -> None:
        self.name, self.documentation = metric.name, metric.documentation
        self.type, self.unit = metric.type, metric.unit
        self.samples: dict[_Key, float] = {}


class ProcessView:
    """Every published :class:`Metrics` of this process as one set of metric families,
    for the default registry.

    A scrape collects each live instance's private registry and merges the samples of the
    same name and labels: counters and histograms are added (they count events of the
    same process), gauges take the largest value (the circuit is open if any instance's
    is; campaigns are the same campaigns seen from two instances, not more of them),
    ``_created`` the earliest. An instance that is garbage-collected leaves its counter
    and histogram totals behind (folded the next time the view is touched, never inside
    the garbage collector), so what Prometheus sees only goes up, as a counter must.

    Why a collector of collectors rather than one shared set of metrics: instances stay
    independent (a test reads exactly what its middleware did, a second middleware cannot
    skew the first's numbers), registration happens once whatever the number of
    instances (no "Duplicated timeseries"), and the request path pays nothing for it.
    """

    def __init__(self) -> None:
        self._lock = threading.RLock()
        self._live: dict[int, CollectorRegistry] = {}
        self._dead: deque[int] = deque()  # appended by finalizers (atomic), drained under lock
        self._retired: dict[str, _Family] = {}
        self._described: list[Metric] = []
        self._registered_on: CollectorRegistry | None = None
        self._next = 0

    def add(self, metrics: Metrics) -> None:
        """Publish ``metrics``: registers the view on the default registry the first time."""
        with self._lock:
            self._fold_dead()
            key = self._next = self._next + 1
            self._live[key] = metrics.registry
            if not self._described:
                self._described = [
                    Metric(m.name, m.documentation, m.type, m.unit)
                    for m in metrics.registry.collect()
                ]
            if self._registered_on is None:
                try:  # a name the host already registered raises here, at construction
                    prometheus_client.REGISTRY.register(self)
                except ValueError:
                    del self._live[key]
                    raise
                self._registered_on = prometheus_client.REGISTRY
        weakref.finalize(metrics, self._dead.append, key)

    def describe(self) -> list[Metric]:
        """The family names, so the registry refuses a second owner of any of them."""
        return list(self._described)

    def collect(self) -> Iterator[Metric]:
        with self._lock:
            self._fold_dead()
            registries = list(self._live.values())
            merged = {name: _copy(f) for name, f in self._retired.items()}
        for registry in registries:
            for metric in registry.collect():
                family = merged.get(metric.name)
                if family is None:
                    family = merged[metric.name] = _Family(metric)
                _merge(family, metric.samples, family.type)
        for family in merged.values():
            out = Metric(family.name, family.documentation, family.type, family.unit)
            for (name, labels), value in family.samples.items():
                out.add_sample(name, dict(labels), value)
            yield out

    def _fold_dead(self) -> None:
        while self._dead:
            registry = self._live.pop(self._dead.popleft(), None)
            if registry is None:
                continue
            for metric in registry.collect():
                if metric.type not in ("counter", "histogram", "summary"):
                    continue  # a gauge of a gone instance describes nothing any more
                family = self._retired.get(metric.name)
                if family is None:
                    family = self._retired[metric.name] = _Family(metric)
                _merge(family, metric.samples, metric.type)


def _copy(family: _Family) -> _Family:
    out = _Family.__new__(_Family)
    out.name, out.documentation = family.name, family.documentation
    out.type, out.unit = family.type, family.unit
    out.samples = dict(family.samples)
    return out


def _merge(family: _Family, samples: Iterable[Any], kind: str) -> None:
    into = family.samples
    for sample in samples:
        key = (sample.name, tuple(sorted(sample.labels.items())))
        old = into.get(key)
        if old is None:
            into[key] = sample.value
        elif sample.name.endswith("_created"):
            into[key] = min(old, sample.value)
        elif kind == "gauge":
            into[key] = max(old, sample.value)
        else:
            into[key] = old + sample.value


PROCESS_VIEW = ProcessView()
"""The one :class:`ProcessView` of this process, on ``prometheus_client.REGISTRY`` once
a :class:`Metrics` has been made."""


def process_registry() -> CollectorRegistry:
    """The registry to serve for "everything this process (or, in multiprocess mode, this
    server's workers) measured": the default registry, or with ``PROMETHEUS_MULTIPROC_DIR``
    set a fresh one reading every worker's files."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return registry
    return prometheus_client.REGISTRY


class MetricsApp:
    """ASGI app serving ``metrics`` (``None``: :func:`process_registry`) to ``GET``
    requests (any path: mount it where it belongs); other methods get 405."""

    __slots__ = ("metrics",)

    def __init__(self, metrics: Metrics | None = None) -> None:
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "http":
            if scope["method"] == "GET":
                if self.metrics is not None:
                    body = self.metrics.exposition()
                else:  # a scrape's worth of work, off the event loop
                    body = await anyio.to_thread.run_sync(_process_exposition)
                await _respond(send, 200, body, CONTENT_TYPE_LATEST.encode("latin-1"))
            else:
                await _respond(
                    send, 405, b"method not allowed\n", b"text/plain; charset=utf-8", b"GET"
                )
        elif kind == "lifespan":  # when served on its own
            while True:
                message = await receive()
                if message["type"] == "lifespan.startup":
                    await send({"type": "lifespan.startup.complete"})
                elif message["type"] == "lifespan.shutdown":
                    await send({"type": "lifespan.shutdown.complete"})
                    return
        elif kind == "websocket":
            await receive()  # websocket.connect
            await send({"type": "websocket.close", "code": 1008})


class MetricsMount:
    """Answers ``path`` with the metrics; every other request, and every lifespan or
    websocket message, goes to ``app`` untouched."""

    __slots__ = ("app", "metrics_app", "path")

    def __init__(
        self, app: ASGIApp, metrics: Metrics | None = None, path: str = "/metrics"
    ) -> None:
        self.app = app
        self.metrics_app = MetricsApp(metrics)
        self.path = path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] == self.path:
            await self.metrics_app(scope, receive, send)
            return
        await self.app(scope, receive, send)


class MetricsListener:
    """Serves ``registry`` on a listener of its own, off the port clients call.

    It is prometheus-client's own HTTP server in a daemon thread, chosen over a second
    uvicorn server because it needs nothing from the ASGI server or its event loop (the
    gateway, a middleware's lifespan or a worker start it the same way), binds
    synchronously (a port that cannot be had fails :meth:`start` at once, which stops
    start-up instead of serving without metrics), and brings content negotiation
    (OpenMetrics) and gzip that would otherwise be hand-written. It answers ``GET`` on
    any path.

    One server per address per process: starting a second listener on the same host and
    port with the same registry shares the running server, which stops with its last
    user; with another registry, :meth:`start` raises ``OSError`` like a taken port.
    """

    def __init__(self, registry: CollectorRegistry, port: int, host: str = "127.0.0.1") -> None:
        self.registry, self.port, self.host = registry, port, host
        self._key: tuple[str, int] | None = None

    @property
    def address(self) -> tuple[str, int]:
        """The (address, port) the socket is bound to: ``port=0`` takes a free one."""
        running = _SERVERS.get(self._key) if self._key is not None else None
        if running is None:
            raise RuntimeError("the metrics listener is not running")
        host, port = running.server.server_address[:2]
        return host, port

    def start(self) -> None:
        """Listen (idempotent). Raises ``OSError`` naming the address when it cannot."""
        if self._key is not None:
            return
        with _SERVERS_LOCK:
            key = (self.host, self.port)
            running = _SERVERS.get(key) if self.port else None
            if running is not None:
                if running.registry is not self.registry:
                    raise OSError(
                        f"cannot serve metrics on {self.host}:{self.port}: this process "
                        "already serves other metrics there"
                    )
                running.users += 1
                self._key = key
                return
            try:
                server, thread = start_http_server(self.port, self.host, self.registry)
            except OSError as exc:
                reason = exc.strerror or str(exc) or type(exc).__name__
                raise OSError(
                    exc.errno, f"cannot serve metrics on {self.host}:{self.port}: {reason}"
                ) from None
            key = (self.host, server.server_address[1])
            _SERVERS[key] = _Running(self.registry, server, thread)
            self._key = key

    def stop(self) -> None:
        """Stop listening (idempotent); blocks up to half a second for the server's loop."""
        with _SERVERS_LOCK:
            key, self._key = self._key, None
            running = _SERVERS.get(key) if key is not None else None
            if running is None:
                return
            running.users -= 1
            if running.users > 0:
                return
            del _SERVERS[key]  # type: ignore[arg-type]
        running.server.shutdown()
        running.server.server_close()
        running.thread.join(timeout=5)


class _Running:
    __slots__ = ("registry", "server", "thread", "users")

    def __init__(self, registry: CollectorRegistry, server: Any, thread: threading.Thread) -> None:
        self.registry, self.server, self.thread = registry, server, thread
        self.users = 1


_SERVERS: dict[tuple[str, int], _Running] = {}
_SERVERS_LOCK = threading.Lock()


def metrics_app(metrics: Metrics | None = None) -> MetricsApp:
    """An ASGI app serving ``metrics`` in the Prometheus text format (GET only); with no
    argument, everything on :func:`process_registry` (every middleware of the process,
    and the host's own metrics)."""
    return MetricsApp(metrics)


def mount_metrics(
    app: ASGIApp, metrics: Metrics | None = None, path: str = "/metrics"
) -> MetricsMount:
    """``app`` with ``GET path`` answered by the metrics (for apps that are not Starlette);
    ``metrics`` as in :func:`metrics_app`."""
    return MetricsMount(app, metrics, path)


def _process_exposition() -> bytes:
    return generate_latest(process_registry())


async def _respond(
    send: Send, status: int, body: bytes, ctype: bytes, allow: bytes | None = None
) -> None:
    headers = [
        (b"content-type", ctype),
        (b"content-length", b"%d" % len(body)),
        (b"cache-control", b"no-store"),
    ]
    if allow is not None:
        headers.append((b"allow", allow))
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


__all__ = [
    "APIS",
    "CHALLENGES",
    "LATENCY_BUCKETS",
    "OTHER",
    "PROCESS_VIEW",
    "REASONS",
    "SETTLEMENTS",
    "STORES",
    "STORE_BUCKETS",
    "STORE_ERRORS",
    "Metrics",
    "MetricsApp",
    "MetricsListener",
    "MetricsMount",
    "ProcessView",
    "error_kind",
    "metrics_app",
    "mount_metrics",
    "process_registry",
    "reason_category",
]


class ListenerLifespan:
    """``send`` for an app's lifespan: starts the metrics listener once the app has started
    (a listener that cannot start fails the startup, naming the setting, so the server
    exits instead of running without metrics) and stops it once the app has shut down.
    The middleware wraps its lifespan with it whenever ANTIEXTRACT_METRICS_PORT is set;
    a server run with lifespan off starts no listener."""

    __slots__ = ("listener", "send")

    def __init__(self, send: Send, listener: MetricsListener) -> None:
        self.send, self.listener = send, listener

    async def __call__(self, message: Message) -> None:
        kind = message["type"]
        if kind == "lifespan.startup.complete":
            try:
                self.listener.start()
            except OSError as exc:
                text = (  # the server logs it (uvicorn: then exits with status 3)
                    f"ANTIEXTRACT_METRICS_PORT={self.listener.port} with "
                    f"ANTIEXTRACT_METRICS_HOST={self.listener.host}: {exc.strerror or exc}"
                )
                message = {"type": "lifespan.startup.failed", "message": text}
        elif kind in ("lifespan.shutdown.complete", "lifespan.shutdown.failed"):
            await anyio.to_thread.run_sync(self.listener.stop)
        await self.send(message)
