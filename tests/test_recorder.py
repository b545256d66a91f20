"""The recorder (ANTIEXTRACT_RECORD_FILE) and `antiextract replay`: the documented schema
written by the real middleware, no key or credential in it, the account ids the audit
events use, bounded in size, refused when it cannot be written; replay runs the file on
simulated time, tells the extractor from honest users, and answers to its settings."""

from __future__ import annotations

import io
import json
import logging
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
    """The request records of a file (the settings lines left out)."""
    docs = [json.loads(line) for line in path.read_text().splitlines()]
    return [d for d in docs if d.get("kind") != "settings"]


async def test_the_recorder_writes_the_schema_and_no_credential(tmp_path: Path) -> None:
    mw, audit, clock = recording(
        tmp_path,
        secret="the-SECRET-0123456789",
        challenge_secret="challenge-secret-0123456789",
        degrade_at=2.5,
        trusted_proxies="10.77.0.0/16",
        allow_subnets="192.0.2.0/24",
        allow_accounts="acct-vip-4242",
        allow_cohorts="n:198.51.100.0/24",
    )
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
    for secret in ("sk-live", "cookie-secret-42", "tok-secret-77", "SECRET-01", "challenge-sec"):
        assert secret not in text
    # the first line: the settings it was recorded under, for replay (no secret, no place)
    header = json.loads(text.splitlines()[0])
    assert header["kind"] == "settings" and header["v"] == 1 and header["antiextract"]
    assert header["settings"]["degrade_at"] == 2.5
    for left_out in ("secret", "challenge_secret", "storage_uri", "record_file"):
        assert left_out not in header["settings"]
    # nor the network's topology or allowlisted accounts: no place, no account id
    for place in ("10.77.", "192.0.2.", "acct-vip-4242", "198.51.100."):
        assert place not in text.splitlines()[0]
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
    mw, _, clock = recording(tmp_path, record_max_bytes=4_000)  # the settings line: ~1.5 KB
    for i in range(12):
        assert await post(mw, f"{HONEST} ({i}) " + "x" * 200, key="sk-bounded") == 200
        clock.advance(1)
    mw.recorder.close()
    size = (tmp_path / "traffic.jsonl").stat().st_size
    kept = lines(tmp_path / "traffic.jsonl")
    assert 0 < size <= 4_000
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
    existing.chmod(0o600)
    assert load_settings(record_file=str(existing)).record_file == str(existing)


def test_a_record_file_that_is_a_link_or_not_the_servers_own_stops_start_up(
    tmp_path: Path,
) -> None:
    """The file takes prompt text: never through a symbolic link (it would go wherever the
    link points), never into an existing file others can read or that another user owns.
    Refused by the settings at start-up, and by the recorder's own open (O_NOFOLLOW, then
    the open descriptor checked: a file swapped in after the settings looked)."""
    from antiextract.request.identity import KeyPlaces
    from antiextract.request.recorder import Recorder, Redactor

    redactor = Redactor(KeyPlaces(), b"k" * 32, ())
    target = tmp_path / "elsewhere.jsonl"
    target.write_text("")
    target.chmod(0o600)
    link = tmp_path / "link.jsonl"
    link.symlink_to(target)
    shared = tmp_path / "shared.jsonl"
    shared.write_text("")
    shared.chmod(0o644)
    cases = [(link, "is a symbolic link"), (shared, "chmod 600")]
    if os.geteuid() == 0:  # only root can give a file away
        theirs = tmp_path / "theirs.jsonl"
        theirs.write_text("")
        theirs.chmod(0o600)
        os.chown(theirs, 1, 1)
        cases.append((theirs, "is owned by user id 1"))
    for path, message in cases:
        with pytest.raises(SettingsError, match="ANTIEXTRACT_RECORD_FILE") as err:
            load_settings(record_file=str(path))
        assert message in str(err.value) and len(str(err.value).splitlines()) == 1
        with pytest.raises(OSError):
            Recorder(str(path), 10**6, redactor)
    assert target.read_text() == "" and shared.read_text() == ""
    assert stat.S_IMODE(shared.stat().st_mode) == 0o644  # refused, not changed


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
    assert data["requests"] == len(lines(path))
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


def test_a_stalled_writer_bounds_the_queue_in_bytes_and_never_holds_up_close(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """The file is a FIFO nobody reads: the writer thread blocks in write() once the pipe
    is full, as on a stalled disk. Requests keep coming; what waits stays under the bound
    in bytes (the queue was bounded in lines: 10,000 bodies of up to a megabyte), the rest
    is dropped, counted (the metric's callback) and logged once; close() comes back with
    the writer still stuck and counts what it held. Then the reader drains the pipe and
    the writer thread ends, closing the file itself."""
    import threading

    from antiextract.request.identity import KeyPlaces
    from antiextract.request.recorder import Recorder, Redactor

    path = str(tmp_path / "stalled")
    os.mkfifo(path, 0o600)
    reader = os.open(path, os.O_RDONLY | os.O_NONBLOCK)  # a reader exists, but never reads
    counted: list[int] = []
    bound = 200_000
    rec = Recorder(
        path, 10**9, Redactor(KeyPlaces(), b"k" * 32, ()), header=b'{"v":1}\n',
        on_drop=counted.append, queue_bytes=bound,
    )  # fmt: skip
    scope = {"path": "/v1/chat/completions", "headers": [], "client": ("203.0.113.1", 1)}
    caplog.set_level(logging.WARNING, logger="antiextract.recorder")
    try:
        for i in range(100):  # 2 MB: 30 times the pipe's buffer
            rec.write(scope, b"x" * 20_000, True, float(i))
            assert rec.queued_bytes <= bound
        assert rec.dropped >= 100 - 4 - bound // 20_000  # the pipe took at most ~3 lines
        assert sum(counted) == rec.dropped
        drops = [r for r in caplog.records if "dropped" in r.getMessage()]
        assert len(drops) == 1  # logged, not once per line
        before = rec.dropped
        closer = threading.Thread(target=rec.close, kwargs={"timeout": 0.2})
        closer.start()
        closer.join(60)  # a liveness check: a close() that blocks would never come back
        assert not closer.is_alive()
        assert rec.dropped > before and rec.queued_bytes == 0  # what it held: counted
        assert any("did not finish" in r.getMessage() for r in caplog.records)
        rec.write(scope, b"after close", True, 0.0)  # ignored, never queued
        assert rec.queued_bytes == 0
    finally:
        while rec._thread.is_alive():  # unstall: read until the writer thread ends
            try:
                os.read(reader, 1 << 16)
            except BlockingIOError:
                rec._thread.join(0.01)
        os.close(reader)
    assert rec._closed  # the writer closed the file once it could


async def test_close_writes_what_is_queued_when_the_writer_keeps_up(tmp_path: Path) -> None:
    mw, _, clock = recording(tmp_path)
    for i in range(5):
        assert await post(mw, f"{HONEST} {i}", key="sk-close") == 200
        clock.advance(1)
    mw.recorder.close()
    mw.recorder.close()  # idempotent
    assert len(lines(tmp_path / "traffic.jsonl")) == 5 and mw.recorder.dropped == 0


def _cli(*argv: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    base = {k: v for k, v in os.environ.items() if not k.startswith("ANTIEXTRACT_")}
    cmd = [sys.executable, "-m", "antiextract.ops.cli", *argv]
    return subprocess.run(
        cmd, env={**base, **(env or {})}, capture_output=True, text=True, timeout=300
    )


async def test_replay_runs_under_the_settings_it_was_recorded_with(tmp_path: Path) -> None:
    """Recorded with harsh thresholds (degrade_at 1): a replay from a shell that sets
    nothing, or sets other thresholds, still decides as the recorded server would, and
    says so; --set and --use-env override, reported; a file from before the settings line
    replays under the shell's settings with a warning."""
    mw, _, clock = recording(
        tmp_path, mode="shadow", degrade_at=1.0, challenge_at=2.0, block_at=40.0
    )
    for i in range(30):
        prompt = EXTRACTION.format(n=i, m=i + 1) if i % 2 else HONEST
        assert await post(mw, prompt, key=f"sk-{i % 3}", max_tokens=4096) == 200
        clock.advance(20)
    mw.recorder.close()
    path = tmp_path / "traffic.jsonl"
    shell = {"ANTIEXTRACT_DEGRADE_AT": "8", "ANTIEXTRACT_CHALLENGE_AT": "9"}
    shell["ANTIEXTRACT_BLOCK_AT"] = "50"

    recorded = _cli("replay", str(path), "--json")
    assert recorded.returncode == 0, recorded.stderr
    doc = json.loads(recorded.stdout)
    assert doc["settings"]["source"] == "recording" and doc["settings"]["recorded_by"]
    touched = sum(doc["totals"].get(a, 0) for a in ("degrade", "challenge", "throttle"))
    assert touched > 0  # the recorded thresholds: the extractors are acted on

    ignored = _cli("replay", str(path), "--json", env=shell)
    same = json.loads(ignored.stdout)
    assert same["totals"] == doc["totals"]  # the shell's thresholds did not apply...
    assert "ANTIEXTRACT_DEGRADE_AT" in same["settings"]["env_ignored"]  # ...and it says so
    text = _cli("replay", str(path), env=shell).stdout
    assert "settings: as recorded" in text and "ANTIEXTRACT_DEGRADE_AT" in text

    applied = _cli("replay", str(path), "--json", "--use-env", env=shell)
    lenient = json.loads(applied.stdout)
    assert lenient["settings"]["from_env"]["degrade_at"] == "8"
    assert sum(lenient["totals"].get(a, 0) for a in ("degrade", "challenge")) < touched
    text = _cli("replay", str(path), "--use-env", "--set", "block_at=45", env=shell).stdout
    assert "overrides (shell, --use-env): " in text and "degrade_at=8" in text
    assert "overrides (--set): block_at=45" in text

    old = tmp_path / "old.jsonl"  # recorded before the settings line existed
    old.write_text("".join(x for x in path.read_text().splitlines(True) if '"kind"' not in x))
    legacy = _cli("replay", str(old), env=shell)
    assert legacy.returncode == 0
    assert "no settings line" in legacy.stdout and "shell's ANTIEXTRACT_* settings" in legacy.stdout
    assert "no settings line" in legacy.stderr


MALFORMED = [
    (b'{"v":1,"t":5,"path":"/v1/chat/completions","headers":[["user-agent"]]}', "header 1"),
    (b'{"v":1,"t":5,"path":"/v1/chat/completions","headers":[],"body_b64":"%%%"}', "base64"),
    (b'{"v":1,"t":1e300,"path":"/v1/chat/completions","headers":[]}', "1970-9999"),
    (b'{"v":1,"t":NaN,"path":"/v1/chat/completions","headers":[]}', "not JSON"),
    (b'{"v":1,"t":-Infinity,"path":"/v1/chat/completions","headers":[]}', "not JSON"),
    (b'{"v":1,"t":1e999,"path":"/v1/chat/completions","headers":[]}', "infinity"),
    (b"[1, 2]", "not a JSON object"),
    (b'"text"', "not a JSON object"),
    (b"\xff\xfe garbage", "not JSON"),
    (b'{"v":1,"t":true,"path":"/x","headers":[]}', "'t'"),
    (b'{"v":1,"t":5,"path":"/x","headers":[[1, 2]]}', "header 1"),
    (b'{"v":1,"t":5,"path":"/x","headers":[],"client":7}', "'client'"),
    (b'{"v":1,"t":5,"path":"/x","headers":[],"body":{"a":1}}', "'body'"),
    (b'{"v":1,"kind":"settings","settings":[1]}', "settings line"),
    (b'{"v":2,"t":5,"path":"/x","headers":[]}', "version-1"),
]


def test_malformed_lines_are_one_line_each_skipped_and_counted(tmp_path: Path) -> None:
    good = {"v": 1, "t": 1_800_000_000.0, "path": "/v1/chat/completions", "client": "1.2.3.4"}
    good["headers"] = [["authorization", "Bearer key:abc"], ["content-type", "application/json"]]
    good["body"] = json.dumps({"model": "m", "messages": [{"role": "user", "content": "hi"}]})
    lines_out = [json.dumps(good).encode()] + [line for line, _ in MALFORMED]
    lines_out.append(json.dumps({**good, "t": good["t"] + 1}).encode())
    path = tmp_path / "mixed.jsonl"
    path.write_bytes(b"\n".join(lines_out) + b"\n")
    for argv in (["replay", str(path)], ["report", "--replay", str(path), "--out",
                                         str(tmp_path / "r.html")]):  # fmt: skip
        done = _cli(*argv)
        assert done.returncode == 0, done.stderr
        assert "Traceback" not in done.stderr + done.stdout
        problems = [x for x in done.stderr.splitlines() if "skipped" in x and "line " in x]
        assert len(problems) == len(MALFORMED), done.stderr
        for (_, why), number, problem in zip(MALFORMED, range(2, 99), problems, strict=False):
            assert f"line {number}:" in problem and why in problem, problem
    done = _cli("replay", str(path))
    assert f"{len(MALFORMED)} malformed line(s) skipped" in done.stdout
    assert "replayed 2 requests" in done.stdout
    nothing = tmp_path / "nothing.jsonl"
    nothing.write_bytes(b"\n".join(line for line, _ in MALFORMED) + b"\n")
    done = _cli("replay", str(nothing))
    assert done.returncode == 2 and len(done.stderr.strip().splitlines()) == 1, done.stderr
    assert "no record to replay" in done.stderr and "line 1:" in done.stderr


async def test_replay_counts_solution_retries_apart_and_lists_only_differing_env(
    tmp_path: Path,
) -> None:
    """A fresh clone saw replay count recorded challenge-solution retries (requests
    carrying AntiExtract-Solution) as fresh requests, and its "not applied" line list
    shell variables whose values equal the recorded ones. Now: retries are counted apart
    and said; only the variables that would have changed something are listed."""
    mw, _, clock = recording(tmp_path, mode="shadow", degrade_at=1.0, block_at=40.0)
    for _ in range(6):
        assert await post(mw, HONEST, key="sk-a") == 200
        clock.advance(10)
    solved = {"antiextract-solution": "tok:abc"}
    assert await post(mw, HONEST, key="sk-a", headers=solved) == 200
    mw.recorder.close()
    path = tmp_path / "traffic.jsonl"
    shell = {"ANTIEXTRACT_DEGRADE_AT": "1.0", "ANTIEXTRACT_BLOCK_AT": "50"}
    done = _cli("replay", str(path), "--json", env=shell)
    assert done.returncode == 0, done.stderr
    doc = json.loads(done.stdout)
    assert doc["requests"] == 6 and doc["solution_retries"] == 1
    assert doc["accounts"][0]["solution_retries"] == 1
    assert doc["settings"]["env_ignored"] == ["ANTIEXTRACT_BLOCK_AT"]  # 1.0 == recorded
    text = _cli("replay", str(path), env=shell).stdout
    assert "replayed 6 requests" in text
    assert "1 recorded challenge-solution retries (requests carrying AntiExtract-Solution" in text
    ignored = next(x for x in text.splitlines() if x.startswith("not applied"))
    assert "ANTIEXTRACT_BLOCK_AT" in ignored and "DEGRADE_AT" not in ignored


async def test_a_recording_made_with_the_worker_intelligence_plane_replays(
    tmp_path: Path,
) -> None:
    """INTEL=worker needs Redis, and a replay runs on the memory store: it replays with the
    plane embedded (not refused as "worker with memory://"); a recorded "off" stays off."""
    from antiextract.ops.replay import replay_settings

    mw, _, clock = recording(tmp_path)
    for i in range(4):
        assert await post(mw, HONEST, key=f"sk-{i}") == 200
        clock.advance(5)
    mw.recorder.close()
    path = tmp_path / "traffic.jsonl"
    docs = [json.loads(x) for x in path.read_text().splitlines()]
    assert docs[0]["kind"] == "settings"
    docs[0]["settings"]["intel"] = "worker"
    path.write_text("".join(json.dumps(d) + "\n" for d in docs))
    for argv in (["replay", str(path)], ["report", "--replay", str(path), "--out",
                                         str(tmp_path / "r.html")]):  # fmt: skip
        done = _cli(*argv)
        assert done.returncode == 0, done.stderr
    assert "replayed 4 requests" in _cli("replay", str(path)).stdout
    settings, _ = replay_settings({"intel": "worker"}, {})
    assert settings.intel == "embedded"
    settings, _ = replay_settings({"intel": "off"}, {})
    assert settings.intel == "off"
    settings, _ = replay_settings(None, {"intel": "worker"})
    assert settings.intel == "embedded"


def test_query_keys_are_redacted_whatever_their_case_or_separator() -> None:
    """``KEY=`` and ``a=1;key=`` held the raw key in the recording (the redaction matched
    exact names between ``&`` only). A name the middleware reads as a key gets the key's
    account id; another case of it gets nothing; everything else stays as it came."""
    from antiextract.request.identity import KeyPlaces
    from antiextract.request.recorder import Redactor

    redactor = Redactor(KeyPlaces(), b"k" * 32, ())
    secret = "sk-live-0123456789abcdef"
    exact = redactor.query(f"key={secret}".encode())
    assert exact.startswith("key=key%3A") and secret not in exact
    for query, kept in [
        (f"KEY={secret}", "KEY="),
        (f"a=1;key={secret}", "a=1;key=key%3A"),
        (f"a=1;Api_Key={secret}&b=2", "a=1;Api_Key=&b=2"),
        (f"x=%26y;API_KEY={secret};z=3", "x=%26y;API_KEY=;z=3"),
    ]:
        out = redactor.query(query.encode())
        assert secret not in out and out.startswith(kept), (query, out)
    assert redactor.query(b"a=1;b=2&c") == "a=1;b=2&c"  # nothing to redact: as it came
    assert exact == redactor.query(f"a=1;key={secret}".encode()).split(";", 1)[1]


def test_a_line_longer_than_the_recorder_writes_is_skipped_never_held(tmp_path: Path) -> None:
    """Replay and report held whole lines (a 300 MB line cost 715 MB): a line past the
    recorder's longest (MAX_LINE_BYTES, the queue's bound) is read past in chunks, named
    with its number on stderr and skipped; the lines around it replay."""
    from antiextract.ops.replay import LineTooLong, bounded_lines
    from antiextract.request.recorder import MAX_LINE_BYTES

    cap = 10
    f = io.BytesIO(b"0123456789\n01234567890\nabc\n" + b"x" * 25 + b"\nlast")
    got = list(bounded_lines(f, cap))
    assert got == [b"0123456789\n", LineTooLong(cap), b"abc\n", LineTooLong(cap), b"last"]

    good = {"v": 1, "t": 1_800_000_000.0, "path": "/v1/chat/completions", "headers": []}
    good["body"] = json.dumps({"model": "m", "messages": [{"role": "user", "content": "hi"}]})
    line = json.dumps(good).encode()
    huge = b'{"v":1,"pad":"' + b"x" * (MAX_LINE_BYTES - 15) + b'"}'  # just over the cap
    assert len(huge) == MAX_LINE_BYTES + 1
    path = tmp_path / "huge.jsonl"
    path.write_bytes(line + b"\n" + huge + b"\n" + line + b"\n")
    done = _cli("replay", str(path))
    assert done.returncode == 0, done.stderr
    assert "line 2: longer than" in done.stderr and "skipped" in done.stderr
    assert "replayed 2 requests" in done.stdout
