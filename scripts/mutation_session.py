"""A pytest plugin for scripts/mutate.py (``-p mutation_session``).

Always: Hypothesis does not shrink a failing example (a mutant only needs one failure,
and shrinking one can take longer than the whole test).

With ``ANTIEXTRACT_LUA_PLAN`` set (a JSON plan: mutants, each a file and its full mutated
text, or a mutmut mutant's name for the trampolines of a module mutmut generated; a
timeout), the session runs the collected tests once on the unchanged code, then for each
mutant writes it over the file (or names it in ``MUTANT_UNDER_TEST``) and runs the tests
until the first failure (among the mutant's own test files, when it names them), the tests
that killed earlier mutants first. RedisStore reads its scripts when it is built, which
every test does, so one session serves every mutant without a new interpreter for each.
A mutmut mutant may name modules to ``"refresh"``: modules that compute tables when
imported (signals builds its lexicon's automata with ``_entries``, and memoizes system
prompts). The trampolines switch functions at call time, but what the module computed at
import was computed by the unchanged code; so, with the mutant named, the module's source is
run again in a fresh namespace and every computed value (not its functions, classes or
mutmut's tables) is put in the live module for that mutant's tests, then put back.
``"baseline": false`` skips the run on unchanged code (CI: the suite has just passed). A mutant
still running a test after the timeout gets Redis's SCRIPT KILL (a script in an endless
loop) and counts as a timeout. The verdicts go to the plan's name with ``.out.json``.
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import sys
import threading
import time
import types
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from _pytest.runner import runtestprotocol
from hypothesis import Phase, settings

settings.register_profile(
    "mutation", phases=(Phase.explicit, Phase.reuse, Phase.generate), print_blob=False
)
settings.load_profile("mutation")


def _raw(command: bytes) -> bytes:
    """One command on a new plain socket: redis-py's connection sends SELECT (and CLIENT
    SETINFO) first, which a busy server answers BUSY, so SCRIPT KILL would never be sent
    through it."""
    url = urlsplit(os.environ.get("ANTIEXTRACT_TEST_REDIS_URL", "redis://127.0.0.1:6379/15"))
    words = command.split()
    wire = b"*%d\r\n" % len(words) + b"".join(b"$%d\r\n%s\r\n" % (len(w), w) for w in words)
    with socket.create_connection((url.hostname or "127.0.0.1", url.port or 6379), 5) as conn:
        conn.sendall(wire)
        return conn.recv(512)


def _script_kill() -> None:
    with contextlib.suppress(OSError):
        _raw(b"SCRIPT KILL")


def _redis_idle() -> bool:
    """A mutant's script can outlive its test: the client gives up after its timeout
    while the script loops on, and every later test would then meet BUSY and 'kill' the
    mutants after it. Kill it before the next mutant. False when Redis cannot be freed
    (a script that wrote before looping is unkillable): the session must stop there."""
    for _ in range(100):
        try:
            if not _raw(b"PING").startswith(b"-BUSY"):
                return True
            if _raw(b"SCRIPT KILL").startswith(b"-UNKILLABLE"):
                return False
        except OSError:
            return True  # not a script holding it: the tests will say what is wrong
        time.sleep(0.1)
    return False


# The store's hot-path client gives up after 0.25 s; on a machine this loaded (mutation
# runs beside other work) Redis sometimes answers later. Such a failure says nothing about
# the mutant: the test is run again, up to twice, and only a failure of another kind (or
# three in a row) kills. A mutant that really hangs a script still fails every time.
_FLAKE = "did not answer within"


def _run(item: pytest.Item, nextitem: pytest.Item | None) -> list[pytest.TestReport]:
    for _ in range(3):
        reports = runtestprotocol(item, nextitem=nextitem, log=False)
        if not any(r.failed and _FLAKE in str(r.longrepr) for r in reports):
            break
    return reports


def _first_failure(items: list[pytest.Item]) -> pytest.Item | None:
    for item in items:
        if any(r.failed for r in _run(item, None)):
            return item
    return None


@pytest.hookimpl(tryfirst=True)
def pytest_runtest_protocol(item: pytest.Item, nextitem: pytest.Item | None) -> bool:
    """The same retry in an ordinary session (mutmut's runs load this plugin too)."""
    ihook = item.ihook
    ihook.pytest_runtest_logstart(nodeid=item.nodeid, location=item.location)
    for report in _run(item, nextitem):
        ihook.pytest_runtest_logreport(report=report)
    ihook.pytest_runtest_logfinish(nodeid=item.nodeid, location=item.location)
    return True


_MISSING = object()


class _Import:
    """What running a module's (trampolined) source computes: its code, compiled once per
    session (mutmut's version of a module is large), the mutmut functions it calls while
    it runs (``x_fold``, ``x__entries``: only their mutants change what import computes),
    and the values it computes, with none named."""

    def __init__(self, name: str) -> None:
        module = sys.modules[name]
        assert module.__file__ is not None
        self.name, self.module = name, module
        self.code = compile(Path(module.__file__).read_text("utf-8"), module.__file__, "exec")
        called: set[str] = set()
        here = module.__file__

        def profile(frame: types.FrameType, event: str, _: object) -> None:
            if event == "call" and frame.f_code.co_filename == here:
                called.add(frame.f_code.co_name.split("__mutmut_")[0])

        named = os.environ.pop("MUTANT_UNDER_TEST", None)
        sys.setprofile(profile)
        try:
            self.baseline = self.run()
        finally:
            sys.setprofile(None)
            if named is not None:
                os.environ["MUTANT_UNDER_TEST"] = named
        self.called = called

    def run(self) -> dict[str, object]:
        fresh: dict[str, object] = {
            "__name__": self.name,
            "__package__": self.module.__package__,
            "__file__": self.module.__file__,
            "__spec__": self.module.__spec__,
            "__builtins__": __builtins__,
        }
        exec(self.code, fresh)
        kept = (type, types.FunctionType, types.BuiltinFunctionType, types.ModuleType)
        return {
            key: value
            for key, value in fresh.items()
            if not (key.startswith("__") or "mutmut" in key or isinstance(value, kept))
            and getattr(type(value), "__module__", None) != self.name
        }

    def values_for(self, mutant: str) -> dict[str, object]:
        """The values the module computes with ``mutant`` named: the source run again when
        the mutated function runs at import; otherwise the unchanged values, with every
        container that import leaves empty (a memo, a cache) new and empty."""
        function = mutant.rsplit(".", 1)[-1].split("__mutmut_")[0]
        if function in self.called:
            return self.run()
        empty = (dict, list, set)
        return {k: type(v)() for k, v in self.baseline.items() if isinstance(v, empty) and not v}


_IMPORTS: dict[str, _Import] = {}


def _refresh(name: str) -> dict[str, object]:
    """Put the values module ``name`` computes with the mutant under test named into the
    live module; returns what to put back. Functions and classes stay the live ones (tests
    and other modules hold them), and so do instances of the module's own classes; memos
    come back empty."""
    found = _IMPORTS.get(name)
    if found is None:
        found = _IMPORTS[name] = _Import(name)
    module = sys.modules[name]
    saved: dict[str, object] = {}
    for key, value in found.values_for(os.environ.get("MUTANT_UNDER_TEST", "")).items():
        saved[key] = module.__dict__.get(key, _MISSING)
        module.__dict__[key] = value
    return saved


def _restore(name: str, saved: dict[str, object]) -> None:
    module = sys.modules[name]
    for key, value in saved.items():
        if value is _MISSING:
            module.__dict__.pop(key, None)
        else:
            module.__dict__[key] = value


# A mutmut mutant can loop forever in Python ("while b'  ' not in raw" in signals.fold, run
# at import by the refresh): SCRIPT KILL does nothing for it, and the session would wait
# for the budget's end. An alarm interrupts it after this long (generous: a survivor runs
# every test of its files, slowly on a loaded machine) and the mutant counts as a timeout.
PYTHON_HANG = 150.0


class _Hung(BaseException):
    """Not an Exception: code under test that catches every Exception (the middleware
    never 500s) must not swallow it and loop on."""


def _hung(signum: int, frame: object) -> None:
    raise _Hung(f"still running after {PYTHON_HANG:g} s")


def _belongs(item: pytest.Item, tests: list[str] | None) -> bool:
    return tests is None or item.nodeid.split("::", 1)[0] in tests


@pytest.hookimpl(tryfirst=True)
def pytest_runtestloop(session: pytest.Session) -> bool | None:
    plan_path = os.environ.get("ANTIEXTRACT_LUA_PLAN")
    if not plan_path:
        return None
    plan = json.loads(Path(plan_path).read_text("utf-8"))
    items = list(session.items)
    out: dict[str, object] = {"baseline": "", "mutants": {}}
    verdicts: dict[str, dict[str, str]] = {}
    failed = _first_failure(items) if plan.get("baseline", True) else None
    if failed is not None:
        out["baseline"] = failed.nodeid
    else:
        killers: list[pytest.Item] = []
        for m in plan["mutants"]:
            target = m.get("path") or plan.get("path")
            original = Path(target).read_text("utf-8") if target else ""
            if "text" in m:
                Path(target).write_text(m["text"], "utf-8")
            if "env" in m:  # a mutmut mutant: its trampolines read the name at every call
                os.environ["MUTANT_UNDER_TEST"] = m["env"]
            if "env" in m:
                signal.signal(signal.SIGALRM, _hung)
                hang = plan.get("python_hang", PYTHON_HANG)  # then every 10 s, till it stops
                signal.setitimer(signal.ITIMER_REAL, hang, 10.0)
            refreshed = []
            try:
                for name in m.get("refresh", ()):
                    refreshed.append((name, _refresh(name)))
            except (Exception, _Hung) as e:  # the mutant breaks the import: that kills it
                signal.setitimer(signal.ITIMER_REAL, 0)
                for name, saved in reversed(refreshed):
                    _restore(name, saved)
                os.environ.pop("MUTANT_UNDER_TEST", None)
                status = "timeout" if isinstance(e, _Hung) else "killed"
                verdicts[str(m["n"])] = {"status": status, "killer": f"import: {e!r}"[:200]}
                _write(plan_path, {**out, "mutants": verdicts, "done": False})
                continue
            timer = threading.Timer(plan["timeout"], _script_kill)
            started = time.monotonic()
            timer.start()
            try:
                own = [i for i in items if _belongs(i, m.get("tests"))]
                killer = _first_failure(
                    [k for k in killers if k in own] + [i for i in own if i not in killers]
                )
            finally:
                timer.cancel()
                signal.setitimer(signal.ITIMER_REAL, 0)
                if "text" in m:
                    Path(target).write_text(original, "utf-8")
                os.environ.pop("MUTANT_UNDER_TEST", None)
                for name, saved in reversed(refreshed):
                    _restore(name, saved)
            if killer is None:
                verdicts[str(m["n"])] = {"status": "survived", "killer": ""}
            else:
                timed_out = time.monotonic() - started > plan["timeout"]
                status = "timeout" if timed_out else "killed"
                verdicts[str(m["n"])] = {"status": status, "killer": killer.nodeid}
                if killer in killers:
                    killers.remove(killer)
                killers.insert(0, killer)
            _write(plan_path, {**out, "mutants": verdicts, "done": False})  # a budget may end us
            if not _redis_idle():
                out["stopped"] = f"mutant {m['n']} left a script running that Redis cannot kill"
                break
    out["mutants"] = verdicts
    _write(plan_path, {**out, "done": True})
    return True


def _write(plan_path: str, out: dict[str, object]) -> None:
    path = Path(plan_path).with_suffix(".out.json")
    path.with_suffix(".tmp").write_text(json.dumps(out), "utf-8")
    path.with_suffix(".tmp").replace(path)
