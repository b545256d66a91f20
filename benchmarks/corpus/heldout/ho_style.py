"""A grammar engine for the sources that are "a register": vocabulary in, requests out.

A `Spec` is one wording source: its own reasoning demands, refusals of reasoning, task
phrasings, fillers, system prompts and habits of order and whitespace. `generate` draws a
label cell, a task, and places the demand (system prompt, first, inside the task, last, or
in a follow-up turn) exactly where the label then says it is.

Task templates may hold `{slot}`s (filled from the spec's own slot lists; `{L}` is a
programming language) and markers for pasted material: `<<code:KEY>>`, `<<code:KEY:I>>`,
`<<code:L>>`, `<<trace:KEY>>`, `<<trace:KEY:I>>`, `<<diff>>`, `<<passage>>` become blocks
under the task sentence; `<<eq>>` becomes an inline maths item. A template starting with
`[[trap:NAME]]` tags the request with a trap kind (`[[trap:NAME!]]` also marks it
borderline, see LABELS.md). Demands, fillers and refusals starting with `[f]` speak of code
("then the code") and are only put under coding tasks.
"""

from __future__ import annotations

import random
import re
from collections.abc import Callable
from dataclasses import dataclass, field

import ho_artifacts as art
import ho_kit as kit

_MARK = re.compile(r"<<(\w+)(?::([\w]+))?(?::(\d+))?>>")
_TRAP = re.compile(r"^\[\[trap:(\w+)(!?)\]\]\s*")

PASSAGES = [
    "The city council voted on Tuesday to extend the pilot program for protected bike lanes "
    "along Harbor Avenue for another eighteen months. Supporters cited a 23% drop in "
    "reported collisions, while several shop owners said deliveries had become harder and "
    "asked for dedicated loading zones. The council will revisit parking rules in spring.",
    "Sleep researchers increasingly describe rest as an active process: during deep sleep "
    "the brain consolidates memories and clears metabolic by-products. Adults who regularly "
    "sleep fewer than six hours show measurable drops in attention, even when they report "
    "feeling fine, which suggests that self-assessment is a poor guide to sleep debt.",
    "Our Q3 revenue grew 8% quarter over quarter, driven mostly by the mid-market segment. "
    "Churn in the small-business tier rose from 2.1% to 2.9%, concentrated among customers "
    "who joined during the spring promotion. Support tickets per account fell slightly.",
    "The museum's new wing, designed around a central courtyard, opens next month with an "
    "exhibition of textiles from the Andes. Curators spent four years negotiating loans "
    "from eleven institutions, and several pieces have never been shown outside Peru.",
    "Dear team, as of next Monday the office on the third floor will be closed for "
    "renovation. Please book desks on the fifth floor through the usual app and take your "
    "personal items home by Friday. Facilities will provide boxes at reception.",
]

STUBS_EN = [
    "Sure — here's one way to do it:",
    "Here you go:",
    "The problem is the shared state; a fixed version:",
    "Answer:",
    "OK, done:",
]


@dataclass
class Spec:
    name: str
    lang: str
    demands: list[str]
    negated: list[str]
    followups: list[str]
    tasks_f: list[str]
    tasks_nf_reason: list[str]
    tasks_nf_plain: list[str]
    fillers: list[str]
    roles: list[str]
    slots: dict[str, list[str]] = field(default_factory=dict)
    cells: dict[tuple[bool, bool], float] = field(
        default_factory=lambda: {
            (True, True): 0.45,
            (False, True): 0.25,
            (True, False): 0.12,
            (False, False): 0.18,
        }
    )
    pos: dict[str, float] = field(
        default_factory=lambda: {"system": 0.15, "start": 0.25, "middle": 0.2, "end": 0.4}
    )
    followup_p: float = 0.1
    negated_p: float = 0.3
    fillers_n: tuple[int, int] = (0, 2)
    role_p: float = 0.3
    joiners: list[str] = field(default_factory=lambda: ["\n\n", "\n", " "])
    texture: dict[str, float] = field(default_factory=dict)
    stubs: list[str] = field(default_factory=lambda: list(STUBS_EN))
    openers: list[str] = field(default_factory=list)
    closers: list[str] = field(default_factory=list)
    frame_p: float = 0.35
    md_header: str | None = None
    md_p: float = 0.15
    long_p: float = 0.2
    system_join: str = " "
    population: Callable[[random.Random, bool, bool], str] | None = None
    passages: list[str] = field(default_factory=lambda: list(PASSAGES))


def expand(
    rng: random.Random, template: str, spec: Spec
) -> tuple[str, list[str], str | None, bool, str | None]:
    """Fill slots and markers: (task sentence, pasted blocks, trap, borderline, code key)."""
    trap, borderline = None, False
    m = _TRAP.match(template)
    if m:
        trap, borderline = m.group(1), bool(m.group(2))
        template = template[m.end() :]
    chosen: dict[str, str] = {}

    def slot(mm: re.Match) -> str:
        key = mm.group(1)
        if key not in chosen:
            pool = art.LANG_NAMES if key == "L" else spec.slots[key]
            chosen[key] = kit.pick(rng, pool)
        return chosen[key]

    text = re.sub(r"\{(\w+)\}", slot, template)
    blocks: list[str] = []

    def mark(mm: re.Match) -> str:
        kind, key, idx = mm.group(1), mm.group(2), mm.group(3)
        if kind == "eq":
            return art.equation(rng)
        i = int(idx) if idx is not None else None
        if kind == "code":
            if key == "L":
                key = art.LANGS.get(chosen.get("L", ""))
            blocks.append(art.code(rng, key, index=i))
        elif kind == "trace":
            if key == "L":
                key = art.TRACE_FOR.get(art.LANGS.get(chosen.get("L", ""), ""))
            blocks.append(art.trace(rng, key, index=i))
        elif kind == "diff":
            blocks.append(art.diff(rng))
        elif kind == "passage":
            blocks.append(kit.pick(rng, spec.passages))
        else:
            raise ValueError(f"unknown marker {kind}")
        return ""

    text = _MARK.sub(mark, text).strip()
    return text, blocks, trap, borderline, art.LANGS.get(chosen.get("L", ""))


def _stub(rng: random.Random, spec: Spec, focus: bool, key: str | None) -> str:
    """A made-up earlier answer (not part of what the labels judge)."""
    lead = kit.pick(rng, spec.stubs)
    if focus:
        return f"{lead}\n\n{art.code(rng, key or 'py', fence='md')}"
    return str(rng.randint(2, 400))


def _for_task(items: list[str], focus: bool) -> list[str]:
    """Lines marked `[f]` talk about code ("stdlib only", "then the code"); only coding tasks
    get them."""
    return [i.removeprefix("[f]") for i in items if focus or not i.startswith("[f]")]


def one(rng: random.Random, spec: Spec) -> dict:
    elicit, focus = kit.cell(rng, spec.cells)
    if focus:
        pool = spec.tasks_f
    elif elicit:
        pool = spec.tasks_nf_reason
    else:
        pool = spec.tasks_nf_plain + spec.tasks_nf_reason
    intro, blocks, trap, borderline, key = expand(rng, kit.pick(rng, pool), spec)
    if blocks and focus and kit.chance(rng, spec.long_p):  # long: the surrounding files too
        blocks.append(art.bundle(rng, key))
    lo, hi = spec.fillers_n
    fillers = _for_task(spec.fillers, focus)
    extras = rng.sample(fillers, min(len(fillers), rng.randint(lo, hi)))
    joiner = kit.pick(rng, spec.joiners)
    if blocks and "\n" not in joiner:
        joiner = "\n"
    role = kit.pick(rng, spec.roles) if spec.roles and kit.chance(rng, spec.role_p) else None

    demand, pos = None, "none"
    if elicit:
        if kit.chance(rng, spec.followup_p):
            pos = "followup"
        else:
            keys = list(spec.pos)
            pos = rng.choices(keys, [spec.pos[k] for k in keys])[0]
        demand = kit.pick(
            rng, _for_task(spec.followups if pos == "followup" else spec.demands, focus)
        )
    elif spec.negated and kit.chance(rng, spec.negated_p):
        extras.append(kit.pick(rng, _for_task(spec.negated, focus)))
        trap = trap or "negated_demand"

    core = [intro, *blocks]
    if pos == "system":
        if not role and spec.roles:
            role = kit.pick(rng, spec.roles)
        system = spec.system_join.join(s for s in (role, demand) if s)
        user, _ = kit.place(rng, core, extras, None, "end", joiner)
        messages = kit.msgs(user, system)
        at = "system"
    elif pos == "followup":
        user, _ = kit.place(rng, core, extras, None, "end", joiner)
        messages = kit.msgs(user, role)
        messages.append({"role": "assistant", "content": _stub(rng, spec, focus, key)})
        messages.append({"role": "user", "content": demand})
        at = "followup"
    elif spec.md_header and (extras or demand) and kit.chance(rng, spec.md_p):
        # the loose sentences as a Markdown list under a header, after the task
        items = [*extras, *([demand] if demand else [])]
        rng.shuffle(items)
        bullet = kit.pick(rng, ["- ", "* ", "• "])
        user = (
            "\n\n".join(core)
            + "\n\n"
            + spec.md_header
            + "\n"
            + "\n".join(bullet + i for i in items)
        )
        at = "none" if not demand else ("end" if items[-1] == demand else "middle")
        messages = kit.msgs(user, role)
    else:
        user, at = kit.place(rng, core, extras, demand, pos, joiner)
        messages = kit.msgs(user, role)
    first_user = next(m for m in messages if m["role"] == "user")
    if spec.openers and kit.chance(rng, spec.frame_p):
        opener = kit.pick(rng, spec.openers)
        sep = joiner if opener[-1].isalnum() else ("\n" if "\n" in joiner else " ")
        body = first_user["content"]
        if opener.endswith(",") and sep == " ":
            body = kit.decap(body)
        first_user["content"] = opener + sep + body
        at = "middle" if at == "start" else at
    if spec.closers and kit.chance(rng, spec.frame_p):
        first_user["content"] += joiner + kit.pick(rng, spec.closers)
        at = "middle" if at == "end" and len(messages) <= 2 else at
    for m in messages:
        if m["role"] == "user":
            m["content"] = kit.texture(rng, m["content"], **spec.texture)
    population = spec.population(rng, elicit, focus) if spec.population else "casual"
    return kit.rec(
        spec.name,
        spec.lang,
        population,
        elicit,
        focus,
        messages,
        demand_at=at,
        trap=trap,
        borderline=borderline,
    )


def generate(spec: Spec, rng: random.Random, n: int) -> list[dict]:
    return [one(rng, spec) for _ in range(n)]


def harvest_population(p_naive: float = 0.0, p_low: float = 0.0, p_adaptive: float = 0.3):
    """Population names for a register that campaigns use: harvests vs benign interleave."""

    def fn(rng: random.Random, elicit: bool, focus: bool) -> str:
        if elicit and focus:
            r = rng.random()
            if r < p_naive:
                return "naive"
            if r < p_naive + p_low:
                return "low_and_slow"
            return "paraphrase"
        if focus and rng.random() < p_adaptive:
            return "adaptive"
        return "casual"

    return fn
