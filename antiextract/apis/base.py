"""What every API family adapter provides: request facts and errors in its own format."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import orjson

# Kinds of refusal the middleware itself produces; each family maps them to its wire names.
RATE_LIMIT = "rate_limit"
PERMISSION = "permission"
UNAVAILABLE = "unavailable"
INVALID = "invalid_request"


@dataclass(slots=True)
class RequestFacts:
    """What the hot path needs to know about one request body, parsed once."""

    family: str
    parsed: bool = False  # the body was a JSON object within the inspection cap
    model: str | None = None
    output_tokens: int | None = None  # requested output budget, when the body names one
    n: int = 1  # completions requested per prompt
    stream: bool = False
    end_user: str | None = None  # the app's own end-user id (sub-identity), when sent
    odd: list[str] = field(default_factory=list)  # wrong types or shapes seen in the body
    doc: dict[str, Any] | None = None  # the parsed body, for later stages


def int_field(doc: dict[str, Any], name: str, facts: RequestFacts) -> int | None:
    """An integer parameter; wrong types are noted as odd, never raised."""
    value = doc.get(name)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int):
        facts.odd.append(f"{name}:type")
        return None
    return value


def str_field(doc: dict[str, Any], name: str, facts: RequestFacts) -> str | None:
    value = doc.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        facts.odd.append(f"{name}:type")
        return None
    return value


class ApiFamily:
    """Base adapter: OpenAI-style errors, no family-specific parameters."""

    name = "generic"
    output_fields: tuple[str, ...] = ("max_tokens", "max_completion_tokens", "max_output_tokens")

    def facts(self, body: bytes | None) -> RequestFacts:
        facts = RequestFacts(self.name)
        if body is None:
            facts.odd.append("body:uninspected")
            return facts
        try:
            doc = orjson.loads(body)
        except orjson.JSONDecodeError:
            facts.odd.append("body:json")
            return facts
        if not isinstance(doc, dict):
            facts.odd.append("body:shape")
            return facts
        facts.parsed = True
        facts.doc = doc
        self.read(doc, facts)
        return facts

    def read(self, doc: dict[str, Any], facts: RequestFacts) -> None:
        facts.model = str_field(doc, "model", facts)
        for name in self.output_fields:
            value = int_field(doc, name, facts)
            if value is not None:
                facts.output_tokens = max(value, 0)
                break
        n = int_field(doc, "n", facts)
        if n is not None:
            facts.n = min(max(n, 1), 128)
        stream = doc.get("stream")
        facts.stream = stream is True
        facts.end_user = self.end_user(doc, facts)

    def end_user(self, doc: dict[str, Any], facts: RequestFacts) -> str | None:
        return str_field(doc, "safety_identifier", facts) or str_field(doc, "user", facts)

    def error_body(self, kind: str, message: str, code: str | None = None) -> bytes:
        wire_type = {
            RATE_LIMIT: "rate_limit_error",
            PERMISSION: "permission_error",
            UNAVAILABLE: "service_unavailable",
            INVALID: "invalid_request_error",
        }[kind]
        return orjson.dumps(
            {"error": {"message": message, "type": wire_type, "param": None, "code": code}}
        )
