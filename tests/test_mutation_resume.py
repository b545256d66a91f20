"""``scripts/mutate.py --resume`` on a Python file changed since its stored row keeps the
kill of a mutant only when the function it mutates has the same text (decorators and
signature included): mutmut numbers each function's mutants from that text alone, so such a
mutant is the same one under the same name. Everything else runs again."""

from __future__ import annotations

import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "scripts"))
import resume  # noqa: E402

sys.path.remove(str(ROOT / "scripts"))

OLD = """\
import functools

LIMIT = 3


def keep(x):
    return x + 1


@functools.cache
def cached(x):
    return x * 2


def edited(x):
    return x - 1


def gone(x):
    return x


class KMV:
    def add(self, h):
        return h > 0

    def size(self):
        return 1
"""

NEW = """\
import functools

LIMIT = 4  # a module constant changed: no function's text did


def keep(x):
    return x + 1


@functools.lru_cache(maxsize=8)
def cached(x):
    return x * 2


def edited(x):
    return x - 2


def added(x):
    def inner(y):
        return y
    return inner(x)


class KMV:
    def add(self, h):
        return h > 0

    def size(self):
        return 2
"""


def test_functions_are_named_as_mutmut_mangles_them() -> None:
    assert sorted(resume.function_sources(OLD)) == [
        "x_cached",
        "x_edited",
        "x_gone",
        "x_keep",
        "xǁKMVǁadd",
        "xǁKMVǁsize",
    ]
    # a nested function is part of the one around it (mutmut mutates it there)
    assert sorted(resume.function_sources(NEW)) == [
        "x_added",
        "x_cached",
        "x_edited",
        "x_keep",
        "xǁKMVǁadd",
        "xǁKMVǁsize",
    ]


def test_changed_functions_are_the_edited_the_redecorated_and_the_new() -> None:
    # keep and KMV.add read the same; cached differs only in its decorator; a removed
    # function is not among them (it has no mutants now)
    assert resume.changed_functions(OLD, NEW) == ["x_added", "x_cached", "x_edited", "xǁKMVǁsize"]
    assert resume.changed_functions(NEW, NEW) == []


def test_a_moved_but_identical_function_is_unchanged() -> None:
    moved = (
        OLD.replace("def keep(x):\n    return x + 1\n\n\n", "")
        + "\n\ndef keep(x):\n    return x + 1\n"
    )
    assert resume.changed_functions(OLD, moved) == []


def test_function_of_a_mutant_name() -> None:
    assert resume.function_of("antiextract.model.cohorts.x_decay__mutmut_3") == "x_decay"
    assert resume.function_of("antiextract.model.cohorts.xǁKMVǁadd__mutmut_14") == "xǁKMVǁadd"
    assert resume.function_of("m.x__entries__mutmut_106") == "x__entries"


def test_kills_kept_only_for_unchanged_functions_and_only_kills() -> None:
    stored = [
        {"name": "m.x_keep__mutmut_1", "status": "killed", "raw": "killed"},
        {"name": "m.x_keep__mutmut_2", "status": "timeout", "raw": "timeout"},
        # a survivor (listed as equivalent or not) always runs again
        {"name": "m.x_keep__mutmut_3", "status": "equivalent", "raw": "survived"},
        {"name": "m.x_keep__mutmut_4", "status": "not run", "raw": "not run"},
        {"name": "m.xǁKMVǁadd__mutmut_1", "status": "killed", "raw": "killed"},
        # changed functions: their kills are not kept
        {"name": "m.x_edited__mutmut_1", "status": "killed", "raw": "killed"},
        {"name": "m.x_cached__mutmut_1", "status": "killed", "raw": "killed"},
        {"name": "m.xǁKMVǁsize__mutmut_1", "status": "killed", "raw": "killed"},
        # a function that is gone: its mutant is not in the new file at all
        {"name": "m.x_gone__mutmut_1", "status": "killed", "raw": "killed"},
        # an old row without "raw" reads "status"
        {"name": "m.x_keep__mutmut_5", "status": "killed"},
    ]
    now = [f"m.x_keep__mutmut_{i}" for i in range(1, 6)]
    now += ["m.xǁKMVǁadd__mutmut_1", "m.x_edited__mutmut_1", "m.x_added__mutmut_1"]
    now += ["m.x_cached__mutmut_1", "m.xǁKMVǁsize__mutmut_1"]
    assert resume.kept_kills(stored, OLD, NEW, now) == {
        "m.x_keep__mutmut_1",
        "m.x_keep__mutmut_2",
        "m.x_keep__mutmut_5",
        "m.xǁKMVǁadd__mutmut_1",
    }


def test_a_kill_whose_mutant_no_longer_exists_is_dropped() -> None:
    # same function text, but the name is not among the mutants generated now
    stored = [{"name": "m.x_keep__mutmut_9", "status": "killed", "raw": "killed"}]
    assert resume.kept_kills(stored, OLD, NEW, ["m.x_keep__mutmut_1"]) == set()


def test_an_unchanged_file_keeps_every_kill() -> None:
    stored = [
        {"name": "m.x_edited__mutmut_1", "status": "killed", "raw": "killed"},
        {"name": "m.x_gone__mutmut_1", "status": "survived", "raw": "survived"},
    ]
    names = ["m.x_edited__mutmut_1", "m.x_gone__mutmut_1"]
    assert resume.kept_kills(stored, OLD, OLD, names) == {"m.x_edited__mutmut_1"}
