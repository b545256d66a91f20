"""benchmarks/load.py in a tiny run: real uvicorn servers, a separate client process.

Only correctness is asserted (every request answered and counted, every settlement
accounted for, down to each account's bucket in Redis); speed never is.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

from .conftest import REDIS_URL

ROOT = Path(__file__).resolve().parent.parent
LOAD = ROOT / "benchmarks" / "load.py"
REQUESTS = 300


def test_tiny_load_run_loses_nothing(tmp_path: Path) -> None:
    args = [sys.executable, str(LOAD), "--variants", "bare,antiextract-redis"]
    args += ["--connections", "100", "--accounts", "150", "--requests", str(REQUESTS)]
    args += ["--rounds", "1", "--seconds", "60", "--redis-url", REDIS_URL]
    args += ["--out", str(tmp_path)]
    done = subprocess.run(args, capture_output=True, text=True, cwd=ROOT, timeout=120)
    assert done.returncode == 0, done.stderr[-3000:]
    assert "| antiextract-redis |" in done.stdout

    report = json.loads((tmp_path / "load.json").read_text())
    assert (tmp_path / "load.md").read_text().startswith("# antiextract under load")
    assert {"machine", "source", "timestamp", "parameters", "results", "ratios"} <= set(report)
    assert report["machine"]["cores"] and report["source"]["sha256"]
    assert "antiextract-redis_server_cpu_added_us" in report["ratios"]

    for name in ("bare", "antiextract-redis"):
        v = report["results"][name]
        # the time cap is far away: the bounded count ends the run, every request answered
        assert v["requests"] == v["ok"] == REQUESTS, (name, v)
        assert v["errors"] == v["connection_errors"] == v["usage_missing"] == 0, (name, v)
        assert v["warmup_errors"] == 0, (name, v)
        assert set(v["latency_ms"]) == {"p50", "p90", "p99", "max"}
        for key in ("requests_per_second", "server_cpu_us_per_request"):
            assert v[key] > 0, (name, key, v)
        assert v["redis_cpu_us_per_request"] is not None

    acc = report["settlement_accounting"]["antiextract-redis"]
    warm = report["results"]["antiextract-redis"]["warmup_requests"]
    # every request the client got a 200 for was decided once, and settled once
    assert acc["decisions"] == acc["client_ok_incl_warmup"] == REQUESTS + warm, acc
    assert acc["refused"] == 0 and acc["store_fallbacks"] == 0, acc
    assert acc["settlement_events"] == acc["decisions"], acc
    assert acc["missing_settlement_events"] == 0, acc
    metrics = acc["metrics"]
    assert metrics["settlements.settled"] > 0 and metrics["settlements.no_usage"] > 0, metrics
    # ... and reached Redis: each account is charged exactly what its answers say
    ledger = acc["ledger"]
    assert ledger["exact"], ledger
    assert ledger["accounts_checked"] > 0, ledger
    assert ledger["accounts_missing"] == ledger["accounts_mismatched"] == 0, ledger
    assert ledger["lost_settlements"] == ledger["undercharged_settlements"] == 0, ledger
    assert abs(ledger["charged_tokens"] - ledger["expected_tokens"]) < ledger["accounts_checked"]
    assert acc["lost_settlements"] == 0
