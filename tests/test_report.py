"""`antiextract report`: a self-contained HTML file rendered by a real headless browser
(Debian's chromium, installed by scripts/tools.sh), with its charts, campaigns and
drill-down there, a screenshot kept as a test artifact (build/test-artifacts/), nothing
fetched at view time, and no prompt text or key in it whatever the source holds."""

from __future__ import annotations

import io
import json
import os
import random
import re
import shutil
import struct
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx

from antiextract import AntiExtractMiddleware, Settings
from antiextract.audit import make_logger
from antiextract.ops.report import events_from_log, render

from .conftest import SimClock
from .tools import tool

ROOT = Path(__file__).resolve().parent.parent
ARTIFACTS = ROOT / "build" / "test-artifacts"
WRAPPER = (
    "You are a world-class software engineer. Solve the task below. Think step by step and "
    "show your complete reasoning before the final answer.\n\nTask: {task}"
)
HONEST = "Can you suggest a name for a cat that likes boxes?"
TRUST = {
    "account_created_header": "x-account-created",
    "trusted_proxies": "198.51.100.0/24,203.0.113.0/24",
}


async def model(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    while (await receive()).get("more_body"):
        pass
    body = b'{"choices":[],"usage":{"prompt_tokens":50,"completion_tokens":200}}'
    await send({"type": "http.response.start", "status": 200,
                "headers": [(b"content-type", b"application/json")]})  # fmt: skip
    await send({"type": "http.response.body", "body": body})


async def record_campaign(path: Path, minutes: int = 40, honest_net: str = "203.0.113") -> None:
    """Six old honest accounts, and a farm of young accounts sharing one prompt wrapper
    that grows by one member a minute to 30, recorded in shadow mode. ``honest_net``:
    the honest users' /24 (the farm's, 198.51.100, puts them on its subnet)."""
    clock = SimClock()
    start = clock.now
    s = Settings(record_file=str(path), mode="shadow", **TRUST)
    mw = AntiExtractMiddleware(model, s, clock, logger=make_logger(stream=io.StringIO()))
    rng = random.Random(3)
    plan = []
    for minute in range(minutes):
        for user in range(6):
            if rng.random() < 0.4:
                at, ip = minute * 60 + rng.random() * 60, f"{honest_net}.{200 + user}"
                plan.append((at, f"sk-honest-{user}", ip, start - 400 * 86_400, HONEST, 256))
        for member in range(min(30, 2 + minute)):
            if rng.random() < 0.5:
                task = f"def f{rng.randrange(10**6)}(xs, n={rng.randrange(1, 99)}): return xs[:n]"
                plan.append((minute * 60 + rng.random() * 60, f"sk-farm-{member}",
                             f"198.51.100.{20 + member}", start - 2 * 86_400,
                             WRAPPER.format(task=task), 4096))  # fmt: skip
    plan.sort()
    for t, key, ip, created, prompt, max_tokens in plan:
        clock.now = start + t
        transport = httpx.ASGITransport(app=mw, client=(ip, 5000))
        body = {"model": "m", "max_tokens": max_tokens,
                "messages": [{"role": "user", "content": prompt}]}  # fmt: skip
        headers = {"authorization": f"Bearer {key}", "x-account-created": str(int(created))}
        async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
            assert (
                await client.post("/v1/chat/completions", json=body, headers=headers)
            ).status_code == 200
    mw.recorder.close()


def chromium(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [tool("chromium"), "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars",
         *args],
        capture_output=True, text=True, timeout=120,
    )  # fmt: skip


def png_size(path: Path) -> tuple[int, int]:
    data = path.read_bytes()
    assert data[:8] == b"\x89PNG\r\n\x1a\n", "not a PNG"
    return struct.unpack(">II", data[16:24])


def assert_self_contained(text: str) -> None:
    assert 'http-equiv="Content-Security-Policy"' in text and "default-src 'none'" in text
    assert not re.search(r"\ssrc=", text), "no element may load anything"
    for href in re.findall(r"href=['\"]([^'\"]*)", text):
        assert href.startswith("#"), href
    assert "url(" not in text and "@import" not in text and "<script" not in text.lower()


async def test_the_report_of_a_replayed_campaign_renders_in_chromium(tmp_path: Path) -> None:
    """The honest users share the farm's /24, so the subnet cohort is flagged and matches
    their requests: they are linked to it, and the report lists it apart from the
    campaign that acted on the farm, never calling them its members; each member's row
    shows when it arrived (first seen) apart from when it was linked and acted on."""
    recording = tmp_path / "traffic.jsonl"
    await record_campaign(recording, honest_net="198.51.100")
    honest_ids = set()
    for line in recording.read_text().splitlines():
        doc = json.loads(line)
        if doc.get("kind") != "settings" and int(doc["client"].rsplit(".", 1)[1]) >= 200:
            honest_ids.add(dict(doc["headers"])["authorization"].removeprefix("Bearer "))
    assert len(honest_ids) == 6
    out = tmp_path / "report.html"
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANTIEXTRACT_")}
    sets = [arg for k, v in TRUST.items() for arg in ("--set", f"{k}={v}")]
    done = subprocess.run(
        [sys.executable, "-m", "antiextract.ops.cli", "report", "--replay", str(recording),
         *sets, "--out", str(out)],
        env=env, capture_output=True, text=True, timeout=300,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert str(out) in done.stdout
    text = out.read_text()
    assert_self_contained(text)
    for secret in ("sk-farm", "sk-honest", "world-class", "cat that likes boxes"):
        assert secret not in text, secret
    # a real browser renders it: the DOM it built holds the charts and the campaign
    dom = chromium("--dump-dom", out.as_uri())
    assert dom.returncode == 0, dom.stderr[-2000:]
    assert re.search(r'<svg[^>]*id="timeline"', dom.stdout)
    assert len(re.findall(r'<rect class="bar (degrade|allow)', dom.stdout)) >= 20
    assert re.search(r"Campaign <code>t:[0-9a-f]+</code>: 30 members", dom.stdout)
    assert "Tied by the same prompt template" in dom.stdout
    # the farm's template and its wrapper sentences (parts) are both flagged and act
    acting_count = int(re.search(r"Campaigns acting on accounts \((\d+)\)", dom.stdout)[1])
    assert 1 <= acting_count <= 2
    if acting_count == 2:
        assert "Tied by a repeated sentence of the prompts' wrappers" in dom.stdout
    acting, observed = dom.stdout.split("Linked cohorts, observed only", 1)
    acting = acting.split("Campaigns acting on accounts", 1)[1]
    assert "n:198.51.100.0/24" in observed and "n:198.51.100.0/24" not in acting
    for account in honest_ids:  # linked to the flagged subnet, never a campaign member
        assert account not in acting, account
    rows = re.findall(
        r"<tr><td><a [^>]*><code>key:[0-9a-f]+</code></a></td><td>([^<]+)</td>"
        r"<td>([^<]+)</td><td>([^<]+)</td><td>([^<]+)</td></tr>",
        acting,
    )
    # 30 farm accounts under the template's campaign, and as many again under the parts'
    assert len(rows) in (30, 30 + 20) if acting_count == 2 else len(rows) == 30
    assert re.search(r"Campaign <code>t:[0-9a-f]+</code>: 30 members", acting)
    for first_seen, linked, any_action, acted in rows:  # ISO-like text: compares as time
        assert first_seen <= linked <= acted and first_seen <= any_action <= acted
    template = re.search(r"Campaign <code>t:[0-9a-f]+</code>: 30 members.*?</table>", acting, re.S)
    arrived = re.findall(r"<td>([^<]+)</td><td>[^<]+</td><td>[^<]+</td><td>([^<]+)</td></tr>",
                         template[0])  # fmt: skip
    assert len(arrived) == 30  # the template's members: arrival shown apart from action
    # most arrived before the campaign acted on them (the rest were acted on from their
    # first request: the farm's wrapper sentences link an account at once)
    assert sum(first_seen < acted for first_seen, acted in arrived) >= 15
    assert dom.stdout.count('class="account"') >= 30  # a drill-down per farm account
    shot = tmp_path / "report.png"
    done = chromium(f"--screenshot={shot}", "--window-size=1100,1800", out.as_uri())
    assert done.returncode == 0 and shot.exists(), done.stderr[-2000:]
    assert png_size(shot) == (1100, 1800)
    assert shot.stat().st_size > 20_000  # a page with charts, not a blank one
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    shutil.copy(shot, ARTIFACTS / "report.png")
    shutil.copy(out, ARTIFACTS / "report.html")


def test_a_report_from_an_audit_log_keeps_only_ids_and_numbers(tmp_path: Path) -> None:
    base = {"event": "antiextract.decision", "level": "info", "api": "openai.chat",
            "reasons": ["risk>=3"], "risk": 4.2, "signals": ["elicit"]}  # fmt: skip
    lines = [
        json.dumps({**base, "timestamp": "2027-01-15T08:00:00Z", "account": "key:aa11",
                    "action": "degrade", "prompt": "SECRET PROMPT TEXT",
                    "api_key": "sk-very-secret", "ip": "198.51.100.7",
                    "campaign": {"cohort": "t:beef", "score": 1.5, "accounts": 25,
                                 "young": 25, "harvest": 0.8, "note": "sk-in-campaign"},
                    "surge": {"added": 1.2, "since": 1_800_000_000, "hour": 1_800_003_600,
                              "young_harvest": 41, "expected": 3.5, "accounts": 90,
                              "note": "sk-in-surge"}}),
        json.dumps({**base, "timestamp": "2027-01-15T08:05:00Z",
                    "account": "key:<script>alert(1)</script>", "action": "block",
                    "reasons": ["blocked", "<b>bold</b>"]}),
        "uvicorn: a line that is not JSON",
        json.dumps({"event": "antiextract.trusted_headers_unverified", "detail": "x"}),
    ]  # fmt: skip
    events = events_from_log(lines)
    assert [e["account"] for e in events] == ["key:aa11", "key:<script>alert(1)</script>"]
    text = render(events, "an audit log")
    assert_self_contained(text)
    for secret in (
        "SECRET PROMPT", "sk-very-secret", "sk-in-campaign", "sk-in-surge", "<script>", "<b>bold"
    ):  # fmt: skip
        assert secret not in text, secret
    assert "weighed on 1 decisions (1 degraded" in text  # the surge, by its numbers only
    assert "41 such accounts in an hour against 3.5 expected" in text
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in text
    assert "t:beef" in text and "25 young" in text and "198.51.100.0/24" in text


def test_members_show_the_first_action_of_any_cause_apart_from_the_campaigns() -> None:
    """A fresh clone read "first acted on 08:30:35" beside a drill-down that showed a
    degrade at 08:25:57 (on the account's own risk, before the flag): the members table
    now has both columns, named, and the drill-down says when the campaign first acted."""
    base = {"event": "antiextract.decision", "level": "info", "api": "openai.chat",
            "signals": ["elicit"], "account": "key:aa11"}  # fmt: skip
    camp = {"cohort": "t:abcd", "score": 2.0, "accounts": 9}
    lines = [
        json.dumps({**base, "timestamp": "2027-01-15T08:20:00Z", "action": "allow"}),
        json.dumps(
            {
                **base,
                "timestamp": "2027-01-15T08:25:57Z",
                "action": "degrade",
                "reasons": ["risk>=3"],
                "risk": 3.1,
            }
        ),
        json.dumps(
            {
                **base,
                "timestamp": "2027-01-15T08:30:35Z",
                "action": "challenge",
                "reasons": ["risk>=3.2"],
                "risk": 3.3,
                "campaign": camp,
            }
        ),
    ]
    text = render(events_from_log(lines), "audit.jsonl")
    assert "<th>first action (any)</th><th>first campaign action</th>" in text
    row = re.search(
        r"<tr><td><a [^>]*><code>key:aa11</code></a></td>((?:<td>[^<]*</td>)+)</tr>", text
    )
    cells = re.findall(r"<td>([^<]*)</td>", row[1])
    assert [c[-8:] for c in cells] == ["08:20:00", "08:30:35", "08:25:57", "08:30:35"]
    assert "degrade 2027-01-15 08:25:57" in text or "degrade 08:25:57" in text
    assert re.search(r"t:abcd \(first campaign action [^)]*08:30:35\)", text)


def test_a_time_no_date_can_hold_does_not_crash_the_report() -> None:
    """An audit log is text anyone could have written: a surge 'since' far past the year
    9999 is shown as a number, and the rest of the report renders."""
    base = {"event": "antiextract.decision", "level": "info", "api": "openai.chat",
            "reasons": ["risk>=3", "surge"], "risk": 4.2, "action": "degrade",
            "timestamp": "2027-01-15T08:00:00Z", "account": "key:aa11"}  # fmt: skip
    for since in (1e18, 1e300):
        surge = {"added": 1.2, "since": since, "hour": since, "young_harvest": 41,
                 "expected": 3.5, "accounts": 90}  # fmt: skip
        line = {**base, "surge": surge}
        events = events_from_log([json.dumps(line)])
        text = render(events, "an audit log")
        assert "key:aa11" in text and "no date" in text
