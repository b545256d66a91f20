"""Per-account evidence (model/evidence.py): hand-worked numbers.

Every expected figure below was worked out by hand from the rules in the module docstring
(not by running the code): a small model with round ratios keeps the arithmetic visible.
"""

from __future__ import annotations

import math

import pytest

from antiextract.model.evidence import (
    UNSEEN,
    Evidence,
    EvidenceModel,
    kinds_shown,
    observe,
    reasons,
    relevant_until,
    risk_added,
    score,
)
from antiextract.model.risk import DAY, ELICIT, EXTRACT, FOCUS, SINGLE

T0 = 1_798_761_600.0  # a UTC midnight
HARVEST = ELICIT | FOCUS | SINGLE
# round numbers; extract_not, churn_not and the reason kind 0 unless a test is about them
M = EvidenceModel(
    harvest=3.0, harvest_not=-0.5, extract=0.5, extract_not=0.0, churn=1.5, churn_not=0.0,
    cap_pos=2.0, cap_neg=1.0, floor=2.0, half_life=DAY, alpha=0.01, offset=1.0, scale=2.0,
    reason=0.0, reason_not=0.0,
)  # fmt: skip
STILL = EvidenceModel(  # no decay to speak of: 0.5 ** (10 days / 1e12 s) = 1 - 6e-7
    harvest=3.0, harvest_not=-0.5, extract=0.5, extract_not=-0.25, churn=1.5,
    churn_not=-0.5, cap_pos=2.0, cap_neg=1.0, floor=2.0, half_life=1e12,
    reason=0.0, reason_not=0.0,
)  # fmt: skip


def send(e: Evidence, t: float, traits: int, m: EvidenceModel, net: int | None = None) -> None:
    observe(e, t, kinds_shown(traits, net, e, m), m)


def test_positive_evidence_is_capped_per_kind_and_day() -> None:
    e = Evidence()
    for _ in range(10):  # all at one instant: no decay in play
        send(e, T0 + 3_600, HARVEST | EXTRACT, M)
    # harvest: 3.0 shown, capped at cap_pos 2.0 for the day; extract: 0.5 once, not 5.0
    assert e.totals == pytest.approx([2.0, 0.5, 0.0, 0.0])  # reason: single-turn, unseen
    assert score(e, T0 + 3_600, M) == pytest.approx(2.5)
    send(e, T0 + DAY + 3_600, HARVEST | EXTRACT, M)  # next day: the caps start over
    # one day of decay halves 2.5 -> 1.0 + 0.25, then +2.0 and +0.5
    assert e.totals == pytest.approx([3.0, 0.75, 0.0, 0.0])


def test_negative_evidence_is_capped_per_day_and_bounded_below() -> None:
    e = Evidence()
    for day in range(4):  # three benign requests a day: -0.5 each, at most -1.0 a day
        for i in range(3):
            send(e, T0 + day * DAY + i * 60, 0, STILL)
    # harvest kind: -1, -2, then the floor -2 holds; extract_not -0.25 x3 = -0.75 a day,
    # -0.75, -1.5, -2 (floor), -2
    assert e.totals[0] == pytest.approx(-2.0, abs=1e-5)
    assert e.totals[1] == pytest.approx(-2.0, abs=1e-5)
    assert e.totals[2] == 0.0  # no subnet given: churn unseen
    # the banked credit is worth at most floor per kind: one harvest day takes it back
    send(e, T0 + 4 * DAY, HARVEST, STILL)
    assert e.totals[0] == pytest.approx(0.0, abs=1e-5)


def test_evidence_halves_with_the_half_life() -> None:
    e = Evidence()
    send(e, T0, HARVEST, M)
    assert score(e, T0, M) == pytest.approx(2.0)
    assert score(e, T0 + DAY, M) == pytest.approx(1.0)
    assert score(e, T0 + 3 * DAY, M) == pytest.approx(0.25)
    assert score(e, T0 - 60, M) == pytest.approx(2.0)  # never grows backwards


def test_evidence_grows_with_each_day_of_harvest() -> None:
    e = Evidence()
    got = []
    for day in range(4):  # one harvest a day, same hour; half-life one day
        send(e, T0 + day * DAY + 7_200, HARVEST, M)
        got.append(score(e, T0 + day * DAY + 7_200, M))
    # S1 = 2; S2 = 2/2 + 2 = 3; S3 = 3/2 + 2 = 3.5; S4 = 3.5/2 + 2 = 3.75
    assert got == pytest.approx([2.0, 3.0, 3.5, 3.75])


def test_volume_within_a_day_does_not_climb() -> None:
    once, busy = Evidence(), Evidence()
    send(once, T0 + 600, HARVEST | EXTRACT, M, net=1)
    for i in range(1_000):  # an agent loop: a thousand harvest-shaped requests that day
        send(busy, T0 + 600 + i * 80, HARVEST | EXTRACT, M, net=1)
    end = T0 + DAY - 1
    # both: harvest 2.0 + extract 0.5 at T0 + 600, decayed alike; churn 0 (one subnet)
    assert score(busy, end, M) == pytest.approx(score(once, end, M))
    assert score(once, end, M) == pytest.approx(2.5 * 0.5 ** ((DAY - 601) / DAY))


def test_benign_interleaving_washes_out_at_most_the_cap() -> None:
    pure, mixed = Evidence(), Evidence()
    for day in range(3):
        base = T0 + day * DAY
        send(pure, base + 7_200, HARVEST, STILL)
        for i in range(100):  # a hundred benign requests, before and after the harvest
            send(mixed, base + 3_600 + i, 0, STILL)
        send(mixed, base + 7_200, HARVEST, STILL)
        for i in range(100):
            send(mixed, base + 10_000 + i, 0, STILL)
    # pure harvest kind: 2 a day -> 6. mixed: each day -1 (cap_neg) then +2: 1, 2, 3.
    assert pure.totals[0] == pytest.approx(6.0, abs=1e-5)
    assert mixed.totals[0] == pytest.approx(3.0, abs=1e-5)
    # extract never shown: pure -0.25 a day (one request) = -0.75; mixed -1 a day, floor -2
    assert pure.totals[1] == pytest.approx(-0.75, abs=1e-5)
    assert mixed.totals[1] == pytest.approx(-2.0, abs=1e-5)


def test_churn_counts_a_subnet_not_among_the_last_few() -> None:
    m = EvidenceModel(networks=2, churn=1.5, churn_not=-0.5, cap_pos=10, cap_neg=10, floor=10)
    e = Evidence()
    assert kinds_shown(0, 1, e, m)[2] == UNSEEN  # first request: nothing to compare with
    assert kinds_shown(0, 1, e, m)[2] == 0
    assert kinds_shown(0, 2, e, m)[2] == 1
    assert kinds_shown(0, 3, e, m)[2] == 1  # remembers 3, 2: subnet 1 is forgotten
    assert kinds_shown(0, 1, e, m)[2] == 1
    assert kinds_shown(0, None, e, m)[2] == UNSEEN  # no subnet (allowlisted)
    assert e.nets == [1, 3]


def test_risk_added_and_how_long_a_score_matters() -> None:
    assert risk_added(0.5, M) == 0.0
    assert risk_added(2.5, M) == pytest.approx(3.0)  # (2.5 - 1) x 2
    d = EvidenceModel()  # the defaults: the flag bound ln(200) = 5.298 adds (5.298-2.65) x 1.15
    assert d.threshold == pytest.approx(math.log(200))
    assert risk_added(d.threshold, d) == pytest.approx(3.045, abs=1e-3)
    assert relevant_until(4.0, T0, M) == pytest.approx(T0 + 2 * DAY)  # 4 -> 2 -> 1
    assert relevant_until(0.9, T0, M) == T0
    assert relevant_until(2.0**40, T0, M) == T0 + M.ttl  # 40 half-lives > 30 days


def test_reasons_name_the_kinds_that_weigh_heaviest_first() -> None:
    assert reasons([2.0, -1.0, 3.5]) == ("evidence:churn", "evidence:harvest")
    assert reasons([0.0, -1.0, 0.0]) == ()
    assert reasons([0.5, 0.0, -1.0, 3.0]) == ("evidence:reason", "evidence:harvest")


# the reason kind alone (every other kind 0): shown +2.0, not shown -4.0, 1.5 a day either way
R = EvidenceModel(
    harvest=3.0, harvest_not=-0.5, extract=0.0, extract_not=0.0, churn=0.0, churn_not=0.0,
    reason=2.0, reason_not=-4.0, reason_cap_pos=1.5, reason_cap_neg=1.5,
    cap_pos=2.0, cap_neg=1.0, floor=2.0, half_life=1e12,
)  # fmt: skip
IN_A_CONVERSATION = ELICIT | FOCUS  # asks for full reasoning on coding work, not single-turn


def test_a_conversation_asking_for_full_reasoning_every_day_climbs_by_the_reason_cap() -> None:
    """Ten multi-turn requests a day asking for full reasoning (a harvester fabricating the
    earlier turns): the reason kind counts 2.0 capped at 1.5 once a day, 1.5, 3.0, 4.5; the
    harvest kind never sees them (neither for nor against: its total stays 0)."""
    e = Evidence()
    got = []
    for day in range(3):
        for i in range(10):
            send(e, T0 + day * DAY + 3_600 * (9 + i % 8), IN_A_CONVERSATION, R)
        got.append(e.totals[3])
    assert got == pytest.approx([1.5, 3.0, 4.5], abs=1e-5)
    assert e.totals[0] == 0.0


def test_one_reasoning_demand_a_day_among_an_ide_users_turns_nets_nothing() -> None:
    """Thirty multi-turn coding requests a day, the sixteenth asking for full reasoning: the
    first plain one counts -4.0 capped at -1.5 (the day's negative cap), the demand +1.5, the
    rest nothing more: -1.5 -> 0 every day, 0 after three days. The harvest kind reads the
    29 others as not its shape (-0.5 each, -1 a day): -1, -2, then the floor -2."""
    e = Evidence()
    reason = []
    for day in range(3):
        for i in range(30):
            traits = IN_A_CONVERSATION if i == 15 else FOCUS
            send(e, T0 + day * DAY + 30_000 + 60 * i, traits, R)
        reason.append(e.totals[3])
    assert reason == pytest.approx([0.0, 0.0, 0.0], abs=1e-5)
    assert e.totals[0] == pytest.approx(-2.0, abs=1e-5)
    # with the shared caps instead (negative 1.0 a day, as the other kinds have), the same
    # user would climb 1.5 - 1.0 = 0.5 a day: why the reason kind has caps of its own
    shared = EvidenceModel(**{**_fields(R), "reason_cap_neg": 1.0})
    e = Evidence()
    for day in range(3):
        for i in range(30):
            traits = IN_A_CONVERSATION if i == 15 else FOCUS
            send(e, T0 + day * DAY + 30_000 + 60 * i, traits, shared)
    assert e.totals[3] == pytest.approx(1.5, abs=1e-5)


def test_a_single_turn_harvest_is_the_harvest_kinds_alone() -> None:
    """A single-turn request asking for full reasoning on coding work counts once, in the
    harvest kind (3.0 capped at 2.0); the reason kind does not read single-turn requests."""
    e = Evidence()
    send(e, T0 + 600, HARVEST, R)
    assert e.totals == pytest.approx([2.0, 0.0, 0.0, 0.0])


def _fields(m: EvidenceModel) -> dict:
    from dataclasses import fields

    return {f.name: getattr(m, f.name) for f in fields(m)}


@pytest.mark.parametrize(
    ("override", "message"),
    [
        ({"harvest": -1}, "harvest must be a finite number >= 0"),
        ({"churn_not": 0.3}, "churn_not must be a finite number >= -1000 and <= 0"),
        ({"half_life": 0}, "half_life must be a finite number > 0"),
        ({"alpha": 1.0}, "alpha must be < 1"),
        ({"alpha": 0}, "alpha must be a finite number > 0"),
        ({"networks": 0}, "networks must be a whole number 1-64"),
        ({"ttl": 3600}, "ttl must be a whole number of seconds >= 86400"),
        ({"cap_neg": math.nan}, "cap_neg must be a finite number"),
    ],
)
def test_bad_models_are_refused_with_one_line(override: dict, message: str) -> None:
    with pytest.raises(ValueError) as err:
        EvidenceModel(**override)
    assert message in str(err.value) and "\n" not in str(err.value)


def test_the_setting_is_checked_at_start_up(monkeypatch: pytest.MonkeyPatch) -> None:
    from pydantic import ValidationError

    from antiextract.settings import Settings

    monkeypatch.setenv("ANTIEXTRACT_EVIDENCE_MODEL", '{"half_life": -1}')
    with pytest.raises(ValidationError, match="half_life must be a finite number > 0"):
        Settings()
    monkeypatch.setenv("ANTIEXTRACT_EVIDENCE_MODEL", '{"halflife": 1}')
    with pytest.raises(ValidationError, match="unknown keys"):
        Settings()
    monkeypatch.setenv("ANTIEXTRACT_EVIDENCE_MODEL", '{"offset": 3}')
    assert EvidenceModel(**Settings().evidence_model).offset == 3
