"""The one validating loader for every data set of the paper (spec §1, ``helper.load_data``).

Reads the layout the generators write (``X_{split}`` (N, 4, L), ``Y_{split}`` (N, K),
optional ``model_{split}`` (N, 4, L)) and the original files in the same layout: the Task 2
DeepSEA subset (int8, (N, 4, 1000, 1)), the ZBED2/IRF1 sets (float32 (N, 4, 400), int8
(N, 1)), and Basset-style files (``{split}_in`` / ``{split}_out``, N positions as 0.25).

Like the original ``helper.load_data`` it casts to float32, drops singleton axes of X, can
append reverse-complement copies after the originals, and returns X channels-last
(N, L, 4). Unlike it, it checks the file first and names the file, the dataset and the
problem on any inconsistency. Only axes after the first are squeezed, so a split with one
sequence or a single label column keeps its shape.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import h5py
import numpy as np

from toolkit.config.schema import require_input_file
from toolkit.errors import InputError

_SPLITS = ("train", "valid", "test")
_BLOCK_VALUES = 1 << 22  # values per block read (16 MiB as float32): bounds the working copies

# Per task: label columns, whether ground-truth models must be present, N positions allowed.
_TASKS: dict[int, dict] = {
    1: {"n_labels": 12, "models": True, "allow_n": False},
    2: {"n_labels": 12, "models": False, "allow_n": False},
    3: {"n_labels": 1, "models": True, "allow_n": False},
    4: {"n_labels": 164, "models": False, "allow_n": True},
    5: {"n_labels": 1, "models": False, "allow_n": False},
    6: {"n_labels": 1, "models": False, "allow_n": False},
}


@dataclass(frozen=True, eq=False, repr=False)
class Dataset:
    """Arrays of one data set, checked; splits not asked for are None.

    Attributes
    ----------
    path : Path
        The file read.
    attrs : dict
        Root attributes of the file, as plain Python values (str, int, float, list).
    splits : tuple of str
        The splits loaded.
    x_train, x_valid, x_test : np.ndarray or None, shape (N, L, 4), float32
        One-hot sequences, channels-last, A, C, G, T.
    y_train, y_valid, y_test : np.ndarray or None, shape (N, K), float32
        Binary labels.
    model_train, model_valid, model_test : np.ndarray or None, shape (N, 4, L), float32
        Ground-truth sequence models of the synthetic sets (not transposed, as the original
        ``load_synthetic_models``); None where the file has none.
    """

    path: Path
    attrs: dict = field(default_factory=dict)
    splits: tuple[str, ...] = _SPLITS
    x_train: np.ndarray | None = None
    y_train: np.ndarray | None = None
    x_valid: np.ndarray | None = None
    y_valid: np.ndarray | None = None
    x_test: np.ndarray | None = None
    y_test: np.ndarray | None = None
    model_train: np.ndarray | None = None
    model_valid: np.ndarray | None = None
    model_test: np.ndarray | None = None

    def __repr__(self) -> str:
        parts = []
        for kind in ("x", "y", "model"):
            for split in self.splits:
                array = getattr(self, f"{kind}_{split}")
                if array is not None:
                    parts.append(f"{kind}_{split}={tuple(array.shape)}")
        return f"Dataset({self.path.name}: {', '.join(parts)})"


def _task_spec(task: int | str | None, path: Path) -> dict | None:
    if task is None:
        return None
    if str(task).lower() == "sequences":  # users' data: any labels, N allowed, models optional
        return {"n_labels": None, "models": False, "allow_n": True}
    key = str(task).lower().removeprefix("task").strip()
    if not key.isdigit() or int(key) not in _TASKS:
        raise InputError(path, "task", f"unknown task {task!r}; expected one of 1-6 or None")
    return _TASKS[int(key)]


def _plain(value):
    """h5py attribute -> plain Python value (str, int, float, list)."""
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    if isinstance(value, np.ndarray):
        return [_plain(v) for v in value.tolist()] if value.dtype.kind in "OSU" else value.tolist()
    if isinstance(value, np.generic):
        return value.item()
    return value


def _squeezed_shape(shape: tuple[int, ...], keep: int) -> tuple[int, ...]:
    """Drop singleton axes after the first ``keep`` axes (never the N axis)."""
    return tuple(shape[:keep]) + tuple(d for d in shape[keep:] if d != 1)


def _dataset(f: h5py.File, path: Path, key: str) -> h5py.Dataset:
    obj = f[key]
    if not isinstance(obj, h5py.Dataset):
        raise InputError(path, key, "is an HDF5 group; expected a dataset")
    kind = obj.dtype.kind
    if kind not in "biuf":
        raise InputError(path, key, f"dtype {obj.dtype} is not numeric")
    return obj


def _first_bad(mask: np.ndarray) -> tuple[int, ...]:
    return tuple(int(i) for i in np.argwhere(~mask)[0])


def _check_onehot(block: np.ndarray, offset: int, path: Path, key: str, allow_n: bool) -> None:
    """Each position of (n, 4, L) is one-hot (or all 0.25 when ``allow_n``)."""
    if not np.isfinite(block).all():
        i, a, p = _first_bad(np.isfinite(block))
        raise InputError(path, key, f"sequence {offset + i}, position {p}: NaN or inf")
    binary = ((block == 0) | (block == 1)).all(axis=1)
    ok = binary & (block.sum(axis=1) == 1)
    if allow_n:
        ok |= (block == 0.25).all(axis=1)
    if not ok.all():
        i, p = _first_bad(ok)
        expected = "one-hot (or 0.25 for N)" if allow_n else "one-hot (values 0/1, sum 1)"
        raise InputError(
            path,
            key,
            f"sequence {offset + i}, position {p}: channel values {block[i, :, p].tolist()} "
            f"are not {expected}",
        )


def _check_model(block: np.ndarray, offset: int, path: Path, key: str) -> None:
    """Each position of (n, 4, L) is a probability vector."""
    if not np.isfinite(block).all():
        i, a, p = _first_bad(np.isfinite(block))
        raise InputError(path, key, f"sequence {offset + i}, position {p}: NaN or inf")
    ok = (block >= 0).all(axis=1) & (np.abs(block.sum(axis=1) - 1) <= 1e-4)
    if not ok.all():
        i, p = _first_bad(ok)
        raise InputError(
            path,
            key,
            f"sequence {offset + i}, position {p}: {block[i, :, p].tolist()} is not a "
            "probability vector (non-negative, sum 1)",
        )


def _read_blocks(
    ds: h5py.Dataset,
    shape: tuple[int, int, int],
    reverse_complement: bool,
    channels_last: bool,
    check,
) -> np.ndarray:
    """Read (N, 4, L) in row blocks as float32, check each block, lay out the result.

    Returns (N', L, 4) when ``channels_last`` else (N', 4, L), with N' = 2N when the reverse
    complements (channels and positions reversed: ACGT order makes the channel flip the
    complement) are appended after the originals.
    """
    n, _, length = shape
    total = 2 * n if reverse_complement else n
    out = np.empty((total, length, 4) if channels_last else (total, 4, length), np.float32)
    rows = max(1, _BLOCK_VALUES // (4 * length))
    for a in range(0, n, rows):
        b = min(a + rows, n)
        block = np.asarray(ds[a:b], dtype=np.float32).reshape(b - a, 4, length)
        check(block, a)
        views = [(a, block)]
        if reverse_complement:
            views.append((n + a, block[:, ::-1, ::-1]))
        for start, view in views:
            out[start : start + b - a] = view.transpose(0, 2, 1) if channels_last else view
    return out


def load(
    path: str | os.PathLike,
    task: int | str | None = None,
    reverse_complement: bool = False,
    splits: Sequence[str] = _SPLITS,
    allow_n: bool | None = None,
    models: bool | None = None,
) -> Dataset:
    """Load and check a data set; X comes back float32 channels-last (N, L, 4).

    Parameters
    ----------
    path : str or os.PathLike
        HDF5 file with ``X_{split}``/``Y_{split}`` (optionally ``model_{split}``) datasets, or
        Basset-style ``{split}_in``/``{split}_out``. X is (N, 4, L) with optional singleton
        axes (e.g. (N, 4, L, 1) or (N, 4, 1, L)); Y is (N, K) or (N,).
    task : int or str, optional
        1-6 (or ``"task1"``...): also check the number of label columns (12 for Tasks 1-2,
        1 for Tasks 3, 5, 6, 164 for Task 4) and require ``model_*`` for Tasks 1 and 3.
    reverse_complement : bool
        Append reverse-complement copies after the originals in every loaded split (labels
        repeated; models reverse-complemented too, so row i of x and model still match), as
        the original ``load_data(..., reverse_compliment=True)``.
    splits : sequence of str
        Which of ``"train"``, ``"valid"``, ``"test"`` to read, e.g. ``("test",)`` for the
        analysis steps; the others stay None and are neither read nor checked.
    allow_n : bool, optional
        Accept all-0.25 positions (unknown base, Basset data). Default: True for Task 4,
        else False.
    models : bool, optional
        Require (True) or skip (False) ``model_*``. Default: required for Tasks 1 and 3,
        otherwise loaded when present for every requested split.

    Returns
    -------
    Dataset

    Raises
    ------
    InputError
        Naming the file, the dataset and the problem, when: the file is missing or not HDF5;
        required datasets are missing (missing and present ones listed); a dtype is not
        numeric; X is not (N, 4, L) after squeezing, or L differs between splits; N differs
        between X, Y and model; K differs between splits or from the task's; X is not strictly
        one-hot; Y is not binary; any value is NaN; a model position is not a probability
        vector.
    """
    path = Path(path)
    spec = _task_spec(task, path)
    splits = (splits,) if isinstance(splits, str) else tuple(splits)
    if not splits or not set(splits) <= set(_SPLITS):
        raise InputError(path, "splits", f"expected a subset of {_SPLITS}, got {splits!r}")
    if len(set(splits)) != len(splits):
        raise InputError(path, "splits", f"duplicate split names in {splits!r}")
    if allow_n is None:
        allow_n = bool(spec and spec["allow_n"])
    need_models = models if models is not None else bool(spec and spec["models"])

    require_input_file(path, "data file")
    try:
        f = h5py.File(path, "r")
    except OSError as err:
        raise InputError(path, None, f"not a readable HDF5 file ({err})") from None

    with f:
        keys = _layout(f, path, splits, need_models, models)
        # Shapes first (metadata only), so a bad file fails before any data is read.
        shapes = _shapes(f, path, splits, keys, spec, task)
        arrays: dict[str, np.ndarray | None] = {}
        for s in splits:
            arrays |= _read_split(f, path, s, keys, shapes, reverse_complement, allow_n)
        attrs = {k: _plain(v) for k, v in f.attrs.items()}

    return Dataset(path=path, attrs=attrs, splits=splits, **arrays)


def _layout(f, path: Path, splits: tuple, need_models: bool, models: bool | None) -> dict:
    """The file's key layout (``x``, ``y`` formats) and whether ``model_*`` are read."""
    present = sorted(f.keys())
    basset = "X_train" not in f and any(f"{s}_in" in f for s in _SPLITS)
    x_key = "{}_in" if basset else "X_{}"
    y_key = "{}_out" if basset else "Y_{}"
    wanted = [k.format(s) for s in splits for k in (x_key, y_key)]
    missing = [k for k in wanted if k not in f]
    if missing:
        raise InputError(
            path, ", ".join(missing), f"missing datasets {missing}; file has {present}"
        )
    model_keys = [f"model_{s}" for s in splits]
    have_models = all(k in f for k in model_keys) and not basset
    if need_models and not have_models:
        gone = [k for k in model_keys if k not in f]
        raise InputError(
            path,
            ", ".join(gone),
            f"missing ground-truth models {gone} (needed for this task); file has {present}",
        )
    use_models = have_models if models is None else bool(models)
    return {"x": x_key, "y": y_key, "models": use_models}


def _shapes(f, path: Path, splits: tuple, keys: dict, spec, task) -> dict[str, tuple[int, ...]]:
    """Every dataset's squeezed shape, checked against the others' and the task's."""
    x_key, y_key, use_models = keys["x"], keys["y"], keys["models"]
    shapes: dict[str, tuple[int, ...]] = {}
    length = n_labels = None
    for s in splits:
        xk, yk = x_key.format(s), y_key.format(s)
        x_shape = _squeezed_shape(_dataset(f, path, xk).shape, 1)
        if len(x_shape) != 3 or x_shape[1] != 4:
            hint = " (channels-last files are not this layout)" if x_shape[-1:] == (4,) else ""
            raise InputError(
                path,
                xk,
                f"shape {f[xk].shape} is not (N, 4, L) after dropping singleton axes: "
                f"expected 4 channels (A, C, G, T) on axis 1{hint}",
            )
        if length is not None and x_shape[2] != length:
            raise InputError(
                path, xk, f"sequence length {x_shape[2]} differs from other splits' {length}"
            )
        length = x_shape[2]
        y_shape = _squeezed_shape(_dataset(f, path, yk).shape, 2)
        if len(y_shape) == 1:
            y_shape = (y_shape[0], 1)
        if len(y_shape) != 2:
            raise InputError(path, yk, f"shape {f[yk].shape} is not (N, K) or (N,)")
        if y_shape[0] != x_shape[0]:
            raise InputError(path, yk, f"has {y_shape[0]} rows but {xk} has {x_shape[0]} sequences")
        if n_labels is not None and y_shape[1] != n_labels:
            raise InputError(
                path, yk, f"{y_shape[1]} label columns differ from other splits' {n_labels}"
            )
        n_labels = y_shape[1]
        if spec and spec["n_labels"] is not None and y_shape[1] != spec["n_labels"]:
            raise InputError(
                path,
                yk,
                f"{y_shape[1]} label columns; task {task} expects {spec['n_labels']}",
            )
        shapes[xk], shapes[yk] = x_shape, y_shape
        if use_models:
            mk = f"model_{s}"
            m_shape = _squeezed_shape(_dataset(f, path, mk).shape, 1)
            if m_shape != x_shape:
                raise InputError(path, mk, f"shape {f[mk].shape} does not match {xk} {f[xk].shape}")
            shapes[mk] = m_shape
    return shapes


def _read_split(f, path: Path, s: str, keys: dict, shapes: dict, reverse_complement, allow_n):
    """``x_<s>``, ``y_<s>`` (and ``model_<s>``) of one split, read and checked block-wise."""
    x_key, y_key, use_models = keys["x"], keys["y"], keys["models"]
    arrays: dict[str, np.ndarray] = {}
    xk, yk, mk = x_key.format(s), y_key.format(s), f"model_{s}"
    arrays[f"x_{s}"] = _read_blocks(
        f[xk],
        shapes[xk],
        reverse_complement,
        True,
        lambda block, a, xk=xk: _check_onehot(block, a, path, xk, allow_n),
    )
    y = np.asarray(f[yk][()], dtype=np.float32).reshape(shapes[yk])
    if np.isnan(y).any():
        raise InputError(path, yk, f"row {_first_bad(~np.isnan(y))[0]}: NaN label")
    binary = (y == 0) | (y == 1)
    if not binary.all():
        i, k = _first_bad(binary)
        raise InputError(path, yk, f"row {i}, column {k}: label {y[i, k]} is not 0 or 1")
    arrays[f"y_{s}"] = np.concatenate([y, y]) if reverse_complement else y
    if use_models:
        arrays[f"model_{s}"] = _read_blocks(
            f[mk],
            shapes[mk],
            reverse_complement,
            False,
            lambda block, a, mk=mk: _check_model(block, a, path, mk),
        )
    return arrays
