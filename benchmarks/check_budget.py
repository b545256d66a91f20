"""Hold a latency result to the budget in benchmarks/budget.toml.

Usage: ``python benchmarks/check_budget.py benchmarks/results/latency.json [--budget FILE]``

Prints every figure against its limit, then exits 1 naming each broken budget (2 when
the files cannot be read). Only ratios and the round-trip count are checked: they are
measured against peers in the same run, so they mean the same on any machine.
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


def load(results: Path, budget: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    with results.open("rb") as f:
        report = json.load(f)
    with budget.open("rb") as f:
        limits = tomllib.load(f)
    return report, limits


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", type=Path, help="latency.json written by latency.py")
    parser.add_argument("--budget", type=Path, default=BUDGET, help="budget TOML file")
    args = parser.parse_args(argv)
    try:
        report, budget = load(args.results, args.budget)
        found = checks(report, budget)
    except (OSError, ValueError, KeyError) as exc:
        print(f"cannot check the budget: {type(exc).__name__}: {exc}", file=sys.stderr)
        return 2
    for check in found:
        print(check.describe())
    enforced = set(budget.get("enforce", [c.key for c in found]))
    reported = [c for c in found if not c.ok and c.key not in enforced]
    for check in reported:
        print(f"(not enforced yet: {check.name}; see `enforce` in {args.budget.name})")
    broken = [c for c in found if not c.ok and c.key in enforced]
    if broken:
        print(
            f"\nlatency budget broken ({len(broken)} of {len(found)}): "
            + "; ".join(c.name for c in broken),
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
