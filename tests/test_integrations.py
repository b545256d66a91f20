"""The ways hosts add the middleware: FastAPI's add_middleware, and vLLM's --middleware."""

from __future__ import annotations

import importlib
import inspect

import openai
import pytest
from fastapi import FastAPI
from starlette.applications import Starlette

from .servers import load_example, serve


def test_fastapi_one_line_configured_by_env(monkeypatch) -> None:
    monkeypatch.setenv("ANTIEXTRACT_ACCOUNT_LIMITS", "2/hour")
    fastapi_app = load_example("fastapi_app")
    with serve(fastapi_app.app) as url:
        client = openai.OpenAI(base_url=f"{url}/v1", api_key="sk-fastapi", max_retries=0)
        for i in range(2):
            answer = client.chat.completions.create(
                model="m", messages=[{"role": "user", "content": f"hello {i}"}]
            )
            assert answer.choices[0].message.content == f"You said: hello {i}"
        with pytest.raises(openai.RateLimitError):
            client.chat.completions.create(model="m", messages=[{"role": "user", "content": "x"}])


def add_middleware_like_vllm(app: Starlette, dotted: str) -> None:
    """What vLLM's OpenAI server does with each ``--middleware`` value
    (vllm/entrypoints/openai/api_server.py, ``build_app``): import the object by dotted
    path; a class is added with ``app.add_middleware(cls)`` and no arguments, a coroutine
    function as an ``http`` middleware."""
    module_path, name = dotted.rsplit(".", 1)
    imported = getattr(importlib.import_module(module_path), name)
    if inspect.isclass(imported):
        app.add_middleware(imported)
    elif inspect.iscoroutinefunction(imported):
        app.middleware("http")(imported)
    else:
        raise ValueError(f"Invalid middleware {dotted}. Must be a function or a class.")


def test_vllm_style_middleware_option_by_dotted_path(monkeypatch) -> None:
    monkeypatch.setenv("ANTIEXTRACT_ACCOUNT_LIMITS", "1/hour")
    monkeypatch.setenv("ANTIEXTRACT_MODE", "enforce")
    app: FastAPI = load_example("openai_server").create_app()
    add_middleware_like_vllm(app, "antiextract.AntiExtractMiddleware")
    with serve(app) as url:
        client = openai.OpenAI(base_url=f"{url}/v1", api_key="sk-vllm", max_retries=0)
        client.chat.completions.create(model="m", messages=[{"role": "user", "content": "a"}])
        with pytest.raises(openai.RateLimitError) as err:
            client.chat.completions.create(model="m", messages=[{"role": "user", "content": "b"}])
    assert err.value.response.headers["ratelimit"].startswith('"account-1-per-3600s"')


async def test_vllm_style_bad_env_fails_at_start_up(monkeypatch) -> None:
    """Starlette builds the middleware inside the lifespan call; its start-up fails there
    with the one-line message (the uvicorn processes: tests/test_startup.py)."""
    monkeypatch.setenv("ANTIEXTRACT_MODE", "nonsense")
    app = Starlette()
    add_middleware_like_vllm(app, "antiextract.AntiExtractMiddleware")
    sent = []

    async def receive():
        return {"type": "lifespan.startup"}

    async def send(message):
        sent.append(message)

    await app({"type": "lifespan", "asgi": {"version": "3.0"}, "state": {}}, receive, send)
    assert [m["type"] for m in sent] == ["lifespan.startup.failed"]
    assert "ANTIEXTRACT_MODE='nonsense'" in sent[0]["message"]
