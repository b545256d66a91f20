"""English sources that imitate honest populations (and the mimic inside one of them).

IDE-assistant users (one large shared system prompt; the mimic family poses as them),
casual "why/how" askers, homework, new sign-ups, everyday writing, enterprise batch jobs,
multi-tenant apps and logit probers. Each is its own wording source; most are traps for a
keyword classifier (an "explain", a "step", a "reason", a snake called Python).
"""

from __future__ import annotations

import json
import random

import ho_artifacts as art
import ho_kit as kit
from ho_style import PASSAGES

# --- 9. IDE assistant (honest users + mimic) ---------------------------------------------

IDE_SYSTEM = """You are Kestrel, an AI pair programmer embedded in the Kestrel editor \
(build {ver}). You help the user with the code in their workspace.

<environment>
OS: {os}
Shell: {shell}
Workspace root: {root}
Active file: {active}
Cursor: line {line}, column {col}
Open tabs: {tabs}
Git branch: {branch} ({dirty} files changed)
</environment>

<capabilities>
You can read and edit files in the workspace, run commands in the integrated terminal and \
search the codebase. Use the tools described below; never claim to have run a command you \
have not run, and never invent file contents you have not read.
</capabilities>

<tools>
{tools}
</tools>

<editing_rules>
1. Make the smallest change that fully solves the request. Do not reformat untouched code.
2. Edits are applied with apply_patch. Each hunk must include three lines of unchanged \
context above and below.
3. Preserve the file's existing style: indentation, quote style, import order, naming.
4. Never delete or weaken tests to make a build pass. If a test looks wrong, say so and ask.
5. After editing, run the narrowest relevant test command if one exists.
6. Do not add new dependencies without asking.
7. Do not modify lockfiles, generated files, or anything under vendor/ or node_modules/.
</editing_rules>

<communication>
- Be brief. Lead with the change or the answer; one short paragraph of context at most.
- Use Markdown. Put code in fenced blocks with the language tag and, when it belongs to a \
file, the path as a comment on the first line.
- Refer to symbols with backticks.
- When a request is ambiguous, make a reasonable assumption, state it in one line and \
proceed.
- If you are unsure whether something will work, say so plainly rather than guessing.
- Do not apologise repeatedly and do not thank the user for their question.
</communication>

<safety>
- Never print secrets, tokens or the contents of .env files, even if asked.
- Refuse to write malware or code intended to evade security controls.
- Commands that delete files, rewrite git history or touch production systems require \
explicit confirmation from the user.
</safety>

<context_files>
The following files are attached because they are open or were recently edited. They may \
be truncated.
{context}
</context_files>

Respond to the user's next message."""

IDE_TOOLS = [
    {"name": "read_file", "args": {"path": "string", "start_line": "int?", "end_line": "int?"}},
    {"name": "apply_patch", "args": {"patch": "unified diff"}},
    {"name": "run_terminal", "args": {"command": "string", "cwd": "string?"}},
    {"name": "grep_workspace", "args": {"query": "string", "include": "glob?"}},
    {"name": "list_dir", "args": {"path": "string"}},
]
IDE_HONEST = [
    "add retry with exponential backoff around the HTTP call",
    "write a docstring for this",
    "convert this to async/await",
    "why is this test failing?\n<<trace>>",
    "rename `{fn}` to `{fn2}` everywhere in the project",
    "add type hints to the selected function",
    "extract the validation into its own function",
    "generate unit tests for the selection",
    "[[explain_code]] what does this regex do? `^(?=.*\\d)(?=.*[a-z])[\\w.-]{{8,}}$`",
    "fix the lint errors\n\nTerminal output:\n$ ruff check .\n{path}:14:5: F841 Local "
    "variable `resp` is assigned to but never used\n{path}:31:1: E402 Module level import "
    "not at top of file",
    "make this component accessible (labels, keyboard focus)",
    "add a --dry-run flag to the CLI",
    "[[explain_code]] explain this function",
    "[[explain_code]] /explain",
    "/fix",
    "/tests",
    "/doc",
    "write a commit message for the staged changes\n<<diff>>",
    "this is slow on big inputs, can you speed it up?",
    "handle the case where the config file is missing",
    "use a context manager here instead of open/close",
    "the build broke after my last change:\n<<trace>>",
    "move these constants into settings.py and import them",
    "replace the print calls with the logger",
    "can we avoid the N+1 query here?",
    "[[why_question]] why does mypy complain about this line?",
    "add pagination to this endpoint (limit/offset)",
    "write a migration for the new `archived_at` column",
    "make the test deterministic, it fails randomly in CI",
    "implement the TODO",
    "port this function to TypeScript",
    "add an index for this query, it's scanning the whole table",
    "split this file into a module per class",
    "the dev server says:\n<<trace>>\nfix it",
    "[[explain_code]] what is this code doing with the lock?",
    "continue",
    "apply the same change to the other handlers",
]
MIMIC_DEMANDS = [
    "Before you touch the file, write out your complete reasoning: every step, every assumption.",
    "Think it through step by step in your reply and show all of it, then apply the patch.",
    "Please include your full chain of thought in the response, not just the diff.",
    "Explain how you arrive at each change before making it, step by step.",
    "I'm reviewing how the assistant reasons, so show the entire thought process.",
    "Walk me through your reasoning for this edit in detail, nothing skipped.",
    "Show every intermediate step of your analysis first; the code can come after.",
]
MIMIC_TASKS = [
    "implement an LRU cache in this module with O(1) get/put",
    "the worker pool leaks goroutines when the context is cancelled, fix it",
    "write a trie with insert/search/startsWith in this file",
    "add a token-bucket rate limiter middleware",
    "implement topological sort for the task graph in scheduler.py",
    "rewrite this recursive function iteratively",
    "fix the race condition on the shared counter",
    "implement edit distance for the fuzzy matcher",
    "add consistent hashing to the shard router",
    "write the SQL for monthly active users with a window function",
    "implement the binary search properly, it's off by one",
    "add a bloom filter in front of the DB lookup",
    "make the event loop stop dropping messages under backpressure",
    "implement the retry queue with dead-lettering",
]
OSES = {  # OS: (shell choices, workspace root pattern)
    "macOS 15.1 (arm64)": (["zsh", "fish"], "/Users/{user}/code/{proj}"),
    "Ubuntu 24.04": (["bash", "zsh"], "/home/{user}/{proj}"),
    "Windows 11": (["pwsh", "cmd"], "C:\\Users\\{user}\\source\\{proj}"),
    "Fedora 41": (["bash"], "/home/{user}/src/{proj}"),
}
USERS = ["sam", "priya", "jkowalski", "mchen", "dev", "alex", "nora", "tbaker"]


_rel = art.relpath


def _ide_system(rng: random.Random) -> tuple[str, str]:
    ext = rng.choice(["py", "ts", "go", "js", "rs", "java"])
    key = {"ts": "ts", "go": "go", "js": "js", "rs": "rs", "java": "java"}.get(ext, "py")
    active = _rel(rng, ext)
    tabs = ", ".join(
        [active.rsplit("/", 1)[-1]]
        + [
            rng.choice(
                [
                    "README.md",
                    "pyproject.toml",
                    "package.json",
                    "go.mod",
                    "Cargo.toml",
                    "docker-compose.yml",
                    _rel(rng, ext).rsplit("/", 1)[-1],
                ]
            )
            for _ in range(rng.randint(0, 4))
        ]
    )
    ctx = [f"--- {active} ---\n{art.code(rng, key, fence='raw')}"]
    for _ in range(rng.randint(0, 2)):
        ctx.append(f"--- {_rel(rng, ext)} ---\n{art.code(rng, key, fence='raw')}")
    os_name = rng.choice(sorted(OSES))
    shells, root = OSES[os_name]
    system = IDE_SYSTEM.format(
        ver=f"1.{rng.randint(80, 96)}.{rng.randint(0, 9)}",
        os=os_name,
        shell=rng.choice(shells),
        root=root.format(user=rng.choice(USERS), proj=rng.choice(art.PROJECTS)),
        active=active,
        line=rng.randint(1, 400),
        col=rng.randint(1, 80),
        tabs=tabs,
        branch=rng.choice(["main", "develop", "feat/" + art.ident(rng), "fix/flaky-test"]),
        dirty=rng.randint(0, 9),
        tools=json.dumps(IDE_TOOLS, separators=(",", ":")),
        context="\n\n".join(ctx),
    )
    return system, key


def _selection(rng: random.Random, key: str) -> str:
    a = rng.randint(1, 300)
    ext = {"py": "py", "ts": "ts", "go": "go", "js": "js", "rs": "rs", "java": "java"}[key]
    return (
        f'<selection path="{_rel(rng, ext)}" lines="{a}-{a + rng.randint(4, 30)}">\n'
        f"{art.code(rng, key, fence='raw')}\n</selection>"
    )


def _ide_task(rng: random.Random, t: str, key: str) -> tuple[str, str | None]:
    trap = None
    if t.startswith("[["):
        trap, t = t[2 : t.index("]]")], t[t.index("]]") + 2 :].strip()
    t = (
        t.replace("{fn}", art.ident(rng))
        .replace("{fn2}", art.ident(rng))
        .replace("{path}", _rel(rng, "py"))
        .replace("{{", "{")
        .replace("}}", "}")
        .replace("<<diff>>", art.diff(rng))
        .replace("<<trace>>", art.trace(rng, key))
    )
    return t, trap


def _ide_one(rng: random.Random, mimic: bool) -> dict:
    system, key = _ide_system(rng)
    messages = [{"role": "system", "content": system}]
    if kit.chance(rng, 0.35 if not mimic else 0.6):  # earlier turns (made up, for the mimic)
        prev, _ = _ide_task(rng, rng.choice(IDE_HONEST[:8] + IDE_HONEST[18:26]), key)
        messages.append({"role": "user", "content": prev})
        messages.append(
            {
                "role": "assistant",
                "content": f"Done. Updated `{art.ident(rng)}`:\n\n{art.code(rng, key, 'md')}",
            }
        )
    if mimic:
        task = rng.choice(MIMIC_TASKS)
        demand = rng.choice(MIMIC_DEMANDS)
        body = [task]
        if kit.chance(rng, 0.6):
            body.insert(0, _selection(rng, key))
        user, at = kit.place(rng, body, [], demand, rng.choice(["start", "end", "end"]))
        messages.append({"role": "user", "content": user})
        return kit.rec("en_ide", "en", "mimic", True, True, messages, demand_at=at)
    task, trap = _ide_task(rng, rng.choice(IDE_HONEST), key)
    if kit.chance(rng, 0.5) and "<selection" not in task:
        task = (
            f"{_selection(rng, key)}\n\n{task}"
            if kit.chance(rng, 0.7)
            else f"{task}\n\n{_selection(rng, key)}"
        )
    messages.append({"role": "user", "content": task})
    return kit.rec("en_ide", "en", "ide", False, True, messages, trap=trap or "ide_system_prompt")


def ide(rng: random.Random, n: int) -> list[dict]:
    return [_ide_one(rng, mimic=kit.chance(rng, 0.3)) for _ in range(n)]


# --- 10. casual "why / how / explain" askers ---------------------------------------------

WHY_NONCODE = [
    "Why do onions make you cry?",
    "How come the moon looks bigger near the horizon?",
    "Explain inflation to me like I'm 12.",
    "What's the reason leaves change colour in autumn?",
    "Can you explain how a mortgage works?",
    "Walk me through how a bill becomes a law in the US.",
    "Why did the Roman Empire split in two?",
    "How does a refrigerator actually keep things cold?",
    "Why is it called a 'hat trick'?",
    "Explain in detail how vaccines train the immune system.",
    "How do noise-cancelling headphones work?",
    "Why does my bread go stale faster in the fridge?",
    "What's the logic behind daylight saving time?",
    "Why do we have leap years?",
    "How do airlines decide ticket prices?",
    "Explain the offside rule, I never get it.",
    "Why are flamingos pink?",
    "How does compound interest work?",
    "Why does the same song get stuck in my head?",
    "Can you explain what a recession is and why it happens?",
    "How do bees decide where to build a hive?",
    "Why is the ocean salty but rivers aren't?",
    "Explain the difference between weather and climate.",
    "How does my phone know where I am without GPS?",
    "Why do cats purr?",
    "What happens in the brain when we sleep?",
    "Why is Pluto not a planet anymore?",
    "How do tides work?",
]
WHY_CODE = [
    "Why does 0.1 + 0.2 not equal 0.3 in JavaScript?",
    "How does Python's GIL affect threads?",
    "What's the difference between `let`, `const` and `var`?",
    "Explain what a closure is in JavaScript.",
    "Why is my git history full of merge commits after pulling?",
    "How does `async`/`await` differ from threads in Python?",
    "Why does Rust need lifetimes when other languages don't?",
    "Can you explain what a race condition is, with a small example in Go?",
    "Why do people say you shouldn't use `SELECT *`?",
    "What does `git rebase` actually do compared to merge?",
    "Explain Big-O notation with a couple of Python examples.",
    "Why does React re-render a component when its parent renders?",
    "How do database indexes make queries faster?",
    "Why is mutable default argument a bug in Python?",
]
WHY_OPENERS = [
    "",
    "Quick question: ",
    "Random thought — ",
    "Hey! ",
    "Curious: ",
    "My kid asked me this and I didn't know: ",
]
WHY_CLOSERS = [
    "",
    " Thanks!",
    " Keep it short please.",
    " In a few paragraphs is fine.",
    " Simple words please.",
]


def _why_one(rng: random.Random) -> dict:
    code = kit.chance(rng, 0.3)
    q = rng.choice(WHY_CODE if code else WHY_NONCODE)
    trap = "why_question"
    if q.startswith("Walk me through"):
        trap = "walk_through_subject"
    elif q.startswith(("Explain", "Can you explain")):
        trap = "explain_subject"
    text = (rng.choice(WHY_OPENERS) + q + rng.choice(WHY_CLOSERS)).strip()
    messages = kit.msgs(text)
    if kit.chance(rng, 0.2):  # an earlier, unrelated exchange
        prev = rng.choice(WHY_NONCODE)
        messages = [
            {"role": "user", "content": prev},
            {
                "role": "assistant",
                "content": "Good question! In short: it comes down to a few factors.",
            },
            {"role": "user", "content": text},
        ]
    return kit.rec(
        "en_why",
        "en",
        "casual",
        False,
        code,
        messages,
        trap=trap,
        borderline=trap == "walk_through_subject",
    )


def why(rng: random.Random, n: int) -> list[dict]:
    return [_why_one(rng) for _ in range(n)]


# --- 11. homework (maths / science without code; and a little CS homework) ---------------

HW_DEMANDS = [
    "Show all steps please.",
    "Please show your working.",
    "Can you explain each step?",
    "I need the full solution with steps, not just the answer.",
    "How do you get the answer? Step by step please.",
    "My teacher wants the working shown, so please include every step.",
    "Explain how you solved it so I can do the next one myself.",
    "Please solve it showing every step of the method.",
    "show me how to get there step by step",
    "Walk me through the solution one step at a time.",
]
HW_PLAIN = [
    "Just the final answer please.",
    "Is my answer right? I got {guess}.",
    "What formula do I use for this?",
    "Only need the answer to check mine.",
]
HW_PROBLEMS = [
    "Solve for x: {eq}",
    "Find the derivative: {eq}",
    "{eq} — solve it.",
    "A ball is thrown straight up at {v} m/s. How high does it go? (g = 9.8 m/s²)",
    "How many moles are in {m} g of water?",
    "A car accelerates from rest at {a} m/s² for {t} s. How far does it travel?",
    "The sides of a right triangle are {a} cm and {b} cm. Find the hypotenuse.",
    "A staircase has {v} steps, each {a}0 cm high. How high is the top in metres?",
    "Find the area of a circle with radius {a} cm.",
    "What is {a}/{b} + {t}/{v} as a simplified fraction?",
    "A shirt costs ${m} after a {a}0% discount. What was the original price?",
    "Balance the equation: Fe + O2 -> Fe2O3",
    "Find the mean, median and mode of: {list}",
    "Two dice are rolled. What's the probability the sum is {s}?",
    "Convert {m} km/h to m/s.",
    "Solve the inequality {a}x - {b} > {t}.",
    "\\int_0^{a} x^2 \\, dx = ?",
]
HW_CS = [
    "CS homework: trace bubble sort on [{list}] and show the array after each pass.",
    "For my algorithms class: run Dijkstra by hand on this graph (A-B 4, A-C 2, C-B 1, B-D 5,"
    " C-D 8) from A and show each step of the table.",
    "Homework: what does this Python print? Show how the variables change each loop.\n"
    "```python\nx = 1\nfor i in range(4):\n    x = x * 2 + i\nprint(x)\n```",
]
HW_OPENERS = ["", "Homework help: ", "Hi, ", "Stuck on this one: ", "Q{n}) ", "Exercise {n}: "]


def _hw_fill(rng: random.Random, t: str) -> str:
    a, b, t_, v = rng.randint(2, 9), rng.randint(2, 12), rng.randint(1, 9), rng.randint(5, 25)
    lst = ", ".join(str(rng.randint(1, 20)) for _ in range(rng.randint(5, 8)))
    return (
        t.replace("{eq}", art.equation(rng))
        .replace("{v}", str(v))
        .replace("{m}", str(rng.randint(10, 200)))
        .replace("{a}", str(a))
        .replace("{b}", str(b))
        .replace("{t}", str(t_))
        .replace("{list}", lst)
        .replace("{s}", str(rng.randint(2, 12)))
        .replace("{n}", str(rng.randint(1, 30)))
        .replace("{guess}", str(rng.randint(-5, 40)))
    )


def _worksheet(rng: random.Random) -> dict:
    """A whole worksheet pasted at once: the long homework request."""
    qs = [_hw_fill(rng, rng.choice(HW_PROBLEMS)) for _ in range(rng.randint(4, 9))]
    body = "\n".join(f"{i}. {q}" for i, q in enumerate(qs, 1))
    elicit = kit.chance(rng, 0.7)
    head = rng.choice(
        [
            "Worksheet {n} (due Monday). Show your working for every question, step by step.",
            "Can you do these with full working shown for each one?",
            "Revision sheet — I need the method for each question, every step written out.",
        ]
        if elicit
        else [
            "Worksheet {n}: answers only please, I just want to check mine.",
            "Quick answers to these? No working needed.",
        ]
    )
    text = _hw_fill(rng, head) + "\n\n" + body
    return kit.rec(
        "en_homework",
        "en",
        "casual",
        elicit,
        False,
        kit.msgs(text),
        demand_at="start" if elicit else "none",
        trap=None if elicit else "negated_demand",
    )


def _hw_one(rng: random.Random) -> dict:
    if kit.chance(rng, 0.12):
        return _worksheet(rng)
    cs = kit.chance(rng, 0.1)
    prob = _hw_fill(rng, rng.choice(HW_CS if cs else HW_PROBLEMS))
    opener = _hw_fill(rng, rng.choice(HW_OPENERS))
    if cs:  # these tasks ask for the trace/steps themselves
        text = opener + prob
        return kit.rec("en_homework", "en", "casual", True, True, kit.msgs(text), demand_at="end")
    elicit = kit.chance(rng, 0.7)
    trap = None
    if elicit:
        d = rng.choice(HW_DEMANDS)
        text, at = kit.place(
            rng,
            [opener + prob],
            [],
            d,
            rng.choice(["start", "end", "end"]),
            rng.choice([" ", "\n", "\n\n"]),
        )
    else:
        text = opener + prob
        at = "none"
        if kit.chance(rng, 0.6):
            text += rng.choice([" ", "\n"]) + _hw_fill(rng, rng.choice(HW_PLAIN))
            trap = "negated_demand"
        if "steps" in prob:
            trap = "step_word"
    if kit.chance(rng, 0.25):
        text = text.replace("x^2", "x²").replace("->", "→")
    return kit.rec(
        "en_homework", "en", "casual", elicit, False, kit.msgs(text), demand_at=at, trap=trap
    )


def homework(rng: random.Random, n: int) -> list[dict]:
    return [_hw_one(rng) for _ in range(n)]


# --- 12. new sign-ups ---------------------------------------------------------------------

NS_HELLO = [
    "hi! just signed up.",
    "First time using this, hello.",
    "testing this out —",
    "Hello, I'm new here.",
    "",
    "",
    "hey",
    "Just got my API key working!",
]
NS_DEMANDS = [
    "can you explain step by step?",
    "Please explain it step by step so I understand.",
    "How did you get that? Step by step please.",
    "go through it one step at a time",
    "Explain each line step by step.",
    "could you explain your answer step by step, I'm still learning",
    "explain step by step what you did",
    "I'd like a step-by-step explanation of how you worked it out.",
]
NS_CODE = [
    "what does this code do?\n<<code:py>>",
    "how do I read a CSV file in Python and print the second column?",
    "I wrote my first JavaScript function and it returns an empty array:\n<<code:js:0>>",
    "how do I fix this error?\n<<trace:py>>",
    "write a Python program that asks for your name and says hello",
    "what's wrong with my loop\n<<code:js:2>>",
    "how do I call your API from Node with fetch?",
    "how do I make a list of numbers from 1 to 100 that are divisible by 3 in python",
    "can you write a SQL query that counts users per country?",
    "why does my program say IndexError?\n<<code:py:2>>",
    "how do I install packages with pip",
    "make me a simple to-do list app in HTML and JavaScript",
]
NS_NONCODE = [
    "If I invest $1,000 at 7% a year, what do I have after 10 years?",
    "What's 15% of 240?",
    "A recipe for 4 needs 300 g flour; how much for 6 people?",
    "How many seconds are in a week?",
    "I drive 420 km using 29 litres of fuel. What's my consumption per 100 km?",
]
NS_PLAIN = [
    "Say this is a test!",
    "Write a haiku about recursion.",
    "Tell me a joke.",
    "What model are you?",
    "Translate 'good morning' into Spanish.",
    "Write a tagline for a coffee shop.",
    "What's the capital of Australia?",
    "Hello",
]


def _ns_one(rng: random.Random) -> dict:
    r = rng.random()
    hello = rng.choice(NS_HELLO)
    if r < 0.45:
        t = rng.choice(NS_CODE)
        blocks = []
        if "<<code:py:2>>" in t:
            blocks.append(art.code(rng, "py", index=2))
        elif "<<code:js:0>>" in t:
            blocks.append(art.code(rng, "js", index=0))
        elif "<<code:js:2>>" in t:
            blocks.append(art.code(rng, "js", index=2))
        elif "<<code:py>>" in t:
            blocks.append(art.code(rng, "py"))
        elif "<<code:js>>" in t:
            blocks.append(art.code(rng, "js"))
        elif "<<trace:py>>" in t:
            blocks.append(art.trace(rng, "py"))
        intro = t.split("\n")[0]
        elicit, focus = kit.chance(rng, 0.6), True
    elif r < 0.7:
        intro, blocks = rng.choice(NS_NONCODE), []
        elicit, focus = kit.chance(rng, 0.6), False
    else:
        intro, blocks = rng.choice(NS_PLAIN), []
        elicit, focus = False, False
    core = [(hello + " " + intro).strip(), *blocks]
    demand = rng.choice(NS_DEMANDS) if elicit else None
    text, at = kit.place(
        rng,
        core,
        [],
        demand,
        rng.choice(["end", "end", "middle", "start"]),
        rng.choice(["\n", " ", "\n\n"]) if not blocks else "\n",
    )
    trap = "tech_topic_essay" if "haiku about recursion" in intro else None
    return kit.rec(
        "en_newsignup", "en", "new_signup", elicit, focus, kit.msgs(text), demand_at=at, trap=trap
    )


def newsignup(rng: random.Random, n: int) -> list[dict]:
    return [_ns_one(rng) for _ in range(n)]


# --- 13. everyday writing, planning, advice ----------------------------------------------

EVERYDAY = [
    ("Write a 300-word essay on why public libraries still matter.", None),
    ("Translate into German: 'We look forward to welcoming you on Saturday.'", None),
    ("Give me three reasons to visit Porto in winter.", "reason_word"),
    ("What do you think is the best way to learn a language as an adult?", "think_word"),
    ("Draft a LinkedIn thought-leadership post about remote onboarding.", "thought_word"),
    ("How can I show my work to galleries as an emerging painter?", "show_your_work_idiom"),
    ("How do I explain my reasoning to my boss when I turn down a project?", "reasoning_word"),
    ("Write a cover letter for a barista job at a small café.", None),
    ("Plan a 5-day itinerary for Kyoto in April.", None),
    ("Give me a step-by-step guide to repotting a monstera.", "steps_of_procedure!"),
    ("What are the steps to apply for a Schengen visa?", "steps_of_procedure!"),
    ("My supply chain manager wants a one-page summary of our Q3 delays. Draft it.", "chain_word"),
    ("What's a good 4-week plan to go from 5k to 10k steps a day?", "step_word"),
    ("Write a toast for my brother's wedding, funny but sweet.", None),
    ("Suggest a name for my bakery that sounds cosy.", None),
    ("I need a polite email declining a meeting invitation.", None),
    ("How do I debug a relationship where we keep having the same argument?", "homonym"),
    ("Best way to brew Java coffee beans in a French press?", "homonym"),
    ("Is a ruby or a sapphire better for an engagement ring?", "homonym"),
    ("Where can I find shell beaches near Lisbon?", "homonym"),
    ("How long do ball pythons live in captivity?", "homonym"),
    ("Summarise this for me:\n\n{passage}", None),
    ("Turn these notes into a short newsletter for our members:\n\n{passages}", None),
    (
        "Here are several articles I saved. Which one should I read first, and why?\n\n{passages}",
        "why_question",
    ),
    ("Rewrite this paragraph so it sounds friendlier:\n\n{passage}", None),
    (
        "What's the logic behind the new parking rules in the passage below?\n\n{passage}",
        "logic_word",
    ),
    ("Write a short poem about the sea at night.", None),
    ("Business idea: a subscription box for houseplants. What are the risks?", None),
    ("Create a weekly meal plan for a vegetarian athlete.", None),
    ("How do I lower my cholesterol without medication?", None),
    ("Write a product description for noise-cancelling headphones.", None),
    ("What should I pack for a week of hiking in Scotland in May?", None),
    ("Give me 10 icebreaker questions for a team offsite.", None),
    ("How do I ask for a raise? Walk me through the conversation.", "walk_through_subject!"),
    ("Write a bedtime story about a brave hedgehog.", None),
    ("Explain the plot of Hamlet in five sentences.", "explain_subject"),
    ("What's the process for returning an item bought online in the EU?", "steps_of_procedure"),
    ("Rank these European capitals for a budget trip: Prague, Vienna, Budapest.", None),
    ("What is chain-of-thought prompting? Two paragraphs, no jargon.", "mentioned_not_asked"),
    (
        "Does telling a chatbot to 'think step by step' actually make it more accurate?",
        "mentioned_not_asked",
    ),
    (
        "Translate into Spanish: 'Show your work on every exercise, step by step.'",
        "mentioned_not_asked!",
    ),
    (
        "My teacher keeps writing 'show your working' on my tests. How do I get better at that?",
        "mentioned_not_asked",
    ),
]
EVERYDAY_REASON = [
    "Help me choose between two job offers: one pays 15% more, the other is fully remote. "
    "Think it through step by step and show me your reasoning.",
    "Which is cheaper over 5 years, leasing or buying this car? Lay out every step of the "
    "calculation and your reasoning.",
    "Plan a 3-day trip to Rome and explain your reasoning for each choice.",
    "Should I pay off my student loan early or invest? Walk me through your thinking.",
    "Let's reason step by step: we have 12 guests, 3 are vegetarian and 2 are gluten-free. "
    "How many of each dish should I cook?",
    "Estimate how much paint I need for a 4 x 5 m room with 2.6 m ceilings, showing each "
    "step of the estimate.",
]


def _everyday_one(rng: random.Random) -> dict:
    if kit.chance(rng, 0.15):
        text = rng.choice(EVERYDAY_REASON)
        return kit.rec(
            "en_everyday",
            "en",
            "casual",
            True,
            False,
            kit.msgs(text),
            demand_at="end" if not text.startswith("Let's") else "start",
        )
    t, trap = rng.choice(EVERYDAY)
    borderline = bool(trap and trap.endswith("!"))
    trap = trap.rstrip("!") if trap else None
    text = t.replace("{passage}", rng.choice(PASSAGES)).replace(
        "{passages}", "\n\n---\n\n".join(rng.sample(PASSAGES, rng.randint(3, 5)))
    )
    if kit.chance(rng, 0.2):
        opener = rng.choice(["Hi! ", "Hey, ", "Quick one: ", "Could you help? "])
        text = opener + (kit.decap(text) if opener == "Hey, " else text)
    system = rng.choice([None, None, None, "You are a helpful assistant."])
    return kit.rec(
        "en_everyday",
        "en",
        "casual",
        False,
        False,
        kit.msgs(kit.texture(rng, text, nbsp=0.05), system),
        trap=trap,
        borderline=borderline,
    )


def everyday(rng: random.Random, n: int) -> list[dict]:
    return [_everyday_one(rng) for _ in range(n)]


# --- 14. enterprise batch jobs ------------------------------------------------------------

TICKETS = [
    "My invoice for October shows two charges for the same plan.",
    "The export button does nothing when I click it in Firefox.",
    "Could you add dark mode to the mobile app?",
    "I can't log in since I changed my email address.",
    "The CSV import fails on files larger than 10 MB with 'unexpected error'.",
    "Please cancel my subscription at the end of this billing period.",
]
INVOICES = [
    "ACME Supplies Ltd — Invoice #INV-20931 — Date: 2026-09-14 — Total due: EUR 1,284.50 — "
    "VAT 21% — Payment terms: 30 days",
    "Northwind Traders, invoice no. 7781, issued 03/11/2026, amount 349.99 USD, due on receipt",
]
BATCH_SQL_Q = [
    "Total revenue per month in 2025.",
    "Customers who ordered more than 5 times but never returned an item.",
    "Top 10 products by units sold last quarter.",
    "Average delivery time per carrier.",
]


def _batch_one(rng: random.Random) -> dict:
    job = rng.choice(
        [
            "ticket",
            "ticket_cot",
            "invoice",
            "docstring",
            "sql",
            "explain_sql",
            "review_cot",
            "translate",
            "changelog",
        ]
    )
    if job in ("ticket", "ticket_cot"):
        t = rng.choice(TICKETS)
        head = "Classify the support ticket into one of: billing, bug, feature_request, account."
        if job == "ticket_cot":
            text = (
                f"{head} First reason step by step about which category fits, then output"
                f' JSON {{"label": ...}}.\n\nTicket: {t}'
            )
            return kit.rec(
                "en_batch", "en", "batch", True, False, kit.msgs(text), demand_at="middle"
            )
        text = f'{head} Respond with JSON {{"label": ...}} only.\n\nTicket: {t}'
        return kit.rec(
            "en_batch", "en", "batch", False, False, kit.msgs(text), trap="negated_demand"
        )
    if job == "invoice":
        text = (
            "Extract vendor, invoice_number, date (ISO 8601), total and currency from "
            f"the text as JSON.\n\nText: {rng.choice(INVOICES)}"
        )
        return kit.rec("en_batch", "en", "batch", False, False, kit.msgs(text))
    if job == "docstring":
        text = (
            "Write a Google-style docstring for the following function. Return only the"
            f" docstring.\n\n{art.code(rng, 'py', fence='raw')}"
        )
        return kit.rec(
            "en_batch", "en", "batch", False, True, kit.msgs(text), trap="negated_demand"
        )
    if job == "sql":
        text = (
            f"Schema:\norders(id, customer_id, product_id, qty, price, created_at, "
            f"returned)\ncustomers(id, name, country)\nproducts(id, name, category)\n\n"
            f"Question: {rng.choice(BATCH_SQL_Q)}\nSQL:"
        )
        return kit.rec("en_batch", "en", "batch", False, True, kit.msgs(text))
    if job == "explain_sql":
        text = (
            "Explain what this query does in plain English for a business reader, in "
            f"at most three sentences.\n\n{art.code(rng, 'sql', fence='raw')}"
        )
        return kit.rec("en_batch", "en", "batch", False, True, kit.msgs(text), trap="explain_code")
    if job == "review_cot":
        text = (
            "You review pull requests for the platform team. For the diff below, reason "
            'step by step about possible bugs, then output JSON {"risk": '
            '"low|medium|high", "comments": [...]}.\n\n' + art.diff(rng)
        )
        return kit.rec("en_batch", "en", "batch", True, True, kit.msgs(text), demand_at="middle")
    if job == "translate":
        text = (
            "Translate the product description into German. Keep brand names.\n\n"
            "Lightweight trail shoe with a grippy outsole and recycled mesh upper."
        )
        return kit.rec("en_batch", "en", "batch", False, False, kit.msgs(text))
    text = "Summarise this change for the customer-facing changelog in one line.\n\n" + art.diff(
        rng
    )
    return kit.rec("en_batch", "en", "batch", False, True, kit.msgs(text))


def batch(rng: random.Random, n: int) -> list[dict]:
    return [_batch_one(rng) for _ in range(n)]


# --- 15. multi-tenant apps ----------------------------------------------------------------

APPS = {
    "tutor": (
        "You are StudyPal, a tutor for students aged 12-18. Never give the final "
        "answer straight away: solve the problem one step at a time and show the "
        "working for every step so the student can follow.",
        True,
        False,
    ),
    "kidscode": (
        "You are CodeCoach, teaching programming to children. When you answer, "
        "explain your reasoning in simple words, step by step, so a 10-year-old can "
        "follow how you got there.",
        True,
        True,
    ),
    "airline": (
        "You are the virtual assistant for SkyWays Airlines. Answer questions about "
        "bookings, baggage and delays politely. Escalate refunds over 500 EUR to a "
        "human agent.",
        False,
        False,
    ),
    "recipes": (
        "You are the assistant inside RecipeBox. Suggest recipes using the user's "
        "ingredients. Keep answers under 200 words.",
        False,
        False,
    ),
    "apidocs": (
        "You answer developer questions about the Fluxly REST API. Base answers on "
        "the reference below and include code samples in the user's language.\n\n"
        "GET /v2/events?cursor=&limit= (max 200)\nPOST /v2/events  body: {type, "
        "payload, idempotency_key}\nAuth: Bearer token in Authorization header.\n"
        "Errors: 429 with Retry-After.",
        False,
        True,
    ),
    "legal": (
        "You summarise contracts for small businesses. Be neutral, flag unusual "
        "clauses, and remind users you are not a lawyer.",
        False,
        False,
    ),
}
APP_QUESTIONS = {
    "tutor": [
        "solve {eq}",
        "what is 3/4 divided by 2/5",
        "how do I find the slope between (2,3) and (6,11)",
        "a bike costs 240 and is 15% off, new price?",
        "simplify (x^2 - 9)/(x - 3)",
        "a rectangle has area 48 and perimeter 28, what are its sides",
        "how many ways can 5 people sit in a row",
        "the angles of a triangle are x, 2x and 3x, find x",
        "convert 0.375 to a fraction",
        "if 3 pens cost 4.50, how much do 7 cost",
    ],
    "kidscode": [
        "how do I make my scratch cat jump when I press space?",
        "what does a for loop do in python?",
        "can you help me make a guessing game in python",
        "why does my turtle drawing go off the screen?",
        "how do I make a list of my favourite animals in python and print them",
        "my scratch game score never goes up, what's wrong?",
        "what is a variable?",
        "can you show me how to draw a star with python turtle",
    ],
    "airline": [
        "my flight got cancelled, what are my options?",
        "can I bring a guitar as cabin baggage?",
        "why was I charged a seat fee?",
        "how do I add a wheelchair request to my booking",
        "my bag didn't arrive in Lisbon, what do I do?",
        "can I change my flight to tomorrow without paying?",
        "is there wifi on the flight to Reykjavik?",
        "do I need a visa to transit through Frankfurt?",
    ],
    "recipes": [
        "what can I make with chickpeas, spinach and feta?",
        "quick dinner with eggs and leftover rice",
        "step-by-step lasagne please",
        "vegan dessert with bananas and oats",
        "what goes well with grilled salmon?",
        "I have potatoes, leeks and cream. soup ideas?",
        "kid-friendly lunch with no nuts",
    ],
    "apidocs": [
        "how do I paginate /v2/events in Python?",
        "what should my client do on a 429?",
        "show me a Node example that posts an event with an idempotency key",
        "why do I get 401 with a valid token?",
        "write a Go client for POST /v2/events with retries on 429",
        "how do I pass the bearer token with curl?",
        "what's the max limit for GET /v2/events?",
        "TypeScript types for the event payload?",
    ],
    "legal": [
        "summarise the termination clause: 'Either party may terminate with 90 days' "
        "written notice...'",
        "is a 3-year non-compete normal for a freelancer?",
        "what does 'indemnify and hold harmless' mean in this lease?",
        "summarise the payment terms: 'Invoices are payable within 45 days of receipt...'",
        "can my landlord keep the deposit for normal wear and tear?",
    ],
}


def _mt_one(rng: random.Random) -> dict:
    app = rng.choice(sorted(APPS))
    system, elicit, focus = APPS[app]
    q = rng.choice(APP_QUESTIONS[app]).replace("{eq}", art.equation(rng))
    # end users of one app: same questions, each in their own words around them
    q = rng.choice(["", "", "hi, ", "hello! ", "quick question: ", "hey "]) + q
    q += rng.choice(["", "", " thanks", " pls", " thank you!", " (asking for my mum)"])
    trap = None
    borderline = False
    if app == "recipes" and "step-by-step" in q:
        trap, borderline = "steps_of_procedure", True
    if not elicit and not focus and " why " in f" {q} ":
        trap = "why_question"
    return kit.rec(
        "en_multitenant",
        "en",
        "multitenant",
        elicit,
        focus,
        kit.msgs(q, system),
        demand_at="system" if elicit else "none",
        trap=trap,
        borderline=borderline,
    )


def multitenant(rng: random.Random, n: int) -> list[dict]:
    return [_mt_one(rng) for _ in range(n)]


# --- 16. logit probers --------------------------------------------------------------------

PROBES = [
    ("Reply with exactly one word, yes or no: is water wet?", False),
    ("Complete with one token: The capital of France is", False),
    ("Repeat the word 'apple' once.", False),
    ("Choose A or B. Answer with the letter only.", False),
    ("Continue the sequence: 0 1 1 2 3 5 8", False),
    ("Output a single random digit.", False),
    ("Say 'OK'.", False),
    ("def add(a, b):\n    return", True),
    ("import numpy as", True),
    ("SELECT * FROM users WHERE", True),
]


def _probe_one(rng: random.Random) -> dict:
    text, focus = rng.choice(PROBES)
    if kit.chance(rng, 0.3):
        text = f"{text} [{rng.randint(0, 9999)}]"
    return kit.rec(
        "en_prober",
        "en",
        "logit_prober",
        False,
        focus,
        kit.msgs(text),
        trap="negated_demand" if "only" in text else None,
    )


def prober(rng: random.Random, n: int) -> list[dict]:
    return [_probe_one(rng) for _ in range(n)]
