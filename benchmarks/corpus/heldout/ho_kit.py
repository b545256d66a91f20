"""Assembly helpers every source uses: records, sentence order, typographic texture.

Only mechanics live here; no wording. A source decides what its sentences say, this module
decides nothing but where they go and how the whitespace looks.
"""

from __future__ import annotations

import random

NBSP = "\u00a0"
ZWSP = "\u200b"


def rec(
    source: str,
    lang: str,
    population: str,
    elicit: bool,
    focus: bool,
    messages: list[dict],
    *,
    demand_at: str = "none",
    trap: str | None = None,
    borderline: bool = False,
) -> dict:
    """One labelled request. `demand_at` says where the reasoning demand sits (or 'none')."""
    assert demand_at in {"none", "system", "start", "middle", "end", "followup"}, demand_at
    assert elicit == (demand_at != "none"), (source, elicit, demand_at)
    return {
        "source": source,
        "lang": lang,
        "population": population,
        "elicit": elicit,
        "focus": focus,
        "demand_at": demand_at,
        "trap": trap,
        "borderline": borderline,
        "messages": messages,
    }


def msgs(user: str, system: str | None = None) -> list[dict]:
    out = []
    if system:
        out.append({"role": "system", "content": system})
    out.append({"role": "user", "content": user})
    return out


def place(
    rng: random.Random,
    core: list[str],
    extras: list[str],
    demand: str | None,
    pos: str,
    joiner: str = "\n\n",
) -> tuple[str, str]:
    """Join a task with its loose sentences and (optionally) a reasoning demand.

    `core` keeps its order (task sentence, then what it pastes); each extra lands before or
    after it at random, shuffled. The demand goes first, last or inside the core (between
    the task sentence and its paste) as `pos` asks; the returned position is where it ended
    up, which is what the label records.
    """
    extras = list(extras)
    rng.shuffle(extras)
    before = [e for e in extras if rng.random() < 0.35]
    after = [e for e in extras if e not in before]
    seq = before + list(core) + after
    if demand is None:
        return joiner.join(s for s in seq if s), "none"
    if pos == "start":
        seq.insert(0, demand)
    elif pos == "middle" and len(seq) >= 2:
        anchor = len(before) + 1 if len(core) >= 2 else rng.randint(1, len(seq) - 1)
        seq.insert(anchor, demand)
    else:
        seq.append(demand)
    seq = [s for s in seq if s]
    i = seq.index(demand)
    at = "start" if i == 0 else "end" if i == len(seq) - 1 else "middle"
    return joiner.join(seq), at


def _outside_fences(text: str, fn) -> str:
    parts = text.split("```")
    return "```".join(fn(p) if i % 2 == 0 else p for i, p in enumerate(parts))


def texture(
    rng: random.Random,
    text: str,
    nbsp: float = 0.0,
    crlf: float = 0.0,
    trailing: float = 0.0,
    double_space: float = 0.0,
) -> str:
    """Typographic noise of copy-pasted text: non-breaking spaces, CRLF, trailing blanks."""
    if nbsp and rng.random() < nbsp:
        rate = rng.choice([0.05, 0.2, 0.6, 1.0])

        def sub(seg: str) -> str:
            return "".join(NBSP if ch == " " and rng.random() < rate else ch for ch in seg)

        text = _outside_fences(text, sub)
    if double_space and rng.random() < double_space:
        text = _outside_fences(text, lambda s: s.replace(". ", ".  "))
    if trailing and rng.random() < trailing:
        text = "\n".join(
            line + (" " * rng.randint(1, 3) if rng.random() < 0.3 else "")
            for line in text.split("\n")
        )
    if crlf and rng.random() < crlf:
        text = text.replace("\n", "\r\n")
    return text


def decap(s: str) -> str:
    """Lower-case a sentence's first letter after a greeting ("Hi, write ..."), not "I"."""
    if len(s) > 1 and s[0].isupper() and s[1].islower() and not s.startswith("I "):
        return s[0].lower() + s[1:]
    return s


def pick(rng: random.Random, seq):
    return seq[rng.randrange(len(seq))]


def chance(rng: random.Random, p: float) -> bool:
    return rng.random() < p


def cell(rng: random.Random, weights: dict[tuple[bool, bool], float]) -> tuple[bool, bool]:
    """Draw an (elicit, focus) cell with the source's own mix."""
    keys = list(weights)
    return rng.choices(keys, [weights[k] for k in keys])[0]
