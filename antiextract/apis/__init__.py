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
from .openai import ChatCompletions, Completions, Responses

CHAT = ChatCompletions()
COMPLETIONS = Completions()
RESPONSES = Responses()
MESSAGES = Messages()
GENERIC = ApiFamily()

_BY_SUFFIX = (
    ("/chat/completions", CHAT),
    ("/completions", COMPLETIONS),
    ("/responses", RESPONSES),
    ("/messages", MESSAGES),
)


def canonical_path(path: str) -> str:
    """The form in which a request path is compared with the protected ones: what some
    server would treat as the same route. Repeated slashes are one, ``.`` and ``..``
    segments are resolved, ``;parameters`` of a segment dropped (servlet containers do),
    a trailing slash removed, letters lower-cased. A client that spells a protected route
    another way (``//v1/chat/completions/``) must not reach it unprotected through a
    server or an upstream (behind the gateway) that normalises what Starlette does not."""
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


def family_for_path(path: str) -> ApiFamily:
    """The adapter for a protected path; unknown paths get OpenAI-style errors."""
    trimmed = path.rstrip("/")
    for suffix, family in _BY_SUFFIX:
        if trimmed.endswith(suffix):
            return family
    return GENERIC


__all__ = [
    "INVALID",
    "PERMISSION",
    "RATE_LIMIT",
    "TOO_LARGE",
    "UNAVAILABLE",
    "ApiFamily",
    "RequestFacts",
    "canonical_path",
    "family_for_path",
]
