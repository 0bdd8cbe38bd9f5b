"""Compare two sweeps of the same grid run two ways (e.g. the keras and the fast engine).

    python jobs/compare_sweeps.py docs/reproduction/repro_task3 results/repro_task3_fast \
        --labels keras fast --out docs/reproduction/engine_task3.md

Each folder holds run records (``runs/<run>/record.json``, or the kept ``records/<run>.json``
of ``jobs/reproduction_page.py --keep``). Runs are grouped by (model, activation); for every
number the two sweeps share (test ``auroc``/``aupr``, Task 1's ``match_fraction``, Task 3's
attribution AUROC per method, ``epochs_run``) the table gives each sweep's mean +/- sample
std over its trials and the difference of the means against its standard error
(``sqrt(s_a^2/n_a + s_b^2/n_b)``). The rule, stated on the page: a difference within two
standard errors is within the trial spread ("yes"); beyond it, "no". With 3-5 trials this
is a coarse check (about a 5 % false-alarm rate per row when nothing differs), not a proof of
equality.
"""

from __future__ import annotations

import argparse
import json
import math
import statistics
from collections import defaultdict
from pathlib import Path


def records(folder: Path) -> list[dict]:
    """Every finished run record under ``folder`` (``runs/*/record.json`` or ``records/*.json``)."""
    paths = sorted(folder.glob("runs/*/record.json")) or sorted(folder.glob("records/*.json"))
    out = [json.loads(p.read_text()) for p in paths]
    return [r for r in out if r.get("status") == "done"]


def numbers(record: dict) -> dict[str, float]:
    """The comparable numbers of one record."""
    values = {k: record["metrics"][k] for k in ("auroc", "aupr")}
    values["epochs_run"] = record["epochs_run"]
    if "match" in record and record["match"].get("match_fraction") is not None:
        values["match_fraction"] = record["match"]["match_fraction"]
    for method, scores in record.get("attribution", {}).get("methods", {}).items():
        if scores.get("auroc") is not None:
            values[f"{method} auroc"] = scores["auroc"]
    return values


def grouped(folder: Path) -> dict[tuple[str, str], dict[str, list[float]]]:
    groups: dict = defaultdict(lambda: defaultdict(list))
    for record in records(folder):
        spec = record["spec"]
        for key, value in numbers(record).items():
            groups[(spec["model"], spec["activation"])][key].append(float(value))
    return groups


def compare(a: Path, b: Path, labels: tuple[str, str]) -> str:
    """The comparison as a Markdown page."""
    ga, gb = grouped(a), grouped(b)
    lines = [
        f"# {labels[0]} vs {labels[1]}",
        "",
        f"`{a}` ({labels[0]}) against `{b}` ({labels[1]}): mean +/- sample std over trials "
        "(n), difference of the means and its standard error sqrt(s_a^2/n_a + s_b^2/n_b); "
        "'yes' when the difference is within two standard errors (the trial spread).",
        "",
        f"| model | activation | number | {labels[0]} | {labels[1]} | difference | within 2 SE |",
        "|---|---|---|---|---|---|---|",
    ]
    for group in sorted(set(ga) & set(gb)):
        for key in sorted(set(ga[group]) & set(gb[group]), key=_order):
            va, vb = ga[group][key], gb[group][key]
            diff = statistics.mean(vb) - statistics.mean(va)
            se = math.sqrt(_var(va) / len(va) + _var(vb) / len(vb))
            verdict = "-" if se == 0 else ("yes" if abs(diff) <= 2 * se else "no")
            lines.append(
                f"| {group[0]} | {group[1]} | {key} | {_fmt(va)} | {_fmt(vb)} | "
                f"{diff:+.4f} (SE {se:.4f}) | {verdict} |"
            )
    return "\n".join(lines) + "\n"


def _order(key: str) -> tuple[int, str]:
    first = ("auroc", "aupr", "match_fraction")
    return (first.index(key) if key in first else 3 if key != "epochs_run" else 4, key)


def _var(values: list[float]) -> float:
    return statistics.variance(values) if len(values) > 1 else 0.0


def _fmt(values: list[float]) -> str:
    if len(values) == 1:
        return f"{values[0]:.4f} (1)"
    return f"{statistics.mean(values):.4f} +/- {statistics.stdev(values):.4f} ({len(values)})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("a", type=Path)
    parser.add_argument("b", type=Path)
    parser.add_argument("--labels", nargs=2, default=("a", "b"))
    parser.add_argument("--out", type=Path)
    args = parser.parse_args()
    page = compare(args.a, args.b, tuple(args.labels))
    if args.out:
        args.out.write_text(page)
    print(page)


if __name__ == "__main__":
    main()
