"""From a store's outcome to one action, with the reasons an operator will read.

The ladder, mildest first: allow -> degrade -> challenge -> throttle -> block.

- block: the account is in a block cool-down (its risk crossed ``block_at``, or an
  operator blocked it). Checked in the store, so every replica agrees at once.
- throttle: a limit refused the request (token bucket or request counts).
- challenge: risk >= ``challenge_at``: the app is not called until the client pays a
  proof-of-work (or steps up to verified identity).
- degrade: risk >= ``degrade_at``: the app is called, with what an extractor values
  (reasoning, logprobs, several samples, long outputs) removed.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..intel.evidence_fold import AccountVerdict
from ..model.bucket import BLOCKED, TOKENS, Outcome
from ..model.cohorts import CohortView, bucket_refusal, strongest_link
from ..model.evidence import EvidenceModel, risk_added
from ..model.surge import SurgeModel
from ..model.surge import added as surge_added
from ..vocab import ACTIONS, ALLOW, BLOCK, CHALLENGE, DEGRADE, THROTTLE

__all__ = ["ACTIONS", "ALLOW", "BLOCK", "CAMPAIGN", "CHALLENGE", "DEGRADE", "THROTTLE"]
CAMPAIGN = "campaign"  # Decision.limit when a campaign's shared bucket refused
# The youth at least that a link by wrapper parts is scaled by: a campaign that rotates to
# accounts it aged for weeks is linked by what it sends, not by the account's age (tuning
# seeds 1-2: adaptive 36.4% -> 32.6% with the header, no honest request more).
LINK_YOUTH = 0.5


@dataclass(frozen=True, slots=True)
class Thresholds:
    degrade_at: float = 3.0
    challenge_at: float = 6.0
    block_at: float = 9.0
    challenge_enabled: bool = True


@dataclass(frozen=True, slots=True)
class Decision:
    action: str
    reasons: tuple[str, ...]
    retry_after: float = 0.0
    limit: str | None = None  # the limit that refused, for RateLimit headers
    risk: float = 0.0
    campaign: CohortView | None = None  # the flagged cohort that weighed most, if any
    campaign_added: float = 0.0  # what the campaign link added to ``risk`` (audit, inspect)
    surge_added: float = 0.0  # what a population surge added to ``risk`` (audit, inspect)


@dataclass(frozen=True, slots=True)
class EvidenceRead:
    """What an account's accumulated evidence adds to its risk, and the kinds behind it."""

    added: float = 0.0
    kinds: tuple[str, ...] = ()


NO_EVIDENCE = EvidenceRead()


def read_evidence(v: AccountVerdict | None, now: float, m: EvidenceModel) -> EvidenceRead:
    """The account verdict the intelligence plane published (``VerdictCache.account``),
    aged to ``now``: ``max(0, evidence - offset) x scale`` and the kinds weighing for it.
    The level (``risk.py``) saturates under the degrade threshold for an account that
    harvests for days; this is the part that keeps counting days (``model/evidence.py``)."""
    if v is None:
        return NO_EVIDENCE
    added = risk_added(v.evidence(now, m), m)
    return EvidenceRead(added, v.reasons()) if added > 0 else NO_EVIDENCE


def decide(
    outcome: Outcome,
    t: Thresholds,
    traits: int = 0,
    evidence: EvidenceRead = NO_EVIDENCE,
    surge: SurgeModel | None = None,
) -> Decision:
    """The action and why. The request's strongest flagged cohort weighs on this member
    (``cohorts.member_score``, given the request's trait bits) and, scaled by the account's
    youth, adds to the account's own risk, as does the account's accumulated evidence
    (``read_evidence``; its kinds are named in the reasons of a degrade or challenge); a
    campaign whose shared bucket refused this request (``cohorts.bucket_refusal``)
    throttles it. The risk's top contributions (``risk.reasons``) are added by the audit
    event, only for the decisions that are logged."""
    a = outcome.assessment
    risk = (a.risk if a is not None else 0.0) + evidence.added
    # a live surge verdict (``surge``: its model, None when none is live) weighs on young
    # members' harvest-shaped requests (model/surge.py)
    surged = 0.0
    if surge is not None and a is not None:  # own shape: min(elicit share, focus share)
        surged = surge_added(surge, a.youth, traits, min(a.shares[0], a.shares[1]))
    risk += surged
    kinds = (*evidence.kinds, "surge") if surged > 0 else evidence.kinds
    campaign, weight, by_parts = strongest_link(outcome.cohorts, traits)
    linked = 0.0
    if campaign is not None and campaign.score > 0:
        youth = a.youth if a is not None else 1.0
        if by_parts:  # linked by its wrapper's sentences: an aged
            youth = max(youth, LINK_YOUTH)  # account a campaign rotates to is linked too
        linked = weight * youth
        risk += linked
    else:
        campaign = None
    rationed = bucket_refusal(outcome.cohorts)
    if rationed is not None and outcome.allowed:
        return Decision(
            THROTTLE, ("campaign_budget", f"campaign:{rationed.key}"),
            rationed.retry_after, CAMPAIGN, risk, campaign, linked, surged,
        )  # fmt: skip
    if not outcome.allowed:
        if outcome.denied_by == BLOCKED:
            return Decision(
                BLOCK, ("blocked",), outcome.retry_after, BLOCKED, risk, campaign, linked, surged
            )
        limit = outcome.denied_by or TOKENS
        reason = "token_budget" if limit == TOKENS else f"request_limit:{limit}"
        return Decision(
            THROTTLE, (reason,), outcome.retry_after, limit, risk, campaign, linked, surged
        )
    if t.challenge_enabled and risk >= t.challenge_at:
        why = (f"risk>={t.challenge_at:g}", *kinds)
        return Decision(CHALLENGE, why, 0.0, None, risk, campaign, linked, surged)
    if risk >= t.degrade_at:
        why = (f"risk>={t.degrade_at:g}", *kinds)
        return Decision(DEGRADE, why, 0.0, None, risk, campaign, linked, surged)
    if risk == 0.0:
        return _ALLOWED
    return Decision(ALLOW, (), 0.0, None, risk, campaign, linked, surged)


_ALLOWED = Decision(ALLOW, ())
