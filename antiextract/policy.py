"""From a store's outcome to one action, with the reasons an operator will read."""

from __future__ import annotations

from dataclasses import dataclass

from .bucket import TOKENS, Outcome

ALLOW = "allow"
THROTTLE = "throttle"


@dataclass(frozen=True, slots=True)
class Decision:
    action: str
    reasons: tuple[str, ...]
    retry_after: float = 0.0
    limit: str | None = None  # the limit that refused, for RateLimit headers


_ALLOWED = Decision(ALLOW, ())


def decide(outcome: Outcome) -> Decision:
    if outcome.allowed:
        return _ALLOWED
    limit = outcome.denied_by or TOKENS
    reason = "token_budget" if limit == TOKENS else f"request_limit:{limit}"
    return Decision(THROTTLE, (reason,), outcome.retry_after, limit)
