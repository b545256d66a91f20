"""A real Prometheus (Debian's package) scrapes real uvicorn apps with the middleware on
loopback, and the series an on-call engineer reads are there with the values the traffic
made: decisions by action and reason, the added-latency histogram, store errors and the
breaker state, active campaigns; and a host app's own /metrics (the default registry)
shows both middlewares of the process added up."""

from __future__ import annotations

import io
import socket
import subprocess
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from fastapi import FastAPI

from antiextract import AntiExtractMiddleware, Settings
from antiextract.audit import make_logger
from antiextract.metrics import metrics_app

from .servers import serve
from .tools import tool

BODY = b'{"model":"m","messages":[{"role":"user","content":"hello"}]}'


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def model_app(settings: Settings, metrics_route: bool = False) -> FastAPI:
    """A FastAPI model with the middleware added the one-line way (no handle on it)."""
    app = FastAPI()

    @app.post("/v1/chat/completions")
    async def chat() -> dict[str, Any]:
        return {"choices": [], "usage": {"prompt_tokens": 3, "completion_tokens": 2}}

    app.add_middleware(  # type: ignore[arg-type]
        AntiExtractMiddleware, settings=settings, logger=make_logger(stream=io.StringIO())
    )
    if metrics_route:
        app.add_route("/metrics", metrics_app())  # the process: every middleware in it
    return app


@contextmanager
def prometheus(tmp: Path, jobs: dict[str, str]) -> Iterator[str]:
    """Debian's prometheus scraping ``jobs`` (name -> host:port/path) every second."""
    binary = tool("prometheus")
    lines = ["global:", "  scrape_interval: 1s", "  scrape_timeout: 1s", "scrape_configs:"]
    for name, target in jobs.items():
        address, _, path = target.partition("/")
        lines += [
            f"  - job_name: {name}",
            f"    metrics_path: /{path}",
            "    static_configs:",
            f"      - targets: ['{address}']",
        ]
    config = tmp / "prometheus.yml"
    config.write_text("\n".join(lines) + "\n")
    port = free_port()
    log = (tmp / "prometheus.log").open("wb")
    proc = subprocess.Popen(
        [
            binary,
            f"--config.file={config}",
            f"--storage.tsdb.path={tmp / 'data'}",
            f"--web.listen-address=127.0.0.1:{port}",
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()


def query(base: str, promql: str) -> dict[tuple[tuple[str, str], ...], float]:
    """An instant query's vector as {sorted labels: value} (empty while nothing matches)."""
    try:
        r = httpx.get(f"{base}/api/v1/query", params={"query": promql}, trust_env=False)
    except httpx.TransportError:
        return {}  # not listening yet
    if r.status_code != 200:
        return {}
    body = r.json()
    assert body["status"] == "success", body
    return {
        tuple(sorted(item["metric"].items())): float(item["value"][1])
        for item in body["data"]["result"]
    }


def wait_for(base: str, promql: str, check: Any, log: Path) -> dict[Any, float]:
    """Poll ``promql`` until ``check(result)`` holds; the deadline only guards a hung run
    (scrapes are every second), it measures nothing."""
    deadline = time.monotonic() + 60
    while True:
        result = query(base, promql)
        if result and check(result):
            return result
        if time.monotonic() > deadline:
            raise AssertionError(
                f"{promql} never satisfied the check; last {result}; prometheus log:\n"
                + log.read_text()[-3000:]
            )
        time.sleep(0.25)


def test_a_real_prometheus_scrapes_what_on_call_reads(tmp_path: Path) -> None:
    port_a, port_b = free_port(), free_port()
    dead = free_port()  # nothing listens: every Redis call fails (connection refused)
    common = {"mode": "enforce", "ip_limits": "", "audit_sample_rate": 0.0}
    healthy = Settings(account_limits="3/minute", metrics_port=port_a, **common)
    failing = Settings(
        storage_uri=f"redis://127.0.0.1:{dead}/0",
        account_limits="",
        metrics_port=port_b,
        store_timeout=0.2,
        store_retry_seconds=600,
        store_retry_max_seconds=600,
        **common,
    )
    app_a = model_app(healthy, metrics_route=True)
    app_b = model_app(failing)
    with serve(app_a, lifespan="on") as url_a, serve(app_b, lifespan="on") as url_b:
        statuses = [
            httpx.post(
                f"{url_a}/v1/chat/completions",
                content=BODY,
                headers={"authorization": "Bearer sk-prom-a"},
                trust_env=False,
            ).status_code
            for _ in range(5)
        ]
        assert statuses == [200, 200, 200, 429, 429]
        for _ in range(2):  # served on local limits (FAIL_MODE=open) while Redis is down
            r = httpx.post(
                f"{url_b}/v1/chat/completions",
                content=BODY,
                headers={"authorization": "Bearer sk-prom-b"},
                trust_env=False,
            )
            assert r.status_code == 200
        url_a_host = url_a.removeprefix("http://")
        jobs = {
            "gateway_a": f"127.0.0.1:{port_a}/metrics",
            "gateway_b": f"127.0.0.1:{port_b}/metrics",
            "host_app": f"{url_a_host}/metrics",
        }
        log = tmp_path / "prometheus.log"
        with prometheus(tmp_path, jobs) as base:
            up = wait_for(
                base, "up", lambda r: len(r) == 3 and all(v == 1 for v in r.values()), log
            )
            assert {dict(k)["job"] for k in up} == set(jobs)

            decisions = wait_for(
                base,
                'sum by (action, reason) (antiextract_decisions_total{job="gateway_a"})',
                lambda r: len(r) >= 2,
                log,
            )
            assert decisions[(("action", "allow"), ("reason", "allow"))] == 3
            assert decisions[(("action", "throttle"), ("reason", "request_limit"))] == 2

            latency = query(
                base,
                "histogram_quantile(0.99, sum by (le) "
                '(antiextract_added_latency_seconds_bucket{job="gateway_a"}))',
            )
            (p99,) = latency.values()
            assert 0 < p99 <= 0.05  # inside the buckets: a finite quantile of real decisions
            count = query(base, 'antiextract_added_latency_seconds_count{job="gateway_a"}')
            assert sum(count.values()) == 5

            errors = query(base, 'antiextract_store_errors_total{job="gateway_b"}')
            by_kind = {dict(k)["kind"]: v for k, v in errors.items()}
            assert by_kind["connection"] >= 1, by_kind
            assert list(
                query(base, 'antiextract_store_circuit_open{job="gateway_b"}').values()
            ) == [1]
            assert list(
                query(base, 'antiextract_store_circuit_open{job="gateway_a"}').values()
            ) == [0]
            fallback = query(base, 'antiextract_store_fallback_total{job="gateway_b"}')
            assert list(fallback.values()) == [2]

            campaigns = query(base, "antiextract_campaigns_active")
            assert {dict(k)["job"] for k in campaigns} == set(jobs)

            # The host app's own /metrics: both middlewares of the process, added up
            # (other tests' middlewares in this process add to it too: at least ours).
            host = query(base, 'sum(antiextract_decisions_total{job="host_app"})')
            (total,) = host.values()
            assert total >= 7
            circuit = query(base, 'antiextract_store_circuit_open{job="host_app"}')
            assert list(circuit.values()) == [1]  # the largest: one middleware's is open
