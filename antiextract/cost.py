"""What a request costs, in LLM tokens, before and after it runs.

Up front nothing has been tokenised, so the prompt is estimated from the body size: about
four bytes per token for English text and code (the figure OpenAI and Anthropic both give
as a rule of thumb). JSON framing is counted too, so the estimate errs a little high,
which is the safe side for a reservation; settlement replaces it with the real ``usage``.
"""

from __future__ import annotations

import math
import re

from .apis import RequestFacts

BYTES_PER_TOKEN = 4


def estimate(body_size: int, facts: RequestFacts, *, default_output: int, max_output: int) -> int:
    """Reserved cost: estimated prompt tokens + requested output tokens (capped) x n."""
    prompt = math.ceil(body_size / BYTES_PER_TOKEN)
    requested = facts.output_tokens if facts.output_tokens is not None else default_output
    return prompt + min(requested, max_output) * facts.n


# A real "usage" key: inside JSON strings every quote is escaped, so an unescaped
# `"usage":` can only be a key, never text the model wrote.
_USAGE = re.compile(rb'"usage"\s*:\s*\{')
_COUNT = re.compile(rb'"(prompt_tokens|completion_tokens|input_tokens|output_tokens)"\s*:\s*(\d+)')


def actual_tokens(*parts: bytes) -> int | None:
    """Real tokens used, from the ``usage`` objects in a response's head and tail.

    Works on JSON bodies and SSE streams of both families: OpenAI puts ``usage`` at the end
    (the last chunk when streaming); Anthropic streams ``input_tokens`` in
    ``message_start`` and a running ``output_tokens`` in ``message_delta``, so per field
    the largest value seen wins. ``None`` when no usage was reported.
    """
    best: dict[bytes, int] = {}
    for part in parts:
        for match in _USAGE.finditer(part):
            obj = _object_at(part, match.end() - 1)
            for name, value in _COUNT.findall(obj):
                n = int(value)
                if n > best.get(name, -1):
                    best[name] = n
    if not best:
        return None
    prompt = best.get(b"prompt_tokens", best.get(b"input_tokens", 0))
    output = best.get(b"completion_tokens", best.get(b"output_tokens", 0))
    return prompt + output


def _object_at(data: bytes, start: int) -> bytes:
    """The JSON object starting at ``data[start] == '{'``, nested objects included.

    Only brace-balanced scanning: usage objects hold numbers and nested objects, no
    strings with braces. A cut-off object is returned as far as it goes.
    """
    depth = 0
    for i in range(start, min(len(data), start + 4096)):
        c = data[i]
        if c == 0x7B:
            depth += 1
        elif c == 0x7D:
            depth -= 1
            if depth == 0:
                return data[start : i + 1]
    return data[start : start + 4096]
