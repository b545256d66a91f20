# ruff: noqa: E501  (artefact templates: one code line per string reads better unwrapped)
"""The adversary zoo's traffic: every family and population of shared/threats.md, drawn
from a seed.

Nothing here is one script. Each population is a set of *models* drawn per account (or
per campaign): a wording grammar (grammars.py, per split), a pacing model, a network
model, a client model and a request shape, each with its parameters drawn from ranges.
The seed decides everything, and the seed decides the split: seeds below
``HELDOUT_FROM`` are tuning seeds and draw tuning wording; seeds from ``HELDOUT_FROM`` on
are held-out seeds and draw held-out wording only.

An account yields its requests one at a time (``Account.request``) and hears back what it
got (``Account.feedback``), so adaptive families can react: rotate to a fresh account,
drop the parameters that got them flagged, interleave benign requests.
"""

from __future__ import annotations

import heapq
import math
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from . import grammars as G

DAY = 86_400.0
HOUR = 3_600.0
START = 1_798_761_600.0  # 2027-01-01T00:00:00Z
HELDOUT_FROM = 1_000  # seeds below: tuning; from here on: held-out
CREATED_HEADER = "x-account-created"

ATTACK = ("naive", "paraphrase", "low_slow", "mimic", "adaptive", "logit_prober")
LEGIT = ("casual", "ide", "batch", "tenant", "newbie", "research")
FAMILIES = ATTACK + LEGIT
# Accounts per population at scale 1 (3 simulated days make ~60k requests).
SIZES = {
    "naive": 90, "paraphrase": 150, "low_slow": 300, "mimic": 40, "adaptive": 80,
    "logit_prober": 10, "casual": 400, "ide": 80, "batch": 2, "tenant": 300, "newbie": 200,
    "research": 3,
}  # fmt: skip


def split_of(seed: int) -> str:
    return "heldout" if seed >= HELDOUT_FROM else "tuning"


# --------------------------------------------------------------------------- wording


def pick(rng: random.Random, grammar: G.Grammar, slot: str, lang: str) -> str:
    per_lang = grammar[slot]
    return rng.choice(per_lang.get(lang) or per_lang["en"])


def langs_of(grammar: G.Grammar) -> list[str]:
    return sorted({lang for per_lang in grammar.values() for lang in per_lang})


def task(rng: random.Random, split: str, lang: str, category: str | None = None) -> str:
    cats = G.TASKS[split]
    cat = cats[category] if category else cats[rng.choice(sorted(cats))]
    template = rng.choice(cat.get(lang) or cat["en"])
    return template.format(
        lang=rng.choice(G.PROG_LANGS[split]), obj=rng.choice(G.TASK_OBJECTS[split])
    )


def ident(rng: random.Random, split: str, style: str) -> str:
    a, b = rng.sample(G.IDENT_PARTS[split], 2)
    if style == "camel":
        return a + b.capitalize()
    return f"{a}_{b}"


def artefact(rng: random.Random, split: str) -> str:
    """A piece of code, a stack trace, a shell session or a diff (by split)."""
    kind = rng.choice(G.ARTEFACT_KINDS[split])
    n = rng.randint(3, 14)
    if kind == "python":
        fn = ident(rng, split, "snake")
        body = "\n".join(
            f"    {ident(rng, split, 'snake')} = {fn}_{i}(items[{i}])" for i in range(n)
        )
        return f"```python\ndef {fn}(items):\n{body}\n    return items\n```"
    if kind == "javascript":
        fn = ident(rng, split, "camel")
        body = "\n".join(
            f"  const {ident(rng, split, 'camel')}{i} = await api.get(`/x/${{id}}`);"
            for i in range(n)
        )
        return f"```js\nasync function {fn}(id) {{\n{body}\n}}\n```"
    if kind == "py_traceback":
        mod = ident(rng, split, "snake")
        return (
            "Traceback (most recent call last):\n"
            f'  File "app/{mod}.py", line {rng.randint(10, 400)}, in {ident(rng, split, "snake")}\n'
            f"    return self.{ident(rng, split, 'snake')}[key]\nKeyError: '{ident(rng, split, 'snake')}'"
        )
    if kind == "shell":
        return f"$ pytest -x tests/test_{ident(rng, split, 'snake')}.py\nE   AssertionError: {rng.randint(1, 99)} != {rng.randint(100, 200)}"
    if kind == "go":
        fn = ident(rng, split, "camel")
        body = "\n".join(
            f"\t{ident(rng, split, 'camel')}{i}, err := s.{fn}(ctx, {i})\n\tif err != nil {{\n\t\treturn err\n\t}}"
            for i in range(n // 3 + 1)
        )
        return f"```go\nfunc (s *Server) {fn.capitalize()}(ctx context.Context) error {{\n{body}\n\treturn nil\n}}\n```"
    if kind == "rust":
        fn = ident(rng, split, "snake")
        return f"```rust\nfn {fn}(v: &mut Vec<u64>) -> Result<(), Error> {{\n    let {ident(rng, split, 'snake')} = v.iter().map(|x| x * {n}).collect::<Vec<_>>();\n    Ok(())\n}}\n```"
    if kind == "java_trace":
        cls = ident(rng, split, "camel").capitalize()
        frames = "\n".join(
            f"\tat com.acme.{cls}.{ident(rng, split, 'camel')}({cls}.java:{rng.randint(10, 900)})"
            for _ in range(n // 3 + 1)
        )
        return f'Exception in thread "main" java.lang.IllegalStateException: {ident(rng, split, "camel")}\n{frames}'
    # diff
    f = ident(rng, split, "snake")
    return f"--- a/src/{f}.go\n+++ b/src/{f}.go\n@@ -{n},3 +{n},4 @@\n-\treturn nil\n+\tif {ident(rng, split, 'camel')} == nil {{\n+\t\treturn errNotFound\n+\t}}"


# --------------------------------------------------------------------------- pacing


def _day_base(day: int, tz: float) -> float:
    return START + day * DAY - tz * HOUR


def pace_uniform(rng: random.Random, t0: float, t1: float, per_day: float) -> list[float]:
    """Around the clock, Poisson."""
    out, t = [], t0
    while True:
        t += rng.expovariate(per_day / DAY)
        if t >= t1:
            return out
        out.append(t)


def pace_diurnal(
    rng: random.Random, t0: float, t1: float, per_day: float, tz: float, depth: float
) -> list[float]:
    """Poisson thinned by a daily sine (``depth`` 0: flat, 1: silent at the local 3 am)."""
    out = []
    for t in pace_uniform(rng, t0, t1, per_day * (1 + depth)):
        local = ((t - START) / HOUR + tz) % 24
        if rng.random() < (1 + depth * math.sin((local - 9) / 24 * 2 * math.pi)) / (1 + depth):
            out.append(t)
    return out


def pace_sessions(
    rng: random.Random, t0: float, t1: float, per_day: tuple[int, int], tz: float,
    hours: tuple[float, float], per_session: tuple[int, int], gap: float, active: float = 1.0,
) -> list[float]:  # fmt: skip
    """Human sessions in local ``hours``: a few requests ``gap`` seconds apart on average."""
    out: list[float] = []
    for day in range(int((t0 - START) // DAY) - 1, int((t1 - START) // DAY) + 1):
        if rng.random() >= active:
            continue
        target = rng.randint(*per_day)
        got = 0
        while got < target:
            t = _day_base(day, tz) + rng.uniform(*hours) * HOUR
            for _ in range(min(rng.randint(*per_session), target - got)):
                t += rng.expovariate(1 / gap) + 3
                if t0 <= t < t1:
                    out.append(t)
                got += 1
    return sorted(out)


def pace_metronome(
    rng: random.Random, t0: float, t1: float, period: float, jitter: float
) -> list[float]:
    out, t = [], t0 + rng.uniform(0, period)
    while t < t1:
        out.append(t)
        t += period * rng.uniform(1 - jitter, 1 + jitter)
    return out


def pace_bursts(
    rng: random.Random, t0: float, t1: float, bursts_per_day: tuple[int, int], tz: float,
    size: tuple[int, int], gap: float, hours: tuple[float, float] = (8, 19),
) -> list[float]:  # fmt: skip
    """Agent loops: bursts of requests a few seconds apart inside working hours."""
    per_day = (bursts_per_day[0] * size[0], bursts_per_day[1] * size[1])
    return pace_sessions(rng, t0, t1, per_day, tz, hours, size, gap, active=0.85)


# --------------------------------------------------------------------------- networks


def _ip(a: int, b: int, c: int, d: int) -> str:
    return f"{a}.{b}.{c}.{d}"


class Network:
    """Where an account's requests come from."""

    def __init__(self, rng: random.Random, kind: str, shared: list[str] | None = None) -> None:
        self.rng, self.kind, self.shared = rng, kind, shared or []
        self.sticky = self._fresh()
        self.last_t = -math.inf

    def _fresh(self) -> str:
        r = self.rng
        if self.kind in ("hosting", "datacenter"):
            return _ip(
                r.choice((45, 104, 138, 155, 185, 193)),
                r.randint(0, 255),
                r.randint(0, 255),
                r.randint(1, 254),
            )
        return _ip(
            r.choice((24, 67, 73, 81, 92, 98, 176, 188)),
            r.randint(0, 255),
            r.randint(0, 255),
            r.randint(1, 254),
        )

    def ip(self, t: float) -> str:
        r = self.rng
        if self.kind == "datacenter":  # every request from a different IP
            return self._fresh()
        if self.kind == "per_conversation":  # a fresh residential exit per conversation
            if t - self.last_t > 20 * 60:
                self.sticky = self._fresh()
            self.last_t = t
            return self.sticky
        if self.kind in ("pool", "hosting") and self.shared:
            return r.choice(self.shared)
        return self.sticky


def pool(rng: random.Random, prefix: int, subnets: int, hosts: int) -> list[str]:
    """IPs in ``subnets`` /24s: hosting ranges, office NATs, carrier CGNAT exits."""
    nets = [(prefix, rng.randint(0, 255), rng.randint(0, 255)) for _ in range(subnets)]
    return [_ip(*rng.choice(nets), rng.randint(1, 254)) for _ in range(hosts)]


# --------------------------------------------------------------------------- clients

SCRIPT_UAS = ("python-requests/2.{v}.0", "curl/8.{v}.1", "aiohttp/3.{v}.1", "Go-http-client/1.1")
SDK_UAS = (
    "OpenAI/Python 1.{v}.0",
    "OpenAI/JS 4.{v}.2",
    "litellm/1.{v}.3",
    "langchain-openai/0.{v}.1",
)
IDE_CLIENT = {
    "tuning": ("DevMate/2.{v}.1 (vscode 1.95; darwin)", "devmate"),
    "heldout": ("ForgeAssist/5.{v}.0 (forge-ide 2026.3; linux)", "forge-assist"),
}


def ua(rng: random.Random, choices: tuple[str, ...]) -> str:
    return rng.choice(choices).format(v=rng.randint(10, 60))


# --------------------------------------------------------------------------- accounts


@dataclass
class Request:
    headers: list[tuple[bytes, bytes]]
    body: dict[str, Any]
    ip: str
    wanted: int  # tokens the sender wants back (the natural answer length)
    harvest: bool  # a harvest request (attack families' benign cover traffic is not)


@dataclass
class Account:
    """One identity of a population; adaptive families move it to fresh identities."""

    family: str
    ident: str  # stable across rotations: the campaign's seat, for reporting
    key: str
    created: float
    rng: random.Random
    split: str
    net: Network
    ua: str
    lang: str
    times: list[float] = field(default_factory=list)
    grammar: G.Grammar | None = None
    state: dict[str, Any] = field(default_factory=dict)
    rotations: int = 0
    warm: int = 0  # the first ``warm`` requests are warm-up, not measured
    extra_headers: tuple[tuple[bytes, bytes], ...] = ()

    def headers(self, created_header: bool) -> list[tuple[bytes, bytes]]:
        h = [
            (b"content-type", b"application/json"),
            (b"authorization", f"Bearer {self.key}".encode()),
            (b"user-agent", self.ua.encode()),
            *self.extra_headers,
        ]
        if created_header:
            h.append((CREATED_HEADER.encode(), str(int(self.created)).encode()))
        return h

    # ----------------------------------------------------------------- feedback

    def feedback(self, full: bool, now: float) -> None:
        """What the account got. Only the adaptive family reacts."""
        if self.family != "adaptive" or full:
            return
        s = self.state
        s["strikes"] = s.get("strikes", 0) + 1
        s["careful"] = True  # drop the parameters that may have got it flagged
        if s["strikes"] >= s["patience"]:
            self.rotations += 1
            s["strikes"] = 0
            self.key = f"sk-zoo-{self.ident}-r{self.rotations}"
            self.created = now - (s["aged"] if s["aged"] else 0.0)
            self.net.sticky = self.net._fresh()

    # ----------------------------------------------------------------- requests

    def request(self, t: float, created_header: bool) -> Request:
        body, wanted, harvest = BUILDERS[self.family](self, t)
        body.setdefault("model", "m")
        return Request(self.headers(created_header), body, self.net.ip(t), wanted, harvest)


def _user(text: str) -> dict[str, str]:
    return {"role": "user", "content": text}


def _wrapper(a: Account, t: float, fixed: bool) -> tuple[str, str]:
    """(system, user) of a harvest: wrapper sentences around a task and an artefact."""
    r, g, lang = a.rng, a.grammar, a.lang
    assert g is not None
    if fixed:  # the naive family keeps the campaign's wrapper
        parts = dict(a.state["wrapper"])
    else:
        parts = {
            slot: (pick(r, g, slot, lang) if r.random() < 0.6 else a.state["wrapper"][slot])
            for slot in a.state["wrapper"]
        }
    the_task = task(r, a.split, lang) + ("\n\n" + artefact(r, a.split) if r.random() < 0.7 else "")
    sentences = [
        parts["role"],
        parts["instruction"],
        parts["demand"],
        parts["format"],
        parts["filler"],
    ]
    sentences = [s for s in sentences if s]
    if not fixed:
        r.shuffle(sentences)
    body = " ".join(sentences) + f"\n{parts['label']} {the_task}"
    if not fixed and r.random() < a.state.get("system_share", 0.0):
        return " ".join(sentences), f"{parts['label']} {the_task}"
    return "", body


def build_naive(a: Account, t: float) -> tuple[dict, int, bool]:
    r = a.rng
    _, user = _wrapper(a, t, fixed=True)
    doc: dict[str, Any] = {"messages": [_user(user)], "max_tokens": r.choice((8192, 16384, 32000))}
    roll = r.random()
    if roll < a.state["p_logprobs"]:
        doc.update(logprobs=True, top_logprobs=5)
    elif roll < a.state["p_logprobs"] + 0.1:
        doc["n"] = r.choice((2, 4))
    if r.random() < 0.3:
        doc["reasoning_effort"] = "high"
    return doc, r.randint(2_000, 7_000), True


def build_paraphrase(a: Account, t: float) -> tuple[dict, int, bool]:
    r = a.rng
    system, user = _wrapper(a, t, fixed=False)
    msgs: list[dict[str, str]] = [{"role": "system", "content": system}] if system else []
    if r.random() < 0.15 and a.state.get("last"):  # a two-turn exchange on the last task
        msgs += [
            _user(a.state["last"]),
            {"role": "assistant", "content": "Here is a first pass: ..."},
        ]
    msgs.append(_user(user))
    a.state["last"] = user
    doc: dict[str, Any] = {"messages": msgs}
    if r.random() < 0.7:
        doc["max_tokens"] = r.choice((4096, 6000, 8000))
    if r.random() < 0.3:
        doc["temperature"] = round(r.uniform(0.2, 0.9), 2)
    return doc, r.randint(1_500, 6_000), True


def build_low_slow(a: Account, t: float) -> tuple[dict, int, bool]:
    r, g, lang = a.rng, a.grammar, a.lang
    assert g is not None
    cat = a.state["niche"]  # a narrow slice of the taxonomy, day after day
    parts = [pick(r, g, "opener", lang), task(r, a.split, lang, cat)]
    if r.random() < 0.6:
        parts.append(artefact(r, a.split))
    parts.append(pick(r, g, "demand", lang))
    if r.random() < 0.3:
        parts[0], parts[-1] = parts[-1], parts[0]
    doc: dict[str, Any] = {"messages": [_user("\n\n".join(parts))]}
    if r.random() < 0.4:
        doc["max_tokens"] = r.choice((2048, 4096))
    return doc, r.randint(1_500, 5_000), True


def build_mimic(a: Account, t: float) -> tuple[dict, int, bool]:
    r, g, lang = a.rng, a.grammar, a.lang
    assert g is not None
    cats = sorted(G.TASKS[a.split])
    i = a.state["walk"] = a.state.get("walk", -1) + 1  # walks the taxonomy in order
    the_task = task(r, a.split, lang, cats[i % len(cats)]) + "\n\n" + artefact(r, a.split)
    msgs: list[dict[str, str]] = [{"role": "system", "content": a.state["system"]}]
    for _ in range(r.randint(1, 3)):  # fabricated earlier turns
        msgs += [
            _user(task(r, a.split, lang)),
            {
                "role": "assistant",
                "content": "```\n# applied the change\n```\nDone: the edit is in place.",
            },
        ]
    msgs.append(_user(f"{the_task}\n\n{pick(r, g, 'demand', lang)}"))
    doc: dict[str, Any] = {"messages": msgs, "stream": True, "temperature": 0.2, "max_tokens": 4096}
    doc["tools"] = [
        {
            "type": "function",
            "function": {"name": a.state["tool"], "parameters": {"type": "object"}},
        }
    ]
    return doc, r.randint(1_500, 5_000), True


def build_adaptive(a: Account, t: float) -> tuple[dict, int, bool]:
    r = a.rng
    s = a.state
    if r.random() < s["benign_share"]:  # cover traffic between harvests
        doc, wanted, _ = build_casual(a, t, grammar=s["cover"])
        return doc, wanted, False
    doc, wanted, _ = build_paraphrase(a, t)
    if not s.get("careful"):
        if r.random() < 0.3:
            doc.update(logprobs=True, top_logprobs=5)
        doc["max_tokens"] = 16384
    return doc, wanted, True


def build_logit_prober(a: Account, t: float) -> tuple[dict, int, bool]:
    s = a.state
    s["sweep"] = s.get("sweep", -1) + 1
    token = s["token0"] + s["sweep"] // 3
    bias = (-100, 0, 100)[s["sweep"] % 3]
    doc = {
        "messages": [_user(s["prompt"])],
        "max_tokens": 1,
        "logprobs": True,
        "top_logprobs": 5,
        "logit_bias": {str(token): bias},
        "temperature": 0,
    }
    return doc, 1, True


def build_casual(a: Account, t: float, grammar: G.Grammar | None = None) -> tuple[dict, int, bool]:
    r = a.rng
    g = grammar or a.grammar
    assert g is not None
    lang = a.lang if a.lang in langs_of(g) else "en"
    msgs: list[dict[str, str]] = []
    hist = a.state.get("hist", [])
    if hist and t - a.state.get("last_t", 0) < 30 * 60 and r.random() < 0.7:
        msgs += hist[-4:]
        text = pick(r, g, "followup", lang) if r.random() < 0.7 else pick(r, g, "ask", lang)
    else:
        hist = []
        text = pick(r, g, "ask", lang)
    if r.random() < 0.08:
        text += " " + pick(r, g, "why", lang)
    msgs.append(_user(text))
    a.state["hist"] = [*msgs, {"role": "assistant", "content": "Sure, here you go: ..."}]
    a.state["last_t"] = t
    doc: dict[str, Any] = {"messages": msgs}
    if r.random() < 0.3:
        doc["max_tokens"] = r.choice((512, 1024, 2048))
    return doc, r.randint(100, 900), False


def build_ide(a: Account, t: float) -> tuple[dict, int, bool]:
    r, g, lang = a.rng, a.grammar, a.lang
    assert g is not None
    s = a.state
    text = pick(r, g, "ask", lang) + "\n\n" + artefact(r, a.split)
    if r.random() < 0.05:
        text += "\n" + pick(r, g, "think", lang)
    msgs: list[dict[str, str]] = [{"role": "system", "content": s["system"]}]
    if s.get("hist") and t - s.get("last_t", 0) < 15 * 60:
        msgs += s["hist"][-6:]
    msgs.append(_user(text))
    s["hist"] = [*msgs[1:], {"role": "assistant", "content": "Applied the edit: ..."}]
    s["last_t"] = t
    doc: dict[str, Any] = {"messages": msgs, "stream": True, "temperature": 0.2, "max_tokens": 4096}
    if r.random() < 0.6:
        doc["tools"] = [
            {"type": "function", "function": {"name": s["tool"], "parameters": {"type": "object"}}}
        ]
    if s["thinking"]:
        doc["reasoning_effort"] = "high"
    return doc, r.randint(200, 2_000), False


def build_batch(a: Account, t: float) -> tuple[dict, int, bool]:
    r = a.rng
    s = a.state
    s["n"] = s.get("n", 0) + 1
    text = s["template"].format(n=s["n"], item=r.choice(G.BATCH_ITEMS[a.split]))
    doc: dict[str, Any] = {"messages": [_user(text)], "max_tokens": 16, "temperature": 0}
    if s["logprobs"]:
        doc.update(logprobs=True, top_logprobs=3)
    return doc, r.randint(1, 12), False


def build_tenant(a: Account, t: float) -> tuple[dict, int, bool]:
    r = a.rng
    system, questions = a.state["app"]
    msgs: list[dict[str, str]] = [{"role": "system", "content": system}]
    hist = a.state.get("hist")
    if hist and t - a.state.get("last_t", 0) < 20 * 60:
        msgs += hist[-2:]
    msgs.append(_user(r.choice(questions)))
    a.state["hist"] = [msgs[-1], {"role": "assistant", "content": "Here are a few options: ..."}]
    a.state["last_t"] = t
    return {"messages": msgs, "max_tokens": 800}, r.randint(100, 700), False


def build_newbie(a: Account, t: float) -> tuple[dict, int, bool]:
    r, g, lang = a.rng, a.grammar, a.lang
    assert g is not None
    if r.random() < a.state["coder"]:
        text = pick(r, g, "code", lang)
        if r.random() < 0.4:
            text += "\n\n" + artefact(r, a.split)
    else:
        text = pick(r, g, "other", lang)
    if r.random() < 0.2:
        text += " " + pick(r, g, "why", lang)
    msgs: list[dict[str, str]] = []
    hist = a.state.get("hist")
    if hist and t - a.state.get("last_t", 0) < 30 * 60 and r.random() < 0.5:
        msgs += hist
    msgs.append(_user(text))
    a.state["hist"] = [msgs[-1], {"role": "assistant", "content": "Good question! ..."}]
    a.state["last_t"] = t
    doc: dict[str, Any] = {"messages": msgs}
    if r.random() < 0.05:  # copied from an example
        doc.update(logprobs=True, top_logprobs=2)
    if r.random() < 0.1:
        doc["max_tokens"] = 16384
    return doc, r.randint(200, 1_500), False


def build_research(a: Account, t: float) -> tuple[dict, int, bool]:
    r = a.rng
    s = a.state
    s["n"] = s.get("n", 0) + 1
    words = r.sample(G.RESEARCH_WORDS[a.split], 4)
    text = s["template"].format(
        n=s["n"], q=words[0], a=words[1], b=words[2], c=words[3], d=words[0]
    )
    doc = {
        "messages": [_user(text)],
        "max_tokens": 4,
        "temperature": 0,
        "logprobs": True,
        "top_logprobs": 5,
    }
    return doc, 2, False


BUILDERS = {
    "naive": build_naive, "paraphrase": build_paraphrase, "low_slow": build_low_slow,
    "mimic": build_mimic, "adaptive": build_adaptive, "logit_prober": build_logit_prober,
    "casual": build_casual, "ide": build_ide, "batch": build_batch, "tenant": build_tenant,
    "newbie": build_newbie, "research": build_research,
}  # fmt: skip


# --------------------------------------------------------------------------- populations


@dataclass(frozen=True)
class ZooConfig:
    seed: int
    days: int = 3
    scale: float = 1.0
    families: tuple[str, ...] = FAMILIES
    created_header: bool = True
    warmup: bool = True  # established accounts were first seen weeks before the run

    @property
    def split(self) -> str:
        return split_of(self.seed)


def _old(r: random.Random) -> float:
    return START - r.uniform(30, 700) * DAY


def populate(cfg: ZooConfig) -> list[Account]:
    """Every account of the run, with its request times drawn."""
    root = random.Random(cfg.seed)
    split, days = cfg.split, cfg.days
    end = START + days * DAY
    accounts: list[Account] = []
    # Shared infrastructure, drawn once per run.
    hosting = pool(root, 45, root.randint(2, 5), 60)
    offices = [pool(root, 62, 1, root.randint(1, 4)) for _ in range(root.randint(4, 10))]
    carriers = pool(root, 100, root.randint(20, 60), 400)
    tenant_ips = [pool(root, 34, 1, root.randint(1, 3)) for _ in G.TENANT_APPS[split]]
    ide_system = " ".join(G.IDE_SYSTEM_SENTENCES[split] * 6)  # ~3 KB, one for every user
    ide_ua, ide_name = IDE_CLIENT[split]
    ide_version = root.randint(10, 60)
    tool = "edit_file" if split == "tuning" else "apply_change"

    def new(
        family: str,
        j: int,
        created: float,
        net: Network,
        agent: str,
        lang: str,
        grammar=None,
        **state,
    ) -> Account:
        r = random.Random(root.random())
        ident = f"{family}-{j}"
        return Account(
            family,
            ident,
            f"sk-zoo-{ident}-{cfg.seed}",
            created,
            r,
            split,
            net,
            agent,
            lang,
            grammar=grammar,
            state=dict(state),
        )

    def n_of(family: str) -> int:
        return max(1, round(SIZES[family] * cfg.scale)) if family in cfg.families else 0

    def lang_for(r: random.Random, grammar: G.Grammar, en_share: float) -> str:
        langs = langs_of(grammar)
        return "en" if r.random() < en_share else r.choice(langs)

    # ---- attack families. Each campaign starts at a drawn time on day 1.
    starts = {f: START + root.uniform(0, 12 * HOUR) for f in ATTACK}
    wrappers = G.WRAPPERS[split]

    def harvest_wrapper(r: random.Random, g: G.Grammar, lang: str) -> dict[str, str]:
        return {slot: pick(r, g, slot, lang) for slot in g}

    # naive: waves of fresh accounts, one or two fixed wrappers for the whole campaign
    camp_r = random.Random(root.random())
    fixed = [
        harvest_wrapper(camp_r, w, "en")
        for w in camp_r.sample(wrappers, k=min(len(wrappers), camp_r.randint(1, 2)))
    ]
    waves = max(1, days)
    for j in range(n_of("naive")):
        r = random.Random(root.random())
        created = starts["naive"] + (j % waves) * DAY + r.uniform(0, 2 * HOUR)
        agent = ua(r, SCRIPT_UAS)
        a = new(
            "naive",
            j,
            created,
            Network(r, "hosting", hosting),
            agent,
            "en",
            wrappers[0],
            wrapper=fixed[j % len(fixed)],
            p_logprobs=r.uniform(0.05, 0.3),
        )
        per_day = r.uniform(20, 40)
        a.times = pace_uniform(r, created, min(end, created + r.uniform(1, 3) * DAY), per_day)
        accounts.append(a)
    # paraphrase: per-account grammar, datacenter IP per request, mildly diurnal
    for j in range(n_of("paraphrase")):
        r = random.Random(root.random())
        g = r.choice(wrappers)
        lang = lang_for(r, g, 0.5)
        created = starts["paraphrase"] + r.uniform(0, (days - 0.5) * DAY)
        a = new(
            "paraphrase",
            j,
            created,
            Network(r, "datacenter"),
            ua(r, SDK_UAS),
            lang,
            g,
            wrapper=harvest_wrapper(r, g, lang),
            system_share=r.choice((0.0, 0.3, 0.8)),
        )
        a.times = pace_diurnal(
            r, created, end, r.uniform(10, 30), r.uniform(-8, 9), r.uniform(0.1, 0.5)
        )
        accounts.append(a)
    # low-and-slow: a handful a day at human hours, a fresh residential exit per conversation
    personal = G.PERSONAL[split]
    for j in range(n_of("low_slow")):
        r = random.Random(root.random())
        g = r.choice(personal)
        lang = lang_for(r, g, 0.5)
        created = starts["low_slow"] + r.uniform(0, DAY)
        a = new(
            "low_slow",
            j,
            created,
            Network(r, "per_conversation"),
            ua(r, SDK_UAS + SCRIPT_UAS[:1]),
            lang,
            g,
            niche=r.choice(sorted(G.TASKS[split])),
        )
        a.times = pace_sessions(r, created, end, (2, 6), r.uniform(-8, 9), (9, 23), (1, 3), 240)
        accounts.append(a)
    # mimic: an IDE user's headers and system prompt, fabricated turns, sticky residential IPs
    for j in range(n_of("mimic")):
        r = random.Random(root.random())
        g = r.choice(wrappers)
        lang = lang_for(r, g, 0.6)
        created = starts["mimic"] + r.uniform(0, DAY)
        a = new(
            "mimic",
            j,
            created,
            Network(r, "sticky"),
            ide_ua.format(v=ide_version),
            lang,
            g,
            system=ide_system,
            tool=tool,
        )
        a.extra_headers = ((b"x-client-name", ide_name.encode()),)
        a.times = pace_sessions(
            r, created, end, (20, 60), r.uniform(-8, 9), (9, 18), (3, 10), 60, active=0.9
        )
        accounts.append(a)
    # adaptive: paraphrasing harvesters that rotate when refused, go careful, hide in cover
    cover = G.CASUAL[split][0]
    for j in range(n_of("adaptive")):
        r = random.Random(root.random())
        g = r.choice(wrappers)
        lang = lang_for(r, g, 0.5)
        created = starts["adaptive"] + r.uniform(0, (days - 0.5) * DAY)
        aged = r.choice((0.0, 0.0, r.uniform(14, 28) * DAY))  # aged 2-4 weeks (in retention)
        a = new(
            "adaptive",
            j,
            created - aged,
            Network(r, r.choice(("datacenter", "per_conversation"))),
            ua(r, SDK_UAS),
            lang,
            g,
            wrapper=harvest_wrapper(r, g, lang),
            system_share=r.choice((0.0, 0.5)),
            patience=r.randint(1, 3),
            aged=aged,
            benign_share=r.uniform(0.2, 0.6),
            cover=cover,
        )
        a.times = pace_diurnal(
            r, created, end, r.uniform(10, 30), r.uniform(-8, 9), r.uniform(0.2, 0.7)
        )
        accounts.append(a)
    # logit prober: sweeps logit_bias with logprobs on one prompt, spread over accounts
    for j in range(n_of("logit_prober")):
        r = random.Random(root.random())
        created = starts["logit_prober"] + r.uniform(0, DAY)
        a = new(
            "logit_prober",
            j,
            created,
            Network(r, "hosting", hosting),
            ua(r, SCRIPT_UAS),
            "en",
            prompt=r.choice(G.PROBE_PROMPTS[split]),
            token0=r.randint(1000, 90000),
        )
        a.times = pace_bursts(r, created, end, (2, 5), 0.0, (20, 60), 2.0, hours=(0, 24))
        accounts.append(a)

    # ---- legit populations
    for j in range(n_of("casual")):
        r = random.Random(root.random())
        g = r.choice(G.CASUAL[split])
        net = Network(r, "pool", carriers) if r.random() < 0.5 else Network(r, "sticky")
        a = new("casual", j, _old(r), net, ua(r, SDK_UAS), lang_for(r, g, 0.6), g)
        a.times = pace_sessions(
            r, START, end, (1, 10), r.uniform(-8, 9), (7, 23), (1, 5), 120, active=0.6
        )
        accounts.append(a)
    for j in range(n_of("ide")):
        r = random.Random(root.random())
        g = r.choice(G.IDE_ASKS[split])
        a = new(
            "ide",
            j,
            _old(r),
            Network(r, "pool", r.choice(offices)),
            ide_ua.format(v=ide_version),
            lang_for(r, g, 0.8),
            g,
            system=ide_system,
            tool=tool,
            thinking=r.random() < 0.15,
        )
        a.extra_headers = ((b"x-client-name", ide_name.encode()),)
        a.times = pace_bursts(r, START, end, (2, 6), r.uniform(-8, 9), (4, 20), 15.0)
        accounts.append(a)
    for j in range(n_of("batch")):
        r = random.Random(root.random())
        a = new(
            "batch",
            j,
            START - 400 * DAY,
            Network(r, "sticky"),
            ua(r, SCRIPT_UAS[:3]),
            "en",
            template=G.BATCH_TEMPLATES[split][j % 2],
            logprobs=j % 2 == 1,
        )
        a.net.sticky = _ip(52, 10, j, 7)
        a.times = pace_metronome(r, START, end, r.uniform(40, 90), 0.02)
        accounts.append(a)
    for j in range(n_of("tenant")):
        r = random.Random(root.random())
        app = j % len(G.TENANT_APPS[split])
        a = new(
            "tenant",
            j,
            _old(r),
            Network(r, "pool", tenant_ips[app]),
            f"tenant{app}-backend/1.4",
            "en",
            app=G.TENANT_APPS[split][app],
        )
        a.times = pace_sessions(
            r, START, end, (1, 8), r.uniform(-8, 9), (8, 22), (1, 4), 90, active=0.7
        )
        accounts.append(a)
    for j in range(n_of("newbie")):
        r = random.Random(root.random())
        g = r.choice(G.NEWBIE[split])
        created = START + r.uniform(0, days) * DAY
        net = Network(r, "pool", carriers) if r.random() < 0.4 else Network(r, "sticky")
        a = new(
            "newbie",
            j,
            created,
            net,
            ua(r, (*SDK_UAS, "curl/8.{v}.1")),
            lang_for(r, g, 0.6),
            g,
            coder=r.uniform(0.2, 0.8),
        )
        tz = r.uniform(-8, 9)
        first = pace_sessions(r, created, created + 1.5 * DAY, (5, 30), tz, (8, 24), (3, 10), 100)
        later = pace_sessions(
            r, created + 1.5 * DAY, end, (0, 3), tz, (8, 24), (1, 3), 100, active=0.4
        )
        a.times = first + later
        accounts.append(a)
    for j in range(n_of("research")):
        r = random.Random(root.random())
        a = new(
            "research",
            j,
            _old(r),
            Network(r, "sticky"),
            ua(r, SCRIPT_UAS[:3]),
            "en",
            template=r.choice(G.RESEARCH_TEMPLATES[split]),
        )
        a.times = []
        for day in range(days):
            if r.random() < 0.7 or (not a.times and day == days - 1):  # a suite a run
                t0 = START + day * DAY + r.uniform(0, 20) * HOUR
                a.times += pace_metronome(
                    r, t0, t0 + r.uniform(0.5, 3) * HOUR, r.uniform(2, 8), 0.1
                )
        accounts.append(a)
    for a in accounts:
        a.times = [t for t in a.times if START <= t < end]
    if cfg.warmup:
        warm_up(accounts)
    return accounts


def warm_up(accounts: list[Account]) -> None:
    """One unmeasured request per account that existed before the run, weeks earlier:
    without a creation header the middleware's youth is "first seen here", and an
    established account was first seen long ago (an aged adaptive account: when it was
    aged). Its trait shares start from the prior, as after a long idle time."""
    for a in accounts:
        if a.family in LEGIT and a.created < START - 7 * DAY and a.times:
            t = max(a.created, START - a.rng.uniform(7, 25) * DAY)  # within retention (30 d)
        elif a.family == "adaptive" and a.state.get("aged") and a.times:
            t = a.created
        else:
            continue
        a.times.insert(0, t)
        a.warm = 1


def events(accounts: list[Account]) -> Iterator[tuple[float, Account]]:
    """Every account's requests in time order (a heap merge, lazily)."""
    heap = [(a.times[0], i, 0) for i, a in enumerate(accounts) if a.times]
    heapq.heapify(heap)
    while heap:
        t, i, k = heapq.heappop(heap)
        yield t, accounts[i]
        if k + 1 < len(accounts[i].times):
            heapq.heappush(heap, (accounts[i].times[k + 1], i, k + 1))
