"""Named mutants of the detection math and its Lua transcriptions, each of which the test
file named for what it changes must kill (issue 15's audit found them all surviving).

For each mutant: copy the checkout's code and tests to a temporary directory, change one
thing there (the checkout is never touched), run the test files meant to kill it, and
report the first test that failed, or SURVIVED. Exit status 1 when any mutant survived
or the unchanged copy fails its tests.

    ANTIEXTRACT_TEST_REDIS_URL=redis://127.0.0.1:6379/15 .venv/bin/python scripts/mutants.py
    .venv/bin/python scripts/mutants.py --list            # names only
    .venv/bin/python scripts/mutants.py hours-lua policy-youth   # some of them
    .venv/bin/python scripts/mutants.py harvest-weights-lua --tests tests/test_store.py

A mutation tester for the whole code base can reuse ``MUTANTS`` and ``run``.
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import subprocess
import sys
import tempfile
from dataclasses import dataclass, replace
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
COPIED = ("antiextract", "tests", "benchmarks", "examples", "pyproject.toml")


@dataclass(frozen=True)
class Mutant:
    name: str
    path: str  # relative to the checkout
    old: str  # must occur exactly once
    new: str
    tests: tuple[str, ...]  # the test files that must kill it


STORE, COHORTS, POLICY, RISK = (
    ("tests/test_store.py",),
    ("tests/test_cohorts.py",),
    ("tests/test_policy.py",),
    ("tests/test_risk.py",),
)
EVALUATE, CAMPAIGN_LUA = "antiextract/store/evaluate.lua", "antiextract/store/campaign.lua"
MUTANTS = (
    # --- the audit's list (issue 15) ---
    Mutant(
        "elicit-focus-bits-lua",
        EVALUATE,
        "local pe = share(field(I_elicit), ELICIT)\nlocal pf = share(field(I_focus), FOCUS)",
        "local pe = share(field(I_elicit), FOCUS)\nlocal pf = share(field(I_focus), ELICIT)",
        STORE,
    ),
    Mutant(
        "single-template-order-lua",
        EVALUATE,
        "local S = {pe, pf, ps, pt, px, pacing, hours}",
        "local S = {pe, pf, pt, ps, px, pacing, hours}",
        STORE,
    ),
    Mutant(
        "focus-extract-order-lua",  # weights that tie in the default model (1.0 and 1.0)
        EVALUATE,
        "local S = {pe, pf, ps, pt, px, pacing, hours}",
        "local S = {pe, px, ps, pt, pf, pacing, hours}",
        STORE,
    ),
    Mutant(
        "hours-lua",
        EVALUATE,
        "(popcount(bit.bor(hc, hp)) - HOURS_FROM) / HOURS_SPAN",
        "(popcount(bit.bor(hc, hp)) - 8) / 5",
        STORE,
    ),
    Mutant(
        "campaign-young-share",
        "antiextract/model/cohorts.py",
        "return m.weight * scale * share * harvest_",
        "return m.weight * scale * harvest_",
        COHORTS,
    ),
    Mutant(
        "policy-youth",
        "antiextract/request/policy.py",
        "linked = weight * youth",
        "linked = weight",
        POLICY,
    ),
    # (the audit's harvest-weight mutants of cohort.lua: harvest is computed only in
    # model/cohorts.py since cohort counting moved to the analysers; "harvest-weights-python")
    Mutant(
        "harvest-weights-python",
        "antiextract/model/cohorts.py",
        "HARVEST_ELICIT, HARVEST_FOCUS, HARVEST_SINGLE, HARVEST_EXTRACT = 2.0, 2.0, 1.0, 1.0",
        "HARVEST_ELICIT, HARVEST_FOCUS, HARVEST_SINGLE, HARVEST_EXTRACT = 2.0, 1.0, 2.0, 1.0",
        COHORTS,
    ),
    *(
        Mutant(
            f"kind-weight-{kind}",
            "antiextract/model/cohorts.py",
            'KIND_WEIGHT = {"t": 1.0, "l": 0.8, "n": 0.5, "c": 0.15, "p": 0.7}',
            "KIND_WEIGHT = " + new[:-1] + ', "p": 0.7}',
            COHORTS,
        )
        for kind, new in (
            ("t", '{"t": 0.8, "l": 0.8, "n": 0.5, "c": 0.15}'),
            ("l", '{"t": 1.0, "l": 1.0, "n": 0.5, "c": 0.15}'),
            ("n", '{"t": 1.0, "l": 0.8, "n": 0.15, "c": 0.15}'),
            ("c", '{"t": 1.0, "l": 0.8, "n": 0.5, "c": 0.5}'),
        )
    ),
    Mutant(
        "member-score-harvest",
        "antiextract/model/cohorts.py",
        "        weight *= request_harvest(traits)\n",
        "        pass\n",
        COHORTS,
    ),
    Mutant(
        "whitespace-folding",  # line breaks and tabs no longer read as spaces
        "antiextract/request/signals.py",
        "raw = text.lower().encode().translate(_ASCII_SPACE)",
        "raw = text.lower().encode()",
        ("tests/test_signals.py",),
    ),
    Mutant(
        "whitespace-runs",  # runs of spaces no longer read as one
        "antiextract/request/signals.py",
        'while b"  " in raw:\n        raw = raw.replace(b"  ", b" ")',
        "pass",
        ("tests/test_signals.py",),
    ),
    Mutant(
        "elicit-refusal",  # "no need to document your reasoning" reads as a demand again
        "antiextract/request/signals.py",
        "    if negate or negated:  # a refusal of the reasoning takes back what it refuses\n",
        "    if False:\n",
        ("tests/test_signals.py",),
    ),
    Mutant(
        "elicit-procedure",  # a recipe "step by step" reads as a reasoning demand again
        "antiextract/request/signals.py",
        "        if procedure and not found[_SOLVE]\n",
        "        if False\n",
        ("tests/test_signals.py",),
    ),
    Mutant(
        "elicit-quotation",  # a quoted "show your work" reads as a demand again
        "antiextract/request/signals.py",
        "        quoted = _quotations(low)\n",
        "        quoted = []\n",
        ("tests/test_signals.py",),
    ),
    # --- more of the same kind, for the new numeric tests ---
    Mutant(
        "hours-python",
        "antiextract/model/risk.py",
        "return min(1.0, max(0.0, (active - HOURS_FROM) / HOURS_SPAN))",
        "return min(1.0, max(0.0, (active - 8) / 5))",
        RISK,
    ),
    Mutant(
        "pacing-min-gaps",
        "antiextract/model/risk.py",
        "PACING_MIN_GAPS = 5 ",
        "PACING_MIN_GAPS = 4 ",
        RISK,
    ),
    Mutant(
        "refill-factor",
        "antiextract/model/risk.py",
        "return 1.0 / (1.0 + (risk - m.slow_above) / m.slow_scale)",
        "return 1.0 / (1.0 + risk / m.slow_scale)",
        RISK,
    ),
    Mutant(
        "youth-floor",
        "antiextract/model/risk.py",
        "YOUTH_FLOOR = 0.25",
        "YOUTH_FLOOR = 0.2",
        RISK,
    ),
    Mutant(
        "prior-weight",
        "antiextract/model/risk.py",
        "PRIOR_WEIGHT = 3 ",
        "PRIOR_WEIGHT = 4 ",
        RISK,
    ),
    Mutant(
        "sweep-needs-logit-bias",
        "antiextract/model/risk.py",
        "if t & LOGIT_BIAS and r.skeleton and r.skeleton == p.last_skeleton:",
        "if r.skeleton and r.skeleton == p.last_skeleton:",
        RISK,
    ),
    Mutant(
        "degrade-threshold",
        "antiextract/request/policy.py",
        "if risk >= t.degrade_at:",
        "if risk > t.degrade_at:",
        POLICY,
    ),
    Mutant(
        "campaign-full-young",
        "antiextract/model/cohorts.py",
        "scale = min(1.0, young / full)",
        "scale = 1.0",
        COHORTS,
    ),
    Mutant(
        # a conversation asking for reasoning on coding counted against the harvest kind
        # too (the reason kind's own since it came; the old harvest-shape mutant, SINGLE
        # dropped from HARVEST_SHAPE, became equivalent: such a request is the reason
        # kind's, harvest unseen, either way)
        "evidence-reason-not-harvest",
        "antiextract/model/evidence.py",
        "reason, harvest = 1, UNSEEN",
        "reason, harvest = 1, 0",
        ("tests/test_evidence_bounds.py", "tests/test_evidence.py"),
    ),
    Mutant(
        "campaign-bucket-refill-lua",
        CAMPAIGN_LUA,
        "level = refill(tokens, ts, now, cap, rate, 1)",
        "level = refill(tokens, ts, now, cap, rate, 2)",
        COHORTS,
    ),
)


def copy_checkout(to: Path) -> None:
    for name in COPIED:
        src = ROOT / name
        if src.is_dir():
            shutil.copytree(src, to / name, ignore=shutil.ignore_patterns("__pycache__", "results"))
        else:
            shutil.copy2(src, to / name)


def run(mutant: Mutant | None, tests: tuple[str, ...]) -> tuple[bool, str]:
    """Apply ``mutant`` (None: the code as it is) in a fresh copy and run ``tests``.
    Returns (all passed, the first failing test or a short reason)."""
    with tempfile.TemporaryDirectory(prefix="antiextract-mutant-") as tmp:
        where = Path(tmp)
        copy_checkout(where)
        if mutant is not None:
            target = where / mutant.path
            text = target.read_text("utf-8")
            if text.count(mutant.old) != 1:
                raise SystemExit(f"{mutant.name}: the text to change is not in {mutant.path} once")
            target.write_text(text.replace(mutant.old, mutant.new), "utf-8")
        env = {**os.environ, "PYTHONPATH": str(where), "PYTHONDONTWRITEBYTECODE": "1"}
        probe = subprocess.run(
            [sys.executable, "-c", "import antiextract; print(antiextract.__file__)"],
            cwd=where,
            env=env,
            capture_output=True,
            text=True,
            check=True,
        )
        if not probe.stdout.startswith(str(where)):
            raise SystemExit(f"the copy is not what gets imported: {probe.stdout.strip()}")
        done = subprocess.run(
            [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider", *tests],
            cwd=where,
            env=env,
            capture_output=True,
            text=True,
        )
    failed = re.findall(r"^FAILED (.+?)(?: - .*)?$", done.stdout, re.MULTILINE)
    if done.returncode == 0:
        return True, ""
    return False, failed[0] if failed else f"pytest exit {done.returncode}"


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("names", nargs="*", help="mutants to run (default: all)")
    parser.add_argument("--list", action="store_true", help="list the mutants and exit")
    parser.add_argument(
        "--tests", nargs="+", help="run these test files on every mutant instead of its own"
    )
    parser.add_argument(
        "--trust-baseline",
        action="store_true",
        help="skip the run of the unchanged code (CI: the whole suite has just passed)",
    )
    args = parser.parse_args(argv)
    chosen = [m for m in MUTANTS if not args.names or m.name in args.names]
    if args.list:
        for m in MUTANTS:
            print(f"{m.name:28} {m.path} -> {', '.join(m.tests)}")
        return 0
    unknown = set(args.names) - {m.name for m in MUTANTS}
    if unknown:
        parser.error(f"unknown mutants: {', '.join(sorted(unknown))}")
    if args.tests:
        chosen = [replace(m, tests=tuple(args.tests)) for m in chosen]
    files = tuple(sorted({t for m in chosen for t in m.tests}))
    ok, why = (True, "") if args.trust_baseline else run(None, files)
    if not ok:
        print(f"the unchanged code fails {', '.join(files)}: {why}")
        return 1
    survivors = 0
    for m in chosen:
        passed, failed = run(m, m.tests)
        survivors += passed
        print(f"{m.name:28} {'SURVIVED' if passed else 'killed by ' + failed}", flush=True)
    print(f"{len(chosen) - survivors} of {len(chosen)} killed")
    return 1 if survivors else 0


if __name__ == "__main__":
    sys.exit(main())
