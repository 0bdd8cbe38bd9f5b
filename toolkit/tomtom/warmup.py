"""Compile memelite's numba kernels once so that later processes start warm.

    python -m toolkit.tomtom.warmup

The first lite Tomtom call on a machine compiles for ~50 s (2 cores); numba caches the
result on disk (see :func:`toolkit.tomtom.lite.configure_numba_cache`), and every later
process loads it in about a second. The warm-up runs a small but representative call:
32 random queries of widths 6-20 (so both of memelite's batch kernels, 16 queries and
fewer, are compiled) against 60 random targets.
"""

from __future__ import annotations

import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from toolkit.meme_io import write_meme

__all__ = ["warmup"]


def warmup(n_queries: int = 32, n_targets: int = 60, seed: int = 0) -> float:
    """Run one lite Tomtom call on random motifs and return its wall time in seconds.

    Parameters
    ----------
    n_queries, n_targets : int
        Number of random query and target motifs (widths 6-20, Dirichlet(1) columns).
    seed : int
        Seed of the random motifs.

    Returns
    -------
    float
        Seconds the call took (about 50 s cold, about 1 s when the cache was already warm).
    """
    from toolkit.tomtom import tomtom

    rng = np.random.default_rng(seed)

    def motifs(n: int) -> list[np.ndarray]:
        return [rng.dirichlet(np.ones(4), size=int(rng.integers(6, 21))) for _ in range(n)]

    with tempfile.TemporaryDirectory(prefix="expact-tomtom-warmup-") as tmp:
        q = write_meme(Path(tmp) / "queries.meme", motifs(n_queries))
        t = write_meme(
            Path(tmp) / "targets.meme",
            motifs(n_targets),
            names=[f"target{j}" for j in range(n_targets)],
        )
        start = time.perf_counter()
        tomtom(q, t, backend="lite")
        _warm_exact(motifs(2))
        return time.perf_counter() - start


def _warm_exact(motifs: list[np.ndarray]) -> None:
    """Compile the exact re-scoring kernel too: lite calls it only for queries with a target
    near the threshold, which random motifs may not have."""
    from toolkit.tomtom.exact import rescore

    columns = np.ascontiguousarray(np.concatenate(motifs).T)
    lengths = np.array([len(m) for m in motifs], dtype=np.int64)
    starts = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)
    rescore(motifs[0], columns, starts, lengths, np.arange(len(motifs), dtype=np.int64))


def main() -> int:
    """Entry point of ``python -m toolkit.tomtom.warmup``."""
    from toolkit.tomtom.lite import configure_numba_cache, lite_version

    cache = configure_numba_cache() or "beside memelite's sources (__pycache__)"
    seconds = warmup()
    print(f"{lite_version()} Tomtom warm-up took {seconds:.1f} s; numba cache: {cache}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
