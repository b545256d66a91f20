"""Settings come from ANTIEXTRACT_* variables; bad values stop start-up with a clear message."""

from __future__ import annotations

import io
import ipaddress

import pytest

from antiextract import AntiExtractMiddleware, SettingsError, load_settings
from antiextract.audit import make_logger
from antiextract.model.cohorts import CohortModel

from .asgi import Exchange, bearer, chat_body, http_scope
from .conftest import SimClock


async def _app(scope, receive, send):  # pragma: no cover - never called
    raise AssertionError


@pytest.mark.parametrize(
    ("path", "protected"),
    [
        ("/v1/chat/completions", True),
        ("/chat/completions", True),
        ("/v1/completions", True),
        ("/v1/responses", True),
        ("/v1/messages", True),
        ("/invocations", True),  # vLLM (every server) and TGI: chat or completions by body
        ("/generate", True),  # TGI
        ("/generate_stream", True),
        ("/completion", True),  # llama.cpp
        ("/infill", True),
        ("/api/chat", True),  # Ollama
        ("/api/generate", True),
        ("/v1/models", False),
        ("/v1/embeddings", False),
    ],
)
async def test_with_no_environment_the_standard_paths_are_protected(
    monkeypatch, path, protected
) -> None:
    """No ANTIEXTRACT_* variable at all: every chat, completion, responses and messages
    path, and the native generation routes of vLLM, TGI, llama.cpp and Ollama, is
    protected (the app gets the middleware's receive), anything else reaches the
    app untouched (its own callables). The defaults' values themselves are checked
    against the README by test_docs.py."""
    for key in list(__import__("os").environ):
        if key.startswith("ANTIEXTRACT_"):
            monkeypatch.delenv(key)
    seen = []

    async def app(scope, receive, send):
        seen.append(receive)
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})

    mw = AntiExtractMiddleware(app, clock=SimClock(), logger=make_logger(stream=io.StringIO()))
    ex = Exchange(chat_body("hello"))
    await mw(http_scope(path, headers=bearer()), ex.receive, ex.send)
    assert ex.status == 200 and len(seen) == 1
    assert (seen[0] != ex.receive) == protected  # a wrapper, or the very same callable
    await mw.store.close()


def test_environment_is_read(monkeypatch) -> None:
    monkeypatch.setenv("ANTIEXTRACT_STORAGE_URI", "redis://127.0.0.1:6379/3")
    monkeypatch.setenv("ANTIEXTRACT_MODE", "shadow")
    monkeypatch.setenv("ANTIEXTRACT_PATHS", "/v1/chat/completions, /custom/generate")
    monkeypatch.setenv("ANTIEXTRACT_ACCOUNT_HEADER", "X-Account-Id")
    monkeypatch.setenv("ANTIEXTRACT_TRUSTED_PROXIES", "10.0.0.0/8,::1/128")
    monkeypatch.setenv("ANTIEXTRACT_BUCKET_CAPACITY", "5000")
    monkeypatch.setenv("ANTIEXTRACT_ACCOUNT_LIMITS", "10/second;100/hour")
    monkeypatch.setenv("ANTIEXTRACT_IP_LIMITS", "")
    s = load_settings()
    assert s.storage_uri.startswith("redis://")
    assert s.mode == "shadow"
    assert s.paths == ("/v1/chat/completions", "/custom/generate")
    assert s.account_header == "X-Account-Id"
    assert s.trusted_proxies == (
        ipaddress.ip_network("10.0.0.0/8"),
        ipaddress.ip_network("::1/128"),
    )
    assert s.bucket_capacity == 5000
    assert [(i.amount, i.get_expiry()) for i in s.account_rate_limits] == [(10, 1), (100, 3600)]
    assert s.ip_rate_limits == ()


@pytest.mark.parametrize(
    ("var", "value", "expect"),
    [
        ("ANTIEXTRACT_MODE", "block-everything", "'enforce' or 'shadow'"),
        ("ANTIEXTRACT_STORAGE_URI", "mongodb://x", "memory://"),
        ("ANTIEXTRACT_BUCKET_CAPACITY", "-5", "greater than 0"),
        ("ANTIEXTRACT_BUCKET_REFILL_PER_SECOND", "fast", "valid number"),
        ("ANTIEXTRACT_ACCOUNT_LIMITS", "lots per minute", "limits"),
        ("ANTIEXTRACT_TRUSTED_PROXIES", "10.0.0.0/8,not-a-cidr", "CIDR"),
        ("ANTIEXTRACT_PATHS", "v1/chat", "start with '/'"),
        ("ANTIEXTRACT_INSPECT_MAX_BYTES", "10", "greater than or equal to 1024"),
        ("ANTIEXTRACT_INTEL", "sometimes", "'embedded', 'worker' or 'off'"),
        ("ANTIEXTRACT_FLUSH_MS", "0", "greater than 0"),
        ("ANTIEXTRACT_FLUSH_RECORDS", "many", "valid integer"),
        ("ANTIEXTRACT_INTEL_BUFFER", "-1", "greater than 0"),
        ("ANTIEXTRACT_VERDICT_REFRESH_MS", "0", "greater than 0"),
        ("ANTIEXTRACT_VERDICT_TTL", "5", "greater than or equal to 60"),
    ],
)
def test_invalid_values_name_variable_value_and_accepted(monkeypatch, var, value, expect) -> None:
    monkeypatch.setenv(var, value)
    with pytest.raises(SettingsError) as err:
        load_settings()
    message = str(err.value)
    assert var in message
    assert repr(value) in message or value in message
    assert expect in message


def test_worker_analysis_needs_a_store_workers_can_reach(monkeypatch) -> None:
    monkeypatch.setenv("ANTIEXTRACT_INTEL", "worker")
    with pytest.raises(SettingsError, match=r"ANTIEXTRACT_INTEL=worker.*memory://"):
        load_settings()
    monkeypatch.setenv("ANTIEXTRACT_STORAGE_URI", "redis://127.0.0.1:6379/0")
    assert load_settings().intel == "worker"


def test_verdicts_must_outlive_two_refreshes(monkeypatch) -> None:
    monkeypatch.setenv("ANTIEXTRACT_VERDICT_TTL", "60")
    monkeypatch.setenv("ANTIEXTRACT_VERDICT_REFRESH_MS", "30000")
    with pytest.raises(SettingsError) as err:
        load_settings()
    (line,) = str(err.value).strip().splitlines()[-1:]
    assert "ANTIEXTRACT_VERDICT_TTL=60" in line and "ANTIEXTRACT_VERDICT_REFRESH_MS=30000" in line
    monkeypatch.setenv("ANTIEXTRACT_VERDICT_REFRESH_MS", "29999")
    assert load_settings().verdict_refresh_ms == 29_999


def test_a_buffer_smaller_than_a_flush_by_count_is_refused(monkeypatch) -> None:
    """INTEL_BUFFER=10 with FLUSH_RECORDS=512 dropped 990 of 1,000 records between flushes
    and was accepted (an outside trial): the two only fail together, so both are named."""
    monkeypatch.setenv("ANTIEXTRACT_INTEL_BUFFER", "10")
    monkeypatch.setenv("ANTIEXTRACT_FLUSH_RECORDS", "512")
    with pytest.raises(SettingsError) as err:
        load_settings()
    (line,) = str(err.value).strip().splitlines()[-1:]
    assert "ANTIEXTRACT_INTEL_BUFFER=10" in line and "ANTIEXTRACT_FLUSH_RECORDS=512" in line
    monkeypatch.setenv("ANTIEXTRACT_INTEL_BUFFER", "512")
    assert load_settings().intel_buffer == 512


def test_a_campaign_ttl_under_two_days_is_refused(monkeypatch) -> None:
    """The analysers read yesterday's sketches all day and renew a state's TTL once a day."""
    for bad in ('{"ttl": 3600}', '{"ttl": 172800.5}'):  # too short; Redis wants whole seconds
        monkeypatch.setenv("ANTIEXTRACT_CAMPAIGN_MODEL", bad)
        with pytest.raises(SettingsError, match=r"ANTIEXTRACT_CAMPAIGN_MODEL.*>= 172800"):
            load_settings()
    monkeypatch.setenv("ANTIEXTRACT_CAMPAIGN_MODEL", '{"ttl": 172800}')
    assert load_settings().campaign_model == {"ttl": 172800}
    assert CohortModel(ttl=172800.0).ttl == 172800 and isinstance(CohortModel().ttl, int)
    with pytest.raises(ValueError, match="172800"):
        CohortModel(ttl=3600)  # a store built without Settings checks it too


def test_middleware_keeps_a_bad_env_for_start_up(monkeypatch) -> None:
    """Not raised by the constructor (hosts build it inside their first call): the
    lifespan start-up fails with it instead (tests/test_config.py, test_startup.py)."""
    monkeypatch.setenv("ANTIEXTRACT_MODE", "loud")
    mw = AntiExtractMiddleware(_app)
    assert mw.config_error is not None and "ANTIEXTRACT_MODE='loud'" in mw.config_error


def test_secret_is_never_echoed(monkeypatch) -> None:
    monkeypatch.setenv("ANTIEXTRACT_SECRET", "hunter2-very-secret")
    monkeypatch.setenv("ANTIEXTRACT_MODE", "nope")
    with pytest.raises(SettingsError) as err:
        load_settings()
    assert "ANTIEXTRACT_MODE" in str(err.value)
    assert "hunter2" not in str(err.value)
    monkeypatch.delenv("ANTIEXTRACT_MODE")
    s = load_settings()
    assert s.secret is not None and s.secret.get_secret_value() == "hunter2-very-secret"
    assert "hunter2" not in repr(s) and "hunter2" not in str(s.model_dump())
