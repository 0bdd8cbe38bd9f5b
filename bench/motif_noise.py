"""Benchmark: how many of 24 noise "filters" match a motif database (docs/motif_matching.md).

    .venv/bin/python bench/motif_noise.py [--seeds 10] [--sets untrained-relu ...]
        [--databases JASPAR2024 JASPAR2024:ic=1.0 file ...] [--jaspar2016 PATH] [--meme]
        [--out results.json]

Each noise set is 24 PPMs clipped as a run's first-layer filters are
(``toolkit.filters.clip``, 0.5 bits, pad 3), one set per seed:

* ``untrained-relu`` / ``untrained-exp``: an untrained model's first layer, 24 random
  he_normal 19-wide kernels with relu or exp scanned over 400 random 200-nt sequences, PPMs
  by ``toolkit.filters.ppm`` (threshold 0.5, window 20);
* ``dirichlet-1`` / ``dirichlet-3`` / ``dirichlet-10``: 20-column PPMs with Dirichlet(alpha)
  columns;
* ``shuffled-jaspar``: 24 JASPAR 2024 CORE vertebrates motifs drawn at random with their
  columns permuted (the motifs' information, no motif).

Each set is written with ``toolkit.meme_io.write_meme`` and compared with every database by
``toolkit.tomtom.tomtom`` (back-end ``lite``; with ``--meme`` also the MEME binary, about
100 times slower here: give it a few seeds and databases) under the paper's rule (Euclidean
distance, E-value <= 0.1, min overlap 1); a filter "matches" when
``toolkit.match.match_any`` counts it (any hit, Gmeb1 alone excepted). The table gives, per
database and set, the median and range over the seeds of the filters matching, out of 24.
The defaults (10 seeds, 6 sets, 7 databases: 420 lite calls) take about 5 minutes on 2
busy cores.

A database is ``SOURCE[:ic=BITS][:w=COLUMNS]``: ``SOURCE`` a pyjaspar release (CORE
vertebrates, latest versions, written by ``toolkit.data.jaspar_meme``) or ``file`` (the
MEME file of ``--jaspar2016``, by default the paper's JASPAR 2016 file); ``ic`` leaves out
motifs with a lower mean information per column (``toolkit.tomtom.targets.filter_targets``,
the ``motifs.min_mean_ic`` of ``task: sequences``); ``w`` leaves out motifs wider than
``COLUMNS`` (pyjaspar releases only: ``jaspar_meme(exclude=...)``). Every file is written
into a temporary folder.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from toolkit.data.jaspar_meme import PAPER_EXCLUDED, jaspar_meme  # noqa: E402
from toolkit.filters import clip, ppm  # noqa: E402
from toolkit.match import match_any  # noqa: E402
from toolkit.meme_io import read_meme_file, write_meme  # noqa: E402
from toolkit.tomtom import tomtom  # noqa: E402
from toolkit.tomtom.meme import TomtomNotFoundError, find_tomtom  # noqa: E402
from toolkit.tomtom.targets import filter_targets, mean_information  # noqa: E402

N_FILTERS = 24
NOISE_SETS = (
    "untrained-relu",
    "untrained-exp",
    "dirichlet-1",
    "dirichlet-3",
    "dirichlet-10",
    "shuffled-jaspar",
)
SHUFFLE_POOL = "JASPAR2024"
DEFAULT_JASPAR2016 = REPO.parent / "shared" / "reference_data" / "JASPAR_CORE_2016_vertebrates.meme"
DEFAULT_DATABASES = (
    "file",
    "file:ic=1.0",
    "JASPAR2024",
    "JASPAR2024:ic=1.0",
    "JASPAR2024:w=30",
    "JASPAR2024:w=25",
    "JASPAR2024:w=20",
)


def untrained(seed: int, activation: str) -> list[np.ndarray]:
    """PPMs of 24 untrained (he_normal) 19-wide filters over 400 random 200-nt sequences."""
    rng = np.random.default_rng(seed)
    x = np.eye(4, dtype=np.float32)[rng.integers(0, 4, size=(400, 200))]  # (N, L, 4)
    kernels = rng.normal(0.0, np.sqrt(2 / 76), size=(19, 4, N_FILTERS)).astype(np.float32)
    padded = np.pad(x, ((0, 0), (9, 9), (0, 0)))
    fmap = sum(padded[:, k : k + 200, :] @ kernels[k] for k in range(19))
    fmap = np.maximum(fmap, 0.0) if activation == "relu" else np.exp(fmap)
    ppms, _ = ppm(fmap, x, threshold=0.5, window=20)
    return list(ppms)


def dirichlet(seed: int, alpha: float) -> list[np.ndarray]:
    """24 PPMs of 20 columns, each column Dirichlet(alpha)."""
    return list(np.random.default_rng(seed).dirichlet([alpha] * 4, size=(N_FILTERS, 20)))


def shuffled(seed: int, pool: list[np.ndarray]) -> list[np.ndarray]:
    """24 motifs of ``pool`` drawn without replacement, columns permuted."""
    rng = np.random.default_rng(seed)
    picks = rng.choice(len(pool), size=N_FILTERS, replace=False)
    return [pool[i][rng.permutation(len(pool[i]))] for i in picks]


def noise_sets(pool: list[np.ndarray]) -> dict[str, Callable[[int], list[np.ndarray]]]:
    """Name (:data:`NOISE_SETS`) -> seed -> raw (unclipped) PPMs."""
    return {
        "untrained-relu": lambda s: untrained(s, "relu"),
        "untrained-exp": lambda s: untrained(s, "exp"),
        "dirichlet-1": lambda s: dirichlet(s, 1.0),
        "dirichlet-3": lambda s: dirichlet(s, 3.0),
        "dirichlet-10": lambda s: dirichlet(s, 10.0),
        "shuffled-jaspar": lambda s: shuffled(s, pool),
    }


@dataclass(frozen=True)
class Database:
    """One database variant: ``source`` (a pyjaspar release or ``file``) and its filters."""

    spec: str
    source: str
    min_mean_ic: float = 0.0
    max_width: int | None = None


def parse_database(spec: str) -> Database:
    """``SOURCE[:ic=BITS][:w=COLUMNS]`` -> :class:`Database`."""
    source, *options = spec.split(":")
    min_mean_ic, max_width = 0.0, None
    for option in options:
        key, _, value = option.partition("=")
        if key == "ic" and value:
            min_mean_ic = float(value)
        elif key == "w" and value:
            max_width = int(value)
        else:
            raise ValueError(f"{spec!r}: expected SOURCE[:ic=BITS][:w=COLUMNS]")
    if source == "file" and max_width is not None:
        raise ValueError(f"{spec!r}: a width limit needs a pyjaspar release")
    return Database(spec, source, min_mean_ic, max_width)


def write_database(db: Database, folder: Path, jaspar2016: Path | None) -> tuple[Path, int]:
    """The MEME file Tomtom reads for ``db`` (written under ``folder``) and its motif count."""
    stem = db.spec.replace(":", "_").replace("=", "")
    if db.source == "file":
        if jaspar2016 is None:
            raise FileNotFoundError(f"{db.spec}: no --jaspar2016 file")
        path = jaspar2016
    else:
        path = folder / f"{db.source}.meme"
        if not path.exists():
            jaspar_meme(path, release=db.source)
        if db.max_width is not None:
            wide = [m.id for m in read_meme_file(path).motifs if len(m.ppm) > db.max_width]
            exclude = PAPER_EXCLUDED.get(db.source, ()) + tuple(wide)
            path = jaspar_meme(folder / f"{stem}_w.meme", release=db.source, exclude=exclude)
    chosen = filter_targets(path, folder / f"{stem}.meme", db.min_mean_ic)
    return Path(chosen.path), chosen.n_kept


def count_matches(query: Path, target: Path, backend: str, names: dict[str, str]) -> dict:
    """Filters of ``query`` matching ``target``, and their best hits' names."""
    hits = tomtom(query, target, backend=backend, thresh=0.1, evalue=True, dist="ed")
    result = match_any(hits, N_FILTERS, names)
    return {
        "matched": round(result["match_any"] * N_FILTERS),
        "best": [name for name in result["best_name"] if name],
    }


def summary(counts: list[int]) -> str:
    """``median [min-max]``, or the count itself for one seed."""
    if len(counts) == 1:
        return str(counts[0])
    median = statistics.median(counts)
    text = f"{median:g}" if median == int(median) else f"{median:.1f}"
    return f"{text} [{min(counts)}-{max(counts)}]"


def table(results: dict, sets: list[str], backend: str) -> str:
    """Markdown table: one row per database, one column per noise set."""
    lines = [
        f"| database ({backend}) | motifs | " + " | ".join(sets) + " |",
        "|---|---|" + "---|" * len(sets),
    ]
    for spec, entry in results["databases"].items():
        cells = [summary(entry[backend][name]["matched"]) for name in sets]
        lines.append(f"| {spec} | {entry['n_motifs']} | " + " | ".join(cells) + " |")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> dict:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--seeds", type=int, default=10, help="seeds 0..N-1 of each noise set")
    ap.add_argument("--sets", nargs="+", default=None, help="noise sets (default: all)")
    ap.add_argument("--databases", nargs="+", default=list(DEFAULT_DATABASES))
    ap.add_argument(
        "--jaspar2016",
        type=Path,
        default=DEFAULT_JASPAR2016,
        help="the MEME file of the 'file' databases (skipped when missing)",
    )
    ap.add_argument("--meme", action="store_true", help="also run the MEME tomtom binary")
    ap.add_argument("--out", type=Path, default=None, help="also write the results as JSON")
    args = ap.parse_args(argv)

    databases = [parse_database(spec) for spec in args.databases]
    jaspar2016 = args.jaspar2016 if args.jaspar2016.is_file() else None
    if jaspar2016 is None and any(db.source == "file" for db in databases):
        print(f"no {args.jaspar2016}: leaving out the 'file' databases")
        databases = [db for db in databases if db.source != "file"]
    backends = ["lite", "meme"] if args.meme else ["lite"]
    if args.meme:
        try:
            find_tomtom()
        except TomtomNotFoundError as err:
            ap.error(f"--meme: {err}")
    sets = args.sets or list(NOISE_SETS)
    unknown = sorted(set(sets) - set(NOISE_SETS))
    if unknown:
        ap.error(f"unknown noise sets {unknown}; choose from {list(NOISE_SETS)}")
    started = time.perf_counter()
    with tempfile.TemporaryDirectory(prefix="motif_noise_") as tmp:
        folder = Path(tmp)
        pool = []
        if "shuffled-jaspar" in sets:
            pool_file = jaspar_meme(folder / f"{SHUFFLE_POOL}.meme", release=SHUFFLE_POOL)
            pool = [m.ppm for m in read_meme_file(pool_file).motifs]
        generators = noise_sets(pool)
        queries: dict[str, list[Path]] = {name: [] for name in sets}
        information: dict[str, float] = {}
        for name in sets:
            per_filter: list[float] = []
            for seed in range(args.seeds):
                filters = clip(generators[name](seed), 0.5, 3)
                per_filter.extend(mean_information(f) for f in filters)
                queries[name].append(write_meme(folder / f"{name}_{seed}.meme", filters))
            information[name] = float(np.mean(per_filter))
        results: dict = {
            "seeds": args.seeds,
            "n_filters": N_FILTERS,
            "rule": "Tomtom, distance ed, E-value <= 0.1, min overlap 1; match_any",
            "mean_information": information,
            "jaspar2016": str(jaspar2016) if jaspar2016 else None,
            "databases": {},
        }
        for db in databases:
            target, n_motifs = write_database(db, folder, jaspar2016)
            names = {
                k: f"{k} {v}" if v else k for k, v in read_meme_file(target).alt_names().items()
            }
            entry: dict = {"n_motifs": n_motifs}
            for backend in backends:
                entry[backend] = {}
                for name in sets:
                    runs = [count_matches(q, target, backend, names) for q in queries[name]]
                    best = Counter(b for run in runs for b in run["best"]).most_common(3)
                    entry[backend][name] = {
                        "matched": [run["matched"] for run in runs],
                        "top_best_hits": [[hit, n] for hit, n in best],  # JSON's lists
                    }
            results["databases"][db.spec] = entry
            print(f"{db.spec}: done ({time.perf_counter() - started:.0f} s)", flush=True)
    results["seconds"] = time.perf_counter() - started

    print(
        f"\nFilters matching, of {N_FILTERS}, median [min-max] over seeds 0-{args.seeds - 1} "
        "(Tomtom ed, E <= 0.1, match_any):\n"
    )
    for backend in backends:
        print(table(results, sets, backend) + "\n")
    print("Mean information per query column (bits): ", end="")
    print(", ".join(f"{name} {value:.2f}" for name, value in information.items()))
    print(f"{results['seconds']:.0f} s")
    if args.out:
        args.out.write_text(json.dumps(results, indent=1) + "\n")
    return results


if __name__ == "__main__":
    main()
