"""Benchmark: embedded Tomtom (lite, memelite + numba) against the MEME 5.4.1 binary.

    .venv/bin/python bench/bench_tomtom.py [--targets JASPAR.meme] [--queries 32]
        [--repeat 3] [--threads 1 2] [--skip-cold] [--json out.json]

Queries are filter-like PPMs (as in the paper's first-layer filters: widths 6-20, means of
sampled one-hot sites from truncated JASPAR motifs, plus some random motifs), compared with
``tomtom -dist ed -min-overlap 1 -evalue -thresh 0.1`` against JASPAR CORE 2016
vertebrates (518 motifs; without ``--targets`` the paper's file from
``$EXPACT_REFERENCE_DATA`` or ``../shared/reference_data``, else the same release written
from pyjaspar). The MEME binary is single-threaded; memelite runs on numba threads, so the
lite figures are measured once per thread count in ``--threads`` (default: 1 and all CPUs),
each in fresh processes with ``NUMBA_NUM_THREADS`` set before numba loads, and labelled:

* lite, cold (once, all threads): a fresh process with an empty ``NUMBA_CACHE_DIR`` (numba
  compiles memelite); the call and the whole process;
* lite, fresh process per thread count: the first call (loads the compiled kernels from the
  warm cache, what a batch job sees after ``python -m toolkit.tomtom.warmup``), the whole
  process, and the median of ``--repeat`` further calls in that process;
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

JASPAR_NAME = "JASPAR_CORE_2016_vertebrates.meme"

_CHILD = """
import json, statistics, sys, time
t0 = time.perf_counter()
from toolkit.tomtom import tomtom
t1 = time.perf_counter()
df = tomtom(sys.argv[1], sys.argv[2], backend="lite")
t2 = time.perf_counter()
times = []
for _ in range(int(sys.argv[3])):
    t = time.perf_counter()
    tomtom(sys.argv[1], sys.argv[2], backend="lite")
    times.append(time.perf_counter() - t)
import numba
print(json.dumps({"import_s": t1 - t0, "call_s": t2 - t1, "rows": len(df),
                  "threads": numba.get_num_threads(),
                  "repeat_median_s": statistics.median(times) if times else None}))
"""


def default_targets(folder: Path) -> Path:
    """The paper's JASPAR 2016 MEME file, or the same release written from pyjaspar."""
    sys.path.insert(0, str(REPO / "bench"))
    from reference import reference_folder

    return reference_folder(folder) / JASPAR_NAME


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


def child_process(
    queries: Path, targets: Path, threads: int, repeat: int = 0, cache: Path | None = None
) -> dict:
    """Lite Tomtom in a fresh process with ``threads`` numba threads (set before numba loads);
    ``cache``: an own ``NUMBA_CACHE_DIR`` (empty: a cold compile), else the warm default."""
    env = dict(os.environ, NUMBA_NUM_THREADS=str(threads), PYTHONPATH=str(REPO))
    if cache is not None:
        env["NUMBA_CACHE_DIR"] = str(cache)
    t0 = time.perf_counter()
    proc = subprocess.run(
        [sys.executable, "-c", _CHILD, str(queries), str(targets), str(repeat)],
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
    ap.add_argument("--targets", type=Path, default=None)
    ap.add_argument("--queries", type=int, default=32)
    ap.add_argument("--repeat", type=int, default=3)
    ap.add_argument(
        "--threads",
        type=int,
        nargs="+",
        default=sorted({1, os.cpu_count() or 1}),
        help="numba thread counts for lite (default: 1 and all CPUs)",
    )
    ap.add_argument("--skip-cold", action="store_true", help="skip the ~1 min cold compile")
    ap.add_argument("--json", type=Path, default=None, help="also write the results here")
    args = ap.parse_args()

    from toolkit.tomtom import tomtom, tomtom_version

    cpus = os.cpu_count() or 1
    with tempfile.TemporaryDirectory(prefix="bench-tomtom-") as tmp:
        target_file = args.targets or default_targets(Path(tmp) / "reference")
        targets = read_meme(target_file)
        print(
            f"targets: {target_file} ({len(targets)} motifs); queries: {args.queries} "
            f"filter-like; cpus: {cpus}; load average: {os.getloadavg()[0]:.2f}"
        )
        qfile = write_meme(Path(tmp) / "queries.meme", filter_like_queries(targets, args.queries))
        res: dict[str, float] = {}
        if not args.skip_cold:
            cache = Path(tmp) / "numba-cache"
            cache.mkdir()
            cold = child_process(qfile, target_file, cpus, cache=cache)
            res[f"lite cold call ({cold['threads']} threads)"] = cold["call_s"]
            res[f"lite cold process ({cold['threads']} threads)"] = cold["process_s"]
        child_process(qfile, target_file, cpus)  # make sure the default cache is warm
        warm_calls = {}
        for threads in args.threads:
            warm = child_process(qfile, target_file, threads, repeat=args.repeat)
            assert warm["threads"] == threads, warm
            label = f"{threads} numba thread{'s' if threads > 1 else ''}"
            res[f"lite first call, fresh process ({label})"] = warm["call_s"]
            res[f"lite whole process ({label})"] = warm["process_s"]
            res[f"lite repeated call, median ({label})"] = warm["repeat_median_s"]
            warm_calls[threads] = warm

        lite = tomtom(qfile, target_file, backend="lite")  # the table, for the match counts
        meme_times = []
        for _ in range(args.repeat):
            t0 = time.perf_counter()
            meme = tomtom(qfile, target_file, backend="meme")
            meme_times.append(time.perf_counter() - t0)
        res["meme first call (1 thread)"] = meme_times[0]
        res["meme call, median (1 thread)"] = statistics.median(meme_times)

    print(f"lite: {tomtom_version('lite')}; meme: {tomtom_version('meme')}")
    for key, value in res.items():
        print(f"{key:52s} {value:8.3f} s")
    base = res["meme call, median (1 thread)"]
    ratios = {}
    for threads in args.threads:
        label = f"{threads} numba thread{'s' if threads > 1 else ''}"
        for kind in ("first call, fresh process", "repeated call, median"):
            key = f"lite {kind} ({label})"
            ratios[f"meme median / {key}"] = base / res[key]
    for key, value in ratios.items():
        print(f"{key:68s} {value:6.1f}x")
    pairs = set(zip(meme.Query_ID, meme.Target_ID, strict=True))
    lpairs = set(zip(lite.Query_ID, lite.Target_ID, strict=True))
    print(
        f"matches (E <= 0.1): meme {len(pairs)}, lite {len(lpairs)}, common {len(pairs & lpairs)}"
    )
    if args.json:
        args.json.write_text(
            json.dumps({"seconds": res, "ratios": ratios, "cpus": cpus}, indent=2) + "\n"
        )


if __name__ == "__main__":
    main()
