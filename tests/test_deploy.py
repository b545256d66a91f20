"""deploy/: what can be checked without pulling an image. The compose file parses
(`docker-compose config`, Debian's package, installed by scripts/tools.sh), the Prometheus
configuration it mounts passes `promtool check config`, and the Dockerfile's entrypoint,
command and healthcheck run as plain commands: the gateway as the image would start it,
in front of the example model as the compose file starts it, on a real Redis. What is not
run here: `docker build` and `docker compose up` (no daemon, no base images)."""

from __future__ import annotations

import json
import os
import re
import shlex
import signal
import subprocess
import sys
import time
from pathlib import Path

import httpx
import yaml

from .conftest import REDIS_URL
from .test_proxy_process import EXAMPLE_SERVER, antiextract_command, clean_env, running
from .tools import tool

ROOT = Path(__file__).resolve().parent.parent
DEPLOY = ROOT / "deploy"
DOCKERFILE = DEPLOY / "Dockerfile"
COMPOSE = DEPLOY / "compose.yml"


def instructions() -> list[tuple[str, str]]:
    """The Dockerfile as (INSTRUCTION, arguments), continuation lines joined."""
    text = re.sub(r"\\\n\s*", " ", DOCKERFILE.read_text())
    out = []
    for line in text.splitlines():
        line = line.strip()
        if line and not line.startswith("#"):
            word, _, rest = line.partition(" ")
            out.append((word.upper(), rest.strip()))
    return out


def final_stage() -> list[tuple[str, str]]:
    steps = instructions()
    last = max(i for i, (word, _) in enumerate(steps) if word == "FROM")
    return steps[last:]


def exec_form(word: str) -> list[str]:
    (args,) = [rest for w, rest in final_stage() if w == word]
    if word == "HEALTHCHECK":
        args = args.split(" CMD ", 1)[1]
    value = json.loads(args)
    assert isinstance(value, list) and all(isinstance(v, str) for v in value), word
    return value


def image_env() -> dict[str, str]:
    env: dict[str, str] = {}
    for word, rest in final_stage():
        if word == "ENV":
            for pair in shlex.split(rest):
                key, _, value = pair.partition("=")
                env[key] = value
    return env


def test_the_compose_file_parses() -> None:
    out = subprocess.run(
        [tool("docker-compose"), "-f", str(COMPOSE), "config", "-q"],
        env={**os.environ, "ANTIEXTRACT_SECRET": "compose-check"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stderr
    # without the secret it refuses to start, naming it
    out = subprocess.run(
        [tool("docker-compose"), "-f", str(COMPOSE), "config", "-q"],
        env={k: v for k, v in os.environ.items() if k != "ANTIEXTRACT_SECRET"},
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode != 0 and "ANTIEXTRACT_SECRET" in out.stderr


def test_the_prometheus_config_and_its_rules_check() -> None:
    out = subprocess.run(
        [tool("promtool"), "check", "config", str(DEPLOY / "prometheus" / "prometheus.yml")],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert out.returncode == 0, out.stdout + out.stderr
    assert "1 rule files found" in out.stdout


def test_the_image_is_slim_non_root_and_checks_its_health() -> None:
    steps = final_stage()
    assert steps[0] == ("FROM", "python:3.11-slim")
    (user,) = [rest for word, rest in steps if word == "USER"]
    assert user.split(":")[0] not in ("0", "root")
    assert any(word == "HEALTHCHECK" for word, _ in steps)
    for word, rest in instructions():  # every file the build copies exists
        if word == "COPY" and not rest.startswith("--from"):
            for source in rest.split()[:-1]:
                assert (ROOT / source).exists(), source


def test_the_entrypoint_and_healthcheck_run_as_commands(tmp_path: Path) -> None:
    """ENTRYPOINT + CMD with the image's ENV and the compose file's environment, the host
    and ports moved to free loopback ports and Redis to the test server."""
    entrypoint, command = exec_form("ENTRYPOINT"), exec_form("CMD")
    assert entrypoint == ["antiextract"]
    healthcheck = exec_form("HEALTHCHECK")
    with running(
        "model",
        lambda port: [sys.executable, str(EXAMPLE_SERVER), "--unprotected", "--port", str(port)],
        env=clean_env(),
        log_dir=tmp_path,
        ready_path="/v1/models",
    ) as model:
        metrics_port = _free_port()
        env = clean_env(
            **{
                **image_env(),
                "ANTIEXTRACT_METRICS_HOST": "127.0.0.1",
                "ANTIEXTRACT_METRICS_PORT": str(metrics_port),
                "ANTIEXTRACT_UPSTREAM": model.url,
                "ANTIEXTRACT_STORAGE_URI": REDIS_URL,
                "ANTIEXTRACT_KEY_PREFIX": "deploytest",
                "ANTIEXTRACT_MODE": "shadow",
                "ANTIEXTRACT_SECRET": "deploy-test-secret",
            }
        )

        def gateway(port: int) -> list[str]:
            args = [*antiextract_command(), *command]
            args[args.index("--host") + 1] = "127.0.0.1"
            args[args.index("--port") + 1] = str(port)
            return args

        with running(
            "gateway", gateway, env=env, log_dir=tmp_path, ready_path="/antiextract/healthz"
        ) as gw:
            port = gw.url.rsplit(":", 1)[1]
            check = [sys.executable if healthcheck[0] == "python" else healthcheck[0]]
            check += [arg.replace("127.0.0.1:8080", f"127.0.0.1:{port}") for arg in healthcheck[1:]]
            assert subprocess.run(check, timeout=30).returncode == 0
            body = {"model": "m", "messages": [{"role": "user", "content": "hi"}]}
            r = httpx.post(
                f"{gw.url}/v1/chat/completions",
                json=body,
                headers={"authorization": "Bearer sk-deploy"},
                trust_env=False,
                timeout=30,
            )
            assert r.status_code == 200, r.text
            metrics = httpx.get(f"http://127.0.0.1:{metrics_port}/metrics", trust_env=False)
            assert "antiextract_decisions_total" in metrics.text
    # and the healthcheck fails once the gateway is gone
    assert subprocess.run(check, timeout=30, capture_output=True).returncode != 0


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_the_compose_worker_runs_as_the_image_would(tmp_path: Path) -> None:
    """The compose file's worker: the image's ENTRYPOINT + the service's command and
    environment (Redis moved to the test server, metrics to a free loopback port). It
    serves its metrics, passes its own healthcheck, and exits 0 on SIGTERM, as `docker
    compose stop` sends it; the gateway leaves the analysing to it (INTEL=worker)."""
    services = yaml.safe_load(COMPOSE.read_text())["services"]
    worker, gateway = services["worker"], services["gateway"]
    assert worker["image"] == gateway["image"]
    assert worker["build"] == gateway["build"]  # buildable on its own (`up worker`)
    # it never keys an account id (it reads the replicas' digests): no secret is passed,
    # and the run below has none either
    assert "ANTIEXTRACT_SECRET" not in worker["environment"]
    assert gateway["environment"]["ANTIEXTRACT_INTEL"] == "worker"
    metrics_port = _free_port()
    env = clean_env(
        **{
            **image_env(),
            **worker["environment"],
            "ANTIEXTRACT_STORAGE_URI": REDIS_URL,
            "ANTIEXTRACT_KEY_PREFIX": "deployworker",
            "ANTIEXTRACT_METRICS_HOST": "127.0.0.1",
            "ANTIEXTRACT_METRICS_PORT": str(metrics_port),
        }
    )
    assert "ANTIEXTRACT_SECRET" not in env
    check = worker["healthcheck"]["test"][1:]  # after "CMD"
    check = [sys.executable if check[0] == "python" else check[0]] + [
        arg.replace("127.0.0.1:9101", f"127.0.0.1:{metrics_port}") for arg in check[1:]
    ]
    log = (tmp_path / "worker.log").open("wb")
    process = subprocess.Popen(
        [*antiextract_command(), *worker["command"]],  # ENTRYPOINT is ["antiextract"]
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        stdin=subprocess.DEVNULL,
    )
    try:
        text = ""
        for _ in range(300):  # up to 30 s for the process to import and listen
            if process.poll() is not None:
                break
            try:
                text = httpx.get(f"http://127.0.0.1:{metrics_port}/metrics", trust_env=False).text
                break
            except httpx.TransportError:
                time.sleep(0.1)
        assert process.poll() is None, (tmp_path / "worker.log").read_text()
        assert "antiextract_intel_lag_seconds" in text, text[:500]
        assert subprocess.run(check, timeout=30).returncode == 0
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=30) == 0, (tmp_path / "worker.log").read_text()
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
        log.close()
    # and its healthcheck fails once it is gone
    assert subprocess.run(check, timeout=30, capture_output=True).returncode != 0
