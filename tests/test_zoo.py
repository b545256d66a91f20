"""The adversary zoo (benchmarks/zoo): its traffic is what threats.md asks for, seeded, and
split so that held-out runs meet wording no tuning run used; its replay measures the real
middleware on both stores alike."""

from __future__ import annotations

import itertools
from collections import Counter

import orjson
import pytest

from benchmarks.zoo import grammars as G
from benchmarks.zoo import replay, traffic
from benchmarks.zoo.traffic import ATTACK, FAMILIES, LEGIT, ZooConfig

from .conftest import REDIS_URL

SMALL = {"days": 2, "scale": 0.15}


def _texts(cfg: ZooConfig, limit: int | None = None) -> list[tuple[str, float, str, bytes]]:
    """(family, time, key, body) of a run's requests, in order."""
    accounts = traffic.populate(cfg)
    out = []
    for t, a in itertools.islice(traffic.events(accounts), limit):
        req = a.request(t, cfg.created_header)
        out.append((a.family, t, a.key, orjson.dumps(req.body)))
    return out


def test_a_seed_draws_the_same_traffic_and_another_seed_other_traffic() -> None:
    one = _texts(ZooConfig(5, **SMALL), 3_000)
    assert one == _texts(ZooConfig(5, **SMALL), 3_000)
    other = _texts(ZooConfig(6, **SMALL), 3_000)
    assert [b for *_, b in one] != [b for *_, b in other]


def test_every_family_and_population_is_present_in_proportion() -> None:
    counts = Counter(fam for fam, *_ in _texts(ZooConfig(3, **SMALL)))
    assert set(counts) == set(FAMILIES), counts
    total = sum(counts.values())
    attack = sum(counts[f] for f in ATTACK)
    assert 0.15 <= attack / total <= 0.6, counts  # threats.md's evaluation: ~40% attack
    for fam in FAMILIES:
        assert counts[fam] >= 20, (fam, counts)


def test_a_family_is_drawn_from_several_grammars_languages_and_networks() -> None:
    accounts = traffic.populate(ZooConfig(9, days=2, scale=0.5))
    for fam in ("paraphrase", "adaptive", "mimic"):
        accts = [a for a in accounts if a.family == fam]
        grammars = {id(a.grammar) for a in accts}
        assert len(grammars) >= 2, fam
        assert len({a.lang for a in accts}) >= 3, fam
    slow = [a for a in accounts if a.family == "low_slow"]
    assert len({a.lang for a in slow}) >= 3
    assert len({a.state["niche"] for a in slow}) >= 3  # each a different narrow slice
    para = next(a for a in accounts if a.family == "paraphrase" and len(a.times) > 5)
    ips = {para.net.ip(t) for t in para.times}
    assert len(ips) == len(para.times)  # a different IP per request


@pytest.mark.parametrize("split", G.SPLITS)
def test_each_split_has_at_least_two_grammars_per_harvest_family(split: str) -> None:
    assert len(G.WRAPPERS[split]) >= 2
    assert len(G.TASKS[split]) >= 3  # taxonomy categories


def test_no_wording_is_shared_between_tuning_and_heldout_grammars() -> None:
    tuning, heldout = G.all_phrases("tuning"), G.all_phrases("heldout")
    every_tuning = set().union(*tuning.values())
    for family, phrases in heldout.items():
        shared = {p for p in phrases & every_tuning if len(p) > 3}  # not "->" or "Task:"
        assert not shared, (family, sorted(shared)[:5])


def test_a_heldout_seed_sends_no_tuning_sentence() -> None:
    assert traffic.split_of(1001) == "heldout" and traffic.split_of(7) == "tuning"
    tuning = {p for ps in G.all_phrases("tuning").values() for p in ps if len(p) >= 12}
    bodies = [b.decode() for *_, b in _texts(ZooConfig(1001, **SMALL), 4_000)]
    for body in bodies:
        text = orjson.loads(body)["messages"][-1]["content"]
        hits = [p for p in tuning if p in text]
        assert not hits, (text[:200], hits[:3])


def test_hours_to_flag_is_the_hour_after_the_last_one_above_a_fifth() -> None:
    assert replay._hours_to_flag({0: [10, 9], 1: [10, 3], 2: [10, 1], 3: [10, 0]}) == 2
    assert replay._hours_to_flag({0: [10, 1], 1: [10, 0]}) == 0
    assert replay._hours_to_flag({0: [10, 0], 1: [10, 5]}) is None  # still harvesting


@pytest.fixture(scope="module")
def runs():
    return {}


@pytest.mark.parametrize("uri", ["memory://", REDIS_URL])
async def test_replay_through_the_middleware_on_both_stores(uri: str, runs) -> None:
    cfg = ZooConfig(1002, days=1, scale=0.1, created_header=False)
    res = await replay.run(cfg, uri)
    runs[uri] = res
    assert res["status_5xx"] == 0
    assert set(res["populations"]) == set(FAMILIES)
    pops = res["populations"]
    for fam in LEGIT:
        assert 0 <= pops[fam]["impact"] <= 1
    # The logit-bias sweep is the one family today's detector stops at once.
    assert pops["logit_prober"]["full_fidelity_yield"] < 0.05
    assert pops["logit_prober"]["hours_to_flag"] == 0
    # The classifiers read every harvest request of the naive family as one.
    assert pops["naive"]["read_elicit"] == 1.0
    if len(runs) == 2:  # the stores agree, figure for figure
        mem, red = runs["memory://"], runs[REDIS_URL]
        for fam in FAMILIES:
            a, b = mem["populations"][fam], red["populations"][fam]
            assert a["actions"] == b["actions"], fam
            assert a["risk"]["account_max_median"] == pytest.approx(
                b["risk"]["account_max_median"], abs=0.01
            ), fam


@pytest.mark.xfail(
    strict=True, reason="issue 17: the attack yield targets are not met (benchmarks/results/zoo.md)"
)
async def test_issue_17_targets_on_a_small_heldout_run() -> None:
    res = await replay.run(ZooConfig(1003, days=2, scale=0.15), "memory://")
    pops = res["populations"]
    for fam in ("naive", "paraphrase", "low_slow", "logit_prober"):
        assert pops[fam]["full_fidelity_yield"] <= 0.05, fam
    for fam in ("mimic", "adaptive"):
        assert pops[fam]["full_fidelity_yield"] <= 0.25, fam
    for fam in LEGIT:
        assert pops[fam]["impact"] <= 0.01, fam


def _obs(fam: str, t: float, kinds: tuple[int, ...]) -> tuple:
    return (fam, "k", "s", t, True, kinds)


def test_evidence_counts_days_not_volume_and_bounds_benign_wash_out() -> None:
    from benchmarks.zoo import evidence

    llr = [(4.0, -0.5), (0.3, -0.1), (1.5, -0.4), (3.0, -3.0)]  # reason unseen below (-1):
    acc = evidence.Accumulator(cap_pos=2.0, cap_neg=1.0, floor=2.0, alpha=5e-3)  # single-turn
    day0 = traffic.START
    # A thousand requests in one day showing a weak kind: one observation's worth.
    volume = [_obs("ide", day0 + i, (0, 1, 0, -1)) for i in range(1_000)]
    s = evidence.score(volume, llr, acc)["k"]
    assert s["totals"][1] == pytest.approx(0.3, abs=1e-3)  # (less a few minutes of decay)
    # One harvest-shaped request a day from a new network, a hundred benign ones around
    # it: the benign ones take at most cap_neg a day from each kind (and a kind never
    # goes below -floor), so the account still climbs, a day at a time, and is flagged.
    days = []
    for d in range(8):
        t = day0 + d * traffic.DAY
        days.append(_obs("low_slow", t, (1, 0, 1, -1)))
        days += [_obs("low_slow", t + 1 + i, (0, 0, 0, -1)) for i in range(100)]
    s = evidence.score(days, llr, acc)["k"]
    assert 0.7 * 8 <= s["totals"][0] <= 8 * (2.0 - 1.0)  # +2 - 1 a day, less decay
    assert s["totals"][1] == pytest.approx(-2.0, abs=0.01)  # the floor (less decay)
    assert s["flag_n"] is not None and s["flag_t"] >= day0 + 4 * traffic.DAY


def test_successor_gaps_and_the_crowd_inside_them() -> None:
    """An adaptive seat's account a (last request at 100 s) is followed by b (first at
    700 s): a 10-minute gap, inside which one other account (a newbie at 300 s) is first
    seen; the newbie's later requests and the seat's own accounts are not the crowd."""
    from benchmarks.zoo.successors import rotations

    def row(fam: str, key: str, seat: str, t: float) -> tuple:
        return (fam, key, seat, t)

    rows = [
        row("adaptive", "a", "s1", 0.0), row("adaptive", "a", "s1", 100.0),
        row("newbie", "n", "n", 300.0), row("adaptive", "b", "s1", 700.0),
        row("newbie", "n", "n", 650.0), row("casual", "c", "c", 900.0),
    ]  # fmt: skip
    assert rotations(rows) == ([10.0], [1])
