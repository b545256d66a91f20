"""Per-account evidence (model/evidence.py) at its edges: the model's bounds, each kind's
trait bits, records out of order, a state never observed. Hand-worked like
tests/test_evidence.py, with its round model."""

from __future__ import annotations

import pytest

from antiextract.model.evidence import (
    UNSEEN,
    Evidence,
    EvidenceModel,
    kinds_shown,
    observe,
    relevant_until,
    risk_added,
    score,
    score_of,
)
from antiextract.model.risk import DAY, ELICIT, EXTRACT, FOCUS, SINGLE

from .test_evidence import T0, M


@pytest.mark.parametrize(
    ("override", "line"),
    [
        ({"harvest": -1}, "harvest must be a finite number >= 0 and <= 1000 (a kind shown is "
         "evidence for), got -1"),
        ({"extract_not": 0.5}, "extract_not must be a finite number >= -1000 and <= 0 (a kind "
         "not shown is evidence against), got 0.5"),
        ({"cap_pos": -1}, "cap_pos must be a finite number >= 0 and <= 1000, got -1"),
        ({"reason_cap_neg": -1}, "reason_cap_neg must be a finite number >= 0 and <= 1000, "
         "got -1"),
        ({"reason_not": 0.5}, "reason_not must be a finite number >= -1000 and <= 0 (a kind "
         "not shown is evidence against), got 0.5"),
        ({"offset": 1001}, "offset must be a finite number >= 0 and <= 1000, got 1001"),
        ({"scale": -0.5}, "scale must be a finite number >= 0 and <= 1000, got -0.5"),
        ({"half_life": 0}, "half_life must be a finite number > 0 (a divisor), got 0"),
        ({"alpha": 0}, "alpha must be a finite number > 0 and <= 1 (a false-alarm "
         "probability), got 0"),
        ({"alpha": 1}, "alpha must be < 1 (a false-alarm probability), got 1"),
        ({"networks": 65}, "networks must be a whole number 1-64, got 65"),
        ({"networks": 2.5}, "networks must be a whole number 1-64, got 2.5"),
        ({"ttl": 86_399}, "ttl must be a whole number of seconds >= 86400, got 86399"),
        ({"ttl": 86_400.5}, "ttl must be a whole number of seconds >= 86400, got 86400.5"),
        ({"off": 0.5}, "off must be true or false, got 0.5"),
        ({"off": "yes"}, "off must be true or false, got 'yes'"),
    ],
)  # fmt: skip
def test_a_bad_model_is_refused_with_this_line(override: dict, line: str) -> None:
    with pytest.raises(ValueError) as err:
        EvidenceModel(**override)
    assert str(err.value) == line


def test_the_bounds_themselves_are_accepted_and_whole_numbers_become_ints() -> None:
    for n in (1, 64):
        assert EvidenceModel(networks=n).networks == n
    m = EvidenceModel(networks=2.0, ttl=86_400.0, alpha=0.5, cap_pos=0, offset=1000)
    assert (m.networks, m.ttl) == (2, 86_400)
    assert type(m.networks) is int and type(m.ttl) is int


def test_off_is_a_truth_value_and_switches_the_risk_added_off() -> None:
    """JSON settings bring true as 1.0: off is then True itself. Evidence 5.0 adds
    (5.0 - 2.65) x 1.15 = 2.7025 to risk; off, nothing; never below 0 (evidence 1.0)."""
    assert EvidenceModel(off=1.0).off is True
    assert EvidenceModel(off=0.0).off is False
    assert EvidenceModel(off=True).off is True
    on = EvidenceModel(offset=2.65, scale=1.15)
    assert risk_added(5.0, on) == pytest.approx(2.7025)
    assert risk_added(1.0, on) == 0.0
    assert risk_added(5.0, EvidenceModel(offset=2.65, scale=1.15, off=True)) == 0.0


@pytest.mark.parametrize(
    ("traits", "shown"),
    [  # (harvest, extract, reason); churn unseen without a subnet
        (ELICIT | FOCUS | SINGLE, (1, 0, UNSEEN)),  # the harvest shape needs all three
        (ELICIT | FOCUS, (UNSEEN, 0, 1)),  # in a conversation: the reason kind's, not harvest's
        (ELICIT | FOCUS | EXTRACT, (UNSEEN, 1, 1)),
        (FOCUS | SINGLE, (0, 0, UNSEEN)),  # single-turn: reason cannot be read
        (ELICIT | SINGLE | EXTRACT, (0, 1, UNSEEN)),
        (FOCUS, (0, 0, 0)),  # a conversation's coding turn without the demand: against both
        (ELICIT, (0, 0, 0)),
        (EXTRACT, (0, 1, 0)),
        (0, (0, 0, 0)),
    ],
)
def test_each_kind_reads_its_own_trait_bits(traits: int, shown: tuple[int, int, int]) -> None:
    harvest, extract, reason = shown
    assert kinds_shown(traits, None, Evidence(), M) == (harvest, extract, UNSEEN, reason)


def test_churn_on_a_second_subnet_and_the_memory_of_one() -> None:
    """With one subnet remembered, every change of subnet is churn, a return to the same
    one is not; no subnet leaves the memory as it is."""
    m = EvidenceModel(networks=1)
    e = Evidence()
    assert [kinds_shown(0, n, e, m)[2] for n in (7, 7, 8, 7, 7)] == [UNSEEN, 0, 1, 1, 0]
    assert kinds_shown(0, None, e, m)[2] == UNSEEN and e.nets == [7]


def test_a_record_older_than_the_last_decays_nothing_and_counts_today() -> None:
    """Harvest at T0 + 2 h (2.0, capped), then a benign record stamped an hour earlier
    (another replica's): no decay, and it counts against today's harvest: 2.0 - 0.5 =
    1.5; the state keeps the later time. The next day at T0 + DAY + 2 h: one half-life
    later, 0.75, then a new day's harvest, + 2.0 = 2.75."""
    e = Evidence()
    observe(e, T0 + 7_200, kinds_shown(ELICIT | FOCUS | SINGLE, None, e, M), M)
    observe(e, T0 + 3_600, kinds_shown(0, None, e, M), M)
    assert e.totals[0] == pytest.approx(1.5) and e.t == T0 + 7_200
    assert e.day == int(T0 // DAY)
    observe(e, T0 + DAY + 7_200, kinds_shown(ELICIT | FOCUS | SINGLE, None, e, M), M)
    assert e.totals[0] == pytest.approx(2.75)
    assert score(e, T0 + DAY + 7_200, M) == pytest.approx(2.75)


def test_the_first_record_at_time_zero_decays_nothing() -> None:
    """A record at t = 0 is the first observation (t -1 means none yet), and the one
    after it, a day (one half-life) later, halves it: 2.0 -> 1.0 + 2.0 = 3.0."""
    e = Evidence()
    observe(e, 0.0, kinds_shown(ELICIT | FOCUS | SINGLE, None, e, M), M)
    assert e.totals[0] == pytest.approx(2.0) and e.t == 0.0
    assert score(e, 0.0, M) == pytest.approx(2.0)  # observed at 0: a score, not "none yet"
    observe(e, DAY, kinds_shown(ELICIT | FOCUS | SINGLE, None, e, M), M)
    assert e.totals[0] == pytest.approx(3.0)


def test_a_state_never_observed_scores_nothing_and_scores_age() -> None:
    assert score(Evidence(), T0, M) == 0.0
    assert score_of(4.0, T0, T0 + 2 * DAY, M) == pytest.approx(1.0)
    assert score_of(4.0, T0, T0 - DAY, M) == pytest.approx(4.0)  # never grows backwards


def test_how_long_a_score_matters_at_the_edges() -> None:
    """At exactly the offset it adds nothing from the start: t. With offset 0 any
    positive score matters until ttl. Twice the offset: one half-life (a day)."""
    assert relevant_until(M.offset, T0, M) == T0
    zero = EvidenceModel(offset=0.0, half_life=DAY)
    assert relevant_until(0.1, T0, zero) == T0 + zero.ttl
    assert relevant_until(2 * M.offset, T0, M) == pytest.approx(T0 + DAY)
    assert relevant_until(0.0, T0, zero) == T0  # nothing, with offset 0: never mattered
    two = EvidenceModel(offset=2.0, half_life=DAY)
    assert relevant_until(8.0, T0, two) == pytest.approx(T0 + 2 * DAY)  # 8 -> 4 -> 2
