"""A reverse-proxy gateway: the same protection for model servers that are not Python.

TGI, llama.cpp, Ollama or a cloud endpoint cannot load an ASGI middleware, so the
gateway runs in front of them: ``AntiExtractMiddleware(ProxyApp(upstream))``. Every HTTP
request (any method, path and query) is forwarded over one pooled ``httpx.AsyncClient``;
request and response bodies are streamed chunk by chunk, never buffered here (the
middleware itself inspects at most ``inspect_max_bytes`` of a protected request), and
response bytes are passed through raw, so ``Content-Encoding`` is untouched.

Run it with ``antiextract proxy --upstream http://127.0.0.1:8000`` or
``ANTIEXTRACT_UPSTREAM=... antiextract proxy``; every ``ANTIEXTRACT_*`` setting applies.

Only an origin-form request-target (a path starting with ``/``, without a ``#fragment``)
is forwarded; anything else is answered 400 here (:func:`origin_form`). The server keeps
what the client wrote (h11 keeps ``#x`` and a target such as ``@host:port/x`` in the
path), and the upstream URL is made of the upstream's scheme, host and port and the
target as its path and query, never by joining strings, so no target can name another
host (``http://upstream@host:port/x``) or reach a protected route the middleware did not
see as one (httpx drops ``#x``).

The upstream is told only what the gateway believed: the auth layer's headers (account,
creation time, tier) are forwarded only from a peer in ``TRUSTED_PROXIES`` (any peer when
it is unset) and only when sent once, and the client-written ``X-Forwarded-For``,
``Forwarded`` and ``X-Real-IP`` only from such a peer. Metrics are never served on the
client port: ``ANTIEXTRACT_METRICS_PORT`` starts a listener of their own.
"""

from __future__ import annotations

import copy
import logging
import os
import socket
from collections.abc import AsyncIterator, Iterable
from http.cookiejar import CookieJar
from typing import Any
from urllib.parse import unquote_plus

import anyio
import httpx

from ..redact import mask_uri, redact, uri_secrets
from ..request.apis import INVALID, UNAVAILABLE, family_for_path
from ..request.identity import TrustedHeaders
from ..request.middleware import AntiExtractMiddleware, ASGIApp, Receive, Scope, Send
from ..settings import DEFAULT_API_KEY_QUERY_PARAMS, Settings, SettingsError, load_settings

UPSTREAM_ENV = "ANTIEXTRACT_UPSTREAM"
HEALTH_PATH = "/antiextract/healthz"

# Generation can take minutes before the first byte of a non-streamed answer; connecting
# and waiting for a free pooled connection should not.
DEFAULT_TIMEOUT = httpx.Timeout(600.0, connect=10.0, pool=30.0)
# Below the 5 s idle timeout of uvicorn and llama.cpp, so an idle pooled connection is
# dropped by us before the upstream closes it under a request.
KEEPALIVE_EXPIRY = 4.0

# RFC 9110 §7.6.1 hop-by-hop fields, plus the non-standard Proxy-Connection.
HOP_BY_HOP = frozenset(
    {
        b"connection",
        b"keep-alive",
        b"proxy-authenticate",
        b"proxy-authorization",
        b"proxy-connection",
        b"te",
        b"trailer",
        b"transfer-encoding",
        b"upgrade",
    }
)
# Host is rewritten by httpx to the upstream's; Expect was already answered by our server;
# the X-Forwarded-* fields are rebuilt below.
_REQUEST_DROP = HOP_BY_HOP | {
    b"host",
    b"expect",
    b"x-forwarded-for",
    b"x-forwarded-host",
    b"x-forwarded-proto",
}
# Where a client says who it is forwarded for; believed, and forwarded, only from a peer
# in TRUSTED_PROXIES when that is set (X-Forwarded-For is rebuilt in any case).
_CLIENT_CHAIN = frozenset({b"forwarded", b"x-real-ip"})
# Like nginx: the server running the gateway writes its own Date (and Server, if any).
_RESPONSE_DROP = HOP_BY_HOP | {b"date", b"server"}

# How uvicorn serves the gateway (run_proxy): the middleware decides which X-Forwarded-For
# to believe (ANTIEXTRACT_TRUSTED_PROXIES), so uvicorn must not rewrite the peer address
# first; lifespan closes the pooled upstream connections at shutdown.
SERVER_OPTIONS: dict[str, Any] = {"lifespan": "on", "proxy_headers": False, "server_header": False}

_log = logging.getLogger("antiextract.ops.proxy")


class _ClientGone(Exception):
    """The client disconnected while its request body was still being forwarded."""


class _NoCookies(CookieJar):
    """The shared client must not collect upstream cookies: they belong to end users."""

    def extract_cookies(self, response: Any, request: Any) -> None:
        return None

    def set_cookie(self, cookie: Any) -> None:
        return None


class ProxyApp:
    """Pure ASGI app forwarding every HTTP request to ``upstream``.

    ``upstream`` is an absolute ``http(s)://host[:port][/prefix]`` URL; a prefix is put in
    front of every forwarded path. ``timeout`` and ``max_connections`` configure the
    client the app creates (and closes at lifespan shutdown or :meth:`aclose`); a
    ``client`` passed in is used as is and left open. ``trust`` names the headers only a
    trusted peer may set (see :func:`forward_headers`); ``None`` forwards them all.

    Failures before the upstream answered become errors in the API family's own format:
    502 (unreachable, connection refused or reset), 504 (timed out), 503 (no free pooled
    connection in time). Upstream 4xx/5xx answers are passed through unchanged. If the
    upstream fails after its response started, the client's connection is aborted so the
    truncation is visible to it, and never left hanging.
    """

    def __init__(
        self,
        upstream: str,
        *,
        timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
        max_connections: int = 100,
        client: httpx.AsyncClient | None = None,
        trust: TrustedHeaders | None = None,
    ) -> None:
        url = _check_upstream(upstream)
        self.upstream = upstream
        self.trust = trust
        self._base = url.copy_with(raw_path=b"/")  # the scheme, host and port, fixed
        self._prefix = url.raw_path.rstrip(b"/")
        self._owns_client = client is None
        self.client = client or httpx.AsyncClient(
            timeout=timeout,
            limits=httpx.Limits(
                max_connections=max_connections,
                max_keepalive_connections=max_connections,
                keepalive_expiry=KEEPALIVE_EXPIRY,
            ),
            cookies=_NoCookies(),
            follow_redirects=False,
            trust_env=False,  # no proxy or netrc from the environment on the hot path
        )

    async def aclose(self) -> None:
        """Close the pooled connections (only of a client this app created)."""
        if self._owns_client:
            await self.client.aclose()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        kind = scope["type"]
        if kind == "http":
            await self._proxy(scope, receive, send)
        elif kind == "lifespan":
            await self._lifespan(receive, send)
        elif kind == "websocket":
            await receive()  # websocket.connect
            await send({"type": "websocket.close", "code": 1008})  # not proxied: HTTP 403

    async def _lifespan(self, receive: Receive, send: Send) -> None:
        while True:
            message = await receive()
            if message["type"] == "lifespan.startup":
                await send({"type": "lifespan.startup.complete"})
            elif message["type"] == "lifespan.shutdown":
                try:
                    await self.aclose()
                except Exception:
                    _log.exception("antiextract: closing the upstream client failed")
                await send({"type": "lifespan.shutdown.complete"})
                return

    def url_for(self, scope: Scope) -> httpx.URL:
        """The upstream URL of a request: the upstream's scheme, host and port, and as its
        path and query the prefix + the raw path as received + the query. Built from
        parts: a target that is not a path (``@host:port/x``) or holds a fragment raises
        ``httpx.InvalidURL``, and none can change where the request goes."""
        raw = scope.get("raw_path")
        path = raw if raw else _quote_path(scope["path"]).encode("ascii")
        query = scope.get("query_string", b"")
        target = self._prefix + path + (b"?" + query if query else b"")
        return self._base.copy_with(raw_path=target)

    async def _proxy(self, scope: Scope, receive: Receive, send: Send) -> None:
        if not origin_form(scope):
            await _bad_target(send, scope["path"])
            return
        first = await receive()
        if first["type"] != "http.request":
            return  # gone before sending anything
        body_sent = anyio.Event()
        content: bytes | AsyncIterator[bytes] = first.get("body", b"")
        if first.get("more_body", False):
            content = _body_stream(content, receive, body_sent)
        else:
            body_sent.set()
        try:
            request = httpx.Request(
                scope["method"],
                self.url_for(scope),
                headers=forward_headers(scope, self.trust),
                content=content,
            )
        except httpx.InvalidURL:
            await _error(send, scope["path"], 400, "The request path cannot be forwarded.")
            return
        failure: Exception | None = None
        async with anyio.create_task_group() as group:
            group.start_soon(_cancel_on_disconnect, receive, body_sent, group.cancel_scope)
            try:
                await self._exchange(scope, request, send, body_sent)
            except Exception as exc:  # raised after the task group, never as an ExceptionGroup
                failure = exc
            finally:
                group.cancel_scope.cancel()
        if failure is not None:
            raise failure

    async def _exchange(
        self, scope: Scope, request: httpx.Request, send: Send, body_sent: anyio.Event
    ) -> None:
        path = scope["path"]
        try:
            response = await self.client.send(request, stream=True)
        except _ClientGone:
            return
        except httpx.PoolTimeout:
            _log.warning("antiextract: no free upstream connection for %s %s", request.method, path)
            await _error(send, path, 503, "The gateway is busy; retry shortly.", "upstream_busy")
            return
        except httpx.TimeoutException as exc:
            _log.warning("antiextract: upstream timed out on %s %s: %r", request.method, path, exc)
            await _error(
                send, path, 504, "The model server did not answer in time.", "upstream_timeout"
            )
            return
        except httpx.TransportError as exc:
            _log.warning("antiextract: upstream failed on %s %s: %r", request.method, path, exc)
            await _error(
                send, path, 502, "The model server could not be reached.", "upstream_unreachable"
            )
            return
        body_sent.set()  # the upstream answered: the request body is no longer being read
        try:
            await send(
                {
                    "type": "http.response.start",
                    "status": response.status_code,
                    "headers": backward_headers(response.headers.raw),
                }
            )
            try:
                async for chunk in response.aiter_raw():
                    await send({"type": "http.response.body", "body": chunk, "more_body": True})
            except httpx.TransportError as exc:
                # Ending the body normally would make a truncated answer look complete.
                _log.warning(
                    "antiextract: upstream broke off %s %s mid-response: %r",
                    request.method,
                    path,
                    exc,
                )
                raise
            await send({"type": "http.response.body", "body": b"", "more_body": False})
        finally:
            with anyio.move_on_after(5, shield=True):
                await response.aclose()


class Gateway:
    """Answers :data:`HEALTH_PATH` itself; everything else goes to ``app``. (Metrics are
    served by the middleware's own listener, ``ANTIEXTRACT_METRICS_PORT``, never on the
    client port.)"""

    def __init__(self, app: ASGIApp, proxy: ProxyApp, health_path: str = HEALTH_PATH) -> None:
        self.app = app
        self.proxy = proxy
        self.health_path = health_path

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and not origin_form(scope):
            await _bad_target(send, scope["path"])  # before the middleware: never charged
            return
        if scope["type"] == "http" and scope["path"] == self.health_path:
            if scope["method"] in ("GET", "HEAD"):
                await _respond(send, 200, b'{"status":"ok"}')
            else:
                await _respond(send, 405, b'{"status":"method not allowed"}', allow=b"GET, HEAD")
            return
        await self.app(scope, receive, send)


def build_gateway(
    upstream: str,
    settings: Settings | None = None,
    *,
    timeout: httpx.Timeout | float = DEFAULT_TIMEOUT,
    max_connections: int = 100,
    client: httpx.AsyncClient | None = None,
    logger: Any = None,
) -> Gateway:
    """``AntiExtractMiddleware(ProxyApp(upstream))`` plus a health check at HEALTH_PATH.

    ``settings=None`` reads ``ANTIEXTRACT_*`` like the middleware does; ``logger`` is the
    middleware's audit logger (default: from the settings).
    """
    s = settings if settings is not None else load_settings()
    proxy = ProxyApp(
        upstream,
        timeout=timeout,
        max_connections=max_connections,
        client=client,
        trust=TrustedHeaders.from_settings(s),
    )
    protected = AntiExtractMiddleware(proxy, s, logger=logger)
    return Gateway(protected, proxy)


def run_proxy(
    upstream: str | None = None,
    host: str = "127.0.0.1",
    port: int = 8080,
    settings: Settings | None = None,
    *,
    timeout: float | None = None,
    max_connections: int = 100,
    log_level: str = "info",
) -> None:
    """Serve the gateway under uvicorn until interrupted.

    ``upstream=None`` reads ``ANTIEXTRACT_UPSTREAM``. A missing or malformed upstream, or a
    bad ``ANTIEXTRACT_*`` value (a metrics port equal to ``port`` included), raises
    :class:`SettingsError` before anything listens; so does a client or metrics port that
    cannot be bound (both are bound before the start-up line says where they are).
    ``timeout`` (seconds) replaces every part of :data:`DEFAULT_TIMEOUT`.
    """
    import uvicorn

    upstream = upstream or os.environ.get(UPSTREAM_ENV, "").strip()
    if not upstream:
        raise SettingsError(
            f"no upstream: pass one or set {UPSTREAM_ENV}, e.g. {UPSTREAM_ENV}=http://127.0.0.1:8000"
        )
    try:
        _check_upstream(upstream)
    except ValueError as exc:
        shown, reason = mask_uri(upstream), redact(str(exc), uri_secrets(upstream))
        raise SettingsError(f"invalid upstream {shown!r}: {reason}") from None
    settings = settings if settings is not None else load_settings()
    if settings.metrics_port == port:
        raise SettingsError(
            f"ANTIEXTRACT_METRICS_PORT={port} is the gateway's client port: metrics need a "
            "port of their own (or leave it unset for none)"
        )
    try:
        app = build_gateway(
            upstream,
            settings,
            timeout=DEFAULT_TIMEOUT if timeout is None else timeout,
            max_connections=max_connections,
        )
    except ValueError as exc:  # e.g. a store the settings accepted and its client did not
        reason = redact(str(exc), settings.secret_texts())
        raise SettingsError(f"invalid antiextract configuration: {reason}") from None
    # Bind both ports before saying where anything is: a taken port is one line and exit
    # status 2 (as any start-up error), never a banner followed by uvicorn's traceback.
    sock = _listen(host, port)
    listener = getattr(app.app, "metrics_listener", None)
    try:
        if listener is not None:
            try:
                listener.start()  # the lifespan's start() then finds it running
            except OSError as exc:
                raise SettingsError(
                    f"ANTIEXTRACT_METRICS_PORT={settings.metrics_port} with "
                    f"ANTIEXTRACT_METRICS_HOST={settings.metrics_host}: {exc.strerror or exc}"
                ) from None
        metrics = (
            f"metrics on http://{settings.metrics_host}:{settings.metrics_port}/metrics"
            if settings.metrics_port is not None
            else "no metrics listener (ANTIEXTRACT_METRICS_PORT unset)"
        )
        _log.warning(  # what an operator checks first: where requests go, where metrics are
            "antiextract gateway: %s:%d -> %s (store %s, mode %s); %s",
            host, port, mask_uri(upstream), mask_uri(settings.storage_uri), settings.mode,
            metrics,
        )  # fmt: skip
        config = uvicorn.Config(
            app,
            host=host,
            port=port,
            log_level=log_level,
            log_config=access_log_config(settings.api_key_query_params),
            **SERVER_OPTIONS,
        )
        server = uvicorn.Server(config)
        server.run(sockets=[sock])
        if not server.started:  # the lifespan failed; uvicorn logged why
            raise SettingsError("antiextract gateway: start-up failed (the line above says why)")
    finally:
        if listener is not None:
            listener.stop()
        sock.close()


def _listen(host: str, port: int) -> socket.socket:
    """The client socket, bound and listening, as uvicorn would bind it; a port that
    cannot be had raises :class:`SettingsError`, one line naming it."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(2048)
    except OSError as exc:
        sock.close()
        raise SettingsError(
            f"antiextract gateway: cannot listen on {host}:{port} (--port/--host): "
            f"{exc.strerror or exc}"
        ) from None
    sock.set_inheritable(True)
    return sock


def origin_form(scope: Scope) -> bool:
    """Whether the request-target is a path the gateway may forward: it starts with ``/``
    and holds no ``#`` (a fragment is never part of a request; a server that keeps it
    shows the middleware a path that is not the route the upstream serves). Absolute-form
    (``http://host/x``), authority-form and anything else is refused."""
    raw = scope.get("raw_path")
    target = raw if raw is not None else scope["path"].encode("utf-8", "surrogateescape")
    return (
        target.startswith(b"/")
        and b"#" not in target
        and b"#" not in scope.get("query_string", b"")
    )


class QueryRedaction(logging.Filter):
    """Masks the values of credential query parameters (``?key=AIza...``, Gemini's way of
    sending an API key, which LiteLLM accepts) in uvicorn's access-log lines, which quote
    the request-target: a raw API key must never reach a log."""

    def __init__(self, params: Iterable[str] = DEFAULT_API_KEY_QUERY_PARAMS) -> None:
        super().__init__()
        self.names = frozenset(p.lower() for p in (*DEFAULT_API_KEY_QUERY_PARAMS, *params))

    def filter(self, record: logging.LogRecord) -> bool:
        args = record.args
        if isinstance(args, tuple) and args:
            record.args = tuple(
                self.mask(a) if isinstance(a, str) and "?" in a else a for a in args
            )
        return True

    def mask(self, target: str) -> str:
        path, _, query = target.partition("?")
        pairs = []
        for pair in query.split("&"):
            name, equals, _ = pair.partition("=")
            if equals and unquote_plus(name).strip().lower() in self.names:
                pair = name + "=***"
            pairs.append(pair)
        return path + "?" + "&".join(pairs)


def access_log_config(params: Iterable[str] = DEFAULT_API_KEY_QUERY_PARAMS) -> dict[str, Any]:
    """uvicorn's own logging configuration, its access log filtered by
    :class:`QueryRedaction`."""
    from uvicorn.config import LOGGING_CONFIG

    config = copy.deepcopy(LOGGING_CONFIG)
    config.setdefault("filters", {})["credentials"] = {
        "()": QueryRedaction,
        "params": list(params),
    }
    config["loggers"]["uvicorn.access"]["filters"] = ["credentials"]
    return config


def forward_headers(scope: Scope, trust: TrustedHeaders | None = None) -> list[tuple[bytes, bytes]]:
    """The request's headers as the upstream gets them (httpx adds Host and framing).

    With ``trust``, the upstream is told only what the gateway believed: an auth header
    from an untrusted peer, or sent more than once, is dropped; so are the client-written
    X-Forwarded-For, Forwarded and X-Real-IP from a peer outside TRUSTED_PROXIES (when it
    is set): X-Forwarded-For then holds the peer's address alone.
    """
    headers: list[tuple[bytes, bytes]] = scope["headers"]
    named = _connection_tokens(headers)
    client = scope.get("client")
    drop: frozenset[bytes] = frozenset()
    if any(key == b"transfer-encoding" for key, _ in headers):
        # Both framings (a request-smuggling shape): the server read the body as chunked,
        # as RFC 9112 says; a Content-Length forwarded beside the streamed body made the
        # upstream request fail (a 500) or, on a lenient upstream, frame it differently.
        drop = frozenset({b"content-length"})
    if trust is not None:
        peer = str(client[0]) if client else None
        drop = drop | trust.unbelieved(headers, peer)
        if not trust.believes(peer):
            drop = drop | _CLIENT_CHAIN | {b"x-forwarded-for"}
    out: list[tuple[bytes, bytes]] = []
    forwarded: list[bytes] = []
    host = None
    for key, value in headers:
        if key in _REQUEST_DROP or key in named or key in drop:
            if key == b"x-forwarded-for" and key not in drop:
                forwarded.append(value)
            elif key == b"host":
                host = value
            continue
        out.append((key, value))
    if client:
        forwarded.append(str(client[0]).encode("latin-1"))
    if forwarded:
        out.append((b"x-forwarded-for", b", ".join(forwarded)))
    out.append((b"x-forwarded-proto", scope.get("scheme", "http").encode("latin-1")))
    if host is not None:
        out.append((b"x-forwarded-host", host))
    return out


def backward_headers(raw: list[tuple[bytes, bytes]]) -> list[tuple[bytes, bytes]]:
    """The upstream's response headers as the client gets them, names lower-cased (ASGI)."""
    lowered = [(key.lower(), value) for key, value in raw]
    named = _connection_tokens(lowered)
    return [(k, v) for k, v in lowered if k not in _RESPONSE_DROP and k not in named]


def _connection_tokens(headers: list[tuple[bytes, bytes]]) -> frozenset[bytes]:
    """Header names listed in Connection, which are hop-by-hop too."""
    tokens: set[bytes] = set()
    for key, value in headers:
        if key == b"connection":
            tokens.update(t.strip().lower() for t in value.split(b","))
    return frozenset(tokens)


async def _body_stream(first: bytes, receive: Receive, done: anyio.Event) -> AsyncIterator[bytes]:
    """The request body as it arrives; a disconnect aborts the upstream request."""
    try:
        if first:
            yield first
        while True:
            message = await receive()
            if message["type"] != "http.request":
                raise _ClientGone
            chunk = message.get("body", b"")
            if chunk:
                yield chunk
            if not message.get("more_body", False):
                return
    finally:
        done.set()


async def _cancel_on_disconnect(
    receive: Receive, body_sent: anyio.Event, scope: anyio.CancelScope
) -> None:
    """Once the body is read, ``receive`` only reports the disconnect: stop everything then,
    which closes the upstream response (a model stops generating for a client who left)."""
    await body_sent.wait()
    try:
        while (await receive())["type"] != "http.disconnect":
            pass
    except Exception:
        return
    scope.cancel()


async def _error(send: Send, path: str, status: int, message: str, code: str | None = None) -> None:
    body = family_for_path(path).error_body(UNAVAILABLE, message, code)
    await _respond(send, status, body)


async def _bad_target(send: Send, path: str) -> None:
    body = family_for_path(path).error_body(
        INVALID,
        "The request target must be a path starting with '/', without a '#' fragment.",
        "invalid_request_target",
    )
    await _respond(send, 400, body)


async def _respond(send: Send, status: int, body: bytes, **extra: bytes) -> None:
    headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
    headers += [(k.encode("latin-1"), v) for k, v in extra.items()]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def _check_upstream(upstream: str) -> httpx.URL:
    try:
        url = httpx.URL(upstream)
    except httpx.InvalidURL as exc:
        raise ValueError(str(exc)) from None
    if url.scheme not in ("http", "https") or not url.host:
        raise ValueError("expected an absolute http:// or https:// URL, e.g. http://127.0.0.1:8000")
    if url.userinfo:
        raise ValueError("credentials in the URL are not supported")
    if url.query or url.fragment:
        raise ValueError("the upstream URL may have a path prefix but no query or fragment")
    return url


def _quote_path(path: str) -> str:
    from urllib.parse import quote

    return quote(path, safe="/:@!$&'()*+,;=~")


__all__ = [
    "DEFAULT_TIMEOUT",
    "HEALTH_PATH",
    "SERVER_OPTIONS",
    "UPSTREAM_ENV",
    "Gateway",
    "ProxyApp",
    "QueryRedaction",
    "access_log_config",
    "build_gateway",
    "origin_form",
    "run_proxy",
]
