"""The per-account risk model (antiextract/model/risk.py) on hand-worked numbers.

Every expected value below is worked out by hand from the formulas of docs/signals.md and
the module's docstrings (the arithmetic is in the comments), never by calling the module's
own helpers; the models use distinct weights so a share weighed with another's weight
shows. Properties (bounded, monotone) complete the picture. The stores' transcriptions
are held to these functions by the drawn comparison in test_store.py.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from antiextract.model.risk import (
    ELICIT,
    EXTRACT,
    LOGIT_BIAS,
    SINGLE,
    Assessment,
    Profile,
    RiskInput,
    RiskModel,
    assess,
    decayed,
    hours_score,
    pacing_score,
    reasons,
    refill_factor,
    update_profile,
    youth,
)

DAY, HOUR = 86_400.0, 3_600.0
T = 20_000 * DAY + 5 * HOUR + 120.0  # 05:02 UTC on day 20,000
# Weights 1..7, in TRAITS order (elicit, focus, single, template, extract, pacing, hours):
# a share weighed with another's weight changes the sum.
DISTINCT = RiskModel(
    w_elicit=1.0,
    w_focus=2.0,
    w_single=3.0,
    w_template=4.0,
    w_extract=5.0,
    w_pacing=6.0,
    w_hours=7.0,
)


def hours_mask(*hours: int) -> int:
    return sum(1 << h for h in set(hours))


# --- youth ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("age_days", "expected"),
    [
        (0.0, 1.0),  # 1 / (1 + 0)
        (-3.0, 1.0),  # a creation time in the future counts as new
        (7.0, 0.5),  # 1 / (1 + 7/7): half at youth_days
        (14.0, 1 / 3),  # 1 / (1 + 2)
        (21.0, 0.25),  # 1 / (1 + 3) = the floor exactly
        (70.0, 0.25),  # 1 / 11 < 0.25: floored
    ],
)
def test_youth_halves_at_youth_days_and_stops_at_the_floor(age_days, expected) -> None:
    assert youth(age_days * DAY, RiskModel(youth_days=7.0)) == pytest.approx(expected)


def test_youth_follows_youth_days() -> None:
    assert youth(1 * DAY, RiskModel(youth_days=2.0)) == pytest.approx(2 / 3)  # 1 / (1 + 1/2)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(
    a=st.floats(0, 400 * DAY),
    b=st.floats(0, 400 * DAY),
    days=st.floats(0.01, 60.0),
)
def test_youth_is_bounded_and_never_grows_with_age(a: float, b: float, days: float) -> None:
    m = RiskModel(youth_days=days)
    lo, hi = sorted((a, b))
    assert 0.25 <= youth(hi, m) <= youth(lo, m) <= 1.0


# --- pacing ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("gaps", "mean", "var", "expected"),
    [
        (5, 60.0, 0.0, 1.0),  # a metronome: cv 0
        (4, 60.0, 0.0, 0.0),  # four gaps prove nothing yet
        (5, 60.0, 225.0, 0.5),  # sd 15, cv 0.25: (0.5 - 0.25) / 0.5
        (9, 40.0, 64.0, 0.6),  # sd 8, cv 0.2: (0.5 - 0.2) / 0.5
        (5, 60.0, 900.0, 0.0),  # sd 30, cv 0.5: human burstiness
        (5, 60.0, 3600.0, 0.0),  # cv 1: clamped at 0
        (5, 0.0, 0.0, 0.0),  # no time between requests: no pacing to judge
    ],
)
def test_pacing_score(gaps, mean, var, expected) -> None:
    p = Profile(gaps=gaps, gap_mean=mean, gap_var=var)
    assert pacing_score(p) == pytest.approx(expected)


def test_pacing_from_the_gaps_a_profile_learns() -> None:
    """Six requests 60 s apart: five equal gaps, pacing 1. A seventh 120 s later: the
    first gap set the mean (60), then each gap moves it by alpha = 0.1: dev = 60, mean
    66, var = 0.9 x (0 + 0.1 x 60^2) = 324, sd 18, cv 18/66 = 3/11, score
    (0.5 - 3/11) / 0.5 = 5/11."""
    m, p = RiskModel(), Profile()
    for i in range(5):
        update_profile(p, RiskInput(), T + 60 * i, m)
    assert p.gaps == 4 and pacing_score(p) == 0.0
    update_profile(p, RiskInput(), T + 300, m)
    assert (p.gaps, p.gap_mean, p.gap_var) == (5, 60.0, 0.0) and pacing_score(p) == 1.0
    update_profile(p, RiskInput(), T + 420, m)
    assert p.gap_mean == pytest.approx(66.0) and p.gap_var == pytest.approx(324.0)
    assert pacing_score(p) == pytest.approx(5 / 11)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(mean=st.floats(1.0, 1e5), v1=st.floats(0, 1e10), v2=st.floats(0, 1e10))
def test_pacing_is_bounded_and_falls_as_gaps_vary_more(mean, v1, v2) -> None:
    lo, hi = sorted((v1, v2))
    steady = pacing_score(Profile(gaps=6, gap_mean=mean, gap_var=lo))
    bursty = pacing_score(Profile(gaps=6, gap_mean=mean, gap_var=hi))
    assert 0.0 <= bursty <= steady <= 1.0


# --- hours ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("today", "yesterday", "expected"),
    [
        (range(12), (), 0.0),  # 12 active hours: still 0
        (range(13), (), 0.1),  # (13 - 12) / 10
        (range(8), range(4, 16), 0.4),  # union 0..15: 16 hours, (16 - 12) / 10
        (range(17), range(17), 0.5),  # the same 17 hours both days count once
        (range(0, 24, 2), range(1, 24, 2), 1.0),  # 24 hours across the two days
        (range(22), (), 1.0),  # (22 - 12) / 10
        (range(9), (), 0.0),  # 9 hours: 0 (not (9 - 8) / 5)
    ],
)
def test_hours_score(today, yesterday, expected) -> None:
    p = Profile(hours_cur=hours_mask(*today), hours_prev=hours_mask(*yesterday))
    assert hours_score(p) == pytest.approx(expected)


def test_hours_carry_over_to_the_next_day_only() -> None:
    """Requests at 00:30..13:30 of one day, then 00:30 the next: yesterday's 14 hours
    and today's one give 14 distinct hours, (14 - 12) / 10 = 0.2. Two days later the
    old day is forgotten: one hour, score 0."""
    m, p = RiskModel(), Profile()
    day0 = 20_000 * DAY
    for h in range(14):
        update_profile(p, RiskInput(), day0 + h * HOUR + 1_800, m)
    assert hours_score(p) == pytest.approx(0.2)
    update_profile(p, RiskInput(), day0 + DAY + 1_800, m)
    assert (p.hours_cur, p.hours_prev) == (1, hours_mask(*range(14)))
    assert hours_score(p) == pytest.approx(0.2)  # 14 distinct hours: hour 0 is in both
    assert p.day_count == 1
    update_profile(p, RiskInput(), day0 + 3 * DAY + 1_800, m)
    assert (p.hours_cur, p.hours_prev, hours_score(p)) == (1, 0, 0.0)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(a=st.integers(0, (1 << 24) - 1), b=st.integers(0, (1 << 24) - 1))
def test_hours_score_is_bounded_and_grows_with_more_hours(a: int, b: int) -> None:
    fewer = hours_score(Profile(hours_cur=a))
    more = hours_score(Profile(hours_cur=a, hours_prev=b))
    assert 0.0 <= fewer <= more <= 1.0


# --- refill factor --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("risk", "slow_above", "slow_scale", "expected"),
    [
        (0.0, 2.0, 2.0, 1.0),
        (2.0, 2.0, 2.0, 1.0),  # at slow_above: full speed
        (4.0, 2.0, 2.0, 0.5),  # 1 / (1 + 2/2)
        (8.0, 2.0, 2.0, 0.25),  # 1 / (1 + 6/2)
        (3.0, 1.0, 4.0, 2 / 3),  # 1 / (1 + 2/4)
        (11.0, 1.0, 0.5, 1 / 21),  # 1 / (1 + 10/0.5)
    ],
)
def test_refill_factor(risk, slow_above, slow_scale, expected) -> None:
    m = RiskModel(slow_above=slow_above, slow_scale=slow_scale)
    assert refill_factor(risk, m) == pytest.approx(expected)


@settings(max_examples=200, deadline=None, derandomize=True)
@given(a=st.floats(0, 1e6), b=st.floats(0, 1e6))
def test_refill_factor_is_bounded_and_never_grows_with_risk(a: float, b: float) -> None:
    m = RiskModel(slow_above=1.5, slow_scale=3.0)
    lo, hi = sorted((a, b))
    assert 0.0 < refill_factor(hi, m) <= refill_factor(lo, m) <= 1.0


# --- the profile: shares, template, acute ---------------------------------------------------


def test_first_requests_are_a_running_mean_from_the_prior() -> None:
    """Shares start at 0.25 worth three requests. First request (elicit, single; template
    "k"): weight 1/4, present traits 0.25 + (1 - 0.25)/4 = 0.4375, absent ones
    0.25 - 0.25/4 = 0.1875. Second (elicit only, same instant): weight 1/5, elicit
    0.4375 + 0.5625/5 = 0.55 (= (0.75 + 2) / 5), single 0.4375 x 0.8 = 0.35, focus and
    extract 0.1875 x 0.8 = 0.15; the template, now dominant, 0 + 0.1 x (1 - 0) = 0.1.
    A new account (age 0, youth 1) with weights 1..7:
    1 x 0.55 + 2 x 0.15 + 3 x 0.35 + 4 x 0.1 + 5 x 0.15 = 3.05."""
    p = Profile()
    update_profile(p, RiskInput(ELICIT | SINGLE, skeleton="k"), T, DISTINCT)
    assert (p.elicit, p.focus, p.single, p.extract) == pytest.approx(
        (0.4375, 0.1875, 0.4375, 0.1875)
    )
    assert (p.template, p.dominant) == (0.0, "k")  # the first template takes over at once
    update_profile(p, RiskInput(ELICIT, skeleton="k"), T, DISTINCT)
    assert (p.elicit, p.focus, p.single, p.template, p.extract) == pytest.approx(
        (0.55, 0.15, 0.35, 0.1, 0.15)
    )
    a = assess(p, RiskInput(ELICIT, skeleton="k"), T, DISTINCT)
    assert a.shares == pytest.approx((0.55, 0.15, 0.35, 0.1, 0.15, 0.0, 0.0))
    assert (a.youth, a.acute, a.day_count) == (1.0, 0.0, 2)
    assert a.risk == pytest.approx(3.05)
    # the same shares on an account a week old (youth 0.5) of a 0.5 tier: 3.05 x 0.25
    older = RiskInput(ELICIT, skeleton="k", created_at=T - 7 * DAY, tier=0.5)
    assert assess(p, older, T, DISTINCT).risk == pytest.approx(0.7625)


def test_shares_become_an_ewma_once_the_mean_is_slower_than_alpha() -> None:
    """Eliciting requests: running mean (0.75 + k) / (3 + k) while 1/(3 + k) >= alpha:
    after seven, 7.75 / 10 = 0.775. The eighth moves by alpha = 0.1:
    0.775 + 0.1 x 0.225 = 0.7975 (a running mean would give 8.75 / 11 = 0.7955)."""
    p, m = Profile(), RiskModel(alpha=0.1)
    for _ in range(7):
        update_profile(p, RiskInput(ELICIT), T, m)
    assert p.elicit == pytest.approx(0.775)
    update_profile(p, RiskInput(ELICIT), T, m)
    assert p.elicit == pytest.approx(0.7975)
    assert p.focus == pytest.approx(0.25 * 3 / 10 * 0.9)  # 0.75 / 10, then x (1 - 0.1)


def test_idle_time_pulls_the_shares_back_to_the_prior() -> None:
    """Elicit 0.55 and template 0.1 (as above), then a week of silence (one half-life)
    and a request with no trait: elicit 0.25 + (0.55 - 0.25) / 2 = 0.4, then weight 1/6
    (two requests seen): 0.4 x 5/6 = 1/3; template 0.1 / 2 = 0.05, then x 0.9 = 0.045."""
    m, p = RiskModel(profile_half_life=7 * DAY), Profile()
    update_profile(p, RiskInput(ELICIT | SINGLE, skeleton="k"), T, m)
    update_profile(p, RiskInput(ELICIT, skeleton="k"), T, m)
    update_profile(p, RiskInput(), T + 7 * DAY, m)
    assert p.elicit == pytest.approx(1 / 3)
    assert p.template == pytest.approx(0.045)
    assert p.dominant == ""  # under 0.2: the newcomer (no template) takes over


def test_a_dominant_template_gives_way_only_below_the_takeover_share() -> None:
    """Dominant "a" at 0.3; requests on "b" shrink it by alpha each: 0.27, 0.243, 0.2187
    keep "a"; 0.19683 < 0.2 hands over to "b", whose next request grows it:
    0.19683 + 0.1 x 0.80317 = 0.277147."""
    m = RiskModel(alpha=0.1)
    p = Profile(first_seen=T, last_seen=T, template=0.3, dominant="a")
    for share in (0.27, 0.243, 0.2187):
        update_profile(p, RiskInput(skeleton="b"), T, m)
        assert (p.template, p.dominant) == (pytest.approx(share), "a")
    update_profile(p, RiskInput(skeleton="b"), T, m)
    assert (p.template, p.dominant) == (pytest.approx(0.19683), "b")
    update_profile(p, RiskInput(skeleton="b"), T, m)
    assert p.template == pytest.approx(0.277147)


def test_a_template_share_of_exactly_the_takeover_share_keeps_its_template() -> None:
    """alpha 0.5: 0.4 - 0.5 x 0.4 = 0.2 exactly (halving is exact in binary), which is
    not below TAKEOVER (0.2): "a" stays dominant; the next request on "b" (0.1) hands
    over."""
    m = RiskModel(alpha=0.5)
    p = Profile(first_seen=T, last_seen=T, template=0.4, dominant="a")
    update_profile(p, RiskInput(skeleton="b"), T, m)
    assert (p.template, p.dominant) == (0.2, "a")
    update_profile(p, RiskInput(skeleton="b"), T, m)
    assert (p.template, p.dominant) == (0.1, "b")


def test_a_profile_never_updated_is_assessed_as_new_and_quiet() -> None:
    """No first-seen time and no creation time: age 0, youth 1, every share 0, risk 0."""
    a = assess(Profile(), RiskInput(), T, DISTINCT)
    assert (a.risk, a.youth, a.acute, a.age, a.day_count) == (0.0, 1.0, 0.0, 0.0, 0)
    assert a.shares == (0.0,) * 7


def test_acute_level_moves_by_acute_alpha_and_halves_per_half_life() -> None:
    """acute_alpha 0.2, a new account (youth 1): two requests of weight 2 at once,
    0 -> 0.4 -> 0.4 + 0.2 x 1.6 = 0.72; one half-life later a quiet request:
    0.72 / 2 = 0.36, then 0.36 x 0.8 = 0.288; two half-lives after that, 0.072."""
    m, p = RiskModel(acute_alpha=0.2, acute_half_life=HOUR), Profile()
    update_profile(p, RiskInput(acute=2.0), T, m)
    assert p.acute == pytest.approx(0.4)
    update_profile(p, RiskInput(acute=2.0), T, m)
    assert p.acute == pytest.approx(0.72)
    update_profile(p, RiskInput(), T + HOUR, m)
    assert p.acute == pytest.approx(0.288)
    assert assess(p, RiskInput(), T + HOUR, m).acute == pytest.approx(0.288)
    assert assess(p, RiskInput(), T + 3 * HOUR, m).acute == pytest.approx(0.072)  # / 4


def test_acute_weight_is_scaled_by_youth_and_tier() -> None:
    """An account a week old (youth 0.5) of tier 0.5 sends weight 4: 4 x 0.25 = 1, the
    level 0.2 x 1 = 0.2."""
    p = Profile()
    update_profile(p, RiskInput(acute=4.0, created_at=T - 7 * DAY, tier=0.5), T, RiskModel())
    assert p.acute == pytest.approx(0.2)


def test_a_logit_bias_sweep_adds_sweep_weight_on_a_repeated_template() -> None:
    """Weight 1 with logit_bias, sweep_weight 4: the first request has no earlier
    template, 0.2 x 1 = 0.2; the second repeats it, 0.2 + 0.2 x (1 + 4 - 0.2) = 1.16;
    a third on another template is no sweep: 1.16 + 0.2 x (1 - 1.16) = 1.128."""
    m, p = RiskModel(sweep_weight=4.0, acute_alpha=0.2), Profile()
    probe = LOGIT_BIAS | EXTRACT
    update_profile(p, RiskInput(probe, 1.0, "p"), T, m)
    assert p.acute == pytest.approx(0.2)
    update_profile(p, RiskInput(probe, 1.0, "p"), T, m)
    assert p.acute == pytest.approx(1.16)
    update_profile(p, RiskInput(probe, 1.0, "q"), T, m)
    assert p.acute == pytest.approx(1.128)
    update_profile(p, RiskInput(EXTRACT, 1.0, "q"), T, m)  # same template, no logit_bias
    assert p.acute == pytest.approx(1.128 + 0.2 * (1 - 1.128))


def test_acute_level_is_capped() -> None:
    p = Profile()
    update_profile(p, RiskInput(acute=100.0), T, RiskModel(acute_cap=12.0, acute_alpha=0.2))
    assert p.acute == 12.0  # 0.2 x 100 = 20, capped


@pytest.mark.parametrize(
    ("value", "ts", "now", "expected"),
    [
        (8.0, T, T + 2 * HOUR, 2.0),  # two half-lives
        (8.0, T, T + 30 * 60, 8.0 * 0.5**0.5),  # half a half-life
        (8.0, T, T - 60, 8.0),  # a clock behind the stored time never grows it
        (8.0, None, T, 0.0),
        (-1.0, T, T, 0.0),
    ],
)
def test_acute_decay(value, ts, now, expected) -> None:
    assert decayed(value, ts, now, RiskModel(acute_half_life=HOUR)) == pytest.approx(expected)


@settings(max_examples=100, deadline=None, derandomize=True)
@given(
    steps=st.lists(
        st.tuples(
            st.floats(0, 2 * DAY),
            st.integers(0, 31),
            st.floats(0, 20),
            st.sampled_from(["", "a", "b"]),
        ),
        min_size=1,
        max_size=40,
    )
)
def test_shares_stay_shares_and_risk_stays_bounded(steps) -> None:
    """Whatever the traffic: every share in [0, 1], acute within its cap, and risk at
    most youth x tier x the sum of the weights + acute_cap."""
    m, p, t = DISTINCT, Profile(), T
    for gap, traits, acute, skeleton in steps:
        t += gap
        r = RiskInput(traits, acute, skeleton)
        update_profile(p, r, t, m)
        a = assess(p, r, t, m)
        assert all(0.0 <= s <= 1.0 for s in a.shares), a.shares
        assert 0.0 <= a.acute <= m.acute_cap
        assert 0.0 <= a.risk <= a.youth * sum(m.weights) + m.acute_cap


@settings(max_examples=100, deadline=None, derandomize=True)
@given(st.lists(st.floats(0, 1), min_size=7, max_size=7))
def test_each_share_carries_its_own_weight(shares) -> None:
    """Risk is the weighted sum in TRAITS order: with weights 1..7 it is
    sum((i + 1) x share_i), so two shares given each other's weight change it unless
    they are equal."""
    e, f, s, t, x, pacing, hours = shares
    p = Profile(first_seen=T, elicit=e, focus=f, single=s, template=t, extract=x)
    # pacing and hours come from the gaps and the hours seen: build them to order
    cv = (1 - pacing) * 0.5  # pacing = (0.5 - cv) / 0.5
    p.gaps, p.gap_mean, p.gap_var = 6, 100.0, (cv * 100.0) ** 2
    active = 12 + round(hours * 10)
    p.hours_cur = (1 << active) - 1
    want_hours = (active - 12) / 10
    a = assess(p, RiskInput(), T, DISTINCT)
    expected = e + 2 * f + 3 * s + 4 * t + 5 * x + 6 * pacing + 7 * want_hours
    assert a.risk == pytest.approx(expected, abs=1e-9)


# --- reasons (the operator's and the log's "why") ------------------------------------------


def test_reasons_name_the_largest_contributions_youth_times_weight_times_share() -> None:
    """DISTINCT weights 1..7, youth 0.5: elicit 0.5 x 1 x 1.0 = 0.50, focus 0.5 x 2 x 0.5
    = 0.50, hours 0.5 x 7 x 0.2 = 0.70, acute 0.30 as it is; the rest 0. Largest first
    (a tie: the name later in the alphabet first), at most ``top``."""
    a = Assessment(2.0, 0.5, (1.0, 0.5, 0.0, 0.0, 0.0, 0.0, 0.2), 0.3, 0.0, 1)
    assert reasons(a, DISTINCT) == ("hours=0.70", "focus=0.50", "elicit=0.50")
    assert reasons(a, DISTINCT, top=4) == ("hours=0.70", "focus=0.50", "elicit=0.50", "acute=0.30")
    assert reasons(a, DISTINCT, top=1) == ("hours=0.70",)


def test_reasons_leave_out_contributions_under_five_hundredths() -> None:
    """youth 1, weight 1: elicit 0.05 is named (0.05 >= 0.05), 0.04 is not; acute 0.06."""
    named = Assessment(0.11, 1.0, (0.05, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0), 0.06, 0.0, 1)
    assert reasons(named, DISTINCT) == ("acute=0.06", "elicit=0.05")
    quiet = Assessment(0.1, 1.0, (0.04, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0), 0.06, 0.0, 1)
    assert reasons(quiet, DISTINCT) == ("acute=0.06",)


def test_a_model_value_on_its_bounds_is_accepted() -> None:
    """The bounds are inclusive where the message says ">=" and "<=": a step of exactly 1,
    weights of exactly 0 and 1000, slow_above 0, slow_scale exactly 0.01."""
    m = RiskModel(
        alpha=1.0, acute_alpha=1.0, w_elicit=0.0, w_hours=1000.0, slow_above=0.0, slow_scale=0.01
    )
    assert (m.alpha, m.weights[0], m.weights[-1], m.slow_scale) == (1.0, 0.0, 1000.0, 0.01)


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("w_elicit", 1001.0, "w_elicit must be a finite number >= 0 and <= 1000, got 1001.0"),
        (
            "alpha",
            0.0,
            "alpha must be a finite number > 0 and <= 1 (a moving average's step), got 0.0",
        ),
        ("youth_days", 0.0, "youth_days must be a finite number > 0 (a divisor), got 0.0"),
        ("slow_above", -1.0, "slow_above must be a finite number >= 0, got -1.0"),
        (
            "slow_scale",
            0.001,
            "slow_scale must be a finite number >= 0.01 (below it a risky bucket never "
            "refills), got 0.001",
        ),
    ],
)
def test_a_bad_model_value_is_refused_with_what_it_must_be(field, value, message) -> None:
    """Bad config stops the server: the message names the setting, its bounds and why."""
    with pytest.raises(ValueError) as refused:
        RiskModel(**{field: value})
    assert str(refused.value) == message


@pytest.mark.parametrize(
    ("cap", "bounds"),
    [(0.0, "> 0 and <= 1000"), (-1.0, "> 0 and <= 1000"), (1000.5, "> 0 and <= 1000")],
)
def test_acute_cap_must_be_above_zero_and_at_most_the_weight_bound(cap, bounds) -> None:
    """acute_cap 0 would switch the whole acute level off (every request's signals, the
    sweep), so unlike the trait weights it must be above 0; 1000 is every weight's bound."""
    expected = (
        f"acute_cap must be a finite number {bounds} (0 switches the acute level off), got {cap!r}"
    )
    with pytest.raises(ValueError) as raised:
        RiskModel(acute_cap=cap)
    assert str(raised.value) == expected
    for fine in (0.5, 1e-9, 1000.0):  # below 1 is a real choice, 1000 the bound itself
        assert RiskModel(acute_cap=fine).acute_cap == fine
