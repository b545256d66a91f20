"""The gateway as it is deployed: ``antiextract proxy`` in its own process, configured only
by ``ANTIEXTRACT_*`` variables, in front of the example model server in another process,
driven over loopback by the official openai SDK.

The helpers here (``running``, ``gateway_command``, ...) also serve tests/test_litellm.py.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import openai
import pytest

from antiextract.ops.proxy import HEALTH_PATH

from .servers import load_example

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE_SERVER = ROOT / "examples" / "openai_server.py"
PROMPT = "Explain how a gateway in its own process forwards streamed answers"
CHUNK_DELAY = 0.02  # seconds the upstream sleeps between stream frames
LIMIT = "3/hour"

fake = load_example("openai_server")


@dataclass
class Server:
    """A server process we started, with its base URL and the file it logs to."""

    name: str
    process: subprocess.Popen[bytes]
    url: str
    log: Path

    def log_tail(self, chars: int = 4000) -> str:
        try:
            return self.log.read_text(errors="replace")[-chars:]
        except OSError:
            return "<no log>"


def free_port() -> int:
    import socket

    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def clean_env(**extra: str) -> dict[str, str]:
    """This environment without any ANTIEXTRACT_* variable, plus ``extra``."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANTIEXTRACT_")}
    env.update(extra)
    return env


def stop(process: subprocess.Popen[bytes]) -> None:
    """SIGTERM, then SIGKILL after 10 s; always reaps the process."""
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=10)


def wait_ready(server: Server, path: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    with httpx.Client(trust_env=False, timeout=2) as client:
        while time.monotonic() < deadline:
            if server.process.poll() is not None:
                raise RuntimeError(f"exited with {server.process.returncode}")
            try:
                if client.get(server.url + path).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
    raise TimeoutError(f"{server.name} did not answer {path} with 200 within {timeout:.0f} s")


@contextmanager
def running(
    name: str,
    command: Callable[[int], list[str]],
    *,
    env: dict[str, str],
    log_dir: Path,
    ready_path: str,
    timeout: float = 30.0,
    cwd: Path = ROOT,
) -> Iterator[Server]:
    """Start ``command(port)`` on a free loopback port, wait until ``ready_path`` answers
    200, yield it, and stop it however the block ends (setup failures included).

    A port taken between picking and binding (other test runs on this host) is retried on
    a new port; any other start-up failure fails the test with the process's log.
    """
    log = log_dir / f"{name}.log"
    for attempt in range(3):
        port = free_port()
        with log.open("wb") as out:
            process = subprocess.Popen(
                command(port),
                env=env,
                cwd=cwd,
                stdin=subprocess.DEVNULL,
                stdout=out,
                stderr=subprocess.STDOUT,
            )
        server = Server(name, process, f"http://127.0.0.1:{port}", log)
        try:
            try:
                wait_ready(server, ready_path, timeout)
            except (RuntimeError, TimeoutError) as exc:
                if "address already in use" in server.log_tail().lower() and attempt < 2:
                    continue
                pytest.fail(f"{name} failed to start: {exc}\n--- {log} ---\n{server.log_tail()}")
            yield server
            return
        finally:
            stop(process)


def upstream_command(delay: float = 0.0) -> Callable[[int], list[str]]:
    """The example OpenAI-compatible fake, unprotected: the gateway does the protecting."""
    return lambda port: [
        sys.executable,
        str(EXAMPLE_SERVER),
        "--unprotected",
        "--port",
        str(port),
        "--delay",
        str(delay),
    ]


def antiextract_command() -> list[str]:
    script = Path(sys.executable).parent / "antiextract"
    if script.exists():
        return [str(script)]
    return [
        sys.executable,
        "-c",
        "import sys; from antiextract.ops.cli import main; sys.exit(main())",
    ]


def gateway_command(upstream: str) -> Callable[[int], list[str]]:
    return lambda port: [
        *antiextract_command(),
        "proxy",
        "--upstream",
        upstream,
        "--port",
        str(port),
        "--log-level",
        "warning",
    ]


def gateway_env(**extra: str) -> dict[str, str]:
    """The gateway's configuration: memory store, a tight request limit per account."""
    return clean_env(ANTIEXTRACT_STORAGE_URI="memory://", ANTIEXTRACT_ACCOUNT_LIMITS=LIMIT, **extra)


def sdk(base: str, api_key: str) -> openai.OpenAI:
    return openai.OpenAI(base_url=f"{base}/v1", api_key=api_key, max_retries=0, timeout=30)


def ask(client: openai.OpenAI, max_tokens: int = 8) -> str | None:
    answer = client.chat.completions.create(
        model="fake-model", messages=[{"role": "user", "content": PROMPT}], max_tokens=max_tokens
    )
    return answer.choices[0].message.content


# --------------------------------------------------------------------------- fixtures


@pytest.fixture(scope="module")
def logs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("proxy-process-logs")


@pytest.fixture(scope="module")
def upstream(logs: Path) -> Iterator[Server]:
    with running(
        "upstream",
        upstream_command(CHUNK_DELAY),
        env=clean_env(),
        log_dir=logs,
        ready_path="/health",
    ) as server:
        yield server


@pytest.fixture(scope="module")
def gateway(upstream: Server, logs: Path) -> Iterator[Server]:
    with running(
        "gateway",
        gateway_command(upstream.url),
        env=gateway_env(),
        log_dir=logs,
        ready_path=HEALTH_PATH,
    ) as server:
        yield server


# --------------------------------------------------------------------------- tests


def test_chat_completion_through_the_gateway_process(gateway: Server) -> None:
    client = sdk(gateway.url, "sk-process-chat")
    raw = client.chat.completions.with_raw_response.create(
        model="fake-model", messages=[{"role": "user", "content": PROMPT}], max_tokens=8
    )
    answer = raw.parse()
    assert raw.status_code == 200
    assert answer.choices[0].message.content == fake.generate(PROMPT, 8).text
    assert answer.choices[0].finish_reason == "length"
    assert answer.usage is not None and answer.usage.completion_tokens == 8
    assert "date" in raw.headers and "server" not in raw.headers  # the gateway's own


def test_streamed_chat_completion_arrives_chunk_by_chunk(gateway: Server) -> None:
    client = sdk(gateway.url, "sk-process-stream")
    stream = client.chat.completions.create(
        model="fake-model",
        messages=[{"role": "user", "content": PROMPT}],
        max_tokens=12,
        stream=True,
        stream_options={"include_usage": True},
    )
    pieces: list[tuple[float, str]] = []
    finish, usage = None, None
    for chunk in stream:
        if chunk.usage is not None:
            usage = chunk.usage
        for choice in chunk.choices:
            if choice.delta.content:
                pieces.append((time.monotonic(), choice.delta.content))
            finish = choice.finish_reason or finish
    assert "".join(text for _, text in pieces) == fake.generate(PROMPT, 12).text
    assert len(pieces) == 12  # one delta per word, none merged on the way
    assert finish == "length"
    assert usage is not None and usage.completion_tokens == 12
    # The upstream sleeps CHUNK_DELAY between frames: chunks passed through as they came,
    # not gathered into one write at the end.
    spread = pieces[-1][0] - pieces[0][0]
    assert spread >= 0.5 * CHUNK_DELAY * (len(pieces) - 1), spread


def test_tight_env_limit_throttles_an_account_with_retry_after(gateway: Server) -> None:
    client = sdk(gateway.url, "sk-process-throttled")
    for _ in range(3):
        assert ask(client)
    with pytest.raises(openai.RateLimitError) as err:
        ask(client)
    response = err.value.response
    assert response.status_code == 429
    assert 0 < int(response.headers["retry-after"]) <= 2 * 3600
    assert int(response.headers["retry-after-ms"]) > 0
    assert response.headers["ratelimit"].startswith('"account-3-per-3600s"')
    assert response.headers["x-should-retry"] == "false"  # a wait far beyond SDK retries
    assert err.value.type == "rate_limit_error"
    assert err.value.code == "rate_limit_exceeded"
    assert set(response.json()) == {"error"}
    # A streamed request of the same account is refused before any stream starts.
    with pytest.raises(openai.RateLimitError):
        client.chat.completions.create(
            model="fake-model", messages=[{"role": "user", "content": PROMPT}], stream=True
        )
    # Another account is untouched.
    assert ask(sdk(gateway.url, "sk-process-other")) == fake.generate(PROMPT, 8).text


def test_killed_upstream_answers_502_in_openai_format(tmp_path: Path) -> None:
    with (
        running(
            "upstream", upstream_command(), env=clean_env(), log_dir=tmp_path, ready_path="/health"
        ) as upstream,
        running(
            "gateway",
            gateway_command(upstream.url),
            env=gateway_env(),
            log_dir=tmp_path,
            ready_path=HEALTH_PATH,
        ) as gateway,
    ):
        client = sdk(gateway.url, "sk-process-502")
        assert ask(client)  # leaves a pooled keep-alive connection to the upstream
        upstream.process.kill()
        upstream.process.wait(timeout=10)

        expected = {
            "message": "The model server could not be reached.",
            "type": "service_unavailable",
            "param": None,
            "code": "upstream_unreachable",
        }
        for stream in (False, True):  # the stale pooled connection, then a refused connect
            with pytest.raises(openai.InternalServerError) as err:
                client.chat.completions.create(
                    model="fake-model",
                    messages=[{"role": "user", "content": PROMPT}],
                    stream=stream,
                )
            assert err.value.status_code == 502
            assert err.value.response.json() == {"error": expected}
            assert err.value.code == "upstream_unreachable"
        assert gateway.process.poll() is None  # the gateway itself stays up
        health = httpx.get(gateway.url + HEALTH_PATH, trust_env=False)
        assert health.status_code == 200


def test_access_log_never_shows_a_key_sent_in_the_query(upstream: Server, tmp_path: Path) -> None:
    """uvicorn's access log quotes the request-target: a key sent as ``?key=`` (Gemini's
    way, which LiteLLM accepts) or ``?api_key=`` went to the log raw. The gateway masks
    the values of the credential parameters and leaves the rest of the line alone."""
    secret, other = "AIzaSy-RAW-SECRET-KEY-123", "sk-RAW-SECRET-KEY-456"

    def command(port: int) -> list[str]:
        return [*gateway_command(upstream.url)(port)[:-2], "--log-level", "info"]

    with running(
        "gateway-access-log", command, env=gateway_env(), log_dir=tmp_path, ready_path=HEALTH_PATH
    ) as gateway:
        body = {"model": "fake-model", "messages": [{"role": "user", "content": PROMPT}]}
        with httpx.Client(trust_env=False, timeout=30) as client:
            chat = client.post(f"{gateway.url}/v1/chat/completions?api_key={other}&x=1", json=body)
            models = client.get(f"{gateway.url}/v1/models?K%65y={secret}")
        assert chat.status_code == 200 and models.status_code == 200
        deadline = time.monotonic() + 10
        while "/v1/models" not in gateway.log_tail() and time.monotonic() < deadline:
            time.sleep(0.05)  # the access line is written after the response
        log = gateway.log_tail(100_000)
    assert "RAW-SECRET" not in log
    assert "/v1/chat/completions?api_key=***&x=1" in log
    assert "/v1/models?K%65y=***" in log
