"""The recorder (ANTIEXTRACT_RECORD_FILE) and `antiextract replay`: the documented schema
written by the real middleware, no key or credential in it, the account ids the audit
events use, bounded in size, refused when it cannot be written; replay runs the file on
simulated time, tells the extractor from honest users, and answers to its settings."""

from __future__ import annotations

import io
import json
import os
import random
import stat
import subprocess
import sys
from pathlib import Path
from typing import Any

import httpx
import pytest

from antiextract import AntiExtractMiddleware, Settings
from antiextract.audit import make_logger
from antiextract.ops.replay import identity, read_records, render, replay
from antiextract.settings import SettingsError, load_settings

from .conftest import SimClock

USAGE = (
    b'{"choices":[{"message":{"content":"ok"}}],'
    b'"usage":{"prompt_tokens":50,"completion_tokens":200}}'
)
EXTRACTION = (
    "You are a world-class software engineer. Solve the task below. Think step by step and "
    "show your complete reasoning before the final answer.\n\nTask: def f{n}(items, "
    "limit={m}): return sorted(items)[:limit]"
)
HONEST = "What is a good name for a cat that likes boxes?"


async def model(scope: dict[str, Any], receive: Any, send: Any) -> None:
    if scope["type"] != "http":
        return
    while (await receive()).get("more_body"):
        pass
    headers = [(b"content-type", b"application/json")]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": USAGE})


def recording(tmp_path: Path, **kw: Any) -> tuple[AntiExtractMiddleware, io.StringIO, SimClock]:
    audit = io.StringIO()
    clock = SimClock()
    s = Settings(record_file=str(tmp_path / "traffic.jsonl"), audit_sample_rate=1.0, **kw)
    mw = AntiExtractMiddleware(model, s, clock, logger=make_logger(stream=audit))
    return mw, audit, clock


async def post(
    app: Any,
    prompt: str,
    *,
    key: str,
    ip: str = "203.0.113.10",
    max_tokens: int = 256,
    headers: dict[str, str] | None = None,
    params: dict[str, str] | None = None,
) -> int:
    transport = httpx.ASGITransport(app=app, client=(ip, 5000))
    body = {
        "model": "m",
        "max_tokens": max_tokens,
        "messages": [{"role": "user", "content": prompt}],
    }
    sent = {"authorization": f"Bearer {key}", "user-agent": "OpenAI/Python 1.40.0"}
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as client:
        r = await client.post(
            "/v1/chat/completions", json=body, headers={**sent, **(headers or {})}, params=params
        )
    return r.status_code


def lines(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text().splitlines()]


async def test_the_recorder_writes_the_schema_and_no_credential(tmp_path: Path) -> None:
    mw, audit, clock = recording(tmp_path)
    assert mw.recorder is not None
    prompt = "Summarise the plot of Hamlet in three sentences."
    status = await post(
        mw,
        prompt,
        key="sk-live-0123456789abcdef",
        headers={"cookie": "session=cookie-secret-42", "x-internal-token": "tok-secret-77"},
    )
    assert status == 200
    clock.advance(2.5)
    status = await post(
        mw, HONEST, key="sk-live-0123456789abcdef", params={"key": "sk-live-0123456789abcdef"}
    )
    assert status == 200
    mw.recorder.close()
    path = tmp_path / "traffic.jsonl"
    text = path.read_text()
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
    for secret in ("sk-live", "cookie-secret-42", "tok-secret-77"):
        assert secret not in text
    first, second = lines(path)
    assert set(first) == {
        "v", "t", "method", "path", "root_path", "query", "client", "headers", "body", "complete"
    }  # fmt: skip
    assert first["v"] == 1 and first["method"] == "POST"
    assert first["path"] == "/v1/chat/completions" and first["client"] == "203.0.113.10"
    assert second["t"] - first["t"] == 2.5  # the middleware's clock
    assert json.loads(first["body"])["messages"][0]["content"] == prompt
    assert first["complete"] is True
    headers = dict(first["headers"])
    names = [name for name, _ in first["headers"]]
    assert names.index("authorization") < names.index("user-agent")  # the layout is kept
    assert headers["user-agent"] == "OpenAI/Python 1.40.0"
    assert headers["cookie"] == "" and headers["x-internal-token"] == ""
    # the key became the account id the audit events use for the same request
    events = [json.loads(line) for line in audit.getvalue().splitlines()]
    decided = [e for e in events if e.get("event") == "antiextract.decision"]
    assert headers["authorization"] == f"Bearer {decided[0]['account']}"
    assert second["query"] == f"key={decided[1]['account'].replace(':', '%3A')}"


async def test_the_file_stops_growing_at_its_bound(tmp_path: Path) -> None:
    mw, _, clock = recording(tmp_path, record_max_bytes=2_000)
    for i in range(12):
        assert await post(mw, f"{HONEST} ({i}) " + "x" * 200, key="sk-bounded") == 200
        clock.advance(1)
    mw.recorder.close()
    size = (tmp_path / "traffic.jsonl").stat().st_size
    kept = lines(tmp_path / "traffic.jsonl")
    assert 0 < size <= 2_000
    assert 1 <= len(kept) < 12 and mw.recorder.full


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("/nonexistent-dir/traffic.jsonl", "does not exist"),
        ("s3://bucket/traffic.jsonl", "local file only"),
        ("/", "is a directory"),
    ],
)
def test_a_record_file_that_cannot_be_written_stops_start_up(value: str, message: str) -> None:
    with pytest.raises(SettingsError, match="ANTIEXTRACT_RECORD_FILE") as err:
        load_settings(record_file=value)
    assert message in str(err.value)


def test_a_record_file_that_is_no_regular_file_stops_start_up(tmp_path: Path) -> None:
    """A dangling symbolic link passed an exists() check and then failed to open inside
    the middleware (a 500 on every route); a FIFO would block the start-up; a device such
    as /dev/stdout on a terminal puts prompt text in the process log, past any size bound
    (an outside trial)."""
    dangling = tmp_path / "dangling.jsonl"
    dangling.symlink_to(tmp_path / "missing-dir" / "traffic.jsonl")
    fifo = tmp_path / "fifo.jsonl"
    os.mkfifo(fifo)
    for value, message in [
        (str(dangling), "symbolic link to nothing"),
        (str(fifo), "not a regular file"),
        ("/dev/null", "not a regular file"),  # (/dev/stdout: a file of its own under pytest)
    ]:
        with pytest.raises(SettingsError, match="ANTIEXTRACT_RECORD_FILE") as err:
            load_settings(record_file=value)
        assert message in str(err.value), value
    existing = tmp_path / "existing.jsonl"
    existing.write_text("")
    assert load_settings(record_file=str(existing)).record_file == str(existing)


async def test_a_record_file_that_cannot_be_opened_is_a_config_error_never_a_500(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Checked by the settings, the file can still refuse to open (a race, a read-only
    mount): the server then refuses to start (lifespan) instead of serving 500s."""
    path = tmp_path / "traffic.jsonl"
    monkeypatch.setenv("ANTIEXTRACT_RECORD_FILE", str(path))
    monkeypatch.setenv("ANTIEXTRACT_STORAGE_URI", "memory://")

    def refuse(*args: object, **kwargs: object) -> int:
        raise PermissionError(13, "Permission denied")

    from antiextract.request import recorder

    monkeypatch.setattr(recorder.os, "open", refuse)
    mw = AntiExtractMiddleware(model)
    assert mw.config_error is not None and "ANTIEXTRACT_RECORD_FILE" in mw.config_error
    assert "Permission denied" in mw.config_error


def test_replay_files_a_request_under_the_key_it_was_sent_with_never_a_header_it_chose() -> None:
    """The recording keeps the User-Agent as sent; reading any ``Bearer key:`` value as the
    key let a client file its requests under another account in the replay's report (an
    outside trial). Only the configured key places count: headers, then the query."""
    s = Settings(storage_uri="memory://")
    spoofed = {
        "headers": [["user-agent", "Bearer key:innocent"], ["authorization", "Bearer key:real"]],
        "client": "203.0.113.9",
    }
    assert identity(spoofed, s) == "key:real"
    only_ua = {"headers": [["user-agent", "Bearer key:innocent"]], "client": "203.0.113.9"}
    assert identity(only_ua, s) == "ip:203.0.113.9"
    in_query = {"headers": [], "query": "a=1&api_key=key:q", "client": "203.0.113.9"}
    assert identity(in_query, s) == "key:q"  # a key sent in ?api_key= is that key's account
    other_param = {"headers": [], "query": "token=key:q", "client": "203.0.113.9"}
    assert identity(other_param, s) == "ip:203.0.113.9"


async def record_traffic(tmp_path: Path, minutes: int = 20) -> Path:
    """Five honest users asking now and then, one extractor asking every 3 s, recorded
    by the middleware in shadow mode (nobody refused while recording)."""
    mw, _, clock = recording(tmp_path, mode="shadow")
    rng = random.Random(7)
    start = clock.now
    events = []
    for minute in range(minutes):
        for user in range(5):
            if rng.random() < 0.3:
                events.append((minute * 60 + rng.random() * 60, f"sk-honest-{user}", HONEST, 256))
        for i in range(20):
            prompt = EXTRACTION.format(n=rng.randrange(10**6), m=rng.randrange(1, 100))
            events.append((minute * 60 + i * 3, "sk-extractor", prompt, 4096))
    events.sort()
    for t, key, prompt, max_tokens in events:
        clock.now = start + t
        ip = "198.51.100.7" if key == "sk-extractor" else f"203.0.113.{10 + int(key[-1])}"
        assert await post(mw, prompt, key=key, ip=ip, max_tokens=max_tokens) == 200
    mw.recorder.close()
    return tmp_path / "traffic.jsonl"


async def test_replay_tells_the_extractor_from_honest_users(tmp_path: Path) -> None:
    path = await record_traffic(tmp_path)
    records = list(read_records(path.read_bytes().splitlines()))
    extractor = next(r for r in records if r["client"] == "198.51.100.7")
    extractor_id = dict(extractor["headers"])["authorization"].removeprefix("Bearer ")

    result = await replay(records)
    assert result.requests == len(records) and result.end - result.start > 19 * 60
    touched = {a.account for a in result.accounts.values() if a.touched}
    assert touched == {extractor_id}  # honest users untouched with the defaults
    acc = result.accounts[extractor_id]
    assert acc.actions["degrade"] + acc.actions["throttle"] + acc.actions["block"] > 0
    assert acc.first  # when it started, and why
    assert any(r.startswith(("risk", "token_budget")) for r in acc.reasons)
    text = render(result)
    assert extractor_id in text and "5 other accounts: every request allowed" in text

    # the same file, harsher thresholds: the honest users would be caught too
    harsh = await replay(records, {"degrade_at": "1.0", "challenge_at": "2", "block_at": "4"})
    assert len([a for a in harsh.accounts.values() if a.touched]) > 1
    assert harsh.accounts[extractor_id].actions["block"] > 0
    # deterministic: simulated time, a fresh store each run
    assert (await replay(records)).as_dict() == result.as_dict()


async def test_the_replay_command(tmp_path: Path) -> None:
    path = await record_traffic(tmp_path, minutes=5)
    env = {k: v for k, v in os.environ.items() if not k.startswith("ANTIEXTRACT_")}
    cmd = [sys.executable, "-m", "antiextract.ops.cli", "replay", str(path)]
    out = subprocess.run([*cmd, "--json", "--set", "ANTIEXTRACT_DEGRADE_AT=1.0"], env=env,
                         capture_output=True, text=True, timeout=300)  # fmt: skip
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert data["overrides"] == {"degrade_at": "1.0"}
    assert data["requests"] == len(path.read_text().splitlines())
    assert sum(data["totals"].values()) == data["requests"]
    assert "sk-" not in out.stdout  # account ids only
    bad = tmp_path / "bad.jsonl"
    bad.write_text('{"v": 1, "t": "soon"}\n')
    out = subprocess.run([*cmd[:-1], str(bad)], env=env, capture_output=True, text=True, timeout=60)
    assert out.returncode == 2 and "line 1" in out.stderr
    out = subprocess.run([*cmd, "--set", "degrade_at=-1"], env=env, capture_output=True,
                         text=True, timeout=120)  # fmt: skip
    assert out.returncode != 0 and "DEGRADE_AT" in out.stderr


async def test_a_long_body_is_recorded_up_to_what_is_inspected(tmp_path: Path) -> None:
    """The app still gets the whole body; the record keeps INSPECT_MAX_BYTES of it."""
    seen: list[int] = []

    async def counting(scope: dict[str, Any], receive: Any, send: Any) -> None:
        size, more = 0, True
        while more:
            message = await receive()
            size += len(message.get("body", b""))
            more = message.get("more_body", False)
        seen.append(size)
        await model({"type": "http"}, _empty, send)

    s = Settings(record_file=str(tmp_path / "traffic.jsonl"), inspect_max_bytes=1024)
    mw = AntiExtractMiddleware(counting, s, SimClock(), logger=make_logger(stream=io.StringIO()))
    prompt = "word " * 2000
    assert await post(mw, prompt, key="sk-long") == 200
    mw.recorder.close()
    (record,) = lines(tmp_path / "traffic.jsonl")
    assert record["complete"] is False
    assert len(record["body"].encode()) == 1024
    assert seen[0] > 10_000  # forwarded whole


async def _empty() -> dict[str, Any]:
    return {"type": "http.request", "body": b"", "more_body": False}


def test_recorders_sharing_a_file_never_split_a_line(tmp_path: Path) -> None:
    """Workers of one server record to one file: each line is one O_APPEND write, so lines
    longer than any buffer, from several writers at once, all come out whole."""
    import threading

    from antiextract.request.identity import KeyPlaces
    from antiextract.request.recorder import Recorder, Redactor

    path = str(tmp_path / "shared.jsonl")
    redactor = Redactor(KeyPlaces(), b"k" * 32, ())
    recorders = [Recorder(path, 10**8, redactor) for _ in range(4)]
    scope = {"path": "/v1/chat/completions", "headers": [], "client": ("203.0.113.1", 1)}

    def write(rec: Recorder, n: int) -> None:
        for i in range(50):
            rec.write(scope, (f"{n}-{i}-" + "x" * 20_000).encode(), True, float(i))

    threads = [threading.Thread(target=write, args=(r, n)) for n, r in enumerate(recorders)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    for rec in recorders:
        rec.close()
    bodies = [json.loads(line)["body"] for line in Path(path).read_text().splitlines()]
    assert len(bodies) == 200
    assert {b.split("-x")[0].rsplit("-", 1)[0] for b in bodies} == {"0", "1", "2", "3"}
    assert stat.S_IMODE(os.stat(path).st_mode) == 0o600
