"""Per-account evidence that accumulates per kind of behaviour, counted per UTC day.

Per-account risk (``risk.py``) is a *level*: an account whose every request is a
single-turn coding task asking for full reasoning tops out near ``youth x 3.25``, under
the degrade threshold, however many days it keeps harvesting, and benign requests
interleaved between harvests pull every share back (the zoo measured both on held-out
seeds: benchmarks/results/zoo.md, "Where per-account risk saturates"). Evidence is a
sequential test instead (Wald's SPRT; Threshold Random Walk for scanners): each request
adds, per *kind* of behaviour, the log-likelihood ratio of what it shows under harvest
against honest use, with three bounds that make it a test on *days*, not on volume:

- per kind and per UTC day, positive evidence counts at most one observation's worth
  (its likelihood ratio) and at most ``cap_pos``: an agent loop, a batch job or a weak
  kind shown on every request cannot climb within a day; persistence across days does;
- per kind and per day, negative evidence counts at most ``cap_neg``, and a kind's total
  never goes below ``-floor``: benign requests interleaved between harvests wash out at
  most ``cap_neg`` per kind a day, and an account cannot bank credit for later;
- every total decays with ``half_life``, so old evidence fades (the whole sum decays by
  one factor, which is why a published score can be aged without its state).

The kinds are what the request plane already reads and records (``intel.records``):
*harvest shape* (asks for reasoning + coding/agentic + single-turn), *extraction-grade
parameters*, *network churn* (a subnet the account has not used among its last
``networks``), and *reason* (asks for full reasoning on coding/agentic work inside a
conversation: the harvest shape without single-turn, observed on multi-turn requests only,
so a request counts in one of harvest and reason, never both). The reason kind is there
because a harvester that fabricates earlier turns (the zoo's *mimic*, an IDE client's
disguise) never shows the harvest shape, while honest users of the same client ask for
full reasoning on ~1% of their requests: its negative evidence per day is capped as high
as its positive (``reason_cap_neg``), so one such request a day among an IDE user's others
nets nothing, and a multi-turn request showing the reason kind is not counted against the
harvest kind (it is not "not single-turn, so honest"). The likelihood ratios are
estimated on the zoo's tuning seeds only::

    python -m benchmarks.zoo.evidence --tuning-only     # tuning seeds 1 2, 4 days, scale 0.5

and the flag bound is ``ln(1/alpha)``. The ladder reads ``risk_added``: nothing until the
score passes ``offset``, then ``scale`` per unit, so an account at the flag bound gets
about the degrade threshold added to its level.

The intelligence plane folds every record into its account's state (``intel/
evidence_fold.py``; ``evidence.lua`` transcribes ``observe`` for Redis) and publishes the
score of the accounts past ``offset``; the request plane never runs this.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from .risk import DAY, ELICIT, EXTRACT, FOCUS, MAX_WEIGHT, SINGLE, check_range

KINDS = ("harvest", "extract", "churn", "reason")
HARVEST_SHAPE = ELICIT | FOCUS | SINGLE
REASON_SHAPE = ELICIT | FOCUS  # the reason kind: the harvest shape in a conversation
UNSEEN = -1  # a kind not observable on this request (churn on an account's first request)
MAX_NETWORKS = 64


@dataclass(frozen=True, slots=True)
class EvidenceModel:
    """Every field is a key of ``ANTIEXTRACT_EVIDENCE_MODEL`` (JSON overrides).

    The likelihood ratios (``<kind>`` when shown, ``<kind>_not`` when not) are
    ln P(x | harvest) / P(x | honest), estimated on tuning seeds 1-2 of the zoo by the
    command in the module docstring (Laplace-smoothed shares of harvest requests of the
    attack families against requests of the honest populations)."""

    harvest: float = 5.02  # refit when the reason kind took multi-turn harvest shapes
    harvest_not: float = -1.24
    extract: float = 0.24
    extract_not: float = -0.15
    churn: float = 1.78
    churn_not: float = -0.36
    reason: float = 3.24
    reason_not: float = -8.68  # honest multi-turn requests rarely show it; capped per day
    reason_cap_pos: float = 2.5  # the reason kind's own caps per UTC day (see the module)
    reason_cap_neg: float = 2.5
    cap_pos: float = 2.0  # positive evidence per kind per UTC day
    cap_neg: float = 1.0  # negative evidence per kind per UTC day
    floor: float = 2.0  # a kind's total never goes below -floor
    half_life: float = 7 * DAY
    alpha: float = 5e-3  # flag bound ln(1/alpha) = 5.30; honest peak p99 on tuning seeds 4.6
    offset: float = 2.65  # score below which the ladder reads nothing (half the flag bound)
    scale: float = 1.15  # risk per unit past offset: the flag bound adds 3.05 (degrade_at 3)
    networks: int = 32  # subnets remembered per account (churn: one not among them); on
    # tuning seeds 8 remembered gave churn +1.69 and flagged 54% of paraphrasers, 16: +1.76 and
    # 58%, 32: +1.78 and 61% as an unbounded memory does
    ttl: int = 30 * 86_400  # an idle account's state is forgotten after this (4+ half-lives)
    off: bool = False  # evidence adds nothing to risk (settings: {"off": true}, logged)

    def __post_init__(self) -> None:
        for kind in KINDS:
            check_range(
                kind, getattr(self, kind), 0, MAX_WEIGHT, why="a kind shown is evidence for"
            )
            check_range(
                f"{kind}_not", getattr(self, f"{kind}_not"), -MAX_WEIGHT, 0,
                why="a kind not shown is evidence against",
            )  # fmt: skip
        for name in ("cap_pos", "cap_neg", "floor", "offset", "reason_cap_pos", "reason_cap_neg"):
            check_range(name, getattr(self, name), 0, MAX_WEIGHT)
        check_range("scale", self.scale, 0, MAX_WEIGHT)
        check_range("half_life", self.half_life, 0, above=True, why="a divisor")
        check_range("alpha", self.alpha, 0, 1, above=True, why="a false-alarm probability")
        if self.alpha >= 1:
            raise ValueError(f"alpha must be < 1 (a false-alarm probability), got {self.alpha!r}")
        if self.networks != int(self.networks) or not 1 <= self.networks <= MAX_NETWORKS:
            raise ValueError(
                f"networks must be a whole number 1-{MAX_NETWORKS}, got {self.networks!r}"
            )
        if self.ttl != int(self.ttl) or self.ttl < DAY:
            raise ValueError(f"ttl must be a whole number of seconds >= 86400, got {self.ttl!r}")
        if self.off not in (True, False):  # JSON true arrives as 1.0 through the settings
            raise ValueError(f"off must be true or false, got {self.off!r}")
        object.__setattr__(self, "off", bool(self.off))
        object.__setattr__(self, "networks", int(self.networks))
        object.__setattr__(self, "ttl", int(self.ttl))

    @property
    def threshold(self) -> float:
        """The flag bound: Wald's bound on the false-alarm probability of one test."""
        return math.log(1 / self.alpha)

    def ratios(self, kind: int) -> tuple[float, float]:
        """(shown, not shown) of kind number ``kind``."""
        name = KINDS[kind]
        return getattr(self, name), getattr(self, f"{name}_not")

    def caps(self, kind: int) -> tuple[float, float]:
        """(positive, negative) evidence kind number ``kind`` counts at most per UTC day."""
        if KINDS[kind] == "reason":
            return self.reason_cap_pos, self.reason_cap_neg
        return self.cap_pos, self.cap_neg


@dataclass(slots=True)
class Evidence:
    """One account's state: a total per kind, today's positive and negative evidence per
    kind, the time of its last observation and its last few subnets (as hashes)."""

    t: float = -1.0  # last observation (-1: none yet)
    day: int = -1  # UTC day of today's counters
    totals: list[float] = field(default_factory=lambda: [0.0] * len(KINDS))
    pos: list[float] = field(default_factory=lambda: [0.0] * len(KINDS))
    neg: list[float] = field(default_factory=lambda: [0.0] * len(KINDS))
    nets: list[int] = field(default_factory=list)  # most recent first


def kinds_shown(traits: int, net: int | None, e: Evidence, m: EvidenceModel) -> tuple[int, ...]:
    """What one request shows of each kind (1 shown, 0 not, ``UNSEEN``), given its trait
    bits (``risk.ELICIT`` ...) and its subnet's hash (None: no subnet, e.g. allowlisted).
    Remembers the subnet: call once per request, before ``observe``."""
    harvest = int(traits & HARVEST_SHAPE == HARVEST_SHAPE)
    extract = int(bool(traits & EXTRACT))
    if traits & SINGLE:  # single-turn: the harvest kind reads it, the reason kind cannot
        reason = UNSEEN
    elif traits & REASON_SHAPE == REASON_SHAPE:  # the harvest shape in a conversation:
        reason, harvest = 1, UNSEEN  # not evidence against harvest, the reason kind's own
    else:
        reason = 0
    if net is None:
        return harvest, extract, UNSEEN, reason
    nets = e.nets
    churn = UNSEEN if not nets else int(net not in nets)
    if net in nets:
        nets.remove(net)
    nets.insert(0, net)
    del nets[m.networks :]
    return harvest, extract, churn, reason


def observe(e: Evidence, t: float, shown: tuple[int, ...], m: EvidenceModel) -> None:
    """Fold one request at ``t`` into ``e``. A record older than the last one (records of
    several replicas arrive a little out of order) decays nothing and counts in the
    current day."""
    if e.t >= 0:
        d = 0.5 ** (max(0.0, t - e.t) / m.half_life)
        e.totals = [v * d for v in e.totals]
    e.t = max(e.t, t)
    day = math.floor(t / DAY)
    if day > e.day:
        e.day = day
        e.pos = [0.0] * len(KINDS)
        e.neg = [0.0] * len(KINDS)
    for k, v in enumerate(shown):
        if v < 0:
            continue
        yes, no = m.ratios(k)
        cap_pos, cap_neg = m.caps(k)
        if v:  # a day counts at most one observation's worth, and at most cap_pos
            x = max(0.0, min(yes, min(cap_pos, yes) - e.pos[k]))
            e.pos[k] += x
        else:
            x = min(0.0, max(no, -cap_neg - e.neg[k]))
            e.neg[k] += x
        e.totals[k] = max(-m.floor, e.totals[k] + x)


def score_of(total: float, t: float, now: float, m: EvidenceModel) -> float:
    """A score reached at ``t``, aged to ``now`` (every total decays by the same factor)."""
    return total * 0.5 ** (max(0.0, now - t) / m.half_life)


def score(e: Evidence, now: float, m: EvidenceModel) -> float:
    """The account's evidence at ``now``: the sum of its kinds' totals, decayed."""
    return 0.0 if e.t < 0 else score_of(sum(e.totals), e.t, now, m)


def risk_added(evidence: float, m: EvidenceModel) -> float:
    """What the evidence adds to the account's risk level on the ladder."""
    if m.off:
        return 0.0
    return max(0.0, evidence - m.offset) * m.scale


def relevant_until(total: float, t: float, m: EvidenceModel) -> float:
    """When a score ``total`` reached at ``t`` decays to ``offset`` (it adds nothing to
    risk from then on), at most ``ttl`` after ``t``; ``t`` when it never mattered."""
    if m.off or total <= m.offset:
        return t
    if m.offset <= 0:
        return t + m.ttl
    return t + min(float(m.ttl), m.half_life * math.log2(total / m.offset))


def reasons(totals: tuple[float, ...] | list[float]) -> tuple[str, ...]:
    """The kinds that weigh for harvest, heaviest first ("evidence:harvest", ...)."""
    order = sorted((-v, k) for k, v in enumerate(totals) if v > 0)
    return tuple(f"evidence:{KINDS[k]}" for _, k in order)
