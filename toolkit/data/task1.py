"""Task 1 synthetic multi-label data set (spec §1.1, ``task1_generate_synthetic_dataset.ipynb``).

The original seeded the legacy global stream (``np.random.seed(33)``) and drew, per sequence
and in this order:

1. ``rand()`` for the number of motifs ``n`` (``cumsum([0, .5, .25, .17, .05, .3])``; the last
   entry is a typo for .03, but only the thresholds .5/.75/.92/.97 matter, so P(n) is
   {.50, .25, .17, .05, .03});
2. ``randint(24, size=n)`` for the motif identities, redrawing *both* 1. and 2. while the
   total motif width is not in (0, L);
3. ``uniform(0, 1, n + 1)`` for the gaps, normalised and rounded, redrawn until the rounded
   gaps sum to the remainder exactly;
4. ``uniform(0, 1, L)`` to sample the sequence from the (4, L) model.

``np.random.permutation(N)`` is drawn after all sequences. We use a private
``np.random.RandomState(seed)``, which yields the same stream as the seeded global state
without touching it, and the same float expressions, so the arrays are bit-identical to a run
of the notebook on the same JASPAR matrices. Only the per-sequence work inside 4. (finding the
first nucleotide with ``Z < cumsum``) is vectorised; it consumes no random numbers.

Split sizes follow the notebook's arithmetic,
``cum = np.cumsum(np.multiply([0, .7, .1, .2], N)).astype(int)`` with train =
``perm[cum[0]:cum[1]]``, valid = ``perm[cum[1]:cum[2]]``, test = ``perm[cum[2]:cum[3]]``.
For N = 30,000 that is 21,000 / 3,000 / 6,000. Truncation means that for some N (e.g. 3, 6,
12, 24, 29, 48, ...; about 7 % of N up to 100,000) ``cum[3]`` is N - 1 and the last shuffled
sequence is dropped, as in the original; the root attributes record the sizes.

Older notebook: ``code/notebooks/Generate_task1_dataset.ipynb`` (commit ``6ddbe7e``) made
``num_plot = 10`` extra ``generate_model`` draws (steps 1-3 only, no sequence sampling) for
logo plots before the 30,000 sequences. Which version produced the paper's file is not known
(spec §1.1, "Bit-exact regeneration is uncertain"); ``num_plot_draws=10`` reproduces the older
stream, the default 0 the committed notebook.
"""

from __future__ import annotations

import hashlib
import math
import os
import secrets
from collections.abc import Sequence
from importlib.metadata import version
from pathlib import Path

import h5py
import numpy as np

from toolkit.data.jaspar import (
    JasparMotif,
    jaspar_from_pyjaspar,
    motif_lookup,
    read_jaspar_pfm,
)
from toolkit.errors import InputError

GENERATOR_VERSION = "expact.data.task1/1"

CORE_NAMES: tuple[str, ...] = (
    "Arid3a",
    "CEBPB",
    "FOSL1",
    "Gabpa",
    "MAFK",
    "MAX",
    "MEF2A",
    "NFYB",
    "SP1",
    "SRF",
    "STAT1",
    "YY1",
)

# Kept verbatim, typo included: 0.3 instead of 0.03 only moves the unreachable top threshold.
_CUM_DIST = np.cumsum([0, 0.5, 0.25, 0.17, 0.05, 0.3])
_SPLITS = ("train", "valid", "test")
_PROGRESS_MIN = 5000
_WRITE_BLOCK = 4096  # rows per HDF5 write, bounds the float64 copies made while writing


def _core_pwms(core: Sequence[JasparMotif]) -> list[np.ndarray]:
    """Forward PWM of each core TF followed by its reverse complement (index 2k, 2k+1)."""
    pwms = []
    for motif in core:
        pwms.append(motif.pwm)
        pwms.append(motif.pwm[:, ::-1][::-1, :])
    return pwms


def _core_name_list(core_names: Sequence[str], task: str) -> list[str]:
    """The core TF names as a list of distinct names (one string is an error, not a list)."""
    if isinstance(core_names, str):
        raise InputError(task, "core_names", "expected a list of TF names, got one string")
    core_names = list(core_names)
    if not core_names or len(set(core_names)) != len(core_names):
        raise InputError(task, "core_names", f"expected distinct TF names, got {core_names}")
    return core_names


def _planted_core(
    motifs, source, core_names: list[str], seq_length: int, task: str
) -> tuple[list[JasparMotif], list[np.ndarray], np.ndarray]:
    """The core motifs, their PWMs (4, w) forward and reverse complement, and the PWMs'
    widths (2K,); an error when not even the narrowest fits in ``seq_length``."""
    core = [motif_lookup(motifs, name, source=source) for name in core_names]
    pwms = _core_pwms(core)
    widths = np.array([p.shape[1] for p in pwms])
    if widths.min() >= seq_length:
        raise InputError(
            task,
            "seq_length",
            f"seq_length={seq_length} cannot hold any motif (narrowest core motif is "
            f"{widths.min()} nt; the total motif width must stay below seq_length)",
        )
    return core, pwms, widths


def core_motifs(
    pfm: str | os.PathLike | Sequence[JasparMotif] | None = None,
    core_names: Sequence[str] = CORE_NAMES,
    pyjaspar_release: str = "JASPAR2016",
) -> list[np.ndarray]:
    """The generator's motifs: each core TF's PWM (4, w) and its reverse complement, in the
    generator's order (index 2k forward, 2k+1 reverse complement of ``core_names[k]``).

    Takes the generator's own ``pfm``, ``core_names`` and ``pyjaspar_release`` (a config's
    ``data.generate`` section), so scans use exactly the motifs that were planted.
    """
    motifs, source, _ = _resolve_motifs(pfm, pyjaspar_release)
    return _core_pwms([motif_lookup(motifs, name, source=source) for name in core_names])


def _draw_model(
    rs: np.random.RandomState, widths: np.ndarray, seq_length: int
) -> tuple[np.ndarray, np.ndarray]:
    """Steps 1-3 of ``generate_model``: motif identities and gaps, in the original RNG order.

    Parameters
    ----------
    rs : np.random.RandomState
    widths : np.ndarray, shape (M,)
        Width of each of the M PWMs (M = 24 for Task 1).
    seq_length : int

    Returns
    -------
    ids : np.ndarray, shape (n,), int
        PWM indices in sampled order.
    sep : np.ndarray, shape (n + 1,), int
        Background gaps before, between and after the motifs; sums to L - total width.
    """
    while True:
        r = rs.rand()
        # Same as np.where(r > cum_dist)[0][-1] + 1 for r > 0 (cum_dist increases). r == 0.0
        # (probability 2**-53) crashed the original; here it gives n = 0 and a redraw.
        n = int(np.count_nonzero(r > _CUM_DIST))
        ids = rs.randint(len(widths), size=n)
        distance = int(widths[ids].sum())
        if seq_length > distance > 0:
            break
    remainder = seq_length - distance
    while True:
        sep = rs.uniform(0, 1, size=n + 1)
        # Builtin sum (sequential adds) and this exact expression, as in the notebook.
        sep = np.round(sep / sum(sep) * remainder).astype(int)
        if np.sum(sep) == remainder:
            return ids, sep


def _fill_model(out: np.ndarray, pwms: Sequence[np.ndarray], ids, sep) -> None:
    """Write the (4, L) sequence model: uniform background, motifs in sampled order."""
    out[:] = 0.25  # == np.ones((4, k)) / 4 of the original, exactly
    pos = int(sep[0])
    for k, i in enumerate(ids):
        w = pwms[i].shape[1]
        out[:, pos : pos + w] = pwms[i]
        pos += w + int(sep[k + 1])


def _sample(rs: np.random.RandomState, model: np.ndarray) -> np.ndarray:
    """``simulate_sequence``: index (L,) of the first nucleotide j with ``Z < cumsum[j]``."""
    z = rs.uniform(0, 1, model.shape[1])
    hit = z[None, :] < model.cumsum(axis=0)
    index = hit.argmax(axis=0)
    missed = ~hit.any(axis=0)
    if missed.any():
        # Z at or above a column total that rounds below 1 (chance ~1e-16 per position); the
        # original raised IndexError. Take the last nucleotide with non-zero probability.
        for i in np.flatnonzero(missed):
            index[i] = int(np.flatnonzero(model[:, i] > 0)[-1])
    return index


def _split_bounds(n_seq: int, split: Sequence[float]) -> np.ndarray:
    """The notebook's ``cumsum(multiply([0, *split], N)).astype(int)`` (4 bounds)."""
    return np.cumsum(np.multiply([0, split[0], split[1], split[2]], n_seq)).astype(int)


def _resolve_motifs(
    pfm: str | os.PathLike | Sequence[JasparMotif] | None, release: str, source: str = "task1"
) -> tuple[list[JasparMotif], str, str]:
    """(motifs, short source for errors, provenance string for the file attributes)."""
    if pfm is None:
        motifs = jaspar_from_pyjaspar(release)  # InputError if pyjaspar is missing
        provenance = f"pyjaspar {version('pyjaspar')} {release} CORE vertebrates"
        return motifs, f"pyjaspar:{release}", provenance
    if isinstance(pfm, str | os.PathLike):
        path = Path(pfm)
        motifs = read_jaspar_pfm(path)
        digest = hashlib.sha256(path.read_bytes()).hexdigest()
        return motifs, str(path), f"file {path.name} sha256={digest}"
    motifs = list(pfm)
    if not motifs or not all(isinstance(m, JasparMotif) for m in motifs):
        raise InputError(source, "pfm", "expected a PFM path, None or a list of JasparMotif")
    source = motifs[0].source or "motif list"
    return motifs, source, f"motif list from {source}"


def _validate(
    output: Path,
    n_seq: int,
    seq_length: int,
    seed: int,
    split,
    num_plot_draws: int,
    source: str = "task1",
) -> tuple[float, float, float]:
    src = source
    if output.is_dir():
        raise InputError(output, "output", "is a directory; expected an .h5 file path")
    for name, value, low in (
        ("n_seq", n_seq, 1),
        ("seq_length", seq_length, 1),
        ("num_plot_draws", num_plot_draws, 0),
    ):
        if isinstance(value, bool) or not isinstance(value, int | np.integer) or value < low:
            raise InputError(src, name, f"expected an integer >= {low}, got {value!r}")
    if isinstance(seed, bool) or not isinstance(seed, int | np.integer) or not 0 <= seed < 2**32:
        raise InputError(src, "seed", f"expected an integer in [0, 2**32), got {seed!r}")
    try:
        split = tuple(float(s) for s in split)
    except (TypeError, ValueError):
        raise InputError(src, "split", f"expected 3 fractions, got {split!r}") from None
    if len(split) != 3 or not all(math.isfinite(s) and s >= 0 for s in split):
        raise InputError(src, "split", f"expected 3 non-negative fractions, got {split!r}")
    if abs(sum(split) - 1.0) > 1e-9:
        raise InputError(src, "split", f"fractions must sum to 1, got {split!r} = {sum(split)}")
    sizes = np.diff(_split_bounds(int(n_seq), split))
    if np.any(sizes <= 0):
        raise InputError(
            src,
            "n_seq",
            f"n_seq={n_seq} with split {split} gives split sizes {sizes.tolist()}; "
            "every split needs at least one sequence",
        )
    return split


def task1(
    output: str | os.PathLike,
    pfm: str | os.PathLike | Sequence[JasparMotif] | None = None,
    n_seq: int = 30000,
    seq_length: int = 200,
    seed: int = 33,
    core_names: Sequence[str] = CORE_NAMES,
    split: Sequence[float] = (0.7, 0.1, 0.2),
    pyjaspar_release: str = "JASPAR2016",
    num_plot_draws: int = 0,
    progress: bool = True,
) -> Path:
    """Generate the Task 1 synthetic data set and write it to HDF5 atomically.

    Parameters
    ----------
    output : str or os.PathLike
        The ``.h5`` file to write. It appears only when complete (written to a temporary file
        in the same directory, then renamed over any existing file).
    pfm : str, os.PathLike, sequence of JasparMotif or None
        JASPAR PFM file (e.g. ``pfm_vertebrates.txt``), parsed motifs, or None for the
        ``pyjaspar`` release ``pyjaspar_release`` (same matrices as the paper's file).
    n_seq : int
        Number of sequences generated (N). Some N lose one sequence to the notebook's split
        arithmetic; see the module docstring.
    seq_length : int
        Sequence length L.
    seed : int
        Seed of the ``np.random.RandomState`` stream.
    core_names : sequence of str
        TF names (first match in the motif list); label column k is ``core_names[k]``.
    split : sequence of 3 floats
        Train/valid/test fractions; must sum to 1.
    pyjaspar_release : str
        Release used when ``pfm`` is None.
    num_plot_draws : int
        Extra ``generate_model`` draws before the data set (10 in the older notebook).
    progress : bool
        Show a tqdm bar (only for ``n_seq >= 5000``).

    Returns
    -------
    Path
        ``output``. Datasets (float64, gzip): ``X_{split}`` (n, 4, L) one-hot A,C,G,T;
        ``Y_{split}`` (n, K) multi-hot with K = ``len(core_names)``; ``model_{split}``
        (n, 4, L) the ground-truth PWM of each sequence; split in train, valid, test. Root
        attributes record the parameters, the JASPAR source, the core motif IDs and the
        generator version.

    Raises
    ------
    InputError
        On bad parameters (checked before any sequence is generated): unknown motif name
        (close names listed), motifs that cannot fit in ``seq_length``, fractions not summing
        to 1, a split that would be empty.
    """
    output = Path(output)
    split = _validate(output, n_seq, seq_length, seed, split, num_plot_draws)
    n_seq, seq_length, seed = int(n_seq), int(seq_length), int(seed)
    core_names = _core_name_list(core_names, "task1")

    motifs, source, provenance = _resolve_motifs(pfm, pyjaspar_release)
    core, pwms, widths = _planted_core(motifs, source, core_names, seq_length, "task1")

    rs = np.random.RandomState(seed)
    for _ in range(num_plot_draws):
        _draw_model(rs, widths, seq_length)

    n_labels = len(core_names)
    onehot = np.zeros((n_seq, 4, seq_length), dtype=np.int8)  # float64 only when written
    models = np.empty((n_seq, 4, seq_length), dtype=np.float64)
    labels = np.zeros((n_seq, n_labels), dtype=np.float64)
    positions = np.arange(seq_length)

    from tqdm import tqdm  # plain bar: batch jobs log to files, not notebooks

    bar = tqdm(
        total=n_seq,
        desc="task1 sequences",
        unit="seq",
        disable=not progress or n_seq < _PROGRESS_MIN,
    )
    with bar:
        for s in range(n_seq):
            ids, sep = _draw_model(rs, widths, seq_length)
            _fill_model(models[s], pwms, ids, sep)
            onehot[s, _sample(rs, models[s]), positions] = 1
            labels[s, np.unique(np.floor(ids / 2).astype(int))] = 1
            bar.update(1)

    shuffle = rs.permutation(n_seq)
    bounds = _split_bounds(n_seq, split)
    index = {name: shuffle[bounds[k] : bounds[k + 1]] for k, name in enumerate(_SPLITS)}

    attrs = {
        "generator": "expact task1: Koo & Ploenzke 2021 Task 1 synthetic data (spec 1.1)",
        "generator_version": GENERATOR_VERSION,
        "rng": "numpy.random.RandomState (legacy MT19937), original call order",
        "numpy_version": np.__version__,
        "seed": seed,
        "n_seq": n_seq,
        "seq_length": seq_length,
        "num_plot_draws": int(num_plot_draws),
        "split": np.asarray(split, dtype=np.float64),
        "split_sizes": np.diff(bounds).astype(np.int64),
        "core_names": list(core_names),
        "core_ids": [m.matrix_id for m in core],
        "core_widths": np.array([m.width for m in core], dtype=np.int64),
        "core_pwm_sha256": hashlib.sha256(
            b"".join(np.ascontiguousarray(p, dtype="<f8").tobytes() for p in pwms)
        ).hexdigest(),
        "jaspar_source": provenance,
        "channels": "ACGT",
        "layout": "X (N, 4, L) one-hot; Y (N, K) multi-hot; model (N, 4, L) PWM; float64",
    }
    _write_atomic(output, onehot, labels, models, index, attrs)
    return output


def _write_atomic(
    output: Path,
    onehot: np.ndarray,
    labels: np.ndarray,
    models: np.ndarray,
    index: dict[str, np.ndarray],
    attrs: dict,
) -> None:
    """Write all splits to a temporary file beside ``output``, then rename it into place."""
    output.parent.mkdir(parents=True, exist_ok=True)
    # Not mkstemp: it creates mode 0600; h5py's exclusive create keeps the umask's permissions.
    tmp = output.parent / f".{output.name}.{os.getpid()}.{secrets.token_hex(4)}.tmp"
    try:
        with h5py.File(tmp, "x") as f:
            for key, value in attrs.items():
                f.attrs[key] = value
            length = onehot.shape[2]
            # ~256 KiB chunks of whole sequences: cheap to read a batch or one split.
            rows = max(1, (1 << 18) // (4 * length * 8))
            for name in _SPLITS:
                idx = index[name]
                n = len(idx)
                kw = {"dtype": np.float64, "compression": "gzip"}
                dx = f.create_dataset(
                    f"X_{name}", shape=(n, 4, length), chunks=(min(n, rows), 4, length), **kw
                )
                f.create_dataset(
                    f"Y_{name}", data=labels[idx], chunks=(min(n, 4096), labels.shape[1]), **kw
                )
                dm = f.create_dataset(
                    f"model_{name}", shape=(n, 4, length), chunks=(min(n, rows), 4, length), **kw
                )
                for a in range(0, n, _WRITE_BLOCK):
                    block = idx[a : a + _WRITE_BLOCK]
                    dx[a : a + len(block)] = onehot[block].astype(np.float64)
                    dm[a : a + len(block)] = models[block]
        os.replace(tmp, output)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
