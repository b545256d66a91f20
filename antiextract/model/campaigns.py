"""A flagged campaign's shared token bucket: the one part of a campaign the request plane
charges. Counting accounts into cohorts and flagging them is the intelligence plane's
(``intel/``), off the request path; a request only looks its cohorts up among the
verdicts and, for those that ration their members, takes its cost from the campaign's
one bucket, in the same store call as its account.

Only cohorts that share a prompt template (exactly, ``t:``, or by LSH band, ``l:``)
ration: thousands of unrelated people share a subnet or an SDK's fingerprint and must not
share a budget with a campaign (``cohorts.bucket_refusal`` reads the same kinds).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from .cohorts import CohortModel, CohortView

RATIONING = ("t", "l")  # cohort kinds whose campaigns share one bucket among members


@dataclass(frozen=True, slots=True)
class CampaignCharge:
    """The flagged campaigns one request belongs to (the verdicts its cohort keys matched),
    as the policy reads them. The store charges the rationing ones' shared buckets and
    returns all of them as ``Outcome.cohorts``, each with its bucket's answer."""

    views: tuple[CohortView, ...]

    @property
    def keys(self) -> tuple[str, ...]:
        """The cohort keys whose shared bucket this request is charged to."""
        return tuple(v.key for v in self.views if v.key[:1] in RATIONING)


def take_shared(
    tokens: float | None, ts: float | None, cost: float, now: float, m: CohortModel
) -> tuple[float, bool, float]:
    """Take ``cost`` from a campaign's shared bucket holding ``tokens`` at ``ts`` (None: a
    bucket never charged, full): (tokens left at ``now``, allowed, retry_after). A request
    is charged at most the whole bucket, so a huge one waits, never for ever; a refused
    one takes nothing. ``store/campaign.lua`` transcribes this."""
    level = m.bucket_capacity
    if tokens is not None and ts is not None:
        level = min(m.bucket_capacity, tokens + max(0.0, now - ts) * m.bucket_refill)
    cost = min(cost, m.bucket_capacity)
    if level >= cost:
        return level - cost, True, 0.0
    return level, False, (cost - level) / m.bucket_refill


def bucket_ttl(m: CohortModel) -> int:
    """Seconds an idle shared bucket is kept: by then it has refilled to full, which is
    what a missing one reads as (so dropping it changes nothing)."""
    return math.ceil(m.bucket_capacity / m.bucket_refill) + 60


def charged(
    views: tuple[CohortView, ...], answers: dict[str, tuple[bool, float]]
) -> tuple[CohortView, ...]:
    """``views`` with each charged bucket's answer (allowed, retry_after) in place."""
    out = []
    for v in views:
        answer = answers.get(v.key)
        out.append(v if answer is None else v._replace(allowed=answer[0], retry_after=answer[1]))
    return tuple(out)
