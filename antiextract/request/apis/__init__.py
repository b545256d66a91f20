"""API family adapters, chosen by request path."""

from __future__ import annotations

from .anthropic import Messages
from .base import (
    INVALID,
    PERMISSION,
    RATE_LIMIT,
    TOO_LARGE,
    UNAVAILABLE,
    ApiFamily,
    RequestFacts,
)
from .native import Generic, Invocations
from .openai import ChatCompletions, Completions, Responses

CHAT = ChatCompletions()
COMPLETIONS = Completions()
RESPONSES = Responses()
MESSAGES = Messages()
GENERIC = Generic()
INVOCATIONS = Invocations(CHAT, COMPLETIONS)
# The family a request was read as (``RequestFacts.family``), by name: an /invocations
# body is read as chat or completions, and is charged, degraded and answered as such.
FAMILIES = {f.name: f for f in (CHAT, COMPLETIONS, RESPONSES, MESSAGES, GENERIC)}

_BY_SUFFIX = (
    ("/chat/completions", CHAT),
    ("/completions", COMPLETIONS),
    ("/responses", RESPONSES),
    ("/messages", MESSAGES),
    ("/invocations", INVOCATIONS),
)


def canonical_path(path: str) -> str:
    """The form in which a request path is compared with the protected ones: what some
    server would treat as the same route. Repeated slashes are one, ``.`` and ``..``
    segments are resolved, ``;parameters`` of a segment dropped (servlet containers do),
    a trailing slash removed, letters lower-cased, and a ``#fragment`` cut off: a server
    that keeps it in the path (h11 does) passes it to an app or an HTTP client that drops
    it (httpx does, behind the gateway). A client that spells a protected route another
    way (``//v1/chat/completions/``, ``/v1/chat/completions#x``) must not reach it
    unprotected through a server or an upstream that normalises what Starlette does not."""
    path = path.split("#", 1)[0]
    segments: list[str] = []
    for segment in path.split("/"):
        segment = segment.split(";", 1)[0]
        if segment in ("", "."):
            continue
        if segment == "..":
            if segments:
                segments.pop()
            continue
        segments.append(segment)
    return "/" + "/".join(segments).lower()


def route_path(path: str, root_path: str) -> str | None:
    """The path relative to the app's mount point (``root_path``), as Starlette routes
    it: what the protected paths are matched against, so a server run with
    ``--root-path /api`` (uvicorn, vLLM), ``FastAPI(root_path=...)`` or a middleware
    inside a ``Mount`` protects ``/api/v1/chat/completions`` as ``/v1/chat/completions``.
    ``None`` when the path is not under ``root_path`` (Starlette then routes the full
    path, which is matched as it is)."""
    if not root_path or not path.startswith(root_path):
        return None
    rest = path[len(root_path) :]
    return rest if rest.startswith("/") else None


def family_for_path(path: str) -> ApiFamily:
    """The adapter for a protected path; unknown paths get OpenAI-style errors (and
    read the native servers' fields, ``apis.native``)."""
    trimmed = path.split("#", 1)[0].rstrip("/")
    for suffix, family in _BY_SUFFIX:
        if trimmed.endswith(suffix):
            return family
    return GENERIC


__all__ = [
    "FAMILIES",
    "INVALID",
    "PERMISSION",
    "RATE_LIMIT",
    "TOO_LARGE",
    "UNAVAILABLE",
    "ApiFamily",
    "RequestFacts",
    "canonical_path",
    "family_for_path",
    "route_path",
]
