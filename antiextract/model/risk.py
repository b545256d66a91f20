"""Per-account memory and risk, as pure functions on a small numeric profile.

A distillation account looks ordinary request by request (~26 a day). What gives it away
is its *profile*: a young account whose traffic is almost all single-turn, templated,
reasoning-eliciting, capability-focused, machine-paced and spread over every hour of the
day. So each request updates exponentially weighted shares of those traits, and risk is

    risk = youth x tier x  sum(weight_i x trait_i)       (the profile: a level, not a sum)
         + acute                                          (a decaying level)

Both parts decay exponentially with time: idle time pulls the trait shares back towards
their prior (half-life ``profile_half_life``, 7 days) and the acute level towards zero
(``acute_half_life``, 1 hour).

- trait shares start at ``PRIOR`` (0.25) worth ``PRIOR_WEIGHT`` requests and move as a
  running mean until that is slower than ``alpha``, then by ``alpha`` per request, so a
  single request proves little (a new person's first "think step by step" moves a share
  to 0.44) while thirty eliciting requests in a row take it to ~0.98;
- ``youth`` falls from 1 for a new account towards ``YOUTH_FLOOR`` with age (half at
  ``youth_days``), because real campaigns run on fresh accounts, and never to 0, because
  aged accounts can be bought; ``tier`` comes from a trusted auth header (verified,
  enterprise);
- ``acute`` is a level, not a sum: a per-request moving average (``acute_alpha``) of the
  weight of extraction-grade parameters (logprobs, logit_bias, n>1, ...) scaled by youth,
  which also fades with time (``acute_half_life``). A level does not grow with volume, so
  an enterprise classifier sending logprobs thousands of times a day stays where its
  habit puts it, while a logit-bias sweep (+``sweep_weight`` per repeated prompt) or an
  account that probes on most requests stands out.

``store/evaluate.lua`` transcribes ``update_profile`` and ``assess``; the shared store
suite holds both stores to the same numbers on drawn models (tests/drawn.py).
"""

from __future__ import annotations

import math
from dataclasses import dataclass

# Request trait bits (computed by signals.py, stored as shares).
ELICIT = 1  # asks for reasoning / chain of thought
FOCUS = 2  # software-engineering or agentic task
SINGLE = 4  # no earlier assistant turn in the conversation
EXTRACT = 8  # extraction-grade parameters (logprobs, logit_bias, n>1, ...)
LOGIT_BIAS = 16  # logit_bias present (a sweep repeats one prompt with changing biases)

YOUTH_FLOOR = 0.25
PRIOR = 0.25  # a new account's trait shares before any evidence
PRIOR_WEIGHT = 3  # ... worth this many requests
DAY = 86_400.0
HOUR = 3_600.0
PACING_MIN_GAPS = 5  # inter-arrivals seen before pacing is judged
PACING_CV = 0.5  # coefficient of variation of the gaps at which pacing scores 0
HOURS_FROM = 12  # distinct active UTC hours (two days) up to which the hours score is 0
HOURS_SPAN = 10  # ... and how many more make it 1
TAKEOVER = 0.2  # dominant-template share below which a request's template takes over
# store/evaluate.lua is given every constant above as a Lua constant of the same name
# (RedisStore): the numbers live here only.

# Order matters: it is the order of the shares in the Lua script's ARGV and replies.
TRAITS = ("elicit", "focus", "single", "template", "extract", "pacing", "hours")

# The model values are checked where they are defined (``__post_init__``), so a model
# built from Settings, by a store in code or written into the Lua scripts is refused at
# start-up instead of failing every decision. A weight or level beyond MAX_WEIGHT (a
# hundred times the highest default threshold) can only be a typo, and bounding them
# keeps every risk, refill factor and wait a finite number.
MAX_WEIGHT = 1_000.0
# Below this the refill factor of any account past ``slow_above`` is practically 0: its
# bucket would never refill, and its wait would overflow to infinity.
MIN_SLOW_SCALE = 0.01


def check_range(
    name: str, value: float, low: float, high: float = math.inf, *, above: bool = False,
    why: str = "",
) -> None:  # fmt: skip
    """``ValueError`` naming ``name`` unless ``value`` is finite and within the bounds
    (``low < value`` when ``above``, else ``low <= value``; ``value <= high``)."""
    if math.isfinite(value) and (value > low if above else value >= low) and value <= high:
        return
    bounds = f"> {low:g}" if above else f">= {low:g}"
    if high != math.inf:
        bounds += f" and <= {high:g}"
    reason = f" ({why})" if why else ""
    raise ValueError(f"{name} must be a finite number {bounds}{reason}, got {value!r}")


@dataclass(frozen=True, slots=True)
class RiskModel:
    """Weights and rates; every field is an ``ANTIEXTRACT_RISK_*`` setting."""

    w_elicit: float = 1.5
    w_focus: float = 1.0
    w_single: float = 0.75
    w_template: float = 1.0
    w_extract: float = 1.0
    w_pacing: float = 0.75
    w_hours: float = 0.5
    alpha: float = 0.1  # share update per request
    youth_days: float = 7.0  # account age at which youth = 0.5
    acute_alpha: float = 0.2  # acute level update per request
    profile_half_life: float = 7 * 86_400.0  # idle time that halves what the shares learnt
    acute_half_life: float = 3_600.0  # seconds
    acute_cap: float = 12.0
    sweep_weight: float = 4.0  # logit_bias on a repeated template: the logit-extraction attack
    slow_above: float = 2.0  # risk above which the bucket refills more slowly
    slow_scale: float = 2.0  # refill is divided by 1 + (risk - slow_above) / slow_scale

    def __post_init__(self) -> None:
        for name in (*(f"w_{t}" for t in TRAITS), "sweep_weight"):
            check_range(name, getattr(self, name), 0, MAX_WEIGHT)
        # 0 would switch the whole acute level off (every request's signals, the sweep)
        check_range("acute_cap", self.acute_cap, 0, MAX_WEIGHT, above=True,
                    why="0 switches the acute level off")  # fmt: skip
        for name in ("alpha", "acute_alpha"):
            check_range(name, getattr(self, name), 0, 1, above=True, why="a moving average's step")
        for name in ("youth_days", "profile_half_life", "acute_half_life"):
            check_range(name, getattr(self, name), 0, above=True, why="a divisor")
        check_range("slow_above", self.slow_above, 0)
        check_range(
            "slow_scale",
            self.slow_scale,
            MIN_SLOW_SCALE,
            why="below it a risky bucket never refills",
        )

    @property
    def weights(self) -> tuple[float, ...]:
        return (
            self.w_elicit,
            self.w_focus,
            self.w_single,
            self.w_template,
            self.w_extract,
            self.w_pacing,
            self.w_hours,
        )


@dataclass(slots=True)
class Profile:
    """What the store keeps per account for risk (all numbers, cheap to store)."""

    first_seen: float | None = None
    last_seen: float | None = None
    gap_mean: float = 0.0  # EWMA of inter-arrival seconds
    gap_var: float = 0.0  # EWMA of its squared deviation
    gaps: int = 0  # inter-arrivals seen (pacing is judged only after a few)
    elicit: float = 0.0
    focus: float = 0.0
    single: float = 0.0
    template: float = 0.0  # share of requests on the account's dominant template
    extract: float = 0.0
    dominant: str = ""  # skeleton of the dominant template
    last_skeleton: str = ""
    hours_day: int = -1  # day index of ``hours_cur``
    hours_cur: int = 0  # bitmask of UTC hours active today
    hours_prev: int = 0  # ... and the day before
    day_count: int = 0  # requests today (volume per day)
    acute: float = 0.0
    acute_ts: float | None = None
    # What the auth layer said last (per request, trusted): kept so that the account's age
    # and tier are known between requests (``antiextract inspect``), and a request without
    # the header still counts the age from the account's trusted creation time.
    created: float | None = None
    tier: float = 1.0


@dataclass(frozen=True, slots=True)
class RiskInput:
    """What one request contributes, from the stateless signals and the auth layer."""

    traits: int = 0  # bits above
    acute: float = 0.0  # summed weight of extraction-grade parameters
    skeleton: str = ""  # template fingerprint
    created_at: float | None = None  # trusted account creation time, when known
    tier: float = 1.0  # trusted tier factor (verified / enterprise < 1)


@dataclass(frozen=True, slots=True)
class Assessment:
    risk: float
    youth: float
    shares: tuple[float, ...]  # in TRAITS order, pacing/hours as 0..1 scores
    acute: float
    age: float  # seconds since first seen (or trusted creation)
    day_count: int


def youth(age_seconds: float, model: RiskModel) -> float:
    return max(YOUTH_FLOOR, 1.0 / (1.0 + max(0.0, age_seconds) / (model.youth_days * DAY)))


def pacing_score(p: Profile) -> float:
    """1 for metronome pacing, 0 for human burstiness (coefficient of variation >= 0.5)."""
    if p.gaps < PACING_MIN_GAPS or p.gap_mean <= 0:
        return 0.0
    cv = math.sqrt(max(p.gap_var, 0.0)) / p.gap_mean
    return min(1.0, max(0.0, (PACING_CV - cv) / PACING_CV))


def hours_score(p: Profile) -> float:
    """0 up to 12 distinct active UTC hours in the last two days, 1 at 22 or more."""
    active = (p.hours_cur | p.hours_prev).bit_count()
    return min(1.0, max(0.0, (active - HOURS_FROM) / HOURS_SPAN))


def update_profile(p: Profile, r: RiskInput, now: float, m: RiskModel) -> None:
    """Fold one request into the profile (in place).

    Trait shares start at ``PRIOR`` worth ``PRIOR_WEIGHT`` requests and are a running mean
    until that mean moves slower than ``alpha``; from then on an EWMA. So a new account's
    few requests count at their true weight (a low-and-slow account sending five
    templated, reasoning-eliciting requests a day shows it on day one), while a single
    request still moves a share by at most a quarter."""
    a = m.alpha
    seen_before = p.gaps + 1 if p.last_seen is not None else 0
    if p.first_seen is None:
        p.first_seen = now
        p.elicit = p.focus = p.single = p.extract = PRIOR
    if p.last_seen is not None and now > p.last_seen:
        # Old evidence fades: idle time pulls the shares back towards the prior.
        d = 0.5 ** ((now - p.last_seen) / m.profile_half_life)
        p.elicit = PRIOR + (p.elicit - PRIOR) * d
        p.focus = PRIOR + (p.focus - PRIOR) * d
        p.single = PRIOR + (p.single - PRIOR) * d
        p.extract = PRIOR + (p.extract - PRIOR) * d
        p.template *= d
    if p.last_seen is not None:
        gap = max(0.0, now - p.last_seen)
        if p.gaps == 0:
            p.gap_mean, p.gap_var = gap, 0.0
        else:
            dev = gap - p.gap_mean
            p.gap_mean += a * dev
            p.gap_var = (1 - a) * (p.gap_var + a * dev * dev)
        p.gaps += 1
    p.last_seen = now
    t = r.traits
    w = max(a, 1.0 / (seen_before + PRIOR_WEIGHT + 1))
    p.elicit += w * ((1.0 if t & ELICIT else 0.0) - p.elicit)
    p.focus += w * ((1.0 if t & FOCUS else 0.0) - p.focus)
    p.single += w * ((1.0 if t & SINGLE else 0.0) - p.single)
    p.extract += w * ((1.0 if t & EXTRACT else 0.0) - p.extract)
    if r.skeleton and r.skeleton == p.dominant:
        p.template += a * (1.0 - p.template)
    else:
        p.template -= a * p.template
        if p.template < TAKEOVER:  # a one-counter heavy-hitter: the newcomer takes over
            p.dominant = r.skeleton
    day = int(now // DAY)
    hour_bit = 1 << int((now % DAY) // HOUR)
    if day != p.hours_day:
        p.hours_prev = p.hours_cur if day == p.hours_day + 1 else 0
        p.hours_cur, p.hours_day, p.day_count = 0, day, 0
    p.hours_cur |= hour_bit
    p.day_count += 1
    if r.created_at is not None:
        p.created = r.created_at
    p.tier = r.tier
    first = born(p, r)
    age = now - (first if first is not None else now)
    y = youth(age, m) * r.tier
    add = r.acute * y
    if t & LOGIT_BIAS and r.skeleton and r.skeleton == p.last_skeleton:
        add += m.sweep_weight
    p.last_skeleton = r.skeleton
    level = decayed(p.acute, p.acute_ts, now, m)
    p.acute = min(level + m.acute_alpha * (add - level), m.acute_cap)
    p.acute_ts = now


def born(p: Profile, r: RiskInput) -> float | None:
    """Where the account's age counts from: this request's trusted creation time, else the
    last one the auth layer sent, else when the account was first seen."""
    if r.created_at is not None:
        return r.created_at
    return p.created if p.created is not None else p.first_seen


def decayed(value: float, ts: float | None, now: float, m: RiskModel) -> float:
    if ts is None or value <= 0:
        return 0.0
    return value * 0.5 ** (max(0.0, now - ts) / m.acute_half_life)


def assess(p: Profile, r: RiskInput, now: float, m: RiskModel) -> Assessment:
    """Risk of an (already updated) profile at ``now``."""
    first = born(p, r)
    age = max(0.0, now - first) if first is not None else 0.0
    y = youth(age, m) * r.tier
    shares = (p.elicit, p.focus, p.single, p.template, p.extract, pacing_score(p), hours_score(p))
    profile = y * sum(w * s for w, s in zip(m.weights, shares, strict=True))
    acute = decayed(p.acute, p.acute_ts, now, m)
    return Assessment(profile + acute, y, shares, acute, age, p.day_count)


def refill_factor(risk: float, m: RiskModel) -> float:
    """Risk-adaptive budget: the bucket refills more slowly for risky accounts."""
    if risk <= m.slow_above:
        return 1.0
    return 1.0 / (1.0 + (risk - m.slow_above) / m.slow_scale)


def reasons(a: Assessment, m: RiskModel, top: int = 3) -> tuple[str, ...]:
    """The largest contributions to an assessment, e.g. ``elicit=1.31``."""
    parts = [
        (a.youth * w * s, name) for w, s, name in zip(m.weights, a.shares, TRAITS, strict=True)
    ]
    parts.append((a.acute, "acute"))
    parts.sort(reverse=True)
    return tuple(f"{name}={value:.2f}" for value, name in parts[:top] if value >= 0.05)
