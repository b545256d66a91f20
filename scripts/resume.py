"""Which stored mutmut kills ``scripts/mutate.py --resume`` may keep after a file changed.

mutmut numbers the mutants of each function on its own (``x_fold__mutmut_1`` ..., a method
``xǁKMVǁadd__mutmut_4``) from that function's text alone: a function whose text is the same
(decorators and signature included) gives the same mutants under the same names, wherever
else the file changed. So a kill of such a mutant is kept; every mutant of a changed or new
function, and every mutant that was not killed, runs again. Pure (no git, no mutmut): the
caller brings the two sources and the stored verdicts.

Not claimed: that the kill would still happen. A kill is kept on the same terms as
``--resume`` on an unchanged file: the tests that killed it may have been changed since, and
a changed caller in the same file may no longer reach it the same way. The report says
which rows were resumed, from which commit, and which functions ran again.
"""

from __future__ import annotations

import ast
from collections.abc import Iterable, Mapping

SEP = "ǁ"  # mutmut's separator between a class and its method in a mangled name
DEAD = ("killed", "timeout")


def function_sources(source: str) -> dict[str, str]:
    """Each function mutmut may mutate (a top-level function, a method of a top-level
    class), by mutmut's mangled name, with its full text: decorators, signature, body and
    the nested functions in it (mutmut mutates those as part of the enclosing one)."""
    lines = source.splitlines()
    tree = ast.parse(source)
    out: dict[str, str] = {}

    def text(node: ast.FunctionDef | ast.AsyncFunctionDef) -> str:
        first = min([node.lineno, *(d.lineno for d in node.decorator_list)])
        return "\n".join(lines[first - 1 : node.end_lineno])

    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            out[f"x_{node.name}"] = text(node)
        elif isinstance(node, ast.ClassDef):
            for inner in node.body:
                if isinstance(inner, ast.FunctionDef | ast.AsyncFunctionDef):
                    out[f"x{SEP}{node.name}{SEP}{inner.name}"] = text(inner)
    return out


def changed_functions(old: str, new: str) -> list[str]:
    """The functions of ``new`` whose text differs from ``old``'s or that ``old`` lacks."""
    before, after = function_sources(old), function_sources(new)
    return sorted(name for name, text in after.items() if before.get(name) != text)


def function_of(mutant: str) -> str:
    """``antiextract.model.cohorts.x_decay__mutmut_3`` -> ``x_decay``."""
    return mutant.rsplit("__mutmut_", 1)[0].rsplit(".", 1)[-1]


def kept_kills(
    stored: Iterable[Mapping[str, str]], old: str, new: str, names_now: Iterable[str]
) -> set[str]:
    """The stored mutants whose kill stands: killed (or timed out) then, of a function
    whose text is the same in ``old`` and ``new``, and still among the mutants of ``new``
    (``names_now``)."""
    before, after = function_sources(old), function_sources(new)
    now = set(names_now)
    keep = set()
    for m in stored:
        fn = function_of(m["name"])
        same = fn in after and before.get(fn) == after[fn]
        if same and m["name"] in now and (m.get("raw") or m["status"]) in DEAD:
            keep.add(m["name"])
    return keep
