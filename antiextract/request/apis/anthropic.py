"""Anthropic Messages."""

from __future__ import annotations

from typing import Any

import orjson

from ...vocab import MESSAGES_API
from .base import (
    INVALID,
    PERMISSION,
    RATE_LIMIT,
    TOO_LARGE,
    UNAVAILABLE,
    ApiFamily,
    RequestFacts,
    read_messages,
    text_of,
)


class Messages(ApiFamily):
    name = MESSAGES_API
    output_fields = ("max_tokens",)

    def read_sampling(self, doc: dict[str, Any], facts: RequestFacts) -> None:
        thinking = doc.get("thinking")
        if isinstance(thinking, dict):
            budget = thinking.get("budget_tokens")
            if thinking.get("type") in ("enabled", "adaptive"):
                facts.thinking_budget = budget if isinstance(budget, int) else 0
        elif thinking is not None:
            facts.odd.append("thinking:type")

    def read_prompt(self, doc: dict[str, Any], facts: RequestFacts) -> None:
        system = doc.get("system")
        if system is not None:
            facts.system_text = text_of(system, facts)
        read_messages(doc.get("messages"), facts)
        # A code-execution container's files and MCP servers' results are read into the
        # context by the server, not sent in the body.
        if doc.get("container"):
            facts.references += 1
        servers = doc.get("mcp_servers")
        if isinstance(servers, list):
            facts.references += len(servers)

    def end_user(self, doc: dict[str, Any], facts: RequestFacts) -> str | None:
        metadata = doc.get("metadata")
        if metadata is None:
            return None
        if not isinstance(metadata, dict):
            facts.odd.append("metadata:type")
            return None
        user = metadata.get("user_id")
        return user if isinstance(user, str) else None

    def error_body(self, kind: str, message: str, code: str | None = None) -> bytes:
        wire_type = {
            RATE_LIMIT: "rate_limit_error",
            PERMISSION: "permission_error",
            UNAVAILABLE: "overloaded_error",
            INVALID: "invalid_request_error",
            TOO_LARGE: "request_too_large",
        }[kind]
        return orjson.dumps({"type": "error", "error": {"type": wire_type, "message": message}})
