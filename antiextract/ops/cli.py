"""The ``antiextract`` command: demo and operator tools, configured like the middleware.

Operator commands (``inspect``, ``reset``, ``block``, ``unblock``, ``allow``,
``campaigns``) read and write the store named by ``ANTIEXTRACT_STORAGE_URI``, under
``ANTIEXTRACT_KEY_PREFIX``, mapping account ids to store keys with ``ANTIEXTRACT_SECRET``
exactly as the middleware does. ``evidence`` reads an audit log and needs no store.
Exit status: 0 done, 1 nothing stored for the account or cohort asked about (inspect, evidence;
an empty list, as `campaigns` with none, is 0), 2 an error (bad configuration, unreachable store,
unreadable file).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import dataclasses
import json
import os
import sys
import time
from collections import Counter
from collections.abc import Awaitable, Callable, Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from pydantic import SecretStr

from ..model.evidence import EvidenceModel
from ..model.surge import SurgeModel
from ..redact import mask_uri, redact
from ..settings import Settings, SettingsError, load_settings
from . import replay, report

EXIT_NOT_FOUND = 1
EXIT_ERROR = 2

ACCOUNT_PREFIXES = ("key:", "hdr:", "ip:")
COHORT_KINDS = {"t": "template", "l": "band", "n": "subnet", "c": "client", "p": "part"}

MEMORY_STORE = (
    "ANTIEXTRACT_STORAGE_URI is memory://: the embedded store lives inside each serving "
    "process, so there is nothing to inspect or change from outside one. Point "
    "ANTIEXTRACT_STORAGE_URI at the Redis the middleware uses (redis://host:port/db)."
)

# What an evidence record may carry: ids, digests, numbers and signal names, never text.
EVIDENCE_KEYS = (
    "timestamp", "event", "level", "account", "account_source", "ip", "api", "action",
    "enforced", "reasons", "risk", "risk_reasons", "challenge", "campaign", "signals",
    "limit", "retry_after", "cost", "settled", "tokens", "capacity", "status", "odd",
    "elapsed_us", "surge",
)  # fmt: skip
EVIDENCE_CAMPAIGN_KEYS = ("cohort", "score", "accounts", "young", "harvest")
# the surge that weighed on a decision (protected._surge_evidence): numbers only
EVIDENCE_SURGE_KEYS = ("added", "since", "hour", "young_harvest", "expected", "accounts")


class CliError(Exception):
    """An error the operator can act on, shown as one line (exit status 2)."""


def _config(args: argparse.Namespace) -> int:
    settings = load_settings()
    data = effective_config(settings)
    if args.json:
        print(json.dumps(data, indent=2))
    else:
        width = max(len(k) for k in data)
        for key, value in data.items():
            if value is None:
                shown: object = "(unset)"
            elif value == "":
                shown = "(none)"
            elif isinstance(value, dict):
                shown = json.dumps(value)
            else:
                shown = value
            print(f"{key.ljust(width)}  {shown}")
    return 0


def effective_config(settings: Settings) -> dict[str, object]:
    """Every setting as its environment variable, secrets and passwords masked."""
    out: dict[str, object] = {}
    secrets = settings.secret_texts()
    for name in type(settings).model_fields:
        value = getattr(settings, name)
        if isinstance(value, SecretStr):
            value = "<set>"
        elif isinstance(value, tuple) and value and isinstance(value[0], SecretStr):
            value = f"<{len(value)} set>"
        elif name == "storage_uri":
            value = mask_uri(str(value))
        elif isinstance(value, tuple):
            value = ",".join(str(v) for v in value)
        if isinstance(value, str):  # any other URI a value holds (VERIFICATION_URL, ...)
            value = redact(value, secrets)
        out["ANTIEXTRACT_" + name.upper()] = value
    return out


def _demo(args: argparse.Namespace) -> int:
    if args.simulate:
        return _simulate(args.simulate)
    if args.flood:
        from .demo import main as demo_main

        return demo_main(duration=args.seconds)
    from .story import main as story_main

    return story_main()


def _simulate(days: int) -> int:
    """The campaign simulation (benchmarks/simulate.py) on simulated days, on the store
    ANTIEXTRACT_STORAGE_URI names, printed as a table of what each population got."""
    from .demo import load_file

    module = load_file(BENCHMARKS / "simulate.py", "antiextract_simulate")
    uri = load_settings().storage_uri
    print(f"simulating {days} day(s) of traffic on {uri.split('://')[0]} ...", file=sys.stderr)
    result = asyncio.run(module.run(uri, days, 0.5, 7, True))
    print(module.markdown(result))
    return 0


def _worker(args: argparse.Namespace) -> int:
    import logging

    from ..model.cohorts import CohortModel
    from ..request.middleware import limits_from
    from ..store import StoreError
    from ..store.redis import RedisStore
    from .worker import run_worker

    settings = load_settings()
    if settings.storage_uri.lower().startswith("memory://"):
        raise CliError(
            "ANTIEXTRACT_STORAGE_URI is memory://: the memory store's analyser runs inside "
            "each serving process; a worker needs the Redis the middleware uses"
        )
    if settings.intel == "off":
        raise CliError("ANTIEXTRACT_INTEL=off: the intelligence plane is off, nothing to analyse")
    logging.basicConfig(
        level=getattr(logging, settings.log_level.upper()), format="%(asctime)s %(message)s"
    )
    uri = mask_uri(settings.storage_uri)

    async def main() -> int:
        try:
            store = RedisStore.from_url(
                settings.storage_uri,
                limits_from(settings),
                prefix=settings.key_prefix,
                timeout=max(settings.store_timeout, 3.0),  # off the hot path: bigger batches
                cohort_model=CohortModel(**settings.campaign_model),
            )
        except ValueError as exc:
            reason = redact(str(exc), settings.secret_texts())
            raise CliError(f"ANTIEXTRACT_STORAGE_URI={uri} is not usable: {reason}") from None
        metrics = listener = None
        if settings.metrics_port is not None:  # lag, records analysed, verdicts
            from ..metrics import Metrics, MetricsListener

            metrics = Metrics()
            listener = MetricsListener(
                metrics.registry, settings.metrics_port, settings.metrics_host
            )
            try:
                listener.start()
            except OSError as exc:
                raise CliError(
                    f"ANTIEXTRACT_METRICS_PORT={settings.metrics_port}: cannot listen on "
                    f"{settings.metrics_host}: {exc}"
                ) from None
        try:
            await run_worker(
                store,
                consumer=args.consumer,
                verdict_ttl=settings.verdict_ttl,
                idle_seconds=settings.flush_ms / 1000,
                refresh_seconds=settings.verdict_refresh_ms / 1000,
                metrics=metrics,
                evidence_model=EvidenceModel(**settings.evidence_model),
                surge_model=SurgeModel(**settings.surge_model),
            )
        finally:
            if listener is not None:
                listener.stop()
            with contextlib.suppress(StoreError, OSError):
                await store.close()
        return 0

    return asyncio.run(main())


def _proxy(args: argparse.Namespace) -> int:
    from .proxy import run_proxy

    run_proxy(
        args.upstream,
        host=args.host,
        port=args.port,
        timeout=args.timeout,
        max_connections=args.max_connections,
        log_level=args.log_level,
    )
    return 0


# --- the store, as the middleware sees it ------------------------------------------------


class _Ops:
    """What the operator commands share: settings, the store, the account-id mapping."""

    def __init__(self, settings: Settings) -> None:
        from ..model.cohorts import CohortModel
        from ..model.risk import RiskModel
        from ..request.identity import hash_key
        from ..request.middleware import limits_from
        from ..store.redis import RedisStore

        self.settings = s = settings
        self.limits = limits_from(s)
        self.model = RiskModel(**s.risk_model)
        self.hash_key = hash_key(s.secret.get_secret_value().encode() if s.secret else None)
        # an operator can wait longer than the hot path's budget, but not forever
        self.store = RedisStore.from_url(
            s.storage_uri,
            self.limits,
            prefix=s.key_prefix,
            timeout=max(s.store_timeout, 3.0),
            model=self.model,
            cohort_model=CohortModel(**s.campaign_model),
        )

    def store_key(self, account: str) -> str:
        """The middleware's ``_store_key(ident.account, 16)``."""
        from ..request.identity import digest

        return digest(account, self.hash_key, 16)

    async def close(self) -> None:
        with contextlib.suppress(Exception):  # closing a broken connection may fail too
            await self.store.close()


def _with_store(
    body: Callable[[argparse.Namespace, _Ops, float], Awaitable[int]],
) -> Callable[[argparse.Namespace], int]:
    """Run an operator command against the configured store, turning every way the store
    can fail into one line on stderr and exit status 2."""

    def run(args: argparse.Namespace) -> int:
        from redis.exceptions import AuthenticationError, RedisError
        from redis.exceptions import ConnectionError as RedisConnectionError
        from redis.exceptions import TimeoutError as RedisTimeoutError

        from ..store import StoreError

        if getattr(args, "account", None) is not None:
            _check_account(args.account)
        settings = load_settings()
        if settings.storage_uri.lower().startswith("memory://"):
            raise CliError(MEMORY_STORE)
        uri = mask_uri(settings.storage_uri)
        secrets = settings.secret_texts()

        async def main() -> int:
            try:
                ops = _Ops(settings)
            except ValueError as exc:  # a URI redis-py cannot parse (port, db, options)
                reason = redact(str(exc), secrets)
                raise CliError(f"ANTIEXTRACT_STORAGE_URI={uri} is not usable: {reason}") from None
            try:
                return await body(args, ops, time.time())
            finally:
                await ops.close()

        try:
            return asyncio.run(main())
        except BrokenPipeError:
            raise  # the reader of our output went away (`| head`): not the store's fault
        except AuthenticationError as exc:
            reason = redact(str(exc), secrets)
            raise CliError(f"the store at {uri} refused the credentials: {reason}") from None
        except (StoreError, RedisError, OSError, TimeoutError) as exc:
            cause = exc.__cause__ if isinstance(exc, StoreError) and exc.__cause__ else exc
            reason = redact(str(exc).strip(), secrets) or type(exc).__name__
            if isinstance(cause, RedisConnectionError | RedisTimeoutError | OSError | TimeoutError):
                raise CliError(
                    f"cannot reach the store at {uri}: {reason} "
                    "(is Redis up, and is ANTIEXTRACT_STORAGE_URI the one the middleware uses?)"
                ) from None
            raise CliError(f"the store at {uri} answered with an error: {reason}") from None

    return run


def _check_account(account: str) -> None:
    """Every id the middleware gives starts with one of ``ACCOUNT_PREFIXES``; anything else
    (a raw API key, a store key) can never match an account, so it is refused."""
    if not account.startswith(ACCOUNT_PREFIXES) or len(account) <= len("ip:"):
        raise CliError(
            f"{account!r} is not an account id: write it as the audit log's `account` field "
            "shows it: key:<hex> (a hashed API key), hdr:<value> or ip:<address>"
        )


# --- inspect -----------------------------------------------------------------------------


async def account_report(ops: _Ops, account: str, now: float) -> dict[str, Any] | None:
    """Everything stored for an account, with its risk re-assessed from the stored profile
    (None when nothing is stored)."""
    from ..model.bucket import roll
    from ..model.risk import DAY, TRAITS, Profile, RiskInput, assess, decayed, reasons

    key = ops.store_key(account)
    state = await ops.store.account_state(key, now)
    if state is None:
        return None
    limits, s = ops.limits, ops.settings
    by_seconds = {w.seconds: w for w in limits.account}
    windows = []
    for name, (start, cur, prev) in sorted(state["windows"].items(), key=lambda kv: int(kv[0][1:])):
        seconds = int(name[1:])
        idx = int(now // seconds)
        cur, prev = roll(int(start), int(cur), int(prev), idx)
        frac = (now - idx * seconds) / seconds
        limit = by_seconds.get(seconds)
        windows.append(
            {
                "limit": limit.name if limit else f"account-per-{seconds}s (no longer set)",
                "seconds": seconds,
                "amount": limit.amount if limit else None,
                "count": round(prev * (1 - frac) + cur, 2),
                "current": cur,
                "previous": prev,
            }
        )
    profile_out = risk_out = None
    stored = state["profile"]
    if stored:
        fields = {}
        for name in Profile.__slots__:
            value = stored.get(name)
            if value is not None or name in ("first_seen", "last_seen", "acute_ts"):
                fields[name] = value
        p = Profile(**fields)
        # the trusted creation time and tier its last request carried (stored with the
        # profile): the youth the request plane computed, not one counted from first seen
        a = assess(p, RiskInput(created_at=p.created, tier=p.tier), now, ops.model)
        day = datetime.fromtimestamp(p.hours_day * DAY, UTC).date().isoformat()
        profile_out = {
            "first_seen": p.first_seen,
            "created": p.created,  # the auth layer's trusted creation time, when sent
            "tier": p.tier,
            "last_seen": p.last_seen,
            "age_seconds": a.age,
            "shares": dict(zip(TRAITS, a.shares, strict=True)),
            "day_count": p.day_count,
            "day": day if p.hours_day >= 0 else None,
            "acute": decayed(p.acute, p.acute_ts, now, ops.model),
            "gap_mean_seconds": p.gap_mean,
            "gaps": p.gaps,
            "active_hours": (p.hours_cur | p.hours_prev).bit_count(),
            "dominant_template": f"t:{p.dominant}" if p.dominant else None,
        }
        risk_out = {
            "risk": a.risk,
            "youth": a.youth,
            "level": _level(a.risk, s),
            "reasons": list(reasons(a, ops.model)),
            "policy": await _policy_risk(
                ops, key, a.risk, a.youth, p.dominant, now, min(a.shares[0], a.shares[1])
            ),
        }
    until = state["blocked_until"]
    return {
        "account": account,
        "store_key": key,
        "now": now,
        "bucket": {
            "tokens": limits.capacity if state["tokens"] is None else state["tokens"],
            "capacity": limits.capacity,
            "refill_per_second": limits.refill,
            "updated": state["updated"],
        },
        "windows": windows,
        "profile": profile_out,
        "risk": risk_out,
        "blocked": bool(until and until > now),
        "blocked_until": until,
    }


async def _policy_risk(
    ops: _Ops,
    key: str,
    own: float,
    youth: float,
    dominant: str | None,
    now: float,
    shape: float = 0.0,
) -> dict[str, Any] | None:
    """The risk the policy adds up for this account's next request like its usual one:
    its own risk, the evidence the analysers published on it, and the campaign flagged on
    its main template scaled by its youth (``policy.decide``'s sum), from the verdicts
    the replicas read; and the live surge, with what it would add to a request of this
    account asking for reasoning on a coding task (``shape``: the smaller of its reasoning
    and coding shares). None on a store that publishes none (memory: the serving
    process's own)."""
    from ..intel.redis import refresh
    from ..intel.verdicts import VerdictCache
    from ..model.cohorts import strongest
    from ..model.risk import ELICIT, FOCUS
    from ..model.surge import SurgeModel
    from ..model.surge import added as surge_added
    from ..request.policy import read_evidence
    from ..store.redis import RedisStore

    if not isinstance(ops.store, RedisStore):
        return None
    cache = VerdictCache()
    await refresh(ops.store.client, ops.store.prefix, cache, now)
    evidence = read_evidence(
        cache.account(key, now), now, EvidenceModel(**ops.settings.evidence_model)
    )
    campaign, weight = None, 0.0
    if dominant:
        views = tuple(v.view() for v in cache.lookup((f"t:{dominant}",), now))
        best, score = strongest(views)
        if best is not None and best.score > 0:
            campaign, weight = best.key, score * youth
    total = own + evidence.added + weight
    surge = cache.surge(now)
    surge_model = SurgeModel(**ops.settings.surge_model)
    return {
        "risk": total,
        "level": _level(total, ops.settings),
        "own": own,
        "evidence": evidence.added,
        "evidence_kinds": list(evidence.kinds),
        "campaign": campaign,
        "campaign_added": weight,
        "surge": None if surge is None else surge.audit(),
        "surge_added_to_harvest": 0.0
        if surge is None
        else surge_added(surge_model, youth, ELICIT | FOCUS, shape),
    }


def _level(risk: float, s: Settings) -> str:
    """The rung of the ladder the account's own risk reaches (campaigns not included)."""
    if risk >= s.block_at:
        return "block"
    if s.challenge_enabled and risk >= s.challenge_at:
        return "challenge"
    if risk >= s.degrade_at:
        return "degrade"
    return "allow"


async def _inspect(args: argparse.Namespace, ops: _Ops, now: float) -> int:
    report = await account_report(ops, args.account, now)
    if report is None:
        if args.json:
            print(json.dumps({"account": args.account, "found": False}))
        print(
            f"nothing is stored for {args.account} under prefix {ops.settings.key_prefix!r} "
            "(never seen, idle past its TTL, or reset; check that ANTIEXTRACT_SECRET and "
            "ANTIEXTRACT_KEY_PREFIX match the serving processes')",
            file=sys.stderr,
        )
        return EXIT_NOT_FOUND
    if args.json:
        print(json.dumps({**report, "found": True}, indent=2))
        return 0
    _print_account(report)
    return 0


def _print_account(r: dict[str, Any]) -> None:
    from rich.table import Table
    from rich.text import Text

    now = r["now"]
    table = Table(title=Text(f"account {r['account']}"), show_header=False, title_justify="left")
    table.add_column("what", style="bold")
    table.add_column("value")

    def row(name: str, value: str) -> None:
        table.add_row(name, Text(value))

    row("store key", r["store_key"])
    b = r["bucket"]
    tokens = "full" if b["updated"] is None else f"{b['tokens']:,.0f}"
    row("token bucket", f"{tokens} of {b['capacity']:,.0f} (refills {b['refill_per_second']:,g}/s)")
    for w in r["windows"]:
        amount = "?" if w["amount"] is None else f"{w['amount']:,}"
        row(
            w["limit"],
            f"{w['count']:,.1f} of {amount} requests admitted in the sliding "
            f"{_duration(w['seconds'])} window (one refused by the token budget, a window "
            f"or a standing block is not counted; this window {w['current']}, previous "
            f"{w['previous']}, weighted by what is left of it)",
        )
    p, risk = r["profile"], r["risk"]
    if p is None:
        row("risk profile", "none yet (only a block is stored)")
    else:
        born = "created" if p.get("created") is not None else "since first seen"
        row("first seen", f"{_when(p['first_seen'])} (age {_duration(p['age_seconds'])} {born})")
        row("last seen", f"{_when(p['last_seen'])} ({_duration(now - p['last_seen'])} ago)")
        row("trait shares", "  ".join(f"{k} {v:.2f}" for k, v in p["shares"].items()))
        row(
            "requests on day",
            f"{p['day_count']} on {p['day']} (UTC calendar day; every request the risk profile "
            "saw, refused ones too)",
        )
        row("acute", f"{p['acute']:.2f}")
        if p["dominant_template"]:
            row("main template", p["dominant_template"])
        row("risk, own", f"{risk['risk']:.2f} -> {risk['level']} (youth {risk['youth']:.2f})")
        row("top reasons", ", ".join(risk["reasons"]) or "none")
        pol = risk.get("policy")
        if pol is not None:
            parts = [f"{pol['own']:.2f} own", f"{pol['evidence']:.2f} evidence"]
            if pol["evidence_kinds"]:
                parts[-1] += f" ({', '.join(pol['evidence_kinds'])})"
            parts.append(f"{pol['campaign_added']:.2f} campaign")
            if pol["campaign"]:
                parts[-1] += f" ({pol['campaign']})"
            row("risk, policy", f"{pol['risk']:.2f} -> {pol['level']} = " + " + ".join(parts))
    if r["blocked"]:
        until = r["blocked_until"]
        row("blocked", f"until {_when(until)} ({_duration(until - now)} from now)")
    else:
        row("blocked", "no")
    console = _console()
    console.print(table)
    if p is not None:
        console.print(
            Text(
                "risk, own: re-assessed from the stored profile alone; risk, policy: what the "
                "ladder adds up for a request on the account's main template, with the "
                "verdicts the replicas read now (the age counts from the trusted creation "
                "time and the tier the account's last request carried, when it sent them); "
                "a request's wrapper-part, subnet and client links can add more: its audit "
                "event's campaign.added says how much.",
                style="dim",
            )
        )


# --- reset, block, unblock ---------------------------------------------------------------


async def _reset(args: argparse.Namespace, ops: _Ops, now: float) -> int:
    key = ops.store_key(args.account)
    existed = await ops.store.account_state(key, now) is not None
    await ops.store.reset(key)
    if args.json:
        print(json.dumps({"account": args.account, "action": "reset", "existed": existed}))
    elif existed:
        print(f"reset {args.account}: its limits, risk profile and any block are forgotten")
    else:
        print(f"nothing was stored for {args.account}; nothing to reset")
    return 0


async def _block(args: argparse.Namespace, ops: _Ops, now: float) -> int:
    key = ops.store_key(args.account)
    until = now + args.seconds
    await ops.store.block(key, until, now)
    if args.json:
        print(
            json.dumps(
                {
                    "account": args.account,
                    "action": "block",
                    "blocked_until": until,
                    "seconds": args.seconds,
                }
            )
        )
    else:
        print(
            f"blocked {args.account} until {_when(until)} ({_duration(args.seconds)}); "
            "its requests get 403 on every replica"
        )
    return 0


async def _unblock(args: argparse.Namespace, ops: _Ops, now: float) -> int:
    report = await account_report(ops, args.account, now)
    if report is not None:
        await ops.store.block(ops.store_key(args.account), 0.0, now)
    risk = report["risk"]["risk"] if report and report["risk"] else None
    again = risk is not None and risk >= ops.settings.block_at
    if args.json:
        print(
            json.dumps(
                {
                    "account": args.account,
                    "action": "unblock",
                    "existed": report is not None,
                    "was_blocked": bool(report and report["blocked"]),
                    "risk": risk,
                    "blocks_again": again,
                }
            )
        )
        return 0
    if report is None:
        print(f"nothing is stored for {args.account}; it is not blocked")
    elif report["blocked"]:
        print(f"unblocked {args.account}")
    else:
        print(f"{args.account} was not blocked; its block deadline is cleared anyway")
    if again:
        print(
            f"note: its stored risk {risk:.2f} is at or above ANTIEXTRACT_BLOCK_AT "
            f"({ops.settings.block_at:g}), so its next request blocks it again; "
            f"`antiextract reset {args.account}` also forgets its risk profile",
            file=sys.stderr,
        )
    return 0


# --- allow -------------------------------------------------------------------------------


async def _allow(args: argparse.Namespace, ops: _Ops, now: float) -> int:
    from ..model.allowlist import MAX_NOTE, AllowEntry, parse_target

    if args.list:
        entries = sorted(await ops.store.allowlist(now), key=lambda e: (e.kind, e.value))
        if not entries and not args.json:
            print("no live allowlist entries (env allowlists are not stored; see `config`)")
        for e in entries:
            if args.json:
                print(json.dumps(dataclasses.asdict(e)))
            else:
                note = f"  {e.note}" if e.note else ""
                print(f"{e.kind:8} {e.value}  until {_when(e.until)}{note}")
        return 0
    if args.target is None:
        raise CliError("give an account id, a cohort id or a CIDR (or --list)")
    try:
        kind, value = parse_target(args.target, args.kind)
    except ValueError as exc:
        raise CliError(str(exc)) from None
    if kind == "account":
        _check_account(value)
    if args.remove:
        removed = await ops.store.disallow(kind, value, now)
        if args.json:
            print(json.dumps({"kind": kind, "value": value, "action": "remove",
                              "existed": removed}))  # fmt: skip
        else:
            print(f"removed {kind} {value} from the allowlist" if removed
                  else f"{kind} {value} had no live allowlist entry")  # fmt: skip
        return 0 if removed else EXIT_NOT_FOUND
    if len(args.note) > MAX_NOTE:
        raise CliError(f"--note is {len(args.note)} characters; keep it under {MAX_NOTE}")
    until = now + args.seconds
    await ops.store.allow(AllowEntry(kind, value, until, now, args.note), now)
    every = ops.settings.allowlist_refresh_seconds
    if args.json:
        print(json.dumps({"kind": kind, "value": value, "action": "allow", "until": until,
                          "refresh_seconds": every}))  # fmt: skip
    else:
        effect = {
            "account": "its risk no longer counts and it joins no cohort; its limits still hold",
            "cohort": "it no longer counts towards any campaign",
            "subnet": "its subnet cohorts no longer count towards any campaign",
        }[kind]
        print(f"allowlisted {kind} {value} until {_when(until)} ({_duration(args.seconds)}): "
              f"{effect}")  # fmt: skip
        if every > 0:
            print(f"every replica picks it up within {every:g} s")
        else:
            print("note: ANTIEXTRACT_ALLOWLIST_REFRESH_SECONDS=0 here, so replicas configured "
                  "like this one never read it", file=sys.stderr)  # fmt: skip
    return 0


# --- campaigns ---------------------------------------------------------------------------


async def _campaigns(args: argparse.Namespace, ops: _Ops, now: float) -> int:
    # the analysers' cohort states (the intelligence plane counts cohorts, off the
    # request path; the store keeps only the campaigns' shared buckets)
    from ..intel.report import cohort_report

    cohorts = await cohort_report(ops.store, now)
    acted = _acted_in_log(args.log) if args.log else None
    for c in cohorts:
        # the report's split: a campaign acted on the accounts it degraded, challenged,
        # blocked or throttled by its shared budget; otherwise its accounts are only linked
        c["in_log"] = None if acted is None else acted.get(c["cohort"], "absent")
    active = [c for c in cohorts if c["score"] > 0]
    shown = cohorts if args.all else active
    if args.json:
        doc = {"now": now, "cohorts_total": len(cohorts), "active": len(active), "cohorts": shown}
        print(json.dumps(doc, indent=2))
        return 0
    if not shown:
        prefix = ops.settings.key_prefix
        if not cohorts:
            print(f"no cohorts are stored under prefix {prefix!r}")
        else:
            print(
                f"no active campaigns among {len(cohorts)} cohorts under prefix {prefix!r} "
                "(--all lists every cohort)"
            )
        return 0
    from rich import box
    from rich.table import Table
    from rich.text import Text

    title = (
        f"{len(active)} active campaign(s) among {len(cohorts)} cohorts"
        if not args.all
        else f"{len(cohorts)} cohorts, {len(active)} active campaign(s)"
    )
    table = Table(
        title=title,
        title_justify="left",
        box=box.SIMPLE_HEAD,
        caption="shares: elicit/focus/single/extract",
        caption_justify="left",
    )
    longest = max(len(c["cohort"]) for c in shown)
    for name, justify in (
        ("score", "right"), ("kind", "left"), ("cohort", "left"), ("accounts", "right"),
        ("young", "right"), ("requests", "right"), ("shares", "left"), ("harvest", "right"),
        ("last seen", "right"), *((("in the log", "left"),) if acted is not None else ()),
    ):  # fmt: skip
        # the cohort id in full: it is what `evidence` and ANTIEXTRACT_ALLOW_COHORTS take
        table.add_column(
            name,
            justify=justify,  # type: ignore[arg-type]
            no_wrap=True,
            min_width=longest if name == "cohort" else None,
        )
    for c in shown:
        shares = "/".join(f"{c['shares'][k]:.2f}" for k in ("elicit", "focus", "single", "extract"))
        table.add_row(
            f"{c['score']:.2f}",
            c["kind"],
            Text(c["cohort"]),
            str(c["accounts"]),
            str(c["young"]),
            f"{c['requests']:.0f}",
            shares,
            f"{c['harvest']:.2f}",
            f"{_duration(now - c['last_seen'])} ago",
            *((_in_log_text(c["in_log"]),) if acted is not None else ()),
            style="bold" if c["score"] > 0 else None,
        )
    console = _console()
    console.print(table)
    console.print(
        Text(
            "score > 0: a campaign (enough young accounts, mostly young, harvest-shaped "
            "traffic); accounts and young: distinct accounts today or yesterday (UTC), "
            "whichever is more; requests and shares decay with the campaign model's half_life. "
            + (
                "in the log: 'acted (N)' a campaign that degraded, challenged, blocked or "
                "throttled (shared budget) N accounts, as `antiextract report` lists campaigns; "
                "'linked only' its verdict matched requests without acting (the report's "
                "linked cohorts); 'absent' no decision in the log carried it."
                if acted is not None
                else "Which of these acted on requests and which only linked accounts is in "
                "the audit log: --log FILE splits them as `antiextract report` does."
            ),
            style="dim",
        )
    )
    return 0


def _acted_in_log(path: str) -> dict[str, str]:
    """cohort -> "acted (N)" or "linked only", from an audit log, as the report splits
    flagged cohorts (``report.acted_on``)."""
    from .report import build, events_from_log

    try:
        with _opened(path, "r") as source:
            events = events_from_log(source)
    except OSError as exc:
        raise CliError(f"cannot read the audit log {path}: {exc.strerror or exc}") from None
    campaigns, _ = build(events)
    return {
        c.cohort: f"acted ({len(c.members)})" if c.members else "linked only"
        for c in campaigns.values()
    }


def _in_log_text(value: str | None) -> str:
    return value or "-"


# --- evidence ----------------------------------------------------------------------------


def _evidence(args: argparse.Namespace) -> int:
    subject = args.subject
    try:
        with _opened(args.log, "r") as source:
            events, lines, parsed = collect_evidence(source, subject)
    except OSError as exc:
        raise CliError(f"cannot read the audit log {args.log}: {exc.strerror or exc}") from None
    summary = evidence_summary(subject, events, args.log, lines, parsed)
    try:
        with _opened(args.out, "w") as out:
            out.write(json.dumps(summary) + "\n")
            for event in events:
                out.write(json.dumps({"type": "event", **event}) + "\n")
    except BrokenPipeError:
        raise  # `antiextract evidence … | head`: main() stops quietly
    except OSError as exc:
        raise CliError(f"cannot write {args.out}: {exc.strerror or exc}") from None
    if parsed == 0 and lines:
        print(
            f"no JSON lines in {args.log}: the audit log is JSON only with "
            "ANTIEXTRACT_LOG_FORMAT=json (the default)",
            file=sys.stderr,
        )
    if not events:
        print(f"no events for {subject} in {args.log}", file=sys.stderr)
        return EXIT_NOT_FOUND
    if args.out not in (None, "-"):
        print(f"wrote {len(events)} event(s) for {subject} to {args.out}", file=sys.stderr)
    return 0


def _opened(path: str | None, mode: str) -> Any:
    """A file to read or write; None or '-' is stdin/stdout, left open."""
    if path in (None, "-"):
        return contextlib.nullcontext(sys.stdin if mode == "r" else sys.stdout)
    return open(path, mode, encoding="utf-8", errors="replace")


def collect_evidence(lines: Iterable[str], subject: str) -> tuple[list[dict[str, Any]], int, int]:
    """The events of an account (``account``) or a campaign cohort (``campaign.cohort``),
    reduced to ``EVIDENCE_KEYS``, in time order; with the number of lines read and of JSON
    lines among them. Lines that are not JSON objects are skipped; a prefix before the
    first ``{`` (a container runtime's timestamp) is ignored."""
    found: list[tuple[float, int, dict[str, Any]]] = []
    count = parsed = 0
    for count, line in enumerate(lines, 1):
        text = line.strip()
        start = text.find("{")
        if start < 0:
            continue
        try:
            event = json.loads(text[start:])
        except ValueError:
            continue
        if not isinstance(event, dict):
            continue
        parsed += 1
        campaign = event.get("campaign")
        cohort = campaign.get("cohort") if isinstance(campaign, dict) else None
        if event.get("account") != subject and cohort != subject:
            continue
        kept = _evidence_record(event)
        found.append((_epoch(kept.get("timestamp")), count, kept))
    found.sort(key=lambda item: (item[0], item[1]))
    return [event for _, _, event in found], count, parsed


def _evidence_record(event: dict[str, Any]) -> dict[str, Any]:
    """Only the allowed keys, and only plain values: nothing that could carry text."""
    out: dict[str, Any] = {}
    for key in EVIDENCE_KEYS:
        if key not in event:
            continue
        value = event[key]
        if key in ("campaign", "surge"):
            allowed = EVIDENCE_CAMPAIGN_KEYS if key == "campaign" else EVIDENCE_SURGE_KEYS
            if isinstance(value, dict):
                value = {k: value[k] for k in allowed if k in value and _plain(value[k])}
            elif value is not None:
                continue
        elif isinstance(value, list):
            value = [v for v in value if _plain(v)]
        elif not _plain(value):
            continue
        out[key] = value
    return out


def _plain(value: Any) -> bool:
    return value is None or isinstance(value, str | int | float | bool)


def _epoch(stamp: Any) -> float:
    if not isinstance(stamp, str):
        return float("-inf")
    try:
        parsed = datetime.fromisoformat(stamp)
        if parsed.tzinfo is None:
            parsed = parsed.replace(tzinfo=UTC)
        return parsed.timestamp()
    except (ValueError, OverflowError):  # not ISO 8601; a date the platform cannot count
        return float("-inf")


def evidence_summary(
    subject: str, events: list[dict[str, Any]], log: str, lines: int, parsed: int
) -> dict[str, Any]:
    actions: Counter[str] = Counter()
    statuses: Counter[str] = Counter()
    signals: Counter[str] = Counter()
    risk_reasons: Counter[str] = Counter()
    accounts: set[str] = set()
    cohorts: Counter[str] = Counter()
    risks = []
    for e in events:
        if e.get("action") is not None:
            actions[str(e["action"])] += 1
        if e.get("status") is not None:
            statuses[str(e["status"])] += 1
        signals.update(str(s) for s in e.get("signals") or ())
        risk_reasons.update(str(r).split("=", 1)[0] for r in e.get("risk_reasons") or ())
        if isinstance(e.get("account"), str):
            accounts.add(e["account"])
        campaign = e.get("campaign")
        if isinstance(campaign, dict) and isinstance(campaign.get("cohort"), str):
            cohorts[campaign["cohort"]] += 1
        if isinstance(e.get("risk"), int | float):
            risks.append(e["risk"])
    stamps = [e["timestamp"] for e in events if isinstance(e.get("timestamp"), str)]
    if subject.startswith(ACCOUNT_PREFIXES):
        kind = "account"
    elif subject[:2] in {f"{k}:" for k in COHORT_KINDS}:
        kind = "cohort"
    else:
        kind = "unknown"
    return {
        "type": "summary",
        "subject": subject,
        "subject_kind": kind,
        "log": log,
        "lines_read": lines,
        "json_lines": parsed,
        "events": len(events),
        "first_seen": stamps[0] if stamps else None,
        "last_seen": stamps[-1] if stamps else None,
        "accounts": len(accounts),
        "actions": dict(actions.most_common()),
        "statuses": dict(statuses.most_common()),
        "max_risk": max(risks) if risks else None,
        "top_signals": [{"signal": k, "count": n} for k, n in signals.most_common(10)],
        "top_risk_reasons": [{"reason": k, "count": n} for k, n in risk_reasons.most_common(5)],
        "campaign_cohorts": [{"cohort": k, "count": n} for k, n in cohorts.most_common(5)],
    }


# --- formatting --------------------------------------------------------------------------


def _console() -> Any:
    from rich.console import Console

    console = Console(highlight=False)
    if not console.is_terminal:
        console.width = max(console.width, 200)  # piped: don't squeeze tables to 80 columns
    return console


def _when(ts: float | None) -> str:
    if ts is None:
        return "-"
    return datetime.fromtimestamp(ts, UTC).strftime("%Y-%m-%d %H:%M:%S UTC")


def _duration(seconds: float) -> str:
    seconds = max(0.0, float(seconds))
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 90 * 60:
        return f"{seconds / 60:.0f} min"
    if seconds < 48 * 3600:
        return f"{seconds / 3600:.1f} h"
    return f"{seconds / 86400:.1f} d"


def _positive(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number of seconds, got {text!r}") from None
    if not value > 0:
        raise argparse.ArgumentTypeError("expected a positive number of seconds")
    return value


# --- the parser --------------------------------------------------------------------------

_ACCOUNT_HELP = (
    "account id exactly as the audit log's `account` field shows it: key:<hex> (a hashed API "
    "key), hdr:<value> (from ANTIEXTRACT_ACCOUNT_HEADER) or ip:<address>"
)
_STORE_NOTE = (
    "Works on the Redis store named by ANTIEXTRACT_STORAGE_URI, under ANTIEXTRACT_KEY_PREFIX; "
    "run it with the same ANTIEXTRACT_SECRET as the serving processes, which maps account ids "
    "to store keys. With memory:// there is nothing to reach from outside the serving process "
    "(exit status 2)."
)
_EPILOG = """\
operator examples:
  antiextract inspect key:3f9a0c...            # an account's budget, risk and block
  antiextract block key:3f9a0c... --seconds 86400
  antiextract unblock key:3f9a0c...
  antiextract reset key:3f9a0c...              # forget limits, risk profile and block
  antiextract allow t:9c1e... --note "our IDE plugin's template"   # never a campaign
  antiextract campaigns                        # cohorts flagged as campaigns, worst first
  antiextract worker                           # analyse campaigns off the serving replicas
  antiextract evidence key:3f9a0c... --log audit.jsonl --out case-1234.jsonl

exit status: 0 done, 1 nothing stored for what was asked about (an empty list is 0),
2 error (configuration, store, file)
"""


BENCHMARKS = Path(__file__).resolve().parents[2] / "benchmarks"


def _bench(args: argparse.Namespace) -> int:
    """Every benchmark in turn, with progress; then the chart and the budget check."""
    import subprocess

    from rich.progress import Progress

    if not BENCHMARKS.is_dir():
        print(f"antiextract bench needs {BENCHMARKS} (run it from a checkout)", file=sys.stderr)
        return 2
    quick = ["--quick"] if args.quick else []
    results = BENCHMARKS / "results"
    latency = "latency-quick" if args.quick else "latency"
    steps = [
        ("latency side by side with slowapi", ["latency.py", *quick]),
        ("load over loopback (uvicorn, server CPU)", ["load.py", *quick]),
        ("reading a request (signals, fingerprint)", ["bench_signals.py", *quick]),
        ("the store's Lua inside Redis", ["bench_scripts.py", *quick]),
        ("degrade stream filter", ["bench_stream_filter.py", *(["--rounds", "8"] * args.quick)]),
        ("memory per account", ["memory.py", *quick]),
        ("campaign simulation", ["simulate.py", "--quiet", "--days", "1" if args.quick else "3",
                                 "--scale", "0.3" if args.quick else "1",
                                 *(["--out", str(BENCHMARKS / "results" / "simulate-quick.json")]
                                   if args.quick else [])]),
        ("chart", ["chart.py", str(results / f"{latency}.json"), "--out",
                   str(results / f"{latency}.png")]),
    ]  # fmt: skip
    outputs: list[tuple[str, str]] = []
    failed = 0
    with Progress() as progress:
        task = progress.add_task("benchmarks", total=len(steps))
        for title, argv in steps:
            progress.update(task, description=title)
            done = subprocess.run(
                [sys.executable, str(BENCHMARKS / argv[0]), *argv[1:]],
                capture_output=True, text=True, check=False,
            )  # fmt: skip
            outputs.append((title, done.stdout if done.returncode == 0 else done.stderr))
            failed += done.returncode != 0
            progress.advance(task)
    for title, text in outputs:
        print(f"\n## {title}\n\n{text.strip()}")
    budget = results / f"{latency}.json"
    check = subprocess.run([sys.executable, str(BENCHMARKS / "check_budget.py"), str(budget)],
                           check=False)  # fmt: skip
    return 1 if failed or check.returncode else 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="antiextract",
        description="Protect LLM APIs from extraction by distillation. Every command reads "
        "the same ANTIEXTRACT_* environment variables as the middleware.",
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    demo = sub.add_parser(
        "demo",
        help="show the whole ladder on a small extraction campaign among honest users",
        description="Ninety simulated minutes through the middleware in seconds: honest "
        "users and a farm of young accounts sharing one prompt template; the campaign "
        "flagged, its accounts degraded, challenged (solved by the client helper) and "
        "blocked, the honest users untouched, the evidence, and an HTML report "
        "(antiextract-demo-report.html). --flood: instead, a fake model server on a "
        "loopback port under a flooding account and a chatty script, over real HTTP.",
    )
    demo.add_argument(
        "--flood", action="store_true", help="instead: the flood and request-limit demo"
    )
    demo.add_argument("--seconds", type=float, default=12.0, help="--flood's duration (12)")
    demo.add_argument(
        "--simulate",
        type=int,
        metavar="DAYS",
        default=0,
        help="instead: run the campaign simulation for DAYS simulated days (half scale) "
        "through the real middleware and print what each population got",
    )
    demo.set_defaults(func=_demo)
    proxy = sub.add_parser(
        "proxy",
        help="serve a protecting reverse proxy in front of any model server",
        description="Run a reverse proxy with the middleware in front, so a non-Python model "
        "server (TGI, llama.cpp, Ollama, a cloud upstream) gets the same protection. "
        "Streaming passes both ways; an unreachable upstream answers 502 in the API's format. "
        "Configured by ANTIEXTRACT_* (`antiextract config` shows them); metrics are served "
        "only on a listener of their own, ANTIEXTRACT_METRICS_PORT (on "
        "ANTIEXTRACT_METRICS_HOST, 127.0.0.1 by default), never on --port.",
    )
    proxy.add_argument(
        "--upstream", default=None, help="upstream base URL (default: $ANTIEXTRACT_UPSTREAM)"
    )
    proxy.add_argument("--host", default="127.0.0.1", help="address to listen on (127.0.0.1)")
    proxy.add_argument("--port", type=int, default=8080, help="port to listen on (8080)")
    proxy.add_argument(
        "--timeout", type=float, default=None, help="upstream timeout in s (600; connect 10)"
    )
    proxy.add_argument("--max-connections", type=int, default=100, help="upstream pool size")
    proxy.add_argument(
        "--log-level", default="info", choices=["critical", "error", "warning", "info", "debug"]
    )
    proxy.set_defaults(func=_proxy)
    worker = sub.add_parser(
        "worker",
        help="analyse the intelligence records in Redis (a consumer of the analysers' group)",
        description="Run the campaign analyser as a process of its own: it reads the records "
        "the serving replicas flush to the Redis streams under ANTIEXTRACT_KEY_PREFIX, as one "
        "consumer of a group every worker shares, and publishes the verdicts the replicas "
        "read. Start more to analyse more; stop or kill any: another takes over what it left "
        "pending. SIGTERM/SIGINT finish the batch at hand and exit 0. Set "
        "ANTIEXTRACT_INTEL=worker on the replicas so that only workers analyse. With "
        "ANTIEXTRACT_METRICS_PORT set it serves its metrics there (lag, records analysed, "
        "verdicts).",
    )
    worker.add_argument(
        "--consumer",
        default=None,
        help="this worker's consumer name in the group (default: host-pid-random, unique "
        "per start)",
    )
    worker.set_defaults(func=_worker)
    bench = sub.add_parser(
        "bench",
        help="run every benchmark, write benchmarks/results/ and the latency chart",
        description="Run the latency comparison with slowapi, the uvicorn load run, the "
        "request-reading, stream filter and memory benchmarks and the campaign simulation "
        "(needs Redis on 127.0.0.1:6379; databases 8 and 14 are flushed, the load run "
        "deletes its own keys in db 4), render the chart and check the budget.",
    )
    bench.add_argument("--quick", action="store_true", help="small runs (a few minutes)")
    bench.set_defaults(func=_bench)
    config = sub.add_parser("config", help="print the effective configuration (secrets masked)")
    config.add_argument("--json", action="store_true", help="machine-readable output")
    config.set_defaults(func=_config)

    inspect = sub.add_parser(
        "inspect",
        help="show an account's token budget, request windows, risk profile and block",
        description="Show what the store holds for one account: its token bucket, its "
        "request-count windows, its risk profile (trait shares, age, requests per day, "
        "acute level), the risk assessed from that profile with its largest contributions, "
        "and whether it is blocked. Exit status 1 when nothing is stored for it. " + _STORE_NOTE,
    )
    inspect.add_argument("account", metavar="ACCOUNT", help=_ACCOUNT_HELP)
    inspect.add_argument("--json", action="store_true", help="machine-readable output")
    inspect.set_defaults(func=_with_store(_inspect))

    reset = sub.add_parser(
        "reset",
        help="forget an account: its budget, windows, risk profile and any block",
        description="Delete everything stored for one account, as if it had never been seen: "
        "its next request starts with a full budget and a fresh risk profile. " + _STORE_NOTE,
    )
    reset.add_argument("account", metavar="ACCOUNT", help=_ACCOUNT_HELP)
    reset.add_argument("--json", action="store_true", help="machine-readable output")
    reset.set_defaults(func=_with_store(_reset))

    block = sub.add_parser(
        "block",
        help="block an account for a while (its requests get 403 on every replica)",
        description="Block one account now, for --seconds: every replica answers its requests "
        "with 403 in the API's own error format until then. Its risk profile is kept. "
        + _STORE_NOTE,
    )
    block.add_argument("account", metavar="ACCOUNT", help=_ACCOUNT_HELP)
    block.add_argument(
        "--seconds",
        type=_positive,
        default=3600.0,
        metavar="N",
        help="how long the block lasts (3600 = one hour)",
    )
    block.add_argument("--json", action="store_true", help="machine-readable output")
    block.set_defaults(func=_with_store(_block))

    unblock = sub.add_parser(
        "unblock",
        help="lift an account's block (operator's or automatic)",
        description="Lift a block at once, whether an operator set it or the account's risk "
        "crossed ANTIEXTRACT_BLOCK_AT. If its stored risk is still that high, its next "
        "request blocks it again (a note says so): reset it to forget its profile too. "
        + _STORE_NOTE,
    )
    unblock.add_argument("account", metavar="ACCOUNT", help=_ACCOUNT_HELP)
    unblock.add_argument("--json", action="store_true", help="machine-readable output")
    unblock.set_defaults(func=_with_store(_unblock))

    allow = sub.add_parser(
        "allow",
        help="vouch for an account, a cohort or a subnet (kept in the store, with an expiry)",
        description="Allowlist an account (its risk is no longer scored and it counts in no "
        "cohort; its rate limits still hold), a cohort (a known app's template, band or "
        "client fingerprint: it never counts towards a campaign) or a subnet (its /24 or "
        "/48 cohorts never count). The entry lives in the store with an expiry; every "
        "replica re-reads the list every ANTIEXTRACT_ALLOWLIST_REFRESH_SECONDS, in the "
        "background. The env allowlists (ANTIEXTRACT_ALLOW_*) apply as well. " + _STORE_NOTE,
    )
    allow.add_argument(
        "target",
        nargs="?",
        metavar="TARGET",
        help="an account id (key:<hex>, hdr:<value>, ip:<address>), a cohort id (t:…, l:…, "
        "n:…, c:… as `antiextract campaigns` shows it) or a CIDR (203.0.113.0/24)",
    )
    allow.add_argument(
        "--kind",
        choices=("account", "cohort", "subnet"),
        default=None,
        help="what TARGET is, when its form is ambiguous (default: guessed from its form)",
    )
    allow.add_argument(
        "--seconds",
        type=_positive,
        default=30 * 86_400.0,
        metavar="N",
        help="how long the entry lasts (default 2592000 = 30 days)",
    )
    allow.add_argument("--note", default="", help="who vouched and why (kept with the entry)")
    allow.add_argument("--remove", action="store_true", help="remove TARGET's entry instead")
    allow.add_argument("--list", action="store_true", help="list the live entries")
    allow.add_argument("--json", action="store_true", help="machine-readable output")
    allow.set_defaults(func=_with_store(_allow))

    campaigns = sub.add_parser(
        "campaigns",
        help="list cohorts flagged as campaigns (many young accounts, harvest-shaped traffic)",
        description="List the cohorts the middleware tracks (accounts sharing a prompt "
        "template, a near-duplicate template band, a /24 or /48 subnet, or a client "
        "fingerprint) that are currently campaigns: enough distinct young accounts, mostly "
        "young, with harvest-shaped traffic (reasoning asked for, coding/agentic tasks, "
        "single-turn, extraction parameters). Highest score first. " + _STORE_NOTE,
    )
    campaigns.add_argument(
        "--all", action="store_true", help="list every cohort, not only active campaigns"
    )
    campaigns.add_argument(
        "--log",
        metavar="FILE",
        help="an audit log: say of each cohort whether it acted on accounts or only linked "
        "them, the split `antiextract report` shows",
    )
    campaigns.add_argument("--json", action="store_true", help="machine-readable output")
    campaigns.set_defaults(func=_with_store(_campaigns))

    evidence = sub.add_parser(
        "evidence",
        help="extract one account's or campaign's audit events from a log, as JSON lines",
        description="Read an audit log (the JSON lines the middleware writes to stderr; other "
        "lines are skipped) and write every event of one account (matching `account`) or one "
        "campaign cohort (matching `campaign.cohort`), in time order, as JSON lines: first a "
        'summary line {"type": "summary", ...} (first and last seen, counts per action, top '
        "signals), then one line per event. Only ids, numbers and signal names are kept: any "
        "other key is dropped, so no prompt text can end up in the record. Needs no store. "
        "Exit status 1 when no event matches.",
    )
    evidence.add_argument(
        "subject",
        metavar="ACCOUNT_OR_COHORT",
        help="an account id (key:<hex>, hdr:<value>, ip:<address>) or a cohort id as "
        "`antiextract campaigns` and the log's campaign.cohort show it (t:<hex>, l:…, n:…, c:…)",
    )
    evidence.add_argument(
        "--log", required=True, metavar="FILE", help="audit log to read ('-' for stdin)"
    )
    evidence.add_argument(
        "--out", default=None, metavar="FILE", help="where to write the record (default: stdout)"
    )
    evidence.set_defaults(func=_evidence)
    replay.add_parser(sub)
    report.add_parser(sub)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args) or 0)
    except SettingsError as exc:
        print(exc, file=sys.stderr)
        return EXIT_ERROR
    except CliError as exc:
        print(f"antiextract {args.command}: {exc}", file=sys.stderr)
        return EXIT_ERROR
    except BrokenPipeError:
        # `antiextract campaigns | head`: stop quietly, and keep Python from complaining
        # about the closed pipe again when it flushes stdout at exit
        with contextlib.suppress(AttributeError, OSError, ValueError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return EXIT_NOT_FOUND


if __name__ == "__main__":
    sys.exit(main())
