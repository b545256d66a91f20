"""The account's accumulated evidence on the ladder (request/policy.py: read_evidence and
decide), on hand-worked numbers: the defaults offset 2.65 and scale 1.15, so a score s
adds max(0, s - 2.65) x 1.15, aged by a 7-day half-life."""

from __future__ import annotations

import pytest

from antiextract.intel.evidence_fold import AccountVerdict
from antiextract.model.bucket import BLOCKED, TOKENS, Outcome
from antiextract.model.evidence import EvidenceModel
from antiextract.model.risk import DAY, Assessment
from antiextract.request.policy import (
    ALLOW,
    BLOCK,
    CHALLENGE,
    DEGRADE,
    NO_EVIDENCE,
    THROTTLE,
    Thresholds,
    decide,
    read_evidence,
)

M = EvidenceModel()
LADDER = Thresholds(degrade_at=3.0, challenge_at=6.0)
NOW = 1_800_000_000.0


def outcome(level: float, allowed: bool = True, denied_by: str | None = None) -> Outcome:
    a = Assessment(level, 1.0, (0.0,) * 7, 0.0, 0.0, 1)
    return Outcome(allowed, 0.0, 0.0 if allowed else 5.0, denied_by, a)


def verdict(*totals: float, t: float = NOW) -> AccountVerdict:
    return AccountVerdict("acct", totals, t, t + 30 * DAY)


def test_evidence_under_the_offset_adds_nothing() -> None:
    read = read_evidence(verdict(2.0, 0.5, 0.0), NOW, M)  # 2.5 < 2.65
    assert read is NO_EVIDENCE
    assert read_evidence(None, NOW, M) is NO_EVIDENCE
    assert read_evidence(verdict(-2.0, -2.0, -2.0), NOW, M) is NO_EVIDENCE
    d = decide(outcome(2.8), LADDER, evidence=read)  # paraphrase's saturated level
    assert (d.action, d.risk) == (ALLOW, 2.8)


def test_a_saturated_level_plus_days_of_evidence_degrades_naming_the_kinds() -> None:
    # 4.0 - 0.3 + 1.78 = 5.48 -> (5.48 - 2.65) x 1.15 = 3.2545; level 1.0 -> 4.2545
    read = read_evidence(verdict(4.0, -0.3, 1.78), NOW, M)
    assert read.added == pytest.approx(3.2545)
    assert read.kinds == ("evidence:harvest", "evidence:churn")
    d = decide(outcome(1.0), LADDER, evidence=read)
    assert d.action == DEGRADE
    assert d.risk == pytest.approx(4.2545)
    assert d.reasons == ("risk>=3", "evidence:harvest", "evidence:churn")


def test_evidence_is_aged_to_the_request() -> None:
    # a week later 5.48 has halved to 2.74 -> (2.74 - 2.65) x 1.15 = 0.1035; 2.8 + 0.1035
    read = read_evidence(verdict(4.0, -0.3, 1.78, t=NOW - 7 * DAY), NOW, M)
    assert read.added == pytest.approx(0.1035)
    d = decide(outcome(2.8), LADDER, evidence=read)
    assert d.action == ALLOW and d.risk == pytest.approx(2.9035)


def test_heavy_evidence_challenges() -> None:
    # 8 + 4 = 12 -> (12 - 2.65) x 1.15 = 10.7525 >= 6
    d = decide(outcome(0.0), LADDER, evidence=read_evidence(verdict(8.0, 0.0, 4.0), NOW, M))
    assert d.action == CHALLENGE and d.risk == pytest.approx(10.7525)
    assert d.reasons == ("risk>=6", "evidence:harvest", "evidence:churn")


def test_refusals_keep_their_own_reasons() -> None:
    read = read_evidence(verdict(8.0, 0.0, 4.0), NOW, M)
    d = decide(outcome(0.0, False, TOKENS), LADDER, evidence=read)
    assert (d.action, d.reasons) == (THROTTLE, ("token_budget",))
    d = decide(outcome(0.0, False, BLOCKED), LADDER, evidence=read)
    assert (d.action, d.reasons) == (BLOCK, ("blocked",))
    assert d.risk == pytest.approx(10.7525)  # still reported (audit, metrics)
