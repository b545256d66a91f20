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
