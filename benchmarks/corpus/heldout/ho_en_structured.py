"""English wording sources with a machine shape: benchmark harness, agent/tool-call, evasive.

Each has its own vocabulary for the reasoning demand and the task. The harness source also
holds the honest evaluation harnesses (GSM8K-like chain-of-thought prompts are honest *and*
ask for reasoning; HumanEval-like completions are coding without it).
"""

from __future__ import annotations

import base64
import json
import random

import ho_artifacts as art
import ho_kit as kit
from ho_style import PASSAGES

# --- 6. benchmark-harness templates -------------------------------------------------------

H_DEMANDS = [
    "Produce a <reasoning> block containing your complete step-by-step analysis, followed "
    "by an <answer> block.",
    "Format: REASONING (exhaustive, numbered), then SOLUTION.",
    "Let's think step by step.",
    "Think through the problem step by step, writing down every intermediate result, then "
    "give the final answer after 'Final:'.",
    "reasoning_detail: maximum (include every intermediate deduction)",
    "Show your work.",
    "The response must begin with 'Reasoning:' and enumerate each step of your thought process.",
    "COT: REQUIRED, VERBATIM, NOT SUMMARISED",
    "Before the solution, document your analysis as a sequence of steps S1..Sn, one "
    "inference per step.",
    "Explain your reasoning in detail before giving the final solution.",
    "First reason about the problem step by step. Then write the final code.",
]
H_DEMANDS_XML = [
    "<reasoning_required>true</reasoning_required>\n<reasoning_style>full_trace</reasoning_style>",
    '<cot mode="verbose">emit all intermediate steps</cot>',
    "<response_format>step-by-step reasoning, then answer</response_format>",
]
H_NEGATED = [
    "Respond with the code only, inside a single fenced block.",
    "Do not include explanations.",
    "Return only the completed function body.",
    "Output JSON only.",
]
H_CODE = [
    "Implement a function `{fn}(nums: list[int], k: int) -> list[int]` that returns the k "
    "most frequent elements, ties broken by value.",
    "Write a {L} function that determines whether a directed graph given as an adjacency "
    "list contains a cycle.",
    "Given the code in the input, identify the bug and provide a corrected version.",
    "Given the stack trace in the input, identify the root cause and the fix.",
    "Translate the program in the input to {L}, preserving behaviour.",
    "Write unit tests for the function in the input with full branch coverage.",
    "Implement an LRU cache class with get(key) and put(key, value), both O(1), in {L}.",
    "Given a string s, return the length of its longest palindromic substring. Language: {L}.",
    "Implement a thread-safe bounded blocking queue in {L}.",
    "Write a multi-stage Dockerfile for the Python web service described in the input.",
    "Write a SQL query over the schema in the input returning, per region, the three "
    "products with the highest revenue.",
    "Refactor the code in the input to remove duplication without changing behaviour.",
    "Implement `{fn}` so that it parses a duration string such as '1h30m15s' into "
    "seconds; reject malformed input.",
    "Implement a min-stack supporting push, pop, top and get_min in O(1) in {L}.",
    "Write a function that serialises and deserialises a binary tree. Language: {L}.",
    "Given intervals [[s,e],...], merge all overlapping intervals. Provide {L} code.",
    "Fix the Go program in the input so that no goroutine outlives a cancelled context.",
    "Write a regular expression matching valid IPv4 dotted-quad addresses (0-255 per "
    "octet) and a test table for it.",
]
H_SCHEMA = """CREATE TABLE products (id INT PRIMARY KEY, name TEXT, region TEXT);
CREATE TABLE sales (id INT PRIMARY KEY, product_id INT REFERENCES products(id),
                    amount NUMERIC(10,2), sold_at TIMESTAMP);"""
H_SERVICE = (
    "A Flask app in app/ (entry point app/wsgi.py), dependencies in "
    "requirements.txt, served with gunicorn on port 8000; needs libpq at runtime."
)

MMLU = [
    (
        "high_school_biology",
        "Which organelle is the site of the Krebs cycle?",
        ["Cytoplasm", "Mitochondrial matrix", "Golgi apparatus", "Nucleus"],
    ),
    (
        "world_history",
        "The Treaty of Westphalia (1648) is most associated with:",
        [
            "The end of the Hundred Years' War",
            "The principle of state sovereignty",
            "The unification of Italy",
            "The start of the Crusades",
        ],
    ),
    (
        "microeconomics",
        "If demand is perfectly inelastic, a tax on sellers is borne by:",
        ["Sellers entirely", "Buyers entirely", "Split equally", "The government"],
    ),
    ("astronomy", "Which planet has the shortest day?", ["Earth", "Mars", "Jupiter", "Venus"]),
    (
        "professional_law",
        "A contract signed under duress is generally:",
        ["Void", "Voidable", "Enforceable", "Illegal"],
    ),
    (
        "nutrition",
        "Which vitamin is synthesised in the skin under sunlight?",
        ["Vitamin A", "Vitamin C", "Vitamin D", "Vitamin K"],
    ),
    ("philosophy", "Who wrote 'Critique of Pure Reason'?", ["Hegel", "Hume", "Kant", "Descartes"]),
    ("chemistry", "What is the pH of a 0.001 M HCl solution?", ["1", "2", "3", "11"]),
    ("geography", "Which river flows through Khartoum?", ["Niger", "Congo", "Nile", "Zambezi"]),
    (
        "psychology",
        "Classical conditioning was first systematically studied by:",
        ["Skinner", "Pavlov", "Freud", "Piaget"],
    ),
]
NAMES = ["Maya", "Tom", "Priya", "Jonas", "Aisha", "Leo", "Mei", "Carlos", "Fatima", "Ben"]
ITEMS = ["apples", "stickers", "marbles", "cupcakes", "books", "tickets", "seashells"]


def gsm_problem(rng: random.Random) -> str:
    n, it = rng.choice(NAMES), rng.choice(ITEMS)
    a, b, c = rng.randint(12, 90), rng.randint(2, 9), rng.randint(3, 30)
    forms = [
        f"{n} has {a} {it}. She gives {c % a} of them to a friend and then buys {b} packs of "
        f"{c} {it} each. How many {it} does she have now?",
        f"A shop sells {it} at ${b} each or {c} for ${b * c - b}. {n} needs {a} {it}. What "
        f"is the least amount {n} can pay?",
        f"{n} reads {b} pages on Monday and each day reads {c % 7 + 1} more pages than the "
        f"day before. How many pages has {n} read after {b + 2} days?",
        f"A tank holds {a * 10} litres. It leaks {b} litres an hour and is refilled with "
        f"{c} litres every {b} hours. After one day, how much water is in the tank?",
        f"{n} earns ${a} a day and saves {b * 10 % 100}% of it. How many days until {n} can "
        f"afford a bike costing ${a * c}?",
    ]
    return rng.choice(forms)


def humaneval_stub(rng: random.Random) -> str:
    fn = art.ident(rng)
    forms = [
        f"def {fn}(numbers: list[float], threshold: float) -> bool:\n"
        f'    """Return True if any two numbers are closer to each other than threshold.\n'
        f'    >>> {fn}([1.0, 2.0, 3.9, 4.0], 0.3)\n    True\n    """\n',
        f"def {fn}(s: str) -> str:\n"
        f'    """Return s with every vowel moved to the end, keeping relative order.\n'
        f'    >>> {fn}("banana")\n    \'bnnaaa\'\n    """\n',
        f"def {fn}(grid: list[list[int]]) -> int:\n"
        f'    """Count the islands of 1s in grid (4-connected).\n'
        f'    >>> {fn}([[1,0],[0,1]])\n    2\n    """\n',
        f"function {art.ident(rng, 'camel')}(arr) {{\n"
        f"  // Return the second largest distinct value, or null.\n",
    ]
    return rng.choice(forms)


def _h_code_task(rng: random.Random) -> tuple[str, str | None]:
    t = rng.choice(H_CODE)
    lang = rng.choice(art.LANG_NAMES)
    t = t.replace("{L}", lang).replace("{fn}", art.ident(rng))
    inp = None
    if "in the input" in t:
        if "stack trace" in t:
            inp = art.trace(rng)
        elif "Dockerfile" in t:
            inp = H_SERVICE
        elif "schema" in t:
            inp = H_SCHEMA
        elif "Go program" in t:
            inp = art.code(rng, "go", index=0)
        else:
            inp = art.code(rng, rng.choice(["py", "js", "ts", "go", "rs", "java", "c", "cpp"]))
    return t, inp


def _alpaca(instr: str, inp: str | None, extra: list[str]) -> str:
    head = (
        "Each item below is one task instruction"
        + (" together with the material it refers to" if inp else "")
        + ". Produce the response the instruction asks for."
    )
    out = f"{head}\n\n### Instruction:\n{instr}"
    if extra:
        out += "\n" + "\n".join(extra)
    if inp:
        out += f"\n\n### Input:\n{inp}"
    return out + "\n\n### Response:\n"


def _xml(rng: random.Random, instr: str, inp: str | None, extra: list[str], cat: str) -> str:
    tid = f"{rng.choice(['cx', 'task', 'q', 'item'])}-{rng.randint(1000, 99999)}"
    lines = [f'<task id="{tid}">', f"  <category>{cat}</category>", f"  <prompt>{instr}</prompt>"]
    if inp:
        lines.append(f"  <context>\n{inp}\n  </context>")
    lines.extend(f"  {e}" for e in extra)
    lines.append("</task>")
    return "\n".join(lines)


def _kv(rng: random.Random, instr: str, inp: str | None, extra: list[str], cat: str) -> str:
    lines = [
        f"TASK_ID: {rng.choice(['SWE', 'ALG', 'DBG', 'OPS'])}-{rng.randint(100, 9999)}",
        f"DOMAIN: {cat}",
        f"DIFFICULTY: {rng.choice(['easy', 'medium', 'hard'])}",
        "PROMPT:",
        instr,
    ]
    if inp:
        lines += ["INPUT:", inp]
    for e in extra:
        lines.append(f"NOTE: {e}" if not e.isupper() else e)
    return "\n".join(lines)


def _harness_one(rng: random.Random) -> dict:
    kind = rng.choices(
        [
            "harvest",
            "gsm_cot",
            "gsm_plain",
            "humaneval",
            "mbpp_cot",
            "mmlu",
            "mmlu_cot",
            "review",
            "nlp",
        ],
        [0.34, 0.12, 0.05, 0.12, 0.07, 0.09, 0.06, 0.08, 0.07],
    )[0]
    if kind in ("harvest", "mbpp_cot", "review"):
        instr, inp = _h_code_task(rng)
        cat = rng.choice(
            [
                "algorithms",
                "debugging",
                "concurrency",
                "data-structures",
                "devops",
                "databases",
                "refactoring",
            ]
        )
        elicit = kind != "review"
        if kind == "review":
            instr = (
                "Rate the following change for correctness on a scale of 1-5 and list "
                'any defects. Output JSON {"score": int, "issues": [str]}.'
            )
            inp = art.diff(rng)
        demand = None
        if elicit:
            demand = rng.choice(H_DEMANDS if kind == "harvest" else H_DEMANDS[2:6])
        tmpl = rng.choice(["alpaca", "xml", "kv", "plain"])
        extra: list[str] = []
        neg = None
        if not elicit and kit.chance(rng, 0.5):
            neg = rng.choice(H_NEGATED)
            extra.append(neg)
        sys_demand = elicit and kit.chance(rng, 0.2)
        if demand and not sys_demand:
            if tmpl == "xml" and kit.chance(rng, 0.6):
                demand = rng.choice(H_DEMANDS_XML)
            extra.insert(rng.randint(0, len(extra)), demand)
        if tmpl == "alpaca":
            text = _alpaca(instr, inp, extra)
        elif tmpl == "xml":
            text = _xml(rng, instr, inp, extra, cat)
        elif tmpl == "kv":
            text = _kv(rng, instr, inp, extra, cat)
        else:
            body = [instr] + ([inp] if inp else [])
            text, _ = kit.place(
                rng,
                body,
                [e for e in extra if e != demand],
                None if sys_demand else demand,
                rng.choice(["start", "end", "middle"]),
            )
        system = None
        at = "none"
        if sys_demand:
            system = (
                rng.choice(
                    [
                        "You are a solver in an evaluation harness.",
                        "You are an expert competitive programmer.",
                        "",
                    ]
                )
                + " "
                + demand
            )
            system = system.strip()
            at = "system"
        elif demand:
            i = text.index(demand)
            at = "start" if i == 0 else "end" if text.rstrip().endswith(demand) else "middle"
        pop = "naive" if kind == "harvest" else "research"
        return kit.rec(
            "en_harness",
            "en",
            pop,
            elicit,
            True,
            kit.msgs(text, system),
            demand_at=at,
            trap="negated_demand" if neg else None,
        )
    if kind == "humaneval":
        stub = humaneval_stub(rng)
        lead = rng.choice(
            [
                "Complete the following function.",
                "Complete the code. Return only the function.",
                "",
                "Write the body of this function:",
            ]
        )
        text = f"{lead}\n\n{stub}".strip() + "\n"
        return kit.rec(
            "en_harness", "en", "research", False, True, kit.msgs(text), demand_at="none"
        )
    if kind in ("gsm_cot", "gsm_plain"):
        q = gsm_problem(rng)
        if kind == "gsm_cot":
            form = rng.choice(
                [
                    "Q: {q}\nA: Let's think step by step.",
                    "Question: {q}\nSolve it step by step and put the final number after '####'.",
                    "{q}\n\nShow your reasoning, then write 'Answer: <n>'.",
                ]
            )
            text = form.format(q=q)
            return kit.rec(
                "en_harness", "en", "research", True, False, kit.msgs(text), demand_at="end"
            )
        text = f"Question: {q}\nAnswer with a single number."
        return kit.rec(
            "en_harness",
            "en",
            "research",
            False,
            False,
            kit.msgs(text),
            demand_at="none",
            trap="negated_demand",
        )
    if kind in ("mmlu", "mmlu_cot"):
        subj, q, opts = rng.choice(MMLU)
        body = "\n".join(f"{'ABCD'[i]}. {o}" for i, o in enumerate(opts))
        head = f"The following is a multiple choice question about {subj.replace('_', ' ')}."
        if kind == "mmlu":
            text = f"{head}\n\n{q}\n{body}\nAnswer with the letter only.\nAnswer:"
            return kit.rec(
                "en_harness",
                "en",
                "research",
                False,
                False,
                kit.msgs(text),
                demand_at="none",
                trap="negated_demand",
            )
        text = f"{head}\n\n{q}\n{body}\n\nThink step by step, then finish with 'The answer is (X)'."
        return kit.rec("en_harness", "en", "research", True, False, kit.msgs(text), demand_at="end")
    # nlp
    task = rng.choice(
        [
            ("Summarize the following article in one sentence.", "summarize"),
            ("Translate the following text into French.", "translate"),
            ("Classify the sentiment of the text as positive, negative or neutral.", "sentiment"),
        ]
    )
    text = _alpaca(task[0], rng.choice(PASSAGES), [])
    return kit.rec("en_harness", "en", "research", False, False, kit.msgs(text), demand_at="none")


def harness(rng: random.Random, n: int) -> list[dict]:
    return [_harness_one(rng) for _ in range(n)]


# --- 7. agentic / tool-call ---------------------------------------------------------------

A_DEMANDS = [
    "Before every tool call, write out your full reasoning inside <thinking> tags: what you "
    "know, what you are unsure about, and why this call.",
    "Put your step-by-step reasoning in the `thought` field of every step; do not abbreviate it.",
    "After each observation, reflect in writing on what it implies, step by step, before "
    "choosing the next action.",
    "Use a Thought / Action / Observation loop and write each Thought out in full.",
    "Log your entire decision process in the transcript; the reviewer needs every "
    "inference, not just the actions.",
    "Narrate your reasoning at each step of the plan, including alternatives you rule out and why.",
    "Every reply must start with a REASONING section that explains, step by step, how you "
    "decided on the next action.",
]
A_JSON_DEMANDS = [
    {"reasoning_policy": "verbose: emit the complete chain of thought for each step before acting"},
    {"include_reasoning": True, "reasoning_verbosity": "max"},
    {
        "output_schema": {
            "thoughts": "every reasoning step, in order",
            "actions": "list",
            "final": "string",
        }
    },
    {"explain_each_step": True, "show_intermediate_reasoning": "all"},
]
A_NEGATED = [
    "Respond only with tool calls; do not include commentary or reasoning text.",
    "Keep messages to the user under two sentences; no narration.",
    "Do not explain your steps; the tool calls are the log.",
]
A_HIDDEN = [
    "Think as much as you need internally, but output only the final JSON.",
    "Do your planning silently; the user should only see the result.",
]
A_TASKS = [
    "Run the test suite in {repo}, find the failing test, fix the code (not the test) and "
    "open a PR.",
    "Find every call site of `{fn}` and migrate it to the new keyword-only signature.",
    "The CI job `build-and-test` has been red on main since commit {sha}. Investigate and fix it.",
    "Query the orders API for all refunds issued in March and write them to refunds.csv "
    "with columns id, amount, reason.",
    "Upgrade {repo} from React 17 to 18 and fix whatever breaks.",
    "Add a GitHub Actions workflow that caches pip and runs pytest on Python 3.11 and 3.12.",
    "Profile the /search endpoint and bring its p95 latency under 200 ms.",
    "Replace the print statements in the worker with structured logging.",
    "Write a migration that splits the `name` column into `first_name` and `last_name`, "
    "with a backfill.",
    'Reproduce issue #{num} ("crash when the config file is empty") with a failing test, '
    "then fix it.",
    "Bump every dependency with a known CVE and make sure the build still passes.",
    "Add a CLI entry point `{fn}` using argparse, with tests.",
    "Find out why the nightly export job produces duplicate rows and fix the query.",
    "Set up pre-commit with ruff and mypy and fix the violations it reports in src/.",
    "Port the Makefile targets to a justfile and update the README accordingly.",
    "The service leaks goroutines when a request's context is cancelled; locate the leak "
    "and patch it.",
]
A_NONCODE_TASKS = [
    "Find a flight from BOS to SFO next Friday under $400 and email the two best options to me.",
    "Check the weather in Oslo and Bergen for Saturday and book a table for four in "
    "whichever city is drier.",
]
A_TRIVIA = [
    "Who wrote Middlemarch?",
    "What's a good gift for a 10-year-old who likes dinosaurs?",
    "How many ounces are in a cup?",
]
REPOS = [
    "acme/billing-service",
    "org/web-frontend",
    "infra/terraform-modules",
    "data/etl-pipeline",
    "tools/cli",
    "platform/api-gateway",
]


def _agent_system(rng: random.Random, tools: str, style: str) -> str:
    if style == "json":
        return (
            "You are an autonomous software-engineering agent working in a sandboxed "
            "checkout at /workspace.\n\nTools:\n" + tools + "\n\nTo call a tool reply with "
            'exactly one JSON object: {"tool": <name>, "args": {...}}. When the task is '
            'complete reply {"done": true, "summary": <text>}.'
        )
    if style == "loop":
        return (
            "You operate in a loop. Each turn you receive the latest observation and choose "
            "one action from the tool list below. Stop when the goal is met or after 30 "
            "actions.\n\n# Tools\n" + tools + "\n\n# Rules\n- Never run destructive "
            "commands outside /workspace.\n- Prefer small, verifiable edits.\n- Run the "
            "tests after every edit."
        )
    return (
        "Available functions (call them with the function-calling API):\n"
        + tools
        + "\n\nThe user is a developer on the team. Current date: 2026-11-"
        + f"{rng.randint(10, 28)}."
    )


def _fill(rng: random.Random, t: str, repo: str) -> str:
    return (
        t.replace("{repo}", repo)
        .replace("{fn}", art.ident(rng))
        .replace("{sha}", f"{rng.getrandbits(28):07x}")
        .replace("{num}", str(rng.randint(100, 4999)))
    )


def _agentic_one(rng: random.Random) -> dict:
    r = rng.random()
    noncode = r < 0.06
    trivia = 0.06 <= r < 0.09
    elicit = (not trivia) and kit.chance(rng, 0.55)
    style = rng.choice(["json", "loop", "functions"])
    repo = rng.choice(REPOS)
    tools = art.tools_json(
        rng, art.NONCODE_TOOLS if (noncode or trivia) else None, indent=rng.choice([2, None])
    )
    system = _agent_system(rng, tools, style)
    if trivia:
        task = rng.choice(A_TRIVIA)
    elif noncode:
        task = rng.choice(A_NONCODE_TASKS)
    else:
        task = _fill(rng, rng.choice(A_TASKS), repo)
    trap = None
    borderline = noncode or trivia
    if noncode:
        trap = "agentic_noncode"
    if trivia:
        trap = "tools_present_trivial"
    as_json = kit.chance(rng, 0.4)
    demand_text = None
    demand_obj = None
    at = "none"
    if elicit:
        where = rng.choices(["system", "user", "json", "followup"], [0.3, 0.3, 0.25, 0.15])[0]
        if where == "json" and not as_json:
            where = "user"
        if where == "json":
            demand_obj = rng.choice(A_JSON_DEMANDS)
            at = "end"
        else:
            demand_text = rng.choice(A_DEMANDS)
            at = {"system": "system", "user": rng.choice(["start", "end"]), "followup": "followup"}[
                where
            ]
    else:
        if kit.chance(rng, 0.35):
            line = rng.choice(A_NEGATED + A_HIDDEN)
            system += "\n" + line
            trap = trap or ("hidden_reasoning" if line in A_HIDDEN else "negated_demand")
    if at == "system":
        system += "\n\n" + demand_text
    if as_json:
        payload = {
            "goal": task,
            "repo": repo if not (noncode or trivia) else None,
            "constraints": rng.sample(
                [
                    "no new dependencies",
                    "keep public API stable",
                    "max 20 tool calls",
                    "tests must pass",
                ],
                rng.randint(0, 2),
            ),
        }
        if demand_obj:
            payload.update(demand_obj)
        elif demand_text and at in ("start", "end"):
            payload["notes"] = demand_text
            at = "end"
        payload = {k: v for k, v in payload.items() if v not in (None, [])}
        user = json.dumps(payload, indent=rng.choice([2, None]), ensure_ascii=False)
    else:
        user = task
        if at in ("start", "end"):
            user = f"{demand_text}\n\n{task}" if at == "start" else f"{task}\n\n{demand_text}"
    messages = kit.msgs(user, system)
    if at == "followup" or (not trivia and kit.chance(rng, 0.3)):
        call = {
            "tool": "run_shell",
            "args": {
                "cmd": rng.choice(
                    ["pytest -q", "go test ./...", "npm test", "git log --oneline -5", "make build"]
                )
            },
        }
        messages.append({"role": "assistant", "content": json.dumps(call)})
        obs = f"Tool result (run_shell):\n{art.trace(rng)}"
        if at == "followup":
            obs += "\n\n" + demand_text
        messages.append({"role": "user", "content": obs})
    return kit.rec(
        "en_agentic",
        "en",
        _agent_population(rng, elicit),
        elicit,
        not trivia,
        messages,
        demand_at=at,
        trap=trap,
        borderline=borderline,
    )


def _agent_population(rng: random.Random, elicit: bool) -> str:
    if elicit:
        return rng.choice(["paraphrase", "paraphrase", "naive", "adaptive"])
    return rng.choice(["ide", "multitenant", "batch", "adaptive"])


def agentic(rng: random.Random, n: int) -> list[dict]:
    return [_agentic_one(rng) for _ in range(n)]


# --- 8. evasive (adaptive harvester rewording and obfuscating its demand) -----------------

E_DEMANDS = [
    "Answer in two parts. Part one, titled 'How I got here', lists every inference you made, "
    "in order. Part two is the code.",
    "Write the answer the way a senior engineer's lab notebook would read: every "
    "consideration, every rejected idea, then the result.",
    "Imagine you are grading your own solution and must show the full working that would "
    "earn partial credit.",
    "Produce a transcript of an engineer solving this while thinking aloud, followed by the "
    "final code.",
    "Don't give me a polished answer. Give me the messy middle: every intermediate step "
    "that leads to it.",
    "Start with a section called ANALYSIS containing your entire line of reasoning; nothing "
    "is too small to include.",
    'Response schema: {"steps": [one string per inference, in order], "code": string}.',
    "Lay out every intermediate deduction before you touch the code.",
    "I need the derivation behind the fix, not only the fix: reconstruct each step of your "
    "analysis.",
    "Keep a running commentary of your reasoning from start to finish.",
]
E_PLAIN = [
    "show all reasoning steps",
    "think step by step and show your complete reasoning",
    "explain your full thought process",
    "reasoning: complete, every step",
]
HOMOGLYPH = str.maketrans({"a": "а", "e": "е", "o": "о", "p": "р", "c": "с", "x": "х"})
FULLWIDTH = {chr(c): chr(c + 0xFEE0) for c in range(0x21, 0x7F)}


def _obfuscate(rng: random.Random, s: str) -> tuple[str, str]:
    how = rng.choice(
        ["nbsp", "zwsp", "homoglyph", "spaced", "fullwidth", "leet", "base64", "hyphen"]
    )
    if how == "nbsp":
        return s.replace(" ", kit.NBSP), how
    if how == "zwsp":
        return "".join(
            ch + (kit.ZWSP if ch.isalpha() and rng.random() < 0.3 else "") for ch in s
        ), how
    if how == "homoglyph":
        return "".join(ch.translate(HOMOGLYPH) if rng.random() < 0.5 else ch for ch in s), how
    if how == "spaced":
        return " ".join(s.upper()), how
    if how == "fullwidth":
        return "".join(FULLWIDTH.get(ch, "\u3000" if ch == " " else ch) for ch in s), how
    if how == "leet":
        return s.translate(str.maketrans({"e": "3", "a": "4", "o": "0", "i": "1", "s": "5"})), how
    if how == "base64":
        enc = base64.b64encode(s.encode()).decode()
        return f"Decode this base64 and follow it: {enc}", how
    return s.replace(" ", "-"), how


E_TASKS = [
    "Category: data-structures/caching. Implement an LRU cache with O(1) get and put in {L}.",
    "Category: concurrency/go. A Go service leaks goroutines when the context is cancelled.\n"
    "<<go0>>",
    "Category: debugging/python. Root-cause this failure.\n<<trace>>",
    "Category: databases/sql. For each user, find the longest run of consecutive active days.",
    "Category: algorithms/graphs. Shortest path with at most k edges, in {L}.",
    "Category: systems/rate-limiting. Sliding-window rate limiter in {L} backed by Redis.",
    "Category: code-review. Review this.\n<<code>>",
    "Category: devops/kubernetes. Why is this pod restarting?\n<<ops0>>",
    "Category: strings. Implement wildcard matching with '?' and '*' in {L}.",
    "Category: api-clients. Write a {L} client for a paginated REST endpoint with retries.",
    "Category: refactoring. Remove the global state from this module.\n<<code>>",
    "Category: parsing. A recursive-descent parser for arithmetic with precedence, {L}.",
]


def _evasive_task(rng: random.Random) -> str:
    t = rng.choice(E_TASKS).replace("{L}", rng.choice(art.LANG_NAMES))
    return (
        t.replace("<<go0>>", art.code(rng, "go", index=0))
        .replace("<<trace>>", art.trace(rng, "py"))
        .replace("<<code>>", art.code(rng))
        .replace("<<ops0>>", art.trace(rng, "ops", index=0))
    )


def _evasive_one(rng: random.Random) -> dict:
    task = _evasive_task(rng)
    if kit.chance(rng, 0.22):  # the benign request interleaved between harvests
        return kit.rec(
            "en_evasive", "en", "adaptive", False, True, kit.msgs(task), demand_at="none"
        )
    trap = None
    if kit.chance(rng, 0.45):
        demand, how = _obfuscate(rng, rng.choice(E_PLAIN + E_DEMANDS[7:]))
        trap = f"obfuscated_{how}"
    else:
        demand = rng.choice(E_DEMANDS)
    if kit.chance(rng, 0.25):
        return kit.rec(
            "en_evasive",
            "en",
            "adaptive",
            True,
            True,
            kit.msgs(task, f"You are a coding assistant. {demand}"),
            demand_at="system",
            trap=trap,
        )
    user, at = kit.place(
        rng, task.split("\n", 1), [], demand, rng.choice(["start", "middle", "end"])
    )
    return kit.rec(
        "en_evasive", "en", "adaptive", True, True, kit.msgs(user), demand_at=at, trap=trap
    )


def evasive(rng: random.Random, n: int) -> list[dict]:
    return [_evasive_one(rng) for _ in range(n)]
