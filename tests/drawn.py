"""Drawn models, limits and traffic for the store equivalence tests (test_store.py,
test_cluster.py).

The default models tie weights (focus = template = extract = 1.0, single = pacing =
0.75), so a store that applies one share's weight to another answers exactly as the pure
model does. Here hypothesis draws every model: seven distinct trait weights, rates and
half-lives within their valid ranges, campaign thresholds and a shared bucket small
enough to refuse. The traffic mixes random requests (every trait bit drawn on its own)
with phases that each force one thing to happen: a burst (the short account window), a
steady sender (the long one), many accounts on one IP (the IP window), a big spender
(the token bucket), a logit-bias sweep (a block by risk), an operator block, an account
active in every hour of a day (the hours score), a metronome (the pacing score), and
young accounts sharing a harvest-shaped template (a campaign and its shared bucket).
Cohorts are no longer counted in the store (the intelligence plane flags them): a request
carries the verdicts its cohort keys matched, drawn once per key for the run, and every
store charges the rationing ones' shared buckets alike.
``compare`` holds every store to the first one step by step; ``Coverage`` records what
happened, so a test can assert that every refusal kind and every share really moved.
"""

from __future__ import annotations

import math
import random
from dataclasses import dataclass, field
from typing import Any

import pytest
from hypothesis import Phase
from hypothesis import strategies as st

from antiextract.model.bucket import BLOCKED, TOKENS, Limits, Outcome, WindowLimit, roll
from antiextract.model.campaigns import CampaignCharge
from antiextract.model.cohorts import CohortModel, CohortView
from antiextract.model.risk import (
    ELICIT,
    EXTRACT,
    FOCUS,
    LOGIT_BIAS,
    SINGLE,
    TRAITS,
    RiskInput,
    RiskModel,
)
from antiextract.store import Store

DAY, HOUR = 86_400.0, 3_600.0
COHORTS = ("t:one", "t:two", "l:b0:one", "n:10.0.0.0/24", "c:sdk")
CAMPAIGN = ("t:camp", "l:b5:camp", "c:sdk")
OTHER = ("t:sweep", "n:10.0.0.0/24")  # the sweep's and the owl's cohorts
SWEEP_ACUTE = 3.0  # the acute weight of each request of the sweep
# A failing example is reported as drawn: shrinking hundreds of requests takes minutes, and
# with ``derandomize`` the same examples come back on every run.
NO_SHRINK = (Phase.explicit, Phase.generate)


@st.composite
def risk_models(draw: st.DrawFn) -> RiskModel:
    """Seven weights, no two equal (distinct multiples of 0.05 up to 2.5), and every rate
    and half-life drawn within its valid range."""
    w = [x / 20 for x in draw(st.lists(st.integers(1, 50), min_size=7, max_size=7, unique=True))]
    return RiskModel(
        w_elicit=w[0],
        w_focus=w[1],
        w_single=w[2],
        w_template=w[3],
        w_extract=w[4],
        w_pacing=w[5],
        w_hours=w[6],
        alpha=draw(st.floats(0.05, 0.3)),
        youth_days=draw(st.floats(0.05, 30.0)),  # from an hour: youth moves within the run
        acute_alpha=draw(st.floats(0.15, 0.5)),
        profile_half_life=draw(st.floats(HOUR, 14 * DAY)),
        acute_half_life=draw(st.floats(600.0, 4 * HOUR)),
        acute_cap=draw(st.floats(4.0, 16.0)),
        sweep_weight=draw(st.floats(1.0, 6.0)),
        slow_above=draw(st.floats(0.3, 2.0)),
        slow_scale=draw(st.floats(0.5, 4.0)),
    )


@st.composite
def cohort_models(draw: st.DrawFn) -> CohortModel:
    """Thresholds low enough for a handful of young accounts to make a campaign, and a
    shared bucket small enough for it to refuse."""
    min_young = draw(st.integers(2, 4))
    part_min_young = draw(st.integers(2, 6))  # drawn apart: a transposed threshold fails
    return CohortModel(
        min_young=min_young,
        full_young=min_young + draw(st.integers(1, 8)),
        part_min_young=part_min_young,
        part_full_young=part_min_young + draw(st.integers(1, 8)),
        part_min_harvest=draw(st.floats(0.2, 0.6)),
        # admission of parts: off, an hour (markers forgotten within a run), or a day
        part_marker_ttl=draw(st.sampled_from((0, 3_600, 86_400))),
        min_young_share=draw(st.floats(0.3, 0.7)),
        min_harvest=draw(st.floats(0.2, 0.6)),
        weight=draw(st.floats(1.0, 8.0)),
        half_life=draw(st.floats(600.0, DAY)),
        bucket_capacity=draw(st.floats(400.0, 1_500.0)),
        bucket_refill=draw(st.floats(0.5, 10.0)),
    )


@st.composite
def limits_for(draw: st.DrawFn, m: RiskModel) -> Limits:
    """Two account windows (a short one the burst trips and a long one the steady sender
    trips without ever tripping the short one), one IP window, a bucket, and a block
    threshold the sweep's acute level reaches (0.5-0.75 of where it settles)."""
    short = draw(st.integers(5, 20))
    settles = min(m.acute_cap, m.sweep_weight + SWEEP_ACUTE)
    return Limits(
        capacity=draw(st.floats(800.0, 5_000.0)),
        refill=draw(st.floats(1.0, 20.0)),
        account=(
            WindowLimit("account", draw(st.integers(3, 5)), short),
            WindowLimit("account", draw(st.integers(6, 10)), short * draw(st.integers(15, 30))),
        ),
        ip=(WindowLimit("ip", draw(st.integers(3, 6)), draw(st.integers(10, 30))),),
        block_at=settles * draw(st.floats(0.5, 0.75)),
        block_seconds=draw(st.floats(60.0, 900.0)),
    )


@dataclass(frozen=True, slots=True)
class Step:
    t: float
    account: str
    ip: str
    cost: float
    signal: RiskInput
    campaigns: CampaignCharge | None
    block: float | None = None  # an operator block of the account until then, set first
    settle: float = 0.0  # charged after the request, when it was allowed


@dataclass(frozen=True)
class Scenario:
    """Drawn models and limits; the traffic follows from ``seed`` and ``start``."""

    model: RiskModel
    cohort_model: CohortModel
    limits: Limits
    seed: int
    start: float
    steps: tuple[Step, ...] = field(init=False, repr=False)

    def __post_init__(self) -> None:
        steps = traffic(random.Random(self.seed), self.limits, self.start)
        object.__setattr__(self, "steps", steps)

    @property
    def accounts(self) -> list[str]:
        return sorted({s.account for s in self.steps})


@st.composite
def scenarios(draw: st.DrawFn) -> Scenario:
    model = draw(risk_models())
    limits = draw(limits_for(model))
    seed = draw(st.integers(0, 2**32))
    start = 1_800_000_000.0 + draw(st.floats(0.0, DAY))  # any hour of the day
    return Scenario(model, draw(cohort_models()), limits, seed, start)


def traffic(rng: random.Random, limits: Limits, t0: float) -> tuple[Step, ...]:
    """About 400 requests over 30 simulated hours (across at least one UTC midnight)."""
    cap = limits.capacity
    short, long_ = limits.account
    (ip_window,) = limits.ip
    old = t0 - 90 * DAY  # an established account's trusted creation time
    steps: list[Step] = []
    # each cohort key's verdict for the run (as the verdict cache would hold it)
    # (drawn apart: the traffic below stays what ``rng`` alone makes it)
    vr = random.Random(t0)
    verdicts = {
        key: CohortView(
            key, vr.uniform(0.5, 6.0), vr.randint(5, 50), vr.randint(2, 40), vr.uniform(0.2, 1)
        )
        for key in (*COHORTS, *CAMPAIGN, *OTHER)
    }

    def add(t: float, account: str, ip: str, cost: float, traits: int = 0, acute: float = 0.0,
            skeleton: str = "", created: float | None = None, tier: float = 1.0,
            cohorts: tuple[str, ...] = (), **kw: Any) -> None:  # fmt: skip
        signal = RiskInput(traits, acute, skeleton, created, tier)
        matched = CampaignCharge(tuple(verdicts[k] for k in cohorts)) if cohorts else None
        steps.append(Step(t, account, ip, cost, signal, matched, **kw))

    def bits() -> int:  # every trait bit on its own
        return sum(b for b in (ELICIT, FOCUS, SINGLE, EXTRACT, LOGIT_BIAS) if rng.random() < 0.5)

    def when(hours: float = 28.0) -> float:
        return t0 + rng.uniform(0, hours * HOUR)

    # background: young and established accounts, anything goes
    people = [(f"bg-young-{i}", None, 1.0) for i in range(3)]
    people += [(f"bg-old-{i}", old, rng.choice([1.0, 0.5])) for i in range(3)]
    for _ in range(220):
        account, created, tier = rng.choice(people)
        cost = rng.choice([0.0, rng.uniform(1, cap / 4), rng.uniform(1, cap / 4), 2 * cap])
        settle = rng.uniform(-cost, cost) if rng.random() < 0.3 else 0.0
        k = rng.randint(1, 3)
        add(when(30), account, rng.choice(["ip-1", "ip-2", "ip-3"]), cost, bits(),
            rng.choice([0.0, 0.0, 0.5, 2.0]), rng.choice(["", "s1", "s2", "s3"]),
            # the auth layer's header on most requests: the stored creation time counts
            # for the others (risk.born)
            created if rng.random() < 0.8 else None,
            tier, tuple(rng.sample(COHORTS, k)), settle=settle)  # fmt: skip
    for _ in range(2):  # operator blocks
        account, created, tier = rng.choice(people)
        t = when()
        add(t, account, "ip-1", 10.0, bits(), created=created, tier=tier,
            block=t + rng.uniform(20, 300))  # fmt: skip
    # (each phase's account sends from a new IP every time: only the IP phase trips the
    # IP window)
    # a burst trips the short account window
    t = when()
    for i in range(short.amount + 2):
        add(t + 0.1 * i, "burst", f"ip-burst-{i}", 1.0, bits(), created=old, tier=0.5)
    # a steady sender, one request per short window, trips the long one
    t = when()
    for i in range(long_.amount + 5):
        add(t + short.seconds * i, "steady", f"ip-steady-{i}", 1.0, created=old, tier=0.5)
    # fresh accounts on one IP trip the IP window
    t = when()
    for i in range(ip_window.amount + 2):
        add(t + 0.2 * i, f"shared-ip-{i}", "ip-shared", 1.0, created=old, tier=0.5)
    # a big spender empties the bucket
    t = when()
    for i in range(3):
        add(t + 0.5 * i, "spender", f"ip-spend-{i}", 0.7 * cap, created=old, tier=0.5)
    # a logit-bias sweep on one template: its acute level crosses block_at
    t = when(20)
    for i in range(25):
        add(t + 20.0 * i, "sweeper", f"ip-sweep-{i}", 5.0, EXTRACT | LOGIT_BIAS | SINGLE,
            SWEEP_ACUTE, "sweep-template", cohorts=("t:sweep",))  # fmt: skip
    # active in every hour of a day (and one more hour the next day)
    t = t0 + rng.uniform(0, 3 * HOUR)
    t -= t % HOUR
    for h in range(25):
        add(t + h * HOUR + rng.uniform(0, 3_000), "owl", "ip-owl", 5.0, bits(),
            skeleton=rng.choice(["owl", "owl", ""]), cohorts=("n:10.0.0.0/24",))  # fmt: skip
    # a metronome: the same gap every time
    t, gap = when(), rng.uniform(30, 90)
    for i in range(10):
        add(t + gap * i, "metronome", f"ip-tick-{i}", 1.0, SINGLE, skeleton="tick")
    # young accounts sharing a harvest-shaped template: a campaign, its bucket refuses
    t = when()
    for _ in range(4):
        for i in range(6):
            t += rng.uniform(1, 30)
            add(t, f"camp-{i}", f"ip-camp-{i}", rng.uniform(100, 400),
                ELICIT | FOCUS | SINGLE | (EXTRACT if rng.random() < 0.5 else 0),
                rng.choice([0.0, 1.0]), "camp", cohorts=CAMPAIGN)  # fmt: skip
    steps.sort(key=lambda s: s.t)
    return tuple(steps)


@dataclass
class Coverage:
    """What happened during a run (on the first store; the others answered alike)."""

    denied: set[str | None] = field(default_factory=set)
    operator_blocked: set[str] = field(default_factory=set)
    risk_blocked: set[str] = field(default_factory=set)
    shares: list[set[float]] = field(default_factory=lambda: [set() for _ in TRAITS])
    slowed: int = 0  # assessments above slow_above: the bucket refilled more slowly
    flagged: set[str] = field(default_factory=set)  # cohorts seen with a campaign score
    rationed: set[str] = field(default_factory=set)  # ... whose shared bucket refused
    scores: set[float] = field(default_factory=set)


def same(a: Outcome, b: Outcome, where: str) -> None:
    assert (a.allowed, a.denied_by) == (b.allowed, b.denied_by), where
    assert b.tokens == pytest.approx(a.tokens, abs=1e-6), where
    assert b.retry_after == pytest.approx(a.retry_after, abs=1e-6), where
    x, y = a.assessment, b.assessment
    assert x is not None and y is not None
    assert (y.risk, y.youth, y.acute, y.age) == pytest.approx(
        (x.risk, x.youth, x.acute, x.age), abs=1e-9
    ), where
    assert y.shares == pytest.approx(x.shares, abs=1e-9), where
    assert y.day_count == x.day_count, where
    assert len(a.cohorts) == len(b.cohorts), where
    for u, v in zip(a.cohorts, b.cohorts, strict=True):
        assert (v.key, v.accounts, v.young, v.allowed) == (u.key, u.accounts, u.young, u.allowed), (
            where,
            u,
            v,
        )
        assert (v.score, v.harvest, v.retry_after) == pytest.approx(
            (u.score, u.harvest, u.retry_after), abs=1e-9
        ), (where, u, v)


async def compare(scenario: Scenario, stores: dict[str, Store]) -> Coverage:
    """Run the scenario on every store; each answers every step as the first one does,
    and their stored states agree at the end."""
    names = list(stores)
    first = stores[names[0]]
    cov = Coverage()
    m = scenario.model
    for i, step in enumerate(scenario.steps):
        if step.block is not None:
            for store in stores.values():
                await store.block(step.account, step.block, step.t)
            cov.operator_blocked.add(step.account)
        args = (step.account, step.ip, step.cost, step.t, step.signal, step.campaigns)
        a = await first.evaluate(*args)
        for name in names[1:]:
            same(a, await stores[name].evaluate(*args), f"step {i} ({step.account}) {name}")
        cov.denied.add(a.denied_by)
        if a.denied_by == BLOCKED and step.account not in cov.operator_blocked:
            cov.risk_blocked.add(step.account)
        assert a.assessment is not None
        for seen, share in zip(cov.shares, a.assessment.shares, strict=True):
            seen.add(share)
        cov.slowed += a.assessment.risk > m.slow_above
        for view in a.cohorts:
            if view.score > 0:
                cov.flagged.add(view.key)
                cov.scores.add(view.score)
            if not view.allowed:
                cov.rationed.add(view.key)
        if a.allowed and step.settle:
            for store in stores.values():
                await store.settle(step.account, step.settle, step.t)
                await store.flush()
    end = scenario.steps[-1].t + 1.0
    for account in scenario.accounts:
        sa = await first.account_state(account, end)
        assert sa is not None
        for name in names[1:]:
            sb = await stores[name].account_state(account, end)
            assert sb is not None, (account, name)
            assert sb["tokens"] == pytest.approx(sa["tokens"], abs=1e-6), (account, name)
            assert sb["blocked_until"] == pytest.approx(sa["blocked_until"]), (account, name)
            assert counts(sb["windows"], end) == counts(sa["windows"], end), (account, name)
            assert sb["profile"].keys() == sa["profile"].keys()
            for key, value in sa["profile"].items():
                want = pytest.approx(value, abs=1e-9) if isinstance(value, float) else value
                assert sb["profile"][key] == want, (account, name, key)
    for key in (*COHORTS, *CAMPAIGN, *OTHER):
        level = await first.campaign_bucket(key, end)
        for name in names[1:]:
            other = await stores[name].campaign_bucket(key, end)
            assert (other is None) == (level is None), (key, name)
            if level is not None:
                assert other == pytest.approx(level, abs=1e-6), (key, name)
    return cov


def counts(windows: dict[str, list[int]], now: float) -> dict[str, tuple[int, int]]:
    """Each stored window's (current, previous) counts at ``now``, windows at zero left
    out: on the Cluster layout a refused request's window is stored and taken back to
    zero (undo.lua), where the memory store never stored it."""
    out = {}
    for name, (start, cur, prev) in windows.items():
        rolled = roll(start, cur, prev, math.floor(now / int(name[1:])))
        if rolled != (0, 0):
            out[name] = rolled
    return out


def assert_covered(cov: Coverage, scenario: Scenario) -> None:
    """The run exercised what the comparison is for: every refusal kind, a block by
    risk, every share away from where it starts, a slowed refill, a campaign that
    rationed its members, and campaign scores that varied."""
    lim = scenario.limits
    kinds = {TOKENS, BLOCKED} | {w.name for w in lim.account + lim.ip}
    assert kinds <= cov.denied, kinds - cov.denied
    assert cov.risk_blocked, "no account was blocked by its risk"
    for name, seen in zip(TRAITS, cov.shares, strict=True):
        assert len(seen) > 3 and max(seen) > 0.5, (name, sorted(seen)[:5], max(seen))
    assert max(cov.shares[TRAITS.index("hours")]) == 1.0  # 22 active hours or more
    assert max(cov.shares[TRAITS.index("pacing")]) == 1.0  # a gap that never varies
    assert cov.slowed > 0
    assert "t:camp" in cov.flagged and "t:camp" in cov.rationed
    assert len(cov.scores) > 3
