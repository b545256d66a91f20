"""``antiextract proxy`` as deployed (its own process, configured only by ``ANTIEXTRACT_*``):
who its auth headers are believed from, and where its metrics are served (issue 14,
points 2 and 4). The upstream is the echo app under uvicorn in this process: it answers
with the headers it received. A client binding 127.0.0.2 is the trusted auth layer; one
on 127.0.0.1 is a stranger.
"""

from __future__ import annotations

import json
import subprocess
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families

from antiextract.ops.proxy import HEALTH_PATH

from .servers import serve
from .test_proxy import echo_app
from .test_proxy_process import (
    ROOT,
    Server,
    clean_env,
    free_port,
    gateway_command,
    running,
)

AUTH_LAYER = "127.0.0.2"
BODY = b'{"model":"m","messages":[{"role":"user","content":"hello"}],"max_tokens":8}'


def gateway_env(**extra: str) -> dict[str, str]:
    return clean_env(
        ANTIEXTRACT_STORAGE_URI="memory://",
        ANTIEXTRACT_ACCOUNT_HEADER="X-Account-Id",
        ANTIEXTRACT_ACCOUNT_CREATED_HEADER="X-Account-Created",
        ANTIEXTRACT_ACCOUNT_TIER_HEADER="X-Account-Tier",
        ANTIEXTRACT_IP_LIMITS="",
        **extra,
    )


def counters(text: str, name: str) -> dict[tuple[tuple[str, str], ...], float]:
    return {
        tuple(sorted(s.labels.items())): s.value
        for family in text_string_to_metric_families(text)
        for s in family.samples
        if s.name == name
    }


@pytest.fixture(scope="module")
def echo_upstream() -> Iterator[str]:
    with serve(echo_app) as url:
        yield url


@pytest.fixture(scope="module")
def gateway(echo_upstream: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Server]:
    metrics_port = free_port()
    env = gateway_env(
        ANTIEXTRACT_TRUSTED_PROXIES=f"{AUTH_LAYER}/32",
        ANTIEXTRACT_ACCOUNT_LIMITS="2/hour",
        ANTIEXTRACT_METRICS_PORT=str(metrics_port),
    )
    with running(
        "gateway",
        gateway_command(echo_upstream),
        env=env,
        log_dir=tmp_path_factory.mktemp("gateway-process"),
        ready_path=HEALTH_PATH,
    ) as server:
        server.metrics_url = f"http://127.0.0.1:{metrics_port}/metrics"  # type: ignore[attr-defined]
        yield server


def test_a_strangers_account_header_reaches_neither_the_budget_nor_the_upstream(
    gateway: Server,
) -> None:
    claims = {
        "X-Account-Id": "victim",
        "X-Account-Created": "1500000000",
        "X-Account-Tier": "enterprise",
        "Authorization": "Bearer sk-stranger",
        "Content-Type": "application/json",
    }
    url = gateway.url + "/v1/chat/completions"
    with httpx.Client(trust_env=False) as stranger:
        answers = [stranger.post(url, headers=claims, content=BODY) for _ in range(3)]
    # refused on the stranger's own key after two (ACCOUNT_LIMITS=2/hour) ...
    assert [a.status_code for a in answers] == [200, 200, 429]
    for answer in answers[:2]:
        got = dict(answer.json()["headers"])
        assert not {"x-account-id", "x-account-created", "x-account-tier"} & set(got)
        assert got["x-forwarded-for"] == "127.0.0.1"
    # ... while the victim's budget is whole, and the auth layer's headers go upstream.
    transport = httpx.HTTPTransport(local_address=AUTH_LAYER)
    with httpx.Client(transport=transport, trust_env=False) as auth_layer:
        vouched = [auth_layer.post(url, headers=claims, content=BODY) for _ in range(3)]
    assert [a.status_code for a in vouched] == [200, 200, 429]
    got = dict(vouched[0].json()["headers"])
    assert (got["x-account-id"], got["x-account-created"], got["x-account-tier"]) == (
        "victim",
        "1500000000",
        "enterprise",
    )
    # Counted on the metrics port, by header and reason, never by value.
    text = httpx.get(gateway.metrics_url, trust_env=False).text  # type: ignore[attr-defined]
    ignored = counters(text, "antiextract_ignored_headers_total")
    for header in ("account", "created", "tier"):
        assert ignored[(("header", header), ("reason", "untrusted_peer"))] == 3
    assert "victim" not in text and "1500000000" not in text
    decisions = counters(text, "antiextract_decisions_total")
    labels = (("api", "openai.chat"), ("enforced", "true"))
    assert decisions[(("action", "allow"), *labels, ("reason", "allow"))] == 4
    assert decisions[(("action", "throttle"), *labels, ("reason", "request_limit"))] == 2


def test_metrics_are_on_their_own_port_not_the_client_port(gateway: Server) -> None:
    response = httpx.get(gateway.url + "/antiextract/metrics", trust_env=False)
    assert response.json()["raw_path"] == "/antiextract/metrics"  # the upstream answered
    assert "antiextract_" not in response.text
    scraped = httpx.get(gateway.metrics_url, trust_env=False)  # type: ignore[attr-defined]
    assert scraped.status_code == 200
    assert "# TYPE antiextract_decisions_total counter" in scraped.text


def test_without_trusted_proxies_the_gateway_warns_once(echo_upstream: str, tmp_path: Path) -> None:
    with running(
        "gateway",
        gateway_command(echo_upstream),
        env=gateway_env(),
        log_dir=tmp_path,
        ready_path=HEALTH_PATH,
    ) as server:
        for _ in range(2):
            httpx.post(server.url + "/v1/chat/completions", content=BODY, trust_env=False)
        log = server.log_tail(100_000)
    events = [json.loads(line) for line in log.splitlines() if line.startswith("{")]
    warnings = [e for e in events if e["event"] == "antiextract.trusted_headers_unverified"]
    assert len(warnings) == 1, log
    detail = warnings[0]["detail"]
    assert "x-account-id and x-account-created and x-account-tier are believed" in detail
    # the first line an operator reads: where requests go, and that metrics are nowhere
    assert f"-> {echo_upstream} (store memory://, mode enforce); no metrics listener" in log


def start_and_wait(env: dict[str, str], port: int) -> subprocess.CompletedProcess[str]:
    """Run ``antiextract proxy`` expecting it to stop by itself (the timeout is a guard:
    a gateway that starts anyway would serve until killed)."""
    return subprocess.run(
        gateway_command("http://127.0.0.1:9")(port),
        env=env,
        cwd=ROOT,
        stdin=subprocess.DEVNULL,
        capture_output=True,
        text=True,
        timeout=60,
    )


@pytest.mark.parametrize("value", ["abc", "0", "65536"])
def test_a_bad_metrics_port_value_stops_the_gateway(value: str) -> None:
    done = start_and_wait(gateway_env(ANTIEXTRACT_METRICS_PORT=value), free_port())
    assert done.returncode == 2
    assert f"ANTIEXTRACT_METRICS_PORT='{value}'" in done.stderr
    assert "Traceback" not in done.stderr


def test_the_client_port_as_metrics_port_stops_the_gateway() -> None:
    port = free_port()
    done = start_and_wait(gateway_env(ANTIEXTRACT_METRICS_PORT=str(port)), port)
    assert done.returncode == 2
    assert done.stderr.strip() == (
        f"ANTIEXTRACT_METRICS_PORT={port} is the gateway's client port: metrics need a port "
        "of their own (or leave it unset for none)"
    )


def test_a_taken_metrics_port_stops_the_gateway() -> None:
    """A fresh clone saw "metrics on http://127.0.0.1:19433/metrics" printed, then an error
    and exit 3: both ports are now bound before the start-up line, and a taken one is one
    line and exit status 2, as every start-up error (README, "Failure modes")."""
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        taken = sock.getsockname()[1]
        done = start_and_wait(gateway_env(ANTIEXTRACT_METRICS_PORT=str(taken)), free_port())
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip().splitlines()[-1] == (  # after start-up warnings
        f"ANTIEXTRACT_METRICS_PORT={taken} with ANTIEXTRACT_METRICS_HOST=127.0.0.1: "
        f"cannot serve metrics on 127.0.0.1:{taken}: Address already in use"
    )
    assert "metrics on http" not in done.stdout + done.stderr
    assert "Traceback" not in done.stderr


def test_a_taken_client_port_stops_the_gateway_before_its_banner() -> None:
    import socket

    metrics = free_port()
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        sock.listen()
        taken = sock.getsockname()[1]
        done = start_and_wait(gateway_env(ANTIEXTRACT_METRICS_PORT=str(metrics)), taken)
    assert done.returncode == 2, done.stderr
    assert done.stderr.strip().splitlines()[-1] == (  # after start-up warnings
        f"antiextract gateway: cannot listen on 127.0.0.1:{taken} (--port/--host): "
        "Address already in use"
    )
    assert "metrics on http" not in done.stdout + done.stderr
    assert "Traceback" not in done.stderr
