"""The recorder file reader and the report's event reader against malformed input.

``antiextract replay`` / ``report`` read files an operator hands them: anything may be in
a line. Every line either becomes a record that replays, or is skipped with a one-line
reason naming it; nothing raises. Hypothesis draws the lines."""

from __future__ import annotations

import asyncio
import json
import math
import subprocess
import sys
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from antiextract.ops import report
from antiextract.ops.replay import read_recording, replay

SCALARS = (
    st.none()
    | st.booleans()
    | st.integers(-(2**70), 2**70)
    | st.floats(allow_nan=True, allow_infinity=True)
    | st.text(max_size=20)
)
JSONISH = st.recursive(
    SCALARS,
    lambda inner: (
        st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4)
    ),
    max_leaves=12,
)
FIELD_VALUES = {
    "v": st.sampled_from([1, 1, 1, 2, "1", None]),
    "t": st.one_of(
        st.floats(0, 2e9), st.floats(allow_nan=True, allow_infinity=True), st.integers(), SCALARS
    ),
    "path": st.sampled_from(["/v1/chat/completions", "/v1/completions", "", "x"]) | SCALARS,
    "method": st.sampled_from(["POST", "GET"]) | SCALARS,
    "root_path": st.sampled_from(["", "/api"]) | SCALARS,
    "query": st.sampled_from(["", "key=key:abc", "a=%zz"]) | SCALARS,
    "client": st.sampled_from(["203.0.113.9", "::1", None]) | SCALARS,
    "headers": st.lists(
        st.lists(st.text(max_size=12) | SCALARS, min_size=0, max_size=3)
        | st.tuples(
            st.sampled_from(["authorization", "user-agent", "é", "ü\u0100"]), st.text(max_size=30)
        ).map(list)
        | SCALARS,
        max_size=4,
    )
    | SCALARS,
    "body": st.text(max_size=60)
    | st.just('{"model":"m","messages":[{"role":"user","content":"hi"}]}')
    | SCALARS,
    "body_b64": st.sampled_from(["", "aGk=", "%%%", "aGk"]) | SCALARS,
    "complete": SCALARS,
    "kind": st.sampled_from(["settings", "other"]),
    "settings": st.dictionaries(
        st.sampled_from(["degrade_at", "nope", "paths"]), JSONISH, max_size=2
    )
    | SCALARS,
}


@st.composite
def record_like(draw: st.DrawFn) -> dict[str, Any]:
    keys = draw(st.sets(st.sampled_from(sorted(FIELD_VALUES)), max_size=len(FIELD_VALUES)))
    keys -= {"kind", "settings"} if draw(st.booleans()) else set()
    return {k: draw(FIELD_VALUES[k]) for k in keys}


def encode(doc: Any) -> bytes:
    return json.dumps(doc, allow_nan=True).encode()  # NaN / Infinity as Python writes them


LINES = st.lists(
    record_like().map(encode)
    | JSONISH.map(encode)
    | st.binary(max_size=40)
    | st.text(max_size=40).map(str.encode),
    max_size=12,
)


@settings(max_examples=400, deadline=None, database=None, derandomize=True)
@given(LINES)
def test_the_reader_never_raises_and_accounts_for_every_line(lines: list[bytes]) -> None:
    got = read_recording(lines)
    counted = sum(1 for line in lines if line.strip())
    headers = sum(1 for line in lines if line.strip() and b'"settings"' in line)
    assert len(got.records) + got.skipped <= counted
    assert len(got.records) + got.skipped >= counted - headers
    for problem in got.problems:
        assert problem.startswith("line ") and problem.endswith("; skipped")
        assert "\n" not in problem
    for record in got.records:
        assert math.isfinite(record["t"]) and 0 <= record["t"] <= 253_402_300_799


@settings(
    max_examples=30, deadline=None, database=None, derandomize=True,
    suppress_health_check=[HealthCheck.too_slow],
)  # fmt: skip
@given(st.lists(record_like().map(encode), min_size=1, max_size=6))
def test_every_record_the_reader_accepts_replays(lines: list[bytes]) -> None:
    got = read_recording(lines)
    result = asyncio.run(replay(got.records))
    assert result.requests == len(got.records)


EVENT_VALUES = {
    "event": st.just("antiextract.decision"),
    "timestamp": st.sampled_from(
        [
            "2026-12-07T10:00:00Z",
            "2026-12-07T10:00:01+00:00",
            "0001-01-01T00:00:00+14:00",
            "9999-12-31T23:59:59-14:00",
            "soon",
            "",
        ]
    )
    | SCALARS,
    "account": st.sampled_from(["key:a", "key:b"]) | SCALARS,
    "action": st.sampled_from(["allow", "degrade", "block", "fly"]) | SCALARS,
    "risk": SCALARS,
    "ip": st.sampled_from(["198.51.100.7", "::1"]) | SCALARS,
    "reasons": st.lists(SCALARS, max_size=3) | SCALARS,
    "risk_reasons": st.lists(SCALARS, max_size=3) | SCALARS,
    "signals": st.lists(SCALARS, max_size=3) | SCALARS,
    "campaign": st.dictionaries(
        st.sampled_from(["cohort", "score", "accounts", "young", "harvest", "kind", "x"]),
        SCALARS,
        max_size=5,
    )
    | SCALARS,
}


@st.composite
def events(draw: st.DrawFn) -> str:
    keys = draw(st.sets(st.sampled_from(sorted(EVENT_VALUES))))
    doc = {k: draw(EVENT_VALUES[k]) for k in keys | {"event"}}
    return json.dumps(doc, allow_nan=True)


@settings(max_examples=300, deadline=None, database=None, derandomize=True)
@given(st.lists(events() | st.text(max_size=30), max_size=10))
def test_the_report_reads_and_renders_any_audit_log(lines: list[str]) -> None:
    kept, skipped = report.read_log(lines)
    decisions = sum(1 for line in lines if "antiextract.decision" in line)
    assert len(kept) + skipped <= decisions
    page = report.render(kept, "a drawn log")
    assert page.startswith("<!DOCTYPE html>")


def test_the_report_command_on_a_malformed_audit_log(tmp_path: Path) -> None:
    """Campaign objects missing keys (the evidence reader indexed value[k]), numbers as
    text, infinities: the report is written, the malformed events are counted, no
    traceback."""
    base = {"event": "antiextract.decision", "timestamp": "2026-12-07T10:00:00Z"}
    lines = [
        {**base, "account": "key:a", "action": "degrade", "campaign": {"cohort": "t:x"}},
        {**base, "account": "key:b", "action": "block", "risk": "high",
         "campaign": {"cohort": "n:1.2.3.0/24", "score": "big", "accounts": 1e308 * 10}},
        {**base, "account": "key:c", "timestamp": "later"},
        {**base, "account": 7},
    ]  # fmt: skip
    log = tmp_path / "audit.jsonl"
    log.write_text("\n".join(json.dumps(x, allow_nan=True) for x in lines) + "\nnot json\n")
    out = tmp_path / "report.html"
    cmd = [
        sys.executable,
        "-m",
        "antiextract.ops.cli",
        "report",
        "--log",
        str(log),
        "--out",
        str(out),
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    assert "Traceback" not in done.stderr
    assert "2 malformed decision event(s) skipped" in done.stderr
    assert "key:b" in out.read_text()
