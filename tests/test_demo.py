"""The README's first command runs this demo: it must show what it promises."""

from __future__ import annotations

import io

from rich.console import Console

from antiextract.ops.cli import effective_config, main
from antiextract.ops.demo import run
from antiextract.settings import Settings

from .conftest import SimClock


async def test_demo_spares_people_and_throttles_the_abusers(monkeypatch) -> None:
    """On a clock that stands still (no refill, no window sliding), so the outcome is the
    same however fast the machine runs the traffic: the flood's 160 requests overrun its
    bucket, the script's 400 its 300 a minute exactly."""
    monkeypatch.delenv("ANTIEXTRACT_STORAGE_URI", raising=False)
    out = io.StringIO()
    still = SimClock()
    humans, flood, script = await run(
        duration=3.0, console=Console(file=out, width=160), clock=still
    )
    assert sum(humans.statuses.values()) >= 5 and humans.statuses[429] == 0
    assert sum(flood.statuses.values()) == 160
    assert flood.statuses[429] > flood.statuses[200] > 0
    assert set(flood.reasons) == {"tokens"}
    assert (script.statuses[200], script.statuses[429]) == (300, 100)
    assert set(script.reasons) == {"account-300-per-60s"}
    text = out.getvalue()
    assert "What each client got" in text and "flooding account" in text


def test_config_masks_secrets(capsys, monkeypatch) -> None:
    monkeypatch.setenv("ANTIEXTRACT_SECRET", "s3cr3t-value")
    monkeypatch.setenv("ANTIEXTRACT_STORAGE_URI", "redis://user:pa55word@cache:6379/0")
    assert main(["config"]) == 0
    shown = capsys.readouterr().out
    assert "s3cr3t" not in shown and "pa55word" not in shown
    assert "ANTIEXTRACT_STORAGE_URI" in shown and "cache:6379/0" in shown
    data = effective_config(Settings())
    assert data["ANTIEXTRACT_SECRET"] == "<set>"
    lines = {line.split()[0]: line.split(None, 1)[1] for line in shown.splitlines()}
    # unset values as the README's settings table says them, not Python's None
    assert lines["ANTIEXTRACT_ACCOUNT_HEADER"] == "(unset)"
    assert lines["ANTIEXTRACT_TRUSTED_PROXIES"] == "(none)"
    assert lines["ANTIEXTRACT_TIER_FACTORS"] == '{"verified": 0.5, "enterprise": 0.2}'


def test_config_reports_bad_settings(capsys, monkeypatch) -> None:
    monkeypatch.setenv("ANTIEXTRACT_MODE", "loud")
    assert main(["config"]) == 2
    assert "ANTIEXTRACT_MODE='loud'" in capsys.readouterr().err


def test_demo_runs_the_campaign_simulation(capsys, monkeypatch) -> None:
    monkeypatch.delenv("ANTIEXTRACT_STORAGE_URI", raising=False)
    assert main(["demo", "--simulate", "1"]) == 0
    out = capsys.readouterr().out
    assert "| attacker |" in out and "| ide |" in out and "Legit impact overall" in out
