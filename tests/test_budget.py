"""benchmarks/check_budget.py: the memory rule on crafted results, and latency untouched."""

from __future__ import annotations

import importlib.util
import json
import sys
import tomllib
from pathlib import Path
from typing import Any

import pytest

_BENCH = Path(__file__).resolve().parent.parent / "benchmarks"
_spec = importlib.util.spec_from_file_location("check_budget", _BENCH / "check_budget.py")
assert _spec is not None and _spec.loader is not None
check_budget = importlib.util.module_from_spec(_spec)
sys.modules["check_budget"] = check_budget
_spec.loader.exec_module(check_budget)

BUDGET = """
enforce = ["round_trips_per_request"]
round_trips_per_request = 1
redis_added_vs_slowapi_max_ratio = 1.25
memory_added_vs_slowapi_max_ratio = 2.0

[memory]
memory_store_bytes_per_account_max = 5000
redis_bytes_per_account_max = 400
memory_store_bounded = true
"""


def memory_report(**kw: Any) -> dict[str, Any]:
    scenario = {
        "scenario": "worst",
        "accounts": 20_000,
        "bytes_per_account_at_checkpoint": 4_200,
        "checkpoint_accounts": 5_000,
        "entries_end": 20_000,
        "entry_evictions": 20_000,
        "cohorts_end": 20_000,
        "cohort_evictions": 48_000,
        "traced_end_bytes": 60 * 2**20,
        "traced_peak_bytes": 61 * 2**20,
    }
    report = {
        "kind": "memory",
        "accounts": 20_000,
        "max_keys": 20_000,
        "max_cohorts": 20_000,
        "scenarios": [scenario],
        "memory_store_bytes_per_account": 4_200,
        "redis_bytes_per_account": 304,
        "bounded": True,
        "ceiling": {
            "scenario": "worst",
            "measured_bytes": 60 * 2**20,
            "growth_after_cap_bytes": 2**20,
        },
    }
    report.update(kw)
    return report


def run(tmp_path: Path, report: dict[str, Any], budget: str = BUDGET) -> int:
    results = tmp_path / "results.json"
    results.write_text(json.dumps(report))
    budget_file = tmp_path / "budget.toml"
    budget_file.write_text(budget)
    return check_budget.main([str(results), "--budget", str(budget_file)])


def test_memory_within_budget_passes_and_prints_every_figure(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(tmp_path, memory_report()) == 0
    out = capsys.readouterr().out
    assert "ok     memory store bytes per tracked account" in out
    assert "4,200 B (must be <= 5,000 B)" in out
    assert "ok     Redis bytes per account" in out and "304 B (must be <= 400 B)" in out
    assert "ok     memory store within its caps" in out
    assert "worst: 4,200 B/account at 5,000 accounts" in out  # context figures too
    assert "ceiling (worst): 60.0 MiB traced" in out
    assert "enforced budgets met (3 of 3 checks" in out


@pytest.mark.parametrize(
    ("change", "broken"),
    [
        ({"memory_store_bytes_per_account": 5_001}, "memory store bytes per tracked account"),
        ({"redis_bytes_per_account": 401}, "Redis bytes per account"),
        ({"bounded": False}, "memory store within its caps"),
    ],
)
def test_memory_over_budget_fails_naming_the_figure(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], change: dict[str, Any], broken: str
) -> None:
    assert run(tmp_path, memory_report(**change)) == 1
    captured = capsys.readouterr()
    assert f"BROKEN {broken}" in captured.out
    assert "memory budget broken (1 of 3)" in captured.err and broken in captured.err
    assert captured.out.count("ok     ") == 2  # the other figures are still printed


def test_a_run_without_redis_figures_breaks_the_redis_budget(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    report = memory_report()
    del report["redis_bytes_per_account"]
    assert run(tmp_path, report) == 1
    assert "BROKEN Redis bytes per account" in capsys.readouterr().out


def test_memory_figures_outside_enforce_are_reported_not_failed(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    budget = BUDGET + 'enforce = ["memory_store_bounded"]\n'
    assert run(tmp_path, memory_report(memory_store_bytes_per_account=9_999), budget) == 0
    assert "not enforced yet: memory store bytes per tracked account" in capsys.readouterr().out


def test_a_memory_result_against_a_budget_without_memory_cannot_be_checked(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(tmp_path, memory_report(), BUDGET.split("[memory]")[0]) == 2
    assert "cannot check the budget" in capsys.readouterr().err


def test_latency_results_are_checked_as_before(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    ratios = {
        "memory_added_vs_slowapi": {"value": 2.5},  # over, but not enforced
        "redis_added_vs_slowapi": {"value": 1.1},
    }
    report = {"results": {"1k": {"ratios": ratios}}, "round_trips": {"per_request": 1}}
    assert run(tmp_path, report) == 0
    out = capsys.readouterr().out
    assert "BROKEN [1k] antiextract-memory added / slowapi-memory added: 2.500" in out
    assert "not enforced yet" in out
    report["round_trips"]["per_request"] = 2
    assert run(tmp_path, report) == 1
    assert "latency budget broken" in capsys.readouterr().err


def test_the_repository_budget_has_a_memory_table() -> None:
    with (_BENCH / "budget.toml").open("rb") as f:
        budget = tomllib.load(f)
    memory = budget["memory"]
    assert memory["memory_store_bounded"] is True
    assert 0 < memory["memory_store_bytes_per_account_max"] < 10_000
    assert 0 < memory["redis_bytes_per_account_max"] < 1_000
    assert budget["enforce"] == ["round_trips_per_request", "redis_added_vs_slowapi_guard_ratio"]
    assert 1.25 < budget["redis_added_vs_slowapi_guard_ratio"] <= 5.0


def test_the_redis_guard_is_enforced_and_the_targets_are_not(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    budget = BUDGET.replace(
        'enforce = ["round_trips_per_request"]',
        'enforce = ["round_trips_per_request", "redis_added_vs_slowapi_guard_ratio"]\n'
        "redis_added_vs_slowapi_guard_ratio = 4.0",
    )
    ratios = {"memory_added_vs_slowapi": {"value": 6.0}, "redis_added_vs_slowapi": {"value": 2.6}}
    report = {"results": {"2KB": {"ratios": ratios}}, "round_trips": {"per_request": 1}}
    assert run(tmp_path, report, budget) == 0  # over the targets, within the guard
    out = capsys.readouterr().out
    assert "ok     [2KB] antiextract-redis added / slowapi-redis added (regression guard)" in out
    ratios["redis_added_vs_slowapi"]["value"] = 4.5
    assert run(tmp_path, report, budget) == 1
    assert "(regression guard)" in capsys.readouterr().err
    ratios["redis_added_vs_slowapi"]["value"] = None  # not computable: a broken guard too
    assert run(tmp_path, report, budget) == 1


PROPAGATION_BUDGET = (
    BUDGET
    + """
[propagation]
every_replica_max_seconds = 5.0
"""
)


def propagation_report(worst: float) -> dict[str, Any]:
    return {"kind": "propagation", "summary": {"every_max": worst, "every_median": 1.1}}


def test_propagation_within_budget_passes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(tmp_path, propagation_report(1.13), PROPAGATION_BUDGET) == 0
    out = capsys.readouterr().out
    assert "ok     verdict propagation to every replica, worst trial (s): 1.130" in out


def test_propagation_over_budget_fails_naming_the_figure(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert run(tmp_path, propagation_report(5.01), PROPAGATION_BUDGET) == 1
    captured = capsys.readouterr()
    assert "BROKEN verdict propagation to every replica" in captured.out
    assert "propagation budget broken (1 of 1)" in captured.err


def test_the_repository_budget_enforces_propagation_at_five_seconds() -> None:
    with (_BENCH / "budget.toml").open("rb") as f:
        budget = tomllib.load(f)
    assert budget["propagation"]["every_replica_max_seconds"] == 5.0
    assert "enforce" not in budget["propagation"]  # every propagation figure is enforced
