"""antiextract with LiteLLM's proxy, both ways, every server in its own process:

- the gateway in front: client -> ``antiextract proxy`` -> ``litellm --config`` -> model;
- the middleware inside: ``examples/litellm/serve_with_middleware.py`` (LiteLLM's FastAPI
  app with ``AntiExtractMiddleware`` added before it starts) -> model.

The model is the example OpenAI-compatible fake; LiteLLM reaches it through
``examples/litellm/config.yaml`` (``openai/`` provider, loopback ``api_base``). LiteLLM
starts offline (local cost map, telemetry off) but slowly, so each topology is started
once. Needs the ``litellm`` extra: ``pip install -e '.[test,litellm]'``.
"""

from __future__ import annotations

import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path

import openai
import pytest

from antiextract.proxy import HEALTH_PATH

from .test_proxy_process import (
    ROOT,
    Server,
    clean_env,
    fake,
    gateway_command,
    running,
    upstream_command,
)

pytestmark = pytest.mark.skipif(
    importlib.util.find_spec("litellm") is None,
    reason="litellm is not in this virtualenv: `make test` runs this file in .venv-litellm "
    "(scripts/litellm.sh), apart, as LiteLLM pins rich<14",
)

CONFIG = ROOT / "examples" / "litellm" / "config.yaml"
SERVE_WITH_MIDDLEWARE = ROOT / "examples" / "litellm" / "serve_with_middleware.py"
MASTER_KEY = "sk-litellm-test-master-key"
PROMPT = "Summarise what a model gateway in front of LiteLLM does"
READY = "/health/liveliness"  # LiteLLM's, unauthenticated
STARTUP = 120.0  # seconds LiteLLM may take to import and start
# LiteLLM also serves the OpenAI routes without /v1: the default ANTIEXTRACT_PATHS
# protects both spellings (no ANTIEXTRACT_PATHS here: the defaults must suffice).
PROTECTION = {
    "ANTIEXTRACT_STORAGE_URI": "memory://",
    "ANTIEXTRACT_ACCOUNT_LIMITS": "3/hour",
}


def litellm_env(upstream: Server, **extra: str) -> dict[str, str]:
    return clean_env(
        FAKE_MODEL_API_BASE=f"{upstream.url}/v1",
        LITELLM_MASTER_KEY=MASTER_KEY,
        LITELLM_LOCAL_MODEL_COST_MAP="True",
        LITELLM_TELEMETRY_DISABLED="true",
        **extra,
    )


def chat(base: str, path_prefix: str = "/v1", max_tokens: int = 8) -> str | None:
    client = openai.OpenAI(
        base_url=base + path_prefix, api_key=MASTER_KEY, max_retries=0, timeout=60
    )
    answer = client.chat.completions.create(
        model="fake-model", messages=[{"role": "user", "content": PROMPT}], max_tokens=max_tokens
    )
    return answer.choices[0].message.content


def streamed(base: str, max_tokens: int = 10) -> tuple[list[str], str | None]:
    client = openai.OpenAI(base_url=f"{base}/v1", api_key=MASTER_KEY, max_retries=0, timeout=60)
    stream = client.chat.completions.create(
        model="fake-model",
        messages=[{"role": "user", "content": PROMPT}],
        max_tokens=max_tokens,
        stream=True,
    )
    pieces, finish = [], None
    for chunk in stream:
        for choice in chunk.choices:
            if choice.delta.content:
                pieces.append(choice.delta.content)
            finish = choice.finish_reason or finish
    return pieces, finish


@pytest.fixture(scope="module")
def logs(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("litellm-logs")


@pytest.fixture(scope="module")
def upstream(logs: Path) -> Iterator[Server]:
    with running(
        "upstream", upstream_command(), env=clean_env(), log_dir=logs, ready_path="/health"
    ) as server:
        yield server


@pytest.fixture(scope="module")
def litellm_proxy(upstream: Server, logs: Path) -> Iterator[Server]:
    def command(port: int) -> list[str]:
        cli = [sys.executable, "-m", "litellm.proxy.proxy_cli"]
        return [*cli, "--config", str(CONFIG), "--host", "127.0.0.1", "--port", str(port)]

    with running(
        "litellm",
        command,
        env=litellm_env(upstream),
        log_dir=logs,
        ready_path=READY,
        timeout=STARTUP,
        cwd=logs,
    ) as server:
        yield server


@pytest.fixture(scope="module")
def gateway(litellm_proxy: Server, logs: Path) -> Iterator[Server]:
    with running(
        "gateway",
        gateway_command(litellm_proxy.url),
        env=clean_env(**PROTECTION),
        log_dir=logs,
        ready_path=HEALTH_PATH,
    ) as server:
        yield server


@pytest.fixture(scope="module")
def litellm_with_middleware(upstream: Server, logs: Path) -> Iterator[Server]:
    def command(port: int) -> list[str]:
        script = [sys.executable, str(SERVE_WITH_MIDDLEWARE)]
        return [*script, "--config", str(CONFIG), "--host", "127.0.0.1", "--port", str(port)]

    with running(
        "litellm-middleware",
        command,
        env=litellm_env(upstream, **PROTECTION),
        log_dir=logs,
        ready_path=READY,
        timeout=STARTUP,
        cwd=logs,
    ) as server:
        yield server


def check_answers_then_throttle(base: str) -> None:
    """Three requests pass (the account's whole 3/hour), the fourth is a 429 on both route
    spellings. Every request carries LiteLLM's master key: one account."""
    assert chat(base) == fake.generate(PROMPT, 8).text
    pieces, finish = streamed(base)
    assert "".join(pieces) == fake.generate(PROMPT, 10).text
    assert len(pieces) == 10 and finish == "length"
    assert chat(base, path_prefix="") == fake.generate(PROMPT, 8).text  # /chat/completions
    for prefix in ("/v1", ""):
        with pytest.raises(openai.RateLimitError) as err:
            chat(base, path_prefix=prefix)
        response = err.value.response
        assert response.status_code == 429
        assert int(response.headers["retry-after"]) > 0
        assert response.headers["ratelimit"].startswith('"account-3-per-3600s"')
        assert err.value.code == "rate_limit_exceeded"


def test_gateway_in_front_of_litellm_proxy(gateway: Server, litellm_proxy: Server) -> None:
    check_answers_then_throttle(gateway.url)
    # LiteLLM itself, reached directly, still answers: the limit lives in the gateway.
    assert chat(litellm_proxy.url) == fake.generate(PROMPT, 8).text


def test_middleware_added_to_litellm_app(litellm_with_middleware: Server) -> None:
    check_answers_then_throttle(litellm_with_middleware.url)
