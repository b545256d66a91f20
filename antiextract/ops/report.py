"""``antiextract report``: one self-contained HTML file about campaigns and actions.

Made from decision events: an audit log (the JSON lines the middleware writes; refusals
and sampled allows) or a replay of recorded traffic (every request, on recorded time).
A campaign is a flagged cohort whose verdict acted on requests (``acted_on``); its
members are the accounts it acted on, each with when it was first seen, first linked,
first acted on for any cause and first acted on by the campaign. Cohorts that only
matched requests are listed apart as linked, observed.
Everything is in the file: CSS inline, charts drawn here as SVG, drill-down with HTML's
own ``<details>``, no script, and a Content-Security-Policy that forbids every fetch, so
opening it reaches no network. Only what ``antiextract evidence`` keeps is read from an
event (ids, digests, numbers, signal names): no prompt text and no key can reach the page,
and every value is escaped.
"""

from __future__ import annotations

import argparse
import asyncio
import html
import math
import re
import sys
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ACTIONS = ("allow", "degrade", "challenge", "throttle", "block")
COLORS = {
    "allow": "#b8c4ce",
    "degrade": "#e9b949",
    "challenge": "#e8853b",
    "throttle": "#4a7fc1",
    "block": "#c8423b",
}
LINKS = {
    "t": "the same prompt template (exact shared parts)",
    "l": "near-identical templates (paraphrases in one LSH band)",
    "n": "one client subnet",
    "c": "one client software fingerprint",
    "p": "a repeated sentence of the prompts' wrappers (a wrapper part, kept as a digest)",
}
CSP = "default-src 'none'; style-src 'unsafe-inline'; img-src data:"


ACTING = ("degrade", "challenge", "block")  # a campaign's weight in the risk can cause these


def acted_on(event: dict[str, Any]) -> bool:
    """Whether the campaign an event carries acted on its request: a degrade, challenge
    or block (decisions its weight in the risk can cause), or a throttle by its shared
    bucket. An allow, or a throttle by the account's own budget or windows, carries the
    matched cohort without it acting: the account is linked to it, not a member."""
    action = event.get("action")
    if action in ACTING:
        return True
    return action == "throttle" and "campaign_budget" in _items(event.get("reasons"))


@dataclass
class Campaign:
    """A flagged cohort as the decisions saw it. ``members``: the accounts it acted on
    (``acted_on``), with when it first did; ``linked``: every account whose requests it
    matched, with when it first did (an honest account sharing a flagged subnet is
    linked, never a member unless the verdict acts on it)."""

    cohort: str
    first: float
    members: dict[str, float] = field(default_factory=dict)  # account -> first acted on
    linked: dict[str, float] = field(default_factory=dict)  # account -> first matched
    actions: Counter[str] = field(default_factory=Counter)
    score: float = 0.0
    accounts: int = 0
    young: int = 0
    harvest: float = 0.0
    ips: set[str] = field(default_factory=set)


@dataclass
class Account:
    account: str
    events: list[dict[str, Any]] = field(default_factory=list)
    actions: Counter[str] = field(default_factory=Counter)
    reasons: Counter[str] = field(default_factory=Counter)
    risk_from: Counter[str] = field(default_factory=Counter)
    signals: Counter[str] = field(default_factory=Counter)
    campaigns: set[str] = field(default_factory=set)  # the campaigns that acted on it
    linked: set[str] = field(default_factory=set)  # flagged cohorts its requests matched
    ips: set[str] = field(default_factory=set)
    max_risk: float = 0.0
    first_seen: float | None = None  # its first decision in the source

    @property
    def worst(self) -> int:
        return max((ACTIONS.index(a) for a in self.actions if a in ACTIONS), default=0)


def events_from_log(lines: Iterable[str]) -> list[dict[str, Any]]:
    """The decision events of an audit log, reduced as ``evidence`` reduces them, with
    ``t`` from their timestamp."""
    return read_log(lines)[0]


def read_log(lines: Iterable[str]) -> tuple[list[dict[str, Any]], int]:
    """``events_from_log``, and how many decision events were skipped as malformed (no
    account id, no timestamp within 1970-9999). Lines that are no decision event (other
    log lines, text) are not counted: an audit log holds them."""
    import json

    from .cli import _epoch, _evidence_record
    from .replay import MAX_T

    out = []
    skipped = 0
    for line in lines:
        start = line.find("{")
        if start < 0:
            continue
        try:
            event = json.loads(line[start:])
        except (ValueError, RecursionError):
            continue
        if not isinstance(event, dict) or event.get("event") != "antiextract.decision":
            continue
        kept = _evidence_record(event)
        t = _epoch(kept.get("timestamp"))
        if 0 <= t <= MAX_T and isinstance(kept.get("account"), str):
            out.append({**kept, "t": t})
        else:
            skipped += 1
    out.sort(key=lambda e: e["t"])
    return out, skipped


def _num(value: Any) -> float:
    """A number of an event, or 0 for anything else (text, NaN, infinities, a bool)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return 0.0
    x = float(value)
    return x if math.isfinite(x) else 0.0


def _items(value: Any) -> list[Any]:
    """A list an event holds (reasons, signals), or nothing when it holds something else."""
    return value if isinstance(value, list) else []


def build(events: list[dict[str, Any]]) -> tuple[dict[str, Campaign], dict[str, Account]]:
    campaigns: dict[str, Campaign] = {}
    accounts: dict[str, Account] = {}
    for e in events:
        who = str(e["account"])
        acc = accounts.get(who) or accounts.setdefault(who, Account(who))
        action = e.get("action") if e.get("action") in ACTIONS else None
        acc.events.append(e)
        if acc.first_seen is None:
            acc.first_seen = e["t"]
        if action:
            acc.actions[action] += 1
        if action and action != "allow":
            acc.reasons.update(str(r) for r in _items(e.get("reasons")))
            acc.risk_from.update(str(r).split("=")[0] for r in _items(e.get("risk_reasons")))
        acc.signals.update(str(s) for s in _items(e.get("signals")))
        if e.get("ip"):
            acc.ips.add(str(e["ip"]))
        acc.max_risk = max(acc.max_risk, _num(e.get("risk")))
        c = e.get("campaign")
        if isinstance(c, dict) and c.get("cohort"):
            key = str(c["cohort"])
            camp = campaigns.get(key) or campaigns.setdefault(key, Campaign(key, e["t"]))
            camp.linked.setdefault(who, e["t"])
            acc.linked.add(key)
            if acted_on(e):
                camp.members.setdefault(who, e["t"])
                acc.campaigns.add(key)
            if action:
                camp.actions[action] += 1
            camp.score = max(camp.score, _num(c.get("score")))
            camp.accounts = max(camp.accounts, int(_num(c.get("accounts"))))
            camp.young = max(camp.young, int(_num(c.get("young"))))
            camp.harvest = max(camp.harvest, _num(c.get("harvest")))
            if e.get("ip"):
                camp.ips.add(str(e["ip"]))
    return campaigns, accounts


# --- drawing ----------------------------------------------------------------------------


def _e(value: Any) -> str:
    return html.escape(str(value), quote=True)


def _when(t: float) -> str:
    """A log line is text anyone could have written: a time no date can hold is shown as
    such, not a crash of the whole report."""
    try:
        return datetime.fromtimestamp(t, UTC).strftime("%Y-%m-%d %H:%M:%S")
    except (OverflowError, OSError, ValueError):
        return f"(no date: {t!r})"


def timeline_svg(events: list[dict[str, Any]], start: float, end: float, width: int = 960) -> str:
    """Decisions over time, stacked by action, in up to 60 columns."""
    height, pad = 180, 30
    span = max(end - start, 1.0)
    columns = 60
    step = span / columns
    counts = [Counter() for _ in range(columns)]  # type: list[Counter[str]]
    for e in events:
        i = min(int((e["t"] - start) / step), columns - 1)
        if e.get("action") in ACTIONS:
            counts[i][e["action"]] += 1
    top = max((sum(c.values()) for c in counts), default=0) or 1
    w = (width - 2 * pad) / columns
    parts = [
        f'<svg class="chart" id="timeline" role="img" width="{width}" height="{height + 40}" '
        f'viewBox="0 0 {width} {height + 40}" xmlns="http://www.w3.org/2000/svg">',
        f"<title>Decisions over time by action (max {top} per column)</title>",
        f'<line x1="{pad}" y1="{height}" x2="{width - pad}" y2="{height}" stroke="#555"/>',
    ]
    for i, c in enumerate(counts):
        y = float(height)
        for action in ACTIONS:
            n = c[action]
            if not n:
                continue
            h = (height - 10) * n / top
            y -= h
            parts.append(
                f'<rect class="bar {action}" x="{pad + i * w:.1f}" y="{y:.1f}" '
                f'width="{max(w - 1, 1):.1f}" height="{h:.1f}" fill="{COLORS[action]}">'
                f"<title>{_e(_when(start + i * step))}: {n} {action}</title></rect>"
            )
    parts.append(
        f'<text x="{pad}" y="{height + 16}" font-size="11">{_e(_when(start))}</text>'
        f'<text x="{width - pad}" y="{height + 16}" font-size="11" text-anchor="end">'
        f"{_e(_when(end))}</text>"
    )
    x = pad
    for action in ACTIONS:
        parts.append(
            f'<rect x="{x}" y="{height + 24}" width="10" height="10" fill="{COLORS[action]}"/>'
            f'<text x="{x + 14}" y="{height + 33}" font-size="11">{action}</text>'
        )
        x += 90
    parts.append("</svg>")
    return "".join(parts)


def members_svg(
    camp: Campaign, accounts: dict[str, Account], start: float, end: float, width: int = 600
) -> str:
    """A campaign's members over time: how many had arrived (their first decision in the
    source, the red step line) and how many it had acted on (the dark one)."""
    height, pad = 120, 30
    span = max(end - start, 1.0)
    arrived = sorted(_first_seen(accounts, a, t) for a, t in camp.members.items())
    acted = sorted(camp.members.values())
    n = len(arrived) or 1

    def steps(times: list[float]) -> str:
        points = [f"{pad},{height}"]
        for i, t in enumerate(times, 1):
            x = pad + (width - 2 * pad) * (t - start) / span
            points.append(f"{x:.1f},{height - (height - 10) * (i - 1) / n:.1f}")
            points.append(f"{x:.1f},{height - (height - 10) * i / n:.1f}")
        last = height - (height - 10) * len(times) / n
        points.append(f"{width - pad},{last:.1f}")
        return " ".join(points)

    return (
        f'<svg class="chart members" role="img" width="{width}" height="{height + 20}" '
        f'viewBox="0 0 {width} {height + 20}" xmlns="http://www.w3.org/2000/svg">'
        f"<title>Members of {_e(camp.cohort)}: arrived (first seen, red) and acted on "
        "(dark) over time</title>"
        f'<polyline class="arrived" fill="none" stroke="#c8423b" stroke-width="2" '
        f'points="{steps(arrived)}"/>'
        f'<polyline class="acted" fill="none" stroke="#1d2733" stroke-width="2" '
        f'stroke-dasharray="4 3" points="{steps(acted)}"/>'
        f'<text x="{pad}" y="{height + 14}" font-size="11">{len(arrived)} members; first '
        f"arrived {_e(_when(arrived[0]) if arrived else '-')}, first campaign action "
        f"{_e(_when(acted[0]) if acted else '-')}</text></svg>"
    )


def _first_action(accounts: dict[str, Account], account: str, default: float) -> float:
    """When the account was first degraded, challenged, throttled or blocked, for any
    cause (its own risk too); ``default`` when the source holds no such decision."""
    acc = accounts.get(account)
    times = [e["t"] for e in acc.events if e.get("action") in ACTIONS[1:]] if acc else []
    return min(times, default=default)


def _campaign_firsts(acc: Account, by_cohort: dict[str, Campaign]) -> str:
    """``t:ab (first campaign action 08:30:35), ...``: each campaign that acted on it."""
    parts = []
    for cohort in sorted(acc.campaigns):
        camp = by_cohort.get(cohort)
        when = camp.members.get(acc.account) if camp is not None else None
        parts.append(cohort + (f" (first campaign action {_when(when)})" if when else ""))
    return ", ".join(parts) or "-"


def _first_seen(accounts: dict[str, Account], account: str, default: float) -> float:
    acc = accounts.get(account)
    return acc.first_seen if acc is not None and acc.first_seen is not None else default


def bars_svg(counts: Counter[str], title: str, width: int = 600) -> str:
    """Horizontal bars of the largest counts."""
    items = counts.most_common(10)
    row = 22
    height = row * len(items) + 10
    top = max((n for _, n in items), default=1)
    parts = [
        f'<svg class="chart bars" role="img" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" xmlns="http://www.w3.org/2000/svg">'
        f"<title>{_e(title)}</title>"
    ]
    for i, (label, n) in enumerate(items):
        w = (width - 320) * n / top
        y = 5 + i * row
        parts.append(
            f'<text x="0" y="{y + 14}" font-size="12">{_e(label[:36])}</text>'
            f'<rect x="240" y="{y}" width="{w:.1f}" height="{row - 6}" fill="#4a7fc1"/>'
            f'<text x="{245 + w:.1f}" y="{y + 14}" font-size="12">{n}</text>'
        )
    parts.append("</svg>")
    return "".join(parts)


def strip_svg(acc: Account, start: float, end: float, width: int = 600) -> str:
    """One account's decisions as ticks on the time axis, coloured by action."""
    span = max(end - start, 1.0)
    ticks = "".join(
        f'<rect x="{(width - 4) * (e["t"] - start) / span:.1f}" y="4" width="2" height="22" '
        f'fill="{COLORS.get(str(e.get("action")), "#999")}"/>'
        for e in acc.events
    )
    return (
        f'<svg class="chart strip" role="img" width="{width}" height="30" '
        f'viewBox="0 0 {width} 30" xmlns="http://www.w3.org/2000/svg">'
        f"<title>Decisions for {_e(acc.account)} over time</title>{ticks}</svg>"
    )


STYLE = """
body{font:14px/1.45 system-ui,sans-serif;margin:24px auto;max-width:1000px;color:#1d2733}
h1{font-size:22px}h2{font-size:18px;margin-top:32px;border-bottom:1px solid #ddd}
table{border-collapse:collapse;width:100%;margin:8px 0}
td,th{padding:4px 8px;border-bottom:1px solid #eee;text-align:left;vertical-align:top}
th{background:#f4f6f8}code{font-size:12px}.num{text-align:right}
details{margin:6px 0;padding:4px 8px;border:1px solid #e3e7eb;border-radius:4px}
summary{cursor:pointer;font-weight:600}.muted{color:#667}
.pill{display:inline-block;padding:0 6px;border-radius:8px;color:#fff;font-size:12px}
"""


def _pill(action: str, n: int) -> str:
    return f'<span class="pill" style="background:{COLORS[action]}">{action} {n}</span>'


def render(events: list[dict[str, Any]], source: str, note: str = "") -> str:
    """The report as one HTML document."""
    campaigns, accounts = build(events)
    start = events[0]["t"] if events else 0.0
    end = events[-1]["t"] if events else 0.0
    totals: Counter[str] = Counter()
    reasons: Counter[str] = Counter()
    for acc in accounts.values():
        totals.update(acc.actions)
        reasons.update(acc.reasons)
    touched = sorted(
        (a for a in accounts.values() if a.worst > 0),
        key=lambda a: (-a.worst, -len(a.events), a.account),
    )
    ordered = sorted(campaigns.values(), key=lambda c: (-c.score, c.first, c.cohort))
    acting = [c for c in ordered if c.members]
    observed = [c for c in ordered if not c.members]
    by_cohort = {c.cohort: c for c in ordered}
    out = [
        "<!DOCTYPE html><html lang='en'><head><meta charset='utf-8'>",
        f'<meta http-equiv="Content-Security-Policy" content="{CSP}">',
        "<title>antiextract report</title>",
        f"<style>{STYLE}</style></head><body>",
        "<h1>antiextract report</h1>",
        f"<p class='muted'>From {_e(source)}{(': ' + _e(note)) if note else ''}. "
        f"{len(events):,} decisions, {len(accounts):,} accounts, "
        f"{_e(_when(start))} to {_e(_when(end))} UTC.</p>",
        "<p>" + " ".join(_pill(a, totals[a]) for a in ACTIONS) + "</p>",
        "<h2>Timeline</h2>",
        timeline_svg(events, start, end),
        _surge_line(events),
        f"<h2>Campaigns acting on accounts ({len(acting)})</h2>",
        "<p class='muted'>A campaign is a flagged cohort whose verdict acted on requests: "
        "degraded, challenged or blocked them (its weight in the risk), or throttled them "
        "by its shared budget. Its members are the accounts it acted on; accounts whose "
        "requests it only matched (an honest user on a shared subnet) are listed apart, as "
        "linked.</p>",
    ]
    if not acting:
        out.append("<p>No campaign verdict acted on any request in this source.</p>")
    for camp in acting:
        kind = LINKS.get(camp.cohort.split(":", 1)[0], "a shared trait")
        subnets = sorted({_subnet(ip) for ip in camp.ips})
        rows = "".join(
            f"<tr><td><a href='#acct-{_anchor(a)}'><code>{_e(a)}</code></a></td>"
            f"<td>{_e(_when(_first_seen(accounts, a, t)))}</td>"
            f"<td>{_e(_when(camp.linked.get(a, t)))}</td>"
            f"<td>{_e(_when(_first_action(accounts, a, t)))}</td><td>{_e(_when(t))}</td></tr>"
            for a, t in sorted(
                camp.members.items(), key=lambda x: (_first_seen(accounts, *x), x[0])
            )
        )
        only = sorted(set(camp.linked) - set(camp.members))
        linked = (
            f"<p>Also linked, not acted on ({len(only)} accounts, not members): "
            + ", ".join(f"<code>{_e(a)}</code>" for a in only[:20])
            + (" …" if len(only) > 20 else "")
            + "</p>"
            if only
            else ""
        )
        out.append(
            f"<details class='campaign' open><summary>Campaign <code>{_e(camp.cohort)}</code>: "
            f"{len(camp.members)} members, score {camp.score:.2f}</summary>"
            f"<p>Tied by {_e(kind)}. Flagged on requests from {_e(_when(camp.first))}; the "
            f"store counted {camp.accounts} accounts, {camp.young} young, harvest share "
            f"{camp.harvest:.2f}. Subnets: {_e(', '.join(subnets[:12]) or '-')}.</p>"
            "<p>"
            + " ".join(_pill(a, camp.actions[a]) for a in ACTIONS if camp.actions[a])
            + "</p>"
            + members_svg(camp, accounts, start, end)
            + "<details><summary>Members</summary><table class='members'><tr><th>account</th>"
            "<th>first seen</th><th>linked (first matched)</th><th>first action (any)</th>"
            "<th>first campaign action</th></tr>"
            + rows
            + "</table><p class='muted'>First action (any): the account's first degrade, "
            "challenge, throttle or block for whatever cause (its own risk too, perhaps "
            "before the campaign was flagged); first campaign action: the first this "
            "campaign's verdict acted on it.</p></details>" + linked + "</details>"
        )
    out.append(f"<h2>Linked cohorts, observed only ({len(observed)})</h2>")
    if not observed:
        out.append("<p>None: every flagged cohort seen here acted on its members.</p>")
    else:
        out.append(
            "<p class='muted'>Flagged cohorts whose verdicts matched requests here without "
            "acting on any: the accounts are linked to them, not members of a campaign.</p>"
            "<table class='observed'><tr><th>cohort</th><th>tied by</th>"
            "<th class='num'>linked accounts</th><th class='num'>decisions</th>"
            "<th>first matched</th></tr>"
        )
        for camp in observed:
            kind = LINKS.get(camp.cohort.split(":", 1)[0], "a shared trait")
            out.append(
                f"<tr><td><code>{_e(camp.cohort)}</code></td><td>{_e(kind)}</td>"
                f"<td class='num'>{len(camp.linked)}</td>"
                f"<td class='num'>{sum(camp.actions.values())}</td>"
                f"<td>{_e(_when(camp.first))}</td></tr>"
            )
        out.append("</table>")
    out += ["<h2>Top reasons</h2>"]
    out.append(bars_svg(reasons, "Reasons of non-allow decisions") if reasons else "<p>None.</p>")
    out.append(f"<h2>Accounts acted on ({len(touched)})</h2>")
    out.append(
        "<table><tr><th>account</th><th class='num'>decisions</th>"
        + "".join(f"<th class='num'>{a}</th>" for a in ACTIONS[1:])
        + "<th class='num'>max risk</th></tr>"
    )
    for acc in touched:
        out.append(
            f"<tr><td><a href='#acct-{_anchor(acc.account)}'><code>{_e(acc.account)}</code></a>"
            f"</td><td class='num'>{len(acc.events)}</td>"
            + "".join(f"<td class='num'>{acc.actions[a]}</td>" for a in ACTIONS[1:])
            + f"<td class='num'>{acc.max_risk:.2f}</td></tr>"
        )
    out.append("</table>")
    for acc in touched:
        first = {a: min(e["t"] for e in acc.events if e.get("action") == a)
                 for a in ACTIONS[1:] if acc.actions[a]}  # fmt: skip
        firsts = ", ".join(f"{a} {_when(t)}" for a, t in sorted(first.items(), key=lambda x: x[1]))
        out.append(
            f"<details class='account' id='acct-{_anchor(acc.account)}'><summary>"
            f"<code>{_e(acc.account)}</code></summary>"
            + strip_svg(acc, start, end)
            + f"<p>First action of each kind (any cause): {_e(firsts)}.</p>"
            f"<p>Reasons: {_e(_top(acc.reasons))}. Risk from: {_e(_top(acc.risk_from))}. "
            f"Signals: {_e(_top(acc.signals))}.</p>"
            f"<p>First seen {_e(_when(acc.first_seen or start))}. Acted on by campaigns: "
            f"{_e(_campaign_firsts(acc, by_cohort))}. Linked, not acted on: "
            f"{_e(', '.join(sorted(acc.linked - acc.campaigns)) or '-')}. "
            f"Addresses: {_e(', '.join(sorted(acc.ips)[:8]) or '-')}.</p></details>"
        )
    out.append(
        "<p class='muted'>Made by <code>antiextract report</code>. Only ids, digests, "
        "numbers and signal names are read from the events; no prompt text or key.</p>"
        "</body></html>"
    )
    return "\n".join(out)


def _surge_line(events: list[dict[str, Any]]) -> str:
    """How many decisions a population surge weighed on (the audit event's ``surge``),
    since when and against what baseline: a surge says *that* a campaign runs."""
    hits = [e["surge"] for e in events if isinstance(e.get("surge"), dict)]
    if not hits:
        return "<p class='muted'>No population surge weighed on any decision.</p>"
    first = min(hits, key=lambda h: _num(h.get("since")))
    peak = max(hits, key=lambda h: _num(h.get("young_harvest")))
    acted = sum(1 for e in events if isinstance(e.get("surge"), dict) and e.get("action") in ACTING)
    return (
        f"<p>A surge of young accounts asking for reasoning on coding tasks weighed on "
        f"{len(hits):,} decisions ({acted:,} degraded, challenged or blocked), the first "
        f"surge since {_e(_when(_num(first.get('since'))))} UTC; at its peak "
        f"{int(_num(peak.get('young_harvest'))):,} such accounts in an hour against "
        f"{_num(peak.get('expected')):.1f} expected from the trailing baseline.</p>"
    )


def _top(counter: Counter[str], n: int = 4) -> str:
    return ", ".join(f"{k} ({v})" for k, v in counter.most_common(n)) or "-"


def _anchor(account: str) -> str:
    return "".join(ch if ch.isalnum() else "-" for ch in account)


def _subnet(ip: str) -> str:
    if ":" in ip:
        return ip  # IPv6 is counted per /64 already
    parts = ip.split(".")
    return ".".join(parts[:3]) + ".0/24" if len(parts) == 4 else ip


def command(args: argparse.Namespace) -> int:
    """The ``report`` command: 0 when written, 2 when a source could not be read."""
    if (args.log is None) == (args.replay is None):
        print("antiextract report: give one of --log FILE or --replay FILE", file=sys.stderr)
        return 2
    try:
        if args.log is not None:
            with open(args.log, encoding="utf-8", errors="replace") as f:
                events, skipped = read_log(f)
            source, note = f"the audit log {args.log}", ""
            if skipped:
                note = f"{skipped:,} malformed decision event(s) skipped"
                print(f"antiextract report: {args.log}: {note}", file=sys.stderr)
        else:
            from . import replay

            overrides = replay._parse_sets(args.set or [])
            recording = replay.read_file(args.replay, "report")
            result = asyncio.run(
                replay.replay_recording(recording, overrides, use_env=args.use_env)
            )
            events = result.events
            source = f"a replay of {args.replay}"
            note = "; ".join(result.used.lines() if result.used else [])
            if result.skipped:
                note += f"; {result.skipped:,} malformed line(s) skipped"
    except OSError as exc:
        print(f"antiextract report: {exc.filename}: {exc.strerror or exc}", file=sys.stderr)
        return 2
    except ValueError as exc:
        print(f"antiextract report: {exc}", file=sys.stderr)
        return 2
    out = Path(args.out)
    out.write_text(render(events, source, note), encoding="utf-8")
    print(f"wrote {out} ({len(events):,} decisions); open it in a browser (no network needed)")
    return 0


def add_parser(sub: Any) -> None:
    """Registers ``antiextract report`` on the CLI's subparsers."""
    p = sub.add_parser(
        "report",
        help="write a self-contained HTML report of campaigns, actions and reasons",
        description=re.sub(r"``([^`]*)``", r"\1", (__doc__ or "").split("\n\n", 1)[1].strip()),
    )
    p.add_argument("--log", metavar="FILE", help="an audit log (JSON lines)")
    p.add_argument("--replay", metavar="FILE", help="a recorder file, replayed first")
    p.add_argument("--set", action="append", metavar="NAME=VALUE", help="with --replay")
    p.add_argument(
        "--use-env",
        action="store_true",
        help="with --replay: the shell's ANTIEXTRACT_* variables over the recorded settings",
    )
    p.add_argument(
        "--out",
        default="antiextract-report.html",
        metavar="FILE",
        help="where to write the HTML file (default: antiextract-report.html)",
    )
    p.set_defaults(func=command)


__all__ = ["add_parser", "build", "events_from_log", "render"]
