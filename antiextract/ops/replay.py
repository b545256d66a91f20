"""``antiextract replay FILE``: recorded traffic through the detector, on simulated time.

The file is what the recorder writes (ANTIEXTRACT_RECORD_FILE; the schema is in
antiextract/request/recorder.py and the README). Each line becomes the same ASGI request
again, at the time it was recorded, into a fresh middleware on the embedded store whose
clock is the recording's: an hour of traffic replays in seconds, and every window, bucket,
risk level and campaign sees the time it would have seen. The settings are the
recording's own: the serving settings its first line holds (the recorder writes them,
secrets left out), so a replay decides as the recorded server would have. --set
NAME=VALUE overrides one; --use-env lets the shell's ANTIEXTRACT_* variables override them
too; both are reported in the output. A file recorded before the settings line existed
replays under the shell's settings, with a warning that says so. Thresholds can thus be
tried on the operator's own traffic before they enforce anything.

A line that is not a record (not a JSON object, a field missing or of the wrong type, a
time that is not a finite time within years 1970-9999, a header that is not a
``[name, value]`` pair of strings, a body that is not base64) is reported with its line
number on stderr and skipped; the summary counts them. A file with no record at all
exits 2 with one line.

What replay cannot know, and how it stands in: the responses were not recorded, so every
request is charged what it reserved (a response without usage keeps its reservation);
challenged clients never solve (an honest SDK with the helper would); the store starts
empty (production's accumulated risk and campaigns are not in the file); the tarpit's
delay is not slept. Decisions are taken as in enforce mode whatever ``MODE`` says: the
point is what enforce would do.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import binascii
import io
import json
import math
import os
import re
import sys
from collections import Counter
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qsl

import orjson

from ..audit import make_logger
from ..metrics import Metrics
from ..settings import load_settings

ACTIONS = ("degrade", "challenge", "throttle", "block")
_KNOWN = {"allow", *ACTIONS}
MAX_T = 253_402_300_799.0  # 9999-12-31T23:59:59Z: a later time is no recorded time
SHOWN_PROBLEMS = 50  # malformed lines reported one by one; the rest only counted


class ReplayError(ValueError):
    """A file that holds no record at all (one line, exit 2)."""


@dataclass
class Recording:
    """A recorder file as read: its records, the settings it was recorded under (its
    settings line; None for a file from before it existed) and what was skipped."""

    records: list[dict[str, Any]]
    settings: dict[str, Any] | None = None
    version: str | None = None
    skipped: int = 0
    problems: list[str] = field(default_factory=list)  # "line N: why", SHOWN_PROBLEMS first
    notes: list[str] = field(default_factory=list)  # about the settings lines


@dataclass
class SettingsUsed:
    """Which settings a replay ran under, and who changed what (reported in its output)."""

    source: str  # "recording" | "shell"
    version: str | None = None
    overrides: dict[str, str] = field(default_factory=dict)  # --set
    from_env: dict[str, str] = field(default_factory=dict)  # --use-env: the shell's, applied
    env_ignored: list[str] = field(default_factory=list)  # shell variables the recording beat
    notes: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        return {
            "source": self.source,
            "recorded_by": self.version,
            "overrides": self.overrides,
            "from_env": self.from_env,
            "env_ignored": self.env_ignored,
            "notes": self.notes,
        }

    def lines(self) -> list[str]:
        out = []
        if self.source == "recording":
            out.append(
                f"settings: as recorded (by antiextract {self.version or '?'}, the file's "
                "settings line)"
            )
        else:
            out.append(
                "warning: the file has no settings line (recorded before antiextract wrote "
                "one): the shell's ANTIEXTRACT_* settings are used"
            )
        if self.overrides:
            out.append(
                "overrides (--set): "
                + ", ".join(f"{k}={v}" for k, v in sorted(self.overrides.items()))
            )
        if self.from_env:
            out.append(
                "overrides (shell, --use-env): "
                + ", ".join(f"{k}={v}" for k, v in sorted(self.from_env.items()))
            )
        if self.env_ignored:
            out.append(
                "not applied (the recording's values win; --use-env applies them): "
                + ", ".join(self.env_ignored)
            )
        out += self.notes
        return out


@dataclass
class AccountReplay:
    """What the detector did to one recorded account."""

    account: str
    requests: int = 0
    actions: Counter[str] = field(default_factory=Counter)
    first: dict[str, float] = field(default_factory=dict)  # action -> seconds from start
    reasons: Counter[str] = field(default_factory=Counter)
    risk_from: Counter[str] = field(default_factory=Counter)  # trait names: elicit, focus...
    campaigns: set[str] = field(default_factory=set)
    max_risk: float = 0.0
    retries: int = 0  # recorded challenge-solution retries: not replayed as requests

    @property
    def touched(self) -> bool:
        return any(self.actions[a] for a in ACTIONS)

    def as_dict(self) -> dict[str, Any]:
        return {
            "account": self.account,
            "requests": self.requests,
            "solution_retries": self.retries,
            "actions": {a: self.actions[a] for a in ("allow", *ACTIONS)},
            "first": {a: round(t, 3) for a, t in sorted(self.first.items(), key=lambda x: x[1])},
            "reasons": dict(self.reasons.most_common()),
            "risk_from": dict(self.risk_from.most_common()),
            "campaigns": sorted(self.campaigns),
            "max_risk": round(self.max_risk, 3),
        }


@dataclass
class ReplayResult:
    requests: int
    start: float
    end: float
    accounts: dict[str, AccountReplay]
    statuses: Counter[int]
    overrides: dict[str, str]
    # the decision events, reduced to ids, numbers and signal names, "t" = recorded time
    events: list[dict[str, Any]] = field(default_factory=list)
    used: SettingsUsed | None = None
    skipped: int = 0  # malformed lines of the file, not replayed
    retries: int = 0  # recorded challenge-solution retries, counted apart

    def totals(self) -> Counter[str]:
        out: Counter[str] = Counter()
        for acc in self.accounts.values():
            out.update(acc.actions)
        return out

    def as_dict(self) -> dict[str, Any]:
        return {
            "requests": self.requests,
            "start": self.start,
            "end": self.end,
            "overrides": self.overrides,
            "settings": self.used.as_dict() if self.used else None,
            "skipped_lines": self.skipped,
            "solution_retries": self.retries,
            "totals": dict(self.totals()),
            "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
            "accounts": [a.as_dict() for a in _ordered(self.accounts.values())],
        }


@dataclass(frozen=True, slots=True)
class LineTooLong:
    """A line :func:`bounded_lines` did not hold: longer than its cap."""

    cap: int


def bounded_lines(f: Any, cap: int) -> Iterator[bytes | LineTooLong]:
    """The lines of a binary file, each held only up to ``cap`` bytes (newline left out):
    a longer line (no recorder writes one) is read past in chunks and given as
    :class:`LineTooLong`, so one huge line never costs its size in memory."""
    while True:
        line = f.readline(cap + 1)
        if not line:
            return
        if len(line) <= cap or (line.endswith(b"\n") and len(line) == cap + 1):
            yield line
            continue
        while line and not line.endswith(b"\n"):  # the rest of the long line, dropped
            line = f.readline(1 << 20)
        yield LineTooLong(cap)


def read_recording(lines: Iterable[bytes | str | LineTooLong]) -> Recording:
    """A recorder file, line by line: records in file order, the settings line, and every
    malformed line skipped with its reason (blank lines are no lines). Never raises on
    the content."""
    out = Recording([])
    headers: list[tuple[int, dict[str, Any], Any]] = []
    for number, line in enumerate(lines, 1):
        if isinstance(line, LineTooLong):
            doc: dict[str, Any] = {}
            why: str | None = f"longer than {line.cap:,} bytes (the recorder writes none)"
        elif not line.strip():
            continue
        else:
            doc, why = _parse(line)
        if why is None and doc.get("kind") == "settings":
            headers.append((number, doc["settings"], doc.get("antiextract")))
            continue
        if why is None:
            why = record_problem(doc)
        if why is None:
            out.records.append(doc)
            continue
        out.skipped += 1
        if len(out.problems) < SHOWN_PROBLEMS:
            out.problems.append(f"line {number}: {why}; skipped")
    if headers:
        number, out.settings, version = headers[0]
        out.version = version if isinstance(version, str) else None
        differ = [n for n, values, _ in headers[1:] if values != out.settings]
        if differ:
            out.notes.append(
                f"note: the settings lines at line(s) {', '.join(map(str, differ[:5]))} differ "
                f"from the first (line {number}); the first is used"
            )
    return out


def read_records(lines: Iterable[bytes | str]) -> Iterator[dict[str, Any]]:
    """The records of a recorder file, in file order (malformed lines skipped)."""
    yield from read_recording(lines).records


def _parse(line: bytes | str) -> tuple[dict[str, Any], str | None]:
    try:
        doc = orjson.loads(line)
    except orjson.JSONDecodeError as exc:
        return {}, f"not JSON ({str(exc).splitlines()[0][:120]})"
    if not isinstance(doc, dict):
        return {}, f"not a JSON object (a {type(doc).__name__})"
    if doc.get("v") != 1:
        return {}, "not a version-1 record"
    if doc.get("kind") == "settings":
        settings = doc.get("settings")
        if not isinstance(settings, dict) or not all(isinstance(k, str) for k in settings):
            return {}, "a settings line whose 'settings' is not an object"
    elif "kind" in doc:
        return {}, f"an unknown kind of line ({str(doc['kind'])[:40]!r})"
    return doc, None


_OPTIONAL_TEXT = ("method", "root_path", "query", "body")


def record_problem(record: dict[str, Any]) -> str | None:
    """Why a parsed line cannot be replayed, or None."""
    t = record.get("t")
    if isinstance(t, bool) or not isinstance(t, int | float):
        return "'t' missing or not a number"
    if not math.isfinite(t) or not 0 <= t <= MAX_T:
        return f"'t' is not a time within 1970-9999 ({t!r})"
    path = record.get("path")
    if not isinstance(path, str) or not path.startswith("/"):
        return "'path' missing or not a path"
    for key in _OPTIONAL_TEXT:
        if record.get(key) is not None and not isinstance(record[key], str):
            return f"'{key}' is not a string"
    client = record.get("client")
    if client is not None and not isinstance(client, str):
        return "'client' is not a string"
    headers = record.get("headers")
    if not isinstance(headers, list):
        return "'headers' missing or not a list"
    for i, pair in enumerate(headers):
        if (
            not isinstance(pair, list)
            or len(pair) != 2
            or not isinstance(pair[0], str)
            or not isinstance(pair[1], str)
        ):
            return f"header {i + 1} is not a [name, value] pair of strings"
        try:
            pair[0].encode("latin-1")
        except UnicodeEncodeError:
            return f"header {i + 1}'s name is not latin-1"
    if "body_b64" in record:
        b64 = record["body_b64"]
        if not isinstance(b64, str):
            return "'body_b64' is not a string"
        try:
            base64.b64decode(b64, validate=True)
        except (binascii.Error, ValueError):
            return "'body_b64' is not base64"
    return None


def identity(record: dict[str, Any], settings: Any) -> str:
    """The account a record belongs to, as the recording names it: the auth layer's
    account header, else the key's account id (``key:<digest>``) read only from the places
    API keys are configured in (a client could put ``Bearer key:<someone>`` in its
    User-Agent, which the recording keeps, and be filed under another account), else the
    client address."""
    wanted = settings.account_header.lower() if settings.account_header else None
    places = {h.lower() for h in settings.api_key_headers}
    for name, value in record["headers"]:
        if wanted and name == wanted and value:
            return f"hdr:{value}"
    for name, value in record["headers"]:
        if name in places and isinstance(value, str):
            token = value.removeprefix("Bearer ")
            if token.startswith("key:"):
                return token
    query = record.get("query")
    if isinstance(query, str) and query:
        params = set(settings.api_key_query_params)
        for name, value in parse_qsl(query, keep_blank_values=False):
            if name in params and value.startswith("key:"):
                return value
    return f"ip:{record.get('client')}"


async def _model(scope: dict[str, Any], receive: Any, send: Any) -> None:
    """The model behind the replay: answers every request with a minimal JSON reply."""
    if scope["type"] != "http":
        return
    while (await receive()).get("more_body"):
        pass
    body = b'{"id":"replay","object":"chat.completion","choices":[]}'
    headers = [(b"content-type", b"application/json"), (b"content-length", b"%d" % len(body))]
    await send({"type": "http.response.start", "status": 200, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class _Clock:
    __slots__ = ("now",)

    def __init__(self, now: float) -> None:
        self.now = now

    def __call__(self) -> float:
        return self.now


def replay_settings(
    recorded: dict[str, Any] | None,
    overrides: dict[str, str],
    *,
    version: str | None = None,
    use_env: bool = False,
) -> tuple[Any, SettingsUsed]:
    """The settings a replay runs under: the recording's (``recorded``, its settings
    line), else the shell's; then ``overrides`` (``--set``); with ``use_env`` the shell's
    ``ANTIEXTRACT_*`` variables over the recording's. Raises ``SettingsError``."""
    from ..request.recorder import NOT_RECORDED
    from ..settings import Settings

    forced = {
        "storage_uri": "memory://",
        "mode": "enforce",
        "audit_sample_rate": 1.0,
        "tarpit_max_seconds": 0.0,
        "record_file": None,
        "metrics_port": None,
    }
    fields = Settings.model_fields
    # The replay runs in one process on the memory store: the intelligence plane too
    # (a recording made with INTEL=worker would be refused with memory://), unless it
    # was switched off.
    chosen = overrides.get("intel") or (recorded or {}).get("intel")
    if not chosen or (use_env and "ANTIEXTRACT_INTEL" in os.environ):
        chosen = os.environ.get("ANTIEXTRACT_INTEL", chosen or "embedded")
    forced["intel"] = "off" if str(chosen).strip().lower() == "off" else "embedded"
    if recorded is None:
        used = SettingsUsed("shell", overrides=dict(overrides))
        return load_settings(**{**overrides, **forced}), used
    used = SettingsUsed("recording", version, overrides=dict(overrides))
    base = {k: v for k, v in recorded.items() if k in fields and k not in NOT_RECORDED}
    unknown = sorted(k for k in recorded if k not in fields)
    if unknown:
        used.notes.append(
            "note: settings this version does not have were left out: " + ", ".join(unknown)
        )
    for name in sorted(base):
        variable = f"ANTIEXTRACT_{name.upper()}"
        if variable not in os.environ or name in overrides:
            continue
        if use_env:
            used.from_env[name] = os.environ[variable]
            del base[name]  # the environment's value is read by the settings themselves
        elif not _same_value(os.environ[variable], base[name]):
            used.env_ignored.append(variable)  # only those that would have changed it
    return load_settings(**{**base, **overrides, **forced}), used


async def replay(
    records: Iterable[dict[str, Any]],
    overrides: dict[str, str] | None = None,
    *,
    recorded: dict[str, Any] | None = None,
    version: str | None = None,
    use_env: bool = False,
    skipped: int = 0,
) -> ReplayResult:
    """Run ``records`` through a fresh middleware (embedded store, simulated time), under
    the settings :func:`replay_settings` picks."""
    from ..request.middleware import AntiExtractMiddleware  # the CLI starts without it
    from .cli import _evidence_record

    overrides = dict(overrides or {})
    settings, used = replay_settings(recorded, overrides, version=version, use_env=use_env)
    stream = io.StringIO()
    clock = _Clock(0.0)
    mw = AntiExtractMiddleware(
        _model,
        settings,
        clock,
        logger=make_logger(stream=stream),
        metrics=Metrics(publish=False),
    )
    accounts: dict[str, AccountReplay] = {}
    statuses: Counter[int] = Counter()
    kept: list[dict[str, Any]] = []
    start = end = None
    count = retries = 0
    for record in records:
        t = float(record["t"])
        start = t if start is None else start
        end = t
        if solution_retry(record):
            # a client's second sending of a request the recording challenged, with the
            # solution: the replay issues challenges of its own (that recorded solution
            # answers none of them), so it is counted as a retry, not a fresh request
            retries += 1
            who = identity(record, settings)
            accounts.setdefault(who, AccountReplay(who)).retries += 1
            continue
        clock.now = max(clock.now, t)  # a clock never goes back
        status = await _one(mw, record)
        drain = getattr(getattr(mw, "intel", None), "drain", None)
        if drain is not None:  # the intelligence plane (issue 16): analysed as time passes
            await drain(clock.now)
        statuses[status] += 1
        count += 1
        who = identity(record, settings)
        acc = accounts.get(who)
        if acc is None:
            acc = accounts[who] = AccountReplay(who)
        acc.requests += 1
        for event in decision_events(stream):
            action = event.get("action")
            if action not in _KNOWN:
                continue
            acc.actions[action] += 1
            kept.append({**_evidence_record(event), "t": t, "account": who})
            if action != "allow":
                acc.first.setdefault(action, t - start)
                for reason in event.get("reasons") or ():
                    acc.reasons[str(reason)] += 1
                for part in event.get("risk_reasons") or ():
                    acc.risk_from[str(part).split("=")[0]] += 1
            acc.max_risk = max(acc.max_risk, float(event.get("risk") or 0.0))
            campaign = event.get("campaign")
            if isinstance(campaign, dict) and campaign.get("cohort"):
                acc.campaigns.add(str(campaign["cohort"]))
    return ReplayResult(
        count, start or 0.0, end or 0.0, accounts, statuses, overrides, kept, used, skipped,
        retries,
    )  # fmt: skip


def _same_value(text: str, value: Any) -> bool:
    """Whether an ``ANTIEXTRACT_*`` variable's text says what a recorded value says (the
    forms the settings read: numbers, booleans, comma lists, JSON)."""
    text = text.strip()
    if value is None:
        return text == ""
    if isinstance(value, bool):
        return text.lower() in (
            ("1", "true", "yes", "on") if value else ("0", "false", "no", "off")
        )
    if isinstance(value, int | float):
        try:
            return float(text) == float(value)
        except ValueError:
            return False
    if isinstance(value, str):
        return text == value
    if isinstance(value, list | tuple) and text == ",".join(str(v) for v in value):
        return True
    try:
        return bool(json.loads(text) == value)
    except ValueError:
        return False


def solution_retry(record: dict[str, Any]) -> bool:
    """Whether a recorded request carries a challenge solution (``AntiExtract-Solution``):
    a client's retry of a request it was challenged on."""
    from ..request.challenge import SOLUTION_HEADER

    name = SOLUTION_HEADER.lower()
    return any(str(n).lower() == name for n, _ in record.get("headers") or ())


async def replay_recording(
    recording: Recording, overrides: dict[str, str] | None = None, *, use_env: bool = False
) -> ReplayResult:
    """A file as read (:func:`read_recording`), replayed under its own settings."""
    result = await replay(
        recording.records,
        overrides,
        recorded=recording.settings,
        version=recording.version,
        use_env=use_env,
        skipped=recording.skipped,
    )
    if result.used is not None:
        result.used.notes += recording.notes
    return result


def read_file(path: str, tool: str) -> Recording:
    """A recorder file read for ``tool`` (replay, report): every malformed line said on
    stderr, one line each; ``ReplayError`` (one line) when nothing in it is a record."""
    from ..request.recorder import MAX_LINE_BYTES

    with open(path, "rb") as f:
        recording = read_recording(bounded_lines(f, MAX_LINE_BYTES))
    if not recording.records:
        first = f"; {recording.problems[0]}" if recording.problems else ""
        more = recording.skipped - 1
        raise ReplayError(
            f"{path}: no record to replay{first}"
            + (f" (and {more} more malformed line(s))" if more > 0 else "")
        )
    for problem in recording.problems:
        print(f"antiextract {tool}: {path} {problem}", file=sys.stderr)
    hidden = recording.skipped - len(recording.problems)
    if hidden > 0:
        print(
            f"antiextract {tool}: {path}: {hidden} more malformed line(s) skipped", file=sys.stderr
        )
    return recording


async def _one(mw: Any, record: dict[str, Any]) -> int:
    if "body_b64" in record:
        body = base64.b64decode(record["body_b64"], validate=True)
    else:
        body = str(record.get("body", "")).encode("utf-8", "surrogatepass")
    headers = [
        (str(n).encode("latin-1"), str(v).encode("latin-1", "replace"))
        for n, v in record["headers"]
    ]
    path = record["path"]
    root = record.get("root_path") or ""
    scope = {
        "type": "http",
        "asgi": {"version": "3.0", "spec_version": "2.3"},
        "http_version": "1.1",
        "method": record.get("method") or "POST",
        "scheme": "http",
        "path": root + path,
        "raw_path": (root + path).encode("latin-1", "replace"),
        "root_path": root,
        "query_string": str(record.get("query") or "").encode("latin-1", "replace"),
        "headers": headers,
        "client": (record.get("client") or "127.0.0.1", 0),
        "server": ("replay", 80),
    }
    sent = False

    async def receive() -> dict[str, Any]:
        nonlocal sent
        if sent:
            await asyncio.sleep(0)
            return {"type": "http.disconnect"}
        sent = True
        return {"type": "http.request", "body": body, "more_body": False}

    status = 0

    async def send(message: dict[str, Any]) -> None:
        nonlocal status
        if message["type"] == "http.response.start":
            status = message["status"]

    await mw(scope, receive, send)
    return status


def decision_events(stream: io.StringIO) -> list[dict[str, Any]]:
    """The decision events logged since the last call (the stream is emptied)."""
    text = stream.getvalue()
    stream.seek(0)
    stream.truncate()
    out = []
    for line in text.splitlines():
        try:
            event = json.loads(line)
        except ValueError:
            continue
        if isinstance(event, dict) and event.get("event") == "antiextract.decision":
            out.append(event)
    return out


def _ordered(accounts: Iterable[AccountReplay]) -> list[AccountReplay]:
    severity = {a: i for i, a in enumerate(reversed(ACTIONS))}  # block first

    def key(a: AccountReplay) -> tuple[int, int, str]:
        worst = min((severity[x] for x in ACTIONS if a.actions[x]), default=len(ACTIONS))
        return worst, -a.requests, a.account

    return sorted(accounts, key=key)


def _clock_text(seconds: float) -> str:
    s = int(seconds)
    return f"+{s // 3600:02d}:{s % 3600 // 60:02d}:{s % 60:02d}"


def render(result: ReplayResult) -> str:
    """The replay as the text the command prints."""
    totals = result.totals()
    span = _clock_text(result.end - result.start).lstrip("+")
    lines = [*(result.used.lines() if result.used else [])]
    lines += [
        f"replayed {result.requests:,} requests from {len(result.accounts):,} accounts over "
        f"{span} of recorded time"
        + (
            " with " + ", ".join(f"{k}={v}" for k, v in sorted(result.overrides.items()))
            if result.overrides
            else ""
        )
        + (f"; {result.skipped:,} malformed line(s) skipped" if result.skipped else ""),
        *(
            [
                f"{result.retries:,} recorded challenge-solution retries (requests carrying "
                "AntiExtract-Solution: a client sending a challenged request again) counted as "
                "retries, not replayed as requests: the replay issues its own challenges"
            ]
            if result.retries
            else []
        ),
        "would be: "
        + "  ".join(f"{a} {totals[a]:,}" for a in ("allow", *ACTIONS))
        + "  (requests)",
        "",
    ]
    touched = [a for a in _ordered(result.accounts.values()) if a.touched]
    if not touched:
        lines.append("no account would be throttled, degraded, challenged or blocked")
        return "\n".join(lines) + "\n"
    header = f"{'account':<40} {'reqs':>6} " + " ".join(f"{a:>9}" for a in ACTIONS)
    lines += [header + "  first action, why", "-" * (len(header) + 20)]
    for acc in touched:
        first_action, first_t = min(acc.first.items(), key=lambda x: x[1])
        why = ", ".join(f"{r} x{n}" for r, n in acc.reasons.most_common(3))
        if acc.risk_from:
            why += "; risk from " + ", ".join(r for r, _ in acc.risk_from.most_common(3))
        lines.append(
            f"{acc.account[:40]:<40} {acc.requests:>6} "
            + " ".join(f"{acc.actions[a]:>9}" for a in ACTIONS)
            + f"  {first_action} at {_clock_text(first_t)}; {why}"
            + (f"; campaign {', '.join(sorted(acc.campaigns))}" if acc.campaigns else "")
        )
    untouched = len(result.accounts) - len(touched)
    lines += ["", f"{untouched:,} other accounts: every request allowed"]
    return "\n".join(lines) + "\n"


def _parse_sets(items: list[str]) -> dict[str, str]:
    out = {}
    for item in items:
        name, sep, value = item.partition("=")
        if not sep or not name:
            raise ValueError(f"--set {item!r}: expected NAME=VALUE")
        out[name.strip().lower().removeprefix("antiextract_")] = value
    return out


def command(args: argparse.Namespace) -> int:
    """The ``replay`` command: 0 when the file replayed, 2 when it could not be read."""
    try:
        overrides = _parse_sets(args.set or [])
        recording = read_file(args.file, "replay")
        result = asyncio.run(replay_recording(recording, overrides, use_env=args.use_env))
    except OSError as exc:
        print(f"antiextract replay: {args.file}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    except ValueError as exc:  # ReplayError, SettingsError, a bad --set
        print(f"antiextract replay: {exc}", file=sys.stderr)
        return 2
    if result.used is not None and result.used.source == "shell":  # said on stderr too
        print(f"antiextract replay: {args.file}: {result.used.lines()[0]}", file=sys.stderr)
    if args.json:
        print(json.dumps(result.as_dict(), indent=2))
    else:
        sys.stdout.write(render(result))
    return 0


def add_parser(sub: Any) -> None:
    """Registers ``antiextract replay`` on the CLI's subparsers."""
    p = sub.add_parser(
        "replay",
        help="run recorded traffic (ANTIEXTRACT_RECORD_FILE) through the detector on "
        "simulated time and show who would be throttled, degraded, challenged or blocked",
        # the module's docstring without its reST marks (``x``, :mod:`x`): --help is plain
        description=re.sub(
            r"(?::\w+:)?`+([^`]*)`+", r"\1", (__doc__ or "").split("\n\n", 1)[1].strip()
        ),
    )
    p.add_argument("file", metavar="FILE", help="a file the recorder wrote (JSON lines)")
    p.add_argument(
        "--set",
        action="append",
        metavar="NAME=VALUE",
        help="a setting for this replay, over the recorded ones (e.g. --set degrade_at=2.5); "
        "repeatable",
    )
    p.add_argument(
        "--use-env",
        action="store_true",
        help="let the shell's ANTIEXTRACT_* variables override the recorded settings "
        "(they are reported)",
    )
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=command)


__all__ = [
    "AccountReplay",
    "Recording",
    "ReplayResult",
    "SettingsUsed",
    "add_parser",
    "read_file",
    "read_recording",
    "read_records",
    "record_problem",
    "render",
    "replay",
    "replay_recording",
    "replay_settings",
]
