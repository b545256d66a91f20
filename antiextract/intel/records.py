"""What the request plane tells the intelligence plane about one request.

A record holds only what cross-account analysis reads: the account's store key (a digest
or an operator-given id, never an API key), the request's cohort keys (digests of
templates and bands, a subnet, a client fingerprint), the account's youth, trait bits and
cost. Never prompt text: the request plane has already reduced it to those.

Records cross a process boundary (a Redis Stream) and so are read as untrusted input:
``decode`` checks every field and its size, and raises ``ValueError`` for anything else.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import orjson

MAX_ACCOUNT = 256  # characters of an account key (the store's keys are digests, ~20-64)
MAX_COHORTS = 12  # cohort keys per record (the request plane makes at most ten)
MAX_COHORT_KEY = 256
KINDS = frozenset("tlncp")  # template, LSH band, subnet, client fingerprint, wrapper part


@dataclass(frozen=True, slots=True)
class Record:
    t: float  # request time (the middleware's clock)
    account: str  # the account's store key: a digest or a trusted id, never a raw API key
    cohorts: tuple[str, ...]  # cohort keys (t:, l:, n:, c:), allowlisted ones removed
    young: bool
    traits: int  # risk.ELICIT | FOCUS | SINGLE | EXTRACT bits
    cost: float

    def encode(self) -> bytes:
        """A JSON array (about 150 bytes for five cohorts): one stream field."""
        return orjson.dumps(
            [self.t, self.account, self.cohorts, int(self.young), self.traits, self.cost]
        )

    @staticmethod
    def decode(data: bytes) -> Record:
        try:
            t, account, cohorts, young, traits, cost = orjson.loads(data)
        except (orjson.JSONDecodeError, TypeError, ValueError) as exc:
            raise ValueError(f"not a record: {type(exc).__name__}") from None
        if not (isinstance(t, int | float) and math.isfinite(t)):
            raise ValueError("record time is not a finite number")
        if not (isinstance(account, str) and 0 < len(account) <= MAX_ACCOUNT):
            raise ValueError("record account is not a short string")
        if not (isinstance(cohorts, list) and len(cohorts) <= MAX_COHORTS):
            raise ValueError("record cohorts are not a short list")
        for key in cohorts:
            if not (isinstance(key, str) and 2 < len(key) <= MAX_COHORT_KEY):
                raise ValueError("a record cohort key is not a short string")
            if key[0] not in KINDS or key[1] != ":":
                raise ValueError("a record cohort key is of no known kind")
        if young not in (0, 1) or isinstance(young, float):
            raise ValueError("record youth is not 0 or 1")
        if not (isinstance(traits, int) and 0 <= traits < 1 << 16):
            raise ValueError("record traits are not a small bit set")
        if not (isinstance(cost, int | float) and math.isfinite(cost) and cost >= 0):
            raise ValueError("record cost is not a finite number >= 0")
        return Record(float(t), account, tuple(cohorts), bool(young), traits, float(cost))
