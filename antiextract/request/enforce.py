"""The responses the middleware writes itself, in each API family's own format.

429s carry what clients need to back off correctly: ``Retry-After`` (whole seconds, RFC
9110), ``retry-after-ms`` (read first by the official OpenAI and Anthropic SDKs), and the
IETF ``RateLimit-Policy`` / ``RateLimit`` fields. The SDKs retry a 429 by itself, but
openai-python gives up on waits over 120 s and anthropic-sdk-python sleeps for any
Retry-After however long; so a wait longer than ``sdk_retry_ceiling`` (60 s by default)
also carries ``x-should-retry: false``: the SDK raises at once and the caller, who can
read the wait in the message and the headers, decides, instead of a worker sleeping for
an hour inside a client library.
"""

from __future__ import annotations

import math
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any, NamedTuple

from ..model.bucket import TOKENS, Limits
from .apis import PERMISSION, RATE_LIMIT, UNAVAILABLE, ApiFamily
from .policy import Decision

Headers = list[tuple[bytes, bytes]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]


class Refusal(NamedTuple):
    """A response the middleware writes instead of calling the app: built while the
    decision is still guarded (a builder that fails is a decision error, never a 500),
    then awaited as a tiny ASGI app. Unpacks as ``(status, headers, body)``."""

    status: int
    headers: Headers
    body: bytes

    async def __call__(self, scope: Any, receive: Any, send: Send) -> None:
        await send({"type": "http.response.start", "status": self.status, "headers": self.headers})
        await send({"type": "http.response.body", "body": self.body})


def json_headers(body: bytes, *extra: tuple[bytes, bytes]) -> Headers:
    return [
        (b"content-type", b"application/json"),
        (b"content-length", b"%d" % len(body)),
        *extra,
    ]


def policy_header(limits: Limits) -> bytes:
    """``RateLimit-Policy``: the bucket (w = seconds to refill it from empty) and windows."""
    parts = [f'"{TOKENS}";q={int(limits.capacity)};w={math.ceil(limits.capacity / limits.refill)}']
    parts += [f'"{w.name}";q={w.amount};w={w.seconds}' for w in (*limits.account, *limits.ip)]
    return ", ".join(parts).encode()


def throttle_response(
    family: ApiFamily, decision: Decision, limits: Limits, tokens: float, sdk_ceiling: float
) -> Refusal:
    wait = max(decision.retry_after, 0.001)
    seconds = max(1, math.ceil(wait))
    limit = decision.limit or TOKENS
    if limit == TOKENS:
        what = "the account's token budget is spent"
        remaining = max(0, int(tokens))
    else:
        what = f"the request limit {limit} is reached"
        remaining = 0
    message = f"Rate limit exceeded: {what}. Retry after {seconds} s."
    if wait > sdk_ceiling:
        message += " Automatic retries are disabled because the wait is long."
    body = family.error_body(RATE_LIMIT, message, code="rate_limit_exceeded")
    headers = json_headers(
        body,
        (b"retry-after", str(seconds).encode()),
        (b"retry-after-ms", str(math.ceil(wait * 1000)).encode()),
        (b"ratelimit-policy", policy_header(limits)),
        (b"ratelimit", f'"{limit}";r={remaining};t={seconds}'.encode()),
        (b"x-should-retry", b"false" if wait > sdk_ceiling else b"true"),
    )
    return Refusal(429, headers, body)


def block_response(family: ApiFamily, decision: Decision) -> Refusal:
    """403 in the family's format; not retryable by the SDKs, with the cool-down stated."""
    seconds = max(1, math.ceil(decision.retry_after))
    message = (
        "This account is blocked for suspected model extraction "
        f"(automated distillation traffic). The block lifts in {seconds} s; "
        "contact the provider if this is a mistake."
    )
    body = family.error_body(PERMISSION, message, code="account_blocked")
    headers = json_headers(
        body, (b"retry-after", str(seconds).encode()), (b"x-should-retry", b"false")
    )
    return Refusal(403, headers, body)


def unavailable_response(family: ApiFamily, retry_after: float) -> Refusal:
    """503 while the limiter cannot decide (FAIL_MODE=closed: the store is unreachable, or
    deciding failed): retry once the store is probed again. What went wrong is in the log
    and the metrics, never in the body."""
    wait = max(1, math.ceil(retry_after))
    body = family.error_body(
        UNAVAILABLE,
        "Rate limiting is temporarily unavailable; retry shortly.",
        "limiter_unavailable",
    )
    return Refusal(503, json_headers(body, (b"retry-after", b"%d" % wait)), body)
