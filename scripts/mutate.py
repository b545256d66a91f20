"""Mutation testing of the detection math and its Lua transcriptions (issue 15).

Python: mutmut 3 over the pure modules in ``PYTHON``, each against the test files named
for what it tests (mutmut runs, for each mutant, the tests among those that call the
mutated function). Lua: our own mutator (``scripts/lua_mutants.py``: one constant,
operator, connective or index at a time) over every ``antiextract/{store,intel}/*.lua``; each
mutant is loaded into RedisStore through the store's normal script-building path (the
copy's files are what ``importlib.resources`` reads) and the store and cohort tests run
against a real Redis: a private redis-server this tool starts on a free port for each
target (the tests flush their database and read server-wide statistics).

Everything runs in a temporary copy of the checkout; the checkout is never changed.
A surviving mutant counts as equivalent only when ``scripts/equivalent-mutants.toml``
lists it (target, the line before and after, and why no test can tell them apart).

    .venv/bin/python scripts/mutate.py                     # everything, report updated
    .venv/bin/python scripts/mutate.py risk evaluate.lua   # some targets, report updated
    .venv/bin/python scripts/mutate.py evaluate.lua --budget 900   # stop after 15 minutes
    .venv/bin/python scripts/mutate.py --reapply           # the equivalents list edited
    .venv/bin/python scripts/mutate.py --sample 3 --seed 15   # CI's subset (report untouched)
    .venv/bin/python scripts/mutate.py --list              # the targets

Exit status 1 when a mutant that is not listed as equivalent survived (``--check``, on by
default with ``--sample``) or when the unchanged code fails its tests.
"""

from __future__ import annotations

import argparse
import contextlib
import difflib
import hashlib
import json
import os
import random
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import tomllib
from collections.abc import Iterator
from dataclasses import asdict, dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(ROOT / "scripts"), str(ROOT)]
import lua_mutants  # noqa: E402
import resume  # noqa: E402

from tests.redis_proc import RedisProcess  # noqa: E402

RESULTS = ROOT / "benchmarks" / "results"
EQUIVALENTS = ROOT / "scripts" / "equivalent-mutants.toml"
COPIED = ("antiextract", "tests", "benchmarks", "pyproject.toml")

# module -> (path, the test files named for what it tests)
PYTHON = {
    "risk": ("antiextract/model/risk.py", ("tests/test_risk.py", "tests/test_store.py")),
    # fold_counts and update_cohort are the analysers' now: their tests meet its mutants
    "cohorts": (
        "antiextract/model/cohorts.py",
        ("tests/test_cohorts.py", "tests/test_intel_memory.py", "tests/test_intel_redis.py"),
    ),
    "bucket": ("antiextract/model/bucket.py", ("tests/test_store.py",)),
    "policy": (
        "antiextract/request/policy.py",
        ("tests/test_policy.py", "tests/test_policy_evidence.py"),
    ),
    "evidence": (
        "antiextract/model/evidence.py",
        (
            "tests/test_evidence.py",
            "tests/test_evidence_bounds.py",
            "tests/test_evidence_fold.py",
            "tests/test_policy_evidence.py",
        ),
    ),
    "signals": (
        "antiextract/request/signals.py",
        (
            "tests/test_signals.py",
            "tests/test_signals_rules.py",
            "tests/test_classifier_rules_round3.py",
            "tests/test_heldout_corpus.py",
        ),
    ),
}
# Modules that compute tables when imported (signals builds its lexicon with _entries and
# memoizes readings): mutmut's forked workers start from a process that imported them
# already, so a mutant of that code would never run (and a fresh interpreter per mutant is
# too slow for 800 of them). They run in one pytest session instead (mutation_session),
# where each mutant's import-time values are computed again with the mutant named.
FRESH_IMPORT = {"signals"}
LUA_DIRS = ("antiextract/store", "antiextract/intel")
# Every script found in LUA_DIRS is mutated (a script is named by its file name, unique
# across them), by default against the store tests (they load the scripts into a
# RedisStore and hold it to the memory store and hand-worked values); the campaign
# buckets' scripts against the cohort tests too, the intelligence plane's against the
# tests of the Redis analyser that loads them (held to the memory one and the model).
LUA_TESTS = ("tests/test_store.py",)
LUA_TESTS_BY_SCRIPT: dict[str, tuple[str, ...]] = {
    "campaign.lua": ("tests/test_store.py", "tests/test_cohorts.py"),
    "combined.lua": ("tests/test_store.py", "tests/test_cohorts.py"),
    "fold.lua": ("tests/test_intel_redis.py", "tests/test_parts_admission.py"),
    "evidence.lua": ("tests/test_evidence_fold.py",),
}
LUA_TIMEOUT = 60.0  # seconds one mutant may run a test before Redis is told SCRIPT KILL


@dataclass
class Mutant:
    target: str  # "risk" or "evaluate.lua"
    name: str  # mutmut's name, or "<script>#<n>" (the n-th site in the script)
    kind: str  # Lua: constant/arithmetic/...; Python: the mutated function
    before: str
    after: str
    status: str = "not run"  # killed, survived, timeout, no tests, equivalent, ...
    killer: str = ""
    reason: str = ""  # why it is equivalent
    raw: str = ""  # the run's verdict before the list of equivalent mutants was applied


@dataclass
class Result:
    target: str
    path: str
    sha256: str
    tests: tuple[str, ...]
    mutants: list[Mutant] = field(default_factory=list)
    seconds: float = 0.0
    sample: int | None = None
    resumed: str = ""  # --resume: the commit of the stored row whose kills were kept
    kept: int = 0  # how many
    # --resume on a file changed since (Python): the stored row's sha256, the functions whose
    # mutants all ran again (changed or new), and where that row's own kept kills came from
    resumed_sha256: str = ""
    rerun_functions: list[str] = field(default_factory=list)
    resumed_earlier: str = ""
    history: list[str] = field(default_factory=list)  # how the stored row was resumed itself

    def counts(self) -> dict[str, object]:
        by: dict[str, int] = {}
        for m in self.mutants:
            by[m.status] = by.get(m.status, 0) + 1
        killed = by.get("killed", 0) + by.get("timeout", 0)
        equivalent, not_run = by.get("equivalent", 0), by.get("not run", 0)
        judged = len(self.mutants) - equivalent - not_run
        return {
            "mutants": len(self.mutants),
            "killed": killed,
            "survived": judged - killed,
            "equivalent": equivalent,
            "not_run": not_run,
            "kill_rate": round(killed / judged, 4) if judged else 1.0,
        }


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def commit() -> str:
    head = subprocess.run(
        ["git", "rev-parse", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.strip()
    dirty = subprocess.run(
        ["git", "status", "--porcelain", "--", "antiextract", "tests"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    return head + ("+changes" if dirty else "")


@contextlib.contextmanager
def private_redis() -> Iterator[str]:
    """A redis-server of this run's own on a free loopback port: the tests flush their
    database and one reads the server's command statistics, so a shared server (another
    run, another checkout's tests) would make mutants die or live by accident."""
    server = RedisProcess()
    server.start()
    try:
        yield server.url.rsplit("/", 1)[0] + "/15"
    finally:
        server.stop()


def copy_checkout(to: Path) -> None:
    for name in COPIED:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(
                src, to / name, ignore=shutil.ignore_patterns("__pycache__", "*.pyc", "results")
            )
        else:
            shutil.copy2(src, to / name)


def load_equivalents() -> list[dict[str, str]]:
    if not EQUIVALENTS.exists():
        return []
    listed = tomllib.loads(EQUIVALENTS.read_text("utf-8")).get("equivalent", [])
    for e in listed:
        missing = {"target", "before", "after", "reason"} - set(e)
        if missing:
            raise SystemExit(f"{EQUIVALENTS.name}: an entry lacks {', '.join(sorted(missing))}")
    return listed


def _matches(e: dict[str, str], m: Mutant) -> bool:
    """An entry names a mutant by target, the line before and after, and optionally the
    function (Python) or kind of change (Lua) when the same line occurs twice."""
    same = e["target"] == m.target and e["before"] == m.before and e["after"] == m.after
    return same and e.get("where", m.kind) == m.kind


def mark_equivalents(result: Result, listed: list[dict[str, str]]) -> None:
    """A surviving mutant listed as equivalent counts as such (``raw``: the run's own
    verdict, kept so that the list can be applied again without a new run)."""
    for m in result.mutants:
        m.raw = m.raw or m.status
        m.status, m.reason = m.raw, ""
        if m.raw not in ("survived", "no tests"):
            continue
        for e in listed:
            if _matches(e, m):
                m.status, m.reason = "equivalent", e["reason"]
                break


def reapply(report: dict[str, dict[str, object]], listed: list[dict[str, str]]) -> None:
    """The stored report with the list of equivalent mutants applied again."""
    for data in report.values():
        fields = {f for f in Mutant.__dataclass_fields__}
        mutants = [Mutant(**{k: v for k, v in m.items() if k in fields}) for m in data["mutants"]]
        for m in mutants:
            if not m.raw:
                m.raw = "survived" if m.status == "equivalent" else m.status
        names = ("target", "path", "sha256", "tests", "seconds", "sample", "resumed", "kept")
        names += ("resumed_sha256", "rerun_functions", "resumed_earlier", "history")
        kept = {k: data[k] for k in names if k in data}
        result = Result(**kept, mutants=mutants)
        mark_equivalents(result, listed)
        data["mutants"] = [asdict(m) for m in mutants]
        data["counts"] = result.counts()


# --- Python, through mutmut ---------------------------------------------------------------

_MUTMUT_STATUS = {0: "survived", 1: "killed", 3: "killed", 5: "no tests", 33: "no tests"}
_MUTMUT_STATUS.update({36: "timeout", -24: "timeout", 24: "timeout", 152: "timeout"})


def _mutmut(
    where: Path, url: str, *args: str, budget: float | None = None
) -> subprocess.CompletedProcess[str]:
    """mutmut in the copy; after ``budget`` seconds it is stopped, and the mutants it
    had not reached stay unrun in its result file (it saves each verdict as it goes)."""
    exe = Path(sys.executable).with_name("mutmut")
    env = {
        **os.environ,
        "PYTHONDONTWRITEBYTECODE": "1",
        "PYTHONPATH": str(ROOT / "scripts"),
        "ANTIEXTRACT_TEST_REDIS_URL": url,
    }
    return _run_for(budget, [str(exe), *args], where, env)


def _session(where: Path, plan: Path, url: str) -> tuple[dict[str, str], list[str]]:
    """The environment and pytest command of a mutation session (one pytest process that
    runs a plan of mutants with scripts/mutation_session.py loaded)."""
    env = {
        **os.environ,
        "PYTHONPATH": f"{where}{os.pathsep}{ROOT / 'scripts'}",
        "PYTHONDONTWRITEBYTECODE": "1",
        "ANTIEXTRACT_LUA_PLAN": str(plan),
        "ANTIEXTRACT_TEST_REDIS_URL": url,
    }
    env.pop("MUTANT_UNDER_TEST", None)
    return env, [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]


def _run_for(
    budget: float | None, argv: list[str], where: Path, env: dict[str, str]
) -> subprocess.CompletedProcess[str]:
    with tempfile.TemporaryFile("w+", encoding="utf-8") as log:
        child = subprocess.Popen(
            argv, cwd=where, env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True
        )
        try:
            child.wait(timeout=budget)
        except subprocess.TimeoutExpired:
            os.killpg(child.pid, signal.SIGTERM)
            try:
                child.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(child.pid, signal.SIGKILL)
                child.wait()
        log.seek(0)
        return subprocess.CompletedProcess(argv, child.returncode, log.read())


def _run_session(
    where: Path, plan: Path, url: str, tests: list[str], budget: float | None, what: str
) -> dict:
    """Run a plan of mutants in one pytest session (mutation_session) and read its
    verdicts: what a budget cut leaves is 'not run'; a session stopped by a script Redis
    could not kill is said so; unchanged code failing its tests ends the run."""
    env, pytest = _session(where, plan, url)
    done = _run_for(budget, [*pytest, "-p", "mutation_session", *tests], where, env)
    out = where / "plan.out.json"
    if not out.exists():
        raise SystemExit(f"the session for {what} ended early:\n{done.stdout[-4000:]}")
    verdicts = json.loads(out.read_text("utf-8"))
    if verdicts.get("stopped"):  # the mutants after it are left 'not run'
        print(f"{what}: the session stopped: {verdicts['stopped']}", file=sys.stderr)
    if verdicts.get("baseline"):
        raise SystemExit(f"the unchanged code fails {', '.join(tests)}: {verdicts['baseline']}")
    return verdicts


def _diff_lines(diff: str) -> tuple[str, str]:
    """The changed line of a mutmut diff, before and after (stripped; several joined)."""
    minus = [ln[1:].strip() for ln in diff.splitlines() if ln.startswith("-") and ln[1:2] != "-"]
    plus = [ln[1:].strip() for ln in diff.splitlines() if ln.startswith("+") and ln[1:2] != "+"]
    return " / ".join(minus), " / ".join(plus)


def run_python(module: str, budget: float | None = None, only: set[str] | None = None) -> Result:
    path, tests = PYTHON[module]
    result = Result(module, path, sha256(ROOT / path), tests)
    started = time.monotonic()
    with (
        tempfile.TemporaryDirectory(prefix=f"antiextract-mutmut-{module}-") as tmp,
        private_redis() as url,
    ):
        where = Path(tmp)
        copy_checkout(where)
        config = (
            "\n[tool.mutmut]\n"
            'source_paths = ["antiextract"]\n'
            f'only_mutate = ["{path}"]\n'
            f"pytest_add_cli_args_test_selection = {json.dumps(list(tests))}\n"
            'pytest_add_cli_args = ["-p", "no:cacheprovider", "-x", "-p", "mutation_session"]\n'
            "use_git_change_detection = false\n"
            'also_copy = ["benchmarks"]\n'  # the held-out corpus and the classifiers
        )
        if module in FRESH_IMPORT:
            config += 'process_isolation = "forkserver"\nforkserver_warmup = "none"\n'
        with open(where / "pyproject.toml", "a", encoding="utf-8") as f:
            f.write(config)
        # One mutant at a time: the Redis tests flush their database per test, so two
        # mutants' tests running side by side would wipe each other's state.
        names = sorted(only) if only is not None else []
        done = _mutmut(where, url, "run", "--max-children", "1", *names, budget=budget)
        meta = json.loads((where / "mutants" / (path + ".meta")).read_text("utf-8"))
        codes: dict[str, int | None] = meta["exit_code_by_key"]
        if not codes:
            raise SystemExit(f"mutmut made no mutants of {path}:\n{done.stdout[-3000:]}")
        if done.returncode not in (0, None) and all(c is None for c in codes.values()):
            raise SystemExit(f"mutmut could not test {module}:\n{done.stdout[-3000:]}")
        names = sorted(codes)
        for name in names:
            code = codes[name]
            status = "not run" if code is None else _MUTMUT_STATUS.get(code, f"exit {code}")
            function = name.rsplit("__mutmut_", 1)[0].rsplit(".", 1)[-1]
            m = Mutant(
                module,
                name,
                function.removeprefix("x_").removeprefix("xǁ").replace("ǁ", "."),
                "",
                "",
            )
            m.status = status
            if status not in ("killed", "not run"):
                shown = _mutmut(where, url, "show", name).stdout
                m.before, m.after = _diff_lines(shown)
            result.mutants.append(m)
    result.seconds = round(time.monotonic() - started, 1)
    return result


# --- Lua, through our own mutator and a pytest session that stays up ------------------------


def lua_scripts() -> list[str]:
    names = [p.name for d in LUA_DIRS for p in (ROOT / d).glob("*.lua")]
    assert len(names) == len(set(names)), "two Lua scripts share a name"
    return sorted(names)


def lua_path(script: str) -> str:
    """The script's path in the checkout, relative to its root."""
    return next(f"{d}/{script}" for d in LUA_DIRS if (ROOT / d / script).exists())


def run_lua(script: str, budget: float | None = None, only: set[str] | None = None) -> Result:
    source = ROOT / lua_path(script)
    tests = LUA_TESTS_BY_SCRIPT.get(script, LUA_TESTS)
    result = Result(script, lua_path(script), sha256(source), tests)
    text = source.read_text("utf-8")
    found = lua_mutants.sites(text)
    numbered = list(enumerate(found, 1))
    if only is not None:
        numbered = [(n, site) for n, site in numbered if f"{script}#{n}" in only]
    # Mutants listed as equivalent last: they cost a whole run each, and when a budget
    # runs out it is they that are left unrun (outside the kill rate either way).
    listed = load_equivalents()

    def known(site: lua_mutants.Site) -> bool:
        before, after = site.lines(text)
        return _is_listed(Mutant(script, "", site.kind, before, after), listed)

    numbered.sort(key=lambda ns: known(ns[1]))
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="antiextract-lua-") as tmp, private_redis() as url:
        where = Path(tmp)
        copy_checkout(where)
        plan = where / "plan.json"
        plan.write_text(
            json.dumps(
                {
                    "path": str(where / lua_path(script)),
                    "mutants": [
                        {"n": n, "text": site.apply(text), "where": f"line {site.line}"}
                        for n, site in numbered
                    ],
                    "timeout": LUA_TIMEOUT,
                }
            ),
            "utf-8",
        )
        verdicts = _run_session(where, plan, url, list(tests), budget, script)
    unrun = {"status": "not run", "killer": ""}
    for n, site in sorted(numbered, key=lambda ns: ns[0]):
        before, after = site.lines(text)
        v = verdicts["mutants"].get(str(n), unrun)
        m = Mutant(script, f"{script}#{n}", site.kind, before, after, v["status"], v["killer"])
        result.mutants.append(m)
    result.seconds = round(time.monotonic() - started, 1)
    return result


# --- CI's subset: a seeded sample of both kinds, in one pytest session -----------------------


def _is_listed(m: Mutant, listed: list[dict[str, str]]) -> bool:
    return any(_matches(e, m) for e in listed)


def _mutmut_mutants(where: Path, module: str) -> list[tuple[Mutant, dict]]:
    """Write mutmut's trampolined version of ``module`` into the copy; its mutants, each
    a plan entry run by naming it in MUTANT_UNDER_TEST (no stats run, no new process).
    A module in FRESH_IMPORT has its import-time values computed again for each."""
    from mutmut.mutation.file_mutation import mutate_file_contents

    path, tests = PYTHON[module]
    code = (ROOT / path).read_text("utf-8")
    with contextlib.chdir(where):  # mutmut reads its settings from ./pyproject.toml
        mutated = mutate_file_contents(path, code)
    (where / path).write_text(mutated.code, "utf-8")
    lines = mutated.code.splitlines()
    dotted = path.removesuffix(".py").replace("/", ".")
    refresh = [dotted] if module in FRESH_IMPORT else []
    out = []
    for name in sorted(mutated.mutant_names):
        function = name.rsplit("__mutmut_", 1)[0]

        def body(fn: str, function: str = function) -> list[str]:
            span = mutated.line_span_by_function_name[fn]
            text = lines[span.start - 1 : span.end]
            return [ln.replace(fn, function).strip() for ln in text]

        diff = list(difflib.ndiff(body(function + "__mutmut_orig"), body(name)))
        before = " / ".join(d[2:] for d in diff if d.startswith("- "))
        after = " / ".join(d[2:] for d in diff if d.startswith("+ "))
        kind = function.removeprefix("x_").removeprefix("xǁ").replace("ǁ", ".")
        m = Mutant(module, f"{dotted}.{name}", kind, before, after)
        entry = {"n": m.name, "env": m.name, "tests": list(tests), "refresh": refresh}
        out.append((m, entry))
    return out


def _mutmut_sample(
    where: Path, module: str, n: int, seed: int, listed: list[dict[str, str]]
) -> list[tuple[Mutant, dict]]:
    """``n`` of ``module``'s mutmut mutants, drawn with ``seed`` among those not listed
    as equivalent (a known survivor proves nothing and costs the most)."""
    out = [(m, p) for m, p in _mutmut_mutants(where, module) if not _is_listed(m, listed)]
    pick = random.Random(f"{seed}:{module}")
    return sorted(pick.sample(out, min(n, len(out))), key=lambda x: x[0].name)


def run_python_session(
    module: str, budget: float | None = None, only: set[str] | None = None
) -> Result:
    """Every mutmut mutant of ``module`` in one pytest session (mutation_session), the
    module's import-time values computed again for each: for modules in FRESH_IMPORT,
    whose tables mutmut's forked workers would have computed with the unchanged code."""
    path, tests = PYTHON[module]
    result = Result(module, path, sha256(ROOT / path), tests)
    listed = load_equivalents()
    started = time.monotonic()
    with (
        tempfile.TemporaryDirectory(prefix=f"antiextract-session-{module}-") as tmp,
        private_redis() as url,
    ):
        where = Path(tmp)
        copy_checkout(where)
        with open(where / "pyproject.toml", "a", encoding="utf-8") as f:
            f.write('\n[tool.mutmut]\nsource_paths = ["antiextract"]\n')  # mutmut reads it
        found = _mutmut_mutants(where, module)
        if only is not None:
            found = [(m, p) for m, p in found if m.name in only]
        # listed ones last: when a budget runs out it is they that are left unrun
        found.sort(key=lambda mp: _is_listed(mp[0], listed))
        plan = where / "plan.json"
        plan.write_text(
            json.dumps({"mutants": [p for _, p in found], "timeout": LUA_TIMEOUT}), "utf-8"
        )
        verdicts = _run_session(where, plan, url, list(tests), budget, module)
    unrun = {"status": "not run", "killer": ""}
    for m, _ in sorted(found, key=lambda mp: mp[0].name):
        v = verdicts["mutants"].get(m.name, unrun)
        m.status, m.killer = v["status"], v["killer"]
        result.mutants.append(m)
    result.seconds = round(time.monotonic() - started, 1)
    return result


def run_sample(
    targets: list[str], n: int, seed: int, baseline: bool, listed: list[dict[str, str]]
) -> list[Result]:
    """``n`` seeded mutants of each target, all in one pytest session over the union of
    the targets' test files (each mutant meets only its own target's)."""
    results = {}
    plans: list[tuple[Mutant, dict]] = []
    tests: set[str] = set()
    started = time.monotonic()
    with tempfile.TemporaryDirectory(prefix="antiextract-sample-") as tmp, private_redis() as url:
        where = Path(tmp)
        copy_checkout(where)
        with open(where / "pyproject.toml", "a", encoding="utf-8") as f:
            f.write('\n[tool.mutmut]\nsource_paths = ["antiextract"]\n')  # mutmut reads it
        for target in targets:
            if target in PYTHON:
                path, own = PYTHON[target]
                picked = _mutmut_sample(where, target, n, seed, listed)
            else:
                path, own = lua_path(target), LUA_TESTS_BY_SCRIPT.get(target, LUA_TESTS)
                text = (ROOT / path).read_text("utf-8")
                found = []
                for k, site in enumerate(lua_mutants.sites(text), 1):
                    before, after = site.lines(text)
                    m = Mutant(target, f"{target}#{k}", site.kind, before, after)
                    entry = {"path": str(where / path), "text": site.apply(text)}
                    if not _is_listed(m, listed):
                        found.append((m, {**entry, "n": m.name, "tests": list(own)}))
                pick = random.Random(f"{seed}:{target}")
                picked = [
                    found[i] for i in sorted(pick.sample(range(len(found)), min(n, len(found))))
                ]
            results[target] = Result(target, path, sha256(ROOT / path), own, sample=n)
            plans += picked
            tests |= set(own)
        plan = where / "plan.json"
        plan.write_text(
            json.dumps(
                {"mutants": [p for _, p in plans], "timeout": LUA_TIMEOUT, "baseline": baseline}
            ),
            "utf-8",
        )
        verdicts: dict = {"baseline": "", "mutants": {}}
        if plans:
            verdicts = _run_session(where, plan, url, sorted(tests), None, "the sample")
    for m, p in plans:
        v = verdicts["mutants"][p["n"]]
        m.status, m.killer = v["status"], v["killer"]
        results[m.target].mutants.append(m)
    for r in results.values():
        r.seconds = round(time.monotonic() - started, 1)
    return list(results.values())


# --- the report -----------------------------------------------------------------------------


def write_report(results: dict[str, dict[str, object]], at: str) -> None:
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / "mutation.json").write_text(json.dumps(results, indent=1) + "\n", "utf-8")
    order = list(PYTHON) + sorted(t for t in results if t.endswith(".lua"))
    rows, details = [], []
    total = {"mutants": 0, "killed": 0, "survived": 0, "equivalent": 0, "not_run": 0}
    for t in order:
        if t not in results:
            continue
        r = results[t]
        c = r["counts"]
        for k in total:
            total[k] += c.get(k, 0)
        rows.append(
            f"| `{t}` | {c['mutants']} | {c['killed']} | {c['survived']} | {c['equivalent']} "
            f"| {c.get('not_run', 0)} | {100 * c['kill_rate']:.1f}% | `{r['commit'][:12]}` "
            f"| `{r['sha256'][:12]}` | {r['seconds']:.0f} s |"
        )
        left = [m for m in r["mutants"] if m["status"] not in ("killed", "timeout", "not run")]
        if left:
            details.append(f"\n### `{t}` ({r['path']}; tests: {', '.join(r['tests'])})\n")
            for m in left:
                why = f" — {m['reason']}" if m["reason"] else ""
                details.append(
                    f"- **{m['status']}** `{m['name']}` ({m['kind']}): "
                    f"`{m['before']}` → `{m['after']}`{why}"
                )
    judged = total["mutants"] - total["equivalent"] - total["not_run"]
    rate = 100 * total["killed"] / judged if judged else 100.0
    resumed = [_resumed_line(t, results[t]) for t in order if results.get(t, {}).get("resumed")]
    if resumed:
        head = "Resumed rows (`--resume`: kills kept from an earlier run, the rest run again):"
        resumed = ["", head, "", *resumed]
    text = "\n".join(
        [
            "# Mutation testing",
            "",
            "Written by `scripts/mutate.py` (`make mutate`); do not edit by hand. Python: mutmut "
            "over each pure module with the test files named for what it tests; Lua: "
            "`scripts/lua_mutants.py` (one constant, operator, connective or index at a time), "
            "each mutant loaded where the code loads it (a RedisStore, the intelligence "
            "plane's Redis analyser) and the tests named for it run on a real Redis. A timeout "
            "counts as killed. *Equivalent* mutants are those listed with a "
            "reason in `scripts/equivalent-mutants.toml`; *not run*: left when a script's "
            "time budget (`--budget`) ran out. The kill rate is over the others.",
            "",
            "| target | mutants | killed | survived | equivalent | not run | kill rate | commit "
            "| sha256 | time |",
            "| --- | ---: | ---: | ---: | ---: | ---: | ---: | --- | --- | ---: |",
            *rows,
            f"| **all** | {total['mutants']} | {total['killed']} | {total['survived']} "
            f"| {total['equivalent']} | {total['not_run']} | {rate:.1f}% | | | |",
            "",
            "`commit` is the checkout each target ran at (`+changes`: with uncommitted changes "
            "to antiextract/ or tests/), `sha256` that of the file mutated.",
            *resumed,
            "",
            "## What this does not cover",
            "",
            "- mutmut mutates inside functions only: module-level constants (`HOURS_FROM`, "
            "`KIND_WEIGHT`, the harvest weights, ...) are not mutated here; "
            "`scripts/mutants.py` holds named mutants of the ones that matter most.",
            "- `signals` builds its lexicon's automata when imported and memoizes system "
            "prompts: mutmut's forked workers would test its mutants against tables the "
            "unchanged code built. Its mutants run in one pytest session instead "
            "(`scripts/mutation_session.py`), mutmut's trampolines naming each in turn; for a "
            "mutant of a function the import calls, the module's source runs again with the "
            "mutant named and its computed values replace the live ones for that mutant's "
            "tests; for the others the memo starts empty. A mutant that makes the import "
            "fail counts as killed.",
            "- A budget (`--budget`) cuts a long run: *not run* mutants are outside the kill "
            "rate, so a rate with many of them is over a part of the file only.",
            "- `--resume` does not run a kept kill again: on a file changed since, a kill is "
            "kept when the mutated function's text is unchanged (mutmut names a function's "
            "mutants from that text alone), so a change elsewhere in the file that the "
            "killing test leaned on (a caller, a module constant) shows only in a full run.",
            "- A test failing because Redis answered after the hot-path client's 0.25 s is "
            "run again (up to three times) before it counts as a kill.",
            "",
            "## Mutants not killed",
            *details,
            "",
        ]
    )
    (RESULTS / "mutation.md").write_text(text, "utf-8")


def _resumed_line(t: str, r: dict) -> str:
    earlier = r.get("resumed_earlier")
    back = f" (that row had itself kept kills from `{earlier[:12]}`)" if earlier else ""
    back = "" if r.get("history") else back  # the history says how, below
    head = f"- `{t}`: the kills of {r['kept']} mutants kept from its run at `{r['resumed'][:12]}`"
    head += back
    if not r.get("resumed_sha256") or r["resumed_sha256"] == r["sha256"]:
        line = (
            f"{head} on the same file; every other mutant ran again at the row's commit, "
            "and its time is the runs' sum."
        )
        return line + "".join(f" Before that: {h}" for h in r.get("history", []))
    fns = ", ".join(f"`{f}`" for f in r.get("rerun_functions", [])) or "none"
    line = (
        f"{head}, whose file (sha256 `{r['resumed_sha256'][:12]}`) has changed since: kept only "
        "the kills of mutants of functions whose text (decorators included) is the same; "
        f"every mutant of a changed or new function ({fns}) and every mutant not killed then "
        "ran again at the row's commit; its time is the runs' sum."
    )
    return line + "".join(f" Before that: {h}" for h in r.get("history", []))


def _resumed(result: Result, stored: dict, keep: set[str]) -> Result:
    """The new verdicts of every mutant run now, the stored ones (kills) of ``keep``,
    by name."""
    fields = set(Mutant.__dataclass_fields__)
    by_name = {m.name: m for m in result.mutants if m.name not in keep}
    for data in stored["mutants"]:
        if data["name"] in keep:
            old = Mutant(**{k: v for k, v in data.items() if k in fields})
            old.status = old.raw or old.status
            by_name[old.name] = old
    # Python rows list mutants by name, Lua rows by site number (as a full run does)
    lua = result.target.endswith(".lua")
    order = sorted(by_name, key=lambda n: int(n.rsplit("#", 1)[1]) if lua else 0)
    result.mutants = [by_name[n] for n in (order if lua else sorted(by_name))]
    if stored.get("resumed"):  # the stored row was resumed itself: say how, in this one
        earlier = {**stored, "history": []}
        line = _resumed_line(stored["target"], earlier).split(": ", 1)[1]
        result.history = [
            f"the row at `{stored['commit'][:12]}`: {line}",
            *stored.get("history", []),
        ]
    result.resumed = stored["commit"]
    result.resumed_earlier = stored.get("resumed") or ""
    result.resumed_sha256 = stored["sha256"]
    result.kept = len(keep)
    result.seconds = round(result.seconds + stored["seconds"], 1)
    return result


def mutant_names(module: str) -> list[str]:
    """Every mutmut mutant of ``module`` now (generated, not run)."""
    from mutmut.mutation.file_mutation import mutate_file_contents

    path = PYTHON[module][0]
    dotted = path.removesuffix(".py").replace("/", ".")
    with tempfile.TemporaryDirectory(prefix="antiextract-names-") as tmp:
        Path(tmp, "pyproject.toml").write_text('[tool.mutmut]\nsource_paths = ["antiextract"]\n')
        with contextlib.chdir(tmp):
            mutated = mutate_file_contents(path, (ROOT / path).read_text("utf-8"))
    return [f"{dotted}.{n}" for n in mutated.mutant_names]


def _stored_source(stored: dict, path: str) -> str | None:
    """The file as the stored row mutated it: at its commit, if that has the row's sha256."""
    rev = stored["commit"].removesuffix("+changes")
    shown = subprocess.run(["git", "show", f"{rev}:{path}"], cwd=ROOT, capture_output=True)
    if shown.returncode or hashlib.sha256(shown.stdout).hexdigest() != stored["sha256"]:
        return None
    return shown.stdout.decode("utf-8")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("targets", nargs="*", help="modules and scripts (default: all)")
    parser.add_argument("--list", action="store_true", help="list the targets and exit")
    parser.add_argument("--sample", type=int, help="a seeded sample of this many per target")
    parser.add_argument("--seed", type=int, default=15)
    parser.add_argument("--no-report", action="store_true", help="leave the report unchanged")
    parser.add_argument("--check", action="store_true", help="exit 1 on a surviving mutant")
    parser.add_argument(
        "--budget",
        type=float,
        help="seconds each target's mutants may take; those not reached are 'not run'",
    )
    parser.add_argument(
        "--trust-baseline",
        action="store_true",
        help="with --sample: skip the run on unchanged code (CI, right after the suite passed)",
    )
    parser.add_argument(
        "--resume",
        action="store_true",
        help="keep the stored row's kills (tests added since, say) and run every other "
        "mutant: for a Python file changed since, only the kills of mutants of functions "
        "whose text is unchanged are kept (a Lua script changed since runs in full)",
    )
    parser.add_argument(
        "--reapply",
        action="store_true",
        help="apply scripts/equivalent-mutants.toml to the stored report again, run nothing",
    )
    args = parser.parse_args(argv)
    every = [*PYTHON, *lua_scripts()]
    if args.list:
        print("\n".join(every))
        return 0
    unknown = set(args.targets) - set(every)
    if unknown:
        parser.error(f"unknown targets: {', '.join(sorted(unknown))} (see --list)")
    chosen = [t for t in every if not args.targets or t in args.targets]
    listed = load_equivalents()
    at = commit()
    report_path = RESULTS / "mutation.json"
    report = json.loads(report_path.read_text("utf-8")) if report_path.exists() else {}
    report = {t: r for t, r in report.items() if t in every}  # scripts that are gone
    if args.reapply:
        reapply(report, listed)
        write_report(report, at)
        for t, r in report.items():
            c = r["counts"]
            print(f"{t:18} {c['killed']}/{c['mutants'] - c['equivalent']} killed")
        return 0
    bad = 0
    if args.sample is not None:
        done = run_sample(chosen, args.sample, args.seed, not args.trust_baseline, listed)
    else:
        done = None
    for k, target in enumerate(chosen):
        at = commit()  # per target: each copies the checkout as it is when it starts
        stored = report.get(target) if args.resume and done is None else None
        path = PYTHON[target][0] if target in PYTHON else lua_path(target)
        old = None
        if stored is not None and stored["sha256"] != sha256(ROOT / path):
            old = _stored_source(stored, path) if target in PYTHON else None
            if old is None:
                print(f"{target}: changed since its stored row, run in full")
                stored = None
        only = keep = None
        rerun: list[str] = []
        if stored is not None and target in PYTHON:
            new = (ROOT / path).read_text("utf-8")
            names = mutant_names(target)
            keep = resume.kept_kills(stored["mutants"], old or new, new, names)
            only = set(names) - keep
            rerun = resume.changed_functions(old, new) if old is not None else []
            print(f"{target}: {len(keep)} kills kept, {len(only)} mutants to run", flush=True)
        elif stored is not None:
            dead = ("killed", "timeout")
            keep = {m["name"] for m in stored["mutants"] if m.get("raw", m["status"]) in dead}
            only = {m["name"] for m in stored["mutants"]} - keep
        if done is not None:
            result = done[k]
        elif target in FRESH_IMPORT:
            result = run_python_session(target, args.budget, only)
        elif target in PYTHON:
            result = run_python(target, args.budget, only)
        else:
            result = run_lua(target, args.budget, only)
        if stored is not None and keep is not None:
            result = _resumed(result, stored, keep)
            result.rerun_functions = rerun
        mark_equivalents(result, listed)
        c = result.counts()
        left = [m for m in result.mutants if m.status not in ("killed", "timeout", "equivalent")]
        bad += len(left)
        print(
            f"{target:18} {c['mutants']:4} mutants  {c['killed']:4} killed  "
            f"{c['survived']:3} survived  {c['equivalent']:3} equivalent  "
            f"{100 * c['kill_rate']:5.1f}%  ({result.seconds:.0f} s)",
            flush=True,
        )
        for m in left:
            print(f"    {m.status}: {m.name} ({m.kind}): {m.before}  ->  {m.after}")
        if args.sample is None and not args.no_report:
            data = asdict(result)
            data.update(commit=at, counts=c)
            # read again: another run (one per target kind, say) may have written meanwhile
            if report_path.exists():
                report.update(json.loads(report_path.read_text("utf-8")))
            report = {t: r for t, r in report.items() if t in every}
            report[target] = data
            write_report(report, at)
    if (args.check or args.sample is not None) and bad:
        print(f"{bad} mutants survived that are not listed as equivalent")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
