"""Benchmark: embedded Tomtom (lite, memelite) against the MEME 5.4.1 binary.

    .venv/bin/python bench/bench_tomtom.py [--targets JASPAR.meme] [--queries 32]

Queries are filter-like PPMs (as in the paper's first-layer filters: widths 6-20, means of
sampled one-hot sites from truncated JASPAR motifs, plus some random motifs), compared with
``tomtom -dist ed -min-overlap 1 -evalue -thresh 0.1`` against JASPAR CORE 2016
vertebrates (518 motifs). Timings:

* lite, cold: a fresh Python process with an empty ``NUMBA_CACHE_DIR`` in a temp folder
  (numba compiles memelite); reported for the call and for the whole process;
* lite, warm process: a fresh process reusing that now-filled cache (what a batch job sees
  after ``python -m toolkit.tomtom.warmup``);
* lite, warm call: a repeated call inside one process (median of ``--repeat``);
* meme: ``toolkit.tomtom.tomtom(backend="meme")`` (binary start-up included), first call
  and median of ``--repeat``.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from toolkit.meme_io import read_meme, write_meme  # noqa: E402

DEFAULT_TARGETS = REPO / ".." / "shared" / "reference_data" / "JASPAR_CORE_2016_vertebrates.meme"

_CHILD = """
import json, sys, time
t0 = time.perf_counter()
from toolkit.tomtom import tomtom
t1 = time.perf_counter()
df = tomtom(sys.argv[1], sys.argv[2], backend="lite")
t2 = time.perf_counter()
print(json.dumps({"import_s": t1 - t0, "call_s": t2 - t1, "rows": len(df)}))
"""


def filter_like_queries(targets: dict[str, np.ndarray], n: int, seed: int = 1) -> dict:
    """Three in four from sampled sites of truncated target motifs, the rest random."""
    rng = np.random.default_rng(seed)
    ids = sorted(targets)
    out = {}
    for j in range(n):
        if j % 4 < 3:
            ppm = targets[ids[int(rng.integers(len(ids)))]]
            width = min(len(ppm), int(rng.integers(6, 21)))
            start = int(rng.integers(0, len(ppm) - width + 1))
            core = ppm[start : start + width]
            sites = int(rng.choice([10, 30, 100]))
            out[f"filter{j}"] = (
                np.stack([rng.multinomial(sites, r / r.sum()) for r in core]) / sites
            )
        else:
            out[f"filter{j}"] = rng.dirichlet(np.ones(4), size=int(rng.integers(6, 21)))
    return out


def child_process(queries: Path, targets: Path, cache: Path) -> dict:
    env = dict(os.environ, NUMBA_CACHE_DIR=str(cache), PYTHONPATH=str(REPO))
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", _CHILD, str(queries), str(targets)],
        env=env,
        capture_output=True,
        text=True,
        check=True,
    )
    result = json.loads(proc.stdout.strip().splitlines()[-1])
    result["process_s"] = time.perf_counter() - t0
    return result


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--targets", type=Path, default=DEFAULT_TARGETS)
    ap.add_argument("--queries", type=int, default=32)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument("--skip-cold", action="store_true", help="skip the ~1 min cold compile")
    args = ap.parse_args()

    from toolkit.tomtom import tomtom, tomtom_version

    targets = read_meme(args.targets)
    print(
        f"targets: {args.targets.name} ({len(targets)} motifs); queries: {args.queries} "
        f"filter-like; cpus: {os.cpu_count()}"
    )
    with tempfile.TemporaryDirectory(prefix="bench-tomtom-") as tmp:
        qfile = write_meme(Path(tmp) / "queries.meme", filter_like_queries(targets, args.queries))
        cache = Path(tmp) / "numba-cache"
        cache.mkdir()
        res: dict[str, float] = {}
        if not args.skip_cold:
            cold = child_process(qfile, args.targets, cache)
            res["lite cold call"] = cold["call_s"]
            res["lite cold process"] = cold["process_s"]
        else:
            child_process(qfile, args.targets, cache)
        warm = child_process(qfile, args.targets, cache)
        res["lite warm-cache call"] = warm["call_s"]
        res["lite warm-cache process"] = warm["process_s"]

        tomtom(qfile, args.targets, backend="lite")  # compile/load in this process
        lite_times = []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            lite = tomtom(qfile, args.targets, backend="lite")
            lite_times.append(time.perf_counter() - t0)
        res["lite warm call (median)"] = statistics.median(lite_times)

        try:
            meme_times = []
            for _ in range(args.repeat):
                t0 = time.perf_counter()
                meme = tomtom(qfile, args.targets, backend="meme")
                meme_times.append(time.perf_counter() - t0)
            res["meme first call"] = meme_times[0]
            res["meme call (median)"] = statistics.median(meme_times)
            meme_version = tomtom_version("meme")
        except FileNotFoundError as exc:
            print(f"meme back-end skipped: {exc}")
            meme = None
            meme_version = "absent"

    print(f"lite: {tomtom_version('lite')}; meme: {meme_version}")
    for key, value in res.items():
        print(f"{key:28s} {value:8.3f} s")
    if meme is not None:
        base = res["meme call (median)"]
        for key in [k for k in res if k.startswith("lite")]:
            print(f"ratio meme median / {key:28s} {base / res[key]:8.1f}x")
        pairs = set(zip(meme.Query_ID, meme.Target_ID, strict=True))
        lpairs = set(zip(lite.Query_ID, lite.Target_ID, strict=True))
        print(
            f"matches (E <= 0.1): meme {len(pairs)}, lite {len(lpairs)}, "
            f"common {len(pairs & lpairs)}"
        )


if __name__ == "__main__":
    main()
