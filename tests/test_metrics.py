"""Prometheus metrics: exact names, labels and values as scraped, bounded cardinality,
the ASGI endpoints, and the cost of recording a decision."""

from __future__ import annotations

import hashlib
import io
import itertools
from typing import Any

import httpx
import prometheus_client
import pytest
import redis.exceptions
from hypothesis import given, settings
from hypothesis import strategies as st
from prometheus_client.parser import text_string_to_metric_families
from starlette.applications import Starlette
from starlette.routing import Mount

from antiextract import AntiExtractMiddleware, Settings
from antiextract.audit import make_logger
from antiextract.metrics import (
    APIS,
    CHALLENGES,
    LATENCY_BUCKETS,
    OTHER,
    REASONS,
    SETTLEMENTS,
    STORE_ERRORS,
    STORES,
    Metrics,
    error_kind,
    metrics_app,
    mount_metrics,
    reason_category,
)
from antiextract.request.middleware import limits_from
from antiextract.request.policy import ACTIONS
from antiextract.store import MemoryStore, StoreError
from antiextract.store.resp import RespError

Samples = dict[tuple[str, frozenset[tuple[str, str]]], float]


async def scrape(app: Any, path: str = "/metrics") -> httpx.Response:
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        return await client.get(path)


async def scrape_text(metrics: Metrics) -> str:
    response = await scrape(metrics_app(metrics))
    assert response.status_code == 200
    return response.text


def parse(text: str) -> Samples:
    out: Samples = {}
    for family in text_string_to_metric_families(text):
        for s in family.samples:
            out[(s.name, frozenset(s.labels.items()))] = s.value
    return out


def value(samples: Samples, name: str, **labels: str) -> float:
    return samples[(name, frozenset(labels.items()))]


def series(samples: Samples, name: str) -> list[dict[str, str]]:
    return [dict(labels) for (n, labels) in samples if n == name]


# --- decisions and added latency -------------------------------------------------------


async def test_decisions_are_counted_with_bounded_labels() -> None:
    m = Metrics()
    m.decision("allow", (), "openai.chat", True, 20e-6, "memory")
    m.decision("allow", (), "openai.chat", True, 30e-6, "memory")
    m.decision("throttle", ("request_limit:acct-300-per-60s",), "openai.chat", True, 1e-4, "redis")
    m.decision("throttle", ("token_budget",), "anthropic.messages", False, 2e-4, "redis")
    m.decision("degrade", ("risk>=3.5",), "openai.responses", True, 3e-4, "redis")
    m.decision("challenge", ("risk>=6",), "openai.responses", True, 3e-4, "redis")
    m.decision("block", ("blocked",), "generic", True, 4e-3, "fallback")
    text = await scrape_text(m)

    # the exact exposition lines (prometheus_client writes the labels in sorted order)
    lines = text.splitlines()
    assert (
        'antiextract_decisions_total{action="allow",api="openai.chat",enforced="true",'
        'reason="allow"} 2.0'
    ) in lines
    assert (
        'antiextract_decisions_total{action="throttle",api="openai.chat",enforced="true",'
        'reason="request_limit"} 1.0'
    ) in lines
    assert 'antiextract_added_latency_seconds_bucket{le="5e-05",store="memory"} 2.0' in lines
    assert "# TYPE antiextract_decisions_total counter" in text
    assert "# TYPE antiextract_added_latency_seconds histogram" in text

    s = parse(text)
    assert sorted(
        (d["action"], d["reason"], d["api"], d["enforced"])
        for d in series(s, "antiextract_decisions_total")
    ) == [
        ("allow", "allow", "openai.chat", "true"),
        ("block", "blocked", "generic", "true"),
        ("challenge", "risk", "openai.responses", "true"),
        ("degrade", "risk", "openai.responses", "true"),
        ("throttle", "request_limit", "openai.chat", "true"),
        ("throttle", "token_budget", "anthropic.messages", "false"),
    ]
    for labels in series(s, "antiextract_decisions_total"):
        expected = 2.0 if labels["action"] == "allow" else 1.0
        assert value(s, "antiextract_decisions_total", **labels) == expected

    assert value(s, "antiextract_added_latency_seconds_count", store="memory") == 2
    assert value(s, "antiextract_added_latency_seconds_sum", store="memory") == pytest.approx(50e-6)
    assert value(s, "antiextract_added_latency_seconds_count", store="redis") == 4
    assert value(s, "antiextract_added_latency_seconds_count", store="fallback") == 1
    # cumulative buckets: 20 µs and 30 µs both fall in le=5e-05, none in le=1e-05
    assert value(s, "antiextract_added_latency_seconds_bucket", store="memory", le="1e-05") == 0
    assert value(s, "antiextract_added_latency_seconds_bucket", store="memory", le="2.5e-05") == 1
    assert value(s, "antiextract_added_latency_seconds_bucket", store="memory", le="5e-05") == 2
    assert value(s, "antiextract_added_latency_seconds_bucket", store="fallback", le="0.0025") == 0
    assert value(s, "antiextract_added_latency_seconds_bucket", store="fallback", le="0.005") == 1
    assert value(s, "antiextract_added_latency_seconds_bucket", store="redis", le="+Inf") == 4
    les = [d["le"] for d in series(s, "antiextract_added_latency_seconds_bucket")
           if d["store"] == "memory"]  # fmt: skip
    assert [float(x) for x in les] == [*LATENCY_BUCKETS, float("inf")]

    # a decision of the fallback is also counted as one
    assert value(s, "antiextract_store_fallback_total") == 1


def test_latency_buckets_span_10_us_to_50_ms_in_log_steps() -> None:
    assert LATENCY_BUCKETS[0] == pytest.approx(10e-6)
    assert LATENCY_BUCKETS[-1] == pytest.approx(50e-3)
    ratios = [b / a for a, b in itertools.pairwise(LATENCY_BUCKETS)]
    assert all(2 <= r <= 2.5 + 1e-9 for r in ratios)


@pytest.mark.parametrize(
    ("reasons", "category"),
    [
        ((), "allow"),
        (("token_budget",), "token_budget"),
        (("request_limit:account-300-per-60s",), "request_limit"),
        (("request_limit:ip-60-per-1s",), "request_limit"),
        (("blocked",), "blocked"),
        (("risk>=3.5",), "risk"),
        (("risk>=6",), "risk"),
        (("campaign_budget", "campaign:t:3f2a9c"), "campaign_budget"),
        (("campaign:t:3f2a9c",), OTHER),
        (("whatever",), OTHER),
        (("whatever", "risk>=9"), "risk"),
        (("",), OTHER),
    ],
)
def test_reason_categories(reasons: tuple[str, ...], category: str) -> None:
    assert reason_category(reasons) == category


@settings(max_examples=300, deadline=None)
@given(st.lists(st.text(max_size=60), max_size=4))
def test_any_reasons_map_to_the_bounded_set(reasons: list[str]) -> None:
    assert reason_category(tuple(reasons)) in REASONS


@settings(max_examples=200, deadline=None)
@given(
    action=st.text(max_size=20) | st.sampled_from(ACTIONS),
    reasons=st.lists(st.text(max_size=40), max_size=3).map(tuple),
    api=st.text(max_size=20) | st.sampled_from(APIS),
    enforced=st.booleans(),
    store=st.text(max_size=20) | st.sampled_from(STORES),
    seconds=st.floats(min_value=0, max_value=10),
)
def test_any_decision_arguments_give_known_label_values(
    action: str, reasons: tuple[str, ...], api: str, enforced: bool, store: str, seconds: float
) -> None:
    m = Metrics()
    m.decision(action, reasons, api, enforced, seconds, store)
    s = parse(m.exposition().decode())
    (labels,) = series(s, "antiextract_decisions_total")
    assert labels["action"] in (*ACTIONS, OTHER)
    assert labels["action"] == (action if action in ACTIONS else OTHER)
    assert labels["reason"] in REASONS
    assert labels["api"] == (api if api in APIS else OTHER)
    assert labels["enforced"] == ("true" if enforced else "false")
    (latency,) = {d["store"] for d in series(s, "antiextract_added_latency_seconds_count")}
    assert latency == (store if store in STORES else OTHER)


# --- label cardinality -----------------------------------------------------------------


async def test_a_thousand_accounts_leave_the_series_bounded() -> None:
    m = Metrics()
    accounts = [f"key:{hashlib.sha256(b'%d' % i).hexdigest()[:16]}" for i in range(1000)]
    ips = [f"198.51.{i // 256}.{i % 256}" for i in range(1000)]
    for i, (account, ip) in enumerate(zip(accounts, ips, strict=True)):
        action = ACTIONS[i % len(ACTIONS)]
        # account-like strings pushed through every argument that could leak them
        m.decision(action, (f"request_limit:{account}",), "openai.chat", True, 1e-4, "redis")
        m.decision(action, (account,), account, bool(i % 2), 1e-4, ip)
        m.decision(account, (f"risk>={i}",), "anthropic.messages", False, 1e-4, "memory")
        m.decision("throttle", ("campaign_budget", f"campaign:{account}"), "generic", True, 0, ip)
        m.store_error(account)
        m.challenge(account)
        m.settlement(account, 10)
        m.store_call(1e-4)
    text = await scrape_text(m)
    s = parse(text)

    label_values = {v for (_, labels) in s for (_, v) in labels}
    for account, ip in zip(accounts, ips, strict=True):
        assert account not in text and account[4:] not in text and ip not in text
    assert not any("key:" in v or "198.51." in v for v in label_values)

    actions = len(ACTIONS) + 1
    bound = actions * len(REASONS) * len(APIS) * 2
    decisions = series(s, "antiextract_decisions_total")
    assert len(decisions) <= bound
    # 5 actions x request_limit + 5 actions x other api x 2 + 1 other action + 1 campaign
    assert len(decisions) == 5 + 10 + 1 + 1
    assert len(series(s, "antiextract_added_latency_seconds_count")) <= len(STORES)
    assert len(series(s, "antiextract_store_errors_total")) == len(STORE_ERRORS)
    assert len(series(s, "antiextract_challenges_total")) == len(CHALLENGES)
    assert len(series(s, "antiextract_settlements_total")) == len(SETTLEMENTS)
    assert value(s, "antiextract_challenges_total", outcome=OTHER) == 1000
    assert value(s, "antiextract_store_errors_total", kind=OTHER) == 1000
    assert value(s, "antiextract_settlements_total", outcome=OTHER) == 1000
    assert value(s, "antiextract_settled_tokens_total") == 10_000
    assert sum(v for (n, _), v in s.items() if n == "antiextract_decisions_total") == 4000
    assert (
        value(
            s,
            "antiextract_decisions_total",
            action="throttle",
            reason="campaign_budget",
            api="generic",
            enforced="true",
        )
        == 1000
    )
    assert len(s) < 400  # every sample of every metric, _created included


def test_the_decision_cache_stays_bounded() -> None:
    m = Metrics()
    for i in range(10_000):
        m.decision("throttle", (f"request_limit:account-{i}",), "openai.chat", True, 1e-4, "redis")
    assert len(m._decisions) <= 4096
    assert len(m._decision_children) == 1
    s = parse(m.exposition().decode())
    assert (
        value(
            s,
            "antiextract_decisions_total",
            action="throttle",
            reason="request_limit",
            api="openai.chat",
            enforced="true",
        )
        == 10_000
    )


def test_unhashable_arguments_are_labelled_not_cached() -> None:
    m = Metrics()
    m.decision("allow", ["risk>=3"], "openai.chat", True, 1e-4, "memory")  # type: ignore[arg-type]
    s = parse(m.exposition().decode())
    assert (
        value(
            s,
            "antiextract_decisions_total",
            action="allow",
            reason="risk",
            api="openai.chat",
            enforced="true",
        )
        == 1
    )
    assert not m._decisions


# --- store -----------------------------------------------------------------------------


async def test_store_round_trips_errors_circuit_and_fallback() -> None:
    m = Metrics()
    s = parse(await scrape_text(m))
    assert value(s, "antiextract_store_circuit_open") == 0
    assert value(s, "antiextract_store_fallback_total") == 0
    assert value(s, "antiextract_store_seconds_count") == 0
    for kind in STORE_ERRORS:  # known kinds start at zero
        assert value(s, "antiextract_store_errors_total", kind=kind) == 0

    m.store_call(80e-6)
    m.store_call(300e-6)
    m.store_call(0.25)
    m.store_error("timeout")
    m.store_error("timeout")
    m.store_error("connection")
    m.store_error("response")
    m.store_error("redis://user:secret@10.0.0.1")  # never a label
    m.circuit(True)
    m.decision("allow", (), "openai.chat", True, 1e-4, "fallback")
    m.decision("throttle", ("token_budget",), "openai.chat", True, 1e-4, "fallback")
    text = await scrape_text(m)
    s = parse(text)
    assert "secret" not in text and "10.0.0.1" not in text
    assert value(s, "antiextract_store_seconds_count") == 3
    assert value(s, "antiextract_store_seconds_sum") == pytest.approx(0.25038)
    assert value(s, "antiextract_store_seconds_bucket", le="0.0001") == 1
    assert value(s, "antiextract_store_seconds_bucket", le="0.0005") == 2
    assert value(s, "antiextract_store_seconds_bucket", le="0.25") == 3
    assert value(s, "antiextract_store_errors_total", kind="timeout") == 2
    assert value(s, "antiextract_store_errors_total", kind="connection") == 1
    assert value(s, "antiextract_store_errors_total", kind="response") == 1
    assert value(s, "antiextract_store_errors_total", kind=OTHER) == 1
    assert value(s, "antiextract_store_circuit_open") == 1
    assert value(s, "antiextract_store_fallback_total") == 2
    assert "antiextract_store_circuit_open 1.0" in text.splitlines()

    m.circuit(False)
    m.decision("allow", (), "openai.chat", True, 1e-4, "redis")
    s = parse(await scrape_text(m))
    assert value(s, "antiextract_store_circuit_open") == 0
    assert value(s, "antiextract_store_fallback_total") == 2


def _wrapped(cause: BaseException) -> StoreError:
    try:
        try:
            raise cause
        except BaseException as exc:
            raise StoreError(f"redis evaluate failed: {type(exc).__name__}") from exc
    except StoreError as err:
        return err


@pytest.mark.parametrize(
    ("exc", "kind"),
    [
        (TimeoutError("redis did not answer within 0.25 s"), "timeout"),
        (redis.exceptions.TimeoutError("Timeout reading from socket"), "timeout"),
        (ConnectionRefusedError(111, "refused"), "connection"),
        (ConnectionError("redis connection lost"), "connection"),
        (redis.exceptions.ConnectionError("Error 111 connecting"), "connection"),
        (OSError(101, "Network is unreachable"), "connection"),
        (redis.exceptions.ResponseError("WRONGTYPE Operation against a key"), "response"),
        (RespError("ERR unknown command"), "response"),
        (ValueError("unpack"), OTHER),
    ],
)
def test_error_kinds(exc: BaseException, kind: str) -> None:
    assert error_kind(exc) == kind
    assert error_kind(_wrapped(exc)) == kind  # as the middleware sees it: a StoreError


def test_error_kind_of_a_bare_store_error() -> None:
    assert error_kind(StoreError("redis evaluate failed")) == OTHER


# --- settlements, challenges, campaigns ------------------------------------------------


async def test_settlements_and_settled_tokens() -> None:
    m = Metrics()
    s = parse(await scrape_text(m))
    for outcome in SETTLEMENTS:
        assert value(s, "antiextract_settlements_total", outcome=outcome) == 0
    assert value(s, "antiextract_settled_tokens_total") == 0

    m.settlement("settled", 120)
    m.settlement("settled", 30.5)
    m.settlement("settled", 0)
    m.settlement("refunded", 0)
    m.settlement("no_usage", 0)
    m.settlement("no_usage", -5)  # never makes the counter go down
    s = parse(await scrape_text(m))
    assert value(s, "antiextract_settlements_total", outcome="settled") == 3
    assert value(s, "antiextract_settlements_total", outcome="refunded") == 1
    assert value(s, "antiextract_settlements_total", outcome="no_usage") == 2
    assert value(s, "antiextract_settlements_total", outcome=OTHER) == 0
    assert value(s, "antiextract_settled_tokens_total") == 150.5


async def test_challenge_outcomes() -> None:
    m = Metrics()
    s = parse(await scrape_text(m))
    assert {d["outcome"] for d in series(s, "antiextract_challenges_total")} == set(CHALLENGES)
    assert {
        "issued",
        "solved",
        "allowance",
        "replayed",
        "forged",
        "expired",
        "wrong_account",
        "insufficient_work",
        "malformed",
    } <= set(CHALLENGES)

    for i, outcome in enumerate(CHALLENGES):
        for _ in range(i + 1):
            m.challenge(outcome)
    m.challenge("a token the client made up")
    s = parse(await scrape_text(m))
    for i, outcome in enumerate(CHALLENGES):
        expected = i + 1 + (1 if outcome == OTHER else 0)
        assert value(s, "antiextract_challenges_total", outcome=outcome) == expected


async def test_campaigns_gauge() -> None:
    m = Metrics()
    assert value(parse(await scrape_text(m)), "antiextract_campaigns_active") == 0
    m.campaigns(7)
    assert value(parse(await scrape_text(m)), "antiextract_campaigns_active") == 7
    m.campaigns(2)
    text = await scrape_text(m)
    assert "antiextract_campaigns_active 2.0" in text.splitlines()
    assert "# TYPE antiextract_campaigns_active gauge" in text


async def test_every_name_is_prefixed_and_help_is_present() -> None:
    m = Metrics()
    m.decision("allow", (), "openai.chat", True, 1e-4, "memory")
    text = await scrape_text(m)
    names = {f.name for f in text_string_to_metric_families(text)}
    names -= {n for n in names if n.endswith("_created")}  # prometheus_client's own series
    assert names == {
        "antiextract_decisions",
        "antiextract_added_latency_seconds",
        "antiextract_store_seconds",
        "antiextract_store_errors",
        "antiextract_store_circuit_open",
        "antiextract_store_fallback",
        "antiextract_settlements",
        "antiextract_settled_tokens",
        "antiextract_challenges",
        "antiextract_internal_errors",
        "antiextract_campaigns_active",
        "antiextract_ignored_headers",
        "antiextract_conflicting_credentials",
        "antiextract_intel_lag_seconds",
        "antiextract_intel_verdicts",
        "antiextract_intel_records",
        "antiextract_intel_records_dropped",
        "antiextract_recorder_lines_dropped",
    }
    for name in names:
        assert f"# HELP {name}" in text


# --- registries ------------------------------------------------------------------------


async def test_two_instances_do_not_conflict() -> None:
    a, b = Metrics(), Metrics()
    assert a.registry is not b.registry
    a.decision("allow", (), "openai.chat", True, 1e-4, "memory")
    a.challenge("issued")
    b.challenge("issued")
    b.challenge("issued")
    sa, sb = parse(await scrape_text(a)), parse(await scrape_text(b))
    assert value(sa, "antiextract_challenges_total", outcome="issued") == 1
    assert value(sb, "antiextract_challenges_total", outcome="issued") == 2
    assert series(sb, "antiextract_decisions_total") == []


def process_samples() -> Samples:
    return parse(prometheus_client.generate_latest(prometheus_client.REGISTRY).decode())


async def test_every_instance_is_published_once_on_the_default_registry() -> None:
    """The host's own /metrics (the default registry) shows the sum of every middleware's
    counters; making more instances registers nothing more (no duplicate error)."""
    before = process_samples()
    base = before.get(("antiextract_challenges_total", frozenset({("outcome", "forged")})), 0.0)
    collectors = len(prometheus_client.REGISTRY._collector_to_names)
    a, b = Metrics(), Metrics()
    assert len(prometheus_client.REGISTRY._collector_to_names) == collectors
    a.challenge("forged")
    b.challenge("forged")
    b.challenge("forged")
    b.circuit(True)
    after = process_samples()
    assert value(after, "antiextract_challenges_total", outcome="forged") == base + 3
    assert value(after, "antiextract_store_circuit_open") == 1  # the largest: any is open
    # each instance still reads only its own
    assert value(parse(await scrape_text(a)), "antiextract_challenges_total", outcome="forged") == 1
    b.circuit(False)


async def test_a_collected_instance_leaves_its_counts_behind() -> None:
    """Counters never go down on the default registry when a middleware goes away."""
    import gc

    m = Metrics()
    base = value(process_samples(), "antiextract_challenges_total", outcome="expired")
    m.challenge("expired")
    m.decision("throttle", ("request_limit:x",), "openai.chat", True, 2e-4, "memory")
    m.circuit(True)
    mid = process_samples()
    assert value(mid, "antiextract_challenges_total", outcome="expired") == base + 1
    count = value(mid, "antiextract_added_latency_seconds_count", store="memory")
    del m
    gc.collect()
    after = process_samples()
    assert value(after, "antiextract_challenges_total", outcome="expired") == base + 1
    assert value(after, "antiextract_added_latency_seconds_count", store="memory") == count


async def test_unpublished_and_default_registry_instances() -> None:
    collectors = len(prometheus_client.REGISTRY._collector_to_names)
    m = Metrics(publish=False)
    base = value(process_samples(), "antiextract_challenges_total", outcome="malformed")
    m.challenge("malformed")
    assert value(process_samples(), "antiextract_challenges_total", outcome="malformed") == base
    with pytest.raises(ValueError, match=r"publish on prometheus_client\.REGISTRY"):
        Metrics(registry=prometheus_client.REGISTRY)
    assert len(prometheus_client.REGISTRY._collector_to_names) == collectors


async def test_metrics_app_without_an_instance_serves_the_process() -> None:
    """The recipe for app.add_middleware (no middleware object in hand)."""
    from fastapi import FastAPI

    app = FastAPI()
    app.add_middleware(  # type: ignore[arg-type]
        AntiExtractMiddleware,
        settings=Settings(mode="enforce", account_limits="", ip_limits=""),
        logger=make_logger(stream=io.StringIO()),
    )

    @app.post("/v1/chat/completions")
    async def chat() -> dict[str, Any]:
        return {"choices": [], "usage": {"prompt_tokens": 1, "completion_tokens": 1}}

    app.mount("/metrics", metrics_app())
    labels = {"action": "allow", "reason": "allow", "api": "openai.chat", "enforced": "true"}
    transport = httpx.ASGITransport(app=app, client=("203.0.113.10", 5000))
    async with httpx.AsyncClient(
        transport=transport, base_url="http://test", follow_redirects=True
    ) as client:
        before = parse((await client.get("/metrics")).text)
        body = {"model": "m", "messages": [{"role": "user", "content": "hello"}]}
        headers = {"authorization": "Bearer sk-process-view"}
        for _ in range(2):
            r = await client.post("/v1/chat/completions", json=body, headers=headers)
            assert r.status_code == 200
        scraped = await client.get("/metrics")
    assert scraped.status_code == 200
    after = parse(scraped.text)
    key = ("antiextract_decisions_total", frozenset(labels.items()))
    assert after[key] == before.get(key, 0.0) + 2
    assert "sk-process-view" not in scraped.text


MULTIPROCESS_WORKER = """
import sys
from antiextract.metrics import Metrics
m = Metrics()
for _ in range(int(sys.argv[1])):
    m.decision("block", ("blocked",), "openai.chat", True, 1e-4, "redis")
"""

MULTIPROCESS_SCRAPE = """
import asyncio, httpx
from antiextract.metrics import metrics_app
async def main():
    transport = httpx.ASGITransport(app=metrics_app())
    async with httpx.AsyncClient(transport=transport, base_url="http://t") as c:
        print((await c.get("/metrics")).text)
asyncio.run(main())
"""


def test_multiprocess_mode_adds_up_the_workers(tmp_path: Any) -> None:
    """The documented recipe for several workers: PROMETHEUS_MULTIPROC_DIR set before they
    start, metrics_app() serves every worker's counters added up."""
    import os
    import subprocess
    import sys

    env = {**os.environ, "PROMETHEUS_MULTIPROC_DIR": str(tmp_path)}
    for n in ("2", "3"):
        subprocess.run([sys.executable, "-c", MULTIPROCESS_WORKER, n], env=env, check=True)
    out = subprocess.run(
        [sys.executable, "-c", MULTIPROCESS_SCRAPE],
        env=env,
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    s = parse(out)
    labels = {"action": "block", "reason": "blocked", "api": "openai.chat", "enforced": "true"}
    assert value(s, "antiextract_decisions_total", **labels) == 5
    assert value(s, "antiextract_added_latency_seconds_count", store="redis") == 5


# --- ASGI endpoints --------------------------------------------------------------------


async def test_metrics_app_serves_get_only() -> None:
    m = Metrics()
    app = metrics_app(m)
    response = await scrape(app)
    assert response.status_code == 200
    assert response.headers["content-type"] == prometheus_client.CONTENT_TYPE_LATEST
    assert int(response.headers["content-length"]) == len(response.content)
    assert response.content == m.exposition()

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        for method in ("POST", "PUT", "DELETE", "HEAD"):
            r = await client.request(method, "/metrics")
            assert r.status_code == 405, method
            assert r.headers["allow"] == "GET"


async def test_metrics_app_answers_lifespan_on_its_own() -> None:
    app = metrics_app(Metrics())
    incoming = [{"type": "lifespan.startup"}, {"type": "lifespan.shutdown"}]
    sent: list[dict[str, Any]] = []

    async def receive() -> dict[str, Any]:
        return incoming.pop(0)

    async def send(message: dict[str, Any]) -> None:
        sent.append(message)

    await app({"type": "lifespan"}, receive, send)
    assert [m["type"] for m in sent] == [
        "lifespan.startup.complete",
        "lifespan.shutdown.complete",
    ]


class Recorder:
    """An app recording the exact scope, messages and callables it was given."""

    def __init__(self) -> None:
        self.calls: list[tuple[dict[str, Any], Any, Any]] = []

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        self.calls.append((scope, receive, send))
        if scope["type"] != "http":
            return
        body = b""
        while True:
            message = await receive()
            body += message.get("body", b"")
            if not message.get("more_body"):
                break
        await send(
            {
                "type": "http.response.start",
                "status": 201,
                "headers": [(b"x-app", b"yes"), (b"content-type", b"application/json")],
            }
        )
        await send({"type": "http.response.body", "body": b"echo:" + body})


async def test_mount_metrics_answers_its_path_and_passes_the_rest_untouched() -> None:
    m = Metrics()
    m.challenge("issued")
    inner = Recorder()
    app = mount_metrics(inner, m)
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        r = await client.get("/metrics")
        assert r.status_code == 200
        assert 'antiextract_challenges_total{outcome="issued"} 1.0' in r.text.splitlines()
        assert inner.calls == []
        assert (await client.post("/metrics")).status_code == 405
        assert inner.calls == []

        for method, path in [
            ("POST", "/v1/chat/completions"),
            ("GET", "/metrics/"),
            ("GET", "/metricsx"),
            ("GET", "/v1/metrics"),
            ("GET", "/"),
        ]:
            r = await client.request(method, path, content=b"payload")
            assert r.status_code == 201
            assert r.headers["x-app"] == "yes"
            assert r.content == b"echo:payload"
            assert inner.calls[-1][0]["path"] == path
            assert inner.calls[-1][0]["method"] == method

    # the very objects go through, and non-HTTP scopes too
    scope = {"type": "lifespan", "asgi": {"version": "3.0"}}

    async def receive() -> dict[str, Any]:
        return {"type": "lifespan.shutdown"}

    async def send(message: dict[str, Any]) -> None:
        return None

    await app(scope, receive, send)
    assert inner.calls[-1] == (scope, receive, send)
    ws = {"type": "websocket", "path": "/metrics"}
    await app(ws, receive, send)
    assert inner.calls[-1][0] is ws


async def test_mount_metrics_on_another_path() -> None:
    inner = Recorder()
    app = mount_metrics(inner, Metrics(), path="/antiextract/metrics")
    assert (await scrape(app, "/antiextract/metrics")).status_code == 200
    assert (await scrape(app, "/metrics")).status_code == 201


async def test_starlette_mount_as_documented() -> None:
    m = Metrics()
    m.campaigns(3)
    app = Starlette(routes=[Mount("/metrics", app=metrics_app(m))])
    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(
        transport=transport, base_url="http://test", follow_redirects=True
    ) as client:
        r = await client.get("/metrics")  # redirected to /metrics/, as Prometheus follows
        assert r.status_code == 200
        assert "antiextract_campaigns_active 3.0" in r.text.splitlines()
    routed = Starlette()
    routed.add_route("/metrics", metrics_app(m))
    r = await scrape(routed)
    assert r.status_code == 200 and not r.history
    assert "antiextract_campaigns_active 3.0" in r.text.splitlines()


# --- wired into the middleware and the gateway -----------------------------------------


USAGE = (
    b'{"id":"x","choices":[{"message":{"content":"hi"}}],'
    b'"usage":{"prompt_tokens":10,"completion_tokens":5,"total_tokens":15}}'
)


class ModelApp:
    """A model server answering every request with ``body``."""

    def __init__(self, body: bytes = USAGE, status: int = 200) -> None:
        self.body, self.status = body, status

    async def __call__(self, scope: dict[str, Any], receive: Any, send: Any) -> None:
        if scope["type"] != "http":
            return
        while (await receive()).get("more_body"):
            pass
        headers = [(b"content-type", b"application/json")]
        await send({"type": "http.response.start", "status": self.status, "headers": headers})
        await send({"type": "http.response.body", "body": self.body})


class KeptStore(MemoryStore):
    """A memory store the middleware keeps: an empty MemoryStore is falsy (``__len__``),
    and ``store or create_store(...)`` would replace it."""

    def __bool__(self) -> bool:
        return True


class FailingStore(KeptStore):
    """A store whose every evaluate times out, as Redis would."""

    async def evaluate(self, *args: Any, **kwargs: Any) -> Any:
        try:
            raise TimeoutError("redis did not answer within 0.25 s")
        except TimeoutError as exc:
            raise StoreError(f"redis evaluate failed: {exc}") from exc


def protected(app: Any, store_class: type[MemoryStore] = KeptStore, **kw: Any) -> Any:
    base: dict[str, Any] = {
        "bucket_capacity": 10_000,
        "bucket_refill_per_second": 10.0,
        "default_output_tokens": 1_024,  # a small bucket: no-budget requests reserve 1,024
        "account_limits": "",
        "ip_limits": "",
    }
    s = Settings(**{**base, **kw})
    metrics = Metrics()
    store = store_class(limits_from(s))
    mw = AntiExtractMiddleware(  # type: ignore[call-arg]
        app,
        s,
        lambda: 1_800_000_000.0,
        store=store,
        logger=make_logger(stream=io.StringIO()),
        metrics=metrics,
    )
    assert mw.metrics is metrics and mw.store is store
    return mw


async def post(app: Any, key: str = "sk-test-1", path: str = "/v1/chat/completions") -> int:
    body = b'{"model":"m","messages":[{"role":"user","content":"hello"}]}'
    headers = {"authorization": f"Bearer {key}", "content-type": "application/json"}
    transport = httpx.ASGITransport(app=app, client=("203.0.113.10", 5000))
    async with httpx.AsyncClient(transport=transport, base_url="http://test") as client:
        return (await client.post(path, content=body, headers=headers)).status_code


async def test_the_middleware_records_decisions_and_settlements() -> None:
    mw = protected(ModelApp(), mode="enforce")
    for _ in range(3):
        assert await post(mw) == 200
    app = mount_metrics(mw, mw.metrics)
    text = (await scrape(app)).text
    s = parse(text)
    assert (
        value(
            s,
            "antiextract_decisions_total",
            action="allow",
            reason="allow",
            api="openai.chat",
            enforced="true",
        )
        == 3
    )
    assert value(s, "antiextract_added_latency_seconds_count", store="memory") == 3
    assert value(s, "antiextract_store_seconds_count") == 3
    assert value(s, "antiextract_settlements_total", outcome="settled") == 3
    assert value(s, "antiextract_settled_tokens_total") == 45
    assert value(s, "antiextract_store_circuit_open") == 0
    assert "sk-test-1" not in text and "203.0.113.10" not in text and "key:" not in text


async def test_the_middleware_records_throttles_in_shadow_and_enforce() -> None:
    for mode, enforced in (("enforce", "true"), ("shadow", "false")):
        # no usage in the answer: the first request keeps the whole bucket it took
        mw = protected(ModelApp(b"{}"), mode=mode, bucket_capacity=1, bucket_refill_per_second=1e-3)
        assert await post(mw) == 200
        assert await post(mw) == (429 if mode == "enforce" else 200)
        s = parse(mw.metrics.exposition().decode())
        assert (
            value(
                s,
                "antiextract_decisions_total",
                action="throttle",
                reason="token_budget",
                api="openai.chat",
                enforced=enforced,
            )
            == 1
        )


async def test_the_middleware_records_store_failures_and_the_fallback() -> None:
    mw = protected(ModelApp(body=b"{}"), FailingStore, mode="enforce")
    assert await post(mw) == 200
    assert await post(mw) == 200  # the circuit is open: the store is not asked
    s = parse(mw.metrics.exposition().decode())
    assert value(s, "antiextract_store_errors_total", kind="timeout") == 1
    assert value(s, "antiextract_store_seconds_count") == 1
    assert value(s, "antiextract_store_circuit_open") == 1
    assert value(s, "antiextract_store_fallback_total") == 2
    assert value(s, "antiextract_added_latency_seconds_count", store="fallback") == 2
    assert value(s, "antiextract_settlements_total", outcome="no_usage") == 2


async def test_mount_metrics_without_an_instance_serves_the_process() -> None:
    """The README's recipe for any other ASGI app: mount_metrics(AntiExtractMiddleware(app))."""
    settings = Settings(mode="enforce", account_limits="", ip_limits="")
    app = mount_metrics(
        AntiExtractMiddleware(ModelApp(), settings, logger=make_logger(stream=io.StringIO()))
    )
    labels = {"action": "allow", "reason": "allow", "api": "openai.chat", "enforced": "true"}
    key = ("antiextract_decisions_total", frozenset(labels.items()))
    before = parse((await scrape(app)).text).get(key, 0.0)
    assert await post(app, key="sk-mounted") == 200
    text = (await scrape(app)).text
    assert parse(text)[key] == before + 1
    assert "sk-mounted" not in text
