"""``antiextract replay FILE``: recorded traffic through the detector, on simulated time.

The file is what the recorder writes (``ANTIEXTRACT_RECORD_FILE``; schema in
:mod:`antiextract.request.recorder`). Each line becomes the same ASGI request again, at the
time it was recorded, into a fresh middleware on the embedded store whose clock is the
recording's: an hour of traffic replays in seconds, and every window, bucket, risk level
and campaign sees the time it would have seen. The settings are the ``ANTIEXTRACT_*``
environment plus ``--set NAME=VALUE`` overrides, validated as the server validates them,
so thresholds can be tried on the operator's own traffic before they enforce anything.

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
import io
import json
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


class ReplayError(ValueError):
    """A line of the file that is not a record (named by its line number)."""


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

    @property
    def touched(self) -> bool:
        return any(self.actions[a] for a in ACTIONS)

    def as_dict(self) -> dict[str, Any]:
        return {
            "account": self.account,
            "requests": self.requests,
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
            "totals": dict(self.totals()),
            "statuses": {str(k): v for k, v in sorted(self.statuses.items())},
            "accounts": [a.as_dict() for a in _ordered(self.accounts.values())],
        }


def read_records(lines: Iterable[bytes | str]) -> Iterator[dict[str, Any]]:
    """The records of a recorder file, in file order; blank lines skipped."""
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            record = orjson.loads(line)
        except orjson.JSONDecodeError as exc:
            raise ReplayError(f"line {number}: not JSON ({exc})") from None
        if not isinstance(record, dict) or record.get("v") != 1:
            raise ReplayError(f"line {number}: not a version-1 record")
        for key, kind in (("t", (int, float)), ("path", str), ("headers", list)):
            if not isinstance(record.get(key), kind):
                raise ReplayError(f"line {number}: '{key}' missing or of the wrong type")
        yield record


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


async def replay(
    records: Iterable[dict[str, Any]], overrides: dict[str, str] | None = None
) -> ReplayResult:
    """Run ``records`` through a fresh middleware (embedded store, simulated time)."""
    from ..request.middleware import AntiExtractMiddleware  # the CLI starts without it
    from .cli import _evidence_record

    overrides = dict(overrides or {})
    forced = {
        "storage_uri": "memory://",
        "mode": "enforce",
        "audit_sample_rate": 1.0,
        "tarpit_max_seconds": 0.0,
        "record_file": None,
        "metrics_port": None,
    }
    settings = load_settings(**{**overrides, **forced})
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
    count = 0
    for record in records:
        t = float(record["t"])
        start = t if start is None else start
        end = t
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
    return ReplayResult(count, start or 0.0, end or 0.0, accounts, statuses, overrides, kept)


async def _one(mw: Any, record: dict[str, Any]) -> int:
    if "body_b64" in record:
        body = base64.b64decode(record["body_b64"])
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
    lines = [
        f"replayed {result.requests:,} requests from {len(result.accounts):,} accounts over "
        f"{span} of recorded time"
        + (
            " with " + ", ".join(f"{k}={v}" for k, v in sorted(result.overrides.items()))
            if result.overrides
            else ""
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
        with open(args.file, "rb") as f:
            records = list(read_records(f))
    except (OSError, ValueError) as exc:
        print(f"antiextract replay: {args.file}: {exc}", file=sys.stderr)
        return 2
    result = asyncio.run(replay(records, overrides))
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
        description=(__doc__ or "").split("\n\n", 1)[1].strip(),
    )
    p.add_argument("file", metavar="FILE", help="a file the recorder wrote (JSON lines)")
    p.add_argument(
        "--set",
        action="append",
        metavar="NAME=VALUE",
        help="a setting for this replay, over ANTIEXTRACT_* (e.g. --set degrade_at=2.5); "
        "repeatable",
    )
    p.add_argument("--json", action="store_true", help="machine-readable output")
    p.set_defaults(func=command)


__all__ = ["AccountReplay", "ReplayResult", "add_parser", "read_records", "render", "replay"]
