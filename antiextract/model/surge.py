"""The surge prior: a population-level test that says *that* a campaign runs, not *who*.

Links (cohorts, wrapper parts) need a campaign's accounts to share something; a campaign
that writes its own grammar and runs small shares little. What it cannot hide is that it
brings many *young* accounts whose requests are *harvest-shaped* (asks for reasoning +
coding/agentic + single-turn) at once. Per UTC hour the intelligence plane counts the
distinct young accounts that sent a harvest-shaped request (``y``) and the distinct
accounts active at all (``a``); the hour is a surge when ``y`` is well above what the
population's own trailing ``window_hours`` predict for that many active accounts.

The baseline is a share, not a count, so it does not move with the day's volume (a busy
hour has more of every kind of account):

    rate_h     = (prior_weight x prior_share + sum c_k) / (prior_weight + sum a_k)
                 over the earlier hours k of the window
    expected_h = rate_h x a_h
    threshold  = max(min_count, ratio x expected_h, expected_h + z x sqrt(expected_h))
    surge_h    = y_h >= threshold
    c_h        = min(y_h, threshold)

- The prior (``prior_share`` counted as ``prior_weight`` account-hours) is the baseline of
  a fresh deployment with no history, and keeps a deployment with little traffic from
  calling every young coder a surge; history takes over as account-hours accumulate.
- A surging hour enters the baseline clipped to its threshold (``c_h``): a campaign is not
  absorbed into "normal" by the hours it surges, yet a lasting honest change (a launch
  bringing many new coders) still raises the baseline, by at most a threshold an hour,
  and ends its surge.
- The window is computed forward from its oldest hour with the prior alone, so the result
  is a function of the window's counts only (both analysers, memory and Redis, compute it
  from the same counts and agree).

The request plane reads the published verdict (``intel/surge.py``) from its verdict cache;
what a live surge does to a decision is ``added``: the young (``min_youth``) members whose
own request is harvest-shaped get ``weight x youth``. Honest new sign-ups who ask "explain
step by step" on coding are young and harvest-shaped too: their own level (a few such
requests among many) stays far enough under the degrade threshold that ``weight`` alone
does not carry them over (tuned on the zoo's tuning seeds: benchmarks/results/zoo.md,
"Surge prior"); a campaign's accounts, whose every request is harvest-shaped, sit just
under it.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

from .risk import ELICIT, FOCUS, PRIOR, SINGLE, check_range

HOUR = 3_600
HARVEST_SHAPE = ELICIT | FOCUS | SINGLE
MEMBER_SHAPE = ELICIT | FOCUS
MAX_WINDOW = 24 * 14  # hours of history a judgement reads (Redis keeps one sketch pair each)


@dataclass(frozen=True, slots=True)
class SurgeModel:
    """Every field is a key of ``ANTIEXTRACT_SURGE_MODEL`` (JSON overrides)."""

    prior_share: float = 0.05  # young harvest-shaped accounts per active account, no history
    prior_weight: float = 2_000.0  # account-hours the prior counts as
    window_hours: int = 72  # trailing hours of the baseline
    min_count: int = 5  # young harvest-shaped accounts in an hour before it can surge
    ratio: float = 2.0  # times the expected count at least
    z: float = 3.0  # Poisson standard deviations above the expected count at least
    weight: float = 2.0  # risk added to a young member's harvest-shaped request in a surge
    min_youth: float = 0.5  # youth (risk.youth) from which an account counts as a member
    off: bool = False  # no surge verdict weighs on any decision (settings: {"off": true})

    def __post_init__(self) -> None:
        check_range("prior_share", self.prior_share, 0, 1, above=True, why="a share")
        check_range("prior_weight", self.prior_weight, 0, 1e9, above=True, why="a divisor")
        check_range("window_hours", self.window_hours, 1, MAX_WINDOW, why="hours of history")
        check_range("min_count", self.min_count, 1, 1e6, why="a surge needs accounts")
        check_range("ratio", self.ratio, 1, 1e6, above=True, why="above the baseline")
        check_range("z", self.z, 0, 100)
        check_range("weight", self.weight, 0, 100)
        check_range("min_youth", self.min_youth, 0, 1, above=True, why="a youth")
        for name in ("window_hours", "min_count"):  # JSON settings arrive as floats
            value = getattr(self, name)
            if float(value) != int(value):
                raise ValueError(f"{name} must be a whole number, got {value!r}")
            object.__setattr__(self, name, int(value))


@dataclass(frozen=True, slots=True)
class SurgeState:
    """The latest surging hour of a window: what surged, since when, against what."""

    hour: int  # the UTC hour (t // HOUR) that surged last
    young_harvest: int  # distinct young harvest-shaped accounts in it
    accounts: int  # distinct accounts active in it
    expected: float  # the baseline's expected young harvest-shaped accounts for it
    since: int  # the first hour of the run of consecutive surging hours ending at ``hour``


def threshold(expected: float, m: SurgeModel) -> float:
    return max(float(m.min_count), m.ratio * expected, expected + m.z * math.sqrt(expected))


def judge(counts: Mapping[int, tuple[int, int]], hour: int, m: SurgeModel) -> SurgeState | None:
    """The surge at ``hour`` (the current hour, counted so far) or at the hour before it,
    from ``counts`` (hour -> (young harvest-shaped accounts, active accounts)); None when
    neither surges. Hours of the window with no entry had no traffic."""
    first = hour - m.window_hours
    base_y = m.prior_weight * m.prior_share
    base_a = m.prior_weight
    run_from: int | None = None
    last: SurgeState | None = None
    for h in range(first, hour + 1):
        y, a = counts.get(h, (0, 0))
        expected = base_y / base_a * a
        bound = threshold(expected, m)
        if y >= bound:
            run_from = h if run_from is None else run_from
            last = SurgeState(h, y, a, expected, run_from)
            y_in = bound
        else:
            run_from = None
            y_in = y
        base_y += y_in
        base_a += a
    return last if last is not None and last.hour >= hour - 1 else None


def expires(s: SurgeState) -> float:
    """A surge verdict lives to the end of the hour after the one that surged: the next
    hour, counted from nothing, needs time to reach its own threshold."""
    return float((s.hour + 2) * HOUR)


def added(m: SurgeModel, youth: float, traits: int, own: float = 1.0) -> float:
    """What a live surge adds to one request's risk: ``weight x youth x shape`` for a young
    account's request that asks for reasoning on a coding task, nothing for anything else.
    ``own``: the smaller of the account's decayed reasoning and coding shares (``risk.py``);
    ``shape`` is how far it has moved from a new account's prior (``risk.PRIOR``) towards
    1, so a new coder's "explain step by step" among other requests weighs little (its
    shares stay near or under the prior), an account whose every request is one weighs
    more with each (a quarter after its first, about half after its third)."""
    if m.off or youth < m.min_youth or traits & MEMBER_SHAPE != MEMBER_SHAPE:
        return 0.0
    shape = min(1.0, max(0.0, (own - PRIOR) / (1.0 - PRIOR)))
    return m.weight * youth * shape
