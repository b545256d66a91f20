"""Render the added latency per variant from ``results/latency.json`` as a PNG.

``python benchmarks/chart.py [results/latency.json] [--out results/latency.png]``. Needs
matplotlib (the ``bench`` extra).
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"
ORDER = ("slowapi-memory", "antiextract-memory", "slowapi-redis", "antiextract-redis-accounts",
         "antiextract-redis", "antiextract-shadow-redis")  # fmt: skip


def render(report: dict, out: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    sizes = list(report["results"])
    fig, axes = plt.subplots(1, len(sizes), figsize=(5.5 * len(sizes), 4), squeeze=False)
    for ax, size in zip(axes[0], sizes, strict=True):
        variants = report["results"][size]["variants"]
        names = [n for n in ORDER if n in variants]
        added = [variants[n]["added_median_us"] for n in names]
        colors = ["#4C72B0" if n.startswith("slowapi") else "#DD8452" for n in names]
        ax.barh(names, added, color=colors)
        for y, value in enumerate(added):
            ax.text(value, y, f" {value:,.0f}", va="center", fontsize=8)
        ax.set_title(f"{size} prompt: added median latency (µs)")
        ax.invert_yaxis()
        ax.set_xlim(0, max(added) * 1.25)
    machine = report.get("machine", {})
    fig.suptitle(
        f"antiextract vs slowapi, in-process ASGI, one run — {machine.get('cpu', '')} "
        f"{machine.get('cores', '')} cores",
        fontsize=9,
    )
    fig.tight_layout()
    fig.savefig(out, dpi=110)
    plt.close(fig)
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("results", nargs="?", type=Path, default=RESULTS / "latency.json")
    parser.add_argument("--out", type=Path, default=RESULTS / "latency.png")
    args = parser.parse_args(argv)
    report = json.loads(args.results.read_text())
    print(render(report, args.out))
    return 0


if __name__ == "__main__":
    sys.exit(main())
