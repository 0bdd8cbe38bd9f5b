"""``expact report``: a results folder -> tables, t-tests, reproduction check, figures, HTML.

The report folder (default ``<results>/report``) is written to a temporary folder beside it
and swapped in at the end (:func:`toolkit.report.atomic.replace_dir`): a reader never sees a
half-written report, and a failed report leaves the previous one in place. What it holds::

    index.html                       everything below on one page (relative links only)
    report.json                      counts, aggregation statistics, every file written
    runs.parquet, runs.tsv           one row per record file (corrupt ones included)
    problems.tsv                     failed, missing, corrupt, invalid and stale runs
    tables/<task>_*.tsv (+.parquet)  the paper's tables, mean+/-std per model_activation
    tables/ttests.tsv (+.parquet)    original vs modified activation, per model
    tables/reproduction_check.tsv    paper value vs this run's median and trial range
    figures/*.png, *.pdf             boxplots in the paper's layouts
    logos/*.png                      the best trial's filter logo grid per cell

When the root holds several sweeps (``results/`` with ``task1_quick/`` and ``task3_quick/``),
each sweep's tables, figures and logos go to ``sweeps/<sweep folder>/``.
"""

from __future__ import annotations

import contextlib
import functools
import io
import json
import logging
import shutil
import tempfile
import time
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from toolkit.errors import InputError
from toolkit.files import atomic_write_bytes, atomic_write_text
from toolkit.report.aggregate import AggregateStats, aggregate
from toolkit.report.atomic import replace_dir
from toolkit.report.cluster import CLUSTERS, dask_client
from toolkit.report.control_figures import control_figures
from toolkit.report.figures import figures
from toolkit.report.html import render_index
from toolkit.report.inventory import Sweep, inventory
from toolkit.report.logos import best_logos
from toolkit.report.paper import paper_values
from toolkit.report.paper_figures import paper_figures
from toolkit.report.reproduction import reproduction_check
from toolkit.report.tables import finished_runs, paper_tables
from toolkit.report.ttests import ttests
from toolkit.run_folder import SWEEP

log = logging.getLogger(__name__)
_RUN_COLUMNS = [
    "sweep_dir",
    "run",
    "status",
    "task",
    "model",
    "activation",
    "trial",
    "seed",
    "auroc",
    "aupr",
    "match_fraction",
    "match_any",
    "coverage",
    "epochs_run",
    "wall_s",
    "tfs_matched",
    "path",
    "error",
]


MAX_PROBLEM_ROWS = 500  # listed in index.html; problems.tsv has them all
_SHORT = {
    "median_minus_paper": "median - paper",
    "within_range": "in range",
    "paper_std": "paper std",
    "n_trials": "n",
    "tolerance": "+/-",
    "n_original": "n orig",
    "n_modified": "n mod",
    "mean_original": "mean orig",
    "mean_modified": "mean mod",
    "paper_p_value": "paper p",
    "paper_source": "source",
    "agrees_with_paper": "agrees",
}  # column names shown in HTML


@dataclass
class ReportResult:
    """What :func:`report` wrote and found."""

    out_dir: Path
    index: Path
    counts: dict[str, int]
    aggregation: AggregateStats
    files: dict[str, list[Path]] = field(default_factory=dict)  # kind -> files
    seconds: float = 0.0


def report(
    results_dir: str | Path,
    out_dir: str | Path | None = None,
    cluster: str = "local",
    workers: int = 2,
    progress: bool = True,
    min_cluster_files: int = 256,
    use_cache: bool = True,
    figures_on: bool = True,
    interface: str | None = None,
    partition: str | None = None,
) -> ReportResult:
    """Build the report of every run record under ``results_dir``.

    Parameters
    ----------
    results_dir : str or Path
        A sweep's results folder, or a folder of them.
    out_dir : str or Path, optional
        Report folder (default ``results_dir/report``); replaced as a whole.
    cluster : {'local', 'slurm'}
        Where the Dask workers that read the records run (:mod:`toolkit.report.cluster`).
    workers : int
        Number of Dask workers.
    progress : bool
        Progress bar while reading records.
    min_cluster_files : int
        Fewer records than this to (re)read: read them in this process, start no cluster.
    use_cache : bool
        Reuse the rows of unchanged records from ``results_dir/.report_cache``.
    figures_on : bool
        Draw the figures (the slowest part for small sweeps).
    interface, partition : str, optional
        Slurm workers' network interface and partition (``cluster='slurm'``).

    Returns
    -------
    ReportResult
    """
    started = time.perf_counter()
    root = Path(results_dir).resolve()
    if not root.is_dir():
        raise InputError(results_dir, None, "results folder not found")
    if cluster not in CLUSTERS:
        raise InputError(None, "cluster", f"expected one of {CLUSTERS}, got {cluster!r}")
    sweeps = inventory(root)
    if not sweeps:
        raise InputError(
            results_dir,
            None,
            "no sweep here: expected sweep.json or runs/ in it or in its subfolders",
        )
    out = Path(out_dir).resolve() if out_dir else root / "report"
    entries = [e for s in sweeps for e in s.records.values()]
    with contextlib.ExitStack() as stack:
        lazy = _LazyClient(
            stack,
            functools.partial(
                dask_client, cluster, workers=workers, interface=interface, partition=partition
            ),
        )
        rows, stats = aggregate(
            root,
            entries,
            lazy.get,
            scheduler_name=cluster,
            min_cluster_files=min_cluster_files,
            progress=progress,
            use_cache=use_cache,
        )
        return _finish(root, out, sweeps, rows, stats, figures_on, lazy.client, started)


class _LazyClient:
    """Starts the Dask cluster on first use only (an incremental rerun may need none)."""

    def __init__(self, stack: contextlib.ExitStack, factory):
        self.stack, self.factory, self.client = stack, factory, None

    def get(self):
        if self.client is None:
            self.client = self.stack.enter_context(self.factory())
        return self.client


def _finish(root, out, sweeps, rows, stats, figures_on, client, started) -> ReportResult:
    problems = _problems(sweeps, rows)
    stale = set(
        zip(
            problems.loc[problems["state"] == "stale", "sweep"],
            problems.loc[problems["state"] == "stale", "run"],
            strict=True,
        )
    )
    done = rows[
        (rows["status"] == "done")
        & ~pd.Series(
            list(zip(rows["sweep_dir"], rows["run"], strict=True)), index=rows.index, dtype=object
        ).isin(stale)
    ]
    expected = sum(len(s.expected) for s in sweeps)
    counts = {
        "sweeps": len(sweeps),
        "expected": expected,
        "records": len(rows),
        "done": len(done),
        **problems["state"].value_counts().to_dict(),
    }

    out.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=f".{out.name}.tmp-", dir=out.parent))
    try:
        files, page = _write(
            tmp, out, root, sweeps, rows, done, problems, counts, stats, figures_on, client
        )
        result = ReportResult(out, out / "index.html", counts, stats)
        result.files = {k: [out / p.relative_to(tmp) for p in v] for k, v in files.items()}
        result.seconds = round(time.perf_counter() - started, 2)
        manifest = {
            "generated": page["generated"],
            "root": str(root),
            "counts": counts,
            "aggregation": asdict(stats),
            "seconds": result.seconds,
            "files": {k: [str(p.relative_to(tmp)) for p in v] for k, v in files.items()},
        }
        atomic_write_text(tmp / "report.json", json.dumps(manifest, indent=2, default=str) + "\n")
        replace_dir(tmp, out)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return result


def _write(tmp, out, root, sweeps, rows, done, problems, counts, stats, figures_on, client):
    files: dict[str, list[Path]] = {"tables": [], "figures": [], "logos": [], "data": []}
    paper = (paper_values(), paper_values("ttests"))
    files["data"].append(_parquet(rows, tmp / "runs.parquet"))
    files["data"].append(_tsv(rows[_RUN_COLUMNS], tmp / "runs.tsv"))
    files["data"].append(_tsv(problems, tmp / "problems.tsv"))
    generated = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    sections = []
    multi = len(sweeps) > 1
    for sweep in sweeps:
        where = (tmp, out, root, multi)
        sections += _sweep_sections(where, sweep, done, paper, files, figures_on, client)
    sections.append(
        {
            "id": "provenance",
            "heading": "Provenance",
            "blocks": _provenance(sweeps, rows, done, problems, stats),
        }
    )
    page = {
        "title": f"expact report: {root.name}",
        "subtitle": f"{counts['done']} finished runs in {len(sweeps)} sweep(s); generated "
        f"{generated}",
        "generated": generated,
        "cards": [
            ("finished runs", counts["done"]),
            ("expected", counts["expected"]),
            *[
                (k, counts[k])
                for k in ("running", "failed", "missing", "corrupt", "invalid", "stale")
                if counts.get(k)
            ],
        ],
        "sections": sections,
    }
    atomic_write_text(tmp / "index.html", render_index(page))
    return files, page


def _sweep_sections(where, sweep, done, paper, files, figures_on, client) -> list[dict]:
    """The four sections of one sweep (check, tables, figures, logos); files written."""
    tmp, out, root, multi = where
    paper, paper_t = paper
    base = tmp / "sweeps" / sweep.rel.replace("/", "__") if multi else tmp
    href = f"sweeps/{sweep.rel.replace('/', '__')}/" if multi else ""
    runs, order = finished_runs(done, sweep)
    label = sweep.meta.get("name") or (root.name if sweep.rel == "." else sweep.rel)
    tables = paper_tables(runs, order) if len(runs) else []
    tt = ttests(runs, paper_t) if len(runs) else pd.DataFrame()
    repro = reproduction_check(runs, paper) if len(runs) else pd.DataFrame()
    # the filter tables' numbers depend on the motif database and the rule: stated above them
    blocks_tables = (_motif_db(sweep) if tables else []) + _table_blocks(tables, base, href, files)
    blocks_checks = _check_blocks(repro, tt, base, href, files)
    fig_blocks = []
    if figures_on and len(runs):
        previous = out / base.relative_to(tmp) / "figures"
        drawn = figures(runs, base / "figures", paper, tt, client=client, previous=previous)
        drawn += control_figures(runs, root, base / "figures")
        for fig in drawn + paper_figures(runs, root, base / "figures"):
            files["figures"] += [fig.png, fig.pdf]
            fig_blocks.append(
                {
                    "kind": "figure",
                    "png": f"{href}figures/{fig.png.name}",
                    "pdf": f"{href}figures/{fig.pdf.name}",
                    "title": fig.title,
                    "caption": fig.caption,
                }
            )
    logos = best_logos(runs, root, base / "logos", order) if len(runs) else []
    files["logos"] += [lg.file for lg in logos]
    logo_items = [
        (
            f"{href}logos/{lg.file.name}",
            f"{lg.cell}, trial {lg.trial}: match fraction "
            f"{_fmt(lg.match_fraction)}, AUROC {_fmt(lg.auroc)} ({lg.run})",
        )
        for lg in logos
    ]
    slug = sweep.rel.replace("/", "-").replace(".", "root")
    heading = f"{label}" + (f" ({sweep.meta.get('task')})" if sweep.meta.get("task") else "")
    return _page_sections(slug, heading, blocks_checks, blocks_tables, fig_blocks, logo_items)


def _table_blocks(tables, base: Path, href: str, files: dict) -> list[dict]:
    """The paper's tables of one sweep: TSV + Parquet written, one block each."""
    blocks = []
    for table in tables:
        tsv = atomic_write_text(base / "tables" / f"{table.name}.tsv", table.tsv)
        pq = _parquet(table.stats, base / "tables" / f"{table.name}.parquet")
        files["tables"] += [tsv, pq]
        shown = pd.read_csv(io.StringIO(table.tsv), sep="\t", dtype=str)
        shown.insert(1, "trials", table.stats["n_trials"].to_numpy())
        blocks.append(
            {
                "kind": "table",
                "frame": shown,
                "caption": table.title,
                "links": [
                    ("TSV", f"{href}tables/{table.name}.tsv"),
                    ("Parquet", f"{href}tables/{table.name}.parquet"),
                ],
            }
        )
    return blocks


def _check_blocks(repro, tt, base: Path, href: str, files: dict) -> list[dict]:
    """The reproduction check and the t-tests of one sweep: files written, their blocks."""
    blocks_checks: list[dict] = []
    if len(repro):
        files["tables"] += [
            _tsv(repro, base / "tables" / "reproduction_check.tsv"),
            _parquet(repro, base / "tables" / "reproduction_check.parquet"),
        ]
        hits = int(repro["within_range"].sum())
        blocks_checks += [
            {
                "kind": "text",
                "text": f"{hits} of {len(repro)} published values the runs "
                "cover are reproduced. Rule per row: a value read off a figure (a median) "
                "must lie within this run's trial range (min-max over trials, widened by the "
                "precision with which it was read); a printed mean +/- std must have this "
                "run's mean within two of the paper's standard deviations of the paper's "
                "mean. Source: F = median measured off a committed figure, P = printed in a "
                "notebook.",
            },
            {
                "kind": "table",
                "frame": repro.rename(columns=_SHORT),
                "status": "in range",
                "caption": "Reproduction check",
                "links": [("TSV", f"{href}tables/reproduction_check.tsv")],
            },
        ]
    else:
        blocks_checks.append(
            {
                "kind": "text",
                "text": "No published value covers these runs "
                "(the paper's anchors are Task 1/2 match fractions and Task 3 "
                "AUROC for its models and activations).",
            }
        )
    if len(tt):
        files["tables"] += [
            _tsv(tt, base / "tables" / "ttests.tsv"),
            _parquet(tt, base / "tables" / "ttests.parquet"),
        ]
        blocks_checks += [
            {"kind": "heading", "text": "t-tests: original vs modified activation"},
            {
                "kind": "table",
                "frame": tt.rename(columns=_SHORT),
                "status": "agrees",
                "caption": "scipy.stats.ttest_ind per model (equal variances, as the paper); "
                "agrees: both p-values on the same side of 0.05",
                "links": [("TSV", f"{href}tables/ttests.tsv")],
            },
        ]
    return blocks_checks


def _page_sections(slug, heading, blocks_checks, blocks_tables, fig_blocks, logo_items):
    return [
        {
            "id": f"check-{slug}",
            "heading": f"{heading}: reproduction check",
            "blocks": blocks_checks,
        },
        {
            "id": f"tables-{slug}",
            "heading": f"{heading}: tables",
            "blocks": blocks_tables or [{"kind": "text", "text": "No finished runs yet."}],
        },
        {
            "id": f"figures-{slug}",
            "heading": f"{heading}: figures",
            "blocks": fig_blocks
            or [
                {
                    "kind": "text",
                    "text": "No figures (no finished runs, or figures turned off).",
                }
            ],
        },
        {
            "id": f"logos-{slug}",
            "heading": f"{heading}: filter logos",
            "blocks": (
                [
                    {
                        "kind": "text",
                        "text": "First-layer filters of the best trial per "
                        "model and activation (highest match fraction), each titled with its "
                        "best Tomtom hit.",
                    },
                    {"kind": "logos", "items": logo_items},
                ]
                if logo_items
                else [{"kind": "text", "text": "No filter logos found."}]
            ),
        },
    ]


def _problems(sweeps: list[Sweep], rows: pd.DataFrame) -> pd.DataFrame:
    """Failed, missing, corrupt, invalid and stale runs: sweep, run, state, detail."""
    out = []
    by_key = {(r.sweep_dir, r.run): r for r in rows.itertuples()}
    for sweep in sweeps:
        out += [
            {"sweep": sweep.rel, "run": SWEEP, "state": "unreadable", "detail": p}
            for p in sweep.problems
        ]
        for name, error in sorted(sweep.errors.items()):
            out.append(
                {"sweep": sweep.rel, "run": name, "state": "failed", "detail": error["error"]}
            )
        for name, spec in sweep.expected.items():
            row = by_key.get((sweep.rel, name))
            if row is None and name in sweep.running:
                info = sweep.running[name]
                where = ", ".join(
                    f"{k} {info[k]}"
                    for k in ("host", "pid", "slurm_job", "time")
                    if info.get(k) is not None
                )
                out.append(
                    {
                        "sweep": sweep.rel,
                        "run": name,
                        "state": "running",
                        "detail": f"started, no record yet ({where or 'running.json'})",
                    }
                )
            elif row is None and name not in sweep.errors:
                out.append(
                    {
                        "sweep": sweep.rel,
                        "run": name,
                        "state": "missing",
                        "detail": "no record.json and no error.json (not run yet, or running)",
                    }
                )
            elif (
                row is not None
                and row.status == "done"
                and spec.get("spec_hash")
                and row.spec_hash != spec.get("spec_hash")
            ):
                out.append(
                    {
                        "sweep": sweep.rel,
                        "run": name,
                        "state": "stale",
                        "detail": f"record made from another spec ({row.spec_hash} != "
                        f"{spec['spec_hash']}); left out of the tables",
                    }
                )
    for row in rows[rows["status"] != "done"].itertuples():
        out.append(
            {
                "sweep": row.sweep_dir,
                "run": row.run,
                "state": row.status,
                "detail": f"{row.path}: {row.error}",
            }
        )
    return pd.DataFrame(out, columns=["sweep", "run", "state", "detail"])


def _provenance(sweeps, rows, done, problems, stats):
    blocks = []
    for sweep in sweeps:
        blocks += _sweep_provenance(sweep)
    blocks += _seeds_and_versions(done)
    blocks += [
        {"kind": "heading", "text": "Failed, missing and unreadable runs"},
        {
            "kind": "table",
            "frame": problems.head(MAX_PROBLEM_ROWS),
            "links": [("TSV", "problems.tsv")],
            "caption": f"{len(problems)} problem(s) "
            f"({', '.join(f'{n} {k}' for k, n in problems['state'].value_counts().items())})"
            + (f", the first {MAX_PROBLEM_ROWS} shown" if len(problems) > MAX_PROBLEM_ROWS else "")
            + "; the report leaves them out of the tables and goes on.",
        }
        if len(problems)
        else {"kind": "text", "text": "None: every expected run has a valid record."},
    ]
    blocks += [
        {"kind": "heading", "text": "Aggregation"},
        {"kind": "pre", "text": json.dumps(asdict(stats), indent=2)},
        {
            "kind": "links",
            "text": "One row per record file (corrupt ones included), problems, everything "
            "written:",
            "items": [
                ("runs.tsv", "runs.tsv"),
                ("runs.parquet", "runs.parquet"),
                ("problems.tsv", "problems.tsv"),
                ("report.json", "report.json"),
            ],
        },
    ]
    return blocks


def _sweep_provenance(sweep) -> list[dict]:
    """A sweep's manifest head, its config file and the parameters its runs share."""
    blocks: list[dict] = []
    specs = list(sweep.expected.values())
    head = {k: sweep.meta.get(k) for k in ("name", "task", "config") if sweep.meta.get(k)}
    blocks.append({"kind": "heading", "text": f"Sweep {sweep.meta.get('name') or sweep.rel}"})
    blocks.append(
        {
            "kind": "pre",
            "text": json.dumps(
                head
                | {
                    "folder": sweep.rel,
                    "runs expected": len(specs),
                    "record files": len(sweep.records),
                },
                indent=2,
            ),
        }
    )
    config = Path(str(sweep.meta.get("config", "")))
    if config.suffix in (".yaml", ".yml") and config.is_file():
        blocks.append(
            {
                "kind": "details",
                "summary": f"Config file {config.name}",
                "blocks": [{"kind": "pre", "text": config.read_text()[:20000]}],
            }
        )
    blocks += _data_set(sweep.params.get("data") or {})
    if specs:
        params = sweep.params
        blocks.append(
            {
                "kind": "details",
                "summary": "Parameters (every run of this sweep "
                "shares them; seed = sweep seed + trial)",
                "blocks": [{"kind": "pre", "text": json.dumps(params, indent=2)}],
            }
        )
    return blocks


def _motif_db(sweep: Sweep) -> list[dict]:
    """Which motif database the filters were compared with and when a filter "matches"
    (:func:`toolkit.tomtom.rule.describe_match_rule`): the JASPAR set (release, collection,
    tax group) or the user's file, its motifs before and after the ``motifs.min_mean_ic``
    filter, and the Tomtom rule (distance, threshold, min overlap); as the runs recorded it."""
    from toolkit.tasks import TASKS
    from toolkit.tomtom.rule import describe_match_rule

    task = TASKS.get(str(sweep.meta.get("task")))
    if task is None or "filter_results" not in task.report_tables:
        return []
    sections = _recorded_rule(sweep) or _rule_from_params(sweep, task.ground_truth)
    if sections is None:
        return []
    rule, db = sections
    return [{"kind": "text", "text": describe_match_rule(rule, db)}]


def _recorded_rule(sweep: Sweep) -> tuple[dict, dict] | None:
    """The ``match_rule`` and ``motif_db`` sections of the sweep's first readable record
    (the first spec's run first, as :attr:`Sweep.params` is the first spec's); None when
    that record has no such sections.

    The record says what the run compared with when it ran (the target's motifs then, the
    filter's counts), which a report made later from the config could no longer know.
    """
    names = [r for r in sweep.expected if r in sweep.records]
    names += sorted(r for r in sweep.records if r not in sweep.expected)
    for name in names:
        try:
            with open(sweep.records[name][0], "rb") as handle:
                record = json.loads(handle.read())
        except (OSError, ValueError):  # a corrupt record: listed under problems, skipped here
            continue
        if not isinstance(record, dict):
            continue
        rule, db = record.get("match_rule"), record.get("motif_db")
        return (rule, db) if isinstance(rule, dict) and isinstance(db, dict) else None
    return None


def _rule_from_params(sweep: Sweep, ground_truth: bool) -> tuple[dict, dict] | None:
    """The sections rebuilt from the sweep's parameters, the target file re-read now.

    Only for records without them: runs recorded before every step wrote the sections
    (``task: sequences`` and ``chip`` from 2026-12-07, the others from its fourth session).
    None without a target.
    """
    from toolkit.tomtom.rule import match_rule, motif_db
    from toolkit.tomtom.targets import TargetSet, target_set

    tomtom = sweep.params.get("tomtom") or {}
    if not tomtom.get("target"):
        return None
    motifs = (sweep.params.get("extra") or {}).get("motifs") or {}
    targets: TargetSet | str = str(tomtom["target"])
    try:
        targets = target_set(targets, float(motifs.get("min_mean_ic", 0.0)))
    except (InputError, OSError):
        pass  # stated as not read: the report does not fail on a moved or broken target
    try:
        return match_rule(tomtom, ground_truth), motif_db(motifs, targets)
    except KeyError:  # a sweep.json from before a key of the tomtom section existed
        return None


def _data_set(data: dict) -> list[dict]:
    """How a data set made from peaks was made: its files, counts and every background
    method with its ratio, seed and counts (the HDF5's ``peaks``/``background`` attributes)."""
    import h5py

    path = Path(str(data.get("path") or ""))
    if path.suffix != ".h5" or not path.is_file():
        return []
    try:
        with h5py.File(path, "r") as f:
            made = {k: json.loads(f.attrs[k]) for k in ("peaks", "background") if k in f.attrs}
    except (OSError, ValueError):
        return []
    if not made:
        return []
    background = made.get("background", {})
    methods = background.get("methods") or []
    text = (
        f"Negatives made for you: {', '.join(methods)}, {background.get('ratio')} per "
        f"positive, seed {background.get('seed')} (every row's method, seed and source in "
        "origin_*, seed_*, source_* of the data set)"
        if methods
        else "No background made: the negatives are windows of the other peak files only."
    )
    return [
        {"kind": "text", "text": f"Data set {path.name} made from peaks and a genome. {text}"},
        {
            "kind": "details",
            "summary": "How the data set was made (peaks, split, counts, background)",
            "blocks": [{"kind": "pre", "text": json.dumps(made, indent=2)}],
        },
    ]


def _seeds_and_versions(done) -> list[dict]:
    """Seeds of the finished runs, package versions and containers from their records."""
    blocks: list[dict] = []
    seeds = done[["sweep_dir", "model", "activation", "trial", "seed", "run"]]
    if len(seeds) <= 1000:
        blocks.append(
            {
                "kind": "details",
                "summary": f"Seeds of the {len(seeds)} finished runs",
                "blocks": [{"kind": "table", "frame": seeds.reset_index(drop=True)}],
            }
        )
    else:
        blocks.append(
            {
                "kind": "text",
                "text": f"Seeds of the {len(seeds)} finished runs: "
                "runs.tsv / runs.parquet (column seed).",
            }
        )
    blocks += [
        {"kind": "heading", "text": "Package versions (from the run records)"},
        {"kind": "table", "frame": _versions(done, "versions")},
    ]
    containers = _versions(done, "container")
    if len(containers):
        blocks += [
            {"kind": "heading", "text": "Containers"},
            {"kind": "table", "frame": containers},
        ]
    return blocks


def _versions(done: pd.DataFrame, column: str) -> pd.DataFrame:
    counts = done[column].dropna().value_counts()
    seen: dict[str, dict[str, int]] = {}
    for text, n in counts.items():
        for key, value in json.loads(text).items():
            text_value = json.dumps(value) if isinstance(value, (dict, list)) else str(value)
            seen.setdefault(key, {})
            seen[key][text_value] = seen[key].get(text_value, 0) + int(n)
    rows = [
        {
            "name": k,
            "value": "; ".join(f"{v} ({n} runs)" if len(vals) > 1 else v for v, n in vals.items()),
        }
        for k, vals in seen.items()
    ]
    return pd.DataFrame(rows, columns=["name", "value"])


def _parquet(frame: pd.DataFrame, path: Path) -> Path:
    buffer = io.BytesIO()
    frame.to_parquet(buffer, index=False)
    return atomic_write_bytes(path, buffer.getvalue())


def _tsv(frame: pd.DataFrame, path: Path) -> Path:
    return atomic_write_text(path, frame.to_csv(sep="\t", index=False, float_format="%.6g"))


def _fmt(value) -> str:
    return "n/a" if value is None else f"{value:.3f}"


def print_summary(result: ReportResult, file=None) -> None:
    """Print where the report wrote what (the CLI's output)."""
    import sys

    out = file or sys.stdout
    c, a = result.counts, result.aggregation
    problems = ", ".join(
        f"{c[k]} {k}"
        for k in ("running", "failed", "missing", "corrupt", "invalid", "stale")
        if c.get(k)
    )
    print(
        f"report of {c['done']} finished run(s) in {c['sweeps']} sweep(s)"
        f"{'; ' + problems if problems else ''} ({result.seconds:.1f} s)",
        file=out,
    )
    how = (
        f"{a.read} read by Dask workers ({a.scheduler} cluster, {a.partitions} partitions)"
        if a.scheduler in ("local", "slurm")
        else f"{a.read} read in-process"
    )
    print(
        f"  records: {a.records} ({how}, {a.cached} from the cache) in {a.seconds:.1f} s", file=out
    )
    base = result.out_dir
    for kind in ("tables", "figures", "logos", "data"):
        paths = result.files.get(kind, [])
        if paths:
            folders = sorted({str(p.parent.relative_to(base)) for p in paths})
            print(
                f"  {kind}: {len(paths)} file(s) in {', '.join(f + '/' for f in folders)}", file=out
            )
    print(f"  report folder: {base}", file=out)
    print(f"open: {result.index}", file=out)
