"""The operator commands against a Redis store seeded by the middleware itself.

One module-level run drives ``AntiExtractMiddleware`` over raw ASGI on simulated time
(close to the real clock, because the commands read the real one): a campaign of young
accounts sharing one "think step by step" coding wrapper, single-turn; an IDE-like
population of old accounts sharing one long system prompt in multi-turn sessions, with
no elicitation; and a few ordinary users. Then ``cli.main`` is called as an operator
would call it, configured through the environment.

Redis: db 9, keys under prefix ``aecli`` (the database is flushed first). Every command
runs in a worker thread (``cli.main`` runs its own event loop, as from a shell).
"""

from __future__ import annotations

import asyncio
import io
import json
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import orjson
import pytest
import redis
import redis.asyncio

from antiextract import AntiExtractMiddleware, Settings
from antiextract.audit import make_logger
from antiextract.intel.evidence_fold import PREFIX as ACCOUNT_FIELD
from antiextract.intel.evidence_fold import AccountVerdict
from antiextract.intel.redis import verdict_keys
from antiextract.intel.surge import FIELD as SURGE_FIELD
from antiextract.intel.surge import SurgeVerdict
from antiextract.intel.verdicts import Verdict, campaign_id
from antiextract.ops import cli
from antiextract.request.apis import family_for_path
from antiextract.request.fingerprint import template_fingerprint
from antiextract.request.identity import digest, hash_key

from .asgi import Exchange, http_scope
from .conftest import SimClock, redis_url

REDIS_URL = redis_url(9)
PREFIX = "aecli"
SECRET = "cli-test-secret-0123456789"
CREATED = "x-account-created"
DAY = 86_400.0
N_CAMPAIGN, N_IDE, N_USERS, ROUNDS = 30, 30, 4, 6

USAGE = b'{"id":"x","choices":[{"message":{"content":"ok"}}],"usage":{"prompt_tokens":50,"completion_tokens":40,"total_tokens":90}}'  # noqa: E501

WRAPPER = (
    "You are a world-class software engineer. Solve the task below. Think step by step and "
    "show your full reasoning before the final answer.\n\nTask: {task}\n\nProvide complete, "
    "production-quality code."
)
IDE_SYSTEM = (
    "You are CodePilot, an AI pair programmer embedded in the user's editor. You have "
    "access to the open files, the terminal and the project tree. Follow the user's coding "
    "conventions, prefer minimal diffs, never invent APIs, and answer with code blocks "
    "followed by a short explanation. " * 6
)
TASKS = [
    "implement a function that merges overlapping intervals",
    "refactor this class to use dependency injection",
    "fix the bug in this async retry loop",
    "write unit tests with pytest for the parser module",
    "implement an LRU cache with O(1) operations",
    "convert this callback-based code to async/await",
]
QUESTIONS = [
    "what should I pack for a week in Lisbon in March?",
    "give me a vegetarian recipe with lentils and spinach",
    "how do I politely decline a wedding invitation?",
    "recommend three novels like The Remains of the Day",
]


def account_id(api_key: str) -> str:
    """The id the middleware gives (and logs for) an API key under SECRET."""
    return "key:" + digest(api_key.encode(), hash_key(SECRET.encode()))


def template_cohort(body: bytes) -> str:
    facts = family_for_path("/v1/chat/completions").facts(body)
    return "t:" + template_fingerprint(facts.prompt_text).skeleton


def settings() -> Settings:
    return Settings(
        storage_uri=REDIS_URL,
        key_prefix=PREFIX,
        secret=SECRET,
        account_created_header=CREATED,
        audit_sample_rate=1.0,
    )


async def app(scope, receive, send) -> None:
    while (await receive()).get("more_body"):
        pass
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json")],
        }
    )
    await send({"type": "http.response.body", "body": USAGE})


async def call(mw, key: str, body: bytes, created: float, ip: str, ua: str) -> Exchange:
    headers = [
        (b"content-type", b"application/json"),
        (b"authorization", f"Bearer {key}".encode()),
        (b"user-agent", ua.encode()),
        (CREATED.encode(), str(int(created)).encode()),
    ]
    ex = Exchange(body)
    await mw(http_scope(headers=headers, client=(ip, 4000)), ex.receive, ex.send)
    return ex


def campaign_body(i: int) -> bytes:
    task = TASKS[i % len(TASKS)] + f" (variant {i})"
    doc = {
        "model": "m",
        "messages": [{"role": "user", "content": WRAPPER.format(task=task)}],
        "max_tokens": 8192,
    }
    return orjson.dumps(doc)


def ide_body(i: int, turn: int) -> bytes:
    messages = [{"role": "system", "content": IDE_SYSTEM}]
    if turn:
        messages += [
            {"role": "user", "content": TASKS[(i + turn - 1) % len(TASKS)]},
            {"role": "assistant", "content": "Here is the patch: ..."},
        ]
    code = f"```python\ndef handler_{i}_{turn}(items):\n    return sorted(items)[:{turn + 2}]\n```"
    messages.append({"role": "user", "content": f"{TASKS[(i + turn) % len(TASKS)]}\n\n{code}"})
    return orjson.dumps({"model": "m", "messages": messages, "max_tokens": 2048})


def user_body(i: int, turn: int) -> bytes:
    messages = []
    if turn:
        messages += [
            {"role": "user", "content": QUESTIONS[(i + turn - 1) % len(QUESTIONS)]},
            {"role": "assistant", "content": "Sure! ..."},
        ]
    messages.append({"role": "user", "content": QUESTIONS[(i + turn) % len(QUESTIONS)]})
    return orjson.dumps({"model": "m", "messages": messages})


@dataclass
class Seeded:
    clock: SimClock
    campaign: list[str]  # account ids
    ide: list[str]
    users: list[str]
    user_keys: list[str]  # their API keys, to send more requests
    campaign_cohort: str
    ide_cohort: str
    log: str
    statuses: dict[str, list[int]]


async def seed() -> Seeded:
    client = redis.asyncio.Redis.from_url(REDIS_URL)
    await client.flushdb()
    await client.aclose()
    start = time.time() - 3 * 3600  # the commands read the real clock: stay just before it
    clock = SimClock(start)
    log = io.StringIO()
    mw = AntiExtractMiddleware(
        app, settings(), clock, logger=make_logger(stream=log), drive_intel=True
    )
    young, old = start - DAY, start - 400 * DAY
    statuses: dict[str, list[int]] = {}
    try:
        for turn in range(ROUNDS):
            for i in range(N_CAMPAIGN):
                key = f"sk-campaign-{i}"
                ex = await call(
                    mw, key, campaign_body(i * ROUNDS + turn), young, f"198.51.{i}.9",
                    "OpenAI/Python 1.50.0",
                )  # fmt: skip
                statuses.setdefault(key, []).append(ex.status)
                clock.advance(7)
            for i in range(N_IDE):
                key = f"sk-ide-{i}"
                ex = await call(
                    mw, key, ide_body(i, turn), old, f"100.64.{i}.7", "CodePilot/3.2 (vscode)"
                )
                statuses.setdefault(key, []).append(ex.status)
                clock.advance(11)
            for i in range(N_USERS):
                key = f"sk-user-{i}"
                ex = await call(mw, key, user_body(i, turn), old, f"192.0.{i}.20", "Mozilla/5.0")
                statuses.setdefault(key, []).append(ex.status)
                clock.advance(97)
            await mw.intel.drain(clock())  # the analyser's turn, on the simulated clock
        await mw.store.flush()
    finally:
        await mw.store.close()
    return Seeded(
        clock=clock,
        campaign=[account_id(f"sk-campaign-{i}") for i in range(N_CAMPAIGN)],
        ide=[account_id(f"sk-ide-{i}") for i in range(N_IDE)],
        users=[account_id(f"sk-user-{i}") for i in range(N_USERS)],
        user_keys=[f"sk-user-{i}" for i in range(N_USERS)],
        campaign_cohort=template_cohort(campaign_body(0)),
        ide_cohort=template_cohort(ide_body(0, 1)),
        log=log.getvalue(),
        statuses=statuses,
    )


def in_thread(fn, *args):
    """Run outside any event loop (pytest-asyncio's included), as from a shell."""
    with ThreadPoolExecutor(1) as pool:
        return pool.submit(fn, *args).result()


@pytest.fixture(scope="module")
def seeded() -> Seeded:
    return in_thread(asyncio.run, seed())


@pytest.fixture
def env(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    for name, value in {
        "ANTIEXTRACT_STORAGE_URI": REDIS_URL,
        "ANTIEXTRACT_KEY_PREFIX": PREFIX,
        "ANTIEXTRACT_SECRET": SECRET,
    }.items():
        monkeypatch.setenv(name, value)
    return monkeypatch


@dataclass
class Run:
    code: int
    out: str
    err: str

    def json(self):
        return json.loads(self.out)


def run(capsys: pytest.CaptureFixture[str], *argv: str) -> Run:
    capsys.readouterr()
    code = in_thread(cli.main, list(argv))
    out, err = capsys.readouterr()
    return Run(code, out, err)


# --- the seeded traffic is what the tests assume --------------------------------------


def test_seeded_workload_shape(seeded: Seeded) -> None:
    users = [s for k, v in seeded.statuses.items() if k.startswith("sk-user") for s in v]
    ide = [s for k, v in seeded.statuses.items() if k.startswith("sk-ide") for s in v]
    assert set(users) == {200} and set(ide) == {200}
    events = [json.loads(line) for line in seeded.log.splitlines()]
    decisions = [e for e in events if e["event"] == "antiextract.decision"]
    acted = {e["account"] for e in decisions if e["action"] != "allow"}
    assert acted and acted <= set(seeded.campaign)  # the campaign, and only it, was acted on
    assert seeded.campaign_cohort != seeded.ide_cohort
    assert template_cohort(campaign_body(1)) == seeded.campaign_cohort  # one wrapper
    assert template_cohort(ide_body(5, 3)) == seeded.ide_cohort


# --- inspect --------------------------------------------------------------------------


def test_inspect_shows_budget_profile_and_risk(seeded: Seeded, env, capsys) -> None:
    r = run(capsys, "inspect", seeded.campaign[3], "--json")
    assert r.code == 0, r.err
    doc = r.json()
    assert doc["found"] and doc["account"] == seeded.campaign[3]
    assert doc["bucket"]["capacity"] == 300_000
    assert 0 < doc["bucket"]["tokens"] <= 300_000
    assert {w["seconds"] for w in doc["windows"]} <= {60, 86_400}
    day = next(w for w in doc["windows"] if w["seconds"] == 86_400)
    assert day["limit"] == "account-20000-per-86400s" and day["count"] >= 1
    p = doc["profile"]
    assert set(p["shares"]) == {
        "elicit", "focus", "single", "template", "extract", "pacing", "hours",
    }  # fmt: skip
    assert p["shares"]["elicit"] > 0.7 and p["shares"]["single"] > 0.7
    assert p["shares"]["focus"] > 0.5
    # the age counts from the creation time the auth layer sent (a day before the seed)
    assert p["day_count"] >= 1 and DAY < p["age_seconds"] < DAY + 4 * 3600
    assert p["dominant_template"] == seeded.campaign_cohort
    risk = doc["risk"]
    assert risk["risk"] >= 3.0 and risk["level"] in ("degrade", "challenge", "block")
    assert any(reason.startswith("elicit=") for reason in risk["reasons"])

    r = run(capsys, "inspect", seeded.users[0], "--json")
    calm = r.json()
    assert calm["risk"]["risk"] < 1.5 and calm["risk"]["level"] == "allow"
    assert calm["profile"]["shares"]["elicit"] < 0.3
    assert calm["blocked"] is False and calm["blocked_until"] is None


def test_inspect_shows_the_risk_the_policy_adds_up_beside_the_accounts_own(
    seeded: Seeded, env, capsys
) -> None:
    """A campaign verdict on the account's main template (score 4) and an evidence verdict
    on the account (totals 6.65, fresh) published as the analysers publish them: the
    policy's risk is the account's own + (6.65 - 2.65) x 1.15 = 4.6 of evidence (the
    default offset and scale) + 4 x 1.0 (a template cohort weighs fully) x its youth."""
    own = run(capsys, "inspect", seeded.campaign[3], "--json").json()
    store_key, youth = own["store_key"], own["risk"]["youth"]
    assert own["risk"]["policy"]["campaign"] is None  # the seed's verdicts have expired
    now = time.time()
    campaign = Verdict(
        seeded.campaign_cohort, campaign_id(seeded.campaign_cohort), 4.0, 40, 40, 0.9,
        now - 60, now + 3_600,
    )  # fmt: skip
    # harvest 2.0 + reason 4.65 (the harvest shape inside conversations) = 6.65
    evidence = AccountVerdict(store_key, (2.0, 0.0, 0.0, 4.65), now, now + 86_400)
    hour = int(now // 3_600)
    surge = SurgeVerdict(hour, 40, 90, 4.5, (hour - 1) * 3_600, (hour + 2) * 3_600)
    client = redis.Redis.from_url(REDIS_URL)
    hash_key, version_key, _ = verdict_keys(PREFIX)
    fields = {
        campaign.key: campaign.encode(),
        ACCOUNT_FIELD + store_key: evidence.encode(),
        SURGE_FIELD: surge.encode(),
    }
    before = client.hmget(hash_key, list(fields))
    saved = {f: v for f, v in zip(fields, before, strict=True) if v is not None}
    try:
        client.hset(hash_key, mapping=fields)
        client.incr(version_key)
        doc = run(capsys, "inspect", seeded.campaign[3], "--json").json()
        table = run(capsys, "inspect", seeded.campaign[3]).out
    finally:  # the seed's own verdicts back as they were, for the tests after this one
        client.hdel(hash_key, *fields)
        if saved:
            client.hset(hash_key, mapping=saved)
        client.incr(version_key)
        client.close()
    policy = doc["risk"]["policy"]
    assert policy["own"] == pytest.approx(doc["risk"]["risk"])
    assert policy["evidence"] == pytest.approx(4.6, abs=1e-3)
    # named, heaviest first, as the ladder's reasons name them
    assert policy["evidence_kinds"] == ["evidence:reason", "evidence:harvest"]
    assert policy["campaign"] == seeded.campaign_cohort
    assert policy["campaign_added"] == pytest.approx(4.0 * youth)
    total = doc["risk"]["risk"] + 4.6 + 4.0 * youth
    assert policy["risk"] == pytest.approx(total, abs=1e-3)
    assert policy["level"] == "block" and doc["risk"]["level"] != "block"
    # the live surge, and what it would add to this account's next reasoning + coding
    # request: weight (2) x youth x how far the smaller of its reasoning and coding shares
    # moved from the prior 0.25 towards 1
    assert policy["surge"] == surge.audit()
    shares = doc["profile"]["shares"]
    shape = min(1.0, max(0.0, (min(shares["elicit"], shares["focus"]) - 0.25) / 0.75))
    expected = 2.0 * youth * shape if youth >= 0.5 else 0.0
    assert policy["surge_added_to_harvest"] == pytest.approx(expected)
    assert "risk, policy" in table and "risk, own" in table and seeded.campaign_cohort in table


def test_inspect_table_for_people(seeded: Seeded, env, capsys) -> None:
    r = run(capsys, "inspect", seeded.campaign[4])
    assert r.code == 0, r.err
    for text in ("token bucket", "trait shares", "risk", "top reasons", "elicit", "blocked"):
        assert text in r.out, text
    assert seeded.campaign[4] in r.out


def test_inspect_unknown_account_and_wrong_secret(seeded: Seeded, env, capsys) -> None:
    r = run(capsys, "inspect", account_id("sk-never-seen"), "--json")
    assert r.code == 1 and r.json() == {"account": account_id("sk-never-seen"), "found": False}
    assert "nothing is stored" in r.err
    env.setenv("ANTIEXTRACT_SECRET", "another-secret")  # other secret: other store keys
    r = run(capsys, "inspect", seeded.users[1])
    assert r.code == 1 and "ANTIEXTRACT_SECRET" in r.err


@pytest.mark.parametrize("command", ["inspect", "reset", "block", "unblock"])
@pytest.mark.parametrize("account", ["sk-raw-api-key", "78a23a0ffb6fae688f302cb38b5067ea", "ip:"])
def test_what_is_not_an_account_id_is_refused(command, account, env, capsys) -> None:
    r = run(capsys, command, account)
    assert r.code == 2 and r.out == ""
    assert "is not an account id" in r.err and "key:<hex>" in r.err


# --- block, unblock, reset ------------------------------------------------------------


async def test_block_then_unblock_through_the_middleware(seeded: Seeded, env, capsys) -> None:
    clock = SimClock(seeded.clock.now)
    mw = AntiExtractMiddleware(app, settings(), clock, logger=make_logger(stream=io.StringIO()))
    key, account = seeded.user_keys[2], seeded.users[2]
    try:

        async def ask() -> Exchange:
            clock.advance(60)
            return await call(mw, key, user_body(2, 9), clock() - 400 * DAY, "192.0.2.20", "UA")

        assert (await ask()).status == 200
        r = await asyncio.to_thread(run, capsys, "block", account, "--json")
        assert r.code == 0, r.err
        doc = r.json()
        assert doc["action"] == "block" and doc["seconds"] == 3600
        assert doc["blocked_until"] == pytest.approx(time.time() + 3600, abs=60)
        ex = await ask()
        assert ex.status == 403
        assert ex.json()["error"]["code"] == "account_blocked"
        r = await asyncio.to_thread(run, capsys, "inspect", account, "--json")
        assert r.json()["blocked"] is True

        r = await asyncio.to_thread(run, capsys, "unblock", account, "--json")
        assert r.code == 0, r.err
        assert r.json()["was_blocked"] is True and r.json()["blocks_again"] is False
        assert (await ask()).status == 200
        r = await asyncio.to_thread(run, capsys, "inspect", account, "--json")
        assert r.json()["blocked"] is False

        r = await asyncio.to_thread(run, capsys, "block", account, "--seconds", "120")
        assert r.code == 0 and "blocked" in r.out and "403" in r.out
        assert (await ask()).status == 403
        r = await asyncio.to_thread(run, capsys, "unblock", account)
        assert r.code == 0 and r.out.startswith("unblocked")
    finally:
        await mw.store.close()


def test_block_rejects_a_bad_duration(seeded: Seeded, env, capsys) -> None:
    with pytest.raises(SystemExit) as exc:
        run(capsys, "block", seeded.users[3], "--seconds", "-5")
    assert exc.value.code == 2
    assert "positive" in capsys.readouterr().err


def test_reset_forgets_the_account(seeded: Seeded, env, capsys) -> None:
    account = seeded.campaign[7]
    assert run(capsys, "inspect", account, "--json").code == 0
    r = run(capsys, "reset", account, "--json")
    assert r.code == 0 and r.json() == {"account": account, "action": "reset", "existed": True}
    r = run(capsys, "inspect", account, "--json")
    assert r.code == 1 and r.json()["found"] is False
    r = run(capsys, "reset", account)
    assert r.code == 0 and "nothing was stored" in r.out
    key = digest(account, hash_key(SECRET.encode()), 16)
    assert not redis.Redis.from_url(REDIS_URL).exists(f"{PREFIX}:{{a:{key}}}")


# --- campaigns ------------------------------------------------------------------------


def test_campaigns_lists_the_campaign_not_the_ide_population(seeded: Seeded, env, capsys):
    r = run(capsys, "campaigns", "--json")
    assert r.code == 0, r.err
    doc = r.json()
    active = {c["cohort"]: c for c in doc["cohorts"]}
    assert doc["active"] == len(active) >= 1
    assert all(c["score"] > 0 for c in active.values())
    scores = [c["score"] for c in doc["cohorts"]]
    assert scores == sorted(scores, reverse=True)
    camp = active[seeded.campaign_cohort]
    assert camp["kind"] == "template"
    assert camp["accounts"] >= 25 and camp["young"] >= 25
    assert camp["harvest"] >= 0.65 and camp["shares"]["elicit"] > 0.9
    assert camp["requests"] > 0 and camp["last_seen"] <= time.time()
    assert seeded.ide_cohort not in active
    kinds = ("template", "band", "subnet", "client", "part")
    assert all(c["kind"] in kinds for c in active.values())

    r = run(capsys, "campaigns", "--json", "--all")
    every = {c["cohort"]: c for c in r.json()["cohorts"]}
    assert r.json()["cohorts_total"] == len(every) > len(active)
    ide = every[seeded.ide_cohort]  # tracked, many accounts, but old ones: no campaign
    assert ide["kind"] == "template" and ide["score"] == 0
    assert ide["accounts"] >= 25 and ide["young"] == 0


def test_campaigns_under_an_empty_prefix(seeded: Seeded, env, capsys) -> None:
    env.setenv("ANTIEXTRACT_KEY_PREFIX", "aecli-empty")
    r = run(capsys, "campaigns")
    assert r.code == 0 and r.out.strip() == "no cohorts are stored under prefix 'aecli-empty'"
    r = run(capsys, "campaigns", "--json", "--all")
    assert r.json()["cohorts"] == [] and r.json()["cohorts_total"] == 0


def test_campaigns_table_for_people(seeded: Seeded, env, capsys) -> None:
    r = run(capsys, "campaigns")
    assert r.code == 0, r.err
    assert "active campaign" in r.out and seeded.campaign_cohort in r.out
    assert seeded.ide_cohort not in r.out
    r = run(capsys, "campaigns", "--all")
    assert seeded.ide_cohort in r.out


# --- evidence -------------------------------------------------------------------------


def _log_file(seeded: Seeded, tmp_path: Path) -> Path:
    path = tmp_path / "audit.log"
    lines = seeded.log.splitlines()
    # what else a real stderr holds: server chatter, and a line that should never be copied
    first = next(json.loads(x) for x in lines if '"antiextract.decision"' in x)
    intrusion = dict(first, prompt="SECRET PROMPT TEXT", messages=["x"])
    lines[1:1] = ["INFO:     Uvicorn running on http://0.0.0.0:8000", "{not json", "[]"]
    lines.append(json.dumps(intrusion))
    path.write_text("\n".join(lines) + "\n")
    return path


def test_evidence_for_one_account(seeded: Seeded, tmp_path: Path, env, capsys) -> None:
    log = _log_file(seeded, tmp_path)
    account = seeded.campaign[1]
    out = tmp_path / "case.jsonl"
    r = run(capsys, "evidence", account, "--log", str(log), "--out", str(out))
    assert r.code == 0, r.err
    assert r.out == "" and f"to {out}" in r.err
    records = [json.loads(line) for line in out.read_text().splitlines()]
    summary, events = records[0], records[1:]
    assert summary["type"] == "summary" and summary["subject"] == account
    assert summary["subject_kind"] == "account" and summary["accounts"] == 1
    assert summary["events"] == len(events) == ROUNDS
    assert all(e["type"] == "event" and e["account"] == account for e in events)
    assert sum(summary["actions"].values()) == ROUNDS
    assert {s["signal"] for s in summary["top_signals"]} >= {"elicit", "single_turn"}
    stamps = [e["timestamp"] for e in events]
    assert stamps == sorted(stamps)
    assert summary["first_seen"] == stamps[0] and summary["last_seen"] == stamps[-1]
    allowed = set(cli.EVIDENCE_KEYS) | {"type"}
    assert all(set(e) <= allowed for e in events)
    assert "SECRET PROMPT TEXT" not in out.read_text()

    r = run(capsys, "evidence", seeded.users[0], "--log", str(log))  # to stdout
    lines = [json.loads(line) for line in r.out.splitlines()]
    assert r.code == 0 and lines[0]["events"] == ROUNDS == len(lines) - 1
    assert lines[0]["actions"] == {"allow": ROUNDS}


def test_evidence_for_a_campaign_cohort(seeded: Seeded, tmp_path: Path, env, capsys) -> None:
    log = _log_file(seeded, tmp_path)
    r = run(capsys, "evidence", seeded.campaign_cohort, "--log", str(log))
    assert r.code == 0, r.err
    records = [json.loads(line) for line in r.out.splitlines()]
    summary, events = records[0], records[1:]
    assert summary["subject_kind"] == "cohort" and summary["events"] == len(events) > 0
    assert all(e["campaign"]["cohort"] == seeded.campaign_cohort for e in events)
    assert set(events[0]["campaign"]) <= set(cli.EVIDENCE_CAMPAIGN_KEYS)
    assert {e["account"] for e in events} <= set(seeded.campaign)
    assert summary["accounts"] >= 20


def test_evidence_errors(seeded: Seeded, tmp_path: Path, capsys) -> None:
    log = _log_file(seeded, tmp_path)
    r = run(capsys, "evidence", account_id("sk-nobody"), "--log", str(log))
    assert r.code == 1 and "no events" in r.err
    assert json.loads(r.out)["events"] == 0
    r = run(capsys, "evidence", seeded.users[0], "--log", str(tmp_path / "missing.log"))
    assert r.code == 2 and "cannot read the audit log" in r.err and "Traceback" not in r.err


def test_evidence_into_a_pipe_closed_early_stops_quietly(tmp_path: Path) -> None:
    """`antiextract evidence … | head -1`: the reader goes away after one line; the
    command stops without a 'cannot write' error or a traceback on stderr."""
    log = tmp_path / "audit.log"
    line = json.dumps({"event": "decision", "account": "key:00ab", "action": "allow"})
    log.write_text((line + "\n") * 50_000)  # far more than a pipe's buffer
    proc = subprocess.Popen(
        [sys.executable, "-m", "antiextract.ops.cli", "evidence", "key:00ab", "--log", str(log)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE,
    )  # fmt: skip
    assert json.loads(proc.stdout.readline())["type"] == "summary"
    proc.stdout.close()
    err = proc.stderr.read().decode()
    assert proc.wait(timeout=60) == 1
    assert err == ""


# --- stores that cannot be inspected --------------------------------------------------


@pytest.mark.parametrize(
    "argv",
    [["inspect", "key:00"], ["reset", "key:00"], ["block", "key:00"], ["unblock", "key:00"],
     ["allow", "t:00000000000000ab"], ["allow", "--list"],
     ["campaigns"], ["campaigns", "--json"]],
)  # fmt: skip
def test_unreachable_store_is_one_line_and_exit_2(argv, monkeypatch, capsys) -> None:
    monkeypatch.setenv("ANTIEXTRACT_STORAGE_URI", "redis://user:pw@127.0.0.1:1/0")
    r = run(capsys, *argv)
    assert r.code == 2 and r.out == ""
    assert r.err.startswith(f"antiextract {argv[0]}: cannot reach the store at redis://***@")
    assert "127.0.0.1:1" in r.err and "pw" not in r.err
    assert len(r.err.strip().splitlines()) == 1 and "Traceback" not in r.err


@pytest.mark.parametrize("command", ["inspect", "reset", "block", "unblock", "allow", "campaigns"])
def test_memory_store_has_nothing_to_inspect(command, monkeypatch, capsys) -> None:
    monkeypatch.setenv("ANTIEXTRACT_STORAGE_URI", "memory://")
    argv = [command] if command == "campaigns" else [command, "key:00"]
    r = run(capsys, *argv)
    assert r.code == 2 and r.out == ""
    assert "memory://" in r.err and "inside each serving process" in r.err
    assert len(r.err.strip().splitlines()) == 1


def test_bad_configuration_is_exit_2(monkeypatch, capsys) -> None:
    monkeypatch.setenv("ANTIEXTRACT_STORAGE_URI", "postgres://x")
    r = run(capsys, "campaigns")
    assert r.code == 2 and "ANTIEXTRACT_STORAGE_URI" in r.err


@pytest.mark.parametrize(
    "command", ["inspect", "reset", "block", "unblock", "allow", "campaigns", "evidence"]
)
def test_help_explains_each_command(command, capsys) -> None:
    with pytest.raises(SystemExit) as exc:
        cli.main([command, "--help"])
    assert exc.value.code == 0
    text = capsys.readouterr().out
    assert f"usage: antiextract {command}" in text
    if command != "evidence":
        assert "ANTIEXTRACT_STORAGE_URI" in text and "memory://" in text
    if command not in ("campaigns", "evidence"):
        assert "key:<hex>" in text
    with pytest.raises(SystemExit):
        cli.main(["--help"])
    assert command in capsys.readouterr().out


# --- allow ----------------------------------------------------------------------------


async def test_allow_a_campaign_cohort_then_remove_it(seeded: Seeded, env, capsys) -> None:
    """A joiner of the seeded campaign carries its score; once the cohort is allowlisted
    (stored, read back by the middleware in the background) it carries none; removed, it
    carries the score again. The env allowlist is not involved."""
    clock = SimClock(seeded.clock.now)
    log = io.StringIO()
    s = settings().model_copy(update={"allowlist_refresh_seconds": 0.05})
    mw = AntiExtractMiddleware(app, s, clock, logger=make_logger(stream=log))
    n = iter(range(1000, 2000))

    async def joiner_campaign() -> object:
        clock.advance(5)
        i = next(n)
        await call(mw, f"sk-joiner-{i}", campaign_body(i), clock() - DAY, "203.0.113.9", "X/1")
        await asyncio.sleep(0.1)  # let the background refresh land before the next one
        return json.loads(log.getvalue().splitlines()[-1])["campaign"]

    try:
        await joiner_campaign()
        before = await joiner_campaign()
        assert before is not None and before["cohort"] == seeded.campaign_cohort
        r = await asyncio.to_thread(
            run, capsys, "allow", seeded.campaign_cohort, "--note", "known app", "--json"
        )
        assert r.code == 0, r.err
        doc = r.json()
        assert doc["kind"] == "cohort" and doc["value"] == seeded.campaign_cohort
        assert doc["until"] == pytest.approx(time.time() + 30 * DAY, abs=60)
        await joiner_campaign()  # the refresh that picks the entry up runs meanwhile
        after = await joiner_campaign()
        assert after is None or after["cohort"] != seeded.campaign_cohort

        r = await asyncio.to_thread(run, capsys, "allow", "--list", "--json")
        listed = [json.loads(line) for line in r.out.splitlines()]
        assert [(e["kind"], e["value"], e["note"]) for e in listed] == [
            ("cohort", seeded.campaign_cohort, "known app")
        ]
        r = await asyncio.to_thread(run, capsys, "allow", seeded.campaign_cohort, "--remove")
        assert r.code == 0 and r.out.startswith("removed cohort")
        await joiner_campaign()
        again = await joiner_campaign()
        assert again is not None and again["cohort"] == seeded.campaign_cohort
        r = await asyncio.to_thread(run, capsys, "allow", seeded.campaign_cohort, "--remove")
        assert r.code == 1 and "no live allowlist entry" in r.out
    finally:
        await mw.store.close()


def test_allow_an_account_a_subnet_and_expiry(seeded: Seeded, env, capsys) -> None:
    account = seeded.campaign[3]
    r = run(capsys, "allow", account, "--seconds", "600")
    assert r.code == 0 and "allowlisted account" in r.out and "its limits still hold" in r.out
    r = run(capsys, "allow", "198.51.100.7/24", "--json")
    assert r.json()["kind"] == "subnet" and r.json()["value"] == "198.51.100.0/24"
    r = run(capsys, "allow", "--list")
    assert r.code == 0 and account in r.out and "198.51.100.0/24" in r.out
    client = redis.Redis.from_url(REDIS_URL)
    key = f"{PREFIX}:{{allowlist}}"
    ttl = client.ttl(key)
    assert 29 * DAY < ttl <= 30 * DAY + 2  # the key lives as long as its latest entry
    for target in (account, "198.51.100.0/24"):
        assert run(capsys, "allow", target, "--remove").code == 0
    assert run(capsys, "allow", "--list", "--json").out == ""


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["allow"], "give an account id, a cohort id or a CIDR"),
        (["allow", "sk-live-secret"], "is not an account id"),
        (["allow", "not-a-net", "--kind", "subnet"], "is not a CIDR"),
        (["allow", "abc", "--kind", "cohort"], "is not a cohort id"),
        (["allow", "t:00000000000000ab", "--note", "x" * 300], "keep it under 200"),
        (["allow", "t:doesnotexist"], "is not a cohort id"),
    ],
)
def test_allow_refuses_what_it_cannot_store(argv, message, env, capsys) -> None:
    r = run(capsys, *argv)
    assert r.code == 2 and r.out == "" and message in r.err
    assert (
        "sk-live-secret"
        not in redis.Redis.from_url(REDIS_URL).hgetall(f"{PREFIX}:{{allowlist}}").__repr__()
    )


def test_inspect_computes_the_risk_the_request_did_for_an_account_with_a_creation_header(
    seeded: Seeded,
) -> None:
    """The auth layer sent every seeded account's creation time (the IDE users' 400 days
    ago: youth at its floor). The store keeps it with the profile, so ``inspect`` at the
    time of an account's last request adds up the risk its audit event logged; counting
    the age from first seen (as it did) gave four times the youth."""
    events = [orjson.loads(line) for line in seeded.log.splitlines() if line.startswith("{")]
    for account in (seeded.ide[5], seeded.users[1], seeded.campaign[6]):
        last = [e for e in events if e.get("account") == account][-1]
        ops = cli._Ops(settings())

        async def report(ops=ops, account=account):
            try:  # at the time of its last request: the profile's last_seen (simulated)
                now = (await cli.account_report(ops, account, time.time()))["profile"]
                return await cli.account_report(ops, account, now["last_seen"])
            finally:
                await ops.close()

        doc = in_thread(asyncio.run, report())
        assert doc["profile"]["created"] is not None
        policy, linked = doc["risk"]["policy"], last["campaign"]
        # the account's own risk and evidence are what the request added up; the campaign
        # link inspect can see is the one on the account's main template (the wrapper
        # parts, subnet and client links of the request are in its audit event only)
        added = linked["added"] if linked else 0.0
        # a surge that weighed on the request is its own line (the seed's campaign is one)
        surged = last["surge"]["added"] if last.get("surge") else 0.0
        own = policy["own"] + policy["evidence"]
        assert own == pytest.approx(last["risk"] - added - surged, abs=2e-3), account
        if linked is None:
            assert policy["risk"] == pytest.approx(last["risk"] - surged, abs=2e-3), account
        else:  # a subset of the request's links: never more than they added
            assert 0 < policy["campaign_added"] <= added + 2e-3, account
    assert any(e["campaign"] for e in events if e.get("account") == seeded.campaign[6])


def test_help_texts_are_plain_and_json_is_where_the_readme_says(capsys) -> None:
    """`report --help` showed reST markup (``acted_on``) and an `--out` with no help; the
    README said every command has `--json` (evidence and report have none): the README
    now names the commands that do, and each of them does."""
    import re
    from pathlib import Path

    import pytest

    from antiextract.ops.cli import build_parser, main

    subparsers = next(
        a for a in build_parser()._actions if a.__class__.__name__ == "_SubParsersAction"
    )
    for command in subparsers.choices:  # every command's help is plain text
        with pytest.raises(SystemExit):
            main([command, "--help"])
        text = capsys.readouterr().out
        assert "``" not in text and ":mod:" not in text, command
    with pytest.raises(SystemExit):
        main(["report", "--help"])
    text = capsys.readouterr().out
    assert re.search(r"--out FILE\s+where to write the HTML file \(default:", text)
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text()
    section = readme.split("## Operator commands", 1)[1].split("```", 1)[0]
    named = re.search(r"The store commands \(([^)]*)\) and `replay` have `--json`", section)
    assert named, section
    commands = [*re.findall(r"`(\w+)`", named[1]), "replay"]
    subparsers = next(
        a for a in build_parser()._actions if a.__class__.__name__ == "_SubParsersAction"
    )
    for name in commands:
        options = {o for a in subparsers.choices[name]._actions for o in a.option_strings}
        assert "--json" in options, name


def test_inspect_says_what_a_window_counts(seeded: Seeded, env, capsys) -> None:
    """`account-20000-per-86400s 15.0 of 20,000` stood beside `requests on day 43`
    unexplained: the window counts only what the limits admitted (a request the budget,
    a window or a standing block refused is not counted), the day's count is every
    request the profile saw. Both are said."""
    import re

    blocked = seeded.campaign[4]
    data = run(capsys, "inspect", blocked, "--json").json()
    windows = [w for w in data["windows"] if w["seconds"] == 86_400]
    assert windows and data["profile"]["day_count"] >= windows[0]["current"]
    env.setenv("COLUMNS", "300")
    r = run(capsys, "inspect", blocked)
    assert r.code == 0, r.err
    text = re.sub(r"[\s│┃]+", " ", r.out)
    assert "requests admitted in the sliding 24.0 h window (one refused by the token" in text
    assert "(UTC calendar day; every request the risk profile saw, refused ones too)" in text


def test_campaigns_says_which_acted_and_which_only_linked(
    seeded: Seeded, env, capsys, tmp_path: Path
) -> None:
    """`campaigns` listed every flagged cohort, the report only those that acted: with
    the audit log, `campaigns --log` makes the report's split, cohort by cohort."""
    from antiextract.ops.report import build, events_from_log

    log = tmp_path / "audit.jsonl"
    log.write_text(seeded.log)
    r = run(capsys, "campaigns", "--all", "--json", "--log", str(log))
    assert r.code == 0, r.err
    cohorts = {c["cohort"]: c for c in r.json()["cohorts"]}
    report, _ = build(events_from_log(seeded.log.splitlines()))
    members = len(report[seeded.campaign_cohort].members)
    assert members > 0
    assert cohorts[seeded.campaign_cohort]["in_log"] == f"acted ({members})"
    for cohort, camp in report.items():
        if not camp.members and cohort in cohorts:
            assert cohorts[cohort]["in_log"] == "linked only", cohort
    assert cohorts[seeded.ide_cohort]["in_log"] == "absent"
    env.setenv("COLUMNS", "300")
    text = run(capsys, "campaigns", "--log", str(log)).out
    assert "in the log" in text and f"acted ({members})" in text
    assert "--log FILE splits them" in run(capsys, "campaigns").out
