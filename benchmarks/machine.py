"""What every benchmark records about the machine it ran on, and how it writes its
results (imported by the scripts, which run from this folder)."""

from __future__ import annotations

import json
import os
import platform
import sys
from collections.abc import Iterable
from importlib import metadata
from pathlib import Path
from typing import Any


def cpu_model() -> str:
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or "unknown"


def describe(packages: Iterable[str], **extra: Any) -> dict[str, Any]:
    """Enough context to tell whether two result files are comparable at all: CPU, cores,
    Python, platform, the versions of ``packages`` (None when not installed), then
    ``extra`` (the Redis server's version, how the server ran, ...)."""
    versions: dict[str, str | None] = {}
    for name in packages:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return {
        "cpu": cpu_model(),
        "cores": os.cpu_count(),
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "platform": platform.platform(),
        "packages": versions,
        **extra,
    }


def write_results(out: Path, stem: str, report: dict[str, Any], table: str) -> str:
    """``<stem>.json`` (the report) and ``<stem>.md`` (its table) in ``out``; the table back."""
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{stem}.json").write_text(json.dumps(report, indent=2) + "\n")
    (out / f"{stem}.md").write_text(table)
    print(f"wrote {out / stem}.json and .md", file=sys.stderr, flush=True)
    return table
