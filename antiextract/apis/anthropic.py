"""Anthropic Messages."""

from __future__ import annotations

from typing import Any

import orjson

from .base import INVALID, PERMISSION, RATE_LIMIT, UNAVAILABLE, ApiFamily, RequestFacts


class Messages(ApiFamily):
    name = "anthropic.messages"
    output_fields = ("max_tokens",)

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
        }[kind]
        return orjson.dumps({"type": "error", "error": {"type": wire_type, "message": message}})
