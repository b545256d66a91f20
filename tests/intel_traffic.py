"""Drawn record streams for the intelligence plane's tests (test_intel*.py).

A stream mixes a campaign (young accounts sharing a harvest-shaped template and band, and
each a couple of its wrapper's sentences, ``p:`` parts drawn per request),
established accounts on shared infrastructure (a subnet, an SDK), a look-alike template
of established accounts, and background noise, over ``hours`` simulated hours from a
drawn start, so it crosses UTC midnight when the hours do. Distinct accounts per cohort
stay below the sketches' exact range (KMV keeps 256 hashes; Redis's sparse HyperLogLog
counts small sets exactly), so both analysers must agree on every count. Most requests
also carry parts few accounts share, as real task sentences do (admission,
``CohortModel.part_marker_ttl``): one-off ones, one account's own repeated ones, and rare
ones a second established account meets hours later (a promotion, across midnight too).
"""

from __future__ import annotations

import random

from antiextract.intel.records import Record
from antiextract.model.risk import ELICIT, EXTRACT, FOCUS, SINGLE

HARVEST = ELICIT | FOCUS | SINGLE


def stream(seed: int, start: float, hours: float = 30.0, n: int = 600) -> list[Record]:
    rng = random.Random(seed)
    out = []
    for _ in range(n):
        t = start + rng.uniform(0, hours * 3_600)
        kind = rng.random()
        if kind < 0.4:  # the campaign: young, harvest-shaped, one template
            i = rng.randrange(40)
            traits = HARVEST | (EXTRACT if rng.random() < 0.5 else 0)
            parts = tuple(f"p:camp{j}" for j in sorted(rng.sample(range(6), 2)))
            parts += (f"p:task{rng.randrange(1 << 40)}",)  # a one-off task sentence
            cohorts = ("t:camp", "l:b0:camp", f"n:10.9.{i % 3}.0/24", "c:sdk", *parts)
            out.append(Record(t, f"young-{i}", cohorts, True, traits, rng.uniform(1, 500)))
        elif kind < 0.7:  # established users of a popular template
            i = rng.randrange(60)
            traits = rng.choice([0, FOCUS, SINGLE, ELICIT | FOCUS])
            cohorts = ("t:ide", "l:b0:ide", "c:sdk", "p:ide0", "p:ide1")  # a shared prompt
            cohorts += (f"p:rare{rng.randrange(40)}",)  # met by a second account, or not
            out.append(Record(t, f"old-{i}", cohorts, False, traits, rng.uniform(1, 500)))
        else:  # anything goes
            i = rng.randrange(30)
            traits = sum(b for b in (ELICIT, FOCUS, SINGLE, EXTRACT) if rng.random() < 0.5)
            keys = ("t:one", "t:two", "l:b5:one", "n:10.0.0.0/24", "c:sdk", "c:curl")
            cohorts = tuple(rng.sample(keys, rng.randint(0, 3)))
            cohorts += (f"p:own{i}",)  # one account's own sentence, young or not
            out.append(Record(t, f"bg-{i}", cohorts, rng.random() < 0.5, traits, 1.0))
    out.sort(key=lambda r: r.t)
    return out
