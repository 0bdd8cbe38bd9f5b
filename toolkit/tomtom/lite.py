"""Back-end ``lite``: memelite's numba Tomtom, dressed up as MEME 5.4.1's ``tomtom -text``.

memelite computes the complete-score, Euclidean-distance Tomtom p-value of every
(query, target) pair. Everything around it follows ``src/tomtom.c`` of MEME 5.4.1:

* both motif files are read with :func:`toolkit.meme_io.read_meme_file` (rows normalised as
  MEME does) and MEME's default pseudocount 0.1 is applied to query and target motifs:
  ``p' = (p * nsites + 0.1 * bg) / (nsites + 0.1)`` with ``nsites`` truncated to an int
  (20 if undeclared) and ``bg`` the query file's background;
* every target and its reverse complement are scored as separate entries (memelite with
  ``reverse_complement=False`` on [targets, RC(targets)], so the column background is the
  same as with its built-in strand merge). Tomtom's p-value of an entry is for the best of
  both orientations, ``1 - (1 - p1)**2`` (this is memelite's own merge formula), truncated
  to float32 as tomtom.c does;
* per query, the 2·N entries are sorted by (p ascending, overlap descending, strand+ID),
  q-values are computed over all of them (:mod:`toolkit.tomtom.qvalue`), E = p x N, and
  the list is cut at the first entry above the threshold, skipping a target whose other
  strand was already reported;
* offsets, overlaps and strands are memelite's (the same convention as MEME: target column
  = query column + Optimal_offset, in the coordinates of the reported strand); consensus
  strings are the per-row argmax of the pseudocounted PPMs with MEME's float32 tie quirk.

memelite approximates (binned column medians, hashed target columns, its own tie-break
between equally scored offsets), so its p-values differ from the binary's by a few percent,
for some pairs by up to a factor 2. Where that could change a decision, the query is
recomputed exactly as ``tomtom.c`` does (:mod:`toolkit.tomtom.exact`): every query with a
target within a factor 3 of its E-value (or q-value) threshold, or with a second target
within a factor 3 of its best hit. Those queries' reported rows then equal the binary's
(p-value, offset, overlap, strand); rows of other queries keep memelite's values, far from
any decision. See ``tests/test_tomtom_trained.py`` and ``docs/benchmarks.md``.

numba compiles memelite on first use (~50 s on 2 cores) and caches the machine code. The
cache goes next to memelite's sources when that folder is writable; otherwise, unless
``NUMBA_CACHE_DIR`` is set, it goes to ``~/.cache/expact/numba`` (``$XDG_CACHE_HOME`` is
honoured), so every later process starts warm. ``python -m toolkit.tomtom.warmup`` fills it.
"""

from __future__ import annotations

import dataclasses
import importlib.metadata
import importlib.util
import os
import sys
import tempfile
import warnings
from pathlib import Path

import numpy as np

from toolkit.meme_io import MemeFile, read_meme_file
from toolkit.tomtom.qvalue import MemeRandom, tomtom_qvalues
from toolkit.tomtom.table import FORMAT_URL, format_tomtom_row, format_tomtom_tsv

__all__ = ["configure_numba_cache", "lite_version", "tomtom_lite"]

# MEME's defaults (tomtom.c: config->pseudo = 0.1; motif.c: DEFAULT_SITE_COUNT 20).
MOTIF_PSEUDOCOUNT = 0.1
DEFAULT_SITE_COUNT = 20
# user.h: TOMTOM_MAX_QUERY_WIDTH; wider queries are skipped.
MAX_QUERY_WIDTH = 100
# Pairs whose memelite p-value is within these factors of a decision are recomputed
# exactly (_rescore_near_decisions): memelite's p-values were within a factor 2 of the
# binary's for every pair of 192 trained filters x JASPAR 2016 with p < 0.01 (median 1.7 %,
# 99th percentile 33 %); a factor 3 leaves a margin and keeps the cost at ~10 % of a call.
EDGE_FACTOR = 3.0
BEST_FACTOR = 3.0
# The MEME release whose tomtom.c this module mirrors.
EMULATED_MEME = "5.4.1"


def lite_version() -> str:
    """Return ``"memelite <version>"`` without importing memelite (or numba)."""
    return f"memelite {importlib.metadata.version('memelite')}"


def _writable_dir(path: Path) -> bool:
    """True if a file can be created in ``path`` (os.access is wrong for root on ro mounts)."""
    try:
        path.mkdir(parents=True, exist_ok=True)
        with tempfile.TemporaryFile(dir=path):
            pass
    except OSError:
        return False
    return True


def configure_numba_cache() -> str | None:
    """Point numba's on-disk cache somewhere writable, before memelite is imported.

    Returns
    -------
    str or None
        The cache folder now in ``NUMBA_CACHE_DIR``, or None when numba's default (the
        ``__pycache__`` beside memelite's sources) is writable and is used.
    """
    if os.environ.get("NUMBA_CACHE_DIR"):
        return os.environ["NUMBA_CACHE_DIR"]
    spec = importlib.util.find_spec("memelite")
    if spec is not None and spec.origin is not None:
        if _writable_dir(Path(spec.origin).parent / "__pycache__"):
            return None
    base = Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache")
    cache = base / "expact" / "numba"
    if not _writable_dir(cache):
        # e.g. a read-only home in a container: numba raises if no cache folder is usable
        cache = Path(tempfile.gettempdir()) / f"expact-numba-{os.getuid()}"
        cache.mkdir(parents=True, exist_ok=True)
    os.environ["NUMBA_CACHE_DIR"] = str(cache)
    _reload_numba_config()
    return str(cache)


def _reload_numba_config() -> None:
    """numba reads its configuration at import; re-read it if numba is already loaded."""
    if "numba" in sys.modules:
        from numba.core import config

        config.reload_config()


def _memelite_tomtom():
    configure_numba_cache()
    from memelite.tomtom import tomtom

    return tomtom


def _pseudocounted(ppm: np.ndarray, nsites: float | None, bg: np.ndarray) -> np.ndarray:
    """MEME's ``apply_pseudocount_to_motif``: (L, 4) -> (L, 4)."""
    sites = int(nsites) if nsites is not None and nsites > 0 else DEFAULT_SITE_COUNT
    total = sites + MOTIF_PSEUDOCOUNT
    return (ppm * sites + MOTIF_PSEUDOCOUNT * bg) / total


def _consensus(ppm: np.ndarray) -> str:
    """tomtom.c ``get_cons``: argmax per row, the running max held in a float32."""
    letters = []
    for row in ppm:
        best, top = 0, np.float32(row[0])
        for j in range(1, 4):
            if row[j] > float(top):
                best, top = j, np.float32(row[j])
        letters.append("ACGT"[best])
    return "".join(letters)


def _rc(ppm: np.ndarray) -> np.ndarray:
    """Reverse complement of an (L, 4) ACGT PPM."""
    return np.ascontiguousarray(ppm[::-1, ::-1])


def _prepared(mf: MemeFile, bg: np.ndarray) -> list[np.ndarray]:
    return [_pseudocounted(m.ppm, m.nsites, bg) for m in mf.motifs]


def _decision_edge(p: np.ndarray, thresh: float, evalue: bool, n: int) -> float:
    """The p-value at which a query's threshold decision falls, from memelite's p-values.

    Parameters
    ----------
    p : np.ndarray, shape (2 n,)
        One query's p-values of every target entry (both strands).
    thresh : float
        The E-value or q-value threshold.
    evalue : bool
        Whether ``thresh`` is on E-values (E = p x n).
    n : int
        The number of targets.

    Returns
    -------
    float
        ``thresh / n`` for E-values. For q-values, the largest p-value whose
        Benjamini-Hochberg value ``p x 2n / rank`` is <= thresh (Tomtom's q-values estimate
        pi0 <= 1 on top of it, so they are at most that), else ``thresh / 2n``.
    """
    if evalue:
        return thresh / n
    srt = np.sort(p.astype(np.float64))
    ok = np.flatnonzero(srt * len(srt) / np.arange(1, len(srt) + 1) <= thresh)
    return float(srt[ok[-1]]) if len(ok) else thresh / len(srt)


def _rescore_near_decisions(
    queries: list[np.ndarray],
    strands: list[np.ndarray],
    pvals: np.ndarray,
    offsets: np.ndarray,
    overlaps: np.ndarray,
    thresh: float,
    evalue: bool,
) -> int:
    """Replace memelite's values by MEME's exact ones where a decision could depend on them.

    memelite's p-values are within a few percent of the binary's for most pairs but off by
    up to a factor ~2 for some (binned medians, hashed target columns; see
    :mod:`toolkit.tomtom.exact`), and its offset tie-break differs. A query is recomputed
    exactly (:func:`toolkit.tomtom.exact.rescore`) when memelite puts a target within a
    factor :data:`EDGE_FACTOR` of its threshold decision, or a second target within a factor
    :data:`BEST_FACTOR` of its best hit; then every target up to ``EDGE_FACTOR`` above the
    decision p-value gets the exact p-value, offset and overlap of both strands. A query with
    every target far from both keeps memelite's values: no decision there can change.

    Parameters
    ----------
    queries : list of np.ndarray, each shape (w_i, 4)
        Pseudocounted query PPMs.
    strands : list of np.ndarray, each shape (L_k, 4)
        The 2 n target entries: n targets, then their reverse complements.
    pvals : np.ndarray, shape (n_queries, 2 n), float32
        memelite's p-values, replaced in place.
    offsets, overlaps : np.ndarray, shape (n_queries, 2 n), int64
        memelite's offsets and overlaps, replaced in place.
    thresh : float
        The E-value or q-value threshold.
    evalue : bool
        Whether ``thresh`` is on E-values.

    Returns
    -------
    int
        The number of queries recomputed.
    """
    from toolkit.tomtom.exact import rescore

    n = len(strands) // 2
    columns = lengths = starts = None
    done = 0
    for qi, query in enumerate(queries):
        p = pvals[qi].astype(np.float64)
        best = np.minimum(p[:n], p[n:])  # per target, its better strand
        edge = _decision_edge(pvals[qi], thresh, evalue, n)
        near = (best >= edge / EDGE_FACTOR) & (best <= edge * EDGE_FACTOR)
        top = best.min()
        contested = top <= edge * EDGE_FACTOR and np.count_nonzero(best <= top * BEST_FACTOR) > 1
        if not (near.any() or contested):
            continue
        targets = np.flatnonzero(best <= max(edge, top) * EDGE_FACTOR)
        targets = np.union1d(targets, np.flatnonzero(best <= top * BEST_FACTOR))
        entries = np.concatenate([targets, targets + n])
        if columns is None:
            # letter-major columns of every entry, as the exact kernel reads them
            columns = np.ascontiguousarray(np.concatenate(strands).T)
            lengths = np.array([len(t) for t in strands], dtype=np.int64)
            starts = np.concatenate([[0], np.cumsum(lengths)[:-1]]).astype(np.int64)
        p_exact, off_exact, ov_exact = rescore(query, columns, starts, lengths, entries)
        pvals[qi, entries] = p_exact
        offsets[qi, entries] = off_exact
        overlaps[qi, entries] = ov_exact
        done += 1
    return done


def tomtom_lite(
    query_meme: str | os.PathLike,
    target_meme: str | os.PathLike,
    thresh: float,
    evalue: bool,
    n_jobs: int = -1,
    exact: bool = True,
) -> tuple[str, list[str]]:
    """Run memelite's Tomtom and format the result as MEME's ``tomtom.tsv``.

    Parameters
    ----------
    query_meme, target_meme : str or os.PathLike
        MEME motif files.
    thresh : float
        Report matches with E-value (``evalue``) or q-value <= thresh (tomtom.c's test).
    evalue : bool
        Threshold on E-values rather than q-values.
    n_jobs : int
        numba threads for memelite (-1: numba's default).
    exact : bool
        Recompute the pairs near a decision (the E-value or q-value threshold, the best
        hit) exactly as MEME does (:func:`_rescore_near_decisions`); False gives memelite's
        values everywhere.

    Returns
    -------
    text : str
        ``tomtom.tsv`` text: header, rows sorted per query by p-value, blank line,
        3 comment lines.
    command : list of str
        A description of the equivalent tomtom command.
    """
    qf = _without_wide_queries(read_meme_file(query_meme))
    tf = read_meme_file(target_meme)
    bg = qf.background  # tomtom uses the query file's background for both files
    queries = _prepared(qf, bg)
    targets = _prepared(tf, bg)
    strands = targets + [_rc(t) for t in targets]
    command = _equivalent_command(query_meme, target_meme, thresh, evalue)
    comments = [
        f"Tomtom (Motif Comparison Tool): expact lite back-end, {lite_version()}, "
        f"emulating MEME {EMULATED_MEME}",
        f"The format of this file is described at {FORMAT_URL}.",
        " ".join(command),
    ]
    if not queries:  # every query was too wide: an empty table, as from the binary
        return format_tomtom_tsv([], comments), command

    pvals, offsets, overlaps = _memelite_scores(queries, strands, n_jobs)
    if exact:
        _rescore_near_decisions(queries, strands, pvals, offsets, overlaps, thresh, evalue)
    rows = _report_rows(qf, tf, queries, strands, pvals, offsets, overlaps, thresh, evalue)
    return format_tomtom_tsv(rows, comments), command


def _without_wide_queries(qf: MemeFile) -> MemeFile:
    """``qf`` less its motifs wider than :data:`MAX_QUERY_WIDTH`, with a warning if any."""
    too_wide = [m.id for m in qf.motifs if len(m.ppm) > MAX_QUERY_WIDTH]
    if not too_wide:
        return qf
    # tomtom.c skips them with a warning (memory is cubic in the query width)
    warnings.warn(
        f"skipping {len(too_wide)} query motif(s) wider than {MAX_QUERY_WIDTH} columns, "
        f"as MEME's tomtom does: {too_wide[:5]}",
        stacklevel=4,  # the caller of tomtom_lite's caller, as before this helper
    )
    return dataclasses.replace(qf, motifs=[m for m in qf.motifs if len(m.ppm) <= MAX_QUERY_WIDTH])


def _equivalent_command(
    query_meme: str | os.PathLike, target_meme: str | os.PathLike, thresh: float, evalue: bool
) -> list[str]:
    """The ``tomtom`` command line whose table :func:`tomtom_lite` reproduces."""
    return [
        "tomtom",
        "-text",
        "-dist",
        "ed",
        "-min-overlap",
        "1",
        *(["-evalue"] if evalue else []),
        "-thresh",
        repr(float(thresh)),
        str(query_meme),
        str(target_meme),
    ]


def _memelite_scores(
    queries: list[np.ndarray], strands: list[np.ndarray], n_jobs: int
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """memelite's p-values (float32, best of both orientations), offsets and overlaps (int64).

    Each array has shape (n_queries, 2 n): one column per target entry of ``strands``.
    """
    tomtom = _memelite_tomtom()
    with warnings.catch_warnings():
        # memelite warns about small target sets; MEME only logs it. Keep the caller's
        # output clean and let the tests cover small databases.
        warnings.filterwarnings("ignore", message="tomtom was given")
        p1, _score, offsets, overlaps, _strand = tomtom(
            [q.T for q in queries],
            [t.T for t in strands],
            reverse_complement=False,
            n_jobs=n_jobs,
        )
    # p of an entry = P(best of both orientations >= score) = 1 - (1 - p1)^2, then float32.
    pvals = (p1 * (2.0 - p1)).astype(np.float32)
    return pvals, offsets.astype(np.int64), overlaps.astype(np.int64)


def _strand_id_ranks(ids: list[str]) -> np.ndarray:
    """Rank of each entry's strand+ID string (``+id`` of every target, then ``-id``).

    tomtom.c's last tie-breaker between entries is strcmp on that string.
    """
    n = len(ids)
    st_ids = ["+" + i for i in ids] + ["-" + i for i in ids]
    st_rank = np.empty(2 * n, dtype=np.int64)
    st_rank[sorted(range(2 * n), key=lambda k: st_ids[k].encode())] = np.arange(2 * n)
    return st_rank


def _report_rows(
    qf: MemeFile,
    tf: MemeFile,
    queries: list[np.ndarray],
    strands: list[np.ndarray],
    pvals: np.ndarray,
    offsets: np.ndarray,
    overlaps: np.ndarray,
    thresh: float,
    evalue: bool,
) -> list[str]:
    """The ``tomtom.tsv`` rows: per query, its entries sorted as tomtom.c sorts them, cut at
    the first one above the threshold, a target's second strand skipped."""
    n = len(tf.motifs)
    evals = ((pvals * np.float32(2 * n)) / np.float32(2)).astype(np.float32)
    ids = [m.id for m in tf.motifs]
    st_rank = _strand_id_ranks(ids)
    target_cons: dict[int, str] = {}

    rng = MemeRandom()  # one stream per run, as in the binary
    rows: list[str] = []
    for qi, qm in enumerate(qf.motifs):
        p = pvals[qi].astype(np.float64)
        ov = overlaps[qi].astype(np.int64)
        order = np.lexsort((st_rank, -ov, p))
        q = tomtom_qvalues(p[order], rng)
        qcons = _consensus(queries[qi])
        seen: set[int] = set()
        for rank, k in enumerate(order):
            sig = q[rank] if not evalue else float(evals[qi, k])
            if sig > thresh:
                break
            t = int(k % n)
            if t in seen:
                continue
            seen.add(t)
            if k not in target_cons:
                target_cons[k] = _consensus(strands[k])
            rows.append(
                format_tomtom_row(
                    qm.id,
                    ids[t],
                    int(offsets[qi, k]),
                    p[k],
                    evals[qi, k],
                    q[rank],
                    int(ov[k]),
                    qcons,
                    target_cons[k],
                    "+" if k < n else "-",
                )
            )
    return rows
