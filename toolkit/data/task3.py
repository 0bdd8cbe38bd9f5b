"""Task 3 synthetic "regulatory code" data set (spec §1.2, ``task3_generate_synthetic_code_dataset.ipynb``).

A binary task: positives (label 1) embed 3-7 motifs drawn from 10 core PWMs (SP1, Gabpa,
CEBPB, MAX, YY1 and their reverse complements), negatives (label 0) embed 3-7 motifs drawn
from a 110-PWM background pool (the 10 core PWMs plus 50 random JASPAR motifs and their
reverse complements), so negatives can contain core motifs too.

The original seeded the legacy global stream (``np.random.seed(22)``) and drew, in order:

1. ``permutation(len(motifs))[:65]`` for the background candidates;
2. for each of the ``N/2`` positives, then each of the ``N/2`` negatives: ``rand()`` for the
   number of motifs (``cumsum([0, 0, .5, .25, .17, .05, .3])``, ``+2``: n in {3, ..., 7}
   with P = {.50, .25, .17, .05, .03}), ``randint(M, size=n)`` for the motif identities
   (both redrawn while the total width is not in (0, L)), ``uniform(0, 2, n + 1)`` for the
   gaps (normalised and rounded, redrawn until they sum to the remainder), and
   ``uniform(0, 1, L)`` to sample the sequence;
3. ``permutation(N)`` for the 70/10/20 split (the notebook's ``cumsum(...).astype(int)``
   bounds, as in Task 1).

**The background-pool bug is kept** (spec §1.2): the notebook removes
``[4, 5, 12, 15, 17, 18, 20, 36, 42, 60]`` (meant as positions in the 65 candidates) as
*JASPAR indices*, ``set(candidates) - set(duplicate_index)``, and then takes the first 50
elements of that set in CPython's set-iteration order. We run the same set expression on
the same integers (plain ``int`` hashes like ``np.int64``: the value itself), so the order,
and so every array, is bit-identical to a run of the notebook on the same JASPAR matrices
(checked against a literal port of the notebook at N = 100, 2,000 and 20,000). The 50 chosen
motifs are recorded in the file attributes (``background_ids``).

``min_interactions``/``max_interactions`` of the notebook are unused there and absent here.
We use a private ``np.random.RandomState(seed)``: the same stream as the seeded global state,
without touching it.
"""

from __future__ import annotations

import hashlib
import os
import platform
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from toolkit.data.jaspar import JasparMotif
from toolkit.data.task1 import (
    _PROGRESS_MIN,
    _SPLITS,
    _core_name_list,
    _core_pwms,
    _fill_model,
    _planted_core,
    _resolve_motifs,
    _sample,
    _split_bounds,
    _validate,
    _write_atomic,
)
from toolkit.errors import InputError

GENERATOR_VERSION = "expact.data.task3/1"

#: Core TFs of the committed notebook (spec §1.2), in its order.
CORE_NAMES: tuple[str, ...] = ("SP1", "Gabpa", "CEBPB", "MAX", "YY1")
#: Background candidates drawn from the JASPAR list, before the buggy filter.
NUM_CANDIDATES = 65
#: Numbers removed from the candidates (as JASPAR indices: the notebook's bug, kept).
DUPLICATE_INDEX: tuple[int, ...] = (4, 5, 12, 15, 17, 18, 20, 36, 42, 60)
#: Background JASPAR motifs kept (each with its reverse complement).
NUM_BACKGROUND = 50

# Kept verbatim (0.3 for .03 only moves the unreachable top threshold); n = last index + 2.
_CUM_DIST = np.cumsum([0, 0, 0.5, 0.25, 0.17, 0.05, 0.3])


def _background_index(rs: np.random.RandomState, n_motifs: int) -> list[int]:
    """The notebook's background choice: 65 candidates, the set bug, the first 50 in set order."""
    candidates = rs.permutation(n_motifs)[:NUM_CANDIDATES]
    # The same expression as the notebook; ints hash as themselves, so the iteration order
    # of this set equals the original's set of np.int64 (same values, same insertion order).
    remaining = set(candidates.tolist()) - set(DUPLICATE_INDEX)
    return list(remaining)[:NUM_BACKGROUND]


def _draw_model(
    rs: np.random.RandomState, widths: np.ndarray, seq_length: int
) -> tuple[np.ndarray, np.ndarray]:
    """``generate_model`` of the Task 3 notebook: motif identities and gaps, in RNG order.

    Parameters
    ----------
    rs : np.random.RandomState
    widths : np.ndarray, shape (M,)
        Width of each of the M PWMs of the pool (10 core or 110 background).
    seq_length : int

    Returns
    -------
    ids : np.ndarray, shape (n,), int
        PWM indices in sampled order, n in 3..7.
    sep : np.ndarray, shape (n + 1,), int
        Background gaps; sums to L - total width.
    """
    while True:
        r = rs.rand()
        # np.where(r > cum_dist)[0][-1] + 2 for r > 0 (cum_dist is non-decreasing, and both
        # leading zeros are passed for r > 0). r == 0.0 (probability 2**-53) crashed the
        # original; here it draws no motif and the loop redraws.
        count = int(np.count_nonzero(r > _CUM_DIST))
        n = count + 1 if count else 0
        ids = rs.randint(len(widths), size=n)
        distance = int(widths[ids].sum())
        if seq_length > distance > 0:
            break
    remainder = seq_length - distance
    while True:
        sep = rs.uniform(0, 2, size=n + 1)
        # Builtin sum (sequential adds) and this exact expression, as in the notebook.
        sep = np.round(sep / sum(sep) * remainder).astype(int)
        if np.sum(sep) == remainder:
            return ids, sep


def _sha256(pwms: Sequence[np.ndarray]) -> str:
    return hashlib.sha256(
        b"".join(np.ascontiguousarray(p, dtype="<f8").tobytes() for p in pwms)
    ).hexdigest()


def task3(
    output: str | os.PathLike,
    pfm: str | os.PathLike | Sequence[JasparMotif] | None = None,
    n_seq: int = 20000,
    seq_length: int = 200,
    seed: int = 22,
    core_names: Sequence[str] = CORE_NAMES,
    split: Sequence[float] = (0.7, 0.1, 0.2),
    pyjaspar_release: str = "JASPAR2016",
    progress: bool = True,
) -> Path:
    """Generate the Task 3 synthetic data set and write it to HDF5 atomically.

    Parameters
    ----------
    output : str or os.PathLike
        The ``.h5`` file to write; it appears only when complete (temporary file + rename).
    pfm : str, os.PathLike, sequence of JasparMotif or None
        JASPAR PFM file (the paper's ``pfm_vertebrates.txt``), parsed motifs, or None for the
        ``pyjaspar`` release ``pyjaspar_release`` (same 519 matrices, same order). The
        background motifs are drawn *by position* in this list.
    n_seq : int
        Number of sequences N, even: N/2 positives then N/2 negatives.
    seq_length : int
        Sequence length L.
    seed : int
        Seed of the ``np.random.RandomState`` stream (22 in the paper).
    core_names : sequence of str
        Core TFs (first motif of each name, case-sensitive).
    split : sequence of 3 floats
        Train/valid/test fractions; must sum to 1.
    pyjaspar_release : str
        Release used when ``pfm`` is None.
    progress : bool
        Show a tqdm bar (only for ``n_seq >= 5000``).

    Returns
    -------
    Path
        ``output``. Datasets (float64, gzip): ``X_{split}`` (n, 4, L) one-hot A,C,G,T;
        ``Y_{split}`` (n, 1) label; ``model_{split}`` (n, 4, L) the ground-truth PWM of each
        sequence; split in train, valid, test (14,000 / 2,000 / 4,000 for N = 20,000). Root
        attributes record the parameters, the JASPAR source, the core and background motif
        IDs and the generator version.

    Raises
    ------
    InputError
        On bad parameters, before any sequence is generated: odd or too small ``n_seq``,
        unknown motif name (close names listed), a JASPAR list too short for the background
        draw, motifs that cannot fit in ``seq_length``, fractions not summing to 1, an empty
        split.
    """
    output = Path(output)
    split = _validate(output, n_seq, seq_length, seed, split, 0, source="task3")
    n_seq, seq_length, seed = int(n_seq), int(seq_length), int(seed)
    core_names = _check_core_names(n_seq, core_names)
    motifs, source, provenance = _resolve_motifs(pfm, pyjaspar_release, source="task3")
    core, core_pwms, core_widths = _core(motifs, source, core_names, seq_length)

    rs = np.random.RandomState(seed)
    background_index = _background_index(rs, len(motifs))
    background = [motifs[i] for i in background_index]
    pool = core_pwms + _core_pwms(background)  # 10 core PWMs, then each motif and its RC
    pool_widths = np.array([p.shape[1] for p in pool])

    half = n_seq // 2
    onehot = np.zeros((n_seq, 4, seq_length), dtype=np.int8)  # float64 only when written
    models = np.empty((n_seq, 4, seq_length), dtype=np.float64)
    labels = np.zeros((n_seq, 1), dtype=np.float64)
    labels[:half] = 1.0
    positions = np.arange(seq_length)

    from tqdm import tqdm  # plain bar: batch jobs log to files, not notebooks

    bar = tqdm(
        total=n_seq,
        desc="task3 sequences",
        unit="seq",
        disable=not progress or n_seq < _PROGRESS_MIN,
    )
    with bar:
        for s in range(n_seq):
            pwms, widths = (core_pwms, core_widths) if s < half else (pool, pool_widths)
            ids, sep = _draw_model(rs, widths, seq_length)
            _fill_model(models[s], pwms, ids, sep)
            onehot[s, _sample(rs, models[s]), positions] = 1
            bar.update(1)

    shuffle = rs.permutation(n_seq)
    bounds = _split_bounds(n_seq, split)
    index = {name: shuffle[bounds[k] : bounds[k + 1]] for k, name in enumerate(_SPLITS)}

    attrs = {
        "seed": seed,
        "n_seq": n_seq,
        "seq_length": seq_length,
        "split": np.asarray(split, dtype=np.float64),
        "split_sizes": np.diff(bounds).astype(np.int64),
    }
    attrs = _attrs(attrs, core_names, core, core_pwms, background_index, background, pool)
    attrs["jaspar_source"] = provenance
    _write_atomic(output, onehot, labels, models, index, attrs)
    return output


def _check_core_names(n_seq: int, core_names: Sequence[str]) -> list[str]:
    """``n_seq`` is even; the core TF names are a list of distinct names."""
    if n_seq % 2:
        raise InputError(
            "task3",
            "n_seq",
            f"expected an even number (n_seq/2 positives, then n_seq/2 negatives), got {n_seq}",
        )
    return _core_name_list(core_names, "task3")


def _core(motifs, source, core_names: list[str], seq_length: int):
    """The core motifs, their PWMs and widths; enough motifs for the background draw."""
    if len(motifs) < NUM_CANDIDATES:
        raise InputError(
            source,
            "pfm",
            f"{len(motifs)} motifs; the background draw takes {NUM_CANDIDATES} candidates",
        )
    return _planted_core(motifs, source, core_names, seq_length, "task3")


def _attrs(params: dict, core_names, core, core_pwms, background_index, background, pool):
    """The file's root attributes: generator, parameters, core and background motifs."""
    return {
        "generator": "expact task3: Koo & Ploenzke 2021 Task 3 synthetic code data (spec 1.2)",
        "generator_version": GENERATOR_VERSION,
        "rng": "numpy.random.RandomState (legacy MT19937), original call order",
        "numpy_version": np.__version__,
        "python_version": platform.python_version(),
        **params,
        "labels": "Y = 1: motifs from the core PWMs only; Y = 0: motifs from the background pool",
        "core_names": list(core_names),
        "core_ids": [m.matrix_id for m in core],
        "core_widths": np.array([m.width for m in core], dtype=np.int64),
        "core_pwm_sha256": _sha256(core_pwms),
        "background_index": np.asarray(background_index, dtype=np.int64),
        "background_ids": [m.matrix_id for m in background],
        "background_names": [m.name for m in background],
        "background_pwm_sha256": _sha256(pool),
        "background_note": (
            f"{NUM_CANDIDATES} candidates minus JASPAR indices {list(DUPLICATE_INDEX)} (the "
            f"notebook's bug), first {NUM_BACKGROUND} in set order; pool = core PWMs + each "
            "background motif and its reverse complement"
        ),
        "jaspar_source": None,
        "channels": "ACGT",
        "layout": "X (N, 4, L) one-hot; Y (N, 1) label; model (N, 4, L) PWM; float64",
    }
