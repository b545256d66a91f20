"""A pytest plugin for scripts/mutate.py (``-p mutation_session``).

Always: Hypothesis does not shrink a failing example (a mutant only needs one failure,
and shrinking one can take longer than the whole test).

With ``ANTIEXTRACT_LUA_PLAN`` set (a JSON plan: the Lua file, its mutants' full texts, a
timeout), the session runs the collected tests once on the unchanged file, then for each
mutant writes it over the file and runs the tests until the first failure, the tests that
killed earlier mutants first. RedisStore reads its scripts when it is built, which every
test does, so one session serves every mutant without a new interpreter for each. A mutant
still running a test after the timeout gets Redis's SCRIPT KILL (a script in an endless
loop) and counts as a timeout. The verdicts go to the plan's name with ``.out.json``.
"""

from __future__ import annotations

import contextlib
import json
import os
import threading
import time
from pathlib import Path

import pytest
from _pytest.runner import runtestprotocol
from hypothesis import Phase, settings

settings.register_profile(
    "mutation", phases=(Phase.explicit, Phase.reuse, Phase.generate), print_blob=False
)
settings.load_profile("mutation")


def _script_kill() -> None:
    import redis

    url = os.environ.get("ANTIEXTRACT_TEST_REDIS_URL", "redis://127.0.0.1:6379/15")
    with contextlib.suppress(redis.RedisError):
        redis.Redis.from_url(url, socket_timeout=5).script_kill()


def _first_failure(items: list[pytest.Item]) -> pytest.Item | None:
    for item in items:
        reports = runtestprotocol(item, nextitem=None, log=False)
        if any(r.failed for r in reports):
            return item
    return None


@pytest.hookimpl(tryfirst=True)
def pytest_runtestloop(session: pytest.Session) -> bool | None:
    plan_path = os.environ.get("ANTIEXTRACT_LUA_PLAN")
    if not plan_path:
        return None
    plan = json.loads(Path(plan_path).read_text("utf-8"))
    target = Path(plan["path"])
    original = target.read_text("utf-8")
    items = list(session.items)
    out: dict[str, object] = {"baseline": "", "mutants": {}}
    verdicts: dict[str, dict[str, str]] = {}
    failed = _first_failure(items)
    if failed is not None:
        out["baseline"] = failed.nodeid
    else:
        killers: list[pytest.Item] = []
        for m in plan["mutants"]:
            target.write_text(m["text"], "utf-8")
            timer = threading.Timer(plan["timeout"], _script_kill)
            started = time.monotonic()
            timer.start()
            try:
                killer = _first_failure(killers + [i for i in items if i not in killers])
            finally:
                timer.cancel()
                target.write_text(original, "utf-8")
            if killer is None:
                verdicts[str(m["n"])] = {"status": "survived", "killer": ""}
                continue
            timed_out = time.monotonic() - started > plan["timeout"]
            status = "timeout" if timed_out else "killed"
            verdicts[str(m["n"])] = {"status": status, "killer": killer.nodeid}
            if killer in killers:
                killers.remove(killer)
            killers.insert(0, killer)
    out["mutants"] = verdicts
    Path(plan_path).with_suffix(".out.json").write_text(json.dumps(out), "utf-8")
    return True
