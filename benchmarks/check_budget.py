"""Hold a latency or memory result to the budget in benchmarks/budget.toml.

Usage: ``python benchmarks/check_budget.py benchmarks/results/latency.json [--budget FILE]``
(or a memory result of ``benchmarks/flood.py``, recognised by its ``"kind": "memory"``,
or a result of ``benchmarks/propagation.py``, ``"kind": "propagation"``).

Prints every figure against its limit, then exits 1 naming each broken budget (2 when
the files cannot be read). Latency: only ratios and the round-trip count are checked:
they are measured against peers in the same run, so they mean the same on any machine.
Memory (the ``[memory]`` table): bytes per tracked account in the embedded store and in
Redis, and whether the embedded store stayed within its caps under the flood.
"""

from __future__ import annotations

import argparse
import json
import sys
import tomllib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

BUDGET = Path(__file__).resolve().parent / "budget.toml"


@dataclass(frozen=True)
class Check:
    """One figure held to one limit."""

    name: str
    value: float | None  # None: the figure could not be computed (baseline added ≤ 0)
    limit: float
    exact: bool = False  # equality rather than "at most"
    key: str = ""  # its entry in budget.toml
    unit: str = ""  # shown after the value and the limit, e.g. " B"

    @property
    def ok(self) -> bool:
        if self.value is None:
            return False
        return self.value == self.limit if self.exact else self.value <= self.limit

    def describe(self) -> str:
        verdict = "ok    " if self.ok else "BROKEN"
        if self.value is None:
            return (
                f"{verdict} {self.name}: cannot be computed (the slowapi baseline added "
                f"nothing over bare in this run; rerun on a quieter machine), limit {self.limit}"
            )
        relation = "==" if self.exact else "<="
        if self.unit:
            return (
                f"{verdict} {self.name}: {self.value:,.0f}{self.unit} "
                f"(must be {relation} {self.limit:,.0f}{self.unit})"
            )
        return f"{verdict} {self.name}: {self.value:.3f} (must be {relation} {self.limit})"


def checks(report: dict[str, Any], budget: dict[str, Any]) -> list[Check]:
    """Every budgeted figure of the report: ratios per prompt size, then round trips."""
    found: list[Check] = []
    for size, result in report["results"].items():
        r = result["ratios"]
        found.append(
            Check(
                f"[{size}] antiextract-memory added / slowapi-memory added",
                r["memory_added_vs_slowapi"]["value"],
                float(budget["memory_added_vs_slowapi_max_ratio"]),
                key="memory_added_vs_slowapi_max_ratio",
            )
        )
        found.append(
            Check(
                f"[{size}] antiextract-redis added / slowapi-redis added",
                r["redis_added_vs_slowapi"]["value"],
                float(budget["redis_added_vs_slowapi_max_ratio"]),
                key="redis_added_vs_slowapi_max_ratio",
            )
        )
        if "redis_added_vs_slowapi_guard_ratio" in budget:
            found.append(
                Check(
                    f"[{size}] antiextract-redis added / slowapi-redis added (regression guard)",
                    r["redis_added_vs_slowapi"]["value"],
                    float(budget["redis_added_vs_slowapi_guard_ratio"]),
                    key="redis_added_vs_slowapi_guard_ratio",
                )
            )
    found.append(
        Check(
            "Redis round trips per request",
            float(report["round_trips"]["per_request"]),
            float(budget["round_trips_per_request"]),
            exact=True,
            key="round_trips_per_request",
        )
    )
    return found


def memory_checks(report: dict[str, Any], budget: dict[str, Any]) -> list[Check]:
    """The ``[memory]`` budget of a flood.py result: bytes per account (memory store, and
    Redis when the run measured it) and the store bounded by its caps."""
    limits = budget["memory"]
    found = [
        Check(
            "memory store bytes per tracked account (account + IP entries + cohort share)",
            float(report["memory_store_bytes_per_account"]),
            float(limits["memory_store_bytes_per_account_max"]),
            key="memory_store_bytes_per_account_max",
            unit=" B",
        ),
        Check(
            "memory store within its caps after the flood (1 = yes)",
            1.0 if report["bounded"] else 0.0,
            1.0 if limits["memory_store_bounded"] else 0.0,
            exact=True,
            key="memory_store_bounded",
        ),
    ]
    if "redis_bytes_per_account_max" in limits:
        value = report.get("redis_bytes_per_account")
        found.append(
            Check(
                "Redis bytes per account (MEMORY USAGE: account state + IP windows)",
                None if value is None else float(value),
                float(limits["redis_bytes_per_account_max"]),
                key="redis_bytes_per_account_max",
                unit=" B",
            )
        )
    return found


def propagation_checks(report: dict[str, Any], budget: dict[str, Any]) -> list[Check]:
    """The ``[propagation]`` budget: the worst trial's seconds from the record that makes
    a cohort a campaign to every replica acting on it, at the default settings."""
    return [
        Check(
            "verdict propagation to every replica, worst trial (s)",
            float(report["summary"]["every_max"]),
            float(budget["propagation"]["every_replica_max_seconds"]),
            key="every_replica_max_seconds",
        )
    ]


def memory_figures(report: dict[str, Any]) -> list[str]:
    """Context printed with the memory checks: every scenario and the ceiling."""
    mib = 2**20
    lines = [
        f"flood of {report['accounts']:,} distinct accounts and IPs; caps "
        f"{report['max_keys']:,} keys, {report['max_cohorts']:,} cohorts"
    ]
    for s in report["scenarios"]:
        lines.append(
            f"  {s['scenario']}: {s['bytes_per_account_at_checkpoint']:,} B/account at "
            f"{s['checkpoint_accounts']:,} accounts; kept {s['entries_end']:,} entries "
            f"({s['entry_evictions']:,} evicted), {s['cohorts_end']:,} cohorts "
            f"({s['cohort_evictions']:,} evicted); traced {s['traced_end_bytes'] / mib:.1f} MiB "
            f"at the end, peak {s['traced_peak_bytes'] / mib:.1f} MiB"
        )
    c = report["ceiling"]
    lines.append(
        f"  ceiling ({c['scenario']}): {c['measured_bytes'] / mib:.1f} MiB traced, "
        f"{c['growth_after_cap_bytes'] / mib:+.1f} MiB after the caps held"
    )
    return lines


def load(results: Path, budget: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    with results.open("rb") as f:
        report = json.load(f)
    with budget.open("rb") as f:
        limits = tomllib.load(f)
    return report, limits


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument(
        "results", type=Path, help="latency.json (latency.py) or flood*.json (flood.py)"
    )
    parser.add_argument("--budget", type=Path, default=BUDGET, help="budget TOML file")
    args = parser.parse_args(argv)
    try:
        report, budget = load(args.results, args.budget)
        kind = report.get("kind", "latency")
        memory = kind == "memory"
        if kind == "propagation":
            found = propagation_checks(report, budget)
        else:
            found = memory_checks(report, budget) if memory else checks(report, budget)
        context = memory_figures(report) if memory else []
    except (OSError, ValueError, KeyError, TypeError) as exc:
        print(f"cannot check the budget: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 2
    for line in context:
        print(line)
    for check in found:
        print(check.describe())
    if kind in ("memory", "propagation"):
        enforced = set(budget[kind].get("enforce", [c.key for c in found]))
    else:
        enforced = set(budget.get("enforce", [c.key for c in found]))
    reported = [c for c in found if not c.ok and c.key not in enforced]
    for check in reported:
        print(f"(not enforced yet: {check.name}; see `enforce` in {args.budget.name})")
    broken = [c for c in found if not c.ok and c.key in enforced]
    if broken:
        print(
            f"\n{kind} budget broken "
            f"({len(broken)} of {len(found)}): " + "; ".join(c.name for c in broken),
            file=sys.stderr,
        )
        return 1
    print(
        f"\nenforced budgets met ({len(found) - len(reported)} of {len(found)} checks; "
        f"{len(reported)} broken but not enforced yet; {args.budget})"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
