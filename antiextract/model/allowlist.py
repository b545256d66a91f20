"""Who is never scored: accounts, cohorts and subnets an operator vouches for.

Two sources, merged: the env (``ALLOW_ACCOUNTS``, ``ALLOW_COHORTS``, ``ALLOW_SUBNETS``),
fixed for the life of the process, and live entries that ``antiextract allow`` writes to
the store, each with an expiry, so a vouch is never forgotten in place. Every replica
re-reads the live entries in the background every ``ALLOWLIST_REFRESH_SECONDS``, never on
a request's path: an entry takes effect within that interval everywhere, and a store
outage keeps the last list read.

An allowlisted account is not scored (its risk is left out of the decision, its limits
still hold) and counts in no cohort; an allowlisted cohort or subnet never counts towards
a campaign, e.g. a known app's template or an office's NAT.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

IPNetwork = ipaddress.IPv4Network | ipaddress.IPv6Network
Kind = Literal["account", "cohort", "subnet"]
KINDS: tuple[Kind, ...] = ("account", "cohort", "subnet")
COHORT_PREFIXES = ("t:", "l:", "n:", "c:")
MAX_NOTE = 200


@dataclass(frozen=True, slots=True)
class AllowEntry:
    """One live vouch. ``value``: an account id as the audit log shows it, a cohort id, or
    a CIDR; ``note``: who vouched and why (free text, kept short, never a secret)."""

    kind: Kind
    value: str
    until: float
    added: float = 0.0
    note: str = ""

    @property
    def field(self) -> str:
        return f"{self.kind}|{self.value}"


def parse_target(text: str, kind: Kind | None = None) -> tuple[Kind, str]:
    """What an operator typed, as (kind, canonical value); ValueError says what is wrong.

    Without ``kind``: a CIDR or bare address is a subnet, ``t:``/``l:``/``n:``/``c:`` a
    cohort, anything else an account."""
    text = text.strip()
    if not text:
        raise ValueError("nothing to allowlist: give an account id, a cohort id or a CIDR")
    if kind is None:
        if text.startswith(COHORT_PREFIXES):
            kind = "cohort"
        else:
            try:
                ipaddress.ip_network(text, strict=False)
                kind = "subnet"
            except ValueError:
                kind = "account"
    if kind == "subnet":
        try:
            return kind, str(ipaddress.ip_network(text, strict=False))
        except ValueError:
            raise ValueError(f"{text!r} is not a CIDR such as 203.0.113.0/24") from None
    if kind == "cohort" and not _COHORT_ID.fullmatch(text):
        raise ValueError(
            f"{text!r} is not a cohort id: t:<16 hex digits> (a template), l:b<digit>:<3 hex> "
            "(a band), n:<subnet CIDR> or c:<16 hex digits> (a client), as "
            "`antiextract campaigns` and the audit log show them"
        )
    if kind == "cohort" and text.startswith("n:"):
        try:
            net = ipaddress.ip_network(text[2:], strict=False)
        except ValueError:
            raise ValueError(f"{text!r}: n: takes a subnet CIDR such as 203.0.113.0/24") from None
        return kind, "n:" + str(net)
    return kind, text


# The shapes cohorts.cohort_keys writes (fingerprint.py: 64-bit hex digests, "b<i>:<hex>"
# bands): a mistyped id was accepted and silently matched nothing for 30 days.
_COHORT_ID = re.compile(r"[tc]:[0-9a-f]{16}|l:b\d:[0-9a-f]{3}|n:[0-9a-f:./]+")


@dataclass(frozen=True, slots=True)
class Allowlist:
    accounts: frozenset[str] = frozenset()
    cohorts: frozenset[str] = frozenset()
    subnets: tuple[IPNetwork, ...] = ()

    def merged(self, entries: Iterable[AllowEntry], now: float) -> Allowlist:
        """This list plus the live entries that have not expired."""
        accounts, cohorts, subnets = set(self.accounts), set(self.cohorts), list(self.subnets)
        for e in entries:
            if e.until <= now:
                continue
            if e.kind == "account":
                accounts.add(e.value)
            elif e.kind == "cohort":
                cohorts.add(e.value)
            else:
                try:
                    net = ipaddress.ip_network(e.value, strict=False)
                except ValueError:
                    continue  # a corrupt entry vouches for nobody
                if net not in subnets:
                    subnets.append(net)
        return Allowlist(frozenset(accounts), frozenset(cohorts), tuple(subnets))

    def allows_cohort(self, key: str) -> bool:
        """A cohort id in the list, or a subnet cohort inside an allowlisted CIDR."""
        if key in self.cohorts:
            return True
        if key.startswith("n:") and self.subnets:
            try:
                net = ipaddress.ip_network(key[2:])
            except ValueError:
                return False
            return any(net.subnet_of(a) for a in self.subnets if a.version == net.version)
        return False
