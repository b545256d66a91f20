"""Issue 14, point 4: metrics on a listener of their own (ANTIEXTRACT_METRICS_PORT, on
ANTIEXTRACT_METRICS_HOST, loopback by default), never on the gateway's client port.

In-process here (the listener, the gateway's lifespan, the gateway under uvicorn);
tests/test_gateway_process.py runs ``antiextract proxy`` as deployed."""

from __future__ import annotations

import contextlib
import io
import socket
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from antiextract import Settings
from antiextract.audit import make_logger
from antiextract.metrics import Metrics, MetricsListener
from antiextract.ops.proxy import Gateway, ProxyApp, build_gateway
from antiextract.settings import SettingsError, load_settings

from .servers import serve
from .test_proxy import echo_app, serve_gateway


@pytest.fixture
def taken() -> Iterator[int]:
    """A loopback port something else listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        yield sock.getsockname()[1]


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def samples(text: str, name: str) -> dict[tuple[tuple[str, str], ...], float]:
    return {
        tuple(sorted(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name == name
    }


def refused(url: str) -> bool:
    try:
        httpx.get(url, trust_env=False, timeout=2)
    except httpx.ConnectError:
        return True
    return False


# --------------------------------------------------------------------------- the listener


def test_listener_serves_its_registry_on_loopback_and_stops() -> None:
    metrics = Metrics()
    metrics.decision("throttle", ("token_budget",), "openai.chat", True, 1e-4, "memory")
    listener = MetricsListener(metrics.registry, 0)
    listener.start()
    host, port = listener.address
    assert host == "127.0.0.1"  # the default: not public unless the operator says so
    url = f"http://127.0.0.1:{port}/metrics"
    try:
        response = httpx.get(url, trust_env=False)
        assert response.status_code == 200
        assert response.headers["content-type"].startswith("text/plain; version=")
        decisions = samples(response.text, "antiextract_decisions_total")
        assert decisions[
            (("action", "throttle"), ("api", "openai.chat"), ("enforced", "true"),
             ("reason", "token_budget"))
        ] == 1  # fmt: skip
        assert httpx.post(url, trust_env=False).status_code == 405
    finally:
        listener.stop()
    assert refused(url)
    listener.stop()  # idempotent


def test_one_listener_per_address_per_process(taken: int) -> None:
    metrics, other = Metrics(), Metrics()
    port = free_port()
    first = MetricsListener(metrics.registry, port)
    second = MetricsListener(metrics.registry, port)  # e.g. the middleware's lifespan too
    first.start()
    try:
        second.start()  # shares the running server
        with pytest.raises(OSError, match=f"127.0.0.1:{port}: this process already serves"):
            MetricsListener(other.registry, port).start()
        first.stop()
        assert httpx.get(f"http://127.0.0.1:{port}/", trust_env=False).status_code == 200
    finally:
        first.stop()
        second.stop()
    assert refused(f"http://127.0.0.1:{port}/")
    with pytest.raises(OSError, match=f"cannot serve metrics on 127.0.0.1:{taken}"):
        MetricsListener(metrics.registry, taken).start()


# --------------------------------------------------------------------------- the setting


@pytest.mark.parametrize("value", ["abc", "0", "-1", "65536", "8080.5"])
def test_a_bad_metrics_port_stops_start_up(value: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTIEXTRACT_METRICS_PORT", value)
    with pytest.raises(SettingsError, match=f"ANTIEXTRACT_METRICS_PORT='{value}'"):
        load_settings()


def test_metrics_settings_defaults(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ANTIEXTRACT_METRICS_PORT", "")  # blank: unset
    s = load_settings()
    assert s.metrics_port is None and s.metrics_host == "127.0.0.1"
    monkeypatch.setenv("ANTIEXTRACT_METRICS_PORT", "9464")
    assert load_settings().metrics_port == 9464


# --------------------------------------------------------------------------- the gateway


def gateway_settings(**kw: Any) -> Settings:
    return Settings(storage_uri="memory://", account_limits="", ip_limits="", **kw)


async def lifespan(app: Any, started: Any = None) -> list[dict[str, Any]]:
    """Drive ``app``'s lifespan as uvicorn does: startup, then shutdown if it started;
    ``started()`` runs in between."""
    inbox = [{"type": "lifespan.startup"}]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return inbox.pop(0)

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)
        if message["type"] == "lifespan.startup.complete":
            if started is not None:
                started()
            inbox.append({"type": "lifespan.shutdown"})
        elif message["type"] == "lifespan.startup.failed":
            raise RuntimeError("stop")  # uvicorn stops waiting for the app here

    with contextlib.suppress(RuntimeError):
        await app({"type": "lifespan", "asgi": {"version": "3.0"}}, receive, send)
    return sent


async def test_a_metrics_port_that_cannot_listen_fails_the_gateways_startup(taken: int) -> None:
    gateway = build_gateway(
        "http://127.0.0.1:9",
        gateway_settings(metrics_port=taken),
        logger=make_logger(stream=io.StringIO()),
    )
    (failed,) = await lifespan(gateway)
    assert failed["type"] == "lifespan.startup.failed"
    assert failed["message"] == (
        f"ANTIEXTRACT_METRICS_PORT={taken} with ANTIEXTRACT_METRICS_HOST=127.0.0.1: "
        f"cannot serve metrics on 127.0.0.1:{taken}: Address already in use"
    )


async def test_the_gateway_starts_and_stops_its_listener_with_its_lifespan() -> None:
    port = free_port()
    gateway = build_gateway(
        "http://127.0.0.1:9",
        gateway_settings(metrics_port=port),
        logger=make_logger(stream=io.StringIO()),
    )
    scraped: list[httpx.Response] = []
    sent = await lifespan(
        gateway, lambda: scraped.append(httpx.get(f"http://127.0.0.1:{port}/", trust_env=False))
    )
    assert [m["type"] for m in sent] == [
        "lifespan.startup.complete",
        "lifespan.shutdown.complete",
    ]
    (response,) = scraped
    assert response.status_code == 200 and "antiextract_decisions_total" in response.text
    assert refused(f"http://127.0.0.1:{port}/")  # stopped again at shutdown


def test_without_a_metrics_port_the_gateway_has_no_listener() -> None:
    gateway = build_gateway("http://127.0.0.1:9", gateway_settings())
    assert isinstance(gateway, Gateway) and gateway.app.metrics_listener is None
    assert isinstance(gateway.proxy, ProxyApp)


def test_the_one_line_middleware_integration_serves_metrics_on_its_port(monkeypatch) -> None:
    """`app.add_middleware(AntiExtractMiddleware)` (FastAPI, vLLM's --middleware) has no
    handle on the middleware: ANTIEXTRACT_METRICS_PORT was read by the gateway only, and
    silently ignored here. The middleware now starts the listener with the host's
    lifespan and stops it at shutdown."""
    from fastapi import FastAPI

    from antiextract import AntiExtractMiddleware

    port = free_port()
    monkeypatch.setenv("ANTIEXTRACT_METRICS_PORT", str(port))
    app = FastAPI()

    @app.post("/v1/chat/completions")
    async def chat() -> dict:
        return {"choices": [], "usage": {"prompt_tokens": 3, "completion_tokens": 2}}

    app.add_middleware(AntiExtractMiddleware)
    body = b'{"model":"m","messages":[{"role":"user","content":"hi"}]}'
    with serve(app, lifespan="on") as url:
        for _ in range(2):
            assert httpx.post(f"{url}/v1/chat/completions", content=body).status_code == 200
        text = httpx.get(f"http://127.0.0.1:{port}/metrics", trust_env=False).text
        assert httpx.get(f"{url}/metrics", trust_env=False).status_code == 404
    decisions = samples(text, "antiextract_decisions_total")
    allow = (("action", "allow"), ("api", "openai.chat"), ("enforced", "true"), ("reason", "allow"))
    assert decisions[allow] == 2
    assert refused(f"http://127.0.0.1:{port}/metrics")  # stopped with the lifespan


@pytest.fixture(scope="module")
def metered() -> Iterator[tuple[str, str]]:
    """(gateway url, metrics url): the echo upstream behind a gateway with a metrics port."""
    port = free_port()
    with serve(echo_app) as upstream:
        app = build_gateway(
            upstream,
            gateway_settings(metrics_port=port),
            logger=make_logger(stream=io.StringIO()),
        )
        with serve_gateway(app) as url:
            yield url, f"http://127.0.0.1:{port}/metrics"
    assert refused(f"http://127.0.0.1:{port}/metrics")  # the lifespan shutdown stopped it


@pytest.mark.parametrize("path", ["/antiextract/metrics", "/metrics"])
def test_the_client_port_serves_no_metrics(metered: tuple[str, str], path: str) -> None:
    url, _ = metered
    response = httpx.get(url + path, trust_env=False)
    # passed to the upstream like any other path: the echo app answers what it received
    assert response.json()["raw_path"] == path
    assert "antiextract_" not in response.text


def test_the_metrics_port_serves_the_request_counters(metered: tuple[str, str]) -> None:
    url, metrics_url = metered
    body = b'{"model":"m","messages":[{"role":"user","content":"hi"}]}'
    for _ in range(3):
        assert httpx.post(f"{url}/v1/chat/completions", content=body).status_code == 200
    text = httpx.get(metrics_url, trust_env=False).text
    decisions = samples(text, "antiextract_decisions_total")
    allow = (("action", "allow"), ("api", "openai.chat"), ("enforced", "true"), ("reason", "allow"))
    assert decisions[allow] == 3
    assert samples(text, "antiextract_added_latency_seconds_count") == {(("store", "memory"),): 3}
