"""The store's circuit breaker as a pure state machine, on a fake clock and fake jitter."""

from __future__ import annotations

import pytest

from antiextract.request.breaker import (
    CLOSED,
    FALLBACK,
    HALF_OPEN,
    OPEN,
    PROBE,
    STORE,
    CircuitBreaker,
)


class FakeClock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


def breaker(
    base: float = 1.0, cap: float = 8.0, jitter: float = 0.0, spread: float = 0.1
) -> tuple[CircuitBreaker, FakeClock]:
    clock = FakeClock()
    return CircuitBreaker(base, cap, clock=clock, jitter=lambda: jitter, spread=spread), clock


def open_after_failure(b: CircuitBreaker) -> None:
    assert b.admit() == STORE
    assert b.failure(STORE) is True
    assert b.state == OPEN


def fail_probe(b: CircuitBreaker, clock: FakeClock) -> float:
    """Wait out the back-off, let the probe through, fail it; the new back-off."""
    clock.advance(b.retry_in())
    assert b.admit() == PROBE
    assert b.failure(PROBE) is False  # not a new outage
    assert b.state == OPEN
    return b.retry_in()


def test_closed_lets_every_request_ask_the_store() -> None:
    b, _ = breaker()
    assert b.closed and b.state == CLOSED
    assert [b.admit() for _ in range(5)] == [STORE] * 5
    assert b.success(STORE) is False  # nothing to recover from
    assert b.closed


def test_a_failure_opens_and_nobody_touches_the_store_until_the_back_off_ends() -> None:
    b, clock = breaker(base=2.0)
    open_after_failure(b)
    assert b.retry_in() == pytest.approx(2.0)
    for _ in range(10):
        clock.advance(0.19)
        assert b.admit() == FALLBACK
    assert b.state == OPEN
    clock.advance(2.0 - 1.9 - 1e-9)
    assert b.admit() == FALLBACK  # still a hair early
    clock.advance(2e-9)
    assert b.admit() == PROBE
    assert b.state == HALF_OPEN


def test_exactly_one_probe_while_half_open() -> None:
    b, clock = breaker()
    open_after_failure(b)
    clock.advance(5.0)  # long past the back-off: still one probe, not a flood
    tickets = [b.admit() for _ in range(50)]
    assert tickets.count(PROBE) == 1 and tickets[0] == PROBE
    assert set(tickets[1:]) == {FALLBACK}
    assert b.state == HALF_OPEN
    clock.advance(100.0)  # a slow probe: the others keep using the fallback meanwhile
    assert b.admit() == FALLBACK


def test_probe_success_closes_the_circuit() -> None:
    b, clock = breaker()
    open_after_failure(b)
    clock.advance(1.0)
    assert b.admit() == PROBE
    assert b.success(PROBE) is True
    assert b.closed and b.failed_probes == 0 and b.retry_in() == 0.0
    assert b.admit() == STORE


def test_back_off_doubles_per_failed_probe_up_to_the_cap() -> None:
    b, clock = breaker(base=0.5, cap=6.0)
    open_after_failure(b)
    backoffs = [b.retry_in()] + [fail_probe(b, clock) for _ in range(6)]
    assert backoffs == pytest.approx([0.5, 1.0, 2.0, 4.0, 6.0, 6.0, 6.0])
    assert b.failed_probes == 6


def test_recovery_resets_the_back_off_for_the_next_outage() -> None:
    b, clock = breaker(base=1.0, cap=30.0)
    open_after_failure(b)
    for _ in range(3):
        fail_probe(b, clock)
    assert b.retry_in() == pytest.approx(8.0)
    clock.advance(8.0)
    assert b.admit() == PROBE and b.success(PROBE)
    open_after_failure(b)  # a new outage starts from the base again
    assert b.retry_in() == pytest.approx(1.0)
    assert b.opened_at == clock.now


def test_jitter_only_shortens_and_stays_within_the_spread() -> None:
    for jitter, expected in ((0.0, 4.0), (0.5, 3.8), (0.999, 3.6004)):
        b, clock = breaker(base=1.0, cap=4.0, jitter=jitter)
        open_after_failure(b)
        for _ in range(3):
            fail_probe(b, clock)  # nominal back-off now at the cap, 4 s
        assert b.nominal_backoff() == 4.0
        assert b.retry_in() == pytest.approx(expected)
        assert 0.9 * 4.0 <= b.retry_in() <= 4.0


def test_replicas_with_different_jitter_do_not_probe_in_lockstep() -> None:
    clock = FakeClock()
    draws = iter([0.1, 0.9])
    a = CircuitBreaker(2.0, 30.0, clock=clock, jitter=lambda: next(draws))
    b = CircuitBreaker(2.0, 30.0, clock=clock, jitter=lambda: 0.5)
    for br in (a, b):
        br.failure(br.admit())
    assert a.retry_in() != b.retry_in()


def test_late_answers_of_requests_sent_before_the_outage_change_nothing() -> None:
    b, clock = breaker()
    assert b.admit() == STORE  # sent while closed, answers late
    open_after_failure(b)
    retry_at = b.retry_at
    assert b.failure(STORE) is False and b.retry_at == retry_at  # no restart of the wait
    assert b.success(STORE) is False and b.state == OPEN  # proves nothing about now
    clock.advance(1.0)
    assert b.admit() == PROBE
    assert b.failure(STORE) is False and b.state == HALF_OPEN  # the probe decides
    assert b.success(STORE) is False and b.state == HALF_OPEN
    assert b.failure(PROBE) is False and b.failed_probes == 1


def test_a_probe_without_a_verdict_is_released_not_stuck_half_open() -> None:
    b, clock = breaker()
    open_after_failure(b)
    clock.advance(1.0)
    assert b.admit() == PROBE
    b.release(PROBE)  # cancelled mid-call
    assert b.state == OPEN and b.failed_probes == 0
    assert b.admit() == PROBE  # the next request probes at once
    b.release(FALLBACK)  # releasing anything else is a no-op
    assert b.state == HALF_OPEN


def test_a_cap_below_the_base_means_a_fixed_back_off() -> None:
    b, clock = breaker(base=5.0, cap=1.0)
    open_after_failure(b)
    assert [b.retry_in(), fail_probe(b, clock), fail_probe(b, clock)] == [5.0, 5.0, 5.0]


def test_bad_arguments() -> None:
    with pytest.raises(ValueError):
        CircuitBreaker(0.0, 1.0)
    with pytest.raises(ValueError):
        CircuitBreaker(1.0, 1.0, spread=1.0)
