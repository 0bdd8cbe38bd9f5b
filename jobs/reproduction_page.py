"""Write docs/reproduction.md from the reports of paper-scale sweeps.

    python jobs/reproduction_page.py results/repro_task1 [results/repro_task3 ...] \
        --out docs/reproduction.md

Each argument is a results folder whose report (``expact report FOLDER``) is already built;
the page takes everything from that report: the paper's tables (``report/tables/*.tsv``), the
reproduction check (each published value beside the runs' median and range, with its verdict)
and every run's wall time and epochs (``report/runs.tsv``), plus the sweep's config and the
commands that made it (``sweep.json``, ``slurm/submissions.json``). Nothing is typed in by hand,
except ``docs/reproduction/findings.md`` (the written investigation of what is out of range),
which the page includes after the era table.

``--keep`` also copies each sweep's small outputs into ``docs/reproduction/<sweep>/``: every
run's ``record.json`` (as ``records/<run>.json``), ``sweep.json``, the report's ``runs.tsv`` and
tables, with this checkout's absolute paths made repo-relative.
"""

from __future__ import annotations

import argparse
import json
import sys
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from toolkit.eras import ERAS  # noqa: E402
from toolkit.report.reproduction import COLUMNS, RANGE_RULE, SPREAD_RULE  # noqa: E402
from toolkit.run_folder import SweepManifest  # noqa: E402


def page(folders: list[Path]) -> str:
    """The Markdown page of the reports in ``folders``."""
    lines = [
        "# Reproduction at the paper's scale",
        "",
        "Made by `python jobs/reproduction_page.py "
        + " ".join(str(f) for f in folders)
        + " --out docs/reproduction.md` from the reports of these sweeps "
        f"({datetime.now(UTC).strftime('%Y-%m-%d')}). Every number comes from the run "
        "records through `expact report`; the paper's values and their sources are "
        "`toolkit/report/paper_values/*.tsv` (F: read off a figure, with that precision as "
        "tolerance; P: printed).",
        "",
        f"Machine (where the page was made, and the runs ran): {_cpu()}. The runs' records, "
        "`sweep.json`, `runs.tsv` and the report's tables are kept beside this page in "
        "`docs/reproduction/<sweep>/` (weights and data sets are not).",
        "",
    ]
    lines += _eras()
    findings = REPO / "docs" / "reproduction" / "findings.md"
    if findings.is_file():  # the written investigation of the values out of range
        lines += [findings.read_text().rstrip(), ""]
    for folder in folders:
        lines += _section(folder)
    return "\n".join(lines) + "\n"


def _eras() -> list[str]:
    """The era table (toolkit/eras.py): which code, and so which kernels, made each figure."""
    table = pd.DataFrame(
        [
            {
                "figure": era.figure,
                "made": era.made,
                "kernels (conv, hidden dense)": era.kernel_initializer,
                "first conv": {
                    "kernel": "same",
                    "glorot_uniform": "glorot_uniform (plain Conv1D)",
                    "varied": "set by the control",
                }[era.first_conv],
                "evidence": era.evidence,
                "configs": ", ".join(f"`{c}`" for c in era.configs),
            }
            for era in ERAS
        ]
    )
    return [
        "## Which code made each figure",
        "",
        "The original's `tfomics/layers.py` built every conv and hidden dense kernel with "
        "`he_normal` until commit `c483891` (2020-08-07), and with Keras' default "
        "(`glorot_uniform`) after it; published outputs were never regenerated (spec §2.3). "
        "Each figure is reproduced with the kernels of the day it was made "
        "(`toolkit/eras.py`; the output Dense is glorot_uniform in every era, cnn-dist-log's "
        "glorot_normal; ResidualBind's residual-block convs he_normal in every era). Every "
        "shipped config sets `model.kernel_initializer` accordingly, and "
        "`tests/test_eras.py` builds each config's models and checks their kernels.",
        "",
        _markdown(table),
        "",
    ]


def _shown(name: str, folder: str) -> str:
    """A config or profile path as the page shows it: never this machine's folders.

    Inside the checkout: relative to it. Outside: the repository's file of the same name
    under ``folder`` when there is one (e.g. a sweep submitted from a copy of a shipped
    config), else the bare file name.
    """
    path = Path(name)
    if not path.is_absolute():
        return name
    if path.is_relative_to(REPO):
        return str(path.relative_to(REPO))
    same = REPO / folder / path.name
    return str(same.relative_to(REPO)) if same.is_file() else path.name


def _section(folder: Path) -> list[str]:
    manifest = SweepManifest(folder)
    sweep = manifest.read() or {}
    report = folder / "report"
    out = [f"## {sweep.get('name', folder.name)} ({sweep.get('task', '?')})", ""]
    config = _shown(sweep.get("config", "CONFIG"), "configs")
    out.append(f"Config: `{config}`; results folder `{folder}`.")
    submissions = _submissions(manifest)
    out.append("")
    out.append("Commands:")
    out.append("")
    out.append("```bash")
    if submissions:
        # a profile of slurm/profiles/ is named by its stem, as `--profile` takes it; one
        # from outside the repository by its file name, with the values it held
        profiles: dict[str, dict] = {}
        for s in submissions:
            profile = s.get("profile", {})
            name = profile.get("name", "?")
            if (REPO / "slurm" / "profiles" / f"{Path(name).stem}.yaml").is_file():
                profiles[Path(name).stem] = {}
            else:
                profiles[Path(name).name] = profile
        for name, values in sorted(profiles.items()):
            if values:
                keys = ("partition", "cpus_per_task", "mem_gb", "time_min", "array_parallelism")
                held = ", ".join(f"{k} {values[k]}" for k in keys if k in values)
                out.append(f"# profile {name} (not in the repository): {held}")
            out.append(f"expact submit {config} --results {folder} --profile {name}")
    else:
        out.append(f"expact run {config} --results {folder}")
    out.append(f"expact report {folder}")
    out.append("```")
    out.append("")
    # one sweep: report/tables; a sweep with re-analyses: its own tables in report/sweeps/.
    tables = next(
        (d for d in (report / "tables", report / "sweeps" / "tables") if d.is_dir()),
        report / "tables",
    )
    check = tables / "reproduction_check.tsv"
    if check.is_file():
        table = pd.read_csv(check, sep="\t")
        hits = int(table["within_range"].sum())
        out.append(
            f"**Reproduction check**: {hits} of {len(table)} published values are reproduced "
            f"(rule per row: `{RANGE_RULE}` for a median read off a figure; `{SPREAD_RULE}` "
            "for a printed mean +/- std: the runs' mean within two of the paper's standard "
            "deviations of the paper's mean)."
        )
        out.append("")
        shown = table[[c for c in COLUMNS if c not in ("task", "median_minus_paper")]]
        out.append(_markdown(shown))
        out.append("")
    for tsv in sorted(tables.glob("*.tsv")):
        if tsv.stem in ("reproduction_check", "ttests"):
            continue
        out.append(f"`{tsv.stem}` (mean+/-std):")
        out.append("")
        out.append(_markdown(pd.read_csv(tsv, sep="\t", dtype=str)))
        out.append("")
    out += _analyses(report)
    runs = report / "runs.tsv"
    if runs.is_file():
        table = pd.read_csv(runs, sep="\t")
        table = table[(table["status"] == "done") & (table["sweep_dir"] == ".")]
        cols = [
            c
            for c in (
                "run",
                "seed",
                "epochs_run",
                "wall_s",
                "auroc",
                "aupr",
                "match_fraction",
                "match_any",
            )
            if c in table
        ]
        shown = table[cols].copy()
        if "wall_s" in shown:
            shown["wall_min"] = (shown.pop("wall_s") / 60).round(1)
        out.append("Runs (wall time per run in minutes, on this machine: 2 shared cores):")
        out.append("")
        out.append(_markdown(shown.round(3)))
        out.append("")
    return out


def _analyses(report: Path) -> list[str]:
    """The tables of the sweep's re-analyses (``expact analyze``: ``analyses/<name>``), each
    under its name, with the command that made it; their classification tables repeat the
    source runs' and are left out."""
    out: list[str] = []
    for folder in sorted((report / "sweeps").glob("analyses__*")):
        name = folder.name.removeprefix("analyses__")
        manifest = SweepManifest(report.parent / "analyses" / name).read() or {}
        out.append(f"### Re-analysis `{name}`")
        out.append("")
        out.append(f"`expact analyze {report.parent} {manifest.get('config', 'CONFIG')}`")
        out.append("")
        for tsv in sorted((folder / "tables").glob("*.tsv")):
            if tsv.stem.endswith("classification_performance"):
                continue
            out.append(f"`{tsv.stem}` (mean+/-std):")
            out.append("")
            out.append(_markdown(pd.read_csv(tsv, sep="\t", dtype=str)))
            out.append("")
    return out


def _cpu() -> str:
    import os

    try:
        lines = Path("/proc/cpuinfo").read_text().splitlines()
        model = next(
            line.split(":", 1)[1].strip() for line in lines if line.startswith("model name")
        )
    except (OSError, StopIteration):
        model = "unknown CPU"
    return f"{model}, {os.cpu_count()} cores, no GPU"


def _submissions(manifest: SweepManifest) -> list[dict]:
    try:
        return json.loads(manifest.submissions.read_text())
    except (OSError, ValueError):
        return []


def _markdown(frame: pd.DataFrame) -> str:
    header = "| " + " | ".join(map(str, frame.columns)) + " |"
    rule = "|" + "---|" * len(frame.columns)
    body = [
        "| " + " | ".join("" if pd.isna(v) else str(v) for v in row) + " |"
        for row in frame.itertuples(index=False)
    ]
    return "\n".join([header, rule, *body])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("folders", type=Path, nargs="+")
    parser.add_argument("--out", type=Path, default=REPO / "docs" / "reproduction.md")
    parser.add_argument(
        "--keep", action="store_true", help="copy the small outputs into docs/reproduction/<sweep>/"
    )
    args = parser.parse_args(argv)
    missing = [f for f in args.folders if not (f / "report" / "runs.tsv").is_file()]
    if missing:
        print(f"no report in {missing[0]}: run `expact report {missing[0]}` first", file=sys.stderr)
        return 2
    args.out.write_text(page(args.folders))
    print(f"wrote {args.out}")
    if args.keep:
        for folder in args.folders:
            print(f"kept {keep(folder)}")
    return 0


def keep(folder: Path, docs: Path = REPO / "docs" / "reproduction") -> Path:
    """Copy a sweep's records, manifest, runs table and report tables into ``docs/<sweep>/``."""
    import shutil

    manifest = SweepManifest(folder)
    sweep = manifest.read() or {}
    name, config = sweep.get("name", folder.name), sweep.get("config")
    out = docs / name
    if out.exists():
        shutil.rmtree(out)
    (out / "records").mkdir(parents=True)

    def copy(src: Path, dst: Path) -> None:
        # absolute paths of this checkout would name this machine's folders: keep them relative
        text = src.read_text().replace(f"{REPO}/", "").replace(str(folder.resolve()), str(folder))
        if config and Path(config).is_absolute():  # a config submitted from outside the checkout
            text = text.replace(config, _shown(config, "configs"))
        dst.write_text(text)

    for record in sorted(folder.glob("runs/*/record.json")):
        copy(record, out / "records" / f"{record.parent.name}.json")
    copy(manifest.path, out / "sweep.json")
    report = folder / "report"
    copy(report / "runs.tsv", out / "runs.tsv")
    tables = next(
        (d for d in (report / "tables", report / "sweeps" / "tables") if d.is_dir()), None
    )
    for tsv in sorted(tables.glob("*.tsv")) if tables else []:
        copy(tsv, out / tsv.name)
    for analysis in sorted((report / "sweeps").glob("analyses__*")):  # expact analyze
        name = analysis.name.removeprefix("analyses__")
        kept = out / "analyses" / name
        (kept / "records").mkdir(parents=True)
        for record in sorted((folder / "analyses" / name).glob("runs/*/record.json")):
            copy(record, kept / "records" / f"{record.parent.name}.json")
        for tsv in sorted((analysis / "tables").glob("*.tsv")):
            copy(tsv, kept / tsv.name)
    return out


if __name__ == "__main__":
    raise SystemExit(main())
