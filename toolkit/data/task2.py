"""Task 2 data set: the truncated DeepSEA in vivo set (spec §1.3), built from the DeepSEA bundle.

Users download ``deepsea_train_bundle.v0.9.tar.gz`` (DeepSEA, Zhou & Troyanskaya 2015) and
unpack it; the folder ``deepsea_train/`` holds:

- ``train.mat``: MATLAB v7.3 (HDF5): ``trainxdata`` stored (L, 4, N) (MATLAB's column-major
  order seen through HDF5), ``traindata`` (919, N); read with h5py and transposed (2, 1, 0);
- ``valid.mat``, ``test.mat``: MATLAB v5: ``validxdata`` / ``testxdata`` (N, 4, L) and
  ``validdata`` / ``testdata`` (N, 919); read with ``scipy.io.loadmat``.

The build keeps the 12 K562 ChIP-seq columns :data:`CORE_INDEX` in that order, keeps only the
sequences positive for at least one of them (separately within each split; no re-split),
reorders the channels ``[0, 2, 1, 3]`` (DeepSEA's A, G, C, T -> A, C, G, T) and stores
``X_{split}`` int8 (N, 4, L, 1) and ``Y_{split}`` int8 (N, 12), gzip, as the original
notebook. ``train.mat`` (about 4.4 M sequences, 17 GB as uint8) is streamed in blocks, so
memory does not grow with it; the v5 files are loaded whole (scipy cannot stream them). The
output is written to a temporary file beside ``out`` and renamed when complete.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

import h5py
import numpy as np

from toolkit.errors import InputError

#: 0-based DeepSEA label columns kept (spec §1.3), in the paper's order.
CORE_INDEX: tuple[int, ...] = (592, 602, 344, 345, 635, 636, 349, 642, 359, 361, 661, 369)
#: The K562 ChIP-seq track of each kept column.
CORE_TRACKS: tuple[str, ...] = (
    "ARID3A",
    "CEBPB",
    "FOSL1",
    "GABP",
    "MafK",
    "Max",
    "MEF2A",
    "NF-YB",
    "SP1",
    "SRF",
    "STAT1",
    "YY1",
)
CHANNEL_ORDER = (0, 2, 1, 3)  # DeepSEA A, G, C, T -> A, C, G, T
N_LABELS = 919
_BLOCK = 50_000  # train sequences per block read (200 MB of uint8 X at L = 1000)


def task2(deepsea: str | os.PathLike, out: str | os.PathLike, block: int = _BLOCK) -> Path:
    """Build the truncated in vivo data set from an unpacked DeepSEA bundle.

    Parameters
    ----------
    deepsea : str or os.PathLike
        Folder holding ``train.mat``, ``valid.mat`` and ``test.mat`` (or its
        ``deepsea_train/`` subfolder, as the tarball unpacks).
    out : str or os.PathLike
        HDF5 file to write (``X_train, Y_train, X_valid, Y_valid, X_test, Y_test``).
    block : int
        Train sequences read per block.

    Returns
    -------
    Path
        ``out``.

    Raises
    ------
    InputError
        A missing file or dataset, a shape that is not DeepSEA's, or a split left empty.
    """
    folder = _bundle_folder(Path(deepsea))
    out = Path(out)
    out.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{out.name}.", suffix=".tmp", dir=out.parent)
    os.close(fd)
    tmp = Path(tmp_name)
    try:
        with h5py.File(tmp, "w") as dst:
            counts = {"train": _train_split(folder / "train.mat", dst, block)}
            for split in ("valid", "test"):
                counts[split] = _v5_split(folder / f"{split}.mat", split, dst)
            dst.attrs["source"] = "DeepSEA deepsea_train_bundle.v0.9 (spec 1.3)"
            dst.attrs["core_index"] = np.asarray(CORE_INDEX, np.int64)
            dst.attrs["tracks"] = [f"K562 {t}" for t in CORE_TRACKS]
            dst.attrs["channel_order"] = "A,C,G,T (DeepSEA A,G,C,T reordered [0,2,1,3])"
            for split, n in counts.items():
                dst.attrs[f"n_{split}"] = n
        os.replace(tmp, out)
    except BaseException:
        tmp.unlink(missing_ok=True)
        raise
    return out


def _bundle_folder(folder: Path) -> Path:
    for candidate in (folder, folder / "deepsea_train"):
        if (candidate / "train.mat").is_file():
            break
    else:
        raise InputError(
            folder,
            "train.mat",
            "not found (expected the unpacked DeepSEA bundle: train.mat, valid.mat, test.mat)",
        )
    for name in ("valid.mat", "test.mat"):
        if not (candidate / name).is_file():
            raise InputError(candidate, name, "not found next to train.mat")
    return candidate


def _select(y: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(N, 919) labels -> the 12 kept columns (N, 12) int8 and the rows positive for any."""
    kept = np.asarray(y[:, list(CORE_INDEX)], dtype=np.int8)
    return kept, kept.any(axis=1)


def _new_datasets(dst: h5py.File, split: str, length: int) -> tuple[h5py.Dataset, h5py.Dataset]:
    x = dst.create_dataset(
        f"X_{split}",
        shape=(0, 4, length, 1),
        maxshape=(None, 4, length, 1),
        dtype=np.int8,
        chunks=(min(256, 1 << 20), 4, length, 1),
        compression="gzip",
    )
    y = dst.create_dataset(
        f"Y_{split}",
        shape=(0, len(CORE_INDEX)),
        maxshape=(None, len(CORE_INDEX)),
        dtype=np.int8,
        chunks=(4096, len(CORE_INDEX)),
        compression="gzip",
    )
    return x, y


def _append(x_ds: h5py.Dataset, y_ds: h5py.Dataset, x: np.ndarray, y: np.ndarray) -> None:
    """Append (n, 4, L) DeepSEA-order X and (n, 12) Y."""
    n0, n = x_ds.shape[0], len(x)
    if not n:
        return
    x_ds.resize(n0 + n, axis=0)
    y_ds.resize(n0 + n, axis=0)
    x_ds[n0:] = np.asarray(x[:, list(CHANNEL_ORDER), :], dtype=np.int8)[..., None]
    y_ds[n0:] = y


def _train_split(path: Path, dst: h5py.File, block: int) -> int:
    try:
        src = h5py.File(path, "r")
    except OSError as exc:
        raise InputError(path, None, f"not a MATLAB v7.3 (HDF5) file ({exc})") from None
    with src:
        for key in ("trainxdata", "traindata"):
            if key not in src:
                raise InputError(path, key, f"missing; file has {sorted(src.keys())}")
        xs, ys = src["trainxdata"], src["traindata"]
        if len(xs.shape) != 3 or xs.shape[1] != 4:
            raise InputError(path, "trainxdata", f"shape {xs.shape} is not (L, 4, N)")
        length, _, n = xs.shape
        if ys.shape != (N_LABELS, n):
            raise InputError(path, "traindata", f"shape {ys.shape} is not ({N_LABELS}, {n})")
        x_ds, y_ds = _new_datasets(dst, "train", length)
        for a in range(0, n, block):
            b = min(a + block, n)
            y, keep = _select(np.asarray(ys[:, a:b]).T)
            if keep.any():
                x = np.asarray(xs[:, :, a:b]).transpose(2, 1, 0)  # (L, 4, n) -> (n, 4, L)
                _append(x_ds, y_ds, x[keep], y[keep])
    if not x_ds.shape[0]:
        raise InputError(path, "traindata", "no sequence is positive for any kept column")
    return int(x_ds.shape[0])


def _v5_split(path: Path, split: str, dst: h5py.File) -> int:
    from scipy.io import loadmat

    x_key, y_key = f"{split}xdata", f"{split}data"
    try:
        mat = loadmat(path, variable_names=[x_key, y_key])
    except (ValueError, NotImplementedError, OSError) as exc:
        raise InputError(path, None, f"not a MATLAB v5 file readable by scipy ({exc})") from None
    for key in (x_key, y_key):
        if key not in mat:
            raise InputError(path, key, "missing")
    x, y_all = mat[x_key], mat[y_key]
    if x.ndim != 3 or x.shape[1] != 4:
        raise InputError(path, x_key, f"shape {x.shape} is not (N, 4, L)")
    if y_all.shape != (len(x), N_LABELS):
        raise InputError(path, y_key, f"shape {y_all.shape} is not ({len(x)}, {N_LABELS})")
    y, keep = _select(y_all)
    x_ds, y_ds = _new_datasets(dst, split, x.shape[2])
    _append(x_ds, y_ds, x[keep], y[keep])
    if not x_ds.shape[0]:
        raise InputError(path, y_key, "no sequence is positive for any kept column")
    return int(x_ds.shape[0])
