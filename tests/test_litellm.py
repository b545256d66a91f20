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

import httpx
import openai
import pytest

from antiextract.ops.proxy import HEALTH_PATH

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


@pytest.fixture(scope="module")
def key_gateway(litellm_proxy: Server, logs: Path) -> Iterator[Server]:
    """A gateway of its own (its own accounts) in front of the same LiteLLM."""
    with running(
        "gateway-keys",
        gateway_command(litellm_proxy.url),
        env=clean_env(**PROTECTION),
        log_dir=logs,
        ready_path=HEALTH_PATH,
    ) as server:
        yield server


def post_chat(base: str, headers: dict[str, str]) -> httpx.Response:
    body = {"model": "fake-model", "messages": [{"role": "user", "content": PROMPT}],
            "max_tokens": 4}  # fmt: skip
    return httpx.post(f"{base}/v1/chat/completions", json=body, headers=headers,
                      timeout=60, trust_env=False)  # fmt: skip


def test_litellms_key_headers_are_one_account_and_never_a_fresh_one(key_gateway: Server) -> None:
    """LiteLLM authenticates (and bills) the key in ``x-litellm-api-key`` before
    ``Authorization``, and takes ``api-key``, ``x-goog-api-key`` and ``Authorization:
    Basic <key>`` too. The real key with a random one beside it was a new antiextract
    account on every request (6 of 6 served at 3/hour); now it is refused (400) and never
    reaches LiteLLM; and the one key, in any place LiteLLM reads, is one account."""
    for i in range(4):
        mixed = post_chat(key_gateway.url, {"x-litellm-api-key": f"Bearer {MASTER_KEY}",
                                            "authorization": f"Bearer rnd-{i}"})  # fmt: skip
        assert mixed.status_code == 400, mixed.text
        assert mixed.json()["error"]["code"] == "conflicting_credentials"
    basic = post_chat(key_gateway.url, {"authorization": f"Basic {MASTER_KEY}",
                                        "x-api-key": "rnd-basic"})  # fmt: skip
    assert basic.status_code == 400
    served = [
        post_chat(key_gateway.url, headers).status_code
        for headers in (
            {"x-litellm-api-key": f"Bearer {MASTER_KEY}"},
            {"api-key": MASTER_KEY},
            {"authorization": f"Basic {MASTER_KEY}"},
            {"x-goog-api-key": MASTER_KEY},
            {"authorization": f"Bearer {MASTER_KEY}"},
        )
    ]
    assert served == [200, 200, 200, 429, 429]  # LiteLLM accepted each; one 3/hour account
