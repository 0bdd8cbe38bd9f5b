"""The ``expact`` command line: data, run, summarize, status."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from toolkit.errors import InputError


def main(argv: list[str] | None = None) -> int:
    """Entry point of ``expact`` and ``python -m toolkit``."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")  # silence TF's start-up banners
    parser = _parser()
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.DEBUG if args.verbose else logging.INFO,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        return args.func(args)
    except InputError as exc:
        print(f"expact: error: {exc}", file=sys.stderr)
        return 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="expact", description=__doc__)
    parser.add_argument("-v", "--verbose", action="store_true")
    sub = parser.add_subparsers(dest="command", required=True)

    data = sub.add_parser("data", help="generate a data set")
    data_sub = data.add_subparsers(dest="task", required=True)
    t1 = data_sub.add_parser("task1", help="Task 1 synthetic multi-label data set (spec §1.1)")
    t1.add_argument("--out", type=Path, default=Path("data/synthetic_dataset.h5"))
    t1.add_argument("--pfm", type=Path, default=None,
                    help="JASPAR PFM file (pfm_vertebrates.txt); default: pyjaspar JASPAR2016")
    t1.add_argument("--n-seq", type=int, default=30000)
    t1.add_argument("--seq-length", type=int, default=200)
    t1.add_argument("--seed", type=int, default=33)
    t1.add_argument("--motifs", default=None, help="comma-separated core TF names")
    t1.set_defaults(func=_cmd_data_task1)

    run = sub.add_parser("run", help="run a sweep config on this machine")
    run.add_argument("config", type=Path)
    run.add_argument("--results", type=Path, default=None,
                     help="results folder (default: results/<config name>)")
    run.add_argument("--executor", choices=("local", "debug"), default="local")
    run.add_argument("--no-progress", action="store_true")
    run.set_defaults(func=_cmd_run)

    summ = sub.add_parser("summarize", help="write the summary TSVs of a results folder")
    summ.add_argument("results", type=Path)
    summ.set_defaults(func=_cmd_summarize)

    status = sub.add_parser("status", help="done / failed / pending runs of a results folder")
    status.add_argument("results", type=Path)
    status.set_defaults(func=_cmd_status)
    rep = sub.add_parser("report", help="the Dask report: tables, t-tests, figures, HTML")
    rep.add_argument("results", type=Path, help="a sweep's results folder, or a folder of them")
    rep.add_argument("--out", type=Path, default=None, help="report folder (default: RESULTS/report)")
    rep.add_argument("--cluster", choices=("local", "slurm"), default="local",
                     help="Dask workers: local processes (default) or Slurm jobs (dask-jobqueue)")
    rep.add_argument("--workers", type=int, default=2)
    rep.add_argument("--interface", default=None,
                     help="network interface of the Slurm workers (default: lo on a one-node Slurm)")
    rep.add_argument("--partition", default=None, help="Slurm partition of the workers")
    rep.add_argument("--no-cache", action="store_true", help="re-read every record")
    rep.add_argument("--no-progress", action="store_true")
    rep.set_defaults(func=_cmd_report)
    return parser


def _cmd_data_task1(args: argparse.Namespace) -> int:
    from toolkit.data import task1

    kwargs = {"pfm": args.pfm, "n_seq": args.n_seq, "seq_length": args.seq_length, "seed": args.seed}
    if args.motifs:
        kwargs["core_names"] = tuple(m.strip() for m in args.motifs.split(","))
    path = task1(args.out, **kwargs)
    print(f"wrote {path}")
    return 0


def _cmd_run(args: argparse.Namespace) -> int:
    from toolkit.config import load_config
    from toolkit.summary import summary
    from toolkit.sweep import sweep

    config = load_config(args.config)
    results = args.results or Path("results") / config.name
    outcome = sweep(config, results, executor=args.executor, progress=not args.no_progress)
    written = summary(results)
    print(f"{config.name}: {len(outcome.done)} run(s) done now, {len(outcome.skipped)} already "
          f"done, {len(outcome.failed)} failed")
    for name in outcome.failed:
        print(f"  failed: {name} (see {Path(results) / 'runs' / name / 'error.json'})")
    for name, path in written.items():
        if not name.endswith("_parquet"):
            print(f"  {name}: {path}")
    return 1 if outcome.failed else 0


def _cmd_summarize(args: argparse.Namespace) -> int:
    from toolkit.summary import summary

    for name, path in summary(args.results).items():
        print(f"{name}: {path}")
    return 0


def _cmd_status(args: argparse.Namespace) -> int:
    from toolkit.status import status

    print(status(args.results))
    return 0


def _cmd_report(args: argparse.Namespace) -> int:
    from toolkit.report.build import print_summary, report

    result = report(args.results, args.out, cluster=args.cluster, workers=args.workers,
                    progress=not args.no_progress, use_cache=not args.no_cache,
                    interface=args.interface, partition=args.partition)
    print_summary(result)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
