"""The ladder's decision (antiextract/request/policy.py) on hand-worked numbers.

An outcome's risk is the account's own plus the strongest campaign's member score
scaled by the account's youth (docs/signals.md, sections 3 and 4); each expected value is
worked out in the comments from those formulas, not by calling the modules' helpers.
"""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from antiextract.model.bucket import BLOCKED, TOKENS, Outcome
from antiextract.model.cohorts import CohortView
from antiextract.model.risk import ELICIT, EXTRACT, FOCUS, SINGLE, Assessment
from antiextract.model.surge import SurgeModel
from antiextract.request.policy import (
    ALLOW,
    BLOCK,
    CAMPAIGN,
    CHALLENGE,
    DEGRADE,
    THROTTLE,
    Thresholds,
    decide,
)

LADDER = Thresholds(degrade_at=3.0, challenge_at=6.0)
ALL = ELICIT | FOCUS | SINGLE | EXTRACT


def assessed(risk: float, youth: float = 1.0) -> Assessment:
    return Assessment(risk, youth, (0.0,) * 7, 0.0, 0.0, 1)


def outcome(
    risk: float = 0.0,
    youth: float = 1.0,
    cohorts: tuple[CohortView, ...] = (),
    allowed: bool = True,
    denied_by: str | None = None,
    retry_after: float = 0.0,
) -> Outcome:
    return Outcome(allowed, 0.0, retry_after, denied_by, assessed(risk, youth), cohorts)


def view(key: str, score: float, allowed: bool = True, wait: float = 0.0) -> CohortView:
    return CohortView(key, score, 40, 40, 0.9, allowed, wait)


@pytest.mark.parametrize(
    ("risk", "action"),
    [
        (0.0, ALLOW),
        (2.999, ALLOW),
        (3.0, DEGRADE),  # at degrade_at
        (5.999, DEGRADE),
        (6.0, CHALLENGE),  # at challenge_at
        (50.0, CHALLENGE),  # block_at is the store's: the ladder never blocks on risk
    ],
)
def test_thresholds_are_inclusive(risk, action) -> None:
    d = decide(outcome(risk), LADDER)
    assert (d.action, d.risk) == (action, risk)
    assert d.reasons == {ALLOW: (), DEGRADE: ("risk>=3",), CHALLENGE: ("risk>=6",)}[action]


def test_without_challenges_high_risk_is_degraded() -> None:
    t = Thresholds(degrade_at=3.0, challenge_at=6.0, challenge_enabled=False)
    assert decide(outcome(7.0), t).action == DEGRADE


def test_the_campaign_weighs_on_a_member_scaled_by_its_youth() -> None:
    """Own risk 1.0; a template campaign of score 4.0 carries 4.0 x 1.0 (template weight)
    onto a member, scaled by youth: an account at youth 0.25 gets 1.0 + 1.0 = 2.0 (allow),
    at youth 0.5 gets 1.0 + 2.0 = 3.0 (degrade), a new one 1.0 + 4.0 = 5.0."""
    camp = (view("t:wrapper", 4.0),)
    for youth, risk, action in ((0.25, 2.0, ALLOW), (0.5, 3.0, DEGRADE), (1.0, 5.0, DEGRADE)):
        d = decide(outcome(1.0, youth, camp), LADDER)
        assert (d.action, d.risk) == (action, pytest.approx(risk)), youth
        assert d.campaign == camp[0]
        # what the link added, for the audit event: the risk above the own 1.0
        assert d.campaign_added == pytest.approx(risk - 1.0), youth


def test_a_loose_cohort_weighs_by_kind_and_by_the_request_s_harvest_shape() -> None:
    """A subnet campaign of score 4.0: kind weight 0.5, times the request's harvest shape:
    all four traits (2 + 2 + 1 + 1) / 6 = 1 -> 2.0; elicit alone 2/6 -> 4.0 x 0.5 / 3
    = 0.667; none -> 0 (the cohort is still named: it is flagged). Own risk 1.5, youth 1."""
    camp = (view("n:10.0.0.0/24", 4.0),)
    assert decide(outcome(1.5, 1.0, camp), LADDER, ALL).risk == pytest.approx(3.5)
    assert decide(outcome(1.5, 1.0, camp), LADDER, ELICIT).risk == pytest.approx(1.5 + 2 / 3)
    d = decide(outcome(1.5, 1.0, camp), LADDER, 0)
    assert d.risk == pytest.approx(1.5) and d.campaign == camp[0]
    assert decide(outcome(1.5, 1.0, (view("n:10.0.0.0/24", 0.0),)), LADDER, ALL).campaign is None


def test_the_strongest_campaign_counts_once() -> None:
    """Template score 1.0 (member 1.0) and band score 2.0 (member 2.0 x 0.8 x harvest):
    a harvest-shaped request (elicit, focus, single: 5/6) gets the band's 1.333; a
    single-turn one (1/6) the template's 1.0 (the band's would be 0.267). Never both."""
    both = (view("t:a", 1.0), view("l:b0:a", 2.0))
    d = decide(outcome(0.0, 1.0, both), LADDER, ELICIT | FOCUS | SINGLE)
    assert (d.risk, d.campaign) == (pytest.approx(4 / 3), both[1])
    d = decide(outcome(0.0, 1.0, both), LADDER, SINGLE)
    assert (d.risk, d.campaign) == (pytest.approx(1.0), both[0])


def test_no_assessment_counts_as_a_new_account() -> None:
    d = decide(Outcome(True, 0.0, 0.0, None, None, (view("t:x", 3.5),)), LADDER)
    assert (d.action, d.risk) == (DEGRADE, 3.5)


def test_refusals_by_the_store() -> None:
    d = decide(outcome(1.0, denied_by=TOKENS, allowed=False, retry_after=12.5), LADDER)
    assert (d.action, d.reasons, d.limit, d.retry_after) == (
        THROTTLE,
        ("token_budget",),
        TOKENS,
        12.5,
    )
    name = "account-5-per-60s"
    d = decide(outcome(7.0, denied_by=name, allowed=False, retry_after=3.0), LADDER)
    assert (d.action, d.reasons, d.limit) == (THROTTLE, (f"request_limit:{name}",), name)
    d = decide(outcome(0.0, denied_by=BLOCKED, allowed=False, retry_after=900.0), LADDER)
    assert (d.action, d.reasons, d.limit, d.retry_after) == (BLOCK, ("blocked",), BLOCKED, 900.0)


def test_a_campaign_s_empty_bucket_throttles_only_template_cohorts() -> None:
    """A template or band cohort's shared bucket refusing throttles the member; a subnet's
    or client's never does (thousands of strangers share those)."""
    for key in ("t:x", "l:b5:x"):
        d = decide(outcome(0.5, 1.0, (view(key, 2.0, allowed=False, wait=42.0),)), LADDER)
        assert (d.action, d.limit, d.retry_after) == (THROTTLE, CAMPAIGN, 42.0)
        assert d.reasons == ("campaign_budget", f"campaign:{key}")
    for key in ("n:10.0.0.0/24", "c:sdk"):
        d = decide(outcome(0.5, 1.0, (view(key, 2.0, allowed=False, wait=42.0),)), LADDER, ALL)
        assert d.action == ALLOW, key  # 0.5 + 2.0 x (0.5 or 0.15) stays under 3


def ladder_rank(action: str) -> int:
    return [ALLOW, DEGRADE, CHALLENGE].index(action)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(
    a=st.floats(0, 20),
    b=st.floats(0, 20),
    youth=st.floats(0.25, 1.0),
    score=st.floats(0, 8),
    kind=st.sampled_from(["t:", "l:", "n:", "c:"]),
    traits=st.integers(0, 15),
)
def test_more_risk_never_gets_a_milder_action(a, b, youth, score, kind, traits) -> None:
    cohorts = (view(kind + "k", score),)
    lo, hi = sorted((a, b))
    mild = decide(outcome(lo, youth, cohorts), LADDER, traits)
    harsh = decide(outcome(hi, youth, cohorts), LADDER, traits)
    assert mild.risk <= harsh.risk
    assert ladder_rank(mild.action) <= ladder_rank(harsh.action)
    # the campaign adds at most its score x youth, never takes away
    assert lo <= mild.risk <= lo + score * youth + 1e-9


def test_every_decision_carries_the_risk_and_the_campaign_that_weighed() -> None:
    """A young member (youth 0.5, own risk 1.0) of a flagged template cohort (score 2.0,
    weight 1 for an exact template): risk 1.0 + 2.0 x 1 x 0.5 = 2.0, whatever the action."""
    t = view("t:camp", 2.0)

    def decided(**kw: object) -> tuple[str, float, object]:
        d = decide(outcome(1.0, 0.5, (t,), **kw), LADDER)
        assert d.campaign_added == 1.0, kw  # 2.0 x 1 x 0.5, whatever the action
        return d.action, d.risk, d.campaign

    assert decided() == (ALLOW, 2.0, t)
    assert decided(allowed=False, denied_by=BLOCKED, retry_after=9.0) == (BLOCK, 2.0, t)
    assert decided(allowed=False, denied_by=TOKENS, retry_after=9.0) == (THROTTLE, 2.0, t)
    rationed = view("t:camp", 2.0, allowed=False, wait=4.0)
    d = decide(outcome(1.0, 0.5, (rationed,)), LADDER)
    assert (d.action, d.reasons, d.retry_after, d.limit) == (
        THROTTLE,
        ("campaign_budget", "campaign:t:camp"),
        4.0,
        CAMPAIGN,
    )
    assert (d.risk, d.campaign, d.campaign_added) == (2.0, rationed, 1.0)
    high = decide(outcome(5.0, 0.5, (t,)), LADDER)  # 5.0 + 1.0 = 6.0: challenge
    assert (high.action, high.risk, high.campaign, high.campaign_added) == (CHALLENGE, 6.0, t, 1.0)


def test_an_allowed_request_with_a_little_risk_reports_it() -> None:
    """Risk 0.5 (under degrade_at): allowed, and the decision still says 0.5. With no
    risk at all, a campaign that added nothing (a subnet, a request without traits) is
    not named either."""
    d = decide(outcome(0.5), LADDER)
    assert (d.action, d.reasons, d.risk, d.campaign, d.campaign_added) == (
        ALLOW,
        (),
        0.5,
        None,
        0.0,
    )
    refused = decide(outcome(0.5, allowed=False, denied_by=TOKENS, retry_after=2.0), LADDER)
    assert (refused.action, refused.campaign, refused.campaign_added) == (THROTTLE, None, 0.0)
    quiet = decide(outcome(0.0, 1.0, (view("n:10.0.0.0/24", 6.0),)), LADDER)
    assert (quiet.action, quiet.risk, quiet.campaign) == (ALLOW, 0.0, None)


def test_without_trait_bits_a_subnet_campaign_adds_nothing() -> None:
    """decide's traits default to none: a /24 cohort (weight 0.5 x the request's harvest
    shape, 0 without traits) adds nothing; with elicit it adds 6 x 0.5 x 2/6 = 1.0."""
    net = view("n:10.0.0.0/24", 6.0)
    assert decide(outcome(1.0, 1.0, (net,)), LADDER).risk == 1.0
    assert decide(outcome(1.0, 1.0, (net,)), LADDER, ELICIT).risk == pytest.approx(2.0)


def test_a_link_by_wrapper_parts_scales_an_aged_account_as_half_young() -> None:
    """Two flagged wrapper parts (score 2.0 each; a part weighs 0.7 x the request's
    harvest, 1 with every trait): 1.4 + 1.4 = 2.8, a link by parts. A campaign rotating to
    an account it aged is linked by what it sends: youth 0.1 counts as 0.5, so the link
    adds 2.8 x 0.5 = 1.4 (risk 1.0 + 1.4 = 2.4, allowed). A young account (youth 0.8)
    keeps its own: 2.8 x 0.8 = 2.24 (risk 3.24, degraded). A single template cohort
    (score 2.0, weight 1) on the aged account is no part link: 2.0 x 0.1 = 0.2."""
    parts = (view("p:one", 2.0), view("p:two", 2.0))
    aged = decide(outcome(1.0, 0.1, parts), LADDER, ALL)
    assert aged.action == ALLOW
    assert (aged.risk, aged.campaign_added) == pytest.approx((2.4, 1.4))
    young = decide(outcome(1.0, 0.8, parts), LADDER, ALL)
    assert young.action == DEGRADE
    assert (young.risk, young.campaign_added) == pytest.approx((3.24, 2.24))
    template = decide(outcome(1.0, 0.1, (view("t:camp", 2.0),)), LADDER, ALL)
    assert (template.risk, template.campaign_added) == pytest.approx((1.2, 0.2))


# --- the surge prior (model/surge.py) ---------------------------------------------------
# A live surge adds weight x youth x shape to a young member's request asking for
# reasoning on coding; shape = (own - 0.25) / 0.75, own = min(reasoning share, coding
# share) of the account. With weight 2: youth 0.8, shares 0.55 / 0.70 -> own 0.55,
# shape 0.4, added 2 x 0.8 x 0.4 = 0.64.
SURGING = SurgeModel(weight=2.0)
HARVESTING = ELICIT | FOCUS | SINGLE


def surge_outcome(
    risk: float, youth: float = 0.8, shares: tuple[float, float] = (0.55, 0.70), **kw
) -> Outcome:
    a = Assessment(risk, youth, (shares[0], shares[1], 0.0, 0.0, 0.0, 0.0, 0.0), 0.0, 0.0, 1)
    return Outcome(
        kw.get("allowed", True), 0.0, kw.get("retry_after", 0.0), kw.get("denied_by"), a,
        kw.get("cohorts", ()),
    )  # fmt: skip


@pytest.mark.parametrize(
    ("own", "action", "reasons"),
    [
        (1.0, ALLOW, ()),  # 1.0 + 0.64 = 1.64
        (2.5, DEGRADE, ("risk>=3", "surge")),  # 2.5 + 0.64 = 3.14
        (5.5, CHALLENGE, ("risk>=6", "surge")),  # 5.5 + 0.64 = 6.14
    ],
)
def test_a_live_surge_adds_to_a_young_members_request_and_says_so(own, action, reasons) -> None:
    d = decide(surge_outcome(own), LADDER, HARVESTING, surge=SURGING)
    assert d.action == action and d.reasons == reasons
    assert d.surge_added == pytest.approx(0.64)
    assert d.risk == pytest.approx(own + 0.64)
    assert d.retry_after == 0.0 and d.limit is None
    # the same request with no live surge: the account's own risk only
    calm = decide(surge_outcome(own), LADDER, HARVESTING)
    assert calm.surge_added == 0.0 and calm.risk == pytest.approx(own)
    assert "surge" not in calm.reasons


def test_the_surge_reads_the_smaller_of_the_two_shares_and_the_youth() -> None:
    # coding share the smaller: own 0.40 -> shape 0.2, youth 0.6: 2 x 0.6 x 0.2 = 0.24
    d = decide(surge_outcome(2.9, 0.6, (0.9, 0.40)), LADDER, HARVESTING, surge=SURGING)
    assert d.surge_added == pytest.approx(0.24) and d.action == DEGRADE  # 3.14
    # reasoning share the smaller: own 0.325 -> shape 0.1: 2 x 0.6 x 0.1 = 0.12
    d = decide(surge_outcome(2.9, 0.6, (0.325, 0.9)), LADDER, HARVESTING, surge=SURGING)
    assert d.surge_added == pytest.approx(0.12) and d.action == DEGRADE  # 3.02
    # under the prior: nothing; an old account (youth under min_youth 0.5): nothing
    assert (
        decide(surge_outcome(2.9, 0.6, (0.2, 0.9)), LADDER, HARVESTING, surge=SURGING).action
        == ALLOW
    )
    assert decide(surge_outcome(2.9, 0.4), LADDER, HARVESTING, surge=SURGING).surge_added == 0.0
    # a request that does not ask for reasoning on coding: nothing
    assert decide(surge_outcome(2.9), LADDER, FOCUS | SINGLE, surge=SURGING).surge_added == 0.0


def test_a_surge_with_a_small_share_still_names_itself() -> None:
    # own 0.3 -> shape 1/15, youth 1: 2 / 15 = 0.1333 (under 1), still named
    d = decide(surge_outcome(2.9, 1.0, (0.3, 0.3)), LADDER, HARVESTING, surge=SURGING)
    assert d.surge_added == pytest.approx(2 / 15)
    assert d.action == DEGRADE and d.reasons == ("risk>=3", "surge")


def test_no_assessment_gets_no_surge() -> None:
    o = Outcome(True, 0.0, 0.0, None, None, ())
    d = decide(o, LADDER, HARVESTING, surge=SURGING)
    assert d.action == ALLOW and d.surge_added == 0.0


def test_a_refused_request_carries_what_the_surge_added() -> None:
    for kw, action, limit in (
        ({"allowed": False, "denied_by": BLOCKED, "retry_after": 60.0}, BLOCK, BLOCKED),
        ({"allowed": False, "denied_by": TOKENS, "retry_after": 2.0}, THROTTLE, TOKENS),
        ({"cohorts": (view("t:1", 4.0, allowed=False, wait=5.0),)}, THROTTLE, CAMPAIGN),
    ):
        d = decide(surge_outcome(1.0, **kw), LADDER, HARVESTING, surge=SURGING)
        assert (d.action, d.limit) == (action, limit)
        assert d.surge_added == pytest.approx(0.64)
