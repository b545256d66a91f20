"""Which requests are protected: paths as the app routes them.

- relative to the app's ``root_path``: ``uvicorn --root-path`` (and vLLM's), FastAPI's
  ``root_path``, a middleware inside a Starlette ``Mount``; a respelt path keeps the
  prefix;
- the native generation routes of the servers the README names (vLLM's ``/invocations``,
  TGI, llama.cpp, Ollama) under the default ``ANTIEXTRACT_PATHS``, read in their own
  shapes.

Real apps under uvicorn on loopback where the server builds the scope (``root_path``),
raw ASGI where the scope is the point.
"""

from __future__ import annotations

import io
import json
import warnings
from typing import Any

import httpx
import pytest
from fastapi import FastAPI, Request
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.responses import JSONResponse
from starlette.routing import Mount, Route

from antiextract import AntiExtractMiddleware, Settings
from antiextract.audit import make_logger

from .asgi import Exchange, bearer, chat_body, http_scope
from .conftest import SimClock
from .servers import serve

USAGE = {"prompt_tokens": 3, "completion_tokens": 2, "total_tokens": 5}
LIMITED = {"account_limits": "2/minute", "degrade_at": 100.0, "challenge_at": 150.0,
           "block_at": 200.0}  # fmt: skip


async def answer(request: Request) -> JSONResponse:
    await request.body()
    return JSONResponse(
        {"choices": [], "usage": USAGE, "path": request.url.path, "scope": request.scope["path"]}
    )


def statuses(url: str, key: str, n: int = 3, **kw: Any) -> list[int]:
    headers = {"authorization": f"Bearer {key}", "content-type": "application/json"}
    with httpx.Client(trust_env=False, timeout=10) as client:
        return [client.post(url, headers=headers, content=chat_body(), **kw).status_code
                for _ in range(n)]  # fmt: skip


def protected_app(**settings: Any) -> Starlette:
    s = Settings(**{**LIMITED, **settings})
    logger = make_logger(stream=io.StringIO())
    return Starlette(
        routes=[Route("/v1/chat/completions", answer, methods=["POST"])],
        middleware=[Middleware(AntiExtractMiddleware, settings=s, logger=logger)],
    )


# --------------------------------------------------------------------------- root_path


def test_uvicorn_root_path_protects_the_model_route() -> None:
    """``uvicorn --root-path /api`` (vLLM's ``--root-path`` too) puts the prefix in the
    scope's path; the route is still /v1/chat/completions, and must be limited."""
    with serve(protected_app(), root_path="/api") as url:
        assert statuses(f"{url}/v1/chat/completions", "sk-root") == [200, 200, 429]


def test_uvicorn_root_path_respelt_path_keeps_its_prefix() -> None:
    """Another spelling under a root path is protected and reaches the app as the
    configured path under the same root, so Starlette routes it."""
    with serve(protected_app(), root_path="/api") as url:
        headers = {"authorization": "Bearer sk-respelt"}
        with httpx.Client(trust_env=False, timeout=10) as client:
            first = client.post(f"{url}/v1//chat/completions/", headers=headers, content=b"{}")
            second = client.post(f"{url}/v1/chat/completions", headers=headers, content=b"{}")
            third = client.post(f"{url}/V1/chat/completions", headers=headers, content=b"{}")
    assert (first.status_code, second.status_code, third.status_code) == (200, 200, 429)
    assert first.json()["scope"] == "/api/v1/chat/completions"
    assert first.json()["path"] == "/api/v1/chat/completions"


async def test_fastapi_root_path_protects_the_prefixed_route() -> None:
    """``FastAPI(root_path=...)`` (what vLLM's ``--root-path`` sets on its app) routes
    both ``/v1/...`` and ``/api/v1/...`` to the model: both are one protected route."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # FastAPI deprecates the argument; vLLM still sets it
        app = FastAPI(root_path="/api")
    app.add_middleware(
        AntiExtractMiddleware,
        settings=Settings(**LIMITED),
        clock=SimClock(),
        logger=make_logger(stream=io.StringIO()),
    )
    app.post("/v1/chat/completions")(answer)
    got = []
    for path in ("/api/v1/chat/completions", "/api/v1/chat/completions", "/v1/chat/completions"):
        ex = Exchange(chat_body())
        await app(http_scope(path, headers=bearer("sk-fastapi-root")), ex.receive, ex.send)
        got.append(ex.status)
    assert got == [200, 200, 429]


def test_middleware_inside_a_mount_is_matched_relative_to_the_mount() -> None:
    """A protected app mounted under /api: Starlette gives it root_path /api and the full
    path; the middleware inside the mount must still see its chat route."""
    outer = Starlette(routes=[Mount("/api", app=protected_app())])
    with serve(outer) as url:
        assert statuses(f"{url}/api/v1/chat/completions", "sk-mount") == [200, 200, 429]


async def test_root_path_does_not_protect_other_routes() -> None:
    seen: list[str] = []

    async def app(scope: Any, receive: Any, send: Any) -> None:
        seen.append(scope["path"])
        await send({"type": "http.response.start", "status": 200, "headers": []})
        await send({"type": "http.response.body", "body": b"{}"})

    mw = AntiExtractMiddleware(app, Settings(**LIMITED), SimClock(),
                               logger=make_logger(stream=io.StringIO()))  # fmt: skip
    for _ in range(3):
        scope = {**http_scope("/api/v1/embeddings", headers=bearer()), "root_path": "/api"}
        ex = Exchange(b"{}")
        await mw(scope, ex.receive, ex.send)
        assert ex.status == 200
    assert seen == ["/api/v1/embeddings"] * 3


# --------------------------------------------------------------------------- native routes


async def invocations(request: Request) -> JSONResponse:
    """vLLM's /invocations: chat when the body has messages, completion when it has a
    prompt (vllm/entrypoints/openai/api_server.py validates it against each in turn)."""
    doc = json.loads(await request.body())
    kind = "chat" if "messages" in doc else "completion" if "prompt" in doc else None
    if kind is None:
        return JSONResponse({"error": "unsupported"}, status_code=400)
    return JSONResponse({"object": kind, "choices": [], "usage": USAGE})


def test_vllm_invocations_is_protected_by_default() -> None:
    """vLLM serves /invocations on every server (SageMaker's route) and runs chat or
    completions by the body: with the default paths it is the chat route's twin, limited
    like it, answered in the OpenAI format when refused."""
    logger = make_logger(stream=io.StringIO())
    app = Starlette(
        routes=[Route("/invocations", invocations, methods=["POST"])],
        middleware=[Middleware(AntiExtractMiddleware, settings=Settings(**LIMITED), logger=logger)],
    )
    with serve(app) as url:
        assert statuses(f"{url}/invocations", "sk-invocations") == [200, 200, 429]
        key = {"authorization": "Bearer sk-invocations"}
        refused = httpx.post(
            f"{url}/invocations", content=chat_body(), headers=key, trust_env=False
        )
    assert refused.json()["error"]["code"] == "rate_limit_exceeded"


@pytest.mark.parametrize(
    ("path", "doc", "family", "output"),
    [
        ("/invocations", {"messages": [{"role": "user", "content": "hi"}], "max_tokens": 700},
         "openai.chat", 700),
        ("/invocations", {"prompt": "hi", "max_tokens": 600, "n": 2}, "openai.completions", 1200),
        ("/invocations", {"inputs": "hi", "parameters": {"max_new_tokens": 500}}, "generic", 500),
        ("/generate", {"inputs": "hi", "parameters": {"max_new_tokens": 4000}}, "generic", 4000),
        ("/completion", {"prompt": "hi", "n_predict": 3000}, "generic", 3000),
        ("/completion", {"prompt": "hi", "n_predict": -1, "max_tokens": 10}, "generic", 16384),
        ("/api/generate", {"model": "m", "prompt": "hi", "options": {"num_predict": 2000}},
         "generic", 2000),
    ],
)  # fmt: skip
async def test_native_routes_are_charged_their_own_budgets(
    path: str, doc: dict[str, Any], family: str, output: int
) -> None:
    """Default paths, no environment: each native route is protected, read as its
    server reads it, and reserves the output it asks for (the audit event's cost is the
    prompt estimate plus that output; below 1 means no limit: MAX_OUTPUT_TOKENS)."""
    log = io.StringIO()
    mw = AntiExtractMiddleware(
        _ok, Settings(audit_sample_rate=1.0), SimClock(), logger=make_logger(stream=log)
    )
    body = json.dumps(doc).encode()
    ex = Exchange(body)
    await mw(http_scope(path, headers=bearer()), ex.receive, ex.send)
    assert ex.status == 200
    (event,) = [e for e in map(json.loads, log.getvalue().splitlines())
                if e["event"] == "antiextract.decision"]  # fmt: skip
    assert event["api"] == family
    assert event["cost"] == -(-len(body) // 4) + output


async def _ok(scope: Any, receive: Any, send: Any) -> None:
    while (await receive()).get("more_body"):
        pass
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"application/json")]})  # fmt: skip
    await send({"type": "http.response.body", "body": b"{}"})
