#!/usr/bin/env python
"""The Dask report as a script: ``python jobs/report.py RESULTS_DIR [--out DIR] [--cluster local|slurm]``.

Same as ``expact report`` (see ``expact report --help``): reads every run record under
RESULTS_DIR with Dask and writes the paper's tables, t-tests, the reproduction check, figures
and ``index.html`` into RESULTS_DIR/report (or --out), printing where it wrote what.
"""

from __future__ import annotations

import sys
from pathlib import Path

if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # runs from a checkout too
    from toolkit.cli import main

    raise SystemExit(main(["report", *sys.argv[1:]]))
