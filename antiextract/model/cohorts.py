"""Cohorts and campaigns: thousands of accounts seen as one actor.

A campaign's accounts each look ordinary; together they share things an ordinary crowd
does not: a prompt template (exactly, or through light paraphrase), infrastructure (a
/24 or /48 subnet), a client fingerprint — and they are *young* and *harvest-shaped*
(reasoning asked for, coding/agentic focus, single-turn, extraction parameters).

Each request belongs to a few cohorts (its keys below). Per cohort the store keeps:
distinct accounts and distinct young accounts per UTC day, read as the larger of today's
and yesterday's (HyperLogLog in Redis, a bounded KMV sketch in memory), time-decayed
request and trait counts, and, once the cohort is flagged, one shared token bucket for all
its members (template and band cohorts only ration their members).

A cohort is flagged as a campaign when (all of) it has at least ``min_young`` distinct
young accounts, young accounts make up at least ``min_young_share`` of its accounts, and
its traffic is harvest-shaped (``harvest`` >= ``min_harvest``). Many accounts sharing a
template is not enough: an IDE assistant's thousands of established users share one.

The campaign score (0..``weight``) flows into each member's risk (scaled by the member's
youth), so an account joining a known campaign is caught on its first requests.

``store/cohort.lua`` transcribes ``update_cohort``; the shared store tests compare them.
Where Redis costs differ it departs in how, not what: it caches the distinct counts in the
state, reads a count between 256 and 16,383 back from its HyperLogLog only every
1/256-1/128 of growth (counting one up per change in between, so it may lag by ~1%), and
renews a state's TTL once a day (the memory store: at every request).
"""

from __future__ import annotations

import ipaddress
from array import array
from bisect import bisect_left
from dataclasses import dataclass, field
from typing import NamedTuple

import xxhash

from .bucket import MAX_TTL
from .risk import ELICIT, EXTRACT, FOCUS, MAX_WEIGHT, SINGLE, check_range

KMV_K = 256  # sketch size: ~1/sqrt(k-2) = 6% standard error on distinct counts
# Weights of a cohort's trait shares in its harvest shape: elicitation and focus weigh most
# (store/cohort.lua is given them as Lua constants: the numbers live here only).
HARVEST_ELICIT, HARVEST_FOCUS, HARVEST_SINGLE, HARVEST_EXTRACT = 2.0, 2.0, 1.0, 1.0
_MAX_HASH = float(1 << 64)


# The most distinct young accounts min_young and full_young may ask for: a judgement
# bound (documented in the README's settings table): a setting past it would only switch
# campaign detection off unannounced.
MAX_COUNT = 1_000_000


@dataclass(frozen=True, slots=True)
class CohortModel:
    """Every field is an ``ANTIEXTRACT_CAMPAIGN_*`` setting (JSON overrides)."""

    min_young: int = 20  # distinct young accounts before a cohort can be a campaign
    full_young: int = 100  # distinct young accounts at which the score is at its full
    min_young_share: float = 0.5
    min_harvest: float = 0.65
    weight: float = 6.0  # campaign score added to a fully young member's risk
    young_days: float = 7.0  # an account younger than this counts as young
    half_life: float = 6 * 3_600.0  # decay of the cohort's request and trait counts
    bucket_capacity: float = 2_000_000.0  # shared token bucket of a flagged cohort
    bucket_refill: float = 2_000.0  # tokens per second, for all members together
    ttl: int = 3 * 86_400  # at least two days: yesterday's sketches are read all day
    # Wrapper-part cohorts (``p:``, one sentence digest each, request/parts.py): a sentence
    # of a campaign's grammar is shared by a slice of its accounts, not by all of them, so
    # it is a link from fewer young accounts; young share and harvest shape keep what
    # established users share (an IDE's or a tenant's prompt) a baseline, not a link.
    # chosen on tuning seeds 1-2 (benchmarks/results/zoo.md, "Wrapper parts"): 3 / 10
    # against 5 / 25 and 5 / 10 took paraphrase from 7.4% to 3.9%, low_slow 8.9% to 5.3%,
    # newbie impact 0.1% either way
    part_min_young: int = 3
    part_full_young: int = 10
    part_min_harvest: float = 0.65
    # Admission of wrapper parts (intel/analyzer.py, fold.lua): most parts are one-off task
    # sentences, so a part's first account leaves only a small marker; a second account
    # promotes it to full cohort state, the marker folded in first (counts as without the
    # filter). A marker idle longer than this (seconds, record time) is forgotten: the
    # first sighting's decayed weight (at most 0.5 ** (part_marker_ttl / half_life) of one
    # request) is then left out. 0: no admission (every part gets its state at once).
    part_marker_ttl: int = 86_400

    def __post_init__(self) -> None:
        # ranges (risk.check_range): counts of accounts, shares, divisors and rates, so a
        # zero or NaN never reaches campaign_score, update_cohort or cohort.lua
        check_range(
            "min_young", self.min_young, 1, MAX_COUNT, why="a campaign needs a young account"
        )
        check_range("full_young", self.full_young, 1, MAX_COUNT, why="a divisor")
        check_range("min_young_share", self.min_young_share, 0, 1, why="a share")
        check_range("min_harvest", self.min_harvest, 0, 1, why="harvest is a share")
        check_range(
            "part_min_young", self.part_min_young, 1, MAX_COUNT, why="a link needs a young account"
        )
        check_range("part_full_young", self.part_full_young, 1, MAX_COUNT, why="a divisor")
        check_range("part_min_harvest", self.part_min_harvest, 0, 1, why="harvest is a share")
        check_range("weight", self.weight, 0, MAX_WEIGHT)
        for name in ("young_days", "half_life", "bucket_capacity", "bucket_refill"):
            check_range(name, getattr(self, name), 0, above=True, why="a divisor or a size")
        if self.bucket_capacity / self.bucket_refill > MAX_TTL:
            raise ValueError(
                f"bucket_capacity / bucket_refill = {self.bucket_capacity / self.bucket_refill:g}"
                f" s: a campaign's shared bucket would take more than {MAX_TTL // 86_400} days "
                "to refill, never in practice"
            )
        # Redis wants a whole number of seconds, and cohort.lua renews a state's TTL once a
        # day (a settings override arrives as a float, e.g. 259200.0)
        if self.ttl != int(self.ttl) or self.ttl < 2 * 86_400:
            raise ValueError(f"ttl must be a whole number of seconds >= 172800, got {self.ttl}")
        object.__setattr__(self, "ttl", int(self.ttl))
        if self.part_marker_ttl != int(self.part_marker_ttl) or not (
            self.part_marker_ttl == 0 or 3_600 <= self.part_marker_ttl <= self.ttl
        ):
            raise ValueError(
                "part_marker_ttl must be 0 (no admission) or a whole number of seconds "
                f"from 3600 to ttl ({self.ttl}), got {self.part_marker_ttl}"
            )
        object.__setattr__(self, "part_marker_ttl", int(self.part_marker_ttl))


@dataclass(frozen=True, slots=True)
class CohortInput:
    """The cohorts of one request, and whether its account counts as young."""

    keys: tuple[str, ...]
    young: bool
    traits: int


class CohortView(NamedTuple):
    """A store's answer for one cohort of one request. (A NamedTuple, not a frozen
    dataclass: five are made per request, at a third of the cost.)"""

    key: str
    score: float  # 0 when not a campaign
    accounts: int  # distinct accounts (estimate)
    young: int  # distinct young accounts (estimate)
    harvest: float
    allowed: bool = True  # the campaign's shared bucket had room
    retry_after: float = 0.0


def subnet(ip: str) -> str | None:
    """/24 for IPv4, /48 for IPv6: the unit a hosting provider hands out."""
    found = _SUBNETS.get(ip)
    if found is None:
        if len(_SUBNETS) >= 65_536:
            _SUBNETS.clear()
        found = _SUBNETS[ip] = _subnet(ip) or ""
    return found or None


_SUBNETS: dict[str, str] = {}  # memo: parsing an address costs ~10 µs, clients come back


def _subnet(ip: str) -> str | None:
    """``ip`` is an address or, for IPv6, the /64 a client is counted in
    (``identity.counted_ip``)."""
    try:
        net = ipaddress.ip_network(ip, strict=False)
    except ValueError:
        return None
    prefix = 24 if net.version == 4 else 48
    return str(net.supernet(new_prefix=prefix)) if net.prefixlen > prefix else str(net)


def cohort_keys(skeleton: str, bands: tuple[str, ...], ip: str, client_fp: str) -> tuple[str, ...]:
    """The cohorts of one request: exact template, two LSH bands (one per partition of
    the SimHash, so paraphrased wrappers still meet), subnet, client fingerprint."""
    keys = []
    if skeleton:
        keys.append("t:" + skeleton)
        keys += ["l:" + b for b in bands[:1] + bands[5:6]]
    net = subnet(ip)
    if net:
        keys.append("n:" + net)
    if client_fp:
        keys.append("c:" + client_fp)
    return tuple(keys)


def account_hash(account: str) -> int:
    return xxhash.xxh64_intdigest(account.encode())


class KMV:
    """K-minimum-values distinct counter: bounded (k hashes), mergeable, ~6% error."""

    __slots__ = ("values",)

    def __init__(self) -> None:
        # sorted ascending, at most KMV_K; unsigned 64-bit cells, not a list of ints: a full
        # sketch is 2 KB instead of ~9 KB, and the embedded store keeps four per cohort
        self.values = array("Q")

    def add(self, h: int) -> bool:
        """Add a hash; True when the sketch changed (so cached counts are stale)."""
        v = self.values
        if len(v) >= KMV_K and h >= v[-1]:
            return False
        at = bisect_left(v, h)
        if at < len(v) and v[at] == h:
            return False
        v.insert(at, h)
        if len(v) > KMV_K:
            v.pop()
        return True

    @staticmethod
    def count(*sketches: KMV) -> int:
        if len(sketches) == 1:
            merged = sketches[0].values  # already sorted, unique, at most k
        else:
            merged = sorted(set().union(*(s.values for s in sketches)))[:KMV_K]
        if len(merged) < KMV_K:
            return len(merged)
        return int((KMV_K - 1) / (merged[-1] / _MAX_HASH))


@dataclass(slots=True)
class CohortState:
    """The memory store's state of one cohort (Redis keeps the same in a hash + HLLs)."""

    day: int = -1
    accounts_cur: KMV = field(default_factory=KMV)
    accounts_prev: KMV = field(default_factory=KMV)
    young_cur: KMV = field(default_factory=KMV)
    young_prev: KMV = field(default_factory=KMV)
    requests: float = 0.0
    elicit: float = 0.0
    focus: float = 0.0
    single: float = 0.0
    extract: float = 0.0
    ts: float | None = None
    tokens: float | None = None
    tokens_ts: float | None = None
    seen: float = 0.0
    accounts_n: int = 0  # cached distinct counts, recomputed only when a sketch changes
    young_n: int = 0


def harvest(requests: float, elicit: float, focus: float, single: float, extract: float) -> float:
    """How much a cohort's traffic looks like harvesting (0..1): elicitation and focus weigh
    most; single-turn and extraction parameters complete the picture."""
    if requests <= 0:
        return 0.0
    total = HARVEST_ELICIT + HARVEST_FOCUS + HARVEST_SINGLE + HARVEST_EXTRACT
    return (
        HARVEST_ELICIT * elicit
        + HARVEST_FOCUS * focus
        + HARVEST_SINGLE * single
        + HARVEST_EXTRACT * extract
    ) / (total * requests)


def campaign_score(
    accounts: int, young: int, harvest_: float, m: CohortModel, key: str = ""
) -> float:
    """A cohort's campaign score (0: none); ``key`` picks the thresholds of its kind (a
    wrapper part's ``p:`` has its own, see ``CohortModel``)."""
    part = key.startswith(PART)
    least, full = (m.part_min_young, m.part_full_young) if part else (m.min_young, m.full_young)
    if young < least or accounts <= 0:
        return 0.0
    share = young / max(accounts, young)
    if share < m.min_young_share or harvest_ < (m.part_min_harvest if part else m.min_harvest):
        return 0.0
    scale = min(1.0, young / full)
    return m.weight * scale * share * harvest_


def decay(value: float, ts: float | None, now: float, half_life: float) -> float:
    if ts is None or value <= 0:
        return 0.0
    return value * 0.5 ** (max(0.0, now - ts) / half_life)


def fold_counts(
    state: CohortState,
    account: str,
    young: bool,
    traits: int,
    now: float,
    m: CohortModel,
    key: str = "",
) -> tuple[int, int, float, float]:
    """Fold one request into a cohort's counts: (distinct accounts, distinct young
    accounts, harvest, campaign score) after it. The counting half of ``update_cohort``,
    and all the intelligence plane's analyzer does per record (intel/analyzer.py)."""
    day = int(now // 86_400)
    rolled = day != state.day
    if rolled:
        if day == state.day + 1:
            state.accounts_prev, state.young_prev = state.accounts_cur, state.young_cur
        else:
            state.accounts_prev, state.young_prev = KMV(), KMV()
        state.accounts_cur, state.young_cur, state.day = KMV(), KMV(), day
    h = account_hash(account)
    # the larger of today's and yesterday's counts (as cohort.lua: cheap in Redis, and a
    # lower bound of the two-day union that keeps a campaign visible across midnight)
    if state.accounts_cur.add(h) or rolled:
        state.accounts_n = max(KMV.count(state.accounts_cur), KMV.count(state.accounts_prev))
    if (young and state.young_cur.add(h)) or rolled:
        state.young_n = max(KMV.count(state.young_cur), KMV.count(state.young_prev))
    _fold_request(state, traits, now, m.half_life)
    state.seen = now
    accounts, young_n = state.accounts_n, state.young_n
    h_ = harvest(state.requests, state.elicit, state.focus, state.single, state.extract)
    return accounts, young_n, h_, campaign_score(accounts, young_n, h_, m, key)


def _fold_request(s: CohortState | PartMarker, traits: int, now: float, half_life: float) -> None:
    """One request into the decayed sums a cohort state and an admission marker both keep
    (fold.lua does the same for a run of records)."""
    d = 0.5 ** (max(0.0, now - s.ts) / half_life) if s.ts is not None else 0.0
    s.requests = s.requests * d + 1
    s.elicit = s.elicit * d + (1 if traits & ELICIT else 0)
    s.focus = s.focus * d + (1 if traits & FOCUS else 0)
    s.single = s.single * d + (1 if traits & SINGLE else 0)
    s.extract = s.extract * d + (1 if traits & EXTRACT else 0)
    s.ts = now


@dataclass(slots=True)
class PartMarker:
    """A wrapper part seen by one account only (admission, ``CohortModel.part_marker_ttl``):
    all that a ``CohortState`` holding that one account would hold, without sketches. Redis
    keeps the same in one small string (fold.lua); never text, the account as its hash."""

    h: int  # account_hash of its one account
    day: int = -1
    prev: bool = False  # the account was also seen the day before ``day``
    young_cur: bool = False  # ... and young on ``day``
    young_prev: bool = False  # ... and young the day before
    requests: float = 0.0
    elicit: float = 0.0
    focus: float = 0.0
    single: float = 0.0
    extract: float = 0.0
    ts: float | None = None


def fold_marker(
    marker: PartMarker, young: bool, traits: int, now: float, m: CohortModel, key: str = ""
) -> tuple[int, int, float, float]:
    """``fold_counts`` for a record of the marker's own account: the same counts a full
    state would answer (one account, young or not, the same decayed sums)."""
    day = int(now // 86_400)
    if day != marker.day:
        seen_yesterday = day == marker.day + 1
        marker.prev = seen_yesterday
        marker.young_prev = seen_yesterday and marker.young_cur
        marker.young_cur, marker.day = False, day
    marker.young_cur = marker.young_cur or young
    _fold_request(marker, traits, now, m.half_life)
    young_n = 1 if marker.young_cur or marker.young_prev else 0
    h_ = harvest(marker.requests, marker.elicit, marker.focus, marker.single, marker.extract)
    return 1, young_n, h_, campaign_score(1, young_n, h_, m, key)


def promote(marker: PartMarker) -> CohortState:
    """The full state a marker stands for (its account in the sketches of its days)."""
    state = CohortState(day=marker.day, requests=marker.requests, elicit=marker.elicit,
                        focus=marker.focus, single=marker.single, extract=marker.extract,
                        ts=marker.ts, seen=marker.ts or 0.0)  # fmt: skip
    state.accounts_cur.add(marker.h)
    if marker.prev:
        state.accounts_prev.add(marker.h)
    if marker.young_cur:
        state.young_cur.add(marker.h)
    if marker.young_prev:
        state.young_prev.add(marker.h)
    state.accounts_n = 1
    state.young_n = 1 if marker.young_cur or marker.young_prev else 0
    return state


def charge_shared(
    state: CohortState, cost: float, now: float, m: CohortModel
) -> tuple[bool, float]:
    """Take ``cost`` from a flagged cohort's shared bucket: (allowed, retry_after)."""
    tokens = m.bucket_capacity
    if state.tokens is not None and state.tokens_ts is not None:
        elapsed = max(0.0, now - state.tokens_ts)
        tokens = min(m.bucket_capacity, state.tokens + elapsed * m.bucket_refill)
    cost = min(cost, m.bucket_capacity)
    if tokens >= cost:
        state.tokens, state.tokens_ts = tokens - cost, now
        return True, 0.0
    state.tokens, state.tokens_ts = tokens, now
    return False, (cost - tokens) / m.bucket_refill


def update_cohort(
    state: CohortState,
    key: str,
    account: str,
    young: bool,
    traits: int,
    cost: float,
    now: float,
    m: CohortModel,
) -> CohortView:
    """Fold one request into a cohort and answer whether its shared bucket has room."""
    accounts, young_n, h_, score = fold_counts(state, account, young, traits, now, m, key)
    allowed, wait = True, 0.0
    if score > 0:
        allowed, wait = charge_shared(state, cost, now, m)
    return CohortView(key, score, accounts, young_n, h_, allowed, wait)


def is_young(age_seconds: float | None, m: CohortModel) -> bool:
    return age_seconds is not None and age_seconds < m.young_days * 86_400


# How much a campaign in each kind of cohort says about one member. Sharing an exact
# prompt template is specific. An LSH band is looser (it is how paraphrased wrappers
# meet, and unrelated prompts on the same task sometimes meet there too), and sharing a
# /24 or an SDK's fingerprint is what thousands of unrelated people do: those count for
# less, and only in proportion to how harvest-shaped the member's own request is.
# A wrapper part (one sentence of a campaign's grammar) weighs 0.7, chosen on tuning seeds
# 1-2: 0.5 / 0.7 / 1.0 gave adaptive 32.6% / 24.8% / 17.2% and newbie impact 0.1% / 0.3% /
# 0.7% (benchmarks/results/zoo.md); 1.0 left too little room under the 1% bound.
KIND_WEIGHT = {"t": 1.0, "l": 0.8, "n": 0.5, "c": 0.15, "p": 0.7}
SPECIFIC = ("t",)
PART = "p:"  # a wrapper part's cohort key (request/parts.py)
LINKED_PARTS = 3  # flagged parts whose member scores add up on one request
WRAPPERS = ("t", "l")  # cohort kinds that name a wrapper exactly or nearly


def request_harvest(traits: int) -> float:
    return harvest(1.0, *(1.0 if traits & bit else 0.0 for bit in (ELICIT, FOCUS, SINGLE, EXTRACT)))


def member_score(view: CohortView, traits: int) -> float:
    """The campaign score one member's request carries from one of its cohorts."""
    if view.score <= 0:
        return 0.0
    kind = view.key[:1]
    weight = KIND_WEIGHT.get(kind, 0.3)
    if kind not in SPECIFIC:
        weight *= request_harvest(traits)
    return view.score * weight


def strongest(views: tuple[CohortView, ...], traits: int = 0) -> tuple[CohortView | None, float]:
    """``strongest_link`` without saying whether the parts decided."""
    best, score, _ = strongest_link(views, traits)
    return best, score


def strongest_link(
    views: tuple[CohortView, ...], traits: int = 0
) -> tuple[CohortView | None, float, bool]:
    """The cohort that weighs most on this request, its member score, and whether that
    score is the wrapper parts' (so the policy scales it as a part link). A request that
    shares several flagged wrapper parts is linked by all of them: the member scores of
    its ``LINKED_PARTS`` strongest parts add up. The campaign named is then its strongest
    part, unless a flagged template or band cohort is among its views: an exact wrapper
    names its campaign (what an operator allowlists), the parts only weigh."""
    best, best_score = None, 0.0
    part, part_score, parts = None, 0.0, []
    wrapper, wrapper_score = None, 0.0  # the strongest flagged template / band cohort
    for v in views:
        score = member_score(v, traits)
        if v.key.startswith(PART):
            parts.append(score)
            if part is None or score > part_score:
                part, part_score = v, score
        elif v.key[:1] in WRAPPERS and score > 0 and (wrapper is None or score > wrapper_score):
            wrapper, wrapper_score = v, score
        if best is None or score > best_score:
            best, best_score = v, score
    if len(parts) > 1:
        linked = sum(sorted(parts, reverse=True)[:LINKED_PARTS])
        if linked > best_score:
            return wrapper or part, linked, True
    return best, best_score, best is not None and best.key.startswith(PART)


def bucket_refusal(views: tuple[CohortView, ...]) -> CohortView | None:
    """The campaign whose shared bucket refused this request, if any. Only cohorts that
    share a prompt template (exactly or by LSH band) ration their members: thousands of
    unrelated people share a subnet or an SDK, and must not share a budget with a campaign."""
    for v in views:
        if not v.allowed and v.key[:1] in ("t", "l"):
            return v
    return None
