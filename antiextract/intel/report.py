"""The analysers' cohort state as operators read it (``antiextract campaigns``).

Read-only and off the request path: SCAN for the cohort states the Redis analysers keep
(``<prefix>:{ic:<cohort>}``), then per cohort its state and four sketch counts in one
pipeline (all in the cohort's slot). The shared bucket is the request plane's, so
``bucket_tokens`` is None here. A wrapper part seen by one account only is an admission
marker (``<prefix>:{ic:p:...}:m``), no state: it is no cohort yet and is not listed.
"""

from __future__ import annotations

import struct
from typing import TYPE_CHECKING, Any

from ..model.cohorts import campaign_score, harvest
from ..store.redis import store_errors
from .redis import STATE_DOUBLES, STATE_VERSION, cohort_keys

if TYPE_CHECKING:
    from ..store.redis import RedisStore

_STATE = struct.Struct("<" + "d" * STATE_DOUBLES)
KINDS = {"t": "template", "l": "band", "n": "subnet", "c": "client", "p": "part"}


async def cohort_report(store: RedisStore, now: float, batch: int = 500) -> list[dict[str, Any]]:
    """Every cohort an analyser keeps under the store's prefix, largest score first (then
    accounts, then the most specific kind)."""
    client, m = store.client, store.cohort_model
    head = f"{store.prefix}:{{ic:"
    day = int(now // 86_400)
    with store_errors("cohort report"):
        names = set()
        async for raw in client.scan_iter(match=head + "*", count=1_000):
            name = raw.decode() if isinstance(raw, bytes) else str(raw)
            if name.endswith("}"):  # the state; its sketches end in ":a:<day>" etc.
                names.add(name[len(head) : -1])
        keys = sorted(names)
        replies: list[Any] = []
        for i in range(0, len(keys), batch):
            async with client.pipeline(transaction=False) as pipe:
                for key in keys[i : i + batch]:
                    state, a_cur, a_prev, y_cur, y_prev, _ = cohort_keys(store.prefix, key, day)
                    pipe.get(state)
                    for sketch in (a_cur, a_prev, y_cur, y_prev):
                        pipe.pfcount(sketch)
                replies += await pipe.execute()
    out = []
    for n, key in enumerate(keys):
        raw, a_cur, a_prev, y_cur, y_prev = replies[5 * n : 5 * n + 5]
        if raw is None or len(raw) != _STATE.size:
            continue  # expired between SCAN and read, or another layout
        version, requests, elicit, focus, single, extract, ts, *_ = _STATE.unpack(raw)
        if version != STATE_VERSION or requests <= 0:
            continue
        accounts, young = max(a_cur, a_prev), max(y_cur, y_prev)
        h = harvest(requests, elicit, focus, single, extract)
        d = 0.5 ** (max(0.0, now - ts) / m.half_life)
        traits = {"elicit": elicit, "focus": focus, "single": single, "extract": extract}
        out.append(
            {
                "cohort": key,
                "kind": KINDS.get(key[:1], "other"),
                "accounts": accounts,
                "young": young,
                "requests": requests * d,
                "shares": {k: v / requests for k, v in traits.items()},
                "harvest": h,
                "score": campaign_score(accounts, young, h, m, key),
                "last_seen": ts,
                "bucket_tokens": None,
            }
        )
    rank = {kind: i for i, kind in enumerate(KINDS.values())}
    out.sort(key=lambda c: (-c["score"], -c["accounts"], rank.get(c["kind"], 9), c["cohort"]))
    return out
