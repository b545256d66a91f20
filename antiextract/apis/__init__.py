"""API family adapters, chosen by request path."""

from __future__ import annotations

from .anthropic import Messages
from .base import INVALID, PERMISSION, RATE_LIMIT, UNAVAILABLE, ApiFamily, RequestFacts
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
    "UNAVAILABLE",
    "ApiFamily",
    "RequestFacts",
    "family_for_path",
]
