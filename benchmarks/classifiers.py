"""How well the request classifiers (ELICIT "asks for reasoning", FOCUS "coding/agentic")
read a labelled corpus: precision, recall and false-positive rate per class, overall and per
source, language and population.

    python benchmarks/classifiers.py --corpus benchmarks/corpus/tuning/tuning.jsonl
    python benchmarks/classifiers.py --corpus PATH --split validate --json OUT \
        --min-recall 0.90 --max-fpr 0.02

A corpus is JSON lines (a ``.jsonl`` file, a ``.json`` list, or a directory of them) with
``elicit`` and ``focus`` labels (0/1, booleans or "yes"/"no") and the request as ``user``
(or ``text``, ``prompt``, ``input``, ``content``; optional ``system`` / ``system_prompt`` /
``instructions`` and ``tools``), or as ``messages`` (chat messages: the last user turn is
the request, system/developer turns its instructions, assistant turns make it
multi-turn), or as a whole request ``body``/``request`` with a ``path``. ``source``,
``lang``, ``population`` and ``split`` group the figures when present. Every row goes
through ``read_signals`` exactly as the middleware calls it, so what is measured is what
runs.

Exits 1 when a class's overall recall is under ``--min-recall`` or its false-positive rate
over ``--max-fpr`` (defaults: the issue's 0.90 and 0.02), 2 on an unreadable corpus.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import defaultdict
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import orjson

from antiextract.model.risk import ELICIT, FOCUS
from antiextract.request.apis import CHAT, RequestFacts, family_for_path
from antiextract.request.signals import SignalWeights, read_signals

CLASSES = {"elicit": ELICIT, "focus": FOCUS}
USER_FIELDS = ("user", "text", "prompt", "input", "content")
SYSTEM_FIELDS = ("system", "system_prompt", "instructions")
GROUPS = ("source", "lang", "population", "split")
WEIGHTS = SignalWeights()


def rows(path: Path) -> Iterator[dict[str, Any]]:
    """Rows of a .jsonl file, a .json file holding a list, or every such file under a
    directory."""
    if path.is_dir():
        files = sorted(p for p in path.glob("**/*") if p.suffix in (".jsonl", ".json"))
    else:
        files = [path]
    for f in files:
        if f.suffix == ".json":
            doc = json.loads(f.read_text(encoding="utf-8"))
            yield from doc if isinstance(doc, list) else doc.get("rows", [])
            continue
        with f.open(encoding="utf-8") as fh:
            for n, line in enumerate(fh, 1):
                if line.strip():
                    try:
                        yield json.loads(line)
                    except ValueError as e:
                        raise ValueError(f"{f}:{n}: {e}") from e


def _text(content: Any) -> str:
    if isinstance(content, str):
        return content
    if isinstance(content, list):
        return "\n".join(p.get("text", "") if isinstance(p, dict) else str(p) for p in content)
    return ""


def facts_of(row: dict[str, Any]) -> RequestFacts:
    """The facts the middleware would read from this row's request."""
    body = row.get("body", row.get("request"))
    if body is not None:
        raw = body if isinstance(body, bytes) else orjson.dumps(body)
        return family_for_path(row.get("path", "/v1/chat/completions")).facts(raw)
    if "messages" in row:
        doc = {"model": "m", "messages": row["messages"]}
        if row.get("tools"):
            doc["tools"] = row["tools"]
        return CHAT.facts(orjson.dumps(doc))
    system = next((row[k] for k in SYSTEM_FIELDS if row.get(k)), "")
    user = next((row[k] for k in USER_FIELDS if k in row), "")
    tools = row.get("tools") or 0
    return RequestFacts(
        family="openai.chat",
        parsed=True,
        system_text=_text(system),
        user_text=_text(user),
        tools=tools if isinstance(tools, int) else len(tools),
        assistant_turns=int(row.get("assistant_turns", 0)),
    )


def _label(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() in ("1", "true", "yes", "y")
    return bool(value)


class Counts:
    __slots__ = ("fn", "fp", "tn", "tp")

    def __init__(self) -> None:
        self.tp = self.fp = self.fn = self.tn = 0

    def add(self, truth: bool, said: bool) -> None:
        if truth and said:
            self.tp += 1
        elif said:
            self.fp += 1
        elif truth:
            self.fn += 1
        else:
            self.tn += 1

    def figures(self) -> dict[str, float | int | None]:
        pos, neg = self.tp + self.fn, self.fp + self.tn
        said = self.tp + self.fp
        return {
            "n": pos + neg,
            "positives": pos,
            "negatives": neg,
            "recall": round(self.tp / pos, 4) if pos else None,
            "fpr": round(self.fp / neg, 4) if neg else None,
            "precision": round(self.tp / said, 4) if said else None,
        }


def evaluate(items: Iterable[dict[str, Any]], split: str | None = None) -> dict[str, Any]:
    """Figures per class: overall, and per value of every grouping field."""
    overall = {c: Counts() for c in CLASSES}
    grouped: dict[str, dict[str, dict[str, Counts]]] = {
        g: defaultdict(lambda: {c: Counts() for c in CLASSES}) for g in GROUPS
    }
    misses: dict[str, list[dict[str, Any]]] = {c: [] for c in CLASSES}
    for row in items:
        if split and row.get("split", split) != split:
            continue
        traits = read_signals(facts_of(row), WEIGHTS).traits
        for name, bit in CLASSES.items():
            if name not in row:
                continue
            truth, said = _label(row[name]), bool(traits & bit)
            overall[name].add(truth, said)
            for g in GROUPS:
                if g in row:
                    grouped[g][str(row[g])][name].add(truth, said)
            if truth != said and len(misses[name]) < 400:
                where = {g: row.get(g) for g in ("id", "source", "lang")}
                misses[name].append({**where, "truth": truth})
    return {
        "overall": {c: overall[c].figures() for c in CLASSES},
        "groups": {
            g: {k: {c: v[c].figures() for c in CLASSES} for k, v in sorted(d.items())}
            for g, d in grouped.items()
            if d
        },
        "misses": misses,
    }


def _cell(f: dict[str, Any]) -> str:
    def pct(x: float | None) -> str:
        return "–" if x is None else f"{100 * x:.1f}"

    rates = f"{pct(f['recall'])} / {pct(f['fpr'])} / {pct(f['precision'])}"
    return f"{rates} ({f['positives']}+{f['negatives']})"


def markdown(result: dict[str, Any]) -> str:
    head = "recall / FP / precision % (pos+neg)"
    lines = [f"| group | ELICIT {head} | FOCUS {head} |", "|---|---|---|"]
    o = result["overall"]
    lines.append(f"| **overall** | {_cell(o['elicit'])} | {_cell(o['focus'])} |")
    for g, d in result["groups"].items():
        for k, v in d.items():
            lines.append(f"| {g}={k} | {_cell(v['elicit'])} | {_cell(v['focus'])} |")
    return "\n".join(lines)


def failures(result: dict[str, Any], min_recall: float, max_fpr: float) -> list[str]:
    out = []
    for c, f in result["overall"].items():
        if f["recall"] is not None and f["recall"] < min_recall:
            out.append(f"{c}: recall {f['recall']:.4f} < {min_recall}")
        if f["fpr"] is not None and f["fpr"] > max_fpr:
            out.append(f"{c}: false-positive rate {f['fpr']:.4f} > {max_fpr}")
    return out


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--corpus", type=Path, required=True, help="a .jsonl file or a directory")
    ap.add_argument("--split", help="only rows whose 'split' field has this value")
    ap.add_argument("--json", type=Path, help="write the figures (and the missed ids) here")
    ap.add_argument("--min-recall", type=float, default=0.90)
    ap.add_argument("--max-fpr", type=float, default=0.02)
    args = ap.parse_args(argv)
    try:
        result = evaluate(rows(args.corpus), args.split)
    except (OSError, ValueError) as e:
        print(f"classifiers: cannot read {args.corpus}: {e}", file=sys.stderr)
        return 2
    result["corpus"] = str(args.corpus)
    result["split"] = args.split
    print(markdown(result))
    if args.json:
        args.json.write_text(json.dumps(result, indent=1, ensure_ascii=False) + "\n")
    bad = failures(result, args.min_recall, args.max_fpr)
    for b in bad:
        print(f"below threshold: {b}", file=sys.stderr)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
