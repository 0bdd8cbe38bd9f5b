"""Filter logo grids of the best trial per (model, activation), copied into the report.

Each finished run writes ``filter_logos.png`` (its first-layer filters, each titled with its
best Tomtom hit). The report copies the one of the trial with the highest match fraction
(then AUROC) per cell, so the report folder stays self-contained after ``scp -r``.
"""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path

import pandas as pd

MAX_TRIES = 5  # best trials per cell whose logo file is looked for


@dataclass
class Logo:
    """One copied logo grid."""

    cell: str
    run: str
    trial: int | None
    match_fraction: float | None
    auroc: float | None
    file: Path  # the copy in the report


def best_logos(
    runs: pd.DataFrame, root: str | Path, out_dir: str | Path, order: list[tuple[str, str]]
) -> list[Logo]:
    """Copy the best trial's logo grid of every cell in ``order`` to ``out_dir``.

    Parameters
    ----------
    runs : DataFrame
        Finished runs with ``path`` (record path relative to ``root``) and ``logo``.
    root : str or Path
        The report's root folder.
    out_dir : str or Path
        Where the copies go (``<run>.png``; created when there is one).
    order : list of (model, activation)
        Cells in report order.

    Returns
    -------
    list of Logo
        Cells whose runs wrote no logo (or whose file is gone) are skipped.
    """
    root, out_dir = Path(root), Path(out_dir)
    ranked = runs[runs["logo"].notna()].sort_values(
        ["match_fraction", "auroc", "trial"], ascending=[False, False, True], na_position="last"
    )
    cells = {
        key: group.head(MAX_TRIES)
        for key, group in ranked.groupby(["model", "activation"], sort=False)
    }
    logos = []
    for model, activation in order:
        cell = cells.get((model, activation))
        if cell is None:
            continue
        for row in cell.itertuples():
            source = root / Path(row.path).parent / row.logo
            if not source.is_file():
                continue
            out_dir.mkdir(parents=True, exist_ok=True)
            prefix = "" if row.sweep_dir == "." else row.sweep_dir.replace("/", "__") + "__"
            target = out_dir / f"{prefix}{row.run}.png"
            shutil.copyfile(source, target)
            logos.append(
                Logo(
                    f"{model}_{activation}",
                    row.run,
                    None if pd.isna(row.trial) else int(row.trial),
                    None if pd.isna(row.match_fraction) else float(row.match_fraction),
                    None if pd.isna(row.auroc) else float(row.auroc),
                    target,
                )
            )
            break
    return logos
