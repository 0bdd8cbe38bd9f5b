"""Streaming loader for the Basset ``er.h5`` layout (Task 4, spec §1.4): batches, never the file.

The Basset data set (ENCODE/Roadmap DNase, 164 cell types; about 10 GB) does not fit the
in-memory loader's copy-everything approach (``toolkit.data.load``: ~9.6 GB of float32 per
million 600-nt sequences, doubled by reverse complements). This module reads it in
contiguous chunks of rows and yields float32 batches ``(b, L, 4)`` channels-last, so memory
is set by ``chunk_rows * buffer_chunks`` and the batch size, not by N.

Layout read (datasets of the original ``er.h5``)::

    train_in, valid_in, test_in     (N, 4, 1, L)  (or (N, 4, L)); float, or uint8/int8
    train_out, valid_out, test_out  (N, T)        binary; T = 164 for Basset
    target_labels                   (T,)          cell-type names (optional)
    test_headers                    (N_test,)     sequence names (optional)

Unknown bases (N): float files hold them as 0.25 in all four channels (as the original);
integer files (uint8, the compact layout) hold them as an all-zero column, which is turned
into 0.25 on the fly. Every chunk is checked as it is read (one-hot or N) and a bad one names
the file, the dataset and the first bad sequence and position.

Training order (``shuffle=True``): each epoch permutes the chunks with ``seed + epoch``
(identical on every rank), deals them round-robin to the ``shard = (rank, size)`` ranks,
and shuffles rows within a window of ``buffer_chunks`` chunks. Every rank yields exactly
:attr:`BassetStream.steps_per_epoch` batches (a short rank wraps around its own chunks), so
collective operations of data-parallel training never wait on a rank that has run out.
Reverse complements are made on the fly: ``"random"`` flips each sequence with probability
1/2, ``"both"`` yields every sequence and its reverse complement (the original appended RC
copies, doubling the epoch), ``"none"`` leaves them out.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import h5py
import numpy as np

from toolkit.config.schema import require_input_file
from toolkit.errors import InputError

SPLITS = ("train", "valid", "test")
RC_MODES = ("none", "random", "both")


@dataclass
class BassetStream:
    """Batches of one split of a Basset-layout file; see the module docstring.

    Attributes
    ----------
    path : Path
    split : str
    n : int
        Sequences in the split (all ranks together).
    length, n_targets : int
        Sequence length L and number of targets T.
    target_labels : list of str
        From ``target_labels`` when the file has it, else ``target0``... .
    steps_per_epoch : int
        Batches each rank yields per epoch (training: full batches only; otherwise every
        row of the rank's share, the last batch possibly short).
    """

    path: Path
    split: str = "train"
    batch_size: int = 100
    shuffle: bool = True
    reverse_complement: str = "random"
    shard: tuple[int, int] = (0, 1)
    seed: int = 0
    chunk_rows: int = 2048
    buffer_chunks: int = 4
    check: bool = True
    n: int = field(init=False)
    length: int = field(init=False)
    n_targets: int = field(init=False)
    target_labels: list[str] = field(init=False)
    _float: bool = field(init=False, repr=False)

    def __post_init__(self) -> None:
        self.path = Path(self.path)
        if self.split not in SPLITS:
            raise InputError(self.path, "split", f"expected one of {SPLITS}, got {self.split!r}")
        if self.reverse_complement not in RC_MODES:
            raise InputError(
                self.path,
                "reverse_complement",
                f"expected one of {RC_MODES}, got {self.reverse_complement!r}",
            )
        rank, size = self.shard
        if not (isinstance(size, int) and size >= 1 and 0 <= rank < size):
            raise InputError(
                self.path,
                "shard",
                f"expected (rank, size) with 0 <= rank < size, got {self.shard!r}",
            )
        for name in ("batch_size", "chunk_rows", "buffer_chunks"):
            if not isinstance(getattr(self, name), int) or getattr(self, name) < 1:
                raise InputError(
                    self.path, name, f"expected a positive integer, got {getattr(self, name)!r}"
                )
        if self.reverse_complement == "both" and self.batch_size % 2:
            raise InputError(
                self.path,
                "batch_size",
                "must be even with reverse_complement="
                "'both' (each sequence comes with its reverse complement)",
            )
        require_input_file(self.path, "data file")
        try:
            f = h5py.File(self.path, "r")
        except OSError as exc:
            raise InputError(self.path, None, f"not a readable HDF5 file ({exc})") from None
        with f:
            x_key, y_key = f"{self.split}_in", f"{self.split}_out"
            missing = [k for k in (x_key, y_key) if k not in f]
            if missing:
                raise InputError(
                    self.path,
                    ", ".join(missing),
                    f"missing datasets {missing}; file has {sorted(f.keys())}",
                )
            xs, ys = f[x_key], f[y_key]
            shape = tuple(xs.shape)
            squeezed = shape[:1] + tuple(d for d in shape[1:] if d != 1)
            if len(squeezed) != 3 or squeezed[1] != 4:
                raise InputError(
                    self.path, x_key, f"shape {shape} is not (N, 4, 1, L) or (N, 4, L)"
                )
            if xs.dtype.kind not in "biuf" or ys.dtype.kind not in "biuf":
                raise InputError(self.path, x_key, f"dtypes {xs.dtype}/{ys.dtype} are not numeric")
            if len(ys.shape) != 2 or ys.shape[0] != shape[0]:
                raise InputError(self.path, y_key, f"shape {ys.shape} is not ({shape[0]}, T)")
            self.n, self.length, self.n_targets = shape[0], squeezed[2], ys.shape[1]
            self._float = xs.dtype.kind == "f"
            if "target_labels" in f:
                labels = f["target_labels"][()]
                self.target_labels = [
                    v.decode() if isinstance(v, bytes) else str(v) for v in np.ravel(labels)
                ]
            else:
                self.target_labels = [f"target{i}" for i in range(self.n_targets)]
        if self.n < size:
            raise InputError(
                self.path, x_key, f"{self.n} sequences cannot be split over {size} ranks"
            )

    # -- sizes -------------------------------------------------------------------------------
    @property
    def _per_row(self) -> int:
        return 2 if self.reverse_complement == "both" else 1

    @property
    def rows_per_rank(self) -> int:
        """Sequences one rank reads per epoch (training: N // size, so all ranks match)."""
        rank, size = self.shard
        if self.shuffle:
            return self.n // size
        lo, hi = self._contiguous_range()
        return hi - lo

    @property
    def steps_per_epoch(self) -> int:
        rows = self.rows_per_rank * self._per_row
        if self.shuffle:
            return max(1, rows // self.batch_size)
        return -(-rows // self.batch_size)

    def _contiguous_range(self) -> tuple[int, int]:
        rank, size = self.shard
        per = -(-self.n // size)
        return min(rank * per, self.n), min((rank + 1) * per, self.n)

    # -- reading -----------------------------------------------------------------------------
    def _read(self, f: h5py.File, a: int, b: int) -> tuple[np.ndarray, np.ndarray]:
        """Rows [a, b) as stored (x (n, 4, L), y (n, T)), checked."""
        x = np.asarray(f[f"{self.split}_in"][a:b]).reshape(b - a, 4, self.length)
        y = np.asarray(f[f"{self.split}_out"][a:b])
        if self.check:
            self._check(x, y, a)
        return x, y

    def _check(self, x: np.ndarray, y: np.ndarray, offset: int) -> None:
        key = f"{self.split}_in"
        if self._float:
            onehot = ((x == 0) | (x == 1)).all(axis=1) & (x.sum(axis=1) == 1)
            ok = onehot | (x == 0.25).all(axis=1)
        else:
            ok = ((x == 0) | (x == 1)).all(axis=1) & (x.sum(axis=1) <= 1)
        if not ok.all():
            i, p = (int(v) for v in np.argwhere(~ok)[0])
            raise InputError(
                self.path,
                key,
                f"sequence {offset + i}, position {p}: channel "
                f"values {x[i, :, p].tolist()} are not one-hot or N",
            )
        good = (y == 0) | (y == 1)
        if not good.all():
            i, k = (int(v) for v in np.argwhere(~good)[0])
            raise InputError(
                self.path,
                f"{self.split}_out",
                f"row {offset + i}, column {k}: label {y[i, k]} is not 0 or 1",
            )

    def _to_batch(self, x: np.ndarray, y: np.ndarray, rng: np.random.Generator | None):
        """Stored rows -> float32 (n, L, 4) channels-last (N as 0.25), float32 labels."""
        out = x.astype(np.float32).transpose(0, 2, 1)
        if not self._float:
            unknown = out.sum(axis=2) == 0
            out[unknown] = 0.25
        labels = y.astype(np.float32)
        if self.reverse_complement == "random" and rng is not None:
            flip = rng.random(len(out)) < 0.5
            out[flip] = out[flip, ::-1, ::-1]
        elif self.reverse_complement == "both":
            out = np.concatenate([out, out[:, ::-1, ::-1]])
            labels = np.concatenate([labels, labels])
        return np.ascontiguousarray(out), labels

    def batches(self, epoch: int = 0) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        """This rank's batches of one epoch: ``(x (b, L, 4) float32, y (b, T) float32)``."""
        with h5py.File(self.path, "r") as f:
            if self.shuffle:
                yield from self._shuffled(f, epoch)
            else:
                yield from self._ordered(f)

    def _ordered(self, f: h5py.File):
        lo, hi = self._contiguous_range()
        step = max(1, self.batch_size // self._per_row)
        # "both" keeps each sequence next to its RC (one batch holds both)
        for a in range(lo, hi, step):
            b = min(a + step, hi)
            yield self._to_batch(*self._read(f, a, b), rng=None)

    def _chunk_rows(self) -> int:
        """Rows per chunk: ``chunk_rows``, smaller when needed to give every rank a chunk."""
        return max(1, min(self.chunk_rows, -(-self.n // self.shard[1])))

    def _shuffled(self, f: h5py.File, epoch: int):
        rank, size = self.shard
        rows = self._chunk_rows()
        n_chunks = -(-self.n // rows)
        order = np.random.RandomState((self.seed + epoch) % 2**32).permutation(n_chunks)
        mine = order[rank::size]
        width = min(self.buffer_chunks, len(mine))
        rng = np.random.default_rng([self.seed, epoch, rank])
        per_batch = self.batch_size // self._per_row  # stored rows per batch
        carry: list[tuple[np.ndarray, np.ndarray]] = []
        yielded, k = 0, 0
        while yielded < self.steps_per_epoch:
            window = [mine[(k + j) % len(mine)] for j in range(width)]  # wraps when short
            k += width
            parts = carry + [self._read(f, c * rows, min((c + 1) * rows, self.n)) for c in window]
            x = np.concatenate([p[0] for p in parts])
            y = np.concatenate([p[1] for p in parts])
            perm = rng.permutation(len(x))
            x, y = x[perm], y[perm]
            start = 0
            while start + per_batch <= len(x) and yielded < self.steps_per_epoch:
                yield self._to_batch(
                    x[start : start + per_batch], y[start : start + per_batch], rng
                )
                yielded += 1
                start += per_batch
            carry = [(x[start:], y[start:])]

    def dataset(self, epoch: int = 0, prefetch: int = 2):
        """The epoch's batches as a ``tf.data.Dataset`` (prefetched in a background thread)."""
        import tensorflow as tf

        signature = (
            tf.TensorSpec((None, self.length, 4), tf.float32),
            tf.TensorSpec((None, self.n_targets), tf.float32),
        )
        ds = tf.data.Dataset.from_generator(lambda: self.batches(epoch), output_signature=signature)
        return ds.prefetch(prefetch)


def stream(path: str | os.PathLike, split: str = "train", **options) -> BassetStream:
    """Open one split of a Basset-layout HDF5 file for streaming (see :class:`BassetStream`).

    Parameters
    ----------
    path : str or os.PathLike
        ``er.h5`` or a file of the same layout.
    split : {"train", "valid", "test"}
    **options
        ``batch_size`` (100), ``shuffle`` (True), ``reverse_complement`` ("random", "both",
        "none"), ``shard`` ((rank, size)), ``seed``, ``chunk_rows`` (2048),
        ``buffer_chunks`` (4), ``check`` (True).

    Returns
    -------
    BassetStream
    """
    return BassetStream(Path(path), split, **options)


def check_layout(path: str | os.PathLike) -> None:
    """Check the Basset layout of every split from metadata (the data are checked as
    read): ``Task.data_check`` of Task 4, whose data set is too large to load."""
    lengths = {stream(path, split, shuffle=False).length for split in SPLITS}
    targets = {stream(path, split, shuffle=False).n_targets for split in SPLITS}
    if len(lengths) != 1 or len(targets) != 1:
        raise InputError(
            path,
            "*_in/*_out",
            f"splits differ in length {sorted(lengths)} or targets {sorted(targets)}",
        )
