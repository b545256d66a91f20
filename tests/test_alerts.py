"""deploy/prometheus/alerts.yml and deploy/grafana/antiextract.json: promtool checks and
unit-tests the rules (Debian's prometheus package, installed by scripts/tools.sh), and
every metric the rules and the dashboard read is one the middleware exports, so a
renamed metric breaks this test instead of a silent panel or an alert that never fires."""

from __future__ import annotations

import json
import re
import subprocess
from pathlib import Path
from typing import Any

import pytest

from antiextract.metrics import Metrics

from .tools import tool

DEPLOY = Path(__file__).resolve().parent.parent / "deploy"
RULES = DEPLOY / "prometheus" / "alerts.yml"
RULE_TESTS = DEPLOY / "prometheus" / "alerts.test.yml"
DASHBOARD = DEPLOY / "grafana" / "antiextract.json"

# Metrics the rules and dashboard read that the intelligence plane (antiextract/intel,
# issue 16, another branch) adds to Metrics: allowed to be absent until it is merged.
PENDING = {
    "antiextract_intel_lag_seconds",
    "antiextract_intel_records_dropped_total",
    "antiextract_intel_verdicts",
}

NAME = re.compile(r"\b(antiextract[a-zA-Z0-9_:]*)")
ALERTS = {
    "AntiextractStoreDown",
    "AntiextractStoreErrors",
    "AntiextractAnalyzerLagging",
    "AntiextractRefusalRateJump",
    "AntiextractCampaignFlagged",
    "AntiextractAddedLatencyOverBudget",
}


def exported() -> set[str]:
    """Every sample name the middleware's registry can expose."""
    names: set[str] = set()
    suffixes = {"counter": ("_total",), "histogram": ("_bucket", "_count", "_sum")}
    for family in Metrics(publish=False).registry.collect():
        for suffix in suffixes.get(family.type, ("",)):
            names.add(family.name + suffix)
    return names


def rules_text() -> str:
    return RULES.read_text()


def rule_expressions() -> list[str]:
    """The ``expr:`` of every rule: inline, or a ``|`` block (the two forms alerts.yml
    uses; there is no YAML parser among the dependencies)."""
    exprs: list[str] = []
    lines = rules_text().splitlines()
    for i, line in enumerate(lines):
        key, _, rest = line.strip().partition(":")
        if key != "expr":
            continue
        if rest.strip() != "|":
            exprs.append(rest.strip())
            continue
        indent = len(line) - len(line.lstrip())
        block = []
        for following in lines[i + 1 :]:
            if following.strip() and len(following) - len(following.lstrip()) <= indent:
                break
            block.append(following.strip())
        exprs.append(" ".join(block).strip())
    return exprs


def recorded() -> set[str]:
    return set(re.findall(r"^\s*- record: (\S+)", rules_text(), re.M))


def promtool(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [tool("promtool"), *args], capture_output=True, text=True, cwd=cwd, timeout=120
    )


def test_promtool_checks_the_rules() -> None:
    out = promtool("check", "rules", str(RULES))
    assert out.returncode == 0, out.stdout + out.stderr
    assert "SUCCESS" in out.stdout


def test_promtool_unit_tests_the_alerts() -> None:
    out = promtool("test", "rules", RULE_TESTS.name, cwd=RULE_TESTS.parent)
    assert out.returncode == 0, out.stdout + out.stderr
    assert "SUCCESS" in out.stdout


def test_every_alert_is_there_and_unit_tested() -> None:
    alerts = set(re.findall(r"^\s*- alert: (\S+)", rules_text(), re.M))
    assert alerts == ALERTS
    tested = set(re.findall(r"alertname: (\S+)", RULE_TESTS.read_text()))
    assert tested == ALERTS


def test_the_rules_read_only_exported_metrics() -> None:
    exprs = rule_expressions()
    assert len(exprs) == len(ALERTS) + len(recorded())
    names = {n for e in exprs for n in NAME.findall(e)} - recorded()
    assert names, "no metric found in the rules"
    assert names <= exported() | PENDING, names - exported() - PENDING


# --- the dashboard ---------------------------------------------------------------------


def dashboard() -> dict[str, Any]:
    return json.loads(DASHBOARD.read_text())


def panels(dash: dict[str, Any]) -> list[dict[str, Any]]:
    out = []
    for panel in dash["panels"]:
        out.append(panel)
        out.extend(panel.get("panels", []))
    return out


def expressions(dash: dict[str, Any]) -> list[str]:
    exprs = [t["expr"] for p in panels(dash) for t in p.get("targets", [])]
    for var in dash["templating"]["list"]:
        query = var.get("query")
        if isinstance(query, dict) and "query" in query:
            exprs.append(query["query"])
    return exprs


def test_the_dashboard_has_a_sane_shape() -> None:
    dash = dashboard()
    assert dash["uid"] and dash["title"]
    assert isinstance(dash["schemaVersion"], int) and dash["schemaVersion"] >= 30
    ids = [p["id"] for p in panels(dash)]
    assert len(ids) == len(set(ids)), "panel ids must be unique"
    variables = {v["name"] for v in dash["templating"]["list"]}
    assert {"datasource", "job"} <= variables
    for panel in panels(dash):
        assert panel["type"] in {"row", "timeseries", "stat", "gauge", "table"}, panel
        grid = panel["gridPos"]
        assert all(isinstance(grid[k], int) and grid[k] >= 0 for k in ("x", "y", "w", "h"))
        assert grid["w"] >= 1 and grid["h"] >= 1 and grid["x"] + grid["w"] <= 24, panel["title"]
        if panel["type"] == "row":
            continue
        assert panel["title"] and panel["description"]
        assert panel["datasource"]["uid"] == "${datasource}"
        refs = [t["refId"] for t in panel["targets"]]
        assert refs and len(refs) == len(set(refs)), panel["title"]
        for target in panel["targets"]:
            assert target["expr"].strip(), panel["title"]
    # no two panels on the same cells
    cells: set[tuple[int, int]] = set()
    for panel in panels(dash):
        g = panel["gridPos"]
        mine = {
            (x, y) for x in range(g["x"], g["x"] + g["w"]) for y in range(g["y"], g["y"] + g["h"])
        }
        assert not cells & mine, f"{panel['title']} overlaps another panel"
        cells |= mine


def test_the_dashboard_reads_only_exported_metrics() -> None:
    dash = dashboard()
    names = {n for e in expressions(dash) for n in NAME.findall(e)}
    known = exported() | recorded() | PENDING
    assert names <= known, names - known
    # and it shows what on-call reads, the metrics the alerts fire on included
    for needed in (
        "antiextract_decisions_total",
        "antiextract_added_latency_seconds_bucket",
        "antiextract_store_errors_total",
        "antiextract_store_circuit_open",
        "antiextract_campaigns_active",
        "antiextract_intel_lag_seconds",
        "antiextract_intel_records_dropped_total",
    ):
        assert needed in names, needed


def test_every_dashboard_expression_is_valid_promql(tmp_path: Path) -> None:
    """promtool parses each query, Grafana's variables given the values they take."""
    exprs = expressions(dashboard())
    substitutions = {"$__rate_interval": "5m", "$__interval": "1m", '"$job"': '".*"'}
    rules = ["groups:", "  - name: dashboard", "    rules:"]
    for i, expr in enumerate(exprs):
        if expr.startswith("label_values("):  # Grafana's own function: its metric part
            expr = expr.removeprefix("label_values(").rsplit(",", 1)[0]
        for var, value in substitutions.items():
            expr = expr.replace(var, value)
        assert "$" not in expr, expr
        rules += [f"      - record: dashboard:expr_{i}", f"        expr: {json.dumps(expr)}"]
    path = tmp_path / "dashboard-rules.yml"
    path.write_text("\n".join(rules) + "\n")
    out = promtool("check", "rules", str(path))
    assert out.returncode == 0, out.stdout + out.stderr


@pytest.mark.parametrize("broken", ["sum(rate(antiextract_decisions_total[5m])", "x +"])
def test_promtool_refuses_broken_promql(tmp_path: Path, broken: str) -> None:
    """The check above can fail: promtool rejects a broken expression."""
    path = tmp_path / "broken.yml"
    rule = f"      - record: b:x\n        expr: {json.dumps(broken)}\n"
    path.write_text("groups:\n  - name: b\n    rules:\n" + rule)
    assert promtool("check", "rules", str(path)).returncode != 0
