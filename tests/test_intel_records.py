"""Records and verdicts: what crosses from one plane (and one process) to the other."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from antiextract.intel.records import MAX_COHORTS, Record
from antiextract.intel.verdicts import (
    Verdict,
    VerdictBook,
    VerdictCache,
    campaign_id,
    judge,
    worth_publishing,
)
from antiextract.model.cohorts import CohortView

keys = st.tuples(st.sampled_from("tlncp"), st.text(min_size=1, max_size=40)).map(
    lambda p: f"{p[0]}:{p[1]}"
)
records = st.builds(
    Record,
    t=st.floats(0, 4e9),
    account=st.text(min_size=1, max_size=64),
    cohorts=st.lists(keys, max_size=MAX_COHORTS).map(tuple),
    young=st.booleans(),
    traits=st.integers(0, 0xFFFF),
    cost=st.floats(0, 1e7),
)


@given(records)
def test_a_record_survives_encoding(record: Record) -> None:
    assert Record.decode(record.encode()) == record


@pytest.mark.parametrize(
    "raw",
    [
        b"",
        b"not json",
        b"{}",
        b"[1, 2, 3]",
        b'[1e999, "a", [], 0, 0, 1]',  # orjson refuses inf; a finite check backs it
        b'[1, "", [], 0, 0, 1]',  # no account
        b'[1, "a", ["x:y"], 0, 0, 1]',  # a cohort of no known kind
        b'[1, "a", "t:y", 0, 0, 1]',  # cohorts not a list
        b'[1, "a", [' + b",".join(b'"p:%d"' % i for i in range(MAX_COHORTS + 1)) + b"], 0, 0, 1]",
        b'[1, "a", [], 2, 0, 1]',  # youth not 0/1
        b'[1, "a", [], 0, -1, 1]',
        b'[1, "a", [], 0, 0, -1]',  # negative cost
        b'[1, "' + b"a" * 300 + b'", [], 0, 0, 1]',  # an account too long to be a key
    ],
)
def test_decode_refuses_what_is_no_record(raw: bytes) -> None:
    with pytest.raises(ValueError):
        Record.decode(raw)


def verdict(key: str = "t:x", score: float = 2.0, expires: float = 100.0, **kw: float) -> Verdict:
    fields = {"accounts": 30, "young": 25, "harvest": 0.8, "flagged_at": 10.0}
    fields.update(kw)
    return Verdict(key, campaign_id(key), score, expires=expires, **fields)  # type: ignore[arg-type]


def test_a_verdict_reads_as_a_cohort_view_and_survives_encoding() -> None:
    v = verdict()
    assert v.view() == CohortView("t:x", 2.0, 30, 25, 0.8, True, 0.0)
    assert v.view(False, 3.5) == CohortView("t:x", 2.0, 30, 25, 0.8, False, 3.5)
    assert Verdict.decode("t:x", v.encode()) == v
    with pytest.raises(ValueError):
        Verdict.decode("t:x", b"[1, 2]")
    with pytest.raises(ValueError):
        Verdict.decode("t:x", b"[1, -2, 3, 0.5, 1, 2]")  # negative count


def test_campaign_ids_are_short_stable_and_distinct() -> None:
    ids = {campaign_id(f"t:{i}") for i in range(1000)}
    assert len(ids) == 1000
    assert campaign_id("t:7") == campaign_id("t:7")
    assert all(len(i) == 12 and i.isalnum() for i in ids)


def test_the_cache_answers_live_verdicts_on_the_keys_asked_in_order() -> None:
    cache = VerdictCache()
    assert cache.lookup(("t:x",), 0.0) == ()
    a, b, old = verdict("t:a"), verdict("n:b"), verdict("c:old", expires=50.0)
    cache.replace([a, b, old], 7)
    assert cache.version == 7
    assert cache.lookup(("n:b", "t:zz", "t:a", "c:old"), 40.0) == (b, a, old)
    assert cache.lookup(("n:b", "t:zz", "t:a", "c:old"), 50.0) == (b, a)  # old expired
    assert cache.active(50.0) == 2
    cache.replace([b], 8)
    assert cache.lookup(("t:a", "n:b"), 0.0) == (b,)


def test_judging_keeps_when_a_campaign_was_first_flagged() -> None:
    counts = (30, 25, 0.8, 2.0)
    first = judge("t:x", counts, 100.0, None, 60.0)
    assert first is not None and (first.flagged_at, first.expires) == (100.0, 160.0)
    later = judge("t:x", counts, 150.0, first, 60.0)
    assert later is not None and (later.flagged_at, later.expires) == (100.0, 210.0)
    anew = judge("t:x", counts, 170.0, first, 60.0)  # the first had expired: a new campaign
    assert anew is not None and anew.flagged_at == 170.0
    assert judge("t:x", (30, 2, 0.8, 0.0), 150.0, first, 60.0) is None


def test_verdicts_are_republished_on_change_or_age_not_on_every_record() -> None:
    ttl = 100.0
    v = verdict(expires=200.0)
    assert worth_publishing(None, v, ttl) and worth_publishing(v, None, ttl)
    assert not worth_publishing(None, None, ttl)
    assert not worth_publishing(v, verdict(expires=210.0, score=2.01), ttl)
    assert worth_publishing(v, verdict(expires=225.0), ttl)  # a quarter of its life on
    assert worth_publishing(v, verdict(expires=201.0, score=2.1), ttl)
    assert worth_publishing(v, verdict(expires=201.0, young=27), ttl)


def test_the_book_publishes_new_renewed_cleared_and_expired_verdicts() -> None:
    book = VerdictBook(ttl=100.0)
    flagged = (30, 25, 0.8, 2.0)
    book.judge("t:a", flagged, 10.0)
    book.judge("t:b", flagged, 10.0)
    writes, gone = book.changes(10.0)
    assert sorted(v.key for v in writes) == ["t:a", "t:b"] and gone == []
    book.judge("t:a", flagged, 11.0)  # renewed a second later: not worth a write
    assert book.changes(11.0) == ([], [])
    book.judge("t:b", (30, 2, 0.8, 0.0), 12.0)  # no longer a campaign
    writes, gone = book.changes(12.0)
    assert writes == [] and gone == ["t:b"]
    writes, gone = book.changes(111.0)  # t:a expired (flagged 11.0 + 100)
    assert writes == [] and gone == ["t:a"] and book.published == {}
    # a verdict another analyser published, never judged here, is left alone
    book.adopt([verdict("t:other", expires=500.0)])
    assert book.changes(200.0) == ([], [])
    book.judge("t:other", (30, 2, 0.8, 0.0), 201.0)
    assert book.changes(201.0) == ([], ["t:other"])
