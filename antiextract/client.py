"""Client helper: answer antiextract proof-of-work challenges without the caller noticing.

``ChallengeAuth`` is an auth flow for both ``httpx`` and ``httpx2`` clients (the two
share the generator protocol: ``auth_flow`` / ``sync_auth_flow`` / ``async_auth_flow``).
It sends the request; when the response carries ``AntiExtract-Challenge`` it solves the
challenge (in a worker thread for async clients, so the event loop keeps running) and
sends the same request once more with ``AntiExtract-Solution``. Any other response,
or a second challenge, is returned to the caller unchanged.

With the official SDKs::

    from antiextract.client import anthropic_http_client, openai_http_client

    client = openai.OpenAI(http_client=openai_http_client())
    aclient = openai.AsyncOpenAI(http_client=openai_http_client(sync=False))
    claude = anthropic.Anthropic(http_client=anthropic_http_client())

openai 3.x and anthropic 2.x build on ``httpx2`` (openai also accepts ``httpx``
clients, anthropic does not); older releases build on ``httpx``. The constructors start
from the SDK's own ``DefaultHttpxClient`` / ``DefaultAsyncHttpxClient`` when it has one,
so the SDK's timeouts and connection limits are kept and the client is of the module
the SDK checks for.

Limitation: an SDK that sends its own per-request ``auth`` replaces the client's auth
for that request. openai does so only with ``provider=`` or workload identity and
anthropic only with credential providers (OAuth, profiles); with an API key, as usual,
the client's auth applies.
"""

from __future__ import annotations

import functools
import importlib
import threading
from collections.abc import AsyncGenerator, Generator
from types import ModuleType
from typing import Any

import anyio.to_thread
import httpx

from .request.challenge import CHALLENGE_HEADER, SOLUTION_HEADER, peek, solve

try:
    import httpx2
except ImportError:  # pragma: no cover - httpx2 is optional
    httpx2 = None

DEFAULT_MAX_DIFFICULTY = 24

# httpx2.alias_httpx() can make both names one module: list each Auth class once.
_AUTH_BASES: tuple[type, ...] = tuple(
    dict.fromkeys(m.Auth for m in (httpx2, httpx) if m is not None)
)


class ChallengeAuth(*_AUTH_BASES):  # type: ignore[misc]
    """Solve antiextract challenges and resend; usable as ``auth=`` on any httpx or
    httpx2 client, sync or async.

    ``max_difficulty``: challenges asking more bits than this are not attempted (2**bits
    hashes, ~1M per second); the challenge response is returned as it is.
    """

    requires_request_body = True  # the body is buffered so it can be sent twice
    requires_response_body = False

    def __init__(self, max_difficulty: int = DEFAULT_MAX_DIFFICULTY) -> None:
        self.max_difficulty = max_difficulty

    def challenge(self, response: Any) -> tuple[str, int] | None:
        """(token, bits) when ``response`` is a challenge this helper will answer."""
        token = response.headers.get(CHALLENGE_HEADER)
        claims = peek(token.strip()) if token else None
        if claims is None or claims.difficulty > self.max_difficulty:
            return None
        return token.strip(), claims.difficulty

    @staticmethod
    def _answer(request: Any, token: str, solution: str) -> Any:
        request.headers[SOLUTION_HEADER] = f"{token}:{solution}"
        return request

    def auth_flow(self, request: Any) -> Generator[Any, Any, None]:
        response = yield request
        found = self.challenge(response)
        if found is not None:
            token, bits = found
            yield self._answer(request, token, solve(token, bits))

    def sync_auth_flow(self, request: Any) -> Generator[Any, Any, None]:
        request.read()
        yield from self.auth_flow(request)

    async def async_auth_flow(self, request: Any) -> AsyncGenerator[Any, Any]:
        await request.aread()
        response = yield request
        found = self.challenge(response)
        if found is None:
            return
        token, bits = found
        solution = await solve_in_thread(token, bits)
        yield self._answer(request, token, solution)


async def solve_in_thread(token: str, difficulty: int | None = None) -> str:
    """``solve`` in a worker thread; a cancelled caller stops the thread too."""
    cancel = threading.Event()
    work = functools.partial(solve, token, difficulty, cancel=cancel)
    try:
        return await anyio.to_thread.run_sync(work, abandon_on_cancel=True)
    finally:
        cancel.set()


def http_module(sdk: str | None = None) -> ModuleType:
    """The HTTP module (``httpx2`` or ``httpx``) an SDK builds its clients with.

    Read from the installed SDK's ``_base_client``; with no SDK named or installed,
    httpx2 when it is installed, else httpx.
    """
    if sdk is not None:
        try:
            base = importlib.import_module(f"{sdk}._base_client")
        except ImportError:
            base = None
        if base is not None:
            for name in ("httpx2", "httpx"):
                module = getattr(base, name, None)
                if isinstance(module, ModuleType):
                    return module
    return httpx2 if httpx2 is not None else httpx


def http_client(
    sdk: str | None = None,
    sync: bool = True,
    *,
    max_difficulty: int = DEFAULT_MAX_DIFFICULTY,
    **kwargs: Any,
) -> Any:
    """An httpx2/httpx ``Client`` (or ``AsyncClient``) with ``ChallengeAuth``, of the
    module ``sdk`` expects, with the SDK's defaults when it exports them.

    ``kwargs`` go to the client constructor (timeout, limits, transport, ...).
    """
    module = http_module(sdk)
    base = module.Client if sync else module.AsyncClient
    cls = base
    if sdk is not None:
        try:
            package = importlib.import_module(sdk)
        except ImportError:
            package = None
        name = "DefaultHttpxClient" if sync else "DefaultAsyncHttpxClient"
        default = getattr(package, name, None)
        if isinstance(default, type) and issubclass(default, base):
            cls = default
    return cls(auth=ChallengeAuth(max_difficulty), **kwargs)


def openai_http_client(sync: bool = True, **kwargs: Any) -> Any:
    """For ``openai.OpenAI(http_client=...)`` (``sync=False``: ``openai.AsyncOpenAI``)."""
    return http_client("openai", sync, **kwargs)


def anthropic_http_client(sync: bool = True, **kwargs: Any) -> Any:
    """For ``anthropic.Anthropic(http_client=...)`` (``sync=False``: ``AsyncAnthropic``)."""
    return http_client("anthropic", sync, **kwargs)


__all__ = [
    "ChallengeAuth",
    "anthropic_http_client",
    "http_client",
    "http_module",
    "openai_http_client",
    "solve_in_thread",
]
