"""``horovodrun -np N --gloo python -m toolkit.distributed CONFIG [--results DIR]``.

Runs a sweep (e.g. ``configs/task4.yaml``) on every rank of a horovodrun launch: rank 0
plans and prepares it, all ranks run its unfinished runs together
(:func:`toolkit.distributed.element.run_ranks`), rank 0 writes the summary. Exit codes as
``expact run``: 0 done, 1 a run failed, 2 bad input.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from pathlib import Path

from toolkit.errors import InputError


def main(argv: list[str] | None = None) -> int:
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    parser = argparse.ArgumentParser(prog="python -m toolkit.distributed", description=__doc__)
    parser.add_argument("config", type=Path)
    parser.add_argument(
        "--results", type=Path, default=None, help="results folder (default: results/<config name>)"
    )
    args = parser.parse_args(argv)
    logging.basicConfig(
        level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s"
    )
    from toolkit.config import load_config
    from toolkit.distributed.element import run_ranks
    from toolkit.distributed.launch import init
    from toolkit.sweep import plan, prepare_sweep

    try:
        config = load_config(args.config)
        results = (args.results or Path("results") / config.name).resolve()
        hvd = init(results / "slurm" / "rendezvous")
        specs = config.run_specs(results)
        error = None
        if hvd.rank() == 0:
            try:
                todo, _ = plan(specs, results)
                prepare_sweep(config, specs, todo, results)
            except InputError as exc:
                error = str(exc)
        error = hvd.broadcast_object(error, root_rank=0, name="expact_prepare")
        if error:
            raise InputError(args.config, None, error)
    except InputError as exc:
        print(f"expact: error: {exc}", file=sys.stderr)
        return 2
    try:
        outcome = run_ranks(results, [s.to_dict() for s in specs])
    except Exception as exc:
        print(f"expact: rank {hvd.rank()}: {exc}", file=sys.stderr)
        return 1
    if hvd.rank() == 0:
        from toolkit.summary import summary

        summary(results)
        print(
            f"{config.name}: {len(outcome['done'])} run(s) done now, "
            f"{len(outcome['skipped'])} already done, on {hvd.size()} rank(s)"
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
