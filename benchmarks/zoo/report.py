"""Markdown for zoo results."""

from __future__ import annotations

from typing import Any

from .traffic import ATTACK


def _pct(v: float | None) -> str:
    return "–" if v is None else f"{v:.1%}"


def markdown(res: dict[str, Any]) -> str:
    head = (
        f"seed {res['seed']} ({res['split']}), {res['days']} days, scale {res['scale']}, "
        f"{res['store']} store x{res['replicas']}, creation header "
        f"{'on' if res['created_header'] else 'off'}, warm-up {'on' if res['warmup'] else 'off'}: "
        f"{res['requests']:,} requests, "
        f"{res['status_5xx']} 5xx, {res['rotations']} adaptive rotations, {res['seconds']} s"
    )
    lines = [
        head,
        "",
        "| population | accts | requests | yield (full) / impact | token yield / impact | "
        "read elicit | read focus | in campaign | risk max median (p90) | h to flag |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
    ]
    for fam, p in res["populations"].items():
        attack = fam in ATTACK
        main = p["full_fidelity_yield"] if attack else p["impact"]
        tok = p["token_yield"] if attack else p["token_impact"]
        flag = p.get("hours_to_flag", "")
        flag = "never" if attack and flag is None else flag
        r = p["risk"]
        lines.append(
            f"| {fam}{' (attack)' if attack else ''} | {p['accounts']} | {p['requests']:,} | "
            f"{_pct(main)} | {_pct(tok)} | {_pct(p['read_elicit'])} | {_pct(p['read_focus'])} | "
            f"{_pct(p['in_campaign'])} | {r['account_max_median']} ({r['account_max_p90']}) | "
            f"{flag} |"
        )
    lines += [
        "",
        f"legit impact overall {_pct(res['legit_impact_overall'])}; attack full-fidelity yield "
        f"overall {_pct(res['attack_yield_overall'])}",
        "",
    ]
    return "\n".join(lines)


def aggregate(results: list[dict[str, Any]]) -> str:
    """One table over several seeds: the mean, and the range across seeds."""
    if not results:
        return ""
    first = results[0]
    seeds = ", ".join(str(r["seed"]) for r in results)
    lines = [
        f"seeds {seeds} ({first['split']}), {first['days']} days, scale {first['scale']}, "
        f"{first['store']} store, creation header {'on' if first['created_header'] else 'off'}, "
        f"warm-up {'on' if first.get('warmup') else 'off'}: "
        f"{sum(r['requests'] for r in results):,} requests, "
        f"{sum(r['status_5xx'] for r in results)} 5xx",
        "",
        "| population | yield (full) / impact: mean (range) | token yield / impact | "
        "read elicit | read focus | hours to flag (per seed) |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for fam in first["populations"]:
        ps = [r["populations"][fam] for r in results if fam in r["populations"]]
        attack = fam in ATTACK
        key, tok = ("full_fidelity_yield", "token_yield") if attack else ("impact", "token_impact")
        vals = [p[key] for p in ps]
        toks = [p[tok] for p in ps]
        mean = sum(vals) / len(vals)
        flags = ""
        if attack:
            flags = ", ".join(
                "never" if p["hours_to_flag"] is None else str(p["hours_to_flag"]) for p in ps
            )
        lines.append(
            f"| {fam}{' (attack)' if attack else ''} | "
            f"{mean:.1%} ({min(vals):.1%}–{max(vals):.1%}) | "
            f"{sum(toks) / len(toks):.1%} | {sum(p['read_elicit'] for p in ps) / len(ps):.1%} | "
            f"{sum(p['read_focus'] for p in ps) / len(ps):.1%} | {flags} |"
        )
    legit = [r["legit_impact_overall"] for r in results]
    attack = [r["attack_yield_overall"] for r in results]
    lines += [
        "",
        f"legit impact overall {sum(legit) / len(legit):.2%} (per seed "
        f"{', '.join(f'{v:.2%}' for v in legit)}); attack full-fidelity yield overall "
        f"{sum(attack) / len(attack):.1%} (per seed {', '.join(f'{v:.1%}' for v in attack)})",
        "",
    ]
    return "\n".join(lines)


SATURATION = ("paraphrase", "low_slow", "mimic", "adaptive", "newbie", "ide")


def saturation(results: list[dict[str, Any]], degrade_at: float = 3.0) -> str:
    """Per-account risk at the k-th request and per day of an account's life (medians
    and p90 across accounts, averaged over seeds): where the level stops climbing."""
    ks = ("1", "3", "5", "10", "20", "50")
    lines = [
        f"per-account risk (median / p90 across accounts; degrade at {degrade_at:g})",
        "",
        "| population | "
        + " | ".join(f"request {k}" for k in ks)
        + " | day 1 max | day 2 max | day 3 max |",
        "|---|" + "---:|" * (len(ks) + 3),
    ]

    def cell(rows: list[dict], a: str, b: str) -> str:
        if not rows:
            return "–"
        return (
            f"{sum(r[a] for r in rows) / len(rows):.2f} / {sum(r[b] for r in rows) / len(rows):.2f}"
        )

    for fam in SATURATION:
        risks = [r["populations"][fam]["risk"] for r in results if fam in r["populations"]]
        if not risks:
            continue
        at = [
            cell([x["at_request"][k] for x in risks if k in x["at_request"]], "median", "p90")
            for k in ks
        ]
        day = [
            cell([x["by_day"][d] for x in risks if d in x["by_day"]], "median_of_day_max", "p90")
            for d in ("1", "2", "3")
        ]
        lines.append(f"| {fam} | " + " | ".join(at + day) + " |")
    return "\n".join(lines) + "\n"
