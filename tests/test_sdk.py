"""Real HTTP on loopback with the official SDKs: what a throttled client experiences."""

from __future__ import annotations

import asyncio
import io
import json
import time

import anthropic
import openai
import pytest
import redis

from antiextract import AntiExtractMiddleware, Settings
from antiextract.audit import make_logger
from antiextract.request.identity import digest

from .conftest import REDIS_URL
from .servers import load_example, serve

STORES = ["memory://", REDIS_URL]


def protected(example: str, log: io.StringIO, **kw) -> AntiExtractMiddleware:
    if kw.get("storage_uri", "").startswith("redis"):
        redis.Redis.from_url(kw["storage_uri"]).flushdb()
    app = load_example(example).create_app()
    return AntiExtractMiddleware(app, Settings(**kw), logger=make_logger(stream=log))


def throttles(log: io.StringIO) -> list[dict]:
    lines = [json.loads(x) for x in log.getvalue().splitlines() if x.startswith("{")]
    return [e for e in lines if e.get("action") == "throttle"]


@pytest.mark.parametrize("uri", STORES)
def test_openai_sdk_waits_retry_after_then_succeeds(uri: str) -> None:
    log = io.StringIO()
    app = protected("openai_server", log, storage_uri=uri, account_limits="2/second")
    with serve(app) as url:
        client = openai.OpenAI(base_url=f"{url}/v1", api_key="sk-retry", max_retries=3)
        started = time.monotonic()
        answers = [
            client.chat.completions.create(
                model="fake-model", messages=[{"role": "user", "content": f"q{i}"}], max_tokens=8
            )
            for i in range(4)
        ]
        elapsed = time.monotonic() - started
    assert [a.choices[0].message.content.startswith("Echo: q") for a in answers] == [True] * 4
    refused = throttles(log)
    assert refused, "the third request should have been throttled and retried"
    assert all(e["retry_after"] <= 2.0 for e in refused)
    assert elapsed >= min(e["retry_after"] for e in refused)  # the SDK really waited


def test_openai_sdk_gives_up_at_once_on_a_long_wait() -> None:
    log = io.StringIO()
    app = protected("openai_server", log, account_limits="1/hour")
    with serve(app) as url:
        client = openai.OpenAI(base_url=f"{url}/v1", api_key="sk-long", max_retries=5)
        client.chat.completions.create(model="m", messages=[{"role": "user", "content": "a"}])
        with pytest.raises(openai.RateLimitError) as err:
            client.chat.completions.create(model="m", messages=[{"role": "user", "content": "b"}])
    assert len(throttles(log)) == 1  # one refusal, no retry (an hour's wait is not waited)
    response = err.value.response
    assert response.headers["x-should-retry"] == "false"
    assert int(response.headers["retry-after"]) > 60
    assert err.value.body["code"] == "rate_limit_exceeded"


def test_capping_the_wait_an_sdk_sleeps() -> None:
    """The README's two ways to cap how long a default SDK client waits on a 429: on the
    server, a lower ANTIEXTRACT_SDK_RETRY_CEILING (a ~20 s wait, which the default 60 s
    ceiling lets the SDK sleep, is raised at once above a 5 s ceiling); in the client,
    max_retries=0 (even a short wait is raised, with the wait in the headers)."""
    log = io.StringIO()
    app = protected("openai_server", log, account_limits="1 per 20 seconds", sdk_retry_ceiling=5)
    with serve(app) as url:
        client = openai.OpenAI(base_url=f"{url}/v1", api_key="sk-ceiling", max_retries=5)
        client.chat.completions.create(model="m", messages=[{"role": "user", "content": "a"}])
        with pytest.raises(openai.RateLimitError) as err:
            client.chat.completions.create(model="m", messages=[{"role": "user", "content": "b"}])
    assert len(throttles(log)) == 1  # raised at the first 429: not retried, not slept
    assert err.value.response.headers["x-should-retry"] == "false"
    assert 5 < int(err.value.response.headers["retry-after"]) < 60

    log = io.StringIO()
    app = protected("openai_server", log, account_limits="1/second")
    with serve(app) as url:
        client = openai.OpenAI(base_url=f"{url}/v1", api_key="sk-no-retry", max_retries=0)
        client.chat.completions.create(model="m", messages=[{"role": "user", "content": "a"}])
        with pytest.raises(openai.RateLimitError) as err:
            client.chat.completions.create(model="m", messages=[{"role": "user", "content": "b"}])
    assert len(throttles(log)) == 1
    assert err.value.response.headers["x-should-retry"] == "true"  # a short wait...
    assert float(err.value.response.headers["retry-after-ms"]) < 60_000  # ...left to the caller


@pytest.mark.parametrize("uri", STORES)
def test_anthropic_sdk_sees_its_own_rate_limit_error(uri: str) -> None:
    log = io.StringIO()
    app = protected("anthropic_server", log, storage_uri=uri, account_limits="1/hour")
    with serve(app) as url:
        client = anthropic.Anthropic(base_url=url, api_key="sk-ant-x", max_retries=5)
        ok = client.messages.create(
            model="c", max_tokens=16, messages=[{"role": "user", "content": "hi"}]
        )
        assert ok.content[-1].text
        with pytest.raises(anthropic.RateLimitError) as err:
            client.messages.create(
                model="c", max_tokens=16, messages=[{"role": "user", "content": "again"}]
            )
    assert err.value.body["error"]["type"] == "rate_limit_error"
    assert len(throttles(log)) == 1


def test_streamed_answer_is_intact_and_settled_with_real_usage() -> None:
    log = io.StringIO()
    app = protected("openai_server", log, bucket_capacity=100_000, bucket_refill_per_second=1)
    with serve(app) as url:
        client = openai.OpenAI(base_url=f"{url}/v1", api_key="sk-stream", max_retries=0)
        stream = client.chat.completions.create(
            model="fake-model",
            messages=[{"role": "user", "content": "stream this please"}],
            max_tokens=50,
            stream=True,
            stream_options={"include_usage": True},
        )
        chunks = list(stream)
        text = "".join(c.choices[0].delta.content or "" for c in chunks if c.choices)
        usage = chunks[-1].usage
        assert text.startswith("Echo: stream this please") and usage is not None
        account = digest("key:" + digest(b"sk-stream", app.hash_key), app.hash_key)
        state = asyncio.run(app.store.account_state(account, time.time()))
    assert state is not None
    # refilled a little since, but far above the up-front reservation
    assert state["tokens"] == pytest.approx(100_000 - usage.total_tokens, abs=50)
