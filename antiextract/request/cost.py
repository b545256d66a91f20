"""What a request costs, in LLM tokens, before and after it runs.

Up front nothing has been tokenised, so the prompt is estimated from the body size: about
four bytes per token for English text and code (the figure OpenAI and Anthropic both give
as a rule of thumb). Every byte the server could turn into tokens is counted, JSON framing
and padding included, because a byte is the one thing no tokenizer packs more than one
token into: the prompt can be under-estimated at most four times (text made of one-byte
tokens), never more. Padding over-estimates instead, and costs only the padder: see
``charge``.

The charge rule, and the invariant it keeps (checked by tests/test_charging.py over random
sequences of requests, settlements and failures, on every store):

    For every request, ``charged = taken + settlement delta`` and
        0 <= charged                      never credited more than it was debited
        charged == usage                  when the response completed and reported usage
        charged >= max(taken, usage)      when it was cut short or reported none
        charged == 0                      when the app failed (5xx, or raised before answering)
    where ``taken`` is what the store debited up front (``Outcome.taken``: the estimate,
    capped at a full bucket, ``bucket.take_cost``). The bucket applies every charge with
    debt floored at -capacity, so an account is charged at least its reported usage minus
    what its bucket can hold.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .apis import RequestFacts

BYTES_PER_TOKEN = 4
# A prompt whose size cannot be known (a body past the inspection cap, an encoding we
# cannot read): charged as the largest request, which ``bucket.take_cost`` turns into a
# full bucket. Its ``n``, its prompts and its budget are unread too, so no smaller figure
# bounds what it may ask for.
UNKNOWN = 1 << 40


def prompt_tokens(body_size: int | None, facts: RequestFacts, *, max_output: int) -> int:
    """Estimated prompt tokens of a body of ``body_size`` bytes (None: size unknown), plus
    ``max_output`` for every piece of context the server fetches itself (an image or file
    by URL or id, an earlier response, a hosted search tool): what it brings in is not in
    the body, and no byte count bounds it. ``max_output`` is the operator's figure for the
    largest single piece a request may ask for; it covers an image (a few thousand tokens
    at most on the major APIs), not a long document, which only its usage settles."""
    if body_size is None:
        return UNKNOWN
    return math.ceil(body_size / BYTES_PER_TOKEN) + facts.references * max_output


def output_tokens(facts: RequestFacts, *, default_output: int, max_output: int) -> int:
    """Requested output tokens x samples x prompts. A budget below 1 means "no limit" on
    servers that take one (llama.cpp's -1), and a body we could not read (an encoding we
    cannot decode, not JSON) may name any budget: both are charged as the most. Every
    sample (``n``, ``best_of``) of every prompt (a legacy completions batch) is generated,
    so each is charged."""
    requested = facts.output_tokens
    if not facts.parsed:
        requested = max_output
    elif requested is None:
        requested = default_output
    elif requested < 1:
        requested = max_output
    return min(requested, max_output) * facts.n * facts.prompts


def estimate(
    body_size: int | None, facts: RequestFacts, *, default_output: int, max_output: int
) -> int:
    """Reserved cost: estimated prompt tokens (fetched context included) + requested
    output tokens (capped) x n x prompts."""
    return prompt_tokens(body_size, facts, max_output=max_output) + output_tokens(
        facts, default_output=default_output, max_output=max_output
    )


@dataclass(frozen=True, slots=True)
class Response:
    """What settlement knows of a response (``_ResponseObserver`` in the middleware)."""

    status: int | None  # None: the app raised before answering
    complete: bool  # the final body message went out
    usage: int | None  # tokens the response reported (``usage.UsageReader``), None if none
    seen_output: int = 0  # output tokens the body visibly carried (``seen_output``)


def charge(taken: float, prompt: int, response: Response) -> float:
    """What a request is finally charged, given what was ``taken`` for it up front and its
    ``prompt`` estimate (see the module docstring for the invariant this keeps).

    A response cut short keeps at least its reservation: its usage, if any, may be a
    placeholder (Anthropic's ``message_start`` says 1 output token), and a harvester must
    not pay for the prompt alone by hanging up early. A response that reports no usage
    (an OpenAI stream without ``stream_options.include_usage``) keeps its reservation and
    pays for every output token it visibly carried beyond it, so leaving out
    ``max_tokens`` and usage does not buy a long answer for the default reservation."""
    if response.status is None or response.status >= 500:
        return 0.0  # the model did no work we can see
    if response.usage is not None and response.complete:
        return float(response.usage)
    seen = min(prompt, taken) + response.seen_output
    return float(max(taken, response.usage or 0, seen))


def seen_output(events: int, body_bytes: int, stream: bool) -> int:
    """Output tokens a response visibly carried: one per SSE event (servers stream a token
    or more per event), or four bytes per token of a JSON body. Only used when the
    response reported no usage."""
    return events if stream else math.ceil(body_bytes / BYTES_PER_TOKEN)
