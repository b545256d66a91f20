"""Wrapper parts (issue 17): sentence digests that survive paraphrase and shuffling, the
``p:`` cohorts both analysers count them in, and how a member is linked by several."""

from __future__ import annotations

import asyncio

import pytest
from hypothesis import given
from hypothesis import strategies as st

from antiextract.intel.memory import MemoryIntel
from antiextract.intel.records import MAX_COHORTS, Record
from antiextract.intel.redis import RedisIntel
from antiextract.model.cohorts import (
    KIND_WEIGHT,
    LINKED_PARTS,
    CohortModel,
    CohortView,
    campaign_score,
    member_score,
    strongest,
)
from antiextract.model.risk import ELICIT, FOCUS, SINGLE
from antiextract.request.parts import SYSTEM_PARTS, USER_PARTS, part_keys, sentence_digests
from antiextract.store.redis import RedisStore

from .conftest import redis_client, test_limits

HARVEST = ELICIT | FOCUS | SINGLE
WRAPPER = [
    "You are a senior backend engineer.",
    "Think step by step and show your complete reasoning.",
    "Return the final code in a single block.",
]


def test_shuffled_sentences_around_different_tasks_share_parts() -> None:
    a = " ".join(WRAPPER) + "\nTask: implement an LRU cache with expiry in Go."
    b = (
        f"{WRAPPER[2]}  {WRAPPER[0].upper()} {WRAPPER[1]}\n"
        "Task: write a parser for RFC 3339 timestamps in Rust."
    )
    pa, pb = set(part_keys("", a)), set(part_keys("", b))
    # the wrapper's three sentences hash alike whatever their order, case and spacing
    assert len(pa & pb) >= 2
    assert all(k.startswith("p:") and len(k) == 18 for k in pa | pb)


def test_no_text_leaves_only_fixed_size_digests() -> None:
    secret = "my password is hunter2-hunter2-hunter2 and my key is sk-abc123456789"
    keys = part_keys(secret, secret + " " + secret)
    assert keys and not any("hunter2" in k or "sk-" in k for k in keys)
    assert all(len(k) == 18 for k in keys)


def test_system_and_user_parts_are_bounded_and_the_system_side_memoised() -> None:
    system = " ".join(f"Rule number {i} of this assistant is to be useful." for i in range(40))
    user = " ".join(f"Sentence number {i} of the question is long enough." for i in range(40))
    keys = part_keys(system, user)
    assert len(keys) == SYSTEM_PARTS + USER_PARTS <= MAX_COHORTS - 5
    assert part_keys(system, user) == keys


def test_code_fences_short_fragments_and_the_middle_of_a_long_turn_are_not_parts() -> None:
    assert sentence_digests("```python\nreturn a long line of code here```", 5) == ()
    assert sentence_digests("Thanks. Ok. Yes.", 5) == ()
    middle = "The unique task sentence sits in the middle of the text."
    long = WRAPPER[0] + "\n" + "x " * 400 + middle + " " + "y " * 400 + "\n" + WRAPPER[1]
    with_middle = set(part_keys("", long))
    assert not with_middle & set(part_keys("", middle))
    assert set(part_keys("", WRAPPER[0] + "\n" + WRAPPER[1])) <= with_middle


@given(st.text(max_size=3000), st.text(max_size=3000))
def test_part_keys_never_raise(system: str, user: str) -> None:
    keys = part_keys(system, user)
    assert len(keys) <= SYSTEM_PARTS + USER_PARTS
    assert len(set(keys)) == len(keys)


def test_part_thresholds_are_their_own() -> None:
    """Hand-worked: 6 young of 8 accounts, harvest 0.8, weight 6. A template cohort needs
    20 young accounts; a part 3, at full score from 10: 6 x (6/10) x (6/8) x 0.8 = 2.16."""
    m = CohortModel()
    assert (m.part_min_young, m.part_full_young) == (3, 10)
    assert campaign_score(8, 6, 0.8, m, "t:x") == 0.0
    assert campaign_score(8, 6, 0.8, m, "p:x") == pytest.approx(2.16)
    assert campaign_score(8, 2, 0.8, m, "p:x") == 0.0  # under part_min_young
    assert campaign_score(8, 6, 0.6, m, "p:x") == 0.0  # under part_min_harvest
    assert campaign_score(40, 6, 0.8, m, "p:x") == 0.0  # established accounts: baseline


def test_several_flagged_parts_add_up_to_the_link() -> None:
    """Hand-worked: parts scored 2.0, 1.0, 0.5, 0.4 and a subnet scored 3.0; on a fully
    harvest-shaped request (request_harvest 5/6) a part weighs KIND_WEIGHT['p'] x 5/6 and a
    subnet 0.5 x 5/6: the three strongest parts add to 3.5 x 0.7 x 5/6 = 2.042 > 1.25."""
    views = tuple(CohortView(f"p:{i}", s, 10, 10, 0.9) for i, s in enumerate((2.0, 1.0, 0.5, 0.4)))
    views += (CohortView("n:10.0.0.0/24", 3.0, 10, 10, 0.9),)
    best, score = strongest(views, HARVEST)
    assert LINKED_PARTS == 3 and KIND_WEIGHT["p"] == 0.7
    assert best is not None and best.key == "p:0"  # the parts decide: the strongest is named
    assert score == pytest.approx(3.5 * 0.7 * 5 / 6)
    # a flagged template names the campaign (what an operator allowlists); the parts weigh
    named, same = strongest((CohortView("t:w", 0.5, 10, 10, 0.9), *views), HARVEST)
    assert named is not None and named.key == "t:w" and same == pytest.approx(score)
    assert member_score(views[-1], HARVEST) == pytest.approx(1.25)
    alone, one = strongest(views[:1], HARVEST)  # one part: its own member score
    assert alone is views[0] and one == pytest.approx(2.0 * 0.7 * 5 / 6)


def _records(t0: float) -> list[Record]:
    """Twelve young accounts, each sharing two of a grammar's four sentences (six young
    accounts per sentence); thirty established accounts sharing an app prompt's two
    sentences with four young ones (young share 4/34: baseline)."""
    out = []
    for i in range(12):
        parts = (f"p:{i % 4:016x}", f"p:{(i + 1) % 4:016x}")
        for j in range(3):
            out.append(Record(t0 + 60 * i + j, f"young-{i}", parts, True, HARVEST, 1.0))
    for i in range(34):
        parts = ("p:" + "a" * 16, "p:" + "b" * 16)
        out.append(Record(t0 + 30 * i, f"app-{i}", parts, i < 4, HARVEST, 1.0))
    return sorted(out, key=lambda r: r.t)


@pytest.mark.parametrize("store", ["memory", "redis"])
def test_both_analysers_link_a_grammars_sentences_not_an_app_prompt(store: str) -> None:
    """The memory and Redis analysers flag the same parts (the grammar's four), not the
    app prompt's; on Redis every key of the parts' state expires."""
    m = CohortModel()

    async def run() -> set[str]:
        records = _records(1_800_000_000.0)
        end = records[-1].t
        if store == "memory":
            intel = MemoryIntel(m)
            for r in records:
                intel.emit(r)
            await intel.drain(end)
            return {v.key for v in intel.cache.all()}
        s = RedisStore(test_limits(), await redis_client(), prefix="aeparts", cohort_model=m)
        intel = RedisIntel(s, claim_idle=0.0)
        try:
            for r in records:
                intel.emit(r)
            await intel.drain(end)
            keys = [k async for k in s.client.scan_iter(match="aeparts:*")]
            assert any(b"{ic:p:" in k for k in keys)  # the parts' cohort states
            for k in keys:  # every key of the new state expires
                assert await s.client.ttl(k) > 0, k
            return {v.key for v in intel.cache.all()}
        finally:
            await intel.stop()
            await s.close()

    assert asyncio.run(run()) == {f"p:{i:016x}" for i in range(4)}


def test_a_part_link_reaches_an_aged_account_a_subnet_link_does_not() -> None:
    """Hand-worked, level 0: a part scored 6.0 on a harvest-shaped request weighs
    6 x 0.7 x 5/6 = 3.5, scaled by youth at least LINK_YOUTH = 0.5: 1.75; a subnet of the
    same score 6 x 0.5 x 5/6 = 2.5, by the account's youth 0.25: 0.625."""
    from antiextract.model.bucket import Outcome
    from antiextract.model.risk import Assessment
    from antiextract.request.policy import LINK_YOUTH, Thresholds, decide

    assert LINK_YOUTH == 0.5
    aged = Assessment(0.0, 0.25, (), 0.0, 21 * 86_400.0, 3)  # three weeks old

    def risk(key: str) -> float:
        views = (CohortView(key, 6.0, 10, 10, 0.9),)
        outcome = Outcome(True, 1.0, 0.0, None, assessment=aged, cohorts=views)
        return decide(outcome, Thresholds(), HARVEST).risk

    assert risk("p:0") == pytest.approx(1.75)
    assert risk("n:10.0.0.0/24") == pytest.approx(0.625)
    # parts that decide under a flagged template's name are still a part link: two parts
    # of 6.0 add to 7.0, floored youth 0.5: 3.5 (the template alone: 0.1 x 1.0 x 0.25)
    views = (
        CohortView("t:w", 0.1, 10, 10, 0.9),
        CohortView("p:0", 6.0, 10, 10, 0.9),
        CohortView("p:1", 6.0, 10, 10, 0.9),
    )
    decision = decide(Outcome(True, 1.0, 0.0, None, assessment=aged, cohorts=views),
                      Thresholds(), HARVEST)  # fmt: skip
    assert decision.campaign is not None and decision.campaign.key == "t:w"
    assert decision.risk == pytest.approx(3.5)


def test_the_system_memo_is_bounded_and_holds_no_text() -> None:
    from antiextract.request import parts

    for i in range(parts._MEMO + 10):
        part_keys(f"System prompt number {i} of some tenant app.", "")
    assert len(parts._SYSTEM) <= parts._MEMO
    assert all(isinstance(k, bytes) and len(k) == 16 for k in parts._SYSTEM)  # 128-bit hashes
