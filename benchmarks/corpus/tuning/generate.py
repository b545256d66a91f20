# ruff: noqa: E501  (artefact templates and banks: one item per line)
"""Labelled requests for tuning the request classifiers (ELICIT, FOCUS), with validation
sources held out by wording.

    python benchmarks/corpus/tuning/generate.py [--seed 7] [--out tuning.jsonl]

Stdlib only, seeded: the same seed writes the same file. One JSON object per line:
``id, source, split, lang, population, system, user, tools, elicit, focus``.

Labels come from what each part is (a bank of coding tasks, of reasoning demands, of
casual questions, of traps; see banks.py), never from the classifiers. The definitions:

- ELICIT: the request asks the model to expose its reasoning process (step-by-step
  reasoning, full chain of thought, every intermediate step or deduction, thinking aloud,
  scratchpad, show your work, how it arrived at each step). "Explain X" / "why does X"
  without asking for the process is not eliciting.
- FOCUS: software engineering or agentic work (code, debugging with traces or errors,
  shell/devops/SQL/regex, API and tool use, multi-step agent tasks, algorithms in code).
  Maths without code, science, writing, business and cooking are not.

The ``blind`` source (banks_blind.py) was written after the lexicon's first version and
measured before it was changed for it (see that file). Sources are split by wording
(leave-sources-out): the ``tune`` sources draw the even items
of every bank and one set of artefact kinds (Python, JavaScript, SQL, shell, diffs, Python
tracebacks); the ``validate`` sources draw the odd items and the other artefact kinds (Go,
Rust, Java, YAML, Java and Go and Node traces, file lists), in other registers.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
from collections.abc import Callable
from pathlib import Path

HERE = Path(__file__).resolve().parent
sys.path.insert(0, str(HERE))

from banks import (  # noqa: E402
    BUSINESS,
    BUSINESS_REASONING,
    CASUAL,
    CODE,
    DEMAND,
    FORMAT,
    LANGS,
    MATH,
    MATH_STEPS,
    PERSONAL,
    ROLE,
    TASK_LABEL,
    TRAP_ELICIT,
    TRAP_FOCUS,
    halves,
)
from banks_blind import (  # noqa: E402
    B2_CODE,
    B2_DEMAND,
    B2_HONEST,
    B2_MATH_STEPS,
    B3_CODE,
    B3_DEMAND,
    B3_HONEST,
    B3_MATH_STEPS,
    B4_CODE,
    B4_DEMAND,
    B4_HONEST,
    B4_MATH_STEPS,
    B_CODE,
    B_DEMAND,
    B_HONEST,
    B_MATH_STEPS,
)

CJK = ("zh", "ja")

# --------------------------------------------------------------------------- artefacts
NAMES = ["order", "invoice", "session", "user", "cart", "token", "payload", "record", "queue",
         "cache", "report", "ledger", "shipment", "profile"]  # fmt: skip
VERBS = ["load", "parse", "merge", "fetch", "build", "sync", "flush", "resolve", "render"]


def _ident(rng: random.Random, style: str) -> str:
    a, b = rng.choice(VERBS), rng.choice(NAMES)
    if style == "snake":
        return f"{a}_{b}"
    if style == "camel":
        return a + b.capitalize()
    return a.capitalize() + b.capitalize()


def py_code(rng: random.Random) -> str:
    fn = _ident(rng, "snake")
    body = [f"def {fn}(items, limit={rng.randint(2, 99)}):", "    out = []"]
    for _ in range(rng.randint(1, 5)):
        body.append(f"    for x in items[:limit]:\n        out.append(x.{rng.choice(NAMES)}_id)")
    body.append("    return out")
    return "```python\n" + "\n".join(body) + "\n```"


def js_code(rng: random.Random) -> str:
    fn = _ident(rng, "camel")
    return (
        f"```js\nconst {fn} = async (id) => {{\n  const res = await fetch(`/api/{rng.choice(NAMES)}/${{id}}`);\n"
        f"  if (!res.ok) throw new Error(res.statusText);\n  return res.json();\n}};\n```"
    )


def sql_code(rng: random.Random) -> str:
    t = rng.choice(NAMES)
    return (
        f"SELECT c.id, MAX(o.created_at) AS last_{t}\nFROM customers c\n"
        f"LEFT JOIN {t}s o ON o.customer_id = c.id\nGROUP BY c.id;"
    )


def shell_session(rng: random.Random) -> str:
    return rng.choice([
        "$ pip install -r requirements.txt\nERROR: Could not find a version that satisfies the requirement torch==2.9.9",
        "$ npm run build\n> tsc -p .\nsrc/index.ts(12,5): error TS2322: Type 'string' is not assignable to type 'number'.",
        "$ git push origin main\n! [rejected]        main -> main (non-fast-forward)",
        "$ docker compose up\nError response from daemon: port is already allocated",
    ])  # fmt: skip


def py_traceback(rng: random.Random) -> str:
    fn = _ident(rng, "snake")
    return (
        "Traceback (most recent call last):\n"
        f'  File "app/{rng.choice(NAMES)}s.py", line {rng.randint(10, 400)}, in {fn}\n'
        f"    return self.{rng.choice(NAMES)}[key]\n"
        f"KeyError: '{rng.choice(NAMES)}_id'"
    )


def diff(rng: random.Random) -> str:
    f = rng.choice(NAMES)
    return (
        f"--- a/src/{f}.py\n+++ b/src/{f}.py\n@@ -10,7 +10,7 @@\n"
        f"-    if {f} is None:\n+    if not {f}:\n         return []"
    )


def go_code(rng: random.Random) -> str:
    fn = _ident(rng, "pascal")
    return (
        f"```go\nfunc {fn}(ctx context.Context, ch <-chan int) error {{\n"
        "\tfor {\n\t\tselect {\n\t\tcase v := <-ch:\n\t\t\t_ = v\n\t\t}\n\t}\n}\n```"
    )


def rust_code(rng: random.Random) -> str:
    fn = _ident(rng, "snake")
    return (
        f"fn {fn}(v: Vec<String>) -> Vec<String> {{\n    v.iter().map(|s| s.clone()).collect()\n}}"
    )


def java_code(rng: random.Random) -> str:
    cls = _ident(rng, "pascal")
    return (
        f"public class {cls} {{\n    private final Map<String, Integer> counts = new HashMap<>();\n"
        f"    public int get(String key) {{ return counts.getOrDefault(key, 0); }}\n}}"
    )


def yaml_manifest(rng: random.Random) -> str:
    n = rng.choice(NAMES)
    return (
        f"apiVersion: apps/v1\nkind: Deployment\nmetadata:\n  name: {n}-api\nspec:\n"
        f"  replicas: {rng.randint(1, 5)}\n  template:\n    spec:\n      containers:\n"
        f"        - name: {n}\n          image: registry.local/{n}:1.{rng.randint(0, 9)}"
    )


def java_trace(rng: random.Random) -> str:
    cls = _ident(rng, "pascal")
    return (
        'Exception in thread "main" java.lang.NullPointerException\n'
        f"\tat com.acme.{rng.choice(NAMES)}.{cls}.run({cls}.java:{rng.randint(10, 300)})\n"
        "\tat com.acme.Main.main(Main.java:14)"
    )


def go_panic(rng: random.Random) -> str:
    return (
        "panic: runtime error: invalid memory address or nil pointer dereference\n"
        "[signal SIGSEGV: segmentation violation]\n\ngoroutine 1 [running]:\n"
        f"main.{_ident(rng, 'camel')}(...)\n\t/src/{rng.choice(NAMES)}/main.go:{rng.randint(5, 90)} +0x1d"
    )


def node_error(rng: random.Random) -> str:
    return (
        f"TypeError: Cannot read properties of undefined (reading '{rng.choice(NAMES)}')\n"
        f"    at {_ident(rng, 'camel')} (/srv/app/{rng.choice(NAMES)}.js:{rng.randint(3, 120)}:17)"
    )


def file_list(rng: random.Random) -> str:
    files = rng.sample(["src/main.rs", "Cargo.toml", "internal/store/cache.go", "pkg/api/handler.go",
                        "web/App.tsx", "pom.xml", "build.gradle", "Dockerfile", "src/lib/util.kt"], 3)  # fmt: skip
    return "Relevant files: " + ", ".join(files)


TUNE_ARTEFACTS: list[Callable[[random.Random], str]] = [
    py_code,
    js_code,
    sql_code,
    shell_session,
    py_traceback,
    diff,
]
VALIDATE_ARTEFACTS: list[Callable[[random.Random], str]] = [
    go_code,
    rust_code,
    java_code,
    yaml_manifest,
    java_trace,
    go_panic,
    node_error,
    file_list,
]

IDE_SYSTEM = [
    (
        "You are CodePilot, an AI pair programmer embedded in the user's editor. You can read "
        "the open files, the terminal and the project tree. Follow the user's conventions, "
        "prefer minimal diffs, never invent APIs, and answer with code blocks followed by a "
        "short explanation. When you edit files, call the apply_patch tool. "
    )
    * 10,
    (
        "## Role\nYou are Forge, a coding assistant running inside a JetBrains IDE.\n"
        "## Rules\n- Keep answers short.\n- Use the workspace's language and framework.\n"
        "- Prefer editing existing files over creating new ones.\n- Never run destructive "
        "commands without asking.\n"
    )
    * 8,
]
TENANT_SYSTEM = (
    "You are Tripsy, a friendly travel and lifestyle assistant inside the Tripsy app. "
    "Be concise, warm and practical; suggest concrete options with prices when you can. "
) * 5
TOOL_SPECS = [
    'You can call these tools:\n- search_code(query: str) -> list[Match]\n- run_tests(path: str) -> Report\n- apply_patch(diff: str)',
    'Tools available (JSON schema):\n{"name": "run_shell", "parameters": {"type": "object", "properties": {"cmd": {"type": "string"}}}}',
    "Available functions: read_file(path), write_file(path, content), list_dir(path). Call them as needed.",
]  # fmt: skip
AGENT_TASKS = [
    "Break the task into sub-tasks and execute them one by one: upgrade the project to Django 5 and fix what breaks.",
    "Find the failing test in the repository, patch the code, and rerun the test suite until it is green.",
    "Set up CI for this monorepo: lint, type-check and test each package, then report which steps failed.",
    "Investigate why the nightly ETL job times out, using the logs and the shell, and propose a fix.",
    "Crawl the docs folder, list every public function without a docstring, and open a pull request adding them.",
    "Migrate the config loader from YAML to TOML across all services and update the tests.",
]  # fmt: skip

# --------------------------------------------------------------------------- noise
SPACES = ["\u00a0", "\n", "\t", "  ", "\u202f", "\r\n", " \n "]


def perturb(text: str, rng: random.Random, rate: float) -> str:
    """Spaces in natural-language text replaced by NBSP, line breaks, tabs and runs, as
    copy-paste and hand-rolled clients leave them."""
    if rng.random() > rate:
        return text
    out = []
    for ch in text:
        if ch == " " and rng.random() < 0.35:
            out.append(rng.choice(SPACES))
        else:
            out.append(ch)
    return "".join(out)


def join(parts: list[str], rng: random.Random) -> str:
    sep = rng.choice([" ", "\n", "\n\n", "\u00a0", " \n", "\t"])
    if rng.random() < 0.2:
        return "\n".join(f"- {p}" for p in parts)
    if rng.random() < 0.15:
        return "\n\n".join(f"**{i + 1}.** {p}" for i, p in enumerate(parts))
    return sep.join(parts)


def casing(text: str, rng: random.Random) -> str:
    r = rng.random()
    if r < 0.1:
        return text.lower()
    if r < 0.13:
        return text.upper()
    return text


def pick(bank: dict[str, list[str]], lang: str, rng: random.Random) -> str:
    return rng.choice(bank[lang])


def rec(source: str, split: str, lang: str, pop: str, user: str, elicit: bool, focus: bool,
        system: str = "", tools: int = 0) -> dict[str, object]:  # fmt: skip
    return {"source": source, "split": split, "lang": lang, "population": pop, "system": system,
            "user": user, "tools": tools, "elicit": int(elicit), "focus": int(focus)}  # fmt: skip


# --------------------------------------------------------------------------- tuning sources


def harvest_wrapper(rng: random.Random, n: int) -> list[dict[str, object]]:
    """Paraphrasing harvester: role, reasoning demand, task, format, shuffled; sometimes the
    demand sits in the system prompt, sometimes the task is in another language."""
    code, demand = halves(CODE, 0), halves(DEMAND, 0)
    out = []
    for _ in range(n):
        lang = rng.choice(LANGS)
        task_lang = rng.choice(LANGS) if rng.random() < 0.15 else lang
        task = f"{TASK_LABEL[task_lang]} {pick(code, task_lang, rng)}"
        if rng.random() < 0.4:
            task += "\n\n" + rng.choice(TUNE_ARTEFACTS)(rng)
        d = perturb(pick(demand, lang, rng), rng, 0.4)
        parts = [pick(ROLE, lang, rng), d, pick(FORMAT, lang, rng)]
        rng.shuffle(parts)
        system = ""
        if rng.random() < 0.3:
            system, parts = join(parts, rng), []
        user = join([*parts, task], rng) if parts else task
        tag = lang if task_lang == lang else "mixed"
        out.append(rec("harvest_wrapper", "tune", tag, "attack", user, True, True, system))
    return out


def ide_assistant(rng: random.Random, n: int) -> list[dict[str, object]]:
    """IDE-assistant users: a long shared system prompt, coding requests with code, traces
    and diffs, no reasoning demand."""
    code = halves(CODE, 0)
    out = []
    for _ in range(n):
        lang = rng.choice(LANGS)
        user = casing(perturb(pick(code, lang, rng), rng, 0.3), rng)
        if rng.random() < 0.7:
            user += rng.choice(["\n\n", "\n", ":\n"]) + rng.choice(TUNE_ARTEFACTS)(rng)
        tools = rng.choice([0, 0, 1, 3])
        out.append(
            rec("ide_assistant", "tune", lang, "ide", user, False, True, IDE_SYSTEM[0], tools)
        )
    return out


def casual_chat(rng: random.Random, n: int) -> list[dict[str, object]]:
    """Everyday questions, with the reasoning and software words in their ordinary senses."""
    banks = [halves(CASUAL, 0), halves(TRAP_ELICIT, 0), halves(TRAP_FOCUS, 0), halves(BUSINESS, 0)]
    out = []
    for _ in range(n):
        bank = rng.choice(banks)
        lang = rng.choice(sorted(bank))
        user = casing(perturb(pick(bank, lang, rng), rng, 0.3), rng)
        system = TENANT_SYSTEM if rng.random() < 0.3 else ""
        out.append(rec("casual_chat", "tune", lang, "casual", user, False, False, system))
    return out


def math_tutor(rng: random.Random, n: int) -> list[dict[str, object]]:
    """Maths without code; half ask to see the steps (elicit yes, focus no)."""
    math, steps = halves(MATH, 0), halves(MATH_STEPS, 0)
    out = []
    for _ in range(n):
        lang = rng.choice(LANGS)
        asks = rng.random() < 0.5
        parts = [pick(math, lang, rng)]
        if asks:
            parts.append(perturb(pick(steps, lang, rng), rng, 0.4))
        out.append(rec("math_tutor", "tune", lang, "newbie", join(parts, rng), asks, False))
    return out


def agent_tools(rng: random.Random, n: int) -> list[dict[str, object]]:
    """Agent loops: tool specs in the request (as text or as tool definitions)."""
    out = []
    for i in range(n):
        task = AGENT_TASKS[(2 * i) % len(AGENT_TASKS)]
        spec = rng.choice(TOOL_SPECS)
        if rng.random() < 0.5:
            user, system, tools = task, spec, rng.choice([0, 2, 5])
        else:
            user, system, tools = f"{spec}\n\n{task}", "", 0
        out.append(rec("agent_tools", "tune", "en", "agent", user, False, True, system, tools))
    return out


BATCH = [
    ("Classify the following support ticket into billing, shipping, returns or other. "
     "Answer with the label only.\n\nTicket #{n}: my parcel has not arrived after two weeks"),
    ('Extract the name, date and amount from this receipt and return JSON with keys "name", '
     '"date", "amount".\n\nReceipt {n}: Café Lumière, 2026-03-04, EUR 12.40'),
    "Translate into German: 'Your order #{n} has shipped and will arrive on Thursday.'",
    "Rate the sentiment of review {n} from 1 to 5: 'Lovely staff, but the room was tiny.'",
]  # fmt: skip


def batch_jobs(rng: random.Random, n: int) -> list[dict[str, object]]:
    """Enterprise batch templates: structured output, no code, no reasoning."""
    return [rec("batch_jobs", "tune", "en", "batch", rng.choice(BATCH).format(n=rng.randint(1, 10**6)),
                False, False) for _ in range(n)]  # fmt: skip


# --------------------------------------------------------------------------- validation sources


def lowslow_study(rng: random.Random, n: int) -> list[dict[str, object]]:
    """Low-and-slow harvester: a person's own study or work framing, conversational."""
    code, demand = halves(CODE, 1), halves(DEMAND, 1)
    out = []
    for _ in range(n):
        lang = rng.choice(LANGS)
        parts = [
            pick(PERSONAL, lang, rng),
            pick(code, lang, rng),
            perturb(pick(demand, lang, rng), rng, 0.5),
        ]
        if rng.random() < 0.5:
            parts[1], parts[2] = parts[2], parts[1]
        user = casing(join(parts, rng), rng)
        if rng.random() < 0.3:
            user += "\n\n" + rng.choice(VALIDATE_ARTEFACTS)(rng)
        out.append(rec("lowslow_study", "validate", lang, "attack", user, True, True))
    return out


def newbie_forum(rng: random.Random, n: int) -> list[dict[str, object]]:
    """New users asking for coding help in their own words; some want it step by step."""
    code, demand = halves(CODE, 1), halves(DEMAND, 1)
    openers = {"en": ["hey, quick question:", "newbie here -", "sorry if this is dumb,"],
               "es": ["hola, una duda:"], "ru": ["привет, вопрос:"], "de": ["Hallo, kurze Frage:"],
               "fr": ["salut, petite question :"], "pt": ["oi, uma dúvida:"], "zh": ["请教一下，"],
               "ja": ["初心者です。"], "ko": ["초보 질문입니다."]}  # fmt: skip
    out = []
    for _ in range(n):
        lang = rng.choice(LANGS)
        asks = rng.random() < 0.4
        parts = [pick(openers, lang, rng), pick(code, lang, rng)]
        if asks:
            parts.append(perturb(pick(demand, lang, rng), rng, 0.5))
        user = casing(join(parts, rng), rng)
        if rng.random() < 0.6:
            user += "\n" + rng.choice(VALIDATE_ARTEFACTS)(rng)
        out.append(rec("newbie_forum", "validate", lang, "newbie", user, asks, True))
    return out


def casual_forum(rng: random.Random, n: int) -> list[dict[str, object]]:
    banks = [halves(CASUAL, 1), halves(TRAP_ELICIT, 1), halves(TRAP_FOCUS, 1), halves(BUSINESS, 1)]
    out = []
    for _ in range(n):
        bank = rng.choice(banks)
        lang = rng.choice(sorted(bank))
        user = casing(perturb(pick(bank, lang, rng), rng, 0.5), rng)
        if rng.random() < 0.3:
            user = rng.choice(["Quick question. ", "Hi! ", "Thanks in advance: "]) + user
        out.append(rec("casual_forum", "validate", lang, "casual", user, False, False))
    return out


def mixed_language(rng: random.Random, n: int) -> list[dict[str, object]]:
    """Code-switching: the demand in one language, the task in another, or a question in
    one language with English technical terms."""
    code, demand, casual = halves(CODE, 1), halves(DEMAND, 1), halves(CASUAL, 1)
    out = []
    for _ in range(n):
        a, b = rng.sample(LANGS, 2)
        kind = rng.random()
        if kind < 0.5:
            user = join([perturb(pick(demand, a, rng), rng, 0.5), pick(code, b, rng)], rng)
            out.append(rec("mixed_language", "validate", "mixed", "attack", user, True, True))
        elif kind < 0.75:
            user = join([pick(code, a, rng), pick(code, b, rng)], rng)
            out.append(rec("mixed_language", "validate", "mixed", "ide", user, False, True))
        else:
            user = join([pick(casual, a, rng), pick(casual, b, rng)], rng)
            out.append(rec("mixed_language", "validate", "mixed", "casual", user, False, False))
    return out


def science_exam(rng: random.Random, n: int) -> list[dict[str, object]]:
    """Maths and business questions in another register; some ask for the working."""
    math, steps = halves(MATH, 1), halves(MATH_STEPS, 1)
    biz, bizr = halves(BUSINESS, 1), halves(BUSINESS_REASONING, 1)
    out = []
    for _ in range(n):
        if rng.random() < 0.7:
            lang = rng.choice(sorted(math))
            asks = rng.random() < 0.5
            parts = [pick(math, lang, rng)] + (
                [perturb(pick(steps, lang, rng), rng, 0.5)] if asks else []
            )
            user = join(parts, rng)
        else:
            asks = rng.random() < 0.5
            bank = bizr if asks else biz
            lang = rng.choice(sorted(bank))
            user = perturb(pick(bank, lang, rng), rng, 0.5)
        out.append(rec("science_exam", "validate", lang, "newbie", user, asks, False))
    return out


def ide_validate(rng: random.Random, n: int) -> list[dict[str, object]]:
    """IDE users of another assistant: its own system prompt, other artefact kinds."""
    code = halves(CODE, 1)
    out = []
    for i in range(n):
        lang = rng.choice(LANGS)
        user = perturb(pick(code, lang, rng), rng, 0.3)
        if rng.random() < 0.7:
            user += "\n\n" + rng.choice(VALIDATE_ARTEFACTS)(rng)
        if rng.random() < 0.3:
            user = AGENT_TASKS[(2 * i + 1) % len(AGENT_TASKS)]
            lang = "en"
        out.append(rec("ide_validate", "validate", lang, "ide", user, False, True, IDE_SYSTEM[1],
                       rng.choice([0, 0, 2])))  # fmt: skip
    return out


def blind_mix(rng: random.Random, n: int, which: int = 1) -> list[dict[str, object]]:
    """The blind banks (banks_blind.py): harvests, coding, honest questions, maths with
    working, in every language and mixed, with the same whitespace noise."""
    if which == 4:
        return _blind(rng, n, "blind4_mix", "blind4", B4_DEMAND, B4_CODE, B4_HONEST, B4_MATH_STEPS)
    if which == 3:
        return _blind(rng, n, "blind3_mix", "blind3", B3_DEMAND, B3_CODE, B3_HONEST, B3_MATH_STEPS)
    if which == 2:
        return _blind(rng, n, "blind2_mix", "blind2", B2_DEMAND, B2_CODE, B2_HONEST, B2_MATH_STEPS)
    return _blind(rng, n, "blind_mix", "blind", B_DEMAND, B_CODE, B_HONEST, B_MATH_STEPS)


def _blind(rng: random.Random, n: int, source: str, split: str, demand: dict[str, list[str]],
           code: dict[str, list[str]], honest: dict[str, list[str]],
           steps: dict[str, list[str]]) -> list[dict[str, object]]:  # fmt: skip
    B_DEMAND, B_CODE, B_HONEST, B_MATH_STEPS = demand, code, honest, steps
    out = []
    for _ in range(n):
        lang = rng.choice(LANGS)
        kind = rng.random()
        if kind < 0.3:
            b = rng.choice(LANGS) if rng.random() < 0.2 else lang
            parts = [perturb(pick(B_DEMAND, lang, rng), rng, 0.4), pick(B_CODE, b, rng)]
            rng.shuffle(parts)
            user = join(parts, rng)
            if rng.random() < 0.3:
                user += "\n\n" + rng.choice(TUNE_ARTEFACTS + VALIDATE_ARTEFACTS)(rng)
            tag = lang if b == lang else "mixed"
            out.append(rec(source, split, tag, "attack", user, True, True))
        elif kind < 0.55:
            user = perturb(pick(B_CODE, lang, rng), rng, 0.3)
            out.append(rec(source, split, lang, "ide", user, False, True))
        elif kind < 0.85:
            user = casing(perturb(pick(B_HONEST, lang, rng), rng, 0.4), rng)
            out.append(rec(source, split, lang, "casual", user, False, False))
        else:
            user = perturb(pick(B_MATH_STEPS, lang, rng), rng, 0.4)
            out.append(rec(source, split, lang, "newbie", user, True, False))
    return out


SOURCES: dict[str, tuple[Callable[[random.Random, int], list[dict[str, object]]], int]] = {
    "harvest_wrapper": (harvest_wrapper, 400),
    "ide_assistant": (ide_assistant, 300),
    "casual_chat": (casual_chat, 400),
    "math_tutor": (math_tutor, 200),
    "agent_tools": (agent_tools, 60),
    "batch_jobs": (batch_jobs, 60),
    "lowslow_study": (lowslow_study, 300),
    "newbie_forum": (newbie_forum, 300),
    "casual_forum": (casual_forum, 400),
    "mixed_language": (mixed_language, 200),
    "science_exam": (science_exam, 200),
    "ide_validate": (ide_validate, 200),
    "blind_mix": (blind_mix, 600),
    "blind2_mix": (lambda rng, n: blind_mix(rng, n, 2), 600),
    "blind3_mix": (lambda rng, n: blind_mix(rng, n, 3), 600),
    "blind4_mix": (lambda rng, n: blind_mix(rng, n, 4), 600),
}


def generate(seed: int) -> list[dict[str, object]]:
    rng = random.Random(seed)
    rows: list[dict[str, object]] = []
    for name, (make, n) in SOURCES.items():
        part = make(random.Random(f"{seed}:{name}:{rng.random()}"), n)
        rows += part
    for i, r in enumerate(rows):
        r["id"] = f"t{seed}-{i:05d}"
    return rows


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seed", type=int, default=7)
    ap.add_argument("--out", type=Path, default=HERE / "tuning.jsonl")
    ap.add_argument("--sample", type=Path, help="also write a sample of the held-out splits here")
    ap.add_argument("--per-split", type=int, default=90, help="rows per held-out split")
    args = ap.parse_args(argv)
    rows = generate(args.seed)
    if args.sample:
        write(args.sample, sample(rows, args.per_split, args.seed))
    write(args.out, rows)
    return 0


def sample(rows: list[dict[str, object]], per_split: int, seed: int) -> list[dict[str, object]]:
    """A seeded sample of every split but ``tune`` (the rows tests/test_signals.py
    checks the classifiers on); the long system prompts are dropped to keep it small."""
    rng = random.Random(f"sample:{seed}")
    out: list[dict[str, object]] = []
    for split in sorted({str(r["split"]) for r in rows} - {"tune"}):
        part = [r for r in rows if r["split"] == split]
        out += [{**r, "system": ""} for r in rng.sample(part, min(per_split, len(part)))]
    return out


def write(path: Path, rows: list[dict[str, object]]) -> None:
    with path.open("w", encoding="utf-8") as f:
        for r in rows:
            f.write(json.dumps(r, ensure_ascii=False, sort_keys=True) + "\n")
    print(f"{len(rows)} requests -> {path}", file=sys.stderr)


if __name__ == "__main__":
    sys.exit(main())
